#!/usr/bin/env bash
# Soak (issue 7): a steady ingest of RATE interactions/s for DURATION seconds (default 300/s for
# 600 s) into a database of its own, processed as it arrives by WORKERS worker processes (no
# embedding). Every SAMPLE seconds it prints the hot jobs table: heap and index size, live and
# dead tuples, autovacuum runs, and the backlog; then start vs end. The jobs table holds only
# unfinished work (completion deletes the row), so at a steady rate it must stay flat: a table
# that grows with the run is bloat.
# Writes .coachspool/bench/soak/soak-results.md.
#
#   scripts/bench-soak.sh                    # RATE=300 DURATION=600 WORKERS=2 SAMPLE=30
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"

RATE=${RATE:-300}
DURATION=${DURATION:-600}
WORKERS=${WORKERS:-2}
SAMPLE=${SAMPLE:-30}
SLICE=5   # seconds of input per ingest call
OUT="$STATE_DIR/bench/soak"
mkdir -p "$OUT"

bench_setup
DATABASE_URL=$(bench_database coachspool_bench_soak)
export DATABASE_URL

total=$((RATE * DURATION))
python3 "$REPO/scripts/lib/generate_interactions.py" "$total" "$OUT/interactions.jsonl"
rm -f "$OUT"/slice.*
split -l $((RATE * SLICE)) -d -a 4 "$OUT/interactions.jsonl" "$OUT/slice."

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
for i in $(seq 1 "$WORKERS"); do
  "$COACHSPOOL" work --no-embeddings --concurrency 1 --log-level warning >"$OUT/worker.$i.log" 2>&1 &
  pids+=($!)
done

sample() {
  "$REPO/scripts/postgres.sh" psql -At -F ' ' -c "
    SELECT round(extract(epoch FROM now() - '$1'::timestamptz)),
           pg_relation_size('coachspool.jobs') / 1024, pg_indexes_size('coachspool.jobs') / 1024,
           n_live_tup, n_dead_tup, autovacuum_count,
           (SELECT count(*) FROM coachspool.jobs WHERE state = 'ready'),
           (SELECT count(*) FROM coachspool.interactions)
      FROM pg_stat_user_tables WHERE schemaname = 'coachspool' AND relname = 'jobs'" 2>/dev/null
}

start_ts=$("$REPO/scripts/postgres.sh" psql -At -c "SELECT now()")
{
  machine_line
  echo
  echo "$RATE interactions/s for $DURATION s ($total interactions, $((total * 3 / 2)) jobs), $WORKERS worker processes, $(nproc) cores, PostgreSQL on the same machine"
  echo
  echo "| s | jobs heap KiB | jobs indexes KiB | live tuples | dead tuples | autovacuums | ready backlog | interactions stored |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
} | tee "$OUT/soak-results.md"
(
  while sleep "$SAMPLE"; do
    sample "$start_ts" | awk '{printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1,$2,$3,$4,$5,$6,$7,$8}'
  done
) | tee -a "$OUT/soak-results.md" &
sampler=$!
pids+=("$sampler")

t0=$(date +%s.%N)
n=0
for f in "$OUT"/slice.*; do
  due=$(python3 -c "print(max(0.0, $t0 + $n * $SLICE - __import__('time').time()))")
  sleep "$due"
  "$COACHSPOOL" ingest "$f" >/dev/null 2>>"$OUT/ingest.log" || echo "ingest of $f failed (see ingest.log)" >&2
  n=$((n + 1))
done
sleep "$SLICE"
kill "$sampler" 2>/dev/null || true
sample "$start_ts" | awk '{printf "| %s (end) | %s | %s | %s | %s | %s | %s | %s |\n", $1,$2,$3,$4,$5,$6,$7,$8}' | tee -a "$OUT/soak-results.md"
{
  echo
  echo "autovacuum: $("$REPO/scripts/postgres.sh" psql -At -F ' ' -c "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('autovacuum_naptime', 'autovacuum_vacuum_scale_factor', 'autovacuum_vacuum_threshold', 'autovacuum_vacuum_cost_delay', 'autovacuum_vacuum_cost_limit')")"
  echo "jobs reloptions: $("$REPO/scripts/postgres.sh" psql -At -c "SELECT coalesce(array_to_string(reloptions, ', '), 'none') FROM pg_class WHERE oid = 'coachspool.jobs'::regclass")"
  echo "load average $(cut -d ' ' -f 1-3 /proc/loadavg)"
} | tee -a "$OUT/soak-results.md"
