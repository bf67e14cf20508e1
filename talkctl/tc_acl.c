/* Helpers for talkctl acl ... and talkctl simulate (see tc_acl.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "talkctl/talkctl.h"
#include "talkctl/tc_acl.h"

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
	tc_errx(NULL, path, strerror(e));
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

	tc_print_err_src(stderr, e, r->path, r->buf, r->len);
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
		tc_errx(NULL, path, "a compiled cache must be a regular file");
		goto out;
	}
	{
		struct report r = { path, buf, len, 0 };

		rc = TC_OK;
		if (acl_parse_buf_all(path, buf, len, fmt, out, err,
		    report_cb, &r) == -1) {
			if (r.n == 0)
				tc_print_err_src(stderr, err, path, buf, len);
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

const char *
tc_ref_str(const struct acl_rule_ref *r, char *buf, size_t n)
{
	char pos[300] = "";
	int k = 0;

	if (r == NULL)
		return "default";
	if (r->file != NULL && r->line > 0 && r->col > 0)
		k = snprintf(pos, sizeof(pos), "%s:%u:%u", r->file, r->line,
		    r->col);
	else if (r->file != NULL && r->line > 0)
		k = snprintf(pos, sizeof(pos), "%s:%u", r->file, r->line);
	else if (r->file != NULL)
		k = snprintf(pos, sizeof(pos), "%s", r->file);
	if (k < 0 || (size_t)k >= sizeof(pos))
		pos[0] = '\0';
	if (r->id != NULL && pos[0] != '\0')
		k = snprintf(buf, n, "%s [%s]", pos, r->id);
	else if (r->id != NULL)
		k = snprintf(buf, n, "[%s]", r->id);
	else if (pos[0] != '\0')
		k = snprintf(buf, n, "%s", pos);
	else
		k = snprintf(buf, n, "rule");
	if (k < 0 || (size_t)k >= n)
		return "rule";
	return buf;
}

const struct acl_rule_ref *
tc_deciding_rule(const struct acl_verdict *v)
{
	switch (v->reason) {
	case ACL_R_USER_DENY:
	case ACL_R_USER_OVERRIDE:
	case ACL_R_INSECURE_TALKRC:
	case ACL_R_BAD_TALKRC:
		return v->user;
	case ACL_R_BUDGET:
		return v->stop;
	case ACL_R_SITE_ALLOW:
	case ACL_R_SITE_DENY:
	case ACL_R_STRICT_DENY:
	default:
		return v->site;
	}
}

int
tc_stamp_eq(const struct acl_stamp *a, const struct acl_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}
