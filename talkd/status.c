/*
 * The status file (talkd(8), STATUS FILE): a few "key=value" lines that
 * talkctl status reads, so that the daemon needs no control socket.  It is
 * rewritten whole (temporary file, rename) when something it shows
 * changes, at most once a second, and once more with state=stopped on the
 * way out.  Failing to write it is logged once and never stops the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "talkd/talkd.h"
#include "talkd/hashfile.h"

#define STATUS_MAX	4096
#define STATUS_MIN_MS	1000

struct status {
	struct status_info in;
	char *path, *tmp, *user, *listen;
	time_t started;
	long pid;			/* getpid() is a system call */
	char last[STATUS_MAX];		/* what was written, but "updated" */
	int64_t written;		/* monotonic ms, -1: never */
	int complained;
	struct stat pol_st;		/* policy identity hashed last */
	const char *pol_kind;
	char pol_hash[40], pol_loaded[32];
};

static void
utc(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

static char *
dupstr(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct status *
status_new(const struct status_info *in, uid_t owner)
{
	struct status *st;
	int fd;

	if (in->path == NULL || (st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->in = *in;
	st->in.user = st->user = dupstr(in->user);
	st->in.listen = st->listen = dupstr(in->listen);
	st->path = strdup(in->path);
	if (st->path == NULL || asprintf(&st->tmp, "%s.tmp%ld", in->path,
	    (long)getpid()) < 0) {
		st->tmp = NULL;
		status_free(st);
		return NULL;
	}
	st->started = time(NULL);
	st->pid = (long)getpid();
	st->written = -1;
	/*
	 * Root, about to drop: make the file the daemon's, so that it can be
	 * rewritten in place where the folder is not the daemon's to write.
	 */
	if (geteuid() == 0 && (fd = open(st->path, O_WRONLY | O_CREAT |
	    O_CLOEXEC | O_NOFOLLOW, 0644)) >= 0) {
		if (fchown(fd, owner, (gid_t)-1) < 0)
			log_warn("status file %s", st->path);
		close(fd);
	}
	return st;
}

/* Notice a new policy: its hash, and when this daemon took it up. */
static void
policy_seen(struct status *st, struct server *s)
{
	const char *kind, *path;
	struct stat pst;
	uint64_t h;
	int ok;

	kind = policy_source(s->policy, &path, &pst);
	if (kind == st->pol_kind && pst.st_dev == st->pol_st.st_dev &&
	    pst.st_ino == st->pol_st.st_ino &&
	    pst.st_mtim.tv_sec == st->pol_st.st_mtim.tv_sec &&
	    pst.st_mtim.tv_nsec == st->pol_st.st_mtim.tv_nsec &&
	    pst.st_size == st->pol_st.st_size)
		return;
	st->pol_kind = kind;
	st->pol_st = pst;
	utc(time(NULL), st->pol_loaded, sizeof(st->pol_loaded));
	memcpy(st->pol_hash, "-", 2);
	if (path != NULL) {
		h = hash_file(path, &ok);
		if (ok)
			snprintf(st->pol_hash, sizeof(st->pol_hash),
			    "fnv1a64:%016" PRIx64, h);
	}
}

static int
write_all(const char *path, const char *buf, size_t len, int in_place)
{
	size_t total = len;
	ssize_t n;
	int fd;

	if (!in_place)
		(void)unlink(path);
	if ((fd = open(path, in_place ? O_WRONLY | O_CLOEXEC | O_NOFOLLOW :
	    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0)
		return -1;
	while (len > 0) {
		if ((n = write(fd, buf, len)) < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	/* 0644 whatever the umask: anyone may ask whether talkd runs. */
	if ((in_place && ftruncate(fd, (off_t)total) < 0) ||
	    fchmod(fd, 0644) < 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

void
status_update(struct status *st, struct server *s, int64_t now,
    const char *state)
{
	char body[STATUS_MAX], started[32], updated[32], full[STATUS_MAX + 64];
	const char *ppath, *kind;
	struct stat pst;
	int n, m;

	if (st == NULL)
		return;
	if (st->written >= 0 && now - st->written < STATUS_MIN_MS &&
	    strcmp(state, "running") == 0)
		return;
	policy_seen(st, s);
	kind = policy_source(s->policy, &ppath, &pst);
	utc(st->started, started, sizeof(started));
	n = snprintf(body, sizeof(body),
	    "state=%s\npid=%ld\nversion=%s\nstarted=%s\nuser=%s\nmode=%s\n"
	    "listen=%s\nstate_dir=%s\njournal=%s\npolicy=%s\npolicy_file=%s\n"
	    "policy_hash=%s\npolicy_loaded=%s\ninvitations=%zu\n",
	    state, st->pid, TALKD_VERSION, started,
	    st->in.user ? st->in.user : "-", st->in.mode,
	    st->in.listen ? st->in.listen : "-", st->in.state_dir,
	    st->in.journal ? st->in.journal : "-", kind,
	    ppath ? ppath : "-", st->pol_hash, st->pol_loaded,
	    table_count(s->table));
	if (n < 0 || (size_t)n >= sizeof(body))
		return;
	if (st->written >= 0 && strcmp(body, st->last) == 0) {
		st->written = now;	/* looked: next look in a second */
		return;
	}
	utc(time(NULL), updated, sizeof(updated));
	m = snprintf(full, sizeof(full), "%supdated=%s\n", body, updated);
	if (m < 0 || (size_t)m >= sizeof(full))
		return;
	/* A new file renamed over the old one; else in place (talkd(8)). */
	if ((write_all(st->tmp, full, (size_t)m, 0) < 0 ||
	    rename(st->tmp, st->path) < 0) &&
	    write_all(st->path, full, (size_t)m, 1) < 0) {
		if (!st->complained)
			log_warn("status file %s (talkctl status will not see "
			    "this daemon)", st->path);
		st->complained = 1;
		(void)unlink(st->tmp);
		st->written = now;	/* retry in a second, not per packet */
		return;
	}
	memcpy(st->last, body, (size_t)n + 1);
	st->written = now;
}

void
status_free(struct status *st)
{
	if (st == NULL)
		return;
	free(st->user);
	free(st->listen);
	free(st->path);
	free(st->tmp);
	free(st);
}
