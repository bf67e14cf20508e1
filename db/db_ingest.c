/*
 * libdb: journal ingest, exactly once, at speed.
 *
 * A journal file is known by (st_dev, st_ino, first line): the first line
 * carries the daemon's random run id, so a new file that reuses an inode
 * is a new journal.  Its row in `journals` holds the byte offset and line
 * count ingested so far, and every batch of records is inserted in the same
 * transaction that moves that offset: a kill at any moment either keeps a
 * whole batch with its offset or neither.  UNIQUE(run, seq) with INSERT OR
 * IGNORE is the second guard (a journal copied under a new identity, or a
 * record shipped through two paths); runs.pruned the third (what prune
 * forgot never comes back).
 *
 * Rotation: before the journal at PATH, ingest goes through its siblings
 * PATH.1, PATH.0, then every other PATH-* and PATH.* in name order (at
 * most MAX_SIBLINGS of them).  A sibling it knows is read from its offset;
 * one it does not know is read from the start when its first line is a
 * journal record (it was rotated more than once between two ingests);
 * anything else (compressed copies, empty files) is left alone.
 *
 * Records are parsed by db_rec.c; texts are interned in `strs` through a
 * hash table that lives for one db_ingest call and is dropped whenever
 * another connection committed meanwhile (PRAGMA data_version).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "db/db_int.h"

#define MAX_SIBLINGS	256		/* rotated names looked at per run */
#define READ_CHUNK	65536
#define BULK_BYTES	(16 * 1024 * 1024)	/* see ingest_fd */

struct istr {				/* one interned text */
	char *s;
	size_t len;
	sqlite3_int64 id;
};

struct irun {				/* one (node, run) touched */
	char *node, *run;
	sqlite3_int64 id, pruned, min, max, n, missing;
	int has_min, dirty;
};

#define MULTI		16		/* records per INSERT statement */
#define NCOL		21		/* values per record */

/* A record waiting for its INSERT: its values, 0 in null[] or not. */
struct pending {
	sqlite3_int64 v[NCOL];
	unsigned char null[NCOL];
	char *extra;			/* col 21, or NULL */
	size_t extralen;
	char extrabuf[DB_RECORD_MAX];
};

struct ingest {
	struct db *d;
	struct db_err *err;
	db_reject_fn *report;
	void *arg;
	struct db_ingest_stats *stats;
	size_t batch;
	int grow;			/* batch doubles up to DB_BATCH_MAX */
	int shipped;			/* --from: syslog headers allowed */
	sqlite3_stmt *insert, *reject, *getoff, *setoff, *str_get, *str_add,
	    *run_get, *run_add, *run_set, *meta_get, *meta_set, *begin,
	    *commit, *data_version_get, *journal_get, *journal_add;
	struct istr *strs;		/* open addressing, nstr_cap a power of 2 */
	size_t nstr, nstr_cap;
	struct irun *runs;
	size_t nrun, nrun_cap, lastrun;
	sqlite3_int64 rid;		/* last rid handed out */
	sqlite3_stmt *insert_multi;	/* MULTI records at once */
	struct pending pend[MULTI];	/* records of pend_run not inserted yet */
	size_t npend;
	size_t pend_run;		/* their run: an index, runs moves */
	int data_version;
	int trust_set;			/* siblings must be trust_uid's or root's */
	uid_t trust_uid;
	struct db_rec rec;		/* last: ingest_init clears all but it */
};

static const char insert_sql[] =
	"INSERT OR IGNORE INTO rec (rid, run, seq, t, ev, caller, callee, addr,"
	" port, tty, id, answer, type, rule, reason, count, host, msg, new,"
	" invite, extra) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	" ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)";

/* insert_sql with MULTI value lists, made once (db_ingest_init). */
static char insert_multi_sql[sizeof(insert_sql) + MULTI * 8 * NCOL];

static void
make_multi_sql(void)
{
	char *o = insert_multi_sql;
	const char *v = strstr(insert_sql, " VALUES ");
	size_t n = (size_t)(v - insert_sql) + 8;
	int i, j, k;

	if (insert_multi_sql[0] != '\0')
		return;
	memcpy(o, insert_sql, n);
	o += n;
	for (i = 0; i < MULTI; i++) {
		*o++ = i ? ',' : '(';
		if (i)
			*o++ = '(';
		for (j = 1; j <= NCOL; j++) {
			k = snprintf(o, 12, "?%d%s", i * NCOL + j,
			    j < NCOL ? "," : ")");
			o += k;
		}
	}
	*o = '\0';
}

static const char reject_sql[] =
	"INSERT OR IGNORE INTO rejects (journal, line, off, len, reason, raw, t)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
	" (julianday('now') - 2440587.5) * 86400.0)";

static const char getoff_sql[] =
	"SELECT off, lines FROM journals WHERE id = ?1";

static const char setoff_sql[] =
	"UPDATE journals SET off = ?2, lines = ?3, seen_as = ?4,"
	" last_t = (julianday('now') - 2440587.5) * 86400.0 WHERE id = ?1";

static const char str_get_sql[] = "SELECT id FROM strs WHERE s = ?1";
static const char str_add_sql[] = "INSERT INTO strs (s) VALUES (?1)";
static const char run_get_sql[] =
	"SELECT id, pruned, min_seq, max_seq, n, missing FROM runs"
	" WHERE node = ?1 AND run = ?2";
static const char run_add_sql[] = "INSERT INTO runs (node, run) VALUES (?1, ?2)";
static const char run_set_sql[] =
	"UPDATE runs SET min_seq = ?2, max_seq = ?3, n = ?4, missing = ?5"
	" WHERE id = ?1";
static const char meta_get_sql[] =
	"SELECT max(coalesce((SELECT v FROM meta WHERE k = 'rid'), 0),"
	" coalesce((SELECT max(rid) FROM rec), 0))";
static const char meta_set_sql[] =
	"INSERT OR REPLACE INTO meta (k, v) VALUES ('rid', ?1)";
static const char journal_get_sql[] =
	"SELECT id FROM journals WHERE dev = ?1 AND ino = ?2 AND head = ?3";
/* INSERT OR IGNORE then SELECT: another ingest may have added it. */
static const char journal_add_sql[] =
	"INSERT OR IGNORE INTO journals (dev, ino, head, path, seen_as,"
	" first_t, last_t) VALUES (?1, ?2, ?3, ?4, ?5,"
	" (julianday('now') - 2440587.5) * 86400.0,"
	" (julianday('now') - 2440587.5) * 86400.0)";

static uint64_t
hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static void
forget_caches(struct ingest *in)
{
	size_t i;

	for (i = 0; i < in->nstr_cap; i++)
		free(in->strs[i].s);
	free(in->strs);
	in->strs = NULL;
	in->nstr = in->nstr_cap = 0;
	for (i = 0; i < in->nrun; i++) {
		free(in->runs[i].node);
		free(in->runs[i].run);
	}
	free(in->runs);
	in->runs = NULL;
	in->nrun = in->nrun_cap = in->lastrun = 0;
	in->npend = 0;
	in->pend_run = 0;
}

static int
str_grow(struct ingest *in)
{
	struct istr *old = in->strs, *n;
	size_t oldcap = in->nstr_cap, cap = oldcap ? oldcap * 2 : 1024, i, j;

	if ((n = calloc(cap, sizeof(*n))) == NULL)
		return -1;
	for (i = 0; i < oldcap; i++) {
		if (old[i].s == NULL)
			continue;
		j = hash(old[i].s, old[i].len) & (cap - 1);
		while (n[j].s != NULL)
			j = (j + 1) & (cap - 1);
		n[j] = old[i];
	}
	free(old);
	in->strs = n;
	in->nstr_cap = cap;
	return 0;
}

/* The strs id of s (added when new), or -1 with in->err set. */
static sqlite3_int64
intern(struct ingest *in, const char *s, size_t len)
{
	sqlite3_stmt *st;
	struct istr *e;
	size_t j;
	int rc;

	if (in->nstr * 2 >= in->nstr_cap && str_grow(in) == -1)
		goto oom;
	j = hash(s, len) & (in->nstr_cap - 1);
	for (e = &in->strs[j]; e->s != NULL; e = &in->strs[j]) {
		if (e->len == len && memcmp(e->s, s, len) == 0)
			return e->id;
		j = (j + 1) & (in->nstr_cap - 1);
	}
	st = in->str_get;
	sqlite3_bind_text(st, 1, s, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		e->id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE) {
		st = in->str_add;
		sqlite3_bind_text(st, 1, s, (int)len, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		e->id = sqlite3_last_insert_rowid(in->d->h);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_sqlerr(in->d, in->err, "strs");
		return -1;
	}
	if ((e->s = malloc(len + 1)) == NULL)
		goto oom;
	memcpy(e->s, s, len);
	e->s[len] = '\0';
	e->len = len;
	in->nstr++;
	return e->id;
oom:
	db_seterr(in->err, NULL, 0, 0, "out of memory");
	return -1;
}

/* The run entry of (node, run), loaded or added; NULL on error. */
static struct irun *
find_run(struct ingest *in, const char *node, const char *run)
{
	struct irun *r, *nr;
	sqlite3_int64 nid;
	sqlite3_stmt *st = in->run_get;
	size_t i;
	int rc;

	if (in->nrun > 0) {
		r = &in->runs[in->lastrun];
		if (strcmp(r->run, run) == 0 && strcmp(r->node, node) == 0)
			return r;
	}
	for (i = 0; i < in->nrun; i++)
		if (strcmp(in->runs[i].run, run) == 0 &&
		    strcmp(in->runs[i].node, node) == 0) {
			in->lastrun = i;
			return &in->runs[i];
		}
	if ((nid = intern(in, node, strlen(node))) == -1)
		return NULL;
	if (in->nrun == in->nrun_cap) {
		in->nrun_cap = in->nrun_cap ? in->nrun_cap * 2 : 8;
		nr = reallocarray(in->runs, in->nrun_cap, sizeof(*nr));
		if (nr == NULL)
			goto oom;
		in->runs = nr;
	}
	r = &in->runs[in->nrun];
	memset(r, 0, sizeof(*r));
	sqlite3_bind_int64(st, 1, nid);
	sqlite3_bind_text(st, 2, run, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->id = sqlite3_column_int64(st, 0);
		r->pruned = sqlite3_column_int64(st, 1);
		r->has_min = sqlite3_column_type(st, 2) != SQLITE_NULL;
		r->min = sqlite3_column_int64(st, 2);
		r->max = sqlite3_column_int64(st, 3);
		r->n = sqlite3_column_int64(st, 4);
		r->missing = sqlite3_column_int64(st, 5);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE) {
		st = in->run_add;
		sqlite3_bind_int64(st, 1, nid);
		sqlite3_bind_text(st, 2, run, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		r->id = sqlite3_last_insert_rowid(in->d->h);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_sqlerr(in->d, in->err, "runs");
		return NULL;
	}
	r->node = strdup(node);
	r->run = strdup(run);
	if (r->node == NULL || r->run == NULL) {
		free(r->node);
		free(r->run);
		goto oom;
	}
	in->lastrun = in->nrun++;
	return r;
oom:
	db_seterr(in->err, NULL, 0, 0, "out of memory");
	return NULL;
}

static int flush_pending(struct ingest *);
static int ingest_prepare(struct ingest *);

/* Run one of the statements without rows (BEGIN, COMMIT).  0 or -1. */
static int
run(struct ingest *in, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		db_sqlerr(in->d, in->err, what);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Start a batch: the write lock, then fresh caches if anyone wrote. */
static int
batch_begin(struct ingest *in)
{
	int v = -1;

	if (run(in, in->begin, "BEGIN IMMEDIATE") == -1)
		return -1;
	if (sqlite3_step(in->data_version_get) == SQLITE_ROW)
		v = sqlite3_column_int(in->data_version_get, 0);
	sqlite3_reset(in->data_version_get);
	if (v != in->data_version || v == -1)
		forget_caches(in);
	in->data_version = v;
	if (sqlite3_step(in->meta_get) != SQLITE_ROW) {
		db_sqlerr(in->d, in->err, "meta");
		sqlite3_reset(in->meta_get);
		return -1;
	}
	in->rid = sqlite3_column_int64(in->meta_get, 0);
	sqlite3_reset(in->meta_get);
	return 0;
}

/* Write back what the batch changed, before its COMMIT. */
static int
batch_flush(struct ingest *in)
{
	struct irun *r;
	size_t i;
	int rc;

	if (flush_pending(in) == -1)
		return -1;
	for (i = 0; i < in->nrun; i++) {
		r = &in->runs[i];
		if (!r->dirty)
			continue;
		sqlite3_bind_int64(in->run_set, 1, r->id);
		if (r->has_min)
			sqlite3_bind_int64(in->run_set, 2, r->min);
		else
			sqlite3_bind_null(in->run_set, 2);
		sqlite3_bind_int64(in->run_set, 3, r->max);
		sqlite3_bind_int64(in->run_set, 4, r->n);
		sqlite3_bind_int64(in->run_set, 5, r->missing);
		rc = sqlite3_step(in->run_set);
		sqlite3_reset(in->run_set);
		if (rc != SQLITE_DONE) {
			db_sqlerr(in->d, in->err, "runs");
			return -1;
		}
		r->dirty = 0;
	}
	sqlite3_bind_int64(in->meta_set, 1, in->rid);
	rc = sqlite3_step(in->meta_set);
	sqlite3_reset(in->meta_set);
	if (rc != SQLITE_DONE) {
		db_sqlerr(in->d, in->err, "meta");
		return -1;
	}
	return 0;
}

/* After a rollback the caches may hold ids that were never committed. */
static void
rollback(struct ingest *in)
{
	sqlite3_exec(in->d->h, "ROLLBACK", NULL, NULL, NULL);
	forget_caches(in);
	in->data_version = -1;
}

/*
 * "a.b.c.d:port" -> address and port; anything else (a /24, no port) is
 * all address.  The port must be written as the daemon writes it (no
 * leading zero, at most 65535) so that the record is rebuilt exactly.
 */
static int
split_src(const char *s, size_t len, size_t *alen)
{
	const char *c = memrchr(s, ':', len);
	size_t i, n;
	long port = 0;

	*alen = len;
	if (c == NULL || c == s)
		return -1;
	n = len - (size_t)(c - s) - 1;
	if (n == 0 || n > 5 || (c[1] == '0' && n > 1))
		return -1;
	for (i = 1; i <= n; i++) {
		if (c[i] < '0' || c[i] > '9')
			return -1;
		port = port * 10 + (c[i] - '0');
	}
	if (port > 65535)
		return -1;
	*alen = (size_t)(c - s);
	return (int)port;
}

/* Bind pending record p as values 1 + off .. NCOL + off of st. */
static void
bind_pending(sqlite3_stmt *st, int off, const struct pending *p)
{
	int i;

	for (i = 0; i < NCOL - 1; i++) {
		if (p->null[i])
			sqlite3_bind_null(st, off + i + 1);
		else
			sqlite3_bind_int64(st, off + i + 1, p->v[i]);
	}
	if (p->extra != NULL)
		sqlite3_bind_text(st, off + NCOL, p->extra, (int)p->extralen,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, off + NCOL);
}

/*
 * Insert the pending records, MULTI at once when there are that many.
 * OR IGNORE drops duplicates; they only leave a gap in rid, which only
 * has to grow.  All pending records are of one run.
 */
static int
flush_pending(struct ingest *in)
{
	struct irun *ru;
	sqlite3_stmt *st;
	size_t i, n = in->npend, stored = 0;
	int rc;

	if (n == 0)
		return 0;
	ru = &in->runs[in->pend_run];
	in->npend = 0;
	if (n == MULTI) {
		st = in->insert_multi;
		for (i = 0; i < n; i++)
			bind_pending(st, (int)i * NCOL, &in->pend[i]);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			goto fail;
		stored = (size_t)sqlite3_changes(in->d->h);
	} else {
		for (i = 0; i < n; i++) {
			bind_pending(in->insert, 0, &in->pend[i]);
			rc = sqlite3_step(in->insert);
			sqlite3_reset(in->insert);
			if (rc != SQLITE_DONE)
				goto fail;
			stored += (size_t)sqlite3_changes(in->d->h);
		}
	}
	in->rid += (sqlite3_int64)n;
	in->stats->records += stored;
	in->stats->duplicates += n - stored;
	if (stored > 0) {
		/* The duplicates are stored records: inside [min, max]. */
		for (i = 0; i < n; i++) {
			if (!ru->has_min || in->pend[i].v[2] < ru->min)
				ru->min = in->pend[i].v[2];
			if (!ru->has_min || in->pend[i].v[2] > ru->max)
				ru->max = in->pend[i].v[2];
			ru->has_min = 1;
		}
		ru->n += (sqlite3_int64)stored;
		ru->dirty = 1;
	}
	return 0;
fail:
	db_sqlerr(in->d, in->err, "insert record");
	return -1;
}

/* Column of each interned text field, 0-based (col_field[i] for i + 1). */
static const int col_field[NCOL] = {
	[4] = RF_EVENT, [5] = RF_CALLER, [6] = RF_CALLEE, [9] = RF_TTY,
	[11] = RF_ANSWER, [12] = RF_TYPE, [13] = RF_RULE, [14] = RF_REASON,
	[16] = RF_HOST, [17] = RF_MSG,
};

/*
 * rec.invite: 1 for a record that opens an invitation (invite.left,
 * invite.refused), 2 for one that finds it (lookup.hit), else 0 (NULL).
 * schema/003-invite.sql, 004-calls.sql.
 */
static int
invite_part(const char *ev, size_t len)
{
	if ((len == 11 && memcmp(ev, "invite.left", 11) == 0) ||
	    (len == 14 && memcmp(ev, "invite.refused", 14) == 0))
		return 1;
	return len == 10 && memcmp(ev, "lookup.hit", 10) == 0 ? 2 : 0;
}

static int
store_record(struct ingest *in)
{
	struct db_rec *r = &in->rec;
	struct pending *p;
	struct irun *ru;
	sqlite3_int64 id;
	size_t alen;
	int i, port;

	ru = find_run(in, r->s[RF_NODE] ? r->s[RF_NODE] : in->d->node,
	    r->s[RF_RUN]);
	if (ru == NULL)
		return -1;
	if (r->seq <= ru->pruned) {
		in->stats->forgotten++;
		return 0;
	}
	/* (find_run may have moved the runs, which pend_run indexes) */
	if ((ru != &in->runs[in->pend_run] || in->npend == MULTI) &&
	    flush_pending(in) == -1)
		return -1;
	in->pend_run = (size_t)(ru - in->runs);
	p = &in->pend[in->npend];
	memset(p->null, 1, sizeof(p->null));
	p->v[0] = in->rid + (sqlite3_int64)in->npend + 1;
	p->v[1] = ru->id;
	p->v[2] = r->seq;
	p->v[3] = r->t_us;
	p->null[0] = p->null[1] = p->null[2] = p->null[3] = 0;
	for (i = 4; i < NCOL; i++) {
		if (col_field[i] == 0 || r->s[col_field[i]] == NULL)
			continue;
		if ((id = intern(in, r->s[col_field[i]],
		    r->slen[col_field[i]])) == -1)
			return -1;
		p->v[i] = id;
		p->null[i] = 0;
	}
	if (r->s[RF_SRC] != NULL) {
		port = split_src(r->s[RF_SRC], r->slen[RF_SRC], &alen);
		if ((id = intern(in, r->s[RF_SRC], alen)) == -1)
			return -1;
		p->v[7] = id;
		p->null[7] = 0;
		if (port >= 0) {
			p->v[8] = port;
			p->null[8] = 0;
		}
	}
	if (r->has_id) {
		p->v[10] = r->id;
		p->null[10] = 0;
	}
	if (r->has_count) {
		p->v[15] = r->count;
		p->null[15] = 0;
	}
	if (r->isnew >= 0) {
		p->v[18] = r->isnew;
		p->null[18] = 0;
	}
	if ((p->v[19] = invite_part(r->s[RF_EVENT], r->slen[RF_EVENT])) != 0)
		p->null[19] = 0;
	p->extra = NULL;
	if (r->extra != NULL && r->extralen <= sizeof(p->extrabuf)) {
		memcpy(p->extrabuf, r->extra, r->extralen);
		p->extra = p->extrabuf;
		p->extralen = r->extralen;
	}
	in->npend++;
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

	sqlite3_bind_int64(st, 1, jid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)lineno);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)off);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)len);
	sqlite3_bind_text(st, 5, why, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 6, line, (int)keep, SQLITE_STATIC);
	rc = sqlite3_step(st);
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

/* One complete line: a record, or a reject.  0 or -1. */
static int
take_line(struct ingest *in, sqlite3_int64 jid, const char *name,
    unsigned long lineno, off_t off, const char *line, size_t len)
{
	const char *reason, *p = NULL;
	char why[64];

	if (in->shipped)
		p = db_rec_start(line, len);
	if (p == NULL)
		p = line;
	reason = db_rec_parse(p, len - (size_t)(p - line), &in->rec, why,
	    sizeof(why));
	if (reason != NULL)
		return store_reject(in, jid, name, lineno, off, line, len,
		    reason);
	return store_record(in);
}

/*
 * A line reader over pread with a fixed buffer: lines of any length are
 * framed, but only the first bytes of a long one are kept (it is rejected
 * by its length anyway).  The data is buf[start .. start + len); it moves
 * to the front only when a read needs the room.
 */
struct reader {
	int fd;
	off_t pos;			/* file offset of buf[start] */
	char *buf;
	size_t start, len, cap;
	size_t chunk;			/* bytes a read asks for; cap is 4 x */
	int eof;
};

static int
reader_fill(struct reader *r)
{
	ssize_t n;

	if (r->start + r->len + r->chunk > r->cap) {
		memmove(r->buf, r->buf + r->start, r->len);
		r->start = 0;
	}
	do
		n = pread(r->fd, r->buf + r->start + r->len, r->chunk,
		    r->pos + (off_t)r->len);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (n == 0)
		r->eof = 1;
	r->len += (size_t)n;
	return 0;
}

/* The line at the start does not fit: find its end in the file. */
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
 * Next complete line at reader_at(): *len without the newline, *adv the
 * bytes it takes in the file.  Returns 1, 0 when no complete line is left,
 * -1 on a read error.
 */
static int
reader_line(struct reader *r, size_t *len, size_t *adv)
{
	char *nl;

	for (;;) {
		if ((nl = memchr(r->buf + r->start, '\n', r->len)) != NULL) {
			*len = (size_t)(nl - (r->buf + r->start));
			*adv = *len + 1;
			return 1;
		}
		if (r->eof)
			return 0;
		if (r->cap - r->len < r->chunk)
			return reader_long(r, len, adv);
		if (reader_fill(r) == -1)
			return -1;
	}
}

static const char *
reader_at(const struct reader *r)
{
	return r->buf + r->start;
}

static void
reader_skip(struct reader *r, size_t adv)
{
	if (adv >= r->len) {
		r->start = 0;
		r->len = 0;
	} else {
		r->start += adv;
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
	sqlite3_int64 off, off0, lines;
	size_t len, adv, nrec;
	int rc, more = 1, ret = -1, bulk = 0, first = 1;

	/* Nothing new (the common case for a query): no write at all. */
	memset(&sb, 0, sizeof(sb));
	sqlite3_bind_int64(in->getoff, 1, jid);
	if (sqlite3_step(in->getoff) != SQLITE_ROW || fstat(fd, &sb) == -1)
		off0 = 0;
	else if ((off0 = sqlite3_column_int64(in->getoff, 0)) ==
	    (sqlite3_int64)sb.st_size) {
		sqlite3_reset(in->getoff);
		return 0;
	}
	sqlite3_reset(in->getoff);
	if (ingest_prepare(in) == -1)
		return -1;
	/*
	 * Reads of READ_CHUNK, or of what is new rounded up to a page when
	 * that is less: a query's ingest of a few new records allocates
	 * and touches a few pages, not 256 KB.  (A file that grows
	 * meanwhile is read on in those smaller chunks.)
	 */
	r.chunk = READ_CHUNK;
	if (sb.st_size >= (off_t)off0 &&
	    sb.st_size - (off_t)off0 < (off_t)READ_CHUNK)
		r.chunk = ((size_t)(sb.st_size - (off_t)off0) | 4095) + 1;
	r.cap = 4 * r.chunk;
	if ((r.buf = malloc(r.cap)) == NULL) {
		db_seterr(in->err, name, 0, 0, "out of memory");
		return -1;
	}
	in->stats->files++;
	while (more) {
		if (batch_begin(in) == -1) {
			rollback(in);
			goto out;
		}
		/*
		 * A large backlog (at least BULK_BYTES, and at least half as
		 * many records as are stored): building the secondary indexes
		 * once at the end is several times cheaper than keeping them
		 * up to date.  Queries meanwhile are slow, not wrong; a kill
		 * leaves them to the next db_open.
		 */
		if (first && sb.st_size - (off_t)off0 >= BULK_BYTES &&
		    (sb.st_size - (off_t)off0) / 200 >= in->rid / 2) {
			if (db_exec(in->d, db_rec_noindexes_sql, in->err) == -1) {
				rollback(in);
				goto out;
			}
			bulk = 1;
		}
		first = 0;
		/* The offset is read under the write lock: two ingests at
		 * once take turns and never read the same bytes. */
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
			r.start = 0;
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
			if (take_line(in, jid, name, (unsigned long)lines,
			    r.pos, reader_at(&r), len) == -1) {
				rollback(in);
				goto out;
			}
			nrec++;
			reader_skip(&r, adv);
		}
		sqlite3_bind_int64(in->setoff, 1, jid);
		sqlite3_bind_int64(in->setoff, 2, (sqlite3_int64)r.pos);
		sqlite3_bind_int64(in->setoff, 3, lines);
		sqlite3_bind_text(in->setoff, 4, name, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(in->setoff);
		sqlite3_reset(in->setoff);
		if (rc != SQLITE_DONE) {
			db_sqlerr(in->d, in->err, "journal offset");
			rollback(in);
			goto out;
		}
		if (batch_flush(in) == -1 ||
		    run(in, in->commit, "COMMIT") == -1) {
			rollback(in);
			goto out;
		}
		if (in->grow && in->batch < DB_BATCH_MAX)
			in->batch *= 2;
	}
	if (r.eof && r.len > 0)
		in->stats->pending += r.len;
	ret = 0;
out:
	if (bulk && db_index(in->d, ret == 0 ? in->err : NULL) == -1)
		ret = -1;
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
	sqlite3_stmt *st;
	sqlite3_int64 id = 0;
	int rc;

	if (db_cached(in->d, ST_JOURNAL_GET, journal_get_sql,
	    &in->journal_get, in->err) == -1)
		return -1;
	st = in->journal_get;
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
	sqlite3_reset(st);
	return id;
}

static sqlite3_int64
add_journal(struct ingest *in, const struct stat *sb, const char *head,
    size_t hlen, const char *key, const char *name)
{
	sqlite3_stmt *st;
	int rc;

	if (db_cached(in->d, ST_JOURNAL_ADD, journal_add_sql,
	    &in->journal_add, in->err) == -1)
		return -1;
	st = in->journal_add;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)sb->st_dev);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)sb->st_ino);
	sqlite3_bind_text(st, 3, head, (int)hlen, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		db_sqlerr(in->d, in->err, "journals");
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? find_journal(in, sb, head, hlen) : -1;
}

/* Is the first line of an unknown rotated file a journal record? */
static int
head_is_record(struct ingest *in, const char *head, size_t hlen)
{
	char why[64];

	if (hlen == 0 || head[hlen - 1] != '\n')
		return 0;
	return db_rec_parse(head, hlen - 1, &in->rec, why, sizeof(why)) ==
	    NULL;
}

/*
 * A rotated copy is read only when the journal's writer wrote it: its
 * owner is root or the live journal's (else its folder's) owner, and
 * nobody else may write it.  Anyone else who can create files in the
 * folder (its group: tty, by default) could otherwise slip in records
 * that look real.  A refused file is reported, counted and left alone.
 */
static int
sibling_trusted(struct ingest *in, const char *name, const struct stat *sb)
{
	char why[160];

	if (!in->trust_set || ((sb->st_uid == 0 ||
	    sb->st_uid == in->trust_uid) &&
	    (sb->st_mode & (S_IWGRP | S_IWOTH)) == 0))
		return 1;
	(void)snprintf(why, sizeof(why), "skipped: not the journal's own "
	    "(owner uid %lu, mode %04o; ingest reads rotated journals of uid "
	    "%lu or root, writable by their owner only)",
	    (unsigned long)sb->st_uid, (unsigned)(sb->st_mode & 07777),
	    (unsigned long)in->trust_uid);
	if (in->report != NULL)
		in->report(in->arg, name, 0, why);
	in->stats->untrusted++;
	return 0;
}

/*
 * Ingest the open file fd at name.  With create, a journal not seen before
 * gets a row; without (a rotated sibling), an unknown file gets one only
 * when its first line is a journal record.
 */
static int
ingest_open(struct ingest *in, int fd, const char *name, const char *key,
    int create)
{
	char head[DB_RECORD_MAX + 1];
	struct stat sb;
	sqlite3_int64 jid;
	ssize_t hlen;

	if (fstat(fd, &sb) == -1) {
		db_seterr(in->err, name, 0, 0, "fstat: %s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		if (!create)
			return 0;
		db_seterr(in->err, name, 0, 0, "not a regular file");
		return -1;
	}
	if (!create && !sibling_trusted(in, name, &sb))
		return 0;
	if ((hlen = read_head(fd, head, sizeof(head))) == -1) {
		db_seterr(in->err, name, 0, 0, "read: %s", strerror(errno));
		return -1;
	}
	if (hlen == 0) {		/* empty, or first line still partial */
		if (create)
			in->stats->pending += (unsigned long)sb.st_size;
		return 0;
	}
	if ((jid = find_journal(in, &sb, head, (size_t)hlen)) == -1)
		return -1;
	if (jid == 0) {
		if (!create && !head_is_record(in, head, (size_t)hlen))
			return 0;
		if ((jid = add_journal(in, &sb, head, (size_t)hlen, key,
		    name)) == -1)
			return -1;
	}
	return ingest_fd(in, jid, fd, name);
}

/* Whose rotated journals to trust: the live journal's owner, else its
 * folder's.  Neither there: no rotated copies are read at all. */
static void
trust_owner(struct ingest *in, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat sb;

	in->trust_set = 1;
	in->trust_uid = 0;
	if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
		in->trust_uid = sb.st_uid;
		return;
	}
	if (slash == NULL)
		(void)snprintf(dir, sizeof(dir), ".");
	else
		(void)snprintf(dir, sizeof(dir), "%.*s",
		    (int)(slash == path ? 1 : slash - path), path);
	if (stat(dir, &sb) == 0)
		in->trust_uid = sb.st_uid;
}

static int
ingest_path(struct ingest *in, const char *name, const char *key, int create)
{
	int fd, ret;

	fd = open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		if (errno == ENOENT && create)
			return 0;	/* no journal yet: nothing to do */
		if (!create)
			return 0;	/* a sibling we cannot read */
		db_seterr(in->err, name, 0, 0, "%s", strerror(errno));
		return -1;
	}
	ret = ingest_open(in, fd, name, key, create);
	close(fd);
	return ret;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
db_siblings(const char *path, char ***out, size_t *nout)
{
	static const char *const first[] = { ".1", ".0" };
	char dir[PATH_MAX], full[PATH_MAX];
	char **names;
	const char *base, *slash;
	struct dirent *de;
	size_t blen, n = 0, i;
	DIR *dp;
	int len;

	*out = NULL;
	*nout = 0;
	if ((names = calloc(MAX_SIBLINGS + 2, sizeof(*names))) == NULL)
		return -1;
	/* The usual names of the previous journal first, looked up
	 * directly, so that no number of other rotations can hide them. */
	for (i = 0; i < 2; i++) {
		len = snprintf(full, sizeof(full), "%s%s", path, first[i]);
		if (len >= 0 && (size_t)len < sizeof(full) &&
		    (names[n] = strdup(full)) != NULL)
			n++;
	}
	slash = strrchr(path, '/');
	if (slash == NULL) {
		len = snprintf(dir, sizeof(dir), ".");
		base = path;
	} else {
		len = snprintf(dir, sizeof(dir), "%.*s",
		    (int)(slash == path ? 1 : slash - path), path);
		base = slash + 1;
	}
	blen = strlen(base);
	if (len < 0 || (size_t)len >= sizeof(dir) || blen == 0 ||
	    (dp = opendir(dir)) == NULL)
		goto done;
	while (n < MAX_SIBLINGS + 2 && (de = readdir(dp)) != NULL) {
		if (strncmp(de->d_name, base, blen) != 0 ||
		    (de->d_name[blen] != '.' && de->d_name[blen] != '-') ||
		    de->d_name[blen + 1] == '\0' ||
		    strcmp(de->d_name + blen, ".1") == 0 ||
		    strcmp(de->d_name + blen, ".0") == 0)
			continue;
		len = snprintf(full, sizeof(full), "%s%s%s",
		    slash == NULL ? "" : dir,
		    slash == NULL ? "" : (slash == path ? "" : "/"),
		    de->d_name);
		if (len < 0 || (size_t)len >= sizeof(full))
			continue;
		if ((names[n] = strdup(full)) == NULL)
			break;
		n++;
	}
	closedir(dp);
	if (n > 2)
		qsort(names + 2, n - 2, sizeof(names[0]), cmp_names);
done:
	*out = names;
	*nout = n;
	return 0;
}

void
db_siblings_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int
ingest_siblings(struct ingest *in, const char *path)
{
	char **names;
	size_t n, i;
	int ret = 0;

	if (db_siblings(path, &names, &n) == -1) {
		db_seterr(in->err, path, 0, 0, "out of memory");
		return -1;
	}
	for (i = 0; i < n && ret == 0; i++)
		ret = ingest_path(in, names[i], path, 0);
	db_siblings_free(names, n);
	return ret;
}

/*
 * Records missing inside a run (between the first seq stored, or the last
 * one pruned, and the highest): reported once, when first seen.
 */
static int
check_gaps(struct ingest *in)
{
	char what[600], why[128];
	char **keys = NULL;
	struct irun *r;
	sqlite3_int64 lo, missing;
	size_t i, nk = in->nrun;
	int n, ret = -1;

	if (nk == 0)
		return 0;
	if (ingest_prepare(in) == -1)
		return -1;
	/* The runs touched, by name: the caches may go at batch_begin. */
	if ((keys = calloc(nk * 2, sizeof(*keys))) == NULL)
		goto oom;
	for (i = 0; i < nk; i++)
		if ((keys[2 * i] = strdup(in->runs[i].node)) == NULL ||
		    (keys[2 * i + 1] = strdup(in->runs[i].run)) == NULL)
			goto oom;
	if (batch_begin(in) == -1)
		goto fail;
	for (i = 0; i < nk; i++) {
		if ((r = find_run(in, keys[2 * i], keys[2 * i + 1])) == NULL)
			goto fail;
		if (!r->has_min)
			continue;
		lo = r->pruned > 0 ? r->pruned + 1 : r->min;
		missing = r->max - lo + 1 - r->n;
		if (missing < 0)
			missing = 0;
		if (missing <= r->missing) {
			if (missing < r->missing) {	/* filled in since */
				r->missing = missing;
				r->dirty = 1;
			}
			continue;
		}
		in->stats->missing += (unsigned long)(missing - r->missing);
		n = snprintf(what, sizeof(what), "run %s on %s", r->run,
		    r->node);
		if (in->report != NULL && n > 0 && (size_t)n < sizeof(what)) {
			n = snprintf(why, sizeof(why), "%lld records missing "
			    "between seq %lld and %lld (lost before ingest)",
			    (long long)(missing - r->missing), (long long)lo,
			    (long long)r->max);
			if (n > 0 && (size_t)n < sizeof(why))
				in->report(in->arg, what, 0, why);
		}
		r->missing = missing;
		r->dirty = 1;
	}
	if (batch_flush(in) == -1 || run(in, in->commit, "COMMIT") == -1)
		goto fail;
	ret = 0;
	goto out;
oom:
	db_seterr(in->err, NULL, 0, 0, "out of memory");
	goto out;
fail:
	rollback(in);
out:
	if (keys != NULL)
		for (i = 0; i < nk * 2; i++)
			free(keys[i]);
	free(keys);
	return ret;
}

static int
ingest_init(struct ingest *in, struct db *d, size_t batch,
    db_reject_fn *report, void *arg, struct db_ingest_stats *stats,
    struct db_err *err)
{
	memset(in, 0, sizeof(*in) - sizeof(in->rec));
	memset(stats, 0, sizeof(*stats));
	in->d = d;
	in->err = err;
	in->report = report;
	in->arg = arg;
	in->stats = stats;
	in->batch = batch ? batch : DB_BATCH;
	in->grow = batch == 0;
	in->data_version = -1;
	/* The one statement a query's ingest with nothing new needs besides
	 * find_journal's; the others are prepared when there is something
	 * to store. */
	return db_cached(d, ST_GETOFF, getoff_sql, &in->getoff, err);
}

/* Prepare (once per connection: db_cached) what storing records needs. */
static int
ingest_prepare(struct ingest *in)
{
	struct db *d = in->d;
	struct db_err *err = in->err;

	if (in->insert != NULL)
		return 0;
	make_multi_sql();
	if (db_cached(d, ST_INSERT_MULTI, insert_multi_sql, &in->insert_multi,
	    err) == -1 ||
	    db_cached(d, ST_REJECT, reject_sql, &in->reject, err) == -1 ||
	    db_cached(d, ST_SETOFF, setoff_sql, &in->setoff, err) == -1 ||
	    db_cached(d, ST_STR_GET, str_get_sql, &in->str_get, err) == -1 ||
	    db_cached(d, ST_STR_ADD, str_add_sql, &in->str_add, err) == -1 ||
	    db_cached(d, ST_RUN_GET, run_get_sql, &in->run_get, err) == -1 ||
	    db_cached(d, ST_RUN_ADD, run_add_sql, &in->run_add, err) == -1 ||
	    db_cached(d, ST_RUN_SET, run_set_sql, &in->run_set, err) == -1 ||
	    db_cached(d, ST_META_GET, meta_get_sql, &in->meta_get, err) == -1 ||
	    db_cached(d, ST_META_SET, meta_set_sql, &in->meta_set, err) == -1 ||
	    db_cached(d, ST_BEGIN, "BEGIN IMMEDIATE", &in->begin, err) == -1 ||
	    db_cached(d, ST_COMMIT, "COMMIT", &in->commit, err) == -1 ||
	    db_cached(d, ST_DATA_VERSION, "PRAGMA data_version",
	    &in->data_version_get, err) == -1 ||
	    db_cached(d, ST_INSERT, insert_sql, &in->insert, err) == -1)
		return -1;
	return 0;
}

int
db_ingest(struct db *d, const char *path, size_t batch, db_reject_fn *report,
    void *arg, struct db_ingest_stats *stats, struct db_err *err)
{
	struct db_ingest_stats dummy;
	struct ingest *in;
	int ret = -1;

	if (stats == NULL)
		stats = &dummy;
	if ((in = malloc(sizeof(*in))) == NULL) {
		db_seterr(err, path, 0, 0, "out of memory");
		return -1;
	}
	if (ingest_init(in, d, batch, report, arg, stats, err) == 0 &&
	    (trust_owner(in, path), ingest_siblings(in, path) == 0) &&
	    ingest_path(in, path, path, 1) == 0 && check_gaps(in) == 0)
		ret = 0;
	forget_caches(in);
	free(in);
	return ret;
}

/*
 * Standard input becomes an anonymous file first: the reader needs to
 * read at offsets, and the journals row its identity.
 */
static int
stdin_file(struct db_err *err)
{
	char buf[65536];
	ssize_t n, w, off;
	int fd;

	if ((fd = memfd_create("talkctl-stdin", MFD_CLOEXEC)) == -1) {
		db_seterr(err, "-", 0, 0, "memfd_create: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (off = 0; off < n; off += w)
			if ((w = write(fd, buf + off, (size_t)(n - off))) <= 0)
				goto fail;
	}
	if (n == 0)
		return fd;
fail:
	db_seterr(err, "-", 0, 0, "%s", strerror(errno));
	close(fd);
	return -1;
}

int
db_ingest_from(struct db *d, const char *file, size_t batch,
    db_reject_fn *report, void *arg, struct db_ingest_stats *stats,
    struct db_err *err)
{
	struct db_ingest_stats dummy;
	struct ingest *in;
	int fd, ret = -1;

	if (stats == NULL)
		stats = &dummy;
	if (strcmp(file, "-") == 0)
		fd = stdin_file(err);
	else if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		db_seterr(err, file, 0, 0, "%s", strerror(errno));
	if (fd == -1)
		return -1;
	if ((in = malloc(sizeof(*in))) == NULL) {
		db_seterr(err, file, 0, 0, "out of memory");
		close(fd);
		return -1;
	}
	if (ingest_init(in, d, batch, report, arg, stats, err) == 0) {
		in->shipped = 1;
		if (ingest_open(in, fd, file, file, 1) == 0 &&
		    check_gaps(in) == 0)
			ret = 0;
	}
	forget_caches(in);
	free(in);
	close(fd);
	return ret;
}
