#!/bin/bash
# One journal record per request, whatever the request does: each request
# type and each of its outcomes (stored, refreshed, refused, hit, miss,
# deleted, rung, re-rung, duplicate, refused at the tty, denied by the
# site policy) adds exactly one line to the journal, with the event that
# outcome names, by the time its reply arrives.  An invitation that makes
# room by evicting an older one (the per-source cap) adds the eviction's
# own record before its own: that record is about the entry that ended.
# invite.refused (a sender that is not local) is t1030's, across hosts.
. "$(dirname "$0")/lib.sh"
need_root
plan 28
ensure_user talkit1 || { echo "Bail out! cannot create test users"; exit 1; }
: >"$T/utmp"
hold_tty TTY talkit1
cat >"$T/policy.yaml" <<YAML
version: 1
site:
  - { id: no-far, action: deny, users: [talkit1], from: [127.0.0.2/32] }
YAML
"$B/talkctl" acl compile -o "$T/acl.cache" "$T/policy.yaml" >/dev/null
# One entry per source: a second invitation from one address evicts the first.
start_daemon --user nobody --max-per-source 1 --acl-cache "$T/acl.cache" || exit 1
J=$T/journal

lines() { wc -l <"$J"; }
# once EVENT CMD...: CMD adds exactly one record, and it is EVENT.
once() {
	local ev=$1 before after
	shift
	before=$(lines)
	"$@" >"$T/reply"
	after=$(lines)
	is "$ev: exactly one record" "$((after - before))" 1
	is "$ev: the record names it" "$(tail -n 1 "$J" | sed -n 's/.*"event":"\([^"]*\)".*/\1/p')" "$ev"
}

once invite.left send invite alice bob pid=1
id=$(field id <"$T/reply")
once invite.left send invite alice bob pid=1
once invite.left send_from 127.0.0.3 invite carol bob pid=2
before=$(wc -l <"$J")
send_from 127.0.0.3 invite carol bob pid=3 >"$T/reply"
is "evicting: two records" "$(( $(wc -l <"$J") - before ))" 2
is "evicting: the first is invite.evicted, the last invite.left" \
    "$(tail -n 2 "$J" | sed -n 's/.*"event":"\([^"]*\)".*/\1/p' | tr '\n' ' ')" "invite.evicted invite.left "
once lookup.hit send lookup bob alice
once lookup.miss send lookup bob nobody2
once delete.miss send_from 127.0.0.2 delete x y id=$id
once invite.deleted send delete x y id=$id
once announce.rung send announce thor talkit1 pid=7 id=0xffffffff
aid=$(field id <"$T/reply")
once announce.duplicate send announce thor talkit1 pid=7 id=0
once announce.rerung send announce thor talkit1 pid=7 id=$((aid + 1))
once announce.refused send announce thor nosuchuser9
once request.denied send_from 127.0.0.2 announce thor talkit1
once request.denied send_from 127.0.0.2 lookup thor talkit1
stop_daemon
finish
