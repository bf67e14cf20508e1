/* Unit tests for talkctl/tc_acl.c: rule references, addresses, stamps. */
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
		cmocka_unit_test(test_ref_str),
		cmocka_unit_test(test_ip4),
		cmocka_unit_test(test_deciding_rule),
		cmocka_unit_test(test_stamp_eq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
