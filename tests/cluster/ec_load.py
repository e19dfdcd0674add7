#!/usr/bin/env python3
"""tests/cluster/ec_load.py: objects in an erasure-coded bucket (issue 21) and their checks,
for tests/cluster/fault_29..32 (6 storage nodes, ec:4+2).

One attempt per request everywhere (the client does not retry: an answer the gateway got
wrong is not hidden by a second try). Bodies are random; the log keeps each acked object's
size and SHA-256, one JSON line {key, size, sha256} per object.

  ec_load.py put   --endpoint URL --bucket B --prefix P --count N --size-min A --size-max Z
                   --threads T --log FILE
      PUTs N new objects P/NNNNN of random sizes in [A, Z] from T threads; logs every acked
      one. Prints a JSON summary {acked, failed, mib, seconds, errors}; exit 1 when a PUT
      failed.
  ec_load.py check --endpoint URL --bucket B --log FILE [--expect ok|unavailable] [--threads T]
      GETs every object of the log once. --expect ok (the default): every one answers 200 with
      its bytes (SHA-256). --expect unavailable: any answer but 200 must be 503 (SlowDown,
      ServiceUnavailable), and any 200 must carry the right bytes: never wrong bytes, never
      a 404 or 500, nor a 200 whose body breaks off. Prints {objects, ok, wrong, status:
      {code or "truncated" or "error": n}, errors}.
  ec_load.py load  --endpoint URL --bucket B --prefix P --threads T --until FILE --log FILE
                   [--base LOG] [--size-min A --size-max Z] [--read-ratio F] [--pause S]
      Until FILE exists, each thread PUTs a new object (logged when acked) or, with
      probability F, GETs one acked before (of this load or of --base) and checks its bytes;
      then sleeps S seconds (default 0: a steady load, not the most the gateway takes).
      Prints {puts, gets, put_errors, get_errors, wrong, errors}; exit 1 on any error.
  ec_load.py frags --bucket B --log FILE --data DIR,... --k K --m M --chunk-size BYTES
                   [--admin HOST:PORT --owners]
      Where every fragment of every chunk of the log's objects is. The chunk keys
      ("\\x01c/B/KEY/VERSION/NNNNNN") and fragment keys (chunk key "\\0f" K M i, common/ec_key.h)
      are read off the container files under each DIR (a storage node's data dir, named
      after the node): each object must have at least ceil(size / BYTES) chunks and each
      chunk its K+M fragments, each held by exactly one node and no two on one node.
      Records are never removed from a container file but by compaction, so this shows
      what was written (a rebuilt fragment included), not that it is still live. With
      --admin, whereis of each object too (its "ec" part, cairn-adm whereis of an
      erasure-coded object): ceil(size / BYTES) chunks, each with K+M fragments, every one
      "ok" on its owner, K+M distinct owners (--owners: and each owner has the fragment's
      record in its files). Prints {objects, chunks, fragments_by_node, via: {files:
      chunks, whereis: objects}, errors}.
  ec_load.py flip  --bucket B --log FILE --data DIR --count N [--k K --m M]
      Flips bits (one byte) in the body of up to N data-fragment records (index < K) of the
      log's objects in the container files under DIR (one node's data dir), at most one per
      chunk, halfway into the record body: inside the fragment's payload, so the engine's
      record CRC and the fragment's own CRC32C both fail. Prints {node, flipped, records}.
Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the admin token from CAIRN_TOKEN.
"""
import glob, hashlib, json, os, random, re, subprocess, sys, threading, time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from s3load import JsonLog, parallel, run_main, run_threads, whereis  # noqa: E402

MIB = 1024 * 1024


def client(endpoint, timeout):
    """s3load.py's client (one attempt, path style), but without botocore's own check of a
    GET's checksum (botocore 1.36 and later: response_checksum_validation): the bodies are
    checked here by SHA-256, and with it on, botocore cannot read an error answer that
    carries an object's headers (fault_29 checks those headers itself)."""
    kw = dict(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5,
              read_timeout=timeout, s3={"addressing_style": "path"}, max_pool_connections=4)
    try:
        cfg = Config(response_checksum_validation="when_required", **kw)
    except TypeError:  # an older botocore: it never checks
        cfg = Config(**kw)
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", config=cfg)


def read_log(path):
    out = []
    if path and os.path.exists(path):
        for line in open(path):
            if line.endswith("\n"):
                out.append(json.loads(line))
    return out


def status_of(e):
    """The HTTP status of a botocore ClientError, else None (a transfer error)."""
    try:
        return int(e.response["ResponseMetadata"]["HTTPStatusCode"])
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def cmd_put(a):
    log = JsonLog(a.log)
    lock = threading.Lock()
    st = {"acked": 0, "failed": 0, "bytes": 0, "errors": []}
    todo = list(range(a.count))
    t0 = time.monotonic()

    def worker(t):
        c = client(a.endpoint, a.timeout)
        rnd = random.Random("%d/%d/%s" % (os.getpid(), t, a.prefix))
        while True:
            with lock:
                if not todo:
                    return
                i = todo.pop(0)
            key = "%s/%05d" % (a.prefix, i)
            body = rnd.randbytes(rnd.randint(a.size_min, a.size_max))
            try:
                c.put_object(Bucket=a.bucket, Key=key, Body=body)
            except Exception as e:  # noqa: BLE001 - counted, shown
                with lock:
                    st["failed"] += 1
                    st["errors"].append("PUT %s: %s" % (key, e))
                continue
            log.add(key=key, size=len(body), sha256=hashlib.sha256(body).hexdigest())
            with lock:
                st["acked"] += 1
                st["bytes"] += len(body)

    run_threads(worker, a.threads)
    st["seconds"] = round(time.monotonic() - t0, 2)
    st["mib"] = round(st.pop("bytes") / MIB, 1)
    st["errors"] = st["errors"][:10]
    print(json.dumps(st))
    return 0 if st["failed"] == 0 else 1


def get_one(c, bucket, e):
    """One GET of log entry e: ("ok" | "wrong" | status code | "truncated" | "error", detail).
    truncated: a 200 whose body broke off (the gateway had sent the headers when a later
    chunk failed); error: no answer at all."""
    try:
        r = c.get_object(Bucket=bucket, Key=e["key"])
    except Exception as x:  # noqa: BLE001 - what the answer was is the result
        s = status_of(x)
        return (s if s is not None else "error"), "GET %s: %s" % (e["key"], x)
    try:
        body = r["Body"].read()
    except Exception as x:  # noqa: BLE001
        return "truncated", "GET %s: 200, then the body broke off: %s" % (e["key"], x)
    if len(body) != e["size"] or hashlib.sha256(body).hexdigest() != e["sha256"]:
        return "wrong", "GET %s: wrong bytes (%d bytes, want %d)" % (e["key"], len(body), e["size"])
    return "ok", None


def cmd_check(a):
    objs = read_log(a.log)
    local = threading.local()
    lock = threading.Lock()
    res = Counter()
    errs = []

    def one(e):
        if not hasattr(local, "c"):
            local.c = client(a.endpoint, a.timeout)
        r, why = get_one(local.c, a.bucket, e)
        with lock:
            res[str(r)] += 1
            if why and len(errs) < 10:
                errs.append(why)
        return None

    parallel(objs, one, a.threads)
    ok, wrong = res.pop("ok", 0), res.pop("wrong", 0)
    rep = {"objects": len(objs), "ok": ok, "wrong": wrong, "status": dict(res), "errors": errs}
    print(json.dumps(rep))
    if a.expect == "ok":
        return 0 if ok == len(objs) and objs else 1
    # unavailable: never wrong bytes; anything but 200 is a 503
    return 0 if wrong == 0 and set(res) <= {"503"} and objs else 1


def cmd_load(a):
    log = JsonLog(a.log)
    base = read_log(a.base)
    lock = threading.Lock()
    st = {"puts": 0, "gets": 0, "put_errors": 0, "get_errors": 0, "wrong": 0, "errors": []}

    def note(kind, why):
        with lock:
            st[kind] += 1
            if len(st["errors"]) < 20:
                st["errors"].append("%.1f %s" % (time.time(), why))

    def worker(t):
        c = client(a.endpoint, a.timeout)
        rnd = random.Random("%d/%d/%s" % (os.getpid(), t, a.prefix))
        i = 0
        while not os.path.exists(a.until):
            with lock:
                pool = len(base)
            if pool and rnd.random() < a.read_ratio:
                e = base[rnd.randrange(pool)]
                r, why = get_one(c, a.bucket, e)
                with lock:
                    st["gets"] += 1
                if r == "wrong":
                    note("wrong", why)
                elif r != "ok":
                    note("get_errors", why)
                if a.pause:
                    time.sleep(a.pause)
                continue
            if a.pause:
                time.sleep(a.pause)
            key = "%s/t%d-%05d" % (a.prefix, t, i)
            i += 1
            body = rnd.randbytes(rnd.randint(a.size_min, a.size_max))
            try:
                c.put_object(Bucket=a.bucket, Key=key, Body=body)
            except Exception as x:  # noqa: BLE001
                note("put_errors", "PUT %s: %s" % (key, x))
                continue
            e = {"key": key, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
            log.add(**e)
            with lock:
                st["puts"] += 1
                base.append(e)

    run_threads(worker, a.threads)
    print(json.dumps(st))
    return 0 if st["put_errors"] + st["get_errors"] + st["wrong"] == 0 else 1


def frag_records(a, objs):
    """{chunk key: {index: set(nodes)}} read off the container files under --data, and the
    version prefixes found per object key."""
    want = set(e["key"] for e in objs)
    name = r"[^/\x00-\x20]+"
    pat = r"\x01c/%s/%s/%s/[0-9]{6}\x00f[0-9a-f]{3}" % (
        re.escape(a.bucket), r"(?:%s/)*%s" % (name, name), name)
    chunks, versions = {}, {}
    for d in a.data.split(","):
        node = os.path.basename(d.rstrip("/"))
        files = sorted(glob.glob(os.path.join(d, "**", "*.dat"), recursive=True))
        if not files:
            continue
        out = subprocess.run(["grep", "-a", "-o", "-h", "-P", pat] + files,
                             capture_output=True).stdout
        for m in set(out.split(b"\n")):
            s = m.decode("latin-1")
            if not s:
                continue
            ck, suf = s[:-5], s[-5:]
            k, mm, i = int(suf[2], 16), int(suf[3], 16), int(suf[4], 16)
            if (k, mm) != (a.k, a.m):
                continue
            pre = ck[:-6]  # "\x01c/B/KEY/VER/"
            key, ver = pre[len("\x01c/%s/" % a.bucket):-1].rsplit("/", 1)
            if key not in want:
                continue
            versions.setdefault(key, set()).add(ver)
            chunks.setdefault(ck, {}).setdefault(i, set()).add(node)
    return chunks, versions


def whereis_check(a, e, files_chunks):
    """whereis of log entry e's object: a list of what is wrong (empty: all good). Its "ec"
    part: {chunks, listed, truncated, fragments: {state: n}, list: [{key, k, m, fragments:
    [{i, node, state}]}]}, node being fragment i's owner on the current ring (cairn-adm
    whereis of an erasure-coded object)."""
    w = whereis(a.admin, "%s/%s" % (a.bucket, e["key"]))
    if "ec_error" in w:
        return ["%s: whereis: %s" % (e["key"], w["ec_error"])]
    ec = w.get("ec")
    if not isinstance(ec, dict):
        return ["%s: whereis lists no fragments (a replicated object?)" % e["key"]]
    out, n = [], a.k + a.m
    want = -(-e["size"] // a.chunk_size)
    if ec.get("chunks") != want or ec.get("truncated") or len(ec.get("list", [])) != want:
        out.append("%s: whereis lists %s of %s chunks, want %d" % (
            e["key"], len(ec.get("list", [])), ec.get("chunks"), want))
    for c in ec.get("list", []):
        # the chunk key, its bytes under 0x20 or over 0x7e and backslashes written \xHH
        ck = re.sub(r"\\x([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), c.get("key", "?"))
        fr = c.get("fragments", [])
        if (c.get("k"), c.get("m")) != (a.k, a.m):
            out.append("%s: coded %s+%s, want %d+%d" % (ck, c.get("k"), c.get("m"), a.k, a.m))
        bad = [f for f in fr if f.get("state") != "ok"]
        if bad:
            out.append("%s: fragments not ok: %s" % (ck, bad[:3]))
        if sorted(int(f.get("i", -1)) for f in fr) != list(range(n)):
            out.append("%s: whereis lists fragments %s" % (ck, [f.get("i") for f in fr]))
        nodes = [f.get("node") for f in fr]
        if len(set(nodes)) != n or "" in nodes:
            out.append("%s: %d fragments on %d distinct owners %s" % (ck, n, len(set(nodes)), nodes))
        held = files_chunks.get(ck)
        if held is not None and a.owners:
            # the files agree: fragment i's record is on the node whereis names as its owner
            for f in fr:
                if f.get("node") not in held.get(int(f.get("i", -1)), set()):
                    out.append("%s: fragment %s's owner %s has no record of it in its files" % (
                        ck, f.get("i"), f.get("node")))
    return out


def cmd_frags(a):
    objs = read_log(a.log)
    chunks, versions = frag_records(a, objs)
    n = a.k + a.m
    errs, by_node, via = [], Counter(), {"files": 0, "whereis": 0}
    lock = threading.Lock()

    def bad(why):
        with lock:
            errs.append(why.replace("\x01", "\\x01").replace("\x00", "\\0"))

    for e in objs:
        vers = versions.get(e["key"], set())
        if len(vers) != 1:
            bad("%s: %d versions of chunks found in the files, want 1" % (e["key"], len(vers)))
            continue
        pre = "\x01c/%s/%s/%s/" % (a.bucket, e["key"], vers.pop())
        want = -(-e["size"] // a.chunk_size)
        have = [ck for ck in chunks if ck.startswith(pre)]
        if len(have) < want:
            bad("%s: %d chunks with fragments in the files, want %d" % (e["key"], len(have), want))
    items = sorted(chunks.items())

    def one(item):
        ck, frs = item
        nodes = [frs.get(i, set()) for i in range(n)]
        if any(len(s) != 1 for s in nodes):
            return bad("%s: fragments by index in the files: %s" % (
                ck, {i: sorted(s) for i, s in enumerate(nodes)}))
        held = [next(iter(s)) for s in nodes]
        if len(set(held)) != n:
            return bad("%s: %d fragments on %d distinct nodes %s" % (ck, n, len(set(held)), held))
        with lock:
            via["files"] += 1
            for x in held:
                by_node[x] += 1
        return None

    parallel(items, one, 8)

    def by_whereis(e):
        try:
            r = whereis_check(a, e, chunks)
        except Exception as x:  # noqa: BLE001
            return bad("whereis %s: %s" % (e["key"], x))
        for why in r:
            bad(why)
        with lock:
            via["whereis"] += 1
        return None

    if a.admin:
        parallel(objs, by_whereis, 8)
    rep = {"objects": len(objs), "chunks": len(chunks), "fragments_by_node": dict(by_node),
           "via": via, "bad": len(errs), "errors": errs[:10]}
    print(json.dumps(rep))
    return 0 if not errs and objs else 1


def cmd_flip(a):
    """Flips bits in the bodies of up to --count fragment records (data fragments: index <
    K) of the log's objects in the container files under --data (one node's data dir), one
    record per chunk, halfway into the body (past the fragment's header, well inside its
    payload). Prints {node, flipped, records: [[chunk key, index, file, offset]]}."""
    want = set(e["key"] for e in read_log(a.log))
    pat = re.compile(rb"\x01c/" + re.escape(a.bucket.encode()) +
                     rb"/([^\x00-\x20]+)/[0-9a-f]+/[0-9]{6}\x00f([0-9a-f])([0-9a-f])([0-9a-f])")
    done, seen = [], set()
    files = sorted(glob.glob(os.path.join(a.data, "**", "*.dat"), recursive=True))
    for path in files:
        with open(path, "r+b") as f:
            buf = f.read()
            for m in pat.finditer(buf):
                if len(done) >= a.count:
                    break
                ck = m.group(0)[:-5]
                key = m.group(1).decode("latin-1")
                k, mm, i = (int(m.group(g), 16) for g in (2, 3, 4))
                if key not in want or (k, mm) != (a.k, a.m) or i >= a.k or ck in seen:
                    continue
                h = m.start() - 128  # the record header (storage/engine/record.h)
                if h < 0 or buf[h:h + 4] != b"CNR1":
                    continue
                key_len = int.from_bytes(buf[h + 6:h + 8], "little")
                meta_len = int.from_bytes(buf[h + 12:h + 16], "little")
                body_len = int.from_bytes(buf[h + 16:h + 24], "little")
                if key_len != len(m.group(0)) or body_len < 4096:
                    continue
                at = m.start() + key_len + meta_len + body_len // 2
                f.seek(at)
                b = f.read(1)
                f.seek(at)
                f.write(bytes([b[0] ^ 0x5A]))
                seen.add(ck)
                done.append([ck.decode("latin-1").replace("\x01", "\\x01"), i,
                             os.path.basename(path), at])
    print(json.dumps({"node": os.path.basename(a.data.rstrip("/")), "flipped": len(done),
                      "records": done}))
    return 0 if done else 1


def own_args(ap):
    ap.add_argument("--log")
    ap.add_argument("--base")
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--size-min", type=int, default=MIB)
    ap.add_argument("--size-max", type=int, default=8 * MIB)
    ap.add_argument("--read-ratio", type=float, default=0.5)
    ap.add_argument("--expect", choices=["ok", "unavailable"], default="ok")
    ap.add_argument("--data")
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--m", type=int, default=2)
    ap.add_argument("--chunk-size", type=int, default=MIB)
    ap.add_argument("--owners", action="store_true")
    ap.add_argument("--pause", type=float, default=0.0)


def main():
    return run_main({"put": cmd_put, "check": cmd_check, "load": cmd_load, "frags": cmd_frags,
                     "flip": cmd_flip},
                    own_args, prefix="ec", threads=4)


if __name__ == "__main__":
    sys.exit(main())
