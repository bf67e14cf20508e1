/* Unit tests for talkctl/tc_acl.c: rule references, addresses, stamps. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "talkctl/tc_acl.h"

const char *talkctl_progname = "talkctl";	/* defined in talkctl.c */

static void
test_ip4(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(tc_ip4(0xc0a80114u, buf, sizeof(buf)),
	    "192.168.1.20");
	assert_string_equal(tc_ip4(0xffffffffu, buf, sizeof(buf)),
	    "255.255.255.255");
	assert_string_equal(tc_ip4(0, buf, 4), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
