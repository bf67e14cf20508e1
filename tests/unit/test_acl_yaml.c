/*
 * The YAML policy: each error with its position, names YAML 1.1 would
 * have turned into booleans or nulls, last-match-wins across literal and
 * pattern rules, the per-user rules, embedded tests, and round trips
 * through acl_write_yaml and through the cache with the same decisions.
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

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | \
	(uint32_t)(c) << 8 | (uint32_t)(d))

static const char policy_text[] =
    "version: 1\n"
    "strict: false\n"
    "networks:\n"
    "  lan: [192.168.1.0/24, 127.0.0.0/8]\n"
    "  dmz: 10.9.0.0/255.255.0.0\n"
    "site:\n"
    "  - { id: default-deny, action: deny, user: \".*\" }\n"
    "  - { id: staff, action: allow, users: [thor, sif, \"no\"], "
    "from: [lan] }\n"
    "  - { id: admins, action: allow, match: \"^adm-\", from: [any] }\n"
    "  - id: locked\n"
    "    action: deny\n"
    "    users: sif\n"
    "    from: dmz\n"
    "  - { action: allow, user: \"^g\\\\(ue\\\\)st$\", from: [10.9.1.1] }\n"
    "users:\n"
    "  sif:\n"
    "    - { action: allow, users: [thor] }\n"
    "    - { action: deny, user: \"^lo\", from: [lan] }\n"
    "  \"no\":\n"
    "    - { action: deny }\n"
    "talkrc:\n"
    "  thor:\n"
    "    file: /home/thor/.talkrc\n"
    "    status: ok\n"
    "    stamp: { dev: \"12\", ino: \"34\", size: \"56\", "
    "mtime_ns: \"-7\", ctime_ns: \"8\" }\n"
    "    rules:\n"
    "      - { action: deny, user: \"^eve$\" }\n"
    "  loki:\n"
    "    file: /home/loki/.talkrc\n"
    "    status: insecure-talkrc\n"
    "    rules: []\n"
    "tests:\n"
    "  - { caller: thor, callee: sif, from: 192.168.1.20, expect: allow }\n"
    "  - { caller: thor, callee: bob, from: 192.168.1.20, expect: deny }\n"
    "  - { caller: lou, callee: sif, from: 127.0.0.1, expect: deny }\n"
    "  - { caller: x, callee: adm-1, from: 8.8.8.8, expect: allow }\n"
    "  - { caller: x, callee: \"no\", from: 127.0.0.1, expect: deny }\n";

static struct acl *
parse(const char *text)
{
	struct acl *a = NULL;
	struct acl_err e;

	if (acl_parse_buf("p.yaml", text, strlen(text), ACL_FMT_AUTO, &a,
	    &e) < 0)
		fail_msg("%s:%u:%u: %s", e.file, e.line, e.col, e.msg);
	return a;
}

static int
decide(const struct acl *p, const char *callee, const char *caller,
    uint32_t addr, struct acl_verdict *v)
{
	struct acl_query q = { callee, caller, addr, 0 };

	acl_decide(p, acl_policy_talkrc(p, callee, NULL), &q, v);
	return v->allow;
}

#define A16 "aaaaaaaaaaaaaaaa"
#define A257 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 \
	"a"

struct bad {
	const char *text;
	unsigned line, col;
	const char *msg_part;
};

static void
test_errors_have_positions(void **state)
{
	static const struct bad k[] = {
		{ "version: 1\nsite: []\nbogus: 1\n", 3, 1,
		    "unknown key \"bogus\"" },
		{ "version: 1\nsite: []\nsite: []\n", 3, 1,
		    "duplicate key \"site\"" },
		{ "version: 1\nsite:\n  - { action: deny, action: allow }\n",
		    3, 21, "duplicate key \"action\"" },
		{ "version: 2\n", 1, 10, "unknown policy version \"2\"" },
		{ "version: \"1.0\"\n", 1, 10, "unknown policy version" },
		{ "site: []\n", 1, 1, "missing \"version: 1\"" },
		{ "version: 1\nsite: { a: b }\n", 2, 7, "site must be a list" },
		{ "version: 1\nsite:\n  - [allow]\n", 3, 5,
		    "a rule must be a mapping" },
		{ "version: 1\nsite:\n  - { action: allow, users: {a: b} }\n",
		    3, 29, "users must be a list" },
		{ "version: 1\nsite:\n  - { action: alow }\n", 3, 15,
		    "unknown action \"alow\"" },
		{ "version: 1\nsite:\n  - { user: x }\n", 3, 5,
		    "needs an action" },
		{ "version: 1\nsite:\n  - { action: deny, from: [lan] }\n", 3,
		    28, "unknown network \"lan\"" },
		{ "version: 1\nsite:\n  - { action: deny, from: 10.0.0.1/33 }\n",
		    3, 27, "prefix length" },
		{ "version: 1\nsite:\n  - { action: deny, user: \"ab\\\\(c\" }\n",
		    3, 30, "unmatched \\(" },
		{ "version: 1\nsite:\n  - action: deny\n    user: ab[c\n", 4,
		    13, "unterminated [" },
		{ "version: 1\nsite:\n  - { action: deny, match: \"a(b\" }\n",
		    3, 32, "regular expression" },
		{ "version: 1\nsite:\n  - { action: deny, user: a, users: [b] }"
		    "\n", 3, 5, "at most one of user, users and match" },
		{ "version: 1\nstrict: yes\n", 2, 9, "strict must be true or "
		    "false" },
		{ "version: 1\nnetworks:\n  lan: &x [1.2.3.4]\n  lan2: *x\n",
		    4, 9, "aliases are not supported" },
		{ "version: 1\nstrict: !!bool true\n", 2, 9, "tags" },
		{ "version: 1\n---\nversion: 1\n", 2, 1, "more than one" },
		{ "version: 1\nsite: [\n", 3, 1, "YAML:" },
		{ "version: 1\nnetworks:\n  any: [1.2.3.4]\n", 3, 3,
		    "bad network name" },
		{ "version: 1\nnetworks:\n  lan: [1.2.3]\n", 3, 9,
		    "invalid network" },
		{ "version: 1\nsite:\n  - { id: a, action: deny }\n"
		    "  - { id: a, action: deny }\n", 4, 11, "duplicate rule id" },
		{ "version: 1\ntests:\n  - { caller: a, callee: b, from: any, "
		    "expect: allow }\n", 3, 35, "invalid address" },
		{ "version: 1\ntests:\n  - { caller: a, callee: b, from: 1.2.3.4,"
		    " expect: yes }\n", 3, 52, "expect must be allow or deny" },
		{ "version: 1\nusers:\n  sif: { action: deny }\n", 3, 8,
		    "a user's rules must be a list" },
		{ "version: 1\ntalkrc:\n  sif: { status: weird }\n", 3, 18,
		    "unknown status" },
		{ "version: 1\ntalkrc:\n  sif: { stamp: { ino: x1 } }\n", 3, 24,
		    "decimal" },
		{ "", 1, 1, "empty policy" },
		{ "version: 1\ntests:\n  - { caller: " A257 ", "
		    "callee: b, from: 1.2.3.4, expect: deny }\n", 3, 15,
		    "name longer than 256" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof k / sizeof *k; i++) {
		struct acl *a = (struct acl *)&a;
		struct acl_err e;

		memset(&e, 0, sizeof e);
		assert_int_equal(acl_parse_buf("p.yaml", k[i].text,
		    strlen(k[i].text), ACL_FMT_YAML, &a, &e), -1);
		assert_null(a);
		if (e.line != k[i].line || e.col != k[i].col ||
		    strstr(e.msg, k[i].msg_part) == NULL)
			print_message("case %zu: got %u:%u: %s\n", i, e.line,
			    e.col, e.msg);
		assert_string_equal(e.file, "p.yaml");
		assert_int_equal(e.line, k[i].line);
		assert_int_equal(e.col, k[i].col);
		assert_non_null(strstr(e.msg, k[i].msg_part));
	}
}

static void
test_norway_names_are_strings(void **state)
{
	static const char *const names[] = { "no", "on", "off", "yes", "null",
	    "NULL", "~", "true", "n", "y", "0", "1.0", "0x1" };
	const char *text = "version: 1\nstrict: false\nsite:\n"
	    "  - { action: deny }\n"
	    "  - { action: allow, users: [no, on, off, yes, null, NULL, ~, "
	    "true, n, y, 0, 1.0, 0x1] }\n"
	    "users:\n  null:\n    - { action: deny, users: [no] }\n";
	struct acl *a = parse(text);
	struct acl_verdict v;
	size_t i;

	(void)state;
	assert_int_equal(acl_policy_strict(a), 0);
	for (i = 0; i < sizeof names / sizeof *names; i++) {
		if (decide(a, names[i], "x", 1, &v) != 1)
			print_message("name \"%s\" denied\n", names[i]);
		assert_int_equal(v.allow, 1);
	}
	assert_int_equal(decide(a, "false", "x", 1, &v), 0);
	assert_int_equal(decide(a, "", "x", 1, &v), 0);
	/* users: null: is the user "null", and "no" is a caller name */
	assert_int_equal(decide(a, "null", "no", 1, &v), 0);
	assert_int_equal(v.reason, ACL_R_USER_DENY);
	assert_int_equal(decide(a, "null", "yes", 1, &v), 1);
	acl_free(a);
}

static void
test_last_match_wins_across_literal_and_pattern(void **state)
{
	const char *text = "version: 1\nsite:\n"
	    "  - { id: r1, action: allow, users: [ann, bob] }\n"
	    "  - { id: r2, action: deny, user: \"^a\" }\n"
	    "  - { id: r3, action: allow, users: [amy] }\n"
	    "  - { id: r4, action: deny, users: [bob], from: 10.0.0.0/8 }\n"
	    "  - { id: r5, action: allow, match: \"^b.b$\", "
	    "from: 10.1.0.0/16 }\n";
	static const struct {
		const char *callee;
		uint32_t addr;
		int allow;
		const char *id;
	} k[] = {
		{ "ann", 1, 0, "r2" }, { "amy", 1, 1, "r3" },
		{ "bob", 1, 1, "r1" }, { "bob", IP(10, 2, 0, 0), 0, "r4" },
		{ "bob", IP(10, 1, 0, 0), 1, "r5" }, { "abe", 1, 0, "r2" },
		{ "zed", 1, 1, NULL }, { "bobby", IP(10, 1, 0, 0), 1, NULL },
	};
	struct acl *a = parse(text);
	struct acl_verdict v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof k / sizeof *k; i++) {
		decide(a, k[i].callee, "x", k[i].addr, &v);
		assert_int_equal(v.allow, k[i].allow);
		if (k[i].id == NULL)
			assert_null(v.site);
		else {
			assert_non_null(v.site);
			assert_string_equal(v.site->id, k[i].id);
		}
	}
	acl_free(a);
}

static void
test_policy_decisions_and_embedded_tests(void **state)
{
	struct acl *a = parse(policy_text);
	struct acl_verdict v;
	struct acl_stamp st;
	const struct acl_test *t;
	size_t i;

	(void)state;
	assert_int_equal(decide(a, "sif", "thor", IP(192, 168, 1, 20), &v), 1);
	assert_string_equal(v.site->id, "staff");
	assert_int_equal(v.reason, ACL_R_SITE_ALLOW);
	assert_int_equal(decide(a, "sif", "loki", IP(127, 0, 0, 1), &v), 0);
	assert_int_equal(v.reason, ACL_R_USER_DENY);
	assert_int_equal(v.user->line, 18);
	/* site deny overridden by the policy's own user rule for sif */
	assert_int_equal(decide(a, "sif", "thor", IP(10, 9, 3, 3), &v), 1);
	assert_string_equal(v.site->id, "locked");
	assert_int_equal(v.reason, ACL_R_USER_OVERRIDE);
	/* compiled ~/.talkrc copies */
	assert_non_null(acl_policy_talkrc(a, "thor", &st));
	assert_int_equal(st.ino, 34);
	assert_int_equal(st.mtime_ns, -7);
	assert_int_equal(decide(a, "thor", "eve", IP(127, 0, 0, 1), &v), 0);
	assert_int_equal(v.reason, ACL_R_USER_DENY);
	assert_int_equal(decide(a, "loki", "thor", IP(127, 0, 0, 1), &v), 0);
	assert_int_equal(v.reason, ACL_R_INSECURE_TALKRC);
	assert_null(acl_policy_talkrc(a, "sif", NULL));
	/* the policy's tests all hold */
	assert_int_equal(acl_ntests(a), 5);
	assert_null(acl_test_at(a, 5));
	for (i = 0; i < acl_ntests(a); i++) {
		t = acl_test_at(a, i);
		decide(a, t->callee, t->caller, t->addr, &v);
		if (v.allow != t->expect_allow)
			print_message("test at line %u fails\n", t->line);
		assert_int_equal(v.allow, t->expect_allow);
		assert_int_equal(t->line, 33 + i);
	}
	acl_free(a);
}

/* Same verdicts for every callee x caller x address. */
static void
same_decisions(const struct acl *x, const struct acl *y)
{
	static const char *const names[] = { "thor", "sif", "no", "loki",
	    "adm-1", "adm", "guest", "gst", "eve", "lou", "bob", "" };
	static const uint32_t addrs[] = { IP(192, 168, 1, 20),
	    IP(192, 168, 2, 1), IP(127, 0, 0, 1), IP(10, 9, 1, 1),
	    IP(10, 9, 200, 1), IP(8, 8, 8, 8) };
	size_t i, j, k;

	for (i = 0; i < sizeof names / sizeof *names; i++)
		for (j = 0; j < sizeof names / sizeof *names; j++)
			for (k = 0; k < sizeof addrs / sizeof *addrs; k++) {
				struct acl_verdict a, b;

				decide(x, names[i], names[j], addrs[k], &a);
				decide(y, names[i], names[j], addrs[k], &b);
				assert_int_equal(a.allow, b.allow);
				assert_int_equal(a.reason, b.reason);
				assert_int_equal(a.site == NULL, b.site == NULL);
				assert_int_equal(a.user == NULL, b.user == NULL);
				if (a.site && a.site->id)
					assert_string_equal(a.site->id,
					    b.site->id);
				if (a.site)
					assert_string_equal(a.site->text,
					    b.site->text);
				if (a.user)
					assert_string_equal(a.user->text,
					    b.user->text);
			}
}

static struct acl *
through_yaml(const struct acl *a, char **text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct acl *b;

	assert_non_null(f);
	assert_int_equal(acl_write_yaml(a, f), 0);
	assert_int_equal(fclose(f), 0);
	b = parse(buf);
	if (text != NULL)
		*text = buf;
	else
		free(buf);
	return b;
}

static void
test_round_trip_write_yaml(void **state)
{
	struct acl *a = parse(policy_text), *b, *c;
	char *t1, *t2;
	size_t i;

	(void)state;
	b = through_yaml(a, &t1);
	same_decisions(a, b);
	assert_int_equal(acl_ntests(b), acl_ntests(a));
	for (i = 0; i < acl_ntests(a); i++) {
		assert_string_equal(acl_test_at(a, i)->caller,
		    acl_test_at(b, i)->caller);
		assert_int_equal(acl_test_at(a, i)->addr,
		    acl_test_at(b, i)->addr);
	}
	{
		struct acl_stamp s1, s2;

		assert_non_null(acl_policy_talkrc(b, "thor", &s2));
		acl_policy_talkrc(a, "thor", &s1);
		assert_memory_equal(&s1, &s2, sizeof s1);
	}
	/* and once more: writing what was read back changes nothing */
	c = through_yaml(b, &t2);
	same_decisions(b, c);
	free(t1);
	free(t2);
	acl_free(c);
	acl_free(a);
	acl_free(b);
}

static void
test_round_trip_legacy_and_strange_bytes(void **state)
{
	const char *legacy = "deny .*\nallow 'a b\"c' 10.0.0.0/8\n"
	    "allow '^x\"y$' any\nallow ^\\(a\\)\\1\\{2\\}$\n";
	struct acl *a = NULL, *b;
	struct acl_err e;
	struct acl_verdict v;

	(void)state;
	assert_int_equal(acl_parse_buf("l", legacy, strlen(legacy),
	    ACL_FMT_AUTO, &a, &e), 0);
	b = through_yaml(a, NULL);
	assert_int_equal(decide(b, "xa b\"cx", "q", IP(10, 0, 0, 1), &v), 1);
	assert_int_equal(decide(b, "x\"y", "q", 1, &v), 1);
	assert_int_equal(decide(b, "aaa", "q", 1, &v), 1);
	assert_int_equal(decide(b, "aa", "q", 1, &v), 0);
	same_decisions(a, b);
	acl_free(a);
	acl_free(b);

	/* a tab, a C1 control and a 4-byte character: escaped, same bytes */
	legacy = "deny \"^a\tb\xc2\x9e\xf0\x9f\x98\x80\\{1\\}$\"\n";
	assert_int_equal(acl_parse_buf("l", legacy, strlen(legacy),
	    ACL_FMT_LEGACY, &a, &e), 0);
	b = through_yaml(a, NULL);
	assert_int_equal(decide(b, "a\tb\xc2\x9e\xf0\x9f\x98\x80", "q", 1,
	    &v), 0);
	assert_int_equal(decide(b, "a\tb\xc2\x9e", "q", 1, &v), 1);
	acl_free(a);
	acl_free(b);

	/* bytes that are not UTF-8 cannot be written as YAML */
	legacy = "deny ^\xff$\n";
	assert_int_equal(acl_parse_buf("l", legacy, strlen(legacy),
	    ACL_FMT_LEGACY, &a, &e), 0);
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		assert_non_null(f);
		assert_int_equal(acl_write_yaml(a, f), -1);
		fclose(f);
		free(buf);
	}
	acl_free(a);
}

static void
test_cache_round_trip_of_yaml(void **state)
{
	char dir[] = "/tmp/test_acl_yaml.XXXXXX", path[64];
	struct acl *a = parse(policy_text), *b = NULL;
	struct acl_err e;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_true(snprintf(path, sizeof path, "%s/c", dir) < (int)sizeof path);
	assert_int_equal(acl_cache_write(a, path, &e), 0);
	assert_int_equal(acl_cache_open(path, &b, &e), 0);
	same_decisions(a, b);
	assert_int_equal(acl_ntests(b), 5);
	assert_string_equal(acl_test_at(b, 4)->callee, "no");
	acl_free(b);
	/* and the cache shows as YAML that reads back the same */
	b = through_yaml(a, NULL);
	same_decisions(a, b);
	acl_free(b);
	assert_int_equal(acl_parse_file(path, ACL_FMT_AUTO, &b, &e), 0);
	same_decisions(a, b);
	acl_free(b);
	acl_free(a);
	unlink(path);
	rmdir(dir);
}

/*
 * Golden files: tests/data/acl/NAME printed by acl_write_yaml must equal
 * NAME.ok (what talkctl acl show prints).  TALKD_TEST_UPDATE=1 rewrites
 * the .ok files instead; review the diff before committing it.
 */
static void
test_golden_write_yaml(void **state)
{
	static const char *const inputs[] = { "policy.yaml", "site.acl",
	    "talkrc" };
	const char *src = getenv("TALKD_SRCDIR"), *upd;
	char in[512], ok[512], *got = NULL, *want;
	size_t glen = 0, i, wlen;
	struct acl *a;
	struct acl_err e;
	FILE *f;

	(void)state;
	upd = getenv("TALKD_TEST_UPDATE");
	for (i = 0; i < sizeof inputs / sizeof *inputs; i++) {
		assert_true(snprintf(in, sizeof in, "%s/tests/data/acl/%s",
		    src ? src : ".", inputs[i]) < (int)sizeof in);
		assert_true(snprintf(ok, sizeof ok, "%s.ok", in) <
		    (int)sizeof ok);
		/* a fixed name, so positions in comments do not depend on
		 * where the checkout is */
		f = fopen(in, "r");
		assert_non_null(f);
		want = calloc(1, 65536);
		assert_non_null(want);
		wlen = fread(want, 1, 65535, f);
		fclose(f);
		assert_int_equal(acl_parse_buf(inputs[i], want, wlen,
		    ACL_FMT_AUTO, &a, &e), 0);
		free(want);
		f = open_memstream(&got, &glen);
		assert_non_null(f);
		assert_int_equal(acl_write_yaml(a, f), 0);
		assert_int_equal(fclose(f), 0);
		acl_free(a);
		if (upd != NULL && strcmp(upd, "1") == 0) {
			f = fopen(ok, "w");
			assert_non_null(f);
			assert_int_equal(fwrite(got, 1, glen, f), glen);
			assert_int_equal(fclose(f), 0);
		}
		f = fopen(ok, "r");
		if (f == NULL)
			fail_msg("%s missing (TALKD_TEST_UPDATE=1 makes it)", ok);
		want = calloc(1, 65536);
		assert_non_null(want);
		wlen = fread(want, 1, 65535, f);
		fclose(f);
		if (wlen != glen || memcmp(want, got, glen) != 0)
			fail_msg("%s differs from acl_write_yaml output:\n%s",
			    ok, got);
		free(want);
		free(got);
		got = NULL;
	}
}

static void
test_strict_policy(void **state)
{
	struct acl *a = parse("version: 1\nstrict: true\nsite:\n"
	    "  - { action: allow, users: [sif] }\nusers:\n  bob:\n"
	    "    - { action: allow }\n");
	struct acl_verdict v;

	(void)state;
	assert_int_equal(acl_policy_strict(a), 1);
	assert_int_equal(decide(a, "sif", "x", 1, &v), 1);
	assert_int_equal(decide(a, "bob", "x", 1, &v), 0);
	assert_int_equal(v.reason, ACL_R_STRICT_DENY);
	acl_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors_have_positions),
		cmocka_unit_test(test_norway_names_are_strings),
		cmocka_unit_test(test_last_match_wins_across_literal_and_pattern),
		cmocka_unit_test(test_policy_decisions_and_embedded_tests),
		cmocka_unit_test(test_round_trip_write_yaml),
		cmocka_unit_test(test_round_trip_legacy_and_strange_bytes),
		cmocka_unit_test(test_cache_round_trip_of_yaml),
		cmocka_unit_test(test_strict_policy),
		cmocka_unit_test(test_golden_write_yaml),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
