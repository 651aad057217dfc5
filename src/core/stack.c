/*
 * core/stack.c — the ground floor of a stack, which every layer uses: its
 * clock and timers, the packet pool and budgets, counters, trace
 * subscribers, the log, and the interfaces and addresses as data (who is
 * ours, which source to use). Nothing here calls a layer: the host
 * (host/host.c) builds the layers on top and wires them together.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"

static size_t at_most(size_t v, size_t cap)
{
	return v < cap ? v : cap;
}

/* Each budget gets what the configuration asks, within its share of the
 * pool (tern/stack.h); the shares leave 1/8 of the pool to no budget. */
static void budgets_init(struct tern_stack *s)
{
	const struct tern_stack_config *c = s->cfg;
	size_t pool = c->pkt_pool_max_bytes;
	s->budget.reasm.limit = c->reasm_high_thresh;
	s->budget.neigh.limit = at_most(c->arp_queue_total_bytes, pool / 8);
	s->budget.sock_rx.limit = at_most(c->sock_rcv_total_bytes, pool / 2);
	/* Out-of-order TCP data is receive-queue data too (charged to both),
	 * in a part of its own: a peer that fills it leaves in-order data
	 * the rest of sock_rx. */
	s->budget.tcp_ofo.limit = at_most(at_most(c->tcp_ofo_total_bytes, pool / 8),
					  s->budget.sock_rx.limit);
}

/* Reassembly's thresholds within its share of the pool, as the stack
 * keeps them (the budget is the high one). */
static void config_clamp(struct tern_stack_config *c)
{
	c->reasm_high_thresh = at_most(c->reasm_high_thresh, c->pkt_pool_max_bytes / 4);
	c->reasm_low_thresh = at_most(c->reasm_low_thresh, c->reasm_high_thresh);
}

/* ---- the shared tunables ---- */

/* Tunables shared by the stacks that hold a reference (immutable while
 * more than one does). No stack's per-host fields are in it. */
struct shared_cfg {
	unsigned refs;
	struct tern_stack_config cfg;
};

static struct shared_cfg *shared_of(const struct tern_stack_config *c)
{
	return (struct shared_cfg *)(void *)((char *)c - offsetof(struct shared_cfg, cfg));
}

static struct tern_stack_config *shared_new(const struct tern_stack_config *c)
{
	struct shared_cfg *sc = malloc(sizeof(*sc));
	if (!sc)
		return NULL;
	sc->refs = 1;
	memcpy(&sc->cfg, c, sizeof(sc->cfg));
	return &sc->cfg;
}

static void shared_put(const struct tern_stack_config *c)
{
	if (c && --shared_of(c)->refs == 0)
		free(shared_of(c));
}

/* Take the per-host fields of cfg into the stack and the tunables into
 * s->cfg: like's if they are byte for byte the same, else a new copy. */
static int config_adopt(struct tern_stack *s, const struct tern_stack_config *cfg,
			const struct tern_stack *like)
{
	struct tern_stack_config c;
	if (cfg)
		memcpy(&c, cfg, sizeof(c));
	else
		tern_stack_config_init(&c);
	snprintf(s->name, sizeof(s->name), "%s", c.name ? c.name : "host");
	s->seed = c.seed;
	s->log = c.log;
	s->log_ctx = c.log_ctx;
	c.name = NULL;
	c.seed = 0;
	c.log = NULL;
	c.log_ctx = NULL;
	config_clamp(&c);
	if (like && !memcmp(like->cfg, &c, sizeof(c))) {
		shared_of(like->cfg)->refs++;
		s->cfg = like->cfg;
		return 0;
	}
	s->cfg = shared_new(&c);
	return s->cfg ? 0 : TERN_ENOMEM;
}

struct tern_stack_config *tern_stack_cfg_own(struct tern_stack *s)
{
	struct shared_cfg *sc = shared_of(s->cfg);
	if (sc->refs == 1)
		return &sc->cfg;
	struct tern_stack_config *own = shared_new(s->cfg);
	if (!own)
		return NULL;
	sc->refs--;
	s->cfg = own;
	return own;
}

/* Give free buffers back to malloc, once a second while the pool is
 * bigger than its resting size (core/pkt.c keeps what the last second
 * needed); once it is at rest, the timer heap's arrays go if no timer is
 * armed. */
static void pool_trim_timer(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	tern_pkt_pool_trim(&s->pool, s->cfg->pkt_pool_keep_bytes);
	if (s->pool.made_bytes > s->cfg->pkt_pool_keep_bytes)
		tern_timer_arm(s, t, now + TERN_SEC(1));
	else
		tern_timer_heap_shrink(&s->timers); /* at rest: the heap's arrays too, if empty */
}

/* Set up the ground floor of a zeroed stack from cfg (or the defaults). */
int tern_core_init(struct tern_stack *s, const struct tern_stack_config *cfg,
		   const struct tern_stack *like)
{
	if (config_adopt(s, cfg, like) < 0)
		return TERN_ENOMEM;
	tern_rng_seed(&s->rng, s->seed);
	tern_pkt_pool_init(&s->pool, s->cfg->pkt_pool_max_bytes);
	tern_timer_heap_init(&s->timers);
	tern_timer_init(&s->pool_trim, pool_trim_timer);
	budgets_init(s);
	return 0;
}

void tern_core_fini(struct tern_stack *s)
{
	tern_timer_heap_fini(&s->timers);
	tern_pkt_pool_fini(&s->pool);
	for (unsigned i = 0; i < TERN_STAT_PAGES; i++)
		free(s->stat_pages[i]);
	free(s->addrs); /* s->bcasts is in the same block (net/ifaddr.c) */
	free(s->trace);
	shared_put(s->cfg);
	s->cfg = NULL;
}

const char *tern_stack_name(const struct tern_stack *s)
{
	return s->name;
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
	else if (t->heap_idx == 0)
		tern_stack_wake(s); /* the stack's next deadline moved earlier */
}

void tern_stack_set_wake(struct tern_stack *s, void (*fn)(void *ctx, struct tern_stack *s),
			 void *ctx)
{
	s->wake = fn;
	s->wake_ctx = ctx;
}

void tern_timer_cancel(struct tern_stack *s, struct tern_timer *t)
{
	if (tern_timer_armed(t))
		tern_timer_heap_remove(&s->timers, t);
}

/* Run the timers due at s->now, calling between(s) after each (the host
 * runs the loopback queue there). */
/* A host at rest (no buffers made, so no pool trim to come) whose last
 * timer just fired gives the timer heap's arrays back at once: an idle
 * host's announcement timer leaves nothing behind. A busy host's go with
 * its pool's trim (pool_trim_timer). */
void tern_core_run_timers(struct tern_stack *s, void (*between)(struct tern_stack *s))
{
	struct tern_timer *t;
	bool fired = false;
	while ((t = tern_timer_heap_top(&s->timers)) && t->when <= s->now) {
		tern_timer_heap_remove(&s->timers, t);
		t->fn(s, t, s->now);
		between(s);
		fired = true;
	}
	if (fired && !s->pool.made_bytes)
		tern_timer_heap_shrink(&s->timers); /* only if empty */
}

tern_time_t tern_core_next_timer(const struct tern_stack *s)
{
	struct tern_timer *t = tern_timer_heap_top(&s->timers);
	return t ? t->when : TERN_TIME_NEVER;
}

/* ---- packets, drops, trace, log ---- */

/* Count a failed allocation; keep the pool's trim timer going. */
static struct tern_pkt *pool_took(struct tern_stack *s, struct tern_pkt *p)
{
	if (!p)
		tern_stat_inc(s, TERN_STAT_PKT_NOBUFS);
	else if (p->cls != TERN_PKT_TINY && s->pool.made_bytes > s->cfg->pkt_pool_keep_bytes &&
		 !tern_timer_armed(&s->pool_trim))
		tern_timer_arm(s, &s->pool_trim, s->now + TERN_SEC(1));
	return p;
}

struct tern_pkt *tern_stack_pkt_alloc(struct tern_stack *s, size_t data_len)
{
	return pool_took(s, tern_pkt_alloc(&s->pool, data_len));
}

struct tern_pkt *tern_stack_pkt_alloc_tiny(struct tern_stack *s, size_t data_len)
{
	return pool_took(s, tern_pkt_alloc_tiny(&s->pool, data_len));
}

struct tern_pkt *tern_stack_pkt_clone(struct tern_stack *s, const struct tern_pkt *pkt)
{
	struct tern_pkt *c = tern_stack_pkt_alloc(s, pkt->len);
	if (!c)
		return NULL;
	memcpy(tern_pkt_put(c, pkt->len), tern_pkt_data(pkt), pkt->len);
	c->ifindex = pkt->ifindex;
	c->l2_type = pkt->l2_type;
	c->rx_time = pkt->rx_time;
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
		tern_pkt_tag_done(s, pkt, false);
		tern_trace_emit(s, TERN_TRACE_DROP, layer, pkt->ifindex, tern_pkt_data(pkt), pkt->len,
				reason);
		tern_pkt_free(&s->pool, pkt);
	} else {
		tern_trace_emit(s, TERN_TRACE_DROP, layer, -1, NULL, 0, reason);
	}
}

int tern_stack_trace_subscribe(struct tern_stack *s, tern_trace_fn fn, void *ctx)
{
	if (!s->trace && !(s->trace = calloc(TERN_MAX_TRACE, sizeof(*s->trace))))
		return TERN_ENOMEM;
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
	if (s->trace && handle >= 0 && handle < TERN_MAX_TRACE && s->trace[handle].fn) {
		s->trace[handle].fn = NULL;
		s->n_trace--;
	}
}

void tern_stack_logf(struct tern_stack *s, const char *fmt, ...)
{
	if (!s->log)
		return;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->log(s->log_ctx, s, msg);
}

/* ---- counters ---- */

_Static_assert(TERN_STAT__COUNT <= UINT16_MAX, "tern_stat_few holds ids in 16 bits");

/* Make page p, taking the counters of it that the few list held. */
static uint64_t *stat_page_make(struct tern_stack *s, unsigned p)
{
	uint64_t *pg = calloc(TERN_STAT_PAGE, sizeof(*pg));
	if (!pg)
		return NULL;
	struct tern_stat_few *f = &s->stat_few;
	unsigned kept = 0;
	for (unsigned k = 0; k < f->n; k++) {
		if ((unsigned)f->id[k] >> TERN_STAT_PAGE_SHIFT == p) {
			pg[f->id[k] & (TERN_STAT_PAGE - 1)] = f->v[k];
			continue;
		}
		f->id[kept] = f->id[k];
		f->v[kept++] = f->v[k];
	}
	f->n = (uint8_t)kept;
	s->stat_pages[p] = pg;
	return pg;
}

/* The few list's slot for st, added if there is room, else NULL. */
static uint64_t *stat_few_slot(struct tern_stat_few *f, enum tern_stat st)
{
	for (unsigned k = 0; k < f->n; k++)
		if (f->id[k] == (uint16_t)st)
			return &f->v[k];
	if (f->closed || f->n == TERN_STAT_FEW)
		return NULL;
	f->id[f->n] = (uint16_t)st;
	f->v[f->n] = 0;
	return &f->v[f->n++];
}

uint64_t *tern_stat_slot_make(struct tern_stack *s, enum tern_stat st)
{
	struct tern_stat_few *f = &s->stat_few;
	uint64_t *slot = f->closed || ++f->hits >= TERN_STAT_FEW_HITS ? NULL : stat_few_slot(f, st);
	if (slot)
		return slot;
	/* A busy host: every listed counter gets its page, then st. A page
	 * that cannot be made leaves its counters in the list. */
	s->stat_few.closed = true;
	while (s->stat_few.n)
		if (!stat_page_make(s, (unsigned)s->stat_few.id[0] >> TERN_STAT_PAGE_SHIFT))
			break;
	unsigned p = (unsigned)st >> TERN_STAT_PAGE_SHIFT;
	uint64_t *pg = s->stat_pages[p] ? s->stat_pages[p] : stat_page_make(s, p);
	return pg ? &pg[(unsigned)st & (TERN_STAT_PAGE - 1)] : &s->stat_lost;
}

uint64_t tern_stat_few_get(const struct tern_stack *s, enum tern_stat st)
{
	const struct tern_stat_few *f = &s->stat_few;
	for (unsigned k = 0; k < f->n; k++)
		if (f->id[k] == (uint16_t)st)
			return f->v[k];
	return 0;
}

uint64_t tern_stack_stat(const struct tern_stack *s, enum tern_stat st)
{
	return st > TERN_STAT_NONE && st < TERN_STAT__COUNT ? tern_stat_get(s, st) : 0;
}

void tern_stack_stats_print(const struct tern_stack *s, FILE *f, bool nonzero_only)
{
	const char *group = NULL;
	for (int st = 1; st < TERN_STAT__COUNT; st++) {
		uint64_t v = tern_stat_get(s, st);
		if (nonzero_only && !v)
			continue;
		if (!group || strcmp(group, tern_stat_group(st)) != 0) {
			group = tern_stat_group(st);
			fprintf(f, "%s:\n", group);
		}
		fprintf(f, "    %-26s %llu%s\n", tern_stat_name(st), (unsigned long long)v,
			tern_stat_is_drop(st) ? " (dropped)" : "");
	}
}

/* ---- interfaces ---- */

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

int tern_stack_iface_find(const struct tern_stack *s, const char *name)
{
	for (int i = 0; i < s->n_ifaces; i++) {
		struct tern_iface *ifc = tern_iface_get((struct tern_stack *)s, i);
		if (ifc && strcmp(ifc->name, name) == 0)
			return i;
	}
	return strcmp(name, "lo") == 0 ? TERN_IFINDEX_LOOPBACK : TERN_ENODEV;
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

bool tern_stack_is_local_addr(const struct tern_stack *s, tern_ip4_t addr)
{
	if (tern_ip4_is_loopback(addr))
		return true;
	struct tern_ifaddr *ia = tern_ifaddr_find((struct tern_stack *)s, addr);
	return ia && ia->state != TERN_ADDR_CONFLICT;
}

void tern_stack_addrs_changed(struct tern_stack *s)
{
	s->addrs_gen++;
	s->n_bcasts = 0;
	for (unsigned k = 0; k < s->n_addrs; k++)
		if (s->addrs[k]->plen < 31) /* RFC 3021: a /31 has no broadcast */
			s->bcasts[s->n_bcasts++] = s->addrs[k]->bcast;
}

tern_ip4_t tern_iface_pick_src(const struct tern_iface *ifc, tern_ip4_t dst)
{
	tern_ip4_t any = 0;
	for (int j = 0; j < tern_iface_nslots(ifc); j++) {
		const struct tern_ifaddr *ia = tern_iface_addr(ifc, j);
		if (!ia || ia->state != TERN_ADDR_PREFERRED)
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
