#!/usr/bin/env bash
# tests/cluster/fault_40_xdc_bound.sh BUILD_DIR: the journal's bound (issue 22, "a remote
# down ... with bounded disk use, an alarm in /metrics and in status, and a clear policy when
# the bound is reached"). A's storage nodes keep at most [xdc] journal_max = 1000 entries
# behind a link. With every daemon of B stopped, a PUT load on A goes well past that: A's
# writes are never refused or slowed for B, cluster-status on A says the link needs
# recover-cluster, and A's storage nodes' /metrics raise cairn_storage_xdc_needs_recover for
# B. B started again, A sends what its journals still hold (lag 0 again); the skipped keys
# are missing on B until recover-cluster on A toward B, after which B equals A and the
# alarm is gone.
set -uo pipefail
FC_BUILD=${1:?usage: fault_40_xdc_bound.sh BUILD_DIR}
. "$(dirname "$0")/xdc_lib.sh"

xc_init
XC_STORAGE_CONF=$'[xdc]\njournal_max = 1000' xc_cluster a 3
xc_cluster b 3
xc_link a b
idb=$(xc_id b) || t_abort "no cluster id for B"
xc_user_bucket a xu
t=$(xc_wait_bucket b 30) && t_ok "the user and the bucket made on A serve on B (${t} s)" ||
    t_abort "B does not list the bucket made on A within 30 s"

xc_use b
for d in $(cl_names | tac); do cl_stop_one "$d"; done
t_ok "every daemon of B stopped"

acked=$XC_ROOT/load.acked
out=$(xc_py a load --seconds 20 --threads 4 --prefix bound --size 256 --acked "$acked" 2>&1)
n=$(wc -l <"$acked")
failed=$(printf '%s' "$out" | tail -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["failed"])' 2>/dev/null)
[ "$n" -gt 3600 ] && [ "$failed" = 0 ] &&
    t_ok "A takes $n PUTs with B down, none refused (past 3 x journal_max)" ||
    t_bad "A's load with B down: $n acked, failed ${failed:-?} (want > 3600, 0)" "$out"

alarm() { [ "$(xc_link_get a "$idb" needs_recover)" = True ] || [ "$(xc_link_get a "$idb" needs_recover)" = true ]; }
t_eventually 20 alarm && t_ok "cluster-status on A: the link to B needs recover-cluster" ||
    t_bad "cluster-status on A shows no needs_recover for B" "$(xc_use a; cl_adm cluster-status)"
xc_use a
raised=0
for i in 0 1 2; do
    m=$(awk '$1 == "metrics" { print $2 }' "$CL_DIR/run/storage$i.port")
    v=$(curl -s "http://$m/metrics" | awk -v l="link=\"$idb\"" 'index($0, "cairn_storage_xdc_needs_recover{") == 1 && index($0, l) { print $2 }')
    [ "$v" = 1 ] && raised=$((raised + 1))
done
[ "$raised" -ge 1 ] && t_ok "/metrics on A: cairn_storage_xdc_needs_recover = 1 for B on $raised of 3 nodes" ||
    t_bad "/metrics on A: no node raises cairn_storage_xdc_needs_recover for B"
cl_adm cluster-status | grep -q "needs recover-cluster" && t_ok "cairn-adm cluster-status says 'needs recover-cluster'" ||
    t_bad "cairn-adm cluster-status does not say it" "$(cl_adm cluster-status)"

xc_use b
for d in $(cl_names); do cl_start_one "$d" || t_bad "B's $d does not start again"; done
cl_wait_running 4 30 || t_bad "B's nodes are not running 30 s after their restart"
drained() { [ "$(xc_link_get a "$idb" lag_objects)" = 0 ]; }
t0=$SECONDS
t_eventually 120 drained && t_ok "B back: A sends what its journals kept, lag 0 ($((SECONDS - t0)) s)" ||
    t_bad "A's lag for B is not 0 within 120 s" "$(xc_use a; cl_adm cluster-status)"
out=$(xc_py a compare --other-endpoint "$(xc_endpoint b)" --timeout 5 2>&1) &&
    t_bad "B equals A without recover-cluster: nothing was skipped?" "$out" ||
    t_ok "before recover-cluster B lacks the skipped keys: $(printf '%s' "$out" | head -n 1)"
xc_use a
out=$(cl_adm recover-cluster "$idb" 2>&1) && t_ok "recover-cluster on A toward B: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-300)" ||
    t_bad "recover-cluster on A toward B failed" "$out"
out=$(xc_py a compare --other-endpoint "$(xc_endpoint b)" --timeout 60 2>&1) &&
    t_ok "after recover-cluster B equals A: $out" || t_bad "B does not equal A after recover-cluster" "$out"
quiet() { ! alarm; }
t_eventually 15 quiet && t_ok "recover-cluster cleared the alarm: cluster-status no longer asks for it" ||
    t_bad "cluster-status still says needs recover-cluster after it ran" "$(xc_use a; cl_adm cluster-status)"
out=$(xc_py b wait-keys --acked "$acked" --timeout 30 2>&1) &&
    t_ok "every PUT acked on A reads back on B with its MD5" || t_bad "acked PUTs missing on B" "$out"
t_summary
