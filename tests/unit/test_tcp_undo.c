/*
 * tests/unit/test_tcp_undo.c — undoing a reduction that proves spurious
 * (tcp_undo.c), segment by segment with explicit time: a retransmission
 * timeout found spurious by timestamps (RFC 3522, Eifel) or by F-RTO
 * without them (RFC 5682 §2.1), and genuine ones left alone; fast
 * recovery undone on a partial ACK or at its end when timestamps show
 * the hole was filled by an original (Linux's partial and full undo),
 * with SACK (RFC 6675) and without (NewReno, RFC 6582),
 * but not while another retransmission is in flight; a timeout inside
 * fast recovery or a repeated one undone to the window before the
 * episode; a D-SACK of the timeout's retransmission; tcp_frto = 0; the
 * UNDO trace event. CUBIC's own state under its undo hook is
 * test_tcp_cubic's.
 *
 * The peer is silent until the RTO (SRTT 10 ms from the handshake: the
 * RTO is at 310 ms); what it then says is the test's choice.
 */
#include "tcp_fixture.h"
#include "transport/tcp_cc.h"

#define ACK TERN_TCP_ACK

static uint8_t payload[64 * 1460];
static uint32_t M; /* the payload of a full segment: 1448 with timestamps */

/* Segment i of what the test wrote at U, as we send it. */
#define SEGI(t, at, U, i)                                                                  \
	OUT((t), (at), .seq = (U) + (i) * M, .ack = (t)->peer, .flags = ACK,                \
	    .data = payload + (i) * M, .len = M)
/* The peer's ACK of everything below segment a, echoing TSecr ecr. */
#define ACK_TS(t, now, U, a, ecr)                                                          \
	IN((t), (now), .seq = (t)->peer, .ack = (U) + (a) * M, .flags = ACK, .ts = true,    \
	   .tsval = peer_tsval((t), (now)), .tsecr = (ecr))
#define ACK_SEG(t, now, U, a) IN((t), (now), .seq = (t)->peer, .ack = (U) + (a) * M, .flags = ACK)

struct cfg {
	bool ts, sack;
	unsigned frto, recovery;
	const char *cc;
};

/* The trace hook's events (tern_tcp_set_trace), the last 64. */
struct evlog {
	unsigned n;
	struct tern_tcp_trace_event ev[64];
};
static void ev_log(void *ctx, struct tern_stack *s, const struct tern_tcp_trace_event *ev)
{
	(void)s;
	struct evlog *l = ctx;
	l->ev[l->n++ % 64] = *ev;
}

/* Established (no tail loss probes: the timeout itself), `write`
 * segments written at 100 ms and the first `sent` of them seen leaving. */
static bool setup(struct tfx *t, uint32_t *U, const struct cfg *c, unsigned write, unsigned sent)
{
	fx_pattern(payload, sizeof(payload), 9);
	tcp_fx_config(t);
	t->fx.cfg.tcp_early_retrans = 0;
	t->fx.cfg.tcp_recovery = c->recovery;
	t->fx.cfg.tcp_frto = c->frto;
	t->fx.cfg.tcp_sack = c->sack;
	t->fx.cfg.tcp_congestion_control = c->cc;
	if (!tcp_fx_passive_established_opt(t, c->ts))
		return false;
	M = c->ts ? T_PEER_MSS - 12 : T_PEER_MSS;
	*U = t->us;
	at_time(t, T_MS(100));
	if (tern_send(t->fx.s, t->sd, payload, write * M, 0) != (int)(write * M))
		return false;
	for (unsigned i = 0; i < sent; i++)
		TRY_SEG(t, T_MS(100), &SEG(.seq = *U + i * M, .ack = t->peer, .flags = ACK,
					   .data = payload + i * M, .len = M));
	return true;
}

/* The peer acknowledges whatever is sent, each millisecond, until all of
 * it is (what goes out meanwhile is not looked at). */
static void drain(struct tfx *t, tern_time_t now)
{
	struct tern_tcb *tp = tfx_tcb(t);
	for (int i = 0; i < 64 && tp && (tp->snd_una != tp->snd_max || tern_ring_len(&tp->snd));
	     i++) {
		now += T_MS(1);
		IN(t, now, .seq = t->peer, .ack = tp->snd_max, .flags = ACK);
		fx_clear_tx(&t->fx);
	}
	CHECK(tp && tp->snd_una == tp->snd_max);
	expect_no_seg(t, now + T_SEC(1));
}

/* ---- Eifel (RFC 3522) after a timeout ---- */

/* Ten segments out, the RTO resends the first. The ACK that comes echoes
 * the TSval of the originals (sent at 100 ms), older than the
 * retransmission's: they were only late. The window is as before the
 * timeout, counted as a loss undo and a spurious RTO, and sending goes on
 * with new data (segments 10 and 11), not with the rest of the flight. */
static void eifel_spurious(const char *cc)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(setup(&t, &U, &(struct cfg){.ts = true, .sack = true, .frto = 2, .recovery = 1,
					     .cc = cc}, 12, 10));
	struct tern_tcb *tp = tfx_tcb(&t);
	REQUIRE(tp);
	uint32_t cwnd0 = tp->snd_cwnd, ssthresh0 = tp->snd_ssthresh;
	tern_time_t rto = tp->deadline[TCPT_RXT];
	SEGI(&t, rto, U, 0);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_LOSS);
	CHECK_EQ(tp->snd_cwnd, M);
	static struct evlog evs;
	memset(&evs, 0, sizeof(evs));
	REQUIRE_EQ(tern_tcp_set_trace(t.fx.s, t.sd, ev_log, &evs), 0);
	ACK_TS(&t, rto + T_MS(5), U, 4, our_tsval(&t, T_MS(100)));
	/* The trace: the ACK, the undo with the window restored, then what
	 * it changed (ssthresh before cwnd, as every sync reports). */
	unsigned i = 0;
	while (i < evs.n && evs.ev[i].kind != TERN_TCP_TRACE_UNDO)
		i++;
	REQUIRE(i + 2 < evs.n);
	CHECK_EQ(evs.ev[0].kind, TERN_TCP_TRACE_ACK_RCVD);
	CHECK_EQ(evs.ev[i].undo, TERN_TCP_UNDO_LOSS);
	CHECK_EQ(evs.ev[i].cwnd, cwnd0);
	CHECK_EQ(evs.ev[i].ssthresh, ssthresh0);
	CHECK_EQ(evs.ev[i].time, rto + T_MS(5));
	CHECK_EQ(evs.ev[i + 1].kind, TERN_TCP_TRACE_SSTHRESH);
	CHECK_EQ(evs.ev[i + 2].kind, TERN_TCP_TRACE_CWND);
	CHECK_EQ(evs.ev[i + 2].cwnd, cwnd0);
	REQUIRE_EQ(tern_tcp_set_trace(t.fx.s, t.sd, NULL, NULL), 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.spurious_rtos"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.loss_undo"), 1);
	CHECK_EQ(tp->snd_cwnd, cwnd0);
	CHECK_EQ(tp->snd_ssthresh, ssthresh0);
	struct tern_tcp_info ti = tcp_fx_info(&t);
	CHECK_EQ(ti.tcpi_ca_state, TCP_CA_OPEN);
	CHECK_EQ(ti.tcpi_snd_cwnd, 10);
	SEGI(&t, rto + T_MS(5), U, 10);
	SEGI(&t, rto + T_MS(5), U, 11);
	expect_no_seg(&t, rto + T_MS(5));
	drain(&t, rto + T_MS(10));
	CHECK_EQ(tcp_fx_info(&t).tcpi_total_retrans, 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.slow_start_retrans"), 1);
	tcp_fx_finish(&t);
}

TEST(eifel__spurious_rto__window_restored__new_data_next)
{
	eifel_spurious("reno");
}

/* The same with CUBIC: its module restores the window through its undo
 * hook (the curve: test cubic__undo_restores_the_curve). */
TEST(eifel__spurious_rto__cubic)
{
	eifel_spurious("cubic");
}

/* A genuine timeout: the ACK echoes the retransmission's own TSval (the
 * retransmission filled the hole). Nothing is undone: slow start from
 * one segment resends the rest (go-back-N), two segments on this ACK. */
TEST(eifel__genuine_rto__no_undo)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(setup(&t, &U, &(struct cfg){.ts = true, .sack = true, .frto = 2, .recovery = 1,
					     .cc = "reno"}, 12, 10));
	struct tern_tcb *tp = tfx_tcb(&t);
	REQUIRE(tp);
	tern_time_t rto = tp->deadline[TCPT_RXT];
	SEGI(&t, rto, U, 0);
	uint32_t ssthresh = tp->snd_ssthresh;
	ACK_TS(&t, rto + T_MS(5), U, 1, our_tsval(&t, rto));
	CHECK_EQ(fx_stat(&t.fx, "tcp.spurious_rtos"), 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.loss_undo"), 0);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_LOSS);
	CHECK_EQ(tp->snd_cwnd, 2 * M);
	CHECK_EQ(tp->snd_ssthresh, ssthresh);
	SEGI(&t, rto + T_MS(5), U, 1);
	SEGI(&t, rto + T_MS(5), U, 2);
	expect_no_seg(&t, rto + T_MS(5));
	/* Only the first acceptable ACK decides (RFC 3522 §3.2): an older
	 * TSecr later changes nothing. */
	ACK_TS(&t, rto + T_MS(6), U, 2, our_tsval(&t, T_MS(100)));
	CHECK_EQ(fx_stat(&t.fx, "tcp.loss_undo"), 0);
	fx_clear_tx(&t.fx);
	drain(&t, rto + T_MS(10));
	tcp_fx_finish(&t);
}

/* ---- D-SACK after a timeout ---- */

/* The peer had segment 0 all along: its ACK of the originals (0 and 1)
 * reports the retransmission as a duplicate (RFC 2883). The timeout's
 * only retransmission D-SACKed: undone as a loss undo, new data next. */
TEST(dsack__rto_retransmission_reported_twice__loss_undo)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(setup(&t, &U, &(struct cfg){.sack = true, .frto = 2, .recovery = 1, .cc = "reno"},
		      12, 10));
	struct tern_tcb *tp = tfx_tcb(&t);
	REQUIRE(tp);
	tern_time_t rto = tp->deadline[TCPT_RXT];
	SEGI(&t, rto, U, 0);
	IN(&t, rto + T_MS(5), .seq = t.peer, .ack = U + 2 * M, .flags = ACK, .sack = {{U, U + M}});
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_recv"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.loss_undo"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.spurious_rtos"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_undo"), 0);
	CHECK_EQ(tp->snd_cwnd, 10 * M);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_OPEN);
	SEGI(&t, rto + T_MS(5), U, 10);
	SEGI(&t, rto + T_MS(5), U, 11);
	expect_no_seg(&t, rto + T_MS(5));
	drain(&t, rto + T_MS(10));
	tcp_fx_finish(&t);
}

/* ---- F-RTO (RFC 5682 §2.1) without timestamps ---- */

/* Spurious: the first ACK after the retransmission advances SND.UNA
 * (segments 0 and 1, the originals): step 2b sends two new segments
 * instead of resending. The second advances it again (3b): the timeout
 * was spurious, the window is restored and new data follows. */
TEST(frto__two_acks_advance__new_data__undo)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(setup(&t, &U, &(struct cfg){.sack = true, .frto = 2, .recovery = 1, .cc = "reno"},
		      14, 10));
	struct tern_tcb *tp = tfx_tcb(&t);
	REQUIRE(tp);
	tern_time_t rto = tp->deadline[TCPT_RXT];
	SEGI(&t, rto, U, 0);
	ACK_SEG(&t, rto + T_MS(5), U, 2);
	SEGI(&t, rto + T_MS(5), U, 10);
	SEGI(&t, rto + T_MS(5), U, 11);
	expect_no_seg(&t, rto + T_MS(5));
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_LOSS);
	CHECK_EQ(fx_stat(&t.fx, "tcp.loss_undo"), 0);
	ACK_SEG(&t, rto + T_MS(6), U, 4);
	CHECK_EQ(fx_stat(&t.fx, "tcp.spurious_rtos"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.loss_undo"), 1);
	CHECK_EQ(tp->snd_cwnd, 10 * M);
	CHECK_EQ(tp->snd_ssthresh, UINT32_MAX);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_OPEN);
	/* 8 segments in flight, cwnd 10: two more, new ones. */
	SEGI(&t, rto + T_MS(6), U, 12);
	SEGI(&t, rto + T_MS(6), U, 13);
	expect_no_seg(&t, rto + T_MS(6));
	drain(&t, rto + T_MS(10));
	CHECK_EQ(tcp_fx_info(&t).tcpi_total_retrans, 1);
	tcp_fx_finish(&t);
}

/* The timeout repeats (backed off) before any ACK: F-RTO starts again
 * at step 1 on the same SND.UNA (as Linux), and its undo restores the
 * window of before the first timeout. */
TEST(frto__repeated_timeout__undo_to_before_the_first)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(setup(&t, &U, &(struct cfg){.sack = true, .frto = 2, .recovery = 1, .cc = "reno"},
		      14, 10));
	struct tern_tcb *tp = tfx_tcb(&t);
	REQUIRE(tp);
	SEGI(&t, tp->deadline[TCPT_RXT], U, 0);
	tern_time_t rto2 = tp->deadline[TCPT_RXT];
	SEGI(&t, rto2, U, 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.timeouts"), 2);
	ACK_SEG(&t, rto2 + T_MS(5), U, 2);
	SEGI(&t, rto2 + T_MS(5), U, 10);
	SEGI(&t, rto2 + T_MS(5), U, 11);
	ACK_SEG(&t, rto2 + T_MS(6), U, 4);
	CHECK_EQ(fx_stat(&t.fx, "tcp.spurious_rtos"), 1);
	CHECK_EQ(tp->snd_cwnd, 10 * M);
	CHECK_EQ(tp->snd_ssthresh, UINT32_MAX);
	SEGI(&t, rto2 + T_MS(6), U, 12);
	SEGI(&t, rto2 + T_MS(6), U, 13);
	expect_no_seg(&t, rto2 + T_MS(6));
	drain(&t, rto2 + T_MS(10));
	tcp_fx_finish(&t);
}

/* Genuine: the whole flight was lost. The first ACK acknowledges the
 * retransmission: two new segments go (step 2b); the peer answers them
 * with a duplicate ACK (3a): the conventional recovery, go-back-N from
 * SND.UNA in slow start. With SACK the duplicate carries the new
 * segments' block; without, it is a plain duplicate. */
static void frto_genuine(bool sack)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(setup(&t, &U, &(struct cfg){.sack = sack, .frto = 2, .recovery = 1, .cc = "reno"},
		      14, 10));
	struct tern_tcb *tp = tfx_tcb(&t);
	REQUIRE(tp);
	tern_time_t rto = tp->deadline[TCPT_RXT];
	SEGI(&t, rto, U, 0);
	ACK_SEG(&t, rto + T_MS(5), U, 1);
	SEGI(&t, rto + T_MS(5), U, 10);
	SEGI(&t, rto + T_MS(5), U, 11);
	expect_no_seg(&t, rto + T_MS(5));
	if (sack)
		IN(&t, rto + T_MS(6), .seq = t.peer, .ack = U + M, .flags = ACK,
		   .sack = {{U + 10 * M, U + 11 * M}});
	else
		ACK_SEG(&t, rto + T_MS(6), U, 1);
	SEGI(&t, rto + T_MS(6), U, 1);
	SEGI(&t, rto + T_MS(6), U, 2);
	expect_no_seg(&t, rto + T_MS(6));
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_LOSS);
	CHECK(tp->snd_cwnd <= 3 * M);
	CHECK_EQ(fx_stat(&t.fx, "tcp.loss_undo"), 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.spurious_rtos"), 0);
	drain(&t, rto + T_MS(10));
	CHECK_EQ(fx_stat(&t.fx, "tcp.loss_undo"), 0);
	tcp_fx_finish(&t);
}

TEST(frto__duplicate_ack__conventional_recovery)
{
	frto_genuine(true);
}

TEST(frto__duplicate_ack__conventional_recovery__no_sack)
{
	frto_genuine(false);
}

/* Step 2a: a duplicate ACK first means the conventional recovery at once. */
TEST(frto__first_ack_duplicate__go_back_n)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(setup(&t, &U, &(struct cfg){.sack = true, .frto = 2, .recovery = 1, .cc = "reno"},
		      14, 10));
	struct tern_tcb *tp = tfx_tcb(&t);
	REQUIRE(tp);
	tern_time_t rto = tp->deadline[TCPT_RXT];
	SEGI(&t, rto, U, 0);
	IN(&t, rto + T_MS(5), .seq = t.peer, .ack = U, .flags = ACK, .sack = {{U + 5 * M, U + 6 * M}});
	expect_no_seg(&t, rto + T_MS(5));
	CHECK_EQ(tp->frto, TCP_FRTO_OFF);
	ACK_SEG(&t, rto + T_MS(6), U, 1);
	SEGI(&t, rto + T_MS(6), U, 1);
	SEGI(&t, rto + T_MS(6), U, 2);
	ACK_SEG(&t, rto + T_MS(7), U, 3);
	CHECK_EQ(fx_stat(&t.fx, "tcp.loss_undo"), 0);
	fx_clear_tx(&t.fx);
	drain(&t, rto + T_MS(10));
	tcp_fx_finish(&t);
}

/* tcp_frto = 0: the same spurious timeout as above goes unnoticed: the
 * first ACK is followed by go-back-N retransmissions, nothing undone. */
TEST(frto__sysctl_off__go_back_n)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(setup(&t, &U, &(struct cfg){.sack = true, .frto = 0, .recovery = 1, .cc = "reno"},
		      14, 10));
	struct tern_tcb *tp = tfx_tcb(&t);
	REQUIRE(tp);
	tern_time_t rto = tp->deadline[TCPT_RXT];
	SEGI(&t, rto, U, 0);
	ACK_SEG(&t, rto + T_MS(5), U, 2);
	SEGI(&t, rto + T_MS(5), U, 2);
	SEGI(&t, rto + T_MS(5), U, 3);
	expect_no_seg(&t, rto + T_MS(5));
	ACK_SEG(&t, rto + T_MS(6), U, 4);
	CHECK_EQ(fx_stat(&t.fx, "tcp.loss_undo"), 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.spurious_rtos"), 0);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_LOSS);
	fx_clear_tx(&t.fx);
	drain(&t, rto + T_MS(10));
	tcp_fx_finish(&t);
}

/* ---- fast recovery with timestamps ---- */

/* Segment 1 is late, not lost: SACKs of 2, 3 and 4 start recovery, which
 * resends it at 113 ms (RFC 6675 alone, tcp_recovery 0: no RACK timer).
 * Slow start (10, 11) and limited transmit (12, 13) sent new data
 * meanwhile; 14 and 15 wait. Every ACK so far echoes the originals'
 * TSval. */
static bool recovery_begun(struct tfx *t, uint32_t *U, const char *cc)
{
	if (!setup(t, U, &(struct cfg){.ts = true, .sack = true, .frto = 2, .recovery = 0, .cc = cc},
		   16, 10))
		return false;
	uint32_t u = *U, old = our_tsval(t, T_MS(100));
	IN(t, T_MS(110), .seq = t->peer, .ack = u + M, .flags = ACK, .ts = true,
	   .tsval = peer_tsval(t, T_MS(110)), .tsecr = old);
	for (unsigned i = 10; i <= 13; i++) {
		if (i >= 12) /* the first two duplicate ACKs: limited transmit */
			IN(t, T_MS(99) + T_MS(i), .seq = t->peer, .ack = u + M, .flags = ACK,
			   .ts = true, .tsval = peer_tsval(t, T_MS(99) + T_MS(i)), .tsecr = old,
			   .sack = {{u + 2 * M, u + (i - 9) * M}});
		TRY_SEG(t, i < 12 ? T_MS(110) : T_MS(99) + T_MS(i),
			&SEG(.seq = u + i * M, .ack = t->peer, .flags = ACK, .data = payload + i * M,
			     .len = M));
	}
	/* The third: segment 1 is lost (RFC 6675 IsLost), resent at once. */
	IN(t, T_MS(113), .seq = t->peer, .ack = u + M, .flags = ACK, .ts = true,
	   .tsval = peer_tsval(t, T_MS(113)), .tsecr = old, .sack = {{u + 2 * M, u + 5 * M}});
	TRY_SEG(t, T_MS(113), &SEG(.seq = u + M, .ack = t->peer, .flags = ACK, .data = payload + M,
				   .len = M));
	/* ssthresh: half (Reno), 0.7 (CUBIC) of the 13 segments in flight */
	uint32_t ssthresh = strcmp(cc, "cubic") == 0 ? 13 * M * 7 / 10 : 13 * M / 2;
	return t->fx.nframes == 0 && tcp_fx_info(t).tcpi_ca_state == TCP_CA_RECOVERY &&
	       tfx_tcb(t)->snd_ssthresh == ssthresh;
}

/* After an undo at 115 ms: the window as before the recovery (11
 * segments, no ssthresh), Open, and the two segments waiting go at once. */
static void undone__new_data_next(struct tfx *t, uint32_t U)
{
	struct tern_tcb *tp = tfx_tcb(t);
	CHECK_EQ(tp->snd_cwnd, 11 * M);
	CHECK_EQ(tp->snd_ssthresh, UINT32_MAX);
	CHECK_EQ(tcp_fx_info(t).tcpi_ca_state, TCP_CA_OPEN);
	SEGI(t, T_MS(115), U, 14);
	SEGI(t, T_MS(115), U, 15);
	expect_no_seg(t, T_MS(115));
	drain(t, T_MS(120));
	tcp_fx_finish(t);
}

/* The original of segment 1 arrives: a partial ACK (to 5) whose TSecr
 * predates the retransmission, none of which is left in flight. The
 * recovery is undone there (the window as at its start: 11 segments, no
 * ssthresh) and new data goes on: 14 and 15. */
TEST(recovery__partial_ack_echoes_original__partial_undo)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(recovery_begun(&t, &U, "reno"));
	struct tern_tcb *tp = tfx_tcb(&t);
	ACK_TS(&t, T_MS(115), U, 5, our_tsval(&t, T_MS(100)));
	CHECK_EQ(fx_stat(&t.fx, "tcp.partial_undo"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.full_undo"), 0);
	/* Reordering as deep as the SACKs reached past the hole (1 to 5):
	 * DupThresh 4 (TcpExtTCPTSReorder). */
	CHECK_EQ(tcp_fx_info(&t).tcpi_reordering, 4);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ts_reorder"), 1);
	CHECK(tp->rack_reord);
	CHECK_EQ(tp->snd_cwnd, 11 * M);
	CHECK_EQ(tp->snd_ssthresh, UINT32_MAX);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_OPEN);
	SEGI(&t, T_MS(115), U, 14);
	SEGI(&t, T_MS(115), U, 15);
	expect_no_seg(&t, T_MS(115));
	drain(&t, T_MS(120));
	CHECK_EQ(fx_stat(&t.fx, "tcp.partial_undo"), 1);
	tcp_fx_finish(&t);
}

/* Segment 5 is lost too, and resent, before the original of 1 arrives:
 * the partial ACK's old TSecr shows 1's retransmission needless, but
 * 5's is still in flight and may not be: no partial undo (Linux's
 * tcp_try_undo_partial waits too). The ACK that ends recovery, for the
 * originals as well, undoes it all. */
TEST(recovery__partial_ack__retransmission_in_flight__waits_for_full)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(recovery_begun(&t, &U, "reno"));
	uint32_t old = our_tsval(&t, T_MS(100));
	/* 6 and on arrive; PRR lets 5 go once enough is delivered. */
	struct tern_tcb *tp = tfx_tcb(&t);
	for (unsigned k = 7; k <= 14 && tp->high_rxt != U + 6 * M; k++)
		IN(&t, T_MS(107) + TERN_USEC(500) * k, .seq = t.peer, .ack = U + M, .flags = ACK,
		   .ts = true, .tsval = peer_tsval(&t, T_MS(107) + TERN_USEC(500) * k), .tsecr = old,
		   .sack = {{U + 6 * M, U + k * M}, {U + 2 * M, U + 5 * M}});
	CHECK_EQ(tp->high_rxt, U + 6 * M); /* segment 5 resent */
	CHECK_EQ(tcp_fx_info(&t).tcpi_retrans, 2);
	fx_clear_tx(&t.fx);
	ACK_TS(&t, T_MS(118), U, 5, old);
	CHECK_EQ(fx_stat(&t.fx, "tcp.partial_undo"), 0);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_RECOVERY);
	fx_clear_tx(&t.fx);
	IN(&t, T_MS(119), .seq = t.peer, .ack = tp->snd_recover, .flags = ACK, .ts = true,
	   .tsval = peer_tsval(&t, T_MS(119)), .tsecr = old);
	CHECK_EQ(fx_stat(&t.fx, "tcp.full_undo"), 1);
	CHECK_EQ(tp->snd_cwnd, 11 * M);
	CHECK_EQ(tp->snd_ssthresh, UINT32_MAX);
	fx_clear_tx(&t.fx);
	drain(&t, T_MS(120));
	tcp_fx_finish(&t);
}

/* The timeout comes in the middle of fast recovery: it belongs to the
 * same episode. Its first acceptable ACK echoes the originals' TSval,
 * older than recovery's first retransmission: the window returns to what
 * it was before recovery began, not to recovery's. */
TEST(recovery__then_rto__eifel_undoes_both)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(recovery_begun(&t, &U, "reno"));
	struct tern_tcb *tp = tfx_tcb(&t);
	tern_time_t rto = tp->deadline[TCPT_RXT];
	SEGI(&t, rto, U, 1);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_LOSS);
	ACK_TS(&t, rto + T_MS(5), U, 14, our_tsval(&t, T_MS(100)));
	CHECK_EQ(fx_stat(&t.fx, "tcp.loss_undo"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.spurious_rtos"), 1);
	CHECK_EQ(tp->snd_cwnd, 11 * M);
	CHECK_EQ(tp->snd_ssthresh, UINT32_MAX);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_OPEN);
	SEGI(&t, rto + T_MS(5), U, 14);
	SEGI(&t, rto + T_MS(5), U, 15);
	expect_no_seg(&t, rto + T_MS(5));
	drain(&t, rto + T_MS(10));
	tcp_fx_finish(&t);
}

/* The partial ACK echoes the retransmission's TSval: it filled the hole,
 * the loss was real. Recovery goes on, ssthresh stays halved. */
TEST(recovery__partial_ack_echoes_retransmission__no_undo)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(recovery_begun(&t, &U, "reno"));
	struct tern_tcb *tp = tfx_tcb(&t);
	ACK_TS(&t, T_MS(115), U, 5, our_tsval(&t, T_MS(113)));
	CHECK_EQ(fx_stat(&t.fx, "tcp.partial_undo"), 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ts_reorder"), 0);
	CHECK_EQ(tcp_fx_info(&t).tcpi_reordering, 3);
	CHECK_EQ(tcp_fx_info(&t).tcpi_ca_state, TCP_CA_RECOVERY);
	CHECK_EQ(tp->snd_ssthresh, 13 * M / 2);
	fx_clear_tx(&t.fx);
	drain(&t, T_MS(120));
	CHECK_EQ(fx_stat(&t.fx, "tcp.partial_undo") + fx_stat(&t.fx, "tcp.full_undo"), 0);
	CHECK_EQ(tp->snd_cwnd, 13 * M / 2); /* recovery's end: cwnd = ssthresh */
	tcp_fx_finish(&t);
}

/* The ACK that ends recovery (all 14 segments) echoes the originals'
 * TSval: every retransmission was needless. Full undo, and the two
 * segments waiting go at once in the restored window. */
static void full_undo(const char *cc)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(recovery_begun(&t, &U, cc));
	ACK_TS(&t, T_MS(115), U, 14, our_tsval(&t, T_MS(100)));
	CHECK_EQ(fx_stat(&t.fx, "tcp.full_undo"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.partial_undo"), 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_undo"), 0);
	undone__new_data_next(&t, U);
}

TEST(recovery__full_ack_echoes_original__full_undo)
{
	full_undo("reno");
}

TEST(recovery__full_ack_echoes_original__full_undo__cubic)
{
	full_undo("cubic");
}

/* ---- NewReno's fast recovery (no SACK, RFC 6582) with timestamps ---- */

/* As recovery_begun without SACK: three duplicate ACKs (two of them
 * letting limited transmit send 12 and 13) resend segment 1 at 113 ms. */
static bool newreno_begun(struct tfx *t, uint32_t *U)
{
	if (!setup(t, U, &(struct cfg){.ts = true, .frto = 2, .cc = "reno"}, 16, 10))
		return false;
	uint32_t u = *U, old = our_tsval(t, T_MS(100));
	ACK_TS(t, T_MS(110), u, 1, old);
	for (unsigned i = 10; i <= 13; i++) {
		if (i >= 12)
			ACK_TS(t, T_MS(99) + T_MS(i), u, 1, old);
		TRY_SEG(t, i < 12 ? T_MS(110) : T_MS(99) + T_MS(i),
			&SEG(.seq = u + i * M, .ack = t->peer, .flags = ACK, .data = payload + i * M,
			     .len = M));
	}
	ACK_TS(t, T_MS(113), u, 1, old);
	TRY_SEG(t, T_MS(113), &SEG(.seq = u + M, .ack = t->peer, .flags = ACK, .data = payload + M,
				   .len = M));
	return t->fx.nframes == 0 && tcp_fx_info(t).tcpi_ca_state == TCP_CA_RECOVERY &&
	       tfx_tcb(t)->snd_ssthresh == 13 * M / 2;
}

/* The ACK of all 14 echoes the originals' TSval: full undo, the window
 * as before (11 segments), and 14 and 15 go at once. */
TEST(newreno__full_ack_echoes_original__full_undo)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(newreno_begun(&t, &U));
	ACK_TS(&t, T_MS(115), U, 14, our_tsval(&t, T_MS(100)));
	CHECK_EQ(fx_stat(&t.fx, "tcp.full_undo"), 1);
	undone__new_data_next(&t, U);
}

/* A partial ACK (to 5) echoing the originals: undone there, no further
 * hole resent (NewReno would have resent 5), new data next. */
TEST(newreno__partial_ack_echoes_original__partial_undo)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(newreno_begun(&t, &U));
	ACK_TS(&t, T_MS(115), U, 5, our_tsval(&t, T_MS(100)));
	CHECK_EQ(fx_stat(&t.fx, "tcp.partial_undo"), 1);
	undone__new_data_next(&t, U);
}

/* The full ACK echoes the retransmission: a real loss, no undo, and the
 * window deflates to ssthresh (RFC 6582 §3.2 step 3). */
TEST(newreno__full_ack_echoes_retransmission__no_undo)
{
	struct tfx t;
	uint32_t U;
	REQUIRE(newreno_begun(&t, &U));
	struct tern_tcb *tp = tfx_tcb(&t);
	ACK_TS(&t, T_MS(125), U, 14, our_tsval(&t, T_MS(113)));
	CHECK_EQ(fx_stat(&t.fx, "tcp.full_undo") + fx_stat(&t.fx, "tcp.partial_undo"), 0);
	CHECK_EQ(tp->snd_ssthresh, 13 * M / 2);
	CHECK(tp->snd_cwnd <= 13 * M / 2);
	fx_clear_tx(&t.fx);
	drain(&t, T_MS(130));
	tcp_fx_finish(&t);
}

TEST_MAIN()
