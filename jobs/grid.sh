#!/usr/bin/env bash
#SBATCH --job-name=xfer-grid
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --mem=1G
#SBATCH --time=00:15:00
# grid.sh: submits the whole experiment grid to SLURM, from the project root:
#
#   sbatch jobs/grid.sh [--preset NAME | --grid FILE] [--set section.key=value]...
#                       [--results DIR] [--data DIR] [--bin DIR] [--partition P]
#                       [--account A] [--qos Q] [--time T] [--throttle N] [--ranks R]
#                       [--gpus-per-rank G] [--tasks-per-node N] [--rerun-stale] [--dry-run]
#
# (`bash jobs/grid.sh ...` on a login node does the same without the driver job.)
# It finds the programs (--bin: build/bin of the source tree, or the installed
# prefix's bin/) and runs `xfer_grid submit` with the rest of its arguments:
# xfer_grid is the one program that knows the grid (`xfer_grid --help`;
# `xfer_grid presets` lists the presets, default paper; `xfer_grid keys` the
# config keys). Relative paths are taken from the directory it is submitted
# from. Resubmitting is safe: finished cells are skipped, unfinished ones
# resume from their checkpoints, cells still queued or running are left
# alone, diverged cells (and the transfers that copy from them) are left out
# and named, and cells trained with another configuration stop the submission
# (move their folders away first, or pass --rerun-stale to have them moved to
# <results>/.stale/ and retrained). Each array task runs jobs/cell.sh; logs in
# <results>/logs/%A_%a.out; `xfer_grid status --results <results>` shows every
# cell's state.
set -euo pipefail
# --help prints the comment above and does nothing else.
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -/p' "$0" | grep -v '^#SBATCH' | sed '$d;s/^# \{0,1\}//'; exit 0; }

# The folder above this script's jobs/ (a source tree, or P/share/xfer when
# installed). sbatch runs a copy of the script from its spool, so under SLURM
# ask scontrol which file was submitted; XFER_ROOT overrides.
script_root() {
  local cmd=""
  if [[ -n ${SLURM_JOB_ID:-} ]] && command -v scontrol >/dev/null; then
    cmd=$(scontrol show job "$SLURM_JOB_ID" 2>/dev/null | sed -n 's/^ *Command=\([^ ]*\).*/\1/p' | head -1)
  fi
  [[ -f $cmd ]] || cmd=${BASH_SOURCE[0]}
  (cd "$(dirname "$cmd")/.." && pwd)
}
root=${XFER_ROOT:-$(script_root)}
[[ -f $root/jobs/cell.sh ]] || root=${SLURM_SUBMIT_DIR:-$root}
if [[ ! -f $root/jobs/cell.sh ]]; then
  echo "grid.sh: no jobs/cell.sh under $root; set XFER_ROOT to the project (or install) root" >&2
  exit 2
fi
# Relative paths are taken from where the grid was submitted.
cd "${SLURM_SUBMIT_DIR:-$PWD}"
bin=$root/build/bin
[[ -x $bin/xfer_grid ]] || bin=$(cd "$root/../.." && pwd)/bin
args=()
while (($#)); do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
[[ -x $bin/xfer_grid ]] || { echo "grid.sh: $bin/xfer_grid not found; build first (make -f Makefile.slurm build)" >&2; exit 2; }
bin=$(cd "$bin" && pwd)
exec "$bin/xfer_grid" submit --cell-script "$root/jobs/cell.sh" \
  --trainer "$bin/xfer_train" "${args[@]}"
