#!/usr/bin/env bash
# Installs the trainer's Python environment (scripts/train/requirements.txt: torch, transformers,
# peft, trl, datasets, accelerate, pinned) from PyPI into .coachspool/trainer-venv (or
# $COACHSPOOL_TRAINER_VENV). The wheels are downloaded first into .coachspool/wheels/trainer and
# installed from there, so a rebuilt environment downloads nothing again. About 6 GB installed
# (+ ~3 GB of wheels): PyPI's torch brings the CUDA libraries (there is no CPU-only torch wheel on
# PyPI). Idempotent: reinstalls only when the requirements change. Prints the environment's
# python as its last line.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

python_env "${COACHSPOOL_TRAINER_VENV:-$STATE_DIR/trainer-venv}" "$REPO/scripts/train/requirements.txt" \
  "$STATE_DIR/wheels/trainer" "import torch, trl, peft, transformers, datasets, accelerate, gguf, sacrebleu, matplotlib" \
  "the trainer's environment (about 6 GB, a few minutes)"
