# lib.sh: what the SLURM test scripts share (sourced, not run): the settings
# both test clusters use, the prepared Fashion-MNIST data and the jobs a test
# submitted into a results folder. A script defines say() and fail() before
# calling the functions that report.

# The slurm.conf lines the single-node and the two-node test clusters share:
# root daemons, munge, no accounting, cores as the unit. cred_expire=10
# shortens how long a requeued job waits before it may start again (SLURM's
# default, 120 s, is the "about two minutes" seen on real clusters).
slurm_conf_common() {
  cat <<'CONF'
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=cred_expire=10
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
MinJobAge=600
CONF
}

# Fashion-MNIST (half0 and all) in DATA, kept between runs while it verifies.
prepare_fmnist() {
  local data=$1 bin=$2
  if [[ -f $data/.prepared ]] && "$bin/xfer_verify_data" "$data" >/dev/null 2>&1; then return 0; fi
  say "preparing Fashion-MNIST into $data"
  rm -rf "$data"
  "$bin/xfer_prep_fmnist" --out "$data" --seeds 0 --reduced "" --no-dissim >/dev/null \
    || fail "xfer_prep_fmnist failed"
  touch "$data/.prepared"
}

# Every program named is built in BIN.
require_programs() {
  local bin=$1 b
  shift
  for b in "$@"; do [[ -x $bin/$b ]] || fail "$bin/$b is missing (build everything first)"; done
}

# The array jobs jobs/grid.sh submitted into RESULTS, one per line.
jobs_of_results() { cut -f1 "$1/.slurm/submitted.tsv" 2>/dev/null | cut -d_ -f1 | sort -u; }
# The latest <array job>_<task> of CELL in RESULTS.
job_of_cell() { awk -v id="$2" '$2 == id {j = $1} END {print j}' "$1/.slurm/submitted.tsv"; }
# Cancels what a test submitted into RESULTS (on the way out).
cancel_jobs_of() {
  local ids
  ids=$(jobs_of_results "$1" | tr '\n' ' ')
  [[ -n ${ids// } ]] && scancel $ids 2>/dev/null || true
}
