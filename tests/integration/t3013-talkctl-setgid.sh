#!/bin/bash
# talkctl installed setgid talkd (make install, the Debian package), run
# by a real user logged in through su (runuser with a group option would
# set the real gid and hide exactly this): no command reads a file the user could
# not read, and a name longer than the 12 bytes talk carries cannot see
# the calls of the account that holds its first 12 bytes (talkctl(8),
# PRIVILEGES).
. "$(dirname "$0")/lib.sh"
need_root
plan 16
getent group talkd >/dev/null || groupadd --system talkd ||
    { echo "Bail out! cannot create group talkd"; exit 1; }
U=talksg1 LONG=talksetgid123
for u in $U $LONG; do
	ensure_user $u || { echo "Bail out! cannot create $u"; exit 1; }
done

# The binary as install makes it: root's, group talkd, mode 2755.
mkdir -p "$T/bin"
cp "$B/talkctl" "$T/bin/talkctl"
chown root:talkd "$T/bin/talkctl"
chmod 2755 "$T/bin/talkctl"
is "talkctl is setgid talkd" "$(stat -c '%a %G' "$T/bin/talkctl")" "2755 talkd"

# Files the group talkd may read and the user may not.
printf 'allow leakedname 10.9.9.9\n' >"$T/group.acl"
printf 'SECRET-LINE-1\n' >"$T/group.bad"
printf '{"v":1,"run":"00000000000000aa","seq":1,"ts":"2026-11-28T00:00:00Z","event":"lookup.miss","caller":"leakedname","callee":"sif","src":"10.9.9.9:1","answer":"NOT_HERE"}\n' >"$T/group.journal"
chown root:talkd "$T"/group.*
chmod 0640 "$T"/group.*
: >"$T/passwd"
chmod 0644 "$T/passwd"

as_user() { su -s /bin/sh "$1" -c "$2" </dev/null 2>&1; }
TC="$T/bin/talkctl"

not_ok "the user cannot read them without talkctl" as_user $U "cat $T/group.acl"

out=$(as_user $U "$TC acl check $T/group.bad")
unlike() { [[ ! $2 =~ $3 ]]; _result $? "$1"; [[ ! $2 =~ $3 ]] || echo "#   got: '$2'"; }
unlike "acl check prints no line of a group-only file" "$out" SECRET-LINE
like "acl check says why it cannot read it" "$out" "[Pp]ermission denied"
out=$(as_user $U "$TC acl show $T/group.acl")
unlike "acl show prints no rule of a group-only file" "$out" leakedname
out=$(as_user $U "$TC acl test $T/group.acl")
unlike "acl test reads no group-only file" "$out" leakedname
out=$(as_user $U "$TC acl diff $T/group.acl $T/group.acl")
unlike "acl diff reads no group-only file" "$out" leakedname
out=$(as_user $U "$TC simulate $U 127.0.0.1 --talkrc $T/group.journal --passwd $T/passwd")
unlike "simulate --talkrc prints no line of a group-only file" "$out" leakedname
like "simulate --talkrc says why it cannot read it" "$out" "[Pp]ermission denied"
out=$(as_user $U "$TC simulate $U 127.0.0.1 --policy $T/group.acl --passwd $T/passwd --json")
unlike "simulate --policy reads no group-only policy" "$out" leakedname
out=$(as_user $U "$TC status --status $T/group.journal")
unlike "status --status reads no group-only file" "$out" leakedname
out=$(as_user $U "$TC who-called --db $T/x.db --journal $T/group.journal")
unlike "who-called takes no journal path from a user" "$out" leakedname
like "and says so" "$out" "for root"

# A name talk cannot carry whole: its first 12 bytes are another name.
out=$(as_user $LONG "$TC who-called")
like "a 13-byte user is told talk carries 12 bytes" "$out" "12 bytes"
out=$(as_user $LONG "$TC who-called; echo rc=\$?")
like "and the query is refused" "$out" "rc=1"

# Root keeps every right: the same binary reads the group's policy.
out=$("$TC" acl show "$T/group.acl" 2>&1)
like "root still reads it" "$out" leakedname
finish
