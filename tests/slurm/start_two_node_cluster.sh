#!/usr/bin/env bash
# start_two_node_cluster.sh DIR: a second SLURM cluster on this machine with
# two nodes, n1 and n2, for the tests of cells whose ranks span nodes. It
# lives entirely in DIR (its own slurm.conf, state, spool, pid and log files,
# and ports 6917 / 6921 / 6922), beside the single-node cluster of
# start_cluster.sh, never touching /etc/slurm. Use it with
#   export SLURM_CONF=DIR/slurm.conf
# Both nodes have NodeAddr=127.0.0.1; each has its own TmpFS (DIR/tmp-n1,
# DIR/tmp-n2), without which the two nodes' PMIx servers collide on one /tmp
# folder and a 2-node step fails. Idempotent: daemons already up are kept.
#   start_two_node_cluster.sh DIR --stop    stops its daemons
# Exit: 0 both nodes take jobs; 77 SLURM cannot run here; 1 it failed (logs printed).
set -euo pipefail

dir=${1:?usage: start_two_node_cluster.sh DIR [--stop]}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf=$dir/slurm.conf
export SLURM_CONF=$conf

alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
if [[ ${2:-} == --stop ]]; then
  for p in "$dir"/slurmd-n1.pid "$dir"/slurmd-n2.pid "$dir"/slurmctld.pid; do
    if alive "$p"; then kill "$(cat "$p")"; fi
  done
  # A daemon whose pid file is gone (SLURM removes them on some paths) is
  # found by its configuration file; one that ignores SIGTERM (a slurmd
  # cleaning up steps) is killed after 5 s: these are the tests' own daemons.
  pkill -f -- "-f $conf" 2>/dev/null || true
  for _ in $(seq 50); do pgrep -f -- "-f $conf" >/dev/null || exit 0; sleep 0.1; done
  pkill -9 -f -- "-f $conf" 2>/dev/null || true
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "start_two_node_cluster: needs root to start munged, slurmctld and slurmd" >&2
  exit 77
fi
for b in munged slurmctld slurmd sinfo sbatch; do
  command -v "$b" >/dev/null || { echo "start_two_node_cluster: $b is not installed" >&2; exit 77; }
done
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/lib.sh"
bash "$here/start_munge.sh"

host=$(hostname -s)
mem=$(slurmd -C | sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' | head -1)
mkdir -p "$dir/state" "$dir/spool-n1" "$dir/spool-n2" "$dir/tmp-n1" "$dir/tmp-n2"
# Both nodes declare the machine's cores; config_overrides keeps them from
# being drained for sharing one machine's hardware.
cat >"$conf.tmp" <<CONF
ClusterName=xfer2
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=6917
$(slurm_conf_common)
KillWait=10
SlurmdParameters=config_overrides
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool-%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd-%n.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd-%n.log
TmpFS=$dir/tmp-%n
NodeName=n1 NodeHostname=$host NodeAddr=127.0.0.1 Port=6921 CPUs=2 RealMemory=$mem State=UNKNOWN
NodeName=n2 NodeHostname=$host NodeAddr=127.0.0.1 Port=6922 CPUs=2 RealMemory=$mem State=UNKNOWN
PartitionName=two Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP
CONF
if [[ -f $conf ]] && cmp -s "$conf" "$conf.tmp"; then rm "$conf.tmp"; else mv "$conf.tmp" "$conf"; fi

alive "$dir/slurmctld.pid" || slurmctld -f "$conf"
for _ in $(seq 100); do
  scontrol ping 2>/dev/null | grep -q "is UP" && break
  sleep 0.2
done
for n in n1 n2; do alive "$dir/slurmd-$n.pid" || slurmd -f "$conf" -N "$n"; done
# Its own daemons, not another cluster's answering on the same ports.
sleep 0.5
for p in slurmctld slurmd-n1 slurmd-n2; do
  if ! alive "$dir/$p.pid"; then
    echo "start_two_node_cluster: $p did not start (ports 6917/6921/6922 held by another cluster?)" >&2
    tail -n 5 "$dir/${p}.log" >&2 || true
    exit 1
  fi
done

for _ in $(seq 150); do
  states=$(sinfo -h -N -o '%N %T' 2>/dev/null | sort -u || true)
  ready=$(grep -cE ' (idle|allocated|mixed|completing)$' <<<"$states" || true)
  if ((ready == 2)); then echo "start_two_node_cluster: n1 and n2 take jobs ($conf)"; exit 0; fi
  for n in $(awk '$2 ~ /^(drain|down|fail|inval)/ {print $1}' <<<"$states"); do
    scontrol update NodeName="$n" State=RESUME >/dev/null 2>&1 || true
  done
  sleep 0.2
done
echo "start_two_node_cluster: nodes not ready after 30 s: $states" >&2
tail -n 20 "$dir"/slurmctld.log "$dir"/slurmd-n*.log >&2 || true
exit 1
