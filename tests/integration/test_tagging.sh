#!/usr/bin/env bash
# tests/integration/test_tagging.sh BUILD_DIR: S3 tags (issue 16) on a whole cluster (1
# manager, 3 storage nodes, two gateways) with Debian's boto3 (tagging.py): object and bucket
# tagging, x-amz-tagging on PUT, copy and multipart, x-amz-tagging-count, S3's limits and
# errors, who may read and change tags, bucket policies on tags. Then every storage node
# restarts in turn and the tags are read again through both gateways: being the object's
# metadata, they are replicated and repaired with it.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

stop_b() {
    t_gateway_stop gatewayb
}
t_at_exit stop_b

# gateway B: gateway A's configuration on a port of its own
conf_b() {
    conf_b=$tmp/conf/cairn-gatewayb.conf
    t_gateway_conf_copy gatewayb "${T_PORTS[0]}"
}
t_cluster_boot tagging 3 --ports 1 --conf conf_b --user alice
t_main_user alice
t_other_user bob

check "the second gateway starts" t_gateway_start gatewayb "$conf_b" ||
    t_abort "gateway B did not start"
endpoint2=http://127.0.0.1:${T_PORTS[0]}
check "the second gateway answers a signed ListBuckets" t_wait_signed "$endpoint2/"

run_py() { # run_py PHASE: tagging.py's checks of PHASE
    t_run_py "$here/tagging.py" 300 CAIRN_EP2="$endpoint2" CAIRN_PHASE="$1"
}

run_py main
t_restart_storage_each 5
run_py after-restart
t_summary
