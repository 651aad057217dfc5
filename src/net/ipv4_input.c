/*
 * net/ipv4_input.c — IPv4 receive (RFC 791; RFC 1122 §3.2.1; RFC 1812
 * §5.2.2, §5.3.7): validate the header, reject martians, then either
 * deliver locally (through reassembly) or hand to forwarding.
 *
 * Call order: tern_eth_input → tern_ipv4_input → tern_reasm_input? →
 * tern_ipv4_deliver → tern_icmp_input | the transport's input (net.h).
 */
#include "core/stack_impl.h"
#include "net/icmp.h"
#include "net/net.h"

/* RFC 1122 §3.2.1.3, RFC 1812 §5.3.7: source addresses never valid on the
 * wire. 0.0.0.0 is allowed ("this host", e.g. DHCP) only towards a
 * broadcast destination. */
static enum tern_stat check_source(struct tern_stack *s, const struct tern_iface *ifc,
				   const struct tern_ipv4_repr *ip)
{
	tern_ip4_t src = ip->src;
	if (src == 0)
		return tern_ip4_is_our_broadcast(s, ip->dst) ? TERN_STAT_NONE : TERN_STAT_IP_BAD_SRC;
	if (src == TERN_IP4_BROADCAST || tern_ip4_is_multicast(src) || tern_ip4_is_class_e(src) ||
	    tern_ip4_is_zeronet(src))
		return TERN_STAT_IP_BAD_SRC;
	if (ifc->loopback)
		return TERN_STAT_NONE;
	/* Loopback or our own address arriving from outside is spoofed (an
	 * address lost to a conflict is the other host's, not ours). */
	if (tern_stack_is_local_addr(s, src)) /* loopback included */
		return TERN_STAT_IP_BAD_SRC;
	for (int j = 0; j < tern_iface_nslots(ifc); j++) {
		const struct tern_ifaddr *ia = tern_iface_addr(ifc, j);
		if (ia && ia->plen < 31 && ia->bcast == src)
			return TERN_STAT_IP_BAD_SRC;
	}
	return TERN_STAT_NONE;
}

enum dest_kind { DEST_LOCAL, DEST_FORWARD, DEST_BAD, DEST_OTHER };

/* Weak host model (RFC 1122 §3.3.4.2), as Linux: any of our addresses is
 * accepted on any interface. */
static enum dest_kind classify_dest(struct tern_stack *s, const struct tern_iface *ifc,
				    tern_ip4_t dst)
{
	if (dst == 0 || tern_ip4_is_class_e(dst))
		return DEST_BAD;
	if (tern_ip4_is_loopback(dst))
		return ifc->loopback ? DEST_LOCAL : DEST_BAD;
	if (tern_ip4_is_our_broadcast(s, dst))
		return DEST_LOCAL;
	if (tern_ip4_is_multicast(dst))
		return dst == TERN_IP4(224, 0, 0, 1) ? DEST_LOCAL : DEST_OTHER;
	struct tern_ifaddr *ia = tern_ifaddr_find(s, dst);
	if (ia)
		return ia->state == TERN_ADDR_PREFERRED ? DEST_LOCAL : DEST_OTHER;
	return DEST_FORWARD;
}

void tern_ipv4_input(struct tern_stack *s, struct tern_iface *ifc, struct tern_pkt *pkt,
		     tern_time_t now)
{
	struct tern_ipv4_repr ip;
	tern_stat_inc(s, TERN_STAT_IP_IN_RECEIVES);
	enum tern_stat bad = tern_ipv4_parse(tern_pkt_data(pkt), pkt->len,
					     pkt->csum_ok ? TERN_WIRE_NO_CSUM : 0, &ip);
	if (bad)
		return tern_drop(s, pkt, bad, TERN_LAYER_IP);
	tern_pkt_trim(pkt, ip.total_len); /* drop link-layer padding */
	/* Linux's IpExtIn{NoECT,ECT1,ECT0,CE}Pkts: the ECN field of every
	 * valid datagram received (RFC 3168 §5; the enum is in field order). */
	tern_stat_inc(s, (enum tern_stat)(TERN_STAT_IP_IN_NOECT + (ip.tos & TERN_IP_ECN_MASK)));
	if ((bad = check_source(s, ifc, &ip)))
		return tern_drop(s, pkt, bad, TERN_LAYER_IP);
	/* Source routing lets a sender choose our path and answers for it
	 * (RFC 7126 §4.3, 4.4): dropped, as Linux with accept_source_route=0,
	 * whether addressed to us or to be forwarded. */
	if (ip.options_len && (tern_ipv4_has_option(&ip, TERN_IPOPT_LSRR) ||
			       tern_ipv4_has_option(&ip, TERN_IPOPT_SSRR)))
		return tern_drop(s, pkt, TERN_STAT_IP_SOURCE_ROUTE, TERN_LAYER_IP);

	switch (classify_dest(s, ifc, ip.dst)) {
	case DEST_BAD:
		return tern_drop(s, pkt, TERN_STAT_IP_BAD_DST, TERN_LAYER_IP);
	case DEST_OTHER:
		return tern_drop(s, pkt, TERN_STAT_IP_NOT_FOR_US, TERN_LAYER_IP);
	case DEST_FORWARD:
		if (!s->cfg->forwarding)
			return tern_drop(s, pkt, TERN_STAT_IP_NOT_FOR_US, TERN_LAYER_IP);
		return tern_ipv4_forward(s, ifc, pkt, &ip, now);
	case DEST_LOCAL:
		break;
	}
	if (ip.mf || ip.frag_off) {
		pkt = tern_reasm_input(s, pkt, &ip, now);
		if (!pkt)
			return;
		/* The reassembled header was rebuilt; read it again. */
		if (tern_ipv4_parse(tern_pkt_data(pkt), pkt->len, 0, &ip))
			return tern_drop(s, pkt, TERN_STAT_IP_BAD_FRAG, TERN_LAYER_IP);
	}
	tern_ipv4_deliver(s, pkt, &ip, now);
}

void tern_ipv4_deliver(struct tern_stack *s, struct tern_pkt *pkt, const struct tern_ipv4_repr *ip,
		       tern_time_t now)
{
	tern_stat_inc(s, TERN_STAT_IP_IN_DELIVERS);
	if (ip->proto == TERN_IPPROTO_ICMP) {
		tern_pkt_pull(pkt, ip->hlen);
		return tern_icmp_input(s, pkt, ip, now);
	}
	const struct tern_ip_proto *p = tern_net_proto(s, ip->proto);
	if (!p) {
		/* RFC 1122 §3.2.2.1: protocol unreachable. */
		tern_icmp_send_error(s, pkt, 3, 2, 0, now);
		return tern_drop(s, pkt, TERN_STAT_IP_UNKNOWN_PROTO, TERN_LAYER_IP);
	}
	tern_pkt_pull(pkt, ip->hlen);
	p->input(s, pkt, ip, now);
}
