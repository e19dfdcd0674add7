#!/usr/bin/env bash
# tests/cluster/fault_1_kill.sh BUILD_DIR: SIGKILL one of 4 storage nodes during a write load
# with reads; restart it; once the repair queues drain, every replica is identical and
# nothing acked is lost. The killed node is skipped as coordinator while it is down or
# "restarted", and comes back running by itself.
set -uo pipefail
FC_BUILD=${1:?usage: fault_1_kill.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

fc_setup 4
fc_load_start load --prefix kill --threads 8 --read-ratio 0.2
sleep 6
check "SIGKILL storage2 during the load" cl_stop_one storage2 KILL
fc_wait_state storage2 stop 15 && t_ok "the manager marks storage2 stop" || t_bad "storage2 never marked stop"
down=$(cl_adm --json status 2>/dev/null)
sleep 6
check "restart storage2" cl_start_one storage2
st=""
for _ in $(seq 1 20); do
    st=$(fc_state storage2)
    [ "$st" = restarted ] || [ "$st" = running ] && break
    sleep 0.3
done
expect_match "storage2 comes back restarted (or already running)" '^(restarted|running)$' "$st"
sleep 4
fc_load_stop load
sum=$FC_SUM
expect_eq "no read saw wrong bytes during the load" 0 "$(fc_json_get "$sum" bad_reads)"
acked=$(fc_json_get "$sum" acked)
[ "${acked:-0}" -gt 100 ] && t_ok "the load went on through the kill ($acked writes acked)" ||
    t_bad "too few writes acked: $acked"
# shellcheck disable=SC2046
fc_wait_drained 90 $(fc_storage_names) && t_ok "every repair queue drains" || t_bad "queues did not drain"
fc_wait_state storage2 running 30 && t_ok "storage2 is running again by itself" || t_bad "storage2 is $(fc_state storage2)"
check "every acked object reads back and all replicas are identical" fc_verify load --sample 300
t_summary
