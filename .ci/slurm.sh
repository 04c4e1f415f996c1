#!/usr/bin/env bash
# CI: a study run as a real Slurm array on a one-node cluster on this machine, through the
# scripts in deploy/slurm/ that the README shows, must write the unsharded run's bytes,
# both ways: into one shared report folder combined with --resume, and into a folder per
# task joined with `cachegate merge`. Installs Debian's Slurm and MUNGE when absent (CI
# runs as root), starts munged, slurmctld and slurmd with their configuration, state and
# sockets in a temporary folder, and stops them when done.
#
#   bash .ci/slurm.sh CACHEGATE_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
binary=$(realpath "${1:?usage: slurm.sh CACHEGATE_BINARY}")
scenario=$repo/scenarios/ttl-capacity.toml
shards=3

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
  || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

work=$(mktemp -d)
pids=()
stop() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  if [ "$status" -ne 0 ]; then
    for log in "$work"/*.log "$work"/jobs/*.out; do
      [ -f "$log" ] && { echo "--- $log"; tail -n 30 "$log"; }
    done >&2
  fi
  rm -rf "$work"
  exit "$status"
}
trap stop EXIT
# The daemons are ours to stop: each writes its pid file once it is up.
started() {
  local pidfile=$1 what=$2
  for _ in $(seq 100); do
    if [ -s "$pidfile" ]; then pids+=("$(cat "$pidfile")"); return; fi
    sleep 0.1
  done
  echo "slurm.sh: $what did not start" >&2
  exit 1
}

# MUNGE, on its own key and socket.
mkdir -m 0700 "$work/munge"
mungekey --create --keyfile="$work/munge/munge.key"
munged --force --socket="$work/munge/socket" --key-file="$work/munge/munge.key" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/munged.log" \
  --seed-file="$work/munge/seed"
started "$work/munge/munged.pid" munged

# One node, this machine, on loopback; ports away from a system Slurm's defaults.
node=cachegate-ci
mkdir -p "$work/state" "$work/spool" "$work/jobs"
cat > "$work/slurm.conf" <<CONF
ClusterName=cachegate-ci
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool/%n
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=ci Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld -f "$SLURM_CONF"
started "$work/slurmctld.pid" slurmctld
slurmd -f "$SLURM_CONF" -N "$node"
started "$work/slurmd.pid" slurmd
idle=0
for _ in $(seq 100); do
  if sinfo -h -N -o %t 2>/dev/null | grep -qx idle; then idle=1; break; fi
  sleep 0.2
done
sinfo -N
if [ "$idle" = 0 ]; then echo "slurm.sh: the node did not become idle" >&2; exit 1; fi

# The reference: the study unsharded, in one process.
"$binary" run "$scenario" --out "$work/reference" --quiet >/dev/null || [ $? -eq 1 ]
name=$(basename "$scenario" .toml) # the report folder: the scenario's name, its file's stem here

export CACHEGATE=$binary
cd "$work/jobs"
for mode in shared separate; do
  flags=()
  [ "$mode" = separate ] && flags=(--separate)
  status=0
  timeout 300 "$repo/deploy/slurm/submit.sh" --shards "$shards" "${flags[@]}" --wait \
    "$scenario" "$work/$mode" >/dev/null || status=$?
  # 1: the study ran and one of its checks failed (ttl-capacity.toml's do, by design).
  if [ "$status" -gt 1 ]; then
    echo "slurm.sh: the $mode run's combining job ended with status $status" >&2
    exit 1
  fi
  diff -r "$work/reference/$name" "$work/$mode/$name"
  echo "slurm.sh: $shards-task array ($mode) wrote the unsharded run's bytes"
done

# A shard that fails leaves the combining job nothing to wait for: it is cancelled, and
# submit.sh --wait returns an error rather than hanging or passing.
status=0
CACHEGATE=false timeout 120 "$repo/deploy/slurm/submit.sh" --shards "$shards" --wait \
  "$scenario" "$work/failing" >/dev/null 2>&1 || status=$?
if [ "$status" -le 1 ]; then
  echo "slurm.sh: with failing shards, submit.sh --wait returned $status (expected an error)" >&2
  exit 1
fi
if [ "$status" = 124 ]; then
  echo "slurm.sh: with failing shards, the combining job was left waiting" >&2
  exit 1
fi
echo "slurm.sh: with failing shards the combining job is cancelled (submit.sh --wait: status $status)"
