#!/usr/bin/env bash
# Writes schema/current.sql: the schema as the migrations leave it, for fresh installs and for
# people reading what the schema is (the migrations are its history). Run it after adding a
# migration (MigrationTests fails until current.sql covers the newest one and matches it).
#
# How: a scratch database on $DATABASE_URL's server (or the embedded one) is migrated file by
# file (`coachspool migrate --replay-migrations`), dumped with pg_dump (schema only, without
# owners), and the dump is rewritten: each function's definition becomes a `-- function: FILE`
# line (its one definition stays in schema/functions/, which the Migrator puts in place), the
# function grants go (schema/privileges/grants.sql applies them), and the bookkeeping tables and
# the psql-only lines go. The parts are ordered tables → functions → views → indexes,
# constraints and triggers → privileges, so that every object finds what it needs.
#
# usage: scripts/schema-snapshot.sh     (COACHSPOOL=/path/to/binary skips the build)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"

ensure_build_deps
[ -n "${COACHSPOOL:-}" ] || build_release
use_database
export COACHSPOOL_SCHEMA_DIR=$REPO/schema
scratch=coachspool_schema_snapshot
base=${DATABASE_URL%%\?*}
query=""
[ "$base" != "$DATABASE_URL" ] && query="?${DATABASE_URL#*\?}"
target="${base%/*}/$scratch$query"
"$REPO/scripts/postgres.sh" psql -q -c "DROP DATABASE IF EXISTS $scratch" -c "CREATE DATABASE $scratch" >/dev/null
trap '"$REPO/scripts/postgres.sh" psql -q -c "DROP DATABASE IF EXISTS $scratch" >/dev/null 2>&1 || true' EXIT
DATABASE_URL=$target "$COACHSPOOL" migrate --replay-migrations >/dev/null
newest=$(cd "$REPO/schema" && ls [0-9][0-9][0-9][0-9]_*.sql | sort | tail -n 1)
"$REPO/scripts/postgres.sh" pg_dump --schema-only --schema=coachspool --no-owner "$target" \
  | python3 "$REPO/scripts/lib/schema_snapshot.py" "$REPO/schema" "$newest" > "$REPO/schema/current.sql.tmp"
mv "$REPO/schema/current.sql.tmp" "$REPO/schema/current.sql"
say "wrote schema/current.sql (as of $newest)"
