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
# shellcheck source=../../scripts/lib/cluster.sh
. "$src/scripts/lib/cluster.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-ae-XXXXXX")
cl_setup "$tmp" "$build"
finish() {
    local rc=$?
    cl_stop
    if [ "$T_FAIL" -ne 0 ] || [ $rc -ne 0 ]; then
        echo "--- logs kept in $tmp/logs"
        for f in "$tmp"/logs/storage*.log; do echo "== $f"; grep -i "anti-entropy\|scan=" "$f" | tail -n 10; done
    else
        rm -rf "$tmp"
    fi
}
trap finish EXIT

# shellcheck disable=SC2046
set -- $(cl_free_ports 6)
cl_configure 3 "$1" "$2" "$3" "$4" "$5" "$6"
for i in 0 1 2; do
    printf '\n[replication]\nanti_entropy_interval = 2s\n' >>"$tmp/conf/cairn-storage$i.conf"
done
cl_load
endpoint=http://127.0.0.1:$CL_S3

check "all daemons start" cl_start || t_abort "the cluster did not start"
deadline=$((SECONDS + 20))
until [ "$(cl_adm --json status 2>/dev/null | python3 -c 'import json,sys; print(sum(1 for n in json.load(sys.stdin).get("nodes",[]) if n.get("type")=="storage"))' 2>/dev/null || echo 0)" -ge 3 ]; do
    [ $SECONDS -ge $deadline ] && break
    sleep 0.2
done
check "cairn-adm start" cl_adm start || t_abort "no ring"
check "nodes running" cl_wait_running 4 30 || t_abort "nodes not running"
user_json=$(cl_adm --json create-user ae)
AK=$(printf '%s' "$user_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_key"])')
SK=$(printf '%s' "$user_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
sigv4() { curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" "$@"; }
deadline=$((SECONDS + 20))
until [ "$(sigv4 -o /dev/null -w '%{http_code}' "$endpoint/")" = 200 ]; do
    [ $SECONDS -ge $deadline ] && t_abort "the gateway does not accept signed requests"
    sleep 0.2
done
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
