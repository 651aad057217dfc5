/*
 * tests/sim/test_sim_nc.c — the nc engine (tern/apps.h) in the simulator:
 * two hosts on a 1 ms link, B listening on 5000 (nc -u -l -p 5000), A
 * sending to it (nc -u 10.0.0.2 5000). Datagrams both ways, a fragmented
 * 8000-byte one, and a port unreachable turned into ECONNREFUSED.
 */
#include "harness.h"

#include "tern/apps.h"
#include "tern/sim.h"

#define LIMIT TERN_SEC(5)

/* An nc writing into a memory stream. */
struct peer {
	struct tern_nc *nc;
	FILE *f;
	char *buf;
	size_t len;
};

static bool peer_open(struct peer *p, struct tern_sim *sim, struct tern_stack *s,
		      const struct tern_nc_opts *o)
{
	int err = 0;
	p->f = open_memstream(&p->buf, &p->len);
	if (!p->f)
		return false;
	p->nc = tern_nc_start(s, o, p->f, tern_sim_now(sim), &err);
	return p->nc && err == 0;
}

/* Finish the nc, close its stream; returns nc's exit status. */
static int peer_close(struct peer *p)
{
	int rc = p->nc ? tern_nc_finish(p->nc) : -1;
	if (p->f)
		fclose(p->f);
	free(p->buf);
	return rc;
}

struct want {
	struct tern_nc *nc;
	unsigned n;
};

static bool received(void *ctx)
{
	const struct want *w = ctx;
	return tern_nc_received(w->nc) >= w->n;
}

static bool errored(void *ctx)
{
	return tern_nc_error(ctx) != 0;
}

/* Send from `from` and run until `to` has n datagrams (or LIMIT). */
static bool exchange(struct tern_sim *sim, struct peer *from, struct peer *to, const void *buf,
		     size_t len, unsigned n)
{
	struct want w = {to->nc, n};
	if (tern_nc_send(from->nc, buf, len, tern_sim_now(sim)) != (int)len)
		return false;
	return tern_sim_run_while(sim, received, &w, tern_sim_now(sim) + LIMIT);
}

TEST(nc_udp_both_ways)
{
	struct tern_sim *sim = tern_sim_create(7);
	struct tern_stack *a = tern_sim_host(sim, "A", NULL);
	struct tern_stack *b = tern_sim_host(sim, "B", NULL);
	struct tern_sim_link_opts lo = {.delay = TERN_MSEC(1)};
	REQUIRE(a && b);
	REQUIRE_EQ(tern_sim_connect(sim, a, "10.0.0.1/24", b, "10.0.0.2/24", &lo, NULL, NULL), 0);
	tern_sim_run_until(sim, TERN_MSEC(100)); /* gratuitous ARPs settle */

	struct peer pa = {0}, pb = {0}, pc = {0};
	struct tern_nc_opts ob = {.listen = true, .port = 5000};
	struct tern_nc_opts oa = {.dst = TERN_IP4(10, 0, 0, 2), .dst_port = 5000};
	REQUIRE(peer_open(&pb, sim, b, &ob));
	REQUIRE(peer_open(&pa, sim, a, &oa));
	CHECK(!tern_nc_has_peer(pb.nc));
	CHECK_EQ(tern_nc_send(pb.nc, "x", 1, tern_sim_now(sim)), TERN_ENOTCONN);

	CHECK(exchange(sim, &pa, &pb, "hello\n", 6, 1));
	CHECK(tern_nc_has_peer(pb.nc));
	CHECK_EQ(pb.len, 6);
	CHECK(pb.len == 6 && memcmp(pb.buf, "hello\n", 6) == 0);

	CHECK(exchange(sim, &pb, &pa, "back\n", 5, 1));
	CHECK_EQ(pa.len, 5);
	CHECK(pa.len == 5 && memcmp(pa.buf, "back\n", 5) == 0);

	/* 8000 bytes: six fragments at MTU 1500, reassembled by B */
	static uint8_t big[8000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	CHECK(exchange(sim, &pa, &pb, big, sizeof(big), 2));
	CHECK_EQ(pb.len, 6 + sizeof(big));
	CHECK(pb.len == 6 + sizeof(big) && memcmp(pb.buf + 6, big, sizeof(big)) == 0);

	/* nobody on 5001: B answers port unreachable, A's socket reports it */
	struct tern_nc_opts oc = {.dst = TERN_IP4(10, 0, 0, 2), .dst_port = 5001};
	REQUIRE(peer_open(&pc, sim, a, &oc));
	CHECK_EQ(tern_nc_send(pc.nc, "lost\n", 5, tern_sim_now(sim)), 5);
	tern_sim_run_for(sim, TERN_MSEC(10));
	CHECK(errored(pc.nc));
	CHECK_EQ(tern_nc_error(pc.nc), TERN_ECONNREFUSED);
	CHECK_EQ(tern_nc_received(pc.nc), 0);

	CHECK_EQ(tern_nc_error(pa.nc), 0);
	CHECK_EQ(tern_nc_error(pb.nc), 0);
	CHECK_EQ(peer_close(&pc), 1);
	CHECK_EQ(peer_close(&pa), 0);
	CHECK_EQ(peer_close(&pb), 0);
	tern_sim_destroy(sim);
}

/* Bad options and a port already taken fail to start, leak-free. */
TEST(nc_start_errors)
{
	struct tern_sim *sim = tern_sim_create(8);
	struct tern_stack *a = tern_sim_host(sim, "A", NULL);
	REQUIRE(a);
	int err = 0;
	struct tern_nc_opts l = {.listen = true};
	CHECK(tern_nc_start(a, &l, stdout, 0, &err) == NULL);
	CHECK_EQ(err, TERN_EINVAL);
	l.port = 5000;
	struct tern_nc *nc = tern_nc_start(a, &l, stdout, 0, &err);
	REQUIRE(nc);
	CHECK(tern_nc_start(a, &l, stdout, 0, &err) == NULL);
	CHECK_EQ(err, TERN_EADDRINUSE);
	CHECK_EQ(tern_nc_finish(nc), 0);
	tern_sim_destroy(sim);
}

TEST_MAIN()
