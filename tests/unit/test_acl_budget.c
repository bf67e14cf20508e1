/*
 * The cost budget of one decision (issue 9): hostile ~/.talkrc files whose
 * patterns backtrack without end are a denial with reason budget-exceeded
 * naming the rule where the budget ran out, within an explicit 100 ms
 * latency bound; a normal policy is unaffected; the trace agrees; and the
 * rule-count limit of a ~/.talkrc.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acl/acl.h"

#define BOUND_MS	100	/* SPEC 4: the most one request delays */

static struct acl *
copies(const char *name, const char *line, size_t n)
{
	struct acl *a = NULL;
	struct acl_err e;
	size_t len = strlen(line), i;
	char *buf = malloc(len * n + 1);

	assert_non_null(buf);
	for (i = 0; i < n; i++)
		memcpy(buf + i * len, line, len);
	buf[len * n] = '\0';
	if (acl_parse_buf(name, buf, len * n, ACL_FMT_LEGACY, &a, &e) < 0)
		fail_msg("%s:%u:%u: %s", e.file, e.line, e.col, e.msg);
	free(buf);
	return a;
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

struct trace {
	size_t n;
};

static void
count(void *ctx, int user_set, const struct acl_rule_ref *r)
{
	(void)user_set;
	(void)r;
	((struct trace *)ctx)->n++;
}

/* One hostile decision: denied, budget-exceeded, at a rule, in time. */
static void
hostile(const char *line, const char *caller)
{
	/* not named .talkrc: 2,700 rules are over a ~/.talkrc's limit */
	struct acl *rc = copies("eve.rules", line, 2700);
	struct acl_query q = { "eve", caller, 0x7f000001, 0 };
	struct acl_verdict v, tv;
	struct timespec t0;
	struct trace t = { 0 };
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	acl_decide(NULL, rc, &q, &v);
	ms = ms_since(&t0);
	print_message("# %.*s against \"%s\": %.2f ms\n",
	    (int)strcspn(line, "\n"), line, caller, ms);
	assert_true(ms < BOUND_MS);
	assert_int_equal(v.allow, 0);
	assert_int_equal(v.reason, ACL_R_BUDGET);
	assert_string_equal(acl_reason_str(v.reason), "budget-exceeded");
	assert_non_null(v.stop);
	assert_string_equal(v.stop->file, "eve.rules");
	assert_true(v.stop->line >= 1 && v.stop->line <= 2700);
	/* the trace reaches the same verdict at the same rule */
	acl_decide_trace(NULL, rc, &q, &tv, count, &t);
	assert_int_equal(tv.allow, 0);
	assert_int_equal(tv.reason, ACL_R_BUDGET);
	assert_ptr_equal(tv.stop, v.stop);
	acl_free(rc);
}

static void
test_hostile_talkrc(void **state)
{
	(void)state;
	hostile("deny \\(a*\\)\\{1,30\\}\\1bc\n", "aaaaaaaaaac");
	hostile("allow \\(a*\\)\\{1,30\\}\\1bc\n", "aaaaaaaaaac");
	hostile("deny \\(.\\{0,12\\}\\)\\{0,12\\}bc\n", "abcdefghijk");
	hostile("allow \\(.\\{0,12\\}\\)\\{0,12\\}bc\n", "abcdefghijk");
	hostile("allow \\(.\\{0,12\\}\\)\\{0,12\\}bc\n", "aaaaaaaaaac");
}

/* Never an allow: an undecided rule after an allow that matches. */
static void
test_undecided_is_never_allow(void **state)
{
	struct acl *site = copies("site", "deny \\(a*\\)\\{1,30\\}\\1bc\n", 1);
	struct acl *rc = copies("~eve/.talkrc", "allow .*\n", 1);
	struct acl_query q = { "aaaaaaaaaac", "thor", 0x7f000001, 0 };
	struct acl_verdict v;

	(void)state;
	acl_decide(site, rc, &q, &v);
	assert_int_equal(v.allow, 0);
	assert_int_equal(v.reason, ACL_R_BUDGET);
	assert_string_equal(v.stop->file, "site");
	assert_int_equal(v.stop->line, 1);
	acl_free(site);
	acl_free(rc);
}

/* 1,000 ordinary pattern rules, all tried: well within the budget. */
static void
test_normal_policy_unaffected(void **state)
{
	char *buf = malloc(1000 * 40);
	size_t len = 0, i;
	struct acl *rc = NULL;
	struct acl_err e;
	struct acl_query q = { "eve", "thor", 0x7f000001, 0 };
	struct acl_verdict v;
	int n;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < 999; i++) {
		n = snprintf(buf + len, 40, "allow ^u%zu[a-z]*x.*$\n", i);
		assert_true(n > 0 && n < 40);
		len += (size_t)n;
	}
	n = snprintf(buf + len, 40, "deny ^mallory\n");
	len += (size_t)n;
	assert_int_equal(acl_parse_buf("~eve/.talkrc", buf, len,
	    ACL_FMT_LEGACY, &rc, &e), 0);
	acl_decide(NULL, rc, &q, &v);
	assert_int_equal(v.allow, 1);
	assert_int_equal(v.reason, ACL_R_SITE_ALLOW);
	assert_null(v.stop);
	q.caller = "mallory";
	acl_decide(NULL, rc, &q, &v);
	assert_int_equal(v.reason, ACL_R_USER_DENY);
	assert_int_equal(v.user->line, 1000);
	q.caller = "u17abcx";
	acl_decide(NULL, rc, &q, &v);
	assert_int_equal(v.reason, ACL_R_SITE_ALLOW);
	assert_int_equal(v.user->line, 18);
	acl_free(rc);
	free(buf);
	/* 500 rules whose patterns backtrack a little (14 steps each) */
	rc = copies("eve.rules", "deny ^.*-adm$\n", 500);
	q.caller = "admin_abcde";
	acl_decide(NULL, rc, &q, &v);
	assert_int_equal(v.reason, ACL_R_SITE_ALLOW);
	q.caller = "admin-adm";
	acl_decide(NULL, rc, &q, &v);
	assert_int_equal(v.reason, ACL_R_USER_DENY);
	assert_int_equal(v.user->line, 500);
	acl_free(rc);
}

/* A ~/.talkrc may hold ACL_TALKRC_RULES_MAX rules, not one more. */
static void
test_talkrc_rule_limit(void **state)
{
	struct acl *a;
	struct acl_err e;
	char *buf = malloc((ACL_TALKRC_RULES_MAX + 1) * 8 + 1);
	size_t i, len = 0;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < ACL_TALKRC_RULES_MAX; i++) {
		memcpy(buf + len, "deny x\n", 7);
		len += 7;
	}
	a = NULL;
	assert_int_equal(acl_parse_buf("/home/eve/.talkrc", buf, len,
	    ACL_FMT_LEGACY, &a, &e), 0);
	acl_free(a);
	memcpy(buf + len, " deny y\n", 8);
	len += 8;
	a = NULL;
	assert_int_equal(acl_parse_buf("/home/eve/.talkrc", buf, len,
	    ACL_FMT_LEGACY, &a, &e), -1);
	assert_null(a);
	assert_int_equal(e.line, ACL_TALKRC_RULES_MAX + 1);
	assert_int_equal(e.col, 2);
	assert_non_null(strstr(e.msg, "more than 1000 rules"));
	/* the same lines are fine in a site file */
	assert_int_equal(acl_parse_buf("site.acl", buf, len, ACL_FMT_LEGACY,
	    &a, &e), 0);
	acl_free(a);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_talkrc),
		cmocka_unit_test(test_undecided_is_never_allow),
		cmocka_unit_test(test_normal_policy_unaffected),
		cmocka_unit_test(test_talkrc_rule_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
