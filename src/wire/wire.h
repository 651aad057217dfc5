/*
 * wire/wire.h — conventions shared by every wire-format module.
 *
 * Each format (ethernet, arp, ipv4, icmp, udp, tcp, later dns, dhcp) has
 *   struct tern_<fmt>_repr           the validated, host-order fields;
 *   tern_<fmt>_parse(buf, len, ...)  validate untrusted bytes once; returns
 *                                    TERN_STAT_NONE (0) or the drop reason;
 *   tern_<fmt>_emit(repr, buf, ...)  write the header (and checksum);
 *   TERN_<FMT>_HLEN / tern_<fmt>_len the bytes emit writes.
 * Parsers never read past len and never write; on failure they leave *out
 * unchanged. Emit never reads buf, so it may be called on uninitialised
 * memory (except a payload it checksums, or data/options already in place).
 */
#ifndef TERN_WIRE_WIRE_H
#define TERN_WIRE_WIRE_H

#include "tern/stats.h"
#include "tern/types.h"
#include "wire/bytes.h"

/* Parse flags. */
#define TERN_WIRE_NO_CSUM 0x1 /* skip checksum verification (fuzzers, offload) */

#endif
