/*
 * libacl: talkd access control -- rule model, legacy and YAML parsers,
 * evaluator with trace, compiled cache, safe ~/.talkrc loading.
 *
 * No logging, no exit(), no globals.  Every function that can fail returns
 * 0 on success and -1 on failure, fills *err (file, 1-based line and column,
 * a message a person can act on) and leaves *out NULL.  Whoever allocates
 * frees: acl_free(NULL) is a no-op.
 *
 * Semantics (SPEC.md section 4, talkd.acl(5)):
 *  - site rules are matched against the callee (the local user) and the
 *    packet source address; user rules against the caller and the source;
 *  - within each set the last matching rule wins;
 *  - site default allow (deny when strict), user default allow;
 *  - site allow -> the user result; site deny -> strict: deny, otherwise
 *    allow only when a user rule with action allow matched.
 */
#ifndef TALKD_ACL_H
#define TALKD_ACL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct acl;				/* opaque: a policy or one rule set */

enum acl_fmt {
	ACL_FMT_AUTO = 0,		/* tell apart by content */
	ACL_FMT_LEGACY,			/* allow|deny USER-EXP [NET-EXP ...] */
	ACL_FMT_YAML,			/* version: 1 policy */
	ACL_FMT_CACHE			/* compiled binary cache */
};

enum acl_action { ACL_DENY = 0, ACL_ALLOW = 1 };

enum acl_reason {
	ACL_R_SITE_ALLOW = 0,		/* site allowed, user set allowed */
	ACL_R_USER_DENY,		/* site allowed, a user rule denied */
	ACL_R_USER_OVERRIDE,		/* site denied, a user allow matched */
	ACL_R_SITE_DENY,		/* site denied, no user allow matched */
	ACL_R_STRICT_DENY,		/* site denied under strict policy */
	ACL_R_INSECURE_TALKRC,		/* ~/.talkrc insecure: deny-all */
	ACL_R_BAD_TALKRC,		/* ~/.talkrc does not parse, or is
					   over its limits: deny-all */
	ACL_R_UNREADABLE_TALKRC,	/* ~/.talkrc cannot be opened or
					   read: deny-all (fail closed) */
	ACL_R_BUDGET			/* match work over ACL_BUDGET: denied */
};

/*
 * The cost of one decision is bounded: matching the patterns of the site
 * and user rules of one request may spend at most ACL_BUDGET units of
 * match work, shared by all the rules it tries.  A unit is one PCRE2
 * match-limit step, weighted by the pattern's frame size (0.05 to 0.4 us
 * on the test machine); a DFA match is charged ACL_DFA_BYTE units per
 * subject byte.  A rule that cannot be decided within what remains makes
 * the decision a denial, ACL_R_BUDGET, naming that rule (verdict.stop).
 * Whatever the rules, a decision there costs about 1 ms, 10 ms at worst.
 */
#define ACL_BUDGET		25000
#define ACL_DFA_BYTE		128

/* Rule-count limits, checked where a file is parsed (size: ACL_*_MAX). */
#define ACL_TALKRC_RULES_MAX	1000	/* rules in one ~/.talkrc */
#define ACL_SITE_RULES_MAX	250000	/* rules in one site policy file */

struct acl_err {
	char file[256];
	unsigned line, col;		/* 1-based; 0 when not about a position */
	char msg[256];
};

/* No error, as a zeroed acl_err reads, without writing its 512 text bytes
 * (a decision clears one per request). */
static inline void
acl_err_clear(struct acl_err *e)
{
	e->file[0] = e->msg[0] = '\0';
	e->line = e->col = 0;
}

/* Where a rule came from, for explanations and the journal. */
struct acl_rule_ref {
	const char *file;		/* source file name as given to the parser */
	unsigned line, col;
	const char *id;			/* YAML rule id, or NULL */
	enum acl_action action;
	const char *text;		/* the rule as talkctl acl show prints it */
};

struct acl_query {
	const char *callee;		/* local user (r_name of an ANNOUNCE) */
	const char *caller;		/* remote user (l_name) */
	uint32_t addr;			/* packet source, IPv4, host byte order */
	int strict;			/* 1: force strict policy (talkd -S) */
};

struct acl_verdict {
	int allow;			/* 1 allowed, 0 denied */
	enum acl_reason reason;
	const struct acl_rule_ref *site;	/* deciding site rule, NULL = default */
	const struct acl_rule_ref *user;	/* deciding user rule, NULL = default */
	/* ACL_R_BUDGET: the rule where the budget ran out, else NULL */
	const struct acl_rule_ref *stop;
};

/* Identity of a ~/.talkrc as seen by fstat, to tell a stale compiled copy. */
struct acl_stamp {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
};
struct stat;
void acl_stamp_of(const struct stat *st, struct acl_stamp *out);
int  acl_stamp_eq(const struct acl_stamp *a, const struct acl_stamp *b);

/* Parse a site policy (YAML or legacy) or one legacy user file. */
int  acl_parse_file(const char *path, enum acl_fmt fmt, struct acl **out,
	    struct acl_err *err);
int  acl_parse_buf(const char *name, const char *buf, size_t len,
	    enum acl_fmt fmt, struct acl **out, struct acl_err *err);

/*
 * A legacy site file (talkd -a) with no format detection, so that a
 * program using only this, the cache and ~/.talkrc links without libyaml.
 */
int  acl_parse_legacy_file(const char *path, struct acl **out,
	    struct acl_err *err);

/* Compiled cache: atomic write (mkstemp, fsync, rename); validating load. */
int  acl_cache_write(const struct acl *policy, const char *path,
	    struct acl_err *err);
int  acl_cache_open(const char *path, struct acl **out, struct acl_err *err);
/*
 * The same, trusting a cache owned by root or by the user trusted only
 * ((uid_t)-1: root only).  acl_cache_open trusts root and this process's
 * effective user; a daemon that started as root and dropped to its own
 * account trusts root alone, so that its account cannot replace its
 * policy (SPEC.md 5).
 */
int  acl_cache_open_as(const char *path, uid_t trusted, struct acl **out,
	    struct acl_err *err);

/*
 * ~/.talkrc of a local user, from an open descriptor (the daemon receives it
 * from its file opener) or a path (opened O_RDONLY|O_NOFOLLOW|O_NONBLOCK).
 * The checks run on the descriptor: a regular file, owned by uid and by the
 * user's primary group gid, not group- or world-writable, at most
 * ACL_TALKRC_MAX bytes.  An insecure file gives a deny-all set (reason
 * ACL_R_INSECURE_TALKRC); a file that does not parse gives a deny-all set
 * (ACL_R_BAD_TALKRC) and also fills *err so the caller can log why.  Both
 * return 0.  -1 only for a missing file (errno ENOENT) or an I/O error.
 * stamp (may be NULL) receives the descriptor's identity.
 * libacl's choices: an insecure file also fills *err (line 0) with why; a
 * symbolic link (O_NOFOLLOW gives ELOOP) is insecure, so deny-all, not -1;
 * a file over ACL_TALKRC_MAX is bad-talkrc; acl_talkrc_path returns -1
 * with errno kept for other open errors (EACCES, ENOTDIR...).  The
 * descriptor is read with pread from offset 0 and not closed.
 */
#define ACL_TALKRC_MAX (64 * 1024)
int  acl_talkrc_fd(int fd, const char *name, uid_t uid, gid_t gid,
	    struct acl **out, struct acl_stamp *stamp, struct acl_err *err);
int  acl_talkrc_path(const char *path, uid_t uid, gid_t gid,
	    struct acl **out, struct acl_stamp *stamp, struct acl_err *err);

/*
 * A policy may carry compiled copies of users' ~/.talkrc (talkctl acl
 * compile --users) with the stamp of the file they came from.  Returns the
 * copy (owned by the policy) or NULL.
 */
const struct acl *acl_policy_talkrc(const struct acl *policy,
	    const char *user, struct acl_stamp *stamp);

/* Policy-wide settings. */
int  acl_policy_strict(const struct acl *policy);

/*
 * Decide.  policy: the site policy (NULL: embedded default, allow all);
 * talkrc: the callee's ~/.talkrc set, or NULL when the callee has none.
 * The user set is the policy's own per-user rules for q->callee (YAML
 * "users:") followed by talkrc; last match wins across both.  Pure: no I/O.
 * The verdict's rule pointers stay valid while policy and talkrc live.
 * Not thread-safe on one policy: matching uses per-rule PCRE2 match data.
 * The match work is bounded by ACL_BUDGET: a rule whose pattern cannot be
 * decided within what remains of it (or hits a PCRE2 limit) makes the
 * decision a denial with reason ACL_R_BUDGET and v->stop naming the rule.
 */
void acl_decide(const struct acl *policy, const struct acl *talkrc,
	    const struct acl_query *q, struct acl_verdict *v);

/*
 * Every rule that matched, in evaluation order (for talkctl simulate).  The
 * verdict is acl_decide's, reached the same way; the listing has a budget
 * of its own and stops when that runs out.
 */
typedef void acl_trace_fn(void *ctx, int user_set,
	    const struct acl_rule_ref *rule);
void acl_decide_trace(const struct acl *policy, const struct acl *talkrc,
	    const struct acl_query *q, struct acl_verdict *v,
	    acl_trace_fn *fn, void *ctx);

const char *acl_reason_str(enum acl_reason);	/* "site-allow", ... */
void acl_free(struct acl *);

/* ---- the callee's ~/.talkrc: one opener, one choice, one decision ------- */

/* What the callee's ~/.talkrc turned out to be when it was opened. */
enum acl_src {
	ACL_SRC_NOUSER = 0,		/* no such account, or no home */
	ACL_SRC_ABSENT,			/* no ~/.talkrc (ENOENT, ENOTDIR) */
	ACL_SRC_OPENED,			/* fd: a regular file owned by uid */
	ACL_SRC_INSECURE,		/* a symbolic link, or not a regular
					   file owned by uid: deny-all */
	ACL_SRC_UNREADABLE		/* cannot be opened (errnum): deny-all */
};

struct acl_source {
	enum acl_src kind;
	int fd;				/* ACL_SRC_OPENED; never closed here */
	int errnum;			/* ACL_SRC_UNREADABLE: why */
	const char *name;		/* "<home>/.talkrc": names its rules */
	uid_t uid;			/* the account's owner and */
	gid_t gid;			/* primary group */
};

/*
 * "<home>/.talkrc" into buf (no doubled slash).  -1 (ENAMETOOLONG) when it
 * does not fit, or EINVAL when home is not absolute.
 */
int  acl_talkrc_name(const char *home, char *buf, size_t n);
/*
 * The one safe opener of a ~/.talkrc, used by talkd, its opener process and
 * talkctl: open(path, O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_NOCTTY|O_CLOEXEC),
 * then fstat the descriptor; a descriptor is kept only for a regular file
 * owned by uid, so nobody else's file is ever handed on.  Fills *src (name
 * points at path) and returns src->kind.
 */
enum acl_src acl_talkrc_open(const char *path, uid_t uid, gid_t gid,
	    struct acl_source *src);

/*
 * A callee's user set, chosen from its source; the caller keeps one per
 * callee between requests (zero it first; acl_talkrc_clear frees it).  use
 * may point into the policy: clear it when the policy is replaced.
 */
struct acl_talkrc {
	const struct acl *use;		/* the set acl_decide takes; NULL none */
	struct acl *own;		/* parsed or built here */
	struct acl_stamp stamp;		/* of the file own was parsed from */
	enum acl_src kind;		/* the source last picked from */
	int compiled;			/* use is the policy's --users copy */
	int stale;			/* a --users copy exists, not this file */
	int err;			/* errno of ACL_SRC_UNREADABLE */
};
void acl_talkrc_clear(struct acl_talkrc *t);

/*
 * Pick the user set for callee user from src into *t: for an open file the
 * policy's compiled copy (talkctl acl compile --users) when its stamp is the
 * descriptor's identity, else the file itself, parsed again only when its
 * identity differs from t->stamp; none for no account or no file; a
 * deny-all set for an insecure file (ACL_R_INSECURE_TALKRC), one over the
 * limits or that does not parse (ACL_R_BAD_TALKRC) and one that cannot be
 * opened or read (ACL_R_UNREADABLE_TALKRC).  *err says why whenever the
 * set is a deny-all that this call built (empty otherwise), so a daemon
 * logs it once.  0, or -1 when out of memory (*t then denies: unreadable).
 */
int  acl_talkrc_pick(const struct acl *policy, const char *user,
	    const struct acl_source *src, struct acl_talkrc *t,
	    struct acl_err *err);

/*
 * The one decision path of talkd and talkctl simulate: pick (unless src is
 * NULL: t as the caller kept it, known unchanged), then acl_decide_trace
 * with t->use (fn may be NULL).  Returns acl_talkrc_pick's result; a t
 * left with no set by a failed pick denies (unreadable-talkrc), also later.
 */
int  acl_decide_source(const struct acl *policy, const struct acl_source *src,
	    struct acl_talkrc *t, const struct acl_query *q,
	    struct acl_verdict *v, acl_trace_fn *fn, void *ctx,
	    struct acl_err *err);

/* Why a set denies every caller (an ACL_R_*_TALKRC), or -1 when it does not. */
int  acl_denyall_reason(const struct acl *set);

/* The rule that decided v (by its reason), NULL when a default did. */
const struct acl_rule_ref *acl_verdict_rule(const struct acl_verdict *v);

/*
 * The one way a rule is named (journal, who-called, simulate, acl test):
 * "file:line:col [id]", "file:line:col", "[id]" (no position), "file" for a
 * whole-file deny-all, "default" for NULL.  Always NUL-terminates buf and
 * returns it; when the text does not fit, "[id]" or the cut text.
 */
const char *acl_rule_ref_str(const struct acl_rule_ref *r, char *buf,
	    size_t n);

/* ---- for talkctl: compile, show, test, diff, lint ---------------------- */

/* An empty site policy (default allow); acl_free it. */
int  acl_policy_new(struct acl **out, struct acl_err *err);
void acl_policy_set_strict(struct acl *policy, int strict);
/*
 * Attach a compiled copy of user's ~/.talkrc; takes ownership of talkrc,
 * also on failure (it is freed then).  Fails for a user that already has
 * a copy, or a talkrc that is not a plain rule set.
 */
int  acl_policy_add_talkrc(struct acl *policy, const char *user,
	    struct acl *talkrc, const struct acl_stamp *stamp,
	    struct acl_err *err);

/*
 * Print the policy as YAML (version 1) that acl_parse_buf reads back to an
 * equivalent policy (same decisions, same rule ids and positions noted in
 * comments), including compiled ~/.talkrc copies and tests.
 */
int  acl_write_yaml(const struct acl *policy, FILE *f);

/* Test cases embedded in a YAML policy ("tests:"). */
struct acl_test {
	const char *caller, *callee;
	uint32_t addr;			/* host order */
	int expect_allow;
	const char *file;
	unsigned line, col;
};
size_t acl_ntests(const struct acl *policy);
const struct acl_test *acl_test_at(const struct acl *policy, size_t i);

/*
 * What a policy mentions, for talkctl acl diff's grid of requests: every
 * literal user name, a sample string for each pattern where one can be
 * found, and every network (addr/mask, host order).
 */
enum acl_mention { ACL_M_CALLEE, ACL_M_CALLER, ACL_M_NET };
typedef void acl_mention_fn(void *ctx, enum acl_mention kind,
	    const char *name, uint32_t addr, uint32_t mask);
void acl_mentions(const struct acl *policy, acl_mention_fn *fn, void *ctx);

/*
 * Warnings that do not make a policy invalid: rules shadowed under
 * last-match, caller patterns that need more than the 11 characters the
 * protocol carries, patterns that match the empty string, the implicit
 * default.  Returns how many it reported.
 */
typedef void acl_warn_fn(void *ctx, const struct acl_err *w);
size_t acl_lint(const struct acl *policy, acl_warn_fn *fn, void *ctx);

/*
 * Like acl_parse_buf and acl_parse_file, but every error, up to 20, also
 * goes to fn (the first one also fills *err), for talkctl acl check.  The
 * legacy parser reports every bad line; YAML stops at the first error.
 */
typedef void acl_err_fn(void *ctx, const struct acl_err *e);
int  acl_parse_buf_all(const char *name, const char *buf, size_t len,
	    enum acl_fmt fmt, struct acl **out, struct acl_err *err,
	    acl_err_fn *fn, void *ctx);
int  acl_parse_file_all(const char *path, enum acl_fmt fmt, struct acl **out,
	    struct acl_err *err, acl_err_fn *fn, void *ctx);

#endif
