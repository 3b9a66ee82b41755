#!/usr/bin/env python3
"""fake_k8s.py: a small stand-in for the Kubernetes API server (apps/v1 Deployments), for headcount's tests.

Serves, with "Authorization: Bearer TOKEN" required (else 401 with a Status):
  GET /apis/apps/v1/namespaces/{ns}/deployments/{name}
      spec.replicas, status.replicas/readyReplicas/availableReplicas/
      updatedReplicas/observedGeneration and the Progressing condition
Test control (no token needed, never counted):
  GET  /_stats     {"requests": N, "paths": {...}}
  POST /_control   JSON merged into the state, e.g. {"mode": "fail"} (ok, fail,
                   slow, unauthorized), {"replicas": 3, "ready": 2},
                   {"rollout": "progressing" | "complete" | "deadline"}
  POST /_reset     counters to zero, state to the start-up state
Usage: fake_k8s.py --port N [--token T] [--deployment ns/name] [--cert F --key F]
"""
import argparse
import copy
import json
import os
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

INITIAL = {
    "mode": "ok",
    "slow_seconds": 5.0,
    "replicas": 3,
    "ready": None,        # None: equal to replicas
    "rollout": "complete",
    "rollout_age": 600,
}

LOCK = threading.Lock()
STATE = copy.deepcopy(INITIAL)
STATS = {"requests": 0, "paths": {}}


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def status_obj(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason,
            "code": code}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-k8s/1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)

    def answer(self, status, obj):
        body = (json.dumps(obj) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        path = urlsplit(self.path).path
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        if path == "/_control":
            try:
                change = json.loads(raw or b"{}")
                if not isinstance(change, dict):
                    raise ValueError("not an object")
            except ValueError as e:
                return self.answer(400, {"error": str(e)})
            with LOCK:
                STATE.update(change)
                return self.answer(200, STATE)
        if path == "/_reset":
            with LOCK:
                STATE.clear()
                STATE.update(copy.deepcopy(INITIAL))
                STATS["requests"] = 0
                STATS["paths"] = {}
            return self.answer(200, {"reset": True})
        return self.answer(405, status_obj(405, "MethodNotAllowed", "method not allowed"))

    def do_GET(self):
        path = urlsplit(self.path).path
        if path == "/_stats":
            with LOCK:
                return self.answer(200, STATS)
        with LOCK:
            STATS["requests"] += 1
            STATS["paths"][path] = STATS["paths"].get(path, 0) + 1
            st = copy.deepcopy(STATE)
        if self.headers.get("Authorization") != "Bearer " + self.server.token:
            return self.answer(401, status_obj(401, "Unauthorized", "Unauthorized"))
        if st["mode"] == "slow":
            time.sleep(float(st["slow_seconds"]))
        if st["mode"] == "fail":
            return self.answer(500, status_obj(500, "InternalError",
                                               "an error on the server has prevented the request from succeeding"))
        if st["mode"] == "unauthorized":
            return self.answer(401, status_obj(401, "Unauthorized", "Unauthorized"))
        parts = path.strip("/").split("/")
        ns, name = self.server.deployment.split("/", 1)
        if (len(parts) == 7 and parts[:4] == ["apis", "apps", "v1", "namespaces"]
                and parts[5] == "deployments"):
            if parts[4] != ns or parts[6] != name:
                return self.answer(404, status_obj(404, "NotFound",
                                                   'deployments.apps "%s" not found' % parts[6]))
            return self.answer(200, self.deployment(st, ns, name))
        return self.answer(404, status_obj(404, "NotFound", "the server could not find the requested resource"))

    def deployment(self, st, ns, name):
        now = time.time()
        replicas = int(st["replicas"])
        ready = replicas if st["ready"] is None else int(st["ready"])
        gen = 7
        status = {"observedGeneration": gen, "replicas": replicas,
                  "updatedReplicas": replicas, "readyReplicas": ready,
                  "availableReplicas": ready}
        since = rfc3339(now - float(st["rollout_age"]))
        if st["rollout"] == "progressing":
            status["updatedReplicas"] = max(0, replicas - 1)
            status["replicas"] = replicas + 1
            cond = {"type": "Progressing", "status": "True",
                    "reason": "ReplicaSetUpdated",
                    "message": 'ReplicaSet "%s-5d4f" is progressing.' % name}
        elif st["rollout"] == "deadline":
            status["updatedReplicas"] = max(0, replicas - 1)
            cond = {"type": "Progressing", "status": "False",
                    "reason": "ProgressDeadlineExceeded",
                    "message": 'ReplicaSet "%s-5d4f" has timed out progressing.' % name}
        else:
            cond = {"type": "Progressing", "status": "True",
                    "reason": "NewReplicaSetAvailable",
                    "message": 'ReplicaSet "%s-5d4f" has successfully progressed.' % name}
        cond["lastTransitionTime"] = since
        cond["lastUpdateTime"] = rfc3339(now - float(st["rollout_age"]) / 2)
        status["conditions"] = [
            {"type": "Available", "status": "True" if ready > 0 else "False",
             "reason": "MinimumReplicasAvailable", "lastTransitionTime": since,
             "lastUpdateTime": since},
            cond]
        if ready == 0:
            del status["readyReplicas"]
            del status["availableReplicas"]
        return {"kind": "Deployment", "apiVersion": "apps/v1",
                "metadata": {"name": name, "namespace": ns, "generation": gen,
                             "uid": "0b7c9b1e-0000-4000-8000-000000000001",
                             "creationTimestamp": rfc3339(now - 86400)},
                "spec": {"replicas": replicas,
                         "selector": {"matchLabels": {"app": name}},
                         "progressDeadlineSeconds": 600},
                "status": status}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--token", default="k8s-test-token")
    ap.add_argument("--deployment", default="default/web")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.token = args.token
    srv.deployment = args.deployment
    srv.verbose = args.verbose
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(args.port_file + ".tmp", args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
