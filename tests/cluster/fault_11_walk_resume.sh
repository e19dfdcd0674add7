#!/usr/bin/env bash
# tests/cluster/fault_11_walk_resume.sh BUILD_DIR: a SENDING node dies (SIGKILL) in the middle
# of its streaming rebalance walk, under a mixed load. Restarted, it resumes the walk from the
# position saved in its repair-queue RocksDB (its log says so) instead of walking from the
# start, and the rebalance completes: every acked object reads back, every key has N identical
# replicas on its cur owners and no copy elsewhere (issue 23).
# The move is slowed down (cairn-adm rebalance --rate) so that the kill lands mid-walk; the
# rate is a run-time setting, so the restarted node is adaptive again.
set -uo pipefail
FC_BUILD=${1:?usage: fault_11_walk_resume.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

fc_setup 4 3
fc_py write --prefix base --threads 8 --count 4000 --size-max 4096 --acked "$CL_DIR/load.acked" >/dev/null
fc_load_start load --prefix mixed --threads 4 --read-ratio 0.5
fc_attach_rebalance storage3 100k
fc_kill_mid_walk storage0 rebalance
expect_eq "the rebalance waits for storage0" running "$(fc_rebalance_state)"
check "restart storage0" cl_start_one storage0
line=$(fc_wait_log storage0 "scan=rebalance: resumed after" 30)
echo "$line"
expect_match "storage0 resumes its walk from the saved position" "resumed after [1-9]" "$line"
check "the moves go on at the adaptive rate" cl_adm --rate 0 rebalance status
fc_wait_rebalance_idle 150
expect_eq "the rebalance completes after the restart" idle "$(fc_rebalance_state)"
sleep 2
fc_load_stop load
expect_eq "every acked object stayed readable (no bad read)" 0 "$(fc_json_get "$FC_SUM" bad_reads)"
fc_verify_settled load
t_summary
