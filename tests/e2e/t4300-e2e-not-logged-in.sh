#!/bin/bash
# Calling someone without a session gives "Your party is not logged on".
#
# For each client, A calls: a user who exists but never logged in; a user
# whose only session has ended (tmux wrote a DEAD_PROCESS record for it,
# which must not count as logged in); and a user who does not exist.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"

CALLEES="never ended nosuch"
STEPS=5
e2e_plan $((1 + 2 * (3 * STEPS + 1)))

# A's call to USER is answered NOT_HERE.
not_here() {
	local c=$1 who=$2 callee=$3 p="$1 $2:"
	e2e_case "$c client calls $callee ($who)"
	[ "$who" = "session ended" ] &&
		e2e_check "$p $callee logs in and out (DEAD_PROCESS in utmp)" end_session_of_c
	e2e_check "$p $A is logged in, $callee is not" \
		eval 'e2e_sessions "$A" && ! e2e_logged_in "$callee"'
	e2e_check "$p $A runs talk $callee" e2e_talk "$c" "$A" 0 "$callee"
	e2e_check "$p $A is told its party is not logged on" \
		e2e_see "$A" 0 "[Your party is not logged on]"
	e2e_check "$p $A's client ends (netkit on ^C), terminal restored" e2e_ends_sane "$A" 0
	e2e_check "$p the journal has an announce.refused NOT_HERE record" \
		e2e_journal_has announce.refused 1 NOT_HERE
	e2e_end_case
}

e2e_logged_in() {
	who | awk -v u="$1" '$1 == u { f = 1 } END { exit !f }'
}

# A session of C that has ended: its utmp record is now DEAD_PROCESS.
end_session_of_c() {
	e2e_session "$C" || return 1
	e2e_stop_session "$C"
	utmpdump /run/utmp 2>/dev/null | grep -q "^\[8\] .*\[$C *\]"
}

e2e_daemon_step
for c in $E2E_CLIENTS; do
	for callee in $CALLEES; do
		case $callee in
		never) not_here "$c" "never logged in" "$C" ;;
		ended) not_here "$c" "session ended" "$C" ;;
		nosuch) not_here "$c" "no such user" talke2enone ;;
		esac
	done
done
