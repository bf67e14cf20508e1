/*
 * Access control for the daemon (SPEC.md 4).
 *
 * The site policy comes from the compiled cache (talkctl acl compile) or a
 * legacy file (-a); without either the embedded default allows everything.
 * The cache is watched: a new one is loaded without a restart, and one that
 * does not load leaves the last good policy in force (never fail open).
 *
 * The callee's ~/.talkrc is consulted on every request through the opener
 * (opener.c), which hands back a descriptor; the daemon compares its
 * identity (device, inode, size, mtime, ctime) with the copy it parsed
 * last, so a user's edit counts from the next request while an unchanged
 * file is never read or compiled again.  A file that cannot be read for
 * any reason other than "there is none" denies (fail closed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acl/acl.h"
#include "talkd/talkd.h"
#include "talkd/privsep.h"

#define USERS_MAX	256
#define WATCH_MS	1000
#define OPENER_WAIT_MS	1000

struct uset {
	char user[NAME_SIZE + 1];
	struct acl_stamp st;
	struct acl *set;
	int64_t used;
};

struct policy {
	struct acl *site;		/* NULL: embedded default */
	char *cache_path, *legacy_path;
	struct stat cache_st;
	int have_cache_st;
	int64_t checked;
	int strict;
	int opener;			/* channel, or -1: open directly */
	struct pwcache *pw;
	struct uset users[USERS_MAX];
};

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void
log_acl_err(const char *what, const struct acl_err *e)
{
	if (e->line)
		log_warnx("%s: %s:%u:%u: %s", what, e->file, e->line, e->col,
		    e->msg);
	else
		log_warnx("%s: %s%s%s", what, e->file, e->file[0] ? ": " : "",
		    e->msg);
}

/* Load the site policy; 0 and *out on success (may be NULL: none). */
static int
load_site(struct policy *p, int required, struct acl **out)
{
	struct acl_err err;
	struct stat st;

	*out = NULL;
	memset(&err, 0, sizeof(err));
	if (p->legacy_path) {
		if (acl_parse_legacy_file(p->legacy_path, out, &err) < 0) {
			log_acl_err("site policy", &err);
			return -1;
		}
		return 0;
	}
	if (!p->cache_path)
		return 0;
	if (stat(p->cache_path, &st) < 0) {
		p->have_cache_st = 0;
		if (errno == ENOENT && !required)
			return 0;
		log_warn("policy cache %s", p->cache_path);
		return -1;
	}
	if (acl_cache_open(p->cache_path, out, &err) < 0) {
		log_acl_err("policy cache", &err);
		p->cache_st = st;	/* do not retry the same bad file */
		p->have_cache_st = 1;
		return -1;
	}
	p->cache_st = st;
	p->have_cache_st = 1;
	return 0;
}

struct policy *
policy_new(const char *cache_path, int cache_required,
    const char *legacy_path, int strict, int opener, struct pwcache *pw)
{
	struct policy *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->strict = strict;
	p->opener = opener;
	p->pw = pw;
	if ((cache_path && (p->cache_path = strdup(cache_path)) == NULL) ||
	    (legacy_path && (p->legacy_path = strdup(legacy_path)) == NULL))
		goto fail;
	if (load_site(p, cache_required, &p->site) < 0)
		goto fail;		/* no good policy at all: refuse */
	if (p->legacy_path)
		log_info("site policy: %s", p->legacy_path);
	else if (p->site)
		log_info("site policy: %s", p->cache_path);
	else
		log_info("site policy: embedded default (allow)");
	return p;
fail:
	policy_free(p);
	return NULL;
}

void
policy_free(struct policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < USERS_MAX; i++)
		acl_free(p->users[i].set);
	acl_free(p->site);
	free(p->cache_path);
	free(p->legacy_path);
	free(p);
}

void
policy_reload(struct policy *p, int64_t now, int force)
{
	struct acl *fresh;
	struct stat st;

	if (!p)
		return;
	if (!force) {
		if (p->legacy_path || !p->cache_path ||
		    now - p->checked < WATCH_MS)
			return;
		p->checked = now;
		if (stat(p->cache_path, &st) < 0) {
			if (p->have_cache_st)
				log_warnx("policy cache %s is gone; keeping "
				    "the last good policy", p->cache_path);
			p->have_cache_st = 0;
			return;
		}
		if (p->have_cache_st && same_file(&st, &p->cache_st))
			return;
	}
	if (load_site(p, 1, &fresh) < 0) {
		log_warnx("keeping the last good site policy");
		return;
	}
	acl_free(p->site);
	p->site = fresh;
	log_info("site policy reloaded");
}

/*
 * Open ~user/.talkrc as the daemon itself, with the opener's checks; *st
 * receives the descriptor's stat so the caller need not ask again.
 */
static enum opener_status
open_direct(const struct pwent_c *pw, int *fd, uid_t *uid, gid_t *gid,
    struct stat *st)
{
	char path[4096];

	*fd = -1;
	*uid = pw->uid;
	*gid = pw->gid;
	if (snprintf(path, sizeof(path), "%s/.talkrc", pw->home) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return OPENER_ERROR;
	}
	if ((*fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) < 0)
		return errno == ENOENT || errno == ENOTDIR ? OPENER_ABSENT :
		    errno == ELOOP ? OPENER_INSECURE : OPENER_ERROR;
	if (fstat(*fd, st) < 0 || !S_ISREG(st->st_mode) ||
	    st->st_uid != pw->uid) {
		close(*fd);
		*fd = -1;
		return OPENER_INSECURE;
	}
	return OPENER_OPENED;
}

static struct uset *
uset_slot(struct policy *p, const char *user, int64_t now)
{
	struct uset *u, *lru = &p->users[0];
	size_t i;

	for (i = 0; i < USERS_MAX; i++) {
		u = &p->users[i];
		if (u->set && strcmp(u->user, user) == 0)
			return u;
		if (!u->set || u->used < lru->used)
			lru = u;
	}
	acl_free(lru->set);
	memset(lru, 0, sizeof(*lru));
	memcpy(lru->user, user, strnlen(user, NAME_SIZE));
	lru->used = now;
	return lru;
}

static void
ref(char *out, size_t len, const char *set, const struct acl_rule_ref *r)
{
	if (!r)
		snprintf(out, len, "%s default", set);
	else if (r->id)
		snprintf(out, len, "%s", r->id);
	else if (r->line == 0)		/* the whole file (deny-all) */
		snprintf(out, len, "%s", r->file ? r->file : "?");
	else
		snprintf(out, len, "%s:%u", r->file ? r->file : "?", r->line);
}

static void
deny(struct decision *d, const char *reason, const char *user)
{
	d->allow = 0;
	d->reason = reason;
	snprintf(d->rule, sizeof(d->rule), "~%s/.talkrc", user);
}

void
policy_decide(struct policy *p, const char *callee, const char *caller,
    uint32_t addr, struct decision *d)
{
	const struct acl *talkrc = NULL;
	struct acl_query q;
	struct acl_verdict v;
	enum opener_status os;
	const struct pwent_c *pw;
	struct acl_stamp stamp;
	struct stat st;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	int64_t now = now_ms();
	int fd = -1, need_stat = 0;

	memset(d, 0, sizeof(*d));
	if (!p) {
		d->allow = 1;
		d->reason = "site-allow";
		snprintf(d->rule, sizeof(d->rule), "default");
		return;
	}
	/*
	 * Open it directly where the daemon may (the same O_NOFOLLOW open and
	 * descriptor checks as the opener's), and ask the opener only for a
	 * home the daemon cannot search: that saves a round trip per request
	 * on hosts whose homes are not private.
	 */
	pw = pwcache_get(p->pw, callee, now);
	if (!pw->found)
		os = OPENER_NOUSER;	/* no account, no ~/.talkrc to ask for */
	else if ((os = open_direct(pw, &fd, &uid, &gid, &st)) ==
	    OPENER_ERROR && errno == EACCES && p->opener >= 0) {
		os = opener_open(p->opener, callee, OPENER_WAIT_MS, &fd, &uid,
		    &gid);
		need_stat = 1;		/* a descriptor from the opener */
	}
	switch (os) {
	case OPENER_OPENED: {
		struct uset *u = uset_slot(p, callee, now);
		struct acl_err err;

		memset(&err, 0, sizeof(err));
		if (need_stat && fstat(fd, &st) < 0) {
			close(fd);
			deny(d, "unreadable-talkrc", callee);
			return;
		}
		stamp.dev = st.st_dev;
		stamp.ino = st.st_ino;
		stamp.size = (uint64_t)st.st_size;
		stamp.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
		    st.st_mtim.tv_nsec;
		stamp.ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 +
		    st.st_ctim.tv_nsec;
		if (!u->set || memcmp(&u->st, &stamp, sizeof(stamp)) != 0) {
			char name[64];

			acl_free(u->set);
			u->set = NULL;
			snprintf(name, sizeof(name), "~%s/.talkrc", callee);
			if (acl_talkrc_fd(fd, name, uid, gid, &u->set, NULL,
			    &err) < 0) {
				close(fd);
				deny(d, "unreadable-talkrc", callee);
				return;
			}
			if (err.msg[0])
				log_acl_err("user rules", &err);
			u->st = stamp;
		}
		close(fd);
		u->used = now;
		talkrc = u->set;
		break;
	}
	case OPENER_NOUSER:
	case OPENER_ABSENT:
		break;
	case OPENER_INSECURE:
		/*
		 * A symlink, or a file that is not the user's own regular
		 * file: the documented deny-all.
		 */
		d->allow = 0;
		d->reason = acl_reason_str(ACL_R_INSECURE_TALKRC);
		snprintf(d->rule, sizeof(d->rule), "~%s/.talkrc", callee);
		return;
	case OPENER_ERROR:
	case OPENER_TIMEOUT:
	default:
		log_warnx("~%s/.talkrc cannot be read; denying", callee);
		deny(d, "unreadable-talkrc", callee);
		return;
	}

	memset(&q, 0, sizeof(q));
	q.callee = callee;
	q.caller = caller;
	q.addr = addr;
	q.strict = p->strict;
	acl_decide(p->site, talkrc, &q, &v);
	d->allow = v.allow;
	d->reason = acl_reason_str(v.reason);
	switch (v.reason) {
	case ACL_R_USER_DENY:
	case ACL_R_USER_OVERRIDE:
	case ACL_R_INSECURE_TALKRC:
	case ACL_R_BAD_TALKRC:
		ref(d->rule, sizeof(d->rule), "user", v.user);
		break;
	default:
		ref(d->rule, sizeof(d->rule), "site", v.site);
		break;
	}
}

/*
 * What is in force, for talkd -T and the status file: "cache", "legacy" or
 * "default", the file it came from and, for a cache, the identity it had
 * when it was loaded (st_size 0 and *path NULL when there is none).
 */
const char *
policy_source(const struct policy *p, const char **path, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	*path = NULL;
	if (p->legacy_path) {
		*path = p->legacy_path;
		return "legacy";
	}
	if (p->site == NULL)
		return "default";
	*path = p->cache_path;
	if (p->have_cache_st)
		*st = p->cache_st;
	return "cache";
}
