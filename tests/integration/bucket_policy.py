#!/usr/bin/python3
"""tests/integration/bucket_policy.py: bucket policies as S3 applies them (issue 15; run by
test_bucket_policy.sh against a whole cluster). Phases (CAIRN_PHASE):
  main           management (owner only, MalformedPolicy, NoSuchBucketPolicy, status) and the
                 effect of each policy on alice (the owner), bob (another user) and anonymous;
                 it leaves a policy in place that allows everyone s3:GetObject on pol/pub/*
  controls       the public access block (each of its four settings) and the ownership
                 controls (BucketOwnerEnforced: ACLs disabled, the bucket's owner owns all)
  after-restart  that policy, fetched again by a restarted gateway, still decides
Prints ok/FAIL lines. Environment: CAIRN_EP, CAIRN_AK/SK (alice), CAIRN_BOB_AK/SK,
CAIRN_ALICE_ID, CAIRN_BOB_ID, CAIRN_PHASE.
"""
import json
import os
import sys
import time

import botocore

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3check  # noqa: E402
from s3check import bad, code_of, expect, expect_code  # noqa: E402

EP = os.environ["CAIRN_EP"]
ALICE_ID, BOB_ID = os.environ["CAIRN_ALICE_ID"], os.environ["CAIRN_BOB_ID"]
B = "pol"

alice = s3check.client(EP, os.environ["CAIRN_AK"], os.environ["CAIRN_SK"])
bob = s3check.client(EP, os.environ["CAIRN_BOB_AK"], os.environ["CAIRN_BOB_SK"])
anon = s3check.client(EP)
WHO = {"alice": alice, "bob": bob, "anonymous": anon}


def get(who, key):
    return code_of(WHO[who].get_object, Bucket=B, Key=key)[0]


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def put_policy(doc, name):
    st, err = code_of(alice.put_bucket_policy, Bucket=B, Policy=doc)
    expect("PutBucketPolicy: " + name, st == 204, (st, err))
    time.sleep(0.2)


ARN = "arn:aws:s3:::" + B


def phase_main():
    for c, name in ((alice, "alice"), (bob, "bob")):
        try:
            c.create_bucket(Bucket=B if c is alice else "bobs")
        except botocore.exceptions.ClientError as e:
            bad("create bucket of " + name, e)
    for k in ("pub/a.txt", "secret/b.txt", "c.txt"):
        alice.put_object(Bucket=B, Key=k, Body=b"bytes of " + k.encode())
    expect_code("bob creating alice's bucket: 409 BucketAlreadyExists", bob.create_bucket,
                (409, "BucketAlreadyExists"), Bucket=B)
    expect_code("anonymous ListBuckets: 403 AccessDenied", anon.list_buckets,
                (403, "AccessDenied"))

    # management: none yet, malformed documents, owner only
    expect_code("GetBucketPolicy without one: 404 NoSuchBucketPolicy", alice.get_bucket_policy,
                (404, "NoSuchBucketPolicy"), Bucket=B)
    expect_code("GetBucketPolicyStatus without one: 404 NoSuchBucketPolicy",
                alice.get_bucket_policy_status, (404, "NoSuchBucketPolicy"), Bucket=B)
    expect_code("a policy that is not JSON: 400 MalformedPolicy", alice.put_bucket_policy,
                (400, "MalformedPolicy"), Bucket=B, Policy="not json")
    expect_code("a policy on another bucket's resource: 400 MalformedPolicy",
                alice.put_bucket_policy, (400, "MalformedPolicy"), Bucket=B,
                Policy=policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                               "Resource": "arn:aws:s3:::other/*"}))
    expect_code("an unknown action: 400 MalformedPolicy", alice.put_bucket_policy,
                (400, "MalformedPolicy"), Bucket=B,
                Policy=policy({"Effect": "Allow", "Principal": "*", "Action": "s3:Teleport",
                               "Resource": ARN + "/*"}))
    big = policy(*[{"Sid": "s%d" % i, "Effect": "Allow", "Principal": "*",
                    "Action": "s3:GetObject", "Resource": ARN + "/k%05d" % i}
                   for i in range(400)])
    expect_code("a policy over 20 KiB: 400 MalformedPolicy", alice.put_bucket_policy,
                (400, "MalformedPolicy"), Bucket=B, Policy=big)
    pub = policy({"Sid": "pub", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                  "Resource": ARN + "/pub/*"})
    expect_code("bob may not put a policy on alice's bucket: 403", bob.put_bucket_policy,
                (403, "AccessDenied"), Bucket=B, Policy=pub)
    expect_code("nor may anonymous: 403", anon.put_bucket_policy, 403, Bucket=B, Policy=pub)
    expect("before any policy, anonymous cannot read pub/a.txt", get("anonymous", "pub/a.txt") == 403)

    # 1. everyone may GET under pub/
    put_policy(pub, "Allow * s3:GetObject on pub/*")
    r = alice.get_bucket_policy(Bucket=B)
    expect("GetBucketPolicy returns the document", json.loads(r["Policy"]) == json.loads(pub),
           r.get("Policy"))
    st = alice.get_bucket_policy_status(Bucket=B)["PolicyStatus"]["IsPublic"]
    expect("GetBucketPolicyStatus: IsPublic true", st is True, st)
    expect_code("bob may not read alice's policy: 403", bob.get_bucket_policy, 403, Bucket=B)
    expect("anonymous reads pub/a.txt", get("anonymous", "pub/a.txt") == 200)
    expect("bob reads pub/a.txt", get("bob", "pub/a.txt") == 200)
    expect("anonymous may not read c.txt (outside the prefix)", get("anonymous", "c.txt") == 403)
    expect("bob may not read c.txt", get("bob", "c.txt") == 403)
    expect_code("anonymous may not list the bucket", anon.list_objects_v2, 403, Bucket=B)
    expect_code("anonymous HEAD of pub/a.txt: 200", anon.head_object, 200, Bucket=B,
                Key="pub/a.txt")
    expect_code("anonymous GET of a missing pub/ key: 403 (may not list)", anon.get_object,
                (403, "AccessDenied"), Bucket=B, Key="pub/none")
    expect_code("anonymous may not PUT under pub/", anon.put_object, 403, Bucket=B,
                Key="pub/x", Body=b"x")

    # 2. bob by canonical id: list and read all; everyone denied secret/*, the owner too
    put_policy(policy(
        {"Sid": "bob-read", "Effect": "Allow", "Principal": {"CanonicalUser": BOB_ID},
         "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [ARN, ARN + "/*"]},
        {"Sid": "no-secret", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
         "Resource": ARN + "/secret/*"}), "Allow bob read, Deny * secret/*")
    st = alice.get_bucket_policy_status(Bucket=B)["PolicyStatus"]["IsPublic"]
    expect("GetBucketPolicyStatus: IsPublic false (only bob is allowed)", st is False, st)
    expect("bob reads c.txt", get("bob", "c.txt") == 200)
    expect("bob may not read secret/b.txt (Deny)", get("bob", "secret/b.txt") == 403)
    expect("alice, the owner, may not read secret/b.txt either (explicit Deny)",
           get("alice", "secret/b.txt") == 403)
    expect("anonymous may not read c.txt (bob only)", get("anonymous", "c.txt") == 403)
    expect_code("bob lists the bucket", bob.list_objects_v2, 200, Bucket=B)
    expect_code("bob's GET of a missing key: 404 NoSuchKey (he may list)", bob.get_object,
                (404, "NoSuchKey"), Bucket=B, Key="none")
    expect_code("bob may not write (not granted)", bob.put_object, 403, Bucket=B, Key="w",
                Body=b"w")
    expect_code("bob copies c.txt into his bucket (the source's policy lets him read it)",
                bob.copy_object, 200, Bucket="bobs", Key="copy", CopySource=B + "/c.txt")
    expect_code("bob may not copy secret/b.txt (Deny on the source)", bob.copy_object, 403,
                Bucket="bobs", Key="copy2", CopySource=B + "/secret/b.txt")
    expect_code("alice still reads her policy past the Deny", alice.get_bucket_policy, 200,
                Bucket=B)

    # 3. a Deny of everything binds the owner, who can still manage the policy
    put_policy(policy({"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                       "Resource": [ARN, ARN + "/*"]}), "Deny * s3:*")
    expect("alice may not read c.txt (Deny s3:*)", get("alice", "c.txt") == 403)
    expect_code("alice may not list (Deny s3:*)", alice.list_objects_v2, 403, Bucket=B)
    expect_code("alice still reads the policy", alice.get_bucket_policy, 200, Bucket=B)
    expect_code("alice still deletes the policy: 204", alice.delete_bucket_policy, 204,
                Bucket=B)
    time.sleep(0.2)
    expect("with it gone, alice reads c.txt", get("alice", "c.txt") == 200)
    expect_code("GetBucketPolicy after delete: 404 NoSuchBucketPolicy", alice.get_bucket_policy,
                (404, "NoSuchBucketPolicy"), Bucket=B)
    expect_code("a second delete: 204 too", alice.delete_bucket_policy, 204, Bucket=B)

    # 4. aws:SourceIp: the cluster is reached from 127.0.0.1
    put_policy(policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": ARN + "/*",
                       "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}}),
               "Allow * from 127.0.0.0/8")
    expect("anonymous from 127.0.0.1 reads c.txt", get("anonymous", "c.txt") == 200)
    put_policy(policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": ARN + "/*",
                       "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.1/32"]}}}),
               "Allow * from 10.0.0.0/8")
    expect("anonymous from 127.0.0.1 may not read c.txt", get("anonymous", "c.txt") == 403)
    put_policy(policy({"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": ARN + "/*",
                       "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}),
               "Deny * not from 10.0.0.0/8")
    expect("alice from 127.0.0.1 may not read c.txt (NotIpAddress Deny)",
           get("alice", "c.txt") == 403)

    # 5. NotPrincipal: deny everyone but alice, even on a public-read object
    alice.put_object(Bucket=B, Key="open.txt", Body=b"open", ACL="public-read")
    put_policy(policy({"Effect": "Deny", "NotPrincipal": {"CanonicalUser": ALICE_ID},
                       "Action": "s3:GetObject", "Resource": ARN + "/*"}),
               "Deny NotPrincipal alice")
    expect("alice reads open.txt", get("alice", "open.txt") == 200)
    expect("bob may not read the public-read open.txt", get("bob", "open.txt") == 403)
    expect("nor may anonymous", get("anonymous", "open.txt") == 403)

    # 6. s3:prefix on ListBucket; PutObject on a prefix
    put_policy(policy(
        {"Effect": "Allow", "Principal": {"AWS": BOB_ID}, "Action": "s3:ListBucket",
         "Resource": ARN, "Condition": {"StringEquals": {"s3:prefix": "pub/"}}},
        {"Effect": "Allow", "Principal": {"AWS": BOB_ID}, "Action": "s3:PutObject",
         "Resource": ARN + "/bob/*"}), "bob: list pub/, put bob/*")
    expect_code("bob lists with prefix pub/", bob.list_objects_v2, 200, Bucket=B, Prefix="pub/")
    expect_code("bob may not list without the prefix", bob.list_objects_v2, 403, Bucket=B)
    expect_code("bob may not list another prefix", bob.list_objects_v2, 403, Bucket=B,
                Prefix="secret/")
    expect_code("bob puts bob/x", bob.put_object, 200, Bucket=B, Key="bob/x", Body=b"x")
    expect_code("bob may not put c2.txt", bob.put_object, 403, Bucket=B, Key="c2.txt", Body=b"x")

    # leave the first policy for the restart phase
    put_policy(pub, "Allow * s3:GetObject on pub/* (kept)")


def phase_controls():
    """The public access block and the ownership controls (after main: the policy that
    allows everyone pub/* is in place, open.txt is public-read, bob may put bob/*)."""
    pab_all = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
               "RestrictPublicBuckets": True}

    def pab(**on):
        cfg = {k: bool(on.get(k, False)) for k in pab_all}
        st, err = code_of(alice.put_public_access_block, Bucket=B,
                          PublicAccessBlockConfiguration=cfg)
        expect("PutPublicAccessBlock %s: 200" % sorted(k for k in on if on[k]), st == 200,
               (st, err))
        time.sleep(0.2)

    expect_code("GetPublicAccessBlock without one: 404", alice.get_public_access_block,
                (404, "NoSuchPublicAccessBlockConfiguration"), Bucket=B)
    expect_code("bob may not put alice's public access block: 403",
                bob.put_public_access_block, 403, Bucket=B,
                PublicAccessBlockConfiguration=pab_all)
    expect("before it, anonymous reads the public-read open.txt", get("anonymous", "open.txt") == 200)

    pab(BlockPublicAcls=True)
    got = alice.get_public_access_block(Bucket=B)["PublicAccessBlockConfiguration"]
    expect("GetPublicAccessBlock returns the settings",
           got == {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
                   "RestrictPublicBuckets": False}, got)
    expect_code("BlockPublicAcls: a PUT with x-amz-acl public-read: 403", alice.put_object,
                (403, "AccessDenied"), Bucket=B, Key="p.txt", Body=b"p", ACL="public-read")
    expect_code("BlockPublicAcls: a private PUT: 200", alice.put_object, 200, Bucket=B,
                Key="p.txt", Body=b"p", ACL="private")
    expect_code("BlockPublicAcls: PutBucketAcl public-read: 403", alice.put_bucket_acl,
                (403, "AccessDenied"), Bucket=B, ACL="public-read")
    expect_code("BlockPublicAcls: PutObjectAcl public-read: 403", alice.put_object_acl,
                (403, "AccessDenied"), Bucket=B, Key="p.txt", ACL="public-read")
    expect("BlockPublicAcls leaves an existing public ACL in force",
           get("anonymous", "open.txt") == 200)

    pab(IgnorePublicAcls=True)
    expect("IgnorePublicAcls: anonymous may not read the public-read open.txt",
           get("anonymous", "open.txt") == 403)
    expect("IgnorePublicAcls: the policy still lets anonymous read pub/a.txt",
           get("anonymous", "pub/a.txt") == 200)

    pab(BlockPublicPolicy=True)
    expect_code("BlockPublicPolicy: a public policy is refused: 403", alice.put_bucket_policy,
                (403, "AccessDenied"), Bucket=B,
                Policy=policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                               "Resource": ARN + "/*"}))
    put_policy(policy({"Effect": "Allow", "Principal": {"AWS": BOB_ID},
                       "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ARN + "/*"}),
               "BlockPublicPolicy lets a policy for bob alone in")

    pab()  # all four off: a public policy may come in again
    put_policy(policy({"Sid": "pub", "Effect": "Allow", "Principal": "*",
                       "Action": "s3:GetObject", "Resource": ARN + "/pub/*"}),
               "the public pub/* policy again")
    pab(RestrictPublicBuckets=True)
    expect("RestrictPublicBuckets: anonymous may not read pub/a.txt through the public policy",
           get("anonymous", "pub/a.txt") == 403)
    expect("RestrictPublicBuckets: bob neither", get("bob", "pub/a.txt") == 403)
    expect("RestrictPublicBuckets: alice, the owner, reads it", get("alice", "pub/a.txt") == 200)
    expect_code("DeletePublicAccessBlock: 204", alice.delete_public_access_block, 204, Bucket=B)
    time.sleep(0.2)
    expect("without it, anonymous reads pub/a.txt again", get("anonymous", "pub/a.txt") == 200)
    expect_code("GetPublicAccessBlock after delete: 404", alice.get_public_access_block,
                (404, "NoSuchPublicAccessBlockConfiguration"), Bucket=B)

    # ownership controls
    expect_code("GetBucketOwnershipControls without them: 404",
                alice.get_bucket_ownership_controls, (404, "OwnershipControlsNotFoundError"),
                Bucket=B)
    put_policy(policy({"Effect": "Allow", "Principal": {"AWS": BOB_ID}, "Action": "s3:PutObject",
                       "Resource": ARN + "/bob/*"},
                      {"Sid": "pub", "Effect": "Allow", "Principal": "*",
                       "Action": "s3:GetObject", "Resource": ARN + "/pub/*"}),
               "bob may put bob/*; everyone reads pub/*")
    bob.put_object(Bucket=B, Key="bob/mine.txt", Body=b"bob's")
    expect("ObjectWriter: alice may not read bob's private bob/mine.txt",
           get("alice", "bob/mine.txt") == 403)
    st, err = code_of(alice.put_bucket_ownership_controls, Bucket=B,
                      OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    expect("PutBucketOwnershipControls BucketOwnerEnforced: 200", st == 200, (st, err))
    time.sleep(0.2)
    got = alice.get_bucket_ownership_controls(Bucket=B)["OwnershipControls"]["Rules"]
    expect("GetBucketOwnershipControls returns it",
           got == [{"ObjectOwnership": "BucketOwnerEnforced"}], got)
    expect("BucketOwnerEnforced: alice owns and reads bob/mine.txt",
           get("alice", "bob/mine.txt") == 200)
    expect("BucketOwnerEnforced: the public-read ACL of open.txt is ignored",
           get("anonymous", "open.txt") == 403)
    expect_code("BucketOwnerEnforced: a PUT with x-amz-acl public-read: 400",
                alice.put_object, (400, "AccessControlListNotSupported"), Bucket=B,
                Key="q.txt", Body=b"q", ACL="public-read")
    expect_code("BucketOwnerEnforced: PutObjectAcl public-read: 400", alice.put_object_acl,
                (400, "AccessControlListNotSupported"), Bucket=B, Key="p.txt",
                ACL="public-read")
    bob.put_object(Bucket=B, Key="bob/later.txt", Body=b"later")
    expect("BucketOwnerEnforced: what bob writes now is alice's",
           get("alice", "bob/later.txt") == 200)
    expect_code("bob may not manage the ownership controls: 403",
                bob.delete_bucket_ownership_controls, 403, Bucket=B)
    expect_code("DeleteBucketOwnershipControls: 204", alice.delete_bucket_ownership_controls,
                204, Bucket=B)
    time.sleep(0.2)
    expect("without them, anonymous reads the public-read open.txt again",
           get("anonymous", "open.txt") == 200)
    put_policy(policy({"Sid": "pub", "Effect": "Allow", "Principal": "*",
                       "Action": "s3:GetObject", "Resource": ARN + "/pub/*"}),
               "Allow * s3:GetObject on pub/* (kept)")


def phase_after_restart():
    time.sleep(0.5)
    r = alice.get_bucket_policy(Bucket=B)
    expect("after a gateway restart, GetBucketPolicy returns the policy",
           "pub/*" in r["Policy"], r.get("Policy"))
    expect("anonymous still reads pub/a.txt", get("anonymous", "pub/a.txt") == 200)
    expect("anonymous still may not read c.txt", get("anonymous", "c.txt") == 403)


{"main": phase_main, "controls": phase_controls,
 "after-restart": phase_after_restart}[os.environ["CAIRN_PHASE"]]()
sys.exit(1 if s3check.FAILED else 0)
