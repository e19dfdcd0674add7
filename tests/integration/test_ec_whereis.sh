#!/usr/bin/env bash
# tests/integration/test_ec_whereis.sh BUILD_DIR: cairn-adm whereis and du of erasure-coded
# objects (issue 21) on 1 manager, 6 storage nodes and 1 gateway ([gateway] chunk_size 256k):
# an object of 5 chunks PUT into an ec:4+2 bucket shows, in whereis --json and in the table,
# its 5 chunks with 6 fragments each, all ok, on 6 distinct nodes, of the sizes the code
# gives (header + ceil(chunk / 4)); du's fragments and fragment bytes over the 6 nodes are
# exactly those, and raw / logical is the code's 1.5 (plus headers). With one node stopped,
# its fragments say error (and why) and the rest stay ok; an object written meanwhile is
# acked, and once the node is back whereis shows all of its fragments ok again (the handoff
# to the repair queue rebuilt the missing one). Whole objects show no erasure-coded part.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

small_chunks() {
    t_conf gateway <<'EOF'
[gateway]
chunk_size = 256k
EOF
}

t_cluster_boot ecwhere 6 --conf small_chunks --user alice

CHUNK=262144
# ec_json KEY: whereis --json of KEY
ec_json() {
    cl_adm --json whereis "$1" 2>/dev/null
}

# ec_count KEY STATE: how many of KEY's fragments whereis shows in STATE (0 when not coded)
ec_count() {
    ec_json "$1" | t_py "d.get('ec', {}).get('fragments', {}).get('$2', 0)" 2>/dev/null || echo 0
}

# wait_ok KEY N SECONDS: waits until whereis shows N fragments of KEY ok.
wait_ok() {
    local deadline=$((SECONDS + $3))
    until [ "$(ec_count "$1" ok)" = "$2" ]; do
        [ $SECONDS -ge $deadline ] && { ec_json "$1" | head -c 3000; return 1; }
        sleep 0.5
    done
}

# put KEY FILE: a signed PUT; prints the HTTP status
put() {
    sigv4 -o /dev/null -w '%{http_code}' -T "$2" "$endpoint/$1"
}

# coded_put KEY FILE: PUTs until whereis shows KEY coded (the gateway learns the bucket, and
# then its policy, from the manager's feed a moment after add-bucket and
# set-bucket-redundancy)
coded_put() {
    local deadline=$((SECONDS + 20)) code
    until [ -n "$(ec_json "$1" | t_py "d.get('ec', {}).get('chunks', '')" 2>/dev/null)" ]; do
        [ $SECONDS -ge $deadline ] && { echo "last PUT: $code"; return 1; }
        code=$(put "$1" "$2")
        sleep 0.5
    done
}

check "add-bucket ecb" cl_adm add-bucket ecb "$AK"
check "set-bucket-redundancy ecb ec:4+2" cl_adm set-bucket-redundancy ecb ec:4+2

# ---- an object of 5 chunks: 4 of 256 KiB, one of 100000 bytes ---------------------------
head -c $((4 * CHUNK + 100000)) /dev/urandom >"$tmp/big"
check "PUT ecb/big is coded" coded_put ecb/big "$tmp/big" || t_abort "the gateway never coded ecb/big"
check "GET ecb/big gives its bytes back" \
    test "$(sigv4 "$endpoint/ecb/big" | sha256sum)" = "$(sha256sum <"$tmp/big")"

ec_json ecb/big >"$tmp/big.json"
check "whereis --json: 5 chunks, each 4+2, its 6 fragments ok on 6 distinct nodes, sized by the code" \
    python3 - "$tmp/big.json" "$CHUNK" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
chunk = int(sys.argv[2])
ec = d["ec"]
assert ec["chunks"] == 5 and ec["listed"] == 5 and ec["truncated"] is False, ec
assert ec["fragments"] == {"ok": 30, "missing": 0, "corrupt": 0, "deleted": 0, "error": 0,
                           "no owner": 0}, ec["fragments"]
assert ec["from"] in [r["node"] for r in d["replicas"]], ec["from"]
sizes = [chunk] * 4 + [100000]
for c, ent in enumerate(ec["list"]):
    assert ent["seg"] == 0 and ent["chunk"] == c and ent["k"] == 4 and ent["m"] == 2, ent
    assert ent["key"].startswith("\\x01c/ecb/big/") and ent["key"].endswith("%06d" % c), ent
    frags = ent["fragments"]
    assert [f["i"] for f in frags] == list(range(6)), frags
    assert len({f["node"] for f in frags}) == 6, frags
    want = 64 + (sizes[c] + 3) // 4
    for f in frags:
        assert f["state"] == "ok" and f["size"] == want and f["clock"] > 0, (c, f, want)
EOF

out=$(cl_adm whereis ecb/big)
expect_match "whereis: the chunk count and where the manifest was read" \
    "erasure-coded chunks: 5 \(manifest from storage[0-5], clock [0-9]+\)" "$out"
expect_match "whereis: the fragments by state" \
    "fragments: 30 ok, 0 missing, 0 corrupt, 0 deleted, 0 error, 0 no owner" "$out"
expect_match "whereis: a row per fragment, data and parity" \
    "4 parity +\| storage[0-5] +\| ok +\| 65600 " "$out"
expect_match "whereis: the last chunk's fragments" "0 +\| 4 +\| 4\+2 +\| 0 data +\| storage[0-5] +\| ok +\| 25064 " "$out"

# ---- a whole object has no erasure-coded part ---------------------------------------------
head -c 1000 /dev/urandom >"$tmp/small"
expect_eq "PUT ecb/small (under ec_min_object_size: replicated)" 200 "$(put ecb/small "$tmp/small")"
expect_eq "whereis --json of a whole object: no ec" "False" \
    "$(ec_json ecb/small | t_py "'ec' in d or 'ec_error' in d")"
out=$(cl_adm whereis ecb/small)
check "whereis of a whole object prints no erasure-coded part" \
    test -z "$(printf '%s' "$out" | grep 'erasure-coded')"

# ---- du: the fragments' raw bytes, and raw / logical ------------------------------------
# du_sum FIELD: FIELD of du --json summed over the 6 storage nodes
du_sum() {
    local i v sum=0
    for i in 0 1 2 3 4 5; do
        v=$(cl_adm --json du "storage$i" | t_py "d['$1']") || return 1
        sum=$((sum + v))
    done
    echo "$sum"
}
expect_eq "du: 30 fragments over the 6 nodes" 30 "$(du_sum fragments)"
expect_eq "du: their raw bytes (header + payload)" $((24 * 65600 + 6 * 25064)) \
    "$(du_sum fragment_bytes)"
expect_eq "du: copies is N" 3 "$(cl_adm --json du storage0 | t_py 'd["copies"]')"
# replicated records left from a PUT before the gateway coded (deleted in the background)
# and ecb/small's copies aside, raw is the fragments' bytes and logical the object's 1.5x less
small_copies() {
    local deadline=$((SECONDS + 30))
    until [ "$(du_sum raw_bytes)" = $((24 * 65600 + 6 * 25064 + 3 * 1000)) ]; do
        [ $SECONDS -ge $deadline ] && { echo "raw: $(du_sum raw_bytes)"; return 1; }
        sleep 0.5
    done
}
check "du: raw is the fragments' and ecb/small's 3 copies (nothing else is left)" small_copies
logical=$(du_sum logical_bytes)
# each fragment counts payload * 4 / 6 rounded down: 65536 -> 43690, 25000 -> 16666; each
# node with a copy of ecb/small 1000 / 3
expect_eq "du: logical is the object's bytes to a few, plus ecb/small once" \
    $((24 * 43690 + 6 * 16666 + 3 * 333)) "$logical"
check "du: raw / logical is 1.5 and the headers" python3 -c "
r = $(du_sum raw_bytes) / $logical
assert 1.50 < r < 1.51, r"
expect_match "du prints the raw and logical sizes" \
    "raw size: +[0-9]+ \(the records' bodies; [0-9]+ in [0-9]+ erasure-coded fragments\)" \
    "$(for i in 0 1 2 3 4 5; do cl_adm du "storage$i"; done)"
expect_match "du prints the logical size" "logical size: +[0-9]+ \(this node's share: copies / 3" \
    "$(cl_adm du storage0)"

# ---- a node down: its fragments say error; an object written meanwhile is repaired --------
cl_stop_one storage5
down=$(ec_json ecb/big)
expect_eq "with storage5 stopped: its 5 fragments of ecb/big are error" 5 \
    "$(printf '%s' "$down" | t_py "d['ec']['fragments']['error']")"
expect_eq "with storage5 stopped: the 25 others are ok" 25 \
    "$(printf '%s' "$down" | t_py "d['ec']['fragments']['ok']")"
check "with storage5 stopped: the errors are storage5's and say why" python3 -c "
import json, sys
d = json.loads(sys.argv[1])
bad = [f for c in d['ec']['list'] for f in c['fragments'] if f['state'] == 'error']
assert bad and all(f['node'] == 'storage5' and 'storage5' in f['error'] for f in bad), bad
" "$down"
expect_match "whereis prints the error rows" "storage5 +\| error: " "$(cl_adm whereis ecb/big)"

head -c $((2 * CHUNK + 75712)) /dev/urandom >"$tmp/second"
expect_eq "PUT ecb/second with storage5 stopped is acked (K+1 of 6)" 200 \
    "$(put ecb/second "$tmp/second")"
expect_eq "whereis: ecb/second's 3 chunks, 15 of 18 fragments ok" 15 "$(ec_count ecb/second ok)"
check "storage5 starts again" cl_start_one storage5
check "6 storage nodes and the gateway are running" cl_wait_running 7 30
check "whereis: ecb/big's 30 fragments ok again" wait_ok ecb/big 30 30
check "whereis: ecb/second's 18 fragments ok (the repair queue rebuilt storage5's)" \
    wait_ok ecb/second 18 120
check "GET ecb/second gives its bytes back" \
    test "$(sigv4 "$endpoint/ecb/second" | sha256sum)" = "$(sha256sum <"$tmp/second")"

t_summary
