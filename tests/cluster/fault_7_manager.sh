#!/usr/bin/env bash
# tests/cluster/fault_7_manager.sh BUILD_DIR: restart the manager during a load: data traffic
# goes on while it is down (writes keep being acked), the nodes and the gateway reconnect by
# themselves and show running with matching ring checksums.
set -uo pipefail
FC_BUILD=${1:?usage: fault_7_manager.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

fc_setup 4
fc_load_start load --prefix mgr --threads 8 --read-ratio 0.3
sleep 3
check "stop the manager (SIGTERM)" cl_stop_one manager
before=$(wc -l <"$CL_DIR/load.acked")
sleep 6
after=$(wc -l <"$CL_DIR/load.acked")
[ "$after" -gt $((before + 50)) ] && t_ok "writes go on while the manager is down ($((after - before)) acked in 6 s)" ||
    t_bad "writes stalled while the manager was down ($before -> $after)"
check "start the manager again" cl_start_one manager
cl_wait_running 5 30 && t_ok "every storage node and the gateway reconnect (running)" ||
    t_bad "nodes did not come back" "$(cl_adm status 2>&1)"
deadline=$((SECONDS + 15))
until fc_rings_agree; do [ $SECONDS -ge $deadline ] && break; sleep 0.5; done
check "ring checksums match everywhere" fc_rings_agree
sleep 2
fc_load_stop load
expect_eq "no read saw wrong bytes" 0 "$(fc_json_get "$FC_SUM" bad_reads)"
expect_eq "no write failed" 0 "$(fc_json_get "$FC_SUM" failed)"
# shellcheck disable=SC2046
fc_wait_drained 60 $(fc_storage_names) || t_bad "queues did not drain"
check "every acked object reads back, replicas identical" fc_verify load --sample 300
t_summary
