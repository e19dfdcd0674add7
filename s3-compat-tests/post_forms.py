#!/usr/bin/env python3
"""s3-compat-tests/post_forms.py: browser POST uploads (POST Object) sent by curl -F.

Usage (run by post.sh): S3_ENDPOINT=... AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...
    python3 post_forms.py BUCKET

The "application server" part is here: policies are written and signed in Python (SigV4:
hex HMAC-SHA256 with the signing key; SigV2: base64 HMAC-SHA1), as AWS documents them
(sigv4-HTTPPOSTConstructPolicy, RESTObjectPOST); the form goes out through curl's own
multipart encoder (-F), and what landed is read back with boto3. Covers SigV4 and SigV2, every
policy condition good and bad (eq, starts-with, exact-match shorthand, content-length-range,
bucket, expiration, extra fields, x-ignore-), ${filename}, success_action_status and
success_action_redirect, acl, tagging, metadata, anonymous POST where the bucket's ACL or
policy allows it, a bucket policy's Deny, and a body larger than the chunk size. Prints
"ok"/"FAIL" lines like tests/integration/lib.sh and exits 1 on any failure.
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import s3check  # noqa: E402
from s3check import bad, expect, ok  # noqa: E402

EP = os.environ["S3_ENDPOINT"]
AK = os.environ["AWS_ACCESS_KEY_ID"]
SK = os.environ["AWS_SECRET_ACCESS_KEY"]
BUCKET = sys.argv[1] if len(sys.argv) > 1 else "compat-post"
s3 = boto3.client("s3", endpoint_url=EP, region_name="us-east-1",
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


def expect_eq(name, want, got):
    expect(name, want == got, "want: %r got: %r" % (want, got))


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def policy_b64(conditions, expires_in=600):
    exp = (now() + datetime.timedelta(seconds=expires_in)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    doc = {"expiration": exp, "conditions": conditions}
    return base64.b64encode(json.dumps(doc).encode()).decode()


def v4_fields(conditions, bucket=None, expires_in=600, secret=SK, ak=AK):
    """The signature fields of a SigV4 form, their conditions added to the policy."""
    day = now().strftime("%Y%m%d")
    cred = "%s/%s/us-east-1/s3/aws4_request" % (ak, day)
    date = now().strftime("%Y%m%dT%H%M%SZ")
    conds = list(conditions) + [{"bucket": bucket or BUCKET},
                                {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
                                {"x-amz-credential": cred}, {"x-amz-date": date}]
    pol = policy_b64(conds, expires_in)

    def h(k, m):
        return hmac.new(k, m.encode(), hashlib.sha256).digest()
    key = h(h(h(h(("AWS4" + secret).encode(), day), "us-east-1"), "s3"), "aws4_request")
    sig = hmac.new(key, pol.encode(), hashlib.sha256).hexdigest()
    return [("x-amz-algorithm", "AWS4-HMAC-SHA256"), ("x-amz-credential", cred),
            ("x-amz-date", date), ("policy", pol), ("x-amz-signature", sig)]


def v2_fields(conditions, bucket=None, expires_in=600):
    pol = policy_b64(list(conditions) + [{"bucket": bucket or BUCKET}], expires_in)
    sig = base64.b64encode(hmac.new(SK.encode(), pol.encode(), hashlib.sha1).digest()).decode()
    return [("AWSAccessKeyId", AK), ("policy", pol), ("signature", sig)]


def post(fields, path, bucket=None, filename="hello.txt", file_type=None, extra=()):
    """curl -F each field, then the file: (status, headers dict lower-case, body)."""
    args = ["curl", "-s", "-D", "-", "-o", "body.out", "-X", "POST"]
    for k, v in fields:
        # --form-string: the value as is (no @file or <file reading, no ; parameters)
        args += ["--form-string", "%s=%s" % (k, v)]
    if path is not None:
        spec = "file=@%s;filename=%s" % (path, filename)
        if file_type:
            spec += ";type=" + file_type
        args += ["-F", spec]
    args += list(extra)
    args.append("%s/%s" % (EP, bucket or BUCKET))
    out = subprocess.run(args, capture_output=True, check=False).stdout.decode("latin-1")
    status, headers = 0, {}
    for line in out.split("\r\n"):
        if line.startswith("HTTP/"):
            status = int(line.split()[1])
            headers = {}
        elif ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    with open("body.out", "rb") as f:
        body = f.read().decode("utf-8", "replace")
    return status, headers, body


def error_code(body):
    if "<Code>" not in body:
        return None
    return body.split("<Code>", 1)[1].split("</Code>", 1)[0]


def expect_error(name, status, code, res, text=None):
    st, _, body = res
    if st == status and error_code(body) == code and (text is None or text in body):
        ok(name)
    else:
        bad(name, "want: %d %s %s\ngot:  %d %s" % (status, code, text or "", st, body[:600]))


def get(key, bucket=None):
    try:
        return s3.get_object(Bucket=bucket or BUCKET, Key=key)
    except ClientError as e:
        return e.response


def body_md5(o):
    return hashlib.md5(o["Body"].read()).hexdigest() if "Body" in o else o.get("Error")


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    s3.create_bucket(Bucket=BUCKET)
    data = os.urandom(3000) + b"\r\n--not-the-boundary\r\n" + os.urandom(3000)
    write("small.bin", data)

    # ---- SigV4: every field S3 stores, 201 with PostResponse -----------------------------
    conds = [["starts-with", "$key", "v4/"], {"acl": "private"},
             ["starts-with", "$Content-Type", "image/"], {"x-amz-meta-uuid": "14365123651274"},
             ["starts-with", "$x-amz-meta-tag", ""], {"success_action_status": "201"},
             ["content-length-range", 1, 1048576], ["eq", "$Cache-Control", "max-age=60"],
             ["starts-with", "$Content-Disposition", "inline"]]
    fields = [("key", "v4/${filename}"), ("acl", "private"), ("Content-Type", "image/png"),
              ("x-amz-meta-uuid", "14365123651274"), ("x-amz-meta-tag", "cairn"),
              ("success_action_status", "201"), ("Cache-Control", "max-age=60"),
              ("Content-Disposition", "inline; filename=small.bin")] + v4_fields(conds)
    st, hd, body = post(fields, "small.bin", filename="small.bin")
    expect_eq("SigV4 POST with success_action_status 201: 201", 201, st)
    etag = '"%s"' % hashlib.md5(data).hexdigest()
    expect_eq("... PostResponse names the key (${filename} replaced)", True,
              "<Key>v4/small.bin</Key>" in body and "<Bucket>%s</Bucket>" % BUCKET in body)
    expect_eq("... PostResponse ETag is the MD5", True, "<ETag>%s</ETag>" % etag.replace('"', "&quot;") in body
              or "<ETag>%s</ETag>" % etag in body)
    expect_eq("... ETag header", etag, hd.get("etag"))
    expect_eq("... Location header names the object", True,
              hd.get("location", "").endswith("/%s/v4/small.bin" % BUCKET))
    o = get("v4/small.bin")
    expect_eq("... the object's bytes (a boundary-like line inside the file kept)",
              hashlib.md5(data).hexdigest(), body_md5(o))
    expect_eq("... Content-Type from the form", "image/png", o.get("ContentType"))
    expect_eq("... x-amz-meta-* from the form", {"uuid": "14365123651274", "tag": "cairn"},
              o.get("Metadata"))
    expect_eq("... Cache-Control and Content-Disposition stored",
              ("max-age=60", "inline; filename=small.bin"),
              (o.get("CacheControl"), o.get("ContentDisposition")))

    # ---- SigV2, 204 by default --------------------------------------------------------
    f2 = [("key", "v2/obj")] + v2_fields([["starts-with", "$key", "v2/"]])
    st, hd, body = post(f2, "small.bin")
    expect_eq("SigV2 POST: 204 No Content (S3's default)", 204, st)
    o = get("v2/obj")
    expect_eq("... the object's bytes", hashlib.md5(data).hexdigest(), body_md5(o))
    bad2 = [(k, v if k != "signature" else base64.b64encode(b"x" * 20).decode()) for k, v in f2]
    expect_error("SigV2 with a wrong signature: 403 SignatureDoesNotMatch", 403,
                 "SignatureDoesNotMatch", post(bad2, "small.bin"))

    # ---- success_action_status and success_action_redirect ----------------------------
    for want, given in ((200, "200"), (204, "204"), (204, "404")):
        f = [("key", "st/" + given), ("success_action_status", given)] + v4_fields(
            [["starts-with", "$key", "st/"], {"success_action_status": given}])
        expect_eq("success_action_status %s: %d" % (given, want), want, post(f, "small.bin")[0])
    url = "http://app.example/done?x=1"
    f = [("key", "redir/a b"), ("success_action_redirect", url)] + v4_fields(
        [["starts-with", "$key", "redir/"], {"success_action_redirect": url}])
    st, hd, body = post(f, "small.bin")
    expect_eq("success_action_redirect: 303 See Other", 303, st)
    loc = hd.get("location", "")
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
    expect_eq("... Location is the URL with bucket, key and etag added",
              (True, [BUCKET], ["redir/a b"], [etag]),
              (loc.startswith(url + "&"), q.get("bucket"), q.get("key"), q.get("etag")))
    f = [("key", "redir/bad"), ("success_action_redirect", "not a url"),
         ("success_action_status", "201")] + v4_fields(
        [["starts-with", "$key", "redir/"], ["starts-with", "$success_action_redirect", ""],
         {"success_action_status": "201"}])
    expect_eq("a success_action_redirect that is no URL: the status field decides (201)", 201,
              post(f, "small.bin")[0])

    # ---- each condition, good and bad ---------------------------------------------------
    def cond_case(name, conds, fields, want_ok, code=None, text=None, path="small.bin"):
        f = list(fields) + v4_fields(conds)
        res = post(f, path)
        if want_ok:
            expect_eq(name + ": 204", 204, res[0]) if res[0] == 204 else bad(name, res[2][:400])
        else:
            expect_error(name, 403 if code == "AccessDenied" else 400, code, res, text)

    cond_case("eq met", [["eq", "$key", "c/eq"]], [("key", "c/eq")], True)
    cond_case("eq not met: 403 AccessDenied naming the condition", [["eq", "$key", "c/eq"]],
              [("key", "c/other")], False, "AccessDenied", "Policy Condition failed")
    cond_case("exact-match shorthand met", [{"key": "c/short"}], [("key", "c/short")], True)
    cond_case("exact-match shorthand not met", [{"key": "c/short"}], [("key", "c/Short")],
              False, "AccessDenied", "Policy Condition failed")
    cond_case("starts-with met", [["starts-with", "$key", "c/sw/"]], [("key", "c/sw/x")], True)
    cond_case("starts-with not met", [["starts-with", "$key", "c/sw/"]], [("key", "c/x")],
              False, "AccessDenied", "Policy Condition failed")
    cond_case("starts-with \"\" matches anything", [["starts-with", "$key", ""]],
              [("key", "c/any")], True)
    cond_case("field names are case-insensitive ($CONTENT-TYPE covers content-type)",
              [["starts-with", "$key", "c/"], ["eq", "$CONTENT-TYPE", "text/plain"]],
              [("key", "c/ct"), ("content-type", "text/plain")], True)
    cond_case("values are case-sensitive", [["starts-with", "$key", "c/"],
                                            ["eq", "$acl", "Private"]],
              [("key", "c/acl"), ("acl", "private")], False, "AccessDenied",
              "Policy Condition failed")
    cond_case("content-length-range met", [["starts-with", "$key", "c/"],
                                           ["content-length-range", 6000, 7000]],
              [("key", "c/len")], True)
    cond_case("content-length-range: smaller: 400 EntityTooSmall",
              [["starts-with", "$key", "c/"], ["content-length-range", 7000, 8000]],
              [("key", "c/len")], False, "EntityTooSmall")
    cond_case("content-length-range: larger: 400 EntityTooLarge",
              [["starts-with", "$key", "c/"], ["content-length-range", 1, 100]],
              [("key", "c/len")], False, "EntityTooLarge")
    cond_case("a field no condition names: 403 Extra input fields",
              [["starts-with", "$key", "c/"]], [("key", "c/x"), ("x-amz-meta-extra", "1")],
              False, "AccessDenied", "Extra input fields")
    cond_case("x-ignore- fields need no condition", [["starts-with", "$key", "c/"]],
              [("key", "c/ign"), ("x-ignore-anything", "1")], True)
    cond_case("a condition on a field the form lacks fails",
              [["starts-with", "$key", "c/"], ["eq", "$x-amz-meta-must", "1"]],
              [("key", "c/miss")], False, "AccessDenied", "Policy Condition failed")
    f = [("key", "c/bucket")] + v4_fields([["starts-with", "$key", "c/"]], bucket="other-bucket")
    expect_error("a policy for another bucket: 403 AccessDenied", 403, "AccessDenied",
                 post(f, "small.bin"), "Policy Condition failed")
    f = [("key", "c/exp")] + v4_fields([["starts-with", "$key", "c/"]], expires_in=-60)
    expect_error("an expired policy: 403 AccessDenied Policy expired", 403, "AccessDenied",
                 post(f, "small.bin"), "Policy expired")
    f = [("key", "c/sig")] + v4_fields([["starts-with", "$key", "c/"]], secret="wrong")
    expect_error("SigV4 signed with another secret: 403 SignatureDoesNotMatch", 403,
                 "SignatureDoesNotMatch", post(f, "small.bin"))
    f = [("key", "c/ak")] + v4_fields([["starts-with", "$key", "c/"]], ak="AKIDNOSUCHKEY00")
    expect_error("an unknown access key: 403 InvalidAccessKeyId", 403, "InvalidAccessKeyId",
                 post(f, "small.bin"))
    f = [("key", "c/tamper")] + v4_fields([["starts-with", "$key", "c/"]])
    f = [(k, v) if k != "policy" else (k, policy_b64([["starts-with", "$key", ""]]))
         for k, v in f]
    expect_error("a policy changed after signing: 403 SignatureDoesNotMatch", 403,
                 "SignatureDoesNotMatch", post(f, "small.bin"))
    f = [("key", "c/badpol"), ("policy", base64.b64encode(b"{not json").decode())] + [
        x for x in v4_fields([]) if x[0] != "policy"]
    res = post(f, "small.bin")
    expect_eq("a policy that is not JSON: 403 SignatureDoesNotMatch or 400 InvalidPolicyDocument",
              True, res[0] in (400, 403))

    # ---- form errors ---------------------------------------------------------------------
    expect_error("no key field: 400 InvalidArgument", 400, "InvalidArgument",
                 post(v4_fields([]), "small.bin"), "field named &apos;key&apos;")
    expect_error("no file: 400 IncorrectNumberOfFilesInPostRequest", 400,
                 "IncorrectNumberOfFilesInPostRequest",
                 post([("key", "c/nofile")] + v4_fields([["starts-with", "$key", "c/"]]), None))
    st = subprocess.run(["curl", "-s", "-o", "body.out", "-w", "%{http_code}", "-X", "POST",
                         "-H", "Content-Type: application/x-www-form-urlencoded",
                         "--data", "key=x", "%s/%s" % (EP, BUCKET)],
                        capture_output=True, check=False).stdout.decode()
    expect_eq("a POST that is not multipart/form-data: 412 PreconditionFailed", "412", st)
    f = [("key", "c/sse"), ("x-amz-server-side-encryption", "AES256")] + v4_fields(
        [["starts-with", "$key", "c/"], {"x-amz-server-side-encryption": "AES256"}])
    expect_error("a field asking for what we cannot honour (SSE): 501 NotImplemented", 501,
                 "NotImplemented", post(f, "small.bin"))
    f = [("key", "c/acl"), ("acl", "no-such-acl")] + v4_fields(
        [["starts-with", "$key", "c/"], ["starts-with", "$acl", ""]])
    expect_error("an unknown canned acl: 400 InvalidArgument", 400, "InvalidArgument",
                 post(f, "small.bin"))

    # ---- acl, tagging ------------------------------------------------------------------------
    tagging = ("<Tagging><TagSet><Tag><Key>team</Key><Value>web</Value></Tag></TagSet>"
               "</Tagging>")
    f = [("key", "pub/obj"), ("acl", "public-read"), ("tagging", tagging)] + v4_fields(
        [["starts-with", "$key", "pub/"], {"acl": "public-read"}, {"tagging": tagging}])
    expect_eq("acl public-read and tagging fields: 204", 204, post(f, "small.bin")[0])
    try:
        with urllib.request.urlopen("%s/%s/pub/obj" % (EP, BUCKET)) as r:
            expect_eq("... an anonymous GET reads the public-read object",
                      hashlib.md5(data).hexdigest(), hashlib.md5(r.read()).hexdigest())
    except Exception as e:  # noqa: BLE001 - report whatever failed
        bad("... an anonymous GET reads the public-read object", e)
    try:
        tags = s3.get_object_tagging(Bucket=BUCKET, Key="pub/obj")["TagSet"]
    except ClientError as e:
        tags = e.response
    expect_eq("... the tagging field's tags stored", [{"Key": "team", "Value": "web"}], tags)

    # ---- anonymous POST: the bucket decides ------------------------------------------------
    expect_error("anonymous POST to a private bucket: 403 AccessDenied", 403, "AccessDenied",
                 post([("key", "anon/x")], "small.bin"))
    pub = BUCKET + "-open"
    s3.create_bucket(Bucket=pub, ACL="public-read-write")
    # the writer owns what it writes (an anonymous one too, as in S3): it makes it readable
    st, _, body = post([("key", "anon/x"), ("acl", "public-read")], "small.bin", bucket=pub)
    expect_eq("anonymous POST to a public-read-write bucket: 204", 204, st)
    try:
        with urllib.request.urlopen("%s/%s/anon/x" % (EP, pub)) as r:
            expect_eq("... stored (read back anonymously)", hashlib.md5(data).hexdigest(),
                      hashlib.md5(r.read()).hexdigest())
    except Exception as e:  # noqa: BLE001
        bad("... stored (read back anonymously)", e)
    pol = BUCKET + "-pol"
    s3.create_bucket(Bucket=pol)
    s3.put_bucket_policy(Bucket=pol, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
             "Resource": "arn:aws:s3:::%s/drop/*" % pol},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": "arn:aws:s3:::%s/locked/*" % pol}]}))
    expect_eq("anonymous POST where the bucket policy allows s3:PutObject: 204", 204,
              post([("key", "drop/a")], "small.bin", bucket=pol)[0])
    expect_error("anonymous POST outside what the policy allows: 403", 403, "AccessDenied",
                 post([("key", "other/a")], "small.bin", bucket=pol))
    f = [("key", "locked/a")] + v4_fields([["starts-with", "$key", "locked/"]], bucket=pol)
    expect_error("the owner's signed POST where the bucket policy denies: 403", 403,
                 "AccessDenied", post(f, "small.bin", bucket=pol))

    # ---- a body over the chunk size, through the chunked path -----------------------------
    big = os.urandom(12 * 1024 * 1024 + 17)
    write("big.bin", big)
    f = [("key", "big/obj")] + v4_fields([["starts-with", "$key", "big/"],
                                          ["content-length-range", 0, 64 << 20]])
    st, hd, _ = post(f, "big.bin")
    expect_eq("a 12 MiB file: 204", 204, st)
    o = get("big/obj")
    got = o["Body"].read() if "Body" in o else b""
    expect_eq("... read back byte for byte (chunked object)", hashlib.md5(big).hexdigest(),
              hashlib.md5(got).hexdigest())
    expect_eq("... its ETag is the file's MD5", '"%s"' % hashlib.md5(big).hexdigest(),
              hd.get("etag"))

    # ---- boto3's own presigned POST (the real SDK's policy and fields) ----------------------
    pp = s3.generate_presigned_post(BUCKET, "sdk/${filename}",
                                    Conditions=[["starts-with", "$key", "sdk/"]],
                                    ExpiresIn=600)
    st, _, body = post(sorted(pp["fields"].items()), "small.bin", filename="fromsdk.bin")
    expect_eq("boto3 generate_presigned_post, sent by curl: 204", 204, st)
    o = get("sdk/fromsdk.bin")
    expect_eq("... stored under the key with ${filename}", hashlib.md5(data).hexdigest(),
              body_md5(o))

    return 1 if s3check.FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
