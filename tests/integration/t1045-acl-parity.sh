#!/bin/bash
# The daemon and talkctl simulate decide through the same libacl path, so
# for every kind of ~/.talkrc they give the same decision, the same reason
# and name the same rule: none, good, group-writable, a folder, a FIFO, a
# file of another owner, mode 000 (read through the opener), a private
# home (the opener), over the size limit, a compiled --users copy that is
# current (and so decides: its rules carry the name it was compiled under)
# and one that is stale, and a file that cannot be read at all (a daemon
# without the opener, and simulate, both as nobody, on a private home).
# The daemon's side is its answer and its journal's request.denied record;
# simulate's is its --json object.
. "$(dirname "$0")/lib.sh"
need_root
plan 44
talkrc_users
rc=$H/.talkrc
rm -rf "$rc" "$HP/.talkrc"
trap 'rm -rf "$rc" "$HP/.talkrc"; _cleanup' EXIT
TC=$B/talkctl

jget() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"; }
# The last request.denied record for callee $1 in journal $2: "reason rule".
denied() {
	grep '"event":"request.denied"' "$2" | grep -F "\"callee\":\"$1\"" | tail -1 |
	    python3 -c 'import json,sys; t=sys.stdin.read(); r=json.loads(t) if t else None; print(r["reason"], r["rule"]) if r else None'
}

# same CASE CALLEE [RUNAS]: one request to the daemon on $PORT (journal
# $J) and one simulate --json with the same cache; 3 checks.
same() {
	local what=$1 who=$2 as=${3:-} a sim d n_before
	n_before=$(grep -c '"event":"request.denied"' "$J" 2>/dev/null)
	a=$("$NTALK" 127.0.0.1:$PORT announce thor "$who" | field answer)
	if [ -n "$as" ]; then
		sim=$(runuser -u "$as" -- "$TC" simulate "$who" 127.0.0.1 --caller thor --cache "$CACHE" --json 2>/dev/null)
	else
		sim=$("$TC" simulate "$who" 127.0.0.1 --caller thor --cache "$CACHE" --json 2>/dev/null)
	fi
	d=$(jget "$sim" decision)
	if [ "$a" = FAILED ]; then
		is "$what: denied by both" "$d" deny
		is "$what: one request.denied record" "$(grep -c '"event":"request.denied"' "$J")" $((n_before + 1))
		is "$what: same reason and rule" "$(denied "$who" "$J")" "$(jget "$sim" reason) $(jget "$sim" rule)"
	else
		is "$what: allowed by both (answer $a)" "$d" allow
		is "$what: no request.denied record" "$(grep -c '"event":"request.denied"' "$J")" "$n_before"
		is "$what: simulate's reason" "$(jget "$sim" reason)" site-allow
	fi
	LAST=$(denied "$who" "$J")
}

cat >"$T/policy.yaml" <<YAML
version: 1
site:
  - { id: everyone, action: allow }
YAML
CACHE=$T/acl.cache
"$TC" acl compile -o "$CACHE" "$T/policy.yaml" >/dev/null
J=$T/journal
start_daemon --user nobody --acl-cache "$CACHE" || exit 1

same "no ~/.talkrc" $U
printf 'allow .\ndeny ^thor$\n' >"$rc"; chown $U: "$rc"; chmod 0644 "$rc"
same "a good file" $U
is "the rule is named file:line:col" "$LAST" "user-deny $rc:2:1"
chmod 0664 "$rc"
same "group-writable" $U
is "an insecure file is named as a whole" "$LAST" "insecure-talkrc $rc"
rm -f "$rc"; mkdir "$rc"; chown $U: "$rc"
same "a folder" $U
rmdir "$rc"; mkfifo "$rc"; chown $U: "$rc"
same "a FIFO (nothing blocks)" $U
rm -f "$rc"; printf 'allow .\n' >"$rc"; chmod 0644 "$rc"	# root's
same "a file of another owner" $U
chown $U: "$rc"; printf 'deny ^thor$\n' >"$rc"; chmod 000 "$rc"
same "mode 000 (the opener reads it)" $U
is "it decided by its rule" "$LAST" "user-deny $rc:1:1"
{ printf 'allow .\n'; head -c 70000 /dev/zero | tr '\0' '#'; printf '\n'; } >"$rc"; chmod 0644 "$rc"
same "over the size limit" $U
is "a file too large is bad-talkrc" "$LAST" "bad-talkrc $rc"
printf 'deny ^thor$\n' >"$HP/.talkrc"; chown $P: "$HP/.talkrc"; chmod 0600 "$HP/.talkrc"
same "a private home (the opener)" $P

# A compiled copy that is current decides; it was compiled through another
# path to the same file, so its rules carry that name.
printf 'deny ^th\n' >"$rc"; chown $U: "$rc"; chmod 0644 "$rc"
ln -s "$H" "$T/alias"
printf '%s:x:%s:%s::%s:/bin/sh\n' $U "$(id -u $U)" "$(id -g $U)" "$T/alias" >"$T/passwd"
"$TC" acl compile -o "$CACHE" --passwd "$T/passwd" "$T/policy.yaml" >/dev/null 2>&1
same "a current compiled copy" $U
is "the compiled copy decided, in the daemon too" "$LAST" "user-deny $T/alias/.talkrc:1:1"
sim=$("$TC" simulate $U 127.0.0.1 --caller thor --cache "$CACHE" --json 2>/dev/null)
is "simulate says it used the compiled copy" "$(jget "$sim" talkrc_source)" compiled
printf 'deny ^tho\n' >"$rc"
same "a stale compiled copy" $U
is "the file decided" "$LAST" "user-deny $rc:1:1"
stop_daemon

# Unreadable: a daemon without its opener (not root) cannot search a
# private home; nor can simulate run as the same user.  Both fail closed.
ND=$T/nobody-run; mkdir -p "$ND"; chown nobody "$ND"
J=$ND/journal
PORT=$((PORT + 1))
runuser -u nobody -- "$B/talkd" --foreground --listen 127.0.0.1:$PORT --journal "$J" \
    --utmp "$T/utmp" --state-dir "$ND" --acl-cache "$CACHE" 2>"$ND/log" &
_pids="$_pids $!"
for i in $(seq 1 50); do "$NTALK" -w 100 127.0.0.1:$PORT lookup p p >/dev/null 2>&1 && break; done
same "a private home, no opener" $P nobody
is "unreadable-talkrc, named as a whole" "$LAST" "unreadable-talkrc $HP/.talkrc"
finish
