/*
 * The invitation table.  Constant work per request whatever its size:
 *  - three hash indexes: exact key (type, pid, l_name, r_name) for
 *    LEAVE_INVITE/ANNOUNCE re-sends, lookup key (l_name, r_name) of
 *    LEAVE_INVITE entries, newest first, for LOOK_UP, and id for DELETE;
 *  - a list in order of last touch, so expiry pops from its head;
 *  - a global cap and a per-source-address cap: when either is reached a
 *    new entry is refused and nothing stored is lost.
 * Ids are small, non-zero, increasing and unique among live entries, as
 * clients compare them to decide a re-announce (SPEC.md 2).
 */
#include <stdlib.h>
#include <string.h>

#include "talkd/talkd.h"

enum { H_EXACT = 0, H_LOOKUP = 1, H_ID = 2 };

struct tsrc {				/* entries per source address */
	uint32_t addr;
	size_t count;
	struct tsrc *next;
};

struct table {
	struct table_limits lim;
	struct invite **h[3];
	size_t nbuckets;		/* power of two */
	struct tsrc **src;
	size_t nsrc;			/* buckets in src, power of two */
	struct invite *lru_head, *lru_tail;
	size_t count;
	uint32_t next_id;
};

#define ID_MAX 0x7fffffffU

static uint32_t
fnv(uint32_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--) {
		h ^= *c++;
		h *= 16777619U;
	}
	return h;
}

static uint32_t
hash_names(uint32_t h, const char *l, const char *r)
{
	h = fnv(h, l, strlen(l) + 1);
	return fnv(h, r, strlen(r) + 1);
}

static size_t
bucket(const struct table *t, int which, const struct invite *e)
{
	uint32_t h = 2166136261U;

	switch (which) {
	case H_EXACT:
		h = fnv(h, &e->type, 1);
		h = fnv(h, &e->pid, sizeof(e->pid));
		h = hash_names(h, e->l_name, e->r_name);
		break;
	case H_LOOKUP:
		h = hash_names(h, e->l_name, e->r_name);
		break;
	default:
		h = fnv(h, &e->id, sizeof(e->id));
		break;
	}
	return h & (t->nbuckets - 1);
}

static void
h_link(struct table *t, int which, struct invite *e)
{
	struct invite **head = &t->h[which][bucket(t, which, e)];

	e->h_next[which] = *head;
	if (*head)
		(*head)->h_pprev[which] = &e->h_next[which];
	*head = e;
	e->h_pprev[which] = head;
}

static void
h_unlink(struct invite *e, int which)
{
	if (!e->h_pprev[which])
		return;
	*e->h_pprev[which] = e->h_next[which];
	if (e->h_next[which])
		e->h_next[which]->h_pprev[which] = e->h_pprev[which];
	e->h_next[which] = NULL;
	e->h_pprev[which] = NULL;
}

static void
lru_unlink(struct table *t, struct invite *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		t->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		t->lru_tail = e->lru_prev;
	e->lru_next = e->lru_prev = NULL;
}

static void
lru_append(struct table *t, struct invite *e)
{
	e->lru_prev = t->lru_tail;
	e->lru_next = NULL;
	if (t->lru_tail)
		t->lru_tail->lru_next = e;
	else
		t->lru_head = e;
	t->lru_tail = e;
}

static void
touch(struct table *t, struct invite *e, int64_t now)
{
	e->touched = now;
	lru_unlink(t, e);
	lru_append(t, e);
}

static size_t
pow2_at_least(size_t n)
{
	size_t p = 16;

	while (p < n && p < ((size_t)1 << 30))
		p <<= 1;
	return p;
}

struct table *
table_new(const struct table_limits *lim)
{
	struct table *t;
	int i;

	if (lim->max_entries == 0 || lim->max_per_source == 0)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->lim = *lim;
	t->nbuckets = pow2_at_least(lim->max_entries);
	t->nsrc = t->nbuckets;
	for (i = 0; i < 3; i++)
		if ((t->h[i] = calloc(t->nbuckets, sizeof(*t->h[i]))) == NULL)
			goto fail;
	if ((t->src = calloc(t->nsrc, sizeof(*t->src))) == NULL)
		goto fail;
	t->next_id = 1;
	return t;
fail:
	table_free(t);
	return NULL;
}

void
table_free(struct table *t)
{
	struct invite *e, *next;
	size_t b;
	int i;

	if (!t)
		return;
	for (e = t->lru_head; e; e = next) {
		next = e->lru_next;
		free(e);
	}
	if (t->src)
		for (b = 0; b < t->nsrc; b++) {
			struct tsrc *s, *sn;
			for (s = t->src[b]; s; s = sn) {
				sn = s->next;
				free(s);
			}
		}
	for (i = 0; i < 3; i++)
		free(t->h[i]);
	free(t->src);
	free(t);
}

static struct tsrc **
src_slot(struct table *t, uint32_t addr)
{
	struct tsrc **sp = &t->src[fnv(2166136261U, &addr, 4) & (t->nsrc - 1)];

	while (*sp && (*sp)->addr != addr)
		sp = &(*sp)->next;
	return sp;
}

struct invite *
table_find(struct table *t, uint8_t type, int32_t pid, const char *l_name,
    const char *r_name, int64_t now)
{
	struct invite key, *e;

	memset(&key, 0, sizeof(key));
	key.type = type;
	key.pid = pid;
	memcpy(key.l_name, l_name, strnlen(l_name, NAME_SIZE));
	memcpy(key.r_name, r_name, strnlen(r_name, NAME_SIZE));
	for (e = t->h[H_EXACT][bucket(t, H_EXACT, &key)]; e;
	    e = e->h_next[H_EXACT])
		if (e->type == type && e->pid == pid &&
		    strcmp(e->l_name, key.l_name) == 0 &&
		    strcmp(e->r_name, key.r_name) == 0) {
			touch(t, e, now);
			return e;
		}
	return NULL;
}

struct invite *
table_lookup(struct table *t, const char *asker, const char *inviter)
{
	struct invite key, *e;

	/* The invitation was left by the inviter (l_name) for the asker. */
	memset(&key, 0, sizeof(key));
	memcpy(key.l_name, inviter, strnlen(inviter, NAME_SIZE));
	memcpy(key.r_name, asker, strnlen(asker, NAME_SIZE));
	for (e = t->h[H_LOOKUP][bucket(t, H_LOOKUP, &key)]; e;
	    e = e->h_next[H_LOOKUP])
		if (strcmp(e->l_name, key.l_name) == 0 &&
		    strcmp(e->r_name, key.r_name) == 0)
			return e;	/* newest first: inserted at head */
	return NULL;
}

struct invite *
table_by_id(struct table *t, uint32_t id)
{
	struct invite key, *e;

	key.id = id;
	for (e = t->h[H_ID][bucket(t, H_ID, &key)]; e; e = e->h_next[H_ID])
		if (e->id == id)
			return e;
	return NULL;
}

/* The next id not in use: small, increasing, never 0, wrapping at ID_MAX. */
static uint32_t
new_id(struct table *t)
{
	uint32_t id;

	do {
		id = t->next_id;
		t->next_id = id >= ID_MAX ? 1 : id + 1;
	} while (table_by_id(t, id) != NULL);
	return id;
}

struct invite *
table_insert(struct table *t, const struct invite *proto, int64_t now)
{
	struct tsrc **sp, *s;
	struct invite *e;

	if (t->count >= t->lim.max_entries)
		return NULL;
	sp = src_slot(t, proto->src_addr);
	if (*sp && (*sp)->count >= t->lim.max_per_source)
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if ((s = *sp) == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL) {
			free(e);
			return NULL;
		}
		s->addr = proto->src_addr;
		*sp = s;
	}
	e->type = proto->type;
	e->pid = proto->pid;
	memcpy(e->l_name, proto->l_name, sizeof(e->l_name));
	memcpy(e->r_name, proto->r_name, sizeof(e->r_name));
	memcpy(e->r_tty, proto->r_tty, sizeof(e->r_tty));
	e->l_name[NAME_SIZE] = e->r_name[NAME_SIZE] = e->r_tty[TTY_SIZE] = '\0';
	e->addr = proto->addr;
	e->src_addr = proto->src_addr;
	e->src = s;
	e->id = new_id(t);
	e->touched = now;
	s->count++;
	h_link(t, H_EXACT, e);
	if (e->type == LEAVE_INVITE)
		h_link(t, H_LOOKUP, e);
	h_link(t, H_ID, e);
	lru_append(t, e);
	t->count++;
	return e;
}

void
table_renew(struct table *t, struct invite *e, int64_t now)
{
	h_unlink(e, H_ID);
	e->id = new_id(t);
	h_link(t, H_ID, e);
	touch(t, e, now);
}

void
table_remove(struct table *t, struct invite *e)
{
	struct tsrc **sp;
	int i;

	for (i = 0; i < 3; i++)
		h_unlink(e, i);
	lru_unlink(t, e);
	if (--e->src->count == 0) {
		sp = src_slot(t, e->src->addr);
		*sp = e->src->next;
		free(e->src);
	}
	t->count--;
	free(e);
}

size_t
table_expire(struct table *t, int64_t now,
    void (*fn)(void *, const struct invite *), void *ctx)
{
	size_t n = 0;

	while (t->lru_head && now - t->lru_head->touched > t->lim.ttl_ms) {
		if (fn)
			fn(ctx, t->lru_head);
		table_remove(t, t->lru_head);
		n++;
	}
	return n;
}

size_t
table_count(const struct table *t)
{
	return t->count;
}

int64_t
table_next_expiry(const struct table *t, int64_t now)
{
	int64_t left;

	if (!t->lru_head)
		return -1;
	left = t->lru_head->touched + t->lim.ttl_ms + 1 - now;
	return left < 0 ? 0 : left;
}
