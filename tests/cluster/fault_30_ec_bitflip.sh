#!/usr/bin/env bash
# tests/cluster/fault_30_ec_bitflip.sh BUILD_DIR: flipped bits in the fragments of an
# erasure-coded bucket (issue 21). Six storage nodes, ec:4+2, the gateway's caches off, 1 MiB
# chunks. Two groups of 20 objects of 1-3 MiB, r and s. On two nodes, one byte is flipped
# halfway into the body of data-fragment records (index < 4) in the container files, at most
# one per chunk and node (so no chunk loses more than 2 of its 6): 6 of group r's and 6 of
# group s's on each. Group r is read: every GET returns the right bytes, and the gateway's
# degraded-read counter (cairn_gateway_ec_reads_total{kind="degraded"}) rises. Then a scrub of each
# of the two nodes (cairn-adm diagnose-start NODE --wait) counts at least the records flipped
# on it as bad (its status and cairn_storage_scrub_records_total{result="bad"}), and the
# repair queues drain having rebuilt every flipped fragment from its chunk's others
# (cairn_storage_ec_fragments_rebuilt_total). Every object then reads back right, and a second
# full read needs no degraded read (the counter stays); every chunk still has its 6
# fragments on 6 distinct nodes (files; whereis: each one "ok" on its owner).
set -uo pipefail
FC_BUILD=${1:?usage: fault_30_ec_bitflip.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

# scrub_field NODE FIELD: a field of NODE's scrub status (bad: the bad records its scrubs
# have counted so far, records, passes)
scrub_field() {
    cl_in client curl -s -m 10 ${CL_TOKEN:+-H "Authorization: Bearer $CL_TOKEN"} \
        "http://${FC_ADMIN%%,*}/v1/nodes/$1/diagnose" |
        python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$2" 2>/dev/null
}

fc_ec_setup 6
for g in r s; do
    fc_ec_run "group $g: 20 objects of 1-3 MiB written" put --prefix "$g" --count 20 \
        --size-min 1048576 --size-max 3145728 --threads 4 --log "$CL_DIR/$g.log"
done
cat "$CL_DIR/r.log" "$CL_DIR/s.log" >"$CL_DIR/all.log"

read -r x y <<<"$(fc_storage_names | shuf | head -n 2 | tr '\n' ' ')"
declare -A flipped bad0
for n in "$x" "$y"; do
    bad0[$n]=$(scrub_field "$n" bad)
    flipped[$n]=0
    for g in r s; do
        fc_ec_run "flip a byte in data-fragment records of group $g on $n" flip \
            --log "$CL_DIR/$g.log" --data "$CL_DIR/data/$n" --count 6
        f=$(fc_json_get "$FC_REPORT" flipped)
        flipped[$n]=$((flipped[$n] + ${f:-0}))
    done
done

d0=$(fc_ec_degraded)
fc_ec_run "group r, with flipped fragments on $x and $y: every GET returns the right bytes" \
    check --log "$CL_DIR/r.log" --threads 4
fc_ec_degraded_rose "$d0" "the reads of group r"

for n in "$x" "$y"; do
    out=$(cl_adm diagnose-start "$n" --wait 2>&1)
    echo "$out" | tail -n 3
    b=$(scrub_field "$n" bad)
    db=$((${b:-0} - ${bad0[$n]:-0}))
    [ "$db" -ge "${flipped[$n]}" ] &&
        t_ok "the scrub of $n counts $db bad records (${flipped[$n]} flipped there)" ||
        t_bad "the scrub of $n counts $db bad records, ${flipped[$n]} were flipped" "$out"
    m=$(fc_metric "$n" cairn_storage_scrub_records_total result=bad)
    [ "${m:-0}" -ge "${flipped[$n]}" ] &&
        t_ok "$n's /metrics counts them: cairn_storage_scrub_records_total{result=\"bad\"} $m" ||
        t_bad "$n's cairn_storage_scrub_records_total{result=\"bad\"} is ${m:-absent}, ${flipped[$n]} were flipped"
done
# shellcheck disable=SC2046
fc_wait_drained 90 $(fc_storage_names) && t_ok "every repair queue drains" ||
    t_bad "queues did not drain" "$(for n in $(fc_storage_names); do cl_adm mq-stats "$n"; done 2>&1)"
want=$((flipped[$x] + flipped[$y]))
# (the nodes copy their counters into /metrics once a second: a moment after the queues drain)
rebuilt_all() { got=$(fc_ec_rebuilt); [ "$got" -ge "$want" ]; }
fc_wait_until 10 rebuilt_all &&
    t_ok "the repair queues rebuilt $got fragments from their chunks' others ($want flipped)" ||
    t_bad "the repair queues rebuilt $got fragments, $want were flipped"
d2=$(fc_ec_degraded)
fc_ec_run "after the repair: every object reads back byte for byte" \
    check --log "$CL_DIR/all.log" --threads 4
d3=$(fc_ec_degraded)
fc_ec_run "a second full read" check --log "$CL_DIR/all.log" --threads 4
d4=$(fc_ec_degraded)
echo "degraded reads: ${d2:-none} before the first full read after the repair, ${d3:-none} \
after it, ${d4:-none} after the second"
[ -n "$d4" ] && [ "$d4" = "$d3" ] &&
    t_ok "the second full read needs no degraded read (the fragments were rebuilt; the first \
needed $((${d3:-0} - ${d2:-0})))" ||
    t_bad "degraded reads after the repair: ${d3:-absent} -> ${d4:-absent}"
fc_ec_run "every chunk has its 6 fragments on 6 distinct nodes" frags --log "$CL_DIR/all.log" \
    --data "$(fc_data_dirs)" --chunk-size 1048576 --admin "$FC_ADMIN" --owners
t_summary
