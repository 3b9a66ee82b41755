/*
 * fuzz_app: one program's whole request pipeline (hc_app_handle: route,
 * token, query, body, declared input, handler) on fuzzed FastCGI
 * parameters and body, Redis unreachable (libFuzzer).  Built once per
 * program with -DFUZZ_CGI='"../../cgi/NAME.c"' -DFUZZ_APP=<its struct hc_app>.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <curl/curl.h>

/* The program's own table and handlers, not a copy: its main is renamed away. */
int fuzz_program_main(int argc, char **argv);
#define main fuzz_program_main
#include FUZZ_CGI
#undef main
#define fz_app FUZZ_APP

#include "hc_app.h"
#include "hc_jwt.h"
#include "hc_log.h"
#include "hc_redis.h"
#include "hc_settings.h"
#include "fuzz_mem.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_SECRET	"fuzz-secret-0123456789abcdef0123456789abcdef"

static struct hc_settings fz_settings;
static struct hc_ctx	 fz_ctx;
static char		 fz_auth[3][600];	/* "Bearer <owner>", user, instance (sub "a") */
static char		 fz_dir[64];

static void
fz_cleanup(void)
{
	char	 cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fz_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_app: could not remove %s\n", fz_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *roles[3] = { "owner", "user", "instance" };
	char	 err[256], *tok, url[160];
	time_t	 now = time(NULL);
	int	 i;

	(void)argc;
	(void)argv;
	snprintf(fz_dir, sizeof(fz_dir), "/tmp/hc-fuzz-app.%ld", (long)getpid());
	if (mkdir(fz_dir, 0700) == -1)
		abort();
	atexit(fz_cleanup);
	snprintf(url, sizeof(url), "unix://%s/no-redis.sock", fz_dir);
	/* Redis unreachable: handlers take their 503 paths at once */
	setenv("REDIS_URL", url, 1);
	setenv("HEADCOUNT_JWT_SECRET", FUZZ_SECRET, 1);
	setenv("HEADCOUNT_ACCESS_LOG", "off", 1);
	setenv("HEADCOUNT_LOG_LEVEL", "error", 1);
	setenv("HEADCOUNT_LOG_FILE", "/dev/null", 1);
	setenv("HEADCOUNT_DATA_DIR", fz_dir, 1);
	setenv("HEADCOUNT_METRICS", "off", 1);
	setenv("DESIRED_REPLICAS", "3", 1);
	if (hc_settings_load(&fz_settings, NULL, 0, err, sizeof(err)) == -1) {
		fprintf(stderr, "fuzz_app: settings: %s\n", err);
		abort();
	}
	hc_log_init(fz_app.name, "/dev/null", "error");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	fz_ctx.program = fz_app.name;
	fz_ctx.settings = &fz_settings;
	fz_ctx.redis = hc_redis_open(&fz_settings, err, sizeof(err));
	fz_ctx.started_at = now;
	if (fz_app.shared_size > 0 && (fz_ctx.shared = calloc(1, fz_app.shared_size)) == NULL)
		abort();
	/* as the process model does: the helper's first run in the master, then a worker's init */
	if (fz_app.helper != NULL)
		(void)fz_app.helper(&fz_ctx);
	if (fz_app.worker_init != NULL && fz_app.worker_init(&fz_ctx) == -1)
		abort();
	for (i = 0; i < 3; i++) {
		tok = hc_jwt_sign(FUZZ_SECRET, i == 2 ? "a" : "fuzz", roles[i], now,
		    now + 30 * 86400);
		if (tok == NULL)
			abort();
		snprintf(fz_auth[i], sizeof(fz_auth[i]), "Bearer %s", tok);
		free(tok);
	}
	return 0;
}

/*
 * The first byte picks a valid token to add (0 none: the input's own
 * HTTP_AUTHORIZATION if any, 1 owner, 2 user, 3 instance); the rest is
 * "NAME=VALUE\n" CGI parameters, a blank line, the body.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_mem	 m;
	struct hc_io	 io;
	char		*buf;
	size_t		 n;
	int		 tok;

	if (size < 1 || (buf = malloc(size)) == NULL)
		return 0;
	tok = data[0] & 3;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	fuzz_mem_setup(&m, &io, buf, size - 1);
	if (tok != 0) {
		for (n = 0; m.env[n] != NULL; n += 2)
			continue;
		if (n / 2 < FUZZ_MAXENV) {
			/* found first: it wins over one the input carries */
			memmove(m.env + 2, m.env, (n + 1) * sizeof(m.env[0]));
			m.env[0] = "HTTP_AUTHORIZATION";
			m.env[1] = fz_auth[tok - 1];
		}
	}
	hc_app_handle(&fz_app, &fz_ctx, &io);
	free(buf);
	return 0;
}
