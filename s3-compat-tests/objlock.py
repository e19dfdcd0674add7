#!/usr/bin/env python3
"""s3-compat-tests/objlock.py: S3 Object Lock (issue 18) through boto3 1.26.

Usage (run by objlock.sh): S3_ENDPOINT=... AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...
OTHER_AK=... OTHER_SK=... OTHER_ID=... python3 objlock.py BUCKET

Covers: a bucket created with Object Lock (versioning Enabled, not to be Suspended), Put/Get
ObjectLockConfiguration and its errors, a default retention applied to new versions,
PutObject's lock parameters, GOVERNANCE (delete refused; bypassed by the owner; refused to
another user without s3:BypassGovernanceRetention, allowed once a bucket policy grants it),
COMPLIANCE (refused even to the owner with bypass; retention extended, never shortened), a
legal hold blocking deletion until removed, DeleteObjects' per-key AccessDenied, multipart
and copy, and the errors of a bucket without Object Lock. boto3 sends Content-MD5 for these
calls. Prints "ok"/"FAIL" lines and exits 1 on any failure.
"""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import s3check  # noqa: E402
from s3check import expect, expect_code, expect_error  # noqa: E402

EP = os.environ["S3_ENDPOINT"]
B = sys.argv[1] if len(sys.argv) > 1 else "compat-lock"
PLAIN = B + "-plain"
s3 = s3check.client(EP, os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
other = s3check.client(EP, os.environ["OTHER_AK"], os.environ["OTHER_SK"])
OTHER_ID = os.environ["OTHER_ID"]


def eq(name, want, got):
    expect(name, want == got, "want: %r got: %r" % (want, got))


def later(days=1):
    return (datetime.datetime.now(datetime.timezone.utc) +
            datetime.timedelta(days=days)).replace(microsecond=0)


def put(key, body=b"x", **kw):
    return s3.put_object(Bucket=B, Key=key, Body=body, **kw)["VersionId"]


def main():
    # ---- buckets
    expect_code("CreateBucket ObjectLockEnabledForBucket", s3.create_bucket, 200, Bucket=B,
                ObjectLockEnabledForBucket=True)
    s3.create_bucket(Bucket=PLAIN)
    expect_error("CreateBucket with lock over an own bucket without", s3.create_bucket, 409,
                 "BucketAlreadyOwnedByYou", Bucket=PLAIN, ObjectLockEnabledForBucket=True)
    eq("a lock bucket has versioning Enabled", "Enabled",
       s3.get_bucket_versioning(Bucket=B).get("Status"))
    expect_error("versioning cannot be Suspended on a lock bucket", s3.put_bucket_versioning,
                 409, "InvalidBucketState",
                 "An Object Lock configuration is present on this bucket, so the versioning "
                 "state cannot be changed.",
                 Bucket=B, VersioningConfiguration={"Status": "Suspended"})
    eq("GetObjectLockConfiguration of a new lock bucket",
       {"ObjectLockEnabled": "Enabled"},
       s3.get_object_lock_configuration(Bucket=B)["ObjectLockConfiguration"])
    expect_error("GetObjectLockConfiguration without lock", s3.get_object_lock_configuration,
                 404, "ObjectLockConfigurationNotFoundError", Bucket=PLAIN)
    expect_error("PutObjectLockConfiguration on an existing bucket",
                 s3.put_object_lock_configuration, 409, "InvalidBucketState", Bucket=PLAIN,
                 ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    for name, rule, code in [
            ("Days and Years", {"Mode": "GOVERNANCE", "Days": 1, "Years": 1}, "MalformedXML"),
            ("no period", {"Mode": "GOVERNANCE"}, "MalformedXML"),
            ("Days 0", {"Mode": "GOVERNANCE", "Days": 0}, "InvalidArgument")]:
        expect_error("PutObjectLockConfiguration " + name, s3.put_object_lock_configuration,
                     400, code, Bucket=B, ObjectLockConfiguration={
                         "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": rule}})
    s3check.raw_body(s3, b"<ObjectLockConfiguration><ObjectLockEnabled>Enabled"
                     b"</ObjectLockEnabled></ObjectLockConfiguration>",
                     "PutObjectLockConfiguration")
    expect_error("PutObjectLockConfiguration without Content-MD5",
                 s3.put_object_lock_configuration, 400, "InvalidRequest", Bucket=B,
                 ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})

    # ---- errors of a bucket without lock, and of the headers
    expect_error("PutObject with a lock in a bucket without", s3.put_object, 400,
                 "InvalidRequest", "Bucket is missing Object Lock Configuration", Bucket=PLAIN,
                 Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
                 ObjectLockRetainUntilDate=later())
    s3.put_object(Bucket=PLAIN, Key="k", Body=b"x")
    expect_error("PutObjectRetention in a bucket without lock", s3.put_object_retention, 400,
                 "InvalidRequest", Bucket=PLAIN, Key="k",
                 Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later()})
    expect_error("GetObjectLegalHold in a bucket without lock", s3.get_object_legal_hold, 400,
                 "InvalidRequest", Bucket=PLAIN, Key="k")
    expect_error("a mode without a date", s3.put_object, 400, "InvalidArgument", Bucket=B,
                 Key="bad", Body=b"x", ObjectLockMode="GOVERNANCE")
    expect_error("a date in the past", s3.put_object, 400, "InvalidArgument", Bucket=B,
                 Key="bad", Body=b"x", ObjectLockMode="GOVERNANCE",
                 ObjectLockRetainUntilDate=later(-1))
    v = put("free")
    expect_error("GetObjectRetention of a version without", s3.get_object_retention, 404,
                 "NoSuchObjectLockConfiguration", Bucket=B, Key="free", VersionId=v)
    expect_code("a version without lock is deleted", s3.delete_object, 204, Bucket=B,
                Key="free", VersionId=v)

    # ---- GOVERNANCE
    until = later()
    v = put("gov", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)
    h = s3.head_object(Bucket=B, Key="gov", VersionId=v)
    eq("HEAD x-amz-object-lock-mode", "GOVERNANCE", h.get("ObjectLockMode"))
    eq("HEAD x-amz-object-lock-retain-until-date", until, h.get("ObjectLockRetainUntilDate"))
    r = s3.get_object_retention(Bucket=B, Key="gov", VersionId=v)["Retention"]
    eq("GetObjectRetention", ("GOVERNANCE", until), (r["Mode"], r["RetainUntilDate"]))
    expect_error("GOVERNANCE: delete of the version refused", s3.delete_object, 403,
                 "AccessDenied", Bucket=B, Key="gov", VersionId=v)
    expect_code("a DELETE without versionId adds a delete marker", s3.delete_object, 204,
                Bucket=B, Key="gov")
    eq("the locked version is still there", b"x",
       s3.get_object(Bucket=B, Key="gov", VersionId=v)["Body"].read())
    s3.put_bucket_policy(Bucket=B, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"CanonicalUser": OTHER_ID},
        "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject",
                   "s3:GetObjectVersion"],
        "Resource": "arn:aws:s3:::%s/*" % B}]}))
    expect_error("GOVERNANCE: another user's bypass without s3:BypassGovernanceRetention",
                 other.delete_object, 403, "AccessDenied", Bucket=B, Key="gov", VersionId=v,
                 BypassGovernanceRetention=True)
    expect_error("GOVERNANCE: shortening needs bypass", s3.put_object_retention, 403,
                 "AccessDenied", Bucket=B, Key="gov", VersionId=v,
                 Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(0.5)})
    expect_code("GOVERNANCE: the owner shortens with bypass", s3.put_object_retention, 200,
                Bucket=B, Key="gov", VersionId=v, BypassGovernanceRetention=True,
                Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(0.5)})
    v2 = put("gov2", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)
    res = s3.delete_objects(Bucket=B, Delete={"Objects": [{"Key": "gov2", "VersionId": v2}]})
    eq("DeleteObjects: a locked version is AccessDenied", ["AccessDenied"],
       [e["Code"] for e in res.get("Errors", [])])
    expect_code("GOVERNANCE: the owner deletes with bypass", s3.delete_object, 204, Bucket=B,
                Key="gov", VersionId=v, BypassGovernanceRetention=True)
    s3.put_bucket_policy(Bucket=B, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"CanonicalUser": OTHER_ID},
        "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion",
                   "s3:BypassGovernanceRetention"],
        "Resource": "arn:aws:s3:::%s/*" % B}]}))
    expect_code("GOVERNANCE: another user deletes with s3:BypassGovernanceRetention",
                other.delete_object, 204, Bucket=B, Key="gov2", VersionId=v2,
                BypassGovernanceRetention=True)
    s3.delete_bucket_policy(Bucket=B)

    # ---- COMPLIANCE
    v = put("comp", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until)
    expect_error("COMPLIANCE: the owner's delete with bypass refused", s3.delete_object, 403,
                 "AccessDenied", Bucket=B, Key="comp", VersionId=v,
                 BypassGovernanceRetention=True)
    expect_error("COMPLIANCE: not shortened, even with bypass", s3.put_object_retention, 403,
                 "AccessDenied", Bucket=B, Key="comp", VersionId=v,
                 BypassGovernanceRetention=True,
                 Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later(0.5)})
    expect_error("COMPLIANCE: not turned into GOVERNANCE", s3.put_object_retention, 403,
                 "AccessDenied", Bucket=B, Key="comp", VersionId=v,
                 Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later(2)})
    expect_code("COMPLIANCE: extended", s3.put_object_retention, 200, Bucket=B, Key="comp",
                VersionId=v, Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later(2)})
    eq("COMPLIANCE: the extension is kept", later(2).date(),
       s3.get_object_retention(Bucket=B, Key="comp", VersionId=v)["Retention"]
       ["RetainUntilDate"].date())

    # ---- legal hold
    v = put("held", ObjectLockLegalHoldStatus="ON")
    eq("GetObjectLegalHold ON", "ON",
       s3.get_object_legal_hold(Bucket=B, Key="held", VersionId=v)["LegalHold"]["Status"])
    eq("HEAD x-amz-object-lock-legal-hold", "ON",
       s3.head_object(Bucket=B, Key="held", VersionId=v).get("ObjectLockLegalHoldStatus"))
    expect_error("legal hold: delete refused even with bypass", s3.delete_object, 403,
                 "AccessDenied", Bucket=B, Key="held", VersionId=v,
                 BypassGovernanceRetention=True)
    expect_code("legal hold removed", s3.put_object_legal_hold, 200, Bucket=B, Key="held",
                VersionId=v, LegalHold={"Status": "OFF"})
    eq("GetObjectLegalHold OFF", "OFF",
       s3.get_object_legal_hold(Bucket=B, Key="held", VersionId=v)["LegalHold"]["Status"])
    expect_code("legal hold: deleted once removed", s3.delete_object, 204, Bucket=B,
                Key="held", VersionId=v)
    v = put("held2")
    expect_code("PutObjectLegalHold ON on a version", s3.put_object_legal_hold, 200, Bucket=B,
                Key="held2", VersionId=v, LegalHold={"Status": "ON"})
    expect_error("legal hold set later blocks deletion", s3.delete_object, 403, "AccessDenied",
                 Bucket=B, Key="held2", VersionId=v)
    s3.put_object_legal_hold(Bucket=B, Key="held2", VersionId=v, LegalHold={"Status": "OFF"})

    # ---- the default retention, multipart and copy
    expect_code("PutObjectLockConfiguration default GOVERNANCE 1 day",
                s3.put_object_lock_configuration, 200, Bucket=B, ObjectLockConfiguration={
                    "ObjectLockEnabled": "Enabled",
                    "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    eq("GetObjectLockConfiguration with its rule",
       {"Mode": "GOVERNANCE", "Days": 1},
       s3.get_object_lock_configuration(Bucket=B)["ObjectLockConfiguration"]["Rule"]
       ["DefaultRetention"])
    v = put("dflt")
    h = s3.head_object(Bucket=B, Key="dflt", VersionId=v)
    eq("default retention applied", ("GOVERNANCE", later(1).date()),
       (h.get("ObjectLockMode"), h.get("ObjectLockRetainUntilDate", later(9)).date()))
    expect_error("default retention: delete refused", s3.delete_object, 403, "AccessDenied",
                 Bucket=B, Key="dflt", VersionId=v)
    up = s3.create_multipart_upload(Bucket=B, Key="mp", ObjectLockMode="COMPLIANCE",
                                    ObjectLockRetainUntilDate=until)["UploadId"]
    e = s3.upload_part(Bucket=B, Key="mp", UploadId=up, PartNumber=1, Body=b"p")["ETag"]
    v = s3.complete_multipart_upload(Bucket=B, Key="mp", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e}]})["VersionId"]
    eq("multipart: the upload's lock on the object", ("COMPLIANCE", until),
       (lambda h: (h.get("ObjectLockMode"), h.get("ObjectLockRetainUntilDate")))(
           s3.head_object(Bucket=B, Key="mp", VersionId=v)))
    v = s3.copy_object(Bucket=B, Key="cp", CopySource={"Bucket": B, "Key": "mp"})["VersionId"]
    eq("copy: the bucket's default, not the source's lock", "GOVERNANCE",
       s3.head_object(Bucket=B, Key="cp", VersionId=v).get("ObjectLockMode"))
    sys.exit(1 if s3check.FAILED else 0)


main()
