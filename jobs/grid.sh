#!/usr/bin/env bash
#SBATCH --job-name=xfer-grid
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --mem=1G
#SBATCH --time=00:15:00
# grid.sh: submits the whole experiment grid to SLURM, from the project root:
#
#   sbatch jobs/grid.sh [--preset paper|complete|fashion-mnist | --grid FILE]
#                       [--set section.key=value]... [--results DIR] [--data DIR]
#                       [--bin DIR] [--partition P] [--account A] [--qos Q]
#                       [--time T] [--throttle N] [--ranks R] [--gpus-per-rank G]
#                       [--tasks-per-node N]   (--throttle N: at most N tasks of each
#                       array run at once; the grid has one array per base, see below)
#                       [--rerun-stale] [--dry-run]
#
# (`bash jobs/grid.sh ...` on a login node does the same without the driver job.)
# Defaults: --preset paper, --results and --data from the grid config,
# --bin build/bin of the source tree (installed: the prefix's bin/). Relative
# paths are taken from the directory it is submitted from. Resources come
# from the config's [slurm] section; the flags above and --set slurm.KEY=VALUE
# override them. Resubmitting is safe: finished
# cells are skipped, unfinished ones resume from their checkpoints, cells still
# queued or running are left alone, diverged cells (and the transfers that
# copy from them) are left out and named, and cells trained with another
# configuration stop the submission (move their folders away first, or pass
# --rerun-stale to have them moved to <results>/.stale/ and retrained).
#
# Why a driver that submits dependent arrays. A transfer may start only after
# its own base has succeeded, and nothing should hold an allocation while it
# waits. On SLURM 22.05 a running array task cannot change its own dependency
# (`scontrol update ... Dependency=` answers "Job is no longer pending
# execution"); a helper it detaches to do so is killed with the task; and a
# task that requeues itself to wait is retried only after about two minutes
# (the credential lifetime), taking an allocation each time. So this short job
# works out the plan (`xfer_grid plan`), then submits one array of every cell
# that can start now (bases, random controls, transfers whose base is done)
# and, per base still to train, one array of the transfers copying from it,
# with --dependency=afterok:<array job>_<task> on exactly that base (a job
# array shares one dependency, so arrays are grouped by base, which is finer
# than by split). Dependents of a base that fails are cancelled
# (--kill-on-invalid-dep=yes) rather than left pending forever.
#
# Each array task runs jobs/cell.sh (one cell, `srun --mpi=pmix`, one rank per
# GPU; requeued on USR1 before its time limit). Logs: <results>/logs/%A_%a.out;
# <results>/.slurm/submitted.tsv maps each <array job>_<task> to its cell, and
# `xfer_grid status --results <results>` shows every cell's state.
set -euo pipefail

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
# Relative paths (arguments, and the config's data and results) are taken
# from where the grid was submitted, so it runs from any directory.
invoked_in=${SLURM_SUBMIT_DIR:-$PWD}
cd "$invoked_in"
from_invocation() { [[ -z $1 || $1 == /* ]] && echo "$1" || echo "$invoked_in/$1"; }
# The programs: the source tree's build/bin, or the installed prefix's bin/.
default_bin=$root/build/bin
[[ -x $default_bin/xfer_grid ]] || default_bin=$(cd "$root/../.." && pwd)/bin

preset=paper grid_file="" results="" data="" bin=$default_bin dry_run=0
sets=() rerun=()
while (($#)); do
  case $1 in
    --preset) preset=$2; shift 2 ;;
    --grid) grid_file=$2; shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    --results) results=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --partition|--account|--qos|--time|--throttle|--ranks)
      sets+=(--set "slurm.${1#--}=$2"); shift 2 ;;
    --gpus-per-rank) sets+=(--set "slurm.gpus_per_rank=$2"); shift 2 ;;
    --tasks-per-node) sets+=(--set "slurm.tasks_per_node=$2"); shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    --rerun-stale) rerun=(--rerun-stale); shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep -v '^#SBATCH' | sed '$d;s/^# \{0,1\}//'; exit 0 ;;
    *) echo "grid.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

bin=$(cd "$(from_invocation "$bin")" && pwd) || { echo "grid.sh: --bin folder '$bin' does not exist" >&2; exit 2; }
[[ -n $grid_file ]] && grid_file=$(from_invocation "$grid_file")
xfer_grid=$bin/xfer_grid
trainer=$bin/xfer_train
for b in "$xfer_grid" "$trainer"; do
  [[ -x $b ]] || { echo "grid.sh: $b not found; build first (make -f Makefile.slurm build)" >&2; exit 2; }
done

# The resolved grid config: written once per submission into the results
# directory, where every cell (and `status`) reads it.
src=(--preset "$preset")
[[ -n $grid_file ]] && src=(--grid "$grid_file")
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$xfer_grid" resolve "${src[@]}" "${sets[@]}" --out "$tmp"
ini_value() { awk -F' *= *' -v sec="[$1]" -v key="$2" '/^\[/{s=$0} s==sec && $1==key {print $2}' "$tmp"; }
results=$(from_invocation "${results:-$(ini_value grid results)}")
data=$(from_invocation "${data:-$(ini_value grid data)}")
[[ -d $data ]] || { echo "grid.sh: data root '$data' does not exist" >&2; exit 2; }
[[ -n $results && -n $data ]] || { echo "grid.sh: give --results and --data" >&2; exit 2; }
mkdir -p "$results"
results=$(cd "$results" && pwd)
data=$(cd "$data" && pwd)
mkdir -p "$results/logs" "$results/.slurm"
if [[ -f $results/grid.ini ]] && ! cmp -s "$tmp" "$results/grid.ini"; then
  cp "$results/grid.ini" "$results/.slurm/grid.ini.$(date -u +%Y%m%dT%H%M%S)"
fi
cp "$tmp" "$results/grid.ini.new" && mv "$results/grid.ini.new" "$results/grid.ini"
grid=$results/grid.ini

plan=$results/.slurm/submit-$(date -u +%Y%m%dT%H%M%S)-$$
# Checked before anything is submitted: every cell's data folder and the
# trainer's backend (by xfer_grid plan), and the launcher of multi-rank cells.
ranks=$(ini_value slurm ranks) launcher=$(ini_value slurm launcher) mpi=$(ini_value slurm mpi)
if ((${ranks:-1} > 1 && !dry_run)); then
  if [[ ${launcher:-auto} == mpirun ]]; then
    command -v mpirun >/dev/null || { echo "grid.sh: [slurm] launcher = mpirun, but mpirun is not on PATH" >&2; exit 2; }
  else
    command -v srun >/dev/null || { echo "grid.sh: cells of $ranks ranks start with srun, which is not on PATH" >&2; exit 2; }
    srun --mpi=list 2>&1 | grep -qw "${mpi:-pmix}" \
      || { echo "grid.sh: this SLURM's srun has no '${mpi:-pmix}' MPI plugin (srun --mpi=list; set [slurm] mpi or launcher = mpirun)" >&2; exit 2; }
  fi
fi
# A dry run writes nothing: views the cells need are made only when submitting.
dry=()
((dry_run)) && dry=(--dry-run)
"$xfer_grid" plan --grid "$grid" --results "$results" --out "$plan" --data "$data" \
  --trainer "$trainer" "${rerun[@]}" "${dry[@]}"
mapfile -t cell_args <"$plan/sbatch.args"

declare -A job_of   # cell id -> <array job>_<task> of this submission
submitted=0
while IFS=$'\t' read -r name cells spec after_cell after_job; do
  dep=()
  if [[ $after_cell != - ]]; then
    dep=(--dependency="afterok:${job_of[$after_cell]:?plan order: $after_cell not submitted yet}" --kill-on-invalid-dep=yes)
  elif [[ $after_job != - ]]; then
    dep=(--dependency="afterok:$after_job" --kill-on-invalid-dep=yes)
  fi
  cmd=(sbatch --parsable --array="$spec" "${cell_args[@]}" "${dep[@]}"
       "$root/jobs/cell.sh" "$xfer_grid" "$grid" "$results" "$data" "$trainer" "$cells" "${rerun[@]}")
  if ((dry_run)); then
    echo "${cmd[*]}"
    jid="DRYRUN$submitted"
  else
    jid=$("${cmd[@]}")
    jid=${jid%%;*}
  fi
  i=0
  while read -r id; do
    job_of[$id]="${jid}_$i"
    ((dry_run)) || printf '%s\t%s\n' "${jid}_$i" "$id" >>"$results/.slurm/submitted.tsv"
    i=$((i + 1))
  done <"$cells"
  submitted=$((submitted + i))
  echo "grid.sh: $name: $i cell(s) as array job $jid${dep:+ (${dep[0]#--})}"
done <"$plan/plan.tsv"

echo "grid.sh: submitted $submitted cell(s); results in $results"
echo "grid.sh: follow with: $xfer_grid status --results $results"
