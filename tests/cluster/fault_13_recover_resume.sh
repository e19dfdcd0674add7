#!/usr/bin/env bash
# tests/cluster/fault_13_recover_resume.sh BUILD_DIR: recover-node of a wiped node, and one
# of the SENDING nodes dies (SIGKILL) in the middle of its recover_node walk, under a mixed
# load. Restarted, it resumes the walk from the target and position saved in its
# repair-queue RocksDB (its log says so) instead of forgetting it, and the recovery
# completes: every acked object reads back, every key has N identical replicas on its cur
# owners, the wiped node's included (issue 23).
# The moves are slowed down (cairn-adm --rate) so that the kill lands mid-walk; the rate is a
# run-time setting, so the restarted node is adaptive again.
set -uo pipefail
FC_BUILD=${1:?usage: fault_13_recover_resume.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

fc_setup 4
fc_py write --prefix base --threads 8 --count 4000 --size-max 4096 --acked "$CL_DIR/load.acked" >/dev/null
# shellcheck disable=SC2046
fc_wait_drained 60 $(fc_storage_names) || t_bad "queues did not drain after the writes"
check "stop storage1" cl_stop_one storage1
rm -rf "$CL_DIR/data/storage1"
check "restart storage1 with an empty data dir" cl_start_one storage1
deadline=$((SECONDS + 60))
until fc_rings_agree; do [ $SECONDS -ge $deadline ] && break; sleep 0.5; done
check "storage1 holds the rings again" fc_rings_agree
fc_load_start load --prefix mixed --threads 4 --read-ratio 0.5
out=$(cl_adm --rate 100k recover-node storage1 2>&1)
expect_match "recover-node starts on the other nodes at 100k bytes/s" "OK: recover-node storage1" "$out"
fc_kill_mid_walk storage0 recover_node
check "restart storage0" cl_start_one storage0
line=$(fc_wait_log storage0 "scan=node target=storage1: resumed after" 30)
echo "$line"
expect_match "storage0 resumes its recover_node walk from the saved position" "resumed after [1-9]" "$line"
check "the moves go on at the adaptive rate" cl_adm --rate 0 rebalance status
deadline=$((SECONDS + 150))
for n in storage0 storage2 storage3; do
    until [ "$(fc_walk_field "$n" recover_node state)" = idle ]; do
        [ $SECONDS -ge $deadline ] && break
        sleep 1
    done
    expect_eq "$n's walk finishes" idle "$(fc_walk_field "$n" recover_node state)"
done
expect_match "storage0's log says so" "scan=node target=storage1 scanned=[0-9]+ queued=[0-9]+: finished" \
    "$(grep 'scan=node target=storage1 scanned=' "$CL_DIR/logs/storage0.log" | tail -n 1)"
sleep 2
fc_load_stop load
expect_eq "every acked object stayed readable (no bad read)" 0 "$(fc_json_get "$FC_SUM" bad_reads)"
fc_verify_settled load
t_summary
