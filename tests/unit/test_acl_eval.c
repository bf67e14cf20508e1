/*
 * The evaluator: a table of requests over a small site policy and a few
 * ~/.talkrc sets, covering every reason, strict by policy and by query,
 * last-match-wins, empty net lists, and the places where GNU inetutils'
 * code departs from its documentation (reference section 5.4 a and b).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "acl/acl.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | \
	(uint32_t)(c) << 8 | (uint32_t)(d))
#define TEN IP(10, 1, 2, 3)
#define ELEVEN IP(11, 1, 2, 3)
#define DENY_ALL 99			/* the deny-all rule: no line */
#define ULINE(v) ((v).user ? ((v).user->line ? (v).user->line : DENY_ALL) : 0)

static const char site_text[] =
    "deny ^guest$\n"			/* 1 */
    "deny ^locked\n"			/* 2 */
    "allow ^locked-ok$ 10.0.0.0/8\n"	/* 3 */
    "deny ^x$\n";			/* 4: no net list = any */

static const char rc_a_text[] =
    "deny ^eve$\n"			/* 1 */
    "allow ^thor$ 10.0.0.0/8\n";	/* 2 */

static const char rc_b_text[] =
    "allow .*\n"			/* 1 */
    "deny ^mallory$\n";			/* 2 */

struct world {
	struct acl *site, *strict_site, *rc_a, *rc_b, *rc_bad;
};

static struct acl *
parse(const char *text)
{
	struct acl *a = NULL;
	struct acl_err e;

	assert_int_equal(acl_parse_buf("f", text, strlen(text), ACL_FMT_AUTO,
	    &a, &e), 0);
	return a;
}

static int
setup(void **state)
{
	struct world *w = calloc(1, sizeof *w);
	char path[] = "/tmp/test_acl_eval.XXXXXX";
	struct acl_err e;
	struct stat st;
	int fd;

	if (w == NULL)
		return -1;
	w->site = parse(site_text);
	w->strict_site = parse(site_text);
	acl_policy_set_strict(w->strict_site, 1);
	w->rc_a = parse(rc_a_text);
	w->rc_b = parse(rc_b_text);
	/* a world-writable ~/.talkrc: replaced by deny-all */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "allow .*\n", 9), 9);
	assert_int_equal(fchmod(fd, 0666), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(acl_talkrc_fd(fd, path, st.st_uid, st.st_gid,
	    &w->rc_bad, NULL, &e), 0);
	close(fd);
	unlink(path);
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	acl_free(w->site);
	acl_free(w->strict_site);
	acl_free(w->rc_a);
	acl_free(w->rc_b);
	acl_free(w->rc_bad);
	free(w);
	return 0;
}

enum pol { P_NONE, P_SITE, P_STRICT };
enum rc { R_NONE, R_A, R_B, R_BAD };

struct row {
	enum pol pol;
	int q_strict;
	enum rc rc;
	const char *callee, *caller;
	uint32_t addr;
	int allow;
	enum acl_reason reason;
	unsigned site_line, user_line;	/* 0: the default decided */
};

static const struct row rows[] = {
	/* no policy: embedded default allows */
	{ P_NONE, 0, R_NONE, "sif", "thor", TEN, 1, ACL_R_SITE_ALLOW, 0, 0 },
	{ P_NONE, 1, R_NONE, "sif", "thor", TEN, 0, ACL_R_STRICT_DENY, 0, 0 },
	/* site allows by default; the user set decides */
	{ P_SITE, 0, R_NONE, "sif", "thor", TEN, 1, ACL_R_SITE_ALLOW, 0, 0 },
	{ P_SITE, 0, R_A, "sif", "eve", TEN, 0, ACL_R_USER_DENY, 0, 1 },
	{ P_SITE, 0, R_A, "sif", "thor", TEN, 1, ACL_R_SITE_ALLOW, 0, 2 },
	{ P_SITE, 0, R_A, "sif", "thor", ELEVEN, 1, ACL_R_SITE_ALLOW, 0, 0 },
	/* site deny: only a matching user allow overrides */
	{ P_SITE, 0, R_NONE, "guest", "thor", TEN, 0, ACL_R_SITE_DENY, 1, 0 },
	{ P_SITE, 0, R_A, "guest", "thor", TEN, 1, ACL_R_USER_OVERRIDE, 1, 2 },
	{ P_SITE, 0, R_A, "guest", "eve", TEN, 0, ACL_R_SITE_DENY, 1, 1 },
	/* GNU bug b: a .talkrc with rules, none allowing this caller */
	{ P_SITE, 0, R_A, "guest", "bob", TEN, 0, ACL_R_SITE_DENY, 1, 0 },
	{ P_SITE, 0, R_A, "guest", "thor", ELEVEN, 0, ACL_R_SITE_DENY, 1, 0 },
	{ P_SITE, 0, R_B, "guest", "bob", TEN, 1, ACL_R_USER_OVERRIDE, 1, 1 },
	{ P_SITE, 0, R_B, "guest", "mallory", TEN, 0, ACL_R_SITE_DENY, 1, 2 },
	/* strict by query and by policy: a site deny is final */
	{ P_SITE, 1, R_A, "guest", "thor", TEN, 0, ACL_R_STRICT_DENY, 1, 2 },
	{ P_STRICT, 0, R_A, "guest", "thor", TEN, 0, ACL_R_STRICT_DENY, 1, 2 },
	{ P_STRICT, 0, R_B, "sif", "bob", TEN, 0, ACL_R_STRICT_DENY, 0, 1 },
	{ P_SITE, 1, R_NONE, "sif", "bob", TEN, 0, ACL_R_STRICT_DENY, 0, 0 },
	{ P_STRICT, 0, R_NONE, "locked-ok", "bob", TEN, 1, ACL_R_SITE_ALLOW,
	    3, 0 },
	{ P_STRICT, 0, R_A, "locked-ok", "eve", TEN, 0, ACL_R_USER_DENY, 3, 1 },
	{ P_STRICT, 1, R_A, "locked-ok", "thor", TEN, 1, ACL_R_SITE_ALLOW,
	    3, 2 },
	/* last match wins: line 3 after line 2, only from 10/8 */
	{ P_SITE, 0, R_NONE, "locked-ok", "bob", TEN, 1, ACL_R_SITE_ALLOW,
	    3, 0 },
	{ P_SITE, 0, R_NONE, "locked-ok", "bob", ELEVEN, 0, ACL_R_SITE_DENY,
	    2, 0 },
	{ P_SITE, 0, R_NONE, "locked-out", "bob", TEN, 0, ACL_R_SITE_DENY,
	    2, 0 },
	/* empty net list = any */
	{ P_SITE, 0, R_NONE, "x", "bob", IP(1, 2, 3, 4), 0, ACL_R_SITE_DENY,
	    4, 0 },
	/* GNU bug a: site rules never apply to the caller */
	{ P_SITE, 0, R_NONE, "sif", "guest", TEN, 1, ACL_R_SITE_ALLOW, 0, 0 },
	{ P_SITE, 0, R_A, "sif", "x", TEN, 1, ACL_R_SITE_ALLOW, 0, 0 },
	/* an insecure ~/.talkrc denies everyone, whatever the site says */
	{ P_SITE, 0, R_BAD, "sif", "thor", TEN, 0, ACL_R_INSECURE_TALKRC,
	    0, DENY_ALL },
	{ P_NONE, 0, R_BAD, "sif", "thor", TEN, 0, ACL_R_INSECURE_TALKRC,
	    0, DENY_ALL },
	{ P_SITE, 0, R_BAD, "guest", "thor", TEN, 0, ACL_R_INSECURE_TALKRC,
	    1, DENY_ALL },
	{ P_STRICT, 0, R_BAD, "guest", "thor", TEN, 0, ACL_R_STRICT_DENY,
	    1, DENY_ALL },
};

static void
test_table(void **state)
{
	struct world *w = *state;
	const struct acl *pol[] = { NULL, w->site, w->strict_site };
	const struct acl *rc[] = { NULL, w->rc_a, w->rc_b, w->rc_bad };
	struct acl_verdict v;
	size_t i;
	int seen[ACL_R_BAD_TALKRC + 1] = { 0 };

	for (i = 0; i < sizeof rows / sizeof *rows; i++) {
		const struct row *r = &rows[i];
		struct acl_query q = { r->callee, r->caller, r->addr,
		    r->q_strict };

		memset(&v, 0xa5, sizeof v);
		acl_decide(pol[r->pol], rc[r->rc], &q, &v);
		if (v.allow != r->allow || v.reason != r->reason ||
		    (v.site ? v.site->line : 0) != r->site_line ||
		    ULINE(v) != r->user_line)
			print_message("row %zu: allow %d reason %s site %u "
			    "user %u\n", i, v.allow, acl_reason_str(v.reason),
			    v.site ? v.site->line : 0,
			    ULINE(v));
		assert_int_equal(v.allow, r->allow);
		assert_int_equal(v.reason, r->reason);
		assert_int_equal(v.site ? v.site->line : 0, r->site_line);
		assert_int_equal(ULINE(v), r->user_line);
		seen[r->reason] = 1;
	}
	for (i = 0; i <= ACL_R_BAD_TALKRC; i++)
		if (i != ACL_R_BAD_TALKRC)	/* test_acl_talkrc has it */
			assert_true(seen[i]);
}

static void
test_reason_strings(void **state)
{
	static const char *const want[] = { "site-allow", "user-deny",
	    "user-override", "site-deny", "strict-deny", "insecure-talkrc",
	    "bad-talkrc", "unreadable-talkrc" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof want / sizeof *want; i++)
		assert_string_equal(acl_reason_str((enum acl_reason)i),
		    want[i]);
}

struct trace {
	int user_set[16];
	unsigned line[16];
	int n;
};

static void
trace_fn(void *ctx, int user_set, const struct acl_rule_ref *r)
{
	struct trace *t = ctx;

	if (t->n < 16) {
		t->user_set[t->n] = user_set;
		t->line[t->n] = r->line;
	}
	t->n++;
}

static void
test_trace_lists_every_match_in_order(void **state)
{
	struct world *w = *state;
	struct acl_query q = { "locked-ok", "thor", TEN, 0 };
	struct acl_verdict v, v2;
	struct trace t;

	memset(&t, 0, sizeof t);
	acl_decide_trace(w->site, w->rc_b, &q, &v, trace_fn, &t);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.user_set[0], 0);
	assert_int_equal(t.line[0], 2);
	assert_int_equal(t.user_set[1], 0);
	assert_int_equal(t.line[1], 3);
	assert_int_equal(t.user_set[2], 1);
	assert_int_equal(t.line[2], 1);
	acl_decide(w->site, w->rc_b, &q, &v2);
	assert_int_equal(v.allow, v2.allow);
	assert_int_equal(v.reason, v2.reason);
	assert_ptr_equal(v.site, v2.site);
	assert_ptr_equal(v.user, v2.user);
}

static void
test_null_names_are_empty(void **state)
{
	struct world *w = *state;
	struct acl_query q = { NULL, NULL, TEN, 0 };
	struct acl_verdict v;

	acl_decide(w->site, w->rc_a, &q, &v);
	assert_int_equal(v.allow, 1);
	assert_int_equal(v.reason, ACL_R_SITE_ALLOW);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_reason_strings),
		cmocka_unit_test(test_trace_lists_every_match_in_order),
		cmocka_unit_test(test_null_names_are_empty),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
