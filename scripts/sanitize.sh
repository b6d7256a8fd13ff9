#!/usr/bin/env bash
# sanitize.sh: builds the project with a sanitizer (gcc; the CUDA backend and
# the benchmarks left out) and runs tests under it. Exit 1 on any report.
#   bash scripts/sanitize.sh [address|thread] [--build DIR] [--jobs N] [-- CTEST_ARGS...]
# address (the default): AddressSanitizer + UndefinedBehaviorSanitizer, a UB
#   report stopping the program; runs the unit, data, analysis and faults
#   labels (the tools those tests start are instrumented too), in build-asan.
# thread: ThreadSanitizer over the threaded code: the loader pipeline, the
#   gradient buckets, the locks and the progress line; in build-tsan.
# Reports inside libraries that are not instrumented (Open MPI, HDF5)
# are suppressed in tests/sanitize/*.supp, each with its reason.
set -euo pipefail
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -/p' "$0" | sed '$d;s/^# \{0,1\}//'; exit 0; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kind=address
[[ ${1:-} == address || ${1:-} == thread ]] && { kind=$1; shift; }
build="" jobs=$(nproc) ctest_args=()
while (($#)); do
  case $1 in
    --build) build=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --) shift; ctest_args=("$@"); break ;;
    *) echo "sanitize.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ $kind == address ]] && build=${build:-$root/build-asan} || build=${build:-$root/build-tsan}
build=$(realpath -m "$build")
supp=$root/tests/sanitize

if [[ ! -f $build/CMakeCache.txt ]]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXFER_SANITIZE="$kind" \
    -DXFER_CUDA=OFF -DXFER_BENCH=OFF "${launcher[@]}" >"$build.configure.log" 2>&1 \
    || { cat "$build.configure.log" >&2; exit 2; }
fi
# address: everything those labels run; thread: the binaries tsan.tests names
# (and, through their dependencies, the tools they start).
targets=(all)
if [[ $kind == thread ]]; then
  mapfile -t targets < <(grep -v '^#' "$supp/tsan.tests" | awk 'NF {print $1}')
  regex=$(grep -v '^#' "$supp/tsan.tests" | awk 'NF {print $2}' | paste -sd '|')
fi
echo "sanitize.sh: building $kind in $build"
cmake --build "$build" -j "$jobs" --target "${targets[@]}" >"$build/build.log" 2>&1 \
  || { tail -30 "$build/build.log" >&2; exit 2; }

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
if [[ $kind == address ]]; then
  # exitcode 23 and halt_on_error: a report fails the test that caused it, in
  # the test binary or in a tool it started.
  export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:exitcode=23:detect_stack_use_after_return=1
  export LSAN_OPTIONS=suppressions=$supp/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  selection=(-L 'unit|data|analysis|faults' -LE 'gpu|mpi|slurm|fuzz|pack')
else
  export TSAN_OPTIONS=halt_on_error=1:exitcode=66:second_deadlock_stack=1:suppressions=$supp/tsan.supp
  # Every test that starts threads of its own: the loader's pipeline and
  # shuffler, the trainer's gradient buckets and overlap, the locks, the progress line.
  selection=(-LE 'gpu|slurm|fuzz|pack' -R "$regex")
fi
echo "sanitize.sh: running the tests under $kind"
cd "$build"
ctest --output-on-failure --timeout 1800 "${selection[@]}" "${ctest_args[@]}"
