#!/usr/bin/env bash
# install_deps.sh: installs every build, run and test dependency from Debian 12's
# packages. Idempotent; run as root. `--bench` adds the benchmark peers
# (PyTorch's CPU build, Pillow, ImageMagick), which only the benchmarks need.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config git
  libdnnl-dev                         # CPU backend: oneDNN 2.6
  libhdf5-dev hdf5-tools              # shards and checkpoints; h5dump
  libboost-program-options-dev        # every binary's options
  libopenmpi-dev openmpi-bin          # data parallelism across processes
  nlohmann-json3-dev                  # result files, manifests
  libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev   # ImageNet decoding
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-h5py python3-numpy  # tests read our HDF5 with h5py
  dataset-fashion-mnist               # the embedded default dataset
  slurm-wlm munge                     # the real single-node SLURM for grid tests
  gnuplot-nox                         # analysis figures (PNG, SVG)
  zlib1g-dev                          # gzip: Fashion-MNIST IDX files, Caffe logs
  procps psmisc
)
if [[ "${1:-}" == "--bench" ]]; then
  # libopenblas0 gives Debian's PyTorch a tuned BLAS (its default is the reference one).
  pkgs+=(python3-torch libopenblas0-pthread python3-pil imagemagick hyperfine)
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
