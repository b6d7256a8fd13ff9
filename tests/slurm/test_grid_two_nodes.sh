#!/usr/bin/env bash
# test_grid_two_nodes.sh: cells whose ranks span SLURM nodes. Starts a second,
# two-node cluster on this machine (start_two_node_cluster.sh: nodes n1 and
# n2, its own slurm.conf through SLURM_CONF) and runs a shrunk
# `fashion-mnist` grid through `sbatch jobs/grid.sh` with 2 ranks per cell and
# one rank per node (`slurm.tasks_per_node = 1`: --nodes=2
# --ntasks-per-node=1). Checks:
#   1. every cell finishes, trained by 2 ranks, one on n1 and one on n2, each
#      node-local rank 0 there (the rank that takes GPU 0 on its node);
#   2. a base requeued while running resumes on both nodes and ends with the
#      same result and weights as the same cell on one node (mpirun -np 2);
#   3. a rank killed (SIGKILL) on n2 ends the cell on n1 within seconds: the
#      job leaves the queue, its log names the node and the task, the cell is
#      failed, not hanging.
# Exit 77 (skipped) without root or SLURM. Stops its cluster on the way out.
#
# Environment: XFER_SOURCE_DIR, XFER_BIN_DIR (set by ctest), XFER_SLURM_WORK
# (scratch folder; the prepared data is shared with test_grid_slurm.sh).
set -euo pipefail

src=${XFER_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
bin=${XFER_BIN_DIR:-$src/build/bin}
work=${XFER_SLURM_WORK:-$(cd "$bin/.." && pwd)/slurm-test}
cluster=$work/two-nodes
t0=$SECONDS
say() { echo "test_grid_two_nodes [$((SECONDS - t0)) s]: $*"; }
fail() {
  echo "test_grid_two_nodes: FAIL: $*" >&2
  for r in "${results:-}" "${results_kill:-}"; do
    [[ -d $r ]] || continue
    "$bin/xfer_grid" status --results "$r" >&2 || true
    for f in "$r"/logs/*.out; do [[ -f $f ]] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }; done
  done
  exit 1
}

rc=0
bash "$src/tests/slurm/start_two_node_cluster.sh" "$cluster" || rc=$?
if ((rc == 77)); then echo "test_grid_two_nodes: SKIP: no SLURM here (needs root and slurm-wlm)"; exit 77; fi
((rc == 0)) || fail "the two-node cluster did not start"
export SLURM_CONF=$cluster/slurm.conf
cleanup() {
  scancel --user="$(id -un)" 2>/dev/null || true
  bash "$src/tests/slurm/start_two_node_cluster.sh" "$cluster" --stop || true
}
trap cleanup EXIT
source "$src/tests/slurm/lib.sh"
require_programs "$bin" xfer_grid xfer_train xfer_prep_fmnist xfer_verify_data
data=$work/data
prepare_fmnist "$data" "$bin"

# 3 cells: both bases of half0 and AB n=1 frozen; 2 ranks, one per node.
sets=(
  --set base.splits=half0 --set transfer.all.splits=half0 --set transfer.dissim.splits= --set transfer.all.directions=AB
  --set base.continued=false
  --set transfer.all.n=1 --set transfer.all.modes=frozen --set random.halves.splits=
  --set solver.max_iter=${XFER_SLURM_TEST_ITERS:-60} --set solver.lr_step=40
  --set solver.test_interval=20 --set solver.snapshot_interval=10 --set solver.batch=32
  --set slurm.ranks=2 --set slurm.tasks_per_node=1 --set slurm.cpus_per_rank=1
  --set slurm.time=10 --set slurm.signal_secs=30
)
results=$work/two-nodes-results
results_kill=$work/two-nodes-kill
rm -rf "$results" "$results_kill" "$work/two-nodes-reference"
watched=half0-A-base

say "reference: $watched on one node with mpirun -np 2"
"$bin/xfer_grid" resolve --preset fashion-mnist "${sets[@]}" --out "$work/two-nodes.ini"
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
  "$bin/xfer_grid" run-cell --grid "$work/two-nodes.ini" --id "$watched" \
  --results "$work/two-nodes-reference" --data "$data" --launch mpirun --ranks 2 --threads 1 \
  --quiet >"$work/two-nodes-reference.log" 2>&1 \
  || { cat "$work/two-nodes-reference.log" >&2; fail "the reference run failed"; }

submit() {  # results-folder driver-output [more grid.sh arguments]
  local r=$1 out=$2
  shift 2
  rm -f "$out"
  (cd "$src" && sbatch --output="$out" jobs/grid.sh --preset fashion-mnist "${sets[@]}" \
     --results "$r" --data "$data" --bin "$bin" "$@") >/dev/null || fail "sbatch failed"
  for _ in $(seq 600); do
    [[ -s $r/.slurm/submitted.tsv ]] && grep -q "submitted" "$out" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$out" >&2
  fail "the driver job submitted nothing within 60 s"
}
wait_for() {  # file, what
  for _ in $(seq 1200); do [[ -f $1 ]] && return 0; sleep 0.1; done
  fail "$2: $1 did not appear within 120 s"
}

say "sbatch jobs/grid.sh, 2 ranks per cell, one per node"
submit "$results" "$work/two-nodes-driver.out"
wait_for "$results/$watched/checkpoint.h5" "$watched running"
[[ -f $results/$watched/result.json ]] && fail "$watched finished before it could be requeued"
job=$(job_of_cell "$results" "$watched")
say "scontrol requeue $job ($watched, running on both nodes)"
scontrol requeue "$job"

deadline=$((SECONDS + ${XFER_SLURM_TEST_WAIT:-360}))
until "$bin/xfer_grid" status --results "$results" --check >/dev/null 2>&1; do
  status=$("$bin/xfer_grid" status --results "$results" 2>&1) || true
  grep -qE '^[^ ]+ +(failed|stale) ' <<<"$status" && fail "a cell failed"
  ((SECONDS < deadline)) || fail "the grid did not finish in time"
  sleep 2
done
say "every cell is done"

# Debian's python3 has h5py (python3-h5py); another python3 may come first in PATH.
py=""
for p in /usr/bin/python3 python3; do "$p" -c "import h5py" 2>/dev/null && { py=$p; break; }; done
[[ -n $py ]] || fail "no python3 with h5py (scripts/install_deps.sh installs python3-h5py)"
"$py" - "$results" "$watched" "$work/two-nodes-reference" <<'PY' || fail "result checks"
import json, os, re, sys
import h5py, numpy as np
results, watched, reference = sys.argv[1:4]
cells = [d for d in sorted(os.listdir(results)) if os.path.isfile(os.path.join(results, d, "cell.json"))]
assert len(cells) == 3, f"expected 3 cells, found {cells}"
for c in cells:
    r = json.load(open(os.path.join(results, c, "result.json")))
    assert r["finished"] is True and r.get("ranks") == 2, f"{c}: {r.get('ranks')} ranks"
    log = open(os.path.join(results, c, "train.log")).read()
    placed = set(re.findall(r"\(node (n[12])\), rank (\d)/2, node-local rank (\d) of 1", log))
    assert {("n1", "0", "0"), ("n2", "1", "0")} <= placed, f"{c}: placement {placed}"
starts = [json.loads(l) for l in open(os.path.join(results, watched, "attempts.jsonl"))
          if '"start"' in l]
assert len(starts) >= 2 and starts[-1]["resume"] is True, f"{watched}: starts {starts}"
a = json.load(open(os.path.join(results, watched, "result.json")))
b = json.load(open(os.path.join(reference, watched, "result.json")))
for k in ("iterations", "curve", "config_hash"):
    assert a[k] == b[k], f"{watched}: {k} differs across nodes:\n{a[k]}\nvs one node\n{b[k]}"
with h5py.File(os.path.join(results, watched, "final.h5")) as fa, \
     h5py.File(os.path.join(reference, watched, "final.h5")) as fb:
    worst = 0.0
    for layer in fa["params"]:
        for t in ("weights", "bias"):
            x, y = fa["params"][layer][t][()], fb["params"][layer][t][()]
            worst = max(worst, float(np.max(np.abs(x - y)) / (np.max(np.abs(y)) + 1e-12)))
    assert worst <= 1e-5, f"{watched}: weights differ across nodes by {worst:.3g} (relative)"
print(f"test_grid_two_nodes: 3 cells on n1+n2; {watched} requeued and resumed across both "
      f"nodes to the one-node result (worst relative weight difference {worst:.2g})")
PY

# --- a rank killed on n2 ends the cell on n1 -----------------------------------
say "a long cell, then SIGKILL of its rank on n2"
submit "$results_kill" "$work/two-nodes-kill-driver.out" --set solver.max_iter=100000
victim=""
for _ in $(seq 600); do
  for p in $(pgrep -f "xfer_train.*$results_kill" || true); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "SLURMD_NODENAME=n2" && victim=$p && break
  done
  [[ -n $victim ]] && grep -qs "placed on" "$results_kill"/*/train.log && break
  sleep 0.1
done
[[ -n $victim ]] || fail "no rank of the long cell started on n2"
# The victim's cell: its --out folder.
cell=$(tr '\0' '\n' <"/proc/$victim/cmdline" | grep -A1 -x -- --out | tail -1 | xargs basename)
kjob=$(job_of_cell "$results_kill" "$cell")
kill -9 "$victim"
killed_at=$SECONDS
# The job leaves the queue (an squeue that fails, as it can on a loaded
# controller, is no answer), and the runner records the failure as it ends.
left_queue() { local q; q=$(squeue -h -j "$kjob" -o %i 2>/dev/null) && [[ -z $q ]]; }
until left_queue; do
  ((SECONDS - killed_at < 60)) || fail "$cell still in the queue 60 s after its rank on n2 was killed"
  sleep 0.5
done
gone=$((SECONDS - killed_at))
# squeue can stop listing the job while slurmd still tears its step down (a
# loaded machine): a rank outlives the job when it is still there 15 s later.
for _ in $(seq 30); do
  pgrep -f "xfer_train.*$results_kill/$cell" >/dev/null || break
  sleep 0.5
done
pgrep -f "xfer_train.*$results_kill/$cell" >/dev/null && fail "a rank of $cell outlived the job by 15 s"
grep -hs "n2: task 1" "$results_kill"/logs/*.out | head -1 | grep -q . \
  || fail "the job log does not name node n2 and task 1"
until "$bin/xfer_grid" status --results "$results_kill" 2>&1 | grep -E "^$cell +failed" >/dev/null; do
  ((SECONDS - killed_at < 90)) \
    || fail "$cell is not shown failed: $("$bin/xfer_grid" status --results "$results_kill" 2>&1)"
  sleep 0.5
done
say "killed on n2: the job ended in ${gone} s, its log names n2 and task 1, $cell is failed"
say "PASS"
