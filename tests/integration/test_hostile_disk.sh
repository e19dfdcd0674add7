#!/usr/bin/env bash
# tests/integration/test_hostile_disk.sh BUILD_DIR: full disks on a running cluster (issue 8).
# storage0 and storage1 keep their data (containers, index, repair queue) on small tmpfs
# mounts made here under the test's temp dir ([storage] min_free = 4m), filled with a filler
# file. One full node: PUTs still succeed (the coordinator writes the other replicas and
# queues a repair for the full one), reads go on. Two full nodes (no write quorum): PUT
# answers 507 InsufficientStorage as S3 XML, reads still go on. Space back: writes succeed
# again and the repair queue gives the full node the object it missed. Needs root (mount);
# skipped otherwise.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=../../scripts/lib/cluster.sh
. "$src/scripts/lib/cluster.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-hdisk-XXXXXX")
mnts=()
finish() {
    local rc=$? m
    cl_stop
    for m in "${mnts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
    if [ "$T_FAIL" -ne 0 ] || [ $rc -ne 0 ]; then
        echo "--- logs kept in $tmp/logs; last lines:"
        for f in "$tmp"/logs/*; do echo "== $f"; tail -n 25 "$f"; done
    else
        rm -rf "$tmp"
    fi
}
trap finish EXIT

for i in 0 1; do
    mkdir -p "$tmp/small$i"
    if ! mount -t tmpfs -o size=48m tmpfs "$tmp/small$i" 2>/dev/null; then
        echo "SKIP cannot mount a tmpfs (not root?): full-disk test skipped"
        t_summary
        exit 0
    fi
    mnts+=("$tmp/small$i")
done

cl_setup "$tmp" "$build"
# shellcheck disable=SC2046
set -- $(cl_free_ports 6)
cl_configure 3 "$1" "$2" "$3" "$4" "$5" "$6"
for i in 0 1; do
    cat >>"$tmp/conf/cairn-storage$i.conf" <<CONF

[storage]
data_dir = $tmp/small$i/data
min_free = 4m
CONF
done
cat >>"$tmp/conf/cairn-storage0.conf" <<CONF

[replication]
repair_backoff_max = 1s
CONF
cl_load
endpoint=http://127.0.0.1:$CL_S3

check "all daemons start" cl_start || t_abort "the cluster did not start"
deadline=$((SECONDS + 20))
until [ "$(cl_adm --json status 2>/dev/null | python3 -c 'import json,sys; print(sum(1 for n in json.load(sys.stdin).get("nodes",[]) if n.get("type")=="storage"))' 2>/dev/null || echo 0)" -ge 3 ]; do
    [ $SECONDS -ge $deadline ] && break
    sleep 0.2
done
check "cairn-adm start builds the first ring" cl_adm start || t_abort "no ring"
check "3 storage nodes and the gateway are running" cl_wait_running 4 30 || t_abort "nodes not running"

user_json=$(cl_adm --json create-user disk)
AK=$(printf '%s' "$user_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_key"])')
SK=$(printf '%s' "$user_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
sigv4() { curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" "$@"; }
wait_signed_ok() {
    local deadline=$((SECONDS + 20))
    until [ "$(sigv4 -o /dev/null -w '%{http_code}' "$endpoint/")" = 200 ]; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}
check "gateway answers a signed ListBuckets" wait_signed_ok || t_abort "no signed requests"
code=$(sigv4 -o /dev/null -w '%{http_code}' -X PUT "$endpoint/full")
expect_eq "create bucket" 200 "$code"

head -c 300000 /dev/urandom >"$tmp/obj"
put() { sigv4 -o "$tmp/put.out" -w '%{http_code}' -T "$tmp/obj" "$endpoint/full/$1"; }
get_ok() { sigv4 -o "$tmp/get.out" "$endpoint/full/$1" && cmp -s "$tmp/obj" "$tmp/get.out"; }

for i in 1 2 3; do
    code=$(put "before$i")
    expect_eq "PUT before$i with space" 200 "$code"
done

# fill: leave 3 MiB free on a mount: under min_free = 4m (puts refused), over half of it
# (tombstones still fit)
fill() {
    local m=$1 free
    free=$(df -B1 --output=avail "$m" | tail -n 1)
    if [ "$free" -gt $((3 * 1048576)) ]; then
        fallocate -l $((free - 3 * 1048576)) "$m/filler" 2>/dev/null ||
            head -c $((free - 3 * 1048576)) /dev/zero >"$m/filler"
    fi
}

# --- one node full: the others take the write ---
fill "$tmp/small0"
code=$(put one-full)
expect_eq "PUT with storage0 full still succeeds (W of the other owners)" 200 "$code"
check "GET of an old object with storage0 full" get_ok before1
check "GET of the new object with storage0 full" get_ok one-full
sleep 0.5
expect_match "storage0 logs the refusal" 'ENOSPC|full' "$(cat "$tmp/logs/storage0.log")"

# --- two nodes full: no write quorum -> 507 InsufficientStorage ---
fill "$tmp/small1"
code=$(put two-full)
expect_eq "PUT with two of three owners full answers 507" 507 "$code"
expect_match "... InsufficientStorage S3 XML with a RequestId" \
    '<Code>InsufficientStorage</Code>.*<RequestId>[^<]+</RequestId>' "$(tr -d '\n' <"$tmp/put.out")"
check "GET of an old object with two nodes full" get_ok before2
code=$(sigv4 -o /dev/null -w '%{http_code}' "$endpoint/full?list-type=2")
expect_eq "listing with two nodes full" 200 "$code"
code=$(sigv4 -o /dev/null -w '%{http_code}' -X DELETE "$endpoint/full/before3")
expect_eq "DELETE (a small tombstone) with two nodes full" 204 "$code"

# --- space comes back ---
rm -f "$tmp/small0/filler" "$tmp/small1/filler"
code=$(put after)
expect_eq "PUT succeeds once space is back" 200 "$code"
check "GET after space is back" get_ok after
code=$(put two-full)
expect_eq "the refused PUT succeeds on retry" 200 "$code"
check "... and reads back" get_ok two-full

has_copy() {
    cl_adm --json whereis "full/$1" 2>/dev/null | python3 -c '
import json, sys
j = json.load(sys.stdin)
for n in j.get("replicas", []):
    if n.get("node") == sys.argv[1] and (n.get("copy") or {}).get("present"):
        sys.exit(0)
sys.exit(1)' "$2"
}
wait_copy() {
    local deadline=$((SECONDS + 30))
    until has_copy "$1" "$2"; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.5
    done
}
check "the repair queue gives storage0 the object it missed while full" wait_copy one-full storage0
check "storage2 holds it too" has_copy one-full storage2
check "no key became a path on disk" bash -c "! find '$tmp/small0/data' -name 'one-full*' | grep -q ."

t_summary
