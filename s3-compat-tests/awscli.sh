#!/usr/bin/env bash
# s3-compat-tests/awscli.sh: the aws cli against a running gateway (run by s3-compat-tests/run,
# which exports S3_ENDPOINT and the credentials; the current directory is a scratch dir).
# Debian's awscli (/usr/bin/aws, 2.9) runs everything: aws s3 cp/sync/ls/rm/mb/rb, a 50 MiB
# multipart cp, presign, and s3api for every operation the gateway serves, each checked for
# content and metadata. When the `aws` first on PATH is another version (e.g. a pip aws cli
# 1.x whose botocore sends CRC32 checksums by default), a shorter pass runs with it too.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/integration/lib.sh
. "$here/../tests/integration/lib.sh"

AWS=/usr/bin/aws
[ -x "$AWS" ] || AWS=$(command -v aws) || { echo "SKIPSUITE no aws cli"; exit 2; }
s3() { "$AWS" --endpoint-url "$S3_ENDPOINT" "$@"; }
b=compat-cli
md5() { md5sum <"$1" | cut -d' ' -f1; }
echo "# $("$AWS" --version 2>&1)"

# --- aws s3: mb, ls, cp, sync, rm, rb -------------------------------------------------------
check "s3 mb" s3 s3 mb "s3://$b"
expect_match "s3 ls lists the bucket" " $b\$" "$(s3 s3 ls 2>&1)"
printf 'hello from the cli\n' >small.txt
check "s3 cp up with --content-type and --metadata" s3 s3 cp --only-show-errors small.txt "s3://$b/dir/small file.txt" \
    --content-type text/x-cli --metadata color=green,size=small
check "s3 cp down is byte-identical" cmp small.txt <(s3 s3 cp --only-show-errors "s3://$b/dir/small file.txt" -)
meta=$(s3 s3api head-object --bucket $b --key "dir/small file.txt" --query '[ContentType,Metadata.color,Metadata.size,ContentLength,ETag]' --output text 2>&1 | tr -s ' \t' ' ')
expect_eq "... and keeps Content-Type, metadata, size, MD5 ETag" "text/x-cli green small 19 \"$(md5 small.txt)\"" "$meta"

head -c $((50 * 1024 * 1024)) /dev/urandom >50m
check "s3 cp of 50 MiB (multipart, 8 MiB parts)" s3 s3 cp --only-show-errors 50m "s3://$b/big/50m"
h=$(s3 s3api head-object --bucket $b --key big/50m --query '[ContentLength,ETag]' --output text 2>&1)
expect_match "... head: 52428800 bytes, a 7-part ETag" '^52428800[[:space:]]+"[0-9a-f]{32}-7"$' "$h"
check "... s3 cp down" s3 s3 cp --only-show-errors "s3://$b/big/50m" 50m.back
check "... byte-identical" cmp 50m 50m.back
rm -f 50m.back

mkdir -p tree/sub tree/"with space"
for i in 1 2 3; do head -c $((i * 1000)) /dev/urandom >"tree/f$i"; done
printf 'nested' >tree/sub/n.txt
printf 'spaced' >"tree/with space/a+b.txt"
check "s3 sync up a tree" s3 s3 sync --only-show-errors tree "s3://$b/tree"
keys=$(s3 s3 ls --recursive "s3://$b/tree/" 2>&1 | awk '{ $1=$2=$3=""; sub(/^ +/, ""); print }' | sort | tr '\n' '|')
expect_eq "s3 ls --recursive shows every synced key" "tree/f1|tree/f2|tree/f3|tree/sub/n.txt|tree/with space/a+b.txt|" "$keys"
out=$(s3 s3 sync tree "s3://$b/tree" 2>&1)
expect_eq "a second sync uploads nothing" "" "$out"
printf 'changed!' >tree/f1
rm tree/f3
out=$(s3 s3 sync --delete tree "s3://$b/tree" 2>&1)
expect_match "sync --delete uploads the changed file and deletes the removed one" 'upload: tree/f1.*delete: s3://[^ ]*/tree/f3|delete: s3://[^ ]*/tree/f3.*upload: tree/f1' "$(printf '%s' "$out" | tr '\n' ' ')"
check "s3 sync down" s3 s3 sync --only-show-errors "s3://$b/tree" tree.back
check "... the tree comes back identical" diff -r tree tree.back
check "s3 rm one key" s3 s3 rm --only-show-errors "s3://$b/tree/f2"
out=$(s3 s3api head-object --bucket $b --key tree/f2 2>&1)
expect_match "... it is gone (404)" '404|Not Found' "$out"
check "s3 rm --recursive" s3 s3 rm --only-show-errors --recursive "s3://$b/tree/"
sleep 0.5 # a listing right after a delete may lag (docs/S3-COMPATIBILITY.md, known issues)
expect_eq "... the prefix is empty" "" "$(s3 s3 ls --recursive "s3://$b/tree/" 2>&1)"
check "s3 mb a second bucket" s3 s3 mb "s3://$b-rb"
printf x | s3 s3 cp --only-show-errors - "s3://$b-rb/x"
out=$(s3 s3 rb "s3://$b-rb" 2>&1)
expect_match "s3 rb of a non-empty bucket: BucketNotEmpty" 'BucketNotEmpty' "$out"
check "s3 rb --force" s3 s3 rb --force "s3://$b-rb"
out=$(s3 s3api head-bucket --bucket "$b-rb" 2>&1)
expect_match "... the bucket is gone (404)" '404|Not Found' "$out"

# --- presign -------------------------------------------------------------------------------
url=$(s3 s3 presign "s3://$b/dir/small file.txt" --expires-in 300 2>&1)
check "s3 presign: curl GETs the object without credentials" cmp small.txt <(curl -sf "$url")
url=$(s3 s3 presign "s3://$b/dir/small file.txt" --expires-in 1 2>&1)
sleep 2
code=$(curl -s -o /dev/null -w '%{http_code}' "$url")
expect_eq "an expired presigned URL: 403" 403 "$code"

# --- s3api: buckets --------------------------------------------------------------------------
# us-east-1 is expressed by no LocationConstraint; naming it is S3's InvalidLocationConstraint
out=$(s3 s3api create-bucket --bucket "$b-api" --create-bucket-configuration LocationConstraint=us-east-1 2>&1)
expect_match "s3api create-bucket LocationConstraint=us-east-1: InvalidLocationConstraint" 'InvalidLocationConstraint' "$out"
out=$(s3 s3api create-bucket --bucket "$b-api" --create-bucket-configuration LocationConstraint=eu-west-1 2>&1)
expect_match "... LocationConstraint=eu-west-1 (not this gateway's): IllegalLocationConstraintException" \
    'IllegalLocationConstraintException' "$out"
check "s3api create-bucket" s3 s3api create-bucket --bucket "$b-api"
check "put-bucket-acl public-read" s3 s3api put-bucket-acl --bucket "$b-api" --acl public-read
check "create-bucket again by its owner: 200 (us-east-1, as S3)" s3 s3api create-bucket --bucket "$b-api"
out=$(s3 s3api get-bucket-acl --bucket "$b-api" 2>&1)
expect_match "... and the re-create kept its ACL (AllUsers READ)" 'AllUsers' "$out"
check "put-bucket-acl private" s3 s3api put-bucket-acl --bucket "$b-api" --acl private
out=$(s3 s3api create-bucket --bucket "Bad_Name" 2>&1)
expect_match "create-bucket Bad_Name: InvalidBucketName" 'InvalidBucketName' "$out"
check "head-bucket" s3 s3api head-bucket --bucket "$b-api"
out=$(s3 s3api list-buckets --query 'Buckets[].Name' --output text 2>&1)
expect_match "list-buckets names both buckets" "$b-api" "$out"
loc=$(s3 s3api get-bucket-location --bucket "$b-api" --output text 2>&1)
expect_match "get-bucket-location" '^(None|us-east-1)$' "$loc"

# --- s3api: objects with every standard header -----------------------------------------------
head -c 70000 /dev/urandom >obj
check "put-object with metadata and standard headers" s3 s3api put-object --bucket "$b-api" --key "k/ü ?#%+.bin" --body obj \
    --content-type application/x-test --content-encoding identity --content-disposition 'attachment; filename="o.bin"' \
    --content-language de --cache-control no-cache --expires 2030-01-01T00:00:00Z --metadata a=1,b=two
got=$(s3 s3api head-object --bucket "$b-api" --key "k/ü ?#%+.bin" --output json \
    --query '[ContentType,ContentEncoding,ContentDisposition,ContentLanguage,CacheControl,Metadata.a,Metadata.b,ContentLength]' 2>&1 | tr -d ' \n')
expect_eq "head-object returns every header and the metadata" \
    '["application/x-test","identity","attachment;filename=\"o.bin\"","de","no-cache","1","two",70000]' "$got"
exp=$(s3 s3api head-object --bucket "$b-api" --key "k/ü ?#%+.bin" --query Expires --output text 2>&1)
expect_match "... and Expires" '2030-01-01' "$exp"
check "get-object of a unicode key with ?#%+ in it" s3 s3api get-object --bucket "$b-api" --key "k/ü ?#%+.bin" obj.back
check "... byte-identical" cmp obj obj.back
s3 s3api get-object --bucket "$b-api" --key "k/ü ?#%+.bin" --range bytes=100-199 part >/dev/null 2>&1
check "get-object --range bytes=100-199" cmp part <(tail -c +101 obj | head -c 100)
s3 s3api get-object --bucket "$b-api" --key "k/ü ?#%+.bin" --range bytes=-50 part >/dev/null 2>&1
check "get-object --range bytes=-50 (suffix)" cmp part <(tail -c 50 obj)
out=$(s3 s3api get-object --bucket "$b-api" --key "k/ü ?#%+.bin" --range bytes=80000-90000 part 2>&1)
expect_match "a range past the end: InvalidRange" 'InvalidRange|416' "$out"
etag=$(s3 s3api head-object --bucket "$b-api" --key "k/ü ?#%+.bin" --query ETag --output text 2>&1)
out=$(s3 s3api get-object --bucket "$b-api" --key "k/ü ?#%+.bin" --if-none-match "$etag" part 2>&1)
expect_match "get-object --if-none-match ETag: 304" '304|Not Modified' "$out"
out=$(s3 s3api get-object --bucket "$b-api" --key "k/ü ?#%+.bin" --if-match '"00000000000000000000000000000000"' part 2>&1)
expect_match "get-object --if-match another ETag: 412" 'PreconditionFailed|412' "$out"
check "get-object --if-match its ETag" s3 s3api get-object --bucket "$b-api" --key "k/ü ?#%+.bin" --if-match "$etag" part
out=$(s3 s3api get-object --bucket "$b-api" --key "k/ü ?#%+.bin" --if-modified-since 2035-01-01T00:00:00Z part 2>&1)
expect_match "get-object --if-modified-since the future: 304" '304|Not Modified' "$out"
out=$(s3 s3api get-object --bucket "$b-api" --key "k/ü ?#%+.bin" --if-unmodified-since 2001-01-01T00:00:00Z part 2>&1)
expect_match "get-object --if-unmodified-since the past: 412" 'PreconditionFailed|412' "$out"
hdr=$(s3 s3api get-object --bucket "$b-api" --key "k/ü ?#%+.bin" --response-content-type text/x-over \
    --response-content-disposition inline --query '[ContentType,ContentDisposition]' --output text part 2>&1 | tr -s '\t' ' ')
expect_eq "get-object --response-content-type/-disposition override" "text/x-over inline" "$hdr"
md5b64=$(openssl dgst -md5 -binary obj | base64)
check "put-object with a right --content-md5" s3 s3api put-object --bucket "$b-api" --key md5ok --body obj --content-md5 "$md5b64"
out=$(s3 s3api put-object --bucket "$b-api" --key md5bad --body obj --content-md5 "$(printf x | openssl dgst -md5 -binary | base64)" 2>&1)
expect_match "put-object with a wrong --content-md5: BadDigest" 'BadDigest' "$out"
out=$(s3 s3api get-object --bucket "$b-api" --key nope part 2>&1)
expect_match "get-object of a missing key: NoSuchKey" 'NoSuchKey' "$out"
out=$(s3 s3api get-object --bucket no-such-bucket-cli --key k part 2>&1)
expect_match "get-object in a missing bucket: NoSuchBucket" 'NoSuchBucket' "$out"

# --- s3api: listings (v1 and v2) ----------------------------------------------------------
for k in l/a l/b/1 l/b/2 l/c l/d/1 l/e; do printf '%s' "$k" | s3 s3 cp --only-show-errors - "s3://$b-api/$k"; done
got=$(s3 s3api list-objects --bucket "$b-api" --prefix l/ --delimiter / --query '[Contents[].Key,CommonPrefixes[].Prefix]' --output text 2>&1 | tr -s ' \t\n' ' ')
expect_eq "list-objects (v1) with prefix and delimiter" "l/a l/c l/e l/b/ l/d/ " "$got"
got=$(s3 s3api list-objects --bucket "$b-api" --prefix l/ --marker l/b/2 --no-paginate --max-keys 2 --query '[Contents[].Key,IsTruncated]' --output json 2>&1 | tr -d ' \n')
expect_eq "list-objects (v1) marker and max-keys: truncated after 2 keys" '[["l/c","l/d/1"],true]' "$got"
got=$(s3 s3api list-objects-v2 --bucket "$b-api" --prefix l/ --start-after l/c --fetch-owner --no-paginate --query '[Contents[].Key,KeyCount,Contents[0].Owner.ID!=`null`]' --output json 2>&1 | tr -d ' \n')
expect_eq "list-objects-v2 start-after, KeyCount, fetch-owner" '[["l/d/1","l/e"],2,true]' "$got"
got=$(s3 s3api list-objects-v2 --bucket "$b-api" --prefix l/ --page-size 2 --query 'Contents[].Key' --output text 2>&1 | tr -s ' \t\n' ' ')
expect_eq "list-objects-v2 paged by 2 (continuation tokens) lists all 6 in order" "l/a l/b/1 l/b/2 l/c l/d/1 l/e " "$got"
got=$(s3 s3api list-objects-v2 --bucket "$b-api" --prefix "k/" --encoding-type url --query 'Contents[].Key' --output text 2>&1)
expect_eq "list-objects-v2 --encoding-type url: the key URL-encoded" "k/%C3%BC%20%3F%23%25%2B.bin" "$got"

# --- s3api: copy, delete ---------------------------------------------------------------------
got=$(s3 s3api copy-object --bucket "$b-api" --key copy/1 --copy-source "$b-api/md5ok" --query CopyObjectResult.ETag --output text 2>&1)
expect_eq "copy-object answers the source's ETag" "\"$(md5 obj)\"" "$got"
got=$(s3 s3api copy-object --bucket "$b" --key copy/big --copy-source "$b/big/50m" --metadata-directive REPLACE \
    --content-type text/x-replaced --metadata r=1 --query CopyObjectResult.ETag --output text 2>&1)
expect_match "copy-object of the 50 MiB object across buckets with REPLACE" '^"[0-9a-f]{32}(-[0-9]+)?"$' "$got"
check "... byte-identical" cmp 50m <(s3 s3 cp --only-show-errors "s3://$b/copy/big" -)
meta=$(s3 s3api head-object --bucket "$b" --key copy/big --query '[ContentType,Metadata.r]' --output text 2>&1 | tr -s ' \t' ' ')
expect_eq "... with the new Content-Type and metadata" "text/x-replaced 1" "$meta"
check "delete-object" s3 s3api delete-object --bucket "$b-api" --key copy/1
check "delete-object of a missing key succeeds (204)" s3 s3api delete-object --bucket "$b-api" --key copy/never
got=$(s3 s3api delete-objects --bucket "$b-api" --delete '{"Objects":[{"Key":"l/a"},{"Key":"l/b/1"},{"Key":"l/none"}]}' --query 'Deleted[].Key' --output text 2>&1 | tr -s ' \t\n' ' ')
expect_eq "delete-objects" "l/a l/b/1 l/none " "$got"

# --- s3api: multipart step by step, UploadPartCopy --------------------------------------------
head -c $((5 * 1024 * 1024)) /dev/urandom >p1
printf 'the last part' >p2
id=$(s3 s3api create-multipart-upload --bucket "$b-api" --key mp --content-type text/x-mp --metadata m=1 --query UploadId --output text 2>&1)
expect_match "create-multipart-upload" '^[0-9a-f]{32}$' "$id"
e1=$(s3 s3api upload-part --bucket "$b-api" --key mp --upload-id "$id" --part-number 1 --body p1 --query ETag --output text 2>&1)
e2=$(s3 s3api upload-part-copy --bucket "$b-api" --key mp --upload-id "$id" --part-number 2 --copy-source "$b-api/md5ok" \
    --copy-source-range bytes=0-9 --query CopyPartResult.ETag --output text 2>&1)
expect_eq "upload-part-copy with a range: the range's MD5" "\"$(head -c 10 obj | md5sum | cut -d' ' -f1)\"" "$e2"
e3=$(s3 s3api upload-part --bucket "$b-api" --key mp --upload-id "$id" --part-number 3 --body p2 --query ETag --output text 2>&1)
got=$(s3 s3api list-parts --bucket "$b-api" --key mp --upload-id "$id" --query 'Parts[].[PartNumber,Size]' --output text 2>&1 | tr -s ' \t\n' ' ')
expect_eq "list-parts" "1 5242880 2 10 3 13 " "$got"
got=$(s3 s3api list-multipart-uploads --bucket "$b-api" --query 'Uploads[].[Key,UploadId]' --output text 2>&1 | tr -s ' \t\n' ' ')
expect_eq "list-multipart-uploads" "mp $id " "$got"
out=$(s3 s3api complete-multipart-upload --bucket "$b-api" --key mp --upload-id "$id" \
    --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$e1},{\"PartNumber\":2,\"ETag\":$e2},{\"PartNumber\":3,\"ETag\":$e3}]}" 2>&1)
expect_match "complete with a 10-byte middle part: EntityTooSmall" 'EntityTooSmall' "$out"
out=$(s3 s3api complete-multipart-upload --bucket "$b-api" --key mp --upload-id "$id" \
    --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$e1},{\"PartNumber\":3,\"ETag\":$e3}]}" --query ETag --output text 2>&1)
want=$(python3 -c "import hashlib,sys; d=b''.join(hashlib.md5(open(f,'rb').read()).digest() for f in sys.argv[1:]); print('\"%s-2\"' % hashlib.md5(d).hexdigest())" p1 p2)
expect_eq "complete parts 1 and 3: md5-of-md5s-2" "$want" "$out"
check "... the object is part 1 + part 3" cmp <(cat p1 p2) <(s3 s3 cp --only-show-errors "s3://$b-api/mp" -)
meta=$(s3 s3api head-object --bucket "$b-api" --key mp --query '[ContentType,Metadata.m]' --output text 2>&1 | tr -s ' \t' ' ')
expect_eq "... Content-Type and metadata from create" "text/x-mp 1" "$meta"
# object attributes, parts, checksums, ListMultipartUploads with a delimiter (issue 16); mp's
# parts are 1 and 3 (p1, p2): GET's partNumber counts the object's parts, 1 and 2
got=$(s3 s3api get-object-attributes --bucket "$b-api" --key mp --object-attributes ETag ObjectSize \
    ObjectParts StorageClass --query '[ETag,ObjectSize,ObjectParts.TotalPartsCount,StorageClass]' \
    --output text 2>&1 | tr -s ' \t' ' ')
expect_eq "get-object-attributes of mp" "$(printf '%s' "$want" | tr -d '"') $((5242880 + 13)) 2 STANDARD" "$got"
got=$(s3 s3api get-object --bucket "$b-api" --key mp --part-number 2 part2 --query '[PartsCount,ContentRange]' \
    --output text 2>&1 | tr -s ' \t' ' ')
expect_eq "get-object --part-number 2: parts count, range" "2 bytes 5242880-5242892/5242893" "$got"
check "... its bytes are part 3's" cmp p2 part2
out=$(s3 s3api get-object --bucket "$b-api" --key mp --part-number 3 part3 2>&1)
expect_match "get-object --part-number 3 of 2 parts: InvalidPartNumber" 'InvalidPartNumber' "$out"
got=$(s3 s3api head-object --bucket "$b-api" --key mp --part-number 1 --query '[ContentLength,PartsCount]' \
    --output text 2>&1 | tr -s ' \t' ' ')
expect_eq "head-object --part-number 1" "5242880 2" "$got"
id=$(s3 s3api create-multipart-upload --bucket "$b-api" --key mpsum --checksum-algorithm SHA256 --query UploadId --output text 2>&1)
sum=$(s3 s3api upload-part --bucket "$b-api" --key mpsum --upload-id "$id" --part-number 1 --body p2 \
    --checksum-algorithm SHA256 --query ChecksumSHA256 --output text 2>&1)
expect_eq "upload-part --checksum-algorithm SHA256" "$(openssl dgst -sha256 -binary p2 | base64)" "$sum"
e1=$(s3 s3api list-parts --bucket "$b-api" --key mpsum --upload-id "$id" --query 'Parts[0].[ETag,ChecksumSHA256]' --output text 2>&1 | tr -s ' \t' ' ')
expect_eq "list-parts: the part's SHA256" "$sum" "${e1#* }"
got=$(s3 s3api complete-multipart-upload --bucket "$b-api" --key mpsum --upload-id "$id" \
    --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":${e1%% *},\"ChecksumSHA256\":\"$sum\"}]}" \
    --query ChecksumSHA256 --output text 2>&1)
expect_eq "complete-multipart-upload: the composite SHA256" \
    "$(openssl dgst -sha256 -binary p2 | openssl dgst -sha256 -binary | base64)-1" "$got"
got=$(s3 s3api head-object --bucket "$b-api" --key mpsum --checksum-mode ENABLED --query ChecksumSHA256 --output text 2>&1)
expect_eq "head-object --checksum-mode ENABLED: the composite SHA256" \
    "$(openssl dgst -sha256 -binary p2 | openssl dgst -sha256 -binary | base64)-1" "$got"
for k in dl/a/1 dl/a/2 dl/b dl/c/d/1; do
    s3 s3api create-multipart-upload --bucket "$b-api" --key "$k" --query UploadId --output text >>dl.ids 2>&1
done
got=$(s3 s3api list-multipart-uploads --bucket "$b-api" --prefix dl/ --delimiter / \
    --query '[Uploads[].Key,CommonPrefixes[].Prefix]' --output text 2>&1 | tr -s ' \t\n' ' ')
expect_eq "list-multipart-uploads --delimiter /" "dl/b dl/a/ dl/c/ " "$got"
paste -d' ' <(printf '%s\n' dl/a/1 dl/a/2 dl/b dl/c/d/1) dl.ids | while read -r k u; do
    s3 s3api abort-multipart-upload --bucket "$b-api" --key "$k" --upload-id "$u"
done
id=$(s3 s3api create-multipart-upload --bucket "$b-api" --key mp2 --query UploadId --output text 2>&1)
check "abort-multipart-upload" s3 s3api abort-multipart-upload --bucket "$b-api" --key mp2 --upload-id "$id"
out=$(s3 s3api list-parts --bucket "$b-api" --key mp2 --upload-id "$id" 2>&1)
expect_match "list-parts after abort: NoSuchUpload" 'NoSuchUpload' "$out"

# --- s3api: ACLs, tagging, what is not implemented ------------------------------------------------
check "put-object-acl public-read" s3 s3api put-object-acl --bucket "$b-api" --key md5ok --acl public-read
got=$(s3 s3api get-object-acl --bucket "$b-api" --key md5ok --query 'Grants[].[Grantee.URI,Permission]' --output text 2>&1)
expect_match "get-object-acl: AllUsers READ" 'AllUsers[[:space:]]+READ' "$got"
check "... an anonymous GET reads it" cmp obj <(curl -sf "$S3_ENDPOINT/$b-api/md5ok")
code=$(curl -s -o /dev/null -w '%{http_code}' "$S3_ENDPOINT/$b-api/mp")
expect_eq "an anonymous GET of a private object: 403" 403 "$code"
check "put-bucket-acl public-read" s3 s3api put-bucket-acl --bucket "$b-api" --acl public-read
got=$(s3 s3api get-bucket-acl --bucket "$b-api" --query 'Grants[].[Grantee.URI,Permission]' --output text 2>&1)
expect_match "get-bucket-acl: AllUsers READ" 'AllUsers[[:space:]]+READ' "$got"
expect_match "... an anonymous listing works" '<Key>mp</Key>' "$(curl -s "$S3_ENDPOINT/$b-api?list-type=2")"
check "put-bucket-acl private" s3 s3api put-bucket-acl --bucket "$b-api" --acl private
got=$(s3 s3api get-bucket-acl --bucket "$b-api" --query 'Grants[].Permission' --output text 2>&1)
expect_eq "get-bucket-acl: FULL_CONTROL only" "FULL_CONTROL" "$got"
code=$(curl -s -o /dev/null -w '%{http_code}' "$S3_ENDPOINT/$b-api?list-type=2")
expect_eq "... an anonymous listing: 403" 403 "$code"
got=$(s3 s3api get-object-tagging --bucket "$b-api" --key mp --query 'TagSet' --output json 2>&1 | tr -d ' \n')
expect_eq "get-object-tagging: an empty TagSet" "[]" "$got"
# tags (issue 16)
check "put-object --tagging" s3 s3api put-object --bucket "$b-api" --key tagged --body obj --tagging 'team=blue&env=dev%20test'
got=$(s3 s3api get-object-tagging --bucket "$b-api" --key tagged --query 'TagSet[].[Key,Value]' --output text 2>&1 | tr -s ' \t\n' ' ')
expect_eq "get-object-tagging returns them in order" "team blue env dev test " "$got"
expect_eq "get-object: TagCount (x-amz-tagging-count)" 2 "$(s3 s3api get-object --bucket "$b-api" --key tagged tagged.out --query TagCount --output text 2>&1)"
check "put-object-tagging" s3 s3api put-object-tagging --bucket "$b-api" --key tagged --tagging 'TagSet=[{Key=only,Value=one}]'
expect_eq "... replaces the tags" "only one" "$(s3 s3api get-object-tagging --bucket "$b-api" --key tagged --query 'TagSet[].[Key,Value]' --output text 2>&1 | tr -s ' \t' ' ')"
check "s3 cp s3:// s3:// (the cli copies the tags)" s3 s3 cp --only-show-errors "s3://$b-api/tagged" "s3://$b-api/tagged-copy"
expect_eq "... the copy has them" "only one" "$(s3 s3api get-object-tagging --bucket "$b-api" --key tagged-copy --query 'TagSet[].[Key,Value]' --output text 2>&1 | tr -s ' \t' ' ')"
check "copy-object --tagging-directive REPLACE" s3 s3api copy-object --bucket "$b-api" --key tagged-r --copy-source "$b-api/tagged" --tagging-directive REPLACE --tagging 'r=1'
expect_eq "... the copy has the new tags" "r 1" "$(s3 s3api get-object-tagging --bucket "$b-api" --key tagged-r --query 'TagSet[].[Key,Value]' --output text 2>&1 | tr -s ' \t' ' ')"
out=$(s3 s3api put-object-tagging --bucket "$b-api" --key tagged --tagging 'TagSet=[{Key=aws:x,Value=1}]' 2>&1)
expect_match "put-object-tagging with an aws: key: InvalidTag" 'InvalidTag' "$out"
out=$(s3 s3api put-object --bucket "$b-api" --key tagged --body obj --tagging 'a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11' 2>&1)
expect_match "put-object with 11 tags: InvalidTag" 'InvalidTag' "$out"
check "delete-object-tagging" s3 s3api delete-object-tagging --bucket "$b-api" --key tagged
expect_eq "... no tags left" "[]" "$(s3 s3api get-object-tagging --bucket "$b-api" --key tagged --query 'TagSet' --output json 2>&1 | tr -d ' \n')"
out=$(s3 s3api get-bucket-tagging --bucket "$b-api" 2>&1)
expect_match "get-bucket-tagging without tags: NoSuchTagSet" 'NoSuchTagSet' "$out"
check "put-bucket-tagging" s3 s3api put-bucket-tagging --bucket "$b-api" --tagging 'TagSet=[{Key=cost,Value=center 7}]'
expect_eq "get-bucket-tagging returns it" "cost center 7" "$(s3 s3api get-bucket-tagging --bucket "$b-api" --query 'TagSet[].[Key,Value]' --output text 2>&1 | tr -s ' \t' ' ')"
check "delete-bucket-tagging" s3 s3api delete-bucket-tagging --bucket "$b-api"
out=$(s3 s3api get-bucket-tagging --bucket "$b-api" 2>&1)
expect_match "... then get-bucket-tagging: NoSuchTagSet" 'NoSuchTagSet' "$out"
out=$(s3 s3api delete-bucket --bucket "$b-api" 2>&1)
expect_match "delete-bucket of a non-empty bucket: BucketNotEmpty" 'BucketNotEmpty' "$out"
s3 s3 rm --only-show-errors --recursive "s3://$b-api/" >/dev/null 2>&1
check "delete-bucket once empty" s3 s3api delete-bucket --bucket "$b-api"

# --- versioning (issue 16): versions, list-object-versions, a restore by deleting the marker ---
check "s3 mb of the versioned bucket" s3 s3 mb "s3://$b-ver"
check "put-bucket-versioning Enabled" s3 s3api put-bucket-versioning --bucket "$b-ver" \
    --versioning-configuration Status=Enabled
expect_eq "get-bucket-versioning" "Enabled" \
    "$(s3 s3api get-bucket-versioning --bucket "$b-ver" --query Status --output text 2>&1)"
printf 'one' >v1.txt
printf 'two' >v2.txt
check "put-object, a first version" s3 s3api put-object --bucket "$b-ver" --key doc --body v1.txt
check "put-object, a second" s3 s3api put-object --bucket "$b-ver" --key doc --body v2.txt
check "s3 rm: a delete marker" s3 s3 rm "s3://$b-ver/doc"
out=$(s3 s3api get-object --bucket "$b-ver" --key doc got.txt 2>&1)
expect_match "... the object is gone" 'NoSuchKey|Not Found|404' "$out"
got=$(s3 s3api list-object-versions --bucket "$b-ver" --output json 2>&1)
nv=$(printf '%s' "$got" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d.get("Versions",[])), len(d.get("DeleteMarkers",[])), d["DeleteMarkers"][0]["IsLatest"])' 2>&1)
expect_eq "list-object-versions: 2 versions and a latest delete marker" "2 1 True" "$nv"
marker=$(s3 s3api list-object-versions --bucket "$b-ver" --query 'DeleteMarkers[0].VersionId' --output text 2>&1)
check "delete-object --version-id of the marker" s3 s3api delete-object --bucket "$b-ver" --key doc --version-id "$marker"
check "... restores the object" s3 s3api get-object --bucket "$b-ver" --key doc got.txt
check "... its latest version" cmp got.txt v2.txt
first=$(s3 s3api list-object-versions --bucket "$b-ver" --query 'Versions[?IsLatest==`false`].VersionId' --output text 2>&1)
check "get-object --version-id of the older version" s3 s3api get-object --bucket "$b-ver" --key doc --version-id "$first" got.txt
check "... its bytes" cmp got.txt v1.txt
for v in $(s3 s3api list-object-versions --bucket "$b-ver" --query 'Versions[].VersionId' --output text 2>&1); do
    s3 s3api delete-object --bucket "$b-ver" --key doc --version-id "$v" >/dev/null 2>&1
done
check "delete-bucket once every version is deleted" s3 s3api delete-bucket --bucket "$b-ver"

# --- access control (issue 15): bucket policy, public access block, ownership controls -------
check "s3 mb of the access-control bucket" s3 s3 mb "s3://$b-ac"
printf 'open' >open.txt
check "put-object pub/open.txt" s3 s3api put-object --bucket "$b-ac" --key pub/open.txt --body open.txt
out=$(s3 s3api get-bucket-policy --bucket "$b-ac" 2>&1)
expect_match "get-bucket-policy without one: NoSuchBucketPolicy" 'NoSuchBucketPolicy' "$out"
out=$(s3 s3api put-bucket-policy --bucket "$b-ac" --policy '{"Statement":[' 2>&1)
expect_match "put-bucket-policy of broken JSON: MalformedPolicy" 'MalformedPolicy' "$out"
pol='{"Version":"2012-10-17","Statement":[{"Sid":"pub","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::'"$b-ac"'/pub/*"}]}'
check "put-bucket-policy (everyone may GET pub/*)" s3 s3api put-bucket-policy --bucket "$b-ac" --policy "$pol"
expect_match "get-bucket-policy returns it" '"Sid":"pub"|"Sid": "pub"' "$(s3 s3api get-bucket-policy --bucket "$b-ac" --output text 2>&1)"
expect_eq "get-bucket-policy-status: public" True     "$(s3 s3api get-bucket-policy-status --bucket "$b-ac" --query PolicyStatus.IsPublic --output text 2>&1)"
expect_eq "anonymous GET of pub/open.txt through the policy" open     "$(curl -s "$S3_ENDPOINT/$b-ac/pub/open.txt")"
check "put-public-access-block (RestrictPublicBuckets)" s3 s3api put-public-access-block --bucket "$b-ac"     --public-access-block-configuration BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=true
expect_eq "get-public-access-block returns it" "False False False True"     "$(s3 s3api get-public-access-block --bucket "$b-ac" --query 'PublicAccessBlockConfiguration.[BlockPublicAcls,IgnorePublicAcls,BlockPublicPolicy,RestrictPublicBuckets]' --output text 2>&1 | tr -s ' \t' ' ')"
expect_eq "anonymous GET with RestrictPublicBuckets: 403" 403     "$(curl -s -o /dev/null -w '%{http_code}' "$S3_ENDPOINT/$b-ac/pub/open.txt")"
check "delete-public-access-block" s3 s3api delete-public-access-block --bucket "$b-ac"
check "put-bucket-ownership-controls BucketOwnerEnforced" s3 s3api put-bucket-ownership-controls \
    --bucket "$b-ac" --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'
expect_eq "get-bucket-ownership-controls returns it" BucketOwnerEnforced     "$(s3 s3api get-bucket-ownership-controls --bucket "$b-ac" --query 'OwnershipControls.Rules[0].ObjectOwnership' --output text 2>&1)"
out=$(s3 s3api put-object --bucket "$b-ac" --key x --body open.txt --acl public-read 2>&1)
expect_match "a public ACL with ACLs disabled: AccessControlListNotSupported" 'AccessControlListNotSupported' "$out"
check "delete-bucket-ownership-controls" s3 s3api delete-bucket-ownership-controls --bucket "$b-ac"
check "delete-bucket-policy" s3 s3api delete-bucket-policy --bucket "$b-ac"
check "s3 rb --force of the access-control bucket" s3 s3 rb --force "s3://$b-ac"

# --- who owns what: listings' Owner, an upload's Initiator, BucketOwnerPreferred -------------
adm() { "$COMPAT_BUILD/manager/adm/cairn-adm" --manager "$COMPAT_ADMIN" "$@"; }
w=$(adm --json create-user compat-writer 2>&1)
W_AK=$(printf '%s' "$w" | t_py 'd["access_key"]' 2>/dev/null)
W_SK=$(printf '%s' "$w" | t_py 'd["secret"]' 2>/dev/null)
users=$(adm --json get-users 2>&1)
W_ID=$(printf '%s' "$users" | t_py '[u["id"] for u in d if u["user"] == "compat-writer"][0]' 2>/dev/null)
O_ID=$(printf '%s' "$users" | t_py '[u["id"] for u in d if u["user"] == "compat"][0]' 2>/dev/null)
expect_match "a second user, compat-writer, with a canonical id" '^[0-9a-f]{64}$' "$W_ID"
sw() { AWS_ACCESS_KEY_ID=$W_AK AWS_SECRET_ACCESS_KEY=$W_SK s3 "$@"; }
deadline=$((SECONDS + 20))
until sw s3api list-buckets >/dev/null 2>&1 || [ $SECONDS -ge $deadline ]; do sleep 0.3; done
check "s3 mb of the ownership bucket, public-read-write" s3 s3api create-bucket --bucket "$b-own" \
    --acl public-read-write
check "compat-writer puts by-writer" sw s3api put-object --bucket "$b-own" --key by-writer --body open.txt
check "the owner puts by-owner" s3 s3api put-object --bucket "$b-own" --key by-owner --body open.txt
owner_of() { # owner_of KEY [LIST ARGS...]: the Owner ID that list-objects shows for KEY
    local k=$1
    shift
    s3 s3api list-objects --bucket "$b-own" "$@" --query "Contents[?Key=='$k'].Owner.ID" --output text 2>&1
}
expect_eq "list-objects: by-writer's Owner is compat-writer" "$W_ID" "$(owner_of by-writer)"
expect_eq "list-objects: by-owner's Owner is the bucket's owner" "$O_ID" "$(owner_of by-owner)"
expect_eq "list-objects: the Owner's DisplayName" compat-writer \
    "$(s3 s3api list-objects --bucket "$b-own" --query "Contents[?Key=='by-writer'].Owner.DisplayName" --output text 2>&1)"
expect_eq "list-objects-v2 --fetch-owner: by-writer's Owner is compat-writer" "$W_ID" \
    "$(s3 s3api list-objects-v2 --bucket "$b-own" --fetch-owner --query "Contents[?Key=='by-writer'].Owner.ID" --output text 2>&1)"
up=$(sw s3api create-multipart-upload --bucket "$b-own" --key mpu --query UploadId --output text 2>&1)
expect_eq "list-multipart-uploads: the Initiator and Owner of compat-writer's upload" "$W_ID $W_ID" \
    "$(s3 s3api list-multipart-uploads --bucket "$b-own" --query 'Uploads[0].[Initiator.ID,Owner.ID]' --output text 2>&1 | tr -s ' \t' ' ')"
expect_eq "list-parts: its Initiator" "$W_ID" \
    "$(sw s3api list-parts --bucket "$b-own" --key mpu --upload-id "$up" --query Initiator.ID --output text 2>&1)"
check "abort-multipart-upload" sw s3api abort-multipart-upload --bucket "$b-own" --key mpu --upload-id "$up"
check "put-bucket-ownership-controls BucketOwnerPreferred" s3 s3api put-bucket-ownership-controls \
    --bucket "$b-own" --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerPreferred}]'
check "compat-writer puts bofc with bucket-owner-full-control" sw s3api put-object --bucket "$b-own" \
    --key bofc --body open.txt --acl bucket-owner-full-control
check "compat-writer puts plain without an ACL" sw s3api put-object --bucket "$b-own" --key plain --body open.txt
expect_eq "BucketOwnerPreferred: bofc is the bucket owner's" "$O_ID" "$(owner_of bofc)"
expect_eq "... get-object-acl says so too" "$O_ID" \
    "$(s3 s3api get-object-acl --bucket "$b-own" --key bofc --query Owner.ID --output text 2>&1)"
expect_eq "BucketOwnerPreferred: plain stays compat-writer's" "$W_ID" "$(owner_of plain)"
check "s3 rb --force of the ownership bucket" s3 s3 rb --force "s3://$b-own"

# --- a second aws cli (the one first on PATH), when it is another version ----------------------
other=$(command -v aws || true)
if [ -n "$other" ] && [ "$("$other" --version 2>&1)" != "$("$AWS" --version 2>&1)" ]; then
    echo "# second pass: $("$other" --version 2>&1)"
    s3n() { "$other" --endpoint-url "$S3_ENDPOINT" "$@"; }
    check "[path aws] s3 cp up (its default checksums)" s3n s3 cp --only-show-errors obj "s3://$b/new/obj"
    check "[path aws] s3 cp down" cmp obj <(s3n s3 cp --only-show-errors "s3://$b/new/obj" -)
    check "[path aws] s3 cp of 50 MiB (multipart)" s3n s3 cp --only-show-errors 50m "s3://$b/new/50m"
    check "[path aws] ... byte-identical" cmp 50m <(s3n s3 cp --only-show-errors "s3://$b/new/50m" -)
    check "[path aws] put-object --checksum-algorithm SHA256" s3n s3api put-object --bucket $b --key new/sha --body obj --checksum-algorithm SHA256
    got=$(s3n s3api head-object --bucket $b --key new/sha --checksum-mode ENABLED --query ChecksumSHA256 --output text 2>&1)
    expect_eq "[path aws] ... head-object --checksum-mode ENABLED returns it" "$(openssl dgst -sha256 -binary obj | base64)" "$got"
    url=$(s3n s3 presign "s3://$b/new/obj" 2>&1)
    check "[path aws] presign" cmp obj <(curl -sf "$url")
fi
check "s3 rb --force of the first bucket" s3 s3 rb --force "s3://$b"
t_summary
