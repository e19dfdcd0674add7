#!/usr/bin/env bash
# tests/integration/test_cond_write.sh BUILD_DIR: conditional writes and deletes (issue 16) on a
# whole cluster (1 manager, 3 storage nodes, two gateways: the harness's and a second one
# started here on the same manager) with Debian's boto3 (cond_write.py): If-None-Match and
# If-Match on PutObject and CompleteMultipartUpload, conditional DeleteObject, 409, 501 in
# versioned buckets; concurrent If-None-Match: * writers through both gateways (exactly one
# wins); then storage0 is killed: the conditional writes of the keys it is the first owner of
# answer 503 while plain writes work, until the manager reports it down and the next owner
# decides.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

slow_monitor() { # the manager reports a silent node down after 20 s (time for phase down)
    printf '[cluster]\nnode_timeout_ms = 20000\n' | t_conf manager
}
t_cluster_boot cond 3 --ports 1 --conf slow_monitor --user carol
t_main_user carol
state=$tmp/cond-state.json

# a second gateway beside the harness's: its own name, S3 port, temp dir and log
gw2_conf=$CL_DIR/conf/cairn-gateway1.conf
sed -e 's/^name = gateway0$/name = gateway1/' \
    -e "s|^s3_listen = \(.*\):[0-9]*$|s3_listen = \1:${T_PORTS[0]}|" \
    -e 's/^rest_enabled = .*/rest_enabled = false/' \
    -e 's/^metrics_listen = \(.*\):[0-9]*$/metrics_listen = \1:0/' \
    -e "s|^tmp_dir = .*|tmp_dir = $CL_DIR/data/gateway1|" \
    -e "s|^file = .*|file = $CL_DIR/logs/gateway1.log|" \
    "$CL_DIR/conf/cairn-gateway.conf" >"$gw2_conf"
mkdir -p "$CL_DIR/data/gateway1"
setsid "$build/gateway/cairn-gateway" -c "$gw2_conf" --port-file "$CL_DIR/run/gateway1.port" \
    </dev/null >>"$CL_DIR/logs/gateway1.out" 2>&1 &
gw2_pid=$!
stop_gw2() {
    kill -TERM "$gw2_pid" 2>/dev/null && wait "$gw2_pid" 2>/dev/null
}
t_at_exit stop_gw2
endpoint2=http://$(cl_addr gateway):${T_PORTS[0]}
check "the second gateway accepts signed requests" t_wait_signed "$endpoint2/" ||
    t_abort "no second gateway"
check "both gateways and 3 storage nodes are running" cl_wait_running 5 30

run_py() { # run_py PHASE [LIMIT]
    t_run_py "$here/cond_write.py" "${2:-300}" CAIRN_PHASE="$1" CAIRN_STATE="$state" \
        CAIRN_EP2="$endpoint2"
}

run_py main
run_py race 600
check "kill storage0" cl_stop_one storage0 KILL
run_py down 60
reported_down() {
    cl_adm --json status 2>/dev/null | python3 -c 'import json,sys; sys.exit(0 if any(
        n["name"] == "storage0" and n["state"] == "stop" for n in json.load(sys.stdin)["nodes"])
        else 1)'
}
deadline=$((SECONDS + 60))
until reported_down || [ $SECONDS -ge $deadline ]; do sleep 0.5; done
check "the manager reports storage0 stopped" reported_down
sleep 2 # a heartbeat reply brings the down list to both gateways and the storage nodes
run_py reported 60
check "storage0 starts again" cl_start_one storage0
t_summary
