#!/bin/bash
# A callee whose home is not there (as nobody's /nonexistent) costs no
# look at the disk per request either: the daemon watches the deepest
# folder of the home's path that exists, for the next name to appear.
# When the home comes -- made a level at a time, made whole at once, or
# renamed into place -- its ~/.talkrc counts from the very next request.
. "$(dirname "$0")/lib.sh"
need_root
command -v strace >/dev/null || skip_all "no strace (make deps-test installs it)"
ROUNDS=10
plan 9
G=talkgone
TOP=/home/talkgone.d HOMEDIR=/home/talkgone.d/home
getent passwd $G >/dev/null || useradd -M -d $HOMEDIR -s /usr/sbin/nologin $G ||
    { echo "Bail out! useradd"; exit 1; }
[ "$(getent passwd $G | cut -d: -f6)" = $HOMEDIR ] || usermod -d $HOMEDIR $G
rm -rf $TOP /home/talkgone.tmp
trap 'rm -rf $TOP /home/talkgone.tmp; _cleanup' EXIT
start_daemon --user nobody || exit 1
ans() { "$NTALK" 127.0.0.1:$PORT "$@" | field answer; }
# make_home: the home and a ~/.talkrc that denies thor, owned by the user.
make_home() {
	mkdir -p "$1" && printf 'deny ^thor$\n' >"$1/.talkrc" &&
	    chown $G: "$1" "$1/.talkrc" && chmod 0644 "$1/.talkrc"
}
ans lookup thor $G >/dev/null		# the first request watches

strace -f -e trace=%file,%stat -o "$T/strace" -p "$DPID" 2>"$T/strace.err" &
SP=$!
_pids="$SP $_pids"
for i in $(seq 1 100); do grep -q 'attached' "$T/strace.err" 2>/dev/null && break; sleep 0.05; done
n0=$(wc -l <"$T/strace")
miss=0
for i in $(seq 1 20); do [ "$(ans lookup thor $G)" = NOT_HERE ] || miss=$((miss + 1)); done
n1=$(wc -l <"$T/strace")
kill "$SP"; wait "$SP" 2>/dev/null
is "20 requests for a callee with no home: no file, allowed" "$miss" 0
is "none of them named the home or a folder on its way" \
    "$(tail -n +$((n0 + 1)) "$T/strace" | head -n $((n1 - n0)) | grep -ac talkgone)" 0

# A level at a time: the folder above the home, then the home and file.
mkdir $TOP
r1=$(ans lookup thor $G)
make_home $HOMEDIR
r2=$(ans lookup thor $G)
is "made a level at a time: allowed, then denied by the new file" "$r1 $r2" "NOT_HERE FAILED"
rm -rf $TOP
is "home removed: allowed again" "$(ans lookup thor $G)" NOT_HERE

# Made whole and asked for at once, many times.
miss=""
for i in $(seq 1 $ROUNDS); do
	make_home $HOMEDIR
	[ "$(ans lookup thor $G)" = FAILED ] || miss="$miss made@$i"
	rm -rf $TOP
	[ "$(ans lookup thor $G)" = NOT_HERE ] || miss="$miss removed@$i"
done
is "made whole at once: the file counts from the next request" "$miss" ""

# Renamed into place, as a restore or an admin's script would.
make_home /home/talkgone.tmp/home
mv /home/talkgone.tmp $TOP
is "renamed into place: denied" "$(ans lookup thor $G)" FAILED
# The home is there now: an edit counts as for any callee.
printf 'allow .\n' >"$HOMEDIR/.talkrc"
is "then an edit counts at once" "$(ans lookup thor $G)" NOT_HERE
# Where the folder above cannot be watched (the daemon's user may pass
# through it but not read it), the file is looked for on every request
# instead, as where no watch can be added: it still counts at once.
rm -rf $TOP; mkdir -m 0711 $TOP
r1=$(ans lookup thor $G)
make_home $HOMEDIR
r2=$(ans lookup thor $G)
is "folder above not readable: allowed, then denied at once" "$r1 $r2" "NOT_HERE FAILED"
ok "the daemon is still up" kill -0 "$DPID"
finish
