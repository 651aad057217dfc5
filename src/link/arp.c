/*
 * link/arp.c — ARP (RFC 826) with the neighbour cache, and RFC 5227
 * address-conflict probing and defence. See arp.h for the call order.
 *
 * Cache entries live in one array sized at creation (arp_cache_size),
 * chained into hash buckets by index; a full cache evicts the entry
 * confirmed longest ago, never one that is still resolving.
 *
 * Entry life: INCOMPLETE (requests every arp_retrans_time, up to
 * arp_max_probes; then every queued datagram earns an ICMP host
 * unreachable and the entry goes) → REACHABLE (for arp_reachable_time
 * after a confirmation) → STALE (still used; the first use sends a unicast
 * refresh and, if no answer comes after arp_max_probes tries, the entry
 * goes).
 */
#include <stdlib.h>

#include "core/stack_impl.h"
#include "link/arp.h"
#include "link/ethernet.h"
#include "net/icmp.h"
#include "wire/arp.h"
#include "wire/ethernet.h"

/* RFC 5227 §1.1: DEFEND_INTERVAL and ANNOUNCE_INTERVAL, ANNOUNCE_NUM. */
#define DEFEND_INTERVAL TERN_SEC(10)
#define ANNOUNCE_INTERVAL TERN_SEC(2)
#define ANNOUNCE_NUM 2

static void entry_timer(struct tern_stack *s, struct tern_timer *t, tern_time_t now);

static uint32_t bucket_of(const struct tern_arp_cache *c, int ifindex, tern_ip4_t ip)
{
	uint32_t h = ip * 0x9e3779b1u ^ (uint32_t)ifindex * 0x85ebca6bu;
	return (h ^ (h >> 16)) & (c->nbuckets - 1);
}

int tern_arp_init(struct tern_stack *s)
{
	struct tern_arp_cache *c = &s->arp;
	c->size = s->cfg.arp_cache_size ? s->cfg.arp_cache_size : 1;
	for (c->nbuckets = 16; c->nbuckets < c->size; c->nbuckets *= 2)
		;
	c->entries = calloc(c->size, sizeof(*c->entries));
	c->buckets = malloc(c->nbuckets * sizeof(*c->buckets));
	if (!c->entries || !c->buckets)
		return TERN_ENOMEM;
	for (uint32_t i = 0; i < c->nbuckets; i++)
		c->buckets[i] = -1;
	for (uint32_t i = 0; i < c->size; i++)
		tern_timer_init(&c->entries[i].timer, entry_timer);
	return 0;
}

/* The oldest packet waiting on e, uncharged from the neighbour budget. */
static struct tern_pkt *queue_take(struct tern_stack *s, struct tern_arp_entry *e)
{
	struct tern_pkt *p = tern_pkt_dequeue(&e->queue);
	if (p) {
		tern_budget_uncharge(&s->budget.neigh, tern_pkt_truesize(p));
		s->arp.queued--;
	}
	return p;
}

static void entry_delete(struct tern_stack *s, struct tern_arp_entry *e)
{
	struct tern_arp_cache *c = &s->arp;
	int32_t idx = (int32_t)(e - c->entries);
	int32_t *link = &c->buckets[bucket_of(c, e->ifindex, e->ip)];
	while (*link != -1 && *link != idx)
		link = &c->entries[*link].hash_next;
	if (*link == idx)
		*link = e->hash_next;
	tern_timer_cancel(s, &e->timer);
	struct tern_pkt *p;
	while ((p = queue_take(s, e)))
		tern_stack_pkt_free(s, p);
	e->state = TERN_ARP_FREE;
	c->used--;
}

void tern_arp_fini(struct tern_stack *s)
{
	struct tern_arp_cache *c = &s->arp;
	for (uint32_t i = 0; c->entries && i < c->size; i++)
		if (c->entries[i].state != TERN_ARP_FREE)
			entry_delete(s, &c->entries[i]);
	free(c->entries);
	free(c->buckets);
	*c = (struct tern_arp_cache){0};
}

size_t tern_arp_queued(const struct tern_stack *s)
{
	return s->arp.queued;
}

unsigned tern_arp_entries(const struct tern_stack *s)
{
	return s->arp.used;
}

static struct tern_arp_entry *entry_find(const struct tern_stack *s, int ifindex, tern_ip4_t ip)
{
	const struct tern_arp_cache *c = &s->arp;
	for (int32_t i = c->buckets[bucket_of(c, ifindex, ip)]; i != -1; i = c->entries[i].hash_next)
		if (c->entries[i].ip == ip && c->entries[i].ifindex == ifindex)
			return &c->entries[i];
	return NULL;
}

/* A free slot, or the resolved entry confirmed longest ago. */
static struct tern_arp_entry *entry_slot(struct tern_stack *s)
{
	struct tern_arp_cache *c = &s->arp;
	struct tern_arp_entry *victim = NULL;
	for (uint32_t i = 0; i < c->size; i++) {
		struct tern_arp_entry *e = &c->entries[i];
		if (e->state == TERN_ARP_FREE)
			return e;
		if (e->state != TERN_ARP_INCOMPLETE && (!victim || e->confirmed < victim->confirmed))
			victim = e;
	}
	if (victim)
		entry_delete(s, victim);
	return victim;
}

static struct tern_arp_entry *entry_create(struct tern_stack *s, int ifindex, tern_ip4_t ip)
{
	struct tern_arp_cache *c = &s->arp;
	struct tern_arp_entry *e = entry_slot(s);
	if (!e)
		return NULL; /* the caller counts what it drops (ARP_CACHE_FULL) */
	e->ip = ip;
	e->ifindex = ifindex;
	e->probes = 0;
	e->confirmed = 0;
	e->queue = (struct tern_pkt_queue){0};
	e->state = TERN_ARP_INCOMPLETE;
	c->used++;
	uint32_t b = bucket_of(c, ifindex, ip);
	e->hash_next = c->buckets[b];
	c->buckets[b] = (int32_t)(e - c->entries);
	return e;
}

int tern_arp_lookup(const struct tern_stack *s, int ifindex, tern_ip4_t ip, struct tern_mac *mac)
{
	struct tern_arp_entry *e = entry_find(s, ifindex, ip);
	if (!e)
		return TERN_ENOENT;
	if (e->state == TERN_ARP_INCOMPLETE)
		return TERN_EAGAIN;
	*mac = e->mac;
	return 0;
}

/* ---- sending ARP packets ---- */

static void arp_send(struct tern_stack *s, struct tern_iface *ifc, uint16_t op, tern_ip4_t spa,
		     const struct tern_mac *tha, tern_ip4_t tpa, const struct tern_mac *eth_dst,
		     enum tern_stat counter)
{
	struct tern_pkt *pkt = tern_stack_pkt_alloc(s, TERN_ETH_MIN_FRAME);
	if (!pkt)
		return;
	struct tern_arp_repr arp = {.op = op, .sha = ifc->mac, .spa = spa, .tha = *tha, .tpa = tpa};
	tern_arp_emit(&arp, tern_pkt_put(pkt, TERN_ARP_LEN));
	tern_stat_inc(s, counter);
	tern_eth_output(s, ifc, pkt, eth_dst, TERN_ETHERTYPE_ARP, s->now);
}

/* Ask for e's address and arm the retransmit timer. The first request
 * broadcasts; a refresh of a known entry is unicast to the cached address
 * first, as Linux does in its PROBE state. */
static void solicit(struct tern_stack *s, struct tern_iface *ifc, struct tern_arp_entry *e,
		    tern_time_t now)
{
	const struct tern_mac *dst = e->state == TERN_ARP_STALE && e->probes < 2 ? &e->mac
									   : &tern_mac_broadcast;
	arp_send(s, ifc, TERN_ARP_OP_REQUEST, tern_iface_pick_src(ifc, e->ip), &tern_mac_zero, e->ip,
		 dst, TERN_STAT_ARP_REQUESTS_SENT);
	tern_timer_arm(s, &e->timer, now + s->cfg.arp_retrans_time);
}

void tern_arp_announce(struct tern_stack *s, struct tern_iface *ifc, tern_ip4_t addr,
		       tern_time_t now)
{
	/* RFC 5227 §3: announce with an ARP Request, sender = target = addr. */
	if (ifc->loopback)
		return;
	arp_send(s, ifc, TERN_ARP_OP_REQUEST, addr, &tern_mac_zero, addr, &tern_mac_broadcast,
		 TERN_STAT_ARP_GRATUITOUS_SENT);
}

/* ---- resolution ---- */

static void confirm(struct tern_stack *s, struct tern_arp_entry *e, const struct tern_mac *mac,
		    tern_time_t now)
{
	e->mac = *mac;
	e->state = TERN_ARP_REACHABLE;
	e->confirmed = now;
	e->probes = 0;
	tern_timer_arm(s, &e->timer, now + s->cfg.arp_reachable_time);
	struct tern_iface *ifc = tern_iface_get(s, e->ifindex);
	struct tern_pkt *pkt;
	while ((pkt = queue_take(s, e))) {
		if (ifc)
			tern_eth_output(s, ifc, pkt, &e->mac, TERN_ETHERTYPE_IPV4, now);
		else
			tern_stack_pkt_free(s, pkt);
	}
}

/* Resolution failed: RFC 1122 §2.3.2.2 and RFC 1812 §4.3.3.1 — tell the
 * sender of each waiting datagram that the host is unreachable. */
static void resolution_failed(struct tern_stack *s, struct tern_arp_entry *e, tern_time_t now)
{
	struct tern_pkt *pkt;
	while ((pkt = queue_take(s, e))) {
		tern_icmp_send_error(s, pkt, 3, 1, 0, now);
		tern_drop(s, pkt, TERN_STAT_ARP_UNRESOLVED, TERN_LAYER_IP);
	}
	entry_delete(s, e);
}

static void entry_timer(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_arp_entry *e = TERN_CONTAINER_OF(t, struct tern_arp_entry, timer);
	struct tern_iface *ifc = tern_iface_get(s, e->ifindex);
	if (!ifc)
		return entry_delete(s, e);
	switch (e->state) {
	case TERN_ARP_REACHABLE:
		e->state = TERN_ARP_STALE; /* refreshed on next use */
		return;
	case TERN_ARP_INCOMPLETE:
	case TERN_ARP_STALE:
		if (e->probes >= s->cfg.arp_max_probes) {
			if (e->state == TERN_ARP_INCOMPLETE)
				return resolution_failed(s, e, now);
			return entry_delete(s, e);
		}
		e->probes++;
		solicit(s, ifc, e, now);
		return;
	}
}

/* Hold pkt until e resolves. Two bounds: arp_queue_len per address (the
 * oldest waiting datagram makes room, as Linux), and the neighbour budget
 * over all addresses, which refuses the newcomer: one flood of
 * unresolvable destinations cannot take the pool. */
static void enqueue(struct tern_stack *s, struct tern_arp_entry *e, struct tern_pkt *pkt)
{
	if (!s->cfg.arp_queue_len)
		return tern_drop(s, pkt, TERN_STAT_ARP_QUEUE_FULL, TERN_LAYER_IP);
	if (e->queue.len >= s->cfg.arp_queue_len)
		tern_drop(s, queue_take(s, e), TERN_STAT_ARP_QUEUE_FULL, TERN_LAYER_IP);
	size_t size = tern_pkt_truesize(pkt);
	if (!tern_budget_fits(&s->budget.neigh, size))
		return tern_drop(s, pkt, TERN_STAT_ARP_QUEUE_MEMORY, TERN_LAYER_IP);
	tern_budget_charge(&s->budget.neigh, size);
	tern_pkt_enqueue(&e->queue, pkt);
	s->arp.queued++;
}

static void multicast_mac(tern_ip4_t group, struct tern_mac *mac)
{
	/* RFC 1112 §6.4: 01:00:5e + low 23 bits of the group. */
	*mac = (struct tern_mac){{0x01, 0x00, 0x5e, (uint8_t)((group >> 16) & 0x7f),
				  (uint8_t)(group >> 8), (uint8_t)group}};
}

void tern_arp_output(struct tern_stack *s, struct tern_iface *ifc, struct tern_pkt *pkt,
		     tern_ip4_t next_hop, tern_time_t now)
{
	if (tern_ip4_is_our_broadcast(s, next_hop)) {
		tern_eth_output(s, ifc, pkt, &tern_mac_broadcast, TERN_ETHERTYPE_IPV4, now);
		return;
	}
	if (tern_ip4_is_multicast(next_hop)) {
		struct tern_mac mac;
		multicast_mac(next_hop, &mac);
		tern_eth_output(s, ifc, pkt, &mac, TERN_ETHERTYPE_IPV4, now);
		return;
	}
	struct tern_arp_entry *e = entry_find(s, ifc->index, next_hop);
	if (!e) {
		e = entry_create(s, ifc->index, next_hop);
		if (!e)
			return tern_drop(s, pkt, TERN_STAT_ARP_CACHE_FULL, TERN_LAYER_IP);
		enqueue(s, e, pkt);
		e->probes = 1;
		solicit(s, ifc, e, now);
		return;
	}
	switch (e->state) {
	case TERN_ARP_INCOMPLETE:
		return enqueue(s, e, pkt);
	case TERN_ARP_STALE:
		if (!tern_timer_armed(&e->timer)) {
			e->probes = 1;
			solicit(s, ifc, e, now);
		}
		break;
	default:
		break;
	}
	tern_eth_output(s, ifc, pkt, &e->mac, TERN_ETHERTYPE_IPV4, now);
}

/* ---- RFC 5227 probing ---- */

static void addr_conflict(struct tern_stack *s, struct tern_ifaddr *ia, const struct tern_mac *mac)
{
	char a[TERN_IP4_STRLEN], m[TERN_MAC_STRLEN];
	tern_stat_inc(s, TERN_STAT_ARP_CONFLICT);
	tern_ip4_str(ia->addr, a);
	tern_mac_str(mac, m);
	if (ia->state == TERN_ADDR_TENTATIVE) {
		/* RFC 5227 §2.1.1: a conflict while probing: do not use it. */
		ia->state = TERN_ADDR_CONFLICT;
		tern_timer_cancel(s, &ia->timer);
		tern_stack_logf(s, "address %s on %s is already in use by %s (RFC 5227 probe): not configured",
				a, ia->iface->name, m);
		return;
	}
	tern_stack_logf(s, "address %s on %s: conflicting ARP from %s", a, ia->iface->name, m);
	/* RFC 5227 §2.4 (b): defend once per DEFEND_INTERVAL. */
	if (s->now - ia->last_defend >= DEFEND_INTERVAL) {
		ia->last_defend = s->now;
		tern_arp_announce(s, ia->iface, ia->addr, s->now);
	}
}

static tern_time_t random_between(struct tern_stack *s, tern_time_t lo, tern_time_t hi)
{
	return lo + (tern_time_t)tern_rng_below(&s->rng, (uint64_t)(hi - lo) + 1);
}

static void probe_timer(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_ifaddr *ia = TERN_CONTAINER_OF(t, struct tern_ifaddr, timer);
	struct tern_iface *ifc = ia->iface;
	if (ia->state == TERN_ADDR_TENTATIVE && ia->probes_sent < s->cfg.dad_probe_num) {
		/* RFC 5227 §2.1.1: probe = request with sender address 0. */
		arp_send(s, ifc, TERN_ARP_OP_REQUEST, 0, &tern_mac_zero, ia->addr, &tern_mac_broadcast,
			 TERN_STAT_ARP_PROBES_SENT);
		ia->probes_sent++;
		tern_time_t next = ia->probes_sent < s->cfg.dad_probe_num
					   ? random_between(s, s->cfg.dad_probe_min, s->cfg.dad_probe_max)
					   : s->cfg.dad_announce_wait;
		tern_timer_arm(s, t, now + next);
		return;
	}
	if (ia->state == TERN_ADDR_TENTATIVE) {
		ia->state = TERN_ADDR_PREFERRED; /* §2.3: no conflict: announce */
		char a[TERN_IP4_STRLEN];
		tern_stack_logf(s, "address %s on %s: no conflict after %u probes", tern_ip4_str(ia->addr, a),
				ifc->name, ia->probes_sent);
	}
	if (ia->state == TERN_ADDR_PREFERRED && ia->announces_sent < ANNOUNCE_NUM) {
		tern_arp_announce(s, ifc, ia->addr, now);
		if (++ia->announces_sent < ANNOUNCE_NUM)
			tern_timer_arm(s, t, now + ANNOUNCE_INTERVAL);
	}
}

void tern_arp_probe_start(struct tern_stack *s, struct tern_iface *ifc, struct tern_ifaddr *ia,
			  tern_time_t now)
{
	tern_timer_init(&ia->timer, probe_timer);
	ia->probes_sent = ia->announces_sent = 0;
	/* §2.1.1: wait a random time in [0, PROBE_WAIT] first. */
	tern_timer_arm(s, &ia->timer, now + random_between(s, 0, s->cfg.dad_probe_wait));
}

/* Check an incoming ARP packet against our addresses on ifc (§2.1.1, §2.4). */
static void check_conflicts(struct tern_stack *s, struct tern_iface *ifc,
			    const struct tern_arp_repr *arp)
{
	for (int j = 0; j < TERN_MAX_ADDRS; j++) {
		struct tern_ifaddr *ia = &ifc->addrs[j];
		if (!ia->used || ia->state == TERN_ADDR_CONFLICT)
			continue;
		bool uses_it = arp->spa == ia->addr;
		bool probes_it = ia->state == TERN_ADDR_TENTATIVE && arp->spa == 0 &&
				 arp->op == TERN_ARP_OP_REQUEST && arp->tpa == ia->addr;
		if (uses_it || probes_it)
			addr_conflict(s, ia, &arp->sha);
	}
}

/* ---- input (RFC 826, "Packet Reception") ---- */

void tern_arp_input(struct tern_stack *s, struct tern_iface *ifc, struct tern_pkt *pkt,
		    tern_time_t now)
{
	struct tern_arp_repr arp;
	tern_stat_inc(s, TERN_STAT_ARP_IN);
	enum tern_stat bad = tern_arp_parse(tern_pkt_data(pkt), pkt->len, &arp);
	if (bad)
		return tern_drop(s, pkt, bad, TERN_LAYER_LINK);
	if (tern_mac_is_multicast(&arp.sha) || tern_mac_eq(&arp.sha, &ifc->mac) ||
	    tern_ip4_is_multicast(arp.spa) || arp.spa == TERN_IP4_BROADCAST)
		return tern_drop(s, pkt, TERN_STAT_ARP_BAD_SENDER, TERN_LAYER_LINK);

	check_conflicts(s, ifc, &arp);

	/* Merge: update the sender's entry if we have one. */
	bool merged = false;
	struct tern_arp_entry *e = arp.spa ? entry_find(s, ifc->index, arp.spa) : NULL;
	if (e) {
		confirm(s, e, &arp.sha, now);
		merged = true;
	}
	struct tern_ifaddr *target = tern_ifaddr_find(s, arp.tpa);
	if (!target || target->state != TERN_ADDR_PREFERRED || arp.tpa == arp.spa)
		return tern_drop(s, pkt, TERN_STAT_ARP_NOT_FOR_US, TERN_LAYER_LINK);
	if (!merged && arp.spa && (e = entry_create(s, ifc->index, arp.spa)))
		confirm(s, e, &arp.sha, now);
	if (arp.op == TERN_ARP_OP_REQUEST)
		arp_send(s, ifc, TERN_ARP_OP_REPLY, arp.tpa, &arp.sha, arp.spa, &arp.sha,
			 TERN_STAT_ARP_REPLIES_SENT);
	tern_stack_pkt_free(s, pkt);
}
