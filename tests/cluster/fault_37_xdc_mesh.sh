#!/usr/bin/env bash
# tests/cluster/fault_37_xdc_mesh.sh BUILD_DIR: three clusters linked each to each, then one
# removed (issue 22, test 5). Clusters A, B and C (three storage nodes each), linked A-B, A-C
# and B-C; a user and a bucket made on A reach B and C. A few objects written on each
# cluster (and one multipart upload of 12 MiB on B) reach the two others, read back whole
# (the body's MD5). Then C is removed: remove-cluster C on A and on B, and C removes A and
# B. A and B stay linked: cluster-status on A lists B only, a new write on A reaches B, and
# C no longer receives A's writes.
set -uo pipefail
FC_BUILD=${1:?usage: fault_37_xdc_mesh.sh BUILD_DIR}
. "$(dirname "$0")/xdc_lib.sh"

# link_ids NAME: the ids of NAME's links in cluster-status, sorted, space-separated.
link_ids() {
    xc_use "$1"
    cl_adm --json cluster-status 2>/dev/null |
        python3 -c 'import json,sys; print(" ".join(sorted(l["id"] for l in json.load(sys.stdin)["links"])))'
}

# links_are NAME IDS: NAME's cluster-status lists the links IDS (link_ids' form) and no other.
links_are() {
    [ "$(link_ids "$1")" = "$2" ]
}

xc_init
for n in a b c; do xc_cluster "$n" 3; done
xc_link a b
xc_link a c
xc_link b c
ida=$(xc_id a) && idb=$(xc_id b) && idc=$(xc_id c) || t_abort "no cluster ids"
t_ok "A, B and C linked each to each, every storage node holding its two links"
xc_user_bucket a xu
for n in b c; do
    t=$(xc_wait_bucket "$n" 30) && t_ok "the user, its key and the bucket made on A serve on ${n^^} (${t} s)" ||
        t_abort "${n^^} does not list the bucket made on A within 30 s"
done

for n in a b c; do
    check "3 objects written on ${n^^}" xc_py "$n" put --keys 3 --prefix "w$n" --size 100000 \
        --acked "$XC_ROOT/w$n"
done
check "a 12 MiB multipart upload on B (3 parts)" xc_py b put --keys 1 --prefix mpb \
    --size $((12 << 20)) --acked "$XC_ROOT/wb"
for n in a b c; do
    for m in a b c; do
        [ "$n" = "$m" ] && continue
        out=$(xc_py "$m" wait-keys --get --acked "$XC_ROOT/w$n" --timeout 30 2>&1) &&
            t_ok "${n^^}'s writes read back whole on ${m^^}: $out" ||
            t_bad "${n^^}'s writes on ${m^^}" "$out"
    done
done

# Remove C: both A and B unlink it, and C unlinks them.
for n in a b; do
    xc_use "$n"
    check "remove-cluster C on ${n^^}" cl_adm remove-cluster "$idc"
done
xc_use c
check "remove-cluster A on C" cl_adm remove-cluster "$ida"
check "remove-cluster B on C" cl_adm remove-cluster "$idb"
t0=$SECONDS
t_eventually 30 links_are a "$idb" && t_ok "cluster-status on A lists B only ($((SECONDS - t0)) s)" ||
    t_bad "A's links are still: $(link_ids a)" "$(xc_use a; cl_adm cluster-status 2>&1)"
t_eventually 30 links_are b "$ida" && t_ok "cluster-status on B lists A only" ||
    t_bad "B's links are still: $(link_ids b)"
t_eventually 30 links_are c "" && t_ok "cluster-status on C lists no link" ||
    t_bad "C's links are still: $(link_ids c)"
xc_wait_linked a "$idb" 20 && xc_wait_linked b "$ida" 20 &&
    t_ok "A and B: every storage node still reports their link" ||
    t_bad "A-B no longer reported by every storage node"

check "3 objects written on A after C's removal" xc_py a put --keys 3 --prefix after \
    --size 100000 --acked "$XC_ROOT/after"
out=$(xc_py b wait-keys --get --acked "$XC_ROOT/after" --timeout 30 2>&1) &&
    t_ok "A's new writes reach B: $out" || t_bad "A's new writes do not reach B" "$out"
check "C's gateway still lists the bucket" xc_py c listing --out /dev/null
out=$(xc_py c wait-keys --acked "$XC_ROOT/after" --timeout 5 2>&1) &&
    t_bad "C still receives A's writes: $out" ||
    t_ok "C does not receive A's new writes (none of them on C 5 s after they are on B)"
t_summary
