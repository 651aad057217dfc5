/*
 * examples/udp_client.c — send COUNT datagrams to a UDP echo server and
 * print the replies; exit 0 if every one came back.
 *
 *   udp_client TAPIF ADDR/PLEN SERVER PORT [COUNT]
 *
 * The socket is connected, so only the server's datagrams are accepted
 * and an ICMP port unreachable comes back as ECONNREFUSED.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tern/rt.h>
#include <tern/socket.h>

int main(int argc, char **argv)
{
	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: udp_client TAPIF ADDR/PLEN SERVER PORT [COUNT]\n");
		return 2;
	}
	int count = argc == 6 ? atoi(argv[5]) : 3, echoed = 0;
	struct tern_sockaddr_in server = {.port = (uint16_t)atoi(argv[4])};
	struct tern_rt *rt = tern_rt_create(NULL);
	int rc = rt ? tern_rt_add_tap(rt, argv[1], argv[2], NULL) : TERN_ENOMEM;
	if (rc >= 0)
		rc = tern_ip4_parse(argv[3], &server.addr);
	struct tern_stack *s = rt ? tern_rt_stack(rt) : NULL;
	int sd = rc < 0 ? rc : tern_socket(s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	rc = sd < 0 ? sd : tern_connect(s, sd, &server);
	if (rc < 0) {
		fprintf(stderr, "udp_client: %s\n", tern_strerror(rc));
		return 1;
	}
	for (int i = 1; i <= count; i++) {
		char msg[64], reply[64];
		int len = snprintf(msg, sizeof(msg), "datagram %d of %d", i, count);
		rc = tern_rt_sendto(rt, sd, msg, (size_t)len, 0, NULL);
		/* ARP may take a retry (1 s) on a freshly opened TAP device. */
		if (rc >= 0)
			rc = tern_rt_recvfrom(rt, sd, reply, sizeof(reply) - 1, 0, NULL, TERN_SEC(3));
		if (rc < 0) {
			fprintf(stderr, "udp_client: datagram %d: %s\n", i,
				rc == TERN_EAGAIN ? "no reply within 3 s" : tern_strerror(rc));
			break;
		}
		reply[rc] = '\0';
		printf("reply from %s port %s: %s\n", argv[3], argv[4], reply);
		echoed += rc == len && memcmp(reply, msg, (size_t)len) == 0;
	}
	tern_rt_destroy(rt);
	return echoed == count ? 0 : 1;
}
