#!/usr/bin/env bash
# tests/cluster/fault_28_sse_kill.sh BUILD_DIR: encrypted objects (issue 20) in the cluster.
# Three storage nodes (N=3), two gateways (with sse_c_allow_http), a KMS key. A load through
# both gateways (sse_load.py) PUTs objects of 0..12 MiB and multipart uploads under SSE-C,
# SSE-S3 and SSE-KMS, and reads some back, while storage1 is SIGKILLed and restarted, then
# the manager: while it is down, SSE-S3 and SSE-KMS objects read back through each gateway
# (from its key cache) and writes go on. Once the repair queues drain: every acked object
# reads back through each gateway byte-identical, HEAD shows its mode and plaintext length,
# ranges across a 64 KiB block (and the 5 MiB chunk) boundary match, an SSE-C object wants
# its key (400 without, 403 with another); whereis shows its manifest and every chunk on the
# 3 owners. No file the cluster wrote holds the marker every body carries every 4 KiB (a plain
# object with it shows the search finds it). Then a fourth node is attached and the ring
# rebalanced: the same checks again (the moved ciphertext still decrypts; no copy left on a
# node that is not an owner).
set -uo pipefail
FC_BUILD=${1:?usage: fault_28_sse_kill.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

seed=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
marker="cairn-fault-sse-$seed"
kms=fault-key
# spy MODE ARGS...: sse_load.py against both gateways, with this run's seed, marker and log
spy() {
    local mode=$1
    shift
    fc_py_gws sse_load.py "$mode" --seed "$seed" --marker "$marker" --kms-key "$kms" \
        --log "$CL_DIR/sse.log" "$@"
}
# acked_since EPOCH: the writes of the load acked that began at EPOCH or later
acked_since() {
    python3 -c 'import json, sys
n = 0
for l in open(sys.argv[1]):
    e = json.loads(l) if l.endswith("\n") else {}
    n += e.get("op") in ("put", "mpu") and e["ok"] and e["t"] >= float(sys.argv[2])
print(n)' "$CL_DIR/sse.log" "$1"
}
# marker_files: the files under the cluster's data dirs (storage nodes, managers, gateways'
# temp dirs) that hold the marker
marker_files() {
    grep -a -F -r -l -- "$marker" "$CL_DIR/data"
}

# SSE-C over plain HTTP, as the test's clients speak it
FC_GW_CONF=$'[gateway]\nsse_c_allow_http = true' FC_GATEWAYS=2 fc_setup 4 3
check "kms-create-key $kms" cl_adm kms-create-key "$kms"
fc_bg_start sse spy load --threads 2 --until "$CL_DIR/sse.stop"
sleep 5
fc_kill_restart storage1 3
# a gateway's key cache is per worker: have each worker read (and cache) the keys first
check "SSE-S3 and SSE-KMS objects read back through each gateway (on new connections)" \
    spy probe --count 24
t0=$(date +%s.%N)
check "SIGKILL the manager during the load" cl_stop_one manager KILL
out=$(spy probe --count 12 2>&1)
rc=$?
echo "$out" | tail -n 1
[ $rc -eq 0 ] && t_ok "with the manager down, SSE-S3 and SSE-KMS objects read back through \
each gateway (keys from the gateways' caches)" || t_bad "reads failed with the manager down" "$out"
sleep 4
n=$(acked_since "$t0")
[ "${n:-0}" -gt 0 ] && t_ok "writes go on while the manager is down ($n acked)" ||
    t_bad "no write acked while the manager was down"
check "restart the manager" cl_start_one manager
fc_wait_until 30 fc_up storage0 storage1 storage2 gateway0 gateway2 &&
    t_ok "the storage nodes and both gateways are back (storage1 may still catch up)" ||
    t_bad "nodes did not come back" "$(cl_adm status 2>&1)"
sleep 3
fc_bg_stop sse
rc=$?
sum=$FC_SUM
expect_eq "the load ends well (no read of it saw wrong bytes)" 0 "$rc"
ops=$(($(fc_json_get "$sum" put) + $(fc_json_get "$sum" mpu)))
[ "$ops" -gt 30 ] && t_ok "the load went on through both kills ($ops objects acked, \
$(fc_json_get "$sum" mpu) multipart, by mode $(fc_json_get "$sum" by_mode))" ||
    t_bad "too few objects acked: $ops"

# shellcheck disable=SC2046
fc_wait_drained 90 $(fc_storage_names | head -n 3) && t_ok "every repair queue drains" ||
    t_bad "queues did not drain"
fc_wait_state storage1 running 30 && t_ok "storage1 is running (caught up)" ||
    t_bad "storage1 is $(fc_state storage1)"
# scheck WHAT NODES ARGS...: sse_load.py check of every acked object of the log, through both
# gateways, whereis of it and its chunks (found in NODES' data dirs); its report in REPORT
scheck() {
    local what=$1 dirs out rc
    dirs=$(for n in $2; do printf '%s,' "$CL_DIR/data/$n"; done)
    shift 2
    out=$(spy check --threads 4 --admin "$FC_ADMIN" --n 3 --chunks "${dirs%,}" "$@" 2>&1)
    rc=$?
    echo "$out" | tail -n 2
    [ $rc -eq 0 ] && t_ok "$what" || t_bad "$what" "$out"
    REPORT=$(printf '%s' "$out" | tail -n 1)
    printf '%s' "$REPORT" | python3 -c '
import json, sys
sys.exit(0 if all(json.load(sys.stdin)["multipart_by_mode"].values()) else 1)' ||
        t_bad "some mode has no acked multipart upload"
}
scheck "every acked object reads back through both gateways with its key (sha256), HEAD shows \
its mode and plaintext length, ranges across block and chunk boundaries match, SSE-C wants \
its key (400 without, 403 another); no GET of the load failed; whereis: the manifest and \
every chunk on the 3 owners" "storage0 storage1 storage2"
files=$(marker_files)
expect_eq "no file the cluster wrote holds the marker of the encrypted bodies" "" "$files"

# ---- rebalance onto a fourth node: the chunks move as ciphertext, and still decrypt ------
fc_rebalance_onto storage3 180
# shellcheck disable=SC2046
fc_wait_drained 90 $(fc_storage_names) || t_bad "queues did not drain after the rebalance"
scheck "after the rebalance: every acked object reads back through both gateways, the same \
checks; manifest and chunks on the 3 owners (storage3 among them), none left elsewhere" \
    "storage0 storage1 storage2 storage3" --exclusive
chunks=$(printf '%s' "$REPORT" | python3 -c '
import json, sys
print(json.load(sys.stdin)["chunks_by_node"].get("storage3", 0))')
[ "${chunks:-0}" -gt 0 ] && t_ok "storage3 took chunks in the rebalance ($chunks)" ||
    t_bad "storage3 holds no chunk after the rebalance"
files=$(marker_files)
expect_eq "after the rebalance, still no file holds the marker" "" "$files"
check "a plain object with the same marker" spy plain --key control --size 262144
files=$(marker_files)
expect_match "the search finds the plain object's marker on the storage nodes" \
    "$CL_DIR/data/storage[0-3]/" "$files"
t_summary
