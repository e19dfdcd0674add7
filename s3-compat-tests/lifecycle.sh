#!/usr/bin/env bash
# s3-compat-tests/lifecycle.sh: a bucket's lifecycle configuration with boto3 (issue 18; run
# by s3-compat-tests/run): lifecycle.py puts, gets and deletes rules through Debian's boto3
# (/usr/bin/python3), checks S3's validation errors and the x-amz-expiration header.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
/usr/bin/python3 -c 'import boto3' 2>/dev/null || { echo "SKIPSUITE no boto3 for /usr/bin/python3"; exit 2; }
echo "# boto3 $(/usr/bin/python3 -c 'import boto3; print(boto3.__version__)')"
exec /usr/bin/python3 "$here/lifecycle.py" compat-lifecycle
