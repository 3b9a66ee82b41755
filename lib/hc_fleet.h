/* hc_fleet: the per-worker registry and desired-count provider of the fleet programs. */
#ifndef HC_FLEET_H
#define HC_FLEET_H

struct hc_ctx;
struct hc_registry;
struct hc_provider;

struct hc_fleet {
	struct hc_registry	*reg;
	struct hc_provider	*prov;	/* libcurl is set up lazily, on a remote source's first call */
};

/*
 * An hc_app worker_init: sets ctx->state to a new struct hc_fleet over
 * ctx->redis.  Returns 0, or -1 (logged) with nothing left to free but
 * what hc_fleet_fini frees.
 */
int	 hc_fleet_init(struct hc_ctx *ctx);

/* The matching worker_fini; NULL-safe on ctx->state. */
void	 hc_fleet_fini(struct hc_ctx *ctx);

#endif
