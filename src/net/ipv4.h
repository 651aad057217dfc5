/*
 * net/ipv4.h — the IPv4 layer inside a stack (RFC 791, 1122, 1812).
 *
 * Input:  eth_input → tern_ipv4_input → validate → local delivery
 *         (reassembly → ICMP | UDP | ...) or tern_ipv4_forward.
 * Output: transport / ICMP → tern_ipv4_output (route, header) →
 *         tern_ipv4_transmit (fragment to the egress MTU) → ARP/Ethernet
 *         or the loopback queue.
 */
#ifndef TERN_NET_IPV4_H
#define TERN_NET_IPV4_H

#include "core/pkt.h"
#include "tern/stack.h"
#include "wire/ipv4.h"

struct tern_iface;

/* pkt data starts at the IP header; consumes pkt. */
void tern_ipv4_input(struct tern_stack *s, struct tern_iface *ifc, struct tern_pkt *pkt,
		     tern_time_t now);

/* The route a datagram to dst from src (0: any) takes, as
 * tern_route_lookup, except that the limited broadcast 255.255.255.255
 * leaves by the route covering it or else the interface owning src, as on
 * Linux, and never via a gateway (RFC 1122 §3.3.6). */
int tern_ipv4_route(struct tern_stack *s, tern_ip4_t dst, tern_ip4_t src,
		    struct tern_route_result *rt);

/* Send the payload in pkt (data = transport header onwards) to p->dst:
 * route, prepend the header, fragment if allowed. Consumes pkt, whatever
 * the result. Errors: TERN_ENETUNREACH, TERN_EMSGSIZE (df and too big),
 * TERN_ENOBUFS (no buffer, or the device's queue was full: not sent),
 * TERN_EINVAL. */
int tern_ipv4_output(struct tern_stack *s, struct tern_pkt *pkt, const struct tern_ip_send *p,
		     tern_time_t now);
/* The same, on a route the caller already has from tern_ipv4_route (for
 * p->dst): a transport that checked the route before building the
 * datagram does not look it up twice. */
int tern_ipv4_output_routed(struct tern_stack *s, struct tern_pkt *pkt,
			    const struct tern_ip_send *p, const struct tern_route_result *rt,
			    tern_time_t now);

/* Send a complete datagram (data = IP header) out of ifc to next_hop,
 * fragmenting to the interface MTU unless DF is set. Consumes pkt.
 * TERN_EMSGSIZE if DF forbids fragmenting (the caller decides whether to
 * send ICMP). */
int tern_ipv4_transmit(struct tern_stack *s, struct tern_iface *ifc, struct tern_pkt *pkt,
		       tern_ip4_t next_hop, tern_time_t now);

/* Forward a datagram not addressed to us (RFC 1812 §5.2). Consumes pkt. */
void tern_ipv4_forward(struct tern_stack *s, struct tern_iface *in, struct tern_pkt *pkt,
		       const struct tern_ipv4_repr *ip, tern_time_t now);

/* Deliver a datagram addressed to us to its protocol. Consumes pkt. */
void tern_ipv4_deliver(struct tern_stack *s, struct tern_pkt *pkt, const struct tern_ipv4_repr *ip,
		       tern_time_t now);

/* Run the loopback queue: datagrams the stack sent to itself. */
void tern_ipv4_loopback_run(struct tern_stack *s, tern_time_t now);

/* ---- reassembly (net/ipv4_reasm.c) ---- */

#define TERN_REASM_BUCKETS 256
struct tern_reasm;
struct tern_reasm_table {
	/* Datagrams being reassembled, oldest first (eviction order), and
	 * the same found by a keyed hash of (src, dst, id, protocol). */
	struct tern_reasm *oldest, *newest;
	struct tern_reasm **buckets; /* TERN_REASM_BUCKETS, made with the first fragment */
	uint64_t key;               /* per-stack hash secret */
	struct tern_reasm *spare;   /* finished records kept for reuse (no malloc per datagram) */
	unsigned nspare;
	unsigned count;
};
void tern_reasm_init(struct tern_stack *s);
void tern_reasm_fini(struct tern_stack *s);
/* Add a fragment (pkt data = IP header, validated as ip). Returns the
 * reassembled datagram (data = IP header, fields fixed up) when complete,
 * else NULL. Consumes pkt. */
struct tern_pkt *tern_reasm_input(struct tern_stack *s, struct tern_pkt *pkt,
				  const struct tern_ipv4_repr *ip, tern_time_t now);

#endif
