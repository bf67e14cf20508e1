#!/bin/bash
# `talk USER TTY` rings that tty, and only if it is one of USER's.
#
# For each client: B has two windows; A's `talk B <B's first tty>` rings
# the first window and not the second, and then the other way round.  Then A names a tty that is not
# B's (A's own): the call is answered "not logged on" and no screen, A's
# included, shows a banner (a daemon that opened /dev/<tty> as asked
# would ring A's own terminal).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"

STEPS=16
e2e_plan $((1 + 2 * STEPS))

line_of() { local t; t=$(e2e_tty "$1" "$2") && echo "${t#/dev/}"; }

# A names B's first tty, then B's second: whichever the daemon would pick
# by itself, one of the two calls must go against that choice.
chosen_tty() {
	local c=$1 p="$1 $B's tty:" w1 line0 line1
	e2e_case "$c client names one of $B's ttys"
	e2e_check "$p $A and $B are logged in, $B twice" \
		eval 'e2e_sessions "$A" "$B" && w1=$(e2e_window "$B") &&
			line0=$(line_of "$B" 0) && line1=$(line_of "$B" "$w1")'
	e2e_check "$p $A runs talk $B $line0" e2e_talk "$c" "$A" 0 "$B" "$line0"
	e2e_check "$p $B's window on $line0 shows the banner" e2e_banner_for "$B" 0 "$A"
	e2e_check "$p $B's window on $line1 shows none" e2e_no_banner "$B" "$w1"
	e2e_check "$p $A's client ends on ^C" e2e_hang_up "$A" 0
	e2e_check "$p $A runs talk $B $line1" e2e_talk "$c" "$A" 0 "$B" "$line1"
	e2e_check "$p $B's window on $line1 shows the banner" e2e_banner_for "$B" "$w1" "$A"
	e2e_check "$p $B's window on $line0 was rung once only" banners_on "$B" 0 1
	e2e_check "$p $A's client ends on ^C" e2e_hang_up "$A" 0
	e2e_check "$p the journal has the rings to $line0 and $line1" \
		eval 'e2e_journal_has announce.rung 1 SUCCESS "\"tty\":\"$line0\"" &&
			e2e_journal_has announce.rung 1 SUCCESS "\"tty\":\"$line1\""'
	e2e_end_case
}

banners_on() { [ "$(e2e_screen "$1" "$2" | grep -c "Message from Talk_Daemon@")" -eq "$3" ]; }

foreign_tty() {
	local c=$1 p="$1 not $B's tty:" line
	e2e_case "$c client names a tty that is not $B's"
	e2e_check "$p $A and $B are logged in" \
		eval 'e2e_sessions "$A" "$B" && line=$(line_of "$A" 0)'
	e2e_check "$p $A runs talk $B $line ($A's own)" e2e_talk "$c" "$A" 0 "$B" "$line"
	e2e_check "$p $A is told its party is not logged on" \
		e2e_see "$A" 0 "[Your party is not logged on]"
	e2e_check "$p no banner on $A's or $B's screen" \
		eval 'e2e_no_banner "$A" 0 && e2e_no_banner "$B" 0'
	e2e_check "$p $A's client ends (netkit on ^C)" e2e_hang_up "$A" 0
	e2e_check "$p the journal has an announce.refused NOT_HERE record" \
		e2e_journal_has announce.refused 1 NOT_HERE
	e2e_end_case
}

e2e_daemon_step
for c in $E2E_CLIENTS; do
	chosen_tty "$c"
	foreign_tty "$c"
done
