/*
 * libdb: retention that forgets (talkctl prune).
 *
 * In the database: per run, every record up to the last one older than
 * the cutoff is deleted, runs.pruned remembers that seq (ingest refuses
 * anything at or below it, for good), texts no record uses any more are
 * deleted from strs, and with secure_delete, VACUUM and a truncating
 * checkpoint their bytes leave the files.
 *
 * In the journals: every file the database knows of the journal paths it
 * ingests (the path and its rotated siblings) is rewritten without those
 * records: the survivors go to a new file in the same folder (same owner
 * and mode), which is renamed over the old one.  The live journal is
 * first renamed to PATH-pruned-SECONDS, like a rotation: the daemon
 * notices on its next write and starts a new PATH, and the renamed file's
 * late records (written before the daemon noticed) are kept because the
 * rewrite copies whatever the old file holds after a settling pause.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "db/db_int.h"

#define SETTLE_NS	(200 * 1000 * 1000)	/* after renaming the live file */

static int
exec1(struct db *d, const char *sql, sqlite3_int64 v, long *count,
    struct db_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare(d, &st, sql, err) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, v);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_sqlerr(d, err, "prune");
		return -1;
	}
	if (count != NULL)
		*count = (long)sqlite3_changes(d->h);
	return 0;
}

static int
prune_db(struct db *d, double cutoff, struct db_prune_stats *ps,
    struct db_err *err)
{
	sqlite3_int64 cut = (sqlite3_int64)(cutoff * 1e6);

	if (db_exec(d, "BEGIN IMMEDIATE", err) == -1)
		return -1;
	if (db_exec(d, "DROP TABLE IF EXISTS temp.pruned", err) == -1 ||
	    exec1(d, "CREATE TEMP TABLE pruned AS SELECT run, max(seq) AS seq"
	    " FROM rec WHERE t < ?1 GROUP BY run", cut, NULL, err) == -1 ||
	    exec1(d, "DELETE FROM rec WHERE rid IN (SELECT r.rid FROM"
	    " temp.pruned p JOIN rec r ON r.run = p.run AND r.seq <= p.seq)"
	    " AND ?1 IS NOT NULL", 0, &ps->events, err) == -1 ||
	    db_exec(d, "UPDATE runs SET pruned = max(pruned, (SELECT seq FROM"
	    " temp.pruned p WHERE p.run = runs.id)),"
	    " n = (SELECT count(*) FROM rec WHERE rec.run = runs.id),"
	    " min_seq = (SELECT min(seq) FROM rec WHERE rec.run = runs.id)"
	    " WHERE id IN (SELECT run FROM temp.pruned)", err) == -1 ||
	    db_exec(d, "DELETE FROM strs WHERE id NOT IN (SELECT x FROM ("
	    " SELECT node AS x FROM runs UNION SELECT ev FROM rec"
	    " UNION SELECT caller FROM rec UNION SELECT callee FROM rec"
	    " UNION SELECT addr FROM rec UNION SELECT tty FROM rec"
	    " UNION SELECT answer FROM rec UNION SELECT type FROM rec"
	    " UNION SELECT rule FROM rec UNION SELECT reason FROM rec"
	    " UNION SELECT host FROM rec UNION SELECT msg FROM rec)"
	    " WHERE x IS NOT NULL)",
	    err) == -1 ||
	    exec1(d, "DELETE FROM rejects WHERE t < ?1",
	    (sqlite3_int64)cutoff, &ps->rejects, err) == -1 ||
	    db_exec(d, "DROP TABLE temp.pruned", err) == -1 ||
	    db_exec(d, "COMMIT", err) == -1) {
		sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	/* secure_delete is on for every connection (db_open): freed pages
	 * are zeroed, and VACUUM plus a truncating checkpoint drop them
	 * from the file and the WAL. */
	if (db_exec(d, "VACUUM", err) == -1 ||
	    db_exec(d, "PRAGMA wal_checkpoint(TRUNCATE)", err) == -1)
		return -1;
	return 0;
}

/* The pruned seq of (node, run): records at or below it are forgotten. */
static sqlite3_int64
pruned_seq(struct db *d, sqlite3_stmt *st, const struct db_rec *r)
{
	sqlite3_int64 v = 0;

	sqlite3_bind_text(st, 1, r->s[RF_NODE] ? r->s[RF_NODE] : d->node, -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->s[RF_RUN], -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

/* Read all of fd from offset 0 into a new buffer. */
static char *
slurp(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	ssize_t r;
	char *buf, *nb;

	if ((buf = malloc(cap)) == NULL)
		return NULL;
	for (;;) {
		if (n == cap) {
			if ((nb = realloc(buf, cap * 2)) == NULL)
				goto fail;
			buf = nb;
			cap *= 2;
		}
		r = pread(fd, buf + n, cap - n, (off_t)n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;
fail:
	free(buf);
	return NULL;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Rewrite the journal file name without its forgotten records.  A line
 * that is not a record, and a last line without its newline, are kept.
 */
static int
rewrite_file(struct db *d, sqlite3_stmt *st, const char *name, int live,
    struct db_prune_stats *ps, struct db_err *err)
{
	char tmp[PATH_MAX], why[64];
	struct db_rec *r = NULL;
	struct stat sb;
	char *buf = NULL, *out = NULL, *nl;
	size_t len, i, o = 0, ll;
	long dropped = 0;
	int fd, tfd = -1, ret = -1;

	if ((fd = open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : (db_seterr(err, name, 0, 0, "%s",
		    strerror(errno)), -1);
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		ret = 0;
		goto out;
	}
	if ((buf = slurp(fd, &len)) == NULL || (out = malloc(len + 1)) ==
	    NULL || (r = malloc(sizeof(*r))) == NULL) {
		db_seterr(err, name, 0, 0, "%s", strerror(errno));
		goto out;
	}
	for (i = 0; i < len; i += ll) {
		nl = memchr(buf + i, '\n', len - i);
		ll = nl ? (size_t)(nl - (buf + i)) + 1 : len - i;
		if (nl != NULL && db_rec_parse(buf + i, ll - 1, r, why,
		    sizeof(why)) == NULL && r->seq <= pruned_seq(d, st, r)) {
			dropped++;
			continue;
		}
		memcpy(out + o, buf + i, ll);
		o += ll;
	}
	if (dropped == 0) {
		ret = 0;
		goto out;
	}
	if (o == 0 && !live) {		/* a rotated file with nothing left */
		if (unlink(name) == -1) {
			db_seterr(err, name, 0, 0, "unlink: %s",
			    strerror(errno));
			goto out;
		}
		ps->journal_records += dropped;
		ps->journal_files++;
		ret = 0;
		goto out;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.prune-tmp", name) >=
	    (int)sizeof(tmp)) {
		db_seterr(err, name, 0, 0, "name too long");
		goto out;
	}
	(void)unlink(tmp);
	tfd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    sb.st_mode & 0640);
	if (tfd == -1 || (fchown(tfd, sb.st_uid, sb.st_gid) == -1 &&
	    errno != EPERM) || fchmod(tfd, sb.st_mode & 0777) == -1 ||
	    write_all(tfd, out, o) == -1 || fsync(tfd) == -1 ||
	    rename(tmp, name) == -1) {
		db_seterr(err, name, 0, 0, "rewrite: %s", strerror(errno));
		if (tfd != -1)
			(void)unlink(tmp);
		goto out;
	}
	ps->journal_records += dropped;
	ps->journal_files++;
	ret = 0;
out:
	if (tfd != -1)
		close(tfd);
	close(fd);
	free(r);
	free(out);
	free(buf);
	return ret;
}

/* Does the live journal hold any forgotten record? */
static int
live_has_pruned(struct db *d, sqlite3_stmt *st, const char *path)
{
	struct db_rec *r;
	char line[DB_RECORD_MAX + 1], why[64], *nl;
	ssize_t n;
	int fd, yes = 0;

	/* Records are in seq order: the first one decides. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	n = pread(fd, line, sizeof(line) - 1, 0);
	close(fd);
	if (n <= 0 || (nl = memchr(line, '\n', (size_t)n)) == NULL ||
	    (r = malloc(sizeof(*r))) == NULL)
		return 0;
	if (db_rec_parse(line, (size_t)(nl - line), r, why, sizeof(why)) ==
	    NULL && r->seq <= pruned_seq(d, st, r))
		yes = 1;
	free(r);
	return yes;
}

static int
prune_journal(struct db *d, sqlite3_stmt *st, const char *path,
    struct db_prune_stats *ps, struct db_err *err)
{
	const struct timespec settle = { 0, SETTLE_NS };
	char moved[PATH_MAX], **names;
	size_t n, i;
	int len, ret = 0;

	if (live_has_pruned(d, st, path)) {
		len = snprintf(moved, sizeof(moved), "%s-pruned-%lld", path,
		    (long long)time(NULL));
		if (len < 0 || (size_t)len >= sizeof(moved) ||
		    rename(path, moved) == -1) {
			db_seterr(err, path, 0, 0, "rename: %s", strerror(errno));
			return -1;
		}
		nanosleep(&settle, NULL);	/* the daemon moves to PATH */
	}
	if (db_siblings(path, &names, &n) == -1) {
		db_seterr(err, path, 0, 0, "out of memory");
		return -1;
	}
	for (i = 0; i < n && ret == 0; i++)
		ret = rewrite_file(d, st, names[i], 0, ps, err);
	db_siblings_free(names, n);
	if (ret == 0)
		ret = rewrite_file(d, st, path, 1, ps, err);
	return ret;
}

int
db_prune(struct db *d, double cutoff, const char *journal,
    struct db_prune_stats *ps, struct db_err *err)
{
	sqlite3_stmt *st = NULL, *paths = NULL;
	int rc, ret = -1;

	memset(ps, 0, sizeof(*ps));
	if (prune_db(d, cutoff, ps, err) == -1)
		return -1;
	if (db_prepare(d, &st, "SELECT pruned FROM runs WHERE run = ?2 AND"
	    " node = (SELECT id FROM strs WHERE s = ?1)", err) == -1 ||
	    db_prepare(d, &paths, "SELECT path FROM journals WHERE path <> '-'"
	    " UNION SELECT ?1 WHERE ?1 IS NOT NULL", err) == -1)
		goto out;
	if (journal != NULL)
		sqlite3_bind_text(paths, 1, journal, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(paths)) == SQLITE_ROW)
		if (prune_journal(d, st, (const char *)sqlite3_column_text(paths,
		    0), ps, err) == -1)
			goto out;
	if (rc != SQLITE_DONE) {
		db_sqlerr(d, err, "journals");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	sqlite3_finalize(paths);
	return ret;
}
