#!/usr/bin/env bash
# run_cpu_bench.sh: the CPU training-step benchmark, ours beside PyTorch's CPU
# build (Debian's python3-torch) on the same network, batch and threads, in
# the same run, alternating the two so both see the same machine. Then the
# step time of frozen cells at n = 0..7, and data parallelism at R = 1 and 2.
# Usage: bench/run_cpu_bench.sh [build-dir]   (needs scripts/install_deps.sh --bench)
set -euo pipefail
# --help prints the comment above and does nothing else.
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^set -/p' "$0" | grep -v '^#SBATCH' | sed '$d;s/^# \{0,1\}//'; exit 0; }
cd "$(dirname "$0")/.."
build=${1:-build}
bin=$build/bin
threads=${THREADS:-2}
reps=${REPS:-3}
py=/usr/bin/python3   # Debian's interpreter, where python3-torch lives
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

echo "== one training step (forward, backward, SGD), $threads threads, best of $reps =="
printf '%-12s %-6s %5s %12s %12s %8s\n' preset who batch step_ms images/s ratio
for spec in "caffenet 32 3" "small 128 20" "resnet18 32 3" "resnet-small 128 10"; do
  set -- $spec
  preset=$1 batch=$2 iters=$3
  best_ours=0 best_torch=0
  for ((r = 0; r < reps; r++)); do
    o=$($bin/xfer_bench_step --network "$preset" --batch "$batch" --threads "$threads" --iters "$iters" --frozen 0 | tail -1 | awk '{print $6}')
    t=$($py bench/torch_step.py --network "$preset" --batch "$batch" --threads "$threads" --iters "$iters" | tail -1 | awk '{print $6}')
    best_ours=$(awk -v a="$best_ours" -v b="$o" 'BEGIN{print (b > a) ? b : a}')
    best_torch=$(awk -v a="$best_torch" -v b="$t" 'BEGIN{print (b > a) ? b : a}')
  done
  awk -v p="$preset" -v b="$batch" -v o="$best_ours" -v t="$best_torch" 'BEGIN{
    printf "%-12s %-6s %5d %12.1f %12.1f %8s\n", p, "xfer", b, 1000*b/o, o, sprintf("%.2fx", o/t);
    printf "%-12s %-6s %5d %12.1f %12.1f %8s\n", p, "torch", b, 1000*b/t, t, "1.00x"}'
done

echo
echo "== frozen cells: step time by frozen layers n (caffenet, batch 32) =="
$bin/xfer_bench_step --network caffenet --batch 32 --threads "$threads" --iters 3 --frozen 0,1,2,3,4,5,6,7

echo
echo "== data parallelism on the CPU: caffenet, global batch 32, R ranks =="
tmp=$(mktemp -d)
for R in 1 2; do
  per=$((threads / R)); ((per < 1)) && per=1
  mpirun -np $R --oversubscribe --bind-to none $bin/xfer_train --network caffenet --batch 32 \
    --max-iter 4 --test-interval 4 --test-batches 1 --display 4 --threads $per \
    --synthetic-train 64 --synthetic-val 32 --out "$tmp/r$R" > "$tmp/r$R.log" 2>&1
  $py - "$tmp/r$R/result.json" "$R" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["comm"]
print(f"R={sys.argv[2]}: step {r['step_s']*1e3:8.1f} ms, allreduce {c['seconds_per_step']*1e3:7.1f} ms "
      f"({c['bytes_per_step']/2**20:.1f} MiB/step), hidden behind backward {100*c['hidden_fraction']:5.1f}%, "
      f"{r['images_per_s']:.1f} images/s")
PY
done
rm -rf "$tmp"
