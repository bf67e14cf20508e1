#!/bin/bash
# make install / make uninstall for real (overlays on /etc, /usr, /var):
# what is installed where, with which owner and mode; the units pass
# systemd-analyze verify; paths in units, man pages and README agree;
# talkctl acl compile works before the daemon ever ran; users logged in
# with su - run talkctl who-called, simulate and acl check; logrotate
# rotates the journal as talkd expects; an edited file survives both a
# second install and uninstall, which removes everything else it added.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/deploy-lib.sh
. "$(dirname "$0")/deploy-lib.sh"
deploy_enter "$@"
e2e_plan 31

U=/usr/local/lib/systemd/system
snapshot() {
	find /usr/local /etc /var/lib /var/log -xdev \( -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/log/apt \) -prune -o -print 2>/dev/null |
		grep -v -e '^/etc/hosts$' -e '^/etc/mtab$' -e '^/var/log/wtmp$' | sort
}
mode() { stat -c '%a %U %G' "$1"; }

e2e_case "make install"
snapshot >"$E2E_DIR/before"
e2e_check "make install" deploy_make install
e2e_check "talkd in /usr/local/sbin" test -x /usr/local/sbin/talkd
e2e_check "talkctl in /usr/local/bin, setgid talkd" test "$(mode /usr/local/bin/talkctl)" = "2755 root talkd"
e2e_check "the account talkd, a system account without a shell" \
	eval '[ "$(getent passwd talkd | cut -d: -f7)" = /usr/sbin/nologin ] && [ "$(id -u talkd)" -lt 1000 ]'
e2e_check "/var/lib/talkd: root's, group talkd, 2755" test "$(mode /var/lib/talkd)" = "2755 root talkd"
e2e_check "/var/lib/talkd/journal: talkd's, group tty, 1771" test "$(mode /var/lib/talkd/journal)" = "1771 talkd tty"
e2e_check "units, sysusers, tmpfiles, logrotate, completion, examples" \
	eval 'for f in $U/talkd.socket $U/talkd.service $U/talkd-ingest.timer $U/talkd-prune.timer \
		/usr/local/lib/sysusers.d/talkd.conf /usr/local/lib/tmpfiles.d/talkd.conf /etc/logrotate.d/talkd \
		/usr/local/share/bash-completion/completions/talkctl /usr/local/share/man/man8/talkd.8 \
		/usr/local/share/doc/talkd/examples/xinetd.ntalk; do test -f $f || { echo "# missing $f"; exit 1; }; done'
echo "# systemd-analyze verify:"
systemd-analyze verify $U/talkd.socket $U/talkd.service $U/talkd-ingest.timer $U/talkd-prune.timer \
	$U/talkd-ingest.service $U/talkd-prune.service >"$E2E_DIR/verify" 2>&1
vrc=$?
e2e_diag <"$E2E_DIR/verify"
e2e_check "systemd-analyze verify passes on the installed units" test "$vrc" = 0
e2e_check "talkd.service is hardened: systemd-analyze security exposure 5.0 or less" \
	systemd-analyze security --offline=true --threshold=50 $U/talkd.service
e2e_check "the units run the installed binaries" \
	eval 'grep -q "^ExecStart=/usr/local/sbin/talkd$" $U/talkd.service && grep -q "^ExecStart=/usr/local/bin/talkctl prune" $U/talkd-prune.service'
e2e_check "systemd-sysusers takes the sysusers.d entry" systemd-sysusers /usr/local/lib/sysusers.d/talkd.conf
rmdir /var/lib/talkd/journal
e2e_check "systemd-tmpfiles makes the journal folder as install does" \
	eval 'systemd-tmpfiles --create /usr/local/lib/tmpfiles.d/talkd.conf && [ "$(mode /var/lib/talkd/journal)" = "1771 talkd tty" ] && [ "$(mode /var/lib/talkd)" = "2755 root talkd" ]'
e2e_check "talkd -T: the installed paths" \
	eval 'talkd -T | grep -qx "journal /var/lib/talkd/journal/journal" && talkd -T | grep -qx "user talkd"'
e2e_check "the man pages name the installed paths" \
	eval '! grep -n "/usr/local/sbin/talkctl\|sbin/talkctl" /usr/local/share/man/man8/*.8'

e2e_case "before the daemon ever ran"
printf 'version: 1\nsite:\n  - { id: local, action: allow, user: ".*", from: [127.0.0.0/8] }\n' >/etc/talkd/policy.yaml
e2e_check "talkctl acl compile on a fresh install" talkctl acl compile /etc/talkd/policy.yaml
e2e_check "the cache: root's, not writable by the daemon" test "$(stat -c '%U %a' /var/lib/talkd/acl.cache)" = "root 644"

e2e_case "users' own commands, logged in with su -"
home=$(getent passwd "$A" | cut -d: -f6)
out=$(deploy_su "$A" "talkctl --version")
e2e_check "talkctl is on a user's PATH" grep -q "^talkctl " <<<"$out"
out=$(deploy_su "$A" "talkctl simulate $A 127.0.0.1 --caller $B"); rc=$?
echo "$out" | e2e_diag
e2e_check "talkctl simulate \$USER HOST: allowed" test "$rc" = 0
out=$(deploy_su "$A" "printf 'deny $B\n' >~/.talkrc && chmod 644 ~/.talkrc && talkctl acl check ~/.talkrc"); rc=$?
echo "$out" | e2e_diag
e2e_check "talkctl acl check ~/.talkrc" test "$rc" = 0
out=$(deploy_su "$A" "talkctl simulate $A 127.0.0.1 --caller $B"); rc=$?
echo "$out" | e2e_diag
e2e_check "simulate reads the user's new ~/.talkrc: denied" test "$rc" = 1
rm -f "$home/.talkrc"
# A journal with one call to A, ingested by root as the timer does.
printf '{"v":1,"run":"0123456789abcdef","seq":1,"ts":"2026-11-28T04:00:00.000000Z","event":"announce.rung","type":"ANNOUNCE","caller":"%s","callee":"%s","src":"127.0.0.1:4000","tty":"pts/9","id":1,"answer":"SUCCESS"}\n' "$B" "$A" >/var/lib/talkd/journal/journal
chown talkd:tty /var/lib/talkd/journal/journal
out=$(deploy_su "$A" "talkctl who-called"); rc=$?
echo "$out" | e2e_diag
e2e_check "who-called before any ingest: says root's ingest makes the database" eval '[ $rc != 0 ] && grep -q "no audit database yet: root.s \"talkctl ingest\"" <<<"$out"'
e2e_check "root's talkctl ingest" eval 'talkctl ingest >/dev/null'
out=$(deploy_su "$A" "talkctl who-called"); rc=$?
echo "$out" | e2e_diag
e2e_check "who-called as the callee shows the call" eval '[ $rc = 0 ] && grep -q "$B" <<<"$out"'
out=$(deploy_su "$B" "talkctl who-called $A"); rc=$?
echo "$out" | e2e_diag
e2e_check "who-called about someone else: refused, saying why" eval '[ $rc = 1 ] && [ -n "$out" ]'

e2e_case "logrotate"
e2e_check "logrotate -f rotates the journal by rename, creates nothing" \
	eval 'logrotate -f -s "$E2E_DIR/lr.state" /etc/logrotate.d/talkd && test -s /var/lib/talkd/journal/journal.1 && test ! -e /var/lib/talkd/journal/journal'
e2e_check "ingest after the rotation: nothing new, nothing lost" \
	eval 'talkctl ingest | grep -q "^ingest: 0 new records"'

e2e_case "an edited file, a second install, uninstall"
echo "# admin's note" >>/etc/logrotate.d/talkd
e2e_check "make install again" deploy_make install
e2e_check "the edited logrotate file is kept" grep -q "admin's note" /etc/logrotate.d/talkd
# The admin's data goes first (uninstall keeps it), then uninstall.
rm -rf /var/lib/talkd/acl.cache /var/lib/talkd/talkd.db* /var/lib/talkd/journal/* /etc/talkd/policy.yaml
e2e_check "make uninstall" deploy_make uninstall
e2e_check "the edited file is still there" grep -q "admin's note" /etc/logrotate.d/talkd
rm -f /etc/logrotate.d/talkd
snapshot >"$E2E_DIR/after"
diff "$E2E_DIR/before" "$E2E_DIR/after" | e2e_diag
e2e_check "uninstall removed everything else install added, the account too" \
	eval 'cmp -s "$E2E_DIR/before" "$E2E_DIR/after" && ! getent passwd talkd >/dev/null && ! getent group talkd >/dev/null'
