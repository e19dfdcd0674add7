#!/usr/bin/env bash
# tests/integration/test_sse.sh BUILD_DIR: server-side encryption (issue 20) on a whole
# cluster (1 manager, 3 storage nodes, a gateway with sse_c_allow_http, as S3 clients in
# tests speak plain HTTP) with Debian's boto3 (sse.py): every mode's put, get, ranges, HEAD,
# errors and the bucket default. Then every storage node restarts in turn and the objects are
# read again: replication and repair carry ciphertext and need no key.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

# SSE-C over plain HTTP; no KEK kept past a request, so every read after the master key's
# rotation asks the managers
gateway_conf() {
    printf '[gateway]\nsse_c_allow_http = true\nsse_key_cache_seconds = 0\n' | t_conf gateway
}
t_cluster_boot sse 3 --conf gateway_conf --user alice
t_main_user alice
check "kms-create-key app-key" cl_adm kms-create-key app-key

run_py() { # run_py PHASE: sse.py's checks of PHASE
    t_run_py "$here/sse.py" 300 CAIRN_PHASE="$1"
}

run_py main
check "kms-rotate-key app-key" cl_adm kms-rotate-key app-key
check "kms-rotate-key aws/s3" cl_adm kms-rotate-key aws/s3
sleep 6 # a gateway believes the newest epoch it knows for 5 s (sse_keys.h)
run_py rotated
t_restart_storage_each 4

# the master key's rotation (docs/OPERATIONS.md): the old one as previous, kms-rewrap, then
# the new one alone; every object still reads
(umask 077 && head -c 32 /dev/urandom >"$tmp/master2.key")
printf '[manager]\nsse_master_key_file = %s\nsse_master_key_previous_file = %s\n' \
    "$tmp/master2.key" "$CL_DIR/conf/sse-master.key" | t_conf manager
check "restart the manager with a new master key" cl_stop_one manager
check "the manager starts with both" cl_start_one manager
rewrap() { # the manager may still be electing itself
    local i
    for i in $(seq 20); do cl_adm kms-rewrap && return 0; sleep 0.5; done
    return 1
}
check "kms-rewrap" rewrap
sed -i '/^sse_master_key_previous_file/d' "$CL_DIR/conf/cairn-manager.conf"
check "restart the manager with the new master key alone" cl_stop_one manager
check "the manager starts again" cl_start_one manager
check "everything is running again" cl_wait_running 4 30
run_py after-restart
t_summary
