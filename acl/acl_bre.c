/*
 * POSIX basic regular expressions, as glibc regcomp(3) with cflags 0 reads
 * them in the C locale, translated to PCRE2 syntax.
 *
 * The parser follows glibc's grammar decision by decision (which `*` is
 * literal, where `^` and `$` anchor, which back-references are valid, which
 * repetitions are errors), so a pattern compiles here exactly when regcomp
 * accepts it, and the PCRE2 pattern matches the same subjects.  Everything
 * is emitted in a form PCRE2 cannot misread: literals other than letters
 * and digits as \x{hh}, bracket expressions as explicit byte sets, anchors
 * as \A and \z.  tests/unit/test_acl_bre.c checks this against regcomp.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "acl/acl_int.h"

#define BRE_DUP_MAX	0x7fff		/* glibc RE_DUP_MAX */
#define BRE_NEST_MAX	200
#define BRE_NAME_MAX	32		/* glibc BRACKET_NAME_BUF_SIZE */

enum tok {
	T_END, T_CHAR, T_BACKSLASH, T_ALT, T_BACKREF, T_OPEN, T_CLOSE,
	T_STAR, T_PLUS, T_QUEST, T_OPEN_DUP, T_CLOSE_DUP, T_BRACKET, T_DOT,
	T_ANCHOR, T_CLASS
};

struct token {
	enum tok type;
	unsigned char c;		/* T_CHAR etc.: the byte it stands for */
	const char *emit;		/* T_ANCHOR, T_CLASS: PCRE2 text */
	size_t pos, len;
};

struct bre {
	const unsigned char *s;
	size_t len, pos;
	struct token tok;
	char *out;
	unsigned *map;			/* out byte -> pattern offset */
	size_t n, cap;
	int oom;
	unsigned ngroups, completed;	/* completed: bit g for group g <= 9 */
	int err;
	size_t erroff;
	char *msg;
	size_t msgsz;
};

#define W "[0-9A-Za-z_]"
#define NW "[^0-9A-Za-z_]"

static int
bre_fail(struct bre *b, size_t off, const char *m)
{
	if (!b->err) {
		b->err = 1;
		b->erroff = off;
		if (snprintf(b->msg, b->msgsz, "%s", m) < 0 && b->msgsz > 0)
			b->msg[0] = '\0';
	}
	return -1;
}

static void
emit_at(struct bre *b, size_t at, const char *s, size_t n, size_t src)
{
	size_t i;

	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 64) + n;
		char *o = realloc(b->out, cap);
		unsigned *m;

		if (o == NULL) {
			b->oom = 1;
			return;
		}
		b->out = o;
		m = realloc(b->map, cap * sizeof *m);
		if (m == NULL) {
			b->oom = 1;
			return;
		}
		b->map = m;
		b->cap = cap;
	}
	memmove(b->out + at + n, b->out + at, b->n - at);
	memmove(b->map + at + n, b->map + at, (b->n - at) * sizeof *b->map);
	memcpy(b->out + at, s, n);
	for (i = 0; i < n; i++)
		b->map[at + i] = (unsigned)src;
	b->n += n;
	b->out[b->n] = '\0';
}

static void
emit(struct bre *b, const char *s, size_t src)
{
	emit_at(b, b->n, s, strlen(s), src);
}

static void
emit_byte(struct bre *b, unsigned c, size_t src)
{
	char x[8];

	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z')) {
		x[0] = (char)c;
		x[1] = '\0';
	} else if (snprintf(x, sizeof x, "\\x{%02x}", c) != 6) {
		b->oom = 1;
		return;
	}
	emit(b, x, src);
}

/* glibc peek_token() with cflags 0: RE_SYNTAX_POSIX_BASIC, GNU operators. */
static void
peek(const struct bre *b, size_t pos, int caret_here, struct token *t)
{
	unsigned char c, c2;

	memset(t, 0, sizeof *t);
	t->pos = pos;
	t->len = 1;
	if (pos >= b->len) {
		t->type = T_END;
		t->len = 0;
		return;
	}
	c = b->s[pos];
	t->c = c;
	t->type = T_CHAR;
	if (c == '\\') {
		if (pos + 1 >= b->len) {
			t->type = T_BACKSLASH;
			return;
		}
		c2 = b->s[pos + 1];
		t->c = c2;
		t->len = 2;
		switch (c2) {
		case '|': t->type = T_ALT; break;
		case '(': t->type = T_OPEN; break;
		case ')': t->type = T_CLOSE; break;
		case '+': t->type = T_PLUS; break;
		case '?': t->type = T_QUEST; break;
		case '{': t->type = T_OPEN_DUP; break;
		case '}': t->type = T_CLOSE_DUP; break;
		case '<': t->type = T_ANCHOR; t->emit = "(?<!" W ")(?=" W ")";
			break;
		case '>': t->type = T_ANCHOR; t->emit = "(?<=" W ")(?!" W ")";
			break;
		case 'b': t->type = T_ANCHOR;
			t->emit = "(?:(?<=" W ")(?!" W ")|(?<!" W ")(?=" W "))";
			break;
		case 'B': t->type = T_ANCHOR;
			t->emit = "(?:(?<=" W ")(?=" W ")|(?<!" W ")(?!" W "))";
			break;
		case '`': t->type = T_ANCHOR; t->emit = "\\A"; break;
		case '\'': t->type = T_ANCHOR; t->emit = "\\z"; break;
		case 'w': t->type = T_CLASS; t->emit = W; break;
		case 'W': t->type = T_CLASS; t->emit = NW; break;
		case 's': t->type = T_CLASS; t->emit = "[\\t\\n\\x0b\\f\\r ]";
			break;
		case 'S': t->type = T_CLASS; t->emit = "[^\\t\\n\\x0b\\f\\r ]";
			break;
		default:
			if (c2 >= '1' && c2 <= '9')
				t->type = T_BACKREF;
			break;
		}
		return;
	}
	switch (c) {
	case '*': t->type = T_STAR; break;
	case '[': t->type = T_BRACKET; break;
	case '.': t->type = T_DOT; break;
	case '^':
		if (caret_here || pos == 0) {
			t->type = T_ANCHOR;
			t->emit = "\\A";
		}
		break;
	case '$':
		/*
		 * An anchor at the end and before \| or \).  glibc reads the
		 * next token to tell, which for a $ reads the one after it:
		 * a run of n $ took n * n / 2 steps.  Those two tokens are
		 * two bytes, so look at the bytes.
		 */
		if (pos + 1 != b->len && (pos + 2 >= b->len ||
		    b->s[pos + 1] != '\\' ||
		    (b->s[pos + 2] != '|' && b->s[pos + 2] != ')')))
			break;
		t->type = T_ANCHOR;
		t->emit = "\\z";
		break;
	default:
		break;
	}
}

static void
fetch(struct bre *b, int caret_here)
{
	peek(b, b->pos, caret_here, &b->tok);
	b->pos += b->tok.len;
}

/* ---- bracket expressions ------------------------------------------------ */

enum btok { B_END, B_CHAR, B_RANGE, B_CLOSE, B_NONMATCH, B_COLL, B_EQUIV,
	B_CLASS };

struct belem {
	enum { E_CHAR, E_COLL, E_EQUIV, E_CLASS } type;
	unsigned char c;
	char name[BRE_NAME_MAX + 1];
};

static enum btok
bpeek(const struct bre *b, size_t pos, unsigned char *c, size_t *len)
{
	*len = 1;
	if (pos >= b->len) {
		*len = 0;
		return B_END;
	}
	*c = b->s[pos];
	if (*c == '[' && pos + 1 < b->len) {
		*len = 2;
		switch (b->s[pos + 1]) {
		case '.': return B_COLL;
		case '=': return B_EQUIV;
		case ':': return B_CLASS;
		default: *len = 1; return B_CHAR;
		}
	}
	switch (*c) {
	case '-': return B_RANGE;
	case ']': return B_CLOSE;
	case '^': return B_NONMATCH;
	default: return B_CHAR;
	}
}

/* The C locale's character classes, independent of setlocale(). */
static int
in_class(const char *name, unsigned c)
{
	int lo = c >= 'a' && c <= 'z', up = c >= 'A' && c <= 'Z';
	int dg = c >= '0' && c <= '9', gr = c > 32 && c < 127;

	if (strcmp(name, "alpha") == 0) return lo || up;
	if (strcmp(name, "upper") == 0) return up;
	if (strcmp(name, "lower") == 0) return lo;
	if (strcmp(name, "digit") == 0) return dg;
	if (strcmp(name, "alnum") == 0) return lo || up || dg;
	if (strcmp(name, "xdigit") == 0)
		return dg || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
	if (strcmp(name, "space") == 0)
		return c == ' ' || (c >= '\t' && c <= '\r');
	if (strcmp(name, "blank") == 0) return c == ' ' || c == '\t';
	if (strcmp(name, "punct") == 0) return gr && !(lo || up || dg);
	if (strcmp(name, "print") == 0) return gr || c == ' ';
	if (strcmp(name, "graph") == 0) return gr;
	if (strcmp(name, "cntrl") == 0) return c < 32 || c == 127;
	return -1;
}

/* glibc parse_bracket_element() and parse_bracket_symbol(). */
static int
belement(struct bre *b, enum btok t, unsigned char c, size_t len,
    int accept_hyphen, struct belem *e)
{
	size_t start = b->pos, i;
	unsigned char delim;

	b->pos += len;
	memset(e, 0, sizeof *e);
	if (t == B_COLL || t == B_EQUIV || t == B_CLASS) {
		delim = b->s[start + 1];
		if (b->pos >= b->len)
			return bre_fail(b, start, "unterminated [ (missing ])");
		for (i = 0;; i++) {
			unsigned char ch;

			if (i >= BRE_NAME_MAX)
				return bre_fail(b, start,
				    "unterminated [ (missing ])");
			ch = b->s[b->pos++];
			if (b->pos >= b->len)
				return bre_fail(b, start,
				    "unterminated [ (missing ])");
			if (ch == delim && b->s[b->pos] == ']')
				break;
			e->name[i] = (char)ch;
		}
		b->pos++;
		e->type = t == B_COLL ? E_COLL : t == B_EQUIV ? E_EQUIV :
		    E_CLASS;
		if (e->type != E_CLASS && strlen(e->name) != 1)
			return bre_fail(b, start, "invalid collating element"
			    " (only single characters exist in the C locale)");
		if (e->type == E_CLASS && in_class(e->name, 'a') < 0)
			return bre_fail(b, start, "unknown character class"
			    " (expected alpha, digit, alnum, upper, lower, "
			    "space, blank, punct, print, graph, cntrl or "
			    "xdigit)");
		e->c = (unsigned char)e->name[0];
		return 0;
	}
	if (t == B_RANGE && !accept_hyphen) {
		unsigned char c2;
		size_t l2;

		if (bpeek(b, b->pos, &c2, &l2) != B_CLOSE)
			return bre_fail(b, start, "invalid range: a - in a "
			    "bracket expression must come first or last");
	}
	e->type = E_CHAR;
	e->c = c;
	return 0;
}

static void
emit_set(struct bre *b, const unsigned char set[256], size_t src)
{
	unsigned i, j, cnt = 0;
	char x[32];

	for (i = 0; i < 256; i++)
		cnt += set[i];
	if (cnt == 0) {
		emit(b, "(?!)", src);
		return;
	}
	emit(b, "[", src);
	for (i = 0; i < 256; i = j) {
		if (!set[i]) {
			j = i + 1;
			continue;
		}
		for (j = i; j < 256 && set[j]; j++)
			;
		if (j - 1 == i)
			cnt = (unsigned)snprintf(x, sizeof x, "\\x{%02x}", i);
		else
			cnt = (unsigned)snprintf(x, sizeof x,
			    "\\x{%02x}-\\x{%02x}", i, j - 1);
		if (cnt >= sizeof x) {
			b->oom = 1;
			return;
		}
		emit(b, x, src);
	}
	emit(b, "]", src);
}

/* glibc parse_bracket_exp(); b->pos is just after '['. */
static int
bracket(struct bre *b)
{
	unsigned char set[256], c = 0, c2 = 0;
	size_t open = b->pos - 1, len, len2;
	enum btok t, t2;
	int non_match = 0, first = 1, is_range;
	struct belem se, ee;
	unsigned i;

	memset(set, 0, sizeof set);
	t = bpeek(b, b->pos, &c, &len);
	if (t == B_END)
		return bre_fail(b, open, "unterminated [ (missing ])");
	if (t == B_NONMATCH) {
		non_match = 1;
		b->pos += len;
		t = bpeek(b, b->pos, &c, &len);
		if (t == B_END)
			return bre_fail(b, open, "unterminated [ (missing ])");
	}
	if (t == B_CLOSE)
		t = B_CHAR;
	for (;;) {
		if (belement(b, t, c, len, first, &se) < 0)
			return -1;
		first = 0;
		t = bpeek(b, b->pos, &c, &len);
		is_range = 0;
		if (se.type != E_CLASS && se.type != E_EQUIV) {
			if (t == B_END)
				return bre_fail(b, open,
				    "unterminated [ (missing ])");
			if (t == B_RANGE) {
				b->pos += len;
				t2 = bpeek(b, b->pos, &c2, &len2);
				if (t2 == B_END)
					return bre_fail(b, open,
					    "unterminated [ (missing ])");
				if (t2 == B_CLOSE) {
					b->pos -= len;
					t = B_CHAR;
				} else
					is_range = 1;
			}
		}
		if (is_range) {
			size_t at = b->pos;

			if (belement(b, t2, c2, len2, 1, &ee) < 0)
				return -1;
			t = bpeek(b, b->pos, &c, &len);
			if (se.type == E_CLASS || se.type == E_EQUIV ||
			    ee.type == E_CLASS || ee.type == E_EQUIV)
				return bre_fail(b, at, "invalid range end"
				    " (a class cannot end a range)");
			if (se.c > ee.c)
				return bre_fail(b, at, "invalid range: the "
				    "start is after the end");
			for (i = se.c; i <= ee.c; i++)
				set[i] = 1;
		} else if (se.type == E_CLASS) {
			for (i = 0; i < 256; i++)
				if (in_class(se.name, i) > 0)
					set[i] = 1;
		} else
			set[se.c] = 1;
		if (t == B_END)
			return bre_fail(b, open, "unterminated [ (missing ])");
		if (t == B_CLOSE)
			break;
	}
	b->pos += len;
	if (non_match)
		for (i = 0; i < 256; i++)
			set[i] = !set[i];
	emit_set(b, set, open);
	return 0;
}

/* ---- the grammar: glibc parse_reg_exp/branch/expression/dup_op ---------- */

static int reg_exp(struct bre *b, unsigned nest);

/* glibc fetch_number(): -1 none, -2 invalid, else the number (capped). */
static long
fetch_number(struct bre *b)
{
	long num = -1;

	for (;;) {
		fetch(b, 0);
		if (b->tok.type == T_END)
			return -2;
		if (b->tok.type == T_CLOSE_DUP ||
		    (b->tok.type == T_CHAR && b->tok.c == ','))
			break;
		if (b->tok.type != T_CHAR || b->tok.c < '0' ||
		    b->tok.c > '9' || num == -2)
			num = -2;
		else if (num == -1)
			num = b->tok.c - '0';
		else {
			num = num * 10 + (b->tok.c - '0');
			if (num > BRE_DUP_MAX + 1)
				num = BRE_DUP_MAX + 1;
		}
	}
	return num;
}

static int
dup_op(struct bre *b, size_t atom)
{
	struct token op = b->tok;
	long start, end;
	char q[32];
	int n;

	if (op.type == T_OPEN_DUP) {
		start = fetch_number(b);
		if (start == -1) {
			if (b->tok.type == T_CHAR && b->tok.c == ',')
				start = 0;
			else
				return bre_fail(b, op.pos, "invalid interval"
				    " \\{\\} (expected \\{m\\}, \\{m,\\} or "
				    "\\{m,n\\})");
		}
		end = -2;
		if (start != -2) {
			if (b->tok.type == T_CLOSE_DUP)
				end = start;
			else if (b->tok.type == T_CHAR && b->tok.c == ',')
				end = fetch_number(b);
		}
		if (start == -2 || end == -2) {
			if (b->tok.type == T_END)
				return bre_fail(b, op.pos,
				    "unterminated \\{ (missing \\})");
			return bre_fail(b, op.pos, "invalid interval (expected"
			    " \\{m\\}, \\{m,\\} or \\{m,n\\} with decimal "
			    "numbers)");
		}
		if ((end != -1 && start > end) || b->tok.type != T_CLOSE_DUP)
			return bre_fail(b, op.pos, "invalid interval (the "
			    "minimum is greater than the maximum)");
		if ((end == -1 ? start : end) > BRE_DUP_MAX)
			return bre_fail(b, op.pos, "interval count too large"
			    " (at most 32767)");
		if (end == -1)
			n = snprintf(q, sizeof q, "{%ld,}", start);
		else if (start == end)
			n = snprintf(q, sizeof q, "{%ld}", start);
		else
			n = snprintf(q, sizeof q, "{%ld,%ld}", start, end);
		if (n < 0 || (size_t)n >= sizeof q)
			return bre_fail(b, op.pos, "interval too long");
	} else {
		q[0] = op.type == T_STAR ? '*' : op.type == T_PLUS ? '+' : '?';
		q[1] = '\0';
	}
	emit_at(b, atom, "(?:", 3, op.pos);
	emit(b, ")", op.pos);
	emit(b, q, op.pos);
	fetch(b, 0);
	return 0;
}

static int
sub_exp(struct bre *b, unsigned nest)
{
	size_t open = b->tok.pos;
	unsigned g = ++b->ngroups;

	if (nest > BRE_NEST_MAX)
		return bre_fail(b, open, "groups nested too deeply");
	emit(b, "(", open);
	fetch(b, 1);
	if (b->tok.type != T_CLOSE) {
		if (reg_exp(b, nest) < 0)
			return -1;
		if (b->tok.type != T_CLOSE)
			return bre_fail(b, open, "unmatched \\( (missing \\))");
	}
	emit(b, ")", b->tok.pos);
	if (g <= 9)
		b->completed |= 1u << g;
	return 0;
}

/* Returns 1 when it parsed an atom, 0 at | or the end, -1 on error. */
static int
expression(struct bre *b, unsigned nest)
{
	struct token t = b->tok;
	size_t atom = b->n;
	char x[16];

	switch (t.type) {
	case T_END:
	case T_ALT:
		return 0;
	case T_BACKSLASH:
		return bre_fail(b, t.pos, "trailing backslash");
	case T_OPEN_DUP:
		return bre_fail(b, t.pos, "\\{ with nothing before it to "
		    "repeat");
	case T_CLOSE:
		return bre_fail(b, t.pos, "unmatched \\) (no \\( before it)");
	case T_BACKREF:
		if (!(b->completed & (1u << (t.c - '0'))))
			return bre_fail(b, t.pos, "back-reference to a group "
			    "that is not closed before it");
		if (snprintf(x, sizeof x, "(?:\\g{%c})", t.c) < 0)
			return -1;
		emit(b, x, t.pos);
		break;
	case T_OPEN:
		if (sub_exp(b, nest + 1) < 0)
			return -1;
		break;
	case T_BRACKET:
		if (bracket(b) < 0)
			return -1;
		break;
	case T_DOT:
		emit(b, "(?s:.)", t.pos);
		break;
	case T_CLASS:
		emit(b, t.emit, t.pos);
		break;
	case T_ANCHOR:
		/* glibc: an anchor takes no repetition; a * after it is
		 * a literal of the next expression. */
		emit(b, t.emit, t.pos);
		fetch(b, 0);
		return 1;
	default:			/* a literal, also * \+ \? \} here */
		emit_byte(b, t.c, t.pos);
		break;
	}
	fetch(b, 0);
	while (b->tok.type == T_STAR || b->tok.type == T_PLUS ||
	    b->tok.type == T_QUEST || b->tok.type == T_OPEN_DUP) {
		if (dup_op(b, atom) < 0)
			return -1;
		if (b->tok.type == T_STAR || b->tok.type == T_OPEN_DUP)
			return bre_fail(b, b->tok.pos, "repetition of a "
			    "repetition (write \\(...\\) around the first)");
	}
	return 1;
}

static int
branch(struct bre *b, unsigned nest)
{
	if (expression(b, nest) < 0)
		return -1;
	while (b->tok.type != T_ALT && b->tok.type != T_END &&
	    (nest == 0 || b->tok.type != T_CLOSE))
		if (expression(b, nest) < 0)
			return -1;
	return 0;
}

static int
reg_exp(struct bre *b, unsigned nest)
{
	unsigned initial = b->completed, acc;

	if (branch(b, nest) < 0)
		return -1;
	while (b->tok.type == T_ALT) {
		emit(b, "|", b->tok.pos);
		fetch(b, 1);
		if (b->tok.type != T_ALT && b->tok.type != T_END &&
		    (nest == 0 || b->tok.type != T_CLOSE)) {
			acc = b->completed;
			b->completed = initial;
			if (branch(b, nest) < 0)
				return -1;
			b->completed |= acc;
		}
	}
	return 0;
}

/*
 * Translate bre (len bytes) to a NUL-terminated PCRE2 pattern in *out with
 * map[i] = the pattern offset output byte i came from.  On a syntax error
 * returns -1 with *erroff and msg; *out and *map are NULL.
 */
int
acl_bre_to_pcre(const char *bre, size_t len, char **out, unsigned **map,
    size_t *erroff, char *msg, size_t msgsz)
{
	struct bre b;

	memset(&b, 0, sizeof b);
	b.s = (const unsigned char *)bre;
	b.len = len;
	b.msg = msg;
	b.msgsz = msgsz;
	*out = NULL;
	if (map)
		*map = NULL;
	*erroff = 0;
	if (len > ACL_PAT_MAX)
		bre_fail(&b, ACL_PAT_MAX, "pattern too long (at most 4096 "
		    "bytes)");
	else if (memchr(bre, '\0', len) != NULL)
		bre_fail(&b, (size_t)((const char *)memchr(bre, '\0', len) -
		    bre), "NUL byte in pattern");
	else {
		emit(&b, "", 0);	/* an empty pattern is valid */
		fetch(&b, 1);
		reg_exp(&b, 0);
	}
	if (b.oom && !b.err)
		bre_fail(&b, 0, "out of memory");
	if (b.err) {
		free(b.out);
		free(b.map);
		*erroff = b.erroff;
		return -1;
	}
	*out = b.out;
	if (map)
		*map = b.map;
	else
		free(b.map);
	return 0;
}

/*
 * A translated BRE without back-references is matched with
 * pcre2_dfa_match: it has no backtracking, so patterns like \(a*a*\)*b
 * cost polynomial time instead of hitting the match limit.  (The
 * translation only uses constructs the DFA matcher supports.)
 */
int
acl_bre_dfa(const pcre2_code *re)
{
	uint32_t n = 1;

	return pcre2_pattern_info(re, PCRE2_INFO_BACKREFMAX, &n) == 0 &&
	    n == 0;
}

#define DFA_WS		512	/* ints: bounds the DFA's active states */
#define FIRST_LIMIT	8	/* match-limit steps of the first try */
#define FRAME_UNIT	512	/* frame bytes that cost one more unit */

/*
 * Charge n units to *left; 0 when they are not there (nothing charged).
 */
static int
charge(unsigned long *left, unsigned long n)
{
	if (n > *left)
		return 0;
	*left -= n;
	return 1;
}

/*
 * Match within a budget of *left units (ACL_BUDGET per decision, see
 * acl.h): 1 match, 0 no match, -1 not decided within it (or a PCRE2
 * limit or error).  Every try is charged what it may cost, not what it
 * did: pcre2_match with match limit L costs L units times the weight of
 * the pattern's backtracking frame; pcre2_dfa_match costs ACL_DFA_BYTE
 * units per subject byte (its work per byte is bounded by DFA_WS).  The
 * tries double the limit from FIRST_LIMIT, so a pattern that needs L
 * steps is charged less than 2L + 8; ordinary patterns need 1 to 30.
 * Where the pattern allows it, the DFA runs once, as soon as it is the
 * cheaper next try; when it runs out of workspace the doubling goes on,
 * until what remains is spent.
 */
int
acl_re_run(const pcre2_code *re, pcre2_match_data *md,
    pcre2_match_context *mc, int dfa, const char *s, size_t len,
    unsigned long *left)
{
	int ws[DFA_WS], rc;
	size_t fs = 0;
	unsigned long w, lim = FIRST_LIMIT, n;
	unsigned long dfa_cost = ((unsigned long)len + 1) * ACL_DFA_BYTE;

	if (pcre2_pattern_info(re, PCRE2_INFO_FRAMESIZE, &fs) != 0)
		fs = 0;
	w = 1 + fs / FRAME_UNIT;
	for (;;) {
		if (dfa && lim * w >= dfa_cost) {
			dfa = 0;
			if (!charge(left, dfa_cost))
				return -1;
			pcre2_set_match_limit(mc, UINT32_MAX);
			rc = pcre2_dfa_match(re, (PCRE2_SPTR)s, len, 0,
			    PCRE2_DFA_SHORTEST, md, mc, ws, DFA_WS);
			if (rc >= 0)
				return 1;
			if (rc == PCRE2_ERROR_NOMATCH)
				return 0;
			if (rc != PCRE2_ERROR_DFA_WSSIZE)
				return -1;
		}
		n = lim * w;
		if (n > *left) {
			lim = *left / w;
			n = lim * w;
		}
		if (lim == 0 || !charge(left, n))
			return -1;
		pcre2_set_match_limit(mc, (uint32_t)lim);
		rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, mc);
		if (rc >= 0)
			return 1;
		if (rc == PCRE2_ERROR_NOMATCH)
			return 0;
		if (rc != PCRE2_ERROR_MATCHLIMIT || *left == 0)
			return -1;
		lim *= 2;
	}
}

/* One match with a whole decision's budget to itself; mc may be NULL. */
int
acl_re_exec(const pcre2_code *re, pcre2_match_data *md,
    pcre2_match_context *mc, int dfa, const char *s, size_t len)
{
	pcre2_match_context *own = NULL;
	unsigned long left = ACL_BUDGET;
	int rc;

	if (mc == NULL && (mc = own = pcre2_match_context_create(NULL)) ==
	    NULL)
		return -1;
	rc = acl_re_run(re, md, mc, dfa, s, len, &left);
	pcre2_match_context_free(own);
	return rc;
}

/* Translate and compile; offsets of PCRE2 errors map back to the BRE. */
int
acl_bre_compile(const char *bre, pcre2_code **re, size_t *erroff, char *msg,
    size_t msgsz)
{
	char *pat;
	unsigned *map;
	int ec;
	PCRE2_SIZE eo;
	PCRE2_UCHAR buf[160];
	size_t n;

	*re = NULL;
	if (acl_bre_to_pcre(bre, strlen(bre), &pat, &map, erroff, msg,
	    msgsz) < 0)
		return -1;
	*re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
	    PCRE2_NEVER_UTF | PCRE2_NEVER_UCP, &ec, &eo, NULL);
	if (*re == NULL) {
		n = strlen(pat);
		*erroff = n == 0 ? 0 : map[eo < n ? eo : n - 1];
		if (pcre2_get_error_message(ec, buf, sizeof buf) < 0)
			buf[0] = '\0';
		if (snprintf(msg, msgsz, "regular expression: %s",
		    (const char *)buf) < 0 && msgsz > 0)
			msg[0] = '\0';
	}
	free(pat);
	free(map);
	return *re == NULL ? -1 : 0;
}
