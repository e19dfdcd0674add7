#!/usr/bin/env python3
"""s3-compat-tests/lifecycle.py: a bucket's lifecycle configuration through boto3 (issue 18).

Usage (run by lifecycle.sh): S3_ENDPOINT=... AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...
    python3 lifecycle.py BUCKET

put/get/delete_bucket_lifecycle_configuration round trip (V2 filters of every kind, a V1
rule's Prefix, a rule without ID given one, Date, ExpiredObjectDeleteMarker,
NoncurrentVersionExpiration with NewerNoncurrentVersions, AbortIncompleteMultipartUpload);
S3's validation errors with their messages; NotImplemented for transitions; Content-MD5
required; MalformedXML for a bad body; and the x-amz-expiration header (boto3's Expiration)
on HEAD, GET, PUT and CopyObject of a matching object, none on others. The gateway's
lifecycle day is S3's (86400 s). Prints "ok"/"FAIL" lines; exits 1 on any failure.
"""
import base64
import datetime
import email.utils
import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import s3check  # noqa: E402
from s3check import expect, expect_error  # noqa: E402

EP = os.environ["S3_ENDPOINT"]
B = sys.argv[1] if len(sys.argv) > 1 else "compat-lifecycle"
s3 = s3check.client(EP, os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
DAY = 86400
UTC = datetime.timezone.utc


def expect_eq(name, want, got):
    expect(name, want == got, "want: %r got: %r" % (want, got))


def put_lc(rules):
    return s3.put_bucket_lifecycle_configuration(Bucket=B,
                                                 LifecycleConfiguration={"Rules": rules})


def raw_lc(body, md5=True):
    """The next PutBucketLifecycleConfiguration sends body, with its Content-MD5 or none."""
    def hook(request, **kw):
        request.data = body
        request.headers["Content-Length"] = str(len(body))
        if "Content-MD5" in request.headers:
            del request.headers["Content-MD5"]
        if md5:
            request.headers["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode()
        s3.meta.events.unregister("before-sign.s3.PutBucketLifecycleConfiguration", hook)
    s3.meta.events.register("before-sign.s3.PutBucketLifecycleConfiguration", hook)


def expiry(mtime, days):
    """S3's expiry of an object written at mtime (datetime) by a Days rule: its HTTP date."""
    t = int(mtime.timestamp()) + days * DAY
    t = -(-t // DAY) * DAY
    return email.utils.formatdate(t, usegmt=True)


RULES = [
    {"ID": "expire-logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
     "Expiration": {"Days": 3}},
    {"ID": "tagged-big", "Status": "Enabled",
     "Filter": {"And": {"Prefix": "t/", "Tags": [{"Key": "class", "Value": "tmp"}],
                        "ObjectSizeGreaterThan": 2, "ObjectSizeLessThan": 1000}},
     "Expiration": {"Days": 1}},
    {"ID": "old-versions", "Status": "Enabled", "Filter": {"Prefix": "v/"},
     "NoncurrentVersionExpiration": {"NoncurrentDays": 5, "NewerNoncurrentVersions": 2}},
    {"ID": "dated", "Status": "Enabled", "Filter": {"Prefix": "dated/"},
     "Expiration": {"Date": datetime.datetime(2031, 1, 1, tzinfo=UTC)}},
    {"ID": "markers", "Status": "Enabled", "Filter": {"Prefix": ""},
     "Expiration": {"ExpiredObjectDeleteMarker": True},
     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}},
    {"ID": "off", "Status": "Disabled", "Filter": {"Tag": {"Key": "k", "Value": "v"}},
     "Expiration": {"Days": 1}},
    {"Status": "Enabled", "Filter": {"ObjectSizeGreaterThan": 1 << 40},
     "Expiration": {"Days": 10}},
]


def round_trip():
    expect_error("get without a configuration: 404 NoSuchLifecycleConfiguration",
                 s3.get_bucket_lifecycle_configuration, 404, "NoSuchLifecycleConfiguration",
                 Bucket=B)
    r = put_lc(RULES)
    expect_eq("put_bucket_lifecycle_configuration: 200", 200,
              r["ResponseMetadata"]["HTTPStatusCode"])
    got = s3.get_bucket_lifecycle_configuration(Bucket=B)["Rules"]
    expect_eq("get: the 7 rules, in order", [x.get("ID") for x in RULES[:6]],
              [x["ID"] for x in got[:6]])
    expect("get: a rule sent without ID got one", len(got) == 7 and len(got[6]["ID"]) > 0,
           got[-1:])
    for want, have in zip(RULES, got):
        for k in ("Status", "Filter", "Expiration", "NoncurrentVersionExpiration",
                  "AbortIncompleteMultipartUpload"):
            if k in want:
                expect_eq("get: rule %s's %s as put" % (have["ID"][:12], k), want[k],
                          have.get(k))
    # a V1 configuration: the rule's own Prefix
    put_lc([{"ID": "v1", "Prefix": "old/", "Status": "Enabled", "Expiration": {"Days": 2}}])
    got = s3.get_bucket_lifecycle_configuration(Bucket=B)["Rules"]
    expect_eq("V1: the rule's Prefix comes back", [("v1", "old/")],
              [(x["ID"], x.get("Prefix")) for x in got])
    r = s3.delete_bucket_lifecycle(Bucket=B)
    expect_eq("delete_bucket_lifecycle: 204", 204, r["ResponseMetadata"]["HTTPStatusCode"])
    expect_error("get after the delete: 404", s3.get_bucket_lifecycle_configuration, 404,
                 "NoSuchLifecycleConfiguration", Bucket=B)
    r = s3.delete_bucket_lifecycle(Bucket=B)
    expect_eq("delete again: 204", 204, r["ResponseMetadata"]["HTTPStatusCode"])


def rule(**kw):
    base = {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": ""}}
    base.update(kw)
    return base


EXP1 = {"Expiration": {"Days": 1}}
INVALID = [
    ("Days 0", [rule(Expiration={"Days": 0})], 400, "InvalidArgument",
     "'Days' for Expiration action must be a positive integer"),
    ("Days -5", [rule(Expiration={"Days": -5})], 400, "InvalidArgument",
     "'Days' for Expiration action must be a positive integer"),
    ("a Date not at midnight",
     [rule(Expiration={"Date": datetime.datetime(2031, 1, 1, 10, tzinfo=UTC)})], 400,
     "InvalidArgument", "'Date' must be at midnight GMT"),
    ("the same ID twice", [rule(**EXP1), rule(**EXP1)], 400, "InvalidArgument",
     "Rule ID must be unique. Found same ID for more than one rule"),
    ("an ID of 256 characters", [rule(ID="x" * 256, **EXP1)], 400, "InvalidArgument",
     "ID length should not exceed allowed limit of 255"),
    ("NoncurrentDays 0", [rule(NoncurrentVersionExpiration={"NoncurrentDays": 0})], 400,
     "InvalidArgument",
     "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"),
    ("DaysAfterInitiation 0",
     [rule(AbortIncompleteMultipartUpload={"DaysAfterInitiation": 0})], 400,
     "InvalidArgument",
     "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive "
     "integer"),
    ("AbortIncompleteMultipartUpload with a tag",
     [rule(Filter={"Tag": {"Key": "k", "Value": "v"}},
           AbortIncompleteMultipartUpload={"DaysAfterInitiation": 1})], 400, "InvalidRequest",
     "AbortIncompleteMultipartUpload cannot be specified with Tags."),
    ("ExpiredObjectDeleteMarker with a tag",
     [rule(Filter={"Tag": {"Key": "k", "Value": "v"}},
           Expiration={"ExpiredObjectDeleteMarker": True})], 400, "InvalidRequest",
     "ExpiredObjectDeleteMarker cannot be specified with Tags."),
    ("no action", [rule()], 400, "InvalidRequest",
     "At least one action needs to be specified in a rule"),
    ("a tag key twice",
     [rule(Filter={"And": {"Tags": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]}},
           **EXP1)], 400, "InvalidRequest", "Duplicate Tag Keys are not allowed."),
    ("sizes in the wrong order",
     [rule(Filter={"And": {"ObjectSizeGreaterThan": 10, "ObjectSizeLessThan": 5}}, **EXP1)],
     400, "InvalidRequest",
     "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'."),
    ("V1 and V2 mixed",
     [rule(**EXP1), {"ID": "b", "Prefix": "x", "Status": "Enabled", "Expiration": {"Days": 1}}],
     400, "InvalidRequest", "Base level prefix cannot be used in Lifecycle V2, prefixes are only "
                            "supported in the Filter."),
    ("overlapping V1 prefixes",
     [{"ID": "a", "Prefix": "a", "Status": "Enabled", "Expiration": {"Days": 1}},
      {"ID": "b", "Prefix": "", "Status": "Enabled", "Expiration": {"Days": 2}}],
     400, "InvalidRequest",
     "Found overlapping prefixes '' and 'a' for same action type 'Expiration'"),
    ("Days and ExpiredObjectDeleteMarker together",
     [rule(Expiration={"Days": 1, "ExpiredObjectDeleteMarker": True})], 400, "MalformedXML",
     None),
    ("a Transition: 501 NotImplemented (one storage class)",
     [rule(Transitions=[{"Days": 30, "StorageClass": "GLACIER"}])], 501, "NotImplemented",
     None),
    ("a NoncurrentVersionTransition: 501 NotImplemented",
     [rule(NoncurrentVersionTransitions=[{"NoncurrentDays": 30, "StorageClass": "GLACIER"}],
           **EXP1)], 501, "NotImplemented", None),
]


def validation():
    for name, rules, status, code, msg in INVALID:
        expect_error(name + ": %d %s" % (status, code), put_lc, status, code, msg, rules=rules)
    expect_error("1001 rules: 400 InvalidRequest", put_lc, 400, "InvalidRequest",
                 "The number of lifecycle rules must not exceed the allowed limit of 1000 "
                 "rules.", rules=[rule(ID="r%d" % i, **EXP1) for i in range(1001)])
    # cairn keeps a configuration in at most 64 KB of its stored form (the manager's limit of
    # a bucket configuration, docs/S3-COMPATIBILITY.md): 1000 such rules are past it
    many = [rule(ID="r%d" % i, Filter={"Prefix": "p%d/" % i}, **EXP1) for i in range(1000)]
    expect_error("1000 rules past 64 KB stored: 400 InvalidRequest (cairn's limit)", put_lc,
                 400, "InvalidRequest", "The lifecycle configuration is limited to 64 KB once "
                 "stored; use fewer or shorter rules.", rules=many)
    r = put_lc(many[:500])
    expect_eq("500 rules: 200", 200, r["ResponseMetadata"]["HTTPStatusCode"])
    expect_eq("... and 500 come back", 500,
              len(s3.get_bucket_lifecycle_configuration(Bucket=B)["Rules"]))
    expect_error("a refused configuration leaves the one before", put_lc, 400,
                 "InvalidArgument", None, rules=[rule(Expiration={"Days": 0})])
    expect_eq("... still 500 rules", 500,
              len(s3.get_bucket_lifecycle_configuration(Bucket=B)["Rules"]))
    good = (b"<LifecycleConfiguration><Rule><ID>a</ID><Filter/><Status>Enabled</Status>"
            b"<Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>")
    raw_lc(good, md5=False)
    expect_error("without Content-MD5: 400 InvalidRequest", put_lc, 400, "InvalidRequest",
                 "Missing required header for this request: Content-MD5", rules=[rule(**EXP1)])
    raw_lc(b"<LifecycleConfiguration><Rule><ID>a</ID>")
    expect_error("bad XML: 400 MalformedXML", put_lc, 400, "MalformedXML", None,
                 rules=[rule(**EXP1)])
    raw_lc(good.replace(b"<Filter/>", b"<Filter/><Colour>red</Colour>"))
    expect_error("an unknown element: 400 MalformedXML", put_lc, 400, "MalformedXML", None,
                 rules=[rule(**EXP1)])
    raw_lc(good.replace(b"Enabled", b"On"))
    expect_error("Status On: 400 MalformedXML", put_lc, 400, "MalformedXML", None,
                 rules=[rule(**EXP1)])
    raw_lc(good)
    r = put_lc([rule(**EXP1)])
    expect_eq("the same body, its Content-MD5 right: 200", 200,
              r["ResponseMetadata"]["HTTPStatusCode"])
    s3.delete_bucket_lifecycle(Bucket=B)


def expiration_header():
    put_lc(RULES)
    r = s3.put_object(Bucket=B, Key="logs/a.txt", Body=b"hello")
    exp = r.get("Expiration")
    h = s3.head_object(Bucket=B, Key="logs/a.txt")
    want = 'expiry-date="%s", rule-id="expire-logs"' % expiry(h["LastModified"], 3)
    expect_eq("PUT of a matching object: x-amz-expiration (3 days, rounded to midnight)",
              want, exp)
    expect_eq("HEAD: x-amz-expiration", want, h.get("Expiration"))
    g = s3.get_object(Bucket=B, Key="logs/a.txt")
    g["Body"].read()
    expect_eq("GET: x-amz-expiration", want, g.get("Expiration"))
    c = s3.copy_object(Bucket=B, Key="logs/copy.txt", CopySource={"Bucket": B, "Key": "logs/a.txt"})
    expect("CopyObject to a matching key: x-amz-expiration",
           (c.get("Expiration") or "").endswith('rule-id="expire-logs"'), c.get("Expiration"))
    s3.put_object(Bucket=B, Key="other.txt", Body=b"hello")
    expect_eq("HEAD of an object no rule expires: no x-amz-expiration", None,
              s3.head_object(Bucket=B, Key="other.txt").get("Expiration"))
    s3.put_object(Bucket=B, Key="t/x", Body=b"hello", Tagging="class=tmp")
    h = s3.head_object(Bucket=B, Key="t/x")
    expect_eq("HEAD of an object matching prefix, tag and size",
              'expiry-date="%s", rule-id="tagged-big"' % expiry(h["LastModified"], 1),
              h.get("Expiration"))
    s3.put_object(Bucket=B, Key="t/y", Body=b"hello", Tagging="class=keep")
    expect_eq("... another tag value: none", None,
              s3.head_object(Bucket=B, Key="t/y").get("Expiration"))
    s3.put_object(Bucket=B, Key="t/z", Body=b"hi", Tagging="class=tmp")
    expect_eq("... a size not over ObjectSizeGreaterThan: none", None,
              s3.head_object(Bucket=B, Key="t/z").get("Expiration"))
    s3.put_object(Bucket=B, Key="dated/d", Body=b"x")
    expect_eq("HEAD under a Date rule: that date",
              'expiry-date="Wed, 01 Jan 2031 00:00:00 GMT", rule-id="dated"',
              s3.head_object(Bucket=B, Key="dated/d").get("Expiration"))
    s3.delete_bucket_lifecycle(Bucket=B)
    expect_eq("after the delete: no x-amz-expiration", None,
              s3.head_object(Bucket=B, Key="logs/a.txt").get("Expiration"))


def main():
    s3.create_bucket(Bucket=B)
    round_trip()
    validation()
    expiration_header()
    return 1 if s3check.FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
