/*
 * Privilege drop: after the sockets are bound and the files opened, become
 * an unprivileged user in group tty (which opens group-writable ttys) and
 * prove that root cannot be had back (OpenSSH permanently_set_uid).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "talkd/talkd.h"
#include "talkd/privsep.h"

int
privsep_resolve(const char *user, struct privsep *ps)
{
	struct passwd *pw = NULL;
	struct group *gr;

	memset(ps, 0, sizeof(*ps));
	if (user)
		pw = getpwnam(user);
	else if ((pw = getpwnam("talkd")) == NULL)
		pw = getpwnam("nobody");
	if (pw == NULL) {
		log_warnx("no such user: %s", user ? user : "talkd or nobody");
		return -1;
	}
	if (pw->pw_uid == 0) {
		log_warnx("refusing to run as %s: talkd never keeps root",
		    pw->pw_name);
		return -1;
	}
	if ((gr = getgrnam("tty")) == NULL) {
		log_warnx("no group tty");
		return -1;
	}
	ps->uid = pw->pw_uid;
	ps->gid = gr->gr_gid;
	if (strlen(pw->pw_name) >= sizeof(ps->name))
		return -1;
	memcpy(ps->name, pw->pw_name, strlen(pw->pw_name) + 1);
	return 0;
}

void
privsep_drop(const struct privsep *ps)
{
	if (geteuid() != 0) {
		log_info("not started as root: running as uid %u",
		    (unsigned)geteuid());
		return;
	}
	if (privsep_bound_caps(-1) < 0)
		fatal("prctl(PR_CAPBSET_DROP)");
	if (setgroups(1, &ps->gid) < 0)
		fatal("setgroups");
	if (setresgid(ps->gid, ps->gid, ps->gid) < 0)
		fatal("setresgid");
	if (setresuid(ps->uid, ps->uid, ps->uid) < 0)
		fatal("setresuid");
	/* Prove it: none of these may work any more. */
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1 ||
	    getuid() == 0 || geteuid() == 0)
		fatalx("privileges could be regained; refusing to run");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
	log_info("running as %s (uid %u) in group tty", ps->name,
	    (unsigned)ps->uid);
}

/*
 * Empty the capability bounding set but for keep (-1: none), while root:
 * no later exec, whatever its file capabilities, can bring one back.
 */
int
privsep_bound_caps(int keep)
{
	int cap;

	for (cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (cap != keep && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
		    errno != EINVAL)
			return -1;
	return 0;
}

/*
 * In a helper process (the opener, the resolver): standard input, output
 * and error that are sockets (inetd's and xinetd's socket on fds 0 and 1)
 * become /dev/null, so that the helper cannot read or answer requests.
 */
void
privsep_detach_std(void)
{
	int fd, null = -1, type;
	socklen_t len;

	for (fd = 0; fd <= 2; fd++) {
		len = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
			continue;		/* not a socket */
		if (null < 0 && (null = open("/dev/null", O_RDWR |
		    O_CLOEXEC)) < 0)
			_exit(1);
		if (dup2(null, fd) < 0)
			_exit(1);
	}
	if (null > 2)
		close(null);
}
