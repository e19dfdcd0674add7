#!/usr/bin/env bash
# s3-compat-tests/objlock.sh: S3 Object Lock through boto3 (Debian's /usr/bin/python3, run by
# s3-compat-tests/run): a second user, who may delete versions but not bypass GOVERNANCE, is
# made with cairn-adm; objlock.py does the rest.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
adm() { "$COMPAT_BUILD/manager/adm/cairn-adm" --manager "$COMPAT_ADMIN" "$@"; }
json=$(adm --json create-user compat-lock-other) || { echo "FAIL cairn-adm create-user"; exit 1; }
OTHER_AK=$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_key"])')
OTHER_SK=$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
OTHER_ID=$(adm --json get-users | python3 -c 'import json,sys; print([u["id"] for u in json.load(sys.stdin) if u["user"] == "compat-lock-other"][0])')
export OTHER_AK OTHER_SK OTHER_ID
exec /usr/bin/python3 "$here/objlock.py" compat-lock
