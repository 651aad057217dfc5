/*
 * wire/checksum.h — the Internet checksum (RFC 1071) and its incremental
 * update (RFC 1624).
 *
 * tern_csum_partial() accumulates a 32-bit one's-complement partial sum of
 * a byte range (odd lengths padded with a zero byte); partial sums of
 * consecutive ranges may be added if every range but the last has even
 * length. tern_csum_fold() folds and complements to the 16-bit value that
 * goes on the wire (in host order; write it with wr16()).
 */
#ifndef TERN_WIRE_CHECKSUM_H
#define TERN_WIRE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#include "tern/types.h"

uint32_t tern_csum_partial(const void *data, size_t len, uint32_t sum);
uint16_t tern_csum_fold(uint32_t sum);
/* Checksum of one buffer: fold(partial(data, len, 0)). A buffer that
 * includes a correct checksum field sums to 0. */
uint16_t tern_csum(const void *data, size_t len);
/* Partial sum of the IPv4 pseudo-header (RFC 768, RFC 9293 §3.1). */
uint32_t tern_csum_pseudo4(tern_ip4_t src, tern_ip4_t dst, uint8_t proto, uint16_t len);
/* RFC 1624 eqn. 3: the new checksum after a 16-bit field changed from
 * old_word to new_word: HC' = ~(~HC + ~m + m'). */
uint16_t tern_csum_update16(uint16_t csum, uint16_t old_word, uint16_t new_word);

#endif
