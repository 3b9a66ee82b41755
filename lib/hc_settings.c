/* hc_settings: builds the read-only settings from defaults, a KEY=VALUE file and the environment. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_settings.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hc_cidr.h"
#include "hc_events.h"
#include "hc_valid.h"
#include "hc_sentinel.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

enum hc_stype {
	HC_S_STR,	/* any string; "" allowed */
	HC_S_OPTSTR,	/* NULL unless set to something non-empty */
	HC_S_URL,	/* http:// or https:// */
	HC_S_REDISURL,	/* redis:// or unix:// */
	HC_S_INT,	/* long in [min, max] */
	HC_S_OPTINT,	/* long in [min, max], -1 when unset */
	HC_S_RATIO,	/* double in (0, 1] */
	HC_S_BOOL,	/* 1/0, true/false, yes/no, on/off */
	HC_S_CIDRS,	/* comma-separated CIDR list */
	HC_S_NSNAME,	/* namespace/name */
	HC_S_LEVEL,	/* log level */
	HC_S_ID,	/* instance id syntax */
	HC_S_PATTERNS,	/* comma-separated channel patterns */
	HC_S_URLS,	/* comma-separated http:// or https:// URLs, "" for none */
	HC_S_MAX
};

struct hc_sdef {
	const char	*key;
	enum hc_stype	 type;
	size_t		 off;
	const char	*def;	/* default text, NULL = unset */
	long		 min, max;
	int		 secret;
};

#define O(f) offsetof(struct hc_settings, f)

static const struct hc_sdef hc_sdefs[] = {
	{ "REDIS_URL", HC_S_REDISURL, O(redis_url), "redis://127.0.0.1:6379/0", 0, 0, 1 },
	{ "HEADCOUNT_REDIS_TIMEOUT_MS", HC_S_INT, O(redis_timeout_ms), "500", 10, 60000, 0 },
	{ "HEADCOUNT_KEY_PREFIX", HC_S_STR, O(key_prefix), "headcount:", 0, 0, 0 },
	{ "HEADCOUNT_REDIS_SENTINEL_PASSWORD", HC_S_OPTSTR, O(redis_sentinel_password), NULL, 0, 0, 1 },
	{ "HEADCOUNT_JWT_SECRET", HC_S_STR, O(jwt_secret), "", 0, 0, 1 },
	{ "HEADCOUNT_TTL", HC_S_INT, O(ttl), "30", 1, 86400, 0 },
	{ "HEADCOUNT_PRUNE_AFTER", HC_S_INT, O(prune_after), "300", 1, 31536000, 0 },
	{ "HEADCOUNT_HEARTBEAT_INTERVAL", HC_S_INT, O(heartbeat_interval), "10", 1, 3600, 0 },
	{ "HEADCOUNT_PRESERVE_RATIO", HC_S_RATIO, O(preserve_ratio), "0.5", 0, 0, 0 },
	{ "HEADCOUNT_INSTANCE_ID", HC_S_ID, O(instance_id), NULL, 0, 0, 0 },
	{ "DESIRED_REPLICAS", HC_S_OPTINT, O(desired_replicas), NULL, 0, 100000, 0 },
	{ "DO_API_TOKEN", HC_S_OPTSTR, O(do_api_token), NULL, 0, 0, 1 },
	{ "DO_APP_ID", HC_S_OPTSTR, O(do_app_id), NULL, 0, 0, 0 },
	{ "DO_COMPONENT_NAME", HC_S_OPTSTR, O(do_component_name), NULL, 0, 0, 0 },
	{ "DO_REGION", HC_S_OPTSTR, O(do_region), NULL, 0, 0, 0 },
	{ "DO_DEPLOYMENT_ID", HC_S_OPTSTR, O(do_deployment_id), NULL, 0, 0, 0 },
	{ "DO_API_URL", HC_S_URL, O(do_api_url), "https://api.digitalocean.com", 0, 0, 0 },
	{ "HEADCOUNT_K8S_DEPLOYMENT", HC_S_NSNAME, O(k8s_deployment), NULL, 0, 0, 0 },
	{ "HEADCOUNT_K8S_API_URL", HC_S_URL, O(k8s_api_url), "https://kubernetes.default.svc", 0, 0, 0 },
	{ "HEADCOUNT_K8S_TOKEN_FILE", HC_S_STR, O(k8s_token_file), "/var/run/secrets/kubernetes.io/serviceaccount/token", 0, 0, 0 },
	{ "HEADCOUNT_K8S_CA_FILE", HC_S_STR, O(k8s_ca_file), "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt", 0, 0, 0 },
	{ "HEADCOUNT_PROVIDER_TIMEOUT_MS", HC_S_INT, O(provider_timeout_ms), "3000", 50, 60000, 0 },
	{ "HEADCOUNT_DEPLOY_STUCK_SECONDS", HC_S_INT, O(deploy_stuck_seconds), "1800", 60, 604800, 0 },
	{ "HEADCOUNT_METRICS_ALLOW", HC_S_CIDRS, O(metrics_allow), "127.0.0.0/8,::1/128", 0, 0, 0 },
	{ "HEADCOUNT_METRICS_SHM", HC_S_STR, O(metrics_shm), "/run/headcount/metrics.shm", 0, 0, 0 },
	{ "HEADCOUNT_METRICS", HC_S_BOOL, O(metrics_enabled), "on", 0, 0, 0 },
	{ "HEADCOUNT_SLOW_MS", HC_S_INT, O(slow_ms), "1000", 1, 600000, 0 },
	{ "HEADCOUNT_EVENT_CHANNELS", HC_S_PATTERNS, O(event_channels), "events:*", 0, 0, 0 },
	{ "HEADCOUNT_EVENTS_REPLAY", HC_S_INT, O(events_replay), "1000", 0, 100000, 0 },
	{ "HEADCOUNT_EVENTS_MAX_CLIENTS", HC_S_INT, O(events_max_clients), "10000", 1, 1000000, 0 },
	{ "HEADCOUNT_EVENTS_MAX_PER_SUBJECT", HC_S_INT, O(events_max_per_subject), "32", 1, 1000000, 0 },
	{ "HEADCOUNT_EVENTS_KEEPALIVE", HC_S_INT, O(events_keepalive), "15", 1, 3600, 0 },
	{ "HEADCOUNT_DATA_DIR", HC_S_STR, O(data_dir), "/var/lib/headcount", 0, 0, 0 },
	{ "HEADCOUNT_LOG_FILE", HC_S_OPTSTR, O(log_file), NULL, 0, 0, 0 },
	{ "HEADCOUNT_LOG_LEVEL", HC_S_LEVEL, O(log_level), "info", 0, 0, 0 },
	{ "HEADCOUNT_ACCESS_LOG", HC_S_BOOL, O(access_log), "on", 0, 0, 0 },
	{ "HEADCOUNT_CONN_TIMEOUT_MS", HC_S_INT, O(conn_timeout_ms), "5000", 100, 600000, 0 },
	{ "HEADCOUNT_HISTORY_INTERVAL", HC_S_INT, O(history_interval), "60", 1, 3600, 0 },
	{ "HEADCOUNT_HISTORY_RETENTION_DAYS", HC_S_INT, O(history_retention_days), "400", 1, 36500, 0 },
	{ "HEADCOUNT_HISTORY_STREAM_LEN", HC_S_INT, O(history_stream_len), "10080", 10, 1000000, 0 },
	{ "HEADCOUNT_WEBHOOK_URLS", HC_S_URLS, O(webhook_urls), "", 0, 0, 1 },
	{ "HEADCOUNT_WEBHOOK_SECRET", HC_S_STR, O(webhook_secret), "", 0, 0, 1 },
	{ "HEADCOUNT_WEBHOOK_AFTER", HC_S_INT, O(webhook_after), "300", 0, 86400, 0 },
	{ "HEADCOUNT_WEBHOOK_RETRY_SECONDS", HC_S_INT, O(webhook_retry_seconds), "3600", 0, 604800, 0 },
	{ "HEADCOUNT_FLAGS_KEY", HC_S_STR, O(flags_key), "feature:flags", 0, 0, 0 },
	{ "HEADCOUNT_FLAGS_POLL_MS", HC_S_INT, O(flags_poll_ms), "1000", 50, 60000, 0 },
	{ NULL, HC_S_MAX, 0, NULL, 0, 0, 0 }
};

#undef O

static int __attribute__((format(printf, 4, 5)))
hc_fail(char *err, size_t errlen, const char *key, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	n = snprintf(err, errlen, "%s: ", key);
	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int
hc_parse_long(const char *v, long *out)
{
	char	*end;
	long	 l;

	if (*v == '\0' || isspace((unsigned char)*v))
		return -1;
	errno = 0;
	l = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = l;
	return 0;
}

static int
hc_parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on", NULL };
	static const char *const no[] = { "0", "false", "no", "off", NULL };
	size_t	 i;

	for (i = 0; yes[i] != NULL; i++)
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
	for (i = 0; no[i] != NULL; i++)
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	return -1;
}

/* "" or "http(s)://x[,http(s)://y...]" with no empty member and no blank. */
static int
hc_check_urls(const char *v)
{
	const char	*p = v, *e;
	size_t		 n;

	if (*v == '\0')
		return 0;
	for (;;) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (!((n > 7 && strncmp(p, "http://", 7) == 0) ||
		    (n > 8 && strncmp(p, "https://", 8) == 0)))
			return -1;
		for (size_t i = 0; i < n; i++)
			if (isspace((unsigned char)p[i]) || (unsigned char)p[i] < 0x20)
				return -1;
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}

static int
hc_apply(struct hc_settings *s, const struct hc_sdef *d, const char *v,
    char *err, size_t errlen)
{
	char	**sp = (char **)((char *)s + d->off);
	long	 *lp = (long *)((char *)s + d->off);
	int	 *ip = (int *)((char *)s + d->off);
	double	 *dp = (double *)((char *)s + d->off);
	char	 *dup = NULL, *end;
	long	  l;
	double	  dv;
	const char *slash;

	switch (d->type) {
	case HC_S_INT:
	case HC_S_OPTINT:
		if (d->type == HC_S_OPTINT && *v == '\0') {
			*lp = -1;
			return 0;
		}
		if (hc_parse_long(v, &l) == -1 || l < d->min || l > d->max)
			return hc_fail(err, errlen, d->key,
			    "not an integer in [%ld, %ld]: \"%s\"", d->min, d->max, v);
		*lp = l;
		return 0;
	case HC_S_RATIO:
		errno = 0;
		dv = strtod(v, &end);
		if (*v == '\0' || *end != '\0' || errno != 0 || !isfinite(dv) ||
		    dv <= 0.0 || dv > 1.0)
			return hc_fail(err, errlen, d->key,
			    "not a number in (0, 1]: \"%s\"", v);
		*dp = dv;
		return 0;
	case HC_S_BOOL:
		if (hc_parse_bool(v, ip) == -1)
			return hc_fail(err, errlen, d->key,
			    "not a boolean (on/off, true/false, yes/no, 1/0): \"%s\"", v);
		return 0;
	case HC_S_URL:
		if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
			return hc_fail(err, errlen, d->key,
			    "not an http:// or https:// URL: \"%s\"", v);
		break;
	case HC_S_REDISURL:
		if (strncmp(v, "redis://", 8) != 0 && strncmp(v, "unix://", 7) != 0 &&
		    !hc_sentinel_url_is(v))
			return hc_fail(err, errlen, d->key,
			    "not a redis://, unix:// or redis+sentinel:// URL: \"%s\"", v);
		if (hc_sentinel_url_is(v)) {	/* a typo in a sentinel list stops start-up */
			struct hc_sentinel_url *su = malloc(sizeof(*su));
			char	 why[300] = "out of memory";
			int	 bad = su == NULL ||
			    hc_sentinel_url_parse(v, su, why, sizeof(why)) == -1;

			free(su);
			if (bad)
				return hc_fail(err, errlen, d->key, "%s", why);
		}
		break;
	case HC_S_CIDRS:
		if (hc_cidr_list_check(v, err, errlen) == -1) {
			/* keep the parser's reason, prefixed with the key */
			char	 why[160];

			snprintf(why, sizeof(why), "%s", err);
			return hc_fail(err, errlen, d->key, "%s", why);
		}
		break;
	case HC_S_NSNAME:
		if (*v == '\0')
			break;
		slash = strchr(v, '/');
		if (slash == NULL || slash == v || slash[1] == '\0' ||
		    strchr(slash + 1, '/') != NULL)
			return hc_fail(err, errlen, d->key,
			    "not namespace/name: \"%s\"", v);
		break;
	case HC_S_LEVEL:
		if (strcmp(v, "debug") && strcmp(v, "info") &&
		    strcmp(v, "warn") && strcmp(v, "error"))
			return hc_fail(err, errlen, d->key,
			    "not one of debug, info, warn, error: \"%s\"", v);
		break;
	case HC_S_ID:
		if (*v != '\0' && !hc_valid_instance_id(v))
			return hc_fail(err, errlen, d->key,
			    "not an instance id (" HC_VALID_INSTANCE_ID_RULE "): \"%s\"", v);
		break;
	case HC_S_URLS:
		if (hc_check_urls(v) == -1)
			return hc_fail(err, errlen, d->key,
			    "not a comma-separated list of http:// or https:// URLs");
		break;
	case HC_S_PATTERNS: {
		const char *pats[HC_EVENTS_PATTERNS_MAX];
		char	*store = NULL, why[200];

		if (hc_events_patterns(v, &store, pats, HC_EVENTS_PATTERNS_MAX,
		    why, sizeof(why)) == -1)
			return hc_fail(err, errlen, d->key, "%s", why);
		free(store);
		break;
	}
	case HC_S_STR:
	case HC_S_OPTSTR:
		break;
	default:
		return hc_fail(err, errlen, d->key, "unknown setting type");
	}

	/* string-valued settings */
	if (*v == '\0' && (d->type == HC_S_OPTSTR || d->type == HC_S_NSNAME ||
	    d->type == HC_S_ID)) {
		free(*sp);
		*sp = NULL;
		return 0;
	}
	if ((dup = strdup(v)) == NULL)
		return hc_fail(err, errlen, d->key, "out of memory");
	free(*sp);
	*sp = dup;
	return 0;
}

static const struct hc_sdef *
hc_find(const char *key, size_t keylen)
{
	const struct hc_sdef *d;

	for (d = hc_sdefs; d->key != NULL; d++)
		if (strlen(d->key) == keylen && strncmp(d->key, key, keylen) == 0)
			return d;
	return NULL;
}

/* Strips one pair of matching quotes, as shell-style env files have them. */
static char *
hc_unquote(char *v)
{
	size_t	 n = strlen(v);

	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v[n - 1] = '\0';
		return v + 1;
	}
	return v;
}

static int
hc_load_file(struct hc_settings *s, const char *path, int required,
    char *err, size_t errlen)
{
	FILE	*fp;
	char	*line = NULL, *p, *eq, *key, *val, *e;
	size_t	 cap = 0;
	ssize_t	 len;
	unsigned lineno = 0;
	const struct hc_sdef *d;
	int	 rc = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !required)
			return 0;
		snprintf(err, errlen, "settings file %s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) != -1) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		for (p = line; isspace((unsigned char)*p); p++)
			continue;
		if (*p == '\0' || *p == '#')
			continue;
		if (strncmp(p, "export ", 7) == 0)
			p += 7;
		if ((eq = strchr(p, '=')) == NULL) {
			snprintf(err, errlen, "%s:%u: expected KEY=VALUE", path, lineno);
			goto out;
		}
		for (e = eq; e > p && isspace((unsigned char)e[-1]); e--)
			continue;
		key = p;
		if ((d = hc_find(key, (size_t)(e - key))) == NULL) {
			*e = '\0';
			snprintf(err, errlen, "%s:%u: %s: unknown setting", path, lineno, key);
			goto out;
		}
		for (val = eq + 1; isspace((unsigned char)*val); val++)
			continue;
		for (e = val + strlen(val); e > val && isspace((unsigned char)e[-1]); )
			*--e = '\0';
		if (hc_apply(s, d, hc_unquote(val), err, errlen) == -1)
			goto out;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "settings file %s: read error", path);
		goto out;
	}
	rc = 0;
out:
	free(line);
	fclose(fp);
	return rc;
}

int
hc_settings_load(struct hc_settings *s, const char *path, int required,
    char *err, size_t errlen)
{
	const struct hc_sdef *d;
	const char *v;
	char	 host[256];

	memset(s, 0, sizeof(*s));
	for (d = hc_sdefs; d->key != NULL; d++) {
		if (d->type == HC_S_OPTINT) {
			*(long *)((char *)s + d->off) = -1;
			continue;
		}
		if (d->def != NULL && hc_apply(s, d, d->def, err, errlen) == -1)
			goto fail;
	}
	if (path != NULL && hc_load_file(s, path, required, err, errlen) == -1)
		goto fail;
	for (d = hc_sdefs; d->key != NULL; d++)
		if ((v = getenv(d->key)) != NULL &&
		    hc_apply(s, d, v, err, errlen) == -1)
			goto fail;

	if (s->instance_id == NULL) {
		if (gethostname(host, sizeof(host)) == -1 || !hc_valid_instance_id(host))
			snprintf(host, sizeof(host), "headcount");
		host[sizeof(host) - 1] = '\0';
		if ((s->instance_id = strdup(host)) == NULL) {
			snprintf(err, errlen, "HEADCOUNT_INSTANCE_ID: out of memory");
			goto fail;
		}
	}
	if (s->prune_after < s->ttl) {
		snprintf(err, errlen, "HEADCOUNT_PRUNE_AFTER: %ld is below HEADCOUNT_TTL (%ld)",
		    s->prune_after, s->ttl);
		goto fail;
	}
	return 0;
fail:
	hc_settings_free(s);
	return -1;
}

void
hc_settings_free(struct hc_settings *s)
{
	const struct hc_sdef *d;

	if (s == NULL)
		return;
	for (d = hc_sdefs; d->key != NULL; d++)
		switch (d->type) {
		case HC_S_INT:
		case HC_S_OPTINT:
		case HC_S_RATIO:
		case HC_S_BOOL:
			break;
		default:
			free(*(char **)((char *)s + d->off));
			break;
		}
	memset(s, 0, sizeof(*s));
}

int
hc_settings_print(const struct hc_settings *s, FILE *fp)
{
	const struct hc_sdef *d;
	const char *sv;
	int	 n = 0;

	for (d = hc_sdefs; d->key != NULL; d++) {
		const void *p = (const char *)s + d->off;

		switch (d->type) {
		case HC_S_INT:
		case HC_S_OPTINT:
			n = fprintf(fp, "%s=%ld\n", d->key, *(const long *)p);
			break;
		case HC_S_RATIO:
			n = fprintf(fp, "%s=%g\n", d->key, *(const double *)p);
			break;
		case HC_S_BOOL:
			n = fprintf(fp, "%s=%s\n", d->key, *(const int *)p ? "on" : "off");
			break;
		default:
			sv = *(char *const *)p;
			n = fprintf(fp, "%s=%s\n", d->key, sv == NULL ? "" :
			    (d->secret && *sv != '\0') ? "(set)" : sv);
			break;
		}
		if (n < 0)
			return -1;
	}
	return 0;
}

const char *
hc_settings_default_path(void)
{
	return SYSCONFDIR "/headcount.conf";
}
