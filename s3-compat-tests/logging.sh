#!/usr/bin/env bash
# s3-compat-tests/logging.sh: server access log configuration with boto3 (issue 18; run by
# s3-compat-tests/run): bucket_logging.py (Debian's /usr/bin/python3 and its boto3 1.26)
# puts, gets and turns off a bucket's logging and checks S3's errors. The delivery of the logs
# themselves is tests/integration/test_access_logs.sh's (it needs a short log_flush_ms).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
/usr/bin/python3 -c 'import boto3' 2>/dev/null || { echo "SKIPSUITE no boto3 for /usr/bin/python3"; exit 2; }
echo "# boto3 $(/usr/bin/python3 -c 'import boto3; print(boto3.__version__)')"
exec /usr/bin/python3 "$here/bucket_logging.py" compat-logging
