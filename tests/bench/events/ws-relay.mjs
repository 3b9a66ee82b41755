// ws-relay.mjs: the peer of bench-events.sh, a Redis pub/sub -> WebSocket relay as users write it
// in Node: ioredis PSUBSCRIBE + the ws package, one process, {"channel","data"} text frames,
// ping every 15 s.  Listens on a unix socket behind the same nginx.
//
//   node ws-relay.mjs UNIX_SOCKET REDIS_UNIX_SOCKET [PATTERN]
// Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
import fs from 'node:fs';
import http from 'node:http';
import Redis from 'ioredis';
import { WebSocketServer } from 'ws';

const [sock, redisSock, pattern = 'events:*'] = process.argv.slice(2);
const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
const wss = new WebSocketServer({ server, perMessageDeflate: false });
const sub = new Redis({ path: redisSock });

sub.psubscribe(pattern);
sub.on('pmessage', (_pat, channel, payload) => {
	let data = payload;
	try {
		const o = JSON.parse(payload);
		if (o && typeof o === 'object' && !Array.isArray(o)) data = o;
	} catch { /* a string then */ }
	const text = JSON.stringify({ channel, data });
	for (const ws of wss.clients)
		if (ws.readyState === 1 && ws.bufferedAmount <= 1024 * 1024) ws.send(text);
		else if (ws.readyState === 1) ws.terminate();	// the same 1 MiB rule
});
wss.on('connection', (ws) => {
	ws.alive = true;
	ws.on('pong', () => { ws.alive = true; });
});
setInterval(() => {
	for (const ws of wss.clients) {
		if (!ws.alive) { ws.terminate(); continue; }
		ws.alive = false;
		ws.ping();
	}
}, +(process.env.BENCH_PEER_PING_MS || 15000));
try { fs.unlinkSync(sock); } catch { /* none */ }
server.listen(sock, () => fs.chmodSync(sock, 0o666));
process.on('SIGTERM', () => process.exit(0));
