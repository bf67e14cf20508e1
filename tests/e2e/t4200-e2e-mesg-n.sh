#!/bin/bash
# A callee who ran `mesg n` is not rung, and the caller is told so.
#
# For each client: B runs `mesg n` in its pane (its pty loses group write);
# A's `talk B` shows "[Your party is refusing messages]" and exits with its
# terminal restored; nothing reaches B's screen.  Then B has two windows
# and runs mesg n in one of them (the first for netkit, the second for
# inetutils): A's call rings the other one.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"

STEPS=7
STEPS2=6
e2e_plan $((1 + 2 * (STEPS + STEPS2)))

e2e_tty_mode() { stat -c %a "$(e2e_tty "$1" "$2")"; }

refused() {
	local c=$1 p="$1:"
	e2e_case "$c client, callee has mesg n"
	e2e_check "$p $A and $B are logged in (utmp)" e2e_sessions "$A" "$B"
	e2e_check "$p $B runs mesg n and its tty loses group write" \
		e2e_mesg_n "$B" 0
	e2e_check "$p $A runs talk $B" e2e_talk "$c" "$A" 0 "$B"
	e2e_check "$p $A is told its party is refusing messages" \
		e2e_see "$A" 0 "[Your party is refusing messages]"
	e2e_check "$p $A's client ends (netkit on ^C), terminal restored" \
		e2e_ends_sane "$A" 0
	e2e_check "$p nothing was written to $B's terminal" \
		e2e_no_banner "$B" 0
	e2e_check "$p the journal has an announce.refused PERMISSION_DENIED record" \
		e2e_journal_has announce.refused 1 PERMISSION_DENIED
	e2e_end_case
}

e2e_mesg_n() {
	# (mesg exits 1 when messages are now refused)
	e2e_sh "$1" "$2" "{ mesg n || :; }" && [ "$(e2e_tty_mode "$1" "$2")" = 600 ]
}

e2e_daemon_step
# refused_on_one CLIENT WINDOW: B's window WINDOW (0 or 1) has mesg n.
refused_on_one() {
	local c=$1 no=$2 yes=$((1 - $2)) p="$1 two ttys:"
	e2e_case "$c client, callee has mesg n on one of two ttys"
	e2e_check "$p $A and $B are logged in, $B twice" \
		eval 'e2e_sessions "$A" "$B" && [ "$(e2e_window "$B")" = 1 ]'
	e2e_check "$p $B runs mesg n in its window $no" e2e_mesg_n "$B" "$no"
	e2e_check "$p $A runs talk $B" e2e_talk "$c" "$A" 0 "$B"
	e2e_check "$p $B's window $yes shows the banner" e2e_banner_for "$B" "$yes" "$A"
	e2e_check "$p $B's window $no shows none" e2e_no_banner "$B" "$no"
	e2e_check "$p $A's client ends on ^C" e2e_hang_up "$A" 0
	e2e_end_case
}

for c in $E2E_CLIENTS; do
	refused "$c"
done
refused_on_one netkit 0
refused_on_one inetutils 1
