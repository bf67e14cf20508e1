/*
 * talkd: a minimal ntalk daemon (talk protocol version 1, UDP 518).
 * Modules: proto.c (codec), table.c (invitations), announce.c (utmp, tty
 * choice, banner), ringer.c (tty writes), resolve.c (caller host names),
 * policy.c (ACL), pwcache.c (accounts), journal.c (audit records),
 * process.c (requests), privsep.c (privilege drop), opener.c (the ~/.talkrc
 * opener, declared in privsep.h), watch.c (change detection), log.c (and
 * now_ms), talkd.c (options, sockets, loop).
 */
#ifndef TALKD_H
#define TALKD_H

#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* ---- proto.c: the wire format (SPEC.md 1) ------------------------------- */
#define CTL_MSG_SIZE	84
#define CTL_RESP_SIZE	24
#define NAME_SIZE	12
#define TTY_SIZE	16
#define TALK_VERSION	1

enum ctl_type { LEAVE_INVITE = 0, LOOK_UP = 1, DELETE = 2, ANNOUNCE = 3 };
enum ctl_answer {
	SUCCESS = 0, NOT_HERE, FAILED, MACHINE_UNKNOWN, PERMISSION_DENIED,
	UNKNOWN_REQUEST, BADVERSION, BADADDR, BADCTLADDR
};
#define OSA_AF_INET 2			/* AF_INET on the wire, big-endian u16 */

struct osa {				/* 4.3BSD osockaddr, host byte order */
	uint16_t family, port;
	uint32_t addr;
};

struct ctl_msg {			/* decoded CTL_MSG, host byte order */
	uint8_t vers, type, answer, pad;
	uint32_t id_num;
	struct osa addr, ctl_addr;
	int32_t pid;
	char l_name[NAME_SIZE + 1];	/* always NUL-terminated */
	char r_name[NAME_SIZE + 1];
	char r_tty[TTY_SIZE + 1];
};

struct ctl_resp {
	uint8_t vers, type, answer;
	uint32_t id_num;
	struct osa addr;
};

enum proto_status {
	PROTO_OK = 0,
	PROTO_DROP,			/* wrong length: no reply, count it */
	PROTO_REPLY			/* reply with *answer and nothing else */
};

/*
 * Decode n bytes.  PROTO_DROP for n != 84.  PROTO_REPLY with *answer set to
 * BADVERSION, UNKNOWN_REQUEST, BADCTLADDR, BADADDR or FAILED (a name with a
 * byte outside printable ASCII); *why names the problem for the journal.
 * msg is filled as far as it could be (type is always valid for the reply).
 */
enum proto_status proto_decode(const void *buf, size_t n, struct ctl_msg *msg,
	    enum ctl_answer *answer, const char **why);
void proto_encode(const struct ctl_msg *msg, uint8_t out[CTL_MSG_SIZE]);
void proto_encode_resp(const struct ctl_resp *r, uint8_t out[CTL_RESP_SIZE]);
int  proto_decode_resp(const void *buf, size_t n, struct ctl_resp *r);
const char *proto_type_str(unsigned type);	/* "LEAVE_INVITE", "UNKNOWN" */
const char *proto_answer_str(unsigned answer);	/* "SUCCESS", ... */

/* ---- table.c: invitations ----------------------------------------------- */
struct invite {
	uint32_t id;
	uint8_t type;			/* LEAVE_INVITE or ANNOUNCE */
	int32_t pid;
	char l_name[NAME_SIZE + 1], r_name[NAME_SIZE + 1];
	char r_tty[TTY_SIZE + 1];
	struct osa addr;		/* TCP rendezvous address, as sent */
	uint32_t src_addr;		/* packet source, host order */
	int64_t touched;		/* monotonic ms of last insert or refresh */
	/* private links */
	struct invite *h_next[3], **h_pprev[3];
	struct invite *lru_next, *lru_prev;
	struct invite *src_next, *src_prev;
	struct tsrc *src;
};

struct table;
/*
 * Caps.  A source at max_per_source gives up its own least recently touched
 * entry for a new one.  A full table (max_entries) gives up the least
 * recently touched entry of the largest source of the largest /24, unless
 * the requester's /24 is as large: then the largest source of its own /24
 * pays.  So inserts succeed (NULL only when out of memory).
 */
struct table_limits {
	size_t max_entries;		/* global cap */
	size_t max_per_source;		/* cap per source IPv4 address */
	int64_t ttl_ms;			/* entry life after its last touch */
};

struct table *table_new(const struct table_limits *);
void table_free(struct table *);
/* Exact match on (type, pid, l_name, r_name); refreshes touched on a hit. */
struct invite *table_find(struct table *, uint8_t type, int32_t pid,
	    const char *l_name, const char *r_name, int64_t now);
/* Newest LEAVE_INVITE with l_name == inviter and r_name == asker. */
struct invite *table_lookup(struct table *, const char *asker,
	    const char *inviter);
struct invite *table_by_id(struct table *, uint32_t id);
/*
 * Insert a copy of *proto with a fresh id, evicting one entry when a cap is
 * reached; NULL when out of memory.
 */
struct invite *table_insert(struct table *, const struct invite *proto,
	    int64_t now);
/* fn (NULL: none) sees each entry an insert evicts, before it goes. */
void table_set_evict(struct table *,
	    void (*fn)(void *, const struct invite *), void *ctx);
/* Give an entry a new id (re-announce) and refresh it. */
void table_renew(struct table *, struct invite *, int64_t now);
void table_remove(struct table *, struct invite *);
/* Remove entries older than ttl; fn (may be NULL) sees each before it goes. */
size_t table_expire(struct table *, int64_t now,
	    void (*fn)(void *, const struct invite *), void *ctx);
size_t table_count(const struct table *);
/* Entries from one source address, and from its /24. */
size_t table_count_src(const struct table *, uint32_t addr);
size_t table_count_net(const struct table *, uint32_t addr);
/* Milliseconds until the next entry expires, -1 when empty. */
int64_t table_next_expiry(const struct table *, int64_t now);

/* ---- ratelimit.c: rings per callee ------------------------------------- */
struct ratelimit;
/*
 * At most burst rings per name in any period_ms, then one every
 * period_ms / burst; memory for about slots names rung at once.  NULL on
 * bad arguments or no memory.
 */
struct ratelimit *ratelimit_new(size_t slots, unsigned burst,
	    int64_t period_ms);
void ratelimit_free(struct ratelimit *);
/* 1: name may be rung now (counted); 0: limited (not counted). */
int  ratelimit_take(struct ratelimit *, const char *name, int64_t now);

/* ---- flood.c: journal records under a flood, counted ------------------ */
struct flood;
struct flood_limits {
	int64_t window_ms;		/* counting window; default 10000 */
	unsigned per_key;		/* in full per (event, source); 8 */
	unsigned budget;		/* in full per window in all; 100 */
	size_t slots;			/* (event, source) keys counted; 256 */
	unsigned calm;			/* first records of a window all in
					   full; 200; at most budget */
};
#define FLOOD_DEFAULTS { 10000, 8, 300, 256, 200 }
#define FLOOD_EVENTS 16			/* events counted without source */
struct flood_sum {			/* one counted record */
	const char *event;		/* the event counted, or "*" */
	const char *caller, *callee;	/* the key's names, "" when none;
					   valid during the callback only */
	uint32_t src;			/* host order, when has_src */
	int has_src;
	unsigned long count;		/* records not written in full */
};
struct flood *flood_new(const struct flood_limits *);
void flood_free(struct flood *);
/*
 * 1: write this record (event from src, about caller and callee; NULL
 * for none) now; 0: it was counted and will come out of flood_flush.
 * event must outlive the window (a literal).
 */
int  flood_admit(struct flood *, const char *event, uint32_t src,
	    const char *caller, const char *callee, int64_t now);
/*
 * When the window has ended (or force): fn sees each counted record, the
 * counts are cleared and the next window starts with the next admit.
 * Returns the records handed out.
 */
size_t flood_flush(struct flood *, int64_t now, int force,
	    void (*fn)(void *, const struct flood_sum *), void *ctx);
/* Milliseconds until flood_flush has work, -1 when nothing is pending. */
int64_t flood_next_flush(const struct flood *, int64_t now);

/* ---- announce.c: utmp, tty choice, banner ----------------------------- */
struct tty_choice {
	char line[TTY_SIZE + 1];	/* "pts/3" */
};
/*
 * utmp sessions, re-read only when the file changes (fstat identity).
 */
struct utmp_cache;
struct utmp_cache *utmp_cache_new(const char *path);
void utmp_cache_free(struct utmp_cache *);
/*
 * Find the callee's tty (USER_PROCESS entries of user whose /dev/<line> is
 * owned by uid).  With an empty want: the group-writable tty with the
 * largest atime.  Returns SUCCESS, NOT_HERE (no session, or want is not one
 * of the user's lines), PERMISSION_DENIED (all sessions mesg n) or FAILED.
 */
enum ctl_answer find_user(struct utmp_cache *, const char *user, uid_t uid,
	    const char *want, struct tty_choice *out);
/* A utmp line usable as /dev/<line>: printable, no "..", not absolute. */
int tty_line_ok(const char *line);
/* Escape bytes outside printable ASCII as octal \ooo and \ as \\; bounded. */
size_t vis_str(char *dst, size_t dstlen, const char *src, size_t srclen);
/*
 * Build the banner: BEL CR LF, then the five lines padded to equal width,
 * CR LF line ends.  Every field is escaped.  Returns its length or 0 when
 * it would not fit.
 */
size_t banner_build(char *buf, size_t len, const char *thishost,
	    const struct tm *when, const char *caller, const char *callerhost);

/* ---- ringer.c: pending tty writes, drained without ever blocking -------- */
struct ringer;
struct ringer *ringer_new(size_t max_pending, int64_t write_timeout_ms);
void ringer_free(struct ringer *);
/*
 * Open /dev/<line> (O_WRONLY|O_NOCTTY|O_NONBLOCK|O_NOFOLLOW), check the
 * descriptor (character device, group-writable, owned by uid when uid is
 * not (uid_t)-1) and write msg, queueing what the tty does not take at once.
 * Returns SUCCESS, PERMISSION_DENIED or FAILED.
 */
enum ctl_answer ringer_ring(struct ringer *, const char *line, uid_t uid,
	    const char *msg, size_t len, int64_t now);
/* pollfd interface for the loop. */
size_t ringer_pollfds(struct ringer *, struct pollfd *, size_t max);
void ringer_service(struct ringer *, const struct pollfd *, size_t n,
	    int64_t now);
int64_t ringer_next_deadline(const struct ringer *, int64_t now);
size_t ringer_pending(const struct ringer *);

/* ---- resolve.c: caller host names, forward-confirmed, bounded wait -------- */
struct resolver;
struct resolver *resolver_new(int enabled, int timeout_ms, size_t cache_max);
void resolver_free(struct resolver *);
/* Confirmed name of addr (host order), or the dotted address. */
void resolver_name(struct resolver *, uint32_t addr, char *out, size_t len,
	    int64_t now);

/* ---- journal.c --------------------------------------------------------- */
struct journal;
struct jrec {				/* NULL or 0 fields are left out */
	const char *event;
	const char *caller, *callee, *tty, *type, *answer, *rule, *reason;
	const char *host, *msg;
	const char *node;		/* this host; written after ts */
	const struct sockaddr_in *src;
	int src_mode;			/* enum rec_addr: how src is written */
	uint32_t id;
	int has_id;
	int is_new;			/* -1: leave out */
	unsigned long count;
};
struct journal *journal_open(const char *path);	/* NULL path: off */
/*
 * What the journal writes of a record (talkd(8), PRIVACY); applied to
 * every record, before it is written to the file or to syslog.
 */
enum rec_addr { REC_ADDR_FULL, REC_ADDR_NET, REC_ADDR_NONE };
struct jprivacy {
	int addr;			/* --record-address: enum rec_addr */
	const unsigned char *key;	/* --record-names keyed; NULL: plain */
	size_t keylen;
	int success;			/* --record-success yes: 1 */
	int syslog;			/* --journal-syslog: 1 */
};
#define JNAME_MAX	(2 + 64 + 1)	/* "k:" HMAC-SHA256 in hex, NUL */
/* Take the settings; the key is not kept, only an HMAC state set with it. */
void journal_set_privacy(struct journal *, const struct jprivacy *);
/* 0: the settings leave event out (--record-success no). */
int  journal_wants(const struct journal *, const char *event);
/* name as records and logs show it: itself, or "k:" and its keyed hash. */
const char *journal_name(const struct journal *, const char *name,
	    char *out, size_t len);
/* addr (host order) as logs show it: a.b.c.d, a.b.c.0/24, or "-". */
void journal_addr(const struct journal *, uint32_t addr, char *out,
	    size_t len);
/* rule as records and logs show it: a ~/.talkrc's home left out when keyed. */
void journal_rule(const struct journal *, const char *rule, char *out,
	    size_t len);
/* 1: records and logs show the caller's host name (--record-address full). */
int  journal_shows_host(const struct journal *);
/* "k:" and the hex of HMAC-SHA256(key, name) into out (JNAME_MAX). */
void name_keyed(const unsigned char *key, size_t keylen, const char *name,
	    char *out);
/* A record; written at once, or at journal_commit() inside a batch. */
void journal_write(struct journal *, const struct jrec *);
/* Batch the records until journal_commit(), which writes them at once. */
void journal_begin(struct journal *);
void journal_commit(struct journal *);
/* Switch to the path when it names a new file (SIGHUP); else keep on. */
void journal_reopen(struct journal *);
/* Give the journal to the user the daemon will run as (before the drop). */
void journal_chown(struct journal *, uid_t);
void journal_close(struct journal *);
/* Encode one record (no I/O): length, or 0 when it would exceed len. */
size_t journal_encode(char *buf, size_t len, const char *run,
	    unsigned long long seq, const struct timespec *ts,
	    const struct jrec *);

/* ---- pwcache.c: local accounts, cached (no passwd read per request) ---- */
struct pwent_c {
	char name[NAME_SIZE + 1];
	int used, found;		/* found: the account exists */
	uid_t uid;
	gid_t gid;
	char *home;
	int64_t at, last;		/* looked up; last used */
};
struct pwcache;
/* FNV-1a of a user name: where the account caches (here and in policy.c)
 * look a name up. */
static inline uint32_t
name_hash(const char *name)
{
	uint32_t h = 2166136261U;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619U;
	return h;
}
struct pwcache *pwcache_new(size_t max, int64_t ttl_ms);
void pwcache_free(struct pwcache *);
/* The account for name (found == 0: none); valid until the next call. */
const struct pwent_c *pwcache_get(struct pwcache *, const char *name,
	    int64_t now);

/* ---- policy.c: access control (SPEC.md 4) --------------------------------- */
struct policy;
struct decision {
	int allow;
	const char *reason;		/* "site-allow", "site-deny", ... */
	char rule[192];			/* acl_rule_ref_str of the deciding
					   rule, for a denial only ("" else) */
};
/*
 * Decide a request for local user callee from caller at addr (host order).
 * A NULL policy is the embedded default: allow everything (non-strict).
 */
void policy_decide(struct policy *, const char *callee, const char *caller,
	    uint32_t addr, struct decision *);
/*
 * Site policy from a compiled cache (watched for changes) or a legacy file
 * (-a, re-read on SIGHUP).  cache_required: the cache must load (it was
 * named explicitly); otherwise a missing cache means the embedded default
 * until one appears.  opener: channel of the ~/.talkrc opener, or -1.
 * NULL when no good policy can be had: the daemon refuses to start.
 */
struct policy *policy_new(const char *cache_path, int cache_required,
	    const char *legacy_path, int strict, int opener,
	    struct pwcache *pw);
/*
 * Pick up a changed cache (told by inotify; checked once a second where it
 * cannot be watched), or force.
 */
void policy_reload(struct policy *, int64_t now, int force);
void policy_free(struct policy *);
struct stat;
const char *policy_source(const struct policy *, const char **path,
	    struct stat *);

/* ---- status.c: the status file talkctl status reads (talkd(8)) ----------- */
struct server;
struct status;
struct status_info {			/* what does not change while running */
	const char *path, *user, *mode, *listen, *journal, *state_dir;
};
struct status *status_new(const struct status_info *, uid_t owner);
/* Rewrite the file (atomically) when something shown changed, at most once
 * a second; force: now, e.g. "stopped" on the way out. */
void status_update(struct status *, struct server *, int64_t now,
	    const char *state);
void status_free(struct status *);

/* ---- process.c: requests ------------------------------------------------- */
struct server {
	struct table *table;
	struct ringer *ringer;
	struct flood *flood;		/* journal records counted under flood */
	struct ratelimit *rings;	/* flood: NULL = rings not limited */
	struct resolver *resolver;
	struct journal *journal;
	struct utmp_cache *utmp;
	struct policy *policy;
	struct pwcache *pw;
	struct status *status;		/* NULL: no status file */
	char hostname[256];
	int logging;			/* -l: log requests */
	/* this host's addresses, for LEAVE_INVITE */
	uint32_t *local;
	size_t nlocal;
	int64_t local_at;
	/* malformed packets: one journal record per reason per second */
	struct malformed {
		const char *why;
		unsigned long count;
		int64_t last;
		struct sockaddr_in src;
		int answer;		/* -1: no reply */
	} bad[8];
};

/* Handle a request: fill the reply, then write its one journal record. */
void process_request(struct server *, const struct ctl_msg *,
	    const struct sockaddr_in *src, struct ctl_resp *, int64_t now);
/* A packet that does not decode; answer is -1 when it gets no reply. */
void process_malformed(struct server *, const struct sockaddr_in *src,
	    const char *why, int answer, int64_t now);
void process_flush_malformed(struct server *, int64_t now, int force);
/* Write the counted records of a flood window that has ended (or force). */
void process_flush_flood(struct server *, int64_t now, int force);
void process_expire(struct server *, int64_t now);
/* flood: journal an entry evicted by table_insert (table_set_evict). */
void process_evicted(void *server, const struct invite *);
int  process_is_local(struct server *, uint32_t addr, int64_t now);

/* ---- log.c --------------------------------------------------------------- */
void log_init(int foreground, int verbose);
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/* ---- watch.c: change detection that costs nothing per request ------------- */
#include <signal.h>
extern volatile sig_atomic_t watch_gen;	/* bumped by the SIGIO handler */
/*
 * Make fd (an inotify descriptor) raise SIGIO on every queued event, owned
 * by this process; installs the handler once (SA_RESTART).  0 or -1.
 */
int  watch_async(int fd);
/*
 * 1 when watch_gen moved since *seen (and *seen catches up), else 0.  Call
 * it, then drain the descriptor until EAGAIN: an event queued meanwhile
 * moves the counter again, so nothing is missed.
 */
int  watch_moved(sig_atomic_t *seen);

/* ---- log.c: time --------------------------------------------------------- */
int64_t now_ms(void);			/* CLOCK_MONOTONIC, milliseconds */

#endif
