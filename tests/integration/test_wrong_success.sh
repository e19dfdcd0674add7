#!/usr/bin/env bash
# tests/integration/test_wrong_success.sh BUILD_DIR: "never a wrong success" (issue 13) on a
# whole cluster (1 manager, 3 storage nodes, 1 gateway with REST on free loopback ports): every
# request the gateway cannot honour exactly as S3 documents it answers an S3 error through
# real clients (Debian's boto3 1.26 at /usr/bin/python3, with raw headers where that client
# lacks a parameter; the aws cli; curl --aws-sigv4), each check asserting the HTTP status and
# the S3 error code (a HEAD answer has no body: botocore reports the status as the code), and,
# where something would have been written, that nothing was: conditional writes (what they
# cannot express yet), object
# versions (versionId=null, the object itself, still works), a part past the last on GET/HEAD
# (416 InvalidPartNumber), server-side encryption, object lock in a bucket without it, storage
# classes, website
# redirects, bad grant headers, POST object, OPTIONS (now S3's CORS answers), and CreateBucket's
# LocationConstraint, last on a gateway restarted with region = eu-west-1.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

t_cluster_boot wrong 3 --rest --user wendy
b=wrong
printf 'the bytes' >"$tmp/obj"
sigv4 -f -o /dev/null -X PUT "$endpoint/$b" || t_abort "bucket $b"
sigv4 -f -o /dev/null -T "$tmp/obj" "$endpoint/$b/there" || t_abort "object $b/there"

# status KEY_PATH: the HTTP status of a signed HEAD of /KEY_PATH (404 when nothing is stored)
status() {
    sigv4 -o /dev/null -w '%{http_code}' -I "$endpoint/$1"
}

# http NAME STATUS CODE [--absent PATH] CURL_ARGS...: a signed curl (unsigned with --anon)
# must answer STATUS with the S3 error CODE in its XML body ("-" for no body: HEAD), and
# with --absent nothing may be stored at PATH afterwards.
http() {
    local name=$1 want="$2 $3" absent="" anon="" got code
    shift 3
    [ "${1:-}" = --absent ] && { absent=$2; shift 2; }
    [ "${1:-}" = --anon ] && { anon=1; shift; }
    rm -f "$tmp/body"
    if [ -n "$anon" ]; then
        got=$(curl -s -o "$tmp/body" -w '%{http_code}' "$@")
    else
        got=$(sigv4 -o "$tmp/body" -w '%{http_code}' "$@")
    fi
    code=$(sed -n 's:.*<Code>\(.*\)</Code>.*:\1:p' "$tmp/body" 2>/dev/null)
    got="$got ${code:--}"
    [ -n "$absent" ] && { want="$want, nothing at $absent"; got="$got, $([ "$(status "$absent")" = 404 ] && echo "nothing at $absent" || echo "something at $absent")"; }
    expect_eq "$name" "$want" "$got"
}

# cli NAME STATUS CODE [--absent PATH] AWS_ARGS...: the aws cli must fail with STATUS (read
# from its --debug log) and the S3 error CODE; with --absent nothing is stored at PATH.
cli() {
    local name=$1 want="$2 $3" absent="" out st code
    shift 3
    [ "${1:-}" = --absent ] && { absent=$2; shift 2; }
    out=$(aws --endpoint-url "$endpoint" --debug "$@" 2>&1 >/dev/null)
    st=$(printf '%s\n' "$out" | sed -n 's/.*HTTP\/1\.1" \([0-9][0-9][0-9]\) .*/\1/p' | tail -n 1)
    code=$(printf '%s\n' "$out" | sed -n 's/.*An error occurred (\([A-Za-z0-9.]*\)).*/\1/p' | tail -n 1)
    got="${st:-none} ${code:-none}"
    [ -n "$absent" ] && { want="$want, nothing at $absent"; got="$got, $([ "$(status "$absent")" = 404 ] && echo "nothing at $absent" || echo "something at $absent")"; }
    expect_eq "$name" "$want" "$got"
}

# --- 1. boto3 1.26 (Debian's), raw headers for what it lacks ------------------------------------
out=$(CAIRN_EP=$endpoint CAIRN_AK=$AK CAIRN_SK=$SK CAIRN_B=$b timeout 240 /usr/bin/python3 - 2>&1 <<'PY'
import datetime, os
import boto3, botocore
from botocore.config import Config

EP, AK, SK, B = (os.environ[k] for k in ("CAIRN_EP", "CAIRN_AK", "CAIRN_SK", "CAIRN_B"))
s3 = boto3.client("s3", endpoint_url=EP, aws_access_key_id=AK, aws_secret_access_key=SK,
                  region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
KEY32 = b"k" * 32
LATER = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
BADGRANT = 'id="x"'  # grants are taken since issue 15; a grantee no user is must not be
BADARG = (400, "InvalidArgument")

def ok(name): print("ok   " + name, flush=True)
def bad(name, why): print("FAIL " + name + "   | " + str(why)[:300], flush=True)
def expect(name, cond, why): ok(name) if cond else bad(name, why)

def answer(fn, headers=None, **kw):
    """(status, S3 error code) of one call; headers are added raw, before signing."""
    def add(request, **_):
        for k, v in headers.items():
            request.headers[k] = v
    event = "before-sign.s3.%s" % fn.__name__.title().replace("_", "") if headers else None
    if event:
        s3.meta.events.register_first(event, add)
    try:
        fn(**kw)
        return (200, "")
    except botocore.exceptions.ClientError as e:
        return (e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"])
    finally:
        if event:
            s3.meta.events.unregister(event, add)

def stored(key=None, bucket=None, upload_key=None):
    """What is there after a refused write: the key, the bucket, or an upload of upload_key."""
    if bucket:
        return answer(s3.head_bucket, Bucket=bucket)[0] != 404
    if upload_key:
        ups = s3.list_multipart_uploads(Bucket=B, Prefix=upload_key).get("Uploads", [])
        return len(ups) > 0
    return answer(s3.head_object, Bucket=B, Key=key)[0] != 404

def quiet(fn, **kw):
    """fn's answer, or None when it fails (a step whose failure an earlier check reports)."""
    try:
        return fn(**kw)
    except botocore.exceptions.ClientError:
        return None

def refused(name, status, code, fn, headers=None, absent=None, **kw):
    got = answer(fn, headers, **kw)
    left = stored(**absent) if absent else False
    if got == (status, code) and not left:
        ok("%s: %d %s%s" % (name, status, code, ", nothing stored" if absent else ""))
    else:
        bad(name, "want %d %s, got %d %s%s" % (status, code, got[0], got[1],
                                                ", but it was stored" if left else ""))

NI = (501, "NotImplemented")
def put(key, **kw):
    return dict(fn=s3.put_object, Bucket=B, Key=key, Body=b"x", absent={"key": key}, **kw)
def copy(key, **kw):
    kw.setdefault("CopySource", {"Bucket": B, "Key": "there"})
    return dict(fn=s3.copy_object, Bucket=B, Key=key, absent={"key": key}, **kw)
def mpu(key, **kw):
    return dict(fn=s3.create_multipart_upload, Bucket=B, Key=key, absent={"upload_key": key}, **kw)
def bucket(name, **kw):
    return dict(fn=s3.create_bucket, Bucket=name, absent={"bucket": name}, **kw)

# conditional writes: If-None-Match / If-Match are honoured (test_cond_write.sh); what they
# cannot express yet is refused
refused("PutObject If-None-Match with an ETag (only * on a write)", *NI, **put("c1"),
        headers={"If-None-Match": '"abc"'})
refused("CopyObject If-None-Match: * (raw header)", *NI, **copy("c2"), headers={"If-None-Match": "*"})
up = s3.create_multipart_upload(Bucket=B, Key="c3")["UploadId"]
e1 = s3.upload_part(Bucket=B, Key="c3", UploadId=up, PartNumber=1, Body=b"p")["ETag"]
refused("DeleteObject If-Match with a list of ETags, the object stays", *NI, fn=s3.delete_object,
        headers={"If-Match": '"abc", "def"'}, Bucket=B, Key="there")
expect("... the object is still there", stored(key="there"), "it was deleted")

# server-side encryption (issue 20; tests/integration/test_sse.sh): what it cannot honour is
# refused, never stored in plain text: an unknown KMS key, SSE-C over plain HTTP (this
# gateway has no sse_c_allow_http), DSSE, a source SSE-C key for a plain source, an SSE-C key
# on a plain upload's part
refused("PutObject SSE-KMS with an unknown key id", 400, "KMS.NotFoundException",
        **put("e2", ServerSideEncryption="aws:kms", SSEKMSKeyId="k1"))
refused("PutObject SSE-C over plain HTTP", 400, "InvalidRequest",
        **put("e3", SSECustomerAlgorithm="AES256", SSECustomerKey=KEY32))
refused("PutObject aws:kms:dsse", *NI, **put("e1", ServerSideEncryption="aws:kms:dsse"))
refused("CopyObject with a source SSE-C key over plain HTTP", 400, "InvalidRequest",
        **copy("e5", CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=KEY32))
refused("CreateMultipartUpload aws:kms with an unknown key id", 400, "KMS.NotFoundException",
        **mpu("e6", ServerSideEncryption="aws:kms", SSEKMSKeyId="k1"))
refused("UploadPart SSE-C of a plain upload", 400, "InvalidRequest", fn=s3.upload_part, Bucket=B,
        Key="c3", UploadId=up, PartNumber=2, Body=b"q", SSECustomerAlgorithm="AES256",
        SSECustomerKey=KEY32)
parts = [p["PartNumber"] for p in (quiet(s3.list_parts, Bucket=B, Key="c3", UploadId=up) or {}).get("Parts", [])]
expect("... the upload keeps its one part", parts == [1], parts)
quiet(s3.abort_multipart_upload, Bucket=B, Key="c3", UploadId=up)

# object lock in a bucket created without it (issue 18): 400 InvalidRequest, nothing written
NOLOCK = (400, "InvalidRequest")
refused("PutObject ObjectLockMode + RetainUntilDate (no lock)", *NOLOCK,
        **put("l1", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=LATER))
refused("PutObject ObjectLockLegalHoldStatus=ON (no lock)", *NOLOCK, **put("l2", ObjectLockLegalHoldStatus="ON"))
refused("CopyObject ObjectLockMode (no lock)", *NOLOCK, **copy("l3", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=LATER))
refused("CreateMultipartUpload ObjectLockLegalHoldStatus=ON (no lock)", *NOLOCK, **mpu("l4", ObjectLockLegalHoldStatus="ON"))

# storage classes: STANDARD is what every object has; the others are not supported yet
refused("PutObject StorageClass=GLACIER", *NI, **put("s1", StorageClass="GLACIER"))
refused("CopyObject StorageClass=STANDARD_IA", *NI, **copy("s2", StorageClass="STANDARD_IA"))
refused("CreateMultipartUpload StorageClass=REDUCED_REDUNDANCY", *NI, **mpu("s3", StorageClass="REDUCED_REDUNDANCY"))
got = answer(s3.put_object, Bucket=B, Key="s4", Body=b"x", StorageClass="STANDARD")
expect("PutObject StorageClass=STANDARD is stored", got[0] == 200 and stored(key="s4"), got)

# website redirects, grants, object ownership
refused("PutObject WebsiteRedirectLocation", *NI, **put("w1", WebsiteRedirectLocation="/there"))
refused("CopyObject WebsiteRedirectLocation", *NI, **copy("w2", WebsiteRedirectLocation="/there"))
refused("CreateMultipartUpload WebsiteRedirectLocation", *NI, **mpu("w3", WebsiteRedirectLocation="/there"))
refused("PutObject GrantRead of no user", *BADARG, **put("g1", GrantRead=BADGRANT))
refused("CopyObject GrantFullControl of no user", *BADARG, **copy("g2", GrantFullControl=BADGRANT))
refused("CreateMultipartUpload GrantReadACP of no user", *BADARG, **mpu("g3", GrantReadACP=BADGRANT))
refused("CreateBucket GrantRead of no user", *BADARG, **bucket("wrong-grant", GrantRead=BADGRANT))
refused("CreateBucket ObjectOwnership=BucketOwnerEnforced", *NI, **bucket("wrong-own", ObjectOwnership="BucketOwnerEnforced"))

# versions: versionId=null is the object itself; GetObject and HeadObject take our version IDs
# (test_versioning.sh) and call another one invalid; the others take only null so far
refused("GetObject VersionId=v1", *BADARG, fn=s3.get_object, Bucket=B, Key="there", VersionId="v1")
refused("HeadObject VersionId=v1 (no body: the status)", 400, "400", fn=s3.head_object, Bucket=B, Key="there", VersionId="v1")
refused("GetObjectAcl VersionId=v1", *BADARG, fn=s3.get_object_acl, Bucket=B, Key="there", VersionId="v1")
refused("PutObjectAcl VersionId=v1", *BADARG, fn=s3.put_object_acl, Bucket=B, Key="there", ACL="public-read", VersionId="v1")
acl = (quiet(s3.get_object_acl, Bucket=B, Key="there") or {}).get("Grants", [])
expect("... the object's ACL did not change", acl and not any(
    g["Grantee"].get("URI", "").endswith("AllUsers") for g in acl), acl)
refused("CopyObject from CopySource VersionId=v1", *BADARG, **copy("v2", CopySource={"Bucket": B, "Key": "there", "VersionId": "v1"}))
up = s3.create_multipart_upload(Bucket=B, Key="v3")["UploadId"]
refused("UploadPartCopy from CopySource VersionId=v1", *BADARG, fn=s3.upload_part_copy, Bucket=B, Key="v3",
        UploadId=up, PartNumber=1, CopySource={"Bucket": B, "Key": "there", "VersionId": "v1"})
s3.abort_multipart_upload(Bucket=B, Key="v3", UploadId=up)
try:
    body = s3.get_object(Bucket=B, Key="there", VersionId="null")["Body"].read()
    expect("GetObject VersionId=null serves the object", body == b"the bytes", body)
    s3.copy_object(Bucket=B, Key="v4", CopySource={"Bucket": B, "Key": "there", "VersionId": "null"})
    body = s3.get_object(Bucket=B, Key="v4")["Body"].read()
    expect("CopyObject from VersionId=null copies the object", body == b"the bytes", body)
except botocore.exceptions.ClientError as e:
    bad("versionId=null addresses the object itself", e)
got = quiet(s3.delete_objects, Bucket=B, Delete={"Objects": [{"Key": "there", "VersionId": "v1"}]}) or {}
expect("DeleteObjects with an Object VersionId=v1: that key's NoSuchVersion",
       [e.get("Code") for e in got.get("Errors", [])] == ["NoSuchVersion"] and not got.get("Deleted"), got)
expect("... the object is still there after DeleteObjects of a version it never had",
       stored(key="there"), "it was deleted")

# parts of an object: an ordinary object has part 1 only (tests/integration/test_attributes.sh
# has the rest)
refused("GetObject PartNumber=2 of a one-part object", 416, "InvalidPartNumber", fn=s3.get_object,
        Bucket=B, Key="there", PartNumber=2)
refused("HeadObject PartNumber=2 (no body: the status)", 416, "416", fn=s3.head_object, Bucket=B,
        Key="there", PartNumber=2)
refused("GetObject PartNumber=1 with a Range", 400, "InvalidRequest", fn=s3.get_object, Bucket=B,
        Key="there", PartNumber=1, Range="bytes=0-1")

# CreateBucket's LocationConstraint on a us-east-1 gateway
refused("CreateBucket LocationConstraint=eu-west-1", 400, "IllegalLocationConstraintException",
        **bucket("wrong-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}))
refused("CreateBucket LocationConstraint=us-east-1 (S3 wants none)", 400, "InvalidLocationConstraint",
        **bucket("wrong-east", CreateBucketConfiguration={"LocationConstraint": "us-east-1"}))
PY
)
rc=$?
printf '%s\n' "$out" | grep -E '^(ok|FAIL) '
T_PASS=$((T_PASS + $(printf '%s\n' "$out" | grep -c '^ok ')))
T_FAIL=$((T_FAIL + $(printf '%s\n' "$out" | grep -c '^FAIL ')))
[ $rc -eq 0 ] || t_bad "the boto3 part exited $rc" "$out"

# --- 2. curl --aws-sigv4: raw headers, bad values, bodies, POST, OPTIONS ------------------------
http "PUT If-Match of a missing key (a condition now, issue 16)" 412 PreconditionFailed --absent "$b/k1" -H 'If-Match: "abc"' -T "$tmp/obj" "$endpoint/$b/k1"
http "PUT x-amz-server-side-encryption-customer-algorithm without the key" 400 InvalidArgument \
    --absent "$b/k2" -H 'x-amz-server-side-encryption-customer-algorithm: AES256' -T "$tmp/obj" \
    "$endpoint/$b/k2"
http "PUT x-amz-storage-class: FOO" 400 InvalidStorageClass --absent "$b/k3" \
    -H 'x-amz-storage-class: FOO' -T "$tmp/obj" "$endpoint/$b/k3"
http "PUT x-amz-object-lock-legal-hold: OFF (no lock)" 400 InvalidRequest --absent "$b/k4" \
    -H 'x-amz-object-lock-legal-hold: OFF' -T "$tmp/obj" "$endpoint/$b/k4"
http "GET ?versionId= (empty)" 400 InvalidArgument "$endpoint/$b/there?versionId="
http "GET ?versionId=v1" 400 InvalidArgument "$endpoint/$b/there?versionId=v1"
http "HEAD ?versionId=v1 (no body)" 400 - -I "$endpoint/$b/there?versionId=v1"
http "HEAD ?partNumber=2 (no body)" 416 - -I "$endpoint/$b/there?partNumber=2"
http "GET ?partNumber=2" 416 InvalidPartNumber "$endpoint/$b/there?partNumber=2"
http "GET ?partNumber=0" 400 InvalidArgument "$endpoint/$b/there?partNumber=0"
http "GET ?attributes without x-amz-object-attributes" 400 InvalidArgument "$endpoint/$b/there?attributes"
http "GET ?attributes with an unknown attribute" 400 InvalidArgument \
    -H 'x-amz-object-attributes: ETag,Bogus' "$endpoint/$b/there?attributes"
http "PUT with x-amz-copy-source ?versionId=v1" 400 InvalidArgument --absent "$b/k5" -X PUT \
    -H "x-amz-copy-source: /$b/there?versionId=v1" "$endpoint/$b/k5"
# POST object is served (issue 17): an unsigned form to a private bucket is refused, and a
# POST that is no form at all is not taken for one
http "POST object (an HTML form upload, unsigned, private bucket)" 403 AccessDenied --absent "$b/k6" \
    --anon -F key=k6 -F "file=@$tmp/obj" "$endpoint/$b"
http "POST object that is not multipart/form-data" 412 PreconditionFailed --absent "$b/k6" \
    -X POST -d x "$endpoint/$b"
# a preflight is answered from the bucket's CORS rules (issue 17; test_cors.sh): $b has none
http "OPTIONS (CORS preflight) on an object of a bucket without CORS" 403 AccessForbidden --anon \
    -X OPTIONS -H 'Origin: http://example.com' -H 'Access-Control-Request-Method: PUT' "$endpoint/$b/there"
http "OPTIONS on a bucket without CORS" 403 AccessForbidden --anon -X OPTIONS \
    -H 'Origin: http://example.com' "$endpoint/$b"
http "OPTIONS on / without Origin" 400 BadRequest --anon -X OPTIONS "$endpoint/"
expect_eq "REST: POST still answers 405" 405 \
    "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$rest/$b/k7")"
expect_eq "REST: OPTIONS answers 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS "$rest/$b/there")"
http "CreateBucket x-amz-bucket-object-lock-enabled: maybe" 400 InvalidArgument --absent wrong-lock2 \
    -X PUT -H 'x-amz-bucket-object-lock-enabled: maybe' "$endpoint/wrong-lock2"
http "CreateBucket x-amz-grant-full-control of no user" 400 InvalidArgument --absent wrong-grant2 \
    -X PUT -H 'x-amz-grant-full-control: id="x"' "$endpoint/wrong-grant2"

# CreateBucket bodies (us-east-1 here: an empty or absent LocationConstraint)
ns='xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
loc() { printf '<CreateBucketConfiguration %s><LocationConstraint>%s</LocationConstraint></CreateBucketConfiguration>' "${2:-}" "$1"; }
http "CreateBucket, a broken body" 400 MalformedXML --absent wrong-xml -X PUT \
    --data-binary '<CreateBucketConfiguration><Location' "$endpoint/wrong-xml"
http "CreateBucket, a body with another root" 400 MalformedXML --absent wrong-root -X PUT \
    --data-binary '<LocationConstraint>us-east-1</LocationConstraint>' "$endpoint/wrong-root"
http "CreateBucket LocationConstraint=ap-south-1, no namespace" 400 IllegalLocationConstraintException \
    --absent wrong-ap -X PUT --data-binary "$(loc ap-south-1)" "$endpoint/wrong-ap"
http "CreateBucket LocationConstraint=us-east-1 with the namespace" 400 InvalidLocationConstraint \
    --absent wrong-east2 -X PUT --data-binary "$(loc us-east-1 "$ns")" "$endpoint/wrong-east2"
expect_eq "CreateBucket with an empty LocationConstraint: 200, the bucket exists" "200 200" \
    "$(sigv4 -o /dev/null -w '%{http_code}' -X PUT --data-binary "$(loc '' "$ns")" "$endpoint/wrong-empty") $(status wrong-empty)"

# --- 3. the aws cli --------------------------------------------------------------------------
cli "aws s3 cp --sse aws:kms with an unknown key" 400 KMS.NotFoundException --absent "$b/a1" \
    s3 cp "$tmp/obj" "s3://$b/a1" --sse aws:kms --sse-kms-key-id nope
cli "aws s3 cp --storage-class GLACIER" 501 NotImplemented --absent "$b/a2" s3 cp "$tmp/obj" "s3://$b/a2" --storage-class GLACIER
cli "aws s3api put-object --website-redirect-location" 501 NotImplemented --absent "$b/a3" \
    s3api put-object --bucket "$b" --key a3 --body "$tmp/obj" --website-redirect-location /x
cli "aws s3api get-object --version-id v1" 400 InvalidArgument s3api get-object --bucket "$b" --key there --version-id v1 "$tmp/out"
cli "aws s3api delete-object --version-id v1 (the object stays)" 400 InvalidArgument \
    s3api delete-object --bucket "$b" --key there --version-id v1
expect_eq "... the object is still there" 200 "$(status "$b/there")"
cli "aws s3api copy-object --copy-source ...?versionId=v1" 400 InvalidArgument --absent "$b/a4" \
    s3api copy-object --bucket "$b" --key a4 --copy-source "$b/there?versionId=v1"
cli "aws s3api get-object --part-number 2 of a one-part object" 416 InvalidPartNumber \
    s3api get-object --bucket "$b" --key there --part-number 2 "$tmp/out"
cli "aws s3api create-bucket --grant-read of an unknown group" 400 InvalidArgument --absent wrong-cli-grant \
    s3api create-bucket --bucket wrong-cli-grant --grant-read 'uri="http://acs.amazonaws.com/groups/global/Everyone"'
cli "aws s3api create-bucket LocationConstraint=us-east-1" 400 InvalidLocationConstraint --absent wrong-cli-east \
    s3api create-bucket --bucket wrong-cli-east --create-bucket-configuration LocationConstraint=us-east-1
check "aws s3api delete-object --version-id null deletes the object" \
    aws --endpoint-url "$endpoint" s3api delete-object --bucket "$b" --key there --version-id null
expect_eq "... it is gone" 404 "$(status "$b/there")"

# --- 4. a gateway in eu-west-1: LocationConstraint must name it -------------------------------
t_conf gateway <<CONF
[gateway]
region = eu-west-1
CONF
cl_stop_one gateway
check "the gateway restarts with region = eu-west-1" cl_start_one gateway
t_wait_signed || t_bad "the gateway answers a signed ListBuckets again within 20 s"
AWS_DEFAULT_REGION=eu-west-1 check "aws s3 mb (sends LocationConstraint=eu-west-1)" \
    aws --endpoint-url "$endpoint" s3 mb s3://wrong-in-eu
expect_eq "... get-bucket-location says eu-west-1" eu-west-1 \
    "$(AWS_DEFAULT_REGION=eu-west-1 aws --endpoint-url "$endpoint" s3api get-bucket-location --bucket wrong-in-eu --output text 2>&1)"
expect_eq "CreateBucket LocationConstraint=EU (eu-west-1's old name): 200" 200 \
    "$(sigv4 -o /dev/null -w '%{http_code}' -X PUT --data-binary "$(loc EU)" "$endpoint/wrong-in-eu2")"
http "CreateBucket without a LocationConstraint (us-east-1) on eu-west-1" 400 IllegalLocationConstraintException \
    --absent wrong-none -X PUT "$endpoint/wrong-none"
grep -q 'The unspecified location constraint is incompatible' "$tmp/body" &&
    t_ok "... the message says the unspecified constraint" || t_bad "... the message says the unspecified constraint" "$(cat "$tmp/body")"
AWS_DEFAULT_REGION=eu-west-1 cli "aws s3api create-bucket LocationConstraint=us-west-2 on eu-west-1" 400 \
    IllegalLocationConstraintException --absent wrong-west s3api create-bucket --bucket wrong-west \
    --create-bucket-configuration LocationConstraint=us-west-2

t_summary
