#!/usr/bin/env bash
# test_grid_slurm.sh: the grid on a real SLURM. Starts a single-node cluster on
# localhost (start_cluster.sh), prepares Fashion-MNIST with xfer_prep_fmnist,
# and runs a shrunk `fashion-mnist` grid through `sbatch jobs/grid.sh` with the
# real xfer_train, 2 MPI ranks per cell (srun --mpi=pmix). Checks:
#   1. every cell finishes with a result, trained by 2 ranks, transfers after
#      their bases;
#   2. a running cell requeued with `scontrol requeue` resumes from its
#      checkpoint and ends with the same result as an uninterrupted run of the
#      same cell (run beforehand with mpirun -np 2);
#   3. another running cell, sent USR1 the way --signal=B:USR1@<secs> does
#      before a time limit (`scancel --batch --signal=USR1`), checkpoints,
#      requeues itself and resumes;
#   4. resubmitting the grid submits nothing and retrains nothing.
# Exit 77 (skipped) without root or SLURM. Leaves the cluster running and
# cancels its own jobs on the way out.
#
# Environment: XFER_SOURCE_DIR, XFER_BIN_DIR (set by ctest), XFER_SLURM_WORK
# (scratch folder, default <bin>/../slurm-test; the prepared data is kept there).
set -euo pipefail

src=${XFER_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
bin=${XFER_BIN_DIR:-$src/build/bin}
work=${XFER_SLURM_WORK:-$(cd "$bin/.." && pwd)/slurm-test}
t0=$SECONDS

say() { echo "test_grid_slurm [$((SECONDS - t0)) s]: $*"; }
fail() {
  echo "test_grid_slurm: FAIL: $*" >&2
  if [[ -d ${results:-} ]]; then
    "$bin/xfer_grid" status --results "$results" >&2 || true
    for f in "$results"/logs/*.out; do [[ -f $f ]] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }; done
  fi
  exit 1
}

rc=0
bash "$src/tests/slurm/start_cluster.sh" || rc=$?
if ((rc == 77)); then echo "test_grid_slurm: SKIP: no SLURM here (needs root and slurm-wlm)"; exit 77; fi
((rc == 0)) || fail "the SLURM cluster did not start"
source "$src/tests/slurm/lib.sh"
require_programs "$bin" xfer_grid xfer_train xfer_prep_fmnist xfer_verify_data

# --- data ----------------------------------------------------------------------
data=$work/data
prepare_fmnist "$data" "$bin"

# --- the shrunk grid: 13 cells (2 bases, AA/AB x n 1-2 x frozen/finetune, the 2
# continued bases, a random control)
sets=(
  --set base.splits=half0 --set transfer.all.splits=half0 --set transfer.dissim.splits= --set transfer.all.directions=AA,AB
  --set transfer.all.n=1-2 --set transfer.all.modes=frozen,finetune
  --set random.halves.splits=half0 --set random.halves.halves=B --set random.halves.n=1
  --set solver.max_iter=${XFER_SLURM_TEST_ITERS:-60} --set solver.lr_step=40
  --set solver.test_interval=20 --set solver.snapshot_interval=10 --set solver.batch=32
  --set slurm.ranks=2 --set slurm.cpus_per_rank=1 --set slurm.time=10 --set slurm.signal_secs=30
)
results=$work/results
rm -rf "$results" "$work/reference"
mkdir -p "$work"
watched=half0-A-base

# --- the uninterrupted reference of the cell that will be requeued ---------------
say "reference: $watched with mpirun -np 2"
"$bin/xfer_grid" resolve --preset fashion-mnist "${sets[@]}" --out "$work/grid.ini"
"$bin/xfer_grid" run-cell --grid "$work/grid.ini" --id "$watched" --results "$work/reference" \
  --data "$data" --launch mpirun --ranks 2 --threads 1 --quiet >"$work/reference.log" 2>&1 \
  || { cat "$work/reference.log" >&2; fail "the reference run failed"; }

# --- submit, requeue one running cell, wait ---------------------------------------
trap 'cancel_jobs_of "$results"' EXIT

submit() {
  local out=$1
  (cd "$src" && sbatch --wait --output="$out" jobs/grid.sh --preset fashion-mnist "${sets[@]}" \
     --results "$results" --data "$data" --bin "$bin") >/dev/null \
    || { cat "$out" >&2; fail "the driver job failed"; }
  cat "$out"
}

# The first submission is watched as soon as the driver has submitted the
# cells (sbatch --wait may return only seconds after the driver ended, by
# which time an idle machine has finished the cell to be interrupted).
submit_and_go_on() {
  local out=$1
  rm -f "$out"
  (cd "$src" && sbatch --output="$out" jobs/grid.sh --preset fashion-mnist "${sets[@]}" \
     --results "$results" --data "$data" --bin "$bin") >/dev/null || fail "sbatch failed"
  for _ in $(seq 600); do
    grep -qs "xfer_grid: submitted" "$out" && { cat "$out"; return 0; }
    sleep 0.1
  done
  cat "$out" >&2
  fail "the driver job submitted nothing within 60 s"
}

say "sbatch jobs/grid.sh"
submit_and_go_on "$work/driver1.out"

# The job of a cell once it runs and has written a checkpoint.
running_with_checkpoint() {
  local cell=$1 job
  job=$(job_of_cell "$results" "$cell")
  [[ -n $job ]] || fail "$cell was not submitted"
  for _ in $(seq 1200); do
    [[ -f $results/$cell/checkpoint.h5 || -f $results/$cell/result.json ]] && break
    sleep 0.1
  done
  [[ -f $results/$cell/result.json ]] && fail "$cell finished before it could be interrupted; raise XFER_SLURM_TEST_ITERS"
  [[ -f $results/$cell/checkpoint.h5 ]] || fail "$cell wrote no checkpoint within 120 s"
  echo "$job"
}

job=$(running_with_checkpoint "$watched")
say "scontrol requeue $job ($watched, running with a checkpoint)"
scontrol requeue "$job"

# The time-limit path on the next base: USR1 to the batch shell only.
drilled=half0-B-base
job=$(running_with_checkpoint "$drilled")
say "scancel --batch --signal=USR1 $job ($drilled, as before a time limit)"
scancel --batch --signal=USR1 "$job"

# Wait for every cell: done, or one failed.
deadline=$((SECONDS + ${XFER_SLURM_TEST_WAIT:-360}))
while :; do
  status=$("$bin/xfer_grid" status --results "$results" 2>&1) || true
  if "$bin/xfer_grid" status --results "$results" --check >/dev/null 2>&1; then break; fi
  if grep -qE '^[^ ]+ +(failed|stale) ' <<<"$status"; then fail "a cell failed"; fi
  if [[ -z $(squeue -h -j "$(jobs_of_results "$results" | paste -sd,)" 2>/dev/null) ]] &&
     ! "$bin/xfer_grid" status --results "$results" --check >/dev/null 2>&1; then
    sleep 2  # the last task may have left squeue a moment before its result landed
    "$bin/xfer_grid" status --results "$results" --check >/dev/null 2>&1 && break
    fail "no job is left in the queue but some cells are not done"
  fi
  ((SECONDS < deadline)) || fail "the grid did not finish in time"
  sleep 2
done
# Results land before each task's bookkeeping ends: wait for the tasks to leave the queue.
for _ in $(seq 150); do
  [[ -z $(squeue -h -j "$(jobs_of_results "$results" | paste -sd,)" 2>/dev/null) ]] && break
  sleep 0.2
done
say "every cell is done"
"$bin/xfer_grid" status --results "$results"

# --- 1. every cell: a finished result, 2 ranks, transfers after their bases -------
python3 - "$results" "$watched" "$work/reference" "$drilled" <<'EOF' || fail "result checks"
import json, os, sys
results, watched, reference, drilled = sys.argv[1:5]
cells = [d for d in sorted(os.listdir(results)) if os.path.isfile(os.path.join(results, d, "cell.json"))]
assert len(cells) == 13, f"expected 13 cells, found {len(cells)}: {cells}"
def result(d): return json.load(open(os.path.join(d, "result.json")))
def events(c): return [json.loads(l) for l in open(os.path.join(results, c, "attempts.jsonl"))]
for c in cells:
    r = result(os.path.join(results, c))
    assert r["finished"] is True and r["cell_id"] == c, c
    assert r.get("ranks") == 2, f"{c}: trained by {r.get('ranks')} ranks, not 2"
    assert r["iterations"] > 0 and r["curve"], c
    # One identity: the grid's (cell.json) is the one the trainer computed.
    cj = json.load(open(os.path.join(results, c, "cell.json")))
    assert cj["identity"] == r["config_hash"], f"{c}: grid identity {cj['identity']}, trainer's {r['config_hash']}"
    parts = c.split("-")
    base = None
    if len(parts) == 4 and len(parts[1]) == 2:  # a transfer: half0-AA-n1-frozen, ...
        base = f"half0-{parts[1][0]}-base"
    elif c.endswith("-base-continued"):  # a continued base: half0-B-base-continued
        base = c[: -len("-continued")]
    if base:
        base_end = [e for e in events(base) if e["event"] == "exit"][-1]["time"]
        start = [e for e in events(c) if e["event"] == "start"][0]["time"]
        assert start >= base_end, f"{c} started {start}, before its base ended {base_end}"
# 2. the requeued cell resumed from its checkpoint, to the uninterrupted result.
ev = events(watched)
starts = [e for e in ev if e["event"] == "start"]
assert len(starts) >= 2, f"{watched}: {len(starts)} start(s); the requeue did not restart it"
assert starts[-1]["resume"] is True, f"{watched}: the restart did not find checkpoint.h5"
log = open(os.path.join(results, watched, "train.log")).read()
assert "resuming" in log, f"{watched}: the trainer did not say it resumed"
a, b = result(os.path.join(results, watched)), result(os.path.join(reference, watched))
for k in ("iterations", "curve", "statistic", "config_hash"):
    assert a[k] == b[k], f"{watched}: {k} differs after the requeue:\n{a[k]}\nvs uninterrupted\n{b[k]}"
print(f"test_grid_slurm: {len(cells)} cells checked; {watched} resumed after {len(starts) - 1} requeue(s) "
      f"to the uninterrupted result (top-1 {a['statistic'].get('top10_mean_top1')})")
# 3. the USR1 drill: a checkpoint, an exit 75, a self-requeue, a resumed start.
ev = events(drilled)
codes = [e["code"] for e in ev if e["event"] == "exit"]
starts = [e for e in ev if e["event"] == "start"]
assert codes[:1] == [75] and codes[-1] == 0, f"{drilled}: exits {codes}"
assert len(starts) >= 2 and starts[-1]["resume"] is True, f"{drilled}: starts {starts}"
log = open(os.path.join(results, "logs", starts[0]["job"] + ".out")).read()
assert "requeueing " + starts[0]["job"] in log, f"{drilled}: the array task did not requeue itself"
print(f"test_grid_slurm: {drilled} checkpointed on USR1, requeued itself and resumed")
EOF

# --- 3. resubmitting retrains nothing ---------------------------------------------
before=$(cd "$results" && cat */attempts.jsonl | wc -l; stat -c '%n %Y' */result.json | md5sum)
submit "$work/driver2.out" | tee "$work/driver2.tail"
grep -q "13 done, 0 already queued or running, 0 to submit" "$work/driver2.out" \
  || fail "the resubmission planned work: $(cat "$work/driver2.out")"
sleep 2
after=$(cd "$results" && cat */attempts.jsonl | wc -l; stat -c '%n %Y' */result.json | md5sum)
[[ $before == "$after" ]] || fail "the resubmission retrained something"
say "resubmission: nothing submitted, nothing retrained"

# --- 4. the residual preset through sbatch jobs/grid.sh: the bn axis in the cells,
# their trainers and the tables (6 cells: both bases, AB n=1 frozen with the
# copied batch normalisation frozen and trained, the random control n=1 both ways)
rsets=(
  --set base.splits=half0 --set transfer.all.splits=half0 --set transfer.all.directions=AB
  --set transfer.all.n=1 --set transfer.all.modes=frozen --set random.halves.n=1
  --set solver.max_iter=8 --set solver.lr_step=6 --set solver.test_interval=4 --set solver.snapshot_interval=8
  --set solver.batch=32 --set solver.base_lr=0.0125 --set slurm.ranks=1 --set slurm.cpus_per_rank=1 --set slurm.time=10
)
rresults=$work/results-resnet
rm -rf "$rresults"
trap 'cancel_jobs_of "$results"; cancel_jobs_of "$rresults"' EXIT
(cd "$src" && sbatch --wait --output="$work/driver-resnet.out" jobs/grid.sh --preset fashion-mnist-resnet "${rsets[@]}" \
   --results "$rresults" --data "$data" --bin "$bin") >/dev/null || { cat "$work/driver-resnet.out" >&2; fail "the resnet driver job failed"; }
deadline=$((SECONDS + 300))
until "$bin/xfer_grid" status --results "$rresults" --check >/dev/null 2>&1; do
  "$bin/xfer_grid" status --results "$rresults" 2>&1 | grep -qE '^[^ ]+ +(failed|stale) ' && { results=$rresults; fail "a resnet cell failed"; }
  ((SECONDS < deadline)) || { results=$rresults; fail "the resnet grid did not finish in time"; }
  sleep 2
done
ncells=$(find "$rresults" -name result.json | wc -l)
((ncells == 6)) || fail "the resnet grid has $ncells results, not 6"
grep -qx 'bn = train' "$rresults/half0-AB-n1-frozen-bntrain/config.ini" || fail "half0-AB-n1-frozen-bntrain was not given bn = train"
"$bin/xfer_tables" --results "$rresults" --table main >"$work/resnet-tables.md" 2>/dev/null || fail "xfer_tables on the resnet grid failed"
grep -qF '## ours-bntrain' "$work/resnet-tables.md" && grep -qF '| AnB | 1 (stem) |' "$work/resnet-tables.md" \
  || fail "the resnet tables do not keep bn apart by stage: $(head -20 "$work/resnet-tables.md")"
say "fashion-mnist-resnet through sbatch: 6 cells, bn in the ids, the trainers and the tables"
say "PASS"
