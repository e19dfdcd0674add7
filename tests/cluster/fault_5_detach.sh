#!/usr/bin/env bash
# tests/cluster/fault_5_detach.sh BUILD_DIR: detach a node and rebalance during a load: N
# replicas again for every key, on live nodes only; the detached node keeps serving until the
# move is done, then holds no copy any more and stays "detached" outside the ring.
set -uo pipefail
FC_BUILD=${1:?usage: fault_5_detach.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

fc_setup 5
fc_py write --prefix base --threads 8 --count 800 --size-max 8192 --acked "$CL_DIR/load.acked" >/dev/null
fc_load_start load --prefix mixed --threads 4 --read-ratio 0.4
sleep 2
out=$(cl_adm rebalance 2>&1)
expect_match "rebalance with nothing to change is refused" 'nothing to rebalance' "$out"
check "cairn-adm detach storage2" cl_adm detach storage2
out=$(timeout 240 "$CL_BIN/manager/adm/cairn-adm" --manager "$FC_ADMIN" rebalance --wait 2>&1)
rc=$?
echo "$out" | tail -n 3
[ $rc -eq 0 ] && t_ok "cairn-adm rebalance --wait finishes" || t_bad "rebalance --wait failed (rc $rc)" "$out"
sleep 2
fc_load_stop load
sum=$FC_SUM
expect_eq "every acked object stayed readable (no bad read)" 0 "$(fc_json_get "$sum" bad_reads)"
expect_eq "no write failed" 0 "$(fc_json_get "$sum" failed)"
st=$(cl_adm --json status)
expect_eq "the ring has 4 nodes" 4 "$(printf '%s' "$st" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ring"]["nodes"])')"
expect_eq "storage2 stays detached" detached "$(fc_state storage2)"
deadline=$((SECONDS + 15))
until fc_rings_agree; do [ $SECONDS -ge $deadline ] && break; sleep 0.5; done
check "ring checksums match on every node" fc_rings_agree
# shellcheck disable=SC2046
fc_wait_drained 60 $(fc_storage_names) || t_bad "queues did not drain"
out=$(fc_py verify --acked "$CL_DIR/load.acked" --admin "$FC_ADMIN" --threads 8 --sample 400 \
    --exclusive --live storage0,storage1,storage3,storage4 2>&1)
rc=$?
echo "$out" | tail -n 2
[ $rc -eq 0 ] && t_ok "N identical replicas of every sampled key on live nodes; storage2 holds none" ||
    t_bad "verify failed" "$out"
check "stop the detached node" cl_stop_one storage2
out=$(fc_py verify --acked "$CL_DIR/load.acked" --threads 8 2>&1)
[ $? -eq 0 ] && t_ok "every acked object reads back without storage2" || t_bad "reads fail without storage2" "$out"
t_summary
