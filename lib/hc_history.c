/* hc_history: opens, creates and writes this node's history file (samples, rollups, mismatch periods). */
/* Copyright (c) 2026 the headcount authors; ISC license, see COPYING. */
#include "config.h"
#include "hc_history.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "hc_history_int.h"

static const char hc_history_schema[] =
	"CREATE TABLE IF NOT EXISTS samples ("
	" t INTEGER PRIMARY KEY,"		/* the rowid: range reads by time */
	" desired INTEGER,"			/* NULL when unknown */
	" source TEXT NOT NULL,"
	" active INTEGER NOT NULL,"
	" stale INTEGER NOT NULL,"
	" status TEXT NOT NULL,"
	" self_preservation INTEGER NOT NULL,"
	" mismatch_since INTEGER);"		/* NULL when none */
	"CREATE TABLE IF NOT EXISTS rollup ("
	" step INTEGER NOT NULL, t INTEGER NOT NULL,"
	" samples INTEGER NOT NULL, desired INTEGER, desired_t INTEGER NOT NULL,"
	" active_min INTEGER NOT NULL, active_max INTEGER NOT NULL,"
	" active_sum INTEGER NOT NULL, stale_max INTEGER NOT NULL,"
	" PRIMARY KEY (step, t)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS mismatches ("
	" since INTEGER PRIMARY KEY, first_t INTEGER NOT NULL, last_t INTEGER NOT NULL,"
	" desired INTEGER, active_min INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS mismatches_last ON mismatches (last_t);"
	"PRAGMA user_version = 1;";

static const char *const hc_history_sql[HC_HQ_MAX] = {
	/* HC_HQ_INSERT */
	"INSERT OR IGNORE INTO samples (t, desired, source, active, stale, status,"
	" self_preservation, mismatch_since) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* HC_HQ_ROLLUP: ?1 step, ?2 bucket t, ?3 desired, ?4 sample t, ?5 active, ?6 stale */
	"INSERT INTO rollup (step, t, samples, desired, desired_t, active_min,"
	" active_max, active_sum, stale_max) VALUES (?1, ?2, 1, ?3, ?4, ?5, ?5, ?5, ?6)"
	" ON CONFLICT (step, t) DO UPDATE SET samples = samples + 1,"
	" desired = CASE WHEN excluded.desired_t > desired_t THEN excluded.desired ELSE desired END,"
	" desired_t = max(desired_t, excluded.desired_t),"
	" active_min = min(active_min, excluded.active_min),"
	" active_max = max(active_max, excluded.active_max),"
	" active_sum = active_sum + excluded.active_sum,"
	" stale_max = max(stale_max, excluded.stale_max)",
	/* HC_HQ_MISMATCH: ?1 since, ?2 sample t, ?3 desired, ?4 active */
	"INSERT INTO mismatches (since, first_t, last_t, desired, active_min)"
	" VALUES (?1, ?2, ?2, ?3, ?4)"
	" ON CONFLICT (since) DO UPDATE SET"
	" desired = CASE WHEN excluded.last_t > last_t THEN excluded.desired ELSE desired END,"
	" first_t = min(first_t, excluded.first_t),"
	" last_t = max(last_t, excluded.last_t),"
	" active_min = min(active_min, excluded.active_min)",
	/* HC_HQ_LAST */
	"SELECT max(t) FROM samples",
	/* HC_HQ_RAW: ?1 from, ?2 to */
	"SELECT t, 1, desired, active, active, active, stale FROM samples"
	" WHERE t >= ?1 AND t < ?2 ORDER BY t",
	/* HC_HQ_ROLLED: ?1 rollup step, ?2 from, ?3 to */
	"SELECT t, samples, desired, active_min, active_max, active_sum, stale_max"
	" FROM rollup WHERE step = ?1 AND t >= ?2 AND t < ?3 ORDER BY t",
	/* HC_HQ_PERIODS: ?1 from, ?2 to */
	"SELECT since, last_t, desired, active_min FROM mismatches"
	" WHERE last_t >= ?1 AND since < ?2 ORDER BY since",
	/* HC_HQ_NEXT: the first sample after ?1 */
	"SELECT t FROM samples WHERE t > ?1 ORDER BY t LIMIT 1",
};

void
hc_history_seterr(struct hc_history *h, const char *what)
{
	snprintf(h->errstr, sizeof(h->errstr), "%s(%.200s): %.200s", what, h->path,
	    h->db != NULL ? sqlite3_errmsg(h->db) : "out of memory");
}

const char *
hc_history_errstr(const struct hc_history *h)
{
	return h != NULL ? h->errstr : "no history handle";
}

sqlite3_stmt *
hc_history_stmt(struct hc_history *h, enum hc_hq q)
{
	if (h->stmt[q] == NULL &&
	    sqlite3_prepare_v3(h->db, hc_history_sql[q], -1, SQLITE_PREPARE_PERSISTENT,
	    &h->stmt[q], NULL) != SQLITE_OK) {
		hc_history_seterr(h, "prepare");
		return NULL;
	}
	sqlite3_reset(h->stmt[q]);
	sqlite3_clear_bindings(h->stmt[q]);
	return h->stmt[q];
}

const char *
hc_history_query_text(enum hc_hq q)
{
	return hc_history_sql[q];
}

/* Not a database, or a damaged one: the agent moves it aside. */
static int
hc_history_is_corrupt(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT;
}

static int
hc_history_exec(struct hc_history *h, const char *sql, const char *what)
{
	int	 rc;

	if ((rc = sqlite3_exec(h->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		hc_history_seterr(h, what);
	return rc;
}

/* PRAGMA quick_check: SQLITE_OK, SQLITE_CORRUPT when it finds damage, or the failure. */
static int
hc_history_check(struct hc_history *h)
{
	sqlite3_stmt	*st = NULL;
	const char	*res;
	int		 rc;

	if ((rc = sqlite3_prepare_v2(h->db, "PRAGMA quick_check(1)", -1, &st, NULL)) != SQLITE_OK) {
		hc_history_seterr(h, "quick_check");
		return rc;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		res = (const char *)sqlite3_column_text(st, 0);
		if (res != NULL && strcmp(res, "ok") == 0)
			rc = SQLITE_OK;
		else {
			snprintf(h->errstr, sizeof(h->errstr), "quick_check(%.200s): %.200s",
			    h->path, res ? res : "no answer");
			rc = SQLITE_CORRUPT;
		}
	} else
		hc_history_seterr(h, "quick_check");
	sqlite3_finalize(st);
	return rc;
}

struct hc_history *
hc_history_open(const char *dir, int flags, enum hc_err *err, char *errstr, size_t errlen)
{
	struct hc_history *h;
	int		 rc, oflags;

	*err = HC_ERR_NOMEM;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(errstr, errlen, "out of memory");
		return NULL;
	}
	if ((size_t)snprintf(h->path, sizeof(h->path), "%s/%s", dir, HC_HISTORY_FILE) >=
	    sizeof(h->path)) {
		*err = HC_ERR_INVALID;
		snprintf(errstr, errlen, "HEADCOUNT_DATA_DIR: path too long");
		goto fail;
	}
	h->rdonly = (flags & HC_HISTORY_RDONLY) != 0;
	if (h->rdonly && access(h->path, F_OK) == -1) {
		*err = errno == ENOENT ? HC_ERR_NOTFOUND : HC_ERR_SQLITE;
		snprintf(errstr, errlen, "%s: %s", h->path, strerror(errno));
		goto fail;
	}
	oflags = (h->rdonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
	*err = HC_ERR_SQLITE;
	if ((rc = sqlite3_open_v2(h->path, &h->db, oflags, NULL)) != SQLITE_OK) {
		hc_history_seterr(h, "sqlite3_open");
		goto failrc;
	}
	sqlite3_extended_result_codes(h->db, 1);
	/* Readers wait briefly for a checkpoint; the agent's writes never wait on them (WAL). */
	sqlite3_busy_timeout(h->db, h->rdonly ? 500 : 2000);
	if (h->rdonly) {
		/* The first read tells a file that is not a database. */
		if ((rc = hc_history_exec(h, "SELECT count(*) FROM sqlite_master",
		    "read")) != SQLITE_OK)
			goto failrc;
	} else {
		/*
		 * The agent closes the file between samples; a checkpoint at
		 * every close would cost two fsyncs an interval.  The WAL is
		 * checkpointed when it reaches 1000 pages instead.
		 */
		sqlite3_db_config(h->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
		if ((rc = hc_history_exec(h, "PRAGMA journal_mode = WAL", "journal_mode")) != SQLITE_OK ||
		    (rc = hc_history_exec(h, "PRAGMA synchronous = NORMAL", "synchronous")) != SQLITE_OK ||
		    (rc = hc_history_exec(h, "PRAGMA journal_size_limit = 4194304",
		    "journal_size_limit")) != SQLITE_OK)
			goto failrc;
		if ((flags & HC_HISTORY_CHECK) && (rc = hc_history_check(h)) != SQLITE_OK)
			goto failrc;
		if ((rc = hc_history_exec(h, hc_history_schema, "schema")) != SQLITE_OK)
			goto failrc;
	}
	*err = HC_OK;
	return h;
failrc:
	if (hc_history_is_corrupt(rc))
		*err = HC_ERR_PARSE;
	snprintf(errstr, errlen, "%s", h->errstr);
fail:
	hc_history_close(h);
	return NULL;
}

void
hc_history_close(struct hc_history *h)
{
	size_t	 i;

	if (h == NULL)
		return;
	for (i = 0; i < HC_HQ_MAX; i++)
		sqlite3_finalize(h->stmt[i]);
	sqlite3_close(h->db);
	free(h);
}

int
hc_history_quarantine(const char *dir, char *moved_to, size_t movedlen,
    char *errstr, size_t errlen)
{
	static const char *const side[] = { "-wal", "-shm" };
	char		 from[4096], to[4160], when[32];
	time_t		 now = time(NULL);
	struct tm	 tm;
	size_t		 i;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(from, sizeof(from), "%s/%s", dir, HC_HISTORY_FILE);
	snprintf(to, sizeof(to), "%s.corrupt-%s", from, when);
	if (rename(from, to) == -1) {
		snprintf(errstr, errlen, "rename(%s, %s): %s", from, to, strerror(errno));
		return -1;
	}
	snprintf(moved_to, movedlen, "%s", to);
	/* The journal files belong to the damaged file: keep them beside it. */
	for (i = 0; i < sizeof(side) / sizeof(side[0]); i++) {
		char	 f[4160], t[4224];

		snprintf(f, sizeof(f), "%s%s", from, side[i]);
		snprintf(t, sizeof(t), "%s%s", to, side[i]);
		if (rename(f, t) == -1 && errno != ENOENT)
			(void)unlink(f);
	}
	return 0;
}

enum hc_err
hc_history_begin(struct hc_history *h)
{
	return hc_history_exec(h, "BEGIN IMMEDIATE", "BEGIN") == SQLITE_OK ? HC_OK : HC_ERR_SQLITE;
}

enum hc_err
hc_history_commit(struct hc_history *h)
{
	if (hc_history_exec(h, "COMMIT", "COMMIT") != SQLITE_OK) {
		hc_history_rollback(h);
		return HC_ERR_SQLITE;
	}
	return HC_OK;
}

void
hc_history_rollback(struct hc_history *h)
{
	if (!sqlite3_get_autocommit(h->db))
		(void)sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
}

static void
hc_bind_long(sqlite3_stmt *st, int i, long v)
{
	if (v < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

static int
hc_history_done(struct hc_history *h, sqlite3_stmt *st, const char *what)
{
	int	 rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		hc_history_seterr(h, what);
		return -1;
	}
	return 0;
}

static int
hc_history_rollup(struct hc_history *h, const struct hc_sample *s, long step)
{
	sqlite3_stmt	*st;

	if ((st = hc_history_stmt(h, HC_HQ_ROLLUP)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, step);
	sqlite3_bind_int64(st, 2, s->t - (s->t % step));
	hc_bind_long(st, 3, s->desired);
	sqlite3_bind_int64(st, 4, s->t);
	sqlite3_bind_int64(st, 5, s->active);
	sqlite3_bind_int64(st, 6, s->stale);
	return hc_history_done(h, st, "INSERT rollup");
}

enum hc_err
hc_history_insert(struct hc_history *h, const struct hc_sample *s, int *inserted)
{
	sqlite3_stmt	*st;
	int		 own, isnew = 0;

	if (inserted != NULL)
		*inserted = 0;
	/* Inside the caller's transaction, or one of our own. */
	own = sqlite3_get_autocommit(h->db);
	if (own && hc_history_begin(h) != HC_OK)
		return HC_ERR_SQLITE;
	if ((st = hc_history_stmt(h, HC_HQ_INSERT)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, s->t);
	hc_bind_long(st, 2, s->desired);
	sqlite3_bind_text(st, 3, s->source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, s->active);
	sqlite3_bind_int64(st, 5, s->stale);
	sqlite3_bind_text(st, 6, s->status, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, s->self_preservation != 0);
	if (s->mismatch_since > 0)
		sqlite3_bind_int64(st, 8, s->mismatch_since);
	else
		sqlite3_bind_null(st, 8);
	if (hc_history_done(h, st, "INSERT samples") == -1)
		goto fail;
	isnew = sqlite3_changes(h->db) == 1;
	if (isnew && (hc_history_rollup(h, s, 3600) == -1 ||
	    hc_history_rollup(h, s, 86400) == -1))
		goto fail;
	if (isnew && s->mismatch_since > 0) {
		if ((st = hc_history_stmt(h, HC_HQ_MISMATCH)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, s->mismatch_since);
		sqlite3_bind_int64(st, 2, s->t);
		hc_bind_long(st, 3, s->desired);
		sqlite3_bind_int64(st, 4, s->active);
		if (hc_history_done(h, st, "INSERT mismatches") == -1)
			goto fail;
	}
	if (own && hc_history_commit(h) != HC_OK)
		return HC_ERR_SQLITE;
	if (inserted != NULL)
		*inserted = isnew;
	return HC_OK;
fail:
	if (own)
		hc_history_rollback(h);
	return HC_ERR_SQLITE;
}

enum hc_err
hc_history_last(struct hc_history *h, long long *t)
{
	sqlite3_stmt	*st;
	int		 rc;

	*t = 0;
	if ((st = hc_history_stmt(h, HC_HQ_LAST)) == NULL)
		return HC_ERR_SQLITE;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*t = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		hc_history_seterr(h, "SELECT max(t)");
		return HC_ERR_SQLITE;
	}
	return HC_OK;
}

enum hc_err
hc_history_prune(struct hc_history *h, long long cutoff, long *deleted)
{
	static const char *const del[] = {
		"DELETE FROM samples WHERE t < ?1",
		"DELETE FROM rollup WHERE step = 3600 AND t < ?1",
		"DELETE FROM rollup WHERE step = 86400 AND t < ?1",
		"DELETE FROM mismatches WHERE last_t < ?1",
	};
	sqlite3_stmt	*st = NULL;
	size_t		 i;
	long		 n = 0;

	if (deleted != NULL)
		*deleted = 0;
	cutoff -= cutoff % 86400;
	if (hc_history_begin(h) != HC_OK)
		return HC_ERR_SQLITE;
	for (i = 0; i < sizeof(del) / sizeof(del[0]); i++) {
		if (sqlite3_prepare_v2(h->db, del[i], -1, &st, NULL) != SQLITE_OK) {
			hc_history_seterr(h, "prepare DELETE");
			goto fail;
		}
		sqlite3_bind_int64(st, 1, cutoff);
		if (sqlite3_step(st) != SQLITE_DONE) {
			hc_history_seterr(h, "DELETE");
			goto fail;
		}
		if (i == 0)
			n = (long)sqlite3_changes(h->db);
		sqlite3_finalize(st);
		st = NULL;
	}
	if (hc_history_commit(h) != HC_OK)
		return HC_ERR_SQLITE;
	if (deleted != NULL)
		*deleted = n;
	return HC_OK;
fail:
	sqlite3_finalize(st);
	hc_history_rollback(h);
	return HC_ERR_SQLITE;
}

enum hc_err
hc_history_checkpoint(struct hc_history *h)
{
	return hc_history_exec(h, "PRAGMA wal_checkpoint(TRUNCATE)", "wal_checkpoint") ==
	    SQLITE_OK ? HC_OK : HC_ERR_SQLITE;
}
