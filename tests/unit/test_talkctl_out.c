/*
 * Unit tests for talkctl/out.c: terminal escaping, JSON strings and JSON
 * lines made elsewhere, carets under file:line:col positions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "talkctl/out.h"

const char *talkctl_progname = "talkctl";	/* defined in talkctl.c */

struct cap {
	FILE *f;
	char *buf;
	size_t len;
};

static FILE *
cap_open(struct cap *c)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	return c->f;
}

/* Closes the stream; the caller frees c->buf. */
static const char *
cap_done(struct cap *c)
{
	assert_int_equal(fclose(c->f), 0);
	return c->buf;
}

static void
caret(const char *line, unsigned col, const char *want)
{
	struct cap c;

	tc_render_caret(cap_open(&c), line, strlen(line), col);
	assert_string_equal(cap_done(&c), want);
	free(c.buf);
}

static void
test_caret_plain(void **state)
{
	(void)state;
	caret("alow .* any", 1, "alow .* any\n^\n");
	caret("deny .* 1.2.3.4/99", 9, "deny .* 1.2.3.4/99\n        ^\n");
	caret("deny x", 0, "deny x\n");
}

static void
test_caret_tabs_expand_to_8(void **state)
{
	(void)state;
	/* GNU column 9 is the byte after the tab. */
	caret("deny\tbad", 9, "deny    bad\n        ^\n");
	/* Column 6 lies inside the tab's span. */
	caret("deny\tbad", 6, "deny    bad\n     ^\n");
	caret("\t\tx", 17, "                x\n                ^\n");
}

static void
test_caret_escapes_widen(void **state)
{
	(void)state;
	/* The ESC byte prints as 4 columns; the caret follows the text. */
	caret("a\x1b" "b", 3, "a\\x1bb\n     ^\n");
	/* Past the end of the line: after the last byte. */
	caret("ab", 3, "ab\n  ^\n");
}

static void
esc(const char *in, const char *want)
{
	struct cap c;

	tc_fput_esc(cap_open(&c), in);
	assert_string_equal(cap_done(&c), want);
	assert_int_equal(tc_esc_width(in), strlen(want));
	free(c.buf);
}

static void
test_escape(void **state)
{
	(void)state;
	esc("a\\b\n\t\x7f\x1b[2Jz\xc3\xa9", "a\\\\b\\n\\t\\x7f\\x1b[2Jz\\xc3\\xa9");
	esc("\r\x01", "\\r\\x01");
	/* U+202E and U+2028 are bytes outside printable ASCII too. */
	esc("\xe2\x80\xae" "x\xe2\x80\xa8", "\\xe2\\x80\\xaex\\xe2\\x80\\xa8");
	esc("", "");
}

static void
json(const char *in, const char *want)
{
	struct cap c;

	tc_fput_json(cap_open(&c), in);
	assert_string_equal(cap_done(&c), want);
	free(c.buf);
}

static void
test_json_string(void **state)
{
	(void)state;
	json("q\"b\\\n\r\t\x01", "\"q\\\"b\\\\\\n\\r\\t\\u0001\"");
	json(NULL, "null");
	/* Well-formed UTF-8 is kept: names are readable. */
	json("\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80", "\"\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80\"");
}

static void
test_json_controls(void **state)
{
	(void)state;
	/* DEL and the C1 controls, which some terminals obey. */
	json("\x7f" "\xc2\x80\xc2\x9b\xc2\x9f\xc2\xa0",
	    "\"\\u007f\\u0080\\u009b\\u009f\xc2\xa0\"");
}

static void
test_json_separators_and_bidi(void **state)
{
	(void)state;
	/* U+2028 and U+2029: line ends to JavaScript. */
	json("a\xe2\x80\xa8" "b\xe2\x80\xa9", "\"a\\u2028b\\u2029\"");
	/* U+202A..U+202E; U+2027 and U+202F are not controls. */
	json("\xe2\x80\xa7\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad"
	    "\xe2\x80\xae\xe2\x80\xaf",
	    "\"\xe2\x80\xa7\\u202a\\u202b\\u202c\\u202d\\u202e\xe2\x80\xaf\"");
	/* U+2066..U+2069 (isolates), U+200E, U+200F and U+061C (marks). */
	json("\xe2\x81\xa5\xe2\x81\xa6\xe2\x81\xa9\xe2\x81\xaa",
	    "\"\xe2\x81\xa5\\u2066\\u2069\xe2\x81\xaa\"");
	json("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\"\\u200e\\u200f\\u061c\"");
}

static void
test_json_invalid_utf8(void **state)
{
	(void)state;
	/* A stray byte, and a lead byte cut short by the end. */
	json("a\xff" "b", "\"a\\ufffdb\"");
	json("a\xe2\x80", "\"a\\ufffd\\ufffd\"");
	/* An encoded surrogate (CESU, or a lone half from \ud800). */
	json("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	json("\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\"");
	json("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");		/* U+D7FF */
	/* Overlong forms: "/" in two bytes, U+0000 in two, U+2028 in four. */
	json("\xc0\xaf", "\"\\ufffd\\ufffd\"");
	json("\xc0\x80", "\"\\ufffd\\ufffd\"");
	json("\xf0\x82\x80\xa8", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* Past U+10FFFF. */
	json("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	json("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");	/* U+10FFFF */
	/* A continuation byte that is not one resumes decoding there. */
	json("\xe2\x80" "a", "\"\\ufffd\\ufffda\"");
}

static void
text(const char *in, const char *want)
{
	struct cap c;

	assert_int_equal(tc_fput_json_text(cap_open(&c), in), 0);
	assert_string_equal(cap_done(&c), want);
	free(c.buf);
}

static void
test_json_text(void **state)
{
	(void)state;
	/* Valid, plain JSON is copied as it is, plus a newline. */
	text("{\"a\":\"x\\\"y\\\\\",\"b\":[1,true,null]}",
	    "{\"a\":\"x\\\"y\\\\\",\"b\":[1,true,null]}\n");
	/* Raw separators, bidi controls and C1 in strings are escaped... */
	text("{\"caller\":\"a\xe2\x80\xa8" "b\xe2\x80\xae" "c\xc2\x9b\"}",
	    "{\"caller\":\"a\\u2028b\\u202ec\\u009b\"}\n");
	/* ...also after an escaped quote, which does not end the string. */
	text("{\"a\":\"\\\"\xe2\x80\xae\"}", "{\"a\":\"\\\"\\u202e\"}\n");
	/* Escapes already there are kept, U+2028 included. */
	text("{\"a\":\"\\u2028\\u001b\\n\"}", "{\"a\":\"\\u2028\\u001b\\n\"}\n");
	/* Invalid UTF-8 and encoded surrogates in strings. */
	text("{\"a\":\"\xff\xed\xa0\x80\"}",
	    "{\"a\":\"\\ufffd\\ufffd\\ufffd\\ufffd\"}\n");
	/* Whitespace outside strings stays on the one line. */
	text("{\"a\":\t1,\r\n\"b\":2}", "{\"a\": 1,  \"b\":2}\n");
}

static void
test_json_text_surrogates(void **state)
{
	(void)state;
	/* A lone high or low half is U+FFFD; a pair is kept. */
	text("{\"a\":\"\\ud800\"}", "{\"a\":\"\\ufffd\"}\n");
	text("{\"a\":\"\\uDC00x\"}", "{\"a\":\"\\ufffdx\"}\n");
	text("{\"a\":\"\\ud800\\u0041\"}", "{\"a\":\"\\ufffd\\u0041\"}\n");
	text("{\"a\":\"\\ud800\\ud800\"}", "{\"a\":\"\\ufffd\\ufffd\"}\n");
	text("{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"\\ud83d\\ude00\"}\n");
	/* Outside a string it is just text. */
	text("\\ud800", "\\ud800\n");
	/* Cut short at the end of the text: nothing read past it. */
	text("{\"a\":\"\\ud8", "{\"a\":\"\\ud8\n");
	text("{\"a\":\"\\", "{\"a\":\"\\\\\n");
}

/*
 * What a consumer may rely on, checked independently of out.c: strict
 * UTF-8 (shortest form, no surrogates, at most U+10FFFF), no C0, DEL, C1,
 * separator or bidi control as it is, and in JSON strings no escaped
 * surrogate.  A NULL-terminated s; json: escapes are checked too.
 */
static void
assert_safe(const char *s, int json)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long c;
	int i, n;

	while (*p != '\0') {
		if (*p < 0x80) {
			assert_true(*p >= 0x20 && *p != 0x7f);
			if (json && *p == '\\' && p[1] == 'u') {
				c = strtoul((const char []){ (char)p[2],
				    (char)p[3], (char)p[4], (char)p[5], 0 },
				    NULL, 16);
				assert_false(c >= 0xd800 && c <= 0xdfff &&
				    !(c <= 0xdbff && p[6] == '\\' &&
				    p[7] == 'u'));
				p += 6;
				continue;
			}
			if (json && *p == '\\') {
				assert_non_null(strchr("\"\\/bfnrt", p[1]));
				p += 2;
				continue;
			}
			p++;
			continue;
		}
		n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
		assert_true(*p >= 0xc2 && *p <= 0xf4);
		c = *p & (0x7f >> n);
		for (i = 1; i < n; i++) {
			assert_int_equal(p[i] & 0xc0, 0x80);
			c = c << 6 | (p[i] & 0x3f);
		}
		assert_true(c >= (n == 2 ? 0x80ul : n == 3 ? 0x800ul : 0x10000ul));
		assert_true(c <= 0x10ffff && (c < 0xd800 || c > 0xdfff));
		assert_false(c <= 0x9f || c == 0x61c || c == 0x200e ||
		    c == 0x200f || (c >= 0x2028 && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069));
		p += n;
	}
}

/*
 * Any bytes at all: random strings (fixed seed, bounded count) built from
 * the pieces that matter, through both JSON writers.  A string written by
 * tc_fput_json inside an object is copied unchanged by tc_fput_json_text.
 */
static void
test_json_any_bytes(void **state)
{
	static const char *const piece[] = {
		"\xe2\x80\xa8", "\xe2\x80\xae", "\xe2\x81\xa6", "\xed\xa0\x80",
		"\xed\xb0\x80", "\xc2\x9b", "\xc0\xaf", "\xf4\x90\x80\x80",
		"\xf0\x9f\x98\x80", "\xc3\xa9", "\\u", "\\ud800", "\\udc00",
		"\\ud83d\\ude00", "\\", "\"", "d8", "0", "a", "\t", "\n",
		"\x1b", "\x7f", "{", "}", ":", ",",
	};
	uint32_t x = 2463534242u;
	char in[256], obj[2048];
	struct cap c, t;
	size_t len, k;
	int i, j, m;

	(void)state;
	for (i = 0; i < 20000; i++) {
		len = 0;
		m = (int)(x % 12);
		for (j = 0; j < m; j++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			if (x % 4 == 0)		/* any byte but NUL */
				in[len++] = (char)((x >> 8) % 255 + 1);
			else {
				const char *pc = piece[(x >> 8) %
				    (sizeof(piece) / sizeof(piece[0]))];

				memcpy(in + len, pc, strlen(pc));
				len += strlen(pc);
			}
		}
		in[len] = '\0';
		x = x * 1103515245u + 12345u;

		tc_fput_json(cap_open(&c), in);
		cap_done(&c);
		assert_true(c.len >= 2 && c.buf[0] == '"' &&
		    c.buf[c.len - 1] == '"');
		assert_safe(c.buf, 1);
		k = (size_t)snprintf(obj, sizeof(obj), "{\"k\":%s}", c.buf);
		assert_true(k < sizeof(obj));
		free(c.buf);

		/* A JSON line as it is: made safe, one line. */
		assert_int_equal(tc_fput_json_text(cap_open(&t), in), 0);
		cap_done(&t);
		assert_true(t.len >= 1 && t.buf[t.len - 1] == '\n');
		t.buf[t.len - 1] = '\0';
		assert_safe(t.buf, 0);
		free(t.buf);

		/* Safe JSON is copied unchanged. */
		assert_int_equal(tc_fput_json_text(cap_open(&t), obj), 0);
		cap_done(&t);
		obj[k] = '\n';
		obj[k + 1] = '\0';
		assert_string_equal(t.buf, obj);
		free(t.buf);
	}
}

static void
test_warn(void **state)
{
	struct acl_err w;
	struct cap c;

	(void)state;
	memset(&w, 0, sizeof(w));
	assert_true(snprintf(w.file, sizeof(w.file), "p\x1b.yaml") > 0);
	w.line = 3;
	w.col = 5;
	assert_true(snprintf(w.msg, sizeof(w.msg), "rule \xe2\x80\xae "
	    "shadowed") > 0);
	tc_print_warn(cap_open(&c), &w, NULL);
	assert_string_equal(cap_done(&c),
	    "p\\x1b.yaml:3:5: warning: rule \\xe2\\x80\\xae shadowed\n");
	free(c.buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caret_plain),
		cmocka_unit_test(test_caret_tabs_expand_to_8),
		cmocka_unit_test(test_caret_escapes_widen),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_json_controls),
		cmocka_unit_test(test_json_separators_and_bidi),
		cmocka_unit_test(test_json_invalid_utf8),
		cmocka_unit_test(test_json_text),
		cmocka_unit_test(test_json_text_surrogates),
		cmocka_unit_test(test_json_any_bytes),
		cmocka_unit_test(test_warn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
