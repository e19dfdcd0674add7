#!/usr/bin/env python3
"""tests/cluster/xdc_load.py: load and checks for the multi-datacenter tests (issue 22,
tests/cluster/fault_34..37, through xdc_lib.sh's xc_py). Every mode takes --endpoint URL
(a cluster's gateway) and --bucket B; credentials come from AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY. Debian's python3 and boto3 only.

  load --seconds S --threads T --prefix P --size N --acked FILE [--rate R]
      PUTs new keys (P/tT-SEQ, N random bytes) from T threads for S seconds, one attempt
      each, at most R PUTs a second in all (0: as fast as they go); appends "key md5" to FILE for every acked PUT (flushed per line). Prints a JSON
      summary: acked, failed, max_s (slowest PUT), first_error.
  race --keys K --prefix P --tag TAG --acked FILE [--threads T, default 4]
      writes each of the K keys P/000000.. once (content TAG, the key, random bytes), in
      key order, so that two racers started together write each key at about the same time;
      records "key md5" of every acked PUT. Prints acked, failed, and when it started and
      ended (epoch seconds: the racer that writes a key later should win it).
  put --keys K --prefix P --size N --acked FILE [--part-size BYTES]
      K objects of N random bytes; above --part-size (default 5 MiB) as a multipart upload
      of parts of that size. Records "key md5-of-the-body".
  winners --acked FILE[,FILE...] --prefix P --out FILE
      which write won each key under P/ (of the racers' acked files, one per side): its
      ETag must be the md5 of one acked write. Prints how many keys each file's writes won;
      writes the winners as "key md5" to --out (for wait-keys --get). Exit 1 when a key is
      missing or holds none of the acked writes.
  listing --out FILE
      every key with its ETag (ListObjectsV2, paginated), sorted, as JSON [[key, etag]...].
  compare --other-endpoint URL [--timeout S]
      lists both endpoints until they hold the same keys with the same ETags (prints the
      counts and the first differences of the last try); exit 0 when equal within S s.
  wait-keys --acked FILE --timeout S [--get]
      waits until every key of FILE reads back with its md5: the HEAD's ETag for a single
      PUT, the body's MD5 for a multipart one (or for every key with --get); prints how long
      it took, or what is still missing.
Exit status 0 = all good.
"""
import argparse, hashlib, json, os, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3load import client, parallel, read_pairs, run_threads  # noqa: E402


class Acked:
    """An append-only "key md5" file shared by threads, flushed per line."""

    def __init__(self, path):
        self.f = open(path, "a")
        self.lock = threading.Lock()

    def add(self, key, md5):
        with self.lock:
            self.f.write("%s %s\n" % (key, md5))
            self.f.flush()


def cmd_load(a):
    s3 = client(a.endpoint, 30)
    acked = Acked(a.acked)
    stop = time.monotonic() + a.seconds
    lock = threading.Lock()
    st = {"acked": 0, "failed": 0, "max_s": 0.0, "first_error": ""}

    gap = a.threads / a.rate if a.rate > 0 else 0  # each thread's PUTs are this far apart

    def worker(t):
        seq = 0
        due = time.monotonic()
        while time.monotonic() < stop:
            if gap:
                due += gap
                time.sleep(max(0.0, due - time.monotonic()))
            key = "%s/t%d-%06d" % (a.prefix, t, seq)
            seq += 1
            body = os.urandom(a.size)
            t0 = time.monotonic()
            try:
                s3.put_object(Bucket=a.bucket, Key=key, Body=body)
                ok, err = True, ""
            except Exception as e:  # noqa: BLE001 - a failed PUT is counted, not retried
                ok, err = False, "%s: %s" % (key, e)
            dt = time.monotonic() - t0
            if ok:
                acked.add(key, hashlib.md5(body).hexdigest())
            with lock:
                st["max_s"] = max(st["max_s"], round(dt, 3))
                if ok:
                    st["acked"] += 1
                else:
                    st["failed"] += 1
                    st["first_error"] = st["first_error"] or err
            if not ok:
                time.sleep(0.2)

    run_threads(worker, a.threads)
    print(json.dumps(st))
    return 0 if st["acked"] > 0 else 1


def cmd_race(a):
    s3 = client(a.endpoint, 30)
    acked = Acked(a.acked)

    def put(key):
        body = (a.tag + " " + key + " ").encode() + os.urandom(64).hex().encode()
        err = None
        for i in range(3):  # a failed write is tried again: every key is to be won by a side
            try:
                s3.put_object(Bucket=a.bucket, Key=key, Body=body)
                acked.add(key, hashlib.md5(body).hexdigest())
                return None
            except Exception as e:  # noqa: BLE001
                err = "%s: %s" % (key, e)
                time.sleep(0.2 * (i + 1))
        return err

    t0 = time.time()
    bad = parallel(["%s/%06d" % (a.prefix, i) for i in range(a.keys)], put, a.threads)
    print(json.dumps({"acked": a.keys - len(bad), "failed": len(bad),
                      "first_error": bad[0] if bad else "", "start": round(t0, 3),
                      "end": round(time.time(), 3)}))
    return 0 if not bad else 1


def cmd_put(a):
    s3 = client(a.endpoint, 30)
    acked = Acked(a.acked)
    for i in range(a.keys):
        key = "%s/%06d" % (a.prefix, i)
        body = os.urandom(a.size)
        if a.size <= a.part_size:
            s3.put_object(Bucket=a.bucket, Key=key, Body=body)
        else:
            up = s3.create_multipart_upload(Bucket=a.bucket, Key=key)["UploadId"]
            parts = []
            for n, off in enumerate(range(0, a.size, a.part_size), 1):
                r = s3.upload_part(Bucket=a.bucket, Key=key, UploadId=up, PartNumber=n,
                                   Body=body[off:off + a.part_size])
                parts.append({"PartNumber": n, "ETag": r["ETag"]})
            s3.complete_multipart_upload(Bucket=a.bucket, Key=key, UploadId=up,
                                         MultipartUpload={"Parts": parts})
        acked.add(key, hashlib.md5(body).hexdigest())
        print("%s %d bytes%s" % (key, a.size, " (multipart)" if a.size > a.part_size else ""))
    return 0


def listing(endpoint, bucket):
    """[[key, etag]...] sorted, every page of ListObjectsV2."""
    s3 = client(endpoint, 30)
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            out.append([o["Key"], o["ETag"].strip('"')])
    out.sort()
    return out


def cmd_winners(a):
    files = a.acked.split(",")
    sides = [dict(read_pairs(f)) for f in files]
    keys = sorted(set().union(*sides))
    got = dict(x for x in listing(a.endpoint, a.bucket) if x[0].startswith(a.prefix + "/"))
    won = [0] * len(files)
    bad = []
    with open(a.out, "w") as out:
        for k in keys:
            side = [i for i, s in enumerate(sides) if s.get(k) == got.get(k)]
            if not side:
                bad.append("%s: %s" % (k, got.get(k, "missing")))
                continue
            won[side[0]] += 1
            out.write("%s %s\n" % (k, got[k]))
    print("%d keys: %s; %d hold none of the acked writes%s"
          % (len(keys), ", ".join("%s won %d" % (os.path.basename(f), n)
                                  for f, n in zip(files, won)),
             len(bad), (" (e.g. %s)" % "; ".join(bad[:5])) if bad else ""))
    return 0 if not bad and keys else 1


def cmd_listing(a):
    with open(a.out, "w") as f:
        json.dump(listing(a.endpoint, a.bucket), f)
    return 0


def cmd_compare(a):
    t0 = time.monotonic()
    deadline = t0 + a.timeout
    while True:
        try:
            x = dict(listing(a.endpoint, a.bucket))
            y = dict(listing(a.other_endpoint, a.bucket))
            err = ""
        except Exception as e:  # noqa: BLE001 - an endpoint down for a moment: try again
            x, y, err = None, None, str(e)
        if x is not None and x == y:
            print("equal: %d keys on both, same ETags (after %.1f s)"
                  % (len(x), time.monotonic() - t0))
            return 0
        if time.monotonic() >= deadline:
            break
        time.sleep(1)
    if x is None:
        print("could not list: %s" % err)
        return 1
    only_x = sorted(set(x) - set(y))
    only_y = sorted(set(y) - set(x))
    diff = sorted(k for k in set(x) & set(y) if x[k] != y[k])
    print("NOT equal after %d s: %s has %d keys, %s has %d; only on the first %d, only on "
          "the other %d, different ETags %d"
          % (a.timeout, a.endpoint, len(x), a.other_endpoint, len(y), len(only_x),
             len(only_y), len(diff)))
    for k in only_x[:5]:
        print("  only on %s: %s %s" % (a.endpoint, k, x[k]))
    for k in only_y[:5]:
        print("  only on %s: %s %s" % (a.other_endpoint, k, y[k]))
    for k in diff[:5]:
        print("  %s: %s vs %s" % (k, x[k], y[k]))
    return 1


def readable(s3, bucket, key, md5, get):
    """True when key reads back with md5 (see wait-keys)."""
    try:
        if not get:
            etag = s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
            if etag == md5:
                return True
            if "-" not in etag:
                return False
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return hashlib.md5(body).hexdigest() == md5
    except Exception:  # noqa: BLE001 - not there yet (404) or not whole yet
        return False


def cmd_wait_keys(a):
    want = dict(read_pairs(a.acked))
    s3 = client(a.endpoint, 30)
    t0 = time.monotonic()
    left = sorted(want)
    while True:
        left = sorted(parallel(left, lambda k: None if readable(s3, a.bucket, k, want[k], a.get)
                               else k, 4))
        if not left:
            print("all %d keys read back with their md5 after %.1f s"
                  % (len(want), time.monotonic() - t0))
            return 0
        if time.monotonic() - t0 >= a.timeout:
            print("after %d s, %d of %d keys do not read back with their md5, e.g. %s"
                  % (a.timeout, len(left), len(want), " ".join(left[:5])))
            return 1
        time.sleep(0.5)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)

    def mode(name, fn):
        m = sub.add_parser(name)
        m.add_argument("--endpoint", required=True)
        m.add_argument("--bucket", required=True)
        m.set_defaults(fn=fn)
        return m

    m = mode("load", cmd_load)
    m.add_argument("--seconds", type=float, required=True)
    m.add_argument("--threads", type=int, default=2)
    m.add_argument("--prefix", required=True)
    m.add_argument("--size", type=int, default=4096)
    m.add_argument("--rate", type=float, default=0)
    m.add_argument("--acked", required=True)
    m = mode("race", cmd_race)
    m.add_argument("--keys", type=int, required=True)
    m.add_argument("--prefix", required=True)
    m.add_argument("--tag", required=True)
    m.add_argument("--acked", required=True)
    m.add_argument("--threads", type=int, default=4)
    m = mode("put", cmd_put)
    m.add_argument("--keys", type=int, required=True)
    m.add_argument("--prefix", required=True)
    m.add_argument("--size", type=int, required=True)
    m.add_argument("--acked", required=True)
    m.add_argument("--part-size", type=int, default=5 << 20)
    m = mode("winners", cmd_winners)
    m.add_argument("--acked", required=True)
    m.add_argument("--prefix", required=True)
    m.add_argument("--out", required=True)
    m = mode("listing", cmd_listing)
    m.add_argument("--out", required=True)
    m = mode("compare", cmd_compare)
    m.add_argument("--other-endpoint", required=True)
    m.add_argument("--timeout", type=int, default=60)
    m = mode("wait-keys", cmd_wait_keys)
    m.add_argument("--acked", required=True)
    m.add_argument("--timeout", type=int, default=60)
    m.add_argument("--get", action="store_true")
    a = p.parse_args()
    sys.exit(a.fn(a))


if __name__ == "__main__":
    main()
