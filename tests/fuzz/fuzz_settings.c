/* fuzz_settings: the KEY=VALUE settings file and every value's validation (libFuzzer). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hc_settings.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char	 path[64];

static void
cleanup(void)
{
	unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	extern char **environ;
	static char *empty[] = { NULL };

	(void)argc;
	(void)argv;
	environ = empty;	/* only the file speaks */
	/* tmpfs when there is one: the file is rewritten for every input */
	snprintf(path, sizeof(path), "%s/hc-fuzz-settings.%ld",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
	atexit(cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hc_settings s;
	char		 err[512];
	FILE		*fp;

	if ((fp = fopen(path, "w")) == NULL)
		return 0;
	fwrite(data, 1, size, fp);
	fclose(fp);
	if (hc_settings_load(&s, path, 1, err, sizeof(err)) == 0) {
		if (s.redis_url == NULL || s.prune_after < s.ttl || s.instance_id == NULL)
			abort();
		fp = fopen("/dev/null", "w");
		if (fp != NULL) {
			hc_settings_print(&s, fp);
			fclose(fp);
		}
		hc_settings_free(&s);
	} else if (err[0] == '\0')
		abort();	/* a refusal always says why */
	return 0;
}
