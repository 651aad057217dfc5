/*
 * link/arp.h — ARP (RFC 826) and address-conflict detection (RFC 5227):
 * the neighbour cache that maps next-hop IPv4 addresses to Ethernet
 * addresses, per interface.
 *
 * Call order: eth_input → tern_arp_input for ARP frames; IP output →
 * tern_arp_output for every datagram leaving an Ethernet interface, which
 * transmits at once when the neighbour is known and otherwise queues it
 * (bounded) while requests go out. When resolution fails after
 * arp_max_probes requests, each queued datagram earns its sender an ICMP
 * host unreachable (RFC 1122 §2.3.2.2, RFC 1812 §4.3.3.1).
 */
#ifndef TERN_LINK_ARP_H
#define TERN_LINK_ARP_H

#include "core/pkt.h"
#include "tern/stack.h"

struct tern_iface;
struct tern_ifaddr;

enum tern_arp_state {
	TERN_ARP_FREE = 0,
	TERN_ARP_INCOMPLETE, /* requests out, packets may be queued */
	TERN_ARP_REACHABLE,  /* confirmed within reachable_time */
	TERN_ARP_STALE,      /* expired, or learned from a request: still used
			      * while a refresh is asked */
	TERN_ARP_PERMANENT,  /* static (tern_arp_add_static): never changes */
	TERN_ARP_NSTATES
};

struct tern_arp_entry {
	tern_ip4_t ip;
	int32_t ifindex;
	struct tern_mac mac;
	uint8_t state;
	uint8_t probes;          /* requests sent in this resolution or probe */
	bool probing;            /* unicast requests to mac in flight (refresh or check) */
	bool contested;          /* another MAC claimed ip: a failed probe re-resolves */
	struct tern_mac claimed; /* the first such MAC, for the log */
	int32_t idx;             /* own index in the cache */
	int32_t hash_next;       /* chain in the bucket, -1 at the end */
	int32_t prev, next;      /* in the list of entries in this state, -1 at the ends */
	tern_time_t confirmed;   /* last time the mapping was confirmed */
	tern_time_t updated;     /* last time mac or state changed (locktime) */
	struct tern_timer timer; /* retransmit or expiry */
	struct tern_pkt_queue queue;
};

/* Entries in one state, oldest (longest in it) first. */
struct tern_arp_list {
	int32_t head, tail;
};

/* Entries come in chunks of TERN_ARP_CHUNK, made as the cache fills and
 * given back when the last chunk empties: entries never move (their
 * timers are in the stack's heap), and an idle host holds none. */
#define TERN_ARP_CHUNK_SHIFT 3
#define TERN_ARP_CHUNK (1u << TERN_ARP_CHUNK_SHIFT)

struct tern_arp_cache {
	struct tern_arp_entry **chunks;
	uint32_t nchunks, cap_chunks;
	uint32_t *chunk_used;  /* entries not FREE, per chunk */
	int32_t *buckets;
	uint32_t size, nbuckets; /* size: the most entries (arp_cache_size) */
	uint32_t used;     /* entries not FREE */
	uint32_t queued;   /* packets waiting, over all entries */
	struct tern_arp_list lists[TERN_ARP_NSTATES]; /* free slots, eviction order */
};

/* pkt data starts at the ARP packet; consumes pkt. */
void tern_arp_input(struct tern_stack *s, struct tern_iface *ifc, struct tern_pkt *pkt,
		    tern_time_t now);
/* pkt data starts at the IP header; consumes pkt. Returns the device's
 * refusal (TERN_ENOBUFS: its queue is full) when the frame went to it at
 * once, else 0 (sent, queued for resolution, or dropped and counted). */
int tern_arp_output(struct tern_stack *s, struct tern_iface *ifc, struct tern_pkt *pkt,
		    tern_ip4_t next_hop, tern_time_t now);
/* Gratuitous ARP announcement of addr (RFC 5227 §2.3). An address added
 * without probing is announced once, as a courtesy to neighbours' caches
 * (Linux sends none by default); a probed address gets §2.3's two. */
void tern_arp_announce(struct tern_stack *s, struct tern_iface *ifc, tern_ip4_t addr,
		       tern_time_t now);
/* The announcement above, sent after a random delay up to
 * arp_announce_jitter. */
void tern_arp_announce_later(struct tern_stack *s, struct tern_ifaddr *ia, tern_time_t now);
/* Begin RFC 5227 probing for a tentative address. */
void tern_arp_probe_start(struct tern_stack *s, struct tern_iface *ifc, struct tern_ifaddr *ia,
			  tern_time_t now);
/* Datagrams queued on unresolved entries, over the whole cache. */
size_t tern_arp_queued(const struct tern_stack *s);
/* Entries in use (any state but free). */
unsigned tern_arp_entries(const struct tern_stack *s);
/* For tests and tools: the cached MAC of ip on ifindex (0, or TERN_ENOENT
 * / TERN_EAGAIN while incomplete). */
int tern_arp_lookup(const struct tern_stack *s, int ifindex, tern_ip4_t ip, struct tern_mac *mac);

#endif
