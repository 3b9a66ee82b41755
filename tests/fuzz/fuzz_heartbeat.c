/* fuzz_heartbeat: the heartbeat body as headcount-instances reads it (hc_req_json, then its field checks) (libFuzzer). */
#include "config.h"

#include <stdint.h>

/* The program's own checks, not a copy: its main is renamed out of the way. */
int instances_main(int argc, char **argv);
#define main instances_main
#include "../../cgi/instances.c"
#undef main

#include "fuzz_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_mem	 m;
	struct hc_io	 io;
	struct hc_req	 req;
	json_object	*body, *meta;
	const char	*id, *hostname;
	char		 why[256], cl[32];
	char		*env[] = { "REQUEST_METHOD", "POST", "REQUEST_URI",
	    "/api/v1/instances/heartbeat", "CONTENT_TYPE", "application/json",
	    "CONTENT_LENGTH", cl, NULL };

	memset(&m, 0, sizeof(m));
	snprintf(cl, sizeof(cl), "%zu", size);
	memcpy(m.env, env, sizeof(env));
	m.in = (const char *)data;
	m.inlen = size;
	io.getenv = fuzz_getenv;
	io.read = fuzz_read;
	io.write = fuzz_write;
	io.flush = fuzz_flush;
	io.ctx = &m;
	if (hc_req_init(&req, &io) == 0 && hc_req_read_body(&req, HC_BODY_MAX) == 0 &&
	    (body = hc_req_json(&req, why, sizeof(why))) != NULL) {
		if (instances_parse(body, &id, &hostname, &meta, why, sizeof(why)) == 0) {
			/* what the registry is handed must hold its rules */
			if (!hc_registry_id_valid(id))
				abort();
			if (meta != NULL && !hc_registry_meta_valid(meta, why, sizeof(why)))
				abort();
			(void)hostname;
		}
		json_object_put(body);
	}
	hc_req_cleanup(&req);
	return 0;
}
