#!/usr/bin/python3
"""tests/integration/sse.py: server-side encryption (issue 20; run by test_sse.sh against a
whole cluster, with Debian's boto3 1.26). Phases (CAIRN_PHASE):
  main           SSE-C, SSE-S3 and SSE-KMS: put and get (one block, many blocks, past the
                 chunk size and the gateway's body temp files), ranges (inside a block,
                 across blocks and chunks, suffixes), HEAD, ?partNumber, listings' sizes, the
                 response headers of each mode, S3's errors (missing, wrong and needless
                 SSE-C keys, SSE-C over HTTP, unknown KMS keys, x-amz-server-side-encryption
                 on a GET), bucket default encryption (Put/Get/DeleteBucketEncryption) and
                 the writes that cannot apply it yet (501)
  rotated        after test_sse.sh rotated the keys "app-key" and "aws/s3" (kms-rotate-key):
                 objects written before and after read, and so do those written now
  after-restart  every object written before, read again after every storage node restarted
                 (and, in test_sse.sh, after the managers' master key was rotated)
Prints ok/FAIL lines. Environment: CAIRN_EP, CAIRN_AK/SK (alice), CAIRN_PHASE.
"""
import base64
import hashlib
import os
import sys

import botocore

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3check  # noqa: E402
from s3check import bad, code_of, expect, expect_code, expect_error, raw_headers  # noqa: E402

EP = os.environ["CAIRN_EP"]
B = "ssebucket"
DB = "ssedefault"
BLOCK = 64 * 1024
BIG = 6 * 1024 * 1024 + 12345  # past the 5 MiB chunk size and the 4 MiB body temp files

alice = s3check.client(EP, os.environ["CAIRN_AK"], os.environ["CAIRN_SK"])
KEY1 = bytes(range(32))
KEY2 = bytes(range(1, 33))


def body_of(n, seed):
    """n bytes that differ per position and per seed (a wrong block shows)."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"%d/%d" % (seed, i)).digest()
        i += 1
    return bytes(out[:n])


SMALL = body_of(1000, 1)
MULTI = body_of(3 * BLOCK + 17, 2)
LARGE = body_of(BIG, 3)


def ssec(key=KEY1):
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


def get(key, bucket=B, **kw):
    return alice.get_object(Bucket=bucket, Key=key, **kw)


def expect_body(name, key, want, bucket=B, **kw):
    try:
        got = get(key, bucket, **kw)["Body"].read()
        expect(name, got == want, "got %d bytes, want %d (first diff at %s)" % (
            len(got), len(want),
            next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), "-")))
    except botocore.exceptions.ClientError as e:
        bad(name, e.response.get("Error", {}))


def hdr(resp, name):
    return resp["ResponseMetadata"]["HTTPHeaders"].get(name, "")


def ranges(name, key, data, **kw):
    n = len(data)
    cases = [(0, 0), (0, 99), (5, BLOCK - 1), (BLOCK - 3, BLOCK + 2), (BLOCK, 2 * BLOCK - 1),
             (n - 1, n - 1), (n // 2, n - 1)]
    if n > 5 * 1024 * 1024:
        c = 5 * 1024 * 1024
        cases += [(c - 10, c + 10), (c - BLOCK, c + BLOCK), (0, n - 1)]
    for a, b in cases:
        if b >= n:
            continue
        expect_body("%s: bytes=%d-%d" % (name, a, b), key, data[a:b + 1],
                    Range="bytes=%d-%d" % (a, b), **kw)
    expect_body("%s: suffix bytes=-70000" % name, key, data[-70000:], Range="bytes=-70000",
                **kw)


def phase_main_ssec():
    md5 = base64.b64encode(hashlib.md5(KEY1).digest()).decode()
    for name, data in (("small", SMALL), ("multi", MULTI), ("large", LARGE), ("empty", b"")):
        r = alice.put_object(Bucket=B, Key="c/" + name, Body=data, **ssec())
        expect("SSE-C put %s answers the algorithm and key MD5" % name,
               hdr(r, "x-amz-server-side-encryption-customer-algorithm") == "AES256" and
               hdr(r, "x-amz-server-side-encryption-customer-key-md5") == md5,
               r["ResponseMetadata"]["HTTPHeaders"])
        expect("SSE-C put %s: the ETag is not the MD5 of the data" % name,
               r["ETag"].strip('"') != hashlib.md5(data).hexdigest(), r["ETag"])
        expect_body("SSE-C get %s" % name, "c/" + name, data, **ssec())
        h = alice.head_object(Bucket=B, Key="c/" + name, **ssec())
        expect("SSE-C head %s: the plaintext length" % name, h["ContentLength"] == len(data),
               h["ContentLength"])
        expect("SSE-C head %s: the mode's headers" % name,
               h.get("SSECustomerAlgorithm") == "AES256" and h.get("SSECustomerKeyMD5") == md5,
               h)
    ranges("SSE-C multi", "c/multi", MULTI, **ssec())
    ranges("SSE-C large", "c/large", LARGE, **ssec())
    expect_body("SSE-C ?partNumber=1 is the whole object", "c/multi", MULTI, PartNumber=1,
                **ssec())
    sizes = {o["Key"]: o["Size"] for o in
             alice.list_objects_v2(Bucket=B, Prefix="c/").get("Contents", [])}
    expect("listings show the plaintext sizes",
           sizes == {"c/small": len(SMALL), "c/multi": len(MULTI), "c/large": len(LARGE),
                     "c/empty": 0}, sizes)
    # S3's errors
    expect_error("SSE-C get without the key", get, 400, "InvalidRequest", key="c/small")
    expect_code("SSE-C head without the key", alice.head_object, 400, Bucket=B, Key="c/small")
    expect_error("SSE-C get with another key", get, 403, "AccessDenied", key="c/small",
                 **ssec(KEY2))
    expect_error("SSE-C ranged get with another key", get, 403, "AccessDenied", key="c/large",
                 Range="bytes=0-10", **ssec(KEY2))
    expect_code("SSE-C head with another key", alice.head_object, 403, Bucket=B, Key="c/small",
                **ssec(KEY2))
    alice.put_object(Bucket=B, Key="plain", Body=b"plain bytes")
    expect_error("an SSE-C key for an object without SSE-C", get, 400, "InvalidRequest",
                 key="plain", **ssec())
    raw_headers(alice, "GetObject", {"x-amz-server-side-encryption": "AES256"})
    expect_error("x-amz-server-side-encryption on a GET", get, 400, "InvalidArgument",
                 key="plain")
    expect_body("a plain object is still served", "plain", b"plain bytes")
    # the same key, written again: another salt, so another stream (and ETag)
    r1 = alice.put_object(Bucket=B, Key="c/again", Body=SMALL, **ssec())
    r2 = alice.put_object(Bucket=B, Key="c/again", Body=SMALL, **ssec())
    expect("SSE-C: each write has its own ETag", r1["ETag"] != r2["ETag"], (r1, r2))
    expect_body("SSE-C: the second write reads", "c/again", SMALL, **ssec())


# the modes whose keys the key service holds: (name, put parameters, the headers' values)
WRAPPED = (
    ("SSE-S3", {"ServerSideEncryption": "AES256"}, ("AES256", "")),
    ("SSE-KMS app-key", {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "app-key"},
     ("aws:kms", "app-key")),
    ("SSE-KMS default key", {"ServerSideEncryption": "aws:kms"}, ("aws:kms", "aws/s3")),
)


def mode_headers(r):
    return (r.get("ServerSideEncryption", ""), r.get("SSEKMSKeyId", ""))


def phase_main_wrapped(prefix):
    for mode, params, want in WRAPPED:
        for name, data in (("small", SMALL), ("multi", MULTI), ("large", LARGE), ("empty", b"")):
            key = "%s/%s/%s" % (prefix, mode.replace(" ", "-"), name)
            r = alice.put_object(Bucket=B, Key=key, Body=data, **params)
            expect("%s put %s answers the mode" % (mode, name), mode_headers(r) == want, r)
            md5 = hashlib.md5(data).hexdigest()
            expect("%s put %s: the ETag %s the MD5 of the data" % (
                mode, name, "is" if mode == "SSE-S3" else "is not"),
                (r["ETag"].strip('"') == md5) == (mode == "SSE-S3"), r["ETag"])
            expect_body("%s get %s" % (mode, name), key, data)
            h = alice.head_object(Bucket=B, Key=key)
            expect("%s head %s: length and mode" % (mode, name),
                   h["ContentLength"] == len(data) and mode_headers(h) == want, h)
        ranges(mode + " large", "%s/%s/large" % (prefix, mode.replace(" ", "-")), LARGE)
    expect_error("SSE-KMS with an unknown key id", alice.put_object, 400,
                 "KMS.NotFoundException", Bucket=B, Key="k/unknown", Body=b"x",
                 ServerSideEncryption="aws:kms", SSEKMSKeyId="no-such-key")
    expect_error("an SSE-C key for an SSE-S3 object", get, 400, "InvalidRequest",
                 key="%s/SSE-S3/small" % prefix, **ssec())


PART = 5 * 1024 * 1024
MPU_PARTS = (body_of(PART, 11), body_of(PART + 7, 12), body_of(1234, 13))
MPU = b"".join(MPU_PARTS)


def multipart(mode, key, create_params, part_params, want, bucket=B):
    """An upload of MPU_PARTS under mode: create, parts, complete, then reads."""
    up = alice.create_multipart_upload(Bucket=bucket, Key=key, **create_params)
    expect("%s CreateMultipartUpload answers the mode" % mode,
           mode_headers(up) == want or (want == ("C", "") and
                                         up.get("SSECustomerAlgorithm") == "AES256"), up)
    uid = up["UploadId"]
    etags = []
    for i, data in enumerate(MPU_PARTS):
        r = alice.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=i + 1,
                              Body=data, **part_params)
        etags.append(r["ETag"])
    parts = alice.list_parts(Bucket=bucket, Key=key, UploadId=uid)["Parts"]
    expect("%s ListParts shows the plaintext sizes" % mode,
           [p["Size"] for p in parts] == [len(d) for d in MPU_PARTS], parts)
    r = alice.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": e}
                                   for i, e in enumerate(etags)]})
    expect("%s CompleteMultipartUpload answers the mode" % mode,
           want == ("C", "") or mode_headers(r) == want, r)
    expect_body("%s multipart get" % mode, key, MPU, bucket=bucket, **part_params)
    h = alice.head_object(Bucket=bucket, Key=key, **part_params)
    expect("%s multipart head: the plaintext length" % mode, h["ContentLength"] == len(MPU), h)
    for a, b in ((PART - 5, PART + 5), (0, 2 * PART + 100), (2 * PART, len(MPU) - 1),
                 (PART + 70000, PART + 140000), (len(MPU) - 10, len(MPU) - 1)):
        expect_body("%s multipart bytes=%d-%d" % (mode, a, b), key, MPU[a:b + 1],
                    bucket=bucket, Range="bytes=%d-%d" % (a, b), **part_params)
    for n in (1, 2, 3):
        expect_body("%s multipart ?partNumber=%d" % (mode, n), key, MPU_PARTS[n - 1],
                    bucket=bucket, PartNumber=n, **part_params)
    return uid


def phase_multipart():
    multipart("SSE-C", "m/c", ssec(), ssec(), ("C", ""))
    multipart("SSE-S3", "m/s3", {"ServerSideEncryption": "AES256"}, {}, ("AES256", ""))
    multipart("SSE-KMS", "m/kms", {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "app-key"},
              {}, ("aws:kms", "app-key"))
    expect_error("SSE-C multipart get without the key", get, 400, "InvalidRequest", key="m/c")
    expect_error("SSE-C multipart get with another key", get, 403, "AccessDenied", key="m/c",
                 **ssec(KEY2))
    up = alice.create_multipart_upload(Bucket=B, Key="m/c2", **ssec())
    expect_error("an SSE-C upload's part without the key", alice.upload_part, 400,
                 "InvalidRequest", Bucket=B, Key="m/c2", UploadId=up["UploadId"], PartNumber=1,
                 Body=b"x")
    expect_error("an SSE-C upload's part with another key", alice.upload_part, 403,
                 "AccessDenied", Bucket=B, Key="m/c2", UploadId=up["UploadId"], PartNumber=1,
                 Body=b"x", **ssec(KEY2))
    up = alice.create_multipart_upload(Bucket=B, Key="m/p")
    expect_error("an SSE-C key on a plain upload's part", alice.upload_part, 400,
                 "InvalidRequest", Bucket=B, Key="m/p", UploadId=up["UploadId"], PartNumber=1,
                 Body=b"x", **ssec())


def src_key(key=KEY1):
    return {"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": key}


def phase_copy():
    s3 = {"ServerSideEncryption": "AES256"}
    kms = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "app-key"}
    # (name, source key, source read params, copy params, source's plaintext, copy's mode
    # headers, copy's read params)
    cases = (
        ("SSE-C to SSE-C under another key", "c/multi", src_key(), ssec(KEY2), MULTI, ("", ""),
         ssec(KEY2)),
        ("SSE-C to plain", "c/small", src_key(), {}, SMALL, ("", ""), {}),
        ("SSE-C (chunked) to SSE-S3", "c/large", src_key(), s3, LARGE, ("AES256", ""), {}),
        ("plain to SSE-C", "plain", {}, ssec(), b"plain bytes", ("", ""), ssec()),
        ("SSE-S3 to SSE-KMS", "w1/SSE-S3/multi", {}, kms, MULTI, ("aws:kms", "app-key"), {}),
        ("SSE-KMS to SSE-C", "w1/SSE-KMS-app-key/large", {}, ssec(), LARGE, ("", ""), ssec()),
        ("multipart SSE-KMS to SSE-C", "m/kms", {}, ssec(KEY2), MPU, ("", ""), ssec(KEY2)),
        ("multipart SSE-C to SSE-S3", "m/c", src_key(), s3, MPU, ("AES256", ""), {}),
    )
    for i, (name, src, sp, cp, data, want, rp) in enumerate(cases):
        key = "copy/%d" % i
        try:
            r = alice.copy_object(Bucket=B, Key=key, CopySource={"Bucket": B, "Key": src},
                                  **sp, **cp)
            expect("CopyObject %s answers the copy's mode" % name, mode_headers(r) == want, r)
        except botocore.exceptions.ClientError as e:
            bad("CopyObject %s" % name, e.response.get("Error", {}))
            continue
        expect_body("CopyObject %s: the copy reads" % name, key, data, **rp)
    expect_body("the copies left their sources as they were", "c/large", LARGE, **ssec())
    # UploadPartCopy: an SSE-C source's range into an SSE-KMS upload, a plain source's into
    # an SSE-C upload, an SSE-S3 multipart source's range crossing its parts into a plain one
    for name, dst_create, dst_part, src, sp, rng, data in (
            ("SSE-C source into an SSE-KMS upload", kms, {}, "c/large", src_key(),
             (100, PART + 99), LARGE),
            ("plain source into an SSE-C upload", ssec(KEY2), ssec(KEY2), "plain", {}, None,
             b"plain bytes"),
            ("multipart SSE-S3 source into a plain upload", {}, {}, "m/s3", {},
             (PART - 1000, 2 * PART + 500), MPU)):
        key = "upc/" + name.split()[0]
        up = alice.create_multipart_upload(Bucket=B, Key=key, **dst_create)["UploadId"]
        kw = {"CopySourceRange": "bytes=%d-%d" % rng} if rng else {}
        want = data[rng[0]:rng[1] + 1] if rng else data
        try:
            r = alice.upload_part_copy(Bucket=B, Key=key, UploadId=up, PartNumber=1,
                                       CopySource={"Bucket": B, "Key": src}, **sp, **dst_part,
                                       **kw)
            alice.complete_multipart_upload(
                Bucket=B, Key=key, UploadId=up, MultipartUpload={"Parts": [
                    {"PartNumber": 1, "ETag": r["CopyPartResult"]["ETag"]}]})
        except botocore.exceptions.ClientError as e:
            bad("UploadPartCopy %s" % name, e.response.get("Error", {}))
            continue
        expect_body("UploadPartCopy %s: the object reads" % name, key, want, **dst_part)
    expect_error("CopyObject of an SSE-C source without its key", alice.copy_object, 400,
                 "InvalidRequest", Bucket=B, Key="copy/x", CopySource={"Bucket": B,
                                                                       "Key": "c/small"})
    expect_error("CopyObject of an SSE-C source with another key", alice.copy_object, 403,
                 "AccessDenied", Bucket=B, Key="copy/x",
                 CopySource={"Bucket": B, "Key": "c/small"}, **src_key(KEY2))


VB = "sseversions"


def phase_versions():
    """Versions of an encrypted key: each reads with its own key or mode."""
    alice.put_bucket_versioning(Bucket=VB, VersioningConfiguration={"Status": "Enabled"})
    v1 = alice.put_object(Bucket=VB, Key="v", Body=SMALL, **ssec())["VersionId"]
    v2 = alice.put_object(Bucket=VB, Key="v", Body=MULTI, ServerSideEncryption="aws:kms",
                          SSEKMSKeyId="app-key")["VersionId"]
    v3 = alice.put_object(Bucket=VB, Key="v", Body=LARGE, **ssec(KEY2))["VersionId"]
    expect_body("versions: the latest (SSE-C, another key)", "v", LARGE, bucket=VB,
                **ssec(KEY2))
    expect_body("versions: the first (SSE-C)", "v", SMALL, bucket=VB, VersionId=v1, **ssec())
    expect_body("versions: the second (SSE-KMS)", "v", MULTI, bucket=VB, VersionId=v2)
    expect_error("versions: the first with the latest's key", get, 403, "AccessDenied",
                 key="v", bucket=VB, VersionId=v1, **ssec(KEY2))
    expect_body("versions: a range of the third", "v", LARGE[100000:300000], bucket=VB,
                VersionId=v3, Range="bytes=100000-299999", **ssec(KEY2))


def read_wrapped(prefix, label):
    for mode, _, _ in WRAPPED:
        for name, data in (("small", SMALL), ("multi", MULTI), ("large", LARGE), ("empty", b"")):
            expect_body("%s: %s %s/%s" % (label, mode, prefix, name),
                        "%s/%s/%s" % (prefix, mode.replace(" ", "-"), name), data)


def phase_bucket_default():
    expect_error("GetBucketEncryption of a bucket without one", alice.get_bucket_encryption,
                 404, "ServerSideEncryptionConfigurationNotFoundError", Bucket=DB)
    conf = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    expect_code("PutBucketEncryption AES256", alice.put_bucket_encryption, 200, Bucket=DB,
                ServerSideEncryptionConfiguration=conf)
    r = alice.get_bucket_encryption(Bucket=DB)
    rule = r["ServerSideEncryptionConfiguration"]["Rules"][0]
    expect("GetBucketEncryption answers it",
           rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256", r)
    r = alice.put_object(Bucket=DB, Key="d/s3", Body=MULTI)
    expect("a PUT without headers gets the default (SSE-S3)",
           mode_headers(r) == ("AES256", ""), r)
    h = alice.head_object(Bucket=DB, Key="d/s3")
    expect("HEAD shows it", mode_headers(h) == ("AES256", ""), h)
    expect_body("and it reads", "d/s3", MULTI, bucket=DB)
    r = alice.put_object(Bucket=DB, Key="d/c", Body=SMALL, **ssec())
    expect("a request's own SSE-C wins over the default",
           hdr(r, "x-amz-server-side-encryption-customer-algorithm") == "AES256" and
           mode_headers(r)[0] == "", r)
    expect_body("and it reads with its key", "d/c", SMALL, bucket=DB, **ssec())
    kms = {"Rules": [{"ApplyServerSideEncryptionByDefault": {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "app-key"}, "BucketKeyEnabled": True}]}
    expect_code("PutBucketEncryption aws:kms app-key", alice.put_bucket_encryption, 200,
                Bucket=DB, ServerSideEncryptionConfiguration=kms)
    r = alice.get_bucket_encryption(Bucket=DB)["ServerSideEncryptionConfiguration"]["Rules"][0]
    expect("GetBucketEncryption answers the key and BucketKeyEnabled",
           r["ApplyServerSideEncryptionByDefault"].get("KMSMasterKeyID") == "app-key" and
           r.get("BucketKeyEnabled") is True, r)
    r = alice.put_object(Bucket=DB, Key="d/kms", Body=LARGE)
    expect("a PUT without headers gets the default (SSE-KMS app-key, bucket key)",
           mode_headers(r) == ("aws:kms", "app-key") and r.get("BucketKeyEnabled") is True, r)
    expect_body("and it reads", "d/kms", LARGE, bucket=DB)
    r = alice.copy_object(Bucket=DB, Key="copy", CopySource={"Bucket": B, "Key": "plain"})
    expect("CopyObject into a bucket with a default: the copy gets it (SSE-KMS app-key)",
           mode_headers(r) == ("aws:kms", "app-key"), r)
    expect_body("and it reads", "copy", b"plain bytes", bucket=DB)
    multipart("the default (SSE-KMS app-key)", "d/mpu", {}, {}, ("aws:kms", "app-key"),
              bucket=DB)
    raw_headers(alice, "PutBucketEncryption", {})
    expect_error("PutBucketEncryption of aws:kms:dsse: 501", alice.put_bucket_encryption, 501,
                 "NotImplemented", Bucket=DB, ServerSideEncryptionConfiguration={
                     "Rules": [{"ApplyServerSideEncryptionByDefault":
                                {"SSEAlgorithm": "aws:kms:dsse"}}]})
    expect_code("DeleteBucketEncryption", alice.delete_bucket_encryption, 204, Bucket=DB)
    expect_error("GetBucketEncryption after the delete", alice.get_bucket_encryption, 404,
                 "ServerSideEncryptionConfigurationNotFoundError", Bucket=DB)


def phase_after_restart():
    for name, data in (("small", SMALL), ("multi", MULTI), ("large", LARGE), ("empty", b"")):
        expect_body("after the restarts: SSE-C %s" % name, "c/" + name, data, **ssec())
    ranges("after the restarts: SSE-C large", "c/large", LARGE, **ssec())
    read_wrapped("w1", "after the restarts, written before the rotation")
    read_wrapped("w2", "after the restarts, written after the rotation")
    for key, params in (("m/c", ssec()), ("m/s3", {}), ("m/kms", {})):
        expect_body("after the restarts: multipart %s" % key, key, MPU, **params)
    expect_body("after the restarts: the default's SSE-KMS object", "d/kms", LARGE, bucket=DB)


def phase_rotated():
    read_wrapped("w1", "after the rotation, written before")
    phase_main_wrapped("w2")
    read_wrapped("w1", "after the rotation, written before, again")


phase = os.environ.get("CAIRN_PHASE", "main")
if phase == "main":
    for b in (B, DB, VB):
        try:
            alice.create_bucket(Bucket=b)
        except botocore.exceptions.ClientError:
            pass
    phase_main_ssec()
    phase_main_wrapped("w1")
    phase_multipart()
    phase_copy()
    phase_versions()
    phase_bucket_default()
elif phase == "rotated":
    phase_rotated()
else:
    phase_after_restart()
sys.exit(1 if s3check.FAILED else 0)
