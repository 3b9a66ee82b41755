/* hc_settings: the read-only settings of a headcount process (file + environment). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_SETTINGS_H
#define HC_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

/*
 * Every setting, built once at start-up and never changed afterwards.
 * Strings are owned by the struct (freed by hc_settings_free) and are
 * never NULL except where noted ("NULL when unset").
 */
struct hc_settings {
	/* Redis */
	char	*redis_url;		/* REDIS_URL */
	long	 redis_timeout_ms;	/* HEADCOUNT_REDIS_TIMEOUT_MS */
	char	*key_prefix;		/* HEADCOUNT_KEY_PREFIX */
	char	*redis_sentinel_password; /* HEADCOUNT_REDIS_SENTINEL_PASSWORD, NULL when unset */
	/* auth */
	char	*jwt_secret;		/* HEADCOUNT_JWT_SECRET, "" when unset */
	/* instances */
	long	 ttl;			/* HEADCOUNT_TTL (s) */
	long	 prune_after;		/* HEADCOUNT_PRUNE_AFTER (s) */
	long	 heartbeat_interval;	/* HEADCOUNT_HEARTBEAT_INTERVAL (s) */
	double	 preserve_ratio;	/* HEADCOUNT_PRESERVE_RATIO */
	char	*instance_id;		/* HEADCOUNT_INSTANCE_ID, default hostname */
	long	 desired_replicas;	/* DESIRED_REPLICAS, -1 when unset */
	/* DigitalOcean (NULL when unset) */
	char	*do_api_token;		/* DO_API_TOKEN */
	char	*do_app_id;		/* DO_APP_ID */
	char	*do_component_name;	/* DO_COMPONENT_NAME */
	char	*do_region;		/* DO_REGION */
	char	*do_deployment_id;	/* DO_DEPLOYMENT_ID */
	char	*do_api_url;		/* DO_API_URL */
	/* Kubernetes */
	char	*k8s_deployment;	/* HEADCOUNT_K8S_DEPLOYMENT ns/name, NULL when unset */
	char	*k8s_api_url;		/* HEADCOUNT_K8S_API_URL */
	char	*k8s_token_file;	/* HEADCOUNT_K8S_TOKEN_FILE */
	char	*k8s_ca_file;		/* HEADCOUNT_K8S_CA_FILE */
	long	 provider_timeout_ms;	/* HEADCOUNT_PROVIDER_TIMEOUT_MS */
	long	 deploy_stuck_seconds;	/* HEADCOUNT_DEPLOY_STUCK_SECONDS: a rollout older is "stuck" */
	/* metrics */
	char	*metrics_allow;		/* HEADCOUNT_METRICS_ALLOW (CIDR list) */
	char	*metrics_shm;		/* HEADCOUNT_METRICS_SHM (file backing the segment) */
	int	 metrics_enabled;	/* HEADCOUNT_METRICS (bool) */
	long	 slow_ms;		/* HEADCOUNT_SLOW_MS */
	/* events */
	char	*event_channels;	/* HEADCOUNT_EVENT_CHANNELS (patterns, comma-separated) */
	long	 events_replay;		/* HEADCOUNT_EVENTS_REPLAY (messages kept for Last-Event-ID) */
	long	 events_max_clients;	/* HEADCOUNT_EVENTS_MAX_CLIENTS (streams per node) */
	long	 events_max_per_subject; /* HEADCOUNT_EVENTS_MAX_PER_SUBJECT (streams per token sub) */
	long	 events_keepalive;	/* HEADCOUNT_EVENTS_KEEPALIVE (s: SSE comment, WS ping) */
	/* storage and logs */
	char	*data_dir;		/* HEADCOUNT_DATA_DIR (SQLite history lives here) */
	char	*log_file;		/* HEADCOUNT_LOG_FILE, NULL = stderr */
	char	*log_level;		/* HEADCOUNT_LOG_LEVEL debug|info|warn|error */
	int	 access_log;		/* HEADCOUNT_ACCESS_LOG (bool) */
	/* process model */
	long	 conn_timeout_ms;	/* HEADCOUNT_CONN_TIMEOUT_MS: a whole request within this */
	/* history and webhooks (issue 10) */
	long	 history_interval;	/* HEADCOUNT_HISTORY_INTERVAL (s) */
	long	 history_retention_days;	/* HEADCOUNT_HISTORY_RETENTION_DAYS */
	long	 history_stream_len;	/* HEADCOUNT_HISTORY_STREAM_LEN: samples kept in Redis */
	char	*webhook_urls;		/* HEADCOUNT_WEBHOOK_URLS, comma-separated, "" when none */
	char	*webhook_secret;	/* HEADCOUNT_WEBHOOK_SECRET, "" when unset */
	long	 webhook_after;		/* HEADCOUNT_WEBHOOK_AFTER (s) */
	long	 webhook_retry_seconds;	/* HEADCOUNT_WEBHOOK_RETRY_SECONDS */
	/* flags */
	char	*flags_key;		/* HEADCOUNT_FLAGS_KEY (the shared hash) */
	long	 flags_poll_ms;		/* HEADCOUNT_FLAGS_POLL_MS */
};

/*
 * Fills s from defaults, then the KEY=VALUE file at path (skipped when
 * path is NULL; a missing file is an error only when required is set),
 * then the environment, which wins.  Every value is validated.
 * Returns 0, or -1 with one line in err naming the key and the reason
 * ("HEADCOUNT_TTL: not an integer in [1, 86400]: \"abc\"").
 * On failure s holds nothing to free; on success free with hc_settings_free.
 */
int	 hc_settings_load(struct hc_settings *s, const char *path, int required,
	    char *err, size_t errlen);

/* Frees what s owns; NULL-safe; leaves s zeroed. */
void	 hc_settings_free(struct hc_settings *s);

/*
 * Writes one line per known setting ("KEY=value", secrets masked) to fp;
 * used by --print-settings.  Returns 0 or -1 on a write error.
 */
struct	 hc_settings_dump;
int	 hc_settings_print(const struct hc_settings *s, FILE *fp);

/* Path of the default settings file ($sysconfdir/headcount.conf). */
const char *hc_settings_default_path(void);

#endif
