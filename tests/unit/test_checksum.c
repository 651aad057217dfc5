/*
 * test_checksum.c — the Internet checksum (wire/checksum.c) against the
 * RFC 1071 example, real headers, a byte-pair reference for every short
 * length and alignment, and RFC 1624 incremental updates against full
 * recomputation (including the -0 corner of RFC 1624 §4).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/checksum.h"
#include "harness.h"
#include "wire/bytes.h"

/* A fixed-seed xorshift64*, so failures reproduce. */
static uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void rnd_fill(uint64_t *s, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd_next(s);
}

/* The definition, one big-endian byte pair at a time (RFC 1071 §1), with
 * an initial 32-bit partial sum. Returns the folded sum (not complemented). */
static uint16_t ref_sum(const uint8_t *p, size_t n, uint32_t init)
{
	uint64_t s = init;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint16_t ref_csum(const uint8_t *p, size_t n)
{
	return (uint16_t)~ref_sum(p, n, 0);
}

static uint8_t *from_hex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2;
	uint8_t *p = malloc(n ? n : 1);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		p[i] = (uint8_t)v;
	}
	*len = n;
	return p;
}

/* RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (checksum 220d). */
TEST(rfc1071_example)
{
	static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	uint32_t s = tern_csum_partial(b, sizeof b, 0);
	CHECK_EQ((uint16_t)~tern_csum_fold(s), 0xddf2);
	CHECK_EQ(tern_csum_fold(s), 0x220d);
	CHECK_EQ(tern_csum(b, sizeof b), 0x220d);
	CHECK_EQ(ref_csum(b, sizeof b), 0x220d);
}

/* Real headers whose checksums were computed independently (scapy). */
static const struct {
	const char *name, *hex;
	size_t csum_off;
	uint16_t csum;
} real_vectors[] = {
	{"ipv4 udp 192.168.0.1 > .199", "45000073000040004011" "0000" "c0a80001c0a800c7", 10, 0xb861},
	{"ipv4 icmp ping", "450000441234400040010000" "0a0000010a000002", 10, 0x1483},
	{"ipv4 router alert", "46c000204242000001020000" "0a0000010a00000294040000", 10, 0xcdd3},
	{"icmp echo", "080000001c460001101112131415161718191a1b1c1d1e1f2021222324252627"
		      "28292a2b2c2d2e2f3031323334353637", 2, 0x1ce6},
	{"icmp port unreach", "030300000000000045000039000100004011" "66b10a0000010a000002"
			      "cf08003500258e06", 2, 0x9f93},
};

TEST(real_headers)
{
	for (size_t i = 0; i < sizeof real_vectors / sizeof real_vectors[0]; i++) {
		size_t n;
		uint8_t *p = from_hex(real_vectors[i].hex, &n);
		CHECK_EQ(tern_csum(p, n), real_vectors[i].csum);
		wr16(p + real_vectors[i].csum_off, real_vectors[i].csum);
		CHECK_EQ(tern_csum(p, n), 0); /* a correct checksum sums to 0 */
		free(p);
	}
}

/* The fast path against the reference for every length 0..64 at every
 * alignment 0..7, the data ending exactly at the end of its allocation
 * (so ASan catches any over-read). Random, all-ones and all-zero data. */
TEST(all_lengths_and_alignments)
{
	uint64_t seed = 0x1071;
	for (size_t len = 0; len <= 64; len++) {
		for (size_t align = 0; align < 8; align++) {
			uint8_t *buf = malloc(align + len + (align + len == 0));
			uint8_t *p = buf + align;
			for (int pattern = 0; pattern < 3; pattern++) {
				if (pattern == 0)
					rnd_fill(&seed, p, len);
				else
					memset(p, pattern == 1 ? 0xff : 0, len);
				uint32_t init = (uint32_t)rnd_next(&seed);
				CHECK_EQ(tern_csum(p, len), ref_csum(p, len));
				CHECK_EQ(tern_csum_fold(tern_csum_partial(p, len, init)),
					 (uint16_t)~ref_sum(p, len, init));
			}
			free(buf);
		}
	}
}

TEST(long_random_buffers)
{
	uint64_t seed = 42;
	for (int iter = 0; iter < 300; iter++) {
		size_t len = (size_t)(rnd_next(&seed) % 9100);
		size_t align = (size_t)(rnd_next(&seed) % 8);
		uint8_t *buf = malloc(align + len + 1);
		rnd_fill(&seed, buf + align, len);
		CHECK_EQ(tern_csum(buf + align, len), ref_csum(buf + align, len));
		free(buf);
	}
	/* 64 KiB of 0xff: the accumulator's end-around carry every step. */
	uint8_t *big = malloc(65536);
	memset(big, 0xff, 65536);
	CHECK_EQ(tern_csum(big, 65536), ref_csum(big, 65536));
	CHECK_EQ(tern_csum(big, 65535), ref_csum(big, 65535));
	free(big);
}

/* Partial sums of consecutive ranges add up, if all but the last range
 * have even length (checksum.h). */
TEST(partial_sums_chain)
{
	uint64_t seed = 7;
	uint8_t buf[301];
	rnd_fill(&seed, buf, sizeof buf);
	for (size_t cut = 0; cut <= sizeof buf; cut += 2) {
		uint32_t s = tern_csum_partial(buf, cut, 0);
		s = tern_csum_partial(buf + cut, sizeof buf - cut, s);
		CHECK_EQ(tern_csum_fold(s), ref_csum(buf, sizeof buf));
	}
}

TEST(partial_carry_near_2_32)
{
	static const uint8_t b[] = {0xff, 0xff, 0xff, 0xff, 0x12, 0x34};
	uint32_t inits[] = {0xffffffffu, 0xfffffffeu, 0xffff0000u, 0x80000000u, 0};
	for (size_t i = 0; i < sizeof inits / sizeof inits[0]; i++) {
		uint32_t s = tern_csum_partial(b, sizeof b, inits[i]);
		CHECK_EQ((uint16_t)~tern_csum_fold(s), ref_sum(b, sizeof b, inits[i]));
	}
}

TEST(fold)
{
	CHECK_EQ(tern_csum_fold(0), 0xffff);
	CHECK_EQ(tern_csum_fold(0xffff), 0);
	CHECK_EQ(tern_csum_fold(0x10000), 0xfffe);
	CHECK_EQ(tern_csum_fold(0x1fffe), 0);
	CHECK_EQ(tern_csum_fold(0xffffffffu), 0);
	CHECK_EQ(tern_csum_fold(0x2ddf0), 0x220d); /* RFC 1071 §3 */
}

/* The pseudo-header sum equals the checksum of the 12 bytes RFC 768
 * describes: src, dst, zero, protocol, length. */
TEST(pseudo_header)
{
	uint64_t seed = 768;
	for (int i = 0; i < 1000; i++) {
		uint8_t ph[12];
		tern_ip4_t src = (tern_ip4_t)rnd_next(&seed), dst = (tern_ip4_t)rnd_next(&seed);
		uint8_t proto = (uint8_t)rnd_next(&seed);
		uint16_t len = (uint16_t)rnd_next(&seed);
		if (i == 0)
			src = dst = 0xffffffffu, proto = 0xff, len = 0xffff;
		wr32(ph, src);
		wr32(ph + 4, dst);
		ph[8] = 0;
		ph[9] = proto;
		wr16(ph + 10, len);
		CHECK_EQ(tern_csum_fold(tern_csum_pseudo4(src, dst, proto, len)), ref_csum(ph, 12));
	}
}

/* RFC 1624 §4: m = 0x5555 -> 0x3285 with the other words summing to
 * 0xcd7a. Recomputation gives 0x0000; eqn. 3 must too (eqn. 2 gave the
 * -0 value 0xffff). */
TEST(rfc1624_minus_zero)
{
	uint8_t h[6];
	wr16(h, 0xcd7a);
	wr16(h + 2, 0x5555);
	wr16(h + 4, 0);
	uint16_t hc = tern_csum(h, 6);
	CHECK_EQ(hc, 0xdd2f);
	wr16(h + 2, 0x3285);
	CHECK_EQ(tern_csum(h, 6), 0x0000);
	CHECK_EQ(tern_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
	/* and back again, from a zero checksum */
	CHECK_EQ(tern_csum_update16(0x0000, 0x3285, 0x5555), 0xdd2f);
}

/* The routers' everyday case: decrement TTL in a real header. */
TEST(ttl_decrement)
{
	size_t n;
	uint8_t *h = from_hex("45000073000040004011b861c0a80001c0a800c7", &n);
	uint16_t old = rd16(h + 8);
	h[8]--;
	uint16_t c = tern_csum_update16(0xb861, old, rd16(h + 8));
	wr16(h + 10, 0);
	CHECK_EQ(c, tern_csum(h, n));
	CHECK_EQ(c, 0xb961);
	free(h);
}

/*
 * Random 20-byte headers (never all zero), a random word changed to a
 * random value or to the value that makes the new sum -0 (0xffff, so the
 * new checksum is 0x0000): the update equals recomputation, and the
 * updated header verifies.
 */
TEST(update16_matches_recompute)
{
	uint64_t seed = 1624;
	int minus_zero_hits = 0;
	for (int iter = 0; iter < 20000; iter++) {
		uint8_t h[20];
		rnd_fill(&seed, h, sizeof h);
		h[0] |= 0x40; /* like every IPv4 header: not all zero */
		wr16(h + 10, 0);
		wr16(h + 10, tern_csum(h, 20));
		size_t w = (size_t)(rnd_next(&seed) % 9);
		w = w >= 5 ? w + 1 : w; /* any word but the checksum itself */
		uint16_t old = rd16(h + 2 * w), nw = (uint16_t)rnd_next(&seed);
		if (iter % 4 == 0) {
			/* choose nw so the others plus nw fold to 0xffff */
			wr16(h + 2 * w, 0);
			wr16(h + 10, 0);
			nw = (uint16_t)~ref_sum(h, 20, 0);
			wr16(h + 2 * w, old);
			wr16(h + 10, 0);
			wr16(h + 10, tern_csum(h, 20));
		} else if (iter % 4 == 1) {
			nw = old;
		}
		uint16_t upd = tern_csum_update16(rd16(h + 10), old, nw);
		wr16(h + 2 * w, nw);
		wr16(h + 10, 0);
		uint16_t fresh = tern_csum(h, 20);
		CHECK_EQ(upd, fresh);
		minus_zero_hits += fresh == 0;
		wr16(h + 10, upd);
		CHECK_EQ(tern_csum(h, 20), 0);
	}
	CHECK(minus_zero_hits >= 4000);
}

/*
 * tern_csum_copy against memcpy + tern_csum_partial: every length 0..300,
 * source and destination each at every alignment 0..7, both ending at the
 * end of their allocations (ASan catches an over-read or over-write), the
 * destination's neighbours untouched, and a random initial partial sum.
 */
TEST(copy_matches_memcpy_and_partial)
{
	uint64_t seed = 0xc0b1;
	for (size_t len = 0; len <= 300; len++) {
		for (size_t sa = 0; sa < 8; sa++) {
			for (size_t da = 0; da < 8; da++) {
				uint8_t *sbuf = malloc(sa + len + 1), *dbuf = malloc(da + len + 1);
				uint8_t *src = sbuf + sa, *dst = dbuf + da;
				rnd_fill(&seed, src, len);
				memset(dbuf, 0xa5, da + len + 1);
				if (len == 300 && sa == 0)
					memset(src, 0xff, len); /* carries every word */
				uint32_t init = (uint32_t)rnd_next(&seed);
				uint32_t got = tern_csum_copy(dst, src, len, init);
				CHECK_EQ(got, tern_csum_partial(src, len, init));
				CHECK_MEM(dst, src, len);
				for (size_t i = 0; i < da; i++)
					CHECK_EQ(dbuf[i], 0xa5);
				CHECK_EQ(dst[len], 0xa5);
				free(dbuf);
				free(sbuf);
			}
		}
	}
}

/* tern_csum_words, the headers' inline sum, gives tern_csum_partial's
 * value: every whole-word length to 60 at every alignment, random,
 * all-ones and all-zero words, random initial sums and ones near 2^32. */
TEST(words_match_partial)
{
	uint64_t seed = 0x3232;
	for (size_t len = 0; len <= 60; len += 4) {
		for (size_t align = 0; align < 8; align++) {
			uint8_t *buf = malloc(align + len + 1);
			uint8_t *p = buf + align;
			for (int pattern = 0; pattern < 4; pattern++) {
				if (pattern == 0 || pattern == 3)
					rnd_fill(&seed, p, len);
				else
					memset(p, pattern == 1 ? 0xff : 0, len);
				uint32_t init = pattern == 3 ? 0xffffffffu - (uint32_t)(rnd_next(&seed) % 3)
							     : (uint32_t)rnd_next(&seed);
				CHECK_EQ(tern_csum_words(p, len, init), tern_csum_partial(p, len, init));
				CHECK_EQ(tern_csum_words(p, len, 0), tern_csum_partial(p, len, 0));
			}
			free(buf);
		}
	}
}

/* Two pieces of a buffer cut anywhere, odd or even: their partial sums
 * joined equal the sum of the whole (checksum.h, tern_csum_join). */
TEST(join_at_any_cut)
{
	uint64_t seed = 1071;
	uint8_t buf[301];
	rnd_fill(&seed, buf, sizeof buf);
	for (size_t cut = 0; cut <= sizeof buf; cut++) {
		uint32_t init = (uint32_t)rnd_next(&seed);
		uint32_t a = tern_csum_partial(buf, cut, init);
		uint32_t b = tern_csum_copy((uint8_t[301]){0}, buf + cut, sizeof buf - cut, 0);
		CHECK_EQ(tern_csum_fold(tern_csum_join(a, cut, b)),
			 (uint16_t)~ref_sum(buf, sizeof buf, init));
	}
}

TEST_MAIN()
