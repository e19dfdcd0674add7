#!/usr/bin/env bash
# tests/integration/test_hostile_s3.sh BUILD_DIR: hostile clients against a running cluster
# (1 manager, 3 storage nodes, 1 gateway on free loopback ports; issue 8):
#   limits: header section (8 KiB: 400 RequestHeaderSectionTooLarge; h2o's own 100 headers
#     and 417,792-byte head), key length 1024 (KeyTooLongError), user metadata 2 KiB
#     (MetadataTooLarge), body size (EntityTooLarge, max_object_size = 8m here), part numbers
#     1..10,000, max-keys capped at 1000, [gateway] max_connections (503 SlowDown, closed),
#     [gateway] request_timeout_ms (a one-byte-per-second client is cut);
#   keys as data: "..", "/", "//", a leading "/", control characters, long unicode are stored,
#     read and listed (encoding-type=url) as keys, never as paths; invalid UTF-8 is refused
#     with 400 InvalidArgument;
#   auth: nothing without a valid signature except what a bucket ACL opens; a signature
#     replayed on another method, path or body fails; presigned URLs expire; the admin API
#     refuses a missing or wrong token off loopback; a storage node with the wrong cluster
#     secret cannot join the running cluster; a garbage RPC frame does not hurt a node.
# The S3 checks run in python (boto3/botocore and raw sockets) and print ok/FAIL lines.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

intruder_pid=""
stop_intruder() {
    [ -n "$intruder_pid" ] && kill "$intruder_pid" 2>/dev/null
}
t_at_exit stop_intruder
token=tok-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
hostile_conf() {
    t_conf gateway <<CONF
[gateway]
max_object_size = 8m
max_connections = 24
request_timeout_ms = 2000
CONF
    t_conf manager <<CONF
[manager]
admin_listen = 0.0.0.0:$CL_MGR_ADMIN

[admin]
token = $token
CONF
}
t_cluster_boot hs3 3 --ports 1 --conf hostile_conf --user mallory-target
intruder_port=${T_PORTS[0]}

# --- the S3 part, in python ---
out=$(CAIRN_EP=$endpoint CAIRN_AK=$AK CAIRN_SK=$SK CAIRN_PORT=$CL_S3 CAIRN_DATA=$tmp/data \
    timeout 240 python3 - 2>&1 <<'PY'
import os, socket, sys, time, urllib.parse, urllib.request, urllib.error, hashlib
import boto3, botocore
from botocore.config import Config
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

EP, AK, SK = os.environ["CAIRN_EP"], os.environ["CAIRN_AK"], os.environ["CAIRN_SK"]
PORT = int(os.environ["CAIRN_PORT"])

def ok(name): print("ok   " + name, flush=True)
def bad(name, why=""): print("FAIL " + name + ("   | " + str(why)[:300] if why else ""), flush=True)
def expect(name, cond, why=""): ok(name) if cond else bad(name, why)

s3 = boto3.client("s3", endpoint_url=EP, aws_access_key_id=AK, aws_secret_access_key=SK,
                  region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))

def err_of(fn, *a, **kw):
    try:
        fn(*a, **kw)
        return (200, "")
    except botocore.exceptions.ClientError as e:
        return (e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"])

def raw(data, read=True, timeout=5):
    """Sends bytes to the gateway; returns (status or None, whole answer)."""
    s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
    try:
        s.sendall(data)
        if not read:
            return None, b""
        buf = b""
        while True:
            try:
                c = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not c:
                break
            buf += c
            if b"\r\n\r\n" in buf:
                head, _, body = buf.partition(b"\r\n\r\n")
                cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if cl and len(body) >= int(cl[0].split(b":")[1]):
                    break
        st = int(buf.split(b" ")[1]) if buf.startswith(b"HTTP/") else None
        return st, buf
    finally:
        s.close()

def alive():
    return err_of(s3.list_buckets)[0] == 200

s3.create_bucket(Bucket="hostile")
s3.create_bucket(Bucket="open")
s3.put_bucket_acl(Bucket="open", ACL="public-read")

# ---------------- limits ----------------
st, buf = raw(b"GET /hostile/x HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n")
expect("a 9 KiB header section: 400 RequestHeaderSectionTooLarge", st == 400 and b"RequestHeaderSectionTooLarge" in buf, buf[:300])
hdrs = b"".join(b"X-H%d: v\r\n" % i for i in range(150))
st, buf = raw(b"GET /hostile/x HTTP/1.1\r\nHost: a\r\n" + hdrs + b"\r\n")
expect("150 headers (over h2o's 100): refused by h2o (400 or closed), got %s" % st, st in (None, 400, 431), buf[:200])
st, buf = raw(b"GET /hostile/x HTTP/1.1\r\nHost: a\r\nX-Huge: " + b"a" * 500000 + b"\r\n\r\n")
expect("a 500 KB request head (over h2o's 417,792 bytes): refused (400/431 or closed), got %s" % st, st in (None, 400, 431), buf[:200])
expect("the gateway still serves after oversized heads", alive())

expect("a 1024-byte key is stored", err_of(s3.put_object, Bucket="hostile", Key="k" * 1024, Body=b"x")[0] == 200)
expect("a 1025-byte key: 400 KeyTooLongError", err_of(s3.put_object, Bucket="hostile", Key="k" * 1025, Body=b"x") == (400, "KeyTooLongError"))
expect("2000 bytes of user metadata are stored", err_of(s3.put_object, Bucket="hostile", Key="meta-ok", Body=b"x", Metadata={"m": "v" * 1990})[0] == 200)
r = err_of(s3.put_object, Bucket="hostile", Key="meta-big", Body=b"x", Metadata={"a": "v" * 1100, "b": "w" * 1100})
expect("2.2 KB of user metadata: 400 MetadataTooLarge", r == (400, "MetadataTooLarge"), r)
r = err_of(s3.put_object, Bucket="hostile", Key="big", Body=b"z" * (9 << 20))
expect("a 9 MiB PUT over max_object_size = 8m: 400 EntityTooLarge", r == (400, "EntityTooLarge"), r)
st, buf = raw(b"PUT /hostile/huge HTTP/1.1\r\nHost: a\r\nContent-Length: 6000000000\r\n\r\n")
expect("Content-Length 6 GB (no body sent): 400 EntityTooLarge at once", st == 400 and b"EntityTooLarge" in buf, buf[:300])
up = s3.create_multipart_upload(Bucket="hostile", Key="mpu")["UploadId"]
r = err_of(s3.upload_part, Bucket="hostile", Key="mpu", UploadId=up, PartNumber=10001, Body=b"p")
expect("part number 10001: 400 InvalidArgument", r == (400, "InvalidArgument"), r)
expect("part number 10000 is accepted", err_of(s3.upload_part, Bucket="hostile", Key="mpu", UploadId=up, PartNumber=10000, Body=b"p")[0] == 200)
s3.abort_multipart_upload(Bucket="hostile", Key="mpu", UploadId=up)
lst = s3.list_objects_v2(Bucket="hostile", MaxKeys=5000)
expect("max-keys=5000 is capped at 1000", lst.get("MaxKeys") == 1000, lst.get("MaxKeys"))

# connections: 24 allowed; hold 24 idle ones, the next gets 503 SlowDown and a close
held = []
for i in range(24):
    held.append(socket.create_connection(("127.0.0.1", PORT), timeout=5))
time.sleep(0.3)
st, buf = raw(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
expect("connection 25 over max_connections = 24: 503 SlowDown, got %s" % st, st == 503 and b"SlowDown" in buf, buf[:200])
for h in held:
    h.close()
time.sleep(0.3)
expect("connections are served again once the others closed", alive())

# slowloris: one header byte per second; request_timeout_ms = 2000 cuts it
s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
t0 = time.time()
cut = False
for ch in b"GET /hostile/slow HTTP/1.1\r\nHost: aaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n":
    try:
        s.sendall(bytes([ch]))
        s.settimeout(1.0)
        try:
            d = s.recv(4096)
            if d == b"" or d.startswith(b"HTTP/"):
                cut = True
                break
        except socket.timeout:
            pass
    except (BrokenPipeError, ConnectionResetError):
        cut = True
        break
    if time.time() - t0 > 12:
        break
dt = time.time() - t0
s.close()
expect("a one-byte-per-second client is cut within request_timeout_ms (cut after %.1f s)" % dt, cut and dt < 8, dt)
expect("the gateway still serves after the slow client", alive())

# ---------------- keys as data ----------------
keys = ["a/../b", "../../etc/passwd", "x//y", "/lead", "//double-lead", "ctl\x01\x1f\x7fend",
        "tab\there", "new\nline", "sp ace+plus%pct", "q?x=1&y#frag", "é" * 500, "\U0001d11e" * 256,
        ".", "..", "a/./b", "~user", "back\\slash"]
good = True
for k in keys:
    body = hashlib.sha256(k.encode()).digest()
    r = err_of(s3.put_object, Bucket="hostile", Key=k, Body=body)
    if r[0] != 200:
        bad("PUT key %r" % k[:40], r); good = False; continue
    try:
        got = s3.get_object(Bucket="hostile", Key=k)["Body"].read()
    except Exception as e:
        bad("GET key %r" % k[:40], e); good = False; continue
    if got != body:
        bad("GET key %r returns its own body" % k[:40]); good = False
expect("17 hostile keys (.., /, //, leading /, control chars, long unicode) round-trip", good)
r = err_of(s3.put_object, Bucket="hostile", Key="\U0001d11e" * 257, Body=b"x")
expect("1028 bytes of unicode key: 400 KeyTooLongError", r == (400, "KeyTooLongError"), r)
listed = set()
tok = None
while True:
    kw = {"Bucket": "hostile", "EncodingType": "url"}
    if tok: kw["ContinuationToken"] = tok
    page = s3.list_objects_v2(**kw)
    listed |= {urllib.parse.unquote(o["Key"]) for o in page.get("Contents", [])}
    tok = page.get("NextContinuationToken")
    if not tok: break
missing = [k for k in keys if k not in listed]
expect("every hostile key is listed as itself (encoding-type=url)", not missing, missing)
# a raw listing without encoding-type must still be well-formed XML
req = AWSRequest(method="GET", url=EP + "/hostile?list-type=2", headers={"x-amz-content-sha256": hashlib.sha256(b"").hexdigest()})
SigV4Auth(Credentials(AK, SK), "s3", "us-east-1").add_auth(req)
body = urllib.request.urlopen(urllib.request.Request(req.url, headers=dict(req.headers))).read()
import xml.dom.minidom
try:
    xml.dom.minidom.parseString(body); ok("a listing of control-character keys without encoding-type is well-formed XML")
except Exception as e:
    bad("a listing of control-character keys without encoding-type is well-formed XML", e)
for path in ["/hostile/bad%FF%FE", "/hostile/over%C0%AFlong", "/hostile/sur%ED%A0%80rogate"]:
    st, buf = raw(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: a\r\n\r\n")
    expect("invalid UTF-8 key %s: 400 InvalidArgument" % path, st == 400 and b"InvalidArgument" in buf, buf[:200])
st, buf = raw(b"GET /hostile/nul%00byte HTTP/1.1\r\nHost: a\r\n\r\n")
expect("a NUL in a key: 400 InvalidArgument", st == 400 and b"InvalidArgument" in buf, buf[:200])
leaks = []
for root, dirs, files in os.walk(os.environ["CAIRN_DATA"]):
    for n in dirs + files:
        if n in ("passwd", "lead", "double-lead", "y", "b") or "etc" == n:
            leaks.append(os.path.join(root, n))
expect("no key became a file or directory under the data dirs", not leaks, leaks)
expect("nothing was written to /etc/passwd's neighbourhood", not os.path.exists(os.path.join(os.environ["CAIRN_DATA"], "..", "etc")))

# ---------------- auth ----------------
s3.put_object(Bucket="hostile", Key="secret.txt", Body=b"top secret")
s3.put_object(Bucket="open", Key="pub.txt", Body=b"public", ACL="public-read")
s3.put_object(Bucket="open", Key="private.txt", Body=b"private")
def plain(method, path, data=None, headers=None):
    rq = urllib.request.Request(EP + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(rq) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
for m, p in [("GET", "/"), ("GET", "/hostile/secret.txt"), ("GET", "/hostile?list-type=2"),
             ("PUT", "/hostile/anon"), ("DELETE", "/hostile/secret.txt"), ("PUT", "/newbucket"),
             ("PUT", "/open/anon"), ("DELETE", "/open/pub.txt"), ("GET", "/hostile?acl"),
             ("PUT", "/open?acl")]:
    st, b = plain(m, p, data=b"x" if m == "PUT" else None)
    expect("anonymous %s %s: 403 AccessDenied" % (m, p), st == 403 and b"AccessDenied" in b, (st, b[:200]))
st, b = plain("GET", "/open/pub.txt")
expect("anonymous GET of a public-read object in a public-read bucket is allowed", st == 200 and b == b"public", st)
st, b = plain("GET", "/open/private.txt")
expect("anonymous GET of a private object in a public-read bucket: 403 AccessDenied", st == 403 and b"AccessDenied" in b, (st, b[:200]))
expect("the object is still there after the anonymous DELETE", s3.get_object(Bucket="hostile", Key="secret.txt")["Body"].read() == b"top secret")

def signed(method, url, body=b""):
    req = AWSRequest(method=method, url=url, data=body,
                     headers={"x-amz-content-sha256": hashlib.sha256(body).hexdigest()})
    SigV4Auth(Credentials(AK, SK), "s3", "us-east-1").add_auth(req)
    return dict(req.headers)
def send(method, url, headers, body=None):
    rq = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(rq) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
h = signed("GET", EP + "/hostile/secret.txt")
expect("a signed GET works as signed", send("GET", EP + "/hostile/secret.txt", h)[0] == 200)
st, b = send("GET", EP + "/hostile/k" + "k" * 3, h)
expect("the GET's signature replayed on another key: 403 SignatureDoesNotMatch", st == 403 and b"SignatureDoesNotMatch" in b, (st, b[:200]))
st, b = send("DELETE", EP + "/hostile/secret.txt", h)
expect("the GET's signature replayed as DELETE: 403", st == 403, (st, b[:200]))
st, b = send("GET", EP + "/hostile/secret.txt?acl", h)
expect("the GET's signature replayed with another query: 403", st == 403, (st, b[:200]))
h = signed("PUT", EP + "/hostile/put.txt", b"original")
expect("a signed PUT works as signed", send("PUT", EP + "/hostile/put.txt", h, b"original")[0] == 200)
st, b = send("PUT", EP + "/hostile/put.txt", h, b"tampered")
expect("the PUT's signature replayed with another body: refused (%d)" % st, st in (400, 403), b[:200])
h2 = dict(h); h2["x-amz-content-sha256"] = hashlib.sha256(b"tampered").hexdigest()
st, b = send("PUT", EP + "/hostile/put.txt", h2, b"tampered")
expect("... and with the body hash header changed too: 403 SignatureDoesNotMatch", st == 403, (st, b[:200]))
expect("the stored object is the signed one", s3.get_object(Bucket="hostile", Key="put.txt")["Body"].read() == b"original")
url = s3.generate_presigned_url("get_object", Params={"Bucket": "hostile", "Key": "secret.txt"}, ExpiresIn=2)
st, b = plain("GET", url[len(EP):])
expect("a presigned GET works before it expires", st == 200 and b == b"top secret", st)
st, b = plain("PUT", url[len(EP):], data=b"evil")
expect("a presigned GET used as PUT: 403", st == 403, (st, b[:200]))
st, b = plain("GET", url[len(EP):].replace("secret.txt", "put.txt"))
expect("a presigned GET used on another key: 403", st == 403, (st, b[:200]))
time.sleep(3.5)
st, b = plain("GET", url[len(EP):])
expect("a presigned GET after it expired: refused (%d)" % st, st in (400, 403) and b"top secret" not in b, b[:200])
bad_s3 = boto3.client("s3", endpoint_url=EP, aws_access_key_id=AK, aws_secret_access_key="x" * 40,
                      region_name="us-east-1", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
expect("a wrong secret: 403 SignatureDoesNotMatch", err_of(bad_s3.get_object, Bucket="hostile", Key="secret.txt") == (403, "SignatureDoesNotMatch"))
PY
)
printf '%s\n' "$out" | sed -n '/^ok   \|^FAIL /!p' | head -n 20
while IFS= read -r line; do
    case $line in
        "ok   "*) t_ok "${line#ok   }" ;;
        "FAIL "*) t_bad "${line#FAIL }" ;;
    esac
done <<<"$out"
printf '%s\n' "$out" | grep -q '^ok   a wrong secret: 403' ||
    t_bad "the python part ran to its end" "$(printf '%s\n' "$out" | tail -n 15)"

# --- admin API off loopback ---
ip=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.' | grep -v '^127\.' | head -n 1)
if [ -n "$ip" ]; then
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://$ip:$CL_MGR_ADMIN/v1/status")
    expect_eq "admin API from $ip without a token: 401" 401 "$code"
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer wrong-$token" "http://$ip:$CL_MGR_ADMIN/v1/status")
    expect_eq "admin API from $ip with a wrong token: 401" 401 "$code"
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://$ip:$CL_MGR_ADMIN/v1/users" -d '{"name":"evil"}')
    expect_eq "admin API from $ip: creating a user without a token: 401" 401 "$code"
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "http://$ip:$CL_MGR_ADMIN/v1/status")
    expect_eq "admin API from $ip with the token: 200" 200 "$code"
else
    echo "SKIP no non-loopback address: admin token check off loopback skipped"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CL_MGR_ADMIN/v1/status")
expect_eq "admin API from loopback without a token: 200" 200 "$code"

# --- cluster RPC: a storage node with the wrong secret cannot join ---
mkdir -p "$tmp/data/intruder"
setsid "$build/storage/cairn-storage" --set storage.name=intruder \
    --set storage.rpc_listen=127.0.0.1:$intruder_port --set storage.data_dir="$tmp/data/intruder" \
    --set manager.address=127.0.0.1:$CL_MGR_RPC --set cluster.secret=not-the-secret \
    --set log.file="$tmp/logs/intruder.log" </dev/null >>"$tmp/logs/intruder.out" 2>&1 &
intruder_pid=$!
sleep 3
nodes=$(cl_adm --json status | python3 -c 'import json,sys; print(" ".join(n["name"] for n in json.load(sys.stdin)["nodes"]))')
if printf '%s' "$nodes" | grep -qw intruder; then
    t_bad "a storage node with the wrong secret is not a member" "$nodes"
else
    t_ok "a storage node with the wrong secret is not a member"
fi
expect_match "... and the manager refused its handshake" 'auth|secret|handshake|EAUTH' \
    "$(cat "$tmp/logs/intruder.log" "$tmp/logs/manager.log" 2>/dev/null)"
kill "$intruder_pid" 2>/dev/null
wait "$intruder_pid" 2>/dev/null
intruder_pid=""
sport=$(awk '/^rpc /{print $2}' "$tmp/run/storage0.port" | cut -d: -f2)
python3 - "$sport" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"\xff" * 64 + b"\x00" * 64)
s.settimeout(5)
try:
    while s.recv(4096):
        pass
except Exception:
    pass
PY
check "a garbage RPC frame does not hurt storage0" cl_alive storage0
check "the cluster still serves after the garbage frame" t_wait_signed

t_summary
