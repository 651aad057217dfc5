/*
 * tests/unit/test_pmtu.c — path MTU discovery with explicit time: the
 * cache (RFC 1191 §3-4, §7; Linux's route.min_pmtu and mtu_expires), its
 * bound, IP output by IP_MTU_DISCOVER mode, and TCP lowering its MSS on a
 * checked "fragmentation needed" and resending exactly what was lost
 * (RFC 1191 §6.5, RFC 5927 §4.1).
 */
#include "net/net.h"
#include "net/pmtu.h"
#include "tcp_fixture.h"

#define A TERN_IP4

static void host(struct fixture *fx)
{
	fx_host(fx);
	fx_learn(fx, 0, 0, FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	fx_clear_tx(fx);
}

TEST(pmtu_cache_lowers_never_raises_min_pmtu_and_expires)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	struct tern_stack *s = fx.s;
	tern_time_t t0 = T_SEC(5);
	CHECK_EQ(tern_pmtu_get(s, FX_IP_PEER, t0), 0);
	CHECK_EQ(tern_pmtu_path(s, FX_IP_PEER, t0), 1500);
	CHECK_EQ(tern_pmtu_learn(s, FX_IP_PEER, 1280, 1500, t0), 1280);
	CHECK_EQ(tern_pmtu_path(s, FX_IP_PEER, t0), 1280);
	/* RFC 1191 §3: a larger report does not raise it */
	CHECK_EQ(tern_pmtu_learn(s, FX_IP_PEER, 1400, 1500, t0 + T_SEC(1)), 1280);
	CHECK_EQ(tern_pmtu_get(s, FX_IP_PEER, t0 + T_SEC(1)), 1280);
	/* a reported MTU the datagram fitted in is bogus */
	CHECK_EQ(tern_pmtu_learn(s, FX_IP_PEER, 1000, 900, t0 + T_SEC(1)), 0);
	CHECK_EQ(fx_stat(&fx, "ip.pmtu_bogus_mtu"), 1);
	CHECK_EQ(tern_pmtu_learn(s, FX_IP_PEER, 1000, 1280, t0 + T_SEC(2)), 1000);
	/* never below route.min_pmtu (552), whatever a forged message says */
	CHECK_EQ(tern_pmtu_learn(s, FX_IP_PEER, 68, 1000, t0 + T_SEC(3)), 552);
	CHECK_EQ(tern_pmtu_get(s, FX_IP_PEER, t0 + T_SEC(3)), 552);
	CHECK_EQ(fx_stat(&fx, "ip.pmtu_updates"), 3);
	/* mtu_expires (600 s) after it was last lowered: the interface's again */
	CHECK_EQ(tern_pmtu_get(s, FX_IP_PEER, t0 + T_SEC(603) - 1), 552);
	CHECK_EQ(tern_pmtu_get(s, FX_IP_PEER, t0 + T_SEC(603)), 0);
	CHECK_EQ(tern_pmtu_path(s, FX_IP_PEER, t0 + T_SEC(603)), 1500);
	CHECK_EQ(s->net->pmtu.count, 0);
	/* the sysctls */
	REQUIRE_EQ(tern_sysctl_set(s, "net.ipv4.route.min_pmtu", "1100"), 0);
	REQUIRE_EQ(tern_sysctl_set(s, "net.ipv4.route.mtu_expires", "10"), 0);
	CHECK_EQ(tern_pmtu_learn(s, FX_IP_PEER, 576, 1500, T_SEC(700)), 1100);
	CHECK_EQ(tern_pmtu_get(s, FX_IP_PEER, T_SEC(710) - 1), 1100);
	CHECK_EQ(tern_pmtu_get(s, FX_IP_PEER, T_SEC(710)), 0);
	fx_finish(&fx);
}

TEST(pmtu_zero_next_hop_mtu_takes_rfc1191_plateau)
{
	CHECK_EQ(tern_pmtu_plateau(1500), 1492);
	CHECK_EQ(tern_pmtu_plateau(1492), 1006);
	CHECK_EQ(tern_pmtu_plateau(4000), 2002);
	CHECK_EQ(tern_pmtu_plateau(576), 508);
	CHECK_EQ(tern_pmtu_plateau(60), 68);
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	/* an old router's 0: the plateau below the quoted 1500 */
	CHECK_EQ(tern_pmtu_learn(fx.s, FX_IP_PEER, 0, 1500, T_SEC(1)), 1492);
	/* and below 1492 next time */
	CHECK_EQ(tern_pmtu_learn(fx.s, FX_IP_PEER, 0, 1492, T_SEC(2)), 1006);
	fx_finish(&fx);
}

TEST(pmtu_cache_is_bounded_and_counts_replacements)
{
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.pmtu_cache_size = 8;
	host(&fx);
	/* 200 destinations behind the peer as gateway */
	REQUIRE_EQ(tern_route_add(fx.s, A(192, 0, 2, 0), 24, FX_IP_PEER, 0, 0), 0);
	REQUIRE_EQ(tern_route_add(fx.s, A(198, 51, 100, 0), 24, FX_IP_PEER, 0, 0), 0);
	unsigned learnt = 0;
	for (unsigned i = 0; i < 200; i++) {
		tern_ip4_t d = i < 100 ? A(192, 0, 2, i + 1) : A(198, 51, 100, i - 99);
		learnt += tern_pmtu_learn(fx.s, d, 1000, 1500, T_SEC(1) + i) == 1000;
	}
	CHECK_EQ(learnt, 200);
	CHECK(fx.s->net->pmtu.count <= 8);
	CHECK_EQ(fx_stat(&fx, "ip.pmtu_cache_full"), 200 - fx.s->net->pmtu.count);
	/* the newest are there */
	CHECK_EQ(tern_pmtu_get(fx.s, A(198, 51, 100, 100), T_SEC(2)), 1000);
	fx_finish(&fx);
}

/* An ICMP frag-needed from gw about a datagram we sent to peer of
 * quoted_len bytes, the quote's first 8 transport bytes given. */
static size_t frag_needed(uint8_t *buf, tern_ip4_t from, uint16_t mtu, uint8_t proto,
			  uint16_t quoted_len, const uint8_t l4[8])
{
	uint8_t q[TERN_IPV4_HLEN + 8];
	struct tern_ipv4_repr ip = {
		.hlen = TERN_IPV4_HLEN, .total_len = quoted_len, .df = true, .ttl = 63,
		.proto = proto, .src = FX_IP_US, .dst = FX_IP_PEER,
	};
	tern_ipv4_emit(&ip, q);
	memcpy(q + TERN_IPV4_HLEN, l4, 8);
	uint8_t icmp[TERN_ICMP_HLEN + sizeof(q)];
	struct tern_icmp_repr r = {.type = TERN_ICMP_DEST_UNREACH, .code = TERN_ICMP_FRAG_NEEDED,
				   .data = q, .data_len = sizeof(q)};
	r.u.mtu = mtu;
	tern_icmp_emit(&r, icmp);
	struct fxb_ip h = {.src = from, .dst = FX_IP_US, .proto = TERN_IPPROTO_ICMP};
	return fxb_ip(buf, FX_MAC_US, FX_MAC_PEER, &h, icmp, sizeof(icmp));
}

static void tcp_quote(uint8_t l4[8], uint16_t sport, uint16_t dport, uint32_t seq)
{
	wr16(l4, sport);
	wr16(l4 + 2, dport);
	wr32(l4 + 4, seq);
}

TEST(pmtu_unclaimed_frag_needed_is_not_believed)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	uint8_t f[128], l4[8] = {0x9c, 0x40, 0x23, 0x28, 0, 16, 0, 0}; /* UDP 40000 -> 9000 */
	size_t n = frag_needed(f, FX_IP_PEER, 1280, TERN_IPPROTO_UDP, 1500, l4);
	inject(&fx, T_SEC(1), f, n);
	CHECK_EQ(tern_pmtu_get(fx.s, FX_IP_PEER, T_SEC(1)), 0);
	CHECK_EQ(fx_stat(&fx, "ip.pmtu_unverified"), 1);
	/* the socket that sent it claims it: believed */
	int sd = tern_socket(fx.s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	struct tern_sockaddr_in me = {FX_IP_US, 40000}, peer = {FX_IP_PEER, 9000};
	REQUIRE_EQ(tern_bind(fx.s, sd, &me), 0);
	REQUIRE_EQ(tern_connect(fx.s, sd, &peer), 0);
	int v = -1;
	size_t vl = sizeof(v);
	REQUIRE_EQ(tern_getsockopt(fx.s, sd, TERN_IPPROTO_IP, TERN_IP_MTU, &v, &vl), 0);
	CHECK_EQ(v, 1500);
	inject(&fx, T_SEC(2), f, n);
	CHECK_EQ(tern_pmtu_get(fx.s, FX_IP_PEER, T_SEC(2)), 1280);
	REQUIRE_EQ(tern_getsockopt(fx.s, sd, TERN_IPPROTO_IP, TERN_IP_MTU, &v, &vl), 0);
	CHECK_EQ(v, 1280);
	tern_close(fx.s, sd);
	fx_finish(&fx);
}

/* No peer can starve the host: 5000 forged messages, for destinations and
 * ports nobody here talks to, and for a TCP connection with sequence
 * numbers outside its flight, teach nothing and allocate nothing. */
TEST(pmtu_forged_flood_teaches_nothing)
{
	struct tfx t;
	tcp_fx_config(&t);
	REQUIRE(tcp_fx_passive_established(&t));
	REQUIRE_EQ(tern_route_add(t.fx.s, A(192, 0, 2, 0), 24, FX_IP_PEER, 0, 0), 0);
	uint8_t f[128], l4[8];
	for (unsigned i = 0; i < 5000; i++) {
		tcp_quote(l4, (uint16_t)(1024 + i), (uint16_t)(7 + i), 0x10000u * i);
		size_t n = frag_needed(f, FX_IP_GW, (uint16_t)(68 + i % 1000),
				       i % 2 ? TERN_IPPROTO_UDP : TERN_IPPROTO_TCP, 1500, l4);
		inject(&t.fx, T_MS(100) + i, f, n);
		tcp_quote(l4, T_PORT_US, T_PORT_PEER, t.us + 100000 + i); /* ours, not in flight */
		n = frag_needed(f, FX_IP_GW, 576, TERN_IPPROTO_TCP, 1500, l4);
		inject(&t.fx, T_MS(100) + i, f, n);
	}
	CHECK_EQ(t.fx.s->net->pmtu.count, 0);
	CHECK(t.fx.s->net->pmtu.e == NULL); /* never even made */
	CHECK_EQ(fx_stat(&t.fx, "ip.pmtu_updates"), 0);
	CHECK_EQ(fx_stat(&t.fx, "tcp.mtu_reduced"), 0);
	CHECK_EQ(fx_stat(&t.fx, "ip.pmtu_unverified"), 2500); /* the UDP half; TCP's are TCP's */
	expect_no_seg(&t, T_MS(200));
	tcp_fx_finish(&t);
}

/* Send a datagram of `len` payload bytes in mode; the frames that left. */
static int send_mode(struct fixture *fx, uint8_t mode, size_t len, unsigned *frames, bool *df)
{
	static uint8_t buf[4000];
	struct tern_ip_send p = {.dst = FX_IP_PEER, .proto = 253, .pmtudisc = mode};
	int rc = tern_ip_send_raw(fx->s, &p, buf, len, fx->s->now);
	*frames = 0;
	*df = false;
	struct fx_frame *f;
	while ((f = fx_pop(fx))) {
		struct fx_pkt pk;
		if (fx_parse(f, &pk) == TERN_STAT_NONE && pk.is_ip) {
			(*frames)++;
			*df = *df || pk.ip.df;
			CHECK(pk.ip.total_len <= (pk.ip.df || mode == TERN_IP_PMTU_PROBE ? 1500 : 1280));
		}
		fx_pkt_free(&pk);
	}
	return rc;
}

TEST(pmtu_ip_output_by_mode)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	fx_advance(&fx, T_SEC(1));
	REQUIRE_EQ(tern_pmtu_learn(fx.s, FX_IP_PEER, 1280, 1500, T_SEC(1)), 1280);
	unsigned n;
	bool df;
	/* DO: DF, refused locally above the path MTU */
	CHECK_EQ(send_mode(&fx, TERN_IP_PMTU_DO, 1300, &n, &df), TERN_EMSGSIZE);
	CHECK_EQ(n, 0);
	CHECK_EQ(send_mode(&fx, TERN_IP_PMTU_DO, 1260, &n, &df), 0);
	CHECK(n == 1 && df);
	/* WANT: DF where it fits, else fragmented to the path MTU without */
	CHECK_EQ(send_mode(&fx, TERN_IP_PMTU_WANT, 1000, &n, &df), 0);
	CHECK(n == 1 && df);
	CHECK_EQ(send_mode(&fx, TERN_IP_PMTU_WANT, 1300, &n, &df), 0);
	CHECK(n == 2 && !df);
	/* DONT: never DF, fragments to the path MTU */
	CHECK_EQ(send_mode(&fx, TERN_IP_PMTU_DONT, 1300, &n, &df), 0);
	CHECK(n == 2 && !df);
	/* PROBE: DF, the interface's MTU alone */
	CHECK_EQ(send_mode(&fx, TERN_IP_PMTU_PROBE, 1400, &n, &df), 0);
	CHECK(n == 1 && df);
	CHECK_EQ(send_mode(&fx, TERN_IP_PMTU_PROBE, 1490, &n, &df), TERN_EMSGSIZE);
	fx_finish(&fx);
}

TEST(pmtu_socket_options)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	int u = tern_socket(fx.s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	int tc = tern_socket(fx.s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	int v = -1;
	size_t vl = sizeof(v);
	REQUIRE_EQ(tern_getsockopt(fx.s, tc, TERN_IPPROTO_IP, TERN_IP_MTU_DISCOVER, &v, &vl), 0);
	CHECK_EQ(v, TERN_IP_PMTUDISC_WANT); /* ip_no_pmtu_disc 0, as Linux */
	REQUIRE_EQ(tern_getsockopt(fx.s, u, TERN_IPPROTO_IP, TERN_IP_MTU_DISCOVER, &v, &vl), 0);
	CHECK_EQ(v, TERN_IP_PMTUDISC_DONT);
	CHECK_EQ(tern_getsockopt(fx.s, u, TERN_IPPROTO_IP, TERN_IP_MTU, &v, &vl), TERN_ENOTCONN);
	v = 6;
	CHECK_EQ(tern_setsockopt(fx.s, u, TERN_IPPROTO_IP, TERN_IP_MTU_DISCOVER, &v, sizeof(v)),
		 TERN_EINVAL);
	/* DO on UDP: a datagram over the path MTU is refused locally */
	v = TERN_IP_PMTUDISC_DO;
	REQUIRE_EQ(tern_setsockopt(fx.s, u, TERN_IPPROTO_IP, TERN_IP_MTU_DISCOVER, &v, sizeof(v)), 0);
	static uint8_t big[2000];
	struct tern_sockaddr_in peer = {FX_IP_PEER, 9000};
	CHECK_EQ(tern_sendto(fx.s, u, big, 1473, 0, &peer), TERN_EMSGSIZE);
	CHECK_EQ(tern_sendto(fx.s, u, big, 1472, 0, &peer), 1472);
	REQUIRE_EQ(tern_sysctl_set(fx.s, "net.ipv4.ip_no_pmtu_disc", "1"), 0);
	int tc2 = tern_socket(fx.s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	REQUIRE_EQ(tern_getsockopt(fx.s, tc2, TERN_IPPROTO_IP, TERN_IP_MTU_DISCOVER, &v, &vl), 0);
	CHECK_EQ(v, TERN_IP_PMTUDISC_DONT);
	tern_close(fx.s, u);
	tern_close(fx.s, tc);
	tern_close(fx.s, tc2);
	fx_clear_tx(&fx);
	fx_finish(&fx);
}

/* ---- TCP ---- */

TEST(tcp_frag_needed_lowers_mss_and_resends_exactly_the_flight)
{
	struct tfx t;
	tcp_fx_config(&t);
	t.fx.cfg.tcp_early_retrans = 0; /* no tail loss probe at 2·SRTT (120 ms) */
	REQUIRE(tcp_fx_passive_established(&t));
	static uint8_t data[4 * 1460];
	fx_pattern(data, sizeof(data), 3);
	SEND(&t, T_MS(100), data, sizeof(data));
	for (unsigned i = 0; i < 4; i++)
		OUT(&t, T_MS(100), .seq = t.us + i * 1460, .ack = t.peer, .flags = TERN_TCP_ACK,
		    .data = data + i * 1460, .len = 1460);
	struct tern_tcp_info ti;
	size_t tl = sizeof(ti);
	REQUIRE_EQ(tern_getsockopt(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &tl), 0);
	CHECK_EQ(ti.tcpi_pmtu, 1500);
	uint32_t cwnd = ti.tcpi_snd_cwnd;
	/* a quote for a sequence number not in flight: ignored (RFC 5927) */
	uint8_t f[128], l4[8];
	tcp_quote(l4, T_PORT_US, T_PORT_PEER, t.us + 9000);
	size_t n = frag_needed(f, FX_IP_GW, 1280, TERN_IPPROTO_TCP, 1500, l4);
	inject(&t.fx, T_MS(110), f, n);
	expect_no_seg(&t, T_MS(110));
	CHECK_EQ(tern_pmtu_get(t.fx.s, FX_IP_PEER, T_MS(110)), 0);
	/* the router drops the second segment: 1240-byte segments from
	 * snd_una at once, the four lost ones' bytes exactly, no more */
	tcp_quote(l4, T_PORT_US, T_PORT_PEER, t.us + 1460);
	n = frag_needed(f, FX_IP_GW, 1280, TERN_IPPROTO_TCP, 1500, l4);
	inject(&t.fx, T_MS(120), f, n);
	size_t off = 0;
	while (off < sizeof(data)) {
		size_t len = sizeof(data) - off < 1240 ? sizeof(data) - off : 1240;
		OUT(&t, T_MS(120), .seq = t.us + (uint32_t)off, .ack = t.peer, .flags = TERN_TCP_ACK,
		    .data = data + off, .len = len);
		off += len;
	}
	expect_no_seg(&t, T_MS(130));
	CHECK_EQ(tern_pmtu_get(t.fx.s, FX_IP_PEER, T_MS(120)), 1280);
	REQUIRE_EQ(tern_getsockopt(t.fx.s, t.sd, TERN_IPPROTO_TCP, TERN_TCP_INFO, &ti, &tl), 0);
	CHECK_EQ(ti.tcpi_pmtu, 1280);
	CHECK_EQ(ti.tcpi_snd_mss, 1240);
	CHECK_EQ(ti.tcpi_snd_cwnd, cwnd); /* no congestion response: the same in segments */
	CHECK_EQ(fx_stat(&t.fx, "tcp.mtu_reduced"), 1);
	CHECK_EQ(fx_stat(&t.fx, "tcp.retrans_segs"), 5);
	/* the same message again changes nothing */
	inject(&t.fx, T_MS(130), f, n);
	expect_no_seg(&t, T_MS(140));
	IN(&t, T_MS(150), .seq = t.peer, .ack = t.us + (uint32_t)sizeof(data), .flags = TERN_TCP_ACK);
	t.us += (uint32_t)sizeof(data);
	int v = 0;
	size_t vl = sizeof(v);
	REQUIRE_EQ(tern_getsockopt(t.fx.s, t.sd, TERN_IPPROTO_IP, TERN_IP_MTU, &v, &vl), 0);
	CHECK_EQ(v, 1280);
	REQUIRE_EQ(tern_getsockopt(t.fx.s, t.sd, TERN_IPPROTO_IP, TERN_IP_MTU_DISCOVER, &v, &vl), 0);
	CHECK_EQ(v, TERN_IP_PMTUDISC_WANT);
	tcp_fx_finish(&t);
}

TEST_MAIN()
