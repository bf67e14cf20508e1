/*
 * ntalk: send one ntalk CTL_MSG (or raw bytes) to a daemon and print the
 * reply.  A test oracle: it encodes the wire format on its own, without the
 * daemon's codec.
 *
 *   ntalk [-s SRC] [-w MS] [-n COUNT] [-q] HOST:PORT TYPE L_NAME R_NAME [KEY=VALUE...]
 *   ntalk [-s SRC] [-w MS] [-n COUNT] [-q] HOST:PORT raw HEX
 *
 * TYPE: invite, lookup, delete, announce, or a number.  Keys: id pid tty
 * vers answer addr=IP:PORT ctl=IP:PORT family ctlfamily (numbers are
 * decimal or 0x hex; names may contain \xNN escapes).  -s binds the source
 * address (e.g. 127.0.0.2); ctl defaults to that socket's address.  -n sends
 * COUNT copies and waits only after the last one.  -w 0 does not wait.
 *
 * Output: one line "vers=1 type=ANNOUNCE answer=SUCCESS id=5 addr=2:1.2.3.4:5
 * bytes=24 hex=..." and exit 0, or "timeout" and exit 3; usage errors exit 2.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *types[] = { "LEAVE_INVITE", "LOOK_UP", "DELETE", "ANNOUNCE" };
static const char *answers[] = { "SUCCESS", "NOT_HERE", "FAILED",
	"MACHINE_UNKNOWN", "PERMISSION_DENIED", "UNKNOWN_REQUEST", "BADVERSION",
	"BADADDR", "BADCTLADDR" };

static void
die(const char *m)
{
	fprintf(stderr, "ntalk: %s\n", m);
	exit(2);
}

static unsigned long
num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s)
		die("bad number");
	return v;
}

static void
hostport(const char *s, struct sockaddr_in *sin)
{
	char buf[64];
	char *colon;

	if (strlen(s) >= sizeof(buf))
		die("bad address");
	memcpy(buf, s, strlen(s) + 1);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	colon = strrchr(buf, ':');
	if (colon) {
		*colon = '\0';
		sin->sin_port = htons((uint16_t)num(colon + 1));
	}
	if (inet_pton(AF_INET, buf, &sin->sin_addr) != 1)
		die("bad address");
}

/* Copy a name with \xNN escapes into a fixed field (no NUL forced). */
static void
field(uint8_t *dst, size_t len, const char *s)
{
	size_t i = 0;

	memset(dst, 0, len);
	while (*s && i < len) {
		if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
			char h[3] = { s[2], s[3], 0 };
			dst[i++] = (uint8_t)strtoul(h, NULL, 16);
			s += 4;
		} else
			dst[i++] = (uint8_t)*s++;
	}
}

static void
put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static void
put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static uint32_t
get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

static void
osa(uint8_t *p, uint16_t family, const struct sockaddr_in *sin)
{
	memset(p, 0, 16);
	put16(p, family);
	memcpy(p + 2, &sin->sin_port, 2);
	memcpy(p + 4, &sin->sin_addr, 4);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in dst, src, ctl, addr, me;
	socklen_t slen = sizeof(me);
	uint8_t pkt[2048], reply[512];
	size_t plen = 84;
	long wait_ms = 2000, count = 1;
	int quiet = 0, have_src = 0, have_ctl = 0, c, fd, i;
	unsigned ctlfam = 2, fam = 2;

	while ((c = getopt(argc, argv, "s:w:n:q")) != -1) {
		switch (c) {
		case 's': hostport(optarg, &src); have_src = 1; break;
		case 'w': wait_ms = (long)num(optarg); break;
		case 'n': count = (long)num(optarg); break;
		case 'q': quiet = 1; break;
		default: die("usage: ntalk [-s SRC] [-w MS] [-n N] HOST:PORT TYPE L R [K=V...]");
		}
	}
	argc -= optind; argv += optind;
	if (argc < 2)
		die("usage: ntalk [-s SRC] [-w MS] [-n N] HOST:PORT TYPE L R [K=V...]");
	hostport(argv[0], &dst);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		die("socket");
	if (have_src && bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
		die("bind source");
	/* Learn our own address as the kernel would pick it. */
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&me, &slen) < 0)
		die("connect");
	memset(pkt, 0, sizeof(pkt));

	if (strcmp(argv[1], "raw") == 0) {
		const char *h = argc > 2 ? argv[2] : "";
		plen = 0;
		while (h[0] && h[1] && plen < sizeof(pkt)) {
			char b[3] = { h[0], h[1], 0 };
			pkt[plen++] = (uint8_t)strtoul(b, NULL, 16);
			h += 2;
		}
	} else {
		unsigned type;
		if (argc < 4)
			die("need TYPE L_NAME R_NAME");
		if (!strcmp(argv[1], "invite")) type = 0;
		else if (!strcmp(argv[1], "lookup")) type = 1;
		else if (!strcmp(argv[1], "delete")) type = 2;
		else if (!strcmp(argv[1], "announce")) type = 3;
		else type = (unsigned)num(argv[1]);
		pkt[0] = 1;
		pkt[1] = (uint8_t)type;
		put32(pkt + 40, (uint32_t)getpid());
		field(pkt + 44, 12, argv[2]);
		field(pkt + 56, 12, argv[3]);
		addr = me;
		addr.sin_port = htons(40000);
		for (i = 4; i < argc; i++) {
			char *eq = strchr(argv[i], '=');
			if (!eq)
				die("KEY=VALUE expected");
			*eq++ = '\0';
			if (!strcmp(argv[i], "id")) put32(pkt + 4, (uint32_t)num(eq));
			else if (!strcmp(argv[i], "pid")) put32(pkt + 40, (uint32_t)num(eq));
			else if (!strcmp(argv[i], "tty")) field(pkt + 68, 16, eq);
			else if (!strcmp(argv[i], "vers")) pkt[0] = (uint8_t)num(eq);
			else if (!strcmp(argv[i], "answer")) pkt[2] = (uint8_t)num(eq);
			else if (!strcmp(argv[i], "addr")) hostport(eq, &addr);
			else if (!strcmp(argv[i], "ctl")) { hostport(eq, &ctl); have_ctl = 1; }
			else if (!strcmp(argv[i], "family")) fam = (unsigned)num(eq);
			else if (!strcmp(argv[i], "ctlfamily")) ctlfam = (unsigned)num(eq);
			else die("unknown key");
		}
		osa(pkt + 8, (uint16_t)fam, &addr);
		osa(pkt + 24, (uint16_t)ctlfam, have_ctl ? &ctl : &me);
	}

	for (i = 0; i < count; i++)
		if (send(fd, pkt, plen, 0) < 0 && errno != ECONNREFUSED)
			die("send");
	if (wait_ms == 0)
		return 0;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		int k;

		if (poll(&p, 1, (int)wait_ms) <= 0) {
			printf("timeout\n");
			return 3;
		}
		n = recv(fd, reply, sizeof(reply), 0);
		if (n < 0) {
			if (errno == ECONNREFUSED) {
				printf("refused\n");
				return 3;
			}
			die("recv");
		}
		if (--count > 0)	/* with -n: the last reply counts */
			continue;
		if (!quiet) {
			if (n >= 24) {
				uint16_t f = (uint16_t)(reply[8] << 8 | reply[9]);
				char a[INET_ADDRSTRLEN];
				inet_ntop(AF_INET, reply + 12, a, sizeof(a));
				printf("vers=%u type=%s answer=%s id=%lu addr=%u:%s:%u",
				    reply[0], reply[1] < 4 ? types[reply[1]] : "?",
				    reply[2] < 9 ? answers[reply[2]] : "?",
				    (unsigned long)get32(reply + 4), f, a,
				    (unsigned)(reply[10] << 8 | reply[11]));
			}
			printf(" bytes=%zd hex=", n);
			for (k = 0; k < n; k++)
				printf("%02x", reply[k]);
			printf("\n");
		}
		return 0;
	}
}
