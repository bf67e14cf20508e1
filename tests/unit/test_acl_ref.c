/*
 * The one way a rule is named (journal, who-called, simulate, acl test)
 * and the one choice of the rule that decided a verdict.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "acl/acl.h"

static void
test_rule_ref_str(void **state)
{
	struct acl_rule_ref r;
	char buf[128];

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_string_equal(acl_rule_ref_str(NULL, buf, sizeof(buf)),
	    "default");
	r.file = "p.yaml";
	r.line = 3;
	r.col = 5;
	assert_string_equal(acl_rule_ref_str(&r, buf, sizeof(buf)),
	    "p.yaml:3:5");
	r.id = "staff";
	assert_string_equal(acl_rule_ref_str(&r, buf, sizeof(buf)),
	    "p.yaml:3:5 [staff]");
	r.col = 0;
	assert_string_equal(acl_rule_ref_str(&r, buf, sizeof(buf)),
	    "p.yaml:3 [staff]");
	r.file = NULL;
	assert_string_equal(acl_rule_ref_str(&r, buf, sizeof(buf)),
	    "[staff]");
	/* A whole-file deny-all is named by its file. */
	r.id = NULL;
	r.line = 0;
	r.file = "/home/u/.talkrc";
	assert_string_equal(acl_rule_ref_str(&r, buf, sizeof(buf)),
	    "/home/u/.talkrc");
	/* Too small a buffer: the id, or the text cut, never an overflow. */
	r.file = "a-rather-long-file-name.yaml";
	r.line = 1;
	r.col = 1;
	r.id = "x";
	assert_string_equal(acl_rule_ref_str(&r, buf, 8), "[x]");
	r.id = NULL;
	assert_string_equal(acl_rule_ref_str(&r, buf, 8), "a-rathe");
}

static void
test_verdict_rule(void **state)
{
	struct acl_rule_ref s, u;
	struct acl_verdict v = { 0, ACL_R_SITE_DENY, &s, &u, NULL };

	(void)state;
	assert_ptr_equal(acl_verdict_rule(&v), &s);
	v.reason = ACL_R_USER_OVERRIDE;
	assert_ptr_equal(acl_verdict_rule(&v), &u);
	v.reason = ACL_R_USER_DENY;
	assert_ptr_equal(acl_verdict_rule(&v), &u);
	v.reason = ACL_R_STRICT_DENY;
	assert_ptr_equal(acl_verdict_rule(&v), &s);
	v.reason = ACL_R_UNREADABLE_TALKRC;
	assert_ptr_equal(acl_verdict_rule(&v), &u);
	v.reason = ACL_R_INSECURE_TALKRC;
	assert_ptr_equal(acl_verdict_rule(&v), &u);
	v.reason = ACL_R_SITE_ALLOW;
	assert_ptr_equal(acl_verdict_rule(&v), &s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_ref_str),
		cmocka_unit_test(test_verdict_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
