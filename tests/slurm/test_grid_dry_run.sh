#!/usr/bin/env bash
# test_grid_dry_run.sh: jobs/grid.sh --dry-run on the paper grid prints the
# sbatch lines it would run, without SLURM: one array of the 23 bases and the 7
# random controls, then one array per base with afterok on exactly that base's
# task, each with the cell resources, --requeue and --signal=B:USR1.
set -euo pipefail
src=${XFER_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
bin=${XFER_BIN_DIR:-$src/build/bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data"
fail() { echo "test_grid_dry_run: FAIL: $*" >&2; exit 1; }

for s in "$src"/jobs/*.sh "$src"/tests/slurm/*.sh; do bash -n "$s" || fail "syntax: $s"; done
out=$(cd "$src" && XFER_ROOT="$src" bash jobs/grid.sh --preset paper --results "$work/results" \
        --data "$work/data" --bin "$bin" --partition gpu --throttle 8 --dry-run) || fail "grid.sh failed"
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
