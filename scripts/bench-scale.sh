#!/usr/bin/env bash
# End-to-end scaling (issue 7): INTERACTIONS (50,000) generated interactions, ingested into a
# database of their own, then processed to the end (interaction and conversation jobs) by 1, 2, 4
# and 8 worker processes (one claim loop each, no embedding) started together with --drain.
# Prints interactions/s and where the CPU went: the workers' own CPU (user + sys of their
# processes) and the rest of the machine's busy time, which on this setup is PostgreSQL (the
# embedded server runs on the same 2 cores). Writes .coachspool/bench/scale/scale-results.md.
#
#   scripts/bench-scale.sh            # INTERACTIONS=50000 WORKERS="1 2 4 8"
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"

INTERACTIONS=${INTERACTIONS:-50000}
WORKERS=${WORKERS:-1 2 4 8}
OUT="$STATE_DIR/bench/scale"
mkdir -p "$OUT"

ensure_build_deps
ensure_packages time
COACHSPOOL_MODELS=$(dirname "$("$REPO/scripts/fetch-tokenizer.sh" | tail -n 1)")
export COACHSPOOL_MODELS COACHSPOOL_SCHEMA_DIR="$REPO/schema"
build_release
use_database
base=${DATABASE_URL%%\?*}
query=""; [ "$base" != "$DATABASE_URL" ] && query="?${DATABASE_URL#*\?}"
input="$OUT/interactions.jsonl"
[ -s "$input" ] && [ "$(wc -l <"$input")" = "$INTERACTIONS" ] || python3 "$REPO/scripts/lib/generate_interactions.py" "$INTERACTIONS" "$input"

busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8}' /proc/stat; }   # user nice system irq softirq
ticks_per_s=$(getconf CLK_TCK)

{
  echo "$INTERACTIONS interactions in two-turn sessions ($((INTERACTIONS * 3 / 2)) jobs: interaction + conversation), no embedding; $(nproc) cores; PostgreSQL on the same machine"
  echo
  echo "| worker processes | seconds | interactions/s | workers CPU s | rest of the machine CPU s (≈ PostgreSQL) | machine busy |"
  echo "| --- | --- | --- | --- | --- | --- |"
} | tee "$OUT/scale-results.md"
for w in $WORKERS; do
  "$REPO/scripts/postgres.sh" psql -q -c "DROP DATABASE IF EXISTS coachspool_bench_scale" -c "CREATE DATABASE coachspool_bench_scale" >/dev/null
  export DATABASE_URL="${base%/*}/coachspool_bench_scale$query"
  "$COACHSPOOL" migrate >/dev/null 2>&1
  "$COACHSPOOL" ingest "$input" >/dev/null 2>&1
  "$REPO/scripts/postgres.sh" psql -q -c "CHECKPOINT" >/dev/null
  export DATABASE_URL="${base}$query"
  before=$(busy_ticks); start=$(date +%s.%N)
  pids=()
  for i in $(seq 1 "$w"); do
    DATABASE_URL="${base%/*}/coachspool_bench_scale$query" /usr/bin/time -f '%U %S' -o "$OUT/cpu.$i" \
      "$COACHSPOOL" work --drain --no-embeddings --concurrency 1 --log-level error >/dev/null 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  end=$(date +%s.%N); after=$(busy_ticks)
  python3 - "$w" "$start" "$end" "$before" "$after" "$ticks_per_s" "$INTERACTIONS" "$OUT" <<'PY' | tee -a "$OUT/scale-results.md"
import sys, glob
w, start, end, before, after, hz, n, out = sys.argv[1:]
w, n = int(w), int(n)
seconds = float(end) - float(start)
workers = sum(sum(float(x) for x in open(f"{out}/cpu.{i}").read().split()) for i in range(1, w + 1))
machine = (int(after) - int(before)) / int(hz)
import os
print(f"| {w} | {seconds:.1f} | {n / seconds:,.0f} | {workers:.1f} | {max(0.0, machine - workers):.1f} | {100 * machine / (seconds * os.cpu_count()):.0f} % |")
PY
done
echo >>"$OUT/scale-results.md"
echo "load average $(cut -d ' ' -f 1-3 /proc/loadavg)" | tee -a "$OUT/scale-results.md"
