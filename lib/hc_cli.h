/* hc_cli: the one command-line and settings loader of the servers, the agent and headcount-token. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#ifndef HC_CLI_H
#define HC_CLI_H

#include <stdio.h>

struct hc_settings;

#define HC_CLI_SERVER	0x01u	/* --listen, --workers, --socket-mode, --socket-owner */
#define HC_CLI_USER	0x02u	/* --user USER[:GROUP] */
#define HC_CLI_PRINT	0x04u	/* --print-settings */

#define HC_CLI_GO	(-1)	/* hc_cli_parse/hc_cli_settings: carry on */

/* One option of the program's own (--check URL); key > 255, passed to the callback. */
struct hc_cli_opt {
	const char	*name;		/* without the dashes; NULL ends the table */
	int		 has_arg;	/* 0 or 1 */
	int		 key;
};

struct hc_cli {
	/* set by the program */
	const char	*prog;		/* "headcount-agent": messages, --version */
	unsigned	 flags;		/* HC_CLI_* */
	void		(*usage)(FILE *fp);
	const struct hc_cli_opt *opts;	/* NULL, or a table ending with name NULL */
	/* fn(key, optarg, ud): 0, or -1 after it printed why (exit 2) */
	int		(*fn)(int key, const char *arg, void *ud);
	void		*ud;
	/* filled by hc_cli_parse */
	const char	*config;	/* --config FILE, else HEADCOUNT_CONFIG, else NULL */
	const char	*user;		/* --user, or NULL */
	int		 print;		/* --print-settings */
	const char	*listen;	/* HC_CLI_SERVER: --listen, NULL inherits */
	long		 workers;	/* default 4 */
	long		 socket_mode;	/* default 0660 */
	const char	*socket_owner;	/* NULL: leave it to --user's owner (or root) */
};

/*
 * Parses argv: --config, --help, --version, the options of cli->flags
 * and cli->opts.  A settings file named by --config or HEADCOUNT_CONFIG
 * must exist; without either the default one is optional.  Returns
 * HC_CLI_GO, or the exit status main returns: 0 after --help/--version,
 * 2 after a usage error (said on stderr).
 */
int	 hc_cli_parse(struct hc_cli *cli, int argc, char **argv);

/* --workers when not given: 2 per online CPU, 2..64. */
long	 hc_cli_default_workers(void);

/*
 * Loads the settings the command line chose into s (the environment
 * wins over the file).  With --print-settings prints them and returns 0
 * (1 on a write error).  Returns HC_CLI_GO with s to free with
 * hc_settings_free, or 2 after one line on stderr naming the bad key.
 */
int	 hc_cli_settings(struct hc_cli *cli, struct hc_settings *s);

/* Strict number in [lo, hi] in base; 0, or -1 after saying "OPT: not a number..." on stderr. */
int	 hc_cli_long(const struct hc_cli *cli, const char *opt, const char *v, int base,
	    long lo, long hi, long *out);

#endif
