/* test_replicas: the replicas summary and the recommendations for each situation. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_replicas.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#define NOW_MS	1795341600000LL		/* 2026-11-22T10:00:00Z */

static struct hc_desired
desired(enum hc_source configured, enum hc_source source, long n)
{
	struct hc_desired d;

	memset(&d, 0, sizeof(d));
	d.configured = configured;
	d.source = source;
	d.desired = n;
	d.ready = d.min = d.max = -1;
	return d;
}

static struct hc_replicas_view
view(const struct hc_desired *d, long active, long stale)
{
	struct hc_replicas_view v;

	memset(&v, 0, sizeof(v));
	v.desired = d;
	v.active = active;
	v.stale = stale;
	v.status = hc_replicas_of(d->desired, active);
	v.now_ms = NOW_MS;
	v.ttl = 30;
	v.prune_after = 300;
	v.stuck_after = 1800;
	v.do_app_id = "app-1";
	if (v.status == HC_REPLICAS_UNDER || v.status == HC_REPLICAS_OVER)
		v.mismatch_since_ms = NOW_MS - 125000;
	return v;
}

/* The recommendations joined by " | " (static buffer). */
static const char *
recs(const struct hc_replicas_view *v, size_t *n)
{
	static char	 buf[16384];
	json_object	*a;
	size_t		 i, off = 0;

	buf[0] = '\0';
	*n = 0;
	if ((a = hc_replicas_recommend(v)) == NULL)
		return "(null)";
	*n = json_object_array_length(a);
	for (i = 0; i < *n && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
		    i ? " | " : "", json_object_get_string(json_object_array_get_idx(a, i)));
	json_object_put(a);
	return buf;
}

static int
matches(const char *s, const char *re)
{
	regex_t	 r;
	int	 ok;

	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	ok = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return ok;
}

#define LIKE(s, re, ...) do {						\
	const char *like_s = (s);					\
	if (!tap_ok(matches(like_s, re), __VA_ARGS__))			\
		printf("#   got: \"%s\"\n#  want: /%s/\n", like_s, re);	\
} while (0)
#define UNLIKE(s, re, ...) do {						\
	const char *like_s = (s);					\
	if (!tap_ok(!matches(like_s, re), __VA_ARGS__))			\
		printf("#   got: \"%s\"\n#  not: /%s/\n", like_s, re);	\
} while (0)

static void
test_summary(void)
{
	struct hc_desired	 d = desired(HC_SOURCE_DO, HC_SOURCE_ENV, 2);
	struct hc_replicas_view	 v = view(&d, 1, 1);
	json_object		*o;

	v.self_preservation = 1;
	o = hc_replicas_summary_json(&v);
	tap_is_str(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
	    "{\"configured_replicas\":2,\"configured_source\":\"env\",\"active_instances\":1,"
	    "\"stale_instances\":1,\"status\":\"under_replicated\",\"mismatch_since\":"
	    "\"2026-11-22T09:57:55Z\",\"self_preservation\":true,\"checked_at\":\"2026-11-22T10:00:00Z\"}",
	    "summary: every API.md field, source of the number used");
	json_object_put(o);

	d = desired(HC_SOURCE_NONE, HC_SOURCE_NONE, -1);
	v = view(&d, 3, 0);
	o = hc_replicas_summary_json(&v);
	tap_is_str(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
	    "{\"configured_replicas\":null,\"configured_source\":\"none\",\"active_instances\":3,"
	    "\"stale_instances\":0,\"status\":\"unknown\",\"mismatch_since\":null,"
	    "\"self_preservation\":false,\"checked_at\":\"2026-11-22T10:00:00Z\"}",
	    "summary: nothing configured -> unknown, nulls");
	json_object_put(o);
}

static void
test_recommend(void)
{
	struct hc_desired	 d;
	struct hc_replicas_view	 v;
	const char		*r;
	size_t			 n;
	static const char *const ids[] = { "web-1", "web-2", "web-3" };

	d = desired(HC_SOURCE_ENV, HC_SOURCE_ENV, 2);
	v = view(&d, 2, 0);
	r = recs(&v, &n);
	tap_is_str(r, HC_REPLICAS_ALL_GOOD, "healthy: exactly the all-good sentence");
	tap_is_int(n, 1, "healthy: one sentence");

	d = desired(HC_SOURCE_NONE, HC_SOURCE_NONE, -1);
	v = view(&d, 2, 0);
	r = recs(&v, &n);
	LIKE(r, "^No desired replica count is configured - set DESIRED_REPLICAS", "none: says what to set");
	UNLIKE(r, "no action needed", "none: not all good");

	/* stale instances named, with the way to prune them */
	d = desired(HC_SOURCE_ENV, HC_SOURCE_ENV, 2);
	v = view(&d, 2, 2);
	v.stale_ids = ids;
	v.nstale_ids = 2;
	r = recs(&v, &n);
	LIKE(r, "Prune 2 stale instances .* web-1 and web-2 .*HEADCOUNT_PRUNE_AFTER=300 s.*POST /api/v1/monitoring/replicas/refresh",
	    "stale: named, with the refresh endpoint");
	UNLIKE(r, "no action needed", "stale: not all good");
	v = view(&d, 2, 5);
	v.stale_ids = ids;
	v.nstale_ids = 3;
	r = recs(&v, &n);
	LIKE(r, "web-1, web-2, web-3 and 2 more", "stale: more than named are counted");
	v = view(&d, 2, 1);
	v.stale_ids = ids;
	v.nstale_ids = 1;
	r = recs(&v, &n);
	LIKE(r, "Prune 1 stale instance that .*: web-1 - it is", "stale: singular");

	/* self-preservation */
	d = desired(HC_SOURCE_ENV, HC_SOURCE_ENV, 10);
	v = view(&d, 4, 6);
	v.self_preservation = 1;
	v.stale_ids = ids;
	v.nstale_ids = 3;
	r = recs(&v, &n);
	LIKE(r, "^Self-preservation is active: 6 of 10 registered instances .*pruning is suspended.*POST /api/v1/monitoring/replicas/refresh",
	    "self-preservation: said first among stale, with the owner's way out");
	LIKE(r, "kept by self-preservation: web-1, web-2, web-3 and 3 more", "self-preservation: names the stale ones");
	UNLIKE(r, "Prune 6", "self-preservation: no plain prune advice");
	LIKE(r, "Under-replicated since 2026-11-22T09:57:55Z \\(2 min\\): 4 of 10", "self-preservation: mismatch too");

	/* under and over replicated */
	d = desired(HC_SOURCE_ENV, HC_SOURCE_ENV, 3);
	v = view(&d, 1, 0);
	r = recs(&v, &n);
	LIKE(r, "^Under-replicated since .*: 1 of 3 desired instances are active", "under: counts");
	v = view(&d, 5, 0);
	r = recs(&v, &n);
	LIKE(r, "^Over-replicated since .*: 5 instances are active but 3 are desired \\(DESIRED_REPLICAS\\).*DESIRED_REPLICAS is out of date",
	    "over: counts and the env hint");

	/* provider failed, fallback used */
	d = desired(HC_SOURCE_DO, HC_SOURCE_ENV, 2);
	d.failed = 1;
	d.err = HC_ERR_AUTH;
	strcpy(d.error, "DigitalOcean: GET /v2/apps/{DO_APP_ID} answered HTTP 401");
	v = view(&d, 2, 0);
	r = recs(&v, &n);
	LIKE(r, "^The DigitalOcean provider failed \\(DigitalOcean: GET .* HTTP 401\\); using DESIRED_REPLICAS=2 .*DO_API_TOKEN",
	    "fallback: names the provider, DESIRED_REPLICAS and the token to check");
	tap_is_int(n, 1, "fallback + healthy: only the provider sentence");
	d = desired(HC_SOURCE_K8S, HC_SOURCE_NONE, -1);
	d.failed = 1;
	d.err = HC_ERR_TIMEOUT;
	strcpy(d.error, "Kubernetes: timed out");
	v = view(&d, 2, 0);
	r = recs(&v, &n);
	LIKE(r, "^The Kubernetes provider failed \\(Kubernetes: timed out\\) and DESIRED_REPLICAS is not set.*HEADCOUNT_PROVIDER_TIMEOUT_MS",
	    "failure without fallback: says so");

	/* DigitalOcean rollouts */
	d = desired(HC_SOURCE_DO, HC_SOURCE_DO, 3);
	d.rollout = HC_ROLLOUT_PROGRESS;
	strcpy(d.rollout_id, "dep-9");
	strcpy(d.rollout_phase, "DEPLOYING");
	strcpy(d.component, "web");
	d.rollout_since = (time_t)(NOW_MS / 1000 - 120);
	v = view(&d, 2, 0);
	r = recs(&v, &n);
	LIKE(r, "^DigitalOcean deployment dep-9 is in progress \\(DEPLOYING since 2026-11-22T09:58:00Z\\).*expected.*no action needed$",
	    "deploying: mismatch expected, no alarm");
	tap_is_int(n, 1, "deploying: no mismatch advice on top");
	d.rollout_since = (time_t)(NOW_MS / 1000 - 3 * 3600);
	r = recs(&v, &n);
	LIKE(r, "^DigitalOcean deployment dep-9 has been DEPLOYING for 3 h 00 min .*longer than 30 min - it looks stuck.*doctl apps get-deployment app-1 dep-9",
	    "deploying too long: stuck");
	LIKE(r, "Under-replicated", "stuck: the mismatch is reported too");
	d.rollout = HC_ROLLOUT_FAILED;
	strcpy(d.rollout_phase, "ERROR");
	d.rollout_updated = (time_t)(NOW_MS / 1000 - 60);
	r = recs(&v, &n);
	LIKE(r, "^The latest DigitalOcean deployment dep-9 ended in ERROR at 2026-11-22T09:59:00Z.*doctl apps logs app-1 --deployment dep-9",
	    "failed deployment: logs command");

	/* the provider's dashboard disagrees: scale reset */
	d = desired(HC_SOURCE_DO, HC_SOURCE_DO, 3);
	d.ready = 3;
	strcpy(d.component, "web");
	d.rollout = HC_ROLLOUT_DONE;
	v = view(&d, 2, 0);
	r = recs(&v, &n);
	LIKE(r, "DigitalOcean reports 3 of 3 replicas of web ready but 2 instances heartbeat.*reset the scale - set web's instance count to 4.*set it back to 3.*refresh",
	    "dashboard disagrees: DO scale reset procedure");
	d.ready = 2;
	r = recs(&v, &n);
	UNLIKE(r, "reset the scale", "dashboard agrees: no scale reset");

	d = desired(HC_SOURCE_K8S, HC_SOURCE_K8S, 3);
	d.ready = 3;
	strcpy(d.component, "prod/web");
	d.rollout = HC_ROLLOUT_DONE;
	v = view(&d, 4, 0);
	r = recs(&v, &n);
	LIKE(r, "Kubernetes reports 3 of 3 replicas of prod/web ready but 4 instances heartbeat.*kubectl -n prod scale deployment/web --replicas=4.*--replicas=3",
	    "k8s dashboard disagrees: kubectl scale reset");
	d.rollout = HC_ROLLOUT_FAILED;
	strcpy(d.rollout_id, "generation 7");
	strcpy(d.rollout_phase, "ProgressDeadlineExceeded");
	r = recs(&v, &n);
	LIKE(r, "^The Kubernetes rollout of prod/web \\(generation 7\\) failed: ProgressDeadlineExceeded.*kubectl -n prod rollout undo deployment/web",
	    "k8s deadline exceeded: undo advice");
	d.rollout = HC_ROLLOUT_PROGRESS;
	d.rollout_since = (time_t)(NOW_MS / 1000 - 30);
	r = recs(&v, &n);
	LIKE(r, "^Kubernetes rollout of prod/web is in progress.*no action needed$", "k8s rollout: expected");
}

int
main(void)
{
	test_summary();
	test_recommend();
	return tap_done();
}
