#!/usr/bin/env bash
# s3-compat-tests/curl.sh: curl against a running gateway (run by s3-compat-tests/run, which
# exports S3_ENDPOINT, REST_ENDPOINT and the credentials; the current directory is scratch).
# curl --aws-sigv4 for S3 (path style and virtual-host style through --connect-to, headers,
# ranges, listings, errors as S3 XML with request ids), and the REST listener (plain
# PUT/GET/HEAD/DELETE on /bucket/key, trusted from loopback).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/integration/lib.sh
. "$here/../tests/integration/lib.sh"
command -v curl >/dev/null || { echo "SKIPSUITE no curl"; exit 2; }
echo "# $(curl --version | head -n 1)"

b=compat-curl
port=${S3_ENDPOINT##*:}
sig() { curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$@"; }
# virtual-host style: the bucket in the Host header (domain s3.test), connected to 127.0.0.1
vsig() { sig --connect-to "$b.s3.test:$port:127.0.0.1:$port" "$@"; }
vurl=http://$b.s3.test:$port

code=$(sig -o /dev/null -w '%{http_code}' -X PUT "$S3_ENDPOINT/$b")
expect_eq "--aws-sigv4 CreateBucket: 200" 200 "$code"
head -c 300000 /dev/urandom >obj
code=$(sig -o /dev/null -w '%{http_code}' -T obj -H 'Content-Type: image/x-test' -H 'x-amz-meta-who: curl' \
    -H 'Content-Disposition: inline' "$S3_ENDPOINT/$b/a%20b/obj")
expect_eq "--aws-sigv4 PUT (-T) with Content-Type and x-amz-meta: 200" 200 "$code"
check "--aws-sigv4 GET is byte-identical" cmp obj <(sig "$S3_ENDPOINT/$b/a%20b/obj")
hdrs=$(sig -I "$S3_ENDPOINT/$b/a%20b/obj" | tr -d '\r')
expect_match_i "HEAD: Content-Type kept" '^content-type: image/x-test$' "$hdrs"
expect_match_i "HEAD: x-amz-meta-who kept" '^x-amz-meta-who: curl$' "$hdrs"
expect_match_i "HEAD: Content-Disposition kept" '^content-disposition: inline$' "$hdrs"
expect_match_i "HEAD: Content-Length" '^content-length: 300000$' "$hdrs"
expect_match_i "HEAD: ETag is the MD5" "^etag: \"$(md5sum <obj | cut -d' ' -f1)\"\$" "$hdrs"
expect_match_i "HEAD: x-amz-request-id" '^x-amz-request-id: [0-9A-F]+$' "$hdrs"
expect_match_i "HEAD: x-amz-id-2" '^x-amz-id-2: .+' "$hdrs"
resp=$(sig -D hdr -r 1000-1999 "$S3_ENDPOINT/$b/a%20b/obj" | md5sum | cut -d' ' -f1)
expect_eq "Range 1000-1999: the bytes" "$(tail -c +1001 obj | head -c 1000 | md5sum | cut -d' ' -f1)" "$resp"
expect_match_i "... 206 with Content-Range" '^content-range: bytes 1000-1999/300000' "$(tr -d '\r' <hdr)"
expect_match "... status 206" '^HTTP/1\.1 206' "$(head -n 1 hdr)"
code=$(sig -o /dev/null -w '%{http_code}' -r 400000-400010 "$S3_ENDPOINT/$b/a%20b/obj")
expect_eq "a range past the end: 416" 416 "$code"

# virtual-host style
code=$(vsig -o /dev/null -w '%{http_code}' -T obj "$vurl/vh/obj")
expect_eq "virtual-host style PUT (bucket in Host): 200" 200 "$code"
check "... GET path style returns it" cmp obj <(sig "$S3_ENDPOINT/$b/vh/obj")
expect_match "virtual-host style ListObjectsV2" '<Key>vh/obj</Key>' "$(vsig "$vurl/?list-type=2&prefix=vh/")"

# listings and errors
list=$(sig "$S3_ENDPOINT/$b?list-type=2&delimiter=/")
expect_match "ListObjectsV2 with delimiter: the common prefixes" '<CommonPrefixes><Prefix>a b/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>vh/</Prefix></CommonPrefixes>' "$list"
expect_match "... KeyCount 2" '<KeyCount>2</KeyCount>' "$list"
list=$(sig "$S3_ENDPOINT/$b?prefix=a&encoding-type=url")
expect_match "ListObjects v1 encoding-type=url" '<Key>a%20b/obj</Key>' "$list"
err=$(sig -D hdr "$S3_ENDPOINT/$b/missing")
expect_match "GET missing: NoSuchKey XML with Code, Message, Resource, RequestId" \
    '<Error><Code>NoSuchKey</Code><Message>[^<]+</Message><Resource>/compat-curl/missing</Resource><RequestId>[0-9A-F]+</RequestId>' "$err"
expect_match "... status 404" '^HTTP/1\.1 404' "$(head -n 1 hdr)"
err=$(curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:wrong-secret" "$S3_ENDPOINT/$b/a%20b/obj")
expect_match "a wrong secret: SignatureDoesNotMatch" '<Code>SignatureDoesNotMatch</Code>' "$err"
err=$(curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "NOSUCHKEY:x" "$S3_ENDPOINT/$b/a%20b/obj")
expect_match "an unknown access key: InvalidAccessKeyId" '<Code>InvalidAccessKeyId</Code>' "$err"
# versioning (issue 16), in a bucket of its own
sig -o /dev/null -X PUT "$S3_ENDPOINT/$b-v"
code=$(sig -o /dev/null -w '%{http_code}' "$S3_ENDPOINT/$b-v?versioning" -X PUT \
    -d '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>')
expect_eq "PutBucketVersioning Enabled: 200" 200 "$code"
expect_match "GetBucketVersioning: Enabled" '<Status>Enabled</Status>' "$(sig "$S3_ENDPOINT/$b-v?versioning")"
v1=$(printf 'a' | sig -D - -o /dev/null -T - "$S3_ENDPOINT/$b-v/k" | tr -d '\r' | sed -n 's/^x-amz-version-id: //Ip')
v2=$(printf 'b' | sig -D - -o /dev/null -T - "$S3_ENDPOINT/$b-v/k" | tr -d '\r' | sed -n 's/^x-amz-version-id: //Ip')
expect_match "PUT answers x-amz-version-id, a new one each time" '^[0-9a-f]{24} [0-9a-f]{24}$' "$v1 $v2"
check "... distinct" test "$v1" != "$v2"
expect_eq "GET ?versionId of the first" "a" "$(sig "$S3_ENDPOINT/$b-v/k?versionId=$v1")"
expect_match "GET ?versions lists both, the second latest" \
    "<Version><Key>k</Key><VersionId>$v2</VersionId><IsLatest>true</IsLatest>.*<Version><Key>k</Key><VersionId>$v1</VersionId><IsLatest>false</IsLatest>" \
    "$(sig "$S3_ENDPOINT/$b-v?versions")"
for v in "$v1" "$v2"; do sig -o /dev/null -X DELETE "$S3_ENDPOINT/$b-v/k?versionId=$v"; done
expect_eq "DeleteBucket once both versions are deleted: 204" 204 \
    "$(sig -o /dev/null -w '%{http_code}' -X DELETE "$S3_ENDPOINT/$b-v")"
code=$(sig -o /dev/null -w '%{http_code}' -X DELETE "$S3_ENDPOINT/$b")
expect_eq "DeleteBucket of a non-empty bucket: 409" 409 "$code"
# the first keys in order are deleted ones (tombstones in the listing): still not empty
for k in 0a 0b; do
    sig -o /dev/null -T /dev/null "$S3_ENDPOINT/$b/$k"
    sig -o /dev/null -X DELETE "$S3_ENDPOINT/$b/$k"
done
code=$(sig -o /dev/null -w '%{http_code}' -X DELETE "$S3_ENDPOINT/$b")
expect_eq "DeleteBucket when its first keys were deleted (tombstones first): still 409" 409 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$S3_ENDPOINT/$b/a%20b/obj")
expect_eq "an anonymous GET of a private object: 403" 403 "$code"

# REST listener: no signature, loopback trusted as the owner
head -c 7000000 /dev/urandom >big
code=$(curl -s -o /dev/null -w '%{http_code}' -T big -H 'Content-Type: text/x-rest' "$REST_ENDPOINT/$b/rest/big")
expect_eq "REST: curl -T 7 MB (chunked at the gateway): 200" 200 "$code"
check "REST: GET is byte-identical" cmp big <(curl -s "$REST_ENDPOINT/$b/rest/big")
check "... and S3 GET too" cmp big <(sig "$S3_ENDPOINT/$b/rest/big")
expect_match_i "REST: HEAD has the Content-Type and length" 'content-length: 7000000.*content-type: text/x-rest|content-type: text/x-rest.*content-length: 7000000' \
    "$(curl -sI "$REST_ENDPOINT/$b/rest/big" | tr -d '\r' | tr '\n' ' ')"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$REST_ENDPOINT/$b/rest/big")
expect_eq "REST: DELETE: 204" 204 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$REST_ENDPOINT/$b/rest/big")
expect_eq "REST: GET after DELETE: 404" 404 "$code"

# clean up with --aws-sigv4 DELETEs
for k in a%20b/obj vh/obj; do sig -o /dev/null -X DELETE "$S3_ENDPOINT/$b/$k"; done
code=$(sig -o /dev/null -w '%{http_code}' -X DELETE "$S3_ENDPOINT/$b")
expect_eq "DeleteBucket once empty: 204" 204 "$code"
t_summary
