/*
 * Safe loading of a user's ~/.talkrc.  Every check runs on the open
 * descriptor (no stat-then-open race); nothing is read from a file that is
 * not a regular file, so a FIFO or a device put in its place cannot block
 * or feed the daemon.  An insecure file yields a deny-all set
 * (ACL_R_INSECURE_TALKRC), a file that does not parse or is too large a
 * deny-all set (ACL_R_BAD_TALKRC); in both cases *err says why, for the log.
 * A symbolic link is refused by O_NOFOLLOW (ELOOP) and counts as insecure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "acl/acl_int.h"

/* The one open(2) of a ~/.talkrc: no link followed, no FIFO waited on. */
static int
open_talkrc(const char *path)
{
	return open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
}

void
acl_stamp_of(const struct stat *st, struct acl_stamp *out)
{
	memset(out, 0, sizeof *out);
	out->dev = (uint64_t)st->st_dev;
	out->ino = (uint64_t)st->st_ino;
	out->size = (uint64_t)st->st_size;
	out->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 +
	    st->st_mtim.tv_nsec;
	out->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 +
	    st->st_ctim.tv_nsec;
}

int
acl_stamp_eq(const struct acl_stamp *a, const struct acl_stamp *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

static int
deny_all(const char *name, enum acl_reason why, struct acl **out,
    struct acl_err *err)
{
	struct acl *a = acl_new(name);

	if (a == NULL || acl_set_deny_all(a, why) < 0 ||
	    acl_set_index(&a->site) < 0) {
		acl_free(a);
		acl_err_set(err, name, 0, 0, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	*out = a;
	return 0;
}

int
acl_talkrc_fd(int fd, const char *name, uid_t uid, gid_t gid,
    struct acl **out, struct acl_stamp *stamp, struct acl_err *err)
{
	struct acl_err dummy;
	struct stat st;
	char *buf;
	size_t len;
	int rc;

	*out = NULL;
	if (err == NULL)
		err = &dummy;
	if (name == NULL)
		name = ".talkrc";
	if (fstat(fd, &st) < 0) {
		acl_err_set(err, name, 0, 0, "cannot stat: %s",
		    strerror(errno));
		return -1;
	}
	if (stamp != NULL)
		acl_stamp_of(&st, stamp);
	if (!S_ISREG(st.st_mode)) {
		acl_err_set(err, name, 0, 0, "insecure: not a regular file; "
		    "denying every caller");
		return deny_all(name, ACL_R_INSECURE_TALKRC, out, err);
	}
	if (st.st_uid != uid) {
		acl_err_set(err, name, 0, 0, "insecure: owned by uid %lu, not "
		    "by the user (uid %lu); denying every caller",
		    (unsigned long)st.st_uid, (unsigned long)uid);
		return deny_all(name, ACL_R_INSECURE_TALKRC, out, err);
	}
	if (st.st_gid != gid) {
		acl_err_set(err, name, 0, 0, "insecure: group %lu is not the "
		    "user's primary group %lu; denying every caller",
		    (unsigned long)st.st_gid, (unsigned long)gid);
		return deny_all(name, ACL_R_INSECURE_TALKRC, out, err);
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		acl_err_set(err, name, 0, 0, "insecure: writable by group or "
		    "others (chmod go-w); denying every caller");
		return deny_all(name, ACL_R_INSECURE_TALKRC, out, err);
	}
	if (st.st_size > ACL_TALKRC_MAX) {
		acl_err_set(err, name, 0, 0, "larger than %d bytes; denying "
		    "every caller", ACL_TALKRC_MAX);
		return deny_all(name, ACL_R_BAD_TALKRC, out, err);
	}
	if (acl_read_fd(fd, name, ACL_TALKRC_MAX, &buf, &len, err) < 0) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	{
		struct acl_errs es = { err, NULL, NULL, 0 };

		rc = acl_parse_legacy(name, buf, len, out, &es);
	}
	free(buf);
	if (rc < 0)
		return deny_all(name, ACL_R_BAD_TALKRC, out, NULL);
	memset(err, 0, sizeof *err);
	return 0;
}

int
acl_talkrc_path(const char *path, uid_t uid, gid_t gid, struct acl **out,
    struct acl_stamp *stamp, struct acl_err *err)
{
	int fd, rc, e;

	*out = NULL;
	if (stamp != NULL)
		memset(stamp, 0, sizeof *stamp);
	if ((fd = open_talkrc(path)) < 0) {
		e = errno;
		if (e == ELOOP) {
			acl_err_set(err, path, 0, 0, "insecure: a symbolic "
			    "link; denying every caller");
			return deny_all(path, ACL_R_INSECURE_TALKRC, out, err);
		}
		acl_err_set(err, path, 0, 0, "cannot open: %s", strerror(e));
		errno = e;
		return -1;
	}
	rc = acl_talkrc_fd(fd, path, uid, gid, out, stamp, err);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* ---- one opener, one choice, one decision -------------------------------- */

int
acl_talkrc_name(const char *home, char *buf, size_t n)
{
	static const char tail[] = "/.talkrc";
	size_t len;

	if (home == NULL || home[0] != '/') {
		errno = EINVAL;
		return -1;
	}
	/* By hand, not snprintf: talkd names the file on every request. */
	len = strlen(home);
	if (home[len - 1] == '/')
		len--;
	if (len + sizeof(tail) > n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, home, len);
	memcpy(buf + len, tail, sizeof(tail));
	return 0;
}

enum acl_src
acl_talkrc_open(const char *path, uid_t uid, gid_t gid,
    struct acl_source *src)
{
	struct stat st;

	memset(src, 0, sizeof *src);
	src->fd = -1;
	src->name = path;
	src->uid = uid;
	src->gid = gid;
	if ((src->fd = open_talkrc(path)) < 0) {
		src->errnum = errno;
		src->kind = errno == ENOENT || errno == ENOTDIR ?
		    ACL_SRC_ABSENT : errno == ELOOP ? ACL_SRC_INSECURE :
		    ACL_SRC_UNREADABLE;
		return src->kind;
	}
	if (fstat(src->fd, &st) < 0) {
		src->errnum = errno;
		src->kind = ACL_SRC_UNREADABLE;
	} else if (!S_ISREG(st.st_mode) || st.st_uid != uid)
		src->kind = ACL_SRC_INSECURE;	/* nobody else's file */
	else
		return src->kind = ACL_SRC_OPENED;
	close(src->fd);
	src->fd = -1;
	return src->kind;
}

void
acl_talkrc_clear(struct acl_talkrc *t)
{
	acl_free(t->own);
	memset(t, 0, sizeof *t);
}

int
acl_denyall_reason(const struct acl *set)
{
	return set != NULL && set->forced >= 0 ? set->forced : -1;
}

/* A deny-all set of src's name into t, saying why in *err. */
static int
pick_denyall(const struct acl_source *src, enum acl_reason why,
    struct acl_talkrc *t, struct acl_err *err)
{
	const char *name = src->name != NULL ? src->name : ".talkrc";

	acl_free(t->own);
	t->own = NULL;
	t->use = NULL;
	if (deny_all(name, why, &t->own, err) < 0)
		return -1;
	if (why == ACL_R_UNREADABLE_TALKRC)
		acl_err_set(err, name, 0, 0, "cannot be read: %s; denying "
		    "every caller", strerror(t->err));
	else if (why == ACL_R_INSECURE_TALKRC)
		acl_err_set(err, name, 0, 0, "insecure: a symbolic link, or "
		    "not a regular file owned by the user; denying every "
		    "caller");
	t->use = t->own;
	return 0;
}

/* t already holds the deny-all of this kind for this very name. */
static int
same_denyall(const struct acl_talkrc *t, enum acl_src was,
    const struct acl_source *src)
{
	return t->use != NULL && t->use == t->own && was == src->kind &&
	    strcmp(t->own->file, src->name != NULL ? src->name : ".talkrc") ==
	    0;
}

int
acl_talkrc_pick(const struct acl *policy, const char *user,
    const struct acl_source *src, struct acl_talkrc *t, struct acl_err *err)
{
	const struct acl *compiled;
	struct acl_stamp cst, fst;
	struct acl_err dummy;
	struct acl *set = NULL;
	struct stat st;
	enum acl_src was = t->kind;

	if (err == NULL)
		err = &dummy;
	acl_err_clear(err);
	memset(&cst, 0, sizeof cst);
	compiled = acl_policy_talkrc(policy, user, &cst);
	t->kind = src->kind;
	t->compiled = t->stale = 0;
	switch (src->kind) {
	case ACL_SRC_NOUSER:
	case ACL_SRC_ABSENT:
		acl_talkrc_clear(t);
		t->kind = src->kind;
		t->stale = compiled != NULL;
		return 0;
	case ACL_SRC_INSECURE:
		t->err = 0;
		if (same_denyall(t, was, src))
			return 0;		/* the same deny-all: said once */
		memset(&t->stamp, 0, sizeof t->stamp);
		return pick_denyall(src, ACL_R_INSECURE_TALKRC, t, err);
	case ACL_SRC_OPENED:
		t->err = 0;
		if (fstat(src->fd, &st) < 0)
			break;
		acl_stamp_of(&st, &fst);
		if (compiled != NULL && acl_stamp_eq(&cst, &fst)) {
			t->use = compiled;
			t->compiled = 1;
			return 0;
		}
		t->stale = compiled != NULL;
		if (t->own != NULL && was == ACL_SRC_OPENED &&
		    acl_stamp_eq(&t->stamp, &fst)) {
			t->use = t->own;	/* unchanged: not read again */
			return 0;
		}
		if (acl_talkrc_fd(src->fd, src->name, src->uid, src->gid,
		    &set, NULL, err) < 0)
			break;
		acl_free(t->own);
		t->own = set;
		t->use = set;
		t->stamp = fst;
		return 0;
	case ACL_SRC_UNREADABLE:
	default:
		if (same_denyall(t, was, src) && t->err == src->errnum)
			return 0;		/* the same failure: said once */
		errno = src->errnum;
		break;
	}
	/* Cannot be opened or read: fail closed. */
	t->kind = ACL_SRC_UNREADABLE;
	t->err = errno != 0 ? errno : EIO;
	memset(&t->stamp, 0, sizeof t->stamp);
	if (pick_denyall(src, ACL_R_UNREADABLE_TALKRC, t, err) < 0) {
		t->use = NULL;
		return -1;
	}
	return 0;
}

int
acl_decide_source(const struct acl *policy, const struct acl_source *src,
    struct acl_talkrc *t, const struct acl_query *q, struct acl_verdict *v,
    acl_trace_fn *fn, void *ctx, struct acl_err *err)
{
	/* A failed pick (no set for a file that is there) never allows. */
	if ((src != NULL && acl_talkrc_pick(policy, q->callee, src, t,
	    err) < 0) || (t->use == NULL && t->kind >= ACL_SRC_OPENED)) {
		memset(v, 0, sizeof *v);
		v->allow = 0;
		v->reason = ACL_R_UNREADABLE_TALKRC;
		return -1;
	}
	acl_decide_trace(policy, t->use, q, v, fn, ctx);
	return 0;
}
