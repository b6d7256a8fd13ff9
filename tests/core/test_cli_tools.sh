#!/bin/bash
# test_cli_tools.sh: every tool follows the one command-line convention
# (src/core/cli.h): --help to stdout with --config listed, exit 0; an unknown
# option, an unreadable --config file or a bad value: one line on stderr
# ending "(see TOOL --help)", nothing on stdout, exit 2; a runtime error: one
# line "TOOL: error: ..." naming the file, exit 1.
set -u
bin=${XFER_BIN_DIR:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect TOOL RC WHAT ARGS...: runs TOOL ARGS, checks the exit code and that
# stderr is one line holding WHAT (and the --help hint for usage errors).
expect() {
  local tool=$1 rc=$2 what=$3; shift 3
  "$bin/$tool" "$@" >"$work/out" 2>"$work/err"
  local got=$?
  [[ $got == "$rc" ]] || { fail "$tool $*: exit $got, not $rc: $(cat "$work/err")"; return; }
  [[ $(wc -l <"$work/err") == 1 ]] || fail "$tool $*: stderr is not one line: $(cat "$work/err")"
  grep -qF -- "$what" "$work/err" || fail "$tool $*: stderr does not say '$what': $(cat "$work/err")"
  [[ -s $work/out ]] && fail "$tool $*: a usage error printed to stdout: $(head -3 "$work/out")"
  if [[ $rc == 2 ]]; then
    grep -qF "(see $tool --help)" "$work/err" || fail "$tool $*: no --help hint: $(cat "$work/err")"
  fi
}

tools="xfer_train xfer_grid xfer_prep_fmnist xfer_prep_imagenet xfer_prep_images xfer_make_splits xfer_make_views xfer_verify_data xfer_tables xfer_plot"
for tool in $tools; do
  "$bin/$tool" --help >"$work/help" 2>"$work/err" || fail "$tool --help: exit $?"
  grep -q -- "--config" "$work/help" || fail "$tool --help does not list --config"
  [[ -s $work/err ]] && fail "$tool --help wrote to stderr: $(cat "$work/err")"
  "$bin/$tool" --version | head -1 | grep -q "^$tool " || fail "$tool --version does not name it"
  expect "$tool" 2 "--no-such-option" --no-such-option
  expect "$tool" 2 "$work/absent.ini" --config "$work/absent.ini"
  printf 'no-such-key = 1\n' >"$work/bad.ini"
  expect "$tool" 2 "$work/bad.ini" --config "$work/bad.ini"
done

# A config file uses the option names and the command line wins over it.
printf 'max-iter = 0\n' >"$work/train.ini"
expect xfer_train 2 "--max-iter must be positive" --config "$work/train.ini"
"$bin/xfer_train" --config "$work/train.ini" --max-iter 4 --batch 8 --test-interval 4 --threads 1 \
  --synthetic-train 16 --synthetic-val 8 --out "$work/run" >/dev/null 2>&1 \
  || fail "xfer_train: --max-iter on the command line did not win over the config file"
printf 'seeds = 3-1\n' >"$work/prep.ini"
expect xfer_prep_fmnist 2 "3-1" --config "$work/prep.ini" --out "$work/data"
expect xfer_make_splits 2 "3-1" --seeds 3-1
# The same names for the same things.
expect xfer_prep_imagenet 2 "--halves" --halves 0
expect xfer_train 2 "--preset" --preset small
# Runtime errors: exit 1, one line naming the file.
expect xfer_train 1 "$work/nodata" --data "$work/nodata" --out "$work/r2"
"$bin/xfer_verify_data" "$work/nodata" >"$work/out" 2>"$work/err"
[[ $? == 1 ]] && grep -qF "$work/nodata" "$work/out" || fail "xfer_verify_data on a missing folder: $(cat "$work/out" "$work/err")"
# (the analysis tools name every bad input, one line each, then count them)
"$bin/xfer_tables" --results "$work/noresults" >"$work/out" 2>"$work/err"
[[ $? == 1 ]] && grep -qF "$work/noresults" "$work/err" || fail "xfer_tables on a missing folder: $(cat "$work/err")"
expect xfer_grid 1 "$work/noresults" status --preset fashion-mnist --results "$work/noresults"

if ((failures)); then echo "test_cli_tools: $failures failure(s)"; exit 1; fi
echo "test_cli_tools: $(wc -w <<<"$tools") tools follow the convention"
