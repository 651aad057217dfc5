/*
 * net/route.h — the IPv4 routing table: longest-prefix match, then lowest
 * metric. Connected routes are added and removed with addresses; static
 * routes and the default gateway by the user; host routes learned from
 * ICMP redirects (RFC 1122 §3.3.1.2) are marked as such.
 *
 * The table is a vector kept sorted by (prefix length desc, metric asc), so
 * a lookup returns the first entry that matches. Tables stay small on
 * hosts and lab routers; a trie can replace the vector behind this API.
 */
#ifndef TERN_NET_ROUTE_H
#define TERN_NET_ROUTE_H

#include "tern/stack.h"

enum tern_route_flags {
	TERN_ROUTE_CONNECTED = 1,
	TERN_ROUTE_STATIC = 2,
	TERN_ROUTE_REDIRECT = 4,
};

struct tern_route {
	tern_ip4_t dst;
	tern_ip4_t gateway;   /* 0: on-link */
	uint32_t metric;
	tern_ip4_t prefsrc;   /* connected routes: the address that made it */
	int16_t ifindex;      /* < TERN_MAX_IFACES */
	uint8_t plen;
	uint8_t flags;
};

struct tern_route_table {
	struct tern_route *routes;
	uint32_t len, cap;
	uint32_t gen; /* counts insertions and removals */
};

void tern_route_table_fini(struct tern_route_table *t);
int tern_route_insert(struct tern_route_table *t, const struct tern_route *r);
/* Remove entries matching dst/plen and, if gateway is non-zero, gateway. */
int tern_route_remove(struct tern_route_table *t, tern_ip4_t dst, unsigned plen, tern_ip4_t gateway);
void tern_route_remove_iface(struct tern_route_table *t, int ifindex, tern_ip4_t prefsrc);
const struct tern_route *tern_route_match(const struct tern_route_table *t, tern_ip4_t dst);

#endif
