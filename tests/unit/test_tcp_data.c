/*
 * tests/unit/test_tcp_data.c — TCP segment by segment once synchronized:
 * RFC 5961's defences, PAWS (RFC 7323 §5), the options of the handshake
 * (RFC 9293 §3.7.1, RFC 7323), delayed ACKs (RFC 1122 §4.2.3.2), Nagle
 * (RFC 896, RFC 1122 §4.2.3.4), out-of-order data, the window's edge,
 * sequence numbers across 2^32, ISNs and ports (RFC 6528, RFC 6056),
 * and the listener's budgets.
 */
#include "tcp_fixture.h"

#define ACK TERN_TCP_ACK
#define SYN TERN_TCP_SYN
#define FIN TERN_TCP_FIN
#define RST TERN_TCP_RST
#define PSH TERN_TCP_PSH

/* Our window with n bytes received and unread (the right edge stays
 * where it was, RFC 9293 §3.8.6.2.1), scaled by 7. */
#define WIN_UNREAD(n) ((uint16_t)((T_RCV_CAP - (n)) >> 7))

static uint8_t payload[4096];

static void init_payload(void)
{
	fx_pattern(payload, sizeof(payload), 3);
}

/* ---- RFC 5961 ---- */

/* RFC 5961 §3.2: "If the RST bit is set and the sequence number exactly
 * matches the next expected sequence number (RCV.NXT), then TCP MUST
 * reset the connection" — test_tcp_states established__rst__closed;
 * "Otherwise (in window), TCP MUST send an ACK (challenge ACK)
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>" and keep the connection. */
TEST(rfc5961__rst_in_window__challenge_ack)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	IN(&t, T_MS(100), .seq = t.peer + 1, .flags = RST, W(0));
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK);
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	IN(&t, T_MS(101), .seq = t.peer + 50000, .ack = t.us, .flags = RST | ACK, W(0));
	OUT(&t, T_MS(101), .seq = t.us, .ack = t.peer, .flags = ACK);
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	CHECK_EQ(fx_stat(&t.fx, "tcp.rst_in_window"), 2);
	CHECK_EQ(fx_stat(&t.fx, "tcp.challenge_acks"), 2);
	/* The right reset still works. */
	IN(&t, T_MS(102), .seq = t.peer, .flags = RST, W(0));
	CHECK_STATE(&t, TCPS_CLOSED);
	expect_no_seg(&t, T_SEC(1));
	tcp_fx_finish(&t);
}

/* RFC 5961 §3.2 / RFC 9293 §3.10.7.4 step 1: "If the RST bit is set and
 * the sequence number is outside the current receive window, silently
 * drop the segment." Also one just below RCV.NXT. */
TEST(rfc5961__rst_out_of_window__dropped)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	IN(&t, T_MS(100), .seq = t.peer + T_RCV_CAP, .flags = RST, W(0));
	IN(&t, T_MS(101), .seq = t.peer - 1, .flags = RST, W(0));
	expect_no_seg(&t, T_MS(200));
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	tcp_fx_finish(&t);
}

/* RFC 5961 §4.2: "If the SYN bit is set, irrespective of the sequence
 * number, TCP MUST send an ACK (also referred to as challenge ACK) to
 * the remote peer" and drop the segment; the connection stays. */
TEST(rfc5961__syn_in_established__challenge_ack)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	IN(&t, T_MS(100), .seq = t.peer + 10, .flags = SYN, .mss_opt = true, .mss = 1460);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK);
	IN(&t, T_MS(101), .seq = t.irs, .flags = SYN, .mss_opt = true, .mss = 1460);
	OUT(&t, T_MS(101), .seq = t.us, .ack = t.peer, .flags = ACK);
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	CHECK(fx_stat(&t.fx, "tcp.syn_in_window") >= 1);
	expect_no_seg(&t, T_SEC(1));
	tcp_fx_finish(&t);
}

/* RFC 5961 §4.2, "irrespective of the sequence number": a SYN beyond the
 * window, or one the window has passed, gets the same challenge ACK (not
 * the rate-limited out-of-window ACK), counted as Linux's TCPSYNChallenge. */
TEST(rfc5961__syn_out_of_window__challenge_ack)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	IN(&t, T_MS(100), .seq = t.peer + T_RCV_CAP + 5000, .flags = SYN, .mss_opt = true, .mss = 1460);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK);
	IN(&t, T_MS(101), .seq = t.peer - 70000, .flags = SYN, .mss_opt = true, .mss = 1460);
	OUT(&t, T_MS(101), .seq = t.us, .ack = t.peer, .flags = ACK);
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	CHECK_EQ(fx_stat(&t.fx, "tcp.syn_challenge"), 2);
	CHECK_EQ(fx_stat(&t.fx, "tcp.challenge_acks"), 2);
	CHECK_EQ(fx_stat(&t.fx, "tcp.syn_in_window"), 0);
	expect_no_seg(&t, T_SEC(1));
	tcp_fx_finish(&t);
}

/* RFC 5961 §5.2: "(SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT ... All
 * incoming segments whose ACK value doesn't satisfy the above condition
 * MUST be discarded and an ACK sent back." The data they carry is not
 * taken. */
TEST(rfc5961__ack_too_old__challenge_ack)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	uint32_t max_wnd = T_PEER_WIN << 7;
	IN(&t, T_MS(100), .seq = t.peer, .ack = t.us - max_wnd - 1, .flags = ACK, .data = "zz",
	   .len = 2);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK);
	CHECK_EQ(fx_stat(&t.fx, "tcp.rcv_old_ack"), 1);
	char b[4];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), TERN_EAGAIN);
	/* At the limit it is acceptable: the data is taken (a delayed ACK). */
	IN(&t, T_MS(200), .seq = t.peer, .ack = t.us - max_wnd, .flags = ACK, .data = "zz",
	   .len = 2);
	OUT(&t, T_MS(240), .seq = t.us, .ack = t.peer + 2, .flags = ACK, W(WIN_UNREAD(2)));
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 2);
	tcp_fx_finish(&t);
}

/* RFC 9293 §3.10.7.4 step 5: "If the ACK acks something not yet sent
 * (SEG.ACK > SND.NXT), then send an ACK, drop the segment, and return." */
TEST(rfc5961__ack_above_snd_nxt__ack_and_drop)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	IN(&t, T_MS(100), .seq = t.peer, .ack = t.us + 1, .flags = ACK, .data = "zz", .len = 2);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK);
	CHECK_EQ(fx_stat(&t.fx, "tcp.rcv_ack_too_much"), 1);
	char b[4];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), TERN_EAGAIN);
	expect_no_seg(&t, T_SEC(1));
	tcp_fx_finish(&t);
}

/* RFC 9293 §3.10.7.4 step 1: an unacceptable segment (here wholly
 * beyond the window) gets <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and is
 * dropped. */
TEST(established__out_of_window__ack)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	IN(&t, T_MS(100), .seq = t.peer + T_RCV_CAP, .ack = t.us, .flags = ACK, .data = payload,
	   .len = 10);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK);
	CHECK_EQ(fx_stat(&t.fx, "tcp.rcv_pack_after_win"), 1);
	/* An old duplicate too (from before the peer's ISN: nothing to
	 * report in a D-SACK block, test_tcp_sack has those). */
	IN(&t, T_MS(110), .seq = t.peer - 10, .ack = t.us, .flags = ACK, .data = payload, .len = 10);
	OUT(&t, T_MS(110), .seq = t.us, .ack = t.peer, .flags = ACK);
	CHECK_EQ(fx_stat(&t.fx, "tcp.rcv_dup_pack"), 1);
	tcp_fx_finish(&t);
}

/* A pure ACK at the right edge itself is what a sender that has filled
 * our window sends: taken, as Linux's tcp_sequence and FreeBSD take it
 * (its ACK field counts; no answer, no retransmission later). */
TEST(established__pure_ack_at_right_edge__taken)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	SEND(&t, T_MS(100), payload, 100);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 100);
	IN(&t, T_MS(101), .seq = t.peer + T_RCV_CAP, .ack = t.us + 100, .flags = ACK);
	expect_no_seg(&t, T_SEC(5));
	CHECK_EQ(fx_stat(&t.fx, "tcp.rcv_pack_after_win"), 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.retrans_segs"), 0);
	t.us += 100;
	tcp_fx_finish(&t);
}

/* RFC 9293 §3.10.7.4 answers an unacceptable segment with an ACK; to a
 * pure ACK, at most one answer per tcp_invalid_ratelimit (500 ms), as
 * Linux's tcp_oow_rate_limited, so two stacks cannot ACK each other's
 * ACKs for ever. */
TEST(established__out_of_window_pure_acks__answers_rate_limited)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	uint32_t beyond = t.peer + T_RCV_CAP + 1; /* past any edge we advertise */
	IN(&t, T_MS(100), .seq = beyond, .ack = t.us, .flags = ACK);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK);
	IN(&t, T_MS(110), .seq = beyond, .ack = t.us, .flags = ACK);
	IN(&t, T_MS(400), .seq = beyond, .ack = t.us, .flags = ACK);
	expect_no_seg(&t, T_MS(599));
	CHECK_EQ(fx_stat(&t.fx, "tcp.ack_skipped_seq"), 2);
	IN(&t, T_MS(600), .seq = beyond, .ack = t.us, .flags = ACK);
	OUT(&t, T_MS(600), .seq = t.us, .ack = t.peer, .flags = ACK);
	CHECK_EQ(fx_stat(&t.fx, "tcp.rcv_pack_after_win"), 4);
	tcp_fx_finish(&t);
}

/* ---- PAWS, RFC 7323 §5.3 ---- */

/* "If SEG.TSval < TS.Recent and if TS.Recent is valid, then treat the
 * arriving segment as not acceptable: Send an acknowledgment in reply as
 * specified in [RFC 793] page 69 and drop the segment." */
TEST(paws__old_tsval__dropped)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established_opt(&t, true));
	uint32_t recent = t.peer_ts; /* the handshake ACK's TSval */
	IN(&t, T_MS(100), .seq = t.peer, .ack = t.us, .flags = ACK, .data = "old", .len = 3,
	   .ts = true, .tsval = recent - 1, .tsecr = our_tsval(&t, T_MS(20)));
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK, .ts = true,
	    .tsval = our_tsval(&t, T_MS(100)), .tsecr = recent);
	CHECK_EQ(fx_stat(&t.fx, "tcp.paws_drop"), 1);
	char b[4];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), TERN_EAGAIN);
	/* The same bytes with a current TSval are taken. */
	IN(&t, T_MS(110), .seq = t.peer, .ack = t.us, .flags = ACK, .data = "new", .len = 3);
	OUT(&t, T_MS(150), .seq = t.us, .ack = t.peer + 3, .flags = ACK, W(WIN_UNREAD(3)));
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 3);
	CHECK_MEM(b, "new", 3);
	tcp_fx_finish(&t);
}

/* RFC 7323 §4.3: TSecr echoes TS.Recent, the TSval of the segment that
 * advanced the left window edge; TSval is our clock (ms, with a
 * per-connection offset). */
TEST(options__timestamps_echoed)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established_opt(&t, true));
	IN(&t, T_MS(100), .seq = t.peer, .ack = t.us, .flags = ACK, .data = "abc", .len = 3,
	   .ts = true, .tsval = 0x11223344, .tsecr = our_tsval(&t, T_MS(20)));
	OUT(&t, T_MS(140), .seq = t.us, .ack = t.peer + 3, .flags = ACK, W(WIN_UNREAD(3)),
	    .ts = true, .tsval = our_tsval(&t, T_MS(140)), .tsecr = 0x11223344);
	/* Our data carries them too; MSS less the 12 option bytes. */
	at_time(&t, T_MS(200));
	init_payload();
	CHECK_EQ(tern_send(t.fx.s, t.sd, payload, 2000, 0), 2000);
	OUT(&t, T_MS(200), .seq = t.us, .ack = t.peer + 3, .flags = ACK, W(WIN_UNREAD(3)),
	    .data = payload, .len = 1448, .ts = true, .tsval = our_tsval(&t, T_MS(200)),
	    .tsecr = 0x11223344);
	tcp_fx_finish(&t);
}

/* ---- options at the handshake ---- */

/* TCP.md §7: our SYN's options byte for byte as Linux lays them out:
 * MSS 1460, SACK-permitted, TS, NOP, window scale 7 (40-byte header). */
TEST(options__syn_layout_as_linux)
{
	struct tfx t;
	tcp_fx_config(&t);
	tcp_fx_start(&t);
	at_time(&t, T_MS(10));
	int sd = tern_socket(t.fx.s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in dst = sa(FX_IP_PEER, 5001);
	REQUIRE_EQ(tern_connect(t.fx.s, sd, &dst), TERN_EINPROGRESS);
	struct fx_pkt p;
	expect_tx_parse(&t.fx, &p);
	REQUIRE_EQ(p.l4_len, 40);
	CHECK_EQ(p.l4[12], 0xa0);
	CHECK_EQ(p.l4[13], SYN);
	CHECK_EQ(rd16(p.l4 + 14), 65535);
	uint32_t tsval = rd32(p.l4 + 28);
	const uint8_t want[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, (uint8_t)(tsval >> 24),
				  (uint8_t)(tsval >> 16), (uint8_t)(tsval >> 8), (uint8_t)tsval,
				  0, 0, 0, 0, 1, 3, 3, 7};
	CHECK_MEM(p.l4 + 20, want, 20);
	fx_pkt_free(&p);
	tcp_fx_finish(&t);
}

/* RFC 9293 §3.7.1: the MSS we offer is the route's MTU less 40 ("MSS =
 * MTU - 20 - 20" for IPv4), and what we send is at most the peer's. */
TEST(options__mss_clamped_to_route_mtu)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	tcp_fx_start(&t);
	REQUIRE_EQ(tern_stack_iface_set_mtu(t.fx.s, t.fx.devs[0].ifindex, 1400), 0);
	at_time(&t, T_MS(10));
	t.sd = tern_socket(t.fx.s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in dst = sa(FX_IP_PEER, 5001);
	REQUIRE_EQ(tern_connect(t.fx.s, t.sd, &dst), TERN_EINPROGRESS);
	struct fx_pkt p;
	struct tern_tcp_repr th;
	REQUIRE(tcp_pop_(&t, T_MS(10), &p, &th, __FILE__, __LINE__));
	CHECK(th.has_mss);
	CHECK_EQ(th.mss, 1360);
	fx_pkt_free(&p);
	t.lport = th.sport;
	t.pport = 5001;
	t.iss = th.seq;
	t.us = t.iss + 1;
	t.peer = t.irs + 1;
	IN(&t, T_MS(20), .seq = t.irs, .ack = t.us, .flags = SYN | ACK, .mss_opt = true,
	   .mss = 1460, .ws_opt = true, .ws = 7);
	OUT(&t, T_MS(20), .seq = t.us, .ack = t.peer, .flags = ACK);
	SEND(&t, T_MS(30), payload, 2000);
	OUT(&t, T_MS(30), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 1360);
	tcp_fx_finish(&t);
}

TEST(options__mss_clamped_to_peer)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	t.peer_mss = 536;
	REQUIRE(tcp_fx_passive_established(&t));
	SEND(&t, T_MS(100), payload, 1000);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 536);
	/* The 464 left wait for the ACK (Nagle: RFC 1122 §4.2.3.4). */
	expect_no_seg(&t, T_MS(150));
	IN(&t, T_MS(150), .seq = t.peer, .ack = t.us + 536, .flags = ACK);
	OUT(&t, T_MS(150), .seq = t.us + 536, .ack = t.peer, .flags = ACK | PSH, .psh = true,
	    .data = payload + 536, .len = 464);
	tcp_fx_finish(&t);
}

/* RFC 9293 §3.7.1: without an MSS option, 536. */
TEST(options__mss_default_536)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	t.peer_mss = 0;
	REQUIRE(tcp_fx_passive_established(&t));
	SEND(&t, T_MS(100), payload, 600);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 536);
	tcp_fx_finish(&t);
}

/* RFC 7323 §1.3 / §2.2: no window scaling unless both offer it: our SYN-
 * ACK has no WS option, our windows and the peer's are unscaled. */
TEST(options__no_wscale_without_peer_offer)
{
	struct tfx t;
	tcp_fx_config(&t);
	t.peer_wscale = -1;
	t.peer_win = 64240;
	REQUIRE(tcp_fx_listen(&t));
	struct seg syn = peer_syn(&t, false, T_MS(10));
	inject_seg(&t, T_MS(10), &syn);
	struct tern_tcb *tp = tfx_tcb(&t);
	REQUIRE(tp != NULL);
	t.iss = tp->iss;
	t.us = t.iss + 1;
	t.peer = t.irs + 1;
	OUT(&t, T_MS(10), .seq = t.iss, .ack = t.peer, .flags = SYN | ACK, .mss_opt = true,
	    .mss = T_OUR_MSS, .sackok = true);
	IN(&t, T_MS(20), .seq = t.peer, .ack = t.us, .flags = ACK, W(1000));
	t.sd = tern_accept(t.fx.s, t.lsd, NULL);
	REQUIRE(t.sd >= 0);
	/* The peer's window is 1000 bytes, unscaled: 1000 go, no more. */
	init_payload();
	at_time(&t, T_MS(100));
	t.our_win = 65535;
	CHECK_EQ(tern_send(t.fx.s, t.sd, payload, 1400, 0), 1400);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK, .data = payload, .len = 1000);
	expect_no_seg(&t, T_MS(150));
	tcp_fx_finish(&t);
}

/* ---- delayed ACKs, RFC 1122 §4.2.3.2 / RFC 9293 §3.8.6.3 ---- */

/* "an ACK should not be excessively delayed; in particular, the delay
 * MUST be less than 0.5 seconds": tern waits tcp_delack, 40 ms (Linux's
 * TCP_DELACK_MIN). */
TEST(delayed_ack__40ms)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	IN(&t, T_MS(100), .seq = t.peer, .ack = t.us, .flags = ACK | PSH, .data = payload,
	   .len = 100);
	expect_no_seg(&t, T_MS(140) - 1);
	OUT(&t, T_MS(140), .seq = t.us, .ack = t.peer + 100, .flags = ACK, W(WIN_UNREAD(100)));
	CHECK_EQ(fx_stat(&t.fx, "tcp.delayed_acks"), 1);
	expect_no_seg(&t, T_SEC(1));
	tcp_fx_finish(&t);
}

/* Linux's quick ACKs (tcp_quickacks, 16 by default): a connection's first
 * data is acknowledged at once; once tern has answered within the
 * delayed-ACK time (an interactive, "pingpong" exchange), ACKs wait. */
TEST(quickack__first_data_at_once_then_delayed_once_interactive)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_quickacks = 16;
	REQUIRE(tcp_fx_passive_established(&t));
	IN(&t, T_MS(100), .seq = t.peer, .ack = t.us, .flags = ACK | PSH, .data = payload,
	   .len = 100);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer + 100, .flags = ACK, W(WIN_UNREAD(100)));
	t.peer += 100;
	/* We answer within 40 ms: interactive from now on. */
	char buf[200];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, buf, sizeof(buf), 0), 100);
	CHECK_EQ(tern_send(t.fx.s, t.sd, "ok", 2, 0), 2);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK | PSH, .data = (const uint8_t *)"ok",
	    .len = 2, .psh = true);
	t.us += 2;
	IN(&t, T_MS(110), .seq = t.peer, .ack = t.us, .flags = ACK | PSH, .data = payload,
	   .len = 100);
	expect_no_seg(&t, T_MS(150) - 1);
	OUT(&t, T_MS(150), .seq = t.us, .ack = t.peer + 100, .flags = ACK, W(WIN_UNREAD(100)));
	CHECK_EQ(fx_stat(&t.fx, "tcp.delayed_acks"), 1);
	tcp_fx_finish(&t);
}

/* A segment that is all a repeat says our ACK was lost or late: it is
 * acknowledged at once (a D-SACK, RFC 2883) and the sender, recovering,
 * gets quick ACKs again (Linux's tcp_data_queue: TcpExtDelayedACKLost,
 * tcp_enter_quickack_mode), here tcp_quickacks = 1 of them. */
TEST(quickack__again_after_a_repeated_segment)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_quickacks = 1;
	REQUIRE(tcp_fx_passive_established(&t));
	uint32_t P = t.peer;
	IN(&t, T_MS(100), .seq = P, .ack = t.us, .flags = ACK, .data = payload, .len = 100);
	OUT(&t, T_MS(100), .seq = t.us, .ack = P + 100, .flags = ACK, W(WIN_UNREAD(100)));
	IN(&t, T_MS(110), .seq = P, .ack = t.us, .flags = ACK, .data = payload, .len = 100);
	OUT(&t, T_MS(110), .seq = t.us, .ack = P + 100, .flags = ACK, W(WIN_UNREAD(100)),
	    .sack = {{P, P + 100}});
	CHECK_EQ(fx_stat(&t.fx, "tcp.delayed_ack_lost"), 1);
	IN(&t, T_MS(120), .seq = P + 100, .ack = t.us, .flags = ACK, .data = payload + 100,
	   .len = 100);
	OUT(&t, T_MS(120), .seq = t.us, .ack = P + 200, .flags = ACK, W(WIN_UNREAD(200)));
	/* the quick ACK used: the next waits the 40 ms */
	IN(&t, T_MS(130), .seq = P + 200, .ack = t.us, .flags = ACK, .data = payload + 200,
	   .len = 100);
	expect_no_seg(&t, T_MS(170) - 1);
	OUT(&t, T_MS(170), .seq = t.us, .ack = P + 300, .flags = ACK, W(WIN_UNREAD(300)));
	t.peer = P + 300;
	tcp_fx_finish(&t);
}

/* "in a stream of full-sized segments there SHOULD be an ACK for at
 * least every second segment": the second goes out at once. */
TEST(delayed_ack__second_full_segment_immediate)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	IN(&t, T_MS(100), .seq = t.peer, .ack = t.us, .flags = ACK, .data = payload, .len = 1460);
	IN(&t, T_MS(101), .seq = t.peer + 1460, .ack = t.us, .flags = ACK, .data = payload + 1460,
	   .len = 1460);
	OUT(&t, T_MS(101), .seq = t.us, .ack = t.peer + 2920, .flags = ACK, W(WIN_UNREAD(2920)));
	expect_no_seg(&t, T_SEC(1)); /* the delayed ACK went with it */
	uint8_t b[4096];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 2920);
	CHECK_MEM(b, payload, 2920);
	tcp_fx_finish(&t);
}

/* The same with timestamps: a full-sized segment carries 1448 bytes (the
 * MSS less the 12 option bytes), and two of them are two full segments
 * (Linux's rcv_mss estimate), though 2896 < 2 x the 1460 advertised. */
TEST(delayed_ack__second_full_segment_immediate_with_timestamps)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established_opt(&t, true));
	IN(&t, T_MS(100), .seq = t.peer, .ack = t.us, .flags = ACK, .data = payload, .len = 1448);
	IN(&t, T_MS(101), .seq = t.peer + 1448, .ack = t.us, .flags = ACK, .data = payload + 1448,
	   .len = 1448);
	/* TSecr: the earlier segment's TSval (RFC 7323 §4.3) */
	OUT(&t, T_MS(101), .seq = t.us, .ack = t.peer + 2896, .flags = ACK, W(WIN_UNREAD(2896)),
	    .ts = true, .tsval = our_tsval(&t, T_MS(101)), .tsecr = peer_tsval(&t, T_MS(100)));
	expect_no_seg(&t, T_SEC(1));
	tcp_fx_finish(&t);
}

/* TCP_QUICKACK: no delay. */
TEST(delayed_ack__quickack_immediate)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE_EQ(set_int(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_QUICKACK, 1), 0);
	IN(&t, T_MS(100), .seq = t.peer, .ack = t.us, .flags = ACK, .data = "q", .len = 1);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer + 1, .flags = ACK, W(WIN_UNREAD(1)));
	tcp_fx_finish(&t);
}

/* ---- Nagle, RFC 896 / RFC 1122 §4.2.3.4 ---- */

/* "If there is unacknowledged data (i.e., SND.NXT > SND.UNA), then the
 * sending TCP buffers all user data (regardless of the PSH bit), until
 * the outstanding data has been acknowledged or until the TCP can send a
 * full-sized segment." */
/* ESTABLISHED; 100 bytes written at 100 ms leave at once (nothing in
 * flight), 50 more at 101 ms wait. */
static bool nagle_holding(struct tfx *t)
{
	init_payload();
	tcp_fx_config(t);
	if (!tcp_fx_passive_established(t))
		return false;
	at_time(t, T_MS(100));
	if (tern_send(t->fx.s, t->sd, payload, 100, 0) != 100)
		return false;
	TRY_SEG(t, T_MS(100), &SEG(.seq = t->us, .ack = t->peer, .flags = ACK | PSH, .psh = true,
				  .data = payload, .len = 100));
	at_time(t, T_MS(101));
	return tern_send(t->fx.s, t->sd, payload + 100, 50, 0) == 50;
}

TEST(nagle__holds_small_segment_until_ack)
{
	struct tfx t;
	REQUIRE(nagle_holding(&t));
	expect_no_seg(&t, T_MS(150));
	IN(&t, T_MS(150), .seq = t.peer, .ack = t.us + 100, .flags = ACK);
	OUT(&t, T_MS(150), .seq = t.us + 100, .ack = t.peer, .flags = ACK | PSH, .psh = true,
	    .data = payload + 100, .len = 50);
	tcp_fx_finish(&t);
}

/* TCP_NODELAY: setting it sends what Nagle held, at once; later small
 * writes go while data is in flight. */
TEST(nodelay__releases_held_segment)
{
	struct tfx t;
	REQUIRE(nagle_holding(&t));
	expect_no_seg(&t, T_MS(120));
	REQUIRE_EQ(set_int(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_NODELAY, 1), 0);
	OUT(&t, T_MS(120), .seq = t.us + 100, .ack = t.peer, .flags = ACK, .data = payload + 100,
	    .len = 50);
	SEND(&t, T_MS(130), payload + 150, 10);
	OUT(&t, T_MS(130), .seq = t.us + 150, .ack = t.peer, .flags = ACK, .data = payload + 150,
	    .len = 10);
	tcp_fx_finish(&t);
}

/* ---- out of order, the window's edge ---- */

/* RFC 9293 §3.10.7.4 step 7 / RFC 5681 §4.2: an out-of-order segment is
 * queued and answered at once with a duplicate ACK (its SACK blocks, RFC
 * 2018, the newest first); the one that fills the hole is acknowledged
 * at once with everything queued behind it. */
TEST(ooo__queued_then_delivered_when_hole_fills)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	IN(&t, T_MS(100), .seq = t.peer + 100, .ack = t.us, .flags = ACK, .data = payload + 100,
	   .len = 100);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK,
	    .sack = {{t.peer + 100, t.peer + 200}});
	IN(&t, T_MS(101), .seq = t.peer + 300, .ack = t.us, .flags = ACK, .data = payload + 300,
	   .len = 100);
	OUT(&t, T_MS(101), .seq = t.us, .ack = t.peer, .flags = ACK,
	    .sack = {{t.peer + 300, t.peer + 400}, {t.peer + 100, t.peer + 200}});
	uint8_t b[1024];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), TERN_EAGAIN);
	IN(&t, T_MS(110), .seq = t.peer, .ack = t.us, .flags = ACK, .data = payload, .len = 100);
	OUT(&t, T_MS(110), .seq = t.us, .ack = t.peer + 200, .flags = ACK, W(WIN_UNREAD(200)),
	    .sack = {{t.peer + 300, t.peer + 400}});
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 200);
	CHECK_MEM(b, payload, 200);
	/* The second hole, filled with overlap on both sides: the front, below
	 * RCV.NXT, is the duplicate reported (RFC 2883 §4), the tail's copy of
	 * held data does not touch it. No block is left. */
	IN(&t, T_MS(120), .seq = t.peer + 150, .ack = t.us, .flags = ACK, .data = payload + 150,
	   .len = 200);
	OUT(&t, T_MS(120), .seq = t.us, .ack = t.peer + 400, .flags = ACK, W(WIN_UNREAD(400)),
	    .sack = {{t.peer + 150, t.peer + 200}});
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 200);
	CHECK_MEM(b, payload + 200, 200);
	tcp_fx_finish(&t);
}

/* One-byte pieces above a hole, each charged a whole buffer, fill
 * SO_RCVBUF long before the window: the segment that fills the hole must
 * still be taken. The highest pieces are dropped to make room (Linux's
 * tcp_prune_ofo_queue; reneging, RFC 2018 §8), never the newcomer, and
 * the SACK blocks stop reporting what was dropped. */

/* The ACK to expect while pieces i..i-3 (newest first) are reported. */
static struct seg ack_with_pieces(const struct tfx *t, uint32_t ack, int newest, int n)
{
	struct seg e = {.seq = t->us, .ack = ack, .flags = ACK};
	for (int k = 0; k < n && newest - k >= 0; k++) {
		uint32_t l = t->peer + 2 + 2 * (uint32_t)(newest - k);
		e.sack[k] = (struct tern_tcp_sack_block){l, l + 1};
	}
	return e;
}

TEST(ooo__full_receive_buffer__pruned_for_the_hole)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	int n = 0;
	while (fx_stat(&t.fx, "tcp.rcvbuf_drop") == 0 && n < 1000) {
		IN(&t, T_MS(100), .seq = t.peer + 2 + 2 * (uint32_t)n, .ack = t.us, .flags = ACK,
		   .data = payload + 2 + 2 * n, .len = 1);
		/* Reported: this piece and the three before; the piece that
		 * did not fit adds none. */
		bool fit = fx_stat(&t.fx, "tcp.rcvbuf_drop") == 0;
		struct seg e = ack_with_pieces(&t, t.peer, fit ? n : n - 1, 4);
		expect_seg(&t, T_MS(100), &e);
		n++;
	}
	REQUIRE(n > 10 && n < 1000);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ofo_pruned"), 0);
	/* The byte at RCV.NXT: the top piece (n - 2) goes to make room for it. */
	IN(&t, T_MS(110), .seq = t.peer, .ack = t.us, .flags = ACK, .data = payload, .len = 1);
	struct seg e = ack_with_pieces(&t, t.peer + 1, n - 3, 3);
	e.win = WIN_UNREAD(1);
	e.win_set = true;
	expect_seg(&t, T_MS(110), &e);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ofo_pruned"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.rcvbuf_drop"), 1);
	/* The lowest pieces stayed: the byte at +1 joins the one at +2 (the
	 * buffer is still full, the reader has not read: piece n - 3 goes). */
	IN(&t, T_MS(120), .seq = t.peer + 1, .ack = t.us, .flags = ACK, .data = payload + 1, .len = 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ofo_pruned"), 2);
	e = ack_with_pieces(&t, t.peer + 3, n - 4, 2);
	e.win = WIN_UNREAD(3);
	e.win_set = true;
	expect_seg(&t, T_MS(120), &e);
	uint8_t b[8];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 3);
	CHECK_MEM(b, payload, 3);
	tcp_fx_finish(&t);
}

/* RFC 9293 §3.10.7.4 step 1: "Segments with higher beginning sequence
 * numbers ... should be ... trimmed ... to keep only those within the
 * window". A 2304-byte buffer (SO_RCVBUF 2304 → 4608 charged, half of it
 * payload) advertises 2304 bytes, unscaled: the window scale offered is
 * what the buffer the application fixed needs (0, as Linux's
 * tcp_select_initial_window); the second segment is cut there. */
TEST(data_beyond_window_trimmed)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	t.rcvbuf = 2304;
	t.our_win = 2304;
	REQUIRE(tcp_fx_active_established(&t));
	IN(&t, T_MS(100), .seq = t.peer, .ack = t.us, .flags = ACK, .data = payload, .len = 1460);
	/* 844 left, less than two segments: acknowledged at once (its edge
	 * kept). */
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer + 1460, .flags = ACK, W(844));
	IN(&t, T_MS(110), .seq = t.peer + 1460, .ack = t.us, .flags = ACK, .data = payload + 1460,
	   .len = 1460);
	OUT(&t, T_MS(110), .seq = t.us, .ack = t.peer + 2304, .flags = ACK, W(0));
	uint8_t b[4096];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 2304);
	CHECK_MEM(b, payload, 2304);
	tcp_fx_finish(&t);
}

/* ---- sequence numbers across 2^32 (TCP.md §2) ---- */

TEST(seq_wrap__peer_iss_near_2_32)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	t.irs = 0xfffffff0u;
	REQUIRE(tcp_fx_passive_established(&t));
	CHECK_EQ(t.peer, 0xfffffff1u);
	IN(&t, T_MS(100), .seq = t.peer, .ack = t.us, .flags = ACK, .data = payload, .len = 1460);
	IN(&t, T_MS(101), .seq = t.peer + 1460, .ack = t.us, .flags = ACK, .data = payload + 1460,
	   .len = 1460);
	OUT(&t, T_MS(101), .seq = t.us, .ack = 0xfffffff1u + 2920, .flags = ACK,
	    W(WIN_UNREAD(2920)));
	CHECK_EQ(0xfffffff1u + 2920, 2905u);
	/* Out of order across the wrap and back. */
	IN(&t, T_MS(110), .seq = 2905 + 100, .ack = t.us, .flags = ACK, .data = payload, .len = 100);
	OUT(&t, T_MS(110), .seq = t.us, .ack = 2905, .flags = ACK, W(WIN_UNREAD(2920)),
	    .sack = {{3005, 3105}});
	IN(&t, T_MS(111), .seq = 2905, .ack = t.us, .flags = ACK, .data = payload, .len = 100);
	OUT(&t, T_MS(111), .seq = t.us, .ack = 2905 + 200, .flags = ACK, W(WIN_UNREAD(3120)));
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	IN(&t, T_MS(120), .seq = 2905 + 200, .ack = t.us, .flags = ACK | FIN);
	OUT(&t, T_MS(120), .seq = t.us, .ack = 2905 + 201, .flags = ACK, W(WIN_UNREAD(3121)));
	CHECK_STATE(&t, TCPS_CLOSE_WAIT);
	uint8_t b[4096];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 3120);
	tcp_fx_finish(&t);
}

/* ---- ISNs (RFC 6528) and ephemeral ports (RFC 6056) ---- */

struct opened {
	uint16_t port[2];
	uint32_t iss[2];
};

/* Two connects at 10 ms, to 10.0.0.2:5001 and :5002. */
static void open_two(uint64_t seed, struct opened *o)
{
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.seed = seed;
	tcp_fx_start(&t);
	at_time(&t, T_MS(10));
	for (int i = 0; i < 2; i++) {
		int sd = tern_socket(t.fx.s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
		struct tern_sockaddr_in dst = sa(FX_IP_PEER, (uint16_t)(5001 + i));
		CHECK_EQ(tern_connect(t.fx.s, sd, &dst), TERN_EINPROGRESS);
		struct fx_pkt p;
		struct tern_tcp_repr th;
		o->port[i] = 0;
		if (!tcp_pop_(&t, T_MS(10), &p, &th, __FILE__, __LINE__))
			break;
		o->port[i] = th.sport;
		o->iss[i] = th.seq;
		fx_pkt_free(&p);
	}
	tcp_fx_finish(&t);
}

TEST(isn_and_ports__per_tuple_and_seed)
{
	struct opened a, b, c;
	open_two(42, &a);
	open_two(42, &b);
	open_two(43, &c);
	CHECK(a.port[0] >= 32768 && a.port[0] <= 60999);
	CHECK(a.port[0] != a.port[1]);
	CHECK(a.iss[0] != a.iss[1]);
	CHECK_EQ(a.port[0], b.port[0]);
	CHECK_EQ(a.port[1], b.port[1]);
	CHECK_EQ(a.iss[0], b.iss[0]);
	CHECK_EQ(a.iss[1], b.iss[1]);
	CHECK(a.iss[0] != c.iss[0]);
	CHECK(a.port[0] != c.port[0] || a.port[1] != c.port[1]);
}

/* RFC 6528: ISN = M + F(4-tuple): the same peer from two ports gets two
 * unrelated ISNs; and M, a 4 µs clock, moves the same tuple's ISN on. */
TEST(isn__passive_per_tuple_and_clock)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen(&t));
	REQUIRE(tcp_fx_syn_received(&t, false, T_MS(10)));
	uint32_t a = t.iss;
	t.pport++;
	REQUIRE(tcp_fx_syn_received(&t, false, T_MS(10)));
	uint32_t b = t.iss;
	CHECK(a != b);
	CHECK(b - a != 0 && (b - a) > 1000000u && (a - b) > 1000000u);
	/* The first tuple again, 4 ms later (after an RST freed it). */
	t.pport--;
	IN(&t, T_MS(12), .seq = T_PEER_ISS + 1, .flags = RST, W(0));
	REQUIRE(tcp_fx_syn_received(&t, false, T_MS(14)));
	CHECK_EQ(t.iss - a, 1000u); /* 4 ms / 4 µs */
	tcp_fx_finish(&t);
}

/* ---- the listener's budgets ---- */

/* Linux: the accept queue is full when it holds more than the backlog;
 * a SYN then is dropped silently (ListenOverflows), and answered again
 * once accept made room. */
TEST(listen__backlog_full__syn_dropped)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen_backlog(&t, 1));
	for (int i = 0; i < 2; i++) {
		t.pport = (uint16_t)(T_PORT_PEER + i);
		REQUIRE(tcp_fx_syn_received(&t, false, T_MS(10 + i)));
		IN(&t, T_MS(10 + i), .seq = t.peer, .ack = t.us, .flags = ACK);
	}
	t.pport = T_PORT_PEER + 2;
	IN(&t, T_MS(20), .seq = 5000, .flags = SYN, .mss_opt = true, .mss = 1460);
	expect_no_seg(&t, T_MS(500));
	CHECK_EQ(fx_stat(&t.fx, "tcp.listen_overflows"), 1);
	CHECK_STATE(&t, TCPS_CLOSED);
	CHECK(tern_accept(t.fx.s, t.lsd, NULL) >= 0);
	t.irs = 5000;
	REQUIRE(tcp_fx_syn_received(&t, false, T_SEC(1)));
	tcp_fx_finish(&t);
}

/* The stack's half-open budget (tcp_max_syn_backlog): a SYN past it is
 * dropped silently and counted (tcp.syn_queue_full); when one completes,
 * room is made. */
TEST(listen__half_open_budget__syn_dropped)
{
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_max_syn_backlog = 2;
	t.fx.cfg.tcp_syncookies = 0; /* the budget alone; cookies: the next test */
	REQUIRE(tcp_fx_listen(&t));
	uint32_t us0 = 0;
	for (int i = 0; i < 2; i++) {
		t.pport = (uint16_t)(T_PORT_PEER + i);
		REQUIRE(tcp_fx_syn_received(&t, false, T_MS(10 + i)));
		if (i == 0)
			us0 = t.us;
	}
	CHECK_EQ(t.fx.s->socks->tcp.half_open, 2);
	t.pport = T_PORT_PEER + 2;
	IN(&t, T_MS(20), .seq = T_PEER_ISS, .flags = SYN, .mss_opt = true, .mss = 1460);
	expect_no_seg(&t, T_MS(500));
	CHECK_EQ(fx_stat(&t.fx, "tcp.syn_queue_full"), 1);
	CHECK_STATE(&t, TCPS_CLOSED);
	/* The first completes: a place is free. */
	t.pport = T_PORT_PEER;
	IN(&t, T_MS(600), .seq = T_PEER_ISS + 1, .ack = us0, .flags = ACK);
	CHECK_EQ(t.fx.s->socks->tcp.half_open, 1);
	t.pport = T_PORT_PEER + 2;
	REQUIRE(tcp_fx_syn_received(&t, false, T_MS(700)));
	tcp_fx_finish(&t);
}

/* Past the half-open budget, SYN cookies (tcp_syncookies = 1, as Linux):
 * the third SYN is answered with a SYN-ACK and no tcb, its ACK makes the
 * connection, with the window scale and SACK the SYN offered (kept in the
 * ISN, FreeBSD's way: no timestamps needed); a forged ACK is refused. */
TEST(listen__syn_queue_full__syn_cookies)
{
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_max_syn_backlog = 2;
	REQUIRE(tcp_fx_listen(&t));
	for (int i = 0; i < 2; i++) {
		t.pport = (uint16_t)(T_PORT_PEER + i);
		REQUIRE(tcp_fx_syn_received(&t, false, T_MS(10 + i)));
	}
	t.pport = T_PORT_PEER + 2;
	REQUIRE(tcp_fx_syn_received(&t, false, T_MS(20))); /* a SYN-ACK all the same */
	CHECK_EQ(fx_stat(&t.fx, "tcp.syncookies_sent"), 1);
	CHECK_EQ(t.fx.s->socks->tcp.half_open, 2);        /* nothing kept for it */
	CHECK_STATE(&t, TCPS_CLOSED);
	/* A forged ACK (wrong cookie) from a fourth port: reset. */
	t.pport = T_PORT_PEER + 3;
	IN(&t, T_MS(25), .seq = T_PEER_ISS + 1, .ack = t.us + 77, .flags = ACK);
	OUT(&t, T_MS(25), .seq = t.us + 77, .flags = RST);
	CHECK_EQ(fx_stat(&t.fx, "tcp.syncookies_failed"), 1);
	/* The real ACK, with data: established, acceptable, data queued. */
	t.pport = T_PORT_PEER + 2;
	IN(&t, T_MS(30), .seq = t.peer, .ack = t.us, .flags = ACK | PSH, .data = "GET", .len = 3);
	CHECK_EQ(fx_stat(&t.fx, "tcp.syncookies_recv"), 1);
	CHECK_STATE(&t, TCPS_ESTABLISHED);
	struct tern_tcb *tp = tfx_tcb(&t);
	REQUIRE(tp != NULL);
	CHECK_EQ(tp->snd_scale, 7);
	CHECK_EQ(tp->rcv_scale, 7);
	CHECK(tp->flags & TF_SACK_PERMIT);
	CHECK_EQ(tp->t_maxseg, 1460);
	struct tern_sockaddr_in peer;
	t.sd = tern_accept(t.fx.s, t.lsd, &peer);
	REQUIRE(t.sd >= 0);
	CHECK_EQ(peer.port, T_PORT_PEER + 2);
	char buf[8];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, buf, sizeof(buf), 0), 3);
	tcp_fx_finish(&t);
}

/* ---- the socket callback ---- */

/* A callback that shuts down writing once it reads the end of the stream
 * (an echo server's) is called again by that shutdown, reads the end
 * again and shuts down again: a shutdown that changes nothing must not
 * call it once more, or it recurses without end (found by fuzz_tcp). */
static unsigned eof_shut_calls;
static void eof_shut_cb(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	(void)ctx;
	(void)events;
	char buf[64];
	if (++eof_shut_calls > 100)
		abort(); /* recursing */
	if (tern_recv(s, sd, buf, sizeof(buf), 0) == 0)
		tern_shutdown(s, sd, TERN_SHUT_WR);
}

TEST(callback__shutdown_at_eof__no_recursion)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	eof_shut_calls = 0;
	REQUIRE_EQ(tern_socket_set_callback(t.fx.s, t.sd, eof_shut_cb, NULL), 0);
	IN(&t, T_MS(100), .seq = t.peer, .ack = t.us, .flags = FIN | ACK);
	t.peer++;
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = FIN | ACK);
	t.us++;
	CHECK_STATE(&t, TCPS_LAST_ACK);
	CHECK(eof_shut_calls <= 3);
	IN(&t, T_MS(101), .seq = t.peer, .ack = t.us, .flags = ACK);
	expect_no_seg(&t, T_SEC(1));
	tcp_fx_finish(&t);
}

/* ---- a full device queue; buffers that follow the path ---- */

/* The device refuses a data segment (its queue is full, TERN_ENOBUFS): the
 * segment stays unsent, as Linux keeps what its qdisc dropped: nothing is
 * counted as sent or lost, the window is reduced once (as for ECE, Linux's
 * tcp_enter_cwr), and with nothing in flight to bring an ACK a 1 ms timer
 * sends it. */
TEST(tx_refused__segment_stays_unsent_and_goes_1ms_later)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_active_established(&t));
	uint32_t cwnd = tfx_tcb(&t)->snd_cwnd;
	t.fx.tx_refuse = 1;
	SEND(&t, T_MS(100), payload, 100);
	expect_no_seg(&t, T_MS(100) + TERN_USEC(900));
	CHECK_EQ(tern_stack_stat(t.fx.s, TERN_STAT_TCP_TX_REFUSED), 1);
	CHECK_EQ(tfx_tcb(&t)->snd_max, t.us);
	CHECK(tfx_tcb(&t)->snd_cwnd < cwnd);
	OUT(&t, T_MS(101), .seq = t.us, .ack = t.peer, .flags = ACK | PSH, .data = payload, .len = 100);
	CHECK_EQ(tern_stack_stat(t.fx.s, TERN_STAT_TCP_RETRANS_SEGS), 0);
	IN(&t, T_MS(150), .seq = t.peer, .ack = t.us + 100, .flags = ACK);
	tcp_fx_finish(&t);
}

/* With data in flight, the refused segment waits for the next ACK. */
TEST(tx_refused__segment_goes_with_the_next_ack)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_active_established(&t));
	REQUIRE_EQ(set_int(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_NODELAY, 1), 0);
	SEND(&t, T_MS(100), payload, 100);
	OUT(&t, T_MS(100), .seq = t.us, .ack = t.peer, .flags = ACK | PSH, .data = payload, .len = 100);
	t.fx.tx_refuse = 1;
	SEND(&t, T_MS(110), payload + 100, 50);
	expect_no_seg(&t, T_MS(150));
	IN(&t, T_MS(150), .seq = t.peer, .ack = t.us + 100, .flags = ACK);
	OUT(&t, T_MS(150), .seq = t.us + 100, .ack = t.peer, .flags = ACK | PSH, .data = payload + 100,
	    .len = 50);
	CHECK_EQ(tern_stack_stat(t.fx.s, TERN_STAT_TCP_TX_REFUSED), 1);
	CHECK_EQ(tern_stack_stat(t.fx.s, TERN_STAT_TCP_RETRANS_SEGS), 0);
	IN(&t, T_MS(200), .seq = t.peer, .ack = t.us + 150, .flags = ACK);
	tcp_fx_finish(&t);
}

/* The window scale offered covers the largest buffer auto-tuning may
 * reach: tern's tcp_rmem[2] of 32 MiB needs 10 (Linux's 6 MiB, 7); a
 * buffer the application fixed needs less (RFC 7323 §2.2; Linux's
 * tcp_select_initial_window). */
TEST(wscale__offered_from_tcp_rmem_max_or_the_fixed_buffer)
{
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_rmem[2] = 33554432;
	REQUIRE(tcp_fx_syn_sent(&t));
	CHECK_EQ(tfx_tcb(&t)->rcv_scale, 10);
	tcp_fx_finish(&t);
	tcp_fx_config(&t);
	t.fx.cfg.tcp_rmem[2] = 33554432;
	t.rcvbuf = 200000; /* 400000 charged, a 200000-byte window */
	REQUIRE(tcp_fx_syn_sent(&t));
	CHECK_EQ(tfx_tcb(&t)->rcv_scale, 2);
	tcp_fx_finish(&t);
}

TEST_MAIN()
