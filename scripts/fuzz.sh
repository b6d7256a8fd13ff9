#!/usr/bin/env bash
# fuzz.sh: builds the libFuzzer targets of tests/fuzz/ with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer (only those targets and the libraries they
# read with), then runs each from its seed corpus (tests/fuzz/corpus/<target>/)
# for a bounded time and prints its executions and executions per second. Exit
# 1 on any finding (a crash, a sanitizer report, a leak, a hang past 10 s): the
# input that found it is left in <build>/findings/<target>/ and named. Keep it as
# a regression seed in the corpus once fixed.
#   bash scripts/fuzz.sh [--seconds S] [--build DIR] [--jobs N]
# Defaults: 20 s a target, build-fuzz, the machine's cores. ctest runs it (label
# fuzz) with 15 s a target.
set -euo pipefail
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -/p' "$0" | sed '$d;s/^# \{0,1\}//'; exit 0; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=20 build=$root/build-fuzz jobs=$(nproc)
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) echo "fuzz.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
build=$(realpath -m "$build")  # the targets run from inside it
command -v clang++ >/dev/null || { echo "fuzz.sh: no clang++ (scripts/install_deps.sh installs it)" >&2; exit 2; }
targets=(fuzz_result_file fuzz_similarity_file fuzz_caffe_log fuzz_split_def fuzz_grid_config fuzz_manifest fuzz_view fuzz_idx fuzz_image)

if [[ ! -f $build/CMakeCache.txt ]]; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXFER_FUZZ=ON \
    -DXFER_TESTS=OFF -DXFER_BENCH=OFF -DXFER_CUDA=OFF >"$build.configure.log" 2>&1 \
    || { cat "$build.configure.log" >&2; exit 2; }
fi
cmake --build "$build" -j "$jobs" --target "${targets[@]}" >"$build/build.log" 2>&1 \
  || { tail -30 "$build/build.log" >&2; exit 2; }

status=0
printf '%-18s %10s %10s  %s\n' target runs runs/s result
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t findings=$build/findings/$t
  mkdir -p "$corpus" "$findings"
  cp -n "$root/tests/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
  log=$build/$t.log
  # The grid config target resolves relative paths beside its file: run from the build.
  if (cd "$build" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
      "$build/bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$findings/" -print_final_stats=1 "$corpus" >"$log" 2>&1); then
    result=clean
  else
    found=$(ls "$findings" | head -1)
    result="FAILED: ${found:+input $findings/$found, }log $log"
    status=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n "s/^stat::average_exec_per_sec: *//p" "$log" | tail -1)
  printf '%-18s %10s %10s  %s\n' "$t" "${runs:-?}" "${rate:-?}" "$result"
done
exit $status
