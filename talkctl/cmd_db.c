/*
 * talkctl ingest, who-called, history, audit, prune: the audit trail
 * (libdb).  Permission checks use the real uid, so that talkctl can be
 * installed setgid to a talkd group: such a user may read the database
 * through the group, but only about calls to themselves.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "talkctl/talkctl.h"
#include "talkctl/out.h"

#define WIRE_NAME	12		/* bytes of l_name/r_name on the wire */

enum {
	O_USER = 1 << 0,		/* [USER] operand */
	O_FILTER = 1 << 1,		/* --since --until --json */
	O_JOURNAL = 1 << 2,		/* --journal */
	O_DAYS = 1 << 3,		/* --older-than */
	O_FROM = 1 << 4,		/* --from FILE ... */
	O_CURSOR = 1 << 5		/* --cursor FILE */
};

#define MAX_FROM	64

struct opts {
	const char *cmd, *db, *journal, *user, *cursor;
	const char *from[MAX_FROM];
	int nfrom;
	struct db_filter f;
	long days;
	int has_days;
	int paths_given;		/* --db, --journal or their variables */
	int journal_given;		/* --journal or TALKD_JOURNAL */
};

static void
print_err(const char *cmd, const struct db_err *e)
{
	tc_errx_at(cmd, e->file[0] != '\0' ? e->file : NULL, e->line, e->col,
	    e->msg, NULL);
}

static void
report_reject(void *arg, const char *path, unsigned long line,
    const char *reason)
{
	const struct opts *o = arg;

	tc_errx_at(o->cmd, path, line, 0, reason, NULL);
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
		{ "from", required_argument, NULL, 'F' },
		{ "cursor", required_argument, NULL, 'C' },
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
		o->paths_given = o->journal_given = 1;
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
			o->paths_given = o->journal_given = 1;
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
				tc_errx(o->cmd, "bad number of days",
				    optarg);
				return -1;
			}
			o->has_days = 1;
			break;
		case 'F':
			if (!(allow & O_FROM))
				goto bad;
			if (o->nfrom == MAX_FROM) {
				tc_errx(o->cmd, "too many --from files",
				    optarg);
				return -1;
			}
			o->from[o->nfrom++] = optarg;
			o->paths_given = 1;
			break;
		case 'C':
			if (!(allow & O_CURSOR))
				goto bad;
			o->cursor = optarg;
			break;
		case 'h':
			tc_usage(stdout, o->cmd);
			return 1;
		case ':':
			tc_usage_error(o->cmd, "missing argument for",
			    argv[optind - 1]);
			return -1;
		default:
			goto bad;
		}
	}
	if (optind < argc && (allow & O_USER))
		o->user = argv[optind++];
	while (optind < argc && o->nfrom > 0 && o->nfrom < MAX_FROM)
		o->from[o->nfrom++] = argv[optind++];
	if (optind < argc) {
		tc_usage_error(o->cmd, "unexpected argument", argv[optind]);
		return -1;
	}
	/*
	 * Installed setgid (or setuid), talkctl reads what the group may
	 * read; a user who chose the paths could copy the whole journal into
	 * a database of their own.  Only root may choose them then.
	 */
	if (o->paths_given && getuid() != 0 &&
	    (getegid() != getgid() || geteuid() != getuid())) {
		tc_errx(o->cmd, "--db, --journal, TALKD_DB and TALKD_JOURNAL "
		    "are for root when talkctl runs set-id", NULL);
		return -1;
	}
	if ((allow & O_DAYS) && !o->has_days) {
		tc_usage_error(o->cmd, "--older-than is required", NULL);
		return -1;
	}
	return 0;
bad:
	if (optopt != 0 && optopt != '?') {
		char opt[3] = { '-', (char)optopt, '\0' };

		tc_usage_error(o->cmd, "bad option", opt);
	} else
		tc_usage_error(o->cmd, "bad option", argv[optind - 1]);
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

	struct db_ingest_stats one;
	int i;

	if (o->nfrom == 0) {
		if (db_ingest(d, o->journal, 0, report_reject, o, st,
		    &e) == -1) {
			print_err(o->cmd, &e);
			return -1;
		}
		return 0;
	}
	memset(st, 0, sizeof(*st));
	for (i = 0; i < o->nfrom; i++) {
		if (db_ingest_from(d, o->from[i], 0, report_reject, o, &one,
		    &e) == -1) {
			print_err(o->cmd, &e);
			return -1;
		}
		st->files += one.files;
		st->records += one.records;
		st->duplicates += one.duplicates;
		st->rejects += one.rejects;
		st->pending += one.pending;
		st->forgotten += one.forgotten;
		st->missing += one.missing;
		st->untrusted += one.untrusted;
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
	struct group *gr;
	size_t n;
	int fd, setid;

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
	setid = getegid() != getgid() || geteuid() != getuid();
	n = strlen(o->db);
	if (strncmp(e.file, o->db, n) == 0 && (strcmp(e.file + n,
	    "-wal") == 0 || strcmp(e.file + n, "-shm") == 0))
		tc_errx(o->cmd, "root's \"talkctl ingest\" makes the "
		    "database's -wal and -shm files and gives them its owner, "
		    "group and mode (talkd-ingest.timer or cron run it)", NULL);
	else if (access(o->db, F_OK) == -1 && errno == ENOENT)
		tc_errx(o->cmd, "no audit database yet: root's \"talkctl "
		    "ingest\" creates it (talkd-ingest.timer or cron run it)",
		    NULL);
	else if (setid && strcmp(e.file, o->db) == 0 && faccessat(AT_FDCWD,
	    o->db, R_OK, AT_EACCESS) == -1 && errno == EACCES) {
		gr = getgrgid(getegid());
		tc_errx(o->cmd, "talkctl reads the audit database with its "
		    "group, which the database must have", gr ? gr->gr_name :
		    "?");
	} else if (!setid && access(o->db, R_OK) == -1 && errno == EACCES)
		tc_errx(o->cmd, "the audit database is readable by root and "
		    "group talkd only: install talkctl setgid talkd (make "
		    "install does) or ask root", NULL);
	return NULL;
}

/* A table: rows of cells, printed escaped with aligned columns. */
struct table {
	int ncol, json;
	char *names[16];		/* copies: the query's are gone */
	char **cells;			/* nrow * ncol */
	size_t nrow, cap;
	int failed;
};

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
		if (tc_fput_json_text(stdout, vals[0]) == -1)
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
		if ((*nc = strdup(vals[i] != NULL ? vals[i] :
		    "")) == NULL) {
			while (--i >= 0)
				free(t->cells[t->nrow * (size_t)ncol +
				    (size_t)i]);
			return t->failed = 1;
		}
	}
	t->nrow++;
	return 0;
}

/* s escaped, then padded to width columns unless it ends the line. */
static void
put_cell(const char *s, size_t width, int last)
{
	size_t w = tc_esc_width(s);

	static const char blanks[] = "                                ";
	size_t pad = (width > w ? width - w : 0) + 2;

	tc_fput_esc(stdout, s);
	if (last) {
		putchar('\n');
		return;
	}
	for (; pad > sizeof(blanks) - 1; pad -= sizeof(blanks) - 1)
		fwrite(blanks, 1, sizeof(blanks) - 1, stdout);
	fwrite(blanks, 1, pad, stdout);
}

static void
table_print(struct table *t)
{
	size_t w[16] = { 0 }, r, len;
	int c;

	if (t->nrow == 0 || t->ncol > 16)
		return;
	for (c = 0; c < t->ncol; c++)
		w[c] = tc_esc_width(t->names[c]);
	for (r = 0; r < t->nrow; r++)
		for (c = 0; c < t->ncol; c++) {
			len = tc_esc_width(t->cells[r * (size_t)t->ncol +
			    (size_t)c]);
			if (len > w[c])
				w[c] = len;
		}
	for (c = 0; c < t->ncol; c++)
		put_cell(t->names[c], w[c], c + 1 == t->ncol);
	for (r = 0; r < t->nrow; r++) {
		char **row = &t->cells[r * (size_t)t->ncol];
		int last = t->ncol - 1;

		while (last > 0 && row[last][0] == '\0')
			last--;			/* no trailing blanks */
		for (c = 0; c <= last; c++)
			put_cell(row[c], w[c], c == last);
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
	if (per_user && (o.user == NULL || getuid() != 0)) {
		/* (root naming the user needs no passwd lookup) */
		if ((me = invoking_user()) == NULL) {
			tc_errx(o.cmd, "who are you? (no passwd entry for "
			    "the real uid)", NULL);
			return TC_FAIL;
		}
		if (o.user == NULL)
			o.user = me;
		else if (strcmp(o.user, me) != 0) {
			tc_errx(o.cmd, "only root may query calls to "
			    "another user", o.user);
			return TC_FAIL;
		}
	} else if (!per_user && getuid() != 0 && access(o.db, W_OK) != 0) {
		tc_errx(o.cmd, "needs root or write access to the database",
		    o.db);
		return TC_FAIL;
	}
	/*
	 * The protocol carries 12 bytes of a name: so does the journal.  A
	 * longer name cannot be called, and its first 12 bytes may be
	 * another account's: a plain user is refused, root is told.  A
	 * keyed name (k:HEX, talkd --record-names keyed) is stored whole.
	 */
	if (o.user != NULL && strncmp(o.user, "k:", 2) == 0)
		o.f.user = o.user;
	else if (o.user != NULL && strlen(o.user) > WIRE_NAME) {
		if (getuid() != 0) {
			tc_errx(o.cmd, "talk carries 12 bytes of a name, so "
			    "nobody can call this one; calls recorded under "
			    "its first 12 bytes are another name's", o.user);
			return TC_FAIL;
		}
		tc_errx(o.cmd, "warning: talk carries 12 bytes of a name; "
		    "showing calls to the first 12 bytes of", o.user);
	}
	if (o.user != NULL && o.f.user == NULL) {
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
		tc_errx(o.cmd, "out of memory or write error", NULL);
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

	if ((rc = opts_exit(parse_opts(argc, argv, O_JOURNAL | O_FROM, &o))) !=
	    -1)
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
	    "%lu bytes pending, %lu files", st.records, st.duplicates,
	    st.rejects, st.pending, st.files);
	if (st.forgotten > 0)
		printf(", %lu forgotten (pruned)", st.forgotten);
	if (st.missing > 0)
		printf(", %lu missing", st.missing);
	if (st.untrusted > 0)
		printf(", %lu files skipped (not the journal owner's)",
		    st.untrusted);
	printf("\n");
	/* Records lost before they were read, and rotated files someone
	 * else wrote: said on stderr (report_reject) and in the exit
	 * status; a gap once, when first seen, a skipped file every time. */
	return st.missing > 0 || st.untrusted > 0 ? TC_FAIL : TC_OK;
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

	if ((rc = opts_exit(parse_opts(argc, argv, O_DAYS | O_JOURNAL, &o))) !=
	    -1)
		return rc;
	if (getuid() != 0 && access(o.db, W_OK) != 0) {
		tc_errx(o.cmd, "needs root or write access to the database",
		    o.db);
		return TC_FAIL;
	}
	if (db_open(o.db, DB_WRITE, &d, &e) == -1) {
		print_err(o.cmd, &e);
		return TC_FAIL;
	}
	cutoff = (double)time(NULL) - (double)o.days * 86400.0;
	rc = db_prune(d, cutoff, o.journal_given ? o.journal : NULL, &ps, &e);
	if (rc == -1)
		print_err(o.cmd, &e);
	else
		printf("prune: removed %ld records and %ld rejected lines "
		    "older than %ld days from the database, %ld records from "
		    "%ld journal files\n", ps.events, ps.rejects, o.days,
		    ps.journal_records, ps.journal_files);
	db_close(d);
	return rc == 0 ? TC_OK : TC_FAIL;
}

/* export: where the last run stopped, and where this one is. */
struct exporter {
	long long last;
	int failed;
};

static int
export_row(void *arg, int ncol, const char *const *names,
    const char *const *vals)
{
	struct exporter *x = arg;
	char *end;

	(void)names;
	if (vals == NULL || ncol != 2)
		return 0;
	if (tc_fput_json_text(stdout, vals[1]) == -1)
		return x->failed = 1;
	x->last = strtoll(vals[0], &end, 10);
	return 0;
}

#define CURSOR_MAGIC	"talkctl-export-cursor 1"

/* The rid in the cursor file (0 when it does not exist), or -1. */
static long long
cursor_read(const char *cmd, const char *path)
{
	char buf[128], *end;
	long long v;
	FILE *f;
	size_t n;

	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		tc_errx(cmd, path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (strncmp(buf, CURSOR_MAGIC " ", sizeof(CURSOR_MAGIC)) != 0)
		goto bad;
	errno = 0;
	v = strtoll(buf + sizeof(CURSOR_MAGIC), &end, 10);
	if (errno != 0 || v < 0 || end == buf + sizeof(CURSOR_MAGIC) ||
	    strcmp(end, "\n") != 0)
		goto bad;
	return v;
bad:
	tc_errx(cmd, path, "not an export cursor");
	return -1;
}

/* Replace the cursor file atomically (a new file renamed over it). */
static int
cursor_write(const char *cmd, const char *path, long long v)
{
	char tmp[4096], line[64];
	int fd, n, len;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	len = snprintf(line, sizeof(line), CURSOR_MAGIC " %lld\n", v);
	if (n < 0 || (size_t)n >= sizeof(tmp) || len < 0 ||
	    (size_t)len >= sizeof(line)) {
		tc_errx(cmd, path, "name too long");
		return -1;
	}
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1 || write(fd, line, (size_t)len) != len || fsync(fd) == -1 ||
	    close(fd) == -1 || rename(tmp, path) == -1) {
		tc_errx(cmd, path, strerror(errno));
		if (fd != -1)
			(void)unlink(tmp);
		return -1;
	}
	return 0;
}

int
cmd_export(int argc, char **argv)
{
	struct exporter x = { 0 };
	struct db_err e;
	struct opts o;
	struct db *d;
	long long after = 0;
	int rc;

	if ((rc = opts_exit(parse_opts(argc, argv, O_FILTER | O_JOURNAL |
	    O_CURSOR, &o))) != -1)
		return rc;
	if (getuid() != 0 && access(o.db, W_OK) != 0) {
		tc_errx(o.cmd, "needs root or write access to the database",
		    o.db);
		return TC_FAIL;
	}
	if (o.cursor != NULL && (after = cursor_read(o.cmd, o.cursor)) == -1)
		return TC_FAIL;
	if ((d = open_for_query(&o)) == NULL)
		return TC_FAIL;
	x.last = after;
	rc = db_export(d, &o.f, after, export_row, &x, &e);
	db_close(d);
	if (rc == -1) {
		print_err(o.cmd, &e);
		return TC_FAIL;
	}
	/* The cursor moves only once the lines are out of our hands. */
	if (x.failed || fflush(stdout) != 0 || ferror(stdout)) {
		tc_errx(o.cmd, "write error on standard output", NULL);
		return TC_FAIL;
	}
	if (o.cursor != NULL && x.last != after &&
	    cursor_write(o.cmd, o.cursor, x.last) == -1)
		return TC_FAIL;
	return TC_OK;
}
