#!/usr/bin/python3
"""tests/integration/old_data.py: checks that a cluster of the current build serves an
old-data fixture (run by test_old_data.sh once the fixture's daemons run again).

From the fixture's manifest.json (scripts/make-old-data-fixture): every user's keys still
sign; every object is served to its bucket's owner with its bytes (MD5), size, ETag,
Content-Type and user metadata, also by HEAD; every listing shows exactly the recorded keys
(the deleted key stays gone), each with its recorded owner; anonymous requests (curl) and the
other user get what the object's ACL admits (S3: a bucket's ACL governs listing and writing,
an object's ACL alone reading it), once against the disk cache the old gateway left and once with the caches warm;
new writes, overwrites, copies and a multipart upload into the old buckets work and read
back; GetObjectAcl of every old object and GetBucketAcl of every old bucket name the
bucket owner's canonical user id (`cairn-adm --json get-users`, field "id").

What later fixtures record, checked only when the manifest has it (old_data_fill.py): a
user's further access keys still listed and signing, an e-mail address kept; objects' grants
(GetObjectAcl shows exactly them; reads by anonymous and every other user follow them, by
canonical id, e-mail or group); a bucket's policy (GetBucketPolicy, and the reads it
allows); its public access block (also: a public-read PUT refused), ownership controls,
tags and versioning status; objects' tags (GetObjectTagging, x-amz-tagging-count); and per
versioned bucket, ListObjectVersions lists exactly the recorded versions and delete markers
in order with IsLatest (pages of 2 and of 1000), each version reads back by its ID, a
marker's ID answers 405, a version deleted for good 404 NoSuchVersion, and a plain GET the
latest. From the v6 fixture on (fill steps cors, lifecycle, object lock, logging; a step done
must have left its records): GetBucketCors answers the rules and preflights what the old
release answered; GetBucketLifecycleConfiguration the rules, and HEAD the x-amz-expiration
each object had; an incomplete multipart upload is listed with its parts and completes to
their bytes; GetObjectLockConfiguration, GetObjectRetention, GetObjectLegalHold and HEAD
answer each version's lock as recorded, a DELETE of a COMPLIANCE or legal-hold version is
refused even with the owner's bypass and of a GOVERNANCE one without it, an old unlocked
version is deleted, and a new object gets the bucket's default retention; GetBucketLogging
answers the target, and the access log records the old gateway left queued are delivered
there (keys under a target's prefix are left out of the listings). From the v7 fixture on (fill
step sse): every encrypted object reads back with its recorded SSE-C key or without one
(SSE-S3, SSE-KMS before and after its key's rotation, a bucket default), GET and HEAD state
its mode, an SSE-C one refuses a read without its key and with another, a range across a
64 KiB block and ?partNumber=1 serve the bytes; GetBucketEncryption answers the default and
a new object gets it; `cairn-adm kms-list-keys` (CAIRN_KMS) lists the keys with the epochs
recorded; new SSE-S3 and SSE-KMS writes into an old bucket work, and in every fixture an SSE-C
one (it needs no key service). From the v8 fixture on (fill step erasure coding): `cairn-adm
get-bucket` (--json and as text) shows the bucket's redundancy policy ec:2+1; every object
the old release coded reads back whole (md5) and by ranges across its first fragment's end,
its first chunk's end and at its end, and `cairn-adm whereis` lists its chunks coded K+M as
recorded, every fragment ok on a node of its own; its replicated objects stay replicated
(no fragments); a new object of 300 KiB written into the bucket is coded and reads back. In
every fixture (CAIRN_ADM): `cairn-adm get-buckets` shows each old bucket's redundancy as
recorded (replicate where none was set) and its replication on, and `cairn-adm
cluster-status` lists no linked cluster (issue 22: an old state has no l/ record).

Checks that current code cannot pass yet carry a tag in their name:
  [owner ids]    the canonical user ids of issue 12 (get-users "id"; objects owned by users);
  [access fix]   issue 12's access decision: a private object in a bucket whose ACL lets the
                 requester read (public-read, public-read-write) must still be refused.
Prints ok/FAIL lines. Environment: CAIRN_EP, CAIRN_FIXTURE (the unpacked fixture dir),
CAIRN_USERS (the output of cairn-adm --json get-users), CAIRN_KMS (of cairn-adm --json
kms-list-keys), CAIRN_ADM (a command running the current build's cairn-adm on the cluster),
CAIRN_LABEL (prefix of the names).
"""
import datetime
import hashlib
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from urllib.parse import quote

import boto3
import botocore
from botocore.config import Config

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts/lib"))
import sse_record  # noqa: E402
from list_versions import list_versions  # noqa: E402

EP = os.environ["CAIRN_EP"]
FIX = os.environ["CAIRN_FIXTURE"]
LABEL = os.environ.get("CAIRN_LABEL", "old data")
MAN = json.load(open(os.path.join(FIX, "manifest.json")))
NOW_USERS = {u["user"]: u for u in json.loads(os.environ["CAIRN_USERS"])}
KMS = json.loads(os.environ.get("CAIRN_KMS") or '{"keys": []}')
ADM = os.environ.get("CAIRN_ADM", "")
AWS_GROUPS = "http://acs.amazonaws.com/groups/global/"
ALL_USERS = AWS_GROUPS + "AllUsers"
TAG_OWNER = " [owner ids]"
TAG_ACCESS = " [access fix]"
FAILED = 0


def ok(name):
    print("ok   %s: %s" % (LABEL, name), flush=True)


def bad(name, why=""):
    global FAILED
    FAILED += 1
    print("FAIL %s: %s%s" % (LABEL, name, ("   | " + str(why)[:300]) if why else ""),
          flush=True)


def expect(name, cond, why=""):
    ok(name) if cond else bad(name, why)


def client(user, key=None):
    """A client of user with its first key, or with key ({"access_key", "secret"})."""
    u = key or next(x for x in MAN["users"] if x["name"] == user)
    return boto3.client("s3", endpoint_url=EP, aws_access_key_id=u["access_key"],
                        aws_secret_access_key=u["secret"], region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"},
                                      retries={"max_attempts": 1}))


S3 = {u["name"]: client(u["name"]) for u in MAN["users"]}
BUCKETS = {b["name"]: b for b in MAN["buckets"]}


class Answer:
    def __init__(self, status, code="", body=b"", headers=None, result=None):
        self.status, self.code, self.body, self.result = status, code, body, result or {}
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}

    def __repr__(self):
        return "HTTP %s %s" % (self.status, self.code)


def call(fn, **kw):
    try:
        r = fn(**kw)
        meta = r.get("ResponseMetadata", {})
        body = r["Body"].read() if "Body" in r else b""
        return Answer(meta.get("HTTPStatusCode", 200), "", body, meta.get("HTTPHeaders"), r)
    except botocore.exceptions.ClientError as e:
        meta = e.response["ResponseMetadata"]
        return Answer(meta["HTTPStatusCode"], e.response["Error"].get("Code", ""), b"",
                      meta.get("HTTPHeaders"))


def curl(path):
    """An anonymous GET: status, S3 error code and body."""
    out = subprocess.run(["curl", "-s", "-S", "-D", "-", "--max-time", "20", EP + path],
                         capture_output=True).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b"\r\n")[0].split()[1])
    except (IndexError, ValueError):
        return Answer(0, "no answer", out)
    code = ""
    if status >= 300 and body.startswith(b"<?xml"):
        try:
            code = ET.fromstring(body).findtext("Code") or ""
        except ET.ParseError:
            code = "unparsable"
    return Answer(status, code, body)


def md5(b):
    return hashlib.md5(b).hexdigest()


def user_id(name):
    return NOW_USERS.get(name, {}).get("id", "")


def obj_name(o):
    return "%s/%s" % (o["bucket"], o["key"])


# ---- what S3 answers -------------------------------------------------------------------

def admits(acl, who):
    """May who (a user name, or None for anonymous) read through a canned ACL owned by
    someone else?"""
    return acl in ("public-read", "public-read-write") or (
        acl == "authenticated-read" and who is not None)


def admits_obj(o, who):
    """May who (a user name, None: anonymous) read the object o of someone else: by its
    canned ACL, a READ or FULL_CONTROL grant to who or to a group who is in, or its bucket's
    policy (policy_allows in the manifest)?"""
    if admits(o["acl"], who):
        return True
    for g in o.get("grants", []):
        if g["permission"] in ("READ", "FULL_CONTROL") and (
                g.get("group") == "AllUsers" or ("user" in g and g["user"] == who) or
                (g.get("group") == "AuthenticatedUsers" and who is not None)):
            return True
    return any(a["user"] == who and a["action"] == "s3:GetObject" and
               o["key"].startswith(a["prefix"])
               for a in BUCKETS[o["bucket"]].get("policy_allows", []))


def acl_says(o):
    """An object's ACL in a check's name."""
    if o["acl"] != "grants":
        return "object ACL " + o["acl"]
    return "object grants " + ", ".join(
        "%s to %s%s" % (g["permission"], g.get("user") or g["group"],
                        " by e-mail" if "emailAddress" in o.get("grant_read", "") and
                        g.get("user") not in (None, o["owner"]) else "")
        for g in o["grants"] if g.get("user") != o["owner"])


def read_tag(o, who):
    """The tag of a read check by a non-owner that the code before issue 12's fix answers
    differently: it lets a read through on the bucket's ACL alone."""
    if admits(BUCKETS[o["bucket"]]["acl"], who) and not admits_obj(o, who):
        return TAG_ACCESS
    return ""


# ---- the checks ------------------------------------------------------------------------

def check_users():
    for u in MAN["users"]:
        now = NOW_USERS.get(u["name"])
        expect("user %s is still there with its access key" % u["name"],
               now is not None and now.get("access_key") == u["access_key"], now)
        r = call(S3[u["name"]].list_buckets)
        names = sorted(b["Name"] for b in r.result.get("Buckets", []))
        own = sorted(b["name"] for b in MAN["buckets"] if b["owner"] == u["name"])
        expect("%s's keys sign: ListBuckets shows exactly its buckets %s" % (u["name"], own),
               r.status == 200 and names == own, (r, names))
        for k in u.get("keys", []):  # a second access key (manager state format 3)
            listed = [x.get("access_key") for x in (now or {}).get("keys", [])]
            expect("%s's further key %s is still listed" % (u["name"], k["access_key"]),
                   k["access_key"] in listed, listed)
            r = call(client(u["name"], k).list_buckets)
            names = sorted(b["Name"] for b in r.result.get("Buckets", []))
            expect("%s's further key signs: ListBuckets shows exactly its buckets" % u["name"],
                   r.status == 200 and names == own, (r, names))
        if "email" in u:  # an e-mail address (manager state format 4)
            expect("%s's e-mail address is still %s" % (u["name"], u["email"]),
                   (now or {}).get("email") == u["email"], now)


def check_objects_as_owner():
    for o in MAN["objects"]:
        c, n, kw = S3[o["owner"]], obj_name(o), sse_record.read_kw(o.get("sse"))
        r = call(c.get_object, Bucket=o["bucket"], Key=o["key"], **kw)
        if r.status != 200:
            bad("GET %s as its owner %s: 200" % (n, o["owner"]), r)
            continue
        res = r.result
        expect("GET %s as its owner: the bytes (md5), size and ETag" % n,
               md5(r.body) == o["md5"] and len(r.body) == o["size"] and
               res.get("ContentLength") == o["size"] and
               res.get("ETag", "").strip('"') == o["etag"],
               (md5(r.body), len(r.body), res.get("ContentLength"), res.get("ETag")))
        expect("GET %s: Content-Type %s and metadata %s" % (n, o["content_type"], o["metadata"]),
               res.get("ContentType") == o["content_type"] and
               res.get("Metadata") == o["metadata"],
               (res.get("ContentType"), res.get("Metadata")))
        h = call(c.head_object, Bucket=o["bucket"], Key=o["key"], **kw)
        expect("HEAD %s: size, ETag, Content-Type and metadata" % n,
               h.status == 200 and h.result.get("ContentLength") == o["size"] and
               h.result.get("ETag", "").strip('"') == o["etag"] and
               h.result.get("ContentType") == o["content_type"] and
               h.result.get("Metadata") == o["metadata"], (h, h.result.get("ContentLength"),
                                                         h.result.get("ContentType")))
        if o["size"] > 1:
            r = call(c.get_object, Bucket=o["bucket"], Key=o["key"],
                     Range="bytes=1-%d" % (o["size"] - 1), **kw)
            expect("GET %s with a Range: 206 and the bytes after the first" % n,
                   r.status == 206 and len(r.body) == o["size"] - 1, r)


def check_reads_by_others(when):
    """Anonymous (curl) and the other user read every object: what the object's ACL
    admits."""
    for o in MAN["objects"]:
        n = obj_name(o)
        r = curl("/%s/%s" % (o["bucket"], quote(o["key"], safe="/")))
        if admits_obj(o, None):
            expect("%s: anonymous GET of %s (%s): 200 and its bytes" %
                   (when, n, acl_says(o)), r.status == 200 and md5(r.body) == o["md5"], r)
        else:
            expect("%s: anonymous GET of %s (%s, bucket ACL %s): 403%s" %
                   (when, n, acl_says(o), BUCKETS[o["bucket"]]["acl"], read_tag(o, None)),
                   r.status == 403 and r.code == "AccessDenied", (r, r.body[:60]))
        for other in S3:
            if other == o["owner"]:
                continue
            r = call(S3[other].get_object, Bucket=o["bucket"], Key=o["key"])
            if admits_obj(o, other):
                expect("%s: %s GETs %s (%s%s): 200 and its bytes" %
                       (when, other, n, acl_says(o),
                        ", the bucket policy" if not admits(o["acl"], other) and
                        not o.get("grants") else ""),
                       r.status == 200 and md5(r.body) == o["md5"], r)
            else:
                expect("%s: %s GETs %s (%s, bucket ACL %s): 403%s" %
                       (when, other, n, acl_says(o), BUCKETS[o["bucket"]]["acl"],
                        read_tag(o, other)), r.status == 403, r)


def is_log(b, key):
    """A key under one of the log_prefixes of bucket entry b: an access log object, delivered
    whenever the gateway gets to it, which no listing check counts."""
    return any(key.startswith(p) for p in b.get("log_prefixes", []))


def check_listings(extra=None):
    """Every bucket lists exactly its recorded keys (plus extra: {bucket: {key: size}}), in
    pages of 2, with their sizes and ETags; anonymous listing follows the bucket's ACL. Keys
    under a logging target's prefix (access logs) are left out."""
    extra = extra or {}
    for b in MAN["buckets"]:
        want = {o["key"]: o for o in MAN["objects"] if o["bucket"] == b["name"]}
        c, got, token, pages = S3[b["owner"]], {}, None, 0
        while pages < 100:
            kw = {"Bucket": b["name"], "MaxKeys": 2}
            if token:
                kw["ContinuationToken"] = token
            r = call(c.list_objects_v2, **kw)
            if r.status != 200:
                break
            pages += 1
            got.update({x["Key"]: x for x in r.result.get("Contents", [])
                        if not is_log(b, x["Key"])})
            token = r.result.get("NextContinuationToken")
            if not r.result.get("IsTruncated"):
                break
        keys = sorted(set(want) | set(extra.get(b["name"], {})))
        expect("ListObjectsV2 of %s (pages of 2)%s: exactly its keys" %
               (b["name"], " after the new writes" if extra else ""),
               sorted(got) == keys, (sorted(got), keys))
        bad_meta = [k for k, o in want.items() if k in got and (
            got[k]["Size"] != o["size"] or got[k]["ETag"].strip('"') != o["etag"])]
        if not extra:
            expect("ListObjectsV2 of %s: sizes and ETags as recorded" % b["name"],
                   not bad_meta, bad_meta)
        if extra:
            continue
        r = call(c.list_objects, Bucket=b["name"])
        listed = [x for x in r.result.get("Contents", []) if not is_log(b, x["Key"])]
        expect("ListObjects (v1) of %s: exactly its keys" % b["name"],
               sorted(x["Key"] for x in listed) == sorted(want), r)
        owners = {x["Key"]: x.get("Owner", {}).get("ID") for x in listed}
        want_owner = {o["key"]: user_id(o["owner"]) for o in MAN["objects"]
                      if o["bucket"] == b["name"]}
        wrong = {k: (v, want_owner.get(k)) for k, v in owners.items()
                 if k in want_owner and v != want_owner[k]}
        expect("ListObjects (v1) of %s: each key's Owner is its object's owner as recorded "
               "(the bucket's where the old metadata names none)%s" % (b["name"], TAG_OWNER),
               not wrong, "key: (listed, recorded) %s" % wrong)
        r = curl("/%s?list-type=2" % b["name"])
        if admits(b["acl"], None):
            listed = [e.text for e in ET.fromstring(r.body).iter()
                      if e.tag.split("}")[-1] == "Key" and not is_log(b, e.text)] \
                if r.status == 200 else []
            expect("anonymous listing of %s (bucket ACL %s): 200 with its keys" %
                   (b["name"], b["acl"]), r.status == 200 and sorted(listed) == sorted(want),
                   (r, listed))
        else:
            expect("anonymous listing of %s (bucket ACL %s): 403" % (b["name"], b["acl"]),
                   r.status == 403, r)


def check_deleted():
    for d in MAN.get("deleted", []):
        owner = BUCKETS[d["bucket"]]["owner"]
        r = call(S3[owner].get_object, Bucket=d["bucket"], Key=d["key"])
        expect("GET %s/%s (deleted by the old release): 404 NoSuchKey" % (d["bucket"], d["key"]),
               r.status == 404 and r.code == "NoSuchKey", r)


def grants_of(res):
    return [(g["Grantee"].get("URI") or g["Grantee"].get("ID"), g["Permission"])
            for g in res.get("Grants", [])]


def grant_pairs(grants):
    """A manifest's grants ({"user"|"group", "permission"}) as grants_of gives them."""
    return [(AWS_GROUPS + g["group"] if "group" in g else user_id(g["user"]), g["permission"])
            for g in grants]


def check_acls():
    for b in MAN["buckets"]:
        r = call(S3[b["owner"]].get_bucket_acl, Bucket=b["name"])
        public = (ALL_USERS, "READ") in grants_of(r.result)
        expect("GetBucketAcl of %s: the grants of %s" % (b["name"], b["acl"]),
               r.status == 200 and public == (b["acl"] in ("public-read", "public-read-write")),
               (r, grants_of(r.result)))
        if "grants" in b:  # a grant list in the bucket record (manager state format 4)
            want = sorted(grant_pairs(b["grants"]))
            expect("GetBucketAcl of %s: exactly the grants recorded %s" % (b["name"], b["grants"]),
                   sorted(grants_of(r.result)) == want, (grants_of(r.result), want))
            for other in S3:
                if other == b["owner"]:
                    continue
                may = {"user": other, "permission": "READ"} in b["grants"]
                r2 = call(S3[other].list_objects_v2, Bucket=b["name"])
                expect("%s lists %s (bucket grants READ to %s): %s" % (
                    other, b["name"], ", ".join(g.get("user") or g.get("group") for g in
                                                b["grants"] if g["permission"] == "READ"),
                    200 if may else 403), r2.status == (200 if may else 403), r2)
        got = r.result.get("Owner", {}).get("ID")
        want = user_id(b["owner"])
        expect("GetBucketAcl of %s: Owner.ID is %s's canonical id%s" %
               (b["name"], b["owner"], TAG_OWNER), r.status == 200 and got == want and
               len(want) == 64, "owner id %r, %s's id %r" % (got, b["owner"], want))
    for o in MAN["objects"]:
        n = obj_name(o)
        r = call(S3[o["owner"]].get_object_acl, Bucket=o["bucket"], Key=o["key"])
        public = (ALL_USERS, "READ") in grants_of(r.result)
        expect("GetObjectAcl of %s: the grants of %s" % (n, acl_says(o)),
               r.status == 200 and public == admits_obj(o, None), (r, grants_of(r.result)))
        if "grants" in o:
            want = sorted(grant_pairs(o["grants"]))
            expect("GetObjectAcl of %s: exactly the grants recorded %s" % (n, o["grants"]),
                   sorted(grants_of(r.result)) == want, (grants_of(r.result), want))
        got = r.result.get("Owner", {}).get("ID")
        want = user_id(o["owner"])
        expect("GetObjectAcl of %s (written by %s): Owner.ID is the bucket owner %s's "
               "canonical id%s" % (n, o["writer"], o["owner"], TAG_OWNER),
               r.status == 200 and got == want and len(want) == 64,
               "owner id %r, %s's id %r" % (got, o["owner"], want))


def check_bucket_settings():
    """What the manifest records a bucket was given: its policy (and, through
    check_reads_by_others, what it allows), public access block, ownership controls, tags and
    versioning, answered by the Get* calls as set."""
    for b in MAN["buckets"]:
        c, n = S3[b["owner"]], b["name"]
        if "policy" in b:
            r = call(c.get_bucket_policy, Bucket=n)
            got = r.result.get("Policy", "")
            expect("GetBucketPolicy of %s: the policy set" % n,
                   r.status == 200 and json.loads(got or "null") == json.loads(b["policy"]),
                   (r, got[:200]))
        if "public_access_block" in b:
            r = call(c.get_public_access_block, Bucket=n)
            got = r.result.get("PublicAccessBlockConfiguration")
            expect("GetPublicAccessBlock of %s: %s" % (n, b["public_access_block"]),
                   r.status == 200 and got == b["public_access_block"], (r, got))
            if b["public_access_block"].get("BlockPublicAcls"):
                r = call(c.put_object, Bucket=n, Key="new/public.txt", Body=b"x",
                         ACL="public-read")
                expect("%s: a PUT with x-amz-acl public-read is refused (BlockPublicAcls)" % n,
                       r.status == 403, r)
        if "ownership" in b:
            r = call(c.get_bucket_ownership_controls, Bucket=n)
            got = r.result.get("OwnershipControls", {}).get("Rules")
            expect("GetBucketOwnershipControls of %s: %s" % (n, b["ownership"]),
                   r.status == 200 and got == [{"ObjectOwnership": b["ownership"]}], (r, got))
        if "tags" in b:
            r = call(c.get_bucket_tagging, Bucket=n)
            got = sorted([x["Key"], x["Value"]] for x in r.result.get("TagSet", []))
            expect("GetBucketTagging of %s: %s" % (n, b["tags"]),
                   r.status == 200 and got == sorted(b["tags"]), (r, got))
        if "versioning" in b:
            r = call(c.get_bucket_versioning, Bucket=n)
            expect("GetBucketVersioning of %s: %s" % (n, b["versioning"]),
                   r.status == 200 and r.result.get("Status") == b["versioning"],
                   (r, r.result.get("Status")))


def check_object_tags():
    """GetObjectTagging of each object with tags answers them, in the order they were set."""
    for o in MAN["objects"]:
        if "tags" not in o:
            continue
        r = call(S3[o["owner"]].get_object_tagging, Bucket=o["bucket"], Key=o["key"])
        got = [[x["Key"], x["Value"]] for x in r.result.get("TagSet", [])]
        expect("GetObjectTagging of %s: %s" % (obj_name(o), o["tags"]),
               r.status == 200 and got == o["tags"], (r, got))
        h = call(S3[o["owner"]].head_object, Bucket=o["bucket"], Key=o["key"])
        expect("HEAD %s: x-amz-tagging-count %d" % (obj_name(o), len(o["tags"])),
               h.headers.get("x-amz-tagging-count") == str(len(o["tags"])), h.headers)


def listed_as_recorded(x):
    return (x["key"], x["version_id"], x["marker"], x["latest"], x.get("etag"),
            x.get("size"))


def check_versions():
    """Each versioned bucket lists exactly the recorded versions and delete markers, in their
    order, with IsLatest as recorded (in pages of 2 and in one page); every version reads back
    by its ID (bytes, size, x-amz-version-id; HEAD too); a marker's ID answers 405, a version
    deleted for good 404 NoSuchVersion; a GET without an ID serves the latest."""
    vers = MAN.get("versions", [])
    for n in sorted({v["bucket"] for v in vers}):
        c = S3[BUCKETS[n]["owner"]]
        want = [listed_as_recorded(v) for v in vers if v["bucket"] == n]
        for page in (2, 1000):
            try:
                got = [listed_as_recorded(x) for x in list_versions(c, n, page)]
            except botocore.exceptions.ClientError as e:
                got = [str(e)]
            expect("ListObjectVersions of %s (pages of %d): exactly the %d recorded versions "
                   "and markers, in order, IsLatest as recorded" % (n, page, len(want)),
                   got == want, "got %s" % got)
    for v in vers:
        c, vn = S3[BUCKETS[v["bucket"]]["owner"]], "%s/%s?versionId=%s" % (
            v["bucket"], v["key"], v["version_id"])
        if v["marker"]:
            r = call(c.get_object, Bucket=v["bucket"], Key=v["key"], VersionId=v["version_id"])
            expect("GET %s (a delete marker): 405 with x-amz-delete-marker" % vn,
                   r.status == 405 and r.headers.get("x-amz-delete-marker") == "true",
                   (r, r.headers))
            if v["latest"]:
                r = call(c.get_object, Bucket=v["bucket"], Key=v["key"])
                expect("GET %s/%s (its latest a delete marker): 404 with x-amz-delete-marker" %
                       (v["bucket"], v["key"]),
                       r.status == 404 and r.headers.get("x-amz-delete-marker") == "true",
                       (r, r.headers))
            continue
        r = call(c.get_object, Bucket=v["bucket"], Key=v["key"], VersionId=v["version_id"])
        expect("GET %s (%s, %d bytes): its bytes (md5) and x-amz-version-id" %
               (vn, v["kind"], v["size"]),
               r.status == 200 and md5(r.body) == v["md5"] and len(r.body) == v["size"] and
               r.result.get("VersionId") == v["version_id"],
               (r, md5(r.body), len(r.body), r.result.get("VersionId")))
        h = call(c.head_object, Bucket=v["bucket"], Key=v["key"], VersionId=v["version_id"])
        expect("HEAD %s: its size and ETag" % vn,
               h.status == 200 and h.result.get("ContentLength") == v["size"] and
               h.result.get("ETag", "").strip('"') == v["etag"], h)
        if v["latest"]:
            r = call(c.get_object, Bucket=v["bucket"], Key=v["key"])
            expect("GET %s/%s without a versionId: the latest, %s" %
                   (v["bucket"], v["key"], v["version_id"]),
                   r.status == 200 and md5(r.body) == v["md5"] and
                   r.result.get("VersionId") == v["version_id"], (r, r.result.get("VersionId")))
    for d in MAN.get("deleted_versions", []):
        c = S3[BUCKETS[d["bucket"]]["owner"]]
        r = call(c.get_object, Bucket=d["bucket"], Key=d["key"], VersionId=d["version_id"])
        expect("GET %s/%s?versionId=%s (deleted for good by the old release): 404 NoSuchVersion"
               % (d["bucket"], d["key"], d["version_id"]),
               r.status == 404 and r.code == "NoSuchVersion", r)


# ---- CORS, lifecycle, Object Lock, logging (fill steps of the v6 fixture on) ---------------

STEP_RECORDS = {  # a fill step done must have left its records in the manifest
    "cors": lambda: any("cors" in b for b in MAN["buckets"]),
    "lifecycle": lambda: any("lifecycle" in b for b in MAN["buckets"]) and MAN.get("uploads"),
    "object lock": lambda: any("object_lock" in b for b in MAN["buckets"]),
    "logging": lambda: any("logging" in b for b in MAN["buckets"]),
    "sse": lambda: any("sse" in o for o in MAN["objects"]) and
    any("encryption" in b for b in MAN["buckets"]) and MAN.get("kms_keys"),
    "erasure coding": lambda: any("redundancy" in b for b in MAN["buckets"]) and
    any("ec" in o for o in MAN["objects"]),
}


def check_step_records():
    done = MAN.get("fill_steps", {}).get("done", [])
    for step, has in STEP_RECORDS.items():
        if step in done:
            expect("fill step %r was done: the manifest records what it made" % step, has())


def preflight(path, origin, method):
    """An anonymous CORS preflight (curl -X OPTIONS): status, Access-Control-Allow-Origin and
    -Methods ("" when absent)."""
    out = subprocess.run(["curl", "-s", "-S", "-o", "/dev/null", "-D", "-", "--max-time", "20",
                          "-X", "OPTIONS", "-H", "Origin: " + origin,
                          "-H", "Access-Control-Request-Method: " + method, EP + path],
                         capture_output=True, text=True).stdout
    lines = out.replace("\r", "").split("\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        status = 0
    heads = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            heads[name.strip().lower()] = value.strip()
    return {"status": status, "allow_origin": heads.get("access-control-allow-origin", ""),
            "allow_methods": heads.get("access-control-allow-methods", "")}


def check_cors():
    """GetBucketCors answers the rules set; each preflight answers as it did to the old
    release (status, Allow-Origin, Allow-Methods)."""
    for b in MAN["buckets"]:
        if "cors" not in b:
            continue
        r = call(S3[b["owner"]].get_bucket_cors, Bucket=b["name"])
        got = r.result.get("CORSRules")
        expect("GetBucketCors of %s: the %d rules set" % (b["name"], len(b["cors"])),
               r.status == 200 and got == b["cors"], (r, got))
        for p in b.get("cors_preflights", []):
            got = preflight("/%s/%s" % (b["name"], quote(p["key"], safe="/")), p["origin"],
                            p["method"])
            want = {k: p[k] for k in ("status", "allow_origin", "allow_methods")}
            expect("preflight of %s/%s from %s for %s: %s" % (
                b["name"], p["key"], p["origin"], p["method"], want), got == want, got)


def check_lifecycle():
    """GetBucketLifecycleConfiguration answers the rules set, and HEAD of each object in such
    a bucket the x-amz-expiration it had (none where no rule applies)."""
    for b in MAN["buckets"]:
        if "lifecycle" not in b:
            continue
        c = S3[b["owner"]]
        r = call(c.get_bucket_lifecycle_configuration, Bucket=b["name"])
        got = r.result.get("Rules")
        expect("GetBucketLifecycleConfiguration of %s: the %d rules set (%s)" % (
            b["name"], len(b["lifecycle"]), ", ".join(x.get("ID", "?") for x in b["lifecycle"])),
            r.status == 200 and got == b["lifecycle"], (r, got))
        for o in MAN["objects"]:
            if o["bucket"] != b["name"] or "expiration" not in o:
                continue
            h = call(c.head_object, Bucket=o["bucket"], Key=o["key"])
            expect("HEAD %s: x-amz-expiration %r" % (obj_name(o), o["expiration"]),
                   h.status == 200 and h.result.get("Expiration", "") == o["expiration"],
                   (h, h.result.get("Expiration")))


def check_uploads():
    """Each incomplete multipart upload the old release left is listed (ListMultipartUploads,
    ListParts: part numbers, ETags, sizes), then completed with its parts: every part's bytes
    read back (md5), with the upload's Content-Type. Returns {bucket: {key: size}}."""
    new = {}
    ups = MAN.get("uploads", [])
    for n in sorted({u["bucket"] for u in ups}):
        c = S3[BUCKETS[n]["owner"]]
        r = call(c.list_multipart_uploads, Bucket=n)
        got = sorted((u["Key"], u["UploadId"]) for u in r.result.get("Uploads", []))
        want = sorted((u["key"], u["upload_id"]) for u in ups if u["bucket"] == n)
        expect("ListMultipartUploads of %s: the %d incomplete uploads left" % (n, len(want)),
               r.status == 200 and got == want, (r, got))
    for u in ups:
        c, name = S3[u["owner"]], "upload %s of %s/%s" % (u["upload_id"][:12], u["bucket"],
                                                            u["key"])
        r = call(c.list_parts, Bucket=u["bucket"], Key=u["key"], UploadId=u["upload_id"])
        got = [(p["PartNumber"], p["ETag"].strip('"'), p["Size"])
               for p in r.result.get("Parts", [])]
        want = [(p["part"], p["etag"], p["size"]) for p in u["parts"]]
        expect("ListParts of %s: %s" % (name, want), r.status == 200 and got == want, (r, got))
        r = call(c.complete_multipart_upload, Bucket=u["bucket"], Key=u["key"],
                 UploadId=u["upload_id"], MultipartUpload={"Parts": [
                     {"PartNumber": p["part"], "ETag": '"%s"' % p["etag"]} for p in u["parts"]]})
        g = call(c.get_object, Bucket=u["bucket"], Key=u["key"])
        off, sums = 0, []
        for p in u["parts"]:
            sums.append(md5(g.body[off:off + p["size"]]))
            off += p["size"]
        expect("CompleteMultipartUpload of %s: each part's bytes and the Content-Type" % name,
               r.status == 200 and g.status == 200 and len(g.body) == off and
               sums == [p["md5"] for p in u["parts"]] and
               g.result.get("ContentType") == u["content_type"],
               (r, g, len(g.body), g.result.get("ContentType")))
        new.setdefault(u["bucket"], {})[u["key"]] = off
    return new


def iso(d):
    return d.isoformat() if d is not None else None


def expect_lock(name, r, got, want):
    """A Get*Retention / Get*LegalHold answer r (got: what it says) is want, or, want None,
    404 NoSuchObjectLockConfiguration."""
    if want:
        expect("%s: %s" % (name, want), r.status == 200 and got == want, (r, got))
    else:
        expect(name + " (none): 404 NoSuchObjectLockConfiguration",
               r.status == 404 and r.code == "NoSuchObjectLockConfiguration", (r, got))


def check_object_lock():
    """GetObjectLockConfiguration answers what was set; each version of a bucket with Object
    Lock answers GetObjectRetention, GetObjectLegalHold and HEAD's x-amz-object-lock-* as
    recorded (404 NoSuchObjectLockConfiguration where it has none); a DELETE of a version
    under COMPLIANCE or a legal hold is refused (AccessDenied) even with the owner's bypass,
    one under GOVERNANCE without it; an old version without a lock is deleted (204)."""
    for b in MAN["buckets"]:
        if "object_lock" not in b:
            continue
        c, n = S3[b["owner"]], b["name"]
        r = call(c.get_object_lock_configuration, Bucket=n)
        got = r.result.get("ObjectLockConfiguration")
        expect("GetObjectLockConfiguration of %s: %s" % (n, b["object_lock"]),
               r.status == 200 and got == b["object_lock"], (r, got))
        unlocked = []
        for v in MAN.get("versions", []):
            if v["bucket"] != n or v["marker"]:
                continue
            vn = "%s/%s?versionId=%s" % (n, v["key"], v["version_id"])
            kw = {"Bucket": n, "Key": v["key"], "VersionId": v["version_id"]}
            r = call(c.get_object_retention, **kw)
            ret = r.result.get("Retention")
            expect_lock("GetObjectRetention of " + vn, r, ret and {
                "Mode": ret["Mode"], "RetainUntilDate": iso(ret["RetainUntilDate"])},
                v["retention"])
            r = call(c.get_object_legal_hold, **kw)
            expect_lock("GetObjectLegalHold of " + vn, r,
                        r.result.get("LegalHold", {}).get("Status"), v["legal_hold"])
            h = call(c.head_object, **kw)
            got = (h.result.get("ObjectLockMode"), iso(h.result.get("ObjectLockRetainUntilDate")),
                   h.result.get("ObjectLockLegalHoldStatus"))
            want = ((v["retention"] or {}).get("Mode"),
                    (v["retention"] or {}).get("RetainUntilDate"), v["legal_hold"])
            expect("HEAD %s: x-amz-object-lock-mode, -retain-until-date, -legal-hold %s" %
                   (vn, want), h.status == 200 and got == want, (h, got))
            mode = (v["retention"] or {}).get("Mode")
            if mode == "COMPLIANCE" or v["legal_hold"] == "ON":
                r = call(c.delete_object, BypassGovernanceRetention=True, **kw)
                expect("DELETE %s (%s) as the owner with bypass: 403 AccessDenied" % (
                    vn, "COMPLIANCE until %s" % v["retention"]["RetainUntilDate"]
                    if mode == "COMPLIANCE" else "legal hold ON"),
                    r.status == 403 and r.code == "AccessDenied", r)
            if mode == "GOVERNANCE":
                r = call(c.delete_object, **kw)
                expect("DELETE %s (GOVERNANCE until %s) without bypass: 403 AccessDenied" %
                       (vn, v["retention"]["RetainUntilDate"]),
                       r.status == 403 and r.code == "AccessDenied", r)
            if not mode and v["legal_hold"] != "ON" and not v["latest"]:
                unlocked.append(v)
        for v in unlocked[:1]:  # not the latest: the listings stay as recorded
            r = call(c.delete_object, Bucket=n, Key=v["key"], VersionId=v["version_id"])
            g = call(c.get_object, Bucket=n, Key=v["key"], VersionId=v["version_id"])
            expect("DELETE %s/%s?versionId=%s (an old version without a lock): 204, then "
                   "404 NoSuchVersion" % (n, v["key"], v["version_id"]),
                   r.status == 204 and g.status == 404 and g.code == "NoSuchVersion", (r, g))


def check_default_retention():
    """After check_new_writes: its new object in a bucket with a default retention got it
    (mode, and the period from now)."""
    for b in MAN["buckets"]:
        rule = (b.get("object_lock") or {}).get("Rule", {}).get("DefaultRetention")
        if not rule:
            continue
        h = call(S3[b["owner"]].head_object, Bucket=b["name"], Key="new/after-upgrade.txt")
        until = h.result.get("ObjectLockRetainUntilDate")
        now = datetime.datetime.now(datetime.timezone.utc)
        if "Years" in rule:
            ok_until = until is not None and until.year - now.year == rule["Years"]
        else:
            ok_until = until is not None and abs(
                (until - now) - datetime.timedelta(days=rule["Days"])).total_seconds() < 600
        expect("HEAD %s/new/after-upgrade.txt: the bucket's default retention %s" %
               (b["name"], rule), h.status == 200 and
               h.result.get("ObjectLockMode") == rule["Mode"] and ok_until,
               (h, h.result.get("ObjectLockMode"), until))


def check_logging():
    """GetBucketLogging answers the target set; the old gateway's queued access log records
    are delivered (the harness runs the gateway with a short log_flush_ms): within 60 s the
    target holds log objects under the prefix whose lines show the PUT of every object
    written into the logged bucket."""
    for b in MAN["buckets"]:
        if "logging" not in b:
            continue
        c, n, le = S3[b["owner"]], b["name"], b["logging"]
        r = call(c.get_bucket_logging, Bucket=n)
        got = r.result.get("LoggingEnabled")
        expect("GetBucketLogging of %s: %s" % (n, le), r.status == 200 and got == le, (r, got))
        keys = sorted(o["key"] for o in MAN["objects"] if o["bucket"] == n)
        t = BUCKETS[le["TargetBucket"]]
        tc, missing, deadline = S3[t["owner"]], keys, time.time() + 60
        while True:
            text = b""
            r = call(tc.list_objects_v2, Bucket=t["name"], Prefix=le["TargetPrefix"])
            for x in r.result.get("Contents", []):
                text += call(tc.get_object, Bucket=t["name"], Key=x["Key"]).body
            lines = [l for l in text.decode("utf-8", "replace").split("\n")
                     if (" %s " % n) in l and " REST.PUT.OBJECT " in l]
            missing = [k for k in keys if not any(
                " REST.PUT.OBJECT %s " % quote(k, safe="/") in l for l in lines)]
            if not missing or time.time() > deadline:
                break
            time.sleep(1)
        expect("the old access log records of %s were delivered to %s/%s: the PUTs of %s" %
               (n, t["name"], le["TargetPrefix"], keys), not missing,
               "missing %s; %d log objects" % (missing, len(r.result.get("Contents", []))))


# ---- server-side encryption (fill step sse, the v7 fixture on) -----------------------------

BLOCK = 64 * 1024  # an encryption block's plaintext (common/sse.h)
NEW_CUSTOMER_KEY = hashlib.sha256(b"old_data.py: a new SSE-C write").digest()


def sse_says(sse):
    """An object's encryption record in a check's name."""
    if sse["mode"] == "SSE-C":
        return "SSE-C"
    if sse["mode"] == "AES256":
        return "SSE-S3"
    return "SSE-KMS %s%s%s" % (sse["kms_key"], ", epoch %d" % sse["kms_epoch"]
                               if "kms_epoch" in sse else "",
                               ", the bucket's default" if sse.get("by_default") else "")


def sse_put_back(user, b, key, body, sse, **put_kw):
    """user PUTs b/key (boto3's put_kw: the mode's headers, or none for a bucket default): the
    PUT, HEAD and GET answers state sse's mode and the bytes read back."""
    c, kw = S3[user], sse_record.read_kw(sse)
    r = call(c.put_object, Bucket=b, Key=key, Body=body, **put_kw)
    h = call(c.head_object, Bucket=b, Key=key, **kw)
    g = call(c.get_object, Bucket=b, Key=key, **kw)
    said = [sse_record.stated(x.result) for x in (r, h, g)]
    expect("new PUT %s/%s (%s, %d bytes): PUT, HEAD and GET state the mode; the bytes read "
           "back" % (b, key, sse_says(sse), len(body)),
           r.status == 200 and g.status == 200 and g.body == body and
           said == [sse_record.want(sse)] * 3, (r, h, g, said))


def check_sse():
    """Each encrypted object (its record "sse") reads back whole, byte-identical, with its
    customer key (SSE-C) or without one (SSE-S3, SSE-KMS before and after its key's rotation,
    the bucket default), and GET and HEAD state its mode; an SSE-C one refuses a read without
    its key (400 InvalidRequest) and with another key (403 AccessDenied); a range across the
    first 64 KiB block's end (of each one past it) and ?partNumber=1 of a multipart one
    (206, x-amz-mp-parts-count) are the bytes; GetBucketEncryption answers a bucket's default
    and a new object written there without headers gets it; cairn-adm kms-list-keys lists
    the key service's keys with their epochs. In every fixture: a new SSE-C PUT into the
    first old bucket (no key service needed), and where the fixture has encrypted objects
    (and so its master key) a new SSE-S3 and SSE-KMS one. Returns {bucket: {key: size}}."""
    new = {}
    for o in MAN["objects"]:
        if "sse" not in o:
            continue
        c, n, sse = S3[o["owner"]], obj_name(o), o["sse"]
        kw, want, loc = sse_record.read_kw(sse), sse_record.want(sse), {
            "Bucket": o["bucket"], "Key": o["key"]}
        g = call(c.get_object, **loc, **kw)
        h = call(c.head_object, **loc, **kw)
        said = [sse_record.stated(x.result) for x in (g, h)]
        expect("GET %s (%s, %s, %d bytes)%s: the bytes (md5); GET and HEAD state the mode" %
               (n, sse_says(sse), o["kind"], o["size"], " with its key"
                if sse["mode"] == "SSE-C" else ""),
               g.status == 200 and md5(g.body) == o["md5"] and said == [want] * 2,
               (g, h, md5(g.body), said, want))
        if sse["mode"] == "SSE-C":
            r = call(c.get_object, **loc)
            expect("GET %s (SSE-C) without its key: 400 InvalidRequest, no bytes" % n,
                   r.status == 400 and r.code == "InvalidRequest" and not r.body, r)
            r = call(c.get_object, **loc, **sse_record.read_kw(
                sse_record.customer(NEW_CUSTOMER_KEY)))
            expect("GET %s (SSE-C) with another key: 403 AccessDenied, no bytes" % n,
                   r.status == 403 and r.code == "AccessDenied" and not r.body, r)
        if o["size"] > BLOCK + 100:
            a, b = BLOCK - 100, BLOCK + 99
            r = call(c.get_object, Range="bytes=%d-%d" % (a, b), **loc, **kw)
            expect("GET %s (%s) bytes=%d-%d, across a 64 KiB block: 206 and those bytes" %
                   (n, sse_says(sse), a, b), r.status == 206 and g.status == 200 and
                   r.body == g.body[a:b + 1], (r, len(r.body)))
        if o["kind"] == "multipart":
            r = call(c.get_object, PartNumber=1, **loc, **kw)
            expect("GET %s (%s) ?partNumber=1 (its only part): 206, the part's bytes, "
                   "x-amz-mp-parts-count 1" % (n, sse_says(sse)),
                   r.status == 206 and r.body == g.body and g.status == 200 and
                   r.result.get("PartsCount") == 1, (r, len(r.body), r.result.get("PartsCount")))
    for b in MAN["buckets"]:
        if "encryption" not in b:
            continue
        c, n = S3[b["owner"]], b["name"]
        r = call(c.get_bucket_encryption, Bucket=n)
        got = r.result.get("ServerSideEncryptionConfiguration", {}).get("Rules")
        expect("GetBucketEncryption of %s: %s" % (n, b["encryption"]),
               r.status == 200 and got == b["encryption"], (r, got))
        rule = b["encryption"][0]["ApplyServerSideEncryptionByDefault"]
        sse = {"mode": rule["SSEAlgorithm"], "by_default": True}
        if rule.get("KMSMasterKeyID"):
            sse["kms_key"] = rule["KMSMasterKeyID"]
        body = b"a new object without SSE headers: the bucket's default\n"
        sse_put_back(b["owner"], n, "new/by-default.txt", body, sse)
        new.setdefault(n, {})["new/by-default.txt"] = len(body)
    first = MAN["buckets"][0]
    modes = [("new/sse-c.bin", sse_record.customer(NEW_CUSTOMER_KEY))]
    if any("sse" in o for o in MAN["objects"]):
        modes += [("new/sse-s3.bin", {"mode": "AES256"})]
        modes += [("new/sse-kms-%s.bin" % k["name"], {"mode": "aws:kms", "kms_key": k["name"]})
                  for k in MAN.get("kms_keys", []) if not k["name"].startswith("aws/")]
    for key, sse in modes:
        body = b"".join(b"%s %08d\n" % (key.encode(), i)
                        for i in range(MAN["chunk_size"] // 20 + 50))
        sse_put_back(first["owner"], first["name"], key, body, sse, **sse_record.write_kw(sse))
        new.setdefault(first["name"], {})[key] = len(body)
    listed = {k.get("name"): k.get("epochs") for k in KMS.get("keys", [])}
    for k in MAN.get("kms_keys", []):
        expect("cairn-adm kms-list-keys: %s with %d epochs" % (k["name"], k["epochs"]),
               listed.get(k["name"]) == k["epochs"], listed)
    return new


# ---- erasure coding (fill step "erasure coding", the v8 fixture on) and cluster state -------

def adm(*args):
    """The current build's cairn-adm ARGS on the fixture's cluster (CAIRN_ADM): its exit code
    and what it printed (stdout, else stderr)."""
    if not ADM:
        return 127, "no CAIRN_ADM"
    r = subprocess.run([ADM, *args], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout if r.returncode == 0 else (r.stderr or r.stdout)


def adm_json(*args):
    """cairn-adm --json ARGS: the answer parsed, or a string saying why there is none."""
    rc, out = adm("--json", *args)
    try:
        return json.loads(out) if rc == 0 else "rc %d: %s" % (rc, out.strip()[:200])
    except ValueError:
        return "not JSON: %s" % out[:200]


def whereis_ec(b, key):
    """The "ec" part of cairn-adm --json whereis b/key (None for a replicated object), or a
    string saying why whereis did not answer."""
    w = adm_json("whereis", "%s/%s" % (b, key))
    if not isinstance(w, dict):
        return w
    return w.get("ec_error") or w.get("ec")


def coded_ok(ec, want):
    """What is wrong with whereis's "ec" part ec against want ({"k", "m", "chunks"}): a list,
    empty when every chunk is listed, coded K+M, with all its fragments ok on K+M distinct
    nodes."""
    if not isinstance(ec, dict):
        return ["whereis: %s" % (ec or "no fragments (replicated)")]
    n, out = want["k"] + want["m"], []
    if ec.get("chunks") != want["chunks"] or ec.get("truncated") or \
            len(ec.get("list", [])) != want["chunks"]:
        out.append("%s chunks, %d listed, want %d" % (ec.get("chunks"), len(ec.get("list", [])),
                                                       want["chunks"]))
    for c in ec.get("list", []):
        fr = c.get("fragments", [])
        if (c.get("k"), c.get("m")) != (want["k"], want["m"]) or \
                sorted(f.get("i") for f in fr) != list(range(n)) or \
                any(f.get("state") != "ok" for f in fr) or \
                len({f.get("node") for f in fr} - {""}) != n:
            out.append("chunk %s: %s+%s, fragments %s" % (
                c.get("chunk"), c.get("k"), c.get("m"),
                [(f.get("i"), f.get("node"), f.get("state")) for f in fr]))
    return out[:4]


def ranges_of(size, chunk, k):
    """Ranges (first, last) of an object of size bytes coded K+M at chunk bytes a chunk: across
    the first fragment's end (a fragment holds ceil(chunk length / K) bytes), across the first
    chunk's end, and the last 1000 bytes (the last chunk's fragments, zero-padded)."""
    frag = -(-min(size, chunk) // k)
    out = [(max(0, frag - 100), min(size, frag + 100) - 1)]
    if size > chunk + 100:
        out.append((chunk - 100, chunk + 99))
    out.append((max(0, size - 1000), size - 1))
    return out


def check_coded_reads(c, b, key, body, want, when):
    """b/key (body: its bytes) reads back by ranges (ranges_of), and whereis lists its chunks
    coded as want says."""
    for a, z in ranges_of(len(body), MAN["chunk_size"], want["k"]):
        r = call(c.get_object, Bucket=b, Key=key, Range="bytes=%d-%d" % (a, z))
        expect("%s GET %s/%s (%s+%s) bytes=%d-%d: 206 and those bytes" % (
            when, b, key, want["k"], want["m"], a, z),
            r.status == 206 and r.body == body[a:z + 1], (r, len(r.body)))
    why = coded_ok(whereis_ec(b, key), want)
    expect("%s whereis %s/%s: %d chunks coded %d+%d, every fragment ok on its own node" % (
        when, b, key, want["chunks"], want["k"], want["m"]), not why, why)


def check_ec():
    """A bucket's redundancy policy (get-bucket, --json and as text) as set; each coded object
    of the old release reads back whole (md5) and by ranges across a fragment's and a chunk's
    end and at its end, and whereis lists its chunks coded as recorded with every fragment
    ok; the old bucket's replicated objects stay replicated; a new object of 300 KiB written
    into the bucket by this build is coded too and reads back. Returns {bucket: {key: size}}."""
    new = {}
    for b in MAN["buckets"]:
        if "redundancy" not in b:
            continue
        c, n, pol = S3[b["owner"]], b["name"], b["redundancy"]
        got = adm_json("get-bucket", n)
        expect("cairn-adm --json get-bucket %s: redundancy %s" % (n, pol),
               isinstance(got, dict) and got.get("redundancy") == pol, got)
        rc, out = adm("get-bucket", n)
        expect("cairn-adm get-bucket %s: a line 'redundancy ... %s'" % (n, pol),
               rc == 0 and any(l.split()[:1] == ["redundancy"] and l.split()[-1] == pol
                               for l in out.splitlines()), out)
        k, m = (int(x) for x in pol[3:].split("+"))
        for o in MAN["objects"]:
            if o["bucket"] != n:
                continue
            if "ec" not in o:
                ec = whereis_ec(n, o["key"])
                expect("whereis %s (replicated by the old release): no fragments" % obj_name(o),
                       ec is None, ec)
                continue
            g = call(c.get_object, Bucket=n, Key=o["key"])
            expect("GET %s (coded %d+%d by the old release, %s, %d bytes): the bytes (md5)" % (
                obj_name(o), o["ec"]["k"], o["ec"]["m"], o["kind"], o["size"]),
                g.status == 200 and md5(g.body) == o["md5"], (g, md5(g.body)))
            if g.status == 200:
                check_coded_reads(c, n, o["key"], g.body, o["ec"], "old")
        key = "new/coded.bin"
        body = b"".join(b"%s %08d\n" % (key.encode(), i) for i in range(300 * 1024 // 22 + 1))
        want = {"k": k, "m": m, "chunks": -(-len(body) // MAN["chunk_size"])}
        deadline, r, ec = time.time() + 20, None, None
        while True:  # the gateway applies the bucket's policy as soon as it knows the bucket
            r = call(c.put_object, Bucket=n, Key=key, Body=body)
            ec = whereis_ec(n, key)
            if isinstance(ec, dict) or time.time() > deadline:
                break
            time.sleep(0.5)
        g = call(c.get_object, Bucket=n, Key=key)
        expect("new PUT %s/%s (%d bytes) into the %s bucket: coded, and the bytes read back" % (
            n, key, len(body), pol), r.status == 200 and isinstance(ec, dict) and
            g.status == 200 and g.body == body, (r, g, ec if not isinstance(ec, dict) else ""))
        check_coded_reads(c, n, key, body, want, "new")
        new.setdefault(n, {})[key] = len(body)
    return new


def check_cluster_state():
    """In every fixture: cairn-adm get-buckets shows each old bucket with the redundancy
    policy recorded (replicate where none was set: a state before issue 21) and replication
    on (issue 22: no x/<bucket>/replication record is on); cluster-status lists no link to
    another cluster (no l/ record: a state before issue 22's links)."""
    got = adm_json("get-buckets")
    listed = {x.get("name"): x for x in got} if isinstance(got, list) else {}
    want = {b["name"]: b.get("redundancy", "replicate") for b in MAN["buckets"]}
    seen = {n: listed.get(n, {}).get("redundancy") for n in want}
    expect("cairn-adm get-buckets: each old bucket's redundancy as recorded (replicate where "
           "none was set)", seen == want, (seen, got if not listed else ""))
    seen = {n: listed.get(n, {}).get("replication") for n in want}
    expect("cairn-adm get-buckets: each old bucket's replication is on",
           listed and all(v == "on" for v in seen.values()), seen)
    got = adm_json("cluster-status")
    expect("cairn-adm cluster-status: no linked cluster",
           isinstance(got, dict) and got.get("links") == [], got)


def check_new_writes():
    """Writes into the old buckets after the upgrade; returns {bucket: {key: size}}."""
    new = {}

    def put_back(user, bucket, key, body, **kw):
        r = call(S3[user].put_object, Bucket=bucket, Key=key, Body=body, **kw)
        g = call(S3[user].get_object, Bucket=bucket, Key=key)
        expect("%s PUTs new %s/%s (%d bytes) and reads it back" % (user, bucket, key, len(body)),
               r.status == 200 and g.status == 200 and g.body == body, (r, g))
        new.setdefault(bucket, {})[key] = len(body)

    for b in MAN["buckets"]:
        put_back(b["owner"], b["name"], "new/after-upgrade.txt",
                 ("written into %s by the new build\n" % b["name"]).encode())
    shared = [b for b in MAN["buckets"] if b["acl"] == "public-read-write"]
    for b in shared:
        other = next(u for u in S3 if u != b["owner"])
        put_back(other, b["name"], "new/from-%s.txt" % other, b"a non-owner writes\n")
    chunk = MAN["chunk_size"]
    big = b"".join(b"new chunked body %08d\n" % i for i in range((3 * chunk) // 26 + 7))
    first = MAN["buckets"][0]
    put_back(first["owner"], first["name"], "new/chunked.bin", big)

    # an old object overwritten, then read back
    o = next(x for x in MAN["objects"] if x["kind"] == "small")
    put_back(o["owner"], o["bucket"], o["key"], b"overwritten by the new build\n")
    new[o["bucket"]].pop(o["key"])

    # copies of old objects (a chunked one and a multipart one) to new keys
    for kind in ("chunked", "multipart"):
        o = next((x for x in MAN["objects"] if x["kind"] == kind), None)
        if o is None:
            continue
        c, dst = S3[o["owner"]], "new/copy-of-" + o["key"].replace("/", "_")
        r = call(c.copy_object, Bucket=o["bucket"], Key=dst,
                 CopySource={"Bucket": o["bucket"], "Key": o["key"]})
        g = call(c.get_object, Bucket=o["bucket"], Key=dst)
        expect("CopyObject of old %s (%s) to %s: the same bytes" % (obj_name(o), kind, dst),
               r.status == 200 and md5(g.body) == o["md5"], (r, g))
        new.setdefault(o["bucket"], {})[dst] = o["size"]

    # a multipart upload into an old bucket
    b = MAN["buckets"][-1]
    c, key = S3[b["owner"]], "new/multipart.bin"
    parts = [b"p1 %07d\n" % i for i in range(5 * 1024 * 1024 // 11 + 1)]
    part1, part2 = b"".join(parts)[:5 * 1024 * 1024], b"the last part\n"
    try:
        up = c.create_multipart_upload(Bucket=b["name"], Key=key)["UploadId"]
        e1 = c.upload_part(Bucket=b["name"], Key=key, UploadId=up, PartNumber=1,
                           Body=part1)["ETag"]
        e2 = c.upload_part(Bucket=b["name"], Key=key, UploadId=up, PartNumber=2,
                           Body=part2)["ETag"]
        c.complete_multipart_upload(Bucket=b["name"], Key=key, UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
        g = call(c.get_object, Bucket=b["name"], Key=key)
        expect("multipart upload into old %s: the bytes read back" % b["name"],
               md5(g.body) == md5(part1 + part2), g)
    except botocore.exceptions.ClientError as e:
        bad("multipart upload into old %s" % b["name"], e)
    new.setdefault(b["name"], {})[key] = len(part1) + len(part2)
    return new


def main():
    check_users()
    check_reads_by_others("cold (old disk cache)")
    check_objects_as_owner()
    check_reads_by_others("warm caches")
    check_listings()
    check_deleted()
    check_acls()
    check_bucket_settings()
    check_object_tags()
    check_versions()
    check_step_records()
    check_cors()
    check_lifecycle()
    check_object_lock()
    check_logging()
    new = check_new_writes()
    check_default_retention()
    for bucket, keys in check_sse().items():
        new.setdefault(bucket, {}).update(keys)
    for bucket, keys in check_uploads().items():
        new.setdefault(bucket, {}).update(keys)
    for bucket, keys in check_ec().items():
        new.setdefault(bucket, {}).update(keys)
    check_cluster_state()
    check_listings(new)
    sys.exit(1 if FAILED else 0)


main()
