#!/usr/bin/env python3
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
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
import os
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakebase  # noqa: E402
from fakebase import rfc3339  # noqa: E402


def status_obj(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason,
            "code": code}


class Handler(fakebase.FakeHandler):
    server_version = "fake-k8s/1"
    INITIAL = {
        "mode": "ok",
        "slow_seconds": 5.0,
        "replicas": 3,
        "ready": None,        # None: equal to replicas
        "rollout": "complete",
        "rollout_age": 600,
    }

    def error_body(self, code):
        if code == 401:
            return status_obj(401, "Unauthorized", "Unauthorized")
        return status_obj(500, "InternalError",
                          "an error on the server has prevented the request from succeeding")

    def post_unknown(self):
        return self.answer(405, status_obj(405, "MethodNotAllowed", "method not allowed"))

    def serve(self, url, st):
        parts = url.path.strip("/").split("/")
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
    def add_args(ap):
        ap.add_argument("--deployment", default="default/web")
        ap.add_argument("--cert")
        ap.add_argument("--key")

    def setup(srv, args):
        srv.deployment = args.deployment
        if args.cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.cert, args.key)
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True)

    fakebase.main(Handler, __doc__, "k8s-test-token", add_args, setup)


if __name__ == "__main__":
    main()
