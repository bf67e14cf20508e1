#!/bin/bash
# Whoever may create files in the journal's folder (its group, tty, by
# default: mode 1771) must not slip records into the audit trail as a
# "rotated journal".  Ingest reads a rotated copy only when the journal's
# own writer wrote it: owned by root or by the live journal's owner (else
# the folder's), and writable by that owner only.  Anything else is
# reported with its name, counted in the summary, left alone, and makes
# ingest exit 1; it is never stored.
. "$(dirname "$0")/lib-db.sh"
plan 14
DAEMON=4242 FORGER=4343 TTY=$(getent group tty | cut -d: -f3)
chmod 755 "$T"
JD=$T/journal; mkdir "$JD"; chown $DAEMON:"$TTY" "$JD"; chmod 1771 "$JD"
J=$JD/journal D=$T/talkd.db
ingest() { "$TALKCTL" ingest --journal "$J" --db "$D" >"$T/out" 2>"$T/err"; }
callers() { "$TALKCTL" who-called "$1" --db "$D" --json | sed -n 's/.*"caller":"\([^"]*\)".*/\1/p' | sort -u | tr '\n' ' '; }
as() { local who=$1; shift; setpriv --reuid="$who" --regid="$TTY" --clear-groups "$@"; }
forged='{"v":1,"run":"00000000000000ff","seq":1,"ts":"2026-11-20T10:00:00.000000Z","event":"announce.rung","caller":"mallory","callee":"v1","src":"127.0.0.1:5000","tty":"pts/1","id":1,"answer":"SUCCESS"}'

# The daemon's journal and one real rotation, written as the daemon.
as $DAEMON sh -c "umask 027; cat >'$J.1'" < <(gen_journal /dev/stdout 00000000000000d1 1 50)
as $DAEMON sh -c "umask 027; cat >'$J'" < <(gen_journal /dev/stdout 00000000000000d2 1 20)
# A process of group tty, not the daemon's account, adds a "rotation".
ok "the folder lets group tty create a file" as $FORGER sh -c "umask 027; echo '$forged' >'$J.7'"
is "... which it owns" "$(stat -c %u "$J.7")" $FORGER

ingest; rc=$?
is "ingest exits 1" "$rc" 1
like "the file is named on stderr, with why" "$(cat "$T/err")" "journal\\.7: skipped: not the journal's own \\(owner uid $FORGER, mode 0640; ingest reads rotated journals of uid $DAEMON or root"
like "the summary counts it" "$(cat "$T/out")" ", 1 files skipped \\(not the journal owner's\\)$"
is "the daemon's records are all stored" "$(sql "$D" 'SELECT count(*) FROM events')" 70
is "the forged call is not" "$(callers v1 | grep -c mallory)" 0

# The daemon's own file, but group-writable: anyone in tty could have
# edited it.
rm "$J.7"
as $DAEMON sh -c "umask 007; echo '$forged' >'$J.8'"
ingest; rc=$?
is "a group-writable copy: exit 1" "$rc" 1
like "... named, with its mode" "$(cat "$T/err")" "journal\\.8: skipped: .*mode 0660"
is "... and not stored" "$(callers v1 | grep -c mallory)" 0

# Root's copies are trusted (prune writes them, an operator restores them).
rm "$J.8"
gen_journal "$J-20261127" 00000000000000d3 1 10
chmod 0640 "$J-20261127"
ingest; rc=$?
is "a root-owned copy: exit 0" "$rc" 0
is "... quietly" "$(cat "$T/err")" ""
is "... and read" "$(sql "$D" 'SELECT count(*) FROM events')" 80

# No live journal (rotated, not yet started again): the folder's owner.
mv "$J" "$J.0"
ingest; rc=$?
is "the folder's owner decides when the journal is away" "$rc" 0
finish
