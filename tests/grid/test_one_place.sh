#!/usr/bin/env bash
# test_one_place.sh: each fact of the grid is written once. Exit codes are
# named only in src/core/exit_codes.h (no number typed in the C++ of src/,
# analysis/ or data_prep/); no script or make file reads a grid config itself
# (they ask xfer_grid); the wrappers list no preset; and `xfer_grid list`
# refuses a solver setting the trainer would refuse, naming the key.
set -uo pipefail
src=${XFER_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
bin=${XFER_BIN_DIR:-$src/build/bin}
failures=0
fail() { echo "test_one_place: FAIL: $*"; failures=$((failures + 1)); }
cd "$src"

# --- exit codes: by name outside exit_codes.h -------------------------------------
cpp=$(find src analysis data_prep -name '*.cpp' -o -name '*.h' -o -name '*.cu' | grep -v 'src/core/exit_codes.h')
# The stop code anywhere (0.75 is a number, not a code), "exit N" in code,
# comments and help alike.
hits=$(grep -nE '(^|[^.0-9])75([^0-9]|$)|\bexit *\(? *[0-9]|_exit\( *[0-9]' $cpp)
[[ -z $hits ]] || fail "exit codes typed as numbers:"$'\n'"$hits"
# A tool's own code (a main, or a file that speaks in exit codes) returns names.
for f in $(grep -lE 'int main\(|core/exit_codes.h' $cpp); do
  hits=$(grep -nE 'return +[0-9]+;|return .*\? *[0-9]+ *: *[0-9]+;' "$f")
  [[ -z $hits ]] || fail "$f returns an exit code as a number:"$'\n'"$hits"
done
# The wrappers pass the task's code on; they do not map codes.
hits=$(grep -nE '\b(75|rc)\)|case +\$rc' jobs/*.sh)
[[ -z $hits ]] || fail "a job script maps exit codes:"$'\n'"$hits"

# --- no INI parsing outside xfer_grid ----------------------------------------------
shells=$(ls jobs/*.sh scripts/*.sh Makefile.slurm)
hits=$(grep -nE "(awk|sed|grep|cut|read)\b[^#]*(\.ini|ini_value|= \*|' \*= \*')|ini_value|preset_key *= *\\\$\(shell sed" $shells)
[[ -z $hits ]] || fail "a script reads an INI itself:"$'\n'"$hits"
# ...and no preset list: they ask `xfer_grid presets`.
names=$("$bin/xfer_grid" presets | paste -sd'|')
[[ $(tr '|' '\n' <<<"$names" | wc -l) -ge 5 ]] || fail "xfer_grid presets lists fewer than 5 presets: $names"
hits=$(grep -nE "\b($names)\b *[,|] *\b($names)\b" $shells)
[[ -z $hits ]] || fail "a script lists presets:"$'\n'"$hits"

# --- what the trainer refuses, the grid refuses by name ---------------------------
for set in solver.lr_step=0 solver.test_interval=0 solver.snapshot_interval=0 solver.max_iter=0 \
           solver.base_lr=0 solver.gamma=0 solver.batch=0 solver.reduced.lr_step=0; do
  key=${set%%=*}
  err=$("$bin/xfer_grid" list --preset fashion-mnist --set "$set" 2>&1 >/dev/null)
  rc=$?
  [[ $rc != 0 ]] || fail "xfer_grid list accepted $set"
  grep -qF "$key" <<<"$err" || fail "xfer_grid list --set $set does not name $key: $err"
  [[ $(wc -l <<<"$err") == 1 ]] || fail "xfer_grid list --set $set: not one line: $err"
done
# and the trainer refuses the same value (so the grid refuses no more than it).
err=$("$bin/xfer_train" --lr-step 0 --out /nonexistent 2>&1)
grep -q -- "--lr-step must be positive, got 0" <<<"$err" || fail "xfer_train does not refuse --lr-step 0 in the same words: $err"
# `get` answers a computed default; `keys` prints the table.
[[ $("$bin/xfer_grid" get grid.results --preset paper) == results/paper ]] || fail "get grid.results"
keys=$("$bin/xfer_grid" keys)
grep -q "lr_step (integer, positive" <<<"$keys" || fail "xfer_grid keys lacks lr_step's range"

((failures == 0)) || exit 1
echo "test_one_place: PASS"
