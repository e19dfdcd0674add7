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
state=$tmp/versioning-state.json

run_py() { # run_py PHASE: versioning.py's checks of PHASE, counted here
    local out rc
    out=$(CAIRN_EP=$endpoint CAIRN_AK=$AK CAIRN_SK=$SK CAIRN_PHASE=$1 CAIRN_STATE=$state \
        timeout 300 /usr/bin/python3 "$here/versioning.py" 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -E '^(ok|FAIL) '
    T_PASS=$((T_PASS + $(printf '%s\n' "$out" | grep -c '^ok ')))
    T_FAIL=$((T_FAIL + $(printf '%s\n' "$out" | grep -c '^FAIL ')))
    if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^FAIL '; then
        t_bad "versioning.py $1 exited $rc" "$out"
    fi
}

run_py main
for n in 0 1 2; do
    check "restart storage$n" cl_stop_one "storage$n"
    check "storage$n starts again" cl_start_one "storage$n"
    check "storage$n is running again" cl_wait_running 4 30
done
run_py after-restart
t_summary
