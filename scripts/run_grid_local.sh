#!/usr/bin/env bash
# run_grid_local.sh: the grid without SLURM, on this machine, with the same
# folders and results as on a cluster: cells one after the other (or -j N at
# once), bases before their transfers; finished cells are skipped, stopped ones
# resume from their checkpoints (Ctrl-C stops cleanly, after checkpoints).
# Prepares Fashion-MNIST first when the fashion-mnist grid's data is missing.
#
#   scripts/run_grid_local.sh [--preset fashion-mnist] [-j N] [other xfer_grid run options]
#
# Then: build/bin/xfer_grid status --results results/fashion-mnist
set -euo pipefail
# --help prints the comment above and does nothing else.
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -/p' "$0" | grep -v '^#SBATCH' | sed '$d;s/^# \{0,1\}//'; exit 0; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bin=${XFER_BIN:-build/bin}
preset=fashion-mnist
args=()
while (($#)); do
  case $1 in
    --preset) preset=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
[[ -x $bin/xfer_grid && -x $bin/xfer_train ]] || {
  echo "run_grid_local: build first: cmake -S . -B build && cmake --build build -j" >&2
  exit 2
}
if [[ $preset == fashion-mnist && ! -d data/fmnist/half0A && " ${args[*]} " != *" --data "* ]]; then
  "$bin/xfer_prep_fmnist" --out data/fmnist
fi
exec "$bin/xfer_grid" run --preset "$preset" "${args[@]}"
