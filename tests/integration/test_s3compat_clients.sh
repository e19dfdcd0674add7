#!/usr/bin/env bash
# tests/integration/test_s3compat_clients.sh BUILD_DIR: the stock S3 clients of s3-compat-tests/
# (aws cli, curl, s3cmd SigV4 and SigV2, boto3, rclone, the AWS SDK for JavaScript v3) against
# a cluster that s3-compat-tests/run starts on free loopback ports; see s3-compat-tests/README.md.
# Prints ok/FAIL lines and "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
exec bash "$src/s3-compat-tests/run" "${1:-$src/build}"
