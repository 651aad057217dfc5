/*
 * tests/sim/sim_bulk.h — one bulk TCP transfer driven by socket callbacks,
 * for the simulation tests that move data and check every byte: the
 * client writes a periodic pattern (65521 bytes, a prime, so misplaced
 * data never lines up with segments) as fast as its send buffer takes it,
 * then shuts down its side after `total` bytes (or never, if `endless`);
 * the server reads everything and counts reads that differ from the
 * pattern.
 *
 *   struct sim_bulk x = {.total = N, .ssd = -1};
 *   int lsd = sim_bulk_start(a, b, dst, 0, &x);   (B listens on 5001, A connects)
 *   tern_sim_run_while(sim, sim_bulk_done, &x, limit);
 */
#ifndef TERN_TESTS_SIM_BULK_H
#define TERN_TESTS_SIM_BULK_H

#include <string.h>

#include "tern/socket.h"
#include "tern/stack.h"

#define SIM_BULK_PERIOD 65521u

struct sim_bulk {
	int csd, ssd;             /* the client's socket; the accepted one (set it to -1) */
	uint64_t total;           /* bytes to send, then SHUT_WR */
	bool endless;             /* send until the test stops instead */
	uint64_t sent, got, bad;  /* bad: reads holding bytes that differ from the pattern */
	uint64_t hash;            /* FNV-1a of what was received (sim_bulk_fnv1a) */
	bool shut, eof;
};

static inline const uint8_t *sim_bulk_pattern(void)
{
	static uint8_t pat[2 * SIM_BULK_PERIOD];
	if (!pat[1])
		for (size_t i = 0; i < sizeof(pat); i++)
			pat[i] = (uint8_t)((i % SIM_BULK_PERIOD) * 131 + ((i % SIM_BULK_PERIOD) >> 9));
	return pat;
}

#define SIM_BULK_FNV_INIT 0xcbf29ce484222325ull

static inline uint64_t sim_bulk_fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static inline void sim_bulk_on_client(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct sim_bulk *x = ctx;
	const uint8_t *pat = sim_bulk_pattern();
	(void)events;
	while (x->endless || x->sent < x->total) {
		uint64_t left = x->endless ? SIM_BULK_PERIOD : x->total - x->sent;
		size_t k = SIM_BULK_PERIOD < left ? SIM_BULK_PERIOD : (size_t)left;
		int r = tern_send(s, sd, pat + x->sent % SIM_BULK_PERIOD, k, 0);
		if (r <= 0)
			return;
		x->sent += (uint64_t)r;
	}
	if (!x->shut) {
		x->shut = true;
		tern_shutdown(s, sd, TERN_SHUT_WR);
	}
}

static inline void sim_bulk_on_server(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct sim_bulk *x = ctx;
	static uint8_t buf[65536];
	const uint8_t *pat = sim_bulk_pattern();
	(void)events;
	int r;
	while ((r = tern_recv(s, sd, buf, sizeof(buf), 0)) > 0) {
		if (memcmp(buf, pat + x->got % SIM_BULK_PERIOD, (size_t)r) != 0)
			x->bad++;
		x->hash = sim_bulk_fnv1a(x->got ? x->hash : SIM_BULK_FNV_INIT, buf, (size_t)r);
		x->got += (uint64_t)r;
	}
	if (r == 0)
		x->eof = true;
}

static inline void sim_bulk_on_listener(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct sim_bulk *x = ctx;
	(void)events;
	int c = tern_accept(s, sd, NULL);
	if (c < 0)
		return;
	x->ssd = c;
	tern_socket_set_callback(s, c, sim_bulk_on_server, x);
	sim_bulk_on_server(x, s, c, 0);
}

/* B listens on port 5001 (with SO_RCVBUF rcvbuf first, unless 0), A
 * connects to dst:5001 with the callbacks above. The listener, or -1 if a
 * step failed. */
static inline int sim_bulk_start(struct tern_stack *a, struct tern_stack *b, tern_ip4_t dst,
				 int rcvbuf, struct sim_bulk *x)
{
	struct tern_sockaddr_in any = {0, 5001}, to = {dst, 5001};
	int lsd = tern_socket(b, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	if (lsd < 0 ||
	    (rcvbuf && tern_setsockopt(b, lsd, TERN_SOL_SOCKET, TERN_SO_RCVBUF, &rcvbuf,
				       sizeof(rcvbuf)) != 0) ||
	    tern_bind(b, lsd, &any) != 0 || tern_listen(b, lsd, 4) != 0)
		return -1;
	tern_socket_set_callback(b, lsd, sim_bulk_on_listener, x);
	x->csd = tern_socket(a, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	if (x->csd < 0)
		return -1;
	tern_socket_set_callback(a, x->csd, sim_bulk_on_client, x);
	return tern_connect(a, x->csd, &to) == TERN_EINPROGRESS ? lsd : -1;
}

static inline bool sim_bulk_done(void *ctx)
{
	return ((struct sim_bulk *)ctx)->eof;
}

#endif
