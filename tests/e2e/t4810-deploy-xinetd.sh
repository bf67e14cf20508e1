#!/bin/bash
# Seed 000, verbatim: `make install`, then Debian's xinetd with the seed's
# /etc/xinetd.conf and its /etc/xinetd.d/ntalk stanza (user = nobody,
# group = tty, wait = yes, only_from = 127.0.0.0/8) with only `server`
# changed.  A real call works, the journal records it although talkd runs
# as nobody, root's talkctl ingest takes it in, and the callee, logged in
# with su -, sees it with talkctl who-called.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/deploy-lib.sh
. "$(dirname "$0")/deploy-lib.sh"
command -v xinetd >/dev/null || e2e_missing "no xinetd (make deps-test)"
deploy_enter "$@"
e2e_plan 15

J=/var/lib/talkd/journal/journal
e2e_case "make install, then seed 000's xinetd set-up"
e2e_check "make install" deploy_make install
cat >/etc/xinetd.conf <<'CONF'
#
# Simple configuration file for xinetd
#
# Some defaults, and include /etc/xinetd.d/

defaults
{
        instances               = 60
        log_type                = SYSLOG authpriv
        log_on_success          = HOST PID
        log_on_failure          = HOST
        cps                     = 25 30
        only_from               = 192.168.1.0/24 127.0.0.0/8
}

includedir /etc/xinetd.d
CONF
cat >/etc/xinetd.d/ntalk <<'CONF'
# default: off
# description: The ntalk server accepts ntalk connections, for chatting \
#       with users on different systems.
service ntalk
{
        flags                   = IPv4
        disable                 = no
        socket_type             = dgram
        wait                    = yes
        user                    = nobody
        group                   = tty
        server                  = /usr/local/sbin/talkd
        only_from               = 127.0.0.0/8
}
CONF
deploy_bg xinetd -dontfork -f /etc/xinetd.conf
e2e_check "xinetd listens on UDP 518" e2e_wait 10 deploy_listening 518

e2e_case "a call through xinetd"
deploy_call netkit inetutils

e2e_case "the audit trail of a daemon running as nobody:tty"
e2e_check "the journal holds the call" e2e_wait 5 grep -q '"event":"announce.rung"' "$J"
e2e_check "written by nobody (no root to drop)" test "$(stat -c %U "$J")" = nobody
e2e_check "root's talkctl ingest reads it" eval 'talkctl ingest >>"$E2E_DIR/bg.log" 2>&1'
out=$(deploy_su "$B" "talkctl who-called")
echo "$out" | e2e_diag
e2e_check "$B, logged in with su -, sees $A's call with talkctl who-called" grep -q "$A" <<<"$out"
e2e_check "talkctl status names the daemon xinetd started" \
	eval 'talkctl status | grep -Eq "^mode: +inetd, .* as user nobody"'
