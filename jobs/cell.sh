#!/usr/bin/env bash
# cell.sh: one SLURM array task = one cell of the grid. Submitted by
# jobs/grid.sh (never by hand) with the cell's resources, --requeue and
# --signal=B:USR1@<secs>; task i runs line i of the cells file.
#
#   cell.sh XFER_GRID GRID_INI RESULTS DATA TRAINER CELLS_FILE [--rerun-stale]
#
# `xfer_grid run-cell` does the work: it skips a finished cell, resumes from
# checkpoint.h5, refuses a folder trained with another configuration, and
# launches the trainer with `srun --mpi=pmix`, one rank per task of this job.
#
# Signals. SLURM sends USR1 to this shell <secs> before the time limit (the B:
# in --signal): the runner passes it on, the trainer writes a checkpoint and
# exits 75, and this task requeues itself, to resume in a fresh allocation.
# SIGTERM comes from scancel, from preemption and from `scontrol requeue`; it
# too makes the trainer checkpoint, but SLURM decides what follows (cancel, or
# requeue), so the task does not requeue itself. Any other failure ends the
# task with the runner's code: afterok dependents are then cancelled
# (--kill-on-invalid-dep) and nothing is retried until the grid is resubmitted.
# That includes 3, a diverged run (loss NaN/inf), which is never requeued and
# which a resubmission leaves out, and 4, a cell another runner is training.
set -uo pipefail
# --help prints the comment above and does nothing else.
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -/p' "$0" | grep -v '^#SBATCH' | sed '$d;s/^# \{0,1\}//'; exit 0; }

if (($# < 6 || $# > 7)); then
  echo "usage: cell.sh XFER_GRID GRID_INI RESULTS DATA TRAINER CELLS_FILE [--rerun-stale] (submitted by jobs/grid.sh)" >&2
  exit 2
fi
xfer_grid=$1 grid=$2 results=$3 data=$4 trainer=$5 cells=$6
extra=()
[[ ${7:-} == --rerun-stale ]] && extra=(--rerun-stale)
task=${SLURM_ARRAY_TASK_ID:?cell.sh runs as a SLURM array task}
job="${SLURM_ARRAY_JOB_ID}_${task}"
id=$(sed -n "$((task + 1))p" "$cells")
echo "cell.sh: job $job (SLURM job ${SLURM_JOB_ID}, restart ${SLURM_RESTART_COUNT:-0}) on $(hostname -s): ${id:-?}"

stop_signal=""
"$xfer_grid" run-cell --grid "$grid" --results "$results" --data "$data" --trainer "$trainer" \
  --list "$cells" --task "$task" --job "$job" "${extra[@]}" &
runner=$!
trap 'stop_signal=USR1; kill -USR1 "$runner" 2>/dev/null' USR1
trap 'stop_signal=${stop_signal:-TERM}; kill -TERM "$runner" 2>/dev/null' TERM INT

# `wait` returns early when a trapped signal arrives; wait again until the runner is gone.
while :; do
  wait "$runner"
  rc=$?
  kill -0 "$runner" 2>/dev/null || break
done

case $rc in
  0) echo "cell.sh: $id done" ;;
  75)
    if [[ $stop_signal == USR1 ]]; then
      # By <array job>_<task>: one task's SLURM_JOB_ID equals the array's job id,
      # and `scontrol requeue <that id>` would requeue every task of the array.
      echo "cell.sh: $id checkpointed before the time limit; requeueing $job"
      scontrol requeue "$job" && exit 0
      echo "cell.sh: scontrol requeue failed; resubmit the grid to resume $id" >&2
    else
      echo "cell.sh: $id checkpointed on SIG${stop_signal:-TERM}; SLURM decides whether it comes back"
    fi
    ;;
  3) echo "cell.sh: $id diverged (see $results/$id/train.log); its dependents will not start" >&2 ;;
  4) echo "cell.sh: $id is being trained by another runner; left to it" >&2 ;;
  *) echo "cell.sh: $id failed with exit $rc (see $results/$id/train.log)" >&2 ;;
esac
exit "$rc"
