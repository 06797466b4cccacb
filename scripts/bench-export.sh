#!/usr/bin/env bash
# Dataset export at scale: INTERACTIONS (1,000,000) synthetic interactions in two-turn sessions
# of 10,000 users (90 % with training consent), ingested and prepared by workers (no embedding),
# then `coachspool export` timed in each format with its peak memory (GNU time's max RSS), in a
# database of its own on the embedded server (or DATABASE_URL's server). Prints a markdown table
# and writes it to .coachspool/bench/export/export-results.md.
#
#   scripts/bench-export.sh                  # INTERACTIONS=1000000 FORMATS="openai sharegpt"
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"

INTERACTIONS=${INTERACTIONS:-1000000}
FORMATS=${FORMATS:-openai sharegpt}
OUT="$STATE_DIR/bench/export"
mkdir -p "$OUT"

bench_setup
DATABASE_URL=$(bench_database coachspool_bench_export)
export DATABASE_URL

input="$OUT/interactions.jsonl"
python3 "$REPO/scripts/lib/generate_interactions.py" "$INTERACTIONS" "$input"
echo "ingest $INTERACTIONS interactions" >&2
start=$(date +%s.%N)
"$COACHSPOOL" ingest "$input" >&2
ingest_s=$(python3 -c "import time; print(round(time.time() - $start, 1))")
echo "workers: prepare interactions and build examples" >&2
start=$(date +%s.%N)
"$COACHSPOOL" work --drain --concurrency 2 --no-embeddings --log-level warning >&2
work_s=$(python3 -c "import time; print(round(time.time() - $start, 1))")
examples=$("$REPO/scripts/postgres.sh" psql -Atq -c "SELECT count(*) FROM coachspool.examples")

{
  machine_line
  echo
  echo "$INTERACTIONS interactions in $((INTERACTIONS / 2)) two-turn sessions; ingest ${ingest_s} s; workers (2 loops, no embedding) ${work_s} s; $examples examples stored"
  echo
  echo "| format | examples written | seconds | examples/s | max RSS MB | train.jsonl MB |"
  echo "| --- | --- | --- | --- | --- | --- |"
  for format in $FORMATS; do
    /usr/bin/time -f '%e %M' -o "$OUT/time.txt" "$COACHSPOOL" export --format "$format" --out "$OUT/$format" >"$OUT/$format.out" 2>"$OUT/$format.err"
    read -r seconds rss <"$OUT/time.txt"
    written=$(python3 -c "import json; m = json.load(open('$OUT/$format/manifest.json')); print(m['examples'])")
    size=$(python3 -c "import os; print(round(os.path.getsize('$OUT/$format/train.jsonl') / 1e6, 1))")
    rate=$(python3 -c "print(round($written / $seconds))")
    echo "| $format | $written | $seconds | $rate | $((rss / 1024)) | $size |"
  done
  echo
  echo "load average $(cut -d ' ' -f 1-3 /proc/loadavg), $(nproc) cores"
} | tee "$OUT/export-results.md"
