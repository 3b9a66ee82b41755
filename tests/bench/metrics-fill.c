/* metrics-fill: fills a metrics segment with synthetic series and times renders (for bench-metrics.sh). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hc_buf.h"
#include "hc_metrics.h"

static long
arg(const char *s, long hi)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 0 || v > hi) {
		fprintf(stderr, "metrics-fill: not a number in [0, %ld]: %s\n", hi, s);
		exit(2);
	}
	return v;
}

static int
cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * metrics-fill PATH COUNTERS HISTOGRAMS [RENDERS [RECORDS]]: records
 * requests so that program "bench" owns COUNTERS http_requests_total
 * series over HISTOGRAMS routes (each a histogram series), then renders
 * RENDERS times and prints the median render time and the text size,
 * then times RECORDS requests recorded as the process model does (busy,
 * request, idle) on existing series and prints the cost of one.
 */
int
main(int argc, char **argv)
{
	static const int codes[] = { 200, 201, 204, 400, 401, 403, 404, 409, 500, 503 };
	char	 err[256], route[64];
	double	*t, t0;
	long	 nc, nh, nr, nrec, i;
	size_t	 len = 0;
	char	*text;

	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: metrics-fill PATH COUNTERS HISTOGRAMS [RENDERS [RECORDS]]\n");
		return 2;
	}
	nc = arg(argv[2], HC_METRICS_SERIES);
	nh = arg(argv[3], HC_METRICS_SERIES);
	nr = argc >= 5 ? arg(argv[4], 100000) : 0;
	nrec = argc == 6 ? arg(argv[5], 100000000) : 0;
	if (nh == 0 && nc > 0)
		nh = 1;
	if (hc_metrics_open(argv[1], "bench", err, sizeof(err)) == -1) {
		fprintf(stderr, "metrics-fill: %s\n", err);
		return 1;
	}
	for (i = 0; i < nc || i < nh; i++) {
		snprintf(route, sizeof(route), "/bench/r%ld/{id}", i % nh);
		hc_metrics_request(i % 3 ? "GET" : "POST", route,
		    codes[(i / nh) % 10], (double)(i % 1000) / 1e4);
	}
	if (nr > 0) {
		if ((t = calloc((size_t)nr, sizeof(*t))) == NULL)
			return 1;
		for (i = 0; i < nr; i++) {
			t0 = now_ms();
			struct hc_buf b = HC_BUF_INIT;

			if (hc_metrics_render(&b) != HC_OK ||
			    (text = hc_buf_take(&b, &len)) == NULL)
				return 1;
			t[i] = now_ms() - t0;
			free(text);
		}
		qsort(t, (size_t)nr, sizeof(*t), cmp);
		printf("render_ms_median %.3f\nrender_bytes %zu\n", t[nr / 2], len);
		free(t);
	}
	if (nrec > 0) {
		hc_metrics_worker_start();
		t0 = now_ms();
		for (i = 0; i < nrec; i++) {
			hc_metrics_worker_busy(1);
			hc_metrics_request("GET", "/api/v1/flags/{name}", 200, 0.0003);
			hc_metrics_worker_busy(0);
		}
		printf("record_ns %.1f\n", (now_ms() - t0) * 1e6 / (double)nrec);
	}
	hc_metrics_close();
	return 0;
}
