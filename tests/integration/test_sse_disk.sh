#!/usr/bin/env bash
# tests/integration/test_sse_disk.sh BUILD_DIR: issue 20's marker test. No plaintext of an
# encrypted object reaches a file the cluster wrote.
# A cluster (1 manager, 3 storage nodes, a gateway with its disk cache on, sse_c_allow_http)
# gets objects whose bodies repeat a marker made for this run (one per mode, every 256 bytes,
# so a leak of a few hundred bytes shows): under SSE-C, SSE-S3, SSE-KMS and the bucket default
# (SSE-S3), plain too (the control),
# 1 MiB and 6 MiB + 12345 bytes (past the 5 MiB chunk and the gateway's 4 MiB body temp
# files), each read back 3 times (MD5 compared) so that caches would fill. Then:
#   - in flight: with the storage nodes stopped (SIGSTOP), a 20 MiB SSE-C PUT is sent (plain,
#     and aws-chunked: decoded in place); once the gateway has the whole body (curl read all
#     of its file, no byte queued on the S3 port), its open unlinked body temp file
#     (/proc/GATEWAY/fd/N, cairn-gw-body.*) must not hold the marker within 10 s (the wipe
#     follows hashing and encryption), nor the SSE-C key; a plain PUT's must hold its marker
#     (the control); after SIGCONT every PUT succeeds;
#   - at rest: grep -a -F -r over the cluster's whole temp dir (containers, indexes, the
#     gateway's tmp_dir and disk cache, logs, configs) finds no mode's marker, nor the SSE-C
#     key (raw or base64). The control: a plain object's marker is found on every storage
#     node and in the disk cache, and the storage nodes hold at least 2 copies' worth of all
#     the bytes written (the encrypted ones were written where the search looks).
# A mode whose PUT answers 501 (SSE-S3 and SSE-KMS until the key service lands) prints "skip"
# lines for its marker; any other failure of its PUT is a FAIL. docs/SECURITY.md ("What the
# marker test proves") says what this covers and what it does not.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

# the client's files (bodies, keys): outside the cluster's dir, which is searched
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-ssedisk-client-XXXXXX")
STOPPED=""
disk_finish() {
    # shellcheck disable=SC2086
    [ -n "$STOPPED" ] && kill -CONT $STOPPED 2>/dev/null
    rm -rf "$work"
}
t_at_exit disk_finish

disk_conf() {
    cat <<CONF | t_conf gateway
[gateway]
sse_c_allow_http = true
# the in-flight check stops storage for a few seconds
rpc_timeout_ms = 30000

[cache]
mem_max_object = 64k
disk_dir = $tmp/data/gwcache
disk_max_object = 64m
CONF
}
t_cluster_boot ssedisk 3 --conf disk_conf --user dana
gw=$(cat "$tmp/run/gateway.pid")

rnd() { head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
declare -A MARK=([C]="cairn-sse-c-$(rnd)" [S3]="cairn-sse-s3-$(rnd)" [KMS]="cairn-sse-kms-$(rnd)"
    [DEF]="cairn-sse-default-$(rnd)" [PLAIN]="cairn-plain-$(rnd)")
declare -A LABEL=([C]=SSE-C [S3]=SSE-S3 [KMS]=SSE-KMS [DEF]="SSE-S3 by the bucket default" [PLAIN]=plain)
# body FILE SIZE MARKER: SIZE bytes, MARKER at every 256 bytes, random bytes between (a
# leak of a few hundred bytes shows)
body() {
    /usr/bin/python3 - "$@" <<'PY'
import os, sys
path, size, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
with open(path, "wb") as f:
    left = size
    while left > 0:
        piece = (marker + os.urandom(256 - len(marker)))[:left]
        f.write(piece)
        left -= len(piece)
PY
}
# aws_chunked IN OUT: OUT is IN framed as an aws-chunked STREAMING-UNSIGNED-PAYLOAD-TRAILER
# body (64 KiB chunks, a CRC32 trailer: what botocore >= 1.36 sends over HTTPS)
aws_chunked() {
    /usr/bin/python3 - "$@" <<'PY'
import base64, sys, zlib
data = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "wb") as f:
    for i in range(0, len(data), 65536):
        p = data[i:i + 65536]
        f.write(b"%x\r\n" % len(p) + p + b"\r\n")
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big"))
    f.write(b"0\r\nx-amz-checksum-crc32:" + crc + b"\r\n\r\n")
PY
}
md5() { md5sum <"$1" | cut -d' ' -f1; }
SMALL=$((1024 * 1024))
BIG=$((6 * 1024 * 1024 + 12345))
INFLIGHT=$((20 * 1024 * 1024))

# the SSE-C key: 32 random bytes without a newline or NUL (grep -f reads it as one pattern)
until head -c 32 /dev/urandom >"$work/key" && [ "$(tr -d '\n\0' <"$work/key" | wc -c)" = 32 ]; do :; done
KEY_B64=$(base64 -w0 <"$work/key")
KEY_MD5=$(openssl md5 -binary <"$work/key" | base64 -w0)
SSEC=(-H "x-amz-server-side-encryption-customer-algorithm: AES256"
    -H "x-amz-server-side-encryption-customer-key: $KEY_B64"
    -H "x-amz-server-side-encryption-customer-key-md5: $KEY_MD5")
KMS_NAME=ssedisk-key
KMS_KEY=$KMS_NAME # the key id of SSE-KMS's PUTs
# hdrs MODE: sets H, the headers of MODE's PUT (and GET for C)
hdrs() {
    case $1 in
        C) H=("${SSEC[@]}") ;;
        S3) H=(-H "x-amz-server-side-encryption: AES256") ;;
        KMS) H=(-H "x-amz-server-side-encryption: aws:kms") ;;
        *) H=() ;;
    esac
    [ "$1" = KMS ] && [ -n "$KMS_KEY" ] && H+=(-H "x-amz-server-side-encryption-aws-kms-key-id: $KMS_KEY")
    return 0
}

check "create bucket ssedisk" sigv4 -f -X PUT "$endpoint/ssedisk"
check "create bucket ssedisk-default" sigv4 -f -X PUT "$endpoint/ssedisk-default"
conf='<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>'
check "ssedisk-default: PutBucketEncryption AES256" sigv4 -f -X PUT --data-binary "$conf" \
    -H "Content-MD5: $(printf '%s' "$conf" | openssl md5 -binary | base64)" \
    "$endpoint/ssedisk-default?encryption"
if ! cl_adm kms-create-key "$KMS_NAME" >"$work/kms.out" 2>&1; then
    KMS_KEY="" # aws:kms without a key id (the built-in key); judged by the PUT below
fi

# ---- the objects: put, then read 3 times -------------------------------------------------
declare -A WROTE=() # mode -> 1 once its objects were written
OBJS=()             # "MODE BUCKET KEY FILE" of every object written
ENC_BYTES=0         # the plaintext bytes written encrypted
PLAIN_BYTES=0       # ... and not
# put_mode MODE BUCKET: MODE's objects (1 MiB, 6 MiB + 12345) with MARK[MODE]
put_mode() {
    local m=$1 bkt=$2 n code what
    hdrs "$m"
    for n in $SMALL $BIG; do
        body "$work/$m.$n" "$n" "${MARK[$m]}"
        code=$(sigv4 -o "$work/put.out" -w '%{http_code}' -T "$work/$m.$n" "${H[@]}" \
            "$endpoint/$bkt/$m/$n")
        what="${LABEL[$m]}: PUT of $n bytes with its marker"
        if [ "$code" = 501 ] && [ "$m" != C ] && [ "$m" != PLAIN ]; then
            echo "skip $what: 501 NotImplemented (no key service yet); its marker is not searched"
            return 1
        fi
        expect_eq "$what" 200 "$code" || return 1
        if [ "$m" = PLAIN ]; then PLAIN_BYTES=$((PLAIN_BYTES + n)); else ENC_BYTES=$((ENC_BYTES + n)); fi
        OBJS+=("$m $bkt $m/$n $work/$m.$n")
    done
    if [ "$m" = KMS ] && [ -z "$KMS_KEY" ]; then
        t_bad "cairn-adm kms-create-key $KMS_NAME (aws:kms works, the key command does not)" "$(cat "$work/kms.out")"
    fi
    WROTE[$m]=1
}
put_mode PLAIN ssedisk
put_mode C ssedisk
put_mode S3 ssedisk
put_mode KMS ssedisk
put_mode DEF ssedisk-default

# ---- in flight: the body temp file while storage is stopped --------------------------------
# body_fd: the gateway's open, unlinked request-body temp file (/proc/PID/fd/N), if any
body_fd() {
    local f
    for f in /proc/"$gw"/fd/*; do
        case $(readlink "$f" 2>/dev/null) in
            */cairn-gw-body.*" (deleted)") echo "$f"; return 0 ;;
        esac
    done
    return 1
}
# arrived CURL_PID: that curl has read all of $work/inflight and no byte waits between it and
# the gateway (either way on the S3 port): the gateway holds the whole body. With the storage
# nodes stopped, the request can go no further than the gateway.
arrived() {
    local f pos
    for f in /proc/"$1"/fd/*; do
        [ "$(readlink "$f" 2>/dev/null)" = "$work/inflight" ] || continue
        pos=$(awk '$1 == "pos:" { print $2 }' "/proc/$1/fdinfo/${f##*/}" 2>/dev/null)
        [ "$pos" = "$(stat -c %s "$work/inflight")" ] || return 1
        [ "$(ss -tnH state established "( sport = :$CL_S3 or dport = :$CL_S3 )" |
            awk '{ s += $1 + $2 } END { print s + 0 }')" = 0 ]
        return
    done
    return 1
}
# inflight NAME MARKER WANT CURL_ARGS...: with the storage nodes stopped, PUT
# $work/inflight (20 MiB of MARKER) with CURL_ARGS; once the gateway has the whole body, its
# body temp file must hold MARKER (WANT=found) or not (WANT=absent), polled for up to 10 s
# (the wipe follows the body's hashing and encryption); then storage goes on and the PUT
# must succeed.
inflight() {
    local name=$1 marker=$2 want=$3 cpid fd seen="" had="" size=0 rc deadline i keyseen=""
    shift 3
    STOPPED=$(for i in 0 1 2; do cat "$tmp/run/storage$i.pid"; done | tr '\n' ' ')
    # shellcheck disable=SC2086
    kill -STOP $STOPPED
    # curl itself (not sigv4, a function): $! is its PID, for arrived
    curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" -o "$work/inflight.out" \
        -w '%{http_code}' -T "$work/inflight" "$@" >"$work/inflight.code" &
    cpid=$!
    deadline=$((SECONDS + 10))
    until [ -n "$had" ] || [ $SECONDS -ge $deadline ]; do
        arrived "$cpid" && had=1
        sleep 0.05
    done
    while [ -n "$had" ] && [ $SECONDS -lt $deadline ]; do
        if fd=$(body_fd); then
            size=$(stat -L -c %s "$fd" 2>/dev/null || echo 0)
            LC_ALL=C grep -a -F -q -- "$marker" "$fd" 2>/dev/null
            rc=$?
            case $rc in 0) seen=found ;; 1) seen=absent ;; *) seen="unreadable (grep exit $rc)" ;; esac
            if [ "$seen" = "$want" ]; then
                # an SSE-C request's key (its header) must not be in the file either
                [ "$want" = absent ] && keyseen=$(LC_ALL=C grep -a -F -c -- "$KEY_B64" "$fd" 2>&1)
                break
            fi
        else
            seen="no body temp file"
        fi
        sleep 0.1
    done
    # shellcheck disable=SC2086
    kill -CONT $STOPPED
    STOPPED=""
    wait "$cpid"
    expect_eq "$name: the gateway had the whole body, in a deleted cairn-gw-body.* file of >= 20 MiB" \
        "1 1" "${had:-0} $([ "$size" -ge $INFLIGHT ] && echo 1 || echo 0)"
    expect_eq "$name: the marker in its body temp file (/proc/$gw/fd/N)" "$want" "${seen:-never looked}"
    [ "$want" = absent ] &&
        expect_eq "$name: the SSE-C key (base64) in its body temp file" 0 "${keyseen:-never looked}"
    expect_eq "$name: the PUT succeeds once storage goes on" 200 "$(cat "$work/inflight.code")"
}
body "$work/PLAIN.inflight" $INFLIGHT "${MARK[PLAIN]}"
cp "$work/PLAIN.inflight" "$work/inflight"
inflight "in flight, plain (the control)" "${MARK[PLAIN]}" found "$endpoint/ssedisk/PLAIN/inflight"
OBJS+=("PLAIN ssedisk PLAIN/inflight $work/PLAIN.inflight")
PLAIN_BYTES=$((PLAIN_BYTES + INFLIGHT))
body "$work/C.inflight" $INFLIGHT "${MARK[C]}"
cp "$work/C.inflight" "$work/inflight"
inflight "in flight, SSE-C" "${MARK[C]}" absent "${SSEC[@]}" "$endpoint/ssedisk/C/inflight"
OBJS+=("C ssedisk C/inflight $work/C.inflight")
# aws-chunked: decoded in place, the framing's length of plaintext was left at the end
aws_chunked "$work/C.inflight" "$work/inflight"
inflight "in flight, SSE-C with an aws-chunked body" "${MARK[C]}" absent "${SSEC[@]}" \
    -H "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER" -H "Content-Encoding: aws-chunked" \
    -H "x-amz-decoded-content-length: $INFLIGHT" -H "x-amz-trailer: x-amz-checksum-crc32" \
    "$endpoint/ssedisk/C/inflight-chunked"
OBJS+=("C ssedisk C/inflight-chunked $work/C.inflight")
ENC_BYTES=$((ENC_BYTES + 2 * INFLIGHT))

# ---- read everything back, 3 times (caches fill) ----------------------------------------
for o in "${OBJS[@]}"; do
    read -r m bkt k f <<<"$o"
    H=()
    [ "$m" = C ] && H=("${SSEC[@]}") # only SSE-C's reads carry a key
    good=0
    for i in 1 2 3; do
        rm -f "$work/got"
        sigv4 -o "$work/got" "${H[@]}" "$endpoint/$bkt/$k"
        [ "$(md5 "$work/got")" = "$(md5 "$f")" ] && good=$((good + 1))
    done
    expect_eq "${LABEL[$m]}: $bkt/$k read back 3 times, byte for byte" 3 "$good"
done

# ---- at rest: every file under the cluster's dir ----------------------------------------
# found MARKER [DIR...]: the files under DIR (default: the whole cluster dir) holding MARKER
found() {
    local marker=$1
    shift
    LC_ALL=C grep -a -F -r -l -- "$marker" "${@:-$tmp}" 2>/dev/null
}
# found_soon DIR: found MARK[PLAIN] under DIR within 10 s (the disk cache writes behind the
# response; a third copy may still be on its way)
found_soon() {
    local deadline=$((SECONDS + 10)) out
    until out=$(found "${MARK[PLAIN]}" "$1") && [ -n "$out" ]; do
        [ $SECONDS -ge $deadline ] && break
        sleep 0.5
    done
    printf '%s' "$out"
}
expect_match "the control: the plain marker is in the gateway's disk cache" . "$(found_soon "$tmp/data/gwcache")"
for i in 0 1 2; do
    expect_match "the control: the plain marker is on storage$i" . "$(found_soon "$tmp/data/storage$i")"
done
stored=$(du -sb "$tmp"/data/storage* | awk '{ s += $1 } END { print s + 0 }')
# 2: the write quorum (the third copy may still be on its way)
expect_eq "the storage nodes hold 2 copies of every object or more: $ENC_BYTES bytes encrypted, $PLAIN_BYTES plain ($stored in all)" \
    1 "$([ "$stored" -ge $((2 * (ENC_BYTES + PLAIN_BYTES))) ] && echo 1 || echo 0)"
for m in C S3 KMS DEF; do
    if [ -z "${WROTE[$m]:-}" ]; then
        echo "skip ${LABEL[$m]}: its marker is not searched (its PUT answered 501)"
        continue
    fi
    expect_eq "${LABEL[$m]}: its marker is in no file of the cluster (grep -a -F -r $tmp)" "" "$(found "${MARK[$m]}")"
done
expect_eq "the SSE-C key is in no file (raw)" "" "$(LC_ALL=C grep -a -F -r -l -f "$work/key" "$tmp" 2>/dev/null)"
expect_eq "the SSE-C key is in no file (base64)" "" "$(found "$KEY_B64")"
t_summary
