#!/usr/bin/python3
"""tests/integration/attributes.py: object attributes and multipart details (issue 16; run by
test_attributes.sh against a whole cluster, with Debian's boto3 1.26): GetObjectAttributes
(every attribute, parts paging, versions, errors, access), GET and HEAD with partNumber
(multipart and ordinary objects, 416 InvalidPartNumber, partNumber with Range), multipart
checksums (ChecksumAlgorithm on Create, per-part checksums on UploadPart and in ListParts, the
composite checksum on Complete and on GET/HEAD with checksum mode, their errors), a second
CompleteMultipartUpload (same parts: the same answer, version included; other parts:
NoSuchUpload), and ListMultipartUploads with a delimiter. Prints ok/FAIL lines.
Environment: CAIRN_EP, CAIRN_AK/SK (alice), CAIRN_BOB_AK/SK.
"""
import base64
import hashlib
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3check  # noqa: E402
from s3check import bad, code_of, expect, expect_code  # noqa: E402

EP = os.environ["CAIRN_EP"]
B = "attrs"
BV = "attrs-ver"
s3 = s3check.client(EP, os.environ["CAIRN_AK"], os.environ["CAIRN_SK"])
bob = s3check.client(EP, os.environ["CAIRN_BOB_AK"], os.environ["CAIRN_BOB_SK"])
anon = s3check.client(EP)
MIB = 1024 * 1024
ALL = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]


def raw_headers(client_, op, headers, drop=()):
    """Sets (or drops) headers of the next request of op before signing: what boto3 1.26's
    parameters lack."""
    def hook(request, **kw):
        for k, v in headers.items():
            request.headers[k] = v
        for k in drop:
            if k in request.headers:
                del request.headers[k]
        client_.meta.events.unregister("before-sign.s3." + op, hook)
    client_.meta.events.register("before-sign.s3." + op, hook)


def hdr(resp, name):
    return resp["ResponseMetadata"]["HTTPHeaders"].get(name)


def err_of(fn, **kw):
    """(status, code, headers) of a call expected to fail; (200, "", headers) otherwise."""
    try:
        r = fn(**kw)
        return r["ResponseMetadata"]["HTTPStatusCode"], "", r["ResponseMetadata"]["HTTPHeaders"]
    except s3check.botocore.exceptions.ClientError as e:
        return (e.response["ResponseMetadata"]["HTTPStatusCode"],
                e.response.get("Error", {}).get("Code", ""),
                e.response["ResponseMetadata"]["HTTPHeaders"])


def b64(raw):
    return base64.b64encode(raw).decode()


def sum_of(alg, data):
    """The raw checksum S3 computes (CRCs big-endian)."""
    if alg == "CRC32":
        return struct.pack(">I", zlib.crc32(data) & 0xFFFFFFFF)
    if alg == "SHA1":
        return hashlib.sha1(data).digest()
    if alg == "SHA256":
        return hashlib.sha256(data).digest()
    raise ValueError(alg)


def composite(alg, parts):
    return b64(sum_of(alg, b"".join(sum_of(alg, p) for p in parts))) + "-%d" % len(parts)


def part_bodies(sizes, seed):
    return [bytes([(seed + i) % 251]) * s for i, s in enumerate(sizes)]


def upload(bucket, key, bodies, alg=None, complete=True):
    """A multipart upload of bodies; returns (upload id, parts as Complete names them, its
    answer or None)."""
    kw = {"ChecksumAlgorithm": alg} if alg else {}
    uid = s3.create_multipart_upload(Bucket=bucket, Key=key, **kw)["UploadId"]
    parts = []
    for i, body in enumerate(bodies):
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=i + 1, Body=body,
                           **kw)
        p = {"PartNumber": i + 1, "ETag": r["ETag"]}
        if alg:
            p["Checksum" + alg] = r.get("Checksum" + alg)
        parts.append(p)
    done = None
    if complete:
        done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=uid,
                                            MultipartUpload={"Parts": parts})
    return uid, parts, done


def attributes(**kw):
    return s3.get_object_attributes(Bucket=kw.pop("Bucket", B), **kw)


def check_plain():
    body = b"plain object body"
    put = s3.put_object(Bucket=B, Key="plain", Body=body, ChecksumAlgorithm="SHA256")
    a = attributes(Key="plain", ObjectAttributes=ALL)
    expect("attributes: ETag without quotes", a.get("ETag") == put["ETag"].strip('"'), a)
    expect("attributes: ObjectSize", a.get("ObjectSize") == len(body), a)
    expect("attributes: StorageClass STANDARD", a.get("StorageClass") == "STANDARD", a)
    expect("attributes: the PutObject checksum",
           a.get("Checksum", {}).get("ChecksumSHA256") == b64(sum_of("SHA256", body)), a)
    expect("attributes: an ordinary object has no ObjectParts", "ObjectParts" not in a, a)
    expect("attributes: Last-Modified", hdr(a, "last-modified") is not None, a)
    a = attributes(Key="plain", ObjectAttributes=["ObjectSize"])
    expect("attributes: only what was asked", "ETag" not in a and a.get("ObjectSize") == len(body), a)
    raw_headers(s3, "GetObjectAttributes", {}, drop=["x-amz-object-attributes"])
    st = err_of(s3.get_object_attributes, Bucket=B, Key="plain", ObjectAttributes=["ETag"])
    expect("attributes: no x-amz-object-attributes is 400 InvalidArgument",
           st[:2] == (400, "InvalidArgument"), st[:2])
    st = err_of(s3.get_object_attributes, Bucket=B, Key="plain", ObjectAttributes=["Bogus"])
    expect("attributes: an unknown attribute is 400 InvalidArgument",
           st[:2] == (400, "InvalidArgument"), st[:2])
    raw_headers(s3, "GetObjectAttributes", {"x-amz-max-parts": "ten"})
    st = err_of(s3.get_object_attributes, Bucket=B, Key="plain", ObjectAttributes=["ETag"])
    expect("attributes: a bad x-amz-max-parts is 400 InvalidArgument",
           st[:2] == (400, "InvalidArgument"), st[:2])
    expect_code("attributes: a missing key is 404 NoSuchKey", s3.get_object_attributes,
                (404, "NoSuchKey"), Bucket=B, Key="nothing-here", ObjectAttributes=["ETag"])
    expect_code("attributes: bob may not read alice's private object", bob.get_object_attributes,
                (403, "AccessDenied"), Bucket=B, Key="plain", ObjectAttributes=["ETag"])
    s3.put_object(Bucket=B, Key="public", Body=b"p", ACL="public-read")
    expect_code("attributes: anyone reads a public-read object's", anon.get_object_attributes,
                200, Bucket=B, Key="public", ObjectAttributes=["ETag"])

    # partNumber on an ordinary object: part 1 is all of it
    g = s3.get_object(Bucket=B, Key="plain", PartNumber=1)
    expect("partNumber=1 of an ordinary object: all of it (206)",
           g["Body"].read() == body and g["ResponseMetadata"]["HTTPStatusCode"] == 206, g)
    expect("partNumber=1 of an ordinary object: Content-Range of all",
           g.get("ContentRange") == "bytes 0-%d/%d" % (len(body) - 1, len(body)), g)
    expect("partNumber=1 of an ordinary object: no parts count", "PartsCount" not in g, g)
    h = s3.head_object(Bucket=B, Key="plain", PartNumber=1)
    expect("HEAD partNumber=1 of an ordinary object", h["ContentLength"] == len(body), h)
    for fn, what in ((s3.get_object, "GET"), (s3.head_object, "HEAD")):
        st = err_of(fn, Bucket=B, Key="plain", PartNumber=2)
        expect("%s partNumber=2 of an ordinary object is 416" % what, st[0] == 416, st[:2])
    st = err_of(s3.get_object, Bucket=B, Key="plain", PartNumber=2)
    expect("GET past the last part: InvalidPartNumber", st[1] == "InvalidPartNumber", st[:2])
    expect_code("partNumber=0 is 400 InvalidArgument", s3.get_object, (400, "InvalidArgument"),
                Bucket=B, Key="plain", PartNumber=0)
    expect_code("partNumber=10001 is 400 InvalidArgument", s3.get_object,
                (400, "InvalidArgument"), Bucket=B, Key="plain", PartNumber=10001)
    expect_code("partNumber with a Range is 400 InvalidRequest", s3.get_object,
                (400, "InvalidRequest"), Bucket=B, Key="plain", PartNumber=1, Range="bytes=0-1")
    s3.put_object(Bucket=B, Key="empty", Body=b"")
    g = s3.get_object(Bucket=B, Key="empty", PartNumber=1)
    expect("partNumber=1 of an empty object: 200, no bytes",
           g["Body"].read() == b"" and g["ResponseMetadata"]["HTTPStatusCode"] == 200, g)


def check_checksum_multipart():
    alg = "CRC32"
    bodies = part_bodies([5 * MIB, 5 * MIB, MIB + 7], 3)
    whole = b"".join(bodies)
    r = s3.create_multipart_upload(Bucket=B, Key="mp-crc", ChecksumAlgorithm=alg)
    uid = r["UploadId"]
    expect("Create: x-amz-checksum-algorithm answered", r.get("ChecksumAlgorithm") == alg, r)
    parts = []
    for i, body in enumerate(bodies):
        u = s3.upload_part(Bucket=B, Key="mp-crc", UploadId=uid, PartNumber=i + 1, Body=body,
                           ChecksumAlgorithm=alg)
        expect("UploadPart %d: its CRC32" % (i + 1),
               u.get("ChecksumCRC32") == b64(sum_of(alg, body)), u)
        parts.append({"PartNumber": i + 1, "ETag": u["ETag"], "ChecksumCRC32": u["ChecksumCRC32"]})
    lp = s3.list_parts(Bucket=B, Key="mp-crc", UploadId=uid)
    expect("ListParts: each part's CRC32",
           [p.get("ChecksumCRC32") for p in lp["Parts"]] == [p["ChecksumCRC32"] for p in parts],
           lp.get("Parts"))
    expect("ListParts: the upload's ChecksumAlgorithm",
           lp.get("ChecksumAlgorithm") == alg or "ChecksumAlgorithm" not in lp["ResponseMetadata"],
           lp)
    lu = s3.list_multipart_uploads(Bucket=B, Prefix="mp-crc")
    expect("ListMultipartUploads: the upload's ChecksumAlgorithm",
           [u.get("ChecksumAlgorithm") for u in lu.get("Uploads", [])] == [alg], lu.get("Uploads"))
    # a part of another algorithm, and one without
    st = err_of(s3.upload_part, Bucket=B, Key="mp-crc", UploadId=uid, PartNumber=9, Body=b"x",
                ChecksumAlgorithm="SHA256")
    expect("UploadPart with SHA256 into a CRC32 upload is 400 InvalidRequest",
           st[:2] == (400, "InvalidRequest"), st[:2])
    u = s3.upload_part(Bucket=B, Key="mp-crc", UploadId=uid, PartNumber=9, Body=b"xyz")
    expect("UploadPart without a checksum into a CRC32 upload: computed and answered",
           hdr(u, "x-amz-checksum-crc32") == b64(sum_of(alg, b"xyz")), u["ResponseMetadata"])
    # Complete: the checksums are required and checked
    st = err_of(s3.complete_multipart_upload, Bucket=B, Key="mp-crc", UploadId=uid,
                MultipartUpload={"Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]}
                                           for p in parts]})
    expect("Complete without the parts' checksums is 400 InvalidRequest",
           st[:2] == (400, "InvalidRequest"), st[:2])
    wrong = [dict(p) for p in parts]
    wrong[1]["ChecksumCRC32"] = b64(b"\0\0\0\0")
    st = err_of(s3.complete_multipart_upload, Bucket=B, Key="mp-crc", UploadId=uid,
                MultipartUpload={"Parts": wrong})
    expect("Complete with a wrong part checksum is 400 InvalidPart",
           st[:2] == (400, "InvalidPart"), st[:2])
    done = s3.complete_multipart_upload(Bucket=B, Key="mp-crc", UploadId=uid,
                                        MultipartUpload={"Parts": parts})
    want = composite(alg, bodies)
    expect("Complete: the composite CRC32", done.get("ChecksumCRC32") == want,
           (done.get("ChecksumCRC32"), want))
    again = s3.complete_multipart_upload(Bucket=B, Key="mp-crc", UploadId=uid,
                                         MultipartUpload={"Parts": parts})
    expect("a second Complete with the same parts: 200, the same ETag and checksum",
           again["ETag"] == done["ETag"] and again.get("ChecksumCRC32") == want, again)
    st = err_of(s3.complete_multipart_upload, Bucket=B, Key="mp-crc", UploadId=uid,
                MultipartUpload={"Parts": parts[:2]})
    expect("a second Complete with other parts is 404 NoSuchUpload",
           st[:2] == (404, "NoSuchUpload"), st[:2])
    expect_code("UploadPart to a completed upload is NoSuchUpload", s3.upload_part,
                (404, "NoSuchUpload"), Bucket=B, Key="mp-crc", UploadId=uid, PartNumber=1,
                Body=b"x")
    expect_code("ListParts of a completed upload is NoSuchUpload", s3.list_parts,
                (404, "NoSuchUpload"), Bucket=B, Key="mp-crc", UploadId=uid)
    expect_code("Abort of a completed upload is NoSuchUpload", s3.abort_multipart_upload,
                (404, "NoSuchUpload"), Bucket=B, Key="mp-crc", UploadId=uid)
    lu = s3.list_multipart_uploads(Bucket=B, Prefix="mp-crc")
    expect("a completed upload is not listed", not lu.get("Uploads"), lu.get("Uploads"))

    # GET/HEAD with checksum mode: the composite checksum, COMPOSITE
    g = s3.get_object(Bucket=B, Key="mp-crc", ChecksumMode="ENABLED")
    expect("GET: the bytes", g["Body"].read() == whole)
    expect("GET with checksum mode: the composite CRC32", g.get("ChecksumCRC32") == want, g)
    expect("GET with checksum mode: x-amz-checksum-type COMPOSITE",
           hdr(g, "x-amz-checksum-type") == "COMPOSITE", g["ResponseMetadata"])
    h = s3.head_object(Bucket=B, Key="mp-crc", ChecksumMode="ENABLED")
    expect("HEAD with checksum mode: the composite CRC32", h.get("ChecksumCRC32") == want, h)
    h = s3.head_object(Bucket=B, Key="mp-crc")
    expect("HEAD without checksum mode: no checksum", "ChecksumCRC32" not in h, h)

    # GET/HEAD ?partNumber
    off = 0
    for i, body in enumerate(bodies):
        g = s3.get_object(Bucket=B, Key="mp-crc", PartNumber=i + 1, ChecksumMode="ENABLED")
        got = g["Body"].read()
        expect("GET partNumber=%d: its bytes, 206" % (i + 1),
               got == body and g["ResponseMetadata"]["HTTPStatusCode"] == 206)
        expect("GET partNumber=%d: Content-Range" % (i + 1),
               g.get("ContentRange") == "bytes %d-%d/%d" % (off, off + len(body) - 1, len(whole)),
               g.get("ContentRange"))
        expect("GET partNumber=%d: x-amz-mp-parts-count 3" % (i + 1), g.get("PartsCount") == 3, g)
        expect("GET partNumber=%d with checksum mode: the part's CRC32" % (i + 1),
               g.get("ChecksumCRC32") == parts[i]["ChecksumCRC32"], g.get("ChecksumCRC32"))
        expect("GET partNumber=%d: the object's ETag" % (i + 1), g["ETag"] == done["ETag"], g)
        off += len(body)
    h = s3.head_object(Bucket=B, Key="mp-crc", PartNumber=2)
    expect("HEAD partNumber=2: its size, parts count",
           h["ContentLength"] == len(bodies[1]) and h.get("PartsCount") == 3, h)
    for fn, what in ((s3.get_object, "GET"), (s3.head_object, "HEAD")):
        st = err_of(fn, Bucket=B, Key="mp-crc", PartNumber=4)
        expect("%s partNumber=4 of 3 parts is 416" % what, st[0] == 416, st[:2])

    # GetObjectAttributes of the multipart object
    a = attributes(Key="mp-crc", ObjectAttributes=ALL)
    expect("attributes: the multipart ETag", a.get("ETag") == done["ETag"].strip('"'), a)
    expect("attributes: the composite checksum",
           a.get("Checksum", {}).get("ChecksumCRC32") == want, a.get("Checksum"))
    op = a.get("ObjectParts", {})
    expect("attributes: TotalPartsCount 3", op.get("TotalPartsCount") == 3, op)
    expect("attributes: every part's number, size and checksum",
           [(p.get("PartNumber"), p.get("Size"), p.get("ChecksumCRC32")) for p in op.get("Parts", [])]
           == [(i + 1, len(b), parts[i]["ChecksumCRC32"]) for i, b in enumerate(bodies)], op)
    expect("attributes: ObjectSize", a.get("ObjectSize") == len(whole), a)
    a = attributes(Key="mp-crc", ObjectAttributes=["ObjectParts"], MaxParts=2)
    op = a.get("ObjectParts", {})
    expect("attributes: MaxParts=2 pages",
           [p["PartNumber"] for p in op.get("Parts", [])] == [1, 2] and op.get("IsTruncated")
           and str(op.get("NextPartNumberMarker")) == "2" and op.get("MaxParts") == 2, op)
    a = attributes(Key="mp-crc", ObjectAttributes=["ObjectParts"], MaxParts=2,
                   PartNumberMarker=2)
    op = a.get("ObjectParts", {})
    expect("attributes: PartNumberMarker=2 gives the rest",
           [p["PartNumber"] for p in op.get("Parts", [])] == [3] and not op.get("IsTruncated"), op)


def check_other_algorithms():
    for alg in ("SHA1", "SHA256"):
        bodies = part_bodies([5 * MIB, 3], 11)
        _, parts, done = upload(B, "mp-" + alg.lower(), bodies, alg)
        expect("%s upload: the composite checksum" % alg,
               done.get("Checksum" + alg) == composite(alg, bodies), done)
        h = s3.head_object(Bucket=B, Key="mp-" + alg.lower(), ChecksumMode="ENABLED")
        expect("%s upload: HEAD with checksum mode" % alg,
               h.get("Checksum" + alg) == composite(alg, bodies), h)
    raw_headers(s3, "CreateMultipartUpload", {"x-amz-checksum-algorithm": "CRC64NVME"})
    st = err_of(s3.create_multipart_upload, Bucket=B, Key="mp-nvme")
    expect("Create with CRC64NVME (FULL_OBJECT) is 501 NotImplemented",
           st[:2] == (501, "NotImplemented"), st[:2])
    raw_headers(s3, "CreateMultipartUpload", {"x-amz-checksum-algorithm": "MD5"})
    st = err_of(s3.create_multipart_upload, Bucket=B, Key="mp-md5")
    expect("Create with an unknown algorithm is 400 InvalidRequest",
           st[:2] == (400, "InvalidRequest"), st[:2])
    raw_headers(s3, "CreateMultipartUpload", {"x-amz-checksum-algorithm": "CRC32",
                                              "x-amz-checksum-type": "FULL_OBJECT"})
    st = err_of(s3.create_multipart_upload, Bucket=B, Key="mp-full")
    expect("Create with x-amz-checksum-type FULL_OBJECT is 501 NotImplemented",
           st[:2] == (501, "NotImplemented"), st[:2])


def check_plain_multipart():
    bodies = part_bodies([5 * MIB, 5 * MIB, 10], 5)
    uid, parts, done = upload(B, "mp-plain", bodies)
    a = attributes(Key="mp-plain", ObjectAttributes=ALL)
    op = a.get("ObjectParts", {})
    expect("attributes without checksums: TotalPartsCount, no Part (as S3)",
           op.get("TotalPartsCount") == 3 and not op.get("Parts"), op)
    expect("attributes without checksums: no Checksum", "Checksum" not in a, a)
    for i, body in enumerate(bodies):
        g = s3.get_object(Bucket=B, Key="mp-plain", PartNumber=i + 1)
        expect("no-checksum upload: GET partNumber=%d" % (i + 1),
               g["Body"].read() == body and g.get("PartsCount") == 3)
    again = s3.complete_multipart_upload(Bucket=B, Key="mp-plain", UploadId=uid,
                                         MultipartUpload={"Parts": parts})
    expect("no-checksum upload: a second Complete answers the same ETag",
           again["ETag"] == done["ETag"], again)
    # a copy of a multipart object keeps its parts
    s3.copy_object(Bucket=B, Key="mp-copy", CopySource={"Bucket": B, "Key": "mp-plain"})
    g = s3.get_object(Bucket=B, Key="mp-copy", PartNumber=2)
    expect("a copy of a multipart object: GET partNumber=2",
           g["Body"].read() == bodies[1] and g.get("PartsCount") == 3, g)


def check_versions():
    s3.create_bucket(Bucket=BV)
    s3.put_bucket_versioning(Bucket=BV, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=BV, Key="k", Body=b"first version")["VersionId"]
    bodies = part_bodies([5 * MIB, 100], 9)
    uid, parts, done = upload(BV, "k", bodies, "SHA256")
    v2 = done.get("VersionId")
    expect("versioned Complete: a version", bool(v2) and v2 != v1, done)
    again = s3.complete_multipart_upload(Bucket=BV, Key="k", UploadId=uid,
                                         MultipartUpload={"Parts": parts})
    expect("versioned: a second Complete answers the same VersionId and ETag",
           again.get("VersionId") == v2 and again["ETag"] == done["ETag"], again)
    a = attributes(Bucket=BV, Key="k", ObjectAttributes=ALL)
    expect("attributes of the latest: the multipart version",
           a.get("VersionId") == v2 and a.get("ObjectParts", {}).get("TotalPartsCount") == 2, a)
    a = attributes(Bucket=BV, Key="k", VersionId=v1, ObjectAttributes=ALL)
    expect("attributes by versionId: the first version",
           a.get("VersionId") == v1 and a.get("ObjectSize") == len(b"first version")
           and "ObjectParts" not in a, a)
    g = s3.get_object(Bucket=BV, Key="k", VersionId=v2, PartNumber=2)
    expect("GET partNumber of a version", g["Body"].read() == bodies[1], g)
    gone = s3.put_object(Bucket=BV, Key="k", Body=b"gone soon")["VersionId"]
    s3.delete_object(Bucket=BV, Key="k", VersionId=gone)
    expect_code("attributes of a deleted version is 404 NoSuchVersion", s3.get_object_attributes,
                (404, "NoSuchVersion"), Bucket=BV, Key="k", VersionId=gone,
                ObjectAttributes=["ETag"])
    expect_code("attributes with a versionId not of ours is 400 InvalidArgument",
                s3.get_object_attributes, (400, "InvalidArgument"), Bucket=BV, Key="k",
                VersionId="not-a-version", ObjectAttributes=["ETag"])
    dm = s3.delete_object(Bucket=BV, Key="k")["VersionId"]
    st = err_of(s3.get_object_attributes, Bucket=BV, Key="k", ObjectAttributes=["ETag"])
    expect("attributes when the latest is a delete marker: 404 with x-amz-delete-marker",
           st[0] == 404 and st[2].get("x-amz-delete-marker") == "true", st[:2])
    st = err_of(s3.get_object_attributes, Bucket=BV, Key="k", VersionId=dm,
                ObjectAttributes=["ETag"])
    expect("attributes of a delete marker by versionId: 405", st[0] == 405, st[:2])
    a = attributes(Bucket=BV, Key="k", VersionId=v2, ObjectAttributes=["ETag"])
    expect("attributes of an older version under a delete marker", a.get("ETag") ==
           done["ETag"].strip('"'), a)


def check_list_delimiter():
    keys = ["dl/a/1", "dl/a/2", "dl/b/x/1", "dl/c", "dl/d/", "dl/e"]
    ids = {}
    for k in keys:
        ids[k] = s3.create_multipart_upload(Bucket=B, Key=k)["UploadId"]
    r = s3.list_multipart_uploads(Bucket=B, Prefix="dl/", Delimiter="/")
    expect("ListMultipartUploads delimiter: the uploads",
           [u["Key"] for u in r.get("Uploads", [])] == ["dl/c", "dl/e"], r.get("Uploads"))
    expect("ListMultipartUploads delimiter: the CommonPrefixes",
           [p["Prefix"] for p in r.get("CommonPrefixes", [])] == ["dl/a/", "dl/b/", "dl/d/"],
           r.get("CommonPrefixes"))
    expect("ListMultipartUploads delimiter: echoed", r.get("Delimiter") == "/", r)
    r = s3.list_multipart_uploads(Bucket=B, Prefix="dl/b/", Delimiter="/")
    expect("ListMultipartUploads delimiter under a prefix",
           [p["Prefix"] for p in r.get("CommonPrefixes", [])] == ["dl/b/x/"]
           and not r.get("Uploads"), r)
    for size in (1, 2, 3):
        seen, km, im = [], "", ""
        for _ in range(20):
            r = s3.list_multipart_uploads(Bucket=B, Prefix="dl/", Delimiter="/", MaxUploads=size,
                                          KeyMarker=km, UploadIdMarker=im)
            seen += [u["Key"] for u in r.get("Uploads", [])]
            seen += [p["Prefix"] for p in r.get("CommonPrefixes", [])]
            if not r["IsTruncated"]:
                break
            km, im = r.get("NextKeyMarker", ""), r.get("NextUploadIdMarker", "")
        expect("ListMultipartUploads delimiter, pages of %d: every item once" % size,
               sorted(seen) == ["dl/a/", "dl/b/", "dl/c", "dl/d/", "dl/e"], seen)
    r = s3.list_multipart_uploads(Bucket=B, Prefix="dl/")
    expect("ListMultipartUploads without a delimiter: every upload",
           [u["Key"] for u in r.get("Uploads", [])] == sorted(keys), r.get("Uploads"))
    for k, uid in ids.items():
        s3.abort_multipart_upload(Bucket=B, Key=k, UploadId=uid)


def main():
    s3.create_bucket(Bucket=B)
    for fn in (check_plain, check_checksum_multipart, check_other_algorithms,
               check_plain_multipart, check_versions, check_list_delimiter):
        try:
            fn()
        except Exception as e:  # one broken step fails, the others still run
            bad(fn.__name__ + " raised", repr(e))
    sys.exit(1 if s3check.FAILED else 0)


main()
