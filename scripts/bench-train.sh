#!/usr/bin/env bash
# What LoRA training and generation cost on this machine, beside what the hardware could do: the
# CPU, torch's BLAS, sgemm GFLOP/s, the LoRA training ceiling (sgemm FLOP/s / (4 × parameters)),
# measured training tokens/s on SmolLM2-135M-Instruct with train.py's former defaults (padded
# batches, gradient checkpointing, ...) and its current ones (padding-free, ...) in the same run,
# and greedy generation tokens/s at batch 1 and 8. Prints a markdown table and writes it (and
# the figures as JSON) to .coachspool/bench/train/.
#
#   scripts/bench-train.sh [--quick] [--steps N] [--threads N] [--busy-neighbour]
#
# About 5 minutes on 2 cores (--quick: about 3). Installs the trainer's environment and fetches
# and converts the model first if needed (scripts/fetch-trainer.sh, scripts/fetch-base-model.sh);
# the measurement itself reads nothing from the network. MODEL=DIR measures another local model
# folder. Other processes' CPU use during each measurement is in the table: hosts are shared.
# --busy-neighbour runs each training measurement beside a process spinning on one core (what a
# parallel test suite or a build does to a 2-core machine).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

python=$("$REPO/scripts/fetch-trainer.sh" | tail -n 1)
model=${MODEL:-$("$REPO/scripts/fetch-base-model.sh" | tail -n 1)}
[ -f "$model/config.json" ] || die "$model: not a Hugging Face model folder (config.json missing)"
out="$STATE_DIR/bench/train"
mkdir -p "$out"
HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
  "$python" "$REPO/scripts/lib/bench_train.py" --model "$model" --out "$out" "$@"
