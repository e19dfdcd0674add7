#!/usr/bin/env bash
# s3-compat-tests/post.sh: browser POST uploads sent by curl -F (run by s3-compat-tests/run):
# post_forms.py writes and signs the policies (SigV4 and SigV2) as the application's server
# would, curl sends the forms, boto3 (Debian's /usr/bin/python3) reads back what landed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v curl >/dev/null || { echo "SKIPSUITE no curl"; exit 2; }
echo "# $(curl --version | head -n 1)"
exec /usr/bin/python3 "$here/post_forms.py" compat-post
