/* talkctl ingest, who-called, history, audit, prune (placeholder until libdb lands). */
#include <stdio.h>
#include "talkctl/talkctl.h"

static int
notyet(const char *what)
{
	fprintf(stderr, "%s: %s: not built in this version\n", talkctl_progname, what);
	return TC_USAGE;
}

int cmd_ingest(int argc, char **argv) { (void)argc; return notyet(argv[0]); }
int cmd_who_called(int argc, char **argv) { (void)argc; return notyet(argv[0]); }
int cmd_history(int argc, char **argv) { (void)argc; return notyet(argv[0]); }
int cmd_audit(int argc, char **argv) { (void)argc; return notyet(argv[0]); }
int cmd_prune(int argc, char **argv) { (void)argc; return notyet(argv[0]); }
