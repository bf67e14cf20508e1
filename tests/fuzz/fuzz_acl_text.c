/* libFuzzer: the legacy rule parser, then the YAML round trip. */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_acl_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_parse(data, size, ACL_FMT_LEGACY);
	return 0;
}
