/*
 * Caller host names for the banner: the packet source's reverse name when
 * it resolves forward to the same address, else the dotted address (never
 * MACHINE_UNKNOWN because DNS is silent).
 *
 * Lookups run in a child process so a silent resolver never blocks the
 * daemon for more than --dns-timeout milliseconds; answers that arrive
 * late still fill the cache for the next call.  The cache is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "talkd/talkd.h"
#include "talkd/privsep.h"

#define NAME_MAX_LEN	256
#define TTL_OK_MS	(300 * 1000)
#define TTL_FAIL_MS	(60 * 1000)

struct rcache {
	uint32_t addr;
	int used, ok;
	int64_t expires;
	char name[NAME_MAX_LEN];
};

struct resolver {
	int enabled, timeout_ms, fd;
	pid_t pid;
	struct rcache *c;
	size_t max, next;
};

struct answer {
	uint32_t addr;
	uint8_t ok;
	char name[NAME_MAX_LEN];
};

static void
child_loop(int fd)
{
	uint32_t addr;

	while (read(fd, &addr, sizeof(addr)) == (ssize_t)sizeof(addr)) {
		struct sockaddr_in sin;
		struct addrinfo hints, *res = NULL, *ai;
		struct answer a;

		memset(&a, 0, sizeof(a));
		a.addr = addr;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(addr);
		if (getnameinfo((struct sockaddr *)&sin, sizeof(sin), a.name,
		    sizeof(a.name), NULL, 0, NI_NAMEREQD) == 0) {
			memset(&hints, 0, sizeof(hints));
			hints.ai_family = AF_INET;
			hints.ai_socktype = SOCK_DGRAM;
			if (getaddrinfo(a.name, NULL, &hints, &res) == 0) {
				for (ai = res; ai; ai = ai->ai_next)
					if (((struct sockaddr_in *)ai->ai_addr)
					    ->sin_addr.s_addr == sin.sin_addr.s_addr)
						a.ok = 1;
				freeaddrinfo(res);
			}
		}
		if (!a.ok)
			a.name[0] = '\0';
		if (write(fd, &a, sizeof(a)) != (ssize_t)sizeof(a))
			break;
	}
	_exit(0);
}

struct resolver *
resolver_new(int enabled, int timeout_ms, size_t cache_max)
{
	struct resolver *r;
	int sv[2];

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->fd = -1;
	r->timeout_ms = timeout_ms;
	r->max = cache_max ? cache_max : 1;
	if ((r->c = calloc(r->max, sizeof(*r->c))) == NULL) {
		free(r);
		return NULL;
	}
	if (!enabled)
		return r;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_warn("resolver socketpair");
		return r;
	}
	switch ((r->pid = fork())) {
	case -1:
		log_warn("resolver fork");
		close(sv[0]);
		close(sv[1]);
		return r;
	case 0:
		close(sv[0]);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		/* Keep only the channel: no sockets, no journal, no ttys. */
		if (dup2(sv[1], 3) < 0)
			_exit(1);
		closefrom(4);
		privsep_detach_std();
		child_loop(3);
		_exit(0);
	}
	close(sv[1]);
	r->fd = sv[0];
	r->enabled = 1;
	return r;
}

void
resolver_free(struct resolver *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);		/* the child sees EOF and exits */
	if (r->pid > 0)
		waitpid(r->pid, NULL, 0);
	free(r->c);
	free(r);
}

static struct rcache *
cache_find(struct resolver *r, uint32_t addr)
{
	size_t i;

	for (i = 0; i < r->max; i++)
		if (r->c[i].used && r->c[i].addr == addr)
			return &r->c[i];
	return NULL;
}

static void
cache_put(struct resolver *r, uint32_t addr, int ok, const char *name,
    int64_t now)
{
	struct rcache *e = cache_find(r, addr);

	if (!e) {
		e = &r->c[r->next];
		r->next = (r->next + 1) % r->max;
	}
	e->used = 1;
	e->addr = addr;
	e->ok = ok;
	e->expires = now + (ok ? TTL_OK_MS : TTL_FAIL_MS);
	if (ok) {
		size_t n = strnlen(name, NAME_MAX_LEN - 1);
		memcpy(e->name, name, n);
		e->name[n] = '\0';
	} else
		e->name[0] = '\0';
}

/* Read every answer waiting; 1 when one for want arrived. */
static int
drain(struct resolver *r, uint32_t want, int64_t now)
{
	struct answer a;
	int got = 0;
	ssize_t n;

	while ((n = recv(r->fd, &a, sizeof(a), MSG_DONTWAIT)) ==
	    (ssize_t)sizeof(a)) {
		a.name[NAME_MAX_LEN - 1] = '\0';
		cache_put(r, a.addr, a.ok, a.name, now);
		if (a.addr == want)
			got = 1;
	}
	if (n == 0) {			/* the child is gone */
		log_warnx("resolver exited; showing numeric addresses");
		close(r->fd);
		r->fd = -1;
		r->enabled = 0;
	}
	return got;
}

void
resolver_name(struct resolver *r, uint32_t addr, char *out, size_t len,
    int64_t now)
{
	struct in_addr in = { htonl(addr) };
	struct rcache *e;

	inet_ntop(AF_INET, &in, out, (socklen_t)len);
	if (!r->enabled)
		return;
	drain(r, 0, now);
	e = cache_find(r, addr);
	if (!e || now >= e->expires) {
		int64_t deadline = now + r->timeout_ms;

		if (!r->enabled ||
		    send(r->fd, &addr, sizeof(addr), MSG_DONTWAIT) < 0)
			return;
		for (;;) {
			struct pollfd p = { r->fd, POLLIN, 0 };
			int64_t left = deadline - now_ms();
			if (left <= 0 || poll(&p, 1, (int)left) <= 0)
				break;
			if (drain(r, addr, now_ms()) || !r->enabled)
				break;
		}
		if ((e = cache_find(r, addr)) == NULL) {
			/* Silent resolver: numeric for a while, no re-asking. */
			cache_put(r, addr, 0, "", now);
			e = cache_find(r, addr);
		}
	}
	if (e && e->ok) {
		size_t n = strnlen(e->name, len - 1);
		memcpy(out, e->name, n);
		out[n] = '\0';
	}
}
