/*
 * Naming the rule that decided: one printer and one choice of rule, so the
 * journal, talkctl who-called, simulate and acl test say the same thing.
 */
#include <stdio.h>
#include <string.h>

#include "acl/acl.h"

const struct acl_rule_ref *
acl_verdict_rule(const struct acl_verdict *v)
{
	switch (v->reason) {
	case ACL_R_USER_DENY:
	case ACL_R_USER_OVERRIDE:
	case ACL_R_INSECURE_TALKRC:
	case ACL_R_BAD_TALKRC:
	case ACL_R_UNREADABLE_TALKRC:
		return v->user;
	case ACL_R_BUDGET:		/* the rule where the budget ran out */
		return v->stop;
	case ACL_R_SITE_ALLOW:
	case ACL_R_SITE_DENY:
	case ACL_R_STRICT_DENY:
	default:
		return v->site;
	}
}

static int
fits(int k, size_t n)
{
	return k >= 0 && (size_t)k < n;
}

const char *
acl_rule_ref_str(const struct acl_rule_ref *r, char *buf, size_t n)
{
	const char *file;
	int k;

	if (n == 0)
		return "";
	if (r == NULL) {
		snprintf(buf, n, "default");
		return buf;
	}
	file = r->file != NULL && r->file[0] != '\0' ? r->file : NULL;
	if (file != NULL && r->line > 0 && r->col > 0)
		k = snprintf(buf, n, "%s:%u:%u%s%s%s", file, r->line, r->col,
		    r->id ? " [" : "", r->id ? r->id : "", r->id ? "]" : "");
	else if (file != NULL && r->line > 0)
		k = snprintf(buf, n, "%s:%u%s%s%s", file, r->line,
		    r->id ? " [" : "", r->id ? r->id : "", r->id ? "]" : "");
	else if (r->id != NULL)
		k = snprintf(buf, n, "[%s]", r->id);
	else if (file != NULL)		/* the whole file: a deny-all */
		k = snprintf(buf, n, "%s", file);
	else
		k = snprintf(buf, n, "rule");
	if (!fits(k, n) && r->id != NULL)
		(void)snprintf(buf, n, "[%s]", r->id);
	return buf;
}
