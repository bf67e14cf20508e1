#!/bin/bash
# make bench: request rates of talkd against baselines measured in the same
# run -- a bare UDP responder (tests/tools/udpecho: the ceiling; it receives
# and sends in batches exactly as talkd does at its best), the same
# responder appending a talkd-sized record per request in one write(2) per
# batch before it answers (udpecho -j: the ceiling for any daemon that
# journals a request before its reply, as talkd does), and GNU inetutils
# talkd (the daemon people run today, taken from Debian's package without
# installing it, so no inetd is started).  Two more yardsticks tell what
# moves the 8-in-flight rate on the machine at hand: the bare responder
# spending, in a busy loop, as much user CPU per request as talkd was
# measured to spend in a warm-up run (udpecho -s: talkd's own work with
# none of its system calls), and the bare responder reading one datagram
# per call (udpecho -b 1: no batching at all).
#
# LOOK_UP at 1 and at 8 requests in flight (ntalk-load -w), for a callee
# with no account and, as root, for one with an account and a home (what
# a talk client asks about), BENCH_REPS repetitions alternating between
# the responders so that a noisy neighbour hits all of them alike; each
# figure is the median of the per-repetition ratios.  CPU time per request
# (from /proc) is summed over the repetitions: less at the mercy of the
# scheduler than rates.  Split into user and system time, it tells talkd's
# own work (user) from the journal write and the network (system).  Then
# system calls per request for talkd in steady state (strace -c over a
# bounded run), and rates with 100,000 live invitations and with a
# callee's 50-rule ~/.talkrc.
# Absolute numbers mean little on a shared machine, ratios within one run
# do.  Bounded: every load has a request count and a time limit.
set -u
B=${TALKD_BUILD:?run through make}
N=${BENCH_REQUESTS:-20000}
# With 8 in flight a run of 20,000 takes a fifth of a second, too short to
# outlast a noisy neighbour: those runs are longer.
N8=${BENCH_REQUESTS_8:-100000}
REPS=${BENCH_REPS:-7}
FILL=${BENCH_FILL:-100000}
W=$(mktemp -d /tmp/talkd-bench.XXXXXX)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"' EXIT
port() { echo $((20000 + RANDOM % 30000)); }
rate() { sed -n 's/.*rate=\([0-9]*\).*/\1/p'; }
load() { "$B/tools/ntalk-load" -T 60 "$@" | tee -a "$W/load.log" | rate; }
ready() { for i in $(seq 1 50); do "$B/tools/ntalk" -w 100 "$1" lookup p p >/dev/null 2>&1 && return 0; done; return 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
median() {	# median PRINTF_FORMAT < numbers
	sort -g | awk -v f="$1" '$1 != "n/a" { a[++n] = $1 }
	    END { if (!n) print "n/a"; else printf f "\n", n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }'
}

# GNU talkd from its .deb, unpacked into the work dir.
GNU=""
if (cd "$W" && apt-get download -qq inetutils-talkd >/dev/null 2>&1); then
	dpkg -x "$W"/inetutils-talkd_*.deb "$W/gnu" && GNU=$W/gnu/usr/sbin/talkd
	[ -x "$GNU" ] || GNU=$(find "$W/gnu" -name 'talkd' -type f | head -1)
fi

PE=$(port); "$B/tools/udpecho" 127.0.0.1:$PE & pids="$pids $!"
PJ=$(port); "$B/tools/udpecho" -j "$W/echo-journal" 127.0.0.1:$PJ & pids="$pids $!"
PT=$(port)
# --journal-budget 0: every request's record is written in full, as on a
# host that is not flooded (by default a repeated request from one source
# past 300 records in 10 s is counted instead: talkd(8), FLOODS).
"$B/talkd" --foreground --listen 127.0.0.1:$PT --journal "$W/journal" --utmp "$W/utmp" \
    --journal-budget 0 --max-invites $((FILL + 1000)) --max-per-source $((FILL + 1000)) --user nobody 2>"$W/talkd.log" &
TPID=$!; pids="$pids $TPID"
ready 127.0.0.1:$PE || { echo "udpecho did not start"; exit 1; }
ready 127.0.0.1:$PJ || { echo "udpecho -j did not start"; exit 1; }
ready 127.0.0.1:$PT || { echo "talkd did not start"; cat "$W/talkd.log"; exit 1; }
if [ -n "$GNU" ]; then
	PG=$(port)
	"$B/tools/sockexec" inetd 127.0.0.1:$PG "$GNU" -i 600 & pids="$pids $!"
	ready 127.0.0.1:$PG || GNU=""
fi

EPID=$(pgrep -f -- "udpecho 127.0.0.1:$PE" | head -1)
JPID=$(pgrep -f -- "udpecho -j $W/echo-journal 127.0.0.1:$PJ" | head -1)
GPID=""
[ -n "$GNU" ] && GPID=$(pgrep -f -- "$GNU" | head -1)
nreq() { if [ "$1" = 8 ]; then echo "$N8"; else echo "$N"; fi; }
# CPU time a responder used, user and system, in clock ticks.
cpu() { awk '{ print $14, $15 }' /proc/$1/stat 2>/dev/null || echo 0 0; }
run() {	# run WHO PORT PID W [N [CALLEE]]: the rate; adds the CPU ticks used to $W/cpu.WHO.W
	local bu bs au as r n=${5:-}
	read -r bu bs <<<"$(cpu $3)"
	r=$(load -n "${n:-$(nreq $4)}" -w $4 127.0.0.1:$2 lookup sif "${6:-thor}")
	read -r au as <<<"$(cpu $3)"
	echo "$((au - bu)) $((as - bs))" >>"$W/cpu.$1.$4"
	echo "$r"
}

# The callee "thor" has no account, as for a scanner's request: talkd
# decides on the site policy alone.  A talk client asks about a local user
# who has one, and then talkd also finds that user's ~/.talkrc pick
# (cached, watched): as root, the bench makes an account with a home and,
# for the alternating runs, no ~/.talkrc (one is added further down).
BU=""
if [ "$(id -u)" -eq 0 ]; then
	BU=talkbench
	getent passwd $BU >/dev/null || useradd -m -d /home/$BU -s /usr/sbin/nologin $BU
	BH=$(getent passwd $BU | cut -d: -f6)
	mkdir -p "$BH"; chown $BU: "$BH"; rm -f "$BH/.talkrc"
fi

# Warm-up: talkd's user CPU per request at 8 in flight, for udpecho -s.
# The responder's busy loop is then run the same way and scaled once so
# that its measured user time matches talkd's: /proc splits CPU time into
# user and system by sampling, and a busy loop that an interrupt lands in
# is charged for it, so NS nanoseconds of loop measure as more.
WU=200000
user_ns() {	# user_ns PID PORT: user CPU nanoseconds per request
	run "warm.$1" "$2" "$1" 8 $WU >/dev/null
	awk -v n=$WU -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", $1 * 1e9 / hz / n }' "$W/cpu.warm.$1.8"
}
UT=$(user_ns $TPID $PT)
PS=$(port); "$B/tools/udpecho" -s "$UT" 127.0.0.1:$PS & SPID=$!; pids="$pids $!"
ready 127.0.0.1:$PS || { echo "udpecho -s did not start"; exit 1; }
US=$(user_ns $SPID $PS)
SPIN=$(awk -v t="$UT" -v s="$US" 'BEGIN { printf "%.0f", (s > 0 ? t * t / s : t) }')
kill $SPID; wait $SPID 2>/dev/null; pids=${pids% $SPID}
PS=$(port); "$B/tools/udpecho" -s "$SPIN" 127.0.0.1:$PS & SPID=$!; pids="$pids $!"
PO=$(port); "$B/tools/udpecho" -b 1 127.0.0.1:$PO & OPID=$!; pids="$pids $!"
ready 127.0.0.1:$PS || { echo "udpecho -s did not start"; exit 1; }
ready 127.0.0.1:$PO || { echo "udpecho -b did not start"; exit 1; }

# Alternating repetitions: echo, echo -j, talkd, talkd for a callee with
# an account, GNU, echo -s, echo -b, then the other way round.
: >"$W/rates"
for rep in $(seq 1 "$REPS"); do
	for w in 1 8; do
		order="e j t u g s o"; [ $((rep % 2)) -eq 0 ] && order="o s g u t j e"
		e=0 j=0 t=0 u=0 g=0 s=0 o=0
		for who in $order; do
			case $who in
			e) e=$(run e $PE $EPID $w) ;;
			j) j=$(run j $PJ $JPID $w) ;;
			t) t=$(run t $PT $TPID $w) ;;
			u) [ -n "$BU" ] && u=$(run u $PT $TPID $w "" $BU) ;;
			g) [ -n "$GNU" ] && g=$(run g $PG $GPID $w) ;;
			s) s=$(run s $PS $SPID $w) ;;
			o) o=$(run o $PO $OPID $w) ;;
			esac
		done
		echo "$w $e $t $g $j $s $o $u" >>"$W/rates"
	done
done
# Microseconds of CPU per request over all repetitions: cpu_us WHO W
# [user|system] (both by default).
cpu_us() {
	awk -v n=$(($(nreq $2) * REPS)) -v hz="$(getconf CLK_TCK)" -v part="${3:-}" '
	    { t += part == "user" ? $1 : part == "system" ? $2 : $1 + $2 }
	    END { if (NR) printf "%.1f", t * 1e6 / hz / n; else print "n/a" }' "$W/cpu.$1.$2" 2>/dev/null || echo n/a
}
cpu_split() { echo "$(cpu_us $1 $2) ($(cpu_us $1 $2 user) + $(cpu_us $1 $2 system))"; }
col() {	# col W FIELD: the per-repetition values of an awk expression
	awk -v w="$1" '$1 == w { e = $2; t = $3; g = $4; j = $5; s = $6; o = $7; u = $8; print '"$2"' }' "$W/rates"
}
med_ratio() { col "$1" "($2 > 0 && $3 > 0) ? $2 / $3 : \"n/a\"" | median %.2f; }
med_rate() { col "$1" "$2" | median %.0f; }

# System calls per request in steady state: strace -c attached to the
# running daemon over a bounded run; the journal write is counted apart.
syscalls() {	# syscalls WINDOW -> "TOTAL_PER_REQ BEYOND_WRITE_PER_REQ"
	local n=5000 s i out=$W/strace.$1
	command -v strace >/dev/null || { echo "n/a n/a"; return; }
	strace -c -p "$TPID" -o "$out" 2>/dev/null & s=$!
	for i in $(seq 1 100); do
		[ "$(awk '/^TracerPid:/ {print $2}' /proc/$TPID/status)" != 0 ] && break
		sleep 0.05
	done
	"$B/tools/ntalk-load" -T 60 -n $n -w "$1" 127.0.0.1:$PT lookup sif thor >/dev/null
	kill -INT $s; wait $s 2>/dev/null
	# columns: % time, seconds, usecs/call, calls, [errors,] syscall
	awk -v n=$n '$NF == "total" { t = $4 } $NF == "write" { wr = $4 }
	    END { if (t) printf "%.2f %.2f", t / n, (t - wr) / n; else print "n/a n/a" }' "$out"
}
read -r sc1 scw1 <<<"$(syscalls 1)"
read -r sc8 scw8 <<<"$(syscalls 8)"

# 100,000 live invitations, then a callee with a 50-rule ~/.talkrc.
echo_f=$(load -n $N -w 1 127.0.0.1:$PE lookup sif thor)
ours0=$(load -n $N -w 1 127.0.0.1:$PT lookup sif thor)
fill_ours=$(load -n $FILL -p 100000 127.0.0.1:$PT invite filler someone)
ours1=$(load -n $N -w 1 127.0.0.1:$PT lookup sif thor)
if [ -n "$GNU" ]; then
	gnu0=$(load -n $N -w 1 127.0.0.1:$PG lookup sif thor)
	fill_gnu=$(load -n $FILL -p 100000 127.0.0.1:$PG invite filler someone)
	gnu1=$(load -n $N -w 1 127.0.0.1:$PG lookup sif thor)
fi

# A callee with a 50-rule ~/.talkrc: GNU talkd re-reads and recompiles it
# for every request; talkd compiles it once and checks its identity.
rss() { awk '/^VmRSS:/ {print $2}' /proc/$1/status 2>/dev/null; }
TR=""
if [ -n "$BU" ]; then
	for i in $(seq 1 49); do echo "deny ^nobody$i\$ 10.$i.0.0/16"; done >"$BH/.talkrc"
	echo 'allow ^thor$' >>"$BH/.talkrc"
	chown $BU: "$BH/.talkrc"; chmod 0644 "$BH/.talkrc"
	r0=$(rss $TPID)
	ours_rc=$(load -n $N -w 1 127.0.0.1:$PT lookup thor $BU)
	ours_grow=$(( $(rss $TPID) - r0 ))
	if [ -n "$GNU" ]; then
		g0=$(rss $GPID)
		gnu_rc=$(load -n $((N / 10)) -w 1 127.0.0.1:$PG lookup thor $BU)
		gnu_grow=$(( $(rss $GPID) - g0 ))
	fi
	TR=1
fi

row() { printf '%-38s %18s %18s\n' "$1" "${2:-}" "${3:-}"; }
echo "LOOK_UP, $N requests per run at 1 in flight and $N8 at 8, median of $REPS alternating repetitions; load: $(cut -d' ' -f1-3 /proc/loadavg)"
row "" "1 in flight" "8 in flight"
row "bare UDP responder, req/s" "$(med_rate 1 e)" "$(med_rate 8 e)"
row "talkd, req/s" "$(med_rate 1 t)" "$(med_rate 8 t)"
row "talkd / bare responder" "$(med_ratio 1 t e)" "$(med_ratio 8 t e)"
if [ -n "$BU" ]; then
	row "talkd, callee with an account, req/s" "$(med_rate 1 u)" "$(med_rate 8 u)"
	row "  / bare responder" "$(med_ratio 1 u e)" "$(med_ratio 8 u e)"
fi
row "responder + journal write, req/s" "$(med_rate 1 j)" "$(med_rate 8 j)"
row "  / bare responder" "$(med_ratio 1 j e)" "$(med_ratio 8 j e)"
row "talkd / responder + journal write" "$(med_ratio 1 t j)" "$(med_ratio 8 t j)"
if [ -n "$GNU" ]; then
	row "GNU talkd, req/s" "$(med_rate 1 g)" "$(med_rate 8 g)"
	row "GNU talkd / bare responder" "$(med_ratio 1 g e)" "$(med_ratio 8 g e)"
	row "talkd / GNU talkd" "$(med_ratio 1 t g)" "$(med_ratio 8 t g)"
else
	echo "GNU talkd: not available (apt-get download inetutils-talkd failed)"
fi
row "What moves the rate here:"
row "  + busy $SPIN ns per request / bare" "$(med_ratio 1 s e)" "$(med_ratio 8 s e)"
row "  1 datagram per call / bare" "$(med_ratio 1 o e)" "$(med_ratio 8 o e)"
row "  talkd / 1 datagram per call" "$(med_ratio 1 t o)" "$(med_ratio 8 t o)"
row "CPU us/request (user + system):"
row "  bare responder" "$(cpu_split e 1)" "$(cpu_split e 8)"
row "  responder + journal write" "$(cpu_split j 1)" "$(cpu_split j 8)"
row "  responder + busy loop" "$(cpu_split s 1)" "$(cpu_split s 8)"
row "  talkd" "$(cpu_split t 1)" "$(cpu_split t 8)"
[ -n "$BU" ] && row "  talkd, callee with an account" "$(cpu_split u 1)" "$(cpu_split u 8)"
row "  talkd / bare responder" "$(ratio "$(cpu_us t 1)" "$(cpu_us e 1)")" "$(ratio "$(cpu_us t 8)" "$(cpu_us e 8)")"
[ -n "$GNU" ] && row "  GNU talkd" "$(cpu_split g 1)" "$(cpu_split g 8)"
row "talkd system calls per request" "$sc1" "$sc8"
row "  of which not the journal write" "$scw1" "$scw8"
echo
printf '%-44s %10s\n' "measurement (LOOK_UP, 1 in flight)" "req/s"
printf '%-44s %10s\n' "bare UDP responder (baseline)" "$echo_f"
printf '%-44s %10s   %s x baseline\n' "talkd, empty table" "$ours0" "$(ratio "$ours0" "$echo_f")"
printf '%-44s %10s   %s x baseline, %s x its empty-table rate\n' "talkd, $FILL live invitations" "$ours1" "$(ratio "$ours1" "$echo_f")" "$(ratio "$ours1" "$ours0")"
printf '%-44s %10s\n' "talkd, LEAVE_INVITE while filling" "$fill_ours"
if [ -n "$GNU" ]; then
	printf '%-44s %10s   %s x baseline\n' "GNU talkd, empty table" "$gnu0" "$(ratio "$gnu0" "$echo_f")"
	printf '%-44s %10s   %s x its empty-table rate\n' "GNU talkd, $FILL live invitations" "$gnu1" "$(ratio "$gnu1" "$gnu0")"
	printf '%-44s %10s\n' "GNU talkd, LEAVE_INVITE while filling" "$fill_gnu"
	printf 'talkd / GNU talkd with %s live invitations: %s\n' "$FILL" "$(ratio "$ours1" "$gnu1")"
fi
if [ -n "$TR" ]; then
	printf '%-44s %10s   %s x its rate without, memory +%s kB\n' "talkd, callee with a 50-rule ~/.talkrc" "$ours_rc" "$(ratio "$ours_rc" "$ours1")" "$ours_grow"
	[ -n "$GNU" ] && printf '%-44s %10s   %s x its rate without, memory +%s kB over %s requests\n' "GNU talkd, callee with a 50-rule ~/.talkrc" "$gnu_rc" "$(ratio "$gnu_rc" "$gnu1")" "$gnu_grow" "$((N / 10))"
fi
exit 0
