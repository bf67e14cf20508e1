/*
 * BRE -> PCRE2 translation, checked against glibc regcomp(3)/regexec(3)
 * with cflags 0 in the C locale: the same patterns compile, and compiled
 * patterns match the same subjects.  A seeded generator makes thousands of
 * patterns over an alphabet rich in BRE syntax; hand-written cases pin each
 * construct.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acl/acl_int.h"

/* 1: matches, 0: does not, -1: does not compile */
static int
glibc_match(const char *pat, const char *subj)
{
	regex_t r;
	int rc;

	if (regcomp(&r, pat, 0) != 0)
		return -1;
	rc = regexec(&r, subj, 0, NULL, 0);
	regfree(&r);
	return rc == 0;
}

struct ours {
	pcre2_code *re;
	pcre2_match_data *md;
};

static int
ours_compile(const char *pat, struct ours *o)
{
	char msg[256];
	size_t off;

	o->md = NULL;
	if (acl_bre_compile(pat, &o->re, &off, msg, sizeof msg) < 0) {
		assert_null(o->re);
		assert_true(off <= strlen(pat));
		assert_true(msg[0] != '\0');
		return -1;
	}
	o->md = pcre2_match_data_create(1, NULL);
	assert_non_null(o->md);
	return 0;
}

static int
ours_match(const struct ours *o, const char *subj)
{
	/* the same path the evaluator takes: DFA unless back-references */
	int rc = acl_re_exec(o->re, o->md, NULL, acl_bre_dfa(o->re), subj,
	    strlen(subj));

	assert_true(rc >= 0);
	return rc;
}

static void
ours_free(struct ours *o)
{
	pcre2_match_data_free(o->md);
	pcre2_code_free(o->re);
}

static int
ours_match1(const char *pat, const char *subj)
{
	struct ours o;
	int m;

	if (ours_compile(pat, &o) < 0)
		return -1;
	m = ours_match(&o, subj);
	ours_free(&o);
	return m;
}

/* Compare one pattern on the given subjects; print the first difference. */
static int
differs(const char *pat, const char *const *subj, size_t nsubj)
{
	regex_t r;
	struct ours o;
	int gc, oc;
	size_t i;

	gc = regcomp(&r, pat, 0) == 0 ? 0 : -1;
	oc = ours_compile(pat, &o);
	if (gc != oc) {
		print_message("compile differs for \"%s\": glibc %d ours %d\n",
		    pat, gc, oc);
		if (gc == 0)
			regfree(&r);
		if (oc == 0)
			ours_free(&o);
		return 1;
	}
	if (gc < 0)
		return 0;
	for (i = 0; i < nsubj; i++) {
		int g = regexec(&r, subj[i], 0, NULL, 0) == 0;
		int m = ours_match(&o, subj[i]);

		if (g != m) {
			print_message("match differs for \"%s\" on \"%s\": "
			    "glibc %d ours %d\n", pat, subj[i], g, m);
			regfree(&r);
			ours_free(&o);
			return 1;
		}
	}
	regfree(&r);
	ours_free(&o);
	return 0;
}

/* xorshift64*: deterministic, seeded */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static const char *const units[] = {
	"a", "b", "a", "b", "c", ".", "*", "*", "[", "]", "^", "$", "\\",
	"\\(", "\\)", "\\(", "\\)", "\\{", "\\}", "\\|", "\\1", "\\2", "\\+",
	"\\?", "+", "?", "|", "{", "}", "(", ")", ",", "1", "2", "0", "-",
	":", "[:alpha:]", "[:digit:]", "[.a.]", "[=b=]", "\\.", "\\*",
	"\\w", "\\W", "\\s", "\\b", "\\B", "\\<", "\\>", "\\`", "\\'", "\\a",
	"\\{1\\}", "\\{0,1\\}", "\\{2,\\}", "\\{,1\\}", "[^", "[]", "a-c",
	"z-a", "\\n", " ",
};

static const char subj_alpha[] = "abc.*[]^$\\(){}+?|,120-: \t";

static void
random_pattern(uint64_t *s, char *buf, size_t sz)
{
	size_t n = rnd(s) % 12, i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *u = units[rnd(s) % (sizeof units / sizeof *units)];
		size_t ul = strlen(u);

		if (len + ul + 1 > sz)
			break;
		memcpy(buf + len, u, ul + 1);
		len += ul;
	}
}

static void
random_subject(uint64_t *s, char *buf, size_t sz)
{
	size_t n = rnd(s) % 7, i;

	for (i = 0; i < n && i + 1 < sz; i++)
		buf[i] = subj_alpha[rnd(s) % (sizeof subj_alpha - 1)];
	buf[i] = '\0';
}

static void
test_differential_random(void **state)
{
	uint64_t seed = 0x7a1cd5eedULL;
	char pat[64], sbuf[24][16];
	const char *subj[24 + 8];
	size_t npat = 0, ncompiled = 0, bad = 0, i, k;
	clock_t t0 = clock();
	const size_t want = 50000;

	(void)state;
	/* Bounded time: stop early rather than hang a slow CI box. */
	for (npat = 0; npat < want; npat++) {
		if ((clock() - t0) / CLOCKS_PER_SEC > 60)
			break;
		random_pattern(&seed, pat, sizeof pat);
		k = 0;
		subj[k++] = "";
		for (i = 0; i < 24; i++) {
			random_subject(&seed, sbuf[i], sizeof sbuf[i]);
			subj[k++] = sbuf[i];
		}
		/* the pattern itself, and its letters, are likely hits */
		subj[k++] = pat;
		subj[k++] = "aa";
		subj[k++] = "abab";
		subj[k++] = "a1b";
		if (differs(pat, subj, k))
			bad++;
		if (glibc_match(pat, "") >= 0)
			ncompiled++;
	}
	print_message("differential: %zu patterns, %zu valid, %zu differ\n",
	    npat, ncompiled, bad);
	assert_true(npat >= 5000);
	assert_true(ncompiled > npat / 5);	/* the generator is useful */
	assert_int_equal(bad, 0);
}

struct kase {
	const char *pat, *subj;
};

static void
test_constructs(void **state)
{
	static const struct kase k[] = {
		/* unanchored substring, case-sensitive */
		{ "bc", "abcd" }, { "BC", "abcd" }, { "", "x" },
		/* anchors */
		{ "^ab", "abc" }, { "^ab", "cab" }, { "ab$", "cab" },
		{ "a^b", "a^b" }, { "a$b", "a$b" }, { "\\(^a\\)", "ab" },
		{ "x\\|^a", "ab" }, { "a$\\|x", "ba" }, { "\\(a$\\)", "ba" },
		{ "^*a", "*a" }, { "^*a", "a" }, { "$", "" }, { "^$", "" },
		/* leading * literal; after \( and \| too */
		{ "*a", "*a" }, { "*a", "a" }, { "\\(*a\\)", "*a" },
		{ "b\\|*a", "*a" }, { "a**", "a" }, { "a*\\{2\\}", "aa" },
		/* GNU operators and literal ERE operators */
		{ "a\\+", "aa" }, { "a\\+", "b" }, { "a\\?b", "b" },
		{ "a\\|b", "b" }, { "a+", "a+" }, { "a+", "aa" },
		{ "a?", "a?" }, { "a|b", "a|b" }, { "a|b", "a" },
		{ "a{2}", "a{2}" }, { "a{2}", "aa" }, { "(a)", "(a)" },
		{ "(a)", "a" }, { "\\+a", "+a" }, { "\\}", "}" },
		/* intervals */
		{ "a\\{2\\}", "aa" }, { "a\\{2\\}", "a" },
		{ "^a\\{2,3\\}$", "aaaa" }, { "a\\{,2\\}", "" },
		{ "a\\{,\\}", "" }, { "a\\{2,1\\}", "a" }, { "a\\{\\}", "a" },
		{ "a\\{1", "a" }, { "a\\{x\\}", "a" }, { "\\{1\\}", "a" },
		{ "a\\{32768\\}", "a" }, { "a\\{1\\}\\+", "a" },
		/* groups and back-references */
		{ "\\(a\\)\\1", "aa" }, { "\\(a\\)\\1", "ab" },
		{ "\\(a\\1\\)", "aa" }, { "\\1", "1" }, { "\\(a\\)\\|\\1", "a" },
		{ "\\(\\(a\\)\\|b\\)\\2", "aa" }, { "\\(\\)", "" },
		{ "\\(a", "a" }, { "a\\)", "a" }, { "\\(a\\)*", "" },
		/* brackets */
		{ "[]a]", "]" }, { "[]a]", "a" }, { "[^]a]", "]" },
		{ "[^]a]", "b" }, { "[[:alpha:]]", "a" }, { "[[:alpha:]]", "1" },
		{ "[[:digit:]x]", "7" }, { "[[:nope:]]", "a" }, { "[a-c]", "b" },
		{ "[c-a]", "b" }, { "[a\\]", "\\" }, { "[a\\]", "a" },
		{ "[a-]", "-" }, { "[-a]", "-" }, { "[a-c-e]", "d" },
		{ "[[.a.]]", "a" }, { "[[.ab.]]", "a" }, { "[[=a=]b]", "a" },
		{ "[", "[" }, { "[^", "x" }, { "[]", "]" }, { "[a", "a" },
		{ "[[:alpha:]-z]", "-" }, { "[--/]", "." },
		/* escapes */
		{ "\\.", "a" }, { "\\.", "." }, { "a\\", "a" }, { "\\a", "a" },
		{ "\\w\\W", "a-" }, { "\\s", " " }, { "\\S", " " },
		{ "\\<a", "b a" }, { "a\\>", "ab" }, { "\\ba\\b", "a" },
		{ "a\\Bb", "ab" }, { "\\`a", "a" }, { "a\\'", "a" },
		{ ".", "" }, { "a.c", "abc" },
	};
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < sizeof k / sizeof *k; i++) {
		int g = glibc_match(k[i].pat, k[i].subj);
		int o = ours_match1(k[i].pat, k[i].subj);

		if (g != o) {
			print_message("\"%s\" on \"%s\": glibc %d ours %d\n",
			    k[i].pat, k[i].subj, g, o);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* Expected results written out, so the test fails if both sides agree on
 * something wrong (e.g. the harness compiling nothing). */
static void
test_known_results(void **state)
{
	(void)state;
	assert_int_equal(ours_match1("^thor$", "thor"), 1);
	assert_int_equal(ours_match1("^thor$", "thors"), 0);
	assert_int_equal(ours_match1("^adm-", "adm-x"), 1);
	assert_int_equal(ours_match1("a\\{2\\}", "xaay"), 1);
	assert_int_equal(ours_match1("a+", "aa"), 0);
	assert_int_equal(ours_match1("*x", "*x"), 1);
	assert_int_equal(ours_match1("[]a]", "]"), 1);
	assert_int_equal(ours_match1("\\(ab\\)\\1", "abab"), 1);
	assert_int_equal(ours_match1("\\(ab\\)\\1", "abba"), 0);
	assert_int_equal(ours_match1("a**", "a"), -1);
	assert_int_equal(ours_match1("\\(a", "a"), -1);
	assert_int_equal(ours_match1("[[:nope:]]", "a"), -1);
}

static void
test_error_offsets(void **state)
{
	static const struct { const char *pat; size_t off; } k[] = {
		{ "abc\\", 3 }, { "ab\\(c", 2 }, { "abc\\)", 3 },
		{ "a[bc", 1 }, { "ab\\{1", 2 }, { "x\\1", 1 },
		{ "a**", 2 }, { "[z-a]", 3 }, { "ab[[:foo:]]", 3 },
		{ "\\{1\\}", 0 },
	};
	size_t i, off;
	char *out, msg[128];
	unsigned *map;

	(void)state;
	for (i = 0; i < sizeof k / sizeof *k; i++) {
		assert_int_equal(acl_bre_to_pcre(k[i].pat, strlen(k[i].pat),
		    &out, &map, &off, msg, sizeof msg), -1);
		assert_null(out);
		if (off != k[i].off)
			print_message("%s: offset %zu, want %zu (%s)\n",
			    k[i].pat, off, k[i].off, msg);
		assert_int_equal(off, k[i].off);
	}
}

/*
 * A $ is an anchor at the end and before \| or \); the translator looked
 * that up by reading the next token, which for a $ read the next one too:
 * a run of n $ took n * n / 2 steps, 40 ms for one 4096-byte pattern at
 * -O2.  The same answers, and a run of 4096 $ in linear time.
 */
static void
test_dollar_runs(void **state)
{
	static const char *const pats[] = {
		"$$", "a$$", "$$a", "$$\\|b", "a$$$\\|$", "\\(a$$\\)",
		"\\($$\\)$", "$\\", "$$\\", "$\\a", "$\\|", "\\($\\)",
	};
	static const char *const subj[] = {
		"", "a", "a$", "$$", "a$$", "b", "$b", "$$a", "\\", "$\\a",
	};
	char *pat, *out, msg[128];
	unsigned *map;
	size_t i, n = ACL_PAT_MAX, off;
	clock_t t0;

	(void)state;
	for (i = 0; i < sizeof pats / sizeof *pats; i++)
		assert_int_equal(differs(pats[i], subj,
		    sizeof subj / sizeof *subj), 0);
	pat = malloc(n);
	assert_non_null(pat);
	memset(pat, '$', n);
	memcpy(pat + n - 3, "\\|a", 3);
	t0 = clock();
	for (i = 0; i < 32; i++) {
		assert_int_equal(acl_bre_to_pcre(pat, n - (i & 1) * 3, &out,
		    &map, &off, msg, sizeof msg), 0);
		/* every $ but the last of the run is a literal \x{24} */
		assert_non_null(strstr(out, i & 1 ? "\\x{24}\\z" :
		    "\\x{24}\\z|a"));
		free(out);
		free(map);
	}
	assert_true(clock() - t0 < CLOCKS_PER_SEC / 4);
	free(pat);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_results),
		cmocka_unit_test(test_constructs),
		cmocka_unit_test(test_error_offsets),
		cmocka_unit_test(test_differential_random),
		cmocka_unit_test(test_dollar_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
