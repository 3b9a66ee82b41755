// events-client.mjs: real npm clients (eventsource, ws) of the realtime streams for the integration tests.
//
//   node events-client.mjs sse|ws|stall URL [--token T] [--header] [--channels LIST]
//        [--last-event-id ID] [--no-pong] [--events NAME,...] --out FILE
//
// Writes one JSON line per happening to FILE: {"at":<ms since epoch>,"type":"open"|
// "message"|"error"|"close","event":..,"id":..,"data":<parsed>}, so a shell test
// polls the file with a deadline.  "stall" opens an SSE stream and never reads.
import fs from 'node:fs';
import http from 'node:http';
import { EventSource } from 'eventsource';
import WebSocket from 'ws';

const argv = process.argv.slice(2);
const mode = argv.shift();
const base = argv.shift();
const opt = {};
for (let i = 0; i < argv.length; i++) {
	const k = argv[i].replace(/^--/, '');
	if (k === 'header' || k === 'no-pong') opt[k] = true;
	else opt[k] = argv[++i];
}
const out = fs.openSync(opt.out, 'a');
const log = (o) => fs.writeSync(out, JSON.stringify({ at: Date.now(), ...o }) + '\n');

const url = new URL(base);
if (opt.channels) url.searchParams.set('channels', opt.channels);
if (opt.token && !opt.header) url.searchParams.set('access_token', opt.token);
const headers = {};
if (opt.token && opt.header) headers.Authorization = 'Bearer ' + opt.token;
if (opt['last-event-id']) headers['Last-Event-ID'] = opt['last-event-id'];

function parse(s) {
	try { return JSON.parse(s); } catch { return s; }
}

if (mode === 'sse') {
	const es = new EventSource(url.toString(), {
		fetch: (u, init) => fetch(u, { ...init, headers: { ...init.headers, ...headers } }),
	});
	es.onopen = () => log({ type: 'open' });
	es.onerror = (e) => log({ type: 'error', code: e.code ?? null, message: e.message ?? null });
	const names = (opt.events || 'events:orders,events:flags,events:instances,events:test,events:bulk,reset').split(',');
	for (const n of names)
		es.addEventListener(n, (ev) => log({ type: 'message', event: n, id: ev.lastEventId, data: parse(ev.data) }));
} else if (mode === 'ws') {
	url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
	const ws = new WebSocket(url.toString(), { headers, autoPong: !opt['no-pong'] });
	ws.on('open', () => log({ type: 'open' }));
	ws.on('ping', () => log({ type: 'ping' }));
	ws.on('message', (d) => {
		const m = parse(d.toString());
		log({ type: 'message', event: m && m.channel, data: m });
	});
	ws.on('unexpected-response', (req, res) => {
		log({ type: 'error', code: res.statusCode });
		process.exit(0);
	});
	ws.on('error', (e) => log({ type: 'error', message: String(e.message) }));
	ws.on('close', (code) => { log({ type: 'close', code }); process.exit(0); });
} else if (mode === 'stall') {
	// Asks for the stream, takes the headers, then never reads the body again.
	const req = http.get(url, { headers }, (res) => {
		log({ type: 'open', code: res.statusCode });
		res.pause();
		res.socket.pause();
		process.on('SIGUSR1', () => {	// read again: drain what is queued and see the end
			log({ type: 'resumed' });
			res.on('data', () => {});
			res.on('end', () => { log({ type: 'close' }); process.exit(0); });
			res.on('close', () => { log({ type: 'close' }); process.exit(0); });
			res.socket.resume();
			res.resume();
		});
	});
	req.on('error', (e) => log({ type: 'error', message: String(e.message) }));
	setInterval(() => {}, 1000);	// a paused socket alone does not keep node running
} else {
	console.error('usage: events-client.mjs sse|ws|stall URL ...');
	process.exit(2);
}
process.on('SIGTERM', () => process.exit(0));
