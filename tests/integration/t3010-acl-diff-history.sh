#!/bin/bash
# talkctl acl diff --from-history: every distinct recorded (caller,
# callee, source) decided under both policies; the calls whose outcome
# changes, with the deciding rules; --fail-on-new-access exits 1 only
# when a recorded call would newly be allowed (for CI and Ansible).
. "$(dirname "$0")/lib-db.sh"
plan 12
cd "$T" || exit 1
D=$T/talkd.db
printf 'deny\t.*\tany\nallow\t^sif$\t192.168.1.0/24\n' >old.acl
printf 'deny\t.*\tany\nallow\t^sif$\t192.168.0.0/16\n' >new.acl
r() { printf '{"v":1,"run":"00000000000000f1","seq":%d,"ts":"2026-11-2%sZ","event":"%s","caller":"%s","callee":"sif"%s}\n' "$@"; }
{
	r 1 "5T10:00:00" announce.rung fenrir ',"src":"192.168.1.5:1000","tty":"pts/1","id":1,"answer":"SUCCESS"'
	r 2 "5T10:00:30" announce.rerung fenrir ',"src":"192.168.1.5:1000","tty":"pts/1","id":2,"answer":"SUCCESS"'
	r 3 "6T10:00:00" request.denied thor ',"type":"LOOK_UP","src":"192.168.2.9:2000","answer":"FAILED","rule":"old.acl:1","reason":"site-deny"'
	r 4 "6T10:00:00" request.denied thor ',"type":"ANNOUNCE","src":"192.168.2.9:2000","answer":"FAILED","rule":"old.acl:1","reason":"site-deny"'
	r 5 "7T10:00:00" request.denied odin ',"type":"ANNOUNCE","src":"10.1.2.0/24","answer":"FAILED","rule":"old.acl:1","reason":"site-deny"'
	r 6 "7T11:00:00" announce.refused loki ',"answer":"NOT_HERE"'
} >journal
"$TALKCTL" ingest --journal journal --db "$D" >/dev/null
d() { "$TALKCTL" acl diff --from-history --db "$D" "$@"; }

out=$(d old.acl new.acl); rc=$?
is "a recorded call changes: exit 1" "$rc" 1
like "the call, before and after, with the deciding rules" "$out" "sif thor 192.168.2.9: deny -> allow \\(site-deny by old.acl:1:1 / site-allow by new.acl:2:1\\)"
like "... how often and when it was recorded" "$out" "recorded 2 times, last 2026-11-26 10:00:00"
case "$out" in *fenrir*) false ;; *) true ;; esac; _result $? "a call allowed by both is not listed"
is "the summary" "$(echo "$out" | tail -1)" "1 of 3 recorded (caller, callee, source) change decision: 1 newly allowed, 0 newly denied; 1 without a source address not decided"
d --fail-on-new-access old.acl new.acl >/dev/null; is "--fail-on-new-access: newly allowed, exit 1" "$?" 1
d --fail-on-new-access new.acl old.acl >/dev/null; is "--fail-on-new-access: only newly denied, exit 0" "$?" 0
d new.acl old.acl >/dev/null; is "without it, any change is exit 1" "$?" 1
d --fail-on-new-access old.acl old.acl >/dev/null; is "no change: exit 0" "$?" 0
is "--since leaves older calls out" "$(d --since 2026-11-27 old.acl new.acl | tail -1)" "0 of 1 recorded (caller, callee, source) change decision: 0 newly allowed, 0 newly denied; 1 without a source address not decided"
"$TALKCTL" acl diff --since -1d old.acl new.acl >/dev/null 2>&1; is "--since without --from-history: exit 2" "$?" 2
printf 'deny\t.*\n bogus' >bad.acl
d bad.acl new.acl >/dev/null 2>&1; is "an invalid policy: exit 2" "$?" 2
finish
