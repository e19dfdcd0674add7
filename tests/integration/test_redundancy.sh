#!/usr/bin/env bash
# tests/integration/test_redundancy.sh BUILD_DIR: a bucket's redundancy policy (issue 21) as
# state, on a cluster of 1 manager, 3 storage nodes and 1 gateway, grown to 6 storage nodes:
# cairn-adm set-bucket-redundancy and PUT /v1/buckets/NAME/redundancy set it, get-bucket and
# get-buckets show it, replicate by default and again after a change back; malformed
# policies are refused with the rule they break, and ec:K+M with K+M above the ring's
# storage nodes with the nodes it needs: ec:4+2 and ec:3+1 on 3 (ec:2+1, exactly 3, is
# accepted), then, after 3 more nodes are attached and rebalanced in as the refusal advises,
# ec:4+2 is accepted and ec:4+3 refused. The policy survives manager restarts, and a write to
# the ec:4+2 bucket is coded: its manifest has N = 3 copies and its one chunk 6 fragments, one
# on each storage node (the fault tests 29-32 test the data path itself).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

t_cluster_boot redund 3 --user alice --ports 3

# add_storage I PORT: starts storage node I, its configuration a copy of storage2's with its
# own name, data dir, log and RPC port (t_cluster_boot configured 3).
add_storage() {
    sed -e "s|storage2|storage$1|g" -e "s|^\(rpc_listen = .*\):[0-9]*$|\1:$2|" \
        "$tmp/conf/cairn-storage2.conf" >"$tmp/conf/cairn-storage$1.conf" &&
        cl_start_one "storage$1"
}
# the EXIT trap's cl_stop knows storage0..2 only
stop_added() {
    local i
    for i in 3 4 5; do cl_stop_one "storage$i"; done
}
t_at_exit stop_added

# ring_nodes: the storage nodes of the current ring (status --json).
ring_nodes() {
    cl_adm --json status | t_py 'd["ring"]["nodes"]' 2>/dev/null
}

# run NAME WANT_RC REGEX ARGS...: cairn-adm ARGS exits WANT_RC and its output (stdout and
# stderr) matches REGEX.
run() {
    local name=$1 want=$2 re=$3 out rc
    shift 3
    out=$(cl_adm "$@" 2>&1)
    rc=$?
    if [ "$rc" = "$want" ] && printf '%s' "$out" | grep -E -- "$re" >/dev/null; then
        t_ok "$name"
    else
        t_bad "$name" "exit $rc (want $want), output:
$out"
    fi
}

# policy BUCKET: the policy the admin API shows for BUCKET (get-bucket --json).
policy() {
    cl_adm --json get-bucket "$1" | t_py 'd["redundancy"]' 2>/dev/null
}

# listed BUCKET: the policy get-buckets --json shows for BUCKET.
listed() {
    cl_adm --json get-buckets | t_py "[b['redundancy'] for b in d if b['name'] == '$1'][0]" \
        2>/dev/null
}

# api METHOD PATH [BODY]: the admin API straight (curl), "STATUS BODY" on one line.
api() {
    cl_in client curl -s -m 10 -X "$1" ${CL_TOKEN:+-H "Authorization: Bearer $CL_TOKEN"} \
        -H 'Content-Type: application/json' ${3:+--data "$3"} -w ' %{http_code}' \
        "http://$(cl_addr manager):$CL_MGR_ADMIN$2" | tr -d '\n'
}

# restart_manager: TERM, start again, wait until it answers as leader.
restart_manager() {
    cl_stop_one manager && cl_start_one manager && cl_wait_mgr_leader 20 >/dev/null
}

check "add-bucket photos" cl_adm add-bucket photos "$AK"
check "add-bucket docs" cl_adm add-bucket docs "$AK"

# ---- the default -------------------------------------------------------------------------
expect_eq "a new bucket replicates (get-bucket --json)" replicate "$(policy photos)"
run "get-bucket shows the policy" 0 "redundancy +\| replicate" get-bucket photos
run "get-buckets shows the policy column" 0 "redundancy" get-buckets
expect_eq "get-buckets --json: replicate" replicate "$(listed photos)"

# ---- refusals: the ring has 3 storage nodes ----------------------------------------------
expect_eq "the ring has 3 storage nodes" 3 "$(ring_nodes)"
run "ec:4+2 on 3 nodes: refused with the nodes it needs" 1 \
    "ec:4\+2 needs 6 storage nodes .*the current ring has 3" set-bucket-redundancy photos ec:4+2
run "ec:3+1 on 3 nodes: refused (4 > 3)" 1 "ec:3\+1 needs 4 storage nodes" \
    set-bucket-redundancy photos ec:3+1
run "ec:0+2: K must be at least 1" 1 "bad redundancy policy 'ec:0\+2': K \(data fragments\) must be at least 1" \
    set-bucket-redundancy photos ec:0+2
run "ec:4+0: M must be at least 1" 1 "M \(parity fragments\) must be at least 1" \
    set-bucket-redundancy photos ec:4+0
run "ec:15+2: more than 16 fragments" 1 "K\+M must be at most 16" \
    set-bucket-redundancy photos ec:15+2
run "ec:4+2x: trailing garbage" 1 "bad redundancy policy 'ec:4\+2x'" \
    set-bucket-redundancy photos ec:4+2x
run "EC:4+2: upper case" 1 "lower case" set-bucket-redundancy photos EC:4+2
run "'ec:4+2 ': a space" 1 "bad redundancy policy" set-bucket-redundancy photos 'ec:4+2 '
run "ec:99999999999999999999+1: overflowing digits" 1 "K\+M must be at most 16" \
    set-bucket-redundancy photos ec:99999999999999999999+1
run "replicate 3: not a policy" 1 "use replicate or ec:K\+M" \
    set-bucket-redundancy photos 'replicate 3'
run "an unknown bucket" 1 "no bucket named 'nope'" set-bucket-redundancy nope ec:2+1
run "a missing argument: exit 2 with the usage" 2 "usage: .*set-bucket-redundancy BUCKET" \
    set-bucket-redundancy photos
expect_eq "after the refusals photos still replicates" replicate "$(policy photos)"

# ---- set, show, change back --------------------------------------------------------------
run "ec:2+1 on 3 nodes: accepted" 0 "^OK" set-bucket-redundancy photos ec:2+1
expect_eq "get-bucket --json shows ec:2+1" "ec:2+1" "$(policy photos)"
run "get-bucket shows ec:2+1" 0 "redundancy +\| ec:2\+1" get-bucket photos
expect_eq "get-buckets --json shows ec:2+1" "ec:2+1" "$(listed photos)"
run "get-buckets' table shows ec:2+1 in the photos row" 0 "photos +\|.*\| ec:2\+1 +\|" get-buckets
expect_eq "the other bucket still replicates" replicate "$(listed docs)"

# the admin API straight: the route, its answer and its refusals
out=$(api PUT /v1/buckets/docs/redundancy '{"policy": "ec:1+2"}')
expect_match "PUT /v1/buckets/docs/redundancy ec:1+2: 200 with the bucket" \
    '"redundancy": *"ec:1\+2".* 200$' "$out"
expect_eq "docs now shows ec:1+2" "ec:1+2" "$(policy docs)"
expect_match "PUT without a policy: 400" 'send .*policy.* 400$' \
    "$(api PUT /v1/buckets/docs/redundancy '{}')"
expect_match "PUT ec:4+2: 409 saying why" 'needs 6 storage nodes.* 409$' \
    "$(api PUT /v1/buckets/docs/redundancy '{"policy": "ec:4+2"}')"
expect_match "PUT a policy that is not a string: 400" ' 400$' \
    "$(api PUT /v1/buckets/docs/redundancy '{"policy": 6}')"
expect_match "PUT to an unknown bucket: 404" ' 404$' \
    "$(api PUT /v1/buckets/nope/redundancy '{"policy": "ec:2+1"}')"
expect_eq "docs keeps ec:1+2 after the refusals" "ec:1+2" "$(policy docs)"

# ---- state: survives a restart of the manager --------------------------------------------
check "the manager restarts" restart_manager || t_abort "the manager did not come back"
expect_eq "photos' ec:2+1 survives a manager restart" "ec:2+1" "$(policy photos)"
expect_eq "docs' ec:1+2 survives a manager restart" "ec:1+2" "$(policy docs)"
run "back to replicate" 0 "^OK" set-bucket-redundancy photos replicate
expect_eq "photos replicates again" replicate "$(policy photos)"
check "the manager restarts again" restart_manager || t_abort "the manager did not come back"
expect_eq "the change back survives a manager restart" replicate "$(policy photos)"
expect_eq "docs still ec:1+2" "ec:1+2" "$(policy docs)"

# ---- 6 storage nodes: ec:4+2 fits --------------------------------------------------------
for i in 3 4 5; do
    check "start storage$i" add_storage "$i" "${T_PORTS[i - 3]}" || t_abort "storage$i did not start"
done
check "the manager sees 6 storage nodes" cl_wait_storage 6 20
run "ec:4+2 before the rebalance: still refused (the ring has 3)" 1 \
    "needs 6 storage nodes .*the current ring has 3" set-bucket-redundancy photos ec:4+2
check "cairn-adm rebalance --wait brings them into the ring" t_rebalance_wait 60
expect_eq "the ring has 6 storage nodes" 6 "$(ring_nodes)"
run "ec:4+2 on 6 nodes: accepted" 0 "^OK" set-bucket-redundancy photos ec:4+2
expect_eq "get-bucket --json shows ec:4+2" "ec:4+2" "$(policy photos)"
run "ec:4+3 on 6 nodes: refused" 1 "ec:4\+3 needs 7 storage nodes .*the current ring has 6" \
    set-bucket-redundancy photos ec:4+3
run "ec:5+2 on 6 nodes: refused" 1 "needs 7 storage nodes" set-bucket-redundancy docs ec:5+2
expect_eq "photos keeps ec:4+2 after the refusals" "ec:4+2" "$(policy photos)"
check "the manager restarts a third time" restart_manager || t_abort "the manager did not come back"
expect_eq "ec:4+2 survives a manager restart" "ec:4+2" "$(policy photos)"

# ---- applied to data: a write to the ec bucket is coded ----------------------------------
check "6 storage nodes and the gateway are running" cl_wait_running 7 30
check "gateway answers after the restarts" t_wait_signed
head -c 300000 /dev/urandom >"$tmp/obj"
expect_eq "PUT into the ec:4+2 bucket" 200 \
    "$(sigv4 -o /dev/null -w '%{http_code}' -T "$tmp/obj" "$endpoint/photos/k")"
expect_eq "GET gives the same bytes back" "$(sha256sum <"$tmp/obj")" \
    "$(sigv4 "$endpoint/photos/k" | sha256sum)"
# copies KEY: how many owners of KEY hold a live copy of it (whereis --json).
copies() {
    cl_adm --json whereis "$1" 2>/dev/null |
        t_py 'sum(1 for r in d.get("replicas", []) if r.get("copy", {}).get("present") and not r["copy"].get("tombstone"))' 2>/dev/null
}
wait_copies() {
    local deadline=$((SECONDS + 20))
    until [ "$(copies "$1")" = "$2" ]; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.3
    done
}
check "whereis: N=3 copies of photos/k's manifest" wait_copies photos/k 3
check "its one chunk is 6 fragments, one on each storage node" \
    t_until_coded 6 sigv4 -o /dev/null -T "$tmp/obj" "$endpoint/photos/k"
expect_eq "GET gives the coded object's bytes back" "$(sha256sum <"$tmp/obj")" \
    "$(sigv4 "$endpoint/photos/k" | sha256sum)"

t_summary
