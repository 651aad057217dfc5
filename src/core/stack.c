/*
 * core/stack.c — the host: creation and teardown, interfaces and addresses,
 * the poll/timer contract, counters, tracing and logging.
 *
 * Entry points: a device calls iface_rx() with a received frame (installed
 * by tern_stack_attach); runners call tern_stack_poll() when
 * tern_stack_poll_at() comes due. Both record `now` first; nothing here
 * reads a clock.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "link/ethernet.h"
#include "wire/ethernet.h"

void tern_stack_config_init(struct tern_stack_config *c)
{
	*c = (struct tern_stack_config){
		.name = "host",
		.seed = 1,
		.default_ttl = 64,
		.arp_reachable_time = TERN_SEC(30),
		.arp_retrans_time = TERN_SEC(1),
		.arp_max_probes = 3,
		.arp_queue_len = 101, /* Linux unres_qlen */
		.arp_queue_total_bytes = 2u << 20,
		.arp_cache_size = 1024,
		.dad_probe_wait = TERN_SEC(1),
		.dad_probe_min = TERN_SEC(1),
		.dad_probe_max = TERN_SEC(2),
		.dad_probe_num = 3,
		.dad_announce_wait = TERN_SEC(2),
		.reasm_timeout = TERN_SEC(30),
		.reasm_high_thresh = 4u << 20,
		.reasm_low_thresh = 3u << 20,
		.reasm_max_frags = 64,
		.icmp_ratelimit_per_sec = 1000,
		.icmp_ratelimit_burst = 50,
		.icmp_ratelimit = TERN_SEC(1),
		.icmp_ratemask = 0x1818,
		.icmp_echo_ignore_broadcasts = true,
		.send_redirects = true,
		.accept_redirects = true,
		.redirect_routes_max = 256,
		.pkt_pool_max_bytes = 32u << 20,
		.pkt_pool_keep_bytes = 1u << 20,
		.sock_rcv_total_bytes = 16u << 20,
	};
}

static void add_loopback(struct tern_stack *s)
{
	struct tern_iface *lo = &s->ifaces[TERN_IFINDEX_LOOPBACK];
	lo->used = true;
	lo->loopback = true;
	lo->index = TERN_IFINDEX_LOOPBACK;
	lo->stack = s;
	lo->mtu = 65536;
	strcpy(lo->name, "lo");
	s->n_ifaces = 1;
	tern_stack_addr_add(s, TERN_IFINDEX_LOOPBACK, TERN_IP4(127, 0, 0, 1), 8, 0);
}

static size_t at_most(size_t v, size_t cap)
{
	return v < cap ? v : cap;
}

/* Each budget gets what the configuration asks, within its share of the
 * pool (tern/stack.h); the shares leave 1/8 of the pool to no budget. */
static void budgets_init(struct tern_stack *s)
{
	const struct tern_stack_config *c = &s->cfg;
	size_t pool = c->pkt_pool_max_bytes;
	s->budget.reasm.limit = at_most(c->reasm_high_thresh, pool / 4);
	s->cfg.reasm_high_thresh = s->budget.reasm.limit;
	s->cfg.reasm_low_thresh = at_most(c->reasm_low_thresh, s->cfg.reasm_high_thresh);
	s->budget.neigh.limit = at_most(c->arp_queue_total_bytes, pool / 8);
	s->budget.sock_rx.limit = at_most(c->sock_rcv_total_bytes, pool / 2);
}

/* Give free buffers back to malloc, once a second while the pool is
 * bigger than its resting size (core/pkt.c keeps what the last second
 * needed). */
static void pool_trim_timer(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	tern_pkt_pool_trim(&s->pool, s->cfg.pkt_pool_keep_bytes);
	if (s->pool.made_bytes > s->cfg.pkt_pool_keep_bytes)
		tern_timer_arm(s, t, now + TERN_SEC(1));
}

struct tern_stack *tern_stack_create(const struct tern_stack_config *cfg)
{
	struct tern_stack *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (cfg)
		s->cfg = *cfg;
	else
		tern_stack_config_init(&s->cfg);
	snprintf(s->name, sizeof(s->name), "%s", s->cfg.name ? s->cfg.name : "host");
	s->cfg.name = s->name;
	tern_rng_seed(&s->rng, s->cfg.seed);
	tern_pkt_pool_init(&s->pool, s->cfg.pkt_pool_max_bytes);
	tern_timer_heap_init(&s->timers);
	tern_timer_init(&s->pool_trim, pool_trim_timer);
	budgets_init(s);
	s->ip_id = (uint16_t)tern_rng_next(&s->rng);
	s->icmp_tokens_milli = (uint64_t)s->cfg.icmp_ratelimit_burst * 1000;
	tern_reasm_init(s);
	if (tern_arp_init(s) < 0) {
		tern_stack_destroy(s);
		return NULL;
	}
	tern_sock_table_init(s);
	add_loopback(s);
	return s;
}

void tern_stack_destroy(struct tern_stack *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n_ifaces; i++) {
		struct tern_iface *ifc = &s->ifaces[i];
		if (ifc->used && ifc->dev && ifc->dev->rx_ctx == ifc)
			tern_netdev_set_rx(ifc->dev, NULL, NULL);
	}
	tern_sock_table_fini(s); /* first: sockets hold packets */
	tern_reasm_fini(s);
	tern_arp_fini(s);
	tern_pkt_queue_purge(&s->pool, &s->loopback);
	tern_route_table_fini(&s->routes);
	tern_timer_heap_fini(&s->timers);
	tern_pkt_pool_fini(&s->pool);
	free(s);
}

const char *tern_stack_name(const struct tern_stack *s)
{
	return s->name;
}

void tern_stack_set_forwarding(struct tern_stack *s, bool on)
{
	s->cfg.forwarding = on;
}

/* ---- time and timers ---- */

tern_time_t tern_stack_now(const struct tern_stack *s)
{
	return s->now;
}

void tern_timer_init(struct tern_timer *t, tern_timer_fn fn)
{
	t->when = TERN_TIME_NEVER;
	t->heap_idx = -1;
	t->fn = fn;
}

void tern_timer_arm(struct tern_stack *s, struct tern_timer *t, tern_time_t when)
{
	if (tern_timer_armed(t))
		tern_timer_heap_remove(&s->timers, t);
	t->when = when;
	if (tern_timer_heap_insert(&s->timers, t) < 0)
		tern_stack_logf(s, "timer heap exhausted: timer dropped");
}

void tern_timer_cancel(struct tern_stack *s, struct tern_timer *t)
{
	if (tern_timer_armed(t))
		tern_timer_heap_remove(&s->timers, t);
}

void tern_stack_poll(struct tern_stack *s, tern_time_t now)
{
	tern_stack_advance(s, now);
	tern_ipv4_loopback_run(s, s->now);
	struct tern_timer *t;
	while ((t = tern_timer_heap_top(&s->timers)) && t->when <= s->now) {
		tern_timer_heap_remove(&s->timers, t);
		t->fn(s, t, s->now);
		tern_ipv4_loopback_run(s, s->now);
	}
}

tern_time_t tern_stack_poll_at(const struct tern_stack *s)
{
	if (s->loopback.len)
		return s->now;
	struct tern_timer *t = tern_timer_heap_top(&s->timers);
	return t ? t->when : TERN_TIME_NEVER;
}

size_t tern_stack_tx_pending(const struct tern_stack *s)
{
	return s->loopback.len + tern_arp_queued(s);
}

/* ---- packets, drops, trace, log ---- */

struct tern_pkt *tern_stack_pkt_alloc(struct tern_stack *s, size_t data_len)
{
	struct tern_pkt *p = tern_pkt_alloc(&s->pool, data_len);
	if (!p)
		tern_stat_inc(s, TERN_STAT_PKT_NOBUFS);
	else if (s->pool.made_bytes > s->cfg.pkt_pool_keep_bytes && !tern_timer_armed(&s->pool_trim))
		tern_timer_arm(s, &s->pool_trim, s->now + TERN_SEC(1));
	return p;
}

struct tern_pkt *tern_stack_pkt_clone(struct tern_stack *s, const struct tern_pkt *pkt)
{
	struct tern_pkt *c = tern_stack_pkt_alloc(s, pkt->len);
	if (!c)
		return NULL;
	memcpy(tern_pkt_put(c, pkt->len), tern_pkt_data(pkt), pkt->len);
	c->ifindex = pkt->ifindex;
	c->l2_type = pkt->l2_type;
	return c;
}

void tern_trace_emit(struct tern_stack *s, enum tern_trace_kind kind, enum tern_trace_layer layer,
		     int ifindex, const uint8_t *data, size_t len, enum tern_stat reason)
{
	if (!s->n_trace)
		return;
	struct tern_trace_event ev = {kind, layer, ifindex, data, len, reason, s->now};
	for (unsigned i = 0; i < TERN_MAX_TRACE; i++)
		if (s->trace[i].fn)
			s->trace[i].fn(s->trace[i].ctx, s, &ev);
}

void tern_drop(struct tern_stack *s, struct tern_pkt *pkt, enum tern_stat reason,
	       enum tern_trace_layer layer)
{
	tern_stat_inc(s, reason);
	if (pkt) {
		if (pkt->icmp_out)
			tern_icmp_sent(s, pkt, false);
		tern_trace_emit(s, TERN_TRACE_DROP, layer, pkt->ifindex, tern_pkt_data(pkt), pkt->len,
				reason);
		tern_pkt_free(&s->pool, pkt);
	} else {
		tern_trace_emit(s, TERN_TRACE_DROP, layer, -1, NULL, 0, reason);
	}
}

int tern_stack_trace_subscribe(struct tern_stack *s, tern_trace_fn fn, void *ctx)
{
	for (int i = 0; i < TERN_MAX_TRACE; i++) {
		if (!s->trace[i].fn) {
			s->trace[i].fn = fn;
			s->trace[i].ctx = ctx;
			s->n_trace++;
			return i;
		}
	}
	return TERN_ENOSPC;
}

void tern_stack_trace_unsubscribe(struct tern_stack *s, int handle)
{
	if (handle >= 0 && handle < TERN_MAX_TRACE && s->trace[handle].fn) {
		s->trace[handle].fn = NULL;
		s->n_trace--;
	}
}

void tern_stack_logf(struct tern_stack *s, const char *fmt, ...)
{
	if (!s->cfg.log)
		return;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->cfg.log(s->cfg.log_ctx, s, msg);
}

/* ---- counters ---- */

uint64_t tern_stack_stat(const struct tern_stack *s, enum tern_stat st)
{
	return st > TERN_STAT_NONE && st < TERN_STAT__COUNT ? s->stats[st] : 0;
}

void tern_stack_stats_print(const struct tern_stack *s, FILE *f, bool nonzero_only)
{
	const char *group = NULL;
	for (int st = 1; st < TERN_STAT__COUNT; st++) {
		if (nonzero_only && !s->stats[st])
			continue;
		if (!group || strcmp(group, tern_stat_group(st)) != 0) {
			group = tern_stat_group(st);
			fprintf(f, "%s:\n", group);
		}
		fprintf(f, "    %-26s %llu%s\n", tern_stat_name(st), (unsigned long long)s->stats[st],
			tern_stat_is_drop(st) ? " (dropped)" : "");
	}
}

/* ---- memory ---- */

static struct tern_mem_budget mem_budget(const struct tern_budget *b)
{
	return (struct tern_mem_budget){b->used, b->limit, b->peak};
}

void tern_stack_mem_get(const struct tern_stack *s, struct tern_stack_mem *m)
{
	*m = (struct tern_stack_mem){
		.pool_max = s->pool.max_bytes,
		.pool_made = s->pool.made_bytes,
		.pool_in_use = s->pool.in_use_bytes,
		.pool_peak = s->pool.peak_bytes,
		.reasm = mem_budget(&s->budget.reasm),
		.neigh = mem_budget(&s->budget.neigh),
		.sock_rx = mem_budget(&s->budget.sock_rx),
		.reasm_datagrams = s->reasm.count,
		.neigh_entries = tern_arp_entries(s),
		.neigh_queued = (unsigned)tern_arp_queued(s),
	};
}

void tern_stack_mem_print(const struct tern_stack *s, FILE *f)
{
	struct tern_stack_mem m;
	tern_stack_mem_get(s, &m);
	fprintf(f, "pool: max %zu made %zu in_use %zu peak %zu\n", m.pool_max, m.pool_made,
		m.pool_in_use, m.pool_peak);
	fprintf(f, "reasm: used %zu limit %zu peak %zu datagrams %u\n", m.reasm.used, m.reasm.limit,
		m.reasm.peak, m.reasm_datagrams);
	fprintf(f, "neigh: used %zu limit %zu peak %zu entries %u queued %u\n", m.neigh.used,
		m.neigh.limit, m.neigh.peak, m.neigh_entries, m.neigh_queued);
	fprintf(f, "sock_rx: used %zu limit %zu peak %zu\n", m.sock_rx.used, m.sock_rx.limit,
		m.sock_rx.peak);
}

/* ---- interfaces ---- */

static void iface_rx(void *ctx, struct tern_netdev *dev, const uint8_t *frame, size_t len,
		     tern_time_t now)
{
	struct tern_iface *ifc = ctx;
	struct tern_stack *s = ifc->stack;
	tern_stack_advance(s, now);
	tern_stat_inc(s, TERN_STAT_DEV_RX_FRAMES);
	if (len > TERN_PKT_LARGE_DATA) {
		tern_stat_inc(s, TERN_STAT_DEV_RX_TOO_BIG);
		tern_trace_emit(s, TERN_TRACE_DROP, TERN_LAYER_LINK, ifc->index, frame, len,
				TERN_STAT_DEV_RX_TOO_BIG);
		return;
	}
	struct tern_pkt *pkt = tern_stack_pkt_alloc(s, len);
	if (!pkt) {
		tern_trace_emit(s, TERN_TRACE_DROP, TERN_LAYER_LINK, ifc->index, frame, len,
				TERN_STAT_PKT_NOBUFS);
		return;
	}
	memcpy(tern_pkt_put(pkt, len), frame, len);
	pkt->ifindex = (int16_t)ifc->index;
	tern_trace_emit(s, TERN_TRACE_RX, TERN_LAYER_LINK, ifc->index, frame, len, TERN_STAT_NONE);
	tern_eth_input(s, ifc, pkt, s->now);
	tern_ipv4_loopback_run(s, s->now);
}

int tern_stack_attach(struct tern_stack *s, struct tern_netdev *dev)
{
	int i;
	for (i = 1; i < TERN_MAX_IFACES && s->ifaces[i].used; i++)
		;
	if (i == TERN_MAX_IFACES)
		return TERN_ENOSPC;
	struct tern_iface *ifc = &s->ifaces[i];
	memset(ifc, 0, sizeof(*ifc));
	ifc->used = true;
	ifc->index = i;
	ifc->stack = s;
	ifc->dev = dev;
	ifc->mac = dev->mac;
	ifc->mtu = dev->mtu ? dev->mtu : 1500;
	memcpy(ifc->name, dev->name, sizeof(ifc->name));
	ifc->name[sizeof(ifc->name) - 1] = 0;
	if (i >= s->n_ifaces)
		s->n_ifaces = i + 1;
	tern_netdev_set_rx(dev, iface_rx, ifc);
	return i;
}

struct tern_netdev *tern_stack_iface_dev(const struct tern_stack *s, int ifindex)
{
	struct tern_iface *ifc = tern_iface_get((struct tern_stack *)s, ifindex);
	return ifc ? ifc->dev : NULL;
}

int tern_stack_iface_count(const struct tern_stack *s)
{
	return s->n_ifaces;
}

int tern_stack_iface_mtu(const struct tern_stack *s, int ifindex)
{
	struct tern_iface *ifc = tern_iface_get((struct tern_stack *)s, ifindex);
	return ifc ? (int)ifc->mtu : TERN_ENODEV;
}

int tern_stack_iface_set_mtu(struct tern_stack *s, int ifindex, uint32_t mtu)
{
	struct tern_iface *ifc = tern_iface_get(s, ifindex);
	if (!ifc)
		return TERN_ENODEV;
	/* RFC 791: every host must accept 68-byte datagrams unfragmented. */
	if (mtu < 68 || (!ifc->loopback && mtu > TERN_ETH_MAX_MTU))
		return TERN_EINVAL;
	ifc->mtu = mtu;
	return 0;
}

/* ---- addresses ---- */

struct tern_ifaddr *tern_ifaddr_find(struct tern_stack *s, tern_ip4_t addr)
{
	for (unsigned k = 0; k < s->n_addrs; k++)
		if (s->addrs[k]->addr == addr)
			return s->addrs[k];
	return NULL;
}

bool tern_stack_is_local_addr(const struct tern_stack *s, tern_ip4_t addr)
{
	if (tern_ip4_is_loopback(addr))
		return true;
	struct tern_ifaddr *ia = tern_ifaddr_find((struct tern_stack *)s, addr);
	return ia && ia->state != TERN_ADDR_CONFLICT;
}

bool tern_ip4_is_our_broadcast(const struct tern_stack *s, tern_ip4_t dst)
{
	if (dst == TERN_IP4_BROADCAST)
		return true;
	for (unsigned k = 0; k < s->n_addrs; k++)
		if (s->addrs[k]->plen < 31 && s->addrs[k]->bcast == dst)
			return true;
	return false;
}

tern_ip4_t tern_iface_pick_src(const struct tern_iface *ifc, tern_ip4_t dst)
{
	tern_ip4_t any = 0;
	for (int j = 0; j < TERN_MAX_ADDRS; j++) {
		const struct tern_ifaddr *ia = &ifc->addrs[j];
		if (!ia->used || ia->state != TERN_ADDR_PREFERRED)
			continue;
		if (((ia->addr ^ dst) & tern_ip4_mask(ia->plen)) == 0)
			return ia->addr;
		if (!any)
			any = ia->addr;
	}
	return any;
}

tern_ip4_t tern_stack_iface_addr(const struct tern_stack *s, int ifindex)
{
	struct tern_iface *ifc = tern_iface_get((struct tern_stack *)s, ifindex);
	return ifc ? tern_iface_pick_src(ifc, 0) : 0;
}

int tern_stack_addr_state(const struct tern_stack *s, tern_ip4_t addr, enum tern_addr_state *out)
{
	struct tern_ifaddr *ia = tern_ifaddr_find((struct tern_stack *)s, addr);
	if (!ia)
		return TERN_ENOENT;
	*out = ia->state;
	return 0;
}

static int add_connected_route(struct tern_stack *s, struct tern_iface *ifc, struct tern_ifaddr *ia)
{
	struct tern_route r = {
		.dst = ia->addr & tern_ip4_mask(ia->plen),
		.plen = ia->plen,
		.flags = TERN_ROUTE_CONNECTED,
		.ifindex = ifc->index,
		.prefsrc = ia->addr,
	};
	return tern_route_insert(&s->routes, &r);
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
	struct tern_ifaddr *ia = NULL;
	for (int j = 0; j < TERN_MAX_ADDRS && !ia; j++)
		if (!ifc->addrs[j].used)
			ia = &ifc->addrs[j];
	if (!ia)
		return TERN_ENOSPC;
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
	if (ifc->loopback) {
		ia->state = TERN_ADDR_PREFERRED;
	} else if (flags & TERN_ADDR_PROBE) {
		ia->state = TERN_ADDR_TENTATIVE;
		tern_arp_probe_start(s, ifc, ia, s->now);
	} else {
		ia->state = TERN_ADDR_PREFERRED;
		tern_arp_announce(s, ifc, addr, s->now);
	}
	return 0;
}

static void unlist_addr(struct tern_stack *s, const struct tern_ifaddr *ia)
{
	for (unsigned k = 0; k < s->n_addrs; k++) {
		if (s->addrs[k] == ia) {
			s->addrs[k] = s->addrs[--s->n_addrs];
			return;
		}
	}
}

int tern_stack_addr_del(struct tern_stack *s, int ifindex, tern_ip4_t addr)
{
	struct tern_iface *ifc = tern_iface_get(s, ifindex);
	if (!ifc)
		return TERN_ENODEV;
	for (int j = 0; j < TERN_MAX_ADDRS; j++) {
		struct tern_ifaddr *ia = &ifc->addrs[j];
		if (ia->used && ia->addr == addr) {
			tern_timer_cancel(s, &ia->timer);
			tern_route_remove_iface(&s->routes, ifindex, addr);
			ia->used = false;
			unlist_addr(s, ia);
			return 0;
		}
	}
	return TERN_EADDRNOTAVAIL;
}

/* ---- ICMP listeners ---- */

int tern_icmp_listen(struct tern_stack *s, tern_icmp_fn fn, void *ctx)
{
	for (int i = 0; i < TERN_MAX_ICMP_LISTENERS; i++) {
		if (!s->icmp_listeners[i].fn) {
			s->icmp_listeners[i].fn = fn;
			s->icmp_listeners[i].ctx = ctx;
			return i;
		}
	}
	return TERN_ENOSPC;
}

void tern_icmp_unlisten(struct tern_stack *s, int handle)
{
	if (handle >= 0 && handle < TERN_MAX_ICMP_LISTENERS)
		s->icmp_listeners[handle].fn = NULL;
}

unsigned tern_icmp_notify(struct tern_stack *s, const struct tern_icmp_msg *m, tern_time_t now)
{
	unsigned n = 0;
	for (int i = 0; i < TERN_MAX_ICMP_LISTENERS; i++) {
		if (s->icmp_listeners[i].fn) {
			s->icmp_listeners[i].fn(s->icmp_listeners[i].ctx, s, m, now);
			n++;
		}
	}
	return n;
}
