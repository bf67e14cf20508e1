# Helpers for the audit-trail tests (t3NNN-db-*.sh), on top of lib.sh.
# shellcheck shell=bash
. "$(dirname "$0")/lib.sh"
TALKCTL=$B/talkctl
export TZ=UTC
unset TALKD_DB TALKD_JOURNAL

# gen_journal FILE RUN FIRST LAST: append records FIRST..LAST of run RUN,
# a realistic mix of events (one invitation per 5 records).
gen_journal() {
	awk -v run="$2" -v a="$3" -v b="$4" 'BEGIN {
		for (s = a; s <= b; s++) {
			t = sprintf("2026-11-20T%02d:%02d:%02d.%06dZ", int(s / 3600) % 24, int(s / 60) % 60, s % 60, s % 1000000)
			k = s % 5; id = int(s / 5) + 1; c = "u" (s % 7); e = "v" (s % 3)
			p = sprintf("{\"v\":1,\"run\":\"%s\",\"seq\":%d,\"ts\":\"%s\",", run, s, t)
			if (k == 0) printf "%s\"event\":\"invite.left\",\"caller\":\"%s\",\"callee\":\"%s\",\"src\":\"127.0.0.1:%d\",\"id\":%d,\"new\":true,\"answer\":\"SUCCESS\"}\n", p, c, e, 1024 + s % 5000, id
			else if (k == 1) printf "%s\"event\":\"announce.rung\",\"caller\":\"%s\",\"callee\":\"%s\",\"src\":\"127.0.0.1:%d\",\"tty\":\"pts/%d\",\"id\":%d,\"answer\":\"SUCCESS\",\"host\":\"localhost\"}\n", p, c, e, 1024 + s % 5000, s % 9, id
			else if (k == 2) printf "%s\"event\":\"lookup.hit\",\"type\":\"LOOK_UP\",\"caller\":\"%s\",\"callee\":\"%s\",\"src\":\"127.0.0.1:9\",\"id\":%d,\"answer\":\"SUCCESS\"}\n", p, e, c, id
			else if (k == 3) printf "%s\"event\":\"invite.deleted\",\"caller\":\"%s\",\"callee\":\"%s\",\"src\":\"127.0.0.1:%d\",\"id\":%d,\"answer\":\"SUCCESS\"}\n", p, c, e, 1024 + s % 5000, id
			else printf "%s\"event\":\"request.denied\",\"type\":\"ANNOUNCE\",\"caller\":\"%s\",\"callee\":\"%s\",\"src\":\"192.0.2.%d:77\",\"answer\":\"FAILED\",\"rule\":\"site:%d\",\"reason\":\"site-deny\"}\n", p, c, e, s % 250, s % 40
		}
	}' >>"$1"
}

# sql DB QUERY: one answer from the sqlite3 shell.
sql() { sqlite3 -batch -noheader "$1" "$2"; }
