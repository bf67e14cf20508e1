#!/bin/bash
# talkctl export: JSON Lines of the stored records (the journal format
# plus node), in the order they were stored; with --cursor it resumes
# where the last export stopped, and the cursor moves only after the
# output was written.  Shipped to another database with ingest --from,
# the records come out the same.
. "$(dirname "$0")/lib-db.sh"
plan 11
J=$T/journal D=$T/talkd.db C=$T/cursor
gen_journal "$J" 00000000000000e1 1 50
ex() { "$TALKCTL" export --db "$D" --journal "$J" "$@"; }
ex --cursor "$C" >"$T/e1"
is "the first export has every record" "$(wc -l <"$T/e1")" 50
is "... each the journal line with its host" "$(python3 -c '
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
print(all(x.pop("node") == sys.argv[3] for x in a) and a == b)' "$T/e1" "$J" "$(hostname)")" True
like "the cursor names the last record" "$(cat "$C")" "^talkctl-export-cursor 1 50$"
ex --cursor "$C" >"$T/e2"
is "nothing new: nothing printed" "$(wc -l <"$T/e2")" 0
gen_journal "$J" 00000000000000e1 51 80
ex --cursor "$C" >"$T/e3"
is "new records only, from where it stopped" "$(python3 -c 'import json,sys; print(",".join(str(json.loads(l)["seq"]) for l in open(sys.argv[1])) )' "$T/e3" | sed 's/,.*,/../')" "51..80"
# A consumer that fails: the cursor stays, the records come again.
gen_journal "$J" 00000000000000e1 81 90
ex --cursor "$C" >/dev/full 2>"$T/err"; r=$?
[ "$r" -ne 0 ]; _result $? "write error: a failure exit ($r)"
like "the cursor did not move" "$(cat "$C")" " 80$"
ex --cursor "$C" >"$T/e4"
is "... and the next export sends them (at least once)" "$(wc -l <"$T/e4")" 10
ex --since 2026-11-20T00:00:30Z --until 2026-11-20T00:00:40Z >"$T/w"
is "--since/--until" "$(wc -l <"$T/w")" 10
# To a collector: export | ingest --from -, then the same audit.
cat "$T/e1" "$T/e3" "$T/e4" | "$TALKCTL" ingest --from - --db "$T/c.db" >/dev/null
is "shipped: the same records on the collector" "$("$TALKCTL" audit --json --db "$T/c.db" --journal "$T/none" | md5sum)" "$("$TALKCTL" audit --json --db "$D" --journal "$J" | md5sum)"
echo garbage >"$C"
ex --cursor "$C" >/dev/null 2>"$T/err"
like "a damaged cursor is refused" "$(cat "$T/err")" "cursor: not an export cursor$"
finish
