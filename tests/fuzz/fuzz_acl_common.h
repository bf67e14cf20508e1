/*
 * Shared by the libacl fuzz targets: a round trip through acl_write_yaml
 * must read back (when the policy's strings are UTF-8) and decide alike.
 */
#ifndef FUZZ_ACL_COMMON_H
#define FUZZ_ACL_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"

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
fuzz_exercise(const struct acl *a)
{
	static const char *const names[] = { "", "a", "root", "thor", "sif",
	    "adm-1", "guest", "abcdefghijk" };
	static const uint32_t addrs[] = { 0, 0x7f000001u, 0x0a000001u,
	    0xc0a80114u, 0xffffffffu };
	struct acl *b = NULL;
	struct acl_err e;
	struct acl_verdict v, w;
	char *buf = NULL;
	size_t len = 0, i, j, n = 0;
	FILE *f;

	acl_lint(a, fuzz_warn, NULL);
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
	for (i = 0; i < sizeof names / sizeof *names; i++)
		for (j = 0; j < sizeof addrs / sizeof *addrs; j++) {
			struct acl_query q = { names[i], names[(i + j) %
			    (sizeof names / sizeof *names)], addrs[j], 0 };

			acl_decide(a, acl_policy_talkrc(a, q.callee, NULL), &q,
			    &v);
			acl_decide(b, acl_policy_talkrc(b, q.callee, NULL), &q,
			    &w);
			if (v.allow != w.allow || v.reason != w.reason) {
				fprintf(stderr, "round trip changed a "
				    "decision\n%s\n", buf);
				abort();
			}
		}
	acl_free(b);
	free(buf);
}

#endif
