#!/usr/bin/env python3
"""fuzz.py: seeded hostile-input requests against headcount through nginx.

Standard library only.  Sends --count requests (default 3000) to
127.0.0.1:--port covering the Health, Instances and Monitoring routes of
API.md and /metrics: every method, tokens of every role and broken ones,
malformed/huge/odd JSON bodies, malformed query strings, path tricks and odd
headers.  Every answer is checked against the contract:

  * no 5xx at all, except 503 from /api/v1/monitoring/deployments and
    /api/v1/monitoring/metrics (DigitalOcean not configured);
  * every 4xx/5xx is application/problem+json with type, title, status and
    detail, status equal to the HTTP status (HEAD: the content type only);
  * 401 carries WWW-Authenticate: Bearer, 405 carries Allow;
  * a 2xx JSON answer is valid UTF-8 JSON;
  * requests whose outcome the contract fixes (no path trick, a plain
    query) get exactly that status (404, 405, 401, 403, 400, 413, 200...).

Requests nginx refuses while still parsing them (a lower-case method, TRACE,
a request line or header over its 8 KiB buffers) never reach a location, so
the /api/ error pages of conf/nginx cannot apply: they are checked to be 4xx
only and counted apart.

One line per unexpected answer ("UNEXPECTED [kind] ..."), then a summary
line "fuzz: N requests, U unexpected, ..." that counts them by kind.  Exit
status 0 when nothing was unexpected.

--ids-out FILE gets every instance id the server may legitimately have
registered: the ids of well-formed heartbeats sent with an authorized token
(plus those of requests the contract leaves open, such as duplicate keys or
1e999 in meta).  The ids given with --known are used only in requests that
must not change them (unauthorized, or a body that must be refused).
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import socket
import sys
import time

ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}\Z")
ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
ID_MORE = ID_CHARS + "._:-"
BODY_MAX = 64 * 1024

USER, ADMIN, OWNER, INSTANCE = "user", "admin", "owner", "instance"
AUTH_USER = {USER, ADMIN, OWNER}
AUTH_OWNER = {OWNER}
AUTH_FLEET = {INSTANCE, OWNER}

# path, allowed method, roles allowed (None: public), kind
ROUTES = [
    ("/api/v1/health/live", "GET", None, "live"),
    ("/api/v1/health/ready", "GET", None, "ready"),
    ("/api/v1/health/detailed", "GET", AUTH_USER, "detailed"),
    ("/api/v1/health/instances", "GET", AUTH_USER, "list"),
    ("/api/v1/instances/heartbeat", "POST", AUTH_FLEET, "heartbeat"),
    ("/api/v1/instances/{id}", "DELETE", AUTH_FLEET, "delete"),
    ("/api/v1/monitoring/replicas", "GET", AUTH_USER, "replicas"),
    ("/api/v1/monitoring/replicas/refresh", "POST", AUTH_OWNER, "refresh"),
    ("/api/v1/monitoring/deployments", "GET", AUTH_OWNER, "deployments"),
    ("/api/v1/monitoring/metrics", "GET", AUTH_OWNER, "do_metrics"),
    ("/api/v1/monitoring/history", "GET", AUTH_USER, "history"),
    ("/metrics", "GET", None, "metrics"),
]
# 503 is the contract here while DigitalOcean is not configured.
DO_KINDS = {"deployments", "do_metrics"}

UNKNOWN_PATHS = [
    "/api/v1/nope", "/api/v1/", "/api/", "/api/v2/health/live",
    "/api/v1/health/nope", "/api/v1/health/live/x", "/api/v1/health/",
    "/api/v1/health/livex", "/api/v1/instances/", "/api/v1/instances/heartbeat/x",
    "/api/v1/instances/a/b", "/api/v1/monitoring/", "/api/v1/monitoring/nope",
    "/api/v1/monitoring/replicas/refresh/x", "/api/v1/monitoring/replicasx",
    "/api/v1/HEALTH/live", "/api/v1/health/LIVE", "/api/v1/healthz",
    "/api/v1/instances", "/api/v1/monitoring", "/api/v1/health",
]

# the kinds of unexpected answers, counted apart in the summary line
CATEGORIES = ["5xx", "problem", "conf413", "header", "json", "status", "noanswer", "nginx", "generator"]

# nginx refuses a path with a broken %-escape or an encoded NUL while parsing
BAD_PCT = re.compile(r"%(?![0-9A-Fa-f]{2})|%00")

STD_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
JUNK_METHODS = ["FOO", "PROPFIND", "MKCOL", "BREW", "M-SEARCH", "GET_", "POSTX",
                "X" * 40, "PURGE", "LOCK", "SEARCH", "COPY", "MOVE", "LINK"]
# nginx refuses these itself, before any location
NGINX_METHODS = ["get", "Post", "G3T", "DE1ETE", "TRACE"]


def query_has_pairs(qs):
    """Whether a query string holds a key (the programs' routes here declare none)."""
    return any(part for part in qs.lstrip("?").split("&"))


def path_is_prefix(path):
    """Whether nginx has a location for path + "/" (it answers 301 to path)."""
    return path in ("/api/v1/instances", "/api/v1/monitoring", "/api/v1/health")


class Fuzz:
    def __init__(self, args):
        self.a = args
        self.r = random.Random(args.seed)
        self.secret = args.secret.encode()
        self.known = [k for k in args.known.split(",") if k]
        self.n = 0
        self.unexpected = 0
        self.printed = 0
        self.nginx_level = 0
        self.strict = 0
        self.statuses = {}
        self.cats = dict.fromkeys(CATEGORIES, 0)
        self.ids_ok = set()
        self.valid_hb = 0
        self.pool = self.make_pool()

    # ------------------------------------------------------------ ids
    def rand_id(self, n=None):
        r = self.r
        n = n or r.choice([1, 2, 5, 8, 12, 20, 40, 127, 128])
        return r.choice(ID_CHARS) + "".join(r.choice(ID_MORE) for _ in range(n - 1))

    def make_pool(self):
        pool = ["fz-" + self.rand_id(6) for _ in range(40)]
        pool += [self.rand_id() for _ in range(20)]
        pool += ["a", "Z", "0", "a.b", "a:b", "a-b_c", "host.example.com:8080",
                 "x" * 128, "y" * 127, "1.2.3.4", "::1x"[1:], "a..", "b::"]
        return [p for p in pool if ID_RE.match(p) and p not in self.known]

    def bad_id(self):
        r = self.r
        return r.choice([
            "", "x" * 129, "z" * 300, ".a", "-a", ":a", "_a", "a/b", "a b", "caf\u00e9",
            "\u00e9", "a\u0000b", "\U0001F600", "a\tb", "a\nb", "a\"b", "a\\b", "a%2Fb",
            "..", ".", "a;b", "a,b", "a@b", "a#b", "a?b", "\u0661\u0662", "\ufeffa",
        ])

    # ------------------------------------------------------------ tokens
    @staticmethod
    def b64(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    def jwt(self, header, payload, secret=None, raw_payload=None):
        h = self.b64(json.dumps(header).encode())
        p = self.b64(raw_payload if raw_payload is not None else json.dumps(payload).encode())
        sig = hmac.new(secret if secret is not None else self.secret,
                       (h + "." + p).encode(), hashlib.sha256).digest()
        return h + "." + p + "." + self.b64(sig)

    def token(self, force=None):
        """Returns (Authorization header value or None, role when valid else None, sub)."""
        r = self.r
        now = int(time.time())
        kind = force or r.choice(
            ["none"] * 3 + [OWNER] * 3 + [ADMIN] * 2 + [USER] * 3 + [INSTANCE] * 4 +
            ["expired", "nbf", "alg_none", "alg_hs512", "badsig", "garbage", "huge",
             "noexp", "exp_str", "role_bad", "role_none", "sub_num", "basic",
             "bearer_only", "lower", "trailing", "dots", "unicode"])
        hdr = {"alg": "HS256", "typ": "JWT"}
        if kind in (OWNER, ADMIN, USER, INSTANCE, "lower"):
            role = kind if kind != "lower" else OWNER
            sub = r.choice(self.pool) if role == INSTANCE and r.random() < 0.5 \
                else "fuzz-" + role
            t = self.jwt(hdr, {"sub": sub, "role": role, "exp": now + 3600,
                               "iat": now})
            scheme = "bearer" if kind == "lower" else r.choice(["Bearer", "Bearer", "Bearer  "])
            return scheme + " " + t, role, sub
        if kind == "none":
            return None, None, None
        p = {"sub": "fuzz-bad", "role": r.choice([OWNER, INSTANCE]), "exp": now + 3600}
        if kind == "expired":
            p["exp"] = now - r.choice([1, 3600, 10 ** 9])
            t = self.jwt(hdr, p)
        elif kind == "nbf":
            p["nbf"] = now + 3600
            t = self.jwt(hdr, p)
        elif kind == "alg_none":
            t = self.b64(json.dumps({"alg": r.choice(["none", "None", "NONE"])}).encode()) \
                + "." + self.b64(json.dumps(p).encode()) + "." + r.choice(["", "x"])
        elif kind == "alg_hs512":
            t = self.jwt({"alg": r.choice(["HS512", "RS256", "hs256", ""])}, p)
        elif kind == "badsig":
            t = self.jwt(hdr, p, secret=b"not-the-secret")
        elif kind == "garbage":
            t = r.choice(["x", "a.b.c", "..", "...", "a.b", "%%%.%%%.%%%", "e30.e30.",
                          "eyJhbGciOiJIUzI1NiJ9.!!!.abc", "\u00e9\u00e9.\u00e9",
                          self.b64(os.urandom(0) + bytes(r.getrandbits(8) for _ in range(60)))])
            if not t.isascii():
                t = t.encode("utf-8").decode("latin-1")
        elif kind == "huge":   # valid, with a big extra claim (still under nginx's 8 KiB)
            t = self.jwt(hdr, p, raw_payload=json.dumps(
                dict(p, pad="A" * r.choice([1000, 3000, 5000]))).encode())
            return "Bearer " + t, p["role"], p["sub"]
        elif kind == "noexp":
            del p["exp"]
            t = self.jwt(hdr, p)
        elif kind == "exp_str":
            p["exp"] = r.choice([str(now + 3600), None, True, [1], 1.5e300])
            t = self.jwt(hdr, p)
            if isinstance(p["exp"], float):   # a fractional NumericDate: open
                return "Bearer " + t, "maybe", None
        elif kind == "role_bad":
            p["role"] = r.choice(["root", "", "owner ", ["owner"], 4, None, "owner\u0000"])
            t = self.jwt(hdr, p)
        elif kind == "role_none":
            del p["role"]
            t = self.jwt(hdr, p)
        elif kind == "sub_num":
            p["sub"] = r.choice([12, None, ["a"], {"a": 1}])
            t = self.jwt(hdr, p)
            # a sub that is not a string: the contract says a string; open
            return "Bearer " + t, "maybe", None
        elif kind == "basic":
            return "Basic " + self.b64(b"owner:secret"), None, None
        elif kind == "bearer_only":
            return r.choice(["Bearer", "Bearer ", "Bearer   ", ""]), None, None
        elif kind == "trailing":
            good = self.jwt(hdr, {"sub": "x", "role": OWNER, "exp": now + 3600})
            t = good + r.choice([".", "x", ".x", " x"])
        elif kind == "dots":
            t = r.choice(["a..b", ".a.b", "a.b.", "a.b.c.d"])
        elif kind == "unicode":
            t = self.jwt(hdr, dict(p, sub="\u00fc\U0001F600", role="\u00f6wner"))
        else:
            raise AssertionError(kind)
        return "Bearer " + t, None, None

    # ------------------------------------------------------------ bodies
    def rand_str(self, n):
        r = self.r
        alpha = r.choice([
            "abcdefghij klmnop", "\u00e9\u00fc\u4e2d\u6587\U0001F600", "\"\\/\b\f\n\r\t",
            "\u0000\u0001\u001f\u007f", "<script>&'", ID_MORE])
        return "".join(r.choice(alpha) for _ in range(n))

    def meta_value(self):
        r = self.r
        return r.choice([
            lambda: self.rand_str(r.randint(0, 30)),
            lambda: r.randint(-2 ** 63, 2 ** 63 - 1),
            lambda: r.choice([0, -1, 1, 2 ** 53]),
            lambda: r.uniform(-1e6, 1e6),
            lambda: r.choice([True, False]),
            lambda: r.choice([1e308, -1e-308, 0.5]),
        ])()

    def meta(self, nkeys=None):
        r = self.r
        n = nkeys if nkeys is not None else r.choice([0, 1, 3, 8, 31, 32])
        m = {}
        while len(m) < n:
            k = r.choice([self.rand_str(r.randint(1, 12)), "k%d" % len(m), "",
                          "version", "region", "a.b", "\u00e9"])
            m[k] = self.meta_value()
        return m

    def hostname(self):
        r = self.r
        return r.choice([
            lambda: self.rand_id(),
            lambda: self.rand_str(r.randint(1, 40)).replace("\u0000", "x") or "h",
            lambda: "h" * 255,
            lambda: "\u00e9" * 127,
        ])()

    def heartbeat_body(self, id_, must_fail=False):
        """Returns (bytes, verdict) with verdict 'valid', 'invalid' or 'open'."""
        r = self.r
        if must_fail:
            while True:     # a known id: only bodies the server must refuse
                b, v = self.bad_body(id_)
                if v == "invalid":
                    return b, v
        if r.random() < 0.55:
            return self.bad_body(id_)
        o = {"instance_id": id_}
        if r.random() < 0.5:
            o["hostname"] = self.hostname()
        if r.random() < 0.6:
            o["meta"] = self.meta()
        items = list(o.items())
        r.shuffle(items)
        o = dict(items)
        variant = r.random()
        if variant < 0.6:
            b = json.dumps(o, ensure_ascii=r.random() < 0.5).encode()
        elif variant < 0.75:
            b = json.dumps(o, indent=r.choice([1, 4, "\t"])).encode()
        elif variant < 0.85:  # exactly 64 KiB, padded with whitespace
            b = json.dumps(o).encode()
            b = b + b" " * (BODY_MAX - len(b)) if len(b) <= BODY_MAX else b
        elif variant < 0.9:  # a big but allowed meta string
            o["meta"] = {"big": "m" * r.choice([1000, 60000])}
            b = json.dumps(o).encode()
        else:  # escapes for plain characters in the id
            s = json.dumps({k: v for k, v in o.items() if k != "instance_id"})
            esc = "".join("\\u%04x" % ord(c) if r.random() < 0.5 else c for c in id_)
            b = ('{"instance_id":"%s"%s' % (esc, "," + s[1:] if len(s) > 2 else "}")).encode()
        if len(b) > BODY_MAX:
            return b, "invalid"
        # json-c keeps keys as C strings: a NUL in one may be refused (open)
        if any("\u0000" in k for k in o.get("meta", {})):
            return b, "open"
        return b, "valid"

    def bad_body(self, id_):
        """A heartbeat body the contract refuses, or leaves open."""
        r = self.r
        good = json.dumps({"instance_id": id_}).encode()
        k = r.randrange(40)
        J = lambda o: json.dumps(o).encode()
        if k == 0:
            return J({"instance_id": self.bad_id()}), "invalid"
        if k == 1:
            return J({"instance_id": r.choice([1, 1.5, None, True, [id_], {"a": id_}])}), "invalid"
        if k == 2:
            return J({"hostname": id_}), "invalid"
        if k == 3:
            return J({"instance_id": id_, "meta": {"a": {"b": 1}}}), "invalid"
        if k == 4:
            return J({"instance_id": id_, "meta": [1, 2]}), "invalid"
        if k == 5:
            return J({"instance_id": id_, "meta": self.meta(33)}), "invalid"
        if k == 6:
            return J({"instance_id": id_, "meta": r.choice([None, "x", 1, True])}), "invalid"
        if k == 7:
            return J({"instance_id": id_, "meta": {"a": r.choice([None, [], {}, [1]])}}), "invalid"
        if k == 8:
            return J([{"instance_id": id_}]), "invalid"
        if k == 9:
            return r.choice([b"", b" ", b"\n", b"null", b"true", b"1", b'"x"', b"[]",
                             b"{}", b"0"]), "invalid"
        if k == 10:
            return good[:r.randrange(1, len(good))], "invalid"
        if k == 11:
            return good[:-1] + b",}", "invalid"
        if k == 12:
            return ("{'instance_id':'%s'}" % id_).encode(), "invalid"
        if k == 13:
            return good + r.choice([b"x", b"{}", b"]", b",", b"\x00"]), "invalid"
        if k == 14:
            return ('{instance_id:"%s"}' % id_).encode(), "invalid"
        if k == 15:
            return ('{"instance_id":"%s" /* c */}' % id_).encode(), "invalid"
        if k == 16:
            return ('{"instance_id":"%s","meta":{"a":%s}}'
                    % (id_, r.choice(["NaN", "Infinity", "-Infinity", "nan", "undefined",
                                      "0x10", "01", "+1", ".5", "1.", "1e", "--1"]))).encode(), "invalid"
        if k == 17:
            return b"\xef\xbb\xbf" + good, "open"   # BOM: RFC 8259 lets a parser ignore it
        if k == 18:  # a NUL byte
            i = r.randrange(len(good))
            return good[:i] + b"\x00" + good[i:], "invalid"
        if k == 19:  # invalid UTF-8 inside a string
            bad = r.choice([b"\xff", b"\xc3\x28", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80",
                            b"\x80", b"\xe2\x82", b"\xf4\x90\x80\x80", b"\xe0\x80\xaf", b"\xc1\xbf"])
            where = r.choice(["hostname", "meta", "key"])
            if where == "hostname":
                return b'{"instance_id":"' + id_.encode() + b'","hostname":"h' + bad + b'"}', "invalid"
            if where == "meta":
                return b'{"instance_id":"' + id_.encode() + b'","meta":{"a":"' + bad + b'"}}', "invalid"
            return b'{"instance_id":"' + id_.encode() + b'","meta":{"' + bad + b'":1}}', "invalid"
        if k == 20:  # deep nesting, in an unknown field (open) or in meta (invalid)
            d = r.choice([31, 32, 33, 100, 5000, 30000])
            nest = b"[" * d + b"]" * d
            if r.random() < 0.5:
                return b'{"instance_id":"' + id_.encode() + b'","meta":{"a":' + nest + b"}}", \
                    "invalid" if len(nest) + 40 <= BODY_MAX else "big"
            return b'{"instance_id":"' + id_.encode() + b'","x":' + nest + b"}", "open"
        if k == 21:
            d = r.choice([33, 1000, 20000])
            return b'{"a":' * d + b"1" + b"}" * d, "invalid"
        if k == 22:  # huge numbers: valid JSON, the contract leaves them open
            num = r.choice(["1e999", "-1e999", "1e-999", "123456789012345678901234567890",
                            "-0", "1E+2", "-9223372036854775809", "9223372036854775808",
                            "0." + "0" * 400 + "1", "1" * 500])
            return ('{"instance_id":"%s","meta":{"n":%s}}' % (id_, num)).encode(), "open"
        if k == 23:
            num = r.choice(["1e999", "123456789012345678901234567890", "-0", "0"])
            return ('{"instance_id":%s}' % num).encode(), "invalid"
        if k == 24:  # duplicate keys: open (either may win)
            other = r.choice(self.pool)
            return ('{"instance_id":"%s","instance_id":"%s"}' % (id_, other)).encode(), ("open", other)
        if k == 25:
            return ('{"instance_id":"%s","meta":{"a":1,"a":{"x":1}}}' % id_).encode(), "open"
        if k == 26:  # a lone surrogate: valid JSON text, not a valid string: open
            return ('{"instance_id":"%s","hostname":"a\\ud800b"}' % id_).encode(), "open"
        if k == 27:
            return J({"instance_id": id_, "hostname": r.choice(["", "h" * 256, 5, ["h"], {"h": 1},
                                                                True])}), "invalid"
        if k == 28:
            return J({"instance_id": id_, "hostname": "a\u0000b"}), "open"
        if k == 29:  # over 64 KiB
            b = J({"instance_id": id_, "meta": {"a": "x" * r.choice([BODY_MAX, BODY_MAX - 10])}})
            return b, ("invalid" if len(b) > BODY_MAX else "valid")
        if k == 30:
            b = good + b" " * (BODY_MAX + 1 - len(good))
            return b, "invalid"
        if k == 31:
            return J({"instance_id": id_, "hostname": None}), "open"
        if k == 32:
            return J({"instance_id": id_ + r.choice(["\u0000", " ", "\n", "/"])}), "invalid"
        if k == 33:
            return J({"instance_id": "x" * 129}), "invalid"
        if k == 34:
            return J({"instance_id": id_, "meta": {"k%d" % i: i for i in range(r.choice([33, 64, 1000]))}}), "invalid"
        if k == 35:
            return b"\x00" * r.choice([1, 10, 1000]), "invalid"
        if k == 36:
            return bytes(r.getrandbits(8) for _ in range(r.choice([1, 17, 500]))), "junk"
        if k == 37:
            return r.choice([b"{", b"}", b"[", b'{"', b'{"instance_id"', b'{"instance_id":',
                             b'{"instance_id":"', b"\\", b'"\\u12"']), "invalid"
        if k == 38:
            return ('{"instance_id":"%s","meta":{"a":"\\x41"}}' % id_).encode(), "invalid"
        return ('{"instance_id":"%s","meta":{"a":"\\u00"}}' % id_).encode(), "invalid"

    def classify(self, body, verdict):
        """The ids body may register, and whether the contract fixes the outcome."""
        if isinstance(verdict, tuple):
            return verdict[0], self.ids_in(body) | {verdict[1]}
        if verdict in ("junk", "big"):
            # random bytes may parse by chance: judge with a strict parser
            verdict = "open"
        if verdict == "invalid":
            return "invalid", set()
        return verdict, self.ids_in(body)

    @staticmethod
    def ids_in(body):
        try:
            o = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            return set()
        if isinstance(o, dict) and isinstance(o.get("instance_id"), str) and \
                ID_RE.match(o["instance_id"]):
            return {o["instance_id"]}
        return set()

    # ------------------------------------------------------------ queries and paths
    def query(self, kind):
        r = self.r
        if r.random() < 0.55:
            return "", True
        if kind == "history" and r.random() < 0.6:
            parts = []
            for key, vals in (("from", ["2026-11-22T10:00:00Z", "2026-11-22T10:00:00+01:00",
                                        "yesterday", "", "2026-13-40T99:99:99Z", "0",
                                        "9999-12-31T23:59:59Z", "%00", "1e999"]),
                              ("to", ["2026-11-22T12:00:00Z", "2020-01-01T00:00:00Z", "x"]),
                              ("step", ["300", "0", "-1", "1", "1e3", "abc", "99999999999999999999",
                                        "", "1.5", " 5"]),
                              ("format", ["json", "csv", "xml", "", "JSON"])):
                if r.random() < 0.6:
                    parts.append("%s=%s" % (key, r.choice(vals).replace(" ", "%20")))
            return "?" + "&".join(parts), None
        q = r.choice([
            ("?a=b", True), ("?a=b&c=d", True), ("?a=1&a=2&a=3", True), ("?", True),
            ("?a", True), ("?=", None), ("?&&&", None), ("?a=%41", True),
            ("?%zz", False), ("?a=%zz", False), ("?a=%", False), ("?a=%2", False),
            ("?%00", None), ("?a=%00b", None), ("?a=%C3%28", None), ("?a=%ff", None),
            ("?" + "x=" + "y" * r.choice([100, 2000, 6000]), True),
            ("?" + "&".join("k%d=v" % i for i in range(r.choice([10, 500]))), None),
            ("?a=b;c=d", None), ("?a=+b+", True), ("?a[]=1&a[]=2", None),
            ("?enabled=true", True), ("?a=%E2%82%AC", True), ("?%%%", False),
        ])
        return q

    def trick(self, path):
        """A path variant nginx or the program may map anywhere under /api/v1/."""
        r = self.r
        if path == "/metrics":   # variants nginx still routes to "location = /metrics"
            return r.choice(["//metrics", "/%6detrics", "/./metrics", "/x/../metrics",
                             "/%6D%65%74%72%69%63%73", "///metrics"])
        head, _, last = path.rpartition("/")
        t = r.randrange(14)
        if t == 0:
            return path + "/"
        if t == 1:
            return path.replace("/v1/", "/v1//", 1)
        if t == 2:
            return head + "/./" + last
        if t == 3:
            return head + "/x/../" + last
        if t == 4:
            return head + r.choice(["%2F", "%2f"]) + last
        if t == 5:
            return path + "/" + "a" * r.choice([100, 1000, 4000])
        if t == 6:
            return head + "/" + "".join("%%%02X" % ord(c) for c in last)
        if t == 7:
            return path + r.choice(["%00", "%00.json", ";x", "%20", "~", "%7e", ".json"])
        if t == 8:
            return path.replace("/api/", "/%61pi/", 1)
        if t == 9:
            return head + "/%2e/" + last
        if t == 10:
            return head + "/" + last.upper()
        if t == 11:
            return path + "/%2e%2e"
        if t == 12:
            return head + "\\" + last
        return path.replace("/v1/", "/v1/./", 1)

    def delete_id_path(self, id_):
        r = self.r
        if r.random() < 0.75:
            return "/api/v1/instances/" + id_, True
        if r.random() < 0.3:
            # one segment nginx passes as is, whose id breaks the rule: a 400 (API.md)
            self.id_breaks_rule = True
            return "/api/v1/instances/" + r.choice([
                "x" * 129, "a" + "0" * 127 + "z", "a%20b", "caf%C3%A9", "a+b", "-a", "_a",
                "a%3Bb", "%F0%9F%98%80"]), True
        v = r.choice([
            "%" + "%02X" % ord(id_[0]) + id_[1:],      # encoded first char
            id_ + "%2Fx", "a%2Fb", "a%00b", "%zz", "a%2", "%", "..", ".", "%2e%2e",
            "x" * 128, "x" * 129, "x" * 3000, "%C3%A9", "caf%C3%A9", "a:b.c", "a%3Ab",
            "%F0%9F%98%80", "%ff", "a+b", "a%20b", "a;b",
        ])
        return "/api/v1/instances/" + v, False

    # ------------------------------------------------------------ one request
    def send(self, method, path, headers, body):
        conn = http.client.HTTPConnection("127.0.0.1", self.a.port, timeout=20)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", "localhost")
            for k, v in headers:
                conn.putheader(k, v)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.getheader("Content-Type") or "", \
                {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def bad(self, cat, desc, why):
        self.unexpected += 1
        self.cats[cat] += 1
        if self.printed < self.a.max_print:
            self.printed += 1
            print("UNEXPECTED [%s] %s: %s" % (cat, desc[:300], why), flush=True)

    def one(self):
        r = self.r
        self.n += 1
        # --- where
        u = r.random()
        if u < 0.08:
            path, meth_ok, roles, kind = r.choice(UNKNOWN_PATHS), None, None, "unknown"
        else:
            path, meth_ok, roles, kind = r.choice(ROUTES)
        # --- how
        m = r.random()
        if m < 0.62:
            method = meth_ok or r.choice(STD_METHODS)
            if meth_ok == "GET" and r.random() < 0.25:
                method = "HEAD"
        elif m < 0.9:
            method = r.choice(STD_METHODS)
        elif m < 0.98:
            method = r.choice(JUNK_METHODS)
        else:
            method = r.choice(NGINX_METHODS)
        # --- who
        auth, role, sub = self.token()
        # --- which id (delete and heartbeat)
        use_known = self.known and r.random() < 0.15
        id_ = r.choice(self.known) if use_known else r.choice(self.pool)
        if kind == "delete" and role == INSTANCE and r.random() < 0.5 and not use_known:
            id_ = sub
        clean = True
        self.id_breaks_rule = False
        if kind == "heartbeat" and method == "DELETE":
            kind, meth_ok, id_ = "delete", "DELETE", "heartbeat"
        if kind == "delete" and path != "/api/v1/instances/heartbeat":
            path, clean = self.delete_id_path(id_)
        # --- path tricks
        if r.random() < 0.12:
            path = self.trick(path)
            clean = False
        qs, q_ok = self.query(kind)
        if q_ok is None:
            clean = False
        # --- body
        body, verdict, ids = None, "none", set()
        want_body = kind == "heartbeat" and method == "POST" or r.random() < 0.15
        if want_body:
            if r.random() < 0.02:
                body, verdict = b"{" + b" " * (1024 * 1024 + 10) + b"}", "nginx413"
            else:
                body, verdict = self.heartbeat_body(id_, must_fail=use_known)
                verdict, ids = self.classify(body, verdict)
        elif method in ("POST", "PUT", "PATCH") and r.random() < 0.5:
            body = b""
        # --- headers
        headers = []
        dup_auth = False
        if auth is not None:
            headers.append(("Authorization", auth))
        if r.random() < 0.04 and auth is not None:   # a second Authorization header
            a2, role2, _ = self.token()
            if a2 is not None:
                headers.append(("Authorization", a2))    # nginx refuses it: 400
                dup_auth = True
        if body is not None:
            ct = r.choice(["application/json"] * 5 + [
                None, "text/plain", "application/x-www-form-urlencoded",
                "application/json; charset=latin1", "multipart/form-data; boundary=x",
                "application/problem+json", "", "*/*", "application/json" + ";" * 300])
            if ct is not None:
                headers.append(("Content-Type", ct))
        if r.random() < 0.1:
            headers.append(("X-Request-Id", r.choice(
                ["abc", "x" * 300, "a b", "\u00e9".encode().decode("latin-1"), "", "../..",
                 "%00", "{}", "a\"b"])))
        if r.random() < 0.05:
            headers.append(("Accept", r.choice(["text/csv", "*/*", "application/xml", "x" * 500])))
        nginx_level = method in NGINX_METHODS or dup_auth or BAD_PCT.search(path)
        if r.random() < 0.005:
            headers.append(("X-Big", "h" * 9000))
            nginx_level = True
        if kind == "delete" and use_known and (role in AUTH_FLEET or role == "maybe"):
            # a known id must survive: never an authorized DELETE of it
            headers = [h for h in headers if h[0] != "Authorization"]
            auth, role = None, None
            if r.random() < 0.5:
                auth, role, sub = self.token(r.choice([USER, ADMIN, "expired", "badsig",
                                                       "alg_none"]))
                headers.append(("Authorization", auth))
        if r.random() < 0.003:
            path = path + "/" + "p" * 9000
            nginx_level = True
            clean = False

        url = path + qs
        if len(url) > 7000:   # over nginx's 8 KiB request line: 414
            nginx_level = True
        desc = "%s %s [%s%s] body=%s" % (method, url[:160], role or ("bad" if auth else "none"),
                                         "" if auth is None or role else "",
                                         "none" if body is None else "%d:%s" % (len(body), verdict))
        # heartbeat: record what the server may register
        if kind == "heartbeat" and method == "POST" and body is not None and \
                (role in AUTH_FLEET or role == "maybe") and verdict in ("valid", "open") and \
                q_ok is not False:
            for i in ids:
                if i in self.known:
                    self.bad("generator", desc, "generator bug: a known id in a body that may be accepted")
                self.ids_ok.add(i)
            if verdict == "valid":
                self.valid_hb += 1

        try:
            status, ctype, hdrs, data = self.send(method, url, headers, body)
        except (OSError, http.client.HTTPException) as e:
            self.bad("noanswer", desc, "no answer: %r" % (e,))
            return
        self.statuses[status] = self.statuses.get(status, 0) + 1

        # ------------------------------------------------ nginx refused it while parsing
        if nginx_level:
            self.nginx_level += 1
            if not 400 <= status < 500:
                self.bad("nginx", desc, "nginx-level refusal answered %d" % status)
            return
        # ------------------------------------------------ the universal checks
        if status >= 500 and not (status == 503 and kind in DO_KINDS):
            self.bad("5xx", desc, "%d %s" % (status, data[:200]))
        if status >= 400:
            if ctype.split(";")[0].strip().lower() != "application/problem+json":
                cat = "conf413" if status == 413 and kind == "metrics" else "problem"
                self.bad(cat, desc, "%d with Content-Type %r" % (status, ctype))
            elif method != "HEAD":
                try:
                    p = json.loads(data.decode("utf-8"))
                    if not isinstance(p, dict):
                        raise ValueError("not an object")
                    for f in ("type", "title", "detail"):
                        if not isinstance(p.get(f), str):
                            raise ValueError("no string %s" % f)
                    if p.get("status") != status or isinstance(p.get("status"), bool):
                        raise ValueError("status %r" % (p.get("status"),))
                except (ValueError, UnicodeDecodeError) as e:
                    self.bad("problem", desc, "%d problem body: %s: %r" % (status, e, data[:200]))
        if status == 401 and not hdrs.get("www-authenticate", "").startswith("Bearer"):
            self.bad("header", desc, "401 without WWW-Authenticate: Bearer")
        if status == 405 and "allow" not in hdrs:
            self.bad("header", desc, "405 without Allow")
        if 200 <= status < 300 and method != "HEAD" and data and \
                ctype.split(";")[0].strip().lower() == "application/json":
            try:
                json.loads(data.decode("utf-8"), parse_constant=lambda c: 1 / 0)
            except (ValueError, UnicodeDecodeError, ZeroDivisionError) as e:
                self.bad("json", desc, "%d JSON answer is not UTF-8 JSON: %s" % (status, e))
        # ------------------------------------------------ the contract's exact answer
        if not clean:
            return
        self.cur_path = path
        want = self.expected(kind, method, meth_ok, roles, auth, role, sub, id_, q_ok,
                             body, verdict, query_has_pairs(qs))
        if want is None:
            return
        self.strict += 1
        if status not in want:
            self.bad("status", desc, "status %d, the contract says %s" % (status, sorted(want)))

    def expected(self, kind, method, meth_ok, roles, auth, role, sub, id_, q_ok, body, verdict,
                 q_keys):
        if verdict == "nginx413":
            return {413}
        if kind == "unknown":
            # nginx redirects a location's prefix without its slash (a 3xx, no error)
            return {301, 404} if path_is_prefix(self.cur_path) else {404}
        if kind == "history":
            return None   # not every build has it yet: universal checks only
        if method != meth_ok and not (method == "HEAD" and meth_ok == "GET"):
            return {405}
        if role == "maybe":
            return None
        if roles is not None:
            if role is None:
                return {401}
            if role not in roles:
                return {403}
        elif kind == "metrics" and auth is not None and role is None:
            # from an allowlisted address: a bad token may be ignored or refused
            want = {200, 401}
            if q_ok is False or q_keys:
                want.add(400)
            if body is not None and len(body) > BODY_MAX:
                want.add(413)
            return want
        blen = len(body) if body is not None else 0
        if kind == "delete" and self.id_breaks_rule and self.cur_path != "/api/v1/instances/heartbeat":
            # the declared {id} is checked before the handler's own 403
            return {413} if q_ok is not False and blen > BODY_MAX else {400}
        if kind == "delete" and role == INSTANCE and sub != id_:
            # the handler's own check: the pipeline's query and size checks come first
            return {403} if q_ok is not False and not q_keys and blen <= BODY_MAX \
                else {400, 403, 413}
        if q_ok is False:
            return {400}
        if blen > BODY_MAX:
            return {413}
        if q_keys:
            # no route here declares a query parameter: any key is a 400 (declared input)
            return {400}
        if kind == "heartbeat":
            if verdict == "valid":
                return {200}
            if verdict == "invalid":
                return {400}
            return {200, 400}
        if kind == "delete":
            return {204, 404}
        if kind in DO_KINDS:
            return {503}
        if kind == "refresh":
            return {200}
        return {200}

    def run(self):
        t0 = time.time()
        for _ in range(self.a.count):
            self.one()
        if self.a.ids_out:
            with open(self.a.ids_out, "w") as f:
                for i in sorted(self.ids_ok):
                    f.write(i + "\n")
        st = " ".join("%d:%d" % kv for kv in sorted(self.statuses.items()))
        print("fuzz: %d requests, %d unexpected, %d checked against an exact status, "
              "%d refused by nginx while parsing, %d valid heartbeats (%d ids), seed %d, "
              "%.1f s; statuses %s; unexpected by kind %s" % (
                  self.n, self.unexpected, self.strict, self.nginx_level, self.valid_hb,
                  len(self.ids_ok), self.a.seed, time.time() - t0, st,
                  " ".join("%s=%d" % kv for kv in self.cats.items())), flush=True)
        return 0 if self.unexpected == 0 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED") or 20261122))
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--secret", default=os.environ.get("HEADCOUNT_JWT_SECRET", ""))
    ap.add_argument("--known", default="", help="comma-separated ids that must survive")
    ap.add_argument("--ids-out", help="file for the ids the server may have registered")
    ap.add_argument("--max-print", type=int, default=60)
    a = ap.parse_args()
    if not a.secret:
        ap.error("no --secret and no HEADCOUNT_JWT_SECRET")
    sys.setrecursionlimit(10000)
    return Fuzz(a).run()


if __name__ == "__main__":
    sys.exit(main())
