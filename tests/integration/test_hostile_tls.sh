#!/usr/bin/env bash
# tests/integration/test_hostile_tls.sh BUILD_DIR: the gateway's HTTPS listener (issue 8).
# A self-signed CA and a server certificate for 127.0.0.1/localhost are made here with
# openssl; the gateway gets [gateway] tls_listen (port 0), tls_cert, tls_key and writes an
# "https 127.0.0.1:PORT" line to its port file. Checked: the aws cli with --no-verify-ssl and
# with AWS_CA_BUNDLE (mb, cp up and down, ls), curl over HTTP/2 (ALPN h2) and HTTP/1.1 with
# the CA, a client that does not trust the certificate is refused, plain HTTP on the TLS port
# and TLS 1.0/1.1 are refused, and the plain HTTP listener keeps working. The REST listener
# over HTTPS only (rest_tls_listen, rest_listen empty; "rest-https" port line): curl -T and GET
# back with the CA, a cipher outside tls_ciphers refused. SIGHUP with a new certificate in the
# same files: both TLS ports serve it (serial, subject); SIGHUP with a broken file: the log says
# why and the previous certificate is still served.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

# tls_conf: a CA and a server certificate signed by it, for the gateway's TLS listener.
tls_conf() {
    pki=$tmp/pki
    mkdir -p "$pki"
    (
        cd "$pki" &&
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cairn test CA" \
            -keyout ca.key -out ca.pem &&
        openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr &&
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >ext.cnf &&
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
            -extfile ext.cnf -out server.pem
    ) >"$tmp/pki.log" 2>&1
    check "openssl makes a CA and a server certificate" test -s "$pki/server.pem" ||
        t_abort "no certificate: $(tail -n 5 "$tmp/pki.log")"
    t_conf gateway <<CONF
[gateway]
tls_listen = 127.0.0.1:0
tls_cert = $pki/server.pem
tls_key = $pki/server.key
rest_enabled = true
rest_listen =
rest_tls_listen = 127.0.0.1:0
CONF
    local out
    out=$("$build/gateway/cairn-gateway" -c "$tmp/conf/cairn-gateway.conf" --set gateway.tls_key= --check-config 2>&1)
    expect_match "tls_listen without tls_key is a config error" 'tls' "$out"
}
t_cluster_boot htls 3 --conf tls_conf --user tls
expect_match "the port file has an https line" '^https 127\.0\.0\.1:[0-9]+$' "$(cat "$tmp/run/gateway.port")"
tls_port=$(awk '/^https /{print $2}' "$tmp/run/gateway.port" | cut -d: -f2)
https=https://127.0.0.1:$tls_port
check "a signed ListBuckets over HTTPS (curl with the CA)" t_wait_signed "$https/" --cacert "$pki/ca.pem" ||
    t_abort "no HTTPS"

head -c 3000000 /dev/urandom >"$tmp/obj"
s3k() { aws --endpoint-url "$https" --no-verify-ssl "$@" 2>&1 | grep -v -i 'InsecureRequestWarning\|warnings.warn\|urllib3'; return "${PIPESTATUS[0]}"; }
check "aws s3 mb over HTTPS (--no-verify-ssl)" s3k s3 mb s3://tls-bucket
check "aws s3 cp up over HTTPS (--no-verify-ssl)" s3k s3 cp "$tmp/obj" s3://tls-bucket/obj
check "aws s3 cp up over HTTPS (AWS_CA_BUNDLE)" env AWS_CA_BUNDLE="$pki/ca.pem" aws --endpoint-url "$https" s3 cp "$tmp/obj" s3://tls-bucket/obj2
check "aws s3 cp down over HTTPS (AWS_CA_BUNDLE)" env AWS_CA_BUNDLE="$pki/ca.pem" aws --endpoint-url "$https" s3 cp s3://tls-bucket/obj "$tmp/obj.back"
check "... byte-identical" cmp "$tmp/obj" "$tmp/obj.back"
ls_out=$(AWS_CA_BUNDLE="$pki/ca.pem" aws --endpoint-url "$https" s3 ls s3://tls-bucket/ 2>&1)
expect_match "aws s3 ls over HTTPS lists both objects" 'obj2' "$ls_out"
out=$(aws --endpoint-url "$https" s3 ls s3://tls-bucket/ 2>&1)
expect_match "the aws cli without the CA refuses the self-signed certificate" 'SSL|certificate|CERTIFICATE' "$out"

ver=$(sigv4 --cacert "$pki/ca.pem" --http2 -o /dev/null -w '%{http_version}' "$https/tls-bucket/obj")
expect_eq "curl negotiates HTTP/2 through ALPN" 2 "$ver"
got=$(sigv4 --cacert "$pki/ca.pem" --http2 "$https/tls-bucket/obj" | cmp - "$tmp/obj" && echo same)
expect_eq "an HTTP/2 GET over TLS returns the object" same "$got"
ver=$(sigv4 --cacert "$pki/ca.pem" --http1.1 -o /dev/null -w '%{http_version}' "$https/tls-bucket/obj")
expect_eq "HTTP/1.1 over TLS works too" 1.1 "$ver"
# tls_only WHAT PORT PATH: curl without the CA does not connect; plain HTTP gets no HTTP answer.
tls_only() {
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' "https://127.0.0.1:$2$3")
    expect_eq "$1: curl without the CA does not connect (000)" 000 "$code"
    code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$2$3")
    expect_match "$1: plain HTTP on the TLS port gets no HTTP answer" '^(000|400)$' "$code"
}
tls_only "S3" "$tls_port" /tls-bucket/obj
out=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$tls_port" -tls1_1 2>&1)
expect_match "TLS 1.1 is refused" 'alert|error|no protocols|handshake failure|wrong version' "$out"
code=$(sigv4 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CL_S3/tls-bucket/obj")
expect_eq "the plain HTTP listener still serves" 200 "$code"

# --- REST over HTTPS (rest_tls_listen, the same certificate; rest_listen empty: no plain REST)
expect_match "the port file has a rest-https line" '^rest-https 127\.0\.0\.1:[0-9]+$' "$(cat "$tmp/run/gateway.port")"
expect_eq "... and no plain rest line (rest_listen empty)" 0 "$(grep -c '^rest ' "$tmp/run/gateway.port")"
rest_port=$(awk '/^rest-https /{print $2}' "$tmp/run/gateway.port" | cut -d: -f2)
rests=https://127.0.0.1:$rest_port
code=$(curl -s --cacert "$pki/ca.pem" -T "$tmp/obj" -o /dev/null -w '%{http_code}' "$rests/tls-bucket/rest-obj")
expect_eq "curl -T over HTTPS to the REST listener (loopback trusted)" 200 "$code"
got=$(curl -s --cacert "$pki/ca.pem" "$rests/tls-bucket/rest-obj" | cmp - "$tmp/obj" && echo same)
expect_eq "a REST GET over HTTPS returns the same bytes" same "$got"
tls_only "REST" "$rest_port" /tls-bucket/rest-obj
out=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$rest_port" -tls1_2 2>&1)
expect_match "TLS 1.2 negotiates an ECDHE AEAD cipher (tls_ciphers)" 'Cipher is ECDHE-RSA-(AES[0-9]+-GCM|CHACHA20)' "$out"
out=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$rest_port" -tls1_2 -cipher AES128-SHA 2>&1)
expect_match "a TLS 1.2 cipher outside tls_ciphers (AES128-SHA) is refused" 'no peer certificate available|alert|handshake failure' "$out"
out=$("$build/gateway/cairn-gateway" -c "$tmp/conf/cairn-gateway.conf" --set gateway.tls_min_version=1.1 --check-config 2>&1)
expect_match "tls_min_version 1.1 is a config error" 'tls_min_version' "$out"

# --- SIGHUP reloads tls_cert/tls_key; a broken file keeps the old certificate ---
served_cert() { echo | timeout 10 openssl s_client -connect "127.0.0.1:$1" 2>/dev/null | openssl x509 -noout -serial -subject 2>/dev/null; }
(
    cd "$pki" &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=cairn reloaded" -keyout new.key -out new.csr &&
    openssl x509 -req -in new.csr -CA ca.pem -CAkey ca.key -set_serial 0x5EED1234 -days 2 \
        -extfile ext.cnf -out new.pem
) >>"$tmp/pki.log" 2>&1
expect_match "before SIGHUP the first certificate is served" 'CN *= *127\.0\.0\.1' "$(served_cert "$rest_port")"
cp "$pki/new.pem" "$pki/server.pem" && cp "$pki/new.key" "$pki/server.key"
gw_pid=$(cat "$tmp/run/gateway.pid")
kill -HUP "$gw_pid"
# within SECS CMD...: retries CMD every 0.2 s until it succeeds or SECS have passed.
within() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do [ $SECONDS -ge $deadline ] && return 1; sleep 0.2; done
}
serves_new() { served_cert "$1" | grep -q 'serial=5EED1234'; }
check "after SIGHUP the REST TLS port serves the new certificate (serial 5EED1234)" within 10 serves_new "$rest_port"
expect_match "... and so does the S3 TLS port" 'serial=5EED1234.*CN *= *cairn reloaded' "$(served_cert "$tls_port" | tr '\n' ' ')"
got=$(curl -s --cacert "$pki/ca.pem" "$rests/tls-bucket/rest-obj" | cmp - "$tmp/obj" && echo same)
expect_eq "a REST GET over HTTPS with the new certificate" same "$got"
expect_match "the log names the reloaded certificate" 'tls: reloaded .*CN ?= ?cairn reloaded.*serial=5EED1234' "$(cat "$tmp/logs/gateway.log")"
echo 'not a certificate' >"$pki/server.pem"
kill -HUP "$gw_pid"
check "SIGHUP with a broken certificate: the log says the reload failed" \
    within 10 grep -q 'reload of .* failed: still serving the old certificate' "$tmp/logs/gateway.log"
expect_match "... and why (OpenSSL's error on the file)" "tls: certificate $pki/server.pem: .*(PEM|no start line)" "$(cat "$tmp/logs/gateway.log")"
expect_match "... the old (reloaded) certificate is still served" 'serial=5EED1234' "$(served_cert "$rest_port")"
got=$(curl -s --cacert "$pki/ca.pem" "$rests/tls-bucket/rest-obj" | cmp - "$tmp/obj" && echo same)
expect_eq "... and REST over HTTPS still works" same "$got"
code=$(sigv4 --cacert "$pki/ca.pem" -o /dev/null -w '%{http_code}' "$https/tls-bucket/obj")
expect_eq "... and so does S3 over HTTPS" 200 "$code"

t_summary
