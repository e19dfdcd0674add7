#!/usr/bin/env python3
"""tests/cluster/versions.py: a load of S3 object versions through several gateways, and
its checks, for the cluster fault tests (issue 16; tests/cluster/fault_27_versions_kill.sh).

  versions.py enable --endpoints URL,URL --bucket B
      Enables versioning on B and waits until a PUT through each gateway makes a version
      (keys probe/I).
  versions.py load  --endpoints URL,URL --bucket B --prefix P --keys K --threads T
                    --until FILE --log FILE
      Each of T threads owns K/T of the keys P/k000.. and works on them one op at a time
      through a gateway picked at random for each op: a PUT (a new version), a DELETE (a
      delete marker), or a DELETE with versionId of one of the key's acked versions or
      markers that is not its newest (deleted for good). Every op is one attempt (no retry)
      and is logged as a JSON line {key, seq, op, ok, vid, etag, target}: seq orders the ops
      of a key. After a failed op the thread PUTs that key again until one is acked, also
      after FILE appears, so each key's last op is an acked PUT newer than any op whose
      outcome is unknown. Prints a JSON summary.
  versions.py race  --endpoints URL,URL --bucket B --prefix P --rounds R --log FILE
      R times, two threads PUT the same key P/rNNN at the same moment, one through each of
      the first two gateways; both answers are logged (op "put", race 1).
  versions.py check --endpoints URL,URL --bucket B --prefix P --log FILE
                    [--admin HOST:PORT --n N --exclusive]
      ListObjectVersions of P/ through every gateway (pages of 50): the listings must be
      identical. Against the log: every acked version (PUT or marker) not deleted for good
      is listed, with its ETag, and in the order the ops were acked (newest first); every
      acked permanent delete's version is not; the latest of each key is its last acked
      version (for a race key, the one of the two with the newer clock, both listed); a
      version nobody acked is listed only for a key with an op of unknown outcome. With
      --admin, whereis of every key: each of its N owners holds every listed version with
      the same clock and ETag and no version deleted for good live; --exclusive: no other
      node holds a live version of it. Exit status 0 = all good.
Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the admin token from CAIRN_TOKEN.
"""
import hashlib, json, os, random, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3load import (JsonLog, admin_get, client, parallel, run_main,  # noqa: E402
                    run_threads, whereis)


def vid_clock(vid):
    """The clock a version ID was made with (gateway/s3/version.h): 2^64-1 - its first 16
    hex digits; 0 for "null"."""
    if vid in (None, "null") or len(vid) != 24:
        return 0
    return (1 << 64) - 1 - int(vid[:16], 16)


def cmd_load(a):
    eps = a.endpoints.split(",")
    log = JsonLog(a.log)
    keys = ["%s/k%03d" % (a.prefix, i) for i in range(a.keys)]
    lock = threading.Lock()
    stats = {"ops": 0, "failed": 0, "put": 0, "marker": 0, "delver": 0, "errors": []}

    def worker(t):
        cs = [client(e, a.timeout) for e in eps]
        rnd = random.Random(os.getpid() * 1000 + t)
        mine = keys[t::a.threads]
        seq = {k: 0 for k in mine}
        live = {k: [] for k in mine}  # acked versions not deleted for good, oldest first
        pending = None                # a key whose last op failed: PUT it until acked
        give_up = None
        while True:
            stopping = os.path.exists(a.until)
            if pending is None and stopping:
                break
            if pending is not None and stopping:
                give_up = give_up or time.monotonic() + 120
                if time.monotonic() > give_up:
                    with lock:
                        stats["errors"].append("gave up re-putting " + pending)
                    break
            key = pending or rnd.choice(mine)
            r = rnd.random()
            op = "put" if pending or r < 0.65 else "marker" if r < 0.8 else "delver"
            if op == "delver" and len(live[key]) < 2:
                op = "put"
            seq[key] += 1
            c = rnd.choice(cs)
            e = {"key": key, "seq": seq[key], "op": op, "ok": False}
            try:
                if op == "put":
                    body = rnd.randbytes(rnd.randint(0, a.size_max))
                    e["etag"] = hashlib.md5(body).hexdigest()
                    resp = c.put_object(Bucket=a.bucket, Key=key, Body=body)
                    e["vid"] = resp.get("VersionId")
                elif op == "marker":
                    resp = c.delete_object(Bucket=a.bucket, Key=key)
                    e["vid"] = resp.get("VersionId")
                    if not resp.get("DeleteMarker"):
                        raise RuntimeError("DELETE answered no delete marker")
                else:
                    target = rnd.choice(live[key][:-1])
                    e["target"] = target
                    c.delete_object(Bucket=a.bucket, Key=key, VersionId=target)
                if op != "delver" and not e.get("vid"):
                    raise RuntimeError("no x-amz-version-id")
                e["ok"] = True
            except Exception as ex:  # noqa: BLE001 - an op of unknown outcome, logged
                e["error"] = str(ex)[:200]
            log.add(**e)
            with lock:
                stats["ops"] += 1
                if e["ok"]:
                    stats[op] += 1
                else:
                    stats["failed"] += 1
                    if len(stats["errors"]) < 10:
                        stats["errors"].append("%s %s: %s" % (op, key, e["error"]))
            if not e["ok"]:
                pending = key
                time.sleep(0.2)
                continue
            if op == "delver":
                live[key].remove(e["target"])
            else:
                live[key].append(e["vid"])
            if op == "put":
                pending = None

    run_threads(worker, a.threads)
    print(json.dumps(stats))
    return 0 if not any(e.startswith("gave up") for e in stats["errors"]) else 1


def cmd_race(a):
    eps = a.endpoints.split(",")[:2]
    log = JsonLog(a.log)
    cs = [client(e, a.timeout) for e in eps]
    bad = []
    for r in range(a.rounds):
        key = "%s/r%03d" % (a.prefix, r)
        barrier = threading.Barrier(2)

        def one(i):
            body = ("round %d writer %d %s" % (r, i, os.urandom(8).hex())).encode()
            e = {"key": key, "seq": 1, "op": "put", "race": 1, "ok": False,
                 "etag": hashlib.md5(body).hexdigest()}
            barrier.wait()
            try:
                e["vid"] = cs[i].put_object(Bucket=a.bucket, Key=key, Body=body).get("VersionId")
                e["ok"] = bool(e["vid"])
            except Exception as ex:  # noqa: BLE001
                e["error"] = str(ex)[:200]
                bad.append("%s via %s: %s" % (key, eps[i], e["error"]))
            log.add(**e)

        th = [threading.Thread(target=one, args=(i,)) for i in range(2)]
        for x in th:
            x.start()
        for x in th:
            x.join()
    print(json.dumps({"rounds": a.rounds, "failed": len(bad), "errors": bad[:5]}))
    return 0 if not bad else 1


def list_all(c, bucket, prefix):
    """Every version and marker under prefix, page by page, as comparable tuples."""
    out, kw = [], {"Bucket": bucket, "Prefix": prefix, "MaxKeys": 50}
    while True:
        r = c.list_object_versions(**kw)
        items = [("v", v["Key"], v["VersionId"], v["IsLatest"], v["ETag"].strip('"'), v["Size"],
                  v["LastModified"].isoformat()) for v in r.get("Versions", [])]
        items += [("m", m["Key"], m["VersionId"], m["IsLatest"], "", 0,
                   m["LastModified"].isoformat()) for m in r.get("DeleteMarkers", [])]
        out += items
        if not r.get("IsTruncated"):
            return out
        kw["KeyMarker"] = r["NextKeyMarker"]
        kw["VersionIdMarker"] = r["NextVersionIdMarker"]


def expected(path):
    """Per key: acked creations in op order, acked deletes for good, and whether some op's
    outcome is unknown."""
    keys = {}
    for line in open(path):
        e = json.loads(line)
        k = keys.setdefault(e["key"], {"made": [], "gone": set(), "maybe": set(), "unknown": 0,
                                       "race": 0})
        k["race"] |= e.get("race", 0)
        if not e["ok"]:
            k["unknown"] += 1
            if e["op"] == "delver":
                k["maybe"].add(e["target"])
        elif e["op"] == "delver":
            k["gone"].add(e["target"])
        else:
            k["made"].append((e["seq"], e["vid"], e["op"], e.get("etag", "")))
    for k in keys.values():
        k["made"].sort()
    return keys


def check_du(a, nodes):
    """The bucket's du, summed over nodes (each holds its copies), is N times what its whole
    listing says: current objects and bytes, non-current entries and bytes, markers."""
    want = {"objects": 0, "bytes": 0, "noncurrent": 0, "noncurrent_bytes": 0,
            "delete_markers": 0}
    for kind, _, _, latest, _, size, _ in list_all(client(a.endpoints.split(",")[0], a.timeout),
                                                   a.bucket, ""):
        if latest and kind == "v":
            want["objects"] += 1
            want["bytes"] += size
        else:
            want["noncurrent"] += 1
            want["noncurrent_bytes"] += size
        want["delete_markers"] += kind == "m"
    have = dict.fromkeys(want, 0)
    for n in nodes:
        for b in admin_get(a.admin, "/v1/nodes/%s/du" % n)["detail"]:
            if b["bucket"] == a.bucket:
                for f in have:
                    have[f] += b[f]
    want = {f: v * a.n for f, v in want.items()}
    print(json.dumps({"du_sum": have, "listing_times_n": want}), file=sys.stderr)
    return [] if have == want else ["du over %s: %s, the listing times N: %s" % (nodes, have, want)]


def cmd_enable(a):
    client(a.endpoints.split(",")[0], a.timeout).put_bucket_versioning(
        Bucket=a.bucket, VersioningConfiguration={"Status": "Enabled"})
    for i, e in enumerate(a.endpoints.split(",")):  # each gateway learns it by heartbeat
        c = client(e, a.timeout)
        deadline = time.monotonic() + 30
        while c.put_object(Bucket=a.bucket, Key="probe/%d" % i, Body=b"p").get(
                "VersionId", "null") == "null":
            if time.monotonic() > deadline:
                print("a PUT through %s makes no version" % e)
                return 1
            time.sleep(0.5)
    return 0


def cmd_check(a):
    eps = a.endpoints.split(",")
    lists = [list_all(client(e, a.timeout), a.bucket, a.prefix + "/") for e in eps]
    errs = []
    for e, l in zip(eps[1:], lists[1:]):
        if l != lists[0]:
            diff = set(l) ^ set(lists[0])
            errs.append("ListObjectVersions through %s differs from %s (%d entries differ, e.g. %s)"
                        % (e, eps[0], len(diff), sorted(diff)[:2]))
    want = expected(a.log)
    listed = {}
    for kind, key, vid, latest, etag, size, _ in lists[0]:
        listed.setdefault(key, []).append((vid, kind, latest, etag))
    n_versions = 0
    for key, k in sorted(want.items()):
        have = listed.get(key, [])
        ids = [v[0] for v in have]
        byid = {v[0]: v for v in have}
        keep = [m for m in k["made"] if m[1] not in k["gone"] | k["maybe"]]
        n_versions += len(keep)
        for seq, vid, op, etag in keep:
            v = byid.get(vid)
            if v is None:
                errs.append("%s: acked %s %s (op %d) is not listed" % (key, op, vid, seq))
            elif (v[1] == "m") != (op == "marker") or (op == "put" and v[3] != etag):
                errs.append("%s: version %s listed as %s etag %s, acked as %s etag %s"
                            % (key, vid, v[1], v[3], op, etag))
        for vid in k["gone"]:
            if vid in byid:
                errs.append("%s: version %s was deleted for good (acked) but is listed" % (key, vid))
        # one writer's acked versions: each newer (its ID's clock) than the one acked before
        clocks = [vid_clock(m[1]) for m in k["made"]]
        if not k["race"] and any(x >= y for x, y in zip(clocks, clocks[1:])):
            errs.append("%s: acked versions' clocks do not grow in the order they were acked: %s"
                        % (key, [m[1] for m in k["made"]]))
        extra = [i for i in ids if i not in set(m[1] for m in k["made"])]
        if extra and not k["unknown"]:
            errs.append("%s: versions nobody acked are listed: %s" % (key, extra))
        latest = [v[0] for v in have if v[2]]
        if k["race"]:
            vids = [m[1] for m in keep]
            if len(set(vids)) != 2:
                errs.append("%s: the two racing writers did not both get a version: %s" % (key, vids))
            want_latest = max(vids, key=vid_clock) if vids else None
        else:
            want_latest = keep[-1][1] if keep else None
        if latest != [want_latest]:
            errs.append("%s: latest is %s, the newest acked is %s" % (key, latest, want_latest))
    rep = {"keys": len(want), "acked_versions": n_versions, "listed": len(lists[0]),
           "gateways": len(eps)}
    if a.admin:
        def one(key):
            k = want[key]
            keep = {m[1]: m for m in k["made"] if m[1] not in k["gone"] | k["maybe"]}
            try:
                w = whereis(a.admin, a.bucket + "/" + key)
            except Exception as ex:  # noqa: BLE001
                return ["%s: whereis: %s" % (key, ex)]
            out = []
            reps = w.get("replicas", [])
            if len(set(r["node"] for r in reps)) != a.n:
                out.append("%s: %d owners, want %d" % (key, len(reps), a.n))
            clocks = {}
            for r in reps:
                c = r.get("copy", {})
                vs = {v["version"]: v for v in c.get("versions", [])}
                if "versions" not in c:
                    out.append("%s: %s lists no versions: %s" % (key, r["node"], c))
                    continue
                for vid, m in keep.items():
                    v = vs.get(vid)
                    if v is None or v["tombstone"]:
                        out.append("%s: %s lacks version %s" % (key, r["node"], vid))
                    elif v["delete_marker"] != (m[2] == "marker") or \
                            (m[2] == "put" and v["etag"] != m[3]):
                        out.append("%s: %s holds version %s as %s" % (key, r["node"], vid, v))
                    else:
                        clocks.setdefault(vid, set()).add(v["clock"])
                for vid in k["gone"]:
                    if vid in vs and not vs[vid]["tombstone"]:
                        out.append("%s: %s holds version %s that was deleted for good"
                                   % (key, r["node"], vid))
            out += ["%s: version %s has clocks %s on the owners" % (key, v, sorted(c))
                    for v, c in clocks.items() if len(c) != 1]
            if a.exclusive:
                for o in w.get("others", []):
                    held = [v["version"] for v in o.get("copy", {}).get("versions", [])
                            if not v["tombstone"]]
                    if held:
                        out.append("%s: %s, not an owner, holds %s" % (key, o["node"], held))
            return out

        res = parallel(sorted(want), one, 4)
        for r in res:
            errs += r
        rep["whereis_keys"] = len(want)
    if a.du:
        errs += check_du(a, a.du.split(","))
    rep["errors"] = errs[:10]
    rep["n_errors"] = len(errs)
    print(json.dumps(rep))
    return 0 if not errs else 1


def own_args(ap):
    ap.add_argument("--keys", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--log")
    ap.add_argument("--size-max", type=int, default=4096)
    ap.add_argument("--du", help="storage nodes whose du of the bucket to sum and check")


def main():
    return run_main({"enable": cmd_enable, "load": cmd_load, "race": cmd_race,
                     "check": cmd_check}, own_args, endpoints=True, prefix="v")


if __name__ == "__main__":
    sys.exit(main())
