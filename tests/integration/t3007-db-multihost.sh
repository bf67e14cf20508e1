#!/bin/bash
# Records from many hosts into one database: ingest --from FILE (and -,
# standard input) takes records shipped by syslog, with or without a
# syslog header; a record seen through two paths is stored once (unique
# on host, run, seq); who-called and history show the host once there is
# more than one; records written with less privacy (src a /24 or absent,
# names as keyed hashes) work in every query.
. "$(dirname "$0")/lib-db.sh"
plan 16
D=$T/talkd.db
tc() { "$TALKCTL" "$@" --db "$D" --journal "$T/none"; }
rec() {	# rec NODE RUN SEQ TIME EVENT REST
	printf '{"v":1,"run":"%s","seq":%d,"ts":"2026-11-27T%sZ","node":"%s","event":"%s"%s}\n' "$2" "$3" "$4" "$1" "$5" "$6"
}
rec alpha.example 00000000000000a1 1 10:00:00.000000 announce.rung ',"caller":"thor","callee":"sif","src":"192.0.2.5:4000","tty":"pts/1","id":1,"answer":"SUCCESS","host":"x"' >"$T/alpha"
rec alpha.example 00000000000000a1 2 10:00:30.000000 announce.rerung ',"caller":"thor","callee":"sif","src":"192.0.2.5:4000","tty":"pts/1","id":2,"answer":"SUCCESS","host":"x"' >>"$T/alpha"
# beta: a denied LOOK_UP and ANNOUNCE of one call (one attempt), the
# address recorded as a /24 and the names as keyed hashes.
rec beta.example 00000000000000b1 1 11:00:00.000000 request.denied ',"type":"LOOK_UP","caller":"k:5f3a","callee":"k:77aa","src":"198.51.100.0/24","answer":"FAILED","rule":"site:3","reason":"site-deny"' >"$T/beta"
rec beta.example 00000000000000b1 2 11:00:00.100000 request.denied ',"type":"ANNOUNCE","caller":"k:5f3a","callee":"k:77aa","src":"198.51.100.0/24","answer":"FAILED","rule":"site:3","reason":"site-deny"' >>"$T/beta"
rec beta.example 00000000000000b1 3 11:05:00.000000 announce.refused ',"caller":"k:5f3a","callee":"k:77aa","answer":"NOT_HERE","reason":"not-logged-in"' >>"$T/beta"
# The same run id on two hosts is two runs.
rec gamma.example 00000000000000a1 1 12:00:00.000000 daemon.start ',"msg":"talkd"' >"$T/gamma"

# A collector's rsyslog file: traditional and RFC 3339 headers, @cee.
{
	sed -n 1p "$T/alpha" | sed 's/^/Nov 27 10:00:00 alpha talkd[42]: /'
	sed -n 2p "$T/alpha" | sed 's/^/2026-11-27T10:00:30.000000+00:00 alpha talkd[42]: @cee: /'
	sed 's/^/2026-11-27T11:00:00+00:00 beta talkd[7]: @cee:/' "$T/beta"
} >"$T/collector.log"

out=$("$TALKCTL" ingest --from "$T/collector.log" --db "$D" 2>"$T/err")
is "ingest --from a syslog file" "$out" "ingest: 5 new records, 0 already stored, 0 rejected, 0 bytes pending, 1 files"
is "no complaint" "$(cat "$T/err")" ""
out=$("$TALKCTL" ingest --from "$T/alpha" "$T/beta" --db "$D" 2>&1)
like "the same records through another path are stored once" "$out" "^ingest: 0 new records, 5 already stored"
out=$("$TALKCTL" ingest --from - --db "$D" <"$T/gamma" 2>&1)
like "standard input, and the same run id on another host is new" "$out" "^ingest: 1 new records"
is "three hosts, three runs" "$(sql "$D" "SELECT count(*) || '/' || count(DISTINCT node) FROM runs")" 3/3
is "unique on (host, run, seq)" "$(sql "$D" 'SELECT count(*) FROM rec')" 6

out=$(tc who-called sif)
like "who-called shows the host when there are several" "$(echo "$out" | head -1)" "^TIME +HOST +CALLER"
like "... of each call" "$(echo "$out" | tail -1)" "alpha.example +thor +192.0.2.5:4000 +pts/1 +[a-z]+ +rang 2 times$"
out=$(tc who-called k:77aa)
is "a keyed callee is found by its hash; the denied LOOK_UP and ANNOUNCE are one attempt" "$(echo "$out" | sed 1d | awk '{print $3, $4, $5, $6}')" "$(printf '%s\n' 'beta.example k:5f3a 198.51.100.0/24 denied' 'beta.example k:5f3a refused not')"
like "... with both request types" "$(echo "$out" | sed -n 2p)" "on LOOK_UP,ANNOUNCE$"
tc who-called k:77aa --json >"$T/w.json"
is "--json: host and the /24" "$(python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); print(r["host"], r["from"], r["caller"])' "$T/w.json")" "beta.example 198.51.100.0/24 k:5f3a"
is "a record without src has no FROM" "$(python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])][1]; print(r["from"])' "$T/w.json")" "None"

# Records with no node are this host's.
printf '%s\n' '{"v":1,"run":"00000000000000c1","seq":1,"ts":"2026-11-27T13:00:00Z","event":"daemon.start"}' >"$T/local"
"$TALKCTL" ingest --from "$T/local" --db "$D" >/dev/null
is "a record without node is this host's" "$(sql "$D" "SELECT s FROM strs WHERE id = (SELECT node FROM runs WHERE run = '00000000000000c1')")" "$(hostname)"

# A line that is not a record, and a header that does not end in ": ".
printf '%s\n' 'Nov 27 10:00:00 alpha cron[1]: (root) CMD (true)' 'Nov 27 10:00:00 alpha {"v":1}' >"$T/noise"
"$TALKCTL" ingest --from "$T/noise" --db "$D" >"$T/out" 2>"$T/err"
like "other lines are rejected and named" "$(cat "$T/err")" "noise:1: not JSON"
like "... each" "$(sed -n 2p "$T/err")" "noise:2: not JSON"
is "... and counted" "$(sed 's/.* \([0-9]*\) rejected.*/\1/' "$T/out")" 2
finish
