/*
 * app/nc.c — nc as an application on a tern host. UDP (-u): one socket,
 * datagrams in from the user (tern_nc_send, one per read of stdin), every
 * datagram received written raw to `out`. TCP (the default of `tern nc`):
 * one connection at a time, a byte stream each way; see "TCP" below.
 *
 * Sans-I/O like ping: the socket's callback runs inside the stack's input
 * and -q / -w are stack timers, so whoever drives the stack (the
 * simulator or the real-time runner) drives nc. Behaviour follows OpenBSD
 * nc -u: with -l it waits for the first datagram and then "connects" to
 * its sender, so replies go there and only its datagrams are accepted.
 * After EOF on the input (tern_nc_eof) -q N ends it N seconds later,
 * reading nothing more meanwhile (nc shuts the read side); -w N ends it
 * after N seconds without traffic (the input's end counts), once a peer
 * is known.
 *
 * Errors: a connected socket gets ICMP errors (port unreachable →
 * TERN_ECONNREFUSED) on its next call. As Debian's nc 1.219 (observed
 * side by side, tests/interop/test_nc_openbsd.sh) that ends nc without a
 * word and with status 0: at once, or -q N seconds later. Other socket
 * errors are said on `diag` ("nc: read: REASON") with status 1.
 *
 * -v on a UDP client (with or without -z) first probes the port as nc's
 * udptest does: two "X" datagrams at once, then one a second for 3 seconds (-w S: S);
 * a port unreachable meanwhile ends nc silently with status 1, otherwise
 * -v says "Connection to HOST PORT port [udp/NAME] succeeded!" and (not
 * -z) the datagram exchange begins.
 */
#include "tern/apps.h"

#define _GNU_SOURCE /* getservbyport in <netdb.h> */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tern/err.h"
#include "tern/socket.h"

#include "app/sock_util.h"

struct tern_nc {
	struct tern_stack *s;
	struct tern_nc_opts o;
	FILE *out;
	int sd;                    /* UDP: the socket; TCP: the connection, -1 if none */
	bool peer;                 /* connected: the sender is known */
	bool done;
	int error;                 /* first socket error seen, 0 if none */
	int status;                /* exit status so far (0 or 1) */
	unsigned received;
	uint64_t received_bytes;
	tern_time_t last_activity;
	struct tern_timer quit;    /* -q, armed by tern_nc_eof (TCP: once both sides ended) */
	struct tern_timer idle;    /* -w, armed once a peer is known */
	/* UDP */
	bool refused;              /* a port unreachable came back: input no longer taken */
	bool net_in_closed;        /* -q and the input ended: nc reads no more (SHUT_RD) */
	bool probing;              /* -v: the "X" probes run */
	unsigned probes_left;
	struct tern_timer probe;
	/* TCP */
	int lsd;                   /* listening socket (-l), else -1 */
	bool connecting;           /* connect in progress */
	bool eof;                  /* the input ended (tern_nc_eof) */
	bool net_in_done;          /* the peer's FIN (or a reset) came */
	bool net_out_done;         /* the input ended and all of it was sent */
	bool pumping, again;       /* tcp_pump's guard against re-entry from callbacks */
	unsigned connections;
	uint8_t *pend;             /* input given by tern_nc_send, not yet in the send buffer */
	size_t pend_off, pend_len, pend_cap;
	uint8_t buf[65536];
};

void tern_nc_opts_init(struct tern_nc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->quit_after = -1;
}

static const char *prog_name(const struct tern_nc *nc)
{
	return nc->o.prog ? nc->o.prog : "nc";
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
	say(nc, "%s: %s: %s\n", prog_name(nc), op, tern_strerror(err));
	nc->status = 1;
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

static void tcp_idle(struct tern_nc *nc);

static void on_idle(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_nc *nc = TERN_CONTAINER_OF(t, struct tern_nc, idle);
	if (now < nc->last_activity + nc->o.idle)
		tern_timer_arm(s, t, nc->last_activity + nc->o.idle);
	else if (nc->o.tcp)
		tcp_idle(nc);
	else
		nc->done = true;
}

static void on_quit(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_nc *nc = TERN_CONTAINER_OF(t, struct tern_nc, quit);
	(void)s;
	(void)now;
	nc->done = true;
}

/* UDP: the peer's port is closed (ICMP port unreachable). Debian's nc
 * ends quietly with status 0: at once, or -q N > 0 seconds later. While
 * -v probes, that is the probe's failure instead: status 1, silent. */
static void udp_refused(struct tern_nc *nc, int err)
{
	if (!nc->error)
		nc->error = err;
	nc->refused = true;
	if (nc->probing) {
		nc->probing = false;
		tern_timer_cancel(nc->s, &nc->probe);
		nc->status = 1;
		nc->done = true;
	} else if (nc->o.quit_after > 0) {
		if (!tern_timer_armed(&nc->quit))
			tern_timer_arm(nc->s, &nc->quit, tern_stack_now(nc->s) + nc->o.quit_after);
	} else {
		nc->done = true;
	}
}

static const char *service_name(const struct tern_nc *nc, uint16_t port);

/* One "X" probe; false if it found the port closed (nc->done then). */
static bool udp_probe_send(struct tern_nc *nc)
{
	int rc = tern_send(nc->s, nc->sd, "X", 1, 0);
	if (rc == TERN_ECONNREFUSED) {
		udp_refused(nc, rc);
		return false;
	}
	if (rc < 0) { /* any other failure ends the probe too, as udptest */
		nc->probing = false;
		nc->status = 1;
		nc->done = true;
		if (!nc->error)
			nc->error = rc;
		return false;
	}
	return true;
}

static void on_probe(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_nc *nc = TERN_CONTAINER_OF(t, struct tern_nc, probe);
	char ip[TERN_IP4_STRLEN];
	if (!nc->probing || !udp_probe_send(nc))
		return;
	if (--nc->probes_left > 0) {
		tern_timer_arm(s, t, now + TERN_SEC(1));
		return;
	}
	nc->probing = false;
	if (nc->o.verbose)
		say(nc, "Connection to %s %u port [udp/%s] succeeded!\n", tern_ip4_str(nc->o.dst, ip),
		    nc->o.dst_port, service_name(nc, nc->o.dst_port));
	if (nc->o.zero) {
		nc->done = true;
		return;
	}
	nc->last_activity = now;
	arm_idle(nc);
}

/* -v on a UDP client: two probes now, then one a second (nc's
 * UDP_SCAN_TIMEOUT, 3 s, or -w's seconds). */
static void udp_probe_start(struct tern_nc *nc)
{
	nc->probing = true;
	if (!udp_probe_send(nc) || !udp_probe_send(nc))
		return;
	unsigned n = nc->o.idle > 0 ? (unsigned)(nc->o.idle / TERN_SEC(1)) : 3;
	nc->probes_left = n;
	if (n == 0) { /* -w below a second: no wait (nc's timeout / 1000) */
		nc->probes_left = 1;
		on_probe(nc->s, &nc->probe, tern_stack_now(nc->s));
		return;
	}
	tern_timer_arm(nc->s, &nc->probe, tern_stack_now(nc->s) + TERN_SEC(1));
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
	nc->connections++;
	arm_idle(nc);
	if (nc->o.verbose) {
		fflush(nc->out);
		say(nc, "Connection received on %s %u\n", tern_ip4_str(from->addr, ip), from->port);
	}
}

static void deliver(struct tern_nc *nc, size_t len)
{
	nc->received_bytes += len;
	if (fwrite(nc->buf, 1, len, nc->out) != len || fflush(nc->out) != 0) {
		int e = errno;
		if (!nc->error)
			nc->error = TERN_EIO;
		nc->status = 1;
		say(nc, "%s: write to output: %s\n", prog_name(nc), strerror(e));
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
	while (!nc->done && !nc->net_in_closed) {
		struct tern_sockaddr_in from;
		int n = tern_recvfrom(s, sd, nc->buf, sizeof(nc->buf), 0, &from);
		if (n == TERN_EAGAIN)
			return;
		if (n == TERN_ECONNREFUSED) {
			udp_refused(nc, n);
			return;
		}
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
	const char *prog = prog_name(nc);
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
		/* As nc: said with -v only; status 1 (no route: "Network is
		 * unreachable"). */
		if (o->verbose)
			say(nc, "%s: connect to %s port %u (udp) failed: %s\n", prog,
			    tern_ip4_str(o->dst, ip), o->dst_port, tern_strerror(rc));
		nc->error = rc;
		nc->status = 1;
		nc->done = true;
		return 0;
	}
	nc->peer = true;
	nc->connections++;
	if (o->verbose) /* nc 1.219 probes for -v only; -z alone just connects */
		udp_probe_start(nc);
	else if (o->zero)
		nc->done = true;
	else
		arm_idle(nc);
	return 0;
}

/* ---- TCP -------------------------------------------------------------------
 *
 * As Debian's netcat-openbsd 1.219 does it (observed against it; the
 * interop test compares the two):
 *   - the client connects (non-blocking; -w bounds the wait); with -v it
 *     says "Connection to HOST PORT port [tcp/NAME] succeeded!" or
 *     "nc: connect to HOST port PORT (tcp) failed: REASON" ("timed out:
 *     Operation now in progress" after -w); a failed connect is exit
 *     status 1, and without -v nc says nothing;
 *   - -l listens ("Listening on ADDR PORT"), accepts one connection
 *     ("Connection received on ADDR PORT") and serves it; -k accepts the
 *     next once it ends;
 *   - input goes to the socket, the socket's data to `out`. At EOF on
 *     the input nothing is sent unless -N or -q is given: then the write
 *     side is shut down (FIN) once the input has gone into the send
 *     buffer;
 *   - the connection is over when the input has ended and the peer's FIN
 *     has come, or (with -l) as soon as the peer's FIN has come and the
 *     input given so far was sent, or (with -l and -q) as soon as the
 *     input has ended and was sent: nc reads no more then and -k no longer
 *     holds; or on a reset (silently, status 0), or after -w without
 *     traffic (the input's end counts as traffic). Then -q N > 0 ends nc
 *     N seconds later (even with -k); otherwise nc ends at once, or with
 *     -k accepts again;
 *   - -z: connected, nc closes at once (-v's line first) and ends.
 */

static void tcp_pump(struct tern_nc *nc);

static void on_tcp_socket(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	(void)s;
	(void)sd;
	(void)events;
	tcp_pump(ctx);
}

/* The name -v gives the port: its /etc/services name (nc -n: "*"). */
static const char *service_name(const struct tern_nc *nc, uint16_t port)
{
	if (nc->o.numeric)
		return "*";
	struct servent *se = getservbyport(htons(port), nc->o.tcp ? "tcp" : "udp");
	return se && se->s_name ? se->s_name : "*";
}

static void tcp_connected(struct tern_nc *nc)
{
	char ip[TERN_IP4_STRLEN];
	nc->connecting = false;
	nc->peer = true;
	nc->connections++;
	nc->net_in_done = nc->net_out_done = false;
	nc->last_activity = tern_stack_now(nc->s);
	tern_timer_cancel(nc->s, &nc->idle);
	arm_idle(nc);
	if (nc->o.verbose && !nc->o.listen)
		say(nc, "Connection to %s %u port [tcp/%s] succeeded!\n", tern_ip4_str(nc->o.dst, ip),
		    nc->o.dst_port, service_name(nc, nc->o.dst_port));
	if (nc->o.zero && !nc->o.listen) { /* -z: connected is all nc wanted */
		tern_socket_set_callback(nc->s, nc->sd, NULL, NULL);
		tern_close(nc->s, nc->sd);
		nc->sd = -1;
		nc->peer = false;
		tern_timer_cancel(nc->s, &nc->idle);
		nc->done = true;
	}
}

/* The connect failed (err < 0) or timed out (err 0): nc's -v line, status 1. */
static void tcp_connect_failed(struct tern_nc *nc, int err)
{
	char ip[TERN_IP4_STRLEN];
	if (!nc->error)
		nc->error = err ? err : TERN_ETIMEDOUT;
	nc->status = 1;
	nc->connecting = false;
	nc->done = true;
	if (nc->o.verbose) {
		if (err)
			say(nc, "%s: connect to %s port %u (tcp) failed: %s\n", prog_name(nc),
			    tern_ip4_str(nc->o.dst, ip), nc->o.dst_port, tern_strerror(err));
		else
			say(nc, "%s: connect to %s port %u (tcp) timed out: %s\n", prog_name(nc),
			    tern_ip4_str(nc->o.dst, ip), nc->o.dst_port, tern_strerror(TERN_EINPROGRESS));
	}
}

static void pend_clear(struct tern_nc *nc)
{
	nc->pend_off = nc->pend_len = 0;
}

/* This connection is over: close it, then end nc (-q N later unless
 * -w ended it, as nc's idle timeout skips -q's delay; or at once) or,
 * with -k, wait for the next. */
static void tcp_conn_over(struct tern_nc *nc, bool by_idle)
{
	if (nc->sd >= 0) {
		tern_socket_set_callback(nc->s, nc->sd, NULL, NULL);
		tern_close(nc->s, nc->sd);
		nc->sd = -1;
	}
	nc->peer = false;
	pend_clear(nc);
	tern_timer_cancel(nc->s, &nc->idle);
	if (nc->o.quit_after > 0 && !by_idle) {
		if (!tern_timer_armed(&nc->quit))
			tern_timer_arm(nc->s, &nc->quit, tern_stack_now(nc->s) + nc->o.quit_after);
	} else if (nc->o.listen && nc->o.keep) {
		nc->again = true; /* one may wait in the backlog already */
	} else {
		nc->done = true;
	}
}

/* A reset, or any other error on an established connection: nc ends the
 * connection without a word and without changing its exit status. */
static void tcp_conn_error(struct tern_nc *nc, int err)
{
	if (!nc->error)
		nc->error = err;
	nc->net_in_done = nc->net_out_done = true;
}

static void tcp_accept(struct tern_nc *nc)
{
	char ip[TERN_IP4_STRLEN];
	struct tern_sockaddr_in from;
	if (tern_timer_armed(&nc->quit))
		return; /* -q's delay runs: nc is leaving */
	int sd = tern_accept(nc->s, nc->lsd, &from);
	if (sd < 0) {
		if (sd != TERN_EAGAIN)
			fail(nc, "accept", sd);
		return;
	}
	nc->sd = sd;
	tern_socket_set_owner(nc->s, sd, "nc");
	tern_socket_set_callback(nc->s, sd, on_tcp_socket, nc);
	if (nc->o.verbose) {
		fflush(nc->out);
		say(nc, "Connection received on %s %u\n", tern_ip4_str(from.addr, ip), from.port);
	}
	tcp_connected(nc);
}

/* Connecting: has it completed? */
static bool tcp_check_connect(struct tern_nc *nc)
{
	int soerr = tern_app_connect_result(nc->s, nc->sd);
	if (soerr == 0)
		return false;
	if (soerr < 0) {
		tcp_connect_failed(nc, soerr);
		return false;
	}
	tcp_connected(nc);
	return true;
}

static void tcp_read(struct tern_nc *nc)
{
	while (!nc->done && !nc->net_in_done) {
		int n = tern_recv(nc->s, nc->sd, nc->buf, sizeof(nc->buf), 0);
		if (n == TERN_EAGAIN)
			return;
		if (n == 0) {
			nc->net_in_done = true;
			return;
		}
		if (n < 0) {
			tcp_conn_error(nc, n);
			return;
		}
		nc->last_activity = tern_stack_now(nc->s);
		deliver(nc, (size_t)n);
	}
}

static void tcp_write(struct tern_nc *nc)
{
	while (!nc->net_out_done && nc->pend_off < nc->pend_len) {
		int n = tern_send(nc->s, nc->sd, nc->pend + nc->pend_off, nc->pend_len - nc->pend_off, 0);
		if (n == TERN_EAGAIN)
			return;
		if (n < 0) {
			tcp_conn_error(nc, n);
			return;
		}
		nc->pend_off += (size_t)n;
		nc->last_activity = tern_stack_now(nc->s);
	}
	if (nc->pend_off >= nc->pend_len)
		pend_clear(nc);
	if (nc->eof && nc->pend_len == 0 && !nc->net_out_done) {
		nc->net_out_done = true;
		if (nc->o.shutdown_on_eof || nc->o.quit_after >= 0)
			tern_shutdown(nc->s, nc->sd, TERN_SHUT_WR);
		/* A listener with -q also stops reading there, and -k no
		 * longer holds (Debian's nc, bug #817050's change): the
		 * connection is over, -q's countdown starts. */
		if (nc->o.listen && nc->o.quit_after >= 0) {
			nc->net_in_done = true;
			nc->o.keep = false;
		}
	}
}

static void tcp_step(struct tern_nc *nc)
{
	if (nc->done)
		return;
	if (nc->sd < 0) {
		if (nc->lsd >= 0)
			tcp_accept(nc);
		return;
	}
	if (nc->connecting && !tcp_check_connect(nc))
		return;
	tcp_read(nc);
	if (nc->done)
		return;
	tcp_write(nc);
	if ((nc->net_in_done && nc->net_out_done) ||
	    (nc->o.listen && nc->net_in_done && nc->pend_len == 0))
		tcp_conn_over(nc, false);
}

/* Everything TCP does happens here, from the sockets' callbacks and the
 * calls of nc's user; a call made inside (shutdown, close) that runs a
 * callback again only asks for one more round. */
static void tcp_pump(struct tern_nc *nc)
{
	if (nc->pumping) {
		nc->again = true;
		return;
	}
	nc->pumping = true;
	do {
		nc->again = false;
		tcp_step(nc);
	} while (nc->again && !nc->done);
	nc->pumping = false;
}

static void on_listener(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	(void)s;
	(void)sd;
	(void)events;
	tcp_pump(ctx);
}

static int tcp_open(struct tern_nc *nc)
{
	const struct tern_nc_opts *o = &nc->o;
	const char *prog = prog_name(nc);
	char ip[TERN_IP4_STRLEN];
	int sd = tern_socket(nc->s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	if (sd < 0) {
		say(nc, "%s: socket: %s\n", prog, tern_strerror(sd));
		return sd;
	}
	tern_socket_set_owner(nc->s, sd, "nc");
	if (o->listen) {
		int one = 1;
		tern_setsockopt(nc->s, sd, TERN_SOL_SOCKET, TERN_SO_REUSEADDR, &one, sizeof(one));
		nc->lsd = sd;
	} else {
		nc->sd = sd;
	}
	if (o->src || o->port) {
		struct tern_sockaddr_in b = {o->src, o->port};
		int rc = tern_bind(nc->s, sd, &b);
		if (rc < 0) {
			say(nc, "%s: bind %s:%u: %s\n", prog, tern_ip4_str(o->src, ip), o->port,
			    tern_strerror(rc));
			return rc;
		}
	}
	if (o->listen) {
		int rc = tern_listen(nc->s, sd, 1);
		if (rc < 0) {
			say(nc, "%s: listen: %s\n", prog, tern_strerror(rc));
			return rc;
		}
		struct tern_sockaddr_in local;
		tern_getsockname(nc->s, sd, &local);
		if (o->verbose)
			say(nc, "Listening on %s %u\n", tern_ip4_str(local.addr, ip), local.port);
		tern_socket_set_callback(nc->s, sd, on_listener, nc);
		return 0;
	}
	tern_socket_set_callback(nc->s, sd, on_tcp_socket, nc);
	struct tern_sockaddr_in peer = {o->dst, o->dst_port};
	int rc = tern_connect(nc->s, sd, &peer);
	if (rc == 0) {
		tcp_connected(nc);
	} else if (rc == TERN_EINPROGRESS) {
		nc->connecting = true;
		if (o->idle > 0)
			tern_timer_arm(nc->s, &nc->idle, tern_stack_now(nc->s) + o->idle);
	} else {
		tcp_connect_failed(nc, rc);
	}
	return 0;
}

static int tcp_send(struct tern_nc *nc, const void *buf, size_t len)
{
	if (!nc->peer || nc->net_out_done)
		return TERN_ENOTCONN;
	if (nc->pend_len + len > nc->pend_cap) {
		size_t cap = nc->pend_cap ? nc->pend_cap : 16384;
		while (cap < nc->pend_len + len)
			cap *= 2;
		uint8_t *p = realloc(nc->pend, cap);
		if (!p)
			return TERN_ENOMEM;
		nc->pend = p;
		nc->pend_cap = cap;
	}
	memcpy(nc->pend + nc->pend_len, buf, len);
	nc->pend_len += len;
	nc->last_activity = tern_stack_now(nc->s);
	tcp_pump(nc);
	return (int)len;
}

/* -w ran out: connecting, that is a timeout (status 1, as nc); connected,
 * the connection is over. */
static void tcp_idle(struct tern_nc *nc)
{
	if (nc->connecting) {
		tcp_connect_failed(nc, 0);
		return;
	}
	if (nc->sd < 0)
		return;
	tcp_conn_over(nc, true);
	tcp_pump(nc);
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
	nc->sd = nc->lsd = -1;
	tern_timer_init(&nc->quit, on_quit);
	tern_timer_init(&nc->idle, on_idle);
	tern_timer_init(&nc->probe, on_probe);
	catch_up(s, now);
	nc->last_activity = tern_stack_now(s);
	int rc = o->tcp ? tcp_open(nc) : open_socket(nc);
	if (rc < 0) {
		tern_timer_cancel(s, &nc->idle);
		tern_timer_cancel(s, &nc->probe);
		if (nc->sd >= 0)
			tern_close(s, nc->sd);
		if (nc->lsd >= 0)
			tern_close(s, nc->lsd);
		free(nc);
		*err = rc;
		return NULL;
	}
	*err = 0;
	return nc;
}

int tern_nc_send(struct tern_nc *nc, const void *buf, size_t len, tern_time_t now)
{
	if (nc->o.tcp) {
		catch_up(nc->s, now);
		return tcp_send(nc, buf, len);
	}
	if (!nc->peer)
		return TERN_ENOTCONN;
	catch_up(nc->s, now);
	nc->last_activity = tern_stack_now(nc->s);
	int rc = tern_send(nc->s, nc->sd, buf, len, 0);
	if (rc == TERN_ECONNREFUSED)
		udp_refused(nc, rc);
	else if (rc < 0)
		fail(nc, "write", rc);
	return rc;
}

bool tern_nc_wants_input(const struct tern_nc *nc)
{
	if (nc->done || !nc->peer)
		return false;
	if (!nc->o.tcp)
		return !nc->probing && !nc->refused;
	return !nc->net_out_done && nc->pend_len == 0;
}

void tern_nc_eof(struct tern_nc *nc, tern_time_t now)
{
	catch_up(nc->s, now);
	/* -w: the end of the input is activity too (nc's poll returns for
	 * it, and the timeout counts from there). */
	nc->last_activity = tern_stack_now(nc->s);
	if (nc->o.tcp) {
		nc->eof = true;
		tcp_pump(nc);
		return;
	}
	/* -q: as Debian's nc, what comes after the input's end is no longer
	 * read (it shuts the socket's read side), and nc quits N s later. */
	if (nc->o.quit_after >= 0)
		nc->net_in_closed = true;
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

uint64_t tern_nc_received_bytes(const struct tern_nc *nc)
{
	return nc->received_bytes;
}

unsigned tern_nc_connections(const struct tern_nc *nc)
{
	return nc->connections;
}

int tern_nc_finish(struct tern_nc *nc)
{
	int status = nc->status;
	tern_timer_cancel(nc->s, &nc->quit);
	tern_timer_cancel(nc->s, &nc->idle);
	tern_timer_cancel(nc->s, &nc->probe);
	if (nc->sd >= 0) {
		tern_socket_set_callback(nc->s, nc->sd, NULL, NULL);
		tern_close(nc->s, nc->sd);
	}
	if (nc->lsd >= 0) {
		tern_socket_set_callback(nc->s, nc->lsd, NULL, NULL);
		tern_close(nc->s, nc->lsd);
	}
	free(nc->pend);
	free(nc);
	return status;
}
