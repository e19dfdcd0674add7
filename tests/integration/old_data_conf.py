#!/usr/bin/python3
"""tests/integration/old_data_conf.py DIR PORT...: moves an unpacked old-data fixture's
configs (DIR/conf/*.conf, DIR/conf/cluster.env) to DIR and to new ports, for
test_old_data.sh.

The configs are the ones the old daemons ran with (scripts/make-old-data-fixture); the node
names and the cluster secret stay as they are. Two things change:
  - paths: every value starting with the fixture's old root (manifest.json "root") starts
    with DIR instead; so does the managers' [manager] sse_master_key_file (fixtures from
    issue 20 on: DIR/conf/sse-master.key, the master key of their SSE-S3 and SSE-KMS
    objects), which must then name a file;
  - ports: every non-zero port of a host:port value (the *_listen keys, [manager] address
    and each item of a [manager] addresses list) is mapped to one of the free PORTs given, the same old port to the same new
    one everywhere (so the storage nodes and the gateway find the manager). Port 0 stays 0.
cluster.env (scripts/lib/cluster.sh) gets the new ports, also in CL_MGR_ADMINS (the managers'
admin addresses cl_adm uses, in fixtures made since issue 14). Prints "OLD NEW" per port
moved.
Exits 2 when fewer PORTs are given than the configs use (the first line of stderr says how
many are needed), 3 when a moved sse_master_key_file names no file.
"""
import glob
import json
import os
import re
import sys

LISTEN = re.compile(r"^(\s*(?:\w+_listen|address)\s*=\s*)(\S+):(\d+)(\s*)$")
ADDRESSES = re.compile(r"^(\s*addresses\s*=\s*)(.*\S)(\s*)$")
ITEM = re.compile(r"^\s*(\S+):(\d+)\s*$")


def ports_of(line):
    """The non-zero ports a config line names."""
    m = LISTEN.match(line)
    if m:
        return [int(m.group(3))] if int(m.group(3)) != 0 else []
    m = ADDRESSES.match(line)
    if not m:
        return []
    items = [ITEM.match(x) for x in m.group(2).split(",")]
    return [int(i.group(2)) for i in items if i and int(i.group(2)) != 0]


def main():
    d = os.path.abspath(sys.argv[1])
    free = [int(p) for p in sys.argv[2:]]
    root = json.load(open(os.path.join(d, "manifest.json")))["root"]
    confs = sorted(glob.glob(os.path.join(d, "conf", "*.conf")))
    texts = {c: open(c).read() for c in confs}

    old_ports = []
    for text in texts.values():
        for line in text.splitlines():
            for port in ports_of(line):
                if port not in old_ports:
                    old_ports.append(port)
    if len(free) < len(old_ports):
        print("%d ports needed" % len(old_ports), file=sys.stderr)
        sys.exit(2)
    moved = dict(zip(old_ports, free))

    def line_of(line):
        m = LISTEN.match(line)
        if m and int(m.group(3)) != 0:
            line = "%s%s:%d%s" % (m.group(1), m.group(2), moved[int(m.group(3))], m.group(4))
        m = ADDRESSES.match(line)
        if m:
            items = []
            for x in m.group(2).split(","):
                i = ITEM.match(x)
                if i and int(i.group(2)) != 0:
                    x = "%s:%d" % (i.group(1), moved[int(i.group(2))])
                items.append(x.strip())
            line = "%s%s%s" % (m.group(1), ", ".join(items), m.group(3))
        key, eq, value = line.partition("=")
        if eq and value.strip().startswith(root):
            line = key + eq + " " + d + value.strip()[len(root):]
        return line

    for c, text in texts.items():
        lines = [line_of(x) for x in text.splitlines()]
        with open(c, "w") as f:
            f.write("\n".join(lines) + "\n")
        for line in lines:
            key, eq, value = line.partition("=")
            if eq and key.strip() == "sse_master_key_file" and not os.path.isfile(value.strip()):
                print("%s: sse_master_key_file %s: no such file" % (c, value.strip()),
                      file=sys.stderr)
                sys.exit(3)

    env_path = os.path.join(d, "conf", "cluster.env")
    env = [l.rstrip("\n") for l in open(env_path)]
    out = []
    for l in env:
        k, eq, v = l.partition("=")
        if eq and k in ("CL_MGR_RPC", "CL_MGR_ADMIN", "CL_S3", "CL_REST") and v.isdigit():
            l = "%s=%d" % (k, moved.get(int(v), int(v)))
        elif eq and k == "CL_MGR_ADMINS" and v:  # host:port,... (cluster.sh since issue 14)
            items = [ITEM.match(x) for x in v.split(",")]
            l = "%s=%s" % (k, ",".join("%s:%d" % (i.group(1), moved.get(int(i.group(2)),
                                                                       int(i.group(2))))
                                       for i in items if i))
        out.append(l)
    open(env_path, "w").write("\n".join(out) + "\n")
    for o, n in moved.items():
        print(o, n)


main()
