#!/usr/bin/env bash
# tests/integration/test_dashboard.sh BUILD_DIR: the manager's web dashboard in headless
# Chromium. Starts cairn-manager (free ports, temp dir) with 4 stand-in storage nodes that
# register and heartbeat over the real RPC (tests/dashboard/fake_nodes), starts the ring,
# then loads the page with --dump-dom and checks that the DOM shows the 4 nodes, the ring's
# arcs in every node's colour, the replicas of a searched key (#key=...) and the request-rate
# chart; a node reporting a stale ring checksum must show in red. Screenshots go to
# BUILD_DIR/test-output/dashboard/: dashboard.png (--screenshot) and dashboard-live.png
# (through chromedriver, after some seconds of real time so that the chart has data).
# Installs Debian's chromium and chromium-driver (CAIRN_DASHBOARD_PKGS) when missing.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
# shellcheck source=../../scripts/lib/deps.sh
. "$src/scripts/lib/deps.sh"

MGR_BIN=$build/manager/cairn-manager
ADM_BIN=$build/manager/adm/cairn-adm
FAKE_BIN=$build/tests/dashboard/fake_nodes
out=$build/test-output/dashboard
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-dash-XXXXXX")
SECRET=dashboard-secret
MGR_PID=
FAKE_PID=
DRIVER_PID=
LOAD_PID=

finish() {
    local rc=$?
    for p in $LOAD_PID $DRIVER_PID $FAKE_PID $MGR_PID; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    cl_release_ports
    if [ "$T_FAIL" -ne 0 ] || [ $rc -ne 0 ]; then
        echo "--- files kept in $tmp; manager log:"
        tail -n 20 "$tmp/manager.log" 2>/dev/null
    else
        rm -rf "$tmp"
    fi
}
trap finish EXIT
mkdir -p "$out"

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    # shellcheck disable=SC2086
    cairn_deps_install $CAIRN_DASHBOARD_PKGS >"$tmp/apt.log" 2>&1
fi
if ! command -v chromium >/dev/null; then
    t_bad "chromium is installed (apt: $CAIRN_DASHBOARD_PKGS)" "$(tail -n 5 "$tmp/apt.log")"
    t_summary
    exit 1
fi

cat >"$tmp/manager.conf" <<EOF
[manager]
rpc_listen = 127.0.0.1:0
admin_listen = 127.0.0.1:0
raft_listen = 127.0.0.1:0
data_dir = $tmp/data
[cluster]
secret = $SECRET
heartbeat_ms = 200
node_timeout_ms = 5000
[log]
file = $tmp/manager.log
[admin]
dashboard_dir = $src/manager/dashboard
EOF

"$MGR_BIN" -c "$tmp/manager.conf" --port-file "$tmp/ports" >"$tmp/manager.out" 2>&1 &
MGR_PID=$!
deadline=$((SECONDS + 10))
until [ -s "$tmp/ports" ] || [ $SECONDS -ge $deadline ]; do sleep 0.05; done
RPC=$(awk '/^rpc /{print $2}' "$tmp/ports")
ADM=$(awk '/^admin /{print $2}' "$tmp/ports")
if [ -z "$ADM" ]; then
    t_bad "manager starts" "$(cat "$tmp/manager.out")"
    t_summary
    exit 1
fi
t_ok "manager starts"
URL="http://$ADM/"

start_fakes() {
    "$FAKE_BIN" --rpc "$RPC" --secret "$SECRET" --count 4 --interval-ms 150 "$@" \
        >"$tmp/fake.out" 2>&1 &
    FAKE_PID=$!
}
stop_fakes() { kill "$FAKE_PID" && wait "$FAKE_PID"; FAKE_PID=; }
adm() { "$ADM_BIN" --manager "$ADM" "$@"; }
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.1
    done
}
synced() {
    adm --json status 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
cur = d["manager"]["ring_cur"]
ok = len(d["nodes"]) == 4 and cur != "0" * 16
sys.exit(0 if ok and all(n["state"] == "running" and n["ring_cur"] == cur for n in d["nodes"]) else 1)'
}

start_fakes
check "4 storage nodes register" wait_for 10 sh -c "'$ADM_BIN' --manager $ADM --json status | grep -c '\"type\": \"storage\"' | grep -qx 4"
check "cairn-adm start" adm start
check "the 4 nodes run with the manager's ring" wait_for 10 synced

chrome() {
    timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run \
        --user-data-dir="$(mktemp -d "$tmp/profile-XXXXXX")" --virtual-time-budget=5000 "$@" \
        2>>"$tmp/chromium.err"
}

# dom_check FILE: prints what the DOM shows, one fact per line.
dom_facts() {
    python3 - "$1" <<'EOF'
import re, sys
dom = open(sys.argv[1]).read()
rows = re.findall(r'<tr data-node="([^"]+)" class="node-row[^"]*"', dom)
print("storage_rows", len([r for r in rows if r.startswith("storage")]))
arcs = re.findall(r'<path d="[^"]+" class="arc" data-node="([^"]+)"', dom)
print("arcs", len(arcs))
print("arc_nodes", len(set(arcs)))
print("legend", len(re.findall(r'<li data-node="storage\d"', dom)) +
      len(re.findall(r'<li data-node="storage\d" class="replica-hit"', dom)) * 0)
print("replicas", len(re.findall(r'<li class="replica" data-node="storage\d"', dom)))
print("marker", int('id="key-marker"' in dom))
print("chart", len(re.findall(r'<polyline[^>]*class="series-(?:http|rpc)"', dom)))
print("error_hidden", int(re.search(r'id="error" class="error" hidden', dom) is not None))
m = re.findall(r'<tr data-node="(storage\d)" class="node-row[^"]*">(?:(?!</tr>).)*?class="sum mismatch"', dom)
print("mismatch", ",".join(sorted(set(m))) or "none")
EOF
}
fact() { printf '%s\n' "$facts" | awk -v k="$1" '$1 == k { print $2 }'; }

chrome --dump-dom "${URL}#key=photos/cat.jpg" >"$out/dom.html"
facts=$(dom_facts "$out/dom.html")
expect_eq "the page shows the 4 storage nodes" 4 "$(fact storage_rows)"
arcs=$(fact arcs)
[ "${arcs:-0}" -ge 4 ] && t_ok "the ring is drawn ($arcs arcs)" || t_bad "the ring is drawn" "$facts"
expect_eq "every node has arcs in the ring" 4 "$(fact arc_nodes)"
expect_eq "the legend lists the 4 nodes" 4 "$(fact legend)"
expect_eq "the searched key shows its 3 replicas" 3 "$(fact replicas)"
expect_eq "the key is marked on the ring" 1 "$(fact marker)"
expect_eq "the request-rate chart has its two lines" 2 "$(fact chart)"
expect_eq "no error is shown" 1 "$(fact error_hidden)"
expect_eq "no checksum is shown in red" none "$(fact mismatch)"

rm -f "$out/dashboard.png"
chrome --window-size=1280,880 --hide-scrollbars --screenshot="$out/dashboard.png" \
    "${URL}#key=photos/cat.jpg" >/dev/null
check "a screenshot is saved" test -s "$out/dashboard.png"
expect_eq "the screenshot is a PNG" "89504e47" "$(head -c 4 "$out/dashboard.png" | od -An -tx1 | tr -d ' \n')"

# a node that holds another ring shows its checksum in red
stop_fakes
start_fakes --stale storage2
check "storage2 reports a stale checksum" wait_for 10 sh -c "'$ADM_BIN' --manager $ADM status storage2 | grep -Eq 'ring checksum ok +\| no'"
chrome --dump-dom "$URL" >"$out/dom-stale.html"
facts=$(dom_facts "$out/dom-stale.html")
expect_eq "a stale ring checksum is shown in red" storage2 "$(fact mismatch)"
stop_fakes
start_fakes
check "back in sync" wait_for 10 synced

# a live screenshot through chromedriver: real time passes, so the chart has data
if command -v chromedriver >/dev/null; then
    dport=$(cl_free_ports 1)
    chromedriver --port="$dport" >"$tmp/chromedriver.log" 2>&1 &
    DRIVER_PID=$!
    (while :; do adm status >/dev/null 2>&1; sleep 0.1; done) &
    LOAD_PID=$!
    res=$(python3 - "$dport" "${URL}#key=photos/cat.jpg" "$out/dashboard-live.png" "$tmp" <<'EOF'
import base64, json, sys, time, urllib.request
port, url, png, tmp = sys.argv[1:]
base = "http://127.0.0.1:%s" % port
def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)["value"]
for _ in range(100):
    try:
        call("GET", "/status"); break
    except Exception:
        time.sleep(0.1)
args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--window-size=1280,880", "--hide-scrollbars", "--user-data-dir=%s/live-profile" % tmp]
sess = call("POST", "/session", {"capabilities": {"alwaysMatch": {
    "browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}})
sid = sess["sessionId"]
try:
    call("POST", "/session/%s/url" % sid, {"url": url})
    n = 0
    for _ in range(100):
        n = call("POST", "/session/%s/execute/sync" % sid, {"script":
            "return document.querySelectorAll('#nodes tr[data-node^=storage]').length", "args": []})
        if n == 4:
            break
        time.sleep(0.1)
    time.sleep(12)
    pts = call("POST", "/session/%s/execute/sync" % sid, {"script":
        "return document.querySelector('#rate-chart polyline.series-http').getAttribute('points').split(' ').length", "args": []})
    open(png, "wb").write(base64.b64decode(call("GET", "/session/%s/screenshot" % sid)))
    print(n, pts)
finally:
    call("DELETE", "/session/%s" % sid)
EOF
)
    kill "$LOAD_PID" 2>/dev/null; wait "$LOAD_PID" 2>/dev/null; LOAD_PID=
    kill "$DRIVER_PID" 2>/dev/null; wait "$DRIVER_PID" 2>/dev/null; DRIVER_PID=
    expect_eq "chromedriver: the live page shows the 4 nodes" 4 "${res%% *}"
    pts=${res##* }
    [ "${pts:-0}" -ge 4 ] 2>/dev/null && t_ok "chromedriver: the live chart has $pts points" \
        || t_bad "chromedriver: the live chart has points" "$res"
    check "chromedriver: a live screenshot is saved" test -s "$out/dashboard-live.png"
else
    t_bad "chromedriver is installed (apt: chromium-driver)"
fi
echo "screenshots: $out/dashboard.png $out/dashboard-live.png"

t_summary
