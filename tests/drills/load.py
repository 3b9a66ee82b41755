#!/usr/bin/env python3
# Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
"""load.py: heartbeat, list and readiness load through the web server for the fault drills.

Threads send heartbeats for --ids instance ids (round robin), list the
instances, probe /health/ready (and optional --get paths), each request
timed; an optional subscriber counts the "registered" events on Redis
(events:instances), following a Sentinel failover by asking the sentinels
again.  Runs until --stop-file appears (or --seconds pass), then writes a
JSON summary to --out:
  counts {kind: {status: n}}, max_ms {kind: ms}, failures [[t, kind,
  status, retry_after, ms]...] (first 200), fail_window {kind: [first,
  last]} (start times of failed requests), fail_times {kind: [t...]}
  (the first 5000 per kind), ok_ids (ids with a 200
  heartbeat), registered (ids answered registered=true), events (ids seen
  in a "registered" event), sse_events (the same through the events
  program's SSE stream, --sse), sse_reconnects, no_retry_after (503s without Retry-After; /health/ready's
  503 is a readiness answer and needs none),
  ready [[t, status]...] (each change), slow [[t, kind, ms]...] over --slow-ms.
Times are seconds since the epoch (time.time()).
"""
import argparse
import http.client
import json
import os
import socket
import threading
import time


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.max_ms = {}
        self.failures = []
        self.ok_ids = set()
        self.registered = set()
        self.events = set()
        self.sse_events = set()
        self.sse_reconnects = 0
        self.no_retry_after = 0
        self.ready = []
        self.slow = []
        self.nfail = 0
        self.window = {}
        self.times = {}

    def record(self, kind, status, ms, t0, retry_after, slow_ms):
        with self.lock:
            c = self.counts.setdefault(kind, {})
            c[str(status)] = c.get(str(status), 0) + 1
            if ms > self.max_ms.get(kind, 0):
                self.max_ms[kind] = ms
            if status != 200 and status != 204:
                self.nfail += 1
                w = self.window.setdefault(kind, [t0, t0])
                w[0] = min(w[0], t0)
                w[1] = max(w[1], t0)
                ts = self.times.setdefault(kind, [])
                if len(ts) < 5000:
                    ts.append(round(t0, 3))
                if len(self.failures) < 200:
                    self.failures.append([round(t0, 3), kind, status, retry_after, round(ms, 1)])
                if status == 503 and not retry_after and kind != "ready":
                    self.no_retry_after += 1
            if ms > slow_ms and len(self.slow) < 200:
                self.slow.append([round(t0, 3), kind, round(ms, 1)])


def request(conn_box, host, port, method, path, body, headers, timeout):
    """One request on a kept connection (reopened when it broke); (status, headers, body)."""
    for attempt in (0, 1):
        if conn_box[0] is None:
            conn_box[0] = http.client.HTTPConnection(host, port, timeout=timeout)
        c = conn_box[0]
        try:
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
            if r.getheader("Connection", "").lower() == "close":
                c.close()
                conn_box[0] = None
            return r.status, r, data
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
            # a kept connection the server closed between requests: the
            # request never reached it; one fresh try, as any client does
            c.close()
            conn_box[0] = None
            if attempt == 1:
                return 0, None, str(e).encode()
        except (socket.timeout, OSError) as e:
            c.close()
            conn_box[0] = None
            return 0, None, str(e).encode()
    return 0, None, b""


def grower(a, st, stop):
    """Adds a new instance id to the pool every --grow seconds: fresh registrations
    (and their events) during and after the fault."""
    k = 0
    while not stop.wait(a.grow):
        with st.lock:
            st.pool.append("g%s-%03d" % (a.prefix, k))
        k += 1


def worker(a, st, kind, stop, idx):
    box = [None]
    n = 0
    while not stop.is_set():
        headers = {}
        body = None
        method = "GET"
        if kind == "heartbeat":
            with st.lock:
                iid = st.pool[(idx + n * a.heartbeat_threads) % len(st.pool)]
            path = "/api/v1/instances/heartbeat"
            method = "POST"
            body = json.dumps({"instance_id": iid, "meta": {"drill": a.prefix}})
            headers = {"Authorization": "Bearer " + a.token, "Content-Type": "application/json"}
        elif kind == "list":
            path = "/api/v1/health/instances"
            headers = {"Authorization": "Bearer " + a.token}
        elif kind == "ready":
            path = "/api/v1/health/ready"
        else:
            path = kind
            headers = {"Authorization": "Bearer " + a.token}
        t0 = time.time()
        status, resp, data = request(box, a.host, a.port, method, path, body, headers, a.timeout)
        ms = (time.time() - t0) * 1000.0
        retry_after = bool(resp is not None and resp.getheader("Retry-After"))
        st.record(kind, status, ms, t0, retry_after, a.slow_ms)
        if kind == "heartbeat" and status == 200:
            try:
                reg = json.loads(data).get("registered")
            except ValueError:
                reg = None
            with st.lock:
                st.ok_ids.add(iid)
                if reg:
                    st.registered.add(iid)
        if kind == "ready":
            with st.lock:
                if not st.ready or st.ready[-1][1] != status:
                    st.ready.append([round(t0, 3), status])
        n += 1
        if a.pause > 0:
            time.sleep(a.pause)


# ------------------------------------------------------------------ events
def resp_read(f):
    line = f.readline()
    if not line:
        raise ConnectionError("closed")
    t, rest = line[:1], line[1:-2]
    if t in (b"+", b"-", b":"):
        return rest.decode(errors="replace")
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2].decode(errors="replace")
    if t == b"*":
        n = int(rest)
        return [resp_read(f) for _ in range(max(n, 0))]
    raise ConnectionError("bad reply")


def resp_cmd(*args):
    out = b"*%d\r\n" % len(args)
    for x in args:
        x = x.encode() if isinstance(x, str) else x
        out += b"$%d\r\n%s\r\n" % (len(x), x)
    return out


def redis_connect(target, timeout=1.0):
    """target: unix:/path, tcp:host:port or sentinel:h:p,h:p/master[/password]."""
    if target.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(target[5:])
        return s
    if target.startswith("tcp:"):
        h, p = target[4:].rsplit(":", 1)
        return socket.create_connection((h, int(p)), timeout=timeout)
    nodes, master = target[9:].split("/", 1)
    for node in nodes.split(","):
        h, p = node.rsplit(":", 1)
        try:
            s = socket.create_connection((h, int(p)), timeout=timeout)
            s.sendall(resp_cmd("SENTINEL", "get-master-addr-by-name", master))
            addr = resp_read(s.makefile("rb"))
            s.close()
            if isinstance(addr, list) and len(addr) == 2:
                return socket.create_connection((addr[0], int(addr[1])), timeout=timeout)
        except OSError:
            continue
    raise ConnectionError("no sentinel answered")


def subscriber(a, st, stop, ready_evt):
    while not stop.is_set():
        try:
            s = redis_connect(a.events)
            s.sendall(resp_cmd("SUBSCRIBE", "events:instances"))
            f = s.makefile("rb")
            resp_read(f)
            ready_evt.set()
            s.settimeout(0.5)
            while not stop.is_set():
                try:
                    msg = resp_read(f)
                except socket.timeout:
                    continue
                if isinstance(msg, list) and len(msg) == 3 and msg[0] == "message":
                    try:
                        ev = json.loads(msg[2])
                    except ValueError:
                        continue
                    if ev.get("event") == "registered":
                        with st.lock:
                            st.events.add(ev.get("instance_id"))
        except (OSError, ConnectionError, ValueError):
            time.sleep(0.1)


def sse_subscriber(a, st, stop, ready_evt):
    """The registered events as the events program relays them through the web server (SSE),
    resuming with Last-Event-ID after a lost stream."""
    last_id = None
    first = True
    while not stop.is_set():
        try:
            # longer than the program's 15 s keep-alive comment: a timeout is a dead stream
            c = http.client.HTTPConnection(a.host, a.port, timeout=20.0)
            h = {"Authorization": "Bearer " + a.token, "Accept": "text/event-stream"}
            if last_id:
                h["Last-Event-ID"] = last_id
            c.request("GET", a.sse, headers=h)
            r = c.getresponse()
            if r.status != 200:
                r.read()
                c.close()
                time.sleep(0.2)
                continue
            if not first:
                with st.lock:
                    st.sse_reconnects += 1
            first = False
            ready_evt.set()
            data = []
            while not stop.is_set():
                line = r.fp.readline()
                if not line:
                    break
                line = line.decode(errors="replace").rstrip("\r\n")
                if line.startswith("id:"):
                    last_id = line[3:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and data:
                    try:
                        msg = json.loads("\n".join(data))
                        ev = msg.get("data")
                        if isinstance(ev, str):
                            ev = json.loads(ev)
                        if isinstance(ev, dict) and ev.get("event") == "registered":
                            with st.lock:
                                st.sse_events.add(ev.get("instance_id"))
                    except (ValueError, AttributeError):
                        pass
                    data = []
            c.close()
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--token", required=True, help="an owner token")
    ap.add_argument("--ids", type=int, default=20)
    ap.add_argument("--prefix", default="drill")
    ap.add_argument("--grow", type=float, default=0,
                    help="every S seconds one more id (g<prefix>-NNN) joins the heartbeats")
    ap.add_argument("--heartbeat-threads", type=int, default=3)
    ap.add_argument("--list-threads", type=int, default=1)
    ap.add_argument("--ready-threads", type=int, default=1)
    ap.add_argument("--get", action="append", default=[], help="another path to GET in a loop")
    ap.add_argument("--pause", type=float, default=0.01, help="seconds between a thread's requests")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--slow-ms", type=float, default=1e9)
    ap.add_argument("--events", help="count registered events: unix:PATH, tcp:H:P, sentinel:H:P,.../MASTER")
    ap.add_argument("--sse", help="also count them as the events program relays them: GET PATH (SSE)")
    ap.add_argument("--stop-file")
    ap.add_argument("--started-file", help="written once the load (and subscriber) runs")
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    st = Stats()
    st.pool = ["%s-%03d" % (a.prefix, i) for i in range(a.ids)]
    stop = threading.Event()
    threads = []
    sub_ready = threading.Event()
    if a.events:
        t = threading.Thread(target=subscriber, args=(a, st, stop, sub_ready), daemon=True)
        t.start()
        sub_ready.wait(10)
    if a.sse:
        sse_ready = threading.Event()
        t = threading.Thread(target=sse_subscriber, args=(a, st, stop, sse_ready), daemon=True)
        t.start()
        sse_ready.wait(10)
    kinds = (["heartbeat"] * a.heartbeat_threads + ["list"] * a.list_threads +
             ["ready"] * a.ready_threads + a.get)
    for i, k in enumerate(kinds):
        t = threading.Thread(target=worker, args=(a, st, k, stop, i), daemon=True)
        t.start()
        threads.append(t)
    if a.grow > 0:
        threading.Thread(target=grower, args=(a, st, stop), daemon=True).start()
    if a.started_file:
        with open(a.started_file, "w") as f:
            f.write("%f\n" % time.time())
    deadline = time.time() + a.seconds
    while time.time() < deadline and not (a.stop_file and os.path.exists(a.stop_file)):
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(a.timeout + 2)
    time.sleep(0.3)  # the last events in flight
    with st.lock:
        out = {"counts": st.counts, "max_ms": {k: round(v, 1) for k, v in st.max_ms.items()},
               "failures": st.failures, "nfail": st.nfail,
               "ok_ids": sorted(st.ok_ids), "registered": sorted(st.registered),
               "events": sorted(x for x in st.events if x), "no_retry_after": st.no_retry_after,
               "ready": st.ready, "slow": st.slow, "fail_window": st.window, "fail_times": st.times, "events_on": bool(a.events),
               "sse_events": sorted(x for x in st.sse_events if x), "sse_on": bool(a.sse),
               "sse_reconnects": st.sse_reconnects}
    with open(a.out + ".tmp", "w") as f:
        json.dump(out, f)
    os.rename(a.out + ".tmp", a.out)


if __name__ == "__main__":
    main()
