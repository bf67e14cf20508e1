/*
 * libdb: the SQLite side of the talkd audit trail.  Open and migrate the
 * database (schema/NNN-*.sql, embedded), ingest the journal exactly once
 * (schema/journal.md), and run the queries behind talkctl who-called,
 * history, audit and prune.  No exit(), no printing, no globals: errors fill
 * a struct db_err, rows and rejected journal lines go to callbacks.
 */
#ifndef TALKD_DB_H
#define TALKD_DB_H

#include <stddef.h>
#include <time.h>

#include "db/db_schema.h"

#define DB_DEFAULT_PATH		"/var/lib/talkd/talkd.db"
#define DB_DEFAULT_JOURNAL	"/var/lib/talkd/journal/journal"
#define DB_RECORD_MAX		1024	/* journal record, newline included */
#define DB_BATCH		1000	/* records per ingest transaction */

struct db;				/* opaque: one SQLite connection */
struct sqlite3;

struct db_err {
	char file[256];			/* schema file, journal, or "" */
	unsigned line, col;		/* 1-based; 0 when not known */
	char msg[256];
};

enum db_mode {
	DB_READ,			/* read only; the schema must be current */
	DB_WRITE			/* create (mode 0640) and migrate */
};

/* Returns 0, or -1 with *out == NULL and err filled. */
int	db_open(const char *path, enum db_mode, struct db **out, struct db_err *);
void	db_close(struct db *);		/* NULL is a no-op */
struct sqlite3 *db_sqlite(struct db *);	/* for tests and talkctl diagnostics */

/* Apply migrations[user_version .. n-1], one transaction each. */
int	db_migrate(struct db *, const struct db_migration *, size_t n,
	    struct db_err *);
int	db_schema_version(struct db *);	/* PRAGMA user_version, -1 on error */

/* ---- ingest ------------------------------------------------------------ */

struct db_ingest_stats {
	unsigned long files;		/* journal files read from */
	unsigned long records;		/* new events stored */
	unsigned long duplicates;	/* records already stored (run, seq) */
	unsigned long rejects;		/* corrupt lines skipped and recorded */
	unsigned long pending;		/* bytes of half-written last lines left */
};

/*
 * Called once per corrupt line, in order; path is the file's name now.
 * line 0: a remark about the whole file (it was truncated).
 */
typedef void db_reject_fn(void *arg, const char *path, unsigned long line,
    const char *reason);

/*
 * Ingest the journal at path: first the unread tails of rotated copies of
 * journals already known (siblings named path.1, path.0, path-*, path.*),
 * then path itself.  batch is the number of records per transaction (0:
 * DB_BATCH).  A missing path is not an error.  Returns 0 or -1.
 */
int	db_ingest(struct db *, const char *path, size_t batch, db_reject_fn *,
	    void *arg, struct db_ingest_stats *, struct db_err *);

/* ---- queries ----------------------------------------------------------- */

struct db_filter {
	const char *user;		/* who-called, history: NULL for all */
	int has_since, has_until;
	double since, until;		/* epoch seconds; since <= t < until */
	int json;			/* one column "json" per row */
};

/*
 * Called once with the column names (vals == NULL) and then once per row;
 * NULL values arrive as "".  Return non-zero to stop (the query then returns
 * that value).
 */
typedef int db_row_fn(void *arg, int ncol, const char *const *names,
    const char *const *vals);

int	db_who_called(struct db *, const struct db_filter *, db_row_fn *,
	    void *, struct db_err *);
int	db_history(struct db *, const struct db_filter *, db_row_fn *, void *,
	    struct db_err *);
int	db_audit(struct db *, const struct db_filter *, db_row_fn *, void *,
	    struct db_err *);

struct db_prune_stats {
	long events, invitations, announcements, rejects;
};
/* Delete everything older than cutoff (epoch seconds), then VACUUM. */
int	db_prune(struct db *, double cutoff, struct db_prune_stats *,
	    struct db_err *);

/*
 * Time arguments: "now", "today", "yesterday", "-30s", "-30m", "-1h",
 * "-7d", "-2w", or ISO "YYYY-MM-DD[(T| )HH:MM[:SS]][Z]" (local time unless
 * Z).  now is the reference for the relative forms.  Returns 0 or -1.
 */
int	db_parse_time(const char *s, time_t now, double *out, struct db_err *);

#endif
