/*
 * transport/tcp_ecn.c — Explicit Congestion Notification for TCP (RFC
 * 3168 §6.1), with Linux's choices where the RFC leaves room
 * (net/ipv4/tcp_input.c's tcp_ecn_* and tcp_output.c's tcp_ecn_send).
 *
 *   set-up      our SYN asks with ECE|CWR (tcp_ecn = 1); a peer's SYN
 *               with ECE|CWR is accepted (tcp_ecn = 1 or 2) and our
 *               SYN-ACK answers with ECE alone; a SYN-ACK with ECE|CWR
 *               (a mangling middlebox, §6.1.1) or without ECE leaves the
 *               connection without ECN; a retransmitted SYN no longer
 *               asks (tcp_ecn_fallback, §6.1.1.1).
 *   sender      ECT(0) on new data only: never on SYNs, pure ACKs, window
 *               probes or retransmissions (§6.1.1, §6.1.5); ECE on an ACK
 *               reduces the window as a loss would but resends nothing,
 *               once per window of data (§6.1.2; the module's on_ecn),
 *               and the next new data segment carries CWR; the window
 *               does not grow until the reduction's window is acked.
 *   receiver    CE on a data segment sets ECE on every ACK until a
 *               segment with CWR arrives (§6.1.3); the first CE and a CWR
 *               with data are acknowledged at once (Linux's quick ACKs).
 *
 * A connection made from a SYN cookie has ECN only with timestamps: the
 * cookie SYN-ACK's TSval carries it (tcp_syncookie.c).
 */
#include "core/stack_impl.h"
#include "transport/tcp.h"
#include "transport/tcp_cc.h"
#include "wire/ipv4.h"

uint8_t tcp_ecn_out(struct tern_stack *s, struct tern_tcb *tp, uint8_t *flags, size_t len,
		    bool rexmit)
{
	uint8_t f = *flags;
	if (f & TERN_TCP_RST)
		return TERN_IP_ECN_NOT_ECT;
	if (f & TERN_TCP_SYN) {
		if (f & TERN_TCP_ACK) {
			/* RFC 3168 §6.1.1: an ECN-setup SYN-ACK has ECE, not CWR. */
			if (tp->ecn_flags & TCP_ECN_OK)
				*flags |= TERN_TCP_ECE;
			return TERN_IP_ECN_NOT_ECT;
		}
		if (tp->state != TCPS_SYN_SENT)
			return TERN_IP_ECN_NOT_ECT;
		bool first = tp->snd_max == tp->iss; /* never sent before */
		if (first && s->cfg->tcp_ecn == 1)
			tp->ecn_flags = TCP_ECN_OK;
		/* §6.1.1.1: a SYN that timed out may have been dropped for
		 * its ECN flags; ask again without (the SYN-ACK still
		 * decides, as on Linux, if it answers the first SYN). */
		if ((tp->ecn_flags & TCP_ECN_OK) && (first || !s->cfg->tcp_ecn_fallback))
			*flags |= TERN_TCP_ECE | TERN_TCP_CWR;
		return TERN_IP_ECN_NOT_ECT;
	}
	if (!(tp->ecn_flags & TCP_ECN_OK) || tp->state < TCPS_ESTABLISHED)
		return TERN_IP_ECN_NOT_ECT;
	if (tp->ecn_flags & TCP_ECN_DEMAND_CWR)
		*flags |= TERN_TCP_ECE; /* §6.1.3: every ACK until the CWR */
	if (!len || rexmit)
		return TERN_IP_ECN_NOT_ECT; /* §6.1.1, §6.1.5: pure ACKs, resends */
	if (tp->ecn_flags & TCP_ECN_QUEUE_CWR) {
		tp->ecn_flags &= (uint8_t)~TCP_ECN_QUEUE_CWR;
		*flags |= TERN_TCP_CWR; /* §6.1.2: "the first new data packet" */
	}
	return TERN_IP_ECN_ECT0;
}

void tcp_ecn_syn_in(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th,
		    uint8_t ip_tos)
{
	tp->ecn_flags = 0;
	if ((th->flags & (TERN_TCP_ECE | TERN_TCP_CWR)) != (TERN_TCP_ECE | TERN_TCP_CWR) ||
	    !s->cfg->tcp_ecn)
		return;
	/* A SYN is never ECT (§6.1.1): one that is was changed on the way,
	 * and Linux then answers without ECN too. */
	if ((ip_tos & TERN_IP_ECN_MASK) != TERN_IP_ECN_NOT_ECT) {
		tern_stat_inc(s, TERN_STAT_TCP_ECN_REFUSED);
		return;
	}
	tp->ecn_flags = TCP_ECN_OK;
	tern_stat_inc(s, TERN_STAT_TCP_ECN_NEGOTIATED);
}

void tcp_ecn_synack_in(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th)
{
	if (!(tp->ecn_flags & TCP_ECN_OK))
		return;
	uint8_t f = th->flags & (TERN_TCP_ACK | TERN_TCP_ECE | TERN_TCP_CWR);
	if (f == (TERN_TCP_ACK | TERN_TCP_ECE)) {
		tern_stat_inc(s, TERN_STAT_TCP_ECN_NEGOTIATED);
		tp->ecn_rto = tp->total_rto; /* SYN timeouts are no data's */
		return;
	}
	/* No ECE: the peer does not do ECN. ECE and CWR both: §6.1.1, "a
	 * host that receives an ECN-setup SYN-ACK packet with both the ECE
	 * and CWR bits set ... MUST NOT set ECT" (a reflecting middlebox).
	 * A simultaneous open's bare SYN: without ECN, to keep it simple. */
	if (f == (TERN_TCP_ACK | TERN_TCP_ECE | TERN_TCP_CWR))
		tern_stat_inc(s, TERN_STAT_TCP_ECN_REFUSED);
	tp->ecn_flags = 0;
}

bool tcp_ecn_rcv(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th,
		 uint8_t ip_tos, uint32_t len)
{
	/* Linux looks at data segments only (tcp_data_queue): a pure ACK is
	 * never ECT, so a mark on one says nothing of our data's path. */
	if (!(tp->ecn_flags & TCP_ECN_OK) || !len)
		return false;
	bool ack_now = false;
	if (th->flags & TERN_TCP_CWR) {
		/* §6.1.3: the sender has reduced; its window may be one
		 * segment, so acknowledge at once (Linux). */
		tp->ecn_flags &= (uint8_t)~TCP_ECN_DEMAND_CWR;
		ack_now = true;
	}
	switch (ip_tos & TERN_IP_ECN_MASK) {
	case TERN_IP_ECN_CE:
		tern_stat_inc(s, TERN_STAT_TCP_ECN_CE_RECV);
		if (!(tp->ecn_flags & TCP_ECN_DEMAND_CWR))
			ack_now = true; /* the echo should not wait for a delayed ACK */
		tp->ecn_flags |= TCP_ECN_DEMAND_CWR | TCP_ECN_SEEN;
		break;
	case TERN_IP_ECN_ECT0:
	case TERN_IP_ECN_ECT1:
		tp->ecn_flags |= TCP_ECN_SEEN;
		break;
	default:
		break;
	}
	return ack_now;
}

/* Reduce the window once per window of data, unless a loss recovery's or
 * a timeout's reduction is under way (RFC 3168 §6.1.2; Linux's
 * tcp_enter_cwr). False if it was not the time to. */
static bool enter_cwr(struct tern_tcb *tp, tern_time_t now)
{
	if ((tp->ecn_flags & (TCP_ECN_IN_CWR | TCP_ECN_IN_LOSS)) ||
	    tcp_ca_state(tp) >= TCP_CA_RECOVERY)
		return false;
	if (tp->cc->on_ecn) {
		tp->cc->on_ecn(tp, now);
	} else {
		tp->cc->on_loss(tp, now);
		tp->snd_cwnd = tp->snd_ssthresh;
	}
	tp->ecn_flags |= TCP_ECN_IN_CWR;
	tp->ecn_high = tp->snd_max;
	return true;
}

bool tcp_ecn_loss(struct tern_tcb *tp)
{
	/* §6.1.2: a sender that "reduces its congestion window for any
	 * reason (because of a retransmit timeout, a Fast Retransmit, or in
	 * response to an ECN Notification)" sets CWR on its first new data
	 * after; without it the receiver would echo ECE past the loss's
	 * reduction and cost a second one. */
	if (tp->ecn_flags & TCP_ECN_OK)
		tp->ecn_flags |= TCP_ECN_QUEUE_CWR;
	/* and "SHOULD NOT ... reduce ... more than once per window": a
	 * loss in the window ECN (or the device, tcp_cwr_local) already
	 * answered is answered (Linux's tcp_enter_recovery from CWR) */
	return (tp->ecn_flags & TCP_ECN_IN_CWR) != 0;
}

void tcp_cwr_local(struct tern_tcb *tp, tern_time_t now)
{
	enter_cwr(tp, now); /* (not in a recovery or timeout: it reduced already) */
}

void tcp_ecn_ack(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th,
		 tern_time_t now)
{
	if (th->flags & TERN_TCP_SYN)
		return;
	if (!(tp->ecn_flags & TCP_ECN_OK)) {
		/* Only a local reduction (tcp_cwr_local) to end. */
		if ((tp->ecn_flags & TCP_ECN_IN_CWR) && seq_gt(th->ack, tp->ecn_high))
			tp->ecn_flags &= (uint8_t)~TCP_ECN_IN_CWR;
		return;
	}
	/* A retransmission timeout since the last ACK reduced the window
	 * already (to one segment): what the network said about that window
	 * is answered, and slow start must not wait for the reduction's
	 * window to end (as Linux's Loss state overrides CWR). */
	if (tp->snd_una == tp->iss)
		tp->ecn_rto = tp->total_rto; /* the handshake's ACK: SYN-ACK timeouts are no data's */
	if (tp->total_rto != tp->ecn_rto) {
		tp->ecn_rto = tp->total_rto;
		tp->ecn_flags = (uint8_t)((tp->ecn_flags & ~TCP_ECN_IN_CWR) | TCP_ECN_IN_LOSS |
					  TCP_ECN_QUEUE_CWR); /* §6.1.2: after a timeout too */
		tp->ecn_high = tp->snd_max;
	}
	/* The reduction's window ends once something above it is acked:
	 * the segment with CWR has then reached the receiver (Linux holds
	 * its CWR state to exactly this). */
	if ((tp->ecn_flags & (TCP_ECN_IN_CWR | TCP_ECN_IN_LOSS)) && seq_gt(th->ack, tp->ecn_high))
		tp->ecn_flags &= (uint8_t)~(TCP_ECN_IN_CWR | TCP_ECN_IN_LOSS);
	if (!(th->flags & TERN_TCP_ECE))
		return;
	if (seq_gt(th->ack, tp->snd_una)) {
		uint32_t mss = tcp_mss(tp), acked = th->ack - tp->snd_una;
		uint32_t segs = (acked + mss - 1) / mss;
		tp->delivered_ce += segs; /* as Linux's tp->delivered_ce */
		tern_stat_add(s, TERN_STAT_TCP_ECN_DELIVERED_CE, segs);
	}
	/* §6.1.2: at most once per window of data, and not on top of a loss
	 * recovery's or a timeout's own reduction. */
	if (!enter_cwr(tp, now))
		return;
	tp->ecn_flags |= TCP_ECN_QUEUE_CWR;
	tern_stat_inc(s, TERN_STAT_TCP_ECN_REDUCTIONS);
}
