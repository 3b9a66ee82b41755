/* headcount-token: mints an HS256 bearer token with the configured secret, for operators and scripts. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	    "  --config FILE  settings file to read (then it must exist)\n"
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

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "sub", required_argument, NULL, 's' },
		{ "ttl", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct hc_settings s;
	const char	*role = NULL, *sub = NULL, *config = NULL;
	char		 err[512], *tok = NULL;
	long long	 ttl = TTL_DEFAULT, now;
	unsigned	 bit;
	int		 ch, rc = 1;

	memset(&s, 0, sizeof(s));
	while ((ch = getopt_long(argc, argv, "r:s:t:c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			role = optarg;
			break;
		case 's':
			sub = optarg;
			break;
		case 't':
			if (parse_ttl(optarg, &ttl) == -1) {
				fprintf(stderr, "%s: --ttl: not an integer in [1, %lld]: \"%s\"\n",
				    prog, TTL_MAX, optarg);
				return 2;
			}
			break;
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage(stdout);
			return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
		case 'V':
			printf("%s %s\n", prog, PACKAGE_VERSION);
			return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
		default:
			/* getopt has said what was wrong */
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", prog, argv[optind]);
		usage(stderr);
		return 2;
	}
	if (role == NULL) {
		fprintf(stderr, "%s: --role is required\n", prog);
		usage(stderr);
		return 2;
	}
	if (hc_jwt_role_parse(role, &bit) == -1) {
		fprintf(stderr, "%s: --role: unknown role \"%s\" (user, admin, owner or instance)\n",
		    prog, role);
		return 2;
	}
	if (sub == NULL)
		sub = hc_jwt_role_name(bit);
	if (*sub == '\0' || strlen(sub) > SUB_MAX) {
		fprintf(stderr, "%s: --sub: must be 1 to %d bytes\n", prog, SUB_MAX);
		return 2;
	}

	/* the default file is optional; one named on the command line is not */
	if (hc_settings_load(&s, config != NULL ? config : hc_settings_default_path(),
	    config != NULL, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", prog, err);
		goto out;
	}
	if (s.jwt_secret == NULL || *s.jwt_secret == '\0') {
		fprintf(stderr, "%s: HEADCOUNT_JWT_SECRET is empty (set it in the "
		    "environment or in %s); the servers refuse every token until it is set\n",
		    prog, config != NULL ? config : hc_settings_default_path());
		goto out;
	}
	now = (long long)time(NULL);
	if ((tok = hc_jwt_sign(s.jwt_secret, sub, role, now, now + ttl)) == NULL) {
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
