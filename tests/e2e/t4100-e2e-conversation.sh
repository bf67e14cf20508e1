#!/bin/bash
# A real conversation through talkd, for each client and across them.
#
# For each (caller client, callee client) pair: user A runs `talk B`; B's
# pane shows the daemon's banner; B runs the `talk A@HOST` it gives; both
# sides show "[Connection established]"; a line typed on each side shows on
# the other; Ctrl-C on A ends A's client, B's sees the connection closed
# and ends (netkit on a ^C of its own); both terminals are restored.  The
# journal must hold an announce.rung record for each call
# (e2e_conversation in lib.sh; t4800 does the same with YTalk).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_enter "$@"

PAIRS="netkit:netkit inetutils:inetutils netkit:inetutils inetutils:netkit"
e2e_plan $((1 + 4 * E2E_CONV_STEPS))

e2e_daemon_step
e2e_pairs "$PAIRS"
