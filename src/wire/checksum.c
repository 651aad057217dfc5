/*
 * wire/checksum.c — the Internet checksum (RFC 1071) and its incremental
 * update (RFC 1624). Every wire module that carries a checksum (ipv4, icmp,
 * udp, tcp) calls these; nothing here knows about packets.
 *
 * The fast path follows RFC 1071 §2: the one's-complement sum is
 *   (A) commutative and associative, so words may be added in any grouping;
 *   (B) byte-order independent, so we may add the data in the machine's
 *       native order and swap the folded result once at the end;
 *   (C) computable on wider words: a 64-bit accumulator with end-around
 *       carry holds the sum of 32- or 64-bit words, and folding it down to
 *       16 bits later gives the same one's-complement sum, because
 *       2^16 ≡ 1 (mod 2^16 - 1).
 * Loads go through memcpy, so any alignment and any length are safe and the
 * compiler still emits single word loads where the CPU allows them.
 */
#include "wire/checksum.h"

#include <string.h>

#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define CSUM_BIG_ENDIAN 1
#else
#define CSUM_BIG_ENDIAN 0
#endif

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

/* a + b with the carry out of bit 63 added back in (end-around carry). */
static inline uint64_t add_eac(uint64_t a, uint64_t b)
{
	uint64_t s = a + b;
	return s + (s < b);
}

/* Fold a 64-bit one's-complement accumulator to 16 bits, same residue
 * modulo 0xffff. Each step keeps the value congruent: hi*2^32 + lo ≡ hi + lo.
 * The result is 0 only if acc was 0. */
static inline uint16_t fold64(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32); /* < 2^33 */
	acc = (acc & 0xffffffffu) + (acc >> 32); /* <= 2^32 */
	acc = (acc & 0xffffu) + (acc >> 16);     /* <= 0x1fffe (2^32 -> 0x10000) */
	acc = (acc & 0xffffu) + (acc >> 16);     /* <= 0xffff */
	return (uint16_t)acc;
}

static inline uint16_t swap16(uint16_t v)
{
	return (uint16_t)((v << 8) | (v >> 8));
}

/*
 * Sum the bytes in native word order, copying them to dst on the way if dst
 * is not NULL. Bytes at even offsets from src are the high half of a
 * big-endian 16-bit word; after the final swap on a little-endian host they
 * are again (RFC 1071 §2(B)). The tail (< 8 bytes) is zero-padded, which is
 * also how an odd final byte is padded.
 *
 * Always inlined into its two callers, where dst is either the constant
 * NULL (tern_csum_partial: the stores vanish) or a real pointer
 * (tern_csum_copy: each word is loaded once, stored and added), so the sum
 * and the copy share one loop without costing the plain sum anything.
 */
#if defined(__x86_64__) && defined(__GNUC__)
/* acc + the eight 64-bit words at p, with end-around carry: one carry
 * chain (add, then add-with-carry), as the processor adds. C cannot say
 * it, and add_eac's compare-and-add costs three instructions a word where
 * this costs one. */
static inline uint64_t add64_block(uint64_t acc, const uint8_t *p)
{
	__asm__("addq 0(%1), %0\n\t"
		"adcq 8(%1), %0\n\t"
		"adcq 16(%1), %0\n\t"
		"adcq 24(%1), %0\n\t"
		"adcq 32(%1), %0\n\t"
		"adcq 40(%1), %0\n\t"
		"adcq 48(%1), %0\n\t"
		"adcq 56(%1), %0\n\t"
		"adcq $0, %0"
		: "+r"(acc)
		: "r"(p), "m"(*(const uint8_t(*)[64])p)
		: "cc");
	return acc;
}
/* The same over 128 bytes: one carry chain of 16 words, so the loop's
 * own bookkeeping is paid half as often (a 1448-byte segment's sum and
 * copy: about 60 instructions fewer each). */
static inline uint64_t add128_block(uint64_t acc, const uint8_t *p)
{
	__asm__("addq 0(%1), %0\n\t"
		"adcq 8(%1), %0\n\t"
		"adcq 16(%1), %0\n\t"
		"adcq 24(%1), %0\n\t"
		"adcq 32(%1), %0\n\t"
		"adcq 40(%1), %0\n\t"
		"adcq 48(%1), %0\n\t"
		"adcq 56(%1), %0\n\t"
		"adcq 64(%1), %0\n\t"
		"adcq 72(%1), %0\n\t"
		"adcq 80(%1), %0\n\t"
		"adcq 88(%1), %0\n\t"
		"adcq 96(%1), %0\n\t"
		"adcq 104(%1), %0\n\t"
		"adcq 112(%1), %0\n\t"
		"adcq 120(%1), %0\n\t"
		"adcq $0, %0"
		: "+r"(acc)
		: "r"(p), "m"(*(const uint8_t(*)[128])p)
		: "cc");
	return acc;
}
#else
static inline uint64_t add64_block(uint64_t acc, const uint8_t *p)
{
	for (int i = 0; i < 64; i += 8)
		acc = add_eac(acc, load64(p + i));
	return acc;
}
static inline uint64_t add128_block(uint64_t acc, const uint8_t *p)
{
	return add64_block(add64_block(acc, p), p + 64);
}
#endif

static inline __attribute__((always_inline)) uint16_t sum_native(uint8_t *dst, const uint8_t *p,
								size_t len)
{
	uint64_t acc = 0;

	while (len >= 128) {
		if (dst) {
			memcpy(dst, p, 128);
			dst += 128;
		}
		acc = add128_block(acc, p);
		p += 128;
		len -= 128;
	}
	if (len >= 64) {
		if (dst) {
			memcpy(dst, p, 64);
			dst += 64;
		}
		acc = add64_block(acc, p);
		p += 64;
		len -= 64;
	}
	while (len >= 32) {
		uint64_t w0 = load64(p), w1 = load64(p + 8), w2 = load64(p + 16), w3 = load64(p + 24);
		if (dst) {
			memcpy(dst, &w0, 8);
			memcpy(dst + 8, &w1, 8);
			memcpy(dst + 16, &w2, 8);
			memcpy(dst + 24, &w3, 8);
			dst += 32;
		}
		acc = add_eac(acc, w0);
		acc = add_eac(acc, w1);
		acc = add_eac(acc, w2);
		acc = add_eac(acc, w3);
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		uint64_t w = load64(p);
		if (dst) {
			memcpy(dst, &w, 8);
			dst += 8;
		}
		acc = add_eac(acc, w);
		p += 8;
		len -= 8;
	}
	if (len) {
		/* In fixed-size pieces: a memcpy of variable length is a
		 * library call, dearer than the rest of a 20-byte header's sum. */
		uint8_t tail[8] = {0};
		size_t o = 0;
		if (len & 4) {
			memcpy(tail, p, 4);
			o = 4;
		}
		if (len & 2) {
			memcpy(tail + o, p + o, 2);
			o += 2;
		}
		if (len & 1)
			tail[o] = p[o];
		if (dst) {
			if (len & 4)
				memcpy(dst, tail, 4);
			if (len & 2)
				memcpy(dst + (len & 4), tail + (len & 4), 2);
			if (len & 1)
				dst[o] = tail[o];
		}
		acc = add_eac(acc, load64(tail));
	}
	return fold64(acc);
}

/* Add a folded native-order sum s into the caller's 32-bit partial, with
 * end-around carry so that no carry is lost even if sum is near 2^32. */
static uint32_t add_native(uint32_t sum, uint16_t s)
{
	uint64_t total;

	if (!CSUM_BIG_ENDIAN)
		s = swap16(s);
	total = (uint64_t)sum + s;
	return (uint32_t)((total & 0xffffffffu) + (total >> 32));
}

uint32_t tern_csum_partial(const void *data, size_t len, uint32_t sum)
{
	return add_native(sum, sum_native(NULL, data, len));
}

uint32_t tern_csum_copy(void *dst, const void *src, size_t len, uint32_t sum)
{
	return add_native(sum, sum_native(dst, src, len));
}

/*
 * RFC 1071 §2(B) again: a range that starts at an odd offset contributes
 * each byte to the other half of its 16-bit word, so its sum, taken as if
 * it started at an even offset, joins byte-swapped. Folding to 16 bits
 * first keeps the swap exact (a 32-bit partial is only defined mod 0xffff).
 */
uint32_t tern_csum_join(uint32_t sum_a, size_t len_a, uint32_t sum_b)
{
	uint64_t total;

	if (len_a & 1)
		sum_b = swap16((uint16_t)~tern_csum_fold(sum_b));
	total = (uint64_t)sum_a + sum_b;
	return (uint32_t)((total & 0xffffffffu) + (total >> 32));
}

uint16_t tern_csum(const void *data, size_t len)
{
	return tern_csum_fold(tern_csum_partial(data, len, 0));
}

/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m').
 *
 * The three terms are added with end-around carry and never "normalised"
 * (0xffff is not turned into 0), which is what makes eqn. 3 correct where
 * RFC 1141's eqn. 2 (HC - ~m - m') is not: RFC 1624 §4's example, HC =
 * 0xdd2f, m = 0x5555 -> m' = 0x3285, must give 0x0000 like recomputation
 * does, not the -0 value 0xffff.
 *
 * The result equals a full recomputation whenever the covered data is not
 * all zero after the change (true of any IP, ICMP, UDP or TCP header). UDP
 * callers must still map a result of 0 to 0xffff and leave a zero
 * ("no checksum") field alone (RFC 768).
 */
uint16_t tern_csum_update16(uint16_t csum, uint16_t old_word, uint16_t new_word)
{
	return tern_csum_fold((uint32_t)(uint16_t)~csum + (uint16_t)~old_word + new_word);
}
