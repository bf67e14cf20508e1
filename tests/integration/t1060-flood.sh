#!/bin/bash
# Issue 9, part 2: a flood of LEAVE_INVITEs with distinct pids from 512
# local addresses (127.10.0.0/23) fills the table; a real user's own
# LEAVE_INVITE from 127.0.0.1 still succeeds, another host's LOOK_UP finds
# it, and it survives a second flood (the flood pays for its own entries).
. "$(dirname "$0")/lib.sh"
plan 10
start_daemon --user nobody --max-invites 4096 || exit 1

out=$("$B/tools/ntalk-flood" -n 100000 -a 512 -w 64 -T 120 127.10.0.0 \
    127.0.0.1:$PORT flood victim)
echo "# flood 1: $out"
sent=$(echo "$out" | field sent)
success=$(echo "$out" | field success)
is "the flood sent 100000 LEAVE_INVITEs" "$sent" 100000
[ "${success:-0}" -gt 90000 ]; _result $? "a full table keeps answering SUCCESS ($success of $sent)"

r=$(send invite me you pid=4242)
is "then a user's LEAVE_INVITE from 127.0.0.1: SUCCESS" "$(echo "$r" | field answer)" SUCCESS
id=$(echo "$r" | field id)
r=$(send_from 127.0.0.2 lookup you me)
is "a LOOK_UP from another address finds it" "$(echo "$r" | field answer)" SUCCESS
lid=$(echo "$r" | field id)
[ "${id:-0}" != 0 ] && [ "$lid" = "$id" ]; _result $? "with its id ($id)"

out=$("$B/tools/ntalk-flood" -n 20000 -a 512 -w 64 -T 120 -p 200000 \
    127.10.0.0 127.0.0.1:$PORT flood victim)
echo "# flood 2: $out"
r=$(send_from 127.0.0.2 lookup you me)
is "after another 20000 the invitation is still there" "$(echo "$r" | field answer)$(echo "$r" | field id)" "SUCCESS$id"
r=$(send invite me you pid=4242)
lid=$(echo "$r" | field id)
[ "${id:-0}" != 0 ] && [ "$lid" = "$id" ]; _result $? "and the user's refresh keeps its id"

# Every eviction is accounted for, in full or counted (flood.c), and the
# journal grows at a bounded rate: 120,000 requests, 120,000 evictions.
# Stopping the daemon writes the counts of the window still open.
stop_daemon
full=$(grep -c '"event":"invite.evicted"' "$T/journal")
counted=$(grep '"event":"flood.counted"' "$T/journal" | grep '"reason":"invite.evicted"' |
    sed -n 's/.*"count":\([0-9]*\).*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
[ $((full + counted)) -gt 100000 ]; _result $? "the flood's evictions are accounted for ($full in full, $counted counted)"
me=$(grep -E '"event":"(invite.evicted|flood.counted)"' "$T/journal" | grep -c '"src":"127\.0\.0\.1:')
is "none of them is the user's" "$me" 0
records=$(wc -l <"$T/journal")
[ "$records" -lt 20000 ]; _result $? "the journal holds $records records for 240,000 events, not one each"
echo "# journal: $(wc -c <"$T/journal") bytes, $(wc -l <"$T/journal") records"
finish
