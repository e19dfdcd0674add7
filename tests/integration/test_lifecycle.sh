#!/usr/bin/env bash
# tests/integration/test_lifecycle.sh BUILD_DIR: lifecycle rules applied by the storage nodes'
# workers (issue 18; storage/cluster/lifecycle.c) on a whole cluster (1 manager, 3 storage
# nodes, 1 gateway) with a short day ([lifecycle] day_seconds = 2, a pass every 300 ms) and
# Debian's boto3 (lifecycle.py): expiration by days (objects of one record and chunked ones:
# their chunks go too) and by date, noncurrent versions, expired object delete markers,
# incomplete multipart uploads aborted with their parts; the worker's line in cairn-adm status
# and its /metrics. Then a storage node is restarted while its worker is in a pass (a low
# rate keeps it busy): it resumes from its saved position and every object still expires.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

short_day() {
    local n
    for n in 0 1 2; do
        printf '[lifecycle]\nday_seconds = 2\ninterval_ms = 300\nrate = %s\n' \
            "${LC_RATE:-2000}" | t_conf "storage$n"
    done
    printf '[lifecycle]\nday_seconds = 2\n[gateway]\nchunk_size = 1048576\n' | t_conf gateway
}
t_cluster_boot lifecycle 3 --conf short_day --user alice
t_main_user alice

run_py() { # run_py PHASE: lifecycle.py's checks of PHASE
    t_run_py "$here/lifecycle.py" 300 CAIRN_PHASE="$1"
}
run_py main

st=$(cl_adm status storage0 2>&1)
expect_match "cairn-adm status shows the lifecycle worker" 'lifecycle worker +\| (idle|running) \(passes [1-9]' "$st"
total=0
for n in 0 1 2; do
    v=$(cl_adm --json status "storage$n" | python3 -c 'import json,sys; l=json.load(sys.stdin)["storage"]["lifecycle"]; print(l["expired"] + l["versions_deleted"] + l["markers_deleted"] + l["uploads_aborted"])' 2>/dev/null || echo 0)
    total=$((total + v))
done
[ "$total" -gt 0 ] && t_ok "the workers' counters add up to $total actions" ||
    t_bad "the workers report their actions in cairn-adm status --json" "$total"
mport=$(awk '$1 == "metrics" { sub(/.*:/, "", $2); print $2 }' "$tmp/run/storage0.port" 2>/dev/null)
if [ -n "$mport" ]; then
    expect_match "/metrics has cairn_storage_lifecycle_actions" 'cairn_storage_lifecycle_actions\{action="expired"\}' \
        "$(curl -s "http://127.0.0.1:$mport/metrics")"
fi

# a node restarted mid-pass: a slow worker, many objects to expire, a restart, all expire
run_py restart-fill
for n in 0 1 2; do
    printf '[lifecycle]\nrate = 20\n' | t_conf "storage$n"
done
check "restart storage1 with a slow worker" cl_stop_one storage1
check "storage1 starts again" cl_start_one storage1
sleep 2
check "restart storage1 mid-pass" cl_stop_one storage1
check "storage1 starts again (resuming)" cl_start_one storage1
check "the nodes run" cl_wait_running 4 30
run_py restart-check
if grep -q 'lifecycle: resuming a pass' "$tmp/logs/storage1.log"; then
    t_ok "storage1's worker resumed its pass from the saved position"
else
    t_bad "storage1's worker resumed its pass" "$(grep -i lifecycle "$tmp/logs/storage1.log" | tail -5)"
fi
t_summary
