#!/usr/bin/env python3
# bench/soak-load.py: the mixed S3 load of bench/soak. Env: CAIRN_EP, CAIRN_AK, CAIRN_SK,
# SOAK_SECONDS, SOAK_CLIENTS. Each client thread owns its keys (so it knows every body it
# should read back) over a bounded key space (200 keys per client, so disk use stays bounded)
# and picks: 35% PUT (1 KiB .. 2 MiB), 30% GET (whole or a range, checked), 10% HEAD, 10% LIST, 10% DELETE, 5% a 2-part
# multipart upload. Prints operation counts and every error; exits 1 on any error.
import hashlib, os, random, sys, threading, time

import boto3, botocore
from botocore.config import Config

EP, AK, SK = os.environ["CAIRN_EP"], os.environ["CAIRN_AK"], os.environ["CAIRN_SK"]
SECS = float(os.environ.get("SOAK_SECONDS", "60"))
NCLI = int(os.environ.get("SOAK_CLIENTS", "8"))
KEYS = 200
lock = threading.Lock()
counts = {}
errors = []


def body_of(seed, n):
    r = random.Random(seed)
    return r.randbytes(n)


def client():
    return boto3.client("s3", endpoint_url=EP, aws_access_key_id=AK, aws_secret_access_key=SK,
                        region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"},
                                      retries={"max_attempts": 1}, max_pool_connections=2))


def run(cid, deadline):
    s3 = client()
    mine = {}  # key -> (seed, size) or None when deleted
    r = random.Random(cid)
    local = {}
    while time.time() < deadline:
        k = "c%d/k%03d" % (cid, r.randrange(KEYS))
        x = r.random()
        op = None
        try:
            if x < 0.35:
                op = "put"
                n = r.choice([1024, 4096, 65536, 300000, 2 << 20])
                seed = r.getrandbits(64)
                s3.put_object(Bucket="soak", Key=k, Body=body_of(seed, n))
                mine[k] = (seed, n)
            elif x < 0.65:
                op = "get"
                if mine.get(k):
                    seed, n = mine[k]
                    want = body_of(seed, n)
                    if r.random() < 0.5 and n > 10:
                        a = r.randrange(n - 1)
                        b = r.randrange(a, n)
                        got = s3.get_object(Bucket="soak", Key=k, Range="bytes=%d-%d" % (a, b))["Body"].read()
                        want = want[a:b + 1]
                    else:
                        got = s3.get_object(Bucket="soak", Key=k)["Body"].read()
                    if got != want:
                        raise RuntimeError("GET %s: wrong body (%d bytes, want %d)" % (k, len(got), len(want)))
                else:
                    try:
                        s3.get_object(Bucket="soak", Key=k)
                        if k in mine:
                            raise RuntimeError("GET %s: a deleted key was served" % k)
                    except botocore.exceptions.ClientError as e:
                        if e.response["Error"]["Code"] != "NoSuchKey":
                            raise
            elif x < 0.75:
                op = "head"
                if mine.get(k):
                    h = s3.head_object(Bucket="soak", Key=k)
                    if h["ContentLength"] != mine[k][1]:
                        raise RuntimeError("HEAD %s: size %d, want %d" % (k, h["ContentLength"], mine[k][1]))
            elif x < 0.85:
                op = "list"
                kw = {"Bucket": "soak", "Prefix": "c%d/" % cid, "MaxKeys": r.choice([10, 100, 1000])}
                if r.random() < 0.3:
                    kw["Delimiter"] = "/"
                    kw["Prefix"] = ""
                s3.list_objects_v2(**kw)
            elif x < 0.95:
                op = "delete"
                s3.delete_object(Bucket="soak", Key=k)
                if k in mine:
                    mine[k] = None
            else:
                op = "multipart"
                seed = r.getrandbits(64)
                p1, p2 = body_of(seed, 5 << 20), body_of(seed + 1, 1000)
                up = s3.create_multipart_upload(Bucket="soak", Key=k)["UploadId"]
                e1 = s3.upload_part(Bucket="soak", Key=k, UploadId=up, PartNumber=1, Body=p1)["ETag"]
                e2 = s3.upload_part(Bucket="soak", Key=k, UploadId=up, PartNumber=2, Body=p2)["ETag"]
                s3.complete_multipart_upload(Bucket="soak", Key=k, UploadId=up, MultipartUpload={
                    "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
                got = s3.get_object(Bucket="soak", Key=k)["Body"].read()
                if got != p1 + p2:
                    raise RuntimeError("multipart %s: wrong body" % k)
                mine[k] = None  # not regenerable from one seed; treat as unknown
                s3.delete_object(Bucket="soak", Key=k)
            local[op] = local.get(op, 0) + 1
        except Exception as e:  # every unexpected answer is an error
            mine.pop(k, None)  # its state is unknown now
            with lock:
                errors.append("%s %s: %s" % (op, k, e))
    with lock:
        for o, n in local.items():
            counts[o] = counts.get(o, 0) + n


def main():
    s3 = client()
    try:
        s3.create_bucket(Bucket="soak")
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    deadline = time.time() + SECS
    t0 = time.time()
    th = [threading.Thread(target=run, args=(i + int(t0) % 1000 * 100, deadline)) for i in range(NCLI)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    dt = time.time() - t0
    total = sum(counts.values())
    print("operations: %d in %.0f s (%.1f/s): %s" % (total, dt, total / dt if dt else 0,
          ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
    print("errors: %d" % len(errors))
    for e in errors[:20]:
        print("  " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
