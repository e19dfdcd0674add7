#!/usr/bin/python3
"""tests/integration/access_logs.py: server access logs (issue 18; run by
test_access_logs.sh against a whole cluster whose gateway delivers batches after 2 s, with
Debian's boto3 1.26). Phases (CAIRN_PHASE):
  main            Put/GetBucketLogging round trip and S3's errors; a PUT, a GET, a 404 and an
                  anonymous 403 on the logged bucket come back as S3 access log lines (fields
                  checked) in objects named <prefix>YYYY-mm-DD-HH-MM-SS-<16 hex> owned by the
                  target bucket's owner
  before-restart  requests whose ids are written to CAIRN_STATE; the test then stops the
                  gateway at once (TERM) and starts it again
  after-restart   those requests' lines are delivered (none lost)
Prints ok/FAIL lines. Environment: CAIRN_EP, CAIRN_AK/SK and CAIRN_ALICE_ID (alice),
CAIRN_BOB_AK/SK, CAIRN_PHASE, CAIRN_STATE.
"""
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3check  # noqa: E402
from s3check import bad, expect, expect_error  # noqa: E402

EP = os.environ["CAIRN_EP"]
SRC, DST, PREFIX = "logged", "logs", "acc/"
ALICE_ID = os.environ["CAIRN_ALICE_ID"]

alice = s3check.client(EP, os.environ["CAIRN_AK"], os.environ["CAIRN_SK"])
bob = s3check.client(EP, os.environ["CAIRN_BOB_AK"], os.environ["CAIRN_BOB_SK"])
anon = s3check.client(EP)

# S3's line: 26 fields, three of them quoted and the time in brackets
LINE = re.compile(r'(\S+) (\S+) \[([^\]]+)\] (\S+) (\S+) (\S+) (\S+) (\S+) "([^"]*)" (\S+) '
                  r'(\S+) (\S+) (\S+) (\S+) (\S+) "([^"]*)" "([^"]*)" (\S+) (\S+) (\S+) '
                  r'(\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$')
NAMES = ("owner", "bucket", "time", "ip", "requester", "reqid", "op", "key", "uri", "status",
         "error", "bytes", "size", "total", "turnaround", "referer", "agent", "version",
         "hostid", "sigv", "cipher", "auth", "host", "tls", "arn", "aclreq")
KEYNAME = re.compile(r"^acc/\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9A-F]{16}$")


def reqid(fn, **kw):
    """The x-amz-request-id of one call, whether it succeeds or not."""
    try:
        return fn(**kw)["ResponseMetadata"]["RequestId"]
    except s3check.botocore.exceptions.ClientError as e:
        return e.response["ResponseMetadata"]["RequestId"]


def delivered(want_ids, limit=60):
    """{request id: fields} of the delivered lines once every id of want_ids is there (or
    the time is up), and the log objects' keys."""
    deadline, lines, keys = time.time() + limit, {}, []
    while True:
        keys = [o["Key"] for o in
                alice.list_objects_v2(Bucket=DST, Prefix=PREFIX).get("Contents", [])]
        lines = {}
        for k in keys:
            for ln in alice.get_object(Bucket=DST, Key=k)["Body"].read().decode().splitlines():
                m = LINE.match(ln)
                if m is None:
                    bad("a log line parses into S3's 26 fields", ln)
                    continue
                f = dict(zip(NAMES, m.groups()))
                lines[f["reqid"]] = f
        if all(i in lines for i in want_ids) or time.time() > deadline:
            return lines, keys
        time.sleep(0.5)


def config():
    alice.create_bucket(Bucket=SRC)
    alice.create_bucket(Bucket=DST)
    bob.create_bucket(Bucket="bobs-logs")
    r = alice.get_bucket_logging(Bucket=SRC)
    expect("GetBucketLogging of a bucket without logging: no LoggingEnabled",
           "LoggingEnabled" not in r, r)
    le = {"TargetBucket": DST, "TargetPrefix": PREFIX}
    alice.put_bucket_logging(Bucket=SRC, BucketLoggingStatus={"LoggingEnabled": le})
    r = alice.get_bucket_logging(Bucket=SRC)
    expect("PutBucketLogging then GetBucketLogging: the same target and prefix",
           r.get("LoggingEnabled") == le, r)
    expect_error("a target bucket that does not exist", alice.put_bucket_logging, 400,
                 "InvalidTargetBucketForLogging", Bucket=SRC,
                 BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "no-such-target",
                                                         "TargetPrefix": "x/"}})
    expect_error("a target bucket of another owner", alice.put_bucket_logging, 400,
                 "InvalidTargetBucketForLogging", Bucket=SRC,
                 msg="The owner for the bucket to be logged and the target bucket must be the "
                 "same.", BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "bobs-logs",
                                                                  "TargetPrefix": "x/"}})
    expect_error("another user may not set the logging", bob.put_bucket_logging, 403,
                 "AccessDenied", Bucket=SRC, BucketLoggingStatus={})
    r = alice.get_bucket_logging(Bucket=SRC)
    expect("refused changes left the logging as it was", r.get("LoggingEnabled") == le, r)


def requests():
    ids = {}
    ids["put"] = reqid(alice.put_object, Bucket=SRC, Key="dir/k 1", Body=b"0123456789")
    ids["get"] = reqid(alice.get_object, Bucket=SRC, Key="dir/k 1")
    ids["404"] = reqid(alice.get_object, Bucket=SRC, Key="missing")
    ids["403"] = reqid(anon.get_object, Bucket=SRC, Key="dir/k 1")
    lines, keys = delivered(ids.values())
    expect("log objects are named <prefix>YYYY-mm-DD-HH-MM-SS-<16 hex>",
           keys and all(KEYNAME.match(k) for k in keys), keys)
    for k in keys[:3]:
        owner = alice.get_object_acl(Bucket=DST, Key=k)["Owner"]["ID"]
        expect("the log object %s is owned by the target bucket's owner" % k,
               owner == ALICE_ID, owner)
    want = {
        "put": {"op": "REST.PUT.OBJECT", "status": "200", "error": "-", "size": "10",
                "requester": ALICE_ID, "sigv": "SigV4", "auth": "AuthHeader"},
        "get": {"op": "REST.GET.OBJECT", "status": "200", "error": "-", "bytes": "10",
                "size": "10", "requester": ALICE_ID},
        "404": {"op": "REST.GET.OBJECT", "status": "404", "error": "NoSuchKey",
                "key": "missing"},
        "403": {"op": "REST.GET.OBJECT", "status": "403", "error": "AccessDenied",
                "requester": "-", "sigv": "-", "auth": "-"},
    }
    for what, rid in ids.items():
        f = lines.get(rid)
        if f is None:
            bad("the %s request's line is delivered" % what, rid)
            continue
        w = dict({"owner": ALICE_ID, "bucket": SRC, "ip": "127.0.0.1", "arn": "-",
                  "key": "dir/k%201"}, **want[what])
        diff = {k: (f[k], v) for k, v in w.items() if f[k] != v}
        expect("the %s request's line has the right fields" % what, not diff, diff)
        expect("the %s request's line: time, request line, user agent, host id" % what,
               re.match(r"\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000$", f["time"]) and
               f["uri"].startswith("GET /%s/" % SRC if what != "put" else "PUT /%s/" % SRC) and
               f["uri"].endswith(" HTTP/1.1") and "Boto3" in f["agent"] and
               f["hostid"].endswith("/" + rid), f)
    # logging off: no more lines
    alice.put_bucket_logging(Bucket=SRC, BucketLoggingStatus={})
    r = alice.get_bucket_logging(Bucket=SRC)
    expect("an empty BucketLoggingStatus turns logging off", "LoggingEnabled" not in r, r)
    rid = reqid(alice.get_object, Bucket=SRC, Key="dir/k 1")
    time.sleep(4)
    lines, _ = delivered([rid], limit=0)
    expect("a request once logging is off is not logged", rid not in lines)


def before_restart():
    le = {"TargetBucket": DST, "TargetPrefix": PREFIX}
    alice.put_bucket_logging(Bucket=SRC, BucketLoggingStatus={"LoggingEnabled": le})
    ids = [reqid(alice.put_object, Bucket=SRC, Key="r%d" % i, Body=b"x") for i in range(5)]
    ids.append(reqid(alice.get_object, Bucket=SRC, Key="r0"))
    with open(os.environ["CAIRN_STATE"], "w") as f:
        json.dump(ids, f)


def after_restart():
    with open(os.environ["CAIRN_STATE"]) as f:
        ids = json.load(f)
    lines, _ = delivered(ids)
    lost = [i for i in ids if i not in lines]
    expect("the records queued at a clean stop are delivered after the restart (%d)" % len(ids),
           not lost, lost)


def main():
    phase = os.environ.get("CAIRN_PHASE", "main")
    steps = {"main": (config, requests), "before-restart": (before_restart,),
             "after-restart": (after_restart,)}[phase]
    for step in steps:
        try:
            step()
        except Exception as e:  # a step that breaks is one FAIL, the others still run
            bad("%s raised" % step.__name__, repr(e))
    sys.exit(1 if s3check.FAILED else 0)


if __name__ == "__main__":
    main()
