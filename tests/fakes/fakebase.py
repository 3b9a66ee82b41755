# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
"""fakebase.py: what the fake provider APIs (fake_do.py, fake_k8s.py) share.

A handler that counts requests, checks the bearer token, plays the failure
modes ("ok", "fail", "slow", "unauthorized") and answers the test control
endpoints (GET /_stats, POST /_control, POST /_reset); and main(), which
parses the common options and serves on 127.0.0.1.
"""
import argparse
import copy
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class FakeHandler(BaseHTTPRequestHandler):
    """Subclasses set INITIAL (the start-up state) and define
    error_body(code) (the API's own 401 and 500 bodies), post_unknown()
    (the answer to a POST elsewhere than the control endpoints) and
    serve(url, st) (the API itself, given a copy of the state)."""
    protocol_version = "HTTP/1.1"
    INITIAL = {}

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        # One lock, state and counters per fake, shared by its threads.
        cls.lock = threading.Lock()
        cls.state = copy.deepcopy(cls.INITIAL)
        cls.stats = {"requests": 0, "paths": {}}

    def log_message(self, fmt, *args):  # quiet unless debugging
        if self.server.verbose:
            super().log_message(fmt, *args)

    def answer(self, status, obj):
        body = (json.dumps(obj) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def do_POST(self):
        path = urlsplit(self.path).path
        raw = self.read_body()
        if path == "/_control":
            try:
                change = json.loads(raw or b"{}")
                if not isinstance(change, dict):
                    raise ValueError("not an object")
            except ValueError as e:
                return self.answer(400, {"error": str(e)})
            with self.lock:
                self.state.update(change)
                return self.answer(200, self.state)
        if path == "/_reset":
            with self.lock:
                self.state.clear()
                self.state.update(copy.deepcopy(self.INITIAL))
                self.stats["requests"] = 0
                self.stats["paths"] = {}
            return self.answer(200, {"reset": True})
        return self.post_unknown()

    def do_GET(self):
        url = urlsplit(self.path)
        path = url.path
        if path == "/_stats":
            with self.lock:
                return self.answer(200, self.stats)
        with self.lock:
            self.stats["requests"] += 1
            self.stats["paths"][path] = self.stats["paths"].get(path, 0) + 1
            st = copy.deepcopy(self.state)
        if self.headers.get("Authorization") != "Bearer " + self.server.token:
            return self.answer(401, self.error_body(401))
        if st["mode"] == "slow":
            time.sleep(float(st["slow_seconds"]))
        if st["mode"] == "fail":
            return self.answer(500, self.error_body(500))
        if st["mode"] == "unauthorized":
            return self.answer(401, self.error_body(401))
        return self.serve(url, st)


def main(handler, doc, token, add_args=None, setup=None):
    """Parse --port, --port-file, --token (default token), --verbose and
    what add_args(parser) adds; serve handler on 127.0.0.1 after
    setup(server, args); write the bound port to --port-file once
    listening."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--token", default=token)
    if add_args:
        add_args(ap)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    srv.daemon_threads = True
    srv.token = args.token
    srv.verbose = args.verbose
    if setup:
        setup(srv, args)
    if args.port_file:
        # Written then renamed, so a reader never sees half a number.
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(args.port_file + ".tmp", args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
