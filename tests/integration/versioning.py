#!/usr/bin/python3
"""tests/integration/versioning.py: S3 object versioning (issue 16; run by test_versioning.sh
against a whole cluster, with Debian's boto3 1.26). Phases (CAIRN_PHASE):
  main           Put/GetBucketVersioning; versions of PutObject (small and chunked) with
                 x-amz-version-id; GetObject/HeadObject of the latest and of each version;
                 delete markers (404 with x-amz-delete-marker, 405 by version), deleting a
                 marker brings the object back, deleting a version for good; Suspended writes
                 replace the null version; ListObjects lists current versions only (every page
                 size, with a delimiter); ListObjectVersions (order, IsLatest, delete markers,
                 every page size, markers, prefix, delimiter); what does not know versions yet
                 answers 501
  after-restart  every version and marker of main, read again after every storage node
                 restarted
Prints ok/FAIL lines. Environment: CAIRN_EP, CAIRN_AK/SK, CAIRN_PHASE, CAIRN_STATE (a file
main writes the version IDs into for after-restart).
"""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3check  # noqa: E402
from s3check import bad, code_of, expect, expect_code  # noqa: E402

EP = os.environ["CAIRN_EP"]
B = "vers"
s3 = s3check.client(EP, os.environ["CAIRN_AK"], os.environ["CAIRN_SK"])
STATE = os.environ["CAIRN_STATE"]


def body_of(key, vid=None):
    kw = {"Bucket": B, "Key": key}
    if vid:
        kw["VersionId"] = vid
    r = s3.get_object(**kw)
    return r["Body"].read(), r


def hdr(resp, name):
    return resp["ResponseMetadata"]["HTTPHeaders"].get(name)


def err_headers(fn, **kw):
    try:
        fn(**kw)
        return None, {}
    except s3check.botocore.exceptions.ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], \
            e.response["ResponseMetadata"]["HTTPHeaders"]


def list_keys(**kw):
    keys, prefixes, token = [], [], None
    for _ in range(1000):
        args = dict(Bucket=B, **kw)
        if token:
            args["ContinuationToken"] = token
        r = s3.list_objects_v2(**args)
        keys += [(c["Key"], c["ETag"].strip('"'), c["Size"]) for c in r.get("Contents", [])]
        prefixes += [p["Prefix"] for p in r.get("CommonPrefixes", [])]
        if not r["IsTruncated"]:
            return keys, prefixes
        token = r["NextContinuationToken"]
    raise RuntimeError("listing does not end")


def list_keys_v1(**kw):
    keys, marker = [], ""
    for _ in range(1000):
        r = s3.list_objects(Bucket=B, Marker=marker, **kw)
        keys += [c["Key"] for c in r.get("Contents", [])]
        if not r["IsTruncated"]:
            return keys
        marker = r["NextMarker"]
    raise RuntimeError("listing does not end")


def list_versions(**kw):
    """[(key, version id, is a delete marker)] in order, and the IsLatest flags, paging with
    the markers the server hands out."""
    seq, latest, km, vm = [], [], None, None
    for _ in range(1000):
        args = dict(Bucket=B, **kw)
        if km is not None:
            args["KeyMarker"] = km
            if vm:
                args["VersionIdMarker"] = vm
        r = s3.list_object_versions(**args)
        items = [(v, False) for v in r.get("Versions", [])] + \
                [(d, True) for d in r.get("DeleteMarkers", [])]
        # botocore splits the two kinds: put them back in document order by (key, position)
        items.sort(key=lambda x: order_of(r, x[0]))
        for v, m in items:
            seq.append((v["Key"], v["VersionId"], m))
            latest.append(v["IsLatest"])
        if not r["IsTruncated"]:
            return seq, latest
        km, vm = r["NextKeyMarker"], r.get("NextVersionIdMarker")
    raise RuntimeError("listing does not end")


def order_of(resp, item):
    return resp["_order"].index((item["Key"], item["VersionId"]))


def _keep_order(parsed, http_response=None, **kw):
    """botocore's parser drops the order of Version and DeleteMarker elements: keep it"""
    import re
    if http_response is None or not isinstance(parsed, dict):
        return
    body = http_response.content.decode()
    parsed["_order"] = re.findall(r"<(?:Version|DeleteMarker)><Key>(.*?)</Key><VersionId>(.*?)</VersionId>", body)


s3.meta.events.register("after-call.s3.ListObjectVersions", lambda **kw: _keep_order(kw.get("parsed"), kw.get("http_response")))


def main():
    st = {}
    s3.create_bucket(Bucket=B)
    r = s3.get_bucket_versioning(Bucket=B)
    expect("a new bucket has no versioning status", "Status" not in r, r)
    s3.put_object(Bucket=B, Key="old", Body=b"from before versioning")
    s3.put_object(Bucket=B, Key="doc", Body=b"null version of doc")
    s3.put_bucket_versioning(Bucket=B, VersioningConfiguration={"Status": "Enabled"})
    expect("GetBucketVersioning says Enabled",
           s3.get_bucket_versioning(Bucket=B).get("Status") == "Enabled")
    expect_code("MFA Delete is refused, not ignored", s3.put_bucket_versioning, (501, "NotImplemented"),
                Bucket=B, VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"})
    expect_code("a bad Status is MalformedXML", s3.put_bucket_versioning, (400, "MalformedXML"),
                Bucket=B, VersioningConfiguration={"Status": "Off"})

    # versions of one key
    vids = []
    for i in range(3):
        r = s3.put_object(Bucket=B, Key="doc", Body=b"doc v%d" % i)
        vids.append(r.get("VersionId"))
    expect("every PUT answers a new x-amz-version-id",
           all(v and v != "null" for v in vids) and len(set(vids)) == 3, vids)
    data, r = body_of("doc")
    expect("GET gives the latest version", data == b"doc v2", data)
    expect("... with its x-amz-version-id", r.get("VersionId") == vids[2], r.get("VersionId"))
    for i, v in enumerate(vids):
        data, r = body_of("doc", v)
        expect("GET ?versionId of version %d" % i, data == b"doc v%d" % i and r.get("VersionId") == v,
               (data, r.get("VersionId")))
    data, r = body_of("doc", "null")
    expect("the object written before versioning is the null version",
           data == b"null version of doc" and r.get("VersionId") == "null", (data, r.get("VersionId")))
    h = s3.head_object(Bucket=B, Key="doc", VersionId=vids[0])
    expect("HEAD ?versionId", h["ContentLength"] == 6 and h.get("VersionId") == vids[0], h)
    expect_code("GET of a version that is not there: 404 NoSuchVersion", s3.get_object,
                (404, "NoSuchVersion"), Bucket=B, Key="doc", VersionId="f" * 24)
    expect_code("GET of a version id that is not one: 400", s3.get_object, (400, "InvalidArgument"),
                Bucket=B, Key="doc", VersionId="not-a-version")
    data, _ = body_of("old")
    expect("an object from before versioning is still read", data == b"from before versioning")

    # a chunked object's versions
    big = [os.urandom(3 * 1024 * 1024 + 17), os.urandom(2 * 1024 * 1024 + 5)]
    bvids = [s3.put_object(Bucket=B, Key="big", Body=b)["VersionId"] for b in big]
    for i, v in enumerate(bvids):
        data, _ = body_of("big", v)
        expect("chunked version %d reads back whole" % i, data == big[i])
    data, _ = body_of("big")
    expect("the latest chunked version", data == big[1])
    st["big"] = [bvids, [hashlib.md5(b).hexdigest() for b in big]]

    # delete markers
    r = s3.delete_object(Bucket=B, Key="doc")
    marker = r.get("VersionId")
    expect("DELETE without a version writes a delete marker",
           r.get("DeleteMarker") is True and marker and marker not in vids, r)
    status, h = err_headers(s3.get_object, Bucket=B, Key="doc")
    expect("GET of a deleted object: 404 with x-amz-delete-marker",
           status == 404 and h.get("x-amz-delete-marker") == "true" and
           h.get("x-amz-version-id") == marker, (status, h))
    status, h = err_headers(s3.get_object, Bucket=B, Key="doc", VersionId=marker)
    expect("GET of the delete marker by its version: 405", status == 405 and
           h.get("x-amz-delete-marker") == "true", (status, h))
    data, _ = body_of("doc", vids[1])
    expect("older versions stay readable behind the marker", data == b"doc v1")
    keys, _ = list_keys()
    expect("ListObjects leaves out an object whose latest is a delete marker",
           "doc" not in [k for k, _, _ in keys], keys)
    r = s3.delete_object(Bucket=B, Key="doc", VersionId=marker)
    expect("DELETE of the marker by version answers it was one",
           r.get("DeleteMarker") is True and r.get("VersionId") == marker, r)
    data, r = body_of("doc")
    expect("deleting the delete marker brings the object back", data == b"doc v2", data)

    # a version deleted for good
    r = s3.delete_object(Bucket=B, Key="doc", VersionId=vids[2])
    expect("DELETE ?versionId answers that version", r.get("VersionId") == vids[2] and
           not r.get("DeleteMarker"), r)
    data, r = body_of("doc")
    expect("then the version before is the latest", data == b"doc v1" and
           r.get("VersionId") == vids[1], (data, r.get("VersionId")))
    expect_code("the deleted version is gone", s3.get_object, (404, "NoSuchVersion"), Bucket=B,
                Key="doc", VersionId=vids[2])
    st["doc"] = vids[:2]

    # ListObjects: current versions only, every page size, v1 and v2, with a delimiter
    dirv = {}
    for i in range(6):
        for j in range(2):
            r = s3.put_object(Bucket=B, Key="dir/f%d" % i, Body=b"%d-%d" % (i, j))
            dirv.setdefault("dir/f%d" % i, []).insert(0, (r["VersionId"], False))
    r = s3.delete_object(Bucket=B, Key="dir/f3")
    dirv["dir/f3"].insert(0, (r["VersionId"], True))
    want = sorted(["big", "doc", "old"] + ["dir/f%d" % i for i in range(6) if i != 3])
    keys, _ = list_keys()
    expect("ListObjectsV2 lists each object once, its latest version",
           [k for k, _, _ in keys] == want, keys)
    size = {k: s for k, _, s in keys}
    expect("... with the latest version's size", size.get("dir/f0") == 3 and
           size.get("big") == len(big[1]), size)
    for mk in (1, 2, 3, 5):
        got, _ = list_keys(MaxKeys=mk)
        expect("ListObjectsV2 in pages of %d" % mk, [k for k, _, _ in got] == want, got)
        got = list_keys_v1(MaxKeys=mk)
        expect("ListObjects (v1) in pages of %d" % mk, got == want, got)
    keys, prefixes = list_keys(Delimiter="/")
    expect("with a delimiter", [k for k, _, _ in keys] == ["big", "doc", "old"] and
           prefixes == ["dir/"], (keys, prefixes))
    r = s3.list_objects_v2(Bucket=B, StartAfter="dir/f1")
    expect("StartAfter skips every version of that key",
           [c["Key"] for c in r.get("Contents", [])] == ["dir/f2", "dir/f4", "dir/f5", "doc", "old"],
           r.get("Contents"))

    # Suspended: writes replace the null version, versions stay
    s3.put_bucket_versioning(Bucket=B, VersioningConfiguration={"Status": "Suspended"})
    expect("GetBucketVersioning says Suspended",
           s3.get_bucket_versioning(Bucket=B).get("Status") == "Suspended")
    r = s3.put_object(Bucket=B, Key="doc", Body=b"suspended 1")
    expect("a PUT while Suspended answers the null version", r.get("VersionId") == "null", r)
    s3.put_object(Bucket=B, Key="doc", Body=b"suspended 2")
    data, r = body_of("doc")
    expect("... and is the latest", data == b"suspended 2" and r.get("VersionId") == "null",
           (data, r.get("VersionId")))
    data, _ = body_of("doc", "null")
    expect("the null version was replaced", data == b"suspended 2", data)
    data, _ = body_of("doc", vids[1])
    expect("versions written while Enabled stay", data == b"doc v1", data)
    r = s3.delete_object(Bucket=B, Key="doc")
    expect("DELETE while Suspended: a null delete marker",
           r.get("DeleteMarker") is True and r.get("VersionId") == "null", r)
    expect_code("... so the object is gone", s3.get_object, (404, "NoSuchKey"), Bucket=B, Key="doc")
    s3.delete_object(Bucket=B, Key="doc", VersionId="null")
    data, _ = body_of("doc")
    expect("deleting the null marker shows the newest remaining version", data == b"doc v1", data)
    s3.put_bucket_versioning(Bucket=B, VersioningConfiguration={"Status": "Enabled"})

    # the null version between versions: written while Suspended, after one and before one
    va = s3.put_object(Bucket=B, Key="mix", Body=b"a")["VersionId"]
    s3.put_bucket_versioning(Bucket=B, VersioningConfiguration={"Status": "Suspended"})
    s3.put_object(Bucket=B, Key="mix", Body=b"null")
    s3.put_bucket_versioning(Bucket=B, VersioningConfiguration={"Status": "Enabled"})
    vb = s3.put_object(Bucket=B, Key="mix", Body=b"b")["VersionId"]

    # ListObjectVersions: every version and marker, newest first per key, paged every way
    want = {"big": [(bvids[1], False), (bvids[0], False)],
            "doc": [(vids[1], False), (vids[0], False)],
            "mix": [(vb, False), ("null", False), (va, False)],
            "old": [("null", False)]}
    want.update(dirv)
    want_seq = [(k, v, m) for k in sorted(want) for v, m in want[k]]
    got, latest = list_versions()
    expect("ListObjectVersions lists every version and delete marker, newest first per key",
           got == want_seq, "\n got  %s\n want %s" % (got, want_seq))
    expect("... the first of each key IsLatest, no other", latest == [True if i == 0 or
           want_seq[i - 1][0] != want_seq[i][0] else False for i in range(len(want_seq))], latest)
    for mk in (1, 2, 3, 7):
        g, l = list_versions(MaxKeys=mk)
        expect("ListObjectVersions in pages of %d" % mk, g == want_seq and l == latest,
               "\n got  %s\n want %s" % (g, want_seq))
    g, _ = list_versions(Prefix="dir/f3")
    expect("with a prefix", g == [("dir/f3", v, m) for v, m in dirv["dir/f3"]], g)
    r = s3.list_object_versions(Bucket=B, Delimiter="/")
    expect("with a delimiter: dir/ is one common prefix",
           [p["Prefix"] for p in r.get("CommonPrefixes", [])] == ["dir/"] and
           sorted(set(v["Key"] for v in r.get("Versions", []))) == ["big", "doc", "mix", "old"], r)
    r = s3.list_object_versions(Bucket=B, KeyMarker="doc")
    expect("KeyMarker alone starts after every version of that key",
           [v["Key"] for v in r.get("Versions", [])][:1] == ["mix"], r.get("Versions"))
    r = s3.list_object_versions(Bucket=B, KeyMarker="mix", VersionIdMarker="null")
    expect("VersionIdMarker=null goes on with the versions older than the null version",
           [(v["Key"], v["VersionId"]) for v in r.get("Versions", [])][:2] == [("mix", va), ("old", "null")],
           r.get("Versions"))
    expect_code("VersionIdMarker without KeyMarker: 400", s3.list_object_versions,
                (400, "InvalidArgument"), Bucket=B, VersionIdMarker=va)

    # copies: from the latest or a named version, into a new version; a restore
    r = s3.copy_object(Bucket=B, Key="doc-copy", CopySource={"Bucket": B, "Key": "doc"})
    expect("CopyObject from a bucket with versioning copies the latest",
           r.get("CopySourceVersionId") == vids[1] and r.get("VersionId") not in (None, "null"), r)
    data, _ = body_of("doc-copy")
    expect("... its bytes", data == b"doc v1", data)
    r = s3.copy_object(Bucket=B, Key="doc", CopySource={"Bucket": B, "Key": "doc", "VersionId": vids[0]})
    expect("CopyObject of an older version onto its own key (a restore)",
           r.get("CopySourceVersionId") == vids[0] and r.get("VersionId") not in vids, r)
    restored = r.get("VersionId")
    data, r = body_of("doc")
    expect("... is the new latest", data == b"doc v0" and r.get("VersionId") == restored,
           (data, r.get("VersionId")))
    r = s3.copy_object(Bucket=B, Key="bigcopy", CopySource={"Bucket": B, "Key": "big", "VersionId": bvids[0]})
    data, _ = body_of("bigcopy")
    expect("CopyObject of an older chunked version", data == big[0] and
           r.get("CopySourceVersionId") == bvids[0])
    expect_code("CopyObject naming a delete marker: 400 InvalidRequest", s3.copy_object,
                (400, "InvalidRequest"), Bucket=B, Key="x",
                CopySource={"Bucket": B, "Key": "dir/f3", "VersionId": dirv["dir/f3"][0][0]})
    expect_code("CopyObject of an object whose latest is a delete marker: 404", s3.copy_object,
                (404, "NoSuchKey"), Bucket=B, Key="x", CopySource={"Bucket": B, "Key": "dir/f3"})
    expect_code("CopyObject of a version that is not there: 404 NoSuchVersion", s3.copy_object,
                (404, "NoSuchVersion"), Bucket=B, Key="x",
                CopySource={"Bucket": B, "Key": "doc", "VersionId": "f" * 24})
    s3.create_bucket(Bucket=B + "-plain")
    r = s3.copy_object(Bucket=B + "-plain", Key="k", CopySource={"Bucket": B, "Key": "doc", "VersionId": vids[1]})
    expect("CopyObject into a bucket without versioning: no VersionId, the source's named",
           "VersionId" not in r and r.get("CopySourceVersionId") == vids[1], r)
    data = s3.get_object(Bucket=B + "-plain", Key="k")["Body"].read()
    expect("... its bytes", data == b"doc v1", data)

    # multipart: each completed upload is a version
    mvids, parts_data = [], []
    for n in range(2):
        up = s3.create_multipart_upload(Bucket=B, Key="mp")["UploadId"]
        p1 = os.urandom(5 * 1024 * 1024)
        e1 = s3.upload_part(Bucket=B, Key="mp", UploadId=up, PartNumber=1, Body=p1)["ETag"]
        e2 = s3.upload_part_copy(Bucket=B, Key="mp", UploadId=up, PartNumber=2,
                                 CopySource={"Bucket": B, "Key": "doc", "VersionId": vids[0]}
                                 )["CopyPartResult"]["ETag"]
        r = s3.complete_multipart_upload(Bucket=B, Key="mp", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
        mvids.append(r.get("VersionId"))
        parts_data.append(p1 + b"doc v0")
    expect("CompleteMultipartUpload answers a new version each time",
           all(v and v != "null" for v in mvids) and mvids[0] != mvids[1], mvids)
    for i, v in enumerate(mvids):
        data, _ = body_of("mp", v)
        expect("multipart version %d reads back (UploadPartCopy of a named version inside)" % i,
               data == parts_data[i])
    st["doc"] = vids[:2]
    st["restored"] = restored

    # object ACLs: of the latest, or of a version named
    s3.put_object_acl(Bucket=B, Key="doc", VersionId=vids[1], ACL="public-read")
    grants = s3.get_object_acl(Bucket=B, Key="doc", VersionId=vids[1])["Grants"]
    expect("PutObjectAcl ?versionId sets that version's ACL",
           any(g["Grantee"].get("URI", "").endswith("AllUsers") for g in grants), grants)
    grants = s3.get_object_acl(Bucket=B, Key="doc")["Grants"]
    expect("... and not the latest's", not any(g["Grantee"].get("URI", "").endswith("AllUsers")
                                               for g in grants), grants)
    data, r = body_of("doc")
    expect("... nor which version is latest", r.get("VersionId") == restored, r.get("VersionId"))
    anon = s3check.client(EP)
    expect("anonymous reads the public version",
           anon.get_object(Bucket=B, Key="doc", VersionId=vids[1])["Body"].read() == b"doc v1")
    expect_code("... not the private latest", anon.get_object, 403, Bucket=B, Key="doc")
    status, h = err_headers(s3.get_object_acl, Bucket=B, Key="dir/f3", VersionId=dirv["dir/f3"][0][0])
    expect("GetObjectAcl of a delete marker's version: 405", status == 405, (status, h))
    expect_code("GetObjectAcl of a deleted object: 404", s3.get_object_acl, (404, "NoSuchKey"),
                Bucket=B, Key="dir/f3")

    # DeleteObjects: markers without a version, a version for good with one
    r = s3.delete_objects(Bucket=B, Delete={"Objects": [
        {"Key": "dir/f0"}, {"Key": "dir/f1", "VersionId": dirv["dir/f1"][1][0]},
        {"Key": "dir/f3", "VersionId": dirv["dir/f3"][0][0]},
        {"Key": "dir/f2", "VersionId": "nonsense"}]})
    dl = {d["Key"]: d for d in r.get("Deleted", [])}
    expect("DeleteObjects without a VersionId writes a delete marker",
           dl.get("dir/f0", {}).get("DeleteMarker") is True and
           dl["dir/f0"].get("DeleteMarkerVersionId") not in (None, "null"), r.get("Deleted"))
    expect("... with one deletes that version", dl.get("dir/f1", {}).get("VersionId") ==
           dirv["dir/f1"][1][0] and not dl["dir/f1"].get("DeleteMarker"), r.get("Deleted"))
    expect("... of a delete marker's version says it was one",
           dl.get("dir/f3", {}).get("DeleteMarker") is True and
           dl["dir/f3"].get("DeleteMarkerVersionId") == dirv["dir/f3"][0][0], r.get("Deleted"))
    expect("... a VersionId we never made: that key's NoSuchVersion",
           [(e["Key"], e["Code"]) for e in r.get("Errors", [])] == [("dir/f2", "NoSuchVersion")],
           r.get("Errors"))
    expect_code("dir/f0 is deleted", s3.get_object, (404, "NoSuchKey"), Bucket=B, Key="dir/f0")
    data, _ = body_of("dir/f1")
    expect("dir/f1 keeps its latest", data == b"1-1", data)
    data, _ = body_of("dir/f3")
    expect("dir/f3 is back once its marker is deleted", data == b"3-1", data)

    # never a wrong success: what does not know versions yet
    # tags: each version has its own; the latest by default
    s3.put_object_tagging(Bucket=B, Key="doc", VersionId=vids[0],
                          Tagging={"TagSet": [{"Key": "era", "Value": "first"}]})
    r = s3.get_object_tagging(Bucket=B, Key="doc", VersionId=vids[0])
    expect("PutObjectTagging ?versionId tags that version",
           r["TagSet"] == [{"Key": "era", "Value": "first"}] and r.get("VersionId") == vids[0], r)
    r = s3.get_object_tagging(Bucket=B, Key="doc")
    expect("... not the latest", r["TagSet"] == [] and r.get("VersionId") == restored, r)
    s3.put_object_tagging(Bucket=B, Key="doc", Tagging={"TagSet": [{"Key": "era", "Value": "now"}]})
    h = s3.head_object(Bucket=B, Key="doc")
    expect("PutObjectTagging without a version tags the latest, which stays latest",
           h.get("VersionId") == restored and
           h["ResponseMetadata"]["HTTPHeaders"].get("x-amz-tagging-count") == "1", h)
    r = s3.put_object(Bucket=B, Key="tagged", Body=b"t", Tagging="a=1")
    expect("x-amz-tagging on a versioned PutObject", s3.get_object_tagging(
        Bucket=B, Key="tagged", VersionId=r["VersionId"])["TagSet"] == [{"Key": "a", "Value": "1"}])
    s3.delete_object_tagging(Bucket=B, Key="doc", VersionId=vids[0])
    expect("DeleteObjectTagging ?versionId", s3.get_object_tagging(
        Bucket=B, Key="doc", VersionId=vids[0])["TagSet"] == [])
    status, h = err_headers(s3.get_object_tagging, Bucket=B, Key="dir/f0",
                            VersionId=dirv["dir/f0"][0][0])
    expect("GetObjectTagging of an older version while the latest is a delete marker works",
           status is None, (status, h))
    expect_code("DeleteBucket of a bucket with versions: 409 BucketNotEmpty", s3.delete_bucket,
                (409, "BucketNotEmpty"), Bucket=B)
    # what after-restart reads again: every version, and the current listing
    st["versions"], _ = list_versions()
    st["md5"] = {k + "|" + v: hashlib.md5(body_of(k, v)[0]).hexdigest()
                 for k, v, m in st["versions"] if not m}
    st["current"] = [k for k, _, _ in list_keys()[0]]
    with open(STATE, "w") as f:
        json.dump(st, f)


def after_restart():
    st = json.load(open(STATE))
    got, _ = list_versions()
    want = [tuple(x) for x in st["versions"]]
    expect("after restarts: ListObjectVersions is the same", got == want,
           "\n got  %s\n want %s" % (got, want))
    bad_versions = [kv for kv, md5 in st["md5"].items()
                    if hashlib.md5(body_of(*kv.split("|"))[0]).hexdigest() != md5]
    expect("after restarts: every version (%d) reads back the same" % len(st["md5"]),
           not bad_versions, bad_versions)
    data, r = body_of("doc")
    expect("after restarts: the latest of doc is the restored one",
           data == b"doc v0" and r.get("VersionId") == st["restored"], (data, r.get("VersionId")))
    keys, _ = list_keys()
    expect("after restarts: the listing", [k for k, _, _ in keys] == st["current"], keys)


try:
    {"main": main, "after-restart": after_restart}[os.environ["CAIRN_PHASE"]]()
except Exception as e:  # a crash of the script is a failure, with its reason
    bad("versioning.py %s raised" % os.environ["CAIRN_PHASE"], repr(e))
sys.exit(1 if s3check.FAILED else 0)
