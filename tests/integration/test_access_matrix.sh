#!/usr/bin/env bash
# tests/integration/test_access_matrix.sh BUILD_DIR: who may read, write, list and copy what
# (issue 12), on a whole cluster (1 manager, 3 storage nodes, 1 gateway with its memory cache,
# REST on): every bucket canned ACL x object canned ACL x requester (owner, another user,
# anonymous) x operation, cold and with the caches warm (access_matrix.py); then the REST
# listener's "anyone else" half (rest_trust_loopback off: a loopback caller is anonymous too)
# follows the same decision.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

# the REST listener trusts no one here: a loopback caller is "anyone else" (anonymous)
untrusted_rest() {
    t_conf gateway <<CONF
[gateway]
rest_trust_loopback = false
CONF
}
t_cluster_boot acl 3 --rest --conf untrusted_rest --user alice
ALICE_AK=$AK
ALICE_SK=$SK
bob_json=$(cl_adm --json create-user bob) || t_abort "create-user bob"
py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
BOB_AK=$(printf '%s' "$bob_json" | py 'd["access_key"]')
BOB_SK=$(printf '%s' "$bob_json" | py 'd["secret"]')
users=$(cl_adm --json get-users)
ALICE_ID=$(printf '%s' "$users" | py '[u.get("id", "") for u in d if u["user"] == "alice"][0]')
BOB_ID=$(printf '%s' "$users" | py '[u.get("id", "") for u in d if u["user"] == "bob"][0]')
expect_match "get-users shows each user's canonical id (64 hex)" '^[0-9a-f]{64}$' "$ALICE_ID"
# bob's key must work before the matrix starts (the gateway refetches users on a version bump)
AK=$BOB_AK SK=$BOB_SK t_wait_signed || t_bad "bob's key is accepted within 20 s"

out=$(CAIRN_EP=$endpoint CAIRN_AK=$ALICE_AK CAIRN_SK=$ALICE_SK CAIRN_BOB_AK=$BOB_AK \
    CAIRN_BOB_SK=$BOB_SK CAIRN_ALICE_ID=$ALICE_ID CAIRN_BOB_ID=$BOB_ID \
    timeout 400 /usr/bin/python3 "$here/access_matrix.py" 2>&1)
rc=$?
printf '%s\n' "$out" | grep -E '^(ok|FAIL) ' | while IFS= read -r line; do echo "$line"; done
T_PASS=$((T_PASS + $(printf '%s\n' "$out" | grep -c '^ok ')))
T_FAIL=$((T_FAIL + $(printf '%s\n' "$out" | grep -c '^FAIL ')))
if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^FAIL '; then
    t_bad "access_matrix.py exited $rc" "$out"
fi

# --- REST: not loopback-trusted here, so every caller is "anyone else" ---------------------
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
s3() { aws --endpoint-url "$endpoint" "$@"; }
printf 'open' >"$tmp/open.txt"
AWS_ACCESS_KEY_ID=$ALICE_AK AWS_SECRET_ACCESS_KEY=$ALICE_SK s3 s3api put-object --bucket pub \
    --key rest-private --body "$tmp/open.txt" >/dev/null 2>&1
AWS_ACCESS_KEY_ID=$ALICE_AK AWS_SECRET_ACCESS_KEY=$ALICE_SK s3 s3api put-object --bucket pub \
    --key rest-open --body "$tmp/open.txt" --acl public-read >/dev/null 2>&1
expect_eq "REST: GET of a private object in a public-read bucket: 403" 403 \
    "$(code "$rest/pub/rest-private")"
expect_eq "REST: HEAD of it: 403" 403 "$(code -I "$rest/pub/rest-private")"
expect_eq "REST: GET of a public-read object: its bytes" open "$(curl -s "$rest/pub/rest-open")"
expect_eq "REST: PUT into a public-read bucket: 403" 403 \
    "$(code -X PUT --data-binary x "$rest/pub/rest-new")"
expect_eq "REST: PUT into a public-read-write bucket: 200" 200 \
    "$(code -X PUT --data-binary x "$rest/mx-public-read-write/rest-new")"
expect_eq "REST: GET of a private object in a public-read-write bucket: 403" 403 \
    "$(code "$rest/mx-public-read-write/obj-private")"
expect_eq "REST: DELETE in a public-read-write bucket: 204" 204 \
    "$(code -X DELETE "$rest/mx-public-read-write/rest-new")"

t_summary
