/* hc_registry_lua: the Lua scripts that make each registry write one atomic round trip. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_registry_lua.h"

#include "hc_record.h"
#include "hc_script.h"

/* KEYS: instances, data, stale.  ARGV: id, payload (hc_record_payload). */
static const char hc_lua_heartbeat[] = HC_SCRIPT_LUA_NOW HC_RECORD_LUA
	"local new = redis.call('ZADD', KEYS[1], now, ARGV[1])\n"
	"local started = nil\n"
	"if new == 0 then\n"
	"  local old = redis.call('HGET', KEYS[2], ARGV[1])\n"
	"  if old then started = hc_record_started(old) end\n"
	"end\n"
	"if not started then started = nows end\n"
	"redis.call('HSET', KEYS[2], ARGV[1], hc_record(started, nows, ARGV[2]))\n"
	"redis.call('SREM', KEYS[3], ARGV[1])\n"
	"return {new, nows}\n";

/* KEYS: instances, data, stale.  ARGV: id. */
static const char hc_lua_remove[] = HC_SCRIPT_LUA_NOW
	"local n = redis.call('ZREM', KEYS[1], ARGV[1])\n"
	"redis.call('HDEL', KEYS[2], ARGV[1])\n"
	"redis.call('SREM', KEYS[3], ARGV[1])\n"
	"return {n, nows}\n";

/* KEYS: instances, preservation, replicas:status.  ARGV: ttl_ms. */
static const char hc_lua_summary[] = HC_SCRIPT_LUA_NOW
	"local total = redis.call('ZCARD', KEYS[1])\n"
	"local stale = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. string.format('%d', now - tonumber(ARGV[1])))\n"
	"return {nows, total, stale, redis.call('GET', KEYS[2]) or false,\n"
	"  redis.call('HGET', KEYS[3], 'desired') or false}\n";

/*
 * KEYS: instances, data, stale, preservation.
 * ARGV: ttl_ms, prune_after_ms, ratio, force (1: prune every stale one).
 * A burst is the stale instances whose last heartbeat lies within one TTL
 * of the newest stale heartbeat: anchored there rather than at now, so a
 * burst is still seen as one when the pass runs late (say after a Redis
 * failover that outlasted the TTL).
 */
static const char hc_lua_maintain[] = HC_SCRIPT_LUA_NOW
	"local ttl = tonumber(ARGV[1])\n"
	"local ratio = tonumber(ARGV[3])\n"
	"local force = ARGV[4] == '1'\n"
	"local cutoff = now - ttl\n"
	"local total = redis.call('ZCARD', KEYS[1])\n"
	"local st = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', cutoff), 'WITHSCORES')\n"
	"local nstale = #st / 2\n"
	"local newly = {}\n"
	"for i = 1, #st, 2 do\n"
	"  if redis.call('SADD', KEYS[3], st[i]) == 1 then newly[#newly + 1] = st[i] end\n"
	"end\n"
	"local sp = redis.call('EXISTS', KEYS[4]) == 1\n"
	"local entered, left = 0, 0\n"
	"local pcut = now - tonumber(ARGV[2])\n"
	"if force then\n"
	"  pcut = cutoff\n"
	"  if sp then redis.call('DEL', KEYS[4]); sp = false; left = 1 end\n"
	"elseif sp then\n"
	"  if nstale <= ratio * total then redis.call('DEL', KEYS[4]); sp = false; left = 1 end\n"
	"elseif nstale > 0 then\n"
	"  local newest = tonumber(st[#st])\n"
	"  local burst = 0\n"
	"  for i = 2, #st, 2 do\n"
	"    if tonumber(st[i]) > newest - ttl then burst = burst + 1 end\n"
	"  end\n"
	"  if burst > ratio * total then redis.call('SET', KEYS[4], nows); sp = true; entered = 1 end\n"
	"end\n"
	"local pruned = {}\n"
	"if not sp then\n"
	"  pruned = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', pcut))\n"
	"  for i = 1, #pruned, 1000 do\n"
	"    local j = math.min(i + 999, #pruned)\n"
	"    redis.call('ZREM', KEYS[1], unpack(pruned, i, j))\n"
	"    redis.call('HDEL', KEYS[2], unpack(pruned, i, j))\n"
	"    redis.call('SREM', KEYS[3], unpack(pruned, i, j))\n"
	"  end\n"
	"end\n"
	"return {nows, total - #pruned, nstale - #pruned, redis.call('GET', KEYS[4]) or false,\n"
	"  newly, pruned, entered, left}\n";

const struct hc_registry_lua_src hc_registry_lua[HC_REGISTRY_LUA_MAX] = {
	{ "heartbeat", hc_lua_heartbeat },
	{ "remove", hc_lua_remove },
	{ "summary", hc_lua_summary },
	{ "maintain", hc_lua_maintain },
};

