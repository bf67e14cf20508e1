/*
 * table.c: the invitation table, with explicit `now` values (no sleeping),
 * plus the request paths of process.c that only touch the table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "talkd/talkd.h"

#define TTL 60000

static struct table *
new_table(size_t max, size_t per_source)
{
	struct table_limits lim = { max, per_source, TTL };
	struct table *t = table_new(&lim);

	assert_non_null(t);
	return t;
}

static struct invite
proto_of(uint8_t type, int32_t pid, const char *l, const char *r,
    uint32_t src)
{
	struct invite p;

	memset(&p, 0, sizeof(p));
	p.type = type;
	p.pid = pid;
	snprintf(p.l_name, sizeof(p.l_name), "%s", l);
	snprintf(p.r_name, sizeof(p.r_name), "%s", r);
	p.addr.family = OSA_AF_INET;
	p.addr.port = 4242;
	p.addr.addr = 0x7f000001U;
	p.src_addr = src;
	return p;
}

static struct invite *
put(struct table *t, uint8_t type, int32_t pid, const char *l, const char *r,
    uint32_t src, int64_t now)
{
	struct invite p = proto_of(type, pid, l, r, src);

	return table_insert(t, &p, now);
}

static void
test_new_rejects_zero_limits(void **state)
{
	struct table_limits a = { 0, 1, TTL }, b = { 1, 0, TTL };

	(void)state;
	assert_null(table_new(&a));
	assert_null(table_new(&b));
}

static void
test_insert_find_exact_and_refresh(void **state)
{
	struct table *t = new_table(16, 16);
	struct invite *e, *f;

	(void)state;
	e = put(t, LEAVE_INVITE, 100, "alice", "bob", 0x7f000001U, 1000);
	assert_non_null(e);
	assert_int_equal(table_count(t), 1);
	assert_int_equal(e->type, LEAVE_INVITE);
	assert_int_equal(e->pid, 100);
	assert_string_equal(e->l_name, "alice");
	assert_string_equal(e->r_name, "bob");
	assert_int_equal(e->addr.port, 4242);
	assert_int_equal(e->touched, 1000);

	/* Every part of the key matters. */
	assert_null(table_find(t, ANNOUNCE, 100, "alice", "bob", 2000));
	assert_null(table_find(t, LEAVE_INVITE, 101, "alice", "bob", 2000));
	assert_null(table_find(t, LEAVE_INVITE, 100, "bob", "alice", 2000));
	assert_null(table_find(t, LEAVE_INVITE, 100, "alic", "bob", 2000));
	assert_null(table_find(t, LEAVE_INVITE, 100, "alice", "bobb", 2000));
	assert_int_equal(e->touched, 1000);	/* misses refresh nothing */

	f = table_find(t, LEAVE_INVITE, 100, "alice", "bob", 5000);
	assert_ptr_equal(f, e);
	assert_int_equal(e->touched, 5000);
	/* Refreshed: alive until 5000 + ttl, not 1000 + ttl. */
	assert_int_equal(table_expire(t, 1000 + TTL + 1, NULL, NULL), 0);
	assert_int_equal(table_count(t), 1);
	assert_int_equal(table_expire(t, 5000 + TTL + 1, NULL, NULL), 1);
	assert_int_equal(table_count(t), 0);
	table_free(t);
}

static void
test_find_or_insert_is_idempotent(void **state)
{
	struct table *t = new_table(16, 16);
	struct invite *e;
	uint32_t id = 0;
	int i;

	(void)state;
	/* What LEAVE_INVITE does on every (30 s) re-send. */
	for (i = 0; i < 5; i++) {
		int64_t now = 1000 + 30000 * i;

		e = table_find(t, LEAVE_INVITE, 7, "ann", "ben", now);
		if (!e) {
			assert_int_equal(i, 0);
			e = put(t, LEAVE_INVITE, 7, "ann", "ben", 1, now);
			assert_non_null(e);
			id = e->id;
		}
		assert_int_equal(e->id, id);
		assert_int_equal(table_count(t), 1);
		assert_int_equal(table_expire(t, now, NULL, NULL), 0);
	}
	table_free(t);
}

static void
test_lookup_newest_ignores_pid(void **state)
{
	struct table *t = new_table(16, 16);
	struct invite *old, *mid, *ann;

	(void)state;
	old = put(t, LEAVE_INVITE, 1, "alice", "bob", 1, 1000);
	mid = put(t, LEAVE_INVITE, 2, "alice", "bob", 2, 2000);
	assert_non_null(old);
	assert_non_null(mid);
	put(t, LEAVE_INVITE, 3, "alice", "carol", 1, 3000);
	put(t, LEAVE_INVITE, 4, "bob", "alice", 1, 3000);
	/* An ANNOUNCE entry with the same names is no invitation. */
	ann = put(t, ANNOUNCE, 5, "alice", "bob", 1, 4000);
	assert_non_null(ann);

	/* bob asks for alice's invitation: l_name alice, r_name bob. */
	assert_ptr_equal(table_lookup(t, "bob", "alice"), mid);
	assert_ptr_equal(table_lookup(t, "alice", "bob"),
	    table_find(t, LEAVE_INVITE, 4, "bob", "alice", 4000));
	assert_null(table_lookup(t, "dave", "alice"));
	assert_null(table_lookup(t, "bo", "alice"));
	table_remove(t, mid);
	assert_ptr_equal(table_lookup(t, "bob", "alice"), old);
	table_remove(t, old);
	assert_null(table_lookup(t, "bob", "alice"));
	/* Only the ANNOUNCE is left for that pair, and it is not found. */
	assert_ptr_equal(table_find(t, ANNOUNCE, 5, "alice", "bob", 4000), ann);
	table_free(t);
}

static void
test_lookup_names_full_length(void **state)
{
	struct table *t = new_table(16, 16);
	struct invite p, *e;

	(void)state;
	/* 12-byte names (no NUL on the wire) are keys like any other. */
	p = proto_of(LEAVE_INVITE, 9, "", "", 1);
	memset(p.l_name, 'a', NAME_SIZE);
	memset(p.r_name, 'b', NAME_SIZE);
	e = table_insert(t, &p, 1);
	assert_non_null(e);
	assert_int_equal(strlen(e->l_name), NAME_SIZE);
	assert_ptr_equal(table_lookup(t, "bbbbbbbbbbbb", "aaaaaaaaaaaa"), e);
	assert_ptr_equal(table_find(t, LEAVE_INVITE, 9, "aaaaaaaaaaaa",
	    "bbbbbbbbbbbb", 2), e);
	assert_null(table_lookup(t, "bbbbbbbbbbb", "aaaaaaaaaaaa"));
	table_free(t);
}

static void
test_ids_nonzero_unique_increasing(void **state)
{
	struct table *t = new_table(1000, 1000);
	uint32_t last = 0;
	char name[16];
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		struct invite *e;

		snprintf(name, sizeof(name), "u%d", i);
		e = put(t, (uint8_t)(i % 2 ? ANNOUNCE : LEAVE_INVITE), i, name,
		    "x", 1, i);
		assert_non_null(e);
		assert_int_not_equal(e->id, 0);
		assert_true(e->id > last);	/* hence unique */
		assert_ptr_equal(table_by_id(t, e->id), e);
		last = e->id;
	}
	assert_null(table_by_id(t, 0));
	assert_null(table_by_id(t, last + 1));
	table_free(t);
}

static void
test_renew_gives_new_larger_id(void **state)
{
	struct table *t = new_table(16, 16);
	struct invite *a, *b;
	uint32_t old;

	(void)state;
	a = put(t, ANNOUNCE, 1, "alice", "bob", 1, 1000);
	b = put(t, ANNOUNCE, 2, "carol", "bob", 1, 1000);
	assert_non_null(a);
	assert_non_null(b);
	old = a->id;
	table_renew(t, a, 9000);
	assert_true(a->id > old);
	assert_true(a->id > b->id);
	assert_int_equal(a->touched, 9000);
	assert_null(table_by_id(t, old));
	assert_ptr_equal(table_by_id(t, a->id), a);
	/* Still found by its key, still one entry. */
	assert_ptr_equal(table_find(t, ANNOUNCE, 1, "alice", "bob", 9000), a);
	assert_int_equal(table_count(t), 2);
	/* Renewal refreshed it: b (1000) goes first. */
	assert_int_equal(table_expire(t, 1000 + TTL + 1, NULL, NULL), 1);
	assert_ptr_equal(table_by_id(t, a->id), a);
	assert_null(table_find(t, ANNOUNCE, 2, "carol", "bob", 9000));
	table_free(t);
}

static void
test_remove(void **state)
{
	struct table *t = new_table(16, 16);
	struct invite *a, *b, *c;
	uint32_t ida;

	(void)state;
	a = put(t, LEAVE_INVITE, 1, "alice", "bob", 1, 1);
	b = put(t, LEAVE_INVITE, 2, "alice", "bob", 1, 2);
	c = put(t, ANNOUNCE, 3, "x", "y", 1, 3);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	ida = a->id;
	table_remove(t, a);
	assert_int_equal(table_count(t), 2);
	assert_null(table_by_id(t, ida));
	assert_null(table_find(t, LEAVE_INVITE, 1, "alice", "bob", 4));
	assert_ptr_equal(table_lookup(t, "bob", "alice"), b);
	table_remove(t, b);
	assert_null(table_lookup(t, "bob", "alice"));
	assert_ptr_equal(table_find(t, ANNOUNCE, 3, "x", "y", 5), c);
	table_remove(t, c);
	assert_int_equal(table_count(t), 0);
	assert_int_equal(table_next_expiry(t, 5), -1);
	table_free(t);
}

struct seen {
	uint32_t ids[8];
	size_t n;
};

static void
on_expire(void *ctx, const struct invite *e)
{
	struct seen *s = ctx;

	assert_true(s->n < 8);
	s->ids[s->n++] = e->id;
}

static void
test_expiry_exactly_after_ttl(void **state)
{
	struct table *t = new_table(16, 16);
	struct invite *a, *b;
	struct seen s = { { 0 }, 0 };
	uint32_t ida, idb;

	(void)state;
	assert_int_equal(table_next_expiry(t, 0), -1);
	a = put(t, LEAVE_INVITE, 1, "alice", "bob", 1, 1000);
	b = put(t, ANNOUNCE, 2, "carol", "dave", 1, 1500);
	assert_non_null(a);
	assert_non_null(b);
	ida = a->id;
	idb = b->id;
	assert_int_equal(table_next_expiry(t, 1000), TTL + 1);
	assert_int_equal(table_next_expiry(t, 1000 + TTL), 1);
	assert_int_equal(table_next_expiry(t, 1000 + TTL + 50), 0);

	/* ttl after the last touch it is still there ... */
	assert_int_equal(table_expire(t, 1000 + TTL, on_expire, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(table_count(t), 2);
	/* ... one millisecond later it is gone, and fn saw it. */
	assert_int_equal(table_expire(t, 1000 + TTL + 1, on_expire, &s), 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], ida);
	assert_null(table_by_id(t, ida));
	assert_null(table_lookup(t, "bob", "alice"));
	assert_int_equal(table_count(t), 1);
	assert_int_equal(table_next_expiry(t, 1000 + TTL + 1), 500);

	/* A refresh moves the deadline. */
	assert_non_null(table_find(t, ANNOUNCE, 2, "carol", "dave", 30000));
	assert_int_equal(table_next_expiry(t, 30000), TTL + 1);
	assert_int_equal(table_expire(t, 1500 + TTL + 1, on_expire, &s), 0);
	assert_int_equal(table_expire(t, 30000 + TTL + 1, on_expire, &s), 1);
	assert_int_equal(s.ids[1], idb);
	assert_int_equal(table_count(t), 0);
	assert_int_equal(table_next_expiry(t, 30000 + TTL + 1), -1);
	table_free(t);
}

static void
test_next_expiry_agrees_with_expire(void **state)
{
	struct table *t = new_table(16, 16);
	int64_t now = 12345, left;

	(void)state;
	assert_non_null(put(t, LEAVE_INVITE, 1, "a", "b", 1, now));
	left = table_next_expiry(t, now + 100);
	assert_true(left > 0);
	assert_int_equal(table_expire(t, now + 100 + left - 1, NULL, NULL), 0);
	assert_int_equal(table_expire(t, now + 100 + left, NULL, NULL), 1);
	table_free(t);
}

/* What the eviction callback saw. */
struct evlog {
	size_t n;
	uint32_t last_id, last_src;
	int32_t last_pid;
	unsigned char *live;		/* ids in use, when tracked */
	size_t nlive;
};

static void
on_evict(void *ctx, const struct invite *e)
{
	struct evlog *l = ctx;

	l->n++;
	l->last_id = e->id;
	l->last_src = e->src_addr;
	l->last_pid = e->pid;
	if (l->live && e->id < l->nlive) {
		assert_true(l->live[e->id]);
		l->live[e->id] = 0;
	}
}

#define A1 0x0a000101U			/* 10.0.1.1, net A */
#define A2 0x0a000102U
#define A3 0x0a000103U
#define B1 0x0a000201U			/* 10.0.2.1, net B */
#define C1 0x0a000301U			/* 10.0.3.1, net C */

/* Net A: A1 x3 (pids 1-3), A2 x1 (4); net B: B1 x2 (5-6).  Full at 6. */
static struct table *
full_table(struct evlog *l)
{
	struct table *t = new_table(6, 100);
	static const uint32_t src[] = { A1, A1, A1, A2, B1, B1 };
	int i;

	memset(l, 0, sizeof(*l));
	table_set_evict(t, on_evict, l);
	for (i = 0; i < 6; i++)
		assert_non_null(put(t, LEAVE_INVITE, i + 1, "u", "v", src[i],
		    1000 + i));
	assert_int_equal(table_count(t), 6);
	assert_int_equal(l->n, 0);
	return t;
}

static void
test_full_evicts_oldest_of_largest_source_of_largest_net(void **state)
{
	struct evlog l;
	struct table *t = full_table(&l);
	struct invite *e;

	(void)state;
	/* A1's pid 1 is touched again: pid 2 is now A1's oldest. */
	assert_non_null(table_find(t, LEAVE_INVITE, 1, "u", "v", 2000));
	e = put(t, LEAVE_INVITE, 7, "new", "v", C1, 2001);
	assert_non_null(e);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.last_src, A1);
	assert_int_equal(l.last_pid, 2);
	assert_null(table_find(t, LEAVE_INVITE, 2, "u", "v", 2002));
	assert_non_null(table_find(t, LEAVE_INVITE, 1, "u", "v", 2002));
	assert_ptr_equal(table_lookup(t, "v", "new"), e);
	assert_int_equal(table_count(t), 6);
	table_free(t);
}

static void
test_full_requester_in_largest_net_pays_within_it(void **state)
{
	struct evlog l;
	struct table *t = full_table(&l);

	(void)state;
	/* A3 is new in net A (the largest): A1, the largest in A, pays. */
	assert_non_null(put(t, LEAVE_INVITE, 7, "n", "v", A3, 2000));
	assert_int_equal(l.last_src, A1);
	assert_int_equal(l.last_pid, 1);
	/* A is 4 (A1 2, A2 1, A3 1), B 2.  A1 itself: pays its own oldest. */
	assert_non_null(put(t, LEAVE_INVITE, 8, "n", "v", A1, 2001));
	assert_int_equal(l.last_src, A1);
	assert_int_equal(l.last_pid, 2);
	/* B (2) is smaller than A (4): A pays, not B. */
	assert_non_null(put(t, LEAVE_INVITE, 9, "n", "v", B1, 2002));
	assert_int_equal(l.last_src, A1);
	assert_int_equal(l.last_pid, 3);
	/* A 3 (A1 1, A2 1, A3 1) = B 3: B1 pays for itself. */
	assert_non_null(put(t, LEAVE_INVITE, 10, "n", "v", B1, 2003));
	assert_int_equal(l.last_src, B1);
	assert_int_equal(l.last_pid, 5);
	assert_int_equal(l.n, 4);
	assert_int_equal(table_count(t), 6);
	table_free(t);
}

static void
test_full_any_type_and_removal_gives_room(void **state)
{
	struct evlog l;
	struct table *t = full_table(&l);
	struct invite *e;

	(void)state;
	assert_non_null(put(t, ANNOUNCE, 7, "n", "v", C1, 2000));
	assert_int_equal(l.n, 1);
	e = table_find(t, LEAVE_INVITE, 5, "u", "v", 2001);
	assert_non_null(e);
	table_remove(t, e);
	assert_non_null(put(t, LEAVE_INVITE, 8, "n", "v", C1, 2002));
	assert_int_equal(l.n, 1);	/* room: nobody evicted */
	assert_int_equal(table_count(t), 6);
	table_free(t);
}

static void
test_per_source_cap_evicts_own_oldest(void **state)
{
	struct table *t = new_table(100, 2);
	struct invite *a, *b, *c;
	struct evlog l;

	(void)state;
	memset(&l, 0, sizeof(l));
	table_set_evict(t, on_evict, &l);
	a = put(t, LEAVE_INVITE, 1, "a", "x", 0x0a000001U, 1);
	b = put(t, ANNOUNCE, 2, "b", "x", 0x0a000001U, 2);
	assert_non_null(a);
	assert_non_null(b);
	c = put(t, LEAVE_INVITE, 1, "c", "x", 0x0a000002U, 3);
	assert_non_null(c);
	/* a is touched: b becomes the source's oldest and pays. */
	assert_ptr_equal(table_find(t, LEAVE_INVITE, 1, "a", "x", 4), a);
	assert_non_null(put(t, LEAVE_INVITE, 3, "d", "x", 0x0a000001U, 5));
	assert_int_equal(l.n, 1);
	assert_int_equal(l.last_pid, 2);
	assert_int_equal(l.last_src, 0x0a000001U);
	assert_null(table_find(t, ANNOUNCE, 2, "b", "x", 6));
	/* Another source is not affected. */
	assert_ptr_equal(table_find(t, LEAVE_INVITE, 1, "c", "x", 6), c);
	assert_int_equal(table_count(t), 3);
	/* Without a callback evictions still happen. */
	table_set_evict(t, NULL, NULL);
	assert_non_null(put(t, LEAVE_INVITE, 4, "e", "x", 0x0a000001U, 7));
	assert_int_equal(table_count(t), 3);
	assert_int_equal(l.n, 1);
	table_free(t);
}

/*
 * The flood: distinct pids from 512 addresses in 127.10.0.0/23
 * into a table of 4096, then a user on 127.0.0.1 gets in, stays in while
 * the flood goes on, and each /24 of the flood holds half of the rest.
 * Ids stay unique among live entries throughout.
 */
static void
test_flood_from_512_addresses_does_not_lock_out(void **state)
{
	enum { CAP = 4096, N = 100000 };
	struct table *t = new_table(CAP, CAP);
	struct evlog l;
	struct invite *e, *mine = NULL;
	uint32_t id = 0;
	int i, round;

	(void)state;
	memset(&l, 0, sizeof(l));
	l.nlive = 4 * N;
	l.live = calloc(l.nlive, 1);
	assert_non_null(l.live);
	table_set_evict(t, on_evict, &l);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < N; i++) {
			e = put(t, LEAVE_INVITE, round * N + i, "flood", "x",
			    0x7f0a0000U + (uint32_t)(i % 512), i);
			assert_non_null(e);
			assert_true(e->id < l.nlive);
			assert_false(l.live[e->id]);
			l.live[e->id] = 1;
		}
		assert_int_equal(table_count(t), CAP);
		if (round == 0) {
			mine = put(t, LEAVE_INVITE, 4242, "me", "you",
			    0x7f000001U, N);
			assert_non_null(mine);
			id = mine->id;
			l.live[id] = 1;
		}
		/* Still there, after the whole second round too. */
		assert_ptr_equal(table_lookup(t, "you", "me"), mine);
		assert_int_equal(mine->id, id);
	}
	/* Each address and each /24 of the flood holds its share. */
	for (i = 0; i < 512; i++) {
		size_t n = table_count_src(t, 0x7f0a0000U + (uint32_t)i);
		assert_in_range(n, CAP / 512 - 1, CAP / 512);
	}
	assert_in_range(table_count_net(t, 0x7f0a0000U), CAP / 2 - 1, CAP / 2);
	assert_in_range(table_count_net(t, 0x7f0a0100U), CAP / 2 - 1, CAP / 2);
	assert_int_equal(table_count_src(t, 0x7f000001U), 1);
	assert_int_equal(table_count_net(t, 0x7f000002U), 1);
	assert_int_equal(table_count_src(t, 0x7f000002U), 0);
	assert_int_equal(l.n, 2 * N + 1 - CAP);
	free(l.live);
	table_free(t);
}

/*
 * A million distinct sources, each in its own /24 or not: every insert
 * evicts at most one entry, the table stays at its cap, and the user
 * with nothing stored still gets in.
 */
static void
test_million_sources(void **state)
{
	enum { CAP = 65536, N = 1000000 };
	struct table *t = new_table(CAP, 4096);
	struct evlog l;
	uint32_t a;
	int i;

	(void)state;
	memset(&l, 0, sizeof(l));
	table_set_evict(t, on_evict, &l);
	for (i = 0; i < N; i++) {
		a = 0x7f000000U + 2 + (uint32_t)i * 17U % 0xfffff0U;
		assert_non_null(put(t, LEAVE_INVITE, i, "f", "x", a, i));
	}
	assert_int_equal(table_count(t), CAP);
	assert_int_equal(l.n, N - CAP);
	assert_non_null(put(t, LEAVE_INVITE, 1, "me", "you", 0x7f000001U, N));
	assert_non_null(table_lookup(t, "you", "me"));
	assert_int_equal(table_expire(t, N + TTL + 1, NULL, NULL), CAP);
	assert_int_equal(table_count(t), 0);
	table_free(t);
}

static void
test_large_table(void **state)
{
	enum { N = 100000 };
	struct table *t = new_table(N, N);
	uint32_t *ids = calloc(N, sizeof(*ids));
	char l[16], r[16];
	int i;

	(void)state;
	assert_non_null(ids);
	for (i = 0; i < N; i++) {
		struct invite *e;

		snprintf(l, sizeof(l), "l%d", i);
		snprintf(r, sizeof(r), "r%d", i % 1000);
		e = put(t, (uint8_t)(i % 3 == 0 ? ANNOUNCE : LEAVE_INVITE), i,
		    l, r, (uint32_t)i % 7, i);
		assert_non_null(e);
		ids[i] = e->id;
	}
	assert_int_equal(table_count(t), N);
	for (i = 0; i < N; i++) {
		struct invite *e;
		uint8_t type = (uint8_t)(i % 3 == 0 ? ANNOUNCE : LEAVE_INVITE);

		snprintf(l, sizeof(l), "l%d", i);
		snprintf(r, sizeof(r), "r%d", i % 1000);
		e = table_find(t, type, i, l, r, N);
		assert_non_null(e);
		assert_int_equal(e->id, ids[i]);
		assert_ptr_equal(table_by_id(t, ids[i]), e);
		if (type == LEAVE_INVITE)
			assert_ptr_equal(table_lookup(t, r, l), e);
		else
			assert_null(table_lookup(t, r, l));
		if (i % 2)
			table_remove(t, e);
	}
	assert_int_equal(table_count(t), N / 2);
	for (i = 0; i < N; i++) {
		struct invite *e = table_by_id(t, ids[i]);

		if (i % 2)
			assert_null(e);
		else
			assert_non_null(e);
	}
	/* Everything was refreshed at N: all expire together. */
	assert_int_equal(table_expire(t, N + TTL, NULL, NULL), 0);
	assert_int_equal(table_expire(t, N + TTL + 1, NULL, NULL), N / 2);
	assert_int_equal(table_count(t), 0);
	free(ids);
	table_free(t);
}

/* ---- process.c on top of the table --------------------------------------- */

static struct server *
new_server(void)
{
	struct server *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->table = new_table(16, 16);
	s->pw = pwcache_new(16, 30000);
	assert_non_null(s->pw);
	snprintf(s->hostname, sizeof(s->hostname), "testhost");
	return s;			/* journal NULL: not written */
}

static void
free_server(struct server *s)
{
	table_free(s->table);
	pwcache_free(s->pw);
	free(s->local);
	free(s);
}

static struct ctl_msg
req(uint8_t type, int32_t pid, const char *l, const char *r, uint32_t id)
{
	struct ctl_msg m;

	memset(&m, 0, sizeof(m));
	m.vers = TALK_VERSION;
	m.type = type;
	m.id_num = id;
	m.pid = pid;
	m.addr = (struct osa){ OSA_AF_INET, 5000, 0x7f000001U };
	m.ctl_addr = (struct osa){ OSA_AF_INET, 6000, 0x7f000001U };
	snprintf(m.l_name, sizeof(m.l_name), "%s", l);
	snprintf(m.r_name, sizeof(m.r_name), "%s", r);
	return m;
}

static struct sockaddr_in
from(const char *ip, uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	return sin;
}

static void
test_process_leave_invite_lookup_delete(void **state)
{
	struct server *s = new_server();
	struct sockaddr_in lo = from("127.0.0.1", 6000);
	struct sockaddr_in lo2 = from("127.0.0.2", 6000);
	struct ctl_msg m;
	struct ctl_resp r;
	uint32_t id;

	(void)state;
	m = req(LEAVE_INVITE, 42, "alice", "bob", 0);
	process_request(s, &m, &lo, &r, 1000);
	assert_int_equal(r.vers, 1);
	assert_int_equal(r.type, LEAVE_INVITE);
	assert_int_equal(r.answer, SUCCESS);
	assert_int_not_equal(r.id_num, 0);
	assert_int_equal(r.addr.family, 0);	/* only LOOK_UP carries it */
	id = r.id_num;
	/* A re-send: the same id, still one entry. */
	process_request(s, &m, &lo, &r, 31000);
	assert_int_equal(r.answer, SUCCESS);
	assert_int_equal(r.id_num, id);
	assert_int_equal(table_count(s->table), 1);

	/* bob looks it up, from anywhere. */
	m = req(LOOK_UP, 7, "bob", "alice", 0);
	m.addr.family = OSA_AF_INET;
	process_request(s, &m, &lo2, &r, 32000);
	assert_int_equal(r.type, LOOK_UP);
	assert_int_equal(r.answer, SUCCESS);
	assert_int_equal(r.id_num, id);
	assert_int_equal(r.addr.family, OSA_AF_INET);
	assert_int_equal(r.addr.port, 5000);
	assert_int_equal(r.addr.addr, 0x7f000001U);
	m = req(LOOK_UP, 7, "carol", "alice", 0);
	process_request(s, &m, &lo, &r, 32000);
	assert_int_equal(r.answer, NOT_HERE);
	assert_int_equal(r.addr.family, 0);

	/* DELETE by another source: NOT_HERE, nothing removed. */
	m = req(DELETE, 0, "", "", id);
	process_request(s, &m, &lo2, &r, 33000);
	assert_int_equal(r.type, DELETE);
	assert_int_equal(r.answer, NOT_HERE);
	assert_int_equal(table_count(s->table), 1);
	/* By the creator: gone. */
	process_request(s, &m, &lo, &r, 33000);
	assert_int_equal(r.answer, SUCCESS);
	assert_int_equal(table_count(s->table), 0);
	process_request(s, &m, &lo, &r, 33000);
	assert_int_equal(r.answer, NOT_HERE);
	free_server(s);
}

static void
test_process_leave_invite_only_local(void **state)
{
	struct server *s = new_server();
	struct sockaddr_in far = from("192.0.2.1", 6000);
	struct ctl_msg m = req(LEAVE_INVITE, 42, "alice", "bob", 0);
	struct ctl_resp r;

	(void)state;
	/* TEST-NET-1 is never one of this host's addresses. */
	process_request(s, &m, &far, &r, 1000);
	assert_int_equal(r.type, LEAVE_INVITE);
	assert_int_equal(r.answer, FAILED);
	assert_int_equal(r.id_num, 0);
	assert_int_equal(table_count(s->table), 0);
	free_server(s);
}

/* A sender at its cap keeps being answered: its oldest entry makes room. */
static void
test_process_table_full_evicts_oldest(void **state)
{
	struct server *s = new_server();
	struct sockaddr_in lo = from("127.0.0.1", 6000);
	struct ctl_msg m;
	struct ctl_resp r;
	uint32_t first = 0;
	int i;

	(void)state;
	table_free(s->table);
	s->table = new_table(2, 2);
	for (i = 0; i < 3; i++) {
		m = req(LEAVE_INVITE, i, "alice", "bob", 0);
		process_request(s, &m, &lo, &r, 1000 + i);
		assert_int_equal(r.answer, SUCCESS);
		if (i == 0)
			first = r.id_num;
	}
	assert_int_equal(table_count(s->table), 2);
	assert_null(table_by_id(s->table, first));
	/* The newest answers with its id; the evicted one gets a new id. */
	m = req(LEAVE_INVITE, 2, "alice", "bob", 0);
	process_request(s, &m, &lo, &r, 2000);
	assert_int_equal(r.answer, SUCCESS);
	assert_int_equal(r.id_num, 3);
	free_server(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_rejects_zero_limits),
		cmocka_unit_test(test_insert_find_exact_and_refresh),
		cmocka_unit_test(test_find_or_insert_is_idempotent),
		cmocka_unit_test(test_lookup_newest_ignores_pid),
		cmocka_unit_test(test_lookup_names_full_length),
		cmocka_unit_test(test_ids_nonzero_unique_increasing),
		cmocka_unit_test(test_renew_gives_new_larger_id),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_expiry_exactly_after_ttl),
		cmocka_unit_test(test_next_expiry_agrees_with_expire),
		cmocka_unit_test(
		    test_full_evicts_oldest_of_largest_source_of_largest_net),
		cmocka_unit_test(test_full_requester_in_largest_net_pays_within_it),
		cmocka_unit_test(test_full_any_type_and_removal_gives_room),
		cmocka_unit_test(test_per_source_cap_evicts_own_oldest),
		cmocka_unit_test(test_flood_from_512_addresses_does_not_lock_out),
		cmocka_unit_test(test_million_sources),
		cmocka_unit_test(test_large_table),
		cmocka_unit_test(test_process_leave_invite_lookup_delete),
		cmocka_unit_test(test_process_leave_invite_only_local),
		cmocka_unit_test(test_process_table_full_evicts_oldest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
