/* Helpers for talkctl acl ... and talkctl simulate (see tc_acl.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "talkctl/talkctl.h"
#include "talkctl/tc_acl.h"

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

void
tc_fput_esc_n(FILE *f, const char *s, size_t n)
{
	char e[5];
	size_t i;

	for (i = 0; i < n; i++) {
		esc_byte((unsigned char)s[i], e);
		fputs(e, f);
	}
}

void
tc_fput_esc(FILE *f, const char *s)
{
	if (s == NULL)
		s = "(null)";
	tc_fput_esc_n(f, s, strlen(s));
}

void
tc_fput_json(FILE *f, const char *s)
{
	const unsigned char *p;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	putc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p >= 0x7f)
			/* Bytes, not characters: always valid JSON. */
			fprintf(f, "\\u%04x", (unsigned)*p);
		else
			putc(*p, f);
	}
	putc('"', f);
}

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

	if (want == 0 || (fp = fopen(path, "r")) == NULL)
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

static void
print_pos(FILE *f, const struct acl_err *e, const char *file)
{
	tc_fput_esc(f, e->file[0] != '\0' ? e->file : file);
	if (e->line > 0) {
		fprintf(f, ":%u", e->line);
		if (e->col > 0)
			fprintf(f, ":%u", e->col);
	}
	fputs(": ", f);
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

static void
print_err_src(FILE *f, const struct acl_err *err, const char *file,
    const char *src, size_t srclen)
{
	const char *path = err->file[0] != '\0' ? err->file : file;
	const char *cl;
	struct stat st;
	char *line;
	size_t len = 0;

	fprintf(f, "%s: ", talkctl_progname);
	print_pos(f, err, file);
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
	print_err_src(f, err, file, NULL, 0);
}

void
tc_print_warn(FILE *f, const struct acl_err *w, const char *suffix)
{
	print_pos(f, w, "");
	fputs("warning: ", f);
	tc_fput_esc(f, w->msg);
	if (suffix != NULL)
		fputs(suffix, f);
	putc('\n', f);
}

int
tc_is_cache(const char *path)
{
	unsigned char buf[64];
	ssize_t n, i;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -1;
	/* Text policies never hold NUL or other C0 bytes but tab and line ends. */
	for (i = 0; i < n; i++)
		if (buf[i] < 0x20 && buf[i] != '\t' && buf[i] != '\n' &&
		    buf[i] != '\r')
			return 1;
	return 0;
}

static int
io_error(const char *path, int e)
{
	fprintf(stderr, "%s: ", talkctl_progname);
	tc_fput_esc(stderr, path);
	fprintf(stderr, ": %s\n", strerror(e));
	return TC_USAGE;
}

struct report {
	const char *path;
	const char *buf;	/* the source when read from a pipe */
	size_t len;
	int n;
};

static void
report_cb(void *ctx, const struct acl_err *e)
{
	struct report *r = ctx;

	print_err_src(stderr, e, r->path, r->buf, r->len);
	r->n++;
}

/* A pipe or other non-regular file (/dev/stdin): read it whole. */
static int
load_stream(const char *path, enum acl_fmt fmt, struct acl **out,
    struct acl_err *err)
{
	FILE *fp;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int rc = TC_USAGE;

	if ((fp = fopen(path, "re")) == NULL)
		return io_error(path, errno);
	for (;;) {
		if (len == cap) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			if (cap > (64u << 20) || (nb = realloc(buf, cap)) == NULL) {
				io_error(path, EFBIG);
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		io_error(path, EIO);
		goto out;
	}
	if (memchr(buf, '\0', len) != NULL) {
		fprintf(stderr, "%s: ", talkctl_progname);
		tc_fput_esc(stderr, path);
		fprintf(stderr, ": a compiled cache must be a regular file\n");
		goto out;
	}
	{
		struct report r = { path, buf, len, 0 };

		rc = TC_OK;
		if (acl_parse_buf_all(path, buf, len, fmt, out, err,
		    report_cb, &r) == -1) {
			if (r.n == 0)
				print_err_src(stderr, err, path, buf, len);
			rc = TC_FAIL;
		}
	}
out:
	free(buf);
	fclose(fp);
	return rc;
}

int
tc_load_policy(const char *path, struct acl **out, struct acl_err *err)
{
	return tc_load_fmt(path, ACL_FMT_AUTO, out, err);
}

int
tc_load_fmt(const char *path, enum acl_fmt fmt, struct acl **out,
    struct acl_err *err)
{
	struct report r = { NULL, NULL, 0, 0 };
	struct stat st;
	int cache;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (stat(path, &st) == -1)
		return io_error(path, errno);
	if (S_ISDIR(st.st_mode))
		return io_error(path, EISDIR);
	if (!S_ISREG(st.st_mode))
		return load_stream(path, fmt, out, err);
	if ((cache = tc_is_cache(path)) == -1)
		return io_error(path, errno);
	if (cache && fmt == ACL_FMT_AUTO) {
		if (acl_cache_open(path, out, err) == 0)
			return TC_OK;
		tc_print_err(stderr, err, path);
		return TC_FAIL;
	}
	r.path = path;
	if (acl_parse_file_all(path, fmt, out, err, report_cb,
	    &r) == 0)
		return TC_OK;
	if (r.n == 0)		/* not about a line: I/O, size */
		tc_print_err(stderr, err, path);
	return TC_FAIL;
}

const char *
tc_default_cache(void)
{
	const char *p = getenv("TALKD_ACL_CACHE");

	return p != NULL && *p != '\0' ? p : TC_DEFAULT_CACHE;
}

const char *
tc_ip4(uint32_t a, char *buf, size_t n)
{
	int r;

	r = snprintf(buf, n, "%u.%u.%u.%u", (unsigned)(a >> 24),
	    (unsigned)(a >> 16) & 0xff, (unsigned)(a >> 8) & 0xff,
	    (unsigned)a & 0xff);
	if (r < 0 || (size_t)r >= n)
		return "?";
	return buf;
}

int
tc_next_opt(int argc, char **argv, const char *what, const char *shortopts,
    const struct option *longopts)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c == ':' || c == '?') {
		fprintf(stderr, "%s: %s: %s ", talkctl_progname, what,
		    c == ':' ? "missing argument for" : "unknown option");
		if (c == '?' && optopt != 0)
			fprintf(stderr, "-%c", optopt);
		else
			tc_fput_esc(stderr, argv[optind - 1]);
		putc('\n', stderr);
		return '?';
	}
	return c;
}
