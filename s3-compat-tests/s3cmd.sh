#!/usr/bin/env bash
# s3-compat-tests/s3cmd.sh: s3cmd (Debian package) against a running gateway, once with SigV4
# and once with --signature-v2 (run by s3-compat-tests/run, which exports S3_ENDPOINT and the
# credentials; the current directory is scratch). Path-style addressing (host_bucket is the
# endpoint itself). Each pass: mb, ls, put with a MIME type and x-amz-meta, info, get, a
# multipart put (5 MiB chunks), sync up and down, cp, mv, setacl --acl-public and an
# anonymous GET, signurl, del, rb; content and metadata checked.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/integration/lib.sh
. "$here/../tests/integration/lib.sh"
command -v s3cmd >/dev/null || { echo "SKIPSUITE s3cmd is not installed (Debian package s3cmd)"; exit 2; }
echo "# $(s3cmd --version)"

hostport=${S3_ENDPOINT#http://}
cat >s3cfg <<CFG
[default]
access_key = $AWS_ACCESS_KEY_ID
secret_key = $AWS_SECRET_ACCESS_KEY
host_base = $hostport
host_bucket = $hostport
bucket_location = us-east-1
use_https = False
check_ssl_certificate = False
signature_v2 = False
progress_meter = False
CFG
head -c 200000 /dev/urandom >obj
head -c $((12 * 1024 * 1024 + 77)) /dev/urandom >big
mkdir -p tree/sub
printf 'one' >tree/1.txt
printf 'two' >tree/sub/2.txt
md5() { md5sum <"$1" | cut -d' ' -f1; }

pass() {
    local tag=$1 b=$2
    shift 2
    sc() { s3cmd -c s3cfg "$@"; }
    check "[$tag] mb" sc "$@" mb "s3://$b"
    expect_match "[$tag] ls lists the bucket" "s3://$b\$" "$(sc "$@" ls 2>&1)"
    check "[$tag] put with --mime-type and x-amz-meta" sc "$@" put --mime-type=text/x-s3cmd \
        --add-header=x-amz-meta-tool:s3cmd obj "s3://$b/dir/obj"
    info=$(sc "$@" info "s3://$b/dir/obj" 2>&1)
    expect_match "[$tag] info: the MD5" "MD5 sum: *$(md5 obj)" "$info"
    expect_match "[$tag] info: the MIME type" 'MIME type: *text/x-s3cmd' "$info"
    expect_match "[$tag] info: the metadata" 'x-amz-meta-tool: *s3cmd' "$info"
    rm -f obj.back
    check "[$tag] get" sc "$@" get "s3://$b/dir/obj" obj.back
    check "[$tag] ... byte-identical" cmp obj obj.back
    check "[$tag] put of 12 MiB in 5 MiB parts (multipart)" sc "$@" put --multipart-chunk-size-mb=5 big "s3://$b/big"
    info=$(sc "$@" info "s3://$b/big" 2>&1)
    expect_match "[$tag] ... its size" 'File size: *12582989' "$info"
    rm -f big.back
    check "[$tag] ... get" sc "$@" get "s3://$b/big" big.back
    check "[$tag] ... byte-identical" cmp big big.back
    check "[$tag] sync up" sc "$@" sync tree/ "s3://$b/tree/"
    got=$(sc "$@" ls -r "s3://$b/tree/" 2>&1 | awk '{print $4}' | tr '\n' ' ')
    expect_eq "[$tag] ls -r after sync" "s3://$b/tree/1.txt s3://$b/tree/sub/2.txt " "$got"
    rm -rf tree.back
    check "[$tag] sync down" sc "$@" sync "s3://$b/tree/" tree.back/
    check "[$tag] ... the tree is identical" diff -r tree tree.back
    check "[$tag] cp" sc "$@" cp "s3://$b/dir/obj" "s3://$b/dir/copy"
    check "[$tag] mv" sc "$@" mv "s3://$b/dir/copy" "s3://$b/dir/moved"
    sleep 0.5 # a listing right after a delete may lag (docs/S3-COMPATIBILITY.md, known issues)
    got=$(sc "$@" ls "s3://$b/dir/" 2>&1 | awk '{print $4}' | tr '\n' ' ')
    expect_eq "[$tag] ... ls shows the original and the moved copy" "s3://$b/dir/moved s3://$b/dir/obj " "$got"
    rm -f moved.back
    sc "$@" get "s3://$b/dir/moved" moved.back >/dev/null 2>&1
    check "[$tag] ... the moved copy is byte-identical" cmp obj moved.back
    check "[$tag] setacl --acl-public" sc "$@" setacl --acl-public "s3://$b/dir/obj"
    check "[$tag] ... an anonymous GET reads it" cmp obj <(curl -sf "$S3_ENDPOINT/$b/dir/obj")
    url=$(sc "$@" signurl "s3://$b/big" +300 2>&1)
    check "[$tag] signurl: curl GETs it (SigV2 query)" cmp big <(curl -sf "$url")
    check "[$tag] del" sc "$@" del "s3://$b/dir/obj"
    out=$(sc "$@" rb "s3://$b" 2>&1)
    expect_match "[$tag] rb of a non-empty bucket: BucketNotEmpty" 'BucketNotEmpty' "$out"
    check "[$tag] del --recursive --force" sc "$@" del --recursive --force "s3://$b/"
    sleep 0.5
    check "[$tag] rb" sc "$@" rb "s3://$b"
    expect_eq "[$tag] ... ls no longer lists it" "" "$(sc "$@" ls 2>&1 | grep "s3://$b\$")"
}

pass sigv4 compat-s3cmd-v4
pass sigv2 compat-s3cmd-v2 --signature-v2
t_summary
