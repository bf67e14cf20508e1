/*
 * libdb: a parser for one journal record (schema/journal.md), written for
 * the fixed shape of the format but strict about JSON: one object, string
 * escapes decoded (\uXXXX to UTF-8, surrogate pairs joined, lone ones and
 * \u0000 refused), integers without fraction or exponent, nesting of
 * unknown values at most DEPTH_MAX deep, nothing after the object but
 * blanks.  Unknown keys are kept verbatim in r->extra as a JSON object.
 * No allocation: every output points into r->buf.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"
#include "db/db_int.h"

#define DEPTH_MAX	32

/* Bytes that end a run of plain string bytes: '"', '\\' and controls. */
static const unsigned char stop[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1,
	[0x06] = 1, [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1,
	[0x0c] = 1, [0x0d] = 1, [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1,
	[0x12] = 1, [0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1,
	[0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1,
	[0x1e] = 1, [0x1f] = 1, ['"'] = 1, ['\\'] = 1,
};

/*
 * The first byte in [p, end) that stop[] marks, or end.  Eight bytes at a
 * time on little-endian machines: a byte's high bit is set in m when it is
 * a quote, a backslash or a control (exact: no carry crosses bytes).
 */
#define ONES	0x0101010101010101ULL
#define LOW7	0x7f7f7f7f7f7f7f7fULL
#define ZERO(v)	(~((((v) & LOW7) + LOW7) | (v) | LOW7))

static const char *
scan_plain(const char *p, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    defined(__GNUC__)
	uint64_t x, q, b, m;

	while (end - p >= 8) {
		memcpy(&x, p, 8);
		q = x ^ ('"' * ONES);
		b = x ^ ('\\' * ONES);
		m = ZERO(q) | ZERO(b) | ~(((x & LOW7) + 0x60 * ONES) | x | LOW7);
		if (m != 0)
			return p + (__builtin_ctzll(m) >> 3);
		p += 8;
	}
#endif
	while (p < end && !stop[(unsigned char)*p])
		p++;
	return p;
}

struct pstate {
	const char *p, *end;
	char *o, *oend;			/* output area in r->buf */
};

static void
skip_ws(struct pstate *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
hex4(const char *p, const char *end, unsigned *v)
{
	int i, c;

	if (end - p < 4)
		return -1;
	*v = 0;
	for (i = 0; i < 4; i++) {
		c = (unsigned char)p[i];
		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c -= 'a' - 10;
		else if (c >= 'A' && c <= 'F')
			c -= 'A' - 10;
		else
			return -1;
		*v = *v << 4 | (unsigned)c;
	}
	return 0;
}

/* Append code point c as UTF-8; -1 when out of room. */
static int
put_utf8(struct pstate *s, unsigned c)
{
	unsigned char u[4];
	int n, i;

	if (c < 0x80) {
		u[0] = (unsigned char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (unsigned char)(0xc0 | c >> 6);
		u[1] = (unsigned char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (unsigned char)(0xe0 | c >> 12);
		u[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		u[2] = (unsigned char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xf0 | c >> 18);
		u[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
		u[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		u[3] = (unsigned char)(0x80 | (c & 0x3f));
		n = 4;
	}
	if (s->oend - s->o < n)
		return -1;
	for (i = 0; i < n; i++)
		*s->o++ = (char)u[i];
	return 0;
}

/*
 * A string at s->p (on its opening quote).  With out, decode it there
 * (NUL-terminated) and set *len; without, only check it.
 */
static int
parse_string(struct pstate *s, int decode, const char **out, size_t *len)
{
	const char *start, *q;
	unsigned c, lo;

	if (s->p >= s->end || *s->p != '"')
		return -1;
	s->p++;
	start = s->o;
	while (s->p < s->end && *s->p != '"') {
		/* A run of plain bytes, copied at once. */
		q = scan_plain(s->p, s->end);
		if (q > s->p) {
			if (decode) {
				if (s->oend - s->o < q - s->p)
					return -1;
				memcpy(s->o, s->p, (size_t)(q - s->p));
				s->o += q - s->p;
			}
			s->p = q;
			continue;
		}
		c = (unsigned char)*s->p;
		if (c < 0x20)
			return -1;
		if (++s->p >= s->end)
			return -1;
		switch (*s->p++) {
		case '"': c = '"'; break;
		case '\\': c = '\\'; break;
		case '/': c = '/'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			if (hex4(s->p, s->end, &c) == -1)
				return -1;
			s->p += 4;
			if (c == 0 || (c >= 0xdc00 && c <= 0xdfff))
				return -1;
			if (c >= 0xd800 && c <= 0xdbff) {
				if (s->end - s->p < 6 || s->p[0] != '\\' ||
				    s->p[1] != 'u' ||
				    hex4(s->p + 2, s->end, &lo) == -1 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return -1;
				s->p += 6;
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			break;
		default:
			return -1;
		}
		if (decode && put_utf8(s, c) == -1)
			return -1;
	}
	if (s->p >= s->end)
		return -1;
	s->p++;
	if (decode) {
		if (s->o >= s->oend)
			return -1;
		*len = (size_t)(s->o - start);
		*s->o++ = '\0';
		*out = start;
	}
	return 0;
}

static int
skip_digits(struct pstate *s)
{
	int n = 0;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		s->p++;
		n++;
	}
	return n;
}

/* A JSON number; *isint when it is an integer that fits in *v. */
static int
parse_number(struct pstate *s, int *isint, long long *v)
{
	unsigned long long u = 0;
	int neg = 0, over = 0;

	*isint = 1;
	if (s->p < s->end && *s->p == '-') {
		neg = 1;
		s->p++;
	}
	if (s->p >= s->end || *s->p < '0' || *s->p > '9')
		return -1;
	if (*s->p == '0' && s->p + 1 < s->end && s->p[1] >= '0' &&
	    s->p[1] <= '9')
		return -1;			/* leading zero */
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		if (u > (9223372036854775807ULL - 9) / 10)
			over = 1;
		u = u * 10 + (unsigned)(*s->p - '0');
		s->p++;
	}
	if (s->p < s->end && *s->p == '.') {
		*isint = 0;
		s->p++;
		if (skip_digits(s) == 0)
			return -1;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		*isint = 0;
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (skip_digits(s) == 0)
			return -1;
	}
	if (over)
		*isint = 0;
	*v = neg ? -(long long)u : (long long)u;
	return 0;
}

static int
parse_word(struct pstate *s, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

/* Check any value and step over it. */
static int
skip_value(struct pstate *s, int depth)
{
	long long v;
	int isint, first;
	char close;

	if (depth > DEPTH_MAX || s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '"':
		return parse_string(s, 0, NULL, NULL);
	case 't':
		return parse_word(s, "true");
	case 'f':
		return parse_word(s, "false");
	case 'n':
		return parse_word(s, "null");
	case '{':
	case '[':
		close = *s->p == '{' ? '}' : ']';
		s->p++;
		for (first = 1;; first = 0) {
			skip_ws(s);
			if (s->p < s->end && *s->p == close) {
				s->p++;
				return 0;
			}
			if (!first) {
				if (s->p >= s->end || *s->p != ',')
					return -1;
				s->p++;
				skip_ws(s);
			}
			if (close == '}') {
				if (parse_string(s, 0, NULL, NULL) == -1)
					return -1;
				skip_ws(s);
				if (s->p >= s->end || *s->p != ':')
					return -1;
				s->p++;
				skip_ws(s);
			}
			if (skip_value(s, depth + 1) == -1)
				return -1;
		}
	default:
		return parse_number(s, &isint, &v);
	}
}

static int
is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (y >= 1970). */
static long long
days_from_civil(long y, int m, int d)
{
	static const int cum[] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273,
	    304, 334 };
	long long days;

	days = 365LL * (y - 1970) + ((y - 1) / 4 - 1969 / 4) -
	    ((y - 1) / 100 - 1969 / 100) + ((y - 1) / 400 - 1969 / 400);
	days += cum[m - 1] + (m > 2 && is_leap(y)) + d - 1;
	return days;
}

static int
num(const char *p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/*
 * ts: YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][Z], always UTC (the daemon
 * writes the full form with six digits).
 */
int
db_parse_ts(const char *s, size_t len, long long *us)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, scale = 100000;
	size_t i = 10;

	if (len < 10 || s[4] != '-' || s[7] != '-')
		return -1;
	y = num(s, 4);
	mo = num(s + 5, 2);
	d = num(s + 8, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && is_leap(y)))
		return -1;
	if (len >= 16 && (s[10] == 'T' || s[10] == ' ') && s[13] == ':') {
		h = num(s + 11, 2);
		mi = num(s + 14, 2);
		if (h < 0 || h > 23 || mi < 0 || mi > 59)
			return -1;
		i = 16;
		if (len >= 19 && s[16] == ':') {
			sec = num(s + 17, 2);
			if (sec < 0 || sec > 59)
				return -1;
			i = 19;
			if (i < len && s[i] == '.') {
				if (++i >= len || s[i] < '0' || s[i] > '9')
					return -1;
				for (; i < len && s[i] >= '0' && s[i] <= '9';
				    i++) {
					if (i > 29)
						return -1;
					frac += (s[i] - '0') * scale;
					scale /= 10;
				}
			}
		}
	}
	if (i < len && s[i] == 'Z')
		i++;
	if (i != len)
		return -1;
	*us = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec;
	*us = *us * 1000000 + frac;
	return 0;
}

/* The field a known key names: 0..RF_NSTR-1 strings, RF_NSTR+ others. */
enum { K_V = RF_NSTR, K_SEQ, K_ID, K_COUNT, K_NEW, K_UNKNOWN };

#define KEY(w)	(len == sizeof(w) - 1 && memcmp(k, w, sizeof(w) - 1) == 0)

static int
key_of(const char *k, size_t len)
{
	switch (k[0]) {		/* len >= 1: the caller checks */
	case 'a': return KEY("answer") ? RF_ANSWER : K_UNKNOWN;
	case 'c':
		return KEY("caller") ? RF_CALLER : KEY("callee") ? RF_CALLEE :
		    KEY("count") ? K_COUNT : K_UNKNOWN;
	case 'e': return KEY("event") ? RF_EVENT : K_UNKNOWN;
	case 'h': return KEY("host") ? RF_HOST : K_UNKNOWN;
	case 'i': return KEY("id") ? K_ID : K_UNKNOWN;
	case 'm': return KEY("msg") ? RF_MSG : K_UNKNOWN;
	case 'n':
		return KEY("node") ? RF_NODE : KEY("new") ? K_NEW : K_UNKNOWN;
	case 'r':
		return KEY("run") ? RF_RUN : KEY("rule") ? RF_RULE :
		    KEY("reason") ? RF_REASON : K_UNKNOWN;
	case 's':
		return KEY("seq") ? K_SEQ : KEY("src") ? RF_SRC : K_UNKNOWN;
	case 't':
		return KEY("ts") ? RF_TS : KEY("type") ? RF_TYPE :
		    KEY("tty") ? RF_TTY : K_UNKNOWN;
	case 'v': return KEY("v") ? K_V : K_UNKNOWN;
	default: return K_UNKNOWN;
	}
}

/*
 * A member's key: in place when it has no escape (the daemon's keys never
 * do), else decoded into the output area and dropped from it at once.
 */
static int
parse_key(struct pstate *s, int *k)
{
	const char *q, *key;
	size_t klen;

	if (s->p < s->end && *s->p == '"') {
		q = scan_plain(s->p + 1, s->end);
		if (q < s->end && *q == '"') {
			*k = q > s->p + 1 ? key_of(s->p + 1,
			    (size_t)(q - s->p - 1)) : K_UNKNOWN;
			s->p = q + 1;
			return 0;
		}
	}
	if (parse_string(s, 1, &key, &klen) == -1)
		return -1;
	*k = klen > 0 ? key_of(key, klen) : K_UNKNOWN;
	s->o -= klen + 1;		/* the key needs no keeping */
	return 0;
}

static const char *const bad_key[] = {
	[RF_RUN] = "missing or bad \"run\"", [RF_TS] = "missing or bad \"ts\"",
	[RF_EVENT] = "missing or bad \"event\"", [RF_TYPE] = "bad \"type\"",
	[RF_CALLER] = "bad \"caller\"", [RF_CALLEE] = "bad \"callee\"",
	[RF_SRC] = "bad \"src\"", [RF_TTY] = "bad \"tty\"",
	[RF_ANSWER] = "bad \"answer\"", [RF_RULE] = "bad \"rule\"",
	[RF_REASON] = "bad \"reason\"", [RF_HOST] = "bad \"host\"",
	[RF_MSG] = "bad \"msg\"", [RF_NODE] = "bad \"node\"",
	[K_V] = "missing or bad \"v\"", [K_SEQ] = "missing or bad \"seq\"",
	[K_ID] = "bad \"id\"", [K_COUNT] = "bad \"count\"",
	[K_NEW] = "bad \"new\"",
};

/* One member value of a known key. */
static const char *
parse_known(struct pstate *s, struct db_rec *r, int k)
{
	long long v;
	int isint;

	if (parse_word(s, "null") == 0)
		return NULL;			/* null is absent */
	if (k < RF_NSTR) {
		if (parse_string(s, 1, &r->s[k], &r->slen[k]) == -1)
			return bad_key[k];
		return NULL;
	}
	if (k == K_NEW) {
		if (parse_word(s, "true") == 0)
			r->isnew = 1;
		else if (parse_word(s, "false") == 0)
			r->isnew = 0;
		else
			return bad_key[k];
		return NULL;
	}
	if (parse_number(s, &isint, &v) == -1 || !isint)
		return bad_key[k];
	switch (k) {
	case K_V: r->v = v; r->has_v = 1; break;
	case K_SEQ: r->seq = v; r->has_seq = 1; break;
	case K_ID: r->id = v; r->has_id = 1; break;
	default: r->count = v; r->has_count = 1; break;
	}
	return NULL;
}

const char *
db_rec_parse(const char *line, size_t len, struct db_rec *r, char *why,
    size_t whysz)
{
	struct pstate s;
	const char *kstart, *vstart, *bad;
	char *xo;
	size_t xcap;
	int k, first, n;

	memset(r, 0, sizeof(*r) - sizeof(r->buf));
	r->isnew = -1;
	if (len + 1 > DB_RECORD_MAX)
		return "record longer than 1024 bytes";
	if (memchr(line, '\0', len) != NULL)
		return "NUL byte in record";
	s.p = line;
	s.end = line + len;
	/* Decoded strings first in buf, unknown members from the middle. */
	s.o = r->buf;
	s.oend = r->buf + sizeof(r->buf) / 2;
	xo = r->buf + sizeof(r->buf) / 2;
	xcap = sizeof(r->buf) / 2;
	skip_ws(&s);
	if (s.p >= s.end || *s.p != '{') {
		if (skip_value(&s, 0) == 0 && (skip_ws(&s), s.p == s.end))
			return "not a JSON object";
		return "not JSON";
	}
	s.p++;
	for (first = 1;; first = 0) {
		skip_ws(&s);
		if (s.p < s.end && *s.p == '}') {
			s.p++;
			break;
		}
		if (!first) {
			if (s.p >= s.end || *s.p != ',')
				return "not JSON";
			s.p++;
			skip_ws(&s);
		}
		kstart = s.p;
		if (parse_key(&s, &k) == -1)
			return "not JSON";
		skip_ws(&s);
		if (s.p >= s.end || *s.p != ':')
			return "not JSON";
		s.p++;
		skip_ws(&s);
		vstart = s.p;
		if (k == K_UNKNOWN) {
			if (skip_value(&s, 1) == -1)
				return "not JSON";
			/* ",key:value" verbatim; the first ',' becomes '{'. */
			if ((size_t)(s.p - kstart) + 3 > xcap - r->extralen)
				return "not JSON";
			xo[r->extralen] = r->extralen == 0 ? '{' : ',';
			r->extralen++;
			memcpy(xo + r->extralen, kstart,
			    (size_t)(vstart - kstart));
			r->extralen += (size_t)(vstart - kstart);
			memcpy(xo + r->extralen, vstart, (size_t)(s.p - vstart));
			r->extralen += (size_t)(s.p - vstart);
			continue;
		}
		if ((bad = parse_known(&s, r, k)) != NULL) {
			/* Tell a bad value from broken JSON. */
			s.p = vstart;
			return skip_value(&s, 1) == 0 ? bad : "not JSON";
		}
	}
	skip_ws(&s);
	if (s.p != s.end)
		return "not JSON";
	if (r->extralen > 0) {
		xo[r->extralen++] = '}';
		xo[r->extralen] = '\0';
		r->extra = xo;
	}
	if (!r->has_v)
		return bad_key[K_V];
	if (r->v != 1) {
		n = snprintf(why, whysz, "unsupported format version %lld",
		    r->v);
		return (n < 0 || (size_t)n >= whysz) ? "unsupported version" :
		    why;
	}
	if (r->s[RF_RUN] == NULL || r->slen[RF_RUN] == 0)
		return bad_key[RF_RUN];
	if (!r->has_seq || r->seq < 1)
		return bad_key[K_SEQ];
	if (r->s[RF_TS] == NULL ||
	    db_parse_ts(r->s[RF_TS], r->slen[RF_TS], &r->t_us) == -1)
		return bad_key[RF_TS];
	if (r->s[RF_EVENT] == NULL)
		return bad_key[RF_EVENT];
	if (r->s[RF_NODE] != NULL && r->slen[RF_NODE] == 0)
		return bad_key[RF_NODE];
	return NULL;
}

/*
 * Where the record starts in a line: at its first byte, or (syslog) after
 * a header that ends in ": " and an optional "@cee:" cookie.  NULL when
 * the line has no such form (it is then parsed as it is, and rejected).
 */
const char *
db_rec_start(const char *line, size_t len)
{
	const char *b;
	size_t i;

	if (len == 0 || line[0] == '{')
		return line;
	if ((b = memchr(line, '{', len)) == NULL)
		return NULL;
	i = (size_t)(b - line);		/* the header is line[0 .. i) */
	while (i > 0 && line[i - 1] == ' ')
		i--;
	if (i >= 5 && memcmp(line + i - 5, "@cee:", 5) == 0) {
		i -= 5;
		while (i > 0 && line[i - 1] == ' ')
			i--;
		if (i == 0)
			return b;
	}
	return i >= 2 && line[i - 1] == ':' ? b : NULL;
}
