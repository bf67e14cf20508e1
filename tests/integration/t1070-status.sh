#!/bin/bash
# talkd -T prints the effective configuration without starting, and a
# running daemon keeps a status file that talkctl status reads: running,
# the policy in force and its hash, live invitations, the ingest lag; and
# "stopped" once it has exited.
. "$(dirname "$0")/lib.sh"
need_root
plan 18
C=$B/talkctl
export TALKD_JOURNAL=$T/journal TALKD_DB=$T/talkd.db

like "talkd --version" "$("$B/talkd" --version)" '^talkd [0-9]+\.[0-9]+'
like "talkctl --version" "$("$C" --version)" '^talkctl [0-9]+\.[0-9]+'

printf 'allow .* 127.0.0.0/8\n' >"$T/site.acl"
out=$(env -u TALKD_JOURNAL "$B/talkd" -T -S -a "$T/site.acl" --listen 127.0.0.1:5518 --listen 127.0.1.1:5518 --state-dir "$T/st")
like "-T: both listen addresses" "$out" $'\nlisten 127.0.0.1:5518 127.0.1.1:5518\n'
like "-T: the policy source" "$out" $'\npolicy legacy\npolicy-file '"$T/site.acl"$'\n'
like "-T: the policy hash" "$out" $'\npolicy-hash fnv1a64:[0-9a-f]{16}\n'
like "-T: the journal under the state directory" "$out" $'\njournal '"$T/st/journal/journal"$'\n'
like "-T: strict" "$out" $'\nstrict-policy yes\n'
ok "-T changes nothing on disk" test ! -e "$T/st"
printf 'allow .* 127.0.0.0/8\nbogus\n' >"$T/bad.acl"
not_ok "-T with a policy that does not load exits 1" "$B/talkd" -T -a "$T/bad.acl"

not_ok "talkctl status without a status file fails" "$C" status
start_daemon --user nobody -a "$T/site.acl" || exit 1
send invite thor sif >/dev/null
wait_for "$T/status" '^invitations=1$'
out=$("$C" status)
_result $? "talkctl status exits 0 while talkd runs"
like "status: running, with its pid" "$out" "talkd: +running, pid $DPID"
like "status: the policy and its hash, the file on disk" "$out" "hash fnv1a64:[0-9a-f]{16}, loaded [^ ]+ \\(the file on disk\\)"
like "status: one live invitation" "$out" "invitations: +1 live"
"$C" ingest >/dev/null
send invite loki sif >/dev/null
like "status: the ingest lag in bytes" "$("$C" status)" "ingest: +[0-9]+ bytes behind"
stop_daemon
is "running as nobody is logged once, with the fix" "$(grep -c 'running as nobody, .*xinetd: user = root' "$T/daemon.log")" 1
out=$("$C" status --json)
_result $(( $? == 1 ? 0 : 1 )) "talkctl status exits 1 once talkd has stopped"
like "status --json: stopped" "$out" '^\{"daemon":"stopped",'
finish
