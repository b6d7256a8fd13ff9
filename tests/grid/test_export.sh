#!/usr/bin/env bash
# test_export.sh: `xfer_grid export` on a real, shrunk fashion-mnist grid
# trained by the real xfer_train (half0, AA and AB at n = 1, frozen and
# fine-tuned, the continued bases: 8 cells of 16 steps). Checks:
#   1. the export holds each finished cell's result.json, config.ini and
#      cell.json and the grid.ini, no checkpoint, and no absolute path;
#   2. xfer_tables prints the same tables from the export as from the results;
#   3. (faults) a config.ini edited after its run: xfer_tables names the
#      result.json, says its identity is not its config's, exits non-zero;
#   4. (faults) an unfinished cell is named and not exported; export exits non-zero.
# shellcheck source=../scratch.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scratch.sh" test_export
for b in xfer_grid xfer_train xfer_prep_fmnist xfer_tables xfer_make_views; do
  [[ -x $bin/$b ]] || fail "$bin/$b is missing (build everything first)"
done
[[ -d /usr/share/datasets/fashion-mnist ]] || { echo "test_export: skipped: no /usr/share/datasets/fashion-mnist"; exit 77; }

"$bin/xfer_prep_fmnist" --out "$work/data" --seeds 0 --reduced "" --no-dissim >/dev/null || fail "xfer_prep_fmnist failed"
sets=(
  --set base.splits=half0 --set transfer.all.splits=half0 --set transfer.dissim.splits= --set transfer.all.directions=AA,AB
  --set transfer.all.n=1 --set transfer.all.modes=frozen,finetune --set random.halves.splits=
  --set solver.max_iter=16 --set solver.lr_step=12 --set solver.test_interval=4 --set solver.snapshot_interval=8
  --set solver.batch=32
)
results=$work/results
"$bin/xfer_grid" run --preset fashion-mnist "${sets[@]}" --data "$work/data" --results "$results" -j 2 \
  >"$work/run.log" 2>&1 || { tail -20 "$work/run.log" >&2; fail "the grid did not run"; }

# 1. what is exported, and no path of this machine
out=$work/export
"$bin/xfer_grid" export --results "$results" --out "$out" >"$work/export.log" 2>&1 \
  || { cat "$work/export.log" >&2; fail "export failed"; }
grep -q "exported 8 finished cell(s)" "$work/export.log" || fail "not 8 cells exported: $(cat "$work/export.log")"
[[ -f $out/grid.ini ]] || fail "no grid.ini exported"
for f in result.json config.ini cell.json; do
  (($(find "$out" -name "$f" | wc -l) == 8)) || fail "not 8 $f files exported"
done
[[ -z $(find "$out" -name '*.h5' -o -name '*.log' -o -name '*.jsonl') ]] || fail "checkpoints or logs exported"
if grep -rn -e "$work" -e '"/' -e '= /' -e ' /' "$out"; then fail "an absolute path is in the export (above)"; fi
grep -q '^out = half0-AB-n1-frozen$' "$out/half0-AB-n1-frozen/config.ini" || fail "the cell's --out is not relative to the results"
grep -q '^base = half0-A-base/final.h5$' "$out/half0-AB-n1-frozen/config.ini" || fail "the base is not relative to the results"

# 2. the same tables
tables=(--table main effects uncertainty networks)
"$bin/xfer_tables" --results "$results" "${tables[@]}" >"$work/from_results.md" 2>"$work/from_results.err" \
  || { cat "$work/from_results.err" >&2; fail "xfer_tables on the results failed"; }
"$bin/xfer_tables" --results "$out" "${tables[@]}" >"$work/from_export.md" 2>"$work/from_export.err" \
  || { cat "$work/from_export.err" >&2; fail "xfer_tables on the export failed"; }
diff "$work/from_results.md" "$work/from_export.md" || fail "the export gives other tables (diff above)"
grep -q "half0-AB-n1-finetune" "$work/from_export.md" || fail "the networks table lacks a cell"

# 3. a config edited after the run
sed -i 's/^base-lr = .*/base-lr = 0.5/' "$out/half0-AB-n1-frozen/config.ini"
if "$bin/xfer_tables" --results "$out" --table main >/dev/null 2>"$work/tampered.err"; then
  fail "xfer_tables accepted a result whose config.ini was edited"
fi
grep -q "error: $out/half0-AB-n1-frozen/result.json: identity [0-9a-f]* is not [0-9a-f]*, the identity of the config.ini beside it" \
  "$work/tampered.err" || fail "no line naming the edited cell: $(cat "$work/tampered.err")"

# 4. an unfinished cell
rm "$results/half0-AA-n1-finetune/result.json"
if "$bin/xfer_grid" export --results "$results" --out "$work/export2" >"$work/export2.log" 2>&1; then
  fail "export succeeded with an unfinished cell"
fi
grep -q "1 cell(s) not finished, not exported: half0-AA-n1-finetune" "$work/export2.log" \
  || fail "the unfinished cell is not named: $(cat "$work/export2.log")"
[[ ! -e $work/export2/half0-AA-n1-finetune ]] || fail "the unfinished cell was exported"
echo "test_export: PASS (8 cells exported without a path of this machine; the same tables; an edited config and an unfinished cell named)"
