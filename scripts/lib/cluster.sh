# scripts/lib/cluster.sh: start and stop a local cairn cluster (1, 3 or 5 managers, S storage
# nodes, 1 gateway or CL_NGW) whose configs, data, logs, pid and port files all live under one
# directory.
# Sourced by scripts/quickstart and tests/integration/*. Every process started is recorded in
# DIR/run/NAME.pid and stopped by that PID only.
#
#   cl_setup DIR BIN_DIR              # remember where things are
#   cl_configure NSTORAGE BASE_PORTS  # write configs (once; a secret is generated and kept)
#   cl_start / cl_stop / cl_status    # all daemons
#   cl_start_one NAME / cl_stop_one NAME
#   cl_ports NAME / cl_port_taken HOST:PORT  # what NAME will listen on / is it held
#   cl_wait_storage N / cl_wait_running N  # wait for the manager to see / run the nodes
#   cl_live_objects / cl_wait_live_objects WANT TIMEOUT_S  # live copies on the storage nodes
#
# The manager group: CL_NMGR (default 1) managers, named manager (id 1), manager2, manager3,
# ... (id = the number), each with its RPC, admin and Raft ports; the first one's RPC and
# admin ports are cl_configure's, its Raft port CL_MGR_RAFT, and manager I's ports
# CL_MGR_PORTS_I="RPC ADMIN RAFT", each picked free when unset. Storage nodes and the
# gateway get every manager's RPC address, cl_adm every admin address (it follows the
# leader). cl_managers lists the names; cl_mgr_leader prints the one that leads.
#
# More gateways: CL_NGW (default 1) gateways, named gateway (S3 port: cl_configure's, in
# CL_S3), gateway2, gateway3, ... (member names the same; each S3 port picked free when
# CL_GW_S3_I is unset, kept as CL_S3_I in cluster.env; plain REST on the first one only).
# cl_gateways lists the names, cl_s3_port NAME prints a gateway's S3 port. Each gateway runs
# CAIRN_GW_THREADS loop threads ([gateway] threads; unset: one per core; scripts/test sets 2).
#
# Every daemon listens on 127.0.0.1 in this network namespace unless placed elsewhere before
# cl_configure (the multi-host layout of tests, tests/cluster/README.md):
#   cl_place NAME ADDR [NETNS]  # daemon NAME listens on ADDR, runs inside namespace NETNS;
#                               # NAME "client" is where cl_adm (and cl_in client) run
#   cl_hosts NSTORAGE           # each daemon and the client on a host of its own
#                               # (scripts/lib/netns.sh; call nh_cleanup after cl_stop)
#   cl_addr NAME / cl_netns NAME / cl_in NAME CMD...  # where NAME is; run CMD there

CL_DIR=""
CL_BIN=""
CL_TOKEN=""

cl_setup() {
    CL_DIR=$1
    CL_BIN=$2
    mkdir -p "$CL_DIR"/{conf,run,logs,data}
}

# cl_free_ports N [TAKEN...]: prints N distinct TCP ports that are free on 127.0.0.1 right now
# and none of TAKEN (ports picked before for daemons that have not bound them yet), taken
# below the kernel's ephemeral range (ip_local_port_range): a port picked here and bound a
# moment later by a daemon is then never handed meanwhile to another daemon's port-0
# listener (e.g. a /metrics listener), which took storage3's RPC port once. It binds without
# SO_REUSEADDR on purpose (unlike cl_port_taken): a port with connections in TIME_WAIT is
# passed over, and two test runs picking ports at once can never both get the same one.
#
# Each port picked is also leased to this shell ($$, the test script, also inside $(...)) in
# CL_PORT_LEASES (a directory per port holding the owner's PID, made with mkdir, which is
# atomic): a daemon stopped for a restart leaves its ports unbound for a while, and a test
# running beside this one must not pick them meanwhile (one took a restarted manager's RPC
# port in CI). A lease ends with its owner's process: a dead owner's lease is taken over.
#
# With CL_PORT_OFFSETS="0 1 2 10 ..." it prints N port bases instead: for each base B, every
# B+OFFSET is free and leased as above, and no two bases share a port (for
# scripts/quickstart --port-base, whose layout is a base and fixed offsets).
CL_PORT_LEASES=${CL_PORT_LEASES:-${TMPDIR:-/tmp}/cairn-port-leases}
cl_free_ports() {
    CL_PORT_OWNER=$$ CL_PORT_LEASES=$CL_PORT_LEASES CL_PORT_OFFSETS=${CL_PORT_OFFSETS:-0} python3 - "$@" <<'PY'
import os, random, shutil, socket, sys
want, socks = int(sys.argv[1]), []
offsets = sorted(set(int(o) for o in os.environ["CL_PORT_OFFSETS"].split()))
taken = set(int(p) for p in sys.argv[2:])  # picked before and not bound yet: never again
owner, leases = os.environ["CL_PORT_OWNER"], os.environ["CL_PORT_LEASES"]
os.makedirs(leases, exist_ok=True)

def alive(pid):
    try:
        os.kill(int(pid), 0)
        return True
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True

def lease(port):
    # True when this shell took the port's lease now (new, or a dead owner's); never a port
    # it leased before: that one is some daemon's of this test, perhaps stopped for a moment
    d = os.path.join(leases, str(port))
    for _ in range(2):
        try:
            os.mkdir(d)
        except FileExistsError:
            try:
                held = open(os.path.join(d, "pid")).read().strip()
            except OSError:
                return False  # being made by another picker right now
            if held == owner or alive(held):
                return False
            shutil.rmtree(d, ignore_errors=True)
            continue
        with open(os.path.join(d, "pid.tmp"), "w") as f:
            f.write(owner)
        os.rename(os.path.join(d, "pid.tmp"), os.path.join(d, "pid"))
        return True
    return False
try:
    lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    lo = 32768
if offsets != [0]:
    # port bases: each base's ports all bound (so that a later base cannot share one) and leased
    bases, held = [], []
    pool = [p for p in range(max(1024, lo - 20000), lo - offsets[-1])
            if not any(p + o in taken for o in offsets)]
    random.shuffle(pool)
    for base in pool:
        if len(bases) == want:
            break
        group, leased = [], []
        for o in offsets:
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", base + o))
            except OSError:
                s.close()
                break
            group.append(s)
            if not lease(base + o):
                break
            leased.append(base + o)
        if len(leased) == len(offsets):
            bases.append(base)
            held += group
            continue
        for s in group:
            s.close()
        for p in leased:  # leased just now by this call: given back
            shutil.rmtree(os.path.join(leases, str(p)), ignore_errors=True)
    if len(bases) < want:
        sys.exit("cl_free_ports: no room for %d port bases below port %d" % (want, lo))
    print(" ".join(str(b) for b in bases))
    sys.exit(0)
pool = [p for p in range(max(1024, lo - 20000), lo) if p not in taken]
random.shuffle(pool)
for port in pool:
    if len(socks) == want:
        break
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    if lease(port):
        socks.append(s)
    else:
        s.close()
while len(socks) < want:  # no room below the ephemeral range: any free port
    s = socket.socket(); s.bind(("127.0.0.1", 0))
    if s.getsockname()[1] in taken or not lease(s.getsockname()[1]):
        s.close()
        continue
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# cl_release_ports: ends this shell's port leases (from the test's EXIT trap, after its
# daemons are stopped). Leases of a shell killed before it could run this are taken over.
cl_release_ports() {
    local d
    for d in "$CL_PORT_LEASES"/*/; do
        [ "$(cat "$d/pid" 2>/dev/null)" = "$$" ] && rm -rf "$d"
    done
    return 0
}

# cl_port_taken HOST:PORT: true when a daemon could not listen there now because something
# listens there already. It binds the way the daemons do, with SO_REUSEADDR (libuv's
# uv_tcp_bind, cn_listen_tcp in common/proc.c), so connections left in TIME_WAIT on the port
# by a stopped or crashed daemon, or by a load test, do not count: they never keep a daemon
# from listening again (a plain bind counted them, for a minute after each stop).
cl_port_taken() {
    python3 - "${1%:*}" "${1##*:}" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind((sys.argv[1], int(sys.argv[2])))
    s.listen(1)
except OSError:
    sys.exit(0)
sys.exit(1)
PY
}

# cl_ports NAME: the HOST:PORT pairs daemon NAME listens on, one a line, read from its
# config: every *_listen key with a fixed port (a port 0 listener takes any free one), and
# rest_listen only when rest_enabled = true.
cl_ports() {
    local conf
    case $1 in
        manager* | storage* | gateway*) conf=$CL_DIR/conf/cairn-$1.conf ;;
        *) echo "cl_ports: unknown daemon $1" >&2; return 1 ;;
    esac
    awk -F' *= *' '
        $1 == "rest_enabled" { rest = $2 }
        $1 ~ /_listen$/ { listen[$1] = $2 }
        END {
            for (k in listen)
                if (listen[k] !~ /:0$/ && (k != "rest_listen" || rest == "true"))
                    print listen[k]
        }' "$conf"
}

# cl_place NAME ADDR [NETNS]: see the header. Placements are written to cluster.env by
# cl_configure (cl_load brings them back); a placement after cl_configure changes nothing.
cl_place() {
    [[ $1 =~ ^(manager[0-9]*|storage[0-9]+|gateway[0-9]*|client)$ ]] || { echo "cl_place: unknown daemon $1" >&2; return 1; }
    printf -v "CL_ADDR_$1" '%s' "$2"
    printf -v "CL_NETNS_$1" '%s' "${3:-}"
}

# cl_addr NAME: the address NAME listens on (127.0.0.1 unless placed).
cl_addr() {
    local v=CL_ADDR_$1
    echo "${!v:-127.0.0.1}"
}

# cl_netns NAME: the network namespace NAME runs in (empty: this one). The client, unless
# placed, runs where the manager runs.
cl_netns() {
    local v=CL_NETNS_$1
    if [ -z "${!v:-}" ] && [ "$1" = client ]; then v=CL_NETNS_manager; fi
    echo "${!v:-}"
}

# cl_in NAME CMD...: runs CMD in NAME's network namespace (here when it has none). `ip netns
# exec` execs CMD in place, so CMD started with & keeps $! as its PID.
cl_in() {
    local ns
    ns=$(cl_netns "$1")
    shift
    if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi
}

# cl_hosts NSTORAGE: the multi-host layout for tests: one host (network namespace, its own
# address on a private /24) for the manager, each storage node, the gateway and the client,
# joined by a bridge (scripts/lib/netns.sh, nh_setup), and each daemon placed on its host.
# Needs root: check nh_available first. The caller runs nh_cleanup after cl_stop.
cl_hosts() {
    local i names=(manager)
    # shellcheck source=netns.sh
    . "$(dirname "${BASH_SOURCE[0]}")/netns.sh"
    for ((i = 2; i <= ${CL_NMGR:-1}; i++)); do names+=("manager$i"); done
    for ((i = 0; i < $1; i++)); do names+=("storage$i"); done
    names+=($(cl_gateways) client)
    nh_setup "${names[@]}" || return 1
    for i in "${names[@]}"; do cl_place "$i" "$(nh_addr "$i")" "$(nh_ns "$i")"; done
}

# /metrics listeners: storage i on CL_METRICS_BASE+i and the gateway on CL_GW_METRICS when
# set (the quickstart: 10200+i and 8082), else on free ports (see "metrics" in the port files).
# cl_configure NSTORAGE MGR_RPC MGR_ADMIN S3 STORAGE_PORT... : writes DIR/conf/*.conf unless
# they exist (so a second run keeps the secret and the ports). With CL_REST=PORT set, the
# gateway also serves plain REST (PUT/GET/HEAD/DELETE /bucket/key) there, trusting loopback
# clients as bucket owners (LeoFS REST mode, for curl uploads on this machine). The storage
# nodes and the gateway find the manager through [manager] addresses, a list: the manager's
# cl_addr:MGR_RPC, or CL_MGR_ADDRESSES when set (e.g. more managers, or a dead address first).
# Each daemon listens on its cl_addr; when the manager's is not a loopback address, the admin
# API gets a token (CL_TOKEN, sent by cl_adm). The ports it picks itself (the managers' Raft
# ports, and every port of the other managers) avoid the ones given and CL_PORTS_TAKEN (more
# ports the caller picked and has not bound yet). Every manager gets the same SSE master key,
# DIR/conf/sse-master.key (32 random bytes, mode 0600), so SSE-S3 and SSE-KMS work in every
# cluster (docs/OPERATIONS.md, "Encryption keys").
cl_mgr_name() { # cl_mgr_name ID: the daemon name of manager ID
    if [ "$1" = 1 ]; then echo manager; else echo "manager$1"; fi
}

cl_configure() {
    local n=$1 mrpc=$2 madmin=$3 s3=$4 i secret maddr gaddr saddr name v nm m ports peers gport rest
    local rpcs="" admins=""
    shift 4
    [ -f "$CL_DIR/conf/cluster.env" ] && return 0
    nm=${CL_NMGR:-1}
    secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    (umask 077 && head -c 32 /dev/urandom >"$CL_DIR/conf/sse-master.key")
    maddr=$(cl_addr manager)
    CL_TOKEN=""
    [[ $maddr == 127.* ]] || CL_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    # every manager's ports: "RPC ADMIN RAFT"
    declare -A mports
    # the ports given (and picked here) are not bound yet: a later pick must avoid them
    local picked="$mrpc $madmin $s3 $* ${CL_REST:-} ${CL_MGR_RAFT:-} ${CL_PORTS_TAKEN:-}"
    # shellcheck disable=SC2086
    mports[1]="$mrpc $madmin ${CL_MGR_RAFT:-$(cl_free_ports 1 $picked)}"
    picked+=" ${mports[1]}"
    for ((m = 2; m <= nm; m++)); do
        v=CL_MGR_PORTS_$m
        # shellcheck disable=SC2086
        mports[$m]=${!v:-$(cl_free_ports 3 $picked)}
        picked+=" ${mports[$m]}"
    done
    peers=""
    for ((m = 1; m <= nm; m++)); do
        read -r -a ports <<<"${mports[$m]}"
        name=$(cl_mgr_name "$m")
        peers+="${peers:+, }$m@$(cl_addr "$name"):${ports[2]}/${ports[0]}/${ports[1]}"
        rpcs+="${rpcs:+, }$(cl_addr "$name"):${ports[0]}"
        admins+="${admins:+,}$(cl_addr "$name"):${ports[1]}"
    done
    for ((m = 1; m <= nm; m++)); do
        read -r -a ports <<<"${mports[$m]}"
        name=$(cl_mgr_name "$m")
        v=$(cl_addr "$name")
        {
            echo "[manager]"
            if [ "$nm" -gt 1 ]; then printf 'id = %s\npeers = %s\n' "$m" "$peers"; fi
            cat <<CONF
rpc_listen = $v:${ports[0]}
admin_listen = $v:${ports[1]}
raft_listen = $v:${ports[2]}
data_dir = $CL_DIR/data/$name
sse_master_key_file = $CL_DIR/conf/sse-master.key

[cluster]
secret = $secret

[log]
level = info
file = $CL_DIR/logs/$name.log
CONF
            [ -n "$CL_TOKEN" ] && printf '\n[admin]\ntoken = %s\n' "$CL_TOKEN"
        } >"$CL_DIR/conf/cairn-$name.conf"
    done
    for ((i = 0; i < n; i++)); do
        saddr=$(cl_addr "storage$i")
        cat >"$CL_DIR/conf/cairn-storage$i.conf" <<CONF
[storage]
name = storage$i
rpc_listen = $saddr:$1
data_dir = $CL_DIR/data/storage$i
metrics_listen = $saddr:$([ -n "${CL_METRICS_BASE:-}" ] && echo $((CL_METRICS_BASE + i)) || echo 0)

[manager]
addresses = ${CL_MGR_ADDRESSES:-$rpcs}

[cluster]
secret = $secret

[log]
level = info
file = $CL_DIR/logs/storage$i.log
CONF
        shift
    done
    # gateway I: daemon and member gatewayI (the first: daemon gateway, member gateway0, the
    # S3 port given, REST when CL_REST is set, metrics on CL_GW_METRICS)
    for ((m = 1; m <= ${CL_NGW:-1}; m++)); do
        name=gateway$m rest=false gport=$s3 v=0
        if [ "$m" = 1 ]; then
            name=gateway
            [ -n "${CL_REST:-}" ] && rest=true
            v=${CL_GW_METRICS:-0}
        else
            ports=CL_GW_S3_$m
            # shellcheck disable=SC2086
            gport=${!ports:-$(cl_free_ports 1 $picked)}
            picked+=" $gport"
            printf -v "CL_S3_$m" '%s' "$gport"
        fi
        gaddr=$(cl_addr "$name")
        cat >"$CL_DIR/conf/cairn-$name.conf" <<CONF
[gateway]
name = $([ "$m" = 1 ] && echo gateway0 || echo "$name")
s3_listen = $gaddr:$gport
threads = ${CAIRN_GW_THREADS:-0}
rest_enabled = $rest
rest_listen = $gaddr:${CL_REST:-8081}
rest_trust_loopback = true
metrics_listen = $gaddr:$v
tmp_dir = $CL_DIR/data/$name

[manager]
addresses = ${CL_MGR_ADDRESSES:-$rpcs}

[cluster]
secret = $secret

[log]
level = info
file = $CL_DIR/logs/$name.log
CONF
    done
    cat >"$CL_DIR/conf/cluster.env" <<CONF
CL_NSTORAGE=$n
CL_NMGR=$nm
CL_NGW=${CL_NGW:-1}
CL_MGR_RPC=$mrpc
CL_MGR_ADMIN=$madmin
CL_MGR_ADMINS=$admins
CL_S3=$s3
CL_REST=${CL_REST:-}
CL_TOKEN=$CL_TOKEN
CONF
    for ((m = 2; m <= ${CL_NGW:-1}; m++)); do
        v=CL_S3_$m
        echo "$v=${!v}" >>"$CL_DIR/conf/cluster.env"
    done
    for name in $(cl_managers) $(for ((i = 0; i < n; i++)); do echo "storage$i"; done) $(cl_gateways) client; do
        for v in "CL_ADDR_$name" "CL_NETNS_$name"; do
            if [ -n "${!v:-}" ]; then echo "$v=${!v}" >>"$CL_DIR/conf/cluster.env"; fi
        done
    done
}

cl_load() {
    CL_NMGR=1 CL_MGR_ADMINS="" CL_NGW=1 # a directory made before these has none
    # shellcheck disable=SC1091
    . "$CL_DIR/conf/cluster.env"
}

# cl_managers: the managers' names (CL_NMGR of them, before or after cl_configure).
cl_managers() {
    local m
    for ((m = 1; m <= ${CL_NMGR:-1}; m++)); do cl_mgr_name "$m"; done
}

# cl_gateways: the gateways' names (CL_NGW of them, before or after cl_configure).
cl_gateways() {
    local g
    echo gateway
    for ((g = 2; g <= ${CL_NGW:-1}; g++)); do echo "gateway$g"; done
}

# cl_s3_port NAME: the S3 port of gateway NAME.
cl_s3_port() {
    local v=CL_S3_${1#gateway}
    if [ "$1" = gateway ]; then echo "$CL_S3"; else echo "${!v}"; fi
}

cl_names() {
    local i
    cl_load
    cl_managers
    for ((i = 0; i < CL_NSTORAGE; i++)); do echo "storage$i"; done
    cl_gateways
}

# cl_pid_running PID: succeeds while PID runs. kill -0 alone is not enough: a daemon killed a
# moment ago is a zombie until whoever adopted it reaps it, and kill -0 still succeeds.
cl_pid_running() {
    kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]
}

# cl_alive NAME: succeeds when the daemon NAME of this cluster runs: its recorded PID runs
# (cl_pid_running) and is still that daemon (after a reboot or a long stop the PID may belong
# to another process).
cl_alive() {
    local pid cmd
    pid=$(cat "$CL_DIR/run/$1.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && cl_pid_running "$pid" || return 1
    # no grep -q in a pipe: under pipefail, tr's SIGPIPE when grep stops early fails it
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
    [[ $cmd == *"$CL_DIR/conf/"* ]]
}

# cl_start_one NAME: starts one daemon in its own session and waits for its port file.
cl_start_one() {
    local name=$1 bin conf deadline ns
    case $name in
        manager*) bin=$CL_BIN/manager/cairn-manager; conf=$CL_DIR/conf/cairn-$name.conf ;;
        storage*) bin=$CL_BIN/storage/cairn-storage; conf=$CL_DIR/conf/cairn-$name.conf ;;
        gateway*) bin=$CL_BIN/gateway/cairn-gateway; conf=$CL_DIR/conf/cairn-$name.conf ;;
        *) echo "cl_start_one: unknown daemon $name" >&2; return 1 ;;
    esac
    if cl_alive "$name"; then return 0; fi
    ns=$(cl_netns "$name")
    rm -f "$CL_DIR/run/$name.port"
    # setsid and ip netns exec both exec in place: $! is the daemon's PID
    setsid ${ns:+ip netns exec "$ns"} "$bin" -c "$conf" --port-file "$CL_DIR/run/$name.port" \
        </dev/null >>"$CL_DIR/logs/$name.out" 2>&1 &
    echo $! >"$CL_DIR/run/$name.pid"
    deadline=$((SECONDS + 20))
    while [ ! -s "$CL_DIR/run/$name.port" ]; do
        # the PID alone: cl_alive's command-line check can run before setsid has exec'd
        # the daemon (the child is still a copy of this shell) and call it gone
        if ! cl_pid_running "$(cat "$CL_DIR/run/$name.pid")"; then
            echo "cairn: $name exited at start; last lines of its logs:" >&2
            tail -n 20 "$CL_DIR/logs/$name.out" "$CL_DIR/logs/$name.log" 2>/dev/null >&2
            return 1
        fi
        if [ $SECONDS -ge $deadline ]; then
            echo "cairn: $name did not start listening within 20 s (see $CL_DIR/logs/)" >&2
            return 1
        fi
        sleep 0.1
    done
}

# cl_stop_one NAME [SIGNAL]: stops one daemon by its recorded PID; SIGKILL after 10 s.
cl_stop_one() {
    local name=$1 sig=${2:-TERM} pid i
    pid=$(cat "$CL_DIR/run/$name.pid" 2>/dev/null) || return 0
    if [ -n "$pid" ] && cl_pid_running "$pid"; then
        kill -"$sig" "$pid" 2>/dev/null
        for ((i = 0; i < 100; i++)); do
            cl_pid_running "$pid" || break
            sleep 0.1
        done
        if cl_pid_running "$pid"; then
            echo "cairn: $name (pid $pid) did not stop in 10 s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    rm -f "$CL_DIR/run/$name.pid" "$CL_DIR/run/$name.port"
}

# cl_start: every daemon. The managers of a group start together (each waits for its port
# file, which it writes once its listeners are up, before the group has elected a leader).
cl_start() {
    local name
    for name in $(cl_names); do cl_start_one "$name" || return 1; done
}

cl_stop() {
    local name
    for name in $(cl_names | tac); do cl_stop_one "$name"; done
}

# cl_adm ARGS...: cairn-adm against this cluster's managers (every admin address: it follows
# the leader; from the client's namespace, with the admin token when there is one).
cl_adm() {
    cl_load
    cl_in client "$CL_BIN/manager/adm/cairn-adm" \
        --manager "${CL_MGR_ADMINS:-$(cl_addr manager):$CL_MGR_ADMIN}" \
        ${CL_TOKEN:+--token "$CL_TOKEN"} "$@"
}

# cl_mgr_admin NAME: the admin address (HOST:PORT) of manager NAME, from its config.
cl_mgr_admin() {
    awk -F' *= *' '$1 == "admin_listen" { print $2 }' "$CL_DIR/conf/cairn-$1.conf"
}

# cl_mgr_role NAME: what manager NAME says it is (leader, follower, candidate, down), or ""
# when it does not answer within 2 s.
cl_mgr_role() {
    cl_in client curl -s -m 2 -o /dev/null -D - ${CL_TOKEN:+-H "Authorization: Bearer $CL_TOKEN"} \
        "http://$(cl_mgr_admin "$1")/v1/version" 2>/dev/null |
        tr -d '\r' | awk -F': ' 'tolower($1) == "cairn-manager-role" { print $2 }'
}

# cl_mgr_leader [SKIP...]: prints the name of the manager that says it leads (the running
# ones but SKIP), or fails when none does.
cl_mgr_leader() {
    local m
    for m in $(cl_managers); do
        [[ " $* " == *" $m "* ]] && continue
        cl_alive "$m" || continue
        [ "$(cl_mgr_role "$m")" = leader ] && { echo "$m"; return 0; }
    done
    return 1
}

# cl_wait_mgr_leader TIMEOUT_S [SKIP...]: waits until a manager leads and prints its name.
cl_wait_mgr_leader() {
    local deadline=$((SECONDS + $1)) l
    shift
    until l=$(cl_mgr_leader "$@"); do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.1
    done
    echo "$l"
}

# cl_wait_running N TIMEOUT_S: waits until N nodes (storage and gateway) report running.
cl_wait_running() {
    local want=$1 deadline=$((SECONDS + ${2:-20})) n
    while :; do
        n=$(cl_adm --json status 2>/dev/null | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)
    print(sum(1 for n in s.get("nodes", []) if n.get("state") == "running" and n.get("type") != "manager"))
except Exception:
    print(0)')
        [ "$n" -ge "$want" ] && return 0
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}

# cl_wait_storage N TIMEOUT_S: waits until the manager knows N storage nodes (in any state),
# the condition for cairn-adm start; returns 1 on time-out.
cl_wait_storage() {
    local want=$1 deadline=$((SECONDS + ${2:-20}))
    until [ "$(cl_adm --json status 2>/dev/null | python3 -c 'import json,sys; print(sum(1 for n in json.load(sys.stdin).get("nodes",[]) if n.get("type")=="storage"))' 2>/dev/null || echo 0)" -ge "$want" ]; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}

# cl_live_objects: the live versions every storage node holds, summed (chunks included, each
# copy counted): what tests count to see that old chunks were deleted.
cl_live_objects() {
    local i o sum=0
    cl_load
    for ((i = 0; i < CL_NSTORAGE; i++)); do
        o=$(cl_adm --json du "storage$i" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["objects"])' 2>/dev/null)
        sum=$((sum + ${o:-0}))
    done
    echo "$sum"
}

# cl_wait_live_objects WANT TIMEOUT_S: waits until cl_live_objects prints WANT; 1 on time-out.
cl_wait_live_objects() {
    local deadline=$((SECONDS + $2))
    until [ "$(cl_live_objects)" = "$1" ]; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.3
    done
}

# cl_ring_ready: prints "yes" when the cluster has a ring (checksum not all zeros).
cl_ring_ready() {
    cl_adm --json status 2>/dev/null | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)
    cur = s.get("ring", {}).get("cur", "") or s.get("manager", {}).get("ring_cur", "")
    print("yes" if cur.strip("0") else "no")
except Exception:
    print("no")'
}
