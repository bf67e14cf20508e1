/*
 * talkctl acl compile|check|show|test|diff: build, validate, print, test
 * and compare talkd access policies (talkctl(8), talkd.acl(5)).
 * talkctl simulate is in cmd_simulate.c.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <time.h>

#include "acl/acl.h"
#include "db/db.h"
#include "talkctl/talkctl.h"
#include "talkctl/tc_acl.h"

/* A command without options: -1 to go on, else the exit status. */
static int
no_opts(int argc, char **argv, const char *cmd)
{
	int c;

	if ((c = tc_next_opt(argc, argv, cmd, ":", NULL)) == -1)
		return -1;
	return TC_OPT_EXIT(c);
}

/* Load a policy operand; errors are reported; returns an exit status. */
static int
load_or_report(const char *path, struct acl **out)
{
	struct acl_err err;

	return tc_load_policy(path, out, &err);
}

/* ---- compile --------------------------------------------------------------- */

struct users_stats {
	size_t files, denyall, skipped;
};

static int
compile_one_user(struct acl *policy, const struct passwd *pw,
    struct users_stats *st)
{
	struct acl *set = NULL;
	struct acl_stamp stamp;
	struct acl_err err;
	const char *why_s;
	char path[4096];
	int n, why;

	if (pw->pw_dir == NULL || pw->pw_dir[0] != '/')
		return 0;
	if (acl_policy_talkrc(policy, pw->pw_name, NULL) != NULL) {
		/* getpwnam(3), and so talkd, finds the first entry. */
		fprintf(stderr, "%s: warning: account \"", talkctl_progname);
		tc_fput_esc(stderr, pw->pw_name);
		fprintf(stderr, "\" is listed again; its first entry is used\n");
		return 0;
	}
	n = snprintf(path, sizeof(path), "%s%s.talkrc", pw->pw_dir,
	    pw->pw_dir[strlen(pw->pw_dir) - 1] == '/' ? "" : "/");
	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	memset(&err, 0, sizeof(err));
	memset(&stamp, 0, sizeof(stamp));
	if (acl_talkrc_path(path, pw->pw_uid, pw->pw_gid, &set, &stamp,
	    &err) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		why_s = err.msg[0] != '\0' ? err.msg : strerror(errno);
		fprintf(stderr, "%s: ", talkctl_progname);
		tc_fput_esc(stderr, path);
		fputs(": warning: ", stderr);
		tc_fput_esc(stderr, why_s);
		fputs("; not compiled (talkd reads it itself)\n", stderr);
		st->skipped++;
		return 0;
	}
	why = acl_denyall_reason(set);
	if (why != -1) {
		if (err.file[0] == '\0') {
			n = snprintf(err.file, sizeof(err.file), "%s", path);
			if (n < 0 || (size_t)n >= sizeof(err.file))
				err.file[0] = '\0';
		}
		if (err.msg[0] == '\0') {
			n = snprintf(err.msg, sizeof(err.msg), "%s",
			    why == ACL_R_INSECURE_TALKRC ? "insecure file "
			    "(must be a regular file owned by the user and the "
			    "user's group, not group- or world-writable)" :
			    "does not parse");
			if (n < 0 || (size_t)n >= sizeof(err.msg))
				err.msg[0] = '\0';
		}
		fprintf(stderr, "%s: ", talkctl_progname);
		tc_print_warn(stderr, &err, why == ACL_R_BAD_TALKRC ?
		    "; compiled as deny-all" : NULL);
		st->denyall++;
	}
	memset(&err, 0, sizeof(err));
	if (acl_policy_add_talkrc(policy, pw->pw_name, set, &stamp,
	    &err) == -1) {
		tc_print_err(stderr, &err, path);
		return -1;
	}
	st->files++;
	return 0;
}

static int
compile_users(struct acl *policy, const char *passwd_file,
    struct users_stats *st)
{
	struct passwd *pw;
	FILE *fp = NULL;
	int rc = 0;

	if (passwd_file != NULL) {
		if ((fp = fopen(passwd_file, "re")) == NULL) {
			tc_errx(NULL, passwd_file, strerror(errno));
			return TC_USAGE;
		}
	} else
		setpwent();
	for (;;) {
		errno = 0;
		pw = fp != NULL ? fgetpwent(fp) : getpwent();
		if (pw == NULL)
			break;
		if (compile_one_user(policy, pw, st) == -1) {
			rc = TC_FAIL;
			break;
		}
	}
	if (fp != NULL)
		fclose(fp);
	else
		endpwent();
	return rc;
}


/*
 * The cache's folder does not exist (a fresh machine where nothing made
 * /var/lib/talkd): say who makes it rather than leave ENOENT alone.
 */
static void
missing_folder_hint(const char *out)
{
	const char *slash = strrchr(out, '/');
	struct stat st;
	char dir[PATH_MAX];
	int n;

	if (slash == NULL || slash == out)
		return;
	n = snprintf(dir, sizeof(dir), "%.*s", (int)(slash - out), out);
	if (n < 0 || (size_t)n >= sizeof(dir) ||
	    stat(dir, &st) == 0 || errno != ENOENT)
		return;
	fprintf(stderr, "%s: acl compile: no folder ", talkctl_progname);
	tc_fput_esc(stderr, dir);
	fprintf(stderr, ": make install or the talkd package creates "
	    "/var/lib/talkd (root's, group talkd, mode 2755); or use -o\n");
}

int
cmd_acl_compile(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "strict", no_argument,       NULL, 'S' },
		{ "users",  no_argument,       NULL, 'u' },
		{ "passwd", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct users_stats st = { 0, 0, 0 };
	struct acl *policy = NULL;
	struct acl_err err;
	const char *out = NULL, *passwd_file = NULL, *src = NULL;
	int c, strict = 0, users = 0, rc;

	while ((c = tc_next_opt(argc, argv, "acl compile", ":o:",
	    longopts)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'S': strict = 1; break;
		case 'u': users = 1; break;
		case 'p': passwd_file = optarg; users = 1; break;
		default: return TC_OPT_EXIT(c);
		}
	}
	if (argc - optind > 1)
		return tc_usage_error("acl compile", "too many arguments",
		    argv[optind + 1]);
	if (argc - optind == 1)
		src = argv[optind];
	if (out == NULL)
		out = tc_default_cache();

	if (src != NULL) {
		if (tc_is_cache(src) == 1) {
			tc_errx(NULL, src, "is a compiled cache; compile from "
			    "the YAML or legacy source");
			return TC_USAGE;
		}
		if ((rc = load_or_report(src, &policy)) != TC_OK)
			return rc;
	} else if (acl_policy_new(&policy, &err) == -1) {
		tc_print_err(stderr, &err, "(empty policy)");
		return TC_FAIL;
	}
	if (strict)
		acl_policy_set_strict(policy, 1);
	if (users && (rc = compile_users(policy, passwd_file, &st)) != 0)
		goto out;
	if (acl_cache_write(policy, out, &err) == -1) {
		tc_print_err(stderr, &err, out);
		missing_folder_hint(out);
		rc = TC_FAIL;
		goto out;
	}
	printf("wrote ");
	tc_fput_esc(stdout, out);
	printf(": ");
	if (src != NULL)
		tc_fput_esc(stdout, src);
	else
		printf("empty policy");
	printf("%s", acl_policy_strict(policy) ? ", strict" : "");
	if (users)
		printf(", %zu ~/.talkrc file%s (%zu deny-all, %zu unreadable)",
		    st.files, st.files == 1 ? "" : "s", st.denyall, st.skipped);
	printf("\n");
	rc = TC_OK;
out:
	acl_free(policy);
	return rc;
}

/* ---- check ------------------------------------------------------------------- */

static void
lint_cb(void *ctx, const struct acl_err *w)
{
	const char *file = ctx;
	struct acl_err copy = *w;
	int n;

	if (copy.file[0] == '\0') {
		n = snprintf(copy.file, sizeof(copy.file), "%s", file);
		if (n < 0 || (size_t)n >= sizeof(copy.file))
			copy.file[0] = '\0';
	}
	tc_print_warn(stderr, &copy, NULL);
}

/*
 * A file named .talkrc is also opened as talkd opens it, for the owner of
 * the folder it is in: an insecure one would deny every caller, so it
 * fails the check even though its rules are fine.
 */
static int
check_talkrc_security(const char *path)
{
	const char *base = strrchr(path, '/');
	struct acl *set = NULL;
	struct acl_err err;
	struct passwd *pw;
	struct stat st;
	char dir[4096];
	int n, rc = TC_OK;

	base = base != NULL ? base + 1 : path;
	if (strcmp(base, ".talkrc") != 0)
		return TC_OK;
	n = snprintf(dir, sizeof(dir), "%.*s/.", (int)(base - path), path);
	if (n < 0 || (size_t)n >= sizeof(dir) || stat(base == path ? "." :
	    dir, &st) == -1 || (pw = getpwuid(st.st_uid)) == NULL)
		return TC_OK;
	memset(&err, 0, sizeof(err));
	if (acl_talkrc_path(path, pw->pw_uid, pw->pw_gid, &set, NULL,
	    &err) == 0 && acl_denyall_reason(set) == ACL_R_INSECURE_TALKRC) {
		fprintf(stderr, "%s: ", talkctl_progname);
		tc_fput_esc(stderr, path);
		fprintf(stderr, ": ");
		tc_fput_esc(stderr, err.msg[0] != '\0' ? err.msg :
		    "insecure; talkd denies every caller");
		fprintf(stderr, " (checked as user ");
		tc_fput_esc(stderr, pw->pw_name);
		fprintf(stderr, ", the owner of its folder)\n");
		rc = TC_FAIL;
	}
	acl_free(set);
	return rc;
}

int
cmd_acl_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 }
	};
	struct acl *policy;
	int c, i, rc = TC_OK, r, quiet = 0;

	while ((c = tc_next_opt(argc, argv, "acl check", ":q", longopts)) !=
	    -1) {
		if (c != 'q')
			return TC_OPT_EXIT(c);
		quiet = 1;
	}
	if (optind >= argc)
		return tc_usage_error("acl check", "no file given", NULL);
	for (i = optind; i < argc; i++) {
		policy = NULL;
		r = load_or_report(argv[i], &policy);
		if (r == TC_OK) {
			acl_lint(policy, lint_cb, argv[i]);
			r = check_talkrc_security(argv[i]);
		}
		if (r == TC_OK) {
			if (!quiet) {
				tc_fput_esc(stdout, argv[i]);
				printf(": OK\n");
			}
		}
		acl_free(policy);
		if (r > rc)
			rc = r;
	}
	return rc;
}

/* ---- show -------------------------------------------------------------------- */

/*
 * The one optional operand of show and test (after no_opts): a policy,
 * default the cache.
 */
static int
load_operand(int argc, char **argv, const char *cmd, struct acl **policy,
    const char **path)
{
	if (argc - optind > 1)
		return tc_usage_error(cmd, "too many arguments", argv[optind + 1]);
	*path = argc - optind == 1 ? argv[optind] : tc_default_cache();
	return load_or_report(*path, policy);
}

int
cmd_acl_show(int argc, char **argv)
{
	struct acl *policy = NULL;
	const char *path;
	int rc;

	if ((rc = no_opts(argc, argv, "acl show")) != -1)
		return rc;
	if ((rc = load_operand(argc, argv, "acl show", &policy,
	    &path)) != TC_OK)
		return rc;
	if (acl_write_yaml(policy, stdout) == -1 || ferror(stdout)) {
		fprintf(stderr, "%s: write error on standard output: %s\n",
		    talkctl_progname, strerror(errno));
		rc = TC_FAIL;
	}
	acl_free(policy);
	return rc;
}

/* ---- test -------------------------------------------------------------------- */

/* "site-deny by file:line [id]" into buf. */
static const char *
verdict_str(const struct acl_verdict *v, char *buf, size_t n)
{
	const struct acl_rule_ref *r = acl_verdict_rule(v);
	char ref[400];
	int k;

	if (r != NULL)
		k = snprintf(buf, n, "%s by %s", acl_reason_str(v->reason),
		    acl_rule_ref_str(r, ref, sizeof(ref)));
	else
		k = snprintf(buf, n, "%s by default", acl_reason_str(v->reason));
	if (k < 0 || (size_t)k >= n)
		return acl_reason_str(v->reason);
	return buf;
}

int
cmd_acl_test(int argc, char **argv)
{
	const struct acl_test *t;
	struct acl *policy = NULL;
	struct acl_query q;
	struct acl_verdict v;
	const char *path;
	char ip[16], why[600];
	size_t i, n, pass = 0, fail = 0;
	int rc;

	/* An invalid policy is an error here: 1 means a test failed. */
	if ((rc = no_opts(argc, argv, "acl test")) != -1)
		return rc;
	if (load_operand(argc, argv, "acl test", &policy, &path) != TC_OK)
		return TC_USAGE;
	n = acl_ntests(policy);
	for (i = 0; i < n; i++) {
		if ((t = acl_test_at(policy, i)) == NULL)
			continue;
		memset(&q, 0, sizeof(q));
		q.callee = t->callee;
		q.caller = t->caller;
		q.addr = t->addr;
		acl_decide(policy, acl_policy_talkrc(policy, t->callee, NULL),
		    &q, &v);
		printf("%s tests[%zu] ", v.allow == t->expect_allow ? "PASS" :
		    "FAIL", i);
		tc_fput_esc(stdout, t->file != NULL ? t->file : path);
		printf(":%u: caller ", t->line);
		tc_fput_esc(stdout, t->caller);
		printf(" -> callee ");
		tc_fput_esc(stdout, t->callee);
		printf(" from %s: ", tc_ip4(t->addr, ip, sizeof(ip)));
		verdict_str(&v, why, sizeof(why));
		if (v.allow == t->expect_allow) {
			printf("%s (", v.allow ? "allow" : "deny");
			tc_fput_esc(stdout, why);
			printf(")\n");
			pass++;
		} else {
			printf("expected %s, got %s (", t->expect_allow ?
			    "allow" : "deny", v.allow ? "allow" : "deny");
			tc_fput_esc(stdout, why);
			printf(")\n");
			fail++;
		}
	}
	if (n == 0) {
		printf("no tests in ");
		tc_fput_esc(stdout, path);
		putchar('\n');
	}
	printf("%zu passed, %zu failed\n", pass, fail);
	acl_free(policy);
	return fail > 0 ? TC_FAIL : TC_OK;
}

/* ---- diff -------------------------------------------------------------------- */

struct strset {
	char **v;
	size_t n, cap;
};

struct addrset {
	uint32_t *v;
	size_t n, cap;
};

struct grid {
	struct strset callees, callers;
	struct addrset addrs;
	int oom;
};

/* v with room for one more element (n used of *cap), or NULL. */
static void *
grow(void *v, size_t n, size_t *cap, size_t elem)
{
	void *nv;
	size_t ncap;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : 16;
	if ((nv = reallocarray(v, ncap, elem)) == NULL)
		return NULL;
	*cap = ncap;
	return nv;
}

static int
strset_add(struct strset *s, const char *name)
{
	char **nv;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return 0;
	if ((nv = grow(s->v, s->n, &s->cap, sizeof(*nv))) == NULL)
		return -1;
	s->v = nv;
	if ((s->v[s->n] = strdup(name)) == NULL)
		return -1;
	s->n++;
	return 0;
}

static void
strset_free(struct strset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static int
addrset_add(struct addrset *s, uint32_t a)
{
	uint32_t *nv;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == a)
			return 0;
	if ((nv = grow(s->v, s->n, &s->cap, sizeof(*nv))) == NULL)
		return -1;
	s->v = nv;
	s->v[s->n++] = a;
	return 0;
}

#define DIFF_NAME_MAX 11		/* bytes of a name the protocol carries */

static void
mention_cb(void *ctx, enum acl_mention kind, const char *name, uint32_t addr,
    uint32_t mask)
{
	struct grid *g = ctx;
	uint32_t net = addr & mask, last = net | ~mask;
	int r = 0;

	/* A longer name cannot travel in a request: no request to decide. */
	if (name != NULL && strlen(name) > DIFF_NAME_MAX)
		return;
	switch (kind) {
	case ACL_M_CALLEE:
		if (name != NULL)
			r = strset_add(&g->callees, name);
		break;
	case ACL_M_CALLER:
		if (name != NULL)
			r = strset_add(&g->callers, name);
		break;
	case ACL_M_NET:
		/* The edges of the network, and the first address past it. */
		r = addrset_add(&g->addrs, net) | addrset_add(&g->addrs, last);
		if (last != UINT32_MAX)
			r |= addrset_add(&g->addrs, last + 1);
		else if (net != 0)
			r |= addrset_add(&g->addrs, net - 1);
		break;
	}
	if (r != 0)
		g->oom = 1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sample names that no policy mentions, and an address outside all nets. */
#define DIFF_OTHER_NAME "nobody-else"
#define DIFF_OTHER_ADDR 0xc0000201u	/* 192.0.2.1, TEST-NET-1 */

static void
print_change(const char *callee, const char *caller, uint32_t addr,
    const struct acl_verdict *a, const struct acl_verdict *b)
{
	char ip[16], wa[600], wb[600];

	tc_fput_esc(stdout, callee);
	putchar(' ');
	tc_fput_esc(stdout, caller);
	printf(" %s: %s -> %s (", tc_ip4(addr, ip, sizeof(ip)),
	    a->allow ? "allow" : "deny", b->allow ? "allow" : "deny");
	tc_fput_esc(stdout, verdict_str(a, wa, sizeof(wa)));
	printf(" / ");
	tc_fput_esc(stdout, verdict_str(b, wb, sizeof(wb)));
	printf(")\n");
}

/* --from-history: every recorded (caller, callee, source) under both. */
struct replay {
	struct acl *old, *new;
	size_t total, changed, opened, skipped;
};

static int
replay_row(void *arg, int ncol, const char *const *names,
    const char *const *v)
{
	struct replay *r = arg;
	struct acl_query q;
	struct acl_verdict va, vb;
	struct in_addr in;
	char addr[64], when[32];
	const char *slash;
	time_t last;
	struct tm tm;
	int n;

	(void)names;
	if (v == NULL || ncol != 5)
		return 0;
	/* a.b.c.d, or a /24 (decided at its network address); none: skip. */
	slash = strchr(v[2], '/');
	n = snprintf(addr, sizeof(addr), "%.*s", slash != NULL ?
	    (int)(slash - v[2]) : (int)strlen(v[2]), v[2]);
	if (n < 0 || (size_t)n >= sizeof(addr) ||
	    inet_pton(AF_INET, addr, &in) != 1) {
		r->skipped++;
		return 0;
	}
	memset(&q, 0, sizeof(q));
	q.callee = v[1];
	q.caller = v[0];
	q.addr = ntohl(in.s_addr);
	acl_decide(r->old, acl_policy_talkrc(r->old, q.callee, NULL), &q, &va);
	acl_decide(r->new, acl_policy_talkrc(r->new, q.callee, NULL), &q, &vb);
	r->total++;
	if (va.allow == vb.allow)
		return 0;
	r->changed++;
	if (vb.allow)
		r->opened++;
	print_change(q.callee, q.caller, q.addr, &va, &vb);
	last = (time_t)strtoll(v[4], NULL, 10);
	if (localtime_r(&last, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		when[0] = '\0';
	printf("  recorded %s times, last %s%s\n", v[3], when,
	    slash != NULL ? " (source recorded as a /24: decided at its first"
	    " address)" : "");
	return 0;
}

static int
diff_history(struct acl *old, struct acl *new, const char *dbpath,
    const struct db_filter *f, int fail_new)
{
	struct replay r = { old, new, 0, 0, 0, 0 };
	struct db_err e;
	struct db *d = NULL;

	if (db_open(dbpath, DB_READ, &d, &e) == -1) {
		tc_errx("acl diff", e.msg, e.file[0] ? e.file : dbpath);
		return TC_USAGE;
	}
	if (db_call_triples(d, f, replay_row, &r, &e) != 0) {
		tc_errx("acl diff", e.msg, NULL);
		db_close(d);
		return TC_USAGE;
	}
	db_close(d);
	printf("%zu of %zu recorded (caller, callee, source) change decision: "
	    "%zu newly allowed, %zu newly denied", r.changed, r.total, r.opened,
	    r.changed - r.opened);
	if (r.skipped > 0)
		printf("; %zu without a source address not decided", r.skipped);
	printf("\n");
	if (fail_new)
		return r.opened > 0 ? TC_FAIL : TC_OK;
	return r.changed > 0 ? TC_FAIL : TC_OK;
}

int
cmd_acl_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from-history", no_argument, NULL, 'H' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "db", required_argument, NULL, 'D' },
		{ "fail-on-new-access", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	struct acl *old = NULL, *new = NULL;
	struct grid g;
	struct acl_query q;
	struct acl_verdict va, vb;
	struct db_filter f;
	struct db_err e;
	const char *dbpath = NULL;
	size_t i, j, k, total = 0, changed = 0, opened = 0;
	int c, rc, history = 0, fail_new = 0;

	memset(&g, 0, sizeof(g));
	memset(&f, 0, sizeof(f));
	while ((c = tc_next_opt(argc, argv, "acl diff", ":", longopts)) !=
	    -1) {
		switch (c) {
		case 'H':
			history = 1;
			break;
		case 'S':
		case 'U':
			if (db_parse_time(optarg, time(NULL), c == 'S' ?
			    &f.since : &f.until, &e) == -1)
				return tc_usage_error("acl diff", e.msg, NULL);
			*(c == 'S' ? &f.has_since : &f.has_until) = 1;
			break;
		case 'D':
			dbpath = optarg;
			break;
		case 'F':
			fail_new = 1;
			break;
		default:
			return TC_OPT_EXIT(c);
		}
	}
	if (argc - optind != 2)
		return tc_usage_error("acl diff", "need two policies", NULL);
	if (!history && (dbpath != NULL || f.has_since || f.has_until))
		return tc_usage_error("acl diff", "--since, --until and --db go "
		    "with --from-history", NULL);
	if (dbpath == NULL && (dbpath = getenv("TALKD_DB")) == NULL)
		dbpath = DB_DEFAULT_PATH;
	/* An invalid policy is an error here: 1 means decisions change. */
	rc = TC_USAGE;
	if (load_or_report(argv[optind], &old) != TC_OK ||
	    load_or_report(argv[optind + 1], &new) != TC_OK)
		goto out;
	if (history) {
		rc = diff_history(old, new, dbpath, &f, fail_new);
		goto out;
	}

	acl_mentions(old, mention_cb, &g);
	acl_mentions(new, mention_cb, &g);
	if (strset_add(&g.callees, DIFF_OTHER_NAME) != 0 ||
	    strset_add(&g.callers, DIFF_OTHER_NAME) != 0 ||
	    addrset_add(&g.addrs, DIFF_OTHER_ADDR) != 0 || g.oom) {
		tc_errx("acl diff", "out of memory", NULL);
		rc = TC_USAGE;
		goto out;
	}
	qsort(g.callees.v, g.callees.n, sizeof(char *), cmp_str);
	qsort(g.callers.v, g.callers.n, sizeof(char *), cmp_str);
	qsort(g.addrs.v, g.addrs.n, sizeof(uint32_t), cmp_u32);

	for (i = 0; i < g.callees.n; i++) {
		const char *callee = g.callees.v[i];
		const struct acl *ta = acl_policy_talkrc(old, callee, NULL);
		const struct acl *tb = acl_policy_talkrc(new, callee, NULL);

		for (j = 0; j < g.callers.n; j++)
			for (k = 0; k < g.addrs.n; k++) {
				memset(&q, 0, sizeof(q));
				q.callee = callee;
				q.caller = g.callers.v[j];
				q.addr = g.addrs.v[k];
				acl_decide(old, ta, &q, &va);
				acl_decide(new, tb, &q, &vb);
				total++;
				if (va.allow == vb.allow)
					continue;
				changed++;
				if (vb.allow)
					opened++;
				print_change(callee, q.caller, q.addr, &va, &vb);
			}
	}
	printf("%zu of %zu requests change decision\n", changed, total);
	if (fail_new)
		rc = opened > 0 ? TC_FAIL : TC_OK;
	else
		rc = changed > 0 ? TC_FAIL : TC_OK;
out:
	strset_free(&g.callees);
	strset_free(&g.callers);
	free(g.addrs.v);
	acl_free(old);
	acl_free(new);
	return rc;
}
