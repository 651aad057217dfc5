/*
 * dev/switch.c — an Ethernet learning switch (IEEE 802.1D transparent
 * bridging, without spanning tree).
 *
 * It sits above its port devices, in the place a stack would: attaching a
 * device installs the switch's receive callback on it, so every frame the
 * port delivers (typically one end of a link whose other end is a host)
 * comes here. The switch learns which port each source MAC lives behind
 * and sends a frame to its destination's port, or floods it to every other
 * port while the destination is unknown or a group address.
 *
 * The MAC table (the "forwarding database", as Linux's bridge calls it) is
 * a hash table that grows with the stations seen: entries in a slab with
 * a free list, chained from a power-of-two bucket array that doubles when
 * the load passes 3/4, so a silent receiver is never evicted to make room
 * and frames to it are never flooded. Entries are kept in a list by the
 * time they were last seen; an entry not refreshed for `aging` (300 s by
 * default, as Linux's bridge ageing_time) expires, and expired entries are
 * taken off the front of the list as frames pass, O(1) per frame. Time
 * comes from the `now` each frame carries (or tern_switch_expire), never a
 * clock. A bound on the table (SW_MAX_ENTRIES, as Linux's
 * fdb_max_learned) keeps a flood of forged source addresses from taking
 * memory without end: past it new stations are not learned, only flooded
 * to, and counted.
 */
#include <stdlib.h>
#include <string.h>

#include "tern/err.h"
#include "tern/netdev.h"
#include "wire/ethernet.h"

#define SW_DEFAULT_PORTS 32
#define SW_DEFAULT_AGING TERN_SEC(300) /* 802.1D's and Linux's default ageing time */
#define SW_MIN_BUCKETS 16
#define SW_MAX_ENTRIES (1u << 20)
#define SW_NIL (-1)

struct sw_port {
	struct tern_switch *sw;
	struct tern_netdev *dev;
	unsigned index;
};

struct sw_entry {
	struct tern_mac mac;
	uint32_t port;
	tern_time_t seen;
	int32_t hnext;        /* bucket chain; free list while unused */
	int32_t prev, next;   /* age list, least recently seen first */
};

struct tern_switch {
	char name[TERN_NETDEV_NAMELEN];
	tern_time_t aging;
	unsigned nports, max_ports;
	struct sw_port *ports;
	struct tern_switch_stats stats;
	struct sw_entry *e;       /* slab */
	uint32_t cap;             /* slab size */
	int32_t free_head;
	int32_t *buckets;
	uint32_t nbuckets;        /* power of two */
	uint32_t count;
	int32_t old_head, new_tail; /* age list */
};

/* Fibonacci hashing of the 48-bit address. */
static uint32_t mac_bucket(const struct tern_switch *sw, const struct tern_mac *m)
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = v << 8 | m->b[i];
	return (uint32_t)((v * 0x9e3779b97f4a7c15ull) >> 32) & (sw->nbuckets - 1);
}

static int32_t find(const struct tern_switch *sw, const struct tern_mac *mac)
{
	for (int32_t i = sw->buckets[mac_bucket(sw, mac)]; i != SW_NIL; i = sw->e[i].hnext)
		if (tern_mac_eq(&sw->e[i].mac, mac))
			return i;
	return SW_NIL;
}

static void age_unlink(struct tern_switch *sw, int32_t i)
{
	struct sw_entry *x = &sw->e[i];
	if (x->prev != SW_NIL)
		sw->e[x->prev].next = x->next;
	else
		sw->old_head = x->next;
	if (x->next != SW_NIL)
		sw->e[x->next].prev = x->prev;
	else
		sw->new_tail = x->prev;
}

static void age_append(struct tern_switch *sw, int32_t i)
{
	struct sw_entry *x = &sw->e[i];
	x->next = SW_NIL;
	x->prev = sw->new_tail;
	if (sw->new_tail != SW_NIL)
		sw->e[sw->new_tail].next = i;
	else
		sw->old_head = i;
	sw->new_tail = i;
}

static void remove_entry(struct tern_switch *sw, int32_t i)
{
	int32_t *pp = &sw->buckets[mac_bucket(sw, &sw->e[i].mac)];
	while (*pp != i)
		pp = &sw->e[*pp].hnext;
	*pp = sw->e[i].hnext;
	age_unlink(sw, i);
	sw->e[i].hnext = sw->free_head;
	sw->free_head = i;
	sw->count--;
}

/* Double the bucket array (rehash) or the slab. 0 or TERN_ENOMEM, in which
 * case the table stays as it was. */
static int grow_buckets(struct tern_switch *sw)
{
	uint32_t nb = sw->nbuckets * 2;
	int32_t *b = malloc(nb * sizeof(*b));
	if (!b)
		return TERN_ENOMEM;
	for (uint32_t k = 0; k < nb; k++)
		b[k] = SW_NIL;
	free(sw->buckets);
	sw->buckets = b;
	sw->nbuckets = nb;
	for (int32_t i = sw->old_head; i != SW_NIL; i = sw->e[i].next) {
		uint32_t k = mac_bucket(sw, &sw->e[i].mac);
		sw->e[i].hnext = b[k];
		b[k] = i;
	}
	sw->stats.table_buckets = nb;
	return 0;
}

static int grow_slab(struct tern_switch *sw)
{
	uint32_t ncap = sw->cap ? sw->cap * 2 : SW_MIN_BUCKETS;
	struct sw_entry *e = realloc(sw->e, ncap * sizeof(*e));
	if (!e)
		return TERN_ENOMEM;
	sw->e = e;
	for (uint32_t k = ncap; k-- > sw->cap;) {
		e[k].hnext = sw->free_head;
		sw->free_head = (int32_t)k;
	}
	sw->cap = ncap;
	return 0;
}

/* Take expired entries off the front of the age list. */
static void expire(struct tern_switch *sw, tern_time_t now)
{
	while (sw->old_head != SW_NIL && now - sw->e[sw->old_head].seen > sw->aging) {
		remove_entry(sw, sw->old_head);
		sw->stats.aged++;
	}
	sw->stats.table_size = sw->count;
}

/* Record that mac was seen on port: refresh its entry (a station that
 * moved is followed at once, as 802.1D learning does) or add one. */
static void learn(struct tern_switch *sw, const struct tern_mac *mac, unsigned port, tern_time_t now)
{
	int32_t i = find(sw, mac);
	if (i != SW_NIL) {
		struct sw_entry *x = &sw->e[i];
		if (x->port != port) {
			x->port = port;
			sw->stats.moved++;
		}
		x->seen = now;
		age_unlink(sw, i);
		age_append(sw, i);
		return;
	}
	if (sw->count >= SW_MAX_ENTRIES) {
		sw->stats.learn_refused++;
		return;
	}
	if ((sw->free_head == SW_NIL && grow_slab(sw) < 0) ||
	    (sw->count + 1 > sw->nbuckets / 4 * 3 && grow_buckets(sw) < 0)) {
		sw->stats.learn_refused++;
		return;
	}
	i = sw->free_head;
	struct sw_entry *x = &sw->e[i];
	sw->free_head = x->hnext;
	x->mac = *mac;
	x->port = port;
	x->seen = now;
	uint32_t k = mac_bucket(sw, mac);
	x->hnext = sw->buckets[k];
	sw->buckets[k] = i;
	age_append(sw, i);
	sw->count++;
	sw->stats.learned++;
	sw->stats.table_size = sw->count;
	if (sw->count > sw->stats.table_peak)
		sw->stats.table_peak = sw->count;
}

static void flood(struct tern_switch *sw, unsigned from, const uint8_t *frame, size_t len,
		  tern_time_t now)
{
	sw->stats.flooded++;
	for (unsigned i = 0; i < sw->nports; i++)
		if (i != from)
			tern_netdev_transmit(sw->ports[i].dev, frame, len, now);
}

/* Receive callback installed on every port. */
static void switch_rx(void *ctx, struct tern_netdev *dev, const uint8_t *frame, size_t len,
		      tern_time_t now)
{
	struct sw_port *port = ctx;
	struct tern_switch *sw = port->sw;
	struct tern_mac dst, src;

	if (len < TERN_ETH_HLEN) {
		sw->stats.drop_short++;
		return;
	}
	memcpy(dst.b, frame, 6);
	memcpy(src.b, frame + 6, 6);

	expire(sw, now);
	/* A group address is never a station's source; don't learn it. */
	if (!tern_mac_is_multicast(&src))
		learn(sw, &src, port->index, now);
	if (tern_mac_is_multicast(&dst)) {
		flood(sw, port->index, frame, len, now);
		return;
	}
	int32_t i = find(sw, &dst);
	struct sw_entry *e = i == SW_NIL ? NULL : &sw->e[i];
	if (!e) {
		sw->stats.flooded_unknown++;
		flood(sw, port->index, frame, len, now);
	} else if (e->port == port->index) {
		/* Both stations sit behind the ingress port: they heard it. */
		sw->stats.filtered++;
	} else {
		sw->stats.forwarded++;
		tern_netdev_transmit(sw->ports[e->port].dev, frame, len, now);
	}
}

struct tern_switch *tern_switch_create(const char *name, unsigned max_ports, tern_time_t aging)
{
	struct tern_switch *sw = calloc(1, sizeof(*sw));
	if (!sw)
		return NULL;
	sw->max_ports = max_ports ? max_ports : SW_DEFAULT_PORTS;
	sw->aging = aging > 0 ? aging : SW_DEFAULT_AGING;
	sw->ports = calloc(sw->max_ports, sizeof(*sw->ports));
	sw->nbuckets = SW_MIN_BUCKETS;
	sw->buckets = malloc(sw->nbuckets * sizeof(*sw->buckets));
	if (!sw->ports || !sw->buckets) {
		free(sw->ports);
		free(sw->buckets);
		free(sw);
		return NULL;
	}
	for (uint32_t k = 0; k < sw->nbuckets; k++)
		sw->buckets[k] = SW_NIL;
	sw->free_head = sw->old_head = sw->new_tail = SW_NIL;
	sw->stats.table_buckets = sw->nbuckets;
	if (name)
		strncpy(sw->name, name, sizeof(sw->name) - 1);
	return sw;
}

int tern_switch_attach(struct tern_switch *sw, struct tern_netdev *port)
{
	if (sw->nports == sw->max_ports)
		return TERN_ENOSPC;
	struct sw_port *p = &sw->ports[sw->nports];
	p->sw = sw;
	p->dev = port;
	p->index = sw->nports;
	tern_netdev_set_rx(port, switch_rx, p);
	return (int)sw->nports++;
}

void tern_switch_get_stats(const struct tern_switch *sw, struct tern_switch_stats *out)
{
	*out = sw->stats;
	out->aging = sw->aging;
}

int tern_switch_set_aging(struct tern_switch *sw, tern_time_t aging)
{
	if (aging <= 0)
		return TERN_EINVAL;
	sw->aging = aging;
	return 0;
}

void tern_switch_expire(struct tern_switch *sw, tern_time_t now)
{
	expire(sw, now);
}

int tern_switch_lookup(const struct tern_switch *sw, const struct tern_mac *mac, tern_time_t now)
{
	int32_t i = find(sw, mac);
	if (i == SW_NIL || now - sw->e[i].seen > sw->aging)
		return TERN_ENOENT;
	return (int)sw->e[i].port;
}

/* The ports are not ours and may already be gone, so they are not touched:
 * their receive callbacks still point here, and a port must not deliver
 * after its switch is destroyed. */
void tern_switch_destroy(struct tern_switch *sw)
{
	if (!sw)
		return;
	free(sw->ports);
	free(sw->buckets);
	free(sw->e);
	free(sw);
}
