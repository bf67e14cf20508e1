/*
 * acl_lint warnings (shadowed rules, names the protocol cannot carry,
 * empty-matching patterns, strict without allow, the implicit default)
 * and acl_mentions (names, pattern samples, networks).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"

struct warns {
	struct acl_err w[32];
	size_t n;
};

static void
collect(void *ctx, const struct acl_err *e)
{
	struct warns *w = ctx;

	if (w->n < 32)
		w->w[w->n] = *e;
	w->n++;
}

static struct acl *
parse(const char *text)
{
	struct acl *a = NULL;
	struct acl_err e;

	if (acl_parse_buf("l", text, strlen(text), ACL_FMT_AUTO, &a, &e) < 0)
		fail_msg("%u:%u: %s", e.line, e.col, e.msg);
	return a;
}

/* The warning at line:col whose message contains part, or -1. */
static int
find(const struct warns *w, unsigned line, const char *part)
{
	size_t i;

	for (i = 0; i < w->n && i < 32; i++)
		if (w->w[i].line == line && strstr(w->w[i].msg, part) != NULL)
			return (int)i;
	return -1;
}

static size_t
lint(const char *text, struct warns *w)
{
	struct acl *a = parse(text);
	size_t n;

	memset(w, 0, sizeof *w);
	n = acl_lint(a, collect, w);
	acl_free(a);
	assert_int_equal(n, w->n);
	return n;
}

static void
test_shadowed_rules(void **state)
{
	struct warns w;

	(void)state;
	lint("allow ^a$ 10.0.0.0/8\n"		/* 1: dup of 3 */
	    "deny ^b$ 10.1.0.0/16\n"		/* 2: covered by 4 (wider) */
	    "deny ^a$ 10.0.0.0/8\n"		/* 3 */
	    "allow ^b$ 10.0.0.0/8\n"		/* 4: not covered by 5 */
	    "deny ^c 192.168.0.0/16\n"		/* 5: covered by the catch-all */
	    "allow .* any\n"			/* 6 */
	    "deny ^d 10.0.0.1\n", &w);		/* 7: last, never shadowed */
	assert_true(find(&w, 1, "shadowed by the later rule at line 3") >= 0);
	assert_true(find(&w, 2, "shadowed by the later rule at line 4") >= 0);
	assert_true(find(&w, 4, "shadowed by the later rule at line 6") >= 0);
	assert_true(find(&w, 5, "shadowed by the later rule at line 6") >= 0);
	assert_int_equal(find(&w, 7, "shadowed"), -1);
	assert_int_equal(find(&w, 6, "shadowed"), -1);

	/* a narrower net later does not shadow */
	lint("deny ^a$ 10.0.0.0/8\nallow ^a$ 10.1.0.0/16\n", &w);
	assert_int_equal(find(&w, 1, "shadowed"), -1);

	/* literal names covered by a later list or pattern */
	lint("version: 1\nsite:\n"
	    "  - { action: deny, users: [ann, bob] }\n"
	    "  - { action: deny, users: [amy, ann] }\n"
	    "  - { action: allow, users: [bob, ann, cy] }\n"
	    "  - { action: allow, match: \"^a\" }\n", &w);
	assert_true(find(&w, 3, "line 5") >= 0);
	assert_true(find(&w, 4, "line 6") >= 0);
	assert_int_equal(find(&w, 5, "shadowed"), -1);
}

static void
test_names_too_long_and_empty_matches(void **state)
{
	struct warns w;

	(void)state;
	lint("version: 1\nusers:\n  sif:\n"
	    "    - { action: deny, users: [abcdefghijkl, ok] }\n"
	    "    - { action: deny, user: \"^abcdefghijk.\" }\n"
	    "    - { action: deny, user: \"x\\\\{12\\\\}\" }\n"
	    "    - { action: deny, user: \"abcdefghijk\" }\n"
	    "    - { action: deny, user: \"^$\" }\n"
	    "    - { action: deny, user: \"z*\" }\n", &w);
	assert_true(find(&w, 4, "\"abcdefghijkl\" is longer than the 11") >=
	    0);
	assert_true(find(&w, 5, "needs at least 12 characters") >= 0);
	assert_true(find(&w, 6, "needs at least 12 characters") >= 0);
	assert_int_equal(find(&w, 7, "needs"), -1);
	assert_true(find(&w, 8, "matches the empty string") >= 0);
	assert_int_equal(find(&w, 8, "every name"), -1);
	assert_true(find(&w, 9, "matches the empty string, so it matches "
	    "every name") >= 0);
}

static void
test_backtracking_limit(void **state)
{
	struct warns w;
	const char *text = "allow \\(\\(a*\\)*\\)*\\2[bc]\n"
	    "deny \\(\\(a*\\)*\\)*[bc]\n";
	struct acl *a = parse(text);
	struct acl_query q = { "me", "aaaaaaaaaaa", 1, 0 };
	struct acl_verdict v;

	(void)state;
	lint(text, &w);
	assert_true(find(&w, 1, "more match work than a decision's budget")
	    >= 0);
	/* without back-references the DFA matcher needs no backtracking */
	assert_int_equal(find(&w, 2, "more match work"), -1);
	/* an allow rule that cannot be decided denies the whole decision */
	acl_decide(NULL, a, &q, &v);
	assert_int_equal(v.allow, 0);
	assert_int_equal(v.reason, ACL_R_BUDGET);
	assert_non_null(v.stop);
	assert_int_equal(v.stop->line, 1);
	acl_free(a);
	/* and so does a deny rule */
	a = parse("deny \\(\\(a*\\)*\\)*\\2[bc]\n");
	acl_decide(NULL, a, &q, &v);
	assert_int_equal(v.allow, 0);
	assert_int_equal(v.reason, ACL_R_BUDGET);
	q.caller = "aab";
	acl_decide(NULL, a, &q, &v);
	assert_int_equal(v.allow, 0);
	q.caller = "xyz";
	acl_decide(NULL, a, &q, &v);
	assert_int_equal(v.allow, 1);
	acl_free(a);
}

static void
test_superlinear_patterns(void **state)
{
	struct warns w;

	(void)state;
	lint("deny \\(a*\\)\\{1,30\\}\\1bc\n"		/* 1 */
	    "deny \\(.\\{0,12\\}\\)\\{0,12\\}bc\n"	/* 2 */
	    "deny ^adm-[0-9]*$\n"			/* 3 */
	    "deny \\(tom\\|dick\\)x*\n"		/* 4 */
	    "deny \\(ab\\)*c\n"			/* 5 */
	    "deny \\(a\\)b\\1*\n"			/* 6 */
	    "deny \\(ab\\)\\{2,3\\}\n", &w);		/* 7 */
	assert_true(find(&w, 1, "nested repetition") >= 0);
	assert_true(find(&w, 1, "super-linear") >= 0);
	/* at the pattern's column: the group's \( */
	assert_int_equal(w.w[find(&w, 1, "super-linear")].col, 6);
	assert_true(find(&w, 2, "nested repetition") >= 0);
	assert_int_equal(find(&w, 3, "super-linear"), -1);
	assert_int_equal(find(&w, 4, "super-linear"), -1);
	assert_int_equal(find(&w, 5, "super-linear"), -1);
	assert_true(find(&w, 6, "back-reference") >= 0);
	assert_true(find(&w, 7, "bounded number of times") >= 0);
	lint("version: 1\n"
	    "site:\n"
	    "  - { action: allow, match: \"^(a+)+$\" }\n"	/* 3 */
	    "  - { action: allow, match: \"^(\\\\w)\\\\1*$\" }\n"	/* 4 */
	    "  - { action: allow, match: \"^(x|y)+$\" }\n"	/* 5 */
	    "  - { action: deny, match: \"^(b)c+\\\\1$\" }\n", &w);	/* 6 */
	assert_true(find(&w, 3, "nested repetition") >= 0);
	assert_int_equal(w.w[find(&w, 3, "nested repetition")].col, 31);
	assert_true(find(&w, 4, "back-reference") >= 0);
	assert_int_equal(find(&w, 5, "super-linear"), -1);
	assert_int_equal(find(&w, 6, "super-linear"), -1);
}

static void
test_strict_and_implicit_default(void **state)
{
	struct warns w;

	(void)state;
	lint("version: 1\nstrict: true\nsite:\n  - { action: deny, "
	    "users: [a] }\n", &w);
	assert_true(find(&w, 0, "strict policy without any site allow") >= 0);
	assert_true(find(&w, 0, "denied by the implicit default") >= 0);
	lint("deny ^guest$\n", &w);
	assert_true(find(&w, 0, "allowed by the implicit default") >= 0);
	assert_int_equal(find(&w, 0, "strict"), -1);
	assert_int_equal(lint("deny .*\nallow ^a\n", &w), 1);	/* .* only */
	assert_int_equal(lint("", &w), 0);
}

struct seen {
	char names[64][32];
	int kinds[64];
	uint32_t addr[64], mask[64];
	size_t n;
};

static void
mention(void *ctx, enum acl_mention kind, const char *name, uint32_t addr,
    uint32_t mask)
{
	struct seen *s = ctx;

	if (s->n >= 64)
		return;
	s->kinds[s->n] = kind;
	if (snprintf(s->names[s->n], sizeof s->names[s->n], "%s",
	    name ? name : "") < 0)
		s->names[s->n][0] = '\0';
	s->addr[s->n] = addr;
	s->mask[s->n] = mask;
	s->n++;
}

static int
has(const struct seen *s, enum acl_mention kind, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if ((int)kind == s->kinds[i] && strcmp(s->names[i], name) == 0)
			return 1;
	return 0;
}

/* A sample for a pattern: any name the pattern matches will do. */
static int
has_prefix(const struct seen *s, enum acl_mention kind, const char *pre)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if ((int)kind == s->kinds[i] &&
		    strncmp(s->names[i], pre, strlen(pre)) == 0 &&
		    strlen(s->names[i]) > strlen(pre) &&
		    s->names[i][strlen(pre)] >= '0' &&
		    s->names[i][strlen(pre)] <= '9')
			return 1;
	return 0;
}

static int
has_net(const struct seen *s, uint32_t addr, uint32_t mask)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->kinds[i] == ACL_M_NET && s->addr[i] == addr &&
		    s->mask[i] == mask)
			return 1;
	return 0;
}

static void
test_mentions(void **state)
{
	struct acl *a = parse("version: 1\nnetworks:\n  lan: 192.168.1.0/24\n"
	    "site:\n  - { action: deny, users: [thor, sif] }\n"
	    "  - { action: allow, user: \"^adm-[0-9]\", from: lan }\n"
	    "  - { action: allow, match: \"^ops\\\\d+$\", from: 10.0.0.0/8 }\n"
	    "users:\n  sif:\n    - { action: allow, user: \"^lok\" }\n");
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof s);
	acl_mentions(a, mention, &s);
	assert_true(has(&s, ACL_M_CALLEE, "thor"));
	assert_true(has(&s, ACL_M_CALLEE, "sif"));
	assert_true(has_prefix(&s, ACL_M_CALLEE, "adm-"));
	assert_true(has(&s, ACL_M_CALLER, "lok"));
	assert_true(has_net(&s, 0xc0a80100u, 0xffffff00u));
	assert_true(has_net(&s, 0x0a000000u, 0xff000000u));
	assert_false(has(&s, ACL_M_CALLER, "thor"));
	acl_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shadowed_rules),
		cmocka_unit_test(test_names_too_long_and_empty_matches),
		cmocka_unit_test(test_backtracking_limit),
		cmocka_unit_test(test_superlinear_patterns),
		cmocka_unit_test(test_strict_and_implicit_default),
		cmocka_unit_test(test_mentions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
