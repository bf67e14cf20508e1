#!/bin/bash
# The real daemon's journal into the database: LOOK_UP (miss), LEAVE_INVITE,
# ANNOUNCE to a user who is not logged in, LOOK_UP (hit), DELETE and a
# malformed packet over loopback -> talkd --journal -> talkctl ingest ->
# who-called shows exactly that call, history that invitation, audit every
# record.  Then the journal is rotated under the running daemon (rename,
# the daemon starts a new file) between two ingests: nothing lost or
# doubled.
. "$(dirname "$0")/lib-db.sh"
need_root
plan 15
: >"$T/utmp"
JD=$T/jd
mkdir -p "$JD" && chown nobody "$JD"	# the daemon recreates the journal after a rotation
J=$JD/journal D=$T/talkd.db
start_daemon --user nobody --state-dir "$T" --journal "$J" || exit 1
tc() { "$TALKCTL" "$@" --db "$D" --journal "$J"; }

is "LOOK_UP before the invitation: NOT_HERE" "$(send lookup thor talkdbx | field answer)" NOT_HERE
id=$(send invite thor talkdbx pid=4242 | field id)
is "ANNOUNCE to a user not logged in: NOT_HERE" "$(send announce thor talkdbx pid=4242 | field answer)" NOT_HERE
is "LOOK_UP by the callee: SUCCESS" "$(send lookup talkdbx thor | field answer)" SUCCESS
is "DELETE the invitation: SUCCESS" "$(send delete thor talkdbx id="$id" | field answer)" SUCCESS
"$NTALK" -w 200 127.0.0.1:$PORT raw 0102 >/dev/null 2>&1
ok "the journal has the malformed packet" wait_for "$J" '"packet.malformed"'
stop_daemon
ok "daemon stopped" wait_for "$J" '"daemon.stop"'

ok "ingest the daemon's journal" tc ingest
is "every journal record stored once" "$(sql "$D" 'SELECT count(*) || "/" || count(DISTINCT run || seq) FROM events')" "$(wc -l <"$J")/$(wc -l <"$J")"
tc who-called talkdbx --json >"$T/who.json"
is "who-called: exactly one call, refused: not logged in, from thor" \
    "$(python3 -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
print(len(rows), *[(r["caller"], r["callee"], r["outcome"], r["detail"], r["from"].split(":")[0]) for r in rows])' "$T/who.json")" \
    "1 ('thor', 'talkdbx', 'refused', 'not logged in', '127.0.0.1')"
tc history thor --json >"$T/hist.json"
is "history: the invitation, looked up by the callee, deleted" \
    "$(python3 -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
print(len(rows), *[(r["id"], r["looked_up_by"], r["ending"]) for r in rows])' "$T/hist.json")" \
    "1 ($id, 'talkdbx', 'deleted')"
# One host stored: audit leaves out the node every daemon record names.
is "audit --json: the journal, record for record" "$(tc audit --json)" "$(sed 's/,"node":"[^"]*"//' "$J")"
is "audit: the events in order (without start_daemon's probe)" "$(tc audit | awk 'NR > 1 && $4 != "probe" {print $3}' | paste -sd' ')" \
    "daemon.start lookup.miss invite.left announce.refused lookup.hit invite.deleted packet.malformed daemon.stop"

# Rotation under a running daemon, with ingests before, between and after.
mv "$J" "$JD/journal.0"		# keep the first run's file out of the way
start_daemon --user nobody --state-dir "$T" --journal "$J" || exit 1
send announce loki talkdbx pid=1 >/dev/null
tc ingest >/dev/null
mv "$J" "$J.1"
send announce odin talkdbx pid=2 >/dev/null
send announce tyr talkdbx pid=3 >/dev/null
tc ingest >/dev/null
send announce frigg talkdbx pid=4 >/dev/null
stop_daemon
ok "the daemon started a new journal after the rotation" test -s "$J"
tc ingest >/dev/null
all=$(cat "$JD"/journal* | wc -l)
is "all records of all three files stored exactly once" "$(sql "$D" 'SELECT count(*) || "/" || count(DISTINCT run || seq) FROM events')" "$all/$all"
is "who-called: the four calls across the rotation, in order" "$(tc who-called talkdbx | awk 'NR > 1 {print $3}' | paste -sd' ')" "thor loki odin tyr frigg"
finish
