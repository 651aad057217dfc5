/*
 * tests/unit/test_tcp_sack.c — SACK blocks from the receiver (RFC 2018)
 * and D-SACK (RFC 2883), segment by segment with explicit time: the
 * blocks every ACK carries while data waits out of order, their order
 * (the newest first), how many fit (3 with timestamps, 4 without), how
 * they go as the holes fill, the duplicate reported first, across 2^32,
 * and none when SACK was not negotiated; the sender's count of the
 * blocks it receives (the scoreboard itself: test_tcp_recovery.c).
 */
#include "tcp_fixture.h"

#define ACK TERN_TCP_ACK
#define SYN TERN_TCP_SYN
#define FIN TERN_TCP_FIN
#define PSH TERN_TCP_PSH

/* Our window with n bytes received and unread, scaled by 7. */
#define WIN_UNREAD(n) ((uint16_t)((T_RCV_CAP - (n)) >> 7))

static uint8_t payload[8192];

static void init_payload(void)
{
	fx_pattern(payload, sizeof(payload), 5);
}

/* The peer sends payload[off, off + len) at sequence P + off. */
#define DATA(t, now, off, n)                                                              \
	IN((t), (now), .seq = (t)->peer + (off), .ack = (t)->us, .flags = ACK,            \
	   .data = payload + (off), .len = (n))

/* ---- RFC 2018: blocks ---- */

/* §4: one hole, one block, on an ACK sent at once (RFC 5681 §4.2); the
 * segment that fills it is acknowledged at once and the block is gone. */
TEST(sack__one_hole__one_block_then_none)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	uint32_t P = t.peer;
	DATA(&t, T_MS(100), 1000, 500);
	OUT(&t, T_MS(100), .seq = t.us, .ack = P, .flags = ACK, .sack = {{P + 1000, P + 1500}});
	/* More of the same run extends the block. */
	DATA(&t, T_MS(101), 1500, 500);
	OUT(&t, T_MS(101), .seq = t.us, .ack = P, .flags = ACK, .sack = {{P + 1000, P + 2000}});
	DATA(&t, T_MS(110), 0, 1000);
	OUT(&t, T_MS(110), .seq = t.us, .ack = P + 2000, .flags = ACK, W(WIN_UNREAD(2000)));
	CHECK_EQ(tfx_tcb(&t)->sack_count, 0);
	uint8_t b[4096];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 2000);
	CHECK_MEM(b, payload, 2000);
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_old_sent") + fx_stat(&t.fx, "tcp.dsack_ofo_sent"), 0);
	tcp_fx_finish(&t);
}

/* §4: "The first SACK block ... MUST specify the contiguous block of data
 * containing the segment which triggered this ACK"; the others "the most
 * recently reported SACK blocks". A segment between two blocks joins
 * them into the first. */
TEST(sack__several_holes__newest_first_and_merge)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	uint32_t P = t.peer;
	DATA(&t, T_MS(100), 100, 100);
	OUT(&t, T_MS(100), .seq = t.us, .ack = P, .flags = ACK, .sack = {{P + 100, P + 200}});
	DATA(&t, T_MS(101), 500, 100);
	OUT(&t, T_MS(101), .seq = t.us, .ack = P, .flags = ACK,
	    .sack = {{P + 500, P + 600}, {P + 100, P + 200}});
	DATA(&t, T_MS(102), 300, 100);
	OUT(&t, T_MS(102), .seq = t.us, .ack = P, .flags = ACK,
	    .sack = {{P + 300, P + 400}, {P + 500, P + 600}, {P + 100, P + 200}});
	/* An older block touched again moves to the front. */
	DATA(&t, T_MS(103), 200, 50);
	OUT(&t, T_MS(103), .seq = t.us, .ack = P, .flags = ACK,
	    .sack = {{P + 100, P + 250}, {P + 300, P + 400}, {P + 500, P + 600}});
	/* [250, 300) joins [100, 250) and [300, 400). */
	DATA(&t, T_MS(104), 250, 50);
	OUT(&t, T_MS(104), .seq = t.us, .ack = P, .flags = ACK,
	    .sack = {{P + 100, P + 400}, {P + 500, P + 600}});
	tcp_fx_finish(&t);
}

/* §4: blocks go as RCV.NXT reaches them. */
TEST(sack__blocks_drop_out_as_holes_fill)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	uint32_t P = t.peer;
	DATA(&t, T_MS(100), 200, 100);
	OUT(&t, T_MS(100), .seq = t.us, .ack = P, .flags = ACK, .sack = {{P + 200, P + 300}});
	DATA(&t, T_MS(101), 400, 100);
	OUT(&t, T_MS(101), .seq = t.us, .ack = P, .flags = ACK,
	    .sack = {{P + 400, P + 500}, {P + 200, P + 300}});
	/* Part of the first hole: the blocks stay, in their order. */
	DATA(&t, T_MS(102), 0, 100);
	OUT(&t, T_MS(102), .seq = t.us, .ack = P + 100, .flags = ACK, W(WIN_UNREAD(100)),
	    .sack = {{P + 400, P + 500}, {P + 200, P + 300}});
	/* The rest of it: [200, 300) is in order now, its block gone. */
	DATA(&t, T_MS(103), 100, 100);
	OUT(&t, T_MS(103), .seq = t.us, .ack = P + 300, .flags = ACK, W(WIN_UNREAD(300)),
	    .sack = {{P + 400, P + 500}});
	DATA(&t, T_MS(104), 300, 100);
	OUT(&t, T_MS(104), .seq = t.us, .ack = P + 500, .flags = ACK, W(WIN_UNREAD(500)));
	uint8_t b[1024];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 500);
	CHECK_MEM(b, payload, 500);
	tcp_fx_finish(&t);
}

/* §3: with timestamps (12 bytes) 3 blocks fit the 40 bytes of options;
 * the fourth, the oldest, is not sent (but kept in the list: it comes
 * back once two of the others merge). */
TEST(sack__three_blocks_with_timestamps)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established_opt(&t, true));
	uint32_t P = t.peer;
	/* RFC 7323 §4.3: out-of-order segments leave TS.Recent alone. */
	uint32_t recent = t.peer_ts;
#define TS_AT(at) .ts = true, .tsval = our_tsval(&t, (at)), .tsecr = recent
	for (uint32_t i = 0; i < 4; i++) {
		DATA(&t, T_MS(100 + i), 100 + 200 * i, 100);
		fx_clear_tx(&t.fx);
	}
	DATA(&t, T_MS(110), 800, 10); /* extends the fourth block */
	OUT(&t, T_MS(110), .seq = t.us, .ack = P, .flags = ACK, TS_AT(T_MS(110)),
	    .sack = {{P + 700, P + 810}, {P + 500, P + 600}, {P + 300, P + 400}});
	/* [600, 700) joins two blocks: the oldest is back, third. */
	DATA(&t, T_MS(120), 600, 100);
	OUT(&t, T_MS(120), .seq = t.us, .ack = P, .flags = ACK, TS_AT(T_MS(120)),
	    .sack = {{P + 500, P + 810}, {P + 300, P + 400}, {P + 100, P + 200}});
#undef TS_AT
	/* Filling up to 200: its block goes (and TS.Recent moves). */
	DATA(&t, T_MS(121), 0, 100);
	OUT(&t, T_MS(121), .seq = t.us, .ack = P + 200, .flags = ACK, W(WIN_UNREAD(200)),
	    .sack = {{P + 500, P + 810}, {P + 300, P + 400}});
	tcp_fx_finish(&t);
}

/* §3: without timestamps 4 blocks fit; a fifth pushes the oldest out of
 * the list (§4: the receiver reports the most recent ones). */
TEST(sack__four_blocks_without_timestamps)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	uint32_t P = t.peer;
	for (uint32_t i = 0; i < 4; i++) {
		DATA(&t, T_MS(100 + i), 100 + 200 * i, 100);
		fx_clear_tx(&t.fx);
	}
	DATA(&t, T_MS(110), 800, 10);
	OUT(&t, T_MS(110), .seq = t.us, .ack = P, .flags = ACK,
	    .sack = {{P + 700, P + 810}, {P + 500, P + 600}, {P + 300, P + 400},
		     {P + 100, P + 200}});
	DATA(&t, T_MS(111), 900, 100);
	OUT(&t, T_MS(111), .seq = t.us, .ack = P, .flags = ACK,
	    .sack = {{P + 900, P + 1000}, {P + 700, P + 810}, {P + 500, P + 600},
		     {P + 300, P + 400}});
	/* [100, 200) is still held: filling [0, 100) delivers it. */
	DATA(&t, T_MS(120), 0, 100);
	OUT(&t, T_MS(120), .seq = t.us, .ack = P + 200, .flags = ACK, W(WIN_UNREAD(200)),
	    .sack = {{P + 900, P + 1000}, {P + 700, P + 810}, {P + 500, P + 600},
		     {P + 300, P + 400}});
	tcp_fx_finish(&t);
}

/* Our data segments carry the blocks too, the payload shortened to make
 * room (the segment still fits the MSS: 1448 less 12 for one block). */
TEST(sack__data_segment_makes_room_for_blocks)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established_opt(&t, true));
	uint32_t P = t.peer;
	uint32_t recent = t.peer_ts;
	DATA(&t, T_MS(100), 100, 100);
	OUT(&t, T_MS(100), .seq = t.us, .ack = P, .flags = ACK, .sack = {{P + 100, P + 200}},
	    .ts = true, .tsval = our_tsval(&t, T_MS(100)), .tsecr = recent);
	SEND(&t, T_MS(110), payload, 3000);
	OUT(&t, T_MS(110), .seq = t.us, .ack = P, .flags = ACK, .data = payload, .len = 1436,
	    .sack = {{P + 100, P + 200}}, .ts = true, .tsval = our_tsval(&t, T_MS(110)),
	    .tsecr = recent);
	OUT(&t, T_MS(110), .seq = t.us + 1436, .ack = P, .flags = ACK, .data = payload + 1436,
	    .len = 1436, .sack = {{P + 100, P + 200}}, .ts = true,
	    .tsval = our_tsval(&t, T_MS(110)), .tsecr = recent);
	tcp_fx_finish(&t);
}

/* RFC 2018 §2: "The SACK option ... MUST NOT be sent if SACK-permitted
 * was not received": with tcp_sack off we offer none and send none. */
TEST(sack__off__no_blocks)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_sack = false;
	tcp_fx_start(&t);
	/* The handshake by hand: our SYN-ACK offers no SACK-permitted. */
	int lsd = tern_socket(t.fx.s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in a = sa(0, T_PORT_US);
	REQUIRE(lsd >= 0 && tern_bind(t.fx.s, lsd, &a) == 0 && tern_listen(t.fx.s, lsd, 4) == 0);
	t.lsd = lsd;
	struct seg syn = peer_syn(&t, false, T_MS(10));
	inject_seg(&t, T_MS(10), &syn);
	struct fx_pkt p;
	struct tern_tcp_repr th;
	REQUIRE(tcp_pop_(&t, T_MS(10), &p, &th, __FILE__, __LINE__));
	fx_pkt_free(&p);
	CHECK(!th.sack_perm);
	t.iss = th.seq;
	t.us = t.iss + 1;
	t.peer = t.irs + 1;
	IN(&t, T_MS(20), .seq = t.peer, .ack = t.us, .flags = ACK);
	struct tern_sockaddr_in peer;
	t.sd = tern_accept(t.fx.s, t.lsd, &peer);
	REQUIRE(t.sd >= 0);
	uint32_t P = t.peer;
	DATA(&t, T_MS(100), 100, 100);
	OUT(&t, T_MS(100), .seq = t.us, .ack = P, .flags = ACK);
	DATA(&t, T_MS(101), 100, 100);
	OUT(&t, T_MS(101), .seq = t.us, .ack = P, .flags = ACK); /* a duplicate: no D-SACK */
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_ofo_sent"), 0);
	tcp_fx_finish(&t);
}

/* The peer's SYN without SACK-permitted: no blocks either. */
TEST(sack__peer_without_sack_permitted__no_blocks)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_listen(&t));
	struct seg syn = peer_syn(&t, false, T_MS(10));
	syn.sackok = false;
	inject_seg(&t, T_MS(10), &syn);
	struct fx_pkt p;
	struct tern_tcp_repr th;
	REQUIRE(tcp_pop_(&t, T_MS(10), &p, &th, __FILE__, __LINE__));
	fx_pkt_free(&p);
	CHECK(!th.sack_perm); /* RFC 2018 §2: only in answer to one */
	t.iss = th.seq;
	t.us = t.iss + 1;
	t.peer = t.irs + 1;
	IN(&t, T_MS(20), .seq = t.peer, .ack = t.us, .flags = ACK);
	struct tern_sockaddr_in peer;
	t.sd = tern_accept(t.fx.s, t.lsd, &peer);
	REQUIRE(t.sd >= 0);
	uint32_t P = t.peer;
	DATA(&t, T_MS(100), 100, 100);
	OUT(&t, T_MS(100), .seq = t.us, .ack = P, .flags = ACK);
	tcp_fx_finish(&t);
}

/* Data held beyond the peer's FIN can never be delivered: freed with its
 * blocks when the FIN comes in order (as Linux's tcp_fin); the ACK of the
 * FIN reports nothing (found by fuzz_tcp: a block at RCV.NXT). */
TEST(sack__fin_before_held_data__blocks_and_data_dropped)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	uint32_t P = t.peer;
	DATA(&t, T_MS(100), 200, 100);
	OUT(&t, T_MS(100), .seq = t.us, .ack = P, .flags = ACK, .sack = {{P + 200, P + 300}});
	IN(&t, T_MS(110), .seq = P, .ack = t.us, .flags = ACK | FIN, .data = payload, .len = 100);
	OUT(&t, T_MS(110), .seq = t.us, .ack = P + 101, .flags = ACK, W(WIN_UNREAD(100)));
	CHECK_EQ(tfx_tcb(&t)->ofo_count, 0);
	CHECK_EQ(tfx_tcb(&t)->sack_count, 0);
	CHECK_STATE(&t, TCPS_CLOSE_WAIT);
	uint8_t b[1024];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 100);
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 0);
	tcp_fx_finish(&t);
}

/* One hole, then a run of more than 1024 full-sized segments, all within
 * the window we offered (RFC 9293 §3.8.6: what we are "prepared to
 * accept"): every one is held and its ACK's block grows by it. A fixed
 * cap of 1024 entries refused the rest without a block, and a Linux
 * sender's RACK resent all of them (bench/tcp_paths.sh p2, Linux ->
 * tern). The hole filled, all of it is acknowledged at once. */
TEST(sack__run_longer_than_1024_segments__all_held_and_sacked)
{
	static uint8_t seg[1448];
	fx_pattern(seg, sizeof(seg), 7);
	enum { MSS = 1448, N = 1100 };
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.rmem_max = 8u << 20;
	t.fx.cfg.tcp_ofo_total_bytes = 8u << 20;
	REQUIRE(tcp_fx_passive_established(&t));
	int rcvbuf = 2 << 20; /* doubled: 4 MiB, a 2 MiB window */
	REQUIRE_EQ(tern_setsockopt(t.fx.s, t.sd, TERN_SOL_SOCKET, TERN_SO_RCVBUF, &rcvbuf,
				   sizeof(rcvbuf)),
		   0);
	uint32_t P = t.peer;
	/* The window: the 2 MiB the buffer holds, in our scale. */
	unsigned scale = tfx_tcb(&t)->rcv_scale;
	uint16_t win = (uint16_t)((2u << 20) >> scale);
	CHECK_EQ(tcp_rcv_space(tfx_tcb(&t)), 2u << 20);
	CHECK(N * MSS < (2u << 20));
	for (uint32_t i = 1; i <= N; i++) {
		IN(&t, T_MS(100), .seq = P + i * MSS, .ack = t.us, .flags = ACK, .data = seg,
		   .len = MSS);
		OUT(&t, T_MS(100), .seq = t.us, .ack = P, .flags = ACK,
		    W(win), .sack = {{P + MSS, P + (i + 1) * MSS}});
	}
	CHECK_EQ(tfx_tcb(&t)->ofo_count, N);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ofo_drop"), 0);
	IN(&t, T_MS(110), .seq = P, .ack = t.us, .flags = ACK, .data = seg, .len = MSS);
	OUT(&t, T_MS(110), .seq = t.us, .ack = P + (N + 1) * MSS, .flags = ACK,
	    W((uint16_t)(((2u << 20) - (N + 1) * MSS) >> scale)));
	CHECK_EQ(tfx_tcb(&t)->ofo_count, 0);
	CHECK_EQ(tfx_tcb(&t)->sack_count, 0);
	static uint8_t b[65536];
	size_t got = 0;
	int r;
	while ((r = tern_recv(t.fx.s, t.sd, b, sizeof(b), 0)) > 0)
		got += (size_t)r;
	CHECK_EQ(got, (size_t)(N + 1) * MSS);
	tcp_fx_finish(&t);
}

/* ---- RFC 2883: D-SACK ---- */

/* §4.1.1-like: a segment wholly below RCV.NXT (its ACK was lost) is
 * answered at once, the duplicate in the first block; one half below
 * RCV.NXT reports that half and acknowledges the rest at once. */
TEST(dsack__duplicate_below_rcv_nxt)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	uint32_t P = t.peer;
	DATA(&t, T_MS(100), 0, 100);
	OUT(&t, T_MS(140), .seq = t.us, .ack = P + 100, .flags = ACK, W(WIN_UNREAD(100)));
	DATA(&t, T_MS(150), 0, 100);
	OUT(&t, T_MS(150), .seq = t.us, .ack = P + 100, .flags = ACK, W(WIN_UNREAD(100)),
	    .sack = {{P, P + 100}});
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_old_sent"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.rcv_dup_pack"), 1);
	/* Once: the next ACK carries none. */
	DATA(&t, T_MS(160), 100, 100);
	OUT(&t, T_MS(200), .seq = t.us, .ack = P + 200, .flags = ACK, W(WIN_UNREAD(200)));
	/* Half old, half new (the window's right edge stays where it was). */
	DATA(&t, T_MS(210), 150, 100);
	OUT(&t, T_MS(210), .seq = t.us, .ack = P + 250, .flags = ACK,
	    W((uint16_t)((200 + ((uint32_t)WIN_UNREAD(200) << 7) - 250) >> 7)),
	    .sack = {{P + 150, P + 200}});
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_old_sent"), 2);
	uint8_t b[1024];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 250);
	CHECK_MEM(b, payload, 250);
	tcp_fx_finish(&t);
}

/* §4 and §4.2.1: a copy of data held out of order: the duplicate first,
 * then "the (possibly larger) block of data" containing it, then the
 * other blocks. */
TEST(dsack__duplicate_of_out_of_order_data)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	uint32_t P = t.peer;
	DATA(&t, T_MS(100), 300, 100);
	DATA(&t, T_MS(100), 400, 100);
	DATA(&t, T_MS(101), 700, 100);
	fx_clear_tx(&t.fx);
	DATA(&t, T_MS(110), 350, 100);
	OUT(&t, T_MS(110), .seq = t.us, .ack = P, .flags = ACK,
	    .sack = {{P + 350, P + 450}, {P + 300, P + 500}, {P + 700, P + 800}});
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_ofo_sent"), 1);
	/* A segment that overlaps a held one at its tail: the copy reported,
	 * the rest held; the block holding both goes first. */
	DATA(&t, T_MS(120), 650, 100);
	OUT(&t, T_MS(120), .seq = t.us, .ack = P, .flags = ACK,
	    .sack = {{P + 700, P + 750}, {P + 650, P + 800}, {P + 300, P + 500}});
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_ofo_sent"), 2);
	/* The in-order segment that also brings [300, 350) again. */
	DATA(&t, T_MS(130), 0, 350);
	OUT(&t, T_MS(130), .seq = t.us, .ack = P + 500, .flags = ACK, W(WIN_UNREAD(500)),
	    .sack = {{P + 300, P + 350}, {P + 650, P + 800}});
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_old_sent"), 1);
	uint8_t b[1024];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 500);
	CHECK_MEM(b, payload, 500);
	tcp_fx_finish(&t);
}

/* Linux's tcp_dsack = 0: SACK blocks still, no D-SACK. */
TEST(dsack__off__blocks_without_dsack)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_dsack = false;
	REQUIRE(tcp_fx_passive_established(&t));
	uint32_t P = t.peer;
	DATA(&t, T_MS(100), 300, 100);
	OUT(&t, T_MS(100), .seq = t.us, .ack = P, .flags = ACK, .sack = {{P + 300, P + 400}});
	DATA(&t, T_MS(101), 300, 100);
	OUT(&t, T_MS(101), .seq = t.us, .ack = P, .flags = ACK, .sack = {{P + 300, P + 400}});
	DATA(&t, T_MS(110), 0, 400);
	OUT(&t, T_MS(110), .seq = t.us, .ack = P + 400, .flags = ACK, W(WIN_UNREAD(400)));
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_ofo_sent") + fx_stat(&t.fx, "tcp.dsack_old_sent"), 0);
	tcp_fx_finish(&t);
}

/* ---- across 2^32 ---- */

TEST(sack__sequence_wrap)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	t.irs = 0xffffff00u;
	REQUIRE(tcp_fx_passive_established(&t));
	uint32_t P = t.peer; /* 0xffffff01: 0xff bytes to the wrap */
	DATA(&t, T_MS(100), 0x80, 0x100); /* [0xffffff81, 0x81) */
	OUT(&t, T_MS(100), .seq = t.us, .ack = P, .flags = ACK, .sack = {{0xffffff81u, 0x81u}});
	DATA(&t, T_MS(101), 0x200, 0x80); /* [0x101, 0x181) */
	OUT(&t, T_MS(101), .seq = t.us, .ack = P, .flags = ACK,
	    .sack = {{0x101u, 0x181u}, {0xffffff81u, 0x81u}});
	DATA(&t, T_MS(102), 0x180, 0x80); /* joins both */
	OUT(&t, T_MS(102), .seq = t.us, .ack = P, .flags = ACK, .sack = {{0xffffff81u, 0x181u}});
	/* A D-SACK across the wrap, then the hole. */
	DATA(&t, T_MS(103), 0xf0, 0x20);
	OUT(&t, T_MS(103), .seq = t.us, .ack = P, .flags = ACK,
	    .sack = {{0xfffffff1u, 0x11u}, {0xffffff81u, 0x181u}});
	DATA(&t, T_MS(110), 0, 0x80);
	OUT(&t, T_MS(110), .seq = t.us, .ack = 0x181u, .flags = ACK, W(WIN_UNREAD(0x280)));
	uint8_t b[1024];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 0x280);
	CHECK_MEM(b, payload, 0x280);
	tcp_fx_finish(&t);
}

/* ---- the sender: counted, not trusted ---- */

/* RFC 2883 §4-5: the first block is a D-SACK if it lies below the
 * cumulative ACK, or within the second block. Blocks of nothing we sent
 * are discarded (Linux's TCPSACKDiscard); none changes what we send. */
TEST(sack_input__dsack_counted_invalid_discarded)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	uint32_t U = t.us;
	SEND(&t, T_MS(100), payload, 2920);
	OUT(&t, T_MS(100), .seq = U, .ack = t.peer, .flags = ACK, .data = payload, .len = 1460);
	OUT(&t, T_MS(100), .seq = U + 1460, .ack = t.peer, .flags = ACK, .data = payload + 1460,
	    .len = 1460);
	/* A D-SACK below the ACK. */
	IN(&t, T_MS(110), .seq = t.peer, .ack = U + 1460, .flags = ACK, .sack = {{U, U + 1460}});
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_recv"), 1);
	/* A D-SACK within the second block, which is a valid SACK block
	 * (duplicate ACK 1). */
	IN(&t, T_MS(111), .seq = t.peer, .ack = U + 1460, .flags = ACK,
	   .sack = {{U + 2000, U + 2100}, {U + 1500, U + 2920}});
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_recv"), 2);
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_ofo_recv"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.sack_discard"), 0);
	/* Beyond what we sent, and empty: discarded (duplicate ACK 2). */
	IN(&t, T_MS(112), .seq = t.peer, .ack = U + 1460, .flags = ACK,
	   .sack = {{U + 2000, U + 5000}, {U + 2000, U + 1999}, {U + 1500, U + 2000}});
	CHECK_EQ(fx_stat(&t.fx, "tcp.sack_discard"), 2);
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_recv"), 2);
	/* Its left edge below the ACK: a D-SACK (duplicate ACK 3). */
	IN(&t, T_MS(113), .seq = t.peer, .ack = U + 1460, .flags = ACK,
	   .sack = {{U + 1400, U + 2000}, {U + 1500, U + 2000}});
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_recv"), 3);
	/* Three duplicate ACKs: SACK recovery's first retransmission (RFC
	 * 6675 §5 step 4.3) of SND.UNA, only the 40 octets below the SACKed
	 * [U + 1500, U + 2920), and nothing else. */
	OUT(&t, T_MS(113), .seq = U + 1460, .ack = t.peer, .flags = ACK, .data = payload + 1460,
	    .len = 40);
	expect_no_seg(&t, T_MS(113));
	CHECK_EQ(fx_stat(&t.fx, "tcp.fast_retransmits"), 1);
	IN(&t, T_MS(120), .seq = t.peer, .ack = U + 2920, .flags = ACK);
	expect_no_seg(&t, T_MS(300));
	/* TCP_INFO's tcpi_dsack_dups: the segments the valid D-SACKs named
	 * (1460 bytes, 100, and 600 of a 1460-byte MSS: one each). */
	struct tern_tcp_info ti;
	size_t len = sizeof(ti);
	REQUIRE_EQ(tern_getsockopt(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &len), 0);
	CHECK_EQ(ti.tcpi_dsack_dups, 3);
	tcp_fx_finish(&t);
}

/* RFC 6675 §2: with SACK, a duplicate ACK is any segment whose blocks
 * bring news, even one that moves the window or carries data (RFC 5681's
 * definition counts neither, so a peer that sends too, or whose window
 * grows, would leave every loss to the retransmission timer). */
TEST(sack_input__news_counts_as_duplicate_ack)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	uint32_t U = t.us;
	SEND(&t, T_MS(100), payload, 4 * 1460);
	for (uint32_t i = 0; i < 4; i++)
		OUT(&t, T_MS(100), .seq = U + i * 1460, .ack = t.peer, .flags = ACK,
		    .data = payload + i * 1460, .len = 1460);
	/* The first segment is lost. A window update with news... */
	IN(&t, T_MS(110), .seq = t.peer, .ack = U, .flags = ACK, W(T_PEER_WIN + 1),
	   .sack = {{U + 1460, U + 2920}});
	/* ... data of the peer's own with news ... */
	IN(&t, T_MS(111), .seq = t.peer, .ack = U, .flags = ACK, W(T_PEER_WIN + 1), .data = "0123456789",
	   .len = 10, .sack = {{U + 1460, U + 4380}});
	t.peer += 10;
	/* ... and an ACK that repeats old news and changes nothing: RFC
	 * 5681's duplicate ACK, not a fourth piece of news. */
	IN(&t, T_MS(112), .seq = t.peer, .ack = U, .flags = ACK, W(T_PEER_WIN + 1),
	   .sack = {{U + 1460, U + 4380}});
	/* Three: the fast retransmit of SND.UNA, carrying the ACK of the data. */
	OUT(&t, T_MS(112), .seq = U, .ack = t.peer, .flags = ACK, W((T_RCV_CAP - 10) >> 7),
	    .data = payload, .len = 1460);
	CHECK_EQ(fx_stat(&t.fx, "tcp.fast_retransmits"), 1);
	IN(&t, T_MS(120), .seq = t.peer, .ack = U + 4 * 1460, .flags = ACK, W(T_PEER_WIN + 1));
	t.us = U + 4 * 1460;
	expect_no_seg(&t, T_MS(400));
	char b[16];
	CHECK_EQ(tern_recv(t.fx.s, t.sd, b, sizeof(b), 0), 10);
	t.peer_win = T_PEER_WIN + 1;
	tcp_fx_finish(&t);
}

/* Blocks from a peer that never offered SACK are not looked at. */
TEST(sack_input__not_negotiated__ignored)
{
	init_payload();
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_sack = false;
	REQUIRE(tcp_fx_active_established(&t));
	uint32_t U = t.us;
	SEND(&t, T_MS(100), payload, 100);
	OUT(&t, T_MS(100), .seq = U, .ack = t.peer, .flags = ACK, .data = payload, .len = 100);
	IN(&t, T_MS(110), .seq = t.peer, .ack = U + 100, .flags = ACK, .sack = {{U, U + 100}});
	CHECK_EQ(fx_stat(&t.fx, "tcp.dsack_recv"), 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.sack_discard"), 0);
	tcp_fx_finish(&t);
}

/* The scoreboard keeps every range a loss episode leaves (a drop-tail
 * queue overflowing in slow start drops every other segment): past its
 * inline ranges it grows on the heap, merges what a block joins, forgets
 * only the highest once TCP_SB_MAX ranges are held, and goes back into
 * the tcb when the cumulative ACK passes them all. */
TEST(scoreboard__grows_for_many_holes_and_shrinks_back)
{
	struct tfx t;
	tcp_fx_config(&t);
	tcp_fx_start(&t);
	struct tern_stack *s = t.fx.s;
	REQUIRE(tern_sock_table_own(s)); /* (a host without sockets shares an empty one) */
	struct tern_tcb *tp = tcp_tcb_new(s);
	REQUIRE(tp);
	const tcp_seq base = 0xfffff000u; /* across the wrap */
	tp->state = TCPS_ESTABLISHED;
	tp->flags |= TF_SACK_PERMIT;
	tp->t_maxseg = 1000;
	tp->snd_una = base;
	tp->snd_nxt = tp->snd_max = base + 4000000;
	/* Every other segment: 300 ranges. */
	for (uint32_t i = 0; i < 300; i++)
		tcp_sb_update(s, tp, base + 2000 * i + 1000, base + 2000 * i + 2000);
	CHECK_EQ(tp->sb_count, 300);
	CHECK_EQ(tp->sacked_bytes, 300000);
	CHECK(tp->sb != tp->sb_inline);
	CHECK_EQ(tp->sb[299].right, base + 600000);
	/* A block filling the hole between the first two merges them. */
	tcp_sb_update(s, tp, base + 2000, base + 3000);
	CHECK_EQ(tp->sb_count, 299);
	CHECK_EQ(tp->sb[0].left, base + 1000);
	CHECK_EQ(tp->sb[0].right, base + 4000);
	/* Past TCP_SB_MAX ranges the highest are forgotten, never a lower. */
	for (uint32_t i = 300; i < 1100; i++)
		tcp_sb_update(s, tp, base + 2000 * i + 1000, base + 2000 * i + 2000);
	CHECK_EQ(tp->sb_count, TCP_SB_MAX);
	CHECK_EQ(tp->sb[TCP_SB_MAX - 1].right, base + 2000 * TCP_SB_MAX + 2000);
	tcp_sb_update(s, tp, base + 1000 * 100 + 500, base + 1000 * 100 + 600); /* a low one */
	CHECK_EQ(tp->sb_count, TCP_SB_MAX);
	CHECK_EQ(tp->sb[TCP_SB_MAX - 1].right, base + 2000 * (TCP_SB_MAX - 1) + 2000);
	/* All acknowledged: back to the inline ranges. */
	tp->snd_una = tp->snd_max;
	tcp_sb_ack(s, tp);
	CHECK_EQ(tp->sb_count, 0);
	CHECK_EQ(tp->sacked_bytes, 0);
	CHECK(tp->sb == tp->sb_inline);
	tcp_tcb_free(s, tp);
	tcp_fx_finish(&t);
}

TEST_MAIN()
