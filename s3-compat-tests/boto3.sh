#!/usr/bin/env bash
# s3-compat-tests/boto3.sh: runs boto3_compat.py (run by s3-compat-tests/run) with the python3
# first on PATH, and again with Debian's /usr/bin/python3 (python3-boto3) when that is another
# interpreter with another boto3, so that both an old boto3 (Debian 12: 1.26, no default
# checksums) and a current one (CRC32 by default, aws-chunked trailers) are covered.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ran=0
rc=0
seen=""
ver() { "$1" -c 'import boto3, botocore; print(boto3.__version__, botocore.__version__)' 2>/dev/null; }
for py in "$(command -v python3)" /usr/bin/python3; do
    v=$(ver "$py") || continue
    case " $seen " in *" $v "*) continue ;; esac
    seen="$seen $v"
    tag=$(printf '%s' "${v%% *}" | tr -c '0-9a-z\n' '-')
    echo "# $py: boto3/botocore $v"
    "$py" "$here/boto3_compat.py" "compat-boto3-$tag" 2>&1 | sed -E "s/^(ok  |FAIL|skip) (.*)/\1 [boto3 ${v%% *}] \2/"
    [ "${PIPESTATUS[0]}" -ne 0 ] && rc=1
    ran=$((ran + 1))
done
[ $ran -gt 0 ] || { echo "SKIPSUITE no python3 can import boto3 (Debian package python3-boto3)"; exit 2; }
exit $rc
