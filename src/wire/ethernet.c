/*
 * wire/ethernet.c — parse and emit the Ethernet II (DIX) header.
 *
 * Sits below everything: the link layer (src/link/) calls tern_eth_parse
 * on every received frame and tern_eth_emit on every frame it sends; the
 * decoder and fuzzers use the same two functions.
 */
#include "wire/ethernet.h"

const struct tern_mac tern_mac_broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
const struct tern_mac tern_mac_zero = {{0, 0, 0, 0, 0, 0}};

/* Values 0..1500 in the type position are an IEEE 802.3 length field and
 * 1501..1535 are undefined; Ethernet II types start at 0x0600 (IEEE
 * 802.3-2018 §3.2.6). We do not speak 802.2 LLC. */
#define ETH_MIN_ETHERTYPE 0x0600

enum tern_stat tern_eth_parse(const uint8_t *buf, size_t len, struct tern_eth_repr *out)
{
	uint16_t type;

	if (len < TERN_ETH_HLEN)
		return TERN_STAT_ETH_SHORT;
	type = rd16(buf + 12);
	if (type < ETH_MIN_ETHERTYPE)
		return TERN_STAT_ETH_UNKNOWN_TYPE;
	memcpy(out->dst.b, buf, 6);
	memcpy(out->src.b, buf + 6, 6);
	out->ethertype = type;
	return TERN_STAT_NONE;
}

void tern_eth_emit(const struct tern_eth_repr *r, uint8_t *buf)
{
	memcpy(buf, r->dst.b, 6);
	memcpy(buf + 6, r->src.b, 6);
	wr16(buf + 12, r->ethertype);
}
