/*
 * talkd: options, sockets, privilege drop and the receive loop.
 *
 * Modes: inetd/xinetd wait-mode (the UDP socket on fd 0, exit after the
 * idle timeout), systemd socket activation (LISTEN_FDS), or standalone
 * (--listen ADDR:PORT, repeatable; default 0.0.0.0:518).  Replies go to the
 * packet's source from the address the request arrived on (IP_PKTINFO).
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
#include "talkd/privsep.h"
#include "talkd/hashfile.h"

#define MAX_SOCKS	16
#define MAX_POLL	(MAX_SOCKS + 64)
#define BURST		64	/* packets read per socket per wakeup */

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
	int idle_set;
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
	    "             [--status FILE] [--version]\n");
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

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_LISTEN = 256, O_FG, O_JOURNAL, O_STATE, O_CACHE, O_UTMP,
	    O_USER, O_MAXINV, O_MAXSRC, O_DNSTO, O_NODNS, O_RINGTO, O_STATUS,
	    O_VERSION };
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
		{ "status", required_argument, NULL, O_STATUS },
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
		case 'T': o->show = 1; o->foreground = 1; break;
		case O_STATUS: o->status = optarg; break;
		case O_VERSION:
			printf("talkd %s\n", TALKD_VERSION);
			exit(0);
		case 't': o->tick = num(optarg, "-t", 1, 86400); break;
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
		default: usage();
		}
	}
	if (optind != argc)
		usage();
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

static void
sock_setup(int fd)
{
	int on = 1;

	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0)
		fatal("IP_PKTINFO");
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
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

/* Read one datagram, answer it from the address it reached. */
static int
handle_one(struct server *s, int fd, int64_t now, int64_t *last_msg)
{
	uint8_t buf[CTL_MSG_SIZE + 1], out[CTL_RESP_SIZE];
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct sockaddr_in src;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh;
	struct cmsghdr *cm;
	struct in_pktinfo *pi = NULL, reply_pi;
	struct ctl_msg m;
	struct ctl_resp r;
	enum ctl_answer ans;
	const char *why;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &src;
	mh.msg_namelen = sizeof(src);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	if ((n = recvmsg(fd, &mh, MSG_TRUNC)) < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			log_warn("recvmsg");
		return 0;
	}
	if (mh.msg_namelen < sizeof(src) || src.sin_family != AF_INET)
		return 1;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO)
			pi = (struct in_pktinfo *)CMSG_DATA(cm);

	switch (proto_decode(buf, (size_t)n, &m, &ans, &why)) {
	case PROTO_DROP:
		process_malformed(s, &src, why, NULL, now);
		return 1;
	case PROTO_REPLY:
		*last_msg = now;
		process_malformed(s, &src, why, proto_answer_str(ans), now);
		memset(&r, 0, sizeof(r));
		r.vers = TALK_VERSION;
		r.type = m.type;
		r.answer = (uint8_t)ans;
		break;
	case PROTO_OK:
		*last_msg = now;
		process_request(s, &m, &src, &r, now);
		break;
	}
	proto_encode_resp(&r, out);

	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &src;
	mh.msg_namelen = sizeof(src);
	iov.iov_base = out;
	iov.iov_len = sizeof(out);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (pi) {
		/* pi points into cbuf: take the address before reusing it. */
		memset(&reply_pi, 0, sizeof(reply_pi));
		reply_pi.ipi_spec_dst = pi->ipi_addr;	/* where it arrived */
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(reply_pi));
		memcpy(CMSG_DATA(cm), &reply_pi, sizeof(reply_pi));
	}
	if (sendmsg(fd, &mh, 0) < 0)
		log_debug("sendmsg: %s", strerror(errno));
	return 1;
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
	    "ring-timeout %ld\ndns %s\ndns-timeout %ld\nlogging %s\n",
	    o->strict ? "yes" : "no", o->ttl, o->idle_set ? o->idle :
	    strcmp(sock_mode(o), "standalone") == 0 ? 0 : o->idle, o->tick,
	    o->max_invites, o->max_per_source, o->ring_timeout,
	    o->dns ? "yes" : "no", o->dns_timeout_ms,
	    o->logging ? "yes" : "no");
	free(listen);
	free(journal);
	free(status);
	if (pol == NULL)
		return 1;
	policy_free(pol);
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct server s;
	struct privsep ps;
	struct table_limits lim;
	struct sigaction sa;
	struct pollfd pfd[MAX_POLL];
	int socks[MAX_SOCKS], inherited;
	size_t nsocks, i;
	int64_t last_msg, idle_ms;
	char *journal_path, *cache_path;
	int cache_required, opener, have_ps, show_rc;
	pid_t opener_pid;
	struct status_info si;
	char *status_file, *listening;

	parse_opts(argc, argv, &o);
	log_init(o.foreground, o.verbose);
	memset(&s, 0, sizeof(s));
	s.logging = o.logging;

	have_ps = privsep_resolve(o.user, &ps) == 0;
	if (!have_ps && geteuid() == 0 && !o.show)
		fatalx("cannot find an unprivileged user to run as "
		    "(--user NAME)");
	if (o.ttl < 60)
		log_warnx("-r %ld: clients refresh invitations every 30 "
		    "seconds; less than 60 drops live invitations", o.ttl);
	cache_required = o.acl_cache != NULL;
	cache_path = o.acl_cache ? strdup(o.acl_cache) :
	    state_path(o.state_dir, "acl.cache");
	if (o.acl_file && o.acl_cache)
		fatalx("-a and --acl-cache both name a site policy; use one");
	if (o.show) {
		show_rc = show_config(&o, &ps, have_ps, cache_path);
		free(cache_path);
		return show_rc;	/* 0, or 1: the policy does not load */
	}
	if (o.check_only) {
		if ((s.policy = policy_new(o.acl_file ? NULL : cache_path,
		    cache_required, o.acl_file, o.strict, -1, NULL)) == NULL) {
			fprintf(stderr, "talkd: configuration invalid\n");
			return 1;
		}
		policy_free(s.policy);
		free(cache_path);
		printf("configuration OK\n");
		return 0;
	}

	lim.max_entries = (size_t)o.max_invites;
	lim.max_per_source = (size_t)o.max_per_source;
	lim.ttl_ms = (int64_t)o.ttl * 1000;
	if ((s.table = table_new(&lim)) == NULL ||
	    (s.ringer = ringer_new(64, (int64_t)o.ring_timeout * 1000)) ==
	    NULL || (s.utmp = utmp_cache_new(o.utmp)) == NULL)
		fatal("out of memory");
	if (gethostname(s.hostname, sizeof(s.hostname) - 1) < 0)
		memcpy(s.hostname, "localhost", sizeof("localhost"));

	si.mode = sock_mode(&o);
	nsocks = open_sockets(&o, socks, &inherited);
	if (!inherited && !o.idle_set)
		o.idle = 0;		/* standalone: no idle exit */
	journal_path = o.journal ? strdup(o.journal) :
	    state_path(o.state_dir, "journal/journal");
	if (!o.journal) {
		char *jdir = state_path(o.state_dir, "journal");

		ensure_dirs(o.state_dir, jdir, &ps);
		free(jdir);
	} else
		ensure_dirs(o.state_dir, NULL, &ps);
	if ((s.journal = journal_open(journal_path)) == NULL)
		fatal("journal");
	if (geteuid() == 0)
		journal_chown(s.journal, ps.uid);

	opener = opener_start(&ps, &opener_pid);
	if ((s.pw = pwcache_new(1024, 30000)) == NULL)
		fatal("out of memory");
	if ((s.policy = policy_new(o.acl_file ? NULL : cache_path,
	    cache_required, o.acl_file, o.strict, opener, s.pw)) == NULL)
		fatalx("no usable site policy; refusing to start");

	status_file = status_path(&o, journal_path);
	listening = listen_str(&o, socks, nsocks);
	si.path = status_file;
	si.user = geteuid() == 0 ? ps.name : getpwuid(geteuid()) ?
	    getpwuid(geteuid())->pw_name : NULL;
	si.listen = listening;
	si.journal = journal_path;
	si.state_dir = o.state_dir;
	s.status = status_new(&si, ps.uid);

	privsep_drop(&ps);
	warn_shared_uid();
	if (chdir("/") < 0)
		fatal("chdir /");
	if ((s.resolver = resolver_new(o.dns, (int)o.dns_timeout_ms, 256)) ==
	    NULL)
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
		    .msg = inherited ? "inherited socket" : "standalone" };
		journal_write(s.journal, &r);
	}
	log_info("started; %zu socket(s), idle timeout %ld s, request "
	    "ttl %ld s", nsocks, o.idle, o.ttl);

	idle_ms = o.idle * 1000;
	last_msg = now_ms();
	while (!got_quit) {
		int64_t now = now_ms(), timeout;
		size_t np, nr;
		int rc;

		if (got_hup) {
			got_hup = 0;
			journal_reopen(s.journal);
			policy_reload(s.policy, now_ms(), 1);
			log_info("SIGHUP: journal reopened, policy reloaded");
		}
		process_expire(&s, now);
		process_flush_malformed(&s, now, 0);
		policy_reload(s.policy, now, 0);
		status_update(s.status, &s, now, "running");
		if (idle_ms > 0 && now - last_msg >= idle_ms &&
		    ringer_pending(s.ringer) == 0) {
			log_info("idle for %ld s, exiting", o.idle);
			break;
		}

		for (np = 0; np < nsocks; np++) {
			pfd[np].fd = socks[np];
			pfd[np].events = POLLIN;
			pfd[np].revents = 0;
		}
		nr = ringer_pollfds(s.ringer, pfd + np, MAX_POLL - np);
		timeout = o.tick * 1000;
		if (!o.acl_file || s.status)	/* the cache, the status file */
			timeout = min_timeout(timeout, 1000);
		timeout = min_timeout(timeout, table_next_expiry(s.table, now));
		timeout = min_timeout(timeout, ringer_next_deadline(s.ringer,
		    now));
		if (idle_ms > 0)
			timeout = min_timeout(timeout, last_msg + idle_ms - now);
		for (i = 0; i < sizeof(s.bad) / sizeof(s.bad[0]); i++)
			if (s.bad[i].count)
				timeout = min_timeout(timeout, 1000);
		if (timeout < 0)
			timeout = 0;
		rc = poll(pfd, np + nr, (int)(timeout > INT_MAX ? INT_MAX :
		    timeout));
		if (rc < 0) {
			if (errno != EINTR)
				fatal("poll");
			continue;
		}
		now = now_ms();
		for (i = 0; i < np; i++) {
			int k;
			if (!(pfd[i].revents & POLLIN))
				continue;
			for (k = 0; k < BURST; k++)
				if (!handle_one(&s, pfd[i].fd, now, &last_msg))
					break;
		}
		ringer_service(s.ringer, pfd + np, nr, now);
	}

	process_flush_malformed(&s, now_ms(), 1);
	{
		struct jrec r = { .event = "daemon.stop", .is_new = -1,
		    .msg = got_quit ? "signal" : "idle" };
		journal_write(s.journal, &r);
	}
	journal_close(s.journal);
	status_update(s.status, &s, now_ms(), "stopped");
	status_free(s.status);
	free(status_file);
	free(listening);
	resolver_free(s.resolver);
	ringer_free(s.ringer);
	table_free(s.table);
	utmp_cache_free(s.utmp);
	policy_free(s.policy);
	pwcache_free(s.pw);
	if (opener >= 0)
		close(opener);		/* the opener sees EOF and exits */
	if (opener_pid > 0)
		waitpid(opener_pid, NULL, 0);
	free(cache_path);
	free(s.local);
	free(journal_path);
	for (i = 0; i < nsocks; i++)
		close(socks[i]);
	return 0;
}
