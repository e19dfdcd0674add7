#!/usr/bin/env bash
# tests/cluster/fault_39_xdc_kill.sh BUILD_DIR: nodes killed in the middle of replication
# (issue 22: the change journal is new state, and every new kind of state gets a fault test
# with a node killed). Two linked clusters A and B, three storage nodes each, a PUT load on A
# (2 threads, 40 s). 8 s into it, A's storage1 is SIGKILLed (its journal entries of acked
# PUTs must survive: they are in the same RocksDB batch as the write, and crash recovery
# journals every record again that carries the bit) and started again 6 s later; then B's
# storage2, a receiver, is SIGKILLed and started again (A's senders retry, the remote's
# coordinators take its keys). When the load is over, A's queue for B drains and B equals
# A: every PUT acked on A reads back on B with its MD5. Then, idle and trimmed, A's nodes are
# restarted and the PUTs made right after reach B too.
set -uo pipefail
FC_BUILD=${1:?usage: fault_39_xdc_kill.sh BUILD_DIR}
. "$(dirname "$0")/xdc_lib.sh"

xc_init
xc_cluster a 3
xc_cluster b 3
xc_link a b
idb=$(xc_id b) || t_abort "no cluster id for B"
xc_user_bucket a xu
t=$(xc_wait_bucket b 30) && t_ok "the user and the bucket made on A serve on B (${t} s)" ||
    t_abort "B does not list the bucket made on A within 30 s"

acked=$XC_ROOT/load.acked
xc_py a load --seconds 40 --threads 2 --rate 60 --prefix kill --size 4096 --acked "$acked" \
    >"$XC_ROOT/load.out" 2>&1 &
load_pid=$!

sleep 8
xc_use a
cl_stop_one storage1 KILL
t_ok "A's storage1 SIGKILLed under the load ($(wc -l <"$acked") PUTs acked so far)"
sleep 6
cl_start_one storage1 && t_ok "A's storage1 started again" || t_bad "A's storage1 does not start again"
sleep 6
xc_use b
cl_stop_one storage2 KILL
t_ok "B's storage2 SIGKILLed while A sends ($(wc -l <"$acked") PUTs acked on A so far)"
sleep 6
cl_start_one storage2 && t_ok "B's storage2 started again" || t_bad "B's storage2 does not start again"

wait "$load_pid"
rc=$?
sum=$(tail -n 1 "$XC_ROOT/load.out")
n=$(wc -l <"$acked")
[ "$n" -gt 500 ] && t_ok "the load on A: $n PUTs acked ($sum)" || t_bad "the load on A acked only $n PUTs (rc $rc, $sum)"

drained() { [ "$(xc_link_get a "$idb" lag_objects)" = 0 ]; }
t0=$SECONDS
t_eventually 120 drained && t_ok "A's queue for B drains after the load ($((SECONDS - t0)) s)" ||
    t_bad "A's queue for B does not drain within 120 s" "$(xc_use a; cl_adm cluster-status)"
out=$(xc_py b wait-keys --acked "$acked" --timeout 60 2>&1) &&
    t_ok "every PUT acked on A reads back on B with its MD5: $out" || t_bad "acked PUTs missing on B" "$out"
out=$(xc_py a compare --other-endpoint "$(xc_endpoint b)" --timeout 60 2>&1) &&
    t_ok "B equals A: $out" || t_bad "B does not equal A" "$out"

# Caught up and idle, the journals trimmed: a node restarted then must journal and send what
# it takes right after its start, before and after it hears of the links again (the journal
# keeps its newest entry, so its seqs go on above the cursor).
sleep 3
xc_use a
for n in storage0 storage1 storage2; do
    cl_stop_one "$n" && cl_start_one "$n" || t_bad "A's $n does not restart"
done
after=$XC_ROOT/after.acked
out=$(xc_py a put --keys 60 --prefix after-restart --size 2000 --acked "$after" 2>&1) ||
    t_bad "PUTs on A right after its nodes restarted" "$out"
out=$(xc_py b wait-keys --acked "$after" --timeout 60 2>&1) &&
    t_ok "60 PUTs taken right after A's nodes restarted (idle, trimmed journals) reach B: $out" ||
    t_bad "PUTs made after A's restart are missing on B" "$out"
t_summary
