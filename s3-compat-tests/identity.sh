#!/usr/bin/env bash
# s3-compat-tests/identity.sh: identities with the stock clients (issue 15; run by
# s3-compat-tests/run, which exports S3_ENDPOINT, the credentials of user "compat" and
# COMPAT_ADMIN, the manager's admin API). Several access keys per user, each usable by the aws
# cli on its very first request right after `cairn-adm create-access-key`; an Inactive key
# refused with InvalidAccessKeyId; the admin API's login: an admin's password works, a normal
# user is refused.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/integration/lib.sh
. "$here/../tests/integration/lib.sh"

AWS=/usr/bin/aws
[ -x "$AWS" ] || AWS=$(command -v aws) || { echo "SKIPSUITE no aws cli"; exit 2; }
adm() { "$COMPAT_BUILD/manager/adm/cairn-adm" --manager "$COMPAT_ADMIN" "$@"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
as_key() { # as_key AK SK ARGS...: the aws cli with those credentials
    local ak=$1 sk=$2
    shift 2
    AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk "$AWS" --endpoint-url "$S3_ENDPOINT" "$@"
}

first_ok=0
for i in 1 2 3 4 5; do
    k=$(adm --json create-access-key compat) || { t_bad "create-access-key compat ($i)"; continue; }
    ak=$(printf '%s' "$k" | field access_key)
    sk=$(printf '%s' "$k" | field secret)
    as_key "$ak" "$sk" s3api list-buckets >/dev/null 2>&1 && first_ok=$((first_ok + 1))
    [ "$i" -lt 5 ] && adm delete-access-key "$ak" >/dev/null
done
expect_eq "a key made by create-access-key works on its first request (5 of 5)" 5 "$first_ok"
check "the user's first key still works beside the new one" \
    "$AWS" --endpoint-url "$S3_ENDPOINT" s3api list-buckets
check "the new key works too" as_key "$ak" "$sk" s3api list-buckets
expect_match "get-access-keys lists both" "$ak" "$(adm get-access-keys compat 2>&1)"
check "update-access-key Inactive" adm update-access-key "$ak" --status Inactive
deadline=$((SECONDS + 10))
until out=$(as_key "$ak" "$sk" s3api list-buckets 2>&1); [[ $out == *InvalidAccessKeyId* ]]; do
    [ $SECONDS -ge $deadline ] && break
    sleep 0.3
done
expect_match "an Inactive key: InvalidAccessKeyId" 'InvalidAccessKeyId' "$out"
check "update-access-key Active" adm update-access-key "$ak" --status Active
deadline=$((SECONDS + 10))
until as_key "$ak" "$sk" s3api list-buckets >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && break
    sleep 0.3
done
check "Active again: it works" as_key "$ak" "$sk" s3api list-buckets
check "delete-access-key" adm delete-access-key "$ak"

check "create an admin with a password" adm create-user compat-root r00t-passw0rd
check "... with the admin role" adm update-user-role compat-root admin
check "create a normal user with a password" adm create-user compat-normal n0rmal-passw0rd
expect_eq "the admin API: the admin's login works" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' -u compat-root:r00t-passw0rd "http://$COMPAT_ADMIN/v1/users")"
expect_eq "the admin API: a normal user is refused (403)" 403 \
    "$(curl -s -o /dev/null -w '%{http_code}' -u compat-normal:n0rmal-passw0rd "http://$COMPAT_ADMIN/v1/users")"
expect_eq "the admin API: a wrong password (401)" 401 \
    "$(curl -s -o /dev/null -w '%{http_code}' -u compat-root:nope-nope "http://$COMPAT_ADMIN/v1/users")"
check "cairn-adm --user compat-root --password ... get-users" \
    adm --user compat-root --password r00t-passw0rd get-users
t_summary
