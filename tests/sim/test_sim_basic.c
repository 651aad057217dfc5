/*
 * tests/sim/test_sim_basic.c — the simulator's own contract: hosts on a
 * link and on a switch exchange ICMP echoes at exactly the virtual times
 * the link parameters predict, the event loop's time bookkeeping, and
 * determinism (same seed, same trace; different seed under loss,
 * different trace).
 *
 * The echo requests are built by hand and sent with tern_ip_send_raw, so
 * these tests depend only on the stack core (IPv4, ICMP echo, ARP), not on
 * the ping application.
 */
#include "harness.h"

#include "wire/checksum.h"
#include "tern/sim.h"
#include "wire/bytes.h"

#define ECHO_ID 0x7e57
#define ETHERTYPE_IPV4 0x0800

/* ---- helpers ------------------------------------------------------------ */

/* An ICMP echo request (RFC 792): type 8, code 0, checksum, id, seq, then
 * `payload` bytes of a counting pattern. Returns its length. */
static size_t build_echo(uint8_t *buf, uint16_t id, uint16_t seq, size_t payload)
{
	buf[0] = 8;
	buf[1] = 0;
	wr16(buf + 2, 0);
	wr16(buf + 4, id);
	wr16(buf + 6, seq);
	for (size_t i = 0; i < payload; i++)
		buf[8 + i] = (uint8_t)i;
	wr16(buf + 2, tern_csum(buf, 8 + payload));
	return 8 + payload;
}

static int send_echo(struct tern_sim *sim, struct tern_stack *from, tern_ip4_t dst,
		     uint16_t seq, size_t payload)
{
	uint8_t buf[2048];
	size_t len = build_echo(buf, ECHO_ID, seq, payload);
	struct tern_ip_send p = {.dst = dst, .proto = 1};
	return tern_ip_send_raw(from, &p, buf, len, tern_sim_now(sim));
}

/* Records echo replies seen by one host. */
struct replies {
	unsigned count;
	uint16_t last_seq;
	tern_ip4_t last_from;
	tern_time_t last_at;
};

static void on_icmp(void *ctx, struct tern_stack *s, const struct tern_icmp_msg *m,
		    tern_time_t now)
{
	struct replies *r = ctx;
	if (m->type != 0 || m->id != ECHO_ID)
		return;
	r->count++;
	r->last_seq = m->seq;
	r->last_from = m->src;
	r->last_at = now;
}

struct reply_wait {
	struct replies *r;
	unsigned want;
};

static bool got_replies(void *ctx)
{
	struct reply_wait *w = ctx;
	return w->r->count >= w->want;
}

/* Send one echo and run until its reply arrives (or 5 s pass). Returns
 * the round-trip time in virtual nanoseconds, or -1. */
static tern_time_t ping_once(struct tern_sim *sim, struct tern_stack *from, struct replies *r,
			     tern_ip4_t dst, uint16_t seq, size_t payload)
{
	tern_time_t t0 = tern_sim_now(sim);
	struct reply_wait w = {r, r->count + 1};

	if (send_echo(sim, from, dst, seq, payload) < 0)
		return -1;
	if (!tern_sim_run_while(sim, got_replies, &w, t0 + TERN_SEC(5)))
		return -1;
	if (r->last_seq != seq || r->last_from != dst)
		return -1;
	return r->last_at - t0;
}

/* Serialization time of len bytes at rate, as the link computes it. */
static tern_time_t ser(size_t len, uint64_t rate)
{
	return rate ? (tern_time_t)(((uint64_t)len * 8000000000ull + rate - 1) / rate) : 0;
}

/* ---- the event loop's bookkeeping ---------------------------------------- */

TEST(empty_sim_time)
{
	struct tern_sim *sim = tern_sim_create(1);
	REQUIRE(sim);
	CHECK_EQ(tern_sim_now(sim), 0);
	CHECK_EQ(tern_sim_next(sim), TERN_TIME_NEVER);
	tern_sim_run_until(sim, TERN_SEC(5));
	CHECK_EQ(tern_sim_now(sim), TERN_SEC(5));
	tern_sim_run_for(sim, TERN_MSEC(250));
	CHECK_EQ(tern_sim_now(sim), TERN_SEC(5) + TERN_MSEC(250));
	tern_sim_destroy(sim);
}

TEST(node_names_and_errors)
{
	struct tern_sim *sim = tern_sim_create(1);
	REQUIRE(sim);
	struct tern_stack *a = tern_sim_host(sim, "a", NULL);
	struct tern_stack *r = tern_sim_router(sim, "r", NULL);
	REQUIRE(a && r);
	CHECK(tern_sim_host(sim, "a", NULL) == NULL); /* names are unique */
	CHECK(tern_sim_node(sim, "a") == a);
	CHECK(tern_sim_node(sim, "r") == r);
	CHECK(tern_sim_node(sim, "zz") == NULL);
	CHECK_STR(tern_stack_name(r), "r");
	CHECK_EQ(tern_sim_connect(sim, a, "10.0.0.1/33", r, "10.0.0.2/24", NULL, NULL, NULL),
		 TERN_EINVAL);
	CHECK_EQ(tern_sim_connect(sim, a, "10.0.0.1/24", a, "10.0.0.2/24", NULL, NULL, NULL),
		 TERN_EINVAL);

	int ia = -1, ir = -1;
	struct tern_sim_link_opts o = {.mtu = 1280};
	REQUIRE_EQ(tern_sim_connect(sim, a, "10.0.0.1/24", r, "10.0.0.2/24", &o, &ia, &ir), 0);
	CHECK(ia >= 1 && ir >= 1);
	CHECK_EQ(tern_stack_iface_mtu(a, ia), 1280);
	CHECK_STR(tern_stack_iface_dev(a, ia)->name, "eth0");
	CHECK_EQ(tern_stack_iface_addr(r, ir), TERN_IP4(10, 0, 0, 2));
	/* a second link gets the next name on both sides */
	REQUIRE_EQ(tern_sim_connect(sim, a, NULL, r, NULL, NULL, &ia, &ir), 0);
	CHECK_STR(tern_stack_iface_dev(a, ia)->name, "eth1");
	CHECK_STR(tern_stack_iface_dev(r, ir)->name, "eth1");
	/* and every interface has its own locally administered MAC */
	const struct tern_mac *m0 = &tern_stack_iface_dev(a, 1)->mac;
	const struct tern_mac *m1 = &tern_stack_iface_dev(a, 2)->mac;
	CHECK_EQ(m0->b[0], 0x02);
	CHECK(memcmp(m0, m1, 6) != 0);
	CHECK(memcmp(m0, &tern_stack_iface_dev(r, 1)->mac, 6) != 0);
	tern_sim_destroy(sim);
}

/* ---- timing on a point-to-point link --------------------------------------- */

/* Two hosts on an infinitely fast link with a 1 ms one-way delay. The first
 * echo needs ARP first (request, reply: one round trip), so its reply comes
 * 4 delays after the send; the next one takes exactly 2 delays. */
TEST(link_ping_exact_times)
{
	const tern_time_t d = TERN_MSEC(1);
	struct tern_sim *sim = tern_sim_create(42);
	struct tern_stack *a = tern_sim_host(sim, "a", NULL);
	struct tern_stack *b = tern_sim_host(sim, "b", NULL);
	struct tern_sim_link_opts o = {.delay = d};
	REQUIRE(a && b);
	REQUIRE_EQ(tern_sim_connect(sim, a, "192.168.1.1/24", b, "192.168.1.2/24", &o, NULL, NULL), 0);
	struct replies r = {0};
	REQUIRE(tern_icmp_listen(a, on_icmp, &r) >= 0);

	tern_sim_run_until(sim, TERN_MSEC(100)); /* gratuitous ARPs settle */
	CHECK_EQ(ping_once(sim, a, &r, TERN_IP4(192, 168, 1, 2), 1, 56), 4 * d);
	tern_sim_run_for(sim, TERN_MSEC(10));
	CHECK_EQ(ping_once(sim, a, &r, TERN_IP4(192, 168, 1, 2), 2, 56), 2 * d);
	/* B answers from its cache too: it learned A from A's ARP request */
	struct replies rb = {0};
	REQUIRE(tern_icmp_listen(b, on_icmp, &rb) >= 0);
	CHECK_EQ(ping_once(sim, b, &rb, TERN_IP4(192, 168, 1, 1), 3, 56), 2 * d);
	CHECK_EQ(r.count, 2);
	tern_sim_destroy(sim);
}

/* With a finite rate every frame also takes len * 8 / rate to clock out.
 * At 8 Mbit/s a byte takes exactly 1 us: a 56-byte echo is a 98-byte frame
 * (14 Ethernet + 20 IP + 8 ICMP + 56), so an echo round trip with a warm
 * ARP cache is 2 * (delay + 98 us). ARP frames are 42 bytes, or 60 if the
 * stack pads them to the Ethernet minimum as Linux does. */
TEST(link_ping_serialization)
{
	const tern_time_t d = TERN_USEC(500);
	const uint64_t rate = 8000000;
	struct tern_sim *sim = tern_sim_create(43);
	struct tern_stack *a = tern_sim_host(sim, "a", NULL);
	struct tern_stack *b = tern_sim_host(sim, "b", NULL);
	struct tern_sim_link_opts o = {.delay = d, .rate_bps = rate};
	REQUIRE(a && b);
	REQUIRE_EQ(tern_sim_connect(sim, a, "192.168.1.1/24", b, "192.168.1.2/24", &o, NULL, NULL), 0);
	struct replies r = {0};
	REQUIRE(tern_icmp_listen(a, on_icmp, &r) >= 0);
	tern_sim_run_until(sim, TERN_MSEC(100));

	tern_time_t echo_rtt = 2 * (d + ser(98, rate));
	CHECK_EQ(echo_rtt, 2 * (d + TERN_USEC(98)));
	tern_time_t first = ping_once(sim, a, &r, TERN_IP4(192, 168, 1, 2), 1, 56);
	tern_time_t arp42 = 2 * (d + ser(42, rate)), arp60 = 2 * (d + ser(60, rate));
	if (first != arp42 + echo_rtt && first != arp60 + echo_rtt)
		TEST_FAIL_("first rtt %lld, want %lld or %lld", (long long)first,
			   (long long)(arp42 + echo_rtt), (long long)(arp60 + echo_rtt));
	tern_sim_run_for(sim, TERN_MSEC(10));
	CHECK_EQ(ping_once(sim, a, &r, TERN_IP4(192, 168, 1, 2), 2, 56), echo_rtt);
	/* 1000 bytes of payload: a 1042-byte frame, 1042 us each way */
	CHECK_EQ(ping_once(sim, a, &r, TERN_IP4(192, 168, 1, 2), 3, 1000),
		 2 * (d + TERN_USEC(1042)));
	tern_sim_destroy(sim);
}

/* ---- a switch ---------------------------------------------------------------- */

/* Counts IPv4 frames a host's stack is handed at the link layer. */
static void count_ipv4_rx(void *ctx, struct tern_stack *s, const struct tern_trace_event *ev)
{
	unsigned *n = ctx;
	if (ev->layer == TERN_LAYER_LINK && ev->kind != TERN_TRACE_TX && ev->len >= 14 &&
	    rd16(ev->data + 12) == ETHERTYPE_IPV4)
		(*n)++;
}

/* Three hosts on a switch, 1 ms per host-switch link: every path crosses
 * two links, so a warm echo takes 4 delays and a cold one 8. Once the
 * switch has learned the hosts (from their gratuitous ARPs) unicast
 * traffic between two of them never reaches the third. */
TEST(switch_three_hosts)
{
	const tern_time_t d = TERN_MSEC(1);
	struct tern_sim *sim = tern_sim_create(44);
	struct tern_switch *sw = tern_sim_switch(sim, "sw", 8);
	struct tern_stack *h[3];
	static const char *names[3] = {"a", "b", "c"};
	static const char *addrs[3] = {"10.9.0.1/24", "10.9.0.2/24", "10.9.0.3/24"};
	struct tern_sim_link_opts o = {.delay = d};
	REQUIRE(sw);
	for (int i = 0; i < 3; i++) {
		h[i] = tern_sim_host(sim, names[i], NULL);
		REQUIRE(h[i]);
		REQUIRE_EQ(tern_sim_connect_switch(sim, h[i], addrs[i], sw, &o, NULL), 0);
	}
	struct replies r = {0};
	unsigned c_ipv4 = 0;
	REQUIRE(tern_icmp_listen(h[0], on_icmp, &r) >= 0);
	REQUIRE(tern_stack_trace_subscribe(h[2], count_ipv4_rx, &c_ipv4) >= 0);
	tern_sim_run_until(sim, TERN_MSEC(100));

	tern_ip4_t b = TERN_IP4(10, 9, 0, 2), c = TERN_IP4(10, 9, 0, 3);
	CHECK_EQ(ping_once(sim, h[0], &r, b, 1, 56), 8 * d);
	CHECK_EQ(ping_once(sim, h[0], &r, b, 2, 56), 4 * d);
	CHECK_EQ(c_ipv4, 0);
	CHECK_EQ(ping_once(sim, h[0], &r, c, 3, 56), 8 * d);
	CHECK_EQ(ping_once(sim, h[0], &r, c, 4, 56), 4 * d);
	CHECK_EQ(c_ipv4, 2); /* the two echo requests to c */

	struct tern_switch_stats st;
	tern_switch_get_stats(sw, &st);
	CHECK(st.forwarded >= 8);
	CHECK(st.flooded >= 3);
	tern_sim_destroy(sim);
}

/* ---- determinism ------------------------------------------------------------ */

/* FNV-1a over every trace event of every stack, tagged with the node. */
struct trace_hash {
	uint64_t h;
	unsigned events;
};
struct trace_tap {
	struct trace_hash *th;
	uint8_t node;
};

static void hash_bytes(uint64_t *h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		*h = (*h ^ b[i]) * 0x100000001b3ull;
}

static void hash_event(void *ctx, struct tern_stack *s, const struct tern_trace_event *ev)
{
	struct trace_tap *t = ctx;
	int64_t fields[6] = {t->node, ev->kind, ev->layer, ev->ifindex, (int64_t)ev->len,
			     ev->now};
	hash_bytes(&t->th->h, fields, sizeof(fields));
	hash_bytes(&t->th->h, &ev->reason, sizeof(ev->reason));
	hash_bytes(&t->th->h, ev->data, ev->len);
	t->th->events++;
}

struct lossy_run {
	uint64_t hash;
	unsigned events, replies;
	uint64_t dropped, duplicated;
};

/* Three hosts on a switch over impaired links; a sends 40 echoes to b
 * and c, one every 200 ms, and the run goes on 3 s more for retries and
 * stragglers. */
static void lossy_scenario(uint64_t seed, struct lossy_run *out)
{
	struct tern_sim *sim = tern_sim_create(seed);
	struct tern_switch *sw = tern_sim_switch(sim, "sw", 0);
	struct tern_sim_link_opts o = {.delay = TERN_MSEC(2), .rate_bps = 10000000, .loss = 0.15,
				       .duplicate = 0.05, .corrupt = 0.02, .reorder = 0.05,
				       .jitter = TERN_USEC(300)};
	struct trace_hash th = {0xcbf29ce484222325ull, 0};
	struct trace_tap taps[3];
	struct tern_stack *h[3];
	static const char *names[3] = {"a", "b", "c"};
	static const char *addrs[3] = {"10.5.0.1/24", "10.5.0.2/24", "10.5.0.3/24"};
	struct replies r = {0};

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 3; i++) {
		h[i] = tern_sim_host(sim, names[i], NULL);
		tern_sim_connect_switch(sim, h[i], addrs[i], sw, &o, NULL);
		taps[i] = (struct trace_tap){&th, (uint8_t)i};
		tern_stack_trace_subscribe(h[i], hash_event, &taps[i]);
	}
	tern_icmp_listen(h[0], on_icmp, &r);
	for (uint16_t seq = 1; seq <= 40; seq++) {
		tern_ip4_t dst = seq % 2 ? TERN_IP4(10, 5, 0, 2) : TERN_IP4(10, 5, 0, 3);
		send_echo(sim, h[0], dst, seq, 100 + seq);
		tern_sim_run_for(sim, TERN_MSEC(200));
	}
	tern_sim_run_for(sim, TERN_SEC(3));
	for (int i = 0; i < 3; i++) {
		struct tern_fault_stats fs;
		tern_fault_get_stats(tern_stack_iface_dev(h[i], 1), &fs);
		out->dropped += fs.dropped;
		out->duplicated += fs.duplicated;
	}
	out->hash = th.h;
	out->events = th.events;
	out->replies = r.count;
	tern_sim_destroy(sim);
}

TEST(determinism_same_seed_same_trace)
{
	struct lossy_run x, y, z;
	lossy_scenario(7, &x);
	lossy_scenario(7, &y);
	lossy_scenario(8, &z);
	CHECK(x.events > 100);
	CHECK(x.dropped > 0);       /* the impairments really happened */
	CHECK(x.duplicated > 0);
	CHECK(x.replies > 0 && x.replies < 60);
	CHECK_EQ(x.hash, y.hash);
	CHECK_EQ(x.events, y.events);
	CHECK_EQ(x.replies, y.replies);
	CHECK(x.hash != z.hash);    /* another seed loses other frames */
}

/* Without impairments the seed still reaches every stack (IP IDs, ARP
 * jitter ...), but the trace of a fixed exchange must repeat exactly. */
TEST(determinism_ideal_links)
{
	struct trace_hash th[2];
	for (int run = 0; run < 2; run++) {
		struct tern_sim *sim = tern_sim_create(99);
		struct tern_stack *a = tern_sim_host(sim, "a", NULL);
		struct tern_stack *b = tern_sim_host(sim, "b", NULL);
		struct tern_sim_link_opts o = {.delay = TERN_USEC(100), .rate_bps = 1000000000};
		struct trace_tap ta = {&th[run], 0}, tb = {&th[run], 1};
		struct replies r = {0};
		th[run] = (struct trace_hash){0xcbf29ce484222325ull, 0};
		tern_sim_connect(sim, a, "10.1.0.1/16", b, "10.1.0.2/16", &o, NULL, NULL);
		tern_stack_trace_subscribe(a, hash_event, &ta);
		tern_stack_trace_subscribe(b, hash_event, &tb);
		tern_icmp_listen(a, on_icmp, &r);
		for (uint16_t seq = 1; seq <= 5; seq++)
			CHECK(ping_once(sim, a, &r, TERN_IP4(10, 1, 0, 2), seq, 1400) > 0);
		tern_sim_destroy(sim);
	}
	CHECK(th[0].events > 0);
	CHECK_EQ(th[0].events, th[1].events);
	CHECK_EQ(th[0].h, th[1].h);
}

TEST_MAIN()
