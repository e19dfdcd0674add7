#!/usr/bin/env bash
# tests/integration/test_admin_login.sh BUILD_DIR: roles and passwords enforced on the admin
# API (issue 15). The manager asks loopback callers for credentials too
# ([admin] require_token_on_loopback). A user with the admin role logs in with her password
# (HTTP Basic: cairn-adm --user/--password or CAIRN_PASSWORD, a browser's login prompt for the
# dashboard) and may do anything; a user of the normal role is refused with 403 and says why;
# a wrong password, an unknown user and a user without a password get 401; the token still
# works for automation; a promotion to admin takes effect on the next request.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

TOKEN=login-test-token-$RANDOM$RANDOM
login_conf() {
    t_conf manager <<CONF
[admin]
token = $TOKEN
require_token_on_loopback = true
CONF
    # cl_adm sends the token it finds in cluster.env
    echo "CL_TOKEN=$TOKEN" >>"$CL_DIR/conf/cluster.env"
}
t_cluster_boot login 1 --conf login_conf --user alice
adm() { "$build/manager/adm/cairn-adm" --manager "127.0.0.1:$CL_MGR_ADMIN" "$@"; }
api() { # api CURL_ARGS... PATH: the HTTP status of a GET of PATH
    local path=${*: -1}
    curl -s -o "$tmp/api.out" -D "$tmp/api.hdr" -w '%{http_code}' "${@:1:$#-1}" \
        "http://127.0.0.1:$CL_MGR_ADMIN$path"
}

check "the token creates an admin with a password" adm --token "$TOKEN" create-user root r00t-passw0rd
check "... and gives her the admin role" adm --token "$TOKEN" update-user-role root admin
check "the token creates a normal user with a password" adm --token "$TOKEN" create-user bob b0b-passw0rd

expect_eq "no credentials from loopback: 401" 401 "$(api /v1/users)"
expect_match_i "the 401 offers a Basic login (the dashboard's prompt)" \
    '^www-authenticate: Basic realm="cairn"' "$(cat "$tmp/api.hdr")"
expect_eq "the admin's login: 200" 200 "$(api -u root:r00t-passw0rd /v1/users)"
expect_eq "a wrong password: 401" 401 "$(api -u root:wrong-password /v1/users)"
expect_eq "an unknown user: 401" 401 "$(api -u nobody:whatever1 /v1/users)"
expect_eq "alice has no password: 401" 401 "$(api -u alice:anything1 /v1/users)"
expect_eq "a normal user: 403" 403 "$(api -u bob:b0b-passw0rd /v1/users)"
expect_match "and it says why" "has no admin role" "$(cat "$tmp/api.out")"
expect_eq "the dashboard's status read with the admin's login: 200" 200 \
    "$(api -u root:r00t-passw0rd /v1/status)"
expect_eq "/health needs no login" 200 "$(api /health)"

check "cairn-adm --user root --password ... status" adm --user root --password r00t-passw0rd status
check "cairn-adm with CAIRN_USER and CAIRN_PASSWORD creates a user" \
    env CAIRN_USER=root CAIRN_PASSWORD=r00t-passw0rd "$build/manager/adm/cairn-adm" \
    --manager "127.0.0.1:$CL_MGR_ADMIN" create-user carol
out=$(adm --user bob --password b0b-passw0rd create-user mallory 2>&1)
rc=$?
expect_eq "cairn-adm as a normal user fails" 1 "$rc"
expect_match "and says the user has no admin role" "has no admin role" "$out"
out=$(adm --user root --password wrong-password get-users 2>&1)
expect_match "cairn-adm with a wrong password says so" "wrong token, user or password" "$out"
expect_eq "mallory was not created" no "$(adm --token "$TOKEN" get-users | grep -q mallory && echo yes || echo no)"

check "promote bob" adm --user root --password r00t-passw0rd update-user-role bob admin
expect_eq "bob's next request is an admin's: 200" 200 "$(api -u bob:b0b-passw0rd /v1/users)"
check "demote bob" adm --user root --password r00t-passw0rd update-user-role bob normal
expect_eq "and again a normal user's: 403" 403 "$(api -u bob:b0b-passw0rd /v1/users)"
check "change root's password" adm --user root --password r00t-passw0rd update-user-password root n3w-passw0rd
expect_eq "the old password no longer logs in: 401" 401 "$(api -u root:r00t-passw0rd /v1/users)"
expect_eq "the new one does: 200" 200 "$(api -u root:n3w-passw0rd /v1/users)"
t_summary
