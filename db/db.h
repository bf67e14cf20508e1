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
#define DB_BATCH		1000	/* records in the first ingest transaction, */
#define DB_BATCH_MAX		64000	/* doubling up to this many */

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

/*
 * Returns 0, or -1 with *out == NULL and err filled: for DB_READ, with the
 * file (the database, its -wal or -shm, or their folder) that a reader
 * could not use, when that was the cause.  DB_WRITE gives the -wal and
 * -shm files the database's owner (when root), group and mode.
 */
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
	unsigned long forgotten;	/* records refused: prune forgot them */
	unsigned long missing;		/* records newly found missing (gaps) */
	unsigned long untrusted;	/* rotated files skipped: not the
					 * journal owner's (db_ingest) */
};

/*
 * Called once per corrupt line, in order; path is the file's name now.
 * line 0: a remark about the whole file (it was truncated), or about a
 * run ("run R on HOST": records missing inside it).
 */
typedef void db_reject_fn(void *arg, const char *path, unsigned long line,
    const char *reason);

/*
 * Ingest the journal at path: first the unread tails of rotated copies of
 * journals already known (siblings named path.1, path.0, path-*, path.*),
 * then path itself.  batch is the number of records per transaction (0:
 * DB_BATCH, doubling with every transaction up to DB_BATCH_MAX).  A missing path is not an error.  Returns 0 or -1.
 */
int	db_ingest(struct db *, const char *path, size_t batch, db_reject_fn *,
	    void *arg, struct db_ingest_stats *, struct db_err *);

/*
 * Ingest records shipped from elsewhere (a collector's rsyslog file, or
 * "-" for standard input): no rotated siblings, and a line may carry a
 * syslog header before its JSON object (schema/journal.md).
 */
int	db_ingest_from(struct db *, const char *file, size_t batch,
	    db_reject_fn *, void *arg, struct db_ingest_stats *,
	    struct db_err *);

/* The rotated siblings of a journal path, in the order ingest reads them. */
int	db_siblings(const char *path, char ***names, size_t *n);
void	db_siblings_free(char **names, size_t n);

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

/*
 * Every record stored after rid `after` (in the order they were stored),
 * rebuilt as a journal line with its host in "node": two columns, rid and
 * json.  The filter's since/until apply; its user does not.
 */
int	db_export(struct db *, const struct db_filter *, long long after,
	    db_row_fn *, void *, struct db_err *);

/*
 * The distinct recorded (caller, callee, source address) of call attempts
 * (ANNOUNCEs and denied requests): columns caller, callee, addr (without
 * port; may be a /24 or empty), n, last (epoch seconds).  since/until
 * apply; user does not.
 */
int	db_call_triples(struct db *, const struct db_filter *, db_row_fn *,
	    void *, struct db_err *);

/* Does the database hold records of more than one host? */
int	db_many_hosts(struct db *);

struct db_prune_stats {
	long events, rejects;		/* deleted from the database */
	long journal_records, journal_files;	/* removed from journal files */
};
/*
 * Forget everything older than cutoff (epoch seconds): in the database
 * (then VACUUM) and in every journal file it was read from, and those of
 * journal (NULL: none more) and their rotations (db_prune.c).
 */
int	db_prune(struct db *, double cutoff, const char *journal,
	    struct db_prune_stats *, struct db_err *);

/*
 * Time arguments: "now", "today", "yesterday", "-30s", "-30m", "-1h",
 * "-7d", "-2w", or ISO "YYYY-MM-DD[(T| )HH:MM[:SS]][Z]" (local time unless
 * Z).  now is the reference for the relative forms.  Returns 0 or -1.
 */
int	db_parse_time(const char *s, time_t now, double *out, struct db_err *);

#endif
