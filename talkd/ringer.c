/*
 * The ringer: writes the banner to a callee's tty without ever blocking the
 * loop.  The tty is opened O_WRONLY|O_NOCTTY|O_NONBLOCK|O_NOFOLLOW and
 * checked on the descriptor (character device, group-writable, owned by the
 * callee).  What a stopped or full tty does not take at once waits in a
 * bounded queue that the loop drains when the tty is writable, until a
 * deadline.  announce.c chooses the tty and builds the banner.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "talkd/talkd.h"

#define RING_BUF 2048

struct pending {
	int fd;				/* -1: free slot */
	dev_t rdev;
	size_t off, len;
	int64_t deadline;
	char buf[RING_BUF];
};

struct ringer {
	struct pending *p;
	size_t max, used;
	int64_t timeout;
};

struct ringer *
ringer_new(size_t max_pending, int64_t write_timeout_ms)
{
	struct ringer *r;
	size_t i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if (max_pending == 0 ||
	    (r->p = calloc(max_pending, sizeof(*r->p))) == NULL) {
		free(r);
		return NULL;
	}
	for (i = 0; i < max_pending; i++)
		r->p[i].fd = -1;
	r->max = max_pending;
	r->timeout = write_timeout_ms;
	return r;
}

static void
pending_drop(struct ringer *r, struct pending *p)
{
	close(p->fd);
	p->fd = -1;
	r->used--;
}

void
ringer_free(struct ringer *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->max; i++)
		if (r->p[i].fd >= 0)
			pending_drop(r, &r->p[i]);
	free(r->p);
	free(r);
}

enum ctl_answer
ringer_ring(struct ringer *r, const char *line, uid_t uid, const char *msg,
    size_t len, int64_t now)
{
	char dev[sizeof("/dev/") + TTY_SIZE];
	struct pending *slot = NULL;
	struct stat st;
	ssize_t n;
	size_t i;
	int fd;

	if (!tty_line_ok(line) || len > RING_BUF)
		return FAILED;
	if (snprintf(dev, sizeof(dev), "/dev/%s", line) >= (int)sizeof(dev))
		return FAILED;
	fd = open(dev, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return errno == EACCES || errno == EPERM ? PERMISSION_DENIED :
		    FAILED;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    (uid != (uid_t)-1 && st.st_uid != uid)) {
		close(fd);
		return FAILED;
	}
	if (!(st.st_mode & S_IWGRP)) {
		close(fd);
		return PERMISSION_DENIED;
	}
	/* A tty that is still draining an earlier banner gets it appended. */
	for (i = 0; i < r->max; i++)
		if (r->p[i].fd >= 0 && r->p[i].rdev == st.st_rdev) {
			struct pending *p = &r->p[i];
			if (p->len - p->off + len > RING_BUF) {
				close(fd);
				return FAILED;
			}
			memmove(p->buf, p->buf + p->off, p->len - p->off);
			p->len -= p->off;
			p->off = 0;
			memcpy(p->buf + p->len, msg, len);
			p->len += len;
			p->deadline = now + r->timeout;
			close(fd);
			return SUCCESS;
		}
	n = write(fd, msg, len);
	if (n == (ssize_t)len) {
		close(fd);
		return SUCCESS;
	}
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
		close(fd);
		return FAILED;
	}
	if (n < 0)
		n = 0;
	for (i = 0; i < r->max && !slot; i++)
		if (r->p[i].fd < 0)
			slot = &r->p[i];
	if (!slot) {
		close(fd);
		return FAILED;		/* too many stuck ttys at once */
	}
	slot->fd = fd;
	slot->rdev = st.st_rdev;
	slot->off = 0;
	slot->len = len - (size_t)n;
	memcpy(slot->buf, msg + n, slot->len);
	slot->deadline = now + r->timeout;
	r->used++;
	return SUCCESS;
}

size_t
ringer_pollfds(struct ringer *r, struct pollfd *pfd, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < r->max && n < max; i++)
		if (r->p[i].fd >= 0) {
			pfd[n].fd = r->p[i].fd;
			pfd[n].events = POLLOUT;
			pfd[n].revents = 0;
			n++;
		}
	return n;
}

void
ringer_service(struct ringer *r, const struct pollfd *pfd, size_t n,
    int64_t now)
{
	size_t i, k;

	for (i = 0; i < r->max; i++) {
		struct pending *p = &r->p[i];
		short rev = 0;

		if (p->fd < 0)
			continue;
		for (k = 0; k < n; k++)
			if (pfd[k].fd == p->fd)
				rev = pfd[k].revents;
		if (rev & (POLLERR | POLLHUP | POLLNVAL)) {
			pending_drop(r, p);
			continue;
		}
		if (rev & POLLOUT) {
			ssize_t w = write(p->fd, p->buf + p->off,
			    p->len - p->off);
			if (w > 0)
				p->off += (size_t)w;
			else if (w < 0 && errno != EAGAIN &&
			    errno != EWOULDBLOCK && errno != EINTR) {
				pending_drop(r, p);
				continue;
			}
			if (p->off == p->len) {
				pending_drop(r, p);
				continue;
			}
		}
		if (now >= p->deadline)
			pending_drop(r, p);	/* give up on this tty */
	}
}

int64_t
ringer_next_deadline(const struct ringer *r, int64_t now)
{
	int64_t best = -1;
	size_t i;

	for (i = 0; i < r->max; i++)
		if (r->p[i].fd >= 0) {
			int64_t left = r->p[i].deadline - now;
			if (left < 0)
				left = 0;
			if (best < 0 || left < best)
				best = left;
		}
	return best;
}

size_t
ringer_pending(const struct ringer *r)
{
	return r->used;
}
