#!/usr/bin/env bash
# fake_trainer.sh: a stand-in for xfer_train in the runner's unit tests only.
# It keeps xfer_train's contract (files, resume, signals, exit codes) with a
# few seconds' worth of "iterations" and a deterministic result, so the tests
# can check the runner's bookkeeping without a network to train.
# Test hooks: FAKE_STOP_AT=N behaves as if SIGUSR1 came at iteration N (once:
# not when resuming past N); FAKE_SLEEP=S seconds per iteration (default 0.01).
# Faults: FAKE_FAIL=1 fails with an error; FAKE_DIVERGE_AT=N diverges at
# iteration N as xfer_train does (a "diverged at iteration N (loss nan)" line,
# result.json with "status": "diverged", exit 3); FAKE_SIGNAL=KILL (or SEGV,
# ...) kills itself with that signal at iteration FAKE_SIGNAL_AT (default 2),
# as the OOM killer would. FAKE_FAULT_CELL=ID limits the faults to that cell.
# Each start appends a line to <out>/fake_trainer.starts, so a test can count
# how often a cell was trained, whatever the runner recorded. Rank 0 rewrites
# <out>/progress.json at every iteration, its pace taken from FAKE_SLEEP.
# FAKE_QUIET=1 prints no iteration lines, as a real trainer between its
# display lines (a chatty one dies of SIGPIPE soon after its runner, whatever
# the runner did).
set -u
out="" max_iter=10 snap=5 cell="" base=""
while (($#)); do
  case $1 in
    --version) printf 'xfer_train 0.0.0-fake\n  backends cpu cuda\n'; exit 0 ;;  # as grid.sh checks it
    --out) out=$2; shift 2 ;;
    --max-iter) max_iter=$2; shift 2 ;;
    --snapshot-interval) snap=$2; shift 2 ;;
    --cell-id) cell=$2; shift 2 ;;
    --base) base=$2; shift 2 ;;
    --*) shift 2 ;;
    *) echo "fake_trainer: unexpected '$1'" >&2; exit 2 ;;
  esac
done
[[ -n $out ]] || { echo "fake_trainer: --out missing" >&2; exit 2; }
rank=${PMIX_RANK:-${OMPI_COMM_WORLD_RANK:-${SLURM_PROCID:-0}}}
mkdir -p "$out"
echo "start pid $$ rank $rank" >>"$out/fake_trainer.starts"
if [[ -n ${FAKE_FAULT_CELL:-} && $FAKE_FAULT_CELL != "$cell" ]]; then
  unset FAKE_FAIL FAKE_DIVERGE_AT FAKE_SIGNAL
fi
if [[ ${FAKE_FAIL:-0} == 1 ]]; then echo "error: fake failure for $cell" >&2; exit 1; fi
if [[ -n $base && ! -f $base ]]; then echo "error: base $base missing" >&2; exit 1; fi
stop=0
trap 'stop=1' USR1 TERM
it=0
if [[ -f $out/checkpoint.h5 ]]; then
  it=$(cat "$out/checkpoint.h5")
  echo "resuming $out/checkpoint.h5 at iteration $it"
fi
# Milliseconds per iteration, for progress.json's rate and ETA.
sleep_ms=$(awk -v s="${FAKE_SLEEP:-0.01}" 'BEGIN { ms = int(s * 1000 + 0.5); print (ms < 1 ? 1 : ms) }')
progress() {
  ((rank == 0)) || return 0
  local rate_milli=$((1000000 / sleep_ms)) eta_ms=$(((max_iter - it) * sleep_ms)) rate eta
  printf -v rate '%d.%03d' $((rate_milli / 1000)) $((rate_milli % 1000))
  printf -v eta '%d.%03d' $((eta_ms / 1000)) $((eta_ms % 1000))
  printf '{"iteration": %d, "max_iter": %d, "rate": %s, "eta_s": %s, "updated": %s}\n' \
    "$it" "$max_iter" "$rate" "$eta" "$EPOCHREALTIME" >"$out/progress.json.tmp"
  mv "$out/progress.json.tmp" "$out/progress.json"
}
checkpoint() { ((rank == 0)) && { echo "$it" >"$out/checkpoint.h5.tmp"; mv "$out/checkpoint.h5.tmp" "$out/checkpoint.h5"; }; }
while ((it < max_iter)); do
  if ((stop)) || [[ ${FAKE_STOP_AT:-} == "$it" && ! -f $out/.stopped_once ]]; then
    checkpoint
    touch "$out/.stopped_once"
    echo "stopped by signal at iteration $it; checkpoint $out/checkpoint.h5"
    exit 75
  fi
  sleep "${FAKE_SLEEP:-0.01}"
  it=$((it + 1))
  if [[ -n ${FAKE_SIGNAL:-} && $it == "${FAKE_SIGNAL_AT:-2}" ]]; then kill -"$FAKE_SIGNAL" $$; fi
  if [[ ${FAKE_DIVERGE_AT:-} == "$it" ]]; then
    echo "diverged at iteration $it (loss nan)"
    if ((rank == 0)); then
      printf '{"cell_id": "%s", "status": "diverged", "finished": false, "config_hash": "h-%s-%s", "iterations": %d, "diverged": {"iteration": %d, "what": "loss nan"}, "statistic": {}}\n' \
        "$cell" "$cell" "$max_iter" "$it" "$it" >"$out/result.json.tmp"
      mv "$out/result.json.tmp" "$out/result.json"
    fi
    exit 3
  fi
  [[ ${FAKE_QUIET:-0} == 1 ]] || echo "iter $it/$max_iter loss 1.0"
  progress
  ((it % snap == 0 && it < max_iter)) && checkpoint
done
if ((rank == 0)); then
  echo "final $cell" >"$out/final.h5"
  printf '{"cell_id": "%s", "finished": true, "config_hash": "h-%s-%s", "iterations": %d, "statistic": {"top10_mean_top1": 0.%03d}}\n' \
    "$cell" "$cell" "$max_iter" "$it" "$((${#cell} * 7 % 1000))" >"$out/result.json.tmp"
  mv "$out/result.json.tmp" "$out/result.json"
fi
exit 0
