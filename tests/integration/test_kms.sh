#!/usr/bin/env bash
# tests/integration/test_kms.sh BUILD_DIR: the key service of issue 20 on a group of 3
# managers (loopback, free ports), with its admin commands and its RPC:
#   - a master key file that others may read, or of the wrong size, is refused at startup;
#   - "aws/s3" does not exist until a kms_key with create = 1 makes it (on the leader; a
#     follower sends such a call to the leader); create is refused for other names;
#   - cairn-adm kms-create-key NAME: kms-list-keys shows it on every manager (each one's own
#     state, through Raft), never with key bytes; a second create and a bad name fail;
#   - the KEK of one (name, epoch) fetched over the RPC (tests/integration/kms_ask, which
#     prints a fingerprint, never the key) is the same from every manager and differs between
#     epochs; kms-rotate-key gives epoch 2, epoch 1 stays the same; unknown keys and epochs
#     are not found;
#   - SIGKILL of the leader: the new leader serves the same keys and rotates;
#   - master rotation: every manager restarted with a new sse_master_key_file and the old one
#     as sse_master_key_previous_file, kms-rewrap rewraps every epoch (it prints how many),
#     then restarted with the new master alone: every KEK is still the same;
#   - a manager without a master key answers ENOTSUP (the gateway's 501) and its admin API
#     refuses kms-create-key.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

# shellcheck source=mgr_group.sh
. "$here/mgr_group.sh"
mg_setup kms
ASK=$build/tests/integration/kms_ask
(umask 077 && head -c 32 /dev/urandom >"$tmp/master1.key" &&
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/master2.key")
CUR=$tmp/master1.key

ask() { # ask I NAME [EPOCH [CREATE]]: kms_key to manager I (3: the lone one)
    local port=${RPC[$1]:-${LONE[0]}}
    shift
    "$ASK" "127.0.0.1:$port" "$SECRET" "$@"
}

wait_ask() { # wait_ask I WANT NAME [EPOCH]: until manager I answers WANT (a follower lags)
    local i=$1 want=$2 deadline=$((SECONDS + 10)) got
    shift 2
    until got=$(ask "$i" "$@") && [ "$got" = "$want" ]; do
        [ $SECONDS -ge $deadline ] && { echo "manager$i: $got"; return 1; }
        sleep 0.1
    done
}

fp() { # fp "NAME EPOCH FINGERPRINT": the fingerprint
    echo "${1##* }"
}


# ---- the master key file is checked at startup --------------------------------------------
conf 0 >"$tmp/check.conf"
chmod 644 "$tmp/master1.key"
out=$("$MGR_BIN" -c "$tmp/check.conf" --check-config 2>&1); rc=$?
expect_eq "a master key file others may read is refused: exit 2" 2 "$rc"
expect_match "with the fix in the message" "sse_master_key_file: .*chmod 600" "$out"
chmod 600 "$tmp/master1.key"
check "a master key of mode 0600 passes --check-config" "$MGR_BIN" -c "$tmp/check.conf" --check-config
(umask 077 && head -c 31 /dev/urandom >"$tmp/short.key")
CUR=$tmp/short.key conf 0 >"$tmp/check.conf"
out=$("$MGR_BIN" -c "$tmp/check.conf" --check-config 2>&1); rc=$?
expect_eq "a master key of 31 bytes is refused: exit 2" 2 "$rc"
expect_match "saying what a key file holds" "32 raw bytes or 64 hex digits" "$out"

# ---- the group; aws/s3 on first use --------------------------------------------------------
for i in 0 1 2; do start "$i"; done
l=$(wait_leader 20) || t_abort "no leader within 20 s"
f=$(((l + 1) % 3))
t_ok "the group of 3 elected manager$l"
expect_eq "no aws/s3 before its first use (the leader)" ENOENT "$(ask "$l" aws/s3)"
expect_eq "a follower without the key sends the call to the leader" ENOTLEADER "$(ask "$f" aws/s3)"
expect_eq "create is for aws/s3 alone" EPERM "$(ask "$l" app-key 0 1)"
got=$(ask "$l" aws/s3 0 1)
expect_match "kms_key with create = 1 makes aws/s3, epoch 1" "^aws/s3 1 [0-9a-f]{16}$" "$got"
S3_1=$(fp "$got")
for i in 0 1 2; do
    check "manager$i serves aws/s3 epoch 1, the same KEK" wait_ask "$i" "aws/s3 1 $S3_1" aws/s3 1
done
expect_eq "create = 1 again gives the same key" "aws/s3 1 $S3_1" "$(ask "$l" aws/s3 0 1)"

# ---- create, list, rotate through cairn-adm ------------------------------------------------
out=$(adm "$l" kms-create-key app-key 2>&1); rc=$?
expect_eq "kms-create-key app-key" 0 "$rc"
expect_match "it says epoch 1 and the master's id" \
    "key app-key created, epoch 1, wrapped by master $(master_id "$tmp/master1.key")" "$out"
out=$(adm "$l" kms-create-key app-key 2>&1); rc=$?
expect_eq "a second kms-create-key app-key fails" 1 "$rc"
expect_match "because it exists" "exists" "$out"
out=$(adm "$l" kms-create-key 'bad name' 2>&1); rc=$?
expect_eq "kms-create-key of a bad name fails" 1 "$rc"
listed() { # listed I NAME EPOCHS: manager I's kms-list-keys shows NAME with EPOCHS
    adm "$1" kms-list-keys 2>/dev/null |
        awk -F' *[|] *' -v n="$2" -v e="$3" '$1 == n && $2 == e {ok = 1} END {exit !ok}'
}
wait_listed() {
    local deadline=$((SECONDS + 10))
    until listed "$@"; do [ $SECONDS -ge $deadline ] && return 1; sleep 0.1; done
}
for i in 0 1 2; do
    check "kms-list-keys on manager$i shows app-key, 1 epoch" wait_listed "$i" app-key 1
done
json=$(adm "$f" --json kms-list-keys)
expect_match "the list names the master id" "\"master\": \"$(master_id "$tmp/master1.key")\"" "$json"
expect_eq "the list holds no wrapped or unwrapped key" "" "$(printf '%s' "$json" | grep -Ei 'wrapped|"key"')"

A1=$(fp "$(ask "$l" app-key 1)")
for i in 0 1 2; do
    check "manager$i: app-key epoch 1 is the same KEK" wait_ask "$i" "app-key 1 $A1" app-key 1
done
out=$(adm "$l" kms-rotate-key app-key 2>&1); rc=$?
expect_eq "kms-rotate-key app-key" 0 "$rc"
expect_match "gives epoch 2" "app-key is at epoch 2" "$out"
got=$(ask "$l" app-key)
expect_match "the newest epoch is 2" "^app-key 2 [0-9a-f]{16}$" "$got"
A2=$(fp "$got")
check "epoch 2 has its own KEK" test "$A2" != "$A1"
check "and differs from aws/s3's" test "$A2" != "$S3_1"
for i in 0 1 2; do
    check "manager$i: the newest app-key is epoch 2, the same KEK" wait_ask "$i" "app-key 2 $A2" app-key
    expect_eq "manager$i: epoch 1 is unchanged" "app-key 1 $A1" "$(ask "$i" app-key 1)"
done
expect_eq "an unknown key is not found" ENOENT "$(ask "$l" no-such-key)"
expect_eq "an epoch past the newest is not found" ENOENT "$(ask "$l" app-key 3)"
out=$(adm "$l" kms-rotate-key no-such-key 2>&1); rc=$?
expect_eq "kms-rotate-key of an unknown key fails" 1 "$rc"

# ---- the leader dies -----------------------------------------------------------------------
stop "$l" KILL
nl=$(wait_leader 10 "$l") || t_abort "no new leader within 10 s of SIGKILL"
t_ok "manager$nl leads after the leader's SIGKILL"
expect_eq "the new leader serves app-key epoch 2" "app-key 2 $A2" "$(ask "$nl" app-key 2)"
expect_eq "and aws/s3" "aws/s3 1 $S3_1" "$(ask "$nl" aws/s3 0 1)"
out=$(adm "$nl" kms-rotate-key app-key 2>&1)
expect_match "a rotation through the new leader gives epoch 3" "at epoch 3" "$out"
A3=$(fp "$(ask "$nl" app-key 3)")
start "$l"
check "the killed manager, restarted, catches up (epoch 3)" wait_ask "$l" "app-key 3 $A3" app-key 3

# ---- master rotation -----------------------------------------------------------------------
restart_all() {
    local i
    for i in 0 1 2; do stop "$i"; done
    for i in 0 1 2; do start "$i"; done
    wait_leader 20 >/dev/null
}
CUR=$tmp/master2.key PREV=$tmp/master1.key
restart_all || t_abort "no leader after the restart with the new master"
l=$(wait_leader 5)
json=$(adm "$l" --json kms-list-keys)
expect_match "the new master is current" "\"master\": \"$(master_id "$tmp/master2.key")\"" "$json"
expect_match "the old one previous" "\"previous\": \"$(master_id "$tmp/master1.key")\"" "$json"
for i in 0 1 2; do
    check "manager$i: before kms-rewrap, keys still unwrap (previous master)" \
        wait_ask "$i" "app-key 1 $A1" app-key 1
done
out=$(adm "$l" kms-rewrap 2>&1); rc=$?
expect_eq "kms-rewrap" 0 "$rc"
expect_match "rewrapped all 4 epochs (app-key 1..3, aws/s3 1)" \
    "rewrapped 4 key epochs under master $(master_id "$tmp/master2.key") \(0 left" "$out"
out=$(adm "$l" kms-rewrap 2>&1)
expect_match "a second kms-rewrap has nothing left" "rewrapped 0 key epochs" "$out"
PREV=""
restart_all || t_abort "no leader after the restart with the new master alone"
for i in 0 1 2; do
    check "manager$i, new master alone: app-key 1 is the same KEK" wait_ask "$i" "app-key 1 $A1" app-key 1
    expect_eq "manager$i: app-key 2 the same" "app-key 2 $A2" "$(ask "$i" app-key 2)"
    expect_eq "manager$i: app-key 3 the same" "app-key 3 $A3" "$(ask "$i" app-key 3)"
    expect_eq "manager$i: aws/s3 1 the same" "aws/s3 1 $S3_1" "$(ask "$i" aws/s3 1)"
done
l=$(wait_leader 5)
expect_eq "kms-list-keys: every epoch under the new master" \
    "$(master_id "$tmp/master2.key") $(master_id "$tmp/master2.key")" \
    "$(adm "$l" kms-list-keys | awk '$1 == "app-key" || $1 == "aws/s3" {print $NF}' | tr '\n' ' ' | sed 's/ $//')"

# ---- no master key -------------------------------------------------------------------------
start 3
deadline=$((SECONDS + 10))
until [ "$(ask 3 aws/s3 0 1)" = ENOTSUP ] || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
expect_eq "a manager without a master key: kms_key answers ENOTSUP" ENOTSUP "$(ask 3 aws/s3 0 1)"
out=$(adm 3 kms-create-key k 2>&1); rc=$?
expect_eq "its kms-create-key fails" 1 "$rc"
expect_match "naming the missing master key" "sse_master_key_file" "$out"
t_summary
