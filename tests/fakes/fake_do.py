#!/usr/bin/env python3
"""fake_do.py: a small stand-in for the DigitalOcean Apps API, for headcount's tests.

Serves, with "Authorization: Bearer TOKEN" required (else 401 as DO answers):
  GET /v2/apps/{id}                   spec.services[] with instance_count / autoscaling
  GET /v2/apps/{id}/health            components[] with replicas_desired / replicas_ready
  GET /v2/apps/{id}/deployments       deployments[] newest first, with phases
  GET /v2/monitoring/metrics/apps/cpu_percentage and memory_percentage
                                      Prometheus-matrix answers, as DO gives
Test control (no token needed, never counted):
  GET  /_stats     {"requests": N, "paths": {"/v2/apps/ID": n, ...}}
  POST /_control   JSON merged into the state, e.g. {"mode": "fail"} (ok, fail,
                   slow, unauthorized, garbage: 200 with HTML), {"slow_seconds": 5},
                   {"phase": "DEPLOYING", "phase_age": 60}, {"services": [...]},
                   {"health": {"web": [3, 2]}}
  POST /_reset     counters to zero, state to the start-up state
Usage: fake_do.py --port N [--token T] [--app-id ID] [--port-file F]
"""
import argparse
import copy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

INITIAL = {
    "mode": "ok",
    "slow_seconds": 5.0,
    "services": [
        {"name": "web", "instance_count": 2},
        {"name": "api", "instance_count": 5},
    ],
    "workers": [],
    # component -> [replicas_desired, replicas_ready]; absent: from the spec
    "health": {},
    "phase": "ACTIVE",
    "phase_age": 600,
    "deployment_id": "dep-0002",
    "cpu": 12.5,
    "memory": 40.25,
}

LOCK = threading.Lock()
STATE = copy.deepcopy(INITIAL)
STATS = {"requests": 0, "paths": {}}


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-do/1"

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
        return self.answer(404, {"id": "not_found", "message": "no such endpoint"})

    def do_GET(self):
        url = urlsplit(self.path)
        path = url.path
        if path == "/_stats":
            with LOCK:
                return self.answer(200, STATS)
        with LOCK:
            STATS["requests"] += 1
            STATS["paths"][path] = STATS["paths"].get(path, 0) + 1
            st = copy.deepcopy(STATE)
        if self.headers.get("Authorization") != "Bearer " + self.server.token:
            return self.answer(401, {"id": "unauthorized",
                                     "message": "Unable to authenticate you."})
        if st["mode"] == "slow":
            time.sleep(float(st["slow_seconds"]))
        if st["mode"] == "fail":
            return self.answer(500, {"id": "server_error",
                                     "message": "Server was unable to give you a response."})
        if st["mode"] == "unauthorized":
            return self.answer(401, {"id": "unauthorized",
                                     "message": "Unable to authenticate you."})
        if st["mode"] == "garbage":
            body = b"<html><body>502 Bad Gateway</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        parts = path.strip("/").split("/")
        app = self.server.app_id
        if parts[:2] == ["v2", "apps"] and len(parts) >= 3:
            if parts[2] != app:
                return self.answer(404, {"id": "not_found",
                                         "message": "The resource you were accessing could not be found."})
            if len(parts) == 3:
                return self.answer(200, self.app(st))
            if len(parts) == 4 and parts[3] == "health":
                return self.answer(200, self.health(st))
            if len(parts) == 4 and parts[3] == "deployments":
                return self.answer(200, self.deployments(st))
        if parts[:4] == ["v2", "monitoring", "metrics", "apps"] and len(parts) == 5:
            q = parse_qs(url.query)
            if q.get("app_id", [""])[0] != app:
                return self.answer(400, {"id": "bad_request", "message": "app_id is required"})
            try:
                start, end = int(q["start"][0]), int(q["end"][0])
            except (KeyError, ValueError):
                return self.answer(400, {"id": "bad_request", "message": "start and end are required"})
            if parts[4] == "cpu_percentage":
                return self.answer(200, self.matrix(st["cpu"], start, end, q))
            if parts[4] == "memory_percentage":
                return self.answer(200, self.matrix(st["memory"], start, end, q))
        return self.answer(404, {"id": "not_found",
                                 "message": "The resource you were accessing could not be found."})

    def app(self, st):
        now = time.time()
        return {"app": {
            "id": self.server.app_id,
            "owner_uuid": "00000000-0000-0000-0000-000000000000",
            "spec": {"name": "sample", "region": "lon",
                     "services": st["services"], "workers": st["workers"]},
            "default_ingress": "https://sample.ondigitalocean.app",
            "created_at": rfc3339(now - 86400),
            "updated_at": rfc3339(now - st["phase_age"]),
            "active_deployment": {"id": "dep-0001", "phase": "ACTIVE"},
            "region": {"slug": "lon"},
        }}

    def health(self, st):
        comps = []
        for svc in st["services"] + st["workers"]:
            want = svc.get("instance_count")
            if want is None:
                want = (svc.get("autoscaling") or {}).get("min_instance_count", 1)
            want, ready = st["health"].get(svc["name"], [want, want])
            comps.append({"name": svc["name"], "cpu_usage_percent": st["cpu"],
                          "memory_usage_percent": st["memory"],
                          "replicas_desired": want, "replicas_ready": ready,
                          "state": "HEALTHY"})
        return {"components": comps}

    def deployments(self, st):
        now = time.time()
        age = float(st["phase_age"])
        latest = {"id": st["deployment_id"], "cause": "commit 1a2b3c pushed to main",
                  "phase": st["phase"], "created_at": rfc3339(now - age),
                  "updated_at": rfc3339(now - age / 2),
                  "phase_last_updated_at": rfc3339(now - age / 2),
                  "progress": {"success_steps": 3, "total_steps": 6}}
        older = {"id": "dep-0001", "cause": "initial deployment",
                 "phase": "SUPERSEDED", "created_at": rfc3339(now - age - 86400),
                 "updated_at": rfc3339(now - age - 86000)}
        return {"deployments": [latest, older], "links": {},
                "meta": {"total": 2}}

    def matrix(self, value, start, end, q):
        values = []
        t = start - start % 60
        while t <= end and len(values) < 61:
            values.append([t, "%.6f" % (value + (t // 60) % 3)])
            t += 60
        metric = {"app_component": q.get("app_component", [""])[0],
                  "app_uuid": self.server.app_id}
        return {"status": "success",
                "data": {"resultType": "matrix",
                         "result": [{"metric": metric, "values": values}]}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--token", default="do-test-token")
    ap.add_argument("--app-id", default="5ec1a7e5-0000-4000-8000-00000000a99b")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.token = args.token
    srv.app_id = args.app_id
    srv.verbose = args.verbose
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % srv.server_address[1])
        import os
        os.rename(args.port_file + ".tmp", args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
