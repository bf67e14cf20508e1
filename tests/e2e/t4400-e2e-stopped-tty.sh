#!/bin/bash
# A stopped terminal does not stall the daemon.
#
# For each client: B's terminal output is stopped (Ctrl-S in its pane, so
# a write to its pty blocks); C calls B, so the daemon rings a stopped tty,
# and C's client must still get its answer; then, in parallel, C calls A
# from a second window, and A's banner must arrive within a few seconds
# while B's tty is still stopped.  Then Ctrl-Q resumes B.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"

PROMPTLY=5	# seconds: what "promptly" means for the second call
STEPS=11
e2e_plan $((1 + 2 * STEPS))

# e2e_tty_stopped USER WINDOW: a blocking one-byte write to the pane's pty
# does not complete within a second.  Killed, it writes nothing.
e2e_tty_stopped() {
	local tty
	tty=$(e2e_tty "$1" "$2") || return 1
	# (in a group, so bash's "Killed" notice goes to /dev/null too)
	! { timeout -s KILL 1 sh -c 'printf . >"$1"' sh "$tty"; } 2>/dev/null
}

stopped() {
	local c=$1 p="$1:" w2 t0 t1
	e2e_case "$c client, callee's terminal stopped"
	e2e_check "$p $A, $B and $C are logged in (utmp)" e2e_sessions "$A" "$B" "$C"
	e2e_check "$p $C opens a second window" eval 'w2=$(e2e_window "$C")'
	e2e_check "$p Ctrl-S stops $B's terminal" \
		eval 'e2e_keys "$B" 0 C-s && e2e_wait 3 e2e_tty_stopped "$B" 0'
	e2e_check "$p $C runs talk $B" e2e_talk "$c" "$C" 0 "$B"
	e2e_check "$p $C's client is answered though $B's tty is stopped" \
		e2e_see "$C" 0 "[Waiting for your party to respond]" "$PROMPTLY"
	t0=${EPOCHREALTIME//[!0-9]/}
	e2e_check "$p $C runs talk $A in its second window" e2e_talk "$c" "$C" "$w2" "$A"
	e2e_check "$p $A's banner arrives within $PROMPTLY s" \
		e2e_banner_for "$A" 0 "$C" "$PROMPTLY"
	t1=${EPOCHREALTIME//[!0-9]/}
	echo "# the second call rang in $(((t1 - t0) / 1000)) ms (from typing talk $A)"
	e2e_check "$p $B's tty was stopped all along (nothing shown yet)" \
		eval 'e2e_tty_stopped "$B" 0 && e2e_no_banner "$B" 0'
	e2e_check "$p Ctrl-Q resumes $B's terminal" \
		eval 'e2e_keys "$B" 0 C-q && ! e2e_tty_stopped "$B" 0'
	if e2e_see "$B" 0 "Talk_Daemon" 3 >/dev/null; then
		echo "# $B's banner was delivered after Ctrl-Q"
	else
		echo "# $B's banner was not delivered after Ctrl-Q (dropped after the ring timeout)"
	fi
	e2e_check "$p both of $C's clients end" \
		eval 'e2e_hang_up "$C" 0 && e2e_hang_up "$C" "$w2"'
	e2e_check "$p talkd is still running" kill -0 "$E2E_DAEMON_PID"
	e2e_end_case
}

e2e_daemon_step
for c in $E2E_CLIENTS; do
	stopped "$c"
done
