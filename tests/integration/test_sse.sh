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

allow_http() {
    printf '[gateway]\nsse_c_allow_http = true\n' | t_conf gateway
}
t_cluster_boot sse 3 --conf allow_http --user alice
t_main_user alice

run_py() { # run_py PHASE: sse.py's checks of PHASE
    t_run_py "$here/sse.py" 300 CAIRN_PHASE="$1"
}

run_py main
t_restart_storage_each 4
run_py after-restart
t_summary
