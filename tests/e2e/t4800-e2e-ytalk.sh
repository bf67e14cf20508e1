#!/bin/bash
# YTalk, the client seed 000 recommends, through talkd.
#
# YTalk is not packaged by Debian 12: make builds the unmodified 3.3.0
# release from ../shared/clients/ into the build folder, or YTALK= names
# one; without either every case skips, saying why.
#
# - Two users with YTalk, and YTalk against netkit and GNU talk both ways
#   (e2e_conversation in lib.sh: banner, answer, lines both ways, hang-up).
# - Three users: A and B talk; A adds C from the Esc menu; C is rung and
#   answers; B is asked "Import C?" and accepts; B's YTalk then invites C
#   through the daemons without an announce (an invitation left, looked up
#   and deleted, no ring); a line from each reaches the other two.
# - Auto-invite: YTalk leaves a "+AUTO" invitation at its own daemon
#   pointing at a port of its own; while A's YTalk waits for B, C's `ytalk
#   A` looks that up first (as caller "+AUTO") and, finding it, asks A's
#   YTalk "Talk to C@HOST?" instead of ringing A's terminal.
# - Seed 000's `alias talk='ytalk -x'`: B types the banner's "talk A@HOST"
#   under it.  YTalk 3.3.0 has no -x (3.1's "no X11 windows"): it prints
#   its usage and exits before sending anything.  Under `alias talk=ytalk`
#   the same line connects.
# The host name is on 127.0.0.1 here, not on 127.0.1.1: YTalk checks that
# a peer connects from the address it expects, and on 127.0.1.1 a local
# peer connects from 127.0.0.1 (netkit) or 127.0.1.1 (GNU), so YTalk shows
# "Connection from unexpected host!" and drops the next key (README).  The
# re-ring of an unanswered YTalk call is in t4700; two hosts in t4900.
E2E_HOST_ADDR=127.0.0.1
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"

PAIRS="ytalk:ytalk ytalk:netkit netkit:ytalk ytalk:inetutils inetutils:ytalk"
THREE=18
ALIAS=10
AUTO=9
e2e_need_ytalk || e2e_skip_all "$E2E_YTALK_WHY"
e2e_plan $((1 + 5 * E2E_CONV_STEPS + THREE + AUTO + ALIAS))

# The banner of the window lists the peers; a window "= USER@" per peer.
y_with() { e2e_see "$1" 0 "= $2@"; }

# YTalk's Esc menu: a(dd) USER.
y_add() {
	e2e_keys "$1" 0 Escape && e2e_see "$1" 0 "Main Menu" &&
		e2e_keys "$1" 0 a && e2e_see "$1" 0 "Add Which User?" &&
		e2e_type "$1" 0 "$2"
}

# A journal record with CALLER and CALLEE of EVENT.
y_record() {
	e2e_journal_count "$1" 1 SUCCESS "\"caller\":\"$2\",\"callee\":\"$3\""
}

three() {
	local p="three users:"
	e2e_case "YTalk, three users"
	e2e_check "$p $A, $B and $C are logged in (utmp)" e2e_sessions "$A" "$B" "$C"
	e2e_check "$p $A runs ytalk $B" e2e_talk ytalk "$A" 0 "$B"
	e2e_check "$p $B's terminal shows the banner" e2e_banner_for "$B" 0 "$A"
	e2e_check "$p $B answers with the banner's talk $A@HOST" \
		eval 'e2e_talk ytalk "$B" 0 "$(e2e_respond "$B" 0 "$A")"'
	e2e_check "$p $A and $B are connected" eval 'y_with "$A" "$B" && y_with "$B" "$A"'
	e2e_check "$p $A adds $C from the Esc menu" y_add "$A" "$C"
	e2e_check "$p $C's terminal shows the banner" e2e_banner_for "$C" 0 "$A"
	e2e_check "$p $C answers with the banner's talk $A@HOST" \
		eval 'e2e_talk ytalk "$C" 0 "$(e2e_respond "$C" 0 "$A")"'
	e2e_check "$p $A and $C are connected" eval 'y_with "$A" "$C" && y_with "$C" "$A"'
	e2e_check "$p $B is asked to import $C" e2e_see "$B" 0 "Import $C@"
	e2e_check "$p $B accepts, $B and $C are connected" \
		eval 'e2e_keys "$B" 0 y && y_with "$B" "$C" && y_with "$C" "$B"'
	e2e_check "$p the daemon kept $B's invitation for $C and $C looked it up" \
		eval 'e2e_wait 5 y_record invite.left "$B" "$C" && e2e_wait 5 y_record lookup.hit "$C" "$B"'
	e2e_check "$p without an announce from $B to $C (the import does not ring)" \
		eval '! e2e_journal_count announce.rung 1 SUCCESS "\"caller\":\"$B\",\"callee\":\"$C\""'
	e2e_check "$p $A's line reaches $B and $C" \
		eval 'e2e_type "$A" 0 "one from $A" && e2e_see "$B" 0 "one from $A" && e2e_see "$C" 0 "one from $A"'
	e2e_check "$p $B's line reaches $A and $C" \
		eval 'e2e_type "$B" 0 "two from $B" && e2e_see "$A" 0 "two from $B" && e2e_see "$C" 0 "two from $B"'
	e2e_check "$p $C's line reaches $A and $B" \
		eval 'e2e_type "$C" 0 "three from $C" && e2e_see "$A" 0 "three from $C" && e2e_see "$B" 0 "three from $C"'
	e2e_check "$p Ctrl-C ends the three clients" \
		eval 'e2e_hang_up "$A" 0 && e2e_hang_up "$B" 0 && e2e_hang_up "$C" 0'
	e2e_check "$p the three terminals are restored" \
		eval 'e2e_tty_sane "$A" 0 && e2e_tty_sane "$B" 0 && e2e_tty_sane "$C" 0'
	e2e_end_case
}

auto_invite() {
	local p="auto-invite:"
	e2e_case "YTalk's +AUTO invitation"
	e2e_check "$p $A, $B and $C are logged in (utmp)" e2e_sessions "$A" "$B" "$C"
	e2e_check "$p $A runs ytalk $B, $B does not answer" \
		eval 'e2e_talk ytalk "$A" 0 "$B" && e2e_banner_for "$B" 0 "$A"'
	e2e_check "$p the daemon keeps $A's +AUTO invitation" \
		e2e_journal_has invite.left 1 SUCCESS "\"caller\":\"$A\",\"callee\":\"+AUTO\""
	e2e_check "$p $C runs ytalk $A" e2e_talk ytalk "$C" 0 "$A"
	e2e_check "$p $A's YTalk asks: Talk to $C@HOST?" e2e_see "$A" 0 "Talk to $C@"
	e2e_check "$p the daemon found it for $C's +AUTO look-up" \
		e2e_journal_has lookup.hit 1 SUCCESS "\"caller\":\"+AUTO\",\"callee\":\"$A\""
	e2e_check "$p $A answers y: $A and $C are connected" \
		eval 'e2e_keys "$A" 0 y && y_with "$A" "$C" && y_with "$C" "$A"'
	e2e_check "$p the daemon never rang $A" \
		eval '! e2e_journal_count announce.rung 1 SUCCESS "\"callee\":\"$A\""'
	e2e_check "$p Ctrl-C ends the clients" eval 'e2e_hang_up "$A" 0 && e2e_hang_up "$C" 0'
	e2e_end_case
}

seed_alias() {
	local p="alias talk='ytalk -x':" resp
	e2e_case "seed 000's alias talk='ytalk -x'"
	e2e_check "$p $A and $B are logged in (utmp)" e2e_sessions "$A" "$B"
	e2e_check "$p $B sets the alias" e2e_sh "$B" 0 "alias talk='$(e2e_client ytalk) -x'"
	e2e_check "$p $A runs ytalk $B" e2e_talk ytalk "$A" 0 "$B"
	e2e_check "$p $B's terminal shows the banner" \
		eval 'e2e_banner_for "$B" 0 "$A" && resp=$(e2e_respond "$B" 0 "$A")'
	e2e_check "$p $B types the banner's talk $A@HOST: YTalk 3.3.0 prints its usage, exits 1" \
		eval 'e2e_run "$B" 0 ytalk "talk $resp" && e2e_client_done "$B" 0 &&
			e2e_screen_has "$B" 0 "Usage:" && e2e_screen_has "$B" 0 "e2e[${E2E_NEXT_PROMPT[$B:0]}:1]"'
	e2e_check "$p nothing reached the daemon from $B (not even YTalk's probe)" \
		eval '! e2e_journal_count lookup.miss 1 NOT_HERE "\"caller\":\"$B\"" &&
			! e2e_journal_count lookup.hit 1 SUCCESS "\"caller\":\"$B\""'
	e2e_check "$p under alias talk=ytalk the same line connects" \
		eval 'e2e_sh "$B" 0 "alias talk='\''$(e2e_client ytalk)'\''" &&
			e2e_run "$B" 0 ytalk "talk $resp" && y_with "$B" "$A" && y_with "$A" "$B"'
	e2e_check "$p $B's line shows on $A's screen" \
		e2e_line_reaches "$B" 0 "$A" 0 "aliased hello from $B"
	e2e_check "$p Ctrl-C ends both clients" eval 'e2e_hang_up "$A" 0 && e2e_hang_up "$B" 0'
	e2e_check "$p both terminals are restored" eval 'e2e_tty_sane "$A" 0 && e2e_tty_sane "$B" 0'
	e2e_end_case
}

e2e_daemon_step
e2e_pairs "$PAIRS"
three
auto_invite
seed_alias
