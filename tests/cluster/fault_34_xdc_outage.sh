#!/usr/bin/env bash
# tests/cluster/fault_34_xdc_outage.sh BUILD_DIR: a linked cluster down for a minute
# (issue 22, test 2). Two linked clusters A and B, three storage nodes each; a user and a
# bucket made on A reach B. A PUT load on A (2 threads, 50 PUTs a second, 80 s); 10 s into it every daemon of
# B is stopped (TERM) for 60 s, then started again. A's writes go on meanwhile, and its
# journal holds them for B: cluster-status on A shows B's lag growing (the peak is printed)
# and a last error. Once B is back it catches up (the time from B's restart until A's lag
# for B is at most one second of load is printed); after the load A's queue for B drains
# (lag 0, queue 0 bytes), and B then lists the same keys with the same ETags as A,
# every acked PUT of the load readable on B with its MD5.
set -uo pipefail
FC_BUILD=${1:?usage: fault_34_xdc_outage.sh BUILD_DIR}
. "$(dirname "$0")/xdc_lib.sh"

LOAD_S=80 DOWN_AT=10 DOWN_S=60 RATE=50

xc_init
xc_cluster a 3
xc_cluster b 3
xc_link a b
idb=$(xc_id b) || t_abort "no cluster id for B"
xc_user_bucket a xu
t=$(xc_wait_bucket b 30) && t_ok "the user, its key and the bucket made on A serve on B (${t} s)" ||
    t_abort "B does not list the bucket made on A within 30 s"

acked=$XC_ROOT/load.acked
xc_py a load --seconds "$LOAD_S" --threads 2 --rate "$RATE" --prefix out --size 8192 --acked "$acked" \
    >"$XC_ROOT/load.out" 2>&1 &
load_pid=$!
sleep "$DOWN_AT"

xc_use b
b_daemons=$(cl_names | tac)
for d in $b_daemons; do cl_stop_one "$d"; done
t_down=$SECONDS
n_before=$(wc -l <"$acked")
t_ok "every daemon of B stopped ($(echo $b_daemons | wc -w); $n_before PUTs acked on A before)"

# While B is down: A's lag for B grows, and A says what fails.
peak=0 err=""
while [ $((SECONDS - t_down)) -lt "$DOWN_S" ]; do
    lag=$(xc_link_get a "$idb" lag_objects)
    [[ $lag =~ ^[0-9]+$ ]] && [ "$lag" -gt "$peak" ] && peak=$lag
    e=$(xc_link_get a "$idb" last_error)
    [ -n "$e" ] && [ "$e" != none ] && [ "$e" != "?" ] && err=$e
    sleep 2
done
n_down=$(($(wc -l <"$acked") - n_before))
[ "$n_down" -gt 0 ] && t_ok "A took $n_down PUTs while B was down" ||
    t_bad "A acked no PUT while B was down"
[ "$peak" -gt 0 ] && t_ok "cluster-status on A: B's lag grew while B was down (peak $peak objects)" ||
    t_bad "cluster-status on A never showed a lag for B while B was down"
[ -n "$err" ] && t_ok "cluster-status on A: a last error for B while it was down ($err)" ||
    t_bad "cluster-status on A showed no last error for B while it was down"

xc_use b
for d in $(cl_names); do cl_start_one "$d" || t_bad "B's $d does not start again"; done
cl_wait_running 4 30 && t_ok "B is running again (down $((SECONDS - t_down)) s)" ||
    t_bad "B's nodes are not running 30 s after their restart"
t_up=$SECONDS

# Catch-up: from B's restart until A's lag for B is down to what the load adds in a second
# (the load still runs meanwhile, so some changes are always on their way).
catchup="" trace=""
while kill -0 "$load_pid" 2>/dev/null || [ -z "$catchup" ]; do
    lag=$(xc_link_get a "$idb" lag_objects)
    [[ $lag =~ ^[0-9]+$ ]] || lag=""
    trace+=" $((SECONDS - t_up)):${lag:-?}"
    [ -n "$lag" ] && [ "$lag" -gt "$peak" ] && peak=$lag
    if [ -z "$catchup" ] && [ -n "$lag" ] && [ "$lag" -le "$RATE" ]; then
        catchup=$((SECONDS - t_up))
    fi
    [ $((SECONDS - t_up)) -ge 120 ] && break
    sleep 1
done
echo "A's lag for B after B's restart (s:objects):$trace"
wait "$load_pid"
rc=$?
sum=$(tail -n 1 "$XC_ROOT/load.out")
echo "load: $sum"
failed=$(printf '%s' "$sum" | python3 -c 'import json,sys; print(json.load(sys.stdin)["failed"])' 2>/dev/null)
[ "$rc" = 0 ] && [ "$failed" = 0 ] && t_ok "the load on A: $(wc -l <"$acked") PUTs acked, none failed" ||
    t_bad "the load on A: rc $rc, $sum"
[ -n "$catchup" ] && t_ok "B caught up ${catchup} s after its restart: A's lag for B at most $RATE objects (1 s of load; peak $peak)" ||
    t_bad "A's lag for B is not down to $RATE within 120 s of B's restart (peak $peak, now $(xc_link_get a "$idb" lag_objects))"

# Drained: once the load has ended, lag 0 and an empty queue for B on A.
drained() {
    [ "$(xc_link_get a "$idb" lag_objects)" = 0 ] && [ "$(xc_link_get a "$idb" queue_bytes)" = 0 ]
}
t0=$SECONDS
t_eventually 120 drained && t_ok "the queue drains after the load: lag 0, queue 0 bytes for B on A ($((SECONDS - t0)) s after the load ended)" ||
    t_bad "A's queue for B does not drain within 120 s" "$(xc_use a; cl_adm cluster-status)"
out=$(xc_py a compare --other-endpoint "$(xc_endpoint b)" --timeout 60 2>&1) &&
    t_ok "B equals A: $out" || t_bad "B does not equal A" "$out"
out=$(xc_py b wait-keys --acked "$acked" --timeout 30 2>&1) &&
    t_ok "every PUT acked on A reads back on B with its MD5: $out" || t_bad "acked PUTs missing on B" "$out"
xc_use a
cl_adm cluster-status
t_summary
