/*
 * tests/sim/test_sim_tcp_fair.c — two CUBIC flows through one 20 Mbit/s
 * bottleneck (issue "TCP on real paths": report Jain's fairness index).
 *
 * A sends to B over a 20 Mbit/s link, 10 ms each way, with a 64 KiB
 * drop-tail queue (26 ms at that rate); the two connections' windows
 * (104 KiB of receive window each) together exceed what the path holds
 * (50 KB in flight plus the queue), so they meet in the queue and lose.
 * The second flow starts 2 s after the first; from 10 s to 40 s of
 * virtual time the bytes each delivers are counted, and Jain's index
 * (x1 + x2)^2 / (2 (x1^2 + x2^2)) must be at least 0.9. The link is
 * also to be used well: both together at least 85% of 20 Mbit/s.
 */
#include <string.h>

#include "harness.h"
#include "tern/sim.h"
#include "tern/socket.h"
#include "tern/stats.h"
#include "tern/tcp.h"

#define START2 TERN_SEC(2)
#define FROM TERN_SEC(10)
#define UNTIL TERN_SEC(40)
#define RATE 20000000ull

struct flow {
	int csd, ssd;
	uint64_t got, got_at_from;
	bool started, marked;
};

struct fair {
	struct tern_sim *sim;
	struct tern_stack *a, *b;
	int lsd;
	struct flow f[2];
};

static bool pump(void *ctx)
{
	struct fair *x = ctx;
	static uint8_t buf[65536];
	tern_time_t now = tern_sim_now(x->sim);
	for (int i = 0; i < 2; i++) {
		struct flow *f = &x->f[i];
		if (!f->started && (i == 0 || now >= START2)) {
			struct tern_sockaddr_in dst = {TERN_IP4(10, 0, 0, 2), 5001};
			f->csd = tern_socket(x->a, TERN_AF_INET, TERN_SOCK_STREAM, 0);
			if (f->csd < 0 || tern_connect(x->a, f->csd, &dst) != TERN_EINPROGRESS)
				return true; /* checked after the run */
			f->started = true;
		}
		if (f->started)
			while (tern_send(x->a, f->csd, buf, sizeof(buf), 0) > 0)
				;
	}
	int sd;
	while ((sd = tern_accept(x->b, x->lsd, NULL)) >= 0) {
		/* accepted in connect order: the first flow's first */
		struct flow *f = x->f[0].ssd < 0 ? &x->f[0] : &x->f[1];
		f->ssd = sd;
	}
	for (int i = 0; i < 2; i++) {
		struct flow *f = &x->f[i];
		int r;
		while (f->ssd >= 0 && (r = tern_recv(x->b, f->ssd, buf, sizeof(buf), 0)) > 0)
			f->got += (uint64_t)r;
		if (!f->marked && now >= FROM) {
			f->got_at_from = f->got;
			f->marked = true;
		}
	}
	return false;
}

static double jain(double a, double b)
{
	return (a + b) * (a + b) / (2 * (a * a + b * b));
}

static void run(uint64_t seed, const char *cc, bool pace, double *index, double *mbps)
{
	struct fair x;
	memset(&x, 0, sizeof(x));
	x.f[0].ssd = x.f[1].ssd = -1;
	struct tern_stack_config cfg;
	tern_stack_config_init(&cfg);
	cfg.tcp_congestion_control = cc;
	cfg.tcp_pacing = pace; /* Linux's internal pacing on every connection */
	x.sim = tern_sim_create(seed);
	REQUIRE(x.sim);
	x.a = tern_sim_host(x.sim, "A", &cfg);
	x.b = tern_sim_host(x.sim, "B", &cfg);
	struct tern_sim_link_opts lo = {.rate_bps = RATE, .delay = TERN_MSEC(10),
					.queue_bytes = 64 * 1024};
	REQUIRE_EQ(tern_sim_connect(x.sim, x.a, "10.0.0.1/24", x.b, "10.0.0.2/24", &lo, NULL, NULL), 0);
	tern_sim_run_until(x.sim, TERN_MSEC(100));
	x.lsd = tern_socket(x.b, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in any = {0, 5001};
	REQUIRE(x.lsd >= 0 && tern_bind(x.b, x.lsd, &any) == 0 && tern_listen(x.b, x.lsd, 8) == 0);
	tern_sim_run_while(x.sim, pump, &x, UNTIL);
	REQUIRE(x.f[0].started && x.f[1].started && x.f[0].ssd >= 0 && x.f[1].ssd >= 0);
	double secs = (double)(UNTIL - FROM) / 1e9;
	double m1 = (double)(x.f[0].got - x.f[0].got_at_from) * 8 / secs / 1e6;
	double m2 = (double)(x.f[1].got - x.f[1].got_at_from) * 8 / secs / 1e6;
	char name[16] = {0};
	size_t len = sizeof(name);
	REQUIRE_EQ(tern_getsockopt(x.a, x.f[0].csd, TERN_IPPROTO_TCP, TERN_TCP_CONGESTION, name, &len), 0);
	CHECK_STR(name, cc);
	*index = jain(m1, m2);
	*mbps = m1 + m2;
	printf("# %s%s, seed %llu: flow 1 %.2f Mbit/s, flow 2 %.2f Mbit/s (10-40 s), Jain's index %.4f, "
	       "retransmitted %llu segments, HyStart++ exits %llu\n",
	       cc, pace ? " paced" : "", (unsigned long long)seed, m1, m2, *index,
	       (unsigned long long)tern_stack_stat(x.a, TERN_STAT_TCP_RETRANS_SEGS),
	       (unsigned long long)tern_stack_stat(x.a, TERN_STAT_TCP_HYSTART_DELAY_DETECT));
	tern_sim_destroy(x.sim);
}

TEST(two_cubic_flows_share_a_20mbit_bottleneck_fairly)
{
	double idx, mbps;
	run(1, "cubic", false, &idx, &mbps);
	CHECK(idx >= 0.9);
	CHECK(mbps >= 0.85 * RATE / 1e6);
	CHECK(mbps <= RATE / 1e6);
	/* the same seed, the same run */
	double idx2, mbps2;
	run(1, "cubic", false, &idx2, &mbps2);
	CHECK(idx2 == idx && mbps2 == mbps);
}

/* NewReno on the same path, for comparison: reported, not asserted fair.
 * Seed 1: drop-tail lock-out. The first flow's slow start ends at its
 * receive window (104 KiB) without a loss, so it keeps the queue full
 * while its ACKs clock it; the late flow's bursts meet that full queue,
 * its ssthresh falls to 2 segments and stays there (no timeouts: 91
 * retransmissions, all fast): 0.7 Mbit/s, index 0.54. CUBIC's HyStart++
 * leaves slow start on the queue's delay before that; pacing (below)
 * spreads the bursts and cures it for both. The link stays used. */
TEST(two_reno_flows_on_the_same_bottleneck_reported)
{
	double idx, mbps;
	run(1, "reno", false, &idx, &mbps);
	CHECK(idx > 0.5);
	CHECK(mbps >= 0.85 * RATE / 1e6);
}

/* With pacing (tern_stack_config.tcp_pacing) the windows leave spread
 * over the RTT instead of in bursts: both algorithms share fairly (seed 1:
 * CUBIC 0.9997, NewReno 0.993, whose late flow no longer starves). */
TEST(two_paced_flows_share_a_20mbit_bottleneck_fairly)
{
	double idx, mbps;
	run(1, "cubic", true, &idx, &mbps);
	CHECK(idx >= 0.9);
	CHECK(mbps >= 0.85 * RATE / 1e6);
	run(1, "reno", true, &idx, &mbps);
	CHECK(idx >= 0.9);
	CHECK(mbps >= 0.85 * RATE / 1e6);
}

TEST_MAIN()
