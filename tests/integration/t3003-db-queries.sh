#!/bin/bash
# talkctl who-called, history, audit and prune on the fixture journal
# (tests/data/db/journal.fixture): human tables, --json checked with
# python3, time filters, ingest-before-query, usage errors.
. "$(dirname "$0")/lib-db.sh"
plan 35
J=$T/journal D=$T/talkd.db
cp "$SRC/tests/data/db/journal.fixture" "$J"
tc() { "$TALKCTL" "$@" --db "$D" --journal "$J"; }

out=$(tc who-called sif 2>"$T/err")
is "who-called ingests first and prints a table" "$out" "$(cat <<'X'
TIME                 CALLER     FROM               TTY    OUTCOME   DETAIL
2026-11-23 06:01:00  thor       127.0.0.1:40001    pts/3  answered
2026-11-23 06:10:00  loki       127.0.0.1:40003    pts/3  missed    rang 2 times
2026-11-23 06:20:00  odin       192.0.2.7:1024     pts/3  rung
2026-11-23 06:31:00  thor       127.0.0.1:40005           refused   mesg n
2026-11-23 06:32:00  fenrir     198.51.100.9:2000         denied    rule /etc/talkd/policy.yaml:deny-wolves (site-deny) on ANNOUNCE
2026-11-23 06:36:00  x\x1b[2Jy  127.0.0.1:40006    pts/3  rung
X
)"
is "no stderr" "$(cat "$T/err")" ""
tc who-called sif | grep -q $'\033'; _result $((!$?)) "no raw escape byte reaches the terminal"

tc who-called sif --json >"$T/who.json"
py() { python3 -c "$1" "$T/$2"; }
is "--json: one valid object per attempt" "$(py 'import json,sys; print(len([json.loads(l) for l in open(sys.argv[1])]))' who.json)" 6
is "--json outcomes" "$(py 'import json,sys; print(" ".join(json.loads(l)["outcome"] for l in open(sys.argv[1])))' who.json)" "answered missed rung refused denied rung"
is "--json keys" "$(py 'import json,sys; print(",".join(sorted(json.loads(open(sys.argv[1]).readline()))))' who.json)" "answer,callee,caller,detail,from,id,outcome,rings,rule,time,tty,type"
is "--json denied rule" "$(py 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])][4]; print(r["caller"], r["rule"], r["detail"])' who.json)" "fenrir /etc/talkd/policy.yaml:deny-wolves site-deny"
is "--json keeps the caller name exact (escaped as JSON)" "$(py 'import json,sys; print(repr([json.loads(l) for l in open(sys.argv[1])][5]["caller"]))' who.json)" "'x\\x1b[2Jy'"
is "refused: not logged in" "$(tc who-called baldr --json | python3 -c 'import json,sys; r=json.loads(sys.stdin.readline()); print(r["outcome"], r["detail"])')" "refused not logged in"

is "--since/--until (ISO, local and Z)" "$(tc who-called sif --since '2026-11-23 06:10' --until 2026-11-23T06:32:00Z | awk 'NR>1 {print $3}' | paste -sd,)" "loki,odin,thor"
is "--since -7d (relative) on old records" "$(tc who-called sif --since -7d | wc -l)" "$(if [ "$(date -u +%s)" -lt $((1795413600 + 7 * 86400)) ]; then echo 7; else echo 0; fi)"
is "a day: --since DATE --until DATE" "$(tc who-called sif --since 2026-11-23 --until 2026-11-24 | wc -l)" 7
tc who-called sif --since tomorrow >/dev/null 2>"$T/err"; r=$?
is "bad time: exit 2" "$r" 2
like "bad time: says what is accepted" "$(cat "$T/err")" 'bad time "tomorrow"'

tc history sif --json >"$T/hist.json"
is "history --json: one object per invitation" "$(py 'import json,sys; print(" ".join(str(json.loads(l)["ending"]) for l in open(sys.argv[1])))' hist.json)" "deleted expired refused"
is "history: lookup time and who" "$(py 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); print(r["looked_up"], r["looked_up_by"])' hist.json)" "2026-11-23T06:01:05.000Z sif"

tc audit --json >"$T/audit.json"
ok "audit --json is exactly the journal's records, in order" cmp "$T/audit.json" "$SRC/tests/data/db/journal.fixture"
is "audit: a header and a row per record" "$(tc audit | wc -l)" 25

# Pending records are ingested by the query itself.
printf '%s\n' '{"v":1,"run":"00000000000000a1","seq":25,"ts":"2026-11-23T06:38:00Z","event":"announce.refused","caller":"tyr","callee":"sif","src":"127.0.0.1:1","answer":"PERMISSION_DENIED"}' >>"$J"
like "who-called picks up a new record" "$(tc who-called sif | tail -1)" "tyr .* refused +mesg n$"
is "an unreadable journal is skipped silently" "$("$TALKCTL" who-called sif --db "$D" --journal "$T/none" 2>&1 | wc -l)" 8

# Root naming the user needs no passwd lookup before the query.
if [ "$(id -u)" -eq 0 ] && command -v strace >/dev/null; then
	strace -f -e trace=openat,connect -o "$T/strace" "$TALKCTL" who-called sif --db "$D" --journal "$J" >/dev/null
	is "root's who-called USER reads no passwd entry" "$(grep -cE 'passwd|nscd' "$T/strace")" 0
else
	_result 0 "root's who-called USER reads no passwd entry # SKIP not root, or no strace"
fi

tc who-called sif --bogus >/dev/null 2>&1; is "unknown option: exit 2" "$?" 2
tc who-called a b >/dev/null 2>&1; is "two users: exit 2" "$?" 2
"$TALKCTL" who-called --since >/dev/null 2>"$T/err"; is "missing option argument: exit 2" "$?" 2
like "... and says which" "$(head -1 "$T/err")" "missing argument for: --since"
like "-h: the usage on stdout, exit 0" "$("$TALKCTL" history -h; echo "rc=$?")" "^usage: talkctl history .*rc=0$"
"$TALKCTL" prune --db "$D" >/dev/null 2>&1; is "prune without --older-than: exit 2" "$?" 2
ok "before prune the caller's name is in the database files" grep -qa fenrir "$D" "$D-wal"
like "prune --older-than 0 removes everything" "$("$TALKCTL" prune --older-than 0 --db "$D")" "^prune: removed 25 records and 0 rejected lines older than 0 days from the database, 25 records from 1 journal files$"
is "and the database is empty (records, and the texts they used)" "$(sql "$D" 'SELECT (SELECT count(*) FROM rec) + (SELECT count(*) FROM strs WHERE id NOT IN (SELECT node FROM runs))')" 0
not_ok "... and so are the journal files" grep -qa fenrir "$T"/journal*
not_ok "... and its bytes are gone from the files (secure_delete, VACUUM, WAL truncated)" grep -qa fenrir "$D" "$D-wal"

# DEL and C1 controls (a daemon writes a byte 0x9b as \u009b) stay escaped
# in --json output, as C0 controls do.
printf '%s\n' '{"v":1,"run":"00000000000000f2","seq":1,"ts":"2026-11-23T06:38:00Z","event":"announce.refused","caller":"c\u009b\u007f\u001b","callee":"sif","src":"127.0.0.1:1","answer":"NOT_HERE"}' >"$T/j3"
"$TALKCTL" who-called sif --json --db "$T/d3.db" --journal "$T/j3" >"$T/c1.json"
LC_ALL=C grep -q $'[\x7f\x80-\xff]' "$T/c1.json"; _result $((!$?)) "--json: no raw DEL or C1 bytes"
is "--json: the name decodes exactly" "$(py 'import json,sys; print(ascii(json.loads(open(sys.argv[1]).readline())["caller"]))' c1.json)" "'c\x9b\x7f\x1b'"

# The wire carries 12 bytes of a name; a longer user name is matched by those.
printf '%s\n' '{"v":1,"run":"00000000000000f1","seq":1,"ts":"2026-11-23T06:38:00Z","event":"announce.refused","caller":"thor","callee":"averylongnam","src":"127.0.0.1:1","answer":"NOT_HERE"}' >"$T/j2"
like "a 15-byte user name finds calls to its first 12 bytes" "$("$TALKCTL" who-called averylongname12 --db "$T/d2.db" --journal "$T/j2" | tail -1)" "thor .* refused +not logged in$"
finish
