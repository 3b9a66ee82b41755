#!/usr/bin/env python3
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
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
import os
import sys
import time
from urllib.parse import parse_qs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakebase  # noqa: E402
from fakebase import rfc3339  # noqa: E402

NOT_FOUND = {"id": "not_found",
             "message": "The resource you were accessing could not be found."}


class Handler(fakebase.FakeHandler):
    server_version = "fake-do/1"
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

    def error_body(self, code):
        if code == 401:
            return {"id": "unauthorized", "message": "Unable to authenticate you."}
        return {"id": "server_error",
                "message": "Server was unable to give you a response."}

    def post_unknown(self):
        return self.answer(404, {"id": "not_found", "message": "no such endpoint"})

    def serve(self, url, st):
        path = url.path
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
                return self.answer(404, NOT_FOUND)
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
        return self.answer(404, NOT_FOUND)

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
    def add_args(ap):
        ap.add_argument("--app-id", default="5ec1a7e5-0000-4000-8000-00000000a99b")

    def setup(srv, args):
        srv.app_id = args.app_id

    fakebase.main(Handler, __doc__, "do-test-token", add_args, setup)


if __name__ == "__main__":
    main()
