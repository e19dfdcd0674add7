#!/usr/bin/python3
"""tests/integration/lifecycle.py: lifecycle rules applied by the storage nodes' workers (issue
18; run by test_lifecycle.sh with a 2-second day, Debian's boto3 1.26). Phases (CAIRN_PHASE):
  main            expiration by days (a one-record object and a chunked one) and by date, a key
                  no rule matches kept; noncurrent versions expired (the current kept); an
                  expired object delete marker removed; an incomplete multipart upload aborted
                  (ListMultipartUploads empty, its parts gone: ListParts NoSuchUpload); a
                  COMPLIANCE-locked noncurrent version kept (object lock) while an unlocked one
                  goes
  restart-fill    many objects under an expiring prefix (the restart test's work)
  restart-check   every one of them expired, though a node restarted mid-pass
Prints ok/FAIL lines. Environment: CAIRN_EP, CAIRN_AK/SK (alice), CAIRN_PHASE.
"""
import datetime
import os
import sys
import time

import botocore

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3check  # noqa: E402
from s3check import bad, expect, ok  # noqa: E402

EP = os.environ["CAIRN_EP"]
s3 = s3check.client(EP, os.environ["CAIRN_AK"], os.environ["CAIRN_SK"])
PLAIN, VERS, FILL, LOCKED = "lc-plain", "lc-vers", "lc-fill", "lc-locked"
WAIT_S = 40


def status(key, bucket=PLAIN, version=None):
    try:
        kw = {"VersionId": version} if version else {}
        s3.head_object(Bucket=bucket, Key=key, **kw)
        return 200
    except botocore.exceptions.ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"]


def wait_for(name, fn, want, limit=WAIT_S):
    """Polls fn() until it returns want (or the limit); one ok/FAIL line."""
    deadline = time.time() + limit
    got = fn()
    while got != want and time.time() < deadline:
        time.sleep(0.5)
        got = fn()
    expect(name, got == want, "after %d s: got %r, want %r" % (limit, got, want))


def versions(key, bucket=VERS):
    r = s3.list_object_versions(Bucket=bucket, Prefix=key)
    vs = [("v", v["VersionId"], v["IsLatest"]) for v in r.get("Versions", []) if v["Key"] == key]
    ms = [("m", m["VersionId"], m["IsLatest"]) for m in r.get("DeleteMarkers", [])
          if m["Key"] == key]
    return vs + ms


def main_phase():
    s3.create_bucket(Bucket=PLAIN)
    rules = [
        {"ID": "days", "Status": "Enabled", "Filter": {"Prefix": "exp/"},
         "Expiration": {"Days": 1}},
        {"ID": "date", "Status": "Enabled", "Filter": {"Prefix": "date/"},
         "Expiration": {"Date": datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)}},
        {"ID": "tagged", "Status": "Enabled",
         "Filter": {"Tag": {"Key": "temp", "Value": "yes"}}, "Expiration": {"Days": 1}},
        {"ID": "uploads", "Status": "Enabled", "Filter": {"Prefix": "up/"},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=PLAIN, LifecycleConfiguration={"Rules": rules})
    s3.put_object(Bucket=PLAIN, Key="exp/small", Body=b"x" * 1000)
    s3.put_object(Bucket=PLAIN, Key="exp/big", Body=os.urandom(3 * 1024 * 1024 + 7))
    s3.put_object(Bucket=PLAIN, Key="date/old", Body=b"d")
    s3.put_object(Bucket=PLAIN, Key="keep/me", Body=b"k")
    s3.put_object(Bucket=PLAIN, Key="tags/t1", Body=b"t", Tagging="temp=yes")
    s3.put_object(Bucket=PLAIN, Key="tags/t2", Body=b"t", Tagging="temp=no")
    up = s3.create_multipart_upload(Bucket=PLAIN, Key="up/file")["UploadId"]
    s3.upload_part(Bucket=PLAIN, Key="up/file", UploadId=up, PartNumber=1, Body=b"p" * 100000)

    s3.create_bucket(Bucket=VERS)
    s3.put_bucket_versioning(Bucket=VERS, VersioningConfiguration={"Status": "Enabled"})
    vrules = [
        {"ID": "noncurrent", "Status": "Enabled", "Filter": {"Prefix": "nc/"},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
        {"ID": "markers", "Status": "Enabled", "Filter": {"Prefix": "dm/"},
         "Expiration": {"ExpiredObjectDeleteMarker": True},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
        {"ID": "current", "Status": "Enabled", "Filter": {"Prefix": "cur/"},
         "Expiration": {"Days": 1}},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=VERS, LifecycleConfiguration={"Rules": vrules})
    v1 = s3.put_object(Bucket=VERS, Key="nc/obj", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=VERS, Key="nc/obj", Body=b"two")["VersionId"]
    s3.put_object(Bucket=VERS, Key="dm/obj", Body=b"gone soon")
    s3.delete_object(Bucket=VERS, Key="dm/obj")
    cv = s3.put_object(Bucket=VERS, Key="cur/obj", Body=b"current")["VersionId"]

    # lifecycle honours object lock: a locked noncurrent version stays
    s3.create_bucket(Bucket=LOCKED, ObjectLockEnabledForBucket=True)
    s3.put_bucket_lifecycle_configuration(Bucket=LOCKED, LifecycleConfiguration={"Rules": [
        {"ID": "nc", "Status": "Enabled", "Filter": {"Prefix": ""},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})
    until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    lv1 = s3.put_object(Bucket=LOCKED, Key="obj", Body=b"kept", ObjectLockMode="COMPLIANCE",
                        ObjectLockRetainUntilDate=until)["VersionId"]
    s3.put_object(Bucket=LOCKED, Key="obj", Body=b"newer")
    s3.put_object(Bucket=LOCKED, Key="free", Body=b"old")
    s3.put_object(Bucket=LOCKED, Key="free", Body=b"new")

    wait_for("Expiration Days: a one-record object expires", lambda: status("exp/small"), 404)
    wait_for("Expiration Days: a chunked object expires", lambda: status("exp/big"), 404)
    wait_for("Expiration Date in the past: the object expires", lambda: status("date/old"), 404)
    wait_for("a Tag filter: the tagged object expires", lambda: status("tags/t1"), 404)
    expect("... one with another tag value is kept", status("tags/t2") == 200)
    expect("a key no rule matches is kept", status("keep/me") == 200)
    wait_for("AbortIncompleteMultipartUpload: the upload is gone from ListMultipartUploads",
             lambda: len(s3.list_multipart_uploads(Bucket=PLAIN).get("Uploads", [])), 0)
    try:
        s3.list_parts(Bucket=PLAIN, Key="up/file", UploadId=up)
        bad("... ListParts answers NoSuchUpload", "it listed parts")
    except botocore.exceptions.ClientError as e:
        expect("... ListParts answers NoSuchUpload",
               e.response["Error"]["Code"] == "NoSuchUpload", e.response["Error"])

    wait_for("NoncurrentVersionExpiration: the noncurrent version is deleted",
             lambda: [v[1] for v in versions("nc/obj")], [v2])
    expect("... the current version is kept", status("nc/obj", VERS) == 200 and
           status("nc/obj", VERS, v1) in (404, 400))
    wait_for("ExpiredObjectDeleteMarker: the object's version, then its lone marker go",
             lambda: versions("dm/obj"), [])
    wait_for("Expiration Days with versioning: a delete marker goes on top",
             lambda: [k for k, _, latest in versions("cur/obj") if latest], ["m"])
    expect("... the expired version stays, noncurrent",
           status("cur/obj", VERS, cv) == 200)
    wait_for("object lock: an unlocked noncurrent version is deleted",
             lambda: len(versions("free", LOCKED)), 1)
    expect("... a COMPLIANCE-locked noncurrent version is kept",
           status("obj", LOCKED, lv1) == 200, versions("obj", LOCKED))


def fill_phase():
    s3.create_bucket(Bucket=FILL)
    s3.put_bucket_lifecycle_configuration(Bucket=FILL, LifecycleConfiguration={"Rules": [
        {"ID": "all", "Status": "Enabled", "Filter": {"Prefix": ""},
         "Expiration": {"Days": 1}}]})
    for i in range(300):
        s3.put_object(Bucket=FILL, Key="k%04d" % i, Body=b"f")
    ok("300 objects written under an expiring rule")


def check_phase():
    def left():
        r = s3.list_objects_v2(Bucket=FILL)
        return r.get("KeyCount", 0)
    wait_for("every object expired though a node restarted mid-pass", left, 0, limit=90)


PHASES = {"main": main_phase, "restart-fill": fill_phase, "restart-check": check_phase}
PHASES[os.environ.get("CAIRN_PHASE", "main")]()
sys.exit(1 if s3check.FAILED else 0)
