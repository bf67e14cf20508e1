#!/bin/bash
# make bench (audit trail): ingest a generated 1,000,000-record journal
# and query it.  Prints the ingest rate, the database's size against the
# journal's, and who-called for one user (median of 7 runs, process start
# included), each with a baseline measured in the same run: reading the
# file (wc -l), and the sqlite3 shell importing the same lines as plain
# rows of one text column in one transaction.  Bounded: one journal, a
# fixed number of runs.
set -u
B=${TALKD_BUILD:?run through make}
N=${BENCH_DB_RECORDS:-1000000}
W=$(mktemp -d /tmp/talkd-dbbench.XXXXXX)
trap '[ -n "${BENCH_KEEP:-}" ] || rm -rf "$W"' EXIT
export TZ=UTC LC_ALL=C	# LC_ALL: a dot in $EPOCHREALTIME
# Times come from bash's own clock, $EPOCHREALTIME: a date(1) process, or
# a $(...) subshell, around each run would add its own start-up (1-3 ms
# here) to every timing, baseline included.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# A day of a busy host: 1,000 callees, 5,000 callers from 20,000
# addresses; per call a LOOK_UP miss, LEAVE_INVITE, ANNOUNCE, a re-ring,
# then a lookup hit and two deletes, or a denial of the LOOK_UP and the
# ANNOUNCE, or a refusal.
awk -v n="$N" 'BEGIN {
	srand(42); s = 0; t = 1795392000
	while (s < n) {
		ce = "user" int(rand() * 1000); ca = "caller" int(rand() * 5000)
		a = int(rand() * 20000)
		src = sprintf("10.%d.%d.%d:%d", int(a / 65536) % 256, int(a / 256) % 256, a % 256, 1024 + int(rand() * 60000))
		k = rand(); id = s
		if (k < 0.7) {
			ev[1] = "\"event\":\"lookup.miss\",\"type\":\"LOOK_UP\",\"caller\":\"" ca "\",\"callee\":\"" ce "\",\"src\":\"" src "\",\"answer\":\"NOT_HERE\""
			ev[2] = "\"event\":\"invite.left\",\"caller\":\"" ce "\",\"callee\":\"" ca "\",\"src\":\"127.0.0.1:" 1024 + a % 60000 "\",\"id\":" id ",\"new\":true,\"answer\":\"SUCCESS\""
			ev[3] = "\"event\":\"announce.rung\",\"caller\":\"" ca "\",\"callee\":\"" ce "\",\"src\":\"" src "\",\"tty\":\"pts/" a % 40 "\",\"id\":" id + 1 ",\"answer\":\"SUCCESS\",\"host\":\"host" a % 300 ".example.org\""
			ev[4] = "\"event\":\"announce.rerung\",\"caller\":\"" ca "\",\"callee\":\"" ce "\",\"src\":\"" src "\",\"tty\":\"pts/" a % 40 "\",\"id\":" id + 2 ",\"answer\":\"SUCCESS\",\"host\":\"host" a % 300 ".example.org\""
			ev[5] = "\"event\":\"lookup.hit\",\"type\":\"LOOK_UP\",\"caller\":\"" ce "\",\"callee\":\"" ca "\",\"src\":\"" src "\",\"id\":" id ",\"answer\":\"SUCCESS\""
			ev[6] = "\"event\":\"invite.deleted\",\"caller\":\"" ce "\",\"callee\":\"" ca "\",\"src\":\"127.0.0.1:" 1024 + a % 60000 "\",\"id\":" id ",\"answer\":\"SUCCESS\""
			ev[7] = "\"event\":\"invite.deleted\",\"caller\":\"" ca "\",\"callee\":\"" ce "\",\"src\":\"" src "\",\"id\":" id + 2 ",\"answer\":\"SUCCESS\""
			m = 7
		} else if (k < 0.9) {
			ev[1] = "\"event\":\"request.denied\",\"type\":\"LOOK_UP\",\"caller\":\"" ca "\",\"callee\":\"" ce "\",\"src\":\"" src "\",\"answer\":\"FAILED\",\"rule\":\"/etc/talkd/policy.yaml:deny-" a % 50 "\",\"reason\":\"site-deny\""
			ev[2] = "\"event\":\"request.denied\",\"type\":\"ANNOUNCE\",\"caller\":\"" ca "\",\"callee\":\"" ce "\",\"src\":\"" src "\",\"answer\":\"FAILED\",\"rule\":\"/etc/talkd/policy.yaml:deny-" a % 50 "\",\"reason\":\"site-deny\""
			m = 2
		} else {
			ev[1] = "\"event\":\"lookup.miss\",\"type\":\"LOOK_UP\",\"caller\":\"" ca "\",\"callee\":\"" ce "\",\"src\":\"" src "\",\"answer\":\"NOT_HERE\""
			ev[2] = "\"event\":\"announce.refused\",\"caller\":\"" ca "\",\"callee\":\"" ce "\",\"src\":\"" src "\",\"answer\":\"PERMISSION_DENIED\",\"reason\":\"mesg-n\""
			m = 2
		}
		for (i = 1; i <= m && s < n; i++) {
			s++; t += 0.0864 + (i == 4 ? 30 : 0)
			printf "{\"v\":1,\"run\":\"00000000bench0001\",\"seq\":%d,\"ts\":\"%s.%06dZ\",%s}\n", s, strftime("%Y-%m-%dT%H:%M:%S", int(t), 1), int((t - int(t)) * 1000000), ev[i]
		}
	}
}' >"$W/journal"
jsize=$(stat -c %s "$W/journal")

# Baselines: reading the file, and sqlite3 importing it as plain rows.
t0=$EPOCHREALTIME; wc -l <"$W/journal" >/dev/null; t1=$EPOCHREALTIME
read_rate=$(awk -v n="$N" -v s="$(secs "$t0" "$t1")" 'BEGIN { printf "%d", n / s }')
t0=$EPOCHREALTIME
{
	printf 'PRAGMA journal_mode = WAL;\nPRAGMA synchronous = NORMAL;\n'
	printf 'CREATE TABLE lines (raw TEXT);\n.mode ascii\n'
	printf '.separator "\037" "\\n"\n'	# a unit separator: no such byte in the journal
	printf '.import %s lines\n' "$W/journal"
} | sqlite3 "$W/plain.db" >/dev/null
t1=$EPOCHREALTIME
plain_rate=$(awk -v n="$N" -v s="$(secs "$t0" "$t1")" 'BEGIN { printf "%d", n / s }')
plain_size=$(( $(stat -c %s "$W/plain.db") + $(stat -c %s "$W/plain.db-wal" 2>/dev/null || echo 0) ))

t0=$EPOCHREALTIME
/usr/bin/time -o "$W/ingest.cpu" -f '%U %S' "$B/talkctl" ingest --journal "$W/journal" --db "$W/talkd.db" >"$W/ingest.out" || { cat "$W/ingest.out"; exit 1; }
t1=$EPOCHREALTIME
ingest_s=$(secs "$t0" "$t1")
rate=$(awk -v n="$N" -v s="$ingest_s" 'BEGIN { printf "%d", n / s }')
cpu_rate=$(awk -v n="$N" '{ printf "%d", n / ($1 + $2) }' "$W/ingest.cpu")
sqlite3 "$W/talkd.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
dsize=$(( $(stat -c %s "$W/talkd.db") + $(stat -c %s "$W/talkd.db-wal" 2>/dev/null || echo 0) ))

# who-called for the busiest callee, and a trivial process as baseline.
user=$(grep -o '"callee":"user[0-9]*"' "$W/journal" | sort | uniq -c | sort -rn | head -1 | sed 's/.*"callee":"\(user[0-9]*\)"/\1/')
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
timeit() { local i; for i in 1 2 3 4 5 6 7; do t0=$EPOCHREALTIME; "$@" >/dev/null 2>&1; t1=$EPOCHREALTIME; awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", (b - a) * 1000 }'; done | median; }
rows=$("$B/talkctl" who-called "$user" --db "$W/talkd.db" --journal "$W/journal" | wc -l)
who_ms=$(timeit "$B/talkctl" who-called "$user" --db "$W/talkd.db" --journal "$W/journal")
true_ms=$(timeit /bin/true)
sql_ms=$(timeit sqlite3 "$W/plain.db" "SELECT count(*) FROM lines WHERE rowid = 1")

printf '%-52s %12s\n' "measurement ($N records, journal $((jsize / 1048576)) MB)" "value"
printf '%-52s %12s\n' "read the journal (wc -l), records/s (baseline)" "$read_rate"
printf '%-52s %12s\n' "sqlite3 .import as plain rows, records/s (baseline)" "$plain_rate"
printf '%-52s %12s   %s x sqlite3 .import, %s x reading\n' "talkctl ingest, records/s" "$rate" "$(ratio "$rate" "$plain_rate")" "$(ratio "$rate" "$read_rate")"
printf '%-52s %12s   (user + system time: less sensitive to other load)\n' "talkctl ingest, records per CPU second" "$cpu_rate"
printf '%-52s %12s   %s x journal, plain rows %s x journal\n' "database size, bytes" "$dsize" "$(ratio "$dsize" "$jsize")" "$(ratio "$plain_size" "$jsize")"
printf '%-52s %12s   %s rows; /bin/true %s ms, sqlite3 shell %s ms\n' "who-called $user, ms (median of 7)" "$who_ms" "$((rows - 1))" "$true_ms" "$sql_ms"
