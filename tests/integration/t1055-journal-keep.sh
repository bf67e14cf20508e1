#!/bin/bash
# No record the daemon could keep is lost (SPEC.md 6): a failed stat() or
# open() is not a rotation, and records go on to the open descriptor until
# a new file really opens.
#  - The journal in a directory the daemon's user cannot search: every
#    record after the privilege drop still reaches it, SIGHUP included.
#  - A rotation into a directory where the daemon cannot create a file:
#    records keep going to the renamed file until a new one can be opened,
#    then to the new one; sequence numbers run on without a gap.
. "$(dirname "$0")/lib.sh"
need_root
plan 9
seqs() { cat "$@" | sed -n 's/.*"seq":\([0-9]*\).*/\1/p' | tr '\n' ' '; }
count() { grep -c "\"caller\":\"$2\"" "$1"; }

# A private directory (root's, 0700): open as root, never searchable later.
P=$T/private
mkdir -p "$P" && chmod 0700 "$P"
start_daemon --user nobody --journal "$P/journal" || exit 1
send invite a1 b >/dev/null
send invite a2 b >/dev/null
is "unsearchable directory: the start record is kept" "$(grep -c '"event":"daemon.start"' "$P/journal")" 1
is "unsearchable directory: records after the drop are kept" "$(count "$P/journal" a2)" 1
kill -HUP "$DPID"
sleep 0.2
send invite a3 b >/dev/null
is "unsearchable directory: after SIGHUP too" "$(count "$P/journal" a3)" 1
stop_daemon

# A directory the daemon may search but not write (root's, 0755).
R=$T/readonly
mkdir -p "$R" && chmod 0755 "$R"
start_daemon --user nobody --journal "$R/journal" || exit 1
send invite c1 d >/dev/null
mv "$R/journal" "$R/journal.1"
send invite c2 d >/dev/null
sleep 1.2	# a retry to open the new name is due: it still cannot
send invite c3 d >/dev/null
is "rotation it cannot follow: records go on to the renamed file" "$(count "$R/journal.1" c2)$(count "$R/journal.1" c3)" 11
not_ok "no new file could be made" test -e "$R/journal"
install -m 0640 -o nobody /dev/null "$R/journal"	# the admin makes one
send invite c4 d >/dev/null
is "once a new file can be opened, records go there" "$(count "$R/journal" c4)" 1
is "and no more to the renamed one" "$(count "$R/journal.1" c4)" 0
stop_daemon
s=$(seqs "$R/journal.1" "$R/journal")
is "sequence numbers run on across both files" "$s" "$(seq -s ' ' 1 $(echo $s | wc -w)) "
is "every line is one whole record" "$(cat "$R/journal.1" "$R/journal" | grep -vc '^{"v":1,.*}$')" 0
finish
