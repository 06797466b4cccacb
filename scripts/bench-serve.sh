#!/usr/bin/env bash
# The HTTP path's cost: OpenAI-compatible /v1/embeddings of `coachspool serve` under N concurrent
# clients, beside the same model in process (`coachspool embed`, same texts), in one run. Each
# client sends one short text per request (what a coach app does per message) with the official
# request shape; the server batches concurrent requests into shared forward passes. Prints a
# markdown table (and writes it to .coachspool/bench/serve/serve-results.md).
#
#   scripts/bench-serve.sh      # CLIENTS="1 4 16" REQUESTS=400 (per concurrency level)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"

CLIENTS=${CLIENTS:-1 4 16}
REQUESTS=${REQUESTS:-400}
PEERS_DIR=${PEERS_DIR:-$REPO/../shared/peers}
OUT="$STATE_DIR/bench/serve"
ensure_build_deps
ensure_packages curl   # talks to `coachspool serve` with curl
COACHSPOOL_MODELS=$(dirname "$("$REPO/scripts/fetch-tokenizer.sh" | tail -n 1)")
export COACHSPOOL_MODELS
"$REPO/scripts/fetch-model.sh" >/dev/null
PYTHON=$("$REPO/scripts/fetch-clients.sh" | tail -n 1)
build_release
use_database
mkdir -p "$OUT"
texts="$OUT/texts.jsonl"
python3 -c '
import json, sys
for t in json.load(open(sys.argv[1]))[:int(sys.argv[2])]: print(json.dumps({"text": t}, ensure_ascii=False))' \
  "$PEERS_DIR/data/bench_short.json" "$REQUESTS" >"$texts"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=$(python3 -c "import secrets; print(secrets.token_hex(32))")
COACHSPOOL_API_TOKENS=$token "$COACHSPOOL" serve --port "$port" --log-level warning &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true' EXIT
for _ in $(seq 150); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break; sleep 0.2; done

{
  echo "$(machine_line)"
  echo
  echo "| path | clients | requests/s | texts/s | p50 ms | p95 ms |"
  echo "| --- | --- | --- | --- | --- | --- |"
  start=$(date +%s.%N)
  "$COACHSPOOL" embed --jsonl --log-level warning <"$texts" >/dev/null
  end=$(date +%s.%N)
  python3 -c "import sys; n=int(sys.argv[1]); s=float(sys.argv[3])-float(sys.argv[2]); print(f'| in process (coachspool embed, batches of 32) | - | - | {n/s:.1f} | - | - |')" "$REQUESTS" "$start" "$end"
  for clients in $CLIENTS; do
    "$PYTHON" - "http://127.0.0.1:$port/v1" "$token" "$texts" "$clients" <<'PY'
import json, sys, time, threading, statistics
from openai import OpenAI
base, token, path, clients = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
texts = [json.loads(line)["text"] for line in open(path)]
client = OpenAI(base_url=base, api_key=token, max_retries=0)
client.embeddings.create(model="all-MiniLM-L6-v2", input=texts[0])  # warm-up
latencies, lock, cursor = [], threading.Lock(), iter(range(len(texts)))
def worker():
    while True:
        with lock:
            i = next(cursor, None)
        if i is None: return
        t = time.perf_counter()
        client.embeddings.create(model="all-MiniLM-L6-v2", input=texts[i])
        with lock: latencies.append(time.perf_counter() - t)
start = time.perf_counter()
threads = [threading.Thread(target=worker) for _ in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.perf_counter() - start
q = statistics.quantiles(latencies, n=20)
print(f"| HTTP /v1/embeddings (openai client) | {clients} | {len(texts)/elapsed:.1f} | {len(texts)/elapsed:.1f} | {statistics.median(latencies)*1000:.1f} | {q[18]*1000:.1f} |")
PY
  done
} | tee "$OUT/serve-results.md"
