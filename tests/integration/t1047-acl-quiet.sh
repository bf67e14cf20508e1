#!/bin/bash
# In steady state a request costs no look at the files that decide it:
# with ~/.talkrc unchanged (or absent), a private home, and /etc/passwd
# unchanged, a LOOK_UP or ANNOUNCE makes no open or stat of ~/.talkrc,
# of the home, of /etc/passwd or of the policy cache -- the daemon is told
# of changes by inotify instead.  strace -f watches the daemon and its
# opener over a bounded number of requests.
. "$(dirname "$0")/lib.sh"
need_root
command -v strace >/dev/null || skip_all "no strace (make deps-test installs it)"
plan 5
talkrc_users
rm -f "$H/.talkrc"
printf 'deny ^eve$\n' >"$HP/.talkrc"; chown $P: "$HP/.talkrc"; chmod 0644 "$HP/.talkrc"
trap 'rm -f "$HP/.talkrc"; _cleanup' EXIT
cat >"$T/policy.yaml" <<YAML
version: 1
site:
  - { id: everyone, action: allow }
YAML
"$B/talkctl" acl compile -o "$T/acl.cache" "$T/policy.yaml" >/dev/null
start_daemon --user nobody --acl-cache "$T/acl.cache" || exit 1
ans() { "$NTALK" 127.0.0.1:$PORT "$@" | field answer; }
# Warm up: the first request for each callee opens and watches.
ans lookup thor $U >/dev/null; ans lookup thor $P >/dev/null; ans lookup thor nosuchuser1 >/dev/null

strace -f -e trace=%file,%stat -o "$T/strace" -p "$DPID" 2>"$T/strace.err" &
SP=$!
_pids="$SP $_pids"
for i in $(seq 1 100); do grep -q 'attached' "$T/strace.err" 2>/dev/null && break; sleep 0.05; done
n0=$(wc -l <"$T/strace")	# what attaching did is not counted
miss=0
for i in $(seq 1 20); do
	[ "$(ans lookup thor $U)" = NOT_HERE ] || miss=$((miss + 1))
	[ "$(ans announce eve $P)" = FAILED ] || miss=$((miss + 1))
	[ "$(ans lookup thor $P)" = NOT_HERE ] || miss=$((miss + 1))
done
n1=$(wc -l <"$T/strace")
# The trace would have seen it: a change makes the next request look.
printf 'deny ^thor$\n' >"$H/.talkrc"; chown $U: "$H/.talkrc"
r=$(ans lookup thor $U)
for i in $(seq 1 100); do grep -q '\.talkrc' "$T/strace" && break; sleep 0.05; done
kill "$SP"; wait "$SP" 2>/dev/null
rm -f "$H/.talkrc"
tail -n +$((n0 + 1)) "$T/strace" | head -n $((n1 - n0)) >"$T/steady"
is "60 requests decided as the files say" "$miss" 0
is "no syscall named a ~/.talkrc or a home" "$(grep -acE "$H|$HP|\.talkrc" "$T/steady")" 0
is "none named /etc/passwd" "$(grep -ac '/etc/passwd' "$T/steady")" 0
is "none named the policy cache" "$(grep -ac 'acl.cache' "$T/steady")" 0
is "after an edit the next request opens the file (and the trace saw it)" \
    "$r $(tail -n +$((n1 + 1)) "$T/strace" | grep -ac "open.*$H/\.talkrc")" "FAILED 1"
sed 's/^/# other file syscall: /' "$T/steady" | head -5
finish
