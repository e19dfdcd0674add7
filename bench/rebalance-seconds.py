#!/usr/bin/env python3
"""bench/rebalance-seconds.py DIR: second by second through recover-node, from the files
`CAIRN_BENCH_KEEP=DIR bench/rebalance BUILD` kept (load.log, marks, samples.jsonl): the
foreground's ops and p99 of each second, and each storage node's `recover_node` queue depth
and CPU (% of a core; negative or missing across a restart); then one SUMMARY line: the idle
p99, the phase's p99 and its ratio to idle, the same for its first 5 s, the peak of the
summed queue depth, the worst second's p99 and the fewest ops in a second."""
import collections
import json
import sys


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))] if v else 0


def main(d):
    marks = {m[0]: float(m[1]) for m in (l.split() for l in open(d + "/marks")) if m}
    t0, t1 = marks["recover"], marks["after_recover"]
    ops, idle = collections.defaultdict(list), []
    for l in open(d + "/load.log"):
        f = l.split()
        t = float(f[0])
        if t0 - 5 <= t < t1 + 3:
            ops[int(t - t0)].append(float(f[1]))
        if marks["idle"] <= t < marks["starting"]:
            idle.append(float(f[1]))
    samp, prev = collections.defaultdict(dict), {}
    for l in open(d + "/samples.jsonl"):
        try:
            s = json.loads(l)
        except ValueError:
            continue
        if not isinstance(s, dict) or not t0 - 5 <= s["t"] < t1 + 3:
            continue
        n, cpu, mq = s["node"], s["cpu_ticks"], s["mq"] or {}
        dcpu = None
        if n in prev and cpu is not None and prev[n][1] is not None:
            dcpu = (cpu - prev[n][1]) / max(0.01, s["t"] - prev[n][0])
        prev[n] = (s["t"], cpu)
        samp[int(s["t"] - t0)][n] = (mq.get("depth_recover_node") or 0, dcpu)
    print("sec   ops  p99_ms | queue  cpu% | per node: depth/cpu%")
    rows = []
    for sec in sorted(set(ops) | set(samp)):
        lat, nd = ops.get(sec, []), samp.get(sec, {})
        depth = sum(v[0] for v in nd.values())
        cpu = sum(v[1] for v in nd.values() if v[1] is not None)
        rows.append((sec, len(lat), pct(lat, 0.99), depth))
        print("%4d %5d %7.1f | %6d %5.0f | %s" % (sec, len(lat), pct(lat, 0.99), depth, cpu, " ".join(
            "%s:%d/%s" % (n, v[0], "-" if v[1] is None else int(v[1])) for n, v in sorted(nd.items()))))
    dur = t1 - t0
    phase = [x for s_, v in ops.items() if 0 <= s_ < dur for x in v]
    first = [x for s_, v in ops.items() if 0 <= s_ < 5 for x in v]
    ip = pct(idle, 0.99)
    inside = [r for r in rows if 0 <= r[0] < int(dur)]
    print("SUMMARY %s: idle p99 %.1f ms; recover %.1f s: p99 %.1f ms (%.2fx); first 5 s: %d ops, "
          "p99 %.1f ms (%.2fx); peak recover_node queue %d; worst second p99 %.1f ms; fewest ops "
          "in a second %d" % (d, ip, dur, pct(phase, 0.99), pct(phase, 0.99) / ip, len(first),
                              pct(first, 0.99), pct(first, 0.99) / ip, max(r[3] for r in rows),
                              max(r[2] for r in inside), min(r[1] for r in inside)))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
