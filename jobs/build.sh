#!/usr/bin/env bash
#SBATCH --job-name=xfer-build
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=8
#SBATCH --mem=16G
#SBATCH --time=01:00:00
# build.sh: configures and builds the project on a compute node, so the CUDA
# backend is built against the toolkit and GPUs the cells will run on.
#   sbatch [--gpus=1] jobs/build.sh [BUILD_DIR] [extra cmake -D options...]
set -euo pipefail
# --help prints the comment above and does nothing else.
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -/p' "$0" | grep -v '^#SBATCH' | sed '$d;s/^# \{0,1\}//'; exit 0; }
root=${XFER_ROOT:-${SLURM_SUBMIT_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}}
build=${1:-$root/build}
shift || true
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DXFER_BENCH=OFF "$@"
cmake --build "$build" -j "${SLURM_CPUS_PER_TASK:-$(nproc)}"
echo "build.sh: binaries in $build/bin"
