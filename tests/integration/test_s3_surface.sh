#!/usr/bin/env bash
# tests/integration/test_s3_surface.sh BUILD_DIR: the S3 and REST surface of the gateway on a
# whole cluster (1 manager, 3 storage nodes, 1 gateway on free loopback ports), checked for
# content and metadata with the aws cli, curl and a small independent SigV4/SigV2 signer in
# python (for aws-chunked bodies, trailers and virtual-host SigV2, which the cli over plain
# HTTP does not send): multipart uploads (aws s3 cp and every s3api step, errors), a body over
# max_object_size answered as EntityTooLarge XML, DeleteObjects, CopyObject, canned ACLs and
# anonymous access, aws-chunked uploads with signatures and checksum trailers, the REST
# listener, and curl --aws-sigv4 with a query.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

s3_conf() {
    t_conf gateway <<CONF
[gateway]
max_object_size = 48m
domain = s3.test
CONF
}
t_cluster_boot s3 3 --rest --conf s3_conf --user alice
expect_match "the port file has the rest line" "^rest 127\.0\.0\.1:$CL_REST\$" "$(cat "$tmp/run/gateway.port")"
s3() { aws --endpoint-url "$endpoint" "$@"; }

# An independent signer for what the cli does not send over plain HTTP.
cat >"$tmp/s3raw.py" <<'PY'
import base64, hashlib, hmac, os, sys, time, urllib.request, urllib.error, zlib

AK, SK = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
EMPTY = hashlib.sha256(b"").hexdigest()

def key(date):
    k = hmac.new(("AWS4" + SK).encode(), date[:8].encode(), hashlib.sha256).digest()
    for x in ("us-east-1", "s3", "aws4_request"):
        k = hmac.new(k, x.encode(), hashlib.sha256).digest()
    return k

def send(method, url, path, headers, body):
    req = urllib.request.Request(url + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()

def v4(method, url, path, payload_hash, extra, body):
    host = url.split("//", 1)[1]
    date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    h = {"host": host, "x-amz-date": date, "x-amz-content-sha256": payload_hash}
    h.update({k.lower(): v for k, v in extra.items()})
    names = sorted(h)
    creq = "\n".join([method, path, "", "".join("%s:%s\n" % (n, h[n]) for n in names),
                      ";".join(names), payload_hash])
    scope = date[:8] + "/us-east-1/s3/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    k = key(date)
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        AK, scope, ";".join(names), sig)
    del h["host"]
    return h, k, date, scope, sig

def chunk_sig(k, date, scope, prev, data):
    sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", date, scope, prev, EMPTY,
                     hashlib.sha256(data).hexdigest()])
    return hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()

def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()

def main():
    mode, url, path = sys.argv[1:4]
    data = open(sys.argv[4], "rb").read() if len(sys.argv) > 4 else b""
    pieces = [data[i:i + 65536] for i in range(0, len(data), 65536)] + [b""]
    if mode in ("signed", "signed-bad"):
        extra = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
                 "content-type": "text/x-chunked"}
        h, k, date, scope, prev = v4("PUT", url, path, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", extra, None)
        body = b""
        for p in pieces:
            s = chunk_sig(k, date, scope, prev, p)
            prev = s
            if mode == "signed-bad" and p:
                s = "0" * 64
            body += b"%x;chunk-signature=%s\r\n" % (len(p), s.encode()) + p + b"\r\n"
        h["content-length"] = str(len(body))
    elif mode in ("trailer", "trailer-bad"):
        crc = crc32_b64(data if mode == "trailer" else data + b"x")
        extra = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
                 "x-amz-trailer": "x-amz-checksum-crc32"}
        h, _, _, _, _ = v4("PUT", url, path, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", extra, None)
        body = b""
        for p in pieces[:-1]:
            body += b"%x\r\n" % len(p) + p + b"\r\n"
        body += b"0\r\nx-amz-checksum-crc32:" + crc.encode() + b"\r\n\r\n"
    elif mode == "v2-vhost":
        # SigV2, bucket in the Host header: the string to sign still names /bucket/key
        bucket, key_ = path.lstrip("/").split("/", 1)
        date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())
        sts = "GET\n\n\n%s\n/%s/%s" % (date, bucket, key_)
        sig = base64.b64encode(hmac.new(SK.encode(), sts.encode(), hashlib.sha1).digest()).decode()
        port = url.rsplit(":", 1)[1]
        h = {"Date": date, "Authorization": "AWS %s:%s" % (AK, sig),
             "Host": "%s.s3.test:%s" % (bucket, port)}
        st, hd, b = send("GET", url, "/" + key_, h, None)
        sys.stdout.write("%d\n" % st)
        sys.stdout.flush()
        sys.stdout.buffer.write(b)
        return
    st, hd, b = send("PUT", url, path, h, body)
    print(st)
    print(b.decode(errors="replace"))

main()
PY
raw() { python3 "$tmp/s3raw.py" "$@"; }

mkdir -p "$tmp/f"
head -c 10485760 /dev/urandom >"$tmp/f/10m"
head -c 41943040 /dev/urandom >"$tmp/f/40m"
head -c 6000000 /dev/urandom >"$tmp/f/p1"
head -c 1000 /dev/urandom >"$tmp/f/p2"
check "aws s3 mb" s3 s3 mb s3://surface

# --- 0. overwrites of a chunked object leave no chunks behind ---------------------------------
# Chunked PUTs and Complete write their parent record with want_prev (docs/PROTOCOL.md, `put`)
# and drop the chunks of the version it replaced, with no head first. Counted as the live
# versions the storage nodes hold (chunks included), before anything else runs: 6 MiB is
# 2 chunks + the manifest, and so is the multipart object (a 5 MiB part + a small one): 3
# records, 3 copies each (3 nodes), each time; orphan chunks would add 6 copies.
head -c $((6 * 1024 * 1024)) /dev/urandom >"$tmp/f/ow1"
head -c $((6 * 1024 * 1024)) /dev/urandom >"$tmp/f/ow2"
head -c 5242880 /dev/urandom >"$tmp/f/owp1"
printf 'the last part' >"$tmp/f/owp2"
base=$(cl_live_objects)
check "PUT a 6 MiB object (chunked)" s3 s3api put-object --bucket surface --key ow/obj --body "$tmp/f/ow1"
cl_wait_live_objects $((base + 9)) 20 && t_ok "... 2 chunks + its manifest, 3 copies each" ||
    t_bad "... $(cl_live_objects) live copies, want $((base + 9))"
check "overwrite it with another 6 MiB object (chunked)" s3 s3api put-object --bucket surface --key ow/obj --body "$tmp/f/ow2"
check "... it reads back byte-identical" cmp "$tmp/f/ow2" <(s3 s3 cp --only-show-errors s3://surface/ow/obj -)
cl_wait_live_objects $((base + 9)) 20 && t_ok "... and the old version's chunks are deleted" ||
    t_bad "old chunks left behind by a chunked overwrite: $(cl_live_objects) live copies, want $((base + 9))"
uo=$(s3 s3api create-multipart-upload --bucket surface --key ow/obj --query UploadId --output text 2>&1)
o1=$(s3 s3api upload-part --bucket surface --key ow/obj --upload-id "$uo" --part-number 1 --body "$tmp/f/owp1" --query ETag --output text 2>&1)
o2=$(s3 s3api upload-part --bucket surface --key ow/obj --upload-id "$uo" --part-number 2 --body "$tmp/f/owp2" --query ETag --output text 2>&1)
check "overwrite it with a multipart upload (5 MiB + 13 bytes)" s3 s3api complete-multipart-upload --bucket surface --key ow/obj --upload-id "$uo" --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$o1},{\"PartNumber\":2,\"ETag\":$o2}]}"
check "... it reads back byte-identical" cmp <(cat "$tmp/f/owp1" "$tmp/f/owp2") <(s3 s3 cp --only-show-errors s3://surface/ow/obj -)
cl_wait_live_objects $((base + 9)) 20 && t_ok "... and the chunks of the version it replaced are deleted (the marker and part records too)" ||
    t_bad "chunks left behind by Complete over a chunked object: $(cl_live_objects) live copies, want $((base + 9))"
check "delete it" s3 s3api delete-object --bucket surface --key ow/obj
cl_wait_live_objects "$base" 20 && t_ok "... and its chunks go with it" ||
    t_bad "chunks left behind by a delete: $(cl_live_objects) live copies, want $base"

# --- 1. multipart through aws s3 cp (8 MiB parts) --------------------------------------------
check "aws s3 cp uploads 10 MiB (multipart)" s3 s3 cp --only-show-errors "$tmp/f/10m" s3://surface/mp/10m
check "aws s3 cp uploads 40 MiB (multipart)" s3 s3 cp --only-show-errors "$tmp/f/40m" s3://surface/mp/40m
check "aws s3 cp downloads 10 MiB" s3 s3 cp --only-show-errors s3://surface/mp/10m "$tmp/f/10m.back"
check "... byte-identical" cmp "$tmp/f/10m" "$tmp/f/10m.back"
check "aws s3 cp downloads 40 MiB" s3 s3 cp --only-show-errors s3://surface/mp/40m "$tmp/f/40m.back"
check "... byte-identical" cmp "$tmp/f/40m" "$tmp/f/40m.back"
h40=$(s3 s3api head-object --bucket surface --key mp/40m --query '[ContentLength,ETag]' --output text 2>&1)
expect_match "head of the 40 MiB object: its size and a 5-part ETag" '^41943040[[:space:]]+"[0-9a-f]{32}-5"$' "$h40"

# --- 2. multipart step by step ---------------------------------------------------------------
id=$(s3 s3api create-multipart-upload --bucket surface --key mp/steps --content-type text/x-steps --metadata color=blue --query UploadId --output text 2>&1)
expect_match "create-multipart-upload returns a 32-hex upload id" '^[0-9a-f]{32}$' "$id"
e1=$(s3 s3api upload-part --bucket surface --key mp/steps --upload-id "$id" --part-number 1 --body "$tmp/f/p1" --query ETag --output text 2>&1)
e2=$(s3 s3api upload-part --bucket surface --key mp/steps --upload-id "$id" --part-number 2 --body "$tmp/f/p2" --query ETag --output text 2>&1)
expect_eq "upload-part ETag is the part's MD5" "\"$(md5sum <"$tmp/f/p1" | cut -d' ' -f1)\"" "$e1"
parts=$(s3 s3api list-parts --bucket surface --key mp/steps --upload-id "$id" --query 'Parts[].[PartNumber,Size]' --output text 2>&1 | tr -s ' \t\n' ' ')
expect_eq "list-parts lists both parts with their sizes" "1 6000000 2 1000 " "$parts"
page=$(s3 s3api list-parts --bucket surface --key mp/steps --upload-id "$id" --max-parts 1 --query '[IsTruncated,NextPartNumberMarker]' --output text 2>&1 | tr -s ' \t' ' ')
expect_eq "list-parts pages with max-parts" "True 1" "$page"
page=$(s3 s3api list-parts --bucket surface --key mp/steps --upload-id "$id" --part-number-marker 1 --query 'Parts[].PartNumber' --output text 2>&1)
expect_eq "list-parts starts after part-number-marker" "2" "$page"
ups=$(s3 s3api list-multipart-uploads --bucket surface --query 'Uploads[].[Key,UploadId]' --output text 2>&1)
expect_match "list-multipart-uploads shows the upload" "mp/steps[[:space:]]+$id" "$ups"
out=$(s3 s3api complete-multipart-upload --bucket surface --key mp/steps --upload-id "$id" --multipart-upload "{\"Parts\":[{\"PartNumber\":2,\"ETag\":$e2},{\"PartNumber\":1,\"ETag\":$e1}]}" 2>&1)
expect_match "complete with parts out of order: InvalidPartOrder" 'InvalidPartOrder' "$out"
out=$(s3 s3api complete-multipart-upload --bucket surface --key mp/steps --upload-id "$id" --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$e2},{\"PartNumber\":2,\"ETag\":$e2}]}" 2>&1)
expect_match "complete with a wrong ETag: InvalidPart" 'InvalidPart\)' "$out"
out=$(s3 s3api complete-multipart-upload --bucket surface --key mp/steps --upload-id "$id" --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$e1},{\"PartNumber\":3,\"ETag\":$e2}]}" 2>&1)
expect_match "complete with a part never uploaded: InvalidPart" 'InvalidPart\)' "$out"
out=$(s3 s3api complete-multipart-upload --bucket surface --key mp/steps --upload-id "$id" --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$e1},{\"PartNumber\":2,\"ETag\":$e2}]}" --query ETag --output text 2>&1)
want=$(python3 -c "import hashlib,sys; d=b''.join(hashlib.md5(open(f,'rb').read()).digest() for f in sys.argv[1:]); print('\"%s-2\"' % hashlib.md5(d).hexdigest())" "$tmp/f/p1" "$tmp/f/p2")
expect_eq "complete answers md5-of-part-md5s-2" "$want" "$out"
check "the completed object downloads" s3 s3api get-object --bucket surface --key mp/steps "$tmp/f/steps.back"
cat "$tmp/f/p1" "$tmp/f/p2" >"$tmp/f/steps"
check "... byte-identical to part 1 + part 2" cmp "$tmp/f/steps" "$tmp/f/steps.back"
meta=$(s3 s3api head-object --bucket surface --key mp/steps --query '[ContentLength,ContentType,Metadata.color,ETag]' --output text 2>&1 | tr -s ' \t' ' ')
expect_eq "head: size, Content-Type and metadata from create" "6001000 text/x-steps blue $want" "$meta"
s3 s3api get-object --bucket surface --key mp/steps --range bytes=5999990-6000009 "$tmp/f/range" >/dev/null 2>&1
check "a range across the part boundary" cmp "$tmp/f/range" <(tail -c +5999991 "$tmp/f/steps" | head -c 20)
ups=$(s3 s3api list-multipart-uploads --bucket surface --query 'Uploads[].UploadId' --output text 2>&1)
expect_match "the completed upload is gone from list-multipart-uploads" '^(None)?$' "$ups"
out=$(s3 s3api upload-part --bucket surface --key mp/steps --upload-id "$id" --part-number 3 --body "$tmp/f/p2" 2>&1)
expect_match "upload-part to a completed upload: NoSuchUpload" 'NoSuchUpload' "$out"
id2=$(s3 s3api create-multipart-upload --bucket surface --key mp/small --query UploadId --output text 2>&1)
s1=$(s3 s3api upload-part --bucket surface --key mp/small --upload-id "$id2" --part-number 1 --body "$tmp/f/p2" --query ETag --output text 2>&1)
s2=$(s3 s3api upload-part --bucket surface --key mp/small --upload-id "$id2" --part-number 2 --body "$tmp/f/p2" --query ETag --output text 2>&1)
out=$(s3 s3api complete-multipart-upload --bucket surface --key mp/small --upload-id "$id2" --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$s1},{\"PartNumber\":2,\"ETag\":$s2}]}" 2>&1)
expect_match "a non-last part under 5 MiB: EntityTooSmall" 'EntityTooSmall' "$out"
out=$(s3 s3api upload-part --bucket surface --key mp/small --upload-id "$id2" --part-number 10001 --body "$tmp/f/p2" 2>&1)
expect_match "part number 10001: InvalidArgument" 'InvalidArgument' "$out"
check "abort-multipart-upload" s3 s3api abort-multipart-upload --bucket surface --key mp/small --upload-id "$id2"
out=$(s3 s3api list-parts --bucket surface --key mp/small --upload-id "$id2" 2>&1)
expect_match "list-parts after abort: NoSuchUpload" 'NoSuchUpload' "$out"
body=$(sigv4 -X POST -d '<CompleteMultipartUpload><Part>' "$endpoint/surface/mp/small?uploadId=$id2")
expect_match "a malformed Complete body: MalformedXML (checked before the upload)" '<Code>MalformedXML</Code>' "$body"

# two uploads of one key at once never mix their parts (LeoFS #903)
head -c 5242880 /dev/urandom >"$tmp/f/a1"
head -c 5242880 /dev/urandom >"$tmp/f/b1"
printf 'tail of a' >"$tmp/f/a2"
printf 'tail of b' >"$tmp/f/b2"
ua=$(s3 s3api create-multipart-upload --bucket surface --key mp/twice --query UploadId --output text 2>&1)
ub=$(s3 s3api create-multipart-upload --bucket surface --key mp/twice --query UploadId --output text 2>&1)
a1=$(s3 s3api upload-part --bucket surface --key mp/twice --upload-id "$ua" --part-number 1 --body "$tmp/f/a1" --query ETag --output text 2>&1)
b1=$(s3 s3api upload-part --bucket surface --key mp/twice --upload-id "$ub" --part-number 1 --body "$tmp/f/b1" --query ETag --output text 2>&1)
a2=$(s3 s3api upload-part --bucket surface --key mp/twice --upload-id "$ua" --part-number 2 --body "$tmp/f/a2" --query ETag --output text 2>&1)
b2=$(s3 s3api upload-part --bucket surface --key mp/twice --upload-id "$ub" --part-number 2 --body "$tmp/f/b2" --query ETag --output text 2>&1)
check "complete upload A of a key" s3 s3api complete-multipart-upload --bucket surface --key mp/twice --upload-id "$ua" --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$a1},{\"PartNumber\":2,\"ETag\":$a2}]}"
check "... the object is A's parts" cmp <(cat "$tmp/f/a1" "$tmp/f/a2") <(s3 s3 cp --only-show-errors s3://surface/mp/twice -)
check "complete upload B of the same key" s3 s3api complete-multipart-upload --bucket surface --key mp/twice --upload-id "$ub" --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$b1},{\"PartNumber\":2,\"ETag\":$b2}]}"
check "... the object is B's parts, none of A's" cmp <(cat "$tmp/f/b1" "$tmp/f/b2") <(s3 s3 cp --only-show-errors s3://surface/mp/twice -)

# --- 2b. a body over max_object_size: EntityTooLarge as S3 XML ------------------------------
head -c $((48 * 1024 * 1024 + 1)) /dev/zero >"$tmp/f/big"
resp=$(curl -s -w '\n%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -T "$tmp/f/big" "$endpoint/surface/too-big")
expect_match "a PUT over max_object_size: 400 EntityTooLarge XML with a RequestId" '<Code>EntityTooLarge</Code>.*<RequestId>[0-9A-F]{16}</RequestId>.*400$' "$(printf '%s' "$resp" | tr -d '\n')"
out=$(s3 s3api head-object --bucket surface --key too-big 2>&1)
expect_match "... and nothing was stored" '404|Not Found' "$out"

# --- 3. DeleteObjects ---------------------------------------------------------------------------
for k in a b c; do printf 'del %s' "$k" | s3 s3 cp --only-show-errors - "s3://surface/del/$k"; done
out=$(s3 s3api delete-objects --bucket surface --delete '{"Objects":[{"Key":"del/a"},{"Key":"del/b"},{"Key":"del/missing"}]}' --query 'Deleted[].Key' --output text 2>&1)
expect_eq "delete-objects reports each key deleted (a missing one too)" "del/a	del/b	del/missing" "$out"
left=$(s3 s3api list-objects-v2 --bucket surface --prefix del/ --query 'Contents[].Key' --output text 2>&1)
expect_eq "... and only del/c is left" "del/c" "$left"
out=$(s3 s3api delete-objects --bucket surface --delete '{"Objects":[{"Key":"del/c"}],"Quiet":true}' --output json 2>&1)
case $(printf '%s' "$out" | tr -d '\n ') in
    "" | "{}") t_ok "Quiet delete-objects lists nothing" ;;
    *) t_bad "Quiet delete-objects lists nothing" "$out" ;;
esac
resp=$(sigv4 -X POST -d '<Delete><Object><Key>x</Key></Object></Delete>' "$endpoint/surface?delete")
expect_match "DeleteObjects without Content-MD5 or a checksum: InvalidRequest" '<Code>InvalidRequest</Code>' "$resp"

# --- 3b. CopyObject -----------------------------------------------------------------------------
printf 'copy me' >"$tmp/f/c"
s3 s3api put-object --bucket surface --key cp/src --body "$tmp/f/c" --content-type text/x-src --metadata k=v >/dev/null 2>&1
check "aws s3 mb a second bucket" s3 s3 mb s3://surface-two
out=$(s3 s3api copy-object --bucket surface-two --key dst --copy-source surface/cp/src --query CopyObjectResult.ETag --output text 2>&1)
expect_eq "copy-object across buckets answers the source ETag" "\"$(md5sum <"$tmp/f/c" | cut -d' ' -f1)\"" "$out"
meta=$(s3 s3api head-object --bucket surface-two --key dst --query '[ContentType,Metadata.k]' --output text 2>&1 | tr -s ' \t' ' ')
expect_eq "COPY directive keeps Content-Type and metadata" "text/x-src v" "$meta"
s3 s3api copy-object --bucket surface --key cp/replaced --copy-source surface/cp/src --metadata-directive REPLACE --content-type text/x-new --metadata z=1 >/dev/null 2>&1
meta=$(s3 s3api head-object --bucket surface --key cp/replaced --query '[ContentType,Metadata.z,Metadata.k]' --output text 2>&1 | tr -s ' \t' ' ')
expect_eq "REPLACE directive takes the request's metadata" "text/x-new 1 None" "$meta"
check "copy-object of the 40 MiB multipart object" s3 s3api copy-object --bucket surface-two --key big --copy-source surface/mp/40m
check "... downloads" s3 s3 cp --only-show-errors s3://surface-two/big "$tmp/f/big.back"
check "... byte-identical" cmp "$tmp/f/40m" "$tmp/f/big.back"
check "the source is deleted" s3 s3 rm --only-show-errors s3://surface/mp/40m
rm -f "$tmp/f/big.back"
check "... and the copy still downloads (no shared chunks)" s3 s3 cp --only-show-errors s3://surface-two/big "$tmp/f/big.back"
check "... byte-identical" cmp "$tmp/f/40m" "$tmp/f/big.back"
check "aws s3 cp s3:// to s3:// of the 10 MiB multipart object" s3 s3 cp --only-show-errors s3://surface/mp/10m s3://surface-two/10m
check "... byte-identical" cmp "$tmp/f/10m" <(s3 s3 cp --only-show-errors s3://surface-two/10m -)
pid=$(s3 s3api create-multipart-upload --bucket surface-two --key upc --query UploadId --output text 2>&1)
pe1=$(s3 s3api upload-part-copy --bucket surface-two --key upc --upload-id "$pid" --part-number 1 --copy-source surface/mp/10m --copy-source-range bytes=1000-5243879 --query CopyPartResult.ETag --output text 2>&1)
expect_eq "upload-part-copy of a range of a chunked source: the range's MD5" "\"$(tail -c +1001 "$tmp/f/10m" | head -c 5242880 | md5sum | cut -d' ' -f1)\"" "$pe1"
pe2=$(s3 s3api upload-part-copy --bucket surface-two --key upc --upload-id "$pid" --part-number 2 --copy-source surface/cp/src --copy-source-range bytes=1-3 --query CopyPartResult.ETag --output text 2>&1)
out=$(s3 s3api upload-part-copy --bucket surface-two --key upc --upload-id "$pid" --part-number 3 --copy-source surface/cp/src --copy-source-range bytes=1-300 2>&1)
expect_match "upload-part-copy with a range past the end: InvalidRange" 'InvalidRange' "$out"
check "complete the copied parts" s3 s3api complete-multipart-upload --bucket surface-two --key upc --upload-id "$pid" --multipart-upload "{\"Parts\":[{\"PartNumber\":1,\"ETag\":$pe1},{\"PartNumber\":2,\"ETag\":$pe2}]}"
check "... the object is the two ranges" cmp <(tail -c +1001 "$tmp/f/10m" | head -c 5242880; printf 'opy') <(s3 s3 cp --only-show-errors s3://surface-two/upc -)
out=$(s3 s3api copy-object --bucket surface --key cp/x --copy-source surface/cp/src --copy-source-if-match '"0000"' 2>&1)
expect_match "copy-source-if-match that fails: PreconditionFailed" 'PreconditionFailed' "$out"
out=$(s3 s3api copy-object --bucket surface --key cp/src --copy-source surface/cp/src 2>&1)
expect_match "copy onto itself without changes: InvalidRequest" 'InvalidRequest' "$out"

# --- 3c. canned ACLs and anonymous access --------------------------------------------------
s3 s3api put-object --bucket surface --key acl/open --body "$tmp/f/c" >/dev/null 2>&1
code=$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/surface/acl/open")
expect_eq "anonymous GET of a private object: 403" 403 "$code"
check "put-object-acl public-read" s3 s3api put-object-acl --bucket surface --key acl/open --acl public-read
expect_eq "anonymous GET of a public-read object returns it" "copy me" "$(curl -s "$endpoint/surface/acl/open")"
grants=$(s3 s3api get-object-acl --bucket surface --key acl/open --query 'Grants[].[Grantee.URI,Permission]' --output text 2>&1)
expect_match "get-object-acl shows AllUsers READ" 'AllUsers[[:space:]]+READ' "$grants"
code=$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/surface/acl/no-such-key")
expect_eq "anonymous GET of a missing key in a private bucket: 403, not 404" 403 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -d x "$endpoint/surface/acl/anon")
expect_eq "anonymous PUT into a private bucket: 403" 403 "$code"
check "create-bucket with --acl public-read" s3 s3api create-bucket --bucket surface-pub --acl public-read
s3 s3api put-object --bucket surface-pub --key k --body "$tmp/f/c" >/dev/null 2>&1
code=$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/surface-pub/k")
expect_eq "anonymous GET of a private object in a public-read bucket: 403 (its own ACL decides)" \
    403 "$code"
s3 s3api put-object --bucket surface-pub --key kp --body "$tmp/f/c" --acl public-read >/dev/null 2>&1
expect_eq "anonymous GET of a public-read object in a public-read bucket" "copy me" \
    "$(curl -s "$endpoint/surface-pub/kp")"
expect_match "anonymous listing of a public-read bucket" '<Key>k</Key>' "$(curl -s "$endpoint/surface-pub?list-type=2")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$endpoint/surface-pub/k")
expect_eq "anonymous DELETE in a public-read bucket: 403" 403 "$code"
grants=$(s3 s3api get-bucket-acl --bucket surface-pub --query 'Grants[].Permission' --output text 2>&1)
expect_match "get-bucket-acl shows FULL_CONTROL and READ" 'FULL_CONTROL[[:space:]]+READ' "$grants"
s3 s3api put-object --bucket surface --key acl/po --body "$tmp/f/c" --acl public-read >/dev/null 2>&1
expect_eq "put-object with --acl public-read is readable anonymously" "copy me" "$(curl -s "$endpoint/surface/acl/po")"

# --- 4. aws-chunked bodies -------------------------------------------------------------------
head -c 150000 /dev/urandom >"$tmp/f/chunked"
out=$(raw signed "$endpoint" /surface/ch/signed "$tmp/f/chunked")
expect_match "STREAMING-AWS4-HMAC-SHA256-PAYLOAD upload: 200" '^200' "$out"
check "... stored without chunk framing" cmp "$tmp/f/chunked" <(s3 s3 cp --only-show-errors s3://surface/ch/signed -)
ct=$(s3 s3api head-object --bucket surface --key ch/signed --query '[ContentType,ContentEncoding]' --output text 2>&1)
expect_match "... Content-Type kept, aws-chunked not stored as Content-Encoding" '^text/x-chunked[[:space:]]+None$' "$ct"
out=$(raw signed-bad "$endpoint" /surface/ch/bad "$tmp/f/chunked")
expect_match "a wrong chunk signature: 403 SignatureDoesNotMatch" '^403.*SignatureDoesNotMatch' "$(printf '%s' "$out" | tr -d '\n')"
out=$(raw trailer "$endpoint" /surface/ch/trailer "$tmp/f/chunked")
expect_match "STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer: 200" '^200' "$out"
check "... stored without framing or trailer" cmp "$tmp/f/chunked" <(s3 s3 cp --only-show-errors s3://surface/ch/trailer -)
crc=$(python3 -c "import base64,zlib,sys; print(base64.b64encode(zlib.crc32(open(sys.argv[1],'rb').read()).to_bytes(4,'big')).decode())" "$tmp/f/chunked")
hdrs=$(sigv4 -I -H 'x-amz-checksum-mode: ENABLED' "$endpoint/surface/ch/trailer")
if printf '%s' "$hdrs" | grep -iF "x-amz-checksum-crc32: $crc" >/dev/null; then
    t_ok "HEAD with x-amz-checksum-mode: ENABLED returns the stored CRC32"
else
    t_bad "HEAD with x-amz-checksum-mode: ENABLED returns the stored CRC32" "$hdrs"
fi
hdrs=$(sigv4 -I "$endpoint/surface/ch/trailer")
if printf '%s' "$hdrs" | grep -i 'x-amz-checksum' >/dev/null; then t_bad "... and only then"; else t_ok "... and only then"; fi
out=$(raw trailer-bad "$endpoint" /surface/ch/badcrc "$tmp/f/chunked")
expect_match "a trailer CRC32 that does not match: 400 BadDigest" '^400.*BadDigest' "$(printf '%s' "$out" | tr -d '\n')"
code=$(sigv4 -o /dev/null -w '%{http_code}' -H "x-amz-checksum-crc32: $crc" -T "$tmp/f/chunked" "$endpoint/surface/ch/hdr")
expect_eq "a PUT with a matching x-amz-checksum-crc32 header: 200" 200 "$code"
resp=$(sigv4 -w '\n%{http_code}' -H "x-amz-checksum-crc32: AAAAAA==" -T "$tmp/f/chunked" "$endpoint/surface/ch/hdr2")
expect_match "... a wrong one: 400 BadDigest" '<Code>BadDigest</Code>.*400$' "$(printf '%s' "$resp" | tr -d '\n')"

# --- 5. the REST listener ---------------------------------------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code}' -T "$tmp/f/10m" -H 'Content-Type: text/x-rest' "$rest/surface/rest/10m")
expect_eq "REST: curl -T from loopback (trusted) answers 200" 200 "$code"
check "REST: GET returns the same bytes" cmp "$tmp/f/10m" <(curl -s "$rest/surface/rest/10m")
check "S3 sees the REST object byte-identical" cmp "$tmp/f/10m" <(s3 s3 cp --only-show-errors s3://surface/rest/10m -)
expect_match "REST: HEAD has the Content-Type" 'content-type: text/x-rest' "$(curl -sI "$rest/surface/rest/10m")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$rest/surface/rest/10m")
expect_eq "REST: DELETE answers 204" 204 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$rest/surface/rest/10m")
expect_eq "REST: GET after DELETE answers 404" 404 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$rest/surface/rest/x")
expect_eq "REST: POST answers 405" 405 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$rest/surface")
expect_eq "REST: bucket-level requests answer 405" 405 "$code"

# --- 6. SigV2 with virtual-host style, curl --aws-sigv4 with a query ------------------------
out=$(raw v2-vhost "$endpoint" /surface/cp/src 2>&1)
expect_eq "SigV2 GET with the bucket in Host" "200
copy me" "$out"
listing=$(sigv4 "$endpoint/surface?list-type=2&prefix=cp/")
expect_match "curl --aws-sigv4 ListObjectsV2 with prefix=cp/ (query signed as sent)" '<Key>cp/src</Key>' "$listing"

# add-endpoint: gateways fetch the manager's endpoints and route <bucket>.<endpoint> hosts
vh() { curl -s -H "Host: surface-pub.cdn.test" "$endpoint/?list-type=2"; }
expect_match "before add-endpoint, Host surface-pub.cdn.test is not a bucket (anonymous ListBuckets: 403)" \
    'AccessDenied' "$(vh)"
check "cairn-adm add-endpoint cdn.test" cl_adm add-endpoint cdn.test
deadline=$((SECONDS + 15))
until vh | grep -q '<Key>kp</Key>' || [ $SECONDS -ge $deadline ]; do sleep 0.3; done
expect_match "after it, Host surface-pub.cdn.test lists bucket surface-pub (anonymous, public-read)" \
    '<Name>surface-pub</Name>' "$(vh)"
check "cairn-adm delete-endpoint cdn.test" cl_adm delete-endpoint cdn.test
deadline=$((SECONDS + 15))
until vh | grep -q 'AccessDenied' || [ $SECONDS -ge $deadline ]; do sleep 0.3; done
expect_match "after delete-endpoint the host routes by path again" 'AccessDenied' "$(vh)"

# --- 7. the stock boto3 client (s3-compat-tests/boto3_compat.py), when it is installed ------
if python3 -c 'import boto3' 2>/dev/null; then
    out=$(S3_ENDPOINT=$endpoint TMPDIR=$tmp timeout 300 python3 "$src/s3-compat-tests/boto3_compat.py" boto3-compat 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -E '^(ok|FAIL|skip)' | sed 's/^/     boto3: /'
    if [ $rc -eq 0 ]; then t_ok "boto3 compat suite"; else t_bad "boto3 compat suite" "$out"; fi
else
    echo "skip boto3 compat suite (python3 cannot import boto3; add python3-boto3 to CAIRN_TEST_PKGS)"
fi

t_summary
