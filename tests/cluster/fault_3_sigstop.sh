#!/usr/bin/env bash
# tests/cluster/fault_3_sigstop.sh BUILD_DIR: SIGSTOP a node for 20 s during a load (a hung
# peer, not a dead one), then SIGCONT: no request attempt waits longer than the gateway's RPC
# timeout (plus a little scheduling slack), the load goes on, and the node catches up.
set -uo pipefail
FC_BUILD=${1:?usage: fault_3_sigstop.sh BUILD_DIR}
FC_RPC_TIMEOUT_MS=3000
. "$(dirname "$0")/lib.sh"

fc_setup 4
fc_load_start load --prefix hung --threads 8 --read-ratio 0.2
sleep 4
pid=$(cat "$CL_DIR/run/storage3.pid")
check "SIGSTOP storage3" kill -STOP "$pid"
fc_wait_state storage3 stop 15 && t_ok "the manager marks the hung storage3 stop" || t_bad "storage3 is $(fc_state storage3)"
sleep 16
check "SIGCONT storage3 after 20 s" kill -CONT "$pid"
sleep 5
fc_load_stop load
sum=$FC_SUM
expect_eq "no read saw wrong bytes" 0 "$(fc_json_get "$sum" bad_reads)"
expect_eq "no write failed" 0 "$(fc_json_get "$sum" failed)"
max=$(fc_json_get "$sum" max_s)
python3 -c "import sys; sys.exit(0 if float('$max') <= $FC_RPC_TIMEOUT_MS / 1000 + 1.0 else 1)" &&
    t_ok "the slowest request took ${max}s (RPC timeout $((FC_RPC_TIMEOUT_MS / 1000))s)" ||
    t_bad "a request took ${max}s, longer than the RPC timeout"
# shellcheck disable=SC2046
fc_wait_drained 90 $(fc_storage_names) && t_ok "the repair queues drain" || t_bad "queues did not drain"
fc_wait_state storage3 running 30 && t_ok "storage3 is running again by itself" || t_bad "storage3 is $(fc_state storage3)"
check "every acked object reads back and all replicas are identical" fc_verify load --sample 300
t_summary
