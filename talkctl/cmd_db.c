/*
 * talkctl ingest, who-called, history, audit, prune: the audit trail
 * (libdb).  Permission checks use the real uid, so that talkctl can be
 * installed setgid to a talkd group: such a user may read the database
 * through the group, but only about calls to themselves.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "talkctl/talkctl.h"

#define WIRE_NAME	12		/* bytes of l_name/r_name on the wire */

enum {
	O_USER = 1 << 0,		/* [USER] operand */
	O_FILTER = 1 << 1,		/* --since --until --json */
	O_JOURNAL = 1 << 2,		/* --journal */
	O_DAYS = 1 << 3			/* --older-than */
};

struct opts {
	const char *cmd, *db, *journal, *user;
	struct db_filter f;
	long days;
	int has_days;
	int paths_given;		/* --db, --journal or their variables */
};

/* Copy s with every byte outside printable ASCII (and \) as \xNN. */
static char *
escape(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(s), i, o = 0;
	unsigned char c;
	char *r;

	if ((r = malloc(n * 4 + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '\\') {
			r[o++] = '\\';
			r[o++] = '\\';
		} else if (c < 0x20 || c >= 0x7f) {
			r[o++] = '\\';
			r[o++] = 'x';
			r[o++] = hex[c >> 4];
			r[o++] = hex[c & 15];
		} else
			r[o++] = (char)c;
	}
	r[o] = '\0';
	return r;
}

/* Print "talkctl: CMD: MSG" with every part escaped. */
static void
warnx_esc(const char *cmd, const char *a, const char *b)
{
	char *ea = escape(a), *eb = b ? escape(b) : NULL;

	fprintf(stderr, "%s: %s: %s%s%s\n", talkctl_progname, cmd,
	    ea ? ea : "?", b ? ": " : "", b ? (eb ? eb : "?") : "");
	free(ea);
	free(eb);
}

static void
print_err(const char *cmd, const struct db_err *e)
{
	char where[320];
	int n;

	if (e->file[0] == '\0') {
		warnx_esc(cmd, e->msg, NULL);
		return;
	}
	if (e->line > 0)
		n = snprintf(where, sizeof(where), "%s:%u:%u", e->file, e->line,
		    e->col);
	else
		n = snprintf(where, sizeof(where), "%s", e->file);
	if (n < 0 || (size_t)n >= sizeof(where)) {
		warnx_esc(cmd, e->msg, NULL);
		return;
	}
	warnx_esc(cmd, where, e->msg);
}

static void
report_reject(void *arg, const char *path, unsigned long line,
    const char *reason)
{
	const struct opts *o = arg;
	char where[4200];
	int n;

	if (line == 0)				/* about the whole file */
		n = snprintf(where, sizeof(where), "%s", path);
	else
		n = snprintf(where, sizeof(where), "%s:%lu", path, line);
	if (n < 0 || (size_t)n >= sizeof(where))
		warnx_esc(o->cmd, path, reason);
	else
		warnx_esc(o->cmd, where, reason);
}

static int
usage_to(FILE *f, const char *cmd)
{
	static const struct { const char *cmd, *usage; } u[] = {
	    { "ingest", "ingest [--journal PATH] [--db PATH]" },
	    { "who-called", "who-called [USER] [--since T] [--until T] [--json]"
		" [--db PATH] [--journal PATH]" },
	    { "history", "history [USER] [--since T] [--until T] [--json]"
		" [--db PATH] [--journal PATH]" },
	    { "audit", "audit [--since T] [--until T] [--json] [--db PATH]"
		" [--journal PATH]" },
	    { "prune", "prune --older-than DAYS [--db PATH]" },
	};
	size_t i;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (strcmp(u[i].cmd, cmd) == 0)
			fprintf(f, "usage: %s %s\n", talkctl_progname,
			    u[i].usage);
	return TC_USAGE;
}

static int
usage(const char *cmd)
{
	return usage_to(stderr, cmd);
}

static int
parse_opts(int argc, char **argv, int allow, struct opts *o)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "journal", required_argument, NULL, 'J' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "json", no_argument, NULL, 'j' },
		{ "older-than", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct db_err e;
	time_t now = time(NULL);
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->cmd = argv[0];
	o->db = getenv("TALKD_DB");
	if (o->db == NULL || o->db[0] == '\0')
		o->db = DB_DEFAULT_PATH;
	else
		o->paths_given = 1;
	o->journal = getenv("TALKD_JOURNAL");
	if (o->journal == NULL || o->journal[0] == '\0')
		o->journal = DB_DEFAULT_JOURNAL;
	else if (allow & O_JOURNAL)
		o->paths_given = 1;
	optind = 0;			/* glibc: full re-initialisation */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case 'D':
			o->db = optarg;
			o->paths_given = 1;
			break;
		case 'J':
			if (!(allow & O_JOURNAL))
				goto bad;
			o->journal = optarg;
			o->paths_given = 1;
			break;
		case 'S':
		case 'U':
			if (!(allow & O_FILTER))
				goto bad;
			if (db_parse_time(optarg, now, c == 'S' ? &o->f.since :
			    &o->f.until, &e) == -1) {
				print_err(o->cmd, &e);
				return -1;
			}
			*(c == 'S' ? &o->f.has_since : &o->f.has_until) = 1;
			break;
		case 'j':
			if (!(allow & O_FILTER))
				goto bad;
			o->f.json = 1;
			break;
		case 'O':
			if (!(allow & O_DAYS))
				goto bad;
			errno = 0;
			o->days = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    o->days < 0 || o->days > 100000) {
				warnx_esc(o->cmd, "bad number of days",
				    optarg);
				return -1;
			}
			o->has_days = 1;
			break;
		case 'h':
			usage_to(stdout, o->cmd);
			return 1;
		case ':':
			warnx_esc(o->cmd, "missing argument for",
			    argv[optind - 1]);
			usage(o->cmd);
			return -1;
		default:
			goto bad;
		}
	}
	if (optind < argc && (allow & O_USER))
		o->user = argv[optind++];
	if (optind < argc) {
		warnx_esc(o->cmd, "unexpected argument", argv[optind]);
		return usage(o->cmd), -1;
	}
	/*
	 * Installed setgid (or setuid), talkctl reads what the group may
	 * read; a user who chose the paths could copy the whole journal into
	 * a database of their own.  Only root may choose them then.
	 */
	if (o->paths_given && getuid() != 0 &&
	    (getegid() != getgid() || geteuid() != getuid())) {
		warnx_esc(o->cmd, "--db, --journal, TALKD_DB and TALKD_JOURNAL "
		    "are for root when talkctl runs set-id", NULL);
		return -1;
	}
	if ((allow & O_DAYS) && !o->has_days) {
		warnx_esc(o->cmd, "--older-than DAYS is required", NULL);
		return usage(o->cmd), -1;
	}
	return 0;
bad:
	if (optopt != 0 && optopt != '?') {
		char opt[3] = { '-', (char)optopt, '\0' };

		warnx_esc(o->cmd, "bad option", opt);
	} else
		warnx_esc(o->cmd, "bad option", argv[optind - 1]);
	usage(o->cmd);
	return -1;
}

/* parse_opts result to an exit status for the caller to return, or -1. */
static int
opts_exit(int r)
{
	return r == 0 ? -1 : r == 1 ? TC_OK : TC_USAGE;
}

/* Ingest pending records; report rejects; 0 or -1 (error printed). */
static int
do_ingest(struct opts *o, struct db *d, struct db_ingest_stats *st)
{
	struct db_err e;

	if (db_ingest(d, o->journal, 0, report_reject, o, st,
	    &e) == -1) {
		print_err(o->cmd, &e);
		return -1;
	}
	return 0;
}

/*
 * The database for a query: read-write when we may (then pending journal
 * records are ingested first, if the journal can be read), read-only
 * otherwise.  NULL after printing why.
 */
static struct db *
open_for_query(struct opts *o)
{
	struct db_ingest_stats st;
	struct db_err e;
	struct db *d = NULL;
	int fd;

	if (db_open(o->db, DB_WRITE, &d, &e) == 0) {
		fd = open(o->journal, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd != -1) {
			close(fd);
			(void)do_ingest(o, d, &st);	/* query anyway */
		}
		return d;
	}
	if (db_open(o->db, DB_READ, &d, &e) == 0)
		return d;
	print_err(o->cmd, &e);
	/* Say which right is missing, and who has it. */
	if (access(o->db, F_OK) == -1 && errno == ENOENT)
		warnx_esc(o->cmd, "no audit database yet: root's \"talkctl "
		    "ingest\" creates it (talkd-ingest.timer or cron run it)",
		    NULL);
	else if (access(o->db, R_OK) == -1 && errno == EACCES)
		warnx_esc(o->cmd, "the audit database is readable by root and "
		    "group talkd only: install talkctl setgid talkd (make "
		    "install does) or ask root", NULL);
	return NULL;
}

/* A table: rows of escaped cells, printed with aligned columns. */
struct table {
	int ncol, json;
	char *names[16];		/* copies: the query's are gone */
	char **cells;			/* nrow * ncol */
	size_t nrow, cap;
	int failed;
};

/*
 * Print one line of JSON made by SQLite.  It escapes C0 controls; DEL and
 * the C1 controls (U+0080..U+009F, which some terminals obey) it writes
 * as they are, and they can only stand inside strings: write those as
 * \u00XX too, so that --json output is as safe on a terminal as the
 * tables.  The JSON value is unchanged.
 */
static int
put_json(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int c;

	for (; *p != '\0'; p++) {
		c = *p;
		if (c == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			c = *++p;
		else if (c != 0x7f) {
			if (putchar(c) == EOF)
				return -1;
			continue;
		}
		if (printf("\\u%04x", c) < 0)
			return -1;
	}
	return putchar('\n') == EOF ? -1 : 0;
}

static int
collect(void *arg, int ncol, const char *const *names,
    const char *const *vals)
{
	struct table *t = arg;
	char **nc;
	int i;

	if (vals == NULL) {
		if (ncol > 16)
			return t->failed = 1;
		for (i = 0; i < ncol; i++)
			if ((t->names[i] = strdup(names[i])) == NULL)
				return t->failed = 1;
		t->ncol = ncol;
		return 0;
	}
	if (t->json) {			/* one JSON object per line */
		if (put_json(vals[0]) == -1)
			return t->failed = 1;
		return 0;
	}
	if (t->nrow == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		nc = reallocarray(t->cells, t->cap, (size_t)ncol * sizeof(*nc));
		if (nc == NULL)
			return t->failed = 1;
		t->cells = nc;
	}
	for (i = 0; i < ncol; i++) {
		nc = &t->cells[t->nrow * (size_t)ncol + (size_t)i];
		if ((*nc = escape(vals[i])) == NULL) {
			while (--i >= 0)
				free(t->cells[t->nrow * (size_t)ncol +
				    (size_t)i]);
			return t->failed = 1;
		}
	}
	t->nrow++;
	return 0;
}

static void
table_print(struct table *t)
{
	size_t w[16] = { 0 }, r, len;
	int c;

	if (t->nrow == 0 || t->ncol > 16)
		return;
	for (c = 0; c < t->ncol; c++)
		w[c] = strlen(t->names[c]);
	for (r = 0; r < t->nrow; r++)
		for (c = 0; c < t->ncol; c++) {
			len = strlen(t->cells[r * (size_t)t->ncol + (size_t)c]);
			if (len > w[c])
				w[c] = len;
		}
	for (c = 0; c < t->ncol; c++)
		if (c + 1 < t->ncol)
			printf("%-*s  ", (int)w[c], t->names[c]);
		else
			printf("%s\n", t->names[c]);
	for (r = 0; r < t->nrow; r++) {
		char **row = &t->cells[r * (size_t)t->ncol];
		int last = t->ncol - 1;

		while (last > 0 && row[last][0] == '\0')
			last--;			/* no trailing blanks */
		for (c = 0; c <= last; c++)
			if (c < last)
				printf("%-*s  ", (int)w[c], row[c]);
			else
				printf("%s\n", row[c]);
	}
}

static void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrow * (size_t)t->ncol; i++)
		free(t->cells[i]);
	free(t->cells);
	for (i = 0; i < 16; i++)
		free(t->names[i]);
}

static const char *
invoking_user(void)
{
	struct passwd *pw = getpwuid(getuid());

	return pw ? pw->pw_name : NULL;
}

typedef int query_fn(struct db *, const struct db_filter *, db_row_fn *,
    void *, struct db_err *);

static int
run_query(int argc, char **argv, int allow, query_fn *q, int per_user)
{
	char wire[WIRE_NAME + 1];
	struct table t = { 0 };
	struct opts o;
	struct db_err e;
	struct db *d;
	const char *me;
	int n, rc;

	if ((rc = opts_exit(parse_opts(argc, argv, allow, &o))) != -1)
		return rc;
	if (per_user) {
		if ((me = invoking_user()) == NULL) {
			warnx_esc(o.cmd, "who are you? (no passwd entry for "
			    "the real uid)", NULL);
			return TC_FAIL;
		}
		if (o.user == NULL)
			o.user = me;
		else if (getuid() != 0 && strcmp(o.user, me) != 0) {
			warnx_esc(o.cmd, "only root may query calls to "
			    "another user", o.user);
			return TC_FAIL;
		}
	} else if (getuid() != 0 && access(o.db, W_OK) != 0) {
		warnx_esc(o.cmd, "needs root or write access to the database",
		    o.db);
		return TC_FAIL;
	}
	/* The protocol carries 12 bytes of a name: so does the journal. */
	if (o.user != NULL) {
		n = snprintf(wire, sizeof(wire), "%.*s", WIRE_NAME, o.user);
		if (n < 0)
			return TC_FAIL;
		o.f.user = wire;
	}
	if ((d = open_for_query(&o)) == NULL)
		return TC_FAIL;
	t.json = o.f.json;
	rc = q(d, &o.f, collect, &t, &e);
	if (rc == -1)
		print_err(o.cmd, &e);
	else if (t.failed)
		warnx_esc(o.cmd, "out of memory or write error", NULL);
	else
		table_print(&t);
	table_free(&t);
	db_close(d);
	return rc == 0 && !t.failed ? TC_OK : TC_FAIL;
}

int
cmd_ingest(int argc, char **argv)
{
	struct db_ingest_stats st;
	struct db_err e;
	struct opts o;
	struct db *d = NULL;
	int rc;

	if ((rc = opts_exit(parse_opts(argc, argv, O_JOURNAL, &o))) != -1)
		return rc;
	if (db_open(o.db, DB_WRITE, &d, &e) == -1) {
		print_err(o.cmd, &e);
		return TC_FAIL;
	}
	rc = do_ingest(&o, d, &st);
	db_close(d);
	if (rc == -1)
		return TC_FAIL;
	printf("ingest: %lu new records, %lu already stored, %lu rejected, "
	    "%lu bytes pending, %lu files\n", st.records, st.duplicates,
	    st.rejects, st.pending, st.files);
	return TC_OK;
}

int
cmd_who_called(int argc, char **argv)
{
	return run_query(argc, argv, O_USER | O_FILTER | O_JOURNAL,
	    db_who_called, 1);
}

int
cmd_history(int argc, char **argv)
{
	return run_query(argc, argv, O_USER | O_FILTER | O_JOURNAL, db_history,
	    1);
}

int
cmd_audit(int argc, char **argv)
{
	return run_query(argc, argv, O_FILTER | O_JOURNAL, db_audit, 0);
}

int
cmd_prune(int argc, char **argv)
{
	struct db_prune_stats ps;
	struct db_err e;
	struct opts o;
	struct db *d = NULL;
	double cutoff;
	int rc;

	if ((rc = opts_exit(parse_opts(argc, argv, O_DAYS, &o))) != -1)
		return rc;
	if (getuid() != 0 && access(o.db, W_OK) != 0) {
		warnx_esc(o.cmd, "needs root or write access to the database",
		    o.db);
		return TC_FAIL;
	}
	if (db_open(o.db, DB_WRITE, &d, &e) == -1) {
		print_err(o.cmd, &e);
		return TC_FAIL;
	}
	cutoff = (double)time(NULL) - (double)o.days * 86400.0;
	rc = db_prune(d, cutoff, &ps, &e);
	if (rc == -1)
		print_err(o.cmd, &e);
	else
		printf("prune: removed %ld events, %ld invitations, "
		    "%ld call attempts, %ld rejected lines older than %ld "
		    "days\n", ps.events, ps.invitations, ps.announcements,
		    ps.rejects, o.days);
	db_close(d);
	return rc == 0 ? TC_OK : TC_FAIL;
}
