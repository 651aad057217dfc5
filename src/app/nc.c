/*
 * app/nc.c — nc -u as an application on a tern host: one UDP socket,
 * datagrams in from the user (tern_nc_send, one per read of stdin), every
 * datagram received written raw to `out`.
 *
 * Sans-I/O like ping: the socket's callback runs inside the stack's input
 * and -q / -w are stack timers, so whoever drives the stack (the
 * simulator or the real-time runner) drives nc. Behaviour follows OpenBSD
 * nc -u: with -l it waits for the first datagram and then "connects" to
 * its sender, so replies go there and only its datagrams are accepted.
 * After EOF on the input (tern_nc_eof) -q N ends it N seconds later; -w N
 * ends it after N seconds without traffic, counted once a peer is known.
 *
 * Errors: a connected socket gets ICMP errors (port unreachable →
 * TERN_ECONNREFUSED) on its next call. OpenBSD nc on Linux then exits 0
 * without a word; this nc says what happened on `diag` ("nc: read:
 * Connection refused", or "write: ..." if sending found it), ends, and
 * makes the exit status 1.
 */
#include "tern/apps.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tern/err.h"
#include "tern/socket.h"

struct tern_nc {
	struct tern_stack *s;
	struct tern_nc_opts o;
	FILE *out;
	int sd;
	bool peer;                 /* connected: the sender is known */
	bool done;
	int error;                 /* first socket error seen, 0 if none */
	unsigned received;
	tern_time_t last_activity;
	struct tern_timer quit;    /* -q, armed by tern_nc_eof */
	struct tern_timer idle;    /* -w, armed once a peer is known */
	uint8_t buf[65536];
};

void tern_nc_opts_init(struct tern_nc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->quit_after = -1;
}

static void say(const struct tern_nc *nc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(const struct tern_nc *nc, const char *fmt, ...)
{
	if (!nc->o.diag)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(nc->o.diag, fmt, ap);
	va_end(ap);
	fflush(nc->o.diag);
}

/* A socket error: report it as nc does ("PROG: OP: MESSAGE") and end. */
static void fail(struct tern_nc *nc, const char *op, int err)
{
	if (!nc->error)
		nc->error = err;
	say(nc, "%s: %s: %s\n", nc->o.prog ? nc->o.prog : "nc", op, tern_strerror(err));
	nc->done = true;
}

/* Socket calls act at the stack's time: bring it up to `now` first. */
static void catch_up(struct tern_stack *s, tern_time_t now)
{
	if (now > tern_stack_now(s))
		tern_stack_poll(s, now);
}

/* -w: the idle timer checks the last activity when it fires, so traffic
 * does not re-arm it per datagram. */
static void arm_idle(struct tern_nc *nc)
{
	if (nc->o.idle > 0 && !tern_timer_armed(&nc->idle))
		tern_timer_arm(nc->s, &nc->idle, nc->last_activity + nc->o.idle);
}

static void on_idle(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_nc *nc = TERN_CONTAINER_OF(t, struct tern_nc, idle);
	if (now >= nc->last_activity + nc->o.idle)
		nc->done = true;
	else
		tern_timer_arm(s, t, nc->last_activity + nc->o.idle);
}

static void on_quit(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_nc *nc = TERN_CONTAINER_OF(t, struct tern_nc, quit);
	(void)s;
	(void)now;
	nc->done = true;
}

/* Listen mode, first datagram: from now on, talk to its sender only. */
static void take_peer(struct tern_nc *nc, const struct tern_sockaddr_in *from)
{
	char ip[TERN_IP4_STRLEN];
	int rc = tern_connect(nc->s, nc->sd, from);
	if (rc < 0) {
		fail(nc, "connect", rc);
		return;
	}
	nc->peer = true;
	arm_idle(nc);
	if (nc->o.verbose) {
		fflush(nc->out);
		say(nc, "Connection received on %s %u\n", tern_ip4_str(from->addr, ip), from->port);
	}
}

static void deliver(struct tern_nc *nc, size_t len)
{
	if (fwrite(nc->buf, 1, len, nc->out) != len || fflush(nc->out) != 0) {
		int e = errno;
		if (!nc->error)
			nc->error = TERN_EIO;
		say(nc, "%s: write to output: %s\n", nc->o.prog ? nc->o.prog : "nc", strerror(e));
		nc->done = true;
		return;
	}
	nc->received++;
}

/* Runs inside the stack's input: write out everything queued. */
static void on_socket(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct tern_nc *nc = ctx;
	(void)events;
	while (!nc->done) {
		struct tern_sockaddr_in from;
		int n = tern_recvfrom(s, sd, nc->buf, sizeof(nc->buf), 0, &from);
		if (n == TERN_EAGAIN)
			return;
		if (n < 0) {
			fail(nc, "read", n);
			return;
		}
		nc->last_activity = tern_stack_now(s);
		if (!nc->peer)
			take_peer(nc, &from);
		deliver(nc, (size_t)n);
	}
}

static int open_socket(struct tern_nc *nc)
{
	const struct tern_nc_opts *o = &nc->o;
	const char *prog = o->prog ? o->prog : "nc";
	char ip[TERN_IP4_STRLEN];
	nc->sd = tern_socket(nc->s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	if (nc->sd < 0) {
		say(nc, "%s: socket: %s\n", prog, tern_strerror(nc->sd));
		return nc->sd;
	}
	tern_socket_set_owner(nc->s, nc->sd, "nc");
	tern_socket_set_callback(nc->s, nc->sd, on_socket, nc);
	if (o->src || o->port) {
		struct tern_sockaddr_in b = {o->src, o->port};
		int rc = tern_bind(nc->s, nc->sd, &b);
		if (rc < 0) {
			say(nc, "%s: bind %s:%u: %s\n", prog, tern_ip4_str(o->src, ip), o->port,
			    tern_strerror(rc));
			return rc;
		}
	}
	if (o->listen) {
		struct tern_sockaddr_in local;
		tern_getsockname(nc->s, nc->sd, &local);
		if (o->verbose)
			say(nc, "Bound on %s %u\n", tern_ip4_str(local.addr, ip), local.port);
		return 0;
	}
	struct tern_sockaddr_in peer = {o->dst, o->dst_port};
	int rc = tern_connect(nc->s, nc->sd, &peer);
	if (rc < 0) {
		say(nc, "%s: connect to %s port %u (udp) failed: %s\n", prog,
		    tern_ip4_str(o->dst, ip), o->dst_port, tern_strerror(rc));
		return rc;
	}
	nc->peer = true;
	arm_idle(nc);
	return 0;
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
	tern_timer_init(&nc->quit, on_quit);
	tern_timer_init(&nc->idle, on_idle);
	catch_up(s, now);
	nc->last_activity = tern_stack_now(s);
	int rc = open_socket(nc);
	if (rc < 0) {
		tern_timer_cancel(s, &nc->idle);
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
	nc->last_activity = tern_stack_now(nc->s);
	int rc = tern_send(nc->s, nc->sd, buf, len, 0);
	if (rc < 0)
		fail(nc, "write", rc);
	return rc;
}

void tern_nc_eof(struct tern_nc *nc, tern_time_t now)
{
	catch_up(nc->s, now);
	if (nc->o.quit_after == 0)
		nc->done = true;
	else if (nc->o.quit_after > 0 && !tern_timer_armed(&nc->quit))
		tern_timer_arm(nc->s, &nc->quit, tern_stack_now(nc->s) + nc->o.quit_after);
}

bool tern_nc_done(const struct tern_nc *nc)
{
	return nc->done;
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
	tern_timer_cancel(nc->s, &nc->quit);
	tern_timer_cancel(nc->s, &nc->idle);
	tern_close(nc->s, nc->sd);
	free(nc);
	return status;
}
