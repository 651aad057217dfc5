/*
 * examples/tcp_client.c — a TCP client on a TAP device: connect, send a
 * message, read the answer until the server closes, print it.
 *
 *   tcp_client TAPIF ADDR/PLEN SERVER PORT MESSAGE
 *   e.g. tcp_client tap1 10.0.0.3/24 10.0.0.1 7 "hello"
 *
 * The blocking helpers of tern/rt.h run the host while they wait (ARP,
 * the handshake, retransmissions); shutdown(SHUT_WR) tells the server the
 * message is complete, as `nc -N` does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tern/rt.h>
#include <tern/socket.h>

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: tcp_client TAPIF ADDR/PLEN SERVER PORT MESSAGE\n");
		return 2;
	}
	struct tern_rt *rt = tern_rt_create(NULL);
	int rc = rt ? tern_rt_add_tap(rt, argv[1], argv[2], NULL) : TERN_ENOMEM;
	struct tern_sockaddr_in server = {.port = (uint16_t)atoi(argv[4])};
	if (rc >= 0) /* the interface's index */
		rc = tern_ip4_parse(argv[3], &server.addr);
	if (rc < 0) {
		fprintf(stderr, "tcp_client: %s %s %s: %s\n", argv[1], argv[2], argv[3],
			tern_strerror(rc));
		return 1;
	}
	struct tern_stack *s = tern_rt_stack(rt);
	int sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	rc = sd < 0 ? sd : tern_rt_connect(rt, sd, &server, TERN_SEC(10));
	if (rc == 0)
		rc = tern_rt_send_all(rt, sd, argv[5], strlen(argv[5]), TERN_SEC(10));
	if (rc >= 0)
		rc = tern_shutdown(s, sd, TERN_SHUT_WR);
	char buf[4096];
	while (rc >= 0 && (rc = tern_rt_recvfrom(rt, sd, buf, sizeof(buf), 0, NULL, TERN_SEC(10))) > 0)
		fwrite(buf, 1, (size_t)rc, stdout);
	if (rc < 0)
		fprintf(stderr, "tcp_client: %s port %s: %s\n", argv[3], argv[4], tern_strerror(rc));
	tern_close(s, sd);
	/* Our last ACK (and FIN) must leave before the stack goes. */
	for (int i = 0; i < 20 && tern_rt_tx_pending(rt); i++)
		tern_rt_run_once(rt, TERN_MSEC(50));
	tern_rt_run_once(rt, TERN_MSEC(50));
	tern_rt_destroy(rt);
	return rc < 0 ? 1 : 0;
}
