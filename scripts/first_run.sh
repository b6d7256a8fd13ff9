#!/usr/bin/env bash
# first_run.sh: the README's first command. On a fresh Debian 12 machine (as
# root, no GPU): installs what is needed, builds the CPU binaries, converts
# Fashion-MNIST into one store with its splits as views, runs the fashion-mnist grid on
# this machine (bases, AnB, BnB, AnB+, BnB+, the dissimilar split, random
# filters), measures how alike the networks' layers are (xfer_similarity:
# debiased linear CKA of every cell against its bases), prints the main table,
# Table 1, the decomposition, the paired effects, each network's uncertainty and
# the generality profile of each split, and writes the figures. Rerunning skips what is done and resumes what is not.
# --preset NAME runs another grid on Fashion-MNIST the same way:
# fashion-mnist-resnet is the paper's design on the small residual network
# with batch normalisation (README, "Residual networks").
set -euo pipefail
# --help prints the comment above and does nothing else.
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -/p' "$0" | grep -v '^#SBATCH' | sed '$d;s/^# \{0,1\}//'; exit 0; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
preset=fashion-mnist
if [[ ${1:-} == --preset ]]; then
  [[ -n ${2:-} ]] || { echo "first_run.sh: --preset needs a name (xfer_grid presets lists them)" >&2; exit 2; }
  preset=$2
  shift 2
fi
[[ $# -eq 0 ]] || { echo "first_run.sh: unknown argument '$1' (--preset NAME, --help)" >&2; exit 2; }
build=${XFER_BUILD:-build}
results=${XFER_RESULTS:-results/$preset}
jobs=${XFER_JOBS:-$(nproc)}
t0=$(date +%s)
stamp() { echo "== [$(date -u +%H:%M:%S), $(( $(date +%s) - t0 )) s] $*"; }

stamp "installing dependencies (Debian packages)"
bash scripts/install_deps.sh --cpu-default

stamp "building the CPU binaries in $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DXFER_CUDA=OFF -DXFER_TESTS=OFF \
  -DXFER_BENCH=OFF > "$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j "$(nproc)" --target xfer_train xfer_grid xfer_prep_fmnist xfer_make_views xfer_similarity xfer_tables xfer_plot

stamp "converting Fashion-MNIST into one store and its splits as views (data/fmnist)"
"$build/bin/xfer_prep_fmnist" --out data/fmnist

stamp "running the $preset grid ($jobs cells at a time) into $results"
XFER_BIN="$build/bin" scripts/run_grid_local.sh --preset "$preset" --results "$results" -j "$jobs"

stamp "representation similarity of every cell against its bases (similarity.json beside each result)"
# A cell the tool cannot compare (a collapsed network whose layer gives every
# image the same representation: CKA is not defined) is named and left out;
# the tables go on without its similarity.
"$build/bin/xfer_similarity" --results "$results" --images 1000 --batch 250 | grep -v "comparison(s) in" \
  || stamp "xfer_similarity left out the cells named above: the generality tables go on without them"

stamp "tables and figures ($results/tables)"
"$build/bin/xfer_tables" --results "$results" --table main table1 decomposition effects uncertainty generality \
  --out "$results/tables" --figures
stamp "done: figures in $results/tables, every cell's result.json under $results"
