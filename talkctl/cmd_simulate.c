/*
 * talkctl simulate USER HOST: the decision talkd would reach for a call from
 * HOST to the local user USER, with every rule that matched (after
 * tcpdmatch(8)); --json for programs.  Exit 0 allowed, 1 denied, 2 error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "acl/acl.h"
#include "talkctl/talkctl.h"
#include "talkctl/tc_acl.h"

#define SIM_NAME_MAX	11	/* bytes of a name the protocol carries */
#define SIM_MAX_ADDRS	32
#define SIM_MAX_WARN	8
#define SIM_DEFAULT_CALLER "unknown"

struct match {
	int user_set;
	const struct acl_rule_ref *rule;
};

struct trace {
	struct match *v;
	size_t n, cap;
	int oom;
};

struct sim {
	const char *callee, *host, *caller;
	char caller_buf[SIM_NAME_MAX + 1];
	const char *policy_path;	/* NULL: built-in default */
	const char *policy_kind;
	struct acl *policy;
	struct acl_talkrc trc;		/* libacl's pick, as talkd's */
	char talkrc_path[4096];
	const char *talkrc_source;	/* none, file, compiled, draft */
	char talkrc_note[512];
	const char *passwd_file;	/* --passwd: accounts from a file */
	int strict, json, quiet;
	const char *warn[SIM_MAX_WARN];
	char warn_buf[SIM_MAX_WARN][512];
	size_t nwarn;
};

static void warnf(struct sim *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* A warning: on stderr now, and in the --json object's "warnings". */
static void
warnf(struct sim *s, const char *fmt, ...)
{
	va_list ap;
	char *buf;
	int n;

	if (s->nwarn == SIM_MAX_WARN)
		return;
	buf = s->warn_buf[s->nwarn];
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(s->warn_buf[0]), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(s->warn_buf[0]))
		return;
	s->warn[s->nwarn++] = buf;
	if (s->quiet)
		return;
	fprintf(stderr, "%s: warning: ", talkctl_progname);
	tc_fput_esc(stderr, buf);
	putc('\n', stderr);
}

static void
trace_cb(void *ctx, int user_set, const struct acl_rule_ref *rule)
{
	struct trace *t = ctx;
	struct match *nv;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		if ((nv = realloc(t->v, t->cap * sizeof(*nv))) == NULL) {
			t->oom = 1;
			return;
		}
		t->v = nv;
	}
	t->v[t->n].user_set = user_set;
	t->v[t->n].rule = rule;
	t->n++;
}

/* ---- loading ---------------------------------------------------------------- */

static int
load_policy(struct sim *s, const char *policy, const char *cache)
{
	struct acl_err err;
	int rc;

	memset(&err, 0, sizeof(err));
	if (policy != NULL) {
		s->policy_path = policy;
		rc = tc_load_policy(policy, &s->policy, &err);
		s->policy_kind = tc_is_cache(policy) == 1 ? "compiled cache" :
		    "source";
		return rc == TC_OK ? 0 : -1;
	}
	if (cache == NULL) {
		cache = tc_default_cache();
		if (access(cache, F_OK) == -1 && errno == ENOENT) {
			s->policy_kind = "built-in default, allow all";
			return 0;
		}
	}
	s->policy_path = cache;
	s->policy_kind = "compiled cache";
	if (acl_cache_open(cache, &s->policy, &err) == -1) {
		tc_print_err(stderr, &err, cache);
		return -1;
	}
	return 0;
}

static void note(struct sim *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(struct sim *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->talkrc_note, sizeof(s->talkrc_note), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(s->talkrc_note))
		s->talkrc_note[0] = '\0';
}

/* Does this set deny everything because the file was insecure or bad? */
static const char *
denyall_note(const struct acl_talkrc *t)
{
	switch (acl_denyall_reason(t->use)) {
	case ACL_R_INSECURE_TALKRC:
		return "insecure file: every caller denied";
	case ACL_R_BAD_TALKRC:
		return "does not parse or is too large: every caller denied";
	case ACL_R_UNREADABLE_TALKRC:
		return "unreadable: every caller denied";
	default:
		return NULL;
	}
}

/* The callee's account (*out NULL: none), from the database or --passwd. */
static int
lookup_user(const struct sim *s, struct passwd **out)
{
	struct passwd *pw;
	FILE *fp;

	if (s->passwd_file == NULL) {
		*out = getpwnam(s->callee);
		return 0;
	}
	if ((fp = fopen(s->passwd_file, "re")) == NULL) {
		fprintf(stderr, "%s: simulate: ", talkctl_progname);
		tc_fput_esc(stderr, s->passwd_file);
		fprintf(stderr, ": %s\n", strerror(errno));
		return -1;
	}
	while ((pw = fgetpwent(fp)) != NULL)
		if (strcmp(pw->pw_name, s->callee) == 0)
			break;
	fclose(fp);
	*out = pw;
	return 0;
}

/*
 * The callee's ~/.talkrc as talkd reads it -- the same libacl opener and
 * the same choice between the compiled copy and the file -- or the
 * --talkrc draft.
 */
static int
load_talkrc(struct sim *s, const char *draft)
{
	struct acl_source src;
	struct acl_err err;
	struct passwd *pw;
	const char *dn;
	int n, r;

	memset(&err, 0, sizeof(err));
	memset(&src, 0, sizeof(src));
	src.fd = -1;
	s->talkrc_source = "none";
	if (draft != NULL) {
		if (tc_load_fmt(draft, ACL_FMT_LEGACY, &s->trc.own,
		    &err) != TC_OK)
			return -1;
		s->trc.use = s->trc.own;
		s->talkrc_source = "draft";
		n = snprintf(s->talkrc_path, sizeof(s->talkrc_path), "%s",
		    draft);
		if (n < 0 || (size_t)n >= sizeof(s->talkrc_path))
			return -1;
		note(s, "%s", "draft; owner and mode not checked");
		return 0;
	}
	if (lookup_user(s, &pw) == -1)
		return -1;
	if (pw == NULL) {
		note(s, "%s", "no such local user");
		return 0;
	}
	if (acl_talkrc_name(pw->pw_dir, s->talkrc_path,
	    sizeof(s->talkrc_path)) == -1) {
		s->talkrc_path[0] = '\0';
		if (errno != EINVAL)
			return -1;
		note(s, "%s", "user has no home directory");
		return 0;
	}
	(void)acl_talkrc_open(s->talkrc_path, pw->pw_uid, pw->pw_gid, &src);
	r = acl_talkrc_pick(s->policy, s->callee, &src, &s->trc, &err);
	if (src.fd >= 0)
		close(src.fd);
	if (r == -1) {
		fprintf(stderr, "%s: simulate: out of memory\n",
		    talkctl_progname);
		return -1;
	}
	if (err.msg[0] != '\0') {
		fprintf(stderr, "%s: ", talkctl_progname);
		tc_print_warn(stderr, &err, NULL);
	}
	if (s->trc.kind == ACL_SRC_ABSENT) {
		s->talkrc_path[0] = '\0';
		if (s->trc.stale)
			note(s, "%s", "none; the compiled copy is stale "
			    "(the file is gone)");
		return 0;
	}
	s->talkrc_source = s->trc.compiled ? "compiled" : "file";
	if (s->trc.compiled)
		note(s, "%s", "compiled copy, current");
	else if (s->trc.stale)
		note(s, "%s", "compiled copy is stale; talkd reads the file");
	if (s->trc.kind == ACL_SRC_UNREADABLE)
		note(s, "unreadable (%s): every caller denied",
		    strerror(s->trc.err));
	else if ((dn = denyall_note(&s->trc)) != NULL)
		note(s, "%s", dn);
	return 0;
}

/* Addresses of HOST: a dotted quad, or every IPv4 address of a name. */
static int
resolve(const char *host, uint32_t *addrs, size_t *naddrs)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct in_addr in;
	uint32_t a;
	size_t i;
	int r;

	*naddrs = 0;
	if (inet_pton(AF_INET, host, &in) == 1) {
		addrs[(*naddrs)++] = ntohl(in.s_addr);
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	if ((r = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		fprintf(stderr, "%s: simulate: ", talkctl_progname);
		tc_fput_esc(stderr, host);
		fprintf(stderr, ": %s\n", gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL && *naddrs < SIM_MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET ||
		    ai->ai_addrlen < sizeof(struct sockaddr_in))
			continue;
		a = ntohl(((const struct sockaddr_in *)(const void *)
		    ai->ai_addr)->sin_addr.s_addr);
		for (i = 0; i < *naddrs; i++)
			if (addrs[i] == a)
				break;
		if (i == *naddrs)
			addrs[(*naddrs)++] = a;
	}
	freeaddrinfo(res);
	if (*naddrs == 0) {
		fprintf(stderr, "%s: simulate: ", talkctl_progname);
		tc_fput_esc(stderr, host);
		fprintf(stderr, ": no IPv4 address\n");
		return -1;
	}
	return 0;
}

/* ---- output ------------------------------------------------------------------ */

#define KEYW 19		/* width of the longest key, "site rule matched: " */

static void
key(const char *k)
{
	printf("%-*s", KEYW, k);
}

static void
put_rule(const struct acl_rule_ref *r)
{
	char buf[400];

	tc_fput_esc(stdout, acl_rule_ref_str(r, buf, sizeof(buf)));
	if (r != NULL && r->text != NULL) {
		fputs(": ", stdout);
		tc_fput_esc(stdout, r->text);
	}
}

static const char *
act(enum acl_action a)
{
	return a == ACL_ALLOW ? "allow" : "deny";
}

static void
print_text(const struct sim *s, uint32_t addr, const struct trace *t,
    const struct acl_verdict *v)
{
	const struct acl_rule_ref *d;
	char ip[16], buf[400];
	size_t i;

	key("callee:");
	tc_fput_esc(stdout, s->callee);
	putchar('\n');
	key("caller:");
	tc_fput_esc(stdout, s->caller);
	putchar('\n');
	key("address:");
	printf("%s", tc_ip4(addr, ip, sizeof(ip)));
	if (strcmp(s->host, ip) != 0) {
		fputs(" (", stdout);
		tc_fput_esc(stdout, s->host);
		fputs(")", stdout);
	}
	putchar('\n');
	key("policy:");
	if (s->policy_path != NULL) {
		tc_fput_esc(stdout, s->policy_path);
		printf(" (%s)", s->policy_kind);
	} else
		printf("none (%s)", s->policy_kind);
	putchar('\n');
	key("talkrc:");
	tc_fput_esc(stdout, s->talkrc_path[0] != '\0' ? s->talkrc_path :
	    "none");
	if (s->talkrc_note[0] != '\0') {
		fputs(" (", stdout);
		tc_fput_esc(stdout, s->talkrc_note);
		fputs(")", stdout);
	}
	putchar('\n');
	for (i = 0; i < t->n; i++) {
		key(t->v[i].user_set ? "user rule matched:" :
		    "site rule matched:");
		put_rule(t->v[i].rule);
		putchar('\n');
	}
	key("site decision:");
	if (v->site != NULL) {
		printf("%s (", act(v->site->action));
		tc_fput_esc(stdout, acl_rule_ref_str(v->site, buf,
		    sizeof(buf)));
		printf(")\n");
	} else
		printf("%s\n", s->strict ? "deny (default, strict policy)" :
		    "allow (default)");
	key("user decision:");
	if (v->user != NULL) {
		printf("%s (", act(v->user->action));
		tc_fput_esc(stdout, acl_rule_ref_str(v->user, buf,
		    sizeof(buf)));
		printf(")\n");
	} else
		printf("allow (default)\n");
	key("decision:");
	printf("%s (%s", v->allow ? "allow" : "deny", acl_reason_str(v->reason));
	if ((d = acl_verdict_rule(v)) != NULL) {
		fputs(" by ", stdout);
		tc_fput_esc(stdout, acl_rule_ref_str(d, buf, sizeof(buf)));
	}
	printf(")\n");
}

static void
json_rule(const struct acl_rule_ref *r, int user_set, int with_set)
{
	if (r == NULL) {
		fputs("null", stdout);
		return;
	}
	putchar('{');
	if (with_set)
		printf("\"set\":\"%s\",", user_set ? "user" : "site");
	fputs("\"file\":", stdout);
	tc_fput_json(stdout, r->file);
	printf(",\"line\":%u,\"col\":%u,\"id\":", r->line, r->col);
	tc_fput_json(stdout, r->id);
	printf(",\"action\":\"%s\",\"text\":", act(r->action));
	tc_fput_json(stdout, r->text);
	putchar('}');
}

static void
print_json(const struct sim *s, uint32_t addr, const struct trace *t,
    const struct acl_verdict *v)
{
	char ip[16], rule[400];
	size_t i;

	printf("{\"schema_version\":1,\"callee\":");
	tc_fput_json(stdout, s->callee);
	fputs(",\"caller\":", stdout);
	tc_fput_json(stdout, s->caller);
	printf(",\"address\":\"%s\",\"host\":", tc_ip4(addr, ip, sizeof(ip)));
	tc_fput_json(stdout, s->host);
	fputs(",\"policy\":", stdout);
	tc_fput_json(stdout, s->policy_path);
	fputs(",\"talkrc\":", stdout);
	tc_fput_json(stdout, s->talkrc_path[0] != '\0' ? s->talkrc_path :
	    NULL);
	fputs(",\"talkrc_source\":", stdout);
	tc_fput_json(stdout, s->talkrc_source);
	printf(",\"strict\":%s,\"decision\":\"%s\",\"reason\":\"%s\"",
	    s->strict ? "true" : "false", v->allow ? "allow" : "deny",
	    acl_reason_str(v->reason));
	fputs(",\"rule\":", stdout);
	tc_fput_json(stdout, acl_rule_ref_str(acl_verdict_rule(v), rule,
	    sizeof(rule)));
	fputs(",\"site_rule\":", stdout);
	json_rule(v->site, 0, 0);
	fputs(",\"user_rule\":", stdout);
	json_rule(v->user, 1, 0);
	fputs(",\"stop_rule\":", stdout);
	json_rule(v->stop, 0, 0);
	fputs(",\"matched\":[", stdout);
	for (i = 0; i < t->n; i++) {
		if (i > 0)
			putchar(',');
		json_rule(t->v[i].rule, t->v[i].user_set, 1);
	}
	fputs("],\"warnings\":[", stdout);
	for (i = 0; i < s->nwarn; i++) {
		if (i > 0)
			putchar(',');
		tc_fput_json(stdout, s->warn[i]);
	}
	fputs("]}\n", stdout);
}

/*
 * With --json, an error is also one object on stdout with a stable code
 * (usage, host, policy, talkrc, internal); the details are on stderr.
 */
static int
fail(const struct sim *s, const char *code, const char *message)
{
	if (s->json && !s->quiet) {
		printf("{\"schema_version\":1,\"error\":{\"code\":\"%s\","
		    "\"message\":", code);
		tc_fput_json(stdout, message);
		printf("}}\n");
	}
	return TC_USAGE;
}

/* ---- command ----------------------------------------------------------------- */

int
cmd_simulate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "caller", required_argument, NULL, 'c' },
		{ "policy", required_argument, NULL, 'p' },
		{ "cache",  required_argument, NULL, 'C' },
		{ "talkrc", required_argument, NULL, 't' },
		{ "strict", no_argument,       NULL, 'S' },
		{ "json",   no_argument,       NULL, 'j' },
		{ "quiet",  no_argument,       NULL, 'q' },
		{ "passwd", required_argument, NULL, 'P' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sim s;
	struct trace t = { NULL, 0, 0, 0 };
	struct acl_query q;
	struct acl_verdict v;
	uint32_t addrs[SIM_MAX_ADDRS];
	size_t naddrs = 0, i, len;
	const char *policy = NULL, *cache = NULL, *draft = NULL;
	int c, rc = TC_OK, user_matched;

	memset(&s, 0, sizeof(s));
	s.caller = SIM_DEFAULT_CALLER;
	optind = 0;
	while ((c = tc_next_opt(argc, argv, "simulate", ":q", longopts)) !=
	    -1) {
		switch (c) {
		case 'c': s.caller = optarg; break;
		case 'p': policy = optarg; break;
		case 'C': cache = optarg; break;
		case 't': draft = optarg; break;
		case 'S': s.strict = 1; break;
		case 'j': s.json = 1; break;
		case 'q': s.quiet = 1; break;
		case 'P': s.passwd_file = optarg; break;
		default: return TC_OPT_EXIT(c);
		}
	}
	if (argc - optind != 2 || (policy != NULL && cache != NULL) ||
	    argv[optind][0] == '\0' || s.caller[0] == '\0') {
		tc_usage_error("simulate", argc - optind != 2 ?
		    "need a user and a host" :
		    policy != NULL && cache != NULL ?
		    "--policy and --cache exclude each other" :
		    "empty user name", NULL);
		return fail(&s, "usage", "bad arguments");
	}
	s.callee = argv[optind];
	s.host = argv[optind + 1];

	if ((len = strlen(s.callee)) > SIM_NAME_MAX)
		warnf(&s, "the user name \"%s\" is %zu bytes; the protocol "
		    "carries 11, so no client can reach it", s.callee, len);
	if ((len = strlen(s.caller)) > SIM_NAME_MAX) {
		warnf(&s, "the caller name \"%s\" is %zu bytes; the protocol "
		    "carries 11 and talkd sees only the first 11", s.caller,
		    len);
		memcpy(s.caller_buf, s.caller, SIM_NAME_MAX);
		s.caller_buf[SIM_NAME_MAX] = '\0';
		s.caller = s.caller_buf;
	}
	if (resolve(s.host, addrs, &naddrs) == -1) {
		rc = fail(&s, "host", "the host has no IPv4 address");
		goto out;
	}
	if (load_policy(&s, policy, cache) == -1) {
		rc = fail(&s, "policy", "the policy cannot be loaded");
		goto out;
	}
	if (load_talkrc(&s, draft) == -1) {
		rc = fail(&s, "talkrc", "the .talkrc cannot be loaded");
		goto out;
	}
	if (s.policy != NULL && acl_policy_strict(s.policy))
		s.strict = 1;

	for (i = 0; i < naddrs; i++) {
		memset(&q, 0, sizeof(q));
		q.callee = s.callee;
		q.caller = s.caller;
		q.addr = addrs[i];
		q.strict = s.strict;
		t.n = 0;
		(void)acl_decide_source(s.policy, NULL, &s.trc, &q, &v,
		    trace_cb, &t, NULL);
		if (t.oom) {
			fprintf(stderr, "%s: simulate: out of memory\n",
			    talkctl_progname);
			rc = fail(&s, "internal", "out of memory");
			goto out;
		}
		user_matched = v.user != NULL &&
		    acl_denyall_reason(s.trc.use) == -1;
		if (user_matched && i == 0)
			warnf(&s, "a user rule matched the caller name \"%s\"; "
			    "caller names are chosen by the remote client and "
			    "are not authenticated", s.caller);
		if (s.json && !s.quiet)
			print_json(&s, addrs[i], &t, &v);
		else if (!s.quiet) {
			if (i > 0)
				putchar('\n');
			print_text(&s, addrs[i], &t, &v);
		}
		if (!v.allow)
			rc = TC_FAIL;
	}
out:
	free(t.v);
	acl_talkrc_clear(&s.trc);
	acl_free(s.policy);
	return rc;
}
