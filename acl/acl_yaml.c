/* placeholder until the YAML loader lands */
#include "acl/acl_int.h"

int
acl_parse_yaml(const char *name, const char *buf, size_t len,
    struct acl **out, struct acl_errs *es)
{
	(void)buf; (void)len;
	*out = NULL;
	acl_errf(es, name, 1, 1, "YAML policies are not supported yet");
	return -1;
}
