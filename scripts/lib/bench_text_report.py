#!/usr/bin/env python3
"""Markdown table for scripts/bench-text.sh: CoachSpool's rows beside the peers' and ratios.

usage: bench_text_report.py coachspool.json tiktoken.json splitter.json"""
import json
import sys

ours = json.load(open(sys.argv[1]))
tiktoken = json.load(open(sys.argv[2]))
splitter = json.load(open(sys.argv[3]))


def find(rows, **match):
    """The first row whose fields contain the given substrings (or equal the given numbers)."""
    for r in rows:
        if all((v in r[k]) if isinstance(v, str) else r[k] == v for k, v in match.items()):
            return r
    return None


def mb(r):
    return "-" if r is None else f"{r['MB_per_s']:,.1f}"


def ratio(a, b):
    return "-" if a is None or b is None else f"{a['MB_per_s'] / b['MB_per_s']:.2f}×"


O, T, S = ours["rows"], tiktoken["rows"], splitter["rows"]
rows = [
    ("tokens, whole text, 1 thread", find(O, stage="tokens", what="whole text"),
     "tiktoken encode_ordinary, 1 call", find(T, what="encode_ordinary, 1 call"), "≥ 1× tiktoken"),
    ("tokens, per document, 1 thread", find(O, stage="tokens", what="docs, 1 thread"),
     "tiktoken encode_ordinary_batch, 1 thread", find(T, what="docs, 1 thread"), ""),
    ("tokens, per document, 2 threads", find(O, stage="tokens", what="docs, 2 threads"),
     "tiktoken encode_ordinary_batch, 2 threads", find(T, what="docs, 2 threads"), ""),
]
for size, overlap in ((500, 50), (1000, 200)):
    stage = f"chunk {size}/{overlap}"
    whole = find(S, chunk_size=size, chunk_overlap=overlap, what="whole")
    rows += [
        (f"{stage}, whole text, [String] copies", find(O, stage=stage, what="[String]"),
         "LangChain split_text, whole text", whole, "≥ 20× LangChain"),
        (f"{stage}, whole text, [Substring] slices", find(O, stage=stage, what="[Substring]"),
         "LangChain split_text, whole text", whole, "≥ 20× LangChain"),
        (f"{stage}, ~20 KB documents, [String]", find(O, stage=stage, what="docs"),
         "LangChain, ~20 KB documents", find(S, chunk_size=size, chunk_overlap=overlap, what="docs"), ""),
    ]
rows += [(f"redact, {r['what']}", r, "(no peer)", None, "≥ 50 MB/s") for r in O if r["stage"] == "redact"]

print(f"Corpus: {ours['corpus_bytes']:,} bytes (the peers' 10 MB text read with universal newlines), "
      f"{ours['n_tokens']:,} cl100k tokens, chunks {ours['n_chunks']}, {ours['n_entities']} PII entities found.\n")
print("| stage | CoachSpool MB/s | peer | peer MB/s | ratio | target |")
print("| --- | --- | --- | --- | --- | --- |")
for name, o, peer_name, p, target in rows:
    print(f"| {name} | {mb(o)} | {peer_name} | {mb(p)} | {ratio(o, p)} | {target} |")
print()
print("Identity checks on the whole corpus: " + "; ".join(f"{k}: {v}" for k, v in sorted(ours["checks"].items())))
print(f"Load average: CoachSpool run end {[round(x, 2) for x in ours['loadavg']]}; "
      f"tiktoken start/end {tiktoken['machine']['loadavg_at_start']} / {tiktoken['machine']['loadavg_at_end']}; "
      f"LangChain start/end {splitter['machine']['loadavg_at_start']} / {splitter['machine']['loadavg_at_end']}")
