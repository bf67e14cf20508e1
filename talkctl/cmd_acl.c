/* talkctl acl ... and talkctl simulate (placeholder until libacl lands). */
#include <stdio.h>
#include "talkctl/talkctl.h"

int
cmd_acl(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "%s: acl: not built in this version\n", talkctl_progname);
	return TC_USAGE;
}

int
cmd_simulate(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "%s: simulate: not built in this version\n", talkctl_progname);
	return TC_USAGE;
}
