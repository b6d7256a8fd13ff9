#!/usr/bin/env bash
# gpu_check.sh: the GPU checks of the CUDA backend, in two halves, for a GPU
# machine that has the CUDA 13 driver and PyTorch (with cuDNN, cuBLAS and
# NCCL as its nvidia-* wheels) but none of our other libraries.
#
#   scripts/gpu_check.sh pack          build here; pack the GPU tests, the
#                                      step benchmark and the non-CUDA shared
#                                      libraries they load (MPI, HDF5, Boost,
#                                      oneDNN, ...) into build-gpu-check/gpu_pack.tgz
#   scripts/gpu_check.sh run [PACK]    on the GPU machine: unpack, point the
#                                      loader at PyTorch's nvidia/*/lib, run the
#                                      GPU tests, then time a CaffeNet training
#                                      step at batch 256 in fp32 and TF32 beside
#                                      PyTorch running the same network
#   scripts/gpu_check.sh all           both, on one machine
#
# Environment: JOBS (build parallelism, default 1); PYTHON (the interpreter
# with torch; else the first of python3, python, /opt/conda/bin/python3 that
# imports torch); OUT (a folder to copy the logs into); BENCH_ITERS (timed
# steps, default 20); BENCH_BATCH (default 256); XFER_GPU_BUILD (build dir);
# XFER_PACKED_GLIBC=1 (start through the packed glibc even where the
# target's is new enough).
# Exit status: non-zero when a build, a test or a benchmark failed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${XFER_GPU_BUILD:-$root/build-gpu-check}"
tests=(test_cuda_kernels test_cuda_ops test_cuda_training test_nccl_communicator)
bench=xfer_bench_gpu_step
say() { printf '\n== %s\n' "$*"; }

# ---------------------------------------------------------------------------
pack() {
  say "build (in $build)"
  cmake -S "$root" -B "$build" -DXFER_CUDA=ON -DXFER_TESTS=ON -DXFER_BENCH=ON \
    -DCMAKE_BUILD_TYPE=Release
  cmake --build "$build" -j"${JOBS:-1}" --target "${tests[@]}" "$bench"

  say "pack"
  local stage="$build/gpu_pack"
  rm -rf "$stage" && mkdir -p "$stage/bin" "$stage/lib"
  for t in "${tests[@]}" "$bench"; do cp "$build/bin/$t" "$stage/bin/"; done
  cp "$root/scripts/gpu_check.sh" "$root/bench/gpu/torch_caffenet.py" "$stage/"
  # Every shared library the binaries load except the CUDA ones (the
  # target's driver and PyTorch's wheels provide those, matched to its
  # driver). glibc goes apart, with its loader: it is used only where the
  # target's glibc is older than ours.
  local cuda='^(libcuda\.so|libcudart|libcublas|libcudnn|libnccl|libcurand|libnvrtc|libnvJitLink|libnvidia)'
  local glibc='^(ld-linux|libc\.so|libm\.so|libpthread|libdl\.so|librt\.so|libresolv|libutil\.so)'
  mkdir -p "$stage/glibc"
  ldd "$stage"/bin/* | awk '$3 ~ /^\// {print $3} $1 ~ /^\/.*ld-linux/ {print $1}' | sort -u |
    while read -r lib; do
      local name; name="$(basename "$lib")"
      if grep -Eq "$glibc" <<<"$name"; then cp -L "$lib" "$stage/glibc/"
      elif ! grep -Eq "$cuda" <<<"$name"; then cp -L "$lib" "$stage/lib/"; fi
    done
  # What the binaries expect from the target's glibc.
  objdump -T "$stage"/bin/* "$stage"/lib/* 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV |
    tail -1 > "$stage/glibc_needed"
  tar -C "$build" -czf "$build/gpu_pack.tgz" gpu_pack
  echo "packed $(ls "$stage/bin" | wc -l) binaries and $(ls "$stage/lib" | wc -l) libraries:" \
    "$build/gpu_pack.tgz ($(du -h "$build/gpu_pack.tgz" | cut -f1)); needs $(cat "$stage/glibc_needed")"
}

# ---------------------------------------------------------------------------
run() {
  local tgz="${1:-$build/gpu_pack.tgz}"
  [[ -f "$tgz" ]] || { echo "no pack at $tgz: run '$0 pack' first" >&2; exit 2; }
  local work
  work="$(mktemp -d "${TMPDIR:-/tmp}/xfer_gpu_check.XXXXXX")"
  tar -C "$work" -xzf "$tgz"
  local p="$work/gpu_pack" py="" failed=0
  for c in ${PYTHON:-} python3 python /opt/conda/bin/python3 /usr/local/bin/python3; do
    if command -v "$c" >/dev/null && "$c" -c 'import torch' 2>/dev/null; then py="$c"; break; fi
  done
  [[ -n "$py" ]] || { echo "no Python with torch found: set PYTHON" >&2; exit 2; }

  say "machine"
  nvidia-smi -L || echo "nvidia-smi not available"
  echo "glibc here: $(ldd --version | head -1); the pack needs $(cat "$p/glibc_needed")"
  local sp
  sp="$("$py" -c 'import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))')"
  "$py" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda,
    "cuDNN", torch.backends.cudnn.version(), "GPU", torch.cuda.is_available())'
  # PyTorch's CUDA libraries: every folder under site-packages/nvidia that
  # holds a shared library (nvidia/<pkg>/lib, or nvidia/cu13/lib).
  local cuda_dirs
  cuda_dirs="$(find "$sp/nvidia" -name 'lib*.so*' -printf '%h\n' 2>/dev/null | sort -u | paste -sd:)"
  local ld="$p/lib${cuda_dirs:+:$cuda_dirs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "CUDA libraries from: ${cuda_dirs:-nowhere (no site-packages/nvidia)}"
  # Our binaries start through our own glibc loader where the target's glibc
  # is older than the one they were built against.
  local need have launch
  need="$(sed 's/GLIBC_//' "$p/glibc_needed")"
  have="$(getconf GNU_LIBC_VERSION | awk '{print $2}')"
  if [[ -z "${XFER_PACKED_GLIBC:-}" &&
        "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" == "$need" ]]; then
    launch=(env "LD_LIBRARY_PATH=$ld")
  else
    echo "starting through the packed glibc (this glibc: $have, needed: $need)"
    launch=("$(ls "$p"/glibc/ld-linux*)" --library-path "$p/glibc:$ld")
  fi
  local missing=""
  for b in "$p"/bin/*; do
    if [[ ${launch[0]} == env ]]; then
      missing+="$("${launch[@]}" ldd "$b" | grep 'not found' || true)"
    else
      missing+="$("${launch[@]}" --list "$b" | grep 'not found' || true)"
    fi
  done
  if [[ -n "$missing" ]]; then
    echo "libraries not found:"; sort -u <<<"$missing"; exit 3
  fi

  say "GPU tests"
  for t in "${tests[@]}"; do
    if [[ $t == test_nccl_communicator ]] && ! command -v mpirun >/dev/null; then
      echo "$t: skipped: no MPI runtime on this machine (MPI bootstraps NCCL)"
      continue
    fi
    local log="$work/$t.log" rc=0
    timeout 900 "${launch[@]}" "$p/bin/$t" >"$log" 2>&1 || rc=$?
    tail -n 25 "$log"
    if ((rc != 0)); then
      echo "$t: FAILED (exit $rc)"; failed=1
    elif grep -q '^\[  SKIPPED \]' "$log"; then
      echo "$t: tests were SKIPPED although a GPU was expected"; failed=1
    else
      echo "$t: passed"
    fi
  done

  say "CaffeNet training step, batch ${BENCH_BATCH:-256}: xfer beside PyTorch"
  local results="$work/results.txt" args
  : >"$results"
  for tf32 in 0 1; do
    args=(--batch "${BENCH_BATCH:-256}" --tf32 "$tf32" --iters "${BENCH_ITERS:-20}" --warmup 5)
    timeout 600 "${launch[@]}" "$p/bin/$bench" --preset caffenet "${args[@]}" \
      | tee -a "$results" || { echo "$bench (tf32 $tf32) FAILED"; failed=1; }
    timeout 600 "$py" "$p/torch_caffenet.py" "${args[@]}" | tee -a "$results" ||
      { echo "torch_caffenet.py (tf32 $tf32) FAILED"; failed=1; }
  done
  say "summary (images/s; goal: xfer >= torch at each precision)"
  "$py" - "$results" <<'PY'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith("RESULT"):
        kv = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line))
        rows[(kv["precision"], kv["impl"].split("-")[0])] = float(kv["images_per_s"])
for prec in ("fp32", "tf32"):
    x, t = rows.get((prec, "xfer")), rows.get((prec, "torch"))
    ratio = f"{x / t:.2f}" if x and t else "n/a"
    print(f"{prec}: xfer {x or 'n/a'}  torch {t or 'n/a'}  xfer/torch {ratio}")
PY
  echo "logs in $work"
  # On the device tool, hand the logs back too.
  if [[ -n "${OUT:-}" && -d "${OUT:-}" ]]; then cp "$work"/*.log "$results" "$OUT/" || true; fi
  return "$failed"
}

case "${1:-all}" in
  pack) pack ;;
  run) run "${2:-}" ;;
  all) pack && run ;;
  *) echo "usage: $0 pack | run [PACK.tgz] | all" >&2; exit 2 ;;
esac
