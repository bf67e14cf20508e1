#!/bin/bash
# A hostile ~/.talkrc cannot stall the daemon (issue 9, SPEC section 4):
# while one client keeps sending LOOK_UPs naming a user whose ~/.talkrc
# is 1,000 patterns that backtrack without end, another client's
# requests are each answered within 100 ms (an explicit latency bound;
# the worst delay is printed), and the hostile requests are answered
# FAILED, journaled as budget-exceeded with the ~/.talkrc file:line.
# A file of 1,001 rules is over the ~/.talkrc limit: bad-talkrc.
. "$(dirname "$0")/lib.sh"
need_root
plan 9
U=talkbud1
getent passwd $U >/dev/null || useradd -m -d /home/$U -s /usr/sbin/nologin $U || { echo "Bail out! useradd"; exit 1; }
ensure_user talkbud2 || { echo "Bail out! useradd"; exit 1; }
H=$(getent passwd $U | cut -d: -f6)
mkdir -p "$H" && chown $U: "$H" && chmod 0755 "$H"
rc=$H/.talkrc
trap 'rm -f "$rc"; _cleanup' EXIT
hostile() {	# hostile N: N rules that backtrack without end on aaaaaaaaaac
	rm -f "$rc"
	yes 'allow \(a*\)\{1,30\}\1bc' | head -"$1" >"$rc"
	chown $U: "$rc"; chmod 0644 "$rc"
}
ans() { echo "$1" | field answer; }
hostile 1000

start_daemon --user nobody || exit 1

is "the hostile request is answered FAILED" \
    "$(ans "$(send lookup aaaaaaaaaac $U)")" FAILED
grep -q "\"caller\":\"aaaaaaaaaac\".*\"rule\":\"[^\"]*/.talkrc:[0-9]*:[0-9]*\",\"reason\":\"budget-exceeded\"" "$T/journal"
_result $? "journaled as budget-exceeded with the ~/.talkrc file:line"
grep "budget-exceeded" "$T/journal" | head -1 | sed 's/^/# /'

# The hostile client: LOOK_UPs naming $U, 4 in flight, bounded in count
# and time; meanwhile 200 requests for another user, one at a time.
"$B/tools/ntalk-load" -n 20000 -w 4 -T 15 127.0.0.1:$PORT lookup \
    aaaaaaaaaac $U >"$T/load.out" 2>&1 &
LPID=$!
_pids="$_pids $LPID"
sleep 0.2
lat=$("$B/tools/ntalk-load" -L 1000 -n 200 127.0.0.1:$PORT lookup thor talkbud2)
kill -0 $LPID 2>/dev/null; _result $? "the hostile load was still running at the end"
kill $LPID 2>/dev/null; wait $LPID 2>/dev/null
echo "# normal client under load: $lat"
max=$(echo "$lat" | sed -n 's/.*max_ms=\([0-9.]*\).*/\1/p')
lost=$(echo "$lat" | sed -n 's/.*lost=\([0-9]*\).*/\1/p')
is "no normal request lost under the hostile load" "$lost" 0
awk -v m="$max" 'BEGIN { exit !(m != "" && m < 100) }'
_result $? "every normal request answered within 100 ms (worst $max ms)"
# In full, or counted under a flood (talkd(8), FLOODS) once the window's
# calm allowance is spent: the counted records name the hostile caller.
n=$(grep -c '"reason":"budget-exceeded"' "$T/journal")
n=$((n + $(grep '"event":"flood.counted"' "$T/journal" | grep '"caller":"aaaaaaaaaac"' |
    sed -n 's/.*"count":\([0-9]*\).*/\1/p' | awk '{ c += $1 } END { print c + 0 }')))
like "the hostile requests were decided and denied ($n journaled)" "$n" '^[1-9][0-9][0-9]+$'
unlike_allowed=$(grep "\"caller\":\"aaaaaaaaaac\"" "$T/journal" | grep -c '"event":"request.allowed"')
is "none of them was allowed" "$unlike_allowed" 0

# Over the ~/.talkrc rule limit (1,000), though not over 64 KiB: the whole
# file is refused, even rules that would allow.  (2,700 copies of the
# hostile rule are over 64 KiB too.)
rm -f "$rc"; yes 'allow .*' | head -1001 >"$rc"; chown $U: "$rc"; chmod 0644 "$rc"
is "1,001 rules: FAILED" "$(ans "$(send lookup thor $U)")" FAILED
grep -q "\"caller\":\"thor\".*\"reason\":\"bad-talkrc\"" "$T/journal"
_result $? "journaled as bad-talkrc"
grep "\"caller\":\"thor\"" "$T/journal" | tail -1 | sed "s/^/# /"
finish
