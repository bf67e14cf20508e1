# tests/e2e/deploy-lib.sh -- for the t48*-deploy-*.sh scripts (sourced
# after lib.sh, whose namespaces, users, tmux sessions and clients they
# use).  It installs for real into the namespace: overlay mounts on /etc,
# /usr and /var make every write land in the test folder, so that
# `make install`, dpkg, useradd and the super-servers change nothing on
# the test machine.
#
# deploy_enter "$@": e2e_enter, then the overlays, then the things that
# e2e_setup_ns had bound under /etc and /var again (the stock hosts file
# with the host name on 127.0.1.1, the private wtmp).

DEPLOY_PIDS=()		# processes to stop (by pid) before the overlays go
DEPLOY_SRC=${TALKD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}

deploy_enter() {
	e2e_enter "$@"
	trap deploy_cleanup EXIT
	deploy_overlays || { echo "Bail out! cannot mount the overlays"; exit 1; }
}

deploy_overlays() {
	local d
	mkdir -p "$E2E_DIR/ov" || return 1
	for d in etc usr var; do
		mkdir -p "$E2E_DIR/ov/$d.up" "$E2E_DIR/ov/$d.work" &&
			mount -t overlay "deploy-$d" \
				-o "lowerdir=/$d,upperdir=$E2E_DIR/ov/$d.up,workdir=$E2E_DIR/ov/$d.work" "/$d" ||
			return 1
	done
	mount --bind "$E2E_DIR/hosts" /etc/hosts || return 1
	if [ -f "$E2E_DIR/wtmp" ]; then
		mount --bind "$E2E_DIR/wtmp" /var/log/wtmp || return 1
	fi
	if [ -d /var/run ] && [ ! -L /var/run ]; then
		mount --bind /run /var/run || return 1
	fi
	return 0
}

# deploy_bg COMMAND...: start a daemon of the test (stopped by pid at exit).
deploy_bg() {
	"$@" >>"$E2E_DIR/bg.log" 2>&1 &
	DEPLOY_PIDS+=($!)
}

deploy_stop() { e2e_stop_pids "$@"; }

deploy_cleanup() {
	local rc=$? u m
	trap - EXIT
	for u in "${E2E_SERVERS[@]}"; do
		e2e_stop_session "$u"
	done
	# With the super-servers go the daemons they started (their children).
	for m in "${DEPLOY_PIDS[@]}"; do
		deploy_stop "$m" $(pgrep -P "$m" 2>/dev/null)
	done
	for m in /var/log/wtmp /var/run /etc/hosts /var /usr /etc; do
		mountpoint -q "$m" && umount -l "$m"
	done
	(exit "$rc")
	e2e_cleanup
}

# deploy_make TARGET [VAR=VALUE...]: the checkout's Makefile, with the
# test's build folder.
deploy_make() {
	make -s -C "$DEPLOY_SRC" O="$TALKD_BUILD" "$@"
}

# deploy_su USER COMMAND: a login shell of USER runs COMMAND, as a user
# who logged in does (su -; runuser with a group option would set the real gid); stdout and stderr.
deploy_su() { su - "$1" -c "$2" </dev/null 2>&1; }

# deploy_listening PORT: something listens on UDP PORT.
deploy_listening() { ss -Hlun "sport = :$1" | grep -q .; }

# deploy_call CALLER_CLIENT CALLEE_CLIENT [plain]: the README's
# conversation, A calls B, B answers with the banner's talk A@HOST (plain:
# with talk A, as the README's two-terminal example does), a line each
# way, both hang up.  One TAP step per stage; the case stops at the first
# failure.  8 steps.
deploy_call() {
	local ca=$1 cb=$2 p="$1->$2:"
	e2e_check "$p $A and $B are logged in (utmp)" e2e_sessions "$A" "$B"
	e2e_check "$p $A runs talk $B" e2e_talk "$ca" "$A" 0 "$B"
	e2e_check "$p $B's terminal shows the banner" e2e_banner_for "$B" 0 "$A"
	if [ "${3:-}" = plain ]; then
		e2e_check "$p $B answers with talk $A" e2e_talk "$cb" "$B" 0 "$A"
	else
		e2e_check "$p $B answers with the banner's talk $A@HOST" \
			eval 'e2e_talk "$cb" "$B" 0 "$(e2e_respond "$B" 0 "$A")"'
	fi
	e2e_check "$p both show [Connection established]" \
		eval 'e2e_see "$A" 0 "[Connection established]" && e2e_see "$B" 0 "[Connection established]"'
	e2e_check "$p a line from $A reaches $B" e2e_line_reaches "$A" 0 "$B" 0 "hello from $A"
	e2e_check "$p a line from $B reaches $A" e2e_line_reaches "$B" 0 "$A" 0 "and back from $B"
	e2e_check "$p both hang up" eval 'e2e_hang_up "$A" 0 && e2e_hang_up "$B" 0'
	e2e_end_case
}
