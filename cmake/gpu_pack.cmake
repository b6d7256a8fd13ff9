# gpu_pack.cmake: what scripts/gpu_check.sh packs for the GPU machine, made
# from the build rather than typed into the script: every test binary
# labelled gpu (xfer_test records them) and the step benchmark. Writes
# gpu_pack_targets.txt in the build dir, one "kind name file" line each
# (kind: test or bench; empty without the CUDA backend), and the target
# gpu_pack_targets that builds them all.
get_property(gpu_tests GLOBAL PROPERTY XFER_GPU_TEST_TARGETS)
set(gpu_pack_lines "")
set(gpu_pack_targets "")
if(XFER_WITH_CUDA)
  foreach(t ${gpu_tests})
    string(APPEND gpu_pack_lines "test ${t} $<TARGET_FILE:${t}>\n")
    list(APPEND gpu_pack_targets ${t})
  endforeach()
  if(TARGET xfer_bench_gpu_step)
    string(APPEND gpu_pack_lines "bench xfer_bench_gpu_step $<TARGET_FILE:xfer_bench_gpu_step>\n")
    list(APPEND gpu_pack_targets xfer_bench_gpu_step)
  endif()
endif()
file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/gpu_pack_targets.txt CONTENT "${gpu_pack_lines}")
if(gpu_pack_targets)
  add_custom_target(gpu_pack_targets DEPENDS ${gpu_pack_targets})
endif()
