#!/usr/bin/env bash
# Installs the Python clients the tests check CoachSpool against (scripts/clients/requirements.txt:
# pytrec_eval for the retrieval metrics, OpenAI's `openai` client for /v1/embeddings, psycopg for
# the README's example), pinned, from PyPI into .coachspool/clients-venv (or
# $COACHSPOOL_CLIENTS_VENV). A few MB; idempotent. Prints the environment's python as its last line.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

python_env "${COACHSPOOL_CLIENTS_VENV:-$STATE_DIR/clients-venv}" "$REPO/scripts/clients/requirements.txt" \
  "$STATE_DIR/wheels/clients" "import pytrec_eval, openai, psycopg" "the reference clients"
