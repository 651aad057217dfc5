/*
 * examples/tcp_echo.c — a TCP echo server (RFC 862) on a TAP device.
 *
 *   tcp_echo TAPIF ADDR/PLEN PORT      e.g. tcp_echo tap0 10.0.0.2/24 7
 *
 * One tern host on the TAP device and one listening socket. Each
 * connection's socket gets a callback: what arrives is sent back (kept
 * while the send buffer is full), and when the client closes, we close.
 * tern_rt_run_once runs the host (ARP, ping, the connections' timers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tern/rt.h>
#include <tern/socket.h>

#define MAX_CONNS 64

struct conn {
	int sd;                 /* -1: free */
	char buf[16384];
	size_t len;             /* bytes read, not yet sent back */
	bool eof;
};
static struct conn conns[MAX_CONNS];

static void on_conn(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct conn *c = ctx;
	(void)events;
	for (;;) {
		if (c->len) { /* send back what waits first */
			int w = tern_send(s, sd, c->buf, c->len, 0);
			if (w <= 0)
				break;
			memmove(c->buf, c->buf + w, c->len - (size_t)w);
			c->len -= (size_t)w;
			continue;
		}
		int r = tern_recv(s, sd, c->buf, sizeof(c->buf), 0);
		if (r > 0) {
			c->len = (size_t)r;
			continue;
		}
		if (r == 0 || r != TERN_EAGAIN)
			c->eof = true;
		break;
	}
	if (c->eof && c->len == 0) {
		tern_close(s, sd); /* FIN after what was echoed */
		c->sd = -1;
	}
}

static void on_listener(void *ctx, struct tern_stack *s, int lsd, unsigned events)
{
	(void)ctx;
	(void)events;
	int sd;
	while ((sd = tern_accept(s, lsd, NULL)) >= 0) {
		struct conn *c = NULL;
		for (int i = 0; i < MAX_CONNS && !c; i++)
			if (conns[i].sd < 0)
				c = &conns[i];
		if (!c) {
			tern_close(s, sd);
			continue;
		}
		*c = (struct conn){.sd = sd};
		tern_socket_set_callback(s, sd, on_conn, c);
		on_conn(c, s, sd, 0);
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: tcp_echo TAPIF ADDR/PLEN PORT\n");
		return 2;
	}
	for (int i = 0; i < MAX_CONNS; i++)
		conns[i].sd = -1;
	struct tern_rt *rt = tern_rt_create(NULL);
	int rc = rt ? tern_rt_add_tap(rt, argv[1], argv[2], NULL) : TERN_ENOMEM;
	if (rc < 0) {
		fprintf(stderr, "tcp_echo: %s %s: %s\n", argv[1], argv[2], tern_strerror(rc));
		return 1;
	}
	struct tern_stack *s = tern_rt_stack(rt);
	struct tern_sockaddr_in any = {.addr = 0, .port = (uint16_t)atoi(argv[3])};
	int lsd = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	rc = lsd < 0 ? lsd : tern_bind(s, lsd, &any);
	if (rc == 0)
		rc = tern_listen(s, lsd, 16);
	if (rc < 0) {
		fprintf(stderr, "tcp_echo: port %s: %s\n", argv[3], tern_strerror(rc));
		return 1;
	}
	tern_socket_set_callback(s, lsd, on_listener, NULL);
	printf("tcp_echo: listening on %s port %u\n", argv[2], any.port);
	fflush(stdout);
	while ((rc = tern_rt_run_once(rt, TERN_SEC(1))) >= 0)
		;
	fprintf(stderr, "tcp_echo: %s\n", tern_strerror(rc));
	tern_rt_destroy(rt);
	return 1;
}
