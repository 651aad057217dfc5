/*
 * app/rr.c — `tern rr`: request/response rounds over TCP, each request
 * written in two pieces (write, write, read), the pattern in which Nagle's
 * algorithm (RFC 896; RFC 9293 §3.7.4) meets the peer's delayed ACKs
 * (RFC 1122 §4.2.3.2) and every round waits for the delayed ACK.
 *
 * tern's own protocol (see tern/apps.h): a request is REQ bytes, the
 * first 8 its own length and the response's, big-endian; the server
 * reads it whole and writes RESP bytes. The rest of each message is
 * filler. Sans-I/O: socket callbacks and one stack timer (-t).
 */
#include <stdlib.h>
#include <string.h>

#include "tern/apps.h"
#include "tern/err.h"
#include "app/sock_util.h"
#include "wire/bytes.h"
#include "tern/socket.h"
#include "tern/stack.h"
#include "tern/tcp.h"

#define RR_HDR 8
#define RR_MAX_MSG (64u << 20)
#define RR_MAX_CONNS 16
#define RR_CHUNK 16384

struct rr_conn {
	int sd;                  /* -1: free */
	tern_ip4_t peer;
	uint16_t peer_port;
	uint8_t hdr[RR_HDR];
	uint32_t got;            /* bytes of the request read so far */
	uint32_t req, resp;      /* from its header, once read */
	uint32_t to_send;        /* response bytes still to write */
	uint64_t answered;
};

struct tern_rr {
	struct tern_stack *s;
	struct tern_rr_opts o;
	FILE *out, *diag;
	int sd;                  /* client socket, or the listener */
	bool connected, done, failed, summarised;
	/* client */
	uint32_t round;          /* rounds started */
	uint32_t first_left;     /* bytes of the first write still to go */
	uint32_t second_left;    /* of the second */
	uint32_t resp_left;      /* response bytes still to read */
	tern_time_t t_start, t_round, t_last;
	struct tern_rr_result res;
	struct tern_timer end_timer;
	/* server */
	struct rr_conn conns[RR_MAX_CONNS];
};

static const uint8_t filler[RR_CHUNK];

void tern_rr_opts_init(struct tern_rr_opts *o)
{
	*o = (struct tern_rr_opts){.port = 7777, .req = 100, .resp = 100, .split = UINT32_MAX};
}

static double ms(tern_time_t t)
{
	return (double)t / 1e6;
}

/* ---- client ---------------------------------------------------------------- */

static void summary(struct tern_rr *rr)
{
	if (rr->summarised || rr->o.server)
		return;
	rr->summarised = true;
	char ip[TERN_IP4_STRLEN];
	const struct tern_rr_result *r = &rr->res;
	double secs = (double)r->elapsed / 1e9;
	fprintf(rr->out, "--- %s port %u rr statistics ---\n", tern_ip4_str(rr->o.dst, ip),
		rr->o.port);
	fprintf(rr->out, "%u rounds in %.3f s: %.1f transactions/s\n", r->rounds, secs,
		secs > 0 ? r->rounds / secs : 0.0);
	if (r->rounds)
		fprintf(rr->out, "round time min/mean/max = %.3f/%.3f/%.3f ms\n", ms(r->min),
			ms(r->sum) / r->rounds, ms(r->max));
}

static void client_end(struct tern_rr *rr, bool failed)
{
	if (rr->done)
		return;
	rr->failed |= failed;
	rr->done = true;
	tern_timer_cancel(rr->s, &rr->end_timer);
	tern_app_close(rr->s, &rr->sd);
	summary(rr);
}

static void diag_err(struct tern_rr *rr, const char *what, int err)
{
	fprintf(rr->diag, "tern rr: %s: %s\n", what, tern_strerror(err));
}

static void start_round(struct tern_rr *rr)
{
	rr->round++;
	rr->t_round = tern_stack_now(rr->s);
	rr->first_left = rr->o.split;
	rr->second_left = rr->o.req - rr->o.split;
	rr->resp_left = rr->o.resp;
}

/* Write what the round still owes: the first piece, then (as a second
 * write(2) would, at once) the rest. The header leads the first piece. */
static int send_piece(struct tern_rr *rr, uint32_t *left, uint32_t sent_before)
{
	while (*left) {
		uint8_t buf[RR_CHUNK];
		uint32_t n = *left < RR_CHUNK ? *left : RR_CHUNK;
		uint8_t hdr[RR_HDR];
		memcpy(buf, filler, n);
		wr32(hdr, rr->o.req);
		wr32(hdr + 4, rr->o.resp);
		/* the header's bytes that fall in this chunk (sent_before: of REQ) */
		for (uint32_t i = 0; i < n && sent_before + i < RR_HDR; i++)
			buf[i] = hdr[sent_before + i];
		int w = tern_send(rr->s, rr->sd, buf, n, 0);
		if (w == TERN_EAGAIN)
			return 0;
		if (w < 0)
			return w;
		*left -= (uint32_t)w;
		sent_before += (uint32_t)w;
	}
	return 0;
}

static void client_pump(struct tern_rr *rr)
{
	while (!rr->done) {
		int rc = 0;
		if (rr->first_left)
			rc = send_piece(rr, &rr->first_left, rr->o.split - rr->first_left);
		if (rc == 0 && !rr->first_left && rr->second_left)
			rc = send_piece(rr, &rr->second_left, rr->o.req - rr->second_left);
		if (rc < 0) {
			diag_err(rr, "write", rc);
			client_end(rr, true);
			return;
		}
		if (rr->first_left || rr->second_left)
			return; /* the send buffer is full: POLLOUT resumes */
		uint8_t buf[RR_CHUNK];
		while (rr->resp_left) {
			int n = tern_recv(rr->s, rr->sd, buf,
					  rr->resp_left < RR_CHUNK ? rr->resp_left : RR_CHUNK, 0);
			if (n == TERN_EAGAIN)
				return;
			if (n <= 0) {
				if (n < 0)
					diag_err(rr, "read", n);
				else
					fprintf(rr->diag, "tern rr: the server closed the connection\n");
				client_end(rr, true);
				return;
			}
			rr->resp_left -= (uint32_t)n;
		}
		/* the round is complete */
		tern_time_t now = tern_stack_now(rr->s), d = now - rr->t_round;
		struct tern_rr_result *r = &rr->res;
		if (!r->rounds || d < r->min)
			r->min = d;
		if (d > r->max)
			r->max = d;
		r->sum += d;
		r->rounds++;
		r->elapsed = now - rr->t_start;
		if (!rr->o.quiet)
			fprintf(rr->out, "round %u: %.3f ms\n", r->rounds, ms(d));
		if (rr->o.rounds && r->rounds >= rr->o.rounds) {
			client_end(rr, false);
			return;
		}
		start_round(rr);
	}
}

static void on_client(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct tern_rr *rr = ctx;
	(void)s;
	(void)sd;
	if (rr->done)
		return;
	if (!rr->connected) {
		if (events & (TERN_POLLERR | TERN_POLLHUP)) {
			int e = 0;
			size_t len = sizeof(e);
			tern_getsockopt(rr->s, rr->sd, TERN_SOL_SOCKET, TERN_SO_ERROR, &e, &len);
			diag_err(rr, "connect", e ? e : TERN_ECONNREFUSED);
			client_end(rr, true);
			return;
		}
		if (!(events & TERN_POLLOUT))
			return;
		rr->connected = true;
		rr->t_start = tern_stack_now(rr->s);
		if (rr->o.duration)
			tern_timer_arm(rr->s, &rr->end_timer, rr->t_start + rr->o.duration);
		start_round(rr);
	}
	client_pump(rr);
}

/* -t's end: the round under way is abandoned, as netperf's last one is. */
static void on_end(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_rr *rr = TERN_CONTAINER_OF(t, struct tern_rr, end_timer);
	(void)s;
	(void)now;
	client_end(rr, false);
}

/* ---- server ---------------------------------------------------------------- */

static void conn_close(struct tern_rr *rr, struct rr_conn *c)
{
	char ip[TERN_IP4_STRLEN];
	fprintf(rr->out, "tern rr: %s port %u: %llu requests answered\n", tern_ip4_str(c->peer, ip),
		c->peer_port, (unsigned long long)c->answered);
	tern_app_close(rr->s, &c->sd);
}

static void serve(struct tern_rr *rr, struct rr_conn *c)
{
	uint8_t buf[RR_CHUNK];
	for (;;) {
		while (c->to_send) {
			uint32_t n = c->to_send < RR_CHUNK ? c->to_send : RR_CHUNK;
			int w = tern_send(rr->s, c->sd, filler, n, 0);
			if (w == TERN_EAGAIN)
				return;
			if (w < 0) {
				conn_close(rr, c);
				return;
			}
			c->to_send -= (uint32_t)w;
		}
		uint32_t want = c->got < RR_HDR ? RR_HDR - c->got : c->req - c->got;
		int n = tern_recv(rr->s, c->sd, buf, want < RR_CHUNK ? want : RR_CHUNK, 0);
		if (n == TERN_EAGAIN)
			return;
		if (n <= 0) {
			conn_close(rr, c);
			return;
		}
		if (c->got < RR_HDR) {
			memcpy(c->hdr + c->got, buf, (size_t)n);
			c->got += (uint32_t)n;
			if (c->got == RR_HDR) {
				c->req = rd32(c->hdr);
				c->resp = rd32(c->hdr + 4);
				if (c->req < RR_HDR || c->req > RR_MAX_MSG || c->resp > RR_MAX_MSG) {
					fprintf(rr->diag, "tern rr: bad request header (%u, %u)\n",
						c->req, c->resp);
					conn_close(rr, c);
					return;
				}
			}
		} else {
			c->got += (uint32_t)n;
		}
		if (c->got >= RR_HDR && c->got == c->req) {
			c->got = 0;
			c->to_send = c->resp;
			c->answered++;
		}
	}
}

static void on_conn(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct tern_rr *rr = ctx;
	(void)s;
	(void)events;
	for (unsigned i = 0; i < RR_MAX_CONNS; i++)
		if (rr->conns[i].sd == sd) {
			serve(rr, &rr->conns[i]);
			return;
		}
}

static void on_listen(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct tern_rr *rr = ctx;
	(void)events;
	for (;;) {
		struct tern_sockaddr_in from;
		int c = tern_accept(s, sd, &from);
		if (c < 0)
			return;
		struct rr_conn *slot = NULL;
		for (unsigned i = 0; i < RR_MAX_CONNS && !slot; i++)
			if (rr->conns[i].sd < 0)
				slot = &rr->conns[i];
		if (!slot) {
			tern_close(s, c);
			continue;
		}
		*slot = (struct rr_conn){.sd = c, .peer = from.addr, .peer_port = from.port};
		tern_socket_set_owner(s, c, "rr");
		tern_socket_set_callback(s, c, on_conn, rr);
		serve(rr, slot);
	}
}

/* ---- life ------------------------------------------------------------------ */

struct tern_rr *tern_rr_start(struct tern_stack *s, const struct tern_rr_opts *o, FILE *out,
			      tern_time_t now, int *err)
{
	(void)now;
	struct tern_rr *rr = calloc(1, sizeof(*rr));
	if (!rr) {
		*err = TERN_ENOMEM;
		return NULL;
	}
	rr->s = s;
	rr->o = *o;
	rr->out = out;
	rr->diag = o->diag ? o->diag : out;
	rr->sd = -1;
	for (unsigned i = 0; i < RR_MAX_CONNS; i++)
		rr->conns[i].sd = -1;
	tern_timer_init(&rr->end_timer, on_end);
	if (!o->server) {
		if (rr->o.req < RR_HDR)
			rr->o.req = RR_HDR;
		if (rr->o.split > rr->o.req)
			rr->o.split = rr->o.req / 2;
		if (!rr->o.rounds && !rr->o.duration)
			rr->o.duration = TERN_SEC(10);
	}
	int sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	if (sd < 0) {
		*err = sd;
		free(rr);
		return NULL;
	}
	rr->sd = sd;
	tern_socket_set_owner(s, sd, "rr");
	int rc, one = 1;
	char ip[TERN_IP4_STRLEN];
	if (o->server) {
		struct tern_sockaddr_in a = {0, o->port};
		tern_setsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_REUSEADDR, &one, sizeof(one));
		if ((rc = tern_bind(s, sd, &a)) < 0 || (rc = tern_listen(s, sd, 16)) < 0) {
			*err = rc;
			tern_app_close(rr->s, &rr->sd);
			free(rr);
			return NULL;
		}
		tern_socket_set_callback(s, sd, on_listen, rr);
		fprintf(out, "tern rr: listening on port %u\n", o->port);
		return rr;
	}
	if (o->no_delay)
		tern_setsockopt(s, sd, TERN_IPPROTO_TCP, TERN_TCP_NODELAY, &one, sizeof(one));
	tern_socket_set_callback(s, sd, on_client, rr);
	fprintf(out, "tern rr: %s port %u: %u-byte requests written as %u+%u, %u-byte responses, %s\n",
		tern_ip4_str(o->dst, ip), o->port, rr->o.req, rr->o.split, rr->o.req - rr->o.split,
		rr->o.resp, o->no_delay ? "TCP_NODELAY" : "Nagle on");
	struct tern_sockaddr_in peer = {o->dst, o->port};
	rc = tern_connect(s, sd, &peer);
	if (rc < 0 && rc != TERN_EINPROGRESS) {
		diag_err(rr, "connect", rc);
		client_end(rr, true);
	}
	return rr;
}

bool tern_rr_done(const struct tern_rr *rr)
{
	return !rr->o.server && rr->done;
}

void tern_rr_get_result(const struct tern_rr *rr, struct tern_rr_result *r)
{
	*r = rr->res;
}

int tern_rr_finish(struct tern_rr *rr)
{
	if (!rr)
		return 1;
	int status = 0;
	if (!rr->o.server) {
		bool complete = rr->done && !rr->failed &&
				(!rr->o.rounds || rr->res.rounds >= rr->o.rounds);
		client_end(rr, !rr->done);
		status = complete ? 0 : 1;
	} else {
		for (unsigned i = 0; i < RR_MAX_CONNS; i++)
			if (rr->conns[i].sd >= 0)
				conn_close(rr, &rr->conns[i]);
		tern_app_close(rr->s, &rr->sd);
	}
	tern_timer_cancel(rr->s, &rr->end_timer);
	free(rr);
	return status;
}
