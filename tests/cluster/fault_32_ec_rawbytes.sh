#!/usr/bin/env bash
# tests/cluster/fault_32_ec_rawbytes.sh BUILD_DIR: what 1 GiB of erasure-coded objects costs
# on disk (issue 21). Six storage nodes, the bucket at ec:4+2 (5 MiB chunks, the default; the
# gateway's caches off). 128 objects of 8 MiB are written; the bytes they added to the
# container files of the six nodes (raw: every fragment record, header and key included, and
# the manifests' three replicas) must be at most 1.55 GiB (4+2 is 1.5x). For comparison, 16
# objects of 8 MiB into a second bucket left at replicate (N=3) are measured the same way and
# their ratio printed (about 3x): what 1 GiB replicated would take. cairn-adm du's raw and
# logical bytes, summed over the nodes, must agree: 1 GiB logical, at most 1.55 GiB raw.
set -uo pipefail
FC_BUILD=${1:?usage: fault_32_ec_rawbytes.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

# raw_bytes: the bytes of every container file of the storage nodes (records are only
# appended; nothing is deleted or compacted in this test)
raw_bytes() {
    find "$CL_DIR"/data/storage*/ -name '*.dat' -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f\n", s }'
}
# du_raw: cairn-adm du's fields about raw and logical bytes, summed over the nodes (empty
# when du has none)
du_raw() {
    local n
    for n in $(fc_storage_names); do cl_adm --json du "$n" 2>/dev/null; echo; done | python3 -c '
import json, sys
tot, text, at, dec = {}, sys.stdin.read(), 0, json.JSONDecoder()
while True:  # one JSON object per node, each over several lines
    at = text.find("{", at)
    if at < 0:
        break
    o, at = dec.raw_decode(text, at)
    for k, v in o.items():
        if ("raw" in k or "logical" in k) and isinstance(v, (int, float)):
            tot[k] = tot.get(k, 0) + v
print(" ".join("%s=%d" % kv for kv in sorted(tot.items())))' 2>/dev/null
}
gib() { python3 -c "print('%.3f' % ($1 / 1073741824))"; }

FC_EC_CHUNK=5m fc_ec_setup 6
du0=$(du_raw)
r0=$(raw_bytes)
fc_ec_run "128 objects of 8 MiB (1 GiB) written into the ec:4+2 bucket" put --prefix big \
    --count 128 --size-min 8388608 --size-max 8388608 --threads 4 --log "$CL_DIR/ec.log"
r1=$(raw_bytes)
du1=$(du_raw)
logical=$((128 * 8388608))
ec=$((r1 - r0))
ratio=$(python3 -c "print('%.3f' % ($ec / $logical))")
echo "ec:4+2: 1 GiB of objects added $(gib "$ec") GiB to the container files (x$ratio)"
echo "cairn-adm du, summed over the nodes, before: ${du0:-(no raw/logical fields)}; after: ${du1:-(none)}"
# du_delta FIELD: FIELD of du1 less that of du0
du_delta() {
    python3 -c 'import sys
f = lambda s: dict(kv.split("=") for kv in s.split())
print(int(f(sys.argv[2]).get(sys.argv[1], 0)) - int(f(sys.argv[3]).get(sys.argv[1], 0)))' "$1" "$du1" "$du0"
}
if [ -n "$du1" ]; then
    draw=$(du_delta raw_bytes)
    dlog=$(du_delta logical_bytes)
    echo "cairn-adm du: the 128 objects added $(gib "$draw") GiB raw, $(gib "$dlog") GiB logical"
    python3 -c "import sys; sys.exit(0 if abs($dlog - $logical) <= 0.01 * $logical and $draw <= 1.55 * $logical else 1)" &&
        t_ok "cairn-adm du agrees: $(gib "$dlog") GiB logical, $(gib "$draw") GiB raw" ||
        t_bad "cairn-adm du says $(gib "$dlog") GiB logical (want 1) and $(gib "$draw") GiB raw (want <= 1.55)"
else
    t_bad "cairn-adm du shows no raw and logical bytes"
fi
python3 -c "import sys; sys.exit(0 if $ec <= 1.55 * $logical else 1)" &&
    t_ok "raw disk use of 1 GiB of ec:4+2 objects is $(gib "$ec") GiB, at most 1.55 GiB" ||
    t_bad "raw disk use of 1 GiB of ec:4+2 objects is $(gib "$ec") GiB, over 1.55 GiB"

# the same, replicated: a second bucket without a policy (replicate, N=3), 128 MiB
cl_adm add-bucket rep "$AWS_ACCESS_KEY_ID" >/dev/null || t_abort "add-bucket rep failed"
fc_wait_until 20 fc_ec put --bucket rep --prefix warm --count 1 --size-min 1 --size-max 1 \
    --threads 1 --log "$CL_DIR/warm.log" >/dev/null 2>&1 || t_bad "the gateway does not take writes into rep"
r2=$(raw_bytes)
FC_BUCKET=rep fc_ec_run "16 objects of 8 MiB (128 MiB) written into a replicated bucket (N=3)" \
    put --prefix big --count 16 --size-min 8388608 --size-max 8388608 --threads 4 \
    --log "$CL_DIR/rep.log"
r3=$(raw_bytes)
rep=$((r3 - r2))
rratio=$(python3 -c "print('%.3f' % ($rep / (16 * 8388608)))")
echo "replicate (N=3): 128 MiB of objects added $(gib "$rep") GiB (x$rratio): 1 GiB would take \
$(python3 -c "print('%.2f' % $rratio)") GiB, against $(gib "$ec") GiB for ec:4+2"
python3 -c "import sys; sys.exit(0 if 2.9 <= $rratio <= 3.1 else 1)" &&
    t_ok "the replicated figure is about 3x (x$rratio): the measure counts what it should" ||
    t_bad "replicated objects took x$rratio, not about 3x: the measure is off"
t_summary
