#!/usr/bin/env python3
"""bench/rebalance-load.py: the client side of bench/rebalance, over the gateway's plain REST
listener (PUT/GET /bucket/key, trusted on loopback): no SigV4 in Python, so the client costs
little of the 2 cores the cluster runs on.

  fill     --count K --size S       PUT K new keys PREFIX-i of S bytes; JSON: count, ops_s
  putrate  --seconds T --size S     PUT new keys for T s; JSON: ops_s, p50_ms, p99_ms
  mixed    --until FILE --log FILE  a verified mixed load (--read-ratio of GETs of the filled
                                    keys and of its own writes, the rest PUTs of new keys)
                                    until FILE exists; every op goes to --log as one line
                                    "t_end latency_ms kind ok"; --acked gets its written keys
  summary  --log FILE --marks FILE  ops/s, p50 and p99 and errors of each phase between two
                                    marks ("name unix_time" lines, a phase ends at the next)
  verify   --count K --size S [--acked FILE]  GETs every filled key and every acked key and
                                    checks each byte; JSON: checked, bad, missing
Every body is a function of its key (body_of), so any reader can check any key.
"""
import argparse, hashlib, http.client, json, os, random, sys, threading, time


def body_of(key, size):
    h = hashlib.sha256(key.encode()).hexdigest().encode()
    return (h * (size // len(h) + 1))[:size]


class Conn:
    """One keep-alive connection; reconnects once on a dropped socket."""

    def __init__(self, addr):
        self.host, self.port = addr.rsplit(":", 1)
        self.c = None

    def req(self, method, path, body=None):
        for attempt in (0, 1):
            try:
                if self.c is None:
                    self.c = http.client.HTTPConnection(self.host, int(self.port), timeout=30)
                self.c.request(method, path, body=body)
                r = self.c.getresponse()
                data = r.read()
                return r.status, data
            except (http.client.HTTPException, OSError):
                self.c = None
                if attempt == 1:
                    return 0, b""


def pct(v, p):
    if not v:
        return 0.0
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))]


def run_threads(n, fn):
    ts = [threading.Thread(target=fn, args=(t,)) for t in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def fill(a):
    nxt, lock, errors = [0], threading.Lock(), [0]

    def run(t):
        c = Conn(a.rest)
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= a.count:
                return
            k = "%s-%d" % (a.prefix, i)
            st, _ = c.req("PUT", "/%s/%s" % (a.bucket, k), body_of(k, a.size))
            if st != 200:
                # a PUT that is not acked is retried: the benchmark needs every key
                for _ in range(5):
                    time.sleep(0.2)
                    st, _ = c.req("PUT", "/%s/%s" % (a.bucket, k), body_of(k, a.size))
                    if st == 200:
                        break
                if st != 200:
                    with lock:
                        errors[0] += 1
            if i and i % 20000 == 0:
                print("fill: %d" % i, file=sys.stderr, flush=True)

    t0 = time.monotonic()
    run_threads(a.threads, run)
    dt = time.monotonic() - t0
    print(json.dumps({"count": a.count, "errors": errors[0], "seconds": round(dt, 1),
                      "ops_s": round(a.count / dt, 1)}))
    return 1 if errors[0] else 0


def putrate(a):
    lat, lock, stop = [], threading.Lock(), time.monotonic() + a.seconds
    errors = [0]

    def run(t):
        c, mine, i = Conn(a.rest), [], 0
        while time.monotonic() < stop:
            k = "%s-%d-%d" % (a.prefix, t, i)
            i += 1
            t0 = time.monotonic()
            st, _ = c.req("PUT", "/%s/%s" % (a.bucket, k), body_of(k, a.size))
            mine.append((time.monotonic() - t0) * 1000)
            if st != 200:
                with lock:
                    errors[0] += 1
        with lock:
            lat.extend(mine)

    run_threads(a.threads, run)
    print(json.dumps({"ops": len(lat), "errors": errors[0], "ops_s": round(len(lat) / a.seconds, 1),
                      "p50_ms": round(pct(lat, 0.50), 2), "p99_ms": round(pct(lat, 0.99), 2)}))
    return 0


def mixed(a):
    fgb = a.fg_bucket or a.bucket
    lock = threading.Lock()
    written = []
    log = open(a.log, "w")
    acked = open(a.acked, "w") if a.acked else None

    def run(t):
        c, i, rnd, lines = Conn(a.rest), 0, random.Random(t), []
        while not os.path.exists(a.until):
            if rnd.random() < a.read_ratio:
                with lock:
                    own = written[rnd.randrange(len(written))] if written and rnd.random() < 0.3 else None
                if own is not None:
                    b, k, size = fgb, own, a.size
                else:
                    b, k, size = a.bucket, "%s-%d" % (a.fill_prefix, rnd.randrange(a.fill_count)), a.fill_size
                t0 = time.monotonic()
                st, data = c.req("GET", "/%s/%s" % (b, k))
                ok = st == 200 and data == body_of(k, size)
                kind = "get"
            else:
                k = "%s-%d-%d" % (a.prefix, t, i)
                i += 1
                t0 = time.monotonic()
                st, _ = c.req("PUT", "/%s/%s" % (fgb, k), body_of(k, a.size))
                ok = st == 200
                kind = "put"
                if ok:
                    with lock:
                        written.append(k)
                        if acked:
                            acked.write(k + "\n")
            lines.append("%.4f %.3f %s %d %d\n" % (time.time(), (time.monotonic() - t0) * 1000,
                                                    kind, ok, st))
            if len(lines) >= 200:
                with lock:
                    log.writelines(lines)
                lines = []
        with lock:
            log.writelines(lines)

    run_threads(a.threads, run)
    log.close()
    if acked:
        acked.close()
    return 0


def summary(a):
    marks = [l.split() for l in open(a.marks) if l.strip()]
    marks = [(m[0], float(m[1])) for m in marks]
    ops = []
    for l in open(a.log):
        f = l.split()
        if len(f) >= 4:
            ops.append((float(f[0]), float(f[1]), f[2], f[3] == "1", f[4] if len(f) > 4 else "?"))
    out = {}
    for i, (name, t0) in enumerate(marks[:-1]):
        t1 = marks[i + 1][1]
        sel = [o for o in ops if t0 <= o[0] < t1]
        lat = [o[1] for o in sel]
        out[name] = {"seconds": round(t1 - t0, 1), "ops": len(sel),
                     "ops_s": round(len(sel) / max(0.001, t1 - t0), 1),
                     "p50_ms": round(pct(lat, 0.50), 2), "p99_ms": round(pct(lat, 0.99), 2),
                     "errors": sum(1 for o in sel if not o[3])}
        # the first few failures: what, its HTTP status (0: no answer) and when in the phase
        bad = ["%s %s at +%.1f s" % (o[2], o[4], o[0] - t0) for o in sel if not o[3]]
        if bad:
            out[name]["failed"] = bad[:5]
    print(json.dumps(out))
    return 0


def verify(a):
    keys = [(a.bucket, "%s-%d" % (a.prefix, i), a.size) for i in range(a.count)]
    if a.acked:
        keys += [(a.fg_bucket or a.bucket, l.strip(), a.acked_size) for l in open(a.acked) if l.strip()]
    lock, nxt, bad, missing = threading.Lock(), [0], [], [0]

    def run(t):
        c = Conn(a.rest)
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= len(keys):
                return
            b, k, size = keys[i]
            st, data = c.req("GET", "/%s/%s" % (b, k))
            if st == 404:
                with lock:
                    missing[0] += 1
            elif st != 200 or data != body_of(k, size):
                with lock:
                    bad.append(k)

    run_threads(a.threads, run)
    print(json.dumps({"checked": len(keys), "bad": len(bad), "missing": missing[0],
                      "first_bad": bad[:5]}))
    return 1 if bad or missing[0] else 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["fill", "putrate", "mixed", "summary", "verify"])
    p.add_argument("--rest")
    p.add_argument("--bucket", default="bench")
    p.add_argument("--fg-bucket", help="mixed: where its PUTs go (default --bucket)")
    p.add_argument("--prefix", default="k")
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--size", type=int, default=1)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--until")
    p.add_argument("--log")
    p.add_argument("--marks")
    p.add_argument("--acked")
    p.add_argument("--acked-size", type=int, default=1024)
    p.add_argument("--read-ratio", type=float, default=0.8)
    p.add_argument("--fill-prefix", default="k")
    p.add_argument("--fill-count", type=int, default=1)
    p.add_argument("--fill-size", type=int, default=1)
    a = p.parse_args()
    return {"fill": fill, "putrate": putrate, "mixed": mixed, "summary": summary,
            "verify": verify}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
