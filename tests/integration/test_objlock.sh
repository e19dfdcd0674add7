#!/usr/bin/env bash
# tests/integration/test_objlock.sh BUILD_DIR: object lock against everyone (issue 18) on a
# whole cluster (1 manager, 3 storage nodes, 1 gateway), with Debian's boto3 (objlock_admin.py)
# and cairn-adm: a COMPLIANCE-locked version cannot be deleted by its owner (bypass or not),
# by an admin user, or through cairn-adm (delete-bucket is refused for a bucket with Object
# Lock); it survives compaction on every node and a SIGKILLed owner that catches up; a
# GOVERNANCE one goes with its owner's bypass; a legal hold blocks until it is removed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

t_cluster_boot objlock 3 --user alice
t_main_user alice
admin_json=$(cl_adm --json create-user root-ops)
check "cairn-adm update-user-role root-ops admin" cl_adm update-user-role root-ops admin
export CAIRN_ADMIN_AK CAIRN_ADMIN_SK
CAIRN_ADMIN_AK=$(printf '%s' "$admin_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_key"])')
CAIRN_ADMIN_SK=$(printf '%s' "$admin_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')

run_py() { # run_py PHASE: objlock_admin.py's checks of PHASE
    t_run_py "$here/objlock_admin.py" 300 CAIRN_PHASE="$1" CAIRN_STATE="$tmp/objlock.vid" \
        CAIRN_ADMIN_AK="$CAIRN_ADMIN_AK" \
        CAIRN_ADMIN_SK="$CAIRN_ADMIN_SK"
}
run_py main

out=$(cl_adm delete-bucket locked 2>&1)
rc=$?
[ $rc -ne 0 ] && t_ok "cairn-adm delete-bucket of a bucket with Object Lock is refused" ||
    t_bad "cairn-adm delete-bucket of a bucket with Object Lock is refused" "$out"
expect_match "... and says why" 'Object Lock' "$out"
for n in 0 1 2; do
    check "cairn-adm compact-start storage$n all --wait" cl_adm compact-start "storage$n" all --wait
done
run_py still-there

# an owner of the locked version killed, then back: its copy and the others' agree
owner=$(cl_adm --json whereis locked/deed | python3 -c '
import json, sys
d = json.load(sys.stdin)
print([n["node"] for n in d["owners"]][1])' 2>/dev/null)
[ -n "$owner" ] || owner=storage1
check "SIGKILL $owner (an owner of locked/deed)" cl_stop_one "$owner" KILL
run_py refused-with-a-node-down
check "$owner starts again" cl_start_one "$owner"
check "the nodes run" cl_wait_running 4 30
run_py still-there
t_summary
