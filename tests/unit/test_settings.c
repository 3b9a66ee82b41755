/* test_settings: unit tests of hc_settings (defaults, file, environment, validation). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static const char *const keys[] = {
	"REDIS_URL", "HEADCOUNT_REDIS_TIMEOUT_MS", "HEADCOUNT_KEY_PREFIX",
	"HEADCOUNT_JWT_SECRET", "HEADCOUNT_TTL", "HEADCOUNT_PRUNE_AFTER",
	"HEADCOUNT_HEARTBEAT_INTERVAL", "HEADCOUNT_PRESERVE_RATIO",
	"HEADCOUNT_INSTANCE_ID", "DESIRED_REPLICAS", "DO_API_TOKEN", "DO_APP_ID",
	"DO_COMPONENT_NAME", "DO_REGION", "DO_DEPLOYMENT_ID", "DO_API_URL",
	"HEADCOUNT_K8S_DEPLOYMENT", "HEADCOUNT_K8S_API_URL",
	"HEADCOUNT_K8S_TOKEN_FILE", "HEADCOUNT_K8S_CA_FILE",
	"HEADCOUNT_PROVIDER_TIMEOUT_MS", "HEADCOUNT_METRICS_ALLOW",
	"HEADCOUNT_METRICS_SHM", "HEADCOUNT_METRICS", "HEADCOUNT_SLOW_MS",
	"HEADCOUNT_EVENT_CHANNELS", "HEADCOUNT_EVENTS_REPLAY", "HEADCOUNT_EVENTS_MAX_CLIENTS",
	"HEADCOUNT_EVENTS_MAX_PER_SUBJECT", "HEADCOUNT_EVENTS_KEEPALIVE",
	"HEADCOUNT_DATA_DIR", "HEADCOUNT_LOG_FILE",
	"HEADCOUNT_LOG_LEVEL", "HEADCOUNT_ACCESS_LOG", "HEADCOUNT_CONN_TIMEOUT_MS",
	"HEADCOUNT_FLAGS_KEY", "HEADCOUNT_FLAGS_POLL_MS",
};

static char	 tmpdir[] = "/tmp/test_settings.XXXXXX";
static char	 path[sizeof(tmpdir) + 32];

static void
clear_env(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		unsetenv(keys[i]);
}

static void
write_file(const char *text)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) == EOF) {
		perror(path);
		exit(1);
	}
}

static void
check_defaults(void)
{
	struct hc_settings s;
	char	 err[256] = "";

	clear_env();
	if (!tap_ok(hc_settings_load(&s, NULL, 0, err, sizeof(err)) == 0,
	    "defaults: load"))
		printf("#   err: %s\n", err);
	tap_is_str(s.redis_url, "redis://127.0.0.1:6379/0", "defaults: REDIS_URL");
	tap_is_int(s.redis_timeout_ms, 500, "defaults: HEADCOUNT_REDIS_TIMEOUT_MS");
	tap_is_str(s.key_prefix, "headcount:", "defaults: HEADCOUNT_KEY_PREFIX");
	tap_is_str(s.jwt_secret, "", "defaults: HEADCOUNT_JWT_SECRET is empty");
	tap_is_int(s.ttl, 30, "defaults: HEADCOUNT_TTL");
	tap_is_int(s.prune_after, 300, "defaults: HEADCOUNT_PRUNE_AFTER");
	tap_is_int(s.heartbeat_interval, 10, "defaults: HEADCOUNT_HEARTBEAT_INTERVAL");
	tap_ok(s.preserve_ratio == 0.5, "defaults: HEADCOUNT_PRESERVE_RATIO");
	tap_ok(s.instance_id != NULL && *s.instance_id != '\0',
	    "defaults: HEADCOUNT_INSTANCE_ID from the hostname (%s)",
	    s.instance_id ? s.instance_id : "NULL");
	tap_is_int(s.desired_replicas, -1, "defaults: DESIRED_REPLICAS unset");
	tap_ok(s.do_api_token == NULL && s.do_app_id == NULL &&
	    s.do_component_name == NULL && s.do_region == NULL &&
	    s.do_deployment_id == NULL, "defaults: DO_* unset are NULL");
	tap_is_str(s.do_api_url, "https://api.digitalocean.com", "defaults: DO_API_URL");
	tap_ok(s.k8s_deployment == NULL, "defaults: HEADCOUNT_K8S_DEPLOYMENT NULL");
	tap_is_str(s.k8s_api_url, "https://kubernetes.default.svc", "defaults: HEADCOUNT_K8S_API_URL");
	tap_is_int(s.provider_timeout_ms, 3000, "defaults: HEADCOUNT_PROVIDER_TIMEOUT_MS");
	tap_is_str(s.metrics_allow, "127.0.0.0/8,::1/128", "defaults: HEADCOUNT_METRICS_ALLOW");
	tap_is_int(s.metrics_enabled, 1, "defaults: HEADCOUNT_METRICS");
	tap_is_int(s.slow_ms, 1000, "defaults: HEADCOUNT_SLOW_MS");
	tap_is_str(s.event_channels, "events:*", "defaults: HEADCOUNT_EVENT_CHANNELS");
	tap_is_int(s.events_replay, 1000, "defaults: HEADCOUNT_EVENTS_REPLAY");
	tap_is_int(s.events_max_clients, 10000, "defaults: HEADCOUNT_EVENTS_MAX_CLIENTS");
	tap_is_int(s.events_max_per_subject, 32, "defaults: HEADCOUNT_EVENTS_MAX_PER_SUBJECT");
	tap_is_int(s.events_keepalive, 15, "defaults: HEADCOUNT_EVENTS_KEEPALIVE");
	tap_is_str(s.data_dir, "/var/lib/headcount", "defaults: HEADCOUNT_DATA_DIR");
	tap_ok(s.log_file == NULL, "defaults: HEADCOUNT_LOG_FILE NULL (stderr)");
	tap_is_str(s.log_level, "info", "defaults: HEADCOUNT_LOG_LEVEL");
	tap_is_int(s.access_log, 1, "defaults: HEADCOUNT_ACCESS_LOG");
	tap_is_str(s.flags_key, "feature:flags", "defaults: HEADCOUNT_FLAGS_KEY");
	tap_is_int(s.flags_poll_ms, 1000, "defaults: HEADCOUNT_FLAGS_POLL_MS");
	hc_settings_free(&s);
	tap_ok(s.redis_url == NULL && s.ttl == 0, "free zeroes the struct");
	hc_settings_free(&s);
	hc_settings_free(NULL);
	tap_ok(1, "free is NULL-safe and idempotent");
}

static void
check_missing_file(void)
{
	struct hc_settings s;
	char	 err[256] = "", nofile[sizeof(path) + 16];

	clear_env();
	snprintf(nofile, sizeof(nofile), "%s/absent.conf", tmpdir);
	tap_is_int(hc_settings_load(&s, nofile, 0, err, sizeof(err)), 0,
	    "missing file, not required: ok");
	hc_settings_free(&s);
	tap_is_int(hc_settings_load(&s, nofile, 1, err, sizeof(err)), -1,
	    "missing file, required: refused");
	tap_ok(strstr(err, nofile) != NULL, "missing file: err names the path (%s)", err);
	tap_ok(s.redis_url == NULL, "missing file: nothing left to free");
}

static void
check_file(void)
{
	struct hc_settings s;
	char	 err[256] = "";

	clear_env();
	write_file(
	    "# a comment\n"
	    "\n"
	    "   # an indented comment\n"
	    "REDIS_URL=redis://db:6380/2\n"
	    "export HEADCOUNT_TTL=45\n"
	    "HEADCOUNT_KEY_PREFIX = \"app one:\"\n"
	    "HEADCOUNT_JWT_SECRET='single quoted'\n"
	    "DO_REGION=\"lon1\"   \n"
	    "DO_APP_ID=app-123  \t \n"
	    "HEADCOUNT_LOG_LEVEL=debug\r\n"
	    "DESIRED_REPLICAS=3\n"
	    "HEADCOUNT_METRICS=off\n"
	    "HEADCOUNT_PRESERVE_RATIO=0.25\n"
	    "HEADCOUNT_METRICS_ALLOW=10.0.0.0/8, 192.168.0.0/16\n"
	    "HEADCOUNT_K8S_DEPLOYMENT=prod/backend\n"
	    "HEADCOUNT_INSTANCE_ID=node-1.example:a\n"
	    "HEADCOUNT_EVENT_CHANNELS=\"\n"
	    "HEADCOUNT_TTL=50\n");
	if (!tap_ok(hc_settings_load(&s, path, 1, err, sizeof(err)) == 0, "file: load"))
		printf("#   err: %s\n", err);
	tap_is_str(s.redis_url, "redis://db:6380/2", "file: plain value");
	tap_is_int(s.ttl, 50, "file: later line wins (export line first)");
	tap_is_str(s.key_prefix, "app one:", "file: spaces around '=', double quotes");
	tap_is_str(s.jwt_secret, "single quoted", "file: single quotes");
	tap_is_str(s.do_region, "lon1", "file: quotes then trailing spaces");
	tap_is_str(s.do_app_id, "app-123", "file: trailing spaces and tab trimmed");
	tap_is_str(s.log_level, "debug", "file: CRLF line ending");
	tap_is_int(s.desired_replicas, 3, "file: DESIRED_REPLICAS");
	tap_is_int(s.metrics_enabled, 0, "file: boolean off");
	tap_ok(s.preserve_ratio == 0.25, "file: ratio");
	tap_is_str(s.metrics_allow, "10.0.0.0/8, 192.168.0.0/16", "file: CIDR list");
	tap_is_str(s.k8s_deployment, "prod/backend", "file: namespace/name");
	tap_is_str(s.instance_id, "node-1.example:a", "file: instance id");
	tap_is_str(s.event_channels, "\"", "file: a lone quote is kept");
	hc_settings_free(&s);

	write_file("HEADCOUNT_TTL=20\nHEADCOUNT_PRUNE_AFTER=100\nDO_REGION=lon1\n"
	    "HEADCOUNT_JWT_SECRET=from-file\n");
	setenv("HEADCOUNT_TTL", "40", 1);
	setenv("DO_REGION", "", 1);
	setenv("HEADCOUNT_JWT_SECRET", "from-env", 1);
	if (!tap_ok(hc_settings_load(&s, path, 1, err, sizeof(err)) == 0,
	    "env over file: load"))
		printf("#   err: %s\n", err);
	tap_is_int(s.ttl, 40, "env over file: env wins");
	tap_is_int(s.prune_after, 100, "env over file: file kept where env is silent");
	tap_ok(s.do_region == NULL, "env over file: empty env unsets an optional string");
	tap_is_str(s.jwt_secret, "from-env", "env over file: secret");
	hc_settings_free(&s);
	clear_env();
}

static const struct fbad {
	const char	*text;
	const char	*errpart[2];
} fbads[] = {
	{ "HEADCOUNT_TTL=30\nNO_SUCH_SETTING=1\n", { ":2: NO_SUCH_SETTING", "unknown setting" } },
	{ "# ok\nHEADCOUNT_TTL 30\n", { ":2:", "KEY=VALUE" } },
	{ "redis_url=redis://x\n", { "redis_url", "unknown" } },
	{ "=value\n", { ":1:", "unknown" } },
	{ "HEADCOUNT_TTL=abc\n", { "HEADCOUNT_TTL: ", "\"abc\"" } },
	{ "\n\nexport DO_API_URL=ftp://x\n", { "DO_API_URL: ", "ftp://x" } },
};

static void
check_file_errors(void)
{
	struct hc_settings s;
	char	 err[256];
	size_t	 i;

	clear_env();
	for (i = 0; i < sizeof(fbads) / sizeof(fbads[0]); i++) {
		snprintf(err, sizeof(err), "untouched");
		write_file(fbads[i].text);
		tap_is_int(hc_settings_load(&s, path, 1, err, sizeof(err)), -1,
		    "bad file %zu: refused", i);
		if (!tap_ok(strstr(err, fbads[i].errpart[0]) != NULL &&
		    strstr(err, fbads[i].errpart[1]) != NULL,
		    "bad file %zu: err says \"%s\" and \"%s\"", i,
		    fbads[i].errpart[0], fbads[i].errpart[1]))
			printf("#   err: %s\n", err);
		tap_ok(s.redis_url == NULL, "bad file %zu: nothing left to free", i);
	}
}

/* Values every setting must refuse, each through the environment and the file. */
static const struct bad {
	const char	*key;
	const char	*val;
} bads[] = {
	{ "REDIS_URL", "http://127.0.0.1:6379" },
	{ "REDIS_URL", "" },
	{ "HEADCOUNT_REDIS_TIMEOUT_MS", "5" },
	{ "HEADCOUNT_REDIS_TIMEOUT_MS", "60001" },
	{ "HEADCOUNT_TTL", "abc" },
	{ "HEADCOUNT_TTL", "0" },
	{ "HEADCOUNT_TTL", "86401" },
	{ "HEADCOUNT_TTL", "" },
	{ "HEADCOUNT_TTL", "1e3" },
	{ "HEADCOUNT_TTL", "30s" },
	{ "HEADCOUNT_TTL", "99999999999999999999999" },
	{ "HEADCOUNT_PRUNE_AFTER", "-1" },
	{ "HEADCOUNT_PRUNE_AFTER", "10" },	/* below the TTL of 30 */
	{ "HEADCOUNT_HEARTBEAT_INTERVAL", "3601" },
	{ "HEADCOUNT_PRESERVE_RATIO", "0" },
	{ "HEADCOUNT_PRESERVE_RATIO", "1.5" },
	{ "HEADCOUNT_PRESERVE_RATIO", "nan" },
	{ "HEADCOUNT_PRESERVE_RATIO", "half" },
	{ "HEADCOUNT_PRESERVE_RATIO", "" },
	{ "HEADCOUNT_INSTANCE_ID", "-leading-dash" },
	{ "HEADCOUNT_INSTANCE_ID", "has space" },
	{ "HEADCOUNT_INSTANCE_ID", "a/b" },
	{ "DESIRED_REPLICAS", "-1" },
	{ "DESIRED_REPLICAS", "100001" },
	{ "DESIRED_REPLICAS", "two" },
	{ "DO_API_URL", "api.digitalocean.com" },
	{ "HEADCOUNT_K8S_DEPLOYMENT", "backend" },
	{ "HEADCOUNT_K8S_DEPLOYMENT", "/backend" },
	{ "HEADCOUNT_K8S_DEPLOYMENT", "prod/" },
	{ "HEADCOUNT_K8S_DEPLOYMENT", "a/b/c" },
	{ "HEADCOUNT_K8S_API_URL", "kubernetes.default.svc" },
	{ "HEADCOUNT_PROVIDER_TIMEOUT_MS", "49" },
	{ "HEADCOUNT_METRICS_ALLOW", "10.0.0.0/33" },
	{ "HEADCOUNT_METRICS_ALLOW", "localhost" },
	{ "HEADCOUNT_METRICS", "maybe" },
	{ "HEADCOUNT_METRICS", "" },
	{ "HEADCOUNT_SLOW_MS", "0" },
	{ "HEADCOUNT_LOG_LEVEL", "trace" },
	{ "HEADCOUNT_LOG_LEVEL", "INFO" },
	{ "HEADCOUNT_ACCESS_LOG", "2" },
	{ "HEADCOUNT_FLAGS_POLL_MS", "49" },
	{ "HEADCOUNT_FLAGS_POLL_MS", "1s" },
	/* the events program (issue 9) */
	{ "HEADCOUNT_EVENT_CHANNELS", "" },
	{ "HEADCOUNT_EVENT_CHANNELS", "events:*,," },
	{ "HEADCOUNT_EVENT_CHANNELS", "events:* app:*" },
	{ "HEADCOUNT_EVENTS_REPLAY", "-1" },
	{ "HEADCOUNT_EVENTS_REPLAY", "100001" },
	{ "HEADCOUNT_EVENTS_MAX_CLIENTS", "0" },
	{ "HEADCOUNT_EVENTS_MAX_PER_SUBJECT", "many" },
	{ "HEADCOUNT_EVENTS_KEEPALIVE", "0" },
	{ "HEADCOUNT_EVENTS_KEEPALIVE", "3601" },
};

static void
check_bad_values(void)
{
	struct hc_settings s;
	char	 err[256], text[512], want[64];
	size_t	 i;
	int	 how;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		for (how = 0; how < 2; how++) {
			clear_env();
			snprintf(err, sizeof(err), "untouched");
			snprintf(want, sizeof(want), "%s: ", bads[i].key);
			if (how == 0) {
				setenv(bads[i].key, bads[i].val, 1);
				tap_is_int(hc_settings_load(&s, NULL, 0, err, sizeof(err)),
				    -1, "env %s=\"%s\": refused", bads[i].key, bads[i].val);
			} else {
				snprintf(text, sizeof(text), "%s=%s\n", bads[i].key, bads[i].val);
				write_file(text);
				tap_is_int(hc_settings_load(&s, path, 1, err, sizeof(err)),
				    -1, "file %s=\"%s\": refused", bads[i].key, bads[i].val);
			}
			if (!tap_ok(strncmp(err, want, strlen(want)) == 0 ||
			    (how == 1 && strstr(err, want) != NULL),
			    "%s %s=\"%s\": err names the key", how ? "file" : "env",
			    bads[i].key, bads[i].val))
				printf("#   err: %s\n", err);
			tap_ok(s.redis_url == NULL, "%s %s: nothing left to free",
			    how ? "file" : "env", bads[i].key);
		}
	clear_env();
	/* an integer's message gives the bounds and the value, as the header promises */
	setenv("HEADCOUNT_TTL", "abc", 1);
	hc_settings_load(&s, NULL, 0, err, sizeof(err));
	tap_is_str(err, "HEADCOUNT_TTL: not an integer in [1, 86400]: \"abc\"",
	    "err text for a bad integer");
	clear_env();
}

static const struct good {
	const char	*key;
	const char	*val;
	const char	*field;	/* which value to compare */
	long		 l;
	const char	*s;
} goods[] = {
	{ "HEADCOUNT_TTL", "1", "ttl", 1, NULL },
	{ "HEADCOUNT_TTL", "+60", "ttl", 60, NULL },
	{ "HEADCOUNT_PRUNE_AFTER", "31536000", "prune_after", 31536000, NULL },
	{ "DESIRED_REPLICAS", "0", "desired", 0, NULL },
	{ "DESIRED_REPLICAS", "100000", "desired", 100000, NULL },
	{ "DESIRED_REPLICAS", "", "desired", -1, NULL },
	{ "HEADCOUNT_METRICS", "TRUE", "metrics", 1, NULL },
	{ "HEADCOUNT_METRICS", "no", "metrics", 0, NULL },
	{ "HEADCOUNT_METRICS", "Off", "metrics", 0, NULL },
	{ "HEADCOUNT_ACCESS_LOG", "0", "access_log", 0, NULL },
	{ "HEADCOUNT_ACCESS_LOG", "yes", "access_log", 1, NULL },
	{ "HEADCOUNT_PRESERVE_RATIO", "1", "ratio100", 100, NULL },
	{ "HEADCOUNT_PRESERVE_RATIO", ".1", "ratio100", 10, NULL },
	{ "REDIS_URL", "unix:///run/redis.sock", "redis_url", 0, "unix:///run/redis.sock" },
	{ "DO_API_URL", "http://127.0.0.1:8080", "do_api_url", 0, "http://127.0.0.1:8080" },
	{ "HEADCOUNT_METRICS_ALLOW", "", "metrics_allow", 0, "" },
	{ "HEADCOUNT_METRICS_ALLOW", "0.0.0.0/0,::/0", "metrics_allow", 0, "0.0.0.0/0,::/0" },
	{ "HEADCOUNT_LOG_FILE", "/var/log/headcount.log", "log_file", 0, "/var/log/headcount.log" },
	{ "HEADCOUNT_KEY_PREFIX", "", "key_prefix", 0, "" },
	{ "HEADCOUNT_INSTANCE_ID", "A", "instance_id", 0, "A" },
	{ "HEADCOUNT_LOG_LEVEL", "error", "log_level", 0, "error" },
	{ "HEADCOUNT_K8S_DEPLOYMENT", "", "k8s", 0, NULL },
};

static void
check_good_values(void)
{
	struct hc_settings s;
	char	 err[256];
	size_t	 i;
	long	 l;
	const char *sv;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];

		clear_env();
		setenv(g->key, g->val, 1);
		if (!tap_ok(hc_settings_load(&s, NULL, 0, err, sizeof(err)) == 0,
		    "%s=\"%s\": accepted", g->key, g->val)) {
			printf("#   err: %s\n", err);
			continue;
		}
		l = 0;
		sv = NULL;
		if (strcmp(g->field, "ttl") == 0)
			l = s.ttl;
		else if (strcmp(g->field, "prune_after") == 0)
			l = s.prune_after;
		else if (strcmp(g->field, "desired") == 0)
			l = s.desired_replicas;
		else if (strcmp(g->field, "metrics") == 0)
			l = s.metrics_enabled;
		else if (strcmp(g->field, "access_log") == 0)
			l = s.access_log;
		else if (strcmp(g->field, "ratio100") == 0)
			l = (long)(s.preserve_ratio * 100 + 0.5);
		else if (strcmp(g->field, "redis_url") == 0)
			sv = s.redis_url;
		else if (strcmp(g->field, "do_api_url") == 0)
			sv = s.do_api_url;
		else if (strcmp(g->field, "metrics_allow") == 0)
			sv = s.metrics_allow;
		else if (strcmp(g->field, "log_file") == 0)
			sv = s.log_file;
		else if (strcmp(g->field, "key_prefix") == 0)
			sv = s.key_prefix;
		else if (strcmp(g->field, "instance_id") == 0)
			sv = s.instance_id;
		else if (strcmp(g->field, "log_level") == 0)
			sv = s.log_level;
		else if (strcmp(g->field, "k8s") == 0)
			sv = s.k8s_deployment;
		if (g->s != NULL || strcmp(g->field, "k8s") == 0)
			tap_is_str(sv, g->s, "%s=\"%s\": value", g->key, g->val);
		else
			tap_is_int(l, g->l, "%s=\"%s\": value", g->key, g->val);
		hc_settings_free(&s);
	}
	clear_env();
}

static void
check_print(void)
{
	struct hc_settings s;
	char	 err[256], *buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	clear_env();
	setenv("HEADCOUNT_JWT_SECRET", "hunter2-topsecret", 1);
	setenv("DO_API_TOKEN", "dop_v1_secret", 1);
	setenv("HEADCOUNT_TTL", "42", 1);
	if (!tap_ok(hc_settings_load(&s, NULL, 0, err, sizeof(err)) == 0, "print: load"))
		return;
	if ((fp = open_memstream(&buf, &len)) == NULL)
		abort();
	tap_is_int(hc_settings_print(&s, fp), 0, "print: ok");
	fclose(fp);
	tap_ok(strstr(buf, "HEADCOUNT_JWT_SECRET=(set)\n") != NULL, "print: JWT secret masked");
	tap_ok(strstr(buf, "DO_API_TOKEN=(set)\n") != NULL, "print: DO token masked");
	tap_ok(strstr(buf, "hunter2") == NULL && strstr(buf, "dop_v1") == NULL,
	    "print: no secret text");
	tap_ok(strstr(buf, "HEADCOUNT_TTL=42\n") != NULL, "print: integer");
	tap_ok(strstr(buf, "DESIRED_REPLICAS=-1\n") != NULL, "print: unset integer");
	tap_ok(strstr(buf, "HEADCOUNT_METRICS=on\n") != NULL, "print: boolean");
	tap_ok(strstr(buf, "DO_APP_ID=\n") != NULL, "print: unset string");
	free(buf);
	hc_settings_free(&s);
	clear_env();
}

int
main(void)
{
	const char *p;
	size_t	 n;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/headcount.conf", tmpdir);
	check_defaults();
	check_missing_file();
	check_file();
	check_file_errors();
	check_bad_values();
	check_good_values();
	check_print();
	p = hc_settings_default_path();
	n = strlen(p);
	tap_ok(n > 15 && strcmp(p + n - 15, "/headcount.conf") == 0 && p[0] == '/',
	    "default path is absolute and ends in /headcount.conf (%s)", p);
	unlink(path);
	rmdir(tmpdir);
	return tap_done();
}
