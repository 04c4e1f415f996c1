#!/usr/bin/env bash
# Registers the two AWS Batch job definitions the array job needs (cachegate-shard and
# cachegate-combine, Fargate, the study's EFS file system mounted at /mnt/cachegate),
# filling in the account's values from the environment:
#
#   IMAGE               the image built from the repository's Dockerfile, pushed to a
#                       registry the tasks can pull from (e.g. ECR)
#   EXECUTION_ROLE_ARN  the ECS task execution role (pulls the image, writes the logs)
#   FILE_SYSTEM_ID      the EFS file system holding scenarios and reports (fs-...)
#   ACCESS_POINT_ID     its access point, PosixUser 10001:10001 as the image runs (fsap-...)
#   ASSIGN_PUBLIC_IP    ENABLED in a public subnet without a NAT gateway (to reach the
#                       registry), else DISABLED (default)
#
#   deploy/aws-batch/register.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${IMAGE:?set IMAGE}" "${EXECUTION_ROLE_ARN:?set EXECUTION_ROLE_ARN}"
: "${FILE_SYSTEM_ID:?set FILE_SYSTEM_ID}" "${ACCESS_POINT_ID:?set ACCESS_POINT_ID}"
export ASSIGN_PUBLIC_IP=${ASSIGN_PUBLIC_IP:-DISABLED}
# Only these names are replaced: the commands' own $0, $1 and $((...)) stay for the shell.
# shellcheck disable=SC2016 # the names envsubst replaces, written as it expects them
vars='${IMAGE} ${EXECUTION_ROLE_ARN} ${FILE_SYSTEM_ID} ${ACCESS_POINT_ID} ${ASSIGN_PUBLIC_IP}'
filled=$(mktemp)
trap 'rm -f "$filled"' EXIT
for which in shard combine; do
  envsubst "$vars" < "$here/job-definition-$which.json" > "$filled"
  aws batch register-job-definition --cli-input-json "file://$filled" \
    --query '[jobDefinitionName, revision]' --output text
done
