/*
 * What talkctl needs beyond deciding: warnings about a policy (acl_lint)
 * and the names and networks it mentions (acl_mentions).
 *
 * Shadowing is decided cheaply and conservatively: a rule is reported when
 * a later rule in the same set matches at least everything it matches --
 * the same pattern, a superset of its literal names, a pattern every one of
 * its names matches, or a catch-all -- over networks that contain all of
 * its networks.  A catch-all pattern is one that matches the empty string
 * and a set of probe names; that is a heuristic, worded as such.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_int.h"

static const char *const probes[] = { "", "a", "Z", "0", "-", "_", ".", "+",
	"root", "abcdefghijk", "\x01", "\xff", "a b" };

static int
re_match(const struct acl_rule *r, const char *s)
{
	return acl_re_exec(r->re, r->md, r->mc, r->dfa, s, strlen(s)) > 0;
}

/* Matches every user name (as far as the probes can tell). */
int
acl_is_catch_all(const struct acl_rule *r)
{
	size_t i;

	if (r->kind == ACL_K_ANY)
		return 1;
	if (r->kind == ACL_K_LIT)
		return 0;
	for (i = 0; i < sizeof probes / sizeof *probes; i++)
		if (!re_match(r, probes[i]))
			return 0;
	return 1;
}

static int
net_any(const struct acl_rule *r)
{
	size_t i;

	if (r->nnets == 0)
		return r->nfrom == 0;
	for (i = 0; i < r->nnets; i++)
		if (r->nets[i].mask == 0)
			return 1;
	return 0;
}

static int
nets_cover(const struct acl_rule *later, const struct acl_rule *earlier)
{
	size_t i, j;

	if (net_any(later))
		return 1;
	if (net_any(earlier))
		return 0;
	for (i = 0; i < earlier->nnets; i++) {
		const struct acl_net *e = &earlier->nets[i];

		for (j = 0; j < later->nnets; j++) {
			const struct acl_net *l = &later->nets[j];

			if ((l->mask & e->mask) == l->mask &&
			    (e->addr & l->mask) == l->addr)
				break;
		}
		if (j == later->nnets)
			return 0;
	}
	return 1;
}

static int
users_cover(const struct acl_rule *later, const struct acl_rule *earlier)
{
	size_t i;

	if (acl_is_catch_all(later))
		return 1;
	if (earlier->kind == ACL_K_ANY)
		return 0;
	if (later->kind == earlier->kind && later->kind != ACL_K_LIT)
		return strcmp(later->pat, earlier->pat) == 0;
	if (earlier->kind != ACL_K_LIT)
		return 0;
	for (i = 0; i < earlier->nnames; i++) {
		size_t j;
		int found = 0;

		if (later->kind != ACL_K_LIT) {
			if (!re_match(later, earlier->names[i]))
				return 0;
			continue;
		}
		for (j = 0; j < later->nnames && !found; j++)
			found = strcmp(later->names[j], earlier->names[i]) == 0;
		if (!found)
			return 0;
	}
	return 1;
}

/* Does some run of one of the pattern's letters make it hit the limit? */
static int
hits_limit(const struct acl_rule *r)
{
	char s[ACL_PROTO_NAME + 2];
	const char *p;
	int c;

	for (p = r->pat; *p; p++) {
		c = (unsigned char)*p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9')))
			continue;
		memset(s, c, ACL_PROTO_NAME);
		s[ACL_PROTO_NAME] = '\0';
		if (acl_re_exec(r->re, r->md, r->mc, r->dfa, s,
		    ACL_PROTO_NAME) < 0)
			return 1;
		s[ACL_PROTO_NAME] = '!';	/* and with a non-match at the end */
		s[ACL_PROTO_NAME + 1] = '\0';
		if (acl_re_exec(r->re, r->md, r->mc, r->dfa, s,
		    ACL_PROTO_NAME) < 0)
			return 1;
	}
	return 0;
}

struct lint {
	acl_warn_fn *fn;
	void *ctx;
	size_t n;
};

static void warn(struct lint *, const struct acl_rule_ref *, const char *,
    const char *, ...) __attribute__((format(printf, 4, 5)));

static void
warn(struct lint *l, const struct acl_rule_ref *at, const char *file,
    const char *fmt, ...)
{
	struct acl_err e;
	va_list ap;
	char msg[sizeof e.msg];

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	acl_err_set(&e, at ? at->file : file, at ? at->line : 0,
	    at ? at->col : 0, "%s", msg);
	l->n++;
	if (l->fn != NULL)
		l->fn(l->ctx, &e);
}

/* ---- super-linear patterns ---------------------------------------------- */

#define SL_NEST		64		/* groups followed this deep */
#define SL_GROUPS	1024		/* group numbers remembered */

/*
 * The quantifier at p, if any: its length (0: none) and whether it
 * repeats more than once (*, +, {n,m} with m > 1 or none); *bounded for
 * {n,m} with 1 < m.  A possessive quantifier (+ after it) never
 * backtracks: it counts as none.
 */
static size_t
quant(const char *p, int *many, int *bounded)
{
	const char *q = p;
	unsigned long m = 0;
	int comma = 0, digits = 0;

	*many = *bounded = 0;
	if (*q == '*' || *q == '+') {
		*many = 1;
		q++;
	} else if (*q == '?')
		q++;
	else if (*q == '{') {
		for (q++; (*q >= '0' && *q <= '9') || *q == ','; q++) {
			if (*q == ',') {
				comma = 1;
				m = 0;
				digits = 0;
			} else {
				if (m <= 100000)
					m = m * 10 + (unsigned long)(*q - '0');
				digits = 1;
			}
		}
		if (*q != '}' || q == p + 1)
			return 0;
		q++;
		if (comma && !digits)
			*many = 1;	/* {n,} */
		else if (m > 1) {
			*many = 1;
			*bounded = 1;
		}
	} else
		return 0;
	if (*q == '+')
		*many = *bounded = 0;
	if (*q == '+' || *q == '?')
		q++;
	return (size_t)(q - p);
}

/*
 * The offset to report for a group at pat + at: the group it wraps, for
 * the (?:( ... )) the BRE translation writes for a repeated \( \) group
 * (the wrapper maps back to the quantifier, the group to its \().
 */
static long
group_at(const char *pat, size_t at)
{
	if (strncmp(pat + at, "(?:(", 4) == 0 && pat[at + 4] != '?')
		return (long)at + 3;
	return (long)at;
}

/*
 * Where PCRE2 pattern pat may need super-linear (exponential or
 * polynomial) backtracking: a repeated group holding a quantifier, a
 * capturing group repeated a bounded number of times (a group only
 * wrapping one atom, as the BRE translation writes them, is not), a
 * back-reference inside a repeated group, repeated, or to a group that
 * is repeated.  Returns the offset of the construct and its description,
 * or -1.  A scan of the pattern text, not a proof: it errs towards
 * warning.
 */
static long
superlinear(const char *pat, const char **what)
{
	struct {
		size_t at;
		unsigned num;		/* capture number, 0 = none */
		int quant, backref, cap;
	} st[SL_NEST];
	unsigned char rep[SL_GROUPS / 8];
	const char *p = pat;
	size_t depth = 0, n;
	unsigned ngroups = 0, ref;
	int many, bounded, isref;

	memset(rep, 0, sizeof rep);
	while (*p != '\0') {
		isref = 0;
		if (*p == '\\') {
			p++;
			if (*p >= '1' && *p <= '9') {
				ref = (unsigned)(*p - '0');
				if ((rep[ref / 8] >> (ref % 8)) & 1) {
					*what = "a back-reference to a "
					    "repeated group";
					return (long)(p - 1 - pat);
				}
				isref = 1;
				if (depth > 0 && depth <= SL_NEST)
					st[depth - 1].backref = 1;
			} else if (*p == 'g' || *p == 'k') {
				isref = 1;
				if (depth > 0 && depth <= SL_NEST)
					st[depth - 1].backref = 1;
			} else if (*p == 'x' && p[1] == '{') {
				while (*p != '\0' && *p != '}')
					p++;
			}
			if (*p != '\0')
				p++;
			goto atom;
		}
		if (*p == '[') {
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p != '\0' && *p != ']') {
				if (*p == '\\' && p[1] != '\0')
					p++;
				else if (*p == '[' && p[1] == ':' &&
				    strstr(p + 2, ":]") != NULL)
					p = strstr(p + 2, ":]") + 1;
				p++;
			}
			if (*p != '\0')
				p++;
			goto atom;
		}
		if (*p == '(') {
			if (depth < SL_NEST) {
				st[depth].at = (size_t)(p - pat);
				st[depth].num = p[1] != '?' || p[2] == '<' ||
				    p[2] == 'P' || p[2] == '\'' ? ++ngroups : 0;
				st[depth].quant = st[depth].backref = 0;
				st[depth].cap = st[depth].num > 0;
			}
			depth++;
			p++;
			continue;
		}
		if (*p == ')' && depth > 0) {
			depth--;
			p++;
			n = quant(p, &many, &bounded);
			if (depth < SL_NEST && many) {
				if (st[depth].quant) {
					*what = "a repeated group that holds a "
					    "quantifier (nested repetition)";
					return group_at(pat, st[depth].at);
				}
				if (st[depth].backref) {
					*what = "a back-reference inside a "
					    "repeated group";
					return group_at(pat, st[depth].at);
				}
				if (bounded && st[depth].cap) {
					*what = "a group repeated a bounded "
					    "number of times";
					return group_at(pat, st[depth].at);
				}
				ref = st[depth].num;
				if (ref > 0 && ref < SL_GROUPS)
					rep[ref / 8] |= (unsigned char)(1u <<
					    (ref % 8));
			}
			if (depth > 0 && depth < SL_NEST) {
				st[depth - 1].quant |= st[depth].quant || many;
				st[depth - 1].backref |= st[depth].backref;
				st[depth - 1].cap |= st[depth].cap;
			}
			p += n;
			continue;
		}
		p++;
atom:
		n = quant(p, &many, &bounded);
		if (n > 0 && many) {
			if (isref) {
				*what = "a repeated back-reference";
				return (long)(p - pat) - 2;
			}
			if (depth > 0 && depth <= SL_NEST)
				st[depth - 1].quant = 1;
		}
		p += n;
	}
	return -1;
}

/*
 * Warn about a rule whose pattern matching may be super-linear, at the
 * construct's line and column where the parser noted them.
 */
static void
lint_superlinear(struct lint *l, const struct acl_rule *r)
{
	char *pat = NULL, msg[160];
	unsigned *map = NULL;
	size_t erroff;
	const char *what = "";
	struct acl_rule_ref at = r->ref;
	long off;

	if (r->kind == ACL_K_BRE) {
		if (acl_bre_to_pcre(r->pat, strlen(r->pat), &pat, &map,
		    &erroff, msg, sizeof msg) < 0)
			return;
		off = superlinear(pat, &what);
		if (off >= 0)
			off = (long)map[off];
	} else
		off = superlinear(r->pat, &what);
	free(pat);
	free(map);
	if (off < 0)
		return;
	if (r->pcol > 0) {
		at.line = r->pline;
		at.col = r->pcol + (unsigned)off;
	}
	warn(l, &at, NULL, "pattern \"%.64s\" may need super-linear "
	    "matching: %s at byte %ld; a decision that runs out of its budget "
	    "there is a denial (budget-exceeded)", r->pat, what, off + 1);
}

static void
lint_set(struct lint *l, const struct acl_set *s, const char *who)
{
	const struct acl_rule *r, *q;
	size_t i, j;
	uint32_t minlen;

	for (i = 0; i < s->n; i++) {
		r = &s->rules[i];
		for (j = 0; j < r->nnames; j++)
			if (strlen(r->names[j]) > ACL_PROTO_NAME)
				warn(l, &r->ref, NULL, "%s name \"%.64s\" is "
				    "longer than the %d bytes the talk protocol"
				    " carries: it never matches", who,
				    r->names[j], ACL_PROTO_NAME);
		if (r->re != NULL) {
			if (pcre2_pattern_info(r->re, PCRE2_INFO_MINLENGTH,
			    &minlen) == 0 && minlen > ACL_PROTO_NAME)
				warn(l, &r->ref, NULL, "%s pattern needs at "
				    "least %u characters, but the talk protocol"
				    " carries at most %d: it never matches",
				    who, (unsigned)minlen, ACL_PROTO_NAME);
			if (hits_limit(r))
				warn(l, &r->ref, NULL, "pattern \"%.64s\" "
				    "needs more match work than a decision's "
				    "budget on some 11-character names; there "
				    "the decision is a denial "
				    "(budget-exceeded)", r->pat);
			lint_superlinear(l, r);
			if (re_match(r, ""))
				warn(l, &r->ref, NULL, "pattern \"%.64s\" "
				    "matches the empty string%s", r->pat,
				    acl_is_catch_all(r) ? ", so it matches "
				    "every name" : "");
		}
		for (j = i + 1; j < s->n; j++) {	/* the nearest */
			q = &s->rules[j];
			if (!users_cover(q, r) || !nets_cover(q, r))
				continue;
			if (q->ref.line > 0)
				warn(l, &r->ref, NULL, "rule is shadowed by the "
				    "later rule at line %u (\"%.80s\"): it "
				    "never decides", q->ref.line, q->ref.text);
			else
				warn(l, &r->ref, NULL, "rule is shadowed by the "
				    "later rule \"%.80s\": it never decides",
				    q->ref.text);
			break;
		}
	}
}

size_t
acl_lint(const struct acl *p, acl_warn_fn *fn, void *ctx)
{
	struct lint l = { fn, ctx, 0 };
	size_t i;
	int allow = 0, catch_all = 0;

	if (p == NULL)
		return 0;
	lint_set(&l, &p->site, "callee");
	for (i = 0; i < p->nusers; i++)
		lint_set(&l, &p->users[i].set, "caller");
	for (i = 0; i < p->ntrcs; i++)
		if (p->trcs[i].rc->forced < 0)
			lint_set(&l, &p->trcs[i].rc->site, "caller");
	for (i = 0; i < p->site.n; i++) {
		allow |= p->site.rules[i].ref.action == ACL_ALLOW;
		catch_all |= acl_is_catch_all(&p->site.rules[i]) &&
		    net_any(&p->site.rules[i]);
	}
	if (p->strict && !allow)
		warn(&l, NULL, p->file, "strict policy without any site allow "
		    "rule: every request is denied");
	if (p->site.n > 0 && !catch_all)
		warn(&l, NULL, p->file, "requests that match no site rule are "
		    "%s by the implicit default%s", p->strict ? "denied" :
		    "allowed", p->strict ? " (strict)" : "; put a catch-all "
		    "rule first to make it explicit");
	return l.n;
}

/* ---- mentions ----------------------------------------------------------------- */

/* A name the pattern matches, built from its literal characters. */
static int
sample(const struct acl_rule *r, char *out, size_t outsz)
{
	const char *p = r->pat;
	size_t i, k, n;
	int pass;

	for (pass = 0; pass < 3; pass++) {
		n = 0;
		for (i = 0; p[i] != '\0' && n + 1 < outsz; i++) {
			char ch = p[i];
			int alnum = (ch >= 'a' && ch <= 'z') ||
			    (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');

			if (i > 0 && p[i - 1] == '\\' && pass < 2)
				continue;	/* \1, \w, \{ ... */
			if (alnum || (pass > 0 && (ch == '-' || ch == '_' ||
			    ch == '.')))
				out[n++] = ch;
			else if (pass == 2 && n > 0)
				break;		/* the literal prefix only */
		}
		out[n] = '\0';
		if (n > 0 && re_match(r, out))
			return 0;
	}
	for (k = 0; k < sizeof probes / sizeof *probes; k++)
		if (probes[k][0] != '\0' && (unsigned char)probes[k][0] >= 32 &&
		    (unsigned char)probes[k][0] < 127 && re_match(r, probes[k]) &&
		    strlen(probes[k]) < outsz) {
			memcpy(out, probes[k], strlen(probes[k]) + 1);
			return 0;
		}
	return -1;
}

static void
mention_set(const struct acl_set *s, enum acl_mention kind,
    acl_mention_fn *fn, void *ctx)
{
	const struct acl_rule *r;
	size_t i, j;
	char buf[ACL_NAME_MAX + 1];

	for (i = 0; i < s->n; i++) {
		r = &s->rules[i];
		for (j = 0; j < r->nnames; j++)
			fn(ctx, kind, r->names[j], 0, 0);
		if (r->re != NULL && sample(r, buf, sizeof buf) == 0)
			fn(ctx, kind, buf, 0, 0);
		for (j = 0; j < r->nnets; j++)
			fn(ctx, ACL_M_NET, NULL, r->nets[j].addr,
			    r->nets[j].mask);
	}
}

void
acl_mentions(const struct acl *p, acl_mention_fn *fn, void *ctx)
{
	size_t i, j;

	if (p == NULL)
		return;
	mention_set(&p->site, ACL_M_CALLEE, fn, ctx);
	for (i = 0; i < p->nnets; i++)
		for (j = 0; j < p->nets[i].n; j++)
			fn(ctx, ACL_M_NET, NULL, p->nets[i].nets[j].addr,
			    p->nets[i].nets[j].mask);
	for (i = 0; i < p->nusers; i++) {
		fn(ctx, ACL_M_CALLEE, p->users[i].user, 0, 0);
		mention_set(&p->users[i].set, ACL_M_CALLER, fn, ctx);
	}
	for (i = 0; i < p->ntrcs; i++) {
		fn(ctx, ACL_M_CALLEE, p->trcs[i].user, 0, 0);
		mention_set(&p->trcs[i].rc->site, ACL_M_CALLER, fn, ctx);
	}
	for (i = 0; i < p->ntests; i++) {
		fn(ctx, ACL_M_CALLER, p->tests[i].t.caller, 0, 0);
		fn(ctx, ACL_M_CALLEE, p->tests[i].t.callee, 0, 0);
		fn(ctx, ACL_M_NET, NULL, p->tests[i].t.addr, 0xffffffffu);
	}
}
