/*
 * libFuzzer target for the journal ingest: the input is written as a
 * journal file and ingested into an in-memory database.  Beyond "no crash,
 * no leak, no UB" it checks the ingest's bookkeeping: every complete line
 * is either stored, a duplicate or a reject, and the stored offset is just
 * past the last newline (a trailing partial line is left).  The input's
 * first bytes also go through db_parse_time, the one hand-written parser.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/db.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct db *d;
static char path[64];

static long long
q1(const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_prepare_v2(db_sqlite(d), sql, -1, &st, NULL) != SQLITE_OK)
		abort();
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
count_row(void *arg, int ncol, const char *const *names,
    const char *const *vals)
{
	(void)ncol;
	(void)names;
	if (vals != NULL)
		(*(long *)arg)++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/fuzz_db_ingest.XXXXXX";
	struct db_ingest_stats st;
	struct db_filter f = { 0 };
	struct db_err e;
	size_t lines = 0, end = 0, i;
	char tbuf[48];
	double t;
	long rows = 0;
	int fd;

	i = size < sizeof(tbuf) - 1 ? size : sizeof(tbuf) - 1;
	memcpy(tbuf, data, i);
	tbuf[i] = '\0';
	if (db_parse_time(tbuf, 1795416000, &t, &e) == 0 &&
	    (t != t || t > 1e13 || t < -1e13))	/* NaN or absurd */
		abort();

	if (d == NULL) {
		if (mkdtemp(dir) == NULL)
			abort();
		snprintf(path, sizeof(path), "%s/journal", dir);
		if (db_open(":memory:", DB_WRITE, &d, &e) != 0)
			abort();
	}
	for (i = 0; i < size; i++)
		if (data[i] == '\n') {
			lines++;
			end = i + 1;
		}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	/* One input in four as shipped records (syslog headers allowed). */
	if (((size & 3) == 3 ? db_ingest_from(d, path, 7, NULL, NULL, &st,
	    &e) : db_ingest(d, path, 7, NULL, NULL, &st, &e)) != 0)
		abort();
	/* A file without a complete first line is not a journal yet. */
	if (lines > 0) {
		if (st.records + st.duplicates + st.rejects + st.forgotten !=
		    lines)
			abort();
		if (q1("SELECT off FROM journals ORDER BY id DESC LIMIT 1") !=
		    (long long)end)
			abort();
		if (q1("SELECT count(*) FROM events") != (long long)st.records)
			abort();
	}
	/* The queries cost more than the ingest: run them on one input in 8. */
	f.json = (size & 1) != 0;
	if ((size & 7) == 0 && (db_who_called(d, &f, count_row, &rows, &e) != 0 ||
	    db_history(d, &f, count_row, &rows, &e) != 0 ||
	    db_audit(d, &f, count_row, &rows, &e) != 0))
		abort();
	if ((size & 7) == 1 && db_export(d, &f, 0, count_row, &rows, &e) != 0)
		abort();
	if (sqlite3_exec(db_sqlite(d), "DELETE FROM rejects; DELETE FROM rec;"
	    " DELETE FROM runs; DELETE FROM strs; DELETE FROM meta;"
	    " DELETE FROM journals;", NULL, NULL, NULL) != SQLITE_OK)
		abort();
	return 0;
}
