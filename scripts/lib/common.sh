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
  ensure_packages libpq-dev pkg-config unzip
  if ! command -v swift >/dev/null && [ -x /opt/swift/usr/bin/swift ]; then PATH="/opt/swift/usr/bin:$PATH"; fi
  command -v swift >/dev/null || die "swift is not on PATH (Swift 6.1 or newer is needed)"
  python3 -m pip --version >/dev/null 2>&1 || ensure_packages python3-pip
}
