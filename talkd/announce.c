/*
 * Announcing: find the callee's tty in utmp and build the banner with every
 * field escaped.  Writing it to the tty is ringer.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utmp.h>

#include "talkd/talkd.h"

/* ---- utmp ------------------------------------------------------------------ */

struct session {
	char user[sizeof(((struct utmp *)0)->ut_user) + 1];
	char line[TTY_SIZE + 1];
};

struct utmp_cache {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime, read_at;
	int valid;
	struct session *s;
	size_t n, cap;
};

#define UTMP_MAX_SESSIONS 65536

struct utmp_cache *
utmp_cache_new(const char *path)
{
	struct utmp_cache *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->path = strdup(path)) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

void
utmp_cache_free(struct utmp_cache *c)
{
	if (!c)
		return;
	free(c->s);
	free(c->path);
	free(c);
}

/* A utmp line usable as /dev/<line>: printable, no "..", not absolute. */
int
tty_line_ok(const char *line)
{
	const char *p;

	if (line[0] == '\0' || line[0] == '/' || strstr(line, "..") != NULL)
		return 0;
	for (p = line; *p; p++)
		if (*p <= 0x20 || *p > 0x7e)
			return 0;
	return 1;
}

static int
utmp_refresh(struct utmp_cache *c)
{
	struct utmp u;
	struct stat st;
	ssize_t r;
	int fd;

	if ((fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		c->valid = 0;
		c->n = 0;
		return errno == ENOENT ? 0 : -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	/*
	 * Same identity means unchanged only when the file was last modified
	 * clearly before we read it (git's "racy clean" rule): file times tick
	 * coarsely, so a rewrite of a record in place (same size) in the same
	 * tick as our read keeps the same mtime.
	 */
	if (c->valid && st.st_dev == c->dev && st.st_ino == c->ino &&
	    st.st_size == c->size && st.st_mtim.tv_sec == c->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == c->mtime.tv_nsec &&
	    st.st_ctim.tv_sec == c->ctime.tv_sec &&
	    st.st_ctim.tv_nsec == c->ctime.tv_nsec &&
	    st.st_mtim.tv_sec + 1 < c->read_at.tv_sec) {
		close(fd);
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &c->read_at);
	c->n = 0;
	while ((r = read(fd, &u, sizeof(u))) == (ssize_t)sizeof(u)) {
		size_t ul, ll;

		if (u.ut_type != USER_PROCESS)
			continue;
		ul = strnlen(u.ut_user, sizeof(u.ut_user));
		ll = strnlen(u.ut_line, sizeof(u.ut_line));
		if (ul == 0 || ll == 0 || ll > TTY_SIZE)
			continue;
		if (c->n == c->cap) {
			size_t ncap = c->cap ? c->cap * 2 : 32;
			struct session *ns;
			if (ncap > UTMP_MAX_SESSIONS)
				break;
			if ((ns = realloc(c->s, ncap * sizeof(*ns))) == NULL)
				break;
			c->s = ns;
			c->cap = ncap;
		}
		memcpy(c->s[c->n].user, u.ut_user, ul);
		c->s[c->n].user[ul] = '\0';
		memcpy(c->s[c->n].line, u.ut_line, ll);
		c->s[c->n].line[ll] = '\0';
		if (tty_line_ok(c->s[c->n].line))
			c->n++;
	}
	close(fd);
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->size = st.st_size;
	c->mtime = st.st_mtim;
	c->ctime = st.st_ctim;
	c->valid = 1;
	return 0;
}

enum ctl_answer
find_user(struct utmp_cache *c, const char *user, uid_t uid,
    const char *want, struct tty_choice *out)
{
	char dev[sizeof("/dev/") + TTY_SIZE];
	struct stat st;
	time_t best_atime = 0;
	int found = 0, denied = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (utmp_refresh(c) < 0)
		return FAILED;
	for (i = 0; i < c->n; i++) {
		if (strcmp(c->s[i].user, user) != 0)
			continue;
		if (want[0] != '\0') {
			if (strcmp(c->s[i].line, want) == 0) {
				/* Permission is checked on the descriptor. */
				memcpy(out->line, want, strlen(want) + 1);
				return SUCCESS;
			}
			continue;
		}
		if (snprintf(dev, sizeof(dev), "/dev/%s", c->s[i].line) >=
		    (int)sizeof(dev))
			continue;
		if (stat(dev, &st) < 0 || !S_ISCHR(st.st_mode))
			continue;		/* stale entry */
		if (uid != (uid_t)-1 && st.st_uid != uid)
			continue;		/* tty now someone else's */
		if (!(st.st_mode & S_IWGRP)) {
			denied = 1;		/* mesg n */
			continue;
		}
		if (!found || st.st_atime > best_atime) {
			best_atime = st.st_atime;
			memcpy(out->line, c->s[i].line,
			    strlen(c->s[i].line) + 1);
			found = 1;
		}
	}
	if (found)
		return SUCCESS;
	return denied ? PERMISSION_DENIED : NOT_HERE;
}

/* ---- escaping and the banner --------------------------------------------- */

size_t
vis_str(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t o = 0, i;

	if (dstlen == 0)
		return 0;
	for (i = 0; i < srclen && src[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)src[i];
		char tmp[5];
		size_t k;

		if (ch == '\\') {
			tmp[0] = tmp[1] = '\\';
			k = 2;
		} else if (ch >= 0x20 && ch <= 0x7e) {
			tmp[0] = (char)ch;
			k = 1;
		} else {
			tmp[0] = '\\';
			tmp[1] = (char)('0' + (ch >> 6));
			tmp[2] = (char)('0' + ((ch >> 3) & 7));
			tmp[3] = (char)('0' + (ch & 7));
			k = 4;
		}
		if (o + k >= dstlen)
			break;
		memcpy(dst + o, tmp, k);
		o += k;
	}
	dst[o] = '\0';
	return o;
}

#define BANNER_LINES	5
#define FIELD_MAX	128	/* escaped bytes kept of any one field */

size_t
banner_build(char *buf, size_t len, const char *thishost,
    const struct tm *when, const char *caller, const char *callerhost)
{
	char host[FIELD_MAX], who[FIELD_MAX], from[FIELD_MAX];
	char line[BANNER_LINES][3 * FIELD_MAX + 64];
	size_t w[BANNER_LINES], width = 0, o = 0, i;
	int n;

	vis_str(host, sizeof(host), thishost, strlen(thishost));
	vis_str(who, sizeof(who), caller, strlen(caller));
	vis_str(from, sizeof(from), callerhost, strlen(callerhost));

	line[0][0] = line[4][0] = '\0';
	n = snprintf(line[1], sizeof(line[1]),
	    "Message from Talk_Daemon@%s at %d:%02d ...", host,
	    when->tm_hour, when->tm_min);
	if (n < 0 || (size_t)n >= sizeof(line[1]))
		return 0;
	n = snprintf(line[2], sizeof(line[2]),
	    "talk: connection requested by %s@%s.", who, from);
	if (n < 0 || (size_t)n >= sizeof(line[2]))
		return 0;
	n = snprintf(line[3], sizeof(line[3]),
	    "talk: respond with:  talk %s@%s", who, from);
	if (n < 0 || (size_t)n >= sizeof(line[3]))
		return 0;
	for (i = 0; i < BANNER_LINES; i++) {
		w[i] = strlen(line[i]);
		if (w[i] > width)
			width = w[i];
	}
	width += 2;
	/* BEL CR LF, then each line padded to width and ended by CR LF. */
	if (len < 3 + BANNER_LINES * (width + 2) + 1)
		return 0;
	memcpy(buf, "\a\r\n", 3);
	o = 3;
	for (i = 0; i < BANNER_LINES; i++) {
		memcpy(buf + o, line[i], w[i]);
		memset(buf + o + w[i], ' ', width - w[i]);
		o += width;
		memcpy(buf + o, "\r\n", 2);
		o += 2;
	}
	buf[o] = '\0';
	return o;
}
