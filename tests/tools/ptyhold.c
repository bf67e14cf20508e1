/*
 * ptyhold: hold a real pty for a test user and register it in a utmp file.
 *
 *   ptyhold -u USER -U UTMP -o OUT [-m MODE] [-s] [-a SECONDS_AGO]
 *
 * Opens a pty, gives the slave to USER (group tty, MODE default 0620, i.e.
 * mesg y), appends a USER_PROCESS record for it to UTMP, prints the line
 * ("pts/N") on stdout, then copies everything written to the tty into OUT
 * until SIGTERM.  -s stops the tty's output (as Ctrl-S does) and never
 * reads, so writes to it fill its buffer and would block.  -a sets the
 * tty's atime that many seconds in the past (tty choice uses atime).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pty.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <utmp.h>

static volatile sig_atomic_t done;

static void
on_term(int sig)
{
	(void)sig;
	done = 1;
}

int
main(int argc, char **argv)
{
	const char *user = NULL, *utmp = NULL, *out = NULL;
	int master, slave, c, stop = 0, ofd;
	long ago = 0;
	mode_t mode = 0620;
	char name[64];
	struct passwd *pw;
	struct group *gr;
	struct utmp u;
	struct termios tio;
	struct sigaction sa;

	while ((c = getopt(argc, argv, "u:U:o:m:sa:")) != -1) {
		switch (c) {
		case 'u': user = optarg; break;
		case 'U': utmp = optarg; break;
		case 'o': out = optarg; break;
		case 'm': mode = (mode_t)strtol(optarg, NULL, 8); break;
		case 's': stop = 1; break;
		case 'a': ago = strtol(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (!user || !utmp || !out || !(pw = getpwnam(user)) ||
	    !(gr = getgrnam("tty"))) {
		fprintf(stderr, "usage: ptyhold -u USER -U UTMP -o OUT [-m MODE] [-s] [-a SECS]\n");
		return 2;
	}
	cfmakeraw(&tio);
	if (openpty(&master, &slave, name, &tio, NULL) < 0) {
		perror("openpty");
		return 1;
	}
	if (fchown(slave, pw->pw_uid, gr->gr_gid) < 0 || fchmod(slave, mode) < 0) {
		perror("chown pty");
		return 1;
	}
	if (ago > 0) {
		struct timespec ts[2];
		clock_gettime(CLOCK_REALTIME, &ts[0]);
		ts[0].tv_sec -= ago;
		ts[1].tv_nsec = UTIME_OMIT;
		futimens(slave, ts);
	}
	memset(&u, 0, sizeof(u));
	u.ut_type = USER_PROCESS;
	u.ut_pid = getpid();
	if (strlen(name) - strlen("/dev/") >= sizeof(u.ut_line) ||
	    strlen(user) >= sizeof(u.ut_user))
		return 1;
	memcpy(u.ut_line, name + strlen("/dev/"), strlen(name) - strlen("/dev/"));
	memcpy(u.ut_id, name + strlen(name) - 3, 3);
	memcpy(u.ut_user, user, strlen(user));
	u.ut_tv.tv_sec = (int32_t)time(NULL);
	{
		int uf = open(utmp, O_WRONLY | O_APPEND | O_CREAT, 0644);
		if (uf < 0 || write(uf, &u, sizeof(u)) != (ssize_t)sizeof(u)) {
			perror(utmp);
			return 1;
		}
		close(uf);
	}
	if ((ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		perror(out);
		return 1;
	}
	if (stop && tcflow(slave, TCOOFF) < 0) {
		perror("tcflow");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("%s\n", name + strlen("/dev/"));
	fflush(stdout);
	while (!done) {
		char buf[4096];
		ssize_t n;
		if (stop) {
			pause();
			continue;
		}
		n = read(master, buf, sizeof(buf));
		if (n > 0) {
			if (write(ofd, buf, (size_t)n) != n)
				return 1;
		} else if (n < 0 && errno != EINTR)
			break;
	}
	return 0;
}
