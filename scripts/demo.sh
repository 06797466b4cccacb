#!/usr/bin/env bash
# The main job end to end on the embedded default: set-up, build, PostgreSQL + pgvector, migrate,
# ingest the sample data (with a few bad lines), workers until the queue is drained, and what
# happened. Set DATABASE_URL to use another server instead (it must have pgvector available).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"
SAMPLES="$REPO/scripts/sample-data"

step() { printf '\n== %s\n' "$*"; }

step "set-up"
ensure_build_deps
build_release
use_database
export COACHSPOOL_SCHEMA_DIR="$REPO/schema"
echo "database: ${DATABASE_URL%%\?*}"

step "migrate (twice: the second run has nothing to do)"
"$COACHSPOOL" migrate
"$COACHSPOOL" migrate

step "ingest the seed's log lines and coaching sessions"
"$COACHSPOOL" ingest --format interactions "$SAMPLES/interactions.jsonl"
"$COACHSPOOL" ingest --format sessions "$SAMPLES/sessions.jsonl"

step "ingest a file with bad lines (valid ones are kept; exit status 3 says some were rejected)"
rejects="$STATE_DIR/demo-rejects.jsonl"
status=0
"$COACHSPOOL" ingest --rejects "$rejects" "$SAMPLES/bad-lines.jsonl" || status=$?
echo "exit status $status; rejected lines are in $rejects"

step "ingest the same file again: nothing is added twice"
"$COACHSPOOL" ingest "$SAMPLES/interactions.jsonl"

step "the coach app logs an exchange through SQL, and the user's rating arrives later"
id=$("$REPO/scripts/postgres.sh" psql -Atq -c "SELECT coachspool.log_interaction(
    p_user_input => 'Jag vill bli bättre på att planera min vecka.',
    p_ai_response => 'Börja med det som redan är bestämt, som föreläsningar och deadlines, och lägg sedan in korta fokuspass med pauser.',
    p_mode => 'university', p_session_id => 'app-42', p_user_id => 'user-1', p_language => 'sv')")
echo "log_interaction returned id $id"
"$REPO/scripts/postgres.sh" psql -Atq -c "SELECT coachspool.log_feedback($id, 5, true)" >/dev/null
echo "log_feedback($id, 5, true) recorded"

step "queue before the workers"
"$COACHSPOOL" status

step "two worker processes drain the queue"
"$COACHSPOOL" work --drain --concurrency 2 --log-level warning &
w1=$!
"$COACHSPOOL" work --drain --concurrency 2 --log-level warning &
w2=$!
wait "$w1" "$w2"

step "after"
"$COACHSPOOL" status

step "admin SQL: why interactions were rejected"
"$REPO/scripts/postgres.sh" psql -c "SELECT unnest(reasons) AS reason, count(*) FROM coachspool.quality_verdicts GROUP BY 1 ORDER BY 2 DESC"
"$REPO/scripts/postgres.sh" psql -c "SELECT i.id, i.mode, v.rating, v.accepted, v.reasons FROM coachspool.interactions i JOIN coachspool.quality_verdicts v ON v.interaction_id = i.id WHERE i.id = $id"
