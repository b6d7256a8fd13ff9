#!/usr/bin/env bash
#SBATCH --job-name=xfer-prep-fmnist
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=00:30:00
# prep_fmnist.sh: Fashion-MNIST's IDX files to the shard folders the
# fashion-mnist grid trains on (half0A/B, dissimA/B, all, all-k25).
#   sbatch jobs/prep_fmnist.sh [OUT (data/fmnist)] [more xfer_prep_fmnist options]
set -euo pipefail
# --help prints the comment above and does nothing else.
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -/p' "$0" | grep -v '^#SBATCH' | sed '$d;s/^# \{0,1\}//'; exit 0; }
root=${XFER_ROOT:-${SLURM_SUBMIT_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}}
cd "$root"
out=${1:-data/fmnist}
shift || true
"${XFER_BIN:-build/bin}/xfer_prep_fmnist" --out "$out" "$@"
