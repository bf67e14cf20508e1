-- 001-init.sql: the audit trail of talkd (see schema/journal.md).
--
-- Runs in one transaction; libdb bumps PRAGMA user_version to 1 afterwards.
-- Times: `ts` is the journal's UTC text, `t` the same instant in seconds
-- since the epoch (REAL, millisecond precision), used for filters and order.

-- One row per journal file ever ingested.  Identity: (dev, ino, head),
-- where head is the file's first line with its newline, so a new file that
-- reuses an inode is a new journal.  `off` is the byte offset ingested so
-- far and `lines` the number of complete lines before it; both move in the
-- same transaction as the rows.
CREATE TABLE journals (
	id	INTEGER PRIMARY KEY,
	dev	INTEGER NOT NULL,
	ino	INTEGER NOT NULL,
	head	TEXT NOT NULL,
	path	TEXT NOT NULL,		-- the path given to ingest (PATH, not PATH.1)
	seen_as	TEXT NOT NULL,		-- the name it was last read under
	off	INTEGER NOT NULL DEFAULT 0 CHECK (off >= 0),
	lines	INTEGER NOT NULL DEFAULT 0 CHECK (lines >= 0),
	first_t	REAL NOT NULL,		-- when ingest first saw it
	last_t	REAL NOT NULL,		-- last ingest that read from it
	UNIQUE (dev, ino, head)
);
CREATE INDEX journals_path ON journals (path, last_t);

-- Every journal record, as written.  (run, seq) is unique forever.
CREATE TABLE events (
	rid	INTEGER PRIMARY KEY,
	journal	INTEGER NOT NULL REFERENCES journals (id),
	line	INTEGER NOT NULL,	-- 1-based line in that journal
	run	TEXT NOT NULL,
	seq	INTEGER NOT NULL,
	ts	TEXT NOT NULL,
	t	REAL NOT NULL,
	event	TEXT NOT NULL,
	caller	TEXT,
	callee	TEXT,
	src	TEXT,
	tty	TEXT,
	id	INTEGER,
	answer	TEXT,
	type	TEXT,
	rule	TEXT,
	reason	TEXT,
	count	INTEGER,
	host	TEXT,
	raw	TEXT NOT NULL,		-- the line without its newline
	UNIQUE (run, seq)
);
CREATE INDEX events_t ON events (t);
CREATE INDEX events_callee ON events (callee, t);
CREATE INDEX events_run_id ON events (run, id);

-- Lines that could not be ingested: reported once, kept for inspection.
CREATE TABLE rejects (
	journal	INTEGER NOT NULL REFERENCES journals (id),
	line	INTEGER NOT NULL,
	off	INTEGER NOT NULL,	-- byte offset of the line
	len	INTEGER NOT NULL,	-- its length without the newline
	reason	TEXT NOT NULL,
	raw	BLOB NOT NULL,		-- at most the first 1024 bytes
	t	REAL NOT NULL,		-- when it was rejected
	PRIMARY KEY (journal, line)
);

-- One row per invitation (LEAVE_INVITE): left -> refreshed -> looked up ->
-- deleted or expired; or refused outright.
CREATE TABLE invitations (
	rid	INTEGER PRIMARY KEY,
	run	TEXT NOT NULL,
	id	INTEGER,		-- NULL when refused
	caller	TEXT,		-- the inviting local user (l_name)
	callee	TEXT,		-- whom they invite (r_name)
	src	TEXT,
	left_t	REAL NOT NULL,
	left_ts	TEXT NOT NULL,
	refreshes INTEGER NOT NULL DEFAULT 0,
	lookup_t REAL,		-- first successful LOOK_UP
	lookup_by TEXT,
	lookup_src TEXT,
	lookups	INTEGER NOT NULL DEFAULT 0,
	end_t	REAL,
	ending	TEXT,		-- deleted, expired, refused
	reason	TEXT		-- refused: why
);
CREATE INDEX invitations_run_id ON invitations (run, id);
CREATE INDEX invitations_caller ON invitations (caller, left_t);
CREATE INDEX invitations_callee ON invitations (callee, left_t);
CREATE INDEX invitations_left_t ON invitations (left_t);

-- One row per call attempt to a local user: an announcement that rang
-- (re-rings fold into it), one that was refused, or a denied request.
CREATE TABLE announcements (
	rid	INTEGER PRIMARY KEY,
	run	TEXT NOT NULL,
	id	INTEGER,		-- latest id (re-rings assign new ones)
	kind	TEXT NOT NULL CHECK (kind IN ('rung', 'refused', 'denied')),
	caller	TEXT,
	callee	TEXT,
	src	TEXT,
	tty	TEXT,
	host	TEXT,
	type	TEXT,		-- request type (denied: LOOK_UP or ANNOUNCE ...)
	answer	TEXT,
	rule	TEXT,
	reason	TEXT,
	t	REAL NOT NULL,
	ts	TEXT NOT NULL,
	rings	INTEGER NOT NULL DEFAULT 0,
	last_t	REAL NOT NULL,	-- last ring (or t)
	end_t	REAL,
	ending	TEXT		-- deleted, expired
);
CREATE INDEX announcements_run_id ON announcements (run, id);
CREATE INDEX announcements_callee ON announcements (callee, t);
CREATE INDEX announcements_t ON announcements (t);

-- The lifecycle tables follow the events table: these triggers fire only
-- for rows really inserted, so INSERT OR IGNORE of a duplicate changes
-- nothing and the derived rows are exactly-once too.

CREATE TRIGGER ev_invite_left AFTER INSERT ON events
WHEN NEW.event = 'invite.left'
BEGIN
	UPDATE invitations SET refreshes = refreshes + 1
	 WHERE run = NEW.run AND id = NEW.id AND end_t IS NULL
	   AND json_extract(NEW.raw, '$.new') IS NOT 1;
	INSERT INTO invitations (run, id, caller, callee, src, left_t, left_ts)
	SELECT NEW.run, NEW.id, NEW.caller, NEW.callee, NEW.src, NEW.t, NEW.ts
	 WHERE NOT EXISTS (SELECT 1 FROM invitations
			    WHERE run = NEW.run AND id = NEW.id AND end_t IS NULL)
	    OR json_extract(NEW.raw, '$.new') IS 1;
END;

CREATE TRIGGER ev_invite_refused AFTER INSERT ON events
WHEN NEW.event = 'invite.refused'
BEGIN
	INSERT INTO invitations (run, id, caller, callee, src, left_t, left_ts,
				 end_t, ending, reason)
	VALUES (NEW.run, NULL, NEW.caller, NEW.callee, NEW.src, NEW.t, NEW.ts,
		NEW.t, 'refused', coalesce(NEW.reason, NEW.answer));
END;

CREATE TRIGGER ev_lookup_hit AFTER INSERT ON events
WHEN NEW.event = 'lookup.hit'
BEGIN
	UPDATE invitations
	   SET lookups = lookups + 1,
	       lookup_t = coalesce(lookup_t, NEW.t),
	       lookup_by = coalesce(lookup_by, NEW.caller),
	       lookup_src = coalesce(lookup_src, NEW.src)
	 WHERE rid = (SELECT max(rid) FROM invitations
			  WHERE run = NEW.run AND id = NEW.id AND end_t IS NULL);
END;

CREATE TRIGGER ev_invite_deleted AFTER INSERT ON events
WHEN NEW.event = 'invite.deleted'
BEGIN
	UPDATE invitations SET end_t = NEW.t, ending = 'deleted'
	 WHERE run = NEW.run AND id = NEW.id AND end_t IS NULL;
	UPDATE announcements SET end_t = NEW.t, ending = 'deleted'
	 WHERE run = NEW.run AND id = NEW.id AND end_t IS NULL
	   AND kind = 'rung';
END;

CREATE TRIGGER ev_invite_expired AFTER INSERT ON events
WHEN NEW.event = 'invite.expired'
BEGIN
	UPDATE invitations SET end_t = NEW.t, ending = 'expired'
	 WHERE run = NEW.run AND id = NEW.id AND end_t IS NULL
	   AND coalesce(NEW.type, 'LEAVE_INVITE') = 'LEAVE_INVITE';
	UPDATE announcements SET end_t = NEW.t, ending = 'expired'
	 WHERE run = NEW.run AND id = NEW.id AND end_t IS NULL
	   AND kind = 'rung' AND coalesce(NEW.type, 'ANNOUNCE') = 'ANNOUNCE';
END;

CREATE TRIGGER ev_announce_rung AFTER INSERT ON events
WHEN NEW.event = 'announce.rung'
BEGIN
	INSERT INTO announcements (run, id, kind, caller, callee, src, tty, host,
				   type, answer, t, ts, rings, last_t)
	VALUES (NEW.run, NEW.id, 'rung', NEW.caller, NEW.callee, NEW.src,
		NEW.tty, NEW.host, 'ANNOUNCE', NEW.answer, NEW.t, NEW.ts, 1, NEW.t);
END;

-- A re-ring belongs to the live announcement of the same caller, callee and
-- source; without one (the first ring is older than the journal) it starts
-- a row of its own.
CREATE TRIGGER ev_announce_rerung AFTER INSERT ON events
WHEN NEW.event = 'announce.rerung'
BEGIN
	UPDATE announcements
	   SET rings = rings + 1, id = NEW.id, last_t = NEW.t,
	       tty = coalesce(NEW.tty, tty)
	 WHERE rid = (SELECT max(rid) FROM announcements
			  WHERE run = NEW.run AND kind = 'rung' AND end_t IS NULL
			    AND caller IS NEW.caller AND callee IS NEW.callee
			    AND src IS NEW.src);
	INSERT INTO announcements (run, id, kind, caller, callee, src, tty, host,
				   type, answer, t, ts, rings, last_t)
	SELECT NEW.run, NEW.id, 'rung', NEW.caller, NEW.callee, NEW.src,
	       NEW.tty, NEW.host, 'ANNOUNCE', NEW.answer, NEW.t, NEW.ts, 1, NEW.t
	 WHERE NOT EXISTS (SELECT 1 FROM announcements
			    WHERE run = NEW.run AND kind = 'rung' AND end_t IS NULL
			      AND caller IS NEW.caller AND callee IS NEW.callee
			      AND src IS NEW.src);
END;

CREATE TRIGGER ev_announce_refused AFTER INSERT ON events
WHEN NEW.event = 'announce.refused'
BEGIN
	INSERT INTO announcements (run, id, kind, caller, callee, src, tty,
				   type, answer, reason, t, ts, last_t)
	VALUES (NEW.run, NEW.id, 'refused', NEW.caller, NEW.callee, NEW.src,
		NEW.tty, 'ANNOUNCE', NEW.answer, NEW.reason, NEW.t, NEW.ts, NEW.t);
END;

CREATE TRIGGER ev_request_denied AFTER INSERT ON events
WHEN NEW.event = 'request.denied'
BEGIN
	INSERT INTO announcements (run, id, kind, caller, callee, src, type,
				   answer, rule, reason, t, ts, last_t)
	VALUES (NEW.run, NEW.id, 'denied', NEW.caller, NEW.callee, NEW.src,
		NEW.type, NEW.answer, coalesce(NEW.rule, 'default'), NEW.reason,
		NEW.t, NEW.ts, NEW.t);
END;

-- who-called: one row per call attempt with its outcome.
--   answered  the callee looked up the caller's invitation on this host
--   missed    the caller's invitation was here and nobody looked it up
--   ringing   still live (rung in the last two minutes)
--   rung      rung; the invitation is on the caller's host, so an answer
--             is not seen here
--   refused   not logged in, mesg n, ... (detail)
--   denied    by an ACL rule (rule)
CREATE VIEW calls AS
SELECT a.rid, a.t, a.ts, a.caller, a.callee, a.src, a.tty, a.id, a.rings,
       a.type, a.answer, a.rule, a.reason, a.end_t, a.ending,
       CASE a.kind
	WHEN 'denied' THEN 'denied'
	WHEN 'refused' THEN 'refused'
	ELSE CASE
	 WHEN EXISTS (SELECT 1 FROM events e
		       WHERE e.callee IS a.caller AND e.event = 'lookup.hit'
			 AND e.run = a.run AND e.caller IS a.callee
			 AND e.t >= a.t - 1
			 AND e.t <= coalesce(a.end_t, a.last_t + 120) + 1)
	  THEN 'answered'
	 WHEN a.end_t IS NULL
	      AND (julianday('now') - 2440587.5) * 86400.0 - a.last_t < 120
	  THEN 'ringing'
	 WHEN EXISTS (SELECT 1 FROM invitations i
		       WHERE i.caller IS a.caller AND i.run = a.run
			 AND i.callee IS a.callee AND i.ending IS NOT 'refused'
			 AND i.left_t <= a.last_t + 5
			 AND coalesce(i.end_t, 1e300) >= a.t - 5)
	  THEN 'missed'
	 ELSE 'rung' END
       END AS outcome,
       CASE a.kind
	WHEN 'refused' THEN CASE a.answer
	  WHEN 'NOT_HERE' THEN 'not logged in'
	  WHEN 'PERMISSION_DENIED' THEN 'mesg n'
	  ELSE coalesce(a.reason, a.answer) END
	WHEN 'denied' THEN coalesce(a.reason, 'denied')
       END AS detail
  FROM announcements a;
