/*
 * link/ethernet.c — Ethernet II framing for a stack's interfaces.
 *
 * Input accepts frames addressed to the interface, to broadcast, or to a
 * multicast group (kept for IPv4 multicast and IPv6 later), and hands the
 * payload to ARP or IPv4 with the link-layer kind recorded on the packet.
 * Output prepends the header in the packet's headroom and transmits.
 */
#include "core/stack_impl.h"
#include "link/ethernet.h"
#include "wire/ethernet.h"

void tern_eth_input(struct tern_stack *s, struct tern_iface *ifc, struct tern_pkt *pkt,
		    tern_time_t now)
{
	struct tern_eth_repr eth;
	enum tern_stat bad = tern_eth_parse(tern_pkt_data(pkt), pkt->len, &eth);
	if (bad)
		return tern_drop(s, pkt, bad, TERN_LAYER_LINK);
	/* A frame claiming a multicast (or broadcast) source is malformed
	 * (IEEE 802.3); one from the null address or from our own is forged
	 * or looped back, and believing it would let it poison ARP or answer
	 * ourselves. */
	if (tern_mac_is_multicast(&eth.src))
		return tern_drop(s, pkt, TERN_STAT_ETH_BAD_SRC, TERN_LAYER_LINK);
	if (tern_mac_eq(&eth.src, &tern_mac_zero))
		return tern_drop(s, pkt, TERN_STAT_ETH_ZERO_SRC, TERN_LAYER_LINK);
	if (tern_mac_eq(&eth.src, &ifc->mac))
		return tern_drop(s, pkt, TERN_STAT_ETH_OWN_SRC, TERN_LAYER_LINK);
	if (tern_mac_is_broadcast(&eth.dst))
		pkt->l2_type = TERN_PKT_L2_BROADCAST;
	else if (tern_mac_is_multicast(&eth.dst))
		pkt->l2_type = TERN_PKT_L2_MULTICAST;
	else if (!tern_mac_eq(&eth.dst, &ifc->mac))
		return tern_drop(s, pkt, TERN_STAT_ETH_NOT_FOR_US, TERN_LAYER_LINK);

	tern_pkt_pull(pkt, TERN_ETH_HLEN);
	switch (eth.ethertype) {
	case TERN_ETHERTYPE_IPV4:
		return tern_ipv4_input(s, ifc, pkt, now);
	case TERN_ETHERTYPE_ARP:
		return tern_arp_input(s, ifc, pkt, now);
	default:
		tern_pkt_push(pkt, TERN_ETH_HLEN);
		return tern_drop(s, pkt, TERN_STAT_ETH_UNKNOWN_TYPE, TERN_LAYER_LINK);
	}
}

int tern_eth_output(struct tern_stack *s, struct tern_iface *ifc, struct tern_pkt *pkt,
		    const struct tern_mac *dst, uint16_t ethertype, tern_time_t now)
{
	uint8_t *h = tern_pkt_push(pkt, TERN_ETH_HLEN);
	if (!h) {
		tern_drop(s, pkt, TERN_STAT_PKT_NOBUFS, TERN_LAYER_IP);
		return TERN_ENOBUFS;
	}
	struct tern_eth_repr eth = {.dst = *dst, .src = ifc->mac, .ethertype = ethertype};
	tern_eth_emit(&eth, h);
	/* Pad runt frames to the Ethernet minimum (the FCS is the device's). */
	if (pkt->len < TERN_ETH_MIN_FRAME) {
		size_t pad = TERN_ETH_MIN_FRAME - pkt->len;
		memset(tern_pkt_put(pkt, pad), 0, pad);
	}
	tern_trace_emit(s, TERN_TRACE_TX, TERN_LAYER_LINK, ifc->index, tern_pkt_data(pkt), pkt->len,
			TERN_STAT_NONE);
	int err = tern_netdev_transmit(ifc->dev, tern_pkt_data(pkt), pkt->len, now);
	tern_stat_inc(s, err < 0 ? TERN_STAT_DEV_TX_ERRORS : TERN_STAT_DEV_TX_FRAMES);
	if (pkt->icmp_out)
		tern_icmp_sent(s, pkt, err >= 0);
	tern_pkt_free(&s->pool, pkt);
	return err;
}
