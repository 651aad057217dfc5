/*
 * tests/unit/test_tcp_timers.c — TCP's clocks, each deadline to the
 * nanosecond: retransmission (RFC 6298: initial RTO 1 s, backoff, the
 * 200 ms floor after samples; tcp_syn_retries / tcp_synack_retries /
 * tcp_retries2), zero-window probes (RFC 9293 §3.8.6.1, RFC 1122
 * §4.2.2.17) and keepalives (RFC 1122 §4.2.3.6).
 */
#include "tcp_fixture.h"

#define ACK TERN_TCP_ACK
#define SYN TERN_TCP_SYN
#define FIN TERN_TCP_FIN
#define RST TERN_TCP_RST

static uint8_t payload[2048];

/* Our SYN as tcp_fx_syn_sent saw it, sent again at `at`. */
#define OUR_SYN(t, at)                                                                  \
	OUT((t), (at), .seq = (t)->iss, .flags = SYN, .mss_opt = true, .mss = T_OUR_MSS,     \
	    .sackok = true, .ws_opt = true, .ws = 7, .ts = true, .tsval = our_tsval((t), (at)), \
	    .tsecr = 0)

/* RFC 6298 §2.1: "Until a round-trip time (RTT) measurement has been
 * made ... the sender SHOULD set RTO <- 1 second"; §5.5: "The host MUST
 * set RTO <- RTO * 2 ("back off the timer")". After tcp_syn_retries (6)
 * retransmissions the connection fails with ETIMEDOUT, without a reset. */
TEST(syn_sent__timeout__backoff_then_etimedout)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_syn_sent(&t));
	tern_time_t at = T_MS(10), rto = T_SEC(1);
	for (int i = 0; i < 6; i++) {
		at += rto;
		rto *= 2;
		OUR_SYN(&t, at);
	}
	CHECK_EQ(at, T_MS(63010));
	CHECK_EQ(fx_stat(&t.fx, "tcp.retrans_segs"), 6);
	fx_advance(&t.fx, at + rto - 1);
	CHECK_STATE(&t, TCPS_SYN_SENT);
	expect_no_seg(&t, at + rto);
	CHECK_STATE(&t, TCPS_CLOSED);
	struct tern_sockaddr_in dst = sa(FX_IP_PEER, T_PEER_LISTEN_PORT);
	CHECK_EQ(tern_connect(t.fx.s, t.sd, &dst), TERN_ETIMEDOUT);
	CHECK_EQ(fx_stat(&t.fx, "tcp.attempt_fails"), 1);
	tcp_fx_finish(&t);
}

/* Karn (RFC 6298 §3): the SYN-ACK to a retransmitted SYN gives no RTT
 * sample, so the first data is retransmitted after the initial 1 s (the
 * backoff itself ends with the handshake). */
TEST(syn_sent__retransmitted_syn__no_rtt_sample)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_syn_sent(&t));
	OUR_SYN(&t, T_MS(1010));
	IN(&t, T_MS(1020), .seq = t.irs, .ack = t.us, .flags = SYN | ACK, .mss_opt = true,
	   .mss = T_PEER_MSS, .ws_opt = true, .ws = 7);
	OUT(&t, T_MS(1020), .seq = t.us, .ack = t.irs + 1, .flags = ACK);
	struct tern_tcb *tp = tfx_tcb(&t);
	REQUIRE(tp != NULL);
	CHECK_EQ(tp->srtt, 0); /* no sample from the retransmitted SYN */
	at_time(&t, T_MS(1100));
	fx_pattern(payload, 100, 1);
	CHECK_EQ(tern_send(t.fx.s, t.sd, payload, 100, 0), 100);
	OUT(&t, T_MS(1100), .seq = t.us, .ack = t.irs + 1, .flags = ACK, .data = payload, .len = 100);
	OUT(&t, T_MS(2100), .seq = t.us, .ack = t.irs + 1, .flags = ACK, .data = payload, .len = 100);
	tcp_fx_finish(&t);
}

/* SYN-RECEIVED: the SYN-ACK is retransmitted on the same backoff,
 * tcp_synack_retries (5) times; then the half-open connection is
 * forgotten — silently, as Linux and FreeBSD's syncache do (no RST to a
 * peer that never answered) — and the listener takes new SYNs. */
TEST(syn_received__timeout__synack_backoff_then_forgotten)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen(&t));
	REQUIRE(tcp_fx_syn_received(&t, false, T_MS(10)));
	tern_time_t at = T_MS(10), rto = T_SEC(1);
	for (int i = 0; i < 5; i++) {
		at += rto;
		rto *= 2;
		OUT(&t, at, .seq = t.iss, .ack = t.peer, .flags = SYN | ACK, .mss_opt = true,
		    .mss = T_OUR_MSS, .sackok = true, .ws_opt = true, .ws = 7);
	}
	CHECK_EQ(at, T_MS(31010));
	expect_no_seg(&t, at + rto);
	CHECK_STATE(&t, TCPS_CLOSED);
	CHECK_EQ(t.fx.s->socks->tcp.half_open, 0);
	t.pport++;
	REQUIRE(tcp_fx_syn_received(&t, false, at + rto + T_MS(1)));
	tcp_fx_finish(&t);
}

/* A retransmitted SYN in SYN-RECEIVED (our SYN-ACK was lost) is answered
 * with the SYN-ACK again at once. */
TEST(syn_received__syn_again__synack_again)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen(&t));
	REQUIRE(tcp_fx_syn_received(&t, false, T_MS(10)));
	struct seg syn = peer_syn(&t, false, T_MS(500));
	inject_seg(&t, T_MS(500), &syn);
	OUT(&t, T_MS(500), .seq = t.iss, .ack = t.peer, .flags = SYN | ACK, .mss_opt = true,
	    .mss = T_OUR_MSS, .sackok = true, .ws_opt = true, .ws = 7);
	IN(&t, T_MS(510), .seq = t.peer, .ack = t.us, .flags = ACK);
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	tcp_fx_finish(&t);
}

/* RFC 6298 §2.2-2.4 with Linux's floor: the handshake measured 10 ms
 * (SYN-ACK at 10 ms, its ACK at 20 ms), SRTT 10 ms, RTTVAR 5 ms, and
 * RTO = SRTT + max(4·RTTVAR, 200 ms) = 210 ms. §5.5: doubled on each
 * timeout; §5.3 (and §5.7's end of the backoff) on the ACK. */
TEST(rto__data__min_200ms_after_sample_and_backoff)
{
	fx_pattern(payload, 100, 9);
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	SEND(&t, T_MS(100), payload, 100);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 100);
	OUT(&t, T_MS(310), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 100);
	OUT(&t, T_MS(730), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 100);
	OUT(&t, T_MS(1570), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 100);
	CHECK_EQ(fx_stat(&t.fx, "tcp.timeouts"), 3);
	IN(&t, T_MS(1600), .seq = t.peer, .ack = t.us + 100, .flags = ACK);
	expect_no_seg(&t, T_SEC(10));
	/* The backoff is over: new data is retransmitted 210 ms after it
	 * left (§5.7 keeps the backed-off RTO only until an ACK). */
	SEND(&t, T_SEC(11), payload, 10);
	OUT(&t, T_SEC(11), .seq = t.us + 100, .ack = t.peer, .flags = ACK, .data = payload, .len = 10);
	OUT(&t, T_SEC(11) + T_MS(210), .seq = t.us + 100, .ack = t.peer, .flags = ACK,
	    .data = payload, .len = 10);
	tcp_fx_finish(&t);
}

/* An ACK for part of the data restarts the timer from the ACK (RFC 6298
 * §5.3: "When an ACK is received that acknowledges new data, restart the
 * retransmission timer so that it will expire after RTO seconds"), and
 * only the unacknowledged rest is resent. */
TEST(rto__restarted_by_partial_ack)
{
	fx_pattern(payload, 2000, 4);
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_early_retrans = 0; /* the RTO alone, no tail loss probe (RFC 8985) first */
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE_EQ(set_int(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_NODELAY, 1), 0);
	SEND(&t, T_MS(100), payload, 2000);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 1460);
	OUT(&t, T_MS(100), .seq = t.us + 1460, .ack = t.peer, .flags = ACK, .data = payload + 1460,
	    .len = 540);
	IN(&t, T_MS(200), .seq = t.peer, .ack = t.us + 1460, .flags = ACK);
	/* The sample of 100 ms: SRTT 10 + (100 - 10)/8 = 21.25 ms, RTTVAR
	 * 5·3/4 + 90/4 = 26.25 ms, RTO = 21.25 + 200 ms. */
	tern_time_t rto = TERN_USEC(21250) + T_MS(200);
	OUT(&t, T_MS(200) + rto, .seq = t.us + 1460, .ack = t.peer, .flags = ACK,
	    .data = payload + 1460, .len = 540);
	tcp_fx_finish(&t);
}

/* tcp_retries2 retransmissions, then the connection is given up with
 * ETIMEDOUT (and a reset, as FreeBSD's tcp_drop). */
TEST(rto__retries2__etimedout)
{
	fx_pattern(payload, 10, 2);
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_retries2 = 3;
	REQUIRE(tcp_fx_passive_established(&t));
	SEND(&t, T_MS(100), payload, 10);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 10);
	OUT(&t, T_MS(310), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 10);
	OUT(&t, T_MS(730), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 10);
	OUT(&t, T_MS(1570), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 10);
	OUT(&t, T_MS(3250), .seq = t.us + 10, .ack = t.peer, .flags = RST | ACK);
	CHECK_STATE(&t, TCPS_CLOSED);
	uint8_t b[4];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), TERN_ETIMEDOUT);
	CHECK_EQ(fx_stat(&t.fx, "tcp.timeout_drops"), 1);
	tcp_fx_finish(&t);
}

/* RFC 9293 §3.8.6.1: "The transmitting host SHOULD send the first
 * zero-window probe when a zero window has existed for the retransmission
 * timeout period, and SHOULD increase exponentially the interval between
 * successive probes." tern's probe is Linux's: <SEQ=SND.UNA-1><ACK>,
 * which the peer must answer with its window. When it opens, the data
 * goes at once. */
TEST(persist__zero_window_probes_backoff)
{
	fx_pattern(payload, 100, 5);
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	IN(&t, T_MS(50), .seq = t.peer, .ack = t.us, .flags = ACK, W(0));
	SEND(&t, T_MS(100), payload, 100);
	expect_no_seg(&t, T_MS(309));
	OUT(&t, T_MS(310), .seq = t.us - 1, .ack = t.peer, .flags = ACK);
	OUT(&t, T_MS(730), .seq = t.us - 1, .ack = t.peer, .flags = ACK);
	OUT(&t, T_MS(1570), .seq = t.us - 1, .ack = t.peer, .flags = ACK);
	CHECK_EQ(fx_stat(&t.fx, "tcp.window_probes"), 3);
	/* The answer to a probe, still zero: the probing goes on. */
	IN(&t, T_MS(1580), .seq = t.peer, .ack = t.us, .flags = ACK, W(0));
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	IN(&t, T_MS(2000), .seq = t.peer, .ack = t.us, .flags = ACK, W(T_PEER_WIN));
	OUT(&t, T_MS(2000), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 100);
	IN(&t, T_MS(2010), .seq = t.peer, .ack = t.us + 100, .flags = ACK);
	expect_no_seg(&t, T_SEC(60));
	tcp_fx_finish(&t);
}

/* Data in flight, and the peer's ACK of half of it closes the window:
 * the retransmission timer resends the first unacknowledged segment all
 * the same (as Linux's tcp_retransmit_timer), so a window update that is
 * lost cannot stall the connection (found by fuzz_tcp: it sent nothing). */
TEST(rto__into_zero_window__resends_first_segment)
{
	fx_pattern(payload, 200, 6);
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	SEND(&t, T_MS(100), payload, 200);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 200);
	IN(&t, T_MS(110), .seq = t.peer, .ack = t.us + 100, .flags = ACK, W(0));
	/* The RTO (1 s, no RTT sample yet... or its sample's): the second
	 * half goes again, into the zero window. */
	struct fx_frame *f = fx_next_tx(&t.fx, T_SEC(5));
	REQUIRE(f != NULL);
	tern_time_t sent = f->t;
	CHECK(sent >= T_MS(310) && sent <= T_MS(1110)); /* one RTO after the ACK */
	struct fx_pkt p;
	REQUIRE_EQ(fx_parse(f, &p), TERN_STAT_NONE);
	struct tern_tcp_repr th;
	REQUIRE_EQ(tern_tcp_parse(p.l4, p.l4_len, p.ip.src, p.ip.dst, 0, &th), TERN_STAT_NONE);
	CHECK_EQ(th.seq, t.us + 100);
	CHECK_EQ(th.payload_len, 100);
	CHECK_MEM(th.payload, payload + 100, 100);
	fx_pkt_free(&p);
	CHECK_EQ(fx_stat(&t.fx, "tcp.timeouts"), 1);
	/* The window opens with the ACK of it: done. */
	IN(&t, sent + T_MS(10), .seq = t.peer, .ack = t.us + 200, .flags = ACK, W(T_PEER_WIN));
	expect_no_seg(&t, T_SEC(60));
	tcp_fx_finish(&t);
}

/* RFC 9293 §3.8.6.1 keeps a zero window open "as long as the receiving
 * TCP continues to send acknowledgments in response to the probe
 * segments"; a peer that answers none is gone: after tcp_retries2
 * unanswered probes the connection is dropped with ETIMEDOUT, as Linux's
 * tcp_probe_timer does. An answer (even a zero window) starts the count
 * again. (Found by fuzz_tcp: an orphan behind a silent zero window probed
 * for ever.) */
TEST(persist__unanswered_probes__etimedout)
{
	fx_pattern(payload, 100, 5);
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_retries2 = 3;
	REQUIRE(tcp_fx_passive_established(&t));
	IN(&t, T_MS(50), .seq = t.peer, .ack = t.us, .flags = ACK, W(0));
	SEND(&t, T_MS(100), payload, 100);
	OUT(&t, T_MS(310), .seq = t.us - 1, .ack = t.peer, .flags = ACK);
	OUT(&t, T_MS(730), .seq = t.us - 1, .ack = t.peer, .flags = ACK);
	OUT(&t, T_MS(1570), .seq = t.us - 1, .ack = t.peer, .flags = ACK);
	IN(&t, T_MS(1580), .seq = t.peer, .ack = t.us, .flags = ACK, W(0));
	OUT(&t, T_MS(3250), .seq = t.us - 1, .ack = t.peer, .flags = ACK);
	OUT(&t, T_MS(6610), .seq = t.us - 1, .ack = t.peer, .flags = ACK);
	OUT(&t, T_MS(13330), .seq = t.us - 1, .ack = t.peer, .flags = ACK);
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	OUT(&t, T_MS(26770), .seq = t.us, .ack = t.peer, .flags = RST | ACK);
	CHECK_STATE(&t, TCPS_CLOSED);
	uint8_t b[4];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), TERN_ETIMEDOUT);
	CHECK_EQ(fx_stat(&t.fx, "tcp.window_probes"), 6);
	CHECK_EQ(fx_stat(&t.fx, "tcp.timeout_drops"), 1);
	tcp_fx_finish(&t);
}

/* A connection the retransmission timer gives up wakes its socket's
 * callback, which may close the socket there and then (and with it the
 * tcb): the timer must not look at the tcb afterwards (found by fuzz_tcp
 * as a use after free under ASan; TERN_SANITIZE=ON shows it here). */
static void close_on_error_cb(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	(void)ctx;
	if (events & (TERN_POLLERR | TERN_POLLHUP))
		tern_close(s, sd);
}

TEST(syn_sent__timeout__callback_closes)
{
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_syn_retries = 1;
	tcp_fx_start(&t);
	struct tern_stack *s = t.fx.s;
	at_time(&t, T_MS(10));
	int sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	REQUIRE(sd >= 0);
	REQUIRE_EQ(tern_socket_set_callback(s, sd, close_on_error_cb, NULL), 0);
	struct tern_sockaddr_in dst = sa(FX_IP_PEER, T_PEER_LISTEN_PORT);
	REQUIRE_EQ(tern_connect(s, sd, &dst), TERN_EINPROGRESS);
	fx_advance(&t.fx, T_SEC(10));
	CHECK_EQ(t.fx.nframes, 2); /* the SYN and its one retransmission */
	fx_clear_tx(&t.fx);
	CHECK_EQ(tern_socket_next(s, -1), -1); /* closed by its callback */
	CHECK_EQ(fx_stat(&t.fx, "tcp.timeout_drops"), 1);
	tcp_fx_finish(&t);
}

/* RFC 9293 §3.8.6.2.1 / RFC 1122 §4.2.3.4: data held back by the
 * sender's silly-window rule (a window smaller than an MSS and than the
 * data) with nothing in flight waits on an override timer, the persist
 * timer, which then sends what the window allows (as Linux's
 * tcp_write_wakeup). Without it the connection stalled for good: no
 * segment in flight, so no ACK to restart it (found by fuzz_tcp). */
TEST(persist__small_window__data_forced)
{
	fx_pattern(payload, 1000, 6);
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	IN(&t, T_MS(50), .seq = t.peer, .ack = t.us, .flags = ACK, W(1)); /* 128 bytes */
	SEND(&t, T_MS(100), payload, 1000);
	expect_no_seg(&t, T_MS(309));
	OUT(&t, T_MS(310), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 128);
	IN(&t, T_MS(320), .seq = t.peer, .ack = t.us + 128, .flags = ACK, W(T_PEER_WIN));
	OUT(&t, T_MS(320), .seq = t.us + 128, .ack = t.peer, .flags = ACK, .data = payload + 128,
	    .len = 872);
	IN(&t, T_MS(330), .seq = t.peer, .ack = t.us + 1000, .flags = ACK);
	expect_no_seg(&t, T_SEC(60));
	tcp_fx_finish(&t);
}

/* RFC 1122 §4.2.3.6 with SO_KEEPALIVE and TCP_KEEPIDLE 10 s, KEEPINTVL
 * 2 s, KEEPCNT 2: probes <SEQ=SND.UNA-1><ACK> after 10 s idle, every 2 s;
 * an answer resets the count; two unanswered, and the connection is
 * dropped with ETIMEDOUT. */
TEST(keepalive__probes_then_etimedout)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	at_time(&t, T_MS(100));
	REQUIRE_EQ(set_int(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_KEEPIDLE, 10), 0);
	REQUIRE_EQ(set_int(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_KEEPINTVL, 2), 0);
	REQUIRE_EQ(set_int(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_KEEPCNT, 2), 0);
	REQUIRE_EQ(set_int(t.fx.s, t.sd, TERN_SOL_SOCKET, TERN_SO_KEEPALIVE, 1), 0);
	/* Idle since the handshake's ACK at 20 ms... but the idle time is
	 * counted from when keepalive was set (100 ms), as Linux. */
	OUT(&t, T_MS(100) + T_SEC(10), .seq = t.us - 1, .ack = t.peer, .flags = ACK);
	IN(&t, T_MS(200) + T_SEC(10), .seq = t.peer, .ack = t.us, .flags = ACK);
	tern_time_t idle = T_MS(200) + T_SEC(10);
	OUT(&t, idle + T_SEC(10), .seq = t.us - 1, .ack = t.peer, .flags = ACK);
	OUT(&t, idle + T_SEC(12), .seq = t.us - 1, .ack = t.peer, .flags = ACK);
	OUT(&t, idle + T_SEC(14), .seq = t.us, .ack = t.peer, .flags = RST | ACK);
	CHECK_STATE(&t, TCPS_CLOSED);
	uint8_t b[4];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), TERN_ETIMEDOUT);
	CHECK_EQ(fx_stat(&t.fx, "tcp.keepalive_probes"), 3);
	tcp_fx_finish(&t);
}

/* RFC 7661 §4.3, Linux's tcp_is_cwnd_limited: a window the sender never
 * fills says nothing about the path, so it does not grow. 30 writes of
 * 100 bytes, each acknowledged before the next: slow start's cwnd stays
 * at its initial 10 segments (it would reach 12 counting every byte
 * acknowledged); then a burst that fills it makes it grow again. */
static uint32_t cwnd_segments(struct tfx *t)
{
	struct tern_tcp_info ti;
	size_t len = sizeof(ti);
	if (tern_getsockopt(t->fx.s, t->sd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &len) != 0)
		return 0;
	return ti.tcpi_snd_cwnd;
}

TEST(cwnd__not_grown_while_application_limited)
{
	struct tfx t;
	tcp_fx_config(&t);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	REQUIRE(tcp_fx_passive_established(&t));
	tern_time_t now = T_MS(100);
	for (int i = 0; i < 30; i++, now += T_MS(10)) {
		SEND(&t, now, payload, 100);
		OUT(&t, now, .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 100);
		t.us += 100;
		IN(&t, now + T_MS(1), .seq = t.peer, .ack = t.us, .flags = ACK);
	}
	CHECK_EQ(cwnd_segments(&t), 10);
	/* Ten full segments fill the window: their ACKs grow it. */
	char big[10 * 1460];
	memset(big, 'x', sizeof(big));
	SEND(&t, now, big, sizeof(big));
	for (int i = 0; i < 10; i++)
		OUT(&t, now, .seq = t.us + (uint32_t)i * 1460, .ack = t.peer, .flags = ACK,
		    .data = big, .len = 1460);
	t.us += sizeof(big);
	IN(&t, now + T_MS(1), .seq = t.peer, .ack = t.us, .flags = ACK);
	/* CUBIC's slow start (RFC 9406 §4.3): min(acked, L = 8 segments)
	 * for one ACK of ten (NewReno's RFC 5681 eq. 2 would add one). */
	CHECK_EQ(cwnd_segments(&t), 18);
	tcp_fx_finish(&t);
}

TEST_MAIN()
