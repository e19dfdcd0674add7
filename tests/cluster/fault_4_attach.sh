#!/usr/bin/env bash
# tests/cluster/fault_4_attach.sh BUILD_DIR: attach a fifth node during a mixed load and
# rebalance (cairn-adm rebalance --wait): every acked object stays readable throughout;
# afterwards the new node holds about its share of the replicas, every key has N replicas on
# its cur owners, no other node keeps a copy, and ring checksums match everywhere.
set -uo pipefail
FC_BUILD=${1:?usage: fault_4_attach.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

fc_setup 5 4
fc_py write --prefix base --threads 8 --count 1500 --size-max 8192 --acked "$CL_DIR/load.acked" >/dev/null
fc_load_start load --prefix mixed --threads 6 --read-ratio 0.4
sleep 3
check "start a fifth storage node" cl_start_one storage4
fc_wait_state storage4 attached 20 && t_ok "storage4 registers as attached" || t_bad "storage4 is $(fc_state storage4)"
out=$(timeout 240 "$CL_BIN/manager/adm/cairn-adm" --manager "$FC_ADMIN" rebalance --wait 2>&1)
rc=$?
echo "$out" | tail -n 4
[ $rc -eq 0 ] && t_ok "cairn-adm rebalance --wait finishes" || t_bad "rebalance --wait failed (rc $rc)" "$out"
expect_match "rebalance --wait prints progress lines when not on a terminal" 'rebalance: .*%' "$out"
sleep 2
fc_load_stop load
sum=$FC_SUM
expect_eq "every acked object stayed readable during the rebalance (no bad read)" 0 "$(fc_json_get "$sum" bad_reads)"
expect_eq "no write failed during the rebalance" 0 "$(fc_json_get "$sum" failed)"
st=$(cl_adm --json status)
expect_eq "ring prev is dropped" 0000000000000000 "$(printf '%s' "$st" | python3 -c 'import json,sys; print(json.load(sys.stdin)["manager"]["ring_prev"])')"
expect_eq "the ring has 5 nodes" 5 "$(printf '%s' "$st" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ring"]["nodes"])')"
deadline=$((SECONDS + 15))
until fc_rings_agree; do [ $SECONDS -ge $deadline ] && break; sleep 0.5; done
check "ring checksums match on every node" fc_rings_agree
expect_eq "storage4 is running" running "$(fc_state storage4)"
# shellcheck disable=SC2046
fc_wait_drained 60 $(fc_storage_names) || t_bad "queues did not drain"
out=$(fc_py verify --acked "$CL_DIR/load.acked" --admin "$FC_ADMIN" --threads 8 --sample 400 --exclusive 2>&1)
rc=$?
echo "$out" | tail -n 2
[ $rc -eq 0 ] && t_ok "every acked object reads back; N identical replicas on cur owners; no copy elsewhere" ||
    t_bad "verify failed" "$out"
share=$(printf '%s' "$out" | tail -n 1 | python3 -c '
import json, sys
r = json.load(sys.stdin)
c = r.get("copies_by_node", {})
print("%.3f" % (c.get("storage4", 0) / max(1, sum(c.values()))))')
python3 -c "import sys; sys.exit(0 if 0.12 <= $share <= 0.30 else 1)" &&
    t_ok "storage4 holds about its share of the replicas ($share of the sampled copies, 0.2 ideal)" ||
    t_bad "storage4 holds $share of the sampled copies (0.2 ideal)"
t_summary
