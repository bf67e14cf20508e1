/*
 * journal.c: the record encoder (checked as JSON by SQLite's own parser)
 * and the writer: sequence numbers, rotation by rename, and the backlog
 * kept while the path cannot be written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "talkd/talkd.h"

#define REC_MAX 1024
#define RUN "0123456789abcdef"

static sqlite3 *db;

static int
group_setup(void **state)
{
	(void)state;
	if (sqlite3_open(":memory:", &db) != SQLITE_OK)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	sqlite3_close(db);
	return 0;
}

/* SQLite's json_valid() on the line, as text (newline included). */
static int
json_ok(const char *line, size_t len)
{
	sqlite3_stmt *st;
	int v;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT json_valid(?1)", -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(st, 1, line, (int)len,
	    SQLITE_TRANSIENT), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * json_extract(line, path) as text into out; returns the SQLite type
 * (SQLITE_NULL when the key is absent).
 */
static int
json_get(const char *line, const char *path, char *out, size_t outlen)
{
	sqlite3_stmt *st;
	int type;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT json_extract(?1, ?2)",
	    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(st, 1, line, -1, SQLITE_TRANSIENT),
	    SQLITE_OK);
	assert_int_equal(sqlite3_bind_text(st, 2, path, -1, SQLITE_TRANSIENT),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	type = sqlite3_column_type(st, 0);
	out[0] = '\0';
	if (type != SQLITE_NULL) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		int n = sqlite3_column_bytes(st, 0);

		assert_true(n >= 0 && (size_t)n < outlen);
		memcpy(out, t, (size_t)n);
		out[n] = '\0';
	}
	sqlite3_finalize(st);
	return type;
}

static void
assert_field(const char *line, const char *path, const char *want)
{
	char got[1024];

	if (json_get(line, path, got, sizeof(got)) == SQLITE_NULL)
		fail_msg("%s missing in %s", path, line);
	if (strcmp(got, want) != 0)
		fail_msg("%s is \"%s\", expected \"%s\"", path, got, want);
}

static void
assert_absent(const char *line, const char *path)
{
	char got[1024];

	if (json_get(line, path, got, sizeof(got)) != SQLITE_NULL)
		fail_msg("%s present (%s) in %s", path, got, line);
}

/* An IPv4 source address, host order in. */
static struct sockaddr_in
sin_of(uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(addr);
	return sin;
}

/* One line: ends in its only newline, under 1 KiB, valid JSON. */
static void
assert_line(const char *buf, size_t len)
{
	assert_true(len > 0 && len < REC_MAX);
	assert_int_equal(strlen(buf), len);
	assert_int_equal(buf[len - 1], '\n');
	assert_ptr_equal(strchr(buf, '\n'), buf + len - 1);
	assert_true(json_ok(buf, len));
}

static struct timespec
fixed_ts(void)
{
	struct timespec ts;

	ts.tv_sec = 1795416000;		/* 2026-11-23T06:40:00Z */
	ts.tv_nsec = 123456789;
	return ts;
}

static void
test_encode_all_keys(void **state)
{
	char buf[REC_MAX];
	struct sockaddr_in sin;
	struct timespec ts = fixed_ts();
	struct jrec r;
	size_t len;

	(void)state;
	sin = sin_of(0x7f000001U, 40001);
	memset(&r, 0, sizeof(r));
	r.event = "announce.rung";
	r.type = "ANNOUNCE";
	r.caller = "alice";
	r.callee = "bob";
	r.src = &sin;
	r.tty = "pts/3";
	r.id = 4294967295U;
	r.has_id = 1;
	r.is_new = -1;
	r.answer = "SUCCESS";
	r.rule = "/etc/talkd/acl.conf:12";
	r.reason = "site-allow";
	r.host = "host.example";
	r.msg = "hello";
	r.count = 7;
	len = journal_encode(buf, sizeof(buf), RUN, 42, &ts, &r);
	assert_line(buf, len);
	/* The fixed prefix, byte for byte. */
	{
		static const char head[] = "{\"v\":1,\"run\":\"" RUN "\","
		    "\"seq\":42,\"ts\":\"2026-11-23T06:40:00.123456Z\",";
		assert_memory_equal(buf, head, sizeof(head) - 1);
	}
	assert_field(buf, "$.v", "1");
	assert_field(buf, "$.run", RUN);
	assert_field(buf, "$.seq", "42");
	assert_field(buf, "$.ts", "2026-11-23T06:40:00.123456Z");
	assert_field(buf, "$.event", "announce.rung");
	assert_field(buf, "$.type", "ANNOUNCE");
	assert_field(buf, "$.caller", "alice");
	assert_field(buf, "$.callee", "bob");
	assert_field(buf, "$.src", "127.0.0.1:40001");
	assert_field(buf, "$.tty", "pts/3");
	assert_field(buf, "$.id", "4294967295");
	assert_field(buf, "$.answer", "SUCCESS");
	assert_field(buf, "$.rule", "/etc/talkd/acl.conf:12");
	assert_field(buf, "$.reason", "site-allow");
	assert_field(buf, "$.host", "host.example");
	assert_field(buf, "$.msg", "hello");
	assert_field(buf, "$.count", "7");
	assert_absent(buf, "$.new");
}

/* What --record-address and the node change in a record. */
static void
test_encode_node_and_address(void **state)
{
	char buf[REC_MAX];
	struct sockaddr_in sin;
	struct timespec ts = fixed_ts();
	struct jrec r;
	size_t len;
	static const char head[] = "{\"v\":1,\"run\":\"" RUN "\","
	    "\"seq\":1,\"ts\":\"2026-11-23T06:40:00.123456Z\","
	    "\"node\":\"ho\\\"st\",\"event\":";

	(void)state;
	sin = sin_of(0x0a0102feU, 40001);
	memset(&r, 0, sizeof(r));
	r.event = "announce.rung";
	r.node = "ho\"st";
	r.src = &sin;
	r.host = "caller.example";
	r.is_new = -1;
	len = journal_encode(buf, sizeof(buf), RUN, 1, &ts, &r);
	assert_line(buf, len);
	assert_memory_equal(buf, head, sizeof(head) - 1);
	assert_field(buf, "$.src", "10.1.2.254:40001");
	assert_field(buf, "$.host", "caller.example");
	r.src_mode = REC_ADDR_NET;
	len = journal_encode(buf, sizeof(buf), RUN, 1, &ts, &r);
	assert_line(buf, len);
	assert_field(buf, "$.src", "10.1.2.0/24");
	assert_absent(buf, "$.host");	/* a name for the address */
	r.src_mode = REC_ADDR_NONE;
	len = journal_encode(buf, sizeof(buf), RUN, 1, &ts, &r);
	assert_line(buf, len);
	assert_absent(buf, "$.src");
	assert_absent(buf, "$.host");
}

/* Keyed names are HMAC-SHA256: RFC 4231, test case 2. */
static void
test_name_keyed_is_hmac_sha256(void **state)
{
	char out[JNAME_MAX];

	(void)state;
	name_keyed((const unsigned char *)"Jefe", 4,
	    "what do ya want for nothing?", out);
	assert_string_equal(out, "k:5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
}

/* The hand-made number formatting against printf, edge values. */
static void
test_encode_numbers_as_printf(void **state)
{
	static const unsigned long long seqs[] = { 1, 9, 10, 18446744073709551615ULL };
	static const long nss[] = { 0, 999, 1000, 5000000, 999999999 };
	static const uint32_t addrs[] = { 0, 0xffffffffU, 0x0a010203U, 0x7f000001U };
	static const uint16_t ports[] = { 0, 9, 65535 };
	static const unsigned long long pow10[20] = { 1ULL, 10ULL, 100ULL,
	    1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
	    100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL,
	    1000000000000ULL, 10000000000000ULL, 100000000000000ULL,
	    1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
	    1000000000000000000ULL, 10000000000000000000ULL };
	char buf[REC_MAX], want[REC_MAX];
	struct sockaddr_in sin;
	struct timespec ts = fixed_ts();
	struct jrec r;
	size_t i, k, len;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.event = "packet.malformed";
	r.is_new = -1;
	r.src = &sin;
	r.has_id = 1;
	unsigned long long x = 88172645463325252ULL;

	/* The edge values in every combination, then 20,000 xorshift ones
	 * of every length, cut to each digit count in turn. */
	for (i = 0; i < 4 * 5 * 4 * 3 + 20000; i++) {
		unsigned long long seq = seqs[i % 4];
		uint32_t a = addrs[(i / 20) % 4];
		uint16_t port = ports[i % 3];

		ts.tv_nsec = nss[(i / 4) % 5];
		if (i >= 4 * 5 * 4 * 3) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			seq = x % pow10[i % 20] + (i % 3 == 0 ? 0 : 1);
			if (i % 7 == 0)
				seq = pow10[i % 20] - 1;
			if (seq == 0)	/* a count of 0 is left out */
				seq = 1;
			a = (uint32_t)(x >> 32);
			port = (uint16_t)(x >> 16);
			ts.tv_nsec = (long)(x % 1000000000ULL);
		}
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(a);
		sin.sin_port = htons(port);
		r.id = a;
		r.count = (unsigned long)seq;
		k = (size_t)snprintf(want, sizeof(want), "{\"v\":1,\"run\":\"%s\","
		    "\"seq\":%llu,\"ts\":\"2026-11-23T06:40:00.%06ldZ\","
		    "\"event\":\"packet.malformed\",\"src\":\"%u.%u.%u.%u:%u\","
		    "\"id\":%u,\"count\":%lu}\n", RUN, seq, ts.tv_nsec / 1000,
		    a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, port,
		    (unsigned)a, (unsigned long)seq);
		len = journal_encode(buf, sizeof(buf), RUN, seq, &ts, &r);
		assert_int_equal(len, k);
		assert_memory_equal(buf, want, k);
	}
}

static void
test_encode_leaves_out_unset(void **state)
{
	char buf[REC_MAX];
	struct timespec ts = fixed_ts();
	struct jrec r;
	size_t len;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.event = "daemon.start";
	r.is_new = -1;
	len = journal_encode(buf, sizeof(buf), RUN, 1, &ts, &r);
	assert_line(buf, len);
	assert_field(buf, "$.event", "daemon.start");
	assert_absent(buf, "$.id");		/* has_id 0 */
	assert_absent(buf, "$.count");		/* count 0 */
	assert_absent(buf, "$.src");
	assert_absent(buf, "$.caller");
	assert_absent(buf, "$.new");

	/* "new" belongs to invite.left only, and is a JSON boolean. */
	r.event = "invite.left";
	r.is_new = 1;
	len = journal_encode(buf, sizeof(buf), RUN, 2, &ts, &r);
	assert_line(buf, len);
	assert_non_null(strstr(buf, "\"new\":true"));
	r.is_new = 0;
	len = journal_encode(buf, sizeof(buf), RUN, 3, &ts, &r);
	assert_line(buf, len);
	assert_non_null(strstr(buf, "\"new\":false"));
	r.is_new = -1;
	len = journal_encode(buf, sizeof(buf), RUN, 4, &ts, &r);
	assert_absent(buf, "$.new");
	r.event = "lookup.hit";
	r.is_new = 1;
	len = journal_encode(buf, sizeof(buf), RUN, 5, &ts, &r);
	assert_line(buf, len);
	assert_absent(buf, "$.new");
	/* id 0 is still written when it is set. */
	r.has_id = 1;
	r.id = 0;
	len = journal_encode(buf, sizeof(buf), RUN, 6, &ts, &r);
	assert_field(buf, "$.id", "0");
}

static void
test_encode_escapes(void **state)
{
	char buf[REC_MAX];
	struct timespec ts = fixed_ts();
	struct jrec r;
	size_t len;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.event = "announce.refused";
	r.is_new = -1;
	r.caller = "a\"b\\c";
	r.callee = "\001\037\033[2J\177";
	r.host = "\377\200x";
	r.reason = "tab\there\nnl";
	len = journal_encode(buf, sizeof(buf), RUN, 1, &ts, &r);
	assert_line(buf, len);
	/* Exactly the documented escapes, and nothing raw. */
	assert_non_null(strstr(buf, "\"caller\":\"a\\\"b\\\\c\""));
	assert_non_null(strstr(buf,
	    "\"callee\":\"\\u0001\\u001f\\u001b[2J\\u007f\""));
	assert_non_null(strstr(buf, "\"host\":\"\\u00ff\\u0080x\""));
	assert_non_null(strstr(buf, "\"reason\":\"tab\\u0009here\\u000anl\""));
	for (size_t i = 0; i < len - 1; i++)
		assert_true(buf[i] >= 0x20 && buf[i] <= 0x7e);
	/* And SQLite reads back the original bytes. */
	assert_field(buf, "$.caller", "a\"b\\c");
	assert_field(buf, "$.callee", "\001\037\033[2J\177");
	assert_field(buf, "$.host", "\303\277\302\200x");	/* U+00FF U+0080 */
	assert_field(buf, "$.reason", "tab\there\nnl");
}

static void
test_encode_bounded(void **state)
{
	static char big[4096], hi[4096];
	char buf[REC_MAX + 64];
	struct timespec ts = fixed_ts();
	struct jrec r;
	size_t len, n;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	memset(hi, '\351', sizeof(hi) - 1);
	memset(&r, 0, sizeof(r));
	r.event = "daemon.start";
	r.is_new = -1;
	r.caller = hi;
	r.callee = big;
	r.host = hi;
	r.msg = big;
	memset(buf, 'Z', sizeof(buf));
	len = journal_encode(buf, REC_MAX, RUN, 1, &ts, &r);
	/* Long fields are cut (to whole escapes), the line stays valid. */
	assert_line(buf, len);
	assert_int_equal(buf[REC_MAX], 'Z');
	assert_field(buf, "$.event", "daemon.start");

	/*
	 * The worst a request can bring: names of the 12 bytes talk carries,
	 * all escapes, and every free-text field long.  Too long for
	 * REC_MAX at 160 bytes a field, so the free text is cut to 40 and
	 * every field is kept.
	 */
	{
		static const char name[] = "\377\377\377\377\377\377"
		    "\377\377\377\377\377\377";
		struct sockaddr_in sin = sin_of(0xffffffffU, 65535);

		r.event = "announce.refused";
		r.type = "ANNOUNCE";
		r.answer = "PERMISSION_DENIED";
		r.caller = r.callee = name;
		r.node = r.tty = r.rule = r.reason = r.host = r.msg = hi;
		r.src = &sin;
		r.has_id = 1;
		r.id = 4294967295U;
		r.count = (unsigned long)-1;
		memset(buf, 'Z', sizeof(buf));
		len = journal_encode(buf, REC_MAX, RUN, (unsigned long long)-1,
		    &ts, &r);
		assert_line(buf, len);
		assert_true(len < REC_MAX);
		assert_int_equal(buf[REC_MAX], 'Z');
		assert_non_null(strstr(buf, "\"caller\":\"\\u00ff"));
		assert_field(buf, "$.callee", "\303\277\303\277\303\277\303\277"
		    "\303\277\303\277\303\277\303\277\303\277\303\277\303\277"
		    "\303\277");	/* whole: U+00FF twelve times */
		assert_field(buf, "$.src", "255.255.255.255:65535");
		assert_non_null(strstr(buf, ",\"count\":18446744073709551615}"));
		/* 40 bytes of \u00e9 escapes: 6 whole ones */
		assert_field(buf, "$.msg", "\303\251\303\251\303\251\303\251"
		    "\303\251\303\251");
		memset(&r, 0, sizeof(r));
		r.event = "daemon.start";
		r.is_new = -1;
	}

	/* Too small a buffer: 0, and nothing written past it. */
	for (n = 0; n < 80; n++) {
		memset(buf, 'Z', sizeof(buf));
		r.caller = r.callee = r.host = r.msg = NULL;
		assert_int_equal(journal_encode(buf, n, RUN, 1, &ts, &r), 0);
		assert_int_equal(buf[n], 'Z');
	}
}

/*
 * The encoder against a plain reference written from its documentation
 * (snprintf, one escape at a time): random records with every field
 * present or not, strings of any byte and of any length up to well past
 * the 160-byte cut, every address mode, and buffers from too small to
 * ample.  A record too long for the buffer has its free text cut to 40
 * bytes; if that does not fit either, it gives 0 and writes nothing.
 */
static size_t
ref_json(char *out, const char *s, size_t cap)
{
	char e[8];
	size_t o = 0, k;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			k = (size_t)snprintf(e, sizeof(e), "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			k = (size_t)snprintf(e, sizeof(e), "\\u%04x", c);
		else {
			e[0] = (char)c;
			k = 1;
		}
		if (o + k > cap)
			break;
		memcpy(out + o, e, k);
		o += k;
	}
	return o;
}

/* printf at out + *o, in a REF_SIZE buffer. */
#define REF_SIZE 4096

static void ref_put(char *, size_t *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
ref_put(char *out, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out + *o, REF_SIZE - *o, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < REF_SIZE - *o);
	*o += (size_t)n;
}

static void
ref_str(char *out, size_t *o, const char *key, const char *val, size_t cap)
{
	if (val == NULL)
		return;
	ref_put(out, o, ",\"%s\":\"", key);
	*o += ref_json(out + *o, val, cap);
	out[(*o)++] = '"';
}

/* Names and answers are cut at 160 bytes, free text at text bytes. */
static size_t
ref_encode(char *out, const char *run, unsigned long long seq,
    const struct timespec *ts, const struct jrec *r, size_t text)
{
	char when[32], addr[INET_ADDRSTRLEN];
	struct tm tm;
	size_t o;

	gmtime_r(&ts->tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	o = 0;
	ref_put(out, &o, "{\"v\":1,\"run\":\"%s\",\"seq\":%llu,"
	    "\"ts\":\"%s.%06ldZ\"", run, seq, when, ts->tv_nsec / 1000);
	ref_str(out, &o, "node", r->node, text);
	ref_str(out, &o, "event", r->event, 160);
	ref_str(out, &o, "type", r->type, 160);
	ref_str(out, &o, "caller", r->caller, 160);
	ref_str(out, &o, "callee", r->callee, 160);
	if (r->src != NULL && r->src_mode == REC_ADDR_FULL) {
		inet_ntop(AF_INET, &r->src->sin_addr, addr, sizeof(addr));
		ref_put(out, &o, ",\"src\":\"%s:%u\"", addr,
		    ntohs(r->src->sin_port));
	} else if (r->src != NULL && r->src_mode == REC_ADDR_NET) {
		struct in_addr net;

		net.s_addr = htonl(ntohl(r->src->sin_addr.s_addr) & ~0xffU);
		inet_ntop(AF_INET, &net, addr, sizeof(addr));
		ref_put(out, &o, ",\"src\":\"%s/24\"", addr);
	}
	ref_str(out, &o, "tty", r->tty, text);
	if (r->has_id)
		ref_put(out, &o, ",\"id\":%u", r->id);
	if (r->is_new >= 0 && r->event != NULL &&
	    strcmp(r->event, "invite.left") == 0)
		ref_put(out, &o, ",\"new\":%s",
		    r->is_new ? "true" : "false");
	ref_str(out, &o, "answer", r->answer, 160);
	ref_str(out, &o, "rule", r->rule, text);
	ref_str(out, &o, "reason", r->reason, text);
	if (r->src_mode == REC_ADDR_FULL)
		ref_str(out, &o, "host", r->host, text);
	ref_str(out, &o, "msg", r->msg, text);
	if (r->count)
		ref_put(out, &o, ",\"count\":%lu", r->count);
	ref_put(out, &o, "}\n");
	return o;
}

static unsigned long long
xorshift(unsigned long long *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void
test_encode_matches_reference(void **state)
{
	static char pool[11][400];
	static const char *const events[] = { "invite.left", "lookup.hit",
	    "announce.rung", NULL };
	const char **field[11];
	char want[REF_SIZE], got[REF_SIZE];
	struct sockaddr_in sin;
	struct timespec ts;
	struct jrec r;
	unsigned long long x = 0x9e3779b97f4a7c15ULL, seq;
	size_t i, f, k, n, len, room;

#define NEXT() xorshift(&x)
	(void)state;
	for (i = 0; i < 20000; i++) {
		memset(&r, 0, sizeof(r));
		field[0] = &r.node, field[1] = &r.event, field[2] = &r.type;
		field[3] = &r.caller, field[4] = &r.callee, field[5] = &r.tty;
		field[6] = &r.answer, field[7] = &r.rule, field[8] = &r.reason;
		field[9] = &r.host, field[10] = &r.msg;
		for (f = 0; f < 11; f++) {
			if (NEXT() % 3 == 0)
				continue;
			/* short names mostly; now and then one past the cut */
			n = NEXT() % 8 == 0 ? NEXT() % 399 : NEXT() % 24;
			for (k = 0; k < n; k++) {
				unsigned b = (unsigned)(NEXT() % 100);

				pool[f][k] = (char)(b < 80 ? 0x20 + NEXT() % 95 :
				    b < 85 ? '"' : b < 90 ? '\\' : 1 + NEXT() % 255);
			}
			pool[f][n] = '\0';
			*field[f] = pool[f];
		}
		if (NEXT() % 2)
			r.event = events[NEXT() % 4];
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = (uint32_t)NEXT();
		sin.sin_port = (uint16_t)NEXT();
		r.src = NEXT() % 4 ? &sin : NULL;
		r.src_mode = (int)(NEXT() % 3);
		r.has_id = (int)(NEXT() % 2);
		r.id = (uint32_t)NEXT();
		r.is_new = (int)(NEXT() % 3) - 1;
		k = NEXT() % 64;
		r.count = NEXT() % 2 ? (unsigned long)NEXT() >> k : 0;
		ts.tv_sec = (time_t)(NEXT() % 4102444800ULL);	/* to 2100 */
		ts.tv_nsec = (long)(NEXT() % 1000000000ULL);
		k = NEXT() % 64;
		seq = NEXT() >> k;
		len = ref_encode(want, RUN, seq, &ts, &r, 160);
		room = NEXT() % 4 ? sizeof(got) : NEXT() % (len + 8);
		if (len >= room)
			len = ref_encode(want, RUN, seq, &ts, &r, 40);
		memset(got, 'Z', sizeof(got));
		n = journal_encode(got, room, RUN, seq, &ts, &r);
		if (len < room) {
			assert_int_equal(n, len);
			assert_memory_equal(got, want, len);
			assert_int_equal(got[len], '\0');
		} else {
			assert_int_equal(n, 0);
			for (k = 0; k < sizeof(got); k++)
				assert_int_equal(got[k], 'Z');
		}
	}
#undef NEXT
}

/* ---- journal_write ----------------------------------------------------------- */

struct jfix {
	char dir[64], path[128];
};

static int
jsetup(void **state)
{
	struct jfix *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/talkd-journal-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/journal", f->dir);
	*state = f;
	return 0;
}

static int
jteardown(void **state)
{
	struct jfix *f = *state;
	char cmd[160];

	/* Only our own mkdtemp() folder. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (strncmp(f->dir, "/tmp/talkd-journal-", 19) == 0 &&
	    system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Read path's lines (each checked as a record) into lines[]. */
static size_t
read_lines(const char *path, char lines[][REC_MAX], size_t max)
{
	FILE *fp = fopen(path, "r");
	char *l = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;

	if (!fp)
		return 0;
	while ((len = getline(&l, &cap, fp)) > 0) {
		assert_true(n < max);
		assert_line(l, (size_t)len);
		memcpy(lines[n], l, (size_t)len + 1);
		n++;
	}
	free(l);
	fclose(fp);
	return n;
}

static struct jrec
ev(const char *event, const char *caller)
{
	struct jrec r;

	memset(&r, 0, sizeof(r));
	r.event = event;
	r.caller = caller;
	r.is_new = -1;
	return r;
}

static void
assert_seq(const char *line, unsigned long long seq)
{
	char want[32];

	snprintf(want, sizeof(want), "%llu", seq);
	assert_field(line, "$.seq", want);
}

static void
test_write_appends_with_seq(void **state)
{
	struct jfix *f = *state;
	static char lines[8][REC_MAX];
	struct journal *j = journal_open(f->path);
	struct jrec r;
	struct stat st;
	char run[64], run2[64];
	size_t i;

	assert_non_null(j);
	for (i = 0; i < 3; i++) {
		r = ev(i == 0 ? "daemon.start" : "lookup.miss", "alice");
		journal_write(j, &r);
	}
	assert_int_equal(read_lines(f->path, lines, 8), 3);
	for (i = 0; i < 3; i++)
		assert_seq(lines[i], i + 1);
	assert_field(lines[0], "$.event", "daemon.start");
	assert_field(lines[2], "$.caller", "alice");
	/* One run for all, 16 hex digits. */
	json_get(lines[0], "$.run", run, sizeof(run));
	json_get(lines[2], "$.run", run2, sizeof(run2));
	assert_string_equal(run, run2);
	assert_int_equal(strlen(run), 16);
	assert_int_equal(strspn(run, "0123456789abcdef"), 16);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	journal_close(j);

	/* A new daemon appends with a new run, seq from 1 again. */
	j = journal_open(f->path);
	r = ev("daemon.start", NULL);
	journal_write(j, &r);
	journal_close(j);
	assert_int_equal(read_lines(f->path, lines, 8), 4);
	assert_seq(lines[3], 1);
	json_get(lines[3], "$.run", run2, sizeof(run2));
	assert_string_not_equal(run, run2);
}

static void
test_write_follows_rotation(void **state)
{
	struct jfix *f = *state;
	static char lines[8][REC_MAX];
	char old[160], older[160];
	struct journal *j = journal_open(f->path);
	struct jrec r = ev("lookup.miss", "x");

	assert_non_null(j);
	snprintf(old, sizeof(old), "%s.1", f->path);
	snprintf(older, sizeof(older), "%s.2", f->path);
	journal_write(j, &r);
	/* logrotate-style: rename, no signal. */
	assert_int_equal(rename(f->path, old), 0);
	journal_write(j, &r);
	journal_write(j, &r);
	assert_int_equal(read_lines(old, lines, 8), 1);
	assert_seq(lines[0], 1);
	assert_int_equal(read_lines(f->path, lines, 8), 2);
	assert_seq(lines[0], 2);
	assert_seq(lines[1], 3);

	/* Removed, then SIGHUP's reopen: also a new file. */
	assert_int_equal(rename(f->path, older), 0);
	journal_reopen(j);
	journal_write(j, &r);
	assert_int_equal(read_lines(f->path, lines, 8), 1);
	assert_seq(lines[0], 4);
	assert_int_equal(unlink(f->path), 0);
	journal_write(j, &r);
	assert_int_equal(read_lines(f->path, lines, 8), 1);
	assert_seq(lines[0], 5);
	/* The rotated files were never written again. */
	assert_int_equal(read_lines(old, lines, 8), 1);
	assert_int_equal(read_lines(older, lines, 8), 2);
	journal_close(j);
}

static void
test_write_backlog_until_path_works(void **state)
{
	struct jfix *f = *state;
	static char lines[8][REC_MAX];
	char sub[96], path[160];
	struct journal *j;
	struct jrec r;
	int i;

	/* The journal's folder does not exist yet. */
	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	snprintf(path, sizeof(path), "%s/journal", sub);
	j = journal_open(path);
	assert_non_null(j);		/* the daemon goes on */
	for (i = 0; i < 3; i++) {
		r = ev("lookup.miss", i == 0 ? "first" : "later");
		journal_write(j, &r);
	}
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(mkdir(sub, 0755), 0);
	r = ev("lookup.hit", "fourth");
	journal_write(j, &r);
	assert_int_equal(read_lines(path, lines, 8), 4);
	for (i = 0; i < 4; i++)
		assert_seq(lines[i], (unsigned long long)i + 1);
	assert_field(lines[0], "$.caller", "first");
	assert_field(lines[3], "$.caller", "fourth");
	journal_close(j);
}

static void
test_write_backlog_overflow_counts_lost(void **state)
{
	struct jfix *f = *state;
	static char lines[300][REC_MAX];
	char sub[96], path[160], got[64];
	struct journal *j;
	struct jrec r = ev("lookup.miss", "x");
	size_t n;
	int i;

	snprintf(sub, sizeof(sub), "%s/sub", f->dir);
	snprintf(path, sizeof(path), "%s/journal", sub);
	j = journal_open(path);
	assert_non_null(j);
	for (i = 0; i < 300; i++)
		journal_write(j, &r);
	assert_int_equal(mkdir(sub, 0755), 0);
	journal_write(j, &r);
	n = read_lines(path, lines, 300);
	/* What the backlog held, then how much was lost, then the new one. */
	assert_true(n >= 3);
	assert_seq(lines[0], 1);
	assert_field(lines[n - 2], "$.event", "journal.lost");
	json_get(lines[n - 2], "$.count", got, sizeof(got));
	assert_int_equal(strtoul(got, NULL, 10) + (n - 2), 300);
	assert_field(lines[n - 1], "$.event", "lookup.miss");
	journal_close(j);
}

static void
test_batch_is_written_at_commit(void **state)
{
	struct jfix *f = *state;
	static char lines[8][REC_MAX];
	struct journal *j = journal_open(f->path);
	struct jrec r = ev("lookup.miss", "x");
	int i;

	assert_non_null(j);
	journal_begin(j);
	for (i = 0; i < 3; i++)
		journal_write(j, &r);
	assert_int_equal(read_lines(f->path, lines, 8), 0);	/* not yet */
	journal_commit(j);
	assert_int_equal(read_lines(f->path, lines, 8), 3);
	for (i = 0; i < 3; i++)
		assert_seq(lines[i], (unsigned long long)i + 1);
	journal_write(j, &r);		/* outside a batch: at once */
	assert_int_equal(read_lines(f->path, lines, 8), 4);
	journal_close(j);
}

/*
 * The batch encodes each record in place, at its end, and keeps room past
 * its last record for the longest one before it is cut: a batch of
 * records one byte short of REC_MAX whose last one is as long as a record
 * gets uncut (under ASan, no byte may go past the batch), then records
 * that fit only with their free text cut.  The long one is kept as a short
 * "record truncated" one, the others whole; every line valid, in order.
 */
static void
test_batch_long_records_fit(void **state)
{
	struct jfix *f = *state;
	static char lines[140][REC_MAX];
	static char text[400], name[400], aname[151], tty[101], pad[161];
	static char rec[REC_MAX];
	struct journal *j = journal_open(f->path);
	struct jrec full = ev("lookup.miss", NULL), all, cut;
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(65535), .sin_addr = { htonl(0xfffefdfc) } };
	struct timespec ts = { 1795000000, 0 };
	char host[256] = "";
	size_t i, len = 0;

	assert_non_null(j);
	if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
		memcpy(host, "localhost", sizeof("localhost"));
	memset(text, 1, sizeof(text) - 1);	/* each escaped as \u0001 */
	memset(name, '"', sizeof(name) - 1);	/* each escaped as \" */
	memset(aname, 'a', sizeof(aname) - 1);
	memset(tty, 'c', sizeof(tty) - 1);
	/* full: names of 150 bytes, a tty of 100 and a msg as long as makes
	 * the record REC_MAX - 1 bytes with a three-digit seq (the journal's
	 * node). */
	full.caller = full.callee = full.type = full.answer = aname;
	full.tty = tty;
	full.node = host;
	full.msg = pad;
	for (i = 0; i < sizeof(pad) - 1 && len != REC_MAX - 1; i++) {
		pad[i] = 'b';
		len = journal_encode(rec, REC_MAX, RUN, 100, &ts, &full);
	}
	assert_int_equal(len, REC_MAX - 1);
	all = ev("lookup.miss", NULL);
	all.caller = all.callee = all.type = all.answer = name;
	all.tty = all.rule = all.reason = all.host = all.msg = text;
	all.src = &sin;
	cut = all;
	/* 1,060 bytes with its free text at 160, about 460 at 40 */
	cut.caller = cut.callee = "xxxxxxxxxxxxxxxxxxxx";
	cut.type = cut.answer = "x";

	journal_begin(j);
	for (i = 0; i < 127; i++)
		journal_write(j, &full);
	journal_write(j, &all);		/* the batch's 128th and last */
	for (i = 0; i < 7; i++)
		journal_write(j, &cut);	/* into the next batch */
	journal_commit(j);
	assert_int_equal(read_lines(f->path, lines, 140), 135);
	for (i = 0; i < 135; i++) {
		assert_seq(lines[i], (unsigned long long)i + 1);
		assert_true(strlen(lines[i]) < REC_MAX);
	}
	assert_true(strlen(lines[126]) == REC_MAX - 1);
	assert_field(lines[127], "$.msg", "record truncated");
	assert_non_null(strstr(lines[134], "\\u0001\\u0001"));
	assert_true(strlen(lines[134]) < 600);		/* cut */
	journal_close(j);
}

/*
 * A short write in the middle of a batch (the file size limit stands in
 * for a full disk): the records that went out whole stay, the torn one is
 * cut off the file, and it and the rest are written whole later, in order.
 */
static void
test_batch_short_write_tears_nothing(void **state)
{
	struct jfix *f = *state;
	static char lines[8][REC_MAX];
	struct journal *j = journal_open(f->path);
	struct jrec r = ev("lookup.miss", "x");
	struct rlimit old, lim;
	struct stat st;
	void (*was)(int);
	int i;

	assert_non_null(j);
	journal_write(j, &r);
	assert_int_equal(stat(f->path, &st), 0);	/* one record's size */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	was = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = (rlim_t)(2 * st.st_size + st.st_size / 2);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	journal_begin(j);
	for (i = 0; i < 3; i++)		/* 2 fits, 3 would tear, 4 not */
		journal_write(j, &r);
	journal_commit(j);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, was);
	assert_int_equal(read_lines(f->path, lines, 8), 2);	/* whole */
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, (off_t)(2 * strlen(lines[0])));
	journal_write(j, &r);
	assert_int_equal(read_lines(f->path, lines, 8), 5);
	for (i = 0; i < 5; i++)
		assert_seq(lines[i], (unsigned long long)i + 1);
	journal_close(j);
}

/*
 * A folder the daemon's user may not write: only meaningful without
 * root's override, so the writer runs in a child as nobody.  Plain checks
 * and an exit code there; cmocka's asserts belong to the parent.
 */
static int
unwritable_child(const char *dir, const char *path)
{
	struct jrec r = ev("lookup.miss", "x");
	struct journal *j;
	FILE *fp;
	char line[REC_MAX];
	int n = 0;

	if ((j = journal_open(path)) == NULL)
		return 10;
	journal_write(j, &r);
	journal_write(j, &r);
	if (access(path, F_OK) == 0)
		return 11;
	if (chmod(dir, 0755) < 0)
		return 12;
	journal_write(j, &r);
	journal_close(j);
	if ((fp = fopen(path, "r")) == NULL)
		return 13;
	while (fgets(line, sizeof(line), fp))
		n++;
	fclose(fp);
	return n == 3 ? 0 : 14;
}

static void
test_write_unwritable_folder_as_nobody(void **state)
{
	struct jfix *f = *state;
	struct passwd *pw;
	char sub[96], path[160];
	pid_t pid;
	int status;

	/* cmocka 1.1.5 prints skip() as "not ok": leave out with a comment. */
	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL) {
		print_message("# needs root and user nobody: left out\n");
		return;
	}
	snprintf(sub, sizeof(sub), "%s/ro", f->dir);
	snprintf(path, sizeof(path), "%s/journal", sub);
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(mkdir(sub, 0555), 0);
	assert_int_equal(chown(sub, pw->pw_uid, pw->pw_gid), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
			_exit(9);
		_exit(unwritable_child(sub, path));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_write_without_path_is_off(void **state)
{
	struct journal *j = journal_open(NULL);
	struct jrec r = ev("daemon.start", NULL);

	(void)state;
	assert_non_null(j);
	journal_write(j, &r);		/* no file, no crash */
	journal_reopen(j);
	journal_write(NULL, &r);
	journal_close(j);
	journal_close(NULL);
}

/* ---- process.c's events, as schema/journal.md lists them --------------------- */

static struct ctl_msg
msg_of(uint8_t type, const char *l, const char *r, uint32_t id)
{
	struct ctl_msg m;

	memset(&m, 0, sizeof(m));
	m.vers = TALK_VERSION;
	m.type = type;
	m.id_num = id;
	m.pid = 321;
	m.addr = (struct osa){ OSA_AF_INET, 5000, 0x7f000001U };
	m.ctl_addr = (struct osa){ OSA_AF_INET, 6000, 0x7f000001U };
	snprintf(m.l_name, sizeof(m.l_name), "%s", l);
	snprintf(m.r_name, sizeof(m.r_name), "%s", r);
	return m;
}

static void
test_process_events(void **state)
{
	struct jfix *f = *state;
	static char lines[16][REC_MAX];
	struct table_limits lim = { 1, 1, 60000 };
	struct server s;
	struct sockaddr_in lo = sin_of(0x7f000001U, 6000);
	struct sockaddr_in lo2 = sin_of(0x7f000002U, 6001);
	struct sockaddr_in far = sin_of(0xc0000201U, 6002);	/* 192.0.2.1 */
	struct ctl_msg m;
	struct ctl_resp r;
	char id[16];
	uint32_t inv_id;
	size_t n;

	memset(&s, 0, sizeof(s));
	s.table = table_new(&lim);
	s.journal = journal_open(f->path);
	s.pw = pwcache_new(16, 30000);
	assert_non_null(s.pw);
	assert_non_null(s.table);
	assert_non_null(s.journal);

	m = msg_of(LEAVE_INVITE, "alice", "bob", 0);
	process_request(&s, &m, &lo, &r, 1000);		/* 1 invite.left new */
	inv_id = r.id_num;
	snprintf(id, sizeof(id), "%u", (unsigned)inv_id);
	process_request(&s, &m, &lo, &r, 2000);		/* 2 invite.left old */
	m = msg_of(LEAVE_INVITE, "carol", "bob", 0);
	process_request(&s, &m, &far, &r, 2000);	/* 3 refused: remote */
	/* 4 refused again (a full table evicts: test_table, t1060-flood) */
	process_request(&s, &m, &far, &r, 2000);
	m = msg_of(LOOK_UP, "bob", "alice", 0);
	process_request(&s, &m, &lo2, &r, 3000);	/* 5 lookup.hit */
	m = msg_of(LOOK_UP, "bob", "carol", 0);
	process_request(&s, &m, &lo2, &r, 3000);	/* 6 lookup.miss */
	m = msg_of(DELETE, "", "", inv_id);
	process_request(&s, &m, &lo2, &r, 4000);	/* 7 delete.miss */
	process_request(&s, &m, &lo, &r, 4000);		/* 8 invite.deleted */
	m = msg_of(LEAVE_INVITE, "dave", "erin", 0);
	process_request(&s, &m, &lo, &r, 5000);		/* 9 invite.left */
	process_expire(&s, 5000 + 60000 + 1);		/* 10 invite.expired */

	/* Each record's fields as the schema lists them; ID: the invite's. */
	static const char ID[] = "";
	static const struct {
		int line;
		const char *path, *want;	/* NULL want: absent */
	} exp[] = {
		{ 0, "$.event", "invite.left" }, { 0, "$.caller", "alice" },
		{ 0, "$.callee", "bob" }, { 0, "$.src", "127.0.0.1:6000" },
		{ 0, "$.id", ID }, { 0, "$.answer", "SUCCESS" },
		{ 1, "$.event", "invite.left" }, { 1, "$.id", ID },
		{ 2, "$.event", "invite.refused" }, { 2, "$.caller", "carol" },
		{ 2, "$.src", "192.0.2.1:6002" }, { 2, "$.answer", "FAILED" },
		{ 2, "$.id", NULL },
		{ 3, "$.event", "invite.refused" }, { 3, "$.answer", "FAILED" },
		{ 4, "$.event", "lookup.hit" }, { 4, "$.caller", "bob" },
		{ 4, "$.callee", "alice" }, { 4, "$.id", ID },
		{ 4, "$.answer", "SUCCESS" },
		{ 5, "$.event", "lookup.miss" }, { 5, "$.answer", "NOT_HERE" },
		{ 5, "$.id", NULL },
		{ 6, "$.event", "delete.miss" }, { 6, "$.src", "127.0.0.2:6001" },
		{ 6, "$.id", ID }, { 6, "$.answer", "NOT_HERE" },
		{ 7, "$.event", "invite.deleted" }, { 7, "$.caller", "alice" },
		{ 7, "$.callee", "bob" }, { 7, "$.id", ID },
		{ 7, "$.answer", "SUCCESS" },
		{ 8, "$.event", "invite.left" },
		{ 9, "$.event", "invite.expired" }, { 9, "$.caller", "dave" },
		{ 9, "$.callee", "erin" }, { 9, "$.type", "LEAVE_INVITE" },
	};
	size_t i;

	n = read_lines(f->path, lines, 16);
	assert_int_equal(n, 10);
	for (i = 0; i < sizeof(exp) / sizeof(exp[0]); i++) {
		if (exp[i].want == NULL)
			assert_absent(lines[exp[i].line], exp[i].path);
		else
			assert_field(lines[exp[i].line], exp[i].path,
			    exp[i].want == ID ? id : exp[i].want);
	}
	assert_non_null(strstr(lines[0], "\"new\":true"));
	assert_non_null(strstr(lines[1], "\"new\":false"));
	assert_non_null(strstr(lines[2], "\"reason\":\""));
	assert_non_null(strstr(lines[3], "\"reason\":\""));
	assert_non_null(strstr(lines[9], "\"id\":"));

	journal_close(s.journal);
	table_free(s.table);
	pwcache_free(s.pw);
	free(s.local);
}

static void
test_process_malformed_rate_limited(void **state)
{
	struct jfix *f = *state;
	static char lines[16][REC_MAX];
	struct server s;
	struct sockaddr_in src = sin_of(0x0a000001U, 7000);
	char got[32];
	int i;

	memset(&s, 0, sizeof(s));
	s.journal = journal_open(f->path);
	assert_non_null(s.journal);
	/* 100 short packets and 5 bad versions within one second. */
	for (i = 0; i < 100; i++)
		process_malformed(&s, &src, "short packet", -1, 100000 + i);
	for (i = 0; i < 5; i++)
		process_malformed(&s, &src, "bad version", BADVERSION,
		    100000 + i);
	/* The first of each is written at once, the rest waits. */
	assert_int_equal(read_lines(f->path, lines, 16), 2);
	process_flush_malformed(&s, 100500, 0);
	assert_int_equal(read_lines(f->path, lines, 16), 2);
	process_flush_malformed(&s, 101000, 0);
	assert_int_equal(read_lines(f->path, lines, 16), 4);
	assert_field(lines[0], "$.event", "packet.malformed");
	assert_field(lines[0], "$.reason", "short packet");
	assert_field(lines[0], "$.count", "1");
	assert_field(lines[0], "$.src", "10.0.0.1:7000");
	assert_absent(lines[0], "$.answer");		/* dropped: no reply */
	assert_field(lines[1], "$.reason", "bad version");
	assert_field(lines[1], "$.answer", "BADVERSION");
	/* Every packet is counted exactly once. */
	json_get(lines[2], "$.count", got, sizeof(got));
	assert_string_equal(got, "99");
	json_get(lines[3], "$.count", got, sizeof(got));
	assert_string_equal(got, "4");
	/* Nothing pending: forcing writes nothing more. */
	process_flush_malformed(&s, 101001, 1);
	assert_int_equal(read_lines(f->path, lines, 16), 4);
	process_malformed(&s, &src, "short packet", -1, 101002);
	process_malformed(&s, &src, "short packet", -1, 101003);
	process_flush_malformed(&s, 101004, 1);		/* at exit */
	assert_int_equal(read_lines(f->path, lines, 16), 5);
	assert_field(lines[4], "$.count", "2");
	journal_close(s.journal);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_all_keys),
		cmocka_unit_test(test_encode_numbers_as_printf),
		cmocka_unit_test(test_encode_node_and_address),
		cmocka_unit_test(test_name_keyed_is_hmac_sha256),
		cmocka_unit_test(test_encode_leaves_out_unset),
		cmocka_unit_test(test_encode_escapes),
		cmocka_unit_test(test_encode_bounded),
		cmocka_unit_test(test_encode_matches_reference),
#define T(name) cmocka_unit_test_setup_teardown(name, jsetup, jteardown)
		T(test_write_appends_with_seq),
		T(test_write_follows_rotation),
		T(test_write_backlog_until_path_works),
		T(test_write_backlog_overflow_counts_lost),
		T(test_write_unwritable_folder_as_nobody),
		T(test_batch_is_written_at_commit),
		T(test_batch_long_records_fit),
		T(test_batch_short_write_tears_nothing),
		T(test_process_events),
		T(test_process_malformed_rate_limited),
#undef T
		cmocka_unit_test(test_write_without_path_is_off),
	};

	log_init(1, 0);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
