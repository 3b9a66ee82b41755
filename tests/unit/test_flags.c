/* test_flags: the flag-name rule, stored values, and the shared copy seen by a forked reader. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hc_flagcache.h"
#include "hc_flags.h"
#include "hc_hash.h"

#include "tap.h"

static void
check_names(void)
{
	static const struct { const char *s; int ok; } t[] = {
		{ "checkout.new_flow", 1 }, { "a", 1 }, { "0", 1 }, { "a-b_c.d", 1 },
		{ "9lives", 1 },
		{ "", 0 }, { ".a", 0 }, { "-a", 0 }, { "_a", 0 }, { "A", 0 },
		{ "checkout.New", 0 }, { "a b", 0 }, { "a/b", 0 }, { "a:b", 0 },
		{ "caf\xc3\xa9", 0 }, { "a\tb", 0 },
	};
	char	 name[80];
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		tap_ok(hc_flags_name_valid(t[i].s) == t[i].ok, "name \"%s\" %s", t[i].s,
		    t[i].ok ? "valid" : "refused");
	memset(name, 'a', 64);
	name[64] = '\0';
	tap_ok(hc_flags_name_valid(name), "name of 64 bytes valid");
	name[64] = 'a';
	name[65] = '\0';
	tap_ok(!hc_flags_name_valid(name), "name of 65 bytes refused");
	tap_ok(!hc_flags_name_valid(NULL), "NULL refused");
	tap_ok(!hc_flags_name_valid_len("ab\0c", 4), "embedded NUL refused");
}

static void
check_values(void)
{
	tap_is_int(hc_flags_value("1", 1), HC_FLAG_ON, "\"1\" is on");
	tap_is_int(hc_flags_value("0", 1), HC_FLAG_OFF, "\"0\" is off");
	tap_is_int(hc_flags_value("true", 4), HC_FLAG_OTHER, "\"true\" is other");
	tap_is_int(hc_flags_value("", 0), HC_FLAG_OTHER, "\"\" is other");
	tap_is_int(hc_flags_value("10", 2), HC_FLAG_OTHER, "\"10\" is other");
	tap_is_int(hc_flags_value("1 ", 2), HC_FLAG_OTHER, "\"1 \" is other");
}

static void
check_event(void)
{
	char		*s = hc_flags_event("changed", "a.b", 1, 1795000000);
	json_object	*o = s ? json_tokener_parse(s) : NULL, *v;

	tap_ok(o != NULL, "event is JSON: %s", s ? s : "(null)");
	tap_ok(o && json_object_object_get_ex(o, "event", &v) &&
	    strcmp(json_object_get_string(v), "changed") == 0, "event: changed");
	tap_ok(o && json_object_object_get_ex(o, "name", &v) &&
	    strcmp(json_object_get_string(v), "a.b") == 0, "event: name");
	tap_ok(o && json_object_object_get_ex(o, "enabled", &v) &&
	    json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v),
	    "event: enabled true");
	tap_ok(o && json_object_object_get_ex(o, "at", &v) &&
	    strcmp(json_object_get_string(v), "2026-11-18T11:06:40Z") == 0, "event: at RFC 3339");
	json_object_put(o);
	free(s);
}

static void
store(struct hc_flagcache *fc, size_t n, const char *const *names, const char *const *vals)
{
	size_t	 nl[16], vl[16], i;

	for (i = 0; i < n; i++) {
		nl[i] = strlen(names[i]);
		vl[i] = strlen(vals[i]);
	}
	tap_ok(hc_flagcache_store(fc, names, nl, vals, vl, n) == 0, "store %zu pairs", n);
}

static void
check_cache(void)
{
	static const char *const n1[] = { "zeta", "alpha", "Bad Name", "mid.x", "odd" };
	static const char *const v1[] = { "1", "0", "1", "1", "yes" };
	static const char *const n2[] = { "odd", "mid.x", "alpha", "zeta" };
	static const char *const v2[] = { "yes", "1", "0", "1" };
	struct hc_flagcache *fc, *tiny;
	struct hc_flagview *v;
	const struct hc_flag *f;
	char	 err[256];
	uint64_t h1;
	int	 status;
	pid_t	 pid;

	fc = hc_flagcache_new(0, err, sizeof(err));
	tap_ok(fc != NULL, "cache mapped (%s)", fc ? "ok" : err);
	if (fc == NULL)
		return;
	v = hc_flagview_new(fc);
	tap_is_int(hc_flagview_sync(v, 10, 1000), HC_FLAGS_NONE, "nothing stored: NONE");
	store(fc, 5, n1, v1);
	tap_is_int(hc_flagview_sync(v, 10, 100000), HC_FLAGS_FRESH, "stored: FRESH");
	tap_is_int((long)hc_flagview_count(v), 4, "invalid name skipped: 4 flags");
	tap_is_str(hc_flagview_at(v, 0)->name, "alpha", "sorted: alpha first");
	tap_is_str(hc_flagview_at(v, 3)->name, "zeta", "sorted: zeta last");
	f = hc_flagview_find(v, "zeta");
	tap_ok(f && f->enabled && !f->other, "zeta on");
	f = hc_flagview_find(v, "alpha");
	tap_ok(f && !f->enabled, "alpha off");
	f = hc_flagview_find(v, "odd");
	tap_ok(f && !f->enabled && f->other, "odd (\"yes\") reads off, marked other");
	tap_ok(hc_flagview_find(v, "nope") == NULL, "unknown: NULL");
	tap_ok(hc_flagview_find(v, "Bad Name") == NULL, "invalid name not findable");
	h1 = hc_flagview_hash(v);

	/* the same content in another order (and without the bad name): the same hash */
	store(fc, 4, n2, v2);
	hc_flagview_sync(v, 10, 100000);
	tap_ok(hc_flagview_hash(v) == h1, "same flags, other order: same hash");

	/* a forked reader sees a change made after the fork */
	pid = fork();
	if (pid == 0) {
		struct hc_flagview *cv = hc_flagview_new(fc);
		int	 ok = 0, i;

		for (i = 0; i < 2000 && !ok; i++) {
			hc_flagview_sync(cv, 10, 100000);
			f = hc_flagview_find(cv, "alpha");
			ok = f != NULL && f->enabled;
			usleep(1000);
		}
		_exit(ok ? 0 : 1);
	}
	{
		static const char *const n3[] = { "alpha", "zeta" };
		static const char *const v3[] = { "1", "1" };

		store(fc, 2, n3, v3);
	}
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "forked reader sees alpha on");
	hc_flagview_sync(v, 10, 100000);
	tap_ok(hc_flagview_hash(v) != h1, "changed flags: another hash");
	tap_ok(hc_flagview_wait(v, "alpha", 1, 50) == 0, "wait: alpha already on");
	tap_ok(hc_flagview_wait(v, "mid.x", -1, 50) == 0, "wait: mid.x already gone");
	tap_ok(hc_flagview_wait(v, "alpha", 0, 20) == -1, "wait: alpha off never comes: -1");

	hc_flagcache_set_down(fc, 1);
	tap_is_int(hc_flagview_sync(v, 10, 100000), HC_FLAGS_STALE, "down: STALE");
	tap_ok(hc_flagview_find(v, "zeta") != NULL, "down: last values kept");
	hc_flagcache_set_down(fc, 0);
	tap_is_int(hc_flagview_sync(v, 10, 100000), HC_FLAGS_FRESH, "up again: FRESH");
	usleep(20000);
	tap_is_int(hc_flagview_sync(v, 10, 5), HC_FLAGS_STALE, "not read for longer than stale_after: STALE");
	hc_flagview_free(v);
	hc_flagcache_free(fc);

	tiny = hc_flagcache_new(8, err, sizeof(err));
	v = hc_flagview_new(tiny);
	{
		size_t nl[] = { 5, 4 }, vl[] = { 1, 1 };

		tap_ok(hc_flagcache_store(tiny, n2 + 2, nl, v2 + 2, vl, 2) == -1,
		    "too many flags for the segment: -1");
	}
	tap_is_int(hc_flagview_sync(v, 10, 100000), HC_FLAGS_NONE, "nothing fitted: still NONE");
	hc_flagview_free(v);
	hc_flagcache_free(tiny);
	hc_flagview_free(NULL);
	hc_flagcache_free(NULL);
}

static void
check_hash(void)
{
	/* the published FNV-1a 64 test vectors */
	tap_ok(hc_hash64(HC_HASH_INIT, "", 0) == 0xcbf29ce484222325ULL, "hash of \"\"");
	tap_ok(hc_hash64(HC_HASH_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL, "hash of \"a\"");
	tap_ok(hc_hash64(HC_HASH_INIT, "foobar", 6) == 0x85944171f73967e8ULL, "hash of \"foobar\"");
	tap_ok(hc_hash64(hc_hash64(HC_HASH_INIT, "foo", 3), "bar", 3) ==
	    hc_hash64(HC_HASH_INIT, "foobar", 6), "hash continues across calls");
}

int
main(void)
{
	check_hash();
	check_names();
	check_values();
	check_event();
	check_cache();
	return tap_done();
}
