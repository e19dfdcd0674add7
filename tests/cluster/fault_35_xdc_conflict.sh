#!/usr/bin/env bash
# tests/cluster/fault_35_xdc_conflict.sh BUILD_DIR: the same keys written on both sides at
# once (issue 22, test 3). Two linked clusters A and B (three storage nodes each), the bucket
# replicated. Two racers, one on A and one on B, started together, write the same 1,000 keys
# in the same order (each write's content names its side). Both clusters then converge: they
# list the same keys with the same ETag for every key, each key's winner is one of the two
# writes (its md5 is in one racer's acked file; the version with the higher hybrid logical
# clock wins on both sides), and the body read back on each side is the winner's. The
# number of keys each side won is printed.
set -uo pipefail
FC_BUILD=${1:?usage: fault_35_xdc_conflict.sh BUILD_DIR}
. "$(dirname "$0")/xdc_lib.sh"

KEYS=1000

xc_init
xc_cluster a 3
xc_cluster b 3
xc_link a b
xc_user_bucket a xu
t=$(xc_wait_bucket b 30) && t_ok "the user, its key and the bucket made on A serve on B (${t} s)" ||
    t_abort "B does not list the bucket made on A within 30 s"

xc_py a race --keys "$KEYS" --prefix race --tag A --acked "$XC_ROOT/A" >"$XC_ROOT/race-a.out" 2>&1 &
pa=$!
xc_py b race --keys "$KEYS" --prefix race --tag B --acked "$XC_ROOT/B" >"$XC_ROOT/race-b.out" 2>&1 &
pb=$!
t0=$SECONDS
wait "$pa"
ra=$?
wait "$pb"
rb=$?
[ "$ra" = 0 ] && [ "$rb" = 0 ] &&
    t_ok "the $KEYS keys written on A and on B at once, every write acked ($((SECONDS - t0)) s)" ||
    t_bad "racers: A rc $ra $(tail -n 1 "$XC_ROOT/race-a.out"), B rc $rb $(tail -n 1 "$XC_ROOT/race-b.out")"

echo "racer on A: $(tail -n 1 "$XC_ROOT/race-a.out")"
echo "racer on B: $(tail -n 1 "$XC_ROOT/race-b.out")"
out=$(xc_py a compare --other-endpoint "$(xc_endpoint b)" --timeout 60 2>&1) &&
    t_ok "A and B converge: $out" || t_bad "A and B do not converge within 60 s" "$out"
out=$(xc_py a winners --acked "$XC_ROOT/A,$XC_ROOT/B" --prefix race --out "$XC_ROOT/won" 2>&1) &&
    t_ok "every key's winner is one of its two writes: $out" || t_bad "winners" "$out"
for n in a b; do
    out=$(xc_py "$n" wait-keys --get --acked "$XC_ROOT/won" --timeout 10 2>&1) &&
        t_ok "${n^^}: every key's body is its winner's: $out" || t_bad "${n^^}: bodies" "$out"
done
t_summary
