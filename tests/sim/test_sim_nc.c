/*
 * tests/sim/test_sim_nc.c — the nc engine (tern/apps.h) in the simulator:
 * two hosts on a 1 ms link, B listening on 5000 (nc -u -l -p 5000), A
 * sending to it (nc -u 10.0.0.2 5000). Datagrams both ways, a fragmented
 * 8000-byte one, and a port unreachable turned into ECONNREFUSED; -q and
 * -w to the nanosecond of virtual time; -v's reports and the error
 * messages; a datagram held for ARP counted by tern_stack_tx_pending.
 */
#include "harness.h"
#include "sim_pair.h"

#include "tern/apps.h"

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
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(7, &a, &b);
	REQUIRE(sim);

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

	/* nobody on 5001: B answers port unreachable, A's socket reports it
	 * and nc ends quietly with status 0, as Debian's nc */
	struct tern_nc_opts oc = {.dst = TERN_IP4(10, 0, 0, 2), .dst_port = 5001};
	REQUIRE(peer_open(&pc, sim, a, &oc));
	CHECK_EQ(tern_nc_send(pc.nc, "lost\n", 5, tern_sim_now(sim)), 5);
	tern_sim_run_for(sim, TERN_MSEC(10));
	CHECK(errored(pc.nc));
	CHECK_EQ(tern_nc_error(pc.nc), TERN_ECONNREFUSED);
	CHECK_EQ(tern_nc_received(pc.nc), 0);

	CHECK_EQ(tern_nc_error(pa.nc), 0);
	CHECK_EQ(tern_nc_error(pb.nc), 0);
	CHECK(tern_nc_done(pc.nc));
	CHECK_EQ(peer_close(&pc), 0);
	CHECK_EQ(peer_close(&pa), 0);
	CHECK_EQ(peer_close(&pb), 0);
	tern_sim_destroy(sim);
}

static bool nc_done(void *ctx)
{
	return tern_nc_done(ctx);
}

/* -q 2: done exactly 2 s of virtual time after EOF, not before; -q 0: at
 * once; no -q: never. */
TEST(nc_quit_after_eof)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(9, &a, &b);
	REQUIRE(sim);
	struct tern_nc_opts o;
	tern_nc_opts_init(&o);
	CHECK(o.quit_after < 0);
	o.dst = TERN_IP4(10, 0, 0, 2);
	o.dst_port = 5000;
	struct peer never = {0}, two = {0}, zero = {0};
	REQUIRE(peer_open(&never, sim, a, &o));
	o.quit_after = TERN_SEC(2);
	REQUIRE(peer_open(&two, sim, a, &o));
	o.quit_after = 0;
	REQUIRE(peer_open(&zero, sim, a, &o));

	tern_time_t eof = tern_sim_now(sim);
	tern_nc_eof(never.nc, eof);
	tern_nc_eof(two.nc, eof);
	tern_nc_eof(zero.nc, eof);
	CHECK(tern_nc_done(zero.nc));
	CHECK(!tern_nc_done(two.nc));
	CHECK(tern_sim_run_while(sim, nc_done, two.nc, eof + TERN_SEC(10)));
	CHECK_EQ(tern_sim_now(sim), eof + TERN_SEC(2));
	tern_sim_run_for(sim, TERN_SEC(60));
	CHECK(!tern_nc_done(never.nc));
	CHECK_EQ(peer_close(&zero), 0);
	CHECK_EQ(peer_close(&two), 0);
	CHECK_EQ(peer_close(&never), 0);
	tern_sim_destroy(sim);
}

/* -w 3 while listening: no clock before the first datagram; then done
 * 3 s after the last datagram either way. */
TEST(nc_idle_timeout)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(10, &a, &b);
	REQUIRE(sim);
	struct tern_nc_opts ol, oc;
	tern_nc_opts_init(&ol);
	ol.listen = true;
	ol.port = 5000;
	ol.idle = TERN_SEC(3);
	tern_nc_opts_init(&oc);
	oc.dst = TERN_IP4(10, 0, 0, 2);
	oc.dst_port = 5000;
	struct peer pl = {0}, pc = {0};
	REQUIRE(peer_open(&pl, sim, b, &ol));
	REQUIRE(peer_open(&pc, sim, a, &oc));
	tern_sim_run_for(sim, TERN_SEC(10));
	CHECK(!tern_nc_done(pl.nc)); /* no peer yet: -w does not count */

	CHECK(exchange(sim, &pc, &pl, "1\n", 2, 1));
	tern_time_t first = tern_sim_now(sim);
	tern_sim_run_for(sim, TERN_SEC(2));
	CHECK(exchange(sim, &pc, &pl, "2\n", 2, 2)); /* activity: the clock restarts */
	tern_time_t second = tern_sim_now(sim);
	CHECK(tern_sim_run_while(sim, nc_done, pl.nc, first + TERN_SEC(20)));
	CHECK_EQ(tern_sim_now(sim), second + TERN_SEC(3));
	CHECK_EQ(pl.len, 4);
	CHECK_EQ(peer_close(&pc), 0);
	CHECK_EQ(peer_close(&pl), 0);
	tern_sim_destroy(sim);
}

/* What nc says on diag: -v's reports with -l, and errors, which end it. */
TEST(nc_diagnostics)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(12, &a, &b);
	REQUIRE(sim);
	char *dbuf = NULL;
	size_t dlen = 0;
	FILE *diag = open_memstream(&dbuf, &dlen);
	REQUIRE(diag);
	struct tern_nc_opts ol, oc;
	tern_nc_opts_init(&ol);
	ol.listen = true;
	ol.port = 5000;
	ol.verbose = true;
	ol.diag = diag;
	tern_nc_opts_init(&oc);
	oc.src = TERN_IP4(10, 0, 0, 1);
	oc.port = 40000;
	oc.dst = TERN_IP4(10, 0, 0, 2);
	oc.dst_port = 5000;
	oc.diag = diag;
	oc.prog = "tern nc";
	struct peer pl = {0}, pc = {0};
	REQUIRE(peer_open(&pl, sim, b, &ol));
	REQUIRE(peer_open(&pc, sim, a, &oc));
	CHECK(exchange(sim, &pc, &pl, "hi\n", 3, 1));
	fflush(diag);
	CHECK_STR(dbuf, "Bound on 0.0.0.0 5000\nConnection received on 10.0.0.1 40000\n");

	/* B's nc goes: A's next datagram meets a closed port. */
	CHECK_EQ(peer_close(&pl), 0);
	CHECK_EQ(tern_nc_send(pc.nc, "x", 1, tern_sim_now(sim)), 1);
	CHECK(tern_sim_run_while(sim, nc_done, pc.nc, tern_sim_now(sim) + TERN_SEC(1)));
	CHECK_EQ(tern_nc_error(pc.nc), TERN_ECONNREFUSED);
	fflush(diag);
	/* said nothing: Debian's nc ends silently there */
	CHECK_STR(dbuf, "Bound on 0.0.0.0 5000\nConnection received on 10.0.0.1 40000\n");

	/* a port taken: the bind error names the address */
	struct peer dup = {0};
	CHECK(!peer_open(&dup, sim, a, &oc));
	fflush(diag);
	CHECK(strstr(dbuf, "tern nc: bind 10.0.0.1:40000: Address already in use\n") != NULL);
	peer_close(&dup);
	CHECK_EQ(peer_close(&pc), 0);
	fclose(diag);
	free(dbuf);
	tern_sim_destroy(sim);
}

/* A datagram to a neighbour not yet resolved waits in the stack
 * (tern_stack_tx_pending) until ARP answers. */
TEST(nc_datagram_waits_for_arp)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(13, &a, &b);
	REQUIRE(sim);
	struct tern_nc_opts o;
	tern_nc_opts_init(&o);
	o.dst = TERN_IP4(10, 0, 0, 2);
	o.dst_port = 5000;
	o.quit_after = 0;
	struct peer p = {0};
	REQUIRE(peer_open(&p, sim, a, &o));
	CHECK_EQ(tern_stack_tx_pending(a), 0);
	CHECK_EQ(tern_nc_send(p.nc, "x", 1, tern_sim_now(sim)), 1);
	tern_nc_eof(p.nc, tern_sim_now(sim));
	CHECK(tern_nc_done(p.nc));
	CHECK_EQ(tern_stack_tx_pending(a), 1);
	tern_sim_run_for(sim, TERN_MSEC(5)); /* request and reply: 2 ms */
	CHECK_EQ(tern_stack_tx_pending(a), 0);
	CHECK_EQ(peer_close(&p), 0);
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


/* A port unreachable with -q 2 ends nc 2 s after it came, not at once;
 * -w counts the input's end as traffic. */
TEST(nc_refused_quit_and_idle)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(21, &a, &b);
	REQUIRE(sim);
	tern_sim_run_until(sim, TERN_MSEC(100));
	struct tern_nc_opts o;
	tern_nc_opts_init(&o);
	o.dst = TERN_IP4(10, 0, 0, 2);
	o.dst_port = 5009;
	o.quit_after = TERN_SEC(2);
	struct peer p = {0};
	REQUIRE(peer_open(&p, sim, a, &o));
	CHECK_EQ(tern_nc_send(p.nc, "x", 1, tern_sim_now(sim)), 1);
	CHECK(tern_sim_run_while(sim, errored, p.nc, tern_sim_now(sim) + TERN_SEC(1)));
	tern_time_t refused = tern_sim_now(sim);
	CHECK(!tern_nc_done(p.nc));
	CHECK(!tern_nc_wants_input(p.nc));
	CHECK(tern_sim_run_while(sim, nc_done, p.nc, refused + TERN_SEC(5)));
	CHECK_EQ(tern_sim_now(sim) - refused, TERN_SEC(2));
	CHECK_EQ(peer_close(&p), 0);

	/* -w 2 and the input ends at +1 s: done at +3 s */
	struct tern_nc_opts ow;
	tern_nc_opts_init(&ow);
	ow.dst = TERN_IP4(10, 0, 0, 2);
	ow.dst_port = 5010;
	ow.idle = TERN_SEC(2);
	struct peer w = {0};
	tern_time_t t0 = tern_sim_now(sim);
	REQUIRE(peer_open(&w, sim, a, &ow));
	tern_sim_run_until(sim, t0 + TERN_SEC(1));
	tern_nc_eof(w.nc, tern_sim_now(sim));
	CHECK(tern_sim_run_while(sim, nc_done, w.nc, t0 + TERN_SEC(10)));
	CHECK_EQ(tern_sim_now(sim) - t0, TERN_SEC(3));
	CHECK_EQ(peer_close(&w), 0);
	tern_sim_destroy(sim);
}

/* -v on a UDP client probes as nc's udptest: a closed port fails it
 * silently with status 1; an open one passes after 3 s and -v says so. */
TEST(nc_udp_probe)
{
	struct tern_stack *a, *b;
	struct tern_sim *sim = sim_pair(23, &a, &b);
	REQUIRE(sim);
	tern_sim_run_until(sim, TERN_MSEC(100));
	char *dbuf = NULL;
	size_t dlen = 0;
	FILE *diag = open_memstream(&dbuf, &dlen);
	REQUIRE(diag);
	struct tern_nc_opts o;
	tern_nc_opts_init(&o);
	o.dst = TERN_IP4(10, 0, 0, 2);
	o.dst_port = 5011;
	o.verbose = true;
	o.diag = diag;
	struct peer p = {0};
	REQUIRE(peer_open(&p, sim, a, &o));
	CHECK(!tern_nc_wants_input(p.nc));
	CHECK(tern_sim_run_while(sim, nc_done, p.nc, tern_sim_now(sim) + TERN_SEC(5)));
	CHECK_EQ(tern_nc_error(p.nc), TERN_ECONNREFUSED);
	CHECK_EQ(peer_close(&p), 1);
	fflush(diag);
	CHECK_EQ(dlen, 0);

	/* B listens on 5012: three seconds of probes, then the line */
	struct tern_nc_opts ol;
	tern_nc_opts_init(&ol);
	ol.listen = true;
	ol.port = 5012;
	struct peer l = {0};
	REQUIRE(peer_open(&l, sim, b, &ol));
	o.dst_port = 5012;
	o.zero = true;
	tern_time_t t0 = tern_sim_now(sim);
	REQUIRE(peer_open(&p, sim, a, &o));
	CHECK(tern_sim_run_while(sim, nc_done, p.nc, t0 + TERN_SEC(10)));
	CHECK_EQ(tern_sim_now(sim) - t0, TERN_SEC(3));
	CHECK_EQ(peer_close(&p), 0);
	fflush(diag);
	CHECK_STR(dbuf, "Connection to 10.0.0.2 5012 port [udp/*] succeeded!\n");
	CHECK(l.len >= 2 && memcmp(l.buf, "XX", 2) == 0); /* the probes, as nc's */
	peer_close(&l);
	fclose(diag);
	free(dbuf);
	tern_sim_destroy(sim);
}

TEST_MAIN()
