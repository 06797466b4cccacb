#!/usr/bin/env bash
# Embedding throughput beside the Python peers (sentence-transformers on PyTorch, onnxruntime),
# same inputs, batch sizes, threads and timing rule, in one run. Prints a markdown table and
# writes it to .coachspool/bench/embed/embed-results.md.
#
#   scripts/bench-embed.sh            # PEERS=0 skips the peers (our rows only)
#
# Steps: fetch the model, set up a venv with the peers' packages (the versions of the shared
# reference: torch 2.15.0, sentence-transformers 6.2.0, transformers 5.24.0, onnxruntime 1.32.0;
# several GB, since PyPI's torch brings CUDA wheels) in .coachspool/ml-peers-venv, export the
# ONNX graph once, run bench_st.py and bench_ort.py, then `coachspool-bench embed` (which first
# checks its vectors against minilm_dev.json).
# Environment: PEERS_DIR (REPO/../shared/peers), RUNS (3), THREADS (2), BATCH_SIZES ("32 64").
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

PEERS_DIR=${PEERS_DIR:-$REPO/../shared/peers}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
BATCH_SIZES=${BATCH_SIZES:-32 64}
PEERS=${PEERS:-1}
OUT="$STATE_DIR/bench/embed"
VENV="$STATE_DIR/ml-peers-venv"
[ -d "$PEERS_DIR/ml" ] || die "peer benchmarks not found in $PEERS_DIR/ml (set PEERS_DIR)"

ensure_build_deps
export COACHSPOOL_MODELS="$MODELS_DIR"
MODEL=$("$REPO/scripts/fetch-model.sh" | tail -n 1)

say "building coachspool-bench (release)…"
(cd "$REPO" && swift build -c release --product coachspool-bench >&2)
BENCH="$(cd "$REPO" && swift build -c release --show-bin-path)/coachspool-bench"

mkdir -p "$OUT"
rm -rf "$OUT/peers-ml" && cp -r "$PEERS_DIR/ml" "$OUT/peers-ml" && chmod -R u+w "$OUT/peers-ml"
rm -rf "$OUT/peers-ml/results"
if [ "$PEERS" = 1 ]; then
  ensure_packages python3-venv
  if ! "$VENV/bin/python" -c "import torch, sentence_transformers, onnxruntime, onnx" 2>/dev/null; then
    say "setting up the ML peers' venv in $VENV (PyPI; several GB)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q torch==2.15.0 sentence-transformers==6.2.0 transformers==5.24.0 \
      onnxruntime==1.32.0 onnx numpy==2.4.6 tokenizers==0.23.3 >&2
  fi
  PY="$VENV/bin/python"
  if [ ! -s "$OUT/minilm-l6-v2.onnx" ]; then
    say "exporting the ONNX graph (export_onnx.py)"
    (cd "$OUT/peers-ml" && "$PY" export_onnx.py --model "$MODEL" --out "$OUT/minilm-l6-v2.onnx" >&2)
  fi
  # The peers read the reference from shared/reference relative to their own folder.
  mkdir -p "$OUT/shared" && rm -rf "$OUT/shared/reference" && cp -r "$PEERS_DIR/../reference" "$OUT/shared/reference"
  sed -i "s|^SHARED_REF = .*|SHARED_REF = \"$OUT/shared/reference\"|; s|^DATA = .*|DATA = \"$PEERS_DIR/data\"|" "$OUT/peers-ml/common.py"
  # shellcheck disable=SC2086
  (cd "$OUT/peers-ml" \
    && HF_HUB_OFFLINE=1 "$PY" bench_st.py --model "$MODEL" --threads "$THREADS" --runs "$RUNS" --batch-sizes $BATCH_SIZES >&2 \
    && "$PY" bench_ort.py --model "$MODEL" --onnx "$OUT/minilm-l6-v2.onnx" --threads "$THREADS" --runs "$RUNS" --batch-sizes $BATCH_SIZES >&2)
fi

say "CoachSpool: coachspool-bench embed"
"$BENCH" embed --inputs "$PEERS_DIR/data/bench_short.json,$PEERS_DIR/data/bench_long.json" \
  --reference "$REPO/Tests/Fixtures/reference/minilm_dev.json" --threads "$THREADS" --runs "$RUNS" \
  --batch-sizes "${BATCH_SIZES// /,}" > "$OUT/coachspool.json"

python3 "$REPO/scripts/lib/bench_embed_report.py" "$OUT/coachspool.json" \
  "$OUT/peers-ml/results/st_torch_threads$THREADS.json" "$OUT/peers-ml/results/ort_threads$THREADS.json" \
  | tee "$OUT/embed-results.md"
