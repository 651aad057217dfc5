/*
 * test_wire_ipv4.c — the IPv4 header (wire/ipv4.c, RFC 791 §3.1): a table
 * of real and malformed headers with their expected repr or drop reason,
 * emit/parse round trips, every truncation, options and fragment limits.
 * Header checksums in the vectors were computed and checked with scapy.
 */
#include <stdlib.h>
#include <string.h>

#include "wire/checksum.h"
#include "harness.h"
#include "unit/wire_util.h"
#include "wire/ipv4.h"

#define A TERN_IP4(10, 0, 0, 1)
#define B TERN_IP4(10, 0, 0, 2)
#define AB "0a0000010a000002" /* src 10.0.0.1, dst 10.0.0.2 */
#define PL8 "a0a1a2a3a4a5a6a7"
#define ICMP48 "08001ce61c460001101112131415161718191a1b1c1d1e1f20212223" \
	       "2425262728292a2b2c2d2e2f3031323334353637"
#define UDP37 "cf08003500258e06beef01000001000000000000076578616d706c6503636f6d0000010001"

struct ip_vec {
	const char *name, *hex;
	unsigned flags;
	enum tern_stat expect;
	int exact;            /* emit reproduces the header byte for byte */
	const char *opts;     /* expected options, hex */
	struct tern_ipv4_repr r;
};

/* Valid rows give the whole repr (options compared through .opts). */
#define OK(nm, hx, ex, op, ...) {nm, hx, 0, TERN_STAT_NONE, ex, op, {__VA_ARGS__}}
#define BAD(nm, hx, fl, st) {nm, hx, fl, st, 0, "", {0}}

static const struct ip_vec vecs[] = {
	OK("icmp echo request, df", "4500004412344000400114830a0000010a000002" ICMP48, 1, "",
	   .hlen = 20, .total_len = 68, .id = 0x1234, .df = true, .ttl = 64, .proto = 1,
	   .csum = 0x1483, .src = A, .dst = B),
	OK("udp dns query", "4500003900010000401166b1" AB UDP37, 1, "",
	   .hlen = 20, .total_len = 57, .id = 1, .ttl = 64, .proto = 17, .csum = 0x66b1,
	   .src = A, .dst = B),
	OK("router alert option, tos 0xc0, ttl 1", "46c00020424200000102cdd3" AB "94040000" PL8, 1,
	   "94040000", .hlen = 24, .tos = 0xc0, .total_len = 32, .id = 0x4242, .ttl = 1,
	   .proto = 2, .csum = 0xcdd3, .src = A, .dst = B),
	OK("nop nop nop eol, junk after eol", "470000244242000040112084" AB "010101000000ffff" PL8, 1,
	   "010101000000ffff", .hlen = 28, .total_len = 36, .id = 0x4242, .ttl = 64,
	   .proto = 17, .csum = 0x2084, .src = A, .dst = B),
	OK("record route", "47000024424200004001178e" AB "0707040000000000" PL8, 1,
	   "0707040000000000", .hlen = 28, .total_len = 36, .id = 0x4242, .ttl = 64,
	   .proto = 1, .csum = 0x178e, .src = A, .dst = B),
	OK("option ending exactly at header end", "47000024424200004011167e" AB "0101070604000000" PL8,
	   1, "0101070604000000", .hlen = 28, .total_len = 36, .id = 0x4242, .ttl = 64,
	   .proto = 17, .csum = 0x167e, .src = A, .dst = B),
	OK("60-byte header", "4f00003c4242000040110f46" AB "072704"
	   "00000000000000000000000000000000000000000000000000000000000000000000000000", 1,
	   "07270400000000000000000000000000000000000000000000000000000000000000000000000000",
	   .hlen = 60, .total_len = 60, .id = 0x4242, .ttl = 64, .proto = 17, .csum = 0x0f46,
	   .src = A, .dst = B),
	OK("fragment with mf, offset 1480", "4500001cabcd20b940119a48" AB PL8, 1, "",
	   .hlen = 20, .total_len = 28, .id = 0xabcd, .mf = true, .frag_off = 1480, .ttl = 64,
	   .proto = 17, .csum = 0x9a48, .src = A, .dst = B),
	OK("last fragment ending at 65535", "4500001b42421fff4011048f" AB "00000000000000", 1, "",
	   .hlen = 20, .total_len = 27, .id = 0x4242, .frag_off = 65528, .ttl = 64, .proto = 17,
	   .csum = 0x048f, .src = A, .dst = B),
	OK("fragment ending at 65528", "4500001c42421ffe4011048f" AB "0000000000000000", 1, "",
	   .hlen = 20, .total_len = 28, .id = 0x4242, .frag_off = 65520, .ttl = 64, .proto = 17,
	   .csum = 0x048f, .src = A, .dst = B),
	OK("ethernet padding after total_len", "4500001c424200004011248d" AB PL8
	   "000000000000000000000000000000000000", 1, "",
	   .hlen = 20, .total_len = 28, .id = 0x4242, .ttl = 64, .proto = 17, .csum = 0x248d,
	   .src = A, .dst = B),
	OK("checksum field 0x0000", "4500001466d7000040110000" AB, 1, "",
	   .hlen = 20, .total_len = 20, .id = 0x66d7, .ttl = 64, .proto = 17, .csum = 0,
	   .src = A, .dst = B),
	OK("checksum field 0xffff (-0) verifies", "4500001466d700004011ffff" AB, 0, "",
	   .hlen = 20, .total_len = 20, .id = 0x66d7, .ttl = 64, .proto = 17, .csum = 0xffff,
	   .src = A, .dst = B),
	OK("reserved flag set is ignored", "4500001c424280004011a48c" AB PL8, 0, "",
	   .hlen = 20, .total_len = 28, .id = 0x4242, .ttl = 64, .proto = 17, .csum = 0xa48c,
	   .src = A, .dst = B),
	{"bad checksum accepted with NO_CSUM", "4500004412344000400114840a0000010a000002" ICMP48,
	 TERN_WIRE_NO_CSUM, TERN_STAT_NONE, 0, "",
	 {.hlen = 20, .total_len = 68, .id = 0x1234, .df = true, .ttl = 64, .proto = 1,
	  .csum = 0x1484, .src = A, .dst = B}},

	BAD("empty", "", 0, TERN_STAT_IP_SHORT),
	BAD("19 bytes", "4500001342420000401124960a0000010a0000", 0, TERN_STAT_IP_SHORT),
	BAD("version 6", "6500001c424200004011048d" AB PL8, 0, TERN_STAT_IP_BAD_VERSION),
	BAD("version 0", "0500001c424200004011048d" AB PL8, 0, TERN_STAT_IP_BAD_VERSION),
	BAD("version 6, no csum", "6500001c424200004011048d" AB PL8, TERN_WIRE_NO_CSUM,
	    TERN_STAT_IP_BAD_VERSION),
	BAD("ihl 4", "4400001c424200004011258d" AB PL8, 0, TERN_STAT_IP_BAD_HLEN),
	BAD("ihl 0", "4000001c424200004011258d" AB PL8, 0, TERN_STAT_IP_BAD_HLEN),
	BAD("ihl 15 in 20 bytes", "4f0000144242000040111a95" AB, 0, TERN_STAT_IP_BAD_HLEN),
	BAD("ihl 6 in 20 bytes", "460000144242000040110000" AB, 0, TERN_STAT_IP_BAD_HLEN),
	BAD("total_len 19 < hlen", "4500001342420000401124960a0000010a000002" PL8, 0,
	    TERN_STAT_IP_BAD_TOTAL_LEN),
	BAD("total_len 22 < hlen 24", "46c00016424200000102cdd3" AB "94040000" PL8, 0,
	    TERN_STAT_IP_BAD_TOTAL_LEN),
	BAD("total_len 0", "450000004242000040112496" AB PL8, 0, TERN_STAT_IP_BAD_TOTAL_LEN),
	BAD("total_len 84 > 28 bytes", "450000544242000040112455" AB PL8, 0,
	    TERN_STAT_IP_BAD_TOTAL_LEN),
	BAD("bad checksum", "4500004412344000400114840a0000010a000002" ICMP48, 0,
	    TERN_STAT_IP_BAD_CHECKSUM),
	BAD("flipped source bit", "4500004412344000400114830a0000110a000002" ICMP48, 0,
	    TERN_STAT_IP_BAD_CHECKSUM),
	BAD("option length 0", "460000204242000040111c89" AB "07000000" PL8, 0,
	    TERN_STAT_IP_BAD_OPTIONS),
	BAD("option length 1", "460000204242000040111c88" AB "07010000" PL8, 0,
	    TERN_STAT_IP_BAD_OPTIONS),
	BAD("option past the header", "460000204242000040111881" AB "07080400" PL8, 0, TERN_STAT_IP_BAD_OPTIONS),
	BAD("option type in the last byte", "460000204242000040112181" AB "01010107" PL8, 0,
	    TERN_STAT_IP_BAD_OPTIONS),
	BAD("option after nops past the header", "47000024424200004011167c" AB "0101070804000000" PL8,
	    0, TERN_STAT_IP_BAD_OPTIONS),
	BAD("option length 0, no csum", "460000204242000040110000" AB "07000000" PL8,
	    TERN_WIRE_NO_CSUM, TERN_STAT_IP_BAD_OPTIONS),
	BAD("bad checksum checked before options", "460000204242000040111c88" AB "07000000" PL8, 0,
	    TERN_STAT_IP_BAD_CHECKSUM),
	BAD("fragment past 65535", "4500001c42421fff4011048e" AB "0000000000000000", 0,
	    TERN_STAT_IP_BAD_FRAG),
	BAD("fragment past 65535, mf, no csum", "4500001c42423fff40110000" AB "0000000000000000",
	    TERN_WIRE_NO_CSUM, TERN_STAT_IP_BAD_FRAG),
};
#define NVECS (sizeof vecs / sizeof vecs[0])

static void check_repr(const char *name, const struct tern_ipv4_repr *got,
		       const struct tern_ipv4_repr *want, const char *opts_hex, int check_csum)
{
	size_t on;
	uint8_t *opts = hex_alloc(opts_hex, &on);
	CHECK_EQ(got->hlen, want->hlen);
	CHECK_EQ(got->tos, want->tos);
	CHECK_EQ(got->total_len, want->total_len);
	CHECK_EQ(got->id, want->id);
	CHECK_EQ(got->df, want->df);
	CHECK_EQ(got->mf, want->mf);
	CHECK_EQ(got->frag_off, want->frag_off);
	CHECK_EQ(got->ttl, want->ttl);
	CHECK_EQ(got->proto, want->proto);
	if (check_csum)
		CHECK_EQ(got->csum, want->csum);
	CHECK_EQ(got->src, want->src);
	CHECK_EQ(got->dst, want->dst);
	CHECK_EQ(got->options_len, on);
	if (on) {
		REQUIRE(got->options != NULL);
		CHECK_MEM(got->options, opts, on);
	} else {
		CHECK(got->options == NULL);
	}
	if (test_failed_)
		fprintf(stderr, "  (in %s)\n", name);
	free(opts);
}

TEST(table)
{
	for (size_t i = 0; i < NVECS; i++) {
		const struct ip_vec *v = &vecs[i];
		size_t n;
		uint8_t *p = hex_alloc(v->hex, &n);
		struct tern_ipv4_repr r, canary;
		memset(&r, 0x5a, sizeof r);
		memset(&canary, 0x5a, sizeof canary);
		enum tern_stat st = tern_ipv4_parse(p, n, v->flags, &r);
		if (st != v->expect)
			TEST_FAIL_("%s: got %s, want %s", v->name, tern_stat_name(st),
				   tern_stat_name(v->expect));
		else if (st == TERN_STAT_NONE) {
			check_repr(v->name, &r, &v->r, v->opts, 1);
			CHECK(r.options == NULL || r.options == p + 20); /* points into buf */
		} else
			CHECK_MEM(&r, &canary, sizeof r);
		free(p);
	}
}

/*
 * Emit each valid row's repr over a copy of the packet whose header bytes
 * are 0xa5: exact rows reproduce the header; the payload is untouched;
 * the result always parses (with checksum verification) to the same repr.
 */
TEST(emit_round_trip)
{
	for (size_t i = 0; i < NVECS; i++) {
		const struct ip_vec *v = &vecs[i];
		if (v->expect != TERN_STAT_NONE)
			continue;
		size_t n;
		uint8_t *p = hex_alloc(v->hex, &n);
		uint8_t *q = dup_exact(p, n);
		struct tern_ipv4_repr r, back;
		REQUIRE_EQ(tern_ipv4_parse(p, n, v->flags, &r), TERN_STAT_NONE);
		memset(q, 0xa5, r.hlen);
		tern_ipv4_emit(&r, q);
		if (v->exact)
			CHECK_MEM(q, p, n);
		else
			CHECK_MEM(q + r.hlen, p + r.hlen, n - r.hlen);
		CHECK_EQ(tern_csum(q, r.hlen), 0);
		REQUIRE_EQ(tern_ipv4_parse(q, n, 0, &back), TERN_STAT_NONE);
		check_repr(v->name, &back, &v->r, v->opts, v->exact);
		free(q);
		free(p);
	}
}

/* Emit writes exactly hlen bytes: the rest of a 0xa5 buffer stays. */
TEST(emit_writes_only_header)
{
	static const uint8_t opts[8] = {0x01, 0x01, 0x94, 0x04, 0x00, 0x00, 0x00, 0x00};
	for (unsigned hlen = 20; hlen <= 28; hlen += 8) {
		uint8_t buf[64];
		struct tern_ipv4_repr r = {.hlen = (uint8_t)hlen, .total_len = (uint16_t)hlen,
					   .ttl = 64, .proto = 6, .src = A, .dst = B};
		if (hlen > 20) {
			r.options = opts;
			r.options_len = 8;
		}
		memset(buf, 0xa5, sizeof buf);
		tern_ipv4_emit(&r, buf);
		for (size_t j = hlen; j < sizeof buf; j++)
			CHECK_EQ(buf[j], 0xa5);
		struct tern_ipv4_repr back;
		REQUIRE_EQ(tern_ipv4_parse(buf, hlen, 0, &back), TERN_STAT_NONE);
		CHECK_EQ(back.hlen, hlen);
	}
}

/* Reprs built by protocol code: every flag and offset combination, tos,
 * ttl 0 and 255, options copied, aliased, or shorter than the space. */
TEST(emit_constructed)
{
	static const uint16_t offs[] = {0, 8, 1480, 65520, 65528};
	for (size_t k = 0; k < sizeof offs / sizeof offs[0]; k++) {
		for (int flags = 0; flags < 4; flags++) {
			uint8_t *buf = malloc(20);
			struct tern_ipv4_repr r = {
				.hlen = 20, .tos = (uint8_t)(0xb8 | flags), .total_len = 20,
				.id = (uint16_t)(0x1000 + k), .df = flags & 1, .mf = (flags >> 1) & 1,
				.frag_off = offs[k], .ttl = (uint8_t)(flags ? 255 : 0), .proto = 6,
				.src = TERN_IP4(192, 168, 1, 1), .dst = TERN_IP4(8, 8, 8, 8),
			}, back;
			tern_ipv4_emit(&r, buf);
			REQUIRE_EQ(tern_ipv4_parse(buf, 20, 0, &back), TERN_STAT_NONE);
			r.csum = back.csum;
			check_repr("constructed", &back, &r, "", 1);
			CHECK_EQ(buf[6] & 0x80, 0); /* reserved bit */
			free(buf);
		}
	}
}

TEST(emit_options)
{
	static const uint8_t ra[4] = {0x94, 0x04, 0x00, 0x00};
	uint8_t buf[40];
	struct tern_ipv4_repr r = {.hlen = 28, .total_len = 28, .ttl = 1, .proto = 2,
				   .src = A, .dst = TERN_IP4(224, 0, 0, 22),
				   .options = ra, .options_len = 4}, back;

	/* fewer option bytes than the space: the rest is zero (EOL) */
	memset(buf, 0xa5, sizeof buf);
	tern_ipv4_emit(&r, buf);
	CHECK_EQ(buf[0], 0x47);
	CHECK_MEM(buf + 20, ra, 4);
	for (int j = 24; j < 28; j++)
		CHECK_EQ(buf[j], 0);
	REQUIRE_EQ(tern_ipv4_parse(buf, 28, 0, &back), TERN_STAT_NONE);
	CHECK_EQ(back.options_len, 8);

	/* options already in place (aliasing buf + 20) stay as they are */
	uint8_t before[28];
	memcpy(before, buf, 28);
	memset(buf, 0xa5, 20);
	r.options = buf + 20;
	r.options_len = 8;
	tern_ipv4_emit(&r, buf);
	CHECK_MEM(buf, before, 28);
}

/*
 * Every truncation of every valid packet, each in an allocation of exactly
 * that length: IP_SHORT below 20 bytes, IP_BAD_HLEN below the header
 * length, IP_BAD_TOTAL_LEN below total_len; beyond total_len (padding)
 * it still parses.
 */
TEST(truncations)
{
	for (size_t i = 0; i < NVECS; i++) {
		const struct ip_vec *v = &vecs[i];
		if (v->expect != TERN_STAT_NONE)
			continue;
		size_t n;
		uint8_t *p = hex_alloc(v->hex, &n);
		for (size_t len = 0; len < n; len++) {
			uint8_t *t = dup_exact(p, len);
			struct tern_ipv4_repr r;
			enum tern_stat want = len < 20 ? TERN_STAT_IP_SHORT
					    : len < v->r.hlen ? TERN_STAT_IP_BAD_HLEN
					    : len < v->r.total_len ? TERN_STAT_IP_BAD_TOTAL_LEN
					    : TERN_STAT_NONE;
			for (unsigned fl = 0; fl <= TERN_WIRE_NO_CSUM; fl++) {
				enum tern_stat st = tern_ipv4_parse(t, len, v->flags | fl, &r);
				if (st != want)
					TEST_FAIL_("%s truncated to %zu: got %s, want %s", v->name, len,
						   tern_stat_name(st), tern_stat_name(want));
			}
			free(t);
		}
		free(p);
	}
}

/* Fragment limit (RFC 791 §3.2): offset + payload <= 65535, at every
 * offset near the top and with and without MF. */
TEST(fragment_limit)
{
	uint8_t buf[20 + 64];
	memset(buf, 0, sizeof buf);
	for (unsigned off = 8180; off <= 8191; off++) {
		for (unsigned pay = 0; pay <= 64; pay++) {
			struct tern_ipv4_repr r = {.hlen = 20, .total_len = (uint16_t)(20 + pay),
						   .mf = pay & 1, .frag_off = (uint16_t)(off * 8),
						   .ttl = 9, .proto = 17, .src = A, .dst = B}, back;
			tern_ipv4_emit(&r, buf);
			enum tern_stat st = tern_ipv4_parse(buf, 20 + pay, 0, &back);
			CHECK_EQ(st, off * 8 + pay > 65535 ? TERN_STAT_IP_BAD_FRAG : TERN_STAT_NONE);
		}
	}
}

/* RFC 791 §3.1 read literally, as a recursive definition: an option list
 * is empty, or EOL (the rest is padding), or NOP and a list, or an option
 * of length 2..n and a list. An independent reference for the parser. */
static int ref_opts_ok(const uint8_t *o, size_t n)
{
	if (n == 0 || o[0] == 0)
		return 1;
	if (o[0] == 1)
		return ref_opts_ok(o + 1, n - 1);
	if (n < 2 || o[1] < 2 || o[1] > n)
		return 0;
	return ref_opts_ok(o + o[1], n - o[1]);
}

static void check_opts(const uint8_t *opt, size_t n)
{
	uint8_t buf[60];
	struct tern_ipv4_repr r = {.hlen = (uint8_t)(20 + n), .total_len = (uint16_t)(20 + n),
				   .ttl = 1, .proto = 17, .src = A, .dst = B,
				   .options = opt, .options_len = (uint8_t)n}, back;
	tern_ipv4_emit(&r, buf);
	uint8_t *exact = dup_exact(buf, 20 + n); /* options end at the allocation's end */
	enum tern_stat st = tern_ipv4_parse(exact, 20 + n, 0, &back);
	free(exact);
	if (st != (ref_opts_ok(opt, n) ? TERN_STAT_NONE : TERN_STAT_IP_BAD_OPTIONS)) {
		char hex[128] = "";
		for (size_t i = 0; i < n; i++)
			snprintf(hex + 2 * i, 3, "%02x", opt[i]);
		TEST_FAIL_("options %s: %s", hex, tern_stat_name(st));
	}
}

/* Every 4-byte option area over an alphabet of interesting bytes, then
 * random 8..40-byte areas, against the reference. */
TEST(options_against_reference)
{
	static const uint8_t alpha[] = {0, 1, 2, 3, 4, 5, 7, 8, 0x44, 0x94, 0xff};
	const size_t na = sizeof alpha;
	for (size_t a = 0; a < na; a++)
		for (size_t b = 0; b < na; b++)
			for (size_t c = 0; c < na; c++)
				for (size_t d = 0; d < na; d++) {
					uint8_t opt[4] = {alpha[a], alpha[b], alpha[c], alpha[d]};
					check_opts(opt, 4);
				}
	uint32_t x = 791;
	for (int iter = 0; iter < 200000; iter++) {
		uint8_t opt[40];
		x = x * 1664525u + 1013904223u;
		size_t n = 4 * (2 + (x >> 8) % 9);
		for (size_t i = 0; i < n; i++) {
			x = x * 1664525u + 1013904223u;
			/* mostly small values, so lengths often fit */
			opt[i] = (x >> 28) < 12 ? (uint8_t)((x >> 16) % 12) : (uint8_t)(x >> 8);
		}
		check_opts(opt, n);
	}
}

TEST(address_classes)
{
	CHECK(tern_ip4_is_multicast(TERN_IP4(224, 0, 0, 1)));
	CHECK(tern_ip4_is_multicast(TERN_IP4(239, 255, 255, 255)));
	CHECK(!tern_ip4_is_multicast(TERN_IP4(240, 0, 0, 0)));
	CHECK(tern_ip4_is_loopback(TERN_IP4(127, 0, 0, 1)));
	CHECK(!tern_ip4_is_loopback(TERN_IP4(128, 0, 0, 1)));
	CHECK(tern_ip4_is_zeronet(TERN_IP4(0, 1, 2, 3)));
	CHECK(tern_ip4_is_class_e(TERN_IP4(240, 0, 0, 1)));
	CHECK(!tern_ip4_is_class_e(TERN_IP4_BROADCAST));
}

TEST_MAIN()
