/*
 * link/link.h — the link layer's part of a stack (s->link): the neighbour
 * cache, and the hooks through which it hands packets up to the network
 * layer. The host (host/host.c) makes it and sets the hooks, so nothing
 * here names a layer above.
 */
#ifndef TERN_LINK_LINK_H
#define TERN_LINK_LINK_H

#include "core/pkt.h"
#include "link/arp.h"
#include "tern/stack.h"

struct tern_iface;

struct tern_link {
	struct tern_arp_cache arp;
	/* A received IPv4 datagram, data at the IP header; consumes pkt. */
	void (*ipv4_input)(struct tern_stack *s, struct tern_iface *ifc, struct tern_pkt *pkt,
			   tern_time_t now);
	/* A datagram that cannot reach its next hop (ARP gave up): tell its
	 * sender (RFC 1122 §2.3.2.2). Does not consume pkt. */
	void (*unreachable)(struct tern_stack *s, const struct tern_pkt *pkt, tern_time_t now);
};

/* Set up s->link in `link`, zeroed memory the host owns (it frees it
 * after fini); TERN_ENOMEM. */
int tern_link_init(struct tern_stack *s, struct tern_link *link);
void tern_link_fini(struct tern_stack *s);

#endif
