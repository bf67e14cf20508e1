#!/bin/bash
# The journal under a running daemon: rotation by rename is followed and
# nothing is written to the old file afterwards; on a full disk (a tiny
# tmpfs) the daemon keeps answering, and once there is space again every
# record reaches the journal: sequence numbers have no gap.
. "$(dirname "$0")/lib.sh"
need_root
plan 14
J=$T/jd
mkdir -p "$J" && chown nobody "$J"	# the daemon recreates the journal after a rotation
start_daemon --user nobody --journal "$J/journal" || exit 1
send invite a b >/dev/null
mv "$J/journal" "$J/journal.1"
send invite c d >/dev/null
sleep 0.2
ok "after a rotation the daemon starts a new journal" test -s "$J/journal"
is "the new journal holds the next event" "$(grep -c '"caller":"c"' "$J/journal")" 1
is "the rotated file gets nothing more" "$(grep -c '"caller":"c"' "$J/journal.1")" 0
seqs=$(cat "$J/journal.1" "$J/journal" | sed -n 's/.*"seq":\([0-9]*\).*/\1/p' | tr '\n' ' ')
is "sequence numbers run on across the rotation" "$seqs" "$(seq -s ' ' 1 $(echo $seqs | wc -w)) "
stop_daemon

# Missing folders are made: the state directory root's (the compiled
# policy lives there, out of the daemon's reach), the journal's the daemon's.
getent group talkd >/dev/null || groupadd --system talkd
SD=$T/state
"$B/talkd" --foreground --listen 127.0.0.1:$((PORT + 1)) --state-dir "$SD" --utmp "$T/utmp" --user nobody 2>>"$T/daemon.log" &
sp=$!; _pids="$_pids $sp"
for i in $(seq 1 50); do "$NTALK" -w 100 127.0.0.1:$((PORT + 1)) invite a b >/dev/null 2>&1 && break; done
is "a missing state directory is created 2755, root's, group talkd" "$(stat -c '%a %U %G' "$SD")" "2755 root talkd"
is "the journal folder in it: 1771, the daemon's, group tty" "$(stat -c '%a %U %G' "$SD/journal")" "1771 nobody tty"
is "the journal in that: 0640, the daemon's" "$(stat -c '%a %U' "$SD/journal/journal")" "640 nobody"
kill $sp; wait $sp 2>/dev/null

# The journal of an older install, the file STATE/journal, moves into the
# folder of that name as journal.0, where ingest finds it.
SD2=$T/state2
mkdir -p "$SD2" && echo '{"old":1}' >"$SD2/journal"
"$B/talkd" --foreground --listen 127.0.0.1:$((PORT + 2)) --state-dir "$SD2" --utmp "$T/utmp" --user nobody 2>>"$T/daemon.log" &
sp=$!; _pids="$_pids $sp"
for i in $(seq 1 50); do "$NTALK" -w 100 127.0.0.1:$((PORT + 2)) invite a b >/dev/null 2>&1 && break; done
is "an old journal file becomes journal/journal.0" "$(cat "$SD2/journal/journal.0" 2>&1)" '{"old":1}'
kill $sp; wait $sp 2>/dev/null

F=$T/full
mkdir -p "$F" && mount -t tmpfs -o size=12k,mode=0777 talkd-it "$F" || skip_all "cannot mount tmpfs"
trap 'umount "$F" 2>/dev/null; _cleanup' EXIT
start_daemon --user nobody --journal "$F/journal" || exit 1
head -c 100000 /dev/zero >"$F/filler" 2>/dev/null	# fills the disk
answers=""
for i in $(seq 1 30); do answers="$answers$(send invite "u$i" sif pid=$i | field answer) "; done
is "with the disk full every request is still answered" "$(echo $answers | tr ' ' '\n' | sort -u)" SUCCESS
grep -q "write failed, keeping records in memory" "$T/daemon.log"; _result $? "the failure is logged"
rm -f "$F/filler"
send lookup sif u1 >/dev/null
sleep 0.2
n=$(grep -c '"event":"invite.left"' "$F/journal")
is "once there is space the held records are written" "$n" 30
seqs=$(sed -n 's/.*"seq":\([0-9]*\).*/\1/p' "$F/journal" | tr '\n' ' ')
is "no sequence number is missing" "$seqs" "$(seq -s ' ' 1 $(echo $seqs | wc -w)) "
stop_daemon
tail -c 1 "$F/journal" | od -An -c | grep -q '\\n'; _result $? "the journal ends with a whole line"
is "every line is one whole record (no fragment left by a short write)" "$(grep -vc '^{"v":1,.*}$' "$F/journal")" 0
finish
