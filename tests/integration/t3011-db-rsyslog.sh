#!/bin/bash
# The shipping path through Debian's real rsyslog: a daemon's journal
# records sent to a private rsyslogd (its own socket and files, nothing of
# the system's), written by it in the traditional and the RFC 3339 file
# formats, then ingested on the "collector" with ingest --from: the same
# records as ingesting the journal directly, each once.
. "$(dirname "$0")/lib-db.sh"
need_root
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RSYSLOGD" ] || skip_all "rsyslogd not installed (apt-get install rsyslog)"
plan 7
: >"$T/utmp"
J=$T/journal
start_daemon --user nobody --state-dir "$T" --journal "$J" || exit 1
send lookup thor sif >/dev/null
send invite thor sif pid=1 >/dev/null
send announce thor sif pid=1 >/dev/null
send lookup sif thor >/dev/null
stop_daemon
wait_for "$J" '"daemon.stop"' || exit 1

mkdir -p "$T/rs"
cat >"$T/rsyslog.conf" <<CONF
global(workDirectory="$T/rs")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$T/log.sock")
if \$programname == 'talkd' then {
	action(type="omfile" file="$T/trad.log" template="RSYSLOG_TraditionalFileFormat")
	action(type="omfile" file="$T/rfc.log" template="RSYSLOG_FileFormat")
}
CONF
"$RSYSLOGD" -n -f "$T/rsyslog.conf" -i "$T/rs/pid" >"$T/rs/out" 2>&1 &
rpid=$!
_pids="$_pids $rpid"
for i in $(seq 1 50); do [ -S "$T/log.sock" ] && break; sleep 0.1; done
ok "rsyslogd listens on its private socket" test -S "$T/log.sock"
n=$(wc -l <"$J")
# Half the records with the CEE cookie, half without.
k=0
while IFS= read -r line; do
	k=$((k + 1))
	if [ $((k % 2)) -eq 0 ]; then line="@cee: $line"; fi
	logger --socket "$T/log.sock" -t talkd -- "$line"
done <"$J"
for i in $(seq 1 50); do [ "$(cat "$T/rfc.log" 2>/dev/null | wc -l)" -ge "$n" ] && break; sleep 0.1; done
kill "$rpid"; wait "$rpid" 2>/dev/null
is "rsyslog wrote every record, in both formats" "$(wc -l <"$T/trad.log") $(wc -l <"$T/rfc.log")" "$n $n"
head -1 "$T/rfc.log" | sed 's/^/# /'

"$TALKCTL" ingest --journal "$J" --db "$T/direct.db" >/dev/null
out=$("$TALKCTL" ingest --from "$T/trad.log" --db "$T/coll.db" 2>&1)
like "the traditional format: every record" "$out" "^ingest: $n new records, 0 already stored, 0 rejected"
out=$("$TALKCTL" ingest --from "$T/rfc.log" --db "$T/coll.db" 2>&1)
like "the RFC 3339 format: the same records, stored once" "$out" "^ingest: 0 new records, $n already stored, 0 rejected"
a() { "$TALKCTL" audit --json --db "$1" --journal "$T/none"; }
is "the collector holds exactly the journal's records" "$(a "$T/coll.db")" "$(a "$T/direct.db")"
is "who-called is the same there" "$("$TALKCTL" who-called sif --db "$T/coll.db" --journal "$T/none")" "$("$TALKCTL" who-called sif --db "$T/direct.db" --journal "$J")"
is "and exactly the daemon's lines (one host: without its node)" "$(a "$T/coll.db")" "$(sed 's/,"node":"[^"]*"//' "$J")"
finish
