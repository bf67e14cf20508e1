/*
 * talkctl status: what is running.  talkd rewrites a small "key=value"
 * status file (talkd(8), STATUS FILE); this reads it, checks that the
 * process it names is alive, compares the policy in force with the file
 * on disk and the journal's size with how far the database has ingested
 * it.  Nothing here needs more rights than reading those files.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/db.h"
#include "talkctl/out.h"
#include "talkctl/talkctl.h"
#include "talkd/hashfile.h"

#define STATUS_DEFAULT	"/var/lib/talkd/journal/status"
#define NKEYS		16

static const char *const keys[NKEYS] = {
	"state", "pid", "version", "started", "user", "mode", "listen",
	"state_dir", "journal", "policy", "policy_file", "policy_hash",
	"policy_loaded", "invitations", "updated", NULL
};

struct st {
	char *val[NKEYS];
};

static const char *
get(const struct st *s, const char *key)
{
	size_t i;

	for (i = 0; keys[i]; i++)
		if (strcmp(keys[i], key) == 0)
			return s->val[i] ? s->val[i] : "-";
	return "-";
}

static int
read_status(const char *path, struct st *s)
{
	char *line = NULL, *eq;
	size_t cap = 0, i;
	ssize_t n;
	FILE *f;

	memset(s, 0, sizeof(*s));
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		/*
		 * The file is the daemon's, in a folder its account can
		 * write: whatever it holds reaches a terminal as printable
		 * ASCII only.
		 */
		for (char *c = eq + 1; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				*c = '?';
		for (i = 0; keys[i]; i++)
			if (strcmp(keys[i], line) == 0 && s->val[i] == NULL)
				s->val[i] = strdup(eq + 1);
	}
	free(line);
	fclose(f);
	return 0;
}

/* The status file: --status, $TALKD_STATUS, next to $TALKD_JOURNAL. */
static char *
status_path(const char *opt)
{
	const char *j = getenv("TALKD_JOURNAL"), *e = getenv("TALKD_STATUS");
	const char *slash;
	char *p;

	if (opt)
		return strdup(opt);
	if (e && *e)
		return strdup(e);
	if (j && *j && (slash = strrchr(j, '/')) != NULL) {
		if (asprintf(&p, "%.*s/status", (int)(slash - j), j) < 0)
			return NULL;
		return p;
	}
	return strdup(STATUS_DEFAULT);
}

/* Is pid a live talkd?  EPERM from kill(2) is alive too. */
static int
alive(const char *pidstr)
{
	char path[64], comm[32] = "";
	long pid;
	char *end;
	FILE *f;
	int k;

	errno = 0;
	pid = strtol(pidstr, &end, 10);
	if (errno || *end || pid <= 0 ||
	    (kill((pid_t)pid, 0) < 0 && errno != EPERM))
		return 0;
	k = snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if (k < 0 || (size_t)k >= sizeof(path) || (f = fopen(path, "re")) ==
	    NULL)
		return 1;		/* no /proc: trust kill(2) */
	if (fgets(comm, sizeof(comm), f) == NULL)
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, "talkd", 5) == 0;
}

/* Bytes of the journal not yet in the database, or -1 (why in *why). */
static long long
ingest_lag(const char *db, const struct stat *jst, const char **why)
{
	struct db_err e;
	struct db *d = NULL;
	sqlite3_stmt *q = NULL;
	long long off = -1;

	if (db_open(db, DB_READ, &d, &e) < 0) {
		*why = access(db, F_OK) < 0 && errno == ENOENT ?
		    "no audit database yet (talkctl ingest makes it)" :
		    "the audit database is not readable";
		return -1;
	}
	if (sqlite3_prepare_v2(db_sqlite(d), "SELECT off FROM journals WHERE "
	    "dev = ?1 AND ino = ?2", -1, &q, NULL) != SQLITE_OK) {
		*why = "database has no journal table";
		goto out;
	}
	sqlite3_bind_int64(q, 1, (sqlite3_int64)jst->st_dev);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)jst->st_ino);
	off = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
out:
	sqlite3_finalize(q);
	db_close(d);
	return off < 0 ? -1 : (long long)jst->st_size - off;
}

/* "key":"value", escaped as every talkctl JSON string (out.c). */
static void
jstr(const char *k, const char *v, int last)
{
	printf("\"%s\":", k);
	tc_fput_json(stdout, v);
	if (!last)
		putchar(',');
}

int
cmd_status(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "status", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char *opt_status = NULL, *db = getenv("TALKD_DB"), *why = "";
	const char *jpath, *ppath, *hash, *state;
	char *path, disk[40] = "-", lagbuf[64];
	struct stat jst;
	struct st s;
	long long lag = -1;
	uint64_t h;
	int c, json = 0, up, rc = TC_OK, ok;
	size_t i;

	while ((c = tc_next_opt(argc, argv, "status", ":", lo)) != -1) {
		switch (c) {
		case 's': opt_status = optarg; break;
		case 'D': db = optarg; break;
		case 'j': json = 1; break;
		default: return TC_OPT_EXIT(c);
		}
	}
	if (optind != argc)
		return tc_usage_error("status", "unexpected argument",
		    argv[optind]);
	if (db == NULL || *db == '\0')
		db = DB_DEFAULT_PATH;
	if ((path = status_path(opt_status)) == NULL)
		return TC_FAIL;
	if (read_status(path, &s) < 0) {
		fprintf(stderr, "%s status: no status file %s: %s (talkd has "
		    "not run since it was installed, or runs with another "
		    "--journal or --status)\n", talkctl_progname, path,
		    strerror(errno));
		free(path);
		return TC_FAIL;
	}
	up = strcmp(get(&s, "state"), "running") == 0 &&
	    alive(get(&s, "pid"));
	state = up ? "running" : strcmp(get(&s, "state"), "running") == 0 ?
	    "dead" : "stopped";
	ppath = get(&s, "policy_file");
	hash = get(&s, "policy_hash");
	if (strcmp(ppath, "-") != 0) {
		h = hash_file(ppath, &ok);
		if (ok)
			snprintf(disk, sizeof(disk), "fnv1a64:%016" PRIx64, h);
	}
	jpath = get(&s, "journal");
	if (stat(jpath, &jst) == 0)
		lag = ingest_lag(db, &jst, &why);
	else
		why = "journal not found";
	if (lag >= 0)
		snprintf(lagbuf, sizeof(lagbuf), "%lld", lag);
	else
		snprintf(lagbuf, sizeof(lagbuf), "-");
	if (json) {
		putchar('{');
		jstr("daemon", state, 0);
		for (i = 1; keys[i]; i++)
			jstr(keys[i], get(&s, keys[i]), 0);
		jstr("policy_hash_on_disk", disk, 0);
		printf("\"journal_size\":%lld,", lag >= 0 || why[0] != 'j' ?
		    (long long)jst.st_size : -1LL);
		printf("\"ingest_lag\":%s}\n", lag >= 0 ? lagbuf : "null");
	} else {
		printf("talkd:        %s, pid %s, version %s\n", state,
		    get(&s, "pid"), get(&s, "version"));
		printf("since:        %s (last update %s)\n", get(&s,
		    "started"), get(&s, "updated"));
		printf("mode:         %s, listening on %s, as user %s\n",
		    get(&s, "mode"), get(&s, "listen"), get(&s, "user"));
		printf("policy:       %s %s\n", get(&s, "policy"), ppath);
		printf("              hash %s, loaded %s%s\n", hash,
		    get(&s, "policy_loaded"), strcmp(hash, "-") == 0 ? "" :
		    strcmp(hash, disk) == 0 ? " (the file on disk)" :
		    " (the file on disk has changed since)");
		printf("invitations:  %s live\n", get(&s, "invitations"));
		if (lag >= 0 || why[0] != 'j')
			printf("journal:      %s, %lld bytes\n", jpath,
			    (long long)jst.st_size);
		else
			printf("journal:      %s, %s\n", jpath, why);
		if (lag > 0)
			printf("ingest:       %lld bytes behind (talkctl "
			    "ingest)\n", lag);
		else if (lag == 0)
			printf("ingest:       up to date\n");
		else if (why[0] != 'j')
			printf("ingest:       unknown: %s\n", why);
	}
	if (!up)
		rc = TC_FAIL;
	for (i = 0; keys[i]; i++)
		free(s.val[i]);
	free(path);
	return rc;
}

int
cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("talkctl %s\n", TALKD_VERSION);
	return TC_OK;
}
