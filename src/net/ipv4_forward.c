/*
 * net/ipv4_forward.c — forwarding a datagram not addressed to this stack
 * when it is a router (RFC 1812 §5.2-5.3): TTL, route, redirect, MTU.
 */
#include "wire/checksum.h"
#include "core/stack_impl.h"
#include "net/net.h"
#include "net/icmp.h"

static bool on_link(const struct tern_iface *ifc, tern_ip4_t addr)
{
	for (int j = 0; j < tern_iface_nslots(ifc); j++) {
		const struct tern_ifaddr *ia = tern_iface_addr(ifc, j);
		if (ia && ((ia->addr ^ addr) & tern_ip4_mask(ia->plen)) == 0)
			return true;
	}
	return false;
}

/* RFC 1812 §5.2.7.2: redirect when the datagram leaves by the interface
 * it came in on, its source is on that network, and it was not source
 * routed; the better first hop is our own next hop. */
static void maybe_redirect(struct tern_stack *s, struct tern_iface *in, struct tern_pkt *pkt,
			   const struct tern_ipv4_repr *ip, const struct tern_route_result *rt,
			   tern_time_t now)
{
	if (!s->cfg->send_redirects || rt->ifindex != in->index || ip->options_len ||
	    !on_link(in, ip->src) || rt->next_hop == ip->src)
		return;
	tern_icmp_send_error(s, pkt, 5, 1, rt->next_hop, now);
}

void tern_ipv4_forward(struct tern_stack *s, struct tern_iface *in, struct tern_pkt *pkt,
		       const struct tern_ipv4_repr *ip, tern_time_t now)
{
	/* RFC 1812 §5.3.4: a link-layer broadcast is not forwarded; §5.3.7:
	 * nor is a datagram to a martian destination or from 0.0.0.0. */
	if (pkt->l2_type != TERN_PKT_L2_UNICAST)
		return tern_drop(s, pkt, TERN_STAT_IP_NOT_FOR_US, TERN_LAYER_IP);
	if (ip->src == 0 || tern_ip4_is_zeronet(ip->dst) || tern_ip4_is_multicast(ip->dst))
		return tern_drop(s, pkt, TERN_STAT_IP_BAD_DST, TERN_LAYER_IP);
	/* The route comes first, as Linux looks it up in ip_route_input
	 * before ip_forward looks at the TTL: a datagram nowhere to go is
	 * "network unreachable" (RFC 1812 §5.2.7.1) whatever its TTL, so
	 * traceroute shows !N at the router, not a time-exceeded hop. */
	struct tern_route_result rt;
	if (tern_route_lookup(s, ip->dst, &rt) < 0 || rt.local) {
		tern_icmp_send_error(s, pkt, 3, 0, 0, now);
		return tern_drop(s, pkt, TERN_STAT_IP_NO_ROUTE, TERN_LAYER_IP);
	}
	/* RFC 1812 §5.3.1: a datagram with TTL <= 1 is not forwarded. */
	if (ip->ttl <= 1) {
		tern_icmp_send_error(s, pkt, 11, 0, 0, now);
		return tern_drop(s, pkt, TERN_STAT_IP_TTL_EXCEEDED, TERN_LAYER_IP);
	}
	struct tern_iface *out = tern_iface_get(s, rt.ifindex);
	/* RFC 1191: too big with DF set → "fragmentation needed" carrying the
	 * next-hop MTU. */
	if (pkt->len > out->mtu && ip->df) {
		if (s->cfg->icmp_frag_needed) /* else a black hole, on purpose */
			tern_icmp_send_error(s, pkt, 3, 4, out->mtu, now);
		return tern_drop(s, pkt, TERN_STAT_IP_FRAG_NEEDED, TERN_LAYER_IP);
	}
	maybe_redirect(s, in, pkt, ip, &rt, now);

	/* Decrement TTL; patch the checksum incrementally (RFC 1624 eqn. 3)
	 * over the 16-bit word holding TTL and protocol. */
	uint8_t *h = tern_pkt_data(pkt);
	uint16_t old_word = rd16(h + 8);
	h[8]--;
	wr16(h + 10, tern_csum_update16(rd16(h + 10), old_word, rd16(h + 8)));

	tern_stat_inc(s, TERN_STAT_IP_FORWARDED);
	pkt->l2_type = TERN_PKT_L2_UNICAST;
	tern_ipv4_transmit(s, out, pkt, rt.next_hop, now);
}
