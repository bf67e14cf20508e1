/*
 * libFuzzer target for the journal ingest: the input is written as a
 * journal file and ingested into an in-memory database.  Beyond "no crash,
 * no leak, no UB" it checks the ingest's bookkeeping: every complete line
 * is either stored, a duplicate or a reject, and the stored offset is just
 * past the last newline (a trailing partial line is left).  The input's
 * first bytes also go through db_parse_time, the one hand-written parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db/db.h"
#include "tests/fuzz/fuzz_tmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * One connection for the whole run, emptied after each input: a fresh
 * database per input would cost more than the ingest.  The statements
 * the harness runs are prepared once for the same reason.
 */
enum { Q_OFF, Q_EVENTS, Q_BEGIN, Q_EMPTY, Q_COMMIT = Q_EMPTY + 6, Q_MAX };

static const char *const q_sql[Q_MAX] = {
	"SELECT off FROM journals ORDER BY id DESC LIMIT 1",
	"SELECT count(*) FROM events",
	"BEGIN",
	"DELETE FROM rejects", "DELETE FROM rec", "DELETE FROM runs",
	"DELETE FROM strs", "DELETE FROM meta", "DELETE FROM journals",
	"COMMIT",
};

static struct db *d;
static sqlite3_stmt *q_st[Q_MAX];
static char path[PATH_MAX];

/* Run statement i: its first column, or -1 when it has no row. */
static long long
q1(int i)
{
	sqlite3_stmt *st = q_st[i];
	long long v = -1;
	int rc;

	if (st == NULL && sqlite3_prepare_v3(db_sqlite(d), q_sql[i], -1,
	    SQLITE_PREPARE_PERSISTENT, &q_st[i], NULL) != SQLITE_OK)
		abort();
	st = q_st[i];
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		abort();
	sqlite3_reset(st);
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
	struct db_ingest_stats st;
	struct db_filter f = { 0 };
	struct db_err e;
	size_t lines = 0, end = 0, i;
	char tbuf[48];
	double t;
	long rows = 0;
	uint32_t h;
	int k;

	i = size < sizeof(tbuf) - 1 ? size : sizeof(tbuf) - 1;
	memcpy(tbuf, data, i);
	tbuf[i] = '\0';
	if (db_parse_time(tbuf, 1795416000, &t, &e) == 0 &&
	    (t != t || t > 1e13 || t < -1e13))	/* NaN or absurd */
		abort();

	if (d == NULL) {
		fuzz_tmp_path("journal", path);
		if (db_open(":memory:", DB_WRITE, &d, &e) != 0)
			abort();
	}
	/*
	 * What else an input goes through is picked by a hash of its bytes,
	 * not by its length: much of a grown corpus is as long as -max_len
	 * allows.
	 */
	for (h = 2166136261u, i = 0; i < size; i++) {
		h = (h ^ data[i]) * 16777619u;
		if (data[i] == '\n') {
			lines++;
			end = i + 1;
		}
	}
	fuzz_tmp_write(path, data, size);
	/* One input in four as shipped records (syslog headers allowed). */
	if (((h >> 4 & 3) == 3 ? db_ingest_from(d, path, 7, NULL, NULL, &st,
	    &e) : db_ingest(d, path, 7, NULL, NULL, &st, &e)) != 0)
		abort();
	/* A file without a complete first line is not a journal yet. */
	if (lines > 0) {
		if (st.records + st.duplicates + st.rejects + st.forgotten !=
		    lines)
			abort();
		if (q1(Q_OFF) != (long long)end)
			abort();
		if (q1(Q_EVENTS) != (long long)st.records)
			abort();
	}
	/*
	 * The queries cost more than the ingest (mostly preparing them):
	 * one input in 64 each, 150,000 times in 10 million runs.
	 */
	f.json = (h >> 8 & 1) != 0;
	if ((h & 63) == 0 && (db_who_called(d, &f, count_row, &rows, &e) != 0 ||
	    db_history(d, &f, count_row, &rows, &e) != 0 ||
	    db_audit(d, &f, count_row, &rows, &e) != 0))
		abort();
	if ((h & 63) == 1 && db_export(d, &f, 0, count_row, &rows, &e) != 0)
		abort();
	for (k = Q_BEGIN; k <= Q_COMMIT; k++)
		q1(k);
	return 0;
}
