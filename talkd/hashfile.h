/*
 * FNV-1a 64 of a file's bytes: the policy hash that talkd -T, the status
 * file and talkctl status show, so that an admin can tell whether the
 * policy in force is the file on disk.  Not a security checksum.
 */
#ifndef TALKD_HASHFILE_H
#define TALKD_HASHFILE_H
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

static inline uint64_t
hash_file(const char *path, int *ok)
{
	unsigned char buf[8192];
	uint64_t h = 0xcbf29ce484222325ULL;
	ssize_t n, i;
	int fd;

	*ok = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++) {
			h ^= buf[i];
			h *= 0x100000001b3ULL;
		}
	*ok = n == 0;
	close(fd);
	return h;
}
#endif
