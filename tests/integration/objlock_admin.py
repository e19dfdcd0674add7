#!/usr/bin/python3
"""tests/integration/objlock_admin.py: object lock against everyone (issue 18; run by
test_objlock.sh with Debian's boto3 1.26). Phases (CAIRN_PHASE):
  main                      a bucket with Object Lock; a COMPLIANCE version (its owner's delete
                            refused, bypass or not; an admin user's refused; its retention not
                            shortened), a GOVERNANCE one (refused, then bypassed by its owner), a
                            legal hold (refused until OFF)
  refused-with-a-node-down  the COMPLIANCE version's delete still refused, bypass or not
  still-there               the COMPLIANCE version reads back, its lock intact
Prints ok/FAIL lines. Environment: CAIRN_EP, CAIRN_AK/SK (alice), CAIRN_ADMIN_AK/SK,
CAIRN_PHASE, CAIRN_STATE.
"""
import datetime
import os
import sys

import botocore

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3check  # noqa: E402
from s3check import bad, expect, expect_error  # noqa: E402

EP = os.environ["CAIRN_EP"]
alice = s3check.client(EP, os.environ["CAIRN_AK"], os.environ["CAIRN_SK"])
admin = s3check.client(EP, os.environ["CAIRN_ADMIN_AK"], os.environ["CAIRN_ADMIN_SK"])
B = "locked"
STATE = os.environ["CAIRN_STATE"]  # the version ID between phases, in the test's temp dir


def later(hours):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=hours)


def main_phase():
    alice.create_bucket(Bucket=B, ObjectLockEnabledForBucket=True)
    vid = alice.put_object(Bucket=B, Key="deed", Body=b"compliance", ObjectLockMode="COMPLIANCE",
                           ObjectLockRetainUntilDate=later(2))["VersionId"]
    with open(STATE, "w") as f:
        f.write(vid)
    expect_error("COMPLIANCE: its owner's delete is refused", alice.delete_object, 403,
                 "AccessDenied", Bucket=B, Key="deed", VersionId=vid)
    expect_error("COMPLIANCE: its owner's delete with bypass is refused", alice.delete_object,
                 403, "AccessDenied", Bucket=B, Key="deed", VersionId=vid,
                 BypassGovernanceRetention=True)
    expect_error("COMPLIANCE: an admin user's delete is refused", admin.delete_object, 403,
                 "AccessDenied", Bucket=B, Key="deed", VersionId=vid)
    expect_error("COMPLIANCE: its retention cannot be shortened, bypass or not",
                 alice.put_object_retention, 403, "AccessDenied", Bucket=B, Key="deed",
                 VersionId=vid, BypassGovernanceRetention=True,
                 Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later(1)})
    gv = alice.put_object(Bucket=B, Key="gov", Body=b"g", ObjectLockMode="GOVERNANCE",
                          ObjectLockRetainUntilDate=later(2))["VersionId"]
    expect_error("GOVERNANCE: a delete without bypass is refused", alice.delete_object, 403,
                 "AccessDenied", Bucket=B, Key="gov", VersionId=gv)
    expect_error("GOVERNANCE: an admin user's bypass is refused (no s3:BypassGovernanceRetention)",
                 admin.delete_object, 403, "AccessDenied", Bucket=B, Key="gov", VersionId=gv,
                 BypassGovernanceRetention=True)
    r = alice.delete_object(Bucket=B, Key="gov", VersionId=gv, BypassGovernanceRetention=True)
    expect("GOVERNANCE: its owner's bypass deletes it",
           r["ResponseMetadata"]["HTTPStatusCode"] == 204, r["ResponseMetadata"])
    hv = alice.put_object(Bucket=B, Key="held", Body=b"h", ObjectLockLegalHoldStatus="ON")[
        "VersionId"]
    expect_error("a legal hold: the delete is refused, bypass or not", alice.delete_object, 403,
                 "AccessDenied", Bucket=B, Key="held", VersionId=hv,
                 BypassGovernanceRetention=True)
    alice.put_object_legal_hold(Bucket=B, Key="held", VersionId=hv, LegalHold={"Status": "OFF"})
    r = alice.delete_object(Bucket=B, Key="held", VersionId=hv)
    expect("... once it is OFF the delete goes", r["ResponseMetadata"]["HTTPStatusCode"] == 204,
           r["ResponseMetadata"])


def vid():
    with open(STATE) as f:
        return f.read().strip()


def refused_phase():
    expect_error("with an owner down: the delete is still refused", alice.delete_object, 403,
                 "AccessDenied", Bucket=B, Key="deed", VersionId=vid())
    expect_error("... with bypass too", alice.delete_object, 403, "AccessDenied", Bucket=B,
                 Key="deed", VersionId=vid(), BypassGovernanceRetention=True)


def still_phase():
    try:
        o = alice.get_object(Bucket=B, Key="deed", VersionId=vid())
        expect("the COMPLIANCE version reads back, locked",
               o["Body"].read() == b"compliance" and o.get("ObjectLockMode") == "COMPLIANCE",
               o.get("ObjectLockMode"))
    except botocore.exceptions.ClientError as e:
        bad("the COMPLIANCE version reads back, locked", e.response.get("Error"))


{"main": main_phase, "refused-with-a-node-down": refused_phase,
 "still-there": still_phase}[os.environ.get("CAIRN_PHASE", "main")]()
sys.exit(1 if s3check.FAILED else 0)
