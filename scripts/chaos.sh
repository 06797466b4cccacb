#!/usr/bin/env bash
# The fault scenario across hosts (issue 7). Builds test hosts on this machine with network
# namespaces and veth pairs: PostgreSQL in cs-db, worker processes in cs-w1…cs-wN, each host on its
# own link to the database. Runs the whole pipeline (interactions, conversations, knowledge
# documents with the hashing embedder) on INTERACTIONS generated interactions while it
#   - SIGKILLs a random worker every KILL_EVERY seconds and starts a replacement,
#   - cuts one host's link for longer than the lease, then restores it,
#   - restarts PostgreSQL (pg_ctl restart -m fast),
#   - SIGSTOPs a worker past its lease, then SIGCONTs it,
# then checks 0 lost, 0 duplicated, no job left, no dead job, and that the export is
# byte-identical to the export of a calm run of the same input. Cleans up its namespaces,
# processes and server on exit, also when interrupted. Needs root (ip netns).
#
#   scripts/chaos.sh        # INTERACTIONS=100000 HOSTS=3 WORKERS_PER_HOST=2 LEASE=5 KILL_EVERY=3
#   scripts/chaos.sh failover   # failover of a cut-off primary, sync and async (chaos-failover.sh)
#
# CHAOS_DIR (default .coachspool/chaos) holds the input, logs, exports, the results table and the
# cluster; CHAOS_PREFIX (default cs) names the namespaces; COACHSPOOL_BIN skips the release build
# and uses that binary (the test suite's shorter variant does).
set -euo pipefail
# `scripts/chaos.sh failover`: the failover runs of issue 19 (primary and standby on their own hosts).
if [ "${1:-}" = failover ]; then shift; exec "$(dirname "${BASH_SOURCE[0]}")/chaos-failover.sh" "$@"; fi
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"
. "$REPO/scripts/lib/chaos_checks.sh"

INTERACTIONS=${INTERACTIONS:-100000}
HOSTS=${HOSTS:-3}
WORKERS_PER_HOST=${WORKERS_PER_HOST:-2}
LEASE=${LEASE:-5}
KILL_EVERY=${KILL_EVERY:-3}
PREFIX=${CHAOS_PREFIX:-cs}
OUT=${CHAOS_DIR:-$STATE_DIR/chaos}
NET=10.77

[ "$(id -u)" = 0 ] || die "chaos.sh builds network namespaces: run it as root"
ensure_build_deps
ensure_packages iproute2
COACHSPOOL_MODELS=$(dirname "$("$REPO/scripts/fetch-tokenizer.sh" | tail -n 1)")
export COACHSPOOL_MODELS COACHSPOOL_SCHEMA_DIR="$REPO/schema"
if [ -n "${COACHSPOOL_BIN:-}" ]; then COACHSPOOL=$COACHSPOOL_BIN; else build_release; fi
unset DATABASE_URL   # the chaos run has a server of its own
mkdir -p "$OUT"

# The chaos cluster is a cluster of its own (state under $OUT/pg-state), run inside cs-db.
pg() { COACHSPOOL_STATE_DIR="$OUT/pg-state" COACHSPOOL_PG_PORT=5432 ip netns exec "$PREFIX-db" "$REPO/scripts/postgres.sh" "$@"; }
in_host() { local host=$1; shift; ip netns exec "$PREFIX-$host" "$@"; }
db_url() { echo "postgresql://postgres@$NET.$1.1:5432/$2"; }   # the db's address on host N's link
sql() { pg psql -Atq -c "$1"; }
sqldb() { DATABASE_URL="postgresql://postgres@127.0.0.1:5432/$1" pg psql -Atq -c "$2"; }

declare -A WORKER_HOST=()   # pid -> host number
cleanup() {
  set +e
  for pid in "${!WORKER_HOST[@]}"; do kill -CONT "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null; done
  [ -n "${INGEST_PID:-}" ] && kill -KILL "$INGEST_PID" 2>/dev/null
  COACHSPOOL_STATE_DIR="$OUT/pg-state" "$REPO/scripts/postgres.sh" down >/dev/null 2>&1
  for ns in $(ip netns list | awk '{print $1}' | grep "^$PREFIX-"); do ip netns del "$ns"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*" >&2; }

step "network: $PREFIX-db and $HOSTS worker hosts, one veth link each"
( cleanup )   # leftovers of an interrupted run
ip netns add "$PREFIX-db"
ip -n "$PREFIX-db" link set lo up
for n in $(seq 1 "$HOSTS"); do
  ip netns add "$PREFIX-w$n"
  ip -n "$PREFIX-w$n" link set lo up
  ip link add "$PREFIX-db$n" netns "$PREFIX-db" type veth peer name "$PREFIX-h$n" netns "$PREFIX-w$n"
  ip -n "$PREFIX-db" addr add "$NET.$n.1/24" dev "$PREFIX-db$n"
  ip -n "$PREFIX-w$n" addr add "$NET.$n.2/24" dev "$PREFIX-h$n"
  ip -n "$PREFIX-db" link set "$PREFIX-db$n" up
  ip -n "$PREFIX-w$n" link set "$PREFIX-h$n" up
done

step "PostgreSQL in $PREFIX-db, listening on every link"
COACHSPOOL_STATE_DIR="$OUT/pg-state" "$REPO/scripts/postgres.sh" fetch   # the namespaces have no route to PyPI
[ "$(readlink -f "$OUT/pg-state/pg")" != "$(readlink -f "$STATE_DIR/pg" 2>/dev/null)" ] \
  || die "the chaos cluster would share $STATE_DIR/pg with the embedded default"
pg up >/dev/null
conf="$(readlink -f "$OUT/pg-state/pg")/data"
grep -q "$NET.0.0/16" "$conf/pg_hba.conf" || echo "host all all $NET.0.0/16 trust" >>"$conf/pg_hba.conf"
# Dead clients must be noticed quickly, or their locks outlive a cut link.
sql "ALTER SYSTEM SET listen_addresses = '*'" >/dev/null
sql "ALTER SYSTEM SET tcp_keepalives_idle = 5" >/dev/null
sql "ALTER SYSTEM SET tcp_keepalives_interval = 2" >/dev/null
sql "ALTER SYSTEM SET tcp_keepalives_count = 3" >/dev/null
sql "ALTER SYSTEM SET tcp_user_timeout = 10000" >/dev/null
pg restart >/dev/null 2>&1

step "input: $INTERACTIONS generated interactions + the knowledge base"
input="$OUT/interactions.jsonl"
[ -s "$input" ] && [ "$(wc -l <"$input")" = "$INTERACTIONS" ] || python3 "$REPO/scripts/lib/generate_interactions.py" "$INTERACTIONS" "$input"

prepare_db() {   # name
  sql "DROP DATABASE IF EXISTS $1" >/dev/null
  sql "CREATE DATABASE $1" >/dev/null
  in_host w1 env DATABASE_URL="$(db_url 1 "$1")" "$COACHSPOOL" migrate >/dev/null 2>&1
}

queue_left() { sqldb "$1" "SELECT count(*) FROM coachspool.jobs WHERE state IN ('ready', 'running')" 2>/dev/null || echo "?"; }
start_worker() {   # host db; exec all the way down, so that $! is the worker process itself
  local url
  url=$(db_url "$1" "$2")
  ( exec ip netns exec "$PREFIX-w$1" env DATABASE_URL="$url" "$COACHSPOOL" work --embedder hash --lease "$LEASE" \
      --poll 1 --concurrency 1 --log-level error >>"$OUT/workers.log" 2>&1 ) &
  WORKER_HOST[$!]=$1
}
run_export() {   # db dir
  rm -rf "$2"
  in_host w1 env DATABASE_URL="$(db_url 1 "$1")" "$COACHSPOOL" export --format openai --out "$2" >/dev/null 2>>"$OUT/export.log"
}
ingest_all() {   # db
  in_host w1 env DATABASE_URL="$(db_url 1 "$1")" "$COACHSPOOL" ingest "$input" >/dev/null 2>>"$OUT/ingest.log" \
    && in_host w1 env DATABASE_URL="$(db_url 1 "$1")" "$COACHSPOOL" ingest --format documents "$REPO/scripts/sample-data/knowledge" >/dev/null 2>>"$OUT/ingest.log"
}

step "calm run: one worker, no faults"
prepare_db coachspool_calm
ingest_all coachspool_calm
calm_start=$(date +%s)
in_host w1 env DATABASE_URL="$(db_url 1 coachspool_calm)" "$COACHSPOOL" work --drain --embedder hash --concurrency 2 --log-level error >/dev/null
echo "calm run drained in $(( $(date +%s) - calm_start )) s" >&2
run_export coachspool_calm "$OUT/export-calm"

step "chaos run: $((HOSTS * WORKERS_PER_HOST)) workers on $HOSTS hosts, lease ${LEASE} s"
prepare_db coachspool_chaos
: >"$OUT/workers.log"
for n in $(seq 1 "$HOSTS"); do for _ in $(seq 1 "$WORKERS_PER_HOST"); do start_worker "$n" coachspool_chaos; done; done
# Ingest while the faults happen: a restart may break it; a rerun completes the file.
( until ingest_all coachspool_chaos; do sleep 1; done ) &
INGEST_PID=$!

start=$(date +%s)
kills=0; cut_done=0; restart_done=0; stop_done=0; stopped_pid=""; cut_host=$(( HOSTS > 1 ? 2 : 1 ))
next_kill=$((start + KILL_EVERY))
while true; do
  now=$(date +%s); t=$((now - start))
  if [ "$now" -ge "$next_kill" ]; then
    pids=("${!WORKER_HOST[@]}")
    victim=${pids[RANDOM % ${#pids[@]}]}
    if [ "$victim" != "$stopped_pid" ]; then
      host=${WORKER_HOST[$victim]}
      kill -KILL "$victim" 2>/dev/null || true
      wait "$victim" 2>/dev/null || true
      unset "WORKER_HOST[$victim]"
      start_worker "$host" coachspool_chaos
      kills=$((kills + 1))
      echo "t=${t}s SIGKILL worker $victim on w$host; replacement $!" >&2
    fi
    next_kill=$((now + KILL_EVERY))
  fi
  # Like a supervisor (systemd Restart=always, RestartSec=2), start a replacement for a worker
  # that exited on its own (one that starts while its link is down cannot connect and exits).
  [ "$now" -ge "${next_reap:-0}" ] && next_reap=$((now + 2)) && for pid in "${!WORKER_HOST[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      host=${WORKER_HOST[$pid]}
      wait "$pid" 2>/dev/null || true
      unset "WORKER_HOST[$pid]"
      start_worker "$host" coachspool_chaos
      echo "t=${t}s worker $pid on w$host exited; replacement $!" >&2
    fi
  done
  if [ "$cut_done" = 0 ] && [ "$t" -ge 4 ]; then
    ip -n "$PREFIX-w$cut_host" link set "$PREFIX-h$cut_host" down
    echo "t=${t}s link of w$cut_host down" >&2
    cut_done=1; cut_until=$((now + 3 * LEASE))
  fi
  if [ "$cut_done" = 1 ] && [ "$now" -ge "$cut_until" ]; then
    ip -n "$PREFIX-w$cut_host" link set "$PREFIX-h$cut_host" up
    echo "t=${t}s link of w$cut_host up again" >&2
    cut_done=2
  fi
  if [ "$restart_done" = 0 ] && [ "$t" -ge 8 ]; then
    pg restart >/dev/null 2>&1 && echo "t=${t}s PostgreSQL restarted (pg_ctl restart -m fast)" >&2
    restart_done=1
  fi
  if [ "$stop_done" = 0 ] && [ "$t" -ge 12 ]; then
    for pid in "${!WORKER_HOST[@]}"; do [ "${WORKER_HOST[$pid]}" = "$HOSTS" ] && stopped_pid=$pid && break; done
    kill -STOP "$stopped_pid"; echo "t=${t}s SIGSTOP worker $stopped_pid on w$HOSTS" >&2
    stop_done=1; stop_until=$((now + 3 * LEASE))
  fi
  if [ "$stop_done" = 1 ] && [ "$now" -ge "$stop_until" ]; then
    kill -CONT "$stopped_pid"; echo "t=${t}s SIGCONT worker $stopped_pid" >&2
    stop_done=2
  fi
  if [ "$cut_done" = 2 ] && [ "$restart_done" = 1 ] && [ "$stop_done" = 2 ] && ! kill -0 "$INGEST_PID" 2>/dev/null \
     && [ "$(queue_left coachspool_chaos)" = 0 ]; then
    break
  fi
  [ "$t" -lt 1800 ] || die "the chaos run did not drain in 30 minutes"
  sleep 0.5
done
wait "$INGEST_PID" || true; INGEST_PID=""
for pid in "${!WORKER_HOST[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "${!WORKER_HOST[@]}"; do wait "$pid" 2>/dev/null || true; unset "WORKER_HOST[$pid]"; done
chaos_s=$(( $(date +%s) - start ))
run_export coachspool_chaos "$OUT/export-chaos"

step "checks"
q() { sqldb coachspool_chaos "$1"; }
read -r accepted processed texts conversations built documents embedded duplicated <<<"$(chaos_counts q)"
left=$(q "SELECT count(*) FROM coachspool.jobs WHERE state IN ('ready', 'running')")
dead=$(q "SELECT count(*) FROM coachspool.jobs WHERE state = 'dead'")
lines=$(wc -l <"$input")
calm_sum=$(export_sum "$OUT/export-calm")
chaos_sum=$(export_sum "$OUT/export-chaos")
lost=$(( lines - accepted + accepted - processed + accepted - texts + conversations - built + documents - embedded ))
identical=no; [ "$calm_sum" = "$chaos_sum" ] && identical=yes
cat <<REPORT | tee "$OUT/chaos-results.md"
| check | value |
| --- | --- |
| input lines / interactions accepted | $lines / $accepted |
| interactions processed (verdict, redacted texts) | $processed, $texts |
| conversations built / recorded | $built / $conversations |
| documents embedded / ingested | $embedded / $documents |
| **lost** | **$lost** |
| **duplicated** derived rows per (source, version) | **$duplicated** |
| jobs left ready or running | $left |
| dead jobs | $dead |
| export sha256 calm / chaos | $calm_sum / $chaos_sum |
| **export byte-identical** | **$identical** |
| faults | $kills SIGKILLs, link of w$cut_host cut for $((3 * LEASE)) s, 1 PostgreSQL restart, 1 SIGSTOP for $((3 * LEASE)) s |
| chaos run | $chaos_s s with $((HOSTS * WORKERS_PER_HOST)) workers on $HOSTS hosts |
REPORT
[ "$lost" = 0 ] && [ "$duplicated" = 0 ] && [ "$left" = 0 ] && [ "$dead" = 0 ] && [ "$identical" = yes ]
