#!/usr/bin/env bash
# s3-compat-tests/cors.sh: CORS with the stock clients (issue 17; run by s3-compat-tests/run,
# which exports S3_ENDPOINT and the credentials of user "compat"; the gateway's virtual-host
# domain is s3.test). boto3 (Debian's /usr/bin/python3) puts, gets and deletes a bucket's
# CORS rules; curl sends preflights as a browser does (path-style and virtual-host, bucket and
# object paths) and actual requests with an Origin, and checks S3's headers and errors.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/integration/lib.sh
. "$here/../tests/integration/lib.sh"

PY=/usr/bin/python3
"$PY" -c 'import boto3' 2>/dev/null || { echo "SKIPSUITE no boto3 for /usr/bin/python3"; exit 2; }
B=compat-cors
host=${S3_ENDPOINT#http://}
port=${host##*:}

boto() { # boto PYTHON: runs PYTHON with s (a boto3 client of the compat user) and B defined
    "$PY" - <<PYEOF
import json, sys, boto3, botocore
from botocore.config import Config
s = boto3.client("s3", endpoint_url="$S3_ENDPOINT", region_name="us-east-1",
                 config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
B = "$B"
def code(fn, **kw):
    try:
        fn(**kw)
        return "OK"
    except botocore.exceptions.ClientError as e:
        return "%s %s" % (e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"])
$1
PYEOF
}

# hdrs CURL_ARGS...: the status line and the CORS headers of one unsigned request, lower case,
# sorted, one a line ("status 200", "access-control-allow-origin: *" ...)
hdrs() {
    curl -s -o /dev/null -D - "$@" | tr -d '\r' | awk 'NR == 1 { print "status " $2; next }
        tolower($0) ~ /^(access-control-|vary:)/ { print tolower(substr($0, 1, index($0, ":"))) substr($0, index($0, ":") + 1) }' |
        sort
}

check "create-bucket" boto "s.create_bucket(Bucket=B)"
expect_eq "boto3 get_bucket_cors before any rule: 404 NoSuchCORSConfiguration" \
    "404 NoSuchCORSConfiguration" "$(boto 'print(code(s.get_bucket_cors, Bucket=B))')"
expect_eq "boto3 put_bucket_cors with method TRACE: 400 InvalidRequest" "400 InvalidRequest" \
    "$(boto 'print(code(s.put_bucket_cors, Bucket=B, CORSConfiguration={"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["TRACE"]}]}))')"
rules='[{"ID": "app", "AllowedOrigins": ["https://app.example.com"], "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600}, {"AllowedOrigins": ["http://*.example.org"], "AllowedMethods": ["GET"]}]'
expect_eq "boto3 put_bucket_cors" "OK" \
    "$(boto "print(code(s.put_bucket_cors, Bucket=B, CORSConfiguration={'CORSRules': $rules}))")"
expect_eq "boto3 get_bucket_cors gives the rules back" "True" \
    "$(boto "print(s.get_bucket_cors(Bucket=B)['CORSRules'] == $rules)")"
check "a public object" boto "s.put_object(Bucket=B, Key='k', Body=b'hi', ACL='public-read')"

pf=(-X OPTIONS -H "Origin: https://app.example.com" -H "Access-Control-Request-Method: PUT"
    -H "Access-Control-Request-Headers: content-type,x-amz-date")
want="access-control-allow-credentials: true
access-control-allow-headers: content-type, x-amz-date
access-control-allow-methods: GET, PUT
access-control-allow-origin: https://app.example.com
access-control-expose-headers: ETag
access-control-max-age: 600
status 200
vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
expect_eq "curl preflight on an object, path-style: 200 and S3's headers" "$want" \
    "$(hdrs "${pf[@]}" "$S3_ENDPOINT/$B/k")"
expect_eq "curl preflight on the bucket, virtual-host style: the same" "$want" \
    "$(hdrs "${pf[@]}" --connect-to "$B.s3.test:$port:127.0.0.1:$port" "http://$B.s3.test:$port/")"
expect_eq "curl preflight on an object, virtual-host style: the same" "$want" \
    "$(hdrs "${pf[@]}" --connect-to "$B.s3.test:$port:127.0.0.1:$port" "http://$B.s3.test:$port/k")"
expect_eq "curl preflight from another origin: 403" "status 403" \
    "$(hdrs -X OPTIONS -H "Origin: https://evil.example.com" -H "Access-Control-Request-Method: GET" "$S3_ENDPOINT/$B/k")"
expect_match "... AccessForbidden" "<Code>AccessForbidden</Code>" \
    "$(curl -s -X OPTIONS -H "Origin: https://evil.example.com" -H "Access-Control-Request-Method: GET" "$S3_ENDPOINT/$B/k")"
expect_match "curl preflight without Origin: 400 BadRequest" \
    "<Code>BadRequest</Code><Message>Insufficient information. Origin request header needed.</Message>" \
    "$(curl -s -X OPTIONS -H "Access-Control-Request-Method: GET" "$S3_ENDPOINT/$B/k")"
expect_eq "curl GET from a wildcard origin: the second rule's headers" \
    "access-control-allow-credentials: true
access-control-allow-methods: GET
access-control-allow-origin: http://www.example.org
status 200
vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method" \
    "$(hdrs -H "Origin: http://www.example.org" "$S3_ENDPOINT/$B/k")"
expect_eq "curl GET of a missing key from that origin: the 404/403 carries them too" \
    "http://www.example.org" \
    "$(hdrs -H "Origin: http://www.example.org" "$S3_ENDPOINT/$B/missing" | sed -n 's/^access-control-allow-origin: //p')"
expect_eq "curl signed GET from the app's origin: its headers" "https://app.example.com" \
    "$(hdrs --aws-sigv4 aws:amz:us-east-1:s3 --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
        -H "Origin: https://app.example.com" "$S3_ENDPOINT/$B/k" | sed -n 's/^access-control-allow-origin: //p')"
expect_eq "curl GET without Origin: no CORS headers" "status 200" "$(hdrs "$S3_ENDPOINT/$B/k")"
expect_eq "boto3 delete_bucket_cors" "OK" "$(boto 'print(code(s.delete_bucket_cors, Bucket=B))')"
expect_eq "... then get_bucket_cors: 404" "404 NoSuchCORSConfiguration" \
    "$(boto 'print(code(s.get_bucket_cors, Bucket=B))')"
expect_eq "... and a preflight: 403" "status 403" "$(hdrs "${pf[@]}" "$S3_ENDPOINT/$B/k")"
check "clean up" boto "s.delete_object(Bucket=B, Key='k'); s.delete_bucket(Bucket=B)"
t_summary
