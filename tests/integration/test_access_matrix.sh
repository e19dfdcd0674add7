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
t_main_user alice
expect_match "get-users shows each user's canonical id (64 hex)" '^[0-9a-f]{64}$' "$ALICE_ID"
# bob's key must work before the matrix starts (the gateway refetches users on a version bump)
t_other_user bob

t_run_py "$here/access_matrix.py" 400

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
