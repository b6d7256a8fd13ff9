#!/usr/bin/env bash
# run_tests.sh: the README's second command. Installs what is needed, builds
# everything (the CUDA backend too where the toolkit is present: it must
# compile and link even without a GPU) and runs every test: unit, MPI
# (mpirun -np 2), data, analysis, the real single-node SLURM cluster, and the
# GPU tests, which skip with a message where no GPU is present.
set -euo pipefail
# --help prints the comment above and does nothing else.
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -/p' "$0" | grep -v '^#SBATCH' | sed '$d;s/^# \{0,1\}//'; exit 0; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${XFER_TEST_BUILD:-build-test}
bash scripts/install_deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release > "$build.configure.log" 2>&1 || {
  cat "$build.configure.log"
  exit 1
}
grep "xfer: CUDA backend" "$build.configure.log" || true
cmake --build "$build" -j "$(nproc)"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# One test at a time: the MPI and SLURM tests use both cores themselves.
ctest --test-dir "$build" --output-on-failure --timeout 900
