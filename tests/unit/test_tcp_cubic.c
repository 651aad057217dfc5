/*
 * tests/unit/test_tcp_cubic.c — CUBIC (RFC 9438), HyStart++ (RFC 9406) and
 * pacing, with explicit time.
 *
 * The window tests drive the module's hooks directly, as the core calls
 * them, on a connection whose ACK clock the test plays: each ACK
 * acknowledges two segments (a delayed ACK), the sender keeps cwnd in
 * flight, a window's ACKs spread over one RTT. The expected windows come
 * from the RFC's formulas evaluated here in floating point. The pacing
 * tests are segment-level: exact departure times on the wire.
 */
#include "harness.h"
#include "tcp_fixture.h"
#include "tern/stack.h"
#include "tern/stats.h"
#include "transport/tcp_cc.h"

#define MSS 1460u
#define ACK TERN_TCP_ACK
#define PSH TERN_TCP_PSH

/* No libm in the tests either: Newton's cube root, to 1e-12. */
static double cbrt_(double x)
{
	double y = x > 1 ? x / 3 : 1;
	for (int i = 0; i < 200; i++)
		y -= (y * y * y - x) / (3 * y * y);
	return y;
}
static double fabs_(double x)
{
	return x < 0 ? -x : x;
}
static long long llabs_(long long x)
{
	return x < 0 ? -x : x;
}

struct clk {
	struct tern_stack *s;
	struct tern_tcb tp;
	tern_time_t now;
	tern_time_t rtt;
};

static bool clk_init(struct clk *c, tern_time_t rtt)
{
	memset(c, 0, sizeof(*c));
	struct tern_stack_config cfg;
	tern_stack_config_init(&cfg);
	c->s = tern_stack_create(&cfg);
	if (!c->s)
		return false;
	c->tp.t_maxseg = MSS; /* no timestamps: tcp_mss() = 1460 */
	c->tp.snd_ssthresh = UINT32_MAX;
	c->tp.snd_una = c->tp.snd_max = 1000;
	c->tp.srtt = rtt;
	c->tp.cc = &tern_cc_cubic;
	c->rtt = rtt;
	c->now = TERN_SEC(1);
	tern_cc_cubic.init(&c->tp, c->now);
	c->tp.snd_max = c->tp.snd_una + c->tp.snd_cwnd;
	return true;
}

/* One ACK of two segments, 2 * MSS / cwnd of an RTT after the last (a
 * window's ACKs take one RTT), with an RTT sample if rtt > 0. */
static void clk_ack(struct clk *c, tern_time_t rtt)
{
	struct tern_tcb *tp = &c->tp;
	uint32_t segs = tp->snd_cwnd / MSS;
	c->now += c->rtt * 2 / (segs > 2 ? segs : 2);
	tp->snd_una += 2 * MSS;
	if (seq_gt(tp->snd_una, tp->snd_max))
		tp->snd_max = tp->snd_una;
	if (rtt > 0)
		tcp_cc_rtt(c->s, tp, rtt, c->now);
	tern_cc_cubic.on_ack(tp, 2 * MSS, c->now);
	tp->snd_max = tp->snd_una + tp->snd_cwnd; /* the window refilled */
}

/* A loss with cwnd segments in flight: the core's fast recovery, then its
 * end (RFC 6582: cwnd = min(ssthresh, flight + MSS)) with the same flight. */
static void clk_loss(struct clk *c, uint32_t cwnd_segs)
{
	struct tern_tcb *tp = &c->tp;
	tp->snd_cwnd = cwnd_segs * MSS;
	tp->snd_max = tp->snd_una + tp->snd_cwnd;
	tern_cc_cubic.on_loss(tp, c->now);
	tern_cc_cubic.on_recovery_end(tp, c->now);
	tp->snd_max = tp->snd_una + tp->snd_cwnd;
}

static double w_cubic(double t, double k, double w_max)
{
	return 0.4 * (t - k) * (t - k) * (t - k) + w_max; /* RFC 9438 eq. 1 */
}

/* After a loss at 100 segments: W_max 100, ssthresh 70 (beta 0.7), K =
 * cbrt(100 * 0.3 / 0.4) = 4.217 s; then, second by second over 10 s of
 * the concave and the convex part at a 100 ms RTT, cwnd is W_cubic(t)
 * within a segment, except between 6 and 8 s, where Reno's estimate
 * W_est (§4.3, modelled here: 9/17 segment per window until it reaches
 * the 100 segments of before the loss, then one) is above the curve: there
 * cwnd is W_est, within a segment. */
TEST(cubic__window_follows_w_cubic_after_a_loss)
{
	struct clk c;
	REQUIRE(clk_init(&c, TERN_MSEC(100)));
	clk_loss(&c, 100);
	struct tcp_cubic_view v;
	tcp_cubic_peek(&c.tp, &v);
	CHECK_EQ(v.w_max, 100 * MSS);
	CHECK_EQ(c.tp.snd_ssthresh, 70 * MSS);
	CHECK_EQ(c.tp.snd_cwnd, 70 * MSS);
	double k = cbrt_(100 * (1 - 0.7) / 0.4);
	double w_est = 70 + 9.0 / 17.0 * 2.0 / 70;
	clk_ack(&c, 0); /* the epoch begins with the first ACK in avoidance */
	tcp_cubic_peek(&c.tp, &v);
	REQUIRE(v.in_epoch);
	tern_time_t epoch = v.epoch_start;
	CHECK(llabs_((long long)(v.k - (tern_time_t)(k * 1e9))) <= TERN_MSEC(1));
	CHECK_EQ(v.origin, 100 * MSS);
	int cubic_region = 0, reno_region = 0;
	for (int sec = 1; sec <= 10; sec++) {
		while (c.now < epoch + TERN_SEC(sec)) {
			double cwnd = (double)c.tp.snd_cwnd / MSS;
			clk_ack(&c, 0);
			w_est += (w_est >= 100 ? 1.0 : 9.0 / 17.0) * 2.0 / cwnd;
		}
		double t = (double)(c.now - epoch) / 1e9;
		double w = w_cubic(t, k, 100), got = (double)c.tp.snd_cwnd / MSS;
		double want = w_est > w ? w_est : w;
		if (w_est > w)
			reno_region++;
		else
			cubic_region++;
		if (fabs_(got - want) > 1.0)
			TEST_FAIL_("t = %.3f s: cwnd %.2f segments, W_cubic(t) = %.2f, W_est %.2f", t,
				   got, w, w_est);
	}
	CHECK_EQ(cubic_region, 7);
	CHECK_EQ(reno_region, 3);
	/* 10 s is well past K: the convex part, far above W_max */
	CHECK(c.tp.snd_cwnd > 170 * MSS);
	tern_stack_destroy(c.s);
}

/* RFC 9438 §4.7: a loss below the last W_max remembers less,
 * W_max = cwnd * (1 + beta) / 2; at or above it, W_max = cwnd. */
TEST(cubic__fast_convergence)
{
	struct clk c;
	REQUIRE(clk_init(&c, TERN_MSEC(50)));
	clk_loss(&c, 100);
	struct tcp_cubic_view v;
	tcp_cubic_peek(&c.tp, &v);
	CHECK_EQ(v.w_max, 100 * MSS);
	clk_loss(&c, 90); /* the window had not regained 100: someone else is using it */
	tcp_cubic_peek(&c.tp, &v);
	CHECK_EQ(v.w_max, 90 * MSS * 17 / 20); /* 76.5 segments */
	CHECK_EQ(c.tp.snd_ssthresh, 63 * MSS);
	clk_ack(&c, 0);
	tcp_cubic_peek(&c.tp, &v);
	/* K = cbrt_((76.5 - 63) / 0.4) = 3.232 s */
	double k = cbrt_((76.5 - 63) / 0.4);
	CHECK(llabs_((long long)(v.k - (tern_time_t)(k * 1e9))) <= TERN_MSEC(1));
	clk_loss(&c, 120); /* past W_max: no convergence */
	tcp_cubic_peek(&c.tp, &v);
	CHECK_EQ(v.w_max, 120 * MSS);
	tern_stack_destroy(c.s);
}

/* RFC 9438 §4.3: on a short path with a small window the cubic curve is
 * slower than Reno would be; cwnd then follows W_est, which grows by
 * alpha = 3 (1 - beta) / (1 + beta) = 9/17 segment per window of ACKs
 * until it reaches cwnd_prior, then by one. 10 ms RTT, a loss at 20
 * segments: after 1 s (about 100 RTTs) W_cubic is still below 20 and
 * cwnd is W_est, computed here by the RFC's rule, within a segment. */
TEST(cubic__reno_friendly_region)
{
	struct clk c;
	REQUIRE(clk_init(&c, TERN_MSEC(10)));
	clk_loss(&c, 20);
	CHECK_EQ(c.tp.snd_cwnd, 14 * MSS);
	/* W_est = cwnd_epoch (14) when the first ACK starts the epoch; each
	 * ACK (this one too) adds alpha * segments_acked / cwnd. */
	double w_est = 14, prior = 20;
	tern_time_t epoch = TERN_TIME_NEVER;
	do {
		double cwnd = (double)c.tp.snd_cwnd / MSS;
		clk_ack(&c, 0);
		w_est += (w_est >= prior ? 1.0 : 9.0 / 17.0) * 2.0 / cwnd;
		if (epoch == TERN_TIME_NEVER) {
			struct tcp_cubic_view e;
			tcp_cubic_peek(&c.tp, &e);
			epoch = e.epoch_start;
		}
	} while (c.now < epoch + TERN_SEC(1));
	double t = (double)(c.now - epoch) / 1e9, k = cbrt_(20 * 0.3 / 0.4);
	double got = (double)c.tp.snd_cwnd / MSS;
	CHECK(w_cubic(t, k, 20) < 20);
	CHECK(got > 60); /* Reno's pace: about one segment per RTT once past 20 */
	if (fabs_(got - w_est) > 1.0)
		TEST_FAIL_("cwnd %.2f segments, W_est %.2f", got, w_est);
	struct tcp_cubic_view v;
	tcp_cubic_peek(&c.tp, &v);
	CHECK(fabs_((double)v.w_est / MSS - w_est) <= 1.0);
	tern_stack_destroy(c.s);
}

/* A timeout (RFC 9438 §4.8): ssthresh from the flight by beta, one
 * segment, and the next avoidance stage starts its curve at K = 0 from
 * the window it starts with. */
TEST(cubic__timeout)
{
	struct clk c;
	REQUIRE(clk_init(&c, TERN_MSEC(50)));
	c.tp.snd_cwnd = 50 * MSS;
	c.tp.snd_max = c.tp.snd_una + 50 * MSS;
	c.tp.rxtshift = 1;
	tern_cc_cubic.on_rto(&c.tp, c.now);
	CHECK_EQ(c.tp.snd_cwnd, MSS);
	CHECK_EQ(c.tp.snd_ssthresh, 35 * MSS);
	c.tp.rxtshift = 2; /* backed off again: the same ssthresh */
	tern_cc_cubic.on_rto(&c.tp, c.now);
	CHECK_EQ(c.tp.snd_ssthresh, 35 * MSS);
	c.tp.rxtshift = 0;
	while (c.tp.snd_cwnd < c.tp.snd_ssthresh)
		clk_ack(&c, 0); /* slow start, without HyStart++ after a timeout */
	clk_ack(&c, 0);
	struct tcp_cubic_view v;
	tcp_cubic_peek(&c.tp, &v);
	CHECK(v.in_epoch);
	CHECK_EQ(v.k, 0);
	CHECK(v.origin >= 35 * MSS && v.origin <= 37 * MSS);
	tern_stack_destroy(c.s);
}

/* RFC 9438 §4.9: a spurious timeout undone. Two seconds into the curve
 * after a loss at 100 segments, a timeout forgets W_max and the epoch
 * (§4.8) and a backoff follows; the core's undo (tcp_cc_undo, with the
 * window it saved when the timeout began the episode) brings back cwnd,
 * ssthresh, W_max, K, the epoch and W_est as they were before the first
 * timeout, not the backoff's, and the next ACK continues the same curve. */
TEST(cubic__undo_restores_the_curve)
{
	struct clk c;
	REQUIRE(clk_init(&c, TERN_MSEC(50)));
	clk_loss(&c, 100);
	clk_ack(&c, 0);
	struct tcp_cubic_view v0, v;
	tcp_cubic_peek(&c.tp, &v0);
	REQUIRE(v0.in_epoch);
	while (c.now < v0.epoch_start + TERN_SEC(2))
		clk_ack(&c, 0);
	tcp_cubic_peek(&c.tp, &v0);
	uint32_t cwnd0 = c.tp.snd_cwnd, ssthresh0 = c.tp.snd_ssthresh;
	c.tp.undo_cwnd = cwnd0; /* as tcp_undo_begin saves them */
	c.tp.undo_ssthresh = ssthresh0;
	c.tp.rxtshift = 1;
	tern_cc_cubic.on_rto(&c.tp, c.now);
	tcp_cubic_peek(&c.tp, &v);
	CHECK_EQ(v.w_max, 0);
	CHECK(!v.in_epoch);
	c.tp.ca_state = TCP_CA_LOSS; /* the backoff is the same episode */
	c.tp.rxtshift = 2;
	tern_cc_cubic.on_rto(&c.tp, c.now + TERN_MSEC(400));
	CHECK_EQ(c.tp.snd_cwnd, MSS);
	c.now += TERN_MSEC(500);
	tcp_cc_undo(&c.tp, c.now);
	c.tp.ca_state = TCP_CA_OPEN;
	tcp_cubic_peek(&c.tp, &v);
	CHECK_EQ(c.tp.snd_cwnd, cwnd0);
	CHECK_EQ(c.tp.snd_ssthresh, ssthresh0);
	CHECK_EQ(v.w_max, v0.w_max);
	CHECK_EQ(v.k, v0.k);
	CHECK_EQ(v.origin, v0.origin);
	CHECK_EQ(v.epoch_start, v0.epoch_start);
	CHECK_EQ(v.w_est, v0.w_est);
	CHECK(v.in_epoch);
	/* The curve goes on: W_cubic at 2.5 s into the epoch, not a new one. */
	c.tp.snd_max = c.tp.snd_una + c.tp.snd_cwnd;
	clk_ack(&c, 0);
	tcp_cubic_peek(&c.tp, &v);
	CHECK_EQ(v.epoch_start, v0.epoch_start);
	CHECK(c.tp.snd_cwnd >= cwnd0);
	double t = (double)(c.now - v0.epoch_start) / 1e9, k = (double)v0.k / 1e9;
	double want = w_cubic(t + 0.05, k, 100), got = (double)c.tp.snd_cwnd / MSS;
	CHECK(got <= want + 1.0);
	tern_stack_destroy(c.s);
}

/* Reno's undo, the default for a module without the hook, raises cwnd
 * and ssthresh to their prior values and never lowers either. */
TEST(cc__undo_never_lowers_the_window)
{
	struct clk c;
	REQUIRE(clk_init(&c, TERN_MSEC(50)));
	c.tp.snd_cwnd = 40 * MSS;
	c.tp.snd_ssthresh = 30 * MSS;
	c.tp.undo_cwnd = 20 * MSS;
	c.tp.undo_ssthresh = 35 * MSS;
	tern_cc_reno.undo(&c.tp, c.tp.undo_cwnd, c.tp.undo_ssthresh, c.now);
	CHECK_EQ(c.tp.snd_cwnd, 40 * MSS);
	CHECK_EQ(c.tp.snd_ssthresh, 35 * MSS);
	c.tp.cc = &tern_cc_reno;
	c.tp.snd_ssthresh = 10 * MSS;
	tcp_cc_undo(&c.tp, c.now);
	CHECK_EQ(c.tp.snd_ssthresh, 35 * MSS);
	tern_stack_destroy(c.s);
}

/* RFC 9406: slow start while the RTT stays at 40 ms; once it rises by
 * more than RttThresh = max(4 ms, min(40 / 8, 16 ms)) = 5 ms for a whole
 * round (8 samples), conservative slow start (CSS) begins: growth by a
 * quarter; after CSS_ROUNDS = 5 rounds of it, ssthresh = cwnd. */
TEST(hystart__delay_increase_enters_css_then_avoidance)
{
	struct clk c;
	REQUIRE(clk_init(&c, TERN_MSEC(40)));
	struct tcp_cubic_view v;
	tern_time_t rise = c.now + TERN_MSEC(200); /* about five rounds of slow start */
	uint32_t at_rise = 0;
	while (c.now < rise) {
		clk_ack(&c, TERN_MSEC(40));
		at_rise = c.tp.snd_cwnd;
	}
	tcp_cubic_peek(&c.tp, &v);
	CHECK_EQ(v.hystart, 1);
	CHECK(at_rise >= 64 * MSS); /* doubling per round: no early exit */
	CHECK_EQ(tern_stack_stat(c.s, TERN_STAT_TCP_HYSTART_DELAY_DETECT), 0);
	/* the queue grows: 46 ms */
	int acks = 0;
	while (tern_stack_stat(c.s, TERN_STAT_TCP_HYSTART_DELAY_DETECT) == 0 && acks < 1000) {
		clk_ack(&c, TERN_MSEC(46));
		acks++;
	}
	CHECK_EQ(tern_stack_stat(c.s, TERN_STAT_TCP_HYSTART_DELAY_DETECT), 1);
	tcp_cubic_peek(&c.tp, &v);
	CHECK_EQ(v.hystart, 2);
	CHECK_EQ(v.css_baseline, TERN_MSEC(46));
	/* within two rounds of the rise (the round it began in saw 40 ms) */
	CHECK(acks <= 2 * (int)(c.tp.snd_cwnd / MSS));
	/* the window it left at (before this ACK's growth): within a segment */
	CHECK(c.tp.snd_cwnd / MSS - tern_stack_stat(c.s, TERN_STAT_TCP_HYSTART_DELAY_CWND) <= 1);
	CHECK_EQ(c.tp.snd_ssthresh, UINT32_MAX);
	/* CSS: an ACK of two segments adds half a segment */
	uint32_t w = c.tp.snd_cwnd;
	clk_ack(&c, TERN_MSEC(46));
	CHECK_EQ(c.tp.snd_cwnd - w, 2 * MSS / 4);
	/* five rounds of CSS, then avoidance with ssthresh = cwnd */
	tern_time_t css = c.now;
	while (c.tp.snd_ssthresh == UINT32_MAX && c.now < css + TERN_SEC(2))
		clk_ack(&c, TERN_MSEC(46));
	CHECK(c.now - css >= 4 * TERN_MSEC(40));
	CHECK(c.now - css <= 7 * TERN_MSEC(46));
	CHECK_EQ(c.tp.snd_ssthresh, c.tp.snd_cwnd);
	tcp_cubic_peek(&c.tp, &v);
	CHECK_EQ(v.hystart, 0);
	tern_stack_destroy(c.s);
}

/* RFC 9406 §4.3: an RTT below the CSS baseline for a round means the rise
 * was spurious: back to slow start. */
TEST(hystart__spurious_exit_resumes_slow_start)
{
	struct clk c;
	REQUIRE(clk_init(&c, TERN_MSEC(40)));
	for (int i = 0; i < 60; i++)
		clk_ack(&c, TERN_MSEC(40));
	while (tern_stack_stat(c.s, TERN_STAT_TCP_HYSTART_DELAY_DETECT) == 0 && c.now < TERN_SEC(10))
		clk_ack(&c, TERN_MSEC(60));
	struct tcp_cubic_view v;
	tcp_cubic_peek(&c.tp, &v);
	REQUIRE_EQ(v.hystart, 2);
	for (int i = 0; i < 200 && v.hystart == 2; i++) {
		clk_ack(&c, TERN_MSEC(41));
		tcp_cubic_peek(&c.tp, &v);
	}
	CHECK_EQ(v.hystart, 1);
	CHECK_EQ(c.tp.snd_ssthresh, UINT32_MAX);
	uint32_t w = c.tp.snd_cwnd;
	clk_ack(&c, TERN_MSEC(41));
	CHECK_EQ(c.tp.snd_cwnd - w, 2 * MSS); /* full slow start again */
	tern_stack_destroy(c.s);
}

/* Hostile arithmetic: random events (ACKs of any size, losses,
 * timeouts, ECN, RTT samples, idle restarts) at random times, MSS from
 * 88 to 65483, windows up to 2^31, hours between events. The window
 * never falls below one segment, ssthresh (once set) below two, nothing
 * overflows (UBSan in the sanitizer build), and the run repeats exactly. */
static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static uint64_t chaos(uint64_t seed)
{
	struct tern_stack_config cfg;
	tern_stack_config_init(&cfg);
	struct tern_stack *s = tern_stack_create(&cfg);
	if (!s)
		return 0;
	uint64_t x = seed, sum = 0;
	for (int conn = 0; conn < 200; conn++) {
		struct tern_tcb tp;
		memset(&tp, 0, sizeof(tp));
		tp.t_maxseg = (uint16_t)(88 + rnd(&x) % (65483 - 88 + 1));
		tp.snd_ssthresh = UINT32_MAX;
		tp.snd_una = tp.snd_max = (uint32_t)rnd(&x);
		tp.srtt = (tern_time_t)(rnd(&x) % TERN_SEC(3));
		tp.cc = &tern_cc_cubic;
		tp.pacing = rnd(&x) & 1;
		tern_time_t now = (tern_time_t)(rnd(&x) % TERN_SEC(100));
		tern_cc_cubic.init(&tp, now);
		uint32_t mss = tcp_mss(&tp);
		for (int ev = 0; ev < 500; ev++) {
			now += (tern_time_t)(rnd(&x) % (rnd(&x) & 1 ? TERN_MSEC(50) : TERN_SEC(3600)));
			uint64_t r = rnd(&x);
			uint32_t flight = (uint32_t)(rnd(&x) % ((uint64_t)tp.snd_cwnd * 2 + 1));
			tp.snd_max = tp.snd_una + flight;
			switch (r % 8) {
			case 0: case 1: case 2: {
				uint32_t acked = (uint32_t)(rnd(&x) % (flight + 1));
				tp.snd_una += acked;
				tern_cc_cubic.on_ack(&tp, acked, now);
				break;
			}
			case 3: tcp_cc_rtt(s, &tp, (tern_time_t)(rnd(&x) % TERN_SEC(10)) + 1, now); break;
			case 4:
				tern_cc_cubic.on_loss(&tp, now);
				tern_cc_cubic.on_recovery_end(&tp, now);
				break;
			case 5: tp.rxtshift = (uint8_t)(1 + rnd(&x) % 5); tern_cc_cubic.on_rto(&tp, now); break;
			case 6: tern_cc_cubic.on_ecn(&tp, now); break;
			case 7:
				tp.last_data_sent = now - (tern_time_t)(rnd(&x) % TERN_SEC(60));
				tcp_cc_tx_start(&tp, now);
				break;
			}
			if (r % 97 == 0)
				tp.snd_cwnd = (uint32_t)(rnd(&x) % (1u << 31)) + mss; /* a huge window */
			if (tp.snd_cwnd < mss)
				TEST_FAIL_("cwnd %u below one segment (%u) after event %d", tp.snd_cwnd, mss,
					   (int)(r % 8));
			if (tp.snd_ssthresh < 2 * mss)
				TEST_FAIL_("ssthresh %u below two segments (%u)", tp.snd_ssthresh, mss);
			sum = sum * 31 + tp.snd_cwnd + tp.snd_ssthresh;
		}
	}
	tern_stack_destroy(s);
	return sum;
}

TEST(cubic__random_events_keep_the_window_sane)
{
	uint64_t a = chaos(0x9e3779b97f4a7c15ull), b = chaos(0x9e3779b97f4a7c15ull);
	CHECK(a != 0);
	CHECK(a == b);
}

/* ---- pacing, on the wire ---- */

static char blob[8 * 1460];

/* The passive fixture's handshake gives srtt = 10 ms; cwnd is 10 segments
 * of 1460, ssthresh infinite: Linux's rate is 200% of cwnd / srtt =
 * 2,920,000 bytes/s. SO_MAX_PACING_RATE 1,460,000 caps it and turns
 * pacing on. A departure carries what Linux's GSO packet would (1 ms of
 * data, at least two segments): pairs, 2 ms apart. ACKs are not held. */
TEST(pacing__max_pacing_rate_spaces_segments)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	struct tern_tcp_info ti;
	size_t len = sizeof(ti);
	REQUIRE_EQ(tern_getsockopt(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &len), 0);
	CHECK_EQ(ti.tcpi_pacing_rate, 2920000);
	CHECK_EQ(ti.tcpi_max_pacing_rate, UINT64_MAX);
	uint32_t cap = 1460000;
	REQUIRE_EQ(tern_setsockopt(t.fx.s, t.sd, TERN_SOL_SOCKET, TERN_SO_MAX_PACING_RATE, &cap,
				   sizeof(cap)), 0);
	uint32_t back = 0;
	len = sizeof(back);
	REQUIRE_EQ(tern_getsockopt(t.fx.s, t.sd, TERN_SOL_SOCKET, TERN_SO_MAX_PACING_RATE, &back, &len), 0);
	CHECK_EQ(back, cap);
	tern_time_t now = T_MS(100);
	SEND(&t, now, blob, 5 * 1460);
	for (uint32_t i = 0; i < 5; i++)
		OUT(&t, now + T_MS(2 * (i / 2)), .seq = t.us + i * 1460, .ack = t.peer, .flags = ACK,
		    .data = blob + i * 1460, .len = 1460);
	t.us += 5 * 1460;
	len = sizeof(ti);
	REQUIRE_EQ(tern_getsockopt(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &len), 0);
	CHECK_EQ(ti.tcpi_pacing_rate, cap);
	CHECK_EQ(ti.tcpi_max_pacing_rate, cap);
	/* The burst that began at 104 ms has room for one more segment: at
	 * 106 ms it takes the first of three new ones, the other two wait
	 * for the next departure, 1 ms after that segment's. Data from the
	 * peer meanwhile is acknowledged on them, pacing or not. */
	IN(&t, now + T_MS(6), .seq = t.peer, .ack = t.us, .flags = ACK);
	SEND(&t, now + T_MS(6), blob, 3 * 1460);
	IN(&t, now + T_MS(6) + TERN_USEC(100), .seq = t.peer, .ack = t.us, .flags = ACK | PSH,
	   .data = "hi", .len = 2);
	OUT(&t, now + T_MS(6), .seq = t.us, .ack = t.peer, .flags = ACK, .data = blob, .len = 1460);
	OUT(&t, now + T_MS(7), .seq = t.us + 1460, .ack = t.peer + 2, .flags = ACK,
	    .data = blob + 1460, .len = 1460, W((T_RCV_CAP - 2) >> 7));
	t.peer += 2;
	OUT(&t, now + T_MS(7), .seq = t.us + 2920, .ack = t.peer, .flags = ACK,
	    .data = blob + 2920, .len = 1460, W((T_RCV_CAP - 2) >> 7));
	char rd[2];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, rd, sizeof(rd), 0), 2);
	t.us += 3 * 1460;
	IN(&t, now + T_MS(20), .seq = t.peer, .ack = t.us, .flags = ACK);
	tcp_fx_finish(&t);
}

/* The stack-wide switch (tern_stack_config.tcp_pacing): every connection
 * paced at Linux's rate, 2,920,000 bytes/s here: a pair of 1460-byte
 * segments each millisecond. */
TEST(pacing__stack_wide_at_the_computed_rate)
{
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_pacing = true;
	REQUIRE(tcp_fx_passive_established(&t));
	tern_time_t now = T_MS(100);
	SEND(&t, now, blob, 6 * 1460);
	for (uint32_t i = 0; i < 6; i++)
		OUT(&t, now + T_MS(i / 2), .seq = t.us + i * 1460, .ack = t.peer, .flags = ACK,
		    .data = blob + i * 1460, .len = 1460);
	t.us += 6 * 1460;
	IN(&t, now + T_MS(20), .seq = t.peer, .ack = t.us, .flags = ACK);
	tcp_fx_finish(&t);
}

/* At a higher rate a departure carries 1 ms of data, in whole segments:
 * tcp_pacing_ss_ratio 410 makes the rate 410% of 14600 bytes / 10 ms =
 * 5,986,000 bytes/s, whose 1/1024 s is 5845 bytes: four segments, then
 * the next four 4 * 1460 / 5,986,000 s later (243,902 ns a segment,
 * counted per segment as Linux counts per packet). A 64-bit
 * SO_MAX_PACING_RATE above the rate changes nothing but turns pacing on. */
TEST(pacing__bursts_carry_a_millisecond_of_data)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE_EQ(tern_sysctl_set(t.fx.s, "net.ipv4.tcp_pacing_ss_ratio", "410"), 0);
	uint64_t cap = 100000000;
	REQUIRE_EQ(tern_setsockopt(t.fx.s, t.sd, TERN_SOL_SOCKET, TERN_SO_MAX_PACING_RATE, &cap,
				   sizeof(cap)), 0);
	uint64_t back = 0;
	size_t len = sizeof(back);
	REQUIRE_EQ(tern_getsockopt(t.fx.s, t.sd, TERN_SOL_SOCKET, TERN_SO_MAX_PACING_RATE, &back, &len), 0);
	CHECK_EQ(len, sizeof(back));
	CHECK_EQ(back, cap);
	struct tern_tcp_info ti;
	len = sizeof(ti);
	REQUIRE_EQ(tern_getsockopt(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &len), 0);
	CHECK_EQ(ti.tcpi_pacing_rate, 5986000);
	tern_time_t now = T_MS(100), seg = 1460ll * 1000000000 / 5986000;
	SEND(&t, now, blob, 8 * 1460);
	for (uint32_t i = 0; i < 8; i++)
		OUT(&t, now + (i / 4) * 4 * seg, .seq = t.us + i * 1460, .ack = t.peer, .flags = ACK,
		    .data = blob + i * 1460, .len = 1460);
	t.us += 8 * 1460;
	IN(&t, now + T_MS(20), .seq = t.peer, .ack = t.us, .flags = ACK);
	tcp_fx_finish(&t);
}

/* Off by default (Linux without fq): the window goes out at once. */
TEST(pacing__off_by_default)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	tern_time_t now = T_MS(100);
	SEND(&t, now, blob, 4 * 1460);
	for (uint32_t i = 0; i < 4; i++)
		OUT(&t, now, .seq = t.us + i * 1460, .ack = t.peer, .flags = ACK,
		    .data = blob + i * 1460, .len = 1460);
	t.us += 4 * 1460;
	IN(&t, now + T_MS(20), .seq = t.peer, .ack = t.us, .flags = ACK);
	tcp_fx_finish(&t);
}

TEST_MAIN()
