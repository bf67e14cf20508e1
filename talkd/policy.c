/*
 * Access control for the daemon (SPEC.md 4).
 *
 * The site policy comes from the compiled cache (talkctl acl compile) or a
 * legacy file (-a); without either the embedded default allows everything.
 * A new cache is loaded without a restart, and one that does not load
 * leaves the last good policy in force (never fail open).
 *
 * What decides, and with which ~/.talkrc, is libacl's (acl_decide_source):
 * this file only obtains the callee's ~/.talkrc -- opened directly where
 * the daemon may, through the opener (opener.c) when the home is private --
 * and keeps, per callee, what libacl picked from it.
 *
 * Change detection costs nothing per request (watch.c): one inotify
 * instance, shared with the opener, watches each cached callee's home
 * directory and ~/.talkrc, and the policy cache and its directory.  An
 * event raises SIGIO; watch_moved() tells, with no system call, whether
 * anything happened, and only then is the instance read and the callees
 * it names marked for a fresh look.  So an unchanged (or absent) ~/.talkrc
 * is not even opened, yet an edit counts from the next request.  Where no
 * watch could be added (limits, errors) or the queue overflowed, that
 * entry is looked at on every request, as without inotify.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acl/acl.h"
#include "talkd/talkd.h"
#include "talkd/privsep.h"

#define USERS_MAX	256
#define USER_WAYS	4	/* users[] is USERS_MAX / USER_WAYS sets of 4 */
#define WATCH_MS	1000
#define OPENER_WAIT_MS	1000

struct uset {
	char user[NAME_SIZE + 1];
	char *home;			/* the account as last seen */
	uid_t uid;
	gid_t gid;
	struct acl_talkrc t;		/* what libacl picked */
	int valid;			/* t holds a pick */
	int fresh;			/* watched, no event since the pick */
	int wd_dir, wd_file;		/* -1: none */
	char wname[NAME_MAX + 1];	/* "": wd_dir is the home's; else it
					   is a folder above a missing home,
					   waiting for this name */
	int64_t used;
};

struct policy {
	struct acl *site;		/* NULL: embedded default */
	char *cache_path, *legacy_path;
	uid_t trusted;			/* a cache owner besides root, or -1 */
	const char *cache_base;		/* in cache_path */
	struct stat cache_st;
	int have_cache_st;
	int64_t checked;
	int strict;
	int opener;			/* channel, or -1: open directly */
	struct pwcache *pw;
	int in;				/* inotify, or -1 */
	sig_atomic_t seen;
	int wd_cache, wd_cache_dir;	/* -1: not watched */
	int cache_dirty;
	struct uset users[USERS_MAX];
};

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

/* ---- watches ------------------------------------------------------------- */


static void
watch_cache(struct policy *p)
{
	char dir[PATH_MAX];
	int n;

	if (p->in < 0 || !p->cache_path)
		return;
	n = (int)(p->cache_base - p->cache_path);
	if (snprintf(dir, sizeof(dir), "%.*s", n > 0 ? n : 1,
	    n > 0 ? p->cache_path : ".") >= (int)sizeof(dir))
		return;
	if (p->wd_cache_dir < 0)
		p->wd_cache_dir = inotify_add_watch(p->in, dir,
		    WATCH_DIR_EVENTS);
	/* A new file at that name: watch the new inode. */
	p->wd_cache = inotify_add_watch(p->in, p->cache_path,
	    WATCH_FILE_EVENTS);
}

static void
forget_wd(struct policy *p, const struct uset *gone, int wd)
{
	size_t i;

	if (wd < 0 || wd == p->wd_cache || wd == p->wd_cache_dir)
		return;
	for (i = 0; i < USERS_MAX; i++)
		if (&p->users[i] != gone && (p->users[i].wd_dir == wd ||
		    p->users[i].wd_file == wd))
			return;			/* shared (same home) */
	(void)inotify_rm_watch(p->in, wd);
}

static void
uset_drop(struct policy *p, struct uset *u)
{
	forget_wd(p, u, u->wd_dir);
	forget_wd(p, u, u->wd_file);
	acl_talkrc_clear(&u->t);
	free(u->home);
	memset(u, 0, sizeof(*u));
	u->wd_dir = u->wd_file = -1;
}

static void
mark_all(struct policy *p)
{
	size_t i;

	for (i = 0; i < USERS_MAX; i++)
		p->users[i].fresh = 0;
	p->cache_dirty = 1;
}

/* Read the events queued since watch_moved said so; mark what they name. */
static void
drain(struct policy *p)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	size_t i, off;

	if (p->in < 0 || !watch_moved(&p->seen))
		return;
	while ((n = read(p->in, buf, sizeof(buf))) > 0) {
		for (off = 0; off + sizeof(*ev) <= (size_t)n;
		    off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(const void *)
			    (buf + off);
			if (ev->mask & IN_Q_OVERFLOW) {
				mark_all(p);
				continue;
			}
			if (ev->wd == p->wd_cache ||
			    (ev->wd == p->wd_cache_dir && (ev->len == 0 ||
			    strcmp(ev->name, p->cache_base) == 0)))
				p->cache_dirty = 1;
			for (i = 0; i < USERS_MAX; i++) {
				struct uset *u = &p->users[i];

				if (ev->wd != u->wd_dir && ev->wd != u->wd_file)
					continue;
				if (ev->len > 0 && ev->wd == u->wd_dir &&
				    strcmp(ev->name, u->wname[0] ? u->wname :
				    ".talkrc") != 0)
					continue;	/* another name there */
				u->fresh = 0;
				if (ev->mask & IN_IGNORED) {
					if (ev->wd == u->wd_dir)
						u->wd_dir = -1;
					if (ev->wd == u->wd_file)
						u->wd_file = -1;
				}
			}
			if ((ev->mask & IN_IGNORED) && ev->wd == p->wd_cache)
				p->wd_cache = -1;
			if ((ev->mask & IN_IGNORED) && ev->wd == p->wd_cache_dir)
				p->wd_cache_dir = -1;
		}
	}
}

/* ---- site policy --------------------------------------------------------- */

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
	watch_cache(p);			/* before the stat: no change missed */
	p->cache_dirty = 0;
	if (stat(p->cache_path, &st) < 0) {
		p->have_cache_st = 0;
		if (errno == ENOENT && !required)
			return 0;
		log_warn("policy cache %s", p->cache_path);
		return -1;
	}
	if (acl_cache_open_as(p->cache_path, p->trusted, out, &err) < 0) {
		log_acl_err("policy cache", &err);
		p->cache_st = st;	/* do not retry the same bad file */
		p->have_cache_st = 1;
		return -1;
	}
	p->cache_st = st;
	p->have_cache_st = 1;
	return 0;
}

/* Give the opener our inotify instance, so it adds the watches we cannot. */
static void
share_watches(struct policy *p)
{
	if (p->in >= 0 && p->opener >= 0 &&
	    opener_share_inotify(p->opener, p->in) < 0)
		log_warn("opener: cannot share the inotify descriptor");
}

struct policy *
policy_new(const char *cache_path, int cache_required,
    const char *legacy_path, int strict, int opener, struct pwcache *pw)
{
	struct policy *p;
	size_t i;
	const char *s;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->strict = strict;
	p->opener = opener;
	/*
	 * Started as root (and about to drop to its own account): only a
	 * root-owned cache is the policy, before and after the drop, so that
	 * the daemon's account cannot rename its own policy into place.
	 * Started unprivileged (make run as a user, tests), the user's own.
	 */
	p->trusted = geteuid() == 0 ? (uid_t)-1 : geteuid();
	p->pw = pw;
	p->wd_cache = p->wd_cache_dir = -1;
	for (i = 0; i < USERS_MAX; i++)
		p->users[i].wd_dir = p->users[i].wd_file = -1;
	if ((p->in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) >= 0 &&
	    watch_async(p->in) < 0) {
		close(p->in);
		p->in = -1;
	}
	if (p->in < 0)
		log_warn("inotify: every request checks its files instead");
	share_watches(p);
	if ((cache_path && (p->cache_path = strdup(cache_path)) == NULL) ||
	    (legacy_path && (p->legacy_path = strdup(legacy_path)) == NULL))
		goto fail;
	if (p->cache_path) {
		s = strrchr(p->cache_path, '/');
		p->cache_base = s ? s + 1 : p->cache_path;
	}
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
	for (i = 0; i < USERS_MAX; i++) {
		acl_talkrc_clear(&p->users[i].t);
		free(p->users[i].home);
	}
	acl_free(p->site);
	if (p->in >= 0)
		close(p->in);
	free(p->cache_path);
	free(p->legacy_path);
	free(p);
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	struct acl_stamp x, y;

	acl_stamp_of(a, &x);
	acl_stamp_of(b, &y);
	return acl_stamp_eq(&x, &y);
}

void
policy_reload(struct policy *p, int64_t now, int force)
{
	struct acl *fresh;
	struct stat st;
	size_t i;

	if (!p)
		return;
	drain(p);
	if (!force) {
		if (p->legacy_path || !p->cache_path)
			return;
		if (p->wd_cache_dir >= 0 && !p->cache_dirty)
			return;		/* watched, and nothing happened */
		if (p->wd_cache_dir < 0 && now - p->checked < WATCH_MS)
			return;
		p->checked = now;
		watch_cache(p);
		p->cache_dirty = 0;
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
	/* What was picked may point into the old policy: pick again. */
	for (i = 0; i < USERS_MAX; i++) {
		acl_talkrc_clear(&p->users[i].t);
		p->users[i].valid = p->users[i].fresh = 0;
	}
	acl_free(p->site);
	p->site = fresh;
	log_info("site policy reloaded");
}

/* ---- the callee's ~/.talkrc ---------------------------------------------- */

/*
 * The callee's slot: a set-associative cache, so that a request looks at
 * USER_WAYS slots, not at all of them; a user new to a full set takes the
 * slot of the set's least recently used.
 */
static struct uset *
uset_slot(struct policy *p, const char *user, int64_t now)
{
	size_t set = name_hash(user) % (USERS_MAX / USER_WAYS) * USER_WAYS, i;
	struct uset *u, *lru = &p->users[set];

	for (i = set; i < set + USER_WAYS; i++) {
		u = &p->users[i];
		if (u->user[0] && strcmp(u->user, user) == 0)
			return u;
		if (!u->user[0] || (lru->user[0] && u->used < lru->used))
			lru = u;
	}
	uset_drop(p, lru);		/* bounded: the least recently used */
	memcpy(lru->user, user, strnlen(user, NAME_SIZE));
	lru->used = now;
	return lru;
}

/*
 * A home that is not there (nobody's /nonexistent): watch the deepest
 * folder of its path that is, for the next name of the path to come, so
 * that requests for that callee look at nothing until it does.  The name
 * into u->wname; the watch, or -1.  The name is looked for once the watch
 * is there, since one that came just before would go unseen: then again
 * from the start, a few times.
 */
static int
watch_above(struct policy *p, struct uset *u)
{
	char dir[PATH_MAX], next[PATH_MAX], *slash;
	struct stat st;
	size_t n = strlen(u->home);
	int tries, wd, k;

	for (tries = 0; n < sizeof(dir) && tries < 3; tries++) {
		memcpy(dir, u->home, n + 1);
		for (wd = -1; wd < 0;) {
			while ((slash = strrchr(dir, '/')) != NULL &&
			    slash[1] == '\0' && slash != dir)
				*slash = '\0';		/* trailing slashes */
			if (slash == NULL || slash[1] == '\0' ||
			    strlen(slash + 1) >= sizeof(u->wname))
				goto none;		/* nothing above */
			memcpy(u->wname, slash + 1, strlen(slash + 1) + 1);
			slash[slash == dir] = '\0';	/* "/x" -> "/" */
			if ((wd = inotify_add_watch(p->in, dir,
			    WATCH_DIR_EVENTS)) < 0 && errno != ENOENT)
				goto none;
		}
		k = snprintf(next, sizeof(next), "%s%s%s", dir, dir[1] ? "/" :
		    "", u->wname);
		if (k > 0 && (size_t)k < sizeof(next) && fstatat(AT_FDCWD,
		    next, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
			return wd;
		forget_wd(p, u, wd);		/* it came: look again */
	}
none:
	u->wname[0] = '\0';
	return -1;
}

/*
 * Obtain the callee's ~/.talkrc: the watches first (so no change after the
 * open goes unseen), then the open, both directly where the daemon may and
 * through the opener for a home it cannot read.
 */
static void
obtain(struct policy *p, struct uset *u, const char *path,
    struct acl_source *src)
{
	int wd = -1, wf = -1, private = 0;

	u->wname[0] = '\0';
	if (p->in >= 0) {
		if ((wd = inotify_add_watch(p->in, u->home, WATCH_DIR_EVENTS)) >= 0)
			wf = inotify_add_watch(p->in, path, WATCH_FILE_EVENTS);
		else if (errno == ENOENT)
			wd = watch_above(p, u);	/* no home (yet) */
		else
			private = errno == EACCES;
	}
	if (!private || p->opener < 0) {
		if (acl_talkrc_open(path, u->uid, u->gid, src) !=
		    ACL_SRC_UNREADABLE || src->errnum != EACCES ||
		    p->opener < 0)
			goto out;
	}
	/* A private home (or file): the opener, with its capability. */
	memset(src, 0, sizeof(*src));
	src->name = path;
	src->uid = u->uid;
	src->gid = u->gid;
	src->kind = opener_open(p->opener, u->user, OPENER_WAIT_MS, &src->fd,
	    &src->errnum, p->in >= 0 ? &wd : NULL, &wf);
out:
	if (u->wd_file >= 0 && u->wd_file != wf)
		forget_wd(p, u, u->wd_file);	/* the old inode's */
	if (u->wd_dir >= 0 && u->wd_dir != wd)
		forget_wd(p, u, u->wd_dir);
	u->wd_dir = wd;
	u->wd_file = wf;
}

void
policy_decide(struct policy *p, const char *callee, const char *caller,
    uint32_t addr, struct decision *d)
{
	const struct pwent_c *pw;
	const struct acl_rule_ref *r;
	struct acl_source src;
	struct acl_query q;
	struct acl_verdict v;
	struct acl_err err;
	struct uset *u;
	char path[PATH_MAX];
	int64_t now = now_ms();
	int named, e, picked;

	d->allow = 0;
	d->reason = NULL;
	d->rule[0] = '\0';
	if (!p) {
		d->allow = 1;
		d->reason = acl_reason_str(ACL_R_SITE_ALLOW);
		(void)acl_rule_ref_str(NULL, d->rule, sizeof(d->rule));
		return;
	}
	drain(p);
	if (p->cache_dirty)
		policy_reload(p, now, 0);	/* a new cache counts now */
	pw = pwcache_get(p->pw, callee, now);
	memset(&q, 0, sizeof(q));
	q.callee = callee;
	q.caller = caller;
	q.addr = addr;
	q.strict = p->strict;
	acl_err_clear(&err);
	memset(&src, 0, sizeof(src));
	src.fd = -1;
	named = pw->found ? acl_talkrc_name(pw->home, path, sizeof(path)) : -1;
	e = errno;
	if (!pw->found || (named < 0 && e == EINVAL)) {
		/*
		 * No account, or no home: no ~/.talkrc, and no cached user
		 * (nor its watches) is evicted for a name that does not exist.
		 */
		struct acl_talkrc none;

		memset(&none, 0, sizeof(none));
		src.kind = ACL_SRC_NOUSER;
		(void)acl_decide_source(p->site, &src, &none, &q, &v, NULL,
		    NULL, NULL);
		acl_talkrc_clear(&none);
		goto out;
	}
	u = uset_slot(p, callee, now);
	u->used = now;
	if (u->valid && (u->home == NULL || strcmp(u->home, pw->home) != 0 ||
	    u->uid != pw->uid || u->gid != pw->gid))
		u->fresh = 0;		/* the account changed */
	if (u->valid && u->fresh) {
		/* Nothing changed since the pick: no system call at all. */
		(void)acl_decide_source(p->site, NULL, &u->t, &q, &v, NULL,
		    NULL, &err);
		goto out;
	}
	free(u->home);
	u->uid = pw->uid;
	u->gid = pw->gid;
	if (named == 0 && (u->home = strdup(pw->home)) != NULL)
		obtain(p, u, path, &src);
	else {
		src.kind = ACL_SRC_UNREADABLE;		/* fail closed */
		src.errnum = named < 0 ? e : ENOMEM;
		src.name = callee;
	}
	picked = acl_decide_source(p->site, &src, &u->t, &q, &v, NULL, NULL,
	    &err) == 0;
	if (src.fd >= 0)
		close(src.fd);
	if (err.msg[0])
		log_acl_err("user rules", &err);
	u->valid = 1;
	/*
	 * Trust the pick until an event only when there is one (out of memory
	 * denied this request and leaves none) and the home is watched (and
	 * the file, when there is one): else look again every time.
	 */
	u->fresh = picked && u->home != NULL && u->wd_dir >= 0 &&
	    (src.kind != ACL_SRC_OPENED || u->wd_file >= 0);
out:
	d->allow = v.allow;
	d->reason = acl_reason_str(v.reason);
	/*
	 * Only a denial names its rule (the journal records which one); an
	 * allowed request, the common case, is not worth a snprintf.
	 */
	if (!v.allow) {
		r = acl_verdict_rule(&v);
		(void)acl_rule_ref_str(r, d->rule, sizeof(d->rule));
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
