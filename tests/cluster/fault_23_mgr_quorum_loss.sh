#!/usr/bin/env bash
# tests/cluster/fault_23_mgr_quorum_loss.sh BUILD_DIR: a group of 3 managers (issue 14, fault
# 3). Kill two of them: an admin write is refused with a clear "no quorum" error (HTTP 421
# naming no leader; cairn-adm fails), none is acked, while PUT and GET go on from what the
# nodes and the gateway hold. Bring one back: a leader is elected and writes resume; the
# refused ones are not there.
set -uo pipefail
FC_BUILD=${1:?usage: fault_23_mgr_quorum_loss.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

FC_MANAGERS=3 fc_setup 3
fc_load_start load --prefix ql --threads 4 --read-ratio 0.3
sleep 2
l=$(cl_mgr_leader) || t_abort "no manager leads"
survivor=""
for m in $(cl_managers); do
    if [ "$m" = "$l" ] || [ -n "$survivor" ]; then
        check "SIGKILL $m" cl_stop_one "$m" KILL
    else
        survivor=$m
    fi
done
write_direct() { # write_direct NAME: a user created straight on the survivor: the status
    cl_in client curl -s -m 15 -o "$CL_DIR/direct.out" -w '%{http_code}' \
        ${CL_TOKEN:+-H "Authorization: Bearer $CL_TOKEN"} -X POST \
        "http://$(cl_mgr_admin "$survivor")/v1/users" -d "{\"user\": \"$1\"}"
}
no_quorum() { [ "$(write_direct "nq$RANDOM")" = 421 ] && grep -q '"leader": ""' "$CL_DIR/direct.out"; }
deadline=$((SECONDS + 15))
until no_quorum || [ $SECONDS -ge $deadline ]; do sleep 0.3; done
check "the survivor refuses an admin write: 421, no leader" no_quorum
expect_match "and says why: no quorum" "no quorum" "$(cat "$CL_DIR/direct.out")"
acked=0
for k in 1 2 3; do [ "$(write_direct "lost$k")" = 201 ] && acked=$((acked + 1)); done
expect_eq "no admin write is acked without a quorum" 0 "$acked"
out=$(cl_adm create-user lost-adm 2>&1)
rc=$?
expect_eq "cairn-adm create-user fails" 1 "$rc"
expect_match "and says there is no leader" "no leader" "$out"
before=$(wc -l <"$CL_DIR/load.acked")
deadline=$((SECONDS + 30))
until [ "$(wc -l <"$CL_DIR/load.acked")" -gt $((before + 50)) ] || [ $SECONDS -ge $deadline ]; do
    sleep 0.5
done
after=$(wc -l <"$CL_DIR/load.acked")
[ "$after" -gt $((before + 50)) ] && t_ok "PUTs go on without a quorum of managers (50 more acked)" ||
    t_bad "PUTs stalled without a quorum of managers ($before -> $after in 30 s)"
back=""
for m in $(cl_managers); do [ "$m" != "$survivor" ] && [ -z "$back" ] && back=$m; done
check "bring $back back" cl_start_one "$back"
nl=$(cl_wait_mgr_leader 20) || t_abort "no leader within 20 s of bringing one manager back"
t_ok "one manager back: $nl leads"
check "admin writes resume" cl_adm create-user after-quorum
echo after-quorum >"$CL_DIR/after.users"
check "both hold it" fc_mgr_holds "$survivor" users "$CL_DIR/after.users"
for k in 1 2 3; do
    out=$(cl_in client curl -s -m 10 ${CL_TOKEN:+-H "Authorization: Bearer $CL_TOKEN"} "http://$(cl_mgr_admin "$nl")/v1/users")
    [[ $out == *"\"lost$k\""* ]] && t_bad "lost$k, refused without a quorum, is there" || t_ok "lost$k, refused without a quorum, is not there"
done
fc_load_stop load
expect_eq "no PUT failed" 0 "$(fc_json_get "$FC_SUM" failed)"
expect_eq "no read saw wrong bytes" 0 "$(fc_json_get "$FC_SUM" bad_reads)"
# shellcheck disable=SC2046
fc_wait_drained 60 $(fc_storage_names) || t_bad "queues did not drain"
check "every acked object reads back, replicas identical" fc_verify load --sample 200
t_summary
