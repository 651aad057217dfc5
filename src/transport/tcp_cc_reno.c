/*
 * transport/tcp_cc_reno.c — NewReno's window (RFC 5681 §3.1-3.2, RFC
 * 6582, RFC 6928), under Linux's name "reno". Loss recovery itself is the
 * core's; this is only how the window grows and shrinks.
 */
#include <string.h>

#include "transport/tcp.h"
#include "transport/tcp_cc.h"

/* RFC 6928's ten segments, counted in segments as Linux's TCP_INIT_CWND
 * (RFC 6928's byte cap, 14600, would leave a 64 KiB-MTU path two). */
static void reno_init(struct tern_tcb *tp, tern_time_t now)
{
	(void)now;
	tp->snd_cwnd = 10u * tcp_mss(tp);
}

/* Slow start: one segment per ACK at most (RFC 5681 eq. 2); congestion
 * avoidance: about one segment per window (eq. 3). */
static void reno_on_ack(struct tern_tcb *tp, uint32_t acked, tern_time_t now)
{
	(void)now;
	uint32_t mss = tcp_mss(tp);
	if (tp->snd_cwnd < tp->snd_ssthresh) {
		tp->snd_cwnd += acked < mss ? acked : mss;
		return;
	}
	uint32_t inc = (uint32_t)((uint64_t)mss * mss / (tp->snd_cwnd ? tp->snd_cwnd : 1));
	tp->snd_cwnd += inc ? inc : 1;
}

/* RFC 5681 eq. 4: ssthresh = max(FlightSize / 2, 2·SMSS). */
static uint32_t half_flight(const struct tern_tcb *tp)
{
	uint32_t flight = tp->snd_max - tp->snd_una, two = 2u * tcp_mss(tp);
	return flight / 2 > two ? flight / 2 : two;
}

static void reno_on_loss(struct tern_tcb *tp, tern_time_t now)
{
	(void)now;
	tp->snd_ssthresh = half_flight(tp);
}

/* RFC 6582 §3.2 step 3: deflate to min(ssthresh, FlightSize + SMSS), or
 * to ssthresh after SACK recovery, where PRR has already brought the
 * flight to it unless the receiver's window held it lower (Linux's
 * tcp_end_cwnd_reduction; RFC 6582's second option). */
static void reno_on_recovery_end(struct tern_tcb *tp, tern_time_t now)
{
	(void)now;
	uint32_t w = (tp->snd_max - tp->snd_una) + tcp_mss(tp);
	if (tp->ca_state != TCP_CA_RECOVERY && w < tp->snd_ssthresh)
		tp->snd_cwnd = w;
	else
		tp->snd_cwnd = tp->snd_ssthresh;
}

/* RFC 5681 §3.1: after a timeout, ssthresh as on loss and a loss window
 * of one segment. */
static void reno_on_rto(struct tern_tcb *tp, tern_time_t now)
{
	(void)now;
	tp->snd_ssthresh = half_flight(tp);
	tp->snd_cwnd = tcp_mss(tp);
}

/* RFC 3168 §6.1.2: as a loss, once per window, without a resend. */
static void reno_on_ecn(struct tern_tcb *tp, tern_time_t now)
{
	reno_on_loss(tp, now);
	tp->snd_cwnd = tp->snd_ssthresh;
}

/* An undo (Linux's tcp_undo_cwnd_reduction): neither window below what
 * it was before the spurious episode. Reno keeps no other state. */
static void reno_undo(struct tern_tcb *tp, uint32_t prior_cwnd, uint32_t prior_ssthresh,
		      tern_time_t now)
{
	(void)now;
	if (tp->snd_cwnd < prior_cwnd)
		tp->snd_cwnd = prior_cwnd;
	if (tp->snd_ssthresh < prior_ssthresh)
		tp->snd_ssthresh = prior_ssthresh;
}

const struct tern_cc_ops tern_cc_reno = {
	.name = "reno",
	.init = reno_init,
	.on_ack = reno_on_ack,
	.on_loss = reno_on_loss,
	.on_recovery_end = reno_on_recovery_end,
	.on_rto = reno_on_rto,
	.on_ecn = reno_on_ecn,
	.undo = reno_undo,
};

/* In tcp_available_congestion_control's order: Linux lists modules as
 * they registered, reno (built in) before cubic ("reno cubic"). */
static const struct tern_cc_ops *const modules[] = {&tern_cc_reno, &tern_cc_cubic};

void tcp_cc_rtt(struct tern_stack *s, struct tern_tcb *tp, tern_time_t rtt, tern_time_t now)
{
	if (tp->cc && tp->cc->on_rtt)
		tp->cc->on_rtt(s, tp, rtt, now);
}

void tcp_cc_tx_start(struct tern_tcb *tp, tern_time_t now)
{
	if (tp->cc && tp->cc->on_tx_start)
		tp->cc->on_tx_start(tp, now);
}

void tcp_cc_undo(struct tern_tcb *tp, tern_time_t now)
{
	if (tp->cc && tp->cc->undo)
		tp->cc->undo(tp, tp->undo_cwnd, tp->undo_ssthresh, now);
	else
		reno_undo(tp, tp->undo_cwnd, tp->undo_ssthresh, now);
}

const struct tern_cc_ops *tern_cc_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(modules) / sizeof(modules[0]); i++)
		if (strcmp(modules[i]->name, name) == 0)
			return modules[i];
	return NULL;
}

const struct tern_cc_ops *tern_cc_at(size_t i)
{
	return i < sizeof(modules) / sizeof(modules[0]) ? modules[i] : NULL;
}
