#!/usr/bin/env bash
# The whole test suite against a real PostgreSQL: set-up, the embedded server (unless DATABASE_URL
# is set), `swift test`, and the server stopped again if this script started it.
#
# Each test suite creates and drops its own database on that server, so the server's user must
# be allowed to CREATE DATABASE. The tests that restart PostgreSQL run only on the embedded server.
# Extra arguments go to `swift test` (e.g. `scripts/test.sh --filter Ingest`).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"

ensure_build_deps
# The Patroni example's test runs it for real (Debian's patroni and etcd-server, ~20 s to install).
if [ "$(id -u)" = 0 ]; then ensure_packages patroni etcd-server; fi
COACHSPOOL_MODELS=$(dirname "$("$REPO/scripts/fetch-tokenizer.sh" | tail -n 1)")
export COACHSPOOL_MODELS
"$REPO/scripts/fetch-model.sh" >/dev/null
# The trainer's environment (TRL + PEFT, ~6 GB from PyPI; wheels kept in .coachspool/wheels).
COACHSPOOL_TRAINER_PYTHON=$("$REPO/scripts/fetch-trainer.sh" | tail -n 1)
export COACHSPOOL_TRAINER_PYTHON
# The reference clients the tests compare with (pytrec_eval, OpenAI's `openai`; a few MB).
COACHSPOOL_CLIENTS_PYTHON=$("$REPO/scripts/fetch-clients.sh" | tail -n 1)
export COACHSPOOL_CLIENTS_PYTHON
# The console's browser tests: Debian's chromium and chromium-driver, Selenium from PyPI (pinned);
# ~66 s and ~610 MB on a fresh machine (docs/operations.md, "The console").
COACHSPOOL_BROWSER_PYTHON=$("$REPO/scripts/fetch-browser.sh" | tail -n 1)
export COACHSPOOL_BROWSER_PYTHON
use_database
if [ "$STARTED_EMBEDDED" = 1 ]; then
  trap '"$REPO/scripts/postgres.sh" down || true' EXIT
fi
if [ "$DATABASE_URL" = "$("$REPO/scripts/postgres.sh" url 2>/dev/null || true)" ]; then
  export COACHSPOOL_PG_RESTART="$REPO/scripts/postgres.sh restart"
fi

cd "$REPO"
say "building (debug, with tests)…"
swift build --build-tests >&2
COACHSPOOL_BIN="$(swift build --show-bin-path)/coachspool"
export COACHSPOOL_BIN
export COACHSPOOL_SCHEMA_DIR="$REPO/schema"
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
# The kernel tests check CoachSpool's own choice of OpenBLAS kernels (and force each in turn).
unset OPENBLAS_CORETYPE
swift test --skip-build "$@"
