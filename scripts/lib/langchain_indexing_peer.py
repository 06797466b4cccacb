"""The peer of scripts/bench-pipeline.sh: what a Python user would build for CoachSpool's document
pipeline with LangChain's indexing API. Documents are split with RecursiveCharacterTextSplitter
(500/50, like our workers), embedded with HuggingFaceEmbeddings (sentence-transformers,
all-MiniLM-L6-v2, batch 32, normalized, torch on THREADS threads), stored in langchain_postgres'
PGVector, and tracked by SQLRecordManager in the same database, through
index(..., cleanup="incremental", source_id_key="source"): unchanged chunks are skipped, the
chunks of a changed document replaced.

usage: python langchain_indexing_peer.py DOCUMENTS.jsonl MODEL_DIR POSTGRES_URL [--fresh] [--threads N]
  --fresh  drop the collection and the record manager's table first (the first pass)
Prints one JSON line: chunks (split this pass), added, updated, skipped, deleted, setup_s,
index_s, total_s."""
import argparse
import json
import time

parser = argparse.ArgumentParser()
parser.add_argument("documents")
parser.add_argument("model")
parser.add_argument("url")
parser.add_argument("--fresh", action="store_true")
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()

t0 = time.time()
import torch  # noqa: E402

torch.set_num_threads(args.threads)
import sqlalchemy  # noqa: E402
from langchain_classic.indexes import SQLRecordManager  # noqa: E402
from langchain_core.documents import Document  # noqa: E402
from langchain_core.indexing import index  # noqa: E402
from langchain_huggingface import HuggingFaceEmbeddings  # noqa: E402
from langchain_postgres import PGVector  # noqa: E402
from langchain_text_splitters import RecursiveCharacterTextSplitter  # noqa: E402

url = args.url.replace("postgresql://", "postgresql+psycopg://", 1)
namespace = "pgvector/peer"
if args.fresh:
    with sqlalchemy.create_engine(url).begin() as conn:
        conn.execute(sqlalchemy.text("DROP TABLE IF EXISTS upsertion_record"))
embeddings = HuggingFaceEmbeddings(model_name=args.model, encode_kwargs={"batch_size": 32, "normalize_embeddings": True})
store = PGVector(embeddings=embeddings, collection_name="peer", connection=url, use_jsonb=True, pre_delete_collection=args.fresh)
records = SQLRecordManager(namespace, db_url=url)
records.create_schema()
t1 = time.time()

splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
chunks = []
with open(args.documents, encoding="utf-8") as f:
    for line in f:
        d = json.loads(line)
        chunks.extend(Document(page_content=c, metadata={"source": d["id"]}) for c in splitter.split_text(d["text"]))
result = index(chunks, records, store, cleanup="incremental", source_id_key="source", batch_size=100)
t2 = time.time()
print(json.dumps({
    "chunks": len(chunks), "added": result["num_added"], "updated": result["num_updated"],
    "skipped": result["num_skipped"], "deleted": result["num_deleted"],
    "setup_s": round(t1 - t0, 2), "index_s": round(t2 - t1, 2), "total_s": round(t2 - t0, 2),
}))
