#!/bin/bash
# A callee's ~/.talkrc, written from the callee's own shell, decides.
#
# For each client: B makes its home private (chmod 700, which the daemon,
# running as nobody, cannot search) and writes "deny A" to ~/.talkrc; A's
# talk B is refused ("Target machine is too confused to talk to us", the
# clients' text for FAILED), nothing reaches B's screen, and the journal
# has a request.denied record.  B then rewrites the file to "deny .*" and
# "allow A" (the last match wins), and A's next call rings B.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"

STEPS=12
e2e_plan $((1 + 2 * STEPS))

talkrc() {
	local c=$1 p="$1:"
	e2e_case "$c client, $B's ~/.talkrc"
	e2e_check "$p $A and $B are logged in (utmp)" e2e_sessions "$A" "$B"
	e2e_check "$p $B makes its home private and writes 'deny $A' to ~/.talkrc" \
		e2e_sh "$B" 0 "chmod 700 ~ && printf 'deny %s\\n' $A >~/.talkrc"
	e2e_check "$p $A runs talk $B" e2e_talk "$c" "$A" 0 "$B"
	e2e_check "$p $A is refused" \
		e2e_see "$A" 0 "[Target machine is too confused to talk to us]"
	e2e_check "$p nothing reached $B's screen" e2e_no_banner "$B" 0
	e2e_check "$p $A's client ends (netkit on ^C)" e2e_hang_up "$A" 0
	e2e_check "$p the journal has a request.denied record naming the rule" \
		e2e_journal_has request.denied 1 FAILED '"type":"ANNOUNCE"' "\"rule\":\"$(getent passwd "$B" | cut -d: -f6)/.talkrc:1:1\""
	e2e_check "$p $B rewrites ~/.talkrc: 'deny .*', then 'allow $A'" \
		e2e_sh "$B" 0 "printf 'deny .*\\nallow %s\\n' $A >~/.talkrc"
	e2e_check "$p $A runs talk $B again" e2e_talk "$c" "$A" 0 "$B"
	e2e_check "$p $B's terminal shows the banner" e2e_banner_for "$B" 0 "$A"
	e2e_check "$p $A's client ends on ^C" e2e_hang_up "$A" 0
	e2e_check "$p $B removes ~/.talkrc and opens its home again" \
		e2e_sh "$B" 0 "rm ~/.talkrc && chmod 755 ~"
	e2e_end_case
}

e2e_daemon_step
for c in $E2E_CLIENTS; do
	talkrc "$c"
done
