/*
 * udpecho: the benchmark baseline, a bare UDP responder that answers every
 * datagram with 24 bytes, as fast as one process can.  Runs until killed.
 *
 *   udpecho ADDR:PORT
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int
main(int argc, char **argv)
{
	struct sockaddr_in sin, src;
	char host[64], *colon, buf[512];
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(host))
		return 2;
	memcpy(host, argv[1], strlen(argv[1]) + 1);
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
	for (;;) {
		socklen_t sl = sizeof(src);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&src, &sl);
		if (n > 0) {
			buf[2] = 1;
			sendto(fd, buf, 24, 0, (struct sockaddr *)&src, sl);
		}
	}
}
