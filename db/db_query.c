/*
 * libdb: the queries behind talkctl who-called, history, audit and prune.
 * Human rows are display columns (times in local time); --json rows are a
 * single column built by SQLite's json_object (audit: the raw record).
 * User and time filters are bound parameters: ?1 user, ?2 since, ?3 until.
 */
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "db/db_int.h"

#define LOCALTIME(col) \
	"strftime('%Y-%m-%d %H:%M:%S', " col ", 'unixepoch', 'localtime')"
#define ISOTIME(col) \
	"strftime('%Y-%m-%dT%H:%M:%fZ', " col ", 'unixepoch')"
#define WINDOW(col) \
	" (?2 IS NULL OR " col " >= ?2) AND (?3 IS NULL OR " col " < ?3)"

static const char who_human[] =
	"SELECT " LOCALTIME("t") " AS TIME, caller AS CALLER, src AS \"FROM\","
	" tty AS TTY, outcome AS OUTCOME,"
	" CASE outcome"
	"  WHEN 'denied' THEN 'rule ' || coalesce(rule, 'default')"
	"   || coalesce(' (' || detail || ')', '')"
	"   || coalesce(' on ' || type, '')"
	"  WHEN 'refused' THEN detail"
	"  ELSE CASE WHEN rings > 1 THEN 'rang ' || rings || ' times' END"
	" END AS DETAIL"
	" FROM calls WHERE (?1 IS NULL OR callee = ?1) AND" WINDOW("t")
	" ORDER BY t, rid";

static const char who_json[] =
	"SELECT json_object('time', ts, 'caller', caller, 'from', src,"
	" 'callee', callee, 'tty', tty, 'outcome', outcome, 'detail', detail,"
	" 'rule', rule, 'type', type, 'answer', answer, 'id', id,"
	" 'rings', rings) AS json"
	" FROM calls WHERE (?1 IS NULL OR callee = ?1) AND" WINDOW("t")
	" ORDER BY t, rid";

static const char history_human[] =
	"SELECT " LOCALTIME("left_t") " AS TIME, caller AS CALLER,"
	" callee AS CALLEE, src AS \"FROM\", id AS ID,"
	" CASE WHEN lookup_t IS NULL THEN '-' ELSE"
	"  strftime('%H:%M:%S', lookup_t, 'unixepoch', 'localtime')"
	"  || ' by ' || coalesce(lookup_by, '?') END AS \"LOOKED UP\","
	" CASE WHEN ending = 'refused' THEN 'refused'"
	"   || coalesce(' (' || reason || ')', '')"
	"  WHEN end_t IS NULL THEN 'open'"
	"  ELSE ending || ' ' || strftime('%H:%M:%S', end_t, 'unixepoch',"
	"   'localtime') END AS \"END\","
	" CASE WHEN refreshes > 0 THEN refreshes END AS REFRESHED"
	" FROM invitations"
	" WHERE (?1 IS NULL OR caller = ?1 OR callee = ?1) AND" WINDOW("left_t")
	" ORDER BY left_t, rid";

static const char history_json[] =
	"SELECT json_object('time', left_ts, 'caller', caller,"
	" 'callee', callee, 'from', src, 'id', id, 'refreshes', refreshes,"
	" 'looked_up', " ISOTIME("lookup_t") ", 'looked_up_by', lookup_by,"
	" 'looked_up_from', lookup_src, 'lookups', lookups,"
	" 'ended', " ISOTIME("end_t") ", 'ending', ending,"
	" 'reason', reason) AS json"
	" FROM invitations"
	" WHERE (?1 IS NULL OR caller = ?1 OR callee = ?1) AND" WINDOW("left_t")
	" ORDER BY left_t, rid";

static const char audit_human[] =
	"SELECT " LOCALTIME("t") " AS TIME, event AS EVENT, caller AS CALLER,"
	" callee AS CALLEE, src AS \"FROM\", tty AS TTY, id AS ID,"
	" answer AS ANSWER,"
	" trim(coalesce('rule ' || rule || ' ', '')"
	"  || coalesce(reason || ' ', '') || coalesce('count ' || count || ' ', '')"
	"  || coalesce('host ' || host || ' ', '')"
	"  || coalesce(json_extract(raw, '$.msg'), '')) AS DETAIL"
	" FROM events WHERE (?1 IS NULL OR caller = ?1 OR callee = ?1) AND"
	WINDOW("t") " ORDER BY t, rid";

static const char audit_json[] =
	"SELECT raw AS json FROM events"
	" WHERE (?1 IS NULL OR caller = ?1 OR callee = ?1) AND" WINDOW("t")
	" ORDER BY t, rid";

static int
run_query(struct db *d, const char *sql, const struct db_filter *f,
    db_row_fn *fn, void *arg, struct db_err *err)
{
	const char *names[16], *vals[16];
	sqlite3_stmt *st = NULL;
	int i, n, rc, ret = -1;

	if (db_prepare(d, &st, sql, err) == -1)
		return -1;
	n = sqlite3_column_count(st);
	if (n > 16) {
		db_seterr(err, NULL, 0, 0, "query has %d columns", n);
		goto out;
	}
	if (f->user != NULL)
		sqlite3_bind_text(st, 1, f->user, -1, SQLITE_TRANSIENT);
	if (f->has_since)
		sqlite3_bind_double(st, 2, f->since);
	if (f->has_until)
		sqlite3_bind_double(st, 3, f->until);
	for (i = 0; i < n; i++)
		names[i] = sqlite3_column_name(st, i);
	if ((rc = fn(arg, n, names, NULL)) != 0) {
		ret = rc;
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < n; i++) {
			vals[i] = (const char *)sqlite3_column_text(st, i);
			if (vals[i] == NULL)
				vals[i] = "";
		}
		if ((rc = fn(arg, n, names, vals)) != 0) {
			ret = rc;
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		db_sqlerr(d, err, "query");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int
db_who_called(struct db *d, const struct db_filter *f, db_row_fn *fn,
    void *arg, struct db_err *err)
{
	return run_query(d, f->json ? who_json : who_human, f, fn, arg, err);
}

int
db_history(struct db *d, const struct db_filter *f, db_row_fn *fn, void *arg,
    struct db_err *err)
{
	return run_query(d, f->json ? history_json : history_human, f, fn, arg,
	    err);
}

int
db_audit(struct db *d, const struct db_filter *f, db_row_fn *fn, void *arg,
    struct db_err *err)
{
	return run_query(d, f->json ? audit_json : audit_human, f, fn, arg,
	    err);
}

static int
delete_older(struct db *d, const char *sql, double cutoff, long *count,
    struct db_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (db_prepare(d, &st, sql, err) == -1)
		return -1;
	sqlite3_bind_double(st, 1, cutoff);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_sqlerr(d, err, "prune");
		return -1;
	}
	*count = (long)sqlite3_changes(d->h);
	return 0;
}

int
db_prune(struct db *d, double cutoff, struct db_prune_stats *ps,
    struct db_err *err)
{
	memset(ps, 0, sizeof(*ps));
	/* secure_delete is on for every connection (db_open): freed pages
	 * are zeroed, and VACUUM plus a truncating checkpoint drop them
	 * from the file and the WAL. */
	if (db_exec(d, "BEGIN IMMEDIATE", err) == -1)
		return -1;
	if (delete_older(d, "DELETE FROM events WHERE t < ?1", cutoff,
	    &ps->events, err) == -1 ||
	    delete_older(d, "DELETE FROM invitations WHERE left_t < ?1",
	    cutoff, &ps->invitations, err) == -1 ||
	    delete_older(d, "DELETE FROM announcements WHERE t < ?1", cutoff,
	    &ps->announcements, err) == -1 ||
	    delete_older(d, "DELETE FROM rejects WHERE t < ?1", cutoff,
	    &ps->rejects, err) == -1 ||
	    db_exec(d, "COMMIT", err) == -1) {
		sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (db_exec(d, "VACUUM", err) == -1 ||
	    db_exec(d, "PRAGMA wal_checkpoint(TRUNCATE)", err) == -1)
		return -1;
	return 0;
}
