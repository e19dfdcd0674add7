#!/usr/bin/env bash
# tests/integration/test_adm_cluster.sh BUILD_DIR: the operator commands that need a running
# cluster with data (1 manager, 3 storage nodes, 1 gateway on free loopback ports):
# /metrics and /health of the storage nodes and the gateway (strict Prometheus text parse,
# counters move under load), du [detail], update-property, update-log-level, delete-bucket
# with its asynchronous removal and delete-bucket-stats, remove-gateway, and the failure
# paths (unknown node, bad arguments, non-reloadable keys, manager down).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

t_cluster_boot admc 3 --user alice

metrics_of() { sed -n 's/^metrics //p' "$tmp/run/$1.port"; }
expect_match "storage0's port file has a metrics line" '^127\.0\.0\.1:[0-9]+$' "$(metrics_of storage0)"
expect_match "the gateway's port file has a metrics line" '^127\.0\.0\.1:[0-9]+$' "$(metrics_of gateway)"

# prom URL: fetches /metrics, parses it strictly as Prometheus text 0.0.4 and prints
# "name{labels} value" lines (exit 1 with the reason on a bad line).
prom() {
    curl -s -f "http://$1/metrics" | python3 -c '
import re, sys
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
lab = r"[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\n]|\\\\[\\\\\"n])*\""
sample = re.compile(r"^(" + name + r")(\{(?:" + lab + r")(?:," + lab + r")*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$")
types, helps, seen = {}, set(), False
for i, line in enumerate(sys.stdin.read().split("\n")):
    if line == "":
        continue
    if line.startswith("# HELP "):
        n = line.split(" ")[2]; helps.add(n); continue
    if line.startswith("# TYPE "):
        p = line.split(" ")
        if len(p) != 4 or p[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
            sys.exit("line %d: bad TYPE: %s" % (i + 1, line))
        if p[2] in types:
            sys.exit("line %d: TYPE twice for %s" % (i + 1, p[2]))
        types[p[2]] = p[3]; continue
    if line.startswith("#"):
        continue
    m = sample.match(line)
    if not m:
        sys.exit("line %d: not a sample: %r" % (i + 1, line))
    n = m.group(1)
    base = re.sub(r"_(bucket|sum|count)$", "", n)
    if n not in types and base not in types:
        sys.exit("line %d: sample %s without a TYPE" % (i + 1, n))
    if types.get(n) == "counter" or types.get(base) == "counter":
        if float(m.group(3)) < 0:
            sys.exit("line %d: negative counter" % (i + 1))
    print(line); seen = True
if not seen:
    sys.exit("no samples")
'
}
# sum_of TEXT REGEX: the sum of the values of the samples matching REGEX.
sum_of() { printf '%s\n' "$1" | grep -E -- "$2" | awk '{s += $NF} END {printf "%d\n", s}'; }

S0=$(metrics_of storage0)
GW=$(metrics_of gateway)
m0=$(prom "$S0"); check "storage0 /metrics parses as Prometheus text" test -n "$m0"
g0=$(prom "$GW"); check "gateway /metrics parses as Prometheus text" test -n "$g0"
expect_match "storage /metrics: ring checksums as labels" '^cairn_storage_ring_info\{node="storage0",ring_cur="[0-9a-f]{16}",ring_prev="[0-9a-f]{16}"\} 1' "$m0"
expect_match "storage /metrics: repair queue depth" '^cairn_storage_repair_queue_depth ' "$m0"
expect_match "storage /metrics: disk and index sizes" '^cairn_storage_index_bytes [0-9]' "$m0"
expect_match "storage /metrics: compaction progress" '^cairn_storage_compaction_running ' "$m0"
expect_match "gateway /metrics: ring checksums as labels" '^cairn_gateway_ring_info\{node="gateway0",ring_cur="[0-9a-f]{16}"' "$g0"
expect_eq "storage /health answers 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://$S0/health")"
expect_eq "gateway /health answers 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://$GW/health")"
expect_eq "storage: another path is 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "http://$S0/nope")"
expect_eq "gateway: another path is 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "http://$GW/nope")"
expect_eq "gateway: POST /metrics is 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://$GW/metrics")"

check "create bucket keep" test "$(sigv4 -o /dev/null -w '%{http_code}' -X PUT "$endpoint/keep")" = 200
check "create bucket gone" test "$(sigv4 -o /dev/null -w '%{http_code}' -X PUT "$endpoint/gone")" = 200
head -c 1000 /dev/urandom >"$tmp/obj"
fails=0
for i in $(seq 1 30); do
    [ "$(sigv4 -o /dev/null -w '%{http_code}' -T "$tmp/obj" "$endpoint/keep/k$i")" = 200 ] || fails=$((fails + 1))
    [ "$(sigv4 -o /dev/null -w '%{http_code}' -T "$tmp/obj" "$endpoint/gone/g$i")" = 200 ] || fails=$((fails + 1))
done
for i in $(seq 1 10); do sigv4 -o /dev/null "$endpoint/keep/k$i"; done
expect_eq "60 PUTs under load" 0 "$fails"
sleep 1.2 # the loop-owned gauges refresh once a second

m1=$(prom "$S0")
g1=$(prom "$GW")
b0=$(sum_of "$m0" '^cairn_storage_requests_total\{')
b1=$(sum_of "$m1" '^cairn_storage_requests_total\{')
check "storage requests_total moved under load ($b0 -> $b1)" test "$b1" -gt "$b0"
check "storage bytes_in_total moved" test "$(sum_of "$m1" '^cairn_storage_bytes_in_total ')" -ge 20000
check "storage latency histogram counted puts" test "$(sum_of "$m1" '^cairn_storage_request_duration_seconds_count\{op="(put|replica|put)"')" -gt 0
expect_match "gateway counts PutObject 200" '^cairn_gateway_requests_total\{op="PutObject",status="200"\} 60' "$g1"
expect_match "gateway counts GetObject 200" '^cairn_gateway_requests_total\{op="GetObject",status="200"\} 10' "$g1"
check "gateway bytes_in_total moved" test "$(sum_of "$g1" '^cairn_gateway_bytes_in_total ')" -ge 60000
check "gateway bytes_out_total moved" test "$(sum_of "$g1" '^cairn_gateway_bytes_out_total ')" -ge 10000
expect_match "gateway latency histogram" '^cairn_gateway_request_duration_seconds_bucket\{op="PutObject",le="\+Inf"\} 60' "$g1"

# ---- du
out=$(cl_adm du storage0); rc=$?
expect_eq "du storage0 exits 0" 0 "$rc"
expect_match "du shows active objects" '^active objects: [1-9]' "$out"
out=$(cl_adm du storage0 detail)
expect_match "du detail has a row for bucket keep" '^keep +\| [1-9]' "$out"
out=$(cl_adm du detail storage0)
expect_match "du detail NODE (LeoFS order) works too" '^gone +\| [1-9]' "$out"
# objects_of BUCKET: the live objects of BUCKET summed over the three nodes' du
objects_of() {
    local n v tot=0
    for n in storage0 storage1 storage2; do
        v=$(cl_adm --json du "$n" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(b["objects"] for b in d["detail"] if b["bucket"]==sys.argv[1]))' "$1")
        tot=$((tot + v))
    done
    echo "$tot"
}
# a PUT is acked by W = 2 owners; the third copy follows asynchronously (later still on a
# loaded machine): wait for it before counting copies
deadline=$((SECONDS + 30))
until { [ "$(objects_of keep)" = 90 ] && [ "$(objects_of gone)" = 90 ]; } || [ $SECONDS -ge $deadline ]; do
    sleep 0.5
done
expect_eq "du over the 3 nodes: 30 objects of keep, 3 copies each" 90 "$(objects_of keep)"
out=$(cl_adm du nosuch 2>&1); rc=$?
check "du of an unknown node fails" test "$rc" -ne 0
expect_match "du of an unknown node says why" 'nosuch' "$out"
out=$(cl_adm du storage0 bogus 2>&1); rc=$?
check "du with a bad argument fails" test "$rc" -ne 0
out=$(cl_adm du 2>&1); rc=$?
check "du without a node fails" test "$rc" -ne 0

# ---- update-property / update-log-level
out=$(cl_adm update-property storage0 log.level debug 2>&1); rc=$?
expect_eq "update-property storage0 log.level debug" "0:OK: storage0 log.level = debug" "$rc:$out"
out=$(cl_adm update-property storage0 storage.delete_bucket_rate 200 2>&1); rc=$?
expect_eq "update-property storage0 storage.delete_bucket_rate 200" 0 "$rc"
out=$(cl_adm update-property storage1 replication.repair_backoff_min 50ms 2>&1); rc=$?
expect_eq "update-property storage1 replication.repair_backoff_min 50ms" 0 "$rc"
out=$(cl_adm update-property storage0 storage.rpc_listen 127.0.0.1:1 2>&1); rc=$?
check "a non-reloadable key is refused" test "$rc" -ne 0
expect_match "... with the reason" 'not reloadable' "$out"
out=$(cl_adm update-property storage0 storage.nosuch 1 2>&1); rc=$?
check "an unknown key is refused" test "$rc" -ne 0
out=$(cl_adm update-property storage0 replication.repair_inflight 0 2>&1); rc=$?
check "an out-of-range value is refused" test "$rc" -ne 0
out=$(cl_adm update-property nosuch log.level info 2>&1); rc=$?
check "update-property on an unknown node fails" test "$rc" -ne 0
out=$(cl_adm update-log-level storage2 warn 2>&1); rc=$?
expect_eq "update-log-level storage2 warn" "0:OK: storage2 logs at warn" "$rc:$out"
out=$(cl_adm update-log-level storage2 loud 2>&1); rc=$?
check "update-log-level with a bad level fails" test "$rc" -ne 0
out=$(cl_adm update-log-level gateway0 debug 2>&1); rc=$?
expect_eq "update-log-level gateway0 debug" 0 "$rc"
gw_level_applied() {
    local deadline=$((SECONDS + 10))
    until grep -q 'log level info -> debug (update-log-level from the manager)' "$tmp/logs/gateway.log"; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}
check "... the gateway applies it at its next heartbeat" gw_level_applied
out=$(cl_adm update-property gateway0 gateway.rpc_timeout_ms 5000 2>&1); rc=$?
check "other gateway properties are refused" test "$rc" -ne 0
expect_match "... with the reason" 'only log.level' "$out"
out=$(cl_adm update-log-level manager debug 2>&1); rc=$?
expect_eq "update-log-level manager debug" 0 "$rc"

# ---- delete-bucket: gone at once for S3, objects removed in the background
out=$(cl_adm delete-bucket gone 2>&1); rc=$?
expect_eq "delete-bucket gone" 0 "$rc"
deadline=$((SECONDS + 10))
until sigv4 "$endpoint/gone/g1" | grep -q NoSuchBucket; do
    [ $SECONDS -ge $deadline ] && break
    sleep 0.2
done
expect_match "the bucket is gone for S3 clients (within a heartbeat)" 'NoSuchBucket' "$(sigv4 "$endpoint/gone/g1")"
out=$(cl_adm delete-bucket-stats gone --wait 2>&1); rc=$?
expect_eq "delete-bucket-stats --wait ends" 0 "$rc"
expect_match "delete-bucket-stats reports done" 'bucket gone: done, [0-9]+ keys scanned, [0-9]+ tombstoned' "$out"
del=$(cl_adm --json delete-bucket-stats gone | python3 -c 'import json,sys; print(json.load(sys.stdin)["deleted"])')
expect_eq "every copy of gone's 30 objects was tombstoned" 90 "$del"
expect_eq "du: no live object of gone is left" 0 "$(objects_of gone)"

# ---- compaction from the CLI: start and follow, then status (the tombstones above are dead)
out=$(timeout 120 "$CL_BIN/manager/adm/cairn-adm" --manager "127.0.0.1:$CL_MGR_ADMIN" \
    compact-start storage0 all --wait 2>&1); rc=$?
expect_eq "compact-start storage0 all --wait ends" 0 "$rc"
expect_match "compact-start --wait reports the containers done" '[0-9]+/[0-9]+|done' "$out"
out=$(cl_adm --json compact-status storage0 2>&1)
expect_match "compact-status after it: idle, every container done" '"state": *"idle"' "$out"
expect_match "the storage node's /metrics has its index memory" \
    '^cairn_storage_index_memory_bytes\{kind="memtables"\} [0-9]' "$(prom "$S0")"
expect_eq "the other bucket is untouched" 200 "$(sigv4 -o /dev/null -w '%{http_code}' "$endpoint/keep/k30")"
out=$(cl_adm delete-bucket-stats neverdeleted 2>&1); rc=$?
check "delete-bucket-stats of an unknown removal fails" test "$rc" -ne 0
out=$(cl_adm delete-bucket gone 2>&1); rc=$?
check "delete-bucket of a missing bucket fails" test "$rc" -ne 0

# ---- set-bucket-quota: the manager sums du per bucket every 5 s, gateways refuse over it
check "create bucket qsrc (a copy source outside the quota)" \
    test "$(sigv4 -o /dev/null -w '%{http_code}' -X PUT "$endpoint/qsrc")" = 200
head -c 15000 /dev/urandom >"$tmp/qbig"
check "qsrc/big stored" test "$(sigv4 -o /dev/null -w '%{http_code}' -T "$tmp/qbig" "$endpoint/qsrc/big")" = 200
check "set-bucket-quota keep 40000" cl_adm set-bucket-quota keep 40000
deadline=$((SECONDS + 30))
used=0
until [ "$used" -ge 30000 ]; do
    used=$(cl_adm --json get-buckets | python3 -c 'import json,sys; print([b for b in json.load(sys.stdin) if b.get("name", b.get("bucket"))=="keep"][0].get("used", 0))' 2>/dev/null || echo 0)
    [ $SECONDS -ge $deadline ] && break
    sleep 0.5
done
expect_eq "get-buckets serves keep's used bytes (30 x 1000)" 30000 "$used"
head -c 15000 /dev/urandom >"$tmp/big"
head -c 5000 /dev/urandom >"$tmp/small"
deadline=$((SECONDS + 10))
until [ "$(sigv4 -o "$tmp/qout" -w '%{http_code}' -T "$tmp/big" "$endpoint/keep/big")" = 403 ]; do
    [ $SECONDS -ge $deadline ] && break
    sleep 0.5
done
expect_match "a PUT over the quota is refused: 403 QuotaExceeded" '<Code>QuotaExceeded</Code>' "$(cat "$tmp/qout")"
expect_eq "a PUT within the quota is stored" 200 "$(sigv4 -o /dev/null -w '%{http_code}' -T "$tmp/small" "$endpoint/keep/small")"
code=$(sigv4 -o "$tmp/qout" -w '%{http_code}' -X PUT -H "x-amz-copy-source: /qsrc/big" "$endpoint/keep/copied")
expect_eq "a copy over the quota is refused (403)" 403 "$code"
expect_match "... with QuotaExceeded" '<Code>QuotaExceeded</Code>' "$(cat "$tmp/qout")"
code=$(sigv4 -o /dev/null -w '%{http_code}' -X PUT -H "x-amz-copy-source: /keep/k1" "$endpoint/keep/k1copy")
expect_eq "a copy within the quota is stored" 200 "$code"
upload=$(sigv4 -X POST "$endpoint/keep/mp?uploads" | sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')
check "a multipart upload starts in keep" test -n "$upload"
code=$(sigv4 -o "$tmp/qout" -w '%{http_code}' -T "$tmp/qbig" "$endpoint/keep/mp?partNumber=1&uploadId=$upload")
expect_eq "a part over the quota is refused (403 QuotaExceeded)" "403 1" \
    "$code $(grep -c '<Code>QuotaExceeded</Code>' "$tmp/qout")"
code=$(sigv4 -o /dev/null -w '%{http_code}' -T "$tmp/obj" "$endpoint/keep/mp?partNumber=1&uploadId=$upload")
expect_eq "a part within it is stored" 200 "$code"
sigv4 -o /dev/null -X DELETE "$endpoint/keep/mp?uploadId=$upload"
# 30,000 + 5,000 + 1,000 + 1,000 are in: 2,500 more fits, 2,500 again does not, whether or not
# the manager's sum has caught up (the gateway counts what it let in since)
head -c 2500 /dev/urandom >"$tmp/q25"
expect_eq "a 2,500-byte PUT still fits" 200 "$(sigv4 -o /dev/null -w '%{http_code}' -T "$tmp/q25" "$endpoint/keep/q1")"
expect_eq "the next 2,500 bytes do not, at once (no lag)" 403 \
    "$(sigv4 -o /dev/null -w '%{http_code}' -T "$tmp/q25" "$endpoint/keep/q2")"
check "set-bucket-quota keep 0 lifts it" cl_adm set-bucket-quota keep 0
deadline=$((SECONDS + 10))
until [ "$(sigv4 -o /dev/null -w '%{http_code}' -T "$tmp/big" "$endpoint/keep/big")" = 200 ]; do
    [ $SECONDS -ge $deadline ] && break
    sleep 0.5
done
expect_eq "without the quota the big PUT is stored" 200 "$(sigv4 -o /dev/null -w '%{http_code}' -T "$tmp/big" "$endpoint/keep/big")"

# ---- purge-cache: appended to the manager's invalidation feed (gateways follow inval_seq)
out=$(cl_adm purge-cache keep/k1 2>&1); rc=$?
expect_eq "purge-cache keep/k1" "0:OK: keep/k1 is dropped from every gateway's cache at its next heartbeat" "$rc:$out"
out=$(cl_adm purge-cache nokey 2>&1); rc=$?
expect_eq "purge-cache without BUCKET/KEY: exit 2" 2 "$rc"

# ---- remove-gateway
out=$(cl_adm remove-gateway gateway0 2>&1); rc=$?
check "remove-gateway of a running gateway is refused" test "$rc" -ne 0
expect_match "... with the reason" 'stop it first' "$out"
out=$(cl_adm remove-gateway storage0 2>&1); rc=$?
check "remove-gateway of a storage node is refused" test "$rc" -ne 0
out=$(cl_adm remove-gateway nosuch 2>&1); rc=$?
check "remove-gateway of an unknown node fails" test "$rc" -ne 0
cl_stop_one gateway
deadline=$((SECONDS + 40))
until cl_adm --json status | python3 -c 'import json,sys; sys.exit(0 if any(n["name"]=="gateway0" and n["state"]=="stop" for n in json.load(sys.stdin)["nodes"]) else 1)'; do
    [ $SECONDS -ge $deadline ] && break
    sleep 0.5
done
out=$(cl_adm remove-gateway gateway0 2>&1); rc=$?
expect_eq "remove-gateway of the stopped gateway" "0:OK: gateway gateway0 removed" "$rc:$out"
check "the gateway is no longer listed" bash -c "! '$build/manager/adm/cairn-adm' --manager 127.0.0.1:$CL_MGR_ADMIN status | grep -q gateway0"

# ---- manager down
cl_stop_one manager
out=$(cl_adm du storage0 2>&1); rc=$?
check "du with the manager down fails" test "$rc" -ne 0
check "... with a one-line reason" test "$(printf '%s\n' "$out" | wc -l)" -eq 1
out=$(cl_adm update-property storage0 log.level info 2>&1); rc=$?
check "update-property with the manager down fails" test "$rc" -ne 0
out=$(cl_adm purge-cache keep/k1 2>&1); rc=$?
check "purge-cache with the manager down fails" test "$rc" -eq 1
out=$(cl_adm delete-bucket-stats gone 2>&1); rc=$?
check "delete-bucket-stats with the manager down fails" test "$rc" -eq 1

t_summary
