#!/usr/bin/env bash
# tests/integration/test_adm.sh BUILD_DIR: every cairn-adm command against a running
# cairn-manager (free ports, temp dir) with 4 stand-in storage nodes and a gateway that
# register and heartbeat over the real RPC (tests/dashboard/fake_nodes), including the
# failure paths: unknown node/user/bucket, bad arguments (exit 2 with the usage), the
# manager down, ring checksums that disagree, the admin token from a non-loopback address,
# the audit log (no secrets in it), /metrics as Prometheus text, backup and restore, and a
# restart that keeps what was set.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

ADM_BIN=$build/manager/adm/cairn-adm
MGR_BIN=$build/manager/cairn-manager
FAKE_BIN=$build/tests/dashboard/fake_nodes
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-adm-XXXXXX")
MGR_PID=
FAKE_PID=
SECRET=adm-test-secret
TOKEN=adm-test-token-0123456789

finish() {
    local rc=$?
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
    [ -n "$MGR_PID" ] && kill "$MGR_PID" 2>/dev/null && wait "$MGR_PID" 2>/dev/null
    if [ "$T_FAIL" -ne 0 ] || [ $rc -ne 0 ]; then
        echo "--- files kept in $tmp; manager log:"
        tail -n 30 "$tmp/manager.log" 2>/dev/null
    else
        rm -rf "$tmp"
    fi
}
trap finish EXIT

cat >"$tmp/manager.conf" <<EOF
[manager]
rpc_listen = 127.0.0.1:0
admin_listen = 0.0.0.0:0
raft_listen = 127.0.0.1:0
data_dir = $tmp/data
[cluster]
secret = $SECRET
heartbeat_ms = 200
node_timeout_ms = 5000
[log]
level = debug
file = $tmp/manager.log
[admin]
token = $TOKEN
EOF

start_manager() {
    rm -f "$tmp/ports"
    "$MGR_BIN" -c "$tmp/manager.conf" --port-file "$tmp/ports" "$@" >>"$tmp/manager.out" 2>&1 &
    MGR_PID=$!
    local deadline=$((SECONDS + 10))
    until [ -s "$tmp/ports" ]; do
        [ $SECONDS -ge $deadline ] && return 1
        kill -0 "$MGR_PID" 2>/dev/null || return 1
        sleep 0.05
    done
    RPC=$(awk '/^rpc /{print $2}' "$tmp/ports")
    ADMIN_PORT=$(awk '/^admin /{print $2}' "$tmp/ports")
    ADMIN_PORT=${ADMIN_PORT##*:}
    ADM=127.0.0.1:$ADMIN_PORT
}

stop_manager() {
    kill "$MGR_PID" && wait "$MGR_PID"
    local rc=$?
    MGR_PID=
    return $rc
}

# step NAME CMD...: like check, but runs CMD in this shell (it starts or stops daemons).
step() {
    local name=$1
    shift
    if "$@"; then t_ok "$name"; else t_bad "$name"; fi
}

start_fakes() {
    "$FAKE_BIN" --rpc "$RPC" --secret "$SECRET" --count 4 --gateway gw0 --interval-ms 150 "$@" \
        >"$tmp/fake.out" 2>&1 &
    FAKE_PID=$!
}

stop_fakes() {
    kill "$FAKE_PID" && wait "$FAKE_PID"
    FAKE_PID=
}

adm() { env -u CAIRN_TOKEN -u CAIRN_MANAGER "$ADM_BIN" --manager "$ADM" "$@"; }

# run NAME WANT_RC REGEX ARGS...: cairn-adm ARGS exits WANT_RC and its output matches REGEX.
run() {
    local name=$1 want=$2 re=$3 out rc
    shift 3
    out=$(adm "$@" 2>&1)
    rc=$?
    if [ "$rc" != "$want" ]; then
        t_bad "$name" "exit $rc, want $want: $out"
    elif [ -n "$re" ] && ! printf '%s' "$out" | grep -Eq -- "$re"; then
        t_bad "$name" "no match for /$re/ in: $out"
    else
        t_ok "$name"
    fi
}

json() { adm --json "$@" 2>/dev/null; }
py() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" 2>/dev/null; }

# wait_for SECONDS CMD...: polls CMD until it succeeds.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.1
    done
}

all_in_sync() {
    json status | py "all(n['state'] in ('running','suspend','detached') and n['ring_cur']==d['manager']['ring_cur'] for n in d['nodes']) and len(d['nodes'])==5 and d['manager']['ring_cur']!='0'*16" | grep -q True
}

step "manager starts" start_manager || exit 1
start_fakes
check "4 storage nodes and a gateway register" wait_for 10 \
    sh -c "'$ADM_BIN' --manager $ADM --json status | grep -c '\"type\": \"storage\"' | grep -qx 4"

# ---- usage errors and help ----------------------------------------------------------------
run "no command: exit 2" 2 "usage: cairn-adm"
run "unknown command: exit 2" 2 "unknown command 'frobnicate'" frobnicate
run "whereis without a key: exit 2 with its usage" 2 "usage: .*whereis BUCKET/KEY" whereis
run "whereis with a bad key: exit 2" 2 "BUCKET/KEY" whereis nokeyhere
run "update-consistency-level with words: exit 2" 2 "usage: .*W R D" update-consistency-level a b c
run "set-bucket-quota with a bad size: exit 2" 2 "bad size" set-bucket-quota photos lots
run "help whereis prints its usage" 0 "whereis BUCKET/KEY" help whereis
run "help lists every command" 0 "restore-manager FILE" help
run "help of an unknown command: exit 2" 2 "unknown command" help nope

# ---- manager down -------------------------------------------------------------------------
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
out=$("$ADM_BIN" --manager 127.0.0.1:"$closed" status 2>&1); rc=$?
expect_eq "manager down: exit 1" 1 "$rc"
expect_match "manager down: one line that says so" "^cairn-adm: cannot reach the manager at 127.0.0.1:$closed \(Connection refused\)" "$out"
expect_eq "manager down: exactly one line" 1 "$(printf '%s\n' "$out" | wc -l)"

# ---- version, start, status ---------------------------------------------------------------
run "version shows both versions" 0 "cairn-manager [0-9]+\.[0-9]+" version
run "whereis before start: no ring" 1 "not started" whereis photos/cat.jpg
run "dump-ring before start: no ring" 1 "not started" dump-ring
run "start builds the first ring" 0 "OK: cluster started, ring [0-9a-f]{16} with 4 storage" start
run "start again: 409" 1 "already started" start
check "every node runs with the manager's ring checksum" wait_for 10 all_in_sync
run "status shows every node" 0 "storage3 +\| running" status
run "status NODE shows its registration and checksums" 0 "ring checksum ok +\| yes" status storage1
run "status NODE shows its last heartbeat" 0 "last heartbeat +\| 20[0-9]{2}-" status storage1
run "status manager" 0 "consistency +\| N=3 W=2 R=1 D=2" status manager
run "status of an unknown node: exit 1" 1 "^cairn-adm: no node named 'nope'" status nope

# ---- whereis and dump-ring ----------------------------------------------------------------
run "whereis lists N=3 replicas, primary first" 0 "1 \| storage[0-3] .*primary" whereis photos/cat.jpg
n=$(json whereis photos/cat.jpg | py "len(set(r['node'] for r in d['replicas']))")
expect_eq "whereis: 3 distinct nodes" 3 "$n"
run "dump-ring prints the members and the checksum" 0 "ring checksum \(cur\)  : [0-9a-f]{16}" dump-ring
arcs=$(json dump-ring | py "sum(a['end']-a['start'] for a in d['arcs'])==d['partitions'] and len(d['members'])==4")
expect_eq "dump-ring --json: the arcs cover the ring" True "$arcs"

# ---- consistency, log level ---------------------------------------------------------------
run "update-consistency-level 3 2 2" 0 "OK: N=3 W=3 R=2 D=2" update-consistency-level 3 2 2
run "update-consistency-level above N: exit 1" 1 "w must be 1..N" update-consistency-level 4 1 1
expect_eq "status shows the new W" 3 "$(json status | py "d['consistency']['w']")"
run "update-log-level manager debug" 0 "OK: manager logs at debug" update-log-level manager debug
run "update-log-level of a stand-in storage node that cannot answer" 1 "storage0" update-log-level storage0 info
run "update-log-level of an unknown node" 1 "no node named" update-log-level nope info
run "update-log-level with a bad level" 1 "bad level" update-log-level manager loud

# ---- users --------------------------------------------------------------------------------
out=$(json create-user alice)
AK_ALICE=$(printf '%s' "$out" | py "d['access_key']")
SK_ALICE=$(printf '%s' "$out" | py "d['secret']")
expect_match "create-user prints keys" '^[A-Z0-9]{20} [A-Za-z0-9/+]{40}$' "$AK_ALICE $SK_ALICE"
run "create-user with a password" 0 "secret-access-key: " create-user bob bobs-password-1
run "create-user again: exit 1" 1 "user alice exists" create-user alice
run "create-user with a bad name" 1 "bad user name" create-user 'no/slash'
run "create-user with a short password" 1 "password must have" create-user carl short
run "import-user" 0 "^OK" import-user carol AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
run "import-user with a taken access key" 1 "belongs to another user" import-user dave AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
run "import-user with a bad secret" 1 "bad keys" import-user dave AKIAIOSFODNN7EXAMPLF short
run "get-users lists all three" 0 "carol +\| normal +\| AKIAIOSFODNN7EXAMPLE" get-users
run "get-users shows who has a password" 0 "bob +\| normal +\| [A-Z0-9]{20} +\| Active +\| yes" get-users
run "update-user-role alice admin" 0 "^OK" update-user-role alice admin
run "get-users shows the role" 0 "alice +\| admin" get-users
run "update-user-role with a bad role" 1 "bad role" update-user-role alice root
run "update-user-role of an unknown user" 1 "no user named 'zed'" update-user-role zed admin
run "update-user-password" 0 "^OK" update-user-password alice new-password-1
run "update-user-password too short" 1 "characters" update-user-password alice x
run "update-user-password of an unknown user" 1 "no user named" update-user-password zed long-enough-1
run "delete-user of an unknown user" 1 "no user named 'zed'" delete-user zed

# ---- endpoints ----------------------------------------------------------------------------
run "add-endpoint" 0 "^OK" add-endpoint S3.Example.COM
run "add-endpoint again (any case): exit 1" 1 "exists" add-endpoint s3.example.com
run "add-endpoint with a bad name" 1 "bad endpoint" add-endpoint bad_name.example
run "get-endpoints" 0 "s3.example.com" get-endpoints
run "delete-endpoint of an unknown one" 1 "no endpoint" delete-endpoint nope.example
run "add-endpoint another" 0 "^OK" add-endpoint cdn.example.net
run "delete-endpoint" 0 "^OK" delete-endpoint cdn.example.net

# ---- buckets ------------------------------------------------------------------------------
AK_BOB=$(json get-users | py "[u['access_key'] for u in d if u['user']=='bob'][0]")
run "add-bucket" 0 "^OK" add-bucket photos "$AK_ALICE"
run "add-bucket taken: exit 1" 1 "exists \(owner $AK_ALICE\)" add-bucket photos "$AK_BOB"
run "add-bucket for an unknown key" 1 "no user has access key" add-bucket other NOSUCHKEY00000000000
run "get-bucket" 0 "owner user +\| alice" get-bucket photos
run "get-bucket unknown" 1 "no bucket named 'nope'" get-bucket nope
run "update-acl" 0 "^OK" update-acl photos public-read
run "update-acl leofs order with the owner" 0 "^OK" update-acl photos "$AK_ALICE" authenticated-read
run "update-acl leofs order with another key: exit 1" 1 "owned by $AK_ALICE" update-acl photos "$AK_BOB" private
run "update-acl with a bad acl" 1 "bad acl" update-acl photos everyone
run "set-bucket-quota 10g" 0 "^OK" set-bucket-quota photos 10g
run "get-bucket shows the quota" 0 "quota \(bytes\) +\| 10737418240" get-bucket photos
run "set-bucket-quota of an unknown bucket" 1 "no bucket named" set-bucket-quota nope 1m
run "chown-bucket to bob" 0 "^OK" chown-bucket photos "$AK_BOB"
run "chown-bucket to an unknown key" 1 "no user has access key" chown-bucket photos NOSUCHKEY00000000000
run "get-buckets" 0 "photos +\| $AK_BOB +\| authenticated-read +\| 10737418240" get-buckets
run "delete-user bob who owns a bucket: exit 1" 1 "still owns buckets" delete-user bob
run "add-bucket to delete" 0 "^OK" add-bucket scratch "$AK_ALICE"
run "delete-bucket with the wrong owner" 1 "owned by" delete-bucket scratch "$AK_BOB"
run "delete-bucket" 0 "^OK" delete-bucket scratch "$AK_ALICE"
run "delete-bucket unknown" 1 "no bucket named" delete-bucket scratch

# ---- member states ------------------------------------------------------------------------
run "suspend" 0 "OK: storage1 is suspend" suspend storage1
run "suspend again: exit 1" 1 "only a running node" suspend storage1
check "a suspended node stays suspended through heartbeats" sh -c "sleep 0.5; '$ADM_BIN' --manager $ADM status storage1 | grep -Eq 'state +\| suspend'"
run "resume" 0 "OK: storage1 is running" resume storage1
run "resume a running node: exit 1" 1 "only a suspended node" resume storage1
# ---- cluster operations: refusals and failure paths (the stand-in nodes answer no storage RPC)
run "rebalance with nothing to change: refused" 1 "nothing to rebalance" rebalance
run "rollback without a rebalance: refused" 1 "nothing to roll back" rollback
run "rebalance status: idle" 0 "state: idle" rebalance status
run "rebalance with a bad argument: usage" 2 "usage: cairn-adm .*rebalance" rebalance now
run "mq-stats of an unknown node" 1 "no storage node named 'nope'" mq-stats nope
run "mq-stats of a gateway" 1 "no storage node named 'gw0'" mq-stats gw0
run "mq-stats of a node that does not answer: one line" 1 "^cairn-adm: storage1 \(127.0.0.1:[0-9]+\) did not answer" mq-stats storage1
run "mq-suspend without a node: usage" 2 "mq-suspend NODE" mq-suspend
run "compact-start with a bad count: usage" 2 "positive count" compact-start storage1 zero
run "compact-status of a node that does not answer" 1 "did not answer" compact-status storage1
run "diagnose-start of an unknown node" 1 "no storage node named" diagnose-start nope
run "recover-file without BUCKET/: usage" 2 "BUCKET/KEY" recover-file nokey
run "recover-file: no node answers" 1 "no storage node answered" recover-file photos/cat.jpg
run "recover-node of an unknown node" 1 "no storage node named" recover-node nope
run "recover-node: no other node starts the scan" 1 "no other storage node started the scan" recover-node storage1
run "recover-disk needs a disk: usage" 2 "recover-disk NODE DISK" recover-disk storage1
run "recover-consistency of a node that does not answer" 1 "did not answer" recover-consistency storage1
run "recover-ring" 0 "storage1 fetches the rings again" recover-ring storage1
check "recover-ring: storage1 fetches the ring again and agrees" wait_for 10 all_in_sync
run "whereis lists each owner's copy (here: the error)" 0 "copies:" whereis photos/cat.jpg
run "help recover-disk" 0 "recover-disk NODE DISK" help recover-disk
run "detach a gateway: exit 1" 1 "gw0 is a gateway" detach gw0
run "detach an unknown node" 1 "no node named" detach nope
run "detach storage3" 0 "OK: storage3 is detached" detach storage3
run "detach another would leave fewer than N" 1 "fewer than the 3 replicas" detach storage2
stop_fakes
start_fakes --stale storage0
check "storage0 now reports a stale ring checksum" wait_for 10 sh -c "'$ADM_BIN' --manager $ADM status storage0 | grep -Eq 'ring checksum ok +\| no'"
run "suspend while checksums disagree: refused" 1 "ring checksums disagree \(storage0 holds 00000000bad0bad0" suspend storage1
run "resume while checksums disagree: refused" 1 "ring checksums disagree" resume storage1
stop_fakes
start_fakes
check "checksums agree again" wait_for 10 all_in_sync
run "suspend works again" 0 "is suspend" suspend storage2
run "resume" 0 "is running" resume storage2

# ---- token and audit ----------------------------------------------------------------------
ext=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.' | grep -v '^127\.' | head -n1)
if [ -n "$ext" ]; then
    out=$(env -u CAIRN_TOKEN "$ADM_BIN" --manager "$ext:$ADMIN_PORT" status 2>&1); rc=$?
    expect_eq "from $ext without a token: exit 1" 1 "$rc"
    expect_match "from $ext without a token: 401 says why" "missing credentials" "$out"
    out=$(env -u CAIRN_TOKEN "$ADM_BIN" --manager "$ext:$ADMIN_PORT" --token wrong status 2>&1); rc=$?
    expect_eq "from $ext with a wrong token: exit 1" 1 "$rc"
    check "from $ext with --token" "$ADM_BIN" --manager "$ext:$ADMIN_PORT" --token "$TOKEN" status
    check "from $ext with CAIRN_TOKEN" env CAIRN_TOKEN="$TOKEN" "$ADM_BIN" --manager "$ext:$ADMIN_PORT" get-users
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://$ext:$ADMIN_PORT/health")
    expect_eq "from $ext: /health needs no token" 200 "$code"
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://$ext:$ADMIN_PORT/metrics")
    expect_eq "from $ext: /metrics needs the token" 401 "$code"
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"endpoint":"x.example"}' "http://$ext:$ADMIN_PORT/v1/endpoints")
    expect_eq "from $ext: a change without the token is refused" 401 "$code"
else
    t_ok "no non-loopback address here: remote token checks skipped"
fi
audit="$tmp/data/audit.log"
check "the audit log exists" test -s "$audit"
res=$(python3 - "$audit" "$SK_ALICE" bobs-password-1 new-password-1 <<'EOF'
import json, sys
path, *secrets = sys.argv[1:]
lines = open(path).read().splitlines()
recs = [json.loads(l) for l in lines]
assert all(set(r) == {"time", "peer", "method", "path", "status", "object"} for r in recs), "fields"
text = open(path).read()
assert not any(s in text for s in secrets), "a secret is in the audit log"
ok = any(r["path"] == "/v1/users" and r["status"] == 201 and r["object"]["user"] == "alice" for r in recs)
acl = any(r["path"] == "/v1/buckets/photos/acl" and r["object"].get("acl") == "public-read" for r in recs)
denied = any(r["status"] == 409 and r["path"].endswith("/suspend") for r in recs)
remote = any(r["status"] == 401 and not r["peer"].startswith("127.") for r in recs)
print(len(recs) > 40 and ok and acl and denied, remote)
EOF
)
expect_eq "audit: one JSON line per change, with refusals, and no secret" True "${res%% *}"
[ -n "$ext" ] && expect_eq "audit: the refused remote change is there with its peer" True "${res##* }"

# ---- metrics ------------------------------------------------------------------------------
metrics_ok() {
    curl -s "http://$ADM/metrics" | python3 -c '
import re, sys
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
lab = r"[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\n]|\\[\\\"n])*\""
sample = re.compile(r"^(%s)(\{%s(?:,%s)*\})? (-?[0-9.e+-]+|\+Inf|-Inf|NaN)$" % (name, lab, lab))
types = {}
vals = {}
for line in sys.stdin.read().splitlines():
    if line.startswith("# HELP "): continue
    m = re.match(r"^# TYPE (%s) (counter|gauge|histogram)$" % name, line)
    if m: types[m.group(1)] = m.group(2); continue
    m = sample.match(line)
    assert m, "bad line: " + line
    base = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
    assert m.group(1) in types or base in types, "no TYPE for " + line
    vals[m.group(1) + (m.group(2) or "")] = float(m.group(3))
print(int(sum(v for k, v in vals.items() if k.startswith("cairn_manager_rpc_requests_total{op=\"heartbeat\""))),
      vals.get("cairn_manager_members{type=\"storage\",state=\"running\"}", -1),
      vals.get("cairn_manager_members{type=\"storage\",state=\"detached\"}", -1),
      int(sum(v for k, v in vals.items() if k.startswith("cairn_manager_http_requests_total"))),
      any(k.startswith("cairn_manager_ring_info{ring_cur=\"") for k in vals))
'
}
m1=$(metrics_ok); rc=$?
expect_eq "/metrics parses as Prometheus text" 0 "$rc"
set -- $m1
expect_eq "metrics: 3 running and 1 detached storage node" "3.0 1.0" "$2 $3"
expect_eq "metrics: ring checksums as labels" True "$5"
sleep 0.5
set -- $(metrics_ok)
[ "${1:-0}" -gt "$(echo "$m1" | cut -d' ' -f1)" ] && t_ok "metrics: heartbeat counter moves" || t_bad "metrics: heartbeat counter moves" "$m1 -> $*"

# ---- backup and restore -------------------------------------------------------------------
run "backup-manager" 0 "OK: [0-9]+ records written" backup-manager "$tmp/backup.json"
expect_eq "the backup file is private" 600 "$(stat -c %a "$tmp/backup.json")"
run "backup-manager to a bad path" 1 "cannot write" backup-manager /nonexistent/dir/b.json
run "delete-user carol (after the backup)" 0 "^OK" delete-user carol
run "add-endpoint after the backup" 0 "^OK" add-endpoint later.example
run "restore-manager" 0 "OK: restored [0-9]+ records \(5 members, 3 users, 1 buckets\)" restore-manager "$tmp/backup.json"
run "carol is back" 0 "carol" get-users
out=$(adm get-endpoints)
expect_eq "the later endpoint is gone" "" "$(printf '%s' "$out" | grep later.example)"
echo '{"format":"something-else"}' >"$tmp/bad.json"
run "restore-manager of a bad file: exit 1, nothing changed" 1 "not a cairn-manager backup" restore-manager "$tmp/bad.json"
run "restore-manager of a missing file" 1 "cannot open" restore-manager "$tmp/none.json"
run "state intact after a refused restore" 0 "carol" get-users
check "nodes still in sync after the restore" wait_for 10 all_in_sync

# ---- restart keeps everything -------------------------------------------------------------
step "manager stops cleanly on SIGTERM" stop_manager
step "manager restarts" start_manager
stop_fakes
start_fakes
check "nodes come back in sync" wait_for 10 all_in_sync
expect_eq "consistency levels survive a restart" "3 2 2" "$(json status | py "'%d %d %d' % (d['consistency']['w'], d['consistency']['r'], d['consistency']['d'])")"
run "endpoints survive a restart" 0 "s3.example.com" get-endpoints
run "quota survives a restart" 0 "10737418240" get-bucket photos
run "detached survives a restart" 0 "state +\| detached" status storage3
stop_fakes

# ---- the token on loopback ----------------------------------------------------------------
stop_manager
step "manager starts with require_token_on_loopback" start_manager --set admin.require_token_on_loopback=true
run "loopback without the token: 401" 1 "missing credentials" get-users
check "loopback with the token" env CAIRN_TOKEN="$TOKEN" "$ADM_BIN" --manager "$ADM" get-users
stop_manager
out=$("$MGR_BIN" -c "$tmp/manager.conf" --set admin.token= --set admin.require_token_on_loopback=true --check-config 2>&1); rc=$?
expect_eq "require_token_on_loopback without a token: config error" 2 "$rc"
expect_match "the error names the key" "admin.require_token_on_loopback" "$out"

t_summary
