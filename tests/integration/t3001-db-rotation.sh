#!/bin/bash
# Rotation while the daemon runs: the journal is renamed (journal.1, or a
# dated name), the daemon appends a late record or two to the renamed file
# before it reopens the path, and a new journal starts.  Ingest finishes
# the rotated file's tail first: every record exactly once.  A new file
# that reuses the old inode is a new journal (its first line differs).
. "$(dirname "$0")/lib-db.sh"
plan 15
J=$T/journal D=$T/talkd.db
ingest() { "$TALKCTL" ingest --journal "$J" --db "$D" >/dev/null 2>>"$T/err"; }
count() { sql "$D" 'SELECT count(*) || "/" || count(DISTINCT run || seq) FROM events'; }

gen_journal "$J" 000000000000000a 1 100
ok "first ingest" ingest
gen_journal "$J" 000000000000000a 101 150
mv "$J" "$J.1"
gen_journal "$J.1" 000000000000000a 151 153	# late writes to the old file
gen_journal "$J" 000000000000000b 1 40
ok "ingest after rotation" ingest
is "all 193 records, once each" "$(count)" 193/193
is "journal.1 read to its end" "$(sql "$D" "SELECT off FROM journals WHERE seen_as = '$J.1'")" "$(stat -c %s "$J.1")"

# A later write still lands in journal.1 after the new journal was read.
gen_journal "$J.1" 000000000000000a 154 154
gen_journal "$J" 000000000000000b 41 60
ok "ingest again" ingest
is "the late record in journal.1 is picked up" "$(count)" 214/214

# Second rotation with a dated name; journal.1 is now an older rotation.
mv "$J" "$J-20261123"
gen_journal "$J-20261123" 000000000000000b 61 70
gen_journal "$J" 000000000000000c 1 5
ingest
is "dated rotation: all records once" "$(count)" 229/229

# Truncate in place and start over: same inode, new first line.
ino=$(stat -c %i "$J")
: >"$J"
gen_journal "$J" 000000000000000d 1 7
ingest
is "the inode is the same ($ino)" "$(stat -c %i "$J")" "$ino"
is "a rewritten file on the same inode is a new journal" "$(count)" 236/236
is "four journals known" "$(sql "$D" 'SELECT count(*) FROM journals')" 4

# Truncated to its first line and written again: read again from the
# start, reported, nothing stored twice.
head -1 "$J" >"$T/first"; cat "$T/first" >"$J"
gen_journal "$J" 000000000000000d 8 9
"$TALKCTL" ingest --journal "$J" --db "$D" >/dev/null 2>"$T/err.trunc"
like "a journal shorter than its offset is reported" "$(cat "$T/err.trunc")" "/journal: file is shorter than what was read of it; reading it again$"
is "its new records stored, the old ones not twice" "$(count)" 238/238

# Many other rotations (more than ingest looks through) cannot hide
# journal.1: it is looked up by name.
for i in $(seq 1 3000); do : >"$J-old$i"; done
mv "$J" "$J.1"
gen_journal "$J.1" 000000000000000d 10 10
gen_journal "$J" 000000000000000e 1 2
"$TALKCTL" ingest --journal "$J" --db "$D" >/dev/null 2>>"$T/err"
is "journal.1 found among 3000 other rotated names" "$(count)" 241/241
rm -f "$J"-old*

# Ingest is idempotent, and nothing was reported.
ingest
is "nothing more on a re-run" "$(count)" 241/241
is "no errors" "$(cat "$T/err")" ""
finish
