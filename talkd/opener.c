/*
 * The ~/.talkrc opener.  Users' home directories may be private (0700,
 * 0750), and the daemon runs as an unprivileged user, so it cannot open
 * ~/.talkrc itself.  Before the privilege drop talkd forks this small
 * process, which becomes the same unprivileged user but keeps one
 * capability, CAP_DAC_READ_SEARCH (read any file, search any directory),
 * and nothing else: no root, no sockets, no journal, not dumpable (so the
 * daemon cannot ptrace it).  It answers one question: "the ~/.talkrc of
 * user NAME", opening <home>/.talkrc with libacl's one safe opener
 * (acl_talkrc_open), which passes a descriptor back only for a regular file
 * owned by that user -- so the daemon can never be handed anyone else's
 * file.  When the daemon has given it its inotify instance, it first adds
 * the watches on that home and file that the daemon could not add itself,
 * so an edit in a private home is seen by the daemon with no request.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "acl/acl.h"
#include "talkd/talkd.h"
#include "talkd/privsep.h"

#define OP_OPEN		0	/* open user's ~/.talkrc */
#define OP_INOTIFY	1	/* take this inotify descriptor */

struct oreq {
	uint32_t seq, op;
	char user[NAME_SIZE + 1];
};

struct orep {
	uint32_t seq;
	int32_t status;			/* enum acl_src */
	int32_t err;
	int32_t wd_dir, wd_file;	/* -1: no watch */
};


static int
keep_only_dac_read_search(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	d[CAP_TO_INDEX(CAP_DAC_READ_SEARCH)].effective =
	    CAP_TO_MASK(CAP_DAC_READ_SEARCH);
	d[CAP_TO_INDEX(CAP_DAC_READ_SEARCH)].permitted =
	    CAP_TO_MASK(CAP_DAC_READ_SEARCH);
	return (int)syscall(SYS_capset, &h, d);
}

/* A message with at most one descriptor (fd -1: none). */
static int
send_fd(int chan, const void *buf, size_t len, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct msghdr mh;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		struct cmsghdr *cm;
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(chan, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* A message with at most one descriptor; *fd -1 when none came. */
static ssize_t
recv_fd(int chan, void *buf, size_t len, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, len };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	*fd = -1;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	if ((n = recvmsg(chan, &mh, MSG_CMSG_CLOEXEC)) <= 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return n;
}

static void
serve(int chan)
{
	struct pwcache *pwc = pwcache_new(1024, 30000);
	struct oreq req;
	int in = -1, got;
	ssize_t n;

	if (!pwc)
		_exit(1);
	while ((n = recv_fd(chan, &req, sizeof(req), &got)) ==
	    (ssize_t)sizeof(req)) {
		struct orep rep;
		struct acl_source src;
		const struct pwent_c *pw;
		char path[4096];

		if (req.op == OP_INOTIFY) {
			if (in >= 0)
				close(in);
			in = got;
			continue;
		}
		if (got >= 0)
			close(got);
		memset(&rep, 0, sizeof(rep));
		rep.seq = req.seq;
		rep.wd_dir = rep.wd_file = -1;
		src.fd = -1;
		req.user[NAME_SIZE] = '\0';
		pw = pwcache_get(pwc, req.user, now_ms());
		if (!pw->found || acl_talkrc_name(pw->home, path,
		    sizeof(path)) < 0) {
			rep.status = pw->found && errno == ENAMETOOLONG ?
			    ACL_SRC_UNREADABLE : ACL_SRC_NOUSER;
			rep.err = errno;
		} else {
			/* The watches first: no change after the open is lost. */
			if (in >= 0 && (rep.wd_dir = inotify_add_watch(in,
			    pw->home, WATCH_DIR_EVENTS)) >= 0)
				rep.wd_file = inotify_add_watch(in, path,
				    WATCH_FILE_EVENTS);
			rep.status = acl_talkrc_open(path, pw->uid, pw->gid,
			    &src);
			rep.err = src.errnum;
		}
		(void)send_fd(chan, &rep, sizeof(rep), src.fd);
		if (src.fd >= 0)
			close(src.fd);
	}
	_exit(0);
}

int
opener_start(const struct privsep *ps, pid_t *pidp)
{
	int sv[2];
	pid_t pid;

	*pidp = -1;
	if (geteuid() != 0)
		return -1;		/* not root: the daemon opens files itself */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		fatal("opener socketpair");
	if ((pid = fork()) < 0)
		fatal("opener fork");
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_IGN);
		if (dup2(sv[1], 3) < 0)
			_exit(1);
		closefrom(4);
		privsep_detach_std();
		if (privsep_bound_caps(CAP_DAC_READ_SEARCH) < 0 ||
		    prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
		    setgroups(0, NULL) < 0 ||
		    setresgid(ps->gid, ps->gid, ps->gid) < 0 ||
		    setresuid(ps->uid, ps->uid, ps->uid) < 0 ||
		    keep_only_dac_read_search() < 0 ||
		    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 ||
		    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(1);
		if (setuid(0) != -1 || geteuid() == 0)
			_exit(1);
		serve(3);
	}
	close(sv[1]);
	*pidp = pid;
	return sv[0];
}

int
opener_share_inotify(int chan, int in)
{
	struct oreq req;

	memset(&req, 0, sizeof(req));
	req.op = OP_INOTIFY;
	return send_fd(chan, &req, sizeof(req), in);
}

enum acl_src
opener_open(int chan, const char *user, int timeout_ms, int *fd,
    int *errnum, int *wd_dir, int *wd_file)
{
	static uint32_t seq;
	struct oreq req;
	struct orep rep;
	int64_t deadline = now_ms() + timeout_ms;

	*fd = -1;
	*errnum = 0;
	memset(&req, 0, sizeof(req));
	req.seq = ++seq;
	req.op = OP_OPEN;
	memcpy(req.user, user, strnlen(user, NAME_SIZE));
	if (send(chan, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
		goto fail;
	for (;;) {
		struct pollfd p = { chan, POLLIN, 0 };
		int64_t left = deadline - now_ms();
		int got;
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			*errnum = ETIMEDOUT;	/* e.g. a hung home mount */
			return ACL_SRC_UNREADABLE;
		}
		if ((n = recv_fd(chan, &rep, sizeof(rep), &got)) <= 0)
			goto fail;
		if (n != (ssize_t)sizeof(rep) || rep.seq != seq) {
			if (got >= 0)
				close(got);	/* a late answer to an old question */
			continue;
		}
		*fd = got;
		*errnum = rep.err;
		if (wd_dir != NULL) {
			*wd_dir = rep.wd_dir;
			*wd_file = rep.wd_file;
		}
		if (rep.status == ACL_SRC_OPENED && got < 0) {
			*errnum = EIO;
			return ACL_SRC_UNREADABLE;
		}
		return (enum acl_src)rep.status;
	}
fail:
	*errnum = errno ? errno : EIO;
	return ACL_SRC_UNREADABLE;
}
