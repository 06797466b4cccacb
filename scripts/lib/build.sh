# Build helpers shared by demo.sh, test.sh and the benchmarks. Source after common.sh.
# shellcheck shell=bash

# build_release: builds the coachspool binary (release) and sets COACHSPOOL to its path.
build_release() {
  say "building coachspool (release)…"
  (cd "$REPO" && swift build -c release --product coachspool >&2) || die "swift build failed"
  COACHSPOOL="$(cd "$REPO" && swift build -c release --show-bin-path)/coachspool"
  export COACHSPOOL
}

# machine_line: the CPU and the BLAS kernels, one line; every benchmark table starts with it,
# since hosts of one machine kind differ in CPU (builds the release binary if COACHSPOOL is unset).
machine_line() {
  [ -n "${COACHSPOOL:-}" ] || build_release
  "$COACHSPOOL" hardware --json | python3 -c '
import json, os, sys
h = json.load(sys.stdin)
print(f"CPU: {h['"'"'cpu_model'"'"']} (family {h['"'"'cpu_family'"'"']}, model {h['"'"'cpu_model_number'"'"']}; {os.cpu_count()} cores); BLAS: {h['"'"'blas_library'"'"']}, "
      f"core {h['"'"'blas_core'"'"']} ({h['"'"'blas_choice'"'"']}); encoder kernels: {h['"'"'encoder_kernels'"'"']}")'
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

# bench_setup: what every end-to-end benchmark needs: build tools, the tokenizer, the release
# binary and a database server. Sets COACHSPOOL, COACHSPOOL_MODELS, COACHSPOOL_SCHEMA_DIR and
# SERVER_URL (the server's URL; each benchmark works in a database of its own on it).
# COACHSPOOL=/path/to/binary skips the build, and COACHSPOOL_SCHEMA_DIR=… gives that binary its
# own commit's schema: how two commits' binaries are compared in one run.
bench_setup() {
  ensure_build_deps
  ensure_packages time
  COACHSPOOL_MODELS=$(dirname "$("$REPO/scripts/fetch-tokenizer.sh" | tail -n 1)")
  COACHSPOOL_SCHEMA_DIR=${COACHSPOOL_SCHEMA_DIR:-$REPO/schema}
  export COACHSPOOL_MODELS COACHSPOOL_SCHEMA_DIR
  if [ -n "${COACHSPOOL:-}" ]; then export COACHSPOOL; else build_release; fi
  use_database
  SERVER_URL=$DATABASE_URL
}

# bench_database NAME: drops and re-creates database NAME on SERVER_URL's server, migrates it,
# and prints its URL.
bench_database() {
  local base=${SERVER_URL%%\?*} query=""
  [ "$base" != "$SERVER_URL" ] && query="?${SERVER_URL#*\?}"
  DATABASE_URL=$SERVER_URL "$REPO/scripts/postgres.sh" psql -q -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
  DATABASE_URL="${base%/*}/$1$query" "$COACHSPOOL" migrate >/dev/null 2>&1 || die "migrate of database $1 failed"
  echo "${base%/*}/$1$query"
}
