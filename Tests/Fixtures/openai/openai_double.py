#!/usr/bin/env python3
"""A local stand-in for an OpenAI-compatible API, speaking its wire format, for tests only.

  openai_double.py [--key KEY] [--fail N --fail-status 429|500|400|401 [--retry-after S]]
                   [--delay S] [--dimensions D] [--log FILE]

POST /v1/embeddings  {"model", "input": [..], "encoding_format", "dimensions"?}
  -> {"object": "list", "data": [{"object": "embedding", "index": i, "embedding": [...]}],
      "model", "usage": {"prompt_tokens", "total_tokens"}}
POST /v1/chat/completions {"model", "messages"} -> {"choices": [{"message": {"role", "content"}}], ...}
Errors use OpenAI's body: {"error": {"message", "type", "code"}}. The first N requests fail
with --fail-status (429 with Retry-After when given). Vectors are deterministic per text.
Prints the port on the first line of stdout; appends one JSON line per request to --log.

As a pairwise judge (`coachspool eval answers`), --judge changes what chat completions answer:
  always-a        "A", whatever it is asked (a judge that only ever picks the first position)
  closer:FILE     the answer sharing more words with FILE's text (a hidden reference), as "A" or
                  "B"; "A" on equal counts. Words: maximal runs of alphanumeric characters,
                  lowercased (the tests count them the same way).
"""
import argparse, hashlib, json, signal, struct, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--key")
ap.add_argument("--fail", type=int, default=0)
ap.add_argument("--fail-status", type=int, default=429)
ap.add_argument("--retry-after")
ap.add_argument("--delay", type=float, default=0)
ap.add_argument("--dimensions", type=int, default=8)
ap.add_argument("--log")
ap.add_argument("--judge")
args = ap.parse_args()
HIDDEN = None
if args.judge and args.judge.startswith("closer:"):
    HIDDEN = open(args.judge[len("closer:"):], encoding="utf-8").read()
# Foundation's Process starts us with its spawning thread's signal mask, where SIGTERM is blocked:
# unblock it, or the tests' terminate() would leave this server running.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
lock = threading.Lock()
state = {"requests": 0}


def words(text):
    out, word = set(), ""
    for ch in text.lower():
        if ch.isalnum():
            word += ch
        elif word:
            out.add(word)
            word = ""
    if word:
        out.add(word)
    return out


def between(text, start, end):
    i = text.find(start)
    j = text.find(end, i + len(start)) if i >= 0 else -1
    return text[i + len(start):j].strip("\n") if i >= 0 and j >= 0 else ""


def judge(prompt):
    if args.judge == "always-a":
        return "A"
    a = between(prompt, "[Answer A]\n", "\n[End of answer A]")
    b = between(prompt, "[Answer B]\n", "\n[End of answer B]")
    hidden = words(HIDDEN)
    return "B" if len(words(b) & hidden) > len(words(a) & hidden) else "A"


def vector(text, dims):
    out, counter = [], 0
    while len(out) < dims:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        out += [b / 255.0 - 0.5 for b in digest]
        counter += 1
    return out[:dims]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, message, kind, headers=()):
        self.send(status, {"error": {"message": message, "type": kind, "code": None}}, headers)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        with lock:
            state["requests"] += 1
            n = state["requests"]
            if args.log:
                with open(args.log, "a") as f:
                    f.write(json.dumps({"n": n, "path": self.path, "auth": self.headers.get("Authorization"),
                                        "body": body}) + "\n")
        if args.delay:
            time.sleep(args.delay)
        if args.key and self.headers.get("Authorization") != f"Bearer {args.key}":
            return self.error(401, "Incorrect API key provided.", "invalid_request_error")
        if n <= args.fail:
            headers = [("Retry-After", args.retry_after)] if args.retry_after else []
            return self.error(args.fail_status, f"failure {n} of {args.fail}", "server_error", headers)
        if self.path.endswith("/embeddings"):
            inputs = body.get("input")
            if not isinstance(inputs, list) or not all(isinstance(t, str) for t in inputs) or "model" not in body:
                return self.error(400, "'input' must be a list of strings and 'model' is required", "invalid_request_error")
            dims = body.get("dimensions") or args.dimensions
            data = [{"object": "embedding", "index": i, "embedding": vector(t, dims)} for i, t in enumerate(inputs)]
            data.reverse()  # the API does not promise order; clients must use "index"
            tokens = sum(len(t.split()) for t in inputs)
            return self.send(200, {"object": "list", "data": data, "model": body["model"],
                                   "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})
        if self.path.endswith("/chat/completions"):
            prompt = body["messages"][-1]["content"]
            content = judge(prompt) if args.judge else f"Double answer to {len(prompt)} characters."
            return self.send(200, {"id": "chatcmpl-double", "object": "chat.completion", "model": body["model"],
                                   "choices": [{"index": 0, "finish_reason": "stop",
                                                "message": {"role": "assistant", "content": content}}]})
        self.error(404, "unknown path " + self.path, "invalid_request_error")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
