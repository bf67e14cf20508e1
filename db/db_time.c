/*
 * libdb: --since/--until arguments, after journalctl and wtmpdb:
 * now, today, yesterday, -N[s|m|h|d|w], and ISO dates and times
 * YYYY-MM-DD[(T| )HH:MM[:SS]][Z] in local time (UTC with Z).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "db/db_int.h"

/* Exactly n digits at *p into *v; advances *p. */
static int
digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

static int
parse_iso(const char *s, double *out)
{
	struct tm tm, chk;
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, utc = 0;
	time_t t;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -1;
		}
	}
	if (*p == 'Z') {
		utc = 1;
		p++;
	}
	if (*p != '\0')
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	chk = tm;
	t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1 && errno == EOVERFLOW)
		return -1;
	/* mktime normalizes 2026-02-30 to March: refuse such dates. */
	if (tm.tm_mday != chk.tm_mday || tm.tm_mon != chk.tm_mon)
		return -1;
	*out = (double)t;
	return 0;
}

static int
start_of_day(time_t now, int back, double *out)
{
	struct tm tm;
	time_t t;

	if (localtime_r(&now, &tm) == NULL)
		return -1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday -= back;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	*out = (double)t;
	return 0;
}

int
db_parse_time(const char *s, time_t now, double *out, struct db_err *err)
{
	char *end;
	long n;
	double unit;

	if (strcmp(s, "now") == 0) {
		*out = (double)now;
		return 0;
	}
	if (strcmp(s, "today") == 0 && start_of_day(now, 0, out) == 0)
		return 0;
	if (strcmp(s, "yesterday") == 0 && start_of_day(now, 1, out) == 0)
		return 0;
	if (s[0] == '-' && isdigit((unsigned char)s[1])) {
		errno = 0;
		n = strtol(s + 1, &end, 10);
		unit = 0;
		if (errno == 0 && end[0] != '\0' && end[1] == '\0') {
			switch (end[0]) {
			case 's': unit = 1; break;
			case 'm': unit = 60; break;
			case 'h': unit = 3600; break;
			case 'd': unit = 86400; break;
			case 'w': unit = 7 * 86400; break;
			}
		}
		if (unit > 0 && (double)n * unit <= 100.0 * 366 * 86400) {
			*out = (double)now - (double)n * unit;
			return 0;
		}
	} else if (parse_iso(s, out) == 0)
		return 0;
	db_seterr(err, NULL, 0, 0, "bad time \"%s\" (expected now, today, "
	    "yesterday, -N[smhdw], or YYYY-MM-DD[THH:MM[:SS]][Z])", s);
	return -1;
}
