#!/usr/bin/env bash
# Submits a cachegate study to AWS Batch: an array job of N shards (child K-1 runs
# `--shard K/N`, writing its parts to OUT on the EFS file system), then the combining job,
# which depends on the array job and so starts once every child has succeeded (if one
# fails, Batch fails it instead). Prints the combining job's id.
#
#   deploy/aws-batch/submit.sh --queue QUEUE [--shards N] [--wait] SCENARIO [OUT]
#
#   SCENARIO, OUT  paths on the file system, relative to its access point's root
#                  (OUT defaults to reports); the study's report is OUT/<name>/
#   --shards N     array size, 2 to 10,000 (default 8); units are configurations x replications
#   --wait         poll until the combining job ends; exit 0 if it succeeded, else with
#                  its exit code (1: a check failed) or 2 (it failed to run, or a shard did)
#
# The job definitions are those register.sh registered (latest active revision).
set -euo pipefail

queue='' shards=8 wait=0
while [ "$#" -gt 0 ]; do
  case $1 in
    --queue) queue=${2:?--queue needs a job queue}; shift 2 ;;
    --shards) shards=${2:?--shards needs a number}; shift 2 ;;
    --wait) wait=1; shift ;;
    *) break ;;
  esac
done
if [ -z "$queue" ] || [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
  echo "usage: submit.sh --queue QUEUE [--shards N] [--wait] SCENARIO [OUT]" >&2
  exit 2
fi
scenario=$1 out=${2:-reports}
if ! [[ $shards =~ ^[0-9]+$ ]] || [ "$shards" -lt 2 ] || [ "$shards" -gt 10000 ]; then
  echo "submit.sh: --shards must be 2 to 10000 (an AWS Batch array's size), got $shards" >&2
  exit 2
fi
# The parameters go as shorthand (key=value,...): a comma or an equals sign would split them.
case $scenario$out in
  *,* | *=*) echo "submit.sh: SCENARIO and OUT may not contain ',' or '='" >&2; exit 2 ;;
esac

array=$(aws batch submit-job --job-name cachegate-shards --job-queue "$queue" \
  --job-definition cachegate-shard --array-properties "size=$shards" \
  --parameters "scenario=$scenario,shards=$shards,out=$out" \
  --query jobId --output text)
echo "submitted shards: array job $array ($shards children)" >&2

# A dependency on the array job itself (no type): SEQUENTIAL and N_TO_N order children
# of arrays; the combining job needs all of them.
combine=$(aws batch submit-job --job-name cachegate-combine --job-queue "$queue" \
  --job-definition cachegate-combine --depends-on "jobId=$array" \
  --parameters "scenario=$scenario,out=$out" \
  --query jobId --output text)
echo "$combine"
[ "$wait" = 1 ] || exit 0

while :; do
  status=$(aws batch describe-jobs --jobs "$combine" --query 'jobs[0].status' --output text)
  case $status in
    SUCCEEDED) exit 0 ;;
    FAILED)
      code=$(aws batch describe-jobs --jobs "$combine" \
        --query 'jobs[0].container.exitCode' --output text)
      reason=$(aws batch describe-jobs --jobs "$combine" \
        --query 'jobs[0].statusReason' --output text)
      echo "submit.sh: the combining job $combine failed: $reason" >&2
      if [[ $code =~ ^[0-9]+$ ]] && [ "$code" -ne 0 ]; then exit "$code"; fi
      exit 2
      ;;
  esac
  sleep "${CACHEGATE_POLL_SECONDS:-30}"
done
