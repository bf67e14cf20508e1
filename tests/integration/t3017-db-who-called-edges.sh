#!/bin/bash
# who-called on the corners of its rows, as the query in SQL wrote them
# before it moved to C (db_who.c): the expected tables are that query's
# output.  Two hosts (a HOST column), names with quotes, backslashes,
# controls and UTF-8, a source that is a /24 or absent, an attempt of
# duplicates only, denials of two request types, times across both DST
# changes of Europe/Berlin, after 2038 (SQLite's own local-time range) and
# at 9999-12-31 (no local time at all); then a call still ringing.
. "$(dirname "$0")/lib-db.sh"
plan 4
J=$T/journal D=$T/talkd.db
cat >"$J" <<'X'
{"v":1,"run":"00000000000000b1","seq":1,"ts":"2026-03-29T00:59:59.000000Z","node":"alpha","event":"announce.rung","caller":"a\"b\\c","callee":"u1","src":"10.0.0.1:1000","tty":"pts/1","id":1,"answer":"SUCCESS","host":"h"}
{"v":1,"run":"00000000000000b1","seq":2,"ts":"2026-03-29T01:00:01.000000Z","node":"alpha","event":"announce.rerung","caller":"a\"b\\c","callee":"u1","src":"10.0.0.1:1000","tty":"pts/2","id":2,"answer":"SUCCESS","host":"h"}
{"v":1,"run":"00000000000000b1","seq":3,"ts":"2026-03-29T01:00:02.000000Z","node":"alpha","event":"lookup.hit","caller":"u1","callee":"a\"b\\c","src":"127.0.0.1:5","id":2,"answer":"SUCCESS"}
{"v":1,"run":"00000000000000b1","seq":4,"ts":"2026-03-08T06:59:59.999999Z","node":"alpha","event":"announce.duplicate","caller":"x\u0001\u007f\u00e9y","callee":"u1","src":"10.0.0.2:1","id":7,"answer":"SUCCESS"}
{"v":1,"run":"00000000000000b1","seq":5,"ts":"2040-06-01T12:00:00.5Z","node":"alpha","event":"request.denied","type":"ANNOUNCE","caller":"z","callee":"u1","src":"10.1.2.0/24","answer":"FAILED"}
{"v":1,"run":"00000000000000b1","seq":6,"ts":"2040-06-01T12:00:10Z","node":"alpha","event":"request.denied","type":"LOOK_UP","caller":"z","callee":"u1","src":"10.1.2.0/24","answer":"FAILED","rule":"r1","reason":"site-deny"}
{"v":1,"run":"00000000000000b1","seq":7,"ts":"2026-10-25T00:30:00Z","node":"alpha","event":"announce.refused","caller":"q","callee":"u1","answer":"FAILED","reason":"tty"}
{"v":1,"run":"00000000000000b2","seq":1,"ts":"2026-10-25T01:30:00Z","node":"beta","event":"announce.refused","caller":"q","callee":"u1","src":"1.2.3.4:9","answer":"NOT_HERE"}
{"v":1,"run":"00000000000000b2","seq":2,"ts":"2026-10-25T01:35:00.000000Z","node":"beta","event":"announce.rung","caller":"r","callee":"u1","src":"1.2.3.4:9","tty":"pts/3","id":3,"answer":"SUCCESS"}
{"v":1,"run":"00000000000000b2","seq":3,"ts":"2026-10-25T01:40:00Z","node":"beta","event":"announce.rung","caller":"s","callee":"u1","src":"1.2.3.4:10","answer":"SUCCESS"}
{"v":1,"run":"00000000000000b2","seq":4,"ts":"2026-10-25T01:40:03Z","node":"beta","event":"invite.left","caller":"u1","callee":"s","src":"127.0.0.1:10","id":4,"new":true,"answer":"SUCCESS"}
{"v":1,"run":"00000000000000b2","seq":5,"ts":"2026-10-25T01:50:00Z","node":"beta","event":"announce.rung","caller":"s","callee":"u1","src":"1.2.3.4:11","answer":"SUCCESS"}
{"v":1,"run":"00000000000000b2","seq":6,"ts":"2026-10-25T01:50:03Z","node":"beta","event":"invite.left","caller":"s","callee":"u1","src":"127.0.0.1:10","id":5,"new":true,"answer":"SUCCESS"}
{"v":1,"run":"00000000000000b2","seq":7,"ts":"2099-12-31T23:59:59Z","node":"beta","event":"announce.refused","caller":"q","callee":"u1","src":"1.2.3.4:9","answer":"PERMISSION_DENIED"}
{"v":1,"run":"00000000000000b2","seq":8,"ts":"9999-12-31T23:59:59Z","node":"beta","event":"announce.refused","caller":"q","callee":"u1","src":"1.2.3.4:9","answer":"WHATEVER"}
X
export TZ='CET-1CEST,M3.5.0,M10.5.0/3'	# Europe/Berlin, without tzdata
tc() { "$TALKCTL" "$@" --db "$D" --journal "$J"; }
is "the table" "$(tc who-called u1 2>&1)" "$(cat <<'X'
TIME                 HOST   CALLER              FROM           TTY    OUTCOME   DETAIL
2026-03-08 07:59:59  alpha  x\x01\x7f\xc3\xa9y  10.0.0.2:1            denied    rule default (denied)
2026-03-29 01:59:59  alpha  a"b\\c              10.0.0.1:1000  pts/2  answered  rang 2 times
2026-10-25 02:30:00  alpha  q                                         refused   tty
2026-10-25 02:30:00  beta   q                   1.2.3.4:9             refused   not logged in
2026-10-25 02:35:00  beta   r                   1.2.3.4:9      pts/3  rung
2026-10-25 02:40:00  beta   s                   1.2.3.4:10            rung
2026-10-25 02:50:00  beta   s                   1.2.3.4:11            missed
2040-06-01 14:00:00  alpha  z                   10.1.2.0/24           denied    rule r1 (site-deny) on ANNOUNCE,LOOK_UP
2100-01-01 00:59:59  beta   q                   1.2.3.4:9             refused   mesg n
                     beta   q                   1.2.3.4:9             refused   WHATEVER
X
)"
is "--json" "$(tc who-called u1 --json 2>&1)" "$(cat <<'X'
{"time":"2026-03-08T06:59:59.999999Z","host":"alpha","caller":"x\u0001\u007féy","from":"10.0.0.2:1","callee":"u1","tty":null,"outcome":"denied","detail":"denied","rule":"default","type":null,"answer":null,"id":7,"rings":0}
{"time":"2026-03-29T00:59:59.000000Z","host":"alpha","caller":"a\"b\\c","from":"10.0.0.1:1000","callee":"u1","tty":"pts/2","outcome":"answered","detail":null,"rule":null,"type":"ANNOUNCE","answer":"SUCCESS","id":2,"rings":2}
{"time":"2026-10-25T00:30:00.000000Z","host":"alpha","caller":"q","from":null,"callee":"u1","tty":null,"outcome":"refused","detail":"tty","rule":null,"type":"ANNOUNCE","answer":"FAILED","id":null,"rings":0}
{"time":"2026-10-25T01:30:00.000000Z","host":"beta","caller":"q","from":"1.2.3.4:9","callee":"u1","tty":null,"outcome":"refused","detail":"not logged in","rule":null,"type":"ANNOUNCE","answer":"NOT_HERE","id":null,"rings":0}
{"time":"2026-10-25T01:35:00.000000Z","host":"beta","caller":"r","from":"1.2.3.4:9","callee":"u1","tty":"pts/3","outcome":"rung","detail":null,"rule":null,"type":"ANNOUNCE","answer":"SUCCESS","id":3,"rings":1}
{"time":"2026-10-25T01:40:00.000000Z","host":"beta","caller":"s","from":"1.2.3.4:10","callee":"u1","tty":null,"outcome":"rung","detail":null,"rule":null,"type":"ANNOUNCE","answer":"SUCCESS","id":null,"rings":1}
{"time":"2026-10-25T01:50:00.000000Z","host":"beta","caller":"s","from":"1.2.3.4:11","callee":"u1","tty":null,"outcome":"missed","detail":null,"rule":null,"type":"ANNOUNCE","answer":"SUCCESS","id":null,"rings":1}
{"time":"2040-06-01T12:00:00.500000Z","host":"alpha","caller":"z","from":"10.1.2.0/24","callee":"u1","tty":null,"outcome":"denied","detail":"site-deny","rule":"r1","type":"ANNOUNCE,LOOK_UP","answer":"FAILED","id":null,"rings":0}
{"time":"2099-12-31T23:59:59.000000Z","host":"beta","caller":"q","from":"1.2.3.4:9","callee":"u1","tty":null,"outcome":"refused","detail":"mesg n","rule":null,"type":"ANNOUNCE","answer":"PERMISSION_DENIED","id":null,"rings":0}
{"time":"9999-12-31T23:59:59.000000Z","host":"beta","caller":"q","from":"1.2.3.4:9","callee":"u1","tty":null,"outcome":"refused","detail":"WHATEVER","rule":null,"type":"ANNOUNCE","answer":"WHATEVER","id":null,"rings":0}
X
)"
printf '{"v":1,"run":"00000000000000b2","seq":9,"ts":"%s","node":"beta","event":"announce.rung","caller":"t","callee":"u1","src":"1.2.3.4:12","tty":"pts/4","id":9,"answer":"SUCCESS"}\n' "$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)" >>"$J"
like "a call rung a moment ago is ringing" "$(tc who-called u1 | grep -F 1.2.3.4:12)" " t +1\.2\.3\.4:12 +pts/4 +ringing$"
like "... in --json too" "$(tc who-called u1 --json | grep -F 1.2.3.4:12)" '"outcome":"ringing",.*"rings":1}$'
finish
