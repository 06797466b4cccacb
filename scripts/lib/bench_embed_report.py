#!/usr/bin/env python3
"""Markdown table for scripts/bench-embed.sh: CoachSpool's rows beside the peers' and ratios.

usage: bench_embed_report.py coachspool.json [st_torch.json] [ort.json]   (missing peer files are skipped)"""
import json
import os
import sys

ours = json.load(open(sys.argv[1]))
peers = {}
for label, path in (("torch", sys.argv[2] if len(sys.argv) > 2 else ""), ("ort", sys.argv[3] if len(sys.argv) > 3 else "")):
    if path and os.path.exists(path):
        peers[label] = json.load(open(path))


def find(result, input_name, batch):
    for r in result["rows"]:
        if r["input"] == input_name and r["batch_size"] == batch:
            return r
    return None


def fmt(r, key, digits=1):
    return "-" if r is None else f"{r[key]:,.{digits}f}"


def ratio(a, b):
    return "-" if a is None or b is None else f"{a['sentences_per_s'] / b['sentences_per_s']:.2f}×"


print(f"CPU: {ours['cpu_model']}; BLAS: {ours['blas_library']} — core {ours['blas_core']} ({ours['blas_choice']}); "
      f"encoder kernels: {ours['instruction_set']}\n")
print(f"Threads: {ours['threads']}; median of {ours['runs']} runs after a warm-up; tokens = WordPiece ids incl. "
      "[CLS]/[SEP], truncated at 256, no padding.\n")
ceiling = ours["sgemm_ceiling_gflops"]
print("| input | batch | CoachSpool texts/s | tokens/s | GFLOP/s per thread (of sgemm ceiling) | torch texts/s | ratio | onnxruntime texts/s | ratio |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in ours["rows"]:
    t = find(peers["torch"], r["input"], r["batch_size"]) if "torch" in peers else None
    o = find(peers["ort"], r["input"], r["batch_size"]) if "ort" in peers else None
    print(f"| {r['input']} | {r['batch_size']} | {fmt(r, 'sentences_per_s')} | {fmt(r, 'tokens_per_s', 0)} | "
          f"{r['gflops_per_s_per_thread']:.1f} ({r['gflops_per_s_per_thread'] / ceiling:.0%}) | "
          f"{fmt(t, 'sentences_per_s')} | {ratio(r, t)} | {fmt(o, 'sentences_per_s')} | {ratio(r, o)} |")
print()
acc = ours["accuracy"]
print(f"Accuracy vs minilm_dev.json (60 texts, batches of 32): CoachSpool max |diff| {acc['max_abs_vs_reference']:.2e}, "
      f"min cosine {acc['min_cosine_vs_reference']:.9f}" + (
          f"; onnxruntime max |diff| {peers['ort']['accuracy']['max_abs_vs_reference']:.2e}, "
          f"min cosine {peers['ort']['accuracy']['min_cosine_vs_reference']:.9f}" if "ort" in peers else ""))
loads = [f"CoachSpool start/end {ours['loadavg_at_start']} / {ours['loadavg_at_end']}"]
loads += [f"{k} start/end {v['machine']['loadavg_at_start']} / {v['machine']['loadavg_at_end']}" for k, v in peers.items()]
print("Load average (1 min): " + "; ".join(loads))
print(f"Single-thread sgemm ceiling (8000×384 · 384×1536, same library and run): {ceiling:.1f} GFLOP/s")
