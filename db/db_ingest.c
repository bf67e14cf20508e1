/*
 * libdb: journal ingest, exactly once.
 *
 * A journal file is known by (st_dev, st_ino, first line): the first line
 * carries the daemon's random run id, so a new file that reuses an inode
 * is a new journal.  Its row in `journals` holds the byte offset and line
 * count ingested so far, and every batch of records is inserted in the same
 * transaction that moves that offset: a kill at any moment either keeps a
 * whole batch with its offset or neither.  UNIQUE(run, seq) with INSERT OR
 * IGNORE is the second guard (a journal copied under a new identity).
 *
 * Rotation: before the journal at PATH, ingest goes through its siblings
 * PATH.1, PATH.0, then every other PATH-* and PATH.* in name order (at
 * most MAX_SIBLINGS of them), and
 * finishes the unread tail of each one whose identity it already knows
 * (a daemon may still append a record or two to the renamed file before it
 * reopens PATH).  Files it does not know are not read: they are older
 * rotations already ingested, compressed copies, or not journals.
 *
 * Records are decoded by SQLite's JSON functions; this file only frames
 * lines.  A line without its newline is left for the next run.  A corrupt
 * line is stored in `rejects`, reported once through the callback, and
 * skipped; the offset moves past it with the good records around it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "db/db_int.h"

#define MAX_SIBLINGS	256		/* rotated names looked at per run */
#define READ_CHUNK	8192

struct ingest {
	struct db *d;
	struct db_err *err;
	db_reject_fn *report;
	void *arg;
	struct db_ingest_stats *stats;
	size_t batch;
	sqlite3_stmt *check, *insert, *reject, *getoff, *setoff;
};

/* Validation: one row of facts about the record; NULL when not JSON. */
static const char check_sql[] =
	"SELECT json_valid(?1),"
	" CASE WHEN json_valid(?1) THEN json_type(?1) END,"
	" CASE WHEN json_valid(?1) THEN json_type(?1, '$.v') END,"
	" CASE WHEN json_valid(?1) THEN json_extract(?1, '$.v') END,"
	" CASE WHEN json_valid(?1) THEN json_type(?1, '$.run') END,"
	" CASE WHEN json_valid(?1) THEN json_type(?1, '$.seq') END,"
	" CASE WHEN json_valid(?1) THEN json_extract(?1, '$.seq') END,"
	" CASE WHEN json_valid(?1) THEN json_type(?1, '$.ts') END,"
	" CASE WHEN json_valid(?1) THEN"
	"   julianday(json_extract(?1, '$.ts')) END,"
	" CASE WHEN json_valid(?1) THEN json_type(?1, '$.event') END,"
	" CASE WHEN json_valid(?1) THEN length(json_extract(?1, '$.run')) END";

static const char insert_sql[] =
	"INSERT OR IGNORE INTO events (journal, line, run, seq, ts, t, event,"
	" caller, callee, src, tty, id, answer, type, rule, reason, count,"
	" host, raw) VALUES (?2, ?3,"
	" json_extract(?1, '$.run'), json_extract(?1, '$.seq'),"
	" json_extract(?1, '$.ts'),"
	" (julianday(json_extract(?1, '$.ts')) - 2440587.5) * 86400.0,"
	" json_extract(?1, '$.event'), json_extract(?1, '$.caller'),"
	" json_extract(?1, '$.callee'), json_extract(?1, '$.src'),"
	" json_extract(?1, '$.tty'), json_extract(?1, '$.id'),"
	" json_extract(?1, '$.answer'), json_extract(?1, '$.type'),"
	" json_extract(?1, '$.rule'), json_extract(?1, '$.reason'),"
	" json_extract(?1, '$.count'), json_extract(?1, '$.host'), ?1)";

static const char reject_sql[] =
	"INSERT OR IGNORE INTO rejects (journal, line, off, len, reason, raw, t)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
	" (julianday('now') - 2440587.5) * 86400.0)";

static const char getoff_sql[] =
	"SELECT off, lines FROM journals WHERE id = ?1";

static const char setoff_sql[] =
	"UPDATE journals SET off = ?2, lines = ?3, seen_as = ?4,"
	" last_t = (julianday('now') - 2440587.5) * 86400.0 WHERE id = ?1";

/*
 * Why a complete line (without its newline) is not a record, or NULL.
 * Required: v == 1, run (non-empty string), seq (integer >= 1), ts (a time
 * SQLite reads), event (string).  Other keys are taken as they come.
 */
static const char *
check_record(struct ingest *in, const char *line, size_t len, char *why,
    size_t whysz)
{
	sqlite3_stmt *st = in->check;
	const char *r = NULL;
	int rc, n;

	if (len + 1 > DB_RECORD_MAX)
		return "record longer than 1024 bytes";
	if (memchr(line, '\0', len) != NULL)
		return "NUL byte in record";
	sqlite3_reset(st);
	if (sqlite3_bind_text(st, 1, line, (int)len, SQLITE_STATIC) !=
	    SQLITE_OK)
		return "cannot bind record";
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		r = "cannot decode record";
	else if (sqlite3_column_int(st, 0) == 0)
		r = "not JSON";
	else if (sqlite3_column_type(st, 1) != SQLITE_TEXT ||
	    strcmp((const char *)sqlite3_column_text(st, 1), "object") != 0)
		r = "not a JSON object";
	else if (sqlite3_column_type(st, 2) != SQLITE_TEXT ||
	    strcmp((const char *)sqlite3_column_text(st, 2), "integer") != 0)
		r = "missing or bad \"v\"";
	else if (sqlite3_column_int64(st, 3) != 1) {
		n = snprintf(why, whysz, "unsupported format version %lld",
		    (long long)sqlite3_column_int64(st, 3));
		r = (n < 0 || (size_t)n >= whysz) ? "unsupported version" : why;
	} else if (sqlite3_column_type(st, 4) != SQLITE_TEXT ||
	    strcmp((const char *)sqlite3_column_text(st, 4), "text") != 0 ||
	    sqlite3_column_int(st, 10) == 0)
		r = "missing or bad \"run\"";
	else if (sqlite3_column_type(st, 5) != SQLITE_TEXT ||
	    strcmp((const char *)sqlite3_column_text(st, 5), "integer") != 0 ||
	    sqlite3_column_int64(st, 6) < 1)
		r = "missing or bad \"seq\"";
	else if (sqlite3_column_type(st, 7) != SQLITE_TEXT ||
	    strcmp((const char *)sqlite3_column_text(st, 7), "text") != 0 ||
	    sqlite3_column_type(st, 8) == SQLITE_NULL)
		r = "missing or bad \"ts\"";
	else if (sqlite3_column_type(st, 9) != SQLITE_TEXT ||
	    strcmp((const char *)sqlite3_column_text(st, 9), "text") != 0)
		r = "missing or bad \"event\"";
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

static int
store_record(struct ingest *in, sqlite3_int64 jid, unsigned long lineno,
    const char *line, size_t len)
{
	sqlite3_stmt *st = in->insert;
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, line, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, jid);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)lineno);
	rc = sqlite3_step(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		db_sqlerr(in->d, in->err, "insert event");
		sqlite3_reset(st);
		return -1;
	}
	if (sqlite3_changes(in->d->h) > 0)
		in->stats->records++;
	else
		in->stats->duplicates++;
	sqlite3_reset(st);
	return 0;
}

static int
store_reject(struct ingest *in, sqlite3_int64 jid, const char *name,
    unsigned long lineno, off_t off, const char *line, size_t len,
    const char *why)
{
	sqlite3_stmt *st = in->reject;
	size_t keep = len < DB_RECORD_MAX ? len : DB_RECORD_MAX;
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, jid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)lineno);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)off);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)len);
	sqlite3_bind_text(st, 5, why, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 6, line, (int)keep, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_clear_bindings(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_sqlerr(in->d, in->err, "insert reject");
		return -1;
	}
	in->stats->rejects++;
	if (in->report != NULL)
		in->report(in->arg, name, lineno, why);
	return 0;
}

static void
rollback(struct ingest *in)
{
	sqlite3_exec(in->d->h, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * A line reader over pread with a fixed buffer: lines of any length are
 * framed, but only the first cap bytes of a long one are kept (it is
 * rejected by its length anyway).
 */
struct reader {
	int fd;
	off_t pos;			/* file offset of buf[0] */
	char *buf;
	size_t len, cap;
	int eof;
};

static int
reader_fill(struct reader *r)
{
	ssize_t n;

	do
		n = pread(r->fd, r->buf + r->len, READ_CHUNK,
		    r->pos + (off_t)r->len);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (n == 0)
		r->eof = 1;
	r->len += (size_t)n;
	return 0;
}

/* The line at buf[0] does not fit: find its end in the file. */
static int
reader_long(struct reader *r, size_t *len, size_t *adv)
{
	char tmp[4096];
	off_t at = r->pos + (off_t)r->len;
	char *nl;
	ssize_t n;

	for (;;) {
		n = pread(r->fd, tmp, sizeof(tmp), at);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			r->eof = 1;	/* a long half-written last line */
			return 0;
		}
		if ((nl = memchr(tmp, '\n', (size_t)n)) != NULL) {
			*len = (size_t)(at - r->pos) + (size_t)(nl - tmp);
			*adv = *len + 1;
			return 1;
		}
		at += n;
	}
}

/*
 * Next complete line at buf[0]: *len without the newline, *adv the bytes
 * it takes in the file.  Returns 1, 0 when no complete line is left, -1 on
 * a read error.
 */
static int
reader_line(struct reader *r, size_t *len, size_t *adv)
{
	char *nl;

	for (;;) {
		if ((nl = memchr(r->buf, '\n', r->len)) != NULL) {
			*len = (size_t)(nl - r->buf);
			*adv = *len + 1;
			return 1;
		}
		if (r->eof)
			return 0;
		if (r->cap - r->len < READ_CHUNK)
			return reader_long(r, len, adv);
		if (reader_fill(r) == -1)
			return -1;
	}
}

static void
reader_skip(struct reader *r, size_t adv)
{
	if (adv >= r->len)
		r->len = 0;
	else {
		memmove(r->buf, r->buf + adv, r->len - adv);
		r->len -= adv;
	}
	r->pos += (off_t)adv;
}

/* Ingest one open journal file known as row jid, from its stored offset. */
static int
ingest_fd(struct ingest *in, sqlite3_int64 jid, int fd, const char *name)
{
	struct reader r = { .fd = fd, .pos = -1 };
	struct stat sb;
	char why[64];
	const char *reason;
	sqlite3_int64 off, lines;
	size_t len, adv, nrec;
	int rc, more = 1, ret = -1;

	r.cap = 4 * READ_CHUNK;
	if ((r.buf = malloc(r.cap)) == NULL) {
		db_seterr(in->err, name, 0, 0, "out of memory");
		return -1;
	}
	in->stats->files++;
	while (more) {
		if (db_exec(in->d, "BEGIN IMMEDIATE", in->err) == -1)
			goto out;
		/* The offset is read under the write lock: two ingests at
		 * once take turns and never read the same bytes. */
		sqlite3_reset(in->getoff);
		sqlite3_bind_int64(in->getoff, 1, jid);
		if (sqlite3_step(in->getoff) != SQLITE_ROW) {
			db_sqlerr(in->d, in->err, "journal offset");
			sqlite3_reset(in->getoff);
			rollback(in);
			goto out;
		}
		off = sqlite3_column_int64(in->getoff, 0);
		lines = sqlite3_column_int64(in->getoff, 1);
		sqlite3_reset(in->getoff);
		if (fstat(fd, &sb) == 0 && (off_t)off > sb.st_size) {
			/* Truncated in place under the same first line: read
			 * it again; UNIQUE(run, seq) drops what we have. */
			if (in->report != NULL)
				in->report(in->arg, name, 0, "file is shorter "
				    "than what was read of it; reading it again");
			off = 0;
			lines = 0;
		}
		if (r.pos != (off_t)off) {	/* first batch, or a rival */
			r.pos = (off_t)off;
			r.len = 0;
		}
		r.eof = 0;
		nrec = 0;
		more = 0;
		for (;;) {
			if (nrec == in->batch) {
				more = 1;
				break;
			}
			rc = reader_line(&r, &len, &adv);
			if (rc == -1) {
				db_seterr(in->err, name, 0, 0, "read: %s",
				    strerror(errno));
				rollback(in);
				goto out;
			}
			if (rc == 0)
				break;
			lines++;
			reason = check_record(in, r.buf, len, why, sizeof(why));
			if (reason != NULL) {
				if (store_reject(in, jid, name,
				    (unsigned long)lines, r.pos, r.buf, len,
				    reason) == -1) {
					rollback(in);
					goto out;
				}
			} else if (store_record(in, jid, (unsigned long)lines,
			    r.buf, len) == -1) {
				rollback(in);
				goto out;
			}
			nrec++;
			reader_skip(&r, adv);
		}
		sqlite3_reset(in->setoff);
		sqlite3_bind_int64(in->setoff, 1, jid);
		sqlite3_bind_int64(in->setoff, 2, (sqlite3_int64)r.pos);
		sqlite3_bind_int64(in->setoff, 3, lines);
		sqlite3_bind_text(in->setoff, 4, name, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(in->setoff);
		sqlite3_reset(in->setoff);
		sqlite3_clear_bindings(in->setoff);
		if (rc != SQLITE_DONE) {
			db_sqlerr(in->d, in->err, "journal offset");
			rollback(in);
			goto out;
		}
		if (db_exec(in->d, "COMMIT", in->err) == -1) {
			rollback(in);
			goto out;
		}
	}
	if (r.eof && r.len > 0)
		in->stats->pending += r.len;
	ret = 0;
out:
	free(r.buf);
	return ret;
}

/*
 * Read the first line of fd as the journal's fingerprint (with its newline,
 * so that an empty first line counts; at most DB_RECORD_MAX bytes of a
 * longer one).  Returns its length, 0 when there is no complete first line
 * yet, -1 on error.
 */
static ssize_t
read_head(int fd, char *head, size_t cap)
{
	ssize_t n;
	char *nl;

	do
		n = pread(fd, head, cap, 0);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return n;
	if ((nl = memchr(head, '\n', (size_t)n)) != NULL)
		return nl - head + 1;
	if ((size_t)n == cap)
		return (ssize_t)DB_RECORD_MAX;	/* a long first line */
	return 0;
}

/* The journal row of (dev, ino, head): its id, 0 when unknown, -1 on error. */
static sqlite3_int64
find_journal(struct ingest *in, const struct stat *sb, const char *head,
    size_t hlen)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 id = 0;
	int rc;

	if (db_prepare(in->d, &st, "SELECT id FROM journals WHERE dev = ?1"
	    " AND ino = ?2 AND head = ?3", in->err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)sb->st_dev);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)sb->st_ino);
	sqlite3_bind_text(st, 3, head, (int)hlen, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE) {
		db_sqlerr(in->d, in->err, "journals");
		id = -1;
	}
	sqlite3_finalize(st);
	return id;
}

static int
known_inode(struct ingest *in, const struct stat *sb)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare(in->d, &st, "SELECT 1 FROM journals WHERE dev = ?1"
	    " AND ino = ?2", in->err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)sb->st_dev);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)sb->st_ino);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	db_sqlerr(in->d, in->err, "journals");
	return -1;
}

static sqlite3_int64
add_journal(struct ingest *in, const struct stat *sb, const char *head,
    size_t hlen, const char *key, const char *name)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 id = -1;

	/* INSERT OR IGNORE then SELECT: another ingest may have added it. */
	if (db_prepare(in->d, &st, "INSERT OR IGNORE INTO journals (dev, ino,"
	    " head, path, seen_as, first_t, last_t) VALUES (?1, ?2, ?3, ?4, ?5,"
	    " (julianday('now') - 2440587.5) * 86400.0,"
	    " (julianday('now') - 2440587.5) * 86400.0)", in->err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)sb->st_dev);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)sb->st_ino);
	sqlite3_bind_text(st, 3, head, (int)hlen, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		db_sqlerr(in->d, in->err, "journals");
	else
		id = find_journal(in, sb, head, hlen);
	sqlite3_finalize(st);
	return id;
}

/*
 * Ingest the file at name.  With create, a journal not seen before gets a
 * row; without, only known journals are read (rotated siblings).
 */
static int
ingest_path(struct ingest *in, const char *name, const char *key, int create)
{
	char head[DB_RECORD_MAX + 1];
	struct stat sb;
	sqlite3_int64 jid;
	ssize_t hlen;
	int fd, k, ret = -1;

	fd = open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		if (errno == ENOENT && create)
			return 0;	/* no journal yet: nothing to do */
		if (!create)
			return 0;	/* a sibling we cannot read */
		db_seterr(in->err, name, 0, 0, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		db_seterr(in->err, name, 0, 0, "fstat: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		ret = create ? -1 : 0;
		if (create)
			db_seterr(in->err, name, 0, 0, "not a regular file");
		goto out;
	}
	if (!create) {
		/* Cheap test first: a rotated file we never saw is not read. */
		if ((k = known_inode(in, &sb)) != 1) {
			ret = k == 0 ? 0 : -1;
			goto out;
		}
	}
	if ((hlen = read_head(fd, head, sizeof(head))) == -1) {
		db_seterr(in->err, name, 0, 0, "read: %s", strerror(errno));
		goto out;
	}
	if (hlen == 0) {		/* empty, or first line still partial */
		in->stats->pending += (unsigned long)sb.st_size;
		ret = 0;
		goto out;
	}
	if ((jid = find_journal(in, &sb, head, (size_t)hlen)) == -1)
		goto out;
	if (jid == 0) {
		if (!create) {
			ret = 0;
			goto out;
		}
		if ((jid = add_journal(in, &sb, head, (size_t)hlen, key,
		    name)) == -1)
			goto out;
	}
	ret = ingest_fd(in, jid, fd, name);
out:
	close(fd);
	return ret;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
ingest_siblings(struct ingest *in, const char *path, const char *key)
{
	static const char *const first[] = { ".1", ".0" };
	char dir[PATH_MAX], full[PATH_MAX];
	char *names[MAX_SIBLINGS];
	const char *base, *slash;
	struct dirent *de;
	size_t blen, n = 0, i;
	DIR *dp;
	int len, ret = 0;

	/* The usual name of the previous journal first, looked up directly,
	 * so that no number of other rotations can hide it. */
	for (i = 0; i < 2 && ret == 0; i++) {
		len = snprintf(full, sizeof(full), "%s%s", path, first[i]);
		if (len >= 0 && (size_t)len < sizeof(full))
			ret = ingest_path(in, full, key, 0);
	}
	if (ret != 0)
		return ret;
	slash = strrchr(path, '/');
	if (slash == NULL) {
		len = snprintf(dir, sizeof(dir), ".");
		base = path;
	} else {
		len = snprintf(dir, sizeof(dir), "%.*s",
		    (int)(slash == path ? 1 : slash - path), path);
		base = slash + 1;
	}
	if (len < 0 || (size_t)len >= sizeof(dir))
		return 0;
	blen = strlen(base);
	if (blen == 0 || (dp = opendir(dir)) == NULL)
		return 0;
	while (n < MAX_SIBLINGS && (de = readdir(dp)) != NULL) {
		if (strncmp(de->d_name, base, blen) != 0 ||
		    (de->d_name[blen] != '.' && de->d_name[blen] != '-') ||
		    de->d_name[blen + 1] == '\0' ||
		    strcmp(de->d_name + blen, ".1") == 0 ||
		    strcmp(de->d_name + blen, ".0") == 0)
			continue;
		if ((names[n] = strdup(de->d_name)) == NULL)
			break;
		n++;
	}
	closedir(dp);
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (i = 0; i < n && ret == 0; i++) {
		len = snprintf(full, sizeof(full), "%s/%s", dir, names[i]);
		if (len >= 0 && (size_t)len < sizeof(full))
			ret = ingest_path(in, full, key, 0);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	return ret;
}

int
db_ingest(struct db *d, const char *path, size_t batch, db_reject_fn *report,
    void *arg, struct db_ingest_stats *stats, struct db_err *err)
{
	struct db_ingest_stats dummy;
	struct ingest in = { 0 };

	if (stats == NULL)
		stats = &dummy;
	memset(stats, 0, sizeof(*stats));
	in.d = d;
	in.err = err;
	in.report = report;
	in.arg = arg;
	in.stats = stats;
	in.batch = batch ? batch : DB_BATCH;
	if (db_cached(d, ST_CHECK, check_sql, &in.check, err) == -1 ||
	    db_cached(d, ST_INSERT, insert_sql, &in.insert, err) == -1 ||
	    db_cached(d, ST_REJECT, reject_sql, &in.reject, err) == -1 ||
	    db_cached(d, ST_GETOFF, getoff_sql, &in.getoff, err) == -1 ||
	    db_cached(d, ST_SETOFF, setoff_sql, &in.setoff, err) == -1)
		return -1;
	if (ingest_siblings(&in, path, path) == -1 ||
	    ingest_path(&in, path, path, 1) == -1)
		return -1;
	return 0;
}
