#!/bin/bash
# make bench: request rates of talkd against baselines measured in the same
# run -- a bare UDP responder (the ceiling) and GNU inetutils talkd (the
# daemon people run today, taken from Debian's package without installing
# it, so no inetd is started) -- with an empty table and with 100,000 live
# invitations.  Prints rates and ratios; absolute numbers mean little on a
# shared machine, ratios within one run do.  Bounded: every load has a
# request count and a time limit.
set -u
B=${TALKD_BUILD:?run through make}
N=${BENCH_REQUESTS:-20000}
FILL=${BENCH_FILL:-100000}
W=$(mktemp -d /tmp/talkd-bench.XXXXXX)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"' EXIT
port() { echo $((20000 + RANDOM % 30000)); }
rate() { sed -n 's/.*rate=\([0-9]*\).*/\1/p'; }
load() { "$B/tools/ntalk-load" -T 60 "$@" | tee -a "$W/load.log" | rate; }
ready() { for i in $(seq 1 50); do "$B/tools/ntalk" -w 100 "$1" lookup p p >/dev/null 2>&1 && return 0; done; return 1; }

# GNU talkd from its .deb, unpacked into the work dir.
GNU=""
if (cd "$W" && apt-get download -qq inetutils-talkd >/dev/null 2>&1); then
	dpkg -x "$W"/inetutils-talkd_*.deb "$W/gnu" && GNU=$W/gnu/usr/sbin/talkd
	[ -x "$GNU" ] || GNU=$(find "$W/gnu" -name 'talkd' -type f | head -1)
fi

P=$(port); "$B/tools/udpecho" 127.0.0.1:$P & pids="$pids $!"; sleep 0.2
echo_rate=$(load -n $N 127.0.0.1:$P lookup a b)

P2=$(port)
"$B/talkd" --foreground --listen 127.0.0.1:$P2 --journal "$W/journal" --utmp "$W/utmp" \
    --max-invites $((FILL + 1000)) --max-per-source $((FILL + 1000)) --user nobody 2>"$W/talkd.log" &
pids="$pids $!"; ready 127.0.0.1:$P2 || { echo "talkd did not start"; cat "$W/talkd.log"; exit 1; }
ours0=$(load -n $N 127.0.0.1:$P2 lookup sif thor)
fill_ours=$(load -n $FILL -p 100000 127.0.0.1:$P2 invite filler someone)
ours1=$(load -n $N 127.0.0.1:$P2 lookup sif thor)

if [ -n "$GNU" ]; then
	P3=$(port)
	"$B/tools/sockexec" inetd 127.0.0.1:$P3 "$GNU" -i 600 & pids="$pids $!"
	ready 127.0.0.1:$P3 || GNU=""
fi
if [ -n "$GNU" ]; then
	gnu0=$(load -n $N 127.0.0.1:$P3 lookup sif thor)
	fill_gnu=$(load -n $FILL -p 100000 127.0.0.1:$P3 invite filler someone)
	gnu1=$(load -n $N 127.0.0.1:$P3 lookup sif thor)
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
printf '%-44s %10s\n' "measurement (LOOK_UP, $N requests)" "req/s"
printf '%-44s %10s\n' "bare UDP responder (baseline)" "$echo_rate"
printf '%-44s %10s   %s x baseline\n' "talkd, empty table" "$ours0" "$(ratio "$ours0" "$echo_rate")"
printf '%-44s %10s   %s x baseline, %s x its empty-table rate\n' "talkd, $FILL live invitations" "$ours1" "$(ratio "$ours1" "$echo_rate")" "$(ratio "$ours1" "$ours0")"
printf '%-44s %10s\n' "talkd, LEAVE_INVITE while filling" "$fill_ours"
if [ -n "$GNU" ]; then
	printf '%-44s %10s   %s x baseline\n' "GNU talkd, empty table" "$gnu0" "$(ratio "$gnu0" "$echo_rate")"
	printf '%-44s %10s   %s x its empty-table rate\n' "GNU talkd, $FILL live invitations" "$gnu1" "$(ratio "$gnu1" "$gnu0")"
	printf '%-44s %10s\n' "GNU talkd, LEAVE_INVITE while filling" "$fill_gnu"
	printf 'talkd / GNU talkd with %s live invitations: %s\n' "$FILL" "$(ratio "$ours1" "$gnu1")"
else
	echo "GNU talkd: not available (apt-get download inetutils-talkd failed)"
fi
