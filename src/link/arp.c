/*
 * link/arp.c — ARP (RFC 826) with the neighbour cache, and RFC 5227
 * address-conflict probing and defence. See arp.h for the call order.
 *
 * Cache entries live in chunks of 8 made as needed, up to arp_cache_size
 * (the last chunk goes back once it is empty; arp.h), chained into hash
 * buckets by index (the bucket array doubles as entries are made), and
 * each sits in the list of
 * entries in its state, oldest first. A new entry takes a free slot, else
 * the entry STALE longest, else (for our own traffic only) the REACHABLE
 * entry confirmed longest ago; never one still resolving, never a static
 * one. A peer's request may only displace STALE entries: a flood from
 * spoofed senders churns through the entries it made itself and never
 * reaches a live peer. Each choice is O(1).
 *
 * Entry life: INCOMPLETE (requests every arp_retrans_time, up to
 * arp_max_probes; then every queued datagram earns an ICMP host
 * unreachable and the entry goes) → REACHABLE (for arp_reachable_time
 * after a confirmation) → STALE (still used; the first use probes the
 * cached MAC by unicast and, if no answer comes after arp_max_probes
 * tries, the entry goes). PERMANENT entries (tern_arp_add_static) never
 * change, expire or leave but by tern_arp_del_static.
 *
 * What a packet may teach (TERN_ARP_MODE_DEFAULT, Linux's rules with
 * arp_accept=0, made unpoisonable):
 *   - only packets for us, and gratuitous ARP (sender = target; a reply
 *     also with THA = SHA, Linux arp_is_garp), touch the cache: RFC 826's
 *     merge of any sender into an existing entry is what lets one forged
 *     packet, addressed anywhere, redirect a host's traffic;
 *   - a request for one of our addresses creates or completes the
 *     sender's entry as STALE (Linux neigh_event_ns) and is answered;
 *   - replies and gratuitous ARP never create an entry
 *     (arp.unsolicited_ignored); a reply to an INCOMPLETE entry, our
 *     outstanding request, completes it (REACHABLE), and a different MAC
 *     within arp_locktime of the last change is ignored: the first
 *     answer wins (Linux locktime);
 *   - stricter than Linux, which lets a reply after locktime, any request
 *     to us and any gratuitous ARP override the cached MAC: a known
 *     neighbour's MAC never changes on the word of one packet. A claim of
 *     a different MAC is refused (arp.override_refused) and checked: a
 *     unicast request goes to the cached MAC (arp_max_probes of them,
 *     one check in flight per entry). If it answers, the entry stays and
 *     is confirmed; if it never does, the entry resolves afresh by
 *     broadcast, as a new one would, rather than believe the claimant.
 *     Forging ARP is trivial, so one packet proves nothing; to move an
 *     entry an attacker must now also silence the real owner, and a host
 *     that really moved costs its peers about arp_max_probes seconds;
 *   - a claim of the same MAC refreshes as Linux does: a reply unicast to
 *     us confirms (REACHABLE); requests and broadcast replies leave the
 *     entry as it is (a REACHABLE entry is not downgraded).
 * TERN_ARP_MODE_STRICT learns only from replies to an outstanding request
 * of ours (INCOMPLETE, or a probe of the cached MAC answered by it);
 * requests to us are answered but teach nothing, gratuitous ARP is
 * ignored, and each refusal counts arp.strict_refused. Static entries
 * refuse a different MAC in either mode (arp.static_refused) and take the
 * same MAC silently.
 */
#include <stdlib.h>

#include "core/stack_impl.h"
#include "link/ethernet.h"
#include "link/link.h"
#include "wire/arp.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"

/* RFC 5227 §1.1: DEFEND_INTERVAL and ANNOUNCE_INTERVAL, ANNOUNCE_NUM. */
#define DEFEND_INTERVAL TERN_SEC(10)
#define ANNOUNCE_INTERVAL TERN_SEC(2)
#define ANNOUNCE_NUM 2

static void entry_timer(struct tern_stack *s, struct tern_timer *t, tern_time_t now);

#define ENTRY(c, i) (&(c)->chunks[(uint32_t)(i) >> TERN_ARP_CHUNK_SHIFT][(uint32_t)(i) & (TERN_ARP_CHUNK - 1)])

static uint32_t bucket_of(const struct tern_arp_cache *c, int ifindex, tern_ip4_t ip)
{
	uint32_t h = ip * 0x9e3779b1u ^ (uint32_t)ifindex * 0x85ebca6bu;
	return (h ^ (h >> 16)) & (c->nbuckets - 1);
}

/* ---- the per-state lists (eviction order) ---- */

static void list_unlink(struct tern_arp_cache *c, struct tern_arp_entry *e)
{
	struct tern_arp_list *l = &c->lists[e->state];
	if (e->prev != -1)
		ENTRY(c, e->prev)->next = e->next;
	else
		l->head = e->next;
	if (e->next != -1)
		ENTRY(c, e->next)->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = -1;
}

static void list_append(struct tern_arp_cache *c, struct tern_arp_entry *e)
{
	struct tern_arp_list *l = &c->lists[e->state];
	int32_t idx = e->idx;
	e->prev = l->tail;
	e->next = -1;
	if (l->tail != -1)
		ENTRY(c, l->tail)->next = idx;
	else
		l->head = idx;
	l->tail = idx;
}

/* Move e to the end of its new state's list (to the end of its own list
 * if the state is the same: a REACHABLE entry confirmed again is the
 * last to be evicted). */
static void set_state(struct tern_arp_cache *c, struct tern_arp_entry *e, enum tern_arp_state state)
{
	list_unlink(c, e);
	e->state = (uint8_t)state;
	list_append(c, e);
}

#define ARP_MIN_BUCKETS 16

/* The buckets are made with the first entry and go with the last chunk
 * (shrink_chunks): a host that never learns a neighbour has none. */
static int arp_init(struct tern_stack *s)
{
	struct tern_arp_cache *c = &s->link->arp;
	c->size = s->cfg->arp_cache_size ? s->cfg->arp_cache_size : 1;
	c->nbuckets = ARP_MIN_BUCKETS;
	for (int i = 0; i < TERN_ARP_NSTATES; i++)
		c->lists[i] = (struct tern_arp_list){-1, -1};
	return 0;
}

static int buckets_make(struct tern_arp_cache *c)
{
	c->buckets = malloc(c->nbuckets * sizeof(*c->buckets));
	if (!c->buckets)
		return TERN_ENOMEM;
	for (uint32_t i = 0; i < c->nbuckets; i++)
		c->buckets[i] = -1;
	return 0;
}

static void list_unlink(struct tern_arp_cache *c, struct tern_arp_entry *e);

/* Double the buckets once there are more entries than buckets (up to
 * the cache's size): chains stay short as the cache grows. */
static void maybe_rehash(struct tern_arp_cache *c)
{
	uint32_t made = c->nchunks * TERN_ARP_CHUNK;
	if (made <= c->nbuckets || c->nbuckets >= c->size)
		return;
	uint32_t nb = c->nbuckets * 2;
	int32_t *b = malloc(nb * sizeof(*b));
	if (!b)
		return; /* longer chains, still correct */
	for (uint32_t i = 0; i < nb; i++)
		b[i] = -1;
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = nb;
	for (uint32_t i = 0; i < made; i++) {
		struct tern_arp_entry *e = ENTRY(c, i);
		if (e->state == TERN_ARP_FREE)
			continue;
		uint32_t k = bucket_of(c, e->ifindex, e->ip);
		e->hash_next = b[k];
		b[k] = e->idx;
	}
}

/* Entries of chunk k within the cache's size (the last may be partial:
 * the rest are never listed, so never used). */
static uint32_t chunk_len(const struct tern_arp_cache *c, uint32_t k)
{
	uint32_t left = c->size - k * TERN_ARP_CHUNK;
	return left < TERN_ARP_CHUNK ? left : TERN_ARP_CHUNK;
}

/* One more chunk of FREE entries, if the cache may grow. */
static int grow_chunks(struct tern_arp_cache *c)
{
	if (c->nchunks * TERN_ARP_CHUNK >= c->size)
		return TERN_ENOSPC;
	if (c->nchunks == c->cap_chunks) {
		uint32_t cap = c->cap_chunks ? c->cap_chunks * 2 : 4;
		struct tern_arp_entry **ch = realloc(c->chunks, cap * sizeof(*ch));
		if (!ch)
			return TERN_ENOMEM;
		c->chunks = ch;
		uint32_t *u = realloc(c->chunk_used, cap * sizeof(*u));
		if (!u)
			return TERN_ENOMEM;
		c->chunk_used = u;
		c->cap_chunks = cap;
	}
	struct tern_arp_entry *ch = calloc(TERN_ARP_CHUNK, sizeof(*ch));
	if (!ch)
		return TERN_ENOMEM;
	uint32_t k = c->nchunks++;
	c->chunks[k] = ch;
	c->chunk_used[k] = 0;
	for (uint32_t i = 0; i < chunk_len(c, k); i++) {
		struct tern_arp_entry *e = &ch[i];
		e->idx = (int32_t)(k * TERN_ARP_CHUNK + i);
		tern_timer_init(&e->timer, entry_timer);
		e->prev = e->next = -1;
		list_append(c, e); /* calloc made it FREE */
	}
	maybe_rehash(c);
	return 0;
}

/* Give the last chunk back while it holds nothing: a cache that was
 * filled by a burst (a scan, a flood) shrinks back as its entries go. */
static void shrink_chunks(struct tern_arp_cache *c)
{
	while (c->nchunks && c->chunk_used[c->nchunks - 1] == 0) {
		uint32_t k = c->nchunks - 1;
		for (uint32_t i = 0; i < chunk_len(c, k); i++)
			list_unlink(c, &c->chunks[k][i]);
		free(c->chunks[k]);
		c->nchunks--;
	}
	if (c->nchunks == 0 && c->cap_chunks) {
		/* empty: back to what a new cache holds */
		free(c->chunks);
		free(c->chunk_used);
		free(c->buckets);
		c->chunks = NULL;
		c->chunk_used = NULL;
		c->buckets = NULL;
		c->cap_chunks = 0;
		c->nbuckets = ARP_MIN_BUCKETS;
	}
}

int tern_link_init(struct tern_stack *s, struct tern_link *link)
{
	s->link = link;
	return arp_init(s);
}

/* The oldest packet waiting on e, uncharged from the neighbour budget. */
static struct tern_pkt *queue_take(struct tern_stack *s, struct tern_arp_entry *e)
{
	struct tern_pkt *p = tern_pkt_dequeue(&e->queue);
	if (p) {
		tern_budget_uncharge(&s->budget.neigh, tern_pkt_truesize(p));
		s->link->arp.queued--;
	}
	return p;
}

static void entry_delete(struct tern_stack *s, struct tern_arp_entry *e)
{
	struct tern_arp_cache *c = &s->link->arp;
	int32_t idx = e->idx;
	int32_t *link = &c->buckets[bucket_of(c, e->ifindex, e->ip)];
	while (*link != -1 && *link != idx)
		link = &ENTRY(c, *link)->hash_next;
	if (*link == idx)
		*link = e->hash_next;
	tern_timer_cancel(s, &e->timer);
	struct tern_pkt *p;
	while ((p = queue_take(s, e)))
		tern_stack_pkt_free(s, p);
	set_state(c, e, TERN_ARP_FREE);
	c->used--;
	c->chunk_used[(uint32_t)idx >> TERN_ARP_CHUNK_SHIFT]--;
}

void tern_link_fini(struct tern_stack *s)
{
	if (!s->link)
		return;
	struct tern_arp_cache *c = &s->link->arp;
	for (uint32_t i = 0; i < c->nchunks * TERN_ARP_CHUNK; i++)
		if (ENTRY(c, i)->state != TERN_ARP_FREE)
			entry_delete(s, ENTRY(c, i));
	for (uint32_t k = 0; k < c->nchunks; k++)
		free(c->chunks[k]);
	free(c->chunks);
	free(c->chunk_used);
	free(c->buckets);
	s->link = NULL;
}

size_t tern_arp_queued(const struct tern_stack *s)
{
	return s->link->arp.queued;
}

unsigned tern_arp_entries(const struct tern_stack *s)
{
	return s->link->arp.used;
}

static struct tern_arp_entry *entry_find(const struct tern_stack *s, int ifindex, tern_ip4_t ip)
{
	const struct tern_arp_cache *c = &s->link->arp;
	if (!c->buckets)
		return NULL;
	for (int32_t i = c->buckets[bucket_of(c, ifindex, ip)]; i != -1; i = ENTRY(c, i)->hash_next)
		if (ENTRY(c, i)->ip == ip && ENTRY(c, i)->ifindex == ifindex)
			return ENTRY(c, i);
	return NULL;
}

/* A free slot, else the entry STALE longest; unless a peer's packet asks
 * for the slot, else the oldest still INCOMPLETE (its waiting packets are
 * dropped and counted), and only then the REACHABLE entry confirmed
 * longest ago. A flood of destinations that never answer (replies to
 * spoofed on-link sources) thus displaces itself, not a neighbour that
 * proved itself. Static entries are never on these lists. */
static struct tern_arp_entry *entry_slot(struct tern_stack *s, bool peer_asked)
{
	struct tern_arp_cache *c = &s->link->arp;
	int32_t i = c->lists[TERN_ARP_FREE].head;
	if (i == -1 && grow_chunks(c) == 0)
		i = c->lists[TERN_ARP_FREE].head;
	if (i == -1)
		i = c->lists[TERN_ARP_STALE].head;
	if (i == -1 && !peer_asked)
		i = c->lists[TERN_ARP_INCOMPLETE].head;
	if (i == -1 && !peer_asked)
		i = c->lists[TERN_ARP_REACHABLE].head;
	if (i == -1)
		return NULL;
	struct tern_arp_entry *e = ENTRY(c, i);
	if (e->state == TERN_ARP_INCOMPLETE) {
		struct tern_pkt *p;
		while ((p = queue_take(s, e)))
			tern_drop(s, p, TERN_STAT_ARP_EVICTED_UNRESOLVED, TERN_LAYER_IP);
	}
	if (e->state != TERN_ARP_FREE)
		entry_delete(s, e);
	return e;
}

/* A new INCOMPLETE entry, or NULL (the caller counts ARP_CACHE_FULL). */
static struct tern_arp_entry *entry_create(struct tern_stack *s, int ifindex, tern_ip4_t ip,
					   bool peer_asked)
{
	struct tern_arp_cache *c = &s->link->arp;
	if (!c->buckets && buckets_make(c) < 0)
		return NULL;
	struct tern_arp_entry *e = entry_slot(s, peer_asked);
	if (!e)
		return NULL;
	e->ip = ip;
	e->ifindex = ifindex;
	e->probes = 0;
	e->probing = e->contested = false;
	e->updated = s->now;
	e->queue = (struct tern_pkt_queue){0};
	set_state(c, e, TERN_ARP_INCOMPLETE);
	c->used++;
	c->chunk_used[(uint32_t)e->idx >> TERN_ARP_CHUNK_SHIFT]++;
	uint32_t b = bucket_of(c, ifindex, ip);
	e->hash_next = c->buckets[b];
	c->buckets[b] = e->idx;
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
	/* tiny: the device copies the frame, nothing queues it */
	struct tern_pkt *pkt = tern_stack_pkt_alloc_tiny(s, TERN_ETH_MIN_FRAME);
	if (!pkt)
		return;
	struct tern_arp_repr arp = {.op = op, .sha = ifc->mac, .spa = spa, .tha = *tha, .tpa = tpa};
	tern_arp_emit(&arp, tern_pkt_put(pkt, TERN_ARP_LEN));
	tern_stat_inc(s, counter);
	tern_eth_output(s, ifc, pkt, eth_dst, TERN_ETHERTYPE_ARP, s->now);
}

/* Ask for e's address and arm the retransmit timer: by broadcast while
 * resolving, else unicast to the cached MAC (Linux's PROBE state, whose
 * requests are all unicast with the default mcast_reprobes of 0). */
static void solicit(struct tern_stack *s, struct tern_iface *ifc, struct tern_arp_entry *e,
		    tern_time_t now)
{
	const struct tern_mac *dst = e->state == TERN_ARP_INCOMPLETE ? &tern_mac_broadcast : &e->mac;
	arp_send(s, ifc, TERN_ARP_OP_REQUEST, tern_iface_pick_src(ifc, e->ip), &tern_mac_zero, e->ip,
		 dst, TERN_STAT_ARP_REQUESTS_SENT);
	tern_timer_arm(s, &e->timer, now + s->cfg->arp_retrans_time);
}

/* Ask the cached MAC whether it still holds e->ip: the refresh of a STALE
 * entry in use, or the check of a claim. */
static void probe_start(struct tern_stack *s, struct tern_iface *ifc, struct tern_arp_entry *e,
			tern_time_t now)
{
	e->probing = true;
	e->probes = 1;
	solicit(s, ifc, e, now);
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

/* Linux's neighbour garbage collection (neigh_periodic_work): once the
 * cache holds more than gc_thresh1 entries, an entry left STALE and
 * unused for gc_stale_time goes, so a cache that a burst of peers filled
 * shrinks back. Below the threshold STALE entries stay, as on Linux, and
 * cost no timer. */
#define ARP_GC_THRESH1 128
#define ARP_GC_STALE_TIME TERN_SEC(60)

static void stale_gc_arm(struct tern_stack *s, struct tern_arp_entry *e, tern_time_t now)
{
	if (s->link->arp.used > ARP_GC_THRESH1)
		tern_timer_arm(s, &e->timer, now + ARP_GC_STALE_TIME);
	else
		tern_timer_cancel(s, &e->timer);
}

/* e->ip is at mac, in state (REACHABLE, STALE or PERMANENT): any probe
 * ends, and the datagrams waiting for it leave. */
static void entry_learn(struct tern_stack *s, struct tern_arp_entry *e, const struct tern_mac *mac,
			enum tern_arp_state state, tern_time_t now)
{
	/* Linux moves `updated` (the locktime's start) only on a change. */
	if (state != e->state || !tern_mac_eq(mac, &e->mac))
		e->updated = now;
	e->mac = *mac;
	set_state(&s->link->arp, e, state);
	e->probes = 0;
	e->probing = e->contested = false;
	if (state == TERN_ARP_REACHABLE)
		tern_timer_arm(s, &e->timer, now + s->cfg->arp_reachable_time);
	else if (state == TERN_ARP_STALE)
		stale_gc_arm(s, e, now); /* probed on use */
	else
		tern_timer_cancel(s, &e->timer);
	struct tern_iface *ifc = tern_iface_get(s, e->ifindex);
	struct tern_pkt *pkt;
	while ((pkt = queue_take(s, e))) {
		if (ifc)
			tern_eth_output(s, ifc, pkt, &e->mac, TERN_ETHERTYPE_IPV4, now);
		else
			tern_stack_pkt_free(s, pkt);
	}
}

static void confirm(struct tern_stack *s, struct tern_arp_entry *e, const struct tern_mac *mac,
		    tern_time_t now)
{
	entry_learn(s, e, mac, TERN_ARP_REACHABLE, now);
}

/* Resolution failed: RFC 1122 §2.3.2.2 and RFC 1812 §4.3.3.1 — tell the
 * sender of each waiting datagram that the host is unreachable. */
static void resolution_failed(struct tern_stack *s, struct tern_arp_entry *e, tern_time_t now)
{
	struct tern_pkt *pkt;
	while ((pkt = queue_take(s, e))) {
		s->link->unreachable(s, pkt, now);
		tern_drop(s, pkt, TERN_STAT_ARP_UNRESOLVED, TERN_LAYER_IP);
	}
	entry_delete(s, e);
}

/* The cached MAC did not answer its probes. A plain refresh forgets the
 * entry (the next use resolves afresh); a contested entry resolves afresh
 * now, by broadcast, and takes whichever answer comes first — not the
 * claimant's word. */
static void probe_failed(struct tern_stack *s, struct tern_iface *ifc, struct tern_arp_entry *e,
			 tern_time_t now)
{
	if (!e->contested)
		return entry_delete(s, e);
	char a[TERN_IP4_STRLEN], m[TERN_MAC_STRLEN], c[TERN_MAC_STRLEN];
	tern_stack_logf(s, "neighbour %s on %s: %s did not answer (%s claimed it); resolving afresh",
			tern_ip4_str(e->ip, a), ifc->name, tern_mac_str(&e->mac, m),
			tern_mac_str(&e->claimed, c));
	e->probing = e->contested = false;
	set_state(&s->link->arp, e, TERN_ARP_INCOMPLETE);
	e->updated = now;
	e->probes = 1;
	solicit(s, ifc, e, now);
}

static void entry_timer_run(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_arp_entry *e = TERN_CONTAINER_OF(t, struct tern_arp_entry, timer);
	struct tern_iface *ifc = tern_iface_get(s, e->ifindex);
	if (!ifc)
		return entry_delete(s, e);
	if (e->state == TERN_ARP_REACHABLE && !e->probing) {
		set_state(&s->link->arp, e, TERN_ARP_STALE); /* probed on next use */
		stale_gc_arm(s, e, now);
		return;
	}
	if (e->state == TERN_ARP_STALE && !e->probing) {
		/* unused for gc_stale_time: collected if the cache is big */
		if (s->link->arp.used > ARP_GC_THRESH1)
			entry_delete(s, e);
		return;
	}
	if (e->probes < s->cfg->arp_max_probes) {
		e->probes++;
		solicit(s, ifc, e, now);
		return;
	}
	if (e->state == TERN_ARP_INCOMPLETE)
		return resolution_failed(s, e, now);
	probe_failed(s, ifc, e, now);
}

/* An entry's timer; an entry that went may leave the last chunk empty
 * (nothing refers to e once its timer has run). */
static void entry_timer(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	entry_timer_run(s, t, now);
	shrink_chunks(&s->link->arp);
}

/* Hold pkt until e resolves. Two bounds: arp_queue_len per address (the
 * oldest waiting datagram makes room, as Linux), and the neighbour budget
 * over all addresses, which refuses the newcomer: one flood of
 * unresolvable destinations cannot take the pool. */
static void enqueue(struct tern_stack *s, struct tern_arp_entry *e, struct tern_pkt *pkt)
{
	if (!s->cfg->arp_queue_len)
		return tern_drop(s, pkt, TERN_STAT_ARP_QUEUE_FULL, TERN_LAYER_IP);
	if (e->queue.len >= s->cfg->arp_queue_len)
		tern_drop(s, queue_take(s, e), TERN_STAT_ARP_QUEUE_FULL, TERN_LAYER_IP);
	size_t size = tern_pkt_truesize(pkt);
	if (!tern_budget_fits(&s->budget.neigh, size))
		return tern_drop(s, pkt, TERN_STAT_ARP_QUEUE_MEMORY, TERN_LAYER_IP);
	tern_budget_charge(&s->budget.neigh, size);
	tern_pkt_enqueue(&e->queue, pkt);
	s->link->arp.queued++;
}

static void multicast_mac(tern_ip4_t group, struct tern_mac *mac)
{
	/* RFC 1112 §6.4: 01:00:5e + low 23 bits of the group. */
	*mac = (struct tern_mac){{0x01, 0x00, 0x5e, (uint8_t)((group >> 16) & 0x7f),
				  (uint8_t)(group >> 8), (uint8_t)group}};
}

int tern_arp_output(struct tern_stack *s, struct tern_iface *ifc, struct tern_pkt *pkt,
		    tern_ip4_t next_hop, tern_time_t now)
{
	if (tern_ip4_is_our_broadcast(s, next_hop))
		return tern_eth_output(s, ifc, pkt, &tern_mac_broadcast, TERN_ETHERTYPE_IPV4, now);
	if (tern_ip4_is_multicast(next_hop)) {
		struct tern_mac mac;
		multicast_mac(next_hop, &mac);
		return tern_eth_output(s, ifc, pkt, &mac, TERN_ETHERTYPE_IPV4, now);
	}
	struct tern_arp_entry *e = entry_find(s, ifc->index, next_hop);
	if (!e) {
		e = entry_create(s, ifc->index, next_hop, false);
		if (!e) {
			tern_drop(s, pkt, TERN_STAT_ARP_CACHE_FULL, TERN_LAYER_IP);
			return 0;
		}
		enqueue(s, e, pkt);
		e->probes = 1;
		solicit(s, ifc, e, now);
		return 0;
	}
	if (e->state == TERN_ARP_INCOMPLETE) {
		enqueue(s, e, pkt);
		return 0;
	}
	int err = tern_eth_output(s, ifc, pkt, &e->mac, TERN_ETHERTYPE_IPV4, now);
	/* A STALE entry is still used; its first use then probes the cached
	 * MAC. The datagram goes first, as Linux sends it at once in DELAY:
	 * an entry learned from a peer's request (STALE) delays no answer. */
	if (e->state == TERN_ARP_STALE && !e->probing)
		probe_start(s, ifc, e, now);
	return err < 0 ? err : 0;
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
		tern_stack_addrs_changed(s);
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
	if (ia->state == TERN_ADDR_TENTATIVE && ia->probes_sent < s->cfg->dad_probe_num) {
		/* RFC 5227 §2.1.1: probe = request with sender address 0. */
		arp_send(s, ifc, TERN_ARP_OP_REQUEST, 0, &tern_mac_zero, ia->addr, &tern_mac_broadcast,
			 TERN_STAT_ARP_PROBES_SENT);
		ia->probes_sent++;
		tern_time_t next = ia->probes_sent < s->cfg->dad_probe_num
					   ? random_between(s, s->cfg->dad_probe_min, s->cfg->dad_probe_max)
					   : s->cfg->dad_announce_wait;
		tern_timer_arm(s, t, now + next);
		return;
	}
	if (ia->state == TERN_ADDR_TENTATIVE) {
		ia->state = TERN_ADDR_PREFERRED; /* §2.3: no conflict: announce */
		tern_stack_addrs_changed(s);
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

/* One announcement at a random moment within arp_announce_jitter, as
 * RFC 5227 §2.1.1 has a host wait before its first probe: hosts that come
 * up together (a lab, a power cut) do not all broadcast at once. */
void tern_arp_announce_later(struct tern_stack *s, struct tern_ifaddr *ia, tern_time_t now)
{
	tern_timer_init(&ia->timer, probe_timer);
	ia->probes_sent = 0;
	ia->announces_sent = ANNOUNCE_NUM - 1; /* one, as an address added at once gets */
	tern_timer_arm(s, &ia->timer, now + random_between(s, 0, s->cfg->arp_announce_jitter));
}

void tern_arp_probe_start(struct tern_stack *s, struct tern_iface *ifc, struct tern_ifaddr *ia,
			  tern_time_t now)
{
	tern_timer_init(&ia->timer, probe_timer);
	ia->probes_sent = ia->announces_sent = 0;
	/* §2.1.1: wait a random time in [0, PROBE_WAIT] first. */
	tern_timer_arm(s, &ia->timer, now + random_between(s, 0, s->cfg->dad_probe_wait));
}

/* Check an incoming ARP packet against our addresses on ifc (§2.1.1, §2.4). */
static void check_conflicts(struct tern_stack *s, struct tern_iface *ifc,
			    const struct tern_arp_repr *arp)
{
	for (int j = 0; j < tern_iface_nslots(ifc); j++) {
		struct tern_ifaddr *ia = tern_iface_addr(ifc, j);
		if (!ia || ia->state == TERN_ADDR_CONFLICT)
			continue;
		bool uses_it = arp->spa == ia->addr;
		bool probes_it = ia->state == TERN_ADDR_TENTATIVE && arp->spa == 0 &&
				 arp->op == TERN_ARP_OP_REQUEST && arp->tpa == ia->addr;
		if (uses_it || probes_it)
			addr_conflict(s, ia, &arp->sha);
	}
}

/* ---- input (RFC 826, "Packet Reception") ---- */

/* What an ARP packet is to the cache. */
enum arp_kind {
	ARP_OTHER,       /* for another host: teaches nothing */
	ARP_REQUEST_US,  /* a request for one of our addresses */
	ARP_REPLY_US,    /* a reply to one of our addresses */
	ARP_GRATUITOUS,  /* a neighbour announcing its own address */
};

/* An address of ours (not one another host turned out to hold). */
static bool is_ours(struct tern_stack *s, tern_ip4_t addr)
{
	struct tern_ifaddr *ia = tern_ifaddr_find(s, addr);
	return ia && ia->state != TERN_ADDR_CONFLICT;
}

static enum arp_kind classify(struct tern_stack *s, const struct tern_arp_repr *arp)
{
	if (arp->spa == arp->tpa) {
		/* Linux arp_is_garp: a gratuitous reply also has THA = SHA. */
		bool garp = arp->op == TERN_ARP_OP_REQUEST || tern_mac_eq(&arp->tha, &arp->sha);
		return garp && arp->spa && !is_ours(s, arp->spa) ? ARP_GRATUITOUS : ARP_OTHER;
	}
	struct tern_ifaddr *target = tern_ifaddr_find(s, arp->tpa);
	if (!target || target->state != TERN_ADDR_PREFERRED)
		return ARP_OTHER;
	return arp->op == TERN_ARP_OP_REQUEST ? ARP_REQUEST_US : ARP_REPLY_US;
}

/* A packet we would otherwise believe says e->ip is at mac. The same MAC
 * changes nothing (a REACHABLE entry is not downgraded, as Linux). Another
 * is refused and checked: the cached MAC is probed, one probe sequence at
 * a time, and the entry moves only if that MAC stays silent. */
static enum tern_stat claim(struct tern_stack *s, struct tern_iface *ifc,
			    struct tern_arp_entry *e, const struct tern_mac *mac, tern_time_t now)
{
	if (tern_mac_eq(mac, &e->mac))
		return TERN_STAT_NONE;
	if (!e->contested) {
		char a[TERN_IP4_STRLEN], m[TERN_MAC_STRLEN], old[TERN_MAC_STRLEN];
		tern_stack_logf(s, "neighbour %s on %s: %s claims it; asking the cached %s first",
				tern_ip4_str(e->ip, a), ifc->name, tern_mac_str(mac, m),
				tern_mac_str(&e->mac, old));
		e->contested = true;
		e->claimed = *mac;
	}
	if (!e->probing)
		probe_start(s, ifc, e, now);
	return TERN_STAT_ARP_OVERRIDE_REFUSED;
}

/* A request for us or an announcement, about an entry we have: it
 * completes one we are resolving, as STALE (Linux neigh_event_ns, and
 * its override by gratuitous ARP); for any other it is a claim. */
static enum tern_stat learn_stale(struct tern_stack *s, struct tern_iface *ifc,
				  struct tern_arp_entry *e, const struct tern_arp_repr *arp,
				  tern_time_t now)
{
	if (e->state == TERN_ARP_INCOMPLETE) {
		entry_learn(s, e, &arp->sha, TERN_ARP_STALE, now);
		return TERN_STAT_NONE;
	}
	return claim(s, ifc, e, &arp->sha, now);
}

/* A reply completes our outstanding request (the first answer wins:
 * another MAC within arp_locktime of the last change is ignored, as
 * Linux's locktime); unicast with the cached MAC, it confirms. */
static enum tern_stat learn_reply(struct tern_stack *s, struct tern_iface *ifc,
				  struct tern_arp_entry *e, const struct tern_arp_repr *arp,
				  bool unicast, tern_time_t now)
{
	if (!e)
		return TERN_STAT_ARP_UNSOLICITED; /* Linux arp_accept=0 */
	if (e->state == TERN_ARP_INCOMPLETE) {
		confirm(s, e, &arp->sha, now);
		return TERN_STAT_NONE;
	}
	if (tern_mac_eq(&arp->sha, &e->mac)) {
		if (unicast)
			confirm(s, e, &arp->sha, now);
		return TERN_STAT_NONE;
	}
	if (now - e->updated < s->cfg->arp_locktime)
		return TERN_STAT_ARP_OVERRIDE_REFUSED;
	return claim(s, ifc, e, &arp->sha, now);
}

/* Strict mode: only the answer to a request of ours teaches — while
 * resolving, or from the cached MAC while we probe it. */
static enum tern_stat learn_strict(struct tern_stack *s, struct tern_arp_entry *e,
				   const struct tern_arp_repr *arp, enum arp_kind kind,
				   tern_time_t now)
{
	bool answers = kind == ARP_REPLY_US && e &&
		       (e->state == TERN_ARP_INCOMPLETE ||
			(e->probing && tern_mac_eq(&arp->sha, &e->mac)));
	if (!answers)
		return TERN_STAT_ARP_STRICT_REFUSED;
	confirm(s, e, &arp->sha, now);
	return TERN_STAT_NONE;
}

/* Apply what the packet says about its sender; returns the reason it
 * was refused, or TERN_STAT_NONE. */
static enum tern_stat learn(struct tern_stack *s, struct tern_iface *ifc,
			    const struct tern_arp_repr *arp, enum arp_kind kind, bool unicast,
			    tern_time_t now)
{
	if (kind == ARP_OTHER || !arp->spa || is_ours(s, arp->spa))
		return TERN_STAT_NONE; /* a probe, our own address: not a neighbour */
	struct tern_arp_entry *e = entry_find(s, ifc->index, arp->spa);
	if (e && e->state == TERN_ARP_PERMANENT)
		return tern_mac_eq(&arp->sha, &e->mac) ? TERN_STAT_NONE : TERN_STAT_ARP_STATIC_REFUSED;
	if (s->cfg->arp_mode == TERN_ARP_MODE_STRICT)
		return learn_strict(s, e, arp, kind, now);
	switch (kind) {
	case ARP_REQUEST_US:
		/* Linux neigh_event_ns: a request for us creates the sender's
		 * entry (STALE), displacing at most a STALE one. */
		if (!e && !(e = entry_create(s, ifc->index, arp->spa, true)))
			return TERN_STAT_ARP_CACHE_FULL;
		return learn_stale(s, ifc, e, arp, now);
	case ARP_REPLY_US:
		return learn_reply(s, ifc, e, arp, unicast, now);
	default:
		/* Gratuitous ARP never creates an entry (Linux arp_accept=0). */
		return e ? learn_stale(s, ifc, e, arp, now) : TERN_STAT_ARP_UNSOLICITED;
	}
}

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
	enum arp_kind kind = classify(s, &arp);
	enum tern_stat refused = learn(s, ifc, &arp, kind, pkt->l2_type == TERN_PKT_L2_UNICAST, now);
	if (kind == ARP_REQUEST_US) {
		/* Answered whatever it taught: the refusal is the cache's, not
		 * the packet's. */
		if (refused)
			tern_stat_inc(s, refused);
		arp_send(s, ifc, TERN_ARP_OP_REPLY, arp.tpa, &arp.sha, arp.spa, &arp.sha,
			 TERN_STAT_ARP_REPLIES_SENT);
		return tern_stack_pkt_free(s, pkt);
	}
	if (refused)
		return tern_drop(s, pkt, refused, TERN_LAYER_LINK);
	if (kind == ARP_OTHER)
		return tern_drop(s, pkt, TERN_STAT_ARP_NOT_FOR_US, TERN_LAYER_LINK);
	tern_stack_pkt_free(s, pkt);
}

/* ---- static entries ---- */

/* The interface with an address whose subnet holds ip (its connected
 * route), or 0. */
static int on_link_ifindex(const struct tern_stack *s, tern_ip4_t ip)
{
	for (unsigned i = 0; i < s->n_addrs; i++) {
		const struct tern_ifaddr *ia = s->addrs[i];
		uint32_t mask = ia->plen ? ~0u << (32 - ia->plen) : 0;
		if (!ia->iface->loopback && ia->state != TERN_ADDR_CONFLICT &&
		    (ip & mask) == (ia->addr & mask))
			return ia->iface->index;
	}
	return 0;
}

/* Where a static entry for ip goes: *ifindex, or (0) the interface whose
 * connected route covers ip. */
static int static_iface(struct tern_stack *s, int *ifindex, tern_ip4_t ip)
{
	if (!ip || tern_ip4_is_multicast(ip) || tern_ip4_is_our_broadcast(s, ip) ||
	    tern_stack_is_local_addr(s, ip))
		return TERN_EINVAL;
	if (*ifindex == 0 && !(*ifindex = on_link_ifindex(s, ip)))
		return TERN_ENETUNREACH;
	struct tern_iface *ifc = tern_iface_get(s, *ifindex);
	return ifc && !ifc->loopback ? 0 : TERN_ENODEV;
}

int tern_arp_add_static(struct tern_stack *s, int ifindex, tern_ip4_t ip,
			const struct tern_mac *mac)
{
	int rc = static_iface(s, &ifindex, ip);
	if (rc < 0)
		return rc;
	if (!mac || tern_mac_is_multicast(mac) || tern_mac_eq(mac, &tern_mac_zero))
		return TERN_EINVAL;
	struct tern_arp_entry *e = entry_find(s, ifindex, ip);
	if (!e && !(e = entry_create(s, ifindex, ip, false)))
		return TERN_ENOSPC;
	entry_learn(s, e, mac, TERN_ARP_PERMANENT, s->now);
	return 0;
}

int tern_arp_del_static(struct tern_stack *s, int ifindex, tern_ip4_t ip)
{
	if (static_iface(s, &ifindex, ip) < 0)
		return TERN_ENOENT;
	struct tern_arp_entry *e = entry_find(s, ifindex, ip);
	if (!e || e->state != TERN_ARP_PERMANENT)
		return TERN_ENOENT;
	entry_delete(s, e);
	shrink_chunks(&s->link->arp);
	return 0;
}
