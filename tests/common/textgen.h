/*
 * Shared by the randomized ACL test and the ACL benchmark: a xorshift
 * generator (the same sequence from the same seed, so a failure repeats)
 * and a growing text buffer for generated policies.  Header-only; an
 * allocation failure aborts, as neither program can go on without it.
 */
#ifndef TALKD_TESTS_TEXTGEN_H
#define TALKD_TESTS_TEXTGEN_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A number below n; *s must not be 0. */
static inline unsigned
tg_rnd(uint64_t *s, unsigned n)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (unsigned)((*s >> 11) % n);
}

struct tg_buf {
	char *p;
	size_t n, cap;
};

static inline void tg_printf(struct tg_buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static inline void
tg_printf(struct tg_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = b->p == NULL ? 0 :
		    vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (n < 0) {
			fprintf(stderr, "tg_printf: vsnprintf failed\n");
			abort();
		}
		if (b->p != NULL && (size_t)n < b->cap - b->n)
			break;
		if ((p = realloc(b->p, b->cap * 2 + (size_t)n + 4096)) ==
		    NULL) {
			fprintf(stderr, "tg_printf: out of memory\n");
			abort();
		}
		b->p = p;
		b->cap = b->cap * 2 + (size_t)n + 4096;
	}
	b->n += (size_t)n;
}

static inline void
tg_free(struct tg_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

#endif
