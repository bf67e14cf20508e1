#!/bin/bash
# A request that got an answer has its record, even when the daemon is
# killed (talkd(8), Implementation notes): a batch's records are written
# before its replies are sent.  strace kills the daemon as it enters its
# next journal write, and the write is not made.  The request of that
# batch must then get no answer, and every request that did get one has
# its record.  A daemon that answered first would answer that request and
# lose its record.
. "$(dirname "$0")/lib.sh"
need_root
command -v strace >/dev/null || skip_all "no strace (make deps-test installs it)"
plan 5
start_daemon --user nobody || exit 1
J=$T/journal
looked() { grep -c '"type":"LOOK_UP","caller":"sif"' "$J"; }

answered=0
for i in 1 2 3; do
	[ "$(send lookup sif thor | field answer)" = NOT_HERE ] && answered=$((answered + 1))
done
is "three requests answered before the kill" "$answered" 3

strace -f -p "$DPID" -P "$J" -e trace=write \
    -e inject=write:error=EIO:signal=KILL:when=1 -o "$T/strace" 2>"$T/strace.err" &
SP=$!
_pids="$SP $_pids"
for i in $(seq 1 100); do grep -q 'attached' "$T/strace.err" 2>/dev/null && break; sleep 0.05; done
r=$("$NTALK" -w 1500 127.0.0.1:$PORT lookup sif thor)
for i in $(seq 1 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.05; done
wait "$SP" 2>/dev/null
case $r in *answer=*) answered=$((answered + 1)) ;; esac
not_ok "the daemon was killed at its journal write" kill -0 "$DPID"
is "strace stopped it entering a write of a record" \
    "$(grep -c 'write([0-9]*, "{\\"v\\":1,.* = ?$' "$T/strace") $(grep -c 'killed by SIGKILL' "$T/strace")" "1 1"
is "the request of the killed batch got no answer" "$r" "timeout"
is "every answered request has its record" "$(looked)" "$answered"
grep -v '^$' "$T/strace" | sed 's/^/# strace: /' | tail -3
finish
