#!/bin/bash
# The ground the other e2e tests stand on, checked step by step, so that a
# broken setup is reported as such and not as a daemon bug: a pane's pty
# belongs to its user, group tty, mode 0620; tmux's pane is a real
# USER_PROCESS entry in the private utmp (`who` shows it); the host name
# is on 127.0.1.1 (lib.sh); and talkd, started as root, listens on UDP 518, answers a raw
# LOOK_UP from 127.0.0.1 and from 127.0.1.1 with the reply coming from the
# address asked (the netkit client's connected socket needs that), and runs
# as nobody in group tty without root.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"

e2e_plan 8

pty_of_a() {
	local tty
	tty=$(e2e_tty "$A" 0) &&
		[ "$(stat -c '%U:%G:%a' "$tty")" = "$A:tty:620" ]
}

utmp_of_a() {
	local line
	line=$(e2e_tty "$A" 0) && line=${line#/dev/}
	e2e_in_utmp "$A" "$line" &&
		utmpdump /run/utmp 2>/dev/null | grep -q "^\[7\] .*\[$A *\] \[$line *\]"
}

host_addr() {
	[ "$(getent hosts "$(hostname)" | awk '{ print $1 }')" = "$E2E_HOST_ADDR" ]
}

# A raw LOOK_UP to ADDR is answered NOT_HERE (tests/tools/ntalk connects
# its socket, so a reply from another address would not be seen).
lookup_at() {
	local out
	out=$("$TALKD_BUILD/tools/ntalk" -w 2000 "$1:518" lookup nobody1 nobody2) &&
		[[ $out == *"type=LOOK_UP answer=NOT_HERE"* ]] ||
		{ echo "# ntalk, its socket connected to $1:518, got: $out" \
			"(the journal below tells whether talkd answered)"; return 1; }
}

# Real, effective, saved and file-system ids, and the groups.
daemon_ids() {
	local tty st
	tty=$(getent group tty | cut -d: -f3)
	st=$(cat "/proc/$E2E_DAEMON_PID/status") || return 1
	grep -qE "^Uid:\s+65534\s+65534\s+65534\s+65534$" <<<"$st" &&
		grep -qE "^Gid:\s+$tty\s+$tty\s+$tty\s+$tty$" <<<"$st" &&
		grep -qE "^Groups:\s+$tty\s*$" <<<"$st" ||
		{ grep -E '^(Uid|Gid|Groups):' <<<"$st" | e2e_diag; return 1; }
}

e2e_case "a test user's session"
e2e_check "$A's tmux pane is at a prompt, registered in utmp" e2e_sessions "$A"
e2e_check "the pane's pty is $A:tty, mode 0620" pty_of_a
e2e_check "who and utmpdump show $A's USER_PROCESS entry" utmp_of_a
e2e_case "the network namespace"
e2e_check "the host name $(hostname) is $E2E_HOST_ADDR" host_addr
e2e_daemon_step
e2e_case "replies"
e2e_check "talkd answers a LOOK_UP sent to 127.0.0.1 from there" lookup_at 127.0.0.1
e2e_case "replies"
e2e_check "talkd answers a LOOK_UP sent to 127.0.1.1 from there (netkit sends to the host name)" lookup_at 127.0.1.1
e2e_case "privileges"
e2e_check "talkd runs as nobody, group tty only" daemon_ids
