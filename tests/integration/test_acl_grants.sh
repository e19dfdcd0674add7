#!/usr/bin/env bash
# tests/integration/test_acl_grants.sh BUILD_DIR: ACL grants (issue 15) on a whole cluster
# (1 manager, 3 storage nodes, 1 gateway) with Debian's boto3 (acl_grants.py): grants by
# canonical id, by email (cairn-adm update-user-email) and to the groups, every x-amz-grant-*
# header, AccessControlPolicy bodies, the errors S3 answers, Get*Acl, a copy's ACL, the
# canned ACLs S3 adds, the public access block on grant lists; who owns what (listings'
# Owner, uploads' Initiator, the ownership controls). Then every storage node restarts in
# turn and the grants still decide.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

t_cluster_boot grants 3 --user alice
t_main_user alice
t_other_user bob
t_other_user carol
CAROL_EMAIL=Carol.Grants@example.com
check "update-user-email carol $CAROL_EMAIL" cl_adm update-user-email carol "$CAROL_EMAIL"
out=$(cl_adm update-user-email bob carol.grants@EXAMPLE.com 2>&1) &&
    t_bad "another user's address (another case) is refused" "$out" ||
    t_ok "another user's address (another case) is refused"
out=$(cl_adm update-user-email bob "not an address" 2>&1) &&
    t_bad "a malformed address is refused" "$out" || t_ok "a malformed address is refused"
got=$(cl_adm --json get-users | t_py '[u.get("email", "") for u in d if u["user"] == "carol"][0]')
[ "$got" = "$CAROL_EMAIL" ] && t_ok "get-users shows carol's email" ||
    t_bad "get-users shows carol's email" "$got"

run_py() { # run_py PHASE: acl_grants.py's checks of PHASE
    t_run_py "$here/acl_grants.py" 300 CAIRN_CAROL_EMAIL="$CAROL_EMAIL" CAIRN_PHASE="$1"
}

run_py main
run_py owners
t_restart_storage_each 4
run_py after-restart
t_summary
