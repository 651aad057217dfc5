/*
 * transport/tcp_pacing.c — the sending rate as Linux computes it
 * (tcp_update_pacing_rate) and Linux's internal pacing (the EDT model of
 * tcp_internal_pacing without fq): each data segment gets a departure
 * time, len / rate after the previous one's, and one that is not due yet
 * waits on the connection's PACE timer slot.
 *
 * A departure carries what Linux's would as one GSO packet (its
 * tcp_tso_autosize): 1 ms of data at the rate (sk_pacing_shift 10), at
 * least two segments, at most 64 KiB; so at 20 Mbit/s segments leave in
 * pairs 1.2 ms apart, and at 1 Gbit/s a timer runs once per 64 KiB, not
 * per segment.
 *
 * The rate is reported always (TCP_INFO's tcpi_pacing_rate, ss's
 * pacing_rate), for every congestion-control module; pacing itself is off,
 * as on Linux without the fq qdisc, until SO_MAX_PACING_RATE sets a cap on
 * the socket (Linux's SK_PACING_NEEDED) or the stack's configuration asks
 * for it for every connection (tern_stack_config.tcp_pacing). With pacing
 * off the output path pays one test of tp->pacing.
 */
#include "core/stack_impl.h"
#include "transport/tcp.h"

void tcp_pacing_init(const struct tern_stack *s, struct tern_tcb *tp)
{
	tp->pacing = s->cfg->tcp_pacing;
	tp->max_pacing_rate = UINT64_MAX;
	tp->pace_next = 0;
	tp->pace_quota = 0;
}

void tcp_pacing_inherit(struct tern_tcb *tp, const struct tern_tcb *lp)
{
	tp->pacing = lp->pacing;
	tp->max_pacing_rate = lp->max_pacing_rate;
}

void tcp_pacing_set_max(struct tern_tcb *tp, uint64_t rate)
{
	tp->max_pacing_rate = rate;
	if (rate != UINT64_MAX)
		tp->pacing = true; /* as Linux: a cap asks for pacing, for good */
}

/* rate = ratio% * max(cwnd, flight) / srtt: tcp_pacing_ss_ratio (200) while
 * cwnd < ssthresh / 2 (Linux's reading of "in slow start": near its end the
 * rate slows down), tcp_pacing_ca_ratio (120) after; capped by
 * SO_MAX_PACING_RATE. In µs of srtt, as Linux: the product stays below
 * 2^64 (2^32 bytes * 1000% * 10^4). */
uint64_t tcp_pacing_rate(const struct tern_stack *s, const struct tern_tcb *tp)
{
	uint64_t srtt_us = (uint64_t)tp->srtt / 1000u;
	if (!srtt_us || !tp->snd_cwnd)
		return tp->max_pacing_rate;
	uint32_t flight = tp->snd_max - tp->snd_una;
	uint64_t w = tp->snd_cwnd > flight ? tp->snd_cwnd : flight;
	unsigned ratio = tp->snd_cwnd < tp->snd_ssthresh / 2 ? s->cfg->tcp_pacing_ss_ratio
							     : s->cfg->tcp_pacing_ca_ratio;
	uint64_t rate = w * ratio * 10000u / srtt_us;
	return rate < tp->max_pacing_rate ? rate : tp->max_pacing_rate;
}

/* Linux's tcp_tso_autosize for this rate: whole segments, at least
 * tcp_min_tso_segs (2). (Linux adds a bonus for paths under a few ms of
 * min_rtt, tcp_tso_rtt_log; not here.) */
static uint32_t burst_bytes(uint64_t rate, uint32_t mss)
{
	uint64_t b = rate >> 10;
	if (b > 65536)
		b = 65536;
	uint64_t segs = b / mss;
	return (uint32_t)((segs < 2 ? 2 : segs) * mss);
}

bool tcp_pacing_hold(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	if (tp->pace_quota)
		return false; /* the current burst goes on */
	if (tp->pace_next <= now) {
		uint64_t rate = tcp_pacing_rate(s, tp);
		/* (no rate yet: no burst either, nothing is spaced) */
		tp->pace_quota = rate == UINT64_MAX || rate == 0 ? 0 : burst_bytes(rate, tcp_mss(tp));
		return false;
	}
	if (tp->deadline[TCPT_PACE] != tp->pace_next)
		tcp_timer_set(s, tp, TCPT_PACE, tp->pace_next);
	return true;
}

void tcp_pacing_sent(struct tern_stack *s, struct tern_tcb *tp, uint32_t len, tern_time_t now)
{
	tp->pace_quota = len < tp->pace_quota ? tp->pace_quota - len : 0;
	uint64_t rate = tcp_pacing_rate(s, tp);
	if (rate == UINT64_MAX || rate == 0) {
		/* No estimate yet (or a cap of 0, which Linux treats as no
		 * sending rate to honour): no gap. */
		return;
	}
	/* Linux's tcp_update_skb_after_send: from max(last departure, now),
	 * so an idle connection earns no burst. */
	tern_time_t base = tp->pace_next > now ? tp->pace_next : now;
	tp->pace_next = base + (tern_time_t)((uint64_t)len * 1000000000ull / rate);
}
