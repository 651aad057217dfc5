/*
 * net/icmp.h — ICMP inside a stack (RFC 792, RFC 1122 §3.2.2, RFC 1812
 * §4.3): answers echo requests, handles errors and redirects, generates
 * errors for the other layers under the rules that keep ICMP from
 * amplifying itself, and tells listeners (tools, later sockets).
 */
#ifndef TERN_NET_ICMP_H
#define TERN_NET_ICMP_H

#include "core/pkt.h"
#include "tern/stack.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

/* pkt data starts at the ICMP header; ip is the datagram's validated
 * header. Consumes pkt. */
void tern_icmp_input(struct tern_stack *s, struct tern_pkt *pkt, const struct tern_ipv4_repr *ip,
		     tern_time_t now);

/* Send an ICMP error about `orig` (data = the offending datagram's IP
 * header; not consumed). aux is the next-hop MTU for FRAG_NEEDED or the
 * gateway for REDIRECT. Silently does nothing where RFC 1122 §3.2.2 and
 * RFC 1812 §4.3.2.7 forbid an error, and under the rate limit. */
/* A message tern_icmp_* made (pkt->tx_tag = 1 + type) leaves the host or
 * is dropped on its way: count it as sent, or as icmp.out_errors. The
 * host installs it as the stack's tx_tag_done. */
void tern_icmp_sent(struct tern_stack *s, struct tern_pkt *pkt, bool sent);

void tern_icmp_send_error(struct tern_stack *s, const struct tern_pkt *orig, uint8_t type,
			  uint8_t code, uint32_t aux, tern_time_t now);

#endif
