/*
 * announce.c and ringer.c against real ptys and a real utmp file: the tty
 * choice, the escaping, the banner, and the non-blocking ringer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <utmp.h>

#include "talkd/talkd.h"

#define OTHER_UID ((uid_t)4242)		/* owns no tty here */

/*
 * Giving a tty to another user needs root.  Without it those checks are
 * left out with a TAP comment: cmocka 1.1.5 prints skip() as "not ok",
 * which prove counts as a failure.
 */
static int
have_root(const char *what)
{
	if (geteuid() == 0)
		return 1;
	print_message("# not root: %s left out\n", what);
	return 0;
}

struct pty {
	int master, slave;
	char line[TTY_SIZE + 1];	/* "pts/N" */
};

struct fix {
	char dir[64];
	char utmp[96];
	char user[64];
	struct pty p[3];
	struct utmp_cache *c;
};

static void
pty_open(struct pty *p, mode_t mode, time_t atime)
{
	char name[64];
	struct termios tio;
	struct timespec ts[2];

	assert_int_equal(openpty(&p->master, &p->slave, name, NULL, NULL), 0);
	assert_int_equal(strncmp(name, "/dev/", 5), 0);
	assert_true(strlen(name + 5) <= TTY_SIZE);
	memcpy(p->line, name + 5, strlen(name + 5) + 1);
	/* Raw: what the ringer writes arrives at the master unchanged. */
	assert_int_equal(tcgetattr(p->slave, &tio), 0);
	cfmakeraw(&tio);
	assert_int_equal(tcsetattr(p->slave, TCSANOW, &tio), 0);
	assert_int_equal(fchmod(p->slave, mode), 0);
	ts[0].tv_sec = atime;
	ts[0].tv_nsec = 0;
	ts[1].tv_sec = 0;
	ts[1].tv_nsec = UTIME_OMIT;
	assert_int_equal(futimens(p->slave, ts), 0);
}

static void
pty_close(struct pty *p)
{
	if (p->master >= 0)
		close(p->master);
	if (p->slave >= 0)
		close(p->slave);
	p->master = p->slave = -1;
}

static void
set_atime(const struct pty *p, time_t atime)
{
	struct timespec ts[2] = { { atime, 0 }, { 0, UTIME_OMIT } };

	assert_int_equal(futimens(p->slave, ts), 0);
}

static struct utmp
ut(short type, const char *user, const char *line)
{
	struct utmp u;

	memset(&u, 0, sizeof(u));
	u.ut_type = type;
	u.ut_pid = getpid();
	memcpy(u.ut_user, user, strnlen(user, sizeof(u.ut_user)));
	memcpy(u.ut_line, line, strnlen(line, sizeof(u.ut_line)));
	u.ut_tv.tv_sec = (int32_t)time(NULL);
	return u;
}

/* Write records to path: in place (same inode), or by rename. */
static void
utmp_write(const char *path, const struct utmp *u, size_t n, int by_rename)
{
	char tmp[128];
	const char *to = path;
	int fd;

	if (by_rename) {
		assert_true(snprintf(tmp, sizeof(tmp), "%s.new", path) <
		    (int)sizeof(tmp));
		to = tmp;
	}
	fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	if (n)
		assert_int_equal(write(fd, u, n * sizeof(*u)),
		    (ssize_t)(n * sizeof(*u)));
	close(fd);
	if (by_rename)
		assert_int_equal(rename(tmp, path), 0);
}

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct passwd *pw = getpwuid(geteuid());
	size_t i;

	assert_non_null(f);
	assert_non_null(pw);
	snprintf(f->user, sizeof(f->user), "%s", pw->pw_name);
	snprintf(f->dir, sizeof(f->dir), "/tmp/talkd-announce-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->utmp, sizeof(f->utmp), "%s/utmp", f->dir);
	/* Group-writable, atimes 1000 < 2000 < 3000 seconds. */
	for (i = 0; i < 3; i++)
		pty_open(&f->p[i], 0620, (time_t)(1000 * (i + 1)));
	f->c = utmp_cache_new(f->utmp);
	assert_non_null(f->c);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;
	char tmp[128];
	size_t i;

	utmp_cache_free(f->c);
	for (i = 0; i < 3; i++)
		pty_close(&f->p[i]);
	unlink(f->utmp);
	snprintf(tmp, sizeof(tmp), "%s.new", f->utmp);
	unlink(tmp);
	rmdir(f->dir);
	free(f);
	return 0;
}

static enum ctl_answer
find(struct fix *f, uid_t uid, const char *want, struct tty_choice *out)
{
	return find_user(f->c, f->user, uid, want, out);
}

/* ---- find_user ------------------------------------------------------------- */

static void
test_find_user_largest_atime(void **state)
{
	struct fix *f = *state;
	struct utmp u[4];
	struct tty_choice t;

	u[0] = ut(USER_PROCESS, f->user, f->p[0].line);
	u[1] = ut(USER_PROCESS, f->user, f->p[2].line);
	u[2] = ut(USER_PROCESS, "someoneelse", f->p[1].line);
	u[3] = ut(USER_PROCESS, f->user, f->p[1].line);
	utmp_write(f->utmp, u, 4, 0);
	assert_int_equal(find(f, geteuid(), "", &t), SUCCESS);
	assert_string_equal(t.line, f->p[2].line);	/* atime 3000 */

	/* Use another tty: the choice follows (stat on every call). */
	set_atime(&f->p[0], 9000);
	assert_int_equal(find(f, geteuid(), "", &t), SUCCESS);
	assert_string_equal(t.line, f->p[0].line);
	set_atime(&f->p[1], 9999);
	assert_int_equal(find(f, geteuid(), "", &t), SUCCESS);
	assert_string_equal(t.line, f->p[1].line);
}

static void
test_find_user_skips_mesg_n(void **state)
{
	struct fix *f = *state;
	struct utmp u[3];
	struct tty_choice t;
	size_t i;

	for (i = 0; i < 3; i++)
		u[i] = ut(USER_PROCESS, f->user, f->p[i].line);
	utmp_write(f->utmp, u, 3, 0);
	/* The newest tty says mesg n: the next one is rung. */
	assert_int_equal(fchmod(f->p[2].slave, 0600), 0);
	assert_int_equal(find(f, geteuid(), "", &t), SUCCESS);
	assert_string_equal(t.line, f->p[1].line);
	/* All mesg n. */
	assert_int_equal(fchmod(f->p[0].slave, 0600), 0);
	assert_int_equal(fchmod(f->p[1].slave, 0600), 0);
	assert_int_equal(find(f, geteuid(), "", &t), PERMISSION_DENIED);
	assert_string_equal(t.line, "");
}

static void
test_find_user_not_here(void **state)
{
	struct fix *f = *state;
	struct utmp u[2];
	struct tty_choice t;

	/* No utmp file at all. */
	assert_int_equal(find(f, geteuid(), "", &t), NOT_HERE);
	/* An empty one. */
	utmp_write(f->utmp, u, 0, 1);
	assert_int_equal(find(f, geteuid(), "", &t), NOT_HERE);
	/* Only somebody else, and a stale line that is no device. */
	u[0] = ut(USER_PROCESS, "someoneelse", f->p[0].line);
	u[1] = ut(USER_PROCESS, f->user, "pts/99999");
	utmp_write(f->utmp, u, 2, 1);
	assert_int_equal(find(f, geteuid(), "", &t), NOT_HERE);
	assert_int_equal(find_user(f->c, "nosuchuser", geteuid(), "", &t),
	    NOT_HERE);
	/* A prefix of a user name is another user. */
	u[0] = ut(USER_PROCESS, "rootx", f->p[0].line);
	u[1] = ut(USER_PROCESS, "ro", f->p[1].line);
	utmp_write(f->utmp, u, 2, 1);
	assert_int_equal(find_user(f->c, "roo", geteuid(), "", &t), NOT_HERE);
}

static void
test_find_user_explicit_tty(void **state)
{
	struct fix *f = *state;
	struct utmp u[3];
	struct tty_choice t;

	u[0] = ut(USER_PROCESS, f->user, f->p[0].line);
	u[1] = ut(USER_PROCESS, f->user, f->p[1].line);
	u[2] = ut(USER_PROCESS, "someoneelse", f->p[2].line);
	utmp_write(f->utmp, u, 3, 0);
	/* One of the user's lines, even if not the most recent. */
	assert_int_equal(find(f, geteuid(), f->p[0].line, &t), SUCCESS);
	assert_string_equal(t.line, f->p[0].line);
	/* Somebody else's line, a line not in utmp, path tricks. */
	assert_int_equal(find(f, geteuid(), f->p[2].line, &t), NOT_HERE);
	assert_int_equal(find(f, geteuid(), "pts/99999", &t), NOT_HERE);
	assert_int_equal(find(f, geteuid(), "null", &t), NOT_HERE);
	assert_int_equal(find(f, geteuid(), "/dev/null", &t), NOT_HERE);
	assert_int_equal(find(f, geteuid(), "pts/../null", &t), NOT_HERE);
	assert_string_equal(t.line, "");
}

static void
test_find_user_ignores_dead_and_other_types(void **state)
{
	struct fix *f = *state;
	struct utmp u[5];
	struct tty_choice t;

	/* The newest tty is only in DEAD/LOGIN/INIT records. */
	u[0] = ut(DEAD_PROCESS, f->user, f->p[2].line);
	u[1] = ut(LOGIN_PROCESS, f->user, f->p[2].line);
	u[2] = ut(INIT_PROCESS, f->user, f->p[2].line);
	u[3] = ut(USER_PROCESS, f->user, f->p[0].line);
	u[4] = ut(DEAD_PROCESS, f->user, f->p[1].line);
	utmp_write(f->utmp, u, 5, 0);
	assert_int_equal(find(f, geteuid(), "", &t), SUCCESS);
	assert_string_equal(t.line, f->p[0].line);
	assert_int_equal(find(f, geteuid(), f->p[2].line, &t), NOT_HERE);
	/* Only dead sessions: not here. */
	u[3] = ut(DEAD_PROCESS, f->user, f->p[0].line);
	utmp_write(f->utmp, u, 5, 1);
	assert_int_equal(find(f, geteuid(), "", &t), NOT_HERE);
}

static void
test_find_user_ignores_dotdot_lines(void **state)
{
	struct fix *f = *state;
	struct utmp u[3];
	struct tty_choice t;
	char sneaky[TTY_SIZE + 1];

	/* "pts/../pts/N" names a real tty, and must still be ignored. */
	assert_true(snprintf(sneaky, sizeof(sneaky), "pts/../%s",
	    f->p[2].line) < (int)sizeof(sneaky));
	u[0] = ut(USER_PROCESS, f->user, sneaky);
	u[1] = ut(USER_PROCESS, f->user, f->p[0].line);
	u[2] = ut(USER_PROCESS, f->user, "../dev/null");
	utmp_write(f->utmp, u, 3, 0);
	assert_int_equal(find(f, geteuid(), "", &t), SUCCESS);
	assert_string_equal(t.line, f->p[0].line);
	assert_int_equal(find(f, geteuid(), sneaky, &t), NOT_HERE);
	assert_int_equal(find(f, geteuid(), "../dev/null", &t), NOT_HERE);
	u[1] = ut(USER_PROCESS, f->user, "/dev/null");
	utmp_write(f->utmp, u, 3, 1);
	assert_int_equal(find(f, geteuid(), "", &t), NOT_HERE);
}

static void
test_find_user_uid_must_own_tty(void **state)
{
	struct fix *f = *state;
	struct utmp u[2];
	struct tty_choice t;

	if (!have_root("tty owner checks"))
		return;
	u[0] = ut(USER_PROCESS, f->user, f->p[0].line);
	u[1] = ut(USER_PROCESS, f->user, f->p[2].line);
	utmp_write(f->utmp, u, 2, 0);
	/* The newest tty now belongs to somebody else. */
	assert_int_equal(fchown(f->p[2].slave, OTHER_UID, (gid_t)-1), 0);
	assert_int_equal(find(f, geteuid(), "", &t), SUCCESS);
	assert_string_equal(t.line, f->p[0].line);
	assert_int_equal(find(f, OTHER_UID, "", &t), SUCCESS);
	assert_string_equal(t.line, f->p[2].line);
	/* (uid_t)-1: no owner check. */
	assert_int_equal(find(f, (uid_t)-1, "", &t), SUCCESS);
	assert_string_equal(t.line, f->p[2].line);
	assert_int_equal(fchown(f->p[0].slave, OTHER_UID, (gid_t)-1), 0);
	assert_int_equal(find(f, geteuid(), "", &t), NOT_HERE);
	assert_int_equal(find(f, 4243, "", &t), NOT_HERE);
}

static void
test_find_user_rereads_changed_file(void **state)
{
	struct fix *f = *state;
	struct utmp u[2];
	struct tty_choice t;
	struct timespec ts[2];
	struct stat st;

	u[0] = ut(USER_PROCESS, f->user, f->p[0].line);
	utmp_write(f->utmp, u, 1, 0);
	assert_int_equal(find(f, geteuid(), "", &t), SUCCESS);
	assert_string_equal(t.line, f->p[0].line);

	/* Replaced by rename (a new inode). */
	u[0] = ut(USER_PROCESS, f->user, f->p[1].line);
	utmp_write(f->utmp, u, 1, 1);
	assert_int_equal(find(f, geteuid(), "", &t), SUCCESS);
	assert_string_equal(t.line, f->p[1].line);

	/* Grown in place (a login). */
	u[1] = ut(USER_PROCESS, f->user, f->p[2].line);
	utmp_write(f->utmp, u, 2, 0);
	assert_int_equal(find(f, geteuid(), "", &t), SUCCESS);
	assert_string_equal(t.line, f->p[2].line);

	/*
	 * Rewritten in place at the same size (a logout flips ut_type), with
	 * a later mtime set explicitly so the test does not depend on the
	 * clock's granularity.
	 */
	assert_int_equal(stat(f->utmp, &st), 0);
	u[1].ut_type = DEAD_PROCESS;
	utmp_write(f->utmp, u, 2, 0);
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = st.st_mtim.tv_sec + 1;
	ts[1].tv_nsec = st.st_mtim.tv_nsec;
	assert_int_equal(utimensat(AT_FDCWD, f->utmp, ts, 0), 0);
	assert_int_equal(find(f, geteuid(), "", &t), SUCCESS);
	assert_string_equal(t.line, f->p[1].line);

	/* Removed: nobody is logged in. */
	assert_int_equal(unlink(f->utmp), 0);
	assert_int_equal(find(f, geteuid(), "", &t), NOT_HERE);
}

/*
 * A login or logout rewrites a record in place (same size), and with
 * coarse file timestamps a write in the same tick as the daemon's last
 * read keeps the same mtime: the cache must not trust an identity whose
 * mtime is not clearly older than its last read.
 */
static void
test_find_user_rereads_same_size_same_mtime(void **state)
{
	struct fix *f = *state;
	struct utmp u[1];
	struct tty_choice t;
	struct timespec ts[2];
	struct stat st;

	u[0] = ut(USER_PROCESS, f->user, f->p[0].line);
	utmp_write(f->utmp, u, 1, 0);
	assert_int_equal(stat(f->utmp, &st), 0);
	assert_int_equal(find(f, geteuid(), "", &t), SUCCESS);
	assert_string_equal(t.line, f->p[0].line);
	u[0] = ut(USER_PROCESS, f->user, f->p[1].line);
	utmp_write(f->utmp, u, 1, 0);
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1] = st.st_mtim;		/* the same clock tick */
	assert_int_equal(utimensat(AT_FDCWD, f->utmp, ts, 0), 0);
	assert_int_equal(find(f, geteuid(), "", &t), SUCCESS);
	assert_string_equal(t.line, f->p[1].line);
}

/* ---- vis_str --------------------------------------------------------------- */

static void
test_vis_str_escapes(void **state)
{
	char out[256];
	unsigned c;

	(void)state;
	assert_int_equal(vis_str(out, sizeof(out), "alice", 5), 5);
	assert_string_equal(out, "alice");
	assert_int_equal(vis_str(out, sizeof(out), "+AUTO x~!", 9), 9);
	assert_string_equal(out, "+AUTO x~!");
	vis_str(out, sizeof(out), "\033[2J", 4);
	assert_string_equal(out, "\\033[2J");
	vis_str(out, sizeof(out), "a\\b", 3);
	assert_string_equal(out, "a\\\\b");
	vis_str(out, sizeof(out), "\377\200\177", 3);
	assert_string_equal(out, "\\377\\200\\177");
	vis_str(out, sizeof(out), "\r\n\a", 3);
	assert_null(strchr(out, '\r'));
	assert_null(strchr(out, '\n'));
	assert_null(strchr(out, '\a'));
	assert_int_equal(out[0], '\\');

	/* Every byte: printable ASCII out, and backslash only as escape. */
	for (c = 1; c <= 255; c++) {
		char in[1] = { (char)c };
		size_t n = vis_str(out, sizeof(out), in, 1), i;

		assert_int_equal(n, strlen(out));
		for (i = 0; i < n; i++)
			assert_true(out[i] >= 0x20 && out[i] <= 0x7e);
		if (c >= 0x20 && c <= 0x7e && c != '\\')
			assert_int_equal(n, 1);
		else
			assert_true(n >= 2 && out[0] == '\\');
	}
}

static void
test_vis_str_bounded(void **state)
{
	char out[32];
	const char unterminated[NAME_SIZE] = { 'a', 'b', 'c', 'd', 'e', 'f',
	    'g', 'h', 'i', 'j', 'k', 'l' };
	size_t n, len;

	(void)state;
	/* srclen bounds the read: no NUL needed. */
	memset(out, 'X', sizeof(out));
	assert_int_equal(vis_str(out, sizeof(out), unterminated, NAME_SIZE),
	    NAME_SIZE);
	assert_string_equal(out, "abcdefghijkl");
	assert_int_equal(vis_str(out, sizeof(out), "abcdef", 3), 3);
	assert_string_equal(out, "abc");
	/* ... and stops at a NUL. */
	assert_int_equal(vis_str(out, sizeof(out), "ab\0cd", 5), 2);

	/* dstlen bounds the write, terminator included, whole escapes only. */
	for (len = 1; len < 12; len++) {
		memset(out, 'X', sizeof(out));
		n = vis_str(out, len, "\033\033\033", 3);
		assert_true(n < len);
		assert_int_equal(out[n], '\0');
		assert_int_equal(n % 4, 0);
		assert_int_equal(n, (len - 1) / 4 * 4);
		assert_int_equal(out[len], 'X');	/* nothing past len */
		assert_int_equal(out[sizeof(out) - 1], 'X');
	}
	memset(out, 'X', sizeof(out));
	assert_int_equal(vis_str(out, 0, "abc", 3), 0);
	assert_int_equal(out[0], 'X');
	assert_int_equal(vis_str(out, 1, "abc", 3), 0);
	assert_string_equal(out, "");
	assert_int_equal(vis_str(out, 4, "abcdef", 6), 3);
	assert_string_equal(out, "abc");
}

/* ---- banner ---------------------------------------------------------------- */

/* Split buf after BEL CR LF into CR LF-ended lines; check equal widths. */
static size_t
banner_lines(const char *buf, size_t len, char lines[5][1024])
{
	const char *p = buf + 3, *end = buf + len, *nl;
	size_t n = 0, width = 0;

	assert_true(len > 3);
	assert_memory_equal(buf, "\a\r\n", 3);
	assert_int_equal(strlen(buf), len);
	while (p < end) {
		size_t w;

		nl = strstr(p, "\r\n");
		assert_non_null(nl);
		w = (size_t)(nl - p);
		assert_true(n < 5);
		assert_true(w < 1024);
		memcpy(lines[n], p, w);
		lines[n][w] = '\0';
		if (n == 0)
			width = w;
		assert_int_equal(w, width);
		n++;
		p = nl + 2;
	}
	assert_int_equal(n, 5);
	return width;
}

static void
test_banner_layout(void **state)
{
	char buf[2048], lines[5][1024];
	struct tm tm;
	size_t len, width, i;
	const char *l1 = "Message from Talk_Daemon@myhost at 9:05 ...";
	const char *l2 = "talk: connection requested by alice@host.example.";
	const char *l3 = "talk: respond with:  talk alice@host.example";

	(void)state;
	memset(&tm, 0, sizeof(tm));
	tm.tm_hour = 9;
	tm.tm_min = 5;
	len = banner_build(buf, sizeof(buf), "myhost", &tm, "alice",
	    "host.example");
	assert_true(len > 0 && len < sizeof(buf));
	width = banner_lines(buf, len, lines);
	/* Padded to the longest text plus two. */
	assert_int_equal(width, strlen(l2) + 2);
	assert_int_equal(len, 3 + 5 * (width + 2));
	assert_int_equal(strncmp(lines[1], l1, strlen(l1)), 0);
	assert_int_equal(strncmp(lines[2], l2, strlen(l2)), 0);
	assert_int_equal(strncmp(lines[3], l3, strlen(l3)), 0);
	for (i = 0; i < width; i++) {
		assert_int_equal(lines[0][i], ' ');
		assert_int_equal(lines[4][i], ' ');
	}
	for (i = strlen(l1); i < width; i++)
		assert_int_equal(lines[1][i], ' ');

	/* Two-digit hour, midnight. */
	tm.tm_hour = 23;
	tm.tm_min = 59;
	len = banner_build(buf, sizeof(buf), "h", &tm, "a", "b");
	assert_non_null(strstr(buf, "Talk_Daemon@h at 23:59 ..."));
	tm.tm_hour = 0;
	tm.tm_min = 0;
	len = banner_build(buf, sizeof(buf), "h", &tm, "a", "b");
	assert_true(len > 0);
	assert_non_null(strstr(buf, "Talk_Daemon@h at 0:00 ..."));
}

static void
test_banner_escapes_fields(void **state)
{
	char buf[2048], lines[5][1024];
	struct tm tm;
	size_t len, i;

	(void)state;
	memset(&tm, 0, sizeof(tm));
	tm.tm_hour = 12;
	len = banner_build(buf, sizeof(buf), "my\033]0;pwned\007host", &tm,
	    "ev\033[2Jil\r\n", "x\033[31m\377.example");
	assert_true(len > 0);
	banner_lines(buf, len, lines);
	/* No ESC at all, and no control byte but the leading BEL, CR, LF. */
	assert_null(memchr(buf, 0x1b, len));
	for (i = 3; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == '\r' || c == '\n')
			continue;
		assert_true(c >= 0x20 && c <= 0x7e);
	}
	assert_non_null(strstr(lines[1], "Talk_Daemon@my\\033]0;pwned\\007host"));
	assert_non_null(strstr(lines[2],
	    "by ev\\033[2Jil\\015\\012@x\\033[31m\\377.example."));
	assert_non_null(strstr(lines[3],
	    "talk ev\\033[2Jil\\015\\012@x\\033[31m\\377.example"));
}

static void
test_banner_long_fields_bounded(void **state)
{
	static char host[4096], esc[1024];
	char buf[4096], small[64];
	struct tm tm;
	size_t len;

	(void)state;
	memset(&tm, 0, sizeof(tm));
	memset(host, 'h', sizeof(host) - 1);
	memset(esc, '\033', sizeof(esc) - 1);
	memset(buf, 'Z', sizeof(buf));
	/* Fields are cut to a bound, so a banner still fits in 2 KiB. */
	len = banner_build(buf, 2048, host, &tm, "alice", host);
	assert_true(len > 0 && len < 2048);
	{
		char lines[5][1024];
		banner_lines(buf, len, lines);
		assert_non_null(strstr(lines[3], "talk: respond with:  talk "
		    "alice@hhhh"));
	}
	assert_int_equal(buf[2048], 'Z');	/* nothing past len */
	len = banner_build(buf, 2048, esc, &tm, esc, esc);
	assert_true(len > 0 && len < 2048);
	assert_null(memchr(buf, 0x1b, len));
	assert_int_equal(buf[2048], 'Z');
	/* Too small for any banner: 0, and nothing written past it. */
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(banner_build(buf, sizeof(small), "h", &tm, "a", "b"),
	    0);
	assert_int_equal(buf[sizeof(small)], 'Z');
}

/* ---- ringer ---------------------------------------------------------------- */

static size_t
read_all(int fd, char *buf, size_t max, int wait_ms)
{
	size_t got = 0;

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&pfd, 1, wait_ms) <= 0)
			break;
		n = read(fd, buf + got, max - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == max)
			break;
	}
	return got;
}

static size_t
make_banner(char *buf, size_t len)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_hour = 6;
	tm.tm_min = 50;
	len = banner_build(buf, len, "testhost", &tm, "caller", "127.0.0.1");
	assert_true(len > 0);
	return len;
}

static void
test_ringer_rings_pty(void **state)
{
	struct fix *f = *state;
	struct ringer *r = ringer_new(4, 25000);
	char banner[2048], got[4096];
	size_t blen = make_banner(banner, sizeof(banner));

	assert_non_null(r);
	assert_int_equal(ringer_ring(r, f->p[0].line, geteuid(), banner, blen,
	    1000), SUCCESS);
	assert_int_equal(ringer_pending(r), 0);
	assert_int_equal(ringer_next_deadline(r, 1000), -1);
	assert_int_equal(read_all(f->p[0].master, got, sizeof(got), 500),
	    blen);
	assert_memory_equal(got, banner, blen);
	/* With no owner check. */
	assert_int_equal(ringer_ring(r, f->p[1].line, (uid_t)-1, banner, blen,
	    1000), SUCCESS);
	assert_int_equal(read_all(f->p[1].master, got, sizeof(got), 500),
	    blen);
	ringer_free(r);
}

static void
test_ringer_refuses(void **state)
{
	struct fix *f = *state;
	struct ringer *r = ringer_new(4, 25000);
	char banner[2048], got[64], path[128], link[128];
	size_t blen = make_banner(banner, sizeof(banner));
	int fd;

	assert_non_null(r);
	/* mesg n. */
	assert_int_equal(fchmod(f->p[0].slave, 0600), 0);
	assert_int_equal(ringer_ring(r, f->p[0].line, geteuid(), banner, blen,
	    0), PERMISSION_DENIED);
	/* Not the callee's tty. */
	if (have_root("ringing another user's tty")) {
		assert_int_equal(fchown(f->p[1].slave, OTHER_UID, (gid_t)-1), 0);
		assert_int_equal(ringer_ring(r, f->p[1].line, geteuid(), banner,
		    blen, 0), FAILED);
	}
	assert_int_equal(read_all(f->p[0].master, got, sizeof(got), 100), 0);
	assert_int_equal(read_all(f->p[1].master, got, sizeof(got), 100), 0);
	/* /dev/null is a character device, but not OTHER_UID's. */
	assert_int_equal(ringer_ring(r, "null", OTHER_UID, banner, blen, 0),
	    FAILED);
	assert_int_equal(ringer_ring(r, "null", 0, banner, blen, 0), SUCCESS);
	/* No such line, path tricks, an oversized message. */
	assert_int_equal(ringer_ring(r, "pts/99999", geteuid(), banner, blen,
	    0), FAILED);
	assert_int_equal(ringer_ring(r, "../dev/null", 0, banner, blen, 0),
	    FAILED);
	assert_int_equal(ringer_ring(r, "/dev/null", 0, banner, blen, 0),
	    FAILED);
	assert_int_equal(ringer_ring(r, "", 0, banner, blen, 0), FAILED);
	{
		static char huge[64 * 1024];
		memset(huge, 'x', sizeof(huge));
		assert_int_equal(ringer_ring(r, f->p[2].line, geteuid(), huge,
		    sizeof(huge), 0), FAILED);
	}
	/* A regular file and a symlink under /dev are no ttys. */
	/* Short names: a line has at most TTY_SIZE bytes. */
	snprintf(path, sizeof(path), "/dev/shm/tu%ld", (long)getpid() % 100000);
	snprintf(link, sizeof(link), "/dev/shm/tl%ld", (long)getpid() % 100000);
	assert_true(strlen(path + 5) <= TTY_SIZE);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd >= 0) {
		close(fd);
		assert_int_equal(chmod(path, 0666), 0);
		assert_int_equal(ringer_ring(r, path + 5, (uid_t)-1, banner,
		    blen, 0), FAILED);
		unlink(path);
		if (symlink("/dev/null", link) == 0) {
			assert_int_equal(ringer_ring(r, link + 5, (uid_t)-1,
			    banner, blen, 0), FAILED);
			unlink(link);
		}
	}
	assert_int_equal(ringer_pending(r), 0);
	ringer_free(r);
}

/* Write to the slave until the master's side holds no more. */
static size_t
fill_pty(const struct pty *p)
{
	char chunk[4096];
	size_t total = 0;
	int fd, idle = 0;

	memset(chunk, '.', sizeof(chunk));
	/* A descriptor of our own, non-blocking, to the same tty. */
	fd = open(ttyname(p->slave), O_WRONLY | O_NOCTTY | O_NONBLOCK);
	assert_true(fd >= 0);
	while (idle < 3) {
		ssize_t n = write(fd, chunk, sizeof(chunk));

		if (n > 0) {
			total += (size_t)n;
			idle = 0;
			continue;
		}
		assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
		idle++;
		usleep(20000);		/* let the flip buffers settle */
	}
	close(fd);
	return total;
}

static void
test_ringer_full_tty_does_not_block(void **state)
{
	struct fix *f = *state;
	struct ringer *r = ringer_new(4, 25000);
	char banner[2048];
	size_t blen = make_banner(banner, sizeof(banner)), filled;
	struct pollfd pfd[4];
	size_t n;

	assert_non_null(r);
	filled = fill_pty(&f->p[0]);
	assert_true(filled > 0);
	alarm(10);			/* a blocking write would hang here */
	assert_int_equal(ringer_ring(r, f->p[0].line, geteuid(), banner, blen,
	    1000), SUCCESS);
	alarm(0);
	assert_int_equal(ringer_pending(r), 1);
	assert_int_equal(ringer_next_deadline(r, 1000), 25000);
	assert_int_equal(ringer_next_deadline(r, 30000), 0);
	n = ringer_pollfds(r, pfd, 4);
	assert_int_equal(n, 1);
	assert_int_equal(pfd[0].events, POLLOUT);

	/* Nothing writable yet, deadline not reached: kept. */
	pfd[0].revents = 0;
	ringer_service(r, pfd, n, 2000);
	assert_int_equal(ringer_pending(r), 1);
	/* Writable according to poll, but the tty is still full: kept. */
	pfd[0].revents = POLLOUT;
	ringer_service(r, pfd, n, 3000);
	assert_int_equal(ringer_pending(r), 1);
	/* Past the deadline: dropped, descriptor closed. */
	pfd[0].revents = 0;
	ringer_service(r, pfd, n, 1000 + 25000);
	assert_int_equal(ringer_pending(r), 0);
	assert_int_equal(ringer_pollfds(r, pfd, 4), 0);
	assert_int_equal(ringer_next_deadline(r, 30000), -1);
	ringer_free(r);
}

static void
test_ringer_queue_bounds(void **state)
{
	struct fix *f = *state;
	struct ringer *r = ringer_new(1, 25000);
	char banner[2048];
	size_t blen = make_banner(banner, sizeof(banner)), k;
	struct pollfd pfd[4];
	size_t n;

	assert_non_null(r);
	fill_pty(&f->p[0]);
	fill_pty(&f->p[1]);
	assert_int_equal(ringer_ring(r, f->p[0].line, geteuid(), banner, blen,
	    1000), SUCCESS);
	assert_int_equal(ringer_pending(r), 1);
	/* A second banner for the same stuck tty is queued behind the
	 * first, in the same slot, until the slot's buffer is full. */
	for (k = 1; k < 16; k++)
		if (ringer_ring(r, f->p[0].line, geteuid(), banner, blen,
		    1000 + (int64_t)k) != SUCCESS)
			break;
	assert_int_equal(ringer_pending(r), 1);
	assert_true(k < 16);			/* refused at some point */
	assert_true(k >= 2048 / blen);		/* not before it was full */
	assert_true(k <= 2048 / blen + 1);
	/* No slot left for another stuck tty. */
	assert_int_equal(ringer_ring(r, f->p[1].line, geteuid(), banner, blen,
	    2000), FAILED);
	assert_int_equal(ringer_pending(r), 1);

	/* The user's terminal goes away: the queue is dropped, not kept. */
	close(f->p[0].master);
	f->p[0].master = -1;
	n = ringer_pollfds(r, pfd, 4);
	assert_int_equal(n, 1);
	assert_int_equal(poll(pfd, n, 1000), 1);
	assert_true(pfd[0].revents & (POLLHUP | POLLERR));
	ringer_service(r, pfd, n, 2000);
	assert_int_equal(ringer_pending(r), 0);
	ringer_free(r);
}

static void
test_ringer_queued_rest_is_delivered(void **state)
{
	struct fix *f = *state;
	struct ringer *r = ringer_new(4, 25000);
	char banner[2048];
	size_t blen = make_banner(banner, sizeof(banner)), filled, got = 0;
	static char out[1 << 20];
	int rounds;

	assert_non_null(r);
	filled = fill_pty(&f->p[0]);
	assert_int_equal(ringer_ring(r, f->p[0].line, geteuid(), banner, blen,
	    1000), SUCCESS);
	assert_int_equal(ringer_pending(r), 1);
	/* The user reads; the loop polls and services until all is out. */
	for (rounds = 0; rounds < 200 && got < filled + blen; rounds++) {
		struct pollfd pfd[4];
		size_t n;

		got += read_all(f->p[0].master, out + got, sizeof(out) - got,
		    20);
		n = ringer_pollfds(r, pfd, 4);
		if (n && poll(pfd, n, 20) >= 0)
			ringer_service(r, pfd, n, 2000);
	}
	assert_int_equal(ringer_pending(r), 0);
	assert_int_equal(got, filled + blen);
	assert_memory_equal(out + filled, banner, blen);
	ringer_free(r);
}

/* ---- process.c: ANNOUNCE end to end on real ptys ---------------------------- */

struct srv {
	struct server s;
	struct sockaddr_in src;
};

static void
srv_init(struct srv *v, struct fix *f)
{
	struct table_limits lim = { 64, 64, 60000 };

	memset(v, 0, sizeof(*v));
	v->s.table = table_new(&lim);
	v->s.ringer = ringer_new(4, 25000);
	v->s.resolver = resolver_new(0, 300, 4);	/* numeric names */
	v->s.utmp = utmp_cache_new(f->utmp);
	v->s.pw = pwcache_new(16, 30000);
	assert_non_null(v->s.pw);
	assert_non_null(v->s.table);
	assert_non_null(v->s.ringer);
	assert_non_null(v->s.resolver);
	assert_non_null(v->s.utmp);
	snprintf(v->s.hostname, sizeof(v->s.hostname), "testhost");
	v->src.sin_family = AF_INET;
	v->src.sin_port = htons(40000);
	v->src.sin_addr.s_addr = htonl(0x7f000001U);
}

static void
srv_free(struct srv *v)
{
	table_free(v->s.table);
	ringer_free(v->s.ringer);
	resolver_free(v->s.resolver);
	utmp_cache_free(v->s.utmp);
	pwcache_free(v->s.pw);
	free(v->s.local);
}

static struct ctl_resp
announce(struct srv *v, const char *callee, const char *tty, int32_t pid,
    uint32_t id)
{
	struct ctl_msg m;
	struct ctl_resp r;

	memset(&m, 0, sizeof(m));
	m.vers = TALK_VERSION;
	m.type = ANNOUNCE;
	m.id_num = id;
	m.pid = pid;
	m.addr = (struct osa){ OSA_AF_INET, 5000, 0x7f000001U };
	m.ctl_addr = (struct osa){ OSA_AF_INET, 40000, 0x7f000001U };
	snprintf(m.l_name, sizeof(m.l_name), "caller");
	snprintf(m.r_name, sizeof(m.r_name), "%s", callee);
	snprintf(m.r_tty, sizeof(m.r_tty), "%s", tty);
	process_request(&v->s, &m, &v->src, &r, 1000);
	assert_int_equal(r.vers, 1);
	assert_int_equal(r.type, ANNOUNCE);
	assert_int_equal(r.addr.family, 0);
	return r;
}

static int
rang(const struct pty *p)
{
	char got[4096];
	size_t n = read_all(p->master, got, sizeof(got) - 1, 200);

	got[n] = '\0';
	if (n == 0)
		return 0;
	assert_non_null(strstr(got, "Message from Talk_Daemon@testhost at "));
	assert_non_null(strstr(got,
	    "talk: connection requested by caller@127.0.0.1."));
	assert_non_null(strstr(got, "talk: respond with:  talk "
	    "caller@127.0.0.1"));
	return 1;
}

static void
test_process_announce(void **state)
{
	struct fix *f = *state;
	struct utmp u[2];
	struct srv v;
	struct ctl_resp r;
	uint32_t id;

	assert_non_null(getpwnam(f->user));
	u[0] = ut(USER_PROCESS, f->user, f->p[0].line);
	u[1] = ut(USER_PROCESS, f->user, f->p[1].line);
	utmp_write(f->utmp, u, 2, 0);
	srv_init(&v, f);

	/* First ring: the newest tty (p[1]). */
	r = announce(&v, f->user, "", 77, 0xffffffffU);
	assert_int_equal(r.answer, SUCCESS);
	assert_int_not_equal(r.id_num, 0);
	id = r.id_num;
	assert_true(rang(&f->p[1]));
	assert_false(rang(&f->p[0]));
	/* A retransmission (id not greater): same id, no second ring. */
	r = announce(&v, f->user, "", 77, id);
	assert_int_equal(r.answer, SUCCESS);
	assert_int_equal(r.id_num, id);
	assert_false(rang(&f->p[1]));
	/* The client's re-announce (id + 1): rung again, a new larger id. */
	r = announce(&v, f->user, "", 77, id + 1);
	assert_int_equal(r.answer, SUCCESS);
	assert_true(r.id_num > id);
	assert_true(rang(&f->p[1]));
	assert_int_equal(table_count(v.s.table), 1);

	/* An explicit tty. */
	r = announce(&v, f->user, f->p[0].line, 78, 0);
	assert_int_equal(r.answer, SUCCESS);
	assert_true(rang(&f->p[0]));
	assert_int_equal(table_count(v.s.table), 2);

	/* Not logged in, not the user's tty, mesg n: nothing stored. */
	r = announce(&v, "nosuchuser", "", 79, 0);
	assert_int_equal(r.answer, NOT_HERE);
	r = announce(&v, f->user, "pts/99999", 79, 0);
	assert_int_equal(r.answer, NOT_HERE);
	assert_int_equal(fchmod(f->p[0].slave, 0600), 0);
	assert_int_equal(fchmod(f->p[1].slave, 0600), 0);
	r = announce(&v, f->user, "", 79, 0);
	assert_int_equal(r.answer, PERMISSION_DENIED);
	r = announce(&v, f->user, f->p[0].line, 79, 0);
	assert_int_equal(r.answer, PERMISSION_DENIED);
	/* The named tty is no longer the user's: FAILED at the ring. */
	if (have_root("ANNOUNCE to another user's tty")) {
		assert_int_equal(fchmod(f->p[0].slave, 0620), 0);
		assert_int_equal(fchown(f->p[0].slave, OTHER_UID, (gid_t)-1),
		    0);
		r = announce(&v, f->user, f->p[0].line, 79, 0);
		assert_int_equal(r.answer, FAILED);
		assert_int_equal(r.id_num, 0);
		assert_false(rang(&f->p[0]));
	}
	assert_int_equal(table_count(v.s.table), 2);
	srv_free(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_find_user_largest_atime),
		T(test_find_user_skips_mesg_n),
		T(test_find_user_not_here),
		T(test_find_user_explicit_tty),
		T(test_find_user_ignores_dead_and_other_types),
		T(test_find_user_ignores_dotdot_lines),
		T(test_find_user_uid_must_own_tty),
		T(test_find_user_rereads_changed_file),
		T(test_find_user_rereads_same_size_same_mtime),
		cmocka_unit_test(test_vis_str_escapes),
		cmocka_unit_test(test_vis_str_bounded),
		cmocka_unit_test(test_banner_layout),
		cmocka_unit_test(test_banner_escapes_fields),
		cmocka_unit_test(test_banner_long_fields_bounded),
		T(test_ringer_rings_pty),
		T(test_ringer_refuses),
		T(test_ringer_full_tty_does_not_block),
		T(test_ringer_queued_rest_is_delivered),
		T(test_ringer_queue_bounds),
		T(test_process_announce),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
