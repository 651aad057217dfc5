/*
 * tests/sim/test_sim_tcp_overshoot.c — slow start overflowing a router's
 * drop-tail queue: A (1 Gbit/s) - R - B with a 100 Mbit/s, 1 ms hop behind
 * a 256 KiB queue. Slow start (and HyStart++'s conservative phase) runs
 * the window past the path's 25 KB plus the queue, so R drops a run of
 * segments, every other one at the end. Loss recovery must repair that in
 * one SACK recovery episode, retransmitting only what was lost: every
 * retransmission needed (none reported back as a duplicate by D-SACK, bar
 * one), no timeout, and the window reduced once.
 *
 * (Before RACK kept the times of retransmissions apart, a delivered
 * retransmission stood for the latest one sent, and new data still in
 * R's queue was taken for lost: 577 retransmissions, 402 of them
 * duplicates, four recoveries.)
 */
#include "harness.h"
#include "sim_bulk.h"
#include "tern/sim.h"
#include "tern/socket.h"
#include "tern/stack.h"
#include "tern/tcp.h"

TEST(slow_start_overshoot_is_repaired_in_one_episode_without_spurious_retransmissions)
{
	struct sim_bulk x = {.ssd = -1, .total = 8u << 20};
	struct tern_sim *sim = tern_sim_create(7);
	REQUIRE(sim);
	struct tern_stack *a = tern_sim_host(sim, "A", NULL), *b = tern_sim_host(sim, "B", NULL);
	struct tern_stack *r = tern_sim_router(sim, "R", NULL);
	struct tern_sim_link_opts fast = {.delay = TERN_MSEC(1), .rate_bps = 1000000000ull};
	struct tern_sim_link_opts slow = {.delay = TERN_MSEC(1), .rate_bps = 100000000ull,
					  .queue_bytes = 262144};
	REQUIRE(a && b && r);
	REQUIRE_EQ(tern_sim_connect(sim, a, "10.1.0.1/24", r, "10.1.0.254/24", &fast, NULL, NULL), 0);
	REQUIRE_EQ(tern_sim_connect(sim, r, "10.2.0.254/24", b, "10.2.0.1/24", &slow, NULL, NULL), 0);
	REQUIRE_EQ(tern_route_add(a, 0, 0, TERN_IP4(10, 1, 0, 254), 0, 0), 0);
	REQUIRE_EQ(tern_route_add(b, 0, 0, TERN_IP4(10, 2, 0, 254), 0, 0), 0);
	tern_sim_run_until(sim, TERN_MSEC(100));
	int lsd = sim_bulk_start(a, b, TERN_IP4(10, 2, 0, 1), 0, &x);
	REQUIRE(lsd >= 0);
	tern_time_t t0 = tern_sim_now(sim);
	CHECK(tern_sim_run_while(sim, sim_bulk_done, &x, t0 + TERN_SEC(10)));
	CHECK_EQ(x.got, x.total);
	CHECK_EQ(x.bad, 0);
	uint64_t rtx = tern_stack_stat(a, TERN_STAT_TCP_RETRANS_SEGS);
	uint64_t dups = tern_stack_stat(a, TERN_STAT_TCP_DSACK_RECV);
	uint64_t episodes = tern_stack_stat(a, TERN_STAT_TCP_SACK_RECOVERY);
	printf("# 8 MiB in %.3f s: %llu retransmissions, %llu reported duplicate, %llu recoveries, "
	       "%llu timeouts\n",
	       (tern_sim_now(sim) - t0) / 1e9, (unsigned long long)rtx, (unsigned long long)dups,
	       (unsigned long long)episodes,
	       (unsigned long long)tern_stack_stat(a, TERN_STAT_TCP_TIMEOUTS));
	CHECK(rtx > 0);             /* the queue did overflow */
	CHECK(dups <= 1);
	CHECK_EQ(episodes, 1);
	CHECK_EQ(tern_stack_stat(a, TERN_STAT_TCP_TIMEOUTS), 0);
	/* 8 MiB at 100 Mbit/s take 0.7 s of the link's goodput */
	CHECK(tern_sim_now(sim) - t0 < TERN_MSEC(850));
	tern_sim_destroy(sim);
}

TEST_MAIN()
