/* hc_history_int: the history handle and its prepared queries (private to hc_history*.c). */
#ifndef HC_HISTORY_INT_H
#define HC_HISTORY_INT_H

#include <sqlite3.h>

enum hc_hq {
	HC_HQ_INSERT,
	HC_HQ_ROLLUP,
	HC_HQ_MISMATCH,
	HC_HQ_LAST,
	HC_HQ_RAW,
	HC_HQ_ROLLED,
	HC_HQ_PERIODS,
	HC_HQ_NEXT,
	HC_HQ_MAX
};

struct hc_history {
	sqlite3		*db;
	sqlite3_stmt	*stmt[HC_HQ_MAX];	/* prepared on first use */
	int		 rdonly;
	char		 path[4096];
	char		 errstr[512];
};

/* Sets h->errstr to "what(path): sqlite's message". */
void		 hc_history_seterr(struct hc_history *h, const char *what);

/* The prepared, reset, unbound statement q; NULL (errstr set) on failure. */
sqlite3_stmt	*hc_history_stmt(struct hc_history *h, enum hc_hq q);

/* The SQL of q (for EXPLAIN QUERY PLAN). */
const char	*hc_history_query_text(enum hc_hq q);

#endif
