#!/usr/bin/env bash
# s3-compat-tests/rclone.sh: rclone (Debian package) with an S3 remote against a running
# gateway (run by s3-compat-tests/run, which exports S3_ENDPOINT and the credentials; the
# current directory is scratch, where the rclone config file is written). mkdir, copy, check,
# sync (with deletes), lsjson (names, sizes, modification times kept in x-amz-meta-mtime,
# MD5 hashes), a multipart upload (5 MiB chunks), cat, copyto, deletefile, purge.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/integration/lib.sh
. "$here/../tests/integration/lib.sh"
command -v rclone >/dev/null || { echo "SKIPSUITE rclone is not installed (Debian package rclone)"; exit 2; }
echo "# $(rclone version 2>/dev/null | head -n 1)"

cat >rclone.conf <<CFG
[cairn]
type = s3
provider = Other
access_key_id = $AWS_ACCESS_KEY_ID
secret_access_key = $AWS_SECRET_ACCESS_KEY
endpoint = $S3_ENDPOINT
region = us-east-1
force_path_style = true
CFG
# rclone 1.60's AWS SDK refuses AWS_CA_BUNDLE ("LoadCustomCABundleError ... unsupported
# transport"); the endpoint is plain HTTP anyway, so drop it for rclone.
rc() { env -u AWS_CA_BUNDLE rclone --config rclone.conf --retries 1 --low-level-retries 1 "$@"; }
b=compat-rclone

mkdir -p src/sub "src/with space"
head -c 100000 /dev/urandom >src/a.bin
printf 'text file\n' >src/sub/b.txt
printf 'spaced' >"src/with space/c+d.txt"
head -c $((11 * 1024 * 1024)) /dev/urandom >src/big.bin
touch -d '2021-05-06 07:08:09' src/a.bin

check "mkdir (CreateBucket)" rc mkdir "cairn:$b"
check "copy a tree (the 11 MiB file multipart in 5 MiB chunks)" rc copy --s3-upload-cutoff 5M --s3-chunk-size 5M src "cairn:$b/tree"
check "check: every file matches (sizes and hashes)" rc check src "cairn:$b/tree"
js=$(rc lsjson -R --hash --files-only "cairn:$b/tree" 2>&1)
got=$(printf '%s' "$js" | python3 -c '
import json, sys
for e in sorted(json.load(sys.stdin), key=lambda e: e["Path"]):
    print(e["Path"], e["Size"])' 2>&1 | tr '\n' '|')
expect_eq "lsjson -R: every path and size" "a.bin 100000|big.bin 11534336|sub/b.txt 10|with space/c+d.txt 6|" "$got"
got=$(printf '%s' "$js" | python3 -c '
import json, sys
e = {x["Path"]: x for x in json.load(sys.stdin)}["a.bin"]
print(e["ModTime"][:19], e.get("Hashes", {}).get("md5"))' 2>&1)
expect_eq "lsjson: a.bin's modification time (x-amz-meta-mtime) and MD5" \
    "$(TZ=UTC date -d '2021-05-06 07:08:09' +%Y-%m-%dT%H:%M:%S 2>/dev/null || echo '?') $(md5sum <src/a.bin | cut -d' ' -f1)" "$got"
check "cat returns the bytes" cmp src/sub/b.txt <(rc cat "cairn:$b/tree/sub/b.txt")
rm -rf back
check "copy back down" rc copy "cairn:$b/tree" back
check "... identical tree" diff -r src back

printf 'changed' >src/sub/b.txt
rm "src/with space/c+d.txt"
printf 'new' >src/new.txt
check "sync (an upload, a change, a delete)" rc sync src "cairn:$b/tree"
sleep 0.5 # a listing right after a delete may lag (docs/S3-COMPATIBILITY.md, known issues)
check "check after sync" rc check src "cairn:$b/tree"
got=$(rc lsjson -R --files-only "cairn:$b/tree" 2>&1 | python3 -c '
import json, sys
print(" ".join(sorted(e["Path"] for e in json.load(sys.stdin))))' 2>&1)
expect_eq "lsjson after sync: the deleted file is gone, the new one there" "a.bin big.bin new.txt sub/b.txt" "$got"
check "copyto (server-side copy)" rc copyto "cairn:$b/tree/a.bin" "cairn:$b/copy/a2.bin"
check "... identical" cmp src/a.bin <(rc cat "cairn:$b/copy/a2.bin")
check "deletefile" rc deletefile "cairn:$b/copy/a2.bin"
out=$(rc check src "cairn:$b/tree" --one-way 2>&1)
printf 'x' >>src/a.bin
out=$(rc check src "cairn:$b/tree" 2>&1)
expect_match "check notices a changed file" '1 differences found' "$out"
check "purge (deletes every object and the bucket)" rc purge "cairn:$b"
out=$(rc lsjson "cairn:$b" 2>&1)
expect_match "... the bucket is gone" 'directory not found|NoSuchBucket|not found' "$out"
t_summary
