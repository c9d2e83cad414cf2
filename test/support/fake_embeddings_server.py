#!/usr/bin/env python3
"""A fake OpenAI-compatible embeddings server for tests (python3 stdlib only).

    python3 fake_embeddings_server.py [--port N] [--slow-seconds S]
                                      [--flaky-failures K] [--api-key KEY]

Listens on 127.0.0.1 (--port 0 picks a free port) and, once listening, prints
"PORT <n>" on stdout. Exits cleanly on SIGTERM or SIGINT.

Embeddings are deterministic: a hashed bag of lower-cased words (SHA-1 of the
word picks a dimension and a sign), summed and L2-normalised, so texts that
share words are similar. A text without words gives the unit vector e0.
"dimensions" in the request sets the length (default 384).

POST routes, each <prefix>/v1/embeddings:
  /v1/embeddings          normal
  /slow/v1/embeddings     sleeps --slow-seconds (default 5), then normal
  /fail/v1/embeddings     always HTTP 500 with an OpenAI-style error
  /flaky/v1/embeddings    HTTP 503 for the first --flaky-failures (default 2)
                          requests after start or /reset, then normal
  /badlen/v1/embeddings   vectors of dimensions - 1 numbers
  /auth/v1/embeddings     needs "Authorization: Bearer <--api-key>"
                          (default test-key), else HTTP 401
  /badjson/v1/embeddings  HTTP 200 with the body "not json"
  /reversed/v1/embeddings normal vectors, listed in reverse order (each with
                          its right "index"), to test clients reorder them
Other routes:
  GET  /stats   {"requests", "inputs", "max_batch", "by_route": {path: n}}
  POST /reset   zeroes the counters and the flaky counter
Every POST to an embeddings route counts as a request, whatever its outcome;
"inputs" and "max_batch" count only well-formed requests.
"""

import argparse
import hashlib
import json
import math
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_DIMENSIONS = 384
MAX_DIMENSIONS = 16000
ROUTES = ("", "/slow", "/fail", "/flaky", "/badlen", "/auth", "/badjson", "/reversed")
WORD = re.compile(r"\w+")


def embed(text, dims):
    vec = [0.0] * dims
    for word in WORD.findall(text.lower()):
        digest = hashlib.sha1(word.encode("utf-8")).digest()
        dim = int.from_bytes(digest[:4], "big") % dims
        vec[dim] += 1.0 if digest[4] & 1 == 0 else -1.0
    norm = math.sqrt(sum(x * x for x in vec))
    if norm == 0.0:
        vec = [0.0] * dims
        vec[0] = 1.0
        return vec
    return [x / norm for x in vec]


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.requests = 0
        self.inputs = 0
        self.max_batch = 0
        self.by_route = {}
        self.flaky_seen = 0


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so clients can keep their connection between requests.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, a client's
    # delayed ACK would add ~40 ms to every kept-alive request.
    disable_nagle_algorithm = True
    server_version = "FakeEmbeddings/1.0"

    def log_message(self, format, *args):
        pass

    def send_json(self, status, obj, extra_headers=()):
        self.send_body(status, json.dumps(obj).encode("utf-8"), "application/json", extra_headers)

    def send_body(self, status, body, content_type, extra_headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_error_json(self, status, message, err_type="invalid_request_error"):
        self.send_json(status, {"error": {"message": message, "type": err_type}})

    def read_body(self):
        """The request body, or None when its framing is invalid."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    return None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = self.headers.get("Content-Length")
        if length is None:
            return b""  # HTTP/1.1: no length and not chunked means no body
        try:
            n = int(length)
        except ValueError:
            return None
        return self.rfile.read(n) if n > 0 else b""

    def do_GET(self):
        state = self.server.state
        if self.path == "/stats":
            with state.lock:
                stats = {
                    "requests": state.requests,
                    "inputs": state.inputs,
                    "max_batch": state.max_batch,
                    "by_route": dict(state.by_route),
                }
            self.send_json(200, stats)
        else:
            self.send_error_json(404, "no such route: GET " + self.path)

    def do_POST(self):
        state = self.server.state
        raw = self.read_body()
        if raw is None:
            self.close_connection = True
            self.send_error_json(400, "invalid Content-Length or chunked body")
            return
        if self.path == "/reset":
            with state.lock:
                state.reset()
            self.send_json(200, {"reset": True})
            return
        route = None
        for prefix in ROUTES:
            if self.path == prefix + "/v1/embeddings":
                route = prefix
                break
        if route is None:
            self.send_error_json(404, "no such route: POST " + self.path)
            return

        with state.lock:
            state.requests += 1
            state.by_route[self.path] = state.by_route.get(self.path, 0) + 1
            flaky_fail = False
            if route == "/flaky" and state.flaky_seen < self.server.flaky_failures:
                state.flaky_seen += 1
                flaky_fail = True

        if route == "/auth":
            expected = "Bearer " + self.server.api_key
            if self.headers.get("Authorization") != expected:
                self.send_json(401, {"error": {"message": "invalid api key"}})
                return
        if route == "/fail":
            self.send_error_json(500, "simulated failure", "server_error")
            return
        if flaky_fail:
            self.send_error_json(503, "simulated overload", "server_error")
            return
        if route == "/badjson":
            self.send_body(200, b"not json", "application/json")
            return

        try:
            request = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self.send_error_json(400, "the request body is not valid JSON")
            return
        if not isinstance(request, dict):
            self.send_error_json(400, "the request body must be a JSON object")
            return
        model = request.get("model")
        if not isinstance(model, str) or not model:
            self.send_error_json(400, "'model' must be a non-empty string")
            return
        inputs = request.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if (not isinstance(inputs, list) or not inputs
                or not all(isinstance(t, str) for t in inputs)):
            self.send_error_json(400, "'input' must be a string or a non-empty list of strings")
            return
        dims = request.get("dimensions", DEFAULT_DIMENSIONS)
        if (isinstance(dims, bool) or not isinstance(dims, int)
                or dims < 1 or dims > MAX_DIMENSIONS):
            self.send_error_json(400, "'dimensions' must be an integer between 1 and %d" % MAX_DIMENSIONS)
            return

        with state.lock:
            state.inputs += len(inputs)
            state.max_batch = max(state.max_batch, len(inputs))

        if route == "/slow":
            time.sleep(self.server.slow_seconds)
        length = dims - 1 if route == "/badlen" else dims
        data = []
        tokens = 0
        for i, text in enumerate(inputs):
            tokens += len(WORD.findall(text))
            data.append({"object": "embedding", "index": i, "embedding": embed(text, dims)[:length]})
        if route == "/reversed":
            data.reverse()
        self.send_json(200, {
            "object": "list",
            "data": data,
            "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        })


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that gave up (timeout, cancel) makes the late answer fail
        # with a broken pipe: expected here, not worth a traceback.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible embeddings server for tests.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one")
    parser.add_argument("--slow-seconds", type=float, default=5.0, help="delay of /slow (default 5)")
    parser.add_argument("--flaky-failures", type=int, default=2,
                        help="503 answers of /flaky after each reset (default 2)")
    parser.add_argument("--api-key", default="test-key", help="key /auth expects (default test-key)")
    args = parser.parse_args()

    server = Server(("127.0.0.1", args.port), Handler)
    server.state = State()
    server.slow_seconds = args.slow_seconds
    server.flaky_failures = args.flaky_failures
    server.api_key = args.api_key

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except SystemExit:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
