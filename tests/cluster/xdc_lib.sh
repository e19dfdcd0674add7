# tests/cluster/xdc_lib.sh: two or three linked clusters on loopback for the multi-datacenter
# tests (issue 22), real processes: each cluster is scripts/lib/cluster.sh's layout in a
# directory of its own (one manager, NSTORAGE storage nodes, one gateway), with a link
# listener ([xdc] listen, a fixed port) on its manager and every storage node, all with one test
# certificate (IP 127.0.0.1) signed by a test CA made here with the openssl CLI.
#
#   xc_init                       # the test's directory, the CA and certificate, the trap
#   xc_cluster NAME NSTORAGE      # configure and start cluster NAME (a, b, c), ring started
#   xc_use NAME                   # the cl_* functions (cl_adm, cl_start_one...) act on NAME
#   xc_id NAME / xc_xdc NAME      # its cluster id / its manager's link listener HOST:PORT
#   xc_link A B                   # joins A and B both ways with a fresh shared secret, and
#                                 # waits until every storage node of each holds the link
#   xc_py NAME MODE ARGS...       # tests/cluster/xdc_load.py against NAME's gateway
#   xc_user_bucket NAME USER      # USER and the bucket made on NAME, the keys exported
#   xc_wait_bucket NAME TIMEOUT   # until NAME's gateway lists the test bucket with those keys
#   xc_link_get NAME REMOTE FIELD # a field of REMOTE's link in NAME's cluster-status (JSON)
# Everything started is stopped from the EXIT trap, by PID.

xc_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
xc_src=$(cd "$xc_here/../.." && pwd)
# shellcheck source=../integration/lib.sh
. "$xc_src/tests/integration/lib.sh"
# shellcheck source=../../scripts/lib/cluster.sh
. "$xc_src/scripts/lib/cluster.sh"

XC_ROOT=""
XC_NAMES=""
XC_BUCKET=xdc

xc_finish() {
    local rc=$? n f
    for n in $XC_NAMES; do
        xc_use "$n"
        for f in "$CL_DIR"/run/*.pid; do [ -f "$f" ] && kill -CONT "$(cat "$f")" 2>/dev/null; done
        cl_stop
    done
    cl_release_ports
    if [ "$T_FAIL" -ne 0 ] || [ $rc -ne 0 ]; then
        echo "--- logs kept in $XC_ROOT; last lines:"
        for n in $XC_NAMES; do
            for f in "$XC_ROOT/$n"/logs/*.log; do echo "== $f"; tail -n 12 "$f"; done
        done
    else
        rm -rf "$XC_ROOT"
    fi
}

xc_init() {
    build=$(cd "${FC_BUILD:?}" && pwd)
    XC_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/cairn-xdc-XXXXXX")
    trap xc_finish EXIT
    mkdir -p "$XC_ROOT/tls"
    (
        cd "$XC_ROOT/tls" || exit 1
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
            -subj "/CN=cairn test CA" -keyout ca.key -out ca.pem 2>/dev/null &&
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
                -subj "/CN=127.0.0.1" -keyout link.key -out link.csr 2>/dev/null &&
            printf 'subjectAltName=IP:127.0.0.1\n' >ext.cnf &&
            openssl x509 -req -in link.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
                -extfile ext.cnf -out link.pem 2>/dev/null
    ) || t_abort "could not make the test certificate (openssl)"
    export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null \
        AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
}

xc_use() {
    CL_DIR=$XC_ROOT/$1
    CL_BIN=$build
    cl_load
}

# xc_tls_conf PORT: the [xdc] section of a daemon whose link listener is on PORT.
xc_tls_conf() {
    printf '\n[xdc]\nlisten = 127.0.0.1:%s\ncert_file = %s\nkey_file = %s\nca_file = %s\n' \
        "$1" "$XC_ROOT/tls/link.pem" "$XC_ROOT/tls/link.key" "$XC_ROOT/tls/ca.pem"
}

# xc_cluster NAME NSTORAGE: configures and starts cluster NAME, starts its ring. Every link
# listener has a port of its own picked here, kept across restarts as a real cluster's is:
# the linked clusters know this one's managers by address (join-cluster), and a manager
# restarted on another port would be lost to them.
xc_cluster() {
    local name=$1 n=$2 i deadline xports
    cl_setup "$XC_ROOT/$name" "$build"
    CL_NMGR=1 CL_NGW=1
    # shellcheck disable=SC2046
    set -- $(cl_free_ports $((2 * n + 4)))
    xports=("${@:n + 4}") # the manager's link listener, then storage0's...
    CL_PORTS_TAKEN="${xports[*]}" cl_configure "$n" "${@:1:n + 3}"
    cl_load
    XC_NAMES+=" $name"
    for i in $(cl_managers); do
        printf '\n[cluster]\nnode_timeout_ms = 3000\n' >>"$CL_DIR/conf/cairn-$i.conf"
        xc_tls_conf "${xports[0]}" >>"$CL_DIR/conf/cairn-$i.conf"
    done
    for ((i = 0; i < n; i++)); do
        printf '\n[replication]\ntimeout = 1s\nrepair_backoff_max = 1s\n' >>"$CL_DIR/conf/cairn-storage$i.conf"
        xc_tls_conf "${xports[i + 1]}" >>"$CL_DIR/conf/cairn-storage$i.conf"
    done
    cl_start || t_abort "cluster $name did not start"
    cl_wait_storage "$n" 20 || t_abort "cluster $name: storage nodes did not register"
    cl_adm start >/dev/null || t_abort "cluster $name: cairn-adm start failed"
    cl_wait_running $((n + 1)) 30 || t_abort "cluster $name: nodes are not running"
    t_ok "cluster $name: $n storage nodes, ring started"
}

# xc_id NAME: the cluster id of NAME (its manager makes one at its first start).
xc_id() {
    local id deadline=$((SECONDS + 10))
    xc_use "$1"
    while :; do
        id=$(cl_adm --json status 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("cluster_id") or "")' 2>/dev/null)
        [ -n "$id" ] && { echo "$id"; return 0; }
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}

# xc_xdc NAME: HOST:PORT of NAME's manager link listener (its port file's xdc line).
xc_xdc() {
    awk '$1 == "xdc" { print $2 }' "$XC_ROOT/$1/run/manager.port"
}

# xc_link A B: links A and B (each joins the other) with a fresh shared secret.
xc_link() {
    local a=$1 b=$2 sec ida idb
    sec=$XC_ROOT/tls/secret-$a-$b
    (umask 077 && head -c 32 /dev/urandom >"$sec")
    ida=$(xc_id "$a") && idb=$(xc_id "$b") || t_abort "no cluster id"
    xc_use "$a"
    cl_adm join-cluster "$(xc_xdc "$b")" "$idb" --secret-file "$sec" >/dev/null ||
        t_abort "join-cluster $a -> $b failed"
    xc_use "$b"
    cl_adm join-cluster "$(xc_xdc "$a")" "$ida" --secret-file "$sec" >/dev/null ||
        t_abort "join-cluster $b -> $a failed"
    xc_wait_linked "$a" "$idb" 20 && xc_wait_linked "$b" "$ida" 20 ||
        t_abort "$a and $b: the link is not linked on every storage node within 20 s"
}

# xc_wait_linked NAME REMOTE_ID TIMEOUT: waits until NAME's cluster-status shows the link to
# REMOTE_ID linked with every storage node of NAME reporting it. A storage node journals a
# client's write for the remote only once it holds the link (get_links, at a heartbeat), so
# a write taken before that is never sent (only recover-cluster finds it). join-cluster
# answers once the running nodes hold the link (or after 15 s, nodes_pending); this checks
# it from the nodes' own figures, and again after a remove-cluster of a third cluster.
xc_wait_linked() {
    local deadline=$((SECONDS + $3))
    until [ "$(xc_link_get "$1" "$2" state)" = linked ] &&
        [ "$(xc_link_get "$1" "$2" nodes_reporting)" = "$CL_NSTORAGE" ]; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}

# xc_endpoint NAME: NAME's S3 endpoint.
xc_endpoint() {
    xc_use "$1"
    echo "http://127.0.0.1:$CL_S3"
}

# xc_py NAME MODE ARGS...: xdc_load.py MODE against NAME's gateway and the test bucket.
xc_py() {
    local name=$1
    shift
    /usr/bin/python3 "$xc_here/xdc_load.py" "$1" --endpoint "$(xc_endpoint "$name")" \
        --bucket "$XC_BUCKET" "${@:2}"
}

# xc_eventually TIMEOUT_S WHAT CMD...: t_ok WHAT once CMD succeeds within TIMEOUT_S (the
# time it took in the line), else t_bad WHAT with CMD's last output.
xc_eventually() {
    local limit=$1 what=$2 t0=$SECONDS out
    shift 2
    if t_eventually "$limit" "$@" >/dev/null 2>&1; then
        t_ok "$what ($((SECONDS - t0)) s)"
    else
        out=$("$@" 2>&1 | tail -n 3)
        t_bad "$what" "$out"
    fi
}

# xc_user_bucket NAME USER: makes USER on cluster NAME, exports its keys as AWS_ACCESS_KEY_ID
# and AWS_SECRET_ACCESS_KEY, and adds the test bucket owned by it there.
xc_user_bucket() {
    local uj
    xc_use "$1"
    uj=$(cl_adm --json create-user "$2") || t_abort "create-user $2 on $1"
    AWS_ACCESS_KEY_ID=$(printf '%s' "$uj" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_key"])')
    AWS_SECRET_ACCESS_KEY=$(printf '%s' "$uj" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
    export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
    cl_adm add-bucket "$XC_BUCKET" "$AWS_ACCESS_KEY_ID" >/dev/null || t_abort "add-bucket on $1"
}

# xc_wait_bucket NAME TIMEOUT: waits up to TIMEOUT s until NAME's gateway lists the test
# bucket with xc_user_bucket's keys (on a remote cluster: the user, its key and the bucket came over
# the link); prints how long it took. 1 on time-out.
xc_wait_bucket() {
    local t0=$SECONDS deadline=$((SECONDS + $2))
    until xc_py "$1" listing --out /dev/null >/dev/null 2>&1; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.3
    done
    echo "$((SECONDS - t0))"
}

# xc_link_get NAME REMOTE_ID FIELD: FIELD (lag_objects, state, last_error...) of the link to
# REMOTE_ID in cluster NAME's cairn-adm --json cluster-status; "" when there is no such link,
# "none" for a null, "?" when the manager does not answer.
xc_link_get() {
    xc_use "$1"
    cl_adm --json cluster-status 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    print("?")
    sys.exit(0)
for l in d.get("links", []):
    if l.get("id") == sys.argv[1]:
        v = l.get(sys.argv[2])
        print("none" if v is None else v)' "$2" "$3"
}
