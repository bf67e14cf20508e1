#!/bin/bash
# Callees who crowd one part of the daemon's cache of ~/.talkrc picks
# still get their own file's decision on every request, and an edit still
# counts from the very next one.  The cache (policy.c) keeps a callee in
# one of 64 sets of 4 slots, chosen by the FNV-1a hash of the name; the
# six accounts here all hash to one set, so each request for one of them
# pushes another one out.  A pick that came back from an eviction must be
# of the file as it is now, not as it was, and one user's pick must never
# answer for another's.
. "$(dirname "$0")/lib.sh"
need_root
ROUNDS=4
plan 4

fnv_set() {	# fnv_set NAME: its set, as policy.c's uset_slot takes it
	local h=2166136261 i c
	for ((i = 0; i < ${#1}; i++)); do
		printf -v c '%d' "'${1:i:1}"
		h=$(( ((h ^ c) * 16777619) & 0xffffffff ))
	done
	echo $((h % 64))
}

# Six names in one set: the first set that six "tcuN" names fall into.
declare -A byset
users=""
for n in $(seq 1 2000); do
	s=$(fnv_set "tcu$n")
	byset[$s]="${byset[$s]:-} tcu$n"
	if [ "$(echo ${byset[$s]} | wc -w)" -eq 6 ]; then users=${byset[$s]}; break; fi
done
[ -n "$users" ] || { echo "Bail out! no six names in one set"; exit 1; }
diag <<<"users in set $s:$users"
for u in $users; do
	getent passwd $u >/dev/null || useradd -m -d /home/$u -s /usr/sbin/nologin $u ||
	    { echo "Bail out! useradd $u"; exit 1; }
done
home() { getent passwd "$1" | cut -d: -f6; }
put() {	# put USER TEXT: the user's ~/.talkrc, rewritten in place
	local f; f=$(home "$1")/.talkrc
	printf '%s\n' "$2" >"$f"; chown "$1": "$f"; chmod 0644 "$f"
}
trap 'for u in $users; do rm -f "$(home $u)/.talkrc"; done; _cleanup' EXIT
for u in $users; do put $u 'deny ^thor$'; done
start_daemon --user nobody || exit 1
ans() { "$NTALK" 127.0.0.1:$PORT announce thor "$1" | field answer; }

# Every user in turn, many times: each answer is that user's own file's.
miss=""
for r in $(seq 1 $ROUNDS); do
	for u in $users; do [ "$(ans $u)" = FAILED ] || miss="$miss $u@$r"; done
done
is "six callees in one set: each denied by their own file" "$miss" ""

# One user at a time allows, the others still deny: a pick never answers
# for another user, and the edit counts from that user's next request
# although the pick was pushed out in between.
miss=""
for r in $(seq 1 $ROUNDS); do
	for u in $users; do
		put $u 'allow .'
		[ "$(ans $u)" = NOT_HERE ] || miss="$miss allow:$u@$r"
		for v in $users; do
			[ $v = $u ] && continue
			[ "$(ans $v)" = FAILED ] || miss="$miss deny:$v@$r"
		done
		put $u 'deny ^thor$'
		[ "$(ans $u)" = FAILED ] || miss="$miss back:$u@$r"
	done
done
is "an edit counts at once for a callee pushed out of the cache" "$miss" ""

# The file removed while its user is out of the cache: nothing to deny.
set -- $users; u1=$1
for u in $users; do ans $u >/dev/null; done
rm -f "$(home $u1)/.talkrc"
for u in $users; do [ $u = $u1 ] || ans $u >/dev/null; done
is "a removed file counts after an eviction" "$(ans $u1)" NOT_HERE
ok "the daemon is still up" kill -0 "$DPID"
finish
