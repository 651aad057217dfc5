/*
 * tests/unit/test_reasm.c — IPv4 reassembly (RFC 791 §3.2, RFC 1122
 * §3.3.2) through the whole stack: fragments of an echo request are
 * injected in various orders and the echo reply proves the datagram was
 * rebuilt byte for byte. Duplicates, overlaps (dropped whole, as
 * net/ipv4_reasm.c documents), the 30 s timeout and its ICMP time exceeded
 * (RFC 792 code 1, only with fragment zero), oversize, memory and
 * fragment-count limits.
 */
#include "core/rng.h"
#include "stack_fixture.h"

#define A TERN_IP4

static void host(struct fixture *fx)
{
	fx_host(fx);
	fx_learn(fx, 0, 0, FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	fx_clear_tx(fx);
}

/* The IP payload of an echo request: ICMP header + dlen bytes of data. */
static size_t echo_payload(uint8_t *buf, uint16_t seq, size_t dlen)
{
	uint8_t *data = malloc(dlen ? dlen : 1);
	if (!data)
		abort();
	fx_pattern(data, dlen, (uint8_t)seq);
	size_t n = fxb_icmp_echo_msg(buf, TERN_ICMP_ECHO, 0xbeef, seq, data, dlen);
	free(data);
	return n;
}

static const struct fxb_ip frag_hdr = {.src = FX_IP_PEER, .dst = FX_IP_US, .id = 0xabcd,
				       .proto = TERN_IPPROTO_ICMP};

static void inject_frag(struct fixture *fx, tern_time_t t, const struct fxb_ip *h,
			const uint8_t *whole, size_t whole_len, size_t off, size_t len)
{
	static uint8_t f[FX_FRAME_MAX];
	size_t n = fxb_frag(f, FX_MAC_US, FX_MAC_PEER, h, whole, whole_len, off, len);
	inject(fx, t, f, n);
}

/* Check the next frame is the echo reply for `req` (an echo request
 * payload of req_len bytes) in one piece. */
static void check_reply(struct fixture *fx, const uint8_t *req, size_t req_len)
{
	struct fx_pkt p;
	expect_tx_parse(fx, &p);
	CHECK(p.is_icmp);
	CHECK_EQ(p.icmp.type, TERN_ICMP_ECHO_REPLY);
	CHECK_EQ(p.ip.dst, FX_IP_PEER);
	CHECK_EQ(p.l4_len, req_len);
	if (p.l4_len == req_len)
		CHECK_MEM(p.l4 + 4, req + 4, req_len - 4); /* id, seq, data */
	fx_pkt_free(&p);
}

/* Split a payload into fragments of `piece` bytes; inject in `order`. */
static void run_order(const size_t *order, size_t nfrag, size_t piece, size_t len)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	static uint8_t req[4096];
	size_t n = echo_payload(req, 1, len - 8);
	for (size_t i = 0; i < nfrag; i++) {
		size_t off = order[i] * piece;
		size_t flen = off + piece < n ? piece : n - off;
		if (i + 1 < nfrag)
			CHECK_EQ(fx.nframes, 0);
		inject_frag(&fx, TERN_MSEC(10 + i), &frag_hdr, req, n, off, flen);
	}
	check_reply(&fx, req, n);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_oks"), 1);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_reqds"), nfrag);
	CHECK_EQ((fx.s->net->reasm ? fx.s->net->reasm->count : 0), 0);
	CHECK_EQ(fx.s->budget.reasm.used, 0);
	expect_no_tx(&fx, TERN_SEC(60));
	fx_finish(&fx);
}

TEST(in_order)
{
	const size_t order[] = {0, 1, 2};
	run_order(order, 3, 400, 1200);
}

TEST(reversed)
{
	const size_t order[] = {4, 3, 2, 1, 0};
	run_order(order, 5, 256, 1200);
}

TEST(shuffled_seeded)
{
	struct tern_rng rng;
	tern_rng_seed(&rng, 2024);
	for (int round = 0; round < 20; round++) {
		size_t order[16];
		for (size_t i = 0; i < 16; i++)
			order[i] = i;
		for (size_t i = 15; i > 0; i--) { /* Fisher-Yates */
			size_t j = (size_t)tern_rng_below(&rng, i + 1);
			size_t t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		run_order(order, 16, 96, 96 * 15 + 40);
	}
}

/* RFC 3168 §5.3: one CE fragment of an ECN-capable datagram marks the
 * reassembled whole (seen in the echo reply, which copies the request's
 * TOS); beside a Not-ECT fragment it does not. */
TEST(ce_on_one_fragment_marks_the_datagram)
{
	for (int mixed = 0; mixed <= 1; mixed++) {
		struct fixture fx;
		fx_config(&fx);
		host(&fx);
		static uint8_t req[1300];
		size_t n = echo_payload(req, 1, 1200 - 8);
		struct fxb_ip h = frag_hdr;
		for (size_t i = 0; i < 3; i++) {
			h.tos = i == 1 ? TERN_IP_ECN_CE
				: (mixed && i == 2) ? TERN_IP_ECN_NOT_ECT : TERN_IP_ECN_ECT0;
			inject_frag(&fx, TERN_MSEC(10 + i), &h, req, n, i * 400,
				    i == 2 ? n - 800 : 400);
		}
		struct fx_pkt p;
		expect_tx_parse(&fx, &p);
		CHECK(p.is_icmp);
		CHECK_EQ(p.ip.tos & TERN_IP_ECN_MASK, mixed ? TERN_IP_ECN_ECT0 : TERN_IP_ECN_CE);
		fx_pkt_free(&p);
		CHECK_EQ(fx_stat(&fx, "ip.in_ce_pkts"), 1);
		fx_finish(&fx);
	}
}

TEST(duplicate_fragment_ignored)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	uint8_t req[2048];
	size_t n = echo_payload(req, 2, 1192);
	inject_frag(&fx, TERN_MSEC(1), &frag_hdr, req, n, 0, 400);
	inject_frag(&fx, TERN_MSEC(2), &frag_hdr, req, n, 0, 400);
	inject_frag(&fx, TERN_MSEC(3), &frag_hdr, req, n, 400, 400);
	inject_frag(&fx, TERN_MSEC(4), &frag_hdr, req, n, 400, 400);
	CHECK_EQ(fx.nframes, 0);
	inject_frag(&fx, TERN_MSEC(5), &frag_hdr, req, n, 800, 400);
	check_reply(&fx, req, n);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_duplicate_frag"), 2);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_oks"), 1);
	fx_finish(&fx);
}

TEST(overlap_drops_whole_datagram)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	uint8_t req[2048];
	size_t n = echo_payload(req, 3, 1192);
	inject_frag(&fx, TERN_MSEC(1), &frag_hdr, req, n, 0, 400);
	inject_frag(&fx, TERN_MSEC(2), &frag_hdr, req, n, 800, 400);
	CHECK_EQ(tern_pkt_pool_in_use(&fx.s->pool), 2);
	/* Overlaps the first (bytes 200..600). */
	inject_frag(&fx, TERN_MSEC(3), &frag_hdr, req, n, 200, 400);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_overlap"), 1);
	CHECK_EQ(tern_pkt_pool_in_use(&fx.s->pool), 0);
	CHECK_EQ((fx.s->net->reasm ? fx.s->net->reasm->count : 0), 0);
	/* The missing piece alone now starts a new, incomplete datagram. */
	inject_frag(&fx, TERN_MSEC(4), &frag_hdr, req, n, 400, 400);
	CHECK_EQ(fx.nframes, 0);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_oks"), 0);
	/* An overlap inside a held fragment, and a last fragment that ends
	 * before data already held, are overlaps too. */
	inject_frag(&fx, TERN_MSEC(5), &frag_hdr, req, n, 408, 16);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_overlap"), 2);
	inject_frag(&fx, TERN_MSEC(6), &frag_hdr, req, n, 0, 400);
	inject_frag(&fx, TERN_MSEC(7), &frag_hdr, req, n, 800, 400);
	struct fxb_ip h = frag_hdr;
	uint8_t f[128];
	h.frag_off = 400; /* final, ending at 408 < 1200 */
	size_t fn = fxb_ip(f, FX_MAC_US, FX_MAC_PEER, &h, req + 400, 8);
	inject(&fx, TERN_MSEC(8), f, fn);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_overlap"), 3);
	expect_no_tx(&fx, TERN_SEC(60));
	fx_finish(&fx);
}

TEST(timeout_without_fragment_zero_is_silent)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	uint8_t req[2048];
	size_t n = echo_payload(req, 4, 1192);
	inject_frag(&fx, TERN_SEC(1), &frag_hdr, req, n, 400, 400);
	inject_frag(&fx, TERN_SEC(2), &frag_hdr, req, n, 800, 400);
	fx_advance(&fx, TERN_SEC(31) - 1);
	CHECK_EQ((fx.s->net->reasm ? fx.s->net->reasm->count : 0), 1);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_timeout"), 0);
	/* 30 s after the first fragment arrived. */
	fx_advance(&fx, TERN_SEC(31));
	CHECK_EQ(fx_stat(&fx, "ip.reasm_timeout"), 1);
	CHECK_EQ((fx.s->net->reasm ? fx.s->net->reasm->count : 0), 0);
	CHECK_EQ(tern_pkt_pool_in_use(&fx.s->pool), 0);
	expect_no_tx(&fx, TERN_SEC(60));
	CHECK_EQ(fx_stat(&fx, "icmp.out_time_excds"), 0);
	fx_finish(&fx);
}

TEST(timeout_with_fragment_zero_sends_time_exceeded)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	uint8_t req[2048];
	size_t n = echo_payload(req, 5, 1192);
	inject_frag(&fx, TERN_SEC(1), &frag_hdr, req, n, 800, 400);
	inject_frag(&fx, TERN_SEC(2), &frag_hdr, req, n, 0, 400);
	fx_learn(&fx, 0, TERN_SEC(20), FX_IP_PEER, FX_MAC_PEER, FX_IP_US); /* fresh at 31 s */
	expect_no_tx(&fx, TERN_SEC(31) - 1);
	struct fx_frame *fr = fx_next_tx(&fx, TERN_SEC(31));
	REQUIRE(fr != NULL);
	CHECK_EQ(fr->t, TERN_SEC(31));
	struct fx_pkt p;
	CHECK_EQ(fx_parse(fr, &p), TERN_STAT_NONE);
	CHECK(p.is_icmp);
	CHECK_EQ(p.icmp.type, TERN_ICMP_TIME_EXCEEDED);
	CHECK_EQ(p.icmp.code, TERN_ICMP_EXC_FRAGTIME);
	CHECK_EQ(p.ip.src, FX_IP_US);
	CHECK_EQ(p.ip.dst, FX_IP_PEER);
	/* The quote is fragment zero: its header and data. */
	REQUIRE(p.icmp.data_len >= 28);
	CHECK_EQ(rd32(p.icmp.data + 12), FX_IP_PEER);
	CHECK_EQ(rd16(p.icmp.data + 4), frag_hdr.id);
	CHECK_EQ(rd16(p.icmp.data + 6) & 0x3fff, 0x2000); /* MF, offset 0 */
	CHECK_MEM(p.icmp.data + 20, req, 8);
	fx_pkt_free(&p);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_timeout"), 1);
	CHECK_EQ(fx_stat(&fx, "icmp.out_time_excds"), 1);
	expect_no_tx(&fx, TERN_SEC(60));
	fx_finish(&fx);
}

TEST(oversized_datagram_rejected)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	static uint8_t junk[2048];
	struct fxb_ip h = frag_hdr;
	uint8_t f[128];
	/* offset + payload > 65535: rejected by the header check. */
	h.frag_off = 65528;
	size_t n = fxb_ip(f, FX_MAC_US, FX_MAC_PEER, &h, junk, 16);
	inject(&fx, TERN_MSEC(1), f, n);
	CHECK_EQ(fx_stat(&fx, "ip.bad_fragment"), 1);
	/* payload fits 65535 but with the header it does not. */
	h.frag_off = 65512;
	n = fxb_ip(f, FX_MAC_US, FX_MAC_PEER, &h, junk, 16);
	inject(&fx, TERN_MSEC(2), f, n);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_too_big"), 1);
	CHECK_EQ((fx.s->net->reasm ? fx.s->net->reasm->count : 0), 0);
	/* A classic ping of death: fragment zero, then pieces up to past
	 * 65535: every piece after the limit is refused and nothing is
	 * delivered. */
	h.frag_off = 0;
	h.mf = true;
	n = fxb_ip(f, FX_MAC_US, FX_MAC_PEER, &h, junk, 64);
	inject(&fx, TERN_MSEC(3), f, n);
	h.mf = false;
	h.frag_off = 65512;
	n = fxb_ip(f, FX_MAC_US, FX_MAC_PEER, &h, junk, 16);
	inject(&fx, TERN_MSEC(4), f, n);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_too_big"), 2);
	CHECK_EQ((fx.s->net->reasm ? fx.s->net->reasm->count : 0), 0);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_oks"), 0);
	/* A non-final fragment that is not a multiple of 8 bytes. */
	h.frag_off = 0;
	h.mf = true;
	h.id = 99;
	n = fxb_ip(f, FX_MAC_US, FX_MAC_PEER, &h, junk, 12);
	inject(&fx, TERN_MSEC(5), f, n);
	CHECK_EQ(fx_stat(&fx, "ip.bad_fragment"), 2);
	expect_no_tx(&fx, TERN_SEC(60));
	fx_finish(&fx);
}

TEST(largest_datagram_reassembles)
{
	/* 65535 bytes in 1480-byte fragments: the biggest legal datagram. */
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.reasm_max_frags = 64;
	host(&fx);
	static uint8_t req[65535];
	size_t n = echo_payload(req, 6, 65535 - 20 - 8);
	size_t nfrag = 0;
	for (size_t off = 0; off < n; off += 1480, nfrag++)
		inject_frag(&fx, TERN_MSEC(1), &frag_hdr, req, n, off, off + 1480 < n ? 1480 : n - off);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_oks"), 1);
	/* The reply goes back in fragments; put them together. */
	static uint8_t got[65536];
	size_t end = 0;
	struct fx_frame *fr;
	while ((fr = fx_pop(&fx))) {
		struct fx_pkt p;
		CHECK_EQ(fx_parse(fr, &p), TERN_STAT_NONE);
		CHECK(p.ip.total_len <= 1500);
		CHECK_EQ(p.ip.frag_off, end);
		memcpy(got + p.ip.frag_off, p.l4, p.l4_len);
		end = p.ip.frag_off + p.l4_len;
		fx_pkt_free(&p);
	}
	CHECK_EQ(end, n);
	CHECK_EQ(got[0], TERN_ICMP_ECHO_REPLY);
	CHECK_MEM(got + 4, req + 4, n - 4);
	CHECK_EQ(tern_csum(got, n), 0);
	fx_finish(&fx);
}

TEST(options_in_fragment_zero_cannot_overflow)
{
	/* Later fragments are checked against 65535 with their own 20-byte
	 * header; fragment zero carries 40 bytes of options, so the whole
	 * would be 65575 bytes: it must be dropped, not delivered. */
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.reasm_max_frags = 64;
	host(&fx);
	static uint8_t junk[1480];
	static uint8_t f[1600];
	struct fxb_ip h = frag_hdr;
	h.proto = 253;
	for (size_t off = 1480; off < 65515; off += 1480) {
		size_t len = off + 1480 < 65515 ? 1480 : 65515 - off;
		h.frag_off = (uint16_t)off;
		h.mf = off + len < 65515;
		size_t n = fxb_ip(f, FX_MAC_US, FX_MAC_PEER, &h, junk, len);
		inject(&fx, TERN_MSEC(1), f, n);
	}
	CHECK_EQ((fx.s->net->reasm ? fx.s->net->reasm->count : 0), 1);
	/* Fragment zero: 60-byte header (NOP options), 1480 bytes. */
	h.frag_off = 0;
	h.mf = true;
	size_t n = fxb_ip(f, FX_MAC_US, FX_MAC_PEER, &h, junk, 1480);
	memmove(f + 14 + 60, f + 14 + 20, 1480);
	memset(f + 14 + 20, 0x01, 40);
	f[14] = 0x4f;
	wr16(f + 16, 60 + 1480);
	wr16(f + 24, 0);
	wr16(f + 24, tern_csum(f + 14, 60));
	inject(&fx, TERN_MSEC(2), f, n + 40);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_oks"), 0);
	CHECK_EQ(fx_stat(&fx, "ip.in_delivers"), 0);
	CHECK_EQ(fx_stat(&fx, "ip.unknown_protocol"), 0);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_too_big"), 1);
	CHECK_EQ((fx.s->net->reasm ? fx.s->net->reasm->count : 0), 0);
	expect_no_tx(&fx, TERN_SEC(60));
	fx_finish(&fx);
}

/* The budget's high mark evicts the oldest datagrams down to the low mark
 * (a flood displaces itself); the datagram a fragment belongs to is never
 * the one evicted for it, so it completes. */
TEST(memory_eviction)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	uint8_t req[2048];
	size_t n = echo_payload(req, 7, 1192);
	struct fxb_ip h = frag_hdr;
	h.id = 1;
	inject_frag(&fx, TERN_MSEC(1), &h, req, n, 0, 400);
	size_t u = fx.s->budget.reasm.used; /* one record, one fragment */
	CHECK(u > TERN_PKT_SMALL_CAP);
	fx.s->budget.reasm.limit = 3 * u + u / 2;
	tern_stack_cfg_own(fx.s)->reasm_low_thresh = 2 * u;
	for (uint16_t id = 2; id <= 3; id++) {
		h.id = id;
		inject_frag(&fx, TERN_MSEC(id), &h, req, n, 0, 400);
	}
	CHECK_EQ((fx.s->net->reasm ? fx.s->net->reasm->count : 0), 3);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_evicted"), 0);
	/* A fourth datagram: 1 and 2 go, down to the low mark with room. */
	h.id = 4;
	inject_frag(&fx, TERN_MSEC(4), &h, req, n, 0, 400);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_evicted"), 2);
	CHECK_EQ((fx.s->net->reasm ? fx.s->net->reasm->count : 0), 2);
	CHECK_EQ(fx.s->budget.reasm.used, 2 * u);
	/* Datagram 4 completes; 3 is evicted for it, never 4 itself. */
	fx_learn(&fx, 0, TERN_MSEC(5), FX_IP_PEER, FX_MAC_PEER, FX_IP_US);
	for (size_t off = 400; off < n; off += 400)
		inject_frag(&fx, TERN_MSEC(6), &h, req, n, off, 400);
	check_reply(&fx, req, n);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_evicted"), 3);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_memory_limit"), 0);
	CHECK_EQ((fx.s->net->reasm ? fx.s->net->reasm->count : 0), 0);
	CHECK_EQ(fx.s->budget.reasm.used, 0);
	/* No ICMP time exceeded for an evicted datagram (as Linux). */
	fx_advance(&fx, TERN_SEC(40));
	CHECK_EQ(fx.nframes, 0);
	fx_finish(&fx);
}

/* A fragment that cannot fit even an empty budget is refused. */
TEST(memory_limit)
{
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.reasm_high_thresh = TERN_PKT_SMALL_CAP;
	host(&fx);
	uint8_t req[2048];
	size_t n = echo_payload(req, 7, 1192);
	struct fxb_ip h = frag_hdr;
	inject_frag(&fx, TERN_MSEC(1), &h, req, n, 0, 400);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_memory_limit"), 1);
	CHECK_EQ((fx.s->net->reasm ? fx.s->net->reasm->count : 0), 0);
	CHECK_EQ(fx.s->budget.reasm.used, 0);
	fx_finish(&fx);
}

TEST(too_many_fragments)
{
	struct fixture fx;
	fx_config(&fx);
	fx.cfg.reasm_max_frags = 4;
	host(&fx);
	uint8_t req[2048];
	size_t n = echo_payload(req, 8, 72);
	/* 10 fragments of 8 bytes: the fifth makes too many. */
	for (size_t off = 0; off < 40; off += 8)
		inject_frag(&fx, TERN_MSEC(1 + off), &frag_hdr, req, n, off, 8);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_too_many_frags"), 1);
	CHECK_EQ((fx.s->net->reasm ? fx.s->net->reasm->count : 0), 0);
	CHECK_EQ(tern_pkt_pool_in_use(&fx.s->pool), 0);
	/* Four pieces are fine. */
	struct fxb_ip h = frag_hdr;
	h.id = 2;
	n = echo_payload(req, 8, 24);
	for (size_t off = 0; off < n; off += 8)
		inject_frag(&fx, TERN_MSEC(100), &h, req, n, off, 8);
	check_reply(&fx, req, n);
	fx_finish(&fx);
}

TEST(interleaved_datagrams_keyed_by_id_src_proto)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	uint8_t a[2048], b[2048];
	size_t na = echo_payload(a, 10, 792), nb = echo_payload(b, 11, 792);
	struct fxb_ip ha = frag_hdr, hb = frag_hdr;
	hb.id = (uint16_t)(frag_hdr.id + 1);
	inject_frag(&fx, TERN_MSEC(1), &ha, a, na, 0, 400);
	inject_frag(&fx, TERN_MSEC(2), &hb, b, nb, 400, 400);
	inject_frag(&fx, TERN_MSEC(3), &hb, b, nb, 0, 400);
	check_reply(&fx, b, nb);
	inject_frag(&fx, TERN_MSEC(4), &ha, a, na, 400, 400);
	check_reply(&fx, a, na);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_oks"), 2);
	fx_finish(&fx);
}

TEST(big_echo_in_three_fragments_reply_fragmented)
{
	struct fixture fx;
	fx_config(&fx);
	host(&fx);
	/* A 4000-byte echo request (IP total length) in 1480 + 1480 + 1020. */
	static uint8_t req[4000];
	size_t n = echo_payload(req, 12, 4000 - 20 - 8);
	REQUIRE_EQ(n, 3980);
	inject_frag(&fx, TERN_MSEC(1), &frag_hdr, req, n, 0, 1480);
	inject_frag(&fx, TERN_MSEC(2), &frag_hdr, req, n, 2960, 1020);
	CHECK_EQ(fx.nframes, 0);
	inject_frag(&fx, TERN_MSEC(3), &frag_hdr, req, n, 1480, 1480);
	/* The reply: fragments of at most the 1500-byte MTU, offsets in
	 * 8-byte units, MF on all but the last, one identification. */
	static uint8_t got[4096];
	size_t end = 0;
	int k = 0;
	uint16_t id = 0;
	bool last_seen = false;
	struct fx_frame *fr;
	while ((fr = fx_pop(&fx))) {
		struct fx_pkt p;
		CHECK_EQ(fx_parse(fr, &p), TERN_STAT_NONE);
		CHECK(fr->len <= 1514);
		CHECK(p.ip.total_len <= 1500);
		CHECK_EQ(p.ip.frag_off % 8, 0);
		CHECK_EQ(p.ip.frag_off, end);
		CHECK_EQ(p.ip.proto, TERN_IPPROTO_ICMP);
		CHECK_EQ(p.ip.src, FX_IP_US);
		CHECK_EQ(p.ip.dst, FX_IP_PEER);
		CHECK(!last_seen);
		if (k == 0)
			id = p.ip.id;
		CHECK_EQ(p.ip.id, id);
		memcpy(got + p.ip.frag_off, p.l4, p.l4_len);
		end = p.ip.frag_off + p.l4_len;
		last_seen = !p.ip.mf;
		k++;
		fx_pkt_free(&p);
	}
	CHECK_EQ(k, 3);
	CHECK(last_seen);
	REQUIRE_EQ(end, n);
	/* Reassembled by us: an echo reply with the request's id, seq and
	 * data, and a correct ICMP checksum over all of it. */
	struct tern_icmp_repr icmp;
	REQUIRE_EQ(tern_icmp_parse(got, n, 0, &icmp), TERN_STAT_NONE);
	CHECK_EQ(icmp.type, TERN_ICMP_ECHO_REPLY);
	CHECK_EQ(icmp.u.echo.id, 0xbeef);
	CHECK_EQ(icmp.u.echo.seq, 12);
	CHECK_MEM(got + 8, req + 8, n - 8);
	CHECK_EQ(fx_stat(&fx, "ip.reasm_oks"), 1);
	CHECK_EQ(fx_stat(&fx, "ip.frag_creates"), 3);
	fx_finish(&fx);
}

TEST_MAIN()
