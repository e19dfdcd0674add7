#!/usr/bin/env bash
# tests/integration/test_bucket_policy.sh BUILD_DIR: bucket policies (issue 15) on a whole
# cluster (1 manager, 3 storage nodes, 1 gateway): Put/Get/DeleteBucketPolicy and
# GetBucketPolicyStatus, MalformedPolicy, owner-only management, and what a policy allows and
# denies beside the ACLs (bucket_policy.py, boto3 for alice and bob, unsigned requests for
# anonymous): Allow to everyone on a prefix, to one user by canonical id, an explicit Deny
# that binds the owner too (who can still remove the policy), IpAddress and NotIpAddress on
# aws:SourceIp, NotPrincipal, s3:prefix on ListBucket, PutObject on a prefix, copy sources.
# Then the gateway restarts: the policy comes back from the manager and is still enforced.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

t_cluster_boot policy 3 --user alice
ALICE_AK=$AK
ALICE_SK=$SK
bob_json=$(cl_adm --json create-user bob) || t_abort "create-user bob"
py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
BOB_AK=$(printf '%s' "$bob_json" | py 'd["access_key"]')
BOB_SK=$(printf '%s' "$bob_json" | py 'd["secret"]')
users=$(cl_adm --json get-users)
ALICE_ID=$(printf '%s' "$users" | py '[u["id"] for u in d if u["user"] == "alice"][0]')
BOB_ID=$(printf '%s' "$users" | py '[u["id"] for u in d if u["user"] == "bob"][0]')
AK=$BOB_AK SK=$BOB_SK t_wait_signed || t_bad "bob's key is accepted within 20 s"

run_py() { # run_py PHASE: bucket_policy.py's checks of PHASE, counted here
    local out rc
    out=$(CAIRN_EP=$endpoint CAIRN_AK=$ALICE_AK CAIRN_SK=$ALICE_SK CAIRN_BOB_AK=$BOB_AK \
        CAIRN_BOB_SK=$BOB_SK CAIRN_ALICE_ID=$ALICE_ID CAIRN_BOB_ID=$BOB_ID CAIRN_PHASE=$1 \
        timeout 300 /usr/bin/python3 "$here/bucket_policy.py" 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -E '^(ok|FAIL) '
    T_PASS=$((T_PASS + $(printf '%s\n' "$out" | grep -c '^ok ')))
    T_FAIL=$((T_FAIL + $(printf '%s\n' "$out" | grep -c '^FAIL ')))
    if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^FAIL '; then
        t_bad "bucket_policy.py $1 exited $rc" "$out"
    fi
}

run_py main
check "restart the gateway" cl_stop_one gateway
check "it starts again" cl_start_one gateway
t_wait_signed || t_bad "the gateway takes signed requests again"
run_py after-restart
t_summary
