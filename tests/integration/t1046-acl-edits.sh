#!/bin/bash
# A user's edit to ~/.talkrc counts from that user's very next request,
# with no pause in between: many rounds of (change the file, send at once)
# in an open home and in a private one (reached through the opener), by
# rewriting in place, by creating and deleting the file, by replacing it
# with a rename as editors do, and by changing its mode.  The daemon
# learns of each change from inotify, not by looking per request, so this
# is what proves no change is missed -- also when the kernel's event queue
# overflowed while the daemon was stopped, and where no watch can be added.
. "$(dirname "$0")/lib.sh"
need_root
ROUNDS=25
plan 12
talkrc_users
rm -rf "$H/.talkrc" "$HP/.talkrc" "$H/.talkrc.new" "$HP/.talkrc.new"
trap 'rm -rf "$H/.talkrc" "$HP/.talkrc" "$H/.talkrc.new" "$HP/.talkrc.new"; _cleanup' EXIT
start_daemon --user nobody || exit 1
ans() { "$NTALK" 127.0.0.1:$PORT announce thor "$1" | field answer; }

# put HOME USER TEXT: rewrite in place (same inode, nothing else changes).
put() {
	if [ -f "$1/.talkrc" ]; then printf '%s\n' "$3" >"$1/.talkrc"; return; fi
	printf '%s\n' "$3" >"$1/.talkrc"; chown "$2": "$1/.talkrc"; chmod 0644 "$1/.talkrc"
}
# swap HOME USER TEXT: a new file renamed over the old one.
swap() { printf '%s\n' "$3" >"$1/.talkrc.new"; chown "$2": "$1/.talkrc.new"; chmod 0644 "$1/.talkrc.new"; mv -f "$1/.talkrc.new" "$1/.talkrc"; }

# rounds HOW HOME USER: flip deny/allow ROUNDS times; prints the misses.
rounds() {
	local how=$1 home=$2 user=$3 i miss=""
	for i in $(seq 1 $ROUNDS); do
		"$how" "$home" "$user" 'deny ^thor$'
		[ "$(ans "$user")" = FAILED ] || miss="$miss deny@$i"
		"$how" "$home" "$user" 'allow .'
		[ "$(ans "$user")" = NOT_HERE ] || miss="$miss allow@$i"
	done
	echo "$miss"
}

# create/delete HOME USER: the file appears (deny), then is gone (allow).
appear() {
	local home=$1 user=$2 i miss=""
	for i in $(seq 1 $ROUNDS); do
		put "$home" "$user" 'deny ^thor$'
		[ "$(ans "$user")" = FAILED ] || miss="$miss created@$i"
		rm -f "$home/.talkrc"
		[ "$(ans "$user")" = NOT_HERE ] || miss="$miss deleted@$i"
	done
	echo "$miss"
}

# chmod: group-writable (deny-all) and back.
modes() {
	local home=$1 user=$2 i miss=""
	put "$home" "$user" 'allow .'
	for i in $(seq 1 $ROUNDS); do
		chmod 0664 "$home/.talkrc"
		[ "$(ans "$user")" = FAILED ] || miss="$miss g+w@$i"
		chmod 0644 "$home/.talkrc"
		[ "$(ans "$user")" = NOT_HERE ] || miss="$miss g-w@$i"
	done
	echo "$miss"
}

is "open home, rewritten in place: every edit counts at once" "$(rounds put "$H" $U)" ""
is "open home, replaced by rename: every edit counts at once" "$(rounds swap "$H" $U)" ""
is "open home, created and deleted: counts at once" "$(appear "$H" $U)" ""
is "open home, mode changes: count at once" "$(modes "$H" $U)" ""
is "private home, rewritten in place: every edit counts at once" "$(rounds put "$HP" $P)" ""
is "private home, replaced by rename: every edit counts at once" "$(rounds swap "$HP" $P)" ""
is "private home, created and deleted: counts at once" "$(appear "$HP" $P)" ""

# Overflow: while the daemon is stopped, more events than the queue holds
# (chmod of P's file), then U's edit, whose event is lost; IN_Q_OVERFLOW
# alone must make the next request look again.
put "$H" $U 'allow .'; put "$HP" $P 'allow .'
ans $U >/dev/null; ans $P >/dev/null
kill -STOP "$DPID"
python3 -c 'import os,sys
n = int(open("/proc/sys/fs/inotify/max_queued_events").read()) + 100
for i in range(n): os.chmod(sys.argv[1], 0o600 if i % 2 else 0o644)' "$HP/.talkrc"
put "$H" $U 'deny ^thor$'
kill -CONT "$DPID"
is "after a queue overflow the next request still sees the edit" "$(ans $U)" FAILED

# A new account (useradd renames a new /etc/passwd into place) counts from
# the next request: the cached "no such user" is forgotten at once.
N=talkpar3
userdel -r $N >/dev/null 2>&1
ans $N >/dev/null	# cached: no such account
useradd -m -d /home/$N -s /usr/sbin/nologin $N || { echo "Bail out! useradd"; exit 1; }
printf 'deny ^thor$\n' >/home/$N/.talkrc; chown $N: /home/$N/.talkrc
is "a new account's ~/.talkrc counts from the next request" "$(ans $N)" FAILED
userdel -r $N >/dev/null 2>&1
is "and a removed account's is gone from the next request" "$(ans $N)" NOT_HERE
stop_daemon

# Where no watch can be added -- here a daemon not started as root, with
# no helper, on a private home it may not read -- every request looks.
printf 'allow .\n' >"$HP/.talkrc"; chown $P: "$HP/.talkrc"; chmod 0644 "$HP/.talkrc"
ND=$T/nobody-run; mkdir -p "$ND"; chown nobody "$ND"
PORT=$((PORT + 1))
runuser -u nobody -- "$B/talkd" --foreground --listen 127.0.0.1:$PORT --journal "$ND/journal" \
    --utmp "$T/utmp" --state-dir "$ND" 2>"$ND/log" &
_pids="$_pids $!"
for i in $(seq 1 50); do "$NTALK" -w 100 127.0.0.1:$PORT lookup p p >/dev/null 2>&1 && break; done
miss=""
for i in $(seq 1 $ROUNDS); do
	chmod 0700 "$HP"
	[ "$(ans $P)" = FAILED ] || miss="$miss private@$i"
	chmod 0755 "$HP"
	[ "$(ans $P)" = NOT_HERE ] || miss="$miss open@$i"
done
is "unwatched (no helper): a private home fails closed, an opened one is read at once" "$miss" ""
printf 'deny ^thor$\n' >"$HP/.talkrc"
is "and an edit there counts from the next request" "$(ans $P)" FAILED
chmod 0700 "$HP"
finish
