/*
 * core/stack_impl.h — the inside of a struct tern_stack, shared by the
 * stack's own modules (core, link, net, transport). Not a public header:
 * applications use tern/stack.h.
 *
 * Everything a host owns hangs off this struct: interfaces and addresses,
 * the neighbour cache, routes, reassembly state, timers, counters, trace
 * subscribers and the seeded random generator. Nothing is global.
 */
#ifndef TERN_CORE_STACK_IMPL_H
#define TERN_CORE_STACK_IMPL_H

#include "core/budget.h"
#include "core/pkt.h"
#include "core/rng.h"
#include "core/timer.h"
#include "link/arp.h"
#include "net/ipv4.h"
#include "net/route.h"
#include "tern/stack.h"
#include "transport/sock.h"

struct tern_ifaddr {
	bool used;
	uint8_t plen;
	uint8_t state;            /* enum tern_addr_state */
	tern_ip4_t addr;
	tern_ip4_t bcast;         /* directed broadcast address of the subnet */
	/* RFC 5227 probing and defence */
	uint8_t probes_sent, announces_sent;
	tern_time_t last_defend;
	struct tern_timer timer;
	struct tern_iface *iface;
};

struct tern_iface {
	bool used;
	bool loopback;
	int index;
	char name[TERN_NETDEV_NAMELEN];
	struct tern_mac mac;
	uint32_t mtu;
	struct tern_netdev *dev;   /* NULL for loopback */
	struct tern_stack *stack;
	struct tern_ifaddr addrs[TERN_MAX_ADDRS];
};

#define TERN_MAX_TRACE 8
#define TERN_ICMP_PEERS 256       /* per-destination ICMP rate state: 64 sets of 4 */
#define TERN_MAX_ICMP_LISTENERS 8

struct tern_stack {
	struct tern_stack_config cfg;
	char name[32];
	tern_time_t now;
	struct tern_rng rng;
	struct tern_pkt_pool pool;
	struct tern_timer pool_trim;   /* gives free buffers back (pkt_pool_keep_bytes) */
	/* What remote peers can fill, each within its share of the pool
	 * (core/budget.h; limits set at creation from the configuration). */
	struct {
		struct tern_budget reasm;    /* fragments held for reassembly */
		struct tern_budget neigh;    /* packets waiting for ARP */
		struct tern_budget sock_rx;  /* all sockets' receive queues */
	} budget;
	struct tern_timer_heap timers;
	uint64_t stats[TERN_STAT__COUNT];

	struct tern_iface ifaces[TERN_MAX_IFACES];
	int n_ifaces;                  /* highest used index + 1 */
	/* Every address in use, for the per-packet "is it ours?" questions
	 * (tern_ifaddr_find, tern_ip4_is_our_broadcast): a short list instead
	 * of interfaces × slots. Kept by addr_add and addr_del. */
	struct tern_ifaddr *addrs[TERN_MAX_IFACES * TERN_MAX_ADDRS];
	unsigned n_addrs;
	struct tern_pkt_queue loopback;

	struct tern_arp_cache arp;
	struct tern_route_table routes;
	struct tern_reasm_table reasm;
	uint16_t ip_id;                /* next IP identification */

	/* ICMP error token buckets (RFC 1812 §4.3.2.8): the host's, and
	 * per destination in a small set-associative table (net/icmp.c) */
	uint64_t icmp_tokens_milli;    /* tokens × 1000 */
	tern_time_t icmp_last_refill;
	struct tern_icmp_peer {
		tern_ip4_t addr;       /* 0: free */
		tern_time_t tokens;    /* time credit, up to 6 × icmp_ratelimit */
		tern_time_t last;
	} icmp_peers[TERN_ICMP_PEERS];

	struct { tern_trace_fn fn; void *ctx; } trace[TERN_MAX_TRACE];
	unsigned n_trace;
	struct { tern_icmp_fn fn; void *ctx; } icmp_listeners[TERN_MAX_ICMP_LISTENERS];

	struct tern_sock_table socks;   /* sockets and their lookup tables (transport/) */
};

/* Time only moves forward: an entry point's `now` older than what the
 * stack has seen leaves its clock alone. */
static inline void tern_stack_advance(struct tern_stack *s, tern_time_t now)
{
	if (now > s->now)
		s->now = now;
}

static inline void tern_stat_inc(struct tern_stack *s, enum tern_stat st)
{
	s->stats[st]++;
}

static inline struct tern_iface *tern_iface_get(struct tern_stack *s, int ifindex)
{
	if (ifindex < 0 || ifindex >= TERN_MAX_IFACES || !s->ifaces[ifindex].used)
		return NULL;
	return &s->ifaces[ifindex];
}

/* Tell trace subscribers about a frame or datagram. */
void tern_trace_emit(struct tern_stack *s, enum tern_trace_kind kind, enum tern_trace_layer layer,
		     int ifindex, const uint8_t *data, size_t len, enum tern_stat reason);

/* Count a drop under `reason`, tell trace subscribers, free pkt (may be
 * NULL). The layer says what pkt's data starts with. */
void tern_drop(struct tern_stack *s, struct tern_pkt *pkt, enum tern_stat reason,
	       enum tern_trace_layer layer);

/* A packet buffer from the stack's pool, counting PKT_NOBUFS on failure. */
struct tern_pkt *tern_stack_pkt_alloc(struct tern_stack *s, size_t data_len);
/* A copy of pkt's data in a new buffer, with its ifindex and l2_type
 * (one datagram delivered twice: broadcast loop-back, one per socket). */
struct tern_pkt *tern_stack_pkt_clone(struct tern_stack *s, const struct tern_pkt *pkt);


/* Write a message to the configured log sink (and nowhere else). */
void tern_stack_logf(struct tern_stack *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Address helpers shared by IP, ARP and ICMP. */
struct tern_ifaddr *tern_ifaddr_find(struct tern_stack *s, tern_ip4_t addr);
/* True if dst is a broadcast address for us: limited, or the directed
 * broadcast of one of our subnets. */
bool tern_ip4_is_our_broadcast(const struct tern_stack *s, tern_ip4_t dst);
/* A usable address on the interface, preferring one on dst's subnet. */
tern_ip4_t tern_iface_pick_src(const struct tern_iface *ifc, tern_ip4_t dst);

/* An ICMP message this host made (pkt->icmp_out set) leaves (sent) or is
 * dropped on its way out (not sent): count it once, as icmp.out_msgs and
 * its type's counter, or as icmp.out_errors (net/icmp.c). */
void tern_icmp_sent(struct tern_stack *s, struct tern_pkt *pkt, bool sent);

/* Give a buffer back. An ICMP message of ours freed unsent counts so. */
static inline void tern_stack_pkt_free(struct tern_stack *s, struct tern_pkt *p)
{
	if (p && p->icmp_out)
		tern_icmp_sent(s, p, false);
	tern_pkt_free(&s->pool, p);
}

/* Deliver an ICMP message to listeners (net/icmp.c calls it). */
/* Returns how many listeners heard it. */
unsigned tern_icmp_notify(struct tern_stack *s, const struct tern_icmp_msg *m, tern_time_t now);

/* Transport input hooks (transport/). pkt data at the transport header,
 * consumed. */
void tern_udp_input(struct tern_stack *s, struct tern_pkt *pkt, const struct tern_ipv4_repr *ip,
		    tern_time_t now);
/* An ICMP error about a datagram we sent with this protocol. False if no
 * socket sent it. */
bool tern_udp_icmp_error(struct tern_stack *s, const struct tern_icmp_msg *m, tern_time_t now);

#endif
