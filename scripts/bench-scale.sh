#!/usr/bin/env bash
# End-to-end scaling (issue 7), in two tables, each row a fresh database of its own:
# 1. INTERACTIONS (50,000) generated interactions processed to the end (interaction and
#    conversation jobs) by 1, 2, 4 and 8 worker processes (one claim loop each, no embedding);
# 2. DOCUMENTS (1,200) generated knowledge documents chunked and embedded with MiniLM by the same
#    numbers of processes (the cores shared out: --threads = cores / processes, at least 1), and
#    the overhead of the pipeline around the model: (ingest + workers) / the model alone on the
#    same chunk texts (`coachspool-bench embed`: one call, same threads and batch size).
# Workers are started together with --drain. Each row shows where the CPU went: the workers' own
# (user + sys of their processes) and the rest of the machine's busy time, which on this setup is
# PostgreSQL (the embedded server runs on the same cores). Writes
# .coachspool/bench/scale/scale-results.md. INTERACTIONS=0 skips the first table, DOCUMENTS=0 the
# second. Every table is headed by the CPU model and OpenBLAS core (`coachspool hardware`).
#
#   scripts/bench-scale.sh            # INTERACTIONS=50000 DOCUMENTS=1200 WORKERS="1 2 4 8"
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"

INTERACTIONS=${INTERACTIONS:-50000}
DOCUMENTS=${DOCUMENTS:-1200}
WORKERS=${WORKERS:-1 2 4 8}
OUT="$STATE_DIR/bench/scale"
mkdir -p "$OUT"

bench_setup
input="$OUT/interactions.jsonl"
if [ "$INTERACTIONS" -gt 0 ] && ! { [ -s "$input" ] && [ "$(wc -l <"$input")" = "$INTERACTIONS" ]; }; then
  python3 "$REPO/scripts/lib/generate_interactions.py" "$INTERACTIONS" "$input"
fi

busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8}' /proc/stat; }   # user nice system irq softirq
ticks_per_s=$(getconf CLK_TCK)

# fresh_database: an empty, migrated coachspool_bench_scale (sets bench_url).
fresh_database() { bench_url=$(bench_database coachspool_bench_scale); }

# drain_with N WORK_ARGS…: starts N workers together, waits for all, and sets SECONDS_TAKEN,
# WORKERS_CPU and MACHINE_CPU (seconds).
drain_with() {
  local n=$1; shift
  local before after start end pids=() i
  DATABASE_URL=$SERVER_URL "$REPO/scripts/postgres.sh" psql -q -c "CHECKPOINT" >/dev/null
  before=$(busy_ticks); start=$(date +%s.%N)
  for i in $(seq 1 "$n"); do
    DATABASE_URL="$bench_url" /usr/bin/time -f '%U %S' -o "$OUT/cpu.$i" \
      "$COACHSPOOL" work --drain --concurrency 1 --log-level error "$@" >/dev/null 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  end=$(date +%s.%N); after=$(busy_ticks)
  SECONDS_TAKEN=$(python3 -c "print(f'{$end - $start:.2f}')")
  WORKERS_CPU=$(cat $(seq -f "$OUT/cpu.%g" 1 "$n") | awk '{s += $1 + $2} END {printf "%.1f", s}')
  MACHINE_CPU=$(python3 -c "print(f'{($after - $before) / $ticks_per_s:.1f}')")
}

# cpu_columns: the CPU columns of a table row, from the last drain_with.
cpu_columns() {
  python3 -c "
w, m, s = $WORKERS_CPU, $MACHINE_CPU, $SECONDS_TAKEN
import os
print(f'{w:.1f} | {max(0.0, m - w):.1f} | {100 * m / (s * os.cpu_count()):.0f} %')"
}

machine_line | tee "$OUT/scale-results.md"
if [ "$INTERACTIONS" -gt 0 ]; then
  {
    echo
    echo "$INTERACTIONS interactions in two-turn sessions ($((INTERACTIONS * 3 / 2)) jobs: interaction + conversation), no embedding; $(nproc) cores; PostgreSQL on the same machine"
    echo
    echo "| worker processes | seconds | interactions/s | workers CPU s | rest of the machine CPU s (≈ PostgreSQL) | machine busy |"
    echo "| --- | --- | --- | --- | --- | --- |"
  } | tee -a "$OUT/scale-results.md"
  for w in $WORKERS; do
    fresh_database
    DATABASE_URL="$bench_url" "$COACHSPOOL" ingest "$input" >/dev/null 2>&1
    drain_with "$w" --no-embeddings
    echo "| $w | $SECONDS_TAKEN | $(python3 -c "print(f'{$INTERACTIONS / $SECONDS_TAKEN:,.0f}')") | $(cpu_columns) |" | tee -a "$OUT/scale-results.md"
  done
fi

if [ "$DOCUMENTS" -gt 0 ]; then
  "$REPO/scripts/fetch-model.sh" >/dev/null
  (cd "$REPO" && swift build -c release --product coachspool-bench >&2) || die "swift build failed"
  BENCH="$(dirname "$COACHSPOOL")/coachspool-bench"
  documents="$OUT/documents.jsonl"
  python3 "$REPO/scripts/lib/generate_documents.py" "$DOCUMENTS" "$documents"
  cores=$(nproc)
  {
    echo
    echo "$DOCUMENTS knowledge documents ($(wc -c <"$documents") bytes of JSON Lines), chunked (500/50 chars), redacted and embedded with all-MiniLM-L6-v2; ingest not included"
    echo
    echo "| worker processes | MiniLM threads each | seconds | chunks | chunks/s | workers CPU s | rest of the machine CPU s (≈ PostgreSQL) | machine busy |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  } | tee -a "$OUT/scale-results.md"
  for w in $WORKERS; do
    threads=$(( cores / w > 0 ? cores / w : 1 ))
    fresh_database
    ingest_start=$(date +%s.%N)
    DATABASE_URL="$bench_url" "$COACHSPOOL" ingest --format documents "$documents" >/dev/null 2>&1
    ingest_seconds=$(python3 -c "print(f'{$(date +%s.%N) - $ingest_start:.2f}')")
    drain_with "$w" --embedder minilm --threads "$threads"
    chunks=$(DATABASE_URL="$bench_url" "$REPO/scripts/postgres.sh" psql -At -c "SELECT count(*) FROM coachspool.chunks")
    echo "| $w | $threads | $SECONDS_TAKEN | $chunks | $(python3 -c "print(f'{$chunks / $SECONDS_TAKEN:,.0f}')") | $(cpu_columns) |" | tee -a "$OUT/scale-results.md"
    if [ "$w" = 1 ]; then
      # The model alone on the very texts the pipeline embedded, in the same order.
      DATABASE_URL="$bench_url" "$REPO/scripts/postgres.sh" psql -At \
        -c "SELECT json_build_object('text', body) FROM coachspool.chunks ORDER BY document_id, ordinal" >"$OUT/chunks.jsonl"
      pipeline_seconds=$(python3 -c "print(f'{$ingest_seconds + $SECONDS_TAKEN:.2f}')")
      worker_seconds=$SECONDS_TAKEN
      # The model at its best: every text in one call (sorted by length, packed batches of 32),
      # after a warm-up, as `coachspool-bench embed` measures it for issue 5.
      python3 -c "import json, sys; json.dump([json.loads(l)['text'] for l in open(sys.argv[1])], open(sys.argv[2], 'w'), ensure_ascii=False)" \
        "$OUT/chunks.jsonl" "$OUT/chunks.json"
      embed_seconds=$("$BENCH" embed --inputs "$OUT/chunks.json" --reference "$REPO/Tests/Fixtures/reference/minilm_dev.json" \
        --batch-sizes 32 --threads "$threads" --runs 1 --models "$COACHSPOOL_MODELS" 2>/dev/null |
        python3 -c "import json, sys; print(json.load(sys.stdin)['rows'][0]['median_s'])")
    fi
  done
  if [ -n "${embed_seconds:-}" ]; then
    {
      echo
      echo "Overhead around the model (1 worker process, $cores threads): ingest $ingest_seconds s + workers $worker_seconds s = $pipeline_seconds s; the model alone on the same $(wc -l <"$OUT/chunks.jsonl") chunk texts (one call, after a warm-up): $embed_seconds s"
      python3 -c "print(f'pipeline / model alone = {$pipeline_seconds / $embed_seconds:.3f} (workers only: {$worker_seconds / $embed_seconds:.3f}); target < 1.15')"
    } | tee -a "$OUT/scale-results.md"
  fi
fi
echo >>"$OUT/scale-results.md"
echo "load average $(cut -d ' ' -f 1-3 /proc/loadavg)" | tee -a "$OUT/scale-results.md"
