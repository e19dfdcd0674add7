"""tests/integration/s3check.py: what the boto3 checks of the integration tests share (one
ok/FAIL line per check, a client for a key or anonymous, an operation's status and code).
Import it from a script in this directory; FAILED counts the FAIL lines."""
import boto3
import botocore
import botocore.exceptions
from botocore import UNSIGNED
from botocore.config import Config

FAILED = 0


def ok(name):
    print("ok   " + name, flush=True)


def bad(name, why=""):
    global FAILED
    FAILED += 1
    print("FAIL " + name + ("   | " + str(why)[:400] if why else ""), flush=True)


def expect(name, cond, why=""):
    ok(name) if cond else bad(name, why)


def client(ep, ak=None, sk=None):
    """A path-style client of ep without retries; anonymous (unsigned) without ak."""
    cfg = {"s3": {"addressing_style": "path"}, "retries": {"max_attempts": 1}}
    if ak is None:
        cfg["signature_version"] = UNSIGNED
    return boto3.client("s3", endpoint_url=ep, aws_access_key_id=ak or "x",
                        aws_secret_access_key=sk or "x", region_name="us-east-1",
                        config=Config(**cfg))


def code_of(fn, **kw):
    """(HTTP status, S3 error code) of one call."""
    try:
        r = fn(**kw)
        return r["ResponseMetadata"]["HTTPStatusCode"], ""
    except botocore.exceptions.ClientError as e:
        return (e.response["ResponseMetadata"]["HTTPStatusCode"],
                e.response.get("Error", {}).get("Code", ""))


def expect_code(name, fn, want, **kw):
    """want: a status, or (status, code)."""
    got = code_of(fn, **kw)
    want = want if isinstance(want, tuple) else (want, "")
    cond = got[0] == want[0] and (not want[1] or got[1] == want[1])
    expect(name, cond, "got %s, want %s" % (got, want))


def raw_body(client_, body, op="PutObjectAcl"):
    """Registers a one-shot hook that replaces the body of the next request of operation op
    with raw bytes: how a malformed body reaches the gateway (boto3 only sends well-formed
    ones)."""
    def hook(request, **kw):
        request.data = body
        request.headers["Content-Length"] = str(len(body))
        if "Content-MD5" in request.headers:
            del request.headers["Content-MD5"]
        client_.meta.events.unregister("before-sign.s3." + op, hook)
    client_.meta.events.register("before-sign.s3." + op, hook)


def raw_headers(client_, op, headers):
    """Adds headers to the next request of operation op, before signing: what boto3 1.26's
    parameters lack."""
    def hook(request, **kw):
        for k, v in headers.items():
            request.headers[k] = v
        client_.meta.events.unregister("before-sign.s3." + op, hook)
    client_.meta.events.register("before-sign.s3." + op, hook)


def expect_error(name, fn, status, code, msg=None, **kw):
    """fn(**kw) must fail with HTTP status, S3 error code and, when given, message msg."""
    try:
        fn(**kw)
        bad(name, "succeeded")
    except botocore.exceptions.ClientError as e:
        err = e.response.get("Error", {})
        got = (e.response["ResponseMetadata"]["HTTPStatusCode"], err.get("Code"))
        expect(name, got == (status, code) and (msg is None or err.get("Message") == msg),
               "got %s %r, want %s %s %r" % (got, err.get("Message"), status, code, msg))
