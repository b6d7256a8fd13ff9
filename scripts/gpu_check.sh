#!/usr/bin/env bash
# gpu_check.sh: the GPU checks of the CUDA backend, built here and run on a
# GPU machine that has an NVIDIA driver and a CUDA 13 PyTorch (with cuDNN,
# cuBLAS, cudart and NCCL as its nvidia-* wheels) but none of our other
# libraries, in a window of a few minutes.
#
#   scripts/gpu_check.sh pack          build here; pack the GPU tests, the
#                                      step benchmark and the non-CUDA shared
#                                      libraries they load (MPI, HDF5, Boost,
#                                      oneDNN, ...) into $build/gpu_pack.tgz
#   scripts/gpu_check.sh stage         pack as above, from the binaries this
#                                      build already has (no build; ctest
#                                      gpu_pack.rehearse stages its own build)
#   scripts/gpu_check.sh rehearse [PACK]
#                                      here: unpack into a clean environment
#                                      and check that every binary and library
#                                      of the pack finds everything it needs in
#                                      the pack, except the driver (libcuda)
#                                      and what PyTorch provides; and that the
#                                      pack is at most 60 MiB
#   scripts/gpu_check.sh preflight     on the GPU machine: in seconds, whether
#                                      it can run the checks at all, and why not
#   scripts/gpu_check.sh run [PACK]    on the GPU machine: preflight, then the
#                                      GPU tests, then a CaffeNet training step
#                                      at batch 256 in fp32 and TF32 beside
#                                      PyTorch; within 8 minutes in all
#   scripts/gpu_check.sh all           pack and run, on one machine
#
# Every external call of the preflight has its own timeout (20-30 s), and
# every test and benchmark one of its own (limit, below); NCCL's device
# waits are bounded at 60 s (XFER_NCCL_TIMEOUT_S). A failing step's log is
# printed whole.
#
# Environment: JOBS (build parallelism, default 1); CUDA_ARCHS (default
# "80;90"); XFER_GPU_BUILD (build dir, default build-gpu-check); PYTHON (the
# interpreter with torch; else the first of python3, python,
# /opt/conda/bin/python3 that imports torch); OUT (the folder every log is
# written into as it is produced; default a temporary folder); BENCH_ITERS
# (timed steps, default 20); BENCH_BATCH (default 256); MIN_FREE_MIB (free
# GPU memory the checks need, default 24576); XFER_PACKED_GLIBC=1 (start
# through the packed glibc even where the target's is new enough).
# Exit status: 0 all passed; 1 a test or benchmark failed; 2 usage or a
# missing pack; 3 preflight failed (nothing was run).
set -euo pipefail
# --help prints the comment above and does nothing else.
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -/p' "$0" | grep -v '^#SBATCH' | sed '$d;s/^# \{0,1\}//'; exit 0; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${XFER_GPU_BUILD:-$root/build-gpu-check}"
# What is packed comes from the build: gpu_pack_targets.txt (written by
# cmake/gpu_pack.cmake) names every test binary labelled gpu and the step
# benchmark; the pack carries the test names in tests.txt.
bench=xfer_bench_gpu_step
max_pack_mib=60
# Libraries the target supplies: its driver, and PyTorch's CUDA wheels.
provided='^(libcuda\.so|libcudart\.so|libcublas\.so|libcublasLt\.so|libcudnn[a-z_]*\.so|libnccl\.so)'
# glibc and its loader, packed apart (used only where the target's is older).
glibc_re='^(ld-linux|libc\.so|libm\.so|libpthread|libdl\.so|librt\.so|libresolv|libutil\.so)'
# Seconds each step may take: 220 for the tests and 4 x 40 for the
# benchmarks, which with the preflight's worst case (about 60) and the
# unpacking stays within 8 minutes.
# A test binary not named here gets default_limit.
declare -A limit=([test_cuda_kernels]=30 [test_backend_ops]=60 [test_cuda_training]=80
                  [test_nccl_communicator]=50 [bench]=40)
default_limit=60
say() { printf '\n== %s\n' "$*"; }
die() { echo "gpu_check: $1" >&2; exit "${2:-2}"; }

# ---------------------------------------------------------------------------
# pack

# A fresh build dir is configured whole (configuring is cheap) and builds
# only what the pack needs (the target gpu_pack_targets); an existing one (a
# development build named by XFER_GPU_BUILD) keeps its own settings.
build_targets() {
  say "build (in $build)"
  local fresh=()
  [[ -f "$build/CMakeCache.txt" ]] ||
    fresh=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CUDA_ARCHITECTURES=${CUDA_ARCHS:-80;90}")
  cmake -S "$root" -B "$build" -DXFER_CUDA=ON -DXFER_TESTS=ON -DXFER_BENCH=ON "${fresh[@]}"
  cmake --build "$build" -j"${JOBS:-1}" --target gpu_pack_targets
}

# Copies every shared library the staged binaries load into lib/ (glibc
# into glibc/), except what the target provides.
stage_libraries() {
  local stage="$1" lib name
  ldd "$stage"/bin/* | awk '$3 ~ /^\// {print $3} $1 ~ /^\/.*ld-linux/ {print $1}' | sort -u |
    while read -r lib; do
      name="$(basename "$lib")"
      if grep -Eq "$glibc_re" <<<"$name"; then cp -L "$lib" "$stage/glibc/"
      elif ! grep -Eq "$provided" <<<"$name"; then cp -L "$lib" "$stage/lib/"; fi
    done
  # What the binaries expect from the target's glibc.
  objdump -T "$stage"/bin/* "$stage"/lib/* 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV |
    tail -1 >"$stage/glibc_needed"
}

# Packs the binaries that gpu_pack_targets.txt names, as this build has them.
# Exit 2 (a skip) for a build without the CUDA backend; 1 when one is not
# built.
stage_pack() {
  say "pack (from $build)"
  local list="$build/gpu_pack_targets.txt" stage="$build/gpu_pack" kind name file missing=()
  [[ -f "$list" ]] || die "no $list: $build is not a configured build of this project"
  [[ -s "$list" ]] || die "skipped: $build has no CUDA backend (configured with XFER_CUDA=OFF or\
 without the CUDA toolkit, cuDNN and NCCL): there is no GPU pack to make"
  while read -r kind name file; do [[ -x "$file" ]] || missing+=("$name"); done <"$list"
  ((${#missing[@]} == 0)) || die "not built in $build: ${missing[*]} (cmake --build $build --target gpu_pack_targets)" 1
  grep -q "^bench $bench " "$list" || die "$build has no $bench (configure it with -DXFER_BENCH=ON)" 1
  rm -rf "$stage" && mkdir -p "$stage/bin" "$stage/lib" "$stage/glibc"
  while read -r kind name file; do
    cp "$file" "$stage/bin/"
    if [[ $kind == test ]]; then echo "$name" >>"$stage/tests.txt"; fi
  done <"$list"
  strip --strip-unneeded "$stage"/bin/* 2>/dev/null || true
  cp "$root/scripts/gpu_check.sh" "$root/bench/gpu/torch_caffenet.py" "$stage/"
  stage_libraries "$stage"
  tar -C "$build" -czf "$build/gpu_pack.tgz" gpu_pack
  echo "tests: $(paste -sd' ' "$stage/tests.txt"); benchmark: $bench"
  echo "packed $(ls "$stage/bin" | wc -l) binaries and $(ls "$stage/lib" | wc -l) libraries:" \
    "$build/gpu_pack.tgz ($(du -h "$build/gpu_pack.tgz" | cut -f1)); needs $(cat "$stage/glibc_needed")"
}

pack() {
  build_targets
  stage_pack
}

# ---------------------------------------------------------------------------
# rehearse: the pack alone, in a clean environment

# Prints "file: library" for each library that a file of the pack needs and
# that neither the pack nor the target's PyTorch/driver provides.
unresolved() {
  local p="$1" f line name
  for f in "$p"/bin/* "$p"/lib/*; do
    env -i PATH=/usr/bin:/bin "LD_LIBRARY_PATH=$p/lib:$p/glibc" ldd "$f" 2>&1 |
      while read -r line; do
        name="${line%% *}"
        [[ $name == lib* || $name == ld-linux* ]] || continue
        grep -Eq "$provided" <<<"$name" && continue
        # Found by name inside the pack, wherever this machine's loader found it.
        [[ -e "$p/lib/$name" || -e "$p/glibc/$name" ]] && continue
        echo "$(basename "$f"): $name (${line#*=> })"
      done
  done
}

rehearse() {
  local tgz="${1:-$build/gpu_pack.tgz}" work p bad size_kib
  [[ -f "$tgz" ]] || die "no pack at $tgz: run '$0 pack' first"
  work="$(mktemp -d "${TMPDIR:-/tmp}/xfer_gpu_rehearse.XXXXXX")"
  trap 'rm -rf "$work"' RETURN
  tar -C "$work" -xzf "$tgz"
  p="$work/gpu_pack"
  size_kib="$(du -k "$tgz" | cut -f1)"
  echo "pack: $tgz, $((size_kib / 1024)) MiB ($size_kib KiB; limit $max_pack_mib MiB);" \
    "$(ls "$p/bin" | wc -l) binaries, $(ls "$p/lib" | wc -l) libraries"
  [[ -s "$p/tests.txt" ]] || { echo "FAILED: the pack names no GPU test (tests.txt)"; return 1; }
  local t
  while read -r t; do
    [[ -x "$p/bin/$t" ]] || { echo "FAILED: tests.txt names $t, which the pack lacks"; return 1; }
  done <"$p/tests.txt"
  [[ -x "$p/bin/$bench" ]] || { echo "FAILED: the pack lacks $bench"; return 1; }
  echo "tests: $(paste -sd' ' "$p/tests.txt")"
  bad="$(unresolved "$p" | sort -u)"
  if [[ -n "$bad" ]]; then
    echo "FAILED: needed but neither packed nor provided by the target:"; echo "$bad"; return 1
  fi
  echo "every binary and library resolves inside the pack, apart from the driver and" \
    "PyTorch's CUDA libraries"
  ((size_kib <= max_pack_mib * 1024)) || { echo "FAILED: the pack is over $max_pack_mib MiB"; return 1; }
  echo "rehearsal passed"
}

# ---------------------------------------------------------------------------
# preflight: every reason the run could not work, in seconds

find_python() {
  local c
  for c in ${PYTHON:-} python3 python /opt/conda/bin/python3 /usr/local/bin/python3; do
    if command -v "$c" >/dev/null && timeout 20 "$c" -c 'import torch' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  return 1
}

# The folders under site-packages/nvidia that hold PyTorch's CUDA libraries.
torch_cuda_dirs() {
  local sp
  sp="$(timeout 20 "$1" -c 'import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))')"
  find "$sp/nvidia" -name 'lib*.so*' -printf '%h\n' 2>/dev/null | sort -u | paste -sd:
}

check_driver() {
  command -v nvidia-smi >/dev/null || { echo "no nvidia-smi: no NVIDIA driver installed"; return 1; }
  timeout 20 nvidia-smi -L || { echo "nvidia-smi failed: the driver is not working"; return 1; }
  ldconfig -p 2>/dev/null | grep -q 'libcuda\.so\.1' ||
    [[ -n "$(find /usr/lib* /lib* -maxdepth 3 -name 'libcuda.so.1' 2>/dev/null | head -1)" ]] ||
    { echo "libcuda.so.1 (the driver's CUDA library) is not installed"; return 1; }
  local cuda
  cuda="$(timeout 20 nvidia-smi | grep -o 'CUDA Version: [0-9]*' | grep -o '[0-9]*$' || true)"
  echo "driver supports CUDA ${cuda:-unknown}"
  [[ -z "$cuda" || "$cuda" -ge 13 ]] || { echo "the driver supports CUDA $cuda; CUDA 13 is needed"; return 1; }
}

check_torch() {
  local py="$1" ver dirs lib
  ver="$(timeout 30 "$py" -c 'import torch; print(torch.__version__, torch.version.cuda)')"
  echo "torch and CUDA: $ver"
  [[ "${ver#* }" == 13* ]] || { echo "this PyTorch is not built for CUDA 13 ($ver)"; return 1; }
  dirs="$(torch_cuda_dirs "$py")"
  for lib in libcudnn.so.9 libcublas.so.13 libcudart.so.13 libnccl.so.2; do
    [[ -n "$(tr ':' '\n' <<<"$dirs" | while read -r d; do ls "$d/$lib" 2>/dev/null; done)" ]] ||
      { echo "PyTorch's nvidia wheels lack $lib (looked in: ${dirs:-no site-packages/nvidia})"; return 1; }
  done
}

check_memory() {
  local free
  free="$(timeout 20 nvidia-smi --query-gpu=memory.free --format=csv,noheader,nounits | head -1)"
  echo "free GPU memory: ${free:-unknown} MiB (need ${MIN_FREE_MIB:-24576})"
  [[ -n "$free" && "$free" -ge "${MIN_FREE_MIB:-24576}" ]] || { echo "not enough free GPU memory"; return 1; }
}

# The glibc check needs the unpacked pack ($1); without one it is skipped.
check_glibc() {
  local have need
  have="$(getconf GNU_LIBC_VERSION | awk '{print $2}')"
  [[ -n "${1:-}" && -f "$1/glibc_needed" ]] || { echo "glibc $have"; return 0; }
  need="$(sed 's/GLIBC_//' "$1/glibc_needed")"
  echo "glibc $have; the pack needs $need"
  if [[ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]]; then
    ls "$1"/glibc/ld-linux* >/dev/null 2>&1 || { echo "glibc too old and none packed"; return 1; }
    echo "(older than needed: the binaries start through the packed glibc)"
  fi
}

preflight() {
  local pack_dir="${1:-}" py
  say "preflight"
  [[ "$(uname -m)" == x86_64 ]] || { echo "FAILED: $(uname -m) machine; the pack is x86-64"; return 3; }
  check_glibc "$pack_dir" || { echo "FAILED: glibc"; return 3; }
  check_driver || { echo "FAILED: driver"; return 3; }
  py="$(find_python)" || { echo "FAILED: no Python that imports torch (set PYTHON)"; return 3; }
  echo "python: $py"
  check_torch "$py" || { echo "FAILED: PyTorch"; return 3; }
  check_memory || { echo "FAILED: GPU memory"; return 3; }
  echo "preflight passed"
}

# ---------------------------------------------------------------------------
# run

# Sets launch=(...): how to start a packed binary with the pack's libraries
# and PyTorch's CUDA libraries.
set_launch() {
  local p="$1" ld="$2" need have
  need="$(sed 's/GLIBC_//' "$p/glibc_needed")"
  have="$(getconf GNU_LIBC_VERSION | awk '{print $2}')"
  if [[ -z "${XFER_PACKED_GLIBC:-}" &&
        "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" == "$need" ]]; then
    launch=(env "LD_LIBRARY_PATH=$ld")
  else
    launch=("$(ls "$p"/glibc/ld-linux*)" --library-path "$p/glibc:$ld")
  fi
}

# Runs one step under its time limit with its log in $logs; prints the log
# whole when it failed (or skipped what should have run), its tail otherwise.
step() {
  local name="$1" secs="$2" rc=0
  shift 2
  local log="$logs/$name.log"
  echo "$name (limit ${secs} s): log $log"
  timeout --kill-after=5 "$secs" "$@" >"$log" 2>&1 || rc=$?
  if ((rc == 124 || rc == 137)); then
    cat "$log"; echo "$name: TIMED OUT after $secs s"; return 1
  elif ((rc != 0)); then
    cat "$log"; echo "$name: FAILED (exit $rc)"; return 1
  elif grep -q '^\[  SKIPPED \]' "$log"; then
    cat "$log"; echo "$name: tests were SKIPPED although a GPU was expected"; return 1
  fi
  tail -n 8 "$log"; echo "$name: passed"
}

run_benchmarks() {
  local p="$1" py="$2" args failed=0
  : >"$logs/results.txt"
  for tf32 in 0 1; do
    args=(--batch "${BENCH_BATCH:-256}" --tf32 "$tf32" --iters "${BENCH_ITERS:-20}" --warmup 5)
    # Timed algorithm search, as PyTorch's cudnn.benchmark (ours stays deterministic).
    step "xfer_step_tf32_$tf32" "${limit[bench]}" env XFER_CUDNN_BENCHMARK=1 \
      "${launch[@]}" "$p/bin/$bench" --network caffenet "${args[@]}" || failed=1
    step "torch_step_tf32_$tf32" "${limit[bench]}" "$py" "$p/torch_caffenet.py" "${args[@]}" ||
      failed=1
    grep -h '^RESULT' "$logs/xfer_step_tf32_$tf32.log" "$logs/torch_step_tf32_$tf32.log" \
      >>"$logs/results.txt" 2>/dev/null || true
  done
  say "summary (images/s; goal: xfer >= torch at each precision)"
  "$py" - "$logs/results.txt" <<'PY'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    kv = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line))
    rows[(kv["precision"], kv["impl"].split("-")[0])] = float(kv["images_per_s"])
for prec in ("fp32", "tf32"):
    x, t = rows.get((prec, "xfer")), rows.get((prec, "torch"))
    ratio = f"{x / t:.2f}" if x and t else "n/a"
    print(f"{prec}: xfer {x or 'n/a'}  torch {t or 'n/a'}  xfer/torch {ratio}")
PY
  return "$failed"
}

run() {
  local tgz="${1:-$build/gpu_pack.tgz}" work p py dirs failed=0
  [[ -f "$tgz" ]] || die "no pack at $tgz: run '$0 pack' first"
  work="$(mktemp -d "${TMPDIR:-/tmp}/xfer_gpu_check.XXXXXX")"
  logs="${OUT:-$work/logs}"
  mkdir -p "$logs"
  # Everything this run prints goes to the output folder as it is printed.
  exec > >(tee -a "$logs/gpu_check.log") 2>&1
  echo "gpu_check run: $(date -u +%FT%TZ) on $(hostname); logs in $logs"
  tar -C "$work" -xzf "$tgz"
  p="$work/gpu_pack"
  preflight "$p" || die "preflight failed: nothing was run" 3
  py="$(find_python)"
  dirs="$(torch_cuda_dirs "$py")"
  echo "CUDA libraries from: $dirs"
  set_launch "$p" "$p/lib:$dirs"
  # One rank on one machine: NCCL's bootstrap over loopback needs no network,
  # which the GPU machine may not have.
  export XFER_NCCL_TIMEOUT_S=60 NCCL_DEBUG="${NCCL_DEBUG:-WARN}"
  export NCCL_SOCKET_IFNAME="${NCCL_SOCKET_IFNAME:-lo}"
  say "GPU tests"
  local t
  while read -r t <&3; do
    step "$t" "${limit[$t]:-$default_limit}" "${launch[@]}" "$p/bin/$t" || failed=1
  done 3<"$p/tests.txt"
  say "CaffeNet training step, batch ${BENCH_BATCH:-256}: xfer beside PyTorch"
  run_benchmarks "$p" "$py" || failed=1
  echo "finished $(date -u +%FT%TZ); logs in $logs"
  return "$failed"
}

case "${1:-all}" in
  pack) pack ;;
  stage) stage_pack ;;
  rehearse) rehearse "${2:-}" ;;
  preflight) preflight "${2:-}" ;;
  run) run "${2:-}" ;;
  all) pack && run ;;
  *) die "usage: $0 pack | stage | rehearse [PACK.tgz] | preflight | run [PACK.tgz] | all" ;;
esac
