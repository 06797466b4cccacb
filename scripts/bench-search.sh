#!/usr/bin/env bash
# A first backfill of 100k 384-d vectors (hashing embedder, synthetic texts) made searchable two
# ways: inserted into a live HNSW index (insert-as-you-go), and loaded first with the index built
# after by the worker's code (CREATE INDEX CONCURRENTLY, the worker's default maintenance_work_mem
# and parallel workers: issue 18). For each: load and build seconds, recall@10 of
# coachspool.search against exact search and p50/p99 query latency. In a database of its own on
# the embedded server (or DATABASE_URL's server). Prints markdown tables and writes them to
# .coachspool/bench/search/search-results.md.
#
#   scripts/bench-search.sh           # VECTORS (100000), QUERIES (200), K (10)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"

VECTORS=${VECTORS:-100000}
QUERIES=${QUERIES:-200}
K=${K:-10}
OUT="$STATE_DIR/bench/search"
mkdir -p "$OUT"

ensure_build_deps
build_release
(cd "$REPO" && swift build -c release --product coachspool-bench >&2)
BENCH="$(cd "$REPO" && swift build -c release --show-bin-path)/coachspool-bench"
use_database
base=${DATABASE_URL%%\?*}
query=""; [ "$base" != "$DATABASE_URL" ] && query="?${DATABASE_URL#*\?}"
"$REPO/scripts/postgres.sh" psql -q -c "DROP DATABASE IF EXISTS coachspool_bench_search" -c "CREATE DATABASE coachspool_bench_search" >/dev/null
export DATABASE_URL="${base%/*}/coachspool_bench_search$query"
COACHSPOOL_SCHEMA_DIR="$REPO/schema" "$COACHSPOOL" migrate >/dev/null
"$BENCH" search --vectors "$VECTORS" --queries "$QUERIES" --k "$K" > "$OUT/search.json"
machine_line | tee "$OUT/search-results.md"
python3 - "$OUT/search.json" <<'PY' | tee -a "$OUT/search-results.md"
import json, os, sys
d = json.load(open(sys.argv[1]))
print(f"{d['vectors']:,} vectors of {d['dimensions']} dimensions (hashing embedder), {d['queries']} queries, k = {d['k']}; "
      f"index build: maintenance_work_mem {d['index_memory']}, {d['index_workers']} parallel maintenance workers; "
      f"load average {os.getloadavg()[0]:.2f}\n")
ways = {("deferred" if w["build_s"] > 0 else "live"): w for w in d["ways"]}
print("| first backfill | load s | index build s | total s | index part s |")
print("| --- | --- | --- | --- | --- |")
live, deferred = ways["live"], ways["deferred"]
# The index's part of insert-as-you-go: its load beyond the deferred way's plain load.
live_part = live["load_s"] - deferred["load_s"]
for name, w, part in (("insert-as-you-go", live, live_part), ("deferred (issue 18)", deferred, deferred["build_s"])):
    print(f"| {name} | {w['load_s']:.1f} | {w['build_s']:.1f} | {w['load_s'] + w['build_s']:.1f} | {part:.1f} |")
print(f"\nindex part: deferred is {live_part / deferred['build_s']:.1f}x faster; whole first backfill "
      f"{(live['load_s']) / (deferred['load_s'] + deferred['build_s']):.1f}x\n")
print(f"| index | method | recall@{d['k']} | p50 ms | p99 ms | mean ms |")
print("| --- | --- | --- | --- | --- | --- |")
for name, w in (("insert-as-you-go", live), ("deferred", deferred)):
    for r in w["rows"]:
        print(f"| {name} | {r['method']} | {r['recall_at_k']:.3f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['mean_ms']:.2f} |")
PY
