#!/usr/bin/env bash
# test_resnet_grid.sh: the fashion-mnist-resnet preset, shrunk, run whole by
# `xfer_grid run` on Fashion-MNIST (half0): both bases, the transfers AB and AA
# at n = 1 and 4 frozen and fine-tuned, with the copied stages' batch
# normalisation frozen and trained, and the random control at n = 2 (both bn):
# every cell finishes, each transfer's trainer was given its bn (config.ini),
# and xfer_tables keeps the two bn values apart and labels n by stage.
# shellcheck source=../scratch.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scratch.sh" test_resnet_grid
say() { echo "== $*"; }
source "$src/tests/slurm/lib.sh"
require_programs "$bin" xfer_grid xfer_train xfer_prep_fmnist xfer_verify_data xfer_tables
data=$work/data
prepare_fmnist "$data" "$bin"

results=$work/results
sets=(
  --set base.splits=half0 --set transfer.all.splits=half0 --set transfer.all.directions=AB,AA
  --set transfer.all.n=1,4 --set random.halves.n=2
  --set solver.max_iter=12 --set solver.lr_step=8 --set solver.test_interval=4 --set solver.snapshot_interval=12
  --set solver.batch=32 --set solver.base_lr=0.0125
)
"$bin/xfer_grid" list --preset fashion-mnist-resnet "${sets[@]}" >"$work/list.txt" || fail "xfer_grid list failed"
cells=$(grep -cE '^ +[0-9]+ ' "$work/list.txt")
((cells == 20)) || fail "expected 20 cells (2 bases, 16 transfers, 2 random), listed $cells"
"$bin/xfer_grid" run --preset fashion-mnist-resnet "${sets[@]}" --data "$data" --results "$results" -j 2 --quiet \
  >"$work/run.log" 2>&1 || { tail -20 "$work/run.log" >&2; fail "xfer_grid run failed"; }
"$bin/xfer_grid" status --results "$results" --check >/dev/null || fail "not every cell is done"

# Each cell's trainer got the bn its id names; the bases none.
grep -qx 'bn = train' "$results/half0-AB-n4-finetune-bntrain/config.ini" || fail "half0-AB-n4-finetune-bntrain: no bn = train"
grep -qx 'bn = frozen' "$results/half0-B-random-n2-bnfrozen/config.ini" || fail "half0-B-random-n2-bnfrozen: no bn = frozen"
grep -q '"preset": *"resnet-small"' "$results/half0-A-base/result.json" || fail "the base's result names no resnet-small"

"$bin/xfer_tables" --results "$results" --table main effects >"$work/tables.md" 2>"$work/tables.err" \
  || { cat "$work/tables.err" >&2; fail "xfer_tables failed"; }
for want in '## ours-bnfrozen' '## ours-bntrain' '| AnB | 4 (layer3) |' '| BnB+ | 1 (stem) |'; do
  grep -qF -- "$want" "$work/tables.md" || fail "the tables lack '$want'"
done
grep -qF '| AnB | 5' "$work/tables.md" && fail "the tables count n past resnet-small's 4 stages"
grep -q 'different networks' "$work/tables.err" && fail "one network read as two"
echo "test_resnet_grid: PASS ($cells cells trained; the tables keep bn frozen and train apart, n by stage)"
