/*
 * tests/unit/test_ipv4.c — IPv4 and ICMP, frame by frame: header
 * validation and martians (RFC 1122 §3.2.1, RFC 1812 §5.2.2, §5.3.7),
 * echo (RFC 792), ICMP errors and when they must not be sent (RFC 1122
 * §3.2.2, RFC 1812 §4.3.2.7), the error rate limit (RFC 1812 §4.3.2.8),
 * forwarding (RFC 1812 §5.2-5.3: TTL, no route, MTU and RFC 1191, frag-
 * mentation, redirects) and redirects at a host (RFC 1122 §3.2.2.2).
 */
#include "stack_fixture.h"

#define A TERN_IP4
static const struct tern_mac BCAST_MAC = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

/* A host (10.0.0.1/24 via 10.0.0.254) that already knows the peer. */
static void host(struct fixture *fx)
{
	fx_config(fx);
	fx_host(fx);
	fx_learn(fx, 0, 0, FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	fx_clear_tx(fx);
}

/* Recompute an IPv4 header checksum and compare with the one in it. */
static int ip_csum_ok(const uint8_t *iph)
{
	uint8_t h[TERN_IPV4_MAX_HLEN];
	size_t hlen = (size_t)(iph[0] & 0x0f) * 4;
	memcpy(h, iph, hlen);
	wr16(h + 10, 0);
	return tern_csum(h, hlen) == rd16(iph + 10);
}

static void fix_ip_csum(uint8_t *iph)
{
	size_t hlen = (size_t)(iph[0] & 0x0f) * 4;
	wr16(iph + 10, 0);
	wr16(iph + 10, tern_csum(iph, hlen));
}

/* Ethernet + IPv4 + an ICMP error or redirect quoting `quote`. */
static size_t build_icmp_error(uint8_t *buf, struct tern_mac dst, struct tern_mac src,
			       const struct fxb_ip *h, uint8_t type, uint8_t code, uint32_t rest,
			       const uint8_t *quote, size_t qlen)
{
	uint8_t msg[600];
	struct tern_icmp_repr r = {.type = type, .code = code, .data = quote, .data_len = qlen};
	r.u.raw = rest;
	if (type == TERN_ICMP_REDIRECT)
		r.u.gateway = rest;
	tern_icmp_emit(&r, msg);
	struct fxb_ip ip = *h;
	ip.proto = TERN_IPPROTO_ICMP;
	return fxb_ip(buf, dst, src, &ip, msg, TERN_ICMP_HLEN + qlen);
}

/* ---- header validation ---- */

TEST(malformed_headers_counted_nothing_sent)
{
	struct fixture fx;
	host(&fx);
	uint8_t base[128], data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = FX_IP_US, .id = 9};
	size_t n = fxb_echo(base, FX_MAC_US, FX_MAC_PEER, &h, TERN_ICMP_ECHO, 1, 1, data, 8);
	REQUIRE_EQ(n, 60);
	enum { IP = 14 };
	struct {
		const char *name, *counter;
		size_t off;   /* byte in the frame to set (0: none) */
		unsigned width; /* 1, 2 or 4 bytes */
		uint32_t val;
		size_t len;   /* frame length */
		bool fix;     /* recompute the header checksum */
	} cases[] = {
		{"truncated header", "ip.short_packet", 0, 0, 0, IP + 19, false},
		{"no header", "ip.short_packet", 0, 0, 0, IP, false},
		{"version 6", "ip.bad_version", IP, 1, 0x65, 60, true},
		{"version 0", "ip.bad_version", IP, 1, 0x05, 60, true},
		{"hlen 16", "ip.bad_header_length", IP, 1, 0x44, 60, true},
		{"hlen 0", "ip.bad_header_length", IP, 1, 0x40, 60, true},
		{"hlen past the data", "ip.bad_header_length", IP, 1, 0x4f, 60, true},
		{"bad checksum", "ip.bad_checksum", IP + 10, 2, 0x1234, 60, false},
		{"total < hlen", "ip.bad_total_length", IP + 2, 2, 19, 60, true},
		{"total past the frame", "ip.bad_total_length", IP + 2, 2, 47, 60, true},
		{"total 65535", "ip.bad_total_length", IP + 2, 2, 65535, 60, true},
		{"src broadcast", "ip.martian_source", IP + 12, 4, 0xffffffffu, 60, true},
		{"src multicast", "ip.martian_source", IP + 12, 4, A(224, 0, 0, 5), 60, true},
		{"src loopback from outside", "ip.martian_source", IP + 12, 4, A(127, 0, 0, 1), 60, true},
		{"src our own address", "ip.martian_source", IP + 12, 4, FX_IP_US, 60, true},
		{"src class E", "ip.martian_source", IP + 12, 4, A(240, 1, 2, 3), 60, true},
		{"src 0 to unicast", "ip.martian_source", IP + 12, 4, 0, 60, true},
		{"src 0.x", "ip.martian_source", IP + 12, 4, A(0, 1, 2, 3), 60, true},
		{"src subnet broadcast", "ip.martian_source", IP + 12, 4, A(10, 0, 0, 255), 60, true},
		{"dst loopback from outside", "ip.martian_destination", IP + 16, 4, A(127, 0, 0, 1), 60, true},
		{"dst 127.x", "ip.martian_destination", IP + 16, 4, A(127, 9, 9, 9), 60, true},
		{"dst 0", "ip.martian_destination", IP + 16, 4, 0, 60, true},
		{"dst class E", "ip.martian_destination", IP + 16, 4, A(240, 0, 0, 1), 60, true},
		{"dst another host", "ip.not_for_us", IP + 16, 4, A(10, 0, 0, 77), 60, true},
		{"dst off-link host", "ip.not_for_us", IP + 16, 4, A(8, 8, 8, 8), 60, true},
		{"dst multicast group", "ip.not_for_us", IP + 16, 4, A(224, 0, 0, 5), 60, true},
		{"offset past 65535", "ip.bad_fragment", IP + 6, 2, 0x1fff, 60, true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t f[128];
		memcpy(f, base, n);
		if (cases[i].width == 1)
			f[cases[i].off] = (uint8_t)cases[i].val;
		else if (cases[i].width == 2)
			wr16(f + cases[i].off, (uint16_t)cases[i].val);
		else if (cases[i].width == 4)
			wr32(f + cases[i].off, cases[i].val);
		if (cases[i].fix)
			fix_ip_csum(f + IP);
		uint64_t before = fx_stat(&fx, cases[i].counter);
		uint64_t delivered = fx_stat(&fx, "ip.in_delivers");
		inject(&fx, TERN_MSEC(10 * (i + 1)), f, cases[i].len);
		if (fx_stat(&fx, cases[i].counter) != before + 1)
			TEST_FAIL_("%s: %s not counted", cases[i].name, cases[i].counter);
		if (fx_stat(&fx, "ip.in_delivers") != delivered)
			TEST_FAIL_("%s: delivered", cases[i].name);
		if (fx.nframes) {
			TEST_FAIL_("%s: %u frame(s) sent", cases[i].name, fx.nframes);
			fx_clear_tx(&fx);
		}
	}
	CHECK_EQ(fx.nicmp, 0);
	CHECK_EQ(fx_stat(&fx, "icmp.out_msgs"), 0);
	expect_no_tx(&fx, TERN_SEC(60));
	fx_finish(&fx);
}

TEST(malformed_options_counted)
{
	struct fixture fx;
	host(&fx);
	uint8_t f[128], data[8] = {0};
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = FX_IP_US, .id = 9};
	size_t n = fxb_echo(f, FX_MAC_US, FX_MAC_PEER, &h, TERN_ICMP_ECHO, 1, 1, data, 8);
	/* Insert 4 option bytes: record route with length 1 (< 2). */
	uint8_t g[128];
	memcpy(g, f, 14 + 20);
	const uint8_t opt[4] = {0x07, 0x01, 0x00, 0x00};
	memcpy(g + 34, opt, 4);
	memcpy(g + 38, f + 34, n - 34);
	g[14] = 0x46;
	wr16(g + 16, (uint16_t)(rd16(f + 16) + 4));
	fix_ip_csum(g + 14);
	inject(&fx, TERN_MSEC(1), g, n + 4);
	CHECK_EQ(fx_stat(&fx, "ip.bad_options"), 1);
	/* An option running past the header. */
	g[34] = 0x44; /* timestamp */
	g[35] = 12;
	fix_ip_csum(g + 14);
	inject(&fx, TERN_MSEC(2), g, n + 4);
	CHECK_EQ(fx_stat(&fx, "ip.bad_options"), 2);
	expect_no_tx(&fx, TERN_SEC(1));
	/* Well-formed options (NOPs) are fine: the echo is answered. */
	g[34] = g[35] = g[36] = g[37] = 0x01;
	fix_ip_csum(g + 14);
	inject(&fx, TERN_SEC(2), g, n + 4);
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp);
	CHECK_EQ(p.icmp.type, TERN_ICMP_ECHO_REPLY);
	fx_pkt_free(&p);
	fx_finish(&fx);
}

TEST(link_padding_is_ignored)
{
	/* A 28-byte datagram in a 60-byte frame: IP trims to total length, so
	 * the echo data does not grow by the padding. */
	struct fixture fx;
	host(&fx);
	uint8_t f[128], want[128];
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = FX_IP_US, .id = 1};
	size_t n = fxb_echo(f, FX_MAC_US, FX_MAC_PEER, &h, TERN_ICMP_ECHO, 3, 4, NULL, 0);
	memset(f + 42, 0xee, n - 42); /* non-zero padding */
	uint16_t id = fx.s->net->ip_id;
	inject(&fx, TERN_MSEC(1), f, n);
	struct fxb_ip r = {.src = FX_IP_US, .dst = FX_IP_PEER, .id = id};
	size_t wn = fxb_echo(want, FX_MAC_PEER, FX_MAC_US, &r, TERN_ICMP_ECHO_REPLY, 3, 4, NULL, 0);
	expect_tx(&fx, want, wn);
	fx_finish(&fx);
}

/* ---- echo ---- */

static void echo_exact(size_t dlen, uint8_t tos)
{
	struct fixture fx;
	host(&fx);
	uint8_t data[1500], f[1600], want[1600];
	fx_pattern(data, dlen, 0x31);
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = FX_IP_US, .ttl = 50, .id = 0x4321, .tos = tos};
	size_t n = fxb_echo(f, FX_MAC_US, FX_MAC_PEER, &h, TERN_ICMP_ECHO, 0x1234, 7, data, dlen);
	uint16_t id = fx.s->net->ip_id;
	inject(&fx, TERN_MSEC(1), f, n);
	/* RFC 792: type 0, same identifier, sequence and data; src and dst
	 * swapped; a fresh header with TTL 64 (our default). */
	struct fxb_ip r = {.src = FX_IP_US, .dst = FX_IP_PEER, .ttl = 64, .id = id, .tos = tos};
	size_t wn = fxb_echo(want, FX_MAC_PEER, FX_MAC_US, &r, TERN_ICMP_ECHO_REPLY, 0x1234, 7, data, dlen);
	expect_tx(&fx, want, wn);
	CHECK_EQ(fx_stat(&fx, "icmp.in_echos"), 1);
	CHECK_EQ(fx_stat(&fx, "icmp.out_echo_reps"), 1);
	/* Listeners saw the request. */
	REQUIRE_EQ(fx.nicmp, 1);
	CHECK_EQ(fx.icmp[0].m.type, TERN_ICMP_ECHO);
	CHECK_EQ(fx.icmp[0].m.id, 0x1234);
	CHECK_EQ(fx.icmp[0].m.seq, 7);
	expect_no_tx(&fx, TERN_SEC(1));
	fx_finish(&fx);
}

TEST(echo_request_exact_reply)
{
	echo_exact(56, 0);
}

TEST(echo_request_odd_length_and_tos)
{
	echo_exact(57, 0x10);
	echo_exact(1, 0);
	echo_exact(1472, 0); /* a full 1500-byte datagram */
}

TEST(echo_to_broadcast_ignored)
{
	struct fixture fx;
	host(&fx);
	uint8_t f[128], data[8] = {0};
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = A(10, 0, 0, 255), .id = 1};
	size_t n = fxb_echo(f, BCAST_MAC, FX_MAC_PEER, &h, TERN_ICMP_ECHO, 1, 1, data, 8);
	inject(&fx, TERN_MSEC(1), f, n);
	h.dst = TERN_IP4_BROADCAST;
	n = fxb_echo(f, BCAST_MAC, FX_MAC_PEER, &h, TERN_ICMP_ECHO, 1, 2, data, 8);
	inject(&fx, TERN_MSEC(2), f, n);
	/* Unicast IP inside a link-layer broadcast. */
	h.dst = FX_IP_US;
	n = fxb_echo(f, BCAST_MAC, FX_MAC_PEER, &h, TERN_ICMP_ECHO, 1, 3, data, 8);
	inject(&fx, TERN_MSEC(3), f, n);
	expect_no_tx(&fx, TERN_SEC(1));
	CHECK_EQ(fx_stat(&fx, "icmp.broadcast_echo_ignored"), 3);
	fx_finish(&fx);
}

TEST(echo_over_loopback)
{
	struct fixture fx;
	host(&fx);
	uint8_t msg[32];
	size_t n = fxb_icmp_echo_msg(msg, TERN_ICMP_ECHO, 5, 6, (const uint8_t *)"loopback", 8);
	struct tern_ip_send p = {.dst = A(127, 0, 0, 1), .proto = TERN_IPPROTO_ICMP};
	REQUIRE_EQ(tern_ip_send_raw(fx.s, &p, msg, n, TERN_MSEC(1)), 0);
	fx_advance(&fx, TERN_MSEC(1));
	fx_advance(&fx, TERN_MSEC(2));
	REQUIRE_EQ(fx.nicmp, 2);
	CHECK_EQ(fx.icmp[0].m.type, TERN_ICMP_ECHO);
	CHECK_EQ(fx.icmp[1].m.type, TERN_ICMP_ECHO_REPLY);
	CHECK_EQ(fx.icmp[1].m.src, A(127, 0, 0, 1));
	CHECK_EQ(fx.icmp[1].m.id, 5);
	CHECK_EQ(fx.icmp[1].m.seq, 6);
	CHECK_EQ(fx.nframes, 0);
	fx_finish(&fx);
}

TEST(bad_icmp_checksum_dropped)
{
	struct fixture fx;
	host(&fx);
	uint8_t f[128], data[8] = {0};
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = FX_IP_US, .id = 1};
	size_t n = fxb_echo(f, FX_MAC_US, FX_MAC_PEER, &h, TERN_ICMP_ECHO, 1, 1, data, 8);
	f[14 + 20 + 8] ^= 0xff;
	inject(&fx, TERN_MSEC(1), f, n);
	expect_no_tx(&fx, TERN_SEC(1));
	CHECK_EQ(fx_stat(&fx, "icmp.bad_checksum"), 1);
	fx_finish(&fx);
}

/* ---- ICMP errors from a host ---- */

/* Pop an ICMP error and check it: from us to the peer, TOS 0xc0, quoting
 * `orig` (the IP datagram, up to 548 bytes). */
#define CHECK_ERROR(fx, type_, code_, orig, orig_len)                                 \
	do {                                                                          \
		struct fx_pkt p_;                                                     \
		expect_tx_parse(fx, &p_);                                             \
		CHECK(p_.is_icmp);                                                    \
		CHECK_MEM(p_.eth.dst.b, FX_MAC_PEER.b, 6);                            \
		CHECK_EQ(p_.ip.src, FX_IP_US);                                        \
		CHECK_EQ(p_.ip.dst, FX_IP_PEER);                                      \
		CHECK_EQ(p_.ip.ttl, 64);                                              \
		CHECK_EQ(p_.ip.tos, 0xc0);                                            \
		CHECK_EQ(p_.icmp.type, (type_));                                      \
		CHECK_EQ(p_.icmp.code, (code_));                                      \
		size_t q_ = (orig_len) < 548 ? (orig_len) : 548;                      \
		CHECK_EQ(p_.icmp.data_len, q_);                                       \
		if (p_.icmp.data_len == q_)                                           \
			CHECK_MEM(p_.icmp.data, (orig), q_);                          \
		fx_pkt_free(&p_);                                                     \
	} while (0)

TEST(unknown_protocol_gets_protocol_unreachable)
{
	struct fixture fx;
	host(&fx);
	uint8_t f[128], data[30];
	fx_pattern(data, sizeof(data), 3);
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = FX_IP_US, .id = 77, .proto = 253};
	size_t n = fxb_ip(f, FX_MAC_US, FX_MAC_PEER, &h, data, sizeof(data));
	inject(&fx, TERN_MSEC(1), f, n);
	CHECK_ERROR(&fx, TERN_ICMP_DEST_UNREACH, TERN_ICMP_PROTO_UNREACH, f + 14, 20 + sizeof(data));
	CHECK_EQ(fx_stat(&fx, "ip.unknown_protocol"), 1);
	CHECK_EQ(fx_stat(&fx, "icmp.out_dest_unreachs"), 1);
	expect_no_tx(&fx, TERN_SEC(1));
	fx_finish(&fx);
}

TEST(udp_closed_port_gets_port_unreachable)
{
	struct fixture fx;
	host(&fx);
	uint8_t f[1600], data[1000];
	fx_pattern(data, sizeof(data), 9);
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = FX_IP_US, .id = 78};
	size_t n = fxb_udp(f, FX_MAC_US, FX_MAC_PEER, &h, 40000, 9999, data, 12);
	inject(&fx, TERN_MSEC(1), f, n);
	CHECK_ERROR(&fx, TERN_ICMP_DEST_UNREACH, TERN_ICMP_PORT_UNREACH, f + 14, 20 + 8 + 12);
	/* A big datagram: the quote stops where the error reaches 576 bytes
	 * (RFC 1812 §4.3.2.3). */
	n = fxb_udp(f, FX_MAC_US, FX_MAC_PEER, &h, 40000, 9999, data, sizeof(data));
	inject(&fx, TERN_MSEC(2), f, n);
	struct fx_frame *fr = fx.head;
	REQUIRE(fr != NULL);
	CHECK_EQ(fr->len, 14 + 576);
	CHECK_ERROR(&fx, TERN_ICMP_DEST_UNREACH, TERN_ICMP_PORT_UNREACH, f + 14, n - 14);
	CHECK_EQ(fx_stat(&fx, "udp.no_port"), 2);
	/* A bad UDP checksum is dropped quietly. */
	n = fxb_udp(f, FX_MAC_US, FX_MAC_PEER, &h, 40000, 9999, data, 12);
	f[14 + 20 + 8] ^= 1;
	inject(&fx, TERN_MSEC(3), f, n);
	CHECK_EQ(fx_stat(&fx, "udp.bad_checksum"), 1);
	expect_no_tx(&fx, TERN_SEC(1));
	fx_finish(&fx);
}

TEST(no_error_about_broadcasts)
{
	struct fixture fx;
	host(&fx);
	uint8_t f[128], data[12] = {0};
	/* UDP to the subnet broadcast, to 255.255.255.255, to our address in
	 * a link broadcast, from 0.0.0.0 (DHCP-style), unknown protocol to a
	 * broadcast: no ICMP for any (RFC 1122 §3.2.2). */
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = A(10, 0, 0, 255), .id = 1};
	size_t n = fxb_udp(f, BCAST_MAC, FX_MAC_PEER, &h, 1, 2, data, sizeof(data));
	inject(&fx, TERN_MSEC(1), f, n);
	h.dst = TERN_IP4_BROADCAST;
	n = fxb_udp(f, BCAST_MAC, FX_MAC_PEER, &h, 1, 2, data, sizeof(data));
	inject(&fx, TERN_MSEC(2), f, n);
	h.dst = FX_IP_US;
	n = fxb_udp(f, BCAST_MAC, FX_MAC_PEER, &h, 1, 2, data, sizeof(data));
	inject(&fx, TERN_MSEC(3), f, n);
	h.src = 0;
	h.dst = TERN_IP4_BROADCAST;
	n = fxb_udp(f, BCAST_MAC, FX_MAC_PEER, &h, 68, 67, data, sizeof(data));
	inject(&fx, TERN_MSEC(4), f, n);
	h.src = FX_IP_PEER;
	h.dst = A(10, 0, 0, 255);
	h.proto = 253;
	n = fxb_ip(f, BCAST_MAC, FX_MAC_PEER, &h, data, sizeof(data));
	inject(&fx, TERN_MSEC(5), f, n);
	expect_no_tx(&fx, TERN_SEC(1));
	CHECK_EQ(fx_stat(&fx, "udp.no_port"), 4);
	CHECK_EQ(fx_stat(&fx, "ip.unknown_protocol"), 1);
	/* (UDP to a broadcast address never asks ICMP for an error; the two
	 * that reach icmp.c are refused there.) */
	CHECK(fx_stat(&fx, "icmp.errors_not_sent") >= 2);
	CHECK_EQ(fx_stat(&fx, "icmp.out_msgs"), 0);
	fx_finish(&fx);
}

TEST(icmp_error_rate_limit)
{
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.icmp_ratelimit_burst = 5;
	fx.cfg.icmp_ratelimit_per_sec = 10;
	fx_host(&fx);
	fx_learn(&fx, 0, 0, FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	fx_clear_tx(&fx);
	uint8_t f[128], data[4] = {0};
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = FX_IP_US, .id = 1};
	size_t n = fxb_udp(f, FX_MAC_US, FX_MAC_PEER, &h, 1, 2, data, sizeof(data));
	/* A burst of 8 at one instant: 5 answered, 3 limited. */
	for (int i = 0; i < 8; i++)
		inject(&fx, TERN_SEC(10), f, n);
	CHECK_EQ(fx.nframes, 5);
	CHECK_EQ(fx_stat(&fx, "icmp.errors_ratelimited"), 3);
	fx_clear_tx(&fx);
	/* 100 ms later one token (10/s) has come back. */
	for (int i = 0; i < 3; i++)
		inject(&fx, TERN_SEC(10) + TERN_MSEC(100), f, n);
	CHECK_EQ(fx.nframes, 1);
	CHECK_EQ(fx_stat(&fx, "icmp.errors_ratelimited"), 5);
	fx_clear_tx(&fx);
	/* Long idle: the bucket refills to the burst, no more. (Refresh the
	 * neighbour first so no ARP request joins the frames.) */
	fx_learn(&fx, 0, TERN_SEC(100), FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	for (int i = 0; i < 8; i++)
		inject(&fx, TERN_SEC(100), f, n);
	CHECK_EQ(fx.nframes, 5);
	CHECK_EQ(fx_stat(&fx, "icmp.errors_ratelimited"), 8);
	fx_clear_tx(&fx);
	/* Echo replies are not errors and are not limited. */
	uint8_t e[128];
	n = fxb_echo(e, FX_MAC_US, FX_MAC_PEER, &h, TERN_ICMP_ECHO, 1, 1, data, 4);
	for (int i = 0; i < 8; i++)
		inject(&fx, TERN_SEC(100), e, n);
	CHECK_EQ(fx.nframes, 8);
	fx_clear_tx(&fx);
	fx_finish(&fx);
}

/* Linux's second limit: per destination host, a burst of 6 and then one
 * error per icmp_ratelimit (1 s); each host has its own. */
TEST(icmp_error_rate_limit_per_destination)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	const tern_ip4_t other = A(10, 0, 0, 3);
	fx_learn(&fx, 0, 0, FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	fx_learn(&fx, 0, 0, other, fx_mac(0x33), FX_IP_US);
	fx_clear_tx(&fx);
	uint8_t f[128], g[128], data[4] = {0};
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = FX_IP_US, .id = 1};
	size_t n = fxb_udp(f, FX_MAC_US, FX_MAC_PEER, &h, 1, 2, data, sizeof(data));
	h.src = other;
	size_t m = fxb_udp(g, FX_MAC_US, fx_mac(0x33), &h, 1, 2, data, sizeof(data));
	for (int i = 0; i < 10; i++)
		inject(&fx, TERN_SEC(1), f, n);
	CHECK_EQ(fx.nframes, 6);
	CHECK_EQ(fx_stat(&fx, "icmp.errors_ratelimited_host"), 4);
	fx_clear_tx(&fx);
	for (int i = 0; i < 10; i++)
		inject(&fx, TERN_SEC(1), g, m);
	CHECK_EQ(fx.nframes, 6); /* the other host has its own burst */
	fx_clear_tx(&fx);
	inject(&fx, TERN_SEC(1) + TERN_MSEC(999), f, n);
	CHECK_EQ(fx.nframes, 0); /* not a whole interval yet */
	inject(&fx, TERN_SEC(2), f, n);
	inject(&fx, TERN_SEC(2), f, n);
	CHECK_EQ(fx.nframes, 1);
	CHECK_EQ(fx_stat(&fx, "icmp.errors_ratelimited_host"), 4 + 4 + 2);
	CHECK_EQ(fx_stat(&fx, "icmp.errors_ratelimited"), 0);
	fx_clear_tx(&fx);
	fx_finish(&fx);

	/* icmp_ratelimit 0: only the host-wide bucket is left */
	fx_config(&fx);
	fx.cfg.icmp_ratelimit = 0;
	fx_host(&fx);
	fx_learn(&fx, 0, 0, FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	fx_clear_tx(&fx);
	for (int i = 0; i < 10; i++)
		inject(&fx, TERN_SEC(1), f, n);
	CHECK_EQ(fx.nframes, 10);
	fx_clear_tx(&fx);
	fx_finish(&fx);
}

/* ---- forwarding ---- */

#define R_MAC0 fx_mac(0x11)
#define R_MAC1 fx_mac(0x12)
#define R_IP0 A(10, 0, 0, 254)
#define R_IP1 A(10, 1, 0, 254)
#define B_IP A(10, 1, 0, 2)
#define B_MAC fx_mac(0x22)

/* A router: dev 0 = 10.0.0.254/24 (peer A = 10.0.0.2), dev 1 =
 * 10.1.0.254/24 (peer B = 10.1.0.2); both peers known. */
static void router(struct fixture *fx)
{
	fx_config(fx);
	fx->cfg.forwarding = true;
	fx_start(fx);
	fx_add_dev(fx, R_MAC0, 1500);
	fx_add_dev(fx, R_MAC1, 1500);
	if (tern_stack_addr_add(fx->s, 1, R_IP0, 24, 0) < 0 ||
	    tern_stack_addr_add(fx->s, 2, R_IP1, 24, 0) < 0)
		abort();
	fx_learn(fx, 0, 0, FX_IP_PEER, FX_MAC_PEER, R_IP0);
	fx_learn(fx, 1, 0, B_IP, B_MAC, R_IP1);
	fx_clear_tx(fx);
}

/* Pop an ICMP error the router sent back to A on dev 0; its bytes 4..7
 * are left in last_icmp. */
static __typeof__(((struct tern_icmp_repr *)0)->u) last_icmp;

#define CHECK_ROUTER_ERROR(fx, type_, code_, orig)                                    \
	do {                                                                          \
		struct fx_pkt p_;                                                     \
		expect_tx_parse(fx, &p_);                                             \
		CHECK_EQ(p_.f->dev, 0);                                               \
		CHECK(p_.is_icmp);                                                    \
		CHECK_MEM(p_.eth.dst.b, FX_MAC_PEER.b, 6);                            \
		CHECK_MEM(p_.eth.src.b, R_MAC0.b, 6);                                 \
		CHECK_EQ(p_.ip.src, R_IP0);                                           \
		CHECK_EQ(p_.ip.dst, FX_IP_PEER);                                      \
		CHECK_EQ(p_.icmp.type, (type_));                                      \
		CHECK_EQ(p_.icmp.code, (code_));                                      \
		REQUIRE(p_.icmp.data_len >= 28);                                      \
		CHECK_MEM(p_.icmp.data, (orig), 28);                                  \
		last_icmp = p_.icmp.u;                                                \
		fx_pkt_free(&p_);                                                     \
	} while (0)

TEST(forward_decrements_ttl)
{
	struct fixture fx;
	router(&fx);
	uint8_t f[256], data[100];
	fx_pattern(data, sizeof(data), 1);
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = B_IP, .id = 0x1111, .ttl = 64, .tos = 0x28};
	size_t n = fxb_echo(f, R_MAC0, FX_MAC_PEER, &h, TERN_ICMP_ECHO, 1, 1, data, sizeof(data));
	fx_inject(&fx, 0, TERN_MSEC(1), f, n);
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK_EQ(p.f->dev, 1);
	CHECK_MEM(p.eth.dst.b, B_MAC.b, 6);
	CHECK_MEM(p.eth.src.b, R_MAC1.b, 6);
	CHECK_EQ(p.f->len, n);
	CHECK_EQ(p.ip.ttl, 63);
	CHECK(ip_csum_ok(p.iph));
	/* Everything but TTL and checksum is unchanged. */
	CHECK_MEM(p.iph, f + 14, 8);
	CHECK_EQ(p.iph[9], f[14 + 9]);
	CHECK_MEM(p.iph + 12, f + 14 + 12, n - 14 - 12);
	fx_pkt_free(&p);
	CHECK_EQ(fx_stat(&fx, "ip.forwarded"), 1);
	/* TTL 2 still goes, with TTL 1; many TTLs to exercise the checksum
	 * update (RFC 1624) across carries. */
	for (unsigned ttl = 2; ttl <= 255; ttl++) {
		h.ttl = (uint8_t)ttl;
		h.id = (uint16_t)(ttl * 257);
		n = fxb_echo(f, R_MAC0, FX_MAC_PEER, &h, TERN_ICMP_ECHO, 1, 1, data, sizeof(data));
		fx_inject(&fx, 0, TERN_MSEC(2), f, n);
		expect_tx_parse(&fx, &p);
		CHECK_EQ(p.ip.ttl, ttl - 1);
		if (!ip_csum_ok(p.iph))
			TEST_FAIL_("bad checksum forwarding TTL %u", ttl);
		fx_pkt_free(&p);
	}
	fx_finish(&fx);
}

TEST(forward_ttl_expired_time_exceeded)
{
	struct fixture fx;
	router(&fx);
	uint8_t f[256], data[40];
	fx_pattern(data, sizeof(data), 2);
	for (uint8_t ttl = 0; ttl <= 1; ttl++) {
		struct fxb_ip h = {.src = FX_IP_PEER, .dst = B_IP, .id = 0x2222, .ttl = ttl};
		size_t n = fxb_udp(f, R_MAC0, FX_MAC_PEER, &h, 33434, 33434, data, sizeof(data));
		if (ttl == 0) { /* the builder maps 0 to 64 */
			f[14 + 8] = 0;
			fix_ip_csum(f + 14);
		}
		fx_inject(&fx, 0, TERN_MSEC(1 + ttl), f, n);
		/* Time exceeded from the router's address on the way back to
		 * the sender (RFC 1812 §4.3.2.4), quoting the datagram. */
		CHECK_ROUTER_ERROR(&fx, TERN_ICMP_TIME_EXCEEDED, TERN_ICMP_EXC_TTL, f + 14);
		CHECK_EQ(fx.nframes, 0);
	}
	CHECK_EQ(fx_stat(&fx, "ip.ttl_exceeded"), 2);
	CHECK_EQ(fx_stat(&fx, "icmp.out_time_excds"), 2);
	CHECK_EQ(fx_stat(&fx, "ip.forwarded"), 0);
	fx_finish(&fx);
}

TEST(forward_no_route_net_unreachable)
{
	struct fixture fx;
	router(&fx);
	uint8_t f[128], data[8] = {0};
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = A(192, 168, 5, 5), .id = 3};
	size_t n = fxb_udp(f, R_MAC0, FX_MAC_PEER, &h, 1, 2, data, sizeof(data));
	fx_inject(&fx, 0, TERN_MSEC(1), f, n);
	CHECK_ROUTER_ERROR(&fx, TERN_ICMP_DEST_UNREACH, TERN_ICMP_NET_UNREACH, f + 14);
	CHECK_EQ(fx_stat(&fx, "ip.no_route"), 1);
	expect_no_tx(&fx, TERN_SEC(1));
	fx_finish(&fx);
}

TEST(forward_df_too_big_frag_needed)
{
	struct fixture fx;
	router(&fx);
	REQUIRE_EQ(tern_stack_iface_set_mtu(fx.s, 2, 1000), 0);
	uint8_t f[1600], data[1400];
	fx_pattern(data, sizeof(data), 4);
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = B_IP, .id = 4, .df = true};
	size_t n = fxb_udp(f, R_MAC0, FX_MAC_PEER, &h, 1, 2, data, 1400 - 28);
	fx_inject(&fx, 0, TERN_MSEC(1), f, n);
	CHECK_ROUTER_ERROR(&fx, TERN_ICMP_DEST_UNREACH, TERN_ICMP_FRAG_NEEDED, f + 14);
	CHECK_EQ(last_icmp.mtu, 1000); /* RFC 1191: the next-hop MTU */
	CHECK_EQ(fx_stat(&fx, "ip.frag_needed_df"), 1);
	/* Exactly the MTU still goes. */
	n = fxb_udp(f, R_MAC0, FX_MAC_PEER, &h, 1, 2, data, 1000 - 28);
	fx_inject(&fx, 0, TERN_MSEC(2), f, n);
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK_EQ(p.f->dev, 1);
	CHECK_EQ(p.ip.total_len, 1000);
	fx_pkt_free(&p);
	expect_no_tx(&fx, TERN_SEC(1));
	fx_finish(&fx);
}

/* Collect fragments sent on dev, check the RFC 791 rules, and rebuild the
 * payload. Returns the number of fragments. */
static int collect_fragments(struct fixture *fx, int dev, uint32_t mtu, uint8_t *payload,
			     size_t *payload_len, struct tern_ipv4_repr *first)
{
	int nfrag = 0;
	size_t end = 0;
	bool saw_last = false;
	struct fx_frame *fr;
	while ((fr = fx_pop(fx))) {
		struct fx_pkt p;
		if (fx_parse(fr, &p) != TERN_STAT_NONE || !p.is_ip || fr->dev != dev) {
			TEST_FAIL_("unexpected frame");
			fx_pkt_free(&p);
			continue;
		}
		if (p.ip.total_len > mtu)
			TEST_FAIL_("fragment of %u bytes > MTU %u", p.ip.total_len, mtu);
		if (p.ip.frag_off % 8)
			TEST_FAIL_("offset %u not a multiple of 8", p.ip.frag_off);
		if (p.ip.mf && p.l4_len % 8)
			TEST_FAIL_("non-final fragment of %zu bytes", p.l4_len);
		if (p.ip.frag_off != end)
			TEST_FAIL_("fragment at %u, expected %zu", p.ip.frag_off, end);
		if (saw_last)
			TEST_FAIL_("fragment after the last");
		if (nfrag == 0 && first)
			*first = p.ip;
		else if (first && p.ip.id != first->id)
			TEST_FAIL_("fragment id %u != %u", p.ip.id, first->id);
		memcpy(payload + p.ip.frag_off, p.l4, p.l4_len);
		end = p.ip.frag_off + p.l4_len;
		saw_last = !p.ip.mf;
		nfrag++;
		fx_pkt_free(&p);
	}
	if (!saw_last)
		TEST_FAIL_("no last fragment");
	*payload_len = end;
	return nfrag;
}

/* Path MTU discovery must not starve: "fragmentation needed" is never
 * rate limited, while time exceeded to the same host is (6, as Linux). */
TEST(frag_needed_is_never_rate_limited)
{
	struct fixture fx;
	router(&fx);
	REQUIRE_EQ(tern_stack_iface_set_mtu(fx.s, 2, 1000), 0);
	uint8_t f[1600], data[1400];
	fx_pattern(data, sizeof(data), 4);
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = B_IP, .id = 4, .df = true};
	size_t n = fxb_udp(f, R_MAC0, FX_MAC_PEER, &h, 1, 2, data, 1400 - 28);
	for (int i = 0; i < 60; i++)
		fx_inject(&fx, 0, TERN_MSEC(1), f, n);
	CHECK_EQ(fx.nframes, 60);
	fx_clear_tx(&fx);
	h.df = false;
	h.ttl = 1;
	n = fxb_udp(f, R_MAC0, FX_MAC_PEER, &h, 1, 2, data, 100);
	for (int i = 0; i < 60; i++)
		fx_inject(&fx, 0, TERN_MSEC(1), f, n);
	/* Linux's order: the host-wide bucket first (its 50 tokens go to
	 * the first 50, the rest are refused there), then the destination's
	 * (6 of those 50 pass). The 60 "fragmentation needed" took none. */
	CHECK_EQ(fx.nframes, 6);
	CHECK_EQ(fx_stat(&fx, "icmp.errors_ratelimited"), 10);
	CHECK_EQ(fx_stat(&fx, "icmp.errors_ratelimited_host"), 44);
	fx_clear_tx(&fx);
	fx_finish(&fx);
}

TEST(forward_fragments_when_too_big)
{
	struct fixture fx;
	router(&fx);
	REQUIRE_EQ(tern_stack_iface_set_mtu(fx.s, 2, 576), 0);
	uint8_t f[1600], data[1400], got[1600];
	fx_pattern(data, sizeof(data), 5);
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = B_IP, .id = 0x5555, .ttl = 9};
	size_t n = fxb_udp(f, R_MAC0, FX_MAC_PEER, &h, 7, 8, data, 1400 - 28);
	fx_inject(&fx, 0, TERN_MSEC(1), f, n);
	size_t len;
	struct tern_ipv4_repr first;
	int k = collect_fragments(&fx, 1, 576, got, &len, &first);
	CHECK_EQ(k, 3); /* 552 + 552 + 276 */
	CHECK_EQ(len, 1380);
	CHECK_MEM(got, f + 14 + 20, 1380);
	CHECK_EQ(first.ttl, 8);
	CHECK_EQ(first.id, 0x5555);
	CHECK_EQ(first.src, FX_IP_PEER);
	CHECK_EQ(first.dst, B_IP);
	CHECK_EQ(fx_stat(&fx, "ip.frag_creates"), 3);
	CHECK_EQ(fx_stat(&fx, "ip.frag_oks"), 1);
	fx_finish(&fx);
}

TEST(forward_refragments_a_fragment)
{
	/* A fragment (MF set, offset 0) refragmented: every piece keeps MF,
	 * offsets continue from the original. */
	struct fixture fx;
	router(&fx);
	REQUIRE_EQ(tern_stack_iface_set_mtu(fx.s, 2, 576), 0);
	uint8_t f[1600], data[2000];
	fx_pattern(data, sizeof(data), 6);
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = B_IP, .id = 0x6666};
	size_t n = fxb_frag(f, R_MAC0, FX_MAC_PEER, &h, data, 2000, 800, 1000);
	REQUIRE_EQ(n, 14 + 20 + 1000);
	fx_inject(&fx, 0, TERN_MSEC(1), f, n);
	size_t expect_off = 800;
	int k = 0;
	struct fx_frame *fr;
	while ((fr = fx_pop(&fx))) {
		struct fx_pkt p;
		CHECK_EQ(fx_parse(fr, &p), TERN_STAT_NONE);
		CHECK(p.ip.mf);
		CHECK_EQ(p.ip.frag_off, expect_off);
		CHECK(p.ip.total_len <= 576);
		CHECK_MEM(p.l4, data + p.ip.frag_off, p.l4_len);
		expect_off += p.l4_len;
		k++;
		fx_pkt_free(&p);
	}
	CHECK_EQ(k, 2);
	CHECK_EQ(expect_off, 1800);
	fx_finish(&fx);
}

TEST(forward_no_error_about_icmp_error_or_later_fragment)
{
	struct fixture fx;
	router(&fx);
	uint8_t f[256], quote[28], data[64];
	fx_pattern(quote, sizeof(quote), 1);
	quote[0] = 0x45;
	fx_pattern(data, sizeof(data), 2);
	/* An ICMP error passing through with TTL 1. */
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = B_IP, .id = 1, .ttl = 1};
	size_t n = build_icmp_error(f, R_MAC0, FX_MAC_PEER, &h, TERN_ICMP_DEST_UNREACH, 3, 0, quote,
				    sizeof(quote));
	fx_inject(&fx, 0, TERN_MSEC(1), f, n);
	/* A non-first fragment with TTL 1. */
	n = fxb_frag(f, R_MAC0, FX_MAC_PEER, &h, data, 64, 16, 16);
	fx_inject(&fx, 0, TERN_MSEC(2), f, n);
	/* The last fragment too. */
	n = fxb_frag(f, R_MAC0, FX_MAC_PEER, &h, data, 64, 48, 16);
	fx_inject(&fx, 0, TERN_MSEC(3), f, n);
	expect_no_tx(&fx, TERN_SEC(1));
	CHECK_EQ(fx_stat(&fx, "ip.ttl_exceeded"), 3);
	CHECK_EQ(fx_stat(&fx, "icmp.errors_not_sent"), 3);
	/* But the first fragment does earn one. */
	h.proto = TERN_IPPROTO_UDP;
	n = fxb_frag(f, R_MAC0, FX_MAC_PEER, &h, data, 64, 0, 16);
	fx_inject(&fx, 0, TERN_MSEC(4), f, n);
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp);
	CHECK_EQ(p.icmp.type, TERN_ICMP_TIME_EXCEEDED);
	fx_pkt_free(&p);
	/* An echo request (not an error) with TTL 1 earns one too. */
	n = fxb_echo(f, R_MAC0, FX_MAC_PEER, &h, TERN_ICMP_ECHO, 1, 1, data, 8);
	fx_inject(&fx, 0, TERN_MSEC(5), f, n);
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp);
	CHECK_EQ(p.icmp.type, TERN_ICMP_TIME_EXCEEDED);
	fx_pkt_free(&p);
	fx_finish(&fx);
}

TEST(forward_link_broadcast_not_forwarded)
{
	/* RFC 1812 §5.3.4: a link-layer broadcast is never forwarded. */
	struct fixture fx;
	router(&fx);
	uint8_t f[128], data[8] = {0};
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = B_IP, .id = 1};
	size_t n = fxb_udp(f, BCAST_MAC, FX_MAC_PEER, &h, 1, 2, data, sizeof(data));
	fx_inject(&fx, 0, TERN_MSEC(1), f, n);
	expect_no_tx(&fx, TERN_SEC(1));
	CHECK_EQ(fx_stat(&fx, "ip.forwarded"), 0);
	fx_finish(&fx);
}

TEST(forward_sends_redirect)
{
	struct fixture fx;
	router(&fx);
	const tern_ip4_t other_gw = A(10, 0, 0, 5);
	REQUIRE_EQ(tern_route_add(fx.s, A(172, 16, 0, 0), 16, other_gw, 0, 0), 0);
	fx_learn(&fx, 0, 0, other_gw, fx_mac(0x05), R_IP0);
	uint8_t f[128], data[8] = {0};
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = A(172, 16, 1, 1), .id = 1};
	size_t n = fxb_udp(f, R_MAC0, FX_MAC_PEER, &h, 1, 2, data, sizeof(data));
	fx_inject(&fx, 0, TERN_MSEC(1), f, n);
	/* RFC 1812 §5.2.7.2: in == out, source on-link: a host redirect to
	 * the better first hop ... */
	CHECK_ROUTER_ERROR(&fx, TERN_ICMP_REDIRECT, TERN_ICMP_REDIR_HOST, f + 14);
	CHECK_EQ(last_icmp.gateway, other_gw);
	/* ... and the datagram is still forwarded. */
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK_EQ(p.f->dev, 0);
	CHECK_MEM(p.eth.dst.b, fx_mac(0x05).b, 6);
	CHECK_EQ(p.ip.ttl, 63);
	fx_pkt_free(&p);
	CHECK_EQ(fx_stat(&fx, "icmp.out_redirects"), 1);

	/* Source not on the link: no redirect, just forwarding. */
	REQUIRE_EQ(tern_route_add(fx.s, A(10, 9, 0, 0), 16, other_gw, 0, 0), 0);
	h.src = A(10, 9, 1, 1);
	n = fxb_udp(f, R_MAC0, fx_mac(0x05), &h, 1, 2, data, sizeof(data));
	fx_inject(&fx, 0, TERN_MSEC(2), f, n);
	expect_tx_parse(&fx, &p);
	CHECK(!p.is_icmp || p.icmp.type != TERN_ICMP_REDIRECT);
	CHECK_EQ(p.ip.src, A(10, 9, 1, 1));
	fx_pkt_free(&p);
	CHECK_EQ(fx.nframes, 0);

	/* Redirects off. */
	tern_stack_cfg_own(fx.s)->send_redirects = false;
	h.src = FX_IP_PEER;
	n = fxb_udp(f, R_MAC0, FX_MAC_PEER, &h, 1, 2, data, sizeof(data));
	fx_inject(&fx, 0, TERN_MSEC(3), f, n);
	expect_tx_parse(&fx, &p);
	CHECK_EQ(p.ip.proto, TERN_IPPROTO_UDP);
	fx_pkt_free(&p);
	CHECK_EQ(fx.nframes, 0);
	CHECK_EQ(fx_stat(&fx, "icmp.out_redirects"), 1);
	fx_finish(&fx);
}

TEST(router_answers_for_both_interfaces)
{
	/* Weak host model: B can ping the router's address on A's side. */
	struct fixture fx;
	router(&fx);
	uint8_t f[128], data[8] = {0};
	struct fxb_ip h = {.src = B_IP, .dst = R_IP0, .id = 1};
	size_t n = fxb_echo(f, R_MAC1, B_MAC, &h, TERN_ICMP_ECHO, 1, 1, data, 8);
	fx_inject(&fx, 1, TERN_MSEC(1), f, n);
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK_EQ(p.f->dev, 1);
	CHECK_EQ(p.icmp.type, TERN_ICMP_ECHO_REPLY);
	CHECK_EQ(p.ip.src, R_IP0);
	CHECK_EQ(p.ip.dst, B_IP);
	fx_pkt_free(&p);
	CHECK_EQ(fx_stat(&fx, "ip.forwarded"), 0);
	fx_finish(&fx);
}

/* ---- redirects at a host ---- */

static size_t redirect_frame(uint8_t *f, tern_ip4_t from, struct tern_mac from_mac, tern_ip4_t dst,
			     tern_ip4_t gw)
{
	/* The quote: our datagram to dst (header + 8 bytes). */
	uint8_t quote[28];
	struct tern_ipv4_repr q = {.hlen = 20, .total_len = 100, .id = 1, .ttl = 64,
				   .proto = TERN_IPPROTO_UDP, .src = FX_IP_US, .dst = dst};
	tern_ipv4_emit(&q, quote);
	memset(quote + 20, 0, 8);
	struct fxb_ip h = {.src = from, .dst = FX_IP_US, .id = 2};
	return build_icmp_error(f, FX_MAC_US, from_mac, &h, TERN_ICMP_REDIRECT, TERN_ICMP_REDIR_HOST,
				gw, quote, sizeof(quote));
}

TEST(host_accepts_redirect_from_its_gateway_only)
{
	struct fixture fx;
	host(&fx);
	const tern_ip4_t dst = A(172, 16, 1, 1), better = A(10, 0, 0, 5);
	fx_learn(&fx, 0, 0, FX_IP_GW, FX_MAC_GW, FX_IP_US);
	fx_learn(&fx, 0, 0, better, fx_mac(0x05), FX_IP_US);
	uint8_t f[128];
	size_t n;
	struct tern_route_result r;

	/* From a host that is not our gateway for dst: ignored. */
	n = redirect_frame(f, A(10, 0, 0, 99), fx_mac(0x99), dst, better);
	inject(&fx, TERN_MSEC(1), f, n);
	CHECK_EQ(fx_stat(&fx, "icmp.redirects_ignored"), 1);
	REQUIRE_EQ(tern_route_lookup(fx.s, dst, &r), 0);
	CHECK_EQ(r.next_hop, FX_IP_GW);
	/* From the gateway, to an off-link new gateway: ignored. */
	n = redirect_frame(f, FX_IP_GW, FX_MAC_GW, dst, A(192, 168, 9, 9));
	inject(&fx, TERN_MSEC(2), f, n);
	CHECK_EQ(fx_stat(&fx, "icmp.redirects_ignored"), 2);
	/* ... to our own address: ignored. */
	n = redirect_frame(f, FX_IP_GW, FX_MAC_GW, dst, FX_IP_US);
	inject(&fx, TERN_MSEC(3), f, n);
	CHECK_EQ(fx_stat(&fx, "icmp.redirects_ignored"), 3);
	REQUIRE_EQ(tern_route_lookup(fx.s, dst, &r), 0);
	CHECK_EQ(r.next_hop, FX_IP_GW);

	/* From the gateway, to an on-link one: accepted, for dst only. */
	n = redirect_frame(f, FX_IP_GW, FX_MAC_GW, dst, better);
	inject(&fx, TERN_MSEC(4), f, n);
	CHECK_EQ(fx_stat(&fx, "icmp.redirects_ignored"), 3);
	REQUIRE_EQ(tern_route_lookup(fx.s, dst, &r), 0);
	CHECK_EQ(r.next_hop, better);
	CHECK_EQ(r.plen, 32);
	REQUIRE_EQ(tern_route_lookup(fx.s, A(172, 16, 1, 2), &r), 0);
	CHECK_EQ(r.next_hop, FX_IP_GW);
	/* Listeners hear of it. */
	REQUIRE(fx.nicmp >= 1);
	CHECK_EQ(fx.icmp[fx.nicmp - 1].m.type, TERN_ICMP_REDIRECT);
	CHECK_EQ(fx.icmp[fx.nicmp - 1].m.gateway, better);
	/* Traffic to dst now goes to the better gateway. */
	struct tern_ip_send s = {.dst = dst, .proto = 253};
	REQUIRE_EQ(tern_ip_send_raw(fx.s, &s, (const uint8_t *)"x", 1, TERN_MSEC(5)), 0);
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK_MEM(p.eth.dst.b, fx_mac(0x05).b, 6);
	CHECK_EQ(p.ip.dst, dst);
	fx_pkt_free(&p);
	/* Now the old gateway is no longer ours for dst: its redirect back is
	 * ignored. */
	n = redirect_frame(f, FX_IP_GW, FX_MAC_GW, dst, A(10, 0, 0, 6));
	inject(&fx, TERN_MSEC(6), f, n);
	CHECK_EQ(fx_stat(&fx, "icmp.redirects_ignored"), 4);
	REQUIRE_EQ(tern_route_lookup(fx.s, dst, &r), 0);
	CHECK_EQ(r.next_hop, better);
	expect_no_tx(&fx, TERN_SEC(1));
	fx_finish(&fx);
}

/* Routes learnt from redirects are a table the gateway (or whoever forges
 * its address) fills: bounded by redirect_routes_max, then refused. */
TEST(redirect_routes_bounded)
{
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.redirect_routes_max = 4;
	fx_host(&fx);
	fx_learn(&fx, 0, 0, FX_IP_GW, FX_MAC_GW, FX_IP_US);
	fx_clear_tx(&fx);
	uint8_t f[128];
	for (uint8_t i = 1; i <= 6; i++) {
		size_t n = redirect_frame(f, FX_IP_GW, FX_MAC_GW, A(172, 16, 2, i), A(10, 0, 0, 5));
		inject(&fx, TERN_MSEC(i), f, n);
	}
	CHECK_EQ(fx_stat(&fx, "icmp.redirect_table_full"), 2);
	struct tern_route_result r;
	REQUIRE_EQ(tern_route_lookup(fx.s, A(172, 16, 2, 4), &r), 0);
	CHECK_EQ(r.next_hop, A(10, 0, 0, 5));
	REQUIRE_EQ(tern_route_lookup(fx.s, A(172, 16, 2, 5), &r), 0);
	CHECK_EQ(r.next_hop, FX_IP_GW);
	/* A redirect for a destination already redirected replaces its route. */
	size_t n = redirect_frame(f, A(10, 0, 0, 5), fx_mac(0x05), A(172, 16, 2, 1), A(10, 0, 0, 6));
	inject(&fx, TERN_MSEC(10), f, n);
	CHECK_EQ(fx_stat(&fx, "icmp.redirect_table_full"), 2);
	REQUIRE_EQ(tern_route_lookup(fx.s, A(172, 16, 2, 1), &r), 0);
	CHECK_EQ(r.next_hop, A(10, 0, 0, 6));
	fx_finish(&fx);
}

TEST(router_ignores_redirects)
{
	struct fixture fx;
	router(&fx);
	REQUIRE_EQ(tern_route_add(fx.s, 0, 0, FX_IP_PEER, 0, 0), 0);
	uint8_t quote[28], f[128];
	struct tern_ipv4_repr q = {.hlen = 20, .total_len = 100, .ttl = 64, .proto = 17,
				   .src = R_IP0, .dst = A(172, 16, 1, 1)};
	tern_ipv4_emit(&q, quote);
	memset(quote + 20, 0, 8);
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = R_IP0, .id = 2};
	size_t n = build_icmp_error(f, R_MAC0, FX_MAC_PEER, &h, TERN_ICMP_REDIRECT, 1,
				    A(10, 0, 0, 5), quote, sizeof(quote));
	fx_inject(&fx, 0, TERN_MSEC(1), f, n);
	CHECK_EQ(fx_stat(&fx, "icmp.redirects_ignored"), 1);
	struct tern_route_result r;
	REQUIRE_EQ(tern_route_lookup(fx.s, A(172, 16, 1, 1), &r), 0);
	CHECK_EQ(r.next_hop, FX_IP_PEER);
	fx_finish(&fx);
}

TEST(send_raw_errors)
{
	struct fixture fx;
	host(&fx);
	static uint8_t big[65536];
	struct tern_ip_send s = {.dst = FX_IP_PEER, .proto = 253, .df = true};
	CHECK_EQ(tern_ip_send_raw(fx.s, &s, big, 1481, TERN_MSEC(1)), TERN_EMSGSIZE);
	CHECK_EQ(tern_ip_send_raw(fx.s, &s, big, 1480, TERN_MSEC(1)), 0);
	s.df = false;
	CHECK_EQ(tern_ip_send_raw(fx.s, &s, big, 65516, TERN_MSEC(1)), TERN_EMSGSIZE);
	fx_clear_tx(&fx);
	/* Fragmented locally: 3000 bytes in 1500-byte pieces. */
	fx_pattern(big, 3000, 8);
	REQUIRE_EQ(tern_ip_send_raw(fx.s, &s, big, 3000, TERN_MSEC(2)), 0);
	uint8_t got[4000];
	size_t len;
	int k = collect_fragments(&fx, 0, 1500, got, &len, NULL);
	CHECK_EQ(k, 3);
	CHECK_EQ(len, 3000);
	CHECK_MEM(got, big, 3000);
	/* No route. */
	REQUIRE_EQ(tern_route_del(fx.s, 0, 0, 0), 0);
	s.dst = A(8, 8, 8, 8);
	CHECK_EQ(tern_ip_send_raw(fx.s, &s, big, 10, TERN_MSEC(3)), TERN_ENETUNREACH);
	CHECK_EQ(fx_stat(&fx, "ip.no_route"), 1);
	fx_finish(&fx);
}

TEST_MAIN()
