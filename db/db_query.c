/*
 * libdb: the queries behind talkctl history, audit and export (who-called
 * is db_who.c).
 * Human rows are display columns (times in local time); --json rows are a
 * single column.  User and time filters are bound parameters: ?1 user,
 * ?2 since, ?3 until (epoch seconds).  Each query comes in a variant for
 * one user (through the callee and caller indexes) and one for all; a HOST
 * column appears when the database holds records of more than one host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/db_int.h"

#define LOCALTIME(col) \
	"strftime('%Y-%m-%d %H:%M:%S', " col " / 1000000, 'unixepoch'," \
	" 'localtime')"
#define ISOTIME(col) \
	"(strftime('%Y-%m-%dT%H:%M:%S', " col " / 1000000, 'unixepoch')" \
	" || printf('.%03dZ', " col " / 1000 % 1000))"
#define TS6(col) \
	"(strftime('%Y-%m-%dT%H:%M:%S', " col " / 1000000, 'unixepoch')" \
	" || printf('.%06dZ', " col " % 1000000))"
#define WINDOW(col) \
	" (?2 IS NULL OR " col " >= ?2 * 1e6) AND" \
	" (?3 IS NULL OR " col " < ?3 * 1e6)"
#define S(col) "(SELECT s FROM strs WHERE id = " col ")"
#define USER "(SELECT id FROM strs WHERE s = ?1)"
#define KEYS \
	"k AS (SELECT" \
	" (SELECT id FROM strs WHERE s = 'announce.rung') AS rung," \
	" (SELECT id FROM strs WHERE s = 'announce.rerung') AS rerung," \
	" (SELECT id FROM strs WHERE s = 'announce.duplicate') AS dup," \
	" (SELECT id FROM strs WHERE s = 'announce.refused') AS refused," \
	" (SELECT id FROM strs WHERE s = 'request.denied') AS denied," \
	" (SELECT id FROM strs WHERE s = 'lookup.hit') AS hit," \
	" (SELECT id FROM strs WHERE s = 'invite.left') AS lft," \
	" (SELECT id FROM strs WHERE s = 'invite.refused') AS irefused," \
	" (SELECT id FROM strs WHERE s = 'invite.deleted') AS deleted," \
	" (SELECT id FROM strs WHERE s = 'invite.expired') AS expired," \
	" (SELECT id FROM strs WHERE s = 'ANNOUNCE') AS announce)"

/*
 * Invitations (history): each invite.left that is not a refresh, and each
 * invite.refused; its end is the first invite.deleted or LEAVE_INVITE
 * invite.expired of the same run, id and callee after it, its lookup the
 * first lookup.hit of that id by the callee (a record whose callee is the
 * inviter) before the end.  $COND: the user condition.  invite = 1 marks
 * the same records as the two events, and lets rec_caller (partial: only
 * those records) serve the caller side.
 */
static const char inv_sql[] =
	"WITH " KEYS ","
	" i AS (SELECT r.rid, r.run, r.t, r.id, r.ev, r.caller, r.callee,"
	"  r.addr, r.port, r.reason, r.answer FROM rec r, k WHERE ($COND)"
	"  AND r.invite = 1 AND r.ev IN (k.lft, k.irefused) AND r.new IS NOT 0"
	"  AND" WINDOW("r.t")
	"  ),"
	" e AS (SELECT i.*, CASE WHEN i.ev = k.lft THEN (SELECT x.rid FROM"
	"  rec x WHERE x.callee = i.callee AND x.t >= i.t AND x.run = i.run"
	"  AND x.id = i.id AND (x.ev = k.deleted OR (x.ev = k.expired AND"
	"  x.type IS NOT k.announce)) ORDER BY x.t, x.seq LIMIT 1) END AS end_rid"
	"  FROM i, k),"
	" f AS (SELECT e.*, en.t AS end_t, " S("en.ev") " AS ending,"
	"  (SELECT x.rid FROM rec x, k WHERE x.callee = e.caller"
	"   AND x.t >= e.t AND x.t <= coalesce(en.t, 1e18) AND x.run = e.run"
	"   AND x.id = e.id AND x.ev = k.hit ORDER BY x.t, x.seq LIMIT 1)"
	"   AS hit_rid,"
	"  (SELECT count(*) FROM rec x, k WHERE x.callee = e.caller"
	"   AND x.t >= e.t AND x.t <= coalesce(en.t, 1e18) AND x.run = e.run"
	"   AND x.id = e.id AND x.ev = k.hit) AS lookups,"
	"  (SELECT count(*) FROM rec x, k WHERE x.callee = e.callee"
	"   AND x.t >= e.t AND x.t <= coalesce(en.t, 1e18) AND x.run = e.run"
	"   AND x.id = e.id AND x.ev = k.lft AND x.new IS 0) AS refreshes"
	"  FROM e LEFT JOIN rec en ON en.rid = e.end_rid),"
	" v AS (SELECT f.rid, f.t, f.id, f.refreshes, f.lookups,"
	"  h.t AS lookup_t, " S("h.caller") " AS lookup_by,"
	"  " S("h.addr") " || coalesce(':' || h.port, '') AS lookup_src,"
	"  " S("u.node") " AS node, " S("f.caller") " AS caller,"
	"  " S("f.callee") " AS callee,"
	"  " S("f.addr") " || coalesce(':' || f.port, '') AS src,"
	"  CASE WHEN f.ev = k.irefused THEN f.t ELSE f.end_t END AS end_t,"
	"  CASE WHEN f.ev = k.irefused THEN 'refused'"
	"   ELSE replace(f.ending, 'invite.', '') END AS ending,"
	"  CASE WHEN f.ev = k.irefused THEN coalesce(" S("f.reason") ","
	"   " S("f.answer") ") END AS reason"
	"  FROM f JOIN runs u ON u.id = f.run LEFT JOIN rec h ON h.rid = f.hit_rid,"
	"  k)";

static const char history_human[] =
	" SELECT " LOCALTIME("t") " AS TIME,$HOST caller AS CALLER,"
	" callee AS CALLEE, src AS \"FROM\", id AS ID,"
	" CASE WHEN lookup_t IS NULL THEN '-' ELSE"
	"  strftime('%H:%M:%S', lookup_t / 1000000, 'unixepoch', 'localtime')"
	"  || ' by ' || coalesce(lookup_by, '?') END AS \"LOOKED UP\","
	" CASE WHEN ending = 'refused' THEN 'refused'"
	"   || coalesce(' (' || reason || ')', '')"
	"  WHEN end_t IS NULL THEN 'open'"
	"  ELSE ending || ' ' || strftime('%H:%M:%S', end_t / 1000000,"
	"   'unixepoch', 'localtime') END AS \"END\","
	" CASE WHEN refreshes > 0 THEN refreshes END AS REFRESHED"
	" FROM v ORDER BY t, rid";

static const char history_json[] =
	" SELECT json_object('time', " TS6("t") ",$HOST 'caller', caller,"
	" 'callee', callee, 'from', src, 'id', id, 'refreshes', refreshes,"
	" 'looked_up', " ISOTIME("lookup_t") ", 'looked_up_by', lookup_by,"
	" 'looked_up_from', lookup_src, 'lookups', lookups,"
	" 'ended', " ISOTIME("end_t") ", 'ending', ending,"
	" 'reason', reason) AS json FROM v ORDER BY t, rid";

/*
 * A record rebuilt as the journal line it came from: the daemon's key
 * order (schema/journal.md), `node` after `ts` when asked for, unknown
 * keys last.  Over the events view.
 */
#define REBUILD(node) \
	"'{\"v\":1,\"run\":' || jstr(run) || ',\"seq\":' || seq" \
	" || ',\"ts\":' || jstr(ts)" \
	" || " node \
	" ',\"event\":' || jstr(event)" \
	" || coalesce(',\"type\":' || jstr(type), '')" \
	" || coalesce(',\"caller\":' || jstr(caller), '')" \
	" || coalesce(',\"callee\":' || jstr(callee), '')" \
	" || coalesce(',\"src\":' || jstr(src), '')" \
	" || coalesce(',\"tty\":' || jstr(tty), '')" \
	" || coalesce(',\"id\":' || id, '')" \
	" || coalesce(',\"new\":' || CASE new WHEN 1 THEN 'true'" \
	"  WHEN 0 THEN 'false' END, '')" \
	" || coalesce(',\"answer\":' || jstr(answer), '')" \
	" || coalesce(',\"rule\":' || jstr(rule), '')" \
	" || coalesce(',\"reason\":' || jstr(reason), '')" \
	" || coalesce(',\"host\":' || jstr(host), '')" \
	" || coalesce(',\"msg\":' || jstr(msg), '')" \
	" || coalesce(',\"count\":' || count, '')" \
	" || coalesce(',' || substr(extra, 2, length(extra) - 2), '')" \
	" || '}'"
#define WITH_NODE	"',\"node\":' || jstr(node) ||"
#define NO_NODE		""

static const char audit_sql[] =
	"WITH v AS (SELECT * FROM events WHERE ($COND) AND"
	" (?2 IS NULL OR t >= ?2) AND (?3 IS NULL OR t < ?3))";

static const char audit_human[] =
	" SELECT " LOCALTIME("CAST(t * 1e6 AS INTEGER)") " AS TIME,$HOST"
	" event AS EVENT, caller AS CALLER, callee AS CALLEE, src AS \"FROM\","
	" tty AS TTY, id AS ID, answer AS ANSWER,"
	" trim(coalesce('rule ' || rule || ' ', '')"
	"  || coalesce(reason || ' ', '') || coalesce('count ' || count || ' ', '')"
	"  || coalesce('host ' || host || ' ', '')"
	"  || coalesce(msg, '')) AS DETAIL"
	" FROM v ORDER BY t, rid";

static const char audit_json[] =
	" SELECT " REBUILD(NO_NODE) " AS json FROM v ORDER BY t, rid";
static const char audit_json_node[] =
	" SELECT " REBUILD(WITH_NODE) " AS json FROM v ORDER BY t, rid";

static int
run_stmt(struct db *d, sqlite3_stmt *st, const struct db_filter *f,
    db_row_fn *fn, void *arg, struct db_err *err)
{
	const char *names[16], *vals[16];
	int i, n, rc;

	n = sqlite3_column_count(st);
	if (n > 16) {
		db_seterr(err, NULL, 0, 0, "query has %d columns", n);
		return -1;
	}
	if (f->user != NULL)
		sqlite3_bind_text(st, 1, f->user, -1, SQLITE_TRANSIENT);
	if (f->has_since)
		sqlite3_bind_double(st, 2, f->since);
	if (f->has_until)
		sqlite3_bind_double(st, 3, f->until);
	for (i = 0; i < n; i++)
		names[i] = sqlite3_column_name(st, i);
	if ((rc = fn(arg, n, names, NULL)) != 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < n; i++) {
			vals[i] = (const char *)sqlite3_column_text(st, i);
			if (vals[i] == NULL)
				vals[i] = "";
		}
		if ((rc = fn(arg, n, names, vals)) != 0)
			return rc;
	}
	if (rc != SQLITE_DONE) {
		db_sqlerr(d, err, "query");
		return -1;
	}
	return 0;
}

/* Does the database hold records of more than one host? */
int
db_many_hosts(struct db *d)
{
	sqlite3_stmt *st = NULL;
	int many = 0;

	if (sqlite3_prepare_v2(d->h, "SELECT count(DISTINCT node) > 1 FROM"
	    " runs WHERE n > 0", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		many = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return many;
}

/* tmpl with its first "$COND" and "$HOST" replaced; NULL when no memory. */
static char *
subst(const char *tmpl, const char *cond, const char *host)
{
	const char *mark[2] = { "$COND", "$HOST" }, *val[2] = { cond, host };
	const char *p, *q;
	char *out, *o;
	size_t cap = strlen(tmpl) + strlen(cond) + strlen(host) + 1;
	int i;

	if ((out = malloc(cap)) == NULL)
		return NULL;
	o = out;
	p = tmpl;
	for (i = 0; i < 2; i++) {
		if ((q = strstr(p, mark[i])) == NULL)
			continue;
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, val[i], strlen(val[i]));
		o += strlen(val[i]);
		p = q + strlen(mark[i]);
	}
	memcpy(o, p, strlen(p) + 1);
	return out;
}

/* head (with $COND, the row condition) and tail (with $HOST). */
static int
run_query(struct db *d, const char *head, const char *cond, const char *tail,
    const char *hostcol, const struct db_filter *f, db_row_fn *fn, void *arg,
    struct db_err *err)
{
	sqlite3_stmt *st = NULL;
	char *sql = NULL, *h = NULL, *t = NULL;
	int rc = -1;

	h = subst(head, cond, "");
	t = subst(tail, "", db_many_hosts(d) ? hostcol : "");
	if (h != NULL && t != NULL && (sql = malloc(strlen(h) + strlen(t) +
	    1)) != NULL) {
		memcpy(sql, h, strlen(h));
		memcpy(sql + strlen(h), t, strlen(t) + 1);
	}
	if (sql == NULL)
		db_seterr(err, NULL, 0, 0, "out of memory");
	else if ((rc = db_prepare(d, &st, sql, err)) == 0)
		rc = run_stmt(d, st, f, fn, arg, err);
	sqlite3_finalize(st);
	free(sql);
	free(h);
	free(t);
	return rc;
}

int
db_history(struct db *d, const struct db_filter *f, db_row_fn *fn, void *arg,
    struct db_err *err)
{
	/* invite = 1 in the caller branch as well: the planner then looks
	 * both sides up (rec_caller, rec_callee) instead of scanning the
	 * whole of rec_caller. */
	return run_query(d, inv_sql, f->user ? "r.caller = " USER
	    " AND r.invite = 1 OR r.callee = " USER : "1",
	    f->json ? history_json : history_human,
	    f->json ? " 'host', node," : " node AS HOST,", f, fn, arg, err);
}

int
db_audit(struct db *d, const struct db_filter *f, db_row_fn *fn, void *arg,
    struct db_err *err)
{
	int many = db_many_hosts(d);

	return run_query(d, audit_sql, f->user ? "caller = ?1 OR callee = ?1" :
	    "1", f->json ? (many ? audit_json_node : audit_json) : audit_human,
	    f->json ? "" : " node AS HOST,", f, fn, arg, err);
}

static const char export_sql[] =
	"SELECT rid, " REBUILD(WITH_NODE) " AS json FROM events"
	" WHERE rid > ?4 AND (?2 IS NULL OR t >= ?2) AND (?3 IS NULL OR t < ?3)"
	" ORDER BY rid";

/* sql over every record (no user), ?4 = after. */
static int
run_all(struct db *d, const char *sql, long long after,
    const struct db_filter *f, db_row_fn *fn, void *arg, struct db_err *err)
{
	struct db_filter nf = *f;
	sqlite3_stmt *st = NULL;
	int rc;

	nf.user = NULL;
	if (db_prepare(d, &st, sql, err) == -1)
		return -1;
	if (sqlite3_bind_parameter_count(st) >= 4)
		sqlite3_bind_int64(st, 4, after);
	rc = run_stmt(d, st, &nf, fn, arg, err);
	sqlite3_finalize(st);
	return rc;
}

int
db_export(struct db *d, const struct db_filter *f, long long after,
    db_row_fn *fn, void *arg, struct db_err *err)
{
	return run_all(d, export_sql, after, f, fn, arg, err);
}

/*
 * The distinct (caller, callee, source address) of the recorded call
 * attempts (the requests the ACL decides: ANNOUNCEs rung, re-rung,
 * refused, and every denied request), with how often and when last:
 * columns caller, callee, addr, n, last (epoch seconds).  The filter's
 * since/until apply.
 */
static const char triples_sql[] =
	"WITH " KEYS
	" SELECT " S("r.caller") " AS caller, " S("r.callee") " AS callee,"
	" " S("r.addr") " AS addr, count(*) AS n, max(r.t) / 1000000 AS last"
	" FROM rec r, k WHERE r.ev IN (k.rung, k.rerung, k.dup, k.refused,"
	" k.denied) AND r.caller IS NOT NULL AND r.callee IS NOT NULL AND"
	WINDOW("r.t") " GROUP BY r.caller, r.callee, r.addr"
	" ORDER BY 2, 1, 3";

int
db_call_triples(struct db *d, const struct db_filter *f, db_row_fn *fn,
    void *arg, struct db_err *err)
{
	return run_all(d, triples_sql, 0, f, fn, arg, err);
}
