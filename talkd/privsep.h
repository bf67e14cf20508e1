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
#endif
