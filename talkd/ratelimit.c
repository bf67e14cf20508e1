/*
 * Rings per callee, rate-limited (SPEC.md 2): at most burst rings to one
 * name in any period, and one more every period/burst after that (GCRA:
 * each name keeps only the time its budget is whole again).  Memory is
 * fixed: slots in sets of four, found by a hash of the name; a name whose
 * budget is whole holds no slot, and when all four of a set are in use the
 * one closest to whole is given up (that name may then ring early: the
 * bound holds for up to four callees rung at once per set).
 */
#include <stdlib.h>
#include <string.h>

#include "talkd/talkd.h"

#define WAYS 4

struct rl_slot {
	char name[NAME_SIZE + 1];
	int64_t whole;			/* budget whole again at this time */
};

struct ratelimit {
	struct rl_slot *slot;
	size_t nsets;			/* power of two */
	int64_t step, span;		/* period / burst, period - step */
};

struct ratelimit *
ratelimit_new(size_t slots, unsigned burst, int64_t period_ms)
{
	struct ratelimit *r;
	size_t n = 1;

	if (burst == 0 || period_ms <= 0 || slots == 0)
		return NULL;
	while (n * WAYS < slots && n < ((size_t)1 << 24))
		n <<= 1;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->slot = calloc(n * WAYS, sizeof(*r->slot))) == NULL) {
		free(r);
		return NULL;
	}
	r->nsets = n;
	r->step = period_ms / burst;
	if (r->step == 0)
		r->step = 1;
	r->span = period_ms - r->step;
	return r;
}

void
ratelimit_free(struct ratelimit *r)
{
	if (!r)
		return;
	free(r->slot);
	free(r);
}

int
ratelimit_take(struct ratelimit *r, const char *name, int64_t now)
{
	struct rl_slot *set, *s = NULL;
	char key[NAME_SIZE + 1];
	uint32_t h = 2166136261U;
	size_t i, n = strnlen(name, NAME_SIZE);

	memset(key, 0, sizeof(key));
	memcpy(key, name, n);
	for (i = 0; i < n; i++) {
		h ^= (unsigned char)key[i];
		h *= 16777619U;
	}
	set = &r->slot[(h & (r->nsets - 1)) * WAYS];
	for (i = 0; i < WAYS; i++)
		if (set[i].name[0] && strcmp(set[i].name, key) == 0) {
			s = &set[i];
			break;
		}
	if (s == NULL) {
		/* A free slot: unused, or its budget is whole again. */
		s = &set[0];
		for (i = 0; i < WAYS; i++) {
			if (!set[i].name[0] || set[i].whole <= now) {
				s = &set[i];
				break;
			}
			if (set[i].whole < s->whole)
				s = &set[i];
		}
		memcpy(s->name, key, sizeof(key));
		s->whole = now;
	}
	if (s->whole < now)
		s->whole = now;
	if (s->whole - now > r->span)
		return 0;		/* no ring left in this period */
	s->whole += r->step;
	return 1;
}
