#!/usr/bin/env bash
# HNSW search quality and latency: recall@10 of coachspool.search against exact search, and
# p50/p99 query latency, on 100k 384-d vectors (hashing embedder, synthetic texts) in a database
# of its own on the embedded server (or DATABASE_URL's server). Prints a markdown table and
# writes it to .coachspool/bench/search/search-results.md.
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
      f"loaded with binary COPY into the indexed table in {d['load_s']:.1f} s; load average {os.getloadavg()[0]:.2f}\n")
print(f"| method | recall@{d['k']} | p50 ms | p99 ms | mean ms |")
print("| --- | --- | --- | --- | --- |")
for r in d["rows"]:
    print(f"| {r['method']} | {r['recall_at_k']:.3f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['mean_ms']:.2f} |")
PY
