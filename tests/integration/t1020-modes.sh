#!/bin/bash
# Modes and operation: inetd wait-mode and systemd socket activation with
# idle exit, a refused IPv6 socket, the privilege drop, -n, usage errors,
# expiry (-r) and the table caps.
. "$(dirname "$0")/lib.sh"
need_root
plan 24
# A port nothing on 127.0.0.1 uses (sockexec binds it before the exec).
free_port() { local p i; for i in $(seq 1 100); do p=$((20000 + RANDOM % 30000)); ss -Hlun "sport = :$p" | grep -q . || break; done; echo $p; }
P=$(free_port)

# inetd: the socket on fd 0; exits after -i seconds idle.
"$B/tools/sockexec" inetd 127.0.0.1:$P "$B/talkd" -i 1 --journal "$T/j1" --utmp "$T/utmp" --user nobody 2>"$T/inetd.log" &
ip=$!; _pids="$_pids $ip"
# Until sockexec has bound the port a request would be refused at once;
# after that it waits in the socket however slowly (sanitizers, a busy
# machine) the daemon starts.
wait_bound() { local i; for i in $(seq 1 100); do ss -Hlun "sport = :$1" | grep -q . && return 0; sleep 0.1; done; return 1; }
wait_bound $P
r=$("$NTALK" -w 15000 127.0.0.1:$P lookup a b | field answer)
is "inetd mode answers on the inherited socket" "$r" NOT_HERE
for i in $(seq 1 60); do kill -0 $ip 2>/dev/null || break; sleep 0.1; done
not_ok "inetd mode exits after the idle timeout (-i 1)" kill -0 $ip
wait $ip; is "and exits 0" "$?" 0
grep -q '"event":"daemon.stop","msg":"idle"' "$T/j1"; _result $? "journal records the idle stop"

# systemd: fd 3 with LISTEN_FDS/LISTEN_PID.
P2=$(free_port)
"$B/tools/sockexec" systemd 127.0.0.1:$P2 "$B/talkd" -i 1 --journal "$T/j2" --utmp "$T/utmp" --user nobody 2>"$T/sd.log" &
sp=$!; _pids="$_pids $sp"
wait_bound $P2
r=$("$NTALK" -w 15000 127.0.0.1:$P2 invite thor sif | field answer)
is "systemd socket activation answers" "$r" SUCCESS
for i in $(seq 1 60); do kill -0 $sp 2>/dev/null || break; sleep 0.1; done
not_ok "systemd mode exits after the idle timeout" kill -0 $sp

# An IPv6 socket is refused with an actionable message.
"$B/tools/sockexec" inet6 127.0.0.1:$P "$B/talkd" --foreground --journal "$T/j3" --user nobody 2>"$T/v6.log"
is "IPv6 socket on fd 0: exit 1" "$?" 1
grep -q 'udp4' "$T/v6.log"; _result $? "and the message says to use udp4"

# Standalone with privilege drop.
start_daemon --user nobody || exit 1
st=/proc/$DPID/status
like "runs as nobody" "$(awk '/^Uid:/ {print $2,$3,$4,$5}' $st)" "^$(id -u nobody) $(id -u nobody) $(id -u nobody) $(id -u nobody)$"
like "in group tty" "$(awk '/^Gid:/ {print $2,$3,$4,$5}' $st)" "^$(getent group tty | cut -d: -f3)( $(getent group tty | cut -d: -f3)){3}$"
is "with only tty as supplementary group" "$(awk '/^Groups:/ {print $2}' $st)" "$(getent group tty | cut -d: -f3)"
is "no_new_privs set" "$(awk '/^NoNewPrivs:/ {print $2}' $st)" 1
is "no capabilities left" "$(awk '/^CapEff:/ {print $2}' $st)" 0000000000000000
is "and none in the bounding set" "$(awk '/^CapBnd:/ {print $2}' $st)" 0000000000000000
stop_daemon

# The helpers of a daemon started by inetd: the opener keeps only
# CAP_DAC_READ_SEARCH (bit 2) even in its bounding set, and neither it nor
# the resolver holds the inherited socket on fds 0 and 1.
P3=$(free_port)
"$B/tools/sockexec" inetd 127.0.0.1:$P3 "$B/talkd" -i 30 --journal "$T/j5" --utmp "$T/utmp" --user nobody 2>"$T/inetd2.log" &
ip2=$!; _pids="$_pids $ip2"
wait_bound $P3
"$NTALK" -w 15000 127.0.0.1:$P3 lookup a b >/dev/null
helpers=""
for c in $(pgrep -P $ip2); do
	caps=$(awk '/^CapEff:/ {print $2}' /proc/$c/status)
	bnd=$(awk '/^CapBnd:/ {print $2}' /proc/$c/status)
	socks=$(readlink /proc/$c/fd/0 /proc/$c/fd/1 /proc/$c/fd/2 | grep -c '^socket:')
	helpers="$helpers$caps/$bnd/sockets:$socks
"
done
is "two helpers: the opener (CAP_DAC_READ_SEARCH alone) and the resolver, no socket on fds 0-2" \
    "$(printf '%s' "$helpers" | sort | tr '\n' ' ')" \
    "0000000000000000/0000000000000000/sockets:0 0000000000000004/0000000000000004/sockets:0 "
kill $ip2 2>/dev/null; wait $ip2 2>/dev/null

"$B/talkd" --foreground --listen 127.0.0.1:$P --user root --journal "$T/j4" 2>"$T/root.log"
is "--user root is refused" "$?" 1
is "talkd -n checks the configuration" "$("$B/talkd" -n 2>&1)" "configuration OK"
"$B/talkd" --listen nonsense 2>/dev/null; r=$?
"$B/talkd" -r abc 2>/dev/null
is "usage errors exit 2" "$r $?" "1 2"

# Expiry: -r 1; an entry older than its ttl is really removed.
start_daemon --user nobody -r 1 || exit 1
send invite thor sif >/dev/null
is "invitation is there" "$(send lookup sif thor | field answer)" SUCCESS
sleep 2.2
is "and gone after the request ttl" "$(send lookup sif thor | field answer)" NOT_HERE
grep -q '"event":"invite.expired"' "$T/journal"; _result $? "expiry is journaled"
stop_daemon

# Caps: a source at --max-per-source gives up its own oldest entry.
start_daemon --user nobody --max-per-source 3 || exit 1
for i in 1 2 3 4; do a[$i]=$(send invite "u$i" sif pid=$i | field answer); done
is "4th invitation from one source: SUCCESS" "${a[1]}${a[2]}${a[3]}${a[4]}" SUCCESSSUCCESSSUCCESSSUCCESS
is "its oldest went" "$(send lookup sif u1 | field answer)$(send lookup sif u4 | field answer)" NOT_HERESUCCESS
grep -q '"event":"invite.evicted".*"caller":"u1"' "$T/journal"; _result $? "the eviction is journaled"
finish
