/*
 * tests/unit/test_dev_fault_burst.c — the fault injector's bursty loss
 * (Gilbert-Elliott, src/dev/fault.c) measured over 10,000 frames with
 * fixed seeds: loss rate and mean burst length within stated tolerances of
 * what the parameters predict, the loss of each state, determinism, and
 * that turning the model on leaves the other impairments' streams alone;
 * and jitter that keeps frames in order, as a lab's links have it.
 */
#include "harness.h"
#include "unit/dev_probe.h"

#define FLEN 100
#define N 10000

struct run {
	unsigned lost, bursts;
	unsigned longest;
	uint8_t got[N];        /* 1: frame i came through */
};

/* Send N frames 1 us apart down a fault device over a probe; which came
 * through. */
static void send_all(const struct tern_fault_params *p, struct run *r)
{
	memset(r, 0, sizeof(*r));
	struct probe *inner = probe_new("eth0", 0x21, 1400);
	struct tern_netdev *dev = tern_fault_wrap(&inner->dev, p);
	REQUIRE(dev != NULL);
	uint8_t buf[FLEN];
	struct tern_mac dst = test_mac(0x99);
	for (uint32_t i = 0; i < N; i++) {
		make_frame(buf, FLEN, &dst, &dev->mac, i);
		tern_netdev_transmit(dev, buf, FLEN, TERN_USEC(i));
	}
	for (size_t k = 0; k < inner->tx.n; k++) {
		long long tag = frame_tag(inner->tx.r[k].data, inner->tx.r[k].len);
		if (tag >= 0 && tag < N)
			r->got[tag] = 1;
	}
	unsigned run = 0;
	for (unsigned i = 0; i < N; i++) {
		if (!r->got[i]) {
			r->lost++;
			if (run++ == 0)
				r->bursts++;
			if (run > r->longest)
				r->longest = run;
		} else {
			run = 0;
		}
	}
	tern_netdev_destroy(dev);
}

/* p 2%, r 25%, every frame lost in the bad state: the bad state holds
 * p/(p+r) = 7.41% of frames, bursts last 1/r = 4 frames. With
 * correlation 1-p-r = 0.73 between neighbours, the loss count's sd is
 * about sqrt(N * 0.074 * 0.926 * 1.73/0.27) = 66 frames, 0.66%: the loss
 * rate must be 7.41% +- 2% (3 sd). About 185 bursts of geometric length
 * (sd 3.5) give a mean within 4 +- 0.8 (over 3 sd). */
TEST(gilbert_elliott_loss_and_burst_length)
{
	struct tern_fault_params p = {.burst = {.p = 0.02, .r = 0.25, .loss_bad = 1.0},
				      .seed = 11};
	struct run r;
	send_all(&p, &r);
	double loss = (double)r.lost / N, mean = (double)r.lost / r.bursts;
	printf("# bursty: loss %.2f%% (7.41%% expected), %u bursts, mean %.2f frames (4), "
	       "longest %u\n", loss * 100, r.bursts, mean, r.longest);
	CHECK(loss > 0.0541 && loss < 0.0941);
	CHECK(mean > 3.2 && mean < 4.8);
	CHECK(r.bursts > 120 && r.bursts < 250);
	/* random loss at the same rate makes bursts of 1/(1-0.074) = 1.08 */
	struct tern_fault_params q = {.loss = 0.0741, .seed = 11};
	struct run u;
	send_all(&q, &u);
	printf("# random: loss %.2f%%, mean burst %.2f, longest %u\n", (double)u.lost / N * 100,
	       (double)u.lost / u.bursts, u.longest);
	CHECK((double)u.lost / u.bursts < 1.2);
	CHECK(r.longest > u.longest);
}

/* Losses in both states: good 1%, bad 50%, p 5%, r 20%: bad holds 20%,
 * loss = 0.8 * 1% + 0.2 * 50% = 10.8%, +- 2.5%. */
TEST(gilbert_elliott_state_losses)
{
	struct tern_fault_params p = {
		.burst = {.p = 0.05, .r = 0.2, .loss_good = 0.01, .loss_bad = 0.5}, .seed = 3};
	struct run r;
	send_all(&p, &r);
	double loss = (double)r.lost / N;
	printf("# two-state: loss %.2f%% (10.8%% expected)\n", loss * 100);
	CHECK(loss > 0.083 && loss < 0.133);
}

/* Same seed, same frames lost; another seed, others. The bursty model
 * takes a stream of its own, so adding it to plain random loss keeps
 * every frame that plain loss dropped dropped. */
TEST(gilbert_elliott_deterministic_and_independent)
{
	struct tern_fault_params p = {.loss = 0.05,
				      .burst = {.p = 0.02, .r = 0.25, .loss_bad = 1.0},
				      .seed = 5};
	struct run a, b, c;
	send_all(&p, &a);
	send_all(&p, &b);
	CHECK_MEM(a.got, b.got, N);
	p.seed = 6;
	send_all(&p, &c);
	CHECK(memcmp(a.got, c.got, N) != 0);
	struct tern_fault_params plain = {.loss = 0.05, .seed = 5};
	send_all(&plain, &c);
	unsigned kept = 0;
	for (unsigned i = 0; i < N; i++)
		kept += !c.got[i] && a.got[i];
	CHECK_EQ(kept, 0);
	CHECK(a.lost > c.lost);
}

/* 10,000 frames 100 us apart, 1 ms delay, up to 2 ms of jitter: in order,
 * every frame at least the delay late and at most delay + jitter, and the
 * mean delay above 1 ms + 1 ms / 2 (holding back a frame behind a slower
 * one only adds). Without the option the same jitter reorders. */
TEST(jitter_keeps_order)
{
	for (int keep = 1; keep >= 0; keep--) {
		struct tern_fault_params p = {.delay = TERN_MSEC(1), .jitter = TERN_MSEC(2),
					      .jitter_keeps_order = keep, .seed = 4};
		struct probe *inner = probe_new("eth0", 0x21, 1400);
		struct tern_netdev *dev = tern_fault_wrap(&inner->dev, &p);
		REQUIRE(dev != NULL);
		uint8_t buf[FLEN];
		struct tern_mac dst = test_mac(0x99);
		for (uint32_t i = 0; i < N; i++) {
			tern_time_t now = TERN_USEC(100) * i, t;
			while ((t = tern_netdev_poll_at(dev)) <= now)
				tern_netdev_poll(dev, t);
			make_frame(buf, FLEN, &dst, &dev->mac, i);
			tern_netdev_transmit(dev, buf, FLEN, now);
		}
		tern_time_t t;
		while ((t = tern_netdev_poll_at(dev)) != TERN_TIME_NEVER)
			tern_netdev_poll(dev, t);
		REQUIRE_EQ(inner->tx.n, N);
		unsigned out_of_order = 0;
		double sum = 0;
		tern_time_t lo = TERN_TIME_NEVER, hi = 0;
		for (size_t k = 0; k < N; k++) {
			long long tag = frame_tag(inner->tx.r[k].data, inner->tx.r[k].len);
			out_of_order += tag != (long long)k;
			tern_time_t lat = inner->tx.r[k].t - TERN_USEC(100) * (tern_time_t)tag;
			sum += (double)lat;
			lo = lat < lo ? lat : lo;
			hi = lat > hi ? lat : hi;
		}
		double mean = sum / N / 1e6;
		printf("# jitter %s: %u out of order, delay %.3f..%.3f ms, mean %.3f ms\n",
		       keep ? "in order" : "free", out_of_order, (double)lo / 1e6, (double)hi / 1e6,
		       mean);
		if (keep) {
			CHECK_EQ(out_of_order, 0);
			CHECK(lo >= TERN_MSEC(1) && hi <= TERN_MSEC(3));
			CHECK(mean > 2.0 && mean < 3.0);
		} else {
			CHECK(out_of_order > 1000);
			CHECK(mean > 1.95 && mean < 2.05); /* uniform: 1 ms + 2 ms / 2 */
		}
		tern_netdev_destroy(dev);
	}
}

TEST_MAIN()
