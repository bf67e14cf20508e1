/* talkctl: command table entries and shared helpers. */
#ifndef TALKCTL_H
#define TALKCTL_H

/* Each command gets argv from its own name on (argv[0] == "acl", ...). */
int cmd_acl(int argc, char **argv);		/* cmd_acl.c */
int cmd_simulate(int argc, char **argv);	/* cmd_acl.c */
int cmd_ingest(int argc, char **argv);		/* cmd_db.c */
int cmd_who_called(int argc, char **argv);	/* cmd_db.c */
int cmd_history(int argc, char **argv);		/* cmd_db.c */
int cmd_audit(int argc, char **argv);		/* cmd_db.c */
int cmd_prune(int argc, char **argv);		/* cmd_db.c */
int cmd_status(int argc, char **argv);		/* cmd_status.c */
int cmd_version(int argc, char **argv);	/* cmd_status.c */

/* Exit statuses (talkctl(8)). */
#define TC_OK    0	/* success; simulate: allowed */
#define TC_FAIL  1	/* failure; simulate: denied; check: invalid */
#define TC_USAGE 2	/* usage or input error */

extern const char *talkctl_progname;
#endif
