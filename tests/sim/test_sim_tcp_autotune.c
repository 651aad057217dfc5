/*
 * tests/sim/test_sim_tcp_autotune.c — buffer auto-tuning on a long fat
 * path: 1 Gbit/s, 100 ms RTT (a 12.5 MB bandwidth-delay product), with
 * no socket option set by either application. The receive buffer must
 * grow with the measured bandwidth-delay product (as Linux's
 * tcp_rcv_space_adjust) and the send buffer with the congestion window
 * (tcp_sndbuf_expand), so the path is filled; a buffer the application
 * fixed with SO_RCVBUF is left alone and caps the rate at window / RTT.
 */
#include <string.h>

#include "harness.h"
#include "sim_bulk.h"
#include "tern/sim.h"
#include "tern/socket.h"
#include "tern/stack.h"
#include "tern/tcp.h"

struct lfn_result {
	double gbps_late;     /* goodput over the last 4 of 10 virtual seconds */
	int rcvbuf, sndbuf;   /* SO_RCVBUF / SO_SNDBUF at the end */
	uint32_t rcv_wscale;  /* the receiver's window scale */
	uint32_t rcv_space;   /* TCP_INFO's tcpi_rcv_space */
	uint32_t rcv_rtt_us;  /* TCP_INFO's tcpi_rcv_rtt */
};

/* A to B through the path; B's listener takes SO_RCVBUF rcvbuf first
 * unless it is 0. */
static void run_lfn(int rcvbuf, struct lfn_result *out)
{
	struct sim_bulk bulk = {.ssd = -1, .endless = true}, *x = &bulk;
	struct tern_sim *sim = tern_sim_create(7);
	REQUIRE(sim);
	struct tern_stack *a = tern_sim_host(sim, "A", NULL);
	struct tern_stack *b = tern_sim_host(sim, "B", NULL);
	/* The bottleneck's queue holds one bandwidth-delay product. */
	struct tern_sim_link_opts lo = {.delay = TERN_MSEC(50), .rate_bps = 1000000000ull,
					 .queue_bytes = 12500000};
	REQUIRE_EQ(tern_sim_connect(sim, a, "10.0.0.1/24", b, "10.0.0.2/24", &lo, NULL, NULL), 0);
	tern_sim_run_until(sim, TERN_MSEC(100));
	REQUIRE(sim_bulk_start(a, b, TERN_IP4(10, 0, 0, 2), rcvbuf, x) >= 0);
	tern_time_t t0 = tern_sim_now(sim);
	uint64_t got6 = 0;
	for (int sec = 1; sec <= 10; sec++) {
		tern_sim_run_until(sim, t0 + TERN_SEC(sec));
		printf("# t=%2d s: %7.1f MB delivered\n", sec, x->got / 1e6);
		if (sec == 6)
			got6 = x->got;
	}
	out->gbps_late = (double)(x->got - got6) * 8 / 4e9;
	REQUIRE(x->ssd >= 0);
	size_t n = sizeof(int);
	REQUIRE_EQ(tern_getsockopt(b, x->ssd, TERN_SOL_SOCKET, TERN_SO_RCVBUF, &out->rcvbuf, &n), 0);
	REQUIRE_EQ(tern_getsockopt(a, x->csd, TERN_SOL_SOCKET, TERN_SO_SNDBUF, &out->sndbuf, &n), 0);
	struct tern_tcp_info ti;
	n = sizeof(ti);
	REQUIRE_EQ(tern_getsockopt(b, x->ssd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &n), 0);
	out->rcv_wscale = ti.tcpi_rcv_wscale;
	out->rcv_space = ti.tcpi_rcv_space;
	out->rcv_rtt_us = ti.tcpi_rcv_rtt;
	printf("# goodput over the last 4 s: %.3f Gbit/s; SO_RCVBUF %d, SO_SNDBUF %d, "
	       "rcv_wscale %u, rcv_space %u, rcv_rtt %u us; %llu retransmissions\n",
	       out->gbps_late, out->rcvbuf, out->sndbuf, out->rcv_wscale, out->rcv_space,
	       out->rcv_rtt_us,
	       (unsigned long long)tern_stack_stat(a, TERN_STAT_TCP_RETRANS_SEGS));
	CHECK_EQ(x->bad, 0);
	tern_sim_destroy(sim);
}

TEST(autotuning_fills_a_100ms_gigabit_path)
{
	struct lfn_result r;
	run_lfn(0, &r);
	CHECK(r.gbps_late > 0.9);   /* of 1 Gbit/s, less headers: about 0.94 */
	CHECK(r.rcvbuf > 25000000); /* grew from tcp_rmem[1] to hold 12.5 MB of payload */
	CHECK(r.sndbuf > 12500000); /* grew with cwnd from tcp_wmem[1] */
	CHECK(r.rcv_wscale >= 9);   /* 65535 << 9 = 32 MiB */
	CHECK(r.rcv_rtt_us >= 100000 && r.rcv_rtt_us < 250000); /* the receiver's RTT estimate */
}

TEST(a_locked_so_rcvbuf_is_not_tuned)
{
	/* SO_RCVBUF 200000 (400000 as the kernel doubles it): a 200000-byte
	 * window, so 200000 bytes per 100 ms, 16 Mbit/s at most; the window
	 * scale offered covers that window and no more. */
	struct lfn_result r;
	run_lfn(200000, &r);
	CHECK_EQ(r.rcvbuf, 400000);
	CHECK_EQ(r.rcv_wscale, 2);
	CHECK(r.gbps_late > 0.014 && r.gbps_late <= 0.016);
}

TEST_MAIN()
