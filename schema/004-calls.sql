-- 004-calls.sql: who-called's outcome checks from the indexes alone.
--
-- An attempt that rang was answered when the callee looked the caller's
-- invitation up (a lookup.hit whose caller is the callee), and missed when
-- the caller's invitation to the callee was left here (an invite.left
-- whose callee is the callee).  For one callee, who-called (db_who.c) now
-- reads the callee's lookup.hit records as caller from rec_caller, and its
-- invite.left records from rec_callee, both without a table row: the
-- lookups are marked invite = 2 (ingest sets it) and join the invitations
-- in rec_caller, and both indexes carry the columns the checks compare.
-- rec_caller grows to a quarter of a busy host's records, rec_callee by a
-- third of its bytes.

-- invite: 1 opens an invitation (003-invite.sql), 2 finds one (lookup.hit).
UPDATE rec SET invite = 2
 WHERE ev IN (SELECT id FROM strs WHERE s = 'lookup.hit');
DROP INDEX IF EXISTS rec_callee;	-- gone if a large ingest was killed
CREATE INDEX rec_callee ON rec (callee, t, ev, caller, run)
 WHERE callee IS NOT NULL;
DROP INDEX IF EXISTS rec_caller;
CREATE INDEX rec_caller ON rec (caller, invite, t, callee, run)
 WHERE invite IS NOT NULL;
