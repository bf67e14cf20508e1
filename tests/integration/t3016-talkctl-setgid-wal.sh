#!/bin/bash
# talkctl installed setgid talkd (root's, group talkd, 2755) run by a plain
# user logged in with su, against the audit database at its fixed path in
# the installed layout (/var/lib/talkd root's, group talkd, 2755; root's
# ingest), in every state the database's -wal and -shm files can be in:
# who-called and history show the user's own calls and nothing of anyone
# else's, or fail with a message that names the file and the remedy, never
# with an empty answer (talkctl(8), Readers and the -wal and -shm files).
#
# The path is fixed when talkctl runs set-id, so the test runs in a mount
# namespace of its own where /var/lib is a folder of the test's: the host's
# /var/lib/talkd is neither read nor touched.
if [ -z "${TALKD_T3016_NS:-}" ] && [ "$(id -u)" = 0 ] &&
    unshare -m --propagation private true 2>/dev/null; then
	TALKD_T3016_NS=1 exec unshare -m --propagation private "$BASH" "$0" "$@"
fi
. "$(dirname "$0")/lib-db.sh"
need_root
[ -n "${TALKD_T3016_NS:-}" ] || skip_all "cannot make a mount namespace (unshare -m)"
command -v sqlite3 >/dev/null || skip_all "no sqlite3 shell"
plan 62

getent group talkd >/dev/null || groupadd --system talkd ||
    { echo "Bail out! cannot create group talkd"; exit 1; }
U=talkwal1 O=talkwal2		# the user, and another one
for u in $U $O; do
	ensure_user $u || { echo "Bail out! cannot create $u"; exit 1; }
done

mkdir -p "$T/varlib/talkd" "$T/bin"
mount --bind "$T/varlib" /var/lib || { echo "Bail out! cannot mount"; exit 1; }
S=/var/lib/talkd D=/var/lib/talkd/talkd.db J=/var/lib/talkd/journal/journal
chown root:talkd $S && chmod 2755 $S
mkdir -m 0700 $S/journal
cp "$TALKCTL" "$T/bin/talkctl"
TC=$T/bin/talkctl
chown root:talkd "$TC" && chmod 2755 "$TC"

# rec RUN SEQ TS EVENT CALLER CALLEE PORT [ID]: one journal record.
rec() {
	printf '{"v":1,"run":"%s","seq":%d,"ts":"%s","event":"%s","caller":"%s","callee":"%s","src":"127.0.0.1:%d"%s,"answer":"%s"}\n' \
	    "$1" "$2" "$3" "$4" "$5" "$6" "$7" "${8:+,\"id\":$8,\"new\":true}" \
	    "$([ "$4" = announce.refused ] && echo NOT_HERE || echo SUCCESS)" >>$J
}
R=00000000000000a1
rec $R 1 2026-11-23T06:00:00Z announce.refused frienda $U 1001
rec $R 2 2026-11-23T06:00:01Z invite.left frienda $U 1001 1
rec $R 3 2026-11-23T06:00:02Z announce.refused secretx $O 1002
rec $R 4 2026-11-23T06:00:03Z invite.left secretx $O 1002 2

# sees_own STATE [PORT]: who-called and history as U, each: exits 0,
# shows U's calls (a call from 127.0.0.1:PORT too, for who-called), and
# nothing of O's or of the generated records' (callers u0 to u6).
sees_own() {
	local c r port=${2:-1001}
	for c in who-called history; do
		su -s /bin/sh $U -c "$TC $c" </dev/null >"$T/out" 2>"$T/err"
		r=$?
		[ $c = history ] && port=1001
		[ $r = 0 ] && grep -q "frienda .*127\.0\.0\.1:$port" "$T/out" &&
		    ! grep -Eq "secretx|$O|(^| )u[0-6] " "$T/out"
		r=$?:$r
		_result ${r%:*} "$1: $U's $c shows $U's calls only"
		[ ${r%:*} = 0 ] || { echo "#   exit ${r#*:}"; diag "$T/out" "$T/err"; }
	done
}
# refused STATE REGEX: both commands exit 1, print nothing on stdout, and
# say REGEX (a file name and why) on stderr.
refused() {
	local c r
	for c in who-called history; do
		su -s /bin/sh $U -c "$TC $c" </dev/null >"$T/out" 2>"$T/err"
		r=$?
		[ $r = 1 ] && [ ! -s "$T/out" ] && [[ $(cat "$T/err") =~ $2 ]]
		r=$?:$r
		_result ${r%:*} "$1: $U's $c fails, saying why"
		[ ${r%:*} = 0 ] || { echo "#   exit ${r#*:}"; diag "$T/out" "$T/err"; }
	done
}
files() { stat -c '%a %U %G' $D $D-wal $D-shm 2>&1 | sort -u | tr '\n' ' '; }
ingest() { "$TC" ingest >/dev/null 2>"$T/ingest.err"; }
# write_lock PID: until PID holds SQLite's WAL write lock (byte 120 of the
# -shm file), with transactions committed to the -wal file before: it is
# inside a later write transaction.
write_lock() {
	local i ino
	ino=$(stat -c %i $D-shm)
	for i in $(seq 1 500); do
		[ -s $D-wal ] && grep -Eq "POSIX +ADVISORY +WRITE +$1 +[0-9a-f]+:[0-9a-f]+:$ino 120 120\$" /proc/locks && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}
sums() { md5sum $D $D-wal $D-shm; }

is "talkctl is setgid talkd" "$(stat -c '%a %G' "$TC")" "2755 talkd"
not_ok "$U cannot read the database itself" su -s /bin/sh $U -c "cat $D" </dev/null

# (a) Right after a clean ingest: the -wal and -shm files are kept, with
# the database's mode and group; so they are after prune.
ingest
is "(a) the database and its -wal and -shm: 0640, root's, group talkd" "$(files)" "640 root talkd "
sees_own "(a) after ingest"
"$TC" prune --older-than 100000 >/dev/null
is "(a) prune keeps them so" "$(files)" "640 root talkd "
sees_own "(a) after prune"

# (b) -wal and -shm absent.  A reader without write access to the folder
# cannot create them, and must not read the database without them (an
# ingest may run at any moment); it says which file, and that root's
# ingest makes them again, as the next timer run or root's query does.
sqlite3 $D 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
rm -f $D-wal $D-shm
refused "(b) checkpointed and removed by hand" "$D-wal: missing.*
.*root's \"talkctl ingest\" makes the database's -wal and -shm"
ingest
is "(b) root's next ingest makes them again" "$(files)" "640 root talkd "
sees_own "(b) after root's next ingest"
rm -f $D-shm
refused "(b) the -shm file alone removed" "$D-shm: missing"
ingest
# root's sqlite3 shell removes both when it closes the last connection.
sql $D 'SELECT count(*) FROM events' >/dev/null
ok "(b) root's sqlite3 shell removed them" test ! -e $D-wal -a ! -e $D-shm
refused "(b) after root's sqlite3 shell" "$D-wal: missing"
"$TC" who-called >/dev/null
is "(b) root's own who-called makes them again" "$(files)" "640 root talkd "
sees_own "(b) after root's who-called"
# Restored from a backup copy, as talkctl(8) says to.
sqlite3 -readonly $D ".backup $T/backup.db"
rm -f $D $D-wal $D-shm
install -m 0640 -o root -g talkd "$T/backup.db" $D
refused "(b) restored from a backup" "$D-wal: missing"
ingest
sees_own "(b) restored, after root's next ingest"

# (c) ingest killed -9 inside a write transaction: the -wal is hot, and
# no process holds the database.  The reader reads its committed frames
# (in its own memory: it cannot and must not recover the -shm).
rec 00000000000000c1 1 2026-11-24T05:00:00Z announce.refused frienda $U 3001
gen_journal $J 00000000000000c1 2 100000
rec 00000000000000c1 100001 2026-11-24T06:00:00Z announce.refused frienda $U 3003
bg nice -n 10 "$TC" ingest >/dev/null 2>&1
p=$!
write_lock $p; r=$?
kill -9 $p; wait $p 2>/dev/null
is "(c) ingest was killed inside a write transaction, after others" "$r" 0
sums >"$T/sums.before"
sees_own "(c) killed ingest, its committed part" 3001
su -s /bin/sh $U -c "$TC who-called" </dev/null >"$T/out" 2>&1
not_ok "(c) the unfinished part is not shown" grep -q "127\.0\.0\.1:3003" "$T/out"
sums >"$T/sums.after"
ok "(c) the user's queries changed none of the files" cmp "$T/sums.before" "$T/sums.after"
ingest
sees_own "(c) after root's next ingest" 3003

# (d) While ingest writes.  First stopped inside its write transaction,
# then running: each query done while it ran must show the user's calls.
gen_journal $J 00000000000000d1 1 100000
rec 00000000000000d1 100001 2026-11-25T06:00:00Z announce.refused frienda $U 4004
bg nice -n 10 "$TC" ingest >/dev/null 2>&1
p=$!
write_lock $p; r=$?
trap 'kill -CONT $p; _cleanup' EXIT	# a stopped process ignores TERM
kill -STOP $p
is "(d) ingest stopped inside a write transaction" "$r" 0
sees_own "(d) ingest stopped mid-transaction"
kill -CONT $p
trap _cleanup EXIT
wait $p
is "(d) that ingest then ends well" "$?" 0
gen_journal $J 00000000000000d2 1 300000
bg nice -n 10 "$TC" ingest >/dev/null 2>&1
p=$!
during=0 bad=0
while kill -0 $p 2>/dev/null; do
	su -s /bin/sh $U -c "$TC who-called" </dev/null >"$T/out" 2>"$T/err"
	r=$?
	kill -0 $p 2>/dev/null || break	# done before the query ended
	if [ $r = 0 ] && grep -q "frienda .*127\.0\.0\.1:4004" "$T/out" &&
	    ! grep -Eq "secretx|(^| )u[0-6] " "$T/out"; then
		during=$((during + 1))
	else
		bad=$((bad + 1)); diag "$T/out" "$T/err"
	fi
done
wait $p
is "(d) no query failed while ingest ran" "$bad" 0
ok "(d) queries ran while ingest ran ($during)" test $during -ge 1
sees_own "(d) after that ingest" 4004

# (e) Modes, owners and groups that are not the database's: a restrictive
# umask, a copy, a restore by hand.  The user is told which file and how
# it is; root's next ingest gives them the database's owner, group and
# mode, and never leaves one more open than the database.
chmod 0600 $D-shm
refused "(e) -shm mode 0600" "$D-shm: Permission denied \(mode 0600, owner root, group talkd; the database: mode 0640, owner root, group talkd\)"
ingest
is "(e) root's ingest gives -shm the database's mode" "$(files)" "640 root talkd "
sees_own "(e) after root's ingest"
chgrp root $D-wal
refused "(e) -wal of group root" "$D-wal: Permission denied \(mode 0640, owner root, group root;"
ingest
is "(e) root's ingest gives -wal the database's group" "$(files)" "640 root talkd "
sees_own "(e) after root's ingest"
chown $O:$O $D-wal $D-shm && chmod 0666 $D-wal $D-shm
ingest
is "(e) -wal and -shm of another owner, mode 0666: root's ingest takes them back" "$(files)" "640 root talkd "
sees_own "(e) after root's ingest"
rm -f $D-wal $D-shm
(umask 077; ingest)
is "(e) root's ingest by hand with umask 077 makes them like the database" "$(files)" "640 root talkd "
sees_own "(e) after root's ingest with umask 077"
chgrp root $D
refused "(e) the database of group root" "$D: Permission denied \(mode 0640, owner root, group root\).*
.*talkctl reads the audit database with its group, which the database must have: talkd"
chgrp talkd $D
chmod 2750 $S
refused "(e) the folder not searchable by others" "$S: not searchable with the real user and group ids"
chmod 2755 $S
sees_own "(e) the folder 2755 again"
finish
