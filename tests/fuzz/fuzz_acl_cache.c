/*
 * libFuzzer: the cache loader.  Each input is loaded twice: as a file
 * through acl_cache_open, and -- with the header's size and CRC fixed up
 * so the checksum does not stop it -- through the payload decoder.
 */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_acl_common.h"
#include "tests/fuzz/fuzz_tmp.h"
#include "acl/acl_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[PATH_MAX];

static void
load_file(const uint8_t *data, size_t size)
{
	struct acl *a = NULL;
	struct acl_err e;

	if (path[0] == '\0')
		fuzz_tmp_path("cache", path);
	fuzz_tmp_write(path, data, size);
	if (acl_cache_open(path, &a, &e) == 0) {
		fuzz_exercise(a);
		acl_free(a);
	} else if (a != NULL || e.msg[0] == '\0')
		abort();
}

static void
load_resealed(const uint8_t *data, size_t size)
{
	unsigned char *b;

	if (size < 64 || (b = malloc(size)) == NULL)
		return;
	memcpy(b, data, size);
	acl_cache_seal(b, size);
	fuzz_parse(b, size, ACL_FMT_CACHE);
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	load_file(data, size);
	load_resealed(data, size);
	return 0;
}
