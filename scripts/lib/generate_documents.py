"""Synthetic knowledge documents for the scaling benchmark: N documents of the JSON Lines
documents format, each the text of one of the shipped sample documents
(scripts/sample-data/knowledge/) with its paragraphs rotated and numbered, so that every
document and chunk is different but the length and language mix match the real ones.

usage: python3 scripts/lib/generate_documents.py N OUT.jsonl
"""
import json, pathlib, sys
n, path = int(sys.argv[1]), sys.argv[2]
folder = pathlib.Path(__file__).resolve().parents[1] / "sample-data" / "knowledge"
samples = []
for file in sorted(folder.glob("*.md")):
    paragraphs = [p.strip() for p in file.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    samples.append((file.stem, file.stem.rsplit(".", 1)[-1], paragraphs))
with open(path, "w", encoding="utf-8") as f:
    for i in range(n):
        stem, language, paragraphs = samples[i % len(samples)]
        k = (i // len(samples)) % len(paragraphs)
        rotated = paragraphs[k:] + paragraphs[:k]
        text = "\n\n".join(f"{p} ({i}.{j})" for j, p in enumerate(rotated))
        line = {"id": f"bench-{i}", "title": f"{stem} #{i}", "text": text, "language": language}
        f.write(json.dumps(line, ensure_ascii=False) + "\n")
