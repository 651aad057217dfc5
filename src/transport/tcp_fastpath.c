/*
 * transport/tcp_fastpath.c — header prediction: Van Jacobson's fast path
 * for the segment an ESTABLISHED connection expects next (BSD's
 * tcp_input and Linux's tcp_rcv_established predict the same two):
 *
 *   a pure ACK   of new data (SND.UNA < SEG.ACK =< SND.MAX), neither a
 *                duplicate nor in any recovery;
 *   in-order data at RCV.NXT that acknowledges nothing new, with nothing
 *                out of order held and the whole payload in the window.
 *
 * Either one carries ACK (and perhaps PSH) alone, no option but the
 * timestamps the connection uses (or none), and passes PAWS. Unlike
 * BSD's, the prediction leaves the window out: a tern receiver
 * advertises its free buffer, which moves with nearly every ACK of a
 * bulk transfer, so any window goes through step 5's update rule as in
 * synced_input (neither case is a duplicate ACK, whatever the window).
 * Everything else goes to tcp_input.c's synced_input unchanged. The work
 * done is the work synced_input would do, in its order and through its
 * helpers; only the tests that cannot fail for such a segment are left
 * out (the comments name them). tests/unit/test_tcp_fastpath.c runs the
 * same exchanges with net.ipv4.tcp_header_prediction on and off and
 * compares every segment sent.
 */
#include "core/stack_impl.h"
#include "transport/sock.h"
#include "transport/tcp.h"
#include "transport/tcp_trace.h"
#include "wire/ipv4.h"

/* The prediction. False as soon as one part fails; reads only. */
static bool predicted(const struct tern_tcb *tp, const struct tern_tcp_repr *th, uint32_t len)
{
	if ((th->flags & (uint8_t)~TERN_TCP_PSH) != TERN_TCP_ACK || th->seq != tp->rcv_nxt)
		return false;
	/* The option layout: exactly the 12 bytes of timestamps if in use
	 * (no room is left for SACK, MSS or window scale), else none. */
	bool ts = tp->flags & TF_RCVD_TSTMP;
	if (th->hlen != (ts ? TERN_TCP_HLEN + 12 : TERN_TCP_HLEN) || th->has_ts != ts)
		return false;
	/* RFC 7323 §5.3: PAWS would reject an older TSval. */
	if (ts && (int32_t)(th->tsval - tp->ts_recent) < 0)
		return false;
	if (len == 0) {
		/* RFC 9293 §3.10.7.4 step 5: "If SND.UNA < SEG.ACK =< SND.NXT"
		 * (SND.MAX here), and no recovery whose state an ACK moves. */
		return seq_gt(th->ack, tp->snd_una) && seq_leq(th->ack, tp->snd_max) &&
		       !tp->dupacks && !(tp->flags & TF_FASTRECOV) && tp->ca_state == TCP_CA_OPEN &&
		       !tp->sb_count;
	}
	/* Data: nothing new acknowledged, nothing out of order to merge,
	 * and all of it within RCV.WND (step 1 accepts it, nothing is
	 * trimmed). */
	uint32_t wnd = seq_gt(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	return th->ack == tp->snd_una && !tp->ofo && len <= wnd;
}

bool tcp_fastpath(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th,
		  const struct tern_ipv4_repr *ip, struct tern_pkt *pkt, tern_time_t now)
{
	uint32_t len = pkt->len; /* the payload: the header is pulled */
	if (!s->cfg->tcp_header_prediction || !predicted(tp, th, len))
		return false;
	/* Step 1 passed (SEG.SEQ = RCV.NXT, PAWS). RFC 7323 §4.3: the newest
	 * TSval of a segment at or below the last ACK sent is kept. */
	if ((tp->flags & TF_RCVD_TSTMP) && seq_leq(th->seq, tp->last_ack_sent)) {
		tp->ts_recent = th->tsval;
		tp->ts_recent_age = now;
	}
	tp->t_rcvtime = now;
	tp->segs_in++;
	if (len)
		tp->data_segs_in++;
	tp->last_ack_rcvd = now;
	tp->keep_probes = 0;
	/* Steps 2 and 4 (RST, SYN): neither bit is set. Step 5, ACK: of new
	 * data (a pure ACK) or of nothing new (data), never a duplicate, no
	 * SACK blocks. */
	tcp_trace_ack(s, tp, th, now);
	tcp_ecn_ack(s, tp, th, now);
	tcp_note_ack_tsecr(tp, th);
	tcp_seq prior_una = tp->snd_una;
	uint32_t prior_sacked = tp->sacked_bytes;
	if (len == 0)
		tcp_ack_new_data(s, tp, th, now);
	tcp_update_window(s, tp, th);
	tcp_recovery_ack(s, tp, prior_una,
			 (int64_t)(tp->snd_una - prior_una) + tp->sacked_bytes - prior_sacked, false, now);
	/* (ESTABLISHED: no FIN of ours to be acknowledged.) Step 7, text:
	 * CE and CWR first (RFC 3168 §6.1.3), then the payload joins the
	 * receive queue; the out-of-order list is empty, so nothing drains. */
	bool now_ack = tcp_ecn_rcv(s, tp, th, ip->tos, len);
	if (len) {
		tp->bytes_received += len;
		tcp_measure_rcv_mss(tp, len);
		if (tcp_charge_rcv(s, tp, pkt, ip, th, now)) {
			tcp_rcv_enqueue(tp, pkt, th, len, now);
		} else {
			now_ack = true; /* dropped (counted): the ACK tells the peer at once */
		}
		pkt = NULL;
		tern_stat_inc(s, TERN_STAT_TCP_HP_HITS);
	} else {
		tern_stat_inc(s, TERN_STAT_TCP_HP_ACKS);
	}
	/* Step 8: no FIN. */
	if (tp->sack_count)
		tcp_sack_clean(tp);
	if (pkt)
		tern_stack_pkt_free(s, pkt);
	if (now_ack)
		tp->flags |= TF_ACKNOW;
	else if (seq_gt(tp->rcv_nxt, tp->last_ack_sent) && !(tp->flags & TF_ACKNOW))
		tcp_schedule_ack(s, tp, now);
	tcp_trace_sync(s, tp, now);
	tcp_output(s, tp, now);
	tcp_wakeup(s, tp);
	return true;
}
