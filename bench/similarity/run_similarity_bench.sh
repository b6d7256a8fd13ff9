#!/usr/bin/env bash
# run_similarity_bench.sh: xfer_similarity beside a PyTorch implementation of
# the same estimator (bench/similarity/torch_similarity.py: forward hooks at the
# same boundaries, the same images, minibatches and float64 arithmetic) in the
# same run, alternating the two so both see the same machine; images/s of each
# (loading the networks and checking the data excluded from both) and the
# largest difference between their 64 CKA values.
#   small:    two small-net bases trained here for 200 steps on Fashion-MNIST
#             halves, the store's 10,000 validation images, minibatches of 500;
#   caffenet: two CaffeNet checkpoints (one step each, from two seeds, their fc
#             layers scaled as below) on 1,000 generated 256x256 colour images,
#             minibatches of 250.
# Usage: bench/similarity/run_similarity_bench.sh [build-dir]
#        (needs scripts/install_deps.sh --bench; THREADS, default 2; REPS, default 3)
set -euo pipefail
# --help prints the comment above and does nothing else.
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -/p' "$0" | grep -v '^#SBATCH' | sed '$d;s/^# \{0,1\}//'; exit 0; }
cd "$(dirname "$0")/../.."
build=${1:-build}
bin=$build/bin
threads=${THREADS:-2}
reps=${REPS:-3}
py=/usr/bin/python3   # Debian's interpreter, where python3-torch lives
tmp=$(mktemp -d)
echo "scratch: $tmp"
trap 'rm -rf "$tmp"' EXIT
[[ -n ${KEEP:-} ]] && trap - EXIT  # KEEP=1 keeps the scratch folder

echo "== preparing: two small bases, two CaffeNet checkpoints and 1,000 generated images =="
[[ -d data/fmnist/all ]] || "$bin/xfer_prep_fmnist" --out data/fmnist > /dev/null
for half in A B; do
  "$bin/xfer_train" --network small --data "data/fmnist/half0$half" --out "$tmp/small$half" --max-iter 200 \
    --batch 64 --test-interval 200 --test-batches 4 --display 200 --threads "$threads" > "$tmp/small$half.log" 2>&1
done
# 10 classes: 10 training and 100 validation images each, gaussian noise.
$py - "$tmp/images" <<'PY'
import os, sys
import numpy as np
from PIL import Image
rng = np.random.default_rng(0)
for sub, count in (("train", 10), ("val", 100)):
    for c in range(10):
        d = os.path.join(sys.argv[1], sub, f"class{c}")
        os.makedirs(d)
        for i in range(count):
            pixels = np.clip(rng.normal(120 + 8 * c, 50, (256, 256, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(os.path.join(d, f"{i}.jpg"), quality=90)
PY
"$bin/xfer_prep_images" --src "$tmp/images" --out "$tmp/caffe" --threads "$threads" > "$tmp/prep.log" 2>&1
for seed in 1 2; do
  "$bin/xfer_train" --network caffenet --data "$tmp/caffe/all" --out "$tmp/caffe$seed" --seed "$seed" --max-iter 1 \
    --batch 4 --test-interval 1 --test-batches 1 --display 1 --threads "$threads" > "$tmp/caffe$seed.log" 2>&1
  # At initialisation fc6-fc8 (std 0.005, biases 1) give every image nearly the
  # same logits, within float32 rounding, which the estimator refuses as
  # undefined; weights 10x larger and zero biases make them vary, as a trained
  # network's do. The arithmetic timed is the same.
  $py -c "import h5py, sys
with h5py.File(sys.argv[1], 'r+') as f:
    for l in ('fc6', 'fc7', 'fc8'):
        f['params/' + l + '/weights'][...] *= 10
        f['params/' + l + '/bias'][...] = 0" "$tmp/caffe$seed/final.h5"
done

# images/s from a tool's last stderr line: "# <who>: N images in S s: X images/s".
rate() { awk '/images\/s/ {r = $(NF-1)} END {print r}' "$1"; }

echo
echo "== debiased linear CKA, 8 x 8 boundaries, $threads threads, best of $reps =="
printf '%-9s %7s %6s %-6s %10s %8s %16s\n' net images batch who images/s ratio "max |CKA diff|"
for spec in "small $tmp/smallA/final.h5 $tmp/smallB/final.h5 data/fmnist/all 10000 500" \
            "caffenet $tmp/caffe1/final.h5 $tmp/caffe2/final.h5 $tmp/caffe/all 1000 250"; do
  set -- $spec
  name=$1 a=$2 b=$3 data=$4 images=$5 batch=$6
  best_ours=0 best_torch=0
  for ((r = 0; r < reps; r++)); do
    "$bin/xfer_similarity" "$a" "$b" --data "$data" --images "$images" --batch "$batch" --threads "$threads" \
      --format csv > "$tmp/ours.csv" 2> "$tmp/ours.err"
    $py bench/similarity/torch_similarity.py "$a" "$b" --data "$data" --images "$images" --batch "$batch" \
      --threads "$threads" --format csv > "$tmp/torch.csv" 2> "$tmp/torch.err"
    best_ours=$(awk -v a="$best_ours" -v b="$(rate "$tmp/ours.err")" 'BEGIN{print (b > a) ? b : a}')
    best_torch=$(awk -v a="$best_torch" -v b="$(rate "$tmp/torch.err")" 'BEGIN{print (b > a) ? b : a}')
  done
  diff=$(paste -d, "$tmp/ours.csv" "$tmp/torch.csv" | awk -F, 'NR > 1 {d = $6 - $12; if (d < 0) d = -d; if (d > m) m = d}
    END {printf "%.2e", m}')
  awk -v n="$name" -v i="$images" -v b="$batch" -v o="$best_ours" -v t="$best_torch" -v d="$diff" 'BEGIN{
    printf "%-9s %7d %6d %-6s %10.1f %8s %16s\n", n, i, b, "xfer", o, sprintf("%.2fx", o / t), d;
    printf "%-9s %7d %6d %-6s %10.1f %8s\n", n, i, b, "torch", t, "1.00x"}'
done
