#ifndef TALKD_PRIVSEP_H
#define TALKD_PRIVSEP_H
#include <sys/types.h>
struct privsep {
	uid_t uid;
	gid_t gid;
	char name[64];
};
/* NULL user: "talkd" if it exists, else "nobody".  Never root. */
int  privsep_resolve(const char *user, struct privsep *);
/* When root: setgroups(tty), setresgid, setresuid, verify, no_new_privs. */
void privsep_drop(const struct privsep *);

/* ---- opener.c: ~/.talkrc through a CAP_DAC_READ_SEARCH-only process ---- */
enum opener_status {
	OPENER_OPENED = 0,	/* *fd: the user's own regular file */
	OPENER_NOUSER,		/* no such account */
	OPENER_ABSENT,		/* no ~/.talkrc */
	OPENER_INSECURE,	/* a symlink, or not a regular file of the user's */
	OPENER_ERROR,		/* errno says why */
	OPENER_TIMEOUT		/* no answer in time (e.g. a hung home mount) */
};
/* Fork the opener (only when root); returns its channel or -1. */
int opener_start(const struct privsep *, pid_t *pid);
enum opener_status opener_open(int chan, const char *user, int timeout_ms,
	    int *fd, uid_t *uid, gid_t *gid);

#endif
