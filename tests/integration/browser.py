#!/usr/bin/env python3
"""tests/integration/browser.py: the browser side of test_browser.sh (issue 17), run with
Debian's /usr/bin/python3 and boto3 1.26. It plays the web application's server (it signs a
POST policy and makes presigned URLs with boto3, writes the test page into CAIRN_WWW, served
by test_browser.sh's http.server on another origin, CAIRN_WEB) and drives headless Chromium
through chromedriver's WebDriver HTTP API (urllib, no selenium) on port CAIRN_DRIVER.

It prints one "fact NAME VALUE" line per fact it saw (the page's DOM, boto3's view of the
bucket); test_browser.sh compares each with what S3 would give (expect_eq). A step that
fails prints its error as the value, so the expectation that reads it fails and says why.
Environment: CAIRN_EP (the gateway), CAIRN_AK, CAIRN_SK, CAIRN_WEB, CAIRN_WWW, CAIRN_DRIVER,
CAIRN_FILES (a directory for the file the form uploads), CAIRN_PROFILE (Chromium's profile),
CAIRN_OUT (where the page's screenshot goes: page.png, after the fetch() uploads).
"""
import base64
import datetime
import hashlib
import hmac
import html
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import boto3
from botocore.config import Config

EP = os.environ["CAIRN_EP"]
AK = os.environ["CAIRN_AK"]
SK = os.environ["CAIRN_SK"]
WEB = os.environ["CAIRN_WEB"]
WWW = os.environ["CAIRN_WWW"]
DRIVER = "http://127.0.0.1:%s" % os.environ["CAIRN_DRIVER"]
FILES = os.environ["CAIRN_FILES"]
PROFILE = os.environ["CAIRN_PROFILE"]
OUT = os.environ["CAIRN_OUT"]
REGION = "us-east-1"
BUCKET = "browser-uploads"

s3 = boto3.client("s3", endpoint_url=EP, aws_access_key_id=AK, aws_secret_access_key=SK,
                  region_name=REGION,
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                retries={"max_attempts": 1}))


def fact(name, value):
    value = str(value).replace("\n", "\\n")
    print("fact %s %s" % (name, value), flush=True)


def err(e):
    """A short text for a failed step: the S3 error code of a boto3 error, else the text."""
    code = getattr(e, "response", {}).get("Error", {}).get("Code")
    if code:
        return "error:%s" % code
    return "error:%s:%s" % (type(e).__name__, str(e)[:300])


# --- the application server's part: the POST policy and the presigned URLs --------------

def signing_key(date):
    k = ("AWS4" + SK).encode()
    for part in (date, REGION, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def post_fields(extra_conditions, extra_fields):
    """The signed fields of a SigV4 POST form (key, acl, Content-Type, x-amz-meta-from, the
    x-amz-* signature fields, policy) plus extra_fields, each covered by the policy."""
    now = datetime.datetime.utcnow()
    date = now.strftime("%Y%m%d")
    amz_date = date + "T000000Z"
    cred = "%s/%s/%s/s3/aws4_request" % (AK, date, REGION)
    expiration = (now + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    conditions = [
        {"bucket": BUCKET},
        ["starts-with", "$key", "browser/"],
        {"acl": "private"},
        {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
        {"x-amz-credential": cred},
        {"x-amz-date": amz_date},
        ["starts-with", "$Content-Type", ""],
        {"x-amz-meta-from": "form"},
        ["content-length-range", 1, 1048576],
    ] + extra_conditions
    policy = base64.b64encode(json.dumps(
        {"expiration": expiration, "conditions": conditions}).encode()).decode()
    sig = hmac.new(signing_key(date), policy.encode(), hashlib.sha256).hexdigest()
    fields = [("key", "browser/${filename}"), ("acl", "private")] + extra_fields + [
        ("Content-Type", "text/plain"), ("x-amz-meta-from", "form"),
        ("x-amz-credential", cred), ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
        ("x-amz-date", amz_date), ("policy", policy), ("x-amz-signature", sig)]
    return fields


def presign(method, key, **params):
    op = {"PUT": "put_object", "GET": "get_object"}[method]
    return s3.generate_presigned_url(op, Params=dict(Bucket=BUCKET, Key=key, **params),
                                     ExpiresIn=900)


def set_cors(origins):
    s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": origins,
        "AllowedMethods": ["GET", "PUT", "POST"],
        "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag", "x-amz-meta-from"],
        "MaxAgeSeconds": 60,
    }]})


def cors_answer(url, method="GET", headers=None):
    """(status, Access-Control-Allow-Origin) of the gateway's answer to a request of url
    from the page's origin (Origin: CAIRN_WEB, plus headers)."""
    req = urllib.request.Request(url, method=method, headers=dict(headers or {}, Origin=WEB))
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get("Access-Control-Allow-Origin")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Access-Control-Allow-Origin")
    except Exception as e:  # noqa: BLE001 - reported as the fact
        return err(e), None


def preflight(url):
    """A PUT preflight of url from the page's origin, as Chromium sends it (cors_answer)."""
    return cors_answer(url, "OPTIONS", {"Access-Control-Request-Method": "PUT",
                                        "Access-Control-Request-Headers": "content-type,x-amz-meta-from"})


def wait_preflight(url, want_status, limit=10):
    """Waits up to limit s until a PUT preflight of url answers want_status (a new CORS
    configuration is manager state); prints what it answered last."""
    deadline = time.time() + limit
    while True:
        got = preflight(url)
        if got[0] == want_status or time.time() >= deadline:
            return got
        time.sleep(0.2)


# --- the page ------------------------------------------------------------------------------

PAGE_JS = r"""
function formUpload(done) {
  const frame = document.getElementById('target');
  const out = document.getElementById('form-result');
  const timer = setTimeout(() => { out.textContent = 'timeout'; done('timeout'); }, 30000);
  frame.onload = () => {
    let href;
    try { href = frame.contentWindow.location.href; } catch (e) { href = null; }
    if (href === 'about:blank') return;
    clearTimeout(timer);
    out.textContent = href === null ? 'cross-origin' : href;  // an error page of the gateway
    done(out.textContent);
  };
  document.getElementById('form').submit();
}

// a POST of the same kind of form with fetch() and FormData (cross-origin: CORS applies)
async function fetchPost(c) {
  const r = {};
  try {
    const fd = new FormData();
    for (const [k, v] of c.fields) fd.append(k, v);
    fd.append('file', new File([c.text], 'fetch-post.txt', {type: 'text/plain'}));
    const res = await fetch(c.action, {method: 'POST', body: fd, cache: 'no-store'});
    r.status = res.status;
    r.body = await res.text();
    r.etag = res.headers.get('ETag');
  } catch (e) { r.status = 'blocked'; r.error = String(e); }
  document.getElementById('post-result').textContent = JSON.stringify(r);
}

// PUT with a presigned URL, GET it back with another, a GET of a missing key; never from
// the browser's HTTP cache (a GET URL presigned again within the same second is the same
// URL, and an answer cached while the origin was allowed would pass the CORS check)
async function putGet(c) {
  const r = {};
  if (c.put) {
    try {
      const res = await fetch(c.put, {method: 'PUT', body: c.text, cache: 'no-store',
        headers: {'Content-Type': 'text/plain', 'x-amz-meta-from': 'fetch'}});
      r.put_status = res.status;
      r.put_etag = res.headers.get('ETag');
    } catch (e) { r.put_status = 'blocked'; r.put_error = String(e); }
  }
  try {
    const res = await fetch(c.get, {cache: 'no-store'});
    r.get_status = res.status;
    r.get_text = await res.text();
    r.get_etag = res.headers.get('ETag');
    r.get_meta = res.headers.get('x-amz-meta-from');
    r.get_request_id = res.headers.get('x-amz-request-id');  // not exposed: null
  } catch (e) { r.get_status = 'blocked'; r.get_error = String(e); }
  if (c.missing) {
    try {
      const res = await fetch(c.missing, {cache: 'no-store'});
      r.missing_status = res.status;
      r.missing_body = await res.text();
    } catch (e) { r.missing_status = 'blocked'; r.missing_error = String(e); }
  }
  document.getElementById('fetch-result').textContent = JSON.stringify(r);
}
"""


def write_page(fields):
    inputs = "\n".join('  <input type=hidden name="%s" value="%s">' % (html.escape(k), html.escape(v))
                       for k, v in fields)
    page = """<!doctype html>
<html><head><meta charset="utf-8"><title>cairn browser uploads</title>
<style>pre { white-space: pre-wrap; word-break: break-all; } iframe { width: 90%%; }</style></head><body>
<h1>cairn: uploads from another origin</h1>
<form id="form" method="post" enctype="multipart/form-data" action="%s/%s" target="target">
%s
  <input type="file" name="file" id="file">
</form>
<iframe name="target" id="target"></iframe>
<pre id="form-result"></pre>
<pre id="post-result"></pre>
<pre id="fetch-result"></pre>
<script>%s</script>
</body></html>
""" % (html.escape(EP), BUCKET, inputs, PAGE_JS)
    with open(os.path.join(WWW, "index.html"), "w") as f:
        f.write(page)
    with open(os.path.join(WWW, "done.html"), "w") as f:
        f.write('<!doctype html><html><head><meta charset="utf-8"><title>done</title></head>'
                '<body><pre id="query"></pre><script>document.getElementById("query")'
                '.textContent = location.search;</script></body></html>\n')


# --- WebDriver -----------------------------------------------------------------------------

def call(method, path, body=None, timeout=90):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(DRIVER + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.load(r)["value"]
    except urllib.error.HTTPError as e:
        raise RuntimeError("webdriver %s %s: %s" % (method, path, e.read()[:400])) from None


class Browser:
    def __init__(self):
        for _ in range(100):
            try:
                call("GET", "/status")
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.1)
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1280,880", "--user-data-dir=%s" % PROFILE]
        v = call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}})
        self.sid = v["sessionId"]
        self.s("POST", "/timeouts", {"script": 60000, "pageLoad": 30000})

    def s(self, method, path, body=None):
        return call(method, "/session/%s%s" % (self.sid, path), body)

    def go(self, url):
        self.s("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def js_async(self, script, *args):
        return self.s("POST", "/execute/async", {"script": script, "args": list(args)})

    def find(self, css):
        """The element reference ({W3C's element key: id}) of the first match of css."""
        return self.s("POST", "/element", {"using": "css selector", "value": css})

    def text(self, elem_id):
        return self.js("return document.getElementById(arguments[0]).textContent", elem_id)

    def frame_source(self, name):
        """The source of the frame named name, even from another origin (WebDriver can)."""
        self.s("POST", "/frame", {"id": self.find("iframe[name=%s]" % name)})
        try:
            return self.s("GET", "/source")
        finally:
            self.s("POST", "/frame/parent", {})

    def close(self):
        self.s("DELETE", "")


def dom_json(b, elem_id):
    t = b.text(elem_id)
    try:
        return json.loads(t)
    except ValueError:
        return {"dom": t}


def put_get(b, label, put, get, missing, text):
    b.js("document.getElementById('fetch-result').textContent = ''")
    b.js_async("const done = arguments[arguments.length - 1];"
               "putGet(arguments[0]).then(() => done(1), e => done(String(e)));",
               {"put": put, "get": get, "missing": missing, "text": text})
    r = dom_json(b, "fetch-result")
    for k in ("put_status", "put_etag", "get_status", "get_text", "get_etag", "get_meta",
              "get_request_id", "missing_status"):
        if k in r:
            fact("%s_%s" % (label, k), r[k])
    for k in ("put_error", "get_error", "missing_error"):
        if k in r:
            print("     %s %s: %s" % (label, k, r[k]), file=sys.stderr)
    return r


def step(name, fn, done="ok"):
    """Runs fn: the fact name is done, or the error."""
    try:
        fn()
        fact(name, done)
    except Exception as e:  # noqa: BLE001 - reported as the fact
        fact(name, err(e))


def refused(b, label, key, get_url, text):
    """The page's fetch() PUT of key and GET of get_url where its origin is not allowed:
    label_preflight (a PUT preflight's status and Allow-Origin), label_put_status,
    label_get_status, and label_object (what boto3 finds at key: nothing)."""
    put = presign("PUT", key, ContentType="text/plain", Metadata={"from": "fetch"})
    fact(label + "_preflight", "%s %s" % wait_preflight(put, 403))
    fact(label + "_get_acao", "%s %s" % cors_answer(get_url))
    put_get(b, label, put, get_url, None, text)
    fact(label + "_object", head(key))


def head(key):
    try:
        h = s3.head_object(Bucket=BUCKET, Key=key)
        return "%s %s %s" % (h["ContentLength"], h["ContentType"], h["Metadata"].get("from"))
    except Exception as e:  # noqa: BLE001 - reported as the fact
        return err(e)


def main():
    os.makedirs(WWW, exist_ok=True)
    os.makedirs(FILES, exist_ok=True)
    step("bucket", lambda: s3.create_bucket(Bucket=BUCKET), "created")
    step("put_cors", lambda: set_cors([WEB]))
    try:
        rules = s3.get_bucket_cors(Bucket=BUCKET)["CORSRules"]
        fact("get_cors", "%s %s %s" % (rules[0]["AllowedOrigins"][0],
                                       ",".join(rules[0]["AllowedMethods"]),
                                       ",".join(rules[0].get("ExposeHeaders", []))))
    except Exception as e:  # noqa: BLE001
        fact("get_cors", err(e))

    redirect = WEB + "/done.html"
    write_page(post_fields([{"success_action_redirect": redirect}],
                           [("success_action_redirect", redirect)]))
    # the file the form uploads: text, CR LF, something like a boundary, every byte value
    body = (b"uploaded by an HTML form\r\n--not-a-boundary\r\n\r\n--\r\n" + bytes(range(256)) +
            b"\r\n")
    path = os.path.join(FILES, "form-upload.txt")
    with open(path, "wb") as f:
        f.write(body)

    b = Browser()
    try:
        b.go(WEB + "/index.html")
        fact("page_origin", b.js("return location.origin"))

        # a. the HTML form, posted into the iframe; the 303 lands on done.html (same origin)
        b.s("POST", "/element/%s/value" % next(iter(b.find("#file").values())), {"text": path})
        fact("form_filename", b.js("return document.getElementById('file').files[0].name"))
        b.js_async("formUpload(arguments[arguments.length - 1])")
        href = b.text("form-result")
        if not href.startswith(WEB):
            print("     the form's frame shows: %s" % b.frame_source("target")[:1500],
                  file=sys.stderr)
        u = urllib.parse.urlsplit(href)
        q = urllib.parse.parse_qs(u.query)
        fact("form_landed", "%s://%s%s" % (u.scheme, u.netloc, u.path) if u.netloc else href)
        fact("form_done_query_in_dom", int(
            b.js("try { return frames['target'].document.getElementById('query').textContent; }"
                 " catch (e) { return String(e); }") == "?" + u.query))
        fact("form_bucket", q.get("bucket", ["-"])[0])
        fact("form_key", q.get("key", ["-"])[0])
        fact("form_etag", q.get("etag", ["-"])[0])
        fact("form_etag_want", int(q.get("etag", ["-"])[0] == '"%s"' % hashlib.md5(body).hexdigest()))
        try:
            got = s3.get_object(Bucket=BUCKET, Key="browser/form-upload.txt")["Body"].read()
            fact("form_object_bytes", "same" if got == body else "differ (%d bytes)" % len(got))
        except Exception as e:  # noqa: BLE001
            fact("form_object_bytes", err(e))
        fact("form_object_head", head("browser/form-upload.txt"))

        # a2. the same kind of form posted with fetch() and FormData, answered 201 with XML
        post2 = post_fields([{"success_action_status": "201"}], [("success_action_status", "201")])
        b.js_async("const done = arguments[arguments.length - 1];"
                   "fetchPost(arguments[0]).then(() => done(1), e => done(String(e)));",
                   {"action": "%s/%s" % (EP, BUCKET), "fields": post2, "text": "posted by fetch\n"})
        r = dom_json(b, "post-result")
        fact("fetchpost_status", r.get("status"))
        body2 = r.get("body", "")
        fact("fetchpost_key", int("<Key>browser/fetch-post.txt</Key>" in body2))
        fact("fetchpost_etag", int(bool(r.get("etag")) and r.get("etag") ==
                                   '"%s"' % hashlib.md5(b"posted by fetch\n").hexdigest()))
        if r.get("status") != 201:
            print("     fetch POST: %s" % r, file=sys.stderr)
        fact("fetchpost_head", head("browser/fetch-post.txt"))

        # b. fetch() PUT and GET with presigned URLs, from the allowed origin
        text = "written by fetch() from another origin\n"
        key = "browser/fetch.txt"
        put = presign("PUT", key, ContentType="text/plain", Metadata={"from": "fetch"})
        get = presign("GET", key)
        r = put_get(b, "allowed", put, get, presign("GET", "browser/missing.txt"), text)
        fact("allowed_text_same", int(r.get("get_text") == text))
        fact("allowed_etag_md5", int(r.get("get_etag") == '"%s"' % hashlib.md5(text.encode()).hexdigest()))
        fact("allowed_put_etag_same", int(r.get("put_etag") is not None and
                                         r.get("put_etag") == r.get("get_etag")))
        fact("allowed_head", head(key))
        with open(os.path.join(OUT, "page.png"), "wb") as f:
            f.write(base64.b64decode(b.s("GET", "/screenshot")))

        # c. the origin no longer allowed: the preflight of the PUT is refused (403) and the
        # GET's answer has no Access-Control-Allow-Origin: fetch() fails either way
        step("put_cors_other", lambda: set_cors(["http://127.0.0.1:1"]))
        refused(b, "other", "browser/blocked.txt", get_url=presign("GET", key), text=text)

        # d. no CORS configuration at all
        step("delete_cors", lambda: s3.delete_bucket_cors(Bucket=BUCKET))
        step("get_cors_deleted", lambda: s3.get_bucket_cors(Bucket=BUCKET), "found")
        refused(b, "none", "browser/none.txt", get_url=presign("GET", key), text=text)
    finally:
        b.close()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - the driver itself failed
        fact("driver", err(e))
        raise
