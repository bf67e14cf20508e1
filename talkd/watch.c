/*
 * Change detection that costs nothing per request.
 *
 * A module that must notice a change (the journal rotated, the passwd file
 * or a ~/.talkrc edited, a new policy cache) keeps an inotify descriptor and
 * hands it to watch_async().  From then on every event queued on it raises
 * SIGIO, whose handler only bumps watch_gen.  Before it relies on what it
 * cached, the module calls watch_moved(&seen): one load and compare, no
 * system call.  Only when the counter moved does it read its descriptor.
 *
 * Why the order holds: the kernel queues the inotify event, and makes SIGIO
 * pending, inside the system call that changed the file.  A request that
 * arrives after that change is read by a system call that returns after the
 * signal is pending, and the kernel runs the handler on that very return.
 * So a change made before a request was sent is seen by that request.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "talkd/talkd.h"

volatile sig_atomic_t watch_gen;

static void
on_sigio(int sig)
{
	(void)sig;
	watch_gen++;
}

int
watch_async(int fd)
{
	static int installed;
	struct sigaction sa;
	int fl;

	if (!installed) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigio;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART;
		if (sigaction(SIGIO, &sa, NULL) < 0)
			return -1;
		installed = 1;
	}
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETOWN, getpid()) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_ASYNC | O_NONBLOCK) < 0)
		return -1;
	/* An event queued before O_ASYNC was set raised no signal. */
	watch_gen++;
	return 0;
}

int
watch_moved(sig_atomic_t *seen)
{
	sig_atomic_t g = watch_gen;

	if (g == *seen)
		return 0;
	*seen = g;		/* before the caller drains: no event is missed */
	return 1;
}
