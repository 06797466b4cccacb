#!/usr/bin/env bash
# Regenerates Sources/Stages/Redaction/Names/WideNameLists.swift from pinned public lists (run by
# a developer who changes the curated lists or the sources; the output is committed, nothing here
# runs at build or test time).
#
#   scripts/names/wide-names.sh
#
# Downloads, sha256-checked: Faker 40.63.0 (MIT) and names 0.3.0 (MIT; the 1990 US Census name
# files, public domain); installs Debian's word lists (wamerican, wbritish, wswedish) that the
# generator uses to leave out every name that is also a word. See wide_names.py.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

ensure_packages wamerican wbritish wswedish python3-pip unzip
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 -m pip download -q --no-deps -d "$WORK" faker==40.63.0 names==0.3.0 >&2
check() { echo "$2  $WORK/$1" | sha256sum -c --quiet - || die "$1: unexpected sha256"; }
check faker-40.63.0-py3-none-any.whl 36627c20b575b4138f54b6c21f8703e9ab122fd487aca11319beec2aa6ca7232
check names-0.3.0.tar.gz 726e46254f2ed03f1ffb5d941dae3bc67c35123941c29becd02d48d0caa2a671
(cd "$WORK" && mkdir faker && unzip -q faker-40.63.0-py3-none-any.whl -d faker && tar xzf names-0.3.0.tar.gz)
python3 "$REPO/scripts/names/wide_names.py" "$WORK/faker" "$WORK/names-0.3.0/names" "$REPO"
say "wrote Sources/Stages/Redaction/Names/WideNameLists.swift"
