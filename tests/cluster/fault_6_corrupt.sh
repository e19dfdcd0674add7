#!/usr/bin/env bash
# tests/cluster/fault_6_corrupt.sh BUILD_DIR: flip a byte of one object in its coordinator's
# container file during a load: the GET still returns the right bytes (the checksum fails,
# the other owners answer) and read repair or the scrub (cairn-adm diagnose-start) restores
# the copy: whereis shows identical, good replicas again.
set -uo pipefail
FC_BUILD=${1:?usage: fault_6_corrupt.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

fc_setup 4
fc_load_start load --prefix bg --threads 4 --read-ratio 0.3
key=victim/object-1
python3 - "$FC_ENDPOINT" "$FC_BUCKET" "$key" "$CL_DIR/victim.bin" <<'PY' || t_abort "cannot write the victim object"
import sys, boto3
from botocore.config import Config
ep, bucket, key, path = sys.argv[1:]
body = b"".join(b"CAIRN-CORRUPT-MARK-%06d-" % i for i in range(400))
open(path, "wb").write(body)
c = boto3.client("s3", endpoint_url=ep, region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))
c.put_object(Bucket=bucket, Key=key, Body=body)
PY
owner=$(cl_adm --json whereis "$FC_BUCKET/$key" | python3 -c 'import json,sys; print(json.load(sys.stdin)["replicas"][0]["node"])')
file=$(grep -l -a "CAIRN-CORRUPT-MARK-000200-" "$CL_DIR"/data/"$owner"/containers/*.dat 2>/dev/null | head -n 1)
[ -n "$file" ] || t_abort "the victim's record is not in $owner's containers"
off=$(grep -obUa "CAIRN-CORRUPT-MARK-000200-" "$file" | head -n 1 | cut -d: -f1)
python3 - "$file" "$off" <<'PY' && t_ok "flipped one byte of the object in $owner's container ($(basename "$file") at $off)"
import sys
path, off = sys.argv[1], int(sys.argv[2]) + 5
with open(path, "r+b") as f:
    f.seek(off); b = f.read(1); f.seek(off); f.write(bytes([b[0] ^ 0x01]))
PY
got=$(python3 - "$FC_ENDPOINT" "$FC_BUCKET" "$key" <<'PY'
import hashlib, sys, boto3
from botocore.config import Config
ep, bucket, key = sys.argv[1:]
c = boto3.client("s3", endpoint_url=ep, region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))
print(hashlib.md5(c.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest())
PY
)
expect_eq "the GET returns the right bytes although the coordinator's copy is corrupt" \
    "$(md5sum <"$CL_DIR/victim.bin" | cut -d' ' -f1)" "$got"
copy_ok() {
    cl_adm --json whereis "$FC_BUCKET/$key" | python3 -c '
import json, sys
w = json.load(sys.stdin)
c = [r["copy"] for r in w["replicas"]]
ok = all(x.get("present") and not x.get("corrupt") for x in c) and len(set(x.get("clock") for x in c)) == 1
sys.exit(0 if ok else 1)'
}
deadline=$((SECONDS + 20))
until copy_ok; do [ $SECONDS -ge $deadline ] && break; sleep 0.5; done
if ! copy_ok; then
    # not repaired by the read: the scrub finds and repairs it
    cl_adm diagnose-start "$owner" --wait >/dev/null 2>&1
    deadline=$((SECONDS + 30))
    until copy_ok; do [ $SECONDS -ge $deadline ] && break; sleep 0.5; done
fi
check "the corrupt replica is restored (whereis: every copy good, one clock)" copy_ok
out=$(cl_adm diagnose-start "$owner" --wait 2>&1)
expect_match "diagnose-start --wait scrubs the node and reports" 'records' "$out"
fc_load_stop load
expect_eq "the background load saw no bad read" 0 "$(fc_json_get "$FC_SUM" bad_reads)"
# shellcheck disable=SC2046
fc_wait_drained 60 $(fc_storage_names) || t_bad "queues did not drain"
check "every acked object of the load reads back, replicas identical" fc_verify load --sample 200
t_summary
