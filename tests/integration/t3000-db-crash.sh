#!/bin/bash
# Exactly-once ingest under kill -9: a large journal that keeps growing
# (with a half-written last line now and then), an ingest killed at random
# moments again and again, two ingests racing, then a final ingest: every
# record is stored once, none lost, none twice, and the derived tables agree.
. "$(dirname "$0")/lib-db.sh"
plan 16
J=$T/journal D=$T/talkd.db
gen_journal "$J" 00000000000000c1 1 20000
# How long a whole ingest takes here (sanitizers make it slower): the kills
# are spread over that time.
gen_journal "$T/cal" 00000000000000ca 1 20000
t0=$(date +%s%N)
"$TALKCTL" ingest --journal "$T/cal" --db "$T/cal.db" >/dev/null
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "# a 20000-record ingest takes $ms ms"
total=20000 rounds=20 mid=0 prev=0
for r in $(seq 1 $rounds); do
	"$TALKCTL" ingest --journal "$J" --db "$D" >/dev/null 2>>"$T/err" &
	p=$!
	d=$((RANDOM % (ms / 2 + 1)))
	sleep "$((d / 1000)).$(printf '%03d' $((d % 1000)))"
	kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	# Killed in the middle: some records stored, not all.
	c=$(sql "$D" 'SELECT count(*) FROM events' 2>/dev/null || echo 0)
	[ "${c:-0}" -gt "$prev" ] && [ "$c" -lt "$total" ] && mid=$((mid + 1))
	prev=${c:-0}
	# The daemon goes on writing: 500 more records, the last one torn in
	# half on odd rounds and completed on the next.
	if [ -n "${torn:-}" ]; then printf '%s\n' "$torn" >>"$J"; torn=""; fi
	gen_journal "$J" 00000000000000c1 $((total + 1)) $((total + 500))
	total=$((total + 500))
	if [ $((r % 2)) -eq 1 ]; then
		total=$((total + 1))
		line=$(gen_journal /dev/stdout 00000000000000c1 $total $total)
		printf '%s' "${line:0:40}" >>"$J"
		torn=${line:40}
	fi
done
[ -n "${torn:-}" ] && printf '%s\n' "$torn" >>"$J"
[ -s "$T/err" ] && head -20 "$T/err" | sed "s/^/# /"
echo "# $mid of $rounds ingests were killed after storing part of the journal; $total records"
[ "$mid" -ge 3 ]; _result $? "kill -9 landed in the middle of an ingest ($mid times)"
# Two ingests at once on top: they take turns through the write lock.
"$TALKCTL" ingest --journal "$J" --db "$D" >"$T/out.a" 2>&1 & pa=$!
"$TALKCTL" ingest --journal "$J" --db "$D" >"$T/out.b" 2>&1 & pb=$!
wait $pa; ra=$? ; wait $pb; rb=$?
is "racing ingests both succeed" "$ra$rb" 00
[ "$ra$rb" = 00 ] || diag "$T/out.a" "$T/out.b"
ok "final ingest" "$TALKCTL" ingest --journal "$J" --db "$D"
is "no record lost, none twice" "$(sql "$D" 'SELECT count(*), count(DISTINCT run || seq), min(seq), max(seq) FROM events')" "$total|$total|1|$total"
is "the offset is the journal's size" "$(sql "$D" 'SELECT off FROM journals')" "$(stat -c %s "$J")"
# gen_journal: callers u0..u6 invite callees v0..v2; no attempt is
# repeated within a minute, so each ring and each denial is one attempt.
n=0; for u in u0 u1 u2 u3 u4 u5 u6; do n=$((n + $("$TALKCTL" history "$u" --json --db "$D" --journal "$J" | wc -l))); done
is "invitations: one per invite.left" "$n" "$(grep -c '"invite.left"' "$J")"
n=0; for u in v0 v1 v2; do n=$((n + $("$TALKCTL" who-called "$u" --json --db "$D" --journal "$J" | wc -l))); done
is "call attempts: one per ring and per denial" "$n" "$(grep -cE '"(announce.rung|request.denied)"' "$J")"
is "nothing rejected" "$(sql "$D" 'SELECT count(*) FROM rejects')" 0
is "database intact" "$(sql "$D" 'PRAGMA integrity_check')" ok

# Two ingests creating a new database at once (WAL switch and migration).
gen_journal "$T/small" 00000000000000c2 1 50
bad=0
for i in $(seq 1 20); do
	"$TALKCTL" ingest --journal "$T/small" --db "$T/n$i.db" >/dev/null 2>>"$T/nerr" & pa=$!
	"$TALKCTL" ingest --journal "$T/small" --db "$T/n$i.db" >/dev/null 2>>"$T/nerr" & pb=$!
	wait $pa || bad=$((bad + 1)); wait $pb || bad=$((bad + 1))
	[ "$(sql "$T/n$i.db" 'SELECT count(*) FROM events')" = 50 ] || bad=$((bad + 1))
done
is "20 races to create the database: no failure, 50 records each" "$bad" 0
[ -s "$T/nerr" ] && diag "$T/nerr"

# A large backlog (over 16 MB) is ingested without the secondary indexes,
# which are built at the end: killed in the middle, the records are still
# exactly once and the next opening of the database builds the indexes.
gen_journal "$T/big" 00000000000000c3 1 110000
[ "$(stat -c %s "$T/big")" -gt $((16 * 1048576)) ]; _result $? "the backlog is over 16 MB"
kills=0
for r in 1 2 3 4 5; do
	"$TALKCTL" ingest --journal "$T/big" --db "$T/big.db" >/dev/null 2>>"$T/berr" &
	p=$!
	sleep "0.$((RANDOM % 9 + 1))"
	kill -9 "$p" 2>/dev/null && kills=$((kills + 1))
	wait "$p" 2>/dev/null
done
echo "# $kills of 5 large ingests killed"
ok "the final large ingest" "$TALKCTL" ingest --journal "$T/big" --db "$T/big.db"
is "every record of the backlog once" "$(sql "$T/big.db" 'SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM rec')" "110000|110000|1|110000"
is "the secondary indexes are there" "$(sql "$T/big.db" "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'rec_%' ORDER BY name)")" "rec_callee,rec_caller,rec_run_seq"
is "... and sound (built through the sorter's file buffer)" "$(sql "$T/big.db" 'PRAGMA integrity_check')" ok
like "... the caller index only for the records of an invitation's life" "$(sql "$T/big.db" "SELECT sql FROM sqlite_master WHERE name = 'rec_caller'")" "WHERE invite IS NOT NULL\$"
finish
