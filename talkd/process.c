/*
 * Request processing (SPEC.md 2-4).  The access decision comes first for
 * ANNOUNCE and LOOK_UP: a denied request is answered FAILED and learns
 * nothing else.  Every event goes to the journal.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "talkd/talkd.h"

#define LOCAL_REFRESH_MS 10000

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

/* One journal record; NULL or negative arguments are left out. */
static void
jot(struct server *s, const char *event, const struct ctl_msg *m,
    const struct sockaddr_in *src, const struct invite *e, int answer,
    const char *tty, const char *host, const char *reason)
{
	struct jrec r;

	memset(&r, 0, sizeof(r));
	r.event = event;
	r.is_new = -1;
	r.src = src;
	if (m) {
		r.caller = m->l_name;
		r.callee = m->r_name;
		r.type = proto_type_str(m->type);
	}
	if (e) {
		if (!m) {		/* DELETE: the request names nobody */
			r.caller = e->l_name;
			r.callee = e->r_name;
		}
		r.id = e->id;
		r.has_id = 1;
	}
	r.answer = answer >= 0 ? proto_answer_str((unsigned)answer) : NULL;
	r.tty = tty && tty[0] ? tty : NULL;
	r.host = host;
	r.reason = reason;
	journal_write(s->journal, &r);
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
    const struct sockaddr_in *src, struct ctl_resp *rp, int64_t now)
{
	uint32_t saddr = ntohl(src->sin_addr.s_addr);
	struct invite proto, *e;
	struct jrec r;
	int is_new = 0;

	if (!process_is_local(s, saddr, now)) {
		rp->answer = FAILED;
		jot(s, "invite.refused", m, src, NULL, FAILED, NULL,
		    NULL, "not a local sender");
		return;
	}
	if ((e = table_find(s->table, LEAVE_INVITE, m->pid, m->l_name,
	    m->r_name, now)) == NULL) {
		entry_from(&proto, LEAVE_INVITE, m, src, "");
		if ((e = table_insert(s->table, &proto, now)) == NULL) {
			rp->answer = FAILED;
			jot(s, "invite.refused", m, src, NULL, FAILED, NULL,
			    NULL, "table full");
			return;
		}
		is_new = 1;
	} else
		e->addr = m->addr;	/* a re-send may carry a new port */
	rp->answer = SUCCESS;
	rp->id_num = e->id;
	memset(&r, 0, sizeof(r));
	r.event = "invite.left";
	r.caller = e->l_name;
	r.callee = e->r_name;
	r.src = src;
	r.id = e->id;
	r.has_id = 1;
	r.is_new = is_new;
	r.answer = "SUCCESS";
	journal_write(s->journal, &r);
}

static void
do_look_up(struct server *s, const struct ctl_msg *m,
    const struct sockaddr_in *src, struct ctl_resp *rp)
{
	struct invite *e;

	if ((e = table_lookup(s->table, m->l_name, m->r_name)) == NULL) {
		rp->answer = NOT_HERE;
		jot(s, "lookup.miss", m, src, NULL, NOT_HERE, NULL, NULL, NULL);
		return;
	}
	rp->answer = SUCCESS;
	rp->id_num = e->id;
	rp->addr = e->addr;		/* unchanged, family AF_INET */
	jot(s, "lookup.hit", m, src, e, SUCCESS, NULL, NULL, NULL);
	if (s->logging) {
		char a[INET_ADDRSTRLEN], who[64], me[64];
		addrstr(ntohl(src->sin_addr.s_addr), a, sizeof(a));
		vis_str(who, sizeof(who), m->l_name, NAME_SIZE);
		vis_str(me, sizeof(me), m->r_name, NAME_SIZE);
		log_info("%s talks to %s@%s", me, who, a);
	}
}

static void
do_delete(struct server *s, const struct ctl_msg *m,
    const struct sockaddr_in *src, struct ctl_resp *rp)
{
	struct invite *e = table_by_id(s->table, m->id_num);
	struct jrec r;

	/* Only the sender that created an entry may delete it. */
	if (e == NULL || e->src_addr != ntohl(src->sin_addr.s_addr)) {
		rp->answer = NOT_HERE;
		memset(&r, 0, sizeof(r));
		r.event = "delete.miss";
		r.is_new = -1;
		r.src = src;
		r.id = m->id_num;
		r.has_id = 1;
		r.answer = "NOT_HERE";
		journal_write(s->journal, &r);
		return;
	}
	rp->answer = SUCCESS;
	rp->id_num = e->id;
	jot(s, "invite.deleted", NULL, src, e, SUCCESS, NULL, NULL, NULL);
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
    const struct sockaddr_in *src, struct ctl_resp *rp, int64_t now)
{
	uint32_t saddr = ntohl(src->sin_addr.s_addr);
	struct invite proto, *e;
	struct tty_choice tty;
	const struct pwent_c *pw;
	char host[256], banner[2048];
	time_t t;
	struct tm tm;
	size_t blen;
	int answer, rering = 0;

	e = table_find(s->table, ANNOUNCE, m->pid, m->l_name, m->r_name, now);
	if (e && !(m->id_num > e->id)) {
		/* A retransmission: same answer, no second ring. */
		rp->answer = SUCCESS;
		rp->id_num = e->id;
		jot(s, "announce.duplicate", m, src, e, SUCCESS,
		    NULL, NULL, NULL);
		return;
	}
	rering = e != NULL;

	if (!(pw = pwcache_get(s->pw, m->r_name, now))->found)
		answer = NOT_HERE;
	else
		answer = find_user(s->utmp, m->r_name, pw->uid, m->r_tty,
		    &tty);
	if (answer != SUCCESS) {
		rp->answer = (uint8_t)answer;
		jot(s, "announce.refused", m, src, NULL, answer,
		    m->r_tty, NULL, refusal(answer));
		return;
	}
	/* flood: rings to one callee are rate-limited (ratelimit.c). */
	if (s->rings && !ratelimit_take(s->rings, m->r_name, now)) {
		rp->answer = SUCCESS;	/* the client re-announces in 30 s */
		rp->id_num = e ? e->id : 0;
		jot(s, "announce.limited", m, src, e, SUCCESS, tty.line,
		    NULL, "ring rate");
		return;
	}
	if (!rering) {
		entry_from(&proto, ANNOUNCE, m, src, tty.line);
		if ((e = table_insert(s->table, &proto, now)) == NULL) {
			rp->answer = FAILED;
			jot(s, "announce.refused", m, src, NULL,
			    FAILED, tty.line, NULL, "table full");
			return;
		}
	}
	resolver_name(s->resolver, saddr, host, sizeof(host), now);
	t = time(NULL);
	localtime_r(&t, &tm);
	blen = banner_build(banner, sizeof(banner), s->hostname, &tm,
	    m->l_name, host);
	answer = blen ? ringer_ring(s->ringer, tty.line, pw->uid, banner,
	    blen, now) : FAILED;
	if (answer != SUCCESS) {
		rp->answer = (uint8_t)answer;
		jot(s, "announce.refused", m, src, NULL, answer,
		    tty.line, host, refusal(answer));
		if (!rering)
			table_remove(s->table, e);
		return;
	}
	if (rering)
		table_renew(s->table, e, now);
	rp->answer = SUCCESS;
	rp->id_num = e->id;
	jot(s, rering ? "announce.rerung" : "announce.rung", m, src,
	    e, SUCCESS, tty.line, host, NULL);
	if (s->logging) {
		char who[64], me[64], h[256];
		vis_str(who, sizeof(who), m->l_name, NAME_SIZE);
		vis_str(me, sizeof(me), m->r_name, NAME_SIZE);
		vis_str(h, sizeof(h), host, strlen(host));
		log_info("%s@%s called by %s@%s", me, tty.line, who, h);
	}
}

void
process_request(struct server *s, const struct ctl_msg *m,
    const struct sockaddr_in *src, struct ctl_resp *rp, int64_t now)
{
	memset(rp, 0, sizeof(*rp));
	rp->vers = TALK_VERSION;
	rp->type = m->type;

	if (m->ctl_addr.addr != ntohl(src->sin_addr.s_addr) ||
	    m->ctl_addr.port != ntohs(src->sin_port)) {
		char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
		addrstr(m->ctl_addr.addr, a, sizeof(a));
		addrstr(ntohl(src->sin_addr.s_addr), b, sizeof(b));
		log_debug("ctl_addr %s:%u differs from source %s:%u; "
		    "replying to the source", a, m->ctl_addr.port, b,
		    ntohs(src->sin_port));
	}

	if (m->type == ANNOUNCE || m->type == LOOK_UP) {
		struct decision d;

		policy_decide(s->policy, m->r_name, m->l_name,
		    ntohl(src->sin_addr.s_addr), &d);
		if (!d.allow) {
			struct jrec r;
			char who[64], a[INET_ADDRSTRLEN];

			rp->answer = FAILED;
			memset(&r, 0, sizeof(r));
			r.event = "request.denied";
			r.is_new = -1;
			r.type = proto_type_str(m->type);
			r.caller = m->l_name;
			r.callee = m->r_name;
			r.src = src;
			r.answer = "FAILED";
			r.rule = d.rule;
			r.reason = d.reason;
			journal_write(s->journal, &r);
			if (s->logging) {
				vis_str(who, sizeof(who), m->l_name, NAME_SIZE);
				addrstr(ntohl(src->sin_addr.s_addr), a,
				    sizeof(a));
				log_info("dropping request: %s@%s (%s by %s)",
				    who, a, d.reason, d.rule);
			}
			return;
		}
	}

	switch (m->type) {
	case LEAVE_INVITE:
		do_leave_invite(s, m, src, rp, now);
		break;
	case LOOK_UP:
		do_look_up(s, m, src, rp);
		break;
	case DELETE:
		do_delete(s, m, src, rp);
		break;
	case ANNOUNCE:
		do_announce(s, m, src, rp, now);
		break;
	default:
		rp->answer = UNKNOWN_REQUEST;
		break;
	}
}

void
process_flush_malformed(struct server *s, int64_t now, int force)
{
	size_t i;

	for (i = 0; i < sizeof(s->bad) / sizeof(s->bad[0]); i++) {
		struct malformed *b = &s->bad[i];
		struct jrec r;

		if (!b->why || b->count == 0 ||
		    (!force && now - b->last < 1000))
			continue;
		memset(&r, 0, sizeof(r));
		r.event = "packet.malformed";
		r.is_new = -1;
		r.src = &b->src;
		r.reason = b->why;
		r.count = b->count;
		r.answer = b->answer;
		journal_write(s->journal, &r);
		b->count = 0;
		b->last = now;
	}
}

void
process_malformed(struct server *s, const struct sockaddr_in *src,
    const char *why, const char *answer, int64_t now)
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

/* The end of an entry: expired, or evicted (src set) for a newer one. */
static void
jot_end(struct server *s, const char *event, const struct invite *e,
    const struct sockaddr_in *src)
{
	struct jrec r;

	memset(&r, 0, sizeof(r));
	r.event = event;
	r.is_new = -1;
	r.caller = e->l_name;
	r.callee = e->r_name;
	r.type = proto_type_str(e->type);
	r.src = src;
	r.id = e->id;
	r.has_id = 1;
	journal_write(s->journal, &r);
}

static void
expired(void *ctx, const struct invite *e)
{
	jot_end(ctx, "invite.expired", e, NULL);
}

/* flood (table.c): an entry the table gave up for a new one. */
void
process_evicted(void *ctx, const struct invite *e)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(e->src_addr);
	jot_end(ctx, "invite.evicted", e, &sin);
}

void
process_expire(struct server *s, int64_t now)
{
	table_expire(s->table, now, expired, s);
}
