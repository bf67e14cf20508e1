-- 003-invite.sql: a small caller index.
--
-- history is the only query that looks records up by caller, and only the
-- records that open an invitation (invite.left, invite.refused); who-called
-- and every other lookup go by callee.  rec_caller now holds just those
-- records, marked invite = 1 (ingest sets it): an eighth of a busy host's
-- records, so that a large ingest, which builds the secondary indexes at
-- its end (db_ingest.c), spends a fraction of the time on this one.

-- 1 on invite.left and invite.refused, NULL on every other record.
ALTER TABLE rec ADD COLUMN invite INTEGER;
UPDATE rec SET invite = 1
 WHERE ev IN (SELECT id FROM strs WHERE s IN ('invite.left', 'invite.refused'));
DROP INDEX IF EXISTS rec_caller;	-- gone if a large ingest was killed
CREATE INDEX rec_caller ON rec (caller, t) WHERE invite = 1;
