#!/usr/bin/env bash
# tests/integration/test_versioning.sh BUILD_DIR: S3 object versioning (issue 16) on a whole
# cluster (1 manager, 3 storage nodes, 1 gateway) with Debian's boto3 (versioning.py):
# Put/GetBucketVersioning, versions of small and chunked objects, delete markers, deleting a
# version for good, Suspended, ListObjects of current versions, what answers 501 so far.
# Then every storage node restarts in turn and every version is read again.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

t_cluster_boot versions 3 --user alice
t_main_user alice
state=$tmp/versioning-state.json

run_py() { # run_py PHASE: versioning.py's checks of PHASE
    t_run_py "$here/versioning.py" 300 CAIRN_PHASE="$1" CAIRN_STATE="$state"
}

run_py main
t_restart_storage_each 4
run_py after-restart
t_summary
