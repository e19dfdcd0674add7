#!/usr/bin/env bash
# tests/integration/test_bucket_policy.sh BUILD_DIR: bucket policies (issue 15) on a whole
# cluster (1 manager, 3 storage nodes, 1 gateway): Put/Get/DeleteBucketPolicy and
# GetBucketPolicyStatus, MalformedPolicy, owner-only management, and what a policy allows and
# denies beside the ACLs (bucket_policy.py, boto3 for alice and bob, unsigned requests for
# anonymous): Allow to everyone on a prefix, to one user by canonical id, an explicit Deny
# that binds the owner too (who can still remove the policy), IpAddress and NotIpAddress on
# aws:SourceIp, NotPrincipal, s3:prefix on ListBucket, PutObject on a prefix, copy sources.
# The public access block and the ownership controls, each setting's effect. Then the
# gateway restarts: the policy comes back from the manager and is still enforced.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

t_cluster_boot policy 3 --user alice
t_main_user alice
t_other_user bob

run_py() { # run_py PHASE: bucket_policy.py's checks of PHASE
    t_run_py "$here/bucket_policy.py" 300 CAIRN_PHASE="$1"
}

run_py main
run_py controls
check "restart the gateway" cl_stop_one gateway
check "it starts again" cl_start_one gateway
t_wait_signed || t_bad "the gateway takes signed requests again"
run_py after-restart
t_summary
