'use strict';
// The peer headcount's benchmarks compare against: a Fastify service as a
// Node team would write it, with the same answers from the same Redis.
//
//   GET /api/v1/health/live       {"status":"alive"}
//   GET /api/v1/health/instances  user token (HS256, HEADCOUNT_JWT_SECRET);
//                                 the registry as headcount-instances lists it
//
// Environment: PEER_SOCKET (unix socket path; or PEER_PORT on 127.0.0.1),
// PEER_WORKERS (node cluster processes, 2), REDIS_URL (unix://PATH or
// redis://...), HEADCOUNT_JWT_SECRET, HEADCOUNT_KEY_PREFIX ("headcount:"),
// HEADCOUNT_TTL (seconds, 30), DESIRED_REPLICAS (unset: null).
const cluster = require('node:cluster');
const fs = require('node:fs');

const workers = Number(process.env.PEER_WORKERS || 2);
const sock = process.env.PEER_SOCKET;

if (cluster.isPrimary) {
  if (sock) {
    try { fs.unlinkSync(sock); } catch (e) { /* not there */ }
  }
  for (let i = 0; i < workers; i++) cluster.fork();
  let stopping = false;
  cluster.on('exit', (w, code, sig) => {
    if (!stopping) {
      console.error(`peer: worker ${w.process.pid} died (${sig || code}), replacing it`);
      cluster.fork();
    }
  });
  const stop = () => {
    stopping = true;
    for (const id in cluster.workers) cluster.workers[id].kill('SIGTERM');
    setTimeout(() => process.exit(0), 2000).unref();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers).length === 0) process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return;
}

const Redis = require('ioredis');
const fastify = require('fastify')({
  logger: false,
  // nginx keeps upstream connections 60 s: never close one first (a 502 race)
  keepAliveTimeout: 65000,
});

const prefix = process.env.HEADCOUNT_KEY_PREFIX || 'headcount:';
const ttlMs = Number(process.env.HEADCOUNT_TTL || 30) * 1000;
const desired = process.env.DESIRED_REPLICAS !== undefined &&
  /^\d+$/.test(process.env.DESIRED_REPLICAS) ? Number(process.env.DESIRED_REPLICAS) : null;
const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const redis = url.startsWith('unix://') ?
  new Redis({ path: url.slice('unix://'.length), lazyConnect: false }) :
  new Redis(url);
redis.on('error', (e) => console.error(`peer: redis: ${e.message}`));

fastify.register(require('@fastify/jwt'), {
  secret: process.env.HEADCOUNT_JWT_SECRET,
  verify: { algorithms: ['HS256'] },
});

function problem(reply, status, title, detail) {
  return reply.code(status).type('application/problem+json')
    .send({ type: 'about:blank', title, status, detail });
}

// RFC 3339 to the second, as headcount writes it.
function rfc3339(ms) {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

fastify.get('/api/v1/health/live', {
  schema: {
    response: {
      200: { type: 'object', properties: { status: { type: 'string' } } },
    },
  },
}, async () => ({ status: 'alive' }));

fastify.get('/api/v1/health/instances', async (request, reply) => {
  let claims;
  try {
    claims = await request.jwtVerify();
  } catch (e) {
    return problem(reply, 401, 'Unauthorized', 'A valid bearer token is required');
  }
  if (!['user', 'admin', 'owner'].includes(claims.role)) {
    return problem(reply, 403, 'Forbidden', 'This role may not read the instances');
  }
  let res;
  try {
    // one round trip, the commands headcount-instances sends
    res = await redis.multi()
      .time()
      .hgetall(prefix + 'instance:data')
      .exists(prefix + 'self_preservation')
      .exec();
  } catch (e) {
    return problem(reply, 503, 'Service Unavailable', 'Redis is not reachable');
  }
  if (res.some(([err]) => err)) {
    return problem(reply, 503, 'Service Unavailable', 'Redis answered an error');
  }
  const [t] = res[0].slice(1);
  const now = Number(t[0]) * 1000 + Math.floor(Number(t[1]) / 1000);
  const data = res[1][1];
  const ids = Object.keys(data).sort();	// ids are ASCII: code-unit order is byte order
  let active = 0, stale = 0;
  const list = ids.map((id) => {
    let d = {};
    try { d = JSON.parse(data[id]); } catch (e) { /* damaged: defaults */ }
    const last = Number.isInteger(d.last) ? d.last : 0;
    const isStale = now - last > ttlMs;
    if (isStale) stale++; else active++;
    return {
      instance_id: id,
      hostname: typeof d.hostname === 'string' ? d.hostname : id,
      started_at: rfc3339(Number.isInteger(d.started_at) ? d.started_at : last),
      last_heartbeat: rfc3339(last),
      seconds_since_heartbeat: Math.max(0, Math.trunc((now - last) / 1000)),
      is_stale: isStale,
      meta: d.meta && typeof d.meta === 'object' && !Array.isArray(d.meta) ? d.meta : {},
    };
  });
  return {
    desired_replicas: desired,
    active_instances: active,
    stale_instances: stale,
    registered_instances: list,
  };
});

const opts = sock ? { path: sock } : { port: Number(process.env.PEER_PORT || 0), host: '127.0.0.1' };
fastify.listen(opts).then(() => {
  if (sock) fs.chmodSync(sock, 0o666);	// nginx's workers may be another user
}).catch((e) => {
  console.error(`peer: listen: ${e.message}`);
  process.exit(1);
});
process.on('SIGTERM', () => {
  fastify.close().then(() => redis.quit()).finally(() => process.exit(0));
});
