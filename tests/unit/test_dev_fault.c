/*
 * tests/unit/test_dev_fault.c — the seeded fault injector
 * (src/dev/fault.c): pass-through when idle, loss, duplication,
 * corruption, reordering, delay and jitter, rate, direction selection,
 * stacking over a link, and determinism under a seed.
 *
 * The inner device is a probe: frames the fault device sends down show up
 * in its tx log, and frames injected with tern_netdev_deliver(probe) come
 * up through the fault device into the `up` log.
 */
#include "harness.h"
#include "unit/dev_probe.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"

#define FLEN 100

struct fixture {
	struct probe *inner;
	struct tern_netdev *dev;
	struct probe_log up;
	int inner_destroyed;
};

static void setup(struct fixture *fx, const struct tern_fault_params *p)
{
	memset(fx, 0, sizeof(*fx));
	fx->inner = probe_new("eth0", 0x21, 1400);
	fx->inner->destroyed = &fx->inner_destroyed;
	fx->dev = tern_fault_wrap(&fx->inner->dev, p);
	tern_netdev_set_rx(fx->dev, log_rx, &fx->up);
}

static void teardown(struct fixture *fx)
{
	tern_netdev_destroy(fx->dev);
	log_clear(&fx->up);
}

static struct probe_log *down(struct fixture *fx)
{
	return &fx->inner->tx;
}

/* Run every poll due up to and including `until`, at its own time. */
static void run_until(struct tern_netdev *dev, tern_time_t until)
{
	tern_time_t t;
	while ((t = tern_netdev_poll_at(dev)) <= until)
		tern_netdev_poll(dev, t);
}

static int send_down(struct fixture *fx, uint32_t tag, tern_time_t now)
{
	uint8_t buf[FLEN];
	struct tern_mac dst = test_mac(0x99);
	run_until(fx->dev, now);
	make_frame(buf, FLEN, &dst, &fx->dev->mac, tag);
	return tern_netdev_transmit(fx->dev, buf, FLEN, now);
}

static void send_up(struct fixture *fx, uint32_t tag, tern_time_t now)
{
	uint8_t buf[FLEN];
	struct tern_mac src = test_mac(0x99);
	run_until(fx->dev, now);
	make_frame(buf, FLEN, &fx->dev->mac, &src, tag);
	tern_netdev_deliver(&fx->inner->dev, buf, FLEN, now);
}

static struct tern_fault_stats stats(struct fixture *fx)
{
	struct tern_fault_stats st;
	tern_fault_get_stats(fx->dev, &st);
	return st;
}

TEST(no_impairment_passes_through)
{
	struct fixture fx;
	struct tern_fault_params p = {.seed = 1};
	uint8_t want[FLEN];
	struct tern_mac dst = test_mac(0x99), me = test_mac(0x21);
	setup(&fx, &p);

	CHECK_STR(fx.dev->name, "eth0");
	CHECK_EQ(fx.dev->mtu, 1400);
	CHECK_MEM(fx.dev->mac.b, me.b, 6);

	for (uint32_t i = 0; i < 100; i++) {
		CHECK_EQ(send_down(&fx, i, i * 10), 0);
		REQUIRE_EQ(down(&fx)->n, i + 1); /* synchronously */
		send_up(&fx, i, i * 10 + 5);
		REQUIRE_EQ(fx.up.n, i + 1);
	}
	CHECK_EQ(tern_netdev_poll_at(fx.dev), TERN_TIME_NEVER);
	for (uint32_t i = 0; i < 100; i++) {
		make_frame(want, FLEN, &dst, &me, i);
		CHECK_MEM(down(&fx)->r[i].data, want, FLEN);
		CHECK_EQ(down(&fx)->r[i].t, i * 10);
		make_frame(want, FLEN, &me, &dst, i);
		CHECK_MEM(fx.up.r[i].data, want, FLEN);
		CHECK_EQ(fx.up.r[i].t, i * 10 + 5);
	}
	CHECK_EQ(stats(&fx).passed, 200);
	CHECK_EQ(stats(&fx).dropped, 0);

	/* The inner device's answer comes back to the caller. */
	fx.inner->tx_ret = TERN_ENOBUFS;
	CHECK_EQ(send_down(&fx, 0, 2000), TERN_ENOBUFS);
	teardown(&fx);
}

TEST(loss_rate_within_tolerance)
{
	struct fixture fx;
	struct tern_fault_params p = {.loss = 0.1, .seed = 7};
	setup(&fx, &p);
	for (uint32_t i = 0; i < 10000; i++)
		send_down(&fx, i, i);
	struct tern_fault_stats st = stats(&fx);
	/* Binomial(10000, 0.1): sd 30, so +-100 is over three sd. */
	CHECK(st.dropped >= 900 && st.dropped <= 1100);
	CHECK_EQ(down(&fx)->n + st.dropped, 10000);
	CHECK_EQ(st.passed, down(&fx)->n);
	teardown(&fx);
}

/* An Ethernet + IPv4 frame of FLEN bytes with ECN field ecn. */
static void send_ip_down(struct fixture *fx, uint8_t ecn, tern_time_t now)
{
	uint8_t buf[FLEN];
	memset(buf, 0, sizeof(buf));
	buf[12] = 0x08;
	uint8_t *ip = buf + 14;
	ip[0] = 0x45;
	ip[1] = ecn;
	ip[2] = (uint8_t)((FLEN - 14) >> 8);
	ip[3] = (uint8_t)(FLEN - 14);
	ip[8] = 64;
	ip[9] = 17;
	uint16_t c = tern_csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	run_until(fx->dev, now);
	tern_netdev_transmit(fx->dev, buf, FLEN, now);
}

/* --ce: CE on ECN-capable packets at the given rate (RFC 3168 §5), the
 * header checksum kept right; Not-ECT packets and non-IP frames pass as
 * they are. */
TEST(ce_marks_ect_packets_only)
{
	struct fixture fx;
	struct tern_fault_params p = {.ce = 0.1, .seed = 7};
	setup(&fx, &p);
	for (uint32_t i = 0; i < 10000; i++)
		send_ip_down(&fx, TERN_IP_ECN_ECT0, i);
	for (uint32_t i = 0; i < 1000; i++)
		send_ip_down(&fx, TERN_IP_ECN_NOT_ECT, 10000 + i);
	for (uint32_t i = 0; i < 1000; i++)
		send_down(&fx, i, 20000 + i);
	run_until(fx.dev, 30000);
	struct tern_fault_stats st = stats(&fx);
	CHECK(st.ce_marked >= 900 && st.ce_marked <= 1100); /* 3 sd of Binomial(10000, 0.1) */
	REQUIRE_EQ(down(&fx)->n, 12000);
	uint64_t ce = 0, bad = 0;
	for (size_t i = 0; i < 11000; i++) {
		const uint8_t *ip = down(&fx)->r[i].data + 14;
		ce += (ip[1] & 3) == TERN_IP_ECN_CE;
		bad += tern_csum(ip, 20) != 0;
		if (i >= 10000)
			CHECK_EQ(ip[1], TERN_IP_ECN_NOT_ECT);
	}
	CHECK_EQ(ce, st.ce_marked);
	CHECK_EQ(bad, 0);
	CHECK_EQ(st.dropped, 0);
	teardown(&fx);
}

/* The queue behind the rate: RED marks ECT packets (and drops Not-ECT
 * ones early) before the limit is reached; drop-tail only at the limit. */
TEST(queue_red_marks_before_the_limit)
{
	struct fixture fx;
	struct tern_fault_params p = {
		.rate_bps = 10000000, .seed = 3, .queue_bytes = 256 * 1024,
		.qdisc = TERN_QDISC_RED,
		.red = {.min_bytes = 30 * 1024, .max_bytes = 90 * 1024, .max_p = 0.1, .weight = 0.02,
			.ecn = true},
	};
	setup(&fx, &p);
	/* 2,000 frames offered at twice the rate (FLEN bytes each). */
	tern_time_t gap = (tern_time_t)FLEN * 8 * 1000000000ll / 20000000;
	for (uint32_t i = 0; i < 2000; i++)
		send_ip_down(&fx, (i % 4 == 3) ? TERN_IP_ECN_NOT_ECT : TERN_IP_ECN_ECT0,
			     (tern_time_t)i * gap);
	run_until(fx.dev, TERN_SEC(10));
	struct tern_fault_stats st = stats(&fx);
	printf("# RED+ECN behind 10 Mbit/s, offered 20: %llu marked, %llu early, %llu forced, "
	       "%llu at the limit\n", (unsigned long long)st.ce_marked,
	       (unsigned long long)st.red_early, (unsigned long long)st.red_forced,
	       (unsigned long long)st.queue_full);
	CHECK(st.ce_marked > 0);
	CHECK(st.red_early + st.red_forced > 0); /* the Not-ECT quarter */
	CHECK_EQ(down(&fx)->n + st.dropped, 2000);
	CHECK_EQ(st.dropped, st.red_early + st.red_forced + st.queue_full);
	teardown(&fx);
	/* Drop-tail at 64 KiB: only the limit drops, nothing is marked. */
	struct tern_fault_params dt = {.rate_bps = 10000000, .seed = 3, .queue_bytes = 64 * 1024};
	setup(&fx, &dt);
	for (uint32_t i = 0; i < 2000; i++)
		send_ip_down(&fx, TERN_IP_ECN_ECT0, (tern_time_t)i * gap);
	run_until(fx.dev, TERN_SEC(10));
	st = stats(&fx);
	CHECK(st.queue_full > 0);
	CHECK_EQ(st.ce_marked, 0);
	CHECK_EQ(st.dropped, st.queue_full);
	teardown(&fx);
}

TEST(duplicates_happen)
{
	struct fixture fx;
	struct tern_fault_params p = {.duplicate = 0.25, .seed = 8};
	setup(&fx, &p);
	for (uint32_t i = 0; i < 10000; i++)
		send_down(&fx, i, i);
	struct tern_fault_stats st = stats(&fx);
	CHECK(st.duplicated >= 2300 && st.duplicated <= 2700);
	CHECK_EQ(down(&fx)->n, 10000 + st.duplicated);
	/* A duplicate follows its original. */
	size_t pairs = 0;
	for (size_t i = 1; i < down(&fx)->n; i++)
		if (frame_tag(down(&fx)->r[i].data, FLEN) == frame_tag(down(&fx)->r[i - 1].data, FLEN))
			pairs++;
	CHECK_EQ(pairs, st.duplicated);
	teardown(&fx);
}

static int popcount_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
	int bits = 0;
	for (size_t i = 0; i < n; i++)
		bits += __builtin_popcount((unsigned)(a[i] ^ b[i]));
	return bits;
}

/* Every corrupted frame differs from the original in exactly one bit,
 * and the flips land all over the frame, headers included. */
TEST(corruption_flips_one_bit)
{
	struct fixture fx;
	struct tern_fault_params p = {.corrupt = 1.0, .seed = 9};
	struct tern_mac dst = test_mac(0x99);
	uint8_t want[FLEN];
	int in_header = 0;
	setup(&fx, &p);
	for (uint32_t i = 0; i < 1000; i++)
		send_down(&fx, i, i);
	REQUIRE_EQ(down(&fx)->n, 1000);
	for (uint32_t i = 0; i < 1000; i++) {
		make_frame(want, FLEN, &dst, &fx.dev->mac, i);
		CHECK_EQ(popcount_diff(down(&fx)->r[i].data, want, FLEN), 1);
		if (memcmp(down(&fx)->r[i].data, want, 14) != 0)
			in_header++;
	}
	CHECK(in_header > 50 && in_header < 250); /* about 14% */
	CHECK_EQ(stats(&fx).corrupted, 1000);

	/* An empty frame has no bit to flip and goes through. */
	CHECK_EQ(tern_netdev_transmit(fx.dev, NULL, 0, 2000), 0);
	CHECK_EQ(down(&fx)->n, 1001);
	teardown(&fx);
}

TEST(corruption_rate)
{
	struct fixture fx;
	struct tern_fault_params p = {.corrupt = 0.3, .seed = 10, .directions = 2};
	setup(&fx, &p);
	for (uint32_t i = 0; i < 10000; i++)
		send_up(&fx, i, i);
	uint64_t c = stats(&fx).corrupted;
	CHECK(c >= 2850 && c <= 3150);
	CHECK_EQ(fx.up.n, 10000);
	teardown(&fx);
}

/* Held-back frames are overtaken by later ones, and arrive exactly
 * reorder_delay late. */
TEST(reorder_overtakes)
{
	struct fixture fx;
	struct tern_fault_params p = {.reorder = 0.1, .reorder_delay = TERN_MSEC(5), .seed = 11};
	setup(&fx, &p);
	for (uint32_t i = 0; i < 1000; i++)
		send_down(&fx, i, TERN_MSEC(i));
	run_until(fx.dev, TERN_SEC(10));
	REQUIRE_EQ(down(&fx)->n, 1000);
	int inversions = 0, late = 0;
	for (size_t i = 0; i < 1000; i++) {
		struct probe_rec *r = &down(&fx)->r[i];
		long long tag = frame_tag(r->data, FLEN);
		tern_time_t sent = TERN_MSEC(tag);
		CHECK(r->t == sent || r->t == sent + TERN_MSEC(5));
		if (r->t != sent)
			late++;
		if (i > 0 && tag < frame_tag(down(&fx)->r[i - 1].data, FLEN))
			inversions++;
	}
	CHECK_EQ(late, stats(&fx).reordered);
	CHECK(late >= 60 && late <= 140);
	CHECK(inversions > 0);
	teardown(&fx);
}

TEST(delay_and_jitter)
{
	struct fixture fx;
	struct tern_fault_params p = {.delay = TERN_MSEC(5), .jitter = TERN_MSEC(1), .seed = 12};
	tern_time_t lo = TERN_TIME_NEVER, hi = 0;
	setup(&fx, &p);
	for (uint32_t i = 0; i < 1000; i++)
		send_down(&fx, i, TERN_MSEC(10) * i);
	CHECK_EQ(down(&fx)->n, 999); /* the last one is still in flight */
	CHECK(tern_netdev_poll_at(fx.dev) >= TERN_MSEC(9995));
	run_until(fx.dev, TERN_SEC(100));
	REQUIRE_EQ(down(&fx)->n, 1000);
	for (size_t i = 0; i < 1000; i++) {
		struct probe_rec *r = &down(&fx)->r[i];
		tern_time_t lat = r->t - TERN_MSEC(10) * (tern_time_t)i;
		CHECK_EQ(frame_tag(r->data, FLEN), i);
		if (lat < lo)
			lo = lat;
		if (lat > hi)
			hi = lat;
	}
	CHECK(lo >= TERN_MSEC(5) && lo < TERN_USEC(5010));
	CHECK(hi <= TERN_MSEC(6) && hi > TERN_USEC(5990));
	CHECK_EQ(tern_netdev_poll_at(fx.dev), TERN_TIME_NEVER);
	teardown(&fx);
}

/* Frames due at the same time leave in the order they came. */
TEST(fifo_ties)
{
	struct fixture fx;
	struct tern_fault_params p = {.delay = TERN_MSEC(1)};
	setup(&fx, &p);
	for (uint32_t i = 0; i < 20; i++)
		send_up(&fx, i, 0);
	CHECK_EQ(fx.up.n, 0);
	run_until(fx.dev, TERN_MSEC(1));
	REQUIRE_EQ(fx.up.n, 20);
	for (size_t i = 0; i < 20; i++) {
		CHECK_EQ(frame_tag(fx.up.r[i].data, FLEN), i);
		CHECK_EQ(fx.up.r[i].t, TERN_MSEC(1));
	}
	teardown(&fx);
}

/* 1000-byte frames at 8 Mbit/s leave one per millisecond. */
TEST(rate_serializes)
{
	struct fixture fx;
	struct tern_fault_params p = {.rate_bps = 8000000};
	uint8_t buf[1000];
	struct tern_mac dst = test_mac(0x99);
	setup(&fx, &p);
	for (uint32_t i = 0; i < 5; i++) {
		make_frame(buf, sizeof(buf), &dst, &fx.dev->mac, i);
		tern_netdev_transmit(fx.dev, buf, sizeof(buf), 0);
	}
	run_until(fx.dev, TERN_SEC(1));
	REQUIRE_EQ(down(&fx)->n, 5);
	for (size_t i = 0; i < 5; i++)
		CHECK_EQ(down(&fx)->r[i].t, TERN_MSEC(i + 1));
	teardown(&fx);
}

TEST(directions_selectable)
{
	struct fixture fx;
	struct tern_fault_params p = {.loss = 1.0, .directions = 1};
	setup(&fx, &p);
	for (uint32_t i = 0; i < 10; i++) {
		send_down(&fx, i, i);
		send_up(&fx, i, i);
	}
	CHECK_EQ(down(&fx)->n, 0);
	CHECK_EQ(fx.up.n, 10);
	teardown(&fx);

	p.directions = 2;
	setup(&fx, &p);
	for (uint32_t i = 0; i < 10; i++) {
		send_down(&fx, i, i);
		send_up(&fx, i, i);
	}
	CHECK_EQ(down(&fx)->n, 10);
	CHECK_EQ(fx.up.n, 0);
	teardown(&fx);

	p.directions = 0; /* both */
	setup(&fx, &p);
	send_down(&fx, 0, 0);
	send_up(&fx, 0, 0);
	CHECK_EQ(down(&fx)->n + fx.up.n, 0);
	CHECK_EQ(stats(&fx).dropped, 2);
	teardown(&fx);
}

/* Everything observable from one run, in order. */
struct outcome {
	size_t n;
	tern_time_t t[4000];
	uint32_t sum[4000];
	struct tern_fault_stats st;
};

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void record_run(const struct tern_fault_params *p, struct outcome *o)
{
	struct fixture fx;
	setup(&fx, p);
	for (uint32_t i = 0; i < 1000; i++) {
		send_down(&fx, i, TERN_USEC(100) * i);
		send_up(&fx, i, TERN_USEC(100) * i + 1);
	}
	run_until(fx.dev, TERN_SEC(100));
	memset(o, 0, sizeof(*o));
	struct probe_log *logs[2] = {down(&fx), &fx.up};
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < logs[l]->n && o->n < 4000; i++, o->n++) {
			o->t[o->n] = logs[l]->r[i].t;
			o->sum[o->n] = fnv1a(logs[l]->r[i].data, logs[l]->r[i].len);
		}
	o->st = stats(&fx);
	teardown(&fx);
}

static bool same_outcome(const struct outcome *a, const struct outcome *b)
{
	return a->n == b->n && memcmp(a->t, b->t, a->n * sizeof(a->t[0])) == 0 &&
	       memcmp(a->sum, b->sum, a->n * sizeof(a->sum[0])) == 0 &&
	       memcmp(&a->st, &b->st, sizeof(a->st)) == 0;
}

TEST(same_seed_same_outcome)
{
	static struct outcome a, b, c;
	struct tern_fault_params p = {.loss = 0.2, .duplicate = 0.1, .corrupt = 0.1,
				      .reorder = 0.1, .reorder_delay = TERN_MSEC(1),
				      .delay = TERN_MSEC(2), .jitter = TERN_USEC(500),
				      .rate_bps = 100000000, .seed = 42};
	record_run(&p, &a);
	record_run(&p, &b);
	CHECK(same_outcome(&a, &b));
	CHECK(a.st.dropped > 0 && a.st.duplicated > 0 && a.st.corrupted > 0 && a.st.reordered > 0);
	p.seed = 43;
	record_run(&p, &c);
	CHECK(!same_outcome(&a, &c));
}

/* Each impairment draws from its own stream: adding jitter and
 * corruption leaves the set of lost frames as it was. */
TEST(streams_independent)
{
	struct tern_fault_params p = {.loss = 0.3, .seed = 5, .directions = 1};
	struct fixture fx;
	uint8_t lost_a[1000] = {0}, lost_b[1000] = {0};

	for (int run = 0; run < 2; run++) {
		uint8_t *lost = run ? lost_b : lost_a;
		if (run) {
			p.jitter = TERN_MSEC(1);
			p.corrupt = 0.5;
		}
		setup(&fx, &p);
		for (uint32_t i = 0; i < 1000; i++)
			send_down(&fx, i, TERN_MSEC(10) * i);
		run_until(fx.dev, TERN_SEC(100));
		memset(lost, 1, 1000);
		for (size_t i = 0; i < down(&fx)->n; i++) {
			/* Corruption may hit the tag; the send time identifies the frame. */
			size_t idx = (size_t)(down(&fx)->r[i].t / TERN_MSEC(10));
			REQUIRE(idx < 1000);
			lost[idx] = 0;
		}
		teardown(&fx);
	}
	CHECK_MEM(lost_a, lost_b, sizeof(lost_a));
}

/* Over a link end: poll_at covers the inner device's deliveries, and both
 * directions add their delay to the link's. */
TEST(wraps_a_link)
{
	struct tern_link_params lp = {.delay = TERN_MSEC(1)};
	struct tern_mac ma = test_mac(1), mb = test_mac(2);
	struct tern_link *l = tern_link_create(&lp, "a", &ma, "b", &mb);
	struct tern_fault_params p = {.delay = TERN_MSEC(1)};
	struct tern_netdev *a = tern_fault_wrap(tern_link_end(l, 0), &p);
	struct tern_netdev *b = tern_link_end(l, 1);
	struct probe_log at_a = {0}, at_b = {0};
	uint8_t buf[FLEN];

	tern_netdev_set_rx(a, log_rx, &at_a);
	tern_netdev_set_rx(b, log_rx, &at_b);
	CHECK_STR(a->name, "a");

	make_frame(buf, FLEN, &mb, &ma, 1);
	tern_netdev_transmit(a, buf, FLEN, 0);
	make_frame(buf, FLEN, &ma, &mb, 2);
	tern_netdev_transmit(b, buf, FLEN, 0);
	CHECK_EQ(tern_netdev_poll_at(a), TERN_MSEC(1)); /* the link's delivery to a */

	for (int steps = 0; steps < 20; steps++) {
		tern_time_t t = tern_netdev_poll_at(a);
		if (tern_netdev_poll_at(b) < t)
			t = tern_netdev_poll_at(b);
		if (t == TERN_TIME_NEVER)
			break;
		tern_netdev_poll(a, t);
		tern_netdev_poll(b, t);
	}
	REQUIRE_EQ(at_a.n, 1);
	REQUIRE_EQ(at_b.n, 1);
	CHECK_EQ(at_a.r[0].t, TERN_MSEC(2));
	CHECK_EQ(at_b.r[0].t, TERN_MSEC(2));
	CHECK_EQ(frame_tag(at_a.r[0].data, FLEN), 2);

	tern_netdev_destroy(a); /* destroys the end: a no-op for link ends */
	tern_link_destroy(l);
	log_clear(&at_a);
	log_clear(&at_b);
}

TEST(destroy_destroys_inner_and_queue)
{
	struct fixture fx;
	struct tern_fault_params p = {.delay = TERN_SEC(1), .directions = 0};
	setup(&fx, &p);
	for (uint32_t i = 0; i < 100; i++) {
		send_down(&fx, i, 0);
		send_up(&fx, i, 0);
	}
	tern_netdev_destroy(fx.dev); /* ASan checks the queued frames are freed */
	CHECK(fx.inner_destroyed);
	log_clear(&fx.up);
}

TEST(stats_of_other_device_are_zero)
{
	struct probe *pr = probe_new("x", 1, 1500);
	struct tern_fault_stats st;
	memset(&st, 0xff, sizeof(st));
	tern_fault_get_stats(&pr->dev, &st);
	CHECK_EQ(st.passed, 0);
	CHECK_EQ(st.dropped, 0);
	tern_netdev_destroy(&pr->dev);
}

TEST_MAIN()
