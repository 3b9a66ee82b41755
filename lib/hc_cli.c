/* hc_cli: the one command-line and settings loader of the servers, the agent and headcount-token. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hc_settings.h"

#define HC_CLI_MAXOPT	32

/* keys of the common options (the programs' own are > 255) */
enum {
	HC_K_CONFIG = 'c', HC_K_HELP = 'h', HC_K_VERSION = 'V', HC_K_LISTEN = 'l',
	HC_K_WORKERS = 'w', HC_K_MODE = 'm', HC_K_OWNER = 'o', HC_K_USER = 'u',
	HC_K_PRINT = 'P'
};

int
hc_cli_long(const struct hc_cli *cli, const char *opt, const char *v, int base,
    long lo, long hi, long *out)
{
	char	*end;
	long	 l;

	errno = 0;
	l = strtol(v, &end, base);
	if (*v == '\0' || *v == ' ' || *v == '-' || *v == '+' || *end != '\0' ||
	    errno != 0 || l < lo || l > hi) {
		fprintf(stderr, "%s: %s: not a number in [%ld, %ld]: \"%s\"\n", cli->prog,
		    opt, lo, hi, v);
		return -1;
	}
	*out = l;
	return 0;
}

static void
hc_cli_add(struct option *lo, size_t *n, const char *name, int has_arg, int key)
{
	lo[*n].name = name;
	lo[*n].has_arg = has_arg ? required_argument : no_argument;
	lo[*n].flag = NULL;
	lo[*n].val = key;
	(*n)++;
}

static int
hc_cli_usage_error(const struct hc_cli *cli)
{
	if (cli->usage != NULL)
		cli->usage(stderr);
	return 2;
}

/*
 * Two workers per online CPU, at least 2 (a slow request is handed over
 * to a sibling), at most 64: measured over live, flag reads and
 * heartbeats with lists (tests/bench/bench-mixes.sh): on 2 cores 4 and 8
 * workers served each mix within 10 % of each other and 2 fell behind
 * with lists; one worker waits on Redis or a socket while its sibling
 * keeps the core busy.
 */
long
hc_cli_default_workers(void)
{
	long	 n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return n > 32 ? 64 : 2 * n;
}

int
hc_cli_parse(struct hc_cli *cli, int argc, char **argv)
{
	struct option	 lo[HC_CLI_MAXOPT + 1];
	const struct hc_cli_opt *o;
	size_t		 n = 0;
	const char	*env;
	int		 ch;

	cli->config = NULL;
	cli->user = NULL;
	cli->print = 0;
	cli->listen = NULL;
	cli->workers = hc_cli_default_workers();
	cli->socket_mode = 0660;
	cli->socket_owner = NULL;
	memset(lo, 0, sizeof(lo));
	hc_cli_add(lo, &n, "config", 1, HC_K_CONFIG);
	hc_cli_add(lo, &n, "help", 0, HC_K_HELP);
	hc_cli_add(lo, &n, "version", 0, HC_K_VERSION);
	if (cli->flags & HC_CLI_PRINT)
		hc_cli_add(lo, &n, "print-settings", 0, HC_K_PRINT);
	if (cli->flags & HC_CLI_USER)
		hc_cli_add(lo, &n, "user", 1, HC_K_USER);
	if (cli->flags & HC_CLI_SERVER) {
		hc_cli_add(lo, &n, "listen", 1, HC_K_LISTEN);
		hc_cli_add(lo, &n, "workers", 1, HC_K_WORKERS);
		hc_cli_add(lo, &n, "socket-mode", 1, HC_K_MODE);
		hc_cli_add(lo, &n, "socket-owner", 1, HC_K_OWNER);
	}
	for (o = cli->opts; o != NULL && o->name != NULL && n < HC_CLI_MAXOPT; o++)
		hc_cli_add(lo, &n, o->name, o->has_arg, o->key);

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:hV", lo, NULL)) != -1) {
		switch (ch) {
		case HC_K_CONFIG:
			cli->config = optarg;
			break;
		case HC_K_HELP:
			if (cli->usage != NULL)
				cli->usage(stdout);
			return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
		case HC_K_VERSION:
			printf("%s %s\n", cli->prog, PACKAGE_VERSION);
			return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
		case HC_K_PRINT:
			cli->print = 1;
			break;
		case HC_K_USER:
			if (*optarg == '\0' || *optarg == ':') {
				fprintf(stderr, "%s: --user: expected USER[:GROUP]\n", cli->prog);
				return 2;
			}
			cli->user = optarg;
			break;
		case HC_K_LISTEN:
			cli->listen = optarg;
			break;
		case HC_K_WORKERS:
			if (hc_cli_long(cli, "--workers", optarg, 10, 1, 1024, &cli->workers) == -1)
				return 2;
			break;
		case HC_K_MODE:
			if (hc_cli_long(cli, "--socket-mode", optarg, 8, 0, 07777,
			    &cli->socket_mode) == -1)
				return 2;
			break;
		case HC_K_OWNER:
			cli->socket_owner = optarg;
			break;
		default:
			if (ch > 255 && cli->fn != NULL) {
				if (cli->fn(ch, optarg, cli->ud) == -1)
					return 2;
				break;
			}
			/* getopt has said what was wrong */
			return hc_cli_usage_error(cli);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", cli->prog, argv[optind]);
		return hc_cli_usage_error(cli);
	}
	/* the environment names the file when the command line does not */
	if (cli->config == NULL && (env = getenv("HEADCOUNT_CONFIG")) != NULL && *env != '\0')
		cli->config = env;
	return HC_CLI_GO;
}

int
hc_cli_settings(struct hc_cli *cli, struct hc_settings *s)
{
	char	 err[512];
	int	 rc;

	memset(s, 0, sizeof(*s));
	if (hc_settings_load(s, cli->config != NULL ? cli->config : hc_settings_default_path(),
	    cli->config != NULL, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", cli->prog, err);
		return 2;
	}
	if (cli->print) {
		rc = hc_settings_print(s, stdout) == 0 && fflush(stdout) == 0 ? 0 : 1;
		hc_settings_free(s);
		return rc;
	}
	return HC_CLI_GO;
}
