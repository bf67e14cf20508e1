/*
 * The ~/.talkrc opener.  Users' home directories may be private (0700,
 * 0750), and the daemon runs as an unprivileged user, so it cannot open
 * ~/.talkrc itself.  Before the privilege drop talkd forks this small
 * process, which becomes the same unprivileged user but keeps one
 * capability, CAP_DAC_READ_SEARCH (read any file, search any directory),
 * and nothing else: no root, no sockets, no journal, not dumpable (so the
 * daemon cannot ptrace it).  It answers one question: "the ~/.talkrc of
 * user NAME", opening <home>/.talkrc with O_NOFOLLOW|O_NONBLOCK, checking
 * the descriptor, and passing it back only when it is a regular file owned
 * by that user -- so the daemon can never be handed anyone else's file.
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "talkd/talkd.h"
#include "talkd/privsep.h"

struct oreq {
	uint32_t seq;
	char user[NAME_SIZE + 1];
};

struct orep {
	uint32_t seq;
	int32_t status;			/* enum opener_status */
	int32_t err;
	uint32_t uid, gid;
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

static void
send_rep(int chan, const struct orep *rep, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)(uintptr_t)rep, sizeof(*rep) };
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
	(void)sendmsg(chan, &mh, MSG_NOSIGNAL);
}

static void
serve(int chan)
{
	struct pwcache *pwc = pwcache_new(1024, 30000);
	struct oreq req;
	ssize_t n;

	if (!pwc)
		_exit(1);
	while ((n = recv(chan, &req, sizeof(req), 0)) == (ssize_t)sizeof(req)) {
		struct orep rep;
		const struct pwent_c *pw;
		struct stat st;
		char path[4096];
		int fd = -1;

		memset(&rep, 0, sizeof(rep));
		rep.seq = req.seq;
		req.user[NAME_SIZE] = '\0';
		pw = pwcache_get(pwc, req.user, now_ms());
		if (!pw->found || pw->home[0] != '/') {
			rep.status = OPENER_NOUSER;
		} else if (snprintf(path, sizeof(path), "%s/.talkrc",
		    pw->home) >= (int)sizeof(path)) {
			rep.status = OPENER_ERROR;
			rep.err = ENAMETOOLONG;
		} else if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_NOCTTY | O_CLOEXEC)) < 0) {
			rep.err = errno;
			rep.status = errno == ENOENT || errno == ENOTDIR ?
			    OPENER_ABSENT : errno == ELOOP ? OPENER_INSECURE :
			    OPENER_ERROR;
		} else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_uid != pw->uid) {
			/* Never hand over a file that is not the user's own. */
			rep.status = OPENER_INSECURE;
			close(fd);
			fd = -1;
		} else
			rep.status = OPENER_OPENED;
		if (pw->found) {
			rep.uid = pw->uid;
			rep.gid = pw->gid;
		}
		send_rep(chan, &rep, fd);
		if (fd >= 0)
			close(fd);
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
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
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

enum opener_status
opener_open(int chan, const char *user, int timeout_ms, int *fd,
    uid_t *uid, gid_t *gid)
{
	static uint32_t seq;
	struct oreq req;
	struct orep rep;
	char cbuf[CMSG_SPACE(sizeof(int))];
	int64_t deadline = now_ms() + timeout_ms;

	*fd = -1;
	memset(&req, 0, sizeof(req));
	req.seq = ++seq;
	memcpy(req.user, user, strnlen(user, NAME_SIZE));
	if (send(chan, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
		return OPENER_ERROR;
	for (;;) {
		struct pollfd p = { chan, POLLIN, 0 };
		struct iovec iov = { &rep, sizeof(rep) };
		struct msghdr mh;
		struct cmsghdr *cm;
		int64_t left = deadline - now_ms();
		int got = -1;
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return OPENER_TIMEOUT;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		if ((n = recvmsg(chan, &mh, MSG_CMSG_CLOEXEC)) <= 0)
			return OPENER_ERROR;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SCM_RIGHTS)
				memcpy(&got, CMSG_DATA(cm), sizeof(int));
		if (n != (ssize_t)sizeof(rep) || rep.seq != seq) {
			if (got >= 0)
				close(got);	/* a late answer to an old question */
			continue;
		}
		*fd = got;
		*uid = rep.uid;
		*gid = rep.gid;
		errno = rep.err;
		return (enum opener_status)rep.status;
	}
}
