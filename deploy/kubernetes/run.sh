#!/usr/bin/env bash
# Runs a cachegate study on Kubernetes as an Indexed Job of shards and a combining Job,
# with kubectl's current context and namespace:
#
#   deploy/kubernetes/run.sh SCENARIO [TIMEOUT_SECONDS]
#
# 1. the scenario goes into the cachegate-scenario ConfigMap (as study.toml; a scenario
#    that reads trace or stage files needs them beside it: add them with --from-file);
# 2. the shared volume (reports-volume.yaml) and the shards (shards-job.yaml) are applied,
#    and the script waits for every index to complete (a failed shard stops it: exit 2);
# 3. combine-job.yaml runs `--resume` on the same volume; its log is printed, and the
#    script exits with its status (0 every check passed, 1 a check failed, 2 an error).
#
# The report is then in the volume at /study/reports/<name>/; copy it out with a pod that
# mounts the claim and `kubectl cp`. TIMEOUT (seconds, default 3600) bounds each wait.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
  echo "usage: run.sh SCENARIO [TIMEOUT_SECONDS]" >&2
  exit 2
fi
scenario=$1 timeout=${2:-3600}

kubectl create configmap cachegate-scenario --from-file=study.toml="$scenario" \
  --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -f "$here/reports-volume.yaml"
# A Job's pod template cannot change: a previous run's Jobs go first.
kubectl delete job cachegate-shards cachegate-combine --ignore-not-found --wait=true
kubectl apply -f "$here/shards-job.yaml"

# Polls until the Job is Complete (status 0) or Failed (1), or TIMEOUT seconds pass (1).
finished() {
  local job=$1 deadline=$((SECONDS + timeout)) conditions
  while [ "$SECONDS" -lt "$deadline" ]; do
    conditions=$(kubectl get "job/$job" \
      -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{"\n"}{end}')
    if grep -qx Complete <<<"$conditions"; then return 0; fi
    if grep -qx Failed <<<"$conditions"; then return 1; fi
    sleep 5
  done
  echo "run.sh: job/$job still running after ${timeout}s" >&2
  return 1
}

if ! finished cachegate-shards; then
  echo "run.sh: the shards did not all complete; their logs: kubectl logs job/cachegate-shards" >&2
  exit 2
fi
kubectl apply -f "$here/combine-job.yaml"
finished cachegate-combine || true
kubectl logs job/cachegate-combine
code=$(kubectl get pods -l job-name=cachegate-combine \
  -o jsonpath='{.items[0].status.containerStatuses[0].state.terminated.exitCode}')
exit "${code:-2}"
