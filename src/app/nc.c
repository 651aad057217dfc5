/*
 * app/nc.c — nc -u as an application on a tern host: one UDP socket,
 * datagrams in from the user (tern_nc_send, one per read of stdin), every
 * datagram received written raw to `out`.
 *
 * Sans-I/O like ping: the socket's callback runs inside the stack's input,
 * so whoever drives the stack (the simulator or the real-time runner)
 * drives nc. Behaviour follows OpenBSD nc -u: with -l it waits for the
 * first datagram and then "connects" to its sender, so replies go there
 * and only its datagrams are accepted. A connected socket gets ICMP errors
 * (port unreachable → TERN_ECONNREFUSED) on its next call; the first one
 * seen is kept, and makes nc's exit status 1.
 */
#include "tern/apps.h"

#include <stdlib.h>

#include "tern/socket.h"

struct tern_nc {
	struct tern_stack *s;
	struct tern_nc_opts o;
	FILE *out;
	int sd;
	bool peer;                 /* connected: the sender is known */
	int error;                 /* first socket error seen, 0 if none */
	unsigned received;
	uint8_t buf[65536];
};

static void note_error(struct tern_nc *nc, int err)
{
	if (!nc->error)
		nc->error = err;
}

/* Socket calls act at the stack's time: bring it up to `now` first. */
static void catch_up(struct tern_stack *s, tern_time_t now)
{
	if (now > tern_stack_now(s))
		tern_stack_poll(s, now);
}

/* Listen mode, first datagram: from now on, talk to its sender only. */
static void take_peer(struct tern_nc *nc, const struct tern_sockaddr_in *from)
{
	int rc = tern_connect(nc->s, nc->sd, from);
	if (rc < 0)
		note_error(nc, rc);
	else
		nc->peer = true;
}

/* Runs inside the stack's input: write out everything queued. */
static void on_socket(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct tern_nc *nc = ctx;
	for (;;) {
		struct tern_sockaddr_in from;
		int n = tern_recvfrom(s, sd, nc->buf, sizeof(nc->buf), 0, &from);
		if (n == TERN_EAGAIN)
			return;
		if (n < 0) {
			note_error(nc, n);
			return;
		}
		if (!nc->peer)
			take_peer(nc, &from);
		fwrite(nc->buf, 1, (size_t)n, nc->out);
		fflush(nc->out);
		nc->received++;
	}
}

static int open_socket(struct tern_nc *nc)
{
	const struct tern_nc_opts *o = &nc->o;
	nc->sd = tern_socket(nc->s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	if (nc->sd < 0)
		return nc->sd;
	tern_socket_set_owner(nc->s, nc->sd, "nc");
	tern_socket_set_callback(nc->s, nc->sd, on_socket, nc);
	if (o->src || o->port) {
		struct tern_sockaddr_in b = {o->src, o->port};
		int rc = tern_bind(nc->s, nc->sd, &b);
		if (rc < 0)
			return rc;
	}
	if (o->listen)
		return 0;
	struct tern_sockaddr_in peer = {o->dst, o->dst_port};
	int rc = tern_connect(nc->s, nc->sd, &peer);
	nc->peer = rc == 0;
	return rc;
}

struct tern_nc *tern_nc_start(struct tern_stack *s, const struct tern_nc_opts *o, FILE *out,
			      tern_time_t now, int *err)
{
	if (o->listen ? o->port == 0 : o->dst_port == 0) {
		*err = TERN_EINVAL;
		return NULL;
	}
	struct tern_nc *nc = calloc(1, sizeof(*nc));
	if (!nc) {
		*err = TERN_ENOMEM;
		return NULL;
	}
	nc->s = s;
	nc->o = *o;
	nc->out = out;
	catch_up(s, now);
	int rc = open_socket(nc);
	if (rc < 0) {
		if (nc->sd >= 0)
			tern_close(s, nc->sd);
		free(nc);
		*err = rc;
		return NULL;
	}
	*err = 0;
	return nc;
}

int tern_nc_send(struct tern_nc *nc, const void *buf, size_t len, tern_time_t now)
{
	if (!nc->peer)
		return TERN_ENOTCONN;
	catch_up(nc->s, now);
	int rc = tern_send(nc->s, nc->sd, buf, len, 0);
	if (rc < 0)
		note_error(nc, rc);
	return rc;
}

bool tern_nc_has_peer(const struct tern_nc *nc)
{
	return nc->peer;
}

int tern_nc_error(const struct tern_nc *nc)
{
	return nc->error;
}

unsigned tern_nc_received(const struct tern_nc *nc)
{
	return nc->received;
}

int tern_nc_finish(struct tern_nc *nc)
{
	int status = nc->error ? 1 : 0;
	tern_close(nc->s, nc->sd);
	free(nc);
	return status;
}
