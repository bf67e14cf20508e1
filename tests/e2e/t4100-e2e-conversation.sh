#!/bin/bash
# A real conversation through talkd, for each client and across them.
#
# For each (caller client, callee client) pair: user A runs `talk B`; B's
# pane shows the daemon's banner; B runs the `talk A@HOST` it gives; both
# sides show "[Connection established]"; a line typed on each side shows on
# the other; Ctrl-C on A ends A's client, B's sees the connection closed
# and ends (netkit on a ^C of its own); both terminals are restored.  The
# journal must hold an announce.rung record for each call.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"

PAIRS="netkit:netkit inetutils:inetutils netkit:inetutils inetutils:netkit"
STEPS=15
e2e_plan $((1 + 4 * STEPS))

conversation() {
	local ca=$1 cb=$2 n=$3 p="$1->$2:"
	e2e_case "$ca client calls, $cb client answers"
	e2e_check "$p $A and $B are logged in (utmp)" e2e_sessions "$A" "$B"
	e2e_check "$p $A runs talk $B" e2e_talk "$ca" "$A" 0 "$B"
	e2e_check "$p $B's terminal shows the banner" e2e_banner_for "$B" 0 "$A"
	e2e_check "$p $A waits for its party" e2e_see "$A" 0 "[Waiting for your party to respond]"
	echo "# the banner says: talk $(e2e_respond "$B" 0 "$A")"
	e2e_check "$p $B answers with the banner's talk $A@HOST" \
		eval 'e2e_talk "$cb" "$B" 0 "$(e2e_respond "$B" 0 "$A")"'
	e2e_check "$p $A shows [Connection established]" e2e_see "$A" 0 "[Connection established]"
	e2e_check "$p $B shows [Connection established]" e2e_see "$B" 0 "[Connection established]"
	e2e_check "$p $A's line shows on $B's screen" \
		e2e_line_reaches "$A" 0 "$B" 0 "hello from $A $n"
	e2e_check "$p $B's line shows on $A's screen" \
		e2e_line_reaches "$B" 0 "$A" 0 "and back from $B $n"
	e2e_check "$p Ctrl-C ends $A's client" e2e_hang_up "$A" 0
	# inetutils exits when its peer hangs up; netkit says so and waits for ^C.
	e2e_check "$p $B's client sees the connection closed" e2e_see "$B" 0 "[Connection closed"
	e2e_check "$p $B's client exits" e2e_hang_up "$B" 0
	e2e_check "$p $A's terminal is restored" e2e_tty_sane "$A" 0
	e2e_check "$p $B's terminal is restored" e2e_tty_sane "$B" 0
	e2e_check "$p the journal has an announce.rung record" e2e_journal_has announce.rung 1 SUCCESS
	e2e_end_case
}

e2e_daemon_step
n=0
for pair in $PAIRS; do
	n=$((n + 1))
	conversation "${pair%:*}" "${pair#*:}" "$n"
done
