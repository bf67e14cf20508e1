-- 002-compact.sql: a compact store for ingest at scale and many hosts.
--
-- Records are kept as small integers: names, addresses, ttys, rules ... are
-- interned once in `strs`; times are integer microseconds since the epoch
-- (UTC); `src` is split into its address (interned) and port.  The record
-- is rebuilt from these columns when it is printed (audit --json, export),
-- in the daemon's key order, with keys this version does not know kept
-- verbatim in `extra`.  Call attempts and invitations are derived at query
-- time (views below, and the queries in db/db_query.c), not by triggers.
-- talkd_hostname() is a function libdb registers: the host name of the
-- machine that runs the migration, for records that name no host.

DROP VIEW calls;
DROP TRIGGER ev_invite_left;
DROP TRIGGER ev_invite_refused;
DROP TRIGGER ev_lookup_hit;
DROP TRIGGER ev_invite_deleted;
DROP TRIGGER ev_invite_expired;
DROP TRIGGER ev_announce_rung;
DROP TRIGGER ev_announce_rerung;
DROP TRIGGER ev_announce_refused;
DROP TRIGGER ev_request_denied;
DROP TABLE invitations;
DROP TABLE announcements;
ALTER TABLE events RENAME TO events_v1;

CREATE TABLE strs (
	id	INTEGER PRIMARY KEY,
	s	TEXT NOT NULL UNIQUE
);

-- One row per (host, daemon run).  min_seq/max_seq/n describe the records
-- stored; `missing` is the gap already reported; every seq <= `pruned` was
-- forgotten by prune and is refused by ingest for good.
CREATE TABLE runs (
	id	INTEGER PRIMARY KEY,
	node	INTEGER NOT NULL REFERENCES strs (id),
	run	TEXT NOT NULL,
	min_seq	INTEGER,
	max_seq	INTEGER,
	n	INTEGER NOT NULL DEFAULT 0,
	missing	INTEGER NOT NULL DEFAULT 0,
	pruned	INTEGER NOT NULL DEFAULT 0,
	UNIQUE (node, run)
);

-- rid is the order records were stored in (export's cursor); it only grows
-- (libdb keeps the high mark in meta, so a prune never lets it go back).
CREATE TABLE rec (
	rid	INTEGER PRIMARY KEY,
	run	INTEGER NOT NULL,	-- runs.id
	seq	INTEGER NOT NULL,
	t	INTEGER NOT NULL,	-- microseconds since 1970, UTC
	ev	INTEGER NOT NULL,	-- strs.id of each text column
	caller	INTEGER,
	callee	INTEGER,
	addr	INTEGER,		-- src without ":port"
	port	INTEGER,
	tty	INTEGER,
	id	INTEGER,
	answer	INTEGER,
	type	INTEGER,
	rule	INTEGER,
	reason	INTEGER,
	count	INTEGER,
	host	INTEGER,
	msg	INTEGER,
	new	INTEGER,
	extra	TEXT			-- unknown keys, a JSON object
);
-- The two secondary indexes serve who-called and history (every lookup
-- of a related record goes through the callee's or the caller's records);
-- a large ingest drops them and builds them again at its end (db_ingest.c;
-- db_open builds them if a kill left them missing).
CREATE UNIQUE INDEX rec_run_seq ON rec (run, seq);
CREATE INDEX rec_callee ON rec (callee, t) WHERE callee IS NOT NULL;
CREATE INDEX rec_caller ON rec (caller, t) WHERE caller IS NOT NULL;

CREATE TABLE meta (
	k	TEXT PRIMARY KEY,
	v	INTEGER NOT NULL
) WITHOUT ROWID;

-- The records of version 1, moved over.
INSERT OR IGNORE INTO strs (s)
SELECT x FROM (
	SELECT talkd_hostname() AS x
	UNION SELECT json_extract(raw, '$.node') FROM events_v1
	UNION SELECT event FROM events_v1 UNION SELECT caller FROM events_v1
	UNION SELECT callee FROM events_v1 UNION SELECT tty FROM events_v1
	UNION SELECT answer FROM events_v1 UNION SELECT type FROM events_v1
	UNION SELECT rule FROM events_v1 UNION SELECT reason FROM events_v1
	UNION SELECT host FROM events_v1
	UNION SELECT json_extract(raw, '$.msg') FROM events_v1
	UNION SELECT CASE WHEN src GLOB '*:[0-9]*'
		AND NOT substr(src, instr(src, ':') + 1) GLOB '*[^0-9]*'
		THEN substr(src, 1, instr(src, ':') - 1) ELSE src END
	  FROM events_v1)
 WHERE x IS NOT NULL;

INSERT INTO runs (node, run, min_seq, max_seq, n)
SELECT (SELECT id FROM strs WHERE s = coalesce(json_extract(raw, '$.node'),
	talkd_hostname())) AS nd, run, min(seq), max(seq), count(*)
  FROM events_v1 GROUP BY nd, run;

INSERT INTO rec (rid, run, seq, t, ev, caller, callee, addr, port, tty, id,
		 answer, type, rule, reason, count, host, msg, new, extra)
SELECT e.rid,
       (SELECT r.id FROM runs r WHERE r.run = e.run AND r.node =
	(SELECT id FROM strs WHERE s = coalesce(json_extract(e.raw, '$.node'),
	 talkd_hostname()))),
       e.seq,
       CAST(strftime('%s', e.ts) AS INTEGER) * 1000000 +
	CASE WHEN substr(e.ts, 20, 1) = '.' THEN CAST(substr(rtrim(
	 substr(e.ts, 21), 'Z') || '000000', 1, 6) AS INTEGER) ELSE 0 END,
       (SELECT id FROM strs WHERE s = e.event),
       (SELECT id FROM strs WHERE s = e.caller),
       (SELECT id FROM strs WHERE s = e.callee),
       (SELECT id FROM strs WHERE s = CASE WHEN e.src GLOB '*:[0-9]*'
	AND NOT substr(e.src, instr(e.src, ':') + 1) GLOB '*[^0-9]*'
	THEN substr(e.src, 1, instr(e.src, ':') - 1) ELSE e.src END),
       CASE WHEN e.src GLOB '*:[0-9]*'
	AND NOT substr(e.src, instr(e.src, ':') + 1) GLOB '*[^0-9]*'
	THEN CAST(substr(e.src, instr(e.src, ':') + 1) AS INTEGER) END,
       (SELECT id FROM strs WHERE s = e.tty), e.id,
       (SELECT id FROM strs WHERE s = e.answer),
       (SELECT id FROM strs WHERE s = e.type),
       (SELECT id FROM strs WHERE s = e.rule),
       (SELECT id FROM strs WHERE s = e.reason), e.count,
       (SELECT id FROM strs WHERE s = e.host),
       (SELECT id FROM strs WHERE s = json_extract(e.raw, '$.msg')),
       json_extract(e.raw, '$.new'),
       nullif(json_remove(e.raw, '$.v', '$.run', '$.seq', '$.ts', '$.event',
	'$.type', '$.caller', '$.callee', '$.src', '$.tty', '$.id', '$.new',
	'$.answer', '$.rule', '$.reason', '$.host', '$.msg', '$.count',
	'$.node'), '{}')
  FROM events_v1 e;
INSERT INTO meta (k, v) SELECT 'rid', coalesce(max(rid), 0) FROM rec;
DROP TABLE events_v1;

-- Rejected lines keep their journal, which stays.

-- A record as its columns, for people at the sqlite3 prompt and tests:
-- texts looked up, t in seconds, `raw` rebuilt in the daemon's key order.
CREATE VIEW events AS
SELECT r.rid, r.run AS run_id, u.run, n.s AS node, r.seq,
       strftime('%Y-%m-%dT%H:%M:%S', r.t / 1000000, 'unixepoch')
	|| printf('.%06dZ', r.t % 1000000) AS ts,
       r.t / 1e6 AS t, ev.s AS event, ca.s AS caller, ce.s AS callee,
       ad.s || coalesce(':' || r.port, '') AS src, ty.s AS tty, r.id,
       an.s AS answer, tp.s AS type, ru.s AS rule, re.s AS reason, r.count,
       ho.s AS host, ms.s AS msg, r.new, r.extra
  FROM rec r JOIN runs u ON u.id = r.run JOIN strs n ON n.id = u.node
  JOIN strs ev ON ev.id = r.ev
  LEFT JOIN strs ca ON ca.id = r.caller LEFT JOIN strs ce ON ce.id = r.callee
  LEFT JOIN strs ad ON ad.id = r.addr LEFT JOIN strs ty ON ty.id = r.tty
  LEFT JOIN strs an ON an.id = r.answer LEFT JOIN strs tp ON tp.id = r.type
  LEFT JOIN strs ru ON ru.id = r.rule LEFT JOIN strs re ON re.id = r.reason
  LEFT JOIN strs ho ON ho.id = r.host LEFT JOIN strs ms ON ms.id = r.msg;
