/* test_history: hc_history against a real SQLite file: input rules, idempotent inserts, rollups, periods, CSV, plans. */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hc_history.h"
#include "hc_settings.h"
#include "hc_webhook.h"
#include "tap.h"

static const struct {
	const char	*from, *to, *step, *format;
	int		 ok;
	long long	 afrom, ato;	/* when ok */
	const char	*why;
} parse_cases[] = {
	{ "2026-11-22T10:00:00Z", "2026-11-22T12:00:00Z", "300", "json", 1, 1795341600, 1795348800, NULL },
	{ "2026-11-22T10:01:00Z", "2026-11-22T11:59:01Z", "300", NULL, 1, 1795341600, 1795348800, NULL },
	{ "2026-11-22T11:00:00+01:00", "2026-11-22T12:00:00Z", "3600", "csv", 1, 1795341600, 1795348800, NULL },
	{ "2026-11-22T10:00:00Z", "2026-11-22T10:00:00Z", "60", NULL, 1, 1795341600, 1795341600, NULL },
	{ "2026-11-22T12:00:00Z", "2026-11-22T10:00:00Z", NULL, NULL, 0, 0, 0, "from is after to" },
	{ "yesterday", NULL, NULL, NULL, 0, 0, 0, "from:" },
	{ NULL, "2026-13-40T99:99:99Z", NULL, NULL, 0, 0, 0, "to:" },
	{ NULL, NULL, "0", NULL, 0, 0, 0, "step:" },
	{ NULL, NULL, "-1", NULL, 0, 0, 0, "step:" },
	{ NULL, NULL, "1.5", NULL, 0, 0, 0, "step:" },
	{ NULL, NULL, " 5", NULL, 0, 0, 0, "step:" },
	{ NULL, NULL, "", NULL, 0, 0, 0, "step:" },
	{ NULL, NULL, "99999999999999999999", NULL, 0, 0, 0, "step:" },
	{ NULL, NULL, NULL, "xml", 0, 0, 0, "format:" },
	{ NULL, NULL, NULL, "JSON", 0, 0, 0, "format:" },
	/* 10,000 points is allowed, 10,001 is not */
	{ "2026-11-22T00:00:00Z", "2026-11-28T22:40:00Z", "60", NULL, 1, 1795305600, 1795905600, NULL },
	{ "2026-11-22T00:00:00Z", "2026-11-28T22:41:00Z", "60", NULL, 0, 0, 0, "10001 points" },
	{ "2026-11-22T00:00:00Z", "2026-11-28T22:40:01Z", "60", NULL, 0, 0, 0, "10001 points" },
};

static void
test_parse(void)
{
	struct hc_history_range	 r;
	char			 why[256];
	size_t			 i;
	int			 csv, rc;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		why[0] = '\0';
		rc = hc_history_parse(parse_cases[i].from, parse_cases[i].to,
		    parse_cases[i].step, parse_cases[i].format, 1795348800, &r, &csv,
		    why, sizeof(why));
		tap_is_int(rc, parse_cases[i].ok ? 0 : -1, "parse case %zu: %s", i,
		    parse_cases[i].ok ? "accepted" : "refused");
		if (parse_cases[i].ok && rc == 0) {
			tap_is_int(r.from, parse_cases[i].afrom, "case %zu: from aligned", i);
			tap_is_int(r.to, parse_cases[i].ato, "case %zu: to aligned", i);
		} else if (!parse_cases[i].ok)
			tap_ok(strstr(why, parse_cases[i].why) != NULL,
			    "case %zu: reason \"%s\" says \"%s\"", i, why, parse_cases[i].why);
	}
	rc = hc_history_parse(NULL, NULL, NULL, NULL, 1795348800, &r, &csv, why, sizeof(why));
	tap_ok(rc == 0 && r.step == 300 && r.to == 1795348800 && r.from == 1795348800 - 86400 &&
	    csv == 0, "defaults: the last 24 h, step 300, json");
}

static struct hc_sample
sample(long long t, long desired, long active, long long since)
{
	struct hc_sample s;

	memset(&s, 0, sizeof(s));
	s.t = t;
	s.desired = desired;
	s.active = active;
	s.stale = desired > active ? desired - active : 0;
	snprintf(s.source, sizeof(s.source), "env");
	snprintf(s.status, sizeof(s.status), "%s", since ? "under_replicated" : "healthy");
	s.mismatch_since = since;
	return s;
}

/* The report as a client reads it: its text, parsed again (points are rendered text). */
static json_object *
reparse(json_object *o)
{
	json_object	*r;

	if (o == NULL)
		return NULL;
	r = json_tokener_parse(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return r;
}

static int
count_point(void *ud, const struct hc_history_point *p)
{
	long	*n = ud;

	(void)p;
	(*n)++;
	return 0;
}

static int
csv_cat(void *ud, const char *buf, size_t len)
{
	FILE	*fp = ud;

	return fwrite(buf, 1, len, fp) == len ? 0 : -1;
}

static void
test_store(const char *dir)
{
	struct hc_history	*h;
	struct hc_history_range	 r;
	struct hc_sample	 s;
	json_object		*o, *pts, *per, *p;
	char			 err[512], *buf = NULL, why[128];
	size_t			 blen = 0;
	FILE			*fp;
	enum hc_err		 e;
	long long		 t0 = 1795305600, t, last;	/* 2026-11-22T00:00:00Z */
	long			 n = 0, dropped;
	int			 ins, i;

	h = hc_history_open(dir, HC_HISTORY_RDONLY, &e, err, sizeof(err));
	tap_ok(h == NULL && e == HC_ERR_NOTFOUND, "read-only open of a missing file: not found");
	h = hc_history_open(dir, HC_HISTORY_CHECK, &e, err, sizeof(err));
	if (!tap_ok(h != NULL, "open creates the file (%s)", h ? "ok" : err))
		return;
	/* Two hours of minutes: healthy, then under-replicated 00:30..00:45, then healthy. */
	tap_ok(hc_history_begin(h) == HC_OK, "begin");
	for (i = 0; i < 120; i++) {
		t = t0 + 60 * i;
		s = i >= 30 && i < 45 ? sample(t, 3, 2, t0 + 30 * 60 - 7) : sample(t, 3, 3, 0);
		if (hc_history_insert(h, &s, &ins) != HC_OK || !ins)
			break;
	}
	tap_is_int(i, 120, "120 samples inserted");
	tap_ok(hc_history_commit(h) == HC_OK, "commit");
	s = sample(t0, 9, 9, 0);
	tap_ok(hc_history_insert(h, &s, &ins) == HC_OK && ins == 0,
	    "the same interval again is ignored (idempotent)");
	tap_ok(hc_history_last(h, &last) == HC_OK && last == t0 + 119 * 60, "last sample's t");

	hc_history_range_make(t0, t0 + 7200, 60, t0 + 7200, &r, why, sizeof(why));
	tap_ok(hc_history_points(h, &r, count_point, &n) == HC_OK && n == 120,
	    "step 60: 120 points (%ld)", n);
	hc_history_range_make(t0, t0 + 7200, 3600, t0 + 7200, &r, why, sizeof(why));
	o = reparse(hc_history_report_json(h, &r, &e));
	tap_ok(o != NULL, "report at step 3600 (from the hourly rollup)");
	pts = o ? json_object_object_get(o, "points") : NULL;
	per = o ? json_object_object_get(o, "mismatch_periods") : NULL;
	tap_is_int(pts ? json_object_array_length(pts) : 0, 2, "two hourly points");
	p = pts ? json_object_array_get_idx(pts, 0) : NULL;
	tap_is_int(p ? json_object_get_int(json_object_object_get(p, "samples")) : 0, 60,
	    "first hour: 60 samples");
	tap_is_int(p ? json_object_get_int(json_object_object_get(p, "active_min")) : 0, 2,
	    "first hour: active_min 2");
	tap_is_str(p ? json_object_get_string(json_object_object_get(p, "active_avg")) : "",
	    "2.75", "first hour: active_avg (45*3+15*2)/60");
	tap_is_int(per ? json_object_array_length(per) : 0, 1, "one mismatch period");
	p = per ? json_object_array_get_idx(per, 0) : NULL;
	tap_is_str(p ? json_object_get_string(json_object_object_get(p, "start")) : "",
	    "2026-11-22T00:29:53Z", "period start: when the mismatch began");
	tap_is_str(p ? json_object_get_string(json_object_object_get(p, "end")) : "",
	    "2026-11-22T00:45:00Z", "period end: the first sample without it");
	tap_is_int(p ? json_object_get_int(json_object_object_get(p, "duration_seconds")) : 0,
	    907, "period duration");
	json_object_put(o);

	/* A mismatch that is still running: end null. */
	s = sample(t0 + 120 * 60, 3, 1, t0 + 120 * 60);
	hc_history_insert(h, &s, NULL);
	hc_history_range_make(t0, t0 + 3 * 3600, 300, t0 + 7300, &r, why, sizeof(why));
	o = reparse(hc_history_report_json(h, &r, &e));
	per = o ? json_object_object_get(o, "mismatch_periods") : NULL;
	p = per && json_object_array_length(per) == 2 ? json_object_array_get_idx(per, 1) : NULL;
	tap_ok(p != NULL && json_object_object_get_ex(p, "end", NULL) &&
	    json_object_object_get(p, "end") == NULL, "a running mismatch has end null");
	tap_is_int(p ? json_object_get_int(json_object_object_get(p, "duration_seconds")) : 0,
	    100, "a running mismatch lasts until now");
	json_object_put(o);

	fp = open_memstream(&buf, &blen);
	hc_history_range_make(t0, t0 + 600, 300, t0, &r, why, sizeof(why));
	tap_ok(fp != NULL && hc_history_report_csv(h, &r, csv_cat, fp) == HC_OK, "CSV report");
	if (fp != NULL)
		fclose(fp);
	tap_is_str(buf, "t,samples,desired,active_min,active_max,active_avg,stale_max\n"
	    "2026-11-22T00:00:00Z,5,3,3,3,3.0,0\n2026-11-22T00:05:00Z,5,3,3,3,3.0,0\n",
	    "CSV header and rows");
	free(buf);

	buf = NULL;
	fp = open_memstream(&buf, &blen);
	hc_history_range_make(t0, t0 + 86400, 60, t0, &r, why, sizeof(why));
	hc_history_explain(h, &r, fp);
	hc_history_range_make(t0, t0 + 365 * 86400LL, 3600, t0, &r, why, sizeof(why));
	hc_history_explain(h, &r, fp);
	fclose(fp);
	tap_ok(buf != NULL && strstr(buf, "plan: SEARCH") != NULL && strstr(buf, "plan: SCAN") == NULL,
	    "every report query reads an index range (no SCAN)");
	if (buf != NULL && strstr(buf, "plan: SCAN") != NULL)
		printf("# %s", buf);
	free(buf);

	tap_ok(hc_history_prune(h, t0 + 86400, &dropped) == HC_OK && dropped == 121,
	    "retention drops whole days (%ld)", dropped);
	n = 0;
	hc_history_range_make(t0, t0 + 7200, 3600, t0, &r, why, sizeof(why));
	hc_history_points(h, &r, count_point, &n);
	tap_is_int(n, 0, "and their rollups");
	hc_history_close(h);
}

struct chunks {
	size_t	 calls, bytes, largest;
};

static int
csv_count(void *ud, const char *buf, size_t len)
{
	struct chunks	*c = ud;

	(void)buf;
	c->calls++;
	c->bytes += len;
	if (len > c->largest)
		c->largest = len;
	return 0;
}

static int
csv_refuse(void *ud, const char *buf, size_t len)
{
	(void)ud;
	(void)buf;
	(void)len;
	return -1;
}

/* A large CSV goes out in chunks of about 16 KiB as it is read, never whole. */
static void
test_stream(const char *dir)
{
	struct hc_history	*h;
	struct hc_history_range	 r;
	struct hc_sample	 s;
	struct chunks		 c = { 0, 0, 0 };
	char			 err[512], why[128];
	enum hc_err		 e;
	long long		 t0 = 1795305600;
	int			 i;

	if ((h = hc_history_open(dir, 0, &e, err, sizeof(err))) == NULL) {
		tap_ok(0, "open for the streaming test: %s", err);
		return;
	}
	hc_history_begin(h);
	for (i = 0; i < 9000; i++) {
		s = sample(t0 + 60 * i, 3, 3, 0);
		hc_history_insert(h, &s, NULL);
	}
	hc_history_commit(h);
	hc_history_range_make(t0, t0 + 9000 * 60, 60, t0, &r, why, sizeof(why));
	tap_ok(hc_history_report_csv(h, &r, csv_count, &c) == HC_OK, "a 9,000-row CSV");
	tap_ok(c.calls >= 20 && c.largest <= 16384 + 256,
	    "streamed in %zu chunks of at most %zu bytes (%zu in all)", c.calls, c.largest, c.bytes);
	tap_ok(hc_history_report_csv(h, &r, csv_refuse, NULL) == HC_ERR_IO,
	    "a writer that fails stops the report (HC_ERR_IO)");
	hc_history_close(h);
}

static void
test_corrupt(const char *dir)
{
	char		 path[4096], moved[4200], err[512];
	struct hc_history *h;
	enum hc_err	 e;
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, HC_HISTORY_FILE);
	/* A damaged file alone: the journal files of the good one go first. */
	snprintf(moved, sizeof(moved), "%s-wal", path);
	unlink(moved);
	snprintf(moved, sizeof(moved), "%s-shm", path);
	unlink(moved);
	err[0] = '\0';
	fp = fopen(path, "w");
	fputs("this is not an SQLite database, just some text that is long enough to be "
	    "read as a header by SQLite and refused.............................\n", fp);
	fclose(fp);
	h = hc_history_open(dir, HC_HISTORY_CHECK, &e, err, sizeof(err));
	tap_ok(h == NULL && e == HC_ERR_PARSE, "a file that is not a database: corrupt (%s)", err);
	tap_ok(hc_history_quarantine(dir, moved, sizeof(moved), err, sizeof(err)) == 0 &&
	    access(moved, F_OK) == 0 && access(path, F_OK) == -1, "moved aside to %s", moved);
	h = hc_history_open(dir, 0, &e, err, sizeof(err));
	tap_ok(h != NULL, "a new file begins");
	hc_history_close(h);
	unlink(moved);
}

static void
test_sign(void)
{
	char	 sig[80], id1[33], id2[33], id3[33];

	/* RFC 4231 test case 2 */
	tap_ok(hc_webhook_sign("Jefe", "what do ya want for nothing?", 28, sig, sizeof(sig)) == 0,
	    "HMAC-SHA256");
	tap_is_str(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	    "RFC 4231 case 2");
	hc_webhook_delivery_id("mismatch_started", 1, "http://a/", id1);
	hc_webhook_delivery_id("mismatch_started", 1, "http://a/", id2);
	hc_webhook_delivery_id("mismatch_started", 1, "http://b/", id3);
	tap_ok(strcmp(id1, id2) == 0 && strcmp(id1, id3) != 0 && strlen(id1) == 32,
	    "delivery ids: stable per event and URL, distinct across URLs");
}

/* The history and webhook settings: defaults, and values refused at start. */
static const struct {
	const char	*key, *val;
} bad_settings[] = {
	{ "HEADCOUNT_HISTORY_INTERVAL", "0" },
	{ "HEADCOUNT_HISTORY_INTERVAL", "3601" },
	{ "HEADCOUNT_HISTORY_INTERVAL", "1m" },
	{ "HEADCOUNT_HISTORY_RETENTION_DAYS", "0" },
	{ "HEADCOUNT_HISTORY_STREAM_LEN", "5" },
	{ "HEADCOUNT_WEBHOOK_URLS", "hooks.slack.com/x" },
	{ "HEADCOUNT_WEBHOOK_URLS", "https://a.example/x,,https://b.example/" },
	{ "HEADCOUNT_WEBHOOK_URLS", "https://a.example/x, https://b.example/" },
	{ "HEADCOUNT_WEBHOOK_URLS", "ftp://a.example/" },
	{ "HEADCOUNT_WEBHOOK_URLS", "https://" },
	{ "HEADCOUNT_WEBHOOK_AFTER", "-1" },
	{ "HEADCOUNT_WEBHOOK_RETRY_SECONDS", "abc" },
};

static void
test_settings(void)
{
	struct hc_settings s;
	char	 err[256];
	size_t	 i;

	tap_ok(hc_settings_load(&s, NULL, 0, err, sizeof(err)) == 0 &&
	    s.history_interval == 60 && s.history_retention_days == 400 &&
	    s.history_stream_len == 10080 && strcmp(s.webhook_urls, "") == 0 &&
	    strcmp(s.webhook_secret, "") == 0 && s.webhook_after == 300 &&
	    s.webhook_retry_seconds == 3600, "history and webhook defaults");
	hc_settings_free(&s);
	setenv("HEADCOUNT_WEBHOOK_URLS", "https://hooks.slack.com/services/T/B/X,http://127.0.0.1:9/h?a=1", 1);
	tap_ok(hc_settings_load(&s, NULL, 0, err, sizeof(err)) == 0 &&
	    strstr(s.webhook_urls, ",http://127.0.0.1:9/h?a=1") != NULL, "two webhook URLs");
	hc_settings_free(&s);
	unsetenv("HEADCOUNT_WEBHOOK_URLS");
	for (i = 0; i < sizeof(bad_settings) / sizeof(bad_settings[0]); i++) {
		setenv(bad_settings[i].key, bad_settings[i].val, 1);
		err[0] = '\0';
		tap_ok(hc_settings_load(&s, NULL, 0, err, sizeof(err)) == -1 &&
		    strncmp(err, bad_settings[i].key, strlen(bad_settings[i].key)) == 0,
		    "%s=\"%s\" refused (%s)", bad_settings[i].key, bad_settings[i].val, err);
		unsetenv(bad_settings[i].key);
	}
}

/* The points' text as json-c writes it: desired null when unknown (and back), active_avg "2.5", "3.0". */
static void
test_point_text(void)
{
	static const long	 des[8] = { -1, -1, 3, 3, -1, -1, 10, 10 };
	static const long	 act[8] = { 2, 3, 3, 3, 1, 2, 10, 10 };
	char			 dir[] = "/tmp/test_history_pt.XXXXXX", err[512], why[128], cmd[160];
	struct hc_history	*h;
	struct hc_history_range	 r;
	struct hc_sample	 s;
	json_object		*o;
	const char		*txt;
	enum hc_err		 e;
	long long		 t0 = 1795305600;	/* 2026-11-22T00:00:00Z */
	int			 i, ins;

	if (mkdtemp(dir) == NULL)
		return;
	h = hc_history_open(dir, HC_HISTORY_CHECK, &e, err, sizeof(err));
	if (!tap_ok(h != NULL, "point text: a fresh file (%s)", h ? "ok" : err))
		return;
	tap_ok(hc_history_begin(h) == HC_OK, "point text: begin");
	for (i = 0; i < 8; i++) {
		s = sample(t0 + 60 * i, des[i], act[i], 0);
		if (hc_history_insert(h, &s, &ins) != HC_OK || !ins)
			break;
	}
	tap_ok(hc_history_commit(h) == HC_OK && i == 8, "point text: 8 samples");
	hc_history_range_make(t0, t0 + 480, 120, t0 + 480, &r, why, sizeof(why));
	o = hc_history_report_json(h, &r, &e);
	txt = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "";
	tap_ok(strstr(txt, "\"points\":["
	    "{\"t\":\"2026-11-22T00:00:00Z\",\"samples\":2,\"desired\":null,\"active_min\":2,"
	    "\"active_max\":3,\"active_avg\":2.5,\"stale_max\":0},"
	    "{\"t\":\"2026-11-22T00:02:00Z\",\"samples\":2,\"desired\":3,\"active_min\":3,"
	    "\"active_max\":3,\"active_avg\":3.0,\"stale_max\":0},"
	    "{\"t\":\"2026-11-22T00:04:00Z\",\"samples\":2,\"desired\":null,\"active_min\":1,"
	    "\"active_max\":2,\"active_avg\":1.5,\"stale_max\":0},"
	    "{\"t\":\"2026-11-22T00:06:00Z\",\"samples\":2,\"desired\":10,\"active_min\":10,"
	    "\"active_max\":10,\"active_avg\":10.0,\"stale_max\":0}],") != NULL,
	    "point text: keys in order, desired null and back, averages cut to \"2.5\", \"3.0\" (%s)", txt);
	json_object_put(o);
	hc_history_close(h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

int
main(void)
{
	char	 dir[] = "/tmp/test_history.XXXXXX";
	char	 cmd[128];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_parse();
	test_settings();
	test_store(dir);
	test_corrupt(dir);
	snprintf(cmd, sizeof(cmd), "rm -f '%s'/history.db*", dir);
	if (system(cmd) != 0)
		printf("# could not empty %s\n", dir);
	test_stream(dir);
	test_sign();
	test_point_text();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
