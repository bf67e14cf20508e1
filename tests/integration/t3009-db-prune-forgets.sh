#!/bin/bash
# Retention that forgets, with a real daemon writing meanwhile: prune
# removes the old records from the database and from every journal file
# (the live one and rotated ones), the daemon's new records are all kept,
# and a pruned call never comes back: not through the next ingest, and
# not after the database is deleted and everything ingested again.
. "$(dirname "$0")/lib-db.sh"
need_root
plan 12
: >"$T/utmp"
JD=$T/jd
mkdir -p "$JD" && chown nobody "$JD"
J=$JD/journal D=$T/talkd.db
start_daemon --user nobody --state-dir "$T" --journal "$J" || exit 1
tc() { "$TALKCTL" "$@" --db "$D" --journal "$J"; }

# Old calls, in the live journal and in a rotated one.
send announce oldcallr talkdbx pid=1 >/dev/null
send lookup oldcallr talkdbx >/dev/null
mv "$J" "$J.1"
send announce oldcallr2 talkdbx pid=2 >/dev/null
ok "the old calls are stored" tc ingest
is "... two of them" "$(tc who-called talkdbx | grep -c oldcallr)" 2
sleep 1.1

# New calls keep coming while prune runs.
( for i in $(seq 1 60); do send lookup "new$i" talkdbx >/dev/null; sleep 0.02; done ) &
sender=$!
sleep 0.3
tc prune --older-than 0 >"$T/prune.out" 2>"$T/prune.err"; r=$?
wait "$sender"
is "prune: exit 0" "$r" 0
like "prune says what it removed from the files" "$(cat "$T/prune.out")" "records from [1-9][0-9]* journal files$"
stop_daemon

not_ok "no journal file holds an old call" grep -qa oldcallr "$JD"/journal*
is "every new call is in the journal files" "$(cat "$JD"/journal* | grep -o '"caller":"new[0-9]*"' | sort -u | wc -l)" 60
tc ingest >/dev/null 2>"$T/err"
is "the next ingest brings no old call back" "$(tc who-called talkdbx | grep -c oldcallr)" 0
is "... and no gap" "$(cat "$T/err")" ""

rm -f "$D" "$D-wal" "$D-shm"
out=$(tc ingest 2>"$T/err")
is "a new database from the journal files: no old call" "$(tc who-called talkdbx | grep -c oldcallr)" 0
is "... every new one" "$(tc audit | grep -c ' new[0-9]* ')" 60
# The newest run: its records from the first one kept to the end, no gap.
is "... and no gap in the daemon's run" "$(sql "$D" "SELECT max_seq - min_seq + 1 - n FROM runs WHERE n > 0 ORDER BY id DESC LIMIT 1")" 0
is "no error" "$(cat "$T/err")" ""
finish
