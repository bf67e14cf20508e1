/*
 * libdb: open the audit database and apply the embedded migrations.
 *
 * A new database file is created mode 0640 before SQLite sees it (SQLite
 * gives its -wal and -shm files the database file's mode when it creates
 * them; a writer gives them its owner, group and mode again, whoever made
 * them).  A read-only open that fails says which of the three files, or
 * the folder, a reader without write access could not use.  Connections run
 * with foreign_keys and secure_delete on and a busy timeout; writers switch
 * the file to WAL.  Each schema/NNN-*.sql runs in one transaction that also
 * sets PRAGMA user_version to NNN, so a crash leaves the schema at a
 * version boundary.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/db.h"
#include "db/db_int.h"

#define BUSY_TIMEOUT_MS	5000

/* Word for word as in schema/004-calls.sql. */
const char db_rec_indexes_sql[] =
	"CREATE INDEX IF NOT EXISTS rec_callee ON rec (callee, t, ev, caller,"
	" run) WHERE callee IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS rec_caller ON rec (caller, invite, t,"
	" callee, run) WHERE invite IS NOT NULL;";
const char db_rec_noindexes_sql[] =
	"DROP INDEX IF EXISTS rec_callee; DROP INDEX IF EXISTS rec_caller;";

void
db_seterr(struct db_err *err, const char *file, unsigned line, unsigned col,
    const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL)
		return;
	n = snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	if (n < 0 || (size_t)n >= sizeof(err->file))
		err->file[sizeof(err->file) - 1] = '\0';	/* truncated name */
	err->line = line;
	err->col = col;
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		err->msg[0] = '\0';
	/* A long message is cut at the buffer; that is all we can do. */
}

/*
 * Set err->file to path, or with path NULL prefix the migration name in it
 * with "schema/" so that it names the source file.
 */
void
db_seterr_file(struct db_err *err, const char *path)
{
	char name[sizeof(err->file)];
	int n;

	if (err == NULL)
		return;
	if (path != NULL)
		n = snprintf(err->file, sizeof(err->file), "%s", path);
	else {
		n = snprintf(name, sizeof(name), "schema/%s", err->file);
		if (n >= 0 && (size_t)n < sizeof(name))
			n = snprintf(err->file, sizeof(err->file), "%s", name);
	}
	if (n < 0 || (size_t)n >= sizeof(err->file))
		err->file[sizeof(err->file) - 1] = '\0';	/* truncated */
}

void
db_sqlerr(struct db *d, struct db_err *err, const char *what)
{
	db_seterr(err, NULL, 0, 0, "%s: %s", what, sqlite3_errmsg(d->h));
}

int
db_exec(struct db *d, const char *sql, struct db_err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(d->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		db_seterr(err, NULL, 0, 0, "%s: %s", sql,
		    msg ? msg : sqlite3_errmsg(d->h));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
db_prepare(struct db *d, sqlite3_stmt **st, const char *sql,
    struct db_err *err)
{
	if (sqlite3_prepare_v2(d->h, sql, -1, st, NULL) != SQLITE_OK) {
		db_sqlerr(d, err, "prepare");
		*st = NULL;
		return -1;
	}
	return 0;
}

/*
 * A statement prepared once per connection: ingest's insert compiles the
 * lifecycle triggers, which is worth doing once, not per call.
 */
int
db_cached(struct db *d, enum db_stmt slot, const char *sql, sqlite3_stmt **st,
    struct db_err *err)
{
	if (d->st[slot] == NULL && sqlite3_prepare_v3(d->h, sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &d->st[slot], NULL) != SQLITE_OK) {
		db_sqlerr(d, err, "prepare");
		d->st[slot] = NULL;
	}
	*st = d->st[slot];
	return *st == NULL ? -1 : 0;
}

/* Create the file 0640 if it does not exist, so that nobody else reads it. */
static int
create_private(const char *path, struct db_err *err)
{
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0640);
	if (fd == -1) {
		if (errno == EEXIST)
			return 0;
		db_seterr(err, path, 0, 0, "%s", strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0640) == -1) {
		db_seterr(err, path, 0, 0, "fchmod: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
db_schema_version(struct db *d)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(d->h, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Byte offset in text -> 1-based line and column (tabs to 8). */
static void
offset_to_linecol(const char *text, size_t off, unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && text[i] != '\0'; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (text[i] == '\t')
			*col = ((*col - 1) / 8 + 1) * 8 + 1;
		else
			(*col)++;
	}
}

/* Run one migration's statements; on error point into the file. */
static int
run_script(struct db *d, const struct db_migration *m, struct db_err *err)
{
	const char *p = m->sql, *tail = NULL;
	sqlite3_stmt *st = NULL;
	unsigned line, col;
	int rc, off;

	while (*p != '\0') {
		st = NULL;
		rc = sqlite3_prepare_v2(d->h, p, -1, &st, &tail);
		if (rc != SQLITE_OK) {
			off = sqlite3_error_offset(d->h);
			offset_to_linecol(m->sql,
			    (size_t)(p - m->sql) + (off >= 0 ? (size_t)off : 0),
			    &line, &col);
			db_seterr(err, m->name, line, col, "%s",
			    sqlite3_errmsg(d->h));
			db_seterr_file(err, NULL);
			return -1;
		}
		if (st == NULL) {		/* only comments or blanks left */
			p = tail;
			continue;
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		if (rc != SQLITE_DONE) {
			/* Points at the start of the failing statement. */
			while (*p == ' ' || *p == '\t' || *p == '\n')
				p++;
			offset_to_linecol(m->sql, (size_t)(p - m->sql), &line,
			    &col);
			db_seterr(err, m->name, line, col, "%s",
			    sqlite3_errmsg(d->h));
			db_seterr_file(err, NULL);
			sqlite3_finalize(st);
			return -1;
		}
		sqlite3_finalize(st);
		p = tail;
	}
	return 0;
}

int
db_migrate(struct db *d, const struct db_migration *m, size_t n,
    struct db_err *err)
{
	char sql[64];
	char *end;
	size_t i;
	long num;
	int v, len;

	/* Current already (every opening but the first of each version):
	 * no write lock.  A version only grows, so this cannot go stale. */
	if (db_schema_version(d) == (int)n)
		return 0;
	for (;;) {
		/* Re-read the version under the write lock: another talkctl
		 * may have migrated meanwhile. */
		if (db_exec(d, "BEGIN IMMEDIATE", err) == -1)
			return -1;
		v = db_schema_version(d);
		if (v < 0) {
			db_sqlerr(d, err, "user_version");
			goto fail;
		}
		if ((size_t)v > n) {
			db_seterr(err, NULL, 0, 0, "database schema version %d "
			    "is newer than this program (%zu)", v, n);
			goto fail;
		}
		if ((size_t)v == n)
			break;
		i = (size_t)v;
		num = strtol(m[i].name, &end, 10);
		if (end != m[i].name + 3 || *end != '-' || num != (long)i + 1) {
			db_seterr(err, m[i].name, 0, 0, "migration %zu is "
			    "named \"%s\" (expected %03zu-*.sql)", i + 1,
			    m[i].name, i + 1);
			goto fail;
		}
		if (run_script(d, &m[i], err) == -1)
			goto fail;
		/* PRAGMA takes no parameters; the value is our own integer. */
		len = snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu",
		    i + 1);
		if (len < 0 || (size_t)len >= sizeof(sql)) {
			db_seterr(err, NULL, 0, 0, "user_version: overflow");
			goto fail;
		}
		if (db_exec(d, sql, err) == -1 || db_exec(d, "COMMIT", err) == -1)
			goto fail;
	}
	return db_exec(d, "COMMIT", err);
fail:
	sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * Switch to WAL.  The switch needs an exclusive lock and SQLite does not
 * call the busy handler for it, so two talkctl creating the database at
 * once would see "database is locked": retry for a bounded time.
 */
static int
set_wal(struct db *d, struct db_err *err)
{
	const struct timespec pause = { 0, 50 * 1000 * 1000 };
	sqlite3_stmt *st = NULL;
	int i, rc, wal = 0;

	if (db_prepare(d, &st, "PRAGMA journal_mode", err) == -1)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		wal = sqlite3_stricmp((const char *)sqlite3_column_text(st, 0),
		    "wal") == 0;
	sqlite3_finalize(st);
	for (i = 0; !wal && i < BUSY_TIMEOUT_MS / 50; i++) {
		rc = sqlite3_exec(d->h, "PRAGMA journal_mode = WAL", NULL, NULL,
		    NULL);
		if (rc == SQLITE_OK)
			return 0;
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		nanosleep(&pause, NULL);
	}
	if (wal)
		return 0;
	db_sqlerr(d, err, "PRAGMA journal_mode = WAL");
	return -1;
}

/*
 * A large ingest killed before its end leaves rec without its secondary
 * indexes (db_ingest.c): build them again.  A no-op when they exist.
 */
int
db_index(struct db *d, struct db_err *err)
{
	sqlite3_stmt *st = NULL;
	int n = 0;

	if (sqlite3_prepare_v2(d->h, "SELECT count(*) FROM sqlite_master"
	    " WHERE type = 'index' AND name IN ('rec_callee', 'rec_caller')",
	    -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (n == 2)
		return 0;
	/*
	 * With temp_store = MEMORY SQLite's sorter mallocs every key and
	 * merges the scattered list; with FILE it packs the keys into one
	 * growing buffer, and a third less time goes into the sort.  Beyond
	 * cache_size (64 MB of keys, some 1.5M records) it then spills
	 * sorted runs to an unlinked temporary file: integer ids and times,
	 * no names.  Connections go back to MEMORY at once.
	 */
	if (db_exec(d, "PRAGMA temp_store = FILE", err) == -1)
		return -1;
	if (db_exec(d, "BEGIN IMMEDIATE", err) == -1)
		goto fail;
	if (db_exec(d, db_rec_indexes_sql, err) == -1 ||
	    db_exec(d, "COMMIT", err) == -1) {
		sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	return db_exec(d, "PRAGMA temp_store = MEMORY", err);
fail:
	sqlite3_exec(d->h, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
	return -1;
}

/* talkd_hostname(): this host's name, for records that carry none. */
static void
fn_hostname(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct db *d = sqlite3_user_data(ctx);

	(void)argc;
	(void)argv;
	sqlite3_result_text(ctx, d->node, -1, SQLITE_STATIC);
}

/*
 * jstr(x): x as a JSON string the way the daemon writes one: printable
 * ASCII as it is (but " and \), every other character as \u00XX (or
 * \uXXXX, a surrogate pair above U+FFFF); a byte that is not UTF-8 as
 * the code point of its value.  NULL stays NULL.
 */
static void
fn_jstr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s;
	unsigned c, lo;
	size_t n, i, o = 0, k, need;
	char *out;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	s = sqlite3_value_text(argv[0]);
	n = (size_t)sqlite3_value_bytes(argv[0]);
	if ((out = sqlite3_malloc64(n * 12 + 3)) == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	out[o++] = '"';
	for (i = 0; i < n; i += need) {
		c = s[i];
		need = 1;
		if (c >= 0xc2 && c <= 0xf4) {
			k = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
			if (i + k <= n) {
				unsigned v = c & (0xff >> (k + 1));
				size_t j;

				for (j = 1; j < k && (s[i + j] & 0xc0) == 0x80; j++)
					v = v << 6 | (s[i + j] & 0x3f);
				if (j == k && v >= (k == 2 ? 0x80u : k == 3 ?
				    0x800u : 0x10000u) && v <= 0x10ffff &&
				    (v < 0xd800 || v > 0xdfff)) {
					c = v;
					need = k;
				}
			}
		}
		if (c >= 0x20 && c < 0x7f) {
			if (c == '"' || c == '\\')
				out[o++] = '\\';
			out[o++] = (char)c;
			continue;
		}
		if (c >= 0x10000) {
			lo = 0xdc00 + ((c - 0x10000) & 0x3ff);
			c = 0xd800 + ((c - 0x10000) >> 10);
		} else
			lo = 0;
		for (; c != 0; c = lo, lo = 0) {
			out[o++] = '\\';
			out[o++] = 'u';
			out[o++] = hex[c >> 12 & 15];
			out[o++] = hex[c >> 8 & 15];
			out[o++] = hex[c >> 4 & 15];
			out[o++] = hex[c & 15];
		}
	}
	out[o++] = '"';
	sqlite3_result_text(ctx, out, (int)o, sqlite3_free);
}

/* path with suffix ("-wal", "-shm") into buf, or -1 when too long. */
static int
sibling(char *buf, size_t size, const char *path, const char *suffix)
{
	int n = snprintf(buf, size, "%s%s", path, suffix);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* "mode 0640, owner root, group talkd" of st, into buf. */
static void
describe(char *buf, size_t size, const struct stat *st)
{
	char u[32], g[32];
	struct passwd *pw = getpwuid(st->st_uid);
	struct group *gr = getgrgid(st->st_gid);

	if (pw == NULL)
		(void)snprintf(u, sizeof(u), "%lu", (unsigned long)st->st_uid);
	if (gr == NULL)
		(void)snprintf(g, sizeof(g), "%lu", (unsigned long)st->st_gid);
	/* A name cut short is still a clue. */
	(void)snprintf(buf, size, "mode %04o, owner %s, group %s",
	    (unsigned)(st->st_mode & 07777), pw ? pw->pw_name : u,
	    gr ? gr->gr_name : g);
}

/*
 * Give the -wal and -shm files the database file's owner, group and mode,
 * as SQLite does when it creates them: a restore, a cp or a chmod may have
 * left them otherwise, and whoever may read the database (talkctl setgid
 * talkd) must be able to read them, and nobody else.  Only regular files
 * with one link, never through a symbolic link; the owner only when root.
 * Through O_PATH descriptors: closing one that was opened for reading
 * would drop every POSIX lock this process holds on the file, SQLite's
 * included.
 */
static int
match_wal_files(const char *path, struct db_err *err)
{
	static const char *const sfx[] = { "-wal", "-shm" };
	char name[PATH_MAX], proc[64];
	struct stat db, st;
	mode_t mode;
	size_t i;
	int fd, rc;

	if (strcmp(path, ":memory:") == 0)
		return 0;
	if (lstat(path, &db) == -1) {
		db_seterr(err, path, 0, 0, "%s", strerror(errno));
		return -1;
	}
	mode = db.st_mode & 0777;
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if (sibling(name, sizeof(name), path, sfx[i]) == -1) {
			db_seterr(err, path, 0, 0, "name too long");
			return -1;
		}
		fd = open(name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1)
			continue;		/* SQLite makes it when needed */
		rc = 0;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_nlink == 1) {
			if (geteuid() == 0 && (st.st_uid != db.st_uid ||
			    st.st_gid != db.st_gid))
				rc = fchownat(fd, "", db.st_uid, db.st_gid,
				    AT_EMPTY_PATH);
			if (rc == 0 && (st.st_mode & 07777) != mode &&
			    (geteuid() == 0 || st.st_uid == geteuid())) {
				/* fchmod() refuses an O_PATH descriptor. */
				(void)snprintf(proc, sizeof(proc),
				    "/proc/self/fd/%d", fd);
				rc = chmod(proc, mode);
			}
		}
		if (rc == -1) {
			db_seterr(err, name, 0, 0, "cannot give it the "
			    "database's owner, group and mode: %s",
			    strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

/*
 * A read-only open failed: find which file SQLite could not use, with the
 * rights it used (the effective ids), and say so in err.  A reader without
 * write access to the folder cannot create the -wal and -shm files of a
 * WAL database: they must exist and be readable.  And SQLite asks access(),
 * which uses the real ids, whether the -wal file exists: the folder must
 * be searchable with those.  err is left alone when all looks right.
 * It opens and closes the files: call it with no connection to them open
 * (closing a descriptor drops the process's POSIX locks on the file).
 */
static void
why_unreadable(const char *path, struct db_err *err)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char name[PATH_MAX], dir[PATH_MAX], what[128], dbwhat[128];
	unsigned char hdr[20];
	struct stat st;
	size_t i;
	char *slash;
	int fd, e, wal = 0;

	dbwhat[0] = '\0';
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if (sibling(name, sizeof(name), path, sfx[i]) == -1)
			return;
		fd = open(name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd == -1) {
			e = errno;
			if (e == ENOENT && i > 0 && !wal)
				continue;	/* a rollback journal database */
			if (e == ENOENT && i > 0)
				db_seterr(err, name, 0, 0, "missing, and a "
				    "reader without write access to the "
				    "folder cannot create it");
			else if (e == EACCES && lstat(name, &st) == 0) {
				describe(what, sizeof(what), &st);
				db_seterr(err, name, 0, 0, "%s (%s%s%s)",
				    strerror(e), what, dbwhat[0] ?
				    "; the database: " : "", dbwhat);
			} else
				db_seterr(err, name, 0, 0, "%s", strerror(e));
			return;
		}
		if (i == 0) {
			/* Bytes 18 and 19 of the header: 2 for WAL. */
			wal = pread(fd, hdr, sizeof(hdr), 0) ==
			    (ssize_t)sizeof(hdr) && hdr[18] == 2 && hdr[19] == 2;
			if (fstat(fd, &st) == 0)
				describe(dbwhat, sizeof(dbwhat), &st);
		}
		close(fd);
	}
	if (sibling(dir, sizeof(dir), path, "") == -1)
		return;
	if ((slash = strrchr(dir, '/')) == NULL)
		(void)snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (access(dir, X_OK) == -1 && errno == EACCES)
		db_seterr(err, dir, 0, 0, "not searchable with the real user "
		    "and group ids, with which SQLite asks whether the -wal "
		    "file exists: the folder needs o+x, as with mode 2755");
}

int
db_open(const char *path, enum db_mode mode, struct db **out,
    struct db_err *err)
{
	struct db *d = NULL;
	int flags, persist, v, diagnose = 0;

	*out = NULL;
	if (mode == DB_WRITE && strcmp(path, ":memory:") != 0 &&
	    create_private(path, err) == -1)
		return -1;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		db_seterr(err, path, 0, 0, "out of memory");
		return -1;
	}
	/* One connection per thread: no mutexes; and no memory statistics,
	 * which take a global mutex per allocation (before the first open
	 * only: later it is refused, harmlessly). */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	flags = (mode == DB_WRITE ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY)
	    | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &d->h, flags, NULL) != SQLITE_OK) {
		db_seterr(err, path, 0, 0, "%s", d->h ? sqlite3_errmsg(d->h) :
		    "out of memory");
		diagnose = mode == DB_READ;
		goto fail;
	}
	sqlite3_extended_result_codes(d->h, 1);
	if (gethostname(d->node, sizeof(d->node) - 1) == -1 ||
	    d->node[0] == '\0')
		(void)snprintf(d->node, sizeof(d->node), "localhost");
	if (sqlite3_create_function(d->h, "talkd_hostname", 0, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC, d, fn_hostname, NULL, NULL) != SQLITE_OK) {
		db_sqlerr(d, err, "talkd_hostname");
		goto fail;
	}
	if (sqlite3_create_function(d->h, "jstr", 1, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC, NULL, fn_jstr, NULL, NULL) != SQLITE_OK) {
		db_sqlerr(d, err, "jstr");
		goto fail;
	}
	sqlite3_busy_timeout(d->h, BUSY_TIMEOUT_MS);
	if (db_exec(d, "PRAGMA foreign_keys = ON", err) == -1 ||
	    db_exec(d, "PRAGMA secure_delete = ON", err) == -1 ||
	    db_exec(d, "PRAGMA temp_store = MEMORY", err) == -1)
		goto fail;
	if (mode == DB_WRITE && sqlite3_db_readonly(d->h, "main") == 1) {
		db_seterr(err, path, 0, 0, "no write access");
		goto fail;
	}
	/* Keep the -wal and -shm files (0640, like the database) when the
	 * last connection closes: read-only users, such as a setgid talkctl,
	 * can then read without write access to the folder. */
	persist = 1;
	sqlite3_file_control(d->h, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	if (mode == DB_WRITE) {
		if (set_wal(d, err) == -1 ||
		    db_exec(d, "PRAGMA journal_size_limit = 4194304", err) == -1 ||
		    db_exec(d, "PRAGMA synchronous = NORMAL", err) == -1 ||
		    db_exec(d, "PRAGMA cache_size = -65536", err) == -1 ||
		    db_migrate(d, db_migrations, db_nmigrations, err) == -1 ||
		    db_index(d, err) == -1 || match_wal_files(path, err) == -1)
			goto fail;
	} else {
		v = db_schema_version(d);
		if (v < 0) {
			db_seterr(err, path, 0, 0, "%s", sqlite3_errmsg(d->h));
			diagnose = 1;
			goto fail;
		}
		if ((size_t)v != db_nmigrations) {
			db_seterr(err, path, 0, 0, "schema version %d, this "
			    "program needs %zu (run talkctl ingest with write "
			    "access to migrate)", v, db_nmigrations);
			goto fail;
		}
	}
	*out = d;
	return 0;
fail:
	if (err != NULL && err->file[0] == '\0')
		db_seterr_file(err, path);
	db_close(d);
	if (diagnose)
		why_unreadable(path, err);
	return -1;
}

void
db_close(struct db *d)
{
	int i;

	if (d == NULL)
		return;
	for (i = 0; i < ST_MAX; i++)
		sqlite3_finalize(d->st[i]);
	sqlite3_close_v2(d->h);
	free(d);
}

struct sqlite3 *
db_sqlite(struct db *d)
{
	return d->h;
}
