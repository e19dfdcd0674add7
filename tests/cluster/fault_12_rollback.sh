#!/usr/bin/env bash
# tests/cluster/fault_12_rollback.sh BUILD_DIR: a rebalance that adds a fourth node is rolled
# back (cairn-adm rollback) while batches are moving to it, under a mixed load: the previous
# ring is current again, the nodes walk once more and move the data back, and nothing is
# lost: every acked object reads back (those written to the new node during the move too),
# every key has N identical replicas on the owners of the restored ring, and the abandoned
# node keeps no live copy (issue 23).
# The move is slowed down (cairn-adm rebalance --rate) so that the rollback lands while
# batches are on their way; the moves back run at the adaptive rate.
set -uo pipefail
FC_BUILD=${1:?usage: fault_12_rollback.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

# ring_field FIELD: the manager's ring checksum FIELD (ring_cur, ring_prev)
ring_field() {
    cl_adm --json status 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["manager"][sys.argv[1]])' "$1"
}

fc_setup 4 3
fc_py write --prefix base --threads 8 --count 3000 --size-max 8192 --acked "$CL_DIR/load.acked" >/dev/null
ring3=$(ring_field ring_cur)
fc_load_start load --prefix mixed --threads 4 --read-ratio 0.5
fc_attach_rebalance storage3 300k
# wait until batches reach storage3, then roll back in the middle of the move
fc_wait_objects storage3 200 60
held=$(fc_objects storage3)
expect_eq "the rebalance is still running when it is rolled back" running "$(fc_rebalance_state)"
out=$(cl_adm rollback 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] && t_ok "cairn-adm rollback mid-move (storage3 held $held objects)" || t_bad "rollback failed (rc $rc)" "$out"
expect_eq "the previous ring is current again" "$ring3" "$(ring_field ring_cur)"
check "the moves back go at the adaptive rate" cl_adm --rate 0 rebalance status
fc_wait_rebalance_idle 150
expect_eq "the moves back complete" idle "$(fc_rebalance_state)"
sleep 2
fc_load_stop load
sum=$FC_SUM
expect_eq "every acked object stayed readable (no bad read)" 0 "$(fc_json_get "$sum" bad_reads)"
expect_eq "ring prev is dropped" 0000000000000000 "$(ring_field ring_prev)"
expect_eq "the ring is the one before the rebalance" "$ring3" "$(ring_field ring_cur)"
fc_verify_settled load
expect_eq "storage3, out of the ring again, holds no live object" 0 "$(fc_objects storage3)"
t_summary
