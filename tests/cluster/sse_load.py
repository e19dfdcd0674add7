#!/usr/bin/env python3
"""tests/cluster/sse_load.py: a load of encrypted objects (SSE-C, SSE-S3, SSE-KMS; issue 20)
through several gateways, and its checks, for tests/cluster/fault_28_sse_kill.sh.

Bodies are not stored: an object's bytes are a function of (--seed, key, size), 4 KiB
blocks each starting with the run's marker (--marker) and followed by SHAKE-256 of
"seed/key/block", so any range can be made again without the rest (body_range).

  sse_load.py load  --endpoints URL,URL --bucket B --prefix P --threads T --until FILE
                    --log FILE --seed S --marker M --kms-key NAME
      Each of T threads, until FILE appears, one op at a time through a gateway picked at
      random: a PUT of a new key P/tT-NNNNNN (sizes 0..12 MiB, some past the 5 MiB chunk
      size) under a random mode, SSE-C (a random 32-byte customer key per object), SSE-S3
      or SSE-KMS (key NAME); now and then a multipart upload (5 MiB + 5 MiB + a small
      part) under a random mode (thread 0 begins with one under each mode);
      or a GET of one of its acked objects (sha256 compared). One attempt per op; each is
      logged as a JSON line {op: put|mpu|get, key, mode: C|S3|KMS, ckey (hex, SSE-C),
      size, sha256, ok, t, gw, error}. Prints a JSON summary.
  sse_load.py probe --endpoints ... --bucket B --log FILE --seed S --marker M --kms-key NAME
                    --count K
      K GETs through each gateway of acked SSE-S3 and SSE-KMS objects of the log (half
      each), each on a connection of its own (a gateway's key cache is per worker thread,
      and which worker takes a connection is the kernel's choice): every one must read
      back byte-identical. Run while the managers are down, it shows that reads go on from
      the gateways' key caches.
  sse_load.py check --endpoints ... --bucket B --log FILE --seed S --marker M --kms-key NAME
                    [--admin HOST:PORT --n N --exclusive --chunks DIR,...]
      Every acked PUT and multipart upload of the log, through every gateway: GET (with the
      customer key for SSE-C) is byte-identical (sha256); HEAD shows the mode (SSE-C: the
      algorithm and the key's MD5; SSE-S3: AES256; SSE-KMS: aws:kms and the key) and the
      plaintext length; a ranged GET across the first 64 KiB block boundary (and across the
      5 MiB chunk and part boundary when the object is larger) matches; an SSE-C object
      read without its key answers 400 and with another key 403. Also: no GET of the load
      failed or read wrong bytes. With --admin, whereis of every acked key: the parent
      record (a manifest: encrypted objects are always chunked) on each of its N owners
      with one clock and ETag (--exclusive: no live copy on another node); with --chunks
      (the storage nodes' data dirs), the chunk keys of each object are read off the
      files (grep) and every chunk is on its N owners with one clock (and, --exclusive,
      nowhere else). Prints a JSON report; exit status 0 = all good.
  sse_load.py plain --endpoints ... --bucket B --key K --size N --seed S --marker M
      PUTs one object without encryption, a body of the same form (the marker shows).
Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the admin token from CAIRN_TOKEN.
"""
import base64, hashlib, json, os, random, re, subprocess, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3load import JsonLog, client, parallel, run_main, run_threads, whereis  # noqa: E402

MIB = 1024 * 1024
BLOCK = 64 * 1024          # the plaintext block of an encrypted stream (common/sse.h)
CHUNK = 5 * MIB            # [gateway] chunk_size
PART = 5 * MIB             # the parts of a multipart upload, but the last
MARK_EVERY = 4096          # the marker starts every such block of a body


def body_range(a, key, off, end):
    """Bytes [off, end) of key's body (of any size >= end)."""
    out = bytearray()
    mark = a.marker.encode()
    for i in range(off // MARK_EVERY, (end + MARK_EVERY - 1) // MARK_EVERY):
        blk = mark + hashlib.shake_256(("%s/%s/%d" % (a.seed, key, i)).encode()).digest(
            MARK_EVERY - len(mark))
        out += blk
    base = off // MARK_EVERY * MARK_EVERY
    return bytes(out[off - base:end - base])


def put_params(a, mode, ckey):
    """The parameters of a write under mode (PUT, CreateMultipartUpload)."""
    if mode == "C":
        return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": ckey}
    if mode == "S3":
        return {"ServerSideEncryption": "AES256"}
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": a.kms_key}


def read_params(mode, ckey):
    """The parameters of a read (and of UploadPart): the customer key of SSE-C."""
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": ckey} if mode == "C" else {}


def pick_size(rnd):
    r = rnd.random()
    if r < 0.04:
        return rnd.choice([0, 1, BLOCK, BLOCK + 1, CHUNK, CHUNK + 1])
    if r < 0.65:
        return rnd.randint(0, 128 * 1024)
    if r < 0.93:
        return rnd.randint(128 * 1024, MIB)
    return rnd.randint(CHUNK + 1, 12 * MIB)


def read_log(path):
    """The log's acked writes (key -> entry) and its GETs."""
    objs, gets = {}, []
    for line in open(path):
        if not line.endswith("\n"):  # the load is writing it
            break
        e = json.loads(line)
        if e["op"] == "get":
            gets.append(e)
        elif e["ok"]:
            objs[e["key"]] = e
    return objs, gets


def ckey_of(e):
    return bytes.fromhex(e["ckey"]) if e.get("ckey") else None


def cmd_load(a):
    eps = a.endpoints.split(",")
    log = JsonLog(a.log)
    lock = threading.Lock()
    stats = {"ops": 0, "put": 0, "mpu": 0, "get": 0, "failed": 0, "bad_reads": 0,
             "by_mode": {"C": 0, "S3": 0, "KMS": 0}, "errors": []}

    def write(c, rnd, key, mode, multipart):
        ckey = os.urandom(32) if mode == "C" else None
        size = 2 * PART + rnd.randint(1, 300 * 1024) if multipart else pick_size(rnd)
        body = body_range(a, key, 0, size)
        e = {"op": "mpu" if multipart else "put", "key": key, "mode": mode, "size": size,
             "sha256": hashlib.sha256(body).hexdigest(), "ok": False}
        if ckey:
            e["ckey"] = ckey.hex()
        if not multipart:
            c.put_object(Bucket=a.bucket, Key=key, Body=body, **put_params(a, mode, ckey))
            return e
        uid = c.create_multipart_upload(Bucket=a.bucket, Key=key,
                                        **put_params(a, mode, ckey))["UploadId"]
        try:
            parts = []
            for n, off in enumerate(range(0, size, PART)):
                r = c.upload_part(Bucket=a.bucket, Key=key, UploadId=uid, PartNumber=n + 1,
                                  Body=body[off:off + PART], **read_params(mode, ckey))
                parts.append({"PartNumber": n + 1, "ETag": r["ETag"]})
            c.complete_multipart_upload(Bucket=a.bucket, Key=key, UploadId=uid,
                                        MultipartUpload={"Parts": parts})
        except Exception:
            try:
                c.abort_multipart_upload(Bucket=a.bucket, Key=key, UploadId=uid)
            except Exception:  # noqa: BLE001 - the abort is a courtesy
                pass
            raise
        return e

    def worker(t):
        cs = [client(ep, a.timeout) for ep in eps]
        rnd = random.Random("%s/%d" % (a.seed, t))
        mine = []  # acked (key, mode, ckey, sha256)
        i = 0
        while not os.path.exists(a.until):
            g = rnd.randrange(len(cs))
            r = rnd.random()
            t0 = time.time()
            if mine and r < 0.15:
                key, mode, ckey, sha = rnd.choice(mine)
                e = {"op": "get", "key": key, "mode": mode, "ok": False}
                try:
                    got = cs[g].get_object(Bucket=a.bucket, Key=key,
                                           **read_params(mode, ckey))["Body"].read()
                    e["ok"] = hashlib.sha256(got).hexdigest() == sha
                    if not e["ok"]:
                        e["error"] = "wrong bytes (%d)" % len(got)
                        with lock:
                            stats["bad_reads"] += 1
                except Exception as ex:  # noqa: BLE001 - logged, the check counts it
                    e["error"] = str(ex)[:200]
            else:
                key = "%s/t%d-%06d" % (a.prefix, t, i)
                first = t == 0 and i < 3
                mode = ["C", "S3", "KMS"][i] if first else rnd.choice(["C", "S3", "KMS"])
                i += 1
                e = {"op": "put", "key": key, "mode": mode, "ok": False}
                try:
                    e = write(cs[g], rnd, key, mode, first or r < 0.17)
                    e["ok"] = True
                except Exception as ex:  # noqa: BLE001 - an op of unknown outcome, logged
                    e["error"] = str(ex)[:200]
                if e["ok"]:
                    mine.append((key, mode, ckey_of(e), e["sha256"]))
            e["t"], e["gw"] = round(t0, 3), g
            log.add(**e)
            with lock:
                stats["ops"] += 1
                if e["ok"]:
                    stats[e["op"]] += 1
                    if e["op"] != "get":
                        stats["by_mode"][e["mode"]] += 1
                else:
                    stats["failed"] += 1
                    if len(stats["errors"]) < 10:
                        stats["errors"].append("%s %s via %s: %s"
                                               % (e["op"], key, eps[g], e["error"]))
            if not e["ok"]:
                time.sleep(0.2)

    run_threads(worker, a.threads)
    print(json.dumps(stats))
    return 0 if stats["bad_reads"] == 0 else 1


def code_of(fn):
    """The HTTP status of fn()'s answer (200 when it raised nothing)."""
    try:
        fn()
        return 200
    except Exception as ex:  # noqa: BLE001
        return getattr(ex, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode", ex)


def check_one(a, c, ep, e):
    """Every check of acked object e through the client c (of gateway ep): a list of errors."""
    key, mode, size = e["key"], e["mode"], e["size"]
    ckey = ckey_of(e)
    rp = read_params(mode, ckey)
    where = "%s (%s %s, %d bytes) via %s" % (key, e["op"], mode, size, ep)
    out = []
    try:
        got = c.get_object(Bucket=a.bucket, Key=key, **rp)["Body"].read()
        if hashlib.sha256(got).hexdigest() != e["sha256"]:
            out.append("%s: GET: wrong bytes (%d)" % (where, len(got)))
        h = c.head_object(Bucket=a.bucket, Key=key, **rp)
        if mode == "C":
            md5 = base64.b64encode(hashlib.md5(ckey).digest()).decode()
            have = (h.get("SSECustomerAlgorithm"), h.get("SSECustomerKeyMD5"))
            want = ("AES256", md5)
        else:
            have = (h.get("ServerSideEncryption"), h.get("SSEKMSKeyId"))
            want = ("AES256", None) if mode == "S3" else ("aws:kms", a.kms_key)
        if have != want or h["ContentLength"] != size:
            out.append("%s: HEAD: mode %s length %d, want %s %d"
                       % (where, have, h["ContentLength"], want, size))
        ranges = [(BLOCK - 100, BLOCK + 100)] if size > BLOCK + 100 else \
            [(size // 3, size)] if size else []
        if size > CHUNK + BLOCK:
            ranges.append((CHUNK - BLOCK - 7, CHUNK + BLOCK + 7))
        for lo, hi in ranges:
            got = c.get_object(Bucket=a.bucket, Key=key, Range="bytes=%d-%d" % (lo, hi - 1),
                               **rp)["Body"].read()
            if got != body_range(a, key, lo, hi):
                out.append("%s: bytes=%d-%d: wrong bytes (%d)" % (where, lo, hi - 1, len(got)))
    except Exception as ex:  # noqa: BLE001
        out.append("%s: %s" % (where, str(ex)[:200]))
    if mode == "C":
        code = code_of(lambda: c.get_object(Bucket=a.bucket, Key=key))
        if code != 400:
            out.append("%s: GET without the customer key answers %s, want 400" % (where, code))
        code = code_of(lambda: c.get_object(Bucket=a.bucket, Key=key,
                                            **read_params("C", os.urandom(32))))
        if code != 403:
            out.append("%s: GET with another customer key answers %s, want 403" % (where, code))
    return out


def copies_ok(a, name, w):
    """whereis answer w of name: a live copy on each of the N owners, one clock and ETag;
    with --exclusive none elsewhere. A list of errors."""
    reps = w.get("replicas", [])
    out = []
    if len(reps) != a.n:
        out.append("%s: %d owners, want %d" % (name, len(reps), a.n))
    have = set()
    for r in reps:
        c = r.get("copy", {})
        if not c.get("present") or c.get("tombstone") or c.get("corrupt"):
            out.append("%s: owner %s holds no good copy (%s)" % (name, r.get("node"), c))
        have.add((c.get("clock"), c.get("etag"), c.get("manifest")))
    if len(have) > 1:
        out.append("%s: the owners' copies differ: %s" % (name, sorted(map(str, have))))
    if a.exclusive:
        for o in w.get("others", []):
            c = o.get("copy", {})
            if c.get("present") and not c.get("tombstone"):
                out.append("%s: %s is no owner but holds a copy" % (name, o.get("node")))
    return out


def chunk_prefixes(a, keys):
    """Per key, the chunk key prefixes found in the files under --chunks (one segment of a
    PUT: \\x01c/BUCKET/KEY/VER/, a part: \\x01c/BUCKET/KEY/UPLOAD.NNNNN.VER/)."""
    name = r"[^/\x00-\x20]+"
    pat = r"\x01c/%s/%s/%s/%s/[0-9]{6}" % (re.escape(a.bucket), re.escape(a.prefix), name, name)
    out = subprocess.run(["grep", "-a", "-o", "-h", "-r", "-P", pat] + a.chunks.split(","),
                         capture_output=True).stdout
    found = {}
    for m in set(out.split(b"\n")):
        s = m.decode("latin-1")
        if not s:
            continue
        pre = s[:-6]
        key = pre[len("\x01c/%s/" % a.bucket):].rsplit("/", 2)[0]
        if key in keys:
            found.setdefault(key, set()).add(pre)
    return found


def check_chunks(a, key, e, prefixes, by_node):
    """Every chunk of each of key's prefixes on its N owners (whereis of the chunk's key);
    counts the owners' copies in by_node (node -> chunks, with by_node["lock"])."""
    out = []
    if e["size"] and not prefixes:
        return ["%s: no chunk key found on the storage nodes" % key]
    nparts = len(range(0, e["size"], PART)) if e["op"] == "mpu" else 1
    if e["size"] and len(prefixes) != nparts:
        out.append("%s: %d chunk prefixes on the storage nodes, want %d"
                   % (key, len(prefixes), nparts))
    n = 0
    for pre in sorted(prefixes):
        for idx in range(10000):
            name = "%s%06d" % (pre, idx)  # a chunk's key holds its bucket
            w = whereis(a.admin, name)
            held = [r for r in w.get("replicas", []) + w.get("others", [])
                    if r.get("copy", {}).get("present")]
            if not held:
                break
            n += 1
            out += [x.replace("\x01", "\\x01") for x in copies_ok(a, name, w)]
            with by_node["lock"]:
                for r in w.get("replicas", []):
                    by_node[r["node"]] = by_node.get(r["node"], 0) + 1
    if n < -(-e["size"] // CHUNK):
        out.append("%s: %d chunks found, want at least %d" % (key, n, -(-e["size"] // CHUNK)))
    return out


def cmd_check(a):
    t0 = time.monotonic()
    eps = a.endpoints.split(",")
    objs, gets = read_log(a.log)
    local = threading.local()

    def one(key):
        if not hasattr(local, "cs"):
            local.cs = [client(ep, a.timeout) for ep in eps]
        out = []
        for c, ep in zip(local.cs, eps):
            out += check_one(a, c, ep, objs[key])
        return out

    errs = sum(parallel(sorted(objs), one, a.threads), [])
    bad_gets = ["GET %s (%s) via %s at %.1f: %s" % (g["key"], g["mode"], eps[g["gw"]], g["t"],
                                                   g.get("error"))
                for g in gets if not g["ok"]]
    errs += bad_gets
    rep = {"objects": len(objs), "gateways": len(eps),
           "by_mode": {m: sum(1 for e in objs.values() if e["mode"] == m)
                       for m in ("C", "S3", "KMS")},
           "multipart_by_mode": {m: sum(1 for e in objs.values()
                                        if e["mode"] == m and e["op"] == "mpu")
                                 for m in ("C", "S3", "KMS")},
           "bytes": sum(e["size"] for e in objs.values()), "load_gets": len(gets),
           "load_gets_failed": len(bad_gets)}
    if a.admin:
        pre = chunk_prefixes(a, objs) if a.chunks else {}
        by_node = {"lock": threading.Lock()}

        def where(key):
            w = whereis(a.admin, a.bucket + "/" + key)
            out = copies_ok(a, a.bucket + "/" + key, w)
            if not all(r.get("copy", {}).get("manifest") for r in w.get("replicas", [])):
                out.append("%s: a copy is not a manifest (an encrypted object is chunked)" % key)
            if a.chunks:
                out += check_chunks(a, key, objs[key], pre.get(key, set()), by_node)
            return out

        errs += sum(parallel(sorted(objs), where, a.threads), [])
        rep["whereis_keys"] = len(objs)
        rep["chunk_prefixes"] = sum(len(v) for v in pre.values())
        del by_node["lock"]
        rep["chunks_by_node"] = by_node
    rep["seconds"] = round(time.monotonic() - t0, 1)
    rep["n_errors"] = len(errs)
    rep["errors"] = errs[:10]
    print(json.dumps(rep))
    return 0 if not errs else 1


def cmd_probe(a):
    eps = a.endpoints.split(",")
    objs, _ = read_log(a.log)
    errs, n = [], 0
    for mode in ("S3", "KMS"):
        pool = sorted(k for k, e in objs.items() if e["mode"] == mode)
        if not pool:
            errs.append("no acked %s object to read" % mode)
            continue
        rnd = random.Random(a.seed)
        for ep in eps:
            for key in rnd.choices(pool, k=max(1, a.count // 2)):
                n += 1
                try:  # a client of its own: a new connection, to whichever worker
                    got = client(ep, a.timeout).get_object(Bucket=a.bucket, Key=key)["Body"]
                    if hashlib.sha256(got.read()).hexdigest() != objs[key]["sha256"]:
                        errs.append("%s (%s) via %s: wrong bytes" % (key, mode, ep))
                except Exception as ex:  # noqa: BLE001
                    errs.append("%s (%s) via %s: %s" % (key, mode, ep, str(ex)[:200]))
    print(json.dumps({"reads": n, "failed": len(errs), "errors": errs[:10]}))
    return 0 if not errs else 1


def cmd_plain(a):
    client(a.endpoints.split(",")[0], a.timeout).put_object(
        Bucket=a.bucket, Key=a.key, Body=body_range(a, a.key, 0, a.size))
    return 0


def own_args(ap):
    ap.add_argument("--log")
    ap.add_argument("--seed", required=True)
    ap.add_argument("--marker", required=True)
    ap.add_argument("--kms-key")
    ap.add_argument("--count", type=int, default=16)
    ap.add_argument("--key")
    ap.add_argument("--size", type=int, default=MIB)
    ap.add_argument("--chunks", help="the storage nodes' data dirs, comma-separated")


def main():
    return run_main({"load": cmd_load, "probe": cmd_probe, "check": cmd_check,
                     "plain": cmd_plain}, own_args, endpoints=True, prefix="sse", threads=4)


if __name__ == "__main__":
    sys.exit(main())
