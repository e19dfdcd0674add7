#!/usr/bin/env bash
# tests/cluster/fault_24_mgr_replace.sh BUILD_DIR: a group of 3 managers (issue 14, fault 4).
# A follower loses its disk: SIGKILL it and delete its data dir. Meanwhile the group goes on
# (admin writes, snapshots every 32 entries so its log no longer starts at 1). Replace it with
# `cairn-adm update-managers replace OLD NEW@...`: a new id at the same address, started
# empty with [manager] join = true. It catches up from a snapshot, holds every acked write,
# votes (the group elects a leader with it when the old leader is killed), and status
# shows the new id and not the old.
set -uo pipefail
FC_BUILD=${1:?usage: fault_24_mgr_replace.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

FC_MANAGERS=3 FC_MGR_CONF=$'[manager]\nsnapshot_threshold = 32\nsnapshot_trailing = 8' fc_setup 3
fc_load_start load --prefix rp --threads 2
l=$(cl_mgr_leader) || t_abort "no manager leads"
victim=""
for m in $(cl_managers); do [ "$m" != "$l" ] && [ -z "$victim" ] && victim=$m; done
vid=${victim#manager}
vid=${vid:-1}
check "SIGKILL $victim (id $vid)" cl_stop_one "$victim" KILL
check "its disk is lost (data dir deleted)" rm -rf "$CL_DIR/data/$victim"
# 24 users and their buckets are 48 entries: past a snapshot (every 32), so the log the
# leader keeps no longer starts where the replacement must begin
fc_admin_loop_start adm
deadline=$((SECONDS + 120))
until [ "$(cat "$CL_DIR/adm.users" 2>/dev/null | wc -l)" -ge 24 ] || [ $SECONDS -ge $deadline ]; do
    sleep 0.5
done
fc_admin_loop_stop adm
[ "$(wc -l <"$CL_DIR/adm.users")" -ge 24 ] && t_ok "the group goes on without it (24 users and buckets)" ||
    t_bad "the group without $victim acked only $(wc -l <"$CL_DIR/adm.users") users in 120 s"
# the replacement: id 4 at the same address and ports, empty, waiting to be added
conf=$CL_DIR/conf/cairn-$victim.conf
spec=$(awk -F' *= *' '$1 == "peers" { print $2 }' "$conf" | tr ',' '\n' | sed 's/^ *//' | grep "^$vid@")
new=4@${spec#*@}
sed -i -e "s/^id = .*/id = 4/" -e "s/^peers = \(.*\)$vid@/peers = \14@/" "$conf"
printf '\n[manager]\njoin = true\n' >>"$conf"
check "start the replacement (id 4, join = true, empty data dir)" cl_start_one "$victim"
out=$(cl_adm update-managers replace "$vid" "$new" 2>&1)
rc=$?
echo "$out" | sed 's/^/     /'
expect_eq "cairn-adm update-managers replace $vid $new" 0 "$rc"
check "the replacement holds every acked user and bucket" fc_mgrs_hold_all adm 30
expect_match "it caught up from a snapshot" "snapshot installed" "$(cat "$CL_DIR/logs/$victim.log")"
st=$(cl_adm --json status)
ids=$(printf '%s' "$st" | python3 -c 'import json,sys; print(" ".join(str(m["id"]) for m in json.load(sys.stdin)["managers"]))')
expect_eq "the group is 1..3 without $vid, with 4" "$(echo 1 2 3 4 | tr ' ' '\n' | grep -vx "$vid" | tr '\n' ' ' | sed 's/ $//')" \
    "$(echo "$ids" | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')"
expect_eq "the replacement follows" follower "$(cl_mgr_role "$victim")"
l=$(cl_mgr_leader) || t_abort "no manager leads"
check "SIGKILL the leader ($l)" cl_stop_one "$l" KILL
nl=$(cl_wait_mgr_leader 15 "$l") || t_abort "no leader without $l: the replacement does not vote"
t_ok "$nl leads: the replacement votes"
check "admin writes work" cl_adm create-user after-replace
fc_load_stop load
expect_eq "no PUT failed" 0 "$(fc_json_get "$FC_SUM" failed)"
# shellcheck disable=SC2046
fc_wait_drained 60 $(fc_storage_names) || t_bad "queues did not drain"
check "every acked object reads back, replicas identical" fc_verify load --sample 200
t_summary
