#!/usr/bin/env bash
# start_cluster.sh: a single-node SLURM cluster on this machine (localhost), for
# the grid tests. Idempotent: with slurmctld and slurmd already up it only
# checks that the node takes jobs (and resumes it when drained or down).
# Needs root, slurm-wlm and munge (scripts/install_deps.sh).
#
# It writes /etc/slurm/slurm.conf only when there is none or when the one there
# was written by this script; a site's own slurm.conf is used as it is.
# AuthInfo=cred_expire=10 shortens how long a requeued job waits before it may
# start again (SLURM's default, 120 s, is the "about two minutes" seen on real
# clusters); it matters only to how long the requeue test takes.
#
# Exit: 0 the node is idle or allocated and takes jobs; 77 SLURM cannot run
# here (not root, not installed); 1 it failed to come up (logs printed).
set -euo pipefail

conf=/etc/slurm/slurm.conf
marker="# written by xfer tests/slurm/start_cluster.sh"
log_dir=/var/log/slurm

if [[ $(id -u) -ne 0 ]]; then
  echo "start_cluster: needs root to start munged, slurmctld and slurmd" >&2
  exit 77
fi
for b in munged slurmctld slurmd sinfo sbatch; do
  if ! command -v "$b" >/dev/null; then
    echo "start_cluster: $b is not installed (scripts/install_deps.sh installs slurm-wlm munge)" >&2
    exit 77
  fi
done

host=$(hostname -s)

here=$(dirname "${BASH_SOURCE[0]}")
source "$here/lib.sh"

# --- munge -------------------------------------------------------------------
bash "$here/start_munge.sh"

# --- slurm.conf --------------------------------------------------------------
# The node line as slurmd sees the hardware, so the node never registers with
# less than configured (which would drain it). Addresses are 127.0.0.1, so a
# container whose host name does not resolve works too.
node_line=$(slurmd -C | head -1)
node_line=${node_line/NodeName=* CPUs=/NodeName=$host NodeAddr=127.0.0.1 CPUs=}
overrides=""
cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$node_line")
if ((cpus < 2)); then
  # The tests run cells of 2 ranks: declare 2 CPUs on a 1-CPU machine.
  mem=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$node_line")
  node_line="NodeName=$host NodeAddr=127.0.0.1 CPUs=2 RealMemory=$mem"
  overrides="SlurmdParameters=config_overrides"
fi
want=$(cat <<EOF
$marker
ClusterName=xfer
SlurmctldHost=$host(127.0.0.1)
$(slurm_conf_common)
KillWait=30
MaxArraySize=10001
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$log_dir/slurmctld.log
SlurmdLogFile=$log_dir/slurmd.log
$overrides
$node_line State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
)
restart=0
if [[ ! -f $conf ]] || head -1 "$conf" | grep -qF "$marker"; then
  if [[ ! -f $conf ]] || [[ "$(cat "$conf")" != "$want" ]]; then
    mkdir -p "$(dirname "$conf")"
    printf '%s\n' "$want" >"$conf.tmp.$$"
    mv "$conf.tmp.$$" "$conf"
    restart=1
  fi
fi
mkdir -p /var/spool/slurmctld /var/spool/slurmd "$log_dir"

# --- daemons -----------------------------------------------------------------
alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
if ((restart)); then
  # Our own configuration changed: restart what runs with the old one.
  for p in /run/slurmd.pid /run/slurmctld.pid; do
    if alive "$p"; then kill "$(cat "$p")"; fi
  done
  for _ in $(seq 50); do
    alive /run/slurmd.pid || alive /run/slurmctld.pid || break
    sleep 0.2
  done
fi
alive /run/slurmctld.pid || slurmctld
for _ in $(seq 100); do
  scontrol ping 2>/dev/null | grep -q "is UP" && break
  sleep 0.2
done
alive /run/slurmd.pid || slurmd

# --- the node takes jobs -------------------------------------------------------
state=""
for _ in $(seq 150); do
  state=$(sinfo -h -n "$host" -o '%T' 2>/dev/null | head -1 || true)
  case "$state" in
    idle|allocated|mixed|completing) echo "start_cluster: node $host is $state"; exit 0 ;;
    drain*|down*|fail*|"inval"*)
      scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 0.2
done
echo "start_cluster: node $host is '${state:-unknown}' after 30 s" >&2
tail -n 20 "$log_dir/slurmctld.log" "$log_dir/slurmd.log" >&2 || true
exit 1
