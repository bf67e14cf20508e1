/* libdb internals shared by db.c, db_ingest.c, db_query.c. */
#ifndef TALKD_DB_INT_H
#define TALKD_DB_INT_H

#include <sqlite3.h>

#include "db/db.h"

/* Statements kept for the connection's life (db_cached). */
enum db_stmt {
	ST_INSERT, ST_INSERT_MULTI, ST_REJECT, ST_GETOFF, ST_SETOFF, ST_STR_GET, ST_STR_ADD,
	ST_RUN_GET, ST_RUN_ADD, ST_RUN_SET, ST_META_GET, ST_META_SET,
	ST_BEGIN, ST_COMMIT, ST_DATA_VERSION, ST_JOURNAL_GET, ST_JOURNAL_ADD,
	ST_MAX
};

struct db {
	sqlite3 *h;
	char node[256];			/* this host's name, for records without */
	sqlite3_stmt *st[ST_MAX];
};

#if defined(__GNUC__)
#define DB_PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define DB_PRINTFLIKE(f, a)
#endif

void	db_seterr(struct db_err *, const char *file, unsigned line,
	    unsigned col, const char *fmt, ...) DB_PRINTFLIKE(5, 6);
void	db_seterr_file(struct db_err *, const char *path);
void	db_sqlerr(struct db *, struct db_err *, const char *what);
int	db_exec(struct db *, const char *sql, struct db_err *);
int	db_prepare(struct db *, sqlite3_stmt **, const char *sql,
	    struct db_err *);
int	db_cached(struct db *, enum db_stmt, const char *sql, sqlite3_stmt **,
	    struct db_err *);

/* The secondary indexes of rec, as schema/002-compact.sql creates them. */
extern const char db_rec_indexes_sql[], db_rec_noindexes_sql[];
int	db_index(struct db *, struct db_err *);

/* One journal record, parsed (db_rec.c). */
enum db_rf {
	RF_RUN, RF_TS, RF_EVENT, RF_TYPE, RF_CALLER, RF_CALLEE, RF_SRC, RF_TTY,
	RF_ANSWER, RF_RULE, RF_REASON, RF_HOST, RF_MSG, RF_NODE, RF_NSTR
};
struct db_rec {
	const char *s[RF_NSTR];		/* decoded, NUL-terminated; NULL absent */
	size_t slen[RF_NSTR];
	long long v, seq, id, count;
	int has_v, has_seq, has_id, has_count;
	int isnew;			/* -1 absent, 0 false, 1 true */
	long long t_us;			/* ts in microseconds since the epoch */
	const char *extra;		/* unknown members as one JSON object */
	size_t extralen;
	char buf[2 * DB_RECORD_MAX + 64];	/* last: not cleared per record */
};

/* NULL, or why the line is not a record (may point into why). */
const char *db_rec_parse(const char *line, size_t len, struct db_rec *,
	    char *why, size_t whysz);
const char *db_rec_start(const char *line, size_t len);
int	db_parse_ts(const char *s, size_t len, long long *us);

#endif
