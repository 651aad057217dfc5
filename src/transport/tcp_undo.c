/*
 * transport/tcp_undo.c — undoing a window reduction that proves
 * spurious: what looked lost was only late (delay spike, reordering).
 *
 * An episode, fast recovery or a retransmission timeout outside one,
 * begins by saving the window (tcp_undo_begin: Linux's prior_cwnd and
 * prior_ssthresh) before congestion control reduces it. What shows the
 * episode was needless:
 *   - timestamps (RFC 3522, the Eifel detection): an ACK whose TSecr is
 *     older than the episode's first retransmission was sent for an
 *     original transmission. After a timeout the first acceptable ACK
 *     decides (TcpExtTCPLossUndo); in fast recovery (RFC 6675's with
 *     SACK, NewReno's without) a partial ACK
 *     (TCPPartialUndo) or the one that ends it (TCPFullUndo), Linux's
 *     tcp_try_undo_partial and tcp_try_undo_recovery;
 *   - F-RTO without timestamps (RFC 5682 §2.1, the basic algorithm, for
 *     SACK peers too; tcp_frto): after the timeout's one retransmission,
 *     an ACK advancing SND.UNA lets two new segments go instead of
 *     go-back-N, and a second one advancing it again declares the timeout
 *     spurious; a duplicate ACK at either step means the conventional
 *     recovery after all;
 *   - D-SACKs for every retransmission (RFC 3708's detection, Linux's
 *     tcp_try_undo_dsack: TCPDSACKUndo, or TCPLossUndo after a timeout).
 * The response (undo) restores the window through the congestion
 * control's undo hook only (tcp_cc.h; CUBIC puts back W_max, K and its
 * epoch, RFC 9438 §4.9), leaves the recovery state, and after a timeout
 * goes on with new data, SND.NXT = SND.MAX, instead of resending what
 * the network still holds (RFC 4015's response, RFC 5682 step 3b). Every
 * timeout undone counts in TCPSpuriousRTOs (Linux counts F-RTO's only).
 */
#include "core/stack_impl.h"
#include "transport/tcp.h"
#include "transport/tcp_cc.h"
#include "transport/tcp_trace.h"

void tcp_undo_begin(struct tern_tcb *tp)
{
	tp->undo_armed = true;
	tp->undo_cwnd = tp->snd_cwnd;
	tp->undo_ssthresh = tp->snd_ssthresh;
	tp->undo_retrans = 0;
	tp->undo_dsacked = false;
	tp->undo_seq = tp->undo_end = tp->snd_una; /* undo_end: past the highest resent */
	tp->undo_ts = false;
}

/* RFC 3522 §3.2 step 3: the ACK's TSecr is smaller than RetransmitTS
 * (a TSecr of 0 tells nothing, as for RTT samples). */
static bool ts_before_rexmit(const struct tern_tcb *tp)
{
	return (tp->flags & TF_RCVD_TSTMP) && tp->undo_ts && tp->ack_tsecr &&
	       (int32_t)(tp->ack_tsecr - tp->undo_tsval) < 0;
}

static void undo(struct tern_stack *s, struct tern_tcb *tp, uint8_t kind, tern_time_t now)
{
	static const enum tern_stat stat[] = {
		[TERN_TCP_UNDO_LOSS] = TERN_STAT_TCP_LOSS_UNDO,
		[TERN_TCP_UNDO_FULL] = TERN_STAT_TCP_FULL_UNDO,
		[TERN_TCP_UNDO_PARTIAL] = TERN_STAT_TCP_PARTIAL_UNDO,
		[TERN_TCP_UNDO_DSACK] = TERN_STAT_TCP_DSACK_UNDO,
	};
	tp->undo_armed = false;
	tp->eifel = false;
	tp->frto = TCP_FRTO_OFF;
	tcp_cc_undo(tp, now);
	if (kind == TERN_TCP_UNDO_LOSS) {
		/* Resume with what was never sent: the originals are
		 * arriving (RFC 4015's response; RFC 5682 step 3b). */
		tp->snd_nxt = tp->snd_max;
		tern_stat_inc(s, TERN_STAT_TCP_SPURIOUS_RTOS);
	}
	tp->ca_state = tp->sb_count ? TCP_CA_DISORDER : TCP_CA_OPEN;
	tp->rec_quota = 0;
	tp->dupacks = 0;
	tern_stat_inc(s, stat[kind]);
	tcp_trace_undo(s, tp, kind, now);
}

/* ---- the retransmission timeout ---- */

/* RFC 5682 §2.1 step 1 (with Linux's choices): only for a timeout that
 * begins an episode, or one that repeats during F-RTO itself, and not
 * while a path MTU probe is out (its loss is no spurious timeout). */
static bool frto_allowed(const struct tern_stack *s, const struct tern_tcb *tp, bool fresh)
{
	if (!s->cfg->tcp_frto || (tp->flags & (TF_RCVD_TSTMP | TF_FASTRECOV)) || tp->mtu.probe)
		return false;
	return fresh || (tp->ca_state == TCP_CA_LOSS && tp->frto != TCP_FRTO_OFF);
}

void tcp_undo_rto(struct tern_stack *s, struct tern_tcb *tp)
{
	/* A timeout in recovery or loss belongs to the episode already
	 * begun: its window is the one an undo restores (Linux's
	 * tcp_enter_loss). */
	bool fresh = tp->ca_state < TCP_CA_RECOVERY;
	if (fresh)
		tcp_undo_begin(tp);
	/* RFC 3522 §3.2 steps 1-2: the first acceptable ACK decides. */
	tp->eifel = (tp->flags & TF_RCVD_TSTMP) && tp->undo_armed;
	tp->frto = frto_allowed(s, tp, fresh) ? TCP_FRTO_WAIT1 : TCP_FRTO_OFF;
	tp->frto_end = tp->snd_una;
}

void tcp_undo_sent(struct tern_tcb *tp, tcp_seq seq, uint32_t len, bool rexmit, tern_time_t now)
{
	if (rexmit && tp->undo_armed && !tp->undo_ts && (tp->flags & TF_RCVD_TSTMP)) {
		tp->undo_ts = true; /* RFC 3522 §3.2 step 1: RetransmitTS */
		tp->undo_tsval = tcp_ts_now(tp, now);
	}
	if (rexmit && tp->frto == TCP_FRTO_WAIT1 && seq_gt(seq + len, tp->frto_end))
		tp->frto_end = seq + len; /* step 1's retransmission */
	if (!rexmit && len && tp->frto == TCP_FRTO_SEND && tp->frto_quota && !--tp->frto_quota)
		tp->frto = TCP_FRTO_WAIT2;
}

/* New data could go now: some unsent, and room in the peer's window. */
static bool new_data_room(const struct tern_tcb *tp)
{
	uint32_t flight = tp->snd_max - tp->snd_una;
	size_t queued = tern_ring_len(&tp->snd);
	return !(tp->flags & TF_SENTFIN) && queued > flight && tp->snd_wnd > flight;
}

/* Back to the conventional recovery: slow start, resending from
 * SND.UNA (go-back-N). */
static void frto_fail(struct tern_tcb *tp)
{
	tp->frto = TCP_FRTO_OFF;
	tp->snd_nxt = tp->snd_una;
}

/* RFC 5682 §2.1 step 2, the first ACK after the retransmission. */
static void frto_step2(struct tern_tcb *tp, bool advanced)
{
	/* 2a: a duplicate ACK, one that covers SND.high (here snd_recover,
	 * SND.MAX at the timeout), or one short of step 1's retransmission:
	 * "revert to the conventional RTO recovery". */
	if (!advanced || seq_geq(tp->snd_una, tp->snd_recover) || seq_lt(tp->snd_una, tp->frto_end)) {
		tp->frto = TCP_FRTO_OFF;
		return;
	}
	/* 2b: "transmit up to two new (previously unsent) segments"; with
	 * none to send or no window for them, the conventional recovery. */
	if (!new_data_room(tp)) {
		frto_fail(tp);
		return;
	}
	tp->frto = TCP_FRTO_SEND;
	tp->frto_quota = 2;
	tp->snd_nxt = tp->snd_max;
}

/* Step 3, the second ACK. */
static void frto_step3(struct tern_stack *s, struct tern_tcb *tp, bool advanced, tern_time_t now)
{
	if (tp->frto == TCP_FRTO_SEND && tp->frto_quota == 2) {
		frto_fail(tp); /* step 2b sent nothing (Nagle held it): nothing to learn */
		return;
	}
	if (!advanced) {
		/* 3a: "set the congestion window to no more than 3 * MSS, and
		 * continue with the slow start algorithm retransmitting
		 * unacknowledged segments". */
		uint32_t three = 3u * tcp_mss(tp);
		if (tp->snd_cwnd > three)
			tp->snd_cwnd = three;
		frto_fail(tp);
		return;
	}
	undo(s, tp, TERN_TCP_UNDO_LOSS, now); /* 3b: "declare the timeout spurious" */
}

static void frto_ack(struct tern_stack *s, struct tern_tcb *tp, bool advanced, bool dup,
		     tern_time_t now)
{
	/* Only ACKs that advance SND.UNA or are duplicates count; a window
	 * update, or an ACK whose news is a D-SACK, tells neither. */
	if (!advanced && (!dup || tp->dsack_seen))
		return;
	if (tp->frto == TCP_FRTO_WAIT1)
		frto_step2(tp, advanced);
	else
		frto_step3(s, tp, advanced, now);
}

void tcp_undo_loss_ack(struct tern_stack *s, struct tern_tcb *tp, tcp_seq prior_una, bool dup,
		       tern_time_t now)
{
	bool advanced = seq_gt(tp->snd_una, prior_una);
	if (tp->eifel && advanced) {
		/* RFC 3522 §3.2 steps 2-4: the first acceptable ACK; with an
		 * older TSecr the timeout was spurious. */
		tp->eifel = false;
		if (tp->undo_armed && ts_before_rexmit(tp))
			undo(s, tp, TERN_TCP_UNDO_LOSS, now);
		return;
	}
	if (tp->frto != TCP_FRTO_OFF && tp->undo_armed)
		frto_ack(s, tp, advanced, dup, now);
}

uint32_t tcp_undo_frto_wnd(const struct tern_tcb *tp, uint32_t wnd, uint32_t snd_wnd,
			   uint32_t off, uint32_t unsent)
{
	if (tp->frto != TCP_FRTO_SEND || off != tp->snd_max - tp->snd_una || !unsent)
		return wnd;
	/* Step 2b: one new segment at a time, beyond cwnd, within the
	 * receiver's window. */
	uint32_t mss = tcp_mss(tp), need = unsent < mss ? unsent : mss;
	uint32_t lim = off + need;
	if (snd_wnd < off || snd_wnd - off < need || lim < wnd)
		return wnd;
	return lim;
}

/* ---- fast recovery ---- */

/* The original that filled the hole at prior_una came after data up to
 * the highest SACK: reordering that deep, in segments, raises DupThresh
 * (as Linux's tcp_check_sack_reordering from a partial undo,
 * TcpExtTCPTSReorder) and is RACK's "reordering seen". */
static void ts_reordering(struct tern_stack *s, struct tern_tcb *tp, tcp_seq prior_una)
{
	tcp_seq fack = seq_gt(tp->sack_high, tp->snd_una) && seq_leq(tp->sack_high, tp->snd_max)
			       ? tp->sack_high
			       : tp->snd_una;
	uint32_t mss = tcp_mss(tp), dist = (fack - prior_una + mss - 1) / mss;
	tp->rack_reord = true;
	if (dist > TCP_MAX_REORDERING)
		dist = TCP_MAX_REORDERING;
	if (dist > tp->reordering) {
		tp->reordering = dist;
		tern_stat_inc(s, TERN_STAT_TCP_TS_REORDER);
	}
}

bool tcp_undo_partial(struct tern_stack *s, struct tern_tcb *tp, tcp_seq prior_una,
		      tern_time_t now)
{
	/* The hole was filled by the original, not by a retransmission:
	 * reordering. While retransmissions are still in flight their fate
	 * is unknown; once none is, the reduction goes (Linux's
	 * tcp_try_undo_partial). */
	if (!tp->undo_armed || !ts_before_rexmit(tp))
		return false;
	ts_reordering(s, tp, prior_una);
	if (tcp_sb_retrans_bytes(tp))
		return false;
	undo(s, tp, TERN_TCP_UNDO_PARTIAL, now);
	return true;
}

bool tcp_undo_full(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	/* The ACK that ends recovery was sent for an original: no
	 * retransmission was needed (Linux's tcp_try_undo_recovery). A
	 * recovery all of whose retransmissions were D-SACKed is
	 * tcp_undo_dsack's. */
	if (!tp->undo_armed || (tp->undo_dsacked && !tp->undo_retrans) || !ts_before_rexmit(tp))
		return false;
	undo(s, tp, TERN_TCP_UNDO_FULL, now);
	return true;
}

void tcp_undo_dsack(struct tern_stack *s, struct tern_tcb *tp, bool loss, tern_time_t now)
{
	if (!tp->undo_armed || tp->undo_retrans || !tp->undo_dsacked)
		return;
	undo(s, tp, loss ? TERN_TCP_UNDO_LOSS : TERN_TCP_UNDO_DSACK, now);
}
