/*
 * tests/unit/test_dev_red.c — RED's decision (src/dev/red.c) on synthetic
 * queues, deterministically (fixed seeds): the marking rate between the
 * thresholds against Floyd & Jacobson's count-spaced probability, the
 * spacing bound it gives, none below min and all above max, marks that
 * become drops for Not-ECT packets or without ecn, the EWMA and its decay
 * over idle time; then through a link: CE set in the IPv4 header (its
 * checksum still right) and counted.
 */
#include "harness.h"
#include "dev/red.h"
#include "tern/err.h"
#include "unit/dev_probe.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

/* No libm: x^n and |x| by hand. */
static double powd(double x, int n)
{
	double y = 1;
	while (n-- > 0)
		y *= x;
	return y;
}
static double absd(double x)
{
	return x < 0 ? -x : x;
}

static const struct tern_red_params P = {
	.min_bytes = 30 * 1024, .max_bytes = 90 * 1024, .max_p = 0.1, .weight = 1.0, .ecn = true,
};

/* n arrivals at a queue held at q bytes; marks and the longest run of
 * passes between two marks. */
static unsigned run(const struct tern_red_params *p, uint64_t seed, uint64_t q, bool ect,
		    unsigned n, enum tern_red_verdict want, unsigned *max_gap)
{
	struct tern_red r;
	tern_red_init(&r, seed);
	unsigned marks = 0, gap = 0, worst = 0;
	for (unsigned i = 0; i < n; i++) {
		enum tern_red_verdict v = tern_red_arrive(&r, p, q, 0, 12000, ect);
		if (v == want) {
			marks++;
			gap = 0;
		} else {
			CHECK_EQ(v, TERN_RED_PASS);
			if (++gap > worst)
				worst = gap;
		}
	}
	if (max_gap)
		*max_gap = worst;
	return marks;
}

TEST(red__marking_rate_between_thresholds_is_count_spaced)
{
	/* Halfway between min and max: pb = max_p / 2 = 0.05. With RED's
	 * count (pa = pb / (1 - count pb), count 1 for the first packet after
	 * a mark) the distance between marks is uniform on 1 .. 1/pb - 1 =
	 * 19, mean 10: 1,000 marks in 10,000 packets, and never 19 passes in
	 * a row (the paper's point: no long runs, no clusters). */
	uint64_t q = 60 * 1024;
	unsigned gap;
	unsigned m = run(&P, 1, q, true, 10000, TERN_RED_MARK, &gap);
	printf("# pb 0.05: %u marks in 10000, longest gap %u\n", m, gap);
	CHECK(m >= 950 && m <= 1050);
	CHECK(gap < 19);
	/* A quarter of the way: pb 0.025, uniform on 1 .. 39, mean 20. */
	m = run(&P, 2, 45 * 1024, true, 10000, TERN_RED_MARK, &gap);
	printf("# pb 0.025: %u marks in 10000, longest gap %u\n", m, gap);
	CHECK(m >= 475 && m <= 525);
	CHECK(gap < 39);
	/* The same seed gives the same decisions; another seed others. */
	CHECK_EQ(run(&P, 1, q, true, 10000, TERN_RED_MARK, NULL), run(&P, 1, q, true, 10000, TERN_RED_MARK, NULL));
	unsigned a = 0, b = 0;
	struct tern_red r1, r2;
	tern_red_init(&r1, 1);
	tern_red_init(&r2, 3);
	unsigned differ = 0;
	for (int i = 0; i < 1000; i++) {
		a = tern_red_arrive(&r1, &P, q, 0, 12000, true);
		b = tern_red_arrive(&r2, &P, q, 0, 12000, true);
		differ += a != b;
	}
	CHECK(differ > 0);
}

TEST(red__none_below_min_all_above_max)
{
	CHECK_EQ(run(&P, 1, 29 * 1024, true, 10000, TERN_RED_MARK, NULL), 0);
	CHECK_EQ(run(&P, 1, 90 * 1024, true, 1000, TERN_RED_MARK, NULL), 1000);
	/* Not ECN-capable above max: forced drops. */
	CHECK_EQ(run(&P, 1, 100 * 1024, false, 1000, TERN_RED_DROP_FORCED, NULL), 1000);
}

TEST(red__not_ect_or_no_ecn_drops_where_it_would_mark)
{
	uint64_t q = 60 * 1024;
	unsigned marks = run(&P, 7, q, true, 10000, TERN_RED_MARK, NULL);
	/* The same seed: the same packets, dropped instead. */
	CHECK_EQ(run(&P, 7, q, false, 10000, TERN_RED_DROP_EARLY, NULL), marks);
	struct tern_red_params nop = P;
	nop.ecn = false;
	CHECK_EQ(run(&nop, 7, q, true, 10000, TERN_RED_DROP_EARLY, NULL), marks);
}

TEST(red__average_is_an_ewma_and_decays_while_idle)
{
	struct tern_red_params p = P;
	p.weight = 0.002;
	struct tern_red r;
	tern_red_init(&r, 1);
	for (int i = 0; i < 1000; i++)
		tern_red_arrive(&r, &p, 60000, 0, 12000, true);
	double want = 60000.0 * (1 - powd(0.998, 1000)); /* 51,891 */
	CHECK(absd(r.avg - want) < 1.0);
	/* Empty for 1,000 packet times (12 µs each): avg (1 - w)^1000. */
	double before = r.avg;
	tern_red_arrive(&r, &p, 0, 1000 * 12000, 12000, true);
	CHECK(absd(r.avg - before * powd(0.998, 1000)) < 1.0);
	/* Default weight 0.002 when none is given. */
	p.weight = 0;
	tern_red_init(&r, 1);
	tern_red_arrive(&r, &p, 100000, 0, 12000, true);
	CHECK(absd(r.avg - 200.0) < 1e-6);
}

/* An Ethernet + IPv4 (UDP-ish payload) frame of n bytes with ECN field ecn. */
static size_t frame(uint8_t *buf, size_t n, uint8_t ecn)
{
	memset(buf, 0, n);
	buf[12] = 0x08;
	uint8_t *ip = buf + 14;
	ip[0] = 0x45;
	ip[1] = ecn;
	wr16(ip + 2, (uint16_t)(n - 14));
	ip[8] = 64;
	ip[9] = 17;
	wr32(ip + 12, 0x0a000001);
	wr32(ip + 16, 0x0a000002);
	wr16(ip + 10, tern_csum(ip, 20));
	return n;
}

TEST(red__link_marks_ce_and_counts)
{
	/* 10 Mbit/s, 1500-byte frames offered at twice the rate: the queue
	 * grows past min, RED marks ECT frames; the Not-ECT ones it drops. */
	struct tern_link_params lp = {.rate_bps = 10000000, .queue_bytes = 256 * 1024,
				      .qdisc = TERN_QDISC_RED, .seed = 42,
				      .red = {.min_bytes = 30 * 1024, .max_bytes = 90 * 1024,
					      .max_p = 0.1, .weight = 0.02, .ecn = true}};
	struct tern_mac ma = {{2, 0, 0, 0, 0, 1}}, mb = {{2, 0, 0, 0, 0, 2}};
	struct tern_link *l = tern_link_create(&lp, "a", &ma, "b", &mb);
	REQUIRE(l);
	struct tern_netdev *a = tern_link_end(l, 0), *b = tern_link_end(l, 1);
	struct probe_log got = {0};
	tern_netdev_set_rx(b, log_rx, &got);
	uint8_t buf[1514];
	/* offered at 20 Mbit/s */
	tern_time_t now = 0, gap = (tern_time_t)1514 * 8 * 1000000000ll / 20000000;
	for (int i = 0; i < 400; i++, now += gap) {
		frame(buf, sizeof(buf), (i % 4 == 3) ? TERN_IP_ECN_NOT_ECT : TERN_IP_ECN_ECT0);
		tern_netdev_transmit(a, buf, sizeof(buf), now);
		tern_netdev_poll(b, now);
	}
	tern_netdev_poll(b, now + TERN_SEC(1));
	struct tern_link_stats st;
	tern_link_get_stats(l, 0, &st);
	CHECK(st.ecn_marked > 0);
	CHECK(st.drop_early > 0);        /* the Not-ECT quarter */
	CHECK_EQ(st.drop_queue_full, 0); /* RED keeps it below the limit */
	/* Every delivered CE frame has a valid header checksum. */
	uint64_t ce = 0, bad = 0;
	for (size_t i = 0; i < got.n; i++) {
		const uint8_t *ip = got.r[i].data + 14;
		ce += (ip[1] & TERN_IP_ECN_MASK) == TERN_IP_ECN_CE;
		bad += tern_csum(ip, 20) != 0;
	}
	CHECK_EQ(ce, st.ecn_marked);
	CHECK_EQ(bad, 0);
	CHECK_EQ(got.n + st.drop_early + st.drop_forced, 400);
	printf("# 400 frames at 2x the rate: %llu marked, %llu dropped early, %llu forced\n",
	       (unsigned long long)st.ecn_marked, (unsigned long long)st.drop_early,
	       (unsigned long long)st.drop_forced);
	log_clear(&got);
	tern_link_destroy(l);
}

TEST_MAIN()
