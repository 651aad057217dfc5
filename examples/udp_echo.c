/*
 * examples/udp_echo.c — a UDP echo server (RFC 862) on a TAP device.
 *
 *   udp_echo TAPIF ADDR/PLEN PORT      e.g. udp_echo tap0 10.0.0.2/24 7
 *
 * One tern host on the TAP device, one socket bound to PORT, and a loop
 * that waits for a datagram (tern_rt_recvfrom runs the host meanwhile:
 * ARP, ping, ...) and sends it back where it came from.
 */
#include <stdio.h>
#include <stdlib.h>

#include <tern/rt.h>
#include <tern/socket.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: udp_echo TAPIF ADDR/PLEN PORT\n");
		return 2;
	}
	struct tern_rt *rt = tern_rt_create(NULL);
	int rc = rt ? tern_rt_add_tap(rt, argv[1], argv[2], NULL) : TERN_ENOMEM;
	if (rc < 0) {
		fprintf(stderr, "udp_echo: %s %s: %s\n", argv[1], argv[2], tern_strerror(rc));
		return 1;
	}
	struct tern_stack *s = tern_rt_stack(rt);
	struct tern_sockaddr_in any = {.addr = 0, .port = (uint16_t)atoi(argv[3])};
	int sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	rc = sd < 0 ? sd : tern_bind(s, sd, &any);
	if (rc < 0) {
		fprintf(stderr, "udp_echo: port %s: %s\n", argv[3], tern_strerror(rc));
		return 1;
	}
	printf("udp_echo: listening on %s port %u\n", argv[2], any.port);
	fflush(stdout);

	static char buf[TERN_UDP_MAX_PAYLOAD];
	for (;;) {
		struct tern_sockaddr_in from;
		int n = tern_rt_recvfrom(rt, sd, buf, sizeof(buf), 0, &from, TERN_TIME_NEVER);
		if (n < 0) { /* the TAP device failed (or a signal, if we caught any) */
			fprintf(stderr, "udp_echo: %s\n", tern_strerror(n));
			break;
		}
		tern_rt_sendto(rt, sd, buf, (size_t)n, 0, &from);
	}
	tern_rt_destroy(rt);
	return 1;
}
