#!/usr/bin/env bash
# tests/integration/test_hostile_tls.sh BUILD_DIR: the gateway's HTTPS listener (issue 8).
# A self-signed CA and a server certificate for 127.0.0.1/localhost are made here with
# openssl; the gateway gets [gateway] tls_listen (port 0), tls_cert, tls_key and writes an
# "https 127.0.0.1:PORT" line to its port file. Checked: the aws cli with --no-verify-ssl and
# with AWS_CA_BUNDLE (mb, cp up and down, ls), curl over HTTP/2 (ALPN h2) and HTTP/1.1 with
# the CA, a client that does not trust the certificate is refused, plain HTTP on the TLS port
# and TLS 1.0/1.1 are refused, and the plain HTTP listener keeps working.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=../../scripts/lib/cluster.sh
. "$src/scripts/lib/cluster.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-htls-XXXXXX")
cl_setup "$tmp" "$build"
finish() {
    local rc=$?
    cl_stop
    if [ "$T_FAIL" -ne 0 ] || [ $rc -ne 0 ]; then
        echo "--- logs kept in $tmp/logs; last lines:"
        for f in "$tmp"/logs/*; do echo "== $f"; tail -n 25 "$f"; done
    else
        rm -rf "$tmp"
    fi
}
trap finish EXIT

# --- a CA and a server certificate signed by it ---
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

# shellcheck disable=SC2046
set -- $(cl_free_ports 6)
cl_configure 3 "$1" "$2" "$3" "$4" "$5" "$6"
cat >>"$tmp/conf/cairn-gateway.conf" <<CONF

[gateway]
tls_listen = 127.0.0.1:0
tls_cert = $pki/server.pem
tls_key = $pki/server.key
CONF
cl_load

out=$("$build/gateway/cairn-gateway" -c "$tmp/conf/cairn-gateway.conf" --set gateway.tls_key= --check-config 2>&1)
expect_match "tls_listen without tls_key is a config error" 'tls' "$out"

check "all daemons start" cl_start || t_abort "the cluster did not start"
deadline=$((SECONDS + 20))
until [ "$(cl_adm --json status 2>/dev/null | python3 -c 'import json,sys; print(sum(1 for n in json.load(sys.stdin).get("nodes",[]) if n.get("type")=="storage"))' 2>/dev/null || echo 0)" -ge 3 ]; do
    [ $SECONDS -ge $deadline ] && break
    sleep 0.2
done
check "cairn-adm start builds the first ring" cl_adm start || t_abort "no ring"
check "3 storage nodes and the gateway are running" cl_wait_running 4 30 || t_abort "nodes not running"
expect_match "the port file has an https line" '^https 127\.0\.0\.1:[0-9]+$' "$(cat "$tmp/run/gateway.port")"
tls_port=$(awk '/^https /{print $2}' "$tmp/run/gateway.port" | cut -d: -f2)
https=https://127.0.0.1:$tls_port

user_json=$(cl_adm --json create-user tls)
AK=$(printf '%s' "$user_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_key"])')
SK=$(printf '%s' "$user_json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
sigv4() { curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" "$@"; }
wait_signed_ok() {
    local deadline=$((SECONDS + 20))
    until [ "$(sigv4 --cacert "$pki/ca.pem" -o /dev/null -w '%{http_code}' "$https/")" = 200 ]; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}
check "a signed ListBuckets over HTTPS (curl with the CA)" wait_signed_ok || t_abort "no HTTPS"

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
code=$(curl -s -o /dev/null -w '%{http_code}' "$https/tls-bucket/obj")
expect_eq "curl without the CA does not connect (000)" 000 "$code"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$tls_port/")
expect_match "plain HTTP on the TLS port gets no HTTP answer" '^(000|400)$' "$code"
out=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$tls_port" -tls1_1 2>&1)
expect_match "TLS 1.1 is refused" 'alert|error|no protocols|handshake failure|wrong version' "$out"
code=$(sigv4 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CL_S3/tls-bucket/obj")
expect_eq "the plain HTTP listener still serves" 200 "$code"

t_summary
