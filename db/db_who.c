/*
 * libdb: talkctl who-called.
 *
 * A call attempt is the ANNOUNCE-side records (announce.rung, .rerung,
 * .duplicate, .refused, request.denied) to one callee of one caller from
 * one source address and port in one daemon run, each within CALL_GAP of
 * the previous one.  Its outcome, for an attempt that rang:
 *   answered  the callee looked the caller's invitation up here: a
 *             lookup.hit of the run whose callee is the caller and whose
 *             caller is the callee, from a second before the first ring to
 *             two minutes after the last;
 *   ringing   else, when the last ring is less than two minutes old;
 *   missed    else, when the caller's invitation to the callee was left
 *             here (invite.left within five seconds of the rings);
 *   rung      else (the invitation is on the caller's host);
 * and refused when it was refused, denied otherwise (an ACL rule).
 *
 * One pass over the callee's records (rec_callee, then sorted here)
 * gathers the attempts.  For one callee, its lookups as caller
 * (rec_caller) and the invitations left to it (rec_callee) are read once
 * from the indexes alone and matched in memory; for all callees an index
 * probe or two per attempt finds the outcome.  The rows are written here
 * as strftime() and json_object() would write them, in one read
 * transaction: a query on a million records costs a few milliseconds,
 * most of them reading the callee's records and the texts they show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "db/db_int.h"

#define CALL_GAP	60000000LL	/* microseconds: an invitation's life */
#define RING_LIVE	120e6		/* microseconds: still ringing */
#define LOCALTIME_MAX	2147385600LL	/* SQLite calls localtime_r up to it */
#define UTC_MAX		253402300799LL	/* 9999-12-31 23:59:59 */

enum { E_RUNG, E_RERUNG, E_DUP, E_REFUSED, E_DENIED, E_HIT, E_LEFT, E_N };

static const char *const ev_names[E_N] = {
	"announce.rung", "announce.rerung", "announce.duplicate",
	"announce.refused", "request.denied", "lookup.hit", "invite.left",
};

/* One call attempt.  Text columns are strs ids, 0 for NULL. */
struct call {
	sqlite3_int64 rid, run, caller, callee, addr, t0, t1;
	sqlite3_int64 port, id;		/* -1: NULL */
	sqlite3_int64 tty, rans, fans, freason, dans, rule, dreason;
	int rings, nref;
	char types[64];			/* request types denied, in order */
	const char *outcome;
};

/* A lookup.hit (who: its callee) or invite.left (who: its caller). */
struct mark {
	sqlite3_int64 who, run, t;
};

struct text {				/* strs id -> text, cached */
	sqlite3_int64 id;		/* 0: free slot */
	char *s;			/* NULL: no such text */
};

struct who {
	struct db *d;
	struct db_err *err;
	sqlite3_int64 ev[E_N];		/* strs ids, 0 when never seen */
	struct call *c;
	size_t n, cap;
	struct mark *hit, *left;	/* one callee's (loaded), sorted */
	size_t nhit, nleft;
	int loaded;			/* else probe per attempt */
	struct text *texts;
	size_t ntext, textcap;		/* textcap: a power of 2 */
	sqlite3_stmt *str, *node, *probe, *local;
	sqlite3_int64 node_run;		/* the run whose host is in node_s */
	int node_rc;			/* SQLITE_ROW, or DONE: no such run */
	char *node_s;
};

static const char ev_sql[] =
	"SELECT s, id FROM strs WHERE s IN ('announce.rung', 'announce.rerung',"
	" 'announce.duplicate', 'announce.refused', 'request.denied',"
	" 'lookup.hit', 'invite.left')";

/* The ANNOUNCE-side records of one callee, or of all (gather() sorts). */
#define GATHER(cond) \
	"SELECT rid, run, t, ev, caller, callee, addr, port, tty, id, answer," \
	" rule, reason, type, seq FROM rec r" \
	" WHERE " cond " AND ev IN (?2, ?3, ?4, ?5, ?6)"
static const char gather_one_sql[] = GATHER("callee = ?1");
static const char gather_all_sql[] = GATHER("callee IS NOT NULL");

static const char user_sql[] = "SELECT id FROM strs WHERE s = ?1";

/* One callee's lookups as caller, and the invitations left to it. */
static const char hits_sql[] =
	"SELECT callee, run, t FROM rec WHERE caller = ?1 AND invite = 2";
static const char lefts_sql[] =
	"SELECT caller, run, t FROM rec WHERE callee = ?1 AND ev = ?2";

/* Is there a record of event ?6 in run ?5 from ?4 to ?1 in [?2, ?3]? */
static const char probe_sql[] =
	"SELECT 1 FROM rec WHERE callee = ?1 AND t BETWEEN ?2 AND ?3"
	" AND caller = ?4 AND run = ?5 AND ev = ?6 LIMIT 1";

static const char str_sql[] = "SELECT s FROM strs WHERE id = ?1";
static const char node_sql[] =
	"SELECT (SELECT s FROM strs WHERE id = node) FROM runs WHERE id = ?1";
static const char local_sql[] =
	"SELECT strftime('%Y-%m-%d %H:%M:%S', ?1, 'unixepoch', 'localtime')";

static void
who_free(struct who *w)
{
	size_t i;

	for (i = 0; i < w->textcap; i++)
		free(w->texts[i].s);
	free(w->texts);
	free(w->c);
	free(w->hit);
	free(w->left);
	free(w->node_s);
	sqlite3_finalize(w->str);
	sqlite3_finalize(w->node);
	sqlite3_finalize(w->probe);
	sqlite3_finalize(w->local);
}

static int
oom(struct who *w)
{
	db_seterr(w->err, NULL, 0, 0, "out of memory");
	return -1;
}

static int
sqlfail(struct who *w)
{
	db_sqlerr(w->d, w->err, "who-called");
	return -1;
}

static sqlite3_int64
col_id(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 :
	    sqlite3_column_int64(st, i);
}

static sqlite3_int64
max_id(sqlite3_int64 a, sqlite3_int64 b)
{
	return a > b ? a : b;
}

/* Is w one of the comma-separated words in list? */
static int
has_word(const char *list, const char *w)
{
	size_t n = strlen(w);
	const char *p = list;

	while ((p = strstr(p, w)) != NULL) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

/* A text of strs by id (NULL for 0 or no such id); *failed on error. */
static const char *
text(struct who *w, sqlite3_int64 id, int *failed)
{
	struct text *t, *nt;
	const unsigned char *s;
	size_t i, j, cap;
	int rc;

	if (id == 0)
		return NULL;
	if (w->ntext * 2 >= w->textcap) {
		cap = w->textcap ? w->textcap * 2 : 256;
		if ((nt = calloc(cap, sizeof(*nt))) == NULL)
			goto fail;
		for (i = 0; i < w->textcap; i++) {
			if (w->texts[i].id == 0)
				continue;
			j = (size_t)w->texts[i].id & (cap - 1);
			while (nt[j].id != 0)
				j = (j + 1) & (cap - 1);
			nt[j] = w->texts[i];
		}
		free(w->texts);
		w->texts = nt;
		w->textcap = cap;
	}
	j = (size_t)id & (w->textcap - 1);
	for (t = &w->texts[j]; t->id != 0; t = &w->texts[j]) {
		if (t->id == id)
			return t->s;
		j = (j + 1) & (w->textcap - 1);
	}
	sqlite3_bind_int64(w->str, 1, id);
	rc = sqlite3_step(w->str);
	if (rc == SQLITE_ROW &&
	    (s = sqlite3_column_text(w->str, 0)) != NULL &&
	    (t->s = strdup((const char *)s)) == NULL) {
		sqlite3_reset(w->str);
		goto fail;
	}
	sqlite3_reset(w->str);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*failed = sqlfail(w);
		return NULL;
	}
	t->id = id;
	w->ntext++;
	return t->s;
fail:
	*failed = oom(w);
	return NULL;
}

static int
add_call(struct who *w, const struct call *a)
{
	struct call *nc;

	if (a->rid == 0)
		return 0;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		if ((nc = reallocarray(w->c, w->cap, sizeof(*nc))) == NULL)
			return oom(w);
		w->c = nc;
	}
	w->c[w->n++] = *a;
	return 0;
}

/* One ANNOUNCE-side record; text columns are strs ids, 0 for NULL. */
struct arec {
	sqlite3_int64 run, callee, caller, addr, port, t, seq;	/* the key */
	sqlite3_int64 rid, ev, tty, id, answer, rule, reason, type;
};

/* The attempt key, then time: NULL (0, port -1) first, as in SQL. */
#define CMP(f)	if (x->f != y->f) return x->f < y->f ? -1 : 1

static int
by_key(const void *a, const void *b)
{
	const struct arec *x = a, *y = b;

	CMP(run);
	CMP(callee);
	CMP(caller);
	CMP(addr);
	CMP(port);
	CMP(t);
	CMP(seq);
	return 0;
}

/* Fold record r into attempt a; 0, or -1 (no memory, SQL error). */
static int
fold(struct who *w, struct call *a, const struct arec *r)
{
	const char *type;
	int failed = 0, i;
	size_t tl;

	if (a->rid == 0 || r->run != a->run || r->callee != a->callee ||
	    r->caller != a->caller || r->addr != a->addr ||
	    r->port != a->port || r->t - a->t1 > CALL_GAP) {
		if (add_call(w, a) == -1)
			return -1;
		memset(a, 0, sizeof(*a));
		a->run = r->run;
		a->callee = r->callee;
		a->caller = r->caller;
		a->addr = r->addr;
		a->port = r->port;
		a->rid = r->rid;
		a->t0 = r->t;
		a->id = -1;
	}
	if (r->rid < a->rid)
		a->rid = r->rid;
	a->t1 = r->t;
	a->tty = max_id(a->tty, r->tty);
	if (r->id > a->id)
		a->id = r->id;
	if (r->ev == w->ev[E_RUNG] || r->ev == w->ev[E_RERUNG]) {
		a->rings++;
		a->rans = max_id(a->rans, r->answer);
	} else if (r->ev == w->ev[E_REFUSED]) {
		a->nref++;
		a->fans = max_id(a->fans, r->answer);
		a->freason = max_id(a->freason, r->reason);
	} else if (r->ev == w->ev[E_DENIED]) {
		a->dans = max_id(a->dans, r->answer);
		a->rule = max_id(a->rule, r->rule);
		a->dreason = max_id(a->dreason, r->reason);
		type = text(w, r->type, &failed);
		if (failed)
			return -1;
		tl = strlen(a->types);
		/* The request types denied, each once, in order. */
		if (type != NULL && !has_word(a->types, type)) {
			i = snprintf(a->types + tl, sizeof(a->types) - tl,
			    "%s%s", tl ? "," : "", type);
			if (i < 0 || (size_t)i >= sizeof(a->types) - tl)
				a->types[tl] = '\0';
		}
	}
	return 0;
}

/*
 * Gather the attempts of one callee (user, > 0) or of all: the records
 * in index order, sorted here by attempt key and time (cheaper than an
 * ORDER BY), then folded.
 */
static int
gather(struct who *w, sqlite3_int64 user)
{
	sqlite3_stmt *q = NULL;
	struct arec *r = NULL, *nr;
	struct call a;
	size_t n = 0, cap = 0, i;
	int rc;

	memset(&a, 0, sizeof(a));
	if (db_prepare(w->d, &q, user > 0 ? gather_one_sql : gather_all_sql,
	    w->err) == -1)
		return -1;
	if (user > 0)
		sqlite3_bind_int64(q, 1, user);
	for (i = E_RUNG; i <= E_DENIED; i++)
		sqlite3_bind_int64(q, 2 + (int)i, w->ev[i]);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			if ((nr = reallocarray(r, cap, sizeof(*r))) == NULL) {
				rc = oom(w);
				break;
			}
			r = nr;
		}
		nr = &r[n++];
		nr->rid = sqlite3_column_int64(q, 0);
		nr->run = col_id(q, 1);
		nr->t = sqlite3_column_int64(q, 2);
		nr->ev = sqlite3_column_int64(q, 3);
		nr->caller = col_id(q, 4);
		nr->callee = col_id(q, 5);
		nr->addr = col_id(q, 6);
		nr->port = sqlite3_column_type(q, 7) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(q, 7);
		nr->tty = col_id(q, 8);
		nr->id = sqlite3_column_type(q, 9) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(q, 9);
		nr->answer = col_id(q, 10);
		nr->rule = col_id(q, 11);
		nr->reason = col_id(q, 12);
		nr->type = col_id(q, 13);
		nr->seq = sqlite3_column_int64(q, 14);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		free(r);
		return rc == -1 ? -1 : sqlfail(w);
	}
	if (n > 1)
		qsort(r, n, sizeof(*r), by_key);
	for (i = 0; i < n; i++)
		if (fold(w, &a, &r[i]) == -1) {
			free(r);
			return -1;
		}
	free(r);
	return add_call(w, &a);
}

/* The strs id of a user name: 0 when no record names it, -1 on error. */
static sqlite3_int64
user_id(struct who *w, const char *name)
{
	sqlite3_stmt *q = NULL;
	sqlite3_int64 id = 0;
	int rc;

	if (db_prepare(w->d, &q, user_sql, w->err) == -1)
		return -1;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		id = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? id : sqlfail(w);
}

static int
by_mark(const void *a, const void *b)
{
	const struct mark *x = a, *y = b;

	if (x->who != y->who)
		return x->who < y->who ? -1 : 1;
	if (x->run != y->run)
		return x->run < y->run ? -1 : 1;
	return (x->t > y->t) - (x->t < y->t);
}

/* The rows of sql (who, run, t) for ?1 = user, ?2 = ev, sorted. */
static int
marks(struct who *w, const char *sql, sqlite3_int64 user, sqlite3_int64 ev,
    struct mark **out, size_t *n)
{
	sqlite3_stmt *q = NULL;
	struct mark *m = NULL, *nm;
	size_t cap = 0;
	int rc;

	*n = 0;
	if (db_prepare(w->d, &q, sql, w->err) == -1)
		return -1;
	sqlite3_bind_int64(q, 1, user);
	if (sqlite3_bind_parameter_count(q) >= 2)
		sqlite3_bind_int64(q, 2, ev);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nm = reallocarray(m, cap, sizeof(*m))) == NULL) {
				rc = oom(w);
				break;
			}
			m = nm;
		}
		m[*n].who = col_id(q, 0);
		m[*n].run = sqlite3_column_int64(q, 1);
		m[*n].t = sqlite3_column_int64(q, 2);
		(*n)++;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		free(m);
		return rc == -1 ? -1 : sqlfail(w);
	}
	if (*n > 1)
		qsort(m, *n, sizeof(*m), by_mark);
	*out = m;
	return 0;
}

/* A mark of who in the run within [lo, hi]? */
static int
marked(const struct mark *m, size_t n, sqlite3_int64 who, sqlite3_int64 run,
    sqlite3_int64 lo, sqlite3_int64 hi)
{
	struct mark key = { who, run, lo };
	size_t a = 0, b = n, mid;

	if (who == 0)
		return 0;		/* NULL never matches */
	while (a < b) {			/* the first mark >= key */
		mid = a + (b - a) / 2;
		if (by_mark(&m[mid], &key) < 0)
			a = mid + 1;
		else
			b = mid;
	}
	return a < n && m[a].who == who && m[a].run == run && m[a].t <= hi;
}

/* A record of event ev in the run from caller to callee in [lo, hi]? */
static int
probe(struct who *w, sqlite3_int64 callee, sqlite3_int64 caller,
    sqlite3_int64 run, sqlite3_int64 ev, sqlite3_int64 lo, sqlite3_int64 hi)
{
	int rc;

	if (callee == 0 || caller == 0 || ev == 0)
		return 0;		/* NULL never matches */
	sqlite3_bind_int64(w->probe, 1, callee);
	sqlite3_bind_int64(w->probe, 2, lo);
	sqlite3_bind_int64(w->probe, 3, hi);
	sqlite3_bind_int64(w->probe, 4, caller);
	sqlite3_bind_int64(w->probe, 5, run);
	sqlite3_bind_int64(w->probe, 6, ev);
	rc = sqlite3_step(w->probe);
	sqlite3_reset(w->probe);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : sqlfail(w);
}

static int
outcome(struct who *w, struct call *c, double now_us)
{
	int r;

	if (c->rings == 0) {
		c->outcome = c->nref > 0 ? "refused" : "denied";
		return 0;
	}
	if ((r = w->loaded ? marked(w->hit, w->nhit, c->caller, c->run,
	    c->t0 - 1000000, c->t1 + 120000000) : probe(w, c->caller,
	    c->callee, c->run, w->ev[E_HIT], c->t0 - 1000000,
	    c->t1 + 120000000)) != 0) {
		c->outcome = "answered";
		return r < 0 ? -1 : 0;
	}
	if (now_us - (double)c->t1 < RING_LIVE) {
		c->outcome = "ringing";
		return 0;
	}
	if ((r = w->loaded ? marked(w->left, w->nleft, c->caller, c->run,
	    c->t0 - 5000000, c->t1 + 5000000) : probe(w, c->callee,
	    c->caller, c->run, w->ev[E_LEFT], c->t0 - 5000000,
	    c->t1 + 5000000)) != 0) {
		c->outcome = "missed";
		return r < 0 ? -1 : 0;
	}
	c->outcome = "rung";
	return 0;
}

static int
by_time(const void *a, const void *b)
{
	const struct call *x = a, *y = b;

	if (x->t0 != y->t0)
		return x->t0 < y->t0 ? -1 : 1;
	return (x->rid > y->rid) - (x->rid < y->rid);
}

/* A growing string; s stays NULL until something is put (failed: no memory). */
struct buf {
	char *s;
	size_t len, cap;
	int failed;
};

static void
put(struct buf *b, const char *s, size_t n)
{
	char *ns;
	size_t cap;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((ns = realloc(b->s, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* s as SQLite's json_object() quotes a text; NULL as null. */
static void
put_json(struct buf *b, const char *s)
{
	static const char special[32] = {
		['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f',
		['\r'] = 'r',
	};
	char esc[7];
	const unsigned char *p;

	if (s == NULL) {
		puts_(b, "null");
		return;
	}
	put(b, "\"", 1);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			put(b, esc, 2);
		} else if (*p < 0x20 && special[*p] != 0) {
			esc[0] = '\\';
			esc[1] = special[*p];
			put(b, esc, 2);
		} else if (*p < 0x20) {
			(void)snprintf(esc, sizeof(esc), "\\u%04x", *p);
			put(b, esc, 6);
		} else
			put(b, (const char *)p, 1);
	}
	put(b, "\"", 1);
}

static void
put_json_key(struct buf *b, const char *key, const char *val)
{
	put(b, b->len > 1 ? ",\"" : "\"", b->len > 1 ? 2 : 1);
	puts_(b, key);
	put(b, "\":", 2);
	put_json(b, val);
}

/*
 * strftime('%Y-%m-%d %H:%M:%S', s, 'unixepoch', 'localtime'): in this
 * range SQLite gives localtime_r()'s answer; outside it, SQLite is asked.
 */
static int
local_time(struct who *w, sqlite3_int64 s, char *out, size_t size)
{
	const unsigned char *v;
	struct tm tm;
	time_t tt = (time_t)s;
	int rc;

	out[0] = '\0';
	if (s >= 0 && s <= LOCALTIME_MAX && localtime_r(&tt, &tm) != NULL &&
	    strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm) > 0)
		return 0;
	if (w->local == NULL && db_prepare(w->d, &w->local, local_sql,
	    w->err) == -1)
		return -1;
	sqlite3_bind_int64(w->local, 1, s);
	rc = sqlite3_step(w->local);
	if (rc == SQLITE_ROW && (v = sqlite3_column_text(w->local, 0)) != NULL)
		(void)snprintf(out, size, "%s", (const char *)v);
	sqlite3_reset(w->local);
	return rc == SQLITE_ROW ? 0 : sqlfail(w);
}

/* strftime('%Y-%m-%dT%H:%M:%S', t / 1000000, 'unixepoch') || '.uuuuuuZ'. */
static const char *
utc_time(sqlite3_int64 t, char *out, size_t size)
{
	time_t tt = (time_t)(t / 1000000);
	struct tm tm;

	if (t < 0 || t / 1000000 > UTC_MAX || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return NULL;
	(void)snprintf(out + strlen(out), size - strlen(out), ".%06lldZ",
	    (long long)(t % 1000000));
	return out;
}

static const char *const names_host[] = { "TIME", "HOST", "CALLER", "FROM",
    "TTY", "OUTCOME", "DETAIL" };
static const char *const names_plain[] = { "TIME", "CALLER", "FROM", "TTY",
    "OUTCOME", "DETAIL" };
static const char *const names_json[] = { "json" };

/* The row of attempt c, through fn; 0, fn's non-zero, or -1. */
static int
emit(struct who *w, const struct call *c, int json, int many,
    db_row_fn *fn, void *arg)
{
	const char *caller, *callee, *addr, *tty, *rule = NULL, *type;
	const char *answer, *detail = NULL, *fans, *vals[7];
	struct buf host = { 0 }, src = { 0 }, out = { 0 };
	const unsigned char *node;
	sqlite3_int64 ans;
	char when[64], num[32];
	int failed = 0, denied, refused, rc, i;

	/* The run's host (the query joined runs: no run, no row). */
	if (c->run != w->node_run || w->node_rc == 0) {
		free(w->node_s);
		w->node_s = NULL;
		w->node_run = c->run;
		sqlite3_bind_int64(w->node, 1, c->run);
		if ((w->node_rc = sqlite3_step(w->node)) == SQLITE_ROW &&
		    (node = sqlite3_column_text(w->node, 0)) != NULL &&
		    (w->node_s = strdup((const char *)node)) == NULL)
			failed = oom(w);
		sqlite3_reset(w->node);
		if (failed || (w->node_rc != SQLITE_ROW &&
		    w->node_rc != SQLITE_DONE)) {
			w->node_rc = 0;
			return failed ? -1 : sqlfail(w);
		}
	}
	if (w->node_rc == SQLITE_DONE)
		return 0;
	if (w->node_s != NULL)
		puts_(&host, w->node_s);
	denied = strcmp(c->outcome, "denied") == 0;
	refused = strcmp(c->outcome, "refused") == 0;
	caller = text(w, c->caller, &failed);
	callee = text(w, c->callee, &failed);
	addr = text(w, c->addr, &failed);
	tty = text(w, c->tty, &failed);
	if (denied) {
		if ((rule = text(w, c->rule, &failed)) == NULL)
			rule = "default";
		if ((detail = text(w, c->dreason, &failed)) == NULL)
			detail = "denied";
		type = c->types[0] != '\0' ? c->types : NULL;
		ans = c->dans;
	} else if (refused) {
		fans = text(w, c->fans, &failed);
		if (fans != NULL && strcmp(fans, "NOT_HERE") == 0)
			detail = "not logged in";
		else if (fans != NULL && strcmp(fans, "PERMISSION_DENIED") == 0)
			detail = "mesg n";
		else if ((detail = text(w, c->freason, &failed)) == NULL)
			detail = fans;
		type = "ANNOUNCE";
		ans = c->fans;
	} else {
		type = "ANNOUNCE";
		ans = c->rans;
	}
	answer = text(w, ans, &failed);
	if (addr != NULL) {
		puts_(&src, addr);
		if (c->port >= 0) {
			(void)snprintf(num, sizeof(num), ":%lld",
			    (long long)c->port);
			puts_(&src, num);
		}
	}
	rc = -1;
	if (failed)
		goto out;
	if (json) {
		put(&out, "{", 1);
		put_json_key(&out, "time", utc_time(c->t0, when, sizeof(when)));
		if (many)
			put_json_key(&out, "host", host.s);
		put_json_key(&out, "caller", caller);
		put_json_key(&out, "from", src.s);
		put_json_key(&out, "callee", callee);
		put_json_key(&out, "tty", tty);
		put_json_key(&out, "outcome", c->outcome);
		put_json_key(&out, "detail", detail);
		put_json_key(&out, "rule", rule);
		put_json_key(&out, "type", type);
		put_json_key(&out, "answer", answer);
		if (c->id >= 0)
			(void)snprintf(num, sizeof(num), "%lld",
			    (long long)c->id);
		puts_(&out, ",\"id\":");
		puts_(&out, c->id >= 0 ? num : "null");
		(void)snprintf(num, sizeof(num), ",\"rings\":%d}", c->rings);
		puts_(&out, num);
		vals[0] = out.s;
		if (!out.failed && !host.failed && !src.failed)
			rc = fn(arg, 1, names_json, vals);
		goto out;
	}
	if (local_time(w, c->t0 / 1000000, when, sizeof(when)) == -1)
		goto out;
	if (denied) {
		puts_(&out, "rule ");
		puts_(&out, rule);
		puts_(&out, " (");
		puts_(&out, detail);
		puts_(&out, ")");
		if (type != NULL) {
			puts_(&out, " on ");
			puts_(&out, type);
		}
	} else if (refused) {
		if (detail != NULL)
			puts_(&out, detail);
	} else if (c->rings > 1) {
		(void)snprintf(num, sizeof(num), "rang %d times", c->rings);
		puts_(&out, num);
	}
	i = 0;
	vals[i++] = when;
	if (many)
		vals[i++] = host.s ? host.s : "";
	vals[i++] = caller ? caller : "";
	vals[i++] = src.s ? src.s : "";
	vals[i++] = tty ? tty : "";
	vals[i++] = c->outcome;
	vals[i++] = out.s ? out.s : "";
	if (!out.failed && !host.failed && !src.failed)
		rc = fn(arg, i, many ? names_host : names_plain, vals);
out:
	if (rc == -1 && !failed && (out.failed || host.failed || src.failed))
		rc = oom(w);
	free(host.s);
	free(src.s);
	free(out.s);
	return rc;
}

int
db_who_called(struct db *d, const struct db_filter *f, db_row_fn *fn,
    void *arg, struct db_err *err)
{
	struct who w;
	struct timespec ts;
	sqlite3_stmt *st = NULL;
	const char *name;
	sqlite3_int64 user;
	double now_us;
	size_t i, k;
	int many, rc = -1, j, began;

	memset(&w, 0, sizeof(w));
	w.d = d;
	w.err = err;
	/* One read transaction for the many small statements below: one
	 * snapshot, and no lock taken and dropped around each of them. */
	if ((began = sqlite3_get_autocommit(d->h)) && db_exec(d, "BEGIN",
	    err) == -1)
		return -1;
	if (db_prepare(d, &st, ev_sql, err) == -1)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 0);
		for (j = 0; j < E_N; j++)
			if (name != NULL && strcmp(name, ev_names[j]) == 0)
				w.ev[j] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = sqlfail(&w);
		goto out;
	}
	rc = -1;
	if (db_prepare(d, &w.str, str_sql, err) == -1 ||
	    db_prepare(d, &w.node, node_sql, err) == -1)
		goto out;
	if (f->user == NULL) {
		if (db_prepare(d, &w.probe, probe_sql, err) == -1 ||
		    gather(&w, 0) == -1)
			goto out;
	} else if ((user = user_id(&w, f->user)) == -1)
		goto out;
	else if (user > 0 && (gather(&w, user) == -1 ||
	    (w.n > 0 && (marks(&w, hits_sql, user, 0, &w.hit, &w.nhit) == -1 ||
	    marks(&w, lefts_sql, user, w.ev[E_LEFT], &w.left,
	    &w.nleft) == -1))))
		goto out;
	w.loaded = f->user != NULL;
	/* The time filter, then the outcomes, then time order. */
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	now_us = (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
	for (i = k = 0; i < w.n; i++) {
		if ((f->has_since && (double)w.c[i].t0 < f->since * 1e6) ||
		    (f->has_until && (double)w.c[i].t0 >= f->until * 1e6))
			continue;
		if (outcome(&w, &w.c[i], now_us) == -1)
			goto out;
		w.c[k++] = w.c[i];
	}
	w.n = k;
	if (w.n > 1)
		qsort(w.c, w.n, sizeof(w.c[0]), by_time);
	many = db_many_hosts(d);
	if ((rc = fn(arg, f->json ? 1 : many ? 7 : 6, f->json ? names_json :
	    many ? names_host : names_plain, NULL)) != 0)
		goto out;
	for (i = 0; i < w.n; i++)
		if ((rc = emit(&w, &w.c[i], f->json, many, fn, arg)) != 0)
			goto out;
	rc = 0;
out:
	who_free(&w);
	if (began)
		sqlite3_exec(d->h, "COMMIT", NULL, NULL, NULL);	/* reads */
	return rc;
}
