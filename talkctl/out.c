/* talkctl's output module (see out.h and talkctl(8), ESCAPING). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "talkctl/talkctl.h"
#include "talkctl/out.h"
#include "talkctl/tc_acl.h"

/* ---- terminal ---------------------------------------------------------------- */

/* How one byte is shown: into out (at least 5 bytes), returns its width. */
static size_t
esc_byte(unsigned char c, char *out)
{
	static const char hex[] = "0123456789abcdef";

	if (c == '\\') {
		memcpy(out, "\\\\", 3);
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		out[0] = (char)c;
		out[1] = '\0';
		return 1;
	}
	switch (c) {
	case '\n': memcpy(out, "\\n", 3); return 2;
	case '\r': memcpy(out, "\\r", 3); return 2;
	case '\t': memcpy(out, "\\t", 3); return 2;
	default: break;
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 0xf];
	out[4] = '\0';
	return 4;
}

/* Shown as it is: printable ASCII but the backslash. */
#define PLAIN(c)	((c) >= 0x20 && (c) < 0x7f && (c) != '\\')

void
tc_fput_esc_n(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	char e[5];
	size_t i, run;

	for (i = 0; i < n; i += run) {
		for (run = 0; i + run < n && PLAIN(p[i + run]); run++)
			;
		if (run > 0) {		/* a run of plain bytes at once */
			fwrite(p + i, 1, run, f);
			continue;
		}
		esc_byte(p[i], e);
		fputs(e, f);
		run = 1;
	}
}

void
tc_fput_esc(FILE *f, const char *s)
{
	if (s == NULL)
		s = "(null)";
	tc_fput_esc_n(f, s, strlen(s));
}

size_t
tc_esc_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char e[5];
	size_t w = 0;

	for (; *p != '\0'; p++)
		w += PLAIN(*p) ? 1 : esc_byte(*p, e);
	return w;
}

/* ---- JSON -------------------------------------------------------------------- */

/*
 * The length of the well-formed UTF-8 sequence at p (at most n bytes),
 * with its code point in *cp; 0 when it is ill-formed (Unicode table 3-7:
 * no overlong forms, no surrogates, nothing past U+10FFFF).
 */
static size_t
utf8_dec(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 1; i < len; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	*cp = c;
	return len;
}

/*
 * Characters a JSON string does not carry as they are: controls (a
 * terminal obeys C0 and C1), the line and paragraph separators (a line
 * end to JavaScript) and the bidirectional controls (they reorder what a
 * reader sees).
 */
static int
json_must_escape(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c ||
	    c == 0x200e || c == 0x200f || (c >= 0x2028 && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069);
}

/* One character of a JSON string from the bytes at p; bytes consumed. */
static size_t
json_char(FILE *f, const unsigned char *p, size_t n)
{
	uint32_t c;
	size_t len;

	if ((len = utf8_dec(p, n, &c)) == 0) {
		fputs("\\ufffd", f);
		return 1;
	}
	if (c == '"' || c == '\\')
		fprintf(f, "\\%c", (int)c);
	else if (c == '\n')
		fputs("\\n", f);
	else if (c == '\r')
		fputs("\\r", f);
	else if (c == '\t')
		fputs("\\t", f);
	else if (json_must_escape(c))
		fprintf(f, "\\u%04x", (unsigned)c);
	else
		fwrite(p, 1, len, f);
	return len;
}

void
tc_fput_json(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	n = strlen(s);
	putc('"', f);
	while (n > 0) {
		size_t k = json_char(f, p, n);

		p += k;
		n -= k;
	}
	putc('"', f);
}

/* The value of the \uXXXX escape at p, or -1 when p holds none. */
static long
u_escape(const unsigned char *p)
{
	static const char hex[] = "0123456789abcdef0123456789ABCDEF";
	const char *h;
	long v = 0;
	int i;

	if (p[0] != '\\' || p[1] != 'u')
		return -1;
	for (i = 2; i < 6; i++) {	/* stops at the NUL */
		if (p[i] == '\0' || (h = strchr(hex, p[i])) == NULL)
			return -1;
		v = v << 4 | ((h - hex) & 0xf);
	}
	return v;
}

int
tc_fput_json_text(FILE *f, const char *json)
{
	const unsigned char *p = (const unsigned char *)json;
	size_t n = strlen(json), k;
	int in_str = 0;
	long u, lo;

	while (n > 0) {
		if (!in_str) {
			putc(*p >= 0x20 && *p < 0x7f ? *p : ' ', f);
			in_str = *p == '"';
			k = 1;
		} else if (*p == '"') {
			putc('"', f);
			in_str = 0;
			k = 1;
		} else if (*p == '\\' && (u = u_escape(p)) >= 0xd800 &&
		    u <= 0xdfff) {
			/* A surrogate pair is kept; a lone half is not. */
			lo = u < 0xdc00 ? u_escape(p + 6) : -1;
			if (lo >= 0xdc00 && lo <= 0xdfff) {
				fwrite(p, 1, 12, f);
				k = 12;
			} else {
				fputs("\\ufffd", f);
				k = 6;
			}
		} else if (*p == '\\' && n >= 2 && p[1] >= 0x20 && p[1] < 0x7f) {
			fwrite(p, 1, 2, f);	/* an escape: kept */
			k = 2;
		} else
			k = json_char(f, p, n);
		p += k;
		n -= k;
	}
	putc('\n', f);
	return ferror(f) ? -1 : 0;
}

/* ---- positions and carets ---------------------------------------------------- */

void
tc_render_caret(FILE *f, const char *line, size_t len, unsigned col)
{
	char e[5];
	size_t i, w, gw, width = 0, gnu = 0, at = 0;
	int found = 0;

	/*
	 * col is a GNU column: tabs advance to the next multiple of 8, every
	 * other byte counts 1.  We print escapes wider than 1, so the caret
	 * goes under the byte where that column starts.
	 */
	for (i = 0; i < len; i++) {
		gw = line[i] == '\t' ? 8 - gnu % 8 : 1;
		if (!found && col > 0 && gnu + gw >= col) {
			at = width + (col - 1 - gnu);
			found = 1;
		}
		if (line[i] == '\t') {
			w = 8 - width % 8;
			fprintf(f, "%*s", (int)w, "");
		} else {
			w = esc_byte((unsigned char)line[i], e);
			fputs(e, f);
		}
		width += w;
		gnu += gw;
	}
	putc('\n', f);
	if (col == 0)
		return;
	if (!found)		/* at or past the end: after the last byte */
		at = width + (col - 1 - gnu);
	fprintf(f, "%*s^\n", (int)at, "");
}

/* Line `want` (1-based) of path, without its line end; NULL if none. */
static char *
read_line(const char *path, unsigned want, size_t *lenp)
{
	FILE *fp;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n = -1;
	unsigned no;

	if (want == 0 || (fp = fopen(path, "re")) == NULL)
		return NULL;
	for (no = 1; (n = getline(&buf, &cap, fp)) >= 0; no++)
		if (no == want)
			break;
	fclose(fp);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	*lenp = (size_t)n;
	return buf;
}

/* Line `want` (1-based) of buf, without its line end; NULL if none. */
static const char *
buf_line(const char *buf, size_t len, unsigned want, size_t *lenp)
{
	const char *p = buf, *end = buf + len, *nl;
	unsigned no;

	if (want == 0)
		return NULL;
	for (no = 1; no < want; no++) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return NULL;
		p = nl + 1;
	}
	if (p >= end)
		return NULL;
	nl = memchr(p, '\n', (size_t)(end - p));
	*lenp = (size_t)((nl != NULL ? nl : end) - p);
	while (*lenp > 0 && p[*lenp - 1] == '\r')
		(*lenp)--;
	return p;
}

/* "FILE[:LINE[:COL]]: " */
static void
print_pos(FILE *f, const char *file, unsigned long line, unsigned col)
{
	tc_fput_esc(f, file);
	if (line > 0) {
		fprintf(f, ":%lu", line);
		if (col > 0)
			fprintf(f, ":%u", col);
	}
	fputs(": ", f);
}

void
tc_print_err_src(FILE *f, const struct acl_err *err, const char *file,
    const char *src, size_t srclen)
{
	const char *path = err->file[0] != '\0' ? err->file : file;
	const char *cl;
	struct stat st;
	char *line;
	size_t len = 0;

	fprintf(f, "%s: ", talkctl_progname);
	print_pos(f, path, err->line, err->col);
	tc_fput_esc(f, err->msg[0] != '\0' ? err->msg : "invalid");
	putc('\n', f);
	if (src != NULL) {
		if ((cl = buf_line(src, srclen, err->line, &len)) != NULL)
			tc_render_caret(f, cl, len, err->col);
		return;
	}
	if (path == NULL || stat(path, &st) == -1 || !S_ISREG(st.st_mode) ||
	    tc_is_cache(path) != 0)
		return;
	if ((line = read_line(path, err->line, &len)) == NULL)
		return;
	tc_render_caret(f, line, len, err->col);
	free(line);
}

void
tc_print_err(FILE *f, const struct acl_err *err, const char *file)
{
	tc_print_err_src(f, err, file, NULL, 0);
}

void
tc_print_warn(FILE *f, const struct acl_err *w, const char *suffix)
{
	print_pos(f, w->file, w->line, w->col);
	fputs("warning: ", f);
	tc_fput_esc(f, w->msg);
	if (suffix != NULL)
		fputs(suffix, f);
	putc('\n', f);
}

void
tc_errx_at(const char *what, const char *file, unsigned long line,
    unsigned col, const char *msg, const char *arg)
{
	fprintf(stderr, "%s: ", talkctl_progname);
	if (what != NULL)
		fprintf(stderr, "%s: ", what);
	if (file != NULL)
		print_pos(stderr, file, line, col);
	tc_fput_esc(stderr, msg);
	if (arg != NULL) {
		fputs(": ", stderr);
		tc_fput_esc(stderr, arg);
	}
	putc('\n', stderr);
}

void
tc_errx(const char *what, const char *msg, const char *arg)
{
	tc_errx_at(what, NULL, 0, 0, msg, arg);
}
