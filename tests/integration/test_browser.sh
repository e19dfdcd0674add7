#!/usr/bin/env bash
# tests/integration/test_browser.sh BUILD_DIR: browser uploads and CORS (issue 17) in a real
# browser, Debian's headless Chromium (--no-sandbox: it runs as root in CI) driven through
# chromedriver's WebDriver HTTP API, on a whole cluster (1 manager, 3 storage nodes, 1
# gateway). A page served from another origin on loopback (python3 -m http.server on a port
# of its own: http://127.0.0.1:WEB, the gateway being http://127.0.0.1:S3) holds what a web
# application's server would give it: a SigV4-signed POST policy and boto3's presigned URLs
# (browser.py computes them, drives the browser and prints what the page's DOM and boto3 show;
# each fact is an expect_eq here). The page:
#   a. uploads a file (a real one on disk, put in the file input by chromedriver) with an
#      HTML <form method=post enctype=multipart/form-data> posted into an iframe; the gateway
#      answers 303 to success_action_redirect, done.html on the page's own origin, with
#      ?bucket=&key=&etag=; the object is then read with boto3 (bytes, type, x-amz-meta-from);
#      then the same kind of form with fetch() and FormData, success_action_status 201, whose
#      XML answer and ETag the page reads cross-origin;
#   b. with the bucket's CORS allowing its origin (PUT, GET, POST, every header, ETag and
#      x-amz-meta-from exposed, MaxAgeSeconds 60): PUTs text with fetch() to a presigned PUT
#      URL (a preflighted request: it sends x-amz-meta-from), reads it back with fetch() from
#      a presigned GET URL, reads the exposed ETag and x-amz-meta-from (and not the unexposed
#      x-amz-request-id), and reads the status of a 404 (CORS headers on errors too);
#   c. with the CORS rules changed to another origin: the PUT's preflight is refused (403),
#      so fetch() fails ("blocked", TypeError: Failed to fetch) and the object is never
#      written; the GET is answered but unreadable: blocked too;
#   d. with the CORS configuration deleted (GetBucketCors: NoSuchCORSConfiguration): the same.
# The page's fetch() calls bypass Chromium's HTTP cache (cache: 'no-store'): what is checked
# is the gateway's answers. A screenshot of the page after b. goes to
# BUILD_DIR/test-output/browser/page.png. Run: tests/integration/run BUILD_DIR test_browser.
# Installs Debian's chromium and chromium-driver (CAIRN_DASHBOARD_PKGS) when missing.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=../../scripts/lib/deps.sh
. "$src/scripts/lib/deps.sh"

WEB_PID=
DRIVER_PID=
stop_browser() {
    local p
    # chromedriver's own children (a Chromium it could not close), then chromedriver
    if [ -n "$DRIVER_PID" ]; then
        for p in $(pgrep -P "$DRIVER_PID" 2>/dev/null); do kill "$p" 2>/dev/null; done
    fi
    for p in $DRIVER_PID $WEB_PID; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    DRIVER_PID=''
    WEB_PID=''
}
t_at_exit stop_browser

# ports: the page's web server, chromedriver
t_cluster_boot browser 3 --ports 2 --user alice

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    # shellcheck disable=SC2086
    cairn_deps_install $CAIRN_DASHBOARD_PKGS >"$tmp/logs/apt.log" 2>&1
fi
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    t_abort "chromium and chromedriver are installed (apt: $CAIRN_DASHBOARD_PKGS)"
fi

web_port=${T_PORTS[0]}
driver_port=${T_PORTS[1]}
web=http://127.0.0.1:$web_port
out=$build/test-output/browser
mkdir -p "$tmp/www" "$out"
rm -f "$out/page.png"
/usr/bin/python3 -m http.server "$web_port" --bind 127.0.0.1 --directory "$tmp/www" \
    >"$tmp/logs/web.log" 2>&1 &
WEB_PID=$!
chromedriver --port="$driver_port" >"$tmp/logs/chromedriver.log" 2>&1 &
DRIVER_PID=$!
web_up() { curl -s -o /dev/null "$web/"; }
wait_up() {
    local deadline=$((SECONDS + 10))
    until "$@"; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.1
    done
}
check "the page's web server answers on another origin ($web)" wait_up web_up ||
    t_abort "no web server for the page"

facts=$(env CAIRN_EP="$endpoint" CAIRN_AK="$AK" CAIRN_SK="$SK" CAIRN_WEB="$web" \
    CAIRN_WWW="$tmp/www" CAIRN_DRIVER="$driver_port" CAIRN_FILES="$tmp/files" \
    CAIRN_PROFILE="$tmp/profile" CAIRN_OUT="$out" timeout 300 /usr/bin/python3 "$here/browser.py" 2>"$tmp/logs/browser.err")
rc=$?
stop_browser
[ $rc -eq 0 ] || t_bad "browser.py exited $rc" "$(cat "$tmp/logs/browser.err")"
fact() { printf '%s\n' "$facts" | sed -n "s/^fact $1 //p"; }

expect_eq "CreateBucket (boto3)" created "$(fact bucket)"
expect_eq "PutBucketCors: the page's origin, GET PUT POST (boto3)" ok "$(fact put_cors)"
expect_eq "GetBucketCors gives the rule back" "$web GET,PUT,POST ETag,x-amz-meta-from" "$(fact get_cors)"
expect_eq "the page is on its own origin" "$web" "$(fact page_origin)"

# a. the HTML form
expect_eq "form: chromedriver put the file in the file input" form-upload.txt "$(fact form_filename)"
expect_eq "form: the POST is answered 303 to success_action_redirect, on the page's origin" \
    "$web/done.html" "$(fact form_landed)"
expect_eq "form: done.html shows the redirect's query in its DOM" 1 "$(fact form_done_query_in_dom)"
expect_eq "form: the redirect names the bucket" browser-uploads "$(fact form_bucket)"
expect_eq "form: the redirect names the key (\${filename} replaced)" browser/form-upload.txt "$(fact form_key)"
expect_eq "form: the redirect's etag is the file's quoted MD5" 1 "$(fact form_etag_want)"
expect_eq "form: boto3 reads back the file's bytes" same "$(fact form_object_bytes)"
expect_eq "form: the object has the form's Content-Type and x-amz-meta-from" "308 text/plain form" \
    "$(fact form_object_head)"
expect_eq "fetch() POST form: 201 (success_action_status), readable cross-origin" 201 "$(fact fetchpost_status)"
expect_eq "fetch() POST form: the XML answer names the key" 1 "$(fact fetchpost_key)"
expect_eq "fetch() POST form: the exposed ETag is the MD5" 1 "$(fact fetchpost_etag)"
expect_eq "fetch() POST form: the object (boto3)" "16 text/plain form" "$(fact fetchpost_head)"

# b. fetch() with presigned URLs, the origin allowed
expect_eq "fetch() PUT to a presigned URL (preflighted) answers 200" 200 "$(fact allowed_put_status)"
expect_eq "fetch() GET from a presigned URL answers 200" 200 "$(fact allowed_get_status)"
expect_eq "fetch() GET reads back the text PUT" 1 "$(fact allowed_text_same)"
expect_eq "fetch() reads the exposed ETag, the text's MD5" 1 "$(fact allowed_etag_md5)"
expect_eq "fetch() reads the exposed x-amz-meta-from" fetch "$(fact allowed_get_meta)"
expect_eq "fetch() cannot read the unexposed x-amz-request-id" None "$(fact allowed_get_request_id)"
expect_eq "fetch() reads the status of a 404 (CORS headers on errors)" 404 "$(fact allowed_missing_status)"
expect_eq "fetch() PUT: the exposed ETag is the GET's" 1 "$(fact allowed_put_etag_same)"
expect_eq "the object PUT by fetch(): its size, Content-Type, x-amz-meta-from (boto3)" \
    "39 text/plain fetch" "$(fact allowed_head)"

# c. another origin allowed
expect_eq "PutBucketCors: another origin only" ok "$(fact put_cors_other)"
expect_eq "a preflight from the page's origin is refused: 403, no Allow-Origin" "403 None" "$(fact other_preflight)"
expect_eq "origin not allowed: fetch() PUT is blocked" blocked "$(fact other_put_status)"
expect_eq "origin not allowed: the blocked PUT wrote nothing" error:404 "$(fact other_object)"
expect_eq "origin not allowed: a GET is answered without Access-Control-Allow-Origin" "200 None" \
    "$(fact other_get_acao)"
expect_eq "origin not allowed: fetch() GET is blocked" blocked "$(fact other_get_status)"

# d. no CORS configuration
expect_eq "DeleteBucketCors" ok "$(fact delete_cors)"
expect_eq "GetBucketCors after the delete: NoSuchCORSConfiguration" error:NoSuchCORSConfiguration "$(fact get_cors_deleted)"
expect_eq "no CORS: a preflight is refused: 403" "403 None" "$(fact none_preflight)"
expect_eq "no CORS: fetch() PUT is blocked" blocked "$(fact none_put_status)"
expect_eq "no CORS: the blocked PUT wrote nothing" error:404 "$(fact none_object)"
expect_eq "no CORS: a GET is answered without Access-Control-Allow-Origin" "200 None" "$(fact none_get_acao)"
expect_eq "no CORS: fetch() GET is blocked" blocked "$(fact none_get_status)"
expect_eq "browser.py saw no driver error" "" "$(fact driver)"
check "a screenshot of the page is saved ($out/page.png)" test -s "$out/page.png"

t_summary
