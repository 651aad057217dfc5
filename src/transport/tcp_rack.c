/*
 * transport/tcp_rack.c — RACK-TLP (RFC 8985): loss detected by time, and
 * the tail loss probe.
 *
 * RACK: an octet is lost once an octet sent after it has been delivered
 * (SACKed or cumulatively acknowledged) and more than RACK.rtt + reo_wnd
 * has passed since it was sent (§6.2). Send times come from a small map
 * (tcp.h's struct tcp_txtimes, held only while data is in flight, from a
 * per-stack cache): ranges of sequence space with the time they
 * last left, one entry per distinct send time, merged when full (the
 * later time kept, so a merged range is judged lost later, never
 * earlier). Retransmissions have a map of their own (rxmap): ranges with
 * the earliest and the latest time they left, so that an octet's loss is
 * judged from the latest (never too early) and a delivery moves
 * RACK.xmit_ts only to the earliest (never past what is still in the
 * queue: a delivered retransmission once stood for the latest one, and
 * new data sent between the two, still queued, was taken for lost). New
 * data leaves in sequence order, so the times
 * grow with the sequence number and the lost octets form a prefix: the
 * result is rack_edge, which tcp_sb_lost_edge joins to RFC 6675's IsLost.
 * The reordering window is min_RTT / 4 times a multiplier that D-SACKs
 * grow (once per round trip, kept for 16 recoveries, §6.2 step 4), and 0
 * while no reordering was seen and recovery is under way or DupThresh
 * segments are SACKed (as Linux's tcp_rack_reo_wnd). When the ACKs stop
 * before an octet sent ahead of RACK.xmit_ts is old enough to be lost,
 * RACK's reordering timer (§6.3) fires when it is, in place of the probe
 * or the RTO, and runs the detection then (Linux's tcp_rack_reo_timeout).
 *
 * TLP: with data in flight, SACK, and no recovery, a probe timeout of
 * 2·SRTT (plus 200 ms when one segment is in flight, the worst delayed
 * ACK; 1 s before an RTT sample), never beyond the RTO, sends one new
 * segment or resends the last one (§7.3), so that the ACK it draws lets
 * SACK and RACK repair a lost tail instead of the RTO. A probe that
 * resent the last segment and is acknowledged without a D-SACK repaired a
 * loss: the window is reduced as after a fast recovery
 * (TCPLossProbeRecovery, §7.4).
 */
#include "core/stack_impl.h"
#include "transport/tcp.h"
#include "transport/tcp_cc.h"

#define TLP_WCDELACK TERN_MSEC(200) /* RFC 8985 §7.2's WCDelAckT */

/* ---- the send-time map ---- */

static void xmap_trim(struct tern_tcb *tp)
{
	unsigned k = 0;
	while (k < tp->xmap_n && seq_leq(tp->tx->xmap[k].end, tp->snd_una))
		k++;
	if (k) {
		memmove(tp->tx->xmap, tp->tx->xmap + k, (tp->xmap_n - k) * sizeof(struct tcp_xmark));
		tp->xmap_n = (uint8_t)(tp->xmap_n - k);
	}
	unsigned n = 0;
	for (unsigned i = 0; i < tp->rxmap_n; i++)
		if (seq_gt(tp->tx->rxmap[i].end, tp->snd_una))
			tp->tx->rxmap[n++] = tp->tx->rxmap[i];
	tp->rxmap_n = (uint8_t)n;
}

/* A retransmission of [seq, end) at now: extends the latest entry if it
 * continues it, else a new entry; when full, the two entries closest in
 * time become one spanning both. */
static void rxmap_add(struct tern_tcb *tp, tcp_seq seq, tcp_seq end, tern_time_t now)
{
	struct tcp_rxmark *last = tp->rxmap_n ? &tp->tx->rxmap[tp->rxmap_n - 1] : NULL;
	if (last && last->end == seq && last->hi == now) {
		last->end = end;
		return;
	}
	if (tp->rxmap_n == TCP_RXMAP_MAX) {
		unsigned best = 0;
		tern_time_t gap = TERN_TIME_NEVER;
		for (unsigned i = 0; i + 1 < tp->rxmap_n; i++) {
			tern_time_t g = tp->tx->rxmap[i + 1].lo - tp->tx->rxmap[i].hi;
			if (g < gap) {
				gap = g;
				best = i;
			}
		}
		struct tcp_rxmark *a = &tp->tx->rxmap[best], *b = a + 1;
		a->left = seq_min(a->left, b->left);
		a->end = seq_max(a->end, b->end);
		a->hi = b->hi;
		memmove(b, b + 1, (tp->rxmap_n - best - 2) * sizeof(*b));
		tp->rxmap_n--;
	}
	tp->tx->rxmap[tp->rxmap_n++] = (struct tcp_rxmark){seq, end, now, now};
}

void tcp_rack_sent(struct tern_stack *s, struct tern_tcb *tp, tcp_seq seq, uint32_t len,
		   bool rexmit, tern_time_t now)
{
	if (!len)
		return;
	if (rexmit)
		tp->rexmit_t = now;
	/* Only a SACK connection has use for the times (out of memory: none
	 * are kept, and loss waits for DupThresh or the timers). */
	if (!(tp->flags & TF_SACK_PERMIT) || (!tp->tx && !(tp->tx = tcp_txtimes_get(s))))
		return;
	if (rexmit) {
		rxmap_add(tp, seq, seq + len, now);
		return;
	}
	tcp_seq end = seq + len;
	if (tp->xmap_n && tp->tx->xmap[tp->xmap_n - 1].t == now) {
		if (seq_gt(end, tp->tx->xmap[tp->xmap_n - 1].end))
			tp->tx->xmap[tp->xmap_n - 1].end = end;
		return;
	}
	if (tp->xmap_n && !seq_gt(end, tp->tx->xmap[tp->xmap_n - 1].end))
		return; /* not new after all */
	xmap_trim(tp);
	if (tp->xmap_n == TCP_XMAP_MAX) {
		/* Merge the two neighbours closest in time; the later time
		 * stands for both. */
		unsigned best = 0;
		tern_time_t gap = TERN_TIME_NEVER;
		for (unsigned i = 0; i + 1 < tp->xmap_n; i++) {
			tern_time_t g = tp->tx->xmap[i + 1].t - tp->tx->xmap[i].t;
			if (g < gap) {
				gap = g;
				best = i;
			}
		}
		memmove(tp->tx->xmap + best, tp->tx->xmap + best + 1,
			(tp->xmap_n - best - 1) * sizeof(struct tcp_xmark));
		tp->xmap_n--;
	}
	tp->tx->xmap[tp->xmap_n++] = (struct tcp_xmark){end, now};
}

/* The latest retransmission holding the octet at seq, or NULL. */
static const struct tcp_rxmark *rexmitted(const struct tern_tcb *tp, tcp_seq seq)
{
	for (unsigned i = tp->rxmap_n; i-- > 0;)
		if (seq_geq(seq, tp->tx->rxmap[i].left) && seq_lt(seq, tp->tx->rxmap[i].end))
			return &tp->tx->rxmap[i];
	return NULL;
}

/* When the octet at seq first left (0: unknown). */
static tern_time_t xmit_time(const struct tern_tcb *tp, tcp_seq seq)
{
	for (unsigned i = 0; i < tp->xmap_n; i++)
		if (seq_lt(seq, tp->tx->xmap[i].end))
			return tp->tx->xmap[i].t;
	return 0;
}

/* ---- RACK ---- */

bool tcp_rack_on(const struct tern_stack *s, const struct tern_tcb *tp)
{
	return (tp->flags & TF_SACK_PERMIT) && (s->cfg->tcp_recovery & 1);
}

tern_time_t tcp_rack_reo_wnd(const struct tern_tcb *tp)
{
	if (!tp->rack_reord &&
	    (tp->ca_state >= TCP_CA_RECOVERY || tp->sacked_bytes >= tp->reordering * tcp_mss(tp)))
		return 0;
	tern_time_t w = tp->rtt_min / 4 * (tp->reo_wnd_mult ? tp->reo_wnd_mult : 1);
	return tp->srtt && w > tp->srtt ? tp->srtt : w;
}

/* §6.2 step 2: RACK.xmit_ts from the delivery of the octet before end. */
static void rack_update(struct tern_tcb *tp, tcp_seq end, tern_time_t now)
{
	tcp_seq last = end - 1;
	const struct tcp_rxmark *rx = rexmitted(tp, last);
	/* A retransmitted octet whose ACK echoes a TSval older than its first
	 * retransmission, or acknowledged sooner than an RTT after its latest,
	 * was the original's delivery: no sample (§6.2 step 2). */
	if (rx && ((tp->ack_tsecr && (int32_t)(tp->ack_tsecr - tcp_ts_now(tp, rx->lo)) < 0) ||
		   (tp->rtt_min && now - rx->hi < tp->rtt_min)))
		return;
	tern_time_t t = rx ? rx->lo : xmit_time(tp, last);
	if (!t)
		return;
	if (t > tp->rack_xmit || (t == tp->rack_xmit && seq_gt(end, tp->rack_end))) {
		tp->rack_xmit = t;
		tp->rack_end = end;
		tp->rack_rtt = now - t;
	}
}

/* §6.2 step 4: D-SACKs grow the window, once per round trip. */
static void reo_wnd_update(struct tern_tcb *tp)
{
	if (tp->dsack_seen) {
		tp->rack_reord = true;
		if (!tp->reo_wnd_mult) {
			tp->reo_wnd_mult = 1;
			tp->reo_round = tp->snd_una;
		}
		if (seq_geq(tp->snd_una, tp->reo_round) && tp->reo_wnd_mult < 255) {
			tp->reo_wnd_mult++;
			tp->reo_round = tp->snd_max;
			tp->reo_wnd_persist = 16;
		}
	}
}

/* §6.2 step 5: the prefix of octets sent before RACK.xmit_ts and older
 * than RACK.rtt + reo_wnd; retransmissions among them reopen HighRxt. */
static void rack_detect(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	tern_time_t wnd = tp->rack_rtt + tcp_rack_reo_wnd(tp);
	tcp_seq edge = tp->snd_una;
	for (unsigned i = 0; i < tp->xmap_n; i++) {
		const struct tcp_xmark *x = &tp->tx->xmap[i];
		if (x->t > tp->rack_xmit || (x->t == tp->rack_xmit && seq_leq(tp->rack_end, edge)))
			break; /* (the rest: sent after RACK.xmit_ts, or with it but above) */
		if (x->t + wnd > now) {
			tp->rack_reo_at = x->t + wnd; /* §6.3: lost then, if nothing comes */
			break;
		}
		if (x->t == tp->rack_xmit) { /* sent together: before it in sequence order */
			edge = seq_max(edge, seq_min(x->end, tp->rack_end));
			break;
		}
		edge = x->end;
	}
	tp->rack_edge = seq_min(edge, tp->snd_max);
	if (tp->ca_state >= TCP_CA_RECOVERY && tp->rexmit_t && seq_gt(tp->high_rxt, tp->snd_una) &&
	    tp->rexmit_t < tp->rack_xmit && tp->rexmit_t + wnd <= now) {
		/* The retransmissions are lost too: rule 1 resends them. */
		tern_stat_inc(s, TERN_STAT_TCP_LOST_RETRANSMIT);
		tp->high_rxt = tp->snd_una;
	}
}

/* RFC 8985 §7.4: what the ACK says of the probe. */
static void tlp_ack(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	if (!tp->tlp_active)
		return;
	if (tp->tlp_rexmit && tp->dsack_seen) {
		tp->tlp_active = false; /* the probe was a duplicate: nothing was lost */
		return;
	}
	if (!seq_geq(tp->snd_una, tp->tlp_end))
		return;
	tp->tlp_active = false;
	if (tp->tlp_rexmit && tp->ca_state < TCP_CA_RECOVERY) {
		/* The probe repaired the loss of the last segment. */
		tern_stat_inc(s, TERN_STAT_TCP_LOSS_PROBE_RECOVERY);
		if (!tcp_ecn_loss(tp)) {
			tp->cc->on_loss(tp, now);
			tp->snd_cwnd = tp->snd_ssthresh;
		}
	}
}

void tcp_rack_ack(struct tern_stack *s, struct tern_tcb *tp, tcp_seq prior_una, tern_time_t now)
{
	bool rack = tcp_rack_on(s, tp);
	/* (before the map forgets what the ACK covered) */
	if (rack && seq_gt(tp->snd_una, prior_una))
		rack_update(tp, tp->snd_una, now);
	if (rack && tp->rack_hi_new && seq_gt(tp->rack_hi_new, tp->snd_una))
		rack_update(tp, tp->rack_hi_new, now);
	tp->rack_hi_new = 0;
	tp->rack_reo_at = 0;
	xmap_trim(tp);
	if (tp->snd_una == tp->snd_max)
		tcp_txtimes_put(s, tp); /* nothing in flight: the maps go back */
	tp->rack_edge = tp->snd_una;
	if (!(tp->flags & TF_SACK_PERMIT)) {
		tp->tlp_active = false;
		return;
	}
	tlp_ack(s, tp, now);
	if (!rack)
		return;
	reo_wnd_update(tp);
	if (tp->rack_xmit)
		rack_detect(s, tp, now);
}

void tcp_rack_reo_schedule(struct tern_stack *s, struct tern_tcb *tp)
{
	if (!tp->rack_reo_at || tp->ca_state > TCP_CA_RECOVERY || tp->rxt_mode == RXT_PERSIST ||
	    tp->snd_una == tp->snd_max)
		return;
	if (!tcp_timer_isset(tp, TCPT_RXT) || tp->deadline[TCPT_RXT] <= tp->rack_reo_at ||
	    tp->rxt_mode == RXT_REO)
		return;
	tp->reo_rxt_mode = tp->rxt_mode;
	tp->reo_rxt_at = tp->deadline[TCPT_RXT];
	tp->rxt_mode = RXT_REO;
	tcp_timer_set(s, tp, TCPT_RXT, tp->rack_reo_at);
}

void tcp_rack_reo_fire(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	tp->rack_reo_at = 0;
	tern_stat_inc(s, TERN_STAT_TCP_RACK_REO_TIMEOUTS);
	if (tcp_recovery_timeout_detect(s, tp, now)) {
		tcp_output(s, tp, now); /* what it found lost; the RTO again from now */
		return;
	}
	/* Nothing more lost (the scoreboard moved on): the RTO or probe as
	 * it was, not pushed back by this timer. */
	tp->rxt_mode = tp->reo_rxt_mode;
	tcp_timer_set(s, tp, TCPT_RXT, tp->reo_rxt_at > now ? tp->reo_rxt_at : now);
	tcp_rack_reo_schedule(s, tp);
}

/* ---- TLP ---- */

void tcp_tlp_schedule(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	if ((s->cfg->tcp_early_retrans != 3 && s->cfg->tcp_early_retrans != 4) ||
	    !(tp->flags & TF_SACK_PERMIT) || tp->snd_una == tp->snd_max || tp->tlp_active ||
	    tp->ca_state > TCP_CA_DISORDER || tp->state < TCPS_ESTABLISHED ||
	    tp->rxt_mode == RXT_PERSIST || tp->rxtshift)
		return;
	tern_time_t pto = tp->srtt ? 2 * tp->srtt : TERN_SEC(1);
	if (tp->snd_max - tp->snd_una <= tcp_mss(tp))
		pto += TLP_WCDELACK;
	if (pto < TERN_MSEC(2))
		pto = TERN_MSEC(2);
	/* Never later than the RTO would fire. */
	if (tp->rxt_mode == RXT_REXMT && tcp_timer_isset(tp, TCPT_RXT) &&
	    now + pto >= tp->deadline[TCPT_RXT])
		return;
	tp->rxt_mode = RXT_TLP;
	tcp_timer_set(s, tp, TCPT_RXT, now + pto);
}

void tcp_tlp_fire(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	if (tp->snd_una == tp->snd_max)
		return;
	tern_stat_inc(s, TERN_STAT_TCP_LOSS_PROBES);
	tp->tlp_active = true;
	tp->tlp_rexmit = false;
	/* New data if the receiver's window takes it (cwnd aside, §7.3). */
	tp->tlp_send = true;
	tp->flags |= TF_FORCEDATA;
	tcp_output(s, tp, now);
	tp->flags &= ~(uint32_t)TF_FORCEDATA;
	if (tp->tlp_send) {
		/* None: the last segment again (the last not SACKed: one
		 * the receiver has would draw no news). */
		tp->tlp_send = false;
		/* (the ring may hold data not yet sent: the window is shut) */
		tcp_seq end = seq_min(tp->snd_una + (uint32_t)tern_ring_len(&tp->snd), tp->snd_max);
		for (unsigned i = tp->sb_count; i-- > 0;)
			if (seq_geq(tp->sb[i].right, end) && seq_lt(tp->sb[i].left, end))
				end = tp->sb[i].left;
		tcp_seq from = tp->snd_una;
		for (unsigned i = 0; i < tp->sb_count; i++)
			if (seq_lt(tp->sb[i].right, end) && seq_gt(tp->sb[i].right, from))
				from = tp->sb[i].right;
		uint32_t m = tcp_mss(tp) - (uint32_t)tcp_sack_optlen(tp);
		uint32_t len = end - from < m ? end - from : m;
		if (tcp_output_rexmit(s, tp, end - len, len, now))
			tp->tlp_rexmit = true;
	}
	tp->tlp_end = tp->snd_max;
	tp->rxt_mode = RXT_REXMT;
	tcp_timer_set(s, tp, TCPT_RXT, now + tcp_rto(s, tp));
}
