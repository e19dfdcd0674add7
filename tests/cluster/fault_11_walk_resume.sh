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

# storage0's walk: the field of `status storage0` (storage.rebalance)
walk_field() {
    cl_adm --json status storage0 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["storage"]["rebalance"].get(sys.argv[1], 0))' "$1" 2>/dev/null || echo 0
}

fc_setup 4 3
fc_py write --prefix base --threads 8 --count 4000 --size-max 4096 --acked "$CL_DIR/load.acked" >/dev/null
fc_load_start load --prefix mixed --threads 4 --read-ratio 0.5
fc_attach_rebalance storage3 100k
deadline=$((SECONDS + 60))
until [ "$(walk_field scanned)" -ge 400 ]; do
    [ $SECONDS -ge $deadline ] && break
    sleep 0.2
done
scanned=$(walk_field scanned)
expect_eq "storage0 is still walking when it dies" running "$(walk_field state)"
check "SIGKILL storage0 (a sender) mid-walk, after $scanned keys" cl_stop_one storage0 KILL
fc_wait_state storage0 stop 15 && t_ok "storage0 is stop" || t_bad "storage0 is $(fc_state storage0)"
expect_eq "the rebalance waits for storage0" running "$(fc_rebalance_state)"
check "restart storage0" cl_start_one storage0
deadline=$((SECONDS + 30))
until grep -q "scan=rebalance: resumed after" "$CL_DIR/logs/storage0.log" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && break
    sleep 0.3
done
line=$(grep "scan=rebalance: resumed after" "$CL_DIR/logs/storage0.log" | tail -n 1)
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
