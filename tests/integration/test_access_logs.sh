#!/usr/bin/env bash
# tests/integration/test_access_logs.sh BUILD_DIR: server access logs (issue 18) on a whole
# cluster (1 manager, 3 storage nodes, a gateway with log_flush_ms = 2 s) with Debian's boto3
# (access_logs.py): Put/GetBucketLogging and S3's target checks; a PUT, a GET, a 404 and an
# anonymous 403 delivered as S3 access log lines, in log objects named as S3 names them and
# owned by the target bucket's owner. Then requests made right before a clean stop (TERM) of
# the gateway: their records wait in its queue on disk and are delivered after the restart.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

short_flush() {
    t_conf gateway <<'CONF'
[gateway]
log_flush_ms = 2000
CONF
}
t_cluster_boot accesslogs 3 --conf short_flush --user alice
t_main_user alice
t_other_user bob

state=$tmp/access_logs.state
run_py() { # run_py PHASE: access_logs.py's checks of PHASE
    t_run_py "$here/access_logs.py" 180 CAIRN_PHASE="$1" CAIRN_STATE="$state"
}

run_py main
run_py before-restart
check "stop the gateway cleanly right after the requests" cl_stop_one gateway
queued=$(cat "$tmp"/data/gateway/access-log-queue/*.q 2>/dev/null | wc -c)
expect_match "their records wait in the queue on disk" '^[1-9][0-9]*$' "$queued"
check "the gateway starts again" cl_start_one gateway
check "it answers a signed ListBuckets" t_wait_signed
run_py after-restart
maddr=$(awk '$1 == "metrics" {print $2}' "$tmp/run/gateway.port" 2>/dev/null)
metrics=$(curl -s "http://$maddr/metrics" 2>/dev/null)
expect_match "the delivered records are counted (/metrics)" \
    'cairn_gateway_access_log_records_delivered_total [1-9]' "$metrics"
t_summary
