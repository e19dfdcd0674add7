#!/usr/bin/python3
"""tests/integration/cond_write.py: conditional writes and deletes (issue 16; run by
test_cond_write.sh against a cluster with two gateways, with Debian's boto3 1.26, which has no
IfNoneMatch/IfMatch parameters: the headers go in through botocore's before-sign event).
Phases (CAIRN_PHASE):
  main     PutObject (small and chunked) and CompleteMultipartUpload with If-None-Match: * and
           If-Match; DeleteObject with If-Match, x-amz-if-match-size and
           x-amz-if-match-last-modified-time; 409 ConditionalRequestConflict for a Complete
           whose key was written during the upload; what answers 501 (versioned buckets)
  race     two (then eight) concurrent If-None-Match: * writers of one fresh key through the
           two gateways, 200 (then 20) times: exactly one wins each time, the others get 412
           or 409, and the key holds the winner's bytes
  down     the first owner of some keys is killed (test_cond_write.sh): a conditional write of
           such a key answers 503 at once (no other coordinator decides) and a plain write
           of it still works; CAIRN_DOWN_KEYS gets the keys that answered 503
  reported after the manager reports that node down: a conditional write of those keys is
           decided by the next owner (412 on an existing key, 200 on a new one)
Prints ok/FAIL lines. Environment: CAIRN_EP, CAIRN_EP2 (the second gateway), CAIRN_AK/SK,
CAIRN_PHASE, CAIRN_STATE (a file down writes for reported).
"""
import hashlib
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3check  # noqa: E402
from s3check import bad, code_of, expect, expect_code, ok  # noqa: E402

EP, EP2 = os.environ["CAIRN_EP"], os.environ["CAIRN_EP2"]
AK, SK = os.environ["CAIRN_AK"], os.environ["CAIRN_SK"]
B = "cond"
T = threading.local()


def with_headers(c):
    """c sends the headers of T.headers (a dict) on its next calls from this thread."""
    def add(request, **kw):
        for k, v in (getattr(T, "headers", None) or {}).items():
            request.headers[k] = v
    c.meta.events.register("before-sign.s3.*", add)
    return c


s3 = with_headers(s3check.client(EP, AK, SK))
s3b = with_headers(s3check.client(EP2, AK, SK))


def h(headers, fn, **kw):
    """(status, code) of fn(**kw) sent with headers."""
    T.headers = headers
    try:
        return code_of(fn, **kw)
    finally:
        T.headers = None


def hcheck(name, headers, fn, want, **kw):
    T.headers = headers
    try:
        expect_code(name, fn, want, **kw)
    finally:
        T.headers = None


def body(key, bucket=None, c=s3):
    try:
        return c.get_object(Bucket=bucket or B, Key=key)["Body"].read()
    except s3check.botocore.exceptions.ClientError as e:
        return e.response.get("Error", {}).get("Code", "error")


def delete_objects_raw(objects_xml, bucket=None):
    """DeleteObjects with the body <Delete>objects_xml</Delete> as written, signed by botocore's
    SigV4 and sent by urllib; {"Deleted": [{"Key"}], "Errors": [{"Key", "Code"}]}."""
    import base64
    import hashlib
    import re
    import urllib.request
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = ("<Delete>%s</Delete>" % objects_xml).encode()
    req = AWSRequest(method="POST", url="%s/%s?delete" % (EP, bucket or B), data=body,
                     headers={"Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode()})
    S3SigV4Auth(Credentials(AK, SK), "s3", "us-east-1").add_auth(req)
    p = req.prepare()
    with urllib.request.urlopen(urllib.request.Request(p.url, data=body, headers=dict(p.headers),
                                                       method="POST")) as resp:
        x = resp.read().decode()
    return {"Deleted": [{"Key": k} for k in re.findall(r"<Deleted><Key>(.*?)</Key>", x)],
            "Errors": [{"Key": k, "Code": c} for k, c in
                       re.findall(r"<Error><Key>(.*?)</Key><Code>(.*?)</Code>", x)]}


def etag(key):
    return s3.head_object(Bucket=B, Key=key)["ETag"]


PRE = (412, "PreconditionFailed")
NI = (501, "NotImplemented")
CONFLICT = (409, "ConditionalRequestConflict")
INM = {"If-None-Match": "*"}


def main():
    s3.create_bucket(Bucket=B)
    # PutObject If-None-Match: *
    hcheck("PutObject If-None-Match: * of a new key", INM, s3.put_object, 200,
           Bucket=B, Key="a", Body=b"first")
    hcheck("PutObject If-None-Match: * of an existing key: 412", INM, s3.put_object, PRE,
           Bucket=B, Key="a", Body=b"second")
    expect("... the key keeps its bytes", body("a") == b"first", body("a"))
    for _ in range(50):  # the other gateway learns the new bucket from the manager
        if code_of(s3b.head_bucket, Bucket=B)[0] == 200:
            break
        time.sleep(0.1)
    hcheck("... also through the other gateway", INM, s3b.put_object, PRE,
           Bucket=B, Key="a", Body=b"third")
    s3.delete_object(Bucket=B, Key="a")
    hcheck("PutObject If-None-Match: * of a deleted key", INM, s3.put_object, 200,
           Bucket=B, Key="a", Body=b"again")
    expect("... it holds the new bytes", body("a") == b"again", body("a"))
    big = os.urandom(6 << 20)
    hcheck("chunked PutObject If-None-Match: * of a new key", INM, s3.put_object, 200,
           Bucket=B, Key="big", Body=big)
    hcheck("chunked PutObject If-None-Match: * of an existing key: 412", INM, s3.put_object, PRE,
           Bucket=B, Key="big", Body=os.urandom(6 << 20))
    expect("... it keeps its bytes", body("big") == big, "changed")
    hcheck("PutObject If-None-Match with an ETag: 501", {"If-None-Match": '"abc"'}, s3.put_object,
           NI, Bucket=B, Key="n1", Body=b"x")
    expect("... nothing was stored", body("n1") == "NoSuchKey", body("n1"))

    # PutObject If-Match
    e = etag("a")
    hcheck("PutObject If-Match with the current ETag", {"If-Match": e}, s3.put_object, 200,
           Bucket=B, Key="a", Body=b"swapped")
    expect("... it holds the new bytes", body("a") == b"swapped", body("a"))
    hcheck("PutObject If-Match with the old ETag: 412", {"If-Match": e}, s3.put_object, PRE,
           Bucket=B, Key="a", Body=b"lost")
    expect("... it keeps its bytes", body("a") == b"swapped", body("a"))
    hcheck("PutObject If-Match: * of an existing key", {"If-Match": "*"}, s3.put_object, 200,
           Bucket=B, Key="a", Body=b"star")
    hcheck("PutObject If-Match of a missing key: 412", {"If-Match": e}, s3.put_object, PRE,
           Bucket=B, Key="nokey", Body=b"x")
    hcheck("PutObject If-Match: * of a missing key: 412", {"If-Match": "*"}, s3.put_object, PRE,
           Bucket=B, Key="nokey", Body=b"x")
    expect("... nothing was stored", body("nokey") == "NoSuchKey", body("nokey"))
    e = etag("big")
    nb = os.urandom(6 << 20)
    hcheck("chunked PutObject If-Match with the current ETag", {"If-Match": e}, s3.put_object,
           200, Bucket=B, Key="big", Body=nb)
    expect("... it holds the new bytes", body("big") == nb, "not replaced")

    # CompleteMultipartUpload
    def mpu(key, parts=1, during=None):
        up = s3.create_multipart_upload(Bucket=B, Key=key)["UploadId"]
        ps = []
        for n in range(1, parts + 1):
            r = s3.upload_part(Bucket=B, Key=key, UploadId=up, PartNumber=n, Body=b"p%d" % n)
            ps.append({"PartNumber": n, "ETag": r["ETag"]})
        if during:
            during()
        return up, ps

    def complete(name, headers, key, up, ps, want):
        hcheck(name, headers, s3.complete_multipart_upload, want, Bucket=B, Key=key,
               UploadId=up, MultipartUpload={"Parts": ps})

    up, ps = mpu("m1")
    complete("CompleteMultipartUpload If-None-Match: * of a new key", INM, "m1", up, ps, 200)
    expect("... the object is there", body("m1") == b"p1", body("m1"))
    s3.put_object(Bucket=B, Key="m2", Body=b"before")
    time.sleep(0.01)
    up, ps = mpu("m2")
    complete("CompleteMultipartUpload If-None-Match: * of a key written before the upload: 412",
             INM, "m2", up, ps, PRE)
    expect("... the key keeps its bytes", body("m2") == b"before", body("m2"))
    parts = [p["PartNumber"] for p in s3.list_parts(Bucket=B, Key="m2", UploadId=up)["Parts"]]
    expect("... the upload is still there with its part", parts == [1], parts)
    s3.abort_multipart_upload(Bucket=B, Key="m2", UploadId=up)
    up, ps = mpu("m3", during=lambda: s3.put_object(Bucket=B, Key="m3", Body=b"meanwhile"))
    complete("CompleteMultipartUpload If-None-Match: * of a key written during the upload: 409",
             INM, "m3", up, ps, CONFLICT)
    expect("... the key keeps its bytes", body("m3") == b"meanwhile", body("m3"))
    s3.abort_multipart_upload(Bucket=B, Key="m3", UploadId=up)
    e = etag("m1")
    up, ps = mpu("m1", parts=1)
    complete("CompleteMultipartUpload If-Match with a wrong ETag: 412", {"If-Match": '"0"'},
             "m1", up, ps, PRE)
    complete("CompleteMultipartUpload If-Match with the current ETag", {"If-Match": e}, "m1",
             up, ps, 200)

    # DeleteObject
    s3.put_object(Bucket=B, Key="d", Body=b"12345")
    e = etag("d")
    hcheck("DeleteObject If-Match with a wrong ETag: 412", {"If-Match": '"0"'}, s3.delete_object,
           PRE, Bucket=B, Key="d")
    expect("... the object stays", body("d") == b"12345", body("d"))
    hcheck("DeleteObject x-amz-if-match-size wrong: 412", {"x-amz-if-match-size": "4"},
           s3.delete_object, PRE, Bucket=B, Key="d")
    lm = s3.head_object(Bucket=B, Key="d")["ResponseMetadata"]["HTTPHeaders"]["last-modified"]
    hcheck("DeleteObject x-amz-if-match-last-modified-time wrong: 412",
           {"x-amz-if-match-last-modified-time": "Tue, 27 Mar 2007 19:36:42 GMT"},
           s3.delete_object, PRE, Bucket=B, Key="d")
    expect("... the object stays", body("d") == b"12345", body("d"))
    hcheck("DeleteObject If-Match + size + last-modified-time all right: 204",
           {"If-Match": e, "x-amz-if-match-size": "5", "x-amz-if-match-last-modified-time": lm},
           s3.delete_object, 204, Bucket=B, Key="d")
    expect("... the object is gone", body("d") == "NoSuchKey", body("d"))
    hcheck("DeleteObject If-Match of a missing key: 404 NoSuchKey", {"If-Match": e},
           s3.delete_object, (404, "NoSuchKey"), Bucket=B, Key="d")
    hcheck("DeleteObject If-Match: * of a missing key: 404 NoSuchKey", {"If-Match": "*"},
           s3.delete_object, (404, "NoSuchKey"), Bucket=B, Key="d")
    hcheck("DeleteObject x-amz-if-match-size of a missing key: 204", {"x-amz-if-match-size": "5"},
           s3.delete_object, 204, Bucket=B, Key="d")
    s3.put_object(Bucket=B, Key="d2", Body=b"xyz")
    hcheck("DeleteObject If-Match: * of an existing key: 204", {"If-Match": "*"},
           s3.delete_object, 204, Bucket=B, Key="d2")
    expect("... the object is gone", body("d2") == "NoSuchKey", body("d2"))
    s3.put_object(Bucket=B, Key="d3", Body=b"xyz")
    hcheck("DeleteObject x-amz-if-match-size right: 204", {"x-amz-if-match-size": "3"},
           s3.delete_object, 204, Bucket=B, Key="d3")
    expect("... the object is gone", body("d3") == "NoSuchKey", body("d3"))
    big = os.urandom(6 << 20)
    s3.put_object(Bucket=B, Key="d4", Body=big)
    hcheck("DeleteObject of a chunked object with If-Match right: 204", {"If-Match": etag("d4")},
           s3.delete_object, 204, Bucket=B, Key="d4")
    expect("... the object is gone", body("d4") == "NoSuchKey", body("d4"))

    # DeleteObjects: each Object's ETag, Size, LastModifiedTime (boto3 1.26 has no field for
    # them: the body is written here)
    for k in ("m1", "m2", "m3", "m4"):
        s3.put_object(Bucket=B, Key=k, Body=b"four")
    lm = s3.head_object(Bucket=B, Key="m3")["LastModified"].strftime("%Y-%m-%dT%H:%M:%S.000Z")
    r = delete_objects_raw(
        "<Object><Key>m1</Key><ETag>%s</ETag></Object>" % etag("m1") +
        "<Object><Key>m2</Key><ETag>\"0123\"</ETag></Object>" +
        "<Object><Key>m3</Key><Size>4</Size><LastModifiedTime>%s</LastModifiedTime></Object>" % lm +
        "<Object><Key>m4</Key><Size>5</Size></Object>" +
        "<Object><Key>gone</Key><ETag>\"0123\"</ETag></Object>")
    deleted = sorted(d["Key"] for d in r.get("Deleted", []))
    errors = sorted((e["Key"], e["Code"]) for e in r.get("Errors", []))
    expect("DeleteObjects with conditions: the matching ones are deleted", deleted == ["m1", "m3"],
           r)
    expect("... the others are that key's PreconditionFailed (NoSuchKey when missing)",
           errors == [("gone", "NoSuchKey"), ("m2", "PreconditionFailed"),
                      ("m4", "PreconditionFailed")], errors)
    expect("... m2 and m4 are still there", body("m2") == b"four" and body("m4") == b"four")

    # a bucket with versioning: the condition is about the object's latest version
    s3.create_bucket(Bucket="condv")
    s3.put_bucket_versioning(Bucket="condv", VersioningConfiguration={"Status": "Enabled"})
    hcheck("versioned bucket: PutObject If-None-Match: * of a new object", INM, s3.put_object,
           200, Bucket="condv", Key="v", Body=b"x")
    hcheck("... again: 412, the latest version exists", INM, s3.put_object, PRE,
           Bucket="condv", Key="v", Body=b"y")
    n = len(s3.list_object_versions(Bucket="condv").get("Versions", []))
    expect("... one version was written", n == 1, n)
    et = s3.head_object(Bucket="condv", Key="v")["ETag"]
    hcheck("versioned bucket: If-Match with the latest's ETag writes a new version",
           {"If-Match": et}, s3.put_object, 200, Bucket="condv", Key="v", Body=b"z")
    hcheck("... If-Match with the older version's ETag: 412", {"If-Match": et}, s3.put_object,
           PRE, Bucket="condv", Key="v", Body=b"w")
    s3.delete_object(Bucket="condv", Key="v")
    hcheck("a delete marker as latest: If-None-Match: * writes", INM, s3.put_object, 200,
           Bucket="condv", Key="v", Body=b"after")
    expect("... and it is the latest", s3.get_object(Bucket="condv", Key="v")["Body"].read() ==
           b"after")
    s3.put_object(Bucket="condv", Key="v2", Body=b"x")
    hcheck("versioned bucket: DeleteObject If-Match of another ETag: 412", {"If-Match": '"0123"'},
           s3.delete_object, PRE, Bucket="condv", Key="v2")
    r = s3.list_object_versions(Bucket="condv", Prefix="v2")
    expect("... no delete marker was written", not r.get("DeleteMarkers"), r.get("DeleteMarkers"))
    et = s3.head_object(Bucket="condv", Key="v2")["ETag"]
    hcheck("... with the latest's ETag: 204, a delete marker", {"If-Match": et},
           s3.delete_object, 204, Bucket="condv", Key="v2")
    r = s3.list_object_versions(Bucket="condv", Prefix="v2")
    expect("... the marker is latest", [m["IsLatest"] for m in r.get("DeleteMarkers", [])] == [True],
           r.get("DeleteMarkers"))
    hcheck("If-Match when the latest is a delete marker: 404 NoSuchKey", {"If-Match": et},
           s3.delete_object, (404, "NoSuchKey"), Bucket="condv", Key="v2")
    vid = r["Versions"][0]["VersionId"]
    hcheck("DeleteObject ?versionId If-Match: about that version (204)", {"If-Match": et},
           s3.delete_object, 204, Bucket="condv", Key="v2", VersionId=vid)
    s3.put_object(Bucket="condv", Key="v3", Body=b"three")
    r = delete_objects_raw("<Object><Key>v3</Key><Size>4</Size></Object>"
                           "<Object><Key>v4</Key><ETag>\"0123\"</ETag></Object>", "condv")
    expect("versioned DeleteObjects with conditions: v3 (size 5) PreconditionFailed, v4 NoSuchKey",
           sorted((e["Key"], e["Code"]) for e in r["Errors"]) ==
           [("v3", "PreconditionFailed"), ("v4", "NoSuchKey")] and not r["Deleted"], r)
    r = delete_objects_raw("<Object><Key>v3</Key><Size>5</Size></Object>", "condv")
    expect("... with the right size: a delete marker", [d["Key"] for d in r["Deleted"]] == ["v3"]
           and s3.list_object_versions(Bucket="condv", Prefix="v3").get("DeleteMarkers"), r)


def race(rounds, racers, tag, bucket=None):
    bucket = bucket or B
    clients = [s3check.client(EP if i % 2 == 0 else EP2, AK, SK) for i in range(racers)]
    for c in clients:
        with_headers(c)
    bad_rounds = []
    for n in range(rounds):
        key = "race-%s-%d-%d" % (tag, n, time.time_ns())
        res = [None] * racers
        bar = threading.Barrier(racers)

        def go(i):
            T.headers = INM
            bar.wait()
            try:
                res[i] = code_of(clients[i].put_object, Bucket=bucket, Key=key,
                                 Body=b"racer %d" % i)
            except Exception as e:  # a transport error is a failed round, not a crash
                res[i] = (0, repr(e)[:100])
            T.headers = None
        ts = [threading.Thread(target=go, args=(i,)) for i in range(racers)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        wins = [i for i in range(racers) if res[i][0] == 200]
        losers_ok = all(res[i] in (PRE, CONFLICT) for i in range(racers) if i not in wins)
        got = body(key, bucket)
        if len(wins) != 1 or not losers_ok or got != b"racer %d" % wins[0]:
            bad_rounds.append((key, res, got))
    expect("%d rounds of %d If-None-Match: * racers through two gateways: exactly one wins "
           "each time, the others get 412/409, the key holds the winner's bytes"
           % (rounds, racers), not bad_rounds, bad_rounds[:3])


def down():
    state = os.environ["CAIRN_STATE"]
    keys503, others = [], 0
    for n in range(40):
        key = "down-%d" % n
        st = h(INM, s3.put_object, Bucket=B, Key=key, Body=b"cond")
        if st[0] == 503:
            keys503.append(key)
        elif st[0] == 200:
            others += 1
        else:
            bad("conditional write of %s with a node killed" % key, st)
    expect("with a node killed, the conditional writes of the keys it is the first owner of "
           "answer 503 (%d of 40), the others are decided (%d)" % (len(keys503), others),
           len(keys503) > 0 and others > 0 and len(keys503) + others == 40)
    fails = [k for k in keys503 if code_of(s3.put_object, Bucket=B, Key=k, Body=b"plain")[0]
             != 200]
    expect("... a plain write of each of those keys still works", not fails, fails)
    expect("... and is read back", all(body(k) == b"plain" for k in keys503), "")
    again = [k for k in keys503 if h(INM, s3b.put_object, Bucket=B, Key=k, Body=b"x")[0] != 503]
    expect("... a conditional write of them through the other gateway answers 503 too",
           not again, again)
    with open(state, "w") as f:
        json.dump(keys503, f)


def reported():
    keys = json.load(open(os.environ["CAIRN_STATE"]))
    got = [h(INM, s3.put_object, Bucket=B, Key=k, Body=b"y") for k in keys]
    expect("once the manager reports the node down, the next owner decides: 412 on the keys "
           "written meanwhile", all(g == PRE for g in got), got)
    got = [h(INM, s3.put_object, Bucket=B, Key=k + "-new", Body=b"y") for k in keys]
    expect("... and 200 on new keys", all(g[0] == 200 for g in got), got)


phase = os.environ.get("CAIRN_PHASE", "main")
if phase == "main":
    main()
elif phase == "race":
    race(200, 2, "two")
    race(20, 8, "eight")
    race(50, 2, "versioned", "condv")  # the latest among versions, decided the same way
elif phase == "down":
    down()
elif phase == "reported":
    reported()
sys.exit(1 if s3check.FAILED else 0)
