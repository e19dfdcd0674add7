#!/usr/bin/env python3
"""tests/cluster/hung_probe.py: reads a bucket through the gateway while a storage node hangs
(fault_8_hung_reads.sh).

  seed  --keys N --deleted D --state FILE : PUTs N small objects under hung/, deletes the
        first D again, and writes {"live": {key: md5}, "deleted": [...]} to FILE.
  probe --state FILE [--list-only]        : lists hung/ (paged, 7 keys a page) and, unless
        --list-only, GETs every live key, and GETs and HEADs keys that never existed and the
        deleted ones. Prints one JSON line: what was wrong (missing/extra/bad keys, wrong
        statuses) and the slowest request of each kind in seconds. Exit 0 when nothing was
        wrong (the caller checks the latencies against its own bound).
"""
import argparse, hashlib, json, os, sys, time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def client(endpoint):
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        config=Config(retries={"max_attempts": 1, "mode": "standard"},
                      connect_timeout=5, read_timeout=60,
                      s3={"addressing_style": "path"}))


def status_of(fn):
    try:
        fn()
        return 200
    except ClientError as e:
        return int(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def seed(s3, bucket, a):
    live = {}
    keys = ["hung/k%03d" % i for i in range(a.keys)]
    for k in keys:
        body = os.urandom(100 + len(live) * 37)
        s3.put_object(Bucket=bucket, Key=k, Body=body)
        live[k] = hashlib.md5(body).hexdigest()
    deleted = keys[:a.deleted]
    for k in deleted:
        s3.delete_object(Bucket=bucket, Key=k)
        del live[k]
    with open(a.state, "w") as f:
        json.dump({"live": live, "deleted": deleted}, f)


def timed(slow, kind, fn):
    t0 = time.monotonic()
    r = fn()
    slow[kind] = max(slow.get(kind, 0.0), time.monotonic() - t0)
    return r


def probe(s3, bucket, a):
    st = json.load(open(a.state))
    live, deleted = st["live"], st["deleted"]
    wrong, slow = [], {}
    listed, token, pages = [], None, 0
    while True:
        kw = {"Bucket": bucket, "Prefix": "hung/", "MaxKeys": 7}
        if token:
            kw["ContinuationToken"] = token
        r = timed(slow, "list_page", lambda: s3.list_objects_v2(**kw))
        pages += 1
        listed += [o["Key"] for o in r.get("Contents", [])]
        if not r.get("IsTruncated") or pages > 100:
            break
        token = r["NextContinuationToken"]
    missing = sorted(set(live) - set(listed))
    extra = sorted(set(listed) - set(live))
    if missing:
        wrong.append("listing lacks %s" % missing[:5])
    if extra:
        wrong.append("listing has %s" % extra[:5])
    if len(listed) != len(set(listed)):
        wrong.append("listing repeats keys")
    if not a.list_only:
        for k, md5 in sorted(live.items()):
            body = timed(slow, "get", lambda: s3.get_object(Bucket=bucket, Key=k)["Body"].read())
            if hashlib.md5(body).hexdigest() != md5:
                wrong.append("GET %s: wrong bytes" % k)
        for k in ["hung/never%02d" % i for i in range(12)] + deleted:
            for kind, fn in (("get_404", lambda: s3.get_object(Bucket=bucket, Key=k)),
                             ("head_404", lambda: s3.head_object(Bucket=bucket, Key=k))):
                code = timed(slow, kind, lambda: status_of(fn))
                if code != 404:
                    wrong.append("%s %s: %d, not 404" % (kind, k, code))
    print(json.dumps({"listed": len(listed), "pages": pages, "wrong": wrong[:10],
                      "slowest": {k: round(v, 3) for k, v in slow.items()}}))
    return 1 if wrong else 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["seed", "probe"])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--bucket", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--keys", type=int, default=40)
    p.add_argument("--deleted", type=int, default=6)
    p.add_argument("--list-only", action="store_true")
    a = p.parse_args()
    s3 = client(a.endpoint)
    if a.mode == "seed":
        seed(s3, a.bucket, a)
        return 0
    return probe(s3, a.bucket, a)


if __name__ == "__main__":
    sys.exit(main())
