#!/usr/bin/env bash
# CI: the scale-out files in deploy/ and the Dockerfile, checked without the engines (no
# Docker engine, AWS account or Kubernetes cluster runs here; .ci/slurm.sh runs a real
# Slurm):
#   - every script under shellcheck, the Dockerfile under hadolint;
#   - the Kubernetes manifests against the API's schema (strict), and their pods' commands
#     run here as the Job controller would run them: the study's bytes must be the
#     unsharded run's;
#   - the AWS Batch scripts run unchanged through the real AWS CLI, which checks each
#     request against Batch's model, against a local stand-in for the Batch API that runs
#     the jobs as Batch would (.ci/deploy/aws_batch_stub.py): again the unsharded bytes,
#     and a failing shard fails the combining job without running it.
#
#   bash .ci/deploy.sh CACHEGATE_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
binary=$(realpath "${1:?usage: deploy.sh CACHEGATE_BINARY}")
scenario=$repo/scenarios/ttl-capacity.toml

work=$(mktemp -d)
stub=''
cleanup() {
  local status=$?
  if [ -n "$stub" ]; then kill "$stub" 2>/dev/null || true; fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

if ! command -v shellcheck >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends shellcheck >/dev/null
fi
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check -r .ci/deploy/requirements.txt
tools=$work/venv/bin

echo "-- shellcheck, hadolint"
shellcheck .ci/run .ci/*.sh deploy/*/*.sh deploy/slurm/*.sbatch
"$tools/hadolint" Dockerfile

# The study unsharded, in one process: what every engine's run must reproduce. The report
# names the scenario file as given, so each reference reads it where the engine's run does.
reference() {
  local dir=$1 path=$2 out=$3
  (cd "$dir" && "$binary" run "$path" --out "$out" --quiet >/dev/null) || [ $? -eq 1 ]
}
name=$(basename "$scenario" .toml)
mkdir -p "$work/bin"
ln -s "$binary" "$work/bin/cachegate"
export PATH=$work/bin:$PATH

echo "-- kubernetes: the manifests against the API schema of the oldest and newest versions they support"
for version in 1.33.0 1.37.0; do
  "$tools/kubernetes-validate" --strict --quiet -k "$version" deploy/kubernetes/*.yaml
done
mkdir -p "$work/k8s/scenario" "$work/k8s/reports"
cp "$scenario" "$work/k8s/scenario/study.toml"
reference "$work" "$work/k8s/scenario/study.toml" "$work/k8s-reference"
status=0
"$tools/python" .ci/deploy/kubernetes_jobs.py deploy/kubernetes "$work/k8s/scenario" "$work/k8s/reports" || status=$?
if [ "$status" -gt 1 ]; then exit 1; fi
diff -r "$work/k8s-reference/$name" "$work/k8s/reports/$name"
echo "kubernetes: the Indexed Job's pods and the combining pod wrote the unsharded run's bytes"

echo "-- aws batch: register.sh and submit.sh through the AWS CLI against a local Batch"
mkdir -p "$work/efs"
cp "$scenario" "$work/efs/study.toml"
reference "$work/efs" study.toml "$work/batch-reference"
"$tools/python" .ci/deploy/aws_batch_stub.py --port-file "$work/port" --log "$work/batch.jsonl" \
  --mount "/mnt/cachegate=$work/efs" 2>"$work/stub.log" &
stub=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$work/port")"
export AWS_ENDPOINT_URL
export AWS_ACCESS_KEY_ID=ci AWS_SECRET_ACCESS_KEY=ci AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export PATH=$tools:$PATH CACHEGATE_POLL_SECONDS=0.1
IMAGE=123456789012.dkr.ecr.us-east-1.amazonaws.com/cachegate:0.1.0 \
  EXECUTION_ROLE_ARN=arn:aws:iam::123456789012:role/ecsTaskExecutionRole \
  FILE_SYSTEM_ID=fs-0123456789abcdef0 ACCESS_POINT_ID=fsap-0123456789abcdef0 \
  deploy/aws-batch/register.sh
status=0
deploy/aws-batch/submit.sh --queue cachegate --shards 3 --wait study.toml reports >/dev/null || status=$?
if [ "$status" -gt 1 ]; then
  echo "deploy.sh: the Batch study's combining job failed ($status)" >&2
  cat "$work/stub.log" >&2
  exit 1
fi
diff -r "$work/batch-reference/$name" "$work/efs/reports/$name"
status=0
deploy/aws-batch/submit.sh --queue cachegate --shards 3 --wait missing.toml failing \
  >/dev/null 2>&1 || status=$?
if [ "$status" != 2 ]; then
  echo "deploy.sh: with failing shards submit.sh --wait returned $status, expected 2" >&2
  exit 1
fi
"$tools/python" - "$work/batch.jsonl" <<'PY'
import json, sys
calls = [json.loads(line) for line in open(sys.argv[1])]
submits = [c["request"] for c in calls if c["path"] == "/v1/submitjob"]
registered = [c["request"] for c in calls if c["path"] == "/v1/registerjobdefinition"]
assert [r["jobDefinitionName"] for r in registered] == ["cachegate-shard", "cachegate-combine"]
for r in registered:
    text = json.dumps(r)
    assert "${" not in text.replace("$((", ""), f"an unfilled placeholder in {r['jobDefinitionName']}"
array, combine = submits[0], submits[1]
assert array["arrayProperties"] == {"size": 3}, array
assert array["parameters"]["shards"] == "3", array
assert combine["dependsOn"] == [{"jobId": "job-0001"}], combine
PY
echo "aws batch: a 3-child array job and the dependent combining job wrote the unsharded run's bytes; a failing shard fails the combining job"
