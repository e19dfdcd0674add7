#!/usr/bin/env bash
# fault_38_xdc_sse.sh (issue 22): encrypted objects across linked clusters. A and B, 3
# storage nodes each, each with its own SSE master key (cl_configure's sse-master.key) and
# so its own aws/s3. Objects cross as ciphertext with their data keys wrapped by the KEK of
# the cluster that wrote them; the managers copy each other's KEKs (sealed under the link
# key, wrapped again by their own master, manager/xdc_keys.h) and a gateway that cannot open
# a record with its own KEK tries the writer's (s3_sse.c). On A: an SSE-S3 object, a
# multipart SSE-S3 object of 12 MiB and an SSE-KMS object under a key made on A; on B each
# reads back byte-identical and HEAD says how it is encrypted. Then an SSE-S3 object PUT on B
# reads on B and, once replicated, on A. B's own aws/s3 stays B's (kms-list-keys).
set -u
FC_BUILD=${FC_BUILD:-${1:-build}}
. "$(dirname "$0")/xdc_lib.sh"

xc_init
xc_cluster a 3
xc_cluster b 3
xc_link a b
t_ok "clusters a ($(xc_id a)) and b ($(xc_id b)) linked"

EA=$(xc_endpoint a)
EB=$(xc_endpoint b)
xc_user_bucket a xuser
cl_adm kms-create-key xdc-key >/dev/null || t_abort "kms-create-key on a"

s3() { # s3 ENDPOINT ARGS...: the aws CLI, quiet
    local e=$1
    shift
    aws --endpoint-url "$e" "$@"
}
# same ENDPOINT KEY FILE: KEY reads back from ENDPOINT with FILE's bytes
same() {
    local out=$XC_ROOT/got.$$.$RANDOM
    s3 "$1" s3 cp "s3://$XC_BUCKET/$2" "$out" >/dev/null 2>&1 && cmp -s "$3" "$out"
    local rc=$?
    rm -f "$out"
    return $rc
}
# sse_of ENDPOINT KEY: the object's ServerSideEncryption as HEAD says it
sse_of() {
    s3 "$1" s3api head-object --bucket "$XC_BUCKET" --key "$2" --query ServerSideEncryption \
        --output text 2>&1
}
xc_eventually 30 "b serves the user and the bucket made on a, with the same keys" \
    s3 "$EB" s3api head-bucket --bucket "$XC_BUCKET"

# --- written on a: SSE-S3, multipart SSE-S3, SSE-KMS under a's key
head -c 70000 /dev/urandom >"$XC_ROOT/s3obj"
head -c 12582912 /dev/urandom >"$XC_ROOT/big"
head -c 33333 /dev/urandom >"$XC_ROOT/kmsobj"
check "SSE-S3 PUT on a" s3 "$EA" s3 cp --sse AES256 "$XC_ROOT/s3obj" "s3://$XC_BUCKET/s3obj"
check "multipart SSE-S3 PUT on a (12 MiB)" \
    s3 "$EA" s3 cp --sse AES256 "$XC_ROOT/big" "s3://$XC_BUCKET/big"
check "SSE-KMS PUT on a under a's key xdc-key" s3 "$EA" s3 cp --sse aws:kms \
    --sse-kms-key-id xdc-key "$XC_ROOT/kmsobj" "s3://$XC_BUCKET/kmsobj"
check "a reads its own SSE-S3 object" same "$EA" s3obj "$XC_ROOT/s3obj"

xc_eventually 60 "the SSE-S3 object written on a reads on b, same bytes" \
    same "$EB" s3obj "$XC_ROOT/s3obj"
xc_eventually 60 "the multipart SSE-S3 object written on a reads on b, same bytes" \
    same "$EB" big "$XC_ROOT/big"
xc_eventually 60 "the SSE-KMS object written on a reads on b, same bytes" \
    same "$EB" kmsobj "$XC_ROOT/kmsobj"
expect_eq "b: HEAD says the SSE-S3 object is AES256" AES256 "$(sse_of "$EB" s3obj)"
expect_eq "b: HEAD says the multipart object is AES256" AES256 "$(sse_of "$EB" big)"
expect_eq "b: HEAD says the SSE-KMS object is aws:kms" aws:kms "$(sse_of "$EB" kmsobj)"
kid=$(s3 "$EB" s3api head-object --bucket "$XC_BUCKET" --key kmsobj --query SSEKMSKeyId \
    --output text 2>&1)
expect_eq "b: HEAD names a's KMS key" xdc-key "$kid"
out=$(s3 "$EB" s3api get-object --bucket "$XC_BUCKET" --key big --range bytes=8388000-8389000 \
    "$XC_ROOT/range.b" 2>&1) &&
    cmp -s "$XC_ROOT/range.b" <(tail -c +8388001 "$XC_ROOT/big" | head -c 1001) &&
    t_ok "b: a range across the multipart object's part boundary matches" ||
    t_bad "b: a range across the part boundary" "$out"

# --- written on b: b's own aws/s3 (made now, on first use), read on b, then on a
head -c 50000 /dev/urandom >"$XC_ROOT/fromb"
check "SSE-S3 PUT on b" s3 "$EB" s3 cp --sse AES256 "$XC_ROOT/fromb" "s3://$XC_BUCKET/fromb"
check "b reads its own SSE-S3 object" same "$EB" fromb "$XC_ROOT/fromb"
check "b still reads a's SSE-S3 object (a's KEK, not b's own aws/s3)" \
    same "$EB" s3obj "$XC_ROOT/s3obj"
xc_eventually 60 "the SSE-S3 object written on b reads on a, same bytes" \
    same "$EA" fromb "$XC_ROOT/fromb"
expect_eq "a: HEAD says b's object is AES256" AES256 "$(sse_of "$EA" fromb)"

# --- the key stores: each cluster lists only its own keys
xc_use b
kb=$(cl_adm kms-list-keys 2>&1)
expect_match "b's kms-list-keys shows its own aws/s3" "aws/s3" "$kb"
if printf '%s' "$kb" | grep -q xdc-key; then
    t_bad "a's key is not among b's own keys" "$kb"
else
    t_ok "a's key is not among b's own keys"
fi
errs=$(grep -h "does not unwrap with" "$XC_ROOT"/*/logs/gateway*.log 2>/dev/null | head -n 3)
expect_eq "no gateway failed to open a record" "" "$errs"
t_summary
