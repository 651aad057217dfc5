/*
 * tests/unit/test_tcp_states.c — every arrow of the RFC 9293 §3.3.2
 * state diagram (Figure 5), one test each, named state__event__state,
 * each reached by segments and socket calls (tcp_fixture.h), plus the
 * resets of RFC 9293 §3.10.7.1-3.
 */
#include "tcp_fixture.h"

#define ACK TERN_TCP_ACK
#define SYN TERN_TCP_SYN
#define FIN TERN_TCP_FIN
#define RST TERN_TCP_RST

static int sock_error(struct tfx *t, int sd)
{
	int e = 0;
	size_t n = sizeof(e);
	if (tern_getsockopt(t->fx.s, sd, TERN_SOL_SOCKET, TERN_SO_ERROR, &e, &n) < 0)
		return 1;
	return e;
}

/* ---- opening ---- */

TEST(closed__passive_open__listen)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen(&t));
	struct tern_sock_info si;
	REQUIRE_EQ(tern_socket_info(t.fx.s, t.lsd, &si), 0);
	CHECK_STR(si.state, "LISTEN");
	expect_no_seg(&t, T_MS(100));
	tcp_fx_finish(&t);
}

/* RFC 9293 §3.10.1 OPEN, active: "a SYN segment of the form
 * <SEQ=ISS><CTL=SYN> is sent", with our options (§3.7.1, RFC 7323). */
TEST(closed__active_open__syn_sent)
{
	struct tfx t;
	tcp_fx_config(&t);
	tcp_fx_start(&t);
	at_time(&t, T_MS(10));
	t.sd = tern_socket(t.fx.s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in dst = sa(FX_IP_PEER, 5001);
	REQUIRE_EQ(tern_connect(t.fx.s, t.sd, &dst), TERN_EINPROGRESS);
	struct tern_tcb *tp = NULL;
	for (int sd = tern_socket_next(t.fx.s, -1); sd >= 0; sd = tern_socket_next(t.fx.s, sd))
		tp = tern_sock_get(t.fx.s, sd)->tcb;
	REQUIRE(tp != NULL);
	t.lport = tp->t.lport;
	t.pport = 5001;
	t.ts_off = tp->ts_offset;
	OUT(&t, T_MS(10), .seq = tp->iss, .flags = SYN, .mss_opt = true, .mss = T_OUR_MSS,
	    .sackok = true, .ws_opt = true, .ws = 7, .ts = true, .tsval = our_tsval(&t, T_MS(10)),
	    .tsecr = 0);
	CHECK_STATE(&t, TCPS_SYN_SENT);
	CHECK_EQ(fx_stat(&t.fx, "tcp.active_opens"), 1);
	tcp_fx_finish(&t);
}

/* RFC 9293 §3.10.7.2: "If the SYN bit is set ... <SEQ=ISS><ACK=RCV.NXT>
 * <CTL=SYN,ACK> is sent", options only as the peer offered (RFC 7323
 * §1.3). */
TEST(listen__syn__syn_received)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen(&t));
	struct seg syn = peer_syn(&t, true, T_MS(10));
	inject_seg(&t, T_MS(10), &syn);
	struct tern_tcb *tp = tfx_tcb(&t);
	REQUIRE(tp != NULL);
	t.ts_off = tp->ts_offset;
	OUT(&t, T_MS(10), .seq = tp->iss, .ack = T_PEER_ISS + 1, .flags = SYN | ACK,
	    .mss_opt = true, .mss = T_OUR_MSS, .sackok = true, .ws_opt = true, .ws = 7, .ts = true,
	    .tsval = our_tsval(&t, T_MS(10)), .tsecr = syn.tsval);
	CHECK_STATE(&t, TCPS_SYN_RECEIVED);
	CHECK_EQ(fx_stat(&t.fx, "tcp.passive_opens"), 1);
	CHECK_EQ(t.fx.s->socks->tcp.half_open, 1);
	/* Nothing to accept yet. */
	CHECK_EQ(tern_accept(t.fx.s, t.lsd, NULL), TERN_EAGAIN);
	tcp_fx_finish(&t);
}

/* §3.10.7.4 step 5, SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then
 * enter ESTABLISHED state". */
TEST(syn_received__ack__established)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen(&t));
	REQUIRE(tcp_fx_syn_received(&t, false, T_MS(10)));
	IN(&t, T_MS(20), .seq = t.peer, .ack = t.us, .flags = ACK);
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	CHECK_EQ(t.fx.s->socks->tcp.half_open, 0);
	struct tern_sockaddr_in peer;
	int sd = tern_accept(t.fx.s, t.lsd, &peer);
	CHECK(sd >= 0);
	CHECK_EQ(peer.port, T_PORT_PEER);
	expect_no_seg(&t, T_SEC(5)); /* no SYN-ACK retransmission */
	tcp_fx_finish(&t);
}

/* ... "If the segment acknowledgment is not acceptable, form a reset
 * segment <SEQ=SEG.ACK><CTL=RST>". */
TEST(syn_received__bad_ack__rst)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen(&t));
	REQUIRE(tcp_fx_syn_received(&t, false, T_MS(10)));
	IN(&t, T_MS(20), .seq = t.peer, .ack = t.us + 5, .flags = ACK);
	OUT(&t, T_MS(20), .seq = t.us + 5, .flags = RST, W(0));
	CHECK_STATE(&t, TCPS_SYN_RECEIVED);
	CHECK_EQ(tern_accept(t.fx.s, t.lsd, NULL), TERN_EAGAIN);
	tcp_fx_finish(&t);
}

/* §3.10.7.3: SYN-SENT, "If SND.UNA > ISS (our SYN has been ACKed), change
 * the connection state to ESTABLISHED, form an ACK segment
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it". */
TEST(syn_sent__syn_ack__established)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_syn_sent(&t));
	IN(&t, T_MS(20), .seq = t.irs, .ack = t.us, .flags = SYN | ACK, .mss_opt = true,
	   .mss = T_PEER_MSS, .ws_opt = true, .ws = 7, .sackok = true);
	OUT(&t, T_MS(20), .seq = t.us, .ack = t.irs + 1, .flags = ACK);
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	CHECK_EQ(sock_error(&t, t.sd), 0);
	struct tern_pollfd pf = {.sd = t.sd, .events = TERN_POLLOUT};
	CHECK_EQ(tern_poll(t.fx.s, &pf, 1), 1);
	CHECK(pf.revents & TERN_POLLOUT);
	tcp_fx_finish(&t);
}

/* §3.10.7.3: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset
 * <SEQ=SEG.ACK><CTL=RST>" and the connection stays in SYN-SENT. */
TEST(syn_sent__bad_ack__rst)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_syn_sent(&t));
	IN(&t, T_MS(20), .seq = t.irs, .ack = t.iss, .flags = SYN | ACK);
	OUT(&t, T_MS(20), .seq = t.iss, .flags = RST, W(0));
	CHECK_STATE(&t, TCPS_SYN_SENT);
	/* The real SYN-ACK still completes the connection. */
	IN(&t, T_MS(30), .seq = t.irs, .ack = t.us, .flags = SYN | ACK, .mss_opt = true,
	   .mss = T_PEER_MSS);
	OUT(&t, T_MS(30), .seq = t.us, .ack = t.irs + 1, .flags = ACK, W(65535));
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	tcp_fx_finish(&t);
}

/* §3.10.7.3: "If the RST bit is set, if the ACK was acceptable, then
 * signal to the user 'error: connection reset', drop the segment, enter
 * CLOSED state". */
TEST(syn_sent__rst_ack__closed)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_syn_sent(&t));
	IN(&t, T_MS(20), .seq = 0, .ack = t.us, .flags = RST | ACK, W(0));
	expect_no_seg(&t, T_SEC(10));
	CHECK_STATE(&t, TCPS_CLOSED);
	struct tern_sockaddr_in dst = sa(FX_IP_PEER, 5001);
	CHECK_EQ(tern_connect(t.fx.s, t.sd, &dst), TERN_ECONNREFUSED);
	tcp_fx_finish(&t);
}

/* ... "Otherwise (no ACK), drop the segment and return" (RFC 5961 §3.2:
 * a blind reset must not close the opening connection). */
TEST(syn_sent__rst_without_ack__ignored)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_syn_sent(&t));
	IN(&t, T_MS(20), .seq = 0, .flags = RST, W(0));
	CHECK_STATE(&t, TCPS_SYN_SENT);
	CHECK_EQ(fx_stat(&t.fx, "tcp.bad_rst"), 1);
	expect_no_seg(&t, T_MS(500));
	tcp_fx_finish(&t);
}

/* §3.10.7.3, simultaneous open: "Otherwise, enter SYN-RECEIVED, form a
 * SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it." */
TEST(syn_sent__syn__syn_received)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_syn_sent(&t));
	IN(&t, T_MS(20), .seq = t.irs, .flags = SYN, .mss_opt = true, .mss = T_PEER_MSS,
	   .ws_opt = true, .ws = 7, .sackok = true);
	OUT(&t, T_MS(20), .seq = t.iss, .ack = t.irs + 1, .flags = SYN | ACK, .mss_opt = true,
	    .mss = T_OUR_MSS, .ws_opt = true, .ws = 7, .sackok = true);
	CHECK_STATE(&t, TCPS_SYN_RECEIVED);
	/* The peer's SYN-ACK (RFC 793 Figure 8 line 6): its SYN is old, its
	 * ACK is of our SYN: ESTABLISHED, with nothing more to say (Linux's
	 * tcp_validate_incoming passes this one SYN-ACK, no challenge ACK). */
	IN(&t, T_MS(30), .seq = t.irs, .ack = t.us, .flags = SYN | ACK, W(T_PEER_WIN));
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	struct tern_pollfd pf = {.sd = t.sd, .events = TERN_POLLOUT};
	CHECK_EQ(tern_poll(t.fx.s, &pf, 1), 1);
	expect_no_seg(&t, T_SEC(5));
	tcp_fx_finish(&t);
}

/* RFC 9293 §3.10.7.4 step 2, SYN-RECEIVED: "If this connection was
 * initiated with a passive OPEN (i.e., came from the LISTEN state), then
 * return this connection to LISTEN state". */
TEST(syn_received__rst__listen)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen(&t));
	REQUIRE(tcp_fx_syn_received(&t, false, T_MS(10)));
	IN(&t, T_MS(20), .seq = t.peer, .flags = RST, W(0));
	CHECK_STATE(&t, TCPS_CLOSED);
	CHECK_EQ(t.fx.s->socks->tcp.half_open, 0);
	CHECK_EQ(t.fx.s->socks->tcp.count, 0);
	expect_no_seg(&t, T_SEC(5)); /* no SYN-ACK retransmission */
	/* The listener is still there: a new SYN is answered. */
	t.irs = 5000;
	REQUIRE(tcp_fx_syn_received(&t, false, T_SEC(6)));
	CHECK_EQ(tern_accept(t.fx.s, t.lsd, NULL), TERN_EAGAIN);
	tcp_fx_finish(&t);
}

/* §3.10.7.4 step 2 for an active open that became SYN-RECEIVED: "inform
 * the user 'connection refused'", CLOSED. */
TEST(syn_received__rst__closed_active)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_syn_sent(&t));
	IN(&t, T_MS(20), .seq = t.irs, .flags = SYN, .mss_opt = true, .mss = T_PEER_MSS);
	fx_clear_tx(&t.fx);
	IN(&t, T_MS(30), .seq = t.irs + 1, .flags = RST, W(0));
	CHECK_STATE(&t, TCPS_CLOSED);
	struct tern_sockaddr_in dst = sa(FX_IP_PEER, 5001);
	CHECK_EQ(tern_connect(t.fx.s, t.sd, &dst), TERN_ECONNREFUSED);
	expect_no_seg(&t, T_SEC(5));
	tcp_fx_finish(&t);
}

/* §3.10.4 CLOSE, SYN-RECEIVED: "If no SENDs have been issued and there is
 * no pending data to send, then form a FIN segment and send it, and
 * enter FIN-WAIT-1 state; otherwise, queue for processing after entering
 * ESTABLISHED state." tern queues it: the FIN leaves, and FIN-WAIT-1 is
 * entered, with the ACK of our SYN. (Simultaneous open, so the socket is
 * ours.) */
TEST(syn_received__close__fin_wait_1)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_syn_sent(&t));
	IN(&t, T_MS(20), .seq = t.irs, .flags = SYN, .mss_opt = true, .mss = T_PEER_MSS);
	fx_clear_tx(&t.fx);
	at_time(&t, T_MS(30));
	CHECK_EQ(tern_shutdown(t.fx.s, t.sd, TERN_SHUT_WR), 0);
	expect_no_seg(&t, T_MS(39));
	IN(&t, T_MS(40), .seq = t.irs + 1, .ack = t.us, .flags = ACK, W(64240));
	OUT(&t, T_MS(40), .seq = t.us, .ack = t.irs + 1, .flags = FIN | ACK, W(65535));
	CHECK_STATE(&t, TCPS_FIN_WAIT_1);
	IN(&t, T_MS(50), .seq = t.irs + 1, .ack = t.us + 1, .flags = ACK, W(64240));
	CHECK_STATE(&t, TCPS_FIN_WAIT_2);
	tcp_fx_finish(&t);
}

/* §3.10.4 CLOSE, SYN-SENT: "Delete the TCB"; nothing is sent. */
TEST(syn_sent__close__closed)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_syn_sent(&t));
	at_time(&t, T_MS(20));
	CHECK_EQ(tern_close(t.fx.s, t.sd), 0);
	t.sd = -1;
	CHECK_EQ(t.fx.s->socks->tcp.count, 0);
	expect_no_seg(&t, T_SEC(10));
	/* The peer's late SYN-ACK finds no connection: a reset. */
	IN(&t, T_SEC(11), .seq = t.irs, .ack = t.us, .flags = SYN | ACK);
	OUT(&t, T_SEC(11), .seq = t.us, .flags = RST, W(0));
	tcp_fx_finish(&t);
}

/* §3.10.4 CLOSE, LISTEN: "Any outstanding RECEIVEs are returned ...
 * delete TCB, enter CLOSED state". A SYN then gets a reset (§3.10.7.1). */
TEST(listen__close__closed)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen(&t));
	at_time(&t, T_MS(5));
	CHECK_EQ(tern_close(t.fx.s, t.lsd), 0);
	t.lsd = -1;
	IN(&t, T_MS(10), .seq = 77, .flags = SYN);
	OUT(&t, T_MS(10), .seq = 0, .ack = 78, .flags = RST | ACK, W(0));
	tcp_fx_finish(&t);
}

/* Closing a listener resets the connections it still holds, half-open
 * and unaccepted (Linux's inet_csk_listen_stop). */
TEST(listen__close__resets_queued)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	/* t.sd was accepted; make one more that waits in the accept queue. */
	t.pport = T_PORT_PEER + 1;
	t.irs = 9000;
	REQUIRE(tcp_fx_syn_received(&t, false, T_MS(30)));
	IN(&t, T_MS(31), .seq = t.peer, .ack = t.us, .flags = ACK);
	at_time(&t, T_MS(40));
	CHECK_EQ(tern_close(t.fx.s, t.lsd), 0);
	t.lsd = -1;
	OUT(&t, T_MS(40), .seq = t.us, .ack = t.peer, .flags = RST | ACK);
	expect_no_seg(&t, T_MS(100));
	tcp_fx_finish(&t);
}

/* ---- closing ---- */

/* §3.10.4 CLOSE, ESTABLISHED: "Queue this until all preceding SENDs have
 * been segmentized, then form a FIN segment and send it. In any case,
 * enter FIN-WAIT-1 state." */
TEST(established__close__fin_wait_1)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	SEND(&t, T_MS(100), "bye", 3);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK | TERN_TCP_PSH, .psh = true,
	    .data = "bye", .len = 3);
	at_time(&t, T_MS(101));
	CHECK_EQ(tern_close(t.fx.s, t.sd), 0);
	t.sd = -1;
	/* The FIN follows the data at once (Nagle holds no FIN). */
	OUT(&t, T_MS(101), .seq = t.us + 3, .ack = t.peer, .flags = FIN | ACK);
	CHECK_STATE(&t, TCPS_FIN_WAIT_1);
	tcp_fx_finish(&t);
}

/* §3.10.7.4 step 8: "ESTABLISHED STATE: Enter the CLOSE-WAIT state", the
 * FIN acknowledged at once; the reader sees end of file. */
TEST(established__fin__close_wait)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	IN(&t, T_MS(100), .seq = t.peer, .ack = t.us, .flags = FIN | ACK, .data = "end", .len = 3);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer + 4, .flags = ACK,
	    W((T_RCV_CAP - 3) >> 7));
	CHECK_STATE(&t, TCPS_CLOSE_WAIT);
	char buf[8];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, buf, sizeof(buf), 0), 3);
	CHECK_EQ(tern_recv(t.fx.s, t.sd, buf, sizeof(buf), 0), 0);
	/* Writing still works in CLOSE-WAIT (a half-close). */
	SEND(&t, T_MS(110), "ok", 2);
	OUT(&t, T_MS(110), .seq = t.us, .ack = t.peer + 4, .flags = ACK, .data = "ok", .len = 2);
	tcp_fx_finish(&t);
}

/* §3.10.4 CLOSE, CLOSE-WAIT: "Queue this request until all preceding
 * SENDs have been segmentized; then send a FIN segment, enter LAST-ACK". */
TEST(close_wait__close__last_ack)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE(tcp_fx_to_close_wait(&t, T_MS(100)));
	at_time(&t, T_MS(200));
	CHECK_EQ(tern_close(t.fx.s, t.sd), 0);
	t.sd = -1;
	OUT(&t, T_MS(200), .seq = t.us, .ack = t.peer, .flags = FIN | ACK);
	CHECK_STATE(&t, TCPS_LAST_ACK);
	tcp_fx_finish(&t);
}

/* §3.10.7.4 step 5, LAST-ACK: "If our FIN is now acknowledged, delete
 * the TCB, enter the CLOSED state". */
TEST(last_ack__ack__closed)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE(tcp_fx_to_last_ack(&t, T_MS(100)));
	IN(&t, T_MS(120), .seq = t.peer, .ack = t.us, .flags = ACK);
	CHECK_STATE(&t, TCPS_CLOSED);
	CHECK_EQ(t.fx.s->socks->tcp.count, 0);
	expect_no_seg(&t, T_SEC(10)); /* no FIN retransmission */
	char b[4];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 0);
	tcp_fx_finish(&t);
}

/* LAST-ACK with the peer silent: the FIN is retransmitted after the RTO
 * (RFC 6298 §5; the SYN-ACK gave a 10 ms sample, so RTO = 10 + 200 ms). */
TEST(last_ack__timeout__fin_retransmitted)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE(tcp_fx_to_last_ack(&t, T_MS(100)));
	OUT(&t, T_MS(101 + 210), .seq = t.us - 1, .ack = t.peer, .flags = FIN | ACK);
	CHECK_EQ(fx_stat(&t.fx, "tcp.retrans_segs"), 1);
	IN(&t, T_MS(320), .seq = t.peer, .ack = t.us, .flags = ACK);
	CHECK_STATE(&t, TCPS_CLOSED);
	expect_no_seg(&t, T_SEC(10));
	tcp_fx_finish(&t);
}

/* §3.10.7.4 step 5, FIN-WAIT-1: "if the FIN segment is now acknowledged,
 * then enter FIN-WAIT-2 and continue processing in that state". */
TEST(fin_wait_1__ack__fin_wait_2)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE(tcp_fx_to_fin_wait_1(&t, T_MS(100)));
	IN(&t, T_MS(110), .seq = t.peer, .ack = t.us, .flags = ACK);
	CHECK_STATE(&t, TCPS_FIN_WAIT_2);
	expect_no_seg(&t, T_SEC(30)); /* no FIN retransmission; no timeout with a socket open */
	CHECK_STATE(&t, TCPS_FIN_WAIT_2);
	/* Data still flows toward us in FIN-WAIT-2 (half-close). */
	IN(&t, T_SEC(31), .seq = t.peer, .ack = t.us, .flags = ACK, .data = "more", .len = 4);
	OUT(&t, T_SEC(31) + T_MS(40), .seq = t.us, .ack = t.peer + 4, .flags = ACK,
	    W((T_RCV_CAP - 4) >> 7));
	tcp_fx_finish(&t);
}

/* An ACK that does not cover our FIN leaves FIN-WAIT-1 as it is. */
TEST(fin_wait_1__partial_ack__fin_wait_1)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	SEND(&t, T_MS(100), "abcd", 4);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK, .data = "abcd", .len = 4);
	at_time(&t, T_MS(101));
	CHECK_EQ(tern_shutdown(t.fx.s, t.sd, TERN_SHUT_WR), 0);
	OUT(&t, T_MS(101), .seq = t.us + 4, .ack = t.peer, .flags = FIN | ACK);
	IN(&t, T_MS(110), .seq = t.peer, .ack = t.us + 4, .flags = ACK);
	CHECK_STATE(&t, TCPS_FIN_WAIT_1);
	IN(&t, T_MS(111), .seq = t.peer, .ack = t.us + 5, .flags = ACK);
	CHECK_STATE(&t, TCPS_FIN_WAIT_2);
	expect_no_seg(&t, T_SEC(2));
	tcp_fx_finish(&t);
}

/* §3.10.7.4 step 8, FIN-WAIT-1: "If our FIN has been ACKed (perhaps in
 * this segment), then enter TIME-WAIT ...; otherwise, enter the CLOSING
 * state." */
TEST(fin_wait_1__fin__closing)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE(tcp_fx_to_closing(&t, T_MS(100)));
	CHECK_STATE(&t, TCPS_CLOSING);
	tcp_fx_finish(&t);
}

TEST(fin_wait_1__fin_ack__time_wait)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE(tcp_fx_to_fin_wait_1(&t, T_MS(100)));
	IN(&t, T_MS(110), .seq = t.peer, .ack = t.us, .flags = FIN | ACK);
	OUT(&t, T_MS(110), .seq = t.us, .ack = t.peer + 1, .flags = ACK);
	CHECK_STATE(&t, TCPS_TIME_WAIT);
	tcp_fx_finish(&t);
}

/* §3.10.7.4 step 5, CLOSING: "if the ACK acknowledges our FIN, then enter
 * the TIME-WAIT state; otherwise, ignore the segment." */
TEST(closing__ack__time_wait)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE(tcp_fx_to_closing(&t, T_MS(100)));
	IN(&t, T_MS(120), .seq = t.peer, .ack = t.us, .flags = ACK);
	CHECK_STATE(&t, TCPS_TIME_WAIT);
	expect_no_seg(&t, T_SEC(59));
	tcp_fx_finish(&t);
}

/* §3.10.7.4 step 8, FIN-WAIT-2: "Enter the TIME-WAIT state. Start the
 * time-wait timer, turn off the other timers." */
TEST(fin_wait_2__fin__time_wait)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE(tcp_fx_to_fin_wait_2(&t, T_MS(100)));
	IN(&t, T_MS(200), .seq = t.peer, .ack = t.us, .flags = FIN | ACK);
	OUT(&t, T_MS(200), .seq = t.us, .ack = t.peer + 1, .flags = ACK);
	CHECK_STATE(&t, TCPS_TIME_WAIT);
	char b[4];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 0);
	tcp_fx_finish(&t);
}

/* An orphan in FIN-WAIT-2 (the socket closed) gives up after
 * tcp_fin_timeout (Linux's tcp_fin_timeout, 60 s), silently. */
TEST(fin_wait_2__fin_timeout__closed)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	at_time(&t, T_MS(100));
	CHECK_EQ(tern_close(t.fx.s, t.sd), 0);
	t.sd = -1;
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = FIN | ACK);
	t.us++;
	IN(&t, T_MS(110), .seq = t.peer, .ack = t.us, .flags = ACK);
	CHECK_STATE(&t, TCPS_FIN_WAIT_2);
	fx_advance(&t.fx, T_MS(110) + TERN_SEC(60) - 1);
	CHECK_STATE(&t, TCPS_FIN_WAIT_2);
	expect_no_seg(&t, T_MS(110) + TERN_SEC(60));
	CHECK_STATE(&t, TCPS_CLOSED);
	tcp_fx_finish(&t);
}

/* §3.10.7.4: TIME-WAIT, "The only thing that can arrive in this state is
 * a retransmission of the remote FIN. Acknowledge it, and restart the
 * 2 MSL timeout." Then §3.10.8: "the timeout ... delete the TCB". */
TEST(time_wait__2msl__closed)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE(tcp_fx_to_time_wait(&t, T_MS(100)));
	tern_time_t tw = T_MS(102);
	fx_advance(&t.fx, tw + TERN_SEC(60) - 1);
	CHECK_STATE(&t, TCPS_TIME_WAIT);
	expect_no_seg(&t, tw + TERN_SEC(60));
	CHECK_STATE(&t, TCPS_CLOSED);
	CHECK_EQ(t.fx.s->socks->tcp.count, 0);
	tcp_fx_finish(&t);
}

TEST(time_wait__fin__ack_and_restart)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE(tcp_fx_to_time_wait(&t, T_MS(100)));
	IN(&t, T_SEC(30), .seq = t.peer - 1, .ack = t.us, .flags = FIN | ACK);
	OUT(&t, T_SEC(30), .seq = t.us, .ack = t.peer, .flags = ACK);
	fx_advance(&t.fx, T_SEC(30) + TERN_SEC(60) - 1);
	CHECK_STATE(&t, TCPS_TIME_WAIT);
	fx_advance(&t.fx, T_SEC(30) + TERN_SEC(60));
	CHECK_STATE(&t, TCPS_CLOSED);
	tcp_fx_finish(&t);
}

/* RFC 6191 §2 / FreeBSD tcp_twcheck: a SYN for the same 4-tuple with a
 * sequence number above RCV.NXT reopens it; the old TIME-WAIT goes. */
TEST(time_wait__syn_higher_seq__syn_received)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE(tcp_fx_to_time_wait(&t, T_MS(100)));
	uint32_t old_iss = t.iss;
	t.irs = t.peer + 100000;
	REQUIRE(tcp_fx_syn_received(&t, false, T_SEC(1)));
	CHECK(t.iss != old_iss);
	CHECK_STATE(&t, TCPS_SYN_RECEIVED);
	CHECK_EQ(fx_stat(&t.fx, "tcp.time_wait_reused"), 1);
	IN(&t, T_SEC(1) + T_MS(5), .seq = t.peer, .ack = t.us, .flags = ACK);
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	tcp_fx_finish(&t);
}

/* The same with the socket closed first: the TIME-WAIT tcb is an orphan,
 * freed when the SYN reuses its 4-tuple (and never touched after). */
TEST(time_wait__syn_higher_seq__syn_received_orphan)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE(tcp_fx_to_time_wait(&t, T_MS(100)));
	at_time(&t, T_MS(500));
	CHECK_EQ(tern_close(t.fx.s, t.sd), 0);
	t.sd = -1;
	t.irs = t.peer + 100000;
	REQUIRE(tcp_fx_syn_received(&t, false, T_SEC(1)));
	CHECK_STATE(&t, TCPS_SYN_RECEIVED);
	CHECK_EQ(t.fx.s->socks->tcp.count, 1);
	tcp_fx_finish(&t);
}

/* ... and one with a lower sequence number does not: TIME-WAIT stays,
 * nothing is opened. */
TEST(time_wait__syn_lower_seq__time_wait)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE(tcp_fx_to_time_wait(&t, T_MS(100)));
	IN(&t, T_SEC(1), .seq = t.peer - 500, .flags = SYN, .mss_opt = true, .mss = T_PEER_MSS);
	CHECK_STATE(&t, TCPS_TIME_WAIT);
	CHECK_EQ(fx_stat(&t.fx, "tcp.time_wait_reused"), 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.passive_opens"), 1);
	/* no SYN-ACK */
	for (struct fx_frame *f; (f = fx_pop(&t.fx));) {
		struct fx_pkt p;
		struct tern_tcp_repr th;
		REQUIRE(fx_parse(f, &p) == TERN_STAT_NONE);
		REQUIRE(tern_tcp_parse(p.l4, p.l4_len, p.ip.src, p.ip.dst, 0, &th) == 0);
		CHECK(!(th.flags & SYN));
		fx_pkt_free(&p);
	}
	tcp_fx_finish(&t);
}

/* ---- resets of an established connection (§3.10.7.4 step 2) ---- */

/* "ESTABLISHED ... If the RST bit is set, then any outstanding RECEIVEs
 * and SEND should receive 'reset' responses ... Enter the CLOSED state"
 * — for RFC 5961 §3.2 only a reset exactly at RCV.NXT. */
TEST(established__rst__closed)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	IN(&t, T_MS(100), .seq = t.peer, .flags = RST, W(0));
	CHECK_STATE(&t, TCPS_CLOSED);
	expect_no_seg(&t, T_SEC(5));
	char b[4];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), TERN_ECONNRESET);
	CHECK_EQ(fx_stat(&t.fx, "tcp.estab_resets"), 1);
	tcp_fx_finish(&t);
}

TEST(close_wait__rst__closed)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE(tcp_fx_to_close_wait(&t, T_MS(100)));
	IN(&t, T_MS(200), .seq = t.peer, .flags = RST, W(0));
	CHECK_STATE(&t, TCPS_CLOSED);
	CHECK_EQ(tern_send(t.fx.s, t.sd, "x", 1, 0), TERN_EPIPE);
	expect_no_seg(&t, T_SEC(5));
	tcp_fx_finish(&t);
}

/* "CLOSING, LAST-ACK, TIME-WAIT: If the RST bit is set, then enter the
 * CLOSED state, delete the TCB". (TIME-WAIT as Linux with tcp_rfc1337 0.) */
TEST(last_ack__rst__closed)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE(tcp_fx_to_last_ack(&t, T_MS(100)));
	IN(&t, T_MS(200), .seq = t.peer, .flags = RST, W(0));
	CHECK_STATE(&t, TCPS_CLOSED);
	expect_no_seg(&t, T_SEC(5));
	tcp_fx_finish(&t);
}

TEST(time_wait__rst__closed)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE(tcp_fx_to_time_wait(&t, T_MS(100)));
	IN(&t, T_MS(300), .seq = t.peer, .flags = RST, W(0));
	CHECK_STATE(&t, TCPS_CLOSED);
	expect_no_seg(&t, T_SEC(5));
	tcp_fx_finish(&t);
}

/* RFC 9293 §3.10.7.1 / RFC 2525 §2.17: closing with unread data aborts:
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, no FIN. */
TEST(established__close_unread__rst)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	IN(&t, T_MS(100), .seq = t.peer, .ack = t.us, .flags = ACK, .data = "unread", .len = 6);
	at_time(&t, T_MS(120));
	CHECK_EQ(tern_close(t.fx.s, t.sd), 0);
	t.sd = -1;
	OUT(&t, T_MS(120), .seq = t.us, .ack = t.peer + 6, .flags = RST | ACK);
	CHECK_STATE(&t, TCPS_CLOSED);
	expect_no_seg(&t, T_SEC(5)); /* not the delayed ACK, not a FIN */
	tcp_fx_finish(&t);
}

/* SO_LINGER {1, 0}: close aborts with a reset even with nothing unread. */
TEST(established__close_linger0__rst)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	at_time(&t, T_MS(100));
	struct tern_linger l = {1, 0};
	REQUIRE_EQ(tern_setsockopt(t.fx.s, t.sd, TERN_SOL_SOCKET, TERN_SO_LINGER, &l, sizeof(l)), 0);
	CHECK_EQ(tern_close(t.fx.s, t.sd), 0);
	t.sd = -1;
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = RST | ACK);
	CHECK_STATE(&t, TCPS_CLOSED);
	tcp_fx_finish(&t);
}

/* ---- §3.10.7.1: CLOSED (no connection, no listener) ---- */

/* The expected reset's TCP header, byte for byte (RFC 9293 §3.1), with
 * its checksum computed here from the pseudo-header. */
static void want_rst(uint8_t *h, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		     uint8_t flags)
{
	memset(h, 0, 20);
	wr16(h, sport);
	wr16(h + 2, dport);
	wr32(h + 4, seq);
	wr32(h + 8, ack);
	h[12] = 0x50;
	h[13] = flags;
	uint32_t sum = tern_csum_pseudo4(FX_IP_US, FX_IP_PEER, TERN_IPPROTO_TCP, 20);
	wr16(h + 16, tern_csum_fold(tern_csum_partial(h, 20, sum)));
}

static void expect_rst_bytes(struct tfx *t, tern_time_t at, const uint8_t *want)
{
	struct fx_pkt p;
	struct tern_tcp_repr th;
	if (!tcp_pop_(t, at, &p, &th, __FILE__, __LINE__))
		return;
	CHECK_EQ(p.l4_len, 20);
	if (p.l4_len == 20 && memcmp(p.l4, want, 20) != 0) {
		fx_hexdiff(p.l4, want, 20);
		TEST_FAIL_("reset differs");
	}
	CHECK_EQ(p.ip.ttl, 64);
	fx_pkt_free(&p);
}

/* "If the ACK bit is off, sequence number zero is used,
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>" — SEG.LEN counting SYN
 * and FIN. */
TEST(closed__syn__rst_ack)
{
	struct tfx t;
	tcp_fx_config(&t);
	tcp_fx_start(&t);
	uint8_t want[20];
	IN(&t, T_MS(10), .seq = 0x12345678, .flags = SYN, .mss_opt = true, .mss = 1460, .dport = 81);
	want_rst(want, 81, T_PORT_PEER, 0, 0x12345679, RST | ACK);
	expect_rst_bytes(&t, T_MS(10), want);
	/* Payload and FIN count too: 5 + 1. */
	IN(&t, T_MS(20), .seq = 0xfffffffe, .flags = FIN, .data = "hello", .len = 5, .dport = 81);
	want_rst(want, 81, T_PORT_PEER, 0, 0x00000004, RST | ACK);
	expect_rst_bytes(&t, T_MS(20), want);
	CHECK_EQ(fx_stat(&t.fx, "tcp.no_port"), 2);
	CHECK_EQ(fx_stat(&t.fx, "tcp.out_rsts"), 2);
	tcp_fx_finish(&t);
}

/* "If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>". */
TEST(closed__ack__rst)
{
	struct tfx t;
	tcp_fx_config(&t);
	tcp_fx_start(&t);
	uint8_t want[20];
	IN(&t, T_MS(10), .seq = 42, .ack = 0xdeadbeef, .flags = ACK, .data = "xyz", .len = 3,
	   .dport = 81);
	want_rst(want, 81, T_PORT_PEER, 0xdeadbeef, 0, RST);
	expect_rst_bytes(&t, T_MS(10), want);
	tcp_fx_finish(&t);
}

/* "If the incoming segment has the RST bit set, it is discarded" — in
 * CLOSED and in LISTEN (§3.10.7.2: "An incoming RST should be ignored"). */
TEST(closed__rst__nothing)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen(&t));
	IN(&t, T_MS(10), .seq = 1, .flags = RST, .dport = 81);
	IN(&t, T_MS(11), .seq = 1, .ack = 5, .flags = RST | ACK, .dport = 81);
	IN(&t, T_MS(12), .seq = 1, .flags = RST);        /* the listener */
	IN(&t, T_MS(13), .seq = 1, .ack = 5, .flags = RST | ACK);
	expect_no_seg(&t, T_SEC(1));
	CHECK_EQ(fx_stat(&t.fx, "tcp.out_rsts"), 0);
	tcp_fx_finish(&t);
}

/* §3.10.7.2 LISTEN: "Any acknowledgment is bad if it arrives on a
 * connection still in the LISTEN state. An acceptable reset segment
 * should be formed ... <SEQ=SEG.ACK><CTL=RST>"; a segment without SYN or
 * ACK is dropped. */
TEST(listen__ack__rst)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen(&t));
	IN(&t, T_MS(10), .seq = 5, .ack = 777, .flags = ACK);
	OUT(&t, T_MS(10), .seq = 777, .flags = RST, W(0));
	IN(&t, T_MS(11), .seq = 5, .flags = TERN_TCP_PSH, .data = "x", .len = 1);
	expect_no_seg(&t, T_SEC(1));
	CHECK_EQ(t.fx.s->socks->tcp.count, 0);
	tcp_fx_finish(&t);
}

/* RFC 1122 §4.2.3.10: a segment to a broadcast address gets no answer. */
TEST(closed__broadcast__no_rst)
{
	struct tfx t;
	tcp_fx_config(&t);
	tcp_fx_start(&t);
	uint8_t f[128];
	struct tern_tcp_repr r = {.sport = 1000, .dport = 81, .seq = 9, .flags = SYN, .window = 100};
	uint8_t seg[20];
	tern_tcp_emit(&r, seg, FX_IP_PEER, TERN_IP4(10, 0, 0, 255), 0, 0);
	struct fxb_ip ip = {.src = FX_IP_PEER, .dst = TERN_IP4(10, 0, 0, 255),
			    .proto = TERN_IPPROTO_TCP};
	size_t n = fxb_ip(f, tern_mac_broadcast, FX_MAC_PEER, &ip, seg, 20);
	fx_inject(&t.fx, 0, T_MS(10), f, n);
	expect_no_seg(&t, T_SEC(1));
	tcp_fx_finish(&t);
}

TEST_MAIN()
