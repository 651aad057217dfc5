/*
 * net/net.h — the network layer's part of a stack (s->net): routes,
 * reassembly, the IP identification counter, the loopback queue, ICMP's
 * rate-limit state and listeners, and the transport protocols above it.
 *
 * Transports are registered by the host (host/host.c), as Linux's
 * inet_add_protocol: IP input hands each datagram to its protocol's input,
 * ICMP hands each error to the protocol of the datagram it quotes, and no
 * include here names a transport.
 */
#ifndef TERN_NET_NET_H
#define TERN_NET_NET_H

#include "core/pkt.h"
#include "net/ipv4.h"
#include "net/pmtu.h"
#include "net/route.h"
#include "tern/stack.h"

/* A protocol above IP (UDP; TCP next). */
struct tern_ip_proto {
	uint8_t proto;
	/* pkt data at the transport header; consumes pkt. */
	void (*input)(struct tern_stack *s, struct tern_pkt *pkt, const struct tern_ipv4_repr *ip,
		      tern_time_t now);
	/* An ICMP error quoting a datagram of this protocol; false if none of
	 * its sockets sent it. */
	bool (*error)(struct tern_stack *s, const struct tern_icmp_msg *m, tern_time_t now);
	/* It feeds the path-MTU cache itself from "fragmentation needed",
	 * after checking the quoted segment (TCP, RFC 5927 §4.1); otherwise
	 * ICMP does once error() claimed the message. */
	bool pmtu_self;
};

#define TERN_NET_MAX_PROTOS 4
#define TERN_ICMP_PEERS 256       /* per-destination ICMP rate state: 64 sets of 4 */
#define TERN_MAX_ICMP_LISTENERS 8

struct tern_net {
	struct tern_route_table routes;
	struct tern_reasm_table *reasm; /* made with the first fragment (net/ipv4_reasm.c) */
	struct tern_pkt_queue loopback; /* datagrams to ourselves, run from poll */

	/* ICMP error token buckets (RFC 1812 §4.3.2.8): the host's, and
	 * per destination in a small set-associative table (net/icmp.c) */
	uint64_t icmp_tokens_milli;    /* tokens × 1000 */
	tern_time_t icmp_last_refill;
	struct tern_icmp_peer {
		tern_ip4_t addr;       /* 0: free */
		tern_time_t tokens;    /* time credit, up to 6 × icmp_ratelimit */
		tern_time_t last;
	} *icmp_peers;                 /* TERN_ICMP_PEERS, made with the first error sent */
	struct tern_icmp_listener { tern_icmp_fn fn; void *ctx; }
		*icmp_listeners;       /* TERN_MAX_ICMP_LISTENERS, made by the first */

	struct tern_pmtu_table pmtu;   /* path MTUs learnt (net/pmtu.c) */
	/* The last route tern_ipv4_route looked up, good while neither the
	 * route table nor the addresses have changed since (their counters):
	 * a flow's segments ask for the same destination one after another.
	 * Made by the first lookup (an idle host keeps a pointer only). */
	struct tern_route_memo {
		tern_ip4_t dst;
		uint32_t table_gen, addrs_gen;
		struct tern_route_result rt;
	} *route_memo;

	const struct tern_ip_proto *protos[TERN_NET_MAX_PROTOS]; /* the transports' own, static */
	unsigned n_protos;
	uint16_t ip_id;                /* next IP identification */
};

/* Set up s->net in `net`, zeroed memory the host owns (it frees it after
 * fini); TERN_ENOMEM. fini frees every packet it holds. */
int tern_net_init(struct tern_stack *s, struct tern_net *net);
void tern_net_fini(struct tern_stack *s);
/* Register a transport; TERN_EEXIST, TERN_ENOSPC. */
/* p is kept, not copied: it must outlive the stack (the transports'
 * are static const). */
int tern_net_add_proto(struct tern_stack *s, const struct tern_ip_proto *p);
/* The registered transport for an IP protocol number, or NULL. */
const struct tern_ip_proto *tern_net_proto(const struct tern_stack *s, uint8_t proto);
/* Tell ICMP listeners (ping, traceroute) of a message; how many heard it. */
unsigned tern_icmp_notify(struct tern_stack *s, const struct tern_icmp_msg *m, tern_time_t now);

#endif
