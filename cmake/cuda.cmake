# Decides whether the CUDA backend is built. AUTO builds it when nvcc, cuDNN,
# cuBLAS and NCCL are all present; the result is XFER_WITH_CUDA.
set(XFER_WITH_CUDA OFF)
if(NOT XFER_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  find_package(CUDAToolkit QUIET)
  find_path(CUDNN_INCLUDE_DIR cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
  find_library(CUDNN_LIBRARY cudnn HINTS ${CUDAToolkit_LIBRARY_DIR})
  find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
  find_library(NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR})
  if(CMAKE_CUDA_COMPILER AND CUDAToolkit_FOUND AND CUDNN_INCLUDE_DIR AND CUDNN_LIBRARY
     AND NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
    set(XFER_WITH_CUDA ON)
  elseif(XFER_CUDA STREQUAL "ON")
    message(FATAL_ERROR "XFER_CUDA=ON but nvcc, cuDNN or NCCL was not found "
      "(nvcc: '${CMAKE_CUDA_COMPILER}', cudnn: '${CUDNN_LIBRARY}', nccl: '${NCCL_LIBRARY}')")
  endif()
endif()
if(XFER_WITH_CUDA)
  # Every architecture clusters run (V100 70, T4 75, A100 80, A10/A40 86,
  # L4/L40 89, H100/H200 90) that this toolkit still builds for; CUDA 13
  # dropped 70. The newest one also gets PTX, so later GPUs JIT-compile it.
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    find_program(XFER_NVCC nvcc HINTS ${CUDAToolkit_BIN_DIR} /usr/local/cuda/bin)
    execute_process(COMMAND ${XFER_NVCC} --list-gpu-arch OUTPUT_VARIABLE nvcc_archs ERROR_QUIET)
    set(archs "")
    foreach(a 70 75 80 86 89 90)
      if(nvcc_archs MATCHES "compute_${a}")
        list(APPEND archs ${a}-real)
      endif()
    endforeach()
    if(archs)
      list(POP_BACK archs newest)
      string(REPLACE "-real" "" newest ${newest})
      list(APPEND archs ${newest})  # real code and PTX
    else()
      set(archs 80 90)
    endif()
    set(CMAKE_CUDA_ARCHITECTURES ${archs})
  endif()
  # Our .cu files are C++17. Unset, CUDA_STANDARD follows the project's
  # C++20, which CMake 3.25 cannot request from nvcc.
  if(NOT DEFINED CMAKE_CUDA_STANDARD)
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  endif()
  # One CUDA runtime on the link line: the shared one, which CUDA::cudart
  # names too and which the GPU machine's PyTorch wheels provide. CMake's
  # default for CUDA targets is the static one, and both together give a
  # process two runtimes with separate state.
  if(NOT DEFINED CMAKE_CUDA_RUNTIME_LIBRARY)
    set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
  endif()
  enable_language(CUDA)
  message(STATUS "xfer: CUDA backend ON (cuDNN ${CUDNN_LIBRARY}, NCCL ${NCCL_LIBRARY}, archs ${CMAKE_CUDA_ARCHITECTURES})")
else()
  message(STATUS "xfer: CUDA backend OFF")
endif()
