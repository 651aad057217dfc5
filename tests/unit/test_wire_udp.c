/*
 * test_wire_udp.c — the UDP header (wire/udp.c, RFC 768): a table of real
 * and malformed datagrams, emit/parse round trips, every truncation, the
 * zero checksum and its 0xffff stand-in. Checksums in the vectors were
 * computed with scapy.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "unit/wire_util.h"
#include "wire/udp.h"

#define A TERN_IP4(10, 0, 0, 1)
#define B TERN_IP4(10, 0, 0, 2)
#define DNS_Q "beef01000001000000000000076578616d706c6503636f6d0000010001"

struct udp_vec {
	const char *name, *hex;
	tern_ip4_t src, dst;
	unsigned flags;
	enum tern_stat expect;
	int exact; /* emit reproduces the datagram byte for byte */
	struct tern_udp_repr r;
};

#define OK(nm, hx, ex, ...) {nm, hx, A, B, 0, TERN_STAT_NONE, ex, {__VA_ARGS__}}
#define BAD(nm, hx, fl, st) {nm, hx, A, B, fl, st, 0, {0, 0, 0, 0}}

static const struct udp_vec vecs[] = {
	OK("dns query", "cf08003500258e06" DNS_Q, 1, 53000, 53, 37, 0x8e06),
	OK("hello", "04d2162e000d8cff68656c6c6f", 1, 1234, 5678, 13, 0x8cff),
	OK("odd length", "00090009000973c778", 1, 9, 9, 9, 0x73c7),
	OK("empty payload", "0009000a0008ebc8", 1, 9, 10, 8, 0xebc8),
	OK("zero checksum: not computed", "04d2162e000d000068656c6c6f", 0, 1234, 5678, 13, 0),
	OK("computed 0 sent as 0xffff", "0fa00fa1000effff7465726ee5ba", 1, 4000, 4001, 14, 0xffff),
	OK("ip payload longer than length field", "00070007000b276561626300deadbeef99", 1,
	   7, 7, 11, 0x2765),
	{"bad checksum accepted with NO_CSUM", "04d2162e000d8cfe68656c6c6f", A, B, TERN_WIRE_NO_CSUM,
	 TERN_STAT_NONE, 0, {1234, 5678, 13, 0x8cfe}},
	{"other pseudo-header accepted with NO_CSUM", "cf08003500258e06" DNS_Q, A, TERN_IP4(10, 0, 0, 3),
	 TERN_WIRE_NO_CSUM, TERN_STAT_NONE, 0, {53000, 53, 37, 0x8e06}},

	BAD("empty", "", 0, TERN_STAT_UDP_SHORT),
	BAD("7 bytes", "04d2162e000d8c", 0, TERN_STAT_UDP_SHORT),
	BAD("length 7", "04d2162e00078cff68656c6c6f", 0, TERN_STAT_UDP_BAD_LEN),
	BAD("length 0", "04d2162e00008cff68656c6c6f", 0, TERN_STAT_UDP_BAD_LEN),
	BAD("length 14 > 13 bytes", "04d2162e000e8cff68656c6c6f", 0, TERN_STAT_UDP_BAD_LEN),
	BAD("length 65535", "04d2162effff8cff68656c6c6f", TERN_WIRE_NO_CSUM, TERN_STAT_UDP_BAD_LEN),
	BAD("bad checksum", "04d2162e000d8cfe68656c6c6f", 0, TERN_STAT_UDP_BAD_CHECKSUM),
	BAD("flipped payload bit", "04d2162e000d8cff68656c6c6e", 0, TERN_STAT_UDP_BAD_CHECKSUM),
	BAD("checksum 0xffff that does not verify", "04d2162e000dffff68656c6c6f", 0,
	    TERN_STAT_UDP_BAD_CHECKSUM),
	BAD("bytes beyond the length are not summed", "04d2162e000c8cff68656c6c6f", 0,
	    TERN_STAT_UDP_BAD_CHECKSUM),
	{"wrong destination in pseudo-header", "cf08003500258e06" DNS_Q, A, TERN_IP4(10, 0, 0, 3), 0,
	 TERN_STAT_UDP_BAD_CHECKSUM, 0, {0, 0, 0, 0}},
	{"swapped addresses verify (sum commutes)", "cf08003500258e06" DNS_Q, B, A, 0,
	 TERN_STAT_NONE, 1, {53000, 53, 37, 0x8e06}},
};
#define NVECS (sizeof vecs / sizeof vecs[0])

static void check_repr(const char *name, const struct tern_udp_repr *got,
		       const struct tern_udp_repr *want, int check_csum)
{
	int before = test_failed_;
	CHECK_EQ(got->sport, want->sport);
	CHECK_EQ(got->dport, want->dport);
	CHECK_EQ(got->len, want->len);
	if (check_csum)
		CHECK_EQ(got->csum, want->csum);
	if (test_failed_ != before)
		fprintf(stderr, "  (in %s)\n", name);
}

TEST(table)
{
	for (size_t i = 0; i < NVECS; i++) {
		const struct udp_vec *v = &vecs[i];
		size_t n;
		uint8_t *p = hex_alloc(v->hex, &n);
		struct tern_udp_repr r, canary;
		memset(&r, 0x5a, sizeof r);
		memset(&canary, 0x5a, sizeof canary);
		enum tern_stat st = tern_udp_parse(p, n, v->src, v->dst, v->flags, &r);
		if (st != v->expect)
			TEST_FAIL_("%s: got %s, want %s", v->name, tern_stat_name(st),
				   tern_stat_name(v->expect));
		else if (st == TERN_STAT_NONE)
			check_repr(v->name, &r, &v->r, 1);
		else
			CHECK_MEM(&r, &canary, sizeof r);
		free(p);
	}
}

/*
 * Emit each valid row's repr over a copy of the datagram whose header is
 * 0xa5 (the payload already in place, as emit expects): exact rows
 * reproduce it; a zero-checksum row now carries a real checksum; bytes
 * beyond the length are untouched; the result verifies.
 */
TEST(emit_round_trip)
{
	for (size_t i = 0; i < NVECS; i++) {
		const struct udp_vec *v = &vecs[i];
		if (v->expect != TERN_STAT_NONE)
			continue;
		size_t n;
		uint8_t *p = hex_alloc(v->hex, &n);
		uint8_t *q = dup_exact(p, n);
		struct tern_udp_repr r, back;
		REQUIRE_EQ(tern_udp_parse(p, n, v->src, v->dst, v->flags, &r), TERN_STAT_NONE);
		memset(q, 0xa5, TERN_UDP_HLEN);
		tern_udp_emit(&r, q, v->src, v->dst);
		if (v->exact)
			CHECK_MEM(q, p, n);
		else
			CHECK_MEM(q + TERN_UDP_HLEN, p + TERN_UDP_HLEN, n - TERN_UDP_HLEN);
		CHECK(rd16(q + 6) != 0);
		REQUIRE_EQ(tern_udp_parse(q, n, v->src, v->dst, 0, &back), TERN_STAT_NONE);
		check_repr(v->name, &back, &v->r, v->exact);
		free(q);
		free(p);
	}
}

/* RFC 768: a checksum that computes to zero goes out as 0xffff. */
TEST(emit_zero_checksum_as_ffff)
{
	size_t n;
	uint8_t *p = hex_alloc("0fa00fa1000effff7465726ee5ba", &n);
	struct tern_udp_repr r = {.sport = 4000, .dport = 4001, .len = 14, .csum = 0}, back;
	memset(p, 0xa5, TERN_UDP_HLEN);
	tern_udp_emit(&r, p, A, B);
	CHECK_EQ(rd16(p + 6), 0xffff);
	REQUIRE_EQ(tern_udp_parse(p, n, A, B, 0, &back), TERN_STAT_NONE);
	CHECK_EQ(back.csum, 0xffff);
	/* the same datagram with the field zeroed is "no checksum": accepted */
	wr16(p + 6, 0);
	REQUIRE_EQ(tern_udp_parse(p, n, A, B, 0, &back), TERN_STAT_NONE);
	CHECK_EQ(back.csum, 0);
	free(p);
}

/* Emit writes only the 8 header bytes (payload and anything after kept);
 * constructed reprs parse back, for random payloads and addresses. */
TEST(emit_constructed)
{
	uint32_t x = 768;
	for (int iter = 0; iter < 20000; iter++) {
		uint8_t buf[8 + 40 + 8];
		x = x * 1664525u + 1013904223u;
		size_t pay = (x >> 8) % 41;
		struct tern_udp_repr r = {.sport = (uint16_t)(x >> 16), .dport = (uint16_t)x,
					  .len = (uint16_t)(8 + pay)}, back;
		tern_ip4_t src = x * 2654435761u, dst = x ^ 0x5bd1e995u;
		memset(buf, 0xa5, sizeof buf);
		for (size_t j = 0; j < pay; j++)
			buf[8 + j] = (uint8_t)(x >> (j % 24));
		if (iter == 0) { /* all-zero payload to 0.0.0.0: exercises small sums */
			memset(buf + 8, 0, pay);
			src = dst = 0;
		}
		tern_udp_emit(&r, buf, src, dst);
		for (size_t j = 8 + pay; j < sizeof buf; j++)
			CHECK_EQ(buf[j], 0xa5);
		REQUIRE_EQ(tern_udp_parse(buf, 8 + pay, src, dst, 0, &back), TERN_STAT_NONE);
		r.csum = back.csum;
		check_repr("constructed", &back, &r, 0);
		CHECK(back.csum != 0);
		/* and the other direction's pseudo-header does not matter */
		REQUIRE_EQ(tern_udp_parse(buf, 8 + pay, dst, src, 0, &back), TERN_STAT_NONE);
	}
}

/* Every truncation: UDP_SHORT below 8 bytes, then UDP_BAD_LEN (the length
 * field now exceeds the bytes), with and without checksum checks. */
TEST(truncations)
{
	for (size_t i = 0; i < NVECS; i++) {
		const struct udp_vec *v = &vecs[i];
		if (v->expect != TERN_STAT_NONE)
			continue;
		size_t n;
		uint8_t *p = hex_alloc(v->hex, &n);
		for (size_t len = 0; len < n; len++) {
			uint8_t *t = dup_exact(p, len);
			struct tern_udp_repr r;
			enum tern_stat want = len < 8 ? TERN_STAT_UDP_SHORT
					    : len < v->r.len ? TERN_STAT_UDP_BAD_LEN
					    : TERN_STAT_NONE;
			for (unsigned fl = 0; fl <= TERN_WIRE_NO_CSUM; fl++) {
				enum tern_stat st = tern_udp_parse(t, len, v->src, v->dst, v->flags | fl, &r);
				if (st != want)
					TEST_FAIL_("%s truncated to %zu: got %s, want %s", v->name, len,
						   tern_stat_name(st), tern_stat_name(want));
			}
			free(t);
		}
		free(p);
	}
}

/* Every length field value against a 13-byte datagram. */
TEST(length_field)
{
	size_t n;
	uint8_t *p = hex_alloc("04d2162e000d000068656c6c6f", &n); /* zero checksum */
	for (uint32_t ulen = 0; ulen <= 0xffff; ulen++) {
		struct tern_udp_repr r;
		wr16(p + 4, (uint16_t)ulen);
		enum tern_stat st = tern_udp_parse(p, n, A, B, 0, &r);
		if (st != (ulen >= 8 && ulen <= n ? TERN_STAT_NONE : TERN_STAT_UDP_BAD_LEN))
			TEST_FAIL_("length %u: %s", (unsigned)ulen, tern_stat_name(st));
	}
	free(p);
}

TEST_MAIN()
