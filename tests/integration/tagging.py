#!/usr/bin/python3
"""tests/integration/tagging.py: S3 tags (issue 16; run by test_tagging.sh against a whole
cluster, with Debian's boto3 1.26). Phases (CAIRN_PHASE):
  main           Put/Get/DeleteObjectTagging, x-amz-tagging on PutObject, CopyObject
                 (x-amz-tagging-directive) and CreateMultipartUpload, x-amz-tagging-count on
                 GET and HEAD, Put/Get/DeleteBucketTagging, S3's limits (InvalidTag),
                 MalformedXML, InvalidArgument, versionId, who may read and change tags, and
                 bucket policies with s3:ExistingObjectTag, s3:RequestObjectTag/<key> and
                 s3:RequestObjectTagKeys
  after-restart  the tags written in main, read through both gateways after every storage
                 node restarted (CAIRN_EP2: the second gateway)
Prints ok/FAIL lines. Environment: CAIRN_EP, CAIRN_EP2, CAIRN_AK/SK (alice), CAIRN_BOB_AK/SK,
CAIRN_PHASE.
"""
import json
import os
import sys
import time

import botocore

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3check  # noqa: E402
from s3check import bad, code_of, expect, expect_code, expect_error, raw_body, raw_headers  # noqa: E402

EP, EP2 = os.environ["CAIRN_EP"], os.environ.get("CAIRN_EP2", "")
B = "tagged"
PB = "tagpolicy"
BIG = 6 * 1024 * 1024 + 5  # past the 5 MiB chunk size: a manifest and its chunks

alice = s3check.client(EP, os.environ["CAIRN_AK"], os.environ["CAIRN_SK"])
bob = s3check.client(EP, os.environ["CAIRN_BOB_AK"], os.environ["CAIRN_BOB_SK"])


def tagset(d):
    return [{"Key": k, "Value": v} for k, v in d.items()]


def tags_of(client_, key, bucket=B):
    """The tags of an object as a dict, or the error code."""
    try:
        r = client_.get_object_tagging(Bucket=bucket, Key=key)
        return {t["Key"]: t["Value"] for t in r["TagSet"]}
    except botocore.exceptions.ClientError as e:
        return e.response.get("Error", {}).get("Code", "?")


def expect_tags(name, key, want, client_=alice, bucket=B):
    got = tags_of(client_, key, bucket)
    expect(name, got == want, "got %s, want %s" % (got, want))


def count_header(fn, **kw):
    """x-amz-tagging-count of a GET or HEAD ("" when absent)."""
    r = fn(**kw)
    return r["ResponseMetadata"]["HTTPHeaders"].get("x-amz-tagging-count", "")


def expect_count(name, key, want, bucket=B):
    h = count_header(alice.head_object, Bucket=bucket, Key=key)
    g = count_header(alice.get_object, Bucket=bucket, Key=key)
    expect(name, h == want and g == want, "HEAD %r GET %r, want %r" % (h, g, want))



def body_of(key, bucket=B):
    return alice.get_object(Bucket=bucket, Key=key)["Body"].read()


def with_query(client_, op, extra):
    """Appends extra to the query of the next request of op (what boto3 1.26 cannot send)."""
    def hook(request, **kw):
        request.url += ("&" if "?" in request.url else "?") + extra
        client_.meta.events.unregister("before-sign.s3." + op, hook)
    client_.meta.events.register("before-sign.s3." + op, hook)


# ---- object tags --------------------------------------------------------------------------

def object_tags():
    alice.put_object(Bucket=B, Key="small", Body=b"hello", Tagging="a=1&b=x%20y&e=")
    expect_tags("PutObject x-amz-tagging sets the tags", "small", {"a": "1", "b": "x y", "e": ""})
    expect_count("GET and HEAD carry x-amz-tagging-count", "small", "3")
    etag = alice.head_object(Bucket=B, Key="small")["ETag"]
    r = alice.put_object_tagging(Bucket=B, Key="small",
                                 Tagging={"TagSet": tagset({"k\u00e9y": "v\u00e4l", "n": "2"})})
    expect("PutObjectTagging answers 200", r["ResponseMetadata"]["HTTPStatusCode"] == 200)
    expect_tags("PutObjectTagging replaces the tags (UTF-8 kept)", "small",
                {"k\u00e9y": "v\u00e4l", "n": "2"})
    expect_count("the count follows (no stale cache)", "small", "2")
    head = alice.head_object(Bucket=B, Key="small")
    expect("the object's ETag and body are unchanged", head["ETag"] == etag and
           body_of("small") == b"hello", head["ETag"])
    r = alice.delete_object_tagging(Bucket=B, Key="small")
    expect("DeleteObjectTagging answers 204", r["ResponseMetadata"]["HTTPStatusCode"] == 204)
    expect_tags("no tags after DeleteObjectTagging", "small", {})
    expect_count("no x-amz-tagging-count without tags", "small", "")
    expect_code("DeleteObjectTagging of an untagged object: 204", alice.delete_object_tagging,
                204, Bucket=B, Key="small")
    alice.put_object(Bucket=B, Key="plain", Body=b"p")
    expect_tags("an object put without tags has none", "plain", {})
    ten = {"k%d" % i: "v" for i in range(10)}
    alice.put_object_tagging(Bucket=B, Key="plain", Tagging={"TagSet": tagset(ten)})
    expect_tags("10 tags are allowed", "plain", ten)
    alice.put_object_tagging(Bucket=B, Key="plain", Tagging={"TagSet": []})
    expect_tags("an empty TagSet removes them", "plain", {})
    allowed = "+-=._:/@ az AZ 09"
    alice.put_object_tagging(Bucket=B, Key="plain",
                             Tagging={"TagSet": tagset({allowed: allowed})})
    expect_tags("the characters S3 allows", "plain", {allowed: allowed})
    # large (chunked) objects keep their chunks
    big = os.urandom(BIG)
    alice.put_object(Bucket=B, Key="big", Body=big, Tagging="size=big")
    alice.put_object_tagging(Bucket=B, Key="big", Tagging={"TagSet": tagset({"size": "large"})})
    expect_tags("a chunked object's tags change", "big", {"size": "large"})
    expect("a chunked object's body is intact after tagging", body_of("big") == big)
    expect_count("a chunked object's count", "big", "1")
    # multipart: tags given at Create apply at Complete
    up = alice.create_multipart_upload(Bucket=B, Key="mp", Tagging="mp=yes&part=1")
    p1 = alice.upload_part(Bucket=B, Key="mp", UploadId=up["UploadId"], PartNumber=1,
                           Body=b"x" * (5 * 1024 * 1024))
    p2 = alice.upload_part(Bucket=B, Key="mp", UploadId=up["UploadId"], PartNumber=2, Body=b"y")
    alice.complete_multipart_upload(
        Bucket=B, Key="mp", UploadId=up["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": p1["ETag"]},
                                   {"PartNumber": 2, "ETag": p2["ETag"]}]})
    expect_tags("CreateMultipartUpload's tags are the object's at Complete", "mp",
                {"mp": "yes", "part": "1"})
    expect_count("a multipart object's count", "mp", "2")
    expect_error("CreateMultipartUpload with 11 tags: InvalidTag",
                 alice.create_multipart_upload, 400, "InvalidTag", Bucket=B, Key="mp2",
                 Tagging="&".join("k%d=v" % i for i in range(11)))


def copies():
    alice.put_object(Bucket=B, Key="src", Body=b"source", Tagging="from=src&n=1",
                     Metadata={"m": "1"})
    alice.copy_object(Bucket=B, Key="c-default", CopySource={"Bucket": B, "Key": "src"})
    expect_tags("CopyObject keeps the source's tags by default (COPY)", "c-default",
                {"from": "src", "n": "1"})
    alice.copy_object(Bucket=B, Key="c-copy", CopySource={"Bucket": B, "Key": "src"},
                      TaggingDirective="COPY", Tagging="ignored=1")
    expect_tags("COPY ignores x-amz-tagging", "c-copy", {"from": "src", "n": "1"})
    alice.copy_object(Bucket=B, Key="c-replace", CopySource={"Bucket": B, "Key": "src"},
                      TaggingDirective="REPLACE", Tagging="new=tag")
    expect_tags("REPLACE takes x-amz-tagging", "c-replace", {"new": "tag"})
    alice.copy_object(Bucket=B, Key="c-none", CopySource={"Bucket": B, "Key": "src"},
                      TaggingDirective="REPLACE")
    expect_tags("REPLACE without x-amz-tagging: no tags", "c-none", {})
    alice.copy_object(Bucket=B, Key="c-meta", CopySource={"Bucket": B, "Key": "src"},
                      MetadataDirective="REPLACE", Metadata={"m": "2"})
    expect_tags("metadata REPLACE still copies the tags", "c-meta", {"from": "src", "n": "1"})
    expect("metadata REPLACE took the new metadata",
           alice.head_object(Bucket=B, Key="c-meta")["Metadata"] == {"m": "2"})
    alice.copy_object(Bucket=B, Key="c-big", CopySource={"Bucket": B, "Key": "big"},
                      TaggingDirective="REPLACE", Tagging="copied=big")
    expect_tags("a chunked copy with REPLACE", "c-big", {"copied": "big"})
    raw_headers(alice, "CopyObject", {"x-amz-tagging-directive": "MERGE"})
    expect_error("an unknown x-amz-tagging-directive: InvalidArgument", alice.copy_object,
                 400, "InvalidArgument", Bucket=B, Key="c-bad",
                 CopySource={"Bucket": B, "Key": "src"})
    expect_error("REPLACE with an invalid tag: InvalidTag", alice.copy_object, 400,
                 "InvalidTag", Bucket=B, Key="c-bad", CopySource={"Bucket": B, "Key": "src"},
                 TaggingDirective="REPLACE", Tagging="aws:x=1")


def errors():
    put = alice.put_object_tagging
    cases = [
        ("11 tags", {"k%d" % i: "v" for i in range(11)},
         "Object tags cannot be greater than 10"),
        ("a 129-character key", {"k" * 129: "v"},
         "The TagKey you have provided is too long, max 128"),
        ("a 257-character value", {"k": "v" * 257},
         "The TagValue you have provided is too long, max 256"),
        ("an aws: key", {"aws:owner": "me"}, "Your TagKey cannot be prefixed with aws:"),
        ("a key with '#'", {"a#b": "v"}, "The TagKey you have provided is invalid"),
        ("a value with ','", {"k": "a,b"}, "The TagValue you have provided is invalid"),
    ]
    for what, tags, msg in cases:
        expect_error("PutObjectTagging with %s: InvalidTag" % what, put, 400, "InvalidTag", msg,
                     Bucket=B, Key="small", Tagging={"TagSet": tagset(tags)})
    expect_error("PutObjectTagging with a key twice: InvalidTag", put, 400, "InvalidTag",
                 "Cannot provide multiple Tags with the same key", Bucket=B, Key="small",
                 Tagging={"TagSet": [{"Key": "d", "Value": "1"}, {"Key": "d", "Value": "2"}]})
    ok128 = {"\u00e9" * 128: "\u00e4" * 256}
    put(Bucket=B, Key="small", Tagging={"TagSet": tagset(ok128)})
    expect_tags("128 and 256 characters (not bytes) are allowed", "small", ok128)
    for what, body in [("not XML", b"<Tagging><TagSet>"),
                       ("another root", b"<Tags><TagSet/></Tags>"),
                       ("a Tag without Value", b"<Tagging><TagSet><Tag><Key>a</Key></Tag>"
                        b"</TagSet></Tagging>"),
                       ("an empty body", b"")]:
        raw_body(alice, body, "PutObjectTagging")
        expect_error("PutObjectTagging with %s: MalformedXML" % what, put, 400, "MalformedXML",
                     Bucket=B, Key="small", Tagging={"TagSet": []})
    expect_tags("a refused PutObjectTagging leaves the tags", "small", ok128)
    expect_error("PutObject with 11 tags: InvalidTag", alice.put_object, 400, "InvalidTag",
                 Bucket=B, Key="never", Body=b"x",
                 Tagging="&".join("k%d=v" % i for i in range(11)))
    expect_error("PutObject with a duplicate key: InvalidTag", alice.put_object, 400,
                 "InvalidTag", Bucket=B, Key="never", Body=b"x", Tagging="a=1&a=2")
    expect_error("PutObject with a bad escape: InvalidArgument", alice.put_object, 400,
                 "InvalidArgument", Bucket=B, Key="never", Body=b"x", Tagging="a=%zz")
    expect_code("a refused PutObject wrote nothing", alice.head_object, 404, Bucket=B,
                Key="never")
    for fn, name in [(alice.get_object_tagging, "Get"), (alice.delete_object_tagging, "Delete")]:
        expect_error("%sObjectTagging of a missing key: NoSuchKey" % name, fn, 404, "NoSuchKey",
                     Bucket=B, Key="missing")
    expect_error("PutObjectTagging of a missing key: NoSuchKey", put, 404, "NoSuchKey",
                 Bucket=B, Key="missing", Tagging={"TagSet": tagset({"a": "1"})})
    expect_error("PutObjectTagging in a missing bucket: NoSuchBucket", put, 404, "NoSuchBucket",
                 Bucket="no-such-bucket-tags", Key="k", Tagging={"TagSet": []})
    # versionId: null is the object itself; an ID not of ours is InvalidArgument (versions'
    # tags: test_versioning.sh)
    r = alice.get_object_tagging(Bucket=B, Key="c-replace", VersionId="null")
    expect("GetObjectTagging versionId=null is the object",
           r["TagSet"] == [{"Key": "new", "Value": "tag"}], r["TagSet"])
    alice.put_object_tagging(Bucket=B, Key="c-replace", VersionId="null",
                             Tagging={"TagSet": tagset({"v": "null"})})
    expect_tags("PutObjectTagging versionId=null tags the object", "c-replace", {"v": "null"})
    for fn, name, kw in [(alice.get_object_tagging, "Get", {}),
                         (alice.put_object_tagging, "Put", {"Tagging": {"TagSet": []}}),
                         (alice.delete_object_tagging, "Delete", {})]:
        expect_error("%sObjectTagging of a version id not of ours: InvalidArgument" % name, fn,
                     400, "InvalidArgument", Bucket=B, Key="c-replace", VersionId="v1", **kw)
    expect_tags("no wrong success: the tags are unchanged", "c-replace", {"v": "null"})


def bucket_tags():
    expect_error("GetBucketTagging without tags: NoSuchTagSet", alice.get_bucket_tagging, 404,
                 "NoSuchTagSet", Bucket=B)
    r = alice.put_bucket_tagging(Bucket=B, Tagging={"TagSet": tagset({"team": "a", "env": "t"})})
    expect("PutBucketTagging answers 204", r["ResponseMetadata"]["HTTPStatusCode"] == 204)
    r = alice.get_bucket_tagging(Bucket=B)
    expect("GetBucketTagging answers the TagSet in order",
           r["TagSet"] == tagset({"team": "a", "env": "t"}), r["TagSet"])
    fifty = {"k%02d" % i: "v" for i in range(50)}
    alice.put_bucket_tagging(Bucket=B, Tagging={"TagSet": tagset(fifty)})
    got = {t["Key"]: t["Value"] for t in alice.get_bucket_tagging(Bucket=B)["TagSet"]}
    expect("a bucket takes 50 tags", got == fifty, len(got))
    expect_error("51 bucket tags: InvalidTag", alice.put_bucket_tagging, 400, "InvalidTag",
                 Bucket=B, Tagging={"TagSet": tagset(dict(fifty, k50="v"))})
    expect_error("a bucket tag with an aws: key: InvalidTag", alice.put_bucket_tagging, 400,
                 "InvalidTag", Bucket=B, Tagging={"TagSet": tagset({"aws:x": "1"})})
    raw_body(alice, b"<Tagging/>", "PutBucketTagging")
    expect_error("PutBucketTagging without TagSet: MalformedXML", alice.put_bucket_tagging, 400,
                 "MalformedXML", Bucket=B, Tagging={"TagSet": []})
    expect_error("bob may not read alice's bucket tags", bob.get_bucket_tagging, 403,
                 "AccessDenied", Bucket=B)
    expect_error("bob may not change them", bob.put_bucket_tagging, 403, "AccessDenied",
                 Bucket=B, Tagging={"TagSet": []})
    expect_error("bob may not delete them", bob.delete_bucket_tagging, 403, "AccessDenied",
                 Bucket=B)
    r = alice.delete_bucket_tagging(Bucket=B)
    expect("DeleteBucketTagging answers 204", r["ResponseMetadata"]["HTTPStatusCode"] == 204)
    expect_error("GetBucketTagging after the delete: NoSuchTagSet", alice.get_bucket_tagging,
                 404, "NoSuchTagSet", Bucket=B)
    alice.put_bucket_tagging(Bucket=B, Tagging={"TagSet": tagset({"kept": "yes"})})


def acl_access():
    expect_error("bob may not read tags of alice's private object", bob.get_object_tagging, 403,
                 "AccessDenied", Bucket=B, Key="src")
    expect_error("bob may not tag alice's object", bob.put_object_tagging, 403, "AccessDenied",
                 Bucket=B, Key="src", Tagging={"TagSet": []})
    expect_error("bob may not delete its tags", bob.delete_object_tagging, 403, "AccessDenied",
                 Bucket=B, Key="src")
    alice.put_object(Bucket=B, Key="pubread", Body=b"x", ACL="public-read", Tagging="t=1")
    expect_error("READ does not give the tags (READ_ACP does)", bob.get_object_tagging, 403,
                 "AccessDenied", Bucket=B, Key="pubread")
    expect_tags("the tags are unchanged by refused requests", "src", {"from": "src", "n": "1"})


def put_policy(stmts):
    alice.put_bucket_policy(Bucket=PB, Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": stmts}))
    time.sleep(0.3)  # the gateway answers once it holds the new table; be safe with others


def policies():
    arn = "arn:aws:s3:::" + PB
    alice.create_bucket(Bucket=PB)
    alice.put_object(Bucket=PB, Key="public", Body=b"pub", Tagging="public=yes")
    alice.put_object(Bucket=PB, Key="private", Body=b"priv", Tagging="public=no")
    alice.put_object(Bucket=PB, Key="untagged", Body=b"u")
    alice.put_object(Bucket=PB, Key="secret", Body=b"s", Tagging="secret=yes")
    put_policy([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": arn + "/*",
                 "Condition": {"StringEquals": {"s3:ExistingObjectTag/public": "yes"}}}])
    expect_code("ExistingObjectTag allows bob a tagged object", bob.get_object, 200, Bucket=PB,
                Key="public")
    expect_code("... and HEAD", bob.head_object, 200, Bucket=PB, Key="public")
    expect_code("... not one tagged otherwise", bob.get_object, 403, Bucket=PB, Key="private")
    expect_code("... nor an untagged one", bob.get_object, 403, Bucket=PB, Key="untagged")
    expect_code("... and anonymous alike", s3check.client(EP).get_object, 200, Bucket=PB,
                Key="public")
    alice.put_object_tagging(Bucket=PB, Key="private", Tagging={"TagSet": tagset({"public":
                                                                                 "yes"})})
    expect_code("retagging changes the decision at once", bob.get_object, 200, Bucket=PB,
                Key="private")
    alice.put_object_tagging(Bucket=PB, Key="private", Tagging={"TagSet": tagset({"public":
                                                                                 "no"})})
    expect_code("... both ways", bob.get_object, 403, Bucket=PB, Key="private")
    bob.create_bucket(Bucket="bobtags")
    expect_code("bob may copy a source its tags let him read", bob.copy_object, 200,
                Bucket="bobtags", Key="copy", CopySource={"Bucket": PB, "Key": "public"})
    expect_tags("... and the copy has the source's tags", "copy", {"public": "yes"}, bob,
                "bobtags")
    expect_code("... not one they do not", bob.copy_object, 403, Bucket="bobtags",
                Key="copy2", CopySource={"Bucket": PB, "Key": "private"})
    # a Deny on tags: decided with them where they are read, closed where they are not
    put_policy([{"Effect": "Deny", "Principal": "*", "Action": ["s3:GetObject", "s3:PutObject"],
                 "Resource": arn + "/*",
                 "Condition": {"StringEquals": {"s3:ExistingObjectTag/secret": "yes"}}}])
    expect_code("a Deny on ExistingObjectTag refuses even the owner", alice.get_object, 403,
                Bucket=PB, Key="secret")
    expect_code("... only objects with that tag", alice.get_object, 200, Bucket=PB,
                Key="public")
    expect_code("PutObject cannot know the tags it replaces: the Deny applies (fail closed)",
                alice.put_object, 403, Bucket=PB, Key="public", Body=b"new")
    expect("... and the object is unchanged", body_of("public", PB) == b"pub")
    # s3:RequestObjectTag and s3:RequestObjectTagKeys on PUT; the tagging actions
    put_policy([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:PutObject",
                 "Resource": arn + "/bob/*",
                 "Condition": {"StringEquals": {"s3:RequestObjectTag/team": "blue"},
                               "ForAllValues:StringEquals": {
                                   "s3:RequestObjectTagKeys": ["team", "env"]}}},
                {"Effect": "Allow", "Principal": {"AWS": "*"},
                 "Action": ["s3:PutObjectTagging", "s3:GetObjectTagging"],
                 "Resource": arn + "/untagged"}])
    expect_code("RequestObjectTag allows bob's PUT with team=blue", bob.put_object, 200,
                Bucket=PB, Key="bob/a", Body=b"a", Tagging="team=blue&env=dev")
    expect_code("... not with team=red", bob.put_object, 403, Bucket=PB, Key="bob/b", Body=b"b",
                Tagging="team=red")
    expect_code("... nor without tags", bob.put_object, 403, Bucket=PB, Key="bob/c", Body=b"c")
    expect_code("RequestObjectTagKeys refuses another key", bob.put_object, 403, Bucket=PB,
                Key="bob/d", Body=b"d", Tagging="team=blue&other=1")
    expect_code("a policy gives bob s3:PutObjectTagging", bob.put_object_tagging, 200,
                Bucket=PB, Key="untagged", Tagging={"TagSet": tagset({"by": "bob"})})
    expect_tags("... and s3:GetObjectTagging", "untagged", {"by": "bob"}, bob, PB)
    expect_code("... not s3:DeleteObjectTagging", bob.delete_object_tagging, 403, Bucket=PB,
                Key="untagged")
    put_policy([{"Effect": "Allow", "Principal": {"AWS": "*"},
                 "Action": ["s3:GetBucketTagging", "s3:PutBucketTagging"],
                 "Resource": arn}])
    expect_code("a policy gives bob s3:PutBucketTagging", bob.put_bucket_tagging, 204,
                Bucket=PB, Tagging={"TagSet": tagset({"by": "bob"})})
    r = bob.get_bucket_tagging(Bucket=PB)
    expect("... and s3:GetBucketTagging", r["TagSet"] == tagset({"by": "bob"}), r["TagSet"])
    alice.delete_bucket_policy(Bucket=PB)


def after_restart():
    for ep, name in [(EP, "gateway"), (EP2, "second gateway")]:
        if not ep:
            continue
        c = s3check.client(ep, os.environ["CAIRN_AK"], os.environ["CAIRN_SK"])
        expect_tags("%s: an object's tags after the restarts" % name, "mp",
                    {"mp": "yes", "part": "1"}, c)
        expect_tags("%s: a chunked object's tags" % name, "big", {"size": "large"}, c)
        expect_tags("%s: a copy's tags" % name, "c-default", {"from": "src", "n": "1"}, c)
        h = count_header(c.head_object, Bucket=B, Key="c-meta")
        expect("%s: x-amz-tagging-count" % name, h == "2", h)
        r = c.get_bucket_tagging(Bucket=B)
        expect("%s: the bucket's tags" % name, r["TagSet"] == tagset({"kept": "yes"}),
               r["TagSet"])
    if EP2:
        c2 = s3check.client(EP2, os.environ["CAIRN_AK"], os.environ["CAIRN_SK"])
        c2.put_object_tagging(Bucket=B, Key="mp", Tagging={"TagSet": tagset({"via": "two"})})
        expect_tags("tags written through one gateway are read through the other", "mp",
                    {"via": "two"})


def main():
    phase = os.environ.get("CAIRN_PHASE", "main")
    if phase == "main":
        alice.create_bucket(Bucket=B)
        for step in (object_tags, copies, errors, bucket_tags, acl_access, policies):
            try:
                step()
            except Exception as e:  # a step that breaks is one FAIL, the others still run
                bad("%s raised" % step.__name__, repr(e))
    else:
        after_restart()
    sys.exit(1 if s3check.FAILED else 0)


if __name__ == "__main__":
    main()
