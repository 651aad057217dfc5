/*
 * wire/checksum.h — the Internet checksum (RFC 1071) and its incremental
 * update (RFC 1624).
 *
 * tern_csum_partial() accumulates a 32-bit one's-complement partial sum of
 * a byte range (odd lengths padded with a zero byte); partial sums of
 * consecutive ranges may be added if every range but the last has even
 * length (else see tern_csum_join). tern_csum_fold() folds and complements
 * to the 16-bit value that goes on the wire (in host order; write it with
 * wr16()).
 */
#ifndef TERN_WIRE_CHECKSUM_H
#define TERN_WIRE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tern/types.h"

uint32_t tern_csum_partial(const void *data, size_t len, uint32_t sum);
/*
 * Copy len bytes from src to dst (which must not overlap) and return
 * tern_csum_partial(src, len, sum), reading each byte once: the send path's
 * one payload copy, with the checksum folded in. Any alignment of either
 * pointer.
 */
uint32_t tern_csum_copy(void *dst, const void *src, size_t len, uint32_t sum);
/*
 * The partial sum of range A followed by range B, from their partial sums
 * (each taken as tern_csum_partial(range, len, 0) or a sum continued from
 * one). If A's length is even the sums simply add. If it is odd, B's bytes
 * sit one position later in their 16-bit words than tern_csum_partial
 * assumed, so B's sum joins byte-swapped (RFC 1071 §2(B)): a segment cut
 * from a ring in two pieces sums as join(sum(p1), len1, sum(p2)).
 */
uint32_t tern_csum_join(uint32_t sum_a, size_t len_a, uint32_t sum_b);
/* (Inline, with tern_csum_pseudo4: every segment takes several.) */
static inline uint16_t tern_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}
/* tern_csum_partial(data, len, sum), the same value, for a header: len a
 * multiple of 4 up to 60 (IPv4 and TCP headers are whole 32-bit words),
 * inline, without the general loop's set-up and tails. Every segment
 * takes two or three of these (perf). */
static inline uint32_t tern_csum_words(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = (const uint8_t *)data;
	uint64_t acc = 0;
	for (size_t i = 0; i + 4 <= len; i += 4) { /* native order, as checksum.c */
		uint32_t w;
		memcpy(&w, p + i, 4);
		acc += w; /* 15 words at most: no carry out of 64 bits */
	}
	/* To 16 bits with the same residue mod 0xffff (0 only if acc was). */
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffu) + (acc >> 16);
	acc = (acc & 0xffffu) + (acc >> 16);
	acc = (acc & 0xffffu) + (acc >> 16);
	uint16_t s16 = (uint16_t)acc;
#if !(defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
	s16 = (uint16_t)((s16 << 8) | (s16 >> 8)); /* RFC 1071 §2(B) */
#endif
	uint64_t total = (uint64_t)sum + s16;
	return (uint32_t)((total & 0xffffffffu) + (total >> 32));
}
/* Checksum of one buffer: fold(partial(data, len, 0)). A buffer that
 * includes a correct checksum field sums to 0. */
uint16_t tern_csum(const void *data, size_t len);
/* Partial sum of the IPv4 pseudo-header (RFC 768, RFC 9293 §3.1): src,
 * dst, zero, protocol, length — six 16-bit words whose sum is at most
 * 6 * 0xffff, so it cannot overflow. */
static inline uint32_t tern_csum_pseudo4(tern_ip4_t src, tern_ip4_t dst, uint8_t proto,
					 uint16_t len)
{
	return (src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu) + proto + (uint32_t)len;
}
/* RFC 1624 eqn. 3: the new checksum after a 16-bit field changed from
 * old_word to new_word: HC' = ~(~HC + ~m + m'). */
uint16_t tern_csum_update16(uint16_t csum, uint16_t old_word, uint16_t new_word);

#endif
