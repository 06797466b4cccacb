# Build helpers shared by demo.sh, test.sh and the benchmarks. Source after common.sh.
# shellcheck shell=bash

# build_release: builds the coachspool binary (release) and sets COACHSPOOL to its path.
build_release() {
  say "building coachspool (release)…"
  (cd "$REPO" && swift build -c release --product coachspool >&2) || die "swift build failed"
  COACHSPOOL="$(cd "$REPO" && swift build -c release --show-bin-path)/coachspool"
  export COACHSPOOL
}

# use_database: uses $DATABASE_URL when set, else starts the embedded server.
# Sets STARTED_EMBEDDED=1 when this call started it.
use_database() {
  STARTED_EMBEDDED=0
  if [ -n "${DATABASE_URL:-}" ]; then
    say "using DATABASE_URL from the environment"
    return 0
  fi
  if ! "$REPO/scripts/postgres.sh" status >/dev/null 2>&1; then STARTED_EMBEDDED=1; fi
  DATABASE_URL=$("$REPO/scripts/postgres.sh" up | tail -n 1)
  export DATABASE_URL
}
