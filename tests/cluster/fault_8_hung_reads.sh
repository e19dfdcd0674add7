#!/usr/bin/env bash
# tests/cluster/fault_8_hung_reads.sh BUILD_DIR: reads and listings with one of 4 storage
# nodes hung (SIGSTOP), with long timeouts (gateway rpc_timeout_ms 10 s, [replication]
# timeout 5 s) so that waiting for the hung node would show:
#   1. right after the SIGSTOP, before the manager notices: a paged ListObjectsV2 is complete
#      (deleted keys stay deleted) and fast: the gateway answers from the other nodes once
#      they cover every key (N=3, W=2, D=2: one node may be missing);
#   2. once the manager reports the node down: every GET returns the right bytes, GET/HEAD of
#      missing and deleted keys answer 404 (a coordinator's miss does not ask the hung peer),
#      and the listing is complete, each request well under the timeouts (< 2.5 s);
#   3. after SIGCONT the node is running again and the repair queues drain.
# First, with every node up: a small PUT over a chunked object deletes the old chunks (the
# storage put reply says what it replaced, docs/PROTOCOL.md `want_prev`).
set -uo pipefail
FC_BUILD=${1:?usage: fault_8_hung_reads.sh BUILD_DIR}
FC_RPC_TIMEOUT_MS=10000
FC_REPL_TIMEOUT=5s
. "$(dirname "$0")/lib.sh"

BOUND_S=2.5 # a quarter of the gateway's RPC timeout, half the replication timeout

probe() {
    python3 "$fc_here/hung_probe.py" "$@" --endpoint "$FC_ENDPOINT" --bucket "$FC_BUCKET" \
        --state "$CL_DIR/hung.json"
}

# slow_ok JSON: 0 when every "slowest" figure is under BOUND_S.
slow_ok() {
    printf '%s' "$1" | python3 -c '
import json, sys
s = json.loads(sys.stdin.read())["slowest"]
sys.exit(0 if s and all(v < float(sys.argv[1]) for v in s.values()) else 1)' "$BOUND_S"
}

fc_setup 4
# A small PUT over a chunked object learns from its put reply (want_prev) which chunks it
# replaced, without a head first, and they go: 2 chunks + the manifest, 3 copies each, become
# 1 record, 3 copies.
base=$(cl_live_objects)
head -c $((6 * 1024 * 1024)) /dev/urandom >"$CL_DIR/big.bin"
check "PUT a 6 MiB object (2 chunks + a manifest)" python3 -c '
import boto3, sys
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))
s3.put_object(Bucket=sys.argv[2], Key="big", Body=open(sys.argv[3], "rb").read())
s3.put_object(Bucket=sys.argv[2], Key="big", Body=b"small now")
sys.exit(0 if s3.get_object(Bucket=sys.argv[2], Key="big")["Body"].read() == b"small now" else 1)' \
    "$FC_ENDPOINT" "$FC_BUCKET" "$CL_DIR/big.bin"
cl_wait_live_objects $((base + 3)) 20 && t_ok "overwritten by a small object: its old chunks are deleted" ||
    t_bad "old chunks left behind: $(cl_live_objects) live copies, want $((base + 3))"
check "seed 40 objects, 6 of them deleted again" probe seed --keys 40 --deleted 6
out=$(probe probe) && t_ok "all nodes up: listing, GETs and 404s are right ($out)" ||
    t_bad "all nodes up: probe found errors" "$out"

pid=$(cat "$CL_DIR/run/storage1.pid")
check "SIGSTOP storage1" kill -STOP "$pid"
out=$(probe probe --list-only)
rc=$?
[ "$(fc_state storage1)" = running ] && note=" (manager still says running)" || note=""
[ $rc -eq 0 ] && t_ok "hung, not yet reported: the listing is complete$note ($out)" ||
    t_bad "hung, not yet reported: the listing is wrong" "$out"
slow_ok "$out" && t_ok "hung, not yet reported: each listing page took < ${BOUND_S}s" ||
    t_bad "hung, not yet reported: a listing page waited for the hung node" "$out"

fc_wait_state storage1 stop 15 && t_ok "the manager marks the hung storage1 stop" ||
    t_bad "storage1 is $(fc_state storage1)"
sleep 2.5 # every storage node and the gateway learn the down list from their next heartbeat
out=$(probe probe)
rc=$?
[ $rc -eq 0 ] && t_ok "hung and reported: listing, GETs and 404s are right ($out)" ||
    t_bad "hung and reported: probe found errors" "$out"
slow_ok "$out" && t_ok "hung and reported: each request took < ${BOUND_S}s (RPC timeout 10 s)" ||
    t_bad "hung and reported: a request waited for the hung node" "$out"

check "SIGCONT storage1" kill -CONT "$pid"
fc_wait_state storage1 running 60 && t_ok "storage1 is running again by itself" ||
    t_bad "storage1 is $(fc_state storage1)"
# shellcheck disable=SC2046
fc_wait_drained 90 $(fc_storage_names) && t_ok "the repair queues drain" || t_bad "queues did not drain"
out=$(probe probe) && t_ok "after SIGCONT: listing, GETs and 404s are right" ||
    t_bad "after SIGCONT: probe found errors" "$out"
t_summary
