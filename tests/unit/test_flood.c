/*
 * flood.c: which journal records are written in full and which are
 * counted, with explicit `now` values (no sleeping).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "talkd/talkd.h"

struct sums {
	size_t n;
	unsigned long total;		/* sum of counts */
	struct flood_sum last;
	char caller[NAME_SIZE + 1], callee[NAME_SIZE + 1];	/* last's */
	int saw_star;
};

static void
collect(void *ctx, const struct flood_sum *s)
{
	struct sums *c = ctx;

	assert_true(s->count > 0);
	c->n++;
	c->total += s->count;
	c->last = *s;
	/* The names live only for the call: keep copies. */
	snprintf(c->caller, sizeof(c->caller), "%s", s->caller);
	snprintf(c->callee, sizeof(c->callee), "%s", s->callee);
	if (strcmp(s->event, "*") == 0)
		c->saw_star = 1;
}

/* No calm allowance: every record goes by the per-key rules. */
static struct flood *
new_flood(void)
{
	struct flood_limits lim = { 10000, 8, 100, 256, 0 };
	struct flood *f = flood_new(&lim);

	assert_non_null(f);
	return f;
}

static void
test_bad_limits(void **state)
{
	struct flood_limits a = { 0, 8, 100, 256, 0 }, b = { 1000, 8, 100, 0, 0 };
	struct flood_limits c = { 1000, 8, 100, 256, 101 };

	(void)state;
	assert_null(flood_new(&a));
	assert_null(flood_new(&b));
	assert_null(flood_new(&c));		/* calm over the budget */
	flood_free(NULL);
}

static void
test_repeats_of_one_key_are_counted(void **state)
{
	struct flood *f = new_flood();
	struct sums c;
	int i;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(flood_next_flush(f, 0), -1);
	for (i = 0; i < 8; i++)
		assert_true(flood_admit(f, "invite.left", 0x7f000001U,
		    NULL, NULL, 1000));
	for (i = 0; i < 992; i++)
		assert_false(flood_admit(f, "invite.left", 0x7f000001U,
		    NULL, NULL, 1000));
	/* Another event, or another source, is another key. */
	assert_true(flood_admit(f, "lookup.miss", 0x7f000001U,
	    NULL, NULL, 1000));
	assert_true(flood_admit(f, "invite.left", 0x7f000002U,
	    NULL, NULL, 1000));
	assert_int_equal(flood_next_flush(f, 5000), 6000);
	assert_int_equal(flood_flush(f, 10999, 0, collect, &c), 0);
	assert_int_equal(flood_flush(f, 11000, 0, collect, &c), 1);
	assert_int_equal(c.total, 992);
	assert_string_equal(c.last.event, "invite.left");
	assert_int_equal(c.last.src, 0x7f000001U);
	assert_true(c.last.has_src);
	/* The next window writes in full again. */
	assert_int_equal(flood_next_flush(f, 11000), -1);
	assert_true(flood_admit(f, "invite.left", 0x7f000001U,
	    NULL, NULL, 12000));
	assert_int_equal(flood_flush(f, 12001, 1, collect, &c), 0);
	flood_free(f);
}

static void
test_events_compare_by_content(void **state)
{
	struct flood *f = new_flood();
	char ev[32];
	int i;

	(void)state;
	snprintf(ev, sizeof(ev), "%s", "invite.left");
	for (i = 0; i < 8; i++)
		assert_true(flood_admit(f, "invite.left", 1, NULL, NULL, 0));
	assert_false(flood_admit(f, ev, 1, NULL, NULL, 0));
	flood_free(f);
}

static void
test_budget_across_keys(void **state)
{
	struct flood *f = new_flood();
	struct sums c;
	uint32_t a;
	int written = 0;

	(void)state;
	memset(&c, 0, sizeof(c));
	for (a = 0; a < 200; a++)
		written += flood_admit(f, "invite.left", 0x7f0a0000U + a,
		    NULL, NULL, 0);
	assert_int_equal(written, 100);
	/* Forced at exit, before the window ends. */
	flood_flush(f, 1, 1, collect, &c);
	assert_int_equal(c.total, 100);
	flood_free(f);
}

/*
 * The defaults leave a calm window alone: local users all call from
 * 127.0.0.1, so one event may repeat from one address; only past the calm
 * allowance do the per-key rules count.
 */
static void
test_calm_window_is_written_in_full(void **state)
{
	struct flood_limits lim = FLOOD_DEFAULTS;
	struct flood *f = flood_new(&lim);
	struct sums c;
	unsigned i, written = 0;

	(void)state;
	assert_non_null(f);
	memset(&c, 0, sizeof(c));
	for (i = 0; i < lim.calm; i++)
		assert_true(flood_admit(f, "announce.rung", 0x7f000001U,
		    NULL, NULL, 0));
	/* Past calm: this key has had its per_key, so it is counted... */
	assert_false(flood_admit(f, "announce.rung", 0x7f000001U,
	    NULL, NULL, 0));
	/* ...while a new key still gets in full, up to the budget. */
	for (i = 0; i < 1000; i++)
		written += flood_admit(f, "invite.left", 0x7f0a0000U + i,
		    NULL, NULL, 0);
	assert_int_equal(written, lim.budget - lim.calm);
	flood_flush(f, 1, 1, collect, &c);
	assert_int_equal(c.total, 1 + 1000 - (lim.budget - lim.calm));
	flood_free(f);
}

/*
 * Every local user calls from 127.0.0.1: one request repeated is counted,
 * another pair of names from the same address is another key, written in
 * full, and the counted record names the pair.
 */
static void
test_names_are_part_of_the_key(void **state)
{
	struct flood *f = new_flood();
	struct sums c;
	int i;

	(void)state;
	memset(&c, 0, sizeof(c));
	for (i = 0; i < 8; i++)
		assert_true(flood_admit(f, "request.denied", 0x7f000001U,
		    "mallory", "sif", 0));
	for (i = 0; i < 500; i++)
		assert_false(flood_admit(f, "request.denied", 0x7f000001U,
		    "mallory", "sif", 0));
	assert_true(flood_admit(f, "request.denied", 0x7f000001U, "thor",
	    "sif", 0));
	assert_true(flood_admit(f, "request.denied", 0x7f000001U, "mallory",
	    "odin", 0));
	assert_int_equal(flood_flush(f, 1, 1, collect, &c), 1);
	assert_int_equal(c.total, 500);
	assert_string_equal(c.caller, "mallory");
	assert_string_equal(c.callee, "sif");
	flood_free(f);
}

static void
test_too_many_events_share_one_count(void **state)
{
	struct flood_limits lim = { 1000, 0, 0, 1, 0 };	/* all counted; 4 slots */
	struct flood *f = flood_new(&lim);
	static char ev[FLOOD_EVENTS + 8][16];
	struct sums c;
	uint32_t i;

	(void)state;
	assert_non_null(f);
	memset(&c, 0, sizeof(c));
	for (i = 0; i < FLOOD_EVENTS + 8; i++) {
		snprintf(ev[i], sizeof(ev[i]), "e%u", i);
		assert_false(flood_admit(f, ev[i], i + 100, NULL, NULL, 0));
	}
	flood_flush(f, 1000, 0, collect, &c);
	assert_int_equal(c.total, FLOOD_EVENTS + 8);
	assert_true(c.saw_star);
	assert_true(c.n <= 4 + FLOOD_EVENTS + 1);
	flood_free(f);
}

/*
 * The flood, a million LEAVE_INVITEs (each an invite.left and an
 * invite.evicted) from 512 addresses over 100 s, and then from a million
 * distinct addresses: per 10 s window at most budget + slots +
 * FLOOD_EVENTS + 1 records, and every event is either written or counted.
 */
static void
flood_run(uint32_t (*src)(long), long n, long per_window)
{
	struct flood_limits lim = FLOOD_DEFAULTS;
	struct flood *f = new_flood();
	unsigned long bound = lim.budget + lim.slots + FLOOD_EVENTS + 1;
	unsigned long written = 0, cur = 0, w;
	struct sums c;
	int64_t now = 0, prev = 0;
	long i;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < n; i++) {
		now = i / per_window * lim.window_ms;
		if (now != prev) {	/* a window ended: its sums come out */
			cur += flood_flush(f, now, 0, collect, &c);
			assert_true(cur <= bound);
			cur = 0;
			prev = now;
		}
		w = (unsigned long)flood_admit(f, "invite.left", src(i),
		    NULL, NULL, now);
		w += (unsigned long)flood_admit(f, "invite.evicted",
		    src(i + 7), NULL, NULL, now);
		written += w;
		cur += w;
	}
	cur += flood_flush(f, now, 1, collect, &c);
	assert_true(cur <= bound);
	/* Nothing lost: each event written in full or counted. */
	assert_int_equal(written + c.total, 2 * (unsigned long)n);
	flood_free(f);
}

static uint32_t
src512(long i)
{
	return 0x7f0a0000U + (uint32_t)(i % 512);
}

static uint32_t
src_many(long i)
{
	return 0x7f000000U + (uint32_t)i;
}

static void
test_flood_bounded_per_window(void **state)
{
	(void)state;
	flood_run(src512, 1000000, 100000);
	flood_run(src_many, 1000000, 100000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_limits),
		cmocka_unit_test(test_repeats_of_one_key_are_counted),
		cmocka_unit_test(test_events_compare_by_content),
		cmocka_unit_test(test_budget_across_keys),
		cmocka_unit_test(test_calm_window_is_written_in_full),
		cmocka_unit_test(test_names_are_part_of_the_key),
		cmocka_unit_test(test_too_many_events_share_one_count),
		cmocka_unit_test(test_flood_bounded_per_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
