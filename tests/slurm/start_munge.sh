#!/usr/bin/env bash
# start_munge.sh: munged with a key, running and answering, for the SLURM
# clusters the tests start (start_cluster.sh, start_two_node_cluster.sh).
# Idempotent; needs root. Exit 0 when munge answers, 1 when it does not.
set -euo pipefail

mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
chmod 0755 /run/munge
if [[ ! -s /etc/munge/munge.key ]]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
fi
answers() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
answers && exit 0
pid_file=/run/munge/munged.pid
[[ -f $pid_file ]] && ! kill -0 "$(cat "$pid_file")" 2>/dev/null && rm -f "$pid_file" /run/munge/munge.socket.2*
runuser -u munge -- /usr/sbin/munged
for _ in $(seq 50); do
  answers && exit 0
  sleep 0.1
done
echo "start_munge: munged does not answer" >&2
exit 1
