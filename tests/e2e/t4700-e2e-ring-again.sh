#!/bin/bash
# A caller left unanswered rings again after 30 s, and the daemon re-rings.
#
# netkit and GNU talk re-announce every 30 s with the id the daemon gave
# them plus one; YTalk asks "Rering USER?" after 30 s and re-announces with
# an id of its own, 5 more than its last.  A daemon must take each as a new
# ring (SPEC 2: ids small and increasing), not as a duplicate.  A calls B
# with netkit, C with GNU talk and D with YTalk, at the same time (so the
# 30 s wait is paid once); each caller must ring again (D answering y), B's
# terminal must show two banners from each, and the journal one
# announce.rerung record per caller.  Without YTalk (t4800 says how it is
# found) D's steps skip.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"

e2e_plan 16
RING_WAIT=40	# seconds: the clients' 30 s, and some

banners_from() {
	[ "$(e2e_screen "$1" "$2" | grep -c "^talk: connection requested by $3@")" -ge "$4" ]
}

# ycheck DESCRIPTION COMMAND...: a YTalk step, skipped without YTalk.
ycheck() {
	if [ -n "$E2E_YTALK" ]; then
		e2e_check "$@"
	else
		e2e_skip "$1" "$E2E_YTALK_WHY"
	fi
}

e2e_need_ytalk || echo "# $E2E_YTALK_WHY"
e2e_daemon_step
e2e_case "netkit, GNU and YTalk callers left unanswered"
e2e_check "$A, $B, $C and $D are logged in (utmp)" e2e_sessions "$A" "$B" "$C" "$D"
e2e_check "$A runs netkit talk $B" e2e_talk netkit "$A" 0 "$B"
e2e_check "$C runs inetutils talk $B" e2e_talk inetutils "$C" 0 "$B"
ycheck "$D runs ytalk $B" e2e_talk ytalk "$D" 0 "$B"
e2e_check "$B's terminal shows a banner from $A and from $C" \
	eval 'e2e_banner_for "$B" 0 "$A" && e2e_banner_for "$B" 0 "$C"'
ycheck "$B's terminal shows a banner from $D" e2e_banner_for "$B" 0 "$D"
e2e_check "netkit rings again" e2e_see "$A" 0 "[Ringing your party again]" "$RING_WAIT"
e2e_check "inetutils rings again" e2e_see "$C" 0 "[Ringing your party again]" "$RING_WAIT"
ycheck "YTalk asks whether to ring again, $D answers y" \
	eval 'e2e_see "$D" 0 "Rering $B@" "$RING_WAIT" && e2e_keys "$D" 0 y'
e2e_check "$B's terminal shows a second banner from $A" e2e_wait 5 banners_from "$B" 0 "$A" 2
e2e_check "$B's terminal shows a second banner from $C" e2e_wait 5 banners_from "$B" 0 "$C" 2
ycheck "$B's terminal shows a second banner from $D" e2e_wait 5 banners_from "$B" 0 "$D" 2
e2e_check "the journal has an announce.rerung record from $A and from $C" \
	eval 'e2e_journal_has announce.rerung 1 SUCCESS "\"caller\":\"$A\"" &&
		e2e_journal_has announce.rerung 1 SUCCESS "\"caller\":\"$C\""'
ycheck "the journal has an announce.rerung record from $D" \
	e2e_journal_has announce.rerung 1 SUCCESS "\"caller\":\"$D\""
e2e_check "the callers end on ^C" \
	eval 'e2e_hang_up "$A" 0 && e2e_hang_up "$C" 0 && { [ -z "$E2E_YTALK" ] || e2e_hang_up "$D" 0; }'
e2e_end_case
