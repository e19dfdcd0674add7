#!/usr/bin/python3
"""tests/integration/acl_grants.py: ACL grants as S3 applies them (issue 15; run by
test_acl_grants.sh against a whole cluster, with Debian's boto3 1.26). Phases (CAIRN_PHASE):
  main           grants by canonical id, by email and to the groups, through every
                 x-amz-grant-* header (CreateBucket, PutObject, CopyObject,
                 CreateMultipartUpload, PutBucketAcl, PutObjectAcl) and AccessControlPolicy
                 bodies; what each permission lets bob, carol and anonymous do; Get*Acl;
                 the errors (InvalidArgument, UnresolvableGrantByEmailAddress,
                 MalformedACLError, InvalidRequest, AccessDenied for another Owner); the
                 canned ACLs log-delivery-write, bucket-owner-read/-full-control; a copy's ACL;
                 the public access block on grant lists
  owners         who owns what: each object's Owner in ListObjects (v1, v2 with
                 fetch-owner), an upload's Initiator and Owner (ListMultipartUploads,
                 ListParts), and the ownership controls' say in who owns a new object
                 (BucketOwnerPreferred with bucket-owner-full-control, ObjectWriter,
                 BucketOwnerEnforced) through PutObject, CopyObject and multipart uploads
  after-restart  the same grants and owners, read again after every storage node restarted
Prints ok/FAIL lines. Environment: CAIRN_EP, CAIRN_AK/SK (alice), CAIRN_BOB_AK/SK,
CAIRN_CAROL_AK/SK, CAIRN_ALICE_ID, CAIRN_BOB_ID, CAIRN_CAROL_ID, CAIRN_CAROL_EMAIL,
CAIRN_PHASE.
"""
import json
import os
import sys
import time

import botocore

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3check  # noqa: E402
from s3check import bad, code_of, expect, expect_code, raw_body, raw_headers  # noqa: E402

EP = os.environ["CAIRN_EP"]
ALICE_ID, BOB_ID = os.environ["CAIRN_ALICE_ID"], os.environ["CAIRN_BOB_ID"]
CAROL_ID, CAROL_EMAIL = os.environ["CAIRN_CAROL_ID"], os.environ["CAIRN_CAROL_EMAIL"]
ALL = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG = "http://acs.amazonaws.com/groups/s3/LogDelivery"
B = "grants"

alice = s3check.client(EP, os.environ["CAIRN_AK"], os.environ["CAIRN_SK"])
bob = s3check.client(EP, os.environ["CAIRN_BOB_AK"], os.environ["CAIRN_BOB_SK"])
carol = s3check.client(EP, os.environ["CAIRN_CAROL_AK"], os.environ["CAIRN_CAROL_SK"])
anon = s3check.client(EP)
WHO = {"alice": alice, "bob": bob, "carol": carol, "anonymous": anon}


def grants_of(acl):
    """The grants of a Get*Acl answer as a set of (grantee, permission): grantee is a
    canonical id or a group URI."""
    out = set()
    for g in acl["Grants"]:
        ge = g["Grantee"]
        out.add((ge.get("ID") or ge.get("URI"), g["Permission"]))
    return out


def expect_acl(name, fn, want_owner, want, **kw):
    try:
        acl = fn(**kw)
    except botocore.exceptions.ClientError as e:
        bad(name, e.response.get("Error", {}))
        return
    got = grants_of(acl)
    owner = acl["Owner"].get("ID")
    expect(name, owner == want_owner and got == set(want),
           "owner %s grants %s, want owner %s grants %s" % (owner, sorted(got), want_owner,
                                                            sorted(want)))


def get(who, key, bucket=B):
    return code_of(WHO[who].get_object, Bucket=bucket, Key=key)[0]


def policy_body(owner, *grants):
    """An AccessControlPolicy for boto3: grants are (type, value, permission)."""
    gl = []
    for typ, val, perm in grants:
        ge = {"Type": typ}
        ge[{"CanonicalUser": "ID", "AmazonCustomerByEmail": "EmailAddress",
            "Group": "URI"}[typ]] = val
        gl.append({"Grantee": ge, "Permission": perm})
    return {"Owner": {"ID": owner}, "Grants": gl}


def wait_email():
    """The gateway learns carol's address with the next users table: until then a grant by
    email is UnresolvableGrantByEmailAddress. Waits up to 20 s."""
    deadline = time.time() + 20
    while time.time() < deadline:
        if code_of(alice.put_object, Bucket=B, Key="probe", Body=b"p",
                   GrantRead='emailAddress="%s"' % CAROL_EMAIL)[0] == 200:
            return True
        time.sleep(0.3)
    return False


def main():
    # ---- a bucket made with grant headers -------------------------------------------------
    expect_code("CreateBucket with x-amz-grant-read (bob by id) and -full-control (alice)",
                alice.create_bucket, 200, Bucket=B, GrantRead='id="%s"' % BOB_ID,
                GrantFullControl='id="%s"' % ALICE_ID)
    expect_acl("GetBucketAcl shows the two grants, owner alice", alice.get_bucket_acl,
               ALICE_ID, [(BOB_ID, "READ"), (ALICE_ID, "FULL_CONTROL")], Bucket=B)
    expect_code("bob (READ) lists", bob.list_objects_v2, 200, Bucket=B)
    expect_code("bob (READ) may not write", bob.put_object, (403, "AccessDenied"), Bucket=B,
                Key="x", Body=b"x")
    expect_code("bob (READ) may not read the ACL", bob.get_bucket_acl, 403, Bucket=B)
    expect_code("carol (no grant) may not list", carol.list_objects_v2, 403, Bucket=B)
    expect_code("anonymous may not list", anon.list_objects_v2, 403, Bucket=B)
    expect("the gateway resolves carol's email within 20 s", wait_email())

    # ---- PutBucketAcl through every header ------------------------------------------------
    expect_code("PutBucketAcl: write to carol by email, read-acp to bob, write-acp to "
                "AuthenticatedUsers, full-control to alice", alice.put_bucket_acl, 200,
                Bucket=B, GrantWrite='emailAddress="%s"' % CAROL_EMAIL,
                GrantReadACP='id="%s"' % BOB_ID, GrantFullControl='id="%s"' % ALICE_ID)
    expect_acl("GetBucketAcl: the email grant shows as carol's CanonicalUser",
               alice.get_bucket_acl, ALICE_ID,
               [(CAROL_ID, "WRITE"), (BOB_ID, "READ_ACP"), (ALICE_ID, "FULL_CONTROL")],
               Bucket=B)
    expect_code("carol (WRITE) writes", carol.put_object, 200, Bucket=B, Key="by-carol",
                Body=b"c")
    expect_code("carol (WRITE) deletes", carol.delete_object, 204, Bucket=B, Key="by-carol")
    expect_code("carol (WRITE) may not list", carol.list_objects_v2, 403, Bucket=B)
    expect_code("bob (READ_ACP) reads the bucket's ACL", bob.get_bucket_acl, 200, Bucket=B)
    expect_code("bob (READ_ACP) may not change it", bob.put_bucket_acl, 403, Bucket=B,
                ACL="public-read")
    expect_code("bob (READ_ACP) may no longer list", bob.list_objects_v2, 403, Bucket=B)
    expect_code("PutBucketAcl: write-acp to bob", alice.put_bucket_acl, 200, Bucket=B,
                GrantWriteACP='id="%s"' % BOB_ID, GrantRead='id="%s", id="%s"' % (BOB_ID,
                                                                                  CAROL_ID),
                GrantWrite='emailAddress="%s", id="%s"' % (CAROL_EMAIL, BOB_ID))
    expect_code("bob (WRITE_ACP) changes the bucket's ACL by body", bob.put_bucket_acl, 200,
                Bucket=B, AccessControlPolicy=policy_body(
                    ALICE_ID, ("CanonicalUser", ALICE_ID, "FULL_CONTROL"),
                    ("CanonicalUser", BOB_ID, "FULL_CONTROL"),
                    ("AmazonCustomerByEmail", CAROL_EMAIL, "WRITE"),
                    ("Group", LOG, "WRITE")))
    expect_acl("the body's grants, LogDelivery shown", alice.get_bucket_acl, ALICE_ID,
               [(ALICE_ID, "FULL_CONTROL"), (BOB_ID, "FULL_CONTROL"), (CAROL_ID, "WRITE"),
                (LOG, "WRITE")], Bucket=B)
    expect_code("bob (FULL_CONTROL) lists", bob.list_objects_v2, 200, Bucket=B)
    expect_code("bob (FULL_CONTROL) may not delete the bucket (its owner's)",
                bob.delete_bucket, 403, Bucket=B)
    expect_code("a body whose Owner is not the bucket's owner: AccessDenied",
                bob.put_bucket_acl, (403, "AccessDenied"), Bucket=B,
                AccessControlPolicy=policy_body(BOB_ID, ("CanonicalUser", BOB_ID,
                                                         "FULL_CONTROL")))

    # ---- objects: every header on PutObject -----------------------------------------------
    expect_code("PutObject with x-amz-grant-read AllUsers", alice.put_object, 200, Bucket=B,
                Key="pub", Body=b"pub", GrantRead='uri="%s"' % ALL)
    expect("anonymous reads it", get("anonymous", "pub") == 200)
    expect_acl("GetObjectAcl: the group grant", alice.get_object_acl, ALICE_ID,
               [(ALL, "READ")], Bucket=B, Key="pub")
    expect_code("anonymous may not read its ACL", anon.get_object_acl, 403, Bucket=B,
                Key="pub")
    expect_code("PutObject with x-amz-grant-read AuthenticatedUsers", alice.put_object, 200,
                Bucket=B, Key="auth", Body=b"a", GrantRead='uri="%s"' % AUTH)
    expect("bob (signed) reads it", get("bob", "auth") == 200)
    expect("anonymous may not", get("anonymous", "auth") == 403)
    expect_code("PutObject with x-amz-grant-read-acp carol by email", alice.put_object, 200,
                Bucket=B, Key="racp", Body=b"r",
                GrantReadACP='emailAddress="%s"' % CAROL_EMAIL)
    expect_code("carol (READ_ACP) reads the object's ACL", carol.get_object_acl, 200,
                Bucket=B, Key="racp")
    expect("carol (READ_ACP) may not read the object", get("carol", "racp") == 403)
    expect_code("carol (READ_ACP) may not change its ACL", carol.put_object_acl, 403,
                Bucket=B, Key="racp", ACL="public-read")
    expect_code("PutObject with x-amz-grant-write-acp bob", alice.put_object, 200, Bucket=B,
                Key="wacp", Body=b"w", GrantWriteACP='id="%s"' % BOB_ID)
    expect_code("bob (WRITE_ACP) changes the object's ACL", bob.put_object_acl, 200,
                Bucket=B, Key="wacp", GrantRead='id="%s"' % BOB_ID)
    expect("bob reads it now (his own READ grant)", get("bob", "wacp") == 200)
    expect_acl("its ACL is the new list, owner still alice", alice.get_object_acl, ALICE_ID,
               [(BOB_ID, "READ")], Bucket=B, Key="wacp")
    raw_headers(alice, "PutObject", {"x-amz-grant-write": 'id="%s"' % CAROL_ID})
    expect_code("PutObject with x-amz-grant-write (object WRITE: stored, grants nothing)",
                alice.put_object, 200, Bucket=B, Key="wr", Body=b"w")
    expect("carol (object WRITE) may not read it", get("carol", "wr") == 403)
    expect_acl("object WRITE is shown", alice.get_object_acl, ALICE_ID, [(CAROL_ID, "WRITE")],
               Bucket=B, Key="wr")
    expect_code("PutObject with x-amz-grant-full-control carol", alice.put_object, 200,
                Bucket=B, Key="full", Body=b"f", GrantFullControl='id="%s"' % CAROL_ID)
    expect("carol (FULL_CONTROL) reads it", get("carol", "full") == 200)
    expect_code("carol (FULL_CONTROL) reads its ACL", carol.get_object_acl, 200, Bucket=B,
                Key="full")
    expect_code("carol (FULL_CONTROL) changes its ACL", carol.put_object_acl, 200, Bucket=B,
                Key="full", ACL="private")
    expect("carol (private now) may not read it", get("carol", "full") == 403)
    expect("alice (owner) still reads it", get("alice", "full") == 200)

    # ---- XML bodies on PutObjectAcl -------------------------------------------------------
    expect_code("PutObjectAcl with a body: bob READ, AuthenticatedUsers READ_ACP, carol by "
                "email READ, LogDelivery WRITE", alice.put_object_acl, 200, Bucket=B,
                Key="auth", AccessControlPolicy=policy_body(
                    ALICE_ID, ("CanonicalUser", BOB_ID, "READ"),
                    ("Group", AUTH, "READ_ACP"), ("AmazonCustomerByEmail", CAROL_EMAIL, "READ"),
                    ("Group", LOG, "WRITE")))
    expect_acl("GetObjectAcl shows them", alice.get_object_acl, ALICE_ID,
               [(BOB_ID, "READ"), (AUTH, "READ_ACP"), (CAROL_ID, "READ"), (LOG, "WRITE")],
               Bucket=B, Key="auth")
    expect("carol reads it (by her email grant)", get("carol", "auth") == 200)
    acl = alice.get_object_acl(Bucket=B, Key="auth")
    names = {g["Grantee"].get("ID"): g["Grantee"].get("DisplayName") for g in acl["Grants"]}
    expect("CanonicalUser grants carry the DisplayName", names.get(BOB_ID) == "bob" and
           names.get(CAROL_ID) == "carol" and acl["Owner"].get("DisplayName") == "alice",
           str(acl["Grants"]))
    expect_code("a body with alice as Owner, by bob (no WRITE_ACP): AccessDenied",
                bob.put_object_acl, 403, Bucket=B, Key="auth",
                AccessControlPolicy=policy_body(ALICE_ID))
    expect_code("a body naming another Owner: AccessDenied", alice.put_object_acl,
                (403, "AccessDenied"), Bucket=B, Key="auth",
                AccessControlPolicy=policy_body(BOB_ID, ("CanonicalUser", BOB_ID, "READ")))

    # ---- errors ---------------------------------------------------------------------------
    nobody = "0" * 64
    expect_code("an unknown canonical id: InvalidArgument", alice.put_object,
                (400, "InvalidArgument"), Bucket=B, Key="e", Body=b"e",
                GrantRead='id="%s"' % nobody)
    expect_code("a malformed id: InvalidArgument", alice.put_object_acl,
                (400, "InvalidArgument"), Bucket=B, Key="pub", GrantRead='id="alice"')
    expect_code("an unknown id in a body: InvalidArgument", alice.put_object_acl,
                (400, "InvalidArgument"), Bucket=B, Key="pub",
                AccessControlPolicy=policy_body(ALICE_ID, ("CanonicalUser", nobody, "READ")))
    expect_code("an unknown email: UnresolvableGrantByEmailAddress", alice.put_bucket_acl,
                (400, "UnresolvableGrantByEmailAddress"), Bucket=B,
                GrantRead='emailAddress="nobody@example.com"')
    expect_code("an unknown email in a body: UnresolvableGrantByEmailAddress",
                alice.put_object_acl, (400, "UnresolvableGrantByEmailAddress"), Bucket=B,
                Key="pub", AccessControlPolicy=policy_body(
                    ALICE_ID, ("AmazonCustomerByEmail", "nobody@example.com", "READ")))
    expect_code("an unknown group URI: InvalidArgument", alice.put_object,
                (400, "InvalidArgument"), Bucket=B, Key="e", Body=b"e",
                GrantRead='uri="http://acs.amazonaws.com/groups/global/Everyone"')
    expect_code("an unknown grantee type: InvalidArgument", alice.put_object,
                (400, "InvalidArgument"), Bucket=B, Key="e", Body=b"e", GrantRead='arn="x"')
    expect_code("x-amz-acl and a grant header: InvalidRequest", alice.put_object,
                (400, "InvalidRequest"), Bucket=B, Key="e", Body=b"e", ACL="public-read",
                GrantRead='id="%s"' % BOB_ID)
    expect_code("x-amz-acl and a grant header on PutBucketAcl: InvalidRequest",
                alice.put_bucket_acl, (400, "InvalidRequest"), Bucket=B, ACL="private",
                GrantRead='id="%s"' % BOB_ID)
    for name, body in [
            ("not XML", b"<AccessControlPolicy><Owner>"),
            ("an unknown permission", b"<AccessControlPolicy><Owner><ID>" + ALICE_ID.encode() +
             b"</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi=\"http://www.w3.org/"
             b"2001/XMLSchema-instance\" xsi:type=\"Group\"><URI>" + ALL.encode() +
             b"</URI></Grantee><Permission>EVERYTHING</Permission></Grant>"
             b"</AccessControlList></AccessControlPolicy>"),
            ("a grant without a grantee", b"<AccessControlPolicy><AccessControlList><Grant>"
             b"<Permission>READ</Permission></Grant></AccessControlList>"
             b"</AccessControlPolicy>"),
            ("another root", b"<Policy/>")]:
        raw_body(alice, body)
        expect_code("a malformed body (%s): MalformedACLError" % name, alice.put_object_acl,
                    (400, "MalformedACLError"), Bucket=B, Key="pub",
                    AccessControlPolicy=policy_body(ALICE_ID))
    expect("the refused changes left pub as it was", get("anonymous", "pub") == 200)

    # ---- multipart and copy ---------------------------------------------------------------
    mpu = alice.create_multipart_upload(Bucket=B, Key="mpu", GrantRead='id="%s"' % BOB_ID)
    part = alice.upload_part(Bucket=B, Key="mpu", UploadId=mpu["UploadId"], PartNumber=1,
                             Body=b"m" * 1024)
    alice.complete_multipart_upload(Bucket=B, Key="mpu", UploadId=mpu["UploadId"],
                                    MultipartUpload={"Parts": [{"PartNumber": 1,
                                                                "ETag": part["ETag"]}]})
    expect("CreateMultipartUpload's x-amz-grant-read: bob reads the object",
           get("bob", "mpu") == 200)
    expect("carol may not", get("carol", "mpu") == 403)
    expect_acl("its ACL", alice.get_object_acl, ALICE_ID, [(BOB_ID, "READ")], Bucket=B,
               Key="mpu")
    expect_code("CopyObject of a public object", alice.copy_object, 200, Bucket=B,
                Key="pub-copy", CopySource={"Bucket": B, "Key": "pub"})
    expect("the copy is private (not the source's ACL)", get("anonymous", "pub-copy") == 403)
    expect_acl("the copy's ACL: the owner's FULL_CONTROL", alice.get_object_acl, ALICE_ID,
               [(ALICE_ID, "FULL_CONTROL")], Bucket=B, Key="pub-copy")
    expect_code("CopyObject with x-amz-grant-read carol by email", alice.copy_object, 200,
                Bucket=B, Key="copy-carol", CopySource={"Bucket": B, "Key": "pub"},
                GrantRead='emailAddress="%s"' % CAROL_EMAIL)
    expect("carol reads the copy", get("carol", "copy-carol") == 200)
    expect("anonymous may not", get("anonymous", "copy-carol") == 403)
    expect_acl("the copy's ACL", alice.get_object_acl, ALICE_ID, [(CAROL_ID, "READ")],
               Bucket=B, Key="copy-carol")

    # ---- canned ACLs ----------------------------------------------------------------------
    expect_code("PutBucketAcl log-delivery-write", alice.put_bucket_acl, 200, Bucket=B,
                ACL="log-delivery-write")
    expect_acl("GetBucketAcl: owner FULL_CONTROL, LogDelivery WRITE and READ_ACP",
               alice.get_bucket_acl, ALICE_ID,
               [(ALICE_ID, "FULL_CONTROL"), (LOG, "WRITE"), (LOG, "READ_ACP")], Bucket=B)
    expect_code("bob may no longer list (the canned ACL replaced the list)",
                bob.list_objects_v2, 403, Bucket=B)
    expect_code("PutBucketAcl: bob WRITE again", alice.put_bucket_acl, 200, Bucket=B,
                GrantWrite='id="%s"' % BOB_ID, GrantFullControl='id="%s"' % ALICE_ID)
    expect_code("bob writes with bucket-owner-read", bob.put_object, 200, Bucket=B,
                Key="bor", Body=b"b", ACL="bucket-owner-read")
    expect("alice (the bucket's owner) reads bob's object", get("alice", "bor") == 200)
    expect_acl("its ACL: bob FULL_CONTROL, alice READ", bob.get_object_acl, BOB_ID,
               [(BOB_ID, "FULL_CONTROL"), (ALICE_ID, "READ")], Bucket=B, Key="bor")
    expect_code("alice (READ only) may not read its ACL", alice.get_object_acl, 403,
                Bucket=B, Key="bor")
    expect_code("bob writes with bucket-owner-full-control", bob.put_object, 200, Bucket=B,
                Key="bofc", Body=b"b", ACL="bucket-owner-full-control")
    expect_code("alice changes its ACL", alice.put_object_acl, 200, Bucket=B, Key="bofc",
                ACL="public-read")
    expect("anonymous reads it then", get("anonymous", "bofc") == 200)
    expect_code("bob writes a private object", bob.put_object, 200, Bucket=B, Key="bpriv",
                Body=b"b")
    expect("alice (the bucket's owner) may not read it", get("alice", "bpriv") == 403)

    # ---- the public access block on grant lists -------------------------------------------
    got = code_of(alice.put_public_access_block, Bucket=B,
                  PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    expect("PutPublicAccessBlock BlockPublicAcls", got[0] in (200, 204), got)
    expect_code("a grant header to AllUsers is refused", alice.put_object, 403, Bucket=B,
                Key="blocked", Body=b"x", GrantRead='uri="%s"' % ALL)
    expect_code("a body granting AuthenticatedUsers is refused", alice.put_object_acl, 403,
                Bucket=B, Key="pub", AccessControlPolicy=policy_body(
                    ALICE_ID, ("Group", AUTH, "READ")))
    expect_code("a grant to a user is not public: taken", alice.put_object, 200, Bucket=B,
                Key="unblocked", Body=b"x", GrantRead='id="%s"' % BOB_ID)
    got = code_of(alice.put_public_access_block, Bucket=B,
                  PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    expect("PutPublicAccessBlock IgnorePublicAcls", got[0] in (200, 204), got)
    expect("the AllUsers grant of pub counts for nothing",
           get("anonymous", "pub") == 403)
    expect("bob's own grant on unblocked still counts", get("bob", "unblocked") == 200)
    expect_code("DeletePublicAccessBlock", alice.delete_public_access_block, 204, Bucket=B)
    expect("pub is public again", get("anonymous", "pub") == 200)


OB = "owners"


def listed_owners(resp):
    """{key: (Owner ID, DisplayName)} of a ListObjects answer; None for a key without Owner."""
    return {x["Key"]: (x["Owner"].get("ID"), x["Owner"].get("DisplayName"))
            if "Owner" in x else None for x in resp.get("Contents", [])}


def expect_owners(name, want, client_=None, **kw):
    """ListObjects (v1) of OB: want is {key: owner id}, checked for those keys."""
    try:
        got = listed_owners((client_ or alice).list_objects(Bucket=OB, **kw))
    except botocore.exceptions.ClientError as e:
        bad(name, e.response.get("Error", {}))
        return
    wrong = {k: (got.get(k), v) for k, v in want.items() if (got.get(k) or (None,))[0] != v}
    expect(name, not wrong, "key: (got, want id) %s" % wrong)


def upload_people(client_, up):
    """(Initiator ID, Owner ID) of upload id up in ListMultipartUploads of OB."""
    r = client_.list_multipart_uploads(Bucket=OB)
    u = [x for x in r.get("Uploads", []) if x["UploadId"] == up]
    return (u[0]["Initiator"]["ID"], u[0]["Owner"]["ID"]) if u else None


def set_ownership(mode):
    got = code_of(alice.put_bucket_ownership_controls, Bucket=OB,
                  OwnershipControls={"Rules": [{"ObjectOwnership": mode}]})
    expect("PutBucketOwnershipControls %s" % mode, got[0] == 200, got)


def mpu(client_, key, **kw):
    """A one-part upload of key by client_: (upload id, a function that completes it)."""
    up = client_.create_multipart_upload(Bucket=OB, Key=key, **kw)["UploadId"]

    def complete():
        etag = client_.upload_part(Bucket=OB, Key=key, UploadId=up, PartNumber=1,
                                   Body=b"part")["ETag"]
        return code_of(client_.complete_multipart_upload, Bucket=OB, Key=key, UploadId=up,
                       MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    return up, complete


def owners():
    expect_code("CreateBucket owners, public-read-write", alice.create_bucket, 200, Bucket=OB,
                ACL="public-read-write")
    for who in ("alice", "bob"):
        expect_code("%s writes by-%s" % (who, who), WHO[who].put_object, 200, Bucket=OB,
                    Key="by-" + who, Body=b"x")
    r = alice.list_objects(Bucket=OB)
    got = listed_owners(r)
    expect("ListObjects (v1): each key's Owner is its writer, with the user's name",
           got.get("by-alice") == (ALICE_ID, "alice") and got.get("by-bob") == (BOB_ID, "bob"),
           got)
    expect_owners("bob's ListObjects shows the same owners",
                  {"by-alice": ALICE_ID, "by-bob": BOB_ID}, bob)
    got = listed_owners(alice.list_objects_v2(Bucket=OB))
    expect("ListObjectsV2 without fetch-owner: no Owner", all(v is None for v in got.values()),
           got)
    got = listed_owners(alice.list_objects_v2(Bucket=OB, FetchOwner=True))
    expect("ListObjectsV2 with fetch-owner: each key's writer",
           got.get("by-alice") == (ALICE_ID, "alice") and got.get("by-bob") == (BOB_ID, "bob"),
           got)
    got = listed_owners(alice.list_objects(Bucket=OB, Prefix="by-b", MaxKeys=1))
    expect("a page of one key under a prefix still names its owner",
           got == {"by-bob": (BOB_ID, "bob")}, got)

    # ---- multipart uploads: the initiator and the owner to be -----------------------------
    up, complete = mpu(bob, "mpu-bob")
    expect("ListMultipartUploads: bob's upload has Initiator bob and Owner bob",
           upload_people(alice, up) == (BOB_ID, BOB_ID), upload_people(alice, up))
    r = bob.list_parts(Bucket=OB, Key="mpu-bob", UploadId=up)
    expect("ListParts: Initiator and Owner bob",
           (r["Initiator"]["ID"], r["Owner"]["ID"], r["Initiator"]["DisplayName"]) ==
           (BOB_ID, BOB_ID, "bob"), (r.get("Initiator"), r.get("Owner")))
    expect_code("ListParts max-parts=0 of an upload that does not exist: NoSuchUpload",
                bob.list_parts, (404, "NoSuchUpload"), Bucket=OB, Key="mpu-bob",
                UploadId="0" * 32, MaxParts=0)
    expect_code("ListParts max-parts=0 of bob's upload: 200", bob.list_parts, 200, Bucket=OB,
                Key="mpu-bob", UploadId=up, MaxParts=0)
    got = complete()
    expect("bob completes it", got[0] == 200, got)
    expect_owners("the completed object is bob's in the listing", {"mpu-bob": BOB_ID})
    expect_acl("and in its ACL", bob.get_object_acl, BOB_ID, [(BOB_ID, "FULL_CONTROL")],
               Bucket=OB, Key="mpu-bob")

    # ---- BucketOwnerPreferred: bucket-owner-full-control hands the object over -------------
    set_ownership("BucketOwnerPreferred")
    expect_code("bob writes pref-bofc with bucket-owner-full-control", bob.put_object, 200,
                Bucket=OB, Key="pref-bofc", Body=b"x", ACL="bucket-owner-full-control")
    expect_acl("pref-bofc is alice's: Owner alice, alice FULL_CONTROL", alice.get_object_acl,
               ALICE_ID, [(ALICE_ID, "FULL_CONTROL")], Bucket=OB, Key="pref-bofc")
    expect("bob (its writer, no longer its owner) may not read it", get("bob", "pref-bofc", OB)
           == 403)
    expect_code("bob writes pref-plain without an ACL", bob.put_object, 200, Bucket=OB,
                Key="pref-plain", Body=b"x")
    expect_code("bob writes pref-bor with bucket-owner-read", bob.put_object, 200, Bucket=OB,
                Key="pref-bor", Body=b"x", ACL="bucket-owner-read")
    expect_code("bob writes pref-grant granting alice FULL_CONTROL by header (not the canned "
                "ACL)", bob.put_object, 200, Bucket=OB, Key="pref-grant", Body=b"x",
                GrantFullControl='id="%s"' % ALICE_ID)
    expect_code("anonymous writes pref-anon with bucket-owner-full-control", anon.put_object,
                200, Bucket=OB, Key="pref-anon", Body=b"x", ACL="bucket-owner-full-control")
    expect_code("bob copies by-bob to pref-copy with bucket-owner-full-control",
                bob.copy_object, 200, Bucket=OB, Key="pref-copy",
                CopySource={"Bucket": OB, "Key": "by-bob"}, ACL="bucket-owner-full-control")
    up, complete = mpu(bob, "pref-mpu", ACL="bucket-owner-full-control")
    expect("ListMultipartUploads: bob's upload with bucket-owner-full-control has Initiator "
           "bob and Owner alice", upload_people(alice, up) == (BOB_ID, ALICE_ID),
           upload_people(alice, up))
    got = complete()
    expect("bob completes it", got[0] == 200, got)
    expect_owners("BucketOwnerPreferred: the bucket-owner-full-control writes are alice's, "
                  "the others their writer's",
                  {"pref-bofc": ALICE_ID, "pref-plain": BOB_ID, "pref-bor": BOB_ID,
                   "pref-grant": BOB_ID, "pref-anon": ALICE_ID, "pref-copy": ALICE_ID,
                   "pref-mpu": ALICE_ID, "by-bob": BOB_ID})
    expect_acl("pref-plain's ACL: Owner bob", bob.get_object_acl, BOB_ID,
               [(BOB_ID, "FULL_CONTROL")], Bucket=OB, Key="pref-plain")

    # ---- ObjectWriter: the writer owns whatever the ACL -------------------------------------
    set_ownership("ObjectWriter")
    expect_code("bob writes ow-bofc with bucket-owner-full-control", bob.put_object, 200,
                Bucket=OB, Key="ow-bofc", Body=b"x", ACL="bucket-owner-full-control")
    expect_owners("ObjectWriter: ow-bofc is bob's", {"ow-bofc": BOB_ID})
    expect("alice reads it (bucket-owner-full-control)", get("alice", "ow-bofc", OB) == 200)

    # ---- BucketOwnerEnforced: the bucket's owner owns every object --------------------------
    set_ownership("BucketOwnerEnforced")
    expect_owners("BucketOwnerEnforced: every key is alice's, those written before too",
                  {"by-bob": ALICE_ID, "pref-plain": ALICE_ID, "mpu-bob": ALICE_ID})
    # ACLs are off: the bucket's public-read-write lets bob write no more, a policy does
    doc = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"CanonicalUser": BOB_ID},
        "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
        "Resource": "arn:aws:s3:::%s/*" % OB}]}
    expect_code("a bucket policy lets bob write", alice.put_bucket_policy, 204, Bucket=OB,
                Policy=json.dumps(doc))
    got = code_of(bob.create_multipart_upload, Bucket=OB, Key="enf-mpu")
    expect("bob starts an upload", got[0] == 200, got)
    ups = alice.list_multipart_uploads(Bucket=OB).get("Uploads", [])
    up = [u["UploadId"] for u in ups if u["Key"] == "enf-mpu"]
    got = upload_people(alice, up[0]) if up else None
    expect("ListMultipartUploads under BucketOwnerEnforced: Initiator bob, Owner alice",
           got == (BOB_ID, ALICE_ID), got)
    if up:
        expect_code("bob aborts it", bob.abort_multipart_upload, 204, Bucket=OB,
                    Key="enf-mpu", UploadId=up[0])
    expect_code("DeleteBucketPolicy", alice.delete_bucket_policy, 204, Bucket=OB)
    expect_code("DeleteBucketOwnershipControls", alice.delete_bucket_ownership_controls, 204,
                Bucket=OB)
    expect_owners("without them, by-bob is bob's again", {"by-bob": BOB_ID})


def after_restart():
    expect("anonymous still reads pub (AllUsers READ)", get("anonymous", "pub") == 200)
    expect("bob still reads mpu (his READ grant)", get("bob", "mpu") == 200)
    expect("carol still reads auth (her grant by email)", get("carol", "auth") == 200)
    expect("carol still reads copy-carol", get("carol", "copy-carol") == 200)
    expect("anonymous still may not read pub-copy", get("anonymous", "pub-copy") == 403)
    expect_acl("auth's ACL is whole", alice.get_object_acl, ALICE_ID,
               [(BOB_ID, "READ"), (AUTH, "READ_ACP"), (CAROL_ID, "READ"), (LOG, "WRITE")],
               Bucket=B, Key="auth")
    expect_acl("the bucket's ACL is whole", alice.get_bucket_acl, ALICE_ID,
               [(BOB_ID, "WRITE"), (ALICE_ID, "FULL_CONTROL")], Bucket=B)
    expect_owners("the listing still names each key's owner",
                  {"by-alice": ALICE_ID, "by-bob": BOB_ID, "mpu-bob": BOB_ID,
                   "pref-bofc": ALICE_ID, "pref-plain": BOB_ID, "ow-bofc": BOB_ID})


if __name__ == "__main__":
    {"main": main, "owners": owners,
     "after-restart": after_restart}[os.environ["CAIRN_PHASE"]]()
    raise SystemExit(1 if s3check.FAILED else 0)
