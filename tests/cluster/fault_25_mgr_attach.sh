#!/usr/bin/env bash
# tests/cluster/fault_25_mgr_attach.sh BUILD_DIR: a group of 3 managers (issue 14, fault 5).
# A storage node is started while the leader is SIGKILLed (it registers during the
# election), then rebalanced in, and the new leader is SIGKILLed again while the rebalance
# runs. The rebalance completes exactly once with one ring: every manager and every storage
# node holds the same ring of 4 nodes, prev is dropped, a second rebalance finds nothing to
# do, and every acked object reads back from its owners.
set -uo pipefail
FC_BUILD=${1:?usage: fault_25_mgr_attach.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

FC_MANAGERS=3 fc_setup 4 3
fc_py write --prefix base --threads 6 --count 800 --size-max 8192 --acked "$CL_DIR/load.acked" >/dev/null
fc_load_start load --prefix at --threads 4 --read-ratio 0.3
l=$(cl_mgr_leader) || t_abort "no manager leads"
check "SIGKILL the leader ($l)" cl_stop_one "$l" KILL
check "start storage3 during the election" cl_start_one storage3
fc_wait_state storage3 attached 30 && t_ok "storage3 registers as attached with the new leader" ||
    t_bad "storage3 is $(fc_state storage3)"
check "restart $l" cl_start_one "$l"
cl_adm rebalance >"$CL_DIR/rebalance.out" 2>&1
rc=$?
cat "$CL_DIR/rebalance.out"
expect_eq "cairn-adm rebalance starts it" 0 "$rc"
l2=$(cl_mgr_leader) || t_abort "no manager leads"
check "SIGKILL the leader ($l2) while the rebalance runs" cl_stop_one "$l2" KILL
nl=$(cl_wait_mgr_leader 15 "$l2") || t_abort "no new leader within 15 s"
t_ok "$nl leads and carries the rebalance on"
check "restart $l2" cl_start_one "$l2"
done_rebalance() {
    cl_adm --json status 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if s["manager"]["ring_prev"] == "0" * 16 and s["ring"]["nodes"] == 4 else 1)'
}
deadline=$((SECONDS + 120))
until done_rebalance || [ $SECONDS -ge $deadline ]; do sleep 1; done
check "the rebalance completes: 4 nodes in the ring, prev dropped" done_rebalance
rings=""
for m in $(cl_managers); do
    deadline=$((SECONDS + 15))
    until r=$(cl_in client curl -s -m 5 ${CL_TOKEN:+-H "Authorization: Bearer $CL_TOKEN"} \
        "http://$(cl_mgr_admin "$m")/v1/status" | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(s["manager"]["ring_cur"] + "/" + s["manager"]["ring_prev"])' 2>/dev/null) &&
        [[ $r == */0000000000000000 ]]; do
        [ $SECONDS -ge $deadline ] && break
        sleep 0.5
    done
    rings+="$r "
done
expect_eq "every manager holds one ring, prev dropped" 1 "$(echo $rings | tr ' ' '\n' | sort -u | grep -c /0000000000000000)"
deadline=$((SECONDS + 15))
until fc_rings_agree; do [ $SECONDS -ge $deadline ] && break; sleep 0.5; done
check "every storage node holds the managers' ring" fc_rings_agree
out=$(cl_adm rebalance 2>&1)
rc=$?
echo "     a second rebalance: $out"
expect_eq "a second rebalance finds nothing to do" 1 "$rc"
fc_load_stop load
expect_eq "no PUT failed" 0 "$(fc_json_get "$FC_SUM" failed)"
expect_eq "no read saw wrong bytes" 0 "$(fc_json_get "$FC_SUM" bad_reads)"
# shellcheck disable=SC2046
fc_wait_drained 60 $(fc_storage_names) || t_bad "queues did not drain"
check "every acked object reads back; N identical replicas on cur owners; no copy elsewhere" \
    fc_verify load --sample 300 --exclusive
t_summary
