#!/usr/bin/env bash
# tests/integration/test_cors.sh BUILD_DIR: CORS (issue 17) on a whole cluster (1 manager, 3
# storage nodes, two gateways with a virtual-host domain) with Debian's boto3 and raw HTTP
# (cors.py): Put/Get/DeleteBucketCors and S3's errors, preflights on bucket and object paths,
# path-style and virtual-host, the headers of actual requests (errors too), the rules read by
# the second gateway. Then the manager and the second gateway restart and the rules are read
# again through both gateways: they are the manager's replicated state, not a gateway's.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

domain=s3.cors.test

stop_b() {
    t_gateway_stop gatewayb
}
t_at_exit stop_b

# both gateways route <bucket>.$domain; gateway B: gateway A's configuration on a port of its own
conf_b() {
    printf '[gateway]\ndomain = %s\n' "$domain" | t_conf gateway
    conf_b=$tmp/conf/cairn-gatewayb.conf
    t_gateway_conf_copy gatewayb "${T_PORTS[0]}"
}
t_cluster_boot cors 3 --ports 1 --conf conf_b --user alice
t_main_user alice
t_other_user bob

check "the second gateway starts" t_gateway_start gatewayb "$conf_b" ||
    t_abort "gateway B did not start"
endpoint2=http://127.0.0.1:${T_PORTS[0]}
check "the second gateway answers a signed ListBuckets" t_wait_signed "$endpoint2/"

run_py() { # run_py PHASE: cors.py's checks of PHASE
    t_run_py "$here/cors.py" 300 CAIRN_EP2="$endpoint2" CAIRN_DOMAIN="$domain" CAIRN_PHASE="$1"
}

run_py main
check "stop the manager" cl_stop_one manager
check "start the manager again" cl_start_one manager
# gateway B starts afresh: the rules it serves can only come from the restarted manager
check "stop the second gateway" t_gateway_stop gatewayb
check "the second gateway starts again" t_gateway_start gatewayb "$conf_b"
check "the second gateway answers again" t_wait_signed "$endpoint2/"
run_py after-restart
t_summary
