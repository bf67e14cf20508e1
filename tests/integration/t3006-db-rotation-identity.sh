#!/bin/bash
# Rotated files are found by identity, however many rotations happened
# between two ingests (journal -> journal.1 -> journal.2, or dated names),
# and records really lost (a rotated file deleted before it was read) are
# reported once, loudly: on stderr and in the exit status.
. "$(dirname "$0")/lib-db.sh"
plan 12
J=$T/journal D=$T/talkd.db
ingest() { "$TALKCTL" ingest --journal "$J" --db "$D" 2>"$T/err"; }
count() { sql "$D" 'SELECT count(*) || "/" || count(DISTINCT run || seq) FROM events'; }

gen_journal "$J" 00000000000000d1 1 100
ok "first ingest" ingest
# Two rotations before the next ingest: the file never seen (now
# journal.1) must be read, and so must the tail of the known one.
gen_journal "$J" 00000000000000d1 101 150
mv "$J" "$J.1"
gen_journal "$J" 00000000000000d2 1 60
mv "$J.1" "$J.2"; mv "$J" "$J.1"
gen_journal "$J" 00000000000000d3 1 10
ok "ingest after two rotations" ingest
is "every record of the three files once" "$(count)" 220/220
is "no gap reported" "$(cat "$T/err")" ""

# Dated rotation names, three of them between two ingests.
s=11
for d in 20261126 20261127 20261128; do
	gen_journal "$J" 00000000000000d3 $s $((s + 9))
	mv "$J" "$J-$d"
	s=$((s + 10))
done
gen_journal "$J" 00000000000000d3 41 45
ok "ingest after three dated rotations" ingest
is "all of them read" "$(count)" 255/255

# A rotated file deleted before it was read: its records are lost.
gen_journal "$J" 00000000000000d3 46 70
mv "$J" "$J.lost"; rm "$J.lost"
gen_journal "$J" 00000000000000d3 71 80
ingest >"$T/out"; rc=$?
is "a gap: exit 1" "$rc" 1
like "... said on stderr with the run and the missing seqs" "$(cat "$T/err")" "run 00000000000000d3 on .*: 25 records missing between seq 1 and 80 \\(lost before ingest\\)$"
like "... and in the summary" "$(cat "$T/out")" ", 25 missing$"
ingest >"$T/out"; rc=$?
is "said once: the next ingest exits 0" "$rc" 0
is "... quietly" "$(cat "$T/err")" ""
is "the records that came are stored" "$(count)" 265/265
finish
