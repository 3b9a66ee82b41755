/* hc_fleet: opens and closes the registry and provider handles a fleet program's worker uses. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_fleet.h"

#include <stdlib.h>

#include "hc_app.h"
#include "hc_log.h"
#include "hc_provider.h"
#include "hc_registry.h"

int
hc_fleet_init(struct hc_ctx *ctx)
{
	struct hc_fleet	*f;
	char		 err[256];

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		hc_log(HC_LOG_ERROR, "%s: out of memory", ctx->program);
		return -1;
	}
	ctx->state = f;
	if ((f->reg = hc_registry_new(ctx->redis, ctx->settings)) == NULL) {
		hc_log(HC_LOG_ERROR, "%s: registry: out of memory", ctx->program);
		return -1;
	}
	if ((f->prov = hc_provider_new(ctx->settings, err, sizeof(err))) == NULL) {
		hc_log(HC_LOG_ERROR, "%s: provider: %s", ctx->program, err);
		return -1;
	}
	return 0;
}

void
hc_fleet_fini(struct hc_ctx *ctx)
{
	struct hc_fleet *f = ctx->state;

	if (f == NULL)
		return;
	hc_provider_free(f->prov);
	hc_registry_free(f->reg);
	free(f);
	ctx->state = NULL;
}
