#!/usr/bin/env bash
# tests/integration/test_cache.sh BUILD_DIR: the gateway object caches (issue 6) on a real
# cluster (1 manager, 3 storage nodes) with two gateways on free loopback ports:
#   A ("gateway", cluster.sh): memory cache (objects <= 64 KiB) and disk cache (larger),
#     validate = true;
#   B (started here): caches off, the reference for "answers the same as uncached".
# Checks: coherence (cache through A, overwrite through B, read through A: the new content,
# every time, in a loop, under concurrent GET load on A); deletes through B; the disk cache
# survives a restart of A; a corrupt cache file is never served; the disk cache stays within
# its capacity; Range and conditional GET/HEAD on cached objects answer like uncached ones;
# validate = false: own writes invalidate at once, ttl_ms bounds staleness, other gateways'
# writes and cairn-adm purge-cache arrive through the manager's invalidation feed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

load_pids=""
stop_b() {
    t_gateway_stop gatewayb
}
stop_load() {
    local p
    for p in $load_pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    load_pids=""
}
cache_stop() {
    stop_load
    stop_b
}
t_at_exit cache_stop

# ini_set FILE SECTION KEY VALUE: sets a key in an INI file (replacing it, or adding it to the
# section, which is appended when missing).
ini_set() {
    python3 - "$@" <<'PY'
import sys
path, sect, key, val = sys.argv[1:5]
lines = open(path).read().split("\n")
out, cur, done, seen = [], None, False, False
for ln in lines:
    s = ln.strip()
    if s.startswith("[") and s.endswith("]"):
        if cur == sect and not done:
            out.append("%s = %s" % (key, val)); done = True
        cur = s[1:-1]; seen = seen or cur == sect
    elif cur == sect and s.split("=")[0].strip() == key:
        if not done:
            out.append("%s = %s" % (key, val)); done = True
        continue
    out.append(ln)
if not done:
    if cur != sect:
        out.append("[%s]" % sect)
    out.append("%s = %s" % (key, val))
open(path, "w").write("\n".join(out) + "\n")
PY
}

# cache_conf: gateway A (cluster.sh's, REST on CL_REST) with its caches, and the config of
# gateway B (caches off) on its own ports.
cache_conf() {
    rest_a=$CL_REST s3_b=${T_PORTS[0]} rest_b=${T_PORTS[1]}
    A=http://127.0.0.1:$rest_a
    B=http://127.0.0.1:$rest_b
    conf_a=$tmp/conf/cairn-gateway.conf
    conf_b=$tmp/conf/cairn-gatewayb.conf
    dcdir=$tmp/data/gwcache
    cp "$conf_a" "$conf_b"
    ini_set "$conf_b" gateway name gatewayb
    ini_set "$conf_b" gateway s3_listen "127.0.0.1:$s3_b"
    ini_set "$conf_b" gateway rest_listen "127.0.0.1:$rest_b"
    ini_set "$conf_b" log file "$tmp/logs/gatewayb.log"
    ini_set "$conf_a" gateway metrics_listen 127.0.0.1:0
    ini_set "$conf_a" cache mem_capacity 16m
    ini_set "$conf_a" cache mem_max_object 64k
    ini_set "$conf_a" cache disk_dir "$dcdir"
    ini_set "$conf_a" cache disk_capacity 1m
    ini_set "$conf_a" cache disk_max_object 512k
    ini_set "$conf_a" cache validate true
    ini_set "$conf_b" cache mem_capacity 0
}
t_cluster_boot cache 3 --rest --ports 2 --conf cache_conf --user carol

start_b() {
    t_gateway_start gatewayb "$conf_b"
}

check "gateway B starts" start_b || t_abort "gateway B did not start"
check "storage nodes and both gateways are running" cl_wait_running 5 30 || t_abort "not running"
deadline=$((SECONDS + 20))
until [ "$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 --user "$AK:$SK" -X PUT --data-binary "" "http://127.0.0.1:$CL_S3/cachebkt")" = 200 ]; do
    [ $SECONDS -ge $deadline ] && t_abort "cannot create bucket cachebkt"
    sleep 0.3
done
# both gateways must know the bucket before the REST requests below
wait_bucket() {
    local deadline=$((SECONDS + 20))
    until [ "$(curl -s -o /dev/null -w '%{http_code}' -T /dev/null "$1/cachebkt/probe")" = 200 ]; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}
check "gateway A sees the bucket" wait_bucket "$A" || t_abort "A does not see bucket cachebkt"
check "gateway B sees the bucket" wait_bucket "$B" || t_abort "B does not see bucket cachebkt"

put() { curl -s -o /dev/null -w '%{http_code}' -T - "$1/cachebkt/$2"; }   # stdin = body
get() { curl -s "$1/cachebkt/$2"; }

# ---- coherence: cache through A, overwrite through B, read through A ------------------------
printf 'v0' | put "$B" hot >/dev/null
get "$A" hot >/dev/null
get "$A" hot >/dev/null
# concurrent load on A: 4 clients GET the same key (and a neighbour) as fast as they can
for i in 1 2 3 4; do
    (while :; do curl -s -o /dev/null "$A/cachebkt/hot"; curl -s -o /dev/null "$A/cachebkt/other"; done) &
    load_pids="$load_pids $!"
done
bad=0
for i in $(seq 1 60); do
    body="version-$i-$RANDOM"
    code=$(printf '%s' "$body" | put "$B" hot)
    [ "$code" = 200 ] || { bad=$((bad + 1)); echo "PUT through B: $code"; continue; }
    for j in 1 2 3; do
        got=$(get "$A" hot)
        if [ "$got" != "$body" ]; then
            bad=$((bad + 1))
            echo "round $i read $j: want $body, got $got"
        fi
    done
done
stop_load
expect_eq "60 overwrites through B, each read back through A (3 reads) under load: no stale read" 0 "$bad"

# a 4 KiB object: every byte
head -c 4096 /dev/urandom >"$tmp/small"
put "$B" small <"$tmp/small" >/dev/null
get "$A" small >"$tmp/got1"
get "$A" small >"$tmp/got2"
check "4 KiB object read twice through A: same bytes" cmp "$tmp/small" "$tmp/got2"
head -c 4096 /dev/urandom >"$tmp/small2"
put "$B" small <"$tmp/small2" >/dev/null
get "$A" small >"$tmp/got3"
check "overwritten through B: A serves the new 4 KiB" cmp "$tmp/small2" "$tmp/got3"

code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$B/cachebkt/small")
expect_match "DELETE through B" '^20[04]$' "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$A/cachebkt/small")
expect_eq "deleted through B: A answers 404" 404 "$code"

# ---- writes through A itself invalidate at once ------------------------------------------
printf 'one' | put "$A" mine >/dev/null
get "$A" mine >/dev/null
printf 'two' | put "$A" mine >/dev/null
expect_eq "overwrite through A: A serves the new version" two "$(get "$A" mine)"

# ---- disk cache: objects above 64 KiB, restart, corruption, capacity ------------------------
head -c 200000 /dev/urandom >"$tmp/big"
put "$B" big <"$tmp/big" >/dev/null
# B's write reaches A as an invalidation on the feed at A's next heartbeat (1 s): were A to
# cache the object before that, the late invalidation would drop the fresh file (correct,
# and what a loaded machine made this test see once); let it pass first
sleep 2
get "$A" big >"$tmp/gotbig"
check "200 KB object through A" cmp "$tmp/big" "$tmp/gotbig"
wait_files() {
    local deadline=$((SECONDS + 10))
    until [ "$(find "$dcdir" -name '*.obj' | wc -l)" -ge "$1" ]; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.1
    done
}
check "the 200 KB object is in the disk cache" wait_files 1
get "$A" big >"$tmp/gotbig"
check "second read (disk hit) has the same bytes" cmp "$tmp/big" "$tmp/gotbig"

cl_stop_one gateway
check "gateway A restarts" cl_start_one gateway
check "the disk cache file survives the restart" wait_files 1
expect_match "A reloads the disk cache index at start" 'dcache: .*: 1 objects' \
    "$(grep 'dcache:' "$tmp/logs/gateway.log" | tail -n 1)"
check "A sees the bucket again" wait_bucket "$A"
get "$A" big >"$tmp/gotbig"
check "after the restart A serves the same bytes" cmp "$tmp/big" "$tmp/gotbig"

f=$(find "$dcdir" -name '*.obj' | head -n 1)
python3 - "$f" <<'PY'
import os, sys
p = sys.argv[1]
with open(p, "r+b") as fh:
    fh.seek(os.path.getsize(p) - 100)
    b = fh.read(1)
    fh.seek(-1, 1)
    fh.write(bytes([b[0] ^ 0xff]))
PY
get "$A" big >"$tmp/gotbig"
check "a corrupt cache file is not served (the bytes come from storage)" cmp "$tmp/big" "$tmp/gotbig"
expect_match "the corruption is logged" 'fails its checks' "$(cat "$tmp/logs/gateway.log")"
get "$A" big >"$tmp/gotbig"
check "and the next read is right too" cmp "$tmp/big" "$tmp/gotbig"

head -c 200000 /dev/urandom >"$tmp/big2"
put "$B" big <"$tmp/big2" >/dev/null
get "$A" big >"$tmp/gotbig"
check "disk-cached object overwritten through B: A serves the new bytes" cmp "$tmp/big2" "$tmp/gotbig"

# B's writes reach A as invalidations on A's next heartbeat (a busy machine: seconds), which
# may drop what A has just cached; so read the 8 through A until some stay cached, and check
# the capacity every round.
for i in $(seq 1 8); do put "$B" "many$i" <"$tmp/big" >/dev/null; done
cache_rounds() {
    local deadline=$((SECONDS + 20)) used
    while :; do
        for i in $(seq 1 8); do get "$A" "many$i" >/dev/null; done
        sleep 0.5
        used=$(find "$dcdir" -name '*.obj' -printf '%s\n' | awk '{s += $1} END {print s + 0}')
        if [ "$used" -gt 1048576 ]; then echo "over capacity: $used bytes"; return 1; fi
        [ "$used" -gt 0 ] && return 0
        if [ $SECONDS -ge $deadline ]; then echo "nothing cached after 20 s"; return 1; fi
    done
}
check "8 x 200 KB through a 1 MiB disk cache: it stays within capacity" cache_rounds

# ---- Range and conditional requests: cached (A) answers like uncached (B) ----------------
head -c 10000 /dev/urandom >"$tmp/r"
put "$B" r <"$tmp/r" >/dev/null
sleep 2.5   # B's write reaches A through the feed first (it would drop A's fill of r)
get "$A" r >/dev/null
get "$A" r >/dev/null
etag=$(curl -s -I "$B/cachebkt/r" | tr -d '\r' | awk -F': ' 'tolower($1) == "etag" {print $2}')
future=$(date -u -d '+1 day' '+%a, %d %b %Y %H:%M:%S GMT')
past=$(date -u -d '-1 day' '+%a, %d %b %Y %H:%M:%S GMT')
# answer URL ARGS...: status, the headers that matter, and the body's sha256 (or, for an
# error, its S3 code: the body also holds the request id)
answer() {
    local url=$1 status
    shift
    curl -s -D "$tmp/h" -o "$tmp/b" "$@" "$url"
    status=$(tr -d '\r' <"$tmp/h" | awk 'NR == 1 {print $2}')
    tr -d '\r' <"$tmp/h" | awk -F': ' 'NR == 1 {sub(/^HTTP\/[0-9.]* /, ""); print}
        tolower($1) ~ /^(content-range|content-length|etag|last-modified|content-type)$/ {print tolower($1) ": " $2}' |
        sort
    case "$status:$*" in
        *-I*) ;;
        2??:*) sha256sum <"$tmp/b" | cut -c1-16 ;;
        *) grep -o '<Code>[^<]*</Code>' "$tmp/b" ;;
    esac
}
cases=(
    "-r 10-99" "-r 0-0" "-r 9990-" "-r -5" "-r 9999-20000" "-r 20000-" "-r 5-2"
    "-H If-None-Match:$etag" "-H If-None-Match:\"nope\"" "-H If-Match:\"nope\"" "-H If-Match:$etag"
    "-H If-Modified-Since:$future" "-H If-Modified-Since:$past" "-H If-Unmodified-Since:$past"
    "-I" "-I -r 10-20" "-I -H If-None-Match:$etag"
)
expect_match_i "a repeated GET through A is a cache hit" 'x-cairn-cache: hit' \
    "$(curl -s -D - -o /dev/null "$A/cachebkt/r")"
# A's own writes come back to A through the manager's feed; A dropped each key when its
# write completed and must not drop it again (that would throw away what it filled since,
# the version it wrote): A's remote invalidations stay where they were while only A writes
remote_invals() {
    curl -s "http://$(awk '$1 == "metrics" {print $2}' "$tmp/run/gateway.port")/metrics" |
        awk -F' ' '/invalidations_by_source_total\{source="remote"\}/ {print $2}'
}
sleep 2.5   # what B wrote before has reached A
before=$(remote_invals)
for i in 1 2 3; do
    head -c 3000 /dev/urandom | put "$A" "own$i" >/dev/null
    get "$A" "own$i" >/dev/null
done
sleep 2.5   # more than two heartbeats: the feed has listed the three writes back to A
expect_eq "A's own writes, listed back by the feed, are not invalidated again" \
    "$before" "$(remote_invals)"
for c in "${cases[@]}"; do
    # shellcheck disable=SC2086
    want=$(answer "$B/cachebkt/r" $c)
    # shellcheck disable=SC2086
    got=$(answer "$A/cachebkt/r" $c)
    expect_eq "cached answer = uncached answer for curl $c" "$want" "$got"
done

# ---- validate = false: hits unchecked; own writes invalidate at once; ttl_ms bounds the rest --
cl_stop_one gateway
ini_set "$conf_a" cache validate false
ini_set "$conf_a" cache ttl_ms 1500
check "gateway A restarts with validate = false, ttl_ms = 1500" cl_start_one gateway
check "A sees the bucket again" wait_bucket "$A"
printf 'ttl-1' | put "$A" ttl >/dev/null
expect_eq "A serves what it just wrote" ttl-1 "$(get "$A" ttl)"
printf 'ttl-2' | put "$A" ttl >/dev/null
expect_eq "an overwrite through A invalidates at once" ttl-2 "$(get "$A" ttl)"
printf 'ttl-3' | put "$B" ttl >/dev/null
sleep 1.7
expect_eq "an overwrite through B is seen through A once ttl_ms has passed" ttl-3 "$(get "$A" ttl)"

# ---- the manager's invalidation feed: validate = false, no TTL; purge-cache ------------------
cl_stop_one gateway
ini_set "$conf_a" cache ttl_ms 0
check "gateway A restarts with validate = false, ttl_ms = 0 (never re-checked)" cl_start_one gateway
check "A sees the bucket again" wait_bucket "$A"
sleep 1.5 # the first heartbeat reply sets A's place in the feed
printf 'feed-1' | put "$B" feed >/dev/null
get "$A" feed >/dev/null
expect_eq "A caches feed-1" feed-1 "$(get "$A" feed)"
printf 'feed-2' | put "$B" feed >/dev/null
wait_body() {
    local deadline=$((SECONDS + 10))
    until [ "$(get "$A" "$1")" = "$2" ]; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}
check "an overwrite through B reaches A through the manager's feed (within 10 s)" wait_body feed feed-2
get "$A" feed >/dev/null
expect_match_i "A serves feed-2 from its cache" 'x-cairn-cache: hit' \
    "$(curl -s -D - -o /dev/null "$A/cachebkt/feed")"
check "cairn-adm purge-cache cachebkt/feed" cl_adm purge-cache cachebkt/feed
purged() {
    local deadline=$((SECONDS + 10))
    while curl -s -D - -o /dev/null "$A/cachebkt/feed" | grep -qi 'x-cairn-cache: hit'; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.5
    done
}
check "purge-cache drops the object from A's cache (within 10 s)" purged

# ---- the caches' counters: A's /metrics, and the line A logs when it stops ------------------
mport=$(awk '$1 == "metrics" {print $2}' "$tmp/run/gateway.port")
metrics=$(curl -s "http://$mport/metrics")
expect_match "A's /metrics has the memory cache hits" \
    'cairn_gateway_cache_hits_total\{cache="memory"\} [1-9]' "$metrics"
expect_match "A's /metrics has the validation counters" \
    'cairn_gateway_cache_invalidations_by_source_total\{source="remote"\} [1-9]' "$metrics"
gw_status=$(cl_adm status gateway0 2>&1)
expect_match "cairn-adm status gateway0 shows the memory cache's hits" \
    'memory cache +\| [1-9][0-9]* hits' "$gw_status"
expect_match "... and its validation counters" 'cache validations +\| [0-9]+ \([0-9]+ found stale\)' "$gw_status"
cl_stop_one gateway
expect_match "A logs its cache counters when it stops" 'cache: .*hits=[1-9]' \
    "$(grep 'cache: ' "$tmp/logs/gateway.log" | tail -n 3)"

t_summary
