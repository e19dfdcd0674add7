#!/usr/bin/env bash
# fault_36_xdc_recover.sh (issue 22, test 4): recover-cluster repairs a divergence both ways.
# Two linked clusters A and B, 3 storage nodes each; a user and bucket made on A; 400 objects
# written on A reach B (same keys, same ETags). Then divergence on purpose, with the bucket's
# replication off on both sides: 20 objects deleted on B, 10 others overwritten on A; then
# replication on again (nothing of that is sent: it was never journaled). recover-cluster on
# A toward B compares the two by hash ranges and queues the 10 overwrites on A's senders and
# the 20 deletes (newer tombstones) on B's: afterwards both list the same 380 keys with the
# same ETags, and the keys queued both ways are a small fraction of the 400.
set -u
FC_BUILD=${FC_BUILD:-${1:-build}}
. "$(dirname "$0")/xdc_lib.sh"

xc_init
xc_cluster a 3
xc_cluster b 3
xc_link a b
IDA=$(xc_id a)
IDB=$(xc_id b)
t_ok "clusters a ($IDA) and b ($IDB) linked"

EA=$(xc_endpoint a)
EB=$(xc_endpoint b)
xc_user_bucket a xuser
xc_eventually 30 "b serves the user and the bucket made on a" \
    aws --endpoint-url "$EB" s3api head-bucket --bucket "$XC_BUCKET"

# py MODE ARGS...: the boto3 helpers below
#   put ENDPOINT FIRST COUNT TAG   PUT obj/FIRST..FIRST+COUNT-1 (bodies made of TAG)
#   del ENDPOINT FIRST COUNT       DELETE them
#   same                           0 when a and b list the same keys with the same ETags
#   diff                           prints how a and b differ (keys only on a, on b, ETags)
#   check DELETED OVERWRITTEN      0 when both lack obj/000..DELETED-1 and agree on the rest
py() {
    python3 - "$EA" "$EB" "$XC_BUCKET" "$@" <<'EOF'
import boto3, sys
from botocore.config import Config
ea, eb, bucket, mode = sys.argv[1:5]
args = sys.argv[5:]
cfg = Config(retries={"max_attempts": 2})
def cli(e):
    return boto3.client("s3", endpoint_url=e, config=cfg)
def listing(e):
    out, c = {}, cli(e)
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            out[o["Key"]] = o["ETag"]
    return out
if mode == "put":
    c, first, n, tag = cli(args[0]), int(args[1]), int(args[2]), args[3]
    for i in range(first, first + n):
        c.put_object(Bucket=bucket, Key="obj/%03d" % i, Body=(tag + ":%d:" % i) * (10 + i))
    sys.exit(0)
if mode == "del":
    c, first, n = cli(args[0]), int(args[1]), int(args[2])
    for i in range(first, first + n):
        c.delete_object(Bucket=bucket, Key="obj/%03d" % i)
    sys.exit(0)
a, b = listing(ea), listing(eb)
only_a = sorted(set(a) - set(b))
only_b = sorted(set(b) - set(a))
etag = sorted(k for k in set(a) & set(b) if a[k] != b[k])
if mode == "diff":
    print("a %d keys, b %d keys; only on a %d, only on b %d, ETags differ %d" %
          (len(a), len(b), len(only_a), len(only_b), len(etag)))
    sys.exit(0)
if mode == "same":
    sys.exit(0 if not only_a and not only_b and not etag else 1)
if mode == "check":
    deleted = int(args[0])
    gone = ["obj/%03d" % i for i in range(deleted)]
    bad = [k for k in gone if k in a or k in b]
    if bad or only_a or only_b or etag:
        print("still present: %d, only on a %d, only on b %d, ETags differ %d" %
              (len(bad), len(only_a), len(only_b), len(etag)))
        sys.exit(1)
    print("a and b list the same %d keys, same ETags" % len(a))
    sys.exit(0)
sys.exit(2)
EOF
}

# --- 400 objects on a, replicated to b
py put "$EA" 0 400 v1 || t_abort "400 PUTs on a"
xc_eventually 90 "the 400 objects written on a are on b, same ETags" py same

# --- divergence: replication off on both; 20 deletes on b, 10 overwrites on a
xc_use b
cl_adm set-bucket-replication "$XC_BUCKET" off >/dev/null || t_abort "replication off on b"
xc_use a
cl_adm set-bucket-replication "$XC_BUCKET" off >/dev/null || t_abort "replication off on a"
sleep 4 # the storage nodes learn the bucket's setting from their managers' heartbeats
py del "$EB" 0 20 || t_abort "20 deletes on b"
py put "$EA" 100 10 v2 || t_abort "10 overwrites on a"
xc_use b
cl_adm set-bucket-replication "$XC_BUCKET" on >/dev/null || t_abort "replication on on b"
xc_use a
cl_adm set-bucket-replication "$XC_BUCKET" on >/dev/null || t_abort "replication on on a"
sleep 4
if py same; then
    t_bad "a and b should differ before recover-cluster" "$(py diff)"
else
    t_ok "a and b differ before recover-cluster: $(py diff)"
fi

# --- recover-cluster on a toward b
xc_use a
out=$(cl_adm --json recover-cluster "$IDB") || t_bad "recover-cluster $IDB failed" "$out"
printf '%s\n' "$out" >"$XC_ROOT/recover.json"
nums=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["state"], d["ranges_compared"], d["ranges_differed"], d["keys_listed"],
      d["queued_here"], d["queued_there"], d.get("seconds", 0))' "$XC_ROOT/recover.json") ||
    t_abort "recover-cluster's answer does not read: $out"
read -r state compared differed listed here there secs <<<"$nums"
echo "recover-cluster: state $state in $secs s, ranges compared $compared, differed $differed," \
    "keys listed $listed, queued here $here, queued there $there"
[ "$state" = done ] && t_ok "recover-cluster is done" || t_bad "recover-cluster state $state" "$out"
[ "$here" -ge 10 ] && [ "$there" -ge 20 ] &&
    t_ok "the 10 overwrites were queued on a ($here) and the 20 deletes on b ($there)" ||
    t_bad "queued here $here (want >= 10), there $there (want >= 20)"
[ $((here + there)) -lt 60 ] &&
    t_ok "keys queued both ways: $((here + there)) of 400 ($((100 * (here + there) / 400))%, < 15%)" ||
    t_bad "keys queued both ways: $((here + there)) of 400 (not < 15%)"
[ "$listed" -lt 400 ] && t_ok "keys listed: $listed of 800 (ranges, not every key)" ||
    t_bad "keys listed: $listed (every key went over the wire)"
xc_eventually 60 "after recover-cluster a and b list the same keys with the same ETags (20 deleted, 10 overwritten on both)" \
    py check 20

# --- a second run finds nothing to do
out=$(cl_adm --json recover-cluster "$IDB") || t_bad "the second recover-cluster failed" "$out"
n2=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["queued_here"] + d["queued_there"])')
[ "$n2" = 0 ] && t_ok "a second recover-cluster queues nothing" ||
    t_bad "a second recover-cluster queued $n2 keys" "$out"
# --- a bucket of its own, and the answers of bad requests
out=$(cl_adm --json recover-cluster "$IDB" "$XC_BUCKET") && t_ok "recover-cluster of one bucket" ||
    t_bad "recover-cluster $IDB $XC_BUCKET" "$out"
cl_adm recover-cluster 0123456789abcdef >/dev/null 2>&1 && t_bad "recover-cluster of an unknown link succeeded" ||
    t_ok "recover-cluster of an unknown link is refused"

t_summary
