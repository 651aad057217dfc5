/*
 * tests/unit/test_hardening.c — what a hostile peer on the link cannot
 * do, frame by frame: forged link sources and source routes are dropped
 * and counted, ICMP that asks nothing of us is counted, errors that were
 * never sent are not counted as sent, and a flood of first fragments or of
 * unresolvable destinations leaves the host answering everything else;
 * TCP's out-of-order data has a budget of its own within the receive
 * budget, and with every budget full at once the pool still receives.
 */
#include "tcp_fixture.h"

#define A TERN_IP4
static const struct fxb_ip from_peer = {.src = FX_IP_PEER, .dst = FX_IP_US};

static void host(struct fixture *fx)
{
	fx_host(fx);
	fx_learn(fx, 0, 0, FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	fx_clear_tx(fx);
}

/* An echo request from the peer, seq, 8 bytes of data; eth source given. */
static void inject_echo(struct fixture *fx, tern_time_t t, struct tern_mac src, tern_ip4_t ip_src,
			uint16_t seq)
{
	uint8_t f[128];
	struct fxb_ip h = from_peer;
	h.src = ip_src;
	size_t n = fxb_echo(f, FX_MAC_US, src, &h, TERN_ICMP_ECHO, 0x4242, seq,
			    (const uint8_t *)"hardened", 8);
	inject(fx, t, f, n);
}

/* The next frame is an echo reply to dst with this seq. */
static void expect_reply(struct fixture *fx, tern_ip4_t dst, uint16_t seq)
{
	struct fx_pkt p;
	expect_tx_parse(fx, &p);
	CHECK(p.is_icmp);
	CHECK_EQ(p.icmp.type, TERN_ICMP_ECHO_REPLY);
	CHECK_EQ(p.ip.dst, dst);
	CHECK_EQ(p.icmp.u.echo.seq, seq);
	fx_pkt_free(&p);
}

TEST(frames_from_zero_or_own_mac_dropped)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	inject_echo(&fx, TERN_MSEC(1), (struct tern_mac){{0}}, FX_IP_PEER, 1);
	inject_echo(&fx, TERN_MSEC(2), FX_MAC_US, FX_IP_PEER, 2);
	inject_echo(&fx, TERN_MSEC(3), (struct tern_mac){{0x03, 0, 0, 0, 0, 1}}, FX_IP_PEER, 3);
	inject_echo(&fx, TERN_MSEC(4), (struct tern_mac){{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		    FX_IP_PEER, 4);
	expect_no_tx(&fx, TERN_SEC(1));
	CHECK_EQ(fx_stat(&fx, "eth.zero_source_mac"), 1);
	CHECK_EQ(fx_stat(&fx, "eth.own_source_mac"), 1);
	CHECK_EQ(fx_stat(&fx, "eth.bad_source_mac"), 2);
	inject_echo(&fx, TERN_SEC(2), FX_MAC_PEER, FX_IP_PEER, 5);
	expect_reply(&fx, FX_IP_PEER, 5);
	fx_finish(&fx);
}

/* An echo request whose header carries `opt` (padded to 4 bytes). */
static void inject_echo_opts(struct fixture *fx, tern_time_t t, const uint8_t *opt, size_t olen)
{
	uint8_t f[256], msg[16];
	uint8_t opts[40] = {0};
	memcpy(opts, opt, olen);
	size_t optlen = (olen + 3) & ~(size_t)3;
	size_t m = fxb_icmp_echo_msg(msg, TERN_ICMP_ECHO, 0x4242, 9, (const uint8_t *)"srcroute", 8);
	size_t n = fxb_eth(f, FX_MAC_US, FX_MAC_PEER, TERN_ETHERTYPE_IPV4);
	struct tern_ipv4_repr ip = {
		.hlen = (uint8_t)(TERN_IPV4_HLEN + optlen), .ttl = 64, .proto = TERN_IPPROTO_ICMP,
		.total_len = (uint16_t)(TERN_IPV4_HLEN + optlen + m), .src = FX_IP_PEER, .dst = FX_IP_US,
		.options = opts, .options_len = (uint8_t)optlen,
	};
	tern_ipv4_emit(&ip, f + n);
	memcpy(f + n + ip.hlen, msg, m);
	inject(fx, t, f, fxb_pad(f, n + ip.total_len));
}

TEST(source_routed_datagrams_dropped)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	/* LSRR and SSRR (RFC 791 §3.1): type, length 7, pointer 4, a route. */
	const uint8_t lsrr[] = {1, TERN_IPOPT_LSRR, 7, 4, 10, 0, 0, 9};
	const uint8_t ssrr[] = {TERN_IPOPT_SSRR, 7, 4, 10, 0, 0, 9, 0};
	inject_echo_opts(&fx, TERN_MSEC(1), lsrr, sizeof(lsrr));
	inject_echo_opts(&fx, TERN_MSEC(2), ssrr, sizeof(ssrr));
	expect_no_tx(&fx, TERN_SEC(1));
	CHECK_EQ(fx_stat(&fx, "ip.source_route_denied"), 2);
	/* Record route (type 7) is no source route: answered. */
	const uint8_t rr[] = {7, 7, 4, 0, 0, 0, 0, 0};
	inject_echo_opts(&fx, TERN_SEC(2), rr, sizeof(rr));
	expect_reply(&fx, FX_IP_PEER, 9);
	CHECK_EQ(fx_stat(&fx, "ip.source_route_denied"), 2);
	fx_finish(&fx);
}

/* An ICMP message of any type from the peer: 8 bytes of header (rest as
 * given), then body. */
static void inject_icmp(struct fixture *fx, tern_time_t t, uint8_t type, uint8_t code,
			const uint8_t *body, size_t len)
{
	uint8_t f[256], msg[200];
	struct tern_icmp_repr r = {.type = type, .code = code, .data = body, .data_len = len};
	tern_icmp_emit(&r, msg);
	struct fxb_ip h = from_peer;
	h.proto = TERN_IPPROTO_ICMP;
	inject(fx, t, f, fxb_ip(f, FX_MAC_US, FX_MAC_PEER, &h, msg, TERN_ICMP_HLEN + len));
}

TEST(icmp_that_asks_nothing_is_counted)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	uint8_t ts[12] = {0, 0, 0, 1};
	inject_icmp(&fx, TERN_MSEC(1), TERN_ICMP_TIMESTAMP, 0, ts, sizeof(ts));
	const uint8_t ignored[] = {9, 10, 14, 15, 17, 42};
	for (size_t i = 0; i < sizeof(ignored); i++)
		inject_icmp(&fx, TERN_MSEC(2 + i), ignored[i], 0, ts, sizeof(ts));
	/* Source quench quotes a datagram, ours even (RFC 6633: ignored). */
	uint8_t q[28] = {0x45, 0, 0, 28, 0, 1, 0, 0, 64, TERN_IPPROTO_UDP};
	wr32(q + 12, FX_IP_US);
	wr32(q + 16, FX_IP_PEER);
	inject_icmp(&fx, TERN_MSEC(20), 4, 0, q, sizeof(q));
	expect_no_tx(&fx, TERN_SEC(1));
	CHECK_EQ(fx_stat(&fx, "icmp.timestamp_ignored"), 1);
	CHECK_EQ(fx_stat(&fx, "icmp.type_ignored"), sizeof(ignored) + 1);
	CHECK_EQ(fx_stat(&fx, "icmp.in_msgs"), 2 + sizeof(ignored));
	CHECK_EQ(fx.nicmp, 2 + sizeof(ignored)); /* listeners still see them */
	fx_finish(&fx);
}

/* A port unreachable from the peer quoting a UDP datagram src → dst. */
static void inject_port_unreach(struct fixture *fx, tern_time_t t, tern_ip4_t src, tern_ip4_t dst,
				uint16_t sport)
{
	uint8_t q[28] = {0x45, 0, 0, 28, 0, 1, 0, 0, 64, TERN_IPPROTO_UDP};
	wr32(q + 12, src);
	wr32(q + 16, dst);
	wr16(q + 20, sport);
	wr16(q + 22, 53);
	wr16(q + 24, 8);
	inject_icmp(fx, t, TERN_ICMP_DEST_UNREACH, 3, q, sizeof(q));
}

TEST(errors_about_datagrams_never_sent)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	tern_icmp_unlisten(fx.s, fx.icmp_handle); /* nobody but sockets */
	int sd = udp_bound(fx.s, 0, 0, 4000);
	REQUIRE(sd >= 0);
	/* Quoting another host's datagram; quoting a port with no socket. */
	inject_port_unreach(&fx, TERN_MSEC(1), A(10, 0, 0, 77), FX_IP_PEER, 4000);
	inject_port_unreach(&fx, TERN_MSEC(2), FX_IP_US, FX_IP_PEER, 4001);
	CHECK_EQ(fx_stat(&fx, "icmp.error_not_ours"), 2);
	/* Quoting the bound socket's datagram: it is ours. */
	inject_port_unreach(&fx, TERN_MSEC(3), FX_IP_US, FX_IP_PEER, 4000);
	CHECK_EQ(fx_stat(&fx, "icmp.error_not_ours"), 2);
	CHECK_EQ(fx_stat(&fx, "icmp.in_error_msgs"), 3);
	tern_close(fx.s, sd);
	fx_finish(&fx);
}

/* A port unreachable for a datagram from a neighbour that never answers
 * ARP was made, waited and was dropped: not counted as sent. */
TEST(unsent_icmp_error_counted_as_out_error)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	uint8_t f[128];
	struct fxb_ip h = {.src = A(10, 0, 0, 33), .dst = FX_IP_US};
	size_t n = fxb_udp(f, FX_MAC_US, fx_mac(0x33), &h, 1000, 9, (const uint8_t *)"x", 1);
	inject(&fx, TERN_MSEC(1), f, n);
	fx_advance(&fx, TERN_SEC(10)); /* three ARP requests, then it gives up */
	CHECK_EQ(fx_stat(&fx, "arp.unresolved_timeout"), 1);
	CHECK_EQ(fx_stat(&fx, "icmp.out_errors"), 1);
	CHECK_EQ(fx_stat(&fx, "icmp.out_msgs"), 0);
	CHECK_EQ(fx_stat(&fx, "icmp.out_dest_unreachs"), 0);
	/* The same error towards a neighbour that answers is sent, once. */
	fx_clear_tx(&fx);
	h.src = FX_IP_PEER;
	n = fxb_udp(f, FX_MAC_US, FX_MAC_PEER, &h, 1000, 9, (const uint8_t *)"x", 1);
	inject(&fx, TERN_SEC(11), f, n);
	CHECK_EQ(fx.nframes, 1);
	CHECK_EQ(fx_stat(&fx, "icmp.out_msgs"), 1);
	CHECK_EQ(fx_stat(&fx, "icmp.out_dest_unreachs"), 1);
	CHECK_EQ(fx_stat(&fx, "icmp.out_errors"), 1);
	fx_finish(&fx);
}

/* The attack of the issue: many more first fragments of distinct IDs than
 * the pool holds frames. Echo requests and UDP between them are answered
 * all along; a fragmented echo right after the flood is reassembled; the
 * reassembly budget never passes its high mark and drains afterwards. */
TEST(first_fragment_flood_leaves_the_host_answering)
{
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.pkt_pool_max_bytes = 2048 * TERN_PKT_TRUESIZE(TERN_PKT_SMALL_CAP);
	host(&fx);
	size_t high = fx.s->budget.reasm.limit;
	static uint8_t whole[1600], f[FX_FRAME_MAX];
	fx_pattern(whole, sizeof(whole), 7);
	struct fxb_ip h = {.dst = FX_IP_US, .proto = TERN_IPPROTO_UDP};
	tern_time_t t = TERN_MSEC(1);
	for (uint32_t i = 0; i < 20000; i++, t += TERN_USEC(20)) {
		h.src = A(10, 0, (uint8_t)(1 + i % 200), (uint8_t)(1 + i / 200 % 250));
		h.id = (uint16_t)i;
		inject(&fx, t, f, fxb_frag(f, FX_MAC_US, fx_mac(0x77), &h, whole, sizeof(whole), 0, 1000));
		CHECK(fx.s->budget.reasm.used <= high);
		if (i % 500 == 0) {
			inject_echo(&fx, t, FX_MAC_PEER, FX_IP_PEER, (uint16_t)(i / 500));
			expect_reply(&fx, FX_IP_PEER, (uint16_t)(i / 500));
		}
	}
	CHECK(fx_stat(&fx, "ip.reasm_evicted") > 15000);
	CHECK_EQ(fx_stat(&fx, "pkt.no_buffers"), 0);
	/* Within a millisecond of the flood: a fragmented echo. */
	uint8_t req[2100];
	uint8_t data[2000];
	fx_pattern(data, sizeof(data), 3);
	size_t n = fxb_icmp_echo_msg(req, TERN_ICMP_ECHO, 0x4242, 77, data, sizeof(data));
	struct fxb_ip e = {.src = FX_IP_PEER, .dst = FX_IP_US, .id = 0x5151, .proto = TERN_IPPROTO_ICMP};
	inject(&fx, t + TERN_USEC(500), f, fxb_frag(f, FX_MAC_US, FX_MAC_PEER, &e, req, n, 0, 1480));
	inject(&fx, t + TERN_USEC(600), f,
	       fxb_frag(f, FX_MAC_US, FX_MAC_PEER, &e, req, n, 1480, n - 1480));
	struct fx_pkt p;
	expect_tx_parse(&fx, &p); /* the reply, fragmented to 1500 again */
	CHECK_EQ(p.ip.proto, TERN_IPPROTO_ICMP);
	CHECK_EQ(p.ip.dst, FX_IP_PEER);
	CHECK(p.ip.mf);
	fx_pkt_free(&p);
	fx_clear_tx(&fx);
	/* The flood's datagrams time out; the budget and the pool drain. */
	fx_advance(&fx, t + TERN_SEC(35));
	CHECK_EQ((fx.s->net->reasm ? fx.s->net->reasm->count : 0), 0);
	CHECK_EQ(fx.s->budget.reasm.used, 0);
	struct tern_stack_mem m;
	tern_stack_mem_get(fx.s, &m);
	CHECK_EQ(m.pool_in_use, 0);
	CHECK(m.pool_made <= fx.cfg.pkt_pool_keep_bytes);
	fx_finish(&fx);
}

/* All sockets' receive queues share one budget: a flood that each
 * socket's SO_RCVBUF would admit is refused past the host's total, and
 * the budget drains as the application reads. */
TEST(socket_receive_queues_share_one_budget)
{
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.sock_rcv_total_bytes = 10 * TERN_PKT_TRUESIZE(TERN_PKT_SMALL_CAP);
	host(&fx);
	int a = udp_bound(fx.s, 0, 0, 5001), b = udp_bound(fx.s, 0, 0, 5002);
	REQUIRE(a >= 0 && b >= 0);
	uint8_t f[128];
	for (int i = 0; i < 8; i++) {
		size_t n = fxb_udp(f, FX_MAC_US, FX_MAC_PEER, &from_peer, 1000, 5001, (const uint8_t *)"a", 1);
		inject(&fx, TERN_MSEC(1 + i), f, n);
		n = fxb_udp(f, FX_MAC_US, FX_MAC_PEER, &from_peer, 1000, 5002, (const uint8_t *)"b", 1);
		inject(&fx, TERN_MSEC(1 + i), f, n);
	}
	CHECK_EQ(fx_stat(&fx, "sock.rcv_memory_limit"), 6);
	CHECK_EQ(fx_stat(&fx, "udp.receive_buffer_errors"), 0);
	CHECK_EQ(fx.s->budget.sock_rx.used, 10 * TERN_PKT_TRUESIZE(TERN_PKT_SMALL_CAP));
	char buf[8];
	while (tern_recvfrom(fx.s, a, buf, sizeof(buf), 0, NULL) > 0)
		;
	CHECK_EQ(fx.s->budget.sock_rx.used, 5 * TERN_PKT_TRUESIZE(TERN_PKT_SMALL_CAP));
	tern_close(fx.s, b);
	CHECK_EQ(fx.s->budget.sock_rx.used, 0);
	tern_close(fx.s, a);
	fx_finish(&fx);
}

/* A small buffer's true size, what each budget charges per frame. */
#define TS TERN_PKT_TRUESIZE(TERN_PKT_SMALL_CAP)

/* Many connections' out-of-order data share one budget (tcp_ofo), a part
 * of the receive budget: past it an out-of-order segment is refused and
 * counted (tcp.ofo_memory_limit) though its connection's SO_RCVBUF has
 * room, while in-order data and UDP still get the rest of sock_rx; when a
 * hole fills, what moves in order leaves the out-of-order budget. */
TEST(tcp_out_of_order_data_has_its_own_budget)
{
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_ofo_total_bytes = 12 * TS;
	t.fx.cfg.sock_rcv_total_bytes = 40 * TS;
	REQUIRE(tcp_fx_listen(&t));
	struct tern_stack *s = t.fx.s;
	CHECK_EQ(s->budget.tcp_ofo.limit, 12 * TS);
	enum { NC = 4, NSEG = 5 };
	int sd[NC];
	uint32_t peer[NC], us[NC];
	for (int i = 0; i < NC; i++) {
		t.pport = (uint16_t)(T_PORT_PEER + i);
		REQUIRE(tcp_fx_syn_received(&t, false, T_MS(10 + i)));
		IN(&t, T_MS(10 + i), .seq = t.peer, .ack = t.us, .flags = TERN_TCP_ACK);
		sd[i] = tern_accept(s, t.lsd, NULL);
		REQUIRE(sd[i] >= 0);
		peer[i] = t.peer;
		us[i] = t.us;
	}
	/* Each connection: a one-byte hole at peer[i], then NSEG one-byte
	 * segments after it; 12 buffers' worth are held, 8 refused. */
	for (int i = 0; i < NC; i++) {
		t.pport = (uint16_t)(T_PORT_PEER + i);
		for (int k = 0; k < NSEG; k++)
			IN(&t, T_MS(100 + 10 * i + k), .seq = peer[i] + 1 + (uint32_t)k, .ack = us[i],
			   .flags = TERN_TCP_ACK, .data = "o", .len = 1);
	}
	fx_clear_tx(&t.fx);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ofo_memory_limit"), NC * NSEG - 12);
	CHECK_EQ(fx_stat(&t.fx, "tcp.rcvbuf_drop"), 0);
	CHECK_EQ(s->budget.tcp_ofo.used, 12 * TS);
	CHECK_EQ(s->budget.sock_rx.used, 12 * TS);
	/* In order, on the connection whose out-of-order data was all
	 * refused: taken. And a UDP datagram: taken. */
	t.pport = T_PORT_PEER + 3;
	IN(&t, T_MS(200), .seq = peer[3], .ack = us[3], .flags = TERN_TCP_ACK, .data = "i", .len = 1);
	char buf[16];
	CHECK_EQ(tern_recv(s, sd[3], buf, sizeof(buf), 0), 1);
	int u = udp_bound(s, 0, 0, 5001);
	REQUIRE(u >= 0);
	uint8_t f[128];
	size_t n = fxb_udp(f, FX_MAC_US, FX_MAC_PEER, &from_peer, 1000, 5001, (const uint8_t *)"u", 1);
	inject(&t.fx, T_MS(201), f, n);
	CHECK_EQ(tern_recvfrom(s, u, buf, sizeof(buf), 0, NULL), 1);
	CHECK_EQ(fx_stat(&t.fx, "sock.rcv_memory_limit"), 0);
	/* Connection 0's hole fills: its 5 move in order, out of the OOO
	 * budget (still charged to sock_rx until read). */
	t.pport = T_PORT_PEER;
	IN(&t, T_MS(300), .seq = peer[0], .ack = us[0], .flags = TERN_TCP_ACK, .data = "h", .len = 1);
	CHECK_EQ(s->budget.tcp_ofo.used, 7 * TS);
	CHECK_EQ(s->budget.sock_rx.used, 13 * TS);
	CHECK_EQ(tern_recv(s, sd[0], buf, sizeof(buf), 0), 1 + NSEG);
	/* Room again: connection 3's out-of-order data is held now. */
	t.pport = T_PORT_PEER + 3;
	IN(&t, T_MS(400), .seq = peer[3] + 2, .ack = us[3], .flags = TERN_TCP_ACK, .data = "o", .len = 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.ofo_memory_limit"), NC * NSEG - 12);
	CHECK_EQ(s->budget.tcp_ofo.used, 8 * TS);
	fx_clear_tx(&t.fx);
	tcp_fx_finish(&t); /* closing frees every list: both budgets back to 0 */
}

/* Every budget full at once, in a pool of 256 frames: reassembly (1/4),
 * packets waiting for ARP (1/8) and socket receive queues (1/2); each
 * refusal counted under its name. A frame that is not a fragment still
 * finds a buffer: ping and ARP are answered, the pool never ran dry. */
TEST(every_budget_full_still_receives)
{
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.pkt_pool_max_bytes = 256 * TS;
	host(&fx);
	struct tern_stack *s = fx.s;
	static uint8_t whole[1600], f[FX_FRAME_MAX];
	fx_pattern(whole, sizeof(whole), 5);
	tern_time_t t = TERN_MSEC(1);
	/* reassembly: first fragments of distinct IDs */
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = FX_IP_US, .proto = TERN_IPPROTO_UDP};
	for (uint32_t i = 0; i < 200; i++, t += TERN_USEC(10)) {
		h.id = (uint16_t)(100 + i);
		inject(&fx, t, f, fxb_frag(f, FX_MAC_US, FX_MAC_PEER, &h, whole, sizeof(whole), 0, 1000));
	}
	/* neighbour queues: echo requests from on-link sources that never
	 * answer ARP (the replies wait) */
	for (uint32_t i = 0; i < 200; i++, t += TERN_USEC(10))
		inject_echo(&fx, t, fx_mac(0x44), A(10, 0, 0, (uint8_t)(50 + i % 100)), (uint16_t)i);
	/* receive queues: UDP to two sockets nobody reads */
	int a = udp_bound(s, 0, 0, 5001), b = udp_bound(s, 0, 0, 5002);
	REQUIRE(a >= 0 && b >= 0);
	for (int i = 0; i < 200; i++, t += TERN_USEC(10)) {
		size_t n = fxb_udp(f, FX_MAC_US, FX_MAC_PEER, &from_peer, 1000, i % 2 ? 5001 : 5002,
				   (const uint8_t *)"full", 4);
		inject(&fx, t, f, n);
	}
	fx_clear_tx(&fx);
	CHECK(fx_stat(&fx, "ip.reasm_evicted") > 0);
	CHECK(fx_stat(&fx, "arp.unresolved_memory_limit") > 0);
	CHECK(fx_stat(&fx, "sock.rcv_memory_limit") > 0);
	CHECK(s->budget.reasm.used + TS > s->budget.reasm.limit / 2);
	CHECK(s->budget.neigh.used + TS > s->budget.neigh.limit);
	CHECK(s->budget.sock_rx.used + TS > s->budget.sock_rx.limit);
	/* What no budget may take is left: the peer is answered. */
	for (uint16_t q = 1; q <= 20; q++) {
		inject_echo(&fx, t, FX_MAC_PEER, FX_IP_PEER, q);
		expect_reply(&fx, FX_IP_PEER, q);
		t += TERN_MSEC(1);
	}
	CHECK_EQ(fx_stat(&fx, "pkt.no_buffers"), 0);
	tern_close(s, a);
	tern_close(s, b);
	fx_advance(&fx, t + TERN_SEC(35)); /* ARP gives up, reassembly times out */
	CHECK_EQ(s->budget.reasm.used, 0);
	CHECK_EQ(s->budget.neigh.used, 0);
	CHECK_EQ(s->budget.sock_rx.used, 0);
	fx_finish(&fx);
}

TEST_MAIN()
