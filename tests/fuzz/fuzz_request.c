/* fuzz_request: FastCGI parameters, the request line, the body and its JSON, and a problem answer (libFuzzer). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hc_http.h"
#include "fuzz_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_mem	 m;
	struct hc_io	 io;
	struct hc_req	 req;
	json_object	*o;
	char		*buf, err[256];

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	fuzz_mem_setup(&m, &io, buf, size);
	if (hc_req_init(&req, &io) == 0) {
		(void)hc_req_env(&req, "HTTP_X_FORWARDED_FOR");
		if (hc_req_read_body(&req, HC_BODY_MAX) == 0) {
			o = hc_req_json(&req, err, sizeof(err));
			if (o != NULL)
				(void)json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
			json_object_put(o);
		}
		/* the path and query go back out in a problem's detail */
		hc_resp_problem(&req, 404, NULL, "no route for %.200s?%.200s",
		    req.path != NULL ? req.path : "", req.query_string);
	}
	hc_req_cleanup(&req);
	free(buf);
	return 0;
}
