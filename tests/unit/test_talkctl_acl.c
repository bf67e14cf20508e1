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
test_ref_str(void **state)
{
	struct acl_rule_ref r;
	char buf[128];

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_string_equal(tc_ref_str(NULL, buf, sizeof(buf)), "default");
	r.file = "p.yaml";
	r.line = 3;
	r.col = 5;
	assert_string_equal(tc_ref_str(&r, buf, sizeof(buf)), "p.yaml:3:5");
	r.id = "staff";
	assert_string_equal(tc_ref_str(&r, buf, sizeof(buf)),
	    "p.yaml:3:5 [staff]");
	r.col = 0;
	assert_string_equal(tc_ref_str(&r, buf, sizeof(buf)),
	    "p.yaml:3 [staff]");
	r.file = NULL;
	assert_string_equal(tc_ref_str(&r, buf, sizeof(buf)), "[staff]");
	/* Too small a buffer is not an overflow. */
	r.file = "a-rather-long-file-name.yaml";
	assert_string_equal(tc_ref_str(&r, buf, 8), "rule");
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

static void
test_deciding_rule(void **state)
{
	struct acl_rule_ref s, u;
	struct acl_verdict v = { 0, ACL_R_SITE_DENY, &s, &u };

	(void)state;
	assert_ptr_equal(tc_deciding_rule(&v), &s);
	v.reason = ACL_R_USER_OVERRIDE;
	assert_ptr_equal(tc_deciding_rule(&v), &u);
	v.reason = ACL_R_USER_DENY;
	assert_ptr_equal(tc_deciding_rule(&v), &u);
	v.reason = ACL_R_STRICT_DENY;
	assert_ptr_equal(tc_deciding_rule(&v), &s);
}

static void
test_stamp_eq(void **state)
{
	struct acl_stamp a = { 1, 2, 3, 4, 5 }, b = a;

	(void)state;
	assert_true(tc_stamp_eq(&a, &b));
	b.ctime_ns++;
	assert_false(tc_stamp_eq(&a, &b));
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
		cmocka_unit_test(test_ref_str),
		cmocka_unit_test(test_ip4),
		cmocka_unit_test(test_deciding_rule),
		cmocka_unit_test(test_stamp_eq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
