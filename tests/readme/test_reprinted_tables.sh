#!/usr/bin/env bash
# test_reprinted_tables.sh: every README block between
#   <!-- reprint: xfer_tables ARGS -->   and   <!-- /reprint -->
# is exactly what `xfer_tables ARGS` prints today, run from the source tree (so
# `--results docs/results/...` reads the committed results). The committed
# results are checked as they are read: a result whose identity is not its
# config.ini's stops xfer_tables. Also: the committed folders hold no checkpoint
# and no absolute path.
# shellcheck source=../scratch.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scratch.sh" test_reprinted_tables
cd "$src"

n=0
while IFS= read -r args; do
  n=$((n + 1))
  awk -v want="<!-- reprint: xfer_tables $args -->" '
    $0 == want {f = 1; next}
    f && /^<!-- \/reprint -->$/ {exit}
    f {print}' README.md >"$work/readme_$n.md"
  # shellcheck disable=SC2086  # ARGS are words, as written in the README
  "$bin/xfer_tables" $args >"$work/printed_$n.md" 2>"$work/printed_$n.err" \
    || { cat "$work/printed_$n.err" >&2; fail "xfer_tables $args failed"; }
  diff "$work/readme_$n.md" "$work/printed_$n.md" >&2 \
    || fail "README's block for 'xfer_tables $args' is not what it prints (diff above: README <, printed >)"
done < <(sed -n 's/^<!-- reprint: xfer_tables \(.*\) -->$/\1/p' README.md)
((n >= 2)) || fail "only $n reprinted blocks in README.md"

for d in docs/results/*/; do
  [[ -z $(find "$d" -name '*.h5') ]] || fail "$d holds checkpoints"
  if grep -rn -e '"/' -e '= /' -e ' /' "$d" | head -3 | grep .; then fail "$d holds an absolute path (above)"; fi
done
echo "test_reprinted_tables: PASS ($n README blocks reprinted exactly from the committed results)"
