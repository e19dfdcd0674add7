#!/usr/bin/env bash
# fault_33_xdc_basic.sh (issue 22, test 1): two linked clusters A and B, 3 storage nodes each.
# What is written on A appears on B, content checked, within a lag measured here: a user and
# a bucket made on A (B serves them with the same credentials), 100 small objects, a
# multipart object of 12 MiB, deletes, an ACL change, tags, the versions of a versioned
# bucket, and a user made later.
set -u
FC_BUILD=${FC_BUILD:-${1:-build}}
. "$(dirname "$0")/xdc_lib.sh"

xc_init
xc_cluster a 3
xc_cluster b 3
xc_link a b
t_ok "clusters a ($(xc_id a)) and b ($(xc_id b)) linked"

EA=$(xc_endpoint a)
EB=$(xc_endpoint b)
xc_use a
uj=$(cl_adm --json create-user xuser) || t_abort "create-user on a"
AWS_ACCESS_KEY_ID=$(printf '%s' "$uj" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_key"])')
AWS_SECRET_ACCESS_KEY=$(printf '%s' "$uj" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
cl_adm add-bucket "$XC_BUCKET" "$AWS_ACCESS_KEY_ID" >/dev/null || t_abort "add-bucket on a"

s3() { # s3 ENDPOINT ARGS...: the aws CLI, quiet
    local e=$1
    shift
    aws --endpoint-url "$e" "$@"
}
xc_eventually 30 "b serves the user and the bucket made on a, with the same keys" \
    s3 "$EB" s3api head-bucket --bucket "$XC_BUCKET"

# --- 100 small objects, content checked; then the lag of one change at a time: from the
# ack of a PUT on a to the moment b serves it (b polled every 5 ms)
python3 - "$EA" "$EB" "$XC_BUCKET" "$XC_ROOT/lag" <<'EOF' || t_bad "100 small objects reach b"
import boto3, hashlib, os, sys, time
from botocore.config import Config
ea, eb, bucket, out = sys.argv[1:5]
cfg = Config(retries={"max_attempts": 1})
a = boto3.client("s3", endpoint_url=ea, config=cfg)
b = boto3.client("s3", endpoint_url=eb, config=cfg)
want = {}
for i in range(100):
    body = os.urandom(1000 + i * 37)
    a.put_object(Bucket=bucket, Key="small/%03d" % i, Body=body)
    want["small/%03d" % i] = hashlib.md5(body).hexdigest()
pending, deadline = dict(want), time.time() + 60
while pending and time.time() < deadline:
    for k in list(pending):
        try:
            got = b.get_object(Bucket=bucket, Key=k)["Body"].read()
        except Exception:
            continue
        if hashlib.md5(got).hexdigest() != pending[k]:
            print("content differs on b:", k); sys.exit(1)
        del pending[k]
    time.sleep(0.05)
if pending:
    print("missing on b after 60 s:", len(pending)); sys.exit(1)
lags = []
for i in range(30):
    k = "lag/%03d" % i
    a.put_object(Bucket=bucket, Key=k, Body=b"x" * 100)
    t0 = time.time()
    while time.time() - t0 < 30:
        try:
            b.head_object(Bucket=bucket, Key=k)
            break
        except Exception:
            time.sleep(0.005)
    lags.append(time.time() - t0)
lags.sort()
msg = "lag a->b of one PUT at a time (30): median %.3f s, max %.3f s" % (lags[len(lags) // 2], lags[-1])
print(msg)
open(out, "w").write(msg + "\n")
EOF
[ -s "$XC_ROOT/lag" ] && t_ok "100 small objects reach b, content checked; $(cat "$XC_ROOT/lag")"

# --- a multipart object (the aws CLI uploads 12 MiB in parts of 8 MiB)
head -c 12582912 /dev/urandom >"$XC_ROOT/big"
s3 "$EA" s3 cp "$XC_ROOT/big" "s3://$XC_BUCKET/big" >/dev/null || t_bad "multipart PUT on a"
xc_eventually 60 "the multipart object reaches b, same bytes" \
    bash -c "aws --endpoint-url $EB s3 cp s3://$XC_BUCKET/big $XC_ROOT/big.b >/dev/null 2>&1 && cmp -s $XC_ROOT/big $XC_ROOT/big.b"
ea=$(s3 "$EA" s3api head-object --bucket "$XC_BUCKET" --key big --query ETag --output text)
eb=$(s3 "$EB" s3api head-object --bucket "$XC_BUCKET" --key big --query ETag --output text)
[ "$ea" = "$eb" ] && t_ok "the multipart ETag is the same on both ($ea)" ||
    t_bad "multipart ETag a=$ea b=$eb"

# --- deletes, an ACL change, tags
for i in 000 001 002 003 004; do s3 "$EA" s3 rm "s3://$XC_BUCKET/small/$i" >/dev/null; done
xc_eventually 30 "5 deletes on a reach b" bash -c \
    "! aws --endpoint-url $EB s3api head-object --bucket $XC_BUCKET --key small/004 >/dev/null 2>&1 && ! aws --endpoint-url $EB s3api head-object --bucket $XC_BUCKET --key small/000 >/dev/null 2>&1"
s3 "$EA" s3api put-object-acl --bucket "$XC_BUCKET" --key small/010 --acl public-read ||
    t_bad "put-object-acl on a"
xc_eventually 30 "an ACL change on a reaches b (anonymous GET on b)" \
    curl -sf -o /dev/null "$EB/$XC_BUCKET/small/010"
s3 "$EA" s3api put-object-tagging --bucket "$XC_BUCKET" --key small/011 \
    --tagging 'TagSet=[{Key=dc,Value=a}]' || t_bad "put-object-tagging on a"
xc_eventually 30 "tags set on a reach b" bash -c \
    "aws --endpoint-url $EB s3api get-object-tagging --bucket $XC_BUCKET --key small/011 --output text 2>/dev/null | grep -q 'dc.*a'"

# --- versions of a versioned bucket
s3 "$EA" s3api create-bucket --bucket xver >/dev/null || t_bad "create-bucket xver on a"
s3 "$EA" s3api put-bucket-versioning --bucket xver --versioning-configuration Status=Enabled ||
    t_bad "versioning on a"
for v in one two three; do printf '%s' "$v" | s3 "$EA" s3 cp - s3://xver/doc >/dev/null; done
va=$(s3 "$EA" s3api list-object-versions --bucket xver --query 'Versions[].VersionId' --output text | tr '\t' '\n' | sort | tr '\n' ' ')
xc_eventually 40 "3 versions written on a are on b, same ids" bash -c \
    "[ \"\$(aws --endpoint-url $EB s3api list-object-versions --bucket xver --query 'Versions[].VersionId' --output text 2>/dev/null | tr '\t' '\n' | sort | tr '\n' ' ')\" = '$va' ]"
[ "$(s3 "$EB" s3 cp s3://xver/doc - 2>/dev/null)" = three ] && t_ok "b's latest version is a's latest" ||
    t_bad "b's latest version of xver/doc is not 'three'"

# --- a user made later
xc_use a
uj=$(cl_adm --json create-user later) || t_abort "create-user later on a"
K2=$(printf '%s' "$uj" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_key"])')
S2=$(printf '%s' "$uj" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
xc_eventually 30 "a user made on a signs requests on b" \
    env AWS_ACCESS_KEY_ID="$K2" AWS_SECRET_ACCESS_KEY="$S2" aws --endpoint-url "$EB" s3api list-buckets

# --- status: a's link to b is caught up, b sent nothing back (nothing loops)
xc_use a
st=$(cl_adm --json cluster-status)
printf '%s' "$st" | python3 -c '
import json, sys
d = json.load(sys.stdin)
links = d["links"] if isinstance(d, dict) and "links" in d else d
l = links[0]
assert l["state"] == "linked", l
assert l["lag_objects"] == 0, l
assert l["nodes_reporting"] >= 3, l
' && t_ok "cluster-status on a: b linked, lag 0, every node reporting" ||
    t_bad "cluster-status on a" "$st"
t_summary
