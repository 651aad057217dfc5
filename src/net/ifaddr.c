/*
 * net/ifaddr.c — adding and removing an interface's IPv4 addresses: the
 * connected route comes and goes with the address, and a new address is
 * announced (or probed first, RFC 5227) by ARP below.
 */
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "link/arp.h"
#include "net/net.h"

static int add_connected_route(struct tern_stack *s, struct tern_iface *ifc, struct tern_ifaddr *ia)
{
	struct tern_route r = {
		.dst = ia->addr & tern_ip4_mask(ia->plen),
		.plen = ia->plen,
		.flags = TERN_ROUTE_CONNECTED,
		.ifindex = ifc->index,
		.prefsrc = ia->addr,
	};
	return tern_route_insert(&s->net->routes, &r);
}

/* Room for one more address in s->addrs and s->bcasts: one block holds
 * both (cap pointers, then cap broadcasts), so a host pays for one. */
static int grow_addr_list(struct tern_stack *s)
{
	unsigned cap = s->cap_addrs ? s->cap_addrs * 2 : 2;
	struct tern_ifaddr **a = malloc(cap * (sizeof(*a) + sizeof(tern_ip4_t)));
	if (!a)
		return TERN_ENOMEM;
	tern_ip4_t *b = (tern_ip4_t *)(void *)(a + cap);
	if (s->n_addrs)
		memcpy(a, s->addrs, s->n_addrs * sizeof(*a));
	if (s->n_bcasts)
		memcpy(b, s->bcasts, s->n_bcasts * sizeof(*b));
	free(s->addrs);
	s->addrs = a;
	s->bcasts = b;
	s->cap_addrs = cap;
	return 0;
}

/* Slot j's record, made if it never was (slot 0 is the interface's). */
static struct tern_ifaddr *slot_make(struct tern_iface *ifc, int j)
{
	struct tern_ifaddr *ia = tern_iface_slot(ifc, j);
	if (ia)
		return ia;
	if (!ifc->more && !(ifc->more = calloc(TERN_MAX_ADDRS - 1, sizeof(*ifc->more))))
		return NULL;
	return ifc->more[j - 1] = malloc(sizeof(*ifc->more[j - 1]));
}

int tern_stack_addr_add(struct tern_stack *s, int ifindex, tern_ip4_t addr, unsigned plen,
			unsigned flags)
{
	struct tern_iface *ifc = tern_iface_get(s, ifindex);
	if (!ifc)
		return TERN_ENODEV;
	if (plen > 32 || addr == 0 || addr == TERN_IP4_BROADCAST || tern_ip4_is_multicast(addr))
		return TERN_EINVAL;
	if (tern_ifaddr_find(s, addr))
		return TERN_EEXIST;
	int slot = -1;
	for (int j = 0; j < TERN_MAX_ADDRS && slot < 0; j++)
		if (!tern_iface_addr(ifc, j))
			slot = j;
	if (slot < 0)
		return TERN_ENOSPC;
	struct tern_ifaddr *ia = slot_make(ifc, slot);
	if (!ia || (s->n_addrs == s->cap_addrs && grow_addr_list(s) < 0))
		return TERN_ENOMEM;
	*ia = (struct tern_ifaddr){
		.used = true,
		.plen = (uint8_t)plen,
		.addr = addr,
		.bcast = addr | ~tern_ip4_mask(plen),
		.iface = ifc,
		.last_defend = -TERN_SEC(3600),
	};
	tern_timer_init(&ia->timer, NULL);
	int err = add_connected_route(s, ifc, ia);
	if (err < 0 && err != TERN_EEXIST) {
		ia->used = false;
		return err;
	}
	s->addrs[s->n_addrs++] = ia;
	tern_stack_addrs_changed(s);
	if (ifc->loopback) {
		ia->state = TERN_ADDR_PREFERRED;
	} else if (flags & TERN_ADDR_PROBE) {
		ia->state = TERN_ADDR_TENTATIVE;
		tern_arp_probe_start(s, ifc, ia, s->now);
	} else if (s->cfg->arp_announce_jitter > 0) {
		ia->state = TERN_ADDR_PREFERRED;
		tern_arp_announce_later(s, ia, s->now);
	} else {
		ia->state = TERN_ADDR_PREFERRED;
		tern_arp_announce(s, ifc, addr, s->now);
	}
	tern_stack_addrs_changed(s); /* and its state */
	return 0;
}

static void unlist_addr(struct tern_stack *s, const struct tern_ifaddr *ia)
{
	for (unsigned k = 0; k < s->n_addrs; k++) {
		if (s->addrs[k] == ia) {
			s->addrs[k] = s->addrs[--s->n_addrs];
			tern_stack_addrs_changed(s);
			return;
		}
	}
}

int tern_stack_addr_del(struct tern_stack *s, int ifindex, tern_ip4_t addr)
{
	struct tern_iface *ifc = tern_iface_get(s, ifindex);
	if (!ifc)
		return TERN_ENODEV;
	for (int j = 0; j < tern_iface_nslots(ifc); j++) {
		struct tern_ifaddr *ia = tern_iface_addr(ifc, j);
		if (ia && ia->addr == addr) {
			tern_timer_cancel(s, &ia->timer);
			tern_route_remove_iface(&s->net->routes, ifindex, addr);
			ia->used = false;
			unlist_addr(s, ia);
			return 0;
		}
	}
	return TERN_EADDRNOTAVAIL;
}
