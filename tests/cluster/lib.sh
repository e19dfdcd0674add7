# tests/cluster/lib.sh: a cluster for the fault tests (bash): 1 manager (FC_MANAGERS=3: a
# group of 3, scripts/lib/cluster.sh's CL_NMGR), NSTORAGE storage nodes and 1 gateway
# (FC_GATEWAYS=2: two, gateway and gateway2, CL_NGW; FC_ENDPOINTS lists every gateway's S3
# URL) on free loopback ports (scripts/lib/cluster.sh), tuned to notice
# failures within seconds; a concurrent S3 load (s3load.py, boto3) that records every acked
# key with its MD5; and checks through the gateway and each replica (whereis).
# Each test script: . lib.sh; fc_setup NSTORAGE; ...; fc_verify ...; t_summary.
# Everything started is stopped from the EXIT trap, by PID. With fc_setup --netns, every
# daemon and the S3 client run on hosts of their own (network namespaces, scripts/lib/netns.sh);
# the trap deletes them too.

fc_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fc_src=$(cd "$fc_here/../.." && pwd)
# shellcheck source=../integration/lib.sh
. "$fc_src/tests/integration/lib.sh"
# shellcheck source=../../scripts/lib/cluster.sh
. "$fc_src/scripts/lib/cluster.sh"

FC_BUCKET=fault
FC_NODE_TIMEOUT_MS=${FC_NODE_TIMEOUT_MS:-3000}
FC_RPC_TIMEOUT_MS=${FC_RPC_TIMEOUT_MS:-3000}
FC_REPL_TIMEOUT=${FC_REPL_TIMEOUT:-1s}   # below 60% of the gateway's RPC timeout
FC_LOAD_PIDS=""

fc_finish() {
    local rc=$? p
    for p in $FC_LOAD_PIDS; do kill "$p" 2>/dev/null; done
    for p in $FC_LOAD_PIDS; do wait "$p" 2>/dev/null; done
    # a stopped (SIGSTOP) node cannot take SIGTERM until it continues
    for p in "$CL_DIR"/run/*.pid; do [ -f "$p" ] && kill -CONT "$(cat "$p")" 2>/dev/null; done
    [ -f "$CL_DIR/conf/cluster.env" ] && cl_stop   # none before cl_configure
    cl_release_ports
    if declare -F nh_cleanup >/dev/null; then nh_cleanup || T_FAIL=$((T_FAIL + 1)); fi
    if [ "$T_FAIL" -ne 0 ] || [ $rc -ne 0 ]; then
        echo "--- logs kept in $CL_DIR/logs; last lines:"
        for f in "$CL_DIR"/logs/*.log; do echo "== $f"; tail -n 15 "$f"; done
    else
        rm -rf "$CL_DIR"
    fi
}

# fc_setup [--netns] NSTORAGE [NSTART]: configures NSTORAGE storage nodes, starts the
# manager, the first NSTART (default all) and the gateway, then the first ring, a user and a
# bucket. --netns: each daemon, and the client that runs fc_py and cl_adm, on a host of its
# own (cl_hosts); without root (or network namespaces) the test prints SKIP and exits 0.
fc_setup() {
    local netns=0 n k i deadline tmp
    [ "$1" = --netns ] && { netns=1; shift; }
    n=$1 k=${2:-$1}
    build=$(cd "${FC_BUILD:?}" && pwd)
    if [ "$netns" = 1 ]; then
        # shellcheck source=../../scripts/lib/netns.sh
        . "$fc_src/scripts/lib/netns.sh"
        if ! nh_available; then
            echo "SKIP $(basename "$0"): needs network namespaces: $NH_WHY"
            t_summary
            exit 0
        fi
    fi
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-fault-XXXXXX")
    cl_setup "$tmp" "$build"
    CL_NMGR=${FC_MANAGERS:-1}
    CL_NGW=${FC_GATEWAYS:-1}
    trap fc_finish EXIT
    if [ "$netns" = 1 ]; then
        cl_hosts "$n" || t_abort "could not make the hosts (network namespaces)"
    fi
    # shellcheck disable=SC2046
    set -- $(cl_free_ports $((n + 3)))
    cl_configure "$n" "$@"
    cl_load
    for i in $(cl_managers); do
        printf '\n[cluster]\nnode_timeout_ms = %s\n' "$FC_NODE_TIMEOUT_MS" >>"$CL_DIR/conf/cairn-$i.conf"
        # FC_MGR_CONF: more lines for every manager's config (e.g. a [manager] section)
        [ -n "${FC_MGR_CONF:-}" ] && printf '\n%s\n' "$FC_MGR_CONF" >>"$CL_DIR/conf/cairn-$i.conf"
    done
    for ((i = 0; i < n; i++)); do
        printf '\n[replication]\ntimeout = %s\nrepair_backoff_max = 1s\n' "$FC_REPL_TIMEOUT" \
            >>"$CL_DIR/conf/cairn-storage$i.conf"
    done
    FC_ENDPOINTS=""
    for i in $(cl_gateways); do
        printf '\n[gateway]\nrpc_timeout_ms = %s\n' "$FC_RPC_TIMEOUT_MS" >>"$CL_DIR/conf/cairn-$i.conf"
        # FC_GW_CONF: more lines for every gateway's config (e.g. $'[gateway]\nKEY = VALUE')
        [ -n "${FC_GW_CONF:-}" ] && printf '\n%s\n' "$FC_GW_CONF" >>"$CL_DIR/conf/cairn-$i.conf"
        FC_ENDPOINTS+="${FC_ENDPOINTS:+ }http://$(cl_addr "$i"):$(cl_s3_port "$i")"
    done
    FC_ENDPOINT=http://$(cl_addr gateway):$CL_S3
    FC_ADMIN=$CL_MGR_ADMINS
    for i in $(cl_managers); do cl_start_one "$i" || t_abort "$i did not start"; done
    [ "$CL_NMGR" -gt 1 ] && { cl_wait_mgr_leader 20 >/dev/null || t_abort "the managers elected no leader"; }
    for ((i = 0; i < k; i++)); do cl_start_one "storage$i" || t_abort "storage$i did not start"; done
    for i in $(cl_gateways); do cl_start_one "$i" || t_abort "$i did not start"; done
    deadline=$((SECONDS + 20))
    until [ "$(fc_count_state storage attached)" -ge "$k" ]; do
        [ $SECONDS -ge $deadline ] && t_abort "storage nodes did not register"
        sleep 0.2
    done
    cl_adm start >/dev/null || t_abort "cairn-adm start failed"
    cl_wait_running $((k + CL_NGW)) 30 || t_abort "nodes are not running"
    local uj
    uj=$(cl_adm --json create-user fault) || t_abort "create-user failed"
    AWS_ACCESS_KEY_ID=$(printf '%s' "$uj" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_key"])')
    AWS_SECRET_ACCESS_KEY=$(printf '%s' "$uj" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
    export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION=us-east-1
    export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
    cl_adm add-bucket "$FC_BUCKET" "$AWS_ACCESS_KEY_ID" >/dev/null || t_abort "add-bucket failed"
    # FC_REDUNDANCY: the bucket's redundancy policy (e.g. ec:4+2; fc_wait_ec waits until the
    # gateway applies it)
    if [ -n "${FC_REDUNDANCY:-}" ]; then
        cl_adm set-bucket-redundancy "$FC_BUCKET" "$FC_REDUNDANCY" >/dev/null ||
            t_abort "set-bucket-redundancy $FC_BUCKET $FC_REDUNDANCY failed"
    fi
    # a gateway learns users and buckets by heartbeat: wait until a PUT goes through each
    deadline=$((SECONDS + 20))
    for i in $FC_ENDPOINTS; do
        rm -f "$CL_DIR/warmup"
        until FC_ENDPOINT=$i fc_py write --prefix warmup --threads 1 --count 1 --acked "$CL_DIR/warmup" >/dev/null 2>&1 &&
            [ -s "$CL_DIR/warmup" ]; do
            [ $SECONDS -ge $deadline ] && t_abort "the gateway $i does not take writes"
            sleep 0.5
        done
    done
    t_ok "cluster of $k storage nodes up (ring started, gateway takes writes)"
}

# fc_py MODE ARGS...: s3load.py against the cluster, where the client is (cl_in client),
# with the admin token for its whereis calls.
fc_py() {
    local mode=$1
    shift
    CAIRN_TOKEN=$CL_TOKEN cl_in client python3 "$fc_here/s3load.py" "$mode" \
        --endpoint "$FC_ENDPOINT" --bucket "$FC_BUCKET" "$@"
}

# fc_ec MODE ARGS...: ec_load.py (objects of an erasure-coded bucket, issue 21) against the
# gateway and the test's bucket, where the client is, with the admin token for whereis.
fc_ec() {
    local mode=$1
    shift
    CAIRN_TOKEN=$CL_TOKEN cl_in client python3 "$fc_here/ec_load.py" "$mode" \
        --endpoint "$FC_ENDPOINT" --bucket "$FC_BUCKET" "$@"
}

# fc_data_dirs [NODE...]: the data dirs of NODE... (default: every storage node), comma-separated.
fc_data_dirs() {
    local n out=""
    # shellcheck disable=SC2046
    [ $# -gt 0 ] || set -- $(fc_storage_names)
    for n in "$@"; do out+="${out:+,}$CL_DIR/data/$n"; done
    echo "$out"
}

# fc_wait_ec TIMEOUT_S [BUCKET]: waits until a PUT of 256 KiB into BUCKET (default the test's)
# is stored as fragments (erasure-coded: its fragment records, chunk key "\0f"..., are in the
# storage nodes' container files), i.e. until the gateway applies the bucket's ec:K+M policy
# (it learns it by heartbeat). 1 when no such PUT was encoded within TIMEOUT_S.
fc_wait_ec() {
    local deadline=$((SECONDS + $1)) b=${2:-$FC_BUCKET} i=0
    while :; do
        i=$((i + 1))
        head -c 262144 /dev/urandom >"$CL_DIR/ec-probe"
        cl_in client curl -s -f -o /dev/null --aws-sigv4 aws:amz:us-east-1:s3 \
            --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -T "$CL_DIR/ec-probe" \
            "$FC_ENDPOINT/$b/ec-probe-$i" &&
            grep -a -q -r -P "\\x01c/$b/ec-probe-$i/[0-9a-f]+/000000\\x00f" \
                --include='*.dat' "$CL_DIR/data" && return 0
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.5
    done
}

# fc_ec_setup NSTORAGE [NSTART]: fc_setup for an erasure-coded bucket (issue 21): the test's
# bucket at FC_REDUNDANCY (default ec:4+2), the gateway's memory cache off, its chunk_size
# FC_EC_CHUNK (default 1m: objects of a few MiB have several chunks); then a check that the
# gateway encodes the bucket's objects (fc_wait_ec).
fc_ec_setup() {
    FC_REDUNDANCY=${FC_REDUNDANCY:-ec:4+2} \
        FC_GW_CONF=$'[gateway]\nchunk_size = '"${FC_EC_CHUNK:-1m}"$'\n[cache]\nmem_capacity = 0' fc_setup "$@"
    fc_wait_ec 20 && t_ok "the gateway encodes the bucket's objects (${FC_REDUNDANCY:-ec:4+2}: fragment records)" ||
        t_bad "a PUT of 256 KiB into the ${FC_REDUNDANCY:-ec:4+2} bucket left no fragment record"
}

# fc_ec_run WHAT MODE ARGS...: ec_load.py MODE ARGS (fc_ec) as a check named WHAT; prints its
# report (the last line of its output, cut) and keeps it in FC_REPORT; its status.
fc_ec_run() {
    local what=$1 out rc
    shift
    out=$(fc_ec "$@" 2>&1)
    rc=$?
    FC_REPORT=$(printf '%s' "$out" | tail -n 1)
    printf '%s\n' "$FC_REPORT" | cut -c1-600
    [ $rc -eq 0 ] && t_ok "$what" || t_bad "$what" "$out"
    return $rc
}

# fc_ec_degraded: the gateway's degraded reads so far
# (cairn_gateway_ec_reads_total{kind="degraded"}; nothing before the first one)
fc_ec_degraded() {
    fc_metric gateway cairn_gateway_ec_reads_total kind=degraded
}

# fc_ec_degraded_rose BEFORE WHAT: a check that the gateway's degraded reads rose above
# BEFORE (an fc_ec_degraded taken before WHAT, the reads that should have decoded).
fc_ec_degraded_rose() {
    local now
    now=$(fc_ec_degraded)
    echo "degraded reads: ${1:-none} before $2, ${now:-none} after"
    [ -n "$now" ] && [ "$now" -gt "${1:-0}" ] &&
        t_ok "$2: the gateway counts degraded reads (cairn_gateway_ec_reads_total{kind=\"degraded\"} +$((now - ${1:-0})))" ||
        t_bad "$2: the gateway's degraded reads did not rise (${1:-none} -> ${now:-none})"
}

# fc_ec_rebuilt: the fragments the storage nodes' repair queues rebuilt from their chunks'
# others since they started (cairn_storage_ec_fragments_rebuilt_total{result="ok"}, summed)
fc_ec_rebuilt() {
    local n v sum=0
    for n in $(fc_storage_names); do
        v=$(fc_metric "$n" cairn_storage_ec_fragments_rebuilt_total result=ok)
        sum=$((sum + ${v:-0}))
    done
    echo "$sum"
}

# fc_metric NODE NAME [LABEL=VALUE]: the sum of the samples of metric NAME on NODE's /metrics
# (a gateway or a storage node: the "metrics" line of its port file), all of them or those
# with that label; prints nothing (and fails) when NODE does not answer or has no such sample.
fc_metric() {
    local hp
    hp=$(awk '$1 == "metrics" { print $2 }' "$CL_DIR/run/$1.port" 2>/dev/null)
    [ -n "$hp" ] || return 1
    cl_in client curl -s -m 5 "http://$hp/metrics" | awk -v n="$2" -v l="${3:+${3%%=*}=\"${3#*=}\"}" '
        ($1 == n || index($1, n "{") == 1) && (l == "" || index($1, l) > 0) { s += $2; f = 1 }
        END { if (f) printf "%.0f\n", s; exit !f }'
}

# fc_py_gws SCRIPT MODE ARGS...: tests/cluster/SCRIPT (versions.py, sse_load.py) against
# every gateway (--endpoints URL,URL) and the test's bucket, where the client is, with the
# admin token for its whereis calls.
fc_py_gws() {
    local script=$1 mode=$2 eps
    shift 2
    eps=$(echo "$FC_ENDPOINTS" | tr ' ' ',')
    CAIRN_TOKEN=$CL_TOKEN cl_in client python3 "$fc_here/$script" "$mode" \
        --endpoints "$eps" --bucket "$FC_BUCKET" "$@"
}

# fc_count_state TYPE STATE: how many members of TYPE are in STATE.
fc_count_state() {
    cl_adm --json status 2>/dev/null | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)
    print(sum(1 for n in s.get("nodes", []) if n.get("type") == sys.argv[1] and n.get("state") == sys.argv[2]))
except Exception:
    print(0)' "$1" "$2"
}

# fc_state NODE: the node's state as the manager sees it.
fc_state() {
    cl_adm --json status "$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("state","?"))' 2>/dev/null
}

# fc_wait_state NODE STATE TIMEOUT_S
fc_wait_state() {
    local deadline=$((SECONDS + $3))
    until [ "$(fc_state "$1")" = "$2" ]; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.3
    done
}

# fc_bg_start NAME CMD...: runs CMD, a load that ends once $CL_DIR/NAME.stop exists, in the
# background (its output in $CL_DIR/NAME.summary and NAME.err) until fc_bg_stop NAME.
fc_bg_start() {
    local name=$1
    shift
    rm -f "$CL_DIR/$name.stop"
    "$@" >"$CL_DIR/$name.summary" 2>"$CL_DIR/$name.err" &
    echo $! >"$CL_DIR/$name.pid"
    FC_LOAD_PIDS="$FC_LOAD_PIDS $!"
}

# fc_bg_stop NAME: stops it (in this shell: it waits for its own child), sets FC_SUM to the
# last line of its output (its JSON summary), prints it and its last errors; returns its exit
# status.
fc_bg_stop() {
    local pid rc
    touch "$CL_DIR/$1.stop"
    pid=$(cat "$CL_DIR/$1.pid")
    wait "$pid"
    rc=$?
    FC_SUM=$(tail -n 1 "$CL_DIR/$1.summary")
    echo "load $1: $FC_SUM"
    tail -n 3 "$CL_DIR/$1.err" >&2
    return $rc
}

# fc_load_start NAME ARGS...: a write load (s3load.py) in the background until fc_load_stop
# NAME (fc_bg_stop).
fc_load_start() {
    fc_bg_start "$1" fc_py write --until "$CL_DIR/$1.stop" --acked "$CL_DIR/$1.acked" "${@:2}"
}

fc_load_stop() {
    fc_bg_stop "$1"
}

# fc_json_get JSON KEY: one top-level field.
fc_json_get() {
    printf '%s' "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$2" 2>/dev/null
}

# fc_storage_names: the storage nodes of the cluster (storage0..).
fc_storage_names() {
    local i
    for ((i = 0; i < CL_NSTORAGE; i++)); do echo "storage$i"; done
}

# fc_queues_empty NODE...: 0 when every given node answers mq-stats with depth 0.
fc_queues_empty() {
    local n d
    for n in "$@"; do
        d=$(cl_adm --json mq-stats "$n" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("depth", -1))' 2>/dev/null)
        [ "$d" = 0 ] || return 1
    done
}

# fc_wait_until TIMEOUT_S CMD...: runs CMD every 0.3 s until it succeeds (0) or TIMEOUT_S
# have passed (1).
fc_wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.3
    done
}

# fc_wait_drained TIMEOUT_S NODE...: waits until the nodes' repair queues are empty.
fc_wait_drained() {
    local t=$1
    shift
    fc_wait_until "$t" fc_queues_empty "$@"
}

# fc_up NODE...: every NODE is running, or restarted (a storage node back from a crash is
# restarted until its peers' repair queues for it are empty).
fc_up() {
    local n s
    for n in "$@"; do
        s=$(fc_state "$n")
        [ "$s" = running ] || [ "$s" = restarted ] || return 1
    done
}

# fc_kill_restart NODE PAUSE_S: during a load, SIGKILLs NODE, waits until the manager marks
# it stop, restarts it PAUSE_S later and waits until it registers again (fc_up); a check for
# each step.
fc_kill_restart() {
    check "SIGKILL $1 during the load" cl_stop_one "$1" KILL
    fc_wait_state "$1" stop 15 && t_ok "the manager marks $1 stop" || t_bad "$1 never marked stop"
    sleep "$2"
    check "restart $1" cl_start_one "$1"
    fc_wait_until 30 fc_up "$1" && t_ok "$1 registers again" ||
        t_bad "$1 is $(fc_state "$1") after its restart"
}

# fc_walk_field NODE WALK FIELD: a field of NODE's walk WALK (rebalance, recover_node), from
# `status NODE` (storage.WALK); 0 when NODE does not answer.
fc_walk_field() {
    cl_adm --json status "$1" 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["storage"][sys.argv[1]].get(sys.argv[2], 0))' "$2" "$3" 2>/dev/null || echo 0
}

# fc_kill_mid_walk NODE WALK: once NODE's walk WALK has scanned 400 keys (60 s at most),
# checks that it still runs and SIGKILLs NODE; a check for each step.
fc_kill_mid_walk() {
    local deadline=$((SECONDS + 60)) scanned
    until [ "$(fc_walk_field "$1" "$2" scanned)" -ge 400 ]; do
        [ $SECONDS -ge $deadline ] && break
        sleep 0.2
    done
    scanned=$(fc_walk_field "$1" "$2" scanned)
    expect_eq "$1 is still walking ($2) when it dies" running "$(fc_walk_field "$1" "$2" state)"
    check "SIGKILL $1 (a sender) mid-walk, after $scanned keys" cl_stop_one "$1" KILL
    fc_wait_state "$1" stop 15 && t_ok "$1 is stop" || t_bad "$1 is $(fc_state "$1")"
}

# fc_wait_log NODE TEXT TIMEOUT_S: waits until NODE's log has a line matching TEXT (grep)
# and prints the last such line (none after TIMEOUT_S: prints nothing).
fc_wait_log() {
    local deadline=$((SECONDS + $3))
    until grep -q "$2" "$CL_DIR/logs/$1.log" 2>/dev/null; do
        [ $SECONDS -ge $deadline ] && break
        sleep 0.3
    done
    grep "$2" "$CL_DIR/logs/$1.log" 2>/dev/null | tail -n 1
}

# fc_rings_agree: every storage node in contact reports the manager's ring checksums.
fc_rings_agree() {
    cl_adm --json status 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
cur, prev = s["manager"]["ring_cur"], s["manager"]["ring_prev"]
bad = [n["name"] for n in s["nodes"] if n["type"] == "storage" and n["state"] in ("running", "restarted", "suspend")
       and (n["ring_cur"] != cur or n["ring_prev"] != prev)]
sys.exit(1 if bad else 0)'
}

# fc_objects NODE: the live objects NODE holds (cairn-adm du), -1 when it does not answer.
fc_objects() {
    cl_adm --json du "$1" 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin).get("objects", 0))' 2>/dev/null || echo -1
}

# fc_wait_objects NODE N TIMEOUT_S: waits until NODE holds at least N live objects.
fc_wait_objects() {
    local deadline=$((SECONDS + $3))
    until [ "$(fc_objects "$1")" -ge "$2" ]; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}

# fc_attach NODE: starts NODE (configured by fc_setup, not started) and waits until it
# registers as attached; a check for each step.
fc_attach() {
    check "start storage node $1" cl_start_one "$1"
    fc_wait_state "$1" attached 20 && t_ok "$1 registers as attached" || t_bad "$1 is $(fc_state "$1")"
}

# fc_attach_rebalance NODE RATE: fc_attach NODE, then starts a rebalance at RATE bytes/s per
# node (cairn-adm --rate: slow, so that a fault lands while batches move); a check for each
# step. Sets FC_REBAL_OUT to cairn-adm's answer.
fc_attach_rebalance() {
    local rc
    fc_attach "$1"
    FC_REBAL_OUT=$(cl_adm --rate "$2" rebalance 2>&1)
    rc=$?
    echo "$FC_REBAL_OUT"
    [ $rc -eq 0 ] && t_ok "rebalance started at $2 bytes/s per node" ||
        t_bad "rebalance did not start (rc $rc)" "$FC_REBAL_OUT"
}

# fc_rebalance_state: the manager's rebalance state (running, idle), or "" when it does not answer.
fc_rebalance_state() {
    cl_adm --json rebalance status 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' 2>/dev/null
}

# fc_wait_rebalance_idle TIMEOUT_S: waits until the rebalance is over (ring prev dropped).
fc_wait_rebalance_idle() {
    local deadline=$((SECONDS + $1))
    until [ "$(fc_rebalance_state)" = idle ]; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 1
    done
}

# fc_rebalance_onto NODE TIMEOUT_S: fc_attach NODE, then cairn-adm rebalance --wait (for
# TIMEOUT_S at most) until the rebalance is idle and every node holds the manager's rings; a
# check for each step.
fc_rebalance_onto() {
    local out rc deadline
    fc_attach "$1"
    out=$(timeout "$2" "$CL_BIN/manager/adm/cairn-adm" --manager "$FC_ADMIN" \
        ${CL_TOKEN:+--token "$CL_TOKEN"} rebalance --wait 2>&1)
    rc=$?
    echo "$out" | tail -n 2
    [ $rc -eq 0 ] && t_ok "cairn-adm rebalance --wait finishes" ||
        t_bad "rebalance --wait failed (rc $rc)" "$out"
    fc_wait_rebalance_idle 60 || t_bad "the rebalance is not idle"
    deadline=$((SECONDS + 15))
    until fc_rings_agree; do [ $SECONDS -ge $deadline ] && break; sleep 0.5; done
    check "ring checksums match on every node" fc_rings_agree
}

# fc_verify NAME [ARGS...]: every acked key through the gateway, a sample through whereis.
fc_verify() {
    local name=$1 out rc
    shift
    out=$(fc_py verify --acked "$CL_DIR/$name.acked" --admin "$FC_ADMIN" --threads 8 "$@" 2>&1)
    rc=$?
    echo "$out" | tail -n 3
    return $rc
}

# fc_verify_settled NAME: once the moves are over, checks that the repair queues drain,
# every node holds the manager's rings, and fc_verify NAME --sample 400 --exclusive passes.
fc_verify_settled() {
    local deadline
    # shellcheck disable=SC2046
    fc_wait_drained 60 $(fc_storage_names) || t_bad "queues did not drain"
    deadline=$((SECONDS + 15))
    until fc_rings_agree; do [ $SECONDS -ge $deadline ] && break; sleep 0.5; done
    check "ring checksums match on every node" fc_rings_agree
    fc_verify "$1" --sample 400 --exclusive &&
        t_ok "every acked object reads back; N identical replicas on cur owners; no copy elsewhere" ||
        t_bad "verify failed"
}

# ---- the manager group (FC_MANAGERS=3) ---------------------------------------------------

# fc_admin_loop_start NAME: admin writes in the background until fc_admin_loop_stop NAME:
# one after another, a user NAME-uK and a bucket NAME-bK of hers, through cl_adm (which
# follows the leader). Acked names go to DIR/NAME.users and DIR/NAME.buckets; every call is
# a line "START END RC" (seconds since the epoch) in DIR/NAME.calls.
fc_admin_loop_start() {
    local name=$1
    rm -f "$CL_DIR/$name.stop"
    (
        k=0
        call() { # call KIND NAME ARGS...: one admin write, recorded
            local kind=$1 obj=$2 t0 rc
            shift 2
            t0=$(date +%s.%N)
            out=$(cl_adm --json "$@" 2>>"$CL_DIR/$name.err")
            rc=$?
            echo "$t0 $(date +%s.%N) $rc" >>"$CL_DIR/$name.calls"
            [ $rc = 0 ] && echo "$obj" >>"$CL_DIR/$name.$kind"
            return $rc
        }
        while [ ! -e "$CL_DIR/$name.stop" ]; do
            k=$((k + 1))
            call users "$name-u$k" create-user "$name-u$k" || continue
            key=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_key"])')
            call buckets "$name-b$k" add-bucket "$name-b$k" "$key" || true
        done
    ) &
    echo $! >"$CL_DIR/$name.pid"
    FC_LOAD_PIDS="$FC_LOAD_PIDS $!"
}

fc_admin_loop_stop() {
    touch "$CL_DIR/$1.stop"
    wait "$(cat "$CL_DIR/$1.pid")"
    echo "admin loop $1: $(wc -l <"$CL_DIR/$1.users" 2>/dev/null || echo 0) users and" \
        "$(wc -l <"$CL_DIR/$1.buckets" 2>/dev/null || echo 0) buckets acked," \
        "$(awk '$3 != 0' "$CL_DIR/$1.calls" 2>/dev/null | wc -l) calls failed"
}

# fc_admin_outage NAME T0: seconds from T0 (a fault, epoch seconds) until the end of the
# first admin write of the loop that began after T0 and succeeded: how long admin writes
# were unavailable. "none" when no write after T0 succeeded.
fc_admin_outage() {
    awk -v t0="$2" '$1 >= t0 && $3 == 0 { d = $2 - t0; if (best == "" || d < best) best = d }
        END { if (best == "") print "none"; else printf "%.2f\n", best }' "$CL_DIR/$1.calls"
}

# fc_mgr_holds MANAGER KIND FILE: manager MANAGER's own state (its GET /v1/KIND, users or
# buckets, asked of it alone) holds every name in FILE.
fc_mgr_holds() {
    local out
    out=$(cl_in client curl -s -m 10 ${CL_TOKEN:+-H "Authorization: Bearer $CL_TOKEN"} \
        "http://$(cl_mgr_admin "$1")/v1/$2") || return 1
    printf '%s' "$out" | python3 -c '
import json, sys
have = set()
for e in json.load(sys.stdin):
    have.add(e.get("user") or e.get("name") or e.get("bucket"))
want = [l.strip() for l in open(sys.argv[1]) if l.strip()]
missing = [w for w in want if w not in have]
if missing:
    print("missing %d of %d, e.g. %s" % (len(missing), len(want), missing[:3]), file=sys.stderr)
    sys.exit(1)' "$3"
}

# fc_mgrs_hold_all NAME TIMEOUT_S: every manager holds every user and bucket the admin loop
# NAME had acked (followers catch up: waits up to TIMEOUT_S).
fc_mgrs_hold_all() {
    local deadline=$((SECONDS + $2)) m ok
    while :; do
        ok=1
        for m in $(cl_managers); do
            fc_mgr_holds "$m" users "$CL_DIR/$1.users" 2>/dev/null &&
                fc_mgr_holds "$m" buckets "$CL_DIR/$1.buckets" 2>/dev/null || ok=0
        done
        [ $ok = 1 ] && return 0
        if [ $SECONDS -ge $deadline ]; then
            for m in $(cl_managers); do
                fc_mgr_holds "$m" users "$CL_DIR/$1.users" || echo "  ($m: users)"
                fc_mgr_holds "$m" buckets "$CL_DIR/$1.buckets" || echo "  ($m: buckets)"
            done
            return 1
        fi
        sleep 0.5
    done
}
