/* libFuzzer: the YAML policy loader, then the write/read round trip. */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_acl_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acl *a = NULL;
	struct acl_err e;

	if (acl_parse_buf("fuzz", (const char *)data, size, ACL_FMT_YAML, &a,
	    &e) == 0) {
		fuzz_exercise(a);
		acl_free(a);
	} else if (a != NULL || e.msg[0] == '\0')
		abort();
	return 0;
}
