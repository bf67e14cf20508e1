/*
 * The legacy site file for talkd -a, without format detection: this entry
 * point refers only to the legacy parser, so the daemon links libacl.a
 * without libyaml (DESIGN.md: libyaml and SQLite stay out of the daemon).
 */
#include <stdlib.h>

#include "acl/acl_int.h"

int
acl_parse_legacy_file(const char *path, struct acl **out, struct acl_err *err)
{
	struct acl_errs es = { err, NULL, NULL, 0 };
	char *buf = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if (acl_read_file(path, ACL_FILE_MAX, &buf, &len, err) < 0)
		return -1;
	rc = acl_parse_legacy(path, buf, len, out, &es);
	free(buf);
	return rc;
}
