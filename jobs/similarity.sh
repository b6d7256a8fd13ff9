#!/usr/bin/env bash
#SBATCH --job-name=xfer-similarity
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=8
#SBATCH --mem=32G
#SBATCH --time=04:00:00
# similarity.sh: xfer_similarity --results R as one job: debiased linear CKA of
# every finished cell against its bases, similarity.json beside each result.json
# (cells already current are kept), for `xfer_tables --table generality`.
#   sbatch jobs/similarity.sh RESULTS [more xfer_similarity options]
#   sbatch --gpus=1 jobs/similarity.sh results/paper --backend cuda --images 1000
set -euo pipefail
# --help prints the comment above and does nothing else.
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -/p' "$0" | grep -v '^#SBATCH' | sed '$d;s/^# \{0,1\}//'; exit 0; }
root=${XFER_ROOT:-${SLURM_SUBMIT_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}}
cd "$root"
results=${1:?give the results folder}
shift
"${XFER_BIN:-build/bin}/xfer_similarity" --results "$results" "$@"
