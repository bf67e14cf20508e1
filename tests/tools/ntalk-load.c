/*
 * ntalk-load: send COUNT ntalk requests to HOST:PORT keeping WINDOW of them
 * in flight, and report the rate of answered requests.  For benchmarks
 * (make bench); bounded in count and in time (-T seconds).
 *
 *   ntalk-load [-n COUNT] [-w WINDOW] [-T SECONDS] [-p PIDBASE] HOST:PORT TYPE L R
 *   ntalk-load -L MS [-n COUNT] [-p PIDBASE] HOST:PORT TYPE L R
 *
 * TYPE: invite (each request a new pid: fills the table), lookup, announce.
 * Prints: "sent=N answered=M seconds=S rate=R".
 *
 * -L: latency, for explicit bounds in the integration tests: one request
 * at a time, each after the answer to the one before or MS milliseconds
 * (then it is lost, and counts MS); prints "sent=N answered=M lost=K
 * max_ms=X mean_ms=Y".
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

/* -L: COUNT requests one at a time; the worst and mean round trip. */
static int
latency(int fd, uint8_t *pkt, long count, long pidbase, long wait_ms)
{
	double t, rt, left, max = 0, sum = 0;
	long i, got = 0;
	uint8_t r[64];
	ssize_t n;

	for (i = 0; i < count; i++) {
		struct pollfd p = { fd, POLLIN, 0 };

		while (recv(fd, r, sizeof(r), MSG_DONTWAIT) > 0)
			;		/* a late answer to a lost one */
		put32(pkt + 40, (uint32_t)(pidbase + i));
		t = now();
		if (send(fd, pkt, 84, 0) < 0) {
			perror("send");
			return 1;
		}
		rt = wait_ms;
		while ((left = t + wait_ms / 1e3 - now()) > 0 &&
		    poll(&p, 1, (int)(left * 1e3) + 1) > 0) {
			n = recv(fd, r, sizeof(r), MSG_DONTWAIT);
			if (n >= 8) {
				rt = (now() - t) * 1e3;
				got++;
				break;
			}
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				break;
		}
		if (rt > max)
			max = rt;
		sum += rt;
	}
	printf("sent=%ld answered=%ld lost=%ld max_ms=%.2f mean_ms=%.2f\n",
	    count, got, count - got, max, sum / count);
	return 0;
}

int
main(int argc, char **argv)
{
	long count = 10000, window = 32, secs = 60, pidbase = 1000, sent = 0, got = 0;
	long lat_ms = 0;
	struct sockaddr_in dst, me;
	socklen_t sl = sizeof(me);
	uint8_t pkt[84];
	int c, fd, type;
	double t0, deadline;
	char host[64], *colon;

	while ((c = getopt(argc, argv, "n:w:T:p:L:")) != -1) {
		switch (c) {
		case 'L': lat_ms = strtol(optarg, NULL, 10); break;
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'w': window = strtol(optarg, NULL, 10); break;
		case 'T': secs = strtol(optarg, NULL, 10); break;
		case 'p': pidbase = strtol(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (argc - optind != 4 || strlen(argv[optind]) >= sizeof(host) ||
	    count < 1 || window < 1 || lat_ms < 0 || lat_ms > 60000 ||
	    (lat_ms > 0 && count > 100000)) {
		fprintf(stderr, "usage: ntalk-load [-n N] [-w W] [-T S] [-p PID] HOST:PORT invite|lookup|announce L R\n");
		return 2;
	}
	memcpy(host, argv[optind], strlen(argv[optind]) + 1);
	if (!(colon = strrchr(host, ':')))
		return 2;
	*colon = '\0';
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)strtol(colon + 1, NULL, 10));
	if (inet_pton(AF_INET, host, &dst.sin_addr) != 1)
		return 2;
	type = !strcmp(argv[optind + 1], "invite") ? 0 : !strcmp(argv[optind + 1], "lookup") ? 1 : 3;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&me, &sl) < 0) {
		perror("socket");
		return 1;
	}
	{
		int rcv = 4 << 20;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	}
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 1;
	pkt[1] = (uint8_t)type;
	pkt[8] = 0; pkt[9] = 2;				/* addr family */
	memcpy(pkt + 10, &me.sin_port, 2);
	memcpy(pkt + 12, &me.sin_addr, 4);
	pkt[24] = 0; pkt[25] = 2;			/* ctl_addr */
	memcpy(pkt + 26, &me.sin_port, 2);
	memcpy(pkt + 28, &me.sin_addr, 4);
	memcpy(pkt + 44, argv[optind + 2], strnlen(argv[optind + 2], 12));
	memcpy(pkt + 56, argv[optind + 3], strnlen(argv[optind + 3], 12));
	if (lat_ms > 0)
		return latency(fd, pkt, count, pidbase, lat_ms);
	t0 = now();
	deadline = t0 + secs;
	while (got < count && now() < deadline) {
		struct pollfd p = { fd, POLLIN, 0 };
		uint8_t r[64];
		while (sent < count && sent - got < window) {
			put32(pkt + 40, (uint32_t)(pidbase + sent));
			if (send(fd, pkt, sizeof(pkt), 0) < 0 && errno != ECONNREFUSED)
				break;
			sent++;
		}
		if (poll(&p, 1, 200) <= 0) {
			/* a lost datagram: let the window move on */
			if (sent - got >= window)
				got++;
			continue;
		}
		while (recv(fd, r, sizeof(r), MSG_DONTWAIT) > 0)
			got++;
	}
	printf("sent=%ld answered=%ld seconds=%.3f rate=%.0f\n", sent, got,
	    now() - t0, got / (now() - t0));
	return 0;
}
