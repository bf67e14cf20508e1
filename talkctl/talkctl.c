/*
 * talkctl: the talkd admin tool.  A command table after git.c: exact names,
 * no abbreviations, exit 2 on usage errors, and stdout checked on the way out
 * so that `talkctl acl show > /full/disk` fails loudly.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "talkctl/talkctl.h"

const char *talkctl_progname = "talkctl";

struct cmd {
	const char *name;
	int (*fn)(int, char **);
	const char *usage;
};

static const struct cmd cmds[] = {
	{ "acl",        cmd_acl,        "acl compile|check|show|test|diff ..." },
	{ "simulate",   cmd_simulate,   "simulate USER HOST [--caller NAME] [--policy FILE | --cache FILE] [--talkrc FILE] [--strict] [--json | -q] [--passwd FILE]" },
	{ "ingest",     cmd_ingest,     "ingest [--journal PATH] [--db PATH]" },
	{ "who-called", cmd_who_called, "who-called [USER] [--since T] [--until T] [--json] [--db PATH] [--journal PATH]" },
	{ "history",    cmd_history,    "history [USER] [--since T] [--until T] [--json] [--db PATH] [--journal PATH]" },
	{ "audit",      cmd_audit,      "audit [--since T] [--until T] [--json] [--db PATH] [--journal PATH]" },
	{ "prune",      cmd_prune,      "prune --older-than DAYS [--db PATH]" },
	{ "status",     cmd_status,     "status [--status FILE] [--db PATH] [--json]" },
	{ "--version",  cmd_version,    "--version" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: %s COMMAND [ARGS]\n", talkctl_progname);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "       %s %s\n", talkctl_progname, cmds[i].usage);
}

int
main(int argc, char **argv)
{
	size_t i;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return TC_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return TC_OK;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		fprintf(stderr, "%s: unknown command \"%s\"\n", talkctl_progname,
		    argv[1]);
		usage(stderr);
		return TC_USAGE;
	}
	rc = cmds[i].fn(argc - 1, argv + 1);
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		fprintf(stderr, "%s: write error on standard output: %s\n",
		    talkctl_progname, strerror(errno));
		return TC_USAGE;
	}
	return rc;
}
