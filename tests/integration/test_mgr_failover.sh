#!/usr/bin/env bash
# tests/integration/test_mgr_failover.sh BUILD_DIR: the daemons and cairn-adm find the manager
# in a list of addresses (docs/PROTOCOL.md, "Finding the managers"; issue 14) on a real
# cluster (1 manager, 3 storage nodes, 1 gateway) on free loopback ports:
#   - storage0, storage1 and the gateway have [manager] addresses = DEAD, MANAGER (DEAD: a free
#     port nobody listens on) and still register, heartbeat and serve S3; storage2 keeps the
#     config of older releases ([manager] address, one address);
#   - cairn-adm --manager DEAD,MANAGER (and CAIRN_MANAGER, and --config FILE) works; a list of
#     dead managers fails with one line naming each;
#   - cairn-adm follows an HTTP 421 "not the leader" of a stand-in manager to the leader it
#     names (a write is made once), tries the next address after one that names no leader,
#     and gives up when none is ever named;
#   - the data path goes on while the manager is down, and the nodes come back to it.
# The RPC side of "not the leader" is tested in tests/unit/common/test_mgr_client.c (stand-in
# managers on cn_rpc_server) until the managers run Raft.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

ADM_BIN=$build/manager/adm/cairn-adm
standin_pids=()
stop_standins() {
    local p
    for p in "${standin_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    standin_pids=()
}
t_at_exit stop_standins

# The configs: DEAD first for storage0, storage1 and the gateway; the old one-address key
# for storage2.
dead_first() {
    dead=${T_PORTS[0]}
    local f
    for f in storage0 storage1 gateway; do
        sed -i "s/^addresses = .*/addresses = 127.0.0.1:$dead, 127.0.0.1:$CL_MGR_RPC/" \
            "$tmp/conf/cairn-$f.conf"
    done
    sed -i "s/^addresses = .*/address = 127.0.0.1:$CL_MGR_RPC/" "$tmp/conf/cairn-storage2.conf"
}
t_cluster_boot mgrfail 3 --ports 5 --conf dead_first
dead=${T_PORTS[0]}
dead2=${T_PORTS[1]}
mgr=127.0.0.1:$CL_MGR_RPC
admin=127.0.0.1:$CL_MGR_ADMIN
adm() { env -u CAIRN_MANAGER -u CAIRN_TOKEN -u CAIRN_ADM_CONFIG "$ADM_BIN" "$@"; }

# --- configuration -------------------------------------------------------------------------
expect_match "storage0's config lists the dead address first" \
    "^addresses = 127.0.0.1:$dead, $mgr\$" "$(grep '^addresses' "$tmp/conf/cairn-storage0.conf")"
out=$("$build/storage/cairn-storage" -c "$tmp/conf/cairn-storage0.conf" --print-config 2>&1)
expect_match "storage --print-config shows the list" "^addresses = 127.0.0.1:$dead, $mgr\$" "$out"
out=$("$build/storage/cairn-storage" -c "$tmp/conf/cairn-storage2.conf" --print-config 2>&1)
expect_match "the old [manager] address reads as a list of one" "^addresses = $mgr\$" "$out"
expect_eq "... and --print-config does not print the old key" 0 \
    "$(printf '%s\n' "$out" | grep -c '^address =')"
out=$("$build/gateway/cairn-gateway" -c "$tmp/conf/cairn-gateway.conf" --check-config 2>&1)
expect_eq "gateway --check-config accepts the list" 0 $?
out=$("$build/gateway/cairn-gateway" -c "$tmp/conf/cairn-gateway.conf" \
    --set "manager.addresses=$mgr, manager.example:10010" --check-config 2>&1)
rc=$?
expect_eq "a name in the list: --check-config exits 2" 2 $rc
expect_match "... saying which address and why" \
    "manager.addresses: 'manager.example:10010': not an IP address" "$out"
out=$("$build/storage/cairn-storage" -c "$tmp/conf/cairn-storage0.conf" \
    --set "manager.addresses=$mgr," --check-config 2>&1)
rc=$?
expect_eq "an empty item in the list: --check-config exits 2" 2 $rc
expect_match "... saying so" "manager.addresses: an empty item in the list" "$out"

# --- the daemons passed over the dead address ------------------------------------------------
log0=$(cat "$tmp/logs/storage0.log")
expect_match "storage0 tried the dead address, then the manager" \
    "manager=127.0.0.1:$dead rc=ECONNREFUSED[^ ]* .*next manager=$mgr" "$log0"
expect_match "storage0 registered with the manager" "manager=$mgr: registered as storage0" "$log0"
expect_eq "storage0 never called the manager unreachable" 0 \
    "$(grep -c 'manager unreachable' "$tmp/logs/storage0.log")"
expect_match "the gateway registered with the manager" \
    "registered with manager $mgr as gateway gateway0" "$(cat "$tmp/logs/gateway.log")"
expect_match "storage2 (old config) registered" "manager=$mgr: registered as storage2" \
    "$(cat "$tmp/logs/storage2.log")"

# --- S3 through the gateway (a bucket goes through the manager) ------------------------------
expect_eq "CreateBucket (through the manager)" 200 \
    "$(sigv4 -o /dev/null -w '%{http_code}' -X PUT "$endpoint/failover")"
check "the gateway knows the new bucket" t_wait_signed "$endpoint/failover"
printf 'hello through a list of managers' >"$tmp/obj"
expect_eq "PutObject" 200 "$(sigv4 -o /dev/null -w '%{http_code}' -T "$tmp/obj" "$endpoint/failover/k")"
expect_eq "GetObject" "hello through a list of managers" "$(sigv4 "$endpoint/failover/k")"

# --- cairn-adm with a list -------------------------------------------------------------------
out=$(adm --manager "127.0.0.1:$dead,$admin" status 2>&1)
expect_eq "cairn-adm --manager DEAD,MANAGER status exits 0" 0 $?
expect_match "... and shows the cluster" "storage2" "$out"
out=$(CAIRN_MANAGER=" 127.0.0.1:$dead , $admin" "$ADM_BIN" version 2>&1)
expect_match "CAIRN_MANAGER with a list: version names the manager that answered" \
    "\\(at $admin\\)" "$out"
printf '[manager]\nadmin_addresses = 127.0.0.1:%s, %s\n' "$dead" "$admin" >"$tmp/adm.conf"
check "cairn-adm --config FILE get-users" adm --config "$tmp/adm.conf" get-users
out=$(CAIRN_ADM_CONFIG=$tmp/adm.conf env -u CAIRN_MANAGER "$ADM_BIN" version 2>&1)
expect_match "CAIRN_ADM_CONFIG: version names the manager that answered" "\\(at $admin\\)" "$out"
out=$(adm --config "$tmp/adm.conf" --manager "127.0.0.1:$dead2" version 2>&1)
expect_match "--manager wins over the config file" "cannot reach the manager at 127.0.0.1:$dead2 " \
    "$out"
printf '[manager]\nadmin_adresses = x\n' >"$tmp/bad.conf"
out=$(adm --config "$tmp/bad.conf" status 2>&1)
rc=$?
expect_eq "a bad config file: exit 2" 2 $rc
expect_match "... with file:line: key: reason" "bad.conf:2: manager.admin_adresses: unknown key" \
    "$out"
out=$(adm --manager "127.0.0.1:$dead,127.0.0.1:$dead2" status 2>&1)
rc=$?
expect_eq "every manager dead: exit 1" 1 $rc
expect_match "... one line naming each" \
    "^cairn-adm: cannot reach any manager \\(127.0.0.1:$dead: Connection refused; 127.0.0.1:$dead2: Connection refused\\)" \
    "$out"
out=$(adm --manager "$admin,nonsense" status 2>&1)
rc=$?
expect_eq "a bad --manager list: usage error (2)" 2 $rc
expect_match "... saying what is wrong" "^cairn-adm: --manager: 'nonsense': not host:port" "$out"

# --- cairn-adm follows "421 not the leader" ----------------------------------------------------
# standin PORT LEADER: an admin API that answers every request 421 naming LEADER ("" for none),
# counting requests in $tmp/standin-PORT.count. Run it in this shell (not under check, whose
# command substitution would wait for the server's end).
standin() {
    python3 - "$1" "$2" "$tmp/standin-$1.count" >>"$tmp/logs/standin.out" 2>&1 <<'PY' &
import http.server, json, sys
port, leader, count = int(sys.argv[1]), sys.argv[2], sys.argv[3]
open(count, "w").write("0")
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        n = int(open(count).read()) + 1
        open(count, "w").write(str(n))
        body = json.dumps({"error": "this manager is not the leader", "leader": leader}).encode()
        self.send_response(421)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = do_PUT = do_DELETE = answer
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
    standin_pids+=($!)
    local i
    for ((i = 0; i < 50; i++)); do
        curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
        sleep 0.1
    done
    return 1
}
follower=${T_PORTS[2]}
electing=${T_PORTS[3]}
standin "$follower" "$admin" || t_abort "the stand-in follower did not start"
standin "$electing" "" || t_abort "the stand-in electing manager did not start"
echo 0 >"$tmp/standin-$follower.count"

check "create-user through the follower is made on the leader" \
    adm --manager "127.0.0.1:$follower" create-user via-follower
expect_eq "... the follower was asked once" 1 "$(cat "$tmp/standin-$follower.count")"
expect_eq "... and the user exists once" 1 \
    "$(adm --json get-users --manager "$admin" | grep -c '"user": "via-follower"')"
out=$(adm --manager "127.0.0.1:$follower" version 2>&1)
expect_match "version through the follower names the leader" "\\(at $admin\\)" "$out"
start=$SECONDS
out=$(adm --manager "127.0.0.1:$electing,$admin" get-users 2>&1)
expect_eq "no leader named: the next address answers" 0 $?
expect_match "... (get-users)" "via-follower" "$out"
start=$SECONDS
out=$(adm --manager "127.0.0.1:$electing" status 2>&1)
rc=$?
took=$((SECONDS - start))
expect_eq "a leader never named: exit 1" 1 $rc
expect_match "... saying so" "^cairn-adm: this manager is not the leader \\(no leader found in 15 s\\)" \
    "$out"
[ $took -ge 14 ] && [ $took -le 25 ] && t_ok "... after about 15 s (${took} s)" ||
    t_bad "... after about 15 s (took ${took} s)"
stop_standins

# --- no manager: the data path goes on, then the nodes come back -------------------------------
check "stop the manager" cl_stop_one manager
printf 'written while no manager answers' >"$tmp/obj2"
expect_eq "PutObject with the manager down" 200 \
    "$(sigv4 -o /dev/null -w '%{http_code}' -T "$tmp/obj2" "$endpoint/failover/k2")"
expect_eq "GetObject with the manager down" "hello through a list of managers" \
    "$(sigv4 "$endpoint/failover/k")"
sleep 2 # a few heartbeats fail over the two addresses
check "start the manager again" cl_start_one manager
# wait_log FILE REGEX: waits up to 20 s for a line of FILE that matches REGEX.
wait_log() {
    local deadline=$((SECONDS + 20))
    until grep -Eq -- "$2" "$1"; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.2
    done
}
check "storage0 reaches the manager again" wait_log "$tmp/logs/storage0.log" \
    "manager=$mgr: reachable again"
check "every node runs again" cl_wait_running 4 30
expect_eq "storage0 said 'manager unreachable' once for the outage" 1 \
    "$(grep -c 'manager unreachable' "$tmp/logs/storage0.log")"
expect_eq "GetObject of what was written meanwhile" "written while no manager answers" \
    "$(sigv4 "$endpoint/failover/k2")"

t_summary
