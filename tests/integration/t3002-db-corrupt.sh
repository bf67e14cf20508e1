#!/bin/bash
# Corrupt journal lines are reported on stderr as JOURNAL:LINE: reason,
# skipped without losing the good records around them, kept in the rejects
# table, and not reported again.  A half-written last line is left alone.
. "$(dirname "$0")/lib-db.sh"
plan 10
J=$T/journal D=$T/talkd.db
gen_journal "$J" 00000000000000e1 1 3
printf 'garbage\n' >>"$J"					# line 4
gen_journal "$J" 00000000000000e1 4 5
printf '{"v":1,"run":"00000000000000e1","seq":6}\n' >>"$J"	# line 7
printf '{"v":1,"run":"x","seq":9,"ts":"2026-11-20T00:00:00Z","event":"x","msg":"%s"}\n' \
    "$(head -c 1100 /dev/zero | tr '\0' a)" >>"$J"		# line 8
printf '\033[2J\n' >>"$J"					# line 9
gen_journal "$J" 00000000000000e1 6 7
printf '{"v":1,"run":"00000000000000e1","seq":8,"ts":"2026-' >>"$J"	# torn

"$TALKCTL" ingest --journal "$J" --db "$D" >"$T/out" 2>"$T/err"
is "ingest succeeds despite corrupt lines" "$?" 0
like "line 4 reported" "$(sed -n 1p "$T/err")" "journal:4: not JSON$"
like "line 7 reported" "$(sed -n 2p "$T/err")" 'journal:7: missing or bad "ts"$'
like "line 8 reported" "$(sed -n 3p "$T/err")" "journal:8: record longer than 1024 bytes$"
like "line 9 reported, its bytes not echoed" "$(sed -n 4p "$T/err")" "journal:9: not JSON$"
is "four reports, nothing else" "$(wc -l <"$T/err")" 4
is "the good records are all there" "$(sql "$D" "SELECT group_concat(seq, ',') FROM (SELECT seq FROM events ORDER BY seq)")" "1,2,3,4,5,6,7"
like "summary counts" "$(cat "$T/out")" "^ingest: 7 new records, 0 already stored, 4 rejected, [0-9]+ bytes pending"
"$TALKCTL" ingest --journal "$J" --db "$D" >/dev/null 2>"$T/err2"
is "not reported again" "$(cat "$T/err2")" ""
printf '11-20T00:00:00Z","event":"daemon.stop"}\n' >>"$J"
"$TALKCTL" ingest --journal "$J" --db "$D" >/dev/null 2>&1
is "the torn line is taken once complete" "$(sql "$D" 'SELECT count(*), max(seq) FROM events')" "8|8"
finish
