/* libdb internals shared by db.c, db_ingest.c, db_query.c. */
#ifndef TALKD_DB_INT_H
#define TALKD_DB_INT_H

#include <sqlite3.h>

#include "db/db.h"

/* Statements kept for the connection's life (db_cached). */
enum db_stmt { ST_CHECK, ST_INSERT, ST_REJECT, ST_GETOFF, ST_SETOFF, ST_MAX };

struct db {
	sqlite3 *h;
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

#endif
