/*
 * talkctl: the talkd admin tool.  A command table after git.c: exact names,
 * no abbreviations, exit 2 on usage errors, and stdout checked on the way out
 * so that `talkctl acl show > /full/disk` fails loudly.  The tables hold
 * each command's usage, and nothing else does: every --help, `talkctl help
 * CMD` and usage error prints it from here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "talkctl/talkctl.h"
#include "talkctl/out.h"

const char *talkctl_progname = "talkctl";

struct cmd {
	const char *name;
	int (*fn)(int, char **);
	const char *usage;	/* what follows "talkctl NAME" */
};

static int cmd_help(int, char **);

static const struct cmd acl_cmds[] = {
	{ "compile",    cmd_acl_compile,
	    "[-o cache] [--strict] [--users] [--passwd file] [source]" },
	{ "check",      cmd_acl_check,  "[-q] file ..." },
	{ "show",       cmd_acl_show,   "[cache | policy]" },
	{ "test",       cmd_acl_test,   "[policy]" },
	{ "diff",       cmd_acl_diff,   "[--from-history [--since time] "
	    "[--until time] [--db path]] [--fail-on-new-access] old new" },
};

static const struct cmd cmds[] = {
	{ "acl",        cmd_acl,        NULL },		/* acl_cmds[] */
	{ "simulate",   cmd_simulate,   "user host [--caller name] "
	    "[--policy file | --cache file] [--talkrc file] [--strict] "
	    "[--json | -q] [--passwd file]" },
	{ "ingest",     cmd_ingest,     "[--journal path | --from file ...] "
	    "[--db path]" },
	{ "who-called", cmd_who_called, "[user] [--since time] [--until time] "
	    "[--json] [--db path] [--journal path]" },
	{ "history",    cmd_history,    "[user] [--since time] [--until time] "
	    "[--json] [--db path] [--journal path]" },
	{ "audit",      cmd_audit,      "[--since time] [--until time] [--json] "
	    "[--db path] [--journal path]" },
	{ "prune",      cmd_prune,      "--older-than days [--db path] "
	    "[--journal path]" },
	{ "export",     cmd_export,     "[--since time] [--until time] "
	    "[--cursor file] [--db path] [--journal path]" },
	{ "status",     cmd_status,     "[--status file] [--db path] [--json]" },
	{ "help",       cmd_help,       "[command]" },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd *
find(const struct cmd *tab, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(tab[i].name, name) == 0)
			return &tab[i];
	return NULL;
}

/* One line per command of tab; acl stands for its own table. */
static void
put_usage(FILE *f, const char **lead, const char *prefix,
    const struct cmd *tab, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (tab[i].fn == cmd_acl) {
			put_usage(f, lead, "acl ", acl_cmds, NELEM(acl_cmds));
			continue;
		}
		fprintf(f, "%s %s %s%s %s\n", *lead, talkctl_progname, prefix,
		    tab[i].name, tab[i].usage);
		*lead = "      ";
	}
}

int
tc_usage(FILE *f, const char *cmd)
{
	const struct cmd *c = NULL;
	const char *lead = "usage:";

	if (cmd == NULL) {
		put_usage(f, &lead, "", cmds, NELEM(cmds));
		fprintf(f, "%s %s --version\n", lead, talkctl_progname);
	} else if (strncmp(cmd, "acl ", 4) == 0 &&
	    (c = find(acl_cmds, NELEM(acl_cmds), cmd + 4)) != NULL)
		put_usage(f, &lead, "acl ", c, 1);
	else if ((c = find(cmds, NELEM(cmds), cmd)) != NULL)
		put_usage(f, &lead, "", c, 1);		/* "acl": all of acl */
	else
		return -1;
	return 0;
}

int
tc_usage_error(const char *cmd, const char *msg, const char *arg)
{
	if (msg != NULL)
		tc_errx(cmd, msg, arg);
	tc_usage(stderr, cmd);
	return TC_USAGE;
}

int
tc_next_opt(int argc, char **argv, const char *cmd, const char *shortopts,
    const struct option *longopts)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	const char *arg;
	int c;

	if (longopts == NULL)	/* else "--help" is read as "-", "-h", ... */
		longopts = none;
	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c == 'h' || (c == '?' && (optopt == 'h' ||
	    strcmp(argv[optind - 1], "--help") == 0))) {
		tc_usage(stdout, cmd);
		return 'h';
	}
	if (c == ':' || c == '?') {
		char opt[3] = { '-', (char)optopt, '\0' };

		/* An unknown short option may sit inside "-qx": name it. */
		arg = c == '?' && optopt != 0 ? opt : argv[optind - 1];
		tc_usage_error(cmd, c == ':' ? "missing argument for" :
		    "unknown option", arg);
		return '?';
	}
	return c;
}

static int
is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/* [help] [NAME ...]: the usage of "PREFIX NAME ..." on stdout. */
static int
help(int argc, char **argv, const char *prefix)
{
	char name[128];
	size_t len;
	int i, n;

	n = snprintf(name, sizeof(name), "%s", prefix);
	for (i = 0; i < argc && n >= 0 && (size_t)n < sizeof(name); i++) {
		len = (size_t)n;
		n = snprintf(name + len, sizeof(name) - len, "%s%s",
		    len > 0 ? " " : "", argv[i]);
		n = n < 0 ? n : n + (int)len;	/* the length of the whole */
	}
	if (n < 0 || (size_t)n >= sizeof(name) ||
	    tc_usage(stdout, name[0] != '\0' ? name : NULL) == -1)
		return tc_usage_error(prefix[0] != '\0' ? prefix : NULL,
		    "no such command", n < 0 ? "" : name);
	return TC_OK;
}

/*
 * Run argv[1] from tab (argv[0] is the command the table belongs to, named
 * prefix: "" or "acl").  -h, --help and help [NAME ...] print usage.
 */
static int
dispatch(const struct cmd *tab, size_t n, const char *prefix, int argc,
    char **argv)
{
	const struct cmd *c;
	const char *what = prefix[0] != '\0' ? prefix : NULL;

	if (argc < 2)
		return tc_usage_error(what, NULL, NULL);
	if (is_help(argv[1]))
		return help(0, NULL, prefix);
	if (prefix[0] != '\0' && strcmp(argv[1], "help") == 0)
		return help(argc - 2, argv + 2, prefix);	/* acl help ... */
	if ((c = find(tab, n, argv[1])) == NULL)
		return tc_usage_error(what, "unknown command", argv[1]);
	optind = 0;	/* glibc: full re-initialisation */
	return c->fn(argc - 1, argv + 1);
}

static int
cmd_help(int argc, char **argv)
{
	if (argc > 1 && is_help(argv[1]))
		return help(1, argv, "");		/* help --help */
	return help(argc - 1, argv + 1, "");
}

int
cmd_acl(int argc, char **argv)
{
	return dispatch(acl_cmds, NELEM(acl_cmds), "acl", argc, argv);
}

/*
 * Installed setgid talkd (talkctl(8), PRIVILEGES), talkctl keeps the group
 * only for the commands that read the audit trail at its fixed paths and
 * only about the user who runs them (who-called, history; parse_opts
 * refuses other paths when set-id).  Every other command opens files a
 * user names (a policy, a .talkrc draft, a status file, a database), so
 * it gives the group up for good before it reads its arguments: it can
 * read nothing its user could not.
 */
static void
drop_setid_unless_audit(const char *cmd)
{
	uid_t u = getuid();
	gid_t g = getgid();

	if (getegid() == g && geteuid() == u)
		return;
	if (cmd != NULL && (strcmp(cmd, "who-called") == 0 ||
	    strcmp(cmd, "history") == 0))
		return;
	if (setresgid(g, g, g) < 0 || setresuid(u, u, u) < 0 ||
	    getegid() != g || geteuid() != u) {
		fprintf(stderr, "%s: cannot give up the set-id rights: %s\n",
		    talkctl_progname, strerror(errno));
		exit(TC_FAIL);
	}
}

int
main(int argc, char **argv)
{
	int rc;

	drop_setid_unless_audit(argc > 1 ? argv[1] : NULL);

	if (argc == 2 && strcmp(argv[1], "--version") == 0)
		rc = cmd_version(argc - 1, argv + 1);
	else
		rc = dispatch(cmds, NELEM(cmds), "", argc, argv);
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		fprintf(stderr, "%s: write error on standard output: %s\n",
		    talkctl_progname, strerror(errno));
		return TC_USAGE;
	}
	return rc;
}
