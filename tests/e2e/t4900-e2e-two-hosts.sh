#!/bin/bash
# Calls between two hosts, with every client.
#
# Two private hosts (lib.sh e2e_two_hosts): talke2e-one (10.218.0.1) and
# talke2e-two (10.218.0.2), joined by a veth pair, each with its own host
# name, hosts file (naming both, as DNS would), utmp and talkd.  A lives on
# one, B and C on two.  For each client (netkit, GNU, YTalk), A calls
# B@talke2e-two and B calls A@talke2e-one: the callee's daemon rings with
# the caller's host name in the banner, the answer connects, lines flow,
# and the caller's daemon kept the invitation that the callee's client
# looked up from the other host.
#
# Host two has a site rule `deny talke2ec 10.218.0.1` (talkd -a): A's
# calls to C@talke2e-two are refused with every client and ring nothing,
# while B's calls (same host, other user) and a local call to C (same user,
# other address) ring.  Last, `talkctl who-called` on each host lists
# what that host saw.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"

ONE=talke2e-one ONE_ADDR=10.218.0.1
TWO=talke2e-two TWO_ADDR=10.218.0.2
CLIENTS="netkit inetutils ytalk"
DENIED=5
e2e_plan $((3 + 3 * 2 * (E2E_CONV_STEPS + 1) + 3 * DENIED + 3 + 5))

e2e_need_ytalk || { echo "# $E2E_YTALK_WHY: YTalk's calls skip"; }
E2E_USER_HOST[$A]=$ONE
E2E_USER_HOST[$B]=$TWO
E2E_USER_HOST[$C]=$TWO

# A client's steps, or skips when it is YTalk and there is none.
usable() { [ "$1" != ytalk ] || [ -n "$E2E_YTALK" ]; }
skip_n() {
	local i
	for ((i = 0; i < $1; i++)); do
		e2e_skip "$2" "$E2E_YTALK_WHY"
	done
}

# started HOST [TALKD-OPTION...]: that host's talkd listens.
started() { E2E_HOST=$1 e2e_start_daemon "${@:2}"; }

# kept HOST CALLER CALLEE FROM: HOST's journal has CALLER's invitation
# for CALLEE, and CALLEE's look-up of it from address FROM.
kept() {
	E2E_HOST=$1 e2e_journal_has invite.left 1 SUCCESS "\"caller\":\"$2\",\"callee\":\"$3\"" &&
		E2E_HOST=$1 e2e_journal_has lookup.hit 1 SUCCESS \
			"\"caller\":\"$3\",\"callee\":\"$2\"" "\"src\":\"$4:"
}

# call CLIENT N: A on one calls B on two, then B calls A.
call() {
	local c=$1 n=$2
	e2e_case "$c: $A@$ONE calls $B@$TWO"
	E2E_HOST=$TWO E2E_BANNER_HOST=$ONE e2e_conversation "$c" "$A" "$c" "$B" "$n.1" "$B@$TWO"
	e2e_check "$c: $ONE's daemon kept the invitation, $B looked it up from $TWO_ADDR" \
		kept "$ONE" "$A" "$B" "$TWO_ADDR"
	e2e_end_case
	e2e_case "$c: $B@$TWO calls $A@$ONE"
	E2E_HOST=$ONE E2E_BANNER_HOST=$TWO e2e_conversation "$c" "$B" "$c" "$A" "$n.2" "$A@$ONE"
	e2e_check "$c: $TWO's daemon kept the invitation, $A looked it up from $ONE_ADDR" \
		kept "$TWO" "$B" "$A" "$ONE_ADDR"
	e2e_end_case
}

# denied CLIENT: A's call to C@two is refused by two's site rule.
denied() {
	local c=$1 p="$1 denied:"
	e2e_case "$c: $A@$ONE calls $C@$TWO, whom a site rule keeps from $ONE_ADDR"
	e2e_check "$p $A and $C are logged in" e2e_sessions "$A" "$C"
	e2e_check "$p $A runs talk $C@$TWO" e2e_talk "$c" "$A" 0 "$C@$TWO"
	e2e_check "$p $A is refused" e2e_shows "$c" "$A" 0 refused "$C"
	e2e_check "$p $A's client ends (on ^C), nothing reached $C's screen" \
		eval 'e2e_hang_up "$A" 0 && e2e_no_banner "$C" 0'
	e2e_check "$p $TWO's journal has a request.denied record naming the rule" \
		eval 'E2E_HOST=$TWO e2e_journal_has request.denied 1 FAILED "\"callee\":\"$C\"" "site.acl:1:1\""'
	e2e_end_case
}

# who_called HOST USER OP COUNT REGEX: `talkctl who-called USER` on HOST
# has COUNT lines (OP: -eq, -ge) matching the extended REGEX.
who_called() {
	local out d=$E2E_DIR/$1 n
	out=$(e2e_at "$1" "$TALKD_BUILD/talkctl" who-called "$2" --journal "$d/journal" --db "$d/talkd.db" 2>&1) ||
		{ echo "$out" | e2e_diag; return 1; }
	n=$(grep -cE -- "$5" <<<"$out")
	[ "$n" "$3" "$4" ] || { echo "$out" | e2e_diag; echo "# $n lines match /$5/"; return 1; }
}

e2e_case "two hosts"
e2e_check "$ONE ($ONE_ADDR) and $TWO ($TWO_ADDR) are up, joined by a veth pair" \
	e2e_two_hosts "$ONE" "$ONE_ADDR" "$TWO" "$TWO_ADDR"
printf 'deny %s %s\n' "$C" "$ONE_ADDR" >"$E2E_DIR/site.acl"
e2e_check "talkd starts on $ONE" started "$ONE"
e2e_check "talkd starts on $TWO, with site rule 'deny $C $ONE_ADDR'" \
	started "$TWO" -a "$E2E_DIR/site.acl"
[ -z "$E2E_CASE_BROKEN" ] || exit 1

n=0
for c in $CLIENTS; do
	n=$((n + 1))
	if usable "$c"; then
		call "$c" "$n"
	else
		skip_n $((2 * (E2E_CONV_STEPS + 1))) "$c: calls between $ONE and $TWO"
	fi
done
for c in $CLIENTS; do
	if usable "$c"; then
		denied "$c"
	else
		skip_n "$DENIED" "$c: denied call"
	fi
done

e2e_case "the rule denies only $ONE_ADDR's calls to $C"
e2e_check "$C and $B are logged in on $TWO" e2e_sessions "$C" "$B"
e2e_check "$B calls $C on $TWO (netkit, loopback)" e2e_talk netkit "$B" 0 "$C"
e2e_check "$C's terminal shows the banner" \
	eval 'e2e_banner_for "$C" 0 "$B" && e2e_hang_up "$B" 0'
e2e_end_case

e2e_case "who-called on each host"
nclients=0
for c in $CLIENTS; do
	usable "$c" && nclients=$((nclients + 1))
done
RUNG='[0-9]+ +pts/[0-9]+ +(rung|ringing|answered)'
e2e_check "on $TWO, who-called $B: $A's $nclients calls from $ONE_ADDR, rung" \
	who_called "$TWO" "$B" -eq "$nclients" "^[-0-9]+ [:0-9]+ +$A +${ONE_ADDR//./\\.}:$RUNG"
e2e_check "on $TWO, who-called $C: $A's calls from $ONE_ADDR denied by site.acl:1:1" \
	who_called "$TWO" "$C" -ge "$nclients" " $A +${ONE_ADDR//./\\.}:[0-9]+ +denied +rule .*site\.acl:1:1 "
e2e_check "on $TWO, who-called $C: $B's local call, not denied" \
	who_called "$TWO" "$C" -eq 1 " $B +[.0-9]+:[0-9]+ +pts/[0-9]+ +(rung|ringing|missed|answered)"
e2e_check "on $ONE, who-called $A: $B's $nclients calls from $TWO_ADDR, rung" \
	who_called "$ONE" "$A" -eq "$nclients" "^[-0-9]+ [:0-9]+ +$B +${TWO_ADDR//./\\.}:$RUNG"
e2e_check "on $ONE, who-called $C: nothing (the calls to $C went to $TWO)" \
	who_called "$ONE" "$C" -eq 0 "talke2e"
