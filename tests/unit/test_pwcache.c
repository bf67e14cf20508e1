/* pwcache: cached local accounts, answers kept for ttl, bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "talkd/talkd.h"

static void
test_found_and_not_found(void **state)
{
	struct pwcache *c = pwcache_new(4, 30000);
	struct passwd *pw = getpwuid(getuid());
	const struct pwent_c *e;

	(void)state;
	assert_non_null(c);
	assert_non_null(pw);
	e = pwcache_get(c, pw->pw_name, 1000);
	assert_true(e->found);
	assert_int_equal(e->uid, pw->pw_uid);
	assert_int_equal(e->gid, pw->pw_gid);
	assert_string_equal(e->home, pw->pw_dir);
	e = pwcache_get(c, "no-such-usr", 1000);
	assert_false(e->found);
	assert_null(e->home);
	pwcache_free(c);
}

static void
test_answers_are_kept_for_ttl(void **state)
{
	struct pwcache *c = pwcache_new(4, 30000);
	const struct pwent_c *a, *b;

	(void)state;
	a = pwcache_get(c, "root", 1000);
	assert_true(a->found);
	b = pwcache_get(c, "root", 20000);
	assert_ptr_equal(a, b);
	assert_int_equal(b->at, 1000);		/* not looked up again */
	b = pwcache_get(c, "root", 40000);
	assert_int_equal(b->at, 40000);		/* past ttl: looked up again */
	assert_true(b->found);
	pwcache_free(c);
}

static void
test_bounded_least_recently_used_goes(void **state)
{
	struct pwcache *c = pwcache_new(2, 30000);
	const struct pwent_c *e;

	(void)state;
	pwcache_get(c, "root", 1000);
	pwcache_get(c, "nobody", 1001);
	pwcache_get(c, "root", 1002);		/* root is used again */
	pwcache_get(c, "daemon", 1003);		/* evicts nobody */
	e = pwcache_get(c, "root", 1004);
	assert_int_equal(e->at, 1000);		/* still the first answer */
	e = pwcache_get(c, "nobody", 1005);
	assert_int_equal(e->at, 1005);		/* was evicted: new lookup */
	pwcache_free(c);
}

static void
test_names_are_bounded(void **state)
{
	struct pwcache *c = pwcache_new(2, 30000);
	const struct pwent_c *e;

	(void)state;
	e = pwcache_get(c, "a-name-much-longer-than-twelve-bytes", 1000);
	assert_int_equal(strlen(e->name), NAME_SIZE);
	assert_false(e->found);
	pwcache_free(c);
}

/* Many names through a small cache: every hit is the same slot, every
 * evicted name comes back as a fresh look-up, chains stay consistent. */
static void
test_many_names_hash_chains(void **state)
{
	struct pwcache *c = pwcache_new(64, 1000000);
	const struct pwent_c *e, *first[64];
	char name[16];
	int i, round;

	(void)state;
	assert_non_null(c);
	for (i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "nouser%d", i);
		first[i] = pwcache_get(c, name, 1000 + i);
		assert_string_equal(first[i]->name, name);
		assert_false(first[i]->found);
	}
	for (round = 0; round < 3; round++)
		for (i = 0; i < 64; i++) {
			snprintf(name, sizeof(name), "nouser%d", i);
			e = pwcache_get(c, name, 2000 + round * 64 + i);
			assert_ptr_equal(e, first[i]);	/* a hit, in place */
			assert_int_equal(e->at, 1000 + i);
		}
	/* 64 new names evict all the old ones, least recently used first. */
	for (i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "other%d", i);
		e = pwcache_get(c, name, 5000 + i);
		assert_string_equal(e->name, name);
		assert_ptr_equal(e, first[i]);
	}
	for (i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "other%d", i);
		e = pwcache_get(c, name, 6000 + i);
		assert_int_equal(e->at, 5000 + i);	/* still cached */
	}
	snprintf(name, sizeof(name), "nouser%d", 5);
	e = pwcache_get(c, name, 7000);
	assert_int_equal(e->at, 7000);			/* evicted: looked up */
	pwcache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found_and_not_found),
		cmocka_unit_test(test_answers_are_kept_for_ttl),
		cmocka_unit_test(test_bounded_least_recently_used_goes),
		cmocka_unit_test(test_names_are_bounded),
		cmocka_unit_test(test_many_names_hash_chains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
