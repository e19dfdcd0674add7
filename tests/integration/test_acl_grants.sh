#!/usr/bin/env bash
# tests/integration/test_acl_grants.sh BUILD_DIR: ACL grants (issue 15) on a whole cluster
# (1 manager, 3 storage nodes, 1 gateway) with Debian's boto3 (acl_grants.py): grants by
# canonical id, by email (cairn-adm update-user-email) and to the groups, every x-amz-grant-*
# header, AccessControlPolicy bodies, the errors S3 answers, Get*Acl, a copy's ACL, the
# canned ACLs S3 adds, the public access block on grant lists. Then every storage node
# restarts in turn and the grants still decide.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

t_cluster_boot grants 3 --user alice
ALICE_AK=$AK
ALICE_SK=$SK
py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
bob_json=$(cl_adm --json create-user bob) || t_abort "create-user bob"
carol_json=$(cl_adm --json create-user carol) || t_abort "create-user carol"
BOB_AK=$(printf '%s' "$bob_json" | py 'd["access_key"]')
BOB_SK=$(printf '%s' "$bob_json" | py 'd["secret"]')
CAROL_AK=$(printf '%s' "$carol_json" | py 'd["access_key"]')
CAROL_SK=$(printf '%s' "$carol_json" | py 'd["secret"]')
CAROL_EMAIL=Carol.Grants@example.com
check "update-user-email carol $CAROL_EMAIL" cl_adm update-user-email carol "$CAROL_EMAIL"
out=$(cl_adm update-user-email bob carol.grants@EXAMPLE.com 2>&1) &&
    t_bad "another user's address (another case) is refused" "$out" ||
    t_ok "another user's address (another case) is refused"
out=$(cl_adm update-user-email bob "not an address" 2>&1) &&
    t_bad "a malformed address is refused" "$out" || t_ok "a malformed address is refused"
users=$(cl_adm --json get-users)
ALICE_ID=$(printf '%s' "$users" | py '[u["id"] for u in d if u["user"] == "alice"][0]')
BOB_ID=$(printf '%s' "$users" | py '[u["id"] for u in d if u["user"] == "bob"][0]')
CAROL_ID=$(printf '%s' "$users" | py '[u["id"] for u in d if u["user"] == "carol"][0]')
got=$(printf '%s' "$users" | py '[u.get("email", "") for u in d if u["user"] == "carol"][0]')
[ "$got" = "$CAROL_EMAIL" ] && t_ok "get-users shows carol's email" ||
    t_bad "get-users shows carol's email" "$got"
AK=$BOB_AK SK=$BOB_SK t_wait_signed || t_bad "bob's key is accepted within 20 s"
AK=$CAROL_AK SK=$CAROL_SK t_wait_signed || t_bad "carol's key is accepted within 20 s"

run_py() { # run_py PHASE: acl_grants.py's checks of PHASE, counted here
    local out rc
    out=$(CAIRN_EP=$endpoint CAIRN_AK=$ALICE_AK CAIRN_SK=$ALICE_SK CAIRN_BOB_AK=$BOB_AK \
        CAIRN_BOB_SK=$BOB_SK CAIRN_CAROL_AK=$CAROL_AK CAIRN_CAROL_SK=$CAROL_SK \
        CAIRN_ALICE_ID=$ALICE_ID CAIRN_BOB_ID=$BOB_ID CAIRN_CAROL_ID=$CAROL_ID \
        CAIRN_CAROL_EMAIL=$CAROL_EMAIL CAIRN_PHASE=$1 \
        timeout 300 /usr/bin/python3 "$here/acl_grants.py" 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -E '^(ok|FAIL) '
    T_PASS=$((T_PASS + $(printf '%s\n' "$out" | grep -c '^ok ')))
    T_FAIL=$((T_FAIL + $(printf '%s\n' "$out" | grep -c '^FAIL ')))
    if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^FAIL '; then
        t_bad "acl_grants.py $1 exited $rc" "$out"
    fi
}

run_py main
for n in 0 1 2; do
    check "restart storage$n" cl_stop_one "storage$n"
    check "storage$n starts again" cl_start_one "storage$n"
    check "storage$n is running again" cl_wait_running 4 30
done
run_py after-restart
t_summary
