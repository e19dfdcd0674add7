#!/usr/bin/env bash
# tests/fuzz/tools/capture.sh BUILD_DIR OUT_DIR: records real traffic for the fuzz seed corpora.
# Starts a cluster (1 manager, 3 storage nodes, 1 gateway) on free loopback ports, with a
# logging proxy in front of the gateway's S3 port (requests of the aws cli and curl) and one
# in front of the manager's RPC port (hello, register, heartbeat, get_ring frames of every
# node), runs a few S3 operations through the proxy, stops everything it started (by PID) and
# leaves OUT_DIR/http/req-* and OUT_DIR/rpc/conn-*-{c2s,s2c}. Pick seeds from there by hand.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
build=$(cd "${1:?usage: capture.sh BUILD_DIR OUT_DIR}" && pwd)
out=${2:?usage: capture.sh BUILD_DIR OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# shellcheck source=../../../scripts/lib/cluster.sh
. "$src/scripts/lib/cluster.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-capture-XXXXXX")
pids=()
finish() {
    cl_stop
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    cl_release_ports
    rm -rf "$tmp"
}
trap finish EXIT
cl_setup "$tmp" "$build"
# shellcheck disable=SC2046
set -- $(cl_free_ports 6)
cl_configure 3 "$1" "$2" "$3" "$4" "$5" "$6"
cl_load

wait_file() { local i; for ((i = 0; i < 100; i++)); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }
python3 "$here/capture_proxy.py" raw "$tmp/rpcproxy.port" "$CL_MGR_RPC" "$out/rpc" &
pids+=($!)
python3 "$here/capture_proxy.py" http "$tmp/httpproxy.port" "$CL_S3" "$out/http" &
pids+=($!)
wait_file "$tmp/rpcproxy.port" && wait_file "$tmp/httpproxy.port" || { echo "proxies did not start" >&2; exit 1; }
rpcp=$(cat "$tmp/rpcproxy.port")
httpp=$(cat "$tmp/httpproxy.port")
# the nodes reach the manager through the proxy
sed -i "s/^addresses = 127.0.0.1:$CL_MGR_RPC\$/addresses = 127.0.0.1:$rpcp/" "$tmp"/conf/cairn-storage*.conf \
    "$tmp"/conf/cairn-gateway.conf

cl_start || exit 1
for ((i = 0; i < 100; i++)); do cl_adm start >/dev/null 2>&1 && break; sleep 0.2; done
cl_wait_running 4 30 || { echo "cluster not running" >&2; exit 1; }
user=$(cl_adm --json create-user fuzzseed)
AK=$(printf '%s' "$user" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_key"])')
SK=$(printf '%s' "$user" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
echo "access key $AK secret $SK" >"$out/credentials"
export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
ep=http://127.0.0.1:$httpp
s3() { aws --endpoint-url "$ep" "$@" >/dev/null 2>&1; }
printf 'hello cairn\n' >"$tmp/small.txt"
head -c 300000 /dev/urandom >"$tmp/mid.bin"
s3 s3 mb s3://seed-bucket
s3 s3 cp "$tmp/small.txt" "s3://seed-bucket/dir/sub/small file+1.txt"
s3 s3 cp "$tmp/mid.bin" s3://seed-bucket/mid.bin --metadata color=blue,shape=round --content-type application/x-seed
s3 s3 ls s3://seed-bucket/dir/
s3 s3 ls --recursive s3://seed-bucket/
s3 s3api list-objects-v2 --bucket seed-bucket --prefix dir/ --delimiter / --max-keys 2
s3 s3api list-objects --bucket seed-bucket --marker dir
s3 s3api head-object --bucket seed-bucket --key mid.bin
s3 s3api get-object --bucket seed-bucket --key mid.bin --range bytes=100-199 "$tmp/r.out"
s3 s3api get-object --bucket seed-bucket --key mid.bin --if-none-match '"x"' "$tmp/r.out"
s3 s3api get-bucket-location --bucket seed-bucket
s3 s3api get-bucket-acl --bucket seed-bucket
s3 s3api put-object-acl --bucket seed-bucket --key mid.bin --acl public-read
s3 s3api delete-objects --bucket seed-bucket --delete 'Objects=[{Key=a},{Key=dir/b}],Quiet=true'
up=$(aws --endpoint-url "$ep" s3api create-multipart-upload --bucket seed-bucket --key mp.bin --query UploadId --output text 2>/dev/null)
if [ -n "$up" ]; then
    et=$(aws --endpoint-url "$ep" s3api upload-part --bucket seed-bucket --key mp.bin --part-number 1 --upload-id "$up" --body "$tmp/small.txt" --query ETag --output text 2>/dev/null)
    s3 s3api list-parts --bucket seed-bucket --key mp.bin --upload-id "$up"
    s3 s3api complete-multipart-upload --bucket seed-bucket --key mp.bin --upload-id "$up" --multipart-upload "Parts=[{ETag=$et,PartNumber=1}]"
fi
aws --endpoint-url "$ep" s3 presign s3://seed-bucket/mid.bin >"$tmp/presigned" 2>/dev/null &&
    curl -s -o /dev/null "$(cat "$tmp/presigned")"
curl -s -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" "$ep/seed-bucket/dir/sub/small%20file%2B1.txt"
curl -s -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" -T "$tmp/small.txt" "$ep/seed-bucket/curl.txt"
curl -s -o /dev/null "$ep/seed-bucket/anonymous?acl"
s3 s3 rm s3://seed-bucket/mid.bin
sleep 1
echo "captured $(ls "$out/http" | wc -l) requests and $(ls "$out/rpc" | wc -l) RPC streams in $out"
