#!/usr/bin/env bash
# Installs the trainer's Python environment (scripts/train/requirements.txt: torch, transformers,
# peft, trl, datasets, accelerate, pinned) from PyPI into .coachspool/trainer-venv (or
# $COACHSPOOL_TRAINER_VENV), with pip's downloads cached in .coachspool/pip-cache. About 6 GB:
# PyPI's torch brings the CUDA libraries (there is no CPU-only torch wheel on PyPI). Idempotent:
# reinstalls only when the requirements change. Prints the environment's python as its last line.
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
  "$VENV/bin/pip" install -q --disable-pip-version-check --cache-dir "$STATE_DIR/pip-cache" -r "$REQUIREMENTS" >&2 \
    || die "pip could not install $REQUIREMENTS (is PyPI reachable?)"
  "$VENV/bin/python" -c "import torch, trl, peft, transformers, datasets, accelerate" \
    || die "the trainer's environment in $VENV does not import; delete it and rerun"
  echo "$want" >"$stamp"
fi
echo "$VENV/bin/python"
