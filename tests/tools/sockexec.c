/*
 * sockexec: bind a UDP socket and exec a daemon with it, as inetd (wait
 * mode, socket on fd 0) or systemd (fd 3, LISTEN_FDS=1, LISTEN_PID) would.
 *
 *   sockexec inetd|systemd|inet6 ADDR:PORT PROGRAM [ARGS...]
 *
 * inet6 passes an IPv6 socket on fd 0 (the daemon must refuse it).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	char host[64], pid[32], *colon;
	int fd, target;

	if (argc < 4 || strlen(argv[2]) >= sizeof(host))
		return 2;
	memcpy(host, argv[2], strlen(argv[2]) + 1);
	if ((colon = strrchr(host, ':')) == NULL)
		return 2;
	*colon = '\0';
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)strtoul(colon + 1, NULL, 10));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return 2;
	if (strcmp(argv[1], "inet6") == 0)
		fd = socket(AF_INET6, SOCK_DGRAM, 0);
	else {
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
			perror("bind");
			return 1;
		}
	}
	target = strcmp(argv[1], "systemd") == 0 ? 3 : 0;
	if (fd != target && (dup2(fd, target) < 0 || close(fd) < 0))
		return 1;
	if (target == 3) {
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		setenv("LISTEN_PID", pid, 1);
		setenv("LISTEN_FDS", "1", 1);
	}
	execv(argv[3], argv + 3);
	perror(argv[3]);
	return 127;
}
