/*
 * transport/tcp_cc_cubic.c — CUBIC (RFC 9438) with HyStart++ (RFC 9406)
 * for its slow start, under Linux's name "cubic" (the default, as Linux).
 *
 * Windows count bytes (tcp_mss() each), the RFC's formulas segments: W_max,
 * W_est and the target are converted with the MSS where the curve is
 * evaluated. Time is `now` (nanoseconds) given with every event. The curve
 * is evaluated in integers: t and K in milliseconds, (t - K)^3 in 64 bits
 * with |t - K| bounded at 100 s (the window there is beyond any cwnd), K
 * from an integer cube root (as Linux's cubic_root, but exact by bits),
 * so there is no libm and no floating point on the ACK path.
 *
 * State lives in tp->cc_state (struct cubic below; no allocation).
 */
#include <string.h>

#include "core/stack_impl.h"
#include "transport/tcp.h"
#include "transport/tcp_cc.h"

/* RFC 9438 §4.1: C = 0.4, beta_cubic = 0.7; fast convergence on (§4.7). */
#define CUBIC_BETA_NUM 7
#define CUBIC_BETA_DEN 10
/* RFC 9406 §4.3's constants. */
#define HS_MIN_RTT_THRESH TERN_MSEC(4)
#define HS_MAX_RTT_THRESH TERN_MSEC(16)
#define HS_MIN_RTT_DIVISOR 8
#define HS_N_RTT_SAMPLE 8
#define HS_CSS_GROWTH_DIVISOR 4
#define HS_CSS_ROUNDS 5
#define HS_L_UNPACED 8 /* segments of growth per ACK at most; unlimited when paced */

enum { HS_SS, HS_CSS, HS_DONE };

struct cubic {
	/* RFC 9438 §4.2: the epoch of the current congestion avoidance stage */
	tern_time_t epoch_start;
	uint32_t k_ms;          /* K, milliseconds */
	uint32_t origin;        /* the curve's plateau (W_max, or cwnd_epoch after a timeout), bytes */
	uint32_t w_max;         /* bytes before the last reduction (0: none, as after a timeout) */
	uint32_t cwnd_prior;    /* cwnd when ssthresh was last set (§4.3's switch of alpha) */
	uint32_t w_est;         /* §4.3's Reno-friendly estimate, bytes */
	uint32_t w_est_rem;     /* its fractional growth (numerator over 17 * cwnd) */
	uint32_t cwnd_rem;      /* cwnd's fractional growth (numerator over cwnd) */
	bool in_epoch;
	/* RFC 9406 */
	uint8_t hs_state;       /* HS_* */
	uint8_t css_rounds;     /* rounds completed in CSS */
	uint16_t hs_samples;    /* rttSampleCount this round */
	tcp_seq hs_window_end;  /* windowEnd: the round ends when SND.UNA reaches it */
	tern_time_t hs_last_min, hs_cur_min, hs_css_baseline; /* TERN_TIME_NEVER: infinity */
	/* RFC 9438 §4.9: the curve as it was before an episode's first
	 * reduction, for the undo of a spurious one */
	struct cubic_prior {
		tern_time_t epoch_start;
		uint32_t k_ms, origin, w_max, cwnd_prior, w_est;
		bool in_epoch;
	} prior;
};

_Static_assert(sizeof(struct cubic) <= sizeof(((struct tern_tcb *)0)->cc_state),
	       "CUBIC's state fits the tcb's cc_state");

static struct cubic *ca(struct tern_tcb *tp)
{
	return (struct cubic *)(void *)tp->cc_state;
}

static const struct cubic *ca_c(const struct tern_tcb *tp)
{
	return (const struct cubic *)(const void *)tp->cc_state;
}

/* The largest y with y^3 <= x (bit by bit: Hacker's Delight's icbrt). */
static uint64_t icbrt(uint64_t x)
{
	uint64_t y = 0;
	for (int s = 63; s >= 0; s -= 3) {
		y *= 2;
		uint64_t b = 3 * y * (y + 1) + 1;
		if ((x >> s) >= b) {
			x -= b << s;
			y++;
		}
	}
	return y;
}

/* RFC 9438 eq. 2, K = cubic_root((W_max - cwnd_epoch) / C), in ms:
 * K_ms^3 = (diff / mss) / 0.4 * 10^9 = diff * 2.5e9 / mss (diff < 2^32
 * keeps the product below 2^64). */
static uint32_t cubic_k_ms(uint32_t diff, uint32_t mss)
{
	return (uint32_t)icbrt((uint64_t)diff * 2500000000ull / mss);
}

/* RFC 9438 eq. 1, W_cubic(t) = C * (t - K)^3 + W_max, in bytes, for t ms
 * since the epoch began. */
static uint32_t w_cubic(const struct cubic *c, uint64_t t_ms, uint32_t mss)
{
	uint64_t offs = t_ms > c->k_ms ? t_ms - c->k_ms : c->k_ms - t_ms;
	if (offs > 100000)
		offs = 100000;
	/* 0.4 * offs^3 ms^3 = 0.4e-9 offs^3 segments = offs^3 * 2 / 5000
	 * millionths of a segment */
	uint64_t useg = offs * offs * offs * 2 / 5000;
	uint64_t delta = useg * mss / 1000000;
	if (t_ms < c->k_ms)
		return delta >= c->origin ? 0 : c->origin - (uint32_t)delta;
	uint64_t w = c->origin + delta;
	return w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
}

/* ---- HyStart++ (RFC 9406 §4) ---- */

static void hs_reset(struct tern_tcb *tp, uint8_t state)
{
	struct cubic *c = ca(tp);
	c->hs_state = state;
	c->css_rounds = 0;
	c->hs_samples = 0;
	c->hs_window_end = tp->snd_max;
	c->hs_last_min = c->hs_cur_min = c->hs_css_baseline = TERN_TIME_NEVER;
}

/* §4.2: a round ends when the data sent at its start is acknowledged;
 * "windowEnd = SND.NXT" starts the next. CSS counts its rounds here. */
static void hs_round(struct tern_tcb *tp)
{
	struct cubic *c = ca(tp);
	if (!seq_gt(tp->snd_una, c->hs_window_end))
		return; /* (strictly past it, as Linux's hystart: an idle
			 * connection's ACKs, all at SND.NXT, make no rounds) */
	c->hs_last_min = c->hs_cur_min;
	c->hs_cur_min = TERN_TIME_NEVER;
	c->hs_samples = 0;
	c->hs_window_end = tp->snd_max;
	if (c->hs_state == HS_CSS && ++c->css_rounds >= HS_CSS_ROUNDS) {
		/* §4.3: CSS_ROUNDS rounds of CSS: congestion avoidance. */
		tp->snd_ssthresh = tp->snd_cwnd;
		c->hs_state = HS_DONE;
	}
}

static bool hs_active(const struct tern_tcb *tp)
{
	return ca_c(tp)->hs_state != HS_DONE && tp->snd_cwnd < tp->snd_ssthresh;
}

static void cubic_on_rtt(struct tern_stack *s, struct tern_tcb *tp, tern_time_t rtt, tern_time_t now)
{
	(void)now;
	struct cubic *c = ca(tp);
	if (!hs_active(tp))
		return;
	hs_round(tp);
	if (c->hs_state == HS_DONE)
		return;
	if (rtt < c->hs_cur_min)
		c->hs_cur_min = rtt;
	if (c->hs_samples < UINT16_MAX)
		c->hs_samples++;
	if (c->hs_samples < HS_N_RTT_SAMPLE || c->hs_cur_min == TERN_TIME_NEVER)
		return;
	if (c->hs_state == HS_SS) {
		if (c->hs_last_min == TERN_TIME_NEVER)
			return;
		/* RttThresh = max(MIN_RTT_THRESH, min(lastRoundMinRTT /
		 * MIN_RTT_DIVISOR, MAX_RTT_THRESH)) */
		tern_time_t thresh = c->hs_last_min / HS_MIN_RTT_DIVISOR;
		if (thresh > HS_MAX_RTT_THRESH)
			thresh = HS_MAX_RTT_THRESH;
		if (thresh < HS_MIN_RTT_THRESH)
			thresh = HS_MIN_RTT_THRESH;
		if (c->hs_cur_min >= c->hs_last_min + thresh) {
			/* The delay grew: leave slow start for CSS. */
			c->hs_css_baseline = c->hs_cur_min;
			c->hs_state = HS_CSS;
			c->css_rounds = 0;
			tern_stat_inc(s, TERN_STAT_TCP_HYSTART_DELAY_DETECT);
			tern_stat_add(s, TERN_STAT_TCP_HYSTART_DELAY_CWND, tp->snd_cwnd / tcp_mss(tp));
		}
	} else if (c->hs_cur_min < c->hs_css_baseline) {
		/* §4.3: the increase was spurious: back to slow start. */
		c->hs_css_baseline = TERN_TIME_NEVER;
		c->hs_state = HS_SS;
	}
}

/* ---- the window ---- */

static void cubic_init(struct tern_tcb *tp, tern_time_t now)
{
	(void)now;
	memset(tp->cc_state, 0, sizeof(tp->cc_state));
	tp->snd_cwnd = 10u * tcp_mss(tp); /* RFC 6928, counted in segments as Linux */
	/* HyStart++ in the initial slow start only (RFC 9406 §4.3). */
	hs_reset(tp, tp->snd_ssthresh == UINT32_MAX ? HS_SS : HS_DONE);
}

/* RFC 9438 §4.2: the first ACK of a congestion avoidance stage. */
static void epoch_begin(struct tern_tcb *tp, tern_time_t now, uint32_t mss)
{
	struct cubic *c = ca(tp);
	c->in_epoch = true;
	c->epoch_start = now;
	c->cwnd_rem = 0;
	c->w_est = tp->snd_cwnd; /* W_est = cwnd_epoch */
	c->w_est_rem = 0;
	if (c->w_max > tp->snd_cwnd) {
		c->k_ms = cubic_k_ms(c->w_max - tp->snd_cwnd, mss);
		c->origin = c->w_max;
	} else {
		/* At or past W_max (and after a timeout, §4.8: K = 0 and
		 * W_max = cwnd_epoch): the curve's convex part from here. */
		c->k_ms = 0;
		c->origin = tp->snd_cwnd;
	}
}

static void slow_start(struct tern_tcb *tp, uint32_t acked, uint32_t mss)
{
	struct cubic *c = ca(tp);
	if (c->hs_state != HS_DONE)
		hs_round(tp);
	/* RFC 9406 §4.3: cwnd += min(N, L * SMSS), L = 8 unless paced; in
	 * CSS a quarter of that. */
	if (!tp->pacing && acked > HS_L_UNPACED * mss)
		acked = HS_L_UNPACED * mss;
	if (c->hs_state == HS_CSS)
		acked /= HS_CSS_GROWTH_DIVISOR;
	uint64_t w = (uint64_t)tp->snd_cwnd + acked;
	tp->snd_cwnd = w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
}

static void cubic_on_ack(struct tern_tcb *tp, uint32_t acked, tern_time_t now)
{
	struct cubic *c = ca(tp);
	uint32_t mss = tcp_mss(tp);
	if (tp->snd_cwnd < tp->snd_ssthresh) {
		slow_start(tp, acked, mss);
		return;
	}
	c->hs_state = HS_DONE;
	if (!c->in_epoch)
		epoch_begin(tp, now, mss);
	uint32_t cwnd = tp->snd_cwnd ? tp->snd_cwnd : mss;
	if (acked > cwnd)
		acked = cwnd; /* keeps the products below 2^64 */
	tern_time_t t = now - c->epoch_start;
	uint64_t t_ms = t > 0 ? (uint64_t)t / 1000000u : 0;
	uint64_t rtt_ms = (uint64_t)tp->srtt / 1000000u;
	/* §4.3: W_est += alpha_cubic * segments_acked / cwnd, alpha_cubic =
	 * 3 (1 - beta) / (1 + beta) = 9/17 until W_est reaches cwnd_prior,
	 * then 1 (in bytes: acked * mss * alpha / cwnd). */
	uint64_t num = (uint64_t)acked * mss * (c->w_est >= c->cwnd_prior ? 17u : 9u) + c->w_est_rem;
	uint64_t den = 17ull * cwnd;
	uint64_t est = c->w_est + num / den;
	c->w_est_rem = (uint32_t)(num % den);
	c->w_est = est > UINT32_MAX ? UINT32_MAX : (uint32_t)est;
	if (w_cubic(c, t_ms, mss) < c->w_est) {
		/* §4.3: the Reno-friendly region. */
		if (c->w_est > tp->snd_cwnd)
			tp->snd_cwnd = c->w_est;
		return;
	}
	/* §4.4, §4.5: towards target = W_cubic(t + RTT), within [cwnd,
	 * 1.5 cwnd], by (target - cwnd) / cwnd per segment acknowledged. */
	uint64_t target = w_cubic(c, t_ms + rtt_ms, mss);
	if (target < cwnd)
		target = cwnd;
	if (target > (uint64_t)cwnd * 3 / 2)
		target = (uint64_t)cwnd * 3 / 2;
	uint64_t inc = (target - cwnd) * acked + c->cwnd_rem;
	uint64_t w = (uint64_t)cwnd + inc / cwnd;
	c->cwnd_rem = (uint32_t)(inc % cwnd);
	tp->snd_cwnd = w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
}

/* RFC 9438 §4.6 (and §4.7's fast convergence): ssthresh = flight_size *
 * beta_cubic, at least two segments; W_max remembered for the curve. */
/* RFC 9438 §4.9: "save the current CUBIC state before the congestion
 * event" ... once per episode: a timeout inside recovery or loss, or a
 * backoff, is no new one (the core's episode, tcp_undo.c, is the same). */
static void save_prior(struct tern_tcb *tp)
{
	struct cubic *c = ca(tp);
	if (tp->ca_state >= TCP_CA_RECOVERY)
		return;
	c->prior = (struct cubic_prior){.epoch_start = c->epoch_start, .k_ms = c->k_ms,
					.origin = c->origin, .w_max = c->w_max,
					.cwnd_prior = c->cwnd_prior, .w_est = c->w_est,
					.in_epoch = c->in_epoch};
}

static void reduce(struct tern_tcb *tp)
{
	struct cubic *c = ca(tp);
	uint32_t mss = tcp_mss(tp), cwnd = tp->snd_cwnd;
	save_prior(tp);
	if (c->w_max && cwnd < c->w_max)
		c->w_max = (uint32_t)((uint64_t)cwnd * (CUBIC_BETA_DEN + CUBIC_BETA_NUM) /
				      (2 * CUBIC_BETA_DEN)); /* cwnd * (1 + beta) / 2 */
	else
		c->w_max = cwnd;
	c->cwnd_prior = cwnd;
	uint32_t flight = tp->snd_max - tp->snd_una;
	uint32_t ss = (uint32_t)((uint64_t)flight * CUBIC_BETA_NUM / CUBIC_BETA_DEN);
	tp->snd_ssthresh = ss > 2 * mss ? ss : 2 * mss;
	c->in_epoch = false;
	c->hs_state = HS_DONE;
}

static void cubic_on_loss(struct tern_tcb *tp, tern_time_t now)
{
	(void)now;
	reduce(tp);
}

/* The end of recovery is not CUBIC's to decide (RFC 9438 leaves it to
 * the loss recovery in use): the same window as NewReno's module sets
 * (RFC 6582 §3.2 step 3, or ssthresh after PRR), whatever that becomes. */
static void cubic_on_recovery_end(struct tern_tcb *tp, tern_time_t now)
{
	tern_cc_reno.on_recovery_end(tp, now);
}

/* §4.8: ssthresh as on loss, a one-segment window, and the next stage's
 * curve with K = 0 from the window it starts at (W_max forgotten, as
 * Linux's bictcp_reset on CA_EVENT_LOSS). Repeated timeouts of one
 * episode keep ssthresh: the flight they compute it from is the same. */
static void cubic_on_rto(struct tern_tcb *tp, tern_time_t now)
{
	(void)now;
	struct cubic *c = ca(tp);
	uint32_t prior = c->cwnd_prior;
	reduce(tp);
	if (tp->rxtshift > 1)
		c->cwnd_prior = prior; /* a backoff: the first timeout's window stays */
	c->w_max = 0;
	c->in_epoch = false;
	c->hs_state = HS_DONE;
	tp->snd_cwnd = tcp_mss(tp);
}

/* §4.6: on ECE, cwnd = ssthresh (at least one segment). */
static void cubic_on_ecn(struct tern_tcb *tp, tern_time_t now)
{
	(void)now;
	reduce(tp);
	tp->snd_cwnd = tp->snd_ssthresh;
}

/* RFC 9438 §4.9: the congestion event was spurious: the window as
 * before it (Reno's rule: cwnd and ssthresh at least their prior values)
 * and the curve as saved, W_max, K, the epoch and W_est, so growth goes
 * on where the reduction interrupted it. */
static void cubic_undo(struct tern_tcb *tp, uint32_t prior_cwnd, uint32_t prior_ssthresh,
		       tern_time_t now)
{
	struct cubic *c = ca(tp);
	tern_cc_reno.undo(tp, prior_cwnd, prior_ssthresh, now);
	c->epoch_start = c->prior.epoch_start;
	c->k_ms = c->prior.k_ms;
	c->origin = c->prior.origin;
	c->w_max = c->prior.w_max;
	c->cwnd_prior = c->prior.cwnd_prior;
	c->w_est = c->prior.w_est;
	c->in_epoch = c->prior.in_epoch;
	c->w_est_rem = c->cwnd_rem = 0;
}

/* Linux's CA_EVENT_TX_START: after an idle period the epoch moves by it,
 * so the curve continues where it stopped instead of jumping (RFC 9438
 * §5.8: an application-limited flow does not grow its window). */
static void cubic_on_tx_start(struct tern_tcb *tp, tern_time_t now)
{
	struct cubic *c = ca(tp);
	if (!c->in_epoch || !tp->last_data_sent)
		return;
	tern_time_t idle = now - tp->last_data_sent;
	if (idle <= 0)
		return;
	c->epoch_start += idle;
	if (c->epoch_start > now)
		c->epoch_start = now;
}

const struct tern_cc_ops tern_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.on_ack = cubic_on_ack,
	.on_loss = cubic_on_loss,
	.on_recovery_end = cubic_on_recovery_end,
	.on_rto = cubic_on_rto,
	.on_ecn = cubic_on_ecn,
	.on_rtt = cubic_on_rtt,
	.on_tx_start = cubic_on_tx_start,
	.undo = cubic_undo,
};

/* ---- for tests ---- */

void tcp_cubic_peek(const struct tern_tcb *tp, struct tcp_cubic_view *v)
{
	const struct cubic *c = ca_c(tp);
	memset(v, 0, sizeof(*v));
	v->w_max = c->w_max;
	v->k = (tern_time_t)c->k_ms * TERN_MSEC(1);
	v->origin = c->origin;
	v->w_est = c->w_est;
	v->epoch_start = c->epoch_start;
	v->in_epoch = c->in_epoch;
	v->hystart = c->hs_state == HS_SS ? 1 : c->hs_state == HS_CSS ? 2 : 0;
	v->css_baseline = c->hs_css_baseline;
}
