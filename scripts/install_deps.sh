#!/usr/bin/env bash
# install_deps.sh: installs every build, run and test dependency from Debian 12's
# packages. Idempotent; run as root. `--cpu-default` installs only what the
# README's first command needs (no test frameworks, no SLURM daemons);
# `--bench` adds the benchmark peers' other tools (Pillow, ImageMagick,
# hyperfine; PyTorch and torchvision are test dependencies: the ResNet parity). On a system without apt it installs nothing and lists what to
# install instead (README, "Dependencies").
set -euo pipefail
# --help prints the comment above and does nothing else.
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -/p' "$0" | grep -v '^#SBATCH' | sed '$d;s/^# \{0,1\}//'; exit 0; }

# What the CPU default (scripts/first_run.sh) needs to build and run.
cpu_default=(
  build-essential cmake pkg-config git
  libdnnl-dev libhdf5-dev libboost-dev libboost-program-options-dev libopenmpi-dev openmpi-bin
  nlohmann-json3-dev libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev zlib1g-dev
  dataset-fashion-mnist gnuplot-nox procps libopenblas-dev
)
pkgs=(
  build-essential cmake pkg-config git
  libdnnl-dev                         # CPU backend: oneDNN 2.6
  libhdf5-dev hdf5-tools              # shards and checkpoints; h5dump
  libboost-dev                        # Boost.Math (header-only): the analysis' t distribution
  libboost-program-options-dev        # every binary's options
  libopenblas-dev                     # the similarity's float64 Gram products (cblas_dsyrk)
  libopenmpi-dev openmpi-bin          # data parallelism across processes
  nlohmann-json3-dev                  # result files, manifests
  libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev   # ImageNet decoding
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-h5py python3-numpy  # tests read our HDF5 with h5py
  python3-torch python3-torchvision   # parity of the ResNet presets with torchvision's
  dataset-fashion-mnist               # the embedded default dataset
  slurm-wlm munge                     # the real single-node SLURM for grid tests
  gnuplot-nox                         # analysis figures (PNG, SVG)
  zlib1g-dev                          # gzip: Fashion-MNIST IDX files, Caffe logs
  procps psmisc
  clang libclang-rt-14-dev libomp-dev  # scripts/fuzz.sh: libFuzzer, ASan, UBSan (ctest label fuzz)
)
if [[ "${1:-}" == "--cpu-default" ]]; then
  pkgs=("${cpu_default[@]}")
elif [[ "${1:-}" == "--bench" ]]; then
  # OpenBLAS (above) gives Debian's PyTorch a tuned BLAS (its default is the reference one).
  pkgs+=(python3-pil imagemagick hyperfine)
fi

if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
  cat >&2 <<'LIST'
install_deps: this system has no apt (Debian/Ubuntu); install these yourself (modules,
Spack, conda or the system's packages; minimum versions and CMake variables in the
README's "Dependencies"): a C++20 compiler (GCC >= 12), CMake >= 3.25, oneDNN >= 2.6,
HDF5 >= 1.10 (C library and h5dump), Boost.Program_options and Boost.Math >= 1.74, OpenBLAS, an
MPI (Open MPI >= 4.1 for the tests), nlohmann-json >= 3.11, libjpeg-turbo, libpng, zlib,
gnuplot; for the tests GoogleTest, Google Benchmark, python3 with h5py, numpy, PyTorch and torchvision, SLURM
with munge; for GPUs CUDA >= 13 with cuDNN 9 and NCCL 2. The CPU default also needs
Fashion-MNIST's IDX files (Debian: dataset-fashion-mnist), given with xfer_prep_fmnist --src.
LIST
  exit 1
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install_deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install_deps: all dependencies present"
