#!/usr/bin/env bash
# tests/cluster/fault_26_mgr_partition.sh BUILD_DIR: a group of 3 managers across a real
# partition (issue 14, fault 6). Each manager, storage node, the gateway and the client run
# on a host of their own (network namespaces joined by a bridge, scripts/lib/netns.sh), so
# nothing assumes one address. The leader's host is cut off: the majority elects a new
# leader and goes on (admin writes, PUT/GET); the cut-off leader refuses writes sent to it
# from its own host and never acks one. Healed: one history: the old leader follows, every
# acked write is on all three managers, the ones it refused are nowhere. Needs root; prints
# SKIP and passes otherwise.
set -uo pipefail
FC_BUILD=${1:?usage: fault_26_mgr_partition.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

FC_MANAGERS=3 fc_setup --netns 3
hosts=""
for h in $(cl_managers); do hosts="$hosts $h=$(cl_addr "$h")"; done
echo "managers (run $NH_ID):$hosts"
fc_load_start load --prefix pt --threads 4 --read-ratio 0.3
fc_admin_loop_start adm
sleep 2
l=$(cl_mgr_leader) || t_abort "no manager leads"
check "cut the leader's host off ($l)" nh_partition "$l"
nl=$(cl_wait_mgr_leader 20 "$l") || t_abort "the majority elected no leader within 20 s"
t_ok "the majority elected $nl"
# from the cut-off leader's own host: it cannot commit, so it must never ack
refused=0
for k in 1 2 3; do
    code=$(cl_in "$l" curl -s -m 20 -o "$CL_DIR/cut.out" -w '%{http_code}' \
        ${CL_TOKEN:+-H "Authorization: Bearer $CL_TOKEN"} -X POST \
        "http://$(cl_mgr_admin "$l")/v1/users" -d "{\"user\": \"cut$k\"}")
    echo "cut$k" >>"$CL_DIR/cut.users"
    case $code in
        421 | 503) refused=$((refused + 1)) ;;
        *) t_bad "the cut-off leader answered an admin write with $code: $(cat "$CL_DIR/cut.out")" ;;
    esac
done
expect_eq "the cut-off leader refuses every write (421 or 503), acks none" 3 "$refused"
sleep 3
check "heal the partition" nh_heal "$l"
deadline=$((SECONDS + 20))
until [ "$(cl_mgr_role "$l")" = follower ] || [ $SECONDS -ge $deadline ]; do sleep 0.3; done
expect_eq "the old leader follows after the heal" follower "$(cl_mgr_role "$l")"
sleep 2
fc_admin_loop_stop adm
n=0
for m in $(cl_managers); do [ "$(cl_mgr_role "$m")" = leader ] && n=$((n + 1)); done
expect_eq "one leader" 1 "$n"
check "every acked user and bucket is on all three managers" fc_mgrs_hold_all adm 30
for m in $(cl_managers); do
    out=$(cl_in client curl -s -m 10 ${CL_TOKEN:+-H "Authorization: Bearer $CL_TOKEN"} "http://$(cl_mgr_admin "$m")/v1/users")
    [[ $out == *'"cut'[123]'"'* ]] && t_bad "$m holds a write the cut-off leader refused" ||
        t_ok "$m holds none of the writes the cut-off leader refused"
done
fc_load_stop load
expect_eq "no PUT failed" 0 "$(fc_json_get "$FC_SUM" failed)"
expect_eq "no read saw wrong bytes" 0 "$(fc_json_get "$FC_SUM" bad_reads)"
# shellcheck disable=SC2046
fc_wait_drained 60 $(fc_storage_names) || t_bad "queues did not drain"
check "every acked object reads back, replicas identical" fc_verify load --sample 200
t_summary
