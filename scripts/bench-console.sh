#!/usr/bin/env bash
# The console's page times on a large job table (issue 30: "pages load in under 200 ms on the demo
# data and stay usable at 10 M jobs"). A database of its own is filled with JOBS jobs (default
# 10,000,000: 80 % ready, 15 % waiting for a retry, 5 % dead with an error, over five kinds) and
# INTERACTIONS (100,000) interactions with verdicts and texts, one in seven rated 1 (the Review
# queue has ~14,000 items); `serve` runs on it and
# each page is fetched REPS times with curl after signing in (the server's time to first byte and
# the whole transfer). Prints a markdown table and writes it to .coachspool/bench/console-results.md.
#
# usage: scripts/bench-console.sh      (JOBS, INTERACTIONS, REPS (5); COACHSPOOL=/path/to/binary skips the build)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"

JOBS=${JOBS:-10000000}
INTERACTIONS=${INTERACTIONS:-100000}
REPS=${REPS:-5}
bench_setup
OUT="$STATE_DIR/bench"
mkdir -p "$OUT"
db=coachspool_bench_console
url=$(bench_database $db)
say "filling $JOBS jobs and $INTERACTIONS interactions…"
started=$(date +%s)
DATABASE_URL=$url "$REPO/scripts/postgres.sh" psql -q -v ON_ERROR_STOP=1 <<SQL
INSERT INTO coachspool.interactions (idempotency_key, session_id, turn_index, mode, language, user_id, occurred_at, user_input, ai_response)
SELECT 'k' || g, 's' || (g / 4), g % 4, CASE WHEN g % 3 = 0 THEN 'university' ELSE 'personal' END, CASE WHEN g % 2 = 0 THEN 'sv' ELSE 'en' END,
       'user-' || (g % 5000), now() - g * interval '1 minute', 'Fråga nummer ' || g || ' om motivation och studier?', 'Ett svar nummer ' || g || ' med ett konkret förslag.'
  FROM generate_series(1, $INTERACTIONS) g;
INSERT INTO coachspool.interaction_texts (interaction_id, text_version, user_input, ai_response, entity_counts, entities, user_input_tokens, ai_response_tokens, worker)
SELECT id, 'bench', user_input, ai_response, '{}', 0, 10, 12, 'bench' FROM coachspool.interactions;
INSERT INTO coachspool.quality_verdicts (interaction_id, pipeline_version, accepted, reasons, rating, worker)
SELECT id, 'bench', id % 7 <> 0, CASE WHEN id % 7 = 0 THEN ARRAY['rating_below_minimum'] ELSE ARRAY[]::text[] END, CASE WHEN id % 7 = 0 THEN 1 ELSE 4 END, 'bench'
  FROM coachspool.interactions;
INSERT INTO coachspool.consents (user_id, purpose, granted, source) SELECT 'user-' || g, 'training', true, 'bench' FROM generate_series(0, 4999) g;
ALTER TABLE coachspool.jobs SET (autovacuum_enabled = false);
INSERT INTO coachspool.jobs (kind, source_id, state, run_at, attempt, last_error)
SELECT (ARRAY['interaction', 'conversation', 'interaction_batch', 'memory:1', 'embed:1'])[1 + g % 5], g,
       CASE WHEN g % 20 = 0 THEN 'dead' ELSE 'ready' END,
       CASE WHEN g % 20 BETWEEN 1 AND 3 THEN now() + interval '1 hour' ELSE now() - interval '1 minute' END,
       CASE WHEN g % 20 = 0 THEN 5 WHEN g % 20 BETWEEN 1 AND 3 THEN 1 ELSE 0 END,
       CASE WHEN g % 20 = 0 THEN 'simulated: connection reset by peer' END
  FROM generate_series(1, $JOBS) g;
ALTER TABLE coachspool.jobs RESET (autovacuum_enabled);
VACUUM ANALYZE coachspool.jobs;
ANALYZE;
SQL
say "filled in $(( $(date +%s) - started )) s"

token=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATABASE_URL=$url COACHSPOOL_API_TOKENS=$token "$COACHSPOOL" serve --port "$port" --embedder hash --log-level warning &
server=$!
trap 'kill $server 2>/dev/null || true; DATABASE_URL=$SERVER_URL "$REPO/scripts/postgres.sh" psql -q -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break; sleep 0.2; done
jar=$(mktemp)
curl -s -c "$jar" -o /dev/null --data-urlencode "token=$token" "http://127.0.0.1:$port/console/login"

{
  echo "## The console at $(printf "%'d" "$JOBS") jobs ($(date -u +%Y-%m-%d))"
  echo
  machine_line
  echo
  echo "| page | status | median ms | min ms | max ms |"
  echo "| --- | --- | --- | --- | --- |"
  for page in "/console/" "/console/jobs?state=dead" "/console/jobs?state=dead&kind=interaction" "/console/jobs?state=ready&kind=embed:1" \
              "/console/jobs?state=retrying" "/console/jobs?state=running" "/console/review" "/console/training" "/console/retrieval"; do
    times=()
    status=""
    for _ in $(seq "$REPS"); do
      read -r code seconds < <(curl -s -b "$jar" -o /dev/null -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$port$page")
      status=$code
      times+=("$seconds")
    done
    printf '%s\n' "${times[@]}" | python3 -c "
import statistics, sys
t = sorted(float(x) * 1000 for x in sys.stdin.read().split())
print(f'| \`$page\` | $status | {statistics.median(t):.0f} | {t[0]:.0f} | {t[-1]:.0f} |')"
  done
} | tee "$OUT/console-results.md"
