/*
 * For the fuzz targets that hand the code under test a real file: one
 * scratch folder per process, made on first use on tmpfs (/dev/shm) when
 * there is one -- an input written to a disk file system costs a block
 * write, more than the parse it feeds -- else in $TMPDIR or /tmp, and
 * removed at exit.
 */
#ifndef FUZZ_TMP_H
#define FUZZ_TMP_H

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_tmp_dir[PATH_MAX];

static void
fuzz_tmp_remove(void)
{
	struct dirent *de;
	DIR *dp;

	if ((dp = opendir(fuzz_tmp_dir)) != NULL) {
		while ((de = readdir(dp)) != NULL)
			if (de->d_name[0] != '.')
				unlinkat(dirfd(dp), de->d_name, 0);
		closedir(dp);
	}
	rmdir(fuzz_tmp_dir);
}

/* The path of name in the scratch folder, in buf (PATH_MAX bytes). */
static const char *
fuzz_tmp_path(const char *name, char *buf)
{
	const char *base[3] = { "/dev/shm", getenv("TMPDIR"), "/tmp" };
	int i, n;

	for (i = 0; fuzz_tmp_dir[0] == '\0' && i < 3; i++) {
		if (base[i] == NULL)
			continue;
		n = snprintf(fuzz_tmp_dir, PATH_MAX, "%s/fuzz.XXXXXX", base[i]);
		if (n < 0 || n >= PATH_MAX || mkdtemp(fuzz_tmp_dir) == NULL)
			fuzz_tmp_dir[0] = '\0';
		else
			atexit(fuzz_tmp_remove);
	}
	n = snprintf(buf, PATH_MAX, "%s/%s", fuzz_tmp_dir, name);
	if (fuzz_tmp_dir[0] == '\0' || n < 0 || n >= PATH_MAX)
		abort();
	return buf;
}

/* Replace the file at path with data. */
static void
fuzz_tmp_write(const char *path, const uint8_t *data, size_t size)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
}

#endif
