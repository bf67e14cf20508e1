# tests/e2e/lib.sh -- harness for the end-to-end tests (sourced, not run).
#
# Each tests/e2e/t4*.sh drives the real Debian talk clients (netkit's
# netkit-ntalk and GNU inetutils-talk) against build/talkd, in tmux panes
# with real ptys and real utmp entries, and prints TAP.
#
# Isolation.  The clients always talk to UDP port 518, so every script
# re-executes itself under `unshare --net --mount` (e2e_enter) and, inside:
#   - brings up lo: the private net namespace has only loopback, which
#     covers all of 127.0.0.0/8 (netkit sends from 127.0.0.1, inetutils from
#     the address of the host name, often 127.0.1.1);
#   - mounts a tmpfs on /run holding an empty utmp (0664 root:utmp), and
#     binds a private file over /var/log/wtmp: tmux registers each pane
#     through libutempter's setgid helper, which writes USER_PROCESS records
#     to /run/utmp and login/logout records to wtmp.  So the daemon and the
#     clients see real utmp entries, and the host's files are untouched;
#   - mounts a new devpts instance with gid=tty,mode=0620 on /dev/pts (and
#     its ptmx over /dev/ptmx).  Debian mounts devpts like that, so a new
#     pty belongs to its user, group tty, mode 0620 ("mesg y"); a container
#     may mount it without gid=/mode= (ptys 0600 in the user's own group,
#     which no talk daemon can ring), and a private instance also keeps our
#     pty numbers apart from the host's;
#   - binds a copy of /etc/hosts over it in which the host name is
#     127.0.1.1, as Debian's installer writes it, so both clients really
#     send to an address other than 127.0.0.1.
#
# Users and panes.  Each test user gets its own tmux server, started as that
# user (so the pane ptys are that user's), with a clean environment, a plain
# bash prompt "e2e[N:S]$ " (command number, last status), alternate-screen
# off (so what a curses client printed just before it exited stays on the
# screen), and its socket under the test folder.  Root drives the servers
# with send-keys and reads them with capture-pane.  Every wait polls in
# 0.2 s steps with a bound.
#
# YTalk (a third client, not packaged by Debian 12) is $YTALK, or else the
# one make builds into $TALKD_BUILD/ytalk/ from ../shared/clients/; without
# either, e2e_need_ytalk says why and the YTalk cases skip.
#
# Two hosts (e2e_two_hosts): inside the namespaces above, two more, each
# with its own network (a veth pair between them, private test addresses
# that never leave the pair), host name (UTS), hosts and hostname files,
# /run with its own utmp, its own talkd and journal under $E2E_DIR/HOST/.
# A user lives on one host (E2E_USER_HOST); e2e_at HOST runs a command
# there; E2E_HOST names the host that daemon and journal helpers act on.
#
# Environment: TALKD_BUILD (absolute build folder, from make), E2E_TIMEOUT
# (seconds per wait, default 10), E2E_KEEP=1 keeps the test folder,
# E2E_HOST_ADDR (the host name's address in the namespace, default
# 127.0.1.1; 127.0.0.1 makes every client use 127.0.0.1 only), YTALK,
# E2E_TALKD_OPTS (more talkd options, split on blanks: to see a test fail
# against, say, --no-dns).

set -u

E2E_TIMEOUT=${E2E_TIMEOUT:-10}
E2E_HOST_ADDR=${E2E_HOST_ADDR:-127.0.1.1}
E2E_NETKIT=/usr/bin/netkit-ntalk
E2E_INETUTILS=/usr/bin/inetutils-talk
E2E_A=talke2ea
E2E_B=talke2eb
E2E_C=talke2ec
E2E_D=talke2ed
# shellcheck disable=SC2034 # for the scripts
A=$E2E_A B=$E2E_B C=$E2E_C D=$E2E_D
# shellcheck disable=SC2034
E2E_CLIENTS="netkit inetutils"
# The prompt shows bash's command number and the last exit status, so
# the end of a client shows as a new number even when it died of SIGINT
# (bash then drops the rest of the command line: no "; echo" would run).
E2E_PS1='e2e[\#:$?]$ '
E2E_PROMPT='e2e['

E2E_N=0			# TAP test number
E2E_FAILS=0
E2E_CASE_BROKEN=	# set by a failed check: later checks of the case skip
E2E_SERVERS=()		# users whose tmux server is running
E2E_DAEMON_PID=		# the talkd started last
E2E_DAEMONS=()		# every talkd started
E2E_DIR=
declare -A E2E_JOURNAL_MARK	# journal file -> its lines before the current case
E2E_HOST=		# the host daemon and journal helpers act on ("": this namespace)
E2E_HOSTS=()		# the hosts of e2e_two_hosts
declare -A E2E_HOST_PID		# host -> the process holding its namespaces
declare -A E2E_USER_HOST	# user -> the host the user lives on
E2E_YTALK=		# YTalk, once e2e_need_ytalk found it
E2E_YTALK_WHY=		# why not, otherwise

# ---- TAP -----------------------------------------------------------------------

e2e_diag() { sed -e 's/^/# /'; }

e2e_skip_all() { echo "1..0 # SKIP $*"; exit 0; }

# Missing tools are a skip for a developer, and a failure in CI.
e2e_missing() {
	if [ "${CI:-}" = true ]; then echo "Bail out! $*"; exit 1; fi
	e2e_skip_all "$*"
}

e2e_plan() { echo "1..$1"; }

# e2e_skip DESCRIPTION REASON: a TAP test that did not run.
e2e_skip() {
	E2E_N=$((E2E_N + 1))
	echo "ok $E2E_N - $1 # SKIP $2"
}

# e2e_check DESCRIPTION COMMAND [ARG...]: one TAP test.  After a failure in
# the current case the rest of the case is skipped, so a broken daemon
# costs one timeout per case, not one per step.
e2e_check() {
	local desc=$1
	shift
	E2E_N=$((E2E_N + 1))
	if [ -n "$E2E_CASE_BROKEN" ]; then
		echo "ok $E2E_N - $desc # SKIP after: $E2E_CASE_BROKEN"
		return 1
	fi
	if "$@"; then
		echo "ok $E2E_N - $desc"
		return 0
	fi
	echo "not ok $E2E_N - $desc"
	E2E_FAILS=$((E2E_FAILS + 1))
	E2E_CASE_BROKEN=$desc
	e2e_dump
	return 1
}

e2e_case() {
	local j
	E2E_CASE_BROKEN=
	for j in "$E2E_DIR"/journal "$E2E_DIR"/*/journal; do
		[ -f "$j" ] && E2E_JOURNAL_MARK[$j]=$(wc -l <"$j")
	done
	echo "# --- $*"
}

# Everything one needs to see why a step failed, as TAP diagnostics.
e2e_dump() {
	local u w
	for u in "${E2E_SERVERS[@]}"; do
		for w in $(e2e_tmux "$u" list-windows -F '#{window_index}' 2>/dev/null); do
			echo "--- screen of $u window $w ($(e2e_tty "$u" "$w"), running $(e2e_tmux "$u" display-message -p -t "=e2e:$w" '#{pane_current_command}' 2>/dev/null)):"
			e2e_screen "$u" "$w" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
		done
	done 2>&1 | e2e_diag
	local h
	for h in "" "${E2E_HOSTS[@]}"; do
		[ -z "$h" ] && [ ${#E2E_HOSTS[@]} -gt 0 ] && continue
		echo "--- utmp${h:+ of $h}:"
		e2e_at "$h" utmpdump /run/utmp 2>/dev/null
		[ -n "$E2E_DIR" ] || continue
		echo "--- daemon log${h:+ of $h} (last 40 lines):"
		tail -n 40 "$E2E_DIR${h:+/$h}/talkd.log" 2>/dev/null
		echo "--- journal${h:+ of $h} (last 20 lines):"
		tail -n 20 "$E2E_DIR${h:+/$h}/journal" 2>/dev/null
	done 2>&1 | e2e_diag
}

# ---- bounded waits -------------------------------------------------------------

# e2e_wait SECONDS COMMAND [ARG...]: poll the command every 0.2 s until it
# succeeds (0) or SECONDS have passed (1): a deadline on the clock, so slow
# polls do not stretch the bound, and a step count as a second bound.
e2e_wait() {
	local i end now steps
	now=${EPOCHREALTIME//[!0-9]/}
	end=$((now + $(awk -v s="$1" 'BEGIN { printf "%d", s * 1000000 }')))
	steps=$(awk -v s="$1" 'BEGIN { printf "%d", s * 5 + 1 }')
	shift
	for ((i = 0; i < steps; i++)); do
		"$@" && return 0
		now=${EPOCHREALTIME//[!0-9]/}
		[ "$now" -lt "$end" ] || return 1
		sleep 0.2
	done
	"$@"
}

# e2e_gone PID: the process has exited (a zombie counts: a daemonized tmux
# server is reaped by whoever inherited it, maybe late).
e2e_gone() {
	local st
	st=$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 0
	[ "${st%% *}" = Z ]
}

# ---- namespaces ----------------------------------------------------------------

# e2e_enter "$@": first call re-executes the script in private namespaces;
# inside them it sets everything up and installs the cleanup trap.
e2e_enter() {
	local c
	if [ "${TALKD_E2E_INSIDE:-}" != 1 ]; then
		[ "$(id -u)" = 0 ] || e2e_skip_all "needs root (namespaces, test users, port 518)"
		for c in unshare nsenter tmux runuser useradd ip ss utmpdump awk; do
			command -v "$c" >/dev/null || e2e_missing "no $c"
		done
		[ -x "$E2E_NETKIT" ] || e2e_missing "no $E2E_NETKIT (Debian package talk)"
		[ -x "$E2E_INETUTILS" ] || e2e_missing "no $E2E_INETUTILS (Debian package inetutils-talk)"
		[ -x /usr/lib/x86_64-linux-gnu/utempter/utempter ] || [ -n "$(ls /usr/lib/*/utempter/utempter 2>/dev/null)" ] ||
			e2e_missing "no libutempter helper (Debian package libutempter0)"
		if [ -z "${TALKD_BUILD:-}" ] || [ ! -x "$TALKD_BUILD/talkd" ]; then
			echo "Bail out! no talkd in TALKD_BUILD=${TALKD_BUILD:-} (run through make e2e)"
			exit 1
		fi
		unshare --net --mount --propagation private true 2>/dev/null ||
			e2e_skip_all "cannot unshare network and mount namespaces here"
		TALKD_E2E_INSIDE=1 exec unshare --net --mount --propagation private -- bash "$0" "$@"
	fi
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	E2E_DIR=$(mktemp -d /tmp/talkd-e2e.XXXXXX) || exit 1
	chmod 0755 "$E2E_DIR"
	mkdir -m 1777 "$E2E_DIR/tmux"
	e2e_setup_ns || { echo "Bail out! cannot set up the namespace"; exit 1; }
	e2e_users "$E2E_A" "$E2E_B" "$E2E_C" "$E2E_D" || { echo "Bail out! cannot create test users"; exit 1; }
}

e2e_setup_ns() {
	local ttygid host
	ttygid=$(getent group tty | cut -d: -f3)
	[ -n "$ttygid" ] || return 1
	e2e_private_run || return 1
	if [ -f /var/log/wtmp ]; then
		install -m 0664 -o root -g utmp /dev/null "$E2E_DIR/wtmp" &&
			mount --bind "$E2E_DIR/wtmp" /var/log/wtmp || return 1
	fi
	mount -t devpts -o "newinstance,gid=$ttygid,mode=0620,ptmxmode=0666" e2e-pts /dev/pts &&
		mount --bind /dev/pts/ptmx /dev/ptmx || return 1
	# The host name on 127.0.1.1, as Debian's installer writes it, whatever
	# the host's file says: the clients then send to 127.0.1.1 (netkit from
	# a socket connected there, inetutils bound there) and the banner names
	# callers on 127.0.0.1 "localhost".
	host=$(hostname)
	{
		awk -v h="$host" '{ for (i = 2; i <= NF; i++) if ($i == h || index($i, h ".") == 1) next } { print }' /etc/hosts
		echo "$E2E_HOST_ADDR	$host"
	} >"$E2E_DIR/hosts" && mount --bind "$E2E_DIR/hosts" /etc/hosts || return 1
	[ "$(getent hosts "$host" | awk '{ print $1 }')" = "$E2E_HOST_ADDR" ]
}

# Loopback up, and a private /run (also on /var/run) with an empty utmp.
e2e_private_run() {
	ip link set lo up || return 1
	mount -t tmpfs -o mode=0755 e2e-run /run || return 1
	if [ -d /var/run ] && [ ! -L /var/run ]; then
		mount --bind /run /var/run || return 1
	fi
	install -m 0664 -o root -g utmp /dev/null /run/utmp
}

# ---- two hosts -------------------------------------------------------------------

# e2e_at HOST COMMAND [ARG...]: run an external command on HOST (in its
# network, UTS and mount namespaces); HOST "" is this namespace.
e2e_at() {
	local at
	e2e_at_args "$1"
	shift
	"${at[@]}" "$@"
}

# e2e_at_args HOST: set the caller's array `at` to what runs a command
# there (for a command started in the background, whose pid must be its own).
e2e_at_args() {
	at=()
	[ -z "$1" ] || at=(nsenter -t "${E2E_HOST_PID[$1]}" -n -u -m --)
}

# e2e_two_hosts NAME1 ADDR1 NAME2 ADDR2: two hosts joined by a veth pair
# (ADDRs on a /24 that exists only on that pair).  Each host's hosts file
# names both hosts, as DNS would; its host name resolves to its veth
# address, not to loopback.
e2e_two_hosts() {
	local h a i=0 pid
	ip link add e2e-veth1 type veth peer name e2e-veth2 || return 1
	for h in "$1" "$3"; do
		i=$((i + 1))
		a=$2
		[ "$i" = 2 ] && a=$4
		mkdir -m 0755 "$E2E_DIR/$h" || return 1
		{
			awk -v h="$(hostname)" '{ for (i = 2; i <= NF; i++) if ($i == h || index($i, h ".") == 1) next } { print }' /etc/hosts
			printf '%s\t%s\n%s\t%s\n' "$2" "$1" "$4" "$3"
		} >"$E2E_DIR/$h/hosts" && echo "$h" >"$E2E_DIR/$h/hostname" || return 1
		unshare --net --uts --mount --propagation private -- sleep 100000 &
		pid=$!
		E2E_HOST_PID[$h]=$pid
		E2E_HOSTS+=("$h")
		e2e_wait 5 e2e_own_net "$pid" || return 1
		ip link set "e2e-veth$i" netns "$pid" || return 1
		e2e_at "$h" bash -c "$(declare -f e2e_private_run e2e_host_setup); e2e_host_setup $h $a $i $E2E_DIR/$h" ||
			return 1
	done
}

# The holder has its own network namespace by now.
e2e_own_net() { [ "$(readlink "/proc/$1/ns/net")" != "$(readlink /proc/self/ns/net)" ]; }

# (run on the host) e2e_host_setup NAME ADDR VETH-NUMBER FOLDER
e2e_host_setup() {
	hostname "$1" &&
		e2e_private_run &&
		mount --bind "$4/hosts" /etc/hosts &&
		mount --bind "$4/hostname" /etc/hostname &&
		ip addr add "$2/24" dev "e2e-veth$3" &&
		ip link set "e2e-veth$3" up &&
		[ "$(getent hosts "$1" | awk '{ print $1 }')" = "$2" ]
}

e2e_stop_hosts() {
	local h
	for h in "${E2E_HOSTS[@]}"; do
		kill "${E2E_HOST_PID[$h]}" 2>/dev/null
		wait "${E2E_HOST_PID[$h]}" 2>/dev/null
	done
	E2E_HOSTS=()
}

# Test users: created once and left for the next run, without a
# ~/.talkrc that an interrupted run may have left.
e2e_users() {
	local u
	for u in "$@"; do
		id "$u" >/dev/null 2>&1 || useradd -m -s /bin/bash "$u" || return 1
		rm -f "$(getent passwd "$u" | cut -d: -f6)/.talkrc"
	done
}

e2e_cleanup() {
	local rc=$? u
	trap - EXIT
	for u in "${E2E_SERVERS[@]}"; do
		e2e_stop_session "$u"
	done
	e2e_stop_daemon
	e2e_stop_hosts
	if [ "$E2E_FAILS" -gt 0 ] || [ "${E2E_KEEP:-}" = 1 ]; then
		echo "# test folder kept: $E2E_DIR"
	elif [ -n "$E2E_DIR" ]; then
		rm -rf "$E2E_DIR"
	fi
	[ "$E2E_FAILS" -gt 0 ] && rc=1
	exit "$rc"
}

# ---- the daemon ----------------------------------------------------------------

e2e_daemon_up() {
	kill -0 "$E2E_DAEMON_PID" 2>/dev/null && e2e_at "$E2E_HOST" ss -Hlun 'sport = :518' | grep -q .
}

# The folder of the daemon of host $E2E_HOST (journal, state, log).
e2e_hdir() { echo "$E2E_DIR${E2E_HOST:+/$E2E_HOST}"; }

# e2e_start_daemon [TALKD-OPTION...]: talkd on host $E2E_HOST.
e2e_start_daemon() {
	local d at
	d=$(e2e_hdir)
	mkdir -p "$d/state"
	e2e_at_args "$E2E_HOST"
	"${at[@]}" "$TALKD_BUILD/talkd" --foreground --listen 0.0.0.0:518 \
		--journal "$d/journal" --state-dir "$d/state" \
		--utmp /run/utmp --user nobody ${E2E_TALKD_OPTS:-} "$@" >>"$d/talkd.log" 2>&1 &
	E2E_DAEMON_PID=$!
	E2E_DAEMONS+=("$E2E_DAEMON_PID")
	e2e_wait 10 e2e_daemon_up
}

# The first step of every script: a script without its daemon stops here.
e2e_daemon_step() {
	e2e_check "talkd starts and listens on UDP 518" e2e_start_daemon || exit 1
}

# e2e_stop_pids PID...: end processes this test started, by pid: TERM, up
# to 5 s, then KILL.
e2e_stop_pids() {
	local pid
	for pid in "$@"; do
		kill "$pid" 2>/dev/null
		e2e_wait 5 e2e_gone "$pid" || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
}

e2e_stop_daemon() {
	e2e_stop_pids "${E2E_DAEMONS[@]}"
	E2E_DAEMONS=()
	E2E_DAEMON_PID=
}

# ---- tmux sessions -------------------------------------------------------------

e2e_tmux() {
	local u=$1
	shift
	tmux -S "$E2E_DIR/tmux/tmux-$(id -u "$u")/e2e" "$@"
}

e2e_shell() { echo "env PS1='$E2E_PS1' bash --noprofile --norc -i"; }

# e2e_session USER: a tmux server of USER with one window (0) at a prompt,
# its tty registered in utmp.
e2e_session() {
	local u=$1 home
	home=$(getent passwd "$u" | cut -d: -f6)
	e2e_at "${E2E_USER_HOST[$u]:-}" runuser -u "$u" -- env -i HOME="$home" USER="$u" LOGNAME="$u" \
		SHELL=/bin/bash PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
		HISTFILE=/dev/null TMUX_TMPDIR="$E2E_DIR/tmux" \
		tmux -L e2e -f /dev/null start-server \; \
		set-option -g default-terminal screen \; \
		set-option -wg alternate-screen off \; \
		set-option -g history-limit 500 \; \
		new-session -d -s e2e -x 120 -y 30 -c "$home" "$(e2e_shell)" || return 1
	E2E_SERVERS+=("$u")
	e2e_window_ready "$u" 0
}

# e2e_window USER: open another window at a prompt; prints its index.
e2e_window() {
	local u=$1 w home
	home=$(getent passwd "$u" | cut -d: -f6)
	w=$(e2e_tmux "$u" new-window -d -P -F '#{window_index}' -t e2e: -c "$home" "$(e2e_shell)") || return 1
	e2e_window_ready "$u" "$w" || return 1
	echo "$w"
}

e2e_window_ready() {
	local u=$1 w=$2 line
	e2e_wait "$E2E_TIMEOUT" e2e_screen_has "$u" "$w" "$E2E_PROMPT" || return 1
	line=$(e2e_tty "$u" "$w") && line=${line#/dev/}
	e2e_wait "$E2E_TIMEOUT" e2e_in_utmp "$u" "$line"
}

e2e_in_utmp() {
	e2e_at "${E2E_USER_HOST[$1]:-}" who | awk -v u="$1" -v l="$2" '$1 == u && $2 == l { f = 1 } END { exit !f }'
}

e2e_stop_session() {
	local u=$1 pid
	pid=$(e2e_tmux "$u" display-message -p '#{pid}' 2>/dev/null)
	e2e_tmux "$u" kill-server 2>/dev/null
	if [ -n "$pid" ]; then
		e2e_wait 5 e2e_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	fi
	local keep=() x
	for x in "${E2E_SERVERS[@]}"; do
		[ "$x" = "$u" ] || keep+=("$x")
	done
	E2E_SERVERS=("${keep[@]}")
}

# End every session of a case and forget their utmp entries.
e2e_end_case() {
	local u
	local h
	for u in "${E2E_SERVERS[@]}"; do
		e2e_stop_session "$u"
	done
	for h in "" "${E2E_HOSTS[@]}"; do
		e2e_at "$h" truncate -s 0 /run/utmp
	done
}

e2e_tty() { e2e_tmux "$1" display-message -p -t "=e2e:$2" '#{pane_tty}'; }

e2e_command() { e2e_tmux "$1" display-message -p -t "=e2e:$2" '#{pane_current_command}'; }

# The screen plus some history, wrapped lines joined.
e2e_screen() { e2e_tmux "$1" capture-pane -p -J -S -100 -t "=e2e:$2"; }

e2e_screen_has() { e2e_screen "$1" "$2" | grep -qF -- "$3"; }

# e2e_type USER WINDOW TEXT: type a line.
e2e_type() {
	e2e_tmux "$1" send-keys -t "=e2e:$2" -l -- "$3" &&
		e2e_tmux "$1" send-keys -t "=e2e:$2" Enter
}

# e2e_keys USER WINDOW KEY...: send tmux key names (C-c, C-s, Enter...).
e2e_keys() {
	local u=$1 w=$2
	shift 2
	e2e_tmux "$u" send-keys -t "=e2e:$w" "$@"
}

# e2e_see USER WINDOW TEXT [SECONDS]: wait until the screen shows TEXT.
e2e_see() { e2e_wait "${4:-$E2E_TIMEOUT}" e2e_screen_has "$1" "$2" "$3"; }

e2e_running() { [ "$(e2e_command "$1" "$2")" = "$3" ]; }

# ---- clients -------------------------------------------------------------------

# e2e_client NAME: the program of a client (netkit, inetutils or ytalk).
e2e_client() {
	case $1 in
	netkit) echo "$E2E_NETKIT" ;;
	inetutils) echo "$E2E_INETUTILS" ;;
	ytalk) [ -n "$E2E_YTALK" ] && echo "$E2E_YTALK" ;;
	*) return 1 ;;
	esac
}

# e2e_need_ytalk: find YTalk ($YTALK, else the one make built from
# ../shared/clients/) and copy it where the test users can run it; else
# set E2E_YTALK_WHY and fail.
e2e_need_ytalk() {
	local y=${YTALK:-$TALKD_BUILD/ytalk/ytalk}
	if [ ! -x "$y" ]; then
		if [ -n "${YTALK:-}" ]; then
			E2E_YTALK_WHY="no YTalk: YTALK=$YTALK is not executable"
		else
			E2E_YTALK_WHY="no YTalk: $y not built (make builds it from ../shared/clients/ytalk-3.3.0.tar.gz, absent here; or set YTALK=/path/to/ytalk)"
		fi
		return 1
	fi
	if ! "$y" -v 2>&1 | grep -q '^YTalk '; then
		E2E_YTALK_WHY="no YTalk: $y -v does not print a YTalk version"
		return 1
	fi
	mkdir -p -m 0755 "$E2E_DIR/bin" && install -m 0755 "$y" "$E2E_DIR/bin/ytalk" || return 1
	E2E_YTALK=$E2E_DIR/bin/ytalk
	echo "# YTalk: $y ($("$y" -v 2>&1))"
}

# e2e_talk CLIENT USER WINDOW ARG...: start a client in a window and wait
# until it runs (or has already ended: a refused call may end at once).
declare -A E2E_NEXT_PROMPT
e2e_talk() {
	local prog u=$2 w=$3
	prog=$(e2e_client "$1") || return 1
	shift 3
	e2e_run "$u" "$w" "${prog##*/}" "$prog $*"
}

# e2e_run USER WINDOW NAME COMMAND-LINE: type a command line that runs
# program NAME, and wait until it runs or has ended.
e2e_run() {
	local u=$1 w=$2 n
	n=$(e2e_prompt_number "$u" "$w") || return 1
	E2E_NEXT_PROMPT[$u:$w]=$((n + 1))
	e2e_type "$u" "$w" "$4" &&
		e2e_wait "$E2E_TIMEOUT" e2e_started "$u" "$w" "$3"
}

# The number of the last prompt on the screen.
e2e_prompt_number() {
	local n
	n=$(e2e_screen "$1" "$2" | grep -oE 'e2e\[[0-9]+:' | tail -n 1 | sed -e 's/^e2e\[\([0-9]*\):$/\1/')
	[[ $n =~ ^[0-9]+$ ]] && echo "$n"
}

e2e_started() { e2e_running "$1" "$2" "$3" || e2e_client_ended "$1" "$2"; }

# The prompt after the client's command line is on the screen.
e2e_client_ended() {
	e2e_screen_has "$1" "$2" "e2e[${E2E_NEXT_PROMPT[$1:$2]:-0}:"
}

# e2e_client_done USER WINDOW: the client started there has ended.
e2e_client_done() { e2e_wait "$E2E_TIMEOUT" e2e_client_ended "$1" "$2"; }

# e2e_hang_up USER WINDOW: Ctrl-C to the client there unless it has
# ended already (netkit stays on "[Connection closed. ^C to exit]" and on
# a refusal), then wait until it has.
e2e_hang_up() {
	e2e_client_ended "$1" "$2" || e2e_keys "$1" "$2" C-c
	e2e_client_done "$1" "$2"
}

# e2e_ends_sane USER WINDOW: the client there ends (by itself or on ^C)
# and leaves the terminal sane.
e2e_ends_sane() { e2e_hang_up "$1" "$2" && e2e_tty_sane "$1" "$2"; }

# e2e_banner_for USER WINDOW CALLER: the daemon's banner for CALLER shows,
# its lines as the spec words them: "Message from Talk_Daemon@<this host>
# at <h>:<mm> ...", "talk: connection requested by CALLER@<host>." and
# "talk: respond with:  talk CALLER@<host>", the same <host> in both (and
# that of E2E_BANNER_HOST when set).
e2e_banner_for() { e2e_wait "${4:-$E2E_TIMEOUT}" e2e_banner_now "$@"; }

e2e_banner_now() {
	local scr me h1 h2
	scr=$(e2e_screen "$1" "$2") || return 1
	me=$(e2e_at "${E2E_USER_HOST[$1]:-}" hostname | sed -e 's/[].[\*^$]/\\&/g')
	grep -qE "^Message from Talk_Daemon@$me at ([0-9]|1[0-9]|2[0-3]):[0-5][0-9] \.\.\. *\$" <<<"$scr" || return 1
	h1=$(sed -n -e "s/^talk: connection requested by $3@\([^ ]*\)\. *\$/\1/p" <<<"$scr" | tail -n 1)
	h2=$(e2e_respond_host "$3" <<<"$scr")
	[ -n "$h1" ] && [ "$h1" = "$h2" ] && [ "$h1" = "${E2E_BANNER_HOST:-$h1}" ]
}

e2e_respond_host() { sed -n -e "s/^talk: respond with:  talk $1@\([^ ]*\) *\$/\1/p" | tail -n 1; }

# e2e_respond USER WINDOW CALLER: the CALLER@HOST the banner tells to run.
e2e_respond() {
	local h
	h=$(e2e_screen "$1" "$2" | e2e_respond_host "$3")
	[ -n "$h" ] && echo "$3@$h"
}

# e2e_sessions USER...: a tmux server (window 0 at a prompt) per user.
e2e_sessions() {
	local u
	for u in "$@"; do
		e2e_session "$u" || return 1
	done
}

# e2e_tty_sane USER WINDOW: back at the prompt, the terminal is in canonical
# mode with echo again (a client that died without restoring it fails).
# The command line shows $((6*7)), its output 42.
e2e_tty_sane() {
	local u=$1 w=$2
	e2e_type "$u" "$w" "for f in icanon echo; do stty -a | tr ' ;' '\\n\\n' | grep -qx \$f || echo tty-bad-\$f; done; echo tty-checked-\$((6*7))" &&
		e2e_see "$u" "$w" "tty-checked-42" &&
		! e2e_screen_has "$u" "$w" "tty-bad-i" && ! e2e_screen_has "$u" "$w" "tty-bad-e"
}

# e2e_line_reaches USER WINDOW PEER PEERWINDOW TEXT: a line typed into a
# client shows on its peer's screen.
e2e_line_reaches() {
	e2e_type "$1" "$2" "$5" && e2e_see "$3" "$4" "$5"
}

# e2e_journal_has EVENT COUNT [ANSWER [TEXT...]]: since the case began,
# the journal got at least COUNT records of EVENT (with that answer, and
# holding each TEXT).  Waits a little: the daemon may write after it
# answers.
e2e_journal_has() { e2e_wait 5 e2e_journal_count "$@"; }
e2e_journal_count() {
	local event=$1 count=$2 answer=${3:-} recs t j
	shift 2
	[ $# -gt 0 ] && shift
	j=$(e2e_hdir)/journal
	recs=$(tail -n +$((${E2E_JOURNAL_MARK[$j]:-0} + 1)) "$j" 2>/dev/null |
		grep -F "\"event\":\"$event\"" | grep -F "\"answer\":\"$answer")
	for t in "$@"; do
		recs=$(grep -F -- "$t" <<<"$recs")
	done
	[ "$(grep -c . <<<"$recs")" -ge "$count" ]
}

# e2e_no_banner USER WINDOW: no daemon banner on that screen.
e2e_no_banner() { ! e2e_screen_has "$1" "$2" "Talk_Daemon"; }

# e2e_sh USER WINDOW COMMAND: run a shell command line in the pane and wait
# until it has succeeded (the line prints ok-42 only then; the command line
# itself shows ok-$((6*7))).
e2e_sh() {
	e2e_type "$1" "$2" "$3 && echo ok-\$((6*7))" && e2e_see "$1" "$2" "ok-42"
}

# ---- what each client shows ------------------------------------------------------

# e2e_shows CLIENT USER WINDOW STATE [PEER]: wait until the client there
# shows STATE: waiting (for the callee), connected (to PEER), closed (the
# peer hung up: netkit and GNU say so; YTalk, its last peer gone, exits),
# refused (the answer FAILED).
e2e_shows() {
	local c=$1 u=$2 w=$3
	case $c:$4 in
	ytalk:waiting) e2e_see "$u" "$w" "[Waiting for connection...]" ;;
	ytalk:connected) e2e_see "$u" "$w" "= $5@" ;;
	ytalk:closed) e2e_client_done "$u" "$w" ;;
	*:waiting) e2e_see "$u" "$w" "[Waiting for your party to respond]" ;;
	*:connected) e2e_see "$u" "$w" "[Connection established]" ;;
	*:closed) e2e_see "$u" "$w" "[Connection closed" ;;
	ytalk:refused) e2e_see "$u" "$w" "$5@" && e2e_see "$u" "$w" "not logged in" ;;
	*:refused) e2e_see "$u" "$w" "[Target machine is too confused to talk to us]" ;;
	*) return 1 ;;
	esac
}

# e2e_conversation CA UA CB UB N [CALLEE]: E2E_CONV_STEPS checks.  UA runs
# client CA with `talk CALLEE` (default UB); UB's window 0 shows the banner;
# UB runs client CB with the banner's `talk UA@HOST`; both are connected; a
# line typed on each side (tagged N) shows on the other; Ctrl-C ends UA's
# client, UB's sees the connection closed and ends; both terminals are
# restored; the journal of host $E2E_HOST (the callee's) has the ring.
E2E_CONV_STEPS=15
e2e_conversation() {
	local ca=$1 ua=$2 cb=$3 ub=$4 n=$5 callee=${6:-$4} p="$1->$3:"
	e2e_check "$p $ua and $ub are logged in (utmp)" e2e_sessions "$ua" "$ub"
	e2e_check "$p $ua runs talk $callee" e2e_talk "$ca" "$ua" 0 "$callee"
	e2e_check "$p $ub's terminal shows the banner${E2E_BANNER_HOST:+ naming $ua@$E2E_BANNER_HOST}" \
		e2e_banner_for "$ub" 0 "$ua"
	e2e_check "$p $ua waits for its party" e2e_shows "$ca" "$ua" 0 waiting
	echo "# the banner says: talk $(e2e_respond "$ub" 0 "$ua")"
	e2e_check "$p $ub answers with the banner's talk $ua@HOST" \
		eval 'e2e_talk "$cb" "$ub" 0 "$(e2e_respond "$ub" 0 "$ua")"'
	e2e_check "$p $ua is connected" e2e_shows "$ca" "$ua" 0 connected "$ub"
	e2e_check "$p $ub is connected" e2e_shows "$cb" "$ub" 0 connected "$ua"
	e2e_check "$p $ua's line shows on $ub's screen" \
		e2e_line_reaches "$ua" 0 "$ub" 0 "hello from $ua $n"
	e2e_check "$p $ub's line shows on $ua's screen" \
		e2e_line_reaches "$ub" 0 "$ua" 0 "and back from $ub $n"
	e2e_check "$p Ctrl-C ends $ua's client" e2e_hang_up "$ua" 0
	e2e_check "$p $ub's client sees the connection closed" e2e_shows "$cb" "$ub" 0 closed
	e2e_check "$p $ub's client exits" e2e_hang_up "$ub" 0
	e2e_check "$p $ua's terminal is restored" e2e_tty_sane "$ua" 0
	e2e_check "$p $ub's terminal is restored" e2e_tty_sane "$ub" 0
	e2e_check "$p the journal${E2E_HOST:+ of $E2E_HOST} has an announce.rung record" \
		e2e_journal_has announce.rung 1 SUCCESS
}

# e2e_pairs "CA:CB ...": a case per pair of clients, A calling B.
e2e_pairs() {
	local pair n=0
	for pair in $1; do
		n=$((n + 1))
		e2e_case "${pair%:*} client calls, ${pair#*:} client answers"
		e2e_conversation "${pair%:*}" "$E2E_A" "${pair#*:}" "$E2E_B" "$n"
		e2e_end_case
	done
}
