/*
 * The legacy rule format shared by the site file (talkd -a) and ~/.talkrc:
 *
 *	allow|deny USER-EXP [NET-EXP ...]
 *
 * Blank lines and lines whose first non-blank character is # are ignored;
 * a token may be quoted with "..." or '...'; lines may end in CR LF and
 * have any length up to ACL_LINE_MAX.  USER-EXP is a POSIX basic regular
 * expression (acl_bre.c).  NET-EXP is any, a.b.c.d, a.b.c.d/len or
 * a.b.c.d/m.m.m.m, strictly: four decimal octets, no short or octal forms,
 * contiguous masks only.  Any bad line rejects the whole file; up to
 * ACL_MAX_ERRS errors are reported, each with file:line:col.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "acl/acl_int.h"

#define MAX_TOKENS 4096

/* 1-based column of byte off in line; a tab advances to the next 8. */
unsigned
acl_col(const char *line, size_t off)
{
	unsigned col = 1;
	size_t i;

	for (i = 0; i < off; i++)
		col = line[i] == '\t' ? ((col - 1) / 8 + 1) * 8 + 1 : col + 1;
	return col;
}

/* Exactly four decimal octets 0-255, without leading zeros. */
int
acl_ipv4_parse(const char *s, size_t len, uint32_t *addr)
{
	uint32_t a = 0;
	size_t i = 0;
	int oct, digits;

	for (oct = 0; oct < 4; oct++) {
		unsigned v = 0;

		if (oct > 0) {
			if (i >= len || s[i] != '.')
				return -1;
			i++;
		}
		for (digits = 0; i < len && s[i] >= '0' && s[i] <= '9';
		    digits++, i++) {
			if (digits == 3)
				return -1;
			v = v * 10 + (unsigned)(s[i] - '0');
		}
		if (digits == 0 || v > 255 || (digits > 1 && s[i - digits] ==
		    '0'))
			return -1;
		a = a << 8 | v;
	}
	if (i != len)
		return -1;
	*addr = a;
	return 0;
}

static int msgf(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
msgf(char *msg, size_t msgsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, msgsz, fmt, ap) < 0 && msgsz > 0)
		msg[0] = '\0';
	va_end(ap);
	return -1;
}

int
acl_net_parse(const char *tok, struct acl_net *net, size_t *erroff,
    char *msg, size_t msgsz)
{
	const char *slash = strchr(tok, '/'), *m;
	size_t alen = slash ? (size_t)(slash - tok) : strlen(tok);
	uint32_t addr, mask, inv;
	unsigned len;

	*erroff = 0;
	if (strcmp(tok, "any") == 0) {
		net->addr = net->mask = 0;
		return 0;
	}
	if (acl_ipv4_parse(tok, alen, &addr) < 0)
		return msgf(msg, msgsz, "invalid network \"%.64s\" (expected "
		    "any, or an IPv4 address of four decimal numbers 0-255 "
		    "with an optional /len or /mask)", tok);
	if (slash == NULL)
		mask = 0xffffffffu;
	else {
		m = slash + 1;
		*erroff = alen + 1;
		if (strchr(m, '.') != NULL) {
			if (acl_ipv4_parse(m, strlen(m), &mask) < 0)
				return msgf(msg, msgsz, "invalid netmask \"%.64s"
				    "\" (expected a length 0-32 or a dotted "
				    "mask like 255.255.255.0)", m);
			inv = ~mask;
			if ((inv & (inv + 1)) != 0)
				return msgf(msg, msgsz, "non-contiguous netmask"
				    " \"%.64s\" (the ones must come first)", m);
		} else {
			if (m[0] < '0' || m[0] > '9' || strlen(m) > 2 ||
			    (m[1] != '\0' && (m[1] < '0' || m[1] > '9')) ||
			    (m[0] == '0' && m[1] != '\0'))
				return msgf(msg, msgsz, "invalid prefix length "
				    "\"%.64s\" (expected 0 to 32)", m);
			len = (unsigned)(m[0] - '0');
			if (m[1] != '\0')
				len = len * 10 + (unsigned)(m[1] - '0');
			if (len > 32)
				return msgf(msg, msgsz, "invalid prefix length "
				    "\"%.64s\" (expected 0 to 32)", m);
			mask = len == 0 ? 0 : 0xffffffffu << (32 - len);
		}
	}
	net->addr = addr & mask;
	net->mask = mask;
	return 0;
}

/* A network name: a letter or _, then letters, digits, _ - .; not any. */
int
acl_net_name_ok(const char *s)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	    s[0] == '_') || strcmp(s, "any") == 0 || strlen(s) > ACL_NAME_MAX)
		return 0;
	for (i = 1; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return 0;
	return 1;
}

struct ltok {
	char *s;
	size_t off;			/* offset of the text in the line */
};

/*
 * Split a line into at most max tokens (t has room for max); on error
 * fills *erroff and msg.
 */
static int
tokenize(const char *l, size_t n, struct ltok *t, size_t max, size_t *nt,
    size_t *erroff, char *msg, size_t msgsz)
{
	size_t i = 0, s;
	char q;

	*nt = 0;
	for (;;) {
		while (i < n && (l[i] == ' ' || l[i] == '\t'))
			i++;
		if (i >= n)
			return 0;
		if (*nt == max) {
			*erroff = i;
			return msgf(msg, msgsz, "%s", "too many fields");
		}
		if (l[i] == '"' || l[i] == '\'') {
			q = l[i];
			s = ++i;
			while (i < n && l[i] != q)
				i++;
			if (i >= n) {
				*erroff = s - 1;
				return msgf(msg, msgsz, "unterminated %s quote",
				    q == '"' ? "\"" : "'");
			}
			t[*nt].off = s;
			t[*nt].s = acl_strndup(l + s, i - s);
			i++;
			if (i < n && l[i] != ' ' && l[i] != '\t') {
				free(t[*nt].s);
				*erroff = i;
				return msgf(msg, msgsz, "%s", "text right after "
				    "a closing quote (put a space between "
				    "fields)");
			}
		} else {
			s = i;
			while (i < n && l[i] != ' ' && l[i] != '\t') {
				if (l[i] == '"' || l[i] == '\'') {
					*erroff = i;
					return msgf(msg, msgsz, "%s", "quote "
					    "inside a field (quote the whole "
					    "field)");
				}
				i++;
			}
			t[*nt].off = s;
			t[*nt].s = acl_strndup(l + s, i - s);
		}
		if (t[*nt].s == NULL) {
			*erroff = s;
			return msgf(msg, msgsz, "%s", "out of memory");
		}
		(*nt)++;
	}
}

static int
rule_from_tokens(struct acl *a, const char *l, size_t lineno,
    struct ltok *t, size_t nt, struct acl_errs *es)
{
	const char *file = a->file;
	struct acl_rule *r;
	char msg[200];
	size_t i, off;

	if (strcmp(t[0].s, "allow") != 0 && strcmp(t[0].s, "deny") != 0) {
		acl_errf(es, file, (unsigned)lineno, acl_col(l, t[0].off),
		    "unknown action \"%.64s\" (expected allow or deny)",
		    t[0].s);
		return -1;
	}
	if (nt < 2) {
		acl_errf(es, file, (unsigned)lineno,
		    acl_col(l, t[0].off + strlen(t[0].s)),
		    "missing user pattern after \"%s\" (expected %s "
		    "USER-EXP [NET-EXP ...])", t[0].s, t[0].s);
		return -1;
	}
	if ((r = acl_set_add(&a->site)) == NULL)
		goto oom;
	r->ref.line = (unsigned)lineno;
	r->ref.col = acl_col(l, t[0].off);
	r->ref.action = t[0].s[0] == 'a' ? ACL_ALLOW : ACL_DENY;
	r->kind = ACL_K_BRE;
	r->pat = t[1].s;
	r->pline = (unsigned)lineno;
	r->pcol = acl_col(l, t[1].off);
	t[1].s = NULL;
	if (acl_rule_compile(r, msg, sizeof msg, &off) < 0) {
		acl_errf(es, file, (unsigned)lineno, acl_col(l, t[1].off + off),
		    "%s", msg);
		return -1;
	}
	if (nt > 2) {
		r->from = calloc(nt - 2, sizeof *r->from);
		r->nets = calloc(nt - 2, sizeof *r->nets);
		if (r->from == NULL || r->nets == NULL)
			goto oom;
	}
	for (i = 2; i < nt; i++) {
		if (acl_net_parse(t[i].s, &r->nets[r->nnets], &off, msg,
		    sizeof msg) < 0) {
			acl_errf(es, file, (unsigned)lineno,
			    acl_col(l, t[i].off + off), "%s", msg);
			return -1;
		}
		r->nnets++;
		r->from[r->nfrom++] = t[i].s;
		t[i].s = NULL;
	}
	if (acl_rule_render(r) < 0)
		goto oom;
	return 0;
oom:
	acl_errf(es, file, (unsigned)lineno, 1, "out of memory");
	return -1;
}

static void
parse_line(struct acl *a, const char *l, size_t n, size_t lineno,
    struct acl_errs *es)
{
	struct ltok *t;
	size_t i, nt = 0, off = 0, max;
	char msg[200];

	while (n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\t' ||
	    l[n - 1] == '\r' || l[n - 1] == '\v' || l[n - 1] == '\f'))
		n--;
	for (i = 0; i < n && (l[i] == ' ' || l[i] == '\t'); i++)
		;
	if (i == n || l[i] == '#')
		return;
	if (memchr(l, '\0', n) != NULL) {
		acl_errf(es, a->file, (unsigned)lineno, acl_col(l,
		    (size_t)((const char *)memchr(l, '\0', n) - l)),
		    "NUL byte in line");
		return;
	}
	if (n > ACL_LINE_MAX) {
		acl_errf(es, a->file, (unsigned)lineno, 1,
		    "line longer than %u bytes", ACL_LINE_MAX);
		return;
	}
	/* A field and the blank after it take two bytes at least. */
	max = n / 2 + 1 < MAX_TOKENS ? n / 2 + 1 : MAX_TOKENS;
	t = calloc(max, sizeof *t);
	if (t == NULL) {
		acl_errf(es, a->file, (unsigned)lineno, 1, "out of memory");
		return;
	}
	if (tokenize(l, n, t, max, &nt, &off, msg, sizeof msg) < 0)
		acl_errf(es, a->file, (unsigned)lineno, acl_col(l, off), "%s",
		    msg);
	else
		rule_from_tokens(a, l, lineno, t, nt, es);
	for (i = 0; i < nt; i++)
		free(t[i].s);
	free(t);
}

/* A file named .talkrc (also "~user/.talkrc"): the ~/.talkrc limits. */
int
acl_is_talkrc(const char *name)
{
	const char *base = strrchr(name, '/');

	return strcmp(base != NULL ? base + 1 : name, ".talkrc") == 0;
}

/*
 * At most ACL_TALKRC_RULES_MAX rules in a ~/.talkrc, ACL_SITE_RULES_MAX in
 * any other file: the error points at the first rule over the limit.
 */
void
acl_rules_limit(const struct acl_set *s, const char *name,
    struct acl_errs *es)
{
	size_t max = acl_is_talkrc(name) ? ACL_TALKRC_RULES_MAX :
	    ACL_SITE_RULES_MAX;
	const struct acl_rule *r;

	if (s->n <= max)
		return;
	r = &s->rules[max];
	acl_errf(es, name, r->ref.line, r->ref.col, "more than %zu rules "
	    "(the limit of %s)", max, max == ACL_SITE_RULES_MAX ?
	    "a policy file" : "a ~/.talkrc");
}

int
acl_parse_legacy(const char *name, const char *buf, size_t len,
    struct acl **out, struct acl_errs *es)
{
	struct acl *a;
	const char *nl;
	size_t pos = 0, end, lineno = 1;

	*out = NULL;
	if ((a = acl_new(name)) == NULL) {
		acl_errf(es, name, 0, 0, "out of memory");
		return -1;
	}
	if (len > ACL_FILE_MAX)
		acl_errf(es, name, 0, 0, "file larger than %u bytes",
		    ACL_FILE_MAX);
	else if (acl_is_talkrc(name) && len > ACL_TALKRC_MAX)
		acl_errf(es, name, 0, 0, "a ~/.talkrc larger than %d bytes",
		    ACL_TALKRC_MAX);
	while (pos < len && es->n < ACL_MAX_ERRS) {
		nl = memchr(buf + pos, '\n', len - pos);
		end = nl ? (size_t)(nl - buf) : len;
		parse_line(a, buf + pos, end - pos, lineno, es);
		pos = end + 1;
		lineno++;
	}
	if (es->n == 0)
		acl_rules_limit(&a->site, name, es);
	if (es->n == 0 && acl_set_index(&a->site) < 0)
		acl_errf(es, name, 0, 0, "out of memory");
	if (es->n > 0) {
		acl_free(a);
		return -1;
	}
	*out = a;
	return 0;
}
