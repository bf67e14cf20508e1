#!/bin/bash
# The Debian package: dpkg-buildpackage -b -us -uc builds it from a copy of
# the checkout, lintian finds nothing, dpkg -i installs it (under overlays
# on /etc, /usr and /var: the machine's dpkg database is not touched), a
# call works through socket activation as talkd.socket would do it, the
# callee (su -) sees it with talkctl who-called, and dpkg --purge leaves
# nothing behind: no file, no account, no state, no statoverride.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/deploy-lib.sh
. "$(dirname "$0")/deploy-lib.sh"
for c in dpkg-buildpackage dh lintian systemd-socket-activate; do
	command -v "$c" >/dev/null || e2e_missing "no $c (make deps-test)"
done
deploy_enter "$@"
e2e_plan 22

V=$(dpkg-parsechangelog -l "$DEPLOY_SRC/debian/changelog" -S Version)
S=$E2E_DIR/src/talkd-$V
DEB=$E2E_DIR/src/talkd_${V}_$(dpkg --print-architecture).deb

e2e_case "build"
mkdir -p "$S"
if git -C "$DEPLOY_SRC" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$DEPLOY_SRC" && git ls-files -co --exclude-standard | grep -v -e '^build' -e '^run/' | tar -cf - -T -) | tar -xf - -C "$S"
else
	(cd "$DEPLOY_SRC" && tar --exclude=./build\* --exclude=./run -cf - .) | tar -xf - -C "$S"
fi
e2e_check "dpkg-buildpackage -b -us -uc" \
	eval '(cd "$S" && dpkg-buildpackage -b -us -uc -j2 >"$E2E_DIR/build.log" 2>&1) || { tail -30 "$E2E_DIR/build.log" | e2e_diag; false; }'
lintian --tag-display-limit 0 "$E2E_DIR/src/talkd_${V}_"*.changes >"$E2E_DIR/lintian.log" 2>&1
e2e_diag <"$E2E_DIR/lintian.log"
e2e_check "lintian: no errors, no warnings" eval '! grep -qE "^[EW]: " "$E2E_DIR/lintian.log"'

e2e_case "install"
e2e_check "dpkg -i" eval 'dpkg -i "$DEB" >"$E2E_DIR/dpkg.log" 2>&1 || { e2e_diag <"$E2E_DIR/dpkg.log"; false; }'
dpkg -L talkd >"$E2E_DIR/files"
e2e_check "the account talkd" eval "getent passwd talkd >/dev/null"
e2e_check "/var/lib/talkd and its journal folder" \
	eval '[ "$(stat -c "%a %U %G" /var/lib/talkd)" = "2755 root talkd" ] && [ "$(stat -c "%a %U %G" /var/lib/talkd/journal)" = "1771 talkd tty" ]'
e2e_check "talkctl on users' PATH, setgid talkd" test "$(stat -c '%a %G' /usr/bin/talkctl)" = "2755 talkd"
e2e_check "talkd.socket and the timers are enabled" \
	eval 'test -L /etc/systemd/system/sockets.target.wants/talkd.socket && test -L /etc/systemd/system/timers.target.wants/talkd-prune.timer'
e2e_check "man talkd finds the page" eval 'man -w talkd | grep -q "^/usr/share/man/man8/talkd.8"'

e2e_case "a call, socket-activated as talkd.socket does"
deploy_bg systemd-socket-activate --datagram -l 0.0.0.0:518 /usr/sbin/talkd
e2e_check "the socket is up" e2e_wait 10 deploy_listening 518
deploy_call netkit netkit
e2e_check "talkctl status: systemd mode, user talkd" \
	eval 'talkctl status | grep -Eq "^mode: +systemd, .* as user talkd"'
talkctl ingest >/dev/null
e2e_check "$B sees the call with talkctl who-called (su -)" \
	eval 'deploy_su "$B" "talkctl who-called" | grep -q "$A"'
deploy_stop "${DEPLOY_PIDS[@]}"
DEPLOY_PIDS=()

e2e_case "purge"
e2e_check "dpkg --purge" eval 'dpkg --purge talkd >>"$E2E_DIR/dpkg.log" 2>&1 || { e2e_diag <"$E2E_DIR/dpkg.log"; false; }'
left=$(while read -r f; do [ "$f" = /. ] || [ ! -e "$f" ] || [ -d "$f" ] || echo "$f"; done <"$E2E_DIR/files")
echo "$left" | e2e_diag
e2e_check "no file of the package is left" test -z "$left"
e2e_check "no /var/lib/talkd, no /etc/talkd, no account, no statoverride" \
	eval '[ ! -e /var/lib/talkd ] && [ ! -e /etc/talkd ] && ! getent passwd talkd && ! getent group talkd && ! dpkg-statoverride --list /usr/bin/talkctl'
