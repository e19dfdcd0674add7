#!/usr/bin/env python3
"""tests/cluster/s3load.py: concurrent S3 load and checks for the cluster fault tests.

  s3load.py write  --endpoint URL --bucket B --prefix P --threads T --acked FILE
                   [--count N | --until FILE] [--size-max BYTES] [--read-ratio F]
      PUTs new keys from T threads (each key once, random bytes) until N keys are acked or
      FILE exists; appends "key md5" for every acked PUT to --acked. With --read-ratio some
      requests GET an already acked key and compare its MD5 (a mismatch is an error).
      Prints one JSON summary line: acked, failed, bad_reads, max_s (slowest single attempt).
  s3load.py delete --endpoint URL --bucket B --acked FILE --count N --deleted FILE
      DELETEs the first N keys of --acked; appends each acked delete to --deleted.
  s3load.py verify --endpoint URL --bucket B --acked FILE [--deleted FILE]
                   [--admin HOST:PORT[,...] --sample K --n N] [--live NODE,...]
      GETs every acked key (MD5 must match) and expects 404 for deleted ones; with --admin,
      asks whereis for K sampled keys: every one of its N owners on cur must hold a copy with
      the same clock and ETag (deleted: a tombstone or nothing), owners only among --live;
      with --exclusive no other node may hold a live copy. Reports copies_by_node.
Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the admin token (if the
admin API asks for one) from CAIRN_TOKEN. Exit status 0 = all good.
"""
import argparse, hashlib, json, os, random, sys, threading, time, urllib.parse, urllib.request

import boto3
from botocore.config import Config


def client(endpoint, timeout):
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        config=Config(retries={"max_attempts": 1, "mode": "standard"},
                      connect_timeout=5, read_timeout=timeout,
                      s3={"addressing_style": "path"}, max_pool_connections=4))


def attempt(fn, stats, lock, tries=4, what=""):
    """Runs fn up to tries times; records the slowest single attempt. Returns fn's result or
    raises the last error."""
    err = None
    for i in range(tries):
        t0 = time.monotonic()
        try:
            r = fn()
            return r
        except Exception as e:  # noqa: BLE001 - any failure is retried, then counted
            err = e
        finally:
            dt = time.monotonic() - t0
            with lock:
                if dt > stats["max_s"]:
                    stats["max_s"] = dt
                    stats["max_what"] = "%s at %.1f" % (what, time.time())
        time.sleep(0.2 * (i + 1))
    raise err


def run_threads(fn, n):
    """Runs fn(0) .. fn(n - 1), each in a thread of its own, and waits for them all."""
    th = [threading.Thread(target=fn, args=(t,)) for t in range(n)]
    for x in th:
        x.start()
    for x in th:
        x.join()


def cmd_write(a):
    lock = threading.Lock()
    stats = {"acked": 0, "failed": 0, "bad_reads": 0, "reads": 0, "max_s": 0.0, "errors": []}
    acked = []
    out = open(a.acked, "a")
    stop = threading.Event()

    def worker(t):
        c = client(a.endpoint, a.timeout)
        rnd = random.Random(os.getpid() * 1000 + t)
        i = 0
        while not stop.is_set():
            if a.until and os.path.exists(a.until):
                break
            if acked and a.read_ratio > 0 and rnd.random() < a.read_ratio:
                with lock:
                    key, md5 = acked[rnd.randrange(len(acked))]
                try:
                    body = attempt(lambda: c.get_object(Bucket=a.bucket, Key=key)["Body"].read(),
                                   stats, lock, what="GET " + key)
                    with lock:
                        stats["reads"] += 1
                        if hashlib.md5(body).hexdigest() != md5:
                            stats["bad_reads"] += 1
                            stats["errors"].append("bad read " + key)
                except Exception as e:  # noqa: BLE001
                    with lock:
                        stats["bad_reads"] += 1
                        stats["errors"].append("read %s: %s" % (key, e))
                continue
            key = "%s/%d-%06d" % (a.prefix, t, i)
            i += 1
            body = rnd.randbytes(rnd.randint(1, a.size_max))
            md5 = hashlib.md5(body).hexdigest()
            try:
                attempt(lambda: c.put_object(Bucket=a.bucket, Key=key, Body=body), stats, lock,
                        what="PUT " + key)
            except Exception as e:  # noqa: BLE001
                with lock:
                    stats["failed"] += 1
                    if len(stats["errors"]) < 20:
                        stats["errors"].append("put %s: %s" % (key, e))
                continue
            with lock:
                acked.append((key, md5))
                out.write("%s %s\n" % (key, md5))
                out.flush()
                stats["acked"] += 1
                if a.count and stats["acked"] >= a.count:
                    stop.set()

    run_threads(worker, a.threads)
    out.close()
    stats["errors"] = stats["errors"][:10]
    print(json.dumps(stats))
    return 0 if stats["bad_reads"] == 0 else 1


def read_pairs(path):
    pairs = []
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) == 2:
                    pairs.append((p[0], p[1]))
    return pairs


def parallel(items, fn, threads):
    lock = threading.Lock()
    it = iter(items)
    bad = []

    def worker():
        while True:
            with lock:
                x = next(it, None)
            if x is None:
                return
            r = fn(x)
            if r:
                with lock:
                    bad.append(r)

    th = [threading.Thread(target=worker) for _ in range(threads)]
    for x in th:
        x.start()
    for x in th:
        x.join()
    return bad


def cmd_delete(a):
    pairs = read_pairs(a.acked)[: a.count]
    lock = threading.Lock()
    stats = {"max_s": 0.0}
    out = open(a.deleted, "a")
    local = threading.local()

    def one(p):
        if not hasattr(local, "c"):
            local.c = client(a.endpoint, a.timeout)
        try:
            attempt(lambda: local.c.delete_object(Bucket=a.bucket, Key=p[0]), stats, lock)
        except Exception as e:  # noqa: BLE001
            return "delete %s: %s" % (p[0], e)
        with lock:
            out.write("%s %s\n" % p)
            out.flush()
        return None

    bad = parallel(pairs, one, a.threads)
    out.close()
    print(json.dumps({"deleted": len(pairs) - len(bad), "failed": len(bad),
                      "max_s": stats["max_s"], "errors": bad[:5]}))
    return 0


class JsonLog:
    """A log of ops shared by threads: one JSON object a line, flushed as it is added."""

    def __init__(self, path):
        self.f = open(path, "a")
        self.lock = threading.Lock()

    def add(self, **e):
        with self.lock:
            self.f.write(json.dumps(e) + "\n")
            self.f.flush()


def whereis(admin, key):
    """admin: HOST:PORT[,HOST:PORT...], the managers of a group; the first that answers."""
    return admin_get(admin, "/v1/whereis?all=1&key=" + urllib.parse.quote(key, safe=""))


def admin_get(admin, path):
    """GET path of the admin API (JSON) from the first manager of admin that answers."""
    err = None
    for addr in admin.split(","):
        url = "http://%s%s" % (addr.strip(), path)
        req = urllib.request.Request(url)
        if os.environ.get("CAIRN_TOKEN"):  # an admin API off loopback asks for it
            req.add_header("Authorization", "Bearer " + os.environ["CAIRN_TOKEN"])
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.load(r)
        except (OSError, ValueError) as e:  # a manager that is down: the next one
            err = e
    raise err


def cmd_verify(a):
    acked = read_pairs(a.acked)
    deleted = read_pairs(a.deleted)
    gone = set(k for k, _ in deleted)
    live = [p for p in acked if p[0] not in gone]
    local = threading.local()
    lock = threading.Lock()
    stats = {"max_s": 0.0}

    def get_one(p):
        if not hasattr(local, "c"):
            local.c = client(a.endpoint, a.timeout)
        key, md5 = p
        try:
            body = attempt(lambda: local.c.get_object(Bucket=a.bucket, Key=key)["Body"].read(),
                           stats, lock)
        except Exception as e:  # noqa: BLE001
            return "GET %s: %s" % (key, e)
        if hashlib.md5(body).hexdigest() != md5:
            return "GET %s: wrong bytes" % key
        return None

    def gone_one(p):
        if not hasattr(local, "c"):
            local.c = client(a.endpoint, a.timeout)
        try:
            local.c.head_object(Bucket=a.bucket, Key=p[0])
            return "deleted %s came back" % p[0]
        except local.c.exceptions.ClientError as e:
            code = e.response.get("Error", {}).get("Code")
            return None if code in ("404", "NoSuchKey", "NotFound") else "HEAD %s: %s" % (p[0], e)
        except Exception as e:  # noqa: BLE001
            return "HEAD %s: %s" % (p[0], e)

    bad = parallel(live, get_one, a.threads)
    bad += parallel(deleted, gone_one, a.threads)
    report = {"acked": len(acked), "live": len(live), "deleted": len(deleted),
              "bad": len(bad), "errors": bad[:10]}
    if a.admin:
        rnd = random.Random(7)
        sample = rnd.sample(live, min(a.sample, len(live))) + \
            rnd.sample(deleted, min(a.sample // 4, len(deleted)))
        livenodes = set(a.live.split(",")) if a.live else None
        share = {}

        def rep_one(p):
            key = "%s/%s" % (a.bucket, p[0])
            try:
                w = whereis(a.admin, key)
            except Exception as e:  # noqa: BLE001
                return "whereis %s: %s" % (key, e)
            reps = w.get("replicas", [])
            if len(reps) != a.n:
                return "%s: %d owners, want %d" % (key, len(reps), a.n)
            copies = []
            for r in reps:
                c = r.get("copy", {})
                if livenodes is not None and r.get("node") not in livenodes:
                    return "%s: owner %s is not a live node" % (key, r.get("node"))
                if p[0] in gone:
                    if c.get("present") and not c.get("tombstone"):
                        return "%s: %s still holds a live copy of a deleted key" % (key, r["node"])
                    continue
                if not c.get("present") or c.get("tombstone") or c.get("corrupt"):
                    return "%s: %s holds no good copy (%s)" % (key, r.get("node"), c)
                copies.append((c.get("clock"), c.get("etag")))
            if len(set(copies)) > 1:
                return "%s: replicas differ %s" % (key, copies)
            if a.exclusive:
                for o in w.get("others", []):
                    c = o.get("copy", {})
                    if c.get("present") and not c.get("tombstone"):
                        return "%s: %s is no owner but still holds a copy" % (key, o.get("node"))
            with lock:
                for r in reps:
                    if r.get("copy", {}).get("present"):
                        share[r["node"]] = share.get(r["node"], 0) + 1
            return None

        rbad = parallel(sample, rep_one, a.threads)
        report["replicas_checked"] = len(sample)
        report["replica_bad"] = len(rbad)
        report["replica_errors"] = rbad[:10]
        report["copies_by_node"] = share
        bad += rbad
    print(json.dumps(report))
    return 0 if not bad else 1


def run_main(modes, own_args, endpoints=False, prefix="k", threads=8):
    """main() of a load script of tests/cluster: argument MODE (a key of modes, name ->
    function of the parsed arguments), the options they all take (the gateway, or several
    with endpoints; the bucket, the load's and the checks'), and own_args(ap)'s; returns the
    mode's exit status."""
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=list(modes))
    ap.add_argument("--endpoints" if endpoints else "--endpoint", required=True)
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--prefix", default=prefix)
    ap.add_argument("--threads", type=int, default=threads)
    ap.add_argument("--until")
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--admin")
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--exclusive", action="store_true",
                    help="no copy may remain on a node that is not an owner on cur")
    own_args(ap)
    a = ap.parse_args()
    return modes[a.mode](a)


def own_args(ap):
    ap.add_argument("--acked")
    ap.add_argument("--deleted")
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--size-max", type=int, default=16384)
    ap.add_argument("--read-ratio", type=float, default=0.0)
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--live")


def main():
    return run_main({"write": cmd_write, "delete": cmd_delete, "verify": cmd_verify}, own_args)


if __name__ == "__main__":
    sys.exit(main())
