#!/usr/bin/env bash
# tests/cluster/fault_27_versions_kill.sh BUILD_DIR: object versions in the cluster (issue 16).
# Three storage nodes (N=3) and two gateways; a bucket with versioning. A load through both
# gateways writes versions of 40 keys, delete markers, and deletes versions for good while
# storage1 is SIGKILLed and restarted; then pairs of writers PUT the same key at the same
# moment through the two gateways. Once the repair queues drain: ListObjectVersions is
# identical through both gateways and holds every acked version (the latest of each key is
# its last acked one; both racing writers' versions are there), whereis shows every acked
# version on each of the N owners with one clock, and du summed over the nodes counts the
# current and non-current versions the listing shows, N times. Then a fourth node is
# attached and the ring rebalanced with the versions present: the same checks again, and no
# node that is not an owner keeps a version.
set -uo pipefail
FC_BUILD=${1:?usage: fault_27_versions_kill.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

# vpy MODE ARGS...: versions.py against the cluster's gateways (tests/cluster/versions.py)
vpy() {
    fc_py_gws versions.py "$@"
}

FC_GATEWAYS=2 fc_setup 4 3
check "versioning is on, and a PUT through each gateway makes a version" vpy enable
fc_bg_start v vpy load --prefix v --keys 40 --threads 8 --until "$CL_DIR/v.stop" \
    --log "$CL_DIR/v.log"
sleep 5
fc_kill_restart storage1 5
sleep 4
fc_bg_stop v
rc=$?
sum=$FC_SUM
expect_eq "the load ends with every key's last write acked" 0 "$rc"
ops=$(fc_json_get "$sum" put)
[ "${ops:-0}" -gt 100 ] && t_ok "the load went on through the kill ($ops versions put, $(fc_json_get \
    "$sum" marker) markers, $(fc_json_get "$sum" delver) deleted for good)" ||
    t_bad "too few versions acked: $ops"
out=$(vpy race --prefix v/race --rounds 20 --log "$CL_DIR/v.log" 2>&1)
rc=$?
echo "$out" | tail -n 1
expect_eq "20 rounds of two writers on one key at once, one per gateway: all acked" 0 "$rc"

# shellcheck disable=SC2046
fc_wait_drained 90 $(fc_storage_names | head -n 3) && t_ok "every repair queue drains" ||
    t_bad "queues did not drain"
fc_wait_state storage1 running 30 && t_ok "storage1 is running again" || t_bad "storage1 is $(fc_state storage1)"
# vcheck WHAT ARGS...: versions.py check of everything the log holds, through both gateways
vcheck() {
    local what=$1 out rc
    shift
    out=$(vpy check --prefix v --log "$CL_DIR/v.log" --admin "$FC_ADMIN" --n 3 "$@" 2>&1)
    rc=$?
    echo "$out" | tail -n 2
    [ $rc -eq 0 ] && t_ok "$what" || t_bad "$what" "$out"
}
vcheck "ListObjectVersions is identical through both gateways and holds every acked version \
(latest = newest acked, both racers' versions); whereis: every acked version on the 3 owners \
with one clock; du over the nodes = 3 x the listing" --du storage0,storage1,storage2
out=$(cl_adm whereis "$FC_BUCKET/v/k000")
expect_match "cairn-adm whereis of a key with versions prints each owner's versions" \
    'versions:.*storage[0-2] +\| cur +\| [0-9a-f]{24} +\| (version|delete marker|deleted) ' \
    "$(printf '%s' "$out" | tr '\n' ' ')"
out=$(cl_adm whereis "$FC_BUCKET/warmup/0-000000")
check "an unversioned key's whereis has its copies and no versions table" \
    bash -c '[[ $1 == *"copies:"* && $1 != *"versions:"* ]]' _ "$out"

# ---- rebalance onto a fourth node with the versions present (mover, recoverer) ----------
fc_rebalance_onto storage3 180
# shellcheck disable=SC2046
fc_wait_drained 90 $(fc_storage_names) || t_bad "queues did not drain after the rebalance"
nc=$(cl_adm --json du storage3 | python3 -c 'import json,sys; print(json.load(sys.stdin).get("noncurrent", 0))')
[ "${nc:-0}" -gt 0 ] && t_ok "storage3 took non-current versions in the rebalance ($nc)" ||
    t_bad "storage3 holds no non-current version after the rebalance"
vcheck "after the rebalance: the same listing through both gateways, every acked version on \
its 3 owners (storage3 among them for some keys), none left on a node that is not an owner; \
du over the 4 nodes = 3 x the listing" --exclusive --du storage0,storage1,storage2,storage3
t_summary
