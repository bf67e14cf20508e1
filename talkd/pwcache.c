/*
 * Local accounts, cached.  getpwnam reads /etc/passwd on every call, and a
 * name that is not there falls through to the other NSS sources (systemd's
 * userdb probes dozens of paths): per request, that is most of the cost of
 * an ANNOUNCE or LOOK_UP.  Answers, found or not, are kept for ttl and all
 * dropped as soon as /etc/passwd changes, and one from another source
 * (LDAP, userdb) within ttl.  Bounded: the least recently used entry goes.
 *
 * A change is noticed at no cost per request (watch.c): inotify watches
 * /etc/passwd and /etc (replacement by rename, as vipw and useradd do), its
 * events raise SIGIO, and the descriptor is read only when watch_moved()
 * says something happened.  Without a watch (no inotify, limits, queue
 * overflow) /etc/passwd is stat'ed at most once a second, as before.
 *
 * A hit costs one hash of the name and a short chain walk: LOOK_UP and
 * ANNOUNCE ask for an account on every request, and a scan of every slot
 * was the largest cost of a LOOK_UP.  Only a miss scans for the least
 * recently used slot, and a miss costs a getpwnam anyway.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "talkd/talkd.h"

#define PASSWD_DIR	"/etc"
#define PASSWD_NAME	"passwd"
#define PASSWD_FILE	PASSWD_DIR "/" PASSWD_NAME
#define RECHECK_MS	1000

struct pwcache {
	struct pwent_c *e;
	size_t max;
	ssize_t *head, *next;		/* name hash chains of e's indexes */
	size_t nhead;			/* power of two */
	int64_t ttl, checked;
	struct stat st;
	int have_st;
	int in, wd_file, wd_dir;	/* inotify; -1: none */
	sig_atomic_t seen;
	int dirty;			/* an event since the last look */
};

/* Watch the file (again: a rename put a new inode there) and its folder. */
static void
watch_passwd(struct pwcache *c)
{
	if (c->in < 0)
		return;
	if (c->wd_dir < 0)
		c->wd_dir = inotify_add_watch(c->in, PASSWD_DIR, IN_CREATE |
		    IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ONLYDIR);
	c->wd_file = inotify_add_watch(c->in, PASSWD_FILE, IN_MODIFY |
	    IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF);
}

/* 1 when the watches say passwd may have changed (or cannot say). */
static int
passwd_moved(struct pwcache *c)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	size_t off;

	if (c->in < 0 || c->wd_dir < 0 || c->wd_file < 0)
		return -1;		/* not watched: stat it */
	if (!watch_moved(&c->seen))
		return c->dirty;
	while ((n = read(c->in, buf, sizeof(buf))) > 0)
		for (off = 0; off + sizeof(*ev) <= (size_t)n;
		    off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(const void *)
			    (buf + off);
			if (ev->wd == c->wd_file || (ev->mask & IN_Q_OVERFLOW) ||
			    (ev->wd == c->wd_dir && ev->len > 0 &&
			    strcmp(ev->name, PASSWD_NAME) == 0))
				c->dirty = 1;
			if ((ev->mask & IN_IGNORED) && ev->wd == c->wd_file)
				c->wd_file = -1;
			if ((ev->mask & IN_IGNORED) && ev->wd == c->wd_dir)
				c->wd_dir = -1;
		}
	return c->dirty;
}

static size_t
name_bucket(const struct pwcache *c, const char *name)
{
	return name_hash(name) & (c->nhead - 1);
}

static void
unchain_all(struct pwcache *c)
{
	size_t i;

	for (i = 0; i < c->nhead; i++)
		c->head[i] = -1;
	for (i = 0; i < c->max; i++)
		c->next[i] = -1;
}

/* Take slot i off its name's chain (it is on one when used). */
static void
unchain(struct pwcache *c, size_t i)
{
	ssize_t *pp = &c->head[name_bucket(c, c->e[i].name)];

	while (*pp >= 0 && (size_t)*pp != i)
		pp = &c->next[*pp];
	if (*pp >= 0)
		*pp = c->next[i];
	c->next[i] = -1;
}

struct pwcache *
pwcache_new(size_t max, int64_t ttl_ms)
{
	struct pwcache *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->e = calloc(max ? max : 1, sizeof(*c->e))) == NULL) {
		free(c);
		return NULL;
	}
	c->max = max ? max : 1;
	for (c->nhead = 16; c->nhead < c->max; c->nhead <<= 1)
		;
	if ((c->head = malloc(c->nhead * sizeof(*c->head))) == NULL ||
	    (c->next = malloc(c->max * sizeof(*c->next))) == NULL) {
		free(c->head);
		free(c->e);
		free(c);
		return NULL;
	}
	unchain_all(c);
	c->ttl = ttl_ms;
	c->wd_file = c->wd_dir = -1;
	if ((c->in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) >= 0 &&
	    watch_async(c->in) < 0) {
		close(c->in);
		c->in = -1;
	}
	return c;
}

static void
flush(struct pwcache *c)
{
	size_t i;

	for (i = 0; i < c->max; i++) {
		free(c->e[i].home);
		memset(&c->e[i], 0, sizeof(c->e[i]));
	}
	unchain_all(c);
}

void
pwcache_free(struct pwcache *c)
{
	if (!c)
		return;
	flush(c);
	if (c->in >= 0)
		close(c->in);
	free(c->head);
	free(c->next);
	free(c->e);
	free(c);
}

static void
check_passwd(struct pwcache *c, int64_t now)
{
	struct stat st;
	int moved = passwd_moved(c);

	if (c->have_st && (moved == 0 ||
	    (moved < 0 && now - c->checked < RECHECK_MS)))
		return;			/* watched and quiet, or seen just now */
	c->checked = now;
	c->dirty = 0;
	watch_passwd(c);		/* before the stat: no change missed */
	if (stat(PASSWD_FILE, &st) < 0)
		memset(&st, 0, sizeof(st));
	if (!c->have_st || st.st_ino != c->st.st_ino ||
	    st.st_size != c->st.st_size ||
	    st.st_mtim.tv_sec != c->st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != c->st.st_mtim.tv_nsec ||
	    st.st_ctim.tv_sec != c->st.st_ctim.tv_sec ||
	    st.st_ctim.tv_nsec != c->st.st_ctim.tv_nsec)
		flush(c);
	c->st = st;
	c->have_st = 1;
}

const struct pwent_c *
pwcache_get(struct pwcache *c, const char *name, int64_t now)
{
	struct pwent_c *e, *victim = NULL;
	struct passwd *pw;
	char key[NAME_SIZE + 1];
	ssize_t k;
	size_t i;

	check_passwd(c, now);
	memset(key, 0, sizeof(key));
	memcpy(key, name, strnlen(name, NAME_SIZE));
	for (k = c->head[name_bucket(c, key)]; k >= 0; k = c->next[k]) {
		e = &c->e[k];
		if (strcmp(e->name, key) != 0)
			continue;
		if (now - e->at < c->ttl) {
			e->last = now;
			return e;
		}
		victim = e;		/* stale: look it up again, in place */
		break;
	}
	if (victim == NULL) {
		victim = &c->e[0];
		for (i = 0; i < c->max; i++) {
			e = &c->e[i];
			if (!e->used) {
				victim = e;
				break;
			}
			if (e->last < victim->last)
				victim = e;
		}
	}
	i = (size_t)(victim - c->e);
	if (victim->used)
		unchain(c, i);
	free(victim->home);
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->name, key, sizeof(victim->name));
	victim->used = 1;
	victim->at = victim->last = now;
	k = (ssize_t)name_bucket(c, key);
	c->next[i] = c->head[k];
	c->head[k] = (ssize_t)i;
	if ((pw = getpwnam(victim->name)) != NULL && pw->pw_dir &&
	    (victim->home = strdup(pw->pw_dir)) != NULL) {
		victim->found = 1;
		victim->uid = pw->pw_uid;
		victim->gid = pw->pw_gid;
	}
	return victim;
}
