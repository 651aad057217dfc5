/*
 * transport/udp.c — UDP input (RFC 768; RFC 1122 §4.1). For now, with no
 * sockets yet, every datagram is validated and answered with ICMP port
 * unreachable (RFC 1122 §4.1.3.1), except datagrams to a broadcast or
 * multicast address, which are dropped quietly. The socket layer replaces
 * the "no port" path with demultiplexing.
 */
#include "core/stack_impl.h"
#include "net/icmp.h"
#include "wire/udp.h"

void tern_udp_input(struct tern_stack *s, struct tern_pkt *pkt, const struct tern_ipv4_repr *ip,
		    tern_time_t now)
{
	struct tern_udp_repr udp;
	enum tern_stat bad = tern_udp_parse(tern_pkt_data(pkt), pkt->len, ip->src, ip->dst, 0, &udp);
	tern_pkt_push(pkt, ip->hlen);
	if (bad)
		return tern_drop(s, pkt, bad, TERN_LAYER_IP);
	tern_stat_inc(s, TERN_STAT_UDP_IN_DATAGRAMS);
	tern_icmp_send_error(s, pkt, 3, 3, 0, now);
	tern_drop(s, pkt, TERN_STAT_UDP_NO_PORT, TERN_LAYER_IP);
}

void tern_udp_icmp_error(struct tern_stack *s, const struct tern_icmp_msg *m, tern_time_t now)
{
	(void)s;
	(void)m;
	(void)now;
}
