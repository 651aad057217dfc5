/*
 * link/ethernet.h — Ethernet II input and output for a stack's interfaces.
 * Device receive → tern_eth_input → (ARP | IPv4 input).
 * IP/ARP output → tern_eth_output → device transmit.
 */
#ifndef TERN_LINK_ETHERNET_H
#define TERN_LINK_ETHERNET_H

#include "core/pkt.h"
#include "tern/stack.h"

struct tern_iface;

/* pkt holds a whole frame; consumes it. */
void tern_eth_input(struct tern_stack *s, struct tern_iface *ifc, struct tern_pkt *pkt,
		    tern_time_t now);
/* Prepend the Ethernet header and transmit; consumes pkt. */
int tern_eth_output(struct tern_stack *s, struct tern_iface *ifc, struct tern_pkt *pkt,
		    const struct tern_mac *dst, uint16_t ethertype, tern_time_t now);

#endif
