/*
 * libacl internals: the rule model shared by the parsers, the evaluator,
 * the cache and the YAML writer.  Not installed; only the acl sources and the unit
 * tests include it.
 */
#ifndef TALKD_ACL_INT_H
#define TALKD_ACL_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "acl/acl.h"

#define ACL_FILE_MAX	(16u * 1024 * 1024)	/* site policy or cache */
#define ACL_LINE_MAX	65536u		/* one legacy line */
#define ACL_PAT_MAX	4096u		/* one pattern, bytes */
#define ACL_NAME_MAX	256u		/* one user or network name */
#define ACL_MAX_ERRS	20		/* errors reported before giving up */
#define ACL_PROTO_NAME	11		/* name bytes the protocol carries */

enum acl_kind {
	ACL_K_ANY = 0,			/* no user condition */
	ACL_K_LIT,			/* exact names (YAML users:) */
	ACL_K_BRE,			/* POSIX BRE (legacy, YAML user:) */
	ACL_K_PCRE			/* PCRE2 pattern (YAML match:) */
};

struct acl_net {
	uint32_t addr, mask;		/* host order; addr has no host bits */
};

struct acl_rule {
	struct acl_rule_ref ref;	/* points at id, text, the set's file */
	char *id, *text;
	enum acl_kind kind;
	char *pat;			/* BRE or PCRE source (BRE, PCRE) */
	unsigned pline, pcol;		/* where pat starts; 0 = not known */
	pcre2_code *re;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	int dfa;			/* match with pcre2_dfa_match */
	char **names;			/* LIT: sorted, unique */
	size_t nnames;
	char **from;			/* the from tokens as written */
	size_t nfrom;
	struct acl_net *nets;		/* resolved; 0 = any */
	size_t nnets;
};

struct acl_lit {			/* literal index of one rule set */
	const char *name;
	size_t rule;
};

struct acl_lslot {			/* one literal name in the hash */
	uint32_t hash;			/* of the name */
	uint32_t n;			/* its index entries; 0 = empty slot */
	size_t lo;			/* first of them in lits */
};

/*
 * A rule set and its index (acl_set_index, rebuilt after every parse and
 * cache load, never stored): lits lists (name, rule) for every literal
 * name, sorted, so one name's rules are a run in ascending rule order;
 * slots hashes each name to its run; other lists the rules that are not
 * literal (any-user and patterns) in ascending order.  nindexed is n when
 * the index was built: a set changed since is evaluated linearly.
 */
struct acl_set {
	char *file;			/* rule refs point at it */
	struct acl_rule *rules;
	size_t n, cap;
	struct acl_lit *lits;		/* sorted by (name, rule) */
	size_t nlits;
	struct acl_lslot *slots;	/* open addressing, nslots a power of 2 */
	size_t nslots;
	size_t *other;			/* non-literal rules, ascending */
	size_t nother;
	size_t nindexed;
};

struct acl_netdef {
	char *name;
	struct acl_net *nets;
	size_t n;
};

struct acl_uset {			/* YAML users: one callee's rules */
	char *user;
	struct acl_set set;
};

struct acl_trc {			/* a compiled ~/.talkrc copy */
	char *user;
	struct acl_stamp stamp;
	struct acl *rc;
};

struct acl_tcase {
	struct acl_test t;		/* caller, callee point at the copies */
	char *caller, *callee;
};

struct acl {
	int strict;
	int forced;			/* -1, or ACL_R_INSECURE/BAD_TALKRC */
	char *file;
	struct acl_set site;		/* site rules, or a talkrc's rules */
	struct acl_netdef *nets;
	size_t nnets;
	struct acl_uset *users;		/* sorted by user */
	size_t nusers;
	struct acl_trc *trcs;		/* sorted by user */
	size_t ntrcs;
	struct acl_tcase *tests;
	size_t ntests;
};

/* Error sink: the first error fills *first; up to ACL_MAX_ERRS go to fn. */
struct acl_errs {
	struct acl_err *first;
	acl_err_fn *fn;
	void *ctx;
	int n;
};
void acl_errf(struct acl_errs *, const char *file, unsigned line,
	    unsigned col, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
void acl_err_set(struct acl_err *, const char *file, unsigned line,
	    unsigned col, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* acl.c: model */
struct acl *acl_new(const char *file);
char *acl_strdup(const char *);
char *acl_strndup(const char *, size_t);
struct acl_rule *acl_set_add(struct acl_set *);
int  acl_rule_compile(struct acl_rule *, char *msg, size_t msgsz,
	    size_t *erroff);
int  acl_rule_render(struct acl_rule *);
int  acl_set_index(struct acl_set *);
void acl_set_free(struct acl_set *);
int  acl_set_deny_all(struct acl *, enum acl_reason);
int  acl_policy_finish(struct acl *, char *msg, size_t msgsz);
const struct acl_set *acl_user_set(const struct acl *, const char *user);
int  acl_names_sort(char **names, size_t *n);
int  acl_is_catch_all(const struct acl_rule *);
int  acl_read_fd(int fd, const char *name, size_t max, char **buf,
	    size_t *len, struct acl_err *err);
int  acl_read_file(const char *path, size_t max, char **buf, size_t *len,
	    struct acl_err *err);

/* acl_text.c: legacy format, BRE translation, net-exps */
int  acl_bre_to_pcre(const char *bre, size_t len, char **out,
	    unsigned **map, size_t *erroff, char *msg, size_t msgsz);
int  acl_bre_compile(const char *bre, pcre2_code **re, size_t *erroff,
	    char *msg, size_t msgsz);
int  acl_net_parse(const char *tok, struct acl_net *net, size_t *erroff,
	    char *msg, size_t msgsz);
int  acl_bre_dfa(const pcre2_code *re);
int  acl_re_exec(const pcre2_code *re, pcre2_match_data *md,
	    pcre2_match_context *mc, int dfa, const char *s, size_t len);
int  acl_re_run(const pcre2_code *re, pcre2_match_data *md,
	    pcre2_match_context *mc, int dfa, const char *s, size_t len,
	    unsigned long *left);
int  acl_net_name_ok(const char *);
int  acl_ipv4_parse(const char *s, size_t len, uint32_t *addr);
int  acl_parse_legacy(const char *name, const char *buf, size_t len,
	    struct acl **out, struct acl_errs *errs);
int  acl_is_talkrc(const char *name);
void acl_rules_limit(const struct acl_set *, const char *name,
	    struct acl_errs *);
unsigned acl_col(const char *line, size_t off);

/* acl_yaml.c */
int  acl_parse_yaml(const char *name, const char *buf, size_t len,
	    struct acl **out, struct acl_errs *errs);

/* acl_cache.c */
int  acl_cache_parse(const char *name, const unsigned char *buf, size_t len,
	    struct acl **out, struct acl_err *err);
void acl_cache_seal(unsigned char *img, size_t len);	/* len >= 64 */
int  acl_cache_image(const struct acl *, unsigned char **img, size_t *len);
#define ACL_CACHE_MAGIC "TALKACL\x01"

#endif
