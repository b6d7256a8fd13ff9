#!/usr/bin/env bash
# cell.sh: one SLURM array task = one cell of the grid. Submitted by
# `xfer_grid submit` (jobs/grid.sh), never by hand, with the cell's resources,
# --requeue and --signal=B:USR1@<secs>; its arguments are the xfer_grid
# command the task runs:
#
#   cell.sh XFER_GRID run-cell --slurm-task --grid G --results R --data D --trainer T --list CELLS
#
# The task becomes that command (exec), so SLURM's signals reach it: USR1
# before the time limit (checkpoint, then the task requeues itself), TERM from
# scancel or preemption (checkpoint; SLURM decides what follows). What each
# ending means is `xfer_grid run-cell`'s (xfer_grid --help).
set -euo pipefail
# --help prints the comment above and does nothing else.
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -/p' "$0" | grep -v '^#SBATCH' | sed '$d;s/^# \{0,1\}//'; exit 0; }
[[ -n ${SLURM_ARRAY_TASK_ID:-} ]] || { echo "cell.sh: runs as a SLURM array task (submitted by xfer_grid submit)" >&2; exit 2; }
(($# >= 2)) || { echo "cell.sh: give the xfer_grid command to run (submitted by xfer_grid submit)" >&2; exit 2; }
exec "$@"
