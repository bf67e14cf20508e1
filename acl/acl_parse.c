/*
 * The parse entry points: acl_parse_buf and acl_parse_file, with format
 * detection.  Kept apart from acl.c so that a program that only loads the
 * cache and ~/.talkrc files (the daemon) links libacl.a without libyaml:
 * only this file refers to the YAML parser.
 */
#include <stdlib.h>
#include <string.h>

#include "acl/acl_int.h"

/* ---- entry points ------------------------------------------------------------------- */

static enum acl_fmt
sniff(const char *buf, size_t len)
{
	size_t i = 0, j;

	if (len >= 8 && memcmp(buf, ACL_CACHE_MAGIC, 8) == 0)
		return ACL_FMT_CACHE;
	while (i < len) {
		while (i < len && (buf[i] == ' ' || buf[i] == '\t' ||
		    buf[i] == '\r' || buf[i] == '\n'))
			i++;
		if (i < len && buf[i] == '#') {
			while (i < len && buf[i] != '\n')
				i++;
			continue;
		}
		break;
	}
	if (i >= len)
		return ACL_FMT_LEGACY;
	if ((len - i >= 5 && memcmp(buf + i, "allow", 5) == 0) ||
	    (len - i >= 4 && memcmp(buf + i, "deny", 4) == 0))
		return ACL_FMT_LEGACY;
	if (buf[i] == '%' || buf[i] == '{' || (len - i >= 3 &&
	    memcmp(buf + i, "---", 3) == 0))
		return ACL_FMT_YAML;
	for (j = i; j < len && buf[j] != '\n'; j++)
		if (buf[j] == ':')
			return ACL_FMT_YAML;
	return ACL_FMT_LEGACY;
}

int
acl_parse_buf_all(const char *name, const char *buf, size_t len,
    enum acl_fmt fmt, struct acl **out, struct acl_err *err, acl_err_fn *fn,
    void *ctx)
{
	struct acl_errs es = { err, fn, ctx, 0 };
	struct acl_err dummy;

	*out = NULL;
	if (err == NULL)
		es.first = &dummy;
	if (name == NULL)
		name = "";
	if (fmt == ACL_FMT_AUTO)
		fmt = sniff(buf, len);
	switch (fmt) {
	case ACL_FMT_CACHE:
		if (acl_cache_parse(name, (const unsigned char *)buf, len, out,
		    es.first) < 0) {
			if (fn != NULL)
				fn(ctx, es.first);
			return -1;
		}
		return 0;
	case ACL_FMT_YAML:
		return acl_parse_yaml(name, buf, len, out, &es);
	default:
		return acl_parse_legacy(name, buf, len, out, &es);
	}
}

int
acl_parse_buf(const char *name, const char *buf, size_t len,
    enum acl_fmt fmt, struct acl **out, struct acl_err *err)
{
	return acl_parse_buf_all(name, buf, len, fmt, out, err, NULL, NULL);
}

int
acl_parse_file_all(const char *path, enum acl_fmt fmt, struct acl **out,
    struct acl_err *err, acl_err_fn *fn, void *ctx)
{
	struct acl_err dummy;
	char *buf = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if (err == NULL)
		err = &dummy;
	if (acl_read_file(path, ACL_FILE_MAX, &buf, &len, err) < 0) {
		if (fn != NULL)
			fn(ctx, err);
		return -1;
	}
	rc = acl_parse_buf_all(path, buf, len, fmt, out, err, fn, ctx);
	free(buf);
	return rc;
}

int
acl_parse_file(const char *path, enum acl_fmt fmt, struct acl **out,
    struct acl_err *err)
{
	return acl_parse_file_all(path, fmt, out, err, NULL, NULL);
}
