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

VENV=${COACHSPOOL_TRAINER_VENV:-$STATE_DIR/trainer-venv}
REQUIREMENTS="$REPO/scripts/train/requirements.txt"
stamp="$VENV/.coachspool-requirements.sha256"
want=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)

if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python3 -m venv --help >/dev/null 2>&1 || ensure_packages python3-venv
  say "installing the trainer's environment into $VENV (PyPI; about 6 GB, a few minutes)"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  wheels="$STATE_DIR/wheels/trainer"
  mkdir -p "$wheels"
  "$VENV/bin/pip" download -q --disable-pip-version-check -d "$wheels" -r "$REQUIREMENTS" >&2 \
    || die "pip could not download $REQUIREMENTS (is PyPI reachable?)"
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-index --find-links "$wheels" -r "$REQUIREMENTS" >&2 \
    || die "pip could not install $REQUIREMENTS from $wheels"
  "$VENV/bin/python" -c "import torch, trl, peft, transformers, datasets, accelerate" \
    || die "the trainer's environment in $VENV does not import; delete it and rerun"
  echo "$want" >"$stamp"
fi
echo "$VENV/bin/python"
