/*
 * tests/unit/test_arp.c — ARP (RFC 826) and RFC 5227 conflict detection,
 * frame by frame: replies, the neighbour cache and its timers, queueing
 * while unresolved, ICMP host unreachable on failure (RFC 1122 §2.3.2.2),
 * gratuitous ARP, probing, conflicts, eviction and malformed packets.
 */
#include "stack_fixture.h"

#define A TERN_IP4
static const struct tern_mac ZERO_MAC = {{0}};
static const struct tern_mac BCAST_MAC = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

/* A small datagram from us to dst (an echo request, so ICMP errors about
 * it are allowed). */
static int send_to(struct fixture *fx, tern_ip4_t dst, uint16_t seq)
{
	uint8_t msg[16];
	size_t n = fxb_icmp_echo_msg(msg, TERN_ICMP_ECHO, 0x77, seq, (const uint8_t *)"abcdefgh", 8);
	struct tern_ip_send p = {.dst = dst, .proto = TERN_IPPROTO_ICMP};
	return tern_ip_send_raw(fx->s, &p, msg, n, tern_stack_now(fx->s));
}

/* Check that p is an ARP request from us for tpa, to eth_dst. */
static void check_request(struct fx_pkt *p, tern_ip4_t spa, tern_ip4_t tpa, struct tern_mac eth_dst)
{
	CHECK(p->is_arp);
	CHECK_EQ(p->arp.op, TERN_ARP_OP_REQUEST);
	CHECK_MEM(p->eth.dst.b, eth_dst.b, 6);
	CHECK_MEM(p->eth.src.b, FX_MAC_US.b, 6);
	CHECK_MEM(p->arp.sha.b, FX_MAC_US.b, 6);
	CHECK_EQ(p->arp.spa, spa);
	CHECK_MEM(p->arp.tha.b, ZERO_MAC.b, 6);
	CHECK_EQ(p->arp.tpa, tpa);
	CHECK_EQ(p->f->len, 60);
}

/* Pop the next frame: an ARP request from us (spa) for tpa, to eth_dst. */
#define expect_request(fx, spa, tpa, eth_dst)         \
	do {                                           \
		struct fx_pkt p_;                      \
		expect_tx_parse((fx), &p_);            \
		check_request(&p_, (spa), (tpa), (eth_dst)); \
		fx_pkt_free(&p_);                      \
	} while (0)

TEST(gratuitous_arp_on_addr_add)
{
	struct fixture fx;
	fx_config(&fx);
	fx_start(&fx);
	fx_add_dev(&fx, FX_MAC_US, 1500);
	REQUIRE_EQ(tern_stack_addr_add(fx.s, 1, FX_IP_US, 24, 0), 0);
	uint8_t want[64];
	/* RFC 5227 §3: an announcement is a request with sender = target. */
	size_t n = fxb_arp(want, BCAST_MAC, FX_MAC_US, TERN_ARP_OP_REQUEST, FX_MAC_US, FX_IP_US,
			   ZERO_MAC, FX_IP_US);
	expect_tx(&fx, want, n);
	CHECK_EQ(fx_stat(&fx, "arp.announcements_sent"), 1);
	CHECK_EQ(tern_stack_addr_add(fx.s, 1, FX_IP_US, 24, 0), TERN_EEXIST);
	expect_no_tx(&fx, TERN_SEC(10));
	fx_finish(&fx);
}

TEST(request_for_us_gets_exact_reply)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	uint8_t req[64], want[64];
	size_t n = fxb_arp(req, BCAST_MAC, FX_MAC_PEER, TERN_ARP_OP_REQUEST, FX_MAC_PEER, FX_IP_PEER,
			   ZERO_MAC, FX_IP_US);
	inject(&fx, TERN_MSEC(5), req, n);
	size_t wn = fxb_arp(want, FX_MAC_PEER, FX_MAC_US, TERN_ARP_OP_REPLY, FX_MAC_US, FX_IP_US,
			    FX_MAC_PEER, FX_IP_PEER);
	expect_tx(&fx, want, wn);
	CHECK_EQ(fx_stat(&fx, "arp.replies_sent"), 1);
	CHECK_EQ(fx_stat(&fx, "arp.in_packets"), 1);
	/* RFC 826: the target learns the requester. */
	struct tern_mac mac;
	REQUIRE_EQ(tern_arp_lookup(fx.s, 1, FX_IP_PEER, &mac), 0);
	CHECK_MEM(mac.b, FX_MAC_PEER.b, 6);
	/* An unpadded (42-byte) request is answered just the same. */
	inject(&fx, TERN_MSEC(6), req, 42);
	expect_tx(&fx, want, wn);
	expect_no_tx(&fx, TERN_SEC(1));
	fx_finish(&fx);
}

TEST(request_for_other_address_ignored)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	uint8_t req[64];
	size_t n = fxb_arp(req, BCAST_MAC, FX_MAC_PEER, TERN_ARP_OP_REQUEST, FX_MAC_PEER, FX_IP_PEER,
			   ZERO_MAC, A(10, 0, 0, 77));
	inject(&fx, TERN_MSEC(1), req, n);
	expect_no_tx(&fx, TERN_SEC(2));
	CHECK_EQ(fx_stat(&fx, "arp.target_not_ours"), 1);
	/* RFC 826: not the target and no entry yet → nothing learned. */
	struct tern_mac mac;
	CHECK_EQ(tern_arp_lookup(fx.s, 1, FX_IP_PEER, &mac), TERN_ENOENT);
	fx_finish(&fx);
}

TEST(reply_populates_cache_and_releases_queue)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	REQUIRE_EQ(send_to(&fx, FX_IP_PEER, 1), 0);
	struct fx_pkt p;
	expect_request(&fx, FX_IP_US, FX_IP_PEER, BCAST_MAC);
	CHECK_EQ(fx_stat(&fx, "arp.requests_sent"), 1);
	struct tern_mac mac;
	CHECK_EQ(tern_arp_lookup(fx.s, 1, FX_IP_PEER, &mac), TERN_EAGAIN);

	fx_learn(&fx, 0, TERN_MSEC(3), FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	REQUIRE_EQ(tern_arp_lookup(fx.s, 1, FX_IP_PEER, &mac), 0);
	CHECK_MEM(mac.b, FX_MAC_PEER.b, 6);
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp);
	CHECK_MEM(p.eth.dst.b, FX_MAC_PEER.b, 6);
	CHECK_EQ(p.ip.dst, FX_IP_PEER);
	CHECK_EQ(p.icmp.u.echo.seq, 1);
	fx_pkt_free(&p);
	/* Resolved: the next datagram goes at once, no request. */
	REQUIRE_EQ(send_to(&fx, FX_IP_PEER, 2), 0);
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp);
	CHECK_EQ(p.icmp.u.echo.seq, 2);
	fx_pkt_free(&p);
	expect_no_tx(&fx, TERN_SEC(5));
	CHECK_EQ(fx_stat(&fx, "arp.requests_sent"), 1);
	fx_finish(&fx);
}

TEST(announcement_does_not_move_known_neighbour)
{
	/* RFC 826's merge once let a gratuitous ARP with a new hardware
	 * address replace a known sender's; that is one forged packet
	 * redirecting our traffic. Now the claim is refused and the cached
	 * address asked first (link/arp.c). */
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	fx_learn(&fx, 0, 0, FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	const struct tern_mac moved = fx_mac(0x77);
	uint8_t f[64];
	size_t n = fxb_arp(f, BCAST_MAC, moved, TERN_ARP_OP_REQUEST, moved, FX_IP_PEER, ZERO_MAC,
			   FX_IP_PEER);
	inject(&fx, TERN_SEC(1), f, n);
	CHECK_EQ(fx_stat(&fx, "arp.override_refused"), 1);
	expect_request(&fx, FX_IP_US, FX_IP_PEER, FX_MAC_PEER);
	CHECK_EQ(fx.nframes, 0);
	struct tern_mac mac;
	REQUIRE_EQ(tern_arp_lookup(fx.s, 1, FX_IP_PEER, &mac), 0);
	CHECK_MEM(mac.b, FX_MAC_PEER.b, 6);
	/* The same address announced again is taken quietly. */
	n = fxb_arp(f, BCAST_MAC, FX_MAC_PEER, TERN_ARP_OP_REQUEST, FX_MAC_PEER, FX_IP_PEER,
		    ZERO_MAC, FX_IP_PEER);
	inject(&fx, TERN_MSEC(1100), f, n);
	CHECK_EQ(fx_stat(&fx, "arp.override_refused"), 1);
	CHECK_EQ(fx.nframes, 0);
	/* An unknown sender's announcement is not cached. */
	n = fxb_arp(f, BCAST_MAC, fx_mac(0x78), TERN_ARP_OP_REQUEST, fx_mac(0x78), A(10, 0, 0, 78),
		    ZERO_MAC, A(10, 0, 0, 78));
	inject(&fx, TERN_MSEC(1200), f, n);
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 78), &mac), TERN_ENOENT);
	CHECK_EQ(fx_stat(&fx, "arp.unsolicited_ignored"), 1);
	fx_finish(&fx);
}

TEST(unresolved_queue_drops_oldest)
{
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.arp_queue_len = 3;
	fx_host(&fx);
	for (uint16_t i = 1; i <= 5; i++)
		REQUIRE_EQ(send_to(&fx, FX_IP_PEER, i), 0);
	struct fx_pkt p;
	expect_request(&fx, FX_IP_US, FX_IP_PEER, BCAST_MAC);
	CHECK_EQ(fx.nframes, 0);
	CHECK_EQ(fx_stat(&fx, "arp.unresolved_queue_full"), 2);
	fx_learn(&fx, 0, TERN_MSEC(100), FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	/* The newest arp_queue_len (3) remain, in order. */
	for (uint16_t seq = 3; seq <= 5; seq++) {
		expect_tx_parse(&fx, &p);
		CHECK(p.is_icmp);
		CHECK_EQ(p.icmp.u.echo.seq, seq);
		fx_pkt_free(&p);
	}
	expect_no_tx(&fx, TERN_SEC(1));
	fx_finish(&fx);
}

/* All unresolved neighbours together stay within the neighbour budget:
 * past it the newcomer is refused (and counted), whichever address it is
 * for, and the budget drains when the queues do. */
TEST(unresolved_queues_share_one_budget)
{
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.arp_queue_total_bytes = 4 * TERN_PKT_TRUESIZE(TERN_PKT_SMALL_CAP);
	fx_host(&fx);
	for (uint16_t i = 1; i <= 3; i++)
		REQUIRE_EQ(send_to(&fx, A(10, 0, 0, 3), i), 0);
	for (uint16_t i = 1; i <= 3; i++)
		REQUIRE_EQ(send_to(&fx, A(10, 0, 0, 4), i), 0);
	CHECK_EQ(fx_stat(&fx, "arp.unresolved_memory_limit"), 2);
	CHECK_EQ(fx_stat(&fx, "arp.unresolved_queue_full"), 0);
	CHECK_EQ(tern_stack_tx_pending(fx.s), 4);
	CHECK_EQ(fx.s->budget.neigh.used, 4 * TERN_PKT_TRUESIZE(TERN_PKT_SMALL_CAP));
	/* One resolves: its queue leaves and gives its share back. */
	fx_learn(&fx, 0, TERN_MSEC(100), A(10, 0, 0, 4), FX_MAC_PEER, FX_IP_US);
	CHECK_EQ(tern_stack_tx_pending(fx.s), 3);
	CHECK_EQ(fx.s->budget.neigh.used, 3 * TERN_PKT_TRUESIZE(TERN_PKT_SMALL_CAP));
	struct tern_stack_mem m;
	tern_stack_mem_get(fx.s, &m);
	CHECK_EQ(m.neigh_queued, 3);
	CHECK_EQ(m.neigh.limit, 4 * TERN_PKT_TRUESIZE(TERN_PKT_SMALL_CAP));
	fx_finish(&fx);
}

TEST(unresolved_retries_then_host_unreachable)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	const tern_ip4_t dst = A(10, 0, 0, 3);
	fx_advance(&fx, TERN_SEC(1));
	const tern_time_t t0 = TERN_SEC(1);
	REQUIRE_EQ(send_to(&fx, dst, 1), 0);
	REQUIRE_EQ(send_to(&fx, dst, 2), 0);
	/* Requests at t0, t0+1s, t0+2s (arp_retrans_time, arp_max_probes). */
	for (int i = 0; i < 3; i++) {
		tern_time_t due = t0 + TERN_SEC(i);
		if (i > 0)
			expect_no_tx(&fx, due - 1);
		struct fx_frame *f = fx_next_tx(&fx, due);
		REQUIRE(f != NULL);
		CHECK_EQ(f->t, due);
		struct fx_pkt p;
		CHECK_EQ(fx_parse(f, &p), TERN_STAT_NONE);
		check_request(&p, FX_IP_US, dst, BCAST_MAC);
		fx_pkt_free(&p);
	}
	CHECK_EQ(fx_stat(&fx, "arp.requests_sent"), 3);
	CHECK_EQ(fx.nicmp, 0);
	/* At t0+3s resolution fails: each queued datagram earns an ICMP host
	 * unreachable, delivered locally since we sent them. */
	expect_no_tx(&fx, t0 + TERN_SEC(3) - 1);
	CHECK_EQ(fx.nicmp, 0);
	expect_no_tx(&fx, t0 + TERN_SEC(3));
	REQUIRE_EQ(fx.nicmp, 2);
	for (unsigned i = 0; i < 2; i++) {
		const struct tern_icmp_msg *m = &fx.icmp[i].m;
		CHECK_EQ(m->type, TERN_ICMP_DEST_UNREACH);
		CHECK_EQ(m->code, TERN_ICMP_HOST_UNREACH);
		CHECK_EQ(m->src, FX_IP_US);
		CHECK_EQ(m->dst, FX_IP_US);
		CHECK(m->has_quote);
		CHECK_EQ(m->q_src, FX_IP_US);
		CHECK_EQ(m->q_dst, dst);
		CHECK_EQ(m->q_proto, TERN_IPPROTO_ICMP);
		REQUIRE(m->q_l4_len >= 8);
		CHECK_EQ(m->q_l4[0], TERN_ICMP_ECHO);
		CHECK_EQ(rd16(m->q_l4 + 6), i + 1);
	}
	CHECK_EQ(fx_stat(&fx, "arp.unresolved_timeout"), 2);
	CHECK_EQ(fx_stat(&fx, "icmp.out_dest_unreachs"), 2);
	struct tern_mac mac;
	CHECK_EQ(tern_arp_lookup(fx.s, 1, dst, &mac), TERN_ENOENT);
	/* The next datagram starts a fresh resolution. */
	REQUIRE_EQ(send_to(&fx, dst, 3), 0);
	expect_request(&fx, FX_IP_US, dst, BCAST_MAC);
	fx_finish(&fx);
}

TEST(forwarded_datagram_unresolved_gives_host_unreachable_to_sender)
{
	/* A router that cannot resolve the next hop tells the original sender
	 * (RFC 1812 §4.3.3.1). */
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.forwarding = true;
	fx_start(&fx);
	fx_add_dev(&fx, fx_mac(0x11), 1500);
	fx_add_dev(&fx, fx_mac(0x12), 1500);
	REQUIRE_EQ(tern_stack_addr_add(fx.s, 1, A(10, 0, 0, 254), 24, 0), 0);
	REQUIRE_EQ(tern_stack_addr_add(fx.s, 2, A(10, 1, 0, 254), 24, 0), 0);
	fx_clear_tx(&fx);
	fx_learn(&fx, 0, 0, FX_IP_PEER, FX_MAC_PEER, A(10, 0, 0, 254));
	uint8_t f[128], data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct fxb_ip h = {.src = FX_IP_PEER, .dst = A(10, 1, 0, 9), .id = 5};
	size_t n = fxb_echo(f, fx_mac(0x11), FX_MAC_PEER, &h, TERN_ICMP_ECHO, 1, 1, data, 8);
	fx_inject(&fx, 0, TERN_MSEC(1), f, n);
	struct fx_pkt p;
	for (int i = 0; i < 3; i++) {
		struct fx_frame *fr = fx_next_tx(&fx, TERN_SEC(3) - 1);
		REQUIRE(fr != NULL);
		CHECK_EQ(fx_parse(fr, &p), TERN_STAT_NONE);
		CHECK(p.is_arp);
		CHECK_EQ(fr->dev, 1);
		fx_pkt_free(&p);
	}
	struct fx_frame *fr = fx_next_tx(&fx, TERN_SEC(4));
	REQUIRE(fr != NULL);
	CHECK_EQ(fr->dev, 0);
	CHECK_EQ(fx_parse(fr, &p), TERN_STAT_NONE);
	CHECK(p.is_icmp);
	CHECK_EQ(p.icmp.type, TERN_ICMP_DEST_UNREACH);
	CHECK_EQ(p.icmp.code, TERN_ICMP_HOST_UNREACH);
	CHECK_EQ(p.ip.src, A(10, 0, 0, 254));
	CHECK_EQ(p.ip.dst, FX_IP_PEER);
	fx_pkt_free(&p);
	fx_finish(&fx);
}

TEST(reachable_goes_stale_then_unicast_refresh)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	fx_learn(&fx, 0, TERN_SEC(1), FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	CHECK_EQ(fx.s->cfg->arp_reachable_time, TERN_SEC(30));
	/* Used while REACHABLE: no request. */
	fx_advance(&fx, TERN_SEC(30));
	REQUIRE_EQ(send_to(&fx, FX_IP_PEER, 1), 0);
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp);
	fx_pkt_free(&p);
	/* At 31 s the entry is STALE: still used, and the first use sends a
	 * unicast request to the cached address right after the datagram
	 * (the datagram first, as Linux sends it at once in DELAY: entries
	 * learned from a peer's request start STALE, and answering that
	 * peer must not wait behind a probe). */
	expect_no_tx(&fx, TERN_SEC(31) + 1);
	REQUIRE_EQ(send_to(&fx, FX_IP_PEER, 2), 0);
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp);
	CHECK_MEM(p.eth.dst.b, FX_MAC_PEER.b, 6);
	CHECK_EQ(p.icmp.u.echo.seq, 2);
	fx_pkt_free(&p);
	expect_request(&fx, FX_IP_US, FX_IP_PEER, FX_MAC_PEER);
	/* A second use while refreshing sends no second request. */
	REQUIRE_EQ(send_to(&fx, FX_IP_PEER, 3), 0);
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp);
	fx_pkt_free(&p);
	CHECK_EQ(fx.nframes, 0);
	/* The peer answers: REACHABLE again, no more requests. */
	fx_learn(&fx, 0, TERN_SEC(31) + TERN_MSEC(10), FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	expect_no_tx(&fx, TERN_SEC(40));
	CHECK_EQ(fx_stat(&fx, "arp.requests_sent"), 1);
	fx_finish(&fx);
}

TEST(stale_refresh_unanswered_forgets_entry)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	fx_learn(&fx, 0, 0, FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	fx_advance(&fx, TERN_SEC(31));
	REQUIRE_EQ(send_to(&fx, FX_IP_PEER, 1), 0);
	struct fx_pkt p;
	expect_tx_parse(&fx, &p); /* the datagram, then the refresh */
	CHECK(p.is_icmp);
	fx_pkt_free(&p);
	expect_request(&fx, FX_IP_US, FX_IP_PEER, FX_MAC_PEER);
	fx_clear_tx(&fx);
	/* Further requests until arp_max_probes, all unicast to the cached
	 * address (Linux's PROBE state), then the entry goes. */
	int requests = 1;
	struct fx_frame *f;
	while ((f = fx_next_tx(&fx, TERN_SEC(40)))) {
		CHECK_EQ(fx_parse(f, &p), TERN_STAT_NONE);
		check_request(&p, FX_IP_US, FX_IP_PEER, FX_MAC_PEER);
		requests++;
		fx_pkt_free(&p);
	}
	CHECK_EQ(requests, 3);
	struct tern_mac mac;
	CHECK_EQ(tern_arp_lookup(fx.s, 1, FX_IP_PEER, &mac), TERN_ENOENT);
	fx_finish(&fx);
}

/* Times of every frame sent up to `limit`, parsed as ARP. */
static unsigned collect_arp(struct fixture *fx, tern_time_t limit, tern_time_t *t,
			    struct tern_arp_repr *a, unsigned max)
{
	unsigned n = 0;
	struct fx_frame *f;
	while (n < max && (f = fx_next_tx(fx, limit))) {
		struct fx_pkt p;
		if (fx_parse(f, &p) == TERN_STAT_NONE && p.is_arp) {
			CHECK_MEM(p.eth.dst.b, BCAST_MAC.b, 6);
			CHECK_MEM(p.arp.sha.b, FX_MAC_US.b, 6);
			t[n] = f->t;
			a[n++] = p.arp;
		}
		fx_pkt_free(&p);
	}
	return n;
}

TEST(rfc5227_probe_then_announce)
{
	struct fixture fx;
	fx_config(&fx);
	fx_start(&fx);
	fx_add_dev(&fx, FX_MAC_US, 1500);
	REQUIRE_EQ(tern_stack_addr_add(fx.s, 1, FX_IP_US, 24, TERN_ADDR_PROBE), 0);
	enum tern_addr_state st;
	REQUIRE_EQ(tern_stack_addr_state(fx.s, FX_IP_US, &st), 0);
	CHECK_EQ(st, TERN_ADDR_TENTATIVE);
	CHECK_EQ(fx.nframes, 0); /* §2.1.1: first wait PROBE_WAIT */

	/* While tentative the address is not ours to answer for. */
	uint8_t req[64];
	size_t n = fxb_arp(req, BCAST_MAC, FX_MAC_PEER, TERN_ARP_OP_REQUEST, FX_MAC_PEER, FX_IP_PEER,
			   ZERO_MAC, FX_IP_US);
	inject(&fx, 0, req, n);
	CHECK_EQ(fx.nframes, 0);
	CHECK_EQ(tern_stack_iface_addr(fx.s, 1), 0);

	tern_time_t t[8];
	struct tern_arp_repr a[8];
	unsigned k = collect_arp(&fx, TERN_SEC(20), t, a, 8);
	REQUIRE_EQ(k, 5);
	/* Three probes: sender IP 0, target our address. */
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(a[i].op, TERN_ARP_OP_REQUEST);
		CHECK_EQ(a[i].spa, 0);
		CHECK_EQ(a[i].tpa, FX_IP_US);
		CHECK_MEM(a[i].tha.b, ZERO_MAC.b, 6);
	}
	CHECK(t[0] >= 0 && t[0] <= TERN_SEC(1));              /* PROBE_WAIT */
	for (int i = 1; i < 3; i++)                             /* PROBE_MIN..MAX */
		CHECK(t[i] - t[i - 1] >= TERN_SEC(1) && t[i] - t[i - 1] <= TERN_SEC(2));
	/* Then ANNOUNCE_WAIT, and two announcements ANNOUNCE_INTERVAL apart. */
	CHECK_EQ(t[3] - t[2], TERN_SEC(2));
	CHECK_EQ(t[4] - t[3], TERN_SEC(2));
	for (int i = 3; i < 5; i++) {
		CHECK_EQ(a[i].spa, FX_IP_US);
		CHECK_EQ(a[i].tpa, FX_IP_US);
	}
	CHECK_EQ(fx_stat(&fx, "arp.probes_sent"), 3);
	CHECK_EQ(fx_stat(&fx, "arp.announcements_sent"), 2);

	/* Still tentative just before the first announcement, usable at it. */
	struct fixture fx2;
	fx_config(&fx2);
	fx_start(&fx2);
	fx_add_dev(&fx2, FX_MAC_US, 1500);
	REQUIRE_EQ(tern_stack_addr_add(fx2.s, 1, FX_IP_US, 24, TERN_ADDR_PROBE), 0);
	fx_advance(&fx2, t[3] - 1);
	REQUIRE_EQ(tern_stack_addr_state(fx2.s, FX_IP_US, &st), 0);
	CHECK_EQ(st, TERN_ADDR_TENTATIVE);
	fx_advance(&fx2, t[3]);
	REQUIRE_EQ(tern_stack_addr_state(fx2.s, FX_IP_US, &st), 0);
	CHECK_EQ(st, TERN_ADDR_PREFERRED);
	CHECK_EQ(tern_stack_iface_addr(fx2.s, 1), FX_IP_US);
	fx_finish(&fx2);

	REQUIRE_EQ(tern_stack_addr_state(fx.s, FX_IP_US, &st), 0);
	CHECK_EQ(st, TERN_ADDR_PREFERRED);
	/* Now a request is answered. */
	inject(&fx, TERN_SEC(21), req, n);
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK(p.is_arp);
	CHECK_EQ(p.arp.op, TERN_ARP_OP_REPLY);
	fx_pkt_free(&p);
	fx_finish(&fx);
}

static void conflict_while_probing(bool as_probe)
{
	struct fixture fx;
	fx_config(&fx);
	fx_start(&fx);
	fx_add_dev(&fx, FX_MAC_US, 1500);
	REQUIRE_EQ(tern_stack_addr_add(fx.s, 1, FX_IP_US, 24, TERN_ADDR_PROBE), 0);
	struct fx_frame *f = fx_next_tx(&fx, TERN_SEC(2));
	REQUIRE(f != NULL);
	tern_time_t t1 = f->t;
	free(f);
	/* Another host answers for (or probes for) the address. */
	const struct tern_mac other = fx_mac(0x99);
	uint8_t arp[64];
	size_t n = as_probe ? fxb_arp(arp, BCAST_MAC, other, TERN_ARP_OP_REQUEST, other, 0, ZERO_MAC,
				      FX_IP_US)
			    : fxb_arp(arp, BCAST_MAC, other, TERN_ARP_OP_REPLY, other, FX_IP_US,
				      ZERO_MAC, FX_IP_US);
	inject(&fx, t1 + TERN_MSEC(100), arp, n);
	enum tern_addr_state st;
	REQUIRE_EQ(tern_stack_addr_state(fx.s, FX_IP_US, &st), 0);
	CHECK_EQ(st, TERN_ADDR_CONFLICT);
	CHECK_EQ(fx_stat(&fx, "arp.address_conflicts"), 1);
	CHECK(fx_log_has(&fx, "10.0.0.1", "02:00:00:00:00:99"));
	/* No more probes, no announcement, the address is not used. */
	expect_no_tx(&fx, TERN_SEC(30));
	CHECK_EQ(fx_stat(&fx, "arp.probes_sent"), 1);
	CHECK(!tern_stack_is_local_addr(fx.s, FX_IP_US));
	CHECK_EQ(tern_stack_iface_addr(fx.s, 1), 0);
	fx_finish(&fx);
}

TEST(rfc5227_conflicting_reply_while_probing)
{
	conflict_while_probing(false);
}

TEST(rfc5227_conflicting_probe_while_probing)
{
	/* §2.1.1: another host probing for the same address is a conflict too. */
	conflict_while_probing(true);
}

TEST(rfc5227_own_probe_reflected_is_not_a_conflict)
{
	struct fixture fx;
	fx_config(&fx);
	fx_start(&fx);
	fx_add_dev(&fx, FX_MAC_US, 1500);
	REQUIRE_EQ(tern_stack_addr_add(fx.s, 1, FX_IP_US, 24, TERN_ADDR_PROBE), 0);
	struct fx_frame *f = fx_next_tx(&fx, TERN_SEC(2));
	REQUIRE(f != NULL);
	/* A switch flooding our own probe back to us. */
	inject(&fx, f->t + 1, f->data, f->len);
	free(f);
	enum tern_addr_state st;
	REQUIRE_EQ(tern_stack_addr_state(fx.s, FX_IP_US, &st), 0);
	CHECK_EQ(st, TERN_ADDR_TENTATIVE);
	CHECK_EQ(fx_stat(&fx, "arp.address_conflicts"), 0);
	fx_advance(&fx, TERN_SEC(20));
	REQUIRE_EQ(tern_stack_addr_state(fx.s, FX_IP_US, &st), 0);
	CHECK_EQ(st, TERN_ADDR_PREFERRED);
	fx_finish(&fx);
}

TEST(rfc5227_tentative_address_not_used_as_source)
{
	/* §2.1: until probing ends the address is not ours to use. */
	struct fixture fx;
	fx_config(&fx);
	fx_start(&fx);
	fx_add_dev(&fx, FX_MAC_US, 1500);
	REQUIRE_EQ(tern_stack_addr_add(fx.s, 1, FX_IP_US, 24, TERN_ADDR_PROBE), 0);
	struct tern_route_result r;
	REQUIRE_EQ(tern_route_lookup(fx.s, FX_IP_PEER, &r), 0);
	CHECK(r.src != FX_IP_US);
	/* Nothing to send from: refused, nothing sent. */
	CHECK_EQ(send_to(&fx, FX_IP_PEER, 1), TERN_EADDRNOTAVAIL);
	CHECK_EQ(fx.nframes, 0);
	/* Once preferred, it is the source. */
	fx_advance(&fx, TERN_SEC(20));
	fx_clear_tx(&fx);
	REQUIRE_EQ(tern_route_lookup(fx.s, FX_IP_PEER, &r), 0);
	CHECK_EQ(r.src, FX_IP_US);
	CHECK_EQ(send_to(&fx, FX_IP_PEER, 2), 0);
	expect_request(&fx, FX_IP_US, FX_IP_PEER, BCAST_MAC);
	fx_finish(&fx);
}

TEST(rfc5227_conflicted_address_belongs_to_the_other_host)
{
	/* We keep 10.0.0.1; 10.0.0.50 turns out to be taken. */
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	const tern_ip4_t taken = A(10, 0, 0, 50);
	const struct tern_mac other = fx_mac(0x99);
	REQUIRE_EQ(tern_stack_addr_add(fx.s, 1, taken, 24, TERN_ADDR_PROBE), 0);
	uint8_t f[128];
	size_t n = fxb_arp(f, BCAST_MAC, other, TERN_ARP_OP_REPLY, other, taken, ZERO_MAC, taken);
	inject(&fx, TERN_MSEC(1), f, n);
	enum tern_addr_state st;
	REQUIRE_EQ(tern_stack_addr_state(fx.s, taken, &st), 0);
	REQUIRE_EQ(st, TERN_ADDR_CONFLICT);
	fx_clear_tx(&fx);
	/* The owner pings us: not a martian (the address is not ours), and
	 * the reply goes back to it from our real address. */
	uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct fxb_ip h = {.src = taken, .dst = FX_IP_US, .id = 1};
	n = fxb_echo(f, FX_MAC_US, other, &h, TERN_ICMP_ECHO, 9, 9, data, 8);
	inject(&fx, TERN_MSEC(2), f, n);
	CHECK_EQ(fx_stat(&fx, "ip.martian_source"), 0);
	struct fx_pkt p;
	expect_request(&fx, FX_IP_US, taken, BCAST_MAC); /* resolving it, from our real address */
	fx_learn(&fx, 0, TERN_MSEC(3), taken, other, FX_IP_US);
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp);
	CHECK_EQ(p.icmp.type, TERN_ICMP_ECHO_REPLY);
	CHECK_EQ(p.ip.src, FX_IP_US);
	CHECK_EQ(p.ip.dst, taken);
	CHECK_MEM(p.eth.dst.b, other.b, 6);
	fx_pkt_free(&p);
	/* Our own traffic on the subnet never uses the taken address. */
	struct tern_route_result r;
	REQUIRE_EQ(tern_route_lookup(fx.s, A(10, 0, 0, 60), &r), 0);
	CHECK_EQ(r.src, FX_IP_US);
	fx_finish(&fx);
}

TEST(rfc5227_defend_preferred_address)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	const struct tern_mac other = fx_mac(0x99);
	uint8_t arp[64];
	/* Someone announces our address. */
	size_t n = fxb_arp(arp, BCAST_MAC, other, TERN_ARP_OP_REQUEST, other, FX_IP_US, ZERO_MAC,
			   FX_IP_US);
	uint8_t want[64];
	size_t wn = fxb_arp(want, BCAST_MAC, FX_MAC_US, TERN_ARP_OP_REQUEST, FX_MAC_US, FX_IP_US,
			    ZERO_MAC, FX_IP_US);
	inject(&fx, TERN_SEC(100), arp, n);
	expect_tx(&fx, want, wn); /* §2.4 (b): defend with an announcement */
	CHECK(fx_log_has(&fx, "10.0.0.1", "02:00:00:00:00:99"));
	/* Once per DEFEND_INTERVAL (10 s). */
	inject(&fx, TERN_SEC(105), arp, n);
	CHECK_EQ(fx.nframes, 0);
	inject(&fx, TERN_SEC(111), arp, n);
	expect_tx(&fx, want, wn);
	CHECK_EQ(fx_stat(&fx, "arp.address_conflicts"), 3);
	/* We keep the address. */
	enum tern_addr_state st;
	REQUIRE_EQ(tern_stack_addr_state(fx.s, FX_IP_US, &st), 0);
	CHECK_EQ(st, TERN_ADDR_PREFERRED);
	fx_finish(&fx);
}

TEST(probe_for_our_address_is_answered)
{
	/* RFC 5227 §2.1.1: a host probing for an address we use must hear a
	 * reply, so it sees the conflict. */
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	const struct tern_mac other = fx_mac(0x99);
	uint8_t arp[64], want[64];
	size_t n = fxb_arp(arp, BCAST_MAC, other, TERN_ARP_OP_REQUEST, other, 0, ZERO_MAC, FX_IP_US);
	inject(&fx, TERN_SEC(1), arp, n);
	size_t wn = fxb_arp(want, other, FX_MAC_US, TERN_ARP_OP_REPLY, FX_MAC_US, FX_IP_US, other, 0);
	expect_tx(&fx, want, wn);
	/* A probe is not a claim on the address: nothing cached for 0.0.0.0. */
	struct tern_mac mac;
	CHECK_EQ(tern_arp_lookup(fx.s, 1, 0, &mac), TERN_ENOENT);
	CHECK_EQ(fx_stat(&fx, "arp.address_conflicts"), 0);
	fx_finish(&fx);
}

TEST(cache_full_evicts_oldest_resolved)
{
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.arp_cache_size = 4;
	fx_host(&fx);
	for (int i = 0; i < 4; i++)
		fx_learn(&fx, 0, TERN_SEC(i), A(10, 0, 0, 10 + i), fx_mac((uint8_t)(0x10 + i)), FX_IP_US);
	struct tern_mac mac;
	for (int i = 0; i < 4; i++)
		CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 10 + i), &mac), 0);
	/* Re-confirm .10 so .11 is now the oldest. */
	fx_learn(&fx, 0, TERN_SEC(5), A(10, 0, 0, 10), fx_mac(0x10), FX_IP_US);
	/* Our own traffic to a fifth neighbour evicts the REACHABLE entry
	 * confirmed longest ago (a peer's request could not: it may only
	 * displace STALE entries, see cache_flood_keeps_reachable_peer). */
	fx_advance(&fx, TERN_SEC(6));
	REQUIRE_EQ(send_to(&fx, A(10, 0, 0, 20), 1), 0);
	fx_learn(&fx, 0, TERN_SEC(6), A(10, 0, 0, 20), fx_mac(0x20), FX_IP_US);
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 11), &mac), TERN_ENOENT);
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 10), &mac), 0);
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 20), &mac), 0);
	REQUIRE_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 13), &mac), 0);
	CHECK_MEM(mac.b, fx_mac(0x13).b, 6);
	CHECK_EQ(fx_stat(&fx, "arp.cache_full"), 0);
	fx_finish(&fx);
}

/* A cache full of entries that never resolve (replies to spoofed on-link
 * sources) gives up its oldest, whose waiting packets are counted, and
 * never a neighbour that answered. */
TEST(cache_full_of_incomplete_evicts_oldest_incomplete)
{
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.arp_cache_size = 3;
	fx_host(&fx);
	fx_learn(&fx, 0, 0, FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	fx_clear_tx(&fx);
	REQUIRE_EQ(send_to(&fx, A(10, 0, 0, 10), 1), 0);
	REQUIRE_EQ(send_to(&fx, A(10, 0, 0, 11), 1), 0);
	CHECK_EQ(fx.nframes, 2);
	fx_clear_tx(&fx);
	REQUIRE_EQ(send_to(&fx, A(10, 0, 0, 12), 1), 0);
	CHECK_EQ(fx.nframes, 1); /* the third one's request */
	CHECK_EQ(fx_stat(&fx, "arp.evicted_unresolved"), 1);
	CHECK_EQ(fx_stat(&fx, "arp.cache_full"), 0);
	struct tern_mac mac;
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 10), &mac), TERN_ENOENT);
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 11), &mac), TERN_EAGAIN);
	CHECK_EQ(tern_arp_lookup(fx.s, 1, FX_IP_PEER, &mac), 0);
	CHECK_EQ(tern_pkt_pool_in_use(&fx.s->pool), 2);
	fx_finish(&fx);
}

TEST(malformed_arp_counted)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	uint8_t f[64];
	size_t n = fxb_arp(f, BCAST_MAC, FX_MAC_PEER, TERN_ARP_OP_REQUEST, FX_MAC_PEER, FX_IP_PEER,
			   ZERO_MAC, FX_IP_US);
	struct {
		const char *counter;
		size_t off;   /* byte to change in the frame (0: none) */
		uint8_t val;
		size_t len;   /* frame length */
	} cases[] = {
		{"arp.short_packet", 0, 0, TERN_ETH_HLEN + 27},
		{"arp.short_packet", 0, 0, TERN_ETH_HLEN},
		{"arp.bad_hw_or_proto", 14 + 1, 6, 60},      /* htype 6 */
		{"arp.bad_hw_or_proto", 14 + 2, 0x86, 60},   /* ptype 0x86dd-ish */
		{"arp.bad_hw_or_proto", 14 + 4, 8, 60},      /* hlen 8 */
		{"arp.bad_hw_or_proto", 14 + 5, 16, 60},     /* plen 16 */
		{"arp.bad_opcode", 14 + 7, 3, 60},           /* RARP request */
		{"arp.bad_opcode", 14 + 6, 1, 60},           /* op 0x0101 */
		{"arp.bad_sender_address", 14 + 8, 0x03, 60}, /* multicast sha */
		{"arp.bad_sender_address", 14 + 14, 0xe0, 60}, /* spa 224.x */
		{"arp.bad_sender_address", 14 + 13, 0x01, 60}, /* sha = our MAC */
		{"eth.bad_source_mac", 6, 0x01, 60},
		{"eth.short_frame", 0, 0, 13},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t g[64];
		memcpy(g, f, n);
		if (cases[i].off)
			g[cases[i].off] = cases[i].val;
		uint64_t before = fx_stat(&fx, cases[i].counter);
		inject(&fx, TERN_MSEC(i), g, cases[i].len);
		if (fx_stat(&fx, cases[i].counter) != before + 1)
			TEST_FAIL_("case %zu: %s not counted", i, cases[i].counter);
		if (fx.nframes) {
			TEST_FAIL_("case %zu: something was sent", i);
			fx_clear_tx(&fx);
		}
	}
	/* spa = 255.255.255.255 */
	uint8_t g[64];
	memcpy(g, f, n);
	wr32(g + 14 + 14, 0xffffffffu);
	inject(&fx, TERN_SEC(1), g, n);
	CHECK_EQ(fx_stat(&fx, "arp.bad_sender_address"), 4);
	struct tern_mac mac;
	CHECK_EQ(tern_arp_lookup(fx.s, 1, FX_IP_PEER, &mac), TERN_ENOENT);
	CHECK_EQ(fx_stat(&fx, "arp.replies_sent"), 0);
	expect_no_tx(&fx, TERN_SEC(2));
	fx_finish(&fx);
}

TEST(addr_del_stops_answering)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	REQUIRE_EQ(tern_stack_addr_del(fx.s, 1, FX_IP_US), 0);
	uint8_t req[64];
	size_t n = fxb_arp(req, BCAST_MAC, FX_MAC_PEER, TERN_ARP_OP_REQUEST, FX_MAC_PEER, FX_IP_PEER,
			   ZERO_MAC, FX_IP_US);
	inject(&fx, TERN_MSEC(1), req, n);
	expect_no_tx(&fx, TERN_SEC(1));
	CHECK_EQ(fx_stat(&fx, "arp.target_not_ours"), 1);
	fx_finish(&fx);
}

/* ---- hardening: what a packet may teach the cache (link/arp.c) ---- */

/* The state of ip's entry on interface 1, or -1 if it has none. */
static int arp_state(struct fixture *fx, tern_ip4_t ip)
{
	const struct tern_arp_cache *c = &fx->s->link->arp;
	for (uint32_t i = 0; i < c->nchunks * TERN_ARP_CHUNK; i++) {
		const struct tern_arp_entry *e = &c->chunks[i / TERN_ARP_CHUNK][i % TERN_ARP_CHUNK];
		if (e->state != TERN_ARP_FREE && e->ip == ip && e->ifindex == 1)
			return e->state;
	}
	return -1;
}

/* ip's cached MAC must be `want`. */
#define CHECK_CACHED(fx, ip, want)                                              \
	do {                                                                    \
		struct tern_mac got_;                                           \
		REQUIRE_EQ(tern_arp_lookup((fx)->s, 1, (ip), &got_), 0);        \
		CHECK_MEM(got_.b, (want).b, 6);                                 \
	} while (0)

/* Inject an ARP packet on the first device. */
static void inject_arp(struct fixture *fx, tern_time_t now, struct tern_mac eth_dst, uint16_t op,
		       struct tern_mac sha, tern_ip4_t spa, struct tern_mac tha, tern_ip4_t tpa)
{
	uint8_t f[64];
	size_t n = fxb_arp(f, eth_dst, sha, op, sha, spa, tha, tpa);
	inject(fx, now, f, n);
}

/* Pop the next frame: it must be exactly our unicast request for
 * FX_IP_PEER to `mac`, the check of a claim (or a refresh). */
#define expect_unicast_check(fx, mac)                                                   \
	do {                                                                            \
		uint8_t want_[64];                                                      \
		size_t wn_ = fxb_arp(want_, (mac), FX_MAC_US, TERN_ARP_OP_REQUEST, FX_MAC_US, \
				     FX_IP_US, ZERO_MAC, FX_IP_PEER);                   \
		expect_tx((fx), want_, wn_);                                            \
	} while (0)

static const struct tern_mac FORGED = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x66}};

TEST(unsolicited_reply_creates_nothing)
{
	/* Linux arp_accept=0: a reply we did not ask for is not cached. */
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	inject_arp(&fx, TERN_MSEC(1), FX_MAC_US, TERN_ARP_OP_REPLY, FX_MAC_PEER, FX_IP_PEER, FX_MAC_US,
		   FX_IP_US);
	struct tern_mac mac;
	CHECK_EQ(tern_arp_lookup(fx.s, 1, FX_IP_PEER, &mac), TERN_ENOENT);
	CHECK_EQ(tern_arp_entries(fx.s), 0);
	CHECK_EQ(fx_stat(&fx, "arp.unsolicited_ignored"), 1);
	expect_no_tx(&fx, TERN_SEC(2));
	/* So the first datagram to it still resolves by broadcast. */
	REQUIRE_EQ(send_to(&fx, FX_IP_PEER, 1), 0);
	expect_request(&fx, FX_IP_US, FX_IP_PEER, BCAST_MAC);
	fx_finish(&fx);
}

TEST(gratuitous_arp_creates_nothing)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	/* Request form (RFC 5227 §3), then reply form with THA = SHA. */
	inject_arp(&fx, TERN_MSEC(1), BCAST_MAC, TERN_ARP_OP_REQUEST, FX_MAC_PEER, FX_IP_PEER, ZERO_MAC,
		   FX_IP_PEER);
	inject_arp(&fx, TERN_MSEC(2), BCAST_MAC, TERN_ARP_OP_REPLY, FX_MAC_PEER, FX_IP_PEER,
		   FX_MAC_PEER, FX_IP_PEER);
	CHECK_EQ(fx_stat(&fx, "arp.unsolicited_ignored"), 2);
	/* A reply with sender = target but THA != SHA is no announcement
	 * (Linux arp_is_garp): a reply for another host, ignored as such. */
	inject_arp(&fx, TERN_MSEC(3), BCAST_MAC, TERN_ARP_OP_REPLY, FX_MAC_PEER, FX_IP_PEER, ZERO_MAC,
		   FX_IP_PEER);
	CHECK_EQ(fx_stat(&fx, "arp.target_not_ours"), 1);
	CHECK_EQ(tern_arp_entries(fx.s), 0);
	expect_no_tx(&fx, TERN_SEC(2));
	fx_finish(&fx);
}

TEST(packet_for_another_host_changes_nothing)
{
	/* A request or reply to someone else, claiming a known neighbour's
	 * address: RFC 826 would merge it; Linux and tern do not. */
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	fx_learn(&fx, 0, 0, FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	inject_arp(&fx, TERN_SEC(5), BCAST_MAC, TERN_ARP_OP_REQUEST, FORGED, FX_IP_PEER, ZERO_MAC,
		   A(10, 0, 0, 77));
	inject_arp(&fx, TERN_SEC(6), BCAST_MAC, TERN_ARP_OP_REPLY, FORGED, FX_IP_PEER, fx_mac(0x77),
		   A(10, 0, 0, 77));
	CHECK_CACHED(&fx, FX_IP_PEER, FX_MAC_PEER);
	CHECK_EQ(arp_state(&fx, FX_IP_PEER), TERN_ARP_REACHABLE);
	CHECK_EQ(fx_stat(&fx, "arp.target_not_ours"), 2);
	CHECK_EQ(fx_stat(&fx, "arp.override_refused"), 0);
	expect_no_tx(&fx, TERN_SEC(20));
	fx_finish(&fx);
}

TEST(request_learns_stale_and_same_mac_refreshes_as_linux)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	/* neigh_event_ns: a request for us creates the sender's entry STALE. */
	inject_arp(&fx, TERN_MSEC(1), BCAST_MAC, TERN_ARP_OP_REQUEST, FX_MAC_PEER, FX_IP_PEER, ZERO_MAC,
		   FX_IP_US);
	fx_clear_tx(&fx);
	CHECK_EQ(arp_state(&fx, FX_IP_PEER), TERN_ARP_STALE);
	/* A broadcast reply with the same MAC leaves it STALE; unicast confirms. */
	inject_arp(&fx, TERN_MSEC(2), BCAST_MAC, TERN_ARP_OP_REPLY, FX_MAC_PEER, FX_IP_PEER, FX_MAC_US,
		   FX_IP_US);
	CHECK_EQ(arp_state(&fx, FX_IP_PEER), TERN_ARP_STALE);
	inject_arp(&fx, TERN_MSEC(3), FX_MAC_US, TERN_ARP_OP_REPLY, FX_MAC_PEER, FX_IP_PEER, FX_MAC_US,
		   FX_IP_US);
	CHECK_EQ(arp_state(&fx, FX_IP_PEER), TERN_ARP_REACHABLE);
	/* Requests, broadcast replies, announcements: not downgraded. */
	inject_arp(&fx, TERN_MSEC(4), BCAST_MAC, TERN_ARP_OP_REQUEST, FX_MAC_PEER, FX_IP_PEER, ZERO_MAC,
		   FX_IP_US);
	inject_arp(&fx, TERN_MSEC(5), BCAST_MAC, TERN_ARP_OP_REPLY, FX_MAC_PEER, FX_IP_PEER, FX_MAC_US,
		   FX_IP_US);
	inject_arp(&fx, TERN_MSEC(6), BCAST_MAC, TERN_ARP_OP_REQUEST, FX_MAC_PEER, FX_IP_PEER, ZERO_MAC,
		   FX_IP_PEER);
	CHECK_EQ(arp_state(&fx, FX_IP_PEER), TERN_ARP_REACHABLE);
	CHECK_CACHED(&fx, FX_IP_PEER, FX_MAC_PEER);
	CHECK_EQ(fx_stat(&fx, "arp.override_refused"), 0);
	CHECK_EQ(fx_stat(&fx, "arp.replies_sent"), 2); /* the two requests */
	fx_finish(&fx);
}

/* A REACHABLE FX_IP_PEER, then at 5 s a reply unicast to us claiming it
 * is at FORGED; returns with the check's first request popped. */
static void forged_reply_for_reachable(struct fixture *fx)
{
	fx_config(fx);
	fx_host(fx);
	fx_learn(fx, 0, 0, FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	inject_arp(fx, TERN_SEC(5), FX_MAC_US, TERN_ARP_OP_REPLY, FORGED, FX_IP_PEER, FX_MAC_US,
		   FX_IP_US);
	CHECK_CACHED(fx, FX_IP_PEER, FX_MAC_PEER);
	CHECK_EQ(fx_stat(fx, "arp.override_refused"), 1);
	expect_unicast_check(fx, FX_MAC_PEER);
	CHECK_EQ(fx->nframes, 0);
}

TEST(reply_with_new_mac_is_refused_and_checked)
{
	struct fixture fx;
	forged_reply_for_reachable(&fx);
	CHECK(fx_log_has(&fx, "10.0.0.2", "02:00:00:00:00:66"));
	/* Traffic still goes to the cached MAC while the check runs. */
	REQUIRE_EQ(send_to(&fx, FX_IP_PEER, 1), 0);
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp);
	CHECK_MEM(p.eth.dst.b, FX_MAC_PEER.b, 6);
	fx_pkt_free(&p);
	/* More claims while it runs: refused, no second check. */
	inject_arp(&fx, TERN_SEC(5) + TERN_MSEC(10), FX_MAC_US, TERN_ARP_OP_REPLY, FORGED, FX_IP_PEER,
		   FX_MAC_US, FX_IP_US);
	inject_arp(&fx, TERN_SEC(5) + TERN_MSEC(20), BCAST_MAC, TERN_ARP_OP_REQUEST, FORGED,
		   FX_IP_PEER, ZERO_MAC, FX_IP_PEER);
	CHECK_EQ(fx_stat(&fx, "arp.override_refused"), 3);
	CHECK_EQ(fx.nframes, 0);
	CHECK_CACHED(&fx, FX_IP_PEER, FX_MAC_PEER);
	fx_finish(&fx);
}

TEST(request_with_new_mac_is_answered_but_refused)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	fx_learn(&fx, 0, 0, FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	inject_arp(&fx, TERN_SEC(5), BCAST_MAC, TERN_ARP_OP_REQUEST, FORGED, FX_IP_PEER, ZERO_MAC,
		   FX_IP_US);
	/* The claim is only checked, with the cached MAC, and the question
	 * is answered (to whoever asked). */
	expect_unicast_check(&fx, FX_MAC_PEER);
	uint8_t want[64];
	size_t wn = fxb_arp(want, FORGED, FX_MAC_US, TERN_ARP_OP_REPLY, FX_MAC_US, FX_IP_US, FORGED,
			    FX_IP_PEER);
	expect_tx(&fx, want, wn);
	CHECK_EQ(fx.nframes, 0);
	CHECK_EQ(fx_stat(&fx, "arp.override_refused"), 1);
	CHECK_CACHED(&fx, FX_IP_PEER, FX_MAC_PEER);
	fx_finish(&fx);
}

TEST(checked_mac_answers_entry_stays)
{
	struct fixture fx;
	forged_reply_for_reachable(&fx);
	inject_arp(&fx, TERN_SEC(5) + TERN_MSEC(2), FX_MAC_US, TERN_ARP_OP_REPLY, FX_MAC_PEER,
		   FX_IP_PEER, FX_MAC_US, FX_IP_US);
	CHECK_CACHED(&fx, FX_IP_PEER, FX_MAC_PEER);
	CHECK_EQ(arp_state(&fx, FX_IP_PEER), TERN_ARP_REACHABLE);
	/* Confirmed: no more requests, REACHABLE for arp_reachable_time. */
	expect_no_tx(&fx, TERN_SEC(35));
	CHECK_EQ(arp_state(&fx, FX_IP_PEER), TERN_ARP_REACHABLE);
	CHECK_EQ(fx_stat(&fx, "arp.requests_sent"), 1);
	fx_finish(&fx);
}

TEST(checked_mac_silent_entry_resolves_afresh)
{
	struct fixture fx;
	forged_reply_for_reachable(&fx);
	/* arp_max_probes (3) unicast requests, arp_retrans_time apart... */
	for (int i = 1; i < 3; i++) {
		expect_no_tx(&fx, TERN_SEC(5 + i) - 1);
		struct fx_frame *f = fx_next_tx(&fx, TERN_SEC(5 + i));
		REQUIRE(f != NULL);
		CHECK_EQ(f->t, TERN_SEC(5 + i));
		fx.head = f; /* put it back for the exact comparison */
		fx.tail = f;
		fx.nframes = 1;
		expect_unicast_check(&fx, FX_MAC_PEER);
	}
	CHECK_CACHED(&fx, FX_IP_PEER, FX_MAC_PEER);
	/* ...then the entry resolves afresh, by broadcast, keeping what waits. */
	expect_no_tx(&fx, TERN_SEC(8) - 1);
	struct fx_frame *f = fx_next_tx(&fx, TERN_SEC(8));
	REQUIRE(f != NULL);
	CHECK_EQ(f->t, TERN_SEC(8));
	struct fx_pkt p;
	CHECK_EQ(fx_parse(f, &p), TERN_STAT_NONE);
	check_request(&p, FX_IP_US, FX_IP_PEER, BCAST_MAC);
	fx_pkt_free(&p);
	CHECK(fx_log_has(&fx, "10.0.0.2", "did not answer"));
	struct tern_mac mac;
	CHECK_EQ(tern_arp_lookup(fx.s, 1, FX_IP_PEER, &mac), TERN_EAGAIN);
	REQUIRE_EQ(send_to(&fx, FX_IP_PEER, 7), 0);
	CHECK_EQ(fx.nframes, 0); /* queued */
	/* Whoever answers first now is believed (here the claimant). */
	inject_arp(&fx, TERN_SEC(8) + TERN_MSEC(1), FX_MAC_US, TERN_ARP_OP_REPLY, FORGED, FX_IP_PEER,
		   FX_MAC_US, FX_IP_US);
	CHECK_CACHED(&fx, FX_IP_PEER, FORGED);
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp);
	CHECK_MEM(p.eth.dst.b, FORGED.b, 6);
	CHECK_EQ(p.icmp.u.echo.seq, 7);
	fx_pkt_free(&p);
	CHECK_EQ(fx_stat(&fx, "arp.requests_sent"), 4);
	fx_finish(&fx);
}

TEST(locktime_first_reply_wins)
{
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	CHECK_EQ(fx.s->cfg->arp_locktime, TERN_SEC(1));
	REQUIRE_EQ(send_to(&fx, FX_IP_PEER, 1), 0);
	fx_clear_tx(&fx);
	/* Two answers back to back (two proxies, or an attacker racing). */
	inject_arp(&fx, TERN_MSEC(1), FX_MAC_US, TERN_ARP_OP_REPLY, FX_MAC_PEER, FX_IP_PEER, FX_MAC_US,
		   FX_IP_US);
	inject_arp(&fx, TERN_MSEC(2), FX_MAC_US, TERN_ARP_OP_REPLY, FORGED, FX_IP_PEER, FX_MAC_US,
		   FX_IP_US);
	CHECK_CACHED(&fx, FX_IP_PEER, FX_MAC_PEER);
	/* The datagram left for the first; the second is just ignored. */
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp);
	CHECK_MEM(p.eth.dst.b, FX_MAC_PEER.b, 6);
	fx_pkt_free(&p);
	CHECK_EQ(fx.nframes, 0);
	CHECK_EQ(fx_stat(&fx, "arp.override_refused"), 1);
	/* After locktime a different reply is a claim to check. */
	inject_arp(&fx, TERN_MSEC(1001), FX_MAC_US, TERN_ARP_OP_REPLY, FORGED, FX_IP_PEER, FX_MAC_US,
		   FX_IP_US);
	CHECK_EQ(fx_stat(&fx, "arp.override_refused"), 2);
	expect_unicast_check(&fx, FX_MAC_PEER);
	CHECK_CACHED(&fx, FX_IP_PEER, FX_MAC_PEER);
	fx_finish(&fx);
}

TEST(strict_mode_learns_only_answers)
{
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.arp_mode = TERN_ARP_MODE_STRICT;
	fx_host(&fx);
	/* Our request's answer is learned. */
	REQUIRE_EQ(send_to(&fx, FX_IP_PEER, 1), 0);
	inject_arp(&fx, TERN_MSEC(1), FX_MAC_US, TERN_ARP_OP_REPLY, FX_MAC_PEER, FX_IP_PEER, FX_MAC_US,
		   FX_IP_US);
	CHECK_EQ(arp_state(&fx, FX_IP_PEER), TERN_ARP_REACHABLE);
	fx_clear_tx(&fx);
	/* An unsolicited reply for the existing entry: refused, unchecked. */
	inject_arp(&fx, TERN_SEC(5), FX_MAC_US, TERN_ARP_OP_REPLY, FORGED, FX_IP_PEER, FX_MAC_US,
		   FX_IP_US);
	CHECK_EQ(fx_stat(&fx, "arp.strict_refused"), 1);
	CHECK_EQ(fx.nframes, 0);
	/* Requests are answered but teach nothing: neither a new MAC for a
	 * known neighbour nor a new neighbour. */
	inject_arp(&fx, TERN_SEC(6), BCAST_MAC, TERN_ARP_OP_REQUEST, FORGED, FX_IP_PEER, ZERO_MAC,
		   FX_IP_US);
	inject_arp(&fx, TERN_SEC(7), BCAST_MAC, TERN_ARP_OP_REQUEST, fx_mac(0x03), A(10, 0, 0, 3),
		   ZERO_MAC, FX_IP_US);
	CHECK_EQ(fx_stat(&fx, "arp.replies_sent"), 2);
	CHECK_EQ(fx.nframes, 2);
	fx_clear_tx(&fx);
	struct tern_mac mac;
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 3), &mac), TERN_ENOENT);
	/* Gratuitous ARP is ignored, for known and unknown addresses. */
	inject_arp(&fx, TERN_SEC(8), BCAST_MAC, TERN_ARP_OP_REQUEST, FORGED, FX_IP_PEER, ZERO_MAC,
		   FX_IP_PEER);
	inject_arp(&fx, TERN_SEC(9), BCAST_MAC, TERN_ARP_OP_REQUEST, fx_mac(0x04), A(10, 0, 0, 4),
		   ZERO_MAC, A(10, 0, 0, 4));
	CHECK_EQ(fx_stat(&fx, "arp.strict_refused"), 5);
	CHECK_EQ(tern_arp_entries(fx.s), 1);
	CHECK_CACHED(&fx, FX_IP_PEER, FX_MAC_PEER);
	CHECK_EQ(fx_stat(&fx, "arp.override_refused"), 0);
	/* The refresh of a STALE entry is our request too: its answer from
	 * the cached MAC is learned, so entries in use do not expire. */
	fx_advance(&fx, TERN_SEC(31) + 1);
	CHECK_EQ(arp_state(&fx, FX_IP_PEER), TERN_ARP_STALE);
	REQUIRE_EQ(send_to(&fx, FX_IP_PEER, 2), 0);
	REQUIRE_EQ(fx.nframes, 2); /* the datagram, the unicast refresh */
	fx_clear_tx(&fx);
	inject_arp(&fx, TERN_SEC(32), FX_MAC_US, TERN_ARP_OP_REPLY, FX_MAC_PEER, FX_IP_PEER, FX_MAC_US,
		   FX_IP_US);
	CHECK_EQ(arp_state(&fx, FX_IP_PEER), TERN_ARP_REACHABLE);
	CHECK_EQ(fx_stat(&fx, "arp.strict_refused"), 5);
	fx_finish(&fx);
}

/* Every way a packet could try to move ip from the static `mac`. */
static void assault_static(struct fixture *fx, tern_time_t t)
{
	inject_arp(fx, t, BCAST_MAC, TERN_ARP_OP_REQUEST, FORGED, FX_IP_PEER, ZERO_MAC, FX_IP_US);
	inject_arp(fx, t + 1, FX_MAC_US, TERN_ARP_OP_REPLY, FORGED, FX_IP_PEER, FX_MAC_US, FX_IP_US);
	inject_arp(fx, t + 2, BCAST_MAC, TERN_ARP_OP_REPLY, FORGED, FX_IP_PEER, FX_MAC_US, FX_IP_US);
	inject_arp(fx, t + 3, BCAST_MAC, TERN_ARP_OP_REQUEST, FORGED, FX_IP_PEER, ZERO_MAC, FX_IP_PEER);
	inject_arp(fx, t + 4, BCAST_MAC, TERN_ARP_OP_REPLY, FORGED, FX_IP_PEER, FORGED, FX_IP_PEER);
}

static void static_entry_resists(enum tern_arp_mode mode)
{
	const struct tern_mac peer_mac = FX_MAC_PEER;
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.arp_mode = mode;
	fx_host(&fx);
	/* It replaces a learned entry (strict mode learns none this way). */
	fx_learn(&fx, 0, 0, FX_IP_PEER, fx_mac(0x22), FX_IP_US);
	const uint64_t strict0 = fx_stat(&fx, "arp.strict_refused");
	REQUIRE_EQ(tern_arp_add_static(fx.s, 0, FX_IP_PEER, &peer_mac), 0);
	CHECK_EQ(arp_state(&fx, FX_IP_PEER), TERN_ARP_PERMANENT);
	CHECK_CACHED(&fx, FX_IP_PEER, FX_MAC_PEER);
	assault_static(&fx, TERN_SEC(1));
	CHECK_EQ(fx_stat(&fx, "arp.static_refused"), 5);
	CHECK_EQ(fx_stat(&fx, "arp.override_refused"), 0);
	CHECK_EQ(fx_stat(&fx, "arp.strict_refused"), strict0);
	CHECK_EQ(fx.nframes, 1); /* the answer to the request; no check */
	fx_clear_tx(&fx);
	/* The same MAC is taken silently. */
	inject_arp(&fx, TERN_SEC(2), FX_MAC_US, TERN_ARP_OP_REPLY, FX_MAC_PEER, FX_IP_PEER, FX_MAC_US,
		   FX_IP_US);
	inject_arp(&fx, TERN_SEC(2), BCAST_MAC, TERN_ARP_OP_REQUEST, FX_MAC_PEER, FX_IP_PEER, ZERO_MAC,
		   FX_IP_PEER);
	CHECK_EQ(fx_stat(&fx, "arp.static_refused"), 5);
	CHECK_EQ(fx_stat(&fx, "arp.unsolicited_ignored"), 0);
	CHECK_EQ(fx_stat(&fx, "arp.strict_refused"), strict0);
	/* It never expires and is never refreshed. */
	fx_advance(&fx, TERN_SEC(300));
	REQUIRE_EQ(send_to(&fx, FX_IP_PEER, 1), 0);
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp);
	CHECK_MEM(p.eth.dst.b, FX_MAC_PEER.b, 6);
	fx_pkt_free(&p);
	expect_no_tx(&fx, TERN_SEC(400));
	CHECK_EQ(arp_state(&fx, FX_IP_PEER), TERN_ARP_PERMANENT);
	fx_finish(&fx);
}

TEST(static_entry_resists_every_packet)
{
	static_entry_resists(TERN_ARP_MODE_DEFAULT);
}

TEST(static_entry_resists_every_packet_in_strict_mode)
{
	static_entry_resists(TERN_ARP_MODE_STRICT);
}

TEST(static_entry_api)
{
	const struct tern_mac peer_mac = FX_MAC_PEER;
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	const struct tern_mac mcast = {{0x01, 0x00, 0x5e, 0, 0, 1}};
	CHECK_EQ(tern_arp_add_static(fx.s, 0, 0, &peer_mac), TERN_EINVAL);
	CHECK_EQ(tern_arp_add_static(fx.s, 0, A(224, 0, 0, 1), &peer_mac), TERN_EINVAL);
	CHECK_EQ(tern_arp_add_static(fx.s, 0, A(10, 0, 0, 255), &peer_mac), TERN_EINVAL);
	CHECK_EQ(tern_arp_add_static(fx.s, 0, FX_IP_US, &peer_mac), TERN_EINVAL);
	CHECK_EQ(tern_arp_add_static(fx.s, 0, FX_IP_PEER, &mcast), TERN_EINVAL);
	CHECK_EQ(tern_arp_add_static(fx.s, 0, FX_IP_PEER, &ZERO_MAC), TERN_EINVAL);
	CHECK_EQ(tern_arp_add_static(fx.s, 0, A(192, 168, 9, 9), &peer_mac), TERN_ENETUNREACH);
	CHECK_EQ(tern_arp_add_static(fx.s, 9, FX_IP_PEER, &peer_mac), TERN_ENODEV);
	CHECK_EQ(tern_arp_entries(fx.s), 0);
	/* Added while resolving: what waited leaves for the static MAC. */
	REQUIRE_EQ(send_to(&fx, FX_IP_PEER, 1), 0);
	fx_clear_tx(&fx);
	REQUIRE_EQ(tern_arp_add_static(fx.s, 1, FX_IP_PEER, &peer_mac), 0);
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp);
	CHECK_MEM(p.eth.dst.b, FX_MAC_PEER.b, 6);
	fx_pkt_free(&p);
	expect_no_tx(&fx, TERN_SEC(5)); /* no more requests */
	/* Deleting it; a learned entry is not a static one. */
	CHECK_EQ(tern_arp_del_static(fx.s, 0, FX_IP_PEER), 0);
	struct tern_mac mac;
	CHECK_EQ(tern_arp_lookup(fx.s, 1, FX_IP_PEER, &mac), TERN_ENOENT);
	CHECK_EQ(tern_arp_del_static(fx.s, 0, FX_IP_PEER), TERN_ENOENT);
	fx_learn(&fx, 0, TERN_SEC(6), FX_IP_GW, FX_MAC_GW, FX_IP_US);
	CHECK_EQ(tern_arp_del_static(fx.s, 1, FX_IP_GW), TERN_ENOENT);
	CHECK_CACHED(&fx, FX_IP_GW, FX_MAC_GW);
	fx_finish(&fx);
}

TEST(static_entries_survive_cache_full)
{
	const struct tern_mac peer_mac = FX_MAC_PEER;
	const struct tern_mac gw_mac = FX_MAC_GW;
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.arp_cache_size = 3;
	fx_host(&fx);
	REQUIRE_EQ(tern_arp_add_static(fx.s, 0, FX_IP_PEER, &peer_mac), 0);
	fx_learn(&fx, 0, 0, A(10, 0, 0, 10), fx_mac(0x10), FX_IP_US);
	fx_learn(&fx, 0, TERN_MSEC(1), A(10, 0, 0, 11), fx_mac(0x11), FX_IP_US);
	/* Our traffic to .12 evicts the learned entry confirmed longest ago;
	 * then .13 and .14, with no STALE entry left, each evict the oldest
	 * INCOMPLETE one (its datagram counted) rather than .11, which
	 * answered. The static entry is never a candidate. */
	for (uint8_t i = 12; i <= 14; i++)
		REQUIRE_EQ(send_to(&fx, A(10, 0, 0, i), 1), 0);
	struct tern_mac mac;
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 10), &mac), TERN_ENOENT);
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 11), &mac), 0);
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 12), &mac), TERN_ENOENT);
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 13), &mac), TERN_ENOENT);
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 14), &mac), TERN_EAGAIN);
	CHECK_EQ(fx_stat(&fx, "arp.evicted_unresolved"), 2);
	CHECK_EQ(fx_stat(&fx, "arp.cache_full"), 0);
	CHECK_CACHED(&fx, FX_IP_PEER, FX_MAC_PEER);
	/* An administrator's static entry takes the unresolved one's place. */
	REQUIRE_EQ(tern_arp_add_static(fx.s, 0, A(10, 0, 0, 20), &gw_mac), 0);
	CHECK_EQ(fx_stat(&fx, "arp.evicted_unresolved"), 3);
	CHECK_CACHED(&fx, FX_IP_PEER, FX_MAC_PEER);
	CHECK_CACHED(&fx, A(10, 0, 0, 20), FX_MAC_GW);
	fx_finish(&fx);
}

/* A host whose cache holds `size` entries, two of them REACHABLE peers
 * (FX_IP_PEER and the gateway). */
static void two_live_peers(struct fixture *fx, unsigned size)
{
	fx_config(fx);
	fx->cfg.arp_cache_size = size;
	fx_host(fx);
	fx_learn(fx, 0, 0, FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	fx_learn(fx, 0, 0, FX_IP_GW, FX_MAC_GW, FX_IP_US);
}

TEST(request_flood_keeps_reachable_peer)
{
	/* 2000 requests from distinct spoofed senders into a 16-entry
	 * cache: each is answered and cached STALE, displacing only the
	 * STALE entries the flood made; the live peer stays. */
	struct fixture fx;
	two_live_peers(&fx, 16);
	for (unsigned i = 0; i < 2000; i++) {
		struct tern_mac m = {{0x02, 0x10, 0, 0, (uint8_t)(i >> 8), (uint8_t)i}};
		inject_arp(&fx, TERN_SEC(1) + i, BCAST_MAC, TERN_ARP_OP_REQUEST, m,
			   A(10, 0, 100 + (i >> 8), (uint8_t)i), ZERO_MAC, FX_IP_US);
		fx_clear_tx(&fx);
	}
	CHECK_EQ(fx_stat(&fx, "arp.replies_sent"), 2000 + 2);
	CHECK_EQ(fx_stat(&fx, "arp.cache_full"), 0);
	CHECK_EQ(tern_arp_entries(fx.s), 16);
	CHECK_EQ(arp_state(&fx, FX_IP_PEER), TERN_ARP_REACHABLE);
	CHECK_CACHED(&fx, FX_IP_PEER, FX_MAC_PEER);
	CHECK_CACHED(&fx, FX_IP_GW, FX_MAC_GW);
	/* The newest flood senders hold the other 14 slots. */
	struct tern_mac mac;
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 107, 207), &mac), 0);
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 107, 193), &mac), TERN_ENOENT);
	fx_finish(&fx);
}

TEST(request_never_evicts_reachable)
{
	/* A cache full of live peers: a new requester is answered but not
	 * cached (counted as cache_full) until our own traffic needs it. */
	struct fixture fx;
	two_live_peers(&fx, 2);
	inject_arp(&fx, TERN_SEC(1), BCAST_MAC, TERN_ARP_OP_REQUEST, fx_mac(0x03), A(10, 0, 0, 3),
		   ZERO_MAC, FX_IP_US);
	CHECK_EQ(fx.nframes, 1);
	CHECK_EQ(fx_stat(&fx, "arp.cache_full"), 1);
	struct tern_mac mac;
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 3), &mac), TERN_ENOENT);
	CHECK_CACHED(&fx, FX_IP_PEER, FX_MAC_PEER);
	CHECK_CACHED(&fx, FX_IP_GW, FX_MAC_GW);
	fx_finish(&fx);
}

TEST_MAIN()
