#!/usr/bin/env bash
# test_grid_slurm_faults.sh: a diverged cell under a real SLURM. A tiny grid
# (two bases, a transfer from the A base, a random control) goes through
# jobs/grid.sh with tests/grid/fake_trainer.sh as the trainer, and the A base
# diverges at iteration 5 (exit 3, result.json "status": "diverged"). Checks:
#   1. its array task ends FAILED with exit 3 and is not requeued, and the
#      transfer waiting on it (afterok) never starts;
#   2. `xfer_grid status` shows the base failed with where it diverged, the
#      transfer not started because of it, the other cells done; and asking
#      sacct (accounting is off on this cluster) adds nothing and breaks nothing;
#   3. a resubmission leaves both out, names them, and submits nothing.
# Exit 77 (skipped) without root or SLURM. Cancels its own jobs on the way out.
set -euo pipefail

src=${XFER_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
bin=${XFER_BIN_DIR:-$src/build/bin}
work=${XFER_SLURM_WORK:-$(cd "$bin/.." && pwd)/slurm-test}/faults
t0=$SECONDS
say() { echo "test_grid_slurm_faults [$((SECONDS - t0)) s]: $*"; }
fail() {
  echo "test_grid_slurm_faults: FAIL: $*" >&2
  [[ -d ${results:-} ]] && "$bin/xfer_grid" status --results "$results" >&2 || true
  exit 1
}

rc=0
bash "$src/tests/slurm/start_cluster.sh" || rc=$?
if ((rc == 77)); then echo "test_grid_slurm_faults: SKIP: no SLURM here (needs root and slurm-wlm)"; exit 77; fi
((rc == 0)) || fail "the SLURM cluster did not start"
[[ -x $bin/xfer_grid ]] || fail "$bin/xfer_grid is missing (build it first)"

# The grid's programs: the real xfer_grid, the fake trainer as xfer_train.
rm -rf "$work"
mkdir -p "$work/bin" "$work/data/half0A" "$work/data/half0B"
# grid.sh checks every cell's data folder is there; the fake trainer reads nothing.
echo '{}' >"$work/data/half0A/manifest.json"
echo '{}' >"$work/data/half0B/manifest.json"
ln -s "$bin/xfer_grid" "$work/bin/xfer_grid"
ln -s "$src/tests/grid/fake_trainer.sh" "$work/bin/xfer_train"
results=$work/results
sets=(
  --set base.splits=half0 --set transfer.all.splits=half0 --set transfer.dissim.splits= --set transfer.all.directions=AB
  --set base.continued=false
  --set transfer.all.n=1 --set transfer.all.modes=frozen --set random.halves.splits=half0
  --set random.halves.halves=B --set random.halves.n=2 --set solver.max_iter=12
  --set solver.snapshot_interval=4 --set slurm.ranks=1 --set slurm.cpus_per_rank=1
  --set slurm.time=5
)
submit() {
  (cd "$src" && bash jobs/grid.sh --preset fashion-mnist "${sets[@]}" --results "$results" \
     --data "$work/data" --bin "$work/bin") 2>&1
}
source "$src/tests/slurm/lib.sh"
trap 'cancel_jobs_of "$results"' EXIT
job_of() { job_of_cell "$results" "$1"; }

# sbatch passes this environment on to the tasks (--export=ALL).
export FAKE_DIVERGE_AT=5 FAKE_FAULT_CELL=half0-A-base
say "submitting a grid whose half0-A-base diverges"
submit | tee "$work/submit1.out" || fail "grid.sh failed"
unset FAKE_DIVERGE_AT FAKE_FAULT_CELL

for _ in $(seq 600); do
  [[ -z $(squeue -h -j "$(jobs_of_results "$results" | paste -sd,)" 2>/dev/null) ]] && break
  sleep 0.2
done
[[ -z $(squeue -h -j "$(jobs_of_results "$results" | paste -sd,)" 2>/dev/null) ]] || fail "jobs still queued after 120 s"
say "every job left the queue"

# --- 1. exit 3 fails the task, no requeue; its dependent never starts -------------
base_job=$(job_of half0-A-base)
info=$(scontrol -o show job "$base_job") || fail "scontrol knows no job $base_job"
[[ $info == *"JobState=FAILED"* && $info == *"ExitCode=3:0"* ]] \
  || fail "half0-A-base's task $base_job did not fail with exit 3: $info"
[[ $info == *"Restarts=0"* ]] || fail "half0-A-base's task was requeued: $info"
grep -q "half0-A-base diverged" "$results/logs/$base_job.out" || fail "the array task did not say it diverged"
[[ ! -e $results/half0-AB-n1-frozen/attempts.jsonl ]] || fail "the transfer started after its base diverged"
transfer_job=$(job_of half0-AB-n1-frozen)
info=$(scontrol -o show job "$transfer_job" 2>/dev/null || true)
[[ -z $info || $info == *"JobState=CANCELLED"* ]] || fail "the transfer's task was not cancelled: $info"

# --- 2. status ----------------------------------------------------------------------
status=$("$bin/xfer_grid" status --results "$results") || fail "status failed"
echo "$status"
grep -qE '^half0-A-base +failed .*diverged at iteration 5 \(loss nan\)' <<<"$status" \
  || fail "status does not show half0-A-base failed where it diverged"
grep -qE '^half0-AB-n1-frozen +not-started .*its base half0-A-base is failed' <<<"$status" \
  || fail "status does not say why the transfer did not start"
for id in half0-B-base half0-B-random-n2; do
  grep -qE "^$id +done " <<<"$status" || fail "$id is not done"
done

# --- 3. a resubmission leaves the diverged cell and its transfer out ---------------------
submit >"$work/submit2.out" || { cat "$work/submit2.out"; fail "the resubmission failed"; }
cat "$work/submit2.out"
grep -q "2 done, 0 already queued or running, 2 left out, 0 to submit" "$work/submit2.out" \
  || fail "the resubmission planned the diverged cell again"
grep -q "half0-A-base: diverged at iteration 5 (loss nan)" "$work/submit2.out" \
  || fail "the resubmission did not name the diverged cell"
say "PASS"
