#!/usr/bin/env bash
# tests/cluster/fault_31_ec_attach.sh BUILD_DIR: a seventh node joins an erasure-coded bucket
# (issue 21). Six storage nodes, ec:4+2, the gateway's caches off, 1 MiB chunks; 40 objects of
# 256 KiB-3 MiB, then a load of PUTs (new objects of 256 KiB-2 MiB) and GETs (of every object
# acked so far, bytes checked), one attempt each, while storage6 is attached and the ring
# rebalanced (cairn-adm --rate 1m rebalance: paced, so that the load meets fragments while
# they move; fragment i of a chunk moves to the chunk's new owner i). No request of the load fails. Once the rebalance is over and the repair queues are
# drained, every object reads back, storage6 holds fragments, and every chunk has its 6
# fragments on 6 distinct nodes: by whereis (each "ok" on its owner on the
# current ring), and in the container files after a compaction of every node (which drops
# the records a move left behind), each fragment once.
set -uo pipefail
FC_BUILD=${1:?usage: fault_31_ec_attach.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

fc_ec_setup 7 6
fc_ec_run "40 objects of 256 KiB-3 MiB written" put --prefix base --count 40 --size-min 262144 \
    --size-max 3145728 --threads 4 --log "$CL_DIR/base.log"

fc_bg_start load fc_ec load --prefix live --threads 3 --until "$CL_DIR/load.stop" \
    --log "$CL_DIR/live.log" --base "$CL_DIR/base.log" --size-min 262144 --size-max 2097152 \
    --read-ratio 0.5 --pause 0.2
sleep 3
# moves paced at 1 MB/s per node, so that the load meets the fragments while they move
t0=$SECONDS
fc_attach_rebalance storage6 1m
fc_wait_rebalance_idle 150 && t_ok "the rebalance is over ($((SECONDS - t0)) s under the load)" ||
    t_bad "the rebalance is not idle after 150 s"
deadline=$((SECONDS + 15))
until fc_rings_agree; do [ $SECONDS -ge $deadline ] && break; sleep 0.5; done
check "ring checksums match on every node" fc_rings_agree
sleep 2
fc_bg_stop load
rc=$?
sum=$FC_SUM
expect_eq "no PUT or GET of the load failed or read wrong bytes during the rebalance" 0 "$rc"
[ "$(fc_json_get "$sum" puts)" -gt 10 ] && [ "$(fc_json_get "$sum" gets)" -gt 10 ] &&
    t_ok "the load went on through the rebalance ($(fc_json_get "$sum" puts) PUTs, \
$(fc_json_get "$sum" gets) GETs)" || t_bad "too little load: $sum"

# shellcheck disable=SC2046
fc_wait_drained 90 $(fc_storage_names) && t_ok "every repair queue drains" ||
    t_bad "queues did not drain" "$(for n in $(fc_storage_names); do cl_adm mq-stats "$n"; done 2>&1)"
cat "$CL_DIR/base.log" "$CL_DIR/live.log" >"$CL_DIR/all.log"
fc_ec_run "after the rebalance: all $(wc -l <"$CL_DIR/all.log") objects read back byte for byte" \
    check --log "$CL_DIR/all.log" --threads 4

# the files keep the records a move left behind until a compaction drops them
for n in $(fc_storage_names); do
    cl_adm compact-start "$n" all --wait >/dev/null 2>&1 || t_bad "compact-start $n all failed"
done
fc_ec_run "every chunk has its 6 fragments on 6 distinct nodes, each fragment once" \
    frags --log "$CL_DIR/all.log" --data "$(fc_data_dirs)" --chunk-size 1048576 \
    --admin "$FC_ADMIN" --owners
held=$(printf '%s' "$FC_REPORT" | python3 -c '
import json, sys
print(json.load(sys.stdin)["fragments_by_node"].get("storage6", 0))' 2>/dev/null)
[ "${held:-0}" -gt 0 ] && t_ok "storage6 holds fragments after the rebalance ($held)" ||
    t_bad "storage6 holds no fragment after the rebalance"
t_summary
