#!/usr/bin/env bash
#SBATCH --job-name=xfer-prep-imagenet
#SBATCH --ntasks=8
#SBATCH --cpus-per-task=8
#SBATCH --mem-per-cpu=2G
#SBATCH --time=12:00:00
# prep_imagenet.sh: ILSVRC2012 to the shard folders of the paper grid: every
# task decodes its part of the images (xfer_prep_imagenet --stage convert,
# part = $SLURM_PROCID), then one task derives the halves half0..3, natman and
# the reduced-volume folders from them.
#   sbatch jobs/prep_imagenet.sh SRC [OUT (data/imagenet)] [more options, e.g. --val-labels FILE]
set -euo pipefail
# --help prints the comment above and does nothing else.
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -/p' "$0" | grep -v '^#SBATCH' | sed '$d;s/^# \{0,1\}//'; exit 0; }
root=${XFER_ROOT:-${SLURM_SUBMIT_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}}
cd "$root"
src=${1:?usage: prep_imagenet.sh SRC [OUT] [options]}
out=${2:-data/imagenet}
shift 2 || shift $#
prep=${XFER_BIN:-build/bin}/xfer_prep_imagenet
srun "$prep" --src "$src" --out "$out" --stage convert --threads "${SLURM_CPUS_PER_TASK:-8}" "$@"
srun --ntasks=1 "$prep" --src "$src" --out "$out" --stage derive --parts 1 --part 0 \
  --seeds 0-3 --natman --reduced 1,2,5,10,25,50,100,250,500,750,1000,1300 "$@"
