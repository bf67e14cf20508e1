/* pwcache: cached local accounts, answers kept for ttl, bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pwd.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found_and_not_found),
		cmocka_unit_test(test_answers_are_kept_for_ttl),
		cmocka_unit_test(test_bounded_least_recently_used_goes),
		cmocka_unit_test(test_names_are_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
