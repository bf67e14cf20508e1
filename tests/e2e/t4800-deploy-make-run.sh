#!/bin/bash
# The README's `make run`, as it is, under a stock Debian hosts file (the
# host name on 127.0.1.1): it listens on loopback only, on 127.0.0.1 and on
# the host name's 127.0.1.1, and the README's conversation works with the
# netkit and the GNU clients, each calling the other (GNU talk sends to the
# host name's address: with 127.0.0.1 alone it hangs at "Checking for
# invitation on caller's machine").
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/deploy-lib.sh
. "$(dirname "$0")/deploy-lib.sh"
e2e_enter "$@"
trap deploy_cleanup EXIT
e2e_plan 28

run_addrs() { ss -Hlun 'sport = :518' | awk '{ print $4 }' | sort | tr '\n' ' '; }

e2e_case "make run"
deploy_bg make -s -C "$DEPLOY_SRC" O="$TALKD_BUILD" run RUN_DIR="$E2E_DIR"
e2e_check "make run listens on UDP 518" e2e_wait 20 deploy_listening 518
echo "# listening on: $(run_addrs)"
e2e_check "on 127.0.0.1 and the host name's 127.0.1.1, nowhere else" \
	test "$(run_addrs)" = "127.0.0.1:518 127.0.1.1:518 "
e2e_check "talkctl status sees it" eval 'TALKD_JOURNAL="$E2E_DIR/journal" "$TALKD_BUILD/talkctl" status >/dev/null'

e2e_case "GNU talk calls, netkit talk answers (talk sif, talk thor)"
deploy_call inetutils netkit plain
e2e_case "netkit talk calls, GNU talk answers with the banner's talk thor@HOST"
deploy_call netkit inetutils
e2e_case "GNU talk both ways (talk sif, talk thor)"
deploy_call inetutils inetutils plain
e2e_check "the journal has the three calls" e2e_wait 5 eval '[ "$(grep -c "\"event\":\"announce.rung\"" "$E2E_DIR/journal")" -ge 3 ]'
