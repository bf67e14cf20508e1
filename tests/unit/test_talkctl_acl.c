/* Unit tests for talkctl/tc_acl.c: escaping, carets, rule references. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "talkctl/tc_acl.h"

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
test_escape(void **state)
{
	struct cap c;

	(void)state;
	tc_fput_esc(cap_open(&c), "a\\b\n\t\x7f\x1b[2Jz\xc3\xa9");
	assert_string_equal(cap_done(&c),
	    "a\\\\b\\n\\t\\x7f\\x1b[2Jz\\xc3\\xa9");
	free(c.buf);
}

static void
test_json_string(void **state)
{
	struct cap c;

	(void)state;
	tc_fput_json(cap_open(&c), "q\"b\\\n\x01\xff");
	assert_string_equal(cap_done(&c), "\"q\\\"b\\\\\\n\\u0001\\u00ff\"");
	free(c.buf);
	tc_fput_json(cap_open(&c), NULL);
	assert_string_equal(cap_done(&c), "null");
	free(c.buf);
}

static void
test_ip4(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(tc_ip4(0xc0a80114u, buf, sizeof(buf)),
	    "192.168.1.20");
	assert_string_equal(tc_ip4(0xffffffffu, buf, sizeof(buf)),
	    "255.255.255.255");
	assert_string_equal(tc_ip4(0, buf, 4), "?");
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
		cmocka_unit_test(test_ip4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
