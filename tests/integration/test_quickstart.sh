#!/usr/bin/env bash
# tests/integration/test_quickstart.sh BUILD_DIR: two scripts/quickstart clusters side by side
# on one machine, each in its own directory on its own --port-base (the way issue 22 links
# two clusters on one machine), on the test's build (CAIRN_QUICKSTART_NO_BUILD=1: no package
# check, no build). Checks: both start, every port each one's configs and port files name is
# its base + the layout's offset, the printed table and hints name those ports, each gateway
# answers S3 with its own cluster's user (and not the other's), a base whose ports are taken
# is refused with the ports named (and makes nothing), so are a base out of range and another
# base for a directory made with one, a stopped cluster started again without --port-base
# comes back on its ports with its data, and `quickstart stop` stops every daemon of both.
# Small clusters (one storage node each; one manager, then a group of three) keep it short.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-quickstart-XXXXXX")

# the port offsets of scripts/quickstart's layout (its header) for 3 managers and 1 storage
# node, and for 1 manager and 1 storage node
OFFS3="0 1 2 10 11 12 13 20 21 22 23 30 31 32 33 100 120 200"
OFFS1="0 1 2 10 11 12 13 100 120 200"

qs() { # qs DIR ARGS...: scripts/quickstart for the cluster in $tmp/DIR, on the test's build
    local d=$1
    shift
    CAIRN_BUILD=$build CAIRN_QUICKSTART_NO_BUILD=1 CAIRN_QUICKSTART_DIR=$tmp/$d \
        "$src/scripts/quickstart" "$@" </dev/null 2>&1
}

finish() {
    local rc=$? d f
    for d in dc1 dc2 dc3; do
        [ -f "$tmp/$d/conf/cluster.env" ] && qs "$d" stop >/dev/null
    done
    cl_release_ports
    if [ "$T_FAIL" -ne 0 ] || [ $rc -ne 0 ]; then
        echo "--- files kept in $tmp; last lines of the logs:"
        for f in "$tmp"/dc*/logs/*; do echo "== $f"; tail -n 20 "$f"; done
    else
        rm -rf "$tmp"
    fi
}
trap finish EXIT
read -r B1 B2 <<<"$(CL_PORT_OFFSETS=$OFFS3 cl_free_ports 2)"
[ -n "${B2:-}" ] || t_abort "no two free port bases"

s3() { # s3 DIR CURL_ARGS...: curl signed as the quickstart user of the cluster in $tmp/DIR
    local d=$1
    shift
    (
        # shellcheck disable=SC1090
        . "$tmp/$d/credentials"
        curl -s -m 10 --aws-sigv4 "aws:amz:us-east-1:s3" \
            --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$@"
    )
}

layout() { # layout BASE OFFSETS: the ports of that layout, sorted, one line
    local o
    for o in $2; do echo $(($1 + o)); done | sort -n | tr '\n' ' '
}

conf_ports() { # conf_ports DIR: every port the configs of $tmp/DIR listen on, sorted, one line
    sed -n 's/^\([a-z0-9_]*_\)\{0,1\}listen = .*:\([0-9]*\)$/\2/p' "$tmp/$1"/conf/cairn-*.conf | sort -n | tr '\n' ' '
}

file_ports_in() { # file_ports_in DIR BASE OFFSETS: every port in the port files is in the layout
    local p want
    want=" $(layout "$2" "$3")"
    for p in $(grep -ho ':[0-9]*$' "$tmp/$1"/run/*.port | tr -d :); do
        [[ $want == *" $p "* ]] || { echo "port $p ($(grep -l ":$p\$" "$tmp/$1"/run/*.port)) is not in: $want"; return 1; }
    done
}

code() { # code DIR URL [CURL_ARGS...]: the HTTP status of a signed request (000: no answer)
    local d=$1 url=$2
    shift 2
    s3 "$d" -o /dev/null -w '%{http_code}' "$@" "$url"
}

# --- two clusters side by side -------------------------------------------------------------
echo "port bases: $B1 and $B2"
out1=$(CAIRN_QUICKSTART_MANAGERS=1 qs dc1 --storage 1 --port-base "$B1")
rc=$?
expect_eq "quickstart --port-base $B1 starts a cluster (1 manager, 1 storage node)" 0 "$rc"
[ "$rc" = 0 ] || { printf '%s\n' "$out1" | tail -n 20; t_abort "the first cluster did not start"; }
out2=$(CAIRN_QUICKSTART_MANAGERS=3 qs dc2 --storage 1 --port-base "$B2")
rc=$?
expect_eq "a second quickstart, --port-base $B2 in its own directory, starts beside it (3 managers)" 0 "$rc"
[ "$rc" = 0 ] || { printf '%s\n' "$out2" | tail -n 20; t_abort "the second cluster did not start"; }

expect_eq "every port of the first cluster's configs is $B1 + the layout's offset" \
    "$(layout "$B1" "$OFFS1")" "$(conf_ports dc1)"
expect_eq "every port of the second cluster's configs is $B2 + the layout's offset" \
    "$(layout "$B2" "$OFFS3")" "$(conf_ports dc2)"
check "every port in the first cluster's port files is of its layout" file_ports_in dc1 "$B1" "$OFFS1"
check "every port in the second cluster's port files is of its layout" file_ports_in dc2 "$B2" "$OFFS3"
expect_match "the first prints its ports: the table's gateway row (S3, REST, /metrics)" \
    "gateway +$B1 +$((B1 + 1)) +- +- +- +$((B1 + 2))" "$out1"
expect_match "... a storage node's row (RPC, /metrics)" "storage0 +- +- +- +$((B1 + 100)) +- +$((B1 + 200))" "$out1"
expect_match "... the aws cli's endpoint" "aws --endpoint-url http://127.0.0.1:$B1 " "$out1"
expect_match "the second prints cairn-adm --manager with its three admin ports" \
    "--manager 127.0.0.1:$((B2 + 11)),127.0.0.1:$((B2 + 21)),127.0.0.1:$((B2 + 31))" "$out2"
expect_match "... and how to stop it (its directory named)" "CAIRN_QUICKSTART_DIR=$tmp/dc2 ./scripts/quickstart stop" "$out2"

expect_eq "the first cluster answers S3 on $B1 (signed ListBuckets)" 200 "$(code dc1 "http://127.0.0.1:$B1/")"
expect_eq "the second cluster answers S3 on $B2" 200 "$(code dc2 "http://127.0.0.1:$B2/")"
expect_eq "a bucket on the first" 200 "$(code dc1 "http://127.0.0.1:$B1/qs-one" -X PUT)"
echo "side by side" >"$tmp/hello.txt"
expect_eq "an object in it" 200 "$(code dc1 "http://127.0.0.1:$B1/qs-one/hello.txt" -T "$tmp/hello.txt")"
expect_eq "... reads back" "side by side" "$(s3 dc1 "http://127.0.0.1:$B1/qs-one/hello.txt")"
list2=$(s3 dc2 "http://127.0.0.1:$B2/")
if [[ $list2 == *"<ListAllMyBucketsResult"* ]] && [[ $list2 != *qs-one* ]]; then
    t_ok "the second cluster has its own buckets (not qs-one)"
else
    t_bad "the second cluster has its own buckets (not qs-one)" "$list2"
fi
expect_eq "... and its own users: the first one's key is unknown there (403)" 403 \
    "$(code dc1 "http://127.0.0.1:$B2/")"

# --- linked (issue 22): what the printed hint says, and an object crosses ----------------------
adm() { # adm DIR ADMIN_PORTS ARGS...: cairn-adm of the cluster in $tmp/DIR
    local ports=$2 m=""
    shift 2
    for p in $ports; do m+="${m:+,}127.0.0.1:$p"; done
    "$build/manager/adm/cairn-adm" --manager "$m" "$@"
}
id_of() { adm "$@" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["cluster_id"])'; }
expect_match "the first prints how to link it, with its managers' link listeners and CA" \
    "join-cluster 127.0.0.1:$((B1 + 13)) ([0-9a-f]{16}|ID) --secret-file /tmp/link.secret --ca $tmp/dc1/tls/ca.pem" "$out1"
head -c 32 /dev/urandom >"$tmp/link.secret"
chmod 600 "$tmp/link.secret"
id1=$(id_of dc1 "$((B1 + 11))")
id2=$(id_of dc2 "$((B2 + 11)) $((B2 + 21)) $((B2 + 31))")
check "dc1 joins dc2 (its link listeners, id and CA)" adm dc1 "$((B1 + 11))" join-cluster \
    "127.0.0.1:$((B2 + 13)),127.0.0.1:$((B2 + 23)),127.0.0.1:$((B2 + 33))" "$id2" \
    --secret-file "$tmp/link.secret" --ca "$tmp/dc2/tls/ca.pem"
check "dc2 joins dc1" adm dc2 "$((B2 + 11)) $((B2 + 21)) $((B2 + 31))" join-cluster \
    "127.0.0.1:$((B1 + 13))" "$id1" --secret-file "$tmp/link.secret" --ca "$tmp/dc1/tls/ca.pem"
echo "across" >"$tmp/across.txt"
expect_eq "an object written on dc1 after the link" 200 \
    "$(code dc1 "http://127.0.0.1:$B1/qs-one/across.txt" -T "$tmp/across.txt")"
across_on_dc2() { [ "$(s3 dc1 "http://127.0.0.1:$B2/qs-one/across.txt")" = across ]; }
t_eventually 30 across_on_dc2
expect_eq "... reads on dc2 with dc1's key (user, bucket and object replicated)" "across" \
    "$(s3 dc1 "http://127.0.0.1:$B2/qs-one/across.txt")"

# --- refusals --------------------------------------------------------------------------------
out=$(CAIRN_QUICKSTART_MANAGERS=1 qs dc3 --storage 1 --port-base "$B1")
expect_eq "a third on the first one's base is refused" 1 "$?"
expect_match "... naming the taken ports: the gateway's S3" " $B1 +gateway S3" "$out"
expect_match "... the manager's admin" " $((B1 + 11)) +manager admin" "$out"
expect_match "... the storage node's /metrics" " $((B1 + 200)) +storage0 /metrics" "$out"
check "... and the refused directory is not made (the next run picks its ports afresh)" \
    test ! -e "$tmp/dc3/conf/cluster.env"
out=$(qs dc3 --port-base 65400)
expect_eq "a base out of range (65400: its ports would pass 65535) is refused" 2 "$?"
expect_match "... saying the range" "1024\.\.65320" "$out"
out=$(qs dc3 --port-base 80)
expect_eq "a base below 1024 is refused" 2 "$?"
out=$(qs dc2 --port-base "$B1")
expect_eq "another base for a directory made with one is refused" 2 "$?"
expect_match "... saying the one it keeps" "made with --port-base $B2" "$out"

# --- the same directory again: the same ports -------------------------------------------------
out=$(qs dc1 stop)
expect_eq "quickstart stop stops the first cluster" 0 "$?"
expect_eq "... its S3 port no longer answers" 000 "$(code dc1 "http://127.0.0.1:$B1/" -m 2)"
expect_eq "... the second still does" 200 "$(code dc2 "http://127.0.0.1:$B2/")"
out1=$(qs dc1)
rc=$?
expect_eq "quickstart on the first directory again, without --port-base, starts it" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out1" | tail -n 20
expect_match "... on its port base" "aws --endpoint-url http://127.0.0.1:$B1 " "$out1"
expect_eq "... its object reads back on $B1" "side by side" "$(s3 dc1 "http://127.0.0.1:$B1/qs-one/hello.txt")"
out=$(qs dc2 ports)
expect_match "quickstart ports prints the second one's table" "gateway +$B2 +$((B2 + 1)) " "$out"
expect_match "... and its base" "--port-base $B2" "$out"

# --- stop both -------------------------------------------------------------------------------
pids=$(cat "$tmp"/dc1/run/*.pid "$tmp"/dc2/run/*.pid 2>/dev/null | tr '\n' ' ')
expect_eq "both clusters run all their daemons (3 + 5)" 8 "$(wc -w <<<"$pids")"
check "quickstart stop stops the first" qs dc1 stop
check "... and the second" qs dc2 stop
left=""
for p in $pids; do cl_pid_running "$p" && left+=" $p"; done
expect_eq "no daemon of either is left running" "" "$left"

t_summary
