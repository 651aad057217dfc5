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
	expect_tx_parse(&fx, &p);
	check_request(&p, FX_IP_US, FX_IP_PEER, BCAST_MAC);
	fx_pkt_free(&p);
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

TEST(announcement_updates_known_neighbour)
{
	/* RFC 826 merge: a known sender's new hardware address replaces the
	 * old, even from a packet not addressed to us (a gratuitous ARP). */
	struct fixture fx;
	fx_config(&fx);
	fx_host(&fx);
	fx_learn(&fx, 0, 0, FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	const struct tern_mac moved = fx_mac(0x77);
	uint8_t f[64];
	size_t n = fxb_arp(f, BCAST_MAC, moved, TERN_ARP_OP_REQUEST, moved, FX_IP_PEER, ZERO_MAC,
			   FX_IP_PEER);
	inject(&fx, TERN_SEC(1), f, n);
	CHECK_EQ(fx.nframes, 0);
	struct tern_mac mac;
	REQUIRE_EQ(tern_arp_lookup(fx.s, 1, FX_IP_PEER, &mac), 0);
	CHECK_MEM(mac.b, moved.b, 6);
	/* An unknown sender's announcement is not cached. */
	n = fxb_arp(f, BCAST_MAC, fx_mac(0x78), TERN_ARP_OP_REQUEST, fx_mac(0x78), A(10, 0, 0, 78),
		    ZERO_MAC, A(10, 0, 0, 78));
	inject(&fx, TERN_SEC(2), f, n);
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 78), &mac), TERN_ENOENT);
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
	expect_tx_parse(&fx, &p);
	check_request(&p, FX_IP_US, FX_IP_PEER, BCAST_MAC);
	fx_pkt_free(&p);
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
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	check_request(&p, FX_IP_US, dst, BCAST_MAC);
	fx_pkt_free(&p);
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
	CHECK_EQ(fx.s->cfg.arp_reachable_time, TERN_SEC(30));
	/* Used while REACHABLE: no request. */
	fx_advance(&fx, TERN_SEC(30));
	REQUIRE_EQ(send_to(&fx, FX_IP_PEER, 1), 0);
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp);
	fx_pkt_free(&p);
	/* At 31 s the entry is STALE: still used, but the first use sends a
	 * unicast request to the cached address before the datagram. */
	expect_no_tx(&fx, TERN_SEC(31) + 1);
	REQUIRE_EQ(send_to(&fx, FX_IP_PEER, 2), 0);
	expect_tx_parse(&fx, &p);
	check_request(&p, FX_IP_US, FX_IP_PEER, FX_MAC_PEER);
	fx_pkt_free(&p);
	expect_tx_parse(&fx, &p);
	CHECK(p.is_icmp);
	CHECK_MEM(p.eth.dst.b, FX_MAC_PEER.b, 6);
	CHECK_EQ(p.icmp.u.echo.seq, 2);
	fx_pkt_free(&p);
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
	expect_tx_parse(&fx, &p);
	check_request(&p, FX_IP_US, FX_IP_PEER, FX_MAC_PEER);
	fx_pkt_free(&p);
	fx_clear_tx(&fx);
	/* Further requests until arp_max_probes, then the entry goes. */
	int requests = 1;
	struct fx_frame *f;
	while ((f = fx_next_tx(&fx, TERN_SEC(40)))) {
		CHECK_EQ(fx_parse(f, &p), TERN_STAT_NONE);
		CHECK(p.is_arp);
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
	struct fx_pkt p;
	expect_tx_parse(&fx, &p);
	check_request(&p, FX_IP_US, FX_IP_PEER, BCAST_MAC);
	fx_pkt_free(&p);
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
	expect_tx_parse(&fx, &p); /* resolving it, from our real address */
	check_request(&p, FX_IP_US, taken, BCAST_MAC);
	fx_pkt_free(&p);
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
	fx_learn(&fx, 0, TERN_SEC(6), A(10, 0, 0, 20), fx_mac(0x20), FX_IP_US);
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 11), &mac), TERN_ENOENT);
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 10), &mac), 0);
	CHECK_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 20), &mac), 0);
	REQUIRE_EQ(tern_arp_lookup(fx.s, 1, A(10, 0, 0, 13), &mac), 0);
	CHECK_MEM(mac.b, fx_mac(0x13).b, 6);
	CHECK_EQ(fx_stat(&fx, "arp.cache_full"), 0);
	fx_finish(&fx);
}

TEST(cache_full_of_incomplete_drops_and_counts)
{
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.arp_cache_size = 2;
	fx_host(&fx);
	REQUIRE_EQ(send_to(&fx, A(10, 0, 0, 10), 1), 0);
	REQUIRE_EQ(send_to(&fx, A(10, 0, 0, 11), 1), 0);
	CHECK_EQ(fx.nframes, 2);
	fx_clear_tx(&fx);
	/* Entries still resolving are never evicted: the third is dropped,
	 * counted once. */
	REQUIRE_EQ(send_to(&fx, A(10, 0, 0, 12), 1), 0);
	CHECK_EQ(fx.nframes, 0);
	CHECK_EQ(fx_stat(&fx, "arp.cache_full"), 1);
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

TEST_MAIN()
