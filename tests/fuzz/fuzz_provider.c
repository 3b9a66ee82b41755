/* fuzz_provider: DigitalOcean and Kubernetes API answers (lib/hc_provider_parse.c); a provider is untrusted (libFuzzer). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hc_desired d;
	json_object	*o;
	char		*buf, err[256];
	int		 kind;

	if (size < 1 || (buf = malloc(size)) == NULL)
		return 0;
	kind = data[0] % 6;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	memset(&d, 0, sizeof(d));
	d.desired = d.ready = d.min = d.max = -1;
	switch (kind) {
	case 0:
		hc_provider_parse_do_app(buf, "web", &d, err, sizeof(err));
		break;
	case 1:
		hc_provider_parse_do_app(buf, NULL, &d, err, sizeof(err));
		break;
	case 2:
		snprintf(d.component, sizeof(d.component), "web");
		hc_provider_parse_do_health(buf, &d, err, sizeof(err));
		break;
	case 3:
		hc_provider_parse_k8s(buf, &d, err, sizeof(err));
		break;
	case 4:
		if ((o = hc_provider_parse_do_deployments(buf, err, sizeof(err))) != NULL) {
			hc_provider_rollout_from(o, &d);
			json_object_put(o);
		}
		break;
	default:
		if ((o = hc_provider_parse_do_metrics(buf, err, sizeof(err))) != NULL)
			json_object_put(o);
		break;
	}
	if (memchr(d.component, '\0', sizeof(d.component)) == NULL ||
	    memchr(d.rollout_id, '\0', sizeof(d.rollout_id)) == NULL ||
	    memchr(d.rollout_phase, '\0', sizeof(d.rollout_phase)) == NULL)
		abort();
	free(buf);
	return 0;
}
