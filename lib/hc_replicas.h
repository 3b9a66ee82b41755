/* hc_replicas: the stored replica status, the replicas summary and the operator's recommendations. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_REPLICAS_H
#define HC_REPLICAS_H

#include <stddef.h>
#include <json-c/json.h>

#include "hc_provider.h"
#include "hc_registry.h"

enum hc_replicas {
	HC_REPLICAS_UNKNOWN,		/* no desired count known */
	HC_REPLICAS_HEALTHY,
	HC_REPLICAS_UNDER,
	HC_REPLICAS_OVER,
	HC_REPLICAS_MAX
};

/* "unknown", "healthy", "under_replicated", "over_replicated"; "?" else. */
const char *hc_replicas_name(enum hc_replicas st);

/* The state for desired (< 0: unknown) against active. */
enum hc_replicas hc_replicas_of(long desired, long active);

/* The status stored in <p>replicas:status beside the registry (hc_registry.h). */
struct hc_replica_status {
	enum hc_replicas status;
	long		 desired;	/* -1 when unknown */
	long		 active;
	long long	 mismatch_since_ms;	/* 0 when healthy/unknown */
	long long	 updated_ms;		/* 0 when never written */
};

/*
 * Stores status hc_replicas_of(desired, active) atomically: sets
 * mismatch_since (Redis clock) when the status becomes under/over
 * replicated and keeps it while it stays a mismatch; clears it when
 * healthy or unknown.  *out (may be NULL) gets what is now stored.
 * Returns HC_OK or HC_ERR_REDIS (the registry's errstr says why).
 */
enum hc_err hc_replicas_status_update(struct hc_registry *reg, long desired,
	    long active, struct hc_replica_status *out);

/*
 * Reads the stored status; HC_OK with updated_ms 0 and status unknown when
 * none was ever written.  Returns HC_OK or HC_ERR_REDIS.
 */
enum hc_err hc_replicas_status_get(struct hc_registry *reg,
	    struct hc_replica_status *out);

/* Everything the summary and the recommendations depend on, at one moment. */
struct hc_replicas_view {
	const struct hc_desired *desired;	/* from hc_provider_desired */
	enum hc_replicas status;		/* hc_replicas_of(desired, active) */
	long		 active;
	long		 stale;
	const char *const *stale_ids;		/* the stale instances' ids (may be fewer than stale) */
	size_t		 nstale_ids;
	int		 self_preservation;
	long long	 mismatch_since_ms;	/* 0 when none (Redis clock) */
	long long	 now_ms;		/* Redis clock */
	long		 ttl;			/* HEADCOUNT_TTL */
	long		 prune_after;		/* HEADCOUNT_PRUNE_AFTER */
	long		 stuck_after;		/* seconds a rollout may run before it counts as stuck */
	const char	*do_app_id;		/* for the doctl commands, NULL when unset */
};

/*
 * The API.md summary object {"configured_replicas", "configured_source",
 * "active_instances", "stale_instances", "status", "mismatch_since",
 * "self_preservation", "checked_at"} for v.  configured_source names
 * where configured_replicas came from ("env" after a provider fell back
 * to DESIRED_REPLICAS).  Returns a new object the caller puts, or NULL
 * without memory.
 */
json_object	*hc_replicas_summary_json(const struct hc_replicas_view *v);

/*
 * The recommendations for v: plain sentences, most urgent first; exactly
 * ["Instance count matches configuration - no action needed"] when
 * nothing needs doing.  Returns a new array the caller puts, or NULL
 * without memory.
 */
json_object	*hc_replicas_recommend(const struct hc_replicas_view *v);

/* The sentence answered when nothing needs doing. */
#define HC_REPLICAS_ALL_GOOD \
	"Instance count matches configuration - no action needed"

#endif
