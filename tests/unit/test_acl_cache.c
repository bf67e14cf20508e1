/*
 * The compiled cache: the policy loaded from the cache decides exactly as
 * the one parsed from the sources over an exhaustive small grid; every
 * truncation and every bit flip is refused cleanly; corruption behind a
 * correct checksum never crashes the decoder; foreign files, other
 * versions, symbolic links, FIFOs, group-writable and foreign-owned files
 * are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "acl/acl.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | \
	(uint32_t)(c) << 8 | (uint32_t)(d))

static const char site_text[] =
    "deny .*\n"
    "allow ^thor$ 10.0.0.0/8\n"
    "allow ^s 192.168.1.0/255.255.255.0 127.0.0.1\n"
    "deny ^sif$ 192.168.1.128/25\n"
    "allow \\(ad\\)m\\1 any\n";
static const char rc_sif[] = "allow ^thor$\ndeny ^loki$ 10.0.0.0/8\n";
static const char rc_thor[] = "deny .\nallow \"^s\\{1,\\}i\" 127.0.0.0/8\n";

struct fx {
	char dir[64], path[128];
	struct acl *src, *cached;
};

static struct acl *
parse(const char *name, const char *text)
{
	struct acl *a = NULL;
	struct acl_err e;

	if (acl_parse_buf(name, text, strlen(text), ACL_FMT_LEGACY, &a,
	    &e) < 0)
		fail_msg("%s:%u:%u: %s", e.file, e.line, e.col, e.msg);
	return a;
}

/* The source policy: site rules plus two ~/.talkrc copies, one deny-all. */
static struct acl *
source_policy(int strict)
{
	struct acl *p = parse("/etc/talkd/acl", site_text), *bad = NULL;
	struct acl_stamp st = { 1, 2, 3, 4, 5 };
	struct acl_err e;
	char path[] = "/tmp/test_acl_cache_rc.XXXXXX";
	int fd;

	acl_policy_set_strict(p, strict);
	assert_int_equal(acl_policy_add_talkrc(p, "sif",
	    parse("/home/sif/.talkrc", rc_sif), &st, &e), 0);
	st.ino = 99;
	assert_int_equal(acl_policy_add_talkrc(p, "thor",
	    parse("/home/thor/.talkrc", rc_thor), &st, &e), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0666), 0);
	assert_int_equal(acl_talkrc_fd(fd, path, geteuid(), getegid(), &bad,
	    NULL, &e), 0);
	close(fd);
	unlink(path);
	assert_int_equal(acl_policy_add_talkrc(p, "loki", bad, &st, &e), 0);
	return p;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	memcpy(f->dir, "/tmp/test_acl_cache.XXXXXX", 27);
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (snprintf(f->path, sizeof f->path, "%s/acl.cache", f->dir) >=
	    (int)sizeof f->path)
		return -1;
	alarm(120);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	acl_free(f->src);
	acl_free(f->cached);
	if (snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir) <
	    (int)sizeof cmd && system(cmd) != 0)
		return -1;
	free(f);
	alarm(0);
	return 0;
}

static int
same_ref(const struct acl_rule_ref *a, const struct acl_rule_ref *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return a->line == b->line && a->col == b->col &&
	    a->action == b->action && strcmp(a->text, b->text) == 0 &&
	    strcmp(a->file, b->file) == 0 &&
	    (a->id == NULL ? b->id == NULL : b->id && !strcmp(a->id, b->id));
}

/* Every callee x caller x address x strict: same verdicts.  Returns the
 * number of requests compared. */
static size_t
compare_grid(const struct acl *x, const struct acl *y)
{
	static const char *const names[] = { "", "thor", "sif", "loki", "s",
	    "admadm", "adm", "nobody", "ssi", "root" };
	static const uint32_t addrs[] = { IP(10, 0, 0, 1), IP(10, 255, 1, 1),
	    IP(192, 168, 1, 1), IP(192, 168, 1, 200), IP(192, 168, 2, 1),
	    IP(127, 0, 0, 1), IP(127, 0, 0, 2), 0, 0xffffffffu };
	size_t i, j, k, n = 0;
	int s;

	for (i = 0; i < sizeof names / sizeof *names; i++)
		for (j = 0; j < sizeof names / sizeof *names; j++)
			for (k = 0; k < sizeof addrs / sizeof *addrs; k++)
				for (s = 0; s < 2; s++) {
					struct acl_query q = { names[i],
					    names[j], addrs[k], s };
					struct acl_verdict a, b;
					struct acl_stamp sa, sb;
					const struct acl *ra, *rb;

					ra = acl_policy_talkrc(x, names[i], &sa);
					rb = acl_policy_talkrc(y, names[i], &sb);
					assert_int_equal(ra == NULL, rb == NULL);
					if (ra != NULL)
						assert_memory_equal(&sa, &sb,
						    sizeof sa);
					acl_decide(x, ra, &q, &a);
					acl_decide(y, rb, &q, &b);
					assert_int_equal(a.allow, b.allow);
					assert_int_equal(a.reason, b.reason);
					assert_true(same_ref(a.site, b.site));
					assert_true(same_ref(a.user, b.user));
					n++;
				}
	return n;
}

static void
test_round_trip_same_decisions(void **state)
{
	struct fx *f = *state;
	struct acl_err e;
	int strict;

	for (strict = 0; strict < 2; strict++) {
		acl_free(f->src);
		acl_free(f->cached);
		f->cached = NULL;
		f->src = source_policy(strict);
		assert_int_equal(acl_cache_write(f->src, f->path, &e), 0);
		assert_int_equal(acl_cache_open(f->path, &f->cached, &e), 0);
		assert_int_equal(acl_policy_strict(f->cached), strict);
		assert_int_equal(compare_grid(f->src, f->cached), 10 * 10 * 9 * 2);
	}
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *b;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	b = malloc((size_t)st.st_size + 1);
	assert_non_null(b);
	assert_int_equal(read(fd, b, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

static void
spill(const char *path, const void *b, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static unsigned char *
good_cache(struct fx *f, size_t *len)
{
	struct acl_err e;

	acl_free(f->src);
	f->src = source_policy(0);
	assert_int_equal(acl_cache_write(f->src, f->path, &e), 0);
	return slurp(f->path, len);
}

static void
expect_refused(const char *path, const char *what)
{
	struct acl *a = (struct acl *)&a;
	struct acl_err e;

	memset(&e, 0, sizeof e);
	assert_int_equal(acl_cache_open(path, &a, &e), -1);
	assert_null(a);
	assert_true(e.msg[0] != '\0');
	if (what != NULL && strstr(e.msg, what) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, what);
}

static void
test_every_truncation_refused(void **state)
{
	struct fx *f = *state;
	size_t len, i;
	unsigned char *img = good_cache(f, &len);
	char p[160];

	assert_true(snprintf(p, sizeof p, "%s/trunc", f->dir) < (int)sizeof p);
	for (i = 0; i < len; i++) {
		spill(p, img, i, 0644);
		expect_refused(p, i < 64 ? NULL : "truncated");
	}
	/* one byte too many */
	img = realloc(img, len + 1);
	assert_non_null(img);
	img[len] = 0;
	spill(p, img, len + 1, 0644);
	expect_refused(p, "trailing");
	free(img);
}

static void
test_every_bit_flip_refused(void **state)
{
	struct fx *f = *state;
	size_t len, i;
	unsigned char *img = good_cache(f, &len);
	struct acl *a;
	struct acl_err e;
	char p[160];
	int bit;

	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			img[i] ^= (unsigned char)(1u << bit);
			a = (struct acl *)&a;
			assert_int_equal(acl_parse_buf("c", (char *)img, len,
			    ACL_FMT_CACHE, &a, &e), -1);
			assert_null(a);
			assert_true(e.msg[0] != '\0');
			img[i] ^= (unsigned char)(1u << bit);
		}
	/* through files too, one byte at a time */
	assert_true(snprintf(p, sizeof p, "%s/flip", f->dir) < (int)sizeof p);
	for (i = 0; i < len; i += 7) {
		img[i] ^= 0xff;
		spill(p, img, len, 0644);
		expect_refused(p, NULL);
		img[i] ^= 0xff;
	}
	spill(p, img, len, 0644);
	a = NULL;
	assert_int_equal(acl_cache_open(p, &a, &e), 0);
	acl_free(a);
	free(img);
}

static uint32_t
crc32(uint32_t crc, const unsigned char *p, size_t n)
{
	int k;

	crc = ~crc;
	while (n-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? 0xedb88320u ^ (crc >> 1) : crc >> 1;
	}
	return ~crc;
}

/* Recompute the header's size and checksum (layout: schema/cache.md). */
static void
reseal(unsigned char *b, size_t len)
{
	uint64_t plen = len - 64;
	uint32_t c;
	int i;

	for (i = 0; i < 8; i++)
		b[16 + i] = (unsigned char)(plen >> (8 * i));
	c = crc32(0, b, 24);
	c = crc32(c, b + 28, 36);
	c = crc32(c, b + 64, len - 64);
	for (i = 0; i < 4; i++)
		b[24 + i] = (unsigned char)(c >> (8 * i));
}

/*
 * Corruption the checksum cannot see (a writer bug, a forged file): the
 * decoder must validate each length and count itself.  Every byte of the
 * payload is set to a few values, resealed, and loaded: a clean -1, or a
 * policy that works.
 */
static void
test_resealed_corruption_never_crashes(void **state)
{
	struct fx *f = *state;
	static const unsigned char vals[] = { 0x00, 0x01, 0x02, 0x03, 0x7f,
	    0x80, 0xfe, 0xff };
	size_t len, i, v, refused = 0, loaded = 0;
	unsigned char *img = good_cache(f, &len), *m = malloc(len);
	struct acl *a;
	struct acl_err e;

	assert_non_null(m);
	memcpy(m, img, len);
	reseal(m, len);
	assert_memory_equal(m, img, len);	/* reseal matches the writer */
	for (i = 64; i < len; i++)
		for (v = 0; v < sizeof vals; v++) {
			if (img[i] == vals[v])
				continue;
			memcpy(m, img, len);
			m[i] = vals[v];
			reseal(m, len);
			a = NULL;
			if (acl_parse_buf("c", (char *)m, len, ACL_FMT_CACHE,
			    &a, &e) < 0) {
				assert_null(a);
				assert_true(e.msg[0] != '\0');
				refused++;
			} else {
				struct acl_query q = { "sif", "thor", 1, 0 };
				struct acl_verdict vd;

				acl_decide(a, acl_policy_talkrc(a, "sif", NULL),
				    &q, &vd);
				acl_free(a);
				loaded++;
			}
		}
	print_message("resealed: %zu refused, %zu loaded\n", refused, loaded);
	assert_true(refused > 0);
	/* a from token that says one network while the rule holds another */
	memcpy(m, img, len);
	{
		unsigned char *at = memmem(m + 64, len - 64, "10.0.0.0/8", 10);

		assert_non_null(at);
		at[1] = '1';
	}
	reseal(m, len);
	assert_int_equal(acl_parse_buf("c", (char *)m, len, ACL_FMT_CACHE, &a,
	    &e), -1);
	assert_non_null(strstr(e.msg, "do not match"));
	/* the version field is checked before anything else */
	memcpy(m, img, len);
	m[8] = 2;
	reseal(m, len);
	assert_int_equal(acl_parse_buf("c", (char *)m, len, ACL_FMT_CACHE, &a,
	    &e), -1);
	assert_non_null(strstr(e.msg, "version"));
	free(m);
	free(img);
}

static void
test_foreign_and_unsafe_files_refused(void **state)
{
	struct fx *f = *state;
	size_t len;
	unsigned char *img = good_cache(f, &len);
	char p[160], l[160];
	struct acl *a = NULL;
	struct acl_err e;

	assert_true(snprintf(p, sizeof p, "%s/x", f->dir) < (int)sizeof p);
	assert_true(snprintf(l, sizeof l, "%s/link", f->dir) < (int)sizeof l);
	static const char text[] = "allow .* any\n# not a cache, but long "
	    "enough for a header ......................\n";

	assert_true(sizeof text > 64);
	spill(p, text, sizeof text - 1, 0644);
	expect_refused(p, "not a talkd ACL cache");
	spill(p, "", 0, 0644);
	expect_refused(p, "not a talkd ACL cache");

	/* the good image: accepted as 0644 and 0600 */
	spill(p, img, len, 0600);
	assert_int_equal(acl_cache_open(p, &a, &e), 0);
	acl_free(a);

	assert_int_equal(symlink(p, l), 0);
	expect_refused(l, "symbolic link");
	spill(p, img, len, 0664);
	expect_refused(p, "writable");
	spill(p, img, len, 0646);
	expect_refused(p, "writable");
	unlink(p);
	assert_int_equal(mkfifo(p, 0644), 0);
	expect_refused(p, "regular file");
	expect_refused(f->dir, NULL);
	expect_refused("/nonexistent/acl.cache", "cannot open");
	if (geteuid() == 0) {
		unlink(p);
		spill(p, img, len, 0644);
		assert_int_equal(chown(p, 4321, 4321), 0);
		expect_refused(p, "owned by");
	}
	free(img);
}

static int
count_prefix(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

static void
test_write_failure_leaves_no_temp(void **state)
{
	struct fx *f = *state;
	struct acl_err e;
	char p[200];

	acl_free(f->src);
	f->src = source_policy(0);
	assert_true(snprintf(p, sizeof p, "%s/nodir/acl.cache", f->dir) <
	    (int)sizeof p);
	assert_int_equal(acl_cache_write(f->src, p, &e), -1);
	assert_true(e.msg[0] != '\0');
	/* the target is a folder: rename fails, the temp file is removed */
	assert_true(snprintf(p, sizeof p, "%s/isdir", f->dir) < (int)sizeof p);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(acl_cache_write(f->src, p, &e), -1);
	assert_int_equal(count_prefix(f->dir, "isdir."), 0);
	assert_int_equal(count_prefix(f->dir, "acl.cache."), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_same_decisions),
		cmocka_unit_test(test_every_truncation_refused),
		cmocka_unit_test(test_every_bit_flip_refused),
		cmocka_unit_test(test_resealed_corruption_never_crashes),
		cmocka_unit_test(test_foreign_and_unsafe_files_refused),
		cmocka_unit_test(test_write_failure_leaves_no_temp),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
