#!/usr/bin/env bash
# test_grid_dry_run.sh: jobs/grid.sh --dry-run on the paper grid prints the
# sbatch lines it would run, without SLURM: one array of the 23 bases and the 7
# random controls, then one array per base with afterok on exactly that base's
# task, each with the cell resources, --requeue and --signal=B:USR1; and its
# checks before submitting: data root, every cell's data folder, the
# trainer's backend.
set -euo pipefail
src=${XFER_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
bin=${XFER_BIN_DIR:-$src/build/bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data"
fail() { echo "test_grid_dry_run: FAIL: $*" >&2; exit 1; }
# Planned without SLURM, whatever this machine has: an squeue that finds no
# controller at once (as on a machine without slurm.conf), not one that retries
# for seconds a call against the slurm.conf another test left behind.
mkdir -p "$work/no-slurm"
printf '#!/bin/sh\necho "squeue: error: no controller (test_grid_dry_run)" >&2\nexit 1\n' >"$work/no-slurm/squeue"
chmod +x "$work/no-slurm/squeue"
export PATH="$work/no-slurm:$PATH"

for s in "$src"/jobs/*.sh "$src"/tests/slurm/*.sh; do bash -n "$s" || fail "syntax: $s"; done
# --help on every script prints its usage and does nothing else (here: writes
# nothing in an empty folder, within seconds).
mkdir -p "$work/help" && cd "$work/help"
for s in "$src"/scripts/*.sh "$src"/jobs/*.sh "$src"/bench/*.sh; do
  out=$(timeout 10 bash "$s" --help 2>&1) || fail "$(basename "$s") --help failed: $out"
  grep -q "^$(basename "$s"):" <<<"$out" || fail "$(basename "$s") --help does not say what it is: $(head -2 <<<"$out")"
  grep -q "^SBATCH" <<<"$out" && fail "$(basename "$s") --help prints its #SBATCH lines"
  [[ -z $(ls -A) ]] || fail "$(basename "$s") --help wrote $(ls -A)"
done
cd "$src"
# A trainer as `--version` describes one built with both backends: the plan
# is the grid's, and a CPU-only build (-DXFER_CUDA=OFF) must plan it too.
fake_trainer() {  # fake_trainer DIR BACKENDS: the real xfer_grid beside a trainer that has BACKENDS
  mkdir -p "$1" && ln -sf "$bin/xfer_grid" "$1/xfer_grid"
  printf '#!/bin/sh\necho "xfer_train 0.0.0-nogit"\necho "  backends %s"\n' "$2" >"$1/xfer_train"
  chmod +x "$1/xfer_train"
}
fake_trainer "$work/both" "cpu cuda"
dry_run() {
  (cd "$src" && XFER_ROOT="$src" bash jobs/grid.sh --preset paper --results "$work/results" \
     --data "$work/data" --bin "$work/both" --partition gpu --throttle 8 --dry-run "$@" 2>&1)
}

# Checked before anything is submitted, each failure naming what is missing:
# the data root,
msg=$(cd "$src" && XFER_ROOT="$src" bash jobs/grid.sh --preset paper --results "$work/results" \
        --data "$work/no-such-data" --bin "$bin" --dry-run 2>&1) && fail "a missing data root was accepted"
grep -q "data root '$work/no-such-data' does not exist" <<<"$msg" || fail "data root message: $msg"
# every cell's data folder (the loop creates each one the error names: the
# paper grid's data folders, one message at a time),
seen=0
until out=$(dry_run); do
  folder=$(sed -n "s/.*trains on \([^,]*\), which has no view.json or manifest.json.*/\1/p" <<<"$out")
  [[ -n $folder && $folder == "$work/data/"* ]] || fail "not a missing-data message: $out"
  mkdir -p "$folder" && echo '{}' >"$folder/manifest.json"
  seen=$((seen + 1))
  ((seen < 60)) || fail "more than 60 data folders asked for"
done
((seen >= 10)) || fail "only $seen data folders were asked for"
# and a trainer built with the grid's backend (paper: cuda).
fake_trainer "$work/cpu-only" "cpu"
msg=$(cd "$src" && XFER_ROOT="$src" bash jobs/grid.sh --preset paper --results "$work/r2" \
        --data "$work/data" --bin "$work/cpu-only" --dry-run 2>&1) && fail "a CPU-only trainer was accepted for a cuda grid"
grep -q "built without the 'cuda' backend the grid asks for (built: cpu)" <<<"$msg" || fail "backend message: $msg"
echo "test_grid_dry_run: preflight names the data root, $seen data folders one by one, the trainer's backends"
# $out: the dry run that passed the checks.
echo "$out"
grep -q "170 cells, 0 done, 0 already queued or running, 170 to submit in 11 array job(s)" <<<"$out" \
  || fail "unexpected plan"
lines=$(grep -c '^sbatch ' <<<"$out")
[[ $lines == 11 ]] || fail "$lines sbatch lines, expected 11 (the ready array and one per base)"
first=$(grep -m1 '^sbatch ' <<<"$out")
for want in "--array=0-29%8" "--requeue" "--signal=B:USR1@600" "--partition=gpu" "--gpus-per-task=1" \
            "--output=$work/results/logs/%A_%a.out"; do
  [[ $first == *" $want "* ]] || fail "the first array lacks $want: $first"
done
grep -q -- "--dependency=afterok:DRYRUN0_0 --kill-on-invalid-dep=yes" <<<"$out" \
  || fail "no array waits on the first base's task"
[[ $(grep -c -- "--dependency=afterok:DRYRUN0_" <<<"$out") == 10 ]] || fail "10 arrays should wait on bases"
[[ $(wc -l <"$work/results/.slurm/"submit-*/group0.cells) == 30 ]] || fail "the ready group is not 30 cells"
echo "test_grid_dry_run: PASS"
