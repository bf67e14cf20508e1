/*
 * Request processing (SPEC.md 2-4).  The access decision comes first for
 * ANNOUNCE and LOOK_UP: a denied request is answered FAILED and learns
 * nothing else.
 *
 * Each handler fills the reply and a struct outcome (event, answer, names,
 * id, tty, host, reason, rule); process_request() then turns the outcome
 * into the request's one journal record in one place, outcome_jrec().
 * Expiry and malformed-packet records go through the same builder.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "talkd/talkd.h"

#define LOCAL_REFRESH_MS 10000

/*
 * What a request did: everything its journal record says.  The three
 * longer strings come last: outcome_init() zeroes what is before them.
 */
struct outcome {
	const char *event;		/* NULL: no record */
	int answer;			/* enum ctl_answer, -1: none */
	const char *reason;		/* static string, or NULL */
	char caller[NAME_SIZE + 1], callee[NAME_SIZE + 1];	/* "": none */
	uint8_t type;
	int has_type, has_id, is_new;	/* is_new -1: leave out */
	uint32_t id;
	unsigned long count;
	char tty[TTY_SIZE + 1], host[256], rule[192];	/* "": none */
};

static void
addrstr(uint32_t addr, char *out, size_t len)
{
	struct in_addr in = { htonl(addr) };

	inet_ntop(AF_INET, &in, out, (socklen_t)len);
}

/* Loopback, or one of this host's interface addresses (cached 10 s). */
int
process_is_local(struct server *s, uint32_t addr, int64_t now)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0, k;

	if ((addr >> 24) == 127)
		return 1;
	if (s->local == NULL || now - s->local_at > LOCAL_REFRESH_MS) {
		s->local_at = now;
		if (getifaddrs(&ifa) == 0) {
			uint32_t *l;
			for (i = ifa; i; i = i->ifa_next)
				if (i->ifa_addr && i->ifa_addr->sa_family ==
				    AF_INET)
					n++;
			if ((l = calloc(n ? n : 1, sizeof(*l))) != NULL) {
				n = 0;
				for (i = ifa; i; i = i->ifa_next)
					if (i->ifa_addr &&
					    i->ifa_addr->sa_family == AF_INET)
						l[n++] = ntohl(((struct
						    sockaddr_in *)i->ifa_addr)
						    ->sin_addr.s_addr);
				free(s->local);
				s->local = l;
				s->nlocal = n;
			}
			freeifaddrs(ifa);
		}
	}
	for (k = 0; k < s->nlocal; k++)
		if (s->local[k] == addr)
			return 1;
	return 0;
}

/* The outcome's journal record: one builder for every event. */
static void
outcome_jrec(const struct outcome *o, const struct sockaddr_in *src,
    struct jrec *r)
{
	memset(r, 0, sizeof(*r));
	r->event = o->event;
	r->src = src;
	r->caller = o->caller[0] ? o->caller : NULL;
	r->callee = o->callee[0] ? o->callee : NULL;
	r->type = o->has_type ? proto_type_str(o->type) : NULL;
	r->tty = o->tty[0] ? o->tty : NULL;
	r->host = o->host[0] ? o->host : NULL;
	r->id = o->id;
	r->has_id = o->has_id;
	r->is_new = o->is_new;
	r->answer = o->answer >= 0 ? proto_answer_str((unsigned)o->answer) :
	    NULL;
	r->reason = o->reason;
	r->rule = o->rule[0] ? o->rule : NULL;
	r->count = o->count;
}

/*
 * A name, address or rule for a -l log line, as the journal's settings
 * write them (talkd(8), PRIVACY): a log keeps no more than the journal.
 */
static void
log_name(const struct server *s, const char *name, char *out, size_t len)
{
	char k[JNAME_MAX];
	const char *n = journal_name(s->journal, name, k, sizeof(k));

	vis_str(out, len, n, strlen(n));
}

static void
log_rule(const struct server *s, const char *rule, char *out, size_t len)
{
	journal_rule(s->journal, rule, out, len);
}

/* 1: log this outcome's line (-l, and recorded at all). */
static int
logs(const struct server *s, const struct outcome *o)
{
	return s->logging && journal_wants(s->journal, o->event);
}

static void
record(struct server *s, const struct outcome *o,
    const struct sockaddr_in *src)
{
	struct jrec r;

	if (o->event == NULL)
		return;
	outcome_jrec(o, src, &r);
	journal_write(s->journal, &r);
}

/*
 * The record of a request, or of an entry's end, unless a flood has it
 * counted instead (flood.c): under a flood, repeats of one event from one
 * source, and everything past the window's budget, come out later as
 * counted flood.counted records, so the journal grows at a bounded rate.
 */
static void
record_flood(struct server *s, const struct outcome *o,
    const struct sockaddr_in *src, int64_t now)
{
	if (o->event == NULL || !journal_wants(s->journal, o->event))
		return;			/* not even counted */
	if (s->flood != NULL && src != NULL &&
	    !flood_admit(s->flood, o->event, ntohl(src->sin_addr.s_addr),
	    o->caller, o->callee, now))
		return;
	record(s, o, src);
}

static void
copy_name(char *dst, const char *src, size_t size)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
outcome_init(struct outcome *o)
{
	memset(o, 0, offsetof(struct outcome, tty));	/* not the 465 after */
	o->tty[0] = o->host[0] = o->rule[0] = '\0';
	o->answer = -1;
	o->is_new = -1;
}

/* The request's names and type, as most events record them. */
static void
outcome_request(struct outcome *o, const struct ctl_msg *m)
{
	copy_name(o->caller, m->l_name, sizeof(o->caller));
	copy_name(o->callee, m->r_name, sizeof(o->callee));
	o->type = m->type;
	o->has_type = 1;
}

static void
outcome_id(struct outcome *o, uint32_t id)
{
	o->id = id;
	o->has_id = 1;
}

/* The event, answer and reason; the reply carries the same answer. */
static void
outcome_set(struct outcome *o, struct ctl_resp *rp, const char *event,
    int answer, const char *reason)
{
	o->event = event;
	o->answer = answer;
	o->reason = reason;
	if (rp)
		rp->answer = (uint8_t)answer;
}

/* The table entry a request would store. */
static void
entry_from(struct invite *e, uint8_t type, const struct ctl_msg *m,
    const struct sockaddr_in *src, const char *tty)
{
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->pid = m->pid;
	memcpy(e->l_name, m->l_name, sizeof(e->l_name));
	memcpy(e->r_name, m->r_name, sizeof(e->r_name));
	memcpy(e->r_tty, tty, strnlen(tty, TTY_SIZE));
	e->addr = m->addr;
	e->src_addr = ntohl(src->sin_addr.s_addr);
}

static void
do_leave_invite(struct server *s, const struct ctl_msg *m,
    const struct sockaddr_in *src, struct ctl_resp *rp, struct outcome *o,
    int64_t now)
{
	uint32_t saddr = ntohl(src->sin_addr.s_addr);
	struct invite proto, *e;
	int is_new = 0;

	if (!process_is_local(s, saddr, now)) {
		outcome_request(o, m);
		outcome_set(o, rp, "invite.refused", FAILED,
		    "not a local sender");
		return;
	}
	if ((e = table_find(s->table, LEAVE_INVITE, m->pid, m->l_name,
	    m->r_name, now)) == NULL) {
		entry_from(&proto, LEAVE_INVITE, m, src, "");
		if ((e = table_insert(s->table, &proto, now)) == NULL) {
			outcome_request(o, m);
			outcome_set(o, rp, "invite.refused", FAILED,
			    "table full");
			return;
		}
		is_new = 1;
	} else
		e->addr = m->addr;	/* a re-send may carry a new port */
	rp->id_num = e->id;
	copy_name(o->caller, e->l_name, sizeof(o->caller));
	copy_name(o->callee, e->r_name, sizeof(o->callee));
	outcome_id(o, e->id);
	o->is_new = is_new;
	outcome_set(o, rp, "invite.left", SUCCESS, NULL);
}

static void
do_look_up(struct server *s, const struct ctl_msg *m,
    const struct sockaddr_in *src, struct ctl_resp *rp, struct outcome *o)
{
	struct invite *e;

	outcome_request(o, m);
	if ((e = table_lookup(s->table, m->l_name, m->r_name)) == NULL) {
		outcome_set(o, rp, "lookup.miss", NOT_HERE, NULL);
		return;
	}
	rp->id_num = e->id;
	rp->addr = e->addr;		/* unchanged, family AF_INET */
	outcome_id(o, e->id);
	outcome_set(o, rp, "lookup.hit", SUCCESS, NULL);
	if (logs(s, o)) {
		char a[INET_ADDRSTRLEN + 3], who[80], me[80];
		journal_addr(s->journal, ntohl(src->sin_addr.s_addr), a,
		    sizeof(a));
		log_name(s, o->caller, who, sizeof(who));
		log_name(s, o->callee, me, sizeof(me));
		log_info("%s talks to %s@%s", me, who, a);
	}
}

static void
do_delete(struct server *s, const struct ctl_msg *m,
    const struct sockaddr_in *src, struct ctl_resp *rp, struct outcome *o)
{
	struct invite *e = table_by_id(s->table, m->id_num);

	/* Only the sender that created an entry may delete it. */
	if (e == NULL || e->src_addr != ntohl(src->sin_addr.s_addr)) {
		outcome_id(o, m->id_num);
		outcome_set(o, rp, "delete.miss", NOT_HERE, NULL);
		return;
	}
	rp->id_num = e->id;
	/* The request names nobody: the entry does. */
	copy_name(o->caller, e->l_name, sizeof(o->caller));
	copy_name(o->callee, e->r_name, sizeof(o->callee));
	outcome_id(o, e->id);
	outcome_set(o, rp, "invite.deleted", SUCCESS, NULL);
	table_remove(s->table, e);
}

static const char *
refusal(int answer)
{
	switch (answer) {
	case NOT_HERE:
		return "not logged in";
	case PERMISSION_DENIED:
		return "refusing messages";
	default:
		return "ring failed";
	}
}

static void
do_announce(struct server *s, const struct ctl_msg *m,
    const struct sockaddr_in *src, struct ctl_resp *rp, struct outcome *o,
    int64_t now)
{
	uint32_t saddr = ntohl(src->sin_addr.s_addr);
	struct invite proto, *e;
	struct tty_choice tty;
	const struct pwent_c *pw;
	char banner[2048];
	time_t t;
	struct tm tm;
	size_t blen;
	int answer, rering = 0;

	outcome_request(o, m);
	e = table_find(s->table, ANNOUNCE, m->pid, m->l_name, m->r_name, now);
	if (e && !(m->id_num > e->id)) {
		/* A retransmission: same answer, no second ring. */
		rp->id_num = e->id;
		outcome_id(o, e->id);
		outcome_set(o, rp, "announce.duplicate", SUCCESS, NULL);
		return;
	}
	rering = e != NULL;

	if (!(pw = pwcache_get(s->pw, m->r_name, now))->found)
		answer = NOT_HERE;
	else
		answer = find_user(s->utmp, m->r_name, pw->uid, m->r_tty,
		    &tty);
	if (answer != SUCCESS) {
		copy_name(o->tty, m->r_tty, sizeof(o->tty));
		outcome_set(o, rp, "announce.refused", answer,
		    refusal(answer));
		return;
	}
	copy_name(o->tty, tty.line, sizeof(o->tty));
	/* Rings to one callee are rate-limited (ratelimit.c). */
	if (s->rings && !ratelimit_take(s->rings, m->r_name, now)) {
		rp->id_num = e ? e->id : 0;	/* it re-announces in 30 s */
		if (e)
			outcome_id(o, e->id);
		outcome_set(o, rp, "announce.limited", SUCCESS, "ring rate");
		return;
	}
	if (!rering) {
		entry_from(&proto, ANNOUNCE, m, src, tty.line);
		if ((e = table_insert(s->table, &proto, now)) == NULL) {
			outcome_set(o, rp, "announce.refused", FAILED,
			    "table full");
			return;
		}
	}
	resolver_name(s->resolver, saddr, o->host, sizeof(o->host), now);
	t = time(NULL);
	localtime_r(&t, &tm);
	blen = banner_build(banner, sizeof(banner), s->hostname, &tm,
	    m->l_name, o->host);
	answer = blen ? ringer_ring(s->ringer, tty.line, pw->uid, banner,
	    blen, now) : FAILED;
	if (answer != SUCCESS) {
		outcome_set(o, rp, "announce.refused", answer,
		    refusal(answer));
		if (!rering)
			table_remove(s->table, e);
		return;
	}
	if (rering)
		table_renew(s->table, e, now);
	rp->id_num = e->id;
	outcome_id(o, e->id);
	outcome_set(o, rp, rering ? "announce.rerung" : "announce.rung",
	    SUCCESS, NULL);
	if (logs(s, o)) {
		char who[80], me[80], h[256];
		log_name(s, o->caller, who, sizeof(who));
		log_name(s, o->callee, me, sizeof(me));
		if (journal_shows_host(s->journal))
			vis_str(h, sizeof(h), o->host, strlen(o->host));
		else
			journal_addr(s->journal, saddr, h, sizeof(h));
		log_info("%s@%s called by %s@%s", me, tty.line, who, h);
	}
}

/* The site and the callee decide ANNOUNCE and LOOK_UP first; 0: denied. */
static int
allowed(struct server *s, const struct ctl_msg *m,
    const struct sockaddr_in *src, struct ctl_resp *rp, struct outcome *o)
{
	struct decision d;
	char who[80], a[INET_ADDRSTRLEN + 3], rule[200];

	if (m->type != ANNOUNCE && m->type != LOOK_UP)
		return 1;
	policy_decide(s->policy, m->r_name, m->l_name,
	    ntohl(src->sin_addr.s_addr), &d);
	if (d.allow)
		return 1;
	outcome_request(o, m);
	outcome_set(o, rp, "request.denied", FAILED, d.reason);
	copy_name(o->rule, d.rule, sizeof(o->rule));
	if (logs(s, o)) {
		log_name(s, o->caller, who, sizeof(who));
		journal_addr(s->journal, ntohl(src->sin_addr.s_addr), a,
		    sizeof(a));
		log_rule(s, d.rule, rule, sizeof(rule));
		log_info("dropping request: %s@%s (%s by %s)", who, a,
		    d.reason, rule);
	}
	return 0;
}

/* Handle a request: fill the reply and its outcome; no journal I/O. */
static void
process_decide(struct server *s, const struct ctl_msg *m,
    const struct sockaddr_in *src, struct ctl_resp *rp, struct outcome *o,
    int64_t now)
{
	memset(rp, 0, sizeof(*rp));
	rp->vers = TALK_VERSION;
	rp->type = m->type;
	outcome_init(o);

	if (m->ctl_addr.addr != ntohl(src->sin_addr.s_addr) ||
	    m->ctl_addr.port != ntohs(src->sin_port)) {
		char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
		addrstr(m->ctl_addr.addr, a, sizeof(a));
		addrstr(ntohl(src->sin_addr.s_addr), b, sizeof(b));
		if (!journal_shows_host(s->journal))	/* no address */
			log_debug("ctl_addr differs from the source; "
			    "replying to the source");
		else
			log_debug("ctl_addr %s:%u differs from source %s:%u; "
			    "replying to the source", a, m->ctl_addr.port, b,
			    ntohs(src->sin_port));
	}
	if (!allowed(s, m, src, rp, o))
		return;

	switch (m->type) {
	case LEAVE_INVITE:
		do_leave_invite(s, m, src, rp, o, now);
		break;
	case LOOK_UP:
		do_look_up(s, m, src, rp, o);
		break;
	case DELETE:
		do_delete(s, m, src, rp, o);
		break;
	case ANNOUNCE:
		do_announce(s, m, src, rp, o, now);
		break;
	default:	/* proto_decode lets no other type through */
		rp->answer = UNKNOWN_REQUEST;
		break;
	}
}

void
process_request(struct server *s, const struct ctl_msg *m,
    const struct sockaddr_in *src, struct ctl_resp *rp, int64_t now)
{
	struct outcome o;

	process_decide(s, m, src, rp, &o, now);
	record_flood(s, &o, src, now);
}

void
process_flush_malformed(struct server *s, int64_t now, int force)
{
	size_t i;

	for (i = 0; i < sizeof(s->bad) / sizeof(s->bad[0]); i++) {
		struct malformed *b = &s->bad[i];
		struct outcome o;

		if (!b->why || b->count == 0 ||
		    (!force && now - b->last < 1000))
			continue;
		outcome_init(&o);
		outcome_set(&o, NULL, "packet.malformed", b->answer, b->why);
		o.count = b->count;
		record(s, &o, &b->src);
		b->count = 0;
		b->last = now;
	}
}

void
process_malformed(struct server *s, const struct sockaddr_in *src,
    const char *why, int answer, int64_t now)
{
	struct malformed *b = NULL;
	size_t i;

	for (i = 0; i < sizeof(s->bad) / sizeof(s->bad[0]); i++)
		if (s->bad[i].why == why || s->bad[i].why == NULL) {
			b = &s->bad[i];
			break;
		}
	if (!b)
		b = &s->bad[0];		/* more reasons than slots: share */
	if (b->why != why) {
		b->why = why;
		b->count = 0;
		b->last = 0;
	}
	b->count++;
	b->src = *src;
	b->answer = answer;
	process_flush_malformed(s, now, 0);
}

/*
 * The end of an entry, expired or evicted for a newer one, with the
 * address the entry came from (port 0), so that a flood's expiries are
 * counted like its requests.
 */
static void
jot_end(struct server *s, const char *event, const struct invite *e)
{
	struct outcome o;
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(e->src_addr);

	outcome_init(&o);
	o.event = event;
	copy_name(o.caller, e->l_name, sizeof(o.caller));
	copy_name(o.callee, e->r_name, sizeof(o.callee));
	o.type = e->type;
	o.has_type = 1;
	outcome_id(&o, e->id);
	record_flood(s, &o, &sin, now_ms());
}

static void
expired(void *ctx, const struct invite *e)
{
	jot_end(ctx, "invite.expired", e);
}

/* An entry the table gave up for a newer one (table.c fairness). */
void
process_evicted(void *ctx, const struct invite *e)
{
	jot_end(ctx, "invite.evicted", e);
}

/* One counted record of what flood.c held back. */
static void
flood_sum(void *ctx, const struct flood_sum *f)
{
	struct server *s = ctx;
	struct outcome o;
	struct sockaddr_in sin;

	outcome_init(&o);
	o.event = "flood.counted";
	o.reason = f->event;
	o.count = f->count;
	copy_name(o.caller, f->caller, sizeof(o.caller));
	copy_name(o.callee, f->callee, sizeof(o.callee));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(f->src);
	record(s, &o, f->has_src ? &sin : NULL);
}

void
process_flush_flood(struct server *s, int64_t now, int force)
{
	if (s->flood != NULL)
		(void)flood_flush(s->flood, now, force, flood_sum, s);
}

void
process_expire(struct server *s, int64_t now)
{
	table_expire(s->table, now, expired, s);
}
