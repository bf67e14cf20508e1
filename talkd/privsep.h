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
/* Drop every capability from the bounding set but keep (-1: none). */
int  privsep_bound_caps(int keep);
/* In a helper: standard descriptors that are sockets become /dev/null. */
void privsep_detach_std(void);

/* ---- opener.c: ~/.talkrc through a CAP_DAC_READ_SEARCH-only process ---- */
#include "acl/acl.h"
/* Fork the opener (only when root); returns its channel or -1. */
int opener_start(const struct privsep *, pid_t *pid);
/*
 * The opener's acl_talkrc_open of user's ~/.talkrc (*fd when opened).  A
 * lost or late answer is ACL_SRC_UNREADABLE (ETIMEDOUT, e.g. a hung home
 * mount).  wd_dir (may be NULL) and wd_file receive the watches the opener
 * added on the home and the file (-1: none) on the shared inotify instance.
 */
enum acl_src opener_open(int chan, const char *user, int timeout_ms,
	    int *fd, int *errnum, int *wd_dir, int *wd_file);
/*
 * The watches the daemon and the opener add on a home and its ~/.talkrc.
 * A folder: names that come and go (an editor's rename, a file that
 * appears or is removed) and its own mode; what is written to a file is
 * the file watch's, so a busy folder (a shell history) costs nothing.
 */
#include <sys/inotify.h>
#define WATCH_DIR_EVENTS	(IN_CREATE | IN_DELETE | IN_MOVED_FROM | \
	    IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define WATCH_FILE_EVENTS	(IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | \
	    IN_DELETE_SELF | IN_MOVE_SELF | IN_DONT_FOLLOW)
/* Hand the opener an inotify descriptor to add its watches to. */
int opener_share_inotify(int chan, int in);

#endif
