/*
 * Access control for the daemon (SPEC.md 4).  Without a configured policy
 * the embedded default applies: every request is allowed.
 */
#include <string.h>

#include "talkd/talkd.h"

void
policy_decide(struct policy *p, const char *callee, const char *caller,
    uint32_t addr, struct decision *d)
{
	(void)p; (void)callee; (void)caller; (void)addr;
	memset(d, 0, sizeof(*d));
	d->allow = 1;
	d->reason = "site-allow";
	memcpy(d->rule, "default", sizeof("default"));
}
