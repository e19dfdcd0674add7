#!/usr/bin/python3
"""tests/integration/cors.py: CORS (issue 17; run by test_cors.sh against a whole cluster,
with Debian's boto3 1.26 and raw HTTP for the unsigned requests). Phases (CAIRN_PHASE):
  main           Put/Get/DeleteBucketCors and S3's errors, who may change the rules, the
                 preflight OPTIONS (path-style and virtual-host, bucket and object paths,
                 S3's 400 and 403 answers), the CORS headers of actual requests, errors
                 included; the rules as the second gateway reads them (CAIRN_EP2)
  after-restart  the rules again through both gateways after the manager restarted: they are
                 the manager's state
Prints ok/FAIL lines. Environment: CAIRN_EP, CAIRN_EP2, CAIRN_AK/SK (alice), CAIRN_BOB_AK/SK,
CAIRN_DOMAIN (the gateways' virtual-host domain), CAIRN_PHASE.
"""
import html
import http.client
import os
import sys
import time
import urllib.parse

import botocore

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3check  # noqa: E402
from s3check import bad, expect, expect_error, raw_body  # noqa: E402

EP, EP2 = os.environ["CAIRN_EP"], os.environ.get("CAIRN_EP2", "")
DOMAIN = os.environ.get("CAIRN_DOMAIN", "")
B = "corsb"
PLAIN = "corsnone"
VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
NOT_ALLOWED = ("CORSResponse: This CORS request is not allowed. This is usually because the "
               "evalution of Origin, request method / Access-Control-Request-Method or "
               "Access-Control-Request-Headers are not whitelisted by the resource's CORS "
               "spec.")
ACAO = "access-control-allow-origin"

alice = s3check.client(EP, os.environ["CAIRN_AK"], os.environ["CAIRN_SK"])
bob = s3check.client(EP, os.environ["CAIRN_BOB_AK"], os.environ["CAIRN_BOB_SK"])

RULES = [
    {"ID": "writers", "AllowedOrigins": ["http://www.example1.com"],
     "AllowedMethods": ["PUT", "POST", "DELETE"], "AllowedHeaders": ["*"],
     "ExposeHeaders": ["ETag", "x-amz-request-id"], "MaxAgeSeconds": 3000},
    {"AllowedOrigins": ["http://*.example2.com"], "AllowedMethods": ["GET", "HEAD"],
     "AllowedHeaders": ["x-amz-*", "Content-Type"]},
    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
]


def raw(method, path, headers=None, ep=EP):
    """(status, {lowercased header: value}, body) of one unsigned request."""
    u = urllib.parse.urlsplit(ep)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request(method, path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    hs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, hs, body


def code_in(body):
    b = body.decode("utf-8", "replace")
    pick = lambda t: b.split("<%s>" % t, 1)[1].split("</%s>" % t, 1)[0] if "<%s>" % t in b else ""
    return pick("Code"), html.unescape(pick("Message"))


def expect_raw_error(name, method, path, headers, status, code, msg=None, ep=EP):
    st, hs, body = raw(method, path, headers, ep)
    c, m = code_in(body)
    cond = st == status and c == code and (msg is None or m == msg)
    expect(name, cond, "got %s %s %r, want %s %s %r" % (st, c, m, status, code, msg))
    return hs


def cors_headers(hs):
    return {k: v for k, v in hs.items() if k.startswith("access-control-") or k == "vary"}


def expect_headers(name, hs, want):
    got = cors_headers(hs)
    expect(name, got == want, "got %s, want %s" % (got, want))



def rules_of(client_):
    try:
        return client_.get_bucket_cors(Bucket=B)["CORSRules"]
    except botocore.exceptions.ClientError as e:
        return e.response.get("Error", {}).get("Code", "?")


def preflight(origin, method, headers=None, path="/" + B + "/some/key", ep=EP, host=None):
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        h["Access-Control-Request-Headers"] = headers
    if host is not None:
        h["Host"] = host
    return raw("OPTIONS", path, h, ep)


def put_errors():
    def one(rule):
        return {"CORSRules": [dict({"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}, **rule)]}

    expect_error("an unknown method is InvalidRequest", alice.put_bucket_cors, 400,
                 "InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported "
                 "method is MYMETHOD", Bucket=B,
                 CORSConfiguration=one({"AllowedMethods": ["GET", "MYMETHOD"]}))
    expect_error("two wildcards in an origin is InvalidRequest", alice.put_bucket_cors, 400,
                 "InvalidRequest", 'AllowedOrigin "*example*.com" can not have more than one '
                 "wildcard.", Bucket=B, CORSConfiguration=one({"AllowedOrigins": ["*example*.com"]}))
    expect_error("two wildcards in a header is InvalidRequest", alice.put_bucket_cors, 400,
                 "InvalidRequest", Bucket=B, CORSConfiguration=one({"AllowedHeaders": ["*-*"]}))
    many = [{"AllowedOrigins": ["http://o%d" % i], "AllowedMethods": ["GET"]} for i in range(101)]
    expect_error("101 rules are refused", alice.put_bucket_cors, 400, "InvalidRequest",
                 "A CORS configuration can have at most 100 rules.", Bucket=B,
                 CORSConfiguration={"CORSRules": many})
    expect_error("no rule is MalformedXML", alice.put_bucket_cors, 400, "MalformedXML",
                 Bucket=B, CORSConfiguration={"CORSRules": []})
    raw_body(alice, b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
             b"</CORSRule></CORSConfiguration>", "PutBucketCors")
    expect_error("a rule without AllowedMethod is MalformedXML", alice.put_bucket_cors, 400,
                 "MalformedXML", Bucket=B, CORSConfiguration=one({}))
    raw_body(alice, b"<CORSConfiguration><CORSRule>", "PutBucketCors")
    expect_error("bad XML is MalformedXML", alice.put_bucket_cors, 400, "MalformedXML",
                 Bucket=B, CORSConfiguration=one({}))
    expect_error("bob may not set alice's rules", bob.put_bucket_cors, 403, "AccessDenied",
                 Bucket=B, CORSConfiguration=one({}))
    expect(".. and nothing was stored", rules_of(alice) == "NoSuchCORSConfiguration",
           rules_of(alice))


def preflights():
    k = "/" + B + "/some/key"
    st, hs, body = preflight("http://www.example1.com", "PUT", "x-amz-date,Content-Type")
    expect("preflight PUT from example1: 200", st == 200 and body == b"", (st, body))
    expect_headers(".. the first rule's headers", hs, {
        ACAO: "http://www.example1.com",
        "access-control-allow-methods": "PUT, POST, DELETE",
        "access-control-allow-headers": "x-amz-date, content-type",
        "access-control-expose-headers": "ETag, x-amz-request-id",
        "access-control-max-age": "3000",
        "access-control-allow-credentials": "true", "vary": VARY})
    st, hs, _ = preflight("http://www.example1.com", "PUT", path="/" + B)
    expect("preflight on the bucket path: 200", st == 200, st)
    st, hs, _ = preflight("http://a.example2.com", "HEAD", "X-Amz-Meta-A, content-type")
    expect("preflight HEAD from a.example2.com with allowed headers: 200", st == 200, st)
    expect_headers(".. the second rule's headers", hs, {
        ACAO: "http://a.example2.com", "access-control-allow-methods": "GET, HEAD",
        "access-control-allow-headers": "x-amz-meta-a, content-type",
        "access-control-allow-credentials": "true", "vary": VARY})
    st, hs, _ = preflight("http://elsewhere", "GET")
    expect("preflight GET from any origin: 200", st == 200, st)
    expect_headers(".. '*' and no credentials", hs, {
        ACAO: "*", "access-control-allow-methods": "GET", "vary": VARY})
    hs = expect_raw_error("preflight GET with a header no rule allows: 403", "OPTIONS", k, {
        "Origin": "http://elsewhere", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-amz-date"}, 403, "AccessForbidden", NOT_ALLOWED)
    expect(".. without CORS headers", not cors_headers(hs), hs)
    expect_raw_error("preflight PUT from another origin: 403", "OPTIONS", k, {
        "Origin": "http://elsewhere", "Access-Control-Request-Method": "PUT"}, 403,
        "AccessForbidden", NOT_ALLOWED)
    expect_raw_error("preflight from example1 with a port: 403", "OPTIONS", k, {
        "Origin": "http://www.example1.com:80", "Access-Control-Request-Method": "PUT"}, 403,
        "AccessForbidden")
    expect_raw_error("preflight without Origin: 400", "OPTIONS", k, {
        "Access-Control-Request-Method": "GET"}, 400, "BadRequest",
        "Insufficient information. Origin request header needed.")
    expect_raw_error("preflight without Access-Control-Request-Method: 400", "OPTIONS", k, {
        "Origin": "http://elsewhere"}, 400, "BadRequest",
        "Invalid Access-Control-Request-Method: null")
    expect_raw_error("preflight asking for method BLAH: 400", "OPTIONS", k, {
        "Origin": "http://elsewhere", "Access-Control-Request-Method": "BLAH"}, 400,
        "BadRequest", "Invalid Access-Control-Request-Method: BLAH")
    expect_raw_error("preflight on a bucket without rules: 403", "OPTIONS", "/" + PLAIN + "/k", {
        "Origin": "http://elsewhere", "Access-Control-Request-Method": "GET"}, 403,
        "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.")
    expect_raw_error("preflight on a bucket that does not exist: 403", "OPTIONS", "/nosuchb/k", {
        "Origin": "http://elsewhere", "Access-Control-Request-Method": "GET"}, 403,
        "AccessForbidden", "CORSResponse: Bucket not found")
    st, _, _ = raw("OPTIONS", k + "?X-Amz-Signature=bad&X-Amz-Credential=x", {
        "Origin": "http://elsewhere", "Access-Control-Request-Method": "GET"})
    expect("a preflight's query signature is never checked: 200", st == 200, st)
    if DOMAIN:
        host = "%s.%s" % (B, DOMAIN)
        st, hs, _ = preflight("http://www.example1.com", "DELETE", path="/some/key", host=host)
        expect("virtual-host preflight on a key: 200", st == 200 and hs.get(ACAO) ==
               "http://www.example1.com", (st, cors_headers(hs)))
        st, hs, _ = preflight("http://elsewhere", "GET", path="/", host=host)
        expect("virtual-host preflight on the bucket: 200", st == 200 and hs.get(ACAO) == "*",
               (st, cors_headers(hs)))


def actual_requests():
    alice.put_object(Bucket=B, Key="pub", Body=b"hello", ACL="public-read")
    alice.put_object(Bucket=B, Key="private", Body=b"secret")
    st, hs, body = raw("GET", "/%s/pub" % B, {"Origin": "http://z.example2.com"})
    expect("anonymous GET from example2: 200", st == 200 and body == b"hello", st)
    expect_headers(".. with the second rule's headers", hs, {
        ACAO: "http://z.example2.com", "access-control-allow-methods": "GET, HEAD",
        "access-control-allow-credentials": "true", "vary": VARY})
    st, hs, _ = raw("GET", "/%s/private" % B, {"Origin": "http://z.example2.com"})
    expect("a 403 carries the CORS headers too", st == 403 and hs.get(ACAO) ==
           "http://z.example2.com", (st, cors_headers(hs)))
    st, hs, _ = raw("GET", "/%s/missing" % B, {"Origin": "http://other"})
    expect("a 403/404 for a missing key carries them", st in (403, 404) and hs.get(ACAO) == "*",
           (st, cors_headers(hs)))
    st, hs, _ = raw("HEAD", "/%s/pub" % B, {"Origin": "http://www.example1.com"})
    expect("HEAD from example1 (HEAD not in its rule, nor '*'): no CORS headers",
           st == 200 and not cors_headers(hs), (st, cors_headers(hs)))
    st, hs, _ = raw("DELETE", "/%s/pub" % B, {"Origin": "http://www.example1.com"})
    expect("an anonymous DELETE refused 403 still carries example1's headers",
           st == 403 and hs.get("access-control-expose-headers") == "ETag, x-amz-request-id" and
           hs.get("access-control-max-age") == "3000", (st, cors_headers(hs)))
    st, hs, _ = raw("GET", "/%s/pub" % B, {})
    expect("no Origin: no CORS headers", st == 200 and not cors_headers(hs), cors_headers(hs))
    seen = {}

    def hook(http_response, **kw):
        seen.update({k.lower(): v for k, v in http_response.headers.items()})
    alice.meta.events.register("after-call.s3.GetObject", hook)
    s3check.raw_headers(alice, "GetObject", {"Origin": "http://q.example2.com"})
    alice.get_object(Bucket=B, Key="private")["Body"].read()
    alice.meta.events.unregister("after-call.s3.GetObject", hook)
    expect("a signed GET with an Origin gets the headers", seen.get(ACAO) ==
           "http://q.example2.com", cors_headers(seen))
    st, hs, _ = raw("GET", "/%s/pub" % PLAIN, {"Origin": "http://other"})
    expect("a bucket without rules: no CORS headers", not cors_headers(hs), cors_headers(hs))


def wait_rules(client_, want, name):
    for _ in range(50):
        got = rules_of(client_)
        if got == want:
            break
        time.sleep(0.2)
    expect(name, got == want, "got %s" % (got,))


def main():
    alice.create_bucket(Bucket=B)
    alice.create_bucket(Bucket=PLAIN)
    alice.put_object(Bucket=PLAIN, Key="pub", Body=b"x", ACL="public-read")
    expect_error("GetBucketCors without rules: 404", alice.get_bucket_cors, 404,
                 "NoSuchCORSConfiguration", Bucket=B)
    expect_raw_error("preflight before any rule: 403", "OPTIONS", "/" + B + "/k", {
        "Origin": "http://www.example1.com", "Access-Control-Request-Method": "PUT"}, 403,
        "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.")
    put_errors()
    r = alice.put_bucket_cors(Bucket=B, CORSConfiguration={"CORSRules": RULES})
    expect("PutBucketCors: 200", r["ResponseMetadata"]["HTTPStatusCode"] == 200, r)
    expect("GetBucketCors gives the rules back", rules_of(alice) == RULES, rules_of(alice))
    expect_error("bob may not read alice's rules", bob.get_bucket_cors, 403, "AccessDenied",
                 Bucket=B)
    if EP2:
        wait_rules(s3check.client(EP2, os.environ["CAIRN_AK"], os.environ["CAIRN_SK"]), RULES,
                   "the second gateway has the rules")
        st, hs, _ = preflight("http://www.example1.com", "POST", ep=EP2)
        expect(".. and answers preflights from them", st == 200 and hs.get(ACAO) ==
               "http://www.example1.com", st)
    preflights()
    actual_requests()
    r = alice.delete_bucket_cors(Bucket=PLAIN)
    expect("DeleteBucketCors without rules: 204", r["ResponseMetadata"]["HTTPStatusCode"] == 204)
    # a second bucket whose rules are deleted again (the first keeps its for after-restart)
    alice.create_bucket(Bucket="corsdel")
    alice.put_bucket_cors(Bucket="corsdel", CORSConfiguration={"CORSRules": RULES[2:]})
    r = alice.delete_bucket_cors(Bucket="corsdel")
    expect("DeleteBucketCors: 204", r["ResponseMetadata"]["HTTPStatusCode"] == 204)
    expect_error(".. then GetBucketCors: 404", alice.get_bucket_cors, 404,
                 "NoSuchCORSConfiguration", Bucket="corsdel")
    expect_raw_error(".. and preflights: 403", "OPTIONS", "/corsdel/k", {
        "Origin": "http://elsewhere", "Access-Control-Request-Method": "GET"}, 403,
        "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.")


def after_restart():
    wait_rules(alice, RULES, "after the manager restarted, the rules are there")
    st, hs, _ = preflight("http://www.example1.com", "PUT")
    expect(".. and a preflight is answered from them", st == 200 and
           hs.get("access-control-max-age") == "3000", st)
    if EP2:
        wait_rules(s3check.client(EP2, os.environ["CAIRN_AK"], os.environ["CAIRN_SK"]), RULES,
                   ".. on the second gateway too")


if __name__ == "__main__":
    {"main": main, "after-restart": after_restart}[os.environ.get("CAIRN_PHASE", "main")]()
    sys.exit(1 if s3check.FAILED else 0)
