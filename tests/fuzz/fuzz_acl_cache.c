/*
 * libFuzzer: the cache loader.  Each input is loaded twice: as a file
 * through acl_cache_open, and -- with the header's size and CRC fixed up
 * so the checksum does not stop it -- through the payload decoder.
 */
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_acl_common.h"
#include "acl/acl_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void
load_file(const uint8_t *data, size_t size)
{
	struct acl *a = NULL;
	struct acl_err e;
	int fd;

	if (path[0] == '\0') {
		memcpy(path, "/tmp/fuzz_acl_cache.XXXXXX", 27);
		fd = mkstemp(path);
	} else
		fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
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
