#!/usr/bin/env bash
# tests/integration/test_access_keys.sh BUILD_DIR: a user's access keys on a real cluster
# (1 manager, 3 storage nodes, 1 gateway on free loopback ports), signed with curl --aws-sigv4:
#   - a new user's key works on its very first request (20 times: create-user, then at once
#     a signed ListBuckets; the gateway asks the manager for a key its users table lacks);
#   - create-access-key gives a second key, and both sign; get-users and get-access-keys list
#     them with their status and never a secret;
#   - update-access-key --status Inactive: the key gets 403 InvalidAccessKeyId (S3's XML),
#     Active again: it works; delete-access-key: InvalidAccessKeyId;
#   - 200 unknown keys, three requests each: every one 403 InvalidAccessKeyId, and the
#     manager's cairn_manager_rpc_requests_total{op="get_key"} shows one question per key.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

t_cluster_boot keys 3 --user alice

# signed KEY SECRET [CURL_ARGS...]: the HTTP status of a signed ListBuckets (body in $tmp/body)
signed() {
    local ak=$1 sk=$2
    shift 2
    curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ak:$sk" -o "$tmp/body" \
        -w '%{http_code}' "$@" "$endpoint/"
}
json_of() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
# wait_status KEY SECRET WANT: polls (up to 10 s: the gateway refetches users by heartbeat)
wait_status() {
    local deadline=$((SECONDS + 10))
    until [ "$(signed "$1" "$2")" = "$3" ]; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}
get_key_asks() {
    curl -s "http://$(cl_mgr_admin manager)/metrics" |
        awk '/^cairn_manager_rpc_requests_total\{op="get_key"/ {s += $NF} END {printf "%d\n", s}'
}

# --- a key works on its first request ---------------------------------------------------
ok=0 bad=""
for i in $(seq 1 20); do
    u=$(cl_adm --json create-user "first$i") || { bad="$bad create-user first$i failed;"; continue; }
    ak=$(printf '%s' "$u" | json_of '["access_key"]')
    sk=$(printf '%s' "$u" | json_of '["secret"]')
    code=$(signed "$ak" "$sk")
    if [ "$code" = 200 ]; then ok=$((ok + 1)); else bad="$bad first$i: $code $(head -c 300 "$tmp/body");"; fi
done
expect_eq "a new user's first request, sent at once after create-user, is 200 (20 of 20)" \
    "20 " "$ok $bad"

# --- a second key ---------------------------------------------------------------------------
k2=$(cl_adm --json create-access-key alice)
check "create-access-key alice" test -n "$k2"
AK2=$(printf '%s' "$k2" | json_of '["access_key"]')
SK2=$(printf '%s' "$k2" | json_of '["secret"]')
expect_match "create-access-key: a 20-character key id and a 40-character secret" \
    '^[A-Z0-9]{20} .{40}$' "$AK2 $SK2"
expect_eq "the second key works on its first request" 200 "$(signed "$AK2" "$SK2")"
expect_eq "the first key still works" 200 "$(signed "$AK" "$SK")"
out=$(cl_adm create-access-key alice)
expect_match "create-access-key prints the key id and the secret" \
    'access-key-id: [A-Z0-9]{20}.*secret-access-key: ' "$(printf '%s' "$out" | tr '\n' ' ')"
AK3=$(printf '%s' "$out" | sed -n 's/^access-key-id: //p')
out=$(cl_adm get-access-keys alice)
expect_match "get-access-keys lists the three keys Active" \
    "$AK.*Active.*$AK2.*Active.*$AK3.*Active" "$(printf '%s' "$out" | tr '\n' ' ')"
js=$(cl_adm --json get-users)
expect_eq "get-users --json: alice has three keys" 3 "$(printf '%s' "$js" |
    python3 -c 'import json,sys; print([len(u["keys"]) for u in json.load(sys.stdin) if u["user"] == "alice"][0])')"
expect_eq "get-users --json shows no secret" "" "$(printf '%s' "$js" | grep -o -i '"secret"' | head -1)"
out=$(cl_adm get-users)
expect_match "get-users shows each key with its status" "alice .*$AK2 +\\| Active" "$out"

# --- Inactive, Active again, deleted --------------------------------------------------------
check "update-access-key --status Inactive" cl_adm update-access-key "$AK" --status Inactive
check "an Inactive key gets 403" wait_status "$AK" "$SK" 403
expect_match "with S3's InvalidAccessKeyId XML error" \
    '<Error><Code>InvalidAccessKeyId</Code>' "$(tr -d '\n' <"$tmp/body")"
expect_match "get-access-keys shows it Inactive" "$AK +\\| Inactive" "$(cl_adm get-access-keys alice)"
expect_eq "the other key still works" 200 "$(signed "$AK2" "$SK2")"
check "update-access-key --status Active" cl_adm update-access-key "$AK" --status Active
check "Active again: the key works" wait_status "$AK" "$SK" 200
check "delete-access-key" cl_adm delete-access-key "$AK"
check "a deleted key gets 403" wait_status "$AK" "$SK" 403
expect_match "InvalidAccessKeyId" '<Code>InvalidAccessKeyId</Code>' "$(cat "$tmp/body")"
out=$(cl_adm get-access-keys alice)
expect_eq "get-access-keys no longer lists it" "" "$(printf '%s' "$out" | grep "$AK")"
expect_eq "the second key still works" 200 "$(signed "$AK2" "$SK2")"

# --- refusals --------------------------------------------------------------------------------
out=$(cl_adm update-access-key "$AK2" --status active 2>&1); rc=$?
expect_match "a bad status is refused" "^1 .*Active.*Inactive" "$rc $out"
out=$(cl_adm update-access-key "$AK2" 2>&1); rc=$?
expect_match "update-access-key without a status is a usage error" "^2 .*--status" "$rc $out"
out=$(cl_adm delete-access-key AKNOSUCHKEY000000000 2>&1); rc=$?
expect_match "deleting an unknown key says so" "^1 .*no access key" "$rc $out"
out=$(cl_adm create-access-key nobody 2>&1); rc=$?
expect_match "a key for an unknown user is refused" "^1 .*no user named" "$rc $out"

# --- a flood of unknown keys: one question per key ------------------------------------------
before=$(get_key_asks)
codes=$(for i in $(seq 1 200); do
    k=$(printf 'AKUNKNOWN%011d' "$i")
    curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$k:0000000000000000000000000000000000000000" \
        -o /dev/null -o /dev/null -o /dev/null -w '%{http_code}\n' \
        "$endpoint/" "$endpoint/" "$endpoint/"
done | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
expect_eq "600 requests with 200 unknown keys: all 403" "403x600 " "$codes"
after=$(get_key_asks)
expect_eq "the gateway asked the manager once per unknown key (get_key)" 200 $((after - before))

t_summary
