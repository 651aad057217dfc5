/*
 * transport/tcp_sack.c — selective acknowledgments (RFC 2018) and
 * duplicate ones (RFC 2883).
 *
 * The receiver keeps a short list of the blocks it reports, tp->sack[]:
 * contiguous ranges of the out-of-order list, the one that changed last
 * first (RFC 2018 §4; Linux's selective_acks). A range added merges every
 * block it overlaps or touches and moves to the front; a fifth block
 * pushes the oldest out (it is still held, only no longer reported, as
 * §4 allows). Blocks RCV.NXT has reached go. Every ACK carries them while
 * the list is not empty, as many as the option space leaves (3 with
 * timestamps, 4 without), and a D-SACK block first when a duplicate came
 * (RFC 2883 §4), for that one ACK. Nothing of this runs while the
 * out-of-order list is empty and no duplicate arrived.
 *
 * The sender validates and counts the blocks it receives; the valid ones
 * go to the scoreboard (tcp_recovery.c), which decides what is resent.
 */
#include "core/stack_impl.h"
#include "transport/tcp.h"

/* [seq, end) overlaps or touches b: together they are one range. */
static bool touches(const struct tern_tcp_sack_block *b, tcp_seq seq, tcp_seq end)
{
	return seq_leq(b->left, end) && seq_leq(seq, b->right);
}

static void extend(struct tern_tcp_sack_block *b, tcp_seq seq, tcp_seq end)
{
	if (seq_lt(seq, b->left))
		b->left = seq;
	if (seq_gt(end, b->right))
		b->right = end;
}

void tcp_sack_add(struct tern_tcb *tp, tcp_seq seq, tcp_seq end)
{
	if (!(tp->flags & TF_SACK_PERMIT) || !seq_lt(seq, end))
		return;
	struct tern_tcp_sack_block nb = {seq, end};
	/* Merge until no listed block touches the new one (blocks are
	 * "contiguous and isolated", RFC 2018 §3). */
	bool merged;
	do {
		merged = false;
		unsigned n = 0;
		for (unsigned i = 0; i < tp->sack_count; i++) {
			if (touches(&tp->sack[i], nb.left, nb.right)) {
				extend(&nb, tp->sack[i].left, tp->sack[i].right);
				merged = true;
			} else {
				tp->sack[n++] = tp->sack[i];
			}
		}
		tp->sack_count = (uint8_t)n;
	} while (merged && tp->sack_count);
	/* RFC 2018 §4: "The first SACK block ... MUST specify the contiguous
	 * block of data containing the segment which triggered this ACK";
	 * the rest in the order they were last reported. */
	unsigned keep = tp->sack_count < TERN_TCP_MAX_SACK ? tp->sack_count : TERN_TCP_MAX_SACK - 1;
	memmove(&tp->sack[1], &tp->sack[0], keep * sizeof(tp->sack[0]));
	tp->sack[0] = nb;
	tp->sack_count = (uint8_t)(keep + 1);
}

void tcp_sack_clean(struct tern_tcb *tp)
{
	unsigned n = 0;
	for (unsigned i = 0; i < tp->sack_count; i++) {
		struct tern_tcp_sack_block b = tp->sack[i];
		if (seq_leq(b.right, tp->rcv_nxt))
			continue; /* cumulatively acknowledged now */
		if (seq_lt(b.left, tp->rcv_nxt))
			b.left = tp->rcv_nxt;
		tp->sack[n++] = b;
	}
	tp->sack_count = (uint8_t)n;
}

void tcp_sack_renege(struct tern_tcb *tp, tcp_seq from)
{
	unsigned n = 0;
	for (unsigned i = 0; i < tp->sack_count; i++) {
		struct tern_tcp_sack_block b = tp->sack[i];
		if (seq_geq(b.left, from))
			continue;
		if (seq_gt(b.right, from))
			b.right = from;
		tp->sack[n++] = b;
	}
	tp->sack_count = (uint8_t)n;
}

void tcp_dsack_add(struct tern_stack *s, struct tern_tcb *tp, tcp_seq seq, tcp_seq end)
{
	if (!(tp->flags & TF_SACK_PERMIT) || !s->cfg->tcp_dsack || !seq_lt(seq, end))
		return;
	/* One D-SACK block per ACK: more duplicates in the same segment
	 * extend it when they touch it, else the first one is reported
	 * (RFC 2883 §4: the first block is "the" duplicate). */
	if (tp->dsack) {
		if (touches(&tp->dsack_block, seq, end))
			extend(&tp->dsack_block, seq, end);
		return;
	}
	tp->dsack = true;
	tp->dsack_block = (struct tern_tcp_sack_block){seq, end};
	/* Linux's counters: below RCV.NXT, or a copy of out-of-order data. */
	tern_stat_inc(s, seq_lt(seq, tp->rcv_nxt) ? TERN_STAT_TCP_DSACK_OLD_SENT
						 : TERN_STAT_TCP_DSACK_OFO_SENT);
	/* A duplicate is answered at once (RFC 5681 §4.2's out-of-order rule;
	 * Linux's tcp_send_dupack and quick ACK). */
	tp->flags |= TF_ACKNOW;
}

/* The blocks the next ACK carries: what the option space takes beside
 * timestamps (wire/tcp.c's layout: NOP NOP, kind, length, 8 bytes a
 * block). */
static unsigned blocks_to_send(const struct tern_tcb *tp)
{
	unsigned n = tp->sack_count + (tp->dsack ? 1u : 0u);
	unsigned fit = (tp->flags & TF_RCVD_TSTMP) ? 3u : 4u;
	return n < fit ? n : fit;
}

size_t tcp_sack_optlen(const struct tern_tcb *tp)
{
	if (!(tp->flags & TF_SACK_PERMIT) || (!tp->sack_count && !tp->dsack))
		return 0;
	return 4 + 8 * (size_t)blocks_to_send(tp);
}

void tcp_sack_fill(struct tern_tcb *tp, struct tern_tcp_repr *th)
{
	if (!(tp->flags & TF_SACK_PERMIT))
		return;
	unsigned n = 0, max = blocks_to_send(tp);
	if (tp->dsack && n < max)
		th->sack[n++] = tp->dsack_block;
	for (unsigned i = 0; i < tp->sack_count && n < max; i++)
		th->sack[n++] = tp->sack[i];
	th->sack_count = (uint8_t)n;
}

/* The sender's side. A block must be a non-empty range of what we sent
 * (RFC 2018 §3: the left edge below the right; nothing beyond SND.MAX)
 * and, unless it is a D-SACK, above the cumulative ACK; a D-SACK block
 * may lie below it, but within the largest window the peer offered of
 * SND.UNA (as Linux's tcp_is_sackblock_valid; RFC 5961 §5.2's bound for
 * old ACKs). */
static bool block_valid(const struct tern_tcb *tp, const struct tern_tcp_sack_block *b, bool dsack,
			tcp_seq ack)
{
	if (!seq_lt(b->left, b->right) || seq_gt(b->right, tp->snd_max))
		return false;
	if (dsack)
		return seq_geq(b->left, tp->snd_una - tp->max_sndwnd);
	return seq_geq(b->left, ack);
}

/* RFC 6675 §2: with SACK, a duplicate ACK is a segment whose SACK blocks
 * cover octets not SACKed before between SND.UNA and SND.MAX, even if it
 * carries data or moves the window, as a peer's ACKs do when it sends
 * too (RFC 5681's definition would see none there, and every loss would
 * wait for the retransmission timer). Only the highest SACKed sequence
 * is kept yet, not a scoreboard: a valid block reaching past it is news. */
static bool sack_news(struct tern_tcb *tp, const struct tern_tcp_sack_block *b, tcp_seq ack)
{
	if (ack != tp->snd_una || tp->snd_una == tp->snd_max || !seq_gt(b->left, ack))
		return false;
	if (seq_lt(tp->sack_high, tp->snd_una) || seq_gt(tp->sack_high, tp->snd_max))
		tp->sack_high = tp->snd_una; /* acknowledged since, or never set */
	if (!seq_gt(b->right, tp->sack_high))
		return false;
	tp->sack_high = b->right;
	return true;
}

bool tcp_sack_input(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th)
{
	if (!th->sack_count || !(tp->flags & TF_SACK_PERMIT))
		return false; /* RFC 2018 §2: not negotiated, not to be sent; ignored */
	const struct tern_tcp_sack_block *b = th->sack;
	/* RFC 2883 §4-5: the first block is a D-SACK if it lies below the
	 * cumulative ACK, or within the second block. */
	bool dsack = false;
	if (seq_lt(b[0].left, th->ack)) {
		dsack = true;
		tern_stat_inc(s, TERN_STAT_TCP_DSACK_RECV);
	} else if (th->sack_count > 1 && seq_geq(b[0].left, b[1].left) &&
		   seq_leq(b[0].right, b[1].right)) {
		dsack = true;
		tern_stat_inc(s, TERN_STAT_TCP_DSACK_RECV);
		tern_stat_inc(s, TERN_STAT_TCP_DSACK_OFO_RECV);
	}
	bool news = false;
	for (unsigned i = 0; i < th->sack_count; i++) {
		bool d = dsack && i == 0;
		if (!d && seq_leq(b[i].right, th->ack))
			continue; /* old news, from an ACK overtaken by a later one */
		if (!block_valid(tp, &b[i], d, th->ack)) {
			tern_stat_inc(s, d ? TERN_STAT_TCP_DSACK_IGNORED : TERN_STAT_TCP_SACK_DISCARD);
			continue;
		}
		/* A valid block: no scoreboard takes it yet; a D-SACK's length
		 * in segments goes to TCP_INFO's tcpi_dsack_dups (as Linux's
		 * tcp_dsack_seen: RFC 4898's tcpEStatsStackDSACKDups). */
		if (d) {
			tp->dsack_seen = true; /* RACK's reordering window (tcp_rack.c) */
			tcp_recovery_dsack(tp, b[i].left, b[i].right); /* undo */
			uint32_t len = b[i].right - b[i].left, mss = tcp_mss(tp);
			tp->dsack_dups += len > mss ? (len + mss - 1) / mss : 1;
		} else {
			news |= sack_news(tp, &b[i], th->ack);
			/* RFC 6675 §5 Update(); a block can only begin above the
			 * ACK (at it, the ACK would cover it). */
			if (seq_gt(b[i].left, th->ack))
				tcp_sb_update(s, tp, b[i].left, b[i].right);
		}
	}
	return news;
}
