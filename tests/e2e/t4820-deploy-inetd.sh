#!/bin/bash
# The README's inetd line, with openbsd-inetd: `make install`, the line
# into /etc/inetd.conf, inetd in the foreground.  A call works, talkd (started
# as root by inetd) runs as the talkd account that make install created,
# and talkctl status says so.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/deploy-lib.sh
. "$(dirname "$0")/deploy-lib.sh"
INETD=$TALKD_BUILD/deps/openbsd-inetd/usr/sbin/inetd
[ -x "$INETD" ] || e2e_missing "no $INETD (make deps-inetd)"
deploy_enter "$@"
e2e_plan 14

line=$(grep -m 1 -E '^ntalk[[:space:]]+dgram[[:space:]]' "$DEPLOY_SRC/README.md")
echo "# the README's line: $line"
e2e_case "make install, the README's inetd line, openbsd-inetd"
e2e_check "make install" deploy_make install
e2e_check "the README has an inetd line for the installed talkd" \
	eval '[[ $line =~ [[:space:]]/usr/local/sbin/talkd[[:space:]]+talkd$ ]]'
echo "$line" >/etc/inetd.conf
deploy_bg "$INETD" -i /etc/inetd.conf
e2e_check "inetd listens on UDP 518" e2e_wait 10 deploy_listening 518

e2e_case "a call through inetd"
deploy_call inetutils netkit

J=/var/lib/talkd/journal/journal
e2e_case "the daemon inetd started"
e2e_check "the journal is the talkd account's" eval 'e2e_wait 5 test -s "$J" && test "$(stat -c %U "$J")" = talkd'
e2e_check "talkctl status: running from inetd as talkd" \
	eval 'talkctl status | grep -Eq "^mode: +inetd, .* as user talkd"'
e2e_check "the journal holds the call" grep -q '"event":"announce.rung"' "$J"
