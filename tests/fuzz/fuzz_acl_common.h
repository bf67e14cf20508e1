/*
 * Shared by the libacl fuzz targets: a policy that loads must survive a
 * round trip through the cache encoding, and through acl_write_yaml when
 * its strings are UTF-8, and decide alike afterwards.
 */
#ifndef FUZZ_ACL_COMMON_H
#define FUZZ_ACL_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "acl/acl_int.h"

static void
fuzz_warn(void *ctx, const struct acl_err *w)
{
	(void)ctx;
	(void)w;
}

static void
fuzz_mention(void *ctx, enum acl_mention kind, const char *name,
    uint32_t addr, uint32_t mask)
{
	size_t *n = ctx;

	(void)kind;
	(void)addr;
	(void)mask;
	*n += name ? strlen(name) : 1;
}

static void
fuzz_same(const struct acl *a, const struct acl *b, const char *what)
{
	static const char *const names[] = { "", "a", "root", "thor", "sif",
	    "adm-1", "guest", "abcdefghijk" };
	static const uint32_t addrs[] = { 0, 0x7f000001u, 0x0a000001u,
	    0xc0a80114u, 0xffffffffu };
	struct acl_verdict v, w;
	size_t i, j;

	for (i = 0; i < sizeof names / sizeof *names; i++)
		for (j = 0; j < sizeof addrs / sizeof *addrs; j++) {
			struct acl_query q = { names[i], names[(i + j) %
			    (sizeof names / sizeof *names)], addrs[j],
			    (int)(j & 1) };

			acl_decide(a, acl_policy_talkrc(a, q.callee, NULL), &q,
			    &v);
			acl_decide(b, acl_policy_talkrc(b, q.callee, NULL), &q,
			    &w);
			if (v.allow != w.allow || v.reason != w.reason) {
				fprintf(stderr, "%s changed a decision\n",
				    what);
				abort();
			}
		}
}

static void
fuzz_cache_round_trip(const struct acl *a)
{
	unsigned char *img;
	size_t len;
	struct acl *b = NULL;
	struct acl_err e;

	if (acl_cache_image(a, &img, &len) < 0)
		abort();
	if (acl_parse_buf("rt", (const char *)img, len, ACL_FMT_CACHE, &b,
	    &e) < 0) {
		fprintf(stderr, "cache does not load back: %s\n", e.msg);
		abort();
	}
	fuzz_same(a, b, "the cache");
	acl_free(b);
	free(img);
}

static void
fuzz_exercise(const struct acl *a)
{
	struct acl *b = NULL;
	struct acl_err e;
	char *buf = NULL;
	size_t len = 0, n = 0;
	FILE *f;

	acl_lint(a, fuzz_warn, NULL);
	fuzz_cache_round_trip(a);
	acl_mentions(a, fuzz_mention, &n);
	f = open_memstream(&buf, &len);
	if (f == NULL)
		return;
	if (acl_write_yaml(a, f) < 0) {		/* non-UTF-8 bytes */
		fclose(f);
		free(buf);
		return;
	}
	fclose(f);
	if (acl_parse_buf("rt", buf, len, ACL_FMT_YAML, &b, &e) < 0) {
		fprintf(stderr, "written YAML does not read back: %u:%u: %s\n"
		    "%s\n", e.line, e.col, e.msg, buf);
		abort();
	}
	fuzz_same(a, b, "the YAML round trip");
	acl_free(b);
	free(buf);
}

/* Parse data as fmt; a policy that loads goes through fuzz_exercise. */
static void
fuzz_parse(const uint8_t *data, size_t size, enum acl_fmt fmt)
{
	struct acl *a = NULL;
	struct acl_err e;

	if (acl_parse_buf("fuzz", (const char *)data, size, fmt, &a, &e) == 0) {
		fuzz_exercise(a);
		acl_free(a);
	} else if (a != NULL || e.msg[0] == '\0')
		abort();
}

#endif
