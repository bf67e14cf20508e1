/*
 * The legacy rule format: every error with its line and column, comments,
 * blank lines, quoting, CRLF, long lines, and net-exps.  Each case runs
 * through acl_parse_buf and, via a real file, acl_parse_file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl/acl.h"
#include "acl/acl_int.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | \
	(uint32_t)(c) << 8 | (uint32_t)(d))

static int
parse(const char *text, struct acl **a, struct acl_err *e)
{
	return acl_parse_buf("t.acl", text, strlen(text), ACL_FMT_LEGACY, a, e);
}

/* The same through a real file, to check both entry points agree. */
static int
parse_file(const char *text, struct acl **a, struct acl_err *e)
{
	char path[] = "/tmp/test_acl_text.XXXXXX";
	int fd = mkstemp(path), rc;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	rc = acl_parse_file(path, ACL_FMT_LEGACY, a, e);
	if (rc < 0)
		assert_string_equal(e->file, path);
	unlink(path);
	return rc;
}

struct bad {
	const char *text;
	unsigned line, col;
	const char *msg_part;
};

static void
test_errors_have_positions(void **state)
{
	static const struct bad k[] = {
		{ "alow .* any\n", 1, 1, "unknown action \"alow\" (expected "
		    "allow or deny)" },
		{ "# c\n\n  Allow x\n", 3, 3, "unknown action \"Allow\"" },
		{ "allow\n", 1, 6, "missing user pattern" },
		{ "deny   \n", 1, 5, "missing user pattern" },
		{ "allow ab\\(c\n", 1, 9, "unmatched \\(" },
		{ "allow [a\n", 1, 7, "unterminated [" },
		{ "allow a** any\n", 1, 9, "repetition" },
		{ "allow x\\\n", 1, 8, "trailing backslash" },
		{ "\tallow\t[[:foo:]]\n", 1, 18, "unknown character class" },
		{ "allow \"a\\(\" any\n", 1, 9, "unmatched" },
		{ "allow x 10.0.0.1/33\n", 1, 18, "prefix length" },
		{ "allow x 10.0.0\n", 1, 9, "invalid network" },
		{ "allow x any 1.2.3.256\n", 1, 13, "invalid network" },
		{ "allow x 010.0.0.1\n", 1, 9, "invalid network" },
		{ "allow x 127.1\n", 1, 9, "invalid network" },
		{ "allow x 1.2.3.4/\n", 1, 17, "prefix length" },
		{ "allow x 1.2.3.4/abc\n", 1, 17, "prefix length" },
		{ "allow x 1.2.3.4/8xyz\n", 1, 17, "prefix length" },
		{ "allow x 1.2.3.4/255.0.255.0\n", 1, 17, "non-contiguous" },
		{ "allow x 1.2.3.4/255.255.0\n", 1, 17, "invalid netmask" },
		{ "allow x 0x7f.0.0.1\n", 1, 9, "invalid network" },
		{ "allow x #lan\n", 1, 9, "invalid network" },
		{ "allow \"abc any\n", 1, 7, "unterminated \" quote" },
		{ "allow 'abc\n", 1, 7, "unterminated ' quote" },
		{ "allow \"a\"b any\n", 1, 10, "after a closing quote" },
		{ "allow a\"b any\n", 1, 8, "quote inside" },
		{ "allow ok\r\nallow ok any\r\nbogus x\r\n", 3, 1, "unknown" },
		{ "allow x\n\tdeny y 1.2.3.4/40\n", 2, 24, "prefix length" },
	};
	size_t i;
	int pass;

	(void)state;
	for (i = 0; i < sizeof k / sizeof *k; i++)
		for (pass = 0; pass < 2; pass++) {
			struct acl *a = (struct acl *)&a;
			struct acl_err e;

			memset(&e, 0, sizeof e);
			assert_int_equal(pass ? parse_file(k[i].text, &a, &e) :
			    parse(k[i].text, &a, &e), -1);
			assert_null(a);
			if (e.line != k[i].line || e.col != k[i].col ||
			    strstr(e.msg, k[i].msg_part) == NULL)
				print_message("case %zu: got %u:%u: %s\n", i,
				    e.line, e.col, e.msg);
			assert_int_equal(e.line, k[i].line);
			assert_int_equal(e.col, k[i].col);
			assert_non_null(strstr(e.msg, k[i].msg_part));
			if (!pass)
				assert_string_equal(e.file, "t.acl");
		}
}

struct collect {
	struct acl_err e[32];
	int n;
};

static void
collect(void *ctx, const struct acl_err *e)
{
	struct collect *c = ctx;

	if (c->n < 32)
		c->e[c->n] = *e;
	c->n++;
}

static void
test_all_errors_reported_up_to_20(void **state)
{
	struct collect c;
	struct acl *a = NULL;
	struct acl_err e;
	char *text = malloc(30 * 16 + 1);
	size_t i, n = 0;

	(void)state;
	assert_non_null(text);
	memset(&c, 0, sizeof c);
	n += (size_t)snprintf(text, 20, "allow ok\n");
	n += (size_t)snprintf(text + n, 20, "nope x\n");
	n += (size_t)snprintf(text + n, 20, "allow ok\n");
	n += (size_t)snprintf(text + n, 20, "deny y 1.2.3\n");
	for (i = 0; i < 25; i++)
		n += (size_t)snprintf(text + n, 16, "bad%02zu\n", i);
	assert_int_equal(acl_parse_buf_all("m", text, n, ACL_FMT_LEGACY, &a,
	    &e, collect, &c), -1);
	assert_null(a);
	assert_int_equal(c.n, 20);
	assert_int_equal(e.line, 2);
	assert_int_equal(c.e[0].line, 2);
	assert_int_equal(c.e[1].line, 4);
	assert_int_equal(c.e[1].col, 8);
	assert_int_equal(c.e[2].line, 5);
	assert_int_equal(c.e[19].line, 22);
	free(text);
}

static int
decide(const struct acl *rc, const char *caller, uint32_t addr)
{
	struct acl_query q = { "callee", caller, addr, 0 };
	struct acl_verdict v;

	acl_decide(NULL, rc, &q, &v);
	return v.allow;
}

static void
test_comments_blank_quotes_crlf(void **state)
{
	const char *text =
	    "# a comment\n"
	    "\n"
	    "   \t\n"
	    "   # indented comment\r\n"
	    "deny \".*\"\r\n"
	    "\tallow 'a b' any\n"
	    "allow \"^thor$\" 10.0.0.0/8\r\n"
	    "allow ^x#y$\n"			/* # inside a token is text */
	    "allow \"\" 192.168.0.0/255.255.0.0";	/* no final newline */
	struct acl *a = NULL;
	struct acl_err e;

	(void)state;
	assert_int_equal(parse(text, &a, &e), 0);
	assert_non_null(a);
	assert_int_equal(decide(a, "thor", IP(10, 1, 2, 3)), 1);
	assert_int_equal(decide(a, "thor", IP(11, 1, 2, 3)), 0);
	assert_int_equal(decide(a, "xa bx", IP(11, 1, 2, 3)), 1);
	assert_int_equal(decide(a, "x#y", IP(11, 1, 2, 3)), 1);
	assert_int_equal(decide(a, "anyone", IP(192, 168, 7, 7)), 1);
	assert_int_equal(decide(a, "anyone", IP(192, 169, 7, 7)), 0);
	acl_free(a);

	/* an empty file and a comments-only file are valid and allow all */
	assert_int_equal(parse("", &a, &e), 0);
	assert_int_equal(decide(a, "x", 1), 1);
	acl_free(a);
	assert_int_equal(parse("#x\n#y", &a, &e), 0);
	acl_free(a);
}

static void
test_long_lines_not_split(void **state)
{
	size_t n = 20000, i;
	char *text = malloc(n + 64);
	struct acl *a = NULL;
	struct acl_err e;
	int len;

	(void)state;
	assert_non_null(text);
	/* deny with a long net list; the rule only works if it is one line */
	len = snprintf(text, 64, "deny ^eve$");
	for (i = 0; (size_t)len + 16 < n; i++)
		len += snprintf(text + len, 16, " 10.0.%zu.%zu", i / 250 % 250,
		    i % 250);
	len += snprintf(text + len, 24, " 172.16.0.1\n");
	assert_int_equal(parse(text, &a, &e), 0);
	assert_int_equal(decide(a, "eve", IP(172, 16, 0, 1)), 0);
	assert_int_equal(decide(a, "eve", IP(172, 16, 0, 2)), 1);
	acl_free(a);

	/* longer than the bound: an error, not a split */
	free(text);
	text = malloc(ACL_LINE_MAX + 32);
	assert_non_null(text);
	memcpy(text, "allow ", 6);
	memset(text + 6, 'a', ACL_LINE_MAX);
	memcpy(text + 6 + ACL_LINE_MAX, "\n", 2);
	assert_int_equal(parse(text, &a, &e), -1);
	assert_int_equal(e.line, 1);
	assert_non_null(strstr(e.msg, "longer"));
	free(text);
}

/*
 * Fields packed as tight as they go ("x x x", one byte and one blank
 * each): 4096 of them are read, the 4097th is an error.
 */
static void
test_field_limit(void **state)
{
	static const size_t ks[] = { 1, 2, 3, 4, 5, 4095, 4096, 4097 };
	size_t j, k, n, i;
	struct acl *a = NULL;
	struct acl_err e;
	char *text;

	(void)state;
	for (j = 0; j < sizeof ks / sizeof *ks; j++) {
		k = ks[j];
		n = 2 * k - 1;
		text = malloc(n + 2);
		assert_non_null(text);
		for (i = 0; i < n; i++)
			text[i] = i % 2 ? ' ' : 'x';
		memcpy(text + n, "\n", 2);
		assert_int_equal(parse(text, &a, &e), -1);
		assert_null(a);
		if (k <= 4096) {
			assert_int_equal(e.col, 1);
			assert_non_null(strstr(e.msg, "unknown action"));
		} else {
			assert_int_equal(e.col, n);
			assert_non_null(strstr(e.msg, "too many fields"));
		}
		free(text);
	}
}

static void
test_net_exps(void **state)
{
	static const struct {
		const char *tok;
		uint32_t addr, mask;
	} ok[] = {
		{ "any", 0, 0 },
		{ "0.0.0.0/0", 0, 0 },
		{ "10.1.2.3/0", 0, 0 },
		{ "10.1.2.3", IP(10, 1, 2, 3), 0xffffffffu },
		{ "10.1.2.3/32", IP(10, 1, 2, 3), 0xffffffffu },
		{ "10.1.2.3/8", IP(10, 0, 0, 0), 0xff000000u },
		{ "10.1.2.3/31", IP(10, 1, 2, 2), 0xfffffffeu },
		{ "10.1.2.3/1", 0, 0x80000000u },
		{ "192.168.1.9/255.255.255.0", IP(192, 168, 1, 0), 0xffffff00u },
		{ "1.2.3.4/0.0.0.0", 0, 0 },
		{ "1.2.3.4/255.255.255.255", IP(1, 2, 3, 4), 0xffffffffu },
		{ "255.255.255.255", 0xffffffffu, 0xffffffffu },
		{ "0.0.0.0", 0, 0xffffffffu },
	};
	static const char *const bad[] = {
		"", "anyx", "ANY", "1.2.3", "1.2.3.4.5", "1..2.3", "01.2.3.4",
		"1.2.3.4/33", "1.2.3.4/-1", "1.2.3.4/08", "1.2.3.4/ 8",
		"1.2.3.4/255.255.254.255", "1.2.3.4/0.255.255.255", "256.0.0.0",
		"1.2.3.1000", " 1.2.3.4", "1.2.3.4/8/8", "1.2.3.4/", "/8",
		"1.2.3.4/255.255.255.256", "1.2.3.+4", "1.2.3.4 ",
	};
	struct acl_net net;
	char msg[200];
	size_t i, off;

	(void)state;
	for (i = 0; i < sizeof ok / sizeof *ok; i++) {
		assert_int_equal(acl_net_parse(ok[i].tok, &net, &off, msg,
		    sizeof msg), 0);
		assert_int_equal(net.addr, ok[i].addr);
		assert_int_equal(net.mask, ok[i].mask);
	}
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		if (acl_net_parse(bad[i], &net, &off, msg, sizeof msg) != -1)
			print_message("accepted \"%s\"\n", bad[i]);
		assert_int_equal(acl_net_parse(bad[i], &net, &off, msg,
		    sizeof msg), -1);
		assert_true(off <= strlen(bad[i]));
		assert_true(msg[0] != '\0');
	}
}

static void
test_net_matching_through_rules(void **state)
{
	struct acl *a = NULL;
	struct acl_err e;
	const char *t = "deny . 0.0.0.0/0\n"
	    "allow . 10.9.9.9/8 192.168.1.1/255.255.255.252\n"
	    "allow ^root$ 127.0.0.1/32\n";

	(void)state;
	assert_int_equal(parse(t, &a, &e), 0);
	assert_int_equal(decide(a, "x", IP(8, 8, 8, 8)), 0);
	assert_int_equal(decide(a, "x", IP(10, 200, 0, 1)), 1);
	assert_int_equal(decide(a, "x", IP(192, 168, 1, 3)), 1);
	assert_int_equal(decide(a, "x", IP(192, 168, 1, 4)), 0);
	assert_int_equal(decide(a, "root", IP(127, 0, 0, 1)), 1);
	assert_int_equal(decide(a, "root", IP(127, 0, 0, 2)), 0);
	acl_free(a);
}

static void
test_rule_refs(void **state)
{
	struct acl *a = NULL;
	struct acl_err e;
	struct acl_query q = { "c", "thor", IP(10, 0, 0, 1), 0 };
	struct acl_verdict v;

	(void)state;
	assert_int_equal(parse("allow x\n\n  deny \"^th or\" 10.0.0.0/8 "
	    "any\n\tdeny thor\n", &a, &e), 0);
	acl_decide(NULL, a, &q, &v);
	assert_int_equal(v.allow, 0);
	assert_non_null(v.user);
	assert_string_equal(v.user->file, "t.acl");
	assert_int_equal(v.user->line, 4);
	assert_int_equal(v.user->col, 9);
	assert_string_equal(v.user->text, "deny thor");
	assert_null(v.user->id);
	acl_free(a);
	assert_int_equal(parse("deny \"^th or\" 10.0.0.0/8 any\n", &a, &e), 0);
	q.caller = "th or";
	acl_decide(NULL, a, &q, &v);
	assert_string_equal(v.user->text, "deny \"^th or\" 10.0.0.0/8 any");
	acl_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors_have_positions),
		cmocka_unit_test(test_all_errors_reported_up_to_20),
		cmocka_unit_test(test_comments_blank_quotes_crlf),
		cmocka_unit_test(test_long_lines_not_split),
		cmocka_unit_test(test_field_limit),
		cmocka_unit_test(test_net_exps),
		cmocka_unit_test(test_net_matching_through_rules),
		cmocka_unit_test(test_rule_refs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
