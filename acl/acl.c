/*
 * libacl: the rule model, rule compilation and rendering, the evaluator
 * with its trace, and the policy accessors.
 *
 * Cost of a decision.  Every rule set is indexed once it is parsed or
 * loaded from the cache (acl_set_index; the index is not in the cache
 * file): each literal name (YAML users:) hashes to the ascending list of
 * the rules that name it, and the other rules (patterns, any-user) are
 * listed apart.  acl_decide takes the last literal rule for the name whose
 * networks match, then tries the other rules from the end down to it; the
 * first that matches is the last match of the whole set.  So a decision
 * costs one hash look-up plus the rules naming that user plus the pattern
 * rules that come after the winner: with 100,000 literal rules it is
 * about as cheap as with ten.  The trace (talkctl simulate) still tries
 * every rule in order, since it reports them all.
 *
 * Bounded cost.  The pattern rules a decision tries share one budget of
 * match work (ACL_BUDGET, acl.h; acl_re_run charges every try what it may
 * cost).  A rule that cannot be decided within what remains makes the
 * whole decision a denial (ACL_R_BUDGET) naming that rule -- never an
 * allow, whatever its action: a rule not decided could have been the last
 * match.  The rules before the winner are never tried, so they cost
 * nothing; the outcome is the same as trying them all when the budget
 * suffices.  The trace reaches its verdict the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_int.h"

#define DEPTH_LIMIT	1000		/* pcre2 backtracking frames */
#define HEAP_LIMIT	4096		/* KiB of them */

static void vfill(struct acl_err *, const char *, unsigned, unsigned,
    const char *, va_list) __attribute__((format(printf, 5, 0)));

static void
vfill(struct acl_err *e, const char *file, unsigned line, unsigned col,
    const char *fmt, va_list ap)
{
	int n;

	memset(e, 0, sizeof *e);
	n = snprintf(e->file, sizeof e->file, "%s", file ? file : "");
	if (n < 0)
		e->file[0] = '\0';
	e->line = line;
	e->col = col;
	n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	if (n < 0)
		e->msg[0] = '\0';
	/* a message cut at sizeof msg is still a useful message */
}

void
acl_err_set(struct acl_err *e, const char *file, unsigned line, unsigned col,
    const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	vfill(e, file, line, col, fmt, ap);
	va_end(ap);
}

void
acl_errf(struct acl_errs *es, const char *file, unsigned line, unsigned col,
    const char *fmt, ...)
{
	struct acl_err e;
	va_list ap;

	es->n++;
	if (es->n > ACL_MAX_ERRS)
		return;
	va_start(ap, fmt);
	vfill(&e, file, line, col, fmt, ap);
	va_end(ap);
	if (es->n == 1 && es->first != NULL)
		*es->first = e;
	if (es->fn != NULL)
		es->fn(es->ctx, &e);
}

char *
acl_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *
acl_strdup(const char *s)
{
	return acl_strndup(s, strlen(s));
}

struct acl *
acl_new(const char *file)
{
	struct acl *a = calloc(1, sizeof *a);

	if (a == NULL)
		return NULL;
	a->forced = -1;
	a->file = acl_strdup(file ? file : "");
	a->site.file = acl_strdup(file ? file : "");
	if (a->file == NULL || a->site.file == NULL) {
		acl_free(a);
		return NULL;
	}
	return a;
}

struct acl_rule *
acl_set_add(struct acl_set *s)
{
	struct acl_rule *r;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;

		r = reallocarray(s->rules, cap, sizeof *r);
		if (r == NULL)
			return NULL;
		s->rules = r;
		s->cap = cap;
	}
	r = &s->rules[s->n++];
	memset(r, 0, sizeof *r);
	r->ref.file = s->file;
	return r;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
rule_free(struct acl_rule *r)
{
	free(r->id);
	free(r->text);
	free(r->pat);
	pcre2_match_data_free(r->md);
	pcre2_match_context_free(r->mc);
	pcre2_code_free(r->re);
	strv_free(r->names, r->nnames);
	strv_free(r->from, r->nfrom);
	free(r->nets);
}

void
acl_set_free(struct acl_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		rule_free(&s->rules[i]);
	free(s->rules);
	free(s->lits);
	free(s->slots);
	free(s->other);
	free(s->file);
	memset(s, 0, sizeof *s);
}

void
acl_free(struct acl *a)
{
	size_t i;

	if (a == NULL)
		return;
	acl_set_free(&a->site);
	for (i = 0; i < a->nnets; i++) {
		free(a->nets[i].name);
		free(a->nets[i].nets);
	}
	free(a->nets);
	for (i = 0; i < a->nusers; i++) {
		free(a->users[i].user);
		acl_set_free(&a->users[i].set);
	}
	free(a->users);
	for (i = 0; i < a->ntrcs; i++) {
		free(a->trcs[i].user);
		acl_free(a->trcs[i].rc);
	}
	free(a->trcs);
	for (i = 0; i < a->ntests; i++) {
		free(a->tests[i].caller);
		free(a->tests[i].callee);
	}
	free(a->tests);
	free(a->file);
	free(a);
}

/*
 * Compile r->pat for BRE and PCRE rules and set up matching.  On error
 * returns -1 with msg and *erroff (an offset into r->pat).
 */
int
acl_rule_compile(struct acl_rule *r, char *msg, size_t msgsz, size_t *erroff)
{
	int ec;
	PCRE2_SIZE eo;
	PCRE2_UCHAR buf[160];

	*erroff = 0;
	if (r->kind == ACL_K_BRE) {
		if (acl_bre_compile(r->pat, &r->re, erroff, msg, msgsz) < 0)
			return -1;
	} else if (r->kind == ACL_K_PCRE) {
		if (strlen(r->pat) > ACL_PAT_MAX) {
			*erroff = ACL_PAT_MAX;
			if (snprintf(msg, msgsz, "pattern too long (at most "
			    "%u bytes)", ACL_PAT_MAX) < 0 && msgsz > 0)
				msg[0] = '\0';
			return -1;
		}
		r->re = pcre2_compile((PCRE2_SPTR)r->pat,
		    PCRE2_ZERO_TERMINATED, PCRE2_NEVER_UTF | PCRE2_NEVER_UCP,
		    &ec, &eo, NULL);
		if (r->re == NULL) {
			*erroff = eo;
			if (pcre2_get_error_message(ec, buf, sizeof buf) < 0)
				buf[0] = '\0';
			if (snprintf(msg, msgsz, "regular expression: %s",
			    (const char *)buf) < 0 && msgsz > 0)
				msg[0] = '\0';
			return -1;
		}
	} else
		return 0;
	r->md = pcre2_match_data_create(1, NULL);
	r->mc = pcre2_match_context_create(NULL);
	if (r->md == NULL || r->mc == NULL) {
		if (snprintf(msg, msgsz, "out of memory") < 0 && msgsz > 0)
			msg[0] = '\0';
		return -1;
	}
	r->dfa = r->kind == ACL_K_BRE && acl_bre_dfa(r->re);
	pcre2_set_depth_limit(r->mc, DEPTH_LIMIT);
	pcre2_set_heap_limit(r->mc, HEAP_LIMIT);
	return 0;
}

/* ---- rendering a rule as one line ---------------------------------------- */

struct sbuf {
	char *p;
	size_t n, cap;
	int oom;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap * 2 + n + 32;
		char *p = realloc(b->p, cap);

		if (p == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* A legacy token, quoted when it would not read back as one token. */
static void
sb_token(struct sbuf *b, const char *s)
{
	int plain = s[0] != '\0' && s[0] != '#' &&
	    strpbrk(s, " \t\"'\r\n") == NULL;

	if (plain)
		sb_str(b, s);
	else if (strchr(s, '"') == NULL) {
		sb_str(b, "\"");
		sb_str(b, s);
		sb_str(b, "\"");
	} else {
		sb_str(b, "'");
		sb_str(b, s);
		sb_str(b, "'");
	}
}

/*
 * r->text: "allow ^adm- 10.0.0.0/8" for legacy-style rules; YAML rules show
 * "users=thor,sif", "match=/re/" or "any-user" in the user position.
 */
int
acl_rule_render(struct acl_rule *r)
{
	struct sbuf b = { NULL, 0, 0, 0 };
	size_t i;

	sb_str(&b, r->ref.action == ACL_ALLOW ? "allow " : "deny ");
	switch (r->kind) {
	case ACL_K_ANY:
		sb_str(&b, "any-user");
		break;
	case ACL_K_BRE:
		sb_token(&b, r->pat);
		break;
	case ACL_K_PCRE:
		sb_str(&b, "match=/");
		sb_str(&b, r->pat);
		sb_str(&b, "/");
		break;
	case ACL_K_LIT:
		sb_str(&b, "users=");
		for (i = 0; i < r->nnames; i++) {
			if (i > 0)
				sb_str(&b, ",");
			sb_str(&b, r->names[i]);
		}
		break;
	}
	for (i = 0; i < r->nfrom; i++) {
		sb_str(&b, " ");
		sb_token(&b, r->from[i]);
	}
	if (b.oom) {
		free(b.p);
		return -1;
	}
	free(r->text);
	r->text = b.p;
	r->ref.text = r->text;
	r->ref.id = r->id;
	return 0;
}

/* ---- literal index --------------------------------------------------------- */

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort and de-duplicate a name list in place. */
int
acl_names_sort(char **names, size_t *n)
{
	size_t i, j;

	if (*n == 0)
		return 0;
	qsort(names, *n, sizeof *names, strp_cmp);
	for (i = 1, j = 1; i < *n; i++) {
		if (strcmp(names[i], names[j - 1]) == 0)
			free(names[i]);
		else
			names[j++] = names[i];
	}
	*n = j;
	return 0;
}

static int
lit_cmp(const void *a, const void *b)
{
	const struct acl_lit *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* FNV-1a: cheap, and names are short. */
static uint32_t
name_hash(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

/* The hash slot of name (nslots > 0): its run in lits, or an empty slot. */
static size_t
lit_slot(const struct acl_set *s, const char *name, uint32_t h)
{
	const struct acl_lslot *e;
	size_t i;

	for (i = h & (s->nslots - 1);; i = (i + 1) & (s->nslots - 1)) {
		e = &s->slots[i];
		if (e->n == 0 || (e->hash == h &&
		    strcmp(s->lits[e->lo].name, name) == 0))
			return i;
	}
}

/* Hash every run of lits (one per distinct name) at most half full. */
static int
lit_hash(struct acl_set *s)
{
	struct acl_lslot *e;
	size_t i, j, ns = 8;
	uint32_t h;

	while (ns < 2 * s->nlits)
		ns *= 2;
	if ((s->slots = calloc(ns, sizeof *s->slots)) == NULL)
		return -1;
	s->nslots = ns;
	for (i = 0; i < s->nlits; i = j) {
		for (j = i + 1; j < s->nlits &&
		    strcmp(s->lits[j].name, s->lits[i].name) == 0; j++)
			;
		h = name_hash(s->lits[i].name);
		e = &s->slots[lit_slot(s, s->lits[i].name, h)];
		e->hash = h;
		e->n = (uint32_t)(j - i);
		e->lo = i;
	}
	return 0;
}

/*
 * Build the set's index: name -> rules (ascending) sorted and hashed, and
 * the list of rules that are not literal.  Memory: one entry per literal
 * name of each rule, fewer than four hash slots per entry, one per other
 * rule.
 */
int
acl_set_index(struct acl_set *s)
{
	size_t i, j, n = 0, no = 0;
	struct acl_lit *l;

	free(s->lits);
	free(s->slots);
	free(s->other);
	s->lits = NULL;
	s->slots = NULL;
	s->other = NULL;
	s->nlits = s->nslots = s->nother = s->nindexed = 0;
	for (i = 0; i < s->n; i++)
		if (s->rules[i].kind == ACL_K_LIT)
			n += s->rules[i].nnames;
		else
			no++;
	if (n > UINT32_MAX)
		return -1;
	if (no > 0 && (s->other = calloc(no, sizeof *s->other)) == NULL)
		return -1;
	for (i = 0; i < s->n; i++)
		if (s->rules[i].kind != ACL_K_LIT)
			s->other[s->nother++] = i;
	if (n > 0) {
		if ((l = calloc(n, sizeof *l)) == NULL)
			return -1;
		for (i = 0, n = 0; i < s->n; i++)
			if (s->rules[i].kind == ACL_K_LIT)
				for (j = 0; j < s->rules[i].nnames; j++) {
					l[n].name = s->rules[i].names[j];
					l[n++].rule = i;
				}
		qsort(l, n, sizeof *l, lit_cmp);
		s->lits = l;
		s->nlits = n;
		if (lit_hash(s) < 0)
			return -1;
	}
	s->nindexed = s->n;
	return 0;
}

/* First index entry for name, and one past the last. */
static void
lit_range(const struct acl_set *s, const char *name, size_t *lo, size_t *hi)
{
	size_t a = 0, b = s->nlits, m;

	while (a < b) {
		m = a + (b - a) / 2;
		if (strcmp(s->lits[m].name, name) < 0)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	for (b = a; b < s->nlits && strcmp(s->lits[b].name, name) == 0; b++)
		;
	*hi = b;
}

/* ---- deny-all sets ------------------------------------------------------------ */

/* Replace a's rules by one rule that denies every caller from anywhere. */
int
acl_set_deny_all(struct acl *a, enum acl_reason why)
{
	struct acl_rule *r;
	char *file = a->site.file;

	a->site.file = NULL;
	acl_set_free(&a->site);
	a->site.file = file;
	a->forced = (int)why;
	r = acl_set_add(&a->site);
	if (r == NULL)
		return -1;
	r->ref.action = ACL_DENY;
	r->kind = ACL_K_ANY;
	return acl_rule_render(r);
}

/* ---- evaluation ------------------------------------------------------------------ */

static int
net_match(const struct acl_rule *r, uint32_t addr)
{
	size_t i;

	if (r->nnets == 0)
		return r->nfrom == 0;
	for (i = 0; i < r->nnets; i++)
		if ((addr & r->nets[i].mask) == r->nets[i].addr)
			return 1;
	return 0;
}

/*
 * Match work left for a decision (ACL_BUDGET units, see acl.h), and the
 * rule that could not be decided within it.
 */
struct budget {
	unsigned long left;
	const struct acl_rule *stop;
};

/*
 * Whether rule r's user condition matches name (len bytes): 1 or 0, or -1
 * when its pattern cannot be decided within the budget (b->stop is set).
 */
static int
user_match(const struct acl_set *s, const struct acl_rule *r, size_t i,
    const char *name, size_t len, size_t *lo, size_t hi, struct budget *b)
{
	int rc;

	switch (r->kind) {
	case ACL_K_ANY:
		return 1;
	case ACL_K_LIT:
		while (*lo < hi && s->lits[*lo].rule < i)
			(*lo)++;
		return *lo < hi && s->lits[*lo].rule == i;
	default:
		rc = acl_re_run(r->re, r->md, r->mc, r->dfa, name, len,
		    &b->left);
		if (rc < 0)
			b->stop = r;
		return rc;
	}
}

/*
 * The listing of the trace: every rule is tried in order and each one that
 * matches is reported, within a budget of its own; it stops where that
 * runs out.  Literal rules cost no string comparison, only a walk of the
 * name's index entries.  Also the decision of a set changed since it was
 * indexed (fn NULL): the last match, or NULL with b->stop set.
 */
static const struct acl_rule *
set_trace(const struct acl_set *s, const char *name, uint32_t addr,
    int user_set, acl_trace_fn *fn, void *ctx, struct budget *b)
{
	const struct acl_rule *last = NULL, *r;
	size_t i, lo, hi, len = strlen(name);

	lit_range(s, name, &lo, &hi);
	for (i = 0; i < s->n && b->stop == NULL; i++) {
		r = &s->rules[i];
		if (!net_match(r, addr) ||
		    user_match(s, r, i, name, len, &lo, hi, b) <= 0)
			continue;
		last = r;
		if (fn != NULL)
			fn(ctx, user_set, &r->ref);
	}
	return b->stop == NULL ? last : NULL;
}

/*
 * The decision, without trying every rule: the last literal rule for name
 * whose networks match (its run of the index, read from the end), then
 * the non-literal rules from the end down to that one, the first that
 * matches winning.  Cost: one hash look-up, plus the name's own rules and
 * the pattern rules after the winner, whatever the number of literal
 * rules naming other users.  A pattern rule that cannot be decided within
 * the budget leaves b->stop set and the set undecided (NULL): the caller
 * denies.
 */
static const struct acl_rule *
set_last(const struct acl_set *s, const char *name, uint32_t addr,
    struct budget *b)
{
	const struct acl_lslot *e;
	const struct acl_rule *best = NULL, *r;
	size_t i, k, floor = 0, len, lo = 0, hi = 0;
	int m;

	if (s->nindexed != s->n)
		return set_trace(s, name, addr, 0, NULL, NULL, b);
	if (s->nslots > 0) {
		e = &s->slots[lit_slot(s, name, name_hash(name))];
		for (k = e->lo + e->n; k > e->lo; k--) {
			r = &s->rules[s->lits[k - 1].rule];
			if (net_match(r, addr)) {
				best = r;
				floor = s->lits[k - 1].rule + 1;
				break;
			}
		}
	}
	len = strlen(name);
	for (k = s->nother; k > 0 && s->other[k - 1] >= floor; k--) {
		i = s->other[k - 1];
		r = &s->rules[i];
		if (!net_match(r, addr))
			continue;
		m = user_match(s, r, i, name, len, &lo, hi, b);
		if (m < 0)
			return NULL;
		if (m > 0)
			return r;
	}
	return best;
}

static int
uset_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct acl_uset *)elem)->user);
}

const struct acl_set *
acl_user_set(const struct acl *policy, const char *user)
{
	const struct acl_uset *u;

	if (policy == NULL || policy->nusers == 0)
		return NULL;
	u = bsearch(user, policy->users, policy->nusers, sizeof *u, uset_cmp);
	return u ? &u->set : NULL;
}

void
acl_decide_trace(const struct acl *policy, const struct acl *talkrc,
    const struct acl_query *q, struct acl_verdict *v, acl_trace_fn *fn,
    void *ctx)
{
	const char *callee = q->callee ? q->callee : "";
	const char *caller = q->caller ? q->caller : "";
	const struct acl_rule *site = NULL, *user = NULL, *r;
	const struct acl_set *us = acl_user_set(policy, callee);
	struct budget b = { ACL_BUDGET, NULL }, lb = { ACL_BUDGET, NULL };
	int strict = q->strict || (policy != NULL && policy->strict);
	int site_allow, user_allow, forced = 0;

	if (fn != NULL) {		/* the listing, on its own budget */
		if (policy != NULL)
			(void)set_trace(&policy->site, callee, q->addr, 0, fn,
			    ctx, &lb);
		if (us != NULL)
			(void)set_trace(us, caller, q->addr, 1, fn, ctx, &lb);
		if (talkrc != NULL)
			(void)set_trace(&talkrc->site, caller, q->addr, 1, fn,
			    ctx, &lb);
	}
	if (policy != NULL)
		site = set_last(&policy->site, callee, q->addr, &b);
	site_allow = site ? site->ref.action == ACL_ALLOW : !strict;
	if (b.stop == NULL && us != NULL)
		user = set_last(us, caller, q->addr, &b);
	if (b.stop == NULL && talkrc != NULL) {
		r = set_last(&talkrc->site, caller, q->addr, &b);
		if (r != NULL) {
			user = r;
			forced = talkrc->forced >= 0;
		}
	}
	user_allow = user ? user->ref.action == ACL_ALLOW : 1;
	v->site = site ? &site->ref : NULL;
	v->user = user ? &user->ref : NULL;
	v->stop = NULL;
	if (b.stop != NULL) {
		v->allow = 0;
		v->reason = ACL_R_BUDGET;
		v->stop = &b.stop->ref;
	} else if (site_allow) {
		v->allow = user_allow;
		v->reason = user_allow ? ACL_R_SITE_ALLOW :
		    forced ? (enum acl_reason)talkrc->forced : ACL_R_USER_DENY;
	} else if (strict) {
		v->allow = 0;
		v->reason = ACL_R_STRICT_DENY;
	} else if (user != NULL && user->ref.action == ACL_ALLOW) {
		v->allow = 1;
		v->reason = ACL_R_USER_OVERRIDE;
	} else {
		v->allow = 0;
		v->reason = forced ? (enum acl_reason)talkrc->forced :
		    ACL_R_SITE_DENY;
	}
}

void
acl_decide(const struct acl *policy, const struct acl *talkrc,
    const struct acl_query *q, struct acl_verdict *v)
{
	acl_decide_trace(policy, talkrc, q, v, NULL, NULL);
}

const char *
acl_reason_str(enum acl_reason r)
{
	switch (r) {
	case ACL_R_SITE_ALLOW: return "site-allow";
	case ACL_R_USER_DENY: return "user-deny";
	case ACL_R_USER_OVERRIDE: return "user-override";
	case ACL_R_SITE_DENY: return "site-deny";
	case ACL_R_STRICT_DENY: return "strict-deny";
	case ACL_R_INSECURE_TALKRC: return "insecure-talkrc";
	case ACL_R_BAD_TALKRC: return "bad-talkrc";
	case ACL_R_UNREADABLE_TALKRC: return "unreadable-talkrc";
	case ACL_R_BUDGET: return "budget-exceeded";
	}
	return "unknown";
}

/* ---- policy ------------------------------------------------------------------------ */

int
acl_policy_new(struct acl **out, struct acl_err *err)
{
	*out = acl_new("");
	if (*out == NULL) {
		acl_err_set(err, "", 0, 0, "out of memory");
		return -1;
	}
	return 0;
}

void
acl_policy_set_strict(struct acl *policy, int strict)
{
	policy->strict = strict != 0;
}

int
acl_policy_strict(const struct acl *policy)
{
	return policy != NULL && policy->strict;
}

static int
trc_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct acl_trc *)elem)->user);
}

int
acl_policy_add_talkrc(struct acl *policy, const char *user,
    struct acl *talkrc, const struct acl_stamp *stamp, struct acl_err *err)
{
	struct acl_trc *t;
	size_t i;

	if (talkrc == NULL || talkrc->nnets > 0 || talkrc->nusers > 0 ||
	    talkrc->ntrcs > 0 || talkrc->ntests > 0) {
		acl_err_set(err, policy->file, 0, 0, "a ~/.talkrc copy for "
		    "user \"%s\" must be a plain rule set (a legacy file)",
		    user);
		acl_free(talkrc);
		return -1;
	}
	for (i = 0; i < policy->ntrcs; i++)
		if (strcmp(policy->trcs[i].user, user) >= 0)
			break;
	if (i < policy->ntrcs && strcmp(policy->trcs[i].user, user) == 0) {
		acl_err_set(err, policy->file, 0, 0, "a ~/.talkrc copy for "
		    "user \"%s\" is already in the policy", user);
		acl_free(talkrc);
		return -1;
	}
	t = reallocarray(policy->trcs, policy->ntrcs + 1, sizeof *t);
	if (t == NULL) {
		acl_err_set(err, policy->file, 0, 0, "out of memory");
		acl_free(talkrc);
		return -1;
	}
	policy->trcs = t;
	memmove(t + i + 1, t + i, (policy->ntrcs - i) * sizeof *t);
	memset(&t[i], 0, sizeof t[i]);
	t[i].user = acl_strdup(user);
	if (t[i].user == NULL) {
		memmove(t + i, t + i + 1, (policy->ntrcs - i) * sizeof *t);
		acl_err_set(err, policy->file, 0, 0, "out of memory");
		acl_free(talkrc);
		return -1;
	}
	if (stamp != NULL)
		t[i].stamp = *stamp;
	t[i].rc = talkrc;
	policy->ntrcs++;
	return 0;
}

const struct acl *
acl_policy_talkrc(const struct acl *policy, const char *user,
    struct acl_stamp *stamp)
{
	const struct acl_trc *t;

	if (policy == NULL || policy->ntrcs == 0 || user == NULL)
		return NULL;
	t = bsearch(user, policy->trcs, policy->ntrcs, sizeof *t, trc_cmp);
	if (t == NULL)
		return NULL;
	if (stamp != NULL)
		*stamp = t->stamp;
	return t->rc;
}

static int
uset_sort(const void *a, const void *b)
{
	return strcmp(((const struct acl_uset *)a)->user,
	    ((const struct acl_uset *)b)->user);
}

static int
trc_sort(const void *a, const void *b)
{
	return strcmp(((const struct acl_trc *)a)->user,
	    ((const struct acl_trc *)b)->user);
}

/* Sort the per-user tables, reject duplicates, build literal indexes. */
int
acl_policy_finish(struct acl *a, char *msg, size_t msgsz)
{
	size_t i;

	if (a->nusers > 1)
		qsort(a->users, a->nusers, sizeof *a->users, uset_sort);
	if (a->ntrcs > 1)
		qsort(a->trcs, a->ntrcs, sizeof *a->trcs, trc_sort);
	for (i = 1; i < a->nusers; i++)
		if (strcmp(a->users[i - 1].user, a->users[i].user) == 0)
			goto dup;
	for (i = 1; i < a->ntrcs; i++)
		if (strcmp(a->trcs[i - 1].user, a->trcs[i].user) == 0)
			goto dup;
	if (acl_set_index(&a->site) < 0)
		goto oom;
	for (i = 0; i < a->nusers; i++)
		if (acl_set_index(&a->users[i].set) < 0)
			goto oom;
	for (i = 0; i < a->ntrcs; i++)
		if (acl_set_index(&a->trcs[i].rc->site) < 0)
			goto oom;
	return 0;
dup:
	if (snprintf(msg, msgsz, "user listed twice") < 0 && msgsz > 0)
		msg[0] = '\0';
	return -1;
oom:
	if (snprintf(msg, msgsz, "out of memory") < 0 && msgsz > 0)
		msg[0] = '\0';
	return -1;
}

size_t
acl_ntests(const struct acl *policy)
{
	return policy ? policy->ntests : 0;
}

const struct acl_test *
acl_test_at(const struct acl *policy, size_t i)
{
	if (policy == NULL || i >= policy->ntests)
		return NULL;
	return &policy->tests[i].t;
}

/*
 * Read a whole regular file of at most max bytes (the size is checked on
 * the descriptor, and again while reading, in case the file grows).
 */
int
acl_read_fd(int fd, const char *name, size_t max, char **buf, size_t *len,
    struct acl_err *err)
{
	struct stat st;
	size_t cap, n = 0;
	ssize_t r;
	char *p;

	*buf = NULL;
	*len = 0;
	if (fstat(fd, &st) < 0) {
		acl_err_set(err, name, 0, 0, "cannot stat: %s",
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		acl_err_set(err, name, 0, 0, "not a regular file");
		return -1;
	}
	if (st.st_size < 0 || (uintmax_t)st.st_size > max) {
		acl_err_set(err, name, 0, 0, "file larger than %zu bytes",
		    max);
		return -1;
	}
	cap = (size_t)st.st_size + 1;
	if ((p = malloc(cap + 1)) == NULL) {
		acl_err_set(err, name, 0, 0, "out of memory");
		return -1;
	}
	for (;;) {
		r = pread(fd, p + n, cap - n, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			acl_err_set(err, name, 0, 0, "cannot read: %s",
			    strerror(errno));
			free(p);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			acl_err_set(err, name, 0, 0, "file changed size while "
			    "being read");
			free(p);
			return -1;
		}
	}
	p[n] = '\0';
	*buf = p;
	*len = n;
	return 0;
}

int
acl_read_file(const char *path, size_t max, char **buf, size_t *len,
    struct acl_err *err)
{
	int fd, rc;

	*buf = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		acl_err_set(err, path, 0, 0, "cannot open: %s",
		    strerror(errno));
		return -1;
	}
	rc = acl_read_fd(fd, path, max, buf, len, err);
	close(fd);
	return rc;
}
