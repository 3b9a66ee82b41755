// events-bench.mjs: N concurrent subscribers (SSE and WebSocket) and a steady publisher, for bench-events.sh.
//
//   node events-bench.mjs --base http://127.0.0.1:PORT --sse PATH --ws PATH --n N
//        [--sse-share 0.5] --token T --procs P --rate R --seconds S --redis SOCK
//        --channel C --ready FILE [--go FILE] [--done FILE] [--sample F]
//
// Forks P client processes that open N streams between them (a share of SSE, the
// rest WebSocket), writes FILE once all are open, waits for the --go file, then PUBLISHes R messages/s for
// S seconds ({"seq":i,"t":<ms>}) straight to Redis over its unix socket, writes the --done file, waits for
// the stragglers (until deliveries stop growing) and prints one JSON line: streams open, deliveries, lost,
// delay p50/p99/max (ms, PUBLISH to receipt), connect failures, streams closed.
// Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import WebSocket from 'ws';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const BUCKET_MS = 0.1, NBUCKETS = 200000;	// delays up to 20 s in 0.1 ms steps

if (args.worker !== undefined) worker(); else coordinator();

function worker() {
	const first = +args.first, count = +args.count, share = +args['sse-share'];
	// sample < 1: only that share of the streams is read live and timed; the others
	// stop reading once open and read everything at the end (counted, not timed),
	// so the load generator on the same machine costs less than the relay measured
	const sample = args.sample === undefined ? 1 : +args.sample;
	const paused = [];
	const hist = new Uint32Array(NBUCKETS + 1);
	let open = 0, failed = 0, closed = 0, deliveries = 0, timedn = 0, max = 0, pending = 0, next = 0;
	const record = (text, timed) => {
		let m;
		try { m = JSON.parse(text); } catch { return; }
		const d = m && m.data;
		if (!d || typeof d.t !== 'number') return;
		deliveries++;
		if (!timed) return;
		timedn++;
		const ms = Date.now() - d.t;
		if (ms > max) max = ms;
		hist[Math.min(NBUCKETS, Math.max(0, Math.round(ms / BUCKET_MS)))]++;
	};
	const opened = () => { open++; pending--; more(); if (open + failed === count) process.send({ ready: true }); };
	const fail = () => { failed++; pending--; more(); if (open + failed === count) process.send({ ready: true }); };
	const qs = (p) => args.base + p + '?access_token=' + encodeURIComponent(args.token);
	function sse(timed) {
		const req = http.get(qs(args.sse), { agent: false }, (res) => {
			if (res.statusCode !== 200) { res.resume(); fail(); return; }
			opened();
			if (!timed) { res.pause(); paused.push(() => res.resume()); }
			let buf = '';
			res.setEncoding('utf8');
			res.on('data', (chunk) => {
				buf += chunk;
				let i;
				while ((i = buf.indexOf('\n\n')) !== -1) {
					const block = buf.slice(0, i);
					buf = buf.slice(i + 2);
					const at = block.indexOf('data: ');
					if (at !== -1) record(block.slice(at + 6, block.indexOf('\n', at) === -1 ? undefined : block.indexOf('\n', at)), timed);
				}
			});
			res.on('close', () => closed++);
		});
		req.on('error', () => { if (pending > 0) fail(); });
	}
	function ws(timed) {
		const w = new WebSocket(qs(args.ws).replace(/^http/, 'ws'), { perMessageDeflate: false });
		let up = false;
		w.on('open', () => {
			up = true;
			opened();
			if (!timed) { w.pause(); paused.push(() => w.resume()); }
		});
		w.on('message', (data) => record(data.toString(), timed));
		w.on('error', () => { if (!up) { up = true; fail(); } });
		w.on('close', () => { if (up) closed++; });
	}
	// at most 64 handshakes in flight per process: a steady ramp, not a SYN flood
	function more() {
		while (pending < 64 && next < count) {
			const i = first + next++;
			pending++;
			const timed = ((i * 7919) % 1000) / 1000 < sample;
			if ((i % 1000) / 1000 < share) sse(timed); else ws(timed);
		}
	}
	process.on('message', (m) => {
		if (m.count) process.send({ count: deliveries });
		if (m.drain) for (const f of paused.splice(0)) f();
		if (m.report) {
			const sparse = [];
			for (let b = 0; b <= NBUCKETS; b++) if (hist[b]) sparse.push([b, hist[b]]);
			process.send({ report: { open, failed, closed, deliveries, timed: timedn, max, sparse } });
		}
		if (m.exit) process.exit(0);
	});
	more();
}

function publisher(sock) {
	return new Promise((resolve, reject) => {
		const c = net.createConnection(sock, () => resolve(c));
		c.on('error', reject);
		c.on('data', () => {});
	});
}

async function coordinator() {
	const n = +args.n, procs = +args.procs, rate = +args.rate, seconds = +args.seconds;
	const kids = [];
	let ready = 0;
	const started = Date.now();
	for (let p = 0; p < procs; p++) {
		const first = Math.floor(n * p / procs), count = Math.floor(n * (p + 1) / procs) - first;
		const k = fork(new URL(import.meta.url).pathname, [...process.argv.slice(2), '--worker', '1',
			'--first', String(first), '--count', String(count), '--sse-share', args['sse-share'] || '0.5']);
		k.on('message', (m) => {
			if (m.ready) ready++;
			if (m.count !== undefined) k.count = m.count;
			if (m.report) k.report = m.report;
		});
		kids.push(k);
	}
	while (ready < procs) {
		if (Date.now() - started > 300000) { console.error('bench: streams not open after 300 s'); process.exit(1); }
		await new Promise((r) => setTimeout(r, 100));
	}
	const rampMs = Date.now() - started;
	fs.writeFileSync(args.ready, String(Date.now()));
	// --go FILE: publish once FILE exists (the bench measures the idle streams first)
	while (args.go && !fs.existsSync(args.go)) await new Promise((r) => setTimeout(r, 20));
	const c = await publisher(args.redis);
	const total = Math.round(rate * seconds), t0 = Date.now();
	for (let i = 0; i < total; i++) {
		const due = t0 + (i * 1000) / rate;
		const wait = due - Date.now();
		if (wait > 0) await new Promise((r) => setTimeout(r, wait));
		const payload = JSON.stringify({ seq: i, t: Date.now() });
		c.write(`*3\r\n$7\r\nPUBLISH\r\n$${Buffer.byteLength(args.channel)}\r\n${args.channel}\r\n$${Buffer.byteLength(payload)}\r\n${payload}\r\n`);
	}
	if (args.done) fs.writeFileSync(args.done, String(Date.now()));
	// the streams that did not read live read now; then wait until deliveries
	// stop growing (late is not lost), 60 s at most
	for (const k of kids) k.send({ drain: true });
	const doneAt = Date.now();
	let last = -1, still = 0;
	while (still < 4 && Date.now() - doneAt < 60000) {
		for (const k of kids) { k.count = undefined; k.send({ count: true }); }
		while (kids.some((k) => k.count === undefined)) await new Promise((r) => setTimeout(r, 20));
		const now = kids.reduce((a, k) => a + k.count, 0);
		still = now === last ? still + 1 : 0;
		last = now;
		await new Promise((r) => setTimeout(r, 500));
	}
	const drainMs = Date.now() - doneAt;
	for (const k of kids) k.send({ report: true });
	while (kids.some((k) => !k.report)) await new Promise((r) => setTimeout(r, 50));
	const hist = new Map();
	let open = 0, failed = 0, closed = 0, deliveries = 0, timed = 0, max = 0;
	for (const k of kids) {
		const r = k.report;
		open += r.open; failed += r.failed; closed += r.closed; deliveries += r.deliveries;
		timed += r.timed;
		if (r.max > max) max = r.max;
		for (const [b, v] of r.sparse) hist.set(b, (hist.get(b) || 0) + v);
		k.send({ exit: true });
	}
	const pct = (q) => {
		const want = Math.ceil(timed * q);
		let seen = 0;
		for (const b of [...hist.keys()].sort((x, y) => x - y)) {
			seen += hist.get(b);
			if (seen >= want) return +(b * BUCKET_MS).toFixed(1);
		}
		return null;
	};
	console.log(JSON.stringify({ streams: open, failed, closed, published: total,
		expected: total * open, deliveries, timed, lost: total * open - deliveries,
		p50_ms: pct(0.5), p99_ms: pct(0.99), max_ms: max, ramp_ms: rampMs, drain_ms: drainMs }));
	c.end();
}
