#!/usr/bin/python3
"""scripts/lib/old_data_fill.py: writes the objects of an old-data fixture through S3 and
records them (run by scripts/make-old-data-fixture against a cluster of the old release).

Two users, alice and bob, made by cairn-adm beforehand. Buckets (owner, canned ACL):
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

The content is deterministic (no randomness) but never periodic at a chunk boundary, so a
chunk served twice or out of order changes the MD5; the large parts are mostly zeros so that
the fixture's tarball stays small.

Environment: CAIRN_EP (S3 endpoint), CAIRN_USERS (JSON file: [{"name", "access_key",
"secret"}...]), CAIRN_CHUNK_SIZE (the gateway's chunk_size in bytes). Argument: the path of
the JSON fragment to write ({"buckets": [...], "objects": [...], "deleted": [...]}).
Exits non-zero when the old release did not take or serve something as written.
"""
import hashlib
import json
import os
import sys

import boto3
from botocore.config import Config

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


def bucket(owner, name, acl, how="create"):
    """how: create (CreateBucket, x-amz-acl unless private), put-acl (CreateBucket, then
    PutBucketAcl) or adm (made by the caller with cairn-adm)."""
    if how == "create":
        S3[owner].create_bucket(Bucket=name, **({"ACL": acl} if acl != "private" else {}))
    elif how == "put-acl":
        S3[owner].create_bucket(Bucket=name)
        S3[owner].put_bucket_acl(Bucket=name, ACL=acl)
    got = S3[owner].get_bucket_acl(Bucket=name)
    buckets.append({"name": name, "owner": owner, "acl": acl,
                    "old_owner_id": got["Owner"]["ID"]})


def record(bucket_name, key, body, writer, acl, content_type, metadata, kind):
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
    got = S3[writer].get_object(Bucket=bucket_name, Key=key)
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
                    "owner": owner, "writer": writer, "kind": kind})


def put(bucket_name, key, body, writer, acl="private", content_type="binary/octet-stream",
        metadata=None, kind="small"):
    kw = {"ContentType": content_type, "Metadata": metadata or {}}
    if acl != "private":
        kw["ACL"] = acl
    S3[writer].put_object(Bucket=bucket_name, Key=key, Body=body, **kw)
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

    json.dump({"buckets": buckets, "objects": objects, "deleted": deleted},
              open(sys.argv[1], "w"), indent=1, sort_keys=True)


main()
