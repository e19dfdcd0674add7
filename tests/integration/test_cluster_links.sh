#!/usr/bin/env bash
# tests/integration/test_cluster_links.sh BUILD_DIR: the manager side of issue 22's cluster
# links, as state (no data path: nothing is replicated), on a group of 3 managers (loopback,
# free ports) and a lone manager without a master key:
#   - the group makes its cluster id by itself: cairn-adm status and GET /v1/status show the
#     same 16 hex digits on every manager;
#   - join-cluster with a made-up remote id and addresses, a secret file and a CA (a test
#     certificate made here): cluster-status lists it on every manager (each one's own state,
#     through Raft), never with the secret, wrapped or not;
#   - refusals, each with its reason: the same id twice (409), the cluster's own id, a bad
#     id, a bad address, a secret file others may read or of the wrong size, a CA that is no
#     certificate, a fifth link (409), a manager without a master key (501);
#   - remove-cluster: removing, then gone (the leader drops it); the id can be linked again;
#   - set-bucket-replication (issue 22's per-bucket switch, state only): on by default, off
#     and on again, shown by get-bucket and get-buckets (and --json) on every manager; an
#     unknown bucket (404) and a value other than on or off (400) are refused;
#   - a restart of every manager keeps the id, the links and the switch; a master key
#     rotation with kms-rewrap rewraps the links' secrets too, and they survive the old
#     master's removal.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

# shellcheck source=mgr_group.sh
. "$here/mgr_group.sh"
mg_setup links
(umask 077 && head -c 32 /dev/urandom >"$tmp/master1.key" && head -c 32 /dev/urandom >"$tmp/master2.key" &&
    head -c 32 /dev/urandom >"$tmp/link.secret" &&
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/link2.secret")
CUR=$tmp/master1.key
# made-up remote clusters: ids and manager addresses nobody answers on
R1=0123456789abcdef
R2=fedcba9876543210

json_field() { # json_field EXPR: python expression over j (stdin's JSON)
    python3 -c "import json,sys; j = json.load(sys.stdin); print($1)"
}

status_id() { # status_id I: the cluster id manager I's GET /v1/status shows ("None": none)
    curl -s -m 5 "http://127.0.0.1:${ADMIN[$1]:-${LONE[1]}}/v1/status" | json_field 'j["cluster_id"]'
}

wait_id() { # wait_id I: until manager I shows a cluster id; prints it
    local deadline=$((SECONDS + 10)) got
    until got=$(status_id "$1") && [[ $got =~ ^[0-9a-f]{16}$ ]]; do
        [ $SECONDS -ge $deadline ] && { echo "manager$1: $got"; return 1; }
        sleep 0.1
    done
    echo "$got"
}

links_of() { # links_of I: "id:state id:state ..." as manager I's cluster-status --json says
    adm "$1" --json cluster-status |
        json_field '" ".join("%s:%s" % (l["id"], l["state"]) for l in j["links"])'
}

wait_links() { # wait_links I WANT: until manager I's links are WANT
    local deadline=$((SECONDS + 10)) got
    until got=$(links_of "$1" 2>&1) && [ "$got" = "$2" ]; do
        [ $SECONDS -ge $deadline ] && { echo "manager$1: $got"; return 1; }
        sleep 0.1
    done
}

# ---- the cluster id --------------------------------------------------------------------------
for i in 0 1 2; do start "$i"; done
l=$(wait_leader 20) || t_abort "no leader within 20 s"
t_ok "the group of 3 elected manager$l"
ID=$(wait_id "$l") || t_abort "no cluster id on the leader within 10 s: $ID"
t_ok "the leader made the cluster id $ID by itself"
for i in 0 1 2; do
    got=$(wait_id "$i")
    expect_eq "manager$i's /v1/status shows the same id" "$ID" "$got"
done
out=$(adm "$l" status)
expect_match "cairn-adm status shows it" "cluster id +: $ID" "$out"

# ---- join-cluster ------------------------------------------------------------------------------
(cd "$tmp" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=cairn remote CA" -keyout ca.key -out ca.pem >/dev/null 2>&1) ||
    t_abort "openssl could not make the test CA"
out=$(adm "$l" join-cluster "10.99.0.1:10010,10.99.0.2:10010" "$R1" \
    --secret-file "$tmp/link.secret" --ca "$tmp/ca.pem" 2>&1); rc=$?
expect_eq "join-cluster with two addresses, a secret file and a CA" 0 "$rc"
expect_match "it says the link, its state and the master" \
    "cluster $R1 linked \(state linked; managers 10.99.0.1:10010,10.99.0.2:10010; secret wrapped by master [0-9a-f]{16}; with a CA\)" "$out"
for i in 0 1 2; do
    check "manager$i's cluster-status lists it, linked" wait_links "$i" "$R1:linked"
done
f=$(((l + 1) % 3))
json=$(adm "$f" --json cluster-status)
expect_eq "a follower's cluster-status names this cluster" "$ID" "$(printf '%s' "$json" | json_field 'j["cluster_id"]')"
expect_eq "the managers, as given" "10.99.0.1:10010 10.99.0.2:10010" \
    "$(printf '%s' "$json" | json_field '" ".join(j["links"][0]["managers"])')"
expect_eq "the sender's fields: nothing sent yet" "0 0 0 None None" \
    "$(printf '%s' "$json" | json_field '" ".join(str(j["links"][0][k]) for k in ("lag_objects", "lag_seconds", "queue_bytes", "last_error", "last_ok"))')"
expect_eq "it has the CA" True "$(printf '%s' "$json" | json_field 'j["links"][0]["ca"]')"
hex=$(od -An -tx1 "$tmp/link.secret" | tr -d ' \n')
b64=$(base64 -w0 <"$tmp/link.secret")
for what in "$hex" "$b64" wrapped secret; do
    expect_eq "cluster-status holds no '${what:0:12}...'" "" "$(printf '%s' "$json" | grep -F -- "$what")"
done
expect_eq "GET /v1/clusters on the leader neither" "" \
    "$(curl -s "http://127.0.0.1:${ADMIN[$l]}/v1/clusters" | grep -F -e "$hex" -e "$b64" -e wrapped)"
out=$(adm "$l" cluster-status)
expect_match "the table: id, state, managers, never" "$R1 +\| linked +\| 10.99.0.1:10010,10.99.0.2:10010 +\| 0 +\| 0 +\| 0 +\| 0 +\| never" "$out"

# ---- refusals ----------------------------------------------------------------------------------
refused() { # refused NAME REGEX ARGS...: cairn-adm ARGS exits 1 with REGEX on stderr
    local name=$1 re=$2 out rc
    shift 2
    out=$(adm "$l" "$@" 2>&1); rc=$?
    expect_eq "$name: exit 1" 1 "$rc"
    expect_match "$name: says why" "$re" "$out"
}
refused "the same id twice" "linked already" join-cluster 10.99.0.3:10010 "$R1" --secret-file "$tmp/link.secret"
refused "this cluster's own id" "own id" join-cluster 10.99.0.3:10010 "$ID" --secret-file "$tmp/link.secret"
refused "a bad remote id" "16 lower-case hex" join-cluster 10.99.0.3:10010 NOTANID --secret-file "$tmp/link.secret"
refused "an address without a port" "managers: " join-cluster 10.99.0.3 "$R2" --secret-file "$tmp/link.secret"
refused "a CA that is no certificate" "ca: " join-cluster 10.99.0.3:10010 "$R2" --secret-file "$tmp/link.secret" --ca "$tmp/manager0.conf"
refused "a CA file with its private key" "private key" join-cluster 10.99.0.3:10010 "$R2" --secret-file "$tmp/link.secret" --ca "$tmp/ca.key"
chmod 644 "$tmp/link2.secret"
refused "a secret file others may read" "chmod 600" join-cluster 10.99.0.3:10010 "$R2" --secret-file "$tmp/link2.secret"
chmod 600 "$tmp/link2.secret"
head -c 31 /dev/urandom >"$tmp/short.secret" && chmod 600 "$tmp/short.secret"
refused "a secret of 31 bytes" "32 raw bytes or 64 hex digits" join-cluster 10.99.0.3:10010 "$R2" --secret-file "$tmp/short.secret"
out=$(adm "$l" join-cluster 10.99.0.3:10010 "$R2" 2>&1); rc=$?
expect_eq "join-cluster without --secret-file is a usage error" 2 "$rc"
for n in 2 3 4; do
    check "link $n of 4 (a hex secret file)" adm "$l" join-cluster "10.99.$n.1:10010" "000000000000000$n" \
        --secret-file "$tmp/link2.secret"
done
refused "a fifth link" "4 links, the most" join-cluster 10.99.0.3:10010 "$R2" --secret-file "$tmp/link2.secret"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d "{\"id\": \"$R2\", \"managers\": [\"10.99.0.3:10010\"], \"secret\": \"$hex\"}" \
    "http://127.0.0.1:${ADMIN[$l]}/v1/clusters")
expect_eq "POST /v1/clusters of a fifth: 409" 409 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "http://127.0.0.1:${ADMIN[$l]}/v1/clusters/$R2")
expect_eq "DELETE of a cluster not linked: 404" 404 "$code"

# ---- remove-cluster --------------------------------------------------------------------------
out=$(adm "$l" remove-cluster 0000000000000004 2>&1); rc=$?
expect_eq "remove-cluster" 0 "$rc"
expect_match "it says removing" "is removing" "$out"
want="0000000000000002:linked 0000000000000003:linked $R1:linked"
for i in 0 1 2; do
    check "manager$i: the leader dropped the removed link" wait_links "$i" "$want"
done
out=$(adm "$l" remove-cluster 0000000000000004 2>&1); rc=$?
expect_eq "remove-cluster of a cluster no longer linked fails" 1 "$rc"
expect_match "saying so" "no link to cluster" "$out"
check "its place and its id are free again: linked anew" \
    adm "$l" join-cluster 10.99.4.1:10010 0000000000000004 --secret-file "$tmp/link2.secret"
check "and removed again" adm "$l" remove-cluster 0000000000000004
check "(gone again)" wait_links "$l" "$want"

# ---- the per-bucket replication switch --------------------------------------------------------
repl_of() { # repl_of I BUCKET: BUCKET's replication as manager I's get-bucket --json says
    adm "$1" --json get-bucket "$2" | json_field 'j["replication"]'
}
wait_repl() { # wait_repl I BUCKET WANT: until manager I shows WANT (a follower lags)
    local deadline=$((SECONDS + 10)) got
    until got=$(repl_of "$1" "$2" 2>&1) && [ "$got" = "$3" ]; do
        [ $SECONDS -ge $deadline ] && { echo "manager$1: $got"; return 1; }
        sleep 0.1
    done
}
AK=$(adm "$l" --json create-user alice | json_field 'j["access_key"]') || t_abort "create-user alice"
check "add-bucket photos" adm "$l" add-bucket photos "$AK"
check "add-bucket docs" adm "$l" add-bucket docs "$AK"
expect_eq "a new bucket's replication is on" on "$(repl_of "$l" photos)"
check "set-bucket-replication photos off" adm "$l" set-bucket-replication photos off
for i in 0 1 2; do
    check "manager$i shows photos off (through Raft)" wait_repl "$i" photos off
done
expect_match "get-bucket shows it" "replication +\| off" "$(adm "$l" get-bucket photos)"
expect_eq "get-buckets --json: docs on, photos off" "docs:on photos:off" \
    "$(adm "$l" --json get-buckets | json_field '" ".join("%s:%s" % (b["name"], b["replication"]) for b in j)')"
expect_match "get-buckets shows a replication column" "replication" "$(adm "$l" get-buckets)"
check "set-bucket-replication docs off" adm "$l" set-bucket-replication docs off
check "and on again" adm "$l" set-bucket-replication docs on
expect_eq "docs is on" on "$(repl_of "$l" docs)"
refused "set-bucket-replication of an unknown bucket" "no bucket named" set-bucket-replication nope off
refused "set-bucket-replication maybe" 'or \{"replication": "off"\}' set-bucket-replication photos maybe
repl_put() { # repl_put BUCKET BODY: the HTTP code of PUT /v1/buckets/BUCKET/replication
    curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' -d "$2" \
        "http://127.0.0.1:${ADMIN[$l]}/v1/buckets/$1/replication"
}
expect_eq "PUT replication of an unknown bucket: 404" 404 "$(repl_put nope '{"replication": "off"}')"
expect_eq "PUT replication \"yes\": 400" 400 "$(repl_put photos '{"replication": "yes"}')"
expect_eq "PUT replication false: 400" 400 "$(repl_put photos '{"replication": false}')"
expect_eq "PUT without \"replication\": 400" 400 "$(repl_put photos '{}')"
expect_eq "PUT replication on: 200" 200 "$(repl_put docs '{"replication": "on"}')"
expect_eq "a refusal changed nothing" off "$(repl_of "$l" photos)"

# ---- the lone manager without a master key ------------------------------------------------
start 3
deadline=$((SECONDS + 20))
until id3=$(curl -s -m 2 "http://127.0.0.1:${LONE[1]}/v1/status" | json_field 'j["cluster_id"]' 2>/dev/null) &&
    [[ $id3 =~ ^[0-9a-f]{16}$ ]]; do
    [ $SECONDS -ge $deadline ] && break
    sleep 0.1
done
expect_match "a group of one makes its id too" "^[0-9a-f]{16}$" "$id3"
check "another cluster's id is another" test "$id3" != "$ID"
refused_lone() {
    local out rc
    out=$(adm 3 join-cluster 10.99.0.3:10010 "$ID" --secret-file "$tmp/link.secret" 2>&1); rc=$?
    expect_eq "join-cluster on a manager without a master key: exit 1" 1 "$rc"
    expect_match "it names the key file it needs" "sse_master_key_file" "$out"
}
refused_lone
stop 3

# ---- restarts and a master key rotation -------------------------------------------------
restart_all() {
    local i
    for i in 0 1 2; do stop "$i"; done
    for i in 0 1 2; do start "$i"; done
    wait_leader 20 >/dev/null
}
CUR=$tmp/master2.key PREV=$tmp/master1.key
restart_all || t_abort "no leader after the restart with the new master"
l=$(wait_leader 5)
for i in 0 1 2; do
    expect_eq "manager$i keeps the cluster id across the restart" "$ID" "$(wait_id "$i")"
    check "manager$i keeps the links across the restart" wait_links "$i" "$want"
    check "manager$i keeps photos' replication off across the restart" wait_repl "$i" photos off
    expect_eq "manager$i: docs still on" on "$(repl_of "$i" docs)"
done
out=$(adm "$l" kms-rewrap 2>&1); rc=$?
expect_eq "kms-rewrap" 0 "$rc"
expect_match "it rewraps the 3 links' secrets" "; 3 cluster link secrets \(0 left\)" "$out"
m2=$(master_id "$tmp/master2.key")
masters_of() { # masters_of I: the master id of each link manager I holds
    adm "$1" --json cluster-status | json_field '" ".join(l["master"] for l in j["links"])'
}
wait_masters() { # wait_masters I: until manager I applied the rewrap (a follower lags)
    local deadline=$((SECONDS + 10)) got
    until got=$(masters_of "$1" 2>&1) && [ "$got" = "$m2 $m2 $m2" ]; do
        [ $SECONDS -ge $deadline ] && { echo "manager$1: $got"; return 1; }
        sleep 0.1
    done
}
for i in 0 1 2; do
    check "manager$i holds every link's secret under the new master" wait_masters "$i"
done
PREV=""
restart_all || t_abort "no leader after the restart with the new master alone"
l=$(wait_leader 5)
expect_eq "with the new master alone, every link's secret is under it" "$m2 $m2 $m2" \
    "$(masters_of "$l")"
check "the links are still there" wait_links "$l" "$want"
expect_eq "and the id" "$ID" "$(status_id "$l")"
if grep -q "cluster links' secrets are wrapped by master" "$tmp"/manager[012].log; then
    t_bad "a manager said at startup that a link's secret is under a master it lacks"
else
    t_ok "no manager lacks the master of a link's secret"
fi

t_summary
