/*
 * Sanitizer builds only (make SANITIZE=..., linked in by the Makefile):
 * LeakSanitizer cannot inspect a set-id process (it is not dumpable) and
 * ends it with a fatal error at exit.  make install makes talkctl setgid
 * talkd, so an installed sanitizer build turns leak checking off when it
 * runs set-id, and only then; everything else stays checked.
 */
#include <unistd.h>

const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return getegid() != getgid() || geteuid() != getuid() ?
	    "detect_leaks=0" : "";
}
