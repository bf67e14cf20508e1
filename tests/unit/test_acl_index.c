/*
 * The indexed evaluator against a plain linear one: randomized policies
 * (literal lists with names shared across rules, PCRE and BRE patterns,
 * any-user rules, networks, allow and deny, strict or not, site rules,
 * per-user rules and ~/.talkrc sets, parsed and loaded from a cache image)
 * and randomized requests.  acl_decide must give the same verdict, reason
 * and deciding rules as trying every rule in order, last match winning, and
 * as the last rules acl_decide_trace reports.  The seed is fixed, so a
 * failure repeats; TEST_ACL_INDEX_SEED picks another.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_int.h"
#include "tests/common/textgen.h"

#define NPOLICIES	400
#define NQUERIES	250

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | \
	(uint32_t)(c) << 8 | (uint32_t)(d))

static const char *const names[] = {
	"a", "b", "ab", "abc", "thor", "sif", "loki", "odin", "adm-1",
	"adm-2", "guest", "x"
};
static const char *const pcres[] = {
	"^a", "b$", "^(a|b)c", "^adm-", "o", ".*", "^thor$", "^s.f$", "x|y"
};
static const char *const bres[] = {
	"^a", "b$", "^th", "^ad*m", "i", ".*", "^x$", "^\\(a\\|s\\)"
};
static const char *const nets[] = {
	"10.0.0.0/8", "10.1.0.0/16", "192.168.1.0/24", "127.0.0.1",
	"0.0.0.0/0", "lan"
};
static const uint32_t addrs[] = {
	IP(10, 1, 2, 3), IP(10, 2, 0, 1), IP(192, 168, 1, 5), IP(127, 0, 0, 1),
	IP(8, 8, 8, 8), IP(172, 16, 0, 1)
};
static const char *const extra[] = { "", "zz", "thorn", "adm-", "A" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng;

static unsigned
rnd(unsigned n)
{
	return tg_rnd(&rng, n);
}

/* ", key: [x, y]" with 1 to max items of pool, quoted when q. */
static void
gen_list(struct tg_buf *b, const char *key, const char *const *pool,
    unsigned npool, unsigned max, int q)
{
	unsigned i, n = 1 + rnd(max);

	tg_printf(b, ", %s: [", key);
	for (i = 0; i < n; i++)
		tg_printf(b, "%s%s%s%s", i ? ", " : "", q ? "\"" : "",
		    pool[rnd(npool)], q ? "\"" : "");
	tg_printf(b, "]");
}

/* One YAML rule: mostly literal lists, so that the index has work. */
static void
gen_rule(struct tg_buf *b)
{
	unsigned k = rnd(10);

	tg_printf(b, "    - { action: %s", rnd(2) ? "allow" : "deny");
	if (k < 5)
		gen_list(b, "users", names, NELEM(names), 3, 1);
	else if (k < 7)
		tg_printf(b, ", match: '%s'", pcres[rnd(NELEM(pcres))]);
	else if (k < 9)
		tg_printf(b, ", user: '%s'", bres[rnd(NELEM(bres))]);
	/* else: any user */
	if (rnd(2))
		gen_list(b, "from", nets, NELEM(nets), 2, 0);
	tg_printf(b, " }\n");
}

static void
gen_policy(struct tg_buf *b)
{
	unsigned i, j, n;

	b->n = 0;
	tg_printf(b, "version: 1\nstrict: %s\n", rnd(4) == 0 ? "true" : "false");
	tg_printf(b, "networks:\n  lan: [192.168.1.0/24, 127.0.0.0/8]\n");
	n = rnd(30);
	tg_printf(b, "site:%s\n", n ? "" : " []");
	for (i = 0; i < n; i++)
		gen_rule(b);
	if (rnd(3) != 0) {
		tg_printf(b, "users:\n");
		for (j = 0; j < 4; j++) {	/* distinct callees */
			tg_printf(b, "  \"%s\":\n", names[j * 3 + rnd(3)]);
			n = 1 + rnd(15);
			for (i = 0; i < n; i++)
				gen_rule(b);
		}
	}
}

/* A legacy ~/.talkrc: BRE lines with optional networks. */
static void
gen_talkrc(struct tg_buf *b)
{
	unsigned i, n = rnd(8);

	b->n = 0;
	for (i = 0; i < n; i++)
		tg_printf(b, "%s %s%s\n", rnd(2) ? "allow" : "deny",
		    bres[rnd(NELEM(bres))],
		    rnd(2) ? "" : " 10.0.0.0/8");
}

/* ---- the reference: every rule in order, last match wins ---------------- */

static const struct acl_rule *
ref_set(const struct acl_set *s, const char *name, uint32_t addr)
{
	const struct acl_rule *last = NULL, *r;
	size_t i, j;
	int net, user, rc;

	for (i = 0; i < s->n; i++) {
		r = &s->rules[i];
		net = r->nnets == 0 && r->nfrom == 0;
		for (j = 0; j < r->nnets; j++)
			if ((addr & r->nets[j].mask) == r->nets[j].addr)
				net = 1;
		user = r->kind == ACL_K_ANY;
		if (r->kind == ACL_K_LIT)
			for (j = 0; j < r->nnames; j++)
				if (strcmp(r->names[j], name) == 0)
					user = 1;
		if (r->kind == ACL_K_BRE || r->kind == ACL_K_PCRE) {
			rc = acl_re_exec(r->re, r->md, r->mc, r->dfa, name,
			    strlen(name));
			user = rc >= 0 ? rc : r->ref.action == ACL_DENY;
		}
		if (net && user)
			last = r;
	}
	return last;
}

struct last {
	const struct acl_rule_ref *site, *user;
};

static void
on_match(void *ctx, int user_set, const struct acl_rule_ref *r)
{
	struct last *l = ctx;

	if (user_set)
		l->user = r;
	else
		l->site = r;
}

static unsigned long ndecisions, nlit_wins;

/*
 * acl_decide (indexed) must agree with acl_decide_trace (every rule in
 * order) on the whole verdict, and both must end on the rules the
 * reference picks: the site rule for the callee, the talkrc rule for the
 * caller if one matches, else the policy's rule for the caller.
 */
static void
check_queries(const struct acl *p, const struct acl *rc)
{
	const struct acl_rule *site, *user = NULL, *r;
	const struct acl_set *us;
	const struct acl_rule_ref *ws, *wu;
	struct acl_query q;
	struct acl_verdict got, tv;
	struct last tl;
	unsigned i;

	for (i = 0; i < NQUERIES; i++) {
		q.callee = rnd(5) ? names[rnd(NELEM(names))] :
		    extra[rnd(NELEM(extra))];
		q.caller = rnd(5) ? names[rnd(NELEM(names))] :
		    extra[rnd(NELEM(extra))];
		q.addr = addrs[rnd(NELEM(addrs))];
		q.strict = rnd(8) == 0;
		site = ref_set(&p->site, q.callee, q.addr);
		user = NULL;
		if ((us = acl_user_set(p, q.callee)) != NULL)
			user = ref_set(us, q.caller, q.addr);
		if (rc != NULL &&
		    (r = ref_set(&rc->site, q.caller, q.addr)) != NULL)
			user = r;
		ws = site ? &site->ref : NULL;
		wu = user ? &user->ref : NULL;
		acl_decide(p, rc, &q, &got);
		memset(&tl, 0, sizeof tl);
		acl_decide_trace(p, rc, &q, &tv, on_match, &tl);
		if (got.site != ws || got.user != wu)
			print_error("callee %s caller %s addr %08x: got site "
			    "%s user %s, want site %s user %s\n", q.callee,
			    q.caller, q.addr, got.site ? got.site->text : "-",
			    got.user ? got.user->text : "-",
			    ws ? ws->text : "-", wu ? wu->text : "-");
		assert_ptr_equal(got.site, ws);
		assert_ptr_equal(got.user, wu);
		assert_int_equal(got.allow, tv.allow);
		assert_int_equal(got.reason, tv.reason);
		assert_ptr_equal(tv.site, ws);
		assert_ptr_equal(tv.user, wu);
		assert_ptr_equal(tl.site, ws);
		assert_ptr_equal(tl.user, wu);
		ndecisions++;
		if ((ws && strstr(ws->text, "users=")) ||
		    (wu && strstr(wu->text, "users=")))
			nlit_wins++;
	}
}

static struct acl *
via_cache(const struct acl *p)
{
	unsigned char *img = NULL;
	struct acl *c = NULL;
	struct acl_err e;
	size_t len;

	assert_int_equal(acl_cache_image(p, &img, &len), 0);
	if (acl_cache_parse("cache", img, len, &c, &e) < 0)
		fail_msg("cache: %s", e.msg);
	free(img);
	return c;
}

static void
test_indexed_equals_linear(void **state)
{
	struct tg_buf b = { NULL, 0, 0 };
	struct acl *p, *c, *rc;
	struct acl_err e;
	const char *seed = getenv("TEST_ACL_INDEX_SEED");
	unsigned i;

	(void)state;
	rng = seed ? strtoull(seed, NULL, 0) : 0x9e3779b97f4a7c15ull;
	if (rng == 0)
		rng = 1;
	for (i = 0; i < NPOLICIES; i++) {
		gen_policy(&b);
		p = NULL;
		if (acl_parse_buf("p.yaml", b.p, b.n, ACL_FMT_YAML, &p,
		    &e) < 0)
			fail_msg("%s:%u:%u: %s\n%s", e.file, e.line, e.col,
			    e.msg, b.p);
		rc = NULL;
		if (rnd(2)) {
			gen_talkrc(&b);
			assert_int_equal(acl_parse_buf("rc", b.p, b.n,
			    ACL_FMT_LEGACY, &rc, &e), 0);
			if (rnd(4) == 0) {
				assert_int_equal(acl_set_deny_all(rc,
				    ACL_R_INSECURE_TALKRC), 0);
				assert_int_equal(acl_set_index(&rc->site), 0);
			}
		}
		check_queries(p, rc);
		c = via_cache(p);
		check_queries(c, rc);
		acl_free(c);
		acl_free(p);
		acl_free(rc);
	}
	/* the mix really exercised the literal runs */
	print_message("%lu decisions, %lu by a literal rule\n", ndecisions,
	    nlit_wins);
	assert_true(nlit_wins > ndecisions / 10);
	tg_free(&b);
}

/* Long sets: some 25 rules for each name, so the index runs are long. */
static void
test_long_runs(void **state)
{
	struct tg_buf b = { NULL, 0, 0 };
	struct acl *p;
	struct acl_err e;
	unsigned i, j;

	(void)state;
	rng = 42;
	for (i = 0; i < 20; i++) {
		b.n = 0;
		tg_printf(&b, "version: 1\nnetworks:\n"
		    "  lan: [192.168.1.0/24]\nsite:\n");
		for (j = 0; j < 300; j++)
			gen_rule(&b);
		assert_int_equal(acl_parse_buf("p.yaml", b.p, b.n,
		    ACL_FMT_YAML, &p, &e), 0);
		check_queries(p, NULL);
		acl_free(p);
	}
	tg_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_indexed_equals_linear),
		cmocka_unit_test(test_long_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
