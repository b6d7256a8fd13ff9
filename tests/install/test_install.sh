#!/usr/bin/env bash
# test_install.sh: `cmake --install` into a temporary prefix, then the path a
# cluster user takes from another directory, with data and results outside
# the source tree: the installed xfer_grid finds its presets relative to
# itself, a two-cell grid trains with the installed programs, and the
# installed jobs/grid.sh plans a submission (dry run) naming only installed
# files and the user's own folders.
# Environment: XFER_SOURCE_DIR, XFER_BIN_DIR (set by ctest).
set -euo pipefail

src=${XFER_SOURCE_DIR:?}
build=$(cd "${XFER_BIN_DIR:?}/.." && pwd)
work=$(mktemp -d /tmp/xfer_install_XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "test_install: FAIL: $*" >&2; exit 1; }

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "cmake --install"; }
for f in bin/xfer_train bin/xfer_grid bin/xfer_prep_fmnist bin/xfer_tables share/xfer/jobs/grid.sh \
         share/xfer/jobs/cell.sh share/xfer/jobs/grids/paper.ini share/xfer/jobs/grids/fashion-mnist.trainer.ini; do
  [[ -e $prefix/$f ]] || fail "$f not installed"
done

# Every installed program says which code it is.
for b in "$prefix"/bin/xfer_*; do
  "$b" --version >"$work/version.txt" 2>&1 || fail "$(basename "$b") --version failed"
  grep -Eq "^$(basename "$b") [0-9]+\.[0-9]+\.[0-9]+(\+[0-9a-f]+(-dirty)?|-nogit)$" <(head -1 "$work/version.txt") \
    || fail "$(basename "$b") --version: $(head -1 "$work/version.txt")"
done

# From a directory that is neither the source tree nor the prefix.
mkdir -p "$work/user" && cd "$work/user"
"$prefix/bin/xfer_grid" list --preset paper >list.txt 2>&1 || { cat list.txt; fail "xfer_grid list --preset paper"; }
grep -q "from $prefix/share/xfer/jobs/grids/paper.ini" list.txt || fail "the preset was not found beside the installed binary: $(tail -3 list.txt)"
grep -q "170 cells" list.txt || fail "the paper preset does not have 170 cells"

"$prefix/bin/xfer_prep_fmnist" --out data --seeds 0 --reduced "" >prep.log 2>&1 || { cat prep.log; fail "prep"; }
cat >two.ini <<'INI'
[grid]
name = two-cells
network = small
data = data
results = results
[solver]
max_iter = 24
base_lr = 0.01
lr_step = 16
gamma = 0.1
test_interval = 12
snapshot_interval = 12
batch = 32
[base]
splits = half0
[slurm]
ranks = 1
gpus_per_rank = 0
cpus_per_rank = 1
INI
"$prefix/bin/xfer_grid" run --grid two.ini --threads 1 --quiet >run.log 2>&1 || { cat run.log; fail "the two-cell grid"; }
for c in half0-A-base half0-B-base; do
  grep -q '"status": "finished"' "results/$c/result.json" || fail "$c has no finished result"
done
grep -q "$prefix/bin/xfer_train" results/half0-A-base/attempts.jsonl results/half0-A-base/train.log 2>/dev/null \
  || grep -rq "$prefix/bin/xfer_train" results/half0-A-base || fail "the cells did not run the installed trainer"

# The installed driver, from here: a dry run names the installed cell.sh and
# trainer, and the user's results and data folders.
bash "$prefix/share/xfer/jobs/grid.sh" --preset fashion-mnist --dry-run --results res2 --data data \
  >dry.txt 2>&1 || { cat dry.txt; fail "grid.sh --dry-run from the prefix"; }
grep -q "$prefix/share/xfer/jobs/cell.sh" dry.txt || fail "dry run does not use the installed cell.sh: $(head -3 dry.txt)"
grep -q "$prefix/bin/xfer_train" dry.txt || fail "dry run does not use the installed trainer"
grep -q "$work/user/res2" dry.txt || fail "dry run does not put results under the submitting directory"
[[ ! -e $prefix/share/xfer/results && ! -e $prefix/share/xfer/data ]] || fail "something was written into the prefix"
echo "test_install: PASS (installed into $prefix; two cells trained from $work/user)"
