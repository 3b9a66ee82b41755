/* headcount-token: mints an HS256 bearer token with the configured secret, for operators and scripts. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hc_cli.h"
#include "hc_jwt.h"
#include "hc_settings.h"

#define TTL_DEFAULT	3600LL
#define TTL_MAX		31536000LL	/* one year */
#define SUB_MAX		255		/* what hc_jwt_verify accepts */

static const char *prog = "headcount-token";

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: %s --role user|admin|owner|instance [--sub NAME] [--ttl SECONDS]\n"
	    "       %*s [--config FILE]\n"
	    "Prints a bearer token signed with HEADCOUNT_JWT_SECRET (from the\n"
	    "environment, else the settings file, default %s).\n"
	    "  --role ROLE    the role the token carries (required)\n"
	    "  --sub NAME     the subject, at most %d bytes (default: the role name;\n"
	    "                 for an instance token, the instance id it may deregister)\n"
	    "  --ttl SECONDS  lifetime, 1..%lld (default %lld)\n"
	    "  --config FILE  settings file to read (then it must exist; also\n"
	    "                 HEADCOUNT_CONFIG)\n"
	    "  --help         this text\n"
	    "  --version      the version\n",
	    prog, (int)strlen(prog), "", hc_settings_default_path(), SUB_MAX,
	    TTL_MAX, TTL_DEFAULT);
}

/* Strict decimal in [1, TTL_MAX]: no spaces, no trailing text. */
static int
parse_ttl(const char *s, long long *out)
{
	char		*end;
	long long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > TTL_MAX)
		return -1;
	*out = v;
	return 0;
}

enum { OPT_ROLE = 256, OPT_SUB, OPT_TTL };

struct token_args {
	const char	*role, *sub;
	long long	 ttl;
};

static int
token_opt(int key, const char *arg, void *ud)
{
	struct token_args *t = ud;

	switch (key) {
	case OPT_ROLE:
		t->role = arg;
		return 0;
	case OPT_SUB:
		t->sub = arg;
		return 0;
	case OPT_TTL:
		if (parse_ttl(arg, &t->ttl) == -1) {
			fprintf(stderr, "%s: --ttl: not an integer in [1, %lld]: \"%s\"\n",
			    prog, TTL_MAX, arg);
			return -1;
		}
		return 0;
	}
	return -1;
}

int
main(int argc, char *argv[])
{
	static const struct hc_cli_opt opts[] = {
		{ "role", 1, OPT_ROLE },
		{ "sub", 1, OPT_SUB },
		{ "ttl", 1, OPT_TTL },
		{ NULL, 0, 0 }
	};
	struct token_args t = { NULL, NULL, TTL_DEFAULT };
	struct hc_settings s;
	struct hc_cli	 cli;
	const char	*sub;
	char		*tok = NULL;
	long long	 now;
	unsigned	 bit;
	int		 rc = 1;

	memset(&s, 0, sizeof(s));
	memset(&cli, 0, sizeof(cli));
	cli.prog = prog;
	cli.usage = usage;
	cli.opts = opts;
	cli.fn = token_opt;
	cli.ud = &t;
	if ((rc = hc_cli_parse(&cli, argc, argv)) != HC_CLI_GO)
		return rc;
	rc = 1;
	if (t.role == NULL) {
		fprintf(stderr, "%s: --role is required\n", prog);
		usage(stderr);
		return 2;
	}
	if (hc_role_parse(t.role, &bit) == -1) {
		fprintf(stderr, "%s: --role: unknown role \"%s\" (user, admin, owner or instance)\n",
		    prog, t.role);
		return 2;
	}
	sub = t.sub != NULL ? t.sub : hc_role_name(bit);
	if (*sub == '\0' || strlen(sub) > SUB_MAX) {
		fprintf(stderr, "%s: --sub: must be 1 to %d bytes\n", prog, SUB_MAX);
		return 2;
	}

	/* --config or HEADCOUNT_CONFIG must exist; the default file is optional */
	if (hc_cli_settings(&cli, &s) != HC_CLI_GO)
		return 1;
	if (s.jwt_secret == NULL || *s.jwt_secret == '\0') {
		fprintf(stderr, "%s: HEADCOUNT_JWT_SECRET is empty (set it in the "
		    "environment or in %s); the servers refuse every token until it is set\n",
		    prog, cli.config != NULL ? cli.config : hc_settings_default_path());
		goto out;
	}
	now = (long long)time(NULL);
	if ((tok = hc_jwt_sign(s.jwt_secret, sub, t.role, now, now + t.ttl)) == NULL) {
		fprintf(stderr, "%s: signing failed (out of memory?)\n", prog);
		goto out;
	}
	if (printf("%s\n", tok) < 0 || fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: write to stdout: %s\n", prog, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(tok);
	hc_settings_free(&s);	/* zeroed when the load failed */
	return rc;
}
