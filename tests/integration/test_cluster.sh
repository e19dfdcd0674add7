#!/usr/bin/env bash
# tests/integration/test_cluster.sh BUILD_DIR: the whole cluster on free loopback ports
# (1 manager, 3 storage nodes, 1 gateway), driven by the real aws cli, curl --aws-sigv4 and
# cairn-adm: buckets, a 10 MiB object round trip, listing, deletes, S3 errors as XML with
# request ids, status with one ring checksum everywhere, an erasure-coded bucket (ec:2+1: a
# read with a node stopped, a write with a node stopped whose missing fragments the repair
# queue rebuilds), and a restart of every daemon that keeps users, buckets and objects. The
# sanitizer stages of scripts/test run this test, so every path it takes runs under ASan,
# UBSan and TSan.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

# a coded write is acked at K fragments (ec:2+1: 2 of the 3 nodes), so that one with a node
# stopped is acked and hands its third fragment over (the default, K+1, needs all three)
ec_quorum_k() { printf '[gateway]\nec_write_quorum = 2\n' | t_conf gateway; }
t_cluster_boot cluster 3 --user alice --conf ec_quorum_k
expect_match "create-user prints an access key id and a secret" '^[A-Z0-9]{20} .{40}$' "$AK $SK"
s3() { aws --endpoint-url "$endpoint" "$@"; }
# a storage node registers its rpc_listen host as its address: 0.0.0.0 would send every peer
# and gateway to its own host
out=$("$build/storage/cairn-storage" -c "$tmp/conf/cairn-storage0.conf" \
    --set storage.rpc_listen=0.0.0.0:0 --check-config 2>&1)
expect_eq "cairn-storage refuses a wildcard rpc_listen (exit 2)" 2 "$?"
expect_match "and says why" "rpc_listen: '0\.0\.0\.0:0' is a wildcard address" "$out"

# --- aws cli ---
head -c 10485760 /dev/urandom >"$tmp/10m.bin"
printf 'hello cairn\n' >"$tmp/small.txt"
check "aws s3 mb" s3 s3 mb s3://bucket-one
check "aws s3 cp uploads 10 MiB" s3 s3 cp "$tmp/10m.bin" s3://bucket-one/dir/10m.bin
check "aws s3 cp uploads a small file" s3 s3 cp "$tmp/small.txt" s3://bucket-one/dir/sub/small.txt
check "aws s3 cp downloads 10 MiB" s3 s3 cp s3://bucket-one/dir/10m.bin "$tmp/10m.back"
check "10 MiB download is byte-identical" cmp "$tmp/10m.bin" "$tmp/10m.back"
ls_out=$(s3 s3 ls --recursive s3://bucket-one/ 2>&1)
expect_match "aws s3 ls lists the 10 MiB object with its size" '10485760 dir/10m\.bin' "$ls_out"
expect_match "aws s3 ls lists the small object" '12 dir/sub/small\.txt' "$ls_out"
lsd=$(s3 s3 ls s3://bucket-one/dir/ 2>&1)
expect_match "aws s3 ls with a delimiter shows the common prefix" 'PRE sub/' "$lsd"
v2=$(s3 s3api list-objects-v2 --bucket bucket-one --prefix dir/sub/ --query 'Contents[].Key' --output text 2>&1)
expect_eq "list-objects-v2 with a prefix" "dir/sub/small.txt" "$v2"
v1=$(s3 s3api list-objects --bucket bucket-one --prefix dir/ --query 'Contents[].Key' --output text 2>&1)
expect_match "list-objects (v1) with a prefix" 'dir/10m\.bin.*dir/sub/small\.txt' "$v1"
buckets=$(s3 s3 ls 2>&1)
expect_match "aws s3 ls lists the bucket" 'bucket-one' "$buckets"

# --- curl --aws-sigv4 ---
code=$(sigv4 -o /dev/null -w '%{http_code}' -T "$tmp/small.txt" -H 'Content-Type: text/plain' "$endpoint/bucket-one/curl/hello.txt")
expect_eq "curl PUT answers 200" 200 "$code"
got=$(sigv4 "$endpoint/bucket-one/curl/hello.txt")
expect_eq "curl GET returns the body" "hello cairn" "$got"
hdrs=$(sigv4 -I "$endpoint/bucket-one/curl/hello.txt")
expect_match_i "curl HEAD returns the ETag" 'etag: "[0-9a-f]{32}"' "$hdrs"
expect_match_i "curl HEAD returns the Content-Type" 'content-type: text/plain' "$hdrs"
# curl 7.88 signs the query as written, so write it the way SigV4 canonicalises it (%2F).
listing=$(sigv4 "$endpoint/bucket-one?list-type=2&prefix=curl%2F")
expect_match "curl ListObjectsV2 finds the key" '<Key>curl/hello.txt</Key>' "$listing"
code=$(sigv4 -o /dev/null -w '%{http_code}' -X DELETE "$endpoint/bucket-one/curl/hello.txt")
expect_eq "curl DELETE answers 204" 204 "$code"
body=$(sigv4 -w '\n%{http_code}' "$endpoint/bucket-one/curl/hello.txt")
expect_match "GET after DELETE is 404 NoSuchKey" '<Code>NoSuchKey</Code>.*' "$body"
expect_match "GET after DELETE status" '404$' "$body"

# --- errors as S3 XML with request ids ---
body=$(curl -s -w '\n%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:wrongsecret0000000000000000000000000000000" "$endpoint/bucket-one/dir/sub/small.txt")
expect_match "a wrong secret gets SignatureDoesNotMatch" '<Code>SignatureDoesNotMatch</Code>' "$body"
expect_match "... as 403 with a RequestId" '<RequestId>[^<]+</RequestId>.*403$' "$(printf '%s' "$body" | tr -d '\n')"
body=$(curl -s -w '\n%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" --user "AKIDONTEXIST00000000:$SK" "$endpoint/bucket-one/")
expect_match "an unknown key gets 403 InvalidAccessKeyId with a RequestId" '<Code>InvalidAccessKeyId</Code>.*<RequestId>[^<]+</RequestId>.*403$' "$(printf '%s' "$body" | tr -d '\n')"
body=$(sigv4 -w '\n%{http_code}' "$endpoint/no-such-bucket/key")
expect_match "a missing bucket gets 404 NoSuchBucket with a RequestId" '<Code>NoSuchBucket</Code>.*<RequestId>[^<]+</RequestId>.*404$' "$(printf '%s' "$body" | tr -d '\n')"

# --- an erasure-coded bucket: ec:2+1 on the 3 storage nodes (issue 21) ---
# mq_drained: every storage node's repair queue is empty
mq_drained() {
    local i
    for i in 0 1 2; do
        cl_adm --json mq-stats "storage$i" | t_py 'd["depth"] == 0' | grep -q True || return 1
    done
}
check "aws s3 mb s3://bucket-ec" s3 s3 mb s3://bucket-ec
check "set-bucket-redundancy bucket-ec ec:2+1" cl_adm set-bucket-redundancy bucket-ec ec:2+1
check "10 MiB into bucket-ec is coded: fragments on all 3 storage nodes" \
    t_until_coded 3 s3 s3 cp "$tmp/10m.bin" s3://bucket-ec/10m.bin
rm -f "$tmp/10m.back"
check "the coded 10 MiB object reads back" s3 s3 cp s3://bucket-ec/10m.bin "$tmp/10m.back"
check "... byte-identical" cmp "$tmp/10m.bin" "$tmp/10m.back"
expect_eq "a ranged GET across a fragment boundary" \
    "$(tail -c +2621000 "$tmp/10m.bin" | head -c 1000 | sha256sum)" \
    "$(sigv4 -H 'Range: bytes=2620999-2621998' "$endpoint/bucket-ec/10m.bin" | sha256sum)"
check "stop storage1" cl_stop_one storage1
rm -f "$tmp/10m.back"
check "with storage1 stopped the coded object reads back (degraded)" \
    s3 s3 cp s3://bucket-ec/10m.bin "$tmp/10m.back"
check "... byte-identical" cmp "$tmp/10m.bin" "$tmp/10m.back"
head -c 3000000 /dev/urandom >"$tmp/3m.bin"
check "a coded PUT with storage1 stopped is acked (2 of 3 fragments, 1 handed over)" \
    s3 s3 cp "$tmp/3m.bin" s3://bucket-ec/3m.bin
check "storage1 starts again" cl_start_one storage1
check "storage1 is running again" cl_wait_running 4 30
check "the repair queues rebuild storage1's fragments and drain" t_eventually 30 mq_drained
check "stop storage2" cl_stop_one storage2
rm -f "$tmp/3m.back"
check "the object written without storage1 reads with storage2 stopped (its rebuilt fragments)" \
    s3 s3 cp s3://bucket-ec/3m.bin "$tmp/3m.back"
check "... byte-identical" cmp "$tmp/3m.bin" "$tmp/3m.back"
check "storage2 starts again" cl_start_one storage2
check "storage2 is running again" cl_wait_running 4 30
check "aws s3 rb --force s3://bucket-ec" s3 s3 rb --force s3://bucket-ec

# --- cairn-adm status: everyone running, one ring checksum ---
status_check() {
    cl_adm --json status | python3 -c '
import json, sys
s = json.load(sys.stdin)
nodes = s["nodes"]
types = sorted(n["type"] for n in nodes if n["state"] == "running")
want = sorted(["manager", "storage", "storage", "storage", "gateway"])
mgr = s["manager"]["ring_cur"]
bad = [n["name"] for n in nodes if n["ring_cur"] != mgr]
if int(mgr, 16) == 0: sys.exit("manager has no ring")
if [t for t in want if t != "manager"] != [t for t in types if t != "manager"]: sys.exit("running: %s" % types)
if bad: sys.exit("ring checksum differs on %s" % bad)
'
}
# (the nodes restarted above report their ring at their next heartbeat)
check "cairn-adm status: all running with the same ring checksum" t_eventually 30 status_check
check "cairn-adm status (table) exits 0" cl_adm status

# --- restart every daemon: users, buckets and objects survive ---
cl_stop
check "all daemons restart" cl_start
check "nodes running again after restart" cl_wait_running 4 30
check "the user still signs requests after restart" t_wait_signed
check "the bucket still exists after restart" s3 s3api head-bucket --bucket bucket-one
rm -f "$tmp/10m.back"
check "the 10 MiB object is still there after restart" s3 s3 cp s3://bucket-one/dir/10m.bin "$tmp/10m.back"
check "... byte-identical" cmp "$tmp/10m.bin" "$tmp/10m.back"
got=$(s3 s3 cp s3://bucket-one/dir/sub/small.txt - 2>&1)
expect_eq "the small object is still there after restart" "hello cairn" "$got"

# --- cleanup through S3 ---
check "aws s3 rm" s3 s3 rm --recursive s3://bucket-one/
left=$(s3 s3 ls --recursive s3://bucket-one/ 2>&1)
expect_eq "bucket is empty after rm" "" "$left"
check "aws s3 rb" s3 s3 rb s3://bucket-one

t_summary
