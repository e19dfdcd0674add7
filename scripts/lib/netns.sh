# scripts/lib/netns.sh: "hosts" on one machine for multi-host tests (bash, needs root and
# iproute2). Each host is a network namespace with its own loopback and one interface, eth0,
# with an address on a private /24; every eth0 is one end of a veth pair whose other end is a
# port of a bridge that lives in a namespace of its own (the "switch"). Nothing is made in
# the root namespace: no interface, address or route of the machine changes, and the hosts
# cannot reach the machine's loopback (a daemon bound to 127.0.0.1 in a host is reachable only
# from inside that host).
#
#   nh_available            0 if namespaces can be made here; else 1, the reason in NH_WHY
#   nh_setup HOST...        a switch and one host per name (names: [A-Za-z0-9_]+)
#   nh_add HOST             one more host on the same switch (e.g. a node that joins later)
#   nh_addr HOST            its IPv4 address (10.X.Y.Z, the /24 chosen for this run)
#   nh_ns HOST              its namespace's name, for `ip netns exec` / `ip -n`
#   nh_exec HOST CMD...     runs CMD inside HOST, in the foreground
#   nh_spawn HOST CMD...    runs CMD inside HOST in the background (call it in this shell, not
#                           in $(...)): its PID in NH_PID, recorded for nh_cleanup
#   nh_partition HOST...    cuts each HOST off from every other host (see below)
#   nh_heal [HOST...]       reconnects them (all hosts when none is named)
#   nh_cut HOST             0 when HOST is cut off now
#   nh_cleanup              kills what nh_spawn started (by PID), then whatever still runs in
#                           this run's namespaces, and deletes every namespace made here
#                           (the veth pairs and the bridge go with them). Call it from the
#                           test's EXIT trap; it may run twice.
#
# Names: every namespace of a run is cairn-ID-HOST, ID being 6 random hex digits (NH_ID), and
# the switch is cairn-ID-sw, so parallel runs never meet; the /24 (NH_NET, e.g. 10.117.42) is
# random among 10.64-127.x.0/24, not routed in the root namespace and not used by another
# cairn run's hosts (namespaces of different runs are isolated anyway; this keeps logs and
# `ip netns` listings unambiguous). Host i gets NH_NET.(10+i).
#
# A partition sets the host's bridge port to the "disabled" state (`bridge link set dev PORT
# state 0`, STP is off): the bridge neither forwards frames to the host nor takes frames from
# it. Both ends keep their carrier and their addresses, so nothing in the host or its peers
# notices a link change: packets are just lost, both ways, as when a switch or a cable between
# racks fails. TCP connections stay open and time out by retransmission; new connects time out
# (no RST, no ICMP). nh_heal sets the port back to "forwarding" (state 3); ARP resolves again
# within a second. A process keeps running while its host is cut off (use kill -STOP for a
# hung host).

# sourced again (cl_hosts does): keep the state of the hosts made so far
[ -n "${NH_LOADED:-}" ] && return 0
NH_LOADED=1
NH_ID=""
NH_NET=""
NH_SW=""
NH_PID=""
NH_WHY=""
NH_HOSTS=()
NH_PIDS=()
declare -gA NH_IDX=()

nh_available() {
    local probe
    NH_WHY=""
    if [ "$(id -u)" != 0 ]; then
        NH_WHY="not root (ip netns needs CAP_SYS_ADMIN)"
        return 1
    fi
    if ! command -v ip >/dev/null || ! command -v bridge >/dev/null; then
        NH_WHY="iproute2 (ip, bridge) is not installed (scripts/lib/deps.sh)"
        return 1
    fi
    probe=cairn-probe-$$-$RANDOM
    if ! ip netns add "$probe" 2>/dev/null; then
        NH_WHY="ip netns add failed (no network namespaces in this container?)"
        return 1
    fi
    if ! ip -n "$probe" link add nhbr type bridge 2>/dev/null ||
        ! ip -n "$probe" link add nhv0 type veth peer name nhv1 2>/dev/null; then
        NH_WHY="cannot make a bridge or a veth pair in a namespace (kernel modules?)"
        ip netns del "$probe" 2>/dev/null
        return 1
    fi
    ip netns del "$probe"
}

# nh__pick_net: a random 10.X.Y (X in 64..127) whose /24 overlaps no route of the root
# namespace (the default route aside) and no address of another cairn run's hosts.
nh__pick_net() {
    local used ns
    used=$({
        ip -4 route show 2>/dev/null | awk '$1 != "default" { print $1 }'
        for ns in $(ip netns list 2>/dev/null | awk '/^cairn-/ { print $1 }'); do
            ip -n "$ns" -4 -o addr show 2>/dev/null | awk '{ print $4 }'
        done
    })
    NH_NET=$(python3 - "$used" <<'PY'
import ipaddress, random, sys
used = []
for w in sys.argv[1].split():
    try:
        used.append(ipaddress.ip_network(w, strict=False))
    except ValueError:  # "blackhole", "unreachable": the next word is the prefix
        pass
for _ in range(200):
    net = ipaddress.ip_network("10.%d.%d.0/24" % (random.randint(64, 127), random.randint(0, 255)))
    if not any(net.overlaps(u) for u in used):
        print(str(net.network_address).rsplit(".", 1)[0])
        break
PY
) || return 1
    [ -n "$NH_NET" ] || { echo "nh_setup: no free 10.x.y.0/24 found" >&2; return 1; }
}

nh_setup() {
    local h
    [ -z "$NH_ID" ] || { echo "nh_setup: called twice" >&2; return 1; }
    NH_ID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
    NH_SW=cairn-$NH_ID-sw
    nh__pick_net || return 1
    ip netns add "$NH_SW" || return 1
    ip -n "$NH_SW" link add br0 type bridge stp_state 0 || return 1
    ip -n "$NH_SW" link set br0 up || return 1
    for h in "$@"; do nh_add "$h" || return 1; done
}

nh_add() {
    local h=$1 i ns
    [[ $h =~ ^[A-Za-z0-9_]+$ ]] || { echo "nh_add: bad host name '$h'" >&2; return 1; }
    [ -n "$NH_SW" ] || { echo "nh_add: nh_setup first" >&2; return 1; }
    [ -z "${NH_IDX[$h]:-}" ] || { echo "nh_add: host $h exists" >&2; return 1; }
    i=${#NH_HOSTS[@]}
    [ "$i" -lt 240 ] || { echo "nh_add: too many hosts" >&2; return 1; }
    ns=cairn-$NH_ID-$h
    NH_IDX[$h]=$i
    NH_HOSTS+=("$h")
    ip netns add "$ns" || return 1
    # made inside the switch: the host's end moves straight into its namespace
    ip -n "$NH_SW" link add "p$i" type veth peer name eth0 netns "$ns" || return 1
    ip -n "$NH_SW" link set "p$i" master br0 || return 1
    ip -n "$NH_SW" link set "p$i" up || return 1
    ip -n "$ns" link set lo up || return 1
    ip -n "$ns" addr add "$NH_NET.$((10 + i))/24" dev eth0 || return 1
    ip -n "$ns" link set eth0 up || return 1
}

nh__idx() {
    [ -n "${NH_IDX[$1]:-}" ] || { echo "netns: no host '$1' (nh_add it first)" >&2; return 1; }
    printf '%s\n' "${NH_IDX[$1]}"
}

nh_addr() {
    local i
    i=$(nh__idx "$1") || return 1
    echo "$NH_NET.$((10 + i))"
}

nh_ns() {
    nh__idx "$1" >/dev/null || return 1
    echo "cairn-$NH_ID-$1"
}

nh_exec() {
    local ns
    ns=$(nh_ns "$1") || return 1
    shift
    ip netns exec "$ns" "$@"
}

# `ip netns exec` execs CMD in place (no fork), so $! is CMD's own PID.
nh_spawn() {
    local ns
    ns=$(nh_ns "$1") || return 1
    shift
    ip netns exec "$ns" "$@" &
    NH_PID=$!
    NH_PIDS+=("$NH_PID")
}

nh_partition() {
    local h i
    for h in "$@"; do
        i=$(nh__idx "$h") || return 1
        bridge -n "$NH_SW" link set dev "p$i" state 0 || return 1
    done
}

nh_heal() {
    local h i
    [ $# -gt 0 ] || set -- "${NH_HOSTS[@]}"
    for h in "$@"; do
        i=$(nh__idx "$h") || return 1
        bridge -n "$NH_SW" link set dev "p$i" state 3 || return 1
    done
}

nh_cut() {
    local i
    i=$(nh__idx "$1") || return 1
    [[ $(bridge -n "$NH_SW" link show dev "p$i") == *"state disabled"* ]] # no grep -q in a pipe
}

nh_cleanup() {
    local p h ns left i
    [ -n "$NH_ID" ] || return 0
    for p in "${NH_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for ((i = 0; i < 50; i++)); do
        left=""
        for p in "${NH_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
        [ -z "$left" ] && break
        sleep 0.1
    done
    for p in $left; do kill -KILL "$p" 2>/dev/null; done
    NH_PIDS=()
    # anything still inside this run's namespaces was started by this run (the names are its
    # own): a daemon's child, or one started with `ip netns exec` directly
    for h in "${NH_HOSTS[@]}"; do
        ns=cairn-$NH_ID-$h
        left=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
        if [ -n "$left" ]; then
            echo "netns: killing what still runs in host $h: $left" >&2
            # shellcheck disable=SC2086
            kill -KILL $left 2>/dev/null
            for ((i = 0; i < 50; i++)); do
                [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
                sleep 0.1
            done
        fi
        ip netns del "$ns" 2>/dev/null
    done
    ip netns del "$NH_SW" 2>/dev/null
    if [ -n "$(ip netns list | awk -v p="cairn-$NH_ID-" 'index($1, p) == 1')" ]; then
        echo "netns: could not delete:$(ip netns list | awk -v p="cairn-$NH_ID-" 'index($1, p) == 1 { printf " %s", $1 }')" >&2
        return 1
    fi
    NH_ID=""
    NH_SW=""
    NH_HOSTS=()
    NH_IDX=()
}
