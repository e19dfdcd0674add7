#!/usr/bin/env bash
# tests/cluster/fault_22_mgr_split_brain.sh BUILD_DIR: a group of 3 managers (issue 14, fault
# 2, split brain). SIGSTOP the leader for 10 s while an admin loop and a PUT load run: the
# two others elect a new leader and go on; the old one, resumed, steps down and catches up.
# Two leaders must never both ack: writes sent straight to the old leader right after it
# resumes (it still believes it leads) are either refused or, when acked, present
# afterwards; every write acked by anyone is on all three managers.
set -uo pipefail
FC_BUILD=${1:?usage: fault_22_mgr_split_brain.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

FC_MANAGERS=3 fc_setup 3
fc_load_start load --prefix sb --threads 4
fc_admin_loop_start adm
sleep 2
old=$(cl_mgr_leader) || t_abort "no manager leads"
pid=$(cat "$CL_DIR/run/$old.pid")
check "SIGSTOP the leader ($old)" kill -STOP "$pid"
nl=$(cl_wait_mgr_leader 15 "$old") || t_abort "no new leader within 15 s of the SIGSTOP"
t_ok "$nl leads while $old is stopped"
sleep 8
# resumed, the old leader believes for a moment that it still leads: write to it directly
check "SIGCONT the old leader" kill -CONT "$pid"
: >"$CL_DIR/direct.users"
acked_direct=0
for k in 1 2 3 4 5; do
    code=$(cl_in client curl -s -m 10 -o "$CL_DIR/direct.out" -w '%{http_code}' \
        ${CL_TOKEN:+-H "Authorization: Bearer $CL_TOKEN"} -X POST \
        "http://$(cl_mgr_admin "$old")/v1/users" -d "{\"user\": \"direct$k\"}")
    case $code in
        201) echo "direct$k" >>"$CL_DIR/direct.users"; acked_direct=$((acked_direct + 1)) ;;
        421 | 503) ;;
        *) t_bad "a write to the resumed old leader answered $code: $(cat "$CL_DIR/direct.out")" ;;
    esac
done
echo "     writes sent straight to the resumed old leader: $acked_direct of 5 acked (each as the group's)"
sleep 3
fc_admin_loop_stop adm
deadline=$((SECONDS + 15))
until [ "$(cl_mgr_role "$old")" = follower ] || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
expect_eq "the old leader stepped down" follower "$(cl_mgr_role "$old")"
n=0
for m in $(cl_managers); do [ "$(cl_mgr_role "$m")" = leader ] && n=$((n + 1)); done
expect_eq "exactly one leader" 1 "$n"
check "every acked user and bucket is on all three managers" fc_mgrs_hold_all adm 30
if [ -s "$CL_DIR/direct.users" ]; then
    for m in $(cl_managers); do
        check "$m holds the writes the old leader acked" fc_mgr_holds "$m" users "$CL_DIR/direct.users"
    done
fi
fc_load_stop load
expect_eq "no PUT failed" 0 "$(fc_json_get "$FC_SUM" failed)"
# shellcheck disable=SC2046
fc_wait_drained 60 $(fc_storage_names) || t_bad "queues did not drain"
check "every acked object reads back, replicas identical" fc_verify load --sample 200
t_summary
