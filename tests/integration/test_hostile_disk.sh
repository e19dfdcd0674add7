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

mnts=()
# unmount: after the daemons stopped (cl_stop again in the trap does nothing).
unmount() {
    local m
    cl_stop
    for m in "${mnts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
}
t_at_exit unmount
# disk_conf: storage0 and storage1 on 48 MiB tmpfs mounts in the temp dir.
disk_conf() {
    local i
    for i in 0 1; do
        mkdir -p "$tmp/small$i"
        if ! mount -t tmpfs -o size=48m tmpfs "$tmp/small$i" 2>/dev/null; then
            echo "SKIP cannot mount a tmpfs (not root?): full-disk test skipped"
            t_summary
            exit 0
        fi
        mnts+=("$tmp/small$i")
        t_conf storage$i <<CONF
[storage]
data_dir = $tmp/small$i/data
min_free = 4m
CONF
    done
    # the repair of what storage0 missed while full is retried by the write's coordinator
    # (any node): every repair queue retries within a second, or the backoff (up to 30 s by
    # default) may pass the test's wait while a retry met the disk still full
    for i in 0 1 2; do
        t_conf storage$i <<CONF
[replication]
repair_backoff_max = 1s
CONF
    done
}
t_cluster_boot hdisk 3 --conf disk_conf --user disk
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
