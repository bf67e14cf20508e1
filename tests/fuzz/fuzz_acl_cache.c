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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static uint32_t
crc32(uint32_t crc, const unsigned char *p, size_t n)
{
	int k;

	crc = ~crc;
	while (n-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? 0xedb88320u ^ (crc >> 1) : crc >> 1;
	}
	return ~crc;
}

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
	struct acl *a = NULL;
	struct acl_err e;
	uint64_t plen;
	uint32_t c;
	int i;

	if (size < 64 || (b = malloc(size)) == NULL)
		return;
	memcpy(b, data, size);
	plen = size - 64;
	for (i = 0; i < 8; i++)
		b[16 + i] = (unsigned char)(plen >> (8 * i));
	c = crc32(0, b, 24);
	c = crc32(c, b + 28, 36);
	c = crc32(c, b + 64, size - 64);
	for (i = 0; i < 4; i++)
		b[24 + i] = (unsigned char)(c >> (8 * i));
	if (acl_parse_buf("fuzz", (const char *)b, size, ACL_FMT_CACHE, &a,
	    &e) == 0) {
		fuzz_exercise(a);
		acl_free(a);
	} else if (a != NULL || e.msg[0] == '\0')
		abort();
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	load_file(data, size);
	load_resealed(data, size);
	return 0;
}
