/* hc_registry_lua: the registry's Lua scripts (private to hc_registry.c). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_REGISTRY_LUA_H
#define HC_REGISTRY_LUA_H

enum hc_registry_lua {
	HC_REGISTRY_LUA_HEARTBEAT,
	HC_REGISTRY_LUA_REMOVE,
	HC_REGISTRY_LUA_SUMMARY,
	HC_REGISTRY_LUA_MAINTAIN,
	HC_REGISTRY_LUA_MAX
};

struct hc_registry_lua_src {
	const char	*name;
	const char	*body;
};

/* Indexed by enum hc_registry_lua; run with hc_script_run. */
extern const struct hc_registry_lua_src hc_registry_lua[HC_REGISTRY_LUA_MAX];

#endif
