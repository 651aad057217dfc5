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
 * The MAC table is a fixed set-associative hash (SW_SETS x SW_WAYS), so
 * memory is bounded whatever the traffic: a full set evicts its stalest
 * entry. Entries not refreshed for `aging` expire; time comes from the
 * `now` each frame carries, never a clock.
 */
#include <stdlib.h>
#include <string.h>

#include "tern/err.h"
#include "tern/netdev.h"
#include "wire/ethernet.h"

#define SW_SETS 256
#define SW_WAYS 4
#define SW_DEFAULT_PORTS 32
#define SW_DEFAULT_AGING TERN_SEC(300) /* the 802.1D default ageing time */

struct sw_port {
	struct tern_switch *sw;
	struct tern_netdev *dev;
	unsigned index;
};

struct sw_entry {
	struct tern_mac mac;
	bool used;
	unsigned port;
	tern_time_t seen;
};

struct tern_switch {
	char name[TERN_NETDEV_NAMELEN];
	tern_time_t aging;
	unsigned nports, max_ports;
	struct sw_port *ports;
	struct tern_switch_stats stats;
	struct sw_entry table[SW_SETS][SW_WAYS];
};

/* Fibonacci hashing of the 48-bit address; the top bits pick the set. */
static unsigned mac_set(const struct tern_mac *m)
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = v << 8 | m->b[i];
	return (unsigned)((v * 0x9e3779b97f4a7c15ull) >> 56) % SW_SETS;
}

static bool entry_live(const struct tern_switch *sw, const struct sw_entry *e, tern_time_t now)
{
	return e->used && now - e->seen <= sw->aging;
}

/* The live entry for mac, or NULL. */
static struct sw_entry *lookup(struct tern_switch *sw, const struct tern_mac *mac, tern_time_t now)
{
	struct sw_entry *set = sw->table[mac_set(mac)];
	for (int w = 0; w < SW_WAYS; w++)
		if (entry_live(sw, &set[w], now) && tern_mac_eq(&set[w].mac, mac))
			return &set[w];
	return NULL;
}

/* Record that mac was seen on port: refresh its entry, or take a free or
 * expired way, or else evict the way seen longest ago. */
static void learn(struct tern_switch *sw, const struct tern_mac *mac, unsigned port, tern_time_t now)
{
	struct sw_entry *set = sw->table[mac_set(mac)];
	struct sw_entry *e = lookup(sw, mac, now);

	for (int w = 0; !e && w < SW_WAYS; w++)
		if (!entry_live(sw, &set[w], now))
			e = &set[w];
	if (!e) {
		e = &set[0];
		for (int w = 1; w < SW_WAYS; w++)
			if (set[w].seen < e->seen)
				e = &set[w];
	}
	e->mac = *mac;
	e->used = true;
	e->port = port;
	e->seen = now;
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

	/* A group address is never a station's source; don't learn it. */
	if (!tern_mac_is_multicast(&src))
		learn(sw, &src, port->index, now);
	if (tern_mac_is_multicast(&dst)) {
		flood(sw, port->index, frame, len, now);
		return;
	}
	struct sw_entry *e = lookup(sw, &dst, now);
	if (!e) {
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
	if (!sw->ports) {
		free(sw);
		return NULL;
	}
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
}

/* The ports are not ours and may already be gone, so they are not touched:
 * their receive callbacks still point here, and a port must not deliver
 * after its switch is destroyed. */
void tern_switch_destroy(struct tern_switch *sw)
{
	if (!sw)
		return;
	free(sw->ports);
	free(sw);
}
