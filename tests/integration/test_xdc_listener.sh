#!/usr/bin/env bash
# tests/integration/test_xdc_listener.sh BUILD_DIR: the manager's link listener (issue 22,
# manager/xdc_srv.c) between two single-manager "clusters" A and B on loopback (free ports),
# each with [xdc] listen on TLS (a test CA and a certificate for IP 127.0.0.1 made here with
# the openssl CLI), linked to each other with one shared secret (cairn-adm join-cluster,
# naming the other's link listener):
#   - [xdc] listen without cert_file and key_file is a startup error; the port file has an
#     "xdc" line;
#   - A calls B's xdc_nodes over TLS (tests/integration/xdc_call) by A's cluster id and the
#     shared secret, alone and as "ID/NODE": B's cluster id comes back;
#   - refused: a wrong secret, an id B has no link to, a plain (non-TLS) client, a client
#     that does not trust B's certificate; an op other than the link ops is ENOTSUP;
#   - after B's remove-cluster A, A's id is refused.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

MGR_BIN=$build/manager/cairn-manager
ADM_BIN=$build/manager/adm/cairn-adm
CALL=$build/tests/integration/xdc_call
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-xdc-XXXXXX")
read -r -a P <<<"$(cl_free_ports 8)"
# per cluster: RPC, admin, Raft, xdc
declare -A PORT=([A_rpc]=${P[0]} [A_admin]=${P[1]} [A_raft]=${P[2]} [A_xdc]=${P[3]}
    [B_rpc]=${P[4]} [B_admin]=${P[5]} [B_raft]=${P[6]} [B_xdc]=${P[7]})
declare -A PID=()

finish() {
    local rc=$? c
    for c in "${!PID[@]}"; do kill "${PID[$c]}" 2>/dev/null; done
    for c in "${!PID[@]}"; do wait "${PID[$c]}" 2>/dev/null; done
    cl_release_ports
    if [ "$T_FAIL" -ne 0 ] || [ $rc -ne 0 ]; then
        for c in A B; do echo "== manager$c.log"; tail -n 25 "$tmp/manager$c.log"; done
    else
        rm -rf "$tmp"
    fi
}
trap finish EXIT

# ---- a test CA and the listeners' certificate (IP 127.0.0.1) ------------------------------
pki() {
    cd "$tmp" || return 1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
        -subj "/CN=cairn test CA" >/dev/null 2>&1 &&
        openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
            -subj "/CN=127.0.0.1" >/dev/null 2>&1 &&
        printf 'subjectAltName=IP:127.0.0.1\n' >san.ext &&
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -out server.pem -days 2 -extfile san.ext >/dev/null 2>&1 &&
        openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 2 \
            -subj "/CN=another CA" >/dev/null 2>&1
}
(pki) || t_abort "openssl could not make the test CA and certificate"
(umask 077 && head -c 32 /dev/urandom >"$tmp/masterA.key" &&
    head -c 32 /dev/urandom >"$tmp/masterB.key" &&
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/link.secret" &&
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/wrong.secret")
SECRET=$(cat "$tmp/link.secret")

conf() { # conf C: the config of the manager of cluster C (A or B)
    local c=$1
    printf '[manager]\nrpc_listen = 127.0.0.1:%s\nadmin_listen = 127.0.0.1:%s\n' \
        "${PORT[${c}_rpc]}" "${PORT[${c}_admin]}"
    printf 'raft_listen = 127.0.0.1:%s\ndata_dir = %s/data%s\n' "${PORT[${c}_raft]}" "$tmp" "$c"
    printf 'sse_master_key_file = %s/master%s.key\n' "$tmp" "$c"
    printf '\n[cluster]\nsecret = secret-of-%s\n' "$c"
    printf '\n[xdc]\nlisten = 127.0.0.1:%s\ncert_file = %s/server.pem\nkey_file = %s/server.key\n' \
        "${PORT[${c}_xdc]}" "$tmp" "$tmp"
    printf 'ca_file = %s/ca.pem\n' "$tmp"
}

start() { # start C
    conf "$1" >"$tmp/manager$1.conf"
    "$MGR_BIN" -c "$tmp/manager$1.conf" --port-file "$tmp/ports$1" >>"$tmp/manager$1.log" 2>&1 &
    PID[$1]=$!
}

adm() { # adm C ARGS...
    local c=$1
    shift
    "$ADM_BIN" --manager "127.0.0.1:${PORT[${c}_admin]}" "$@"
}

wait_id() { # wait_id C: until cluster C's manager has a cluster id; prints it
    local deadline=$((SECONDS + 20)) got
    until got=$(curl -s -m 2 "http://127.0.0.1:${PORT[${1}_admin]}/v1/status" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["cluster_id"])' 2>/dev/null) &&
        [[ $got =~ ^[0-9a-f]{16}$ ]]; do
        [ $SECONDS -ge $deadline ] && { echo "cluster $1: ${got:-no answer}"; return 1; }
        sleep 0.1
    done
    echo "$got"
}

call() { # call B_NAME SECRET CA OP: xdc_call against B's link listener
    "$CALL" "127.0.0.1:${PORT[B_xdc]}" "$@" 2>>"$tmp/xdc_call.err"
}

# ---- the config check ------------------------------------------------------------------------
conf A | grep -v '^cert_file' >"$tmp/nocert.conf"
out=$("$MGR_BIN" -c "$tmp/nocert.conf" --check-config 2>&1)
rc=$?
check "xdc.listen without cert_file is refused at startup" [ $rc -eq 2 ]
expect_match "it says why" "xdc.listen: needs xdc.cert_file and xdc.key_file" "$out"

# ---- two clusters, linked to each other -------------------------------------------------------
start A
start B
A_ID=$(wait_id A) || t_abort "no cluster id on A: $A_ID"
B_ID=$(wait_id B) || t_abort "no cluster id on B: $B_ID"
t_ok "A is $A_ID, B is $B_ID"
expect_match "A's port file names its link listener" "xdc 127.0.0.1:${PORT[A_xdc]}" \
    "$(cat "$tmp/portsA")"
out=$(adm A join-cluster "127.0.0.1:${PORT[B_xdc]}" "$B_ID" --secret-file "$tmp/link.secret" \
    --ca "$tmp/ca.pem" 2>&1)
check "A joins B (B's link listener, the shared secret, B's CA): $out" [ $? -eq 0 ]
out=$(adm B join-cluster "127.0.0.1:${PORT[A_xdc]}" "$A_ID" --secret-file "$tmp/link.secret" 2>&1)
check "B joins A: $out" [ $? -eq 0 ]

# ---- B's link listener, called as A ------------------------------------------------------------
out=$(call "$A_ID" "$SECRET" "$tmp/ca.pem" xdc_nodes)
rc=$?
check "A's id and the shared secret over TLS: xdc_nodes answers ($out)" [ $rc -eq 0 ]
expect_match "with B's cluster id" "cluster_id=$B_ID" "$out"
expect_match "and its nodes (none reported a listener)" "^nodes=\$" "$(grep '^nodes=' <<<"$out")"
out=$(call "$A_ID/storage0" "$SECRET" "$tmp/ca.pem" xdc_nodes)
check "as A's node (ID/NODE): answered ($out)" [ $? -eq 0 ]
out=$(call "$A_ID" "$(cat "$tmp/wrong.secret")" "$tmp/ca.pem" xdc_nodes)
check "a wrong secret is refused ($out)" [ $? -ne 0 ]
expect_eq "as EAUTH" "EAUTH" "$out"
out=$(call "0123456789abcdef" "$SECRET" "$tmp/ca.pem" xdc_nodes)
expect_eq "an id B has no link to is refused" "EAUTH" "$out"
out=$(call "$A_ID" "$SECRET" - xdc_nodes)
check "a plain (non-TLS) client is refused ($out)" [ $? -ne 0 ]
out=$(call "$A_ID" "$SECRET" "$tmp/other.pem" xdc_nodes)
check "a client that does not trust B's certificate does not get through ($out)" [ $? -ne 0 ]
out=$(call "$A_ID" "$SECRET" "$tmp/ca.pem" get_users)
expect_eq "a cluster op on the link listener is ENOTSUP" "ENOTSUP" "$out"

# ---- after remove-cluster ------------------------------------------------------------------------
out=$(adm B remove-cluster "$A_ID" 2>&1)
check "B removes its link to A: $out" [ $? -eq 0 ]
deadline=$((SECONDS + 10))
while out=$(call "$A_ID" "$SECRET" "$tmp/ca.pem" xdc_nodes); [ "$out" != EAUTH ] &&
    [ $SECONDS -lt $deadline ]; do
    sleep 0.2
done
expect_eq "A's id is refused once the link is removed" "EAUTH" "$out"
out=$(adm A cluster-status 2>&1)
expect_match "A's cluster-status still lists B, no node reporting" "$B_ID \| linked +\| [^|]+\| 0 " \
    "$out"

t_summary
