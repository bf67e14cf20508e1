/* talkctl: command table entries and shared helpers. */
#ifndef TALKCTL_H
#define TALKCTL_H

#include <stdio.h>

/* Each command gets argv from its own name on (argv[0] == "acl", ...). */
int cmd_acl(int argc, char **argv);		/* talkctl.c: acl_cmds[] */
int cmd_acl_compile(int argc, char **argv);	/* cmd_acl.c */
int cmd_acl_check(int argc, char **argv);	/* cmd_acl.c */
int cmd_acl_show(int argc, char **argv);	/* cmd_acl.c */
int cmd_acl_test(int argc, char **argv);	/* cmd_acl.c */
int cmd_acl_diff(int argc, char **argv);	/* cmd_acl.c */
int cmd_simulate(int argc, char **argv);	/* cmd_simulate.c */
int cmd_ingest(int argc, char **argv);		/* cmd_db.c */
int cmd_who_called(int argc, char **argv);	/* cmd_db.c */
int cmd_history(int argc, char **argv);		/* cmd_db.c */
int cmd_audit(int argc, char **argv);		/* cmd_db.c */
int cmd_prune(int argc, char **argv);		/* cmd_db.c */
int cmd_export(int argc, char **argv);		/* cmd_db.c */
int cmd_status(int argc, char **argv);		/* cmd_status.c */
int cmd_version(int argc, char **argv);	/* cmd_status.c */

/* Exit statuses (talkctl(8)). */
#define TC_OK    0	/* success; simulate: allowed */
#define TC_FAIL  1	/* failure; simulate: denied; check: invalid */
#define TC_USAGE 2	/* usage or input error */

extern const char *talkctl_progname;

/*
 * The usage of a command by its full name ("simulate", "acl check"; "acl"
 * gives every acl command, NULL every command), from the command table in
 * talkctl.c, the only place usage text is kept: "usage: talkctl NAME ...".
 * tc_usage returns 0, or -1 when there is no such command.
 */
int tc_usage(FILE *f, const char *cmd);
/*
 * A usage error: "talkctl: CMD: MSG[: ARG]" (unless msg is NULL), then the
 * usage, on stderr; returns TC_USAGE.
 */
int tc_usage_error(const char *cmd, const char *msg, const char *arg);

/*
 * getopt_long, permuting (options may follow operands), for the command
 * cmd (its full name); shortopts must start with ':'.  Returns -1 at the
 * end, 'h' after printing the usage on stdout for -h or --help, and '?'
 * after reporting an error and printing the usage on stderr.
 */
struct option;
int tc_next_opt(int argc, char **argv, const char *cmd,
    const char *shortopts, const struct option *longopts);
/* The exit status for what tc_next_opt returned ('h': 0, else 2). */
#define TC_OPT_EXIT(c) ((c) == 'h' ? TC_OK : TC_USAGE)

#endif
