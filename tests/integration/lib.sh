# tests/integration/lib.sh: checks and reporting for the cluster tests (bash).
# Each test script sources this, calls check/expect_* and ends with t_summary, which prints
# "N passed, N failed" and exits non-zero on any failure. A test that needs a whole cluster
# sets build and calls t_cluster_boot (below; scripts/lib/cluster.sh is sourced here).

T_PASS=0
T_FAIL=0
# On TERM/INT (the runner's time limit, ^C) exit through the script's EXIT trap, which stops
# the daemons it started.
trap 'echo "FAIL interrupted by a signal"; exit 143' TERM INT

t_ok() {
    T_PASS=$((T_PASS + 1))
    echo "ok   $1"
}

t_bad() {
    T_FAIL=$((T_FAIL + 1))
    echo "FAIL $1"
    if [ -n "${2:-}" ]; then printf '%s\n' "$2" | tail -n 15 | sed 's/^/     | /'; fi
}

# check NAME CMD...: passes when CMD exits 0; returns CMD's success so callers can stop early.
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then
        t_ok "$name"
    else
        t_bad "$name" "$out"
        return 1
    fi
}

# t_abort REASON: records a failure and ends the test script now (cleanup runs from its trap).
t_abort() {
    t_bad "$1"
    t_summary
    exit 1
}

# expect_eq NAME WANT GOT
expect_eq() {
    if [ "$2" = "$3" ]; then t_ok "$1"; else t_bad "$1" "want: $2
got:  $3"; fi
}

# expect_match NAME REGEX TEXT
expect_match() {
    if printf '%s' "$3" | grep -E -- "$2" >/dev/null; then t_ok "$1"; else t_bad "$1" "no match for /$2/ in:
$3"; fi
}

# expect_match_i NAME REGEX TEXT: the same, ignoring case (HTTP header names). Not grep -q:
# it exits at the first match, and under pipefail printf's SIGPIPE then fails a match (seen:
# "HEAD: ETag is the MD5" failed with the right ETag in the text).
expect_match_i() {
    if printf '%s' "$3" | grep -Ei -- "$2" >/dev/null; then t_ok "$1"; else t_bad "$1" "no match for /$2/i in:
$3"; fi
}

t_summary() {
    echo
    echo "$T_PASS passed, $T_FAIL failed"
    [ "$T_FAIL" -eq 0 ]
}

# --- one whole cluster per test script (scripts/lib/cluster.sh) ---------------------------
# shellcheck source=../../scripts/lib/cluster.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/lib/cluster.sh"

T_AT_EXIT=()
T_PORTS=()

# t_at_exit FUNC: the EXIT trap of t_cluster_boot calls FUNC first (before cl_stop), e.g. to
# stop what the test started itself; FUNC may call cl_stop when it must run after it.
t_at_exit() {
    T_AT_EXIT+=("$1")
}

t_cluster_finish() {
    local rc=$? f
    for f in "${T_AT_EXIT[@]}"; do "$f"; done
    [ -f "$CL_DIR/conf/cluster.env" ] && cl_stop   # none before cl_configure
    cl_release_ports
    if declare -F nh_cleanup >/dev/null; then nh_cleanup; fi
    if [ "$T_FAIL" -ne 0 ] || [ $rc -ne 0 ]; then
        echo "--- logs kept in $tmp/logs; last lines:"
        for f in "$tmp"/logs/*; do echo "== $f"; tail -n 25 "$f"; done
    else
        rm -rf "$tmp"
    fi
}

# t_conf DAEMON: appends stdin (after a blank line) to the config of DAEMON (manager,
# storage0.., gateway); a key given again there overrides what cl_configure wrote.
t_conf() {
    { echo; cat; } >>"$CL_DIR/conf/cairn-$1.conf"
}

# sigv4 CURL_ARGS...: curl with a SigV4 signature of the test's user (AK, SK), run where
# the cluster's client is (cl_in client: here, or its host with --netns).
sigv4() {
    cl_in client curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" "$@"
}

# t_wait_signed [URL [CURL_ARGS...]]: waits up to 20 s until a signed GET of URL (default
# the ListBuckets of $endpoint) answers 200.
t_wait_signed() {
    local url=${1:-$endpoint/} deadline=$((SECONDS + 20))
    [ $# -gt 0 ] && shift
    until [ "$(sigv4 "$@" -o /dev/null -w '%{http_code}' "$url")" = 200 ]; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}

# t_gateway_conf_copy NAME PORT: writes $tmp/conf/cairn-NAME.conf, the first gateway's
# configuration with its own name, S3 port, tmp_dir and log file, for t_gateway_start; call it
# from a --conf function of t_cluster_boot (the first gateway's file exists then).
t_gateway_conf_copy() {
    local name=$1 port=$2
    mkdir -p "$tmp/data/$name"
    sed -e "s|^name = .*|name = $name|" -e "s|^s3_listen = .*|s3_listen = 127.0.0.1:$port|" \
        -e "s|^tmp_dir = .*|tmp_dir = $tmp/data/$name|" -e "s|logs/gateway.log|logs/$name.log|" \
        "$tmp/conf/cairn-gateway.conf" >"$tmp/conf/cairn-$name.conf"
}

# t_gateway_start NAME CONF: starts one more gateway, NAME, with the configuration CONF (a
# copy of $tmp/conf/cairn-gateway.conf with its own name, ports and log file), its PID in
# $tmp/run/NAME.pid; waits up to 20 s for its port file. t_gateway_stop NAME ends it (TERM,
# then KILL after 10 s); call it from a t_at_exit function.
t_gateway_start() {
    rm -f "$tmp/run/$1.port"
    setsid "$build/gateway/cairn-gateway" -c "$2" --port-file "$tmp/run/$1.port" \
        </dev/null >>"$tmp/logs/$1.out" 2>&1 &
    echo $! >"$tmp/run/$1.pid"
    local deadline=$((SECONDS + 20))
    until [ -s "$tmp/run/$1.port" ]; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.1
    done
}

t_gateway_stop() {
    local pid
    pid=$(cat "$tmp/run/$1.pid" 2>/dev/null) || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    rm -f "$tmp/run/$1.pid"
}

# t_cluster_user NAME: cairn-adm create-user NAME; sets AK and SK and exports them, with the
# AWS_* variables for the aws cli and boto3 (no config file, no metadata lookups).
t_cluster_user() {
    local user_json
    user_json=$(cl_adm --json create-user "$1") || return 1
    AK=$(printf '%s' "$user_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_key"])' 2>/dev/null)
    SK=$(printf '%s' "$user_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])' 2>/dev/null)
    export AK SK AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1
    export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
    [ -n "$AK" ] && [ -n "$SK" ]
}

# t_py EXPR: prints the Python expression EXPR over the JSON document on stdin (as d).
t_py() {
    python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

# t_user_id USER: prints USER's canonical id (cairn-adm get-users).
t_user_id() {
    cl_adm --json get-users | t_py "[u['id'] for u in d if u['user'] == '$1'][0]"
}

# The users of a test with several (t_main_user, t_other_user), as the environment of its
# Python checks (t_run_py): CAIRN_EP, and CAIRN_<NAME>_AK, _SK and _ID of each.
T_USERS_ENV=()

# t_main_user NAME: t_cluster_boot's user (its AK and SK) is NAME: sets NAME_AK, NAME_SK and
# NAME_ID (upper case) and adds them to T_USERS_ENV, with CAIRN_AK and CAIRN_SK (the signer of
# a script's own requests).
t_main_user() {
    local v id
    v=$(printf '%s' "$1" | tr '[:lower:]' '[:upper:]')
    id=$(t_user_id "$1") && [ -n "$id" ] || t_abort "no canonical id for $1"
    printf -v "${v}_AK" '%s' "$AK"
    printf -v "${v}_SK" '%s' "$SK"
    printf -v "${v}_ID" '%s' "$id"
    T_USERS_ENV+=("CAIRN_AK=$AK" "CAIRN_SK=$SK")
    t_user_env "$v"
}

# t_other_user NAME: cairn-adm create-user NAME (another user beside t_main_user's); sets
# NAME_AK, NAME_SK and NAME_ID (upper case), adds them to T_USERS_ENV, and waits up to 20 s
# until the gateway accepts the key. A step that fails aborts the script.
t_other_user() {
    local v json ak sk id
    v=$(printf '%s' "$1" | tr '[:lower:]' '[:upper:]')
    json=$(cl_adm --json create-user "$1") || t_abort "create-user $1"
    ak=$(printf '%s' "$json" | t_py 'd["access_key"]')
    sk=$(printf '%s' "$json" | t_py 'd["secret"]')
    id=$(t_user_id "$1") && [ -n "$ak" ] && [ -n "$sk" ] && [ -n "$id" ] ||
        t_abort "no keys or canonical id for $1"
    printf -v "${v}_AK" '%s' "$ak"
    printf -v "${v}_SK" '%s' "$sk"
    printf -v "${v}_ID" '%s' "$id"
    t_user_env "$v"
    AK=$ak SK=$sk t_wait_signed || t_bad "$1's key is accepted within 20 s"
}

t_user_env() {
    local ak="${1}_AK" sk="${1}_SK" id="${1}_ID"
    T_USERS_ENV+=("CAIRN_${1}_AK=${!ak}" "CAIRN_${1}_SK=${!sk}" "CAIRN_${1}_ID=${!id}")
}

# t_restart_storage_each MEMBERS: stops and starts storage0..2 in turn, waiting each time
# until MEMBERS members (storage nodes and gateways) are running again: what a test reads
# back afterwards was replicated and repaired, not kept by one node.
t_restart_storage_each() {
    local n
    for n in 0 1 2; do
        check "restart storage$n" cl_stop_one "storage$n"
        check "storage$n starts again" cl_start_one "storage$n"
        check "storage$n is running again" cl_wait_running "$1" 30
    done
}

# t_eventually SECONDS CMD...: runs CMD (quietly) every 0.3 s until it succeeds, for up to
# SECONDS; then runs it once more with its output, so a failure shows why.
t_eventually() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -ge $deadline ] && { "$@"; return; }
        sleep 0.3
    done
}

# t_frag_nodes N: how many of storage0..N-1 hold an erasure-coded fragment (the header's
# magic, common/ec_frag.h) in their containers.
t_frag_nodes() {
    local i n=0
    for ((i = 0; i < $1; i++)); do
        grep -q -a CNEF "$tmp"/data/storage$i/containers/* 2>/dev/null && n=$((n + 1))
    done
    echo "$n"
}

# t_until_coded N CMD...: runs CMD (a write into an ec bucket) until all N storage nodes hold
# a fragment, for up to 20 s: a gateway learns a bucket's redundancy policy from the manager's
# feed a moment after set-bucket-redundancy, and writes before that replicate.
t_until_coded() {
    local n=$1 deadline=$((SECONDS + 20))
    shift
    until [ "$(t_frag_nodes "$n")" = "$n" ]; do
        [ $SECONDS -ge $deadline ] && return 1
        "$@" >/dev/null
        sleep 0.5
    done
}

# t_rebalance_wait TIMEOUT_S: cairn-adm rebalance --wait, retried while the manager refuses
# it (409: a node does not hold the manager's ring yet; they fetch it at their heartbeat);
# prints the last refusal and fails after TIMEOUT_S seconds.
t_rebalance_wait() {
    local deadline=$((SECONDS + $1)) out
    until out=$(cl_adm rebalance --wait 2>&1); do
        [ $SECONDS -ge $deadline ] && { echo "$out"; return 1; }
        sleep 0.5
    done
}

# t_run_py SCRIPT LIMIT [VAR=VALUE...]: runs SCRIPT with Debian's /usr/bin/python3 (and its
# boto3, as CI) for at most LIMIT seconds, with CAIRN_EP=$endpoint, T_USERS_ENV and the
# VAR=VALUE given; prints its "ok"/"FAIL" lines and counts them here. A script that exits
# non-zero without a FAIL line is a failure of its own.
t_run_py() {
    local script=$1 limit=$2 out rc label v
    shift 2
    label=$(basename "$script")
    for v in "$@"; do
        case $v in CAIRN_PHASE=*) label="$label ${v#CAIRN_PHASE=}" ;; esac
    done
    out=$(env CAIRN_EP="$endpoint" "${T_USERS_ENV[@]}" "$@" timeout "$limit" /usr/bin/python3 \
        "$script" 2>&1)
    rc=$?
    t_count_out "$label" "$rc" "$out"
}

# t_count_out LABEL RC OUT: the "ok NAME" and "FAIL NAME" lines of OUT (what a script of
# checks printed, which exited RC) are printed and counted here; a non-zero RC without a FAIL
# line is a failure of its own, "LABEL exited RC".
t_count_out() {
    printf '%s\n' "$3" | grep -E '^(ok|FAIL) '
    T_PASS=$((T_PASS + $(printf '%s\n' "$3" | grep -c '^ok ')))
    T_FAIL=$((T_FAIL + $(printf '%s\n' "$3" | grep -c '^FAIL ')))
    if [ "$2" -ne 0 ] && ! printf '%s\n' "$3" | grep -q '^FAIL '; then
        t_bad "$1 exited $2" "$3"
    fi
}

# t_cluster_boot NAME NSTORAGE [--rest] [--ports N] [--conf FUNC] [--user USER] [--netns]
# Boots 1 manager, NSTORAGE storage nodes and 1 gateway of the script's $build on free
# loopback ports (or, with --netns, each on a host of its own), in a new temp dir ${TMPDIR:-/tmp}/cairn-NAME-XXXXXX: cl_setup, cl_configure,
# FUNC, cl_start, waits until the manager sees the storage nodes, cairn-adm start (the first
# ring), waits until they and the gateway run, creates USER (default NAME) and waits until
# the gateway answers a signed ListBuckets. The steps are checks (or t_abort); a failed one
# aborts the script. The EXIT trap (t_cluster_finish) calls the t_at_exit functions, stops the daemons
# and removes the temp dir, or keeps it and prints the last lines of every log when a check
# failed or the script exited non-zero.
#   --rest       the gateway also serves REST on a free port (CL_REST of cl_configure)
#   --ports N    N more free ports, in T_PORTS[0..N-1]
#   --conf FUNC  FUNC runs after cl_configure, before the daemons start: per-test config
#                (t_conf, or edits of $tmp/conf/*.conf); tmp, T_PORTS and CL_* are set
#   --user USER  the S3 user to create
#   --netns      the multi-host layout (cl_hosts): every daemon in a network namespace of its
#                own, on its own address, and the client in another (cl_in client CMD runs
#                CMD there; sigv4 and cl_adm do); needs root: without it the script prints
#                "SKIP ..." and exits 0. The EXIT trap deletes the namespaces (nh_cleanup).
# Sets: tmp (the temp dir, CL_DIR), CL_* (cl_load: CL_S3, CL_MGR_RPC, CL_MGR_ADMIN, CL_REST),
# endpoint (http://GATEWAY_ADDR:$CL_S3), rest (http://GATEWAY_ADDR:$CL_REST with --rest),
# T_PORTS, AK and SK (t_cluster_user).
t_cluster_boot() {
    local name=$1 n=$2 nrest=0 nports=0 conf="" user=$1 rest_port="" ports netns=0
    shift 2
    while [ $# -gt 0 ]; do
        case $1 in
            --rest) nrest=1; shift ;;
            --ports) nports=$2; shift 2 ;;
            --conf) conf=$2; shift 2 ;;
            --user) user=$2; shift 2 ;;
            --netns) netns=1; shift ;;
            *) echo "t_cluster_boot: unknown option $1" >&2; return 2 ;;
        esac
    done
    if [ "$netns" = 1 ]; then
        # shellcheck source=../../scripts/lib/netns.sh
        . "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/netns.sh"
        if ! nh_available; then
            echo "SKIP $name: needs network namespaces: $NH_WHY"
            t_summary
            exit 0
        fi
    fi
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-$name-XXXXXX") || t_abort "no temp dir"
    cl_setup "$tmp" "${build:?t_cluster_boot: set build first}"
    trap t_cluster_finish EXIT
    if [ "$netns" = 1 ]; then
        cl_hosts "$n" || t_abort "could not make the hosts (network namespaces)"
    fi

    # the manager's rpc and admin, s3, the storage nodes, [the REST port], the test's own
    read -r -a ports <<<"$(cl_free_ports $((3 + n + nrest + nports)))"
    [ "$nrest" -eq 1 ] && rest_port=${ports[3 + n]}
    CL_PORTS_TAKEN="${ports[*]}" CL_REST=$rest_port cl_configure "$n" "${ports[@]:0:3 + n}"
    # shellcheck disable=SC2034  # for the test script
    T_PORTS=("${ports[@]:3 + n + nrest}")
    cl_load
    endpoint=http://$(cl_addr gateway):$CL_S3
    rest=${CL_REST:+http://$(cl_addr gateway):$CL_REST}
    [ -n "$conf" ] && "$conf"

    check "all daemons start" cl_start || t_abort "the cluster did not start; nothing else can be tested"
    cl_wait_storage "$n" 20   # else cairn-adm start below fails and says why
    check "cairn-adm start builds the first ring" cl_adm start || t_abort "no ring"
    check "$n storage nodes and the gateway are running" cl_wait_running $((n + 1)) 30 ||
        t_abort "nodes not running"
    t_cluster_user "$user" || t_abort "cairn-adm create-user $user gave no keys"
    check "gateway answers a signed ListBuckets" t_wait_signed ||
        t_abort "the gateway does not accept signed requests"
}
