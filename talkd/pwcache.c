/*
 * Local accounts, cached.  getpwnam reads /etc/passwd on every call, and a
 * name that is not there falls through to the other NSS sources (systemd's
 * userdb probes dozens of paths): per request, that is most of the cost of
 * an ANNOUNCE or LOOK_UP.  Answers, found or not, are kept for ttl and all
 * dropped as soon as /etc/passwd changes (checked at most once a second),
 * so a new account is seen within a second, and one from another source
 * (LDAP, userdb) within ttl.  Bounded: the least recently used entry goes.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "talkd/talkd.h"

#define PASSWD_FILE	"/etc/passwd"
#define RECHECK_MS	1000

struct pwcache {
	struct pwent_c *e;
	size_t max;
	int64_t ttl, checked;
	struct stat st;
	int have_st;
};

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
	c->ttl = ttl_ms;
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
}

void
pwcache_free(struct pwcache *c)
{
	if (!c)
		return;
	flush(c);
	free(c->e);
	free(c);
}

static void
check_passwd(struct pwcache *c, int64_t now)
{
	struct stat st;

	if (c->have_st && now - c->checked < RECHECK_MS)
		return;
	c->checked = now;
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
	struct pwent_c *e, *victim = &c->e[0];
	struct passwd *pw;
	size_t i;

	check_passwd(c, now);
	for (i = 0; i < c->max; i++) {
		e = &c->e[i];
		if (e->used && strcmp(e->name, name) == 0) {
			if (now - e->at < c->ttl) {
				e->last = now;
				return e;
			}
			victim = e;	/* stale: look it up again, in place */
			break;
		}
		if (!e->used || (victim->used && e->last < victim->last))
			victim = e;
	}
	free(victim->home);
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->name, name, strnlen(name, NAME_SIZE));
	victim->used = 1;
	victim->at = victim->last = now;
	if ((pw = getpwnam(victim->name)) != NULL && pw->pw_dir &&
	    (victim->home = strdup(pw->pw_dir)) != NULL) {
		victim->found = 1;
		victim->uid = pw->pw_uid;
		victim->gid = pw->pw_gid;
	}
	return victim;
}
