#!/usr/bin/env bash
# tests/cluster/fault_9_netns.sh BUILD_DIR: a real network partition between hosts. The
# manager, 3 storage nodes, the gateway and the S3 client each run on a host of their own (a
# network namespace with its own address, joined by a bridge: scripts/lib/netns.sh), so no
# daemon talks to another over loopback. Objects written through the gateway are on every
# node. storage2's host is cut off (its bridge port drops every packet, both ways; the
# process runs on): PUT and GET go on (N=3, W=2), the manager marks it stop. Healed, it
# comes back running by itself, the repair queues drain, and every object reads back and has
# an identical copy on every node (whereis). At the end nothing is left: no namespace, no
# link, no process. Needs root; prints SKIP and passes otherwise. The Raft tests (issue 14,
# fault test 6) cut managers off the same way.
set -uo pipefail
FC_BUILD=${1:?usage: fault_9_netns.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

# the root namespace's links named as the harness names its own (p0.., br0, eth0): it makes
# none there, so none may appear
root_links() {
    ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
        grep -E '^(p[0-9]+|br0|eth0)$' | sort
}
links_before=$(root_links)

fc_setup --netns 3
hosts=""
for h in manager storage0 storage1 storage2 gateway client; do hosts="$hosts $h=$(cl_addr "$h")"; done
echo "hosts (run $NH_ID):$hosts"
ports=$(head -n 1 "$CL_DIR/run/storage0.port")
expect_match "storage0 listens on its host's address, not loopback" "^rpc $(cl_addr storage0):" "$ports"
out=$(cl_adm --json status 2>/dev/null | python3 -c '
import json, sys
print(" ".join(sorted("%s@%s" % (n["name"], n["host"]) for n in json.load(sys.stdin)["nodes"] if n["type"] == "storage")))')
expect_eq "the manager knows each storage node by its host's address" \
    "storage0@$(cl_addr storage0) storage1@$(cl_addr storage1) storage2@$(cl_addr storage2)" "$out"
code=$(nh_exec client curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CL_S3/" 2>/dev/null)
expect_eq "the gateway is not on the client's loopback (hosts are apart)" 000 "${code:-000}"

out=$(fc_py write --prefix before --threads 4 --count 300 --size-max 8192 --acked "$CL_DIR/all.acked")
[ "$(fc_json_get "$out" acked)" -ge 300 ] && [ "$(fc_json_get "$out" failed)" = 0 ] &&
    t_ok "300 objects PUT through the gateway from the client's host" || t_bad "PUTs failed" "$out"
check "every object reads back, with an identical copy on each of the 3 nodes" \
    fc_verify all --sample 300

check "cut storage2's host off (its bridge port drops everything)" nh_partition storage2
fc_load_start cut --prefix cut --threads 2 --size-max 8192 --read-ratio 0.3
fc_wait_state storage2 stop 15 && t_ok "the manager marks the cut-off storage2 stop" ||
    t_bad "storage2 is $(fc_state storage2)"
sleep 4
fc_load_stop cut
sum=$FC_SUM
expect_eq "no PUT failed while storage2 was cut off (W=2 of N=3)" 0 "$(fc_json_get "$sum" failed)"
expect_eq "no GET failed or saw wrong bytes while storage2 was cut off" 0 "$(fc_json_get "$sum" bad_reads)"
acked=$(fc_json_get "$sum" acked)
[ "${acked:-0}" -gt 20 ] && t_ok "the load went on across the partition ($acked writes acked)" ||
    t_bad "too few writes acked while storage2 was cut off: $acked"
cat "$CL_DIR/cut.acked" >>"$CL_DIR/all.acked"
out=$(fc_py verify --acked "$CL_DIR/all.acked" --threads 8 2>&1)
expect_eq "every object written before and during the partition reads back" 0 "$(fc_json_get "$out" bad)"
srpc=$(awk '$1 == "rpc" { print $2 }' "$CL_DIR/run/storage2.port")
# packets are dropped: the connect times out, or fails once ARP gives up (no reset)
if nh_exec storage0 timeout 3 bash -c "</dev/tcp/${srpc%:*}/${srpc##*:}" 2>/dev/null; then
    t_bad "storage0 can still connect to storage2"
else
    t_ok "storage0 cannot connect to storage2"
fi
q=0
for node in storage0 storage1; do
    d=$(cl_adm --json mq-stats "$node" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("depth", 0))' 2>/dev/null)
    q=$((q + ${d:-0}))
done
[ "$q" -gt 0 ] && t_ok "storage0 and storage1 queued $q repairs for what storage2 missed" ||
    t_bad "no repair queued for storage2"
alive=$(kill -0 "$(cat "$CL_DIR/run/storage2.pid")" 2>/dev/null && echo yes)
expect_eq "storage2 kept running while cut off (a partition, not a crash)" yes "$alive"

check "heal the partition" nh_heal storage2
# the links cut mid-call reconnect at once (common/rpc_client.c drops a stalled connection),
# not at TCP's next retransmission, which backs off to minutes
t0=$SECONDS
until st=$(fc_state storage2); [ "$st" = restarted ] || [ "$st" = running ]; do
    [ $((SECONDS - t0)) -ge 10 ] && break
    sleep 0.3
done
expect_match "storage2 is in touch with the manager again within 10 s of the heal" \
    '^(restarted|running)$' "$st"
# shellcheck disable=SC2046
fc_wait_drained 60 $(fc_storage_names) && t_ok "the repair queues drain (storage2 caught up)" ||
    t_bad "queues did not drain"
fc_wait_state storage2 running 30 && t_ok "storage2 is running again by itself" ||
    t_bad "storage2 is $(fc_state storage2)"
n=$(wc -l <"$CL_DIR/all.acked")
check "all $n objects read back, with an identical copy on each of the 3 nodes" \
    fc_verify all --sample "$n"

# cleanup, checked here (the EXIT trap does it too, on any failure)
id=$NH_ID
pids=$(cat "$CL_DIR"/run/*.pid)
cl_stop
check "the hosts are deleted (nh_cleanup)" nh_cleanup
expect_eq "no namespace of this run is left" "" "$(ip netns list | grep "^cairn-$id-")"
left=""
for p in $pids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
expect_eq "no daemon of this run is left" "" "$left"
expect_eq "no link of the harness appeared in the root namespace" "$links_before" "$(root_links)"
t_summary
