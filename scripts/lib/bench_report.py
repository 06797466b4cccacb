#!/usr/bin/env python3
"""Medians and ratios for scripts/bench-spool.sh.

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


def ratio(a, b):
    return "-" if a is None or not b else f"{a / b:.2f}"


claims = defaultdict(list)
for r in ours:
    if r["section"] == "claim":
        claims[(int(r["batch"]), int(r["procs"]))].append(float(r["per_s"]))
fl = defaultdict(list)
for r in floor:
    if r["section"] == "claim":
        fl[(r["variant"], int(r["batch"]), int(r["clients"]))].append(float(r["jobs_per_s"]))
copy = [float(r["jobs_per_s"]) for r in floor if r["section"] == "copy"]
drains = defaultdict(list)
for r in pgq:
    if r["strategy"] == "drain":
        drains[(int(r["dequeue"]), int(r["dq_batch"]))].append(float(r["deq_per_s"]))
best_pgq = max((med(v) for k, v in drains.items()), default=None)

print("## Claim → ack (no-op jobs), jobs/s, median of the runs\n")
print("| batch | worker processes | CoachSpool | runs | floor `done` (same clients) | floor `delete` | CoachSpool / best floor | PgQueuer best drain | CoachSpool / PgQueuer |")
print("|---|---|---|---|---|---|---|---|---|")
for (b, p) in sorted(claims):
    v = med(claims[(b, p)])
    fd, fdel = med(fl.get(("done", b, p), [])), med(fl.get(("delete", b, p), []))
    best = max([x for x in (fd, fdel) if x is not None], default=None)
    print(f"| {b} | {p} | {fmt(v)} | {len(claims[(b, p)])} | {fmt(fd)} | {fmt(fdel)} | {ratio(v, best)} | {fmt(best_pgq)} | {ratio(v, best_pgq)} |")

if drains:
    print("\nPgQueuer 1.6.0 drain (100,000 jobs), jobs/s: " + ", ".join(
        f"{d} tasks × batch {b}: {fmt(med(v))} ({len(v)} runs)" for (d, b), v in sorted(drains.items())))

ing = [float(r["per_s"]) for r in ours if r["section"] == "ingest"]
if ing:
    rows = next(int(r["jobs"]) for r in ours if r["section"] == "ingest")
    print("\n## Ingest\n")
    print("| input | CoachSpool interactions/s (median) | runs | min | max | raw COPY rows/s (pgbench floor) | ratio |")
    print("|---|---|---|---|---|---|---|")
    c = med(copy)
    print(f"| {rows:,} seed log lines | {fmt(med(ing))} | {len(ing)} | {fmt(min(ing))} | {fmt(max(ing))} | {fmt(c)} | {ratio(med(ing), c)} |")
