#!/usr/bin/env bash
# tests/integration/test_managers.sh BUILD_DIR: a group of 3 managers on loopback (issue 14).
# Starts 3 cairn-managers with [manager] peers on free ports (RPC, admin and Raft each), and
# checks: they elect one leader; a user created through the leader's admin API appears in
# every manager's state (each one's GET /v1/users; the leader's after a read barrier, a
# follower's marked Cairn-Stale); a follower answers an admin write with
# 421 and the leader's admin address; SIGKILL the leader: a new leader is elected (the time
# is printed) and admin writes work through it; the killed manager, restarted, catches up;
# cairn-adm status on the leader shows the three managers' roles, terms and applied indexes;
# a follower far behind catches up from a snapshot; two of three lost: writes are refused
# (421, no leader) and none is acked, one back: writes resume. A backup written by the
# release before the group restores into the group (every manager holds it; the group's own
# records stay).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

MGR_BIN=$build/manager/cairn-manager
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-managers-XXXXXX")
read -r -a P <<<"$(cl_free_ports 9)"
RPC=("${P[0]}" "${P[1]}" "${P[2]}")
ADMIN=("${P[3]}" "${P[4]}" "${P[5]}")
RAFT=("${P[6]}" "${P[7]}" "${P[8]}")
PIDS=("" "" "")
peers=""
for i in 0 1 2; do
    peers+="${peers:+, }$((i + 1))@127.0.0.1:${RAFT[$i]}/${RPC[$i]}/${ADMIN[$i]}"
done

finish() {
    local rc=$? i
    for i in 0 1 2; do [ -n "${PIDS[$i]}" ] && kill "${PIDS[$i]}" 2>/dev/null; done
    for i in 0 1 2; do [ -n "${PIDS[$i]}" ] && wait "${PIDS[$i]}" 2>/dev/null; done
    cl_release_ports
    if [ "$T_FAIL" -ne 0 ] || [ $rc -ne 0 ]; then
        for i in 0 1 2; do echo "== manager$i.log"; tail -n 25 "$tmp/manager$i.log"; done
    else
        rm -rf "$tmp"
    fi
}
trap finish EXIT

start() { # start I: starts manager I (0..2) in the background
    local i=$1
    cat >"$tmp/manager$i.conf" <<CONF
[manager]
id = $((i + 1))
peers = $peers
rpc_listen = 127.0.0.1:${RPC[$i]}
admin_listen = 127.0.0.1:${ADMIN[$i]}
data_dir = $tmp/data$i

[cluster]
secret = managers-secret
CONF
    "$MGR_BIN" -c "$tmp/manager$i.conf" >>"$tmp/manager$i.log" 2>&1 &
    PIDS[$i]=$!
}

role() { # role I: the Cairn-Manager-Role of manager I ("" when it does not answer)
    curl -s -m 2 -o /dev/null -D - "http://127.0.0.1:${ADMIN[$1]}/v1/users" |
        tr -d '\r' | awk -F': ' 'tolower($1) == "cairn-manager-role" { print $2 }'
}

leader() { # leader [SKIP]: the index of the manager that says it leads, or fails
    local i
    for i in 0 1 2; do
        [ "$i" = "${1:-x}" ] && continue
        [ "$(role "$i")" = leader ] && { echo "$i"; return 0; }
    done
    return 1
}

wait_leader() { # wait_leader SECONDS [SKIP]: prints the leader's index once there is one
    local deadline=$((SECONDS + $1)) l
    until l=$(leader "${2:-x}"); do
        [ $SECONDS -ge "$deadline" ] && return 1
        sleep 0.05
    done
    echo "$l"
}

has_user() { # has_user I NAME (no grep -q in a pipe: it cuts a long answer, and pipefail)
    local out
    out=$(curl -s -m 5 "http://127.0.0.1:${ADMIN[$1]}/v1/users")
    [[ $out == *"\"user\": \"$2\""* ]]
}

wait_user() { # wait_user I NAME SECONDS
    local deadline=$((SECONDS + $3))
    until has_user "$1" "$2"; do
        [ $SECONDS -ge "$deadline" ] && return 1
        sleep 0.1
    done
}

create_user() { # create_user I NAME: prints the HTTP status
    curl -s -m 10 -o "$tmp/out.json" -w '%{http_code}' -X POST \
        "http://127.0.0.1:${ADMIN[$1]}/v1/users" -d "{\"user\": \"$2\"}"
}

for i in 0 1 2; do start "$i"; done
l=$(wait_leader 20) || t_abort "no leader within 20 s"
t_ok "the group of 3 elected manager$l"
n=0
for i in 0 1 2; do [ "$(role "$i")" = leader ] && n=$((n + 1)); done
expect_eq "exactly one leader" 1 "$n"

expect_eq "a user created through the leader" 201 "$(create_user "$l" alice)"
for i in 0 1 2; do
    check "manager$i holds alice" wait_user "$i" alice 10
done

f=$(((l + 1) % 3))
hdr() { curl -s -m 5 -o /dev/null -D - "http://127.0.0.1:${ADMIN[$1]}/v1/users" | tr -d '\r'; }
expect_eq "the leader's read is current (a read barrier, no Cairn-Stale)" "" \
    "$(hdr "$l" | grep -i '^cairn-stale')"
expect_match_i "a follower's read is marked stale" "^cairn-stale: true" "$(hdr "$f")"
expect_eq "a follower's admin write answers 421" 421 "$(create_user "$f" bob)"
expect_match "with the leader's admin address" "\"leader\": \"127.0.0.1:${ADMIN[$l]}\"" \
    "$(cat "$tmp/out.json")"
expect_match "and says it is not the leader" "not the leader" "$(cat "$tmp/out.json")"

t0=$(date +%s.%N)
kill -KILL "${PIDS[$l]}"
wait "${PIDS[$l]}" 2>/dev/null
PIDS[$l]=""
nl=$(wait_leader 10 "$l") || t_abort "no new leader within 10 s of SIGKILL"
t1=$(date +%s.%N)
echo "     election after SIGKILL of the leader: $(echo "$t1 - $t0" | bc) s"
t_ok "manager$nl leads after the leader's SIGKILL"
expect_eq "admin writes work through the new leader" 201 "$(create_user "$nl" carol)"
o=$((3 - l - nl))
check "the other survivor holds carol" wait_user "$o" carol 10

start "$l"
check "the killed manager, restarted, catches up (alice)" wait_user "$l" alice 20
check "the killed manager, restarted, catches up (carol)" wait_user "$l" carol 20
expect_eq "it rejoins as a follower" follower "$(role "$l")"

adm_status() { # the leader's cairn-adm status shows 1 leader and 2 followers
    local out
    out=$("$build/manager/adm/cairn-adm" --manager "127.0.0.1:${ADMIN[$nl]}" status) || return 1
    printf '%s\n' "$out" | grep -A5 '^\[Managers\]' >"$tmp/status.txt"
    [ "$(grep -c ' leader ' "$tmp/status.txt")" = 1 ] &&
        [ "$(grep -c ' follower ' "$tmp/status.txt")" = 2 ]
}
deadline=$((SECONDS + 10))
until adm_status || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
check "cairn-adm status shows each manager's role, term and applied index" adm_status
cat "$tmp/status.txt"

# a manager far behind catches up from a snapshot: C-Raft snapshots every 1024 entries (the
# default [manager] snapshot_threshold) and
# keeps 256 behind (manager/raft.c), so 1300 writes while one follower is down leave it
# behind the leader's log; the leader sends it the snapshot (raft_fsm.restore)
f=$(((nl + 1) % 3))
kill -KILL "${PIDS[$f]}"
wait "${PIDS[$f]}" 2>/dev/null
PIDS[$f]=""
for ((k = 0; k < 1300; k++)); do echo "{\"user\": \"snap$k\"}"; done >"$tmp/users.txt"
bad=0
while read -r body; do
    code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST \
        "http://127.0.0.1:${ADMIN[$nl]}/v1/users" -d "$body")
    [ "$code" = 201 ] || bad=$((bad + 1))
done <"$tmp/users.txt"
expect_eq "1300 writes with one follower down" 0 "$bad"
start "$f"
check "the follower far behind catches up (snap1299)" wait_user "$f" snap1299 30
expect_match "it installed a snapshot" "snapshot installed" "$(cat "$tmp/manager$f.log")"

# backup and restore through the group: a backup written by the release before the group
# (tests/fixtures/backup/) restores into this group of three, every manager holds it, and the
# group's own records stay (each manager still named with its admin address)
ADM=("$build/manager/adm/cairn-adm" --manager "127.0.0.1:${ADMIN[0]},127.0.0.1:${ADMIN[1]},127.0.0.1:${ADMIN[2]}")
check "restore-manager of a backup written by b56d53b (one manager)" \
    "${ADM[@]}" restore-manager "$src/tests/fixtures/backup/b56d53b.json"
for i in 0 1 2; do
    check "manager$i holds the restored users" wait_user "$i" bob 10
    out=$(curl -s -m 5 "http://127.0.0.1:${ADMIN[$i]}/v1/buckets/photos")
    expect_match "manager$i holds the restored bucket photos, alice's" \
        '"owner": "XG1OXZDF2L3X71P0L4AU"' "$out"
    expect_match "manager$i: photos is public-read" '"acl": "public-read"' "$out"
done
rl=$(wait_leader 10) || t_abort "no leader after the restore"
expect_eq "the users are the backup's (the group's snap5 is gone)" no "$(has_user "$rl" snap5 && echo yes || echo no)"
out=$("${ADM[@]}" --json status | python3 -c 'import json,sys; print(" ".join(sorted(m["admin"] for m in json.load(sys.stdin)["managers"])))')
expect_eq "the group's own records stay: every manager named by its admin address" \
    "$(printf '127.0.0.1:%s\n' "${ADMIN[@]}" | sort | tr '\n' ' ' | sed 's/ $//')" "$out"
"${ADM[@]}" backup-manager "$tmp/group.json" >/dev/null
check "a backup of the group holds the restored users" grep -q '"u/bob"' "$tmp/group.json"

# two of three lost: no quorum. The survivor steps down within the election timeout and
# refuses admin writes with 421 and no leader ("leader": ""), never a success; one back,
# a leader is elected and writes resume (issue 14, fault 3, the managers' side)
l=$(wait_leader 10) || t_abort "no leader before losing two managers"
s=$(((l + 1) % 3))
for i in 0 1 2; do
    [ "$i" = "$s" ] && continue
    kill -KILL "${PIDS[$i]}"
    wait "${PIDS[$i]}" 2>/dev/null
    PIDS[$i]=""
done
no_quorum() { # the survivor refuses a write with 421 and no leader named
    [ "$(create_user "$s" "nq$RANDOM")" = 421 ] && grep -q '"leader": ""' "$tmp/out.json"
}
deadline=$((SECONDS + 10))
until no_quorum || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
check "with two of three managers lost, an admin write is refused: 421, no leader" no_quorum
expect_eq "the survivor no longer says it leads" "" "$(leader)"
nq_acked=0
for k in 1 2 3; do
    [ "$(create_user "$s" "lost$k")" = 201 ] && nq_acked=$((nq_acked + 1))
done
expect_eq "no write is acked without a quorum" 0 "$nq_acked"
b=$(((s + 1) % 3))
start "$b"
nl=$(wait_leader 20) || t_abort "no leader within 20 s of bringing one manager back"
t_ok "one manager back: manager$nl leads"
expect_eq "admin writes resume" 201 "$(create_user "$nl" after)"
check "both hold it" wait_user "$(((nl == s) ? b : s))" after 10
for k in 1 2 3; do
    expect_eq "the write refused without a quorum is not there (lost$k)" no \
        "$(has_user "$nl" "lost$k" && echo yes || echo no)"
done
t_summary
