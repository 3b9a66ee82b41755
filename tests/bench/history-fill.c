/* history-fill: loads N per-minute samples into DIR/history.db in one transaction (bench-history.sh). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hc_history.h"
#include "hc_time.h"

/* usage: history-fill DIR ROWS [END_EPOCH]: ROWS samples, one a minute, the last before END. */
int
main(int argc, char **argv)
{
	struct hc_history *h;
	struct hc_sample s;
	char		 err[512], *end;
	long long	 rows, last, t, i, since = 0;
	double		 t0;
	enum hc_err	 e;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: history-fill DIR ROWS [END_EPOCH]\n");
		return 2;
	}
	errno = 0;
	rows = strtoll(argv[2], &end, 10);
	if (*end != '\0' || errno != 0 || rows < 1) {
		fprintf(stderr, "history-fill: ROWS: not a positive number\n");
		return 2;
	}
	last = argc == 4 ? strtoll(argv[3], NULL, 10) : (long long)time(NULL);
	last -= last % 60;
	if ((h = hc_history_open(argv[1], 0, &e, err, sizeof(err))) == NULL) {
		fprintf(stderr, "history-fill: %s\n", err);
		return 1;
	}
	t0 = hc_time_mono_ms();
	if (hc_history_begin(h) != HC_OK)
		goto fail;
	for (i = 0; i < rows; i++) {
		t = last - (rows - 1 - i) * 60;
		memset(&s, 0, sizeof(s));
		s.t = t;
		s.desired = 3;
		snprintf(s.source, sizeof(s.source), "env");
		/* Twenty minutes under-replicated every day at 04:00, else healthy. */
		if (t % 86400 >= 4 * 3600 && t % 86400 < 4 * 3600 + 1200) {
			if (since == 0)
				since = t - 5;
			s.active = 2;
			s.stale = 1;
			s.mismatch_since = since;
			snprintf(s.status, sizeof(s.status), "under_replicated");
		} else {
			since = 0;
			s.active = 3;
			snprintf(s.status, sizeof(s.status), "healthy");
		}
		if (hc_history_insert(h, &s, NULL) != HC_OK)
			goto fail;
	}
	if (hc_history_commit(h) != HC_OK || hc_history_checkpoint(h) != HC_OK)
		goto fail;
	printf("loaded %lld samples in %.0f ms\n", rows, hc_time_mono_ms() - t0);
	hc_history_close(h);
	return 0;
fail:
	fprintf(stderr, "history-fill: %s\n", hc_history_errstr(h));
	hc_history_close(h);
	return 1;
}
