/*
 * net/pmtu.h — the path-MTU cache (RFC 1191; Linux's route exceptions).
 *
 * One small table per stack, of the path MTUs learnt from ICMP
 * "fragmentation needed" for single destinations: IP output sends no
 * larger than min(route's interface MTU, this), TCP takes its MSS from
 * it. An entry only ever lowers a path's MTU (RFC 1191 §3), never below
 * net.ipv4.route.min_pmtu (552), and is forgotten after
 * net.ipv4.route.mtu_expires (600 s), as Linux, so that a path that grew
 * is found again. The table is set-associative with a keyed hash and a
 * fixed number of entries (pmtu_cache_size): a flood of messages cannot
 * grow it, and one that fills a set replaces the set's oldest entry
 * (counted as ip.pmtu_cache_full). Only the protocol that sent the quoted
 * datagram decides whether a message is believed (RFC 5927 §4.1): icmp.c
 * asks it first, or TCP feeds the cache itself after checking the
 * sequence number.
 */
#ifndef TERN_NET_PMTU_H
#define TERN_NET_PMTU_H

#include "tern/stack.h"

struct tern_pmtu_entry {
	tern_ip4_t dst;        /* 0: free */
	uint16_t mtu;
	tern_time_t expires;
	tern_time_t learnt;    /* for replacing the oldest of a full set */
};

struct tern_pmtu_table {
	struct tern_pmtu_entry *e;  /* nsets × TERN_PMTU_WAYS, made on first use */
	uint64_t key;               /* per-stack hash secret */
	uint32_t nsets;
	unsigned count;
};
#define TERN_PMTU_WAYS 4

void tern_pmtu_init(struct tern_stack *s);
void tern_pmtu_fini(struct tern_stack *s);
/* The cached path MTU towards dst, 0 if none (or expired). */
uint32_t tern_pmtu_get(struct tern_stack *s, tern_ip4_t dst, tern_time_t now);
/* The MTU datagrams to dst may have: min(interface MTU of the route,
 * cached path MTU); 0 without a route. */
uint32_t tern_pmtu_path(struct tern_stack *s, tern_ip4_t dst, tern_time_t now);
/* A believed "fragmentation needed" for dst: next-hop MTU mtu (0: an old
 * router that gives none), about a datagram of quoted_len bytes. Returns
 * the path MTU now cached (maybe unchanged), or 0 if the message was
 * ignored (it would raise the MTU, or reports a size the datagram
 * fitted). */
uint32_t tern_pmtu_learn(struct tern_stack *s, tern_ip4_t dst, uint32_t mtu, uint32_t quoted_len,
			 tern_time_t now);
/* RFC 1191 §7: the largest plateau below len (68 at least). */
uint32_t tern_pmtu_plateau(uint32_t len);
/* Forget everything (tests, and an interface whose MTU changed). */
void tern_pmtu_flush(struct tern_stack *s);

#endif
