#!/usr/bin/env bash
# Submits a cachegate study to Slurm as an array of shards and the job that combines them
# once every shard has succeeded; prints the combining job's id.
#
#   deploy/slurm/submit.sh [--shards N] [--separate] [--wait] SCENARIO OUT [cachegate run options]
#
#   --shards N   array size (default 8); units are configurations x replications
#   --separate   no shared filesystem: task K writes OUT/shards/K, merged into OUT
#                (collect the shard folders on the merging node first if they are node-local)
#   --wait       wait for the combining job; exit with its status: 0 every check passed,
#                1 a check failed, 2 an error (a failed shard cancels the combining job)
#
# Paths are taken as given by every job: use a shared, absolute OUT. The jobs run
# `cachegate` from PATH (or $CACHEGATE); sbatch exports the submitting environment.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

shards=8 separate=0 wait=0
while [ "$#" -gt 0 ]; do
  case $1 in
    --shards) shards=${2:?--shards needs a number}; shift 2 ;;
    --separate) separate=1; shift ;;
    --wait) wait=1; shift ;;
    *) break ;;
  esac
done
if [ "$#" -lt 2 ]; then
  echo "usage: submit.sh [--shards N] [--separate] [--wait] SCENARIO OUT [cachegate run options]" >&2
  exit 2
fi
scenario=$1 out=$2
shift 2

if [ "$separate" = 1 ]; then
  array=$(sbatch --parsable --array="1-$shards" "$here/shards.sbatch" "$scenario" "$out/shards/%a" "$@")
else
  array=$(sbatch --parsable --array="1-$shards" "$here/shards.sbatch" "$scenario" "$out" "$@")
fi
array=${array%%;*}
echo "submitted shards: job $array (1-$shards)" >&2

# A shard that fails makes the dependency unsatisfiable: the combining job is then
# cancelled rather than left pending.
after=(--dependency="afterok:$array" --kill-on-invalid-dep=yes)
if [ "$separate" = 1 ]; then
  roots=()
  for k in $(seq 1 "$shards"); do roots+=("$out/shards/$k"); done
  job=("$here/merge.sbatch" "$out" "${roots[@]}")
else
  job=("$here/combine.sbatch" "$scenario" "$out" "$@")
fi
if [ "$wait" = 0 ]; then
  exec sbatch --parsable "${after[@]}" "${job[@]}"
fi

# sbatch --wait exits with the job's status, but with 0 for a job cancelled before it ran
# (its dependency failed): the job's final state tells them apart.
status=0
id=$(sbatch --parsable --wait "${after[@]}" "${job[@]}") || status=$?
id=${id%%;*}
echo "$id"
state=$(scontrol show job "$id" --oneliner 2>/dev/null | grep -o 'JobState=[A-Z_]*' || true)
case ${state#JobState=} in
  COMPLETED | FAILED | "") exit "$status" ;;
  *)
    echo "submit.sh: the combining job $id ended ${state#JobState=} (a shard failed, or it was cancelled)" >&2
    exit 2
    ;;
esac
