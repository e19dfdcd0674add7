#!/usr/bin/env bash
# tests/cluster/fault_29_ec_kill.sh BUILD_DIR: an erasure-coded bucket (issue 21) loses nodes.
# Six storage nodes, the bucket at ec:4+2, the gateway's caches off, 1 MiB chunks. 100 objects
# of 1-8 MiB (random sizes; ec_load.py keeps each one's SHA-256). One storage node is
# SIGKILLed and 20 more objects are written (5 fragments of each chunk acked, the 6th handed to
# a repair queue); a second one is SIGKILLed: every object reads back byte for byte (the
# chunks that lost data fragments decode; the gateway's degraded-read counter rises), and a
# PUT answers 503 (the write quorum, K+1 = 5 fragments, cannot be met). A third
# is SIGKILLed: no chunk has 4 fragments left, and every read answers 503 (a 200 would have
# to carry the right bytes; never a 404, a 500, a body cut short or wrong bytes). The three
# are restarted: the repair queues drain having rebuilt (cairn_storage_ec_fragments_rebuilt_total)
# a fragment for each chunk written while the first was down, every object reads back, and
# every chunk has its 6 fragments on 6 distinct nodes (read off the container files; also by
# whereis: each "ok" on its owner). A 503 must carry none of the object's headers.
set -uo pipefail
FC_BUILD=${1:?usage: fault_29_ec_kill.sh BUILD_DIR}
. "$(dirname "$0")/lib.sh"

fc_ec_setup 6
fc_ec_run "100 objects of 1-8 MiB written" put --prefix a --count 100 --size-min 1048576 \
    --size-max 8388608 --threads 4 --log "$CL_DIR/a.log"

# three distinct victims, at random
read -r k1 k2 k3 <<<"$(fc_storage_names | shuf | head -n 3 | tr '\n' ' ')"
echo "victims: $k1, then $k2, then $k3"
check "SIGKILL $k1" cl_stop_one "$k1" KILL
fc_wait_state "$k1" stop 15 && t_ok "the manager marks $k1 stop" || t_bad "$k1 is $(fc_state "$k1")"
fc_ec_run "with $k1 down, 20 more objects are acked (5 fragments of 6 written)" put --prefix b \
    --count 20 --size-min 1048576 --size-max 4194304 --threads 4 --log "$CL_DIR/b.log"
cat "$CL_DIR/a.log" "$CL_DIR/b.log" >"$CL_DIR/all.log"

d0=$(fc_ec_degraded)
check "SIGKILL $k2" cl_stop_one "$k2" KILL
fc_ec_run "two nodes down ($k1, $k2), at once after the kill: every object reads back byte \
for byte" check --log "$CL_DIR/all.log" --threads 4
fc_wait_state "$k2" stop 15 && t_ok "the manager marks $k2 stop" || t_bad "$k2 is $(fc_state "$k2")"
fc_ec_run "two nodes down, both marked stop: every object reads back byte for byte" \
    check --log "$CL_DIR/all.log" --threads 4
fc_ec_degraded_rose "$d0" "the reads with two nodes down"
# a write needs [gateway] ec_write_quorum fragments durable, K+1 = 5 by default: 4 nodes are left
head -c 2097152 /dev/urandom >"$CL_DIR/nowrite"
s3curl() { cl_in client curl -s --aws-sigv4 aws:amz:us-east-1:s3 --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$@"; }
expect_eq "with two nodes down, a PUT of 2 MiB answers 503 (5 fragments of 6 needed, 4 nodes left)" \
    503 "$(s3curl -o /dev/null -w '%{http_code}' -T "$CL_DIR/nowrite" "$FC_ENDPOINT/$FC_BUCKET/nowrite")"
expect_eq "and the object it did not write is not there (404)" 404 \
    "$(s3curl -o /dev/null -w '%{http_code}' "$FC_ENDPOINT/$FC_BUCKET/nowrite")"

check "SIGKILL $k3" cl_stop_one "$k3" KILL
fc_ec_run "three nodes down: every read answers 503, never wrong bytes" \
    check --log "$CL_DIR/all.log" --threads 4 --expect unavailable
expect_eq "no object reads back with 3 of 6 fragments (every chunk lost 3)" 0 \
    "$(fc_json_get "$FC_REPORT" ok)"
# the 503 is an error answer, not the object's: boto3 1.36 and later (its checksum check on
# by default) cannot read a 503 that carries the object's ETag and a second Content-Type
key=$(head -n 1 "$CL_DIR/a.log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
hdrs=$(s3curl -D - -o /dev/null "$FC_ENDPOINT/$FC_BUCKET/$key" | tr -d '\r')
echo "$hdrs" | head -n 1
expect_eq "the 503 of $key carries none of the object's headers (ETag, Last-Modified) and one \
Content-Type" "503 0 0 1" "$(echo "$hdrs" | awk 'NR == 1 { s = $2 } tolower($1) == "etag:" { e++ }
    tolower($1) == "last-modified:" { m++ } tolower($1) == "content-type:" { c++ }
    END { print s, e + 0, m + 0, c + 0 }')"

for n in "$k1" "$k2" "$k3"; do check "restart $n" cl_start_one "$n"; done
# shellcheck disable=SC2046
fc_wait_until 30 fc_up $(fc_storage_names) && t_ok "the three register again" ||
    t_bad "nodes are not back" "$(cl_adm status 2>&1)"
# shellcheck disable=SC2046
fc_wait_drained 120 $(fc_storage_names) && t_ok "every repair queue drains" ||
    t_bad "queues did not drain" "$(for n in $(fc_storage_names); do cl_adm mq-stats "$n"; done 2>&1)"
# every chunk of group b has a fragment on each node (6 nodes, 4+2): $k1's was rebuilt
want=$(python3 -c 'import json, sys
print(sum(-(-json.loads(l)["size"] // 1048576) for l in open(sys.argv[1])))' "$CL_DIR/b.log")
# (the nodes copy their counters into /metrics once a second: a moment after the queues drain)
rebuilt_all() { got=$(fc_ec_rebuilt); [ "$got" -ge "$want" ]; }
fc_wait_until 10 rebuilt_all &&
    t_ok "the repair queues rebuilt $got fragments (the $want chunks written while $k1 was down \
had none there)" || t_bad "the repair queues rebuilt $got fragments, want $want or more"
fc_ec_run "after the restarts: every object reads back byte for byte" \
    check --log "$CL_DIR/all.log" --threads 4
fc_ec_run "every chunk has its 6 fragments on 6 distinct nodes (those of the objects written \
while $k1 was down rebuilt by the repair queues)" frags --log "$CL_DIR/all.log" \
    --data "$(fc_data_dirs)" --chunk-size 1048576 --admin "$FC_ADMIN" --owners
t_summary
