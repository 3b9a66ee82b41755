"""fake_webhook.py: a webhook receiver for the tests (a Slack-style incoming-webhook URL).

Every POST outside the control endpoints is recorded with its headers,
its JSON body and whether X-Headcount-Signature is the HMAC-SHA256 of
the body under --secret.  POST /_control {"fail_next": N} answers the
next N deliveries 500 (then 200 again); {"fail_next": -1} fails all.
GET /_received lists the records, GET /_stats counts them, POST /_reset
forgets them.
"""
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler

from fakebase import main


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    received = []
    fail_next = 0

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

    def do_GET(self):
        with self.lock:
            if self.path == "/_stats":
                return self.answer(200, {"requests": len(self.received)})
            if self.path == "/_received":
                return self.answer(200, self.received)
        return self.answer(404, {"error": "not found"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        if self.path == "/_control":
            change = json.loads(raw or b"{}")
            with self.lock:
                Receiver.fail_next = int(change.get("fail_next", 0))
            return self.answer(200, {"fail_next": Receiver.fail_next})
        if self.path == "/_reset":
            with self.lock:
                Receiver.received = []
                Receiver.fail_next = 0
            return self.answer(200, {"reset": True})
        want = "sha256=" + hmac.new(self.server.secret.encode(), raw, hashlib.sha256).hexdigest()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with self.lock:
            fail = Receiver.fail_next != 0
            if Receiver.fail_next > 0:
                Receiver.fail_next -= 1
            status = 500 if fail else 200
            Receiver.received.append({
                "path": self.path,
                "at": time.time(),
                "status": status,
                "content_type": self.headers.get("Content-Type"),
                "user_agent": self.headers.get("User-Agent"),
                "event": self.headers.get("X-Headcount-Event"),
                "delivery": self.headers.get("X-Headcount-Delivery"),
                "signature": self.headers.get("X-Headcount-Signature"),
                "signature_ok": hmac.compare_digest(self.headers.get("X-Headcount-Signature") or "", want),
                "body": body,
            })
        return self.answer(status, {"ok": not fail})


def add_args(ap):
    ap.add_argument("--secret", default="")


def setup(srv, args):
    srv.secret = args.secret


if __name__ == "__main__":
    main(Receiver, __doc__, "", add_args, setup)
