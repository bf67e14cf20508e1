/* watch: inotify events raise SIGIO, seen with no system call. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "talkd/talkd.h"

static void
test_a_change_is_seen_on_return_from_the_write(void **state)
{
	char dir[] = "/tmp/talkd-watch.XXXXXX", path[64];
	char buf[4096];
	sig_atomic_t seen = 0;
	int in, fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT, 0600)) >= 0);
	assert_true((in = inotify_init1(IN_CLOEXEC)) >= 0);
	assert_true(inotify_add_watch(in, path, IN_MODIFY) >= 0);
	assert_int_equal(watch_async(in), 0);
	(void)watch_moved(&seen);
	while (read(in, buf, sizeof(buf)) > 0)
		;
	assert_int_equal(watch_moved(&seen), 0);	/* quiet: no change */

	assert_int_equal(write(fd, "x", 1), 1);
	/* No read, no poll: the handler ran when write(2) returned. */
	assert_int_equal(watch_moved(&seen), 1);
	assert_int_equal(watch_moved(&seen), 0);	/* seen once */
	assert_true(read(in, buf, sizeof(buf)) > 0);	/* the event is there */

	close(fd);
	close(in);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_change_is_seen_on_return_from_the_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
