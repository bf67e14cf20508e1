/*
 * talkd: options, sockets and the receive loop; main() is set-up, loop and
 * tear-down.  The privilege drop itself is privsep.c's.
 *
 * Modes: inetd/xinetd wait-mode (the UDP socket on fd 0, exit after the
 * idle timeout), systemd socket activation (LISTEN_FDS), or standalone
 * (--listen ADDR:PORT, repeatable; default 0.0.0.0:518).  Replies go to the
 * packet's source from the address the request arrived on (IP_PKTINFO on
 * wildcard sockets; a socket bound to one address replies from it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "talkd/talkd.h"
#include "talkd/hashfile.h"
#include "talkd/privsep.h"

#define MAX_SOCKS	16
#define MAX_POLL	(MAX_SOCKS + 64)
#define BATCH		64	/* datagrams read per recvmmsg() */
#define TICK_MS		1000	/* timers are served at least this often */

static volatile sig_atomic_t got_quit, got_hup;

static void
on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_quit = 1;
	errno = saved;
}

struct opts {
	const char *acl_file, *acl_cache, *journal, *state_dir, *utmp, *user;
	const char *status;
	const char *listen[MAX_SOCKS];
	size_t nlisten;
	int foreground, verbose, logging, strict, check_only, dns, show;
	long idle, ttl, tick, dns_timeout_ms, ring_timeout;
	long max_invites, max_per_source;
	long ring_limit;		/* flood: rings per callee per 30 s */
	long journal_budget;		/* flood.c: records in full per window */
	int idle_set;
	/* what records keep (talkd(8), PRIVACY) */
	int rec_addr;			/* enum rec_addr */
	int rec_keyed, rec_success, journal_syslog;
	const char *name_key;		/* --name-key FILE */
	const char *keyed_name;		/* --keyed-name NAME: print, exit */
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: talkd [-dlnST] [-a FILE] [-i SECONDS] [-r SECONDS] [-t SECONDS]\n"
	    "             [--listen ADDR:PORT] [--foreground] [--journal PATH]\n"
	    "             [--state-dir DIR] [--acl-cache PATH] [--utmp FILE]\n"
	    "             [--user NAME] [--max-invites N] [--max-per-source N]\n"
	    "             [--ring-timeout SECONDS] [--dns-timeout MS] [--no-dns]\n"
	    "             [--ring-limit N] [--journal-budget N] [--status FILE]\n"
	    "             [--version] [--record-address full|net|none]\n"
	    "             [--record-names plain|keyed] [--name-key FILE]\n"
	    "             [--record-success yes|no] [--journal-syslog]\n"
	    "             [--keyed-name NAME]\n");
	exit(2);
}

static long
num(const char *s, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "talkd: %s: \"%s\" is not a number from %ld "
		    "to %ld\n", what, s, min, max);
		exit(2);
	}
	return v;
}

/* The index of s in words (NULL-terminated); exits on anything else. */
static int
word(const char *s, const char *what, const char *const *words)
{
	int i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(s, words[i]) == 0)
			return i;
	fprintf(stderr, "talkd: %s: \"%s\" is not one of", what, s);
	for (i = 0; words[i] != NULL; i++)
		fprintf(stderr, " %s", words[i]);
	fprintf(stderr, "\n");
	exit(2);
}

static const char *const rec_addr_words[] = { "full", "net", "none", NULL };
static const char *const names_words[] = { "plain", "keyed", NULL };
static const char *const yes_no[] = { "no", "yes", NULL };

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_LISTEN = 256, O_FG, O_JOURNAL, O_STATE, O_CACHE, O_UTMP,
	    O_USER, O_MAXINV, O_MAXSRC, O_DNSTO, O_NODNS, O_RINGTO,
	    O_RINGLIM, O_STATUS, O_VERSION, O_JBUDGET, O_RADDR, O_RNAMES,
	    O_NAMEKEY, O_RSUCCESS, O_JSYSLOG, O_KEYEDNAME };
	static const struct option lopts[] = {
		{ "acl", required_argument, NULL, 'a' },
		{ "debug", no_argument, NULL, 'd' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "logging", no_argument, NULL, 'l' },
		{ "request-ttl", required_argument, NULL, 'r' },
		{ "strict-policy", no_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 't' },
		{ "check", no_argument, NULL, 'n' },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "foreground", no_argument, NULL, O_FG },
		{ "journal", required_argument, NULL, O_JOURNAL },
		{ "state-dir", required_argument, NULL, O_STATE },
		{ "acl-cache", required_argument, NULL, O_CACHE },
		{ "utmp", required_argument, NULL, O_UTMP },
		{ "user", required_argument, NULL, O_USER },
		{ "max-invites", required_argument, NULL, O_MAXINV },
		{ "max-per-source", required_argument, NULL, O_MAXSRC },
		{ "dns-timeout", required_argument, NULL, O_DNSTO },
		{ "no-dns", no_argument, NULL, O_NODNS },
		{ "ring-timeout", required_argument, NULL, O_RINGTO },
		{ "ring-limit", required_argument, NULL, O_RINGLIM },
		{ "journal-budget", required_argument, NULL, O_JBUDGET },
		{ "status", required_argument, NULL, O_STATUS },
		{ "record-address", required_argument, NULL, O_RADDR },
		{ "record-names", required_argument, NULL, O_RNAMES },
		{ "name-key", required_argument, NULL, O_NAMEKEY },
		{ "record-success", required_argument, NULL, O_RSUCCESS },
		{ "journal-syslog", no_argument, NULL, O_JSYSLOG },
		{ "keyed-name", required_argument, NULL, O_KEYEDNAME },
		{ "show-config", no_argument, NULL, 'T' },
		{ "version", no_argument, NULL, O_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->ttl = 60;
	o->tick = 30;
	o->idle = 120;
	o->dns = 1;
	o->dns_timeout_ms = 300;
	o->ring_timeout = 25;
	o->max_invites = 65536;
	o->max_per_source = 4096;
	o->ring_limit = 6;
	o->journal_budget = 300;
	o->rec_success = 1;
	o->utmp = "/var/run/utmp";
	while ((c = getopt_long(argc, argv, "a:di:lnr:St:Th", lopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'a': o->acl_file = optarg; break;
		case 'd': o->foreground = 1; o->verbose = 2; o->logging = 1;
			break;
		case 'i': o->idle = num(optarg, "-i", 0, 86400 * 365);
			o->idle_set = 1; break;
		case 'l': o->logging = 1; if (o->verbose < 1) o->verbose = 1;
			break;
		case 'n': o->check_only = 1; o->foreground = 1; break;
		case 'r': o->ttl = num(optarg, "-r", 1, 86400); break;
		case 'S': o->strict = 1; break;
		case 't': o->tick = num(optarg, "-t", 1, 86400); break;
		case 'T': o->show = 1; o->foreground = 1; break;
		case O_STATUS: o->status = optarg; break;
		case O_JBUDGET: o->journal_budget = num(optarg,
			    "--journal-budget", 0, 1000000); break;
		case O_VERSION:
			printf("talkd %s\n", TALKD_VERSION);
			exit(0);
		case O_LISTEN:
			if (o->nlisten == MAX_SOCKS)
				fatalx("at most %d --listen", MAX_SOCKS);
			o->listen[o->nlisten++] = optarg;
			break;
		case O_FG: o->foreground = 1; break;
		case O_JOURNAL: o->journal = optarg; break;
		case O_STATE: o->state_dir = optarg; break;
		case O_CACHE: o->acl_cache = optarg; break;
		case O_UTMP: o->utmp = optarg; break;
		case O_USER: o->user = optarg; break;
		case O_MAXINV: o->max_invites = num(optarg, "--max-invites",
			    1, 1 << 24); break;
		case O_MAXSRC: o->max_per_source = num(optarg,
			    "--max-per-source", 1, 1 << 24); break;
		case O_DNSTO: o->dns_timeout_ms = num(optarg, "--dns-timeout",
			    0, 10000); break;
		case O_NODNS: o->dns = 0; break;
		case O_RINGTO: o->ring_timeout = num(optarg, "--ring-timeout",
			    1, 3600); break;
		case O_RINGLIM: o->ring_limit = num(optarg, "--ring-limit",
			    0, 30000); break;
		case O_RADDR: o->rec_addr = word(optarg, "--record-address",
			    rec_addr_words); break;
		case O_RNAMES: o->rec_keyed = word(optarg, "--record-names",
			    names_words); break;
		case O_NAMEKEY: o->name_key = optarg; break;
		case O_RSUCCESS: o->rec_success = word(optarg,
			    "--record-success", yes_no); break;
		case O_JSYSLOG: o->journal_syslog = 1; break;
		case O_KEYEDNAME: o->keyed_name = optarg; o->foreground = 1;
			break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if ((o->rec_keyed || o->keyed_name) && o->name_key == NULL) {
		fprintf(stderr, "talkd: --record-names keyed and --keyed-name "
		    "need --name-key FILE\n");
		exit(2);
	}
	if (!o->state_dir && !(o->state_dir = getenv("TALKD_STATE_DIR")))
		o->state_dir = "/var/lib/talkd";
	if (!o->journal)
		o->journal = getenv("TALKD_JOURNAL");
	if (!o->status)
		o->status = getenv("TALKD_STATUS");
	if (!o->acl_cache)
		o->acl_cache = getenv("TALKD_ACL_CACHE");
}

static int
parse_hostport(const char *s, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port < 0 || port > 65535)
		return -1;
	sin->sin_port = htons((uint16_t)port);
	if (host[0] == '\0' || strcmp(host, "*") == 0)
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return -1;
	return 0;
}

/*
 * Sockets stay blocking: with one socket the loop sleeps in recvmmsg()
 * itself, which SO_RCVTIMEO wakes at least once a second for the timers.
 * Every other receive and every send passes MSG_DONTWAIT.
 */
/*
 * A socket bound to one address replies from it anyway; only a wildcard
 * socket needs IP_PKTINFO to answer from the address a request reached.
 */
static void
sock_setup(int fd)
{
	struct timeval tv = { TICK_MS / 1000, (TICK_MS % 1000) * 1000 };
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int on = 1;

	if (getsockname(fd, (struct sockaddr *)&sin, &len) < 0 ||
	    sin.sin_addr.s_addr == htonl(INADDR_ANY)) {
		if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on,
		    sizeof(on)) < 0)
			fatal("IP_PKTINFO");
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		fatal("SO_RCVTIMEO");
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		fatal("O_NONBLOCK");
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static int
is_socket(int fd)
{
	int type;
	socklen_t tlen = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0;
}

/* An inherited descriptor must be an IPv4 datagram socket. */
static int
inherited_ok(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int type;
	socklen_t tlen = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0)
		return 0;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (type != SOCK_DGRAM || ss.ss_family != AF_INET) {
		fatalx("socket on fd %d is not an IPv4 datagram socket (the "
		    "ntalk protocol is IPv4 only: use udp4 in inetd.conf, "
		    "ListenDatagram=0.0.0.0:518 in systemd)", fd);
	}
	return 1;
}

static size_t
open_sockets(const struct opts *o, int *socks, int *inherited)
{
	const char *lp = getenv("LISTEN_PID"), *lf = getenv("LISTEN_FDS");
	size_t n = 0, i;

	*inherited = 0;
	if (o->nlisten == 0 && lp && lf && strtol(lp, NULL, 10) == getpid()) {
		long k = strtol(lf, NULL, 10);
		for (i = 0; i < (size_t)k && n < MAX_SOCKS; i++)
			if (inherited_ok(3 + (int)i))
				socks[n++] = 3 + (int)i;
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		*inherited = 1;
	} else if (o->nlisten == 0 && is_socket(0) && inherited_ok(0)) {
		socks[n++] = 0;
		*inherited = 1;
	} else {
		const char *deflt = "0.0.0.0:518";
		const char *const *list = o->nlisten ? o->listen : &deflt;
		size_t cnt = o->nlisten ? o->nlisten : 1;

		for (i = 0; i < cnt; i++) {
			struct sockaddr_in sin;
			int fd;

			if (parse_hostport(list[i], &sin) < 0)
				fatalx("--listen %s: expected ADDR:PORT with "
				    "an IPv4 address", list[i]);
			if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
				fatal("socket");
			if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
				fatal("bind %s", list[i]);
			socks[n++] = fd;
		}
	}
	for (i = 0; i < n; i++)
		sock_setup(socks[i]);
	return n;
}

/*
 * One batch: up to BATCH datagrams read with one recvmmsg(), each handled,
 * their journal records written with one write(2), then the replies sent
 * with one sendmmsg(), each from the address its request reached
 * (IP_PKTINFO).  Records go out before replies.
 */
struct batch {
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec iniov[BATCH], outiov[BATCH];
	struct sockaddr_in src[BATCH];
	uint8_t buf[BATCH][CTL_MSG_SIZE + 1], reply[BATCH][CTL_RESP_SIZE];
	union {
		char c[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} incm[BATCH], outcm[BATCH];
};

static struct batch bt;

static void
batch_init(struct batch *b)
{
	size_t i;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < BATCH; i++) {
		b->iniov[i].iov_base = b->buf[i];
		b->iniov[i].iov_len = sizeof(b->buf[i]);
		b->in[i].msg_hdr.msg_name = &b->src[i];
		b->in[i].msg_hdr.msg_iov = &b->iniov[i];
		b->in[i].msg_hdr.msg_iovlen = 1;
		b->in[i].msg_hdr.msg_control = b->incm[i].c;
		b->outiov[i].iov_len = CTL_RESP_SIZE;
	}
}

/* The local address a datagram reached, from its IP_PKTINFO. */
static int
arrived_at(struct msghdr *mh, struct in_addr *at)
{
	struct cmsghdr *cm;
	struct in_pktinfo pi;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm))
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			*at = pi.ipi_addr;
			return 1;
		}
	return 0;
}

/* Queue reply k to request i's source, sent from where it arrived. */
static void
queue_reply(struct batch *b, size_t i, size_t k, const struct ctl_resp *r)
{
	struct msghdr *mh = &b->out[k].msg_hdr;
	struct in_pktinfo pi;
	struct cmsghdr *cm;
	struct in_addr at;

	proto_encode_resp(r, b->reply[k]);
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = &b->src[i];
	mh->msg_namelen = sizeof(b->src[i]);
	b->outiov[k].iov_base = b->reply[k];
	mh->msg_iov = &b->outiov[k];
	mh->msg_iovlen = 1;
	if (arrived_at(&b->in[i].msg_hdr, &at)) {
		memset(&b->outcm[k], 0, sizeof(b->outcm[k]));
		mh->msg_control = b->outcm[k].c;
		mh->msg_controllen = sizeof(b->outcm[k].c);
		cm = CMSG_FIRSTHDR(mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = at;
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
}

/* Handle datagram i of the batch; 1 when it gets a reply in *r. */
static int
handle_one(struct server *s, struct batch *b, size_t i, int64_t now,
    int64_t *last_msg, struct ctl_resp *r)
{
	struct msghdr *mh = &b->in[i].msg_hdr;
	const struct sockaddr_in *src = &b->src[i];
	struct ctl_msg m;
	enum ctl_answer ans;
	const char *why;

	if (mh->msg_namelen < sizeof(*src) || src->sin_family != AF_INET)
		return 0;
	switch (proto_decode(b->buf[i], b->in[i].msg_len, &m, &ans, &why)) {
	case PROTO_DROP:
		process_malformed(s, src, why, -1, now);
		return 0;
	case PROTO_REPLY:
		*last_msg = now;
		process_malformed(s, src, why, (int)ans, now);
		memset(r, 0, sizeof(*r));
		r->vers = TALK_VERSION;
		r->type = m.type;
		r->answer = (uint8_t)ans;
		return 1;
	case PROTO_OK:
		break;
	}
	*last_msg = now;
	process_request(s, &m, src, r, now);
	return 1;
}

/* Read and answer one batch; flags MSG_WAITFORONE or MSG_DONTWAIT. */
static int
handle_batch(struct server *s, int fd, int flags, int64_t *last_msg)
{
	struct batch *b = &bt;
	struct ctl_resp r;
	size_t i, k = 0, sent = 0;
	int64_t now;
	int n;

	for (i = 0; i < BATCH; i++) {
		b->in[i].msg_hdr.msg_namelen = sizeof(b->src[i]);
		b->in[i].msg_hdr.msg_controllen = sizeof(b->incm[i].c);
		b->in[i].msg_hdr.msg_flags = 0;
	}
	if ((n = recvmmsg(fd, b->in, BATCH, flags | MSG_TRUNC, NULL)) <= 0) {
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR)
			log_warn("recvmmsg");
		return 0;
	}
	now = now_ms();
	journal_begin(s->journal);
	for (i = 0; i < (size_t)n; i++)
		if (handle_one(s, b, i, now, last_msg, &r))
			queue_reply(b, i, k++, &r);
	journal_commit(s->journal);
	while (sent < k) {
		int m = sendmmsg(fd, b->out + sent, (unsigned)(k - sent),
		    MSG_DONTWAIT);
		if (m <= 0) {
			log_debug("sendmmsg: %s", strerror(errno));
			m = 1;		/* drop that reply, send the rest */
		}
		sent += (size_t)m;
	}
	return n;
}

static int64_t
min_timeout(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/*
 * Missing folders, when root (talkd(8), FILES; install and tmpfiles.d
 * make them the same way): the state directory root's, group talkd, mode
 * 2755, since the compiled policy lives there and the daemon's user must
 * not be able to replace it; the default journal's folder the daemon's
 * user's, group tty, mode 1771, so that the daemon can start a new journal
 * after a rotation also when a super-server starts it as nobody:tty.
 */
/*
 * Before 0.1.0 the default journal was the file STATE/journal: make that
 * name the folder and move the file into it as journal.0, where talkctl
 * ingest finds its unread tail by identity.
 */
static void
move_old_journal(const char *jdir, const struct privsep *ps)
{
	char *tmp, *dst;

	if (asprintf(&tmp, "%s.moving", jdir) < 0 ||
	    asprintf(&dst, "%s/journal.0", jdir) < 0)
		fatal("asprintf");
	if (rename(jdir, tmp) < 0 || mkdir(jdir, 01771) < 0 ||
	    chown(jdir, ps->uid, ps->gid) < 0 || chmod(jdir, 01771) < 0 ||
	    rename(tmp, dst) < 0)
		log_warn("moving the old journal %s to %s", jdir, dst);
	else
		log_info("moved the old journal %s to %s", jdir, dst);
	free(tmp);
	free(dst);
}

static void
ensure_dirs(const char *state, const char *jdir, const struct privsep *ps)
{
	struct group *gr;
	struct stat st;

	if (geteuid() != 0)
		return;
	if (stat(state, &st) < 0 && errno == ENOENT) {
		gr = getgrnam("talkd");
		if (mkdir(state, 02755) < 0 || chown(state, 0, gr ?
		    gr->gr_gid : 0) < 0 || chmod(state, 02755) < 0)
			log_warn("%s", state);
	}
	if (jdir && lstat(jdir, &st) == 0 && S_ISREG(st.st_mode))
		move_old_journal(jdir, ps);
	else if (jdir && stat(jdir, &st) < 0 && errno == ENOENT) {
		if (mkdir(jdir, 01771) < 0 || chown(jdir, ps->uid, ps->gid) <
		    0 || chmod(jdir, 01771) < 0)
			log_warn("%s", jdir);
	}
}

/* How the sockets come: the same tests as open_sockets(). */
static const char *
sock_mode(const struct opts *o)
{
	const char *lp = getenv("LISTEN_PID"), *lf = getenv("LISTEN_FDS");

	if (o->nlisten == 0 && lp && lf && strtol(lp, NULL, 10) == getpid())
		return "systemd";
	if (o->nlisten == 0 && is_socket(0))
		return "inetd";
	return "standalone";
}

/* "ADDR:PORT ADDR:PORT" of the bound sockets, or of the options. */
static char *
listen_str(const struct opts *o, const int *socks, size_t n)
{
	char buf[MAX_SOCKS * 24] = "", a[INET_ADDRSTRLEN];
	struct sockaddr_in sin;
	socklen_t len;
	size_t i, off = 0;
	int k;

	for (i = 0; i < (socks ? n : o->nlisten); i++) {
		if (socks) {
			len = sizeof(sin);
			if (getsockname(socks[i], (struct sockaddr *)&sin,
			    &len) < 0 || !inet_ntop(AF_INET, &sin.sin_addr, a,
			    sizeof(a)))
				continue;
			k = snprintf(buf + off, sizeof(buf) - off, "%s%s:%u",
			    off ? " " : "", a, ntohs(sin.sin_port));
		} else
			k = snprintf(buf + off, sizeof(buf) - off, "%s%s",
			    off ? " " : "", o->listen[i]);
		if (k < 0 || (size_t)k >= sizeof(buf) - off)
			break;
		off += (size_t)k;
	}
	if (off == 0 && !socks)
		return strdup(strcmp(sock_mode(o), "standalone") == 0 ?
		    "0.0.0.0:518" : "inherited");
	return strdup(buf);
}

static char *
state_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		fatal("asprintf");
	return p;
}

/* The status file: --status, else "status" next to the journal. */
static char *
status_path(const struct opts *o, const char *journal)
{
	const char *slash;
	char *p;

	if (o->status)
		return strcmp(o->status, "none") == 0 ? NULL :
		    strdup(o->status);
	if ((slash = strrchr(journal, '/')) == NULL)
		return strdup("status");
	if (asprintf(&p, "%.*s/status", (int)(slash - journal), journal) < 0)
		fatal("asprintf");
	return p;
}

/*
 * A uid that other daemons share can rewrite or remove what talkd writes;
 * say so once, with the fix (seed 000's xinetd stanza starts us so).
 */
static void
warn_shared_uid(void)
{
	struct passwd *pw = getpwuid(geteuid());

	if (pw && strcmp(pw->pw_name, "nobody") == 0)
		log_warnx("running as nobody, a user other daemons share: they "
		    "could alter or remove the journal.  Start talkd as root "
		    "(xinetd: user = root; inetd: wait root) so that it "
		    "becomes the talkd user itself, or use talkd.socket");
}

/* talkd -T: the effective configuration, one "key value" per line. */
static int
show_config(const struct opts *o, const struct privsep *ps, int have_ps,
    const char *cache_path)
{
	const char *kind, *ppath;
	struct policy *pol;
	struct stat pst;
	char *listen, *journal, *status;
	uint64_t h;
	int ok;

	pol = policy_new(o->acl_file ? NULL : cache_path, o->acl_cache != NULL,
	    o->acl_file, o->strict, -1, NULL);
	journal = o->journal ? strdup(o->journal) :
	    state_path(o->state_dir, "journal/journal");
	status = status_path(o, journal);
	listen = listen_str(o, NULL, 0);
	printf("version %s\nmode %s\nlisten %s\n", TALKD_VERSION,
	    sock_mode(o), listen ? listen : "?");
	printf("user %s\ngroup tty\n", geteuid() != 0 ?
	    (getpwuid(geteuid()) ? getpwuid(geteuid())->pw_name : "?") :
	    have_ps ? ps->name : "(none: no talkd or nobody)");
	printf("state-dir %s\njournal %s\nstatus %s\nutmp %s\n",
	    o->state_dir, journal, status ? status : "none", o->utmp);
	if (pol) {
		kind = policy_source(pol, &ppath, &pst);
		printf("policy %s\npolicy-file %s\n", kind, ppath ? ppath :
		    "(embedded: allow every call)");
		h = ppath ? hash_file(ppath, &ok) : (ok = 0, 0);
		if (ok)
			printf("policy-hash fnv1a64:%016" PRIx64 "\n", h);
		else
			printf("policy-hash -\n");
	} else
		printf("policy invalid\n");
	printf("strict-policy %s\nrequest-ttl %ld\nidle-timeout %ld\n"
	    "timeout %ld\nmax-invites %ld\nmax-per-source %ld\n"
	    "ring-timeout %ld\nring-limit %ld\njournal-budget %ld\ndns %s\n"
	    "dns-timeout %ld\nlogging %s\n",
	    o->strict ? "yes" : "no", o->ttl, o->idle_set ? o->idle :
	    strcmp(sock_mode(o), "standalone") == 0 ? 0 : o->idle, o->tick,
	    o->max_invites, o->max_per_source, o->ring_timeout,
	    o->ring_limit, o->journal_budget, o->dns ? "yes" : "no",
	    o->dns_timeout_ms,
	    o->logging ? "yes" : "no");
	printf("record-address %s\nrecord-names %s\nname-key %s\n"
	    "record-success %s\njournal-syslog %s\n",
	    rec_addr_words[o->rec_addr], names_words[o->rec_keyed],
	    o->name_key ? o->name_key : "none", yes_no[o->rec_success],
	    yes_no[o->journal_syslog]);
	free(listen);
	free(journal);
	free(status);
	if (pol == NULL)
		return 1;
	policy_free(pol);
	return 0;
}

#define KEY_MIN	16
#define KEY_MAX	4096

/*
 * --name-key FILE, read while root: every byte of a regular file (not a
 * link) that no group or other may read or write, owned by root or by
 * the user talkd starts as, KEY_MIN to KEY_MAX bytes.  Refuses to start
 * otherwise.  Returns the key's length.
 */
static size_t
read_name_key(const char *path, unsigned char *key)
{
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) < 0)
		fatal("--name-key %s", path);
	if (fstat(fd, &st) < 0)
		fatal("--name-key %s", path);
	if (!S_ISREG(st.st_mode))
		fatalx("--name-key %s: not a regular file", path);
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		fatalx("--name-key %s: mode %04o lets group or others at the "
		    "key; chmod 600 it", path, (unsigned)st.st_mode & 07777);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		fatalx("--name-key %s: owned by uid %u, not by root",
		    path, (unsigned)st.st_uid);
	while (len < KEY_MAX && (n = read(fd, key + len, KEY_MAX - len)) !=
	    0) {
		if (n < 0)
			fatal("--name-key %s", path);
		len += (size_t)n;
	}
	close(fd);
	if (len < KEY_MIN || (len == KEY_MAX && st.st_size > KEY_MAX))
		fatalx("--name-key %s: %zu bytes; a key is %d to %d bytes "
		    "(e.g. head -c 32 /dev/urandom)", path, len, KEY_MIN,
		    KEY_MAX);
	return len;
}

/* The journal's privacy settings; the key is read here, before the drop. */
static void
setup_privacy(const struct opts *o, struct journal *j)
{
	static unsigned char key[KEY_MAX];
	struct jprivacy p;

	memset(&p, 0, sizeof(p));
	p.addr = o->rec_addr;
	p.success = o->rec_success;
	p.syslog = o->journal_syslog;
	if (o->rec_keyed) {
		p.keylen = read_name_key(o->name_key, key);
		p.key = key;
	}
	journal_set_privacy(j, &p);
	explicit_bzero(key, sizeof(key));
}

/* --keyed-name NAME: print the name as keyed records hold it. */
static int
print_keyed_name(const struct opts *o)
{
	static unsigned char key[KEY_MAX];
	char out[JNAME_MAX];
	size_t len;

	len = read_name_key(o->name_key, key);
	name_keyed(key, len, o->keyed_name, out);
	explicit_bzero(key, sizeof(key));
	printf("%s\n", out);
	return 0;
}

/* Everything main() sets up and tears down. */
struct daemon {
	struct opts o;
	struct server s;
	struct privsep ps;
	int socks[MAX_SOCKS];
	size_t nsocks;
	int inherited;
	char *journal_path, *cache_path;
	int opener;
	pid_t opener_pid;
	int64_t last_msg;
	int have_ps;			/* an account to drop to was found */
	char *status_file, *listening;
};

/* -n: check the configuration and exit. */
static int
check_only(struct daemon *d)
{
	struct opts *o = &d->o;
	struct policy *p;
	int cache_required = o->acl_cache != NULL;

	if ((p = policy_new(o->acl_file ? NULL : d->cache_path,
	    cache_required, o->acl_file, o->strict, -1, NULL)) == NULL) {
		fprintf(stderr, "talkd: configuration invalid\n");
		return 1;
	}
	policy_free(p);
	printf("configuration OK\n");
	return 0;
}

/*
 * Set-up, in the order the privilege drop needs: tables, sockets, journal
 * and opener while root, then the drop, then what runs unprivileged.
 */
static void
setup(struct daemon *d)
{
	struct opts *o = &d->o;
	struct server *s = &d->s;
	struct table_limits lim;
	struct sigaction sa;
	struct status_info si;
	int cache_required = o->acl_cache != NULL;

	memset(&si, 0, sizeof(si));
	lim.max_entries = (size_t)o->max_invites;
	lim.max_per_source = (size_t)o->max_per_source;
	lim.ttl_ms = (int64_t)o->ttl * 1000;
	if ((s->table = table_new(&lim)) == NULL ||
	    (s->ringer = ringer_new(64, (int64_t)o->ring_timeout * 1000)) ==
	    NULL || (s->utmp = utmp_cache_new(o->utmp)) == NULL)
		fatal("out of memory");
	table_set_evict(s->table, process_evicted, s);
	if (o->journal_budget > 0) {	/* 0: every record in full */
		struct flood_limits fl = FLOOD_DEFAULTS;

		fl.budget = (unsigned)o->journal_budget;
		fl.calm = fl.budget * 2 / 3;
		if ((s->flood = flood_new(&fl)) == NULL)
			fatal("out of memory");
	}
	if (o->ring_limit > 0 && (s->rings = ratelimit_new(1024,
	    (unsigned)o->ring_limit, 30000)) == NULL)
		fatal("out of memory");
	if (gethostname(s->hostname, sizeof(s->hostname) - 1) < 0)
		memcpy(s->hostname, "localhost", sizeof("localhost"));

	si.mode = sock_mode(o);
	d->nsocks = open_sockets(o, d->socks, &d->inherited);
	if (!d->inherited && !o->idle_set)
		o->idle = 0;		/* standalone: no idle exit */
	d->journal_path = o->journal ? strdup(o->journal) :
	    state_path(o->state_dir, "journal/journal");
	if (!o->journal) {
		char *jdir = state_path(o->state_dir, "journal");

		ensure_dirs(o->state_dir, jdir, &d->ps);
		free(jdir);
	} else
		ensure_dirs(o->state_dir, NULL, &d->ps);
	if ((s->journal = journal_open(d->journal_path)) == NULL)
		fatal("journal");
	setup_privacy(o, s->journal);
	if (geteuid() == 0)
		journal_chown(s->journal, d->ps.uid);
	d->status_file = status_path(o, d->journal_path);
	d->listening = listen_str(o, d->socks, d->nsocks);
	si.path = d->status_file;
	si.user = geteuid() == 0 ? d->ps.name : getpwuid(geteuid()) ?
	    getpwuid(geteuid())->pw_name : NULL;
	si.listen = d->listening;
	si.journal = d->journal_path;
	si.state_dir = o->state_dir;
	s->status = status_new(&si, d->ps.uid);

	d->opener = opener_start(&d->ps, &d->opener_pid);
	if ((s->pw = pwcache_new(1024, 30000)) == NULL)
		fatal("out of memory");
	if ((s->policy = policy_new(o->acl_file ? NULL : d->cache_path,
	    cache_required, o->acl_file, o->strict, d->opener, s->pw)) == NULL)
		fatalx("no usable site policy; refusing to start");

	privsep_drop(&d->ps);
	warn_shared_uid();		/* started as nobody, or dropped to it */
	if (chdir("/") < 0)
		fatal("chdir /");
	if ((s->resolver = resolver_new(o->dns, (int)o->dns_timeout_ms,
	    256)) == NULL)
		fatal("out of memory");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	{
		struct jrec r = { .event = "daemon.start", .is_new = -1,
		    .msg = d->inherited ? "inherited socket" : "standalone" };
		journal_write(s->journal, &r);
	}
	log_info("started; %zu socket(s), idle timeout %ld s, request "
	    "ttl %ld s", d->nsocks, o->idle, o->ttl);
}

/* Housekeeping between wakeups; 0 when the daemon should exit (idle). */
static int
housekeeping(struct daemon *d, int64_t now)
{
	struct server *s = &d->s;

	if (got_hup) {
		got_hup = 0;
		journal_reopen(s->journal);
		policy_reload(s->policy, now, 1);
		log_info("SIGHUP: journal reopened, policy reloaded");
	}
	process_expire(s, now);
	process_flush_malformed(s, now, 0);
	process_flush_flood(s, now, 0);
	status_update(s->status, s, now, "running");
	policy_reload(s->policy, now, 0);
	if (d->o.idle > 0 && now - d->last_msg >= d->o.idle * 1000 &&
	    ringer_pending(s->ringer) == 0) {
		log_info("idle for %ld s, exiting", d->o.idle);
		return 0;
	}
	return 1;
}

/* How long poll() may sleep: the nearest timer. */
static int
poll_timeout(struct daemon *d, int64_t now)
{
	struct server *s = &d->s;
	int64_t timeout = d->o.tick * 1000;
	size_t i;

	if (!d->o.acl_file || s->status)	/* the cache, the status file */
		timeout = min_timeout(timeout, 1000);
	timeout = min_timeout(timeout, table_next_expiry(s->table, now));
	timeout = min_timeout(timeout, ringer_next_deadline(s->ringer, now));
	if (s->flood != NULL)
		timeout = min_timeout(timeout, flood_next_flush(s->flood,
		    now));
	if (d->o.idle > 0)
		timeout = min_timeout(timeout, d->last_msg + d->o.idle * 1000 -
		    now);
	for (i = 0; i < sizeof(s->bad) / sizeof(s->bad[0]); i++)
		if (s->bad[i].count)
			timeout = min_timeout(timeout, 1000);
	if (timeout < 0)
		timeout = 0;
	return (int)(timeout > INT_MAX ? INT_MAX : timeout);
}

/*
 * The loop.  With one socket and no tty write pending it sleeps in
 * recvmmsg(MSG_WAITFORONE) itself: per batch one receive, one journal
 * write and one send, and nothing else.  SO_RCVTIMEO wakes it within
 * TICK_MS for the timers (expiry, the malformed-packet records, the idle
 * exit, the policy cache), and SIGTERM or SIGHUP interrupt it (their
 * handlers only set flags, installed without SA_RESTART).  With several
 * sockets or pending rings it polls them all, as before.
 */
static void
loop(struct daemon *d)
{
	struct server *s = &d->s;
	struct pollfd pfd[MAX_POLL];
	size_t np, nr, i;

	batch_init(&bt);
	d->last_msg = now_ms();
	while (!got_quit) {
		int64_t now = now_ms();
		int rc;

		if (!housekeeping(d, now))
			break;
		if (d->nsocks == 1 && ringer_pending(s->ringer) == 0) {
			handle_batch(s, d->socks[0], MSG_WAITFORONE,
			    &d->last_msg);
			continue;
		}
		for (np = 0; np < d->nsocks; np++) {
			pfd[np].fd = d->socks[np];
			pfd[np].events = POLLIN;
			pfd[np].revents = 0;
		}
		nr = ringer_pollfds(s->ringer, pfd + np, MAX_POLL - np);
		rc = poll(pfd, np + nr, poll_timeout(d, now));
		if (rc < 0) {
			if (errno != EINTR)
				fatal("poll");
			continue;
		}
		for (i = 0; i < np; i++)
			if (pfd[i].revents & POLLIN)
				handle_batch(s, pfd[i].fd, MSG_DONTWAIT,
				    &d->last_msg);
		ringer_service(s->ringer, pfd + np, nr, now_ms());
	}
}

static void
teardown(struct daemon *d)
{
	struct server *s = &d->s;
	size_t i;

	process_flush_malformed(s, now_ms(), 1);
	process_flush_flood(s, now_ms(), 1);
	{
		struct jrec r = { .event = "daemon.stop", .is_new = -1,
		    .msg = got_quit ? "signal" : "idle" };
		journal_write(s->journal, &r);
	}
	status_update(s->status, s, now_ms(), "stopped");
	status_free(s->status);
	free(d->status_file);
	free(d->listening);
	journal_close(s->journal);
	resolver_free(s->resolver);
	ringer_free(s->ringer);
	ratelimit_free(s->rings);
	flood_free(s->flood);
	table_free(s->table);
	utmp_cache_free(s->utmp);
	policy_free(s->policy);
	pwcache_free(s->pw);
	if (d->opener >= 0)
		close(d->opener);	/* the opener sees EOF and exits */
	if (d->opener_pid > 0)
		waitpid(d->opener_pid, NULL, 0);
	free(d->cache_path);
	free(s->local);
	free(d->journal_path);
	for (i = 0; i < d->nsocks; i++)
		close(d->socks[i]);
}

int
main(int argc, char **argv)
{
	static struct daemon d;
	struct opts *o = &d.o;
	int rc;

	parse_opts(argc, argv, o);
	log_init(o->foreground, o->verbose);
	d.s.logging = o->logging;
	d.opener = -1;

	d.have_ps = privsep_resolve(o->user, &d.ps) == 0;
	if (!d.have_ps && geteuid() == 0 && !o->show)
		fatalx("cannot find an unprivileged user to run as "
		    "(--user NAME)");
	if (o->ttl < 60)
		log_warnx("-r %ld: clients refresh invitations every 30 "
		    "seconds; less than 60 drops live invitations", o->ttl);
	if (o->acl_file && o->acl_cache)
		fatalx("-a and --acl-cache both name a site policy; use one");
	if (o->keyed_name)
		return print_keyed_name(o);
	d.cache_path = o->acl_cache ? strdup(o->acl_cache) :
	    state_path(o->state_dir, "acl.cache");
	if (o->show) {
		rc = show_config(o, &d.ps, d.have_ps, d.cache_path);
		free(d.cache_path);
		return rc;	/* 0, or 1: the policy does not load */
	}
	if (o->check_only) {
		rc = check_only(&d);
		free(d.cache_path);
		return rc;
	}
	setup(&d);
	loop(&d);
	teardown(&d);
	return 0;
}
