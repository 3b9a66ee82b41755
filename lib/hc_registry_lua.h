/* hc_registry_lua: the registry's Lua scripts (private to hc_registry.c). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_REGISTRY_LUA_H
#define HC_REGISTRY_LUA_H

enum hc_script {
	HC_SCRIPT_HEARTBEAT,
	HC_SCRIPT_REMOVE,
	HC_SCRIPT_SUMMARY,
	HC_SCRIPT_MAINTAIN,
	HC_SCRIPT_STATUS,
	HC_SCRIPT_MAX
};

struct hc_registry_script {
	const char	*name;
	const char	*body;
};

/* Indexed by enum hc_script; sent as EVALSHA, EVAL after NOSCRIPT. */
extern const struct hc_registry_script hc_registry_scripts[HC_SCRIPT_MAX];

#endif
