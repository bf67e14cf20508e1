/*
 * The YAML policy (version 1; schema/policy.schema.json, talkd.acl(5)),
 * read with libyaml's event parser, and written back by acl_write_yaml.
 *
 * Every scalar is a string: no YAML 1.1 booleans or nulls, so no, on, null
 * and ~ are user names like any other; strict takes the strings true and
 * false.  Unknown keys, duplicate keys, wrong node types, tags other than
 * !!str, aliases (refused outright: no expansion, so no billion laughs),
 * more than one document and unknown versions are errors with
 * file:line:col (libyaml mark + 1).  The first error stops the parse.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "acl/acl_int.h"

#define Y_DEPTH_MAX	32
#define Y_NODES_MAX	1000000
#define Y_SCALAR_MAX	ACL_PAT_MAX

enum ytype { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ytype type;
	char *val;			/* Y_SCALAR */
	int quoted;
	struct ynode **kids;		/* Y_SEQ items; Y_MAP key, value, ... */
	size_t n, cap;
	unsigned line, col;
};

struct yctx {
	const char *file;
	struct acl_errs *es;
	struct acl *a;
	size_t nodes;
	char **ids;			/* rule ids seen, for uniqueness */
	size_t nids;
};

static int yerr(struct yctx *, const struct ynode *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
yerr(struct yctx *c, const struct ynode *n, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	acl_errf(c->es, c->file, n ? n->line : 0, n ? n->col : 0, "%s", msg);
	return -1;
}

static void
ynode_free(struct ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++)
		ynode_free(n->kids[i]);
	free(n->kids);
	free(n->val);
	free(n);
}

static int
ynode_add(struct ynode *p, struct ynode *k)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct ynode **kids = reallocarray(p->kids, cap, sizeof *kids);

		if (kids == NULL)
			return -1;
		p->kids = kids;
		p->cap = cap;
	}
	p->kids[p->n++] = k;
	return 0;
}

static const char *
type_name(enum ytype t)
{
	return t == Y_SCALAR ? "a string" : t == Y_SEQ ? "a list" :
	    "a mapping";
}

static int
tag_ok(const yaml_char_t *tag)
{
	return tag == NULL || strcmp((const char *)tag, "!") == 0 ||
	    strcmp((const char *)tag, "tag:yaml.org,2002:str") == 0 ||
	    strcmp((const char *)tag, "tag:yaml.org,2002:seq") == 0 ||
	    strcmp((const char *)tag, "tag:yaml.org,2002:map") == 0;
}

/* Events -> a tree of ynodes; the root, or NULL on error. */
static struct ynode *
load_tree(struct yctx *c, const char *buf, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct ynode *stack[Y_DEPTH_MAX + 1], *root = NULL, *n;
	struct ynode pos;
	int depth = 0, docs = 0, done = 0, bad = 0;

	if (!yaml_parser_initialize(&p)) {
		yerr(c, NULL, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	while (!done && !bad) {
		if (!yaml_parser_parse(&p, &ev)) {
			pos.line = (unsigned)p.problem_mark.line + 1;
			pos.col = (unsigned)p.problem_mark.column + 1;
			yerr(c, &pos, "YAML: %s%s%s", p.problem ? p.problem :
			    "syntax error", p.context ? " " : "",
			    p.context ? p.context : "");
			bad = 1;
			break;
		}
		pos.line = (unsigned)ev.start_mark.line + 1;
		pos.col = (unsigned)ev.start_mark.column + 1;
		n = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				bad = yerr(c, &pos, "more than one YAML "
				    "document");
			break;
		case YAML_ALIAS_EVENT:
			bad = yerr(c, &pos, "YAML aliases are not supported "
			    "(write the value out)");
			break;
		case YAML_SCALAR_EVENT:
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (!tag_ok(ev.type == YAML_SCALAR_EVENT ?
			    ev.data.scalar.tag : ev.type ==
			    YAML_SEQUENCE_START_EVENT ?
			    ev.data.sequence_start.tag :
			    ev.data.mapping_start.tag)) {
				bad = yerr(c, &pos, "YAML tags are not "
				    "supported");
				break;
			}
			if (++c->nodes > Y_NODES_MAX) {
				bad = yerr(c, &pos, "policy too large");
				break;
			}
			if ((n = calloc(1, sizeof *n)) == NULL) {
				bad = yerr(c, &pos, "out of memory");
				break;
			}
			n->line = pos.line;
			n->col = pos.col;
			if (ev.type == YAML_SCALAR_EVENT) {
				n->type = Y_SCALAR;
				n->quoted = ev.data.scalar.style ==
				    YAML_SINGLE_QUOTED_SCALAR_STYLE ||
				    ev.data.scalar.style ==
				    YAML_DOUBLE_QUOTED_SCALAR_STYLE;
				if (ev.data.scalar.length > Y_SCALAR_MAX)
					bad = yerr(c, &pos, "string longer "
					    "than %u bytes", Y_SCALAR_MAX);
				else if (memchr(ev.data.scalar.value, '\0',
				    ev.data.scalar.length) != NULL)
					bad = yerr(c, &pos, "NUL byte in a "
					    "string");
				else if ((n->val = acl_strndup((const char *)
				    ev.data.scalar.value,
				    ev.data.scalar.length)) == NULL)
					bad = yerr(c, &pos, "out of memory");
			} else
				n->type = ev.type == YAML_MAPPING_START_EVENT ?
				    Y_MAP : Y_SEQ;
			if (depth == 0) {
				root = n;
			} else if (ynode_add(stack[depth - 1], n) < 0) {
				ynode_free(n);
				bad = yerr(c, &pos, "out of memory");
				break;
			}
			if (n->type != Y_SCALAR) {
				if (depth == Y_DEPTH_MAX) {
					bad = yerr(c, &pos, "nested too "
					    "deeply");
					break;
				}
				stack[depth++] = n;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (bad) {
		ynode_free(root);
		return NULL;
	}
	if (root == NULL) {
		pos.line = pos.col = 1;
		yerr(c, &pos, "empty policy (expected \"version: 1\")");
	}
	return root;
}

/* ---- checking helpers ------------------------------------------------------ */

static int
want(struct yctx *c, const struct ynode *n, enum ytype t, const char *what)
{
	if (n->type == t)
		return 0;
	return yerr(c, n, "%s must be %s, not %s", what, type_name(t),
	    type_name(n->type));
}

struct keyref {
	const char *key;
	size_t i;
};

static int
keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	return r ? r : x->i < y->i ? -1 : 1;
}

/* Keys must be strings and unique. */
static int
map_check(struct yctx *c, const struct ynode *m)
{
	struct keyref *k;
	size_t i, nk = m->n / 2;
	int rc = 0;

	for (i = 0; i < nk; i++)
		if (m->kids[2 * i]->type != Y_SCALAR)
			return yerr(c, m->kids[2 * i], "a key must be a "
			    "string");
	if (nk < 2)
		return 0;
	if ((k = calloc(nk, sizeof *k)) == NULL)
		return yerr(c, m, "out of memory");
	for (i = 0; i < nk; i++) {
		k[i].key = m->kids[2 * i]->val;
		k[i].i = i;
	}
	qsort(k, nk, sizeof *k, keyref_cmp);
	for (i = 1; i < nk && rc == 0; i++)
		if (strcmp(k[i - 1].key, k[i].key) == 0)
			rc = yerr(c, m->kids[2 * k[i].i], "duplicate key "
			    "\"%.64s\"", k[i].key);
	free(k);
	return rc;
}

/* The value for key in m, or NULL. */
static const struct ynode *
get(const struct ynode *m, const char *key)
{
	size_t i;

	for (i = 0; i + 1 < m->n; i += 2)
		if (strcmp(m->kids[i]->val, key) == 0)
			return m->kids[i + 1];
	return NULL;
}

static int
keys_only(struct yctx *c, const struct ynode *m, const char *const *ok,
    const char *expected)
{
	size_t i, j;

	for (i = 0; i + 1 < m->n; i += 2) {
		for (j = 0; ok[j] != NULL; j++)
			if (strcmp(m->kids[i]->val, ok[j]) == 0)
				break;
		if (ok[j] == NULL)
			return yerr(c, m->kids[i], "unknown key \"%.64s\" "
			    "(expected %s)", m->kids[i]->val, expected);
	}
	return 0;
}

/* A list of strings, or one string standing for a list of one. */
static int
str_list(struct yctx *c, const struct ynode *n, const char *what,
    const struct ynode ***items, size_t *nitems)
{
	size_t i;

	if (n->type == Y_SCALAR) {
		*items = NULL;
		*nitems = 1;
		return 1;
	}
	if (want(c, n, Y_SEQ, what) < 0)
		return -1;
	for (i = 0; i < n->n; i++)
		if (want(c, n->kids[i], Y_SCALAR, what) < 0)
			return -1;
	*items = (const struct ynode **)(void *)n->kids;
	*nitems = n->n;
	return 0;
}

#define ITEM(n, items, i) ((items) ? (items)[i] : (n))

static int
user_name(struct yctx *c, const struct ynode *n)
{
	size_t len = strlen(n->val);

	if (len == 0)
		return yerr(c, n, "empty user name");
	if (len > ACL_NAME_MAX)
		return yerr(c, n, "user name longer than %u bytes",
		    ACL_NAME_MAX);
	return 0;
}

/* ---- rules ------------------------------------------------------------------ */

static const struct acl_netdef *
netdef(const struct acl *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nnets; i++)
		if (strcmp(a->nets[i].name, name) == 0)
			return &a->nets[i];
	return NULL;
}

static int
rule_from(struct yctx *c, struct acl_rule *r, const struct ynode *n)
{
	const struct ynode **items, *it;
	const struct acl_netdef *d;
	size_t ni, i, j, total = 0, off;
	char msg[200];

	if (str_list(c, n, "from", &items, &ni) < 0)
		return -1;
	if (ni == 0)
		return yerr(c, n, "empty from list (leave from out for any)");
	for (i = 0; i < ni; i++) {
		d = netdef(c->a, ITEM(n, items, i)->val);
		total += d ? d->n : 1;
	}
	r->from = calloc(ni, sizeof *r->from);
	r->nets = calloc(total, sizeof *r->nets);
	if (r->from == NULL || r->nets == NULL)
		return yerr(c, n, "out of memory");
	for (i = 0; i < ni; i++) {
		it = ITEM(n, items, i);
		if ((r->from[i] = acl_strdup(it->val)) == NULL)
			return yerr(c, it, "out of memory");
		r->nfrom++;
		if ((d = netdef(c->a, it->val)) != NULL) {
			for (j = 0; j < d->n; j++)
				r->nets[r->nnets++] = d->nets[j];
			continue;
		}
		if (acl_net_parse(it->val, &r->nets[r->nnets], &off, msg,
		    sizeof msg) < 0) {
			if ((it->val[0] >= 'a' && it->val[0] <= 'z') ||
			    (it->val[0] >= 'A' && it->val[0] <= 'Z') ||
			    it->val[0] == '_')
				return yerr(c, it, "unknown network \"%.64s\" "
				    "(not defined under networks:)", it->val);
			return yerr(c, it, "%s", msg);
		}
		r->nnets++;
	}
	return 0;
}

static int
rule_id(struct yctx *c, struct acl_rule *r, const struct ynode *n)
{
	size_t i;
	char **ids;

	if (want(c, n, Y_SCALAR, "id") < 0)
		return -1;
	if (n->val[0] == '\0' || strlen(n->val) > ACL_NAME_MAX)
		return yerr(c, n, "a rule id must be 1 to %u bytes",
		    ACL_NAME_MAX);
	for (i = 0; i < c->nids; i++)
		if (strcmp(c->ids[i], n->val) == 0)
			return yerr(c, n, "duplicate rule id \"%.64s\"",
			    n->val);
	ids = reallocarray(c->ids, c->nids + 1, sizeof *ids);
	if (ids == NULL || (r->id = acl_strdup(n->val)) == NULL) {
		if (ids != NULL)
			c->ids = ids;
		return yerr(c, n, "out of memory");
	}
	c->ids = ids;
	c->ids[c->nids++] = r->id;
	return 0;
}

static const char *const rule_keys[] = { "id", "action", "user", "users",
	"match", "from", NULL };

static int
rule(struct yctx *c, struct acl_set *s, const struct ynode *m)
{
	const struct ynode *act, *v, **items;
	struct acl_rule *r;
	size_t ni, i, off;
	char msg[200];
	int nwho = 0;

	if (want(c, m, Y_MAP, "a rule") < 0 || map_check(c, m) < 0 ||
	    keys_only(c, m, rule_keys, "id, action, user, users, match or "
	    "from") < 0)
		return -1;
	if ((r = acl_set_add(s)) == NULL)
		return yerr(c, m, "out of memory");
	r->ref.line = m->line;
	r->ref.col = m->col;
	if ((act = get(m, "action")) == NULL)
		return yerr(c, m, "a rule needs an action (allow or deny)");
	if (want(c, act, Y_SCALAR, "action") < 0)
		return -1;
	if (strcmp(act->val, "allow") != 0 && strcmp(act->val, "deny") != 0)
		return yerr(c, act, "unknown action \"%.64s\" (expected allow "
		    "or deny)", act->val);
	r->ref.action = act->val[0] == 'a' ? ACL_ALLOW : ACL_DENY;
	if ((v = get(m, "id")) != NULL && rule_id(c, r, v) < 0)
		return -1;
	nwho = (get(m, "user") != NULL) + (get(m, "users") != NULL) +
	    (get(m, "match") != NULL);
	if (nwho > 1)
		return yerr(c, m, "a rule takes at most one of user, users "
		    "and match");
	r->kind = ACL_K_ANY;
	if ((v = get(m, "user")) != NULL || (v = get(m, "match")) != NULL) {
		r->kind = get(m, "user") ? ACL_K_BRE : ACL_K_PCRE;
		if (want(c, v, Y_SCALAR, r->kind == ACL_K_BRE ? "user" :
		    "match") < 0)
			return -1;
		if ((r->pat = acl_strdup(v->val)) == NULL)
			return yerr(c, v, "out of memory");
		if (strchr(v->val, '\n') == NULL) {
			r->pline = v->line;
			r->pcol = v->col + (v->quoted ? 1 : 0);
		}
		if (acl_rule_compile(r, msg, sizeof msg, &off) < 0) {
			struct ynode at = *v;

			if (strchr(v->val, '\n') == NULL)
				at.col += (unsigned)off + (v->quoted ? 1 : 0);
			return yerr(c, &at, "%s", msg);
		}
	} else if ((v = get(m, "users")) != NULL) {
		r->kind = ACL_K_LIT;
		if (str_list(c, v, "users", &items, &ni) < 0)
			return -1;
		if (ni == 0)
			return yerr(c, v, "empty users list");
		if ((r->names = calloc(ni, sizeof *r->names)) == NULL)
			return yerr(c, v, "out of memory");
		for (i = 0; i < ni; i++) {
			if (user_name(c, ITEM(v, items, i)) < 0)
				return -1;
			r->names[i] = acl_strdup(ITEM(v, items, i)->val);
			if (r->names[i] == NULL)
				return yerr(c, v, "out of memory");
			r->nnames++;
		}
		acl_names_sort(r->names, &r->nnames);
	}
	if ((v = get(m, "from")) != NULL && rule_from(c, r, v) < 0)
		return -1;
	if (acl_rule_render(r) < 0)
		return yerr(c, m, "out of memory");
	return 0;
}

static int
rule_list(struct yctx *c, struct acl_set *s, const struct ynode *n,
    const char *what)
{
	size_t i;

	if (want(c, n, Y_SEQ, what) < 0)
		return -1;
	for (i = 0; i < n->n; i++)
		if (rule(c, s, n->kids[i]) < 0)
			return -1;
	return 0;
}

/* ---- sections ------------------------------------------------------------------ */

static int
networks(struct yctx *c, const struct ynode *m)
{
	const struct ynode **items, *it;
	struct acl_netdef *d;
	size_t i, j, ni, off;
	char msg[200];

	if (want(c, m, Y_MAP, "networks") < 0 || map_check(c, m) < 0)
		return -1;
	if (m->n == 0)
		return 0;
	if ((c->a->nets = calloc(m->n / 2, sizeof *c->a->nets)) == NULL)
		return yerr(c, m, "out of memory");
	for (i = 0; i + 1 < m->n; i += 2) {
		if (!acl_net_name_ok(m->kids[i]->val))
			return yerr(c, m->kids[i], "bad network name \"%.64s\" "
			    "(a letter or _, then letters, digits, _ - .; "
			    "not any)", m->kids[i]->val);
		if (str_list(c, m->kids[i + 1], "a network", &items, &ni) < 0)
			return -1;
		if (ni == 0)
			return yerr(c, m->kids[i + 1], "empty network");
		d = &c->a->nets[c->a->nnets++];
		if ((d->name = acl_strdup(m->kids[i]->val)) == NULL ||
		    (d->nets = calloc(ni, sizeof *d->nets)) == NULL)
			return yerr(c, m, "out of memory");
		for (j = 0; j < ni; j++) {
			it = ITEM(m->kids[i + 1], items, j);
			if (acl_net_parse(it->val, &d->nets[j], &off, msg,
			    sizeof msg) < 0)
				return yerr(c, it, "%s", msg);
			d->n++;
		}
	}
	return 0;
}

static int
users(struct yctx *c, const struct ynode *m)
{
	struct acl_uset *u;
	size_t i;

	if (want(c, m, Y_MAP, "users") < 0 || map_check(c, m) < 0)
		return -1;
	if (m->n == 0)
		return 0;
	if ((c->a->users = calloc(m->n / 2, sizeof *c->a->users)) == NULL)
		return yerr(c, m, "out of memory");
	for (i = 0; i + 1 < m->n; i += 2) {
		if (user_name(c, m->kids[i]) < 0)
			return -1;
		u = &c->a->users[c->a->nusers++];
		if ((u->user = acl_strdup(m->kids[i]->val)) == NULL ||
		    (u->set.file = acl_strdup(c->file)) == NULL)
			return yerr(c, m, "out of memory");
		if (rule_list(c, &u->set, m->kids[i + 1], "a user's rules") < 0)
			return -1;
	}
	return 0;
}

static int
decimal(struct yctx *c, const struct ynode *n, const char *what, int sign,
    uint64_t *v)
{
	const char *s;
	char *end;

	if (n == NULL)
		return 0;
	if (want(c, n, Y_SCALAR, what) < 0)
		return -1;
	s = n->val;
	errno = 0;
	if (sign && s[0] == '-') {
		long long x = strtoll(s, &end, 10);

		*v = (uint64_t)x;
	} else
		*v = strtoull(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || s[0] == '+' ||
	    s[0] == ' ' || (s[0] == '-' && !sign))
		return yerr(c, n, "%s must be a decimal number", what);
	return 0;
}

static const char *const trc_keys[] = { "file", "status", "stamp", "rules",
	NULL };
static const char *const stamp_keys[] = { "dev", "ino", "size", "mtime_ns",
	"ctime_ns", NULL };

static int
talkrc_copy(struct yctx *c, const struct ynode *k, const struct ynode *m)
{
	const struct ynode *v, *st;
	struct acl *rc = NULL;
	struct acl_stamp stamp;
	struct acl_err e;
	uint64_t x;
	int forced = -1;

	memset(&stamp, 0, sizeof stamp);
	if (user_name(c, k) < 0 || want(c, m, Y_MAP, "a ~/.talkrc copy") < 0 ||
	    map_check(c, m) < 0 || keys_only(c, m, trc_keys, "file, status, "
	    "stamp or rules") < 0)
		return -1;
	v = get(m, "file");
	if (v != NULL && want(c, v, Y_SCALAR, "file") < 0)
		return -1;
	if ((rc = acl_new(v ? v->val : "")) == NULL)
		return yerr(c, m, "out of memory");
	/* its rules' positions are in this YAML file, not in ~/.talkrc */
	free(rc->site.file);
	if ((rc->site.file = acl_strdup(c->file)) == NULL) {
		yerr(c, m, "out of memory");
		goto fail;
	}
	if ((v = get(m, "status")) != NULL) {
		if (want(c, v, Y_SCALAR, "status") < 0)
			goto fail;
		if (strcmp(v->val, "insecure-talkrc") == 0)
			forced = ACL_R_INSECURE_TALKRC;
		else if (strcmp(v->val, "bad-talkrc") == 0)
			forced = ACL_R_BAD_TALKRC;
		else if (strcmp(v->val, "ok") != 0) {
			yerr(c, v, "unknown status \"%.64s\" (expected ok, "
			    "insecure-talkrc or bad-talkrc)", v->val);
			goto fail;
		}
	}
	if ((st = get(m, "stamp")) != NULL) {
		if (want(c, st, Y_MAP, "stamp") < 0 || map_check(c, st) < 0 ||
		    keys_only(c, st, stamp_keys, "dev, ino, size, mtime_ns or "
		    "ctime_ns") < 0 ||
		    decimal(c, get(st, "dev"), "dev", 0, &stamp.dev) < 0 ||
		    decimal(c, get(st, "ino"), "ino", 0, &stamp.ino) < 0 ||
		    decimal(c, get(st, "size"), "size", 0, &stamp.size) < 0)
			goto fail;
		x = 0;
		if (decimal(c, get(st, "mtime_ns"), "mtime_ns", 1, &x) < 0)
			goto fail;
		stamp.mtime_ns = (int64_t)x;
		x = 0;
		if (decimal(c, get(st, "ctime_ns"), "ctime_ns", 1, &x) < 0)
			goto fail;
		stamp.ctime_ns = (int64_t)x;
	}
	if ((v = get(m, "rules")) != NULL) {
		if (forced >= 0 && (v->type != Y_SEQ || v->n != 0)) {
			yerr(c, v, "a %s copy has no rules (it denies every "
			    "caller)", forced == ACL_R_BAD_TALKRC ?
			    "bad-talkrc" : "insecure-talkrc");
			goto fail;
		}
		if (rule_list(c, &rc->site, v, "rules") < 0)
			goto fail;
	}
	if (forced >= 0 && acl_set_deny_all(rc, (enum acl_reason)forced) < 0) {
		yerr(c, m, "out of memory");
		goto fail;
	}
	if (acl_policy_add_talkrc(c->a, k->val, rc, &stamp, &e) < 0)
		return yerr(c, k, "%s", e.msg);
	return 0;
fail:
	acl_free(rc);
	return -1;
}

static int
talkrc(struct yctx *c, const struct ynode *m)
{
	size_t i;

	if (want(c, m, Y_MAP, "talkrc") < 0 || map_check(c, m) < 0)
		return -1;
	for (i = 0; i + 1 < m->n; i += 2)
		if (talkrc_copy(c, m->kids[i], m->kids[i + 1]) < 0)
			return -1;
	return 0;
}

static const char *const test_keys[] = { "caller", "callee", "from",
	"expect", NULL };

static int
tests(struct yctx *c, const struct ynode *s)
{
	const struct ynode *m, *v;
	struct acl_tcase *t;
	size_t i;

	if (want(c, s, Y_SEQ, "tests") < 0)
		return -1;
	if (s->n == 0)
		return 0;
	if ((c->a->tests = calloc(s->n, sizeof *c->a->tests)) == NULL)
		return yerr(c, s, "out of memory");
	for (i = 0; i < s->n; i++) {
		m = s->kids[i];
		if (want(c, m, Y_MAP, "a test") < 0 || map_check(c, m) < 0 ||
		    keys_only(c, m, test_keys, "caller, callee, from or "
		    "expect") < 0)
			return -1;
		t = &c->a->tests[c->a->ntests++];
		t->t.file = c->a->file;
		t->t.line = m->line;
		t->t.col = m->col;
		if ((v = get(m, "caller")) == NULL)
			return yerr(c, m, "a test needs a caller");
		if (want(c, v, Y_SCALAR, "caller") < 0)
			return -1;
		if (strlen(v->val) > ACL_NAME_MAX)
			return yerr(c, v, "name longer than %u bytes",
			    ACL_NAME_MAX);
		t->caller = acl_strdup(v->val);
		if ((v = get(m, "callee")) == NULL)
			return yerr(c, m, "a test needs a callee");
		if (want(c, v, Y_SCALAR, "callee") < 0)
			return -1;
		if (strlen(v->val) > ACL_NAME_MAX)
			return yerr(c, v, "name longer than %u bytes",
			    ACL_NAME_MAX);
		t->callee = acl_strdup(v->val);
		if (t->caller == NULL || t->callee == NULL)
			return yerr(c, m, "out of memory");
		t->t.caller = t->caller;
		t->t.callee = t->callee;
		if ((v = get(m, "from")) == NULL)
			return yerr(c, m, "a test needs a from address");
		if (want(c, v, Y_SCALAR, "from") < 0)
			return -1;
		if (acl_ipv4_parse(v->val, strlen(v->val), &t->t.addr) < 0)
			return yerr(c, v, "invalid address \"%.64s\" (expected "
			    "four decimal numbers 0-255)", v->val);
		if ((v = get(m, "expect")) == NULL)
			return yerr(c, m, "a test needs expect: allow or deny");
		if (want(c, v, Y_SCALAR, "expect") < 0)
			return -1;
		if (strcmp(v->val, "allow") != 0 && strcmp(v->val, "deny") != 0)
			return yerr(c, v, "expect must be allow or deny, not "
			    "\"%.64s\"", v->val);
		t->t.expect_allow = v->val[0] == 'a';
	}
	return 0;
}

static const char *const top_keys[] = { "version", "strict", "networks",
	"site", "users", "talkrc", "tests", NULL };

static int
policy(struct yctx *c, const struct ynode *root)
{
	const struct ynode *v;
	char msg[200];

	if (want(c, root, Y_MAP, "a policy") < 0 || map_check(c, root) < 0)
		return -1;
	if ((v = get(root, "version")) == NULL)
		return yerr(c, root, "missing \"version: 1\"");
	if (want(c, v, Y_SCALAR, "version") < 0)
		return -1;
	if (strcmp(v->val, "1") != 0)
		return yerr(c, v, "unknown policy version \"%.64s\" (this "
		    "program reads version 1)", v->val);
	if (keys_only(c, root, top_keys, "version, strict, networks, site, "
	    "users, talkrc or tests") < 0)
		return -1;
	if ((v = get(root, "strict")) != NULL) {
		if (want(c, v, Y_SCALAR, "strict") < 0)
			return -1;
		if (strcmp(v->val, "true") == 0)
			c->a->strict = 1;
		else if (strcmp(v->val, "false") != 0)
			return yerr(c, v, "strict must be true or false, not "
			    "\"%.64s\"", v->val);
	}
	if ((v = get(root, "networks")) != NULL && networks(c, v) < 0)
		return -1;
	if ((v = get(root, "site")) != NULL &&
	    rule_list(c, &c->a->site, v, "site") < 0)
		return -1;
	if ((v = get(root, "users")) != NULL && users(c, v) < 0)
		return -1;
	if ((v = get(root, "talkrc")) != NULL && talkrc(c, v) < 0)
		return -1;
	if ((v = get(root, "tests")) != NULL && tests(c, v) < 0)
		return -1;
	if (acl_policy_finish(c->a, msg, sizeof msg) < 0)
		return yerr(c, root, "%s", msg);
	return 0;
}

int
acl_parse_yaml(const char *name, const char *buf, size_t len,
    struct acl **out, struct acl_errs *es)
{
	struct yctx c;
	struct ynode *root;
	int rc = -1;

	*out = NULL;
	memset(&c, 0, sizeof c);
	c.file = name;
	c.es = es;
	if (len > ACL_FILE_MAX)
		return yerr(&c, NULL, "file larger than %u bytes",
		    ACL_FILE_MAX);
	if ((root = load_tree(&c, buf, len)) == NULL)
		return -1;
	if ((c.a = acl_new(name)) == NULL)
		yerr(&c, NULL, "out of memory");
	else
		rc = policy(&c, root);
	if (rc == 0) {
		acl_rules_limit(&c.a->site, name, es);
		rc = es->n > 0 ? -1 : 0;
	}
	ynode_free(root);
	free(c.ids);
	if (rc < 0) {
		acl_free(c.a);
		return -1;
	}
	*out = c.a;
	return 0;
}

/* ---- writing ------------------------------------------------------------------------ */

/*
 * Decode one UTF-8 character at *s (advancing it): the code point, or -1
 * for an invalid, overlong or surrogate sequence, as libyaml's reader.
 */
static long
utf8_next(const unsigned char **s)
{
	const unsigned char *p = *s;
	long cp, min;
	int n, i;

	if (p[0] < 0x80) {
		*s = p + 1;
		return p[0];
	}
	if ((p[0] & 0xe0) == 0xc0) {
		n = 1;
		cp = p[0] & 0x1f;
		min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 2;
		cp = p[0] & 0x0f;
		min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 3;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else
		return -1;
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*s = p + n + 1;
	return cp;
}

static int
utf8_ok(const unsigned char *s)
{
	while (*s)
		if (utf8_next(&s) < 0)
			return 0;
	return 1;
}

/* YAML 1.1's printable set, which libyaml enforces on the whole stream. */
static int
yaml_printable(long c)
{
	return (c >= 0x20 && c <= 0x7e) || c == 0x85 ||
	    (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) ||
	    (c >= 0x10000 && c <= 0x10ffff);
}

/*
 * A double-quoted YAML string that reads back to the same bytes: escapes
 * stand for code points, and libyaml encodes them back as UTF-8.  Bytes
 * that are not UTF-8 cannot be written (errno EILSEQ).
 */
static int
yq(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *q;
	long c;

	if (!utf8_ok(p)) {
		errno = EILSEQ;
		return -1;
	}
	if (fputc('"', f) == EOF)
		return -1;
	while (*p) {
		q = p;
		c = utf8_next(&p);
		if (c == '"' || c == '\\') {
			if (fputc('\\', f) == EOF || fputc((int)c, f) == EOF)
				return -1;
		} else if (!yaml_printable(c)) {
			if (fprintf(f, c > 0xffff ? "\\U%08lx" : "\\u%04lx",
			    (unsigned long)c) < 0)
				return -1;
		} else if (fwrite(q, 1, (size_t)(p - q), f) != (size_t)(p - q))
			return -1;
	}
	return fputc('"', f) == EOF ? -1 : 0;
}

/* Printable ASCII only, for comments. */
static int
plain_ascii(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

static int
yq_list(FILE *f, char *const *v, size_t n)
{
	size_t i;

	if (fputc('[', f) == EOF)
		return -1;
	for (i = 0; i < n; i++)
		if ((i > 0 && fputs(", ", f) == EOF) || yq(f, v[i]) < 0)
			return -1;
	return fputc(']', f) == EOF ? -1 : 0;
}

static int
write_rule(FILE *f, const struct acl_rule *r, const char *indent)
{
	if (fprintf(f, "%s- { ", indent) < 0)
		return -1;
	if (r->id != NULL && (fputs("id: ", f) == EOF || yq(f, r->id) < 0 ||
	    fputs(", ", f) == EOF))
		return -1;
	if (fprintf(f, "action: %s", r->ref.action == ACL_ALLOW ? "allow" :
	    "deny") < 0)
		return -1;
	switch (r->kind) {
	case ACL_K_BRE:
		if (fputs(", user: ", f) == EOF || yq(f, r->pat) < 0)
			return -1;
		break;
	case ACL_K_PCRE:
		if (fputs(", match: ", f) == EOF || yq(f, r->pat) < 0)
			return -1;
		break;
	case ACL_K_LIT:
		if (fputs(", users: ", f) == EOF ||
		    yq_list(f, r->names, r->nnames) < 0)
			return -1;
		break;
	default:
		break;
	}
	if (r->nfrom > 0 && (fputs(", from: ", f) == EOF ||
	    yq_list(f, r->from, r->nfrom) < 0))
		return -1;
	if (fputs(" }", f) == EOF)
		return -1;
	if (r->ref.line > 0 && plain_ascii(r->ref.file) &&
	    fprintf(f, "  # %s:%u:%u", r->ref.file, r->ref.line,
	    r->ref.col) < 0)
		return -1;
	return fputc('\n', f) == EOF ? -1 : 0;
}

static int
write_set(FILE *f, const struct acl_set *s, const char *indent)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (write_rule(f, &s->rules[i], indent) < 0)
			return -1;
	return 0;
}

static int
write_net(FILE *f, const struct acl_net *n)
{
	unsigned len = 0;
	uint32_t m = n->mask;

	while (m & 0x80000000u) {
		len++;
		m <<= 1;
	}
	return fprintf(f, "\"%u.%u.%u.%u/%u\"", n->addr >> 24,
	    n->addr >> 16 & 255, n->addr >> 8 & 255, n->addr & 255, len) < 0 ?
	    -1 : 0;
}

int
acl_write_yaml(const struct acl *a, FILE *f)
{
	size_t i, j;

	if (fputs("# talkd ACL policy, written by libacl; positions of the "
	    "rules' sources are\n# noted after each rule.\nversion: 1\n", f) ==
	    EOF || fprintf(f, "strict: %s\n", a->strict ? "true" : "false") < 0)
		return -1;
	if (a->nnets > 0 && fputs("networks:\n", f) == EOF)
		return -1;
	for (i = 0; i < a->nnets; i++) {
		if (fputs("  ", f) == EOF || yq(f, a->nets[i].name) < 0 ||
		    fputs(": [", f) == EOF)
			return -1;
		for (j = 0; j < a->nets[i].n; j++)
			if ((j > 0 && fputs(", ", f) == EOF) ||
			    write_net(f, &a->nets[i].nets[j]) < 0)
				return -1;
		if (fputs("]\n", f) == EOF)
			return -1;
	}
	if (fputs(a->site.n ? "site:\n" : "site: []\n", f) == EOF ||
	    write_set(f, &a->site, "  ") < 0)
		return -1;
	if (a->nusers > 0 && fputs("users:\n", f) == EOF)
		return -1;
	for (i = 0; i < a->nusers; i++)
		if (fputs("  ", f) == EOF || yq(f, a->users[i].user) < 0 ||
		    fputs(a->users[i].set.n ? ":\n" : ": []\n", f) == EOF ||
		    write_set(f, &a->users[i].set, "    ") < 0)
			return -1;
	if (a->ntrcs > 0 && fputs("talkrc:\n", f) == EOF)
		return -1;
	for (i = 0; i < a->ntrcs; i++) {
		const struct acl_trc *t = &a->trcs[i];
		const struct acl *rc = t->rc;

		if (fputs("  ", f) == EOF || yq(f, t->user) < 0 ||
		    fputs(":\n    file: ", f) == EOF || yq(f, rc->file) < 0 ||
		    fprintf(f, "\n    status: %s\n", rc->forced < 0 ? "ok" :
		    acl_reason_str((enum acl_reason)rc->forced)) < 0 ||
		    fprintf(f, "    stamp: { dev: \"%" PRIu64 "\", ino: \"%"
		    PRIu64 "\", size: \"%" PRIu64 "\", mtime_ns: \"%" PRId64
		    "\", ctime_ns: \"%" PRId64 "\" }\n", t->stamp.dev,
		    t->stamp.ino, t->stamp.size, t->stamp.mtime_ns,
		    t->stamp.ctime_ns) < 0)
			return -1;
		if (rc->forced >= 0 || rc->site.n == 0) {
			if (fputs("    rules: []\n", f) == EOF)
				return -1;
		} else if (fputs("    rules:\n", f) == EOF ||
		    write_set(f, &rc->site, "      ") < 0)
			return -1;
	}
	if (a->ntests > 0 && fputs("tests:\n", f) == EOF)
		return -1;
	for (i = 0; i < a->ntests; i++) {
		const struct acl_test *t = &a->tests[i].t;

		if (fputs("  - { caller: ", f) == EOF || yq(f, t->caller) < 0 ||
		    fputs(", callee: ", f) == EOF || yq(f, t->callee) < 0 ||
		    fprintf(f, ", from: \"%u.%u.%u.%u\", expect: %s }\n",
		    t->addr >> 24, t->addr >> 16 & 255, t->addr >> 8 & 255,
		    t->addr & 255, t->expect_allow ? "allow" : "deny") < 0)
			return -1;
	}
	return fflush(f) == EOF || ferror(f) ? -1 : 0;
}
