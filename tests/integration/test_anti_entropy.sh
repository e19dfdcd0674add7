#!/usr/bin/env bash
# tests/integration/test_anti_entropy.sh BUILD_DIR: the periodic anti-entropy pass heals what
# nothing else knows about. A storage node's data is wiped while it is stopped and nothing is
# written meanwhile (so no repair is queued anywhere) and no recover command is run: the
# other nodes' periodic consistency scans (anti_entropy_interval = 2s here) find the missing
# copies and push them back, until every key has a copy on each of its 3 owners again.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

# ae_logs: on a failure, what the storage nodes logged about anti-entropy.
ae_logs() {
    local f
    [ "$T_FAIL" -eq 0 ] && return 0
    for f in "$tmp"/logs/storage*.log; do echo "== $f"; grep -i "anti-entropy\|scan=" "$f" | tail -n 10; done
}
t_at_exit ae_logs
ae_conf() {
    local i
    for i in 0 1 2; do
        printf '[replication]\nanti_entropy_interval = 2s\n' | t_conf storage$i
    done
}
t_cluster_boot ae 3 --conf ae_conf --user ae
check "create a bucket" sigv4 -f -X PUT "$endpoint/ae-bucket"
put_all() {
    local k
    for k in $(seq 1 20); do
        sigv4 -f -o /dev/null -X PUT --data-binary "value-$k" "$endpoint/ae-bucket/key-$k" || return 1
    done
}
check "20 objects written" put_all

# copies_on NODE: how many of the 20 keys NODE holds a live copy of, as whereis reports it.
copies_on() {
    local node=$1 k n=0
    for k in $(seq 1 20); do
        cl_adm --json whereis "ae-bucket/key-$k" 2>/dev/null | python3 -c '
import json, sys
w = json.load(sys.stdin)
ok = any(r.get("node") == sys.argv[1] and r.get("copy", {}).get("present") and not r["copy"].get("tombstone")
         for r in w.get("replicas", []))
sys.exit(0 if ok else 1)' "$node" && n=$((n + 1))
    done
    echo $n
}
wait_copies() {
    local deadline=$((SECONDS + $2))
    while [ "$(copies_on "$1")" -lt 20 ]; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 1
    done
}
check "storage1 holds all 20 copies (N=3 on 3 nodes)" wait_copies storage1 20

cl_stop_one storage1
rm -rf "$tmp/data/storage1"
check "storage1 restarts with an empty data directory" cl_start_one storage1
check "anti-entropy brings every copy back without any command" wait_copies storage1 60
got=$(sigv4 "$endpoint/ae-bucket/key-7")
expect_eq "objects read back intact" "value-7" "$got"
logs=$(cat "$tmp"/logs/storage0.log "$tmp"/logs/storage2.log)
expect_match "the periodic pass ran on the other nodes" 'anti-entropy: periodic consistency pass' "$logs"
expect_match "... and it is what queued the repairs" 'scan=consistency .*queued=[1-9]' "$logs"

t_summary
