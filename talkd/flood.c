/*
 * Journal growth under a flood (SPEC.md 2, issue 9): repeats of one event
 * from one source address about the same two names (caller and callee)
 * within a window become one counted record.  The names are part of the
 * key because every local user calls from 127.0.0.1: a flood of one
 * request repeated is counted, while other people's requests from the
 * same address are still written in full (up to the window's budget).
 *
 * A window whose first calm records (default 200, 20 a second) are all it
 * has is never touched: ordinary traffic, where every local user calls
 * from 127.0.0.1, is written in full however often one event repeats.
 * Past calm, per window (default 10 s) a key (event, source address) gets per_key
 * records written in full, and all keys together budget; past either the
 * record is counted in the key's slot, and flood_flush hands out one
 * summary per slot with a count when the window ends.  Slots are fixed
 * (sets of four found by a hash of the key); a key that finds its set
 * full is counted per event with no address (at most FLOOD_EVENTS events,
 * then all under one).  So a window writes at most budget + slots +
 * FLOOD_EVENTS + 1 records, whatever the packet rate or the number of
 * source addresses, and every request is still accounted for.
 */
#include <stdlib.h>
#include <string.h>

#include "talkd/talkd.h"

#define WAYS 4

struct flood_slot {
	const char *event;		/* NULL: free */
	uint32_t src;
	char caller[NAME_SIZE + 1], callee[NAME_SIZE + 1];
	unsigned written;
	unsigned long counted;
};

struct flood_over {
	const char *event;
	unsigned long counted;
};

struct flood {
	struct flood_limits lim;
	struct flood_slot *slot;
	size_t nsets;			/* power of two */
	struct flood_over over[FLOOD_EVENTS + 1];	/* last: any event */
	int64_t start;			/* of the current window */
	int started;
	unsigned written;		/* in full, this window */
	size_t used;			/* slots in use this window */
};

struct flood *
flood_new(const struct flood_limits *lim)
{
	struct flood *f;
	size_t n = 1;

	if (lim->window_ms <= 0 || lim->slots == 0 || lim->calm > lim->budget)
		return NULL;
	while (n * WAYS < lim->slots && n < ((size_t)1 << 20))
		n <<= 1;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	if ((f->slot = calloc(n * WAYS, sizeof(*f->slot))) == NULL) {
		free(f);
		return NULL;
	}
	f->lim = *lim;
	f->nsets = n;
	return f;
}

void
flood_free(struct flood *f)
{
	if (!f)
		return;
	free(f->slot);
	free(f);
}

static int
same(const char *a, const char *b)
{
	return a == b || strcmp(a, b) == 0;
}

static uint32_t
hash_str(uint32_t h, const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && s[i] != '\0'; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619U;
	return (h ^ 0xffU) * 16777619U;	/* end of the string */
}

static struct flood_slot *
slot_of(struct flood *f, const char *event, uint32_t src,
    const char *caller, const char *callee)
{
	struct flood_slot *set, *free_slot = NULL;
	uint32_t h = 2166136261U;
	size_t i;

	h = hash_str(h, event, (size_t)-1);
	for (i = 0; i < 4; i++)
		h = (h ^ ((src >> (8 * i)) & 0xff)) * 16777619U;
	h = hash_str(h, caller, NAME_SIZE);
	h = hash_str(h, callee, NAME_SIZE);
	set = &f->slot[(h & (f->nsets - 1)) * WAYS];
	for (i = 0; i < WAYS; i++) {
		if (set[i].event == NULL) {
			if (!free_slot)
				free_slot = &set[i];
		} else if (set[i].src == src && same(set[i].event, event) &&
		    strncmp(set[i].caller, caller, NAME_SIZE) == 0 &&
		    strncmp(set[i].callee, callee, NAME_SIZE) == 0)
			return &set[i];
	}
	if (free_slot) {
		free_slot->event = event;
		free_slot->src = src;
		memcpy(free_slot->caller, caller, strnlen(caller, NAME_SIZE));
		memcpy(free_slot->callee, callee, strnlen(callee, NAME_SIZE));
		f->used++;
	}
	return free_slot;
}

static void
count_over(struct flood *f, const char *event)
{
	struct flood_over *o;
	size_t i;

	for (i = 0; i < FLOOD_EVENTS; i++) {
		o = &f->over[i];
		if (o->event == NULL)
			o->event = event;
		if (same(o->event, event)) {
			o->counted++;
			return;
		}
	}
	f->over[FLOOD_EVENTS].event = "*";
	f->over[FLOOD_EVENTS].counted++;
}

int
flood_admit(struct flood *f, const char *event, uint32_t src,
    const char *caller, const char *callee, int64_t now)
{
	struct flood_slot *s;

	if (!f->started) {
		f->start = now;
		f->started = 1;
	}
	s = slot_of(f, event, src, caller ? caller : "",
	    callee ? callee : "");
	if (f->written < f->lim.calm) {
		f->written++;		/* a calm window: everything in full, */
		if (s != NULL)		/* still counted against its key */
			s->written++;
		return 1;
	}
	if (s == NULL) {
		count_over(f, event);
		return 0;
	}
	if (s->written < f->lim.per_key && f->written < f->lim.budget) {
		s->written++;
		f->written++;
		return 1;
	}
	s->counted++;
	return 0;
}

size_t
flood_flush(struct flood *f, int64_t now, int force,
    void (*fn)(void *, const struct flood_sum *), void *ctx)
{
	struct flood_sum sum;
	size_t i, n = 0;

	if (!f->started || (!force && now - f->start < f->lim.window_ms))
		return 0;
	for (i = 0; i < f->nsets * WAYS && f->used > 0; i++) {
		struct flood_slot *s = &f->slot[i];

		if (s->event == NULL)
			continue;
		if (s->counted) {
			sum.event = s->event;
			sum.src = s->src;
			sum.has_src = 1;
			sum.caller = s->caller;
			sum.callee = s->callee;
			sum.count = s->counted;
			fn(ctx, &sum);
			n++;
		}
		memset(s, 0, sizeof(*s));
		f->used--;
	}
	for (i = 0; i <= FLOOD_EVENTS; i++) {
		struct flood_over *o = &f->over[i];

		if (o->counted) {
			sum.event = o->event;
			sum.src = 0;
			sum.has_src = 0;
			sum.caller = sum.callee = "";
			sum.count = o->counted;
			fn(ctx, &sum);
			n++;
		}
		o->event = NULL;
		o->counted = 0;
	}
	f->written = 0;
	f->started = 0;
	return n;
}

int64_t
flood_next_flush(const struct flood *f, int64_t now)
{
	int64_t left;

	if (!f->started)
		return -1;
	left = f->start + f->lim.window_ms - now;
	return left < 0 ? 0 : left;
}
