#!/usr/bin/env bash
# tests/cluster/fault_2_catchup.sh BUILD_DIR: stop a node, write 5,000 objects and delete
# 1,000 older ones, restart it: it catches up by itself (hinted handoff, no command), no
# deleted object comes back, and every replica of a sample is identical.
set -uo pipefail
FC_BUILD=${1:?usage: fault_2_catchup.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

fc_setup 4
fc_py write --prefix old --threads 8 --count 1500 --size-max 4096 --acked "$CL_DIR/all.acked" >"$CL_DIR/old.sum" ||
    t_bad "writing the first 1,500 objects" "$(cat "$CL_DIR/old.sum")"
check "stop storage1 (SIGTERM)" cl_stop_one storage1
fc_wait_state storage1 stop 15 && t_ok "storage1 is stop" || t_bad "storage1 is $(fc_state storage1)"
out=$(fc_py write --prefix new --threads 8 --count 5000 --size-max 4096 --acked "$CL_DIR/all.acked")
echo "write: $out"
[ "$(fc_json_get "$out" acked)" -ge 5000 ] && t_ok "5,000 objects written while storage1 is down" ||
    t_bad "fewer than 5,000 objects written" "$out"
out=$(fc_py delete --acked "$CL_DIR/all.acked" --count 1000 --threads 8 --deleted "$CL_DIR/all.deleted")
echo "delete: $out"
expect_eq "1,000 older objects deleted while storage1 is down" 1000 "$(fc_json_get "$out" deleted)"
check "restart storage1 (same name and address, no recover command)" cl_start_one storage1
# shellcheck disable=SC2046
fc_wait_drained 120 $(fc_storage_names) && t_ok "the repair queues drain (storage1 caught up)" ||
    t_bad "queues did not drain"
fc_wait_state storage1 running 30 && t_ok "storage1 is running by itself" || t_bad "storage1 is $(fc_state storage1)"
check "acked objects read back, deleted ones stay deleted, replicas identical" \
    fc_verify all --deleted "$CL_DIR/all.deleted" --sample 400
t_summary
