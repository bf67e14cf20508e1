/*
 * libdb unit tests: real SQLite files in a private temporary folder, the
 * fixture journal tests/data/db/journal.fixture, no mocks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/db.h"
#include "db/db_int.h"

struct fx {
	char dir[64];
	char dbpath[128];
	char jpath[128];
	struct db *d;
};

static char fixture[1024];

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_db.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->dbpath, sizeof(f->dbpath), "%s/t.db", f->dir);
	snprintf(f->jpath, sizeof(f->jpath), "%s/journal", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	db_close(f->d);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
open_db(struct fx *f)
{
	struct db_err e;

	if (db_open(f->dbpath, DB_WRITE, &f->d, &e) != 0)
		fail_msg("db_open: %s: %s", e.file, e.msg);
}

static void
write_file(const char *path, const char *mode, const char *text)
{
	FILE *fp = fopen(path, mode);

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void
copy_fixture(const char *to)
{
	char *buf = malloc(65536);
	FILE *in = fopen(fixture, "r");
	size_t n;

	assert_non_null(buf);
	assert_non_null(in);
	n = fread(buf, 1, 65535, in);
	buf[n] = '\0';
	fclose(in);
	write_file(to, "w", buf);
	free(buf);
}

/* One integer from SQL. */
static long long
q1(struct db *d, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_prepare_v2(db_sqlite(d), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db_sqlite(d)));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* One text from SQL (NULL as ""), into buf. */
static const char *
qt(struct db *d, const char *sql, char *buf, size_t size)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *v;

	if (sqlite3_prepare_v2(db_sqlite(d), sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db_sqlite(d)));
	buf[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (v = sqlite3_column_text(st, 0)) != NULL)
		snprintf(buf, size, "%s", (const char *)v);
	sqlite3_finalize(st);
	return buf;
}

/* Rejected lines seen through the callback. */
struct rej {
	unsigned long line[16];
	char reason[16][64];
	int n;
};

static void
on_reject(void *arg, const char *path, unsigned long line, const char *why)
{
	struct rej *r = arg;

	(void)path;
	if (r->n < 16) {
		r->line[r->n] = line;
		snprintf(r->reason[r->n], sizeof(r->reason[0]), "%s", why);
		r->n++;
	}
}

static void
ingest(struct fx *f, struct db_ingest_stats *st, struct rej *r)
{
	struct db_err e;

	if (db_ingest(f->d, f->jpath, 0, on_reject, r, st, &e) != 0)
		fail_msg("db_ingest: %s:%u: %s", e.file, e.line, e.msg);
}

/* Query rows collected as "col|col|..." strings. */
struct rows {
	char row[64][512];
	int n;
};

static int
on_row(void *arg, int ncol, const char *const *names, const char *const *v)
{
	struct rows *r = arg;
	size_t used = 0;
	int i, k;

	(void)names;
	if (v == NULL || r->n == 64)
		return 0;
	r->row[r->n][0] = '\0';
	for (i = 0; i < ncol; i++) {
		k = snprintf(r->row[r->n] + used, sizeof(r->row[0]) - used,
		    "%s%s", i ? "|" : "", v[i]);
		if (k < 0 || (size_t)k >= sizeof(r->row[0]) - used)
			fail_msg("row too long");
		used += (size_t)k;
	}
	r->n++;
	return 0;
}

static void
loaded(struct fx *f)
{
	struct db_ingest_stats st;
	struct rej r = { 0 };

	open_db(f);
	copy_fixture(f->jpath);
	ingest(f, &st, &r);
	assert_int_equal(st.records, 24);
	assert_int_equal(r.n, 0);
}

/* ---- migrations -------------------------------------------------------- */

static void
test_migrations_set_user_version(void **state)
{
	struct fx *f = *state;
	struct stat sb;

	open_db(f);
	assert_int_equal(db_schema_version(f->d), (int)db_nmigrations);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM sqlite_master WHERE"
	    " name IN ('journals', 'events', 'rejects', 'strs', 'runs', 'rec',"
	    " 'meta')"), 7);
	assert_int_equal(q1(f->d, "PRAGMA foreign_keys"), 1);
	assert_int_equal(q1(f->d, "PRAGMA secure_delete"), 1);
	assert_int_equal(q1(f->d, "SELECT journal_mode = 'wal' FROM"
	    " pragma_journal_mode"), 1);
	assert_int_equal(stat(f->dbpath, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
}

static void
test_reopen_is_noop(void **state)
{
	struct fx *f = *state;
	long long objs;

	open_db(f);
	objs = q1(f->d, "SELECT count(*) FROM sqlite_master");
	db_close(f->d);
	f->d = NULL;
	open_db(f);
	assert_int_equal(db_schema_version(f->d), (int)db_nmigrations);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM sqlite_master"), objs);
}

/*
 * What a query does before it reads (talkctl opens the database for
 * writing and ingests first): with the schema current and nothing new in
 * the journal, it neither waits for another writer's lock nor prepares
 * the statements that store records.
 */
/*
 * db_index builds missing secondary indexes (a killed large ingest) with
 * the sorter on its file buffer, and leaves the connection's temporary
 * tables in memory as db_open set them.
 */
static void
test_index_rebuild(void **state)
{
	struct fx *f = *state;
	struct db_err e;

	loaded(f);
	assert_int_equal(sqlite3_exec(db_sqlite(f->d), db_rec_noindexes_sql,
	    NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(db_index(f->d, &e), 0);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM sqlite_master WHERE"
	    " name IN ('rec_callee', 'rec_caller')"), 2);
	assert_int_equal(q1(f->d, "PRAGMA temp_store"), 2);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM rec INDEXED BY"
	    " rec_caller WHERE caller IS NOT NULL AND invite IS NOT NULL"), 5);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM rec INDEXED BY"
	    " rec_callee WHERE callee IS NOT NULL"), q1(f->d, "SELECT count(*)"
	    " FROM rec WHERE callee IS NOT NULL"));
}

static void
test_query_open_is_light(void **state)
{
	struct fx *f = *state;
	struct db_ingest_stats st;
	struct rej rj = { 0 };
	struct db *d = NULL;
	struct db_err e;
	sqlite3_stmt *s;
	sqlite3 *other;
	time_t t0;
	int n = 0;

	loaded(f);
	db_close(f->d);
	f->d = NULL;
	assert_int_equal(sqlite3_open(f->dbpath, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	t0 = time(NULL);
	assert_int_equal(db_open(f->dbpath, DB_WRITE, &d, &e), 0);
	assert_true(time(NULL) - t0 < 2);	/* no busy wait (5 s) */
	assert_int_equal(db_ingest(d, f->jpath, 0, on_reject, &rj, &st, &e), 0);
	assert_int_equal(st.records + st.files, 0);
	for (s = sqlite3_next_stmt(db_sqlite(d), NULL); s != NULL;
	    s = sqlite3_next_stmt(db_sqlite(d), s))
		n++;
	assert_true(n <= 2);		/* the journal's identity and offset */
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	db_close(d);
}

static void
test_bad_migration_reports_position(void **state)
{
	struct db_migration bad[8];
	char name[32], where[64];
	struct fx *f = *state;
	struct db_err e;
	struct db *d = NULL;
	size_t n = db_nmigrations;

	(void)f;
	assert_true(n + 1 <= 8);
	memcpy(bad, db_migrations, n * sizeof(bad[0]));
	snprintf(name, sizeof(name), "%03zu-bad.sql", n + 1);
	snprintf(where, sizeof(where), "schema/%s", name);
	bad[n].name = name;
	bad[n].sql = "-- two\nCREATE TABLE b (x);\n"
	    "CREATE TABLE c (x INTEGER,, y);\n";
	assert_int_equal(db_open(":memory:", DB_WRITE, &d, &e), 0);
	assert_int_equal(db_migrate(d, bad, n + 1, &e), -1);
	assert_string_equal(e.file, where);
	assert_int_equal(e.line, 3);
	assert_int_equal(e.col, 27);		/* the second comma */
	/* The real ones (db_open) stay; the bad one is rolled back whole. */
	assert_int_equal(db_schema_version(d), (int)n);
	assert_int_equal(q1(d, "SELECT count(*) FROM sqlite_master WHERE"
	    " name IN ('a', 'b')"), 0);
	assert_int_equal(q1(d, "SELECT count(*) FROM sqlite_master WHERE"
	    " name = 'events'"), 1);
	db_close(d);
}

static void
test_newer_database_is_refused(void **state)
{
	struct fx *f = *state;
	struct db_err e;
	struct db *d = NULL;

	open_db(f);
	assert_int_equal(sqlite3_exec(db_sqlite(f->d), "PRAGMA user_version ="
	    " 99", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(db_open(f->dbpath, DB_WRITE, &d, &e), -1);
	assert_null(d);
	assert_non_null(strstr(e.msg, "newer"));
}

/* f's -wal and -shm paths, after open_db and db_close made them. */
static void
wal_paths(struct fx *f, char *wal, char *shm, size_t size)
{
	open_db(f);
	db_close(f->d);
	f->d = NULL;
	snprintf(wal, size, "%s-wal", f->dbpath);
	snprintf(shm, size, "%s-shm", f->dbpath);
}

static unsigned
mode_of(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return sb.st_mode & 07777;
}

/* A writer gives the -wal and -shm files the database's mode back. */
static void
test_writer_gives_wal_files_db_mode(void **state)
{
	struct fx *f = *state;
	char wal[160], shm[160];

	wal_paths(f, wal, shm, sizeof(wal));
	assert_int_equal(chmod(wal, 0600), 0);	/* a reader could not */
	assert_int_equal(chmod(shm, 0666), 0);	/* anyone could */
	open_db(f);
	assert_int_equal(mode_of(wal), 0640);
	assert_int_equal(mode_of(shm), 0640);
}

/* ... but not through a hard link: the other name keeps its mode. */
static void
test_writer_leaves_linked_wal_file(void **state)
{
	struct fx *f = *state;
	char wal[160], shm[160], other[160];

	wal_paths(f, wal, shm, sizeof(wal));
	snprintf(other, sizeof(other), "%s/other", f->dir);
	write_file(other, "w", "not a WAL\n");	/* SQLite chmods an empty one */
	assert_int_equal(chmod(other, 0600), 0);
	assert_int_equal(unlink(wal), 0);
	assert_int_equal(link(other, wal), 0);
	open_db(f);
	assert_int_equal(mode_of(other), 0600);
}

/*
 * A second writer in the process leaves the first one's POSIX locks: the
 * -shm's DMS lock (byte 128), which tells read-only readers that the
 * -shm is live, is still held, as another process sees it.
 */
static void
test_second_open_keeps_shm_locks(void **state)
{
	struct fx *f = *state;
	struct flock l;
	struct db *d = NULL;
	struct db_err e;
	char wal[160], shm[160];
	pid_t pid;
	int fd, st;

	wal_paths(f, wal, shm, sizeof(wal));
	open_db(f);
	assert_int_equal(chmod(shm, 0600), 0);	/* to be given back */
	assert_int_equal(db_open(f->dbpath, DB_WRITE, &d, &e), 0);
	assert_int_equal(mode_of(shm), 0640);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		memset(&l, 0, sizeof(l));
		l.l_type = F_WRLCK;
		l.l_whence = SEEK_SET;
		l.l_start = 128;
		l.l_len = 1;
		fd = open(shm, O_RDWR);
		_exit(fd != -1 && fcntl(fd, F_GETLK, &l) == 0 &&
		    l.l_type == F_RDLCK ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	db_close(d);
}

/* ---- ingest ------------------------------------------------------------ */

static void
test_ingest_fixture_rows(void **state)
{
	char buf[1024];
	struct fx *f = *state;
	struct db_ingest_stats st;
	struct rej r = { 0 };

	loaded(f);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM events"), 24);
	assert_int_equal(q1(f->d, "SELECT count(DISTINCT run || seq) FROM"
	    " events"), 24);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM journals"), 1);
	{
		struct stat sb;

		assert_int_equal(stat(f->jpath, &sb), 0);
		assert_int_equal(q1(f->d, "SELECT off FROM journals"),
		    sb.st_size);
	}
	/* Fields come out of the JSON as typed values. */
	assert_int_equal(q1(f->d, "SELECT count(*) FROM events WHERE seq = 4"
	    " AND event = 'announce.rung' AND caller = 'thor' AND callee ="
	    " 'sif' AND src = '127.0.0.1:40001' AND tty = 'pts/3' AND id = 2"
	    " AND answer = 'SUCCESS' AND host = 'localhost'"), 1);
	assert_int_equal(q1(f->d, "SELECT count FROM events WHERE seq = 20"),
	    3);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM events WHERE seq = 23"
	    " AND caller = 'x' || char(27) || '[2Jy'"), 1);
	assert_int_equal(q1(f->d, "SELECT t = 1795413600 FROM events WHERE"
	    " seq = 1"), 1);
	/* Compact: texts once each, times as integer microseconds, the
	 * address apart from its port. */
	assert_int_equal(q1(f->d, "SELECT count(*) FROM strs WHERE s = 'sif'"),
	    1);
	assert_int_equal(q1(f->d, "SELECT t FROM rec WHERE seq = 3"),
	    1795413660100000LL);
	assert_int_equal(q1(f->d, "SELECT port FROM rec WHERE seq = 3"), 40001);
	assert_string_equal(qt(f->d, "SELECT run || ',' || min_seq || ',' ||"
	    " max_seq || ',' || n || ',' || pruned FROM runs", buf,
	    sizeof(buf)), "00000000000000a1,1,24,24,0");
	/* A second run adds nothing. */
	ingest(f, &st, &r);
	assert_int_equal(st.records, 0);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM events"), 24);
}

static void
test_ingest_unique_guard(void **state)
{
	struct fx *f = *state;
	struct db_ingest_stats st;
	struct rej r = { 0 };
	char other[160];

	loaded(f);
	/* The same records under another identity (a copy): no duplicates. */
	snprintf(other, sizeof(other), "%s/copy", f->dir);
	copy_fixture(other);
	assert_int_equal(db_ingest(f->d, other, 0, on_reject, &r, &st, NULL),
	    0);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.duplicates, 24);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM events"), 24);
}

static void
test_half_written_line_is_left(void **state)
{
	static const char *l1 = "{\"v\":1,\"run\":\"r\",\"seq\":1,\"ts\":"
	    "\"2026-11-23T06:00:00Z\",\"event\":\"daemon.start\"}\n";
	static const char *l2a = "{\"v\":1,\"run\":\"r\",\"seq\":2,\"ts\":";
	static const char *l2b = "\"2026-11-23T06:00:01Z\",\"event\":"
	    "\"daemon.stop\"}\n";
	struct fx *f = *state;
	struct db_ingest_stats st;
	struct rej r = { 0 };

	open_db(f);
	write_file(f->jpath, "w", l1);
	write_file(f->jpath, "a", l2a);
	ingest(f, &st, &r);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.pending, strlen(l2a));
	assert_int_equal(q1(f->d, "SELECT off FROM journals"), strlen(l1));
	write_file(f->jpath, "a", l2b);
	ingest(f, &st, &r);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.pending, 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(q1(f->d, "SELECT group_concat(seq, '') FROM events"), 12);
}

/* Found by fuzz_db_ingest: an empty first line hid the whole journal. */
static void
test_empty_first_line(void **state)
{
	struct fx *f = *state;
	struct db_ingest_stats st;
	struct rej r = { 0 };

	open_db(f);
	write_file(f->jpath, "w", "\n{\"v\":1,\"run\":\"r\",\"seq\":1,\"ts\":"
	    "\"2026-11-23T06:00:00Z\",\"event\":\"daemon.start\"}\n");
	ingest(f, &st, &r);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.rejects, 1);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.line[0], 1);
	assert_string_equal(r.reason[0], "not JSON");
}

static void
test_corrupt_lines_skipped_and_reported(void **state)
{
	char big[1200];
	struct fx *f = *state;
	struct db_ingest_stats st;
	struct rej r = { 0 };
	FILE *fp;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	open_db(f);
	fp = fopen(f->jpath, "w");
	assert_non_null(fp);
	fprintf(fp, "{\"v\":1,\"run\":\"r\",\"seq\":1,\"ts\":\"2026-11-23T06:00:00Z"
	    "\",\"event\":\"daemon.start\"}\n");			/* 1 */
	fprintf(fp, "this is not json\n");				/* 2 */
	fprintf(fp, "{\"v\":1,\"seq\":2,\"ts\":\"2026-11-23T06:00:00Z\","
	    "\"event\":\"x\"}\n");					/* 3 */
	fprintf(fp, "{\"v\":1,\"run\":\"r\",\"seq\":3,\"ts\":\"2026-11-23\","
	    "\"event\":\"x\",\"msg\":\"%s\"}\n", big);		/* 4 */
	fprintf(fp, "{\"v\":1,\"run\":\"r\",\"seq\":4,\"ts\":\"2026-11-23T06:00:01Z"
	    "\",\"event\":\"daemon.stop\"}\n");			/* 5 */
	fprintf(fp, "[1,2]\n");						/* 6 */
	fprintf(fp, "{\"v\":2,\"run\":\"r\",\"seq\":5,\"ts\":\"2026-11-23\","
	    "\"event\":\"x\"}\n");					/* 7 */
	fprintf(fp, "{\"v\":1,\"run\":\"r\",\"seq\":0,\"ts\":\"2026-11-23\","
	    "\"event\":\"x\"}\n");					/* 8 */
	fprintf(fp, "{\"v\":1,\"run\":\"r\",\"seq\":6,\"ts\":\"yesterday\","
	    "\"event\":\"x\"}\n");					/* 9 */
	fprintf(fp, "{\"v\":1,\"run\":\"r\",\"seq\":7,\"ts\":\"2026-11-23\","
	    "\"event\":\"journal.lost\",\"count\":2}\n");		/* 10 */
	assert_int_equal(fclose(fp), 0);
	ingest(f, &st, &r);
	assert_int_equal(st.records, 3);
	assert_int_equal(st.rejects, 7);
	/* Seq 2, 3, 5 and 6 are rejected lines: lost, and said so once,
	 * after the lines (line 0: about the run). */
	assert_int_equal(st.missing, 4);
	assert_int_equal(r.n, 8);
	assert_int_equal(r.line[7], 0);
	assert_string_equal(r.reason[7], "4 records missing between seq 1 and "
	    "7 (lost before ingest)");
	assert_int_equal(r.line[0], 2);
	assert_string_equal(r.reason[0], "not JSON");
	assert_int_equal(r.line[1], 3);
	assert_string_equal(r.reason[1], "missing or bad \"run\"");
	assert_int_equal(r.line[2], 4);
	assert_string_equal(r.reason[2], "record longer than 1024 bytes");
	assert_int_equal(r.line[3], 6);
	assert_string_equal(r.reason[3], "not a JSON object");
	assert_int_equal(r.line[4], 7);
	assert_string_equal(r.reason[4], "unsupported format version 2");
	assert_int_equal(r.line[5], 8);
	assert_string_equal(r.reason[5], "missing or bad \"seq\"");
	assert_int_equal(r.line[6], 9);
	assert_string_equal(r.reason[6], "missing or bad \"ts\"");
	assert_int_equal(q1(f->d, "SELECT group_concat(seq, '') FROM events"),
	    147);
	assert_int_equal(q1(f->d, "SELECT group_concat(line, '') FROM rejects"),
	    2346789);
	/* Reported once: the next run sees nothing new. */
	memset(&r, 0, sizeof(r));
	ingest(f, &st, &r);
	assert_int_equal(r.n, 0);
	assert_int_equal(st.rejects, 0);
}

static void
test_small_batches_and_new_inode(void **state)
{
	struct fx *f = *state;
	struct db_ingest_stats st;
	struct rej r = { 0 };
	struct db_err e;
	char rotated[160];

	open_db(f);
	copy_fixture(f->jpath);
	/* Batches of 5: the offset moves in five commits. */
	assert_int_equal(db_ingest(f->d, f->jpath, 5, on_reject, &r, &st, &e),
	    0);
	assert_int_equal(st.records, 24);
	/* Rotation: rename, a late record in the old file, a new file. */
	snprintf(rotated, sizeof(rotated), "%s.1", f->jpath);
	assert_int_equal(rename(f->jpath, rotated), 0);
	write_file(rotated, "a", "{\"v\":1,\"run\":\"00000000000000a1\","
	    "\"seq\":25,\"ts\":\"2026-11-23T06:41:00Z\",\"event\":\"x\"}\n");
	write_file(f->jpath, "w", "{\"v\":1,\"run\":\"00000000000000b2\","
	    "\"seq\":1,\"ts\":\"2026-11-23T06:42:00Z\",\"event\":"
	    "\"daemon.start\"}\n");
	assert_int_equal(db_ingest(f->d, f->jpath, 5, on_reject, &r, &st, &e),
	    0);
	assert_int_equal(st.records, 2);
	assert_int_equal(st.files, 2);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM events"), 26);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM journals"), 2);
	assert_int_equal(r.n, 0);
}

/*
 * Records of more runs than the run cache holds (8 at first) in one
 * batch: each run's count and seq range reach the runs table.  The cache
 * grew under the pending records of the run before, which were then
 * counted in the array it had left (found by fuzz_db_ingest).
 */
static void
test_many_runs_in_one_batch(void **state)
{
	struct fx *f = *state;
	struct db_ingest_stats st;
	struct rej r = { 0 };
	char line[256], *text;
	size_t used = 0;
	int i, n;

	open_db(f);
	text = malloc(40 * sizeof(line));
	assert_non_null(text);
	for (i = 1; i <= 40; i++) {
		n = snprintf(line, sizeof(line), "{\"v\":1,\"run\":\"%016x\","
		    "\"seq\":%d,\"ts\":\"2026-11-23T06:%02d:00Z\",\"event\":"
		    "\"daemon.start\"}\n", (i + 1) / 2, 2 - i % 2, i);
		assert_true(n > 0 && (size_t)n < sizeof(line));
		memcpy(text + used, line, (size_t)n + 1);
		used += (size_t)n;
	}
	write_file(f->jpath, "w", text);
	free(text);
	ingest(f, &st, &r);
	assert_int_equal(st.records, 40);
	assert_int_equal(r.n, 0);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM runs"), 20);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM runs WHERE n = 2 AND"
	    " min_seq = 1 AND max_seq = 2 AND missing = 0"), 20);
}

/* ---- queries ----------------------------------------------------------- */

static void
test_who_called_outcomes(void **state)
{
	struct fx *f = *state;
	struct db_filter flt = { .user = "sif" };
	struct rows *r = calloc(1, sizeof(*r));
	struct db_err e;

	assert_non_null(r);
	loaded(f);
	assert_int_equal(db_who_called(f->d, &flt, on_row, r, &e), 0);
	assert_int_equal(r->n, 6);
	assert_string_equal(r->row[0], "2026-11-23 06:01:00|thor|"
	    "127.0.0.1:40001|pts/3|answered|");
	assert_string_equal(r->row[1], "2026-11-23 06:10:00|loki|"
	    "127.0.0.1:40003|pts/3|missed|rang 2 times");
	assert_string_equal(r->row[2], "2026-11-23 06:20:00|odin|"
	    "192.0.2.7:1024|pts/3|rung|");
	assert_string_equal(r->row[3], "2026-11-23 06:31:00|thor|"
	    "127.0.0.1:40005||refused|mesg n");
	assert_string_equal(r->row[4], "2026-11-23 06:32:00|fenrir|"
	    "198.51.100.9:2000||denied|rule /etc/talkd/policy.yaml:deny-wolves"
	    " (site-deny) on ANNOUNCE");
	assert_string_equal(r->row[5], "2026-11-23 06:36:00|x\033[2Jy|"
	    "127.0.0.1:40006|pts/3|rung|");
	memset(r, 0, sizeof(*r));
	flt.user = "baldr";
	flt.json = 1;
	assert_int_equal(db_who_called(f->d, &flt, on_row, r, &e), 0);
	assert_int_equal(r->n, 1);
	assert_string_equal(r->row[0], "{\"time\":\"2026-11-23T06:30:00.000000Z\","
	    "\"caller\":\"thor\",\"from\":\"127.0.0.1:40004\",\"callee\":"
	    "\"baldr\",\"tty\":null,\"outcome\":\"refused\",\"detail\":"
	    "\"not logged in\",\"rule\":null,\"type\":\"ANNOUNCE\",\"answer\":"
	    "\"NOT_HERE\",\"id\":null,\"rings\":0}");
	memset(r, 0, sizeof(*r));
	flt.user = "nobody-at-all";
	assert_int_equal(db_who_called(f->d, &flt, on_row, r, &e), 0);
	assert_int_equal(r->n, 0);
	free(r);
}

/* A ring less than two minutes old and not over is still ringing. */
/* EXPLAIN QUERY PLAN of sql, its lines joined by ';'. */
static const char *
plan_of(struct db *d, const char *sql, char *plan, size_t size)
{
	char *ex = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
	sqlite3_stmt *st;
	size_t n = 0;

	assert_non_null(ex);
	assert_int_equal(sqlite3_prepare_v2(db_sqlite(d), ex, -1, &st, NULL),
	    SQLITE_OK);
	plan[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW && n < size)
		n += (size_t)snprintf(plan + n, size - n, "%s;",
		    (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	sqlite3_free(ex);
	return plan;
}

/* Every distinct SELECT a connection prepares, for their plans. */
struct sqls {
	char sql[16][1024];
	int n;
};

static int
each_select(unsigned type, void *arg, void *stmt, void *x)
{
	struct sqls *q = arg;
	const char *sql = sqlite3_sql(stmt);
	int i;

	(void)type;
	(void)x;
	if (sql == NULL || strncmp(sql, "SELECT", 6) != 0)
		return 0;
	for (i = 0; i < q->n; i++)
		if (strcmp(q->sql[i], sql) == 0)
			return 0;
	if (q->n < 16)
		snprintf(q->sql[q->n++], sizeof(q->sql[0]), "%s", sql);
	return 0;
}

/*
 * who-called for one callee reads its records through rec_callee and
 * decides answered and missed from the two indexes alone: the callee's
 * lookups (rec_caller) and the invitations left to it (rec_callee), no
 * table row and no scan.
 */
static void
test_who_called_reads_indexes(void **state)
{
	struct fx *f = *state;
	struct db_filter flt = { .user = "sif" };
	struct rows *r = calloc(1, sizeof(*r));
	struct sqls *q = calloc(1, sizeof(*q));
	char plan[4096];
	int i, covering = 0;
	struct db_err e;

	assert_non_null(r);
	assert_non_null(q);
	loaded(f);
	sqlite3_trace_v2(db_sqlite(f->d), SQLITE_TRACE_STMT, each_select, q);
	assert_int_equal(db_who_called(f->d, &flt, on_row, r, &e), 0);
	sqlite3_trace_v2(db_sqlite(f->d), 0, NULL, NULL);
	assert_int_equal(r->n, 6);
	for (i = 0; i < q->n; i++) {
		if (strstr(q->sql[i], "FROM rec") == NULL)
			continue;
		plan_of(f->d, q->sql[i], plan, sizeof(plan));
		assert_null(strstr(plan, "SCAN r"));	/* rec, r */
		covering += strstr(plan, "COVERING INDEX rec_caller (caller=? AND"
		    " invite=?)") != NULL;
		covering += strstr(plan, "COVERING INDEX rec_callee (callee=?)")
		    != NULL;
	}
	assert_int_equal(covering, 2);
	free(q);
	free(r);
}

static void
test_who_called_ringing(void **state)
{
	struct fx *f = *state;
	struct db_filter flt = { .user = "sif" };
	struct rows *r = calloc(1, sizeof(*r));
	struct db_ingest_stats st;
	struct rej rj = { 0 };
	struct db_err e;
	char ts[32], line[256];
	time_t now = time(NULL) - 10;
	struct tm tm;

	assert_non_null(r);
	open_db(f);
	assert_non_null(gmtime_r(&now, &tm));
	assert_true(strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm) > 0);
	snprintf(line, sizeof(line), "{\"v\":1,\"run\":\"r\",\"seq\":1,"
	    "\"ts\":\"%s\",\"event\":\"announce.rung\",\"caller\":\"thor\","
	    "\"callee\":\"sif\",\"src\":\"127.0.0.1:1\",\"tty\":\"pts/1\","
	    "\"id\":1}\n", ts);
	write_file(f->jpath, "w", line);
	ingest(f, &st, &rj);
	assert_int_equal(st.records, 1);
	assert_int_equal(db_who_called(f->d, &flt, on_row, r, &e), 0);
	assert_int_equal(r->n, 1);
	assert_non_null(strstr(r->row[0], "|thor|127.0.0.1:1|pts/1|ringing|"));
	free(r);
}

static void
test_since_until(void **state)
{
	struct fx *f = *state;
	struct db_filter flt = { .user = "sif", .json = 0 };
	struct rows *r = calloc(1, sizeof(*r));
	struct db_err e;

	assert_non_null(r);
	loaded(f);
	assert_int_equal(db_parse_time("2026-11-23T06:10:00Z", 0, &flt.since,
	    &e), 0);
	assert_int_equal(db_parse_time("2026-11-23T06:32:00Z", 0, &flt.until,
	    &e), 0);
	flt.has_since = flt.has_until = 1;
	assert_int_equal(db_who_called(f->d, &flt, on_row, r, &e), 0);
	assert_int_equal(r->n, 3);		/* since inclusive, until not */
	assert_non_null(strstr(r->row[0], "|loki|"));
	assert_non_null(strstr(r->row[2], "|refused|"));
	memset(r, 0, sizeof(*r));
	flt.has_until = 0;
	flt.user = NULL;
	assert_int_equal(db_audit(f->d, &flt, on_row, r, &e), 0);
	assert_int_equal(r->n, 17);		/* seq 8 .. 24 */
	free(r);
}

static void
test_history_lifecycle(void **state)
{
	struct fx *f = *state;
	struct db_filter flt = { .user = "sif" };
	struct rows *r = calloc(1, sizeof(*r));
	struct db_err e;

	assert_non_null(r);
	loaded(f);
	assert_int_equal(db_history(f->d, &flt, on_row, r, &e), 0);
	assert_int_equal(r->n, 3);
	assert_string_equal(r->row[0], "2026-11-23 06:01:00|thor|sif|"
	    "127.0.0.1:40001|1|06:01:05 by sif|deleted 06:01:06|");
	assert_string_equal(r->row[1], "2026-11-23 06:10:00|loki|sif|"
	    "127.0.0.1:40003|3|-|expired 06:11:31|1");
	assert_string_equal(r->row[2], "2026-11-23 06:35:00|thor|sif|"
	    "198.51.100.9:2003||-|refused (not-local)|");
	memset(r, 0, sizeof(*r));
	flt.user = "thor";
	flt.json = 1;
	assert_int_equal(db_history(f->d, &flt, on_row, r, &e), 0);
	assert_int_equal(r->n, 2);
	assert_non_null(strstr(r->row[0], "\"looked_up\":"
	    "\"2026-11-23T06:01:05.000Z\",\"looked_up_by\":\"sif\""));
	assert_non_null(strstr(r->row[0], "\"ending\":\"deleted\""));
	free(r);
}

/*
 * The record parser through ingest and audit --json: escapes decoded and
 * written back as the daemon writes them, unknown keys (nested too) kept
 * verbatim, and what is not strict JSON or has a wrongly typed known key
 * rejected with a reason.
 */
/* The last statement starting "WITH" that the connection ran. */
static int
last_with(unsigned type, void *arg, void *stmt, void *x)
{
	const char *sql = sqlite3_sql(stmt);

	(void)type;
	(void)x;
	if (sql != NULL && strncmp(sql, "WITH", 4) == 0)
		snprintf(arg, 8192, "%s", sql);
	return 0;
}

/*
 * rec.invite marks exactly the records that open an invitation (1) or
 * find one (2, lookup.hit), and the caller index holds only those:
 * history still looks a caller up through it (not through a scan of the
 * index or of rec), and who-called's lookups of a callee come from it.
 */
static void
test_invite_flag_and_caller_index(void **state)
{
	struct fx *f = *state;
	struct db_filter flt = { .user = "thor" };
	struct rows *r = calloc(1, sizeof(*r));
	static char sql[8192];
	char plan[4096];
	struct db_err e;

	assert_non_null(r);
	loaded(f);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM rec WHERE invite = 1"),
	    4);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM rec WHERE invite = 2"),
	    1);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM rec r JOIN strs e ON"
	    " e.id = r.ev WHERE r.invite IS NOT CASE WHEN e.s IN"
	    " ('invite.left', 'invite.refused') THEN 1 WHEN e.s = 'lookup.hit'"
	    " THEN 2 END"), 0);
	assert_non_null(strstr(qt(f->d, "SELECT sql FROM sqlite_master WHERE"
	    " name = 'rec_caller'", plan, sizeof(plan)),
	    "WHERE invite IS NOT NULL"));
	sqlite3_trace_v2(db_sqlite(f->d), SQLITE_TRACE_STMT, last_with, sql);
	assert_int_equal(db_history(f->d, &flt, on_row, r, &e), 0);
	sqlite3_trace_v2(db_sqlite(f->d), 0, NULL, NULL);
	assert_int_equal(r->n, 2);
	plan_of(f->d, sql, plan, sizeof(plan));
	assert_non_null(strstr(plan, "SEARCH r USING INDEX rec_caller"
	    " (caller=? AND invite=?)"));
	assert_null(strstr(plan, "SCAN r"));
	free(r);
}

static void
test_record_parser(void **state)
{
	static const char *const good[] = {
		"{\"v\":1,\"run\":\"p\",\"seq\":1,\"ts\":\"2026-11-23T06:00:00.5Z\","
		    "\"event\":\"x\",\"caller\":\"\\u00e9\\ud83d\\ude00\\\"\","
		    "\"extra\":{\"a\":[1,2.5e3,null,true]}}",
		"{ \"v\" : 1 , \"run\":\"p\",\"seq\":2,\"ts\":\"2026-11-23 06:00\","
		    "\"event\":\"x\",\"caller\":null,\"later\":\"k\"} ",
	};
	static const char *const bad[] = {
		"{\"v\":1,\"run\":\"p\",\"seq\":3,\"ts\":\"2026-11-23\","
		    "\"event\":\"x\",\"caller\":\"a\\u0000b\"}",
		"{\"v\":1,\"run\":\"p\",\"seq\":4,\"ts\":\"2026-11-23\","
		    "\"event\":\"x\",\"caller\":\"\\ud83d\"}",
		"{\"v\":1,\"run\":\"p\",\"seq\":5,\"ts\":\"2026-11-23\","
		    "\"event\":\"x\",\"id\":1.5}",
		"{\"v\":1,\"run\":\"p\",\"seq\":6,\"ts\":\"2026-11-23\","
		    "\"event\":\"x\"} x",
		"{\"v\":1,\"run\":\"p\",\"seq\":07,\"ts\":\"2026-11-23\","
		    "\"event\":\"x\"}",
		"{\"v\":1,\"run\":\"p\",\"seq\":8,\"ts\":\"2026-02-30\","
		    "\"event\":\"x\"}",
		"{\"v\":1,\"run\":\"p\",\"seq\":9,\"ts\":\"2026-11-23\","
		    "\"event\":\"x\",\"node\":\"\"}",
	};
	static const char *const why[] = {
		"not JSON", "not JSON", "bad \"id\"", "not JSON", "not JSON",
		"missing or bad \"ts\"", "bad \"node\"",
	};
	struct fx *f = *state;
	struct db_ingest_stats st;
	struct db_filter flt = { .json = 1 };
	struct rows *r = calloc(1, sizeof(*r));
	struct rej rj = { 0 };
	struct db_err e;
	char buf[256];
	size_t i;

	assert_non_null(r);
	open_db(f);
	for (i = 0; i < 2; i++) {
		write_file(f->jpath, i == 0 ? "w" : "a", good[i]);
		write_file(f->jpath, "a", "\n");
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(f->jpath, "a", bad[i]);
		write_file(f->jpath, "a", "\n");
	}
	ingest(f, &st, &rj);
	assert_int_equal(st.records, 2);
	assert_int_equal(st.rejects, sizeof(bad) / sizeof(bad[0]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_string_equal(rj.reason[i], why[i]);
	/* UTF-8 inside, the code point (a surrogate pair above U+FFFF). */
	assert_string_equal(qt(f->d, "SELECT caller FROM events WHERE seq = 1",
	    buf, sizeof(buf)), "\xc3\xa9\xf0\x9f\x98\x80\"");
	assert_int_equal(q1(f->d, "SELECT t FROM rec WHERE seq = 1"),
	    1795413600500000LL);
	assert_int_equal(db_audit(f->d, &flt, on_row, r, &e), 0);
	assert_int_equal(r->n, 2);
	/* In time order: seq 2 is half a second earlier. */
	assert_string_equal(r->row[1], "{\"v\":1,\"run\":\"p\",\"seq\":1,"
	    "\"ts\":\"2026-11-23T06:00:00.500000Z\",\"event\":\"x\","
	    "\"caller\":\"\\u00e9\\ud83d\\ude00\\\"\","
	    "\"extra\":{\"a\":[1,2.5e3,null,true]}}");
	assert_string_equal(r->row[0], "{\"v\":1,\"run\":\"p\",\"seq\":2,"
	    "\"ts\":\"2026-11-23T06:00:00.000000Z\",\"event\":\"x\","
	    "\"later\":\"k\"}");
	free(r);
}

/*
 * Strings are scanned eight bytes at a time: a quote, a backslash or a
 * control is found at every offset from a word's start, a byte above 0x7f
 * or a DEL is plain text, and a key is read in place unless it has an
 * escape.
 */
static void
test_record_parser_scan(void **state)
{
	static const struct {
		const char *text;	/* inside the caller's quotes */
		const char *want;	/* decoded, or NULL: rejected */
	} at[] = {
		{ "\\\"", "\"" }, { "\\\\", "\\" }, { "\t", NULL },
		{ "\x1f", NULL },
		{ "\x7f", "\x7f" }, { "\xc3\xa9", "\xc3\xa9" },
		{ "\\n", "\n" }, { "\\u0041", "A" },
	};
	static const char esc[] = "{\"\\u0076\":1,\"run\":\"p\",\"seq\":1,"
	    "\"ts\":\"2026-11-23\",\"event\":\"x\",\"calle\\u0065\":\"b\","
	    "\"\":2}";
	struct db_rec *r = malloc(sizeof(*r));
	char line[256], want[64], why[64], pad[20];
	const char *bad;
	size_t i, n;
	int len;

	(void)state;
	assert_non_null(r);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		for (n = 0; n < sizeof(pad); n++) {
			memset(pad, 'a', n);
			pad[n] = '\0';
			len = snprintf(line, sizeof(line), "{\"v\":1,\"run\":\"p\","
			    "\"seq\":1,\"ts\":\"2026-11-23\",\"event\":\"x\","
			    "\"caller\":\"%s%s%sz\"}", pad, at[i].text, pad);
			assert_true(len > 0 && (size_t)len < sizeof(line));
			bad = db_rec_parse(line, (size_t)len, r, why,
			    sizeof(why));
			if (at[i].want == NULL) {
				assert_non_null(bad);
				continue;
			}
			assert_null(bad);
			snprintf(want, sizeof(want), "%s%s%sz", pad, at[i].want,
			    pad);
			assert_string_equal(r->s[RF_CALLER], want);
			assert_int_equal(r->slen[RF_CALLER], strlen(want));
		}
	/* An escaped key is still that key; an unknown one is kept. */
	assert_null(db_rec_parse(esc, sizeof(esc) - 1, r, why, sizeof(why)));
	assert_string_equal(r->s[RF_CALLEE], "b");
	assert_string_equal(r->extra, "{\"\":2}");
	free(r);
}

static void
test_audit_order_and_raw_json(void **state)
{
	struct fx *f = *state;
	struct db_filter flt = { .json = 1 };
	struct rows *r = calloc(1, sizeof(*r));
	struct db_err e;
	char line[1100];
	FILE *fp;
	int i;

	assert_non_null(r);
	loaded(f);
	assert_int_equal(db_audit(f->d, &flt, on_row, r, &e), 0);
	assert_int_equal(r->n, 24);
	fp = fopen(fixture, "r");
	assert_non_null(fp);
	for (i = 0; i < 24; i++) {
		assert_non_null(fgets(line, sizeof(line), fp));
		line[strcspn(line, "\n")] = '\0';
		assert_string_equal(r->row[i], line);
	}
	fclose(fp);
	memset(r, 0, sizeof(*r));
	flt.json = 0;
	assert_int_equal(db_audit(f->d, &flt, on_row, r, &e), 0);
	assert_int_equal(r->n, 24);
	assert_non_null(strstr(r->row[19], "|packet.malformed|"));
	assert_non_null(strstr(r->row[19], "bad-length count 3"));
	free(r);
}

static void
test_prune(void **state)
{
	struct fx *f = *state;
	struct db_prune_stats ps;
	struct db_err e;
	double cut;

	loaded(f);
	assert_int_equal(db_parse_time("2026-11-23T06:20:00Z", 0, &cut, &e),
	    0);
	assert_int_equal(db_prune(f->d, cut, NULL, &ps, &e), 0);
	assert_int_equal(ps.events, 14);
	assert_int_equal(q1(f->d, "SELECT count(*) FROM events"), 10);
	assert_int_equal(q1(f->d, "SELECT min(seq) FROM events"), 15);
	assert_int_equal(q1(f->d, "SELECT pruned FROM runs"), 14);
	/* The names only the pruned records used are gone too. */
	assert_int_equal(q1(f->d, "SELECT count(*) FROM strs WHERE s = 'loki'"),
	    0);
	/* The journal lost them as well (it was renamed like a rotation and
	 * rewritten). */
	assert_int_equal(ps.journal_records, 14);
	assert_int_equal(ps.journal_files, 1);
	{
		struct db_ingest_stats st;
		struct rej r = { 0 };

		/* Nothing new, and nothing pruned comes back. */
		ingest(f, &st, &r);
		assert_int_equal(st.records, 0);
		assert_int_equal(q1(f->d, "SELECT count(*) FROM events"), 10);
		/* A fresh database from the journal files: the same. */
		db_close(f->d);
		f->d = NULL;
		assert_int_equal(unlink(f->dbpath), 0);
		open_db(f);
		ingest(f, &st, &r);
		assert_int_equal(st.records, 10);
		assert_int_equal(q1(f->d, "SELECT min(seq) FROM events"), 15);
		assert_int_equal(r.n, 0);
	}
}

/* ---- time arguments ------------------------------------------------------ */

static void
test_parse_time(void **state)
{
	struct db_err e;
	double t;
	time_t now = 1795416000;		/* 2026-11-23T06:40:00Z */

	(void)state;
	assert_int_equal(db_parse_time("2026-11-23", now, &t, &e), 0);
	assert_true(t == 1795392000.0);
	assert_int_equal(db_parse_time("2026-11-23T06:40:00", now, &t, &e), 0);
	assert_true(t == 1795416000.0);
	assert_int_equal(db_parse_time("2026-11-23 06:40", now, &t, &e), 0);
	assert_true(t == 1795416000.0);
	assert_int_equal(db_parse_time("2026-11-23T06:40:00Z", now, &t, &e), 0);
	assert_true(t == 1795416000.0);
	assert_int_equal(db_parse_time("now", now, &t, &e), 0);
	assert_true(t == (double)now);
	assert_int_equal(db_parse_time("today", now, &t, &e), 0);
	assert_true(t == 1795392000.0);
	assert_int_equal(db_parse_time("yesterday", now, &t, &e), 0);
	assert_true(t == 1795392000.0 - 86400);
	assert_int_equal(db_parse_time("-1h", now, &t, &e), 0);
	assert_true(t == (double)now - 3600);
	assert_int_equal(db_parse_time("-30m", now, &t, &e), 0);
	assert_true(t == (double)now - 1800);
	assert_int_equal(db_parse_time("-7d", now, &t, &e), 0);
	assert_true(t == (double)now - 7 * 86400);
	assert_int_equal(db_parse_time("-2w", now, &t, &e), 0);
	assert_true(t == (double)now - 14 * 86400);
	assert_int_equal(db_parse_time("2026-02-30", now, &t, &e), -1);
	assert_int_equal(db_parse_time("2026-11-23T24:00", now, &t, &e), -1);
	assert_int_equal(db_parse_time("tomorrow", now, &t, &e), -1);
	assert_non_null(strstr(e.msg, "bad time"));
	assert_int_equal(db_parse_time("-1x", now, &t, &e), -1);
	assert_int_equal(db_parse_time("-h", now, &t, &e), -1);
	assert_int_equal(db_parse_time("", now, &t, &e), -1);
	assert_int_equal(db_parse_time("2026-11-23T06:40:00+01", now, &t, &e),
	    -1);
	assert_int_equal(db_parse_time("-99999999999999999999d", now, &t, &e),
	    -1);
	/* The bound is on N x unit, not on N (found by fuzz_db_ingest). */
	assert_int_equal(db_parse_time("-0800006761w", now, &t, &e), -1);
	assert_int_equal(db_parse_time("-5228w", now, &t, &e), 0);
	assert_int_equal(db_parse_time("-5229w", now, &t, &e), -1);
	assert_int_equal(db_parse_time("-36600d", now, &t, &e), 0);
	assert_int_equal(db_parse_time("-36601d", now, &t, &e), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrations_set_user_version,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_is_noop, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_bad_migration_reports_position, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_database_is_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_writer_gives_wal_files_db_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_writer_leaves_linked_wal_file, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_second_open_keeps_shm_locks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ingest_fixture_rows, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ingest_unique_guard, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_half_written_line_is_left,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_corrupt_lines_skipped_and_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_first_line, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_many_runs_in_one_batch,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_batches_and_new_inode,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_who_called_outcomes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_who_called_ringing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_since_until, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_history_lifecycle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_audit_order_and_raw_json,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_parser, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_invite_flag_and_caller_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_open_is_light,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_rebuild, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_who_called_reads_indexes,
		    setup, teardown),
		cmocka_unit_test(test_record_parser_scan),
		cmocka_unit_test(test_parse_time),
	};
	const char *src = getenv("TALKD_SRCDIR");

	/* Local times in the expected rows are UTC. */
	setenv("TZ", "UTC", 1);
	tzset();
	snprintf(fixture, sizeof(fixture), "%s/tests/data/db/journal.fixture",
	    src && *src ? src : ".");
	return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
