/*
 * ntalk-flood: send COUNT LEAVE_INVITEs, each with a new pid, from NADDR
 * consecutive source addresses starting at BASE (one socket bound to each,
 * in turn), keeping WINDOW in flight.  Bounded in count and in time (-T).
 * For tests of the table under a flood from many local addresses.
 *
 *   ntalk-flood [-n COUNT] [-a NADDR] [-w WINDOW] [-T SECONDS] [-p PIDBASE]
 *       BASE HOST:PORT L R
 *
 * Prints: "sent=N answered=M success=S seconds=T".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/tools/loadgen.h"

static long
arg(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "ntalk-flood: bad number \"%s\"\n", s);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	long count = 100000, naddr = 512, window = 64, secs = 60;
	long pidbase = 1, sent = 0, got = 0, ok = 0, i;
	struct sockaddr_in dst, me, *mine;
	struct pollfd *pfd;
	struct in_addr base;
	uint8_t pkt[84];
	char host[64], *colon;
	double t0, deadline;
	int c;

	while ((c = getopt(argc, argv, "n:a:w:T:p:")) != -1) {
		switch (c) {
		case 'n': count = arg(optarg, 1, 100000000); break;
		case 'a': naddr = arg(optarg, 1, 4096); break;
		case 'w': window = arg(optarg, 1, 65536); break;
		case 'T': secs = arg(optarg, 1, 3600); break;
		case 'p': pidbase = arg(optarg, 0, 0x7fffffff); break;
		default: return 2;
		}
	}
	if (argc - optind != 4 || strlen(argv[optind + 1]) >= sizeof(host) ||
	    inet_pton(AF_INET, argv[optind], &base) != 1) {
		fprintf(stderr, "usage: ntalk-flood [-n N] [-a NADDR] [-w W] "
		    "[-T S] [-p PID] BASE HOST:PORT L R\n");
		return 2;
	}
	memcpy(host, argv[optind + 1], strlen(argv[optind + 1]) + 1);
	if ((colon = strrchr(host, ':')) == NULL)
		return 2;
	*colon = '\0';
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)arg(colon + 1, 1, 65535));
	if (inet_pton(AF_INET, host, &dst.sin_addr) != 1)
		return 2;
	if ((pfd = calloc((size_t)naddr, sizeof(*pfd))) == NULL ||
	    (mine = calloc((size_t)naddr, sizeof(*mine))) == NULL)
		return 1;
	for (i = 0; i < naddr; i++) {
		memset(&me, 0, sizeof(me));
		me.sin_family = AF_INET;
		me.sin_addr.s_addr = htonl(ntohl(base.s_addr) + (uint32_t)i);
		pfd[i].events = POLLIN;
		if ((pfd[i].fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
		    bind(pfd[i].fd, (struct sockaddr *)&me, sizeof(me)) < 0 ||
		    connect(pfd[i].fd, (struct sockaddr *)&dst,
		    sizeof(dst)) < 0 || getsockname(pfd[i].fd,
		    (struct sockaddr *)&mine[i], &(socklen_t){ sizeof(me) }) <
		    0) {
			perror("ntalk-flood: socket");
			return 1;
		}
	}
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 1;				/* version */
	pkt[1] = 0;				/* LEAVE_INVITE */
	pkt[9] = 2;				/* addr family */
	pkt[25] = 2;				/* ctl_addr family */
	memcpy(pkt + 44, argv[optind + 2], strnlen(argv[optind + 2], 12));
	memcpy(pkt + 56, argv[optind + 3], strnlen(argv[optind + 3], 12));
	t0 = now();
	deadline = t0 + secs;
	while (got < count && now() < deadline) {
		while (sent < count && sent - got < window) {
			int fd = pfd[sent % naddr].fd;
			struct sockaddr_in *m = &mine[sent % naddr];

			memcpy(pkt + 10, &m->sin_port, 2);
			memcpy(pkt + 12, &m->sin_addr, 4);
			memcpy(pkt + 26, &m->sin_port, 2);
			memcpy(pkt + 28, &m->sin_addr, 4);
			put32(pkt + 40, (uint32_t)(pidbase + sent));
			if (send(fd, pkt, sizeof(pkt), 0) < 0 &&
			    errno != ECONNREFUSED)
				break;
			sent++;
		}
		if (poll(pfd, (nfds_t)naddr, 200) <= 0) {
			if (sent - got >= window)
				got++;		/* lost: let the window move */
			continue;
		}
		for (i = 0; i < naddr; i++) {
			uint8_t r[64];

			if (!(pfd[i].revents & POLLIN))
				continue;
			while (recv(pfd[i].fd, r, sizeof(r), MSG_DONTWAIT) ==
			    24) {
				got++;
				ok += r[2] == 0;	/* SUCCESS */
			}
		}
	}
	printf("sent=%ld answered=%ld success=%ld seconds=%.3f\n", sent, got,
	    ok, now() - t0);
	for (i = 0; i < naddr; i++)
		close(pfd[i].fd);
	free(pfd);
	free(mine);
	return 0;
}
