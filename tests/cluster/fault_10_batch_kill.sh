#!/usr/bin/env bash
# tests/cluster/fault_10_batch_kill.sh BUILD_DIR: the receiving node of a batched move dies
# (SIGKILL) in the middle of a rebalance that moves keys to it, under a mixed load: nothing
# is lost, and the move completes after its restart: every acked object reads back, every
# key has N identical replicas on its cur owners and no copy elsewhere (issue 23).
# The move is slowed down (cairn-adm rebalance --rate) so that the kill lands while batches
# are on their way; the rate is a run-time setting, so the restarted node is adaptive again.
set -uo pipefail
FC_BUILD=${1:?usage: fault_10_batch_kill.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

fc_setup 4 3
fc_py write --prefix base --threads 8 --count 3000 --size-max 8192 --acked "$CL_DIR/load.acked" >/dev/null
fc_load_start load --prefix mixed --threads 4 --read-ratio 0.5
fc_attach_rebalance storage3 300k
expect_match "cairn-adm --rate reports each node's rate" 'storage0 moves at 300k' "$FC_REBAL_OUT"
# wait until batches reach storage3, then kill it in the middle of the move
fc_wait_objects storage3 200 60
expect_eq "the rebalance is still running when storage3 dies" running "$(fc_rebalance_state)"
check "SIGKILL storage3 (the receiver) mid-move" cl_stop_one storage3 KILL
fc_wait_state storage3 stop 15 && t_ok "storage3 is stop" || t_bad "storage3 is $(fc_state storage3)"
sleep 2
expect_eq "the rebalance waits for storage3" running "$(fc_rebalance_state)"
check "restart storage3" cl_start_one storage3
deadline=$((SECONDS + 30))
until [ "$(fc_state storage3)" != stop ]; do [ $SECONDS -ge $deadline ] && break; sleep 0.3; done
check "the moves go on at the adaptive rate" cl_adm --rate 0 rebalance status
fc_wait_rebalance_idle 150
expect_eq "the rebalance completes after the restart" idle "$(fc_rebalance_state)"
sleep 2
fc_load_stop load
sum=$FC_SUM
expect_eq "every acked object stayed readable (no bad read)" 0 "$(fc_json_get "$sum" bad_reads)"
fc_verify_settled load
t_summary
