/*
 * wire/arp.h — ARP for IPv4 over Ethernet (RFC 826): the 28-byte packet
 * with htype 1, ptype 0x0800, hlen 6, plen 4.
 */
#ifndef TERN_WIRE_ARP_H
#define TERN_WIRE_ARP_H

#include "wire/wire.h"

#define TERN_ARP_LEN 28
#define TERN_ARP_OP_REQUEST 1
#define TERN_ARP_OP_REPLY   2

struct tern_arp_repr {
	uint16_t op;
	struct tern_mac sha, tha;
	tern_ip4_t spa, tpa;
};

/* ARP_SHORT if len < 28; ARP_BAD_FORMAT for another htype/ptype/hlen/plen;
 * ARP_BAD_OP for an op other than request or reply. */
enum tern_stat tern_arp_parse(const uint8_t *buf, size_t len, struct tern_arp_repr *out);
void tern_arp_emit(const struct tern_arp_repr *r, uint8_t *buf);

#endif
