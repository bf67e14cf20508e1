/*
 * ~/.talkrc loading on real files in a temporary folder: a good file, a
 * symbolic link, wrong modes and owners (chown needs root; those cases are
 * skipped otherwise), a FIFO and a pipe (must not block), a device, a
 * folder, a file too large, a file that does not parse, a missing file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "acl/acl.h"

struct tmp {
	char dir[64];
	char path[128];
};

static int
setup(void **state)
{
	struct tmp *t = calloc(1, sizeof *t);

	if (t == NULL)
		return -1;
	memcpy(t->dir, "/tmp/test_acl_talkrc.XXXXXX", 28);
	if (mkdtemp(t->dir) == NULL)
		return -1;
	alarm(20);			/* a blocking open fails, not hangs */
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct tmp *t = *state;
	char cmd[128];

	if (snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir) <
	    (int)sizeof cmd && system(cmd) != 0)
		return -1;
	free(t);
	alarm(0);
	return 0;
}

static const char *
mkfile(struct tmp *t, const char *name, const char *text, mode_t mode)
{
	int fd;

	assert_true(snprintf(t->path, sizeof t->path, "%s/%s", t->dir, name) <
	    (int)sizeof t->path);
	fd = open(t->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return t->path;
}

static int
decide(const struct acl *rc, const char *caller, struct acl_verdict *v)
{
	struct acl_query q = { "me", caller, 0x0a000001u, 0 };

	acl_decide(NULL, rc, &q, v);
	return v->allow;
}

static void
expect_deny_all(const struct acl *rc, enum acl_reason why)
{
	struct acl_verdict v;

	assert_non_null(rc);
	assert_int_equal(decide(rc, "thor", &v), 0);
	assert_int_equal(v.reason, why);
	assert_int_equal(decide(rc, "", &v), 0);
	assert_int_equal(v.reason, why);
	assert_non_null(v.user);
	assert_int_equal(v.user->action, ACL_DENY);
}

static void
test_regular_file(void **state)
{
	struct tmp *t = *state;
	const char *p = mkfile(t, "ok", "allow .\ndeny ^eve$\n", 0644);
	struct acl *rc = NULL;
	struct acl_stamp st;
	struct acl_err e;
	struct acl_verdict v;
	struct stat sb;

	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(acl_talkrc_path(p, sb.st_uid, sb.st_gid, &rc, &st,
	    &e), 0);
	assert_int_equal(decide(rc, "thor", &v), 1);
	assert_int_equal(decide(rc, "eve", &v), 0);
	assert_int_equal(v.reason, ACL_R_USER_DENY);
	assert_string_equal(v.user->file, p);
	assert_int_equal(st.ino, (uint64_t)sb.st_ino);
	assert_int_equal(st.dev, (uint64_t)sb.st_dev);
	assert_int_equal(st.size, (uint64_t)sb.st_size);
	assert_int_equal(st.mtime_ns, (int64_t)sb.st_mtim.tv_sec * 1000000000 +
	    sb.st_mtim.tv_nsec);
	acl_free(rc);
}

static void
test_from_descriptor_reads_from_start(void **state)
{
	struct tmp *t = *state;
	const char *p = mkfile(t, "fd", "deny ^eve$\n", 0600);
	struct acl *rc = NULL;
	struct acl_err e;
	struct acl_verdict v;
	int fd = open(p, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, 3, SEEK_SET), 3);
	assert_int_equal(acl_talkrc_fd(fd, "name", geteuid(), getegid(), &rc,
	    NULL, &e), 0);
	close(fd);
	assert_int_equal(decide(rc, "eve", &v), 0);
	assert_string_equal(v.user->file, "name");
	acl_free(rc);
}

static void
test_symlink_is_insecure(void **state)
{
	struct tmp *t = *state;
	char link[160];
	struct acl *rc = NULL;
	struct acl_err e;

	mkfile(t, "target", "allow .\n", 0644);
	assert_true(snprintf(link, sizeof link, "%s/link", t->dir) <
	    (int)sizeof link);
	assert_int_equal(symlink(t->path, link), 0);
	assert_int_equal(acl_talkrc_path(link, geteuid(), getegid(), &rc, NULL,
	    &e), 0);
	expect_deny_all(rc, ACL_R_INSECURE_TALKRC);
	assert_non_null(strstr(e.msg, "symbolic link"));
	acl_free(rc);
}

static void
test_group_or_world_writable_is_insecure(void **state)
{
	struct tmp *t = *state;
	static const mode_t modes[] = { 0664, 0646, 0620, 0602 };
	struct acl *rc = NULL;
	struct acl_err e;
	size_t i;

	for (i = 0; i < sizeof modes / sizeof *modes; i++) {
		const char *p = mkfile(t, "gw", "allow .\n", modes[i]);

		assert_int_equal(acl_talkrc_path(p, geteuid(), getegid(), &rc,
		    NULL, &e), 0);
		expect_deny_all(rc, ACL_R_INSECURE_TALKRC);
		assert_non_null(strstr(e.msg, "writable"));
		acl_free(rc);
	}
}

static void
test_wrong_owner_or_group_is_insecure(void **state)
{
	struct tmp *t = *state;
	const char *p = mkfile(t, "own", "allow .\n", 0644);
	struct acl *rc = NULL;
	struct acl_err e;

	/* the file's owner is not the user the daemon asks about */
	assert_int_equal(acl_talkrc_path(p, geteuid() + 1, getegid(), &rc,
	    NULL, &e), 0);
	expect_deny_all(rc, ACL_R_INSECURE_TALKRC);
	assert_non_null(strstr(e.msg, "owned by"));
	acl_free(rc);
	assert_int_equal(acl_talkrc_path(p, geteuid(), getegid() + 1, &rc,
	    NULL, &e), 0);
	expect_deny_all(rc, ACL_R_INSECURE_TALKRC);
	assert_non_null(strstr(e.msg, "group"));
	acl_free(rc);
	if (geteuid() != 0) {
		print_message("not root: chown cases skipped\n");
		return;
	}
	/* as root: really give the file to another uid, then gid */
	assert_int_equal(chown(p, 4321, getegid()), 0);
	assert_int_equal(acl_talkrc_path(p, 0, getegid(), &rc, NULL, &e), 0);
	expect_deny_all(rc, ACL_R_INSECURE_TALKRC);
	acl_free(rc);
	assert_int_equal(acl_talkrc_path(p, 4321, getegid(), &rc, NULL, &e),
	    0);
	assert_non_null(rc);
	acl_free(rc);
	assert_int_equal(chown(p, 0, 4321), 0);
	assert_int_equal(acl_talkrc_path(p, 0, getegid(), &rc, NULL, &e), 0);
	expect_deny_all(rc, ACL_R_INSECURE_TALKRC);
	acl_free(rc);
}

static void
test_fifo_pipe_device_folder_are_insecure(void **state)
{
	struct tmp *t = *state;
	struct acl *rc = NULL;
	struct acl_err e;
	char fifo[160];
	int p[2];

	/* no writer: a blocking open or read would hang here */
	assert_true(snprintf(fifo, sizeof fifo, "%s/fifo", t->dir) <
	    (int)sizeof fifo);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(acl_talkrc_path(fifo, geteuid(), getegid(), &rc, NULL,
	    &e), 0);
	expect_deny_all(rc, ACL_R_INSECURE_TALKRC);
	assert_non_null(strstr(e.msg, "not a regular file"));
	acl_free(rc);

	/* a pipe with a writer that never writes */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(acl_talkrc_fd(p[0], "pipe", geteuid(), getegid(), &rc,
	    NULL, &e), 0);
	expect_deny_all(rc, ACL_R_INSECURE_TALKRC);
	acl_free(rc);
	close(p[0]);
	close(p[1]);

	assert_int_equal(acl_talkrc_path("/dev/zero", 0, 0, &rc, NULL, &e), 0);
	expect_deny_all(rc, ACL_R_INSECURE_TALKRC);
	acl_free(rc);
	assert_int_equal(acl_talkrc_path(t->dir, geteuid(), getegid(), &rc,
	    NULL, &e), 0);
	expect_deny_all(rc, ACL_R_INSECURE_TALKRC);
	acl_free(rc);
}

static void
test_too_big_is_bad(void **state)
{
	struct tmp *t = *state;
	char *big = malloc(ACL_TALKRC_MAX + 2);
	struct acl *rc = NULL;
	struct acl_err e;
	const char *p;

	assert_non_null(big);
	memset(big, '#', ACL_TALKRC_MAX + 1);
	big[ACL_TALKRC_MAX + 1] = '\0';
	p = mkfile(t, "big", big, 0644);
	assert_int_equal(acl_talkrc_path(p, geteuid(), getegid(), &rc, NULL,
	    &e), 0);
	expect_deny_all(rc, ACL_R_BAD_TALKRC);
	assert_non_null(strstr(e.msg, "larger"));
	acl_free(rc);
	/* exactly the limit is fine */
	big[ACL_TALKRC_MAX] = '\0';
	p = mkfile(t, "big", big, 0644);
	assert_int_equal(acl_talkrc_path(p, geteuid(), getegid(), &rc, NULL,
	    &e), 0);
	assert_non_null(rc);
	{
		struct acl_verdict v;

		assert_int_equal(decide(rc, "x", &v), 1);
	}
	acl_free(rc);
	free(big);
}

static void
test_parse_error_is_bad_with_position(void **state)
{
	struct tmp *t = *state;
	const char *p = mkfile(t, "bad", "allow ok\n\n  alow x\n", 0644);
	struct acl *rc = NULL;
	struct acl_err e;

	assert_int_equal(acl_talkrc_path(p, geteuid(), getegid(), &rc, NULL,
	    &e), 0);
	expect_deny_all(rc, ACL_R_BAD_TALKRC);
	assert_string_equal(e.file, p);
	assert_int_equal(e.line, 3);
	assert_int_equal(e.col, 3);
	assert_non_null(strstr(e.msg, "unknown action"));
	acl_free(rc);
}

static void
test_missing_is_enoent(void **state)
{
	struct tmp *t = *state;
	struct acl *rc = (struct acl *)&rc;
	struct acl_err e;
	char p[160];

	assert_true(snprintf(p, sizeof p, "%s/none", t->dir) < (int)sizeof p);
	errno = 0;
	assert_int_equal(acl_talkrc_path(p, 0, 0, &rc, NULL, &e), -1);
	assert_int_equal(errno, ENOENT);
	assert_null(rc);
}

/* ---- the one opener, the one choice ------------------------------------------ */

static void
test_open_kinds(void **state)
{
	struct tmp *t = *state;
	struct acl_source src;
	char p[160], q[160];

	mkfile(t, "good", "allow .\n", 0644);
	assert_int_equal(acl_talkrc_open(t->path, geteuid(), getegid(), &src),
	    ACL_SRC_OPENED);
	assert_true(src.fd >= 0);
	assert_ptr_equal(src.name, t->path);
	close(src.fd);
	/* Not the user's own: no descriptor is handed on. */
	assert_int_equal(acl_talkrc_open(t->path, geteuid() + 1, getegid(),
	    &src), ACL_SRC_INSECURE);
	assert_int_equal(src.fd, -1);
	assert_true(snprintf(p, sizeof p, "%s/none", t->dir) < (int)sizeof p);
	assert_int_equal(acl_talkrc_open(p, geteuid(), getegid(), &src),
	    ACL_SRC_ABSENT);
	assert_true(snprintf(q, sizeof q, "%s/good/x", t->dir) < (int)sizeof q);
	assert_int_equal(acl_talkrc_open(q, geteuid(), getegid(), &src),
	    ACL_SRC_ABSENT);			/* ENOTDIR */
	assert_int_equal(symlink(t->path, p), 0);
	assert_int_equal(acl_talkrc_open(p, geteuid(), getegid(), &src),
	    ACL_SRC_INSECURE);
	assert_true(snprintf(q, sizeof q, "%s/fifo2", t->dir) < (int)sizeof q);
	assert_int_equal(mkfifo(q, 0644), 0);
	assert_int_equal(acl_talkrc_open(q, geteuid(), getegid(), &src),
	    ACL_SRC_INSECURE);		/* and did not block */
	assert_int_equal(acl_talkrc_open(t->dir, geteuid(), getegid(), &src),
	    ACL_SRC_INSECURE);		/* a folder */
	if (geteuid() != 0) {
		mkfile(t, "locked", "allow .\n", 0);
		assert_int_equal(acl_talkrc_open(t->path, geteuid(),
		    getegid(), &src), ACL_SRC_UNREADABLE);
		assert_int_equal(src.errnum, EACCES);
	}
}

static void
test_talkrc_name(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(acl_talkrc_name("/home/u", buf, sizeof buf), 0);
	assert_string_equal(buf, "/home/u/.talkrc");
	assert_int_equal(acl_talkrc_name("/", buf, sizeof buf), 0);
	assert_string_equal(buf, "/.talkrc");
	assert_int_equal(acl_talkrc_name("", buf, sizeof buf), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(acl_talkrc_name("/a/very/long/home/directory", buf,
	    sizeof buf), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	/* One trailing slash is not doubled. */
	assert_int_equal(acl_talkrc_name("/home/u/", buf, sizeof buf), 0);
	assert_string_equal(buf, "/home/u/.talkrc");
	/* The bound, to the byte: a 22-byte home takes 31 bytes with
	 * "/.talkrc" and the NUL, a 23-byte one all 32 (also with a trailing
	 * slash, which is dropped), a 24-byte one does not fit. */
	assert_int_equal(acl_talkrc_name("/home/abcdefghijklmnop", buf,
	    sizeof buf), 0);
	assert_string_equal(buf, "/home/abcdefghijklmnop/.talkrc");
	assert_int_equal(acl_talkrc_name("/home/abcdefghijklmnopq", buf,
	    sizeof buf), 0);
	assert_int_equal(strlen(buf), sizeof buf - 1);
	assert_int_equal(acl_talkrc_name("/home/abcdefghijklmnopq/", buf,
	    sizeof buf), 0);
	assert_int_equal(acl_talkrc_name("/home/abcdefghijklmnopqr", buf,
	    sizeof buf), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

static void
test_stamp(void **state)
{
	struct acl_stamp a, b;
	struct stat sb;

	(void)state;
	memset(&sb, 0, sizeof sb);
	sb.st_dev = 1;
	sb.st_ino = 2;
	sb.st_size = 3;
	sb.st_mtim.tv_sec = 4;
	sb.st_mtim.tv_nsec = 5;
	sb.st_ctim.tv_sec = 6;
	acl_stamp_of(&sb, &a);
	assert_int_equal(a.mtime_ns, 4000000005LL);
	assert_int_equal(a.ctime_ns, 6000000000LL);
	b = a;
	assert_true(acl_stamp_eq(&a, &b));
	b.ctime_ns++;
	assert_false(acl_stamp_eq(&a, &b));
}

/* A policy whose compiled copy of "me" is path's file as it is now. */
static struct acl *
policy_with_copy(const char *path)
{
	struct acl *pol = NULL, *rc = NULL;
	struct acl_stamp st;
	struct acl_err e;

	assert_int_equal(acl_policy_new(&pol, &e), 0);
	assert_int_equal(acl_talkrc_path(path, geteuid(), getegid(), &rc, &st,
	    &e), 0);
	assert_int_equal(acl_policy_add_talkrc(pol, "me", rc, &st, &e), 0);
	return pol;
}

static int
pick_decide(const struct acl *pol, const char *path, struct acl_talkrc *tr,
    struct acl_verdict *v, struct acl_err *e)
{
	struct acl_query q = { "me", "eve", 0x0a000001u, 0 };
	struct acl_source src;

	(void)acl_talkrc_open(path, geteuid(), getegid(), &src);
	assert_int_equal(acl_decide_source(pol, &src, tr, &q, v, NULL, NULL,
	    e), 0);
	if (src.fd >= 0)
		close(src.fd);
	return v->allow;
}

static void
test_pick_compiled_copy_by_identity(void **state)
{
	struct tmp *t = *state;
	struct acl_talkrc tr;
	struct acl_verdict v;
	struct acl_err e;
	struct acl *pol;
	char buf[256], want[256];

	memset(&tr, 0, sizeof tr);
	mkfile(t, "rc", "deny ^eve$\n", 0644);
	pol = policy_with_copy(t->path);
	assert_int_equal(pick_decide(pol, t->path, &tr, &v, &e), 0);
	assert_true(tr.compiled);
	assert_ptr_equal(tr.use, acl_policy_talkrc(pol, "me", NULL));
	assert_null(tr.own);			/* the file was not read */
	assert_int_equal(v.reason, ACL_R_USER_DENY);
	assert_true(snprintf(want, sizeof want, "%s:1:1", t->path) <
	    (int)sizeof want);
	assert_string_equal(acl_rule_ref_str(acl_verdict_rule(&v), buf,
	    sizeof buf), want);
	/* An edit: the copy is stale, the file decides. */
	mkfile(t, "rc", "allow ^eve$\n", 0644);
	assert_int_equal(pick_decide(pol, t->path, &tr, &v, &e), 1);
	assert_false(tr.compiled);
	assert_true(tr.stale);
	assert_non_null(tr.own);
	acl_talkrc_clear(&tr);
	acl_free(pol);
}

static void
test_pick_keeps_a_parsed_file_until_it_changes(void **state)
{
	struct tmp *t = *state;
	struct acl_talkrc tr;
	struct acl_verdict v;
	struct acl_err e;
	const struct acl *first;

	memset(&tr, 0, sizeof tr);
	mkfile(t, "rc", "deny ^eve$\n", 0644);
	assert_int_equal(pick_decide(NULL, t->path, &tr, &v, &e), 0);
	assert_int_equal(v.reason, ACL_R_USER_DENY);
	first = tr.own;
	assert_int_equal(pick_decide(NULL, t->path, &tr, &v, &e), 0);
	assert_ptr_equal(tr.own, first);	/* same identity: not read */
	mkfile(t, "rc", "allow .\n", 0644);
	assert_int_equal(pick_decide(NULL, t->path, &tr, &v, &e), 1);
	/* NULL source: what was picked, no I/O. */
	{
		struct acl_query q = { "me", "eve", 0, 0 };

		assert_int_equal(acl_decide_source(NULL, NULL, &tr, &q, &v,
		    NULL, NULL, &e), 0);
		assert_int_equal(v.allow, 1);
	}
	acl_talkrc_clear(&tr);
	assert_null(tr.use);
}

static void
test_pick_every_kind_has_a_reason_and_a_rule(void **state)
{
	struct tmp *t = *state;
	struct acl_talkrc tr;
	struct acl_source src;
	struct acl_query q = { "me", "eve", 0, 0 };
	struct acl_verdict v;
	struct acl_err e;
	char buf[256], big[ACL_TALKRC_MAX + 64];

	memset(&tr, 0, sizeof tr);
	memset(&src, 0, sizeof src);
	src.fd = -1;
	src.name = "/home/me/.talkrc";
	src.kind = ACL_SRC_NOUSER;
	assert_int_equal(acl_decide_source(NULL, &src, &tr, &q, &v, NULL,
	    NULL, &e), 0);
	assert_int_equal(v.allow, 1);
	assert_null(tr.use);
	src.kind = ACL_SRC_ABSENT;
	assert_int_equal(acl_decide_source(NULL, &src, &tr, &q, &v, NULL,
	    NULL, &e), 0);
	assert_int_equal(v.allow, 1);

	src.kind = ACL_SRC_INSECURE;
	assert_int_equal(acl_decide_source(NULL, &src, &tr, &q, &v, NULL,
	    NULL, &e), 0);
	assert_int_equal(v.allow, 0);
	assert_int_equal(v.reason, ACL_R_INSECURE_TALKRC);
	assert_int_equal(acl_denyall_reason(tr.use), ACL_R_INSECURE_TALKRC);
	assert_string_equal(acl_rule_ref_str(acl_verdict_rule(&v), buf,
	    sizeof buf), "/home/me/.talkrc");
	assert_non_null(strstr(e.msg, "insecure"));
	/* The same again is said once. */
	assert_int_equal(acl_decide_source(NULL, &src, &tr, &q, &v, NULL,
	    NULL, &e), 0);
	assert_string_equal(e.msg, "");

	src.kind = ACL_SRC_UNREADABLE;
	src.errnum = EACCES;
	assert_int_equal(acl_decide_source(NULL, &src, &tr, &q, &v, NULL,
	    NULL, &e), 0);
	assert_int_equal(v.allow, 0);
	assert_int_equal(v.reason, ACL_R_UNREADABLE_TALKRC);
	assert_string_equal(acl_reason_str(v.reason), "unreadable-talkrc");
	assert_int_equal(tr.err, EACCES);
	assert_non_null(strstr(e.msg, strerror(EACCES)));
	assert_string_equal(acl_rule_ref_str(acl_verdict_rule(&v), buf,
	    sizeof buf), "/home/me/.talkrc");

	/* Over the size limit. */
	memset(big, '#', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	mkfile(t, "big", big, 0644);
	assert_int_equal(pick_decide(NULL, t->path, &tr, &v, &e), 0);
	assert_int_equal(v.reason, ACL_R_BAD_TALKRC);
	assert_string_equal(acl_rule_ref_str(acl_verdict_rule(&v), buf,
	    sizeof buf), t->path);
	/* Group-writable: opened, then found insecure on the descriptor. */
	mkfile(t, "gw", "allow .\n", 0664);
	assert_int_equal(pick_decide(NULL, t->path, &tr, &v, &e), 0);
	assert_int_equal(v.reason, ACL_R_INSECURE_TALKRC);
	acl_talkrc_clear(&tr);
	/* What a failed pick leaves (no set for a file) never allows. */
	tr.kind = ACL_SRC_UNREADABLE;
	assert_int_equal(acl_decide_source(NULL, NULL, &tr, &q, &v, NULL,
	    NULL, &e), -1);
	assert_int_equal(v.allow, 0);
	assert_int_equal(v.reason, ACL_R_UNREADABLE_TALKRC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular_file),
		cmocka_unit_test(test_from_descriptor_reads_from_start),
		cmocka_unit_test(test_symlink_is_insecure),
		cmocka_unit_test(test_group_or_world_writable_is_insecure),
		cmocka_unit_test(test_wrong_owner_or_group_is_insecure),
		cmocka_unit_test(test_fifo_pipe_device_folder_are_insecure),
		cmocka_unit_test(test_too_big_is_bad),
		cmocka_unit_test(test_parse_error_is_bad_with_position),
		cmocka_unit_test(test_missing_is_enoent),
		cmocka_unit_test(test_open_kinds),
		cmocka_unit_test(test_talkrc_name),
		cmocka_unit_test(test_stamp),
		cmocka_unit_test(test_pick_compiled_copy_by_identity),
		cmocka_unit_test(test_pick_keeps_a_parsed_file_until_it_changes),
		cmocka_unit_test(test_pick_every_kind_has_a_reason_and_a_rule),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
