/*
 * tests/sim/test_rt_link.c — the real-time runner (tern/rt.h) without TAP
 * devices or privileges: two runners in one thread, joined by a simulated
 * link attached with tern_rt_add_dev, exchange an ICMP echo in wall-clock
 * time; and the loop's waiting honours max_wait and device deadlines.
 * (TAP-backed runs against Linux live in tests/interop.)
 */
#include <time.h>

#include "harness.h"

#include "wire/checksum.h"
#include "tern/rt.h"
#include "wire/bytes.h"

static tern_time_t mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (tern_time_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

TEST(run_once_waits_max_wait)
{
	struct tern_stack_config cfg;
	tern_stack_config_init(&cfg);
	cfg.name = "idle";
	struct tern_rt *rt = tern_rt_create(&cfg);
	REQUIRE(rt);
	/* nothing to do: the stack has no deadline, so run_once sleeps */
	tern_time_t t0 = tern_rt_now(rt);
	CHECK(t0 > 0);
	CHECK(t0 - mono() < TERN_MSEC(1)); /* CLOCK_MONOTONIC */
	CHECK_EQ(tern_rt_run_once(rt, TERN_MSEC(20)), 0);
	tern_time_t dt = tern_rt_now(rt) - t0;
	CHECK(dt >= TERN_MSEC(20));
	CHECK(dt < TERN_MSEC(500));
	tern_rt_destroy(rt);
}

static bool never(void *ctx)
{
	return false;
}

TEST(run_while_timeout)
{
	struct tern_rt *rt = tern_rt_create(NULL); /* seed from the clock */
	REQUIRE(rt);
	tern_time_t t0 = tern_rt_now(rt);
	CHECK(!tern_rt_run_while(rt, never, NULL, TERN_MSEC(30)));
	tern_time_t dt = tern_rt_now(rt) - t0;
	CHECK(dt >= TERN_MSEC(30));
	CHECK(dt < TERN_MSEC(500));
	tern_rt_destroy(rt);
}

/* ---- two runners over a link ------------------------------------------- */

struct echo_seen {
	unsigned replies;
};

static void on_icmp(void *ctx, struct tern_stack *s, const struct tern_icmp_msg *m,
		    tern_time_t now)
{
	struct echo_seen *e = ctx;
	if (m->type == 0 && m->id == 0x4242)
		e->replies++;
}

static struct tern_rt *make_rt(const char *name, uint64_t seed)
{
	struct tern_stack_config cfg;
	tern_stack_config_init(&cfg);
	cfg.name = name;
	cfg.seed = seed;
	return tern_rt_create(&cfg);
}

TEST(two_runners_over_a_link)
{
	struct tern_mac ma = {{2, 0, 0, 0, 0, 1}}, mb = {{2, 0, 0, 0, 0, 2}};
	struct tern_link_params lp = {.delay = TERN_MSEC(1)};
	struct tern_link *l = tern_link_create(&lp, "lnk0", &ma, "lnk1", &mb);
	struct tern_rt *a = make_rt("a", 1), *b = make_rt("b", 2);
	REQUIRE(l && a && b);

	int ia = tern_rt_add_dev(a, tern_link_end(l, 0));
	int ib = tern_rt_add_dev(b, tern_link_end(l, 1));
	REQUIRE(ia >= 1 && ib >= 1);
	tern_ip4_t aa, ba;
	unsigned plen;
	tern_ip4_parse_prefix("172.16.0.1/24", &aa, &plen);
	tern_ip4_parse_prefix("172.16.0.2/24", &ba, &plen);
	REQUIRE_EQ(tern_stack_addr_add(tern_rt_stack(a), ia, aa, plen, 0), 0);
	REQUIRE_EQ(tern_stack_addr_add(tern_rt_stack(b), ib, ba, plen, 0), 0);
	CHECK_EQ(tern_rt_add_route(a, "10.99.0.0/16", "172.16.0.2"), 0);
	CHECK_EQ(tern_rt_add_route(a, "10.99.0.0/33", NULL), TERN_EINVAL);
	struct tern_route_result rr;
	CHECK_EQ(tern_route_lookup(tern_rt_stack(a), TERN_IP4(10, 99, 3, 4), &rr), 0);
	CHECK_EQ(rr.next_hop, ba);

	/* Let the gratuitous ARPs land first: one arriving while A resolves
	 * B would complete the entry early (as it should) and spoil the
	 * timing check below. */
	tern_time_t settle = tern_rt_now(a) + TERN_MSEC(20);
	while (tern_rt_now(a) < settle) {
		tern_rt_run_once(a, TERN_USEC(200));
		tern_rt_run_once(b, TERN_USEC(200));
	}

	struct echo_seen seen = {0};
	REQUIRE(tern_icmp_listen(tern_rt_stack(a), on_icmp, &seen) >= 0);
	uint8_t icmp[8 + 32] = {8, 0, 0, 0, 0x42, 0x42, 0, 1};
	wr16(icmp + 2, tern_csum(icmp, sizeof(icmp)));
	struct tern_ip_send p = {.dst = ba, .proto = 1};

	/* One thread drives both hosts, each in short slices. */
	tern_time_t t0 = tern_rt_now(a);
	REQUIRE_EQ(tern_ip_send_raw(tern_rt_stack(a), &p, icmp, sizeof(icmp), t0), 0);
	while (seen.replies == 0 && tern_rt_now(a) - t0 < TERN_SEC(3)) {
		CHECK_EQ(tern_rt_run_once(a, TERN_USEC(200)), 0);
		CHECK_EQ(tern_rt_run_once(b, TERN_USEC(200)), 0);
	}
	CHECK_EQ(seen.replies, 1);
	/* ARP and echo: two round trips of at least 2 ms each */
	CHECK(tern_rt_now(a) - t0 >= TERN_MSEC(4));

	tern_rt_destroy(a);
	tern_rt_destroy(b);
	tern_link_destroy(l); /* the runners destroyed only their (no-op) ends */
}

TEST_MAIN()
