#!/usr/bin/env python3
"""Tables for scripts/bench-spool.sh: each side's min / median / max, the run-by-run ratios of
ours to the floor run that followed it (interleaved), and the load average of the runs.

usage: bench_report.py spool.csv [floor/results.csv] [pgqueuer/pgqueuer.csv]
Missing peer files are skipped (their columns show '-')."""
import csv
import os
import statistics
import sys
from collections import defaultdict


def load(path):
    return list(csv.DictReader(open(path))) if path and os.path.exists(path) else []


ours = load(sys.argv[1])
floor = load(sys.argv[2] if len(sys.argv) > 2 else None)
pgq = load(sys.argv[3] if len(sys.argv) > 3 else None)


def med(values):
    return statistics.median(values) if values else None


def fmt(v):
    return "-" if v is None else f"{v:,.0f}"


def spread(values):
    """min / median / max"""
    return "-" if not values else f"{min(values):,.0f} / {med(values):,.0f} / {max(values):,.0f}"


def ratio(a, b):
    return "-" if a is None or not b else f"{a / b:.2f}"


def pair_ratios(a, b):
    """Ratios of the i-th run of ours to the i-th floor run (the one right after it)."""
    r = [x / y for x, y in zip(a, b) if y]
    return "-" if not r else f"{min(r):.2f} / {med(r):.2f} / {max(r):.2f}"


def loads(rows):
    values = [float(r["load1"]) for r in rows if r.get("load1")]
    return "-" if not values else f"{min(values):.2f}–{max(values):.2f}"


claims = defaultdict(list)
for r in ours:
    if r["section"] == "claim":
        claims[(int(r["batch"]), int(r["procs"]))].append(r)
fl = defaultdict(list)
for r in floor:
    if r["section"] == "claim":
        fl[(r["variant"], int(r["batch"]), int(r["clients"]))].append(r)
copy = [r for r in floor if r["section"] == "copy"]
drains = defaultdict(list)
for r in pgq:
    if r["strategy"] == "drain":
        drains[(int(r["dequeue"]), int(r["dq_batch"]))].append(float(r["deq_per_s"]))
best_pgq = max((med(v) for k, v in drains.items()), default=None)


def per_s(rows, key):
    return [float(r[key]) for r in rows]


print("## Claim → ack (no-op jobs), jobs/s: min / median / max, ours and the floor interleaved\n")
print("| batch | worker processes | CoachSpool | runs | floor `done` (same clients) | floor `delete` | CoachSpool / best floor (medians) | run by run (min / median / max) | PgQueuer best drain | CoachSpool / PgQueuer | load average |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for (b, p) in sorted(claims):
    v = per_s(claims[(b, p)], "per_s")
    done, delete = per_s(fl.get(("done", b, p), []), "jobs_per_s"), per_s(fl.get(("delete", b, p), []), "jobs_per_s")
    best_name, best = max(((n, x) for n, x in (("done", done), ("delete", delete)) if x), key=lambda t: med(t[1]), default=(None, []))
    print(f"| {b} | {p} | {spread(v)} | {len(v)} | {spread(done)} | {spread(delete)} | {ratio(med(v), med(best))} "
          f"| {pair_ratios(v, best)} | {fmt(best_pgq)} | {ratio(med(v), best_pgq)} "
          f"| {loads(claims[(b, p)] + fl.get(('done', b, p), []) + fl.get(('delete', b, p), []))} |")

if drains:
    print("\nPgQueuer 1.6.0 drain (100,000 jobs), jobs/s: " + ", ".join(
        f"{d} tasks × batch {b}: {fmt(med(v))} ({len(v)} runs)" for (d, b), v in sorted(drains.items())))

ingest = [r for r in ours if r["section"] == "ingest"]
if ingest:
    rows = int(ingest[0]["jobs"])
    ing, c = per_s(ingest, "per_s"), per_s(copy, "jobs_per_s")
    print("\n## Ingest, rows/s: min / median / max, ours and raw COPY interleaved\n")
    print("| input | CoachSpool interactions/s | runs | raw COPY rows/s (pgbench floor) | CoachSpool / COPY (medians) | run by run | load average |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {rows:,} seed log lines | {spread(ing)} | {len(ing)} | {spread(c)} | {ratio(med(ing), med(c))} "
          f"| {pair_ratios(ing, c)} | {loads(ingest + copy)} |")
