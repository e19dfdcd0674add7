# tests/integration/mgr_group.sh: a group of 3 managers and a lone one on loopback, for the
# tests of the manager's replicated state (test_kms.sh, test_cluster_links.sh). Sourced after
# lib.sh, with build set; not a test itself (the runner takes test_*.sh).
#   mg_setup NAME   free ports, a temp dir, the group's peers and the EXIT trap; sets
#                   MGR_BIN ADM_BIN SECRET tmp RPC ADMIN RAFT LONE PIDS peers, and CUR (the
#                   master key file; the caller makes it) and PREV ("")
#   conf I          the config of manager I (0..2: the group with CUR and PREV as master key
#                   files; 3: alone, without a master key)
#   start I, stop I [SIGNAL], role I, wait_leader SECONDS [SKIP], adm I ARGS...,
#   master_id FILE (the id a manager gives the master key in FILE, kms_master.h)
# On exit every manager still running is stopped, and their logs' last lines are printed
# when a check failed (else the temp dir is removed).

mg_setup() {
    local i
    MGR_BIN=$build/manager/cairn-manager
    ADM_BIN=$build/manager/adm/cairn-adm
    SECRET=$1-secret
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-$1-XXXXXX")
    read -r -a P <<<"$(cl_free_ports 12)"
    RPC=("${P[0]}" "${P[1]}" "${P[2]}")
    ADMIN=("${P[3]}" "${P[4]}" "${P[5]}")
    RAFT=("${P[6]}" "${P[7]}" "${P[8]}")
    LONE=("${P[9]}" "${P[10]}" "${P[11]}") # RPC, admin, Raft of the lone manager
    PIDS=("" "" "" "")
    peers=""
    for i in 0 1 2; do
        peers+="${peers:+, }$((i + 1))@127.0.0.1:${RAFT[$i]}/${RPC[$i]}/${ADMIN[$i]}"
    done
    CUR=""
    PREV=""
    trap mg_finish EXIT
}

mg_finish() {
    local rc=$? i
    for i in 0 1 2 3; do [ -n "${PIDS[$i]}" ] && kill "${PIDS[$i]}" 2>/dev/null; done
    for i in 0 1 2 3; do [ -n "${PIDS[$i]}" ] && wait "${PIDS[$i]}" 2>/dev/null; done
    cl_release_ports
    if [ "$T_FAIL" -ne 0 ] || [ $rc -ne 0 ]; then
        for i in 0 1 2 3; do echo "== manager$i.log"; tail -n 25 "$tmp/manager$i.log"; done
    else
        rm -rf "$tmp"
    fi
}

conf() { # conf I: the config of manager I (0..2: the group with CUR and PREV; 3: alone)
    local i=$1
    if [ "$i" = 3 ]; then
        printf '[manager]\nrpc_listen = 127.0.0.1:%s\nadmin_listen = 127.0.0.1:%s\n' \
            "${LONE[0]}" "${LONE[1]}"
        printf 'raft_listen = 127.0.0.1:%s\ndata_dir = %s/data3\n' "${LONE[2]}" "$tmp"
    else
        printf '[manager]\nid = %s\npeers = %s\n' $((i + 1)) "$peers"
        printf 'rpc_listen = 127.0.0.1:%s\nadmin_listen = 127.0.0.1:%s\ndata_dir = %s/data%s\n' \
            "${RPC[$i]}" "${ADMIN[$i]}" "$tmp" "$i"
        printf 'sse_master_key_file = %s\n' "$CUR"
        [ -n "$PREV" ] && printf 'sse_master_key_previous_file = %s\n' "$PREV"
    fi
    printf '\n[cluster]\nsecret = %s\n' "$SECRET"
}

start() { # start I: starts manager I in the background
    conf "$1" >"$tmp/manager$1.conf"
    "$MGR_BIN" -c "$tmp/manager$1.conf" >>"$tmp/manager$1.log" 2>&1 &
    PIDS[$1]=$!
}

stop() { # stop I [SIGNAL]
    kill "-${2:-TERM}" "${PIDS[$1]}"
    wait "${PIDS[$1]}" 2>/dev/null
    PIDS[$1]=""
}

role() {
    curl -s -m 2 -o /dev/null -D - "http://127.0.0.1:${ADMIN[$1]}/v1/status" |
        tr -d '\r' | awk -F': ' 'tolower($1) == "cairn-manager-role" { print $2 }'
}

wait_leader() { # wait_leader SECONDS [SKIP]: prints the leader's index once there is one
    local deadline=$((SECONDS + $1)) i
    while [ $SECONDS -lt "$deadline" ]; do
        for i in 0 1 2; do
            [ "$i" = "${2:-x}" ] && continue
            [ "$(role "$i")" = leader ] && { echo "$i"; return 0; }
        done
        sleep 0.1
    done
    return 1
}

adm() { # adm I ARGS...: cairn-adm against manager I alone (3: the lone one)
    local port=${ADMIN[$1]:-${LONE[1]}}
    shift
    "$ADM_BIN" --manager "127.0.0.1:$port" "$@"
}

master_id() { # master_id FILE: the id the manager gives the master key in FILE
    python3 - "$1" <<'PY'
import hmac, hashlib, sys
b = open(sys.argv[1], "rb").read()
k = bytes.fromhex(b.decode()) if len(b) != 32 else b
print(hmac.new(k, b"cairn sse master id v1", hashlib.sha256).hexdigest()[:16])
PY
}
