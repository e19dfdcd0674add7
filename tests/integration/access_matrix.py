#!/usr/bin/python3
"""tests/integration/access_matrix.py: who may do what to an object, as S3 answers it
(issue 12; run by test_access_matrix.sh against a whole cluster).

For every bucket canned ACL x object canned ACL x requester (the owner "alice", another user
"bob", anonymous) x operation (GET, HEAD, PUT over it, GET its ACL, list the bucket, copy from
it) the answer must be what S3 gives:
  - the bucket's grants decide listing (READ) and writing objects (WRITE);
  - the object's grants alone decide reading it; its ACL is read by its owner only (no
    canned ACL grants READ_ACP to anyone else);
  - a copy is private and owned by the requester unless the request sets an ACL.
Two passes: cold, and warm (the owner reads each object first, so the other requesters hit
the gateway's cache; the pass checks that they did). boto3 signs for the two users, curl
sends the anonymous requests. Prints ok/FAIL lines.
Environment: CAIRN_EP, CAIRN_AK/SK (alice), CAIRN_BOB_AK/SK, CAIRN_ALICE_ID, CAIRN_BOB_ID.
"""
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import boto3
import botocore
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3check  # noqa: E402
from s3check import bad, expect  # noqa: E402

EP = os.environ["CAIRN_EP"]
ALICE_ID, BOB_ID = os.environ["CAIRN_ALICE_ID"], os.environ["CAIRN_BOB_ID"]
ACLS = ["private", "public-read", "public-read-write", "authenticated-read"]
BODY = b"the object's bytes"
def client(ak, sk):
    return boto3.client("s3", endpoint_url=EP, aws_access_key_id=ak, aws_secret_access_key=sk,
                        region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"},
                                      retries={"max_attempts": 1}))


alice = client(os.environ["CAIRN_AK"], os.environ["CAIRN_SK"])
bob = client(os.environ["CAIRN_BOB_AK"], os.environ["CAIRN_BOB_SK"])


class Answer:
    def __init__(self, status, code="", body=b"", headers=None):
        self.status, self.code, self.body = status, code, body
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}


def boto_call(fn, **kw):
    """Runs a boto3 call; the status, the S3 error code and the parsed answer."""
    try:
        r = fn(**kw)
        meta = r.get("ResponseMetadata", {})
        body = r["Body"].read() if "Body" in r else r
        return Answer(meta.get("HTTPStatusCode", 200), "", body, meta.get("HTTPHeaders"))
    except botocore.exceptions.ClientError as e:
        meta = e.response["ResponseMetadata"]
        return Answer(meta["HTTPStatusCode"], e.response["Error"].get("Code", ""), b"",
                      meta.get("HTTPHeaders"))


def curl(method, path, headers=(), data=None):
    """An anonymous request: status, error code (from the XML body) and body."""
    cmd = ["curl", "-s", "-S", "-X", method, "-D", "-", "-o", "/dev/stdout",
           "--max-time", "20", EP + path]
    if method == "HEAD":
        cmd[cmd.index("-X"):cmd.index("-X") + 2] = ["-I"]
    for h in headers:
        cmd += ["-H", h]
    if data is not None:
        cmd += ["--data-binary", "@-"]
    out = subprocess.run(cmd, input=data, capture_output=True).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return Answer(0, "no answer", out)
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.decode("latin-1").partition(":")
        hdrs[k.strip()] = v.strip()
    code = ""
    if status >= 300 and body.startswith(b"<?xml"):
        try:
            code = ET.fromstring(body).findtext("Code") or ""
        except ET.ParseError:
            code = "unparsable"
    return Answer(status, code, body, hdrs)


# ---- the expected answers (S3's canned ACLs: docs.aws.amazon.com, "Canned ACL") ----------

def may_read_object(obj_acl, who):
    if who == "owner":
        return True
    if obj_acl in ("public-read", "public-read-write"):
        return True
    return obj_acl == "authenticated-read" and who == "other"


def may_list(bucket_acl, who):
    return may_read_object(bucket_acl, who)


def may_write_into(bucket_acl, who):
    return who == "owner" or bucket_acl == "public-read-write"


def grants_of(acl):
    """(owner id, sorted grants as (grantee, permission)) of GetObjectAcl's answer as boto3
    parsed it, or (None, []) for an error."""
    if not isinstance(acl, dict):
        return None, []
    owner = acl.get("Owner", {}).get("ID")
    grants = [(g["Grantee"].get("ID") or g["Grantee"].get("URI"), g["Permission"])
              for g in acl.get("Grants", [])]
    return owner, sorted(grants)


def canned_grants(owner, acl):
    all_users = "http://acs.amazonaws.com/groups/global/AllUsers"
    auth_users = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
    g = [(owner, "FULL_CONTROL")]
    if acl in ("public-read", "public-read-write"):
        g.append((all_users, "READ"))
    if acl == "public-read-write":
        g.append((all_users, "WRITE"))
    if acl == "authenticated-read":
        g.append((auth_users, "READ"))
    return sorted(g)


# ---- the requests, one function per (requester kind, operation) -------------------------

DEST = {"owner": "mx-dst-alice", "other": "mx-dst-bob", "anon": "mx-dst-open"}


def do(who, op, bucket, key, copy_key=None):
    c = {"owner": alice, "other": bob}.get(who)
    if c is not None:
        if op == "get":
            return boto_call(c.get_object, Bucket=bucket, Key=key)
        if op == "head":
            return boto_call(c.head_object, Bucket=bucket, Key=key)
        if op == "put":
            return boto_call(c.put_object, Bucket=bucket, Key=key, Body=b"overwritten")
        if op == "getacl":
            return boto_call(c.get_object_acl, Bucket=bucket, Key=key)
        if op == "list":
            return boto_call(c.list_objects_v2, Bucket=bucket)
        if op == "copy":
            return boto_call(c.copy_object, Bucket=DEST[who], Key=copy_key,
                             CopySource={"Bucket": bucket, "Key": key})
    if op == "get":
        return curl("GET", "/%s/%s" % (bucket, key))
    if op == "head":
        return curl("HEAD", "/%s/%s" % (bucket, key))
    if op == "put":
        return curl("PUT", "/%s/%s" % (bucket, key), data=b"overwritten")
    if op == "getacl":
        return curl("GET", "/%s/%s?acl" % (bucket, key))
    if op == "list":
        return curl("GET", "/%s?list-type=2" % bucket)
    if op == "copy":
        return curl("PUT", "/%s/%s" % (DEST[who], copy_key),
                    headers=["x-amz-copy-source: /%s/%s" % (bucket, key)], data=b"")
    raise ValueError(op)


def acl_of(c, bucket, key):
    """GetObjectAcl as boto3 parsed it (a dict), or the error's Answer."""
    return boto_call(c.get_object_acl, Bucket=bucket, Key=key).body


def expected(op, bucket_acl, obj_acl, who):
    if op in ("get", "head", "copy"):
        return may_read_object(obj_acl, who)
    if op == "put":
        return may_write_into(bucket_acl, who)
    if op == "getacl":
        return who == "owner"
    if op == "list":
        return may_list(bucket_acl, who)
    raise ValueError(op)


def setup():
    for b in ACLS:
        boto_call(alice.create_bucket, Bucket="mx-" + b, ACL=b)
    boto_call(alice.create_bucket, Bucket="mx-dst-alice")
    boto_call(alice.create_bucket, Bucket="mx-dst-open", ACL="public-read-write")
    boto_call(bob.create_bucket, Bucket="mx-dst-bob")
    for b in ACLS:
        r = boto_call(alice.get_bucket_acl, Bucket="mx-" + b)
        expect("setup: bucket mx-%s exists with its ACL" % b, r.status == 200, r.code)


def fresh_object(bucket, key, obj_acl):
    r = boto_call(alice.put_object, Bucket=bucket, Key=key, Body=BODY, ACL=obj_acl)
    if r.status != 200:
        bad("setup: alice puts %s/%s with ACL %s" % (bucket, key, obj_acl), (r.status, r.code))


OPS = ["get", "head", "getacl", "list", "copy", "put"]  # put last: it replaces the object


def run_pass(warm):
    label = "warm" if warm else "cold"
    hits = 0
    n = 0
    for bucket_acl in ACLS:
        bucket = "mx-" + bucket_acl
        for obj_acl in ACLS:
            key = "obj-" + obj_acl
            for who in ("anon", "other", "owner"):
                fresh_object(bucket, key, obj_acl)
                if warm:
                    # read until a hit: the fill of the first GET may lose a race with the
                    # cache's validation or the manager's feed (other writers' keys)
                    for _ in range(20):
                        w = boto_call(alice.get_object, Bucket=bucket, Key=key)
                        if w.headers.get("x-cairn-cache") == "hit":
                            break
                        time.sleep(0.1)
                    else:
                        bad("%s: alice's GETs of %s/%s become cache hits" %
                            (label, bucket, key), w.headers)
                for op in OPS:
                    n += 1
                    copy_key = "copy-%s-%s-%s-%s" % (label, bucket_acl, obj_acl, who)
                    a = do(who, op, bucket, key, copy_key)
                    allow = expected(op, bucket_acl, obj_acl, who)
                    name = "%s: bucket %s, object %s, %s %s -> %s" % (
                        label, bucket_acl, obj_acl, who, op, "allowed" if allow else "403")
                    if allow:
                        good = a.status == 200
                    else:
                        good = a.status == 403 and (op == "head" or a.code == "AccessDenied")
                    if good and allow and op == "get":
                        good = a.body == BODY
                        hits += warm and who != "owner" and a.headers.get("x-cairn-cache") == "hit"
                    if good and allow and op == "getacl":
                        owner, grants = grants_of(a.body)
                        good = owner == ALICE_ID and grants == canned_grants(ALICE_ID, obj_acl)
                        if not good:
                            a.code = "owner %s grants %s" % (owner, grants)
                    if good and allow and op == "copy" and who != "anon":
                        # the copy is private and owned by the requester, whatever the source
                        me = {"owner": ALICE_ID, "other": BOB_ID}[who]
                        c = {"owner": alice, "other": bob}[who]
                        owner, grants = grants_of(acl_of(c, DEST[who], copy_key))
                        good = owner == me and grants == [(me, "FULL_CONTROL")]
                        if not good:
                            a.code = "copy owner %s grants %s" % (owner, grants)
                    if good and allow and op == "copy" and who == "anon":
                        a2 = curl("GET", "/%s/%s" % (DEST[who], copy_key))
                        good = a2.status == 403
                        if not good:
                            a.code = "anonymous copy is readable anonymously: %d" % a2.status
                    expect(name, good, (a.status, a.code))
    if warm:
        expect("warm: other requesters' allowed GETs were served from the cache (%d)" % hits,
               hits > 0)
    return n


def extra_checks():
    # the issue's own reproduction
    boto_call(alice.create_bucket, Bucket="pub")
    boto_call(alice.put_bucket_acl, Bucket="pub", ACL="public-read")
    boto_call(alice.put_object, Bucket="pub", Key="secret", Body=b"secret")
    boto_call(alice.put_object_acl, Bucket="pub", Key="secret", ACL="private")
    a = curl("GET", "/pub/secret")
    expect("the issue's reproduction: anonymous GET of a private object in a public-read "
           "bucket is 403", a.status == 403 and a.code == "AccessDenied", (a.status, a.body[:200]))
    a = boto_call(bob.get_object, Bucket="pub", Key="secret")
    expect("... and another user's GET is 403", a.status == 403, (a.status, a.code))
    # a private object copied by its owner into a public bucket stays private
    boto_call(alice.put_object, Bucket="mx-dst-alice", Key="private-src", Body=b"mine")
    a = boto_call(alice.copy_object, Bucket="pub", Key="copied",
                  CopySource={"Bucket": "mx-dst-alice", "Key": "private-src"})
    expect("owner copies a private object into a public-read bucket", a.status == 200, a.code)
    a = curl("GET", "/pub/copied")
    expect("... and the copy is not readable anonymously", a.status == 403, a.status)
    a = boto_call(alice.copy_object, Bucket="pub", Key="copied-open", ACL="public-read",
                  CopySource={"Bucket": "mx-dst-alice", "Key": "private-src"})
    a = curl("GET", "/pub/copied-open")
    expect("a copy with x-amz-acl public-read is readable anonymously",
           a.status == 200 and a.body == b"mine", a.status)
    # a missing key: 404 to whoever may list the bucket, 403 to anyone else
    a = curl("GET", "/pub/nothing-here")
    expect("anonymous GET of a missing key in a public-read bucket: 404 NoSuchKey",
           a.status == 404 and a.code == "NoSuchKey", (a.status, a.code))
    a = curl("GET", "/mx-private/nothing-here")
    expect("anonymous GET of a missing key in a private bucket: 403", a.status == 403, a.status)
    a = boto_call(bob.get_object, Bucket="mx-private", Key="nothing-here")
    expect("another user's GET of a missing key in a private bucket: 403", a.status == 403,
           (a.status, a.code))
    # an object written into a public-read-write bucket by bob belongs to bob
    a = boto_call(bob.put_object, Bucket="mx-public-read-write", Key="bobs", Body=b"bob's")
    expect("bob writes into alice's public-read-write bucket", a.status == 200, a.code)
    owner, grants = grants_of(acl_of(bob, "mx-public-read-write", "bobs"))
    expect("... and owns the object (GetObjectAcl by bob shows bob)", owner == BOB_ID,
           (owner, grants))
    a = boto_call(alice.get_object, Bucket="mx-public-read-write", Key="bobs")
    expect("... and alice, the bucket owner, may not read bob's private object",
           a.status == 403, (a.status, a.code))
    a = boto_call(alice.delete_object, Bucket="mx-public-read-write", Key="bobs")
    expect("... but may delete it (bucket WRITE)", a.status == 204, (a.status, a.code))
    # upload-part-copy reads its source like a copy
    up = alice.create_multipart_upload(Bucket="mx-dst-alice", Key="mpu")["UploadId"]
    a = boto_call(alice.upload_part_copy, Bucket="mx-dst-alice", Key="mpu", UploadId=up,
                  PartNumber=1, CopySource={"Bucket": "mx-public-read-write", "Key": "bobs2"})
    expect("upload-part-copy of a missing key alice may list: 404", a.status == 404, a.code)
    boto_call(bob.put_object, Bucket="mx-public-read-write", Key="bobs2", Body=b"bob's")
    a = boto_call(alice.upload_part_copy, Bucket="mx-dst-alice", Key="mpu", UploadId=up,
                  PartNumber=1, CopySource={"Bucket": "mx-public-read-write", "Key": "bobs2"})
    expect("upload-part-copy from bob's private object by alice: 403", a.status == 403,
           (a.status, a.code))
    boto_call(bob.put_object_acl, Bucket="mx-public-read-write", Key="bobs2", ACL="public-read")
    a = boto_call(alice.upload_part_copy, Bucket="mx-dst-alice", Key="mpu", UploadId=up,
                  PartNumber=1, CopySource={"Bucket": "mx-public-read-write", "Key": "bobs2"})
    expect("... allowed once bob makes it public-read", a.status == 200, (a.status, a.code))
    boto_call(alice.abort_multipart_upload, Bucket="mx-dst-alice", Key="mpu", UploadId=up)
    # x-amz-expected-bucket-owner: the owner's canonical id, else 403 (the bucket owner check)
    a = boto_call(alice.get_object, Bucket="pub", Key="secret", ExpectedBucketOwner=ALICE_ID)
    expect("GET with the right ExpectedBucketOwner: 200", a.status == 200, (a.status, a.code))
    a = boto_call(alice.get_object, Bucket="pub", Key="secret", ExpectedBucketOwner=BOB_ID)
    expect("GET with another ExpectedBucketOwner: 403", a.status == 403, (a.status, a.code))
    a = boto_call(alice.put_object, Bucket="pub", Key="eo", Body=b"x",
                  ExpectedBucketOwner=BOB_ID)
    expect("PUT with another ExpectedBucketOwner: 403, nothing stored",
           a.status == 403 and boto_call(alice.head_object, Bucket="pub", Key="eo").status == 404,
           (a.status, a.code))
    a = boto_call(alice.copy_object, Bucket="mx-dst-alice", Key="eo-copy",
                  CopySource={"Bucket": "pub", "Key": "secret"}, ExpectedSourceBucketOwner=BOB_ID)
    expect("CopyObject with another ExpectedSourceBucketOwner: 403", a.status == 403,
           (a.status, a.code))
    # presigned URLs carry the signer's rights, no more
    url = bob.generate_presigned_url("get_object", Params={"Bucket": "pub", "Key": "secret"})
    st = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url],
                        capture_output=True).stdout
    expect("bob's presigned GET of alice's private object: 403", st == b"403", st)


def main():
    setup()
    n = run_pass(False) + run_pass(True)
    print("(%d matrix cells)" % n)
    extra_checks()
    return 1 if s3check.FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
