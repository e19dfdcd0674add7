#!/usr/bin/env python3
"""s3-compat-tests/boto3_compat.py: the stock boto3 client against a running cairn gateway.

Usage: S3_ENDPOINT=http://127.0.0.1:PORT AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... \
       python3 boto3_compat.py [BUCKET]

Checks content and metadata, not just status codes: objects with metadata, ranges,
conditional requests, presigned GET and PUT, multipart through upload_file and by hand,
CopyObject, DeleteObjects, ListObjectsV2 paging, canned ACLs, S3 error codes, and the
checksum paths of boto3 >= 1.36: CRC32/CRC32C/SHA256 headers, and aws-chunked bodies with a
checksum trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER). botocore sends trailers only over
HTTPS; the test makes it believe the plain-HTTP endpoint is HTTPS for that one decision, so
that the SDK's real aws-chunked encoder is what the gateway decodes.
Also: bucket operations and errors, every stored header, MD5 checks, ranges and response-*
overrides, CopyObject REPLACE and conditions, ListObjects v1, UploadPartCopy with ListParts and
the Complete errors, Put/GetBucketAcl, NotImplemented, DeleteBucket.
Prints "ok"/"FAIL" lines like tests/integration/lib.sh and exits 1 on any failure.
"""
import hashlib
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

import boto3
import botocore
import botocore.httpchecksum
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

PASS = FAIL = 0


def ok(name):
    global PASS
    PASS += 1
    print("ok   " + name)


def bad(name, why=""):
    global FAIL
    FAIL += 1
    print("FAIL " + name)
    if why:
        for line in str(why).splitlines()[-10:]:
            print("     | " + line)


def expect_eq(name, want, got):
    if want == got:
        ok(name)
    else:
        bad(name, "want: %r\ngot:  %r" % (want, got))


def expect_error(name, code, fn):
    try:
        fn()
    except ClientError as e:
        expect_eq(name, code, e.response["Error"]["Code"])
        return
    bad(name, "no error, wanted " + code)


def client(**cfg):
    return boto3.client(
        "s3", endpoint_url=os.environ["S3_ENDPOINT"], region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **cfg))


def main():
    bucket = sys.argv[1] if len(sys.argv) > 1 else "boto3-compat"
    s3 = client()
    s3.create_bucket(Bucket=bucket)

    # --- objects, metadata, ranges, conditions ---
    body = os.urandom(100000)
    r = s3.put_object(Bucket=bucket, Key="dir/é x+y.bin", Body=body, ContentType="text/x-b3",
                      Metadata={"color": "red"}, CacheControl="max-age=60")
    expect_eq("put_object ETag is the MD5", '"%s"' % hashlib.md5(body).hexdigest(), r["ETag"])
    g = s3.get_object(Bucket=bucket, Key="dir/é x+y.bin")
    expect_eq("get_object returns the bytes", body, g["Body"].read())
    expect_eq("... with Content-Type, metadata, Cache-Control",
              ("text/x-b3", {"color": "red"}, "max-age=60"),
              (g["ContentType"], g["Metadata"], g.get("CacheControl")))
    g = s3.get_object(Bucket=bucket, Key="dir/é x+y.bin", Range="bytes=10-19")
    expect_eq("a range", body[10:20], g["Body"].read())
    expect_error("If-None-Match with the ETag: 304", "304",
                 lambda: s3.get_object(Bucket=bucket, Key="dir/é x+y.bin", IfNoneMatch=r["ETag"]))
    expect_error("NoSuchKey", "NoSuchKey", lambda: s3.get_object(Bucket=bucket, Key="nope"))
    expect_error("NoSuchBucket", "NoSuchBucket",
                 lambda: s3.get_object(Bucket="no-such-bucket-b3", Key="k"))

    # --- presigned GET and PUT (boto3's default SigV2 query and SigV4 query) ---
    for sv in ("s3", "s3v4"):
        ps = client(signature_version=sv)
        url = ps.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "pre/" + sv},
                                        ExpiresIn=300)
        # no Content-Type, as signed (urllib would add a form type otherwise)
        req = urllib.request.Request(url, data=b"presigned " + sv.encode(), method="PUT",
                                     headers={"Content-Type": ""})
        with urllib.request.urlopen(req) as resp:
            expect_eq("presigned PUT (%s)" % sv, 200, resp.status)
        url = ps.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pre/" + sv},
                                        ExpiresIn=300)
        with urllib.request.urlopen(url) as resp:
            expect_eq("presigned GET (%s) returns the presigned PUT's body" % sv,
                      b"presigned " + sv.encode(), resp.read())

    # --- checksums in headers (boto3 >= 1.36 sends CRC32 by default) ---
    for alg in ("CRC32", "CRC32C", "SHA256", "SHA1"):
        data = os.urandom(3000)
        try:
            s3.put_object(Bucket=bucket, Key="sum/" + alg, Body=data, ChecksumAlgorithm=alg)
        except botocore.exceptions.MissingDependencyException:
            print("skip %s checksum (needs botocore[crt])" % alg)
            continue
        g = s3.get_object(Bucket=bucket, Key="sum/" + alg, ChecksumMode="ENABLED")
        got = g["Body"].read()  # botocore validates the returned checksum while reading
        expect_eq("%s checksum stored and returned with ChecksumMode" % alg,
                  (data, True), (got, ("Checksum" + alg) in g))

    # --- aws-chunked with a trailer, from the SDK's own encoder (botocore >= 1.36) ---
    real_urlparse = getattr(botocore.httpchecksum, "urlparse", None)
    try:
        s3c = client(request_checksum_calculation="when_supported")
    except TypeError:
        s3c = None
    if s3c is None or real_urlparse is None:
        print("skip aws-chunked trailer from the SDK (botocore %s is older than 1.36)"
              % botocore.__version__)
    else:
        trailer_test(s3, s3c, bucket, real_urlparse)

    multipart_and_more(s3, bucket)
    more_operations(s3, bucket)
    print("\n%d passed, %d failed" % (PASS, FAIL))
    return 1 if FAIL else 0


def trailer_test(s3, s3c, bucket, real_urlparse):
    botocore.httpchecksum.urlparse = lambda u, *a: real_urlparse(u.replace("http://", "https://", 1), *a)
    try:
        data = os.urandom(200000)
        seen = {}

        def grab(request, **kw):
            seen["sha"] = request.headers.get("x-amz-content-sha256")
            seen["trailer"] = request.headers.get("x-amz-trailer")

        s3c.meta.events.register("before-send.s3.PutObject", grab)
        import io
        s3c.put_object(Bucket=bucket, Key="chunked/obj", Body=io.BytesIO(data),
                       ChecksumAlgorithm="CRC32")
        expect_eq("the SDK sent an unsigned-trailer aws-chunked body",
                  (b"STREAMING-UNSIGNED-PAYLOAD-TRAILER", b"x-amz-checksum-crc32"),
                  (seen.get("sha") if isinstance(seen.get("sha"), bytes) else (seen.get("sha") or "").encode(),
                   seen.get("trailer") if isinstance(seen.get("trailer"), bytes) else (seen.get("trailer") or "").encode()))
        g = s3.get_object(Bucket=bucket, Key="chunked/obj", ChecksumMode="ENABLED")
        expect_eq("... stored without framing, its CRC32 returned",
                  (data, True), (g["Body"].read(), "ChecksumCRC32" in g))
    finally:
        botocore.httpchecksum.urlparse = real_urlparse


def multipart_and_more(s3, bucket):
    # --- multipart ---
    big = os.urandom(12 * 1024 * 1024 + 5)
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "b3-big-%d" % os.getpid())
    with open(path, "wb") as f:
        f.write(big)
    try:
        s3.upload_file(path, bucket, "mp/big", ExtraArgs={"ContentType": "text/x-big"},
                       Config=TransferConfig(multipart_threshold=5 * 1024 * 1024,
                                             multipart_chunksize=5 * 1024 * 1024))
    finally:
        os.unlink(path)
    h = s3.head_object(Bucket=bucket, Key="mp/big")
    expect_eq("upload_file (3 parts): size, Content-Type, -3 ETag",
              (len(big), "text/x-big", True),
              (h["ContentLength"], h["ContentType"], h["ETag"].endswith('-3"')))
    expect_eq("... downloads byte-identical", big,
              s3.get_object(Bucket=bucket, Key="mp/big")["Body"].read())
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp/abort")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="mp/abort", UploadId=up, PartNumber=1, Body=b"x" * 100)
    lst = s3.list_multipart_uploads(Bucket=bucket, Prefix="mp/")
    expect_eq("list_multipart_uploads", [up], [u["UploadId"] for u in lst.get("Uploads", [])])
    s3.abort_multipart_upload(Bucket=bucket, Key="mp/abort", UploadId=up)
    expect_error("upload_part after abort: NoSuchUpload", "NoSuchUpload",
                 lambda: s3.upload_part(Bucket=bucket, Key="mp/abort", UploadId=up, PartNumber=2,
                                        Body=b"y"))

    # --- copy, delete_objects, listing pages ---
    s3.copy_object(Bucket=bucket, Key="copy/big", CopySource={"Bucket": bucket, "Key": "mp/big"})
    expect_eq("copy_object of a multipart object", big,
              s3.get_object(Bucket=bucket, Key="copy/big")["Body"].read())
    for i in range(7):
        s3.put_object(Bucket=bucket, Key="page/%02d" % i, Body=b"p")
    keys, token = [], None
    while True:
        kw = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=bucket, Prefix="page/", MaxKeys=3, **kw)
        keys += [c["Key"] for c in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    expect_eq("list_objects_v2 pages of 3", ["page/%02d" % i for i in range(7)], keys)
    d = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
    expect_eq("delete_objects", sorted(keys), sorted(x["Key"] for x in d["Deleted"]))
    # A listing right after a delete may still show the last key deleted for a few ms (a
    # storage replication race, reported in docs/S3-COMPATIBILITY.md "Known issues"): poll
    # for up to 2 s, and say when the first listing was stale.
    import time
    left = s3.list_objects_v2(Bucket=bucket, Prefix="page/")["KeyCount"]
    t_end = time.time() + 2
    if left:
        print("note: the listing right after delete_objects still had %d key(s)" % left)
    while left and time.time() < t_end:
        time.sleep(0.05)
        left = s3.list_objects_v2(Bucket=bucket, Prefix="page/")["KeyCount"]
    expect_eq("... the prefix is empty", 0, left)

    # --- canned ACLs ---
    s3.put_object(Bucket=bucket, Key="acl/k", Body=b"public", ACL="public-read")
    acl = s3.get_object_acl(Bucket=bucket, Key="acl/k")
    expect_eq("get_object_acl after ACL=public-read",
              True, any(g["Permission"] == "READ" and g["Grantee"].get("URI", "").endswith("AllUsers")
                        for g in acl["Grants"]))
    anon = "%s/%s/acl/k" % (os.environ["S3_ENDPOINT"], bucket)
    with urllib.request.urlopen(anon) as resp:
        expect_eq("anonymous GET of a public-read object", b"public", resp.read())


def more_operations(s3, bucket):
    """The operations and error codes the sections above do not reach."""
    import base64
    # --- buckets ---
    expect_eq("create_bucket again by its owner: 200 (us-east-1, as S3)", 200,
              s3.create_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"])
    expect_error("create_bucket with a bad name: InvalidBucketName", "InvalidBucketName",
                 lambda: s3.create_bucket(Bucket="x_Y"))
    expect_eq("head_bucket", 200, s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"])
    expect_error("head_bucket of a missing bucket: 404", "404",
                 lambda: s3.head_bucket(Bucket="no-such-bucket-b3"))
    loc = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    expect_eq("get_bucket_location", True, loc in (None, "", "us-east-1"))
    expect_eq("list_buckets names the bucket", True,
              bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]])

    # --- objects: standard headers, MD5, conditions, errors ---
    body = os.urandom(5000)
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    s3.put_object(Bucket=bucket, Key="h/obj", Body=body, ContentMD5=md5, ContentType="text/x-h",
                  ContentEncoding="identity", ContentDisposition="attachment", ContentLanguage="fr",
                  Expires="2031-02-03T00:00:00Z", Metadata={"Mixed-Case": "V"})
    h = s3.head_object(Bucket=bucket, Key="h/obj")
    expect_eq("head_object: every stored header and the metadata (names lower case)",
              ("text/x-h", "identity", "attachment", "fr", 2031, {"mixed-case": "V"}, 5000),
              (h["ContentType"], h.get("ContentEncoding"), h.get("ContentDisposition"),
               h.get("ContentLanguage"), getattr(h.get("Expires"), "year", h.get("ExpiresString")),
               h["Metadata"], h["ContentLength"]))
    expect_error("put_object with a wrong ContentMD5: BadDigest", "BadDigest",
                 lambda: s3.put_object(Bucket=bucket, Key="h/bad", Body=body,
                                       ContentMD5=base64.b64encode(b"0" * 16).decode()))
    expect_error("If-Match with another ETag: PreconditionFailed", "PreconditionFailed",
                 lambda: s3.get_object(Bucket=bucket, Key="h/obj", IfMatch='"abc"'))
    expect_error("a range past the end: InvalidRange", "InvalidRange",
                 lambda: s3.get_object(Bucket=bucket, Key="h/obj", Range="bytes=9000-9999"))
    g = s3.get_object(Bucket=bucket, Key="h/obj", Range="bytes=-10")
    expect_eq("a suffix range: 206, the last 10 bytes, Content-Range",
              (206, body[-10:], "bytes 4990-4999/5000"),
              (g["ResponseMetadata"]["HTTPStatusCode"], g["Body"].read(), g.get("ContentRange")))
    g = s3.get_object(Bucket=bucket, Key="h/obj", ResponseContentType="text/x-override",
                      ResponseCacheControl="no-store")
    expect_eq("ResponseContentType / ResponseCacheControl overrides",
              ("text/x-override", "no-store"), (g["ContentType"], g.get("CacheControl")))
    s3.copy_object(Bucket=bucket, Key="h/copy", CopySource={"Bucket": bucket, "Key": "h/obj"},
                   MetadataDirective="REPLACE", ContentType="text/x-new", Metadata={"n": "1"})
    h = s3.head_object(Bucket=bucket, Key="h/copy")
    expect_eq("copy_object with REPLACE", ("text/x-new", {"n": "1"}, 5000),
              (h["ContentType"], h["Metadata"], h["ContentLength"]))
    expect_error("copy_object with CopySourceIfNoneMatch its ETag: PreconditionFailed",
                 "PreconditionFailed",
                 lambda: s3.copy_object(Bucket=bucket, Key="h/c2", CopySource=bucket + "/h/obj",
                                        CopySourceIfNoneMatch='"%s"' % hashlib.md5(body).hexdigest()))
    v1 = s3.list_objects(Bucket=bucket, Prefix="h/", Delimiter="/", MaxKeys=1)
    expect_eq("list_objects (v1) MaxKeys=1", (["h/copy"], True),
              ([c["Key"] for c in v1.get("Contents", [])], v1["IsTruncated"]))
    v1 = s3.list_objects(Bucket=bucket, Prefix="h/", Marker="h/copy")
    expect_eq("list_objects (v1) Marker", ["h/obj"], [c["Key"] for c in v1.get("Contents", [])])
    v2 = s3.list_objects_v2(Bucket=bucket, Delimiter="/", Prefix="")
    expect_eq("list_objects_v2 Delimiter: common prefixes",
              True, {"h/", "mp/", "pre/"} <= {p["Prefix"] for p in v2.get("CommonPrefixes", [])})
    r = s3.delete_object(Bucket=bucket, Key="h/never-there")
    expect_eq("delete_object of a missing key: 204", 204, r["ResponseMetadata"]["HTTPStatusCode"])

    # --- multipart by hand with UploadPartCopy, ListParts, errors ---
    src = os.urandom(6 * 1024 * 1024)
    s3.put_object(Bucket=bucket, Key="upc/src", Body=src)
    up = s3.create_multipart_upload(Bucket=bucket, Key="upc/dst", ContentType="text/x-upc")["UploadId"]
    p1 = s3.upload_part_copy(Bucket=bucket, Key="upc/dst", UploadId=up, PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "upc/src"},
                             CopySourceRange="bytes=0-5242879")["CopyPartResult"]["ETag"]
    expect_eq("upload_part_copy: the range's MD5", '"%s"' % hashlib.md5(src[:5242880]).hexdigest(), p1)
    tail = os.urandom(1000)
    p2 = s3.upload_part(Bucket=bucket, Key="upc/dst", UploadId=up, PartNumber=2, Body=tail)["ETag"]
    p3 = s3.upload_part_copy(Bucket=bucket, Key="upc/dst", UploadId=up, PartNumber=3,
                             CopySource={"Bucket": bucket, "Key": "h/obj"})["CopyPartResult"]["ETag"]
    parts = s3.list_parts(Bucket=bucket, Key="upc/dst", UploadId=up)
    expect_eq("list_parts", [(1, 5242880), (2, 1000), (3, 5000)],
              [(p["PartNumber"], p["Size"]) for p in parts["Parts"]])
    expect_error("complete with a small middle part: EntityTooSmall", "EntityTooSmall",
                 lambda: s3.complete_multipart_upload(
                     Bucket=bucket, Key="upc/dst", UploadId=up,
                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1}, {"PartNumber": 2, "ETag": p2},
                                                {"PartNumber": 3, "ETag": p3}]}))
    expect_error("complete with a wrong ETag: InvalidPart", "InvalidPart",
                 lambda: s3.complete_multipart_upload(
                     Bucket=bucket, Key="upc/dst", UploadId=up,
                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p2}, {"PartNumber": 2, "ETag": p2}]}))
    expect_error("complete with parts out of order: InvalidPartOrder", "InvalidPartOrder",
                 lambda: s3.complete_multipart_upload(
                     Bucket=bucket, Key="upc/dst", UploadId=up,
                     MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": p2}, {"PartNumber": 1, "ETag": p1}]}))
    r = s3.complete_multipart_upload(Bucket=bucket, Key="upc/dst", UploadId=up,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1},
                                                                {"PartNumber": 2, "ETag": p2}]})
    want = hashlib.md5(hashlib.md5(src[:5242880]).digest() + hashlib.md5(tail).digest()).hexdigest()
    expect_eq("complete: the md5-of-md5s-2 ETag", '"%s-2"' % want, r["ETag"])
    g = s3.get_object(Bucket=bucket, Key="upc/dst")
    expect_eq("... the object is the copied range + the uploaded part, with its Content-Type",
              (src[:5242880] + tail, "text/x-upc"), (g["Body"].read(), g["ContentType"]))
    expect_error("list_parts of a completed upload: NoSuchUpload", "NoSuchUpload",
                 lambda: s3.list_parts(Bucket=bucket, Key="upc/dst", UploadId=up))

    # --- bucket ACLs ---
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    acl = s3.get_bucket_acl(Bucket=bucket)
    expect_eq("put_bucket_acl public-read, then get_bucket_acl shows AllUsers READ", True,
              any(g["Permission"] == "READ" and g["Grantee"].get("URI", "").endswith("AllUsers")
                  for g in acl["Grants"]))
    with urllib.request.urlopen("%s/%s?list-type=2" % (os.environ["S3_ENDPOINT"], bucket)) as resp:
        expect_eq("... an anonymous listing of the bucket works", True,
                  b"<Key>h/obj</Key>" in resp.read())
    try:  # the bucket's ACL lists keys; the private object's own ACL keeps its bytes
        urllib.request.urlopen("%s/%s/h/obj" % (os.environ["S3_ENDPOINT"], bucket))
        bad("... but an anonymous GET of its private object is refused", "it answered 200")
    except urllib.error.HTTPError as e:
        expect_eq("... but an anonymous GET of its private object is refused", 403, e.code)
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    try:
        urllib.request.urlopen("%s/%s?list-type=2" % (os.environ["S3_ENDPOINT"], bucket))
        bad("put_bucket_acl private: anonymous listing refused", "it answered 200")
    except urllib.error.HTTPError as e:
        expect_eq("put_bucket_acl private: anonymous listing refused", 403, e.code)
    versioning(s3, bucket + "-v")
    tags_and_conditions(s3, bucket + "-c")
    attributes_and_parts(s3, bucket + "-a")

    # --- delete the bucket ---
    expect_error("delete_bucket of a non-empty bucket: BucketNotEmpty", "BucketNotEmpty",
                 lambda: s3.delete_bucket(Bucket=bucket))
    empty_bucket(s3, bucket)
    for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        s3.abort_multipart_upload(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"])
    s3.delete_bucket(Bucket=bucket)
    expect_error("delete_bucket once empty; then NoSuchBucket", "NoSuchBucket",
                 lambda: s3.list_objects_v2(Bucket=bucket))


def attributes_and_parts(s3, bucket):
    """Multipart details (issue 16): a SHA256 upload's per-part and composite checksums,
    GetObjectAttributes, GET/HEAD of one part, a second Complete, ListMultipartUploads with a
    delimiter."""
    import base64
    s3.create_bucket(Bucket=bucket)
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(1000)]
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="SHA256")["UploadId"]
    done = []
    for n, data in enumerate(parts, 1):
        r = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=n, Body=data,
                           ChecksumAlgorithm="SHA256")
        done.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumSHA256": r["ChecksumSHA256"]})
    listed = s3.list_parts(Bucket=bucket, Key="mp", UploadId=up)["Parts"]
    expect_eq("list_parts: each part's SHA256",
              [base64.b64encode(hashlib.sha256(d).digest()).decode() for d in parts],
              [p.get("ChecksumSHA256") for p in listed])
    c = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up,
                                     MultipartUpload={"Parts": done})
    comp = base64.b64encode(hashlib.sha256(b"".join(
        hashlib.sha256(d).digest() for d in parts)).digest()).decode() + "-2"
    expect_eq("complete_multipart_upload: the composite SHA256", comp, c.get("ChecksumSHA256"))
    again = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up,
                                         MultipartUpload={"Parts": done})
    expect_eq("a second Complete with the same parts: the same result", c["ETag"], again["ETag"])
    a = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=[
        "ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"])
    expect_eq("get_object_attributes: size, parts, storage class, ETag",
              (len(parts[0]) + len(parts[1]), 2, "STANDARD", c["ETag"].strip('"')),
              (a.get("ObjectSize"), a.get("ObjectParts", {}).get("TotalPartsCount"),
               a.get("StorageClass"), a.get("ETag")))
    g = s3.get_object(Bucket=bucket, Key="mp", PartNumber=2)
    expect_eq("get_object PartNumber=2: that part, PartsCount 2", (parts[1], 2),
              (g["Body"].read(), g.get("PartsCount")))
    expect_error("head_object of a part past the last: 416", "416",
                 lambda: s3.head_object(Bucket=bucket, Key="mp", PartNumber=3))
    for k in ("dir1/a", "dir1/b", "dir2/c", "top"):
        s3.create_multipart_upload(Bucket=bucket, Key=k)
    lu = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    expect_eq("list_multipart_uploads Delimiter=/: common prefixes and the top-level upload",
              (["dir1/", "dir2/"], ["top"]),
              ([p["Prefix"] for p in lu.get("CommonPrefixes", [])],
               [u["Key"] for u in lu.get("Uploads", [])]))
    for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        s3.abort_multipart_upload(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"])
    empty_bucket(s3, bucket)
    s3.delete_bucket(Bucket=bucket)


def empty_bucket(s3, bucket):
    """Deletes every key of a bucket without versioning."""
    while True:
        page = s3.list_objects_v2(Bucket=bucket)
        keys = [{"Key": c["Key"]} for c in page.get("Contents", [])]
        if not keys:
            return
        s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


def with_headers(c, op, headers):
    """c's calls of op send headers too (an old boto3 has no parameter for them)."""
    def add(request, **kw):
        for k, v in headers.items():
            request.headers[k] = v
    c.meta.events.register("before-sign.s3." + op, add)
    return c


def tags_and_conditions(s3, bucket):
    """Tags (issue 16) and conditional writes: If-None-Match / If-Match on PutObject and
    CompleteMultipartUpload, conditional DeleteObject, and two writers with If-None-Match: *
    through two gateways, 200 times, exactly one winner each time."""
    import threading
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="team=blue&env=dev")
    expect_eq("put_object Tagging, get_object_tagging", [("team", "blue"), ("env", "dev")],
              [(t["Key"], t["Value"]) for t in
               s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]])
    expect_eq("get_object: TagCount", 2, s3.get_object(Bucket=bucket, Key="t").get("TagCount"))
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    expect_eq("put_object_tagging replaces them", [{"Key": "k", "Value": "v"}],
              s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"])
    expect_error("eleven tags: InvalidTag", "InvalidTag", lambda: s3.put_object_tagging(
        Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "k%d" % i, "Value": "v"}
                                                    for i in range(11)]}))
    s3.delete_object_tagging(Bucket=bucket, Key="t")
    expect_eq("delete_object_tagging", [], s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"])
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "cost", "Value": "7"}]})
    expect_eq("put/get_bucket_tagging", [{"Key": "cost", "Value": "7"}],
              s3.get_bucket_tagging(Bucket=bucket)["TagSet"])
    s3.delete_bucket_tagging(Bucket=bucket)
    expect_error("delete_bucket_tagging, then NoSuchTagSet", "NoSuchTagSet",
                 lambda: s3.get_bucket_tagging(Bucket=bucket))

    new_only = with_headers(client(), "PutObject", {"If-None-Match": "*"})
    expect_eq("If-None-Match: * on a new key writes it", 200, new_only.put_object(
        Bucket=bucket, Key="once", Body=b"1")["ResponseMetadata"]["HTTPStatusCode"])
    expect_error("If-None-Match: * on an existing key: 412", "PreconditionFailed",
                 lambda: new_only.put_object(Bucket=bucket, Key="once", Body=b"2"))
    etag = s3.head_object(Bucket=bucket, Key="once")["ETag"]
    match = with_headers(client(), "PutObject", {"If-Match": etag})
    expect_eq("If-Match with the current ETag writes", 200, match.put_object(
        Bucket=bucket, Key="once", Body=b"3")["ResponseMetadata"]["HTTPStatusCode"])
    expect_error("If-Match with an old ETag: 412", "PreconditionFailed",
                 lambda: match.put_object(Bucket=bucket, Key="once", Body=b"4"))
    expect_error("If-Match on a missing key: 412", "PreconditionFailed",
                 lambda: match.put_object(Bucket=bucket, Key="missing", Body=b"4"))
    expect_eq("... the object is what the If-Match write put", b"3",
              s3.get_object(Bucket=bucket, Key="once")["Body"].read())
    up = s3.create_multipart_upload(Bucket=bucket, Key="once")["UploadId"]
    e = s3.upload_part(Bucket=bucket, Key="once", UploadId=up, PartNumber=1, Body=b"mp")["ETag"]
    mp_new_only = with_headers(client(), "CompleteMultipartUpload", {"If-None-Match": "*"})
    expect_error("CompleteMultipartUpload If-None-Match: * on an existing key: 412",
                 "PreconditionFailed", lambda: mp_new_only.complete_multipart_upload(
                     Bucket=bucket, Key="once", UploadId=up,
                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e}]}))
    s3.abort_multipart_upload(Bucket=bucket, Key="once", UploadId=up)
    del_match = with_headers(client(), "DeleteObject", {"If-Match": '"0123"'})
    expect_error("DeleteObject If-Match with another ETag: 412", "PreconditionFailed",
                 lambda: del_match.delete_object(Bucket=bucket, Key="once"))
    size_ok = with_headers(client(), "DeleteObject", {"x-amz-if-match-size": "1"})
    expect_eq("DeleteObject x-amz-if-match-size of the right size deletes", 204,
              size_ok.delete_object(Bucket=bucket, Key="once")["ResponseMetadata"]["HTTPStatusCode"])

    # the race: one writer through each gateway, If-None-Match: *, a fresh key each round
    racers = [with_headers(client(), "PutObject", {"If-None-Match": "*"}),
              with_headers(boto3.client(
                  "s3", endpoint_url=os.environ.get("S3_ENDPOINT2", os.environ["S3_ENDPOINT"]),
                  region_name="us-east-1", config=Config(s3={"addressing_style": "path"},
                                                         retries={"max_attempts": 1})),
                  "PutObject", {"If-None-Match": "*"})]
    import time
    for _ in range(100):  # the second gateway learns of the new bucket from the manager
        try:
            racers[1].head_bucket(Bucket=bucket)
            break
        except ClientError:
            time.sleep(0.1)
    bad_rounds = []
    for i in range(200):
        key, go, res = "race/%03d" % i, threading.Barrier(2), [None, None]

        def run(n):
            go.wait()
            try:
                racers[n].put_object(Bucket=bucket, Key=key, Body=b"writer %d" % n)
                res[n] = 200
            except ClientError as ex:
                res[n] = ex.response["Error"]["Code"]
        ts = [threading.Thread(target=run, args=(n,)) for n in (0, 1)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        won = [n for n in (0, 1) if res[n] == 200]
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        if len(won) != 1 or body != b"writer %d" % won[0] or \
                res[1 - won[0]] not in ("PreconditionFailed", "ConditionalRequestConflict"):
            bad_rounds.append((i, res, body))
    expect_eq("200 rounds of two If-None-Match: * writers through two gateways: one winner each",
              [], bad_rounds[:5])
    empty_bucket(s3, bucket)
    s3.delete_bucket(Bucket=bucket)


def versioning(s3, bucket):
    """Versioning (issue 16): versions, delete markers, a restore, ListObjectVersions, copies,
    multipart and DeleteObjects of versions, Suspended; then every version is deleted."""
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    expect_eq("get_bucket_versioning: Enabled", "Enabled",
              s3.get_bucket_versioning(Bucket=bucket).get("Status"))
    v = [s3.put_object(Bucket=bucket, Key="k", Body=b"v%d" % i)["VersionId"] for i in range(3)]
    expect_eq("put_object: three distinct VersionIds", 3, len(set(v) - {None, "null"}))
    expect_eq("get_object ?versionId of the first", b"v0",
              s3.get_object(Bucket=bucket, Key="k", VersionId=v[0])["Body"].read())
    expect_eq("head_object ?versionId", v[1],
              s3.head_object(Bucket=bucket, Key="k", VersionId=v[1]).get("VersionId"))
    marker = s3.delete_object(Bucket=bucket, Key="k")
    expect_eq("delete_object writes a delete marker", True, marker.get("DeleteMarker"))
    expect_error("get_object of a deleted key: NoSuchKey", "NoSuchKey",
                 lambda: s3.get_object(Bucket=bucket, Key="k"))
    lv = s3.list_object_versions(Bucket=bucket)
    expect_eq("list_object_versions: three versions newest first, the marker latest",
              ([v[2], v[1], v[0]], [marker["VersionId"]], [True]),
              ([x["VersionId"] for x in lv.get("Versions", [])],
               [x["VersionId"] for x in lv.get("DeleteMarkers", [])],
               [x["IsLatest"] for x in lv.get("DeleteMarkers", [])]))
    s3.delete_object(Bucket=bucket, Key="k", VersionId=marker["VersionId"])
    expect_eq("deleting the marker brings the object back", b"v2",
              s3.get_object(Bucket=bucket, Key="k")["Body"].read())
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v[2])
    expect_eq("deleting the latest version for good: the one before is latest", b"v1",
              s3.get_object(Bucket=bucket, Key="k")["Body"].read())
    c = s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k",
                                                           "VersionId": v[0]})
    expect_eq("copy_object of an older version onto its key restores it",
              (v[0], b"v0"), (c.get("CopySourceVersionId"),
                              s3.get_object(Bucket=bucket, Key="k")["Body"].read()))
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    p1 = os.urandom(5 * 1024 * 1024)  # all but the last part: at least 5 MiB
    e = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=1, Body=p1)["ETag"]
    e2 = s3.upload_part_copy(Bucket=bucket, Key="mp", UploadId=up, PartNumber=2, CopySource={
        "Bucket": bucket, "Key": "k", "VersionId": v[1]})["CopyPartResult"]["ETag"]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e}, {"PartNumber": 2, "ETag": e2}]})
    expect_eq("complete_multipart_upload answers a VersionId", True,
              done.get("VersionId") not in (None, "null"))
    expect_eq("... its last part an UploadPartCopy of a named version", p1 + b"v1", s3.get_object(
        Bucket=bucket, Key="mp", VersionId=done["VersionId"])["Body"].read())
    # ACLs and tags of one version
    s3.put_object_acl(Bucket=bucket, Key="k", VersionId=v[0], ACL="public-read")
    expect_eq("put/get_object_acl ?versionId: that version's ACL, not the latest's", (True, False),
              tuple(any(g["Grantee"].get("URI", "").endswith("AllUsers") for g in
                        s3.get_object_acl(Bucket=bucket, Key="k", **kw)["Grants"])
                    for kw in ({"VersionId": v[0]}, {})))
    s3.put_object_tagging(Bucket=bucket, Key="k", VersionId=v[0],
                          Tagging={"TagSet": [{"Key": "era", "Value": "first"}]})
    expect_eq("put/get_object_tagging ?versionId", ([{"Key": "era", "Value": "first"}], []),
              tuple(s3.get_object_tagging(Bucket=bucket, Key="k", **kw)["TagSet"]
                    for kw in ({"VersionId": v[0]}, {})))
    pages, km, vm = [], None, None
    while True:
        kw = {"KeyMarker": km, "VersionIdMarker": vm} if km else {}
        r = s3.list_object_versions(Bucket=bucket, MaxKeys=1, **{a: b for a, b in kw.items() if b})
        pages += [x["VersionId"] for x in r.get("Versions", []) + r.get("DeleteMarkers", [])]
        if not r["IsTruncated"]:
            break
        km, vm = r["NextKeyMarker"], r.get("NextVersionIdMarker")
    whole = s3.list_object_versions(Bucket=bucket)
    expect_eq("list_object_versions in pages of one: the same versions",
              sorted(x["VersionId"] for x in whole.get("Versions", []) + whole.get("DeleteMarkers", [])),
              sorted(pages))
    d = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "mp"},
                                                             {"Key": "k", "VersionId": v[1]}]})
    got = sorted((x["Key"], x.get("DeleteMarker", False)) for x in d.get("Deleted", []))
    expect_eq("delete_objects: a marker for mp, version v1 of k for good",
              [("k", False), ("mp", True)], got)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    expect_eq("a put while Suspended: the null version", "null",
              s3.put_object(Bucket=bucket, Key="k", Body=b"null")["VersionId"])
    # every version and marker, deleted for good: then the bucket goes
    lv = s3.list_object_versions(Bucket=bucket)
    for x in lv.get("Versions", []) + lv.get("DeleteMarkers", []):
        s3.delete_object(Bucket=bucket, Key=x["Key"], VersionId=x["VersionId"])
    expect_eq("with every version deleted the listing is empty", [],
              s3.list_object_versions(Bucket=bucket).get("Versions", []))
    s3.delete_bucket(Bucket=bucket)


if __name__ == "__main__":
    sys.exit(main())
