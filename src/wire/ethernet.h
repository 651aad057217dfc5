/*
 * wire/ethernet.h — Ethernet II header (DIX): dst, src, ethertype.
 * No VLAN tags yet; a tagged frame parses with ethertype 0x8100.
 */
#ifndef TERN_WIRE_ETHERNET_H
#define TERN_WIRE_ETHERNET_H

#include "wire/wire.h"

#define TERN_ETH_HLEN 14
#define TERN_ETH_MIN_FRAME 60 /* without FCS; shorter frames are padded */
#define TERN_ETHERTYPE_IPV4 0x0800
#define TERN_ETHERTYPE_ARP  0x0806
#define TERN_ETHERTYPE_VLAN 0x8100
#define TERN_ETHERTYPE_IPV6 0x86dd

struct tern_eth_repr {
	struct tern_mac dst, src;
	uint16_t ethertype;
};

extern const struct tern_mac tern_mac_broadcast;
extern const struct tern_mac tern_mac_zero;

/* ETH_SHORT if len < 14; ethertypes below 0x0600 (802.3 length field) give
 * ETH_UNKNOWN_TYPE. */
enum tern_stat tern_eth_parse(const uint8_t *buf, size_t len, struct tern_eth_repr *out);
void tern_eth_emit(const struct tern_eth_repr *r, uint8_t *buf);

static inline int tern_mac_is_broadcast(const struct tern_mac *m)
{
	return (m->b[0] & m->b[1] & m->b[2] & m->b[3] & m->b[4] & m->b[5]) == 0xff;
}
static inline int tern_mac_is_multicast(const struct tern_mac *m)
{
	return m->b[0] & 1;
}
static inline int tern_mac_eq(const struct tern_mac *a, const struct tern_mac *b)
{
	return memcmp(a->b, b->b, 6) == 0;
}

#endif
