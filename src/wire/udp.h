/*
 * wire/udp.h — the UDP header (RFC 768).
 */
#ifndef TERN_WIRE_UDP_H
#define TERN_WIRE_UDP_H

#include "wire/wire.h"

#define TERN_UDP_HLEN 8

struct tern_udp_repr {
	uint16_t sport, dport;
	uint16_t len;    /* header + payload, from the header */
	uint16_t csum;   /* as received; 0 means "not computed" */
};

/* buf/len is the IP payload; src/dst for the pseudo-header. UDP_SHORT if
 * len < 8; UDP_BAD_LEN if the length field is < 8 or > len (the caller
 * ignores bytes beyond it); UDP_BAD_CHECKSUM for a non-zero checksum that
 * does not verify (zero is accepted: RFC 768, RFC 1122 §4.1.3.4). */
enum tern_stat tern_udp_parse(const uint8_t *buf, size_t len, tern_ip4_t src, tern_ip4_t dst,
			      unsigned flags, struct tern_udp_repr *out);
/* Write the header for a datagram of r->len bytes whose payload already
 * sits at buf + 8, computing the checksum (0 is sent as 0xffff). */
void tern_udp_emit(const struct tern_udp_repr *r, uint8_t *buf, tern_ip4_t src, tern_ip4_t dst);

#endif
