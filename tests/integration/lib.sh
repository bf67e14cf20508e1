# TAP helpers and a private talkd for integration tests (bash).
# Each test: . "$(dirname "$0")/lib.sh"; plan N; ...; finish
set -u
B=${TALKD_BUILD:?run through make (TALKD_BUILD)}
SRC=${TALKD_SRCDIR:?run through make (TALKD_SRCDIR)}
NTALK=$B/tools/ntalk
T=$(mktemp -d /tmp/talkd-it.XXXXXX)
chmod 0755 "$T"
_n=0 _fail=0 _pids=""

_cleanup() {
	local p
	for p in $_pids; do kill "$p" 2>/dev/null; done
	for p in $_pids; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap _cleanup EXIT

plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
_result() {	# _result STATUS DESC
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_n - $2"; else echo "not ok $_n - $2"; _fail=$((_fail + 1)); fi
}
ok() { local d=$1; shift; "$@" >/dev/null 2>&1; _result $? "$d"; }
not_ok() { local d=$1; shift; ! "$@" >/dev/null 2>&1; _result $? "$d"; }
is() {
	[ "$2" = "$3" ]; local r=$?
	_result $r "$1"
	[ $r -eq 0 ] || { echo "#   got:  '$2'"; echo "#   want: '$3'"; }
}
like() {
	[[ $2 =~ $3 ]]; local r=$?
	_result $r "$1"
	[ $r -eq 0 ] || { echo "#   got:  '$2'"; echo "#   want match: '$3'"; }
}
diag() { sed 's/^/# /' "$@"; }
finish() { [ $_fail -eq 0 ]; exit $?; }
need_root() { [ "$(id -u)" -eq 0 ] || skip_all "needs root (ptys, utmp, privilege drop)"; }

# Run a command in the background and remember it for cleanup.
bg() { "$@" & _pids="$_pids $!"; }

# start_daemon [talkd options...]: a daemon on 127.0.0.1:$PORT with its
# files in $T; sets PORT and DPID.  Waits until it answers.
start_daemon() {
	local try i
	for try in 1 2 3 4 5; do
		PORT=$((20000 + RANDOM % 30000))
		"$B/talkd" --foreground --listen 127.0.0.1:$PORT \
		    --journal "$T/journal" --utmp "$T/utmp" "$@" \
		    >>"$T/daemon.log" 2>&1 &
		DPID=$!
		_pids="$_pids $DPID"
		for i in $(seq 1 50); do
			if "$NTALK" -w 100 127.0.0.1:$PORT lookup probe probe >/dev/null 2>&1; then
				return 0
			fi
			kill -0 "$DPID" 2>/dev/null || break
		done
		kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null
	done
	echo "# talkd did not start:"; diag "$T/daemon.log"
	return 1
}
stop_daemon() { kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; }

# send ARGS...: ntalk to the daemon, prints its reply line.
send() { "$NTALK" 127.0.0.1:$PORT "$@"; }
send_from() { local s=$1; shift; "$NTALK" -s "$s" 127.0.0.1:$PORT "$@"; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p; s/^$1=\([^ ]*\).*/\1/p" | head -1; }

# hexname NAME WIDTH: NUL-padded hex of a name field.
hexname() {
	local h
	h=$(printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n')
	while [ ${#h} -lt $(($2 * 2)) ]; do h="${h}00"; done
	printf '%s' "${h:0:$(($2 * 2))}"
}
# pkt VERS TYPE ID ADDR_FAMILY CTL_FAMILY L R [TTY]: 84 bytes as hex.
# addr = 127.0.0.1:4000, ctl_addr = 127.0.0.9:9 (a lie: replies go to the source)
pkt() {
	printf '%02x%02x0000%08x%04x0fa07f0000010000000000000000%04x00097f0000090000000000000000%08x%s%s%s' \
	    "$1" "$2" "$3" "$4" "$5" 4242 "$(hexname "$6" 12)" "$(hexname "$7" 12)" "$(hexname "${8:-}" 16)"
}

# ensure_user NAME: a local account for tests (created once, kept).
ensure_user() {
	getent passwd "$1" >/dev/null || useradd -M -d /nonexistent -s /usr/sbin/nologin "$1" >/dev/null 2>&1
	getent passwd "$1" >/dev/null
}

# hold_tty VAR USER [ptyhold options]: a real pty for USER registered in
# $T/utmp; sets VAR to its line and VAR_out to the file it receives.
hold_tty() {
	local var=$1 user=$2 out line i
	shift 2
	out=$T/tty.$var
	rm -f "$T/line.$var"
	"$B/tools/ptyhold" -u "$user" -U "$T/utmp" -o "$out" "$@" >"$T/line.$var" &
	_pids="$_pids $!"
	for i in $(seq 1 50); do
		[ -s "$T/line.$var" ] && break
		sleep 0.05
	done
	line=$(cat "$T/line.$var")
	printf -v "$var" '%s' "$line"
	printf -v "${var}_out" '%s' "$out"
}

# wait_for FILE REGEX [SECONDS]: until FILE's text matches.
wait_for() {
	local i
	for i in $(seq 1 $((${3:-5} * 20))); do
		grep -qaE "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# wait_count FILE REGEX N [SECONDS]: until REGEX occurs N times in FILE.
wait_count() {
	local i
	for i in $(seq 1 $((${4:-5} * 20))); do
		[ "$(grep -aoE "$2" "$1" 2>/dev/null | wc -l)" -ge "$3" ] && return 0
		sleep 0.05
	done
	return 1
}

# talkrc_users: two local accounts with real homes for the ~/.talkrc
# tests, created once and kept: U (home H, open, 0755) and P (home HP,
# private, 0700, searchable only through the daemon's opener).
talkrc_users() {
	local u
	U=talkpar1 P=talkpar2
	for u in $U $P; do
		getent passwd $u >/dev/null || useradd -m -d /home/$u -s /usr/sbin/nologin $u ||
		    { echo "Bail out! useradd"; exit 1; }
	done
	H=$(getent passwd $U | cut -d: -f6) HP=$(getent passwd $P | cut -d: -f6)
	mkdir -p "$H" "$HP" && chown $U: "$H" && chown $P: "$HP"
	chmod 0755 "$H"; chmod 0700 "$HP"
}
