"""The driver of scripts/bench-pipeline.sh: the same documents, from an empty database to
searchable vectors, by CoachSpool (ingest, then worker processes with --drain) and by LangChain's
indexing API (langchain_indexing_peer.py), then a second pass over the same documents with some
changed. Order: ours, peer, ours, peer, each on a database of its own on the same server.

For each run: wall seconds; chunks embedded by that pass; client CPU seconds and peak RSS (from
wait4 of each process: ours sums the ingest and the workers' CPU and reports the largest
process's RSS); database CPU seconds (the postmaster's tree, exited backends included). After
each pass, the chunks of both are compared: same (document, text) multiset, or the differences.

usage: bench_pipeline.py OUT.json --coachspool BIN --psql PSQL --peer-python PY --peer SCRIPT
           --model DIR --server URL --first DOCS.jsonl --second DOCS.jsonl [--procs N] [--threads N]"""
import argparse
import json
import re
import os
import subprocess
import sys
import time
from collections import Counter

import cpu_account

p = argparse.ArgumentParser()
p.add_argument("out")
for name in ("coachspool", "psql", "peer-python", "peer", "model", "server", "first", "second"):
    p.add_argument("--" + name, required=True)
p.add_argument("--procs", type=int, default=1)
p.add_argument("--threads", type=int, default=2)
args = p.parse_args()
base = args.server.rsplit("/", 1)[0]
OURS_URL, PEER_URL = base + "/coachspool_bench_pipeline", base + "/coachspool_bench_pipeline_peer"


def psql(url, sql):
    return subprocess.run([args.psql, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def wait(process):
    """(cpu seconds, max rss MB) of an exited child; fails on a non-zero exit."""
    status, cpu, rss = cpu_account.reap(process)
    if status != 0:
        sys.exit(f"{process.args[:3]} failed with status {status}")
    return cpu, rss


def ours(documents):
    env = dict(os.environ, DATABASE_URL=OURS_URL, COACHSPOOL_LOG_LEVEL="warning")
    since = psql(OURS_URL, "SELECT now()")
    ingest = subprocess.Popen([args.coachspool, "ingest", "--format", "documents", documents], env=env, stdout=subprocess.DEVNULL)
    cpu, rss = wait(ingest)
    workers = [subprocess.Popen([args.coachspool, "work", "--drain", "--embedder", "minilm", "--threads", str(args.threads)],
                                env=env, stdout=subprocess.DEVNULL) for _ in range(args.procs)]
    for w in workers:
        c, r = wait(w)
        cpu, rss = cpu + c, max(rss, r)
    state = psql(OURS_URL, "SELECT string_agg(index_state, ',') FROM coachspool.space_indexes")
    embedded = int(psql(OURS_URL, f"SELECT count(*) FROM coachspool.chunks WHERE embedded_at >= '{since}'"))
    return {"client_cpu_s": cpu, "peak_rss_mb": rss, "chunks_embedded": embedded, "index_state": state}


def peer(documents, fresh):
    cmd = [args.peer_python, args.peer, documents, args.model, PEER_URL, "--threads", str(args.threads)] + (["--fresh"] if fresh else [])
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    cpu, rss = wait(process)
    result = json.loads(output.strip().splitlines()[-1])
    return {"client_cpu_s": cpu, "peak_rss_mb": rss, "chunks_embedded": result["added"] + result["updated"], "indexing": result}


def chunks(url, sql):
    return Counter(tuple(x) for x in json.loads(psql(url, f"SELECT coalesce(json_agg(json_build_array(a, b)), '[]') FROM ({sql}) t(a, b)")))


# A placeholder of our redaction ("<PERSON_1>", "<EMAIL>"): documents are redacted before they are
# chunked and embedded, LangChain's are not, so a chunk of ours with placeholders is the same
# chunk as LangChain's where the rest of the text is equal (each placeholder standing for some text).
PLACEHOLDER = re.compile(r"<(?:PERSONNUMMER|EMAIL|PHONE|CARD|IBAN|IP|URL_SECRET|PERSON|ADDRESS)(?:_\d+)?>")


def pair_redacted(only_ours, only_peer):
    """How many of our chunks not found verbatim in LangChain's match one of its chunks of the same
    document, each redaction placeholder standing for some text; each peer chunk pairs once."""
    left = {}
    for (document, text), n in only_peer.items():
        left.setdefault(document, []).extend([text] * n)
    paired = 0
    for (document, text), n in only_ours.items():
        if not PLACEHOLDER.search(text):
            continue
        pattern = re.compile(".+?".join(re.escape(part) for part in PLACEHOLDER.split(text)), re.S)
        for _ in range(n):
            candidates = left.get(document, [])
            match = next((i for i, other in enumerate(candidates) if pattern.fullmatch(other)), None)
            if match is None:
                break
            candidates.pop(match)
            paired += 1
    return paired


def compare():
    a = chunks(OURS_URL, """SELECT d.external_id, c.body FROM coachspool.chunks c JOIN coachspool.documents d ON d.id = c.document_id""")
    b = chunks(PEER_URL, """SELECT e.cmetadata->>'source', e.document FROM langchain_pg_embedding e
                              JOIN langchain_pg_collection c ON c.uuid = e.collection_id WHERE c.name = 'peer'""")
    only_ours, only_peer = a - b, b - a
    redacted = pair_redacted(only_ours, only_peer)
    return {"ours": sum(a.values()), "peer": sum(b.values()), "identical": a == b,
            "only_ours": sum(only_ours.values()), "only_peer": sum(only_peer.values()), "redacted_pairs": redacted,
            "same_but_redaction": a != b and redacted == sum(only_ours.values()) == sum(only_peer.values())}


for url in (OURS_URL, PEER_URL):
    name = url.rsplit("/", 1)[1]
    psql(base + "/postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(base + "/postgres", f"CREATE DATABASE {name}")
psql(PEER_URL, "CREATE EXTENSION vector")
subprocess.run([args.coachspool, "migrate"], env=dict(os.environ, DATABASE_URL=OURS_URL), check=True, stdout=subprocess.DEVNULL)

runs, checks = [], []
server = cpu_account.postmaster(args.psql, args.server)
for number, documents in ((1, args.first), (2, args.second)):
    for system in ("coachspool", "langchain"):
        print(f"pass {number}: {system}…", file=sys.stderr)
        db0, t0 = cpu_account.tree_cpu(server), time.time()
        result = ours(documents) if system == "coachspool" else peer(documents, fresh=number == 1)
        seconds = time.time() - t0
        result.update(system=system, run_pass=number, seconds=seconds, database_cpu_s=cpu_account.tree_cpu(server) - db0,
                      chunks_per_s=result["chunks_embedded"] / seconds)
        runs.append(result)
        print(json.dumps(result), file=sys.stderr)
    checks.append(dict(compare(), run_pass=number))
json.dump({"procs": args.procs, "threads": args.threads, "runs": runs, "same_chunks": checks,
           "load1": os.getloadavg()[0]}, open(args.out, "w"), indent=1)
