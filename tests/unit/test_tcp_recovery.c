/*
 * tests/unit/test_tcp_recovery.c — the sender's SACK loss recovery,
 * segment by segment with explicit time: the scoreboard as SACK blocks,
 * D-SACKs, cumulative ACKs, reneging and the RTO change it (RFC 6675 §3-5,
 * RFC 2018 §8); the exact retransmissions of a recovery episode with two
 * holes (rules 1 and 4); PRR's sending pattern (RFC 6937: one segment for
 * every two delivered while pipe is above ssthresh) with limited transmit
 * (RFC 3042) before it; TCP_INFO's view.
 */
#include "tcp_fixture.h"

#define ACK TERN_TCP_ACK
#define M 1460u

static uint8_t payload[64 * 1460];

static void init_payload(void)
{
	fx_pattern(payload, sizeof(payload), 9);
}

/* Segment i of what the test wrote at U. */
#define SEGI(t, at, U, i)                                                                  \
	OUT((t), (at), .seq = (U) + (i) * M, .ack = (t)->peer, .flags = ACK,                \
	    .data = payload + (i) * M, .len = M)
/* The peer's ACK of everything below segment a, SACKing segments [l, r) (and
 * [l2, r2) if r2). */
#define SACK1(t, now, U, a, l, r)                                                          \
	IN((t), (now), .seq = (t)->peer, .ack = (U) + (a) * M, .flags = ACK,                \
	   .sack = {{(U) + (l) * M, (U) + (r) * M}})
#define SACK2(t, now, U, a, l, r, l2, r2)                                                  \
	IN((t), (now), .seq = (t)->peer, .ack = (U) + (a) * M, .flags = ACK,                \
	   .sack = {{(U) + (l) * M, (U) + (r) * M}, {(U) + (l2) * M, (U) + (r2) * M}})

/* Connection established (tcp_early_retrans as given), n segments
 * written at 100 ms and all sent. SRTT is 10 ms (the handshake's). */
static bool sent_n_cfg(struct tfx *t, unsigned n, uint32_t *U, unsigned early_retrans,
		       unsigned recovery)
{
	init_payload();
	tcp_fx_config(t);
	t->fx.cfg.tcp_early_retrans = early_retrans;
	t->fx.cfg.tcp_recovery = recovery;
	t->fx.cfg.tcp_congestion_control = "reno"; /* the tests count Reno's halving */
	if (!tcp_fx_passive_established(t))
		return false;
	*U = t->us;
	at_time(t, T_MS(100));
	if (tern_send(t->fx.s, t->sd, payload, n * M, 0) != (int)(n * M))
		return false;
	for (unsigned i = 0; i < n; i++)
		TRY_SEG(t, T_MS(100), &SEG(.seq = *U + i * M, .ack = t->peer, .flags = ACK,
					   .data = payload + i * M, .len = M));
	return true;
}
static bool sent_n(struct tfx *t, unsigned n, uint32_t *U)
{
	return sent_n_cfg(t, n, U, 3, 1);
}

/* ---- the scoreboard ---- */

/* Blocks merge into sorted disjoint ranges whatever order and overlap
 * they come in; a D-SACK and blocks of nothing we sent stay out; the
 * cumulative ACK trims them; none of it moves the data. */
TEST(scoreboard__blocks_merge_dsack_and_invalid_stay_out_ack_trims)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(sent_n_cfg(&t, 10, &U, 3, 0)); /* RFC 6675 alone: its rule 4 below */
	struct tern_tcb *tp = tfx_tcb(&t);
	REQUIRE(tp);
	/* Two ranges, the upper first. */
	SACK1(&t, T_MS(110), U, 0, 6, 7);
	SACK2(&t, T_MS(111), U, 0, 2, 3, 6, 7);
	REQUIRE_EQ(tp->sb_count, 2);
	CHECK_EQ(tp->sb[0].left, U + 2 * M);
	CHECK_EQ(tp->sb[1].left, U + 6 * M);
	CHECK_EQ(tp->sacked_bytes, 2 * M);
	/* One that overlaps both and one that touches the upper: one range,
	 * six segments SACKed above SND.UNA, so segments 0 and 1 are lost
	 * (RFC 6675 IsLost): recovery, segment 0 at once, 1 as PRR allows
	 * (pipe, two segments, is below ssthresh: PRR-SSRB), and the rescue
	 * of the highest unSACKed segment, 9. */
	IN(&t, T_MS(112), .seq = t.peer, .ack = U, .flags = ACK,
	   .sack = {{U + 2 * M + 100, U + 6 * M + 10}, {U + 7 * M, U + 8 * M}});
	REQUIRE_EQ(tp->sb_count, 1);
	CHECK_EQ(tp->sb[0].left, U + 2 * M);
	CHECK_EQ(tp->sb[0].right, U + 8 * M);
	CHECK_EQ(tp->sacked_bytes, 6 * M);
	CHECK_EQ(fx_stat(&t.fx, "tcp.sack_recovery"), 1);
	SEGI(&t, T_MS(112), U, 0);
	SEGI(&t, T_MS(112), U, 1);
	SEGI(&t, T_MS(112), U, 9);
	expect_no_seg(&t, T_MS(112));
	/* A D-SACK below the ACK, a block beyond SND.MAX: neither goes in. */
	IN(&t, T_MS(113), .seq = t.peer, .ack = U, .flags = ACK,
	   .sack = {{U - 100, U}, {U + 9 * M, U + 11 * M}});
	CHECK_EQ(tp->sb_count, 1);
	CHECK_EQ(tp->sacked_bytes, 6 * M);
	CHECK_EQ(fx_stat(&t.fx, "tcp.sack_discard"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_recv"), 1);
	struct tern_tcp_info ti = tcp_fx_info(&t);
	CHECK_EQ(ti.tcpi_sacked, 6);
	CHECK_EQ(ti.tcpi_ca_state, TCP_CA_RECOVERY);
	CHECK_EQ(ti.tcpi_retrans, 2);
	expect_no_seg(&t, T_MS(113));
	/* A cumulative ACK past a range takes it; one into the middle of a
	 * range says the receiver dropped the rest (it would have
	 * acknowledged it): reneging, the scoreboard is cleared. */
	SACK1(&t, T_MS(119), U, 1, 8, 9); /* ... with [8, 9) too */
	CHECK_EQ(tp->sb_count, 1);
	CHECK_EQ(tp->sb[0].right, U + 9 * M);
	CHECK_EQ(fx_stat(&t.fx, "tcp.sack_reneging"), 0);
	IN(&t, T_MS(120), .seq = t.peer, .ack = U + 4 * M, .flags = ACK);
	CHECK_EQ(tp->sb_count, 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.sack_reneging"), 1);
	fx_clear_tx(&t.fx); /* (what recovery resent meanwhile) */
	IN(&t, T_MS(130), .seq = t.peer, .ack = U + 10 * M, .flags = ACK);
	CHECK_EQ(tp->sb_count, 0);
	CHECK_EQ(tp->sacked_bytes, 0);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_OPEN);
	expect_no_seg(&t, T_MS(400));
	tcp_fx_finish(&t);
}

/* More ranges than the scoreboard holds: the highest ones are forgotten,
 * the rest stay exact. */
TEST(scoreboard__full__highest_forgotten)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	/* The data structure alone, on a tcb of its own: 2 * TCP_SB_MAX + 4
	 * segments in flight. */
	static struct tern_tcb tb;
	memset(&tb, 0, sizeof(tb));
	tb.t_maxseg = M;
	tb.snd_una = 0xfffff000u; /* across 2^32 */
	tb.snd_max = tb.snd_una + (2 * TCP_SB_MAX + 4) * M;
	tb.high_rxt = tb.rack_edge = tb.snd_una; /* nothing retransmitted, nothing lost by time */
	tcp_recovery_init(&tb);
	uint32_t U = tb.snd_una;
	/* Every odd segment, from the top down (each new block the lowest,
	 * so the one a full board forgets is an old one). */
	for (int i = 2 * TCP_SB_MAX + 3; i >= 1; i -= 2)
		tcp_sb_update(fx.s, &tb, U + (uint32_t)i * M, U + (uint32_t)(i + 1) * M);
	REQUIRE_EQ(tb.sb_count, TCP_SB_MAX);
	CHECK_EQ(tb.sb[0].left, U + 1 * M);
	CHECK_EQ(tb.sb[TCP_SB_MAX - 1].left, U + (2 * TCP_SB_MAX - 1) * M);
	CHECK_EQ(tb.sacked_bytes, TCP_SB_MAX * M);
	for (unsigned i = 1; i < tb.sb_count; i++)
		CHECK(seq_lt(tb.sb[i - 1].right, tb.sb[i].left));
	/* A block from below SND.UNA is stale (an old ACK's): ignored. */
	tcp_sb_update(fx.s, &tb, U - 5 * M, U + 3 * M);
	CHECK_EQ(tb.sb_count, TCP_SB_MAX);
	/* One that touches [1, 2) and [3, 4): merged. */
	tcp_sb_update(fx.s, &tb, U + 2 * M, U + 3 * M);
	CHECK_EQ(tb.sb[0].left, U + M);
	CHECK_EQ(tb.sb[0].right, U + 4 * M);
	CHECK_EQ(tb.sb_count, TCP_SB_MAX - 1);
	/* One over everything past SND.MAX: cut to it, one range. */
	tcp_sb_update(fx.s, &tb, U + 1, tb.snd_max + 100);
	CHECK_EQ(tb.sb_count, 1);
	CHECK_EQ(tb.sacked_bytes, tb.snd_max - U - 1);
	CHECK_EQ(tcp_sb_pipe(&tb), 0); /* one octet unSACKed, lost */
	tcp_sb_clear(&tb);
	CHECK_EQ(tb.sb_count, 0);
	CHECK_EQ(tcp_sb_pipe(&tb), tb.snd_max - U);
	fx_finish(&fx);
}

/* RFC 2018 §8: a receiver may discard what it SACKed. A cumulative ACK
 * that stops at a SACKed range's left edge shows it: the scoreboard is
 * cleared (nothing was freed: the data is resent from the ring), as is
 * it on an RTO (RFC 6675 §5.1). */
TEST(scoreboard__reneging_and_rto_clear_it)
{
	struct tfx t;
	uint32_t U;
	/* no tail loss probe and no RACK (its timer would find segment 2
	 * lost at 112.5 ms): the RTO itself */
	REQUIRE(sent_n_cfg(&t, 4, &U, 0, 0));
	struct tern_tcb *tp = tfx_tcb(&t);
	REQUIRE(tp);
	SACK1(&t, T_MS(110), U, 0, 2, 3);
	CHECK_EQ(tp->sb_count, 1);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_DISORDER);
	/* Segments 0 and 1 arrive, the receiver drops segment 2. */
	IN(&t, T_MS(111), .seq = t.peer, .ack = U + 2 * M, .flags = ACK);
	CHECK_EQ(tp->sb_count, 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.sack_reneging"), 1);
	SACK1(&t, T_MS(112), U, 2, 3, 4);
	CHECK_EQ(tp->sb_count, 1);
	/* The RTO (200 ms floor + SRTT) forgets it and resends segment 2,
	 * which the ring still holds. */
	tern_time_t rto = tp->deadline[TCPT_RXT];
	SEGI(&t, rto, U, 2);
	CHECK_EQ(tp->sb_count, 0);
	struct tern_tcp_info ti = tcp_fx_info(&t);
	CHECK_EQ(ti.tcpi_ca_state, TCP_CA_LOSS);
	CHECK_EQ(ti.tcpi_sacked, 0);
	/* Segment 3 was SACKed again meanwhile: go-back-N skips it. */
	SACK1(&t, rto + T_MS(1), U, 2, 3, 4);
	IN(&t, rto + T_MS(2), .seq = t.peer, .ack = U + 4 * M, .flags = ACK);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_OPEN);
	CHECK_EQ(fx_stat(&t.fx, "tcp.slow_start_retrans"), 1);
	expect_no_seg(&t, rto + T_SEC(2));
	tcp_fx_finish(&t);
}

/* ---- a recovery episode ---- */

/* Ten segments; 1 and 5 are lost. The third SACK makes segment 1 lost
 * (three segments SACKed above it): recovery, its retransmission at once.
 * Segment 5 becomes lost once three segments above it are SACKed, and PRR
 * then lets it go (rule 1) and the rescue of the highest unSACKed segment,
 * 9 (rule 4). Nothing else is resent. RFC 6675 alone (tcp_recovery 0):
 * RACK would mark segment 5 lost one ACK earlier, by time. */
TEST(recovery__two_holes__exact_retransmissions)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(sent_n_cfg(&t, 10, &U, 3, 0));
	IN(&t, T_MS(110), .seq = t.peer, .ack = U + M, .flags = ACK);
	SACK1(&t, T_MS(111), U, 1, 2, 3);
	SACK1(&t, T_MS(112), U, 1, 2, 4);
	expect_no_seg(&t, T_MS(112));
	SACK1(&t, T_MS(113), U, 1, 2, 5);
	SEGI(&t, T_MS(113), U, 1);
	expect_no_seg(&t, T_MS(113));
	CHECK_EQ(fx_stat(&t.fx, "tcp.sack_recovery"), 1);
	struct tern_tcp_info ti = tcp_fx_info(&t);
	CHECK_EQ(ti.tcpi_ca_state, TCP_CA_RECOVERY);
	CHECK_EQ(ti.tcpi_sacked, 3);
	CHECK_EQ(ti.tcpi_lost, 1);
	CHECK_EQ(ti.tcpi_retrans, 1);
	/* ssthresh: half of the 9 segments in flight (RFC 5681 eq. 4). */
	CHECK_EQ(tfx_tcb(&t)->snd_ssthresh, 9 * M / 2);
	SACK2(&t, T_MS(114), U, 1, 6, 7, 2, 5);
	SACK2(&t, T_MS(115), U, 1, 6, 8, 2, 5);
	expect_no_seg(&t, T_MS(115));
	SACK2(&t, T_MS(116), U, 1, 6, 9, 2, 5);
	SEGI(&t, T_MS(116), U, 5);
	SEGI(&t, T_MS(116), U, 9);
	expect_no_seg(&t, T_MS(116));
	ti = tcp_fx_info(&t);
	CHECK_EQ(ti.tcpi_sacked, 6);
	CHECK_EQ(ti.tcpi_lost, 2);
	CHECK_EQ(ti.tcpi_retrans, 2);
	/* Segment 1's retransmission arrives; then 5's and 9's. */
	SACK1(&t, T_MS(123), U, 5, 6, 9);
	expect_no_seg(&t, T_MS(123));
	IN(&t, T_MS(126), .seq = t.peer, .ack = U + 10 * M, .flags = ACK);
	ti = tcp_fx_info(&t);
	CHECK_EQ(ti.tcpi_ca_state, TCP_CA_OPEN);
	CHECK_EQ(ti.tcpi_snd_cwnd, 9 / 2); /* cwnd = ssthresh, in segments */
	CHECK_EQ(ti.tcpi_total_retrans, 3);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fast_retransmits"), 3);
	CHECK_EQ(fx_stat(&t.fx, "tcp.timeouts"), 0);
	expect_no_seg(&t, T_MS(600));
	tcp_fx_finish(&t);
}

/* RFC 6937's example: with Reno's ssthresh of half the flight, PRR sends
 * one segment for every two the receiver gets while pipe is above
 * ssthresh, instead of nothing for half a round trip and then a burst
 * (RFC 6675 alone) or one for every ACK. Before recovery, limited
 * transmit (RFC 3042) sends a new segment on each of the first two
 * duplicate ACKs. */
TEST(prr__one_segment_per_two_delivered)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(sent_n(&t, 10, &U));
	/* Slow start: ten ACKs take cwnd to 20 segments, each sending two. */
	at_time(&t, T_MS(101));
	REQUIRE_EQ(tern_send(t.fx.s, t.sd, payload + 10 * M, 26 * M, 0), (int)(26 * M));
	for (unsigned i = 0; i < 10; i++) {
		IN(&t, T_MS(110) + i, .seq = t.peer, .ack = U + (i + 1) * M, .flags = ACK);
		SEGI(&t, T_MS(110) + i, U, 10 + 2 * i);
		SEGI(&t, T_MS(110) + i, U, 11 + 2 * i);
	}
	CHECK_EQ(tcp_fx_info(&t).tcpi_snd_cwnd, 20);
	/* Segment 10 is lost; 11, 12, ... arrive, one per ACK. */
	tern_time_t now = T_MS(130);
	SACK1(&t, now, U, 10, 11, 12);
	SEGI(&t, now, U, 30); /* limited transmit */
	SACK1(&t, now + 1, U, 10, 11, 13);
	SEGI(&t, now + 1, U, 31);
	SACK1(&t, now + 2, U, 10, 11, 14);
	SEGI(&t, now + 2, U, 10); /* recovery: the retransmission */
	CHECK_EQ(tfx_tcb(&t)->snd_ssthresh, 11 * M); /* half of 22 */
	/* From here PRR: ceil(delivered * ssthresh / RecoverFS) - out, 11/22. */
	unsigned next = 32;
	for (unsigned k = 4; k <= 12; k++) {
		SACK1(&t, now + k, U, 10, 11, 11 + k);
		if (k % 2 == 0 && k >= 6) { /* 4: ceil(2 * 11 / 22) - 1 = 0; 5: half a segment */
			SEGI(&t, now + k, U, next);
			next++;
		}
		expect_no_seg(&t, now + k);
	}
	CHECK_EQ(next, 36);
	struct tern_tcb *tp = tfx_tcb(&t);
	CHECK(tcp_sb_pipe(tp) > tp->snd_ssthresh); /* still the proportional part */
	CHECK_EQ(tp->prr_out, 5 * M);
	CHECK_EQ(tp->prr_delivered, 10 * M);
	IN(&t, now + T_MS(20), .seq = t.peer, .ack = U + 36 * M, .flags = ACK);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_OPEN);
	CHECK_EQ(tp->snd_cwnd, tp->snd_ssthresh);
	expect_no_seg(&t, now + T_SEC(1));
	tcp_fx_finish(&t);
}

/* A peer without SACK keeps NewReno: the third duplicate ACK resends
 * SND.UNA, counted as Reno recovery. */
TEST(recovery__no_sack__newreno)
{
	struct tfx t;
	uint32_t U;
	init_payload();
	tcp_fx_config(&t);
	t.fx.cfg.tcp_sack = false;
	REQUIRE(tcp_fx_passive_established(&t));
	U = t.us;
	SEND(&t, T_MS(100), payload, 5 * M);
	for (unsigned i = 0; i < 5; i++)
		SEGI(&t, T_MS(100), U, i);
	for (unsigned i = 0; i < 3; i++)
		IN(&t, T_MS(110) + i, .seq = t.peer, .ack = U, .flags = ACK);
	SEGI(&t, T_MS(110) + 2, U, 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.reno_recovery"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.sack_recovery"), 0);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_RECOVERY);
	IN(&t, T_MS(120), .seq = t.peer, .ack = U + 5 * M, .flags = ACK);
	expect_no_seg(&t, T_MS(600));
	tcp_fx_finish(&t);
}

/* ---- RACK-TLP (RFC 8985) ---- */

/* §7.2: with the tail lost, the probe timeout of 2·SRTT (SRTT 10 ms, the
 * handshake's) fires before the RTO and, with no new data, resends the
 * last segment. Its SACK makes RACK mark the first segment lost (sent 30
 * ms earlier, more than RACK.rtt + min_RTT / 4 before): recovery resends
 * it at once, no RTO. */
TEST(tlp__fires_at_two_srtt__then_rack_repairs_the_tail)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(sent_n(&t, 2, &U));
	expect_no_seg(&t, T_MS(120) - 1);
	SEGI(&t, T_MS(120), U, 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.loss_probes"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.timeouts"), 0);
	SACK1(&t, T_MS(130), U, 0, 1, 2);
	SEGI(&t, T_MS(130), U, 0);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_RECOVERY);
	CHECK_EQ(fx_stat(&t.fx, "tcp.sack_recovery"), 1);
	IN(&t, T_MS(140), .seq = t.peer, .ack = U + 2 * M, .flags = ACK);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_OPEN);
	expect_no_seg(&t, T_MS(700));
	CHECK_EQ(fx_stat(&t.fx, "tcp.timeouts"), 0);
	tcp_fx_finish(&t);
}

/* §7.3: data waits that the receiver's window does not take: the probe
 * resends the last segment sent (not past SND.MAX; fuzz_tcp found it),
 * and no sliver of new data squeezes into the window's last octets. */
TEST(tlp__window_shut__resends_last_sent)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(sent_n(&t, 2, &U));
	/* 23 << 7 = 2944 octets: the two segments and 24 more. */
	IN(&t, T_MS(105), .seq = t.peer, .ack = U, .flags = ACK, W(23));
	at_time(&t, T_MS(106));
	REQUIRE_EQ(tern_send(t.fx.s, t.sd, payload + 2 * M, M, 0), (int)M);
	expect_no_seg(&t, T_MS(126) - 1);
	SEGI(&t, T_MS(126), U, 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.loss_probes"), 1);
	IN(&t, T_MS(130), .seq = t.peer, .ack = U + 2 * M, .flags = ACK, .sack = {{U + M, U + 2 * M}});
	SEGI(&t, T_MS(130), U, 2);
	IN(&t, T_MS(140), .seq = t.peer, .ack = U + 3 * M, .flags = ACK);
	expect_no_seg(&t, T_MS(700));
	tcp_fx_finish(&t);
}

/* §7.2: one segment in flight adds the worst-case delayed ACK (200 ms),
 * and the probe never goes later than the RTO: here the RTO (SRTT 10 ms
 * + the 200 ms floor) comes first and resends it. */
TEST(tlp__one_segment__not_beyond_the_rto)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(sent_n(&t, 1, &U));
	expect_no_seg(&t, T_MS(310) - 1);
	SEGI(&t, T_MS(310), U, 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.loss_probes"), 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.timeouts"), 1);
	IN(&t, T_MS(320), .seq = t.peer, .ack = U + M, .flags = ACK);
	tcp_fx_finish(&t);
}

/* §6.2: a segment SACKed above an older one makes the older one lost only
 * once RACK.rtt + reo_wnd (min_RTT / 4 = 2.5 ms) have passed since it was
 * sent: ACKs at 12 ms leave it, and RACK's timer (§6.3) resends it at
 * 12.5 ms, when it is, without waiting for another ACK. A D-SACK then
 * shows the resend was spurious (it was reordered): the window doubles
 * (§6.2 step 4). The ACKs change the window, so none is a duplicate ACK
 * and DupThresh plays no part. */
TEST(rack__reordering_window)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(sent_n(&t, 2, &U));
	struct tern_tcb *tp = tfx_tcb(&t);
	REQUIRE(tp);
	IN(&t, T_MS(110), .seq = t.peer, .ack = U, .flags = ACK, .sack = {{U + M, U + 2 * M}});
	CHECK_EQ(tcp_rack_reo_wnd(tp), TERN_USEC(2500));
	expect_no_seg(&t, T_MS(110));
	IN(&t, T_MS(112), .seq = t.peer, .ack = U, .flags = ACK, W(T_PEER_WIN + 1),
	   .sack = {{U + M, U + 2 * M}});
	IN(&t, T_MS(112) + TERN_USEC(499), .seq = t.peer, .ack = U, .flags = ACK, W(T_PEER_WIN + 2),
	   .sack = {{U + M, U + 2 * M}});
	expect_no_seg(&t, T_MS(112) + TERN_USEC(499));
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_DISORDER);
	SEGI(&t, T_MS(112) + TERN_USEC(500), U, 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.rack_reo_timeouts"), 1);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_RECOVERY);
	/* The original was only late: both arrive, the second as a D-SACK. */
	IN(&t, T_MS(115), .seq = t.peer, .ack = U + 2 * M, .flags = ACK, W(T_PEER_WIN + 3),
	   .sack = {{U, U + M}});
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_recv"), 1);
	CHECK(tp->rack_reord);
	CHECK_EQ(tcp_rack_reo_wnd(tp), TERN_MSEC(5));
	/* Its one retransmission D-SACKed: the recovery was needless, the
	 * window as before it (10 segments, no ssthresh). */
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_undo"), 1);
	CHECK_EQ(tp->snd_cwnd, 10 * M);
	CHECK_EQ(tp->snd_ssthresh, UINT32_MAX);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_OPEN);
	t.peer_win = T_PEER_WIN + 3;
	expect_no_seg(&t, T_MS(700));
	tcp_fx_finish(&t);
}

TEST_MAIN()
