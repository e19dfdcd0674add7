#!/usr/bin/python3
"""scripts/lib/old_data_fill.py: writes the objects of an old-data fixture through S3 and
records them (run by scripts/make-old-data-fixture against a cluster of the old release).

Users alice, bob and carol, made by cairn-adm beforehand (carol with an e-mail address and
alice with a second access key where the release has them). Buckets (owner, canned ACL):
  alice-private   alice  private       S3 CreateBucket
  alice-public    alice  public-read   S3 CreateBucket with x-amz-acl
  alice-shared    alice  public-read-write  S3 CreateBucket, PutBucketAcl; bob writes into it
  bob-private     bob    private       S3 CreateBucket
  bob-public      bob    public-read   cairn-adm add-bucket + update-acl (made by the caller)
Objects: small ones with object ACLs private and public-read (also a private one in a public
bucket and a public one in a private bucket), user metadata and a Content-Type, chunked
ones (over the gateway's chunk_size), a multipart upload of two parts, an overwritten key
(the second body counts), a deleted key (must stay gone) and keys with spaces, '+' and
non-ASCII characters. Every object is read back through the old gateway before it is
recorded, so the manifest says what the old release served.

Then the formats of later releases, each step only as far as the release takes it (try_step:
a step that the release refuses or ignores is undone and named in the manifest's
"fill_steps" with the reason; what is recorded is what worked):
  second access key  alice's second key (made by the caller) signs
  object grants      alice-grants: bucket grants (READ to bob by id and carol by e-mail);
                     objects with x-amz-grant-read to bob's canonical id, to AllUsers, to
                     AuthenticatedUsers, and to carol by e-mail (metadata format 3, :grants)
  bucket policy      alice-policy: bob may s3:GetObject under shared/ (manager record p/)
  bucket controls    alice-controls: a public access block and ownership controls (x/)
  tags               bob-tags: bucket tags; object tags by x-amz-tagging (small, chunked) and
                     by PutObjectTagging (the :tags metadata pair)
  versioning         alice-versions, Enabled: a null version from before versioning, four
                     versions of doc.bin (small and chunked; the third deleted for good), a
                     delete marker over gone.txt, a null version written while Suspended
  cors               bob-cors: two CORS rules (config "cors"), and what three preflights got
  lifecycle          carol-lifecycle: four rules (config "lifecycle"; Expiration after 3650
                     days, so no lifecycle worker ever acts on the fixture; a tag filter, a
                     Disabled rule, AbortIncompleteMultipartUpload), objects under them (the
                     x-amz-expiration HEAD answered) and an incomplete multipart upload
  object lock        alice-locked, created with Object Lock: a plain key of two versions, a
                     version under a legal hold, a default retention (GOVERNANCE, 100 years)
                     that a later version gets, a version under COMPLIANCE retention until
                     2099 (PutObjectRetention); deletes of the locked versions refused
  logging            alice-logged logs into alice-logs under access/alice-logged/ (config
                     "logging"); an object written after it leaves its PUT in the gateway's
                     access-log queue (delivered by the next gateway that runs on the data)
  sse                alice-sse: under each mode of server-side encryption (SSE-C with a
                     customer key the manifest records, SSE-S3, SSE-KMS with the key
                     fixture-key that cairn-adm kms-create-key makes; CAIRN_ADM) a small
                     object, a chunked one and a multipart one (manifest format 2 with an
                     encryption record); bob-sse-default: a default encryption (SSE-KMS,
                     config "encryption") and an object written without headers; fixture-key
                     rotated (kms-rotate-key) and one more SSE-KMS object written after
  erasure coding     ec21 with the redundancy policy ec:2+1 (cairn-adm set-bucket-redundancy;
                     CAIRN_ADM), once the gateway codes its writes: objects coded as one
                     chunk, five and 33 chunks, a multipart upload with a coded and a
                     replicated part (manifest format 3, fragment records) and a small
                     replicated object, each coded one checked with the release's whereis

The content is deterministic (no randomness) but never periodic at a chunk boundary, so a
chunk served twice or out of order changes the MD5; the large parts are mostly zeros so that
the fixture's tarball stays small (encrypted ones do not compress: the sse step keeps them
near one chunk).

Environment: CAIRN_EP (S3 endpoint), CAIRN_USERS (JSON file: [{"name", "access_key",
"secret", "email"?, "keys"?: [{"access_key", "secret"}]}...]), CAIRN_CHUNK_SIZE (the
gateway's chunk_size in bytes), CAIRN_ADM (a command that runs the release's cairn-adm on the
cluster; without it the sse and erasure coding steps are skipped). Argument: the path of the
JSON fragment to write
({"buckets", "objects", "deleted", "users" (as given, without keys that did not sign),
"versions" (ListObjectVersions' entries in order: key, version_id, marker, latest, md5,
size, etag, kind; in a bucket with Object Lock also retention ({"Mode", "RetainUntilDate"}
in ISO 8601, or None) and legal_hold ("ON", "OFF" or None)), "deleted_versions", "uploads"
(incomplete multipart uploads: bucket, key, upload_id, owner, content_type, parts [{"part",
"etag", "size", "md5"}]), "kms_keys" (the key service's keys as kms-list-keys listed them:
[{"name", "epochs"}]), "fill_steps" ({"done", "skipped"})}). Buckets may carry grants +
grant_read, policy + policy_allows, public_access_block, ownership, tags, versioning, cors +
cors_preflights ([{"key", "origin", "method", "status", "allow_origin", "allow_methods"}]),
lifecycle (the rules as GetBucketLifecycleConfiguration answered them), object_lock (as
GetObjectLockConfiguration answered it), logging ({"TargetBucket", "TargetPrefix"}) and
log_prefixes (keys under them are access logs, not the fill's), encryption (the rules as
GetBucketEncryption answered them) and redundancy (the policy set: "ec:2+1"); objects grants
+ grant_read, tags, version_id, expiration (HEAD's x-amz-expiration, "" for none), sse (the
encryption record of scripts/lib/sse_record.py: mode, customer key, KMS key) and ec (an
erasure-coded object: {"k", "m", "chunks"}, its coded chunks as whereis listed them). Exits
non-zero when the old release did not take or serve something of the first release's as written.
"""
import datetime
import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import quote, unquote

import boto3
import botocore
from botocore.config import Config

import sse_record
from list_versions import list_versions

EP = os.environ["CAIRN_EP"]
CHUNK = int(os.environ["CAIRN_CHUNK_SIZE"])
USERS = {u["name"]: u for u in json.load(open(os.environ["CAIRN_USERS"]))}


def client(name):
    u = USERS[name]
    return boto3.client("s3", endpoint_url=EP, aws_access_key_id=u["access_key"],
                        aws_secret_access_key=u["secret"], region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"},
                                      retries={"max_attempts": 3}))


S3 = {name: client(name) for name in USERS}
# canonical user ids as each user's ListBuckets says (an access key before issue 12)
IDS = {name: c.list_buckets()["Owner"]["ID"] for name, c in S3.items()}


def sparse_body(tag, size):
    """size bytes: a 64-byte header naming tag and the 4 KiB block, then zeros, per block."""
    out = bytearray(size)
    for off in range(0, size, 4096):
        head = ("%s block %08d " % (tag, off // 4096)).encode().ljust(64, b".")
        out[off:off + 64] = head[:max(0, min(64, size - off))]
    return bytes(out)


def text_body(tag, size):
    """size bytes of numbered lines (compressible, every line different)."""
    lines, n = [], 0
    while sum(len(x) for x in lines) < size:
        lines.append(("%s line %07d: the quick brown fox jumps over the lazy dog\n" %
                      (tag, n)).encode())
        n += 1
    return b"".join(lines)[:size]


def die(msg):
    print("old_data_fill: " + msg, file=sys.stderr)
    sys.exit(1)


buckets, objects, deleted = [], [], []
# what the steps after the first release's (try_step) wrote, recorded and skipped
made_buckets, created, versions, deleted_versions, uploads = [], [], [], [], []
steps = {"done": [], "skipped": {}}


def bucket(owner, name, acl, how="create"):
    """how: create (CreateBucket, x-amz-acl unless private), lock (CreateBucket with
    x-amz-bucket-object-lock-enabled: true), put-acl (CreateBucket, then PutBucketAcl) or adm
    (made by the caller with cairn-adm)."""
    if how == "create":
        S3[owner].create_bucket(Bucket=name, **({"ACL": acl} if acl != "private" else {}))
    elif how == "lock":
        S3[owner].create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    elif how == "put-acl":
        S3[owner].create_bucket(Bucket=name)
    if how != "adm":  # made: a failed step deletes it
        made_buckets.append((owner, name))
    if how == "put-acl":
        S3[owner].put_bucket_acl(Bucket=name, ACL=acl)
    got = S3[owner].get_bucket_acl(Bucket=name)
    buckets.append({"name": name, "owner": owner, "acl": acl,
                    "old_owner_id": got["Owner"]["ID"]})


def record(bucket_name, key, body, writer, acl, content_type, metadata, kind, **extra):
    """Reads the object back as its writer and records it, with its owner as the release
    says (GetObjectAcl's Owner DisplayName, asked as the writer, else as the bucket owner):
    before issue 12 every object is its bucket owner's, from it the writer's."""
    owner = next(b["owner"] for b in buckets if b["name"] == bucket_name)
    for asker in (writer, owner):
        try:
            said = S3[asker].get_object_acl(Bucket=bucket_name, Key=key)["Owner"]
        except Exception:  # noqa: BLE001 - a release that refuses this asker: try the next
            continue
        if said.get("DisplayName") in USERS:
            owner = said["DisplayName"]
            break
    got = S3[writer].get_object(Bucket=bucket_name, Key=key,
                                **sse_record.read_kw(extra.get("sse")))
    data = got["Body"].read()
    if data != body:
        die("%s/%s: the old gateway served other bytes (%d, want %d)" %
            (bucket_name, key, len(data), len(body)))
    if got["ContentType"] != content_type or got["Metadata"] != metadata:
        die("%s/%s: the old gateway served %r %r" % (bucket_name, key, got["ContentType"],
                                                    got["Metadata"]))
    objects.append({"bucket": bucket_name, "key": key, "size": len(body),
                    "md5": hashlib.md5(body).hexdigest(), "etag": got["ETag"].strip('"'),
                    "content_type": content_type, "metadata": metadata, "acl": acl,
                    "owner": owner, "writer": writer, "kind": kind, **extra})


def put(bucket_name, key, body, writer, acl="private", content_type="binary/octet-stream",
        metadata=None, kind="small"):
    kw = {"ContentType": content_type, "Metadata": metadata or {}}
    if acl != "private":
        kw["ACL"] = acl
    S3[writer].put_object(Bucket=bucket_name, Key=key, Body=body, **kw)
    created.append((bucket_name, key))
    record(bucket_name, key, body, writer, acl, content_type, metadata or {}, kind)


def multipart(bucket_name, key, parts, writer, content_type, metadata):
    c = S3[writer]
    up = c.create_multipart_upload(Bucket=bucket_name, Key=key, ContentType=content_type,
                                   Metadata=metadata)
    done = []
    for i, body in enumerate(parts, 1):
        r = c.upload_part(Bucket=bucket_name, Key=key, UploadId=up["UploadId"], PartNumber=i,
                          Body=body)
        done.append({"PartNumber": i, "ETag": r["ETag"]})
    c.complete_multipart_upload(Bucket=bucket_name, Key=key, UploadId=up["UploadId"],
                                MultipartUpload={"Parts": done})
    record(bucket_name, key, b"".join(parts), writer, "private", content_type, metadata,
           "multipart")


# ---- the formats after the first fixtures (issues 15 and 16) --------------------------------
# Each step runs only as far as the release takes it: try_step records what a step wrote when
# the whole step worked, and otherwise deletes what it wrote and notes why in the manifest's
# "fill_steps" (an older release refuses the request, answers 501, or ignores what it asked).

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
GROUPS = {ALL_USERS: "AllUsers", AUTH_USERS: "AuthenticatedUsers"}


class Skip(Exception):
    """The release does not do what a step asked."""


def marks():
    return [len(x) for x in (buckets, objects, deleted, made_buckets, created, versions,
                             deleted_versions, uploads)]


def delete_version(c, name, key, vid):
    """Deletes one version, past a GOVERNANCE retention (the owner's bypass) and a legal hold
    (removed first) where the release has Object Lock; a COMPLIANCE one stays."""
    try:
        c.delete_object(Bucket=name, Key=key, VersionId=vid, BypassGovernanceRetention=True)
    except botocore.exceptions.ClientError:
        try:
            c.put_object_legal_hold(Bucket=name, Key=key, VersionId=vid,
                                    LegalHold={"Status": "OFF"})
        except botocore.exceptions.ClientError:
            pass
        c.delete_object(Bucket=name, Key=key, VersionId=vid, BypassGovernanceRetention=True)


def empty_bucket(owner, name):
    """Deletes every version (else every object) of a bucket a failed step made."""
    c = S3[owner]
    try:
        listed = list_versions(c, name)
    except botocore.exceptions.ClientError:
        for o in c.list_objects_v2(Bucket=name).get("Contents", []):
            c.delete_object(Bucket=name, Key=o["Key"])
        return
    for v in listed:
        delete_version(c, name, v["key"], v["version_id"])


def undo(mark):
    """Deletes what was written since mark (best effort) and forgets its records."""
    for u in uploads[mark[7]:]:
        try:
            S3[u["owner"]].abort_multipart_upload(Bucket=u["bucket"], Key=u["key"],
                                                  UploadId=u["upload_id"])
        except botocore.exceptions.ClientError as e:
            print("old_data_fill: could not abort %s/%s: %s" % (u["bucket"], u["key"], e),
                  file=sys.stderr)
    gone = set()
    for owner, name in reversed(made_buckets[mark[3]:]):
        try:
            empty_bucket(owner, name)
            S3[owner].delete_bucket(Bucket=name)
        except botocore.exceptions.ClientError as e:
            print("old_data_fill: could not delete bucket %s: %s" % (name, e), file=sys.stderr)
        gone.add(name)
    for b, key in created[mark[4]:]:
        if b not in gone:
            owner = next(x["owner"] for x in buckets if x["name"] == b)
            try:
                S3[owner].delete_object(Bucket=b, Key=key, BypassGovernanceRetention=True)
            except botocore.exceptions.ClientError as e:
                print("old_data_fill: could not delete %s/%s: %s" % (b, key, e), file=sys.stderr)
    for lst, n in zip((buckets, objects, deleted, made_buckets, created, versions,
                       deleted_versions, uploads), mark):
        del lst[n:]


def try_step(name, fn, *args):
    """Runs fn(*args); on Skip or an S3 error undoes what it wrote. Returns 1 when fn ran
    through, else 0."""
    mark = marks()
    try:
        fn(*args)
    except (Skip, botocore.exceptions.ClientError) as e:
        undo(mark)
        steps["skipped"][name] = str(e)[:300]
        print("old_data_fill: skipped %s: %s" % (name, e), file=sys.stderr)
        return 0
    steps["done"].append(name)
    return 1


def until(fn, secs=20):
    """fn() until it returns true (the gateway learns users, keys and bucket settings from the
    manager within a heartbeat or two); returns its last result."""
    deadline = time.time() + secs
    while True:
        res = fn()
        if res or time.time() > deadline:
            return res
        time.sleep(0.3)


def settle(check, secs=20):
    """check() (a reason, "" when all is well) until it says nothing; returns its last reason."""
    why = [""]

    def once():
        why[0] = check()
        return not why[0]
    until(once, secs)
    return why[0]


def status_of(fn, **kw):
    try:
        fn(**kw)
        return 200
    except botocore.exceptions.ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"]


def anon_get(bucket_name, key):
    """An anonymous GET's status."""
    try:
        return urllib.request.urlopen("%s/%s/%s" % (EP, bucket_name, quote(key)),
                                      timeout=20).status
    except urllib.error.HTTPError as e:
        return e.code


def readers_ok(bucket_name, key, readers):
    """Anonymous (None) and every user but the owner read bucket_name/key as readers
    says: 200 for those in it, 403 for the others."""
    owner = next(b["owner"] for b in buckets if b["name"] == bucket_name)
    for who in [None] + [u for u in USERS if u != owner]:
        st = anon_get(bucket_name, key) if who is None else status_of(
            S3[who].get_object, Bucket=bucket_name, Key=key)
        if st != (200 if who in readers else 403):
            return "%s reads %s/%s: %s" % (who or "anonymous", bucket_name, key, st)
    return ""


def second_keys():
    """Each extra key the caller made (cairn-adm create-access-key) signs as its user."""
    for u in USERS.values():
        for k in u.get("keys", []):
            c = boto3.client("s3", endpoint_url=EP, aws_access_key_id=k["access_key"],
                             aws_secret_access_key=k["secret"], region_name="us-east-1",
                             config=Config(s3={"addressing_style": "path"}))
            if not until(lambda: status_of(c.list_buckets) == 200):
                raise Skip("%s's key %s does not sign" % (u["name"], k["access_key"]))


def shown_grants(res):
    """GetObjectAcl's grants with user names for canonical ids and group names for URIs."""
    out = []
    for g in res["Grants"]:
        ge = g["Grantee"]
        if "URI" in ge:
            out.append({"group": GROUPS.get(ge["URI"], ge["URI"]), "permission": g["Permission"]})
        else:
            name = next((n for n, i in IDS.items() if i == ge.get("ID")), ge.get("ID"))
            out.append({"user": name, "permission": g["Permission"]})
    return sorted(out, key=lambda g: (g.get("user", ""), g.get("group", ""), g["permission"]))


def granted(bucket_name, key, body, grantee, shown_as, readers):
    """alice writes key with FULL_CONTROL for herself and READ for grantee (an x-amz-grant-read
    value), which GetObjectAcl must show as shown_as; readers: who may read it then."""
    c = S3["alice"]

    def put_it():
        return c.put_object(Bucket=bucket_name, Key=key, Body=body, ContentType="text/plain",
                            GrantRead=grantee, GrantFullControl='id="%s"' % IDS["alice"])
    # the gateway learns e-mail addresses with the users table: wait for it
    if not until(lambda: status_of(put_it) == 200, 20 if "emailAddress" in grantee else 0):
        put_it()  # raises the release's answer
    created.append((bucket_name, key))
    shown = shown_grants(c.get_object_acl(Bucket=bucket_name, Key=key))
    if shown_as not in shown:
        raise Skip("GetObjectAcl of %s shows %s, not %s" % (key, shown, shown_as))
    why = settle(lambda: readers_ok(bucket_name, key, readers), 5)
    if why:
        raise Skip("the grant %s did not decide access: %s" % (grantee, why))
    record(bucket_name, key, body, "alice", "grants", "text/plain", {}, "small", grants=shown,
           grant_read=grantee)


def listers_ok(b, listers):
    """Anonymous (None) and every user but the owner list b as listers says."""
    owner = next(x["owner"] for x in buckets if x["name"] == b)
    for who in [None] + [u for u in USERS if u != owner]:
        st = anon_get(b, "") if who is None else status_of(S3[who].list_objects_v2, Bucket=b)
        if st != (200 if who in listers else 403):
            return "%s lists %s: %s" % (who or "anonymous", b, st)
    return ""


def bucket_grants(b):
    """PutBucketAcl with x-amz-grant-read to bob's canonical id and carol's e-mail address (a
    bucket record's grant list, manager state format 4)."""
    listers = ["bob"] + (["carol"] if "email" in USERS.get("carol", {}) else [])
    read = ", ".join(['id="%s"' % IDS["bob"]] + ['emailAddress="%s"' % USERS[u]["email"]
                                                  for u in listers[1:]])
    S3["alice"].put_bucket_acl(Bucket=b, GrantRead=read,
                               GrantFullControl='id="%s"' % IDS["alice"])
    shown = shown_grants(S3["alice"].get_bucket_acl(Bucket=b))
    if any({"user": u, "permission": "READ"} not in shown for u in listers):
        raise Skip("GetBucketAcl of %s shows %s" % (b, shown))
    why = settle(lambda: listers_ok(b, listers))
    if why:
        raise Skip("the bucket's grants did not decide listing: %s" % why)
    entry = next(x for x in buckets if x["name"] == b)
    entry.update(grants=shown, grant_read=read)


def grants():
    """Bucket grants, and objects with x-amz-grant-read to a user's canonical id, by e-mail,
    and to the groups AllUsers and AuthenticatedUsers (object metadata format 3, :grants)."""
    bucket("alice", "alice-grants", "private")
    try_step("bucket grants", bucket_grants, "alice-grants")
    everyone = [None] + [u for u in USERS if u != "alice"]
    read = lambda **g: dict(g, permission="READ")
    try_step("grant by canonical id", granted, "alice-grants", "to-bob.txt",
             b"alice lets bob read this\n", 'id="%s"' % IDS["bob"], read(user="bob"), ["bob"])
    try_step("grant to AllUsers", granted, "alice-grants", "to-everyone.txt",
             b"alice lets everyone read this\n", 'uri="%s"' % ALL_USERS,
             read(group="AllUsers"), everyone)
    try_step("grant to AuthenticatedUsers", granted, "alice-grants", "to-signed-in.txt",
             b"alice lets every signed-in user read this\n", 'uri="%s"' % AUTH_USERS,
             read(group="AuthenticatedUsers"), everyone[1:])
    if "email" in USERS.get("carol", {}):
        try_step("grant by e-mail", granted, "alice-grants", "to-carol.txt",
                 b"alice lets carol read this, named by her e-mail address\n",
                 'emailAddress="%s"' % USERS["carol"]["email"], read(user="carol"), ["carol"])
    if not any(o["bucket"] == "alice-grants" for o in objects) and \
            "grants" not in next(x for x in buckets if x["name"] == "alice-grants"):
        raise Skip("no grant took")


def policy():
    """A bucket policy that lets bob s3:GetObject under shared/ (manager record p/<bucket>)."""
    b = "alice-policy"
    bucket("alice", b, "private")
    put(b, "shared/for-bob.txt", b"bob may read this through the bucket policy\n", "alice",
        content_type="text/plain")
    put(b, "private/not-for-bob.txt", b"the policy does not reach this\n", "alice",
        content_type="text/plain")
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "bob-reads-shared", "Effect": "Allow", "Principal": {"CanonicalUser": IDS["bob"]},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::%s/shared/*" % b}]})
    S3["alice"].put_bucket_policy(Bucket=b, Policy=doc)
    got = S3["alice"].get_bucket_policy(Bucket=b)["Policy"]
    if json.loads(got) != json.loads(doc):
        raise Skip("GetBucketPolicy answered %s" % got)
    why = settle(lambda: readers_ok(b, "shared/for-bob.txt", ["bob"]) or
                 readers_ok(b, "private/not-for-bob.txt", []))
    if why:
        raise Skip("the policy did not decide access: %s" % why)
    entry = next(x for x in buckets if x["name"] == b)
    entry["policy"] = doc
    entry["policy_allows"] = [{"user": "bob", "action": "s3:GetObject", "prefix": "shared/"}]


PAB = {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True,
       "RestrictPublicBuckets": False}


def public_access_block(b):
    S3["alice"].put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=PAB)
    got = S3["alice"].get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"]
    if got != PAB:
        raise Skip("GetPublicAccessBlock answered %s" % got)
    if not until(lambda: status_of(S3["alice"].put_object, Bucket=b, Key="refused.txt",
                                   Body=b"x", ACL="public-read") == 403, 10):
        S3["alice"].delete_object(Bucket=b, Key="refused.txt")
        created.append((b, "refused.txt"))
        raise Skip("BlockPublicAcls let a public-read PUT through")
    next(x for x in buckets if x["name"] == b)["public_access_block"] = PAB


def ownership(b):
    rules = [{"ObjectOwnership": "BucketOwnerPreferred"}]
    S3["alice"].put_bucket_ownership_controls(Bucket=b, OwnershipControls={"Rules": rules})
    got = S3["alice"].get_bucket_ownership_controls(Bucket=b)["OwnershipControls"]["Rules"]
    if got != rules:
        raise Skip("GetBucketOwnershipControls answered %s" % got)
    next(x for x in buckets if x["name"] == b)["ownership"] = rules[0]["ObjectOwnership"]


def controls():
    """A public access block and ownership controls on one bucket (x/<bucket>/<name>)."""
    b = "alice-controls"
    bucket("alice", b, "private")
    put(b, "inside.txt", b"an object in a bucket with controls\n", "alice",
        content_type="text/plain")
    if not try_step("public access block", public_access_block, b) + \
            try_step("ownership controls", ownership, b):
        raise Skip("neither control took")


def tag_pairs(tagset):
    return [[t["Key"], t["Value"]] for t in tagset]


def bucket_tags(b):
    tags = [{"Key": "team", "Value": "storage"}, {"Key": "cost center", "Value": "42/b+c"}]
    S3["bob"].put_bucket_tagging(Bucket=b, Tagging={"TagSet": tags})
    got = S3["bob"].get_bucket_tagging(Bucket=b)["TagSet"]
    if sorted(tag_pairs(got)) != sorted(tag_pairs(tags)):
        raise Skip("GetBucketTagging answered %s" % got)
    next(x for x in buckets if x["name"] == b)["tags"] = tag_pairs(tags)


def object_tags(b):
    """Tags by x-amz-tagging (a small and a chunked object) and by PutObjectTagging."""
    c = S3["bob"]
    for key, body, header, kind in (
            ("tagged.txt", b"an object with tags\n", "color=blue&note=a%20b%2Bc%2F%C3%BC",
             "small"),
            ("tagged-big.bin", sparse_body("bob-tags/tagged-big.bin", 2 * CHUNK + 99),
             "kind=chunked&empty=", "chunked")):
        c.put_object(Bucket=b, Key=key, Body=body, Tagging=header,
                     ContentType="binary/octet-stream")
        created.append((b, key))
        got = tag_pairs(c.get_object_tagging(Bucket=b, Key=key)["TagSet"])
        want = [[unquote(x) for x in kv.split("=", 1)] for kv in header.split("&")]
        if got != want:
            raise Skip("GetObjectTagging of %s answered %s, want %s" % (key, got, want))
        record(b, key, body, "bob", "private", "binary/octet-stream", {}, kind, tags=want)
    put(b, "retagged.txt", b"tags set after the write\n", "bob", content_type="text/plain")
    want = [["stage", "reviewed"], ["owner", "bob"]]
    c.put_object_tagging(Bucket=b, Key="retagged.txt", Tagging={
        "TagSet": [{"Key": k, "Value": v} for k, v in want]})
    got = tag_pairs(c.get_object_tagging(Bucket=b, Key="retagged.txt")["TagSet"])
    if got != want:
        raise Skip("GetObjectTagging of retagged.txt answered %s" % got)
    objects[-1]["tags"] = want


def tags():
    """Bucket tags and object tags (the :tags metadata pair)."""
    b = "bob-tags"
    bucket("bob", b, "private")
    if not try_step("bucket tags", bucket_tags, b) + try_step("object tags", object_tags, b):
        raise Skip("no tags took")


def set_versioning(b, status):
    S3["alice"].put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": status})
    got = S3["alice"].get_bucket_versioning(Bucket=b).get("Status")
    if got != status:
        raise Skip("GetBucketVersioning answered %s after %s" % (got, status))


def put_version(b, key, body, kind, want_null=False):
    """alice writes a version of b/key; returns its ID as the release answered it."""
    vid = S3["alice"].put_object(Bucket=b, Key=key, Body=body,
                                 ContentType="binary/octet-stream").get("VersionId", "null")
    created.append((b, key))
    if (vid == "null") != want_null:
        raise Skip("PUT %s answered version %s" % (key, vid))
    versions.append({"bucket": b, "key": key, "version_id": vid, "marker": False,
                     "md5": hashlib.md5(body).hexdigest(), "size": len(body), "kind": kind,
                     "body": body})
    return vid


def versioning():
    """A bucket with versioning Enabled: a null version written before versioning, several
    versions of a key (small and chunked), one of them deleted for good, a delete marker, and
    a null version written while versioning was Suspended. The manifest's "versions" are what
    ListObjectVersions said, in its order, each read back by its ID."""
    b = "alice-versions"
    bucket("alice", b, "private")
    put_version(b, "before.txt", b"written before the bucket had versioning\n", "small",
                want_null=True)
    set_versioning(b, "Enabled")
    put_version(b, "before.txt", b"the version after it\n", "small")
    put_version(b, "doc.bin", b"doc, version 1 (small)\n", "small")
    put_version(b, "doc.bin", sparse_body("alice-versions/doc.bin v2", 2 * CHUNK + 333), "chunked")
    gone = put_version(b, "doc.bin", b"doc, version 3, deleted for good\n", "small")
    put_version(b, "doc.bin", sparse_body("alice-versions/doc.bin v4", 3 * CHUNK + 7), "chunked")
    r = S3["alice"].delete_object(Bucket=b, Key="doc.bin", VersionId=gone)
    if r.get("VersionId", gone) != gone or r.get("DeleteMarker"):
        raise Skip("DELETE of version %s answered %s" % (gone, r))
    versions[:] = [v for v in versions if v["version_id"] != gone]
    deleted_versions.append({"bucket": b, "key": "doc.bin", "version_id": gone})
    put_version(b, "gone.txt", b"deleted later: a delete marker hides this\n", "small")
    r = S3["alice"].delete_object(Bucket=b, Key="gone.txt")
    if not r.get("DeleteMarker") or not r.get("VersionId"):
        raise Skip("DELETE of gone.txt made no delete marker: %s" % r)
    versions.append({"bucket": b, "key": "gone.txt", "version_id": r["VersionId"],
                     "marker": True})
    set_versioning(b, "Suspended")
    put_version(b, "suspended.txt", b"written while versioning was Suspended\n", "small",
                want_null=True)
    set_versioning(b, "Enabled")
    put_version(b, "suspended.txt", b"written after versioning was Enabled again\n", "small")
    if status_of(S3["alice"].get_object, Bucket=b, Key="gone.txt") != 404:
        raise Skip("GET gone.txt (its latest a delete marker) is not 404")
    deleted.append({"bucket": b, "key": "gone.txt"})
    listed_versions(b)
    next(x for x in buckets if x["name"] == b)["versioning"] = "Enabled"


def listed_versions(b):
    """The versions alice wrote into b (put_version) are exactly what the release lists,
    IsLatest as written, each read back by its ID: recorded in ListObjectVersions' order (with
    its ETags), and the latest of each key as an object."""
    mine = {(v["key"], v["version_id"]): v for v in versions if v["bucket"] == b}
    listed = list_versions(S3["alice"], b)
    if sorted((x["key"], x["version_id"]) for x in listed) != sorted(mine) or \
            any(x["marker"] != mine[(x["key"], x["version_id"])]["marker"] for x in listed):
        raise Skip("ListObjectVersions listed %s" % [(x["key"], x["version_id"]) for x in listed])
    newest = {}
    for v in versions:  # the last one written of each key is its latest
        if v["bucket"] == b:
            newest[v["key"]] = v["version_id"]
    for x in listed:
        if x["latest"] != (newest[x["key"]] == x["version_id"]):
            raise Skip("ListObjectVersions: %s %s IsLatest %s" % (x["key"], x["version_id"],
                                                                  x["latest"]))
    for x in listed:
        v = mine[(x["key"], x["version_id"])]
        v.update(latest=x["latest"], etag=x["etag"])
        if v["marker"]:
            continue
        got = S3["alice"].get_object(Bucket=b, Key=v["key"], VersionId=v["version_id"])
        if hashlib.md5(got["Body"].read()).hexdigest() != v["md5"] or x["size"] != v["size"]:
            raise Skip("version %s of %s does not read back" % (v["version_id"], v["key"]))
    versions[:] = [v for v in versions if v["bucket"] != b] + \
        [mine[(x["key"], x["version_id"])] for x in listed]
    for v in versions:
        if v["bucket"] == b and v["latest"] and not v["marker"]:
            record(b, v["key"], v["body"], "alice", "private", "binary/octet-stream", {},
                   v["kind"], version_id=v["version_id"])
    for v in versions:
        v.pop("body", None)


def entry_of(b):
    return next(x for x in buckets if x["name"] == b)


def preflight(b, key, origin, method):
    """A CORS preflight (OPTIONS, anonymous) of b/key: its status and Access-Control-Allow-
    Origin and -Methods ("" where absent)."""
    req = urllib.request.Request("%s/%s/%s" % (EP, b, quote(key)), method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": method})
    try:
        r = urllib.request.urlopen(req, timeout=20)
    except urllib.error.HTTPError as e:
        r = e
    return {"status": r.status if hasattr(r, "status") else r.code,
            "allow_origin": r.headers.get("Access-Control-Allow-Origin", ""),
            "allow_methods": r.headers.get("Access-Control-Allow-Methods", "")}


CORS_RULES = [
    {"ID": "app", "AllowedHeaders": ["*"], "AllowedMethods": ["GET", "PUT", "HEAD"],
     "AllowedOrigins": ["https://app.example.com"], "ExposeHeaders": ["ETag", "x-amz-meta-a"],
     "MaxAgeSeconds": 600},
    {"AllowedMethods": ["GET"], "AllowedOrigins": ["http://*.example.org"]},
]


def cors():
    """bob-cors: two CORS rules (manager bucket config "cors", x/<bucket>/cors); the manifest
    records them as GetBucketCors answered and what the release answered three preflights."""
    b, c = "bob-cors", S3["bob"]
    bucket("bob", b, "private")
    put(b, "app/page.html", b"<p>a page the app at app.example.com fetches</p>\n", "bob",
        content_type="text/html")
    c.put_bucket_cors(Bucket=b, CORSConfiguration={"CORSRules": CORS_RULES})
    got = c.get_bucket_cors(Bucket=b).get("CORSRules")
    if got != CORS_RULES:
        raise Skip("GetBucketCors answered %s" % got)
    asks = [("https://app.example.com", "PUT", 200), ("http://www.example.org", "GET", 200),
            ("https://elsewhere.example.net", "GET", 403)]
    said = []

    def ask():
        said[:] = [dict(preflight(b, "app/page.html", o, m), key="app/page.html", origin=o,
                        method=m) for o, m, _ in asks]
        return all(x["status"] == st for x, (_, _, st) in zip(said, asks))
    if not until(ask):
        raise Skip("the preflights answered %s" % said)
    entry_of(b).update(cors=got, cors_preflights=said)


LC_RULES = [
    {"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
     "Expiration": {"Days": 3650}},
    {"ID": "expire-scratch", "Status": "Enabled",
     "Filter": {"And": {"Prefix": "t/", "Tags": [{"Key": "class", "Value": "scratch"}]}},
     "Expiration": {"Days": 3650}},
    {"ID": "abort-uploads", "Status": "Enabled", "Filter": {"Prefix": ""},
     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 3650}},
    {"ID": "paused", "Status": "Disabled", "Filter": {"Prefix": "keep/"},
     "Expiration": {"Days": 3650}},
]


def lifecycle():
    """carol-lifecycle: lifecycle rules (manager bucket config "lifecycle", x/<bucket>/
    lifecycle) whose days (3650) the storage nodes' lifecycle worker never reaches, objects
    under them (the x-amz-expiration each HEAD answered is recorded) and an incomplete
    multipart upload of one part that the AbortIncompleteMultipartUpload rule covers."""
    b, c = "carol-lifecycle", S3["carol"]
    bucket("carol", b, "private")
    c.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": LC_RULES})
    got = c.get_bucket_lifecycle_configuration(Bucket=b).get("Rules")
    if got != LC_RULES:
        raise Skip("GetBucketLifecycleConfiguration answered %s" % got)
    put(b, "tmp/scratch.txt", b"expires after ten years (rule expire-tmp)\n", "carol",
        content_type="text/plain")
    put(b, "keep/kept.txt", b"under a Disabled rule: never expires\n", "carol",
        content_type="text/plain")
    put(b, "plain.txt", b"under no rule\n", "carol", content_type="text/plain")
    body = b"tagged scratch: expires after ten years (rule expire-scratch)\n"
    c.put_object(Bucket=b, Key="t/tagged.txt", Body=body, Tagging="class=scratch",
                 ContentType="text/plain")
    created.append((b, "t/tagged.txt"))
    record(b, "t/tagged.txt", body, "carol", "private", "text/plain", {}, "small",
           tags=[["class", "scratch"]])
    for o in objects:
        if o["bucket"] == b:
            o["expiration"] = c.head_object(Bucket=b, Key=o["key"]).get("Expiration", "")
    want = {"tmp/scratch.txt": "expire-tmp", "t/tagged.txt": "expire-scratch"}
    for o in objects:
        rule_id = want.get(o["key"]) if o["bucket"] == b else None
        if o["bucket"] == b and (('rule-id="%s"' % rule_id not in o["expiration"]) if rule_id
                                 else o["expiration"]):
            raise Skip("HEAD %s: x-amz-expiration %r" % (o["key"], o["expiration"]))
    key, part = "uploads/unfinished.bin", text_body("carol-lifecycle/uploads/unfinished.bin",
                                                     3000)
    up = c.create_multipart_upload(Bucket=b, Key=key, ContentType="text/plain")["UploadId"]
    uploads.append({"bucket": b, "key": key, "upload_id": up, "owner": "carol",
                    "content_type": "text/plain", "parts": []})
    etag = c.upload_part(Bucket=b, Key=key, UploadId=up, PartNumber=1, Body=part)["ETag"]
    uploads[-1]["parts"].append({"part": 1, "etag": etag.strip('"'), "size": len(part),
                                 "md5": hashlib.md5(part).hexdigest()})
    listed = [(u["Key"], u["UploadId"]) for u in
              c.list_multipart_uploads(Bucket=b).get("Uploads", [])]
    if listed != [(key, up)]:
        raise Skip("ListMultipartUploads listed %s" % listed)
    entry_of(b)["lifecycle"] = got


RETAIN_UNTIL = datetime.datetime(2099, 1, 1, tzinfo=datetime.timezone.utc)
DEFAULT_RETENTION = {"Mode": "GOVERNANCE", "Years": 100}


def version_of(b, key, vid):
    return next(v for v in versions if (v["bucket"], v["key"], v["version_id"]) == (b, key, vid))


def lock_of(b, key, vid):
    """What the release answers of a version's lock: GetObjectRetention's mode and date (ISO
    8601) or None, GetObjectLegalHold's status or None (404 NoSuchObjectLockConfiguration)."""
    c, got = S3[entry_of(b)["owner"]], []
    for fn, field in ((c.get_object_retention, "Retention"),
                      (c.get_object_legal_hold, "LegalHold")):
        try:
            got.append(fn(Bucket=b, Key=key, VersionId=vid)[field])
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] != "NoSuchObjectLockConfiguration":
                raise
            got.append(None)
    ret = got[0] and {"Mode": got[0]["Mode"],
                      "RetainUntilDate": got[0]["RetainUntilDate"].isoformat()}
    return ret, got[1] and got[1]["Status"]


def refused_delete(b, key, vid, bypass):
    st = status_of(S3[entry_of(b)["owner"]].delete_object, Bucket=b, Key=key, VersionId=vid,
                   BypassGovernanceRetention=bypass)
    if st != 403:
        raise Skip("DELETE %s?versionId=%s%s: %s, not 403" % (
            key, vid, " with bypass" if bypass else "", st))


def object_lock():
    """alice-locked, created with Object Lock (versioning Enabled, manager bucket config
    "object_lock"): a plain versioned key of two versions, one version under a legal hold
    (PutObjectLegalHold), one that is put under COMPLIANCE retention until 2099 last
    (PutObjectRetention: it can never be deleted, so after every other check), and a default
    retention (GOVERNANCE, 100 years) that a version written after it gets. Each version's lock (the
    internal pairs of its metadata) is recorded in "versions" as the release answered it:
    retention and legal_hold, None where it has none."""
    b, c = "alice-locked", S3["alice"]
    bucket("alice", b, "private", how="lock")
    got = c.get_object_lock_configuration(Bucket=b).get("ObjectLockConfiguration")
    if got != {"ObjectLockEnabled": "Enabled"}:
        raise Skip("GetObjectLockConfiguration of a new bucket answered %s" % got)
    if c.get_bucket_versioning(Bucket=b).get("Status") != "Enabled":
        raise Skip("a bucket created with Object Lock has no versioning")
    put_version(b, "plain.txt", b"a plain version without a lock\n", "small")
    put_version(b, "plain.txt", sparse_body("alice-locked/plain.txt v2", 2 * CHUNK + 17),
                "chunked")
    held = put_version(b, "held.txt", b"kept by a legal hold\n", "small")
    c.put_object_legal_hold(Bucket=b, Key="held.txt", VersionId=held,
                            LegalHold={"Status": "ON"})
    comp = put_version(b, "compliance.txt", b"kept in COMPLIANCE mode until 2099\n", "small")
    rule = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": DEFAULT_RETENTION}}
    c.put_object_lock_configuration(Bucket=b, ObjectLockConfiguration=rule)
    got = c.get_object_lock_configuration(Bucket=b).get("ObjectLockConfiguration")
    if got != rule:
        raise Skip("GetObjectLockConfiguration answered %s" % got)
    gov = put_version(b, "governed.txt", b"under the bucket's default retention\n", "small")
    for v in versions:
        if v["bucket"] == b:
            v["retention"], v["legal_hold"] = lock_of(b, v["key"], v["version_id"])
    gov_v = version_of(b, "governed.txt", gov)
    if any(v["retention"] for v in versions if v["bucket"] == b and v is not gov_v) or \
            (gov_v["retention"] or {}).get("Mode") != "GOVERNANCE":
        raise Skip("the retentions are %s" % [(v["key"], v["retention"]) for v in versions
                                             if v["bucket"] == b])
    if [(v["key"], v["legal_hold"]) for v in versions if v["bucket"] == b and v["legal_hold"]] \
            != [("held.txt", "ON")]:
        raise Skip("the legal holds are %s" % [(v["key"], v["legal_hold"]) for v in versions
                                              if v["bucket"] == b])
    refused_delete(b, "held.txt", held, True)  # the owner's bypass does not pass a legal hold
    refused_delete(b, "governed.txt", gov, False)
    # the last step of the fill that can be undone: a COMPLIANCE version stays until 2099
    c.put_object_retention(Bucket=b, Key="compliance.txt", VersionId=comp, Retention={
        "Mode": "COMPLIANCE", "RetainUntilDate": RETAIN_UNTIL})
    comp_v = version_of(b, "compliance.txt", comp)
    comp_v["retention"], comp_v["legal_hold"] = lock_of(b, "compliance.txt", comp)
    if comp_v["retention"] != {"Mode": "COMPLIANCE",
                               "RetainUntilDate": RETAIN_UNTIL.isoformat()}:
        raise Skip("GetObjectRetention of compliance.txt answered %s" % comp_v["retention"])
    refused_delete(b, "compliance.txt", comp, True)
    listed_versions(b)
    entry_of(b).update(versioning="Enabled", object_lock=got)


def logging_():
    """alice-logged logs its requests (PutBucketLogging: manager bucket config "logging",
    x/<bucket>/logging) into alice-logs under access/alice-logged/; an object is written into
    it after that, so the gateway's access-log queue (records of the release's format, waiting
    for their delivery) holds its PUT when the fixture is made. alice-logs records
    log_prefixes: keys there under them are log objects, not the fill's."""
    t, b, prefix = "alice-logs", "alice-logged", "access/alice-logged/"
    bucket("alice", t, "private")
    put(t, "readme.txt", b"alice's log bucket: the access logs are under access/\n", "alice",
        content_type="text/plain")
    bucket("alice", b, "private")
    le = {"TargetBucket": t, "TargetPrefix": prefix}
    S3["alice"].put_bucket_logging(Bucket=b, BucketLoggingStatus={"LoggingEnabled": le})
    got = S3["alice"].get_bucket_logging(Bucket=b).get("LoggingEnabled")
    if got != le:
        raise Skip("GetBucketLogging answered %s" % got)
    put(b, "logged.txt", b"its PUT is in the access log\n", "alice", content_type="text/plain")
    entry_of(b)["logging"] = le
    entry_of(t)["log_prefixes"] = [prefix]


# ---- server-side encryption (issue 20) ------------------------------------------------------

KMS_KEY = "fixture-key"
# the SSE-C objects' customer key: the manifest records it (a fixture's key is test data)
CUSTOMER_KEY = hashlib.sha256(b"cairn old-data fixture: the SSE-C customer key").digest()
kms_keys = []  # what cairn-adm kms-list-keys listed at the end of the step: {"name", "epochs"}


def adm(*args):
    """cairn-adm ARGS of the release on the cluster (CAIRN_ADM: a command the caller made);
    returns what it printed. Skip when there is none or it fails (a release before the key
    service does not know the command)."""
    cmd = os.environ.get("CAIRN_ADM")
    if not cmd:
        raise Skip("no cairn-adm (CAIRN_ADM)")
    r = subprocess.run([cmd, *args], capture_output=True, text=True, timeout=60)
    if r.returncode:
        raise Skip("cairn-adm %s: %s" % (" ".join(args), (r.stderr or r.stdout).strip()[:200]))
    return r.stdout


def sse_write(b, key, body, writer, sse, kind):
    """writer writes b/key under the mode of record sse (sse_record.py), in one PutObject or,
    kind "multipart", as a multipart upload of one part (the body); the answer (PutObject's)
    and HEAD must state the mode, else Skip. Then records it with sse."""
    c, ct = S3[writer], "binary/octet-stream"
    if kind != "multipart":
        r = c.put_object(Bucket=b, Key=key, Body=body, ContentType=ct,
                         **sse_record.write_kw(sse))
    else:
        up = c.create_multipart_upload(Bucket=b, Key=key, ContentType=ct,
                                       **sse_record.write_kw(sse))["UploadId"]
        etag = c.upload_part(Bucket=b, Key=key, UploadId=up, PartNumber=1, Body=body,
                             **sse_record.read_kw(sse))["ETag"]
        r = c.complete_multipart_upload(Bucket=b, Key=key, UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": etag}]})
    created.append((b, key))
    said = [sse_record.stated(c.head_object(Bucket=b, Key=key, **sse_record.read_kw(sse)))]
    if kind != "multipart":
        said.append(sse_record.stated(r))
    if any(x != sse_record.want(sse) for x in said):
        raise Skip("%s/%s under %s: the answers state %s" % (b, key, sse["mode"], said))
    record(b, key, body, writer, "private", ct, {}, kind, sse=sse)


def sse_default(b):
    """Bucket b's default encryption (PutBucketEncryption: SSE-KMS with KMS_KEY, manager
    bucket config "encryption"), and an object bob writes there without SSE headers."""
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                   "KMSMasterKeyID": KMS_KEY}}
    c = S3["bob"]
    c.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={"Rules": [rule]})
    got = c.get_bucket_encryption(Bucket=b)["ServerSideEncryptionConfiguration"]["Rules"]
    if [{k: x[k] for k in rule if k in x} for x in got] != [rule]:
        raise Skip("GetBucketEncryption answered %s" % got)
    key, body = "default.txt", b"no SSE headers: the bucket's default encrypted this\n"
    sse = {"mode": "aws:kms", "kms_key": KMS_KEY, "kms_epoch": 1, "by_default": True}
    said = []

    def put_it():  # the gateway learns the bucket's configuration from the manager
        c.put_object(Bucket=b, Key=key, Body=body, ContentType="text/plain")
        said[:] = [sse_record.stated(c.head_object(Bucket=b, Key=key))]
        return said[0] == sse_record.want(sse)
    created.append((b, key))
    if not until(put_it):
        raise Skip("PUT %s/%s without headers: HEAD states %s" % (b, key, said))
    record(b, key, body, "bob", "private", "text/plain", {}, "small", sse=sse)
    entry_of(b)["encryption"] = got


def sse():
    """alice-sse: under each mode (SSE-C with CUSTOMER_KEY, SSE-S3, SSE-KMS with the key
    service's key KMS_KEY, made by cairn-adm kms-create-key) a small object, a chunked one (two
    encryption blocks of 64 KiB, two chunks) and a multipart upload of one part of two blocks
    (a part under 5 MiB must be the last, and ciphertext does not compress: larger parts
    would weigh megabytes in the tarball); bob-sse-default: a default encryption and an
    object written without headers; then KMS_KEY is rotated (kms-rotate-key) and one more
    SSE-KMS object is written under its second epoch. The key service's keys (manager state
    s/) are recorded as kms-list-keys listed them ("kms_keys"). A key made cannot be
    deleted: a step that fails after kms-create-key leaves it (and nothing else)."""
    b = "alice-sse"
    bucket("alice", b, "private")
    adm("kms-create-key", KMS_KEY)
    for prefix, sse in (("c/", sse_record.customer(CUSTOMER_KEY)), ("s3/", {"mode": "AES256"}),
                        ("kms/", {"mode": "aws:kms", "kms_key": KMS_KEY, "kms_epoch": 1})):
        sse_write(b, prefix + "small.txt", ("%s%s: a small encrypted object\n" % (
            b, prefix)).encode(), "alice", sse, "small")
        sse_write(b, prefix + "chunked.bin", sparse_body(b + "/" + prefix + "chunked.bin",
                                                         CHUNK + 5000), "alice", sse, "chunked")
        sse_write(b, prefix + "multipart.bin", sparse_body(b + "/" + prefix + "multipart.bin",
                                                           CHUNK + 3000), "alice", sse,
                  "multipart")
    bucket("bob", "bob-sse-default", "private")
    sse_default("bob-sse-default")
    adm("kms-rotate-key", KMS_KEY)
    time.sleep(6)  # a gateway believes the newest epoch it knows for 5 s (sse_keys.h)
    sse_write(b, "kms/after-rotation.txt", b"written under the key's second epoch\n", "alice",
              {"mode": "aws:kms", "kms_key": KMS_KEY, "kms_epoch": 2}, "small")
    listed = [{"name": k["name"], "epochs": k["epochs"]}
              for k in json.loads(adm("--json", "kms-list-keys"))["keys"]]
    if {"name": KMS_KEY, "epochs": 2} not in listed:
        raise Skip("kms-list-keys listed %s" % listed)
    kms_keys[:] = listed


# ---- erasure coding (issue 21) --------------------------------------------------------------

EC_BUCKET, EC_POLICY = "ec21", "ec:2+1"  # K+M = 3: the fixture's three storage nodes


def whereis_ec(b, key):
    """The "ec" part of the release's cairn-adm whereis of b/key ({chunks, fragments: {state:
    n}, list: [{k, m, fragments}]}), None for a replicated object."""
    return json.loads(adm("--json", "whereis", "%s/%s" % (b, key))).get("ec")


def coded_as(b, key, chunks):
    """Checks that whereis lists b/key as coded at EC_POLICY with chunks chunks, every
    fragment ok (Skip otherwise); returns its record for the manifest: {"k", "m", "chunks"}."""
    k, m = (int(x) for x in EC_POLICY[3:].split("+"))
    ec = whereis_ec(b, key)
    if not ec or ec.get("chunks") != chunks or ec.get("truncated") or \
            {(c.get("k"), c.get("m")) for c in ec.get("list", [])} != {(k, m)} or \
            {s: n for s, n in ec.get("fragments", {}).items() if n} != {"ok": chunks * (k + m)}:
        raise Skip("whereis %s/%s: %s, want %d chunks coded %s, every fragment ok" % (
            b, key, ec and {x: ec.get(x) for x in ("chunks", "truncated", "fragments")},
            chunks, EC_POLICY))
    return {"k": k, "m": m, "chunks": chunks}


def erasure_coding():
    """ec21 with the redundancy policy ec:2+1 (cairn-adm set-bucket-redundancy, manager state
    x/ec21/redundancy; CAIRN_ADM), once the gateway applies it (it learns bucket settings by
    heartbeat: a PUT of 256 KiB is coded; that probe is deleted, a deleted key): an object
    under chunk_size coded as one chunk (the caller sets [gateway] ec_min_object_size 16k), one
    of 300 KiB (five chunks, the last one short), one of 2 MiB and a bit (33 chunks), a
    multipart upload whose 5 MiB part is coded and whose small last part (under
    ec_min_object_size) stays replicated (a manifest of format 3 with both kinds of
    segment), and a small object that stays replicated. Each coded object is recorded with
    "ec" ({"k", "m", "chunks"}: what whereis listed, every fragment ok); the bucket with
    "redundancy"."""
    b = EC_BUCKET
    bucket("alice", b, "private")
    adm("set-bucket-redundancy", b, EC_POLICY)
    got = json.loads(adm("--json", "get-bucket", b)).get("redundancy")
    if got != EC_POLICY:
        raise Skip("get-bucket %s: redundancy %s" % (b, got))
    probe = sparse_body(b + "/probe.bin", 256 * 1024)

    def coded():
        S3["alice"].put_object(Bucket=b, Key="probe.bin", Body=probe)
        return whereis_ec(b, "probe.bin") is not None
    created.append((b, "probe.bin"))
    if not until(coded):
        raise Skip("a PUT of 256 KiB into %s is not coded (no fragments in whereis)" % b)
    S3["alice"].delete_object(Bucket=b, Key="probe.bin")
    deleted.append({"bucket": b, "key": "probe.bin"})
    for key, size in (("one-chunk.bin", 40001), ("300k.bin", 300 * 1024),
                      ("big.bin", 2 * 1024 * 1024 + 777)):
        put(b, key, sparse_body("%s/%s" % (b, key), size), "alice", kind="chunked")
        objects[-1]["ec"] = coded_as(b, key, -(-size // CHUNK))
    part1 = sparse_body(b + "/multipart.bin part 1", 5 * 1024 * 1024)
    multipart(b, "multipart.bin", [part1, text_body(b + "/multipart.bin part 2", 5000)],
              "alice", "application/x-test-multipart", {"parts": "2"})
    created.append((b, "multipart.bin"))
    objects[-1]["ec"] = coded_as(b, "multipart.bin", len(part1) // CHUNK)
    put(b, "replicated.txt", b"under ec_min_object_size: replicated\n", "alice",
        content_type="text/plain")
    if whereis_ec(b, "replicated.txt") is not None:
        raise Skip("whereis lists fragments of %s/replicated.txt (37 bytes)" % b)
    entry_of(b)["redundancy"] = EC_POLICY


def main():
    bucket("alice", "alice-private", "private")
    bucket("alice", "alice-public", "public-read")
    bucket("alice", "alice-shared", "public-read-write", how="put-acl")
    bucket("bob", "bob-private", "private")
    bucket("bob", "bob-public", "public-read", how="adm")

    put("alice-private", "notes.txt", b"alice's private notes\n", "alice",
        content_type="text/plain")
    put("alice-private", "reports/2024/q1.json",
        json.dumps({"quarter": "q1", "total": 1234}).encode(), "alice",
        content_type="application/json",
        metadata={"project": "cairn", "reviewed-by": "bob", "note": "first quarter"})
    put("alice-private", "shared-link.txt", b"readable by anyone who has the link\n",
        "alice", acl="public-read", content_type="text/plain")
    put("alice-private", "big.bin", sparse_body("alice-private/big.bin", 5 * CHUNK + 1234),
        "alice", kind="chunked")
    put("alice-private", "overwritten.txt", b"the first body, replaced\n", "alice",
        content_type="text/plain")
    objects.pop()
    put("alice-private", "overwritten.txt", b"the second body, the one to serve\n", "alice",
        content_type="text/plain", metadata={"version": "2"})
    S3["alice"].put_object(Bucket="alice-private", Key="deleted.txt", Body=b"gone\n")
    S3["alice"].delete_object(Bucket="alice-private", Key="deleted.txt")
    deleted.append({"bucket": "alice-private", "key": "deleted.txt"})

    put("alice-public", "hello.txt", b"hello, world\n", "alice", acl="public-read",
        content_type="text/plain; charset=utf-8")
    put("alice-public", "secret.txt", b"a private object in a public-read bucket\n", "alice",
        content_type="text/plain")
    put("alice-public", "images/big-public.bin",
        text_body("alice-public/images/big-public.bin", 3 * CHUNK + 77), "alice",
        acl="public-read", content_type="image/x-test", metadata={"camera": "none"},
        kind="chunked")

    put("alice-shared", "from-bob.txt", b"bob wrote this into alice's bucket\n", "bob",
        acl="public-read", content_type="text/plain")
    put("alice-shared", "from-alice.txt", b"alice wrote this\n", "alice",
        content_type="text/plain")

    put("bob-private", "dir/a b+c \u00fc.txt", "bob's key with odd characters \u00fc\n".encode(),
        "bob", content_type="text/plain; charset=utf-8", metadata={"lang": "de"})
    put("bob-private", "dir/empty", b"", "bob")
    multipart("bob-private", "multipart.bin",
              [sparse_body("bob-private/multipart.bin part 1", 5 * 1024 * 1024),
               text_body("bob-private/multipart.bin part 2", CHUNK + 4321)],
              "bob", "application/x-test-multipart", {"parts": "2"})

    put("bob-public", "readme.txt", b"bob's public readme\n", "bob", acl="public-read",
        content_type="text/plain")
    put("bob-public", "private-in-public.txt", b"bob's private object\n", "bob",
        content_type="text/plain")

    # the formats of later releases, each as far as this release takes it
    if all("keys" not in u for u in USERS.values()):
        steps["skipped"]["second access key"] = "cairn-adm create-access-key failed"
    elif not try_step("second access key", second_keys):
        for u in USERS.values():
            u.pop("keys", None)
    if all("email" not in u for u in USERS.values()):
        steps["skipped"]["user e-mail"] = "cairn-adm update-user-email failed"
    try_step("object grants", grants)
    try_step("bucket policy", policy)
    try_step("bucket controls", controls)
    try_step("tags", tags)
    try_step("versioning", versioning)
    try_step("cors", cors)
    try_step("lifecycle", lifecycle)
    try_step("object lock", object_lock)
    try_step("logging", logging_)
    try_step("sse", sse)
    try_step("erasure coding", erasure_coding)

    json.dump({"buckets": buckets, "objects": objects, "deleted": deleted,
               "users": list(USERS.values()), "versions": versions,
               "deleted_versions": deleted_versions, "uploads": uploads,
               "kms_keys": kms_keys, "fill_steps": steps},
              open(sys.argv[1], "w"), indent=1, sort_keys=True)


main()
