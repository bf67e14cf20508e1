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
	if (stamp != NULL) {
		stamp->dev = (uint64_t)st.st_dev;
		stamp->ino = (uint64_t)st.st_ino;
		stamp->size = (uint64_t)st.st_size;
		stamp->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
		    st.st_mtim.tv_nsec;
		stamp->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 +
		    st.st_ctim.tv_nsec;
	}
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
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);
	if (fd < 0) {
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
