#!/bin/bash
# Permissions: the database is created 0640; root may query anyone; any
# other real uid may query only calls to itself (even when it can read the
# database), and audit/prune need root or write access to the database.
. "$(dirname "$0")/lib-db.sh"
need_root
su -s /bin/sh nobody -c "test -x '$TALKCTL'" </dev/null || skip_all "nobody cannot run $TALKCTL"
plan 17
J=$T/journal D=$T/talkd.db
cp "$SRC/tests/data/db/journal.fixture" "$J"
printf '%s\n' '{"v":1,"run":"00000000000000a1","seq":25,"ts":"2026-11-23T06:38:00Z","event":"announce.refused","caller":"thor","callee":"nobody","src":"127.0.0.1:1","answer":"NOT_HERE"}' >>"$J"
"$TALKCTL" ingest --journal "$J" --db "$D" >/dev/null
is "database created mode 0640" "$(stat -c %a "$D")" 640
# A reader holds the database open, so the -wal and -shm files stay.
(echo 'SELECT count(*) FROM events;'; sleep 1) | sqlite3 "$D" >/dev/null &
hold=$!
sleep 0.3
printf '%s\n' '{"v":1,"run":"00000000000000a1","seq":26,"ts":"2026-11-23T06:39:00Z","event":"daemon.stop"}' >>"$J"
"$TALKCTL" ingest --journal "$J" --db "$D" >/dev/null
is "the -wal and -shm files exist" "$(ls "$D"-wal "$D"-shm 2>/dev/null | wc -l)" 2
wait $hold
"$TALKCTL" ingest --journal "$J" --db "$D" >/dev/null
is "and are kept after talkctl's last connection" "$(ls "$D"-wal "$D"-shm 2>/dev/null | wc -l)" 2
is "no file of the database is more open than 0640" "$(stat -c %a "$D"* | sort -u)" 640
# As a user logs in: su sets the real uid and gid (nobody's, nogroup).
su_nobody() { su -s /bin/sh nobody -c "$(printf '%q ' "$@")" </dev/null; }
as_nobody() { su_nobody "$TALKCTL" "$@" --db "$D" --journal "$J"; }

as_nobody who-called root >/dev/null 2>"$T/err"; r=$?
is "nobody: who-called root exits 1" "$r" 1
like "with a clear message" "$(cat "$T/err")" "who-called: only root may query calls to another user: root"
as_nobody history sif >/dev/null 2>&1; is "nobody: history sif exits 1" "$?" 1
as_nobody audit >/dev/null 2>"$T/err"; r=$?
is "nobody: audit exits 1" "$r" 1
like "audit says why" "$(cat "$T/err")" "audit: needs root or write access to the database"
su_nobody "$TALKCTL" prune --older-than 1 --db "$D" >/dev/null 2>&1; is "nobody: prune exits 1" "$?" 1
as_nobody who-called >/dev/null 2>"$T/err"; r=$?
is "nobody cannot read a 0640 root database at all" "$r" 1

# Give nobody read access as a setgid talkctl would have it: the database
# and its kept -wal and -shm files group-readable, the folder not writable.
# Its own calls only.
chgrp nogroup "$D" "$D-wal" "$D-shm"
su_nobody "$TALKCTL" who-called --db "$D" --journal "$J" >"$T/out" 2>"$T/err"
like "with group read access nobody sees calls to nobody" "$(cat "$T/out")" "thor .* refused +not logged in"
su_nobody "$TALKCTL" who-called sif --db "$D" >/dev/null 2>&1
is "... and still not calls to sif" "$?" 1
is "root may query anyone" "$("$TALKCTL" who-called sif --db "$D" | wc -l)" 7

# Installed setgid, talkctl lets only root choose the database or journal:
# a user could otherwise ingest the journal into a database of their own.
chgrp nogroup "$T"; chmod 0770 "$T"	# so that mine.db could be created
cp "$TALKCTL" "$T/talkctl-sg"
chgrp tty "$T/talkctl-sg" && chmod 2755 "$T/talkctl-sg"
su_nobody "$T/talkctl-sg" who-called --db "$T/mine.db" --journal "$J" >/dev/null 2>"$T/err"
r=$?
# LeakSanitizer cannot run in a set-id process: it turns exit 2 into 1.
[ $r -eq 1 ] && grep -q 'LeakSanitizer has encountered a fatal error' "$T/err" && r=2
is "set-id talkctl: nobody may not choose --db/--journal" "$r" 2
like "and is told why" "$(cat "$T/err")" "are for root when talkctl runs set-id"
ok "nor create that database" test ! -e "$T/mine.db"
finish
