#!/bin/bash
# A database of schema version 1 (records as JSON text, lifecycle tables
# kept by triggers) is migrated to version 4 on first write access: every
# record kept, the queries answer as before, ingest goes on where it was.
# A version 2 database whose large ingest was killed (no secondary
# indexes) is migrated too.
. "$(dirname "$0")/lib-db.sh"
plan 10
J=$T/journal D=$T/talkd.db
cp "$SRC/tests/data/db/journal.fixture" "$J"
size=$(stat -c %s "$J")
# Version 1 as the old talkctl left it: its migration, its journal row and
# its events (inserted as its ingest did, the triggers filling the rest).
{
	cat "$SRC/schema/001-init.sql"
	echo "PRAGMA user_version = 1;"
	echo "CREATE TEMP TABLE l (raw TEXT);"
	echo ".mode ascii"
	printf '.separator "\037" "\\n"\n'
	echo ".import $J l"
	echo "INSERT INTO journals (dev, ino, head, path, seen_as, off, lines, first_t, last_t) VALUES ($(stat -c '%d, %i' "$J"), (SELECT raw FROM l WHERE rowid = 1) || char(10), '$J', '$J', $size, 24, 0, 0);"
	echo "INSERT INTO events (journal, line, run, seq, ts, t, event, caller, callee, src, tty, id, answer, type, rule, reason, count, host, raw) SELECT 1, rowid, json_extract(raw, '\$.run'), json_extract(raw, '\$.seq'), json_extract(raw, '\$.ts'), (julianday(json_extract(raw, '\$.ts')) - 2440587.5) * 86400.0, json_extract(raw, '\$.event'), json_extract(raw, '\$.caller'), json_extract(raw, '\$.callee'), json_extract(raw, '\$.src'), json_extract(raw, '\$.tty'), json_extract(raw, '\$.id'), json_extract(raw, '\$.answer'), json_extract(raw, '\$.type'), json_extract(raw, '\$.rule'), json_extract(raw, '\$.reason'), json_extract(raw, '\$.count'), json_extract(raw, '\$.host'), raw FROM l ORDER BY rowid;"
} | sqlite3 -batch "$D" >/dev/null
is "a version 1 database with the fixture's 24 records" "$(sql "$D" 'PRAGMA user_version; SELECT count(*) FROM events; SELECT count(*) FROM announcements' | paste -sd,)" "1,24,7"
tc() { "$TALKCTL" "$@" --db "$D" --journal "$J"; }
ok "ingest migrates it" tc ingest
is "version 4" "$(sql "$D" 'PRAGMA user_version')" 4
is "the invitations (1) and their lookups (2) are marked" "$(sql "$D" 'SELECT group_concat(invite || ":" || n, " ") FROM (SELECT invite, count(*) AS n FROM rec WHERE invite IS NOT NULL GROUP BY invite)')" "1:4 2:1"
is "every record, as the journal has it" "$(tc audit --json)" "$(cat "$J")"
is "who-called answers as before" "$(tc who-called sif --json | python3 -c 'import json,sys; print(" ".join(json.loads(l)["outcome"] for l in sys.stdin))')" "answered missed rung refused denied rung"
printf '%s\n' '{"v":1,"run":"00000000000000a1","seq":25,"ts":"2026-11-23T06:50:00.000000Z","event":"daemon.start"}' >>"$J"
like "ingest goes on from the stored offset" "$(tc ingest)" "^ingest: 1 new records, 0 already stored"
is "no gap in the run" "$(sql "$D" 'SELECT min_seq, max_seq, n, missing FROM runs' | paste -sd,)" "1|25|25|0"

# Version 2, as a large ingest killed before its end left it.
V2=$T/v2.db
"$TALKCTL" ingest --journal "$J" --db "$V2" >/dev/null
sql "$V2" "DROP INDEX rec_caller; DROP INDEX rec_callee; ALTER TABLE rec DROP COLUMN invite; PRAGMA user_version = 2;"
ok "a version 2 database without its indexes is migrated" "$TALKCTL" who-called sif --db "$V2" --journal "$J"
is "... to version 4, invitations marked, both indexes built" "$(sql "$V2" "PRAGMA user_version; SELECT count(*) FROM rec WHERE invite IS NOT NULL; SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE name LIKE 'rec_c%' ORDER BY name)" | paste -sd' ')" "4 5 rec_callee,rec_caller"
finish
