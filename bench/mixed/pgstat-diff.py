#!/usr/bin/env python3
"""pgstat-diff.py DIR E1 E2 L1 L2 [N]

Compares two windows of a soak's pg_stat_statements snapshots (pgstat.sh):
the early one between snapshots E1 and E2 (seconds), the late one between
L1 and L2. Per statement: calls, shared blocks (hit + read) per call and
rows per call in each window, their late/early ratio, and the execution
time of the window, ranked by the late window's total time. Blocks and rows
per call do not depend on the machine's load: a statement whose blocks per
call grow with the agency reads something that grows.
"""
import csv, os, sys

def load(d, t):
    """The snapshot nearest to t seconds."""
    ts = [int(f[:-4]) for f in os.listdir(d) if f.endswith(".csv")]
    t = min(ts, key=lambda x: abs(x - int(t)))
    with open(f"{d}/{t}.csv") as f:
        return {r["queryid"]: r for r in csv.DictReader(f)}

def window(a, b):
    out = {}
    for q, r in b.items():
        p = a.get(q, {"calls": 0, "rows": 0, "blks": 0, "total_exec_time": 0})
        c = int(r["calls"]) - int(p["calls"])
        if c <= 0:
            continue
        out[q] = dict(calls=c, rows=(int(r["rows"]) - int(p["rows"])) / c,
                      blks=(int(r["blks"]) - int(p["blks"])) / c,
                      ms=float(r["total_exec_time"]) - float(p["total_exec_time"]), query=r["query"])
    return out

d = sys.argv[1]
e = window(load(d, sys.argv[2]), load(d, sys.argv[3]))
l = window(load(d, sys.argv[4]), load(d, sys.argv[5]))
n = int(sys.argv[6]) if len(sys.argv) > 6 else 40
te, tl = sum(x["ms"] for x in e.values()), sum(x["ms"] for x in l.values())
print(f"total exec ms: early {te:.0f}, late {tl:.0f}")
print(f"{'late ms':>9} {'%':>5} {'early ms':>9} {'calls e/l':>13} {'blks/call e → l':>20} {'x':>6} {'rows/call e → l':>18}  query")
for q, x in sorted(l.items(), key=lambda kv: -kv[1]["ms"])[:n]:
    y = e.get(q)
    if y:
        ratio = x["blks"] / y["blks"] if y["blks"] else float("inf") if x["blks"] else 1
        print(f"{x['ms']:9.0f} {100*x['ms']/tl:5.1f} {y['ms']:9.0f} {y['calls']:6}/{x['calls']:<6} {y['blks']:9.1f} → {x['blks']:8.1f} {ratio:6.1f} {y['rows']:8.1f} → {x['rows']:7.1f}  {x['query'][:150]}")
    else:
        print(f"{x['ms']:9.0f} {100*x['ms']/tl:5.1f} {'-':>9} {'-':>6}/{x['calls']:<6} {'-':>9} → {x['blks']:8.1f} {'':6} {'-':>8} → {x['rows']:7.1f}  {x['query'][:150]}")
