/*
 * The invitation table.  Bounded work per request whatever its size:
 *  - three hash indexes: exact key (type, pid, l_name, r_name) for
 *    LEAVE_INVITE/ANNOUNCE re-sends, lookup key (l_name, r_name) of
 *    LEAVE_INVITE entries, newest first, for LOOK_UP, and id for DELETE;
 *  - a list in order of last touch, so expiry pops from its head;
 *  - entries grouped by source address (struct tsrc, with its own list in
 *    order of last touch) and sources by /24 (struct tnet); a max-heap of
 *    the /24s by entry count, and in each /24 a max-heap of its sources;
 *  - caps: a source at its cap (max_per_source) gives up its own least
 *    recently touched entry; a full table gives up the least recently
 *    touched entry of the source that holds the most in the /24 that holds
 *    the most, unless the requester's /24 is that large itself, in which
 *    case the biggest source of the requester's own /24 pays (the
 *    requester itself when it is that source).  So a request from a /24
 *    that holds fewer entries than some other always gets in, and an
 *    insert costs O(log n) heap steps, whatever the number of sources.
 *    Evicted entries are shown to the callback set with table_set_evict.
 * Ids are small, non-zero, increasing and unique among live entries, as
 * clients compare them to decide a re-announce (SPEC.md 2).
 */
#include <stdlib.h>
#include <string.h>

#include "talkd/talkd.h"

enum { H_EXACT = 0, H_LOOKUP = 1, H_ID = 2 };

/* A member of a max-heap by count; first member of tnet and tsrc. */
struct cnt {
	size_t count;
	size_t pos;			/* index in its heap */
};

struct heap {
	struct cnt **a;
	size_t n, cap;
};

struct tnet {				/* sources of one /24 */
	struct cnt c;			/* entries in the /24 */
	uint32_t prefix;		/* addr >> 8 */
	struct heap srcs;		/* its sources by count */
	struct tnet *next;		/* hash chain */
};

struct tsrc {				/* entries of one source address */
	struct cnt c;
	uint32_t addr;
	struct tnet *net;
	struct invite *old, *young;	/* its entries by last touch */
	struct tsrc *next;		/* hash chain */
};

struct table {
	struct table_limits lim;
	struct invite **h[3];
	size_t nbuckets;		/* power of two */
	struct tsrc **src;
	struct tnet **net;
	size_t nsrc;			/* buckets in src and net, power of 2 */
	struct heap nets;		/* /24s by count, room for max_entries */
	struct invite *lru_head, *lru_tail;
	size_t count;
	uint32_t next_id;
	void (*evict_fn)(void *, const struct invite *);
	void *evict_ctx;
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

/* The entry lists of one source, oldest touch first. */
static void
src_unlink(struct tsrc *s, struct invite *e)
{
	if (e->src_prev)
		e->src_prev->src_next = e->src_next;
	else
		s->old = e->src_next;
	if (e->src_next)
		e->src_next->src_prev = e->src_prev;
	else
		s->young = e->src_prev;
	e->src_next = e->src_prev = NULL;
}

static void
src_append(struct tsrc *s, struct invite *e)
{
	e->src_prev = s->young;
	e->src_next = NULL;
	if (s->young)
		s->young->src_next = e;
	else
		s->old = e;
	s->young = e;
}

static void
touch(struct table *t, struct invite *e, int64_t now)
{
	e->touched = now;
	lru_unlink(t, e);
	lru_append(t, e);
	src_unlink(e->src, e);
	src_append(e->src, e);
}

/* ---- max-heaps by count: O(log n) per change ---- */

static void
heap_set(struct heap *h, size_t i, struct cnt *c)
{
	h->a[i] = c;
	c->pos = i;
}

static void
heap_up(struct heap *h, size_t i)
{
	struct cnt *c = h->a[i];

	while (i > 0 && h->a[(i - 1) / 2]->count < c->count) {
		heap_set(h, i, h->a[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(h, i, c);
}

static void
heap_down(struct heap *h, size_t i)
{
	struct cnt *c = h->a[i];
	size_t k;

	while ((k = 2 * i + 1) < h->n) {
		if (k + 1 < h->n && h->a[k + 1]->count > h->a[k]->count)
			k++;
		if (h->a[k]->count <= c->count)
			break;
		heap_set(h, i, h->a[k]);
		i = k;
	}
	heap_set(h, i, c);
}

/* Make room for one more member; 0 or -1 (nothing changed). */
static int
heap_reserve(struct heap *h)
{
	struct cnt **a;
	size_t cap;

	if (h->n < h->cap)
		return 0;
	cap = h->cap ? h->cap * 2 : 4;
	if ((a = reallocarray(h->a, cap, sizeof(*a))) == NULL)
		return -1;
	h->a = a;
	h->cap = cap;
	return 0;
}

static void
heap_add(struct heap *h, struct cnt *c)
{
	heap_set(h, h->n++, c);
	heap_up(h, c->pos);
}

static void
heap_del(struct heap *h, struct cnt *c)
{
	size_t i = c->pos;

	if (i != --h->n) {
		heap_set(h, i, h->a[h->n]);
		heap_up(h, i);
		heap_down(h, h->a[i]->pos);
	}
}

static struct cnt *
heap_max(const struct heap *h)
{
	return h->n ? h->a[0] : NULL;
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
	if ((t->src = calloc(t->nsrc, sizeof(*t->src))) == NULL ||
	    (t->net = calloc(t->nsrc, sizeof(*t->net))) == NULL)
		goto fail;
	/* Every live /24 holds an entry: the heap never grows. */
	if ((t->nets.a = calloc(lim->max_entries, sizeof(*t->nets.a))) ==
	    NULL)
		goto fail;
	t->nets.cap = lim->max_entries;
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
	if (t->net)
		for (b = 0; b < t->nsrc; b++) {
			struct tnet *n, *nn;
			for (n = t->net[b]; n; n = nn) {
				nn = n->next;
				free(n->srcs.a);
				free(n);
			}
		}
	for (i = 0; i < 3; i++)
		free(t->h[i]);
	free(t->src);
	free(t->net);
	free(t->nets.a);
	free(t);
}

void
table_set_evict(struct table *t, void (*fn)(void *, const struct invite *),
    void *ctx)
{
	t->evict_fn = fn;
	t->evict_ctx = ctx;
}

static struct tsrc **
src_slot(struct table *t, uint32_t addr)
{
	struct tsrc **sp = &t->src[fnv(2166136261U, &addr, 4) & (t->nsrc - 1)];

	while (*sp && (*sp)->addr != addr)
		sp = &(*sp)->next;
	return sp;
}

static struct tnet **
net_slot(struct table *t, uint32_t prefix)
{
	struct tnet **np = &t->net[fnv(2166136261U, &prefix, 4) &
	    (t->nsrc - 1)];

	while (*np && (*np)->prefix != prefix)
		np = &(*np)->next;
	return np;
}

/*
 * The source record for addr, created (with its /24) when missing, with
 * room in its /24's heap for it; NULL on allocation failure, with nothing
 * changed.  A new source is linked but holds no entry yet.
 */
static struct tsrc *
src_get(struct table *t, uint32_t addr)
{
	struct tsrc **sp = src_slot(t, addr), *s = *sp;
	struct tnet **np, *n;

	if (s != NULL)
		return s;
	np = net_slot(t, addr >> 8);
	if ((n = *np) == NULL) {
		if ((n = calloc(1, sizeof(*n))) == NULL)
			return NULL;
		n->prefix = addr >> 8;
	}
	if (heap_reserve(&n->srcs) == -1 ||
	    (s = calloc(1, sizeof(*s))) == NULL) {
		if (*np == NULL) {
			free(n->srcs.a);
			free(n);
		}
		return NULL;
	}
	if (*np == NULL) {
		*np = n;
		heap_add(&t->nets, &n->c);	/* count 0: a leaf */
	}
	s->addr = addr;
	s->net = n;
	*sp = s;
	heap_add(&n->srcs, &s->c);
	return s;
}

/* One entry more (d = 1) or less (d = -1) for s; frees empty groups. */
static void
src_count(struct table *t, struct tsrc *s, int d)
{
	struct tnet *n = s->net;
	struct tsrc **sp;
	struct tnet **np;

	if (d > 0) {
		s->c.count++;
		n->c.count++;
		heap_up(&n->srcs, s->c.pos);
		heap_up(&t->nets, n->c.pos);
		return;
	}
	s->c.count--;
	n->c.count--;
	heap_down(&n->srcs, s->c.pos);
	heap_down(&t->nets, n->c.pos);
	if (s->c.count == 0) {
		heap_del(&n->srcs, &s->c);
		sp = src_slot(t, s->addr);
		*sp = s->next;
		free(s);
	}
	if (n->c.count == 0) {
		heap_del(&t->nets, &n->c);
		np = net_slot(t, n->prefix);
		*np = n->next;
		free(n->srcs.a);
		free(n);
	}
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

/*
 * The source that pays for one more entry from addr when the table is
 * full (see the top of this file).
 */
static struct tsrc *
victim(struct table *t, uint32_t addr)
{
	struct tsrc *me = *src_slot(t, addr), *big;
	struct tnet *mine = *net_slot(t, addr >> 8);
	struct tnet *n = (struct tnet *)heap_max(&t->nets);

	if (mine && mine->c.count >= n->c.count)
		n = mine;		/* as large as any: pay within it */
	big = (struct tsrc *)heap_max(&n->srcs);
	if (n == mine && me && me->c.count >= big->c.count)
		return me;
	return big;
}

static void
evict(struct table *t, struct tsrc *s)
{
	struct invite *e = s->old;

	if (t->evict_fn)
		t->evict_fn(t->evict_ctx, e);
	table_remove(t, e);
}

struct invite *
table_insert(struct table *t, const struct invite *proto, int64_t now)
{
	struct tsrc *s = *src_slot(t, proto->src_addr);
	struct invite *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if (s && s->c.count >= t->lim.max_per_source)
		evict(t, s);
	else if (t->count >= t->lim.max_entries)
		evict(t, victim(t, proto->src_addr));
	if ((s = src_get(t, proto->src_addr)) == NULL) {
		free(e);
		return NULL;
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
	src_count(t, s, 1);
	h_link(t, H_EXACT, e);
	if (e->type == LEAVE_INVITE)
		h_link(t, H_LOOKUP, e);
	h_link(t, H_ID, e);
	lru_append(t, e);
	src_append(s, e);
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
	int i;

	for (i = 0; i < 3; i++)
		h_unlink(e, i);
	lru_unlink(t, e);
	src_unlink(e->src, e);
	src_count(t, e->src, -1);
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

size_t
table_count_src(const struct table *t, uint32_t addr)
{
	struct tsrc *s = *src_slot((struct table *)(uintptr_t)t, addr);

	return s ? s->c.count : 0;
}

size_t
table_count_net(const struct table *t, uint32_t addr)
{
	struct tnet *n = *net_slot((struct table *)(uintptr_t)t, addr >> 8);

	return n ? n->c.count : 0;
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
