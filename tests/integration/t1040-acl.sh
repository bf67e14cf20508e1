#!/bin/bash
# Access control in the real daemon: a compiled cache decides per source
# address (127.0.0.1 vs 127.0.0.2); a new cache is picked up without a
# restart and a corrupt one leaves the last good policy; ~/.talkrc in a
# private home is honoured from the next request after an edit; symlinked
# or group-writable files deny everyone; -S; talkctl simulate agrees.
# An allowed ANNOUNCE to a user with no session answers NOT_HERE, a denied
# one FAILED: the denied caller learns nothing more.
. "$(dirname "$0")/lib.sh"
need_root
plan 25
U=talkacl1
getent passwd $U >/dev/null || useradd -m -d /home/$U -s /usr/sbin/nologin $U || { echo "Bail out! useradd"; exit 1; }
H=$(getent passwd $U | cut -d: -f6)
mkdir -p "$H" && chown $U: "$H" && chmod 0700 "$H"	# a private home
rc=$H/.talkrc
rm -f "$rc"
trap 'rm -f "$rc"; _cleanup' EXIT
TC=$B/talkctl
ans() { echo "$1" | field answer; }

cat >"$T/policy.yaml" <<YAML
version: 1
site:
  - { id: lab-blocked, action: deny, users: [$U], from: [127.0.0.2/32] }
YAML
"$TC" acl compile -o "$T/acl.cache" "$T/policy.yaml" >/dev/null
start_daemon --user nobody --acl-cache "$T/acl.cache" || exit 1

is "allowed source: the request goes on (NOT_HERE: no session)" "$(ans "$(send announce thor $U)")" NOT_HERE
is "denied source 127.0.0.2: FAILED" "$(ans "$(send_from 127.0.0.2 announce thor $U)")" FAILED
grep -qE '"event":"request.denied".*"src":"127.0.0.2:[0-9]*".*"rule":"[^"]*/policy\.yaml:3:[0-9]+ \[lab-blocked\]","reason":"site-deny"' "$T/journal"
_result $? "the denial is journaled with the deciding rule, as libacl names it"
is "LOOK_UP is decided too: FAILED from 127.0.0.2" "$(ans "$(send_from 127.0.0.2 lookup thor $U)")" FAILED
is "another callee from 127.0.0.2 is not affected" "$(ans "$(send_from 127.0.0.2 announce thor root)")" NOT_HERE

# ~/.talkrc in the private home, edited between requests.
printf 'deny ^mallory$\n' >"$rc"; chown $U: "$rc"; chmod 0644 "$rc"
is ".talkrc deny for mallory: FAILED" "$(ans "$(send announce mallory $U)")" FAILED
is ".talkrc: thor still allowed" "$(ans "$(send announce thor $U)")" NOT_HERE
printf 'deny ^mallory$\ndeny ^thor$\n' >"$rc"
is "an edit counts from the next request" "$(ans "$(send announce thor $U)")" FAILED
printf 'allow .*\n' >"$rc"
is "and the next edit too" "$(ans "$(send announce thor $U)")" NOT_HERE
chmod 0664 "$rc"
is "group-writable .talkrc: deny-all" "$(ans "$(send announce thor $U)")" FAILED
grep -q '"caller":"thor".*"reason":"insecure-talkrc"' "$T/journal"; _result $? "journaled as insecure-talkrc"
chmod 0644 "$rc"; mv "$rc" "$H/real"; ln -s "$H/real" "$rc"
is "symlinked .talkrc: deny-all" "$(ans "$(send announce thor $U)")" FAILED
rm -f "$rc" "$H/real"
is "no .talkrc: default allow" "$(ans "$(send announce thor $U)")" NOT_HERE

# A user allow overrides a site deny (documented semantics, non-strict).
printf 'allow ^thor$ 127.0.0.2\n' >"$rc"; chown $U: "$rc"; chmod 0644 "$rc"
is "site deny overridden by the user's matching allow" "$(ans "$(send_from 127.0.0.2 announce thor $U)")" NOT_HERE
is "but not for a caller the allow does not match" "$(ans "$(send_from 127.0.0.2 announce eve $U)")" FAILED
out=$("$TC" simulate $U 127.0.0.2 --caller thor --cache "$T/acl.cache" 2>/dev/null); s=$?
is "talkctl simulate agrees with the daemon (allowed, exit 0)" "$s" 0
like "and names the reason" "$out" "user-override"
rm -f "$rc"

# A new cache is picked up without a restart; a corrupt one is not.
cat >"$T/policy2.yaml" <<YAML
version: 1
site:
  - { id: all-blocked, action: deny, match: ".", from: [any] }
YAML
"$TC" acl compile -o "$T/acl.cache" "$T/policy2.yaml" >/dev/null
ok "a recompiled cache is in force within seconds" bash -c "for i in \$(seq 1 40); do [ \"\$('$NTALK' 127.0.0.1:$PORT announce thor $U | sed -n 's/.*answer=\([A-Z_]*\).*/\1/p')\" = FAILED ] && exit 0; sleep 0.1; done; exit 1"
head -c 40 "$T/acl.cache" >"$T/bad.cache"; mv "$T/bad.cache" "$T/acl.cache"
sleep 1.5
is "a corrupt cache leaves the last good policy in force" "$(ans "$(send announce thor $U)")" FAILED
grep -q "keeping the last good site policy" "$T/daemon.log"; _result $? "and says so in the log"
stop_daemon

"$B/talkd" --foreground --listen 127.0.0.1:$PORT --acl-cache "$T/acl.cache" --journal "$T/j2" --user nobody 2>"$T/start.log"
is "a daemon told to use a corrupt cache refuses to start" "$?" 1

"$TC" acl compile -o "$T/empty.cache" >/dev/null
start_daemon --user nobody --acl-cache "$T/empty.cache" -S || exit 1
is "-S with no allow rule: everything denied" "$(ans "$(send announce thor $U)")" FAILED
stop_daemon

# Fail closed: a daemon not started as root has no opener and cannot
# search the private home, so it cannot tell what ~/.talkrc says; it must
# deny rather than take the file as absent.
ND=$T/nobody-run; mkdir -p "$ND"; chown nobody "$ND"
printf 'allow .*\n' >"$rc"; chown $U: "$rc"; chmod 0644 "$rc"
NP=$((PORT + 1))
runuser -u nobody -- "$B/talkd" --foreground --listen 127.0.0.1:$NP --journal "$ND/journal" \
    --utmp "$T/utmp" --state-dir "$ND" 2>"$ND/log" &
_pids="$_pids $!"
for i in $(seq 1 50); do "$NTALK" -w 100 127.0.0.1:$NP lookup p p >/dev/null 2>&1 && break; done
r=$("$NTALK" 127.0.0.1:$NP announce thor $U | field answer)
is "unreadable ~/.talkrc (no opener, private home): FAILED" "$r" FAILED
grep -q '"reason":"unreadable-talkrc"' "$ND/journal"; _result $? "journaled as unreadable-talkrc"
r=$("$NTALK" 127.0.0.1:$NP announce thor nobody | field answer)
is "a callee whose file is simply absent is not denied" "$r" NOT_HERE
finish
