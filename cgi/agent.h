/* agent.h: the node agent's state and its periodic tasks (private to cgi/agent*.c). */
#ifndef HC_AGENT_H
#define HC_AGENT_H

#include <curl/curl.h>

#include "hc_settings.h"

struct hc_redis;
struct hc_registry;
struct hc_provider;
struct hc_history;
struct hc_webhook;

struct agent {
	struct hc_settings	 s;
	struct hc_redis		*redis;
	struct hc_registry	*reg;
	struct hc_provider	*prov;
	const char		*check_url;	/* NULL: heartbeat unconditionally */
	long			 check_timeout_ms;
	CURL			*curl;
	char			 hostname[256];
	int			 redis_ok;	/* for logging transitions once */
	int			 check_ok;
	int			 registered;	/* our last heartbeat went through */
	/* history (agent_history.c) */
	struct hc_history	*hist;		/* open only while a sample is written */
	long			 hist_failures;	/* intervals not written in the current burst */
	int			 hist_redis_failing;
	double			 hist_pruned_at;	/* hc_mono_ms() of the last retention pass */
	/* webhooks (agent_webhook.c) */
	struct hc_webhook	*wh;
	int			 wh_failing;
};

/* Opens (checks, and when corrupt replaces) the history file at start; never fails the agent. */
void	 agent_history_start(struct agent *a);
void	 agent_history_stop(struct agent *a);

/* The sampler task: one sample per aligned interval; returns ms until the next. */
double	 agent_history(struct agent *a);

/* Sets up the webhook sender (0, or -1 without memory). */
int	 agent_webhooks_start(struct agent *a);
void	 agent_webhooks_stop(struct agent *a);

/* The webhook task: events and due deliveries; returns ms until the next run. */
double	 agent_webhooks(struct agent *a);

#endif
