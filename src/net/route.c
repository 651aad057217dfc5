/*
 * net/route.c — the IPv4 routing table (see route.h) and the public route
 * API of tern/stack.h.
 */
#include <stdlib.h>

#include "core/stack_impl.h"
#include "net/net.h"

void tern_route_table_fini(struct tern_route_table *t)
{
	free(t->routes);
	*t = (struct tern_route_table){.gen = t->gen + 1}; /* still a change */
}

/* Sort key: longer prefixes first, then lower metric. */
static int precedes(const struct tern_route *a, const struct tern_route *b)
{
	if (a->plen != b->plen)
		return a->plen > b->plen;
	return a->metric < b->metric;
}

static bool same_route(const struct tern_route *a, const struct tern_route *b)
{
	return a->dst == b->dst && a->plen == b->plen && a->gateway == b->gateway &&
	       a->ifindex == b->ifindex && a->metric == b->metric;
}

int tern_route_insert(struct tern_route_table *t, const struct tern_route *r)
{
	for (uint32_t i = 0; i < t->len; i++)
		if (same_route(&t->routes[i], r))
			return TERN_EEXIST;
	if (t->len == t->cap) {
		/* one at a time up to 4 (a host's few routes fit exactly), then doubling */
		uint32_t cap = t->cap < 4 ? t->cap + 1 : t->cap * 2;
		struct tern_route *n = realloc(t->routes, cap * sizeof(*n));
		if (!n)
			return TERN_ENOMEM;
		t->routes = n;
		t->cap = cap;
	}
	uint32_t i = t->len;
	while (i > 0 && precedes(r, &t->routes[i - 1])) {
		t->routes[i] = t->routes[i - 1];
		i--;
	}
	t->routes[i] = *r;
	t->len++;
	t->gen++;
	return 0;
}

static void remove_at(struct tern_route_table *t, uint32_t i)
{
	for (uint32_t j = i + 1; j < t->len; j++)
		t->routes[j - 1] = t->routes[j];
	t->len--;
	t->gen++;
}

int tern_route_remove(struct tern_route_table *t, tern_ip4_t dst, unsigned plen, tern_ip4_t gateway)
{
	int removed = 0;
	for (uint32_t i = 0; i < t->len;) {
		struct tern_route *r = &t->routes[i];
		if (r->dst == dst && r->plen == plen && (!gateway || r->gateway == gateway)) {
			remove_at(t, i);
			removed++;
		} else {
			i++;
		}
	}
	return removed ? 0 : TERN_ENOENT;
}

void tern_route_remove_iface(struct tern_route_table *t, int ifindex, tern_ip4_t prefsrc)
{
	for (uint32_t i = 0; i < t->len;) {
		struct tern_route *r = &t->routes[i];
		if (r->ifindex == ifindex && (r->flags & TERN_ROUTE_CONNECTED) && r->prefsrc == prefsrc)
			remove_at(t, i);
		else
			i++;
	}
}

const struct tern_route *tern_route_match(const struct tern_route_table *t, tern_ip4_t dst)
{
	for (uint32_t i = 0; i < t->len; i++) {
		const struct tern_route *r = &t->routes[i];
		if (((dst ^ r->dst) & tern_ip4_mask(r->plen)) == 0)
			return r;
	}
	return NULL;
}

/* ---- public API ---- */

int tern_route_add(struct tern_stack *s, tern_ip4_t dst, unsigned plen, tern_ip4_t gateway,
		   int ifindex, unsigned metric)
{
	if (plen > 32 || (dst & ~tern_ip4_mask(plen)))
		return TERN_EINVAL;
	if (gateway) {
		/* RFC 1122 §3.3.1.1: a gateway must be on a connected network. */
		const struct tern_route *via = tern_route_match(&s->net->routes, gateway);
		if (!via || !(via->flags & TERN_ROUTE_CONNECTED))
			return TERN_ENETUNREACH;
		if (!ifindex)
			ifindex = via->ifindex;
	} else if (!tern_iface_get(s, ifindex)) {
		return TERN_ENODEV;
	}
	struct tern_route r = {
		.dst = dst,
		.plen = (uint8_t)plen,
		.flags = TERN_ROUTE_STATIC,
		.gateway = gateway,
		.ifindex = (int16_t)ifindex,
		.metric = metric,
	};
	return tern_route_insert(&s->net->routes, &r);
}

int tern_route_del(struct tern_stack *s, tern_ip4_t dst, unsigned plen, tern_ip4_t gateway)
{
	return tern_route_remove(&s->net->routes, dst, plen, gateway);
}

/* A route's result for dst: its interface, next hop and source. */
static int route_result(const struct tern_stack *s, const struct tern_route *r, tern_ip4_t dst,
			struct tern_route_result *out)
{
	struct tern_stack *ms = (struct tern_stack *)s; /* lookups only read it */
	struct tern_iface *ifc = tern_iface_get(ms, r->ifindex);
	if (!ifc)
		return TERN_ENETUNREACH;
	/* RFC 5227 §2.1: a connected route's address is its source only once
	 * it is usable (not while probing, not after a conflict). */
	const struct tern_ifaddr *pa = r->prefsrc ? tern_ifaddr_find(ms, r->prefsrc) : NULL;
	bool prefsrc_ok = pa && pa->state == TERN_ADDR_PREFERRED;
	*out = (struct tern_route_result){
		.ifindex = r->ifindex,
		.next_hop = r->gateway ? r->gateway : dst,
		.src = prefsrc_ok ? r->prefsrc : tern_iface_pick_src(ifc, r->gateway ? r->gateway : dst),
		.dst = r->dst,
		.plen = r->plen,
	};
	return 0;
}

static bool local_result(const struct tern_stack *s, tern_ip4_t dst, struct tern_route_result *out)
{
	if (!tern_stack_is_local_addr(s, dst))
		return false;
	*out = (struct tern_route_result){
		.ifindex = TERN_IFINDEX_LOOPBACK, .next_hop = dst, .src = dst,
		.dst = dst, .plen = 32, .local = true,
	};
	return true;
}

int tern_route_lookup(const struct tern_stack *s, tern_ip4_t dst, struct tern_route_result *out)
{
	if (local_result(s, dst, out))
		return 0;
	const struct tern_route *r = tern_route_match(&s->net->routes, dst);
	return r ? route_result(s, r, dst, out) : TERN_ENETUNREACH;
}

int tern_route_lookup_dev(const struct tern_stack *s, tern_ip4_t dst, int ifindex,
			  struct tern_route_result *out)
{
	struct tern_iface *ifc = tern_iface_get((struct tern_stack *)s, ifindex);
	if (!ifc)
		return TERN_ENODEV;
	if (ifc->loopback || local_result(s, dst, out))
		return tern_route_lookup(s, dst, out);
	const struct tern_route_table *t = &s->net->routes;
	for (uint32_t i = 0; i < t->len; i++) { /* longest prefix first */
		const struct tern_route *r = &t->routes[i];
		if (r->ifindex == ifindex && ((dst ^ r->dst) & tern_ip4_mask(r->plen)) == 0)
			return route_result(s, r, dst, out);
	}
	/* No route by it: the destination is taken to be on its link. */
	*out = (struct tern_route_result){
		.ifindex = ifindex, .next_hop = dst, .src = tern_iface_pick_src(ifc, dst),
		.dst = dst, .plen = 32,
	};
	return 0;
}

void tern_route_print(const struct tern_stack *s, FILE *f)
{
	for (uint32_t i = 0; i < s->net->routes.len; i++) {
		const struct tern_route *r = &s->net->routes.routes[i];
		char a[TERN_IP4_STRLEN], g[TERN_IP4_STRLEN], p[TERN_IP4_STRLEN];
		const struct tern_iface *ifc = s->ifaces[r->ifindex];
		if (r->plen == 0)
			fprintf(f, "default");
		else
			fprintf(f, "%s/%u", tern_ip4_str(r->dst, a), r->plen);
		if (r->gateway)
			fprintf(f, " via %s", tern_ip4_str(r->gateway, g));
		fprintf(f, " dev %s", ifc ? ifc->name : "?");
		if (r->flags & TERN_ROUTE_CONNECTED)
			fprintf(f, " proto kernel scope link src %s", tern_ip4_str(r->prefsrc, p));
		if (r->flags & TERN_ROUTE_REDIRECT)
			fprintf(f, " proto redirect");
		if (r->metric)
			fprintf(f, " metric %u", r->metric);
		fputc('\n', f);
	}
}
