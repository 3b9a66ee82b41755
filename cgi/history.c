/* headcount-history: prints the history report of this node's file, as GET /api/v1/monitoring/history does. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "hc_history.h"
#include "hc_settings.h"

static void
history_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: headcount-history [--from TIME] [--to TIME] [--step SECONDS]\n"
	    "       [--format json|csv] [--data-dir DIR] [--config FILE] [--explain]\n"
	    "       [--help] [--version]\n"
	    "Prints the history report of HEADCOUNT_DATA_DIR/history.db, the same as\n"
	    "GET /api/v1/monitoring/history: TIME is RFC 3339 (2026-11-22T10:00:00Z);\n"
	    "defaults: the last 24 hours, step 300, json.  --explain prints the query\n"
	    "plans instead.  Exit 0 (an empty report when there is no file yet), 1 when\n"
	    "the file cannot be read, 2 on bad input.\n"
	    "Settings: %s, then the environment.\n", hc_settings_default_path());
}

static int
history_stdout(void *ud, const char *buf, size_t len)
{
	(void)ud;
	return fwrite(buf, 1, len, stdout) == len ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "step", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'F' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "explain", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct hc_settings	 s;
	struct hc_history_range	 r;
	struct hc_history	*h = NULL;
	const char		*from = NULL, *to = NULL, *step = NULL, *format = NULL;
	const char		*dir = NULL, *config = NULL;
	char			 err[512], why[256];
	json_object		*o;
	enum hc_err		 e;
	int			 ch, csv, explain = 0, rc = 1;

	while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1)
		switch (ch) {
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 's':
			step = optarg;
			break;
		case 'F':
			format = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'E':
			explain = 1;
			break;
		case 'h':
			history_usage(stdout);
			return 0;
		case 'V':
			printf("headcount-history %s\n", PACKAGE_VERSION);
			return 0;
		default:
			history_usage(stderr);
			return 2;
		}
	if (optind != argc) {
		history_usage(stderr);
		return 2;
	}
	if (hc_history_parse(from, to, step, format, (long long)time(NULL), &r, &csv,
	    why, sizeof(why)) == -1) {
		fprintf(stderr, "headcount-history: %s\n", why);
		return 2;
	}
	if (config == NULL && (config = getenv("HEADCOUNT_CONFIG")) != NULL && *config == '\0')
		config = NULL;
	if (hc_settings_load(&s, config ? config : hc_settings_default_path(),
	    config != NULL, err, sizeof(err)) == -1) {
		fprintf(stderr, "headcount-history: %s\n", err);
		return 2;
	}
	if ((h = hc_history_open(dir ? dir : s.data_dir, HC_HISTORY_RDONLY, &e, err,
	    sizeof(err))) == NULL) {
		if (e != HC_ERR_NOTFOUND) {
			fprintf(stderr, "headcount-history: %s\n", err);
			goto out;
		}
		/* As the API: no file yet is an empty history. */
		fprintf(stderr, "headcount-history: %s (headcount-agent writes it): "
		    "no samples\n", err);
		if (explain) {
			rc = 0;
			goto out;
		}
	}
	if (explain)
		e = hc_history_explain(h, &r, stdout);
	else if (csv)
		e = hc_history_report_csv(h, &r, history_stdout, NULL);
	else if ((o = hc_history_report_json(h, &r, &e)) != NULL) {
		if (puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) < 0)
			e = HC_ERR_IO;
		json_object_put(o);
	}
	if (e == HC_ERR_SQLITE)
		fprintf(stderr, "headcount-history: %s\n", hc_history_errstr(h));
	else if (e != HC_OK)
		fprintf(stderr, "headcount-history: %s\n", hc_strerror(e));
	else if (fflush(stdout) == 0)
		rc = 0;
out:
	hc_history_close(h);
	hc_settings_free(&s);
	return rc;
}
