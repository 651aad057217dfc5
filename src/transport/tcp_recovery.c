/*
 * transport/tcp_recovery.c — the sender's loss recovery with SACK: the
 * scoreboard and its rules (RFC 6675 §3-5), limited transmit (RFC 3042)
 * and Proportional Rate Reduction (RFC 6937, PRR-SSRB as Linux).
 *
 * The scoreboard is a sorted array of at most TCP_SB_MAX SACKed ranges
 * above SND.UNA, the first TCP_SB_INLINE in the tcb, more on the heap for
 * as long as a loss episode needs them (Linux marks skbs, FreeBSD keeps a
 * list of holes). A block merges every range it overlaps or
 * touches; when the array is full the highest range is forgotten: the
 * sender then knows less (it may resend what arrived), never something
 * false. SACKed data is never freed (RFC 2018 §8: the receiver may
 * renege), and the scoreboard is cleared on a retransmission timeout and
 * when the cumulative ACK stops at the left edge of a SACKed range (the
 * peer dropped it: Linux's tcp_check_sack_reneging).
 *
 * IsLost() is a boundary here: walking down from the highest range, the
 * left edge of the range at which more than (DupThresh - 1) * SMSS octets
 * or DupThresh ranges lie above is the lost edge; every unSACKed octet
 * below it is lost, every one above is not (IsLost is monotonic). pipe
 * (SetPipe) follows from it in one pass over the ranges.
 *
 * Recovery starts on the DupThresh-th duplicate ACK or once SND.UNA itself
 * is lost (RFC 6675 §5), retransmits the first segment at once, and then
 * sends what PRR allows on each ACK: lost octets first (NextSeg rule 1),
 * new data (rule 2), and without RACK (tcp_recovery 0) unSACKed octets
 * below the highest SACK (rule 3) and one rescue retransmission of the
 * highest unSACKed octet (rule 4); with RACK, what its clock does not call
 * lost is in flight, and its timer and the tail loss probe find the rest
 * (as Linux, which has neither rule). The
 * congestion-control module sets ssthresh (on_loss) and the window after
 * recovery (on_recovery_end); during recovery PRR sets cwnd = pipe +
 * sndcnt (a core step, tcp_cc.h). An episode shown needless (timestamps,
 * D-SACKs; F-RTO and Eifel after a timeout) is undone by tcp_undo.c,
 * called from here.
 */
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "transport/tcp.h"
#include "transport/tcp_cc.h"

void tcp_recovery_init(struct tern_tcb *tp)
{
	tp->reordering = 3; /* RFC 6675's DupThresh, Linux's tcp_reordering */
	tp->sb = tp->sb_inline;
	tp->sb_cap = TCP_SB_INLINE;
}

/* Room for n ranges; false if the scoreboard is at TCP_SB_MAX (or out of
 * memory: it then stays as it is, less informed). */
static bool sb_reserve(struct tern_tcb *tp, unsigned n)
{
	if (n <= tp->sb_cap)
		return true;
	if (tp->sb_cap >= TCP_SB_MAX)
		return false;
	unsigned cap = tp->sb_cap;
	while (cap < n)
		cap *= 2;
	if (cap > TCP_SB_MAX)
		cap = TCP_SB_MAX;
	struct tern_tcp_sack_block *nsb = tp->sb == tp->sb_inline
		? malloc(cap * sizeof(*nsb)) : realloc(tp->sb, cap * sizeof(*nsb));
	if (!nsb)
		return false;
	if (tp->sb == tp->sb_inline)
		memcpy(nsb, tp->sb_inline, tp->sb_count * sizeof(*nsb));
	tp->sb = nsb;
	tp->sb_cap = (uint16_t)cap;
	return true;
}

/* An empty scoreboard goes back into the tcb. */
static void sb_shrink(struct tern_tcb *tp)
{
	if (tp->sb_count || tp->sb == tp->sb_inline || !tp->sb)
		return;
	free(tp->sb);
	tp->sb = tp->sb_inline;
	tp->sb_cap = TCP_SB_INLINE;
}

void tcp_recovery_free(struct tern_tcb *tp)
{
	tp->sb_count = 0;
	sb_shrink(tp);
}

static uint32_t dupthresh(const struct tern_tcb *tp)
{
	return tp->reordering ? tp->reordering : 3;
}

static void sb_recount(struct tern_tcb *tp)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < tp->sb_count; i++)
		n += tp->sb[i].right - tp->sb[i].left;
	tp->sacked_bytes = n;
}

/* A never-retransmitted octet SACKed below the highest SACK arrived out of
 * order, not lost: the reordering distance in segments raises DupThresh
 * (Linux's tcp_check_sack_reordering). */
static void note_reordering(struct tern_stack *s, struct tern_tcb *tp, tcp_seq left)
{
	if (!tp->sb_count)
		return;
	tcp_seq high = tp->sb[tp->sb_count - 1].right;
	if (!seq_lt(left, high) || (tp->ca_state >= TCP_CA_RECOVERY && seq_lt(left, tp->high_rxt)))
		return;
	uint32_t mss = tcp_mss(tp), dist = (high - left + mss - 1) / mss + 1;
	if (dist > TCP_MAX_REORDERING)
		dist = TCP_MAX_REORDERING;
	tp->rack_reord = true;
	if (dist > tp->reordering) {
		tp->reordering = dist;
		tern_stat_inc(s, TERN_STAT_TCP_SACK_REORDER);
	}
}

static void sb_insert(struct tern_tcb *tp, tcp_seq left, tcp_seq right)
{
	struct tern_tcp_sack_block nb = {left, right};
	unsigned n = tp->sb_count, i = 0, j;
	/* [i, j): the ranges nb overlaps or touches, merged into it. */
	while (i < n && seq_lt(tp->sb[i].right, nb.left))
		i++;
	for (j = i; j < n && !seq_gt(tp->sb[j].left, nb.right); j++) {
		nb.left = seq_min(nb.left, tp->sb[j].left);
		nb.right = seq_max(nb.right, tp->sb[j].right);
	}
	if (i == j && !sb_reserve(tp, n + 1)) {
		if (i == n)
			return; /* full, and nb would be the highest: it goes */
		n--; /* full: the highest range goes */
	}
	memmove(&tp->sb[i + 1], &tp->sb[j], (n - j) * sizeof(nb));
	tp->sb[i] = nb;
	tp->sb_count = (uint16_t)(n - (j - i) + 1);
	sb_recount(tp);
}

static tcp_seq next_hole(const struct tern_tcb *tp, tcp_seq seq);

static void sb_update_(struct tern_stack *s, struct tern_tcb *tp, tcp_seq left, tcp_seq right)
{
	if (!seq_gt(left, tp->snd_una))
		return; /* from an old ACK: stale, and never at SND.UNA itself */
	if (seq_gt(right, tp->snd_max))
		right = tp->snd_max;
	if (!seq_lt(left, right))
		return;
	tcp_seq fresh = next_hole(tp, left); /* the first octet this block adds */
	if (!seq_lt(fresh, right))
		return; /* old news */
	note_reordering(s, tp, fresh);
	sb_insert(tp, left, right);
	if (!tp->rack_hi_new || seq_gt(right, tp->rack_hi_new))
		tp->rack_hi_new = right; /* RACK: the newest delivery this ACK */
}

void tcp_sb_update(struct tern_stack *s, struct tern_tcb *tp, tcp_seq left, tcp_seq right)
{
	sb_update_(s, tp, left, right);
}

void tcp_sb_clear(struct tern_tcb *tp)
{
	tp->sb_count = 0;
	tp->sacked_bytes = 0;
	sb_shrink(tp);
}

void tcp_sb_ack(struct tern_stack *s, struct tern_tcb *tp)
{
	unsigned n = 0;
	bool reneged = false;
	for (unsigned i = 0; i < tp->sb_count; i++) {
		struct tern_tcp_sack_block b = tp->sb[i];
		if (seq_leq(b.right, tp->snd_una))
			continue;
		if (!seq_gt(b.left, tp->snd_una))
			reneged = true; /* at its left edge or inside it */
		tp->sb[n++] = b;
	}
	tp->sb_count = (uint16_t)n;
	sb_recount(tp);
	sb_shrink(tp);
	/* RFC 2018 §8: the cumulative ACK stopped at a SACKed range's left
	 * edge or inside it: the receiver dropped what it had SACKed there
	 * (it would have acknowledged it otherwise; Linux's
	 * tcp_check_sack_reneging). What it SACKed is no longer trusted. */
	if (reneged) {
		tcp_sb_clear(tp);
		tern_stat_inc(s, TERN_STAT_TCP_SACK_RENEGING);
	}
}

bool tcp_sb_sacked(const struct tern_tcb *tp, tcp_seq seq, tcp_seq *end)
{
	for (unsigned i = 0; i < tp->sb_count; i++) {
		if (seq_lt(seq, tp->sb[i].left))
			return false;
		if (seq_lt(seq, tp->sb[i].right)) {
			*end = tp->sb[i].right;
			return true;
		}
	}
	return false;
}

tcp_seq tcp_sb_next_sacked(const struct tern_tcb *tp, tcp_seq seq)
{
	for (unsigned i = 0; i < tp->sb_count; i++)
		if (seq_gt(tp->sb[i].right, seq))
			return seq_max(tp->sb[i].left, seq);
	return tp->snd_max;
}


/* The first unSACKed octet at or above seq. */
static tcp_seq next_hole(const struct tern_tcb *tp, tcp_seq seq)
{
	tcp_seq end;
	while (tcp_sb_sacked(tp, seq, &end))
		seq = end;
	return seq;
}

/* SACKed octets in [a, b). */
static uint32_t sacked_in(const struct tern_tcb *tp, tcp_seq a, tcp_seq b)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < tp->sb_count; i++) {
		tcp_seq l = seq_max(tp->sb[i].left, a), r = seq_min(tp->sb[i].right, b);
		if (seq_lt(l, r))
			n += r - l;
	}
	return n;
}

static uint32_t unsacked_in(const struct tern_tcb *tp, tcp_seq a, tcp_seq b)
{
	return seq_lt(a, b) ? (b - a) - sacked_in(tp, a, b) : 0;
}

/* RACK's boundary (tcp_rack.c), within [SND.UNA, SND.MAX]. */
static tcp_seq rack_edge(const struct tern_tcb *tp)
{
	if (seq_lt(tp->rack_edge, tp->snd_una) || seq_gt(tp->rack_edge, tp->snd_max))
		return tp->snd_una;
	return tp->rack_edge;
}

/* RFC 6675 §4 IsLost(SeqNum): "DupThresh discontiguous SACKed sequences
 * have arrived above 'SeqNum' or more than (DupThresh - 1) * SMSS bytes
 * with sequence numbers greater than 'SeqNum' have been SACKed". */
tcp_seq tcp_sb_lost_edge(const struct tern_tcb *tp)
{
	uint32_t thresh = (dupthresh(tp) - 1) * tcp_mss(tp), acc = 0;
	for (unsigned i = tp->sb_count; i-- > 0;) {
		acc += tp->sb[i].right - tp->sb[i].left;
		if (acc > thresh || tp->sb_count - i >= dupthresh(tp))
			return seq_max(tp->sb[i].left, rack_edge(tp));
	}
	return rack_edge(tp);
}

static tcp_seq high_rxt(const struct tern_tcb *tp)
{
	if (seq_lt(tp->high_rxt, tp->snd_una))
		return tp->snd_una;
	return seq_min(tp->high_rxt, tp->snd_max);
}

/* RFC 6675 §4 SetPipe: each unSACKed octet counts once if it is not lost
 * and once more if it was retransmitted. */
uint32_t tcp_sb_pipe(const struct tern_tcb *tp)
{
	tcp_seq edge = tcp_sb_lost_edge(tp);
	return unsacked_in(tp, edge, tp->snd_max) + unsacked_in(tp, tp->snd_una, high_rxt(tp));
}

uint32_t tcp_sb_lost_bytes(const struct tern_tcb *tp)
{
	if (tp->ca_state == TCP_CA_LOSS)
		return unsacked_in(tp, high_rxt(tp), tp->snd_max);
	return unsacked_in(tp, tp->snd_una, tcp_sb_lost_edge(tp));
}

uint32_t tcp_sb_retrans_bytes(const struct tern_tcb *tp)
{
	if (tp->ca_state < TCP_CA_RECOVERY)
		return 0;
	return unsacked_in(tp, tp->snd_una, high_rxt(tp));
}

/* ---- the recovery episode ---- */

static void enter_recovery(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	tcp_undo_begin(tp); /* what an undo restores (tcp_undo.c) */
	if (!tcp_ecn_loss(tp))
		tp->cc->on_loss(tp, now); /* ssthresh */
	tp->snd_recover = tp->snd_max; /* RecoveryPoint = HighData (RFC 6675 §5 step 4.1) */
	tp->ca_state = TCP_CA_RECOVERY;
	tp->high_rxt = tp->snd_una;
	tp->rescue_set = false;
	tp->rec_first = true; /* §5 step 4.3: the first segment at once */
	/* RFC 6937 §3: RecoverFS = snd.nxt - snd.una */
	tp->prr_delivered = tp->prr_out = 0;
	tp->recover_fs = tp->snd_max - tp->snd_una;
	tp->flags &= ~(uint32_t)TF_RTT_TIMING;
	tern_stat_inc(s, TERN_STAT_TCP_SACK_RECOVERY);
}

/* RFC 6937 §3, PRR with the slow-start reduction bound (Linux's
 * tcp_cwnd_reduction). */
static void prr_step(struct tern_tcb *tp, uint32_t delivered)
{
	uint32_t mss = tcp_mss(tp), pipe = tcp_sb_pipe(tp), ssthresh = tp->snd_ssthresh;
	int64_t sndcnt;
	tp->prr_delivered += delivered;
	if (pipe > ssthresh) {
		uint64_t fs = tp->recover_fs ? tp->recover_fs : 1;
		sndcnt = (int64_t)(((uint64_t)tp->prr_delivered * ssthresh + fs - 1) / fs) -
			 (int64_t)tp->prr_out;
	} else {
		int64_t limit = (int64_t)tp->prr_delivered - (int64_t)tp->prr_out;
		if (limit < (int64_t)delivered)
			limit = delivered;
		limit += mss;
		sndcnt = (int64_t)(ssthresh - pipe) < limit ? (int64_t)(ssthresh - pipe) : limit;
	}
	if (sndcnt < 0)
		sndcnt = 0;
	tp->rec_quota = (uint32_t)sndcnt;
	tp->snd_cwnd = pipe + (uint32_t)sndcnt;
}

void tcp_recovery_dsack(struct tern_tcb *tp, tcp_seq left, tcp_seq right)
{
	/* Only octets this episode retransmitted (below the highest one; a
	 * copy the network made of an original elsewhere says nothing). */
	if (!tp->undo_armed || seq_lt(left, tp->undo_seq) || seq_gt(right, tp->undo_end))
		return;
	uint32_t mss = tcp_mss(tp), segs = (right - left + mss - 1) / mss;
	if (!tp->undo_retrans)
		return;
	tp->undo_retrans = tp->undo_retrans > segs ? tp->undo_retrans - segs : 0;
	tp->undo_dsacked = true;
}

static void recovery_ack(struct tern_stack *s, struct tern_tcb *tp, tcp_seq prior_una,
			 int64_t delivered, bool dup, tern_time_t now);

void tcp_recovery_ack(struct tern_stack *s, struct tern_tcb *tp, tcp_seq prior_una,
		      int64_t delivered, bool dup, tern_time_t now)
{
	tcp_rack_ack(s, tp, prior_una, now); /* RACK-TLP (tcp_rack.c) first */
	bool loss = tp->ca_state == TCP_CA_LOSS;
	if (loss)
		tcp_undo_loss_ack(s, tp, prior_una, dup, now); /* a spurious timeout? */
	recovery_ack(s, tp, prior_una, delivered, dup, now);
	/* Every retransmission of the episode came back as a D-SACK: the
	 * receiver had it all, the loss was reordering (tcp_undo.c). */
	if (tp->flags & TF_SACK_PERMIT)
		tcp_undo_dsack(s, tp, loss, now);
	tp->dsack_seen = false;
}

static void recovery_ack(struct tern_stack *s, struct tern_tcb *tp, tcp_seq prior_una,
			 int64_t delivered, bool dup, tern_time_t now)
{
	if (tp->ca_state == TCP_CA_LOSS) {
		/* RFC 6675 §5.1: no new recovery until the RTO's RecoveryPoint
		 * is acknowledged. */
		if (!seq_geq(tp->snd_una, tp->snd_recover))
			return;
		tp->ca_state = tp->sb_count ? TCP_CA_DISORDER : TCP_CA_OPEN;
	}
	if (!(tp->flags & TF_SACK_PERMIT))
		return;
	if (tp->ca_state == TCP_CA_RECOVERY) {
		if (seq_geq(tp->snd_una, tp->snd_recover)) {
			/* A full acknowledgment: recovery is over, needlessly
			 * if timestamps say so (tcp_undo.c). */
			if (tcp_undo_full(s, tp, now))
				return;
			tp->cc->on_recovery_end(tp, now); /* (the module sees it was SACK's) */
			if (tp->reo_wnd_persist && !--tp->reo_wnd_persist)
				tp->reo_wnd_mult = 1; /* RFC 8985 §6.2 step 4 */
			tp->ca_state = tp->sb_count ? TCP_CA_DISORDER : TCP_CA_OPEN;
			tp->rec_quota = 0;
			tp->dupacks = 0;
			return;
		}
		if (seq_gt(tp->snd_una, prior_una) && tcp_undo_partial(s, tp, prior_una, now))
			return; /* the hole was filled by an original */
		/* A partial ACK with no SACK information says what NewReno
		 * knows (RFC 6582 §3.2): the next segment is lost too. */
		if (!tp->sb_count && delivered > 0 && seq_geq(tp->snd_una, high_rxt(tp)))
			tp->rec_first = true;
		prr_step(tp, delivered > 0 ? (uint32_t)delivered : 0);
		return;
	}
	if (dup && tp->dupacks < 255)
		tp->dupacks++;
	tp->ca_state = (tp->sb_count || tp->dupacks) ? TCP_CA_DISORDER : TCP_CA_OPEN;
	if (tp->snd_una == tp->snd_max)
		return;
	/* RFC 6675 §5 steps 1-2: DupThresh duplicate ACKs, or SND.UNA lost. */
	if ((dup && tp->dupacks >= dupthresh(tp)) || seq_lt(tp->snd_una, tcp_sb_lost_edge(tp))) {
		enter_recovery(s, tp, now);
		prr_step(tp, delivered > 0 ? (uint32_t)delivered : 0);
	}
}

bool tcp_recovery_timeout_detect(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now)
{
	tcp_seq edge = tcp_sb_lost_edge(tp), hr = tp->high_rxt;
	tcp_rack_ack(s, tp, tp->snd_una, now); /* the detection, at this time */
	if (!seq_gt(tcp_sb_lost_edge(tp), edge) && tp->high_rxt == hr)
		return false; /* nothing more is lost */
	/* Recovery begins, or PRR gets one segment's worth for what was
	 * found (Linux's tcp_rack_reo_timeout: one newly delivered). */
	recovery_ack(s, tp, tp->snd_una, tp->ca_state == TCP_CA_RECOVERY ? tcp_mss(tp) : 0, false,
		     now);
	return true;
}

uint32_t tcp_recovery_wnd(const struct tern_tcb *tp, uint32_t wnd, uint32_t snd_wnd, uint32_t off,
			  uint32_t unsent)
{
	uint32_t mss = tcp_mss(tp);
	if (tp->tlp_send) {
		/* A tail loss probe: one new segment, cwnd aside (RFC 8985
		 * §7.3), if the receiver's window takes a whole one (or all
		 * that is left); else none, and the last one goes again. */
		uint32_t need = unsent < mss ? unsent : mss;
		return snd_wnd >= off && snd_wnd - off >= need ? off + need : off;
	}
	if (tp->frto == TCP_FRTO_SEND) /* F-RTO's two new segments (tcp_undo.c) */
		return tcp_undo_frto_wnd(tp, wnd, snd_wnd, off, unsent);
	if (tp->ca_state == TCP_CA_RECOVERY) {
		/* PRR's quota, in whole segments unless less is left. */
		uint32_t q = tp->rec_quota;
		uint32_t need = unsent < mss ? unsent : mss;
		if (q < need)
			q = 0;
		uint32_t lim = off + q;
		return lim < snd_wnd ? lim : snd_wnd;
	}
	/* RFC 3042: on the first two duplicate ACKs, a previously unsent
	 * segment each, beyond cwnd (cwnd itself unchanged). */
	if (tp->dupacks && tp->ca_state == TCP_CA_DISORDER && !(tp->flags & TF_FASTRECOV) &&
	    off == tp->snd_max - tp->snd_una) {
		uint32_t extra = (tp->dupacks < 2 ? tp->dupacks : 2u) * mss;
		uint32_t lim = tp->snd_cwnd + extra;
		if (lim > wnd)
			wnd = lim < snd_wnd ? lim : snd_wnd;
	}
	return wnd;
}

void tcp_recovery_sent(struct tern_stack *s, struct tern_tcb *tp, tcp_seq seq, uint32_t len,
		       bool rexmit, tern_time_t now)
{
	tcp_rack_sent(s, tp, seq, len, rexmit, now);
	tcp_undo_sent(tp, seq, len, rexmit, now);
	tp->tlp_send = false; /* a probe is one segment */
	if (rexmit && tp->undo_armed && len) {
		tp->undo_retrans += (len + tcp_mss(tp) - 1) / tcp_mss(tp);
		if (seq_gt(seq + len, tp->undo_end) || tp->undo_end == tp->undo_seq)
			tp->undo_end = seq + len;
	}
	if (rexmit) {
		if (seq_gt(seq + len, tp->high_rxt) || seq_lt(tp->high_rxt, tp->snd_una))
			tp->high_rxt = seq + len;
		if (tp->ca_state == TCP_CA_RECOVERY)
			tern_stat_inc(s, TERN_STAT_TCP_FAST_RETRANS);
		else if (tp->ca_state == TCP_CA_LOSS)
			tern_stat_inc(s, TERN_STAT_TCP_SLOW_START_RETRANS);
	}
	if (tp->ca_state == TCP_CA_RECOVERY) {
		tp->prr_out += len;
		tp->rec_quota = tp->rec_quota > len ? tp->rec_quota - len : 0;
	}
}

/* The largest segment now: the MSS less the SACK blocks our ACK carries. */
static uint32_t seg_max(const struct tern_tcb *tp)
{
	return tcp_mss(tp) - (uint32_t)tcp_sack_optlen(tp);
}

/* One segment of holes from seq: up to a segment, not into SACKed data. */
static uint32_t hole_len(const struct tern_tcb *tp, tcp_seq seq)
{
	uint32_t room = tcp_sb_next_sacked(tp, seq) - seq, m = seg_max(tp);
	return room < m ? room : m;
}

void tcp_recovery_send(struct tern_stack *s, struct tern_tcb *tp, bool tail, tern_time_t now)
{
	if (tp->ca_state != TCP_CA_RECOVERY)
		return;
	if (!tail) {
		if (tp->rec_first) {
			/* RFC 6675 §5 step 4.3, sent whatever PRR says (as
			 * Linux forces the first retransmission). */
			tp->rec_first = false;
			tcp_seq seq = next_hole(tp, tp->snd_una);
			if (seq_lt(seq, tp->snd_max))
				tcp_output_rexmit(s, tp, seq, hole_len(tp, seq), now);
		}
		/* Rule 1: lost octets above HighRxt. */
		for (int i = 0; i < 64; i++) {
			tcp_seq seq = next_hole(tp, high_rxt(tp));
			if (!seq_lt(seq, tcp_sb_lost_edge(tp)))
				break;
			uint32_t len = hole_len(tp, seq);
			if (tp->rec_quota < len || !tcp_output_rexmit(s, tp, seq, len, now))
				break;
		}
		return;
	}
	/* With RACK (RFC 8985), what is not yet lost by its clock is in
	 * flight: rules 3 and 4 would resend it needlessly, and RACK's timer
	 * and the tail loss probe do their work (as Linux, which has neither
	 * rule). */
	if (tcp_rack_on(s, tp))
		return;
	/* Rule 3: unSACKed octets above HighRxt and below the highest SACK. */
	tcp_seq high_sack = tp->sb_count ? tp->sb[tp->sb_count - 1].right : tp->snd_una;
	for (int i = 0; i < 64 && tp->rec_quota; i++) {
		tcp_seq seq = next_hole(tp, high_rxt(tp));
		if (!seq_lt(seq, high_sack))
			break;
		uint32_t len = hole_len(tp, seq);
		if (tp->rec_quota < len || !tcp_output_rexmit(s, tp, seq, len, now))
			return;
	}
	/* Rule 4: once per recovery, the highest unSACKed segment (a rescue
	 * for the tail); HighRxt stays. */
	if (tp->rec_quota && (!tp->rescue_set || seq_gt(tp->snd_una, tp->rescue_rxt))) {
		tcp_seq end = tp->snd_max;
		if (tp->sb_count && tp->sb[tp->sb_count - 1].right == end)
			end = tp->sb[tp->sb_count - 1].left;
		uint32_t m = seg_max(tp);
		tcp_seq seq = end - tp->snd_una > m ? end - m : tp->snd_una;
		for (unsigned i = 0; i < tp->sb_count; i++) /* not into a SACKed range below */
			if (seq_lt(tp->sb[i].right, end) && seq_gt(tp->sb[i].right, seq))
				seq = tp->sb[i].right;
		if (!seq_lt(seq, end) || seq_leq(end, high_rxt(tp)) || tp->rec_quota < end - seq)
			return;
		tcp_seq hr = tp->high_rxt;
		tp->rescue_set = true;
		tp->rescue_rxt = tp->snd_recover;
		tcp_output_rexmit(s, tp, seq, end - seq, now);
		tp->high_rxt = hr;
	}
}

void tcp_recovery_rto(struct tern_tcb *tp)
{
	/* Linux's tcp_enter_loss: a timeout in Open or Disorder with at
	 * least DupThresh (3) segments SACKed means reordering held recovery
	 * back: DupThresh returns to its default. */
	if (tp->ca_state <= TCP_CA_DISORDER && tp->sacked_bytes >= 3u * tcp_mss(tp) &&
	    tp->reordering > 3)
		tp->reordering = 3;
	/* RFC 6675 §5.1 and RFC 2018 §8: the receiver may have reneged;
	 * the scoreboard is rebuilt from the ACKs that follow. */
	tcp_sb_clear(tp);
	tp->tlp_active = tp->tlp_send = false;
	/* (the undo's episode was set before the module reduced: tcp_undo_rto) */
	tp->rack_edge = tp->snd_una;
	tp->ca_state = TCP_CA_LOSS;
	tp->snd_recover = tp->snd_max;
	tp->high_rxt = tp->snd_una;
	tp->rec_quota = 0;
	tp->rec_first = false;
	tp->rescue_set = false;
}

void tcp_recovery_skip(struct tern_tcb *tp)
{
	if (tp->sb_count && seq_lt(tp->snd_nxt, tp->snd_max))
		tp->snd_nxt = seq_min(next_hole(tp, tp->snd_nxt), tp->snd_max);
}

size_t tcp_recovery_clip(const struct tern_tcb *tp, size_t len)
{
	if (!tp->sb_count || !seq_lt(tp->snd_nxt, tp->snd_max))
		return len;
	size_t room = tcp_sb_next_sacked(tp, tp->snd_nxt) - tp->snd_nxt;
	return len < room ? len : room;
}
