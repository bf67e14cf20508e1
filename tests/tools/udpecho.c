/*
 * udpecho: the benchmark baseline, a bare UDP responder that answers every
 * datagram with 24 bytes, as fast as one process can.  Runs until killed.
 *
 *   udpecho [-j FILE] [-s NS] [-b N] ADDR:PORT
 *
 * It does the I/O talkd does at its best and nothing else: a blocking
 * recvmmsg(MSG_WAITFORONE) of up to 64 datagrams, then one sendmmsg() of
 * the answers.  With one request in flight that is one receive and one send
 * per request, the same as blocking recvfrom/sendto; with several queued it
 * batches as talkd does, so a ratio against it measures talkd's own work
 * and its journal write, not its batching.
 *
 * With -j it also appends one REC-byte line per datagram to FILE, in one
 * write(2) per batch made before the sends, as talkd writes its journal:
 * the same I/O as talkd and no other work.  That is the ceiling for any
 * responder that keeps a record of each request before it answers; REC is
 * about the size of talkd's LOOK_UP record.
 *
 * The two others are yardsticks for what moves a rate on a given machine
 * (make bench prints them beside talkd): -s spends NS nanoseconds of CPU in
 * user space on each datagram, busy on the clock, the cost of a daemon's
 * own work with no system call in it; -b reads at most N datagrams per
 * call instead of 64.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define REC 206		/* bytes per record, with its newline */

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);	/* the vDSO: no system call */
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/*
 * Busy for ns nanoseconds by the clock, not for a number of loop turns
 * timed at start: under load such a loop took half as long again.
 */
static void
spin(double ns)
{
	double end;

	if (ns <= 0)
		return;
	end = now_ns() + ns;
	while (now_ns() < end)
		;
}

int
main(int argc, char **argv)
{
	static struct mmsghdr in[BATCH], out[BATCH];
	static struct iovec iniov[BATCH], outiov[BATCH];
	static struct sockaddr_in src[BATCH];
	static char buf[BATCH][512], rec[BATCH * REC];
	struct sockaddr_in sin;
	char host[64], *colon;
	double busy = 0;
	unsigned cap = BATCH;
	int fd, jfd = -1, i, n, c;

	while ((c = getopt(argc, argv, "j:s:b:")) != -1) {
		switch (c) {
		case 'j':
			if ((jfd = open(optarg, O_WRONLY | O_CREAT | O_APPEND |
			    O_CLOEXEC, 0600)) < 0)
				return 1;
			break;
		case 's':
			busy = strtod(optarg, NULL);
			break;
		case 'b':
			cap = (unsigned)strtoul(optarg, NULL, 10);
			if (cap < 1 || cap > BATCH)
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 1 || strlen(argv[optind]) >= sizeof(host))
		return 2;
	memset(rec, 'x', sizeof(rec));
	for (i = 0; i < BATCH; i++)
		rec[i * REC + REC - 1] = '\n';
	memcpy(host, argv[optind], strlen(argv[optind]) + 1);
	if (!(colon = strrchr(host, ':')))
		return 2;
	*colon = '\0';
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)strtol(colon + 1, NULL, 10));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return 2;
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return 1;
	for (i = 0; i < BATCH; i++) {
		iniov[i].iov_base = buf[i];
		iniov[i].iov_len = sizeof(buf[i]);
		in[i].msg_hdr.msg_iov = &iniov[i];
		in[i].msg_hdr.msg_iovlen = 1;
		in[i].msg_hdr.msg_name = &src[i];
		outiov[i].iov_base = buf[i];
		outiov[i].iov_len = 24;
		out[i].msg_hdr.msg_iov = &outiov[i];
		out[i].msg_hdr.msg_iovlen = 1;
		out[i].msg_hdr.msg_name = &src[i];
	}
	for (;;) {
		for (i = 0; i < BATCH; i++)
			in[i].msg_hdr.msg_namelen = sizeof(src[i]);
		if ((n = recvmmsg(fd, in, cap, MSG_WAITFORONE, NULL)) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			spin(busy);
			buf[i][2] = 1;
			out[i].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
		}
		if (jfd >= 0 && write(jfd, rec, (size_t)n * REC) < 0)
			return 1;
		(void)sendmmsg(fd, out, (unsigned)n, 0);
	}
}
