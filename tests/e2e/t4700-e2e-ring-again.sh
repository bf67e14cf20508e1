#!/bin/bash
# A caller left unanswered rings again after 30 s, and the daemon re-rings.
#
# Both clients re-announce every 30 s with the id the daemon gave them plus
# one; a daemon must take that as a new ring (SPEC 2: ids small and
# increasing), not as a duplicate.  A calls B with netkit while C calls B
# with inetutils, at the same time (so the 30 s wait is paid once); each
# caller must show "[Ringing your party again]", B's terminal must show two
# banners from each, and the journal two announce.rerung records.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"

e2e_plan 11
RING_WAIT=40	# seconds: the clients' 30 s, and some

banners_from() {
	[ "$(e2e_screen "$1" "$2" | grep -c "^talk: connection requested by $3@")" -ge "$4" ]
}

e2e_daemon_step
e2e_case "netkit and inetutils callers left unanswered"
e2e_check "$A, $B and $C are logged in (utmp)" e2e_sessions "$A" "$B" "$C"
e2e_check "$A runs netkit talk $B" e2e_talk netkit "$A" 0 "$B"
e2e_check "$C runs inetutils talk $B" e2e_talk inetutils "$C" 0 "$B"
e2e_check "$B's terminal shows a banner from each" \
	eval 'e2e_banner_for "$B" 0 "$A" && e2e_banner_for "$B" 0 "$C"'
e2e_check "netkit rings again" e2e_see "$A" 0 "[Ringing your party again]" "$RING_WAIT"
e2e_check "inetutils rings again" e2e_see "$C" 0 "[Ringing your party again]" "$RING_WAIT"
e2e_check "$B's terminal shows a second banner from $A" e2e_wait 5 banners_from "$B" 0 "$A" 2
e2e_check "$B's terminal shows a second banner from $C" e2e_wait 5 banners_from "$B" 0 "$C" 2
e2e_check "the journal has two announce.rerung records" \
	e2e_journal_has announce.rerung 2 SUCCESS
e2e_check "both callers end on ^C" eval 'e2e_hang_up "$A" 0 && e2e_hang_up "$C" 0'
e2e_end_case
