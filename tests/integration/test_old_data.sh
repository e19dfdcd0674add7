#!/usr/bin/env bash
# tests/integration/test_old_data.sh BUILD_DIR: the current build serves the data directories
# written by earlier releases (issue 12). For every fixture tests/fixtures/old-data/*.tar.gz
# (made by scripts/make-old-data-fixture: 1 manager, 3 storage nodes, 1 gateway of an old
# release, their configs and a manifest.json of what they hold), one after the other:
#   - unpacks it into a temp dir and moves its configs there and onto free ports
#     (old_data_conf.py; node names and the cluster secret stay), memory cache on;
#   - starts the manager and the storage nodes of BUILD_DIR on the old data; the nodes
#     register with their new addresses, but the ring keeps the addresses it was made with
#     (manager/members.c), so `cairn-adm rebalance --wait` makes the same ring with the new
#     addresses (placement depends on the names only: nothing moves); then the gateway;
#   - old_data.py checks with boto3 (as the fixture's users) and curl (anonymously) that
#     every object, listing, ACL, owner and user key is served as recorded, and so are the
#     grants, e-mail addresses, further keys, bucket policies and settings, tags and object
#     versions the manifest records, CORS and lifecycle rules, Object Lock retentions and
#     legal holds, bucket logging (and the delivery of the access log records the old gateway
#     left queued), incomplete multipart uploads, encrypted objects (SSE-C with the recorded
#     key, SSE-S3, SSE-KMS before and after a key's rotation, a bucket default; the key
#     service's keys as `cairn-adm kms-list-keys` lists them), erasure-coded objects and
#     their bucket's redundancy policy (whereis lists every fragment), every bucket's
#     redundancy (replicate where none was set) and replication (on) and no cluster link,
#     and that new writes into the old buckets work (also coded ones into an erasure-coded
#     bucket); the old state gets a cluster id (issue 22), kept across a restart. Checks
#     tagged [owner ids] or [access fix] need issue 12's owner ids or access decision (see
#     old_data.py).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
py=/usr/bin/python3 # Debian's, with boto3

fixtures=("$src"/tests/fixtures/old-data/*.tar.gz)
[ -e "${fixtures[0]}" ] || t_abort "no fixture in tests/fixtures/old-data/"

tmp=""
CL_DIR=""
# fixture_done: stops the fixture's daemons; keeps its temp dir and prints the last lines of
# every log when one of its checks failed, else removes it.
fixture_done() {
    local fails_before=$1 f
    [ -n "$CL_DIR" ] && cl_stop
    if [ -n "$tmp" ] && [ -d "$tmp" ]; then
        if [ "$T_FAIL" -ne "$fails_before" ]; then
            echo "--- logs kept in $CL_DIR/logs; last lines:"
            for f in "$CL_DIR"/logs/*; do echo "== $f"; tail -n 25 "$f"; done
        else
            rm -rf "$tmp"
        fi
    fi
    tmp=""
    CL_DIR=""
}
trap 'fixture_done -1' EXIT  # a signal or t_abort: keep what is there

# ring_addresses_match: every storage member of the ring has the address it registered with
ring_addresses_match() {
    local ring members
    ring=$(cl_adm --json dump-ring) && members=$(cl_adm --json status) || return 1
    "$py" -c '
import json, sys
ring, st = json.loads(sys.argv[1]), json.loads(sys.argv[2])
now = {n["name"]: (n["host"], n["port"]) for n in st["nodes"] if n["type"] == "storage"}
sys.exit(0 if all(now.get(m["name"]) == (m["host"], m["port"]) for m in ring["members"]) else 1)
' "$ring" "$members"
}

# rebalance_to_new_addresses: cairn-adm rebalance --wait (t_rebalance_wait), then the ring
# holds the nodes' new addresses
rebalance_to_new_addresses() {
    t_rebalance_wait 30 && ring_addresses_match
}

# storage_registered: the manager holds every storage node with the address of its config
# (its registration since this start)
storage_registered() {
    local deadline=$((SECONDS + 30))
    until cl_adm --json status 2>/dev/null | "$py" -c '
import glob, json, re, sys
st = json.load(sys.stdin)
now = {n["name"]: "%s:%s" % (n["host"], n["port"]) for n in st["nodes"]}
for c in glob.glob(sys.argv[1] + "/conf/cairn-storage*.conf"):
    text = open(c).read()
    name = re.search(r"(?m)^name\s*=\s*(\S+)", text).group(1)
    if now.get(name) != re.search(r"(?m)^rpc_listen\s*=\s*(\S+)", text).group(1):
        sys.exit(1)
' "$CL_DIR"; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}

# on_new_ring: every storage node and the gateway (registered on this start's S3 port) run
# and hold the manager's current ring (they report it in their heartbeats)
on_new_ring() {
    local deadline=$((SECONDS + 30))
    until cl_adm --json status 2>/dev/null | "$py" -c '
import json, sys
st, s3 = json.load(sys.stdin), int(sys.argv[1])
cur = st["ring"]["cur"]
nodes = [n for n in st["nodes"] if n["type"] == "storage" or
         (n["type"] == "gateway" and n["port"] == s3)]
sys.exit(0 if any(n["type"] == "gateway" for n in nodes) and
         all(n["state"] == "running" and n["ring_cur"] == cur for n in nodes) else 1)
' "$CL_S3"; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}

# cluster_id: the cluster id cairn-adm status shows, once it shows one (issue 22: a state of
# a release before ids gets one from its leader, as an entry, within a second or two)
cluster_id() {
    local deadline=$((SECONDS + 15)) id
    until id=$(cl_adm --json status 2>/dev/null | "$py" -c 'import json,sys; print(json.load(sys.stdin)["cluster_id"])') &&
        [[ $id =~ ^[0-9a-f]{16}$ ]]; do
        [ $SECONDS -ge $deadline ] && break
        sleep 0.2
    done
    echo "$id"
}

# grow_group LABEL USERS_JSON: the upgraded manager, a group of one, becomes a group of three
# with cairn-adm update-managers add (two managers started empty with join = true), and
# both new ones hold every user (issue 14's upgrade). A group of one whose Raft address has
# no fixed port (raft_listen = HOST:0, as the release before this one's tests ran it) cannot
# grow: update-managers says so and changes nothing.
grow_group() {
    local label=$1 users=$2 secret raft i p out rc want got deadline
    local -a mp pids=()
    secret=$(awk -F' *= *' '$1 == "secret" { print $2 }' "$CL_DIR/conf/cairn-manager.conf")
    raft=$(awk -F' *= *' '$1 == "raft_listen" { print $2 }' "$CL_DIR/conf/cairn-manager.conf" | tail -n 1)
    read -r -a mp <<<"$(cl_free_ports 6)"
    for i in 2 3; do
        p=$(((i - 2) * 3))
        cat >"$CL_DIR/conf/cairn-manager$i.conf" <<CONF
[manager]
id = $i
peers = $i@127.0.0.1:${mp[p + 2]}/${mp[p]}/${mp[p + 1]}
rpc_listen = 127.0.0.1:${mp[p]}
admin_listen = 127.0.0.1:${mp[p + 1]}
join = true
data_dir = $CL_DIR/data/manager$i

[cluster]
secret = $secret
CONF
        "$build/manager/cairn-manager" -c "$CL_DIR/conf/cairn-manager$i.conf" \
            >>"$CL_DIR/logs/manager$i.log" 2>&1 &
        pids+=($!)
    done
    sleep 0.5
    if [[ $raft == *:0 ]]; then
        out=$(cl_adm update-managers add "2@127.0.0.1:${mp[2]}/${mp[0]}/${mp[1]}" 2>&1)
        rc=$?
        expect_eq "$label: a group of one on Raft port 0 cannot grow (update-managers fails)" 1 "$rc"
        expect_match "$label: and says why" "no fixed port" "$out"
    else
        for i in 2 3; do
            p=$(((i - 2) * 3))
            check "$label: update-managers add manager $i to the upgraded group" \
                cl_adm update-managers add "$i@127.0.0.1:${mp[p + 2]}/${mp[p]}/${mp[p + 1]}"
        done
        want=$(printf '%s' "$users" | "$py" -c 'import json,sys; print(sorted(u["user"] for u in json.load(sys.stdin)))')
        for i in 2 3; do
            p=$(((i - 2) * 3))
            deadline=$((SECONDS + 15))
            until got=$(curl -s -m 10 "http://127.0.0.1:${mp[p + 1]}/v1/users" | "$py" -c 'import json,sys; print(sorted(u["user"] for u in json.load(sys.stdin)))' 2>/dev/null) &&
                [ "$got" = "$want" ]; do
                [ $SECONDS -ge $deadline ] && break
                sleep 0.2
            done
            expect_eq "$label: the added manager $i holds every user" "$want" "$got"
        done
        out=$(cl_adm --json status | "$py" -c 'import json,sys; print(" ".join(sorted(m["role"] for m in json.load(sys.stdin)["managers"])))')
        expect_eq "$label: the group is a leader and two followers" "follower follower leader" "$out"
    fi
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
}

# serve_fixture TARBALL: every step and check of one fixture; returns at the first step
# that fails (the caller's fixture_done cleans up).
serve_fixture() {
    local tarball=$1 name label n ports users kms out rc i f ndc had_log cid
    name=$(basename "$tarball" .tar.gz)
    label="old data $name"
    echo "--- $name"
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-olddata-$name-XXXXXX") || t_abort "no temp dir"
    tar -xzf "$tarball" -C "$tmp" || { t_bad "$label: unpack $tarball"; return; }
    set -- "$tmp"/*/manifest.json
    [ $# -eq 1 ] && [ -f "$1" ] || { t_bad "$label: one top directory with a manifest.json"; return; }
    cl_setup "$(dirname "$1")" "$build"
    read -r -a ports <<<"$(cl_free_ports 16)"
    check "$label: configs moved to the temp dir and to free ports" \
        "$py" "$here/old_data_conf.py" "$CL_DIR" "${ports[@]}" || return
    cl_load
    n=$CL_NSTORAGE
    # the upgrade to a manager group (docs/OPERATIONS.md): a release before it had no
    # raft_listen; the operator gives the group of one a fixed Raft port first
    if ! grep -q '^raft_listen' "$CL_DIR/conf/cairn-manager.conf"; then
        printf '[manager]\nraft_listen = 127.0.0.1:%s\n' "$(cl_free_ports 1 "${ports[@]}")" | t_conf manager
    fi
    # the fixture was written with the memory cache off, so that its small objects left
    # disk-cache files; the harness runs with both caches, as a default gateway does, and
    # takes SSE-C over plain HTTP (the fixtures' encrypted objects, v7 on). Access
    # log records the old gateway left queued (a bucket with logging, fixtures from v6 on)
    # are delivered within a second or two instead of after the default 5 minutes.
    t_conf gateway <<CONF
[gateway]
log_flush_ms = 1000
sse_c_allow_http = true

[cache]
mem_capacity = 64m
CONF
    endpoint=http://127.0.0.1:$CL_S3

    had_log=$([ -d "$CL_DIR/data/manager/raft" ] && echo yes)
    check "$label: the manager starts on the old state" cl_start_one manager || return
    if [ -z "$had_log" ]; then
        # issue 14: an old state becomes a group of one whose Raft log starts with a snapshot
        # of it, so the applied index goes on from the state's (raft.h)
        expect_match "$label: the manager made a group of one from the old state" \
            "peers=1 applied=[0-9]+: group bootstrapped from the existing state" \
            "$(cat "$CL_DIR/logs/manager.log")"
    else
        expect_match "$label: the manager goes on from its Raft log" \
            "peers=1 applied=[0-9]+: manager group started" "$(cat "$CL_DIR/logs/manager.log")"
    fi
    for ((i = 0; i < n; i++)); do
        check "$label: storage$i starts on its old data" cl_start_one "storage$i" || return
    done
    # the manager loaded the members as the fixture left them (old addresses, states "running");
    # a node's registration replaces its address
    check "$label: the $n storage nodes register again, with their new addresses" \
        storage_registered || return
    if ring_addresses_match; then
        t_ok "$label: the ring already holds the nodes' addresses"
    else
        check "$label: cairn-adm rebalance puts the nodes' new addresses in the ring" \
            rebalance_to_new_addresses || return
    fi
    check "$label: the gateway starts (loading the old disk cache)" cl_start_one gateway || return
    check "$label: $n storage nodes and the gateway run and hold the new ring" on_new_ring ||
        return
    ndc=$(find "$CL_DIR/data/gateway" -name '*.obj' 2>/dev/null | wc -l)
    if [ "$ndc" -gt 0 ]; then
        expect_match "$label: the gateway loaded the $ndc old disk-cache files, none bad" \
            "dcache: .*: $ndc objects, [0-9]+ bytes loaded, 0 bad files" \
            "$(cat "$CL_DIR/logs/gateway.log")"
    fi
    # for t_wait_signed (lib.sh): the first user's keys
    # shellcheck disable=SC2034
    AK=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["users"][0]["access_key"])' "$CL_DIR/manifest.json")
    # shellcheck disable=SC2034
    SK=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["users"][0]["secret"])' "$CL_DIR/manifest.json")
    check "$label: the gateway answers a signed ListBuckets with an old key" t_wait_signed ||
        return

    users=$(cl_adm --json get-users) || { t_bad "$label: cairn-adm get-users"; return; }
    kms=$(cl_adm --json kms-list-keys) || { t_bad "$label: cairn-adm kms-list-keys"; return; }
    # old_data.py's cairn-adm (redundancy policies, whereis, cluster-status): cl_adm on this
    # cluster
    {
        echo '#!/usr/bin/env bash'
        printf '. %q\ncl_setup %q %q\ncl_adm "$@"\n' "$src/scripts/lib/cluster.sh" "$CL_DIR" "$build"
    } >"$tmp/adm" && chmod +x "$tmp/adm"
    out=$(CAIRN_EP=$endpoint CAIRN_FIXTURE=$CL_DIR CAIRN_USERS=$users CAIRN_KMS=$kms \
        CAIRN_ADM=$tmp/adm CAIRN_LABEL=$label timeout 300 "$py" "$here/old_data.py" 2>&1)
    t_count_out "$label: old_data.py" $? "$out"

    cid=$(cluster_id)
    expect_match "$label: the old state got a cluster id (16 hex digits)" "^[0-9a-f]{16}$" "$cid"
    grow_group "$label" "$users"
    cl_stop
    # the upgraded manager starts again from its Raft log (applied index and users kept)
    if check "$label: the upgraded manager starts again" cl_start_one manager; then
        expect_eq "$label: it holds the same users after the restart" "$users" \
            "$(cl_adm --json get-users)"
        expect_eq "$label: and the same cluster id" "$cid" "$(cluster_id)"
        cl_stop
    fi
    for f in "$CL_DIR"/logs/*.out; do
        [ -s "$f" ] && t_bad "$label: $(basename "$f") is empty (no crash, no sanitizer report)" \
            "$(tail -n 20 "$f")"
    done
}

for f in "${fixtures[@]}"; do
    before=$T_FAIL
    serve_fixture "$f"
    fixture_done "$before"
done
t_summary
