/*
 * ratelimit.c: rings per callee, with explicit `now` values (no sleeping).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "talkd/talkd.h"

static void
test_bad_arguments(void **state)
{
	(void)state;
	assert_null(ratelimit_new(16, 0, 30000));
	assert_null(ratelimit_new(16, 3, 0));
	assert_null(ratelimit_new(0, 3, 30000));
	ratelimit_free(NULL);
}

static void
test_burst_then_one_per_step(void **state)
{
	struct ratelimit *r = ratelimit_new(16, 3, 30000);
	int i;

	(void)state;
	assert_non_null(r);
	for (i = 0; i < 3; i++)
		assert_true(ratelimit_take(r, "alice", 1000));
	/* A flood: every further ring in the period is refused ... */
	for (i = 0; i < 1000; i++)
		assert_false(ratelimit_take(r, "alice", 1000 + i));
	/* ... and refusals do not push the budget back: 10 s gives one. */
	assert_false(ratelimit_take(r, "alice", 10999));
	assert_true(ratelimit_take(r, "alice", 11000));
	assert_false(ratelimit_take(r, "alice", 11000));
	/* A whole period later the whole burst is back. */
	for (i = 0; i < 3; i++)
		assert_true(ratelimit_take(r, "alice", 41000));
	assert_false(ratelimit_take(r, "alice", 41000));
	ratelimit_free(r);
}

/* Real clients re-announce every 30 s (RING_WAIT): never limited. */
static void
test_real_clients_always_ring(void **state)
{
	struct ratelimit *r = ratelimit_new(16, 1, 30000);
	struct ratelimit *r3 = ratelimit_new(16, 3, 30000);
	int64_t t;

	(void)state;
	for (t = 0; t < 3600000; t += 30000) {
		assert_true(ratelimit_take(r, "bob", t));
		/* Three callers ringing bob each every 30 s, 1 s apart. */
		assert_true(ratelimit_take(r3, "bob", t));
		assert_true(ratelimit_take(r3, "bob", t + 1000));
		assert_true(ratelimit_take(r3, "bob", t + 2000));
	}
	ratelimit_free(r);
	ratelimit_free(r3);
}

static void
test_names_are_independent_and_bounded(void **state)
{
	struct ratelimit *r = ratelimit_new(16, 1, 30000);

	(void)state;
	assert_true(ratelimit_take(r, "alice", 0));
	assert_false(ratelimit_take(r, "alice", 1));
	assert_true(ratelimit_take(r, "bob", 1));
	/* Only NAME_SIZE bytes count, as on the wire. */
	assert_true(ratelimit_take(r, "abcdefghijklX", 2));
	assert_false(ratelimit_take(r, "abcdefghijklY", 3));
	ratelimit_free(r);
}

/*
 * Fixed memory: 64 slots, 10000 other names rung once each.  A callee
 * under a flood keeps its limit (the slot closest to whole goes first),
 * and every other name still rings the first time.
 */
static void
test_fixed_memory_keeps_flooded_name(void **state)
{
	struct ratelimit *r = ratelimit_new(64, 2, 30000);
	char n[16];
	int i;

	(void)state;
	assert_true(ratelimit_take(r, "victim", 0));
	assert_true(ratelimit_take(r, "victim", 0));
	for (i = 0; i < 10000; i++) {
		snprintf(n, sizeof(n), "u%d", i);
		assert_true(ratelimit_take(r, n, 1));
		assert_false(ratelimit_take(r, "victim", 1));
	}
	assert_true(ratelimit_take(r, "victim", 15000));
	ratelimit_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_burst_then_one_per_step),
		cmocka_unit_test(test_real_clients_always_ring),
		cmocka_unit_test(test_names_are_independent_and_bounded),
		cmocka_unit_test(test_fixed_memory_keeps_flooded_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
