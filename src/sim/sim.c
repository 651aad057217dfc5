/*
 * sim/sim.c — the deterministic in-process simulator (tern/sim.h).
 *
 * It sits above everything else: it creates stacks (hosts and routers),
 * switches and simulated links, wires link ends to stacks through optional
 * fault injectors and pcap writers, and owns virtual time. Nothing here
 * reads a clock; the event loop jumps time to the earliest deadline any
 * device or stack reports and polls whatever is due at that instant.
 *
 * Determinism: every seed is derived from the simulation's seed and a
 * creation index, MACs and names from creation order, and every instant
 * polls devices and then stacks in creation order. No pointer values,
 * hash orders or wall-clock readings influence what happens, so the same
 * seed and the same calls give the same run byte for byte.
 *
 * Scheduling: cost follows work. Every device the simulator polls and every
 * stack is an item with a place in one binary heap keyed by (deadline,
 * creation order); devices and stacks say when their poll_at may have
 * moved earlier (tern_netdev_set_wake, tern_stack_set_wake) and the item
 * is moved up. A deadline that moved later is found lazily: the heap's
 * top is checked against the item's real poll_at before it is trusted.
 * So an idle host costs nothing, and an event costs O(log items).
 *
 * Within an instant, items run in rounds, exactly as a scan of every
 * device then every stack in creation order, repeated until a scan finds
 * nothing due, would run them (the order the simulator has always had, so
 * captures stay byte-identical): an item that becomes due at the current
 * instant joins the current round if it comes after the item being
 * polled in that order, else the next round.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "host/host.h"
#include "tern/err.h"
#include "tern/sim.h"
#include "tern/simrt.h"

/* Polls at one instant before we call it a livelock: something keeps
 * reporting work due now and never finishes it. */
#define SIM_MAX_ROUNDS_PER_INSTANT 100000
#define SIM_PATH_MAX 4096

/* Something the simulator polls: a device (the outermost of a link end)
 * or a stack. Allocated one by one so wake callbacks can hold pointers. */
struct sim_item {
	struct tern_sim *sim;
	void *obj;                 /* a struct tern_netdev (is_dev) or tern_stack */
	uint64_t order;            /* devices (creation order), then stacks */
	tern_time_t key;           /* deadline in the time heap; round in the due heap */
	int32_t heap_idx;          /* place in the time heap; -1: not in it */
	bool in_due;               /* queued to run at the current instant */
	bool is_dev;
};

/* Items are made in slabs, each as big as all before it (4 to 256
 * items), and live as long as the simulator: one malloc per slab, not
 * per item, so a big lab pays no allocator overhead per host for them. */
#define ITEM_SLAB_MIN 4
#define ITEM_SLAB_MAX 256
struct item_slab {
	struct item_slab *next;
	size_t used, cap;
	struct sim_item items[];
};

/* Every device before every stack, each in creation order. */
#define ORDER_STACK (1ull << 40)

/* A binary heap of items by (key, order); the time heap keeps each
 * item's place in it (heap_idx). */
struct sim_heap {
	struct sim_item **v;
	size_t n, cap;
	bool keeps_idx;
};

/* One node: a stack and the number of interfaces the simulator gave it. */
struct sim_node {
	struct tern_stack *stack;
	struct sim_item *item;
	unsigned index;   /* creation order, for seeds and MACs */
	unsigned nifs;    /* eth0 .. eth(nifs-1) */
};

/* One link and the outermost device at each end: the device the stack or
 * switch is attached to (pcap over fault over link end, each optional).
 * Destroying an outer device destroys what it wraps; link ends are freed
 * with the link itself. */
struct sim_link {
	struct tern_link *link;
	struct tern_netdev *outer[2];
	struct tern_netdev *fault[2]; /* the fault injector of each end, or NULL */
	struct sim_item *item[2];
};

struct sim_switch {
	struct tern_switch *sw;
	unsigned index;
	unsigned nports;  /* ports attached so far, for MACs and names */
};

struct tern_sim {
	uint64_t seed;
	tern_time_t now;
	char *capture_dir;   /* NULL: no capture */

	struct sim_node *nodes;
	size_t nnodes, cap_nodes;
	struct tern_stack *last_made[2]; /* the last host and router made (add_node) */
	struct item_slab *slabs;         /* newest first */
	struct sim_link *links;
	size_t nlinks, cap_links;
	struct sim_switch *switches;
	size_t nswitches, cap_switches;
	size_t ndevs;     /* devices polled: two per link */
	size_t nitems;    /* devices and stacks */

	/* The schedule: items by deadline, and within an instant the items
	 * due in this round and the next (see the top of the file). */
	/* The time heap holds the items with a deadline after the current
	 * instant; the due heap, those to poll at it, keyed by round: the
	 * current (due_round) or the next. An item is in one or neither. */
	struct sim_heap timeq, due;
	tern_time_t due_round;
	bool in_instant;
	uint64_t cur_order;          /* order of the item being polled */
	struct sim_item *cur;        /* the item being polled, or NULL */
	struct tern_sim_stats stats;
	struct tern_frame_pool *frames; /* every link's frame records */

	/* ---- pacing to a clock outside (src/sim/simrt.c): unset, nothing
	 * waits and runs stay deterministic ---- */
	struct tern_sim_pacer pacer;
};

/* ---- small helpers ---------------------------------------------------- */

/* A seed for one object: the sim seed, a domain tag (stacks, faults) and
 * the object's creation index, each step mixed so tags never collide. */
static uint64_t derive_seed(uint64_t seed, uint64_t tag, uint64_t index)
{
	uint64_t z = tern_mix64(seed + 0x9e3779b97f4a7c15ull);
	z = tern_mix64(z ^ (tag * 0x9e3779b97f4a7c15ull));
	return tern_mix64(z ^ (index + 1) * 0xd6e8feb86659fd93ull);
}

enum { SEED_STACK = 1, SEED_FAULT = 2, SEED_QUEUE = 3 };

/* Grow a dynamic array to hold one more element. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 8;
	void *p = realloc(*arr, ncap * elem);
	if (!p)
		return TERN_ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

#define GROW(sim, field, n, cap) \
	grow((void **)&(sim)->field, &(sim)->cap, (sim)->n, sizeof(*(sim)->field))

/* A locally administered unicast MAC (02:...): byte 1 says what kind of
 * owner (0 node, 1 switch), then a 16-bit owner index and a 16-bit
 * interface number, so every interface in a simulation differs and a
 * capture shows whose frame it is. */
static struct tern_mac make_mac(unsigned kind, unsigned owner, unsigned ifnum)
{
	struct tern_mac m = {{0x02, (uint8_t)kind, (uint8_t)(owner >> 8), (uint8_t)owner,
			      (uint8_t)(ifnum >> 8), (uint8_t)ifnum}};
	return m;
}

static struct sim_node *find_node(const struct tern_sim *sim, const struct tern_stack *s)
{
	for (size_t i = 0; i < sim->nnodes; i++)
		if (sim->nodes[i].stack == s)
			return &sim->nodes[i];
	return NULL;
}

static struct sim_switch *find_switch(const struct tern_sim *sim, const struct tern_switch *sw)
{
	for (size_t i = 0; i < sim->nswitches; i++)
		if (sim->switches[i].sw == sw)
			return &sim->switches[i];
	return NULL;
}


/* ---- the schedule ---------------------------------------------------------- */

static bool item_before(const struct sim_item *a, const struct sim_item *b)
{
	if (a->key != b->key)
		return a->key < b->key;
	return a->order < b->order;
}

/* Place v[i] and keep the time heap's back-pointers right. */
static void heap_set(struct sim_heap *h, size_t i, struct sim_item *it)
{
	h->v[i] = it;
	if (h->keeps_idx)
		it->heap_idx = (int32_t)i;
}

static void heap_up(struct sim_heap *h, size_t i)
{
	struct sim_item *it = h->v[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!item_before(it, h->v[parent]))
			break;
		heap_set(h, i, h->v[parent]);
		i = parent;
	}
	heap_set(h, i, it);
}

static void heap_down(struct sim_heap *h, size_t i)
{
	struct sim_item *it = h->v[i];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = l;
		if (l >= h->n)
			break;
		if (r < h->n && item_before(h->v[r], h->v[l]))
			m = r;
		if (!item_before(h->v[m], it))
			break;
		heap_set(h, i, h->v[m]);
		i = m;
	}
	heap_set(h, i, it);
}

/* Room is made when items are created, so pushes cannot fail. */
static int heap_reserve(struct sim_heap *h, size_t n)
{
	return grow((void **)&h->v, &h->cap, n, sizeof(*h->v));
}

static void heap_push(struct sim_heap *h, struct sim_item *it)
{
	h->v[h->n++] = it;
	heap_up(h, h->n - 1);
}

static struct sim_item *heap_pop(struct sim_heap *h)
{
	struct sim_item *top = h->v[0];
	if (h->keeps_idx)
		top->heap_idx = -1;
	if (--h->n) {
		h->v[0] = h->v[h->n];
		heap_down(h, 0);
	}
	return top;
}

static void timeq_remove(struct sim_heap *h, struct sim_item *it)
{
	size_t i = (size_t)it->heap_idx;
	it->heap_idx = -1;
	if (i == --h->n)
		return;
	struct sim_item *moved = h->v[h->n];
	h->v[i] = moved;
	heap_down(h, i);
	heap_up(h, (size_t)moved->heap_idx);
}

/* Put the item in the time heap at deadline t (NEVER: out of it). */
static void timeq_set(struct tern_sim *sim, struct sim_item *it, tern_time_t t)
{
	struct sim_heap *h = &sim->timeq;
	if (it->heap_idx >= 0) {
		if (t == TERN_TIME_NEVER) {
			timeq_remove(h, it);
			return;
		}
		tern_time_t old = it->key;
		it->key = t;
		if (t < old)
			heap_up(h, (size_t)it->heap_idx);
		else if (t > old)
			heap_down(h, (size_t)it->heap_idx);
	} else if (t != TERN_TIME_NEVER) {
		it->key = t;
		heap_push(h, it);
	}
}

static tern_time_t item_poll_at(const struct sim_item *it)
{
	return it->is_dev ? tern_netdev_poll_at(it->obj) : tern_stack_poll_at(it->obj);
}

/* Queue an item due at the current instant: this round if it comes after
 * the item being polled, else the next (as a scan in creation order
 * would find it). */
static void due_add(struct tern_sim *sim, struct sim_item *it)
{
	if (it->in_due)
		return;
	if (it->heap_idx >= 0)
		timeq_remove(&sim->timeq, it);
	it->in_due = true;
	it->key = sim->due_round + (sim->cur && it->order <= sim->cur_order);
	heap_push(&sim->due, it);
}

/* An item's poll_at may have moved earlier. The item being polled is
 * looked at again when its poll returns. */
static void item_wake(struct sim_item *it)
{
	struct tern_sim *sim = it->sim;
	sim->stats.wakeups++;
	if (it == sim->cur || it->in_due)
		return;
	tern_time_t t = item_poll_at(it);
	if (sim->in_instant && t <= sim->now)
		due_add(sim, it);
	else if (it->heap_idx < 0 || t < it->key)
		timeq_set(sim, it, t);
}

static void dev_wake(void *ctx, struct tern_netdev *dev)
{
	(void)dev;
	item_wake(ctx);
}

static void stack_wake(void *ctx, struct tern_stack *s)
{
	(void)s;
	item_wake(ctx);
}

/* A new item, scheduled at its current poll_at. Room is reserved in every
 * heap so that no push can fail later. */
static struct sim_item *item_alloc(struct tern_sim *sim)
{
	struct item_slab *sl = sim->slabs;
	if (!sl || sl->used == sl->cap) {
		size_t cap = sim->nitems < ITEM_SLAB_MIN   ? ITEM_SLAB_MIN
			     : sim->nitems > ITEM_SLAB_MAX ? ITEM_SLAB_MAX
							   : sim->nitems;
		sl = malloc(sizeof(*sl) + cap * sizeof(sl->items[0]));
		if (!sl)
			return NULL;
		*sl = (struct item_slab){.next = sim->slabs, .cap = cap};
		sim->slabs = sl;
	}
	return &sl->items[sl->used++];
}

static void item_slabs_free(struct tern_sim *sim)
{
	while (sim->slabs) {
		struct item_slab *sl = sim->slabs;
		sim->slabs = sl->next;
		free(sl);
	}
}

static struct sim_item *item_new(struct tern_sim *sim, struct tern_netdev *dev,
				 struct tern_stack *s, uint64_t order)
{
	size_t n = ++sim->nitems;
	if (heap_reserve(&sim->timeq, n) < 0 || heap_reserve(&sim->due, n) < 0)
		return NULL;
	struct sim_item *it = item_alloc(sim);
	if (!it)
		return NULL;
	*it = (struct sim_item){.sim = sim, .order = order, .heap_idx = -1, .is_dev = dev != NULL};
	it->obj = dev ? (void *)dev : (void *)s;
	if (dev)
		tern_netdev_set_wake(dev, dev_wake, it);
	else
		tern_stack_set_wake(s, stack_wake, it);
	timeq_set(sim, it, item_poll_at(it));
	return it;
}

/* ---- creation and destruction ------------------------------------------ */

struct tern_sim *tern_sim_create(uint64_t seed)
{
	struct tern_sim *sim = calloc(1, sizeof(*sim));
	if (!sim)
		return NULL;
	sim->seed = seed;
	sim->timeq.keeps_idx = true;
	if (!(sim->frames = tern_frame_pool_create())) {
		free(sim);
		return NULL;
	}
	return sim;
}

/* Stacks first (they hold pointers to devices but never free them), then
 * the devices wrapping link ends, then links, then switches: nothing is
 * polled during teardown, so no port delivers into a freed switch. */
void tern_sim_destroy(struct tern_sim *sim)
{
	if (!sim)
		return;
	for (size_t i = 0; i < sim->nnodes; i++) {
		tern_stack_set_wake(sim->nodes[i].stack, NULL, NULL);
		tern_stack_destroy(sim->nodes[i].stack);
	}
	for (size_t i = 0; i < sim->nlinks; i++) {
		for (int side = 0; side < 2; side++)
			tern_netdev_destroy(sim->links[i].outer[side]);
		tern_link_destroy(sim->links[i].link);
	}
	tern_frame_pool_destroy(sim->frames);
	item_slabs_free(sim);
	free(sim->timeq.v);
	free(sim->due.v);
	for (size_t i = 0; i < sim->nswitches; i++)
		tern_switch_destroy(sim->switches[i].sw);
	free(sim->nodes);
	free(sim->links);
	free(sim->switches);
	free(sim->capture_dir);
	free(sim);
}

void tern_sim_capture(struct tern_sim *sim, const char *dir)
{
	free(sim->capture_dir);
	sim->capture_dir = dir ? strdup(dir) : NULL;
}

static struct tern_stack *add_node(struct tern_sim *sim, const char *name,
				   const struct tern_stack_config *cfg, bool router)
{
	struct tern_stack_config c;

	if (!name || tern_sim_node(sim, name) || GROW(sim, nodes, nnodes, cap_nodes) < 0)
		return NULL;
	if (cfg)
		memcpy(&c, cfg, sizeof(c)); /* padding too: like's test is byte for byte */
	else
		tern_stack_config_init(&c);
	c.name = name;
	c.seed = derive_seed(sim->seed, SEED_STACK, sim->nnodes);
	if (router)
		c.forwarding = true;

	/* Hosts (and routers) made from one configuration share its tunables:
	 * the last one made of the kind is the model. */
	struct tern_stack **like = &sim->last_made[router];
	struct tern_stack *s = tern_stack_create_like(&c, *like);
	if (!s)
		return NULL;
	struct sim_item *it = item_new(sim, NULL, s, ORDER_STACK + sim->nnodes);
	if (!it) {
		tern_stack_destroy(s);
		return NULL;
	}
	*like = s;
	sim->nodes[sim->nnodes] = (struct sim_node){
		.stack = s, .item = it, .index = (unsigned)sim->nnodes};
	sim->nnodes++;
	return s;
}

struct tern_stack *tern_sim_host(struct tern_sim *sim, const char *name,
				 const struct tern_stack_config *cfg)
{
	return add_node(sim, name, cfg, false);
}

struct tern_stack *tern_sim_router(struct tern_sim *sim, const char *name,
				   const struct tern_stack_config *cfg)
{
	return add_node(sim, name, cfg, true);
}

struct tern_stack *tern_sim_node(const struct tern_sim *sim, const char *name)
{
	for (size_t i = 0; i < sim->nnodes; i++)
		if (strcmp(tern_stack_name(sim->nodes[i].stack), name) == 0)
			return sim->nodes[i].stack;
	return NULL;
}

struct tern_switch *tern_sim_switch(struct tern_sim *sim, const char *name, unsigned ports)
{
	if (GROW(sim, switches, nswitches, cap_switches) < 0)
		return NULL;
	struct tern_switch *sw = tern_switch_create(name, ports, 0);
	if (!sw)
		return NULL;
	sim->switches[sim->nswitches] = (struct sim_switch){
		.sw = sw, .index = (unsigned)sim->nswitches};
	sim->nswitches++;
	return sw;
}

/* ---- links ---------------------------------------------------------------- */

static bool opts_impaired(const struct tern_sim_link_opts *o)
{
	return o->impairable || o->loss > 0 || o->duplicate > 0 || o->corrupt > 0 ||
	       o->reorder > 0 || o->jitter > 0 || o->burst.p > 0;
}

/* Fault parameters for one end of link `link_index`: egress only, so each
 * direction of the link is impaired exactly once. A reordered frame is
 * held back one link delay (at least 1 ms) so that later frames can
 * actually overtake it. */
static struct tern_fault_params fault_params(const struct tern_sim *sim,
					     const struct tern_sim_link_opts *o,
					     size_t link_index, int side)
{
	struct tern_fault_params p = {
		.loss = o->loss,
		.burst = o->burst,
		.jitter_keeps_order = o->jitter_keeps_order,
		.duplicate = o->duplicate,
		.corrupt = o->corrupt,
		.reorder = o->reorder,
		.jitter = o->jitter,
		.reorder_delay = o->delay > TERN_MSEC(1) ? o->delay : TERN_MSEC(1),
		.seed = derive_seed(sim->seed, SEED_FAULT, link_index * 2 + (size_t)side),
		.directions = 1,
	};
	return p;
}

/* Wrap one link end as asked: fault injector, then pcap outermost, so the
 * capture shows what the stack sent before impairment and what arrived
 * after it. `node` names the capture file (NULL: no capture for this
 * end). On failure the wrappers made so far are freed (the link end is
 * not: the link owns it) and NULL is returned. */
static struct tern_netdev *wrap_end(struct tern_sim *sim, struct tern_netdev *end,
				    const struct tern_sim_link_opts *o, size_t link_index,
				    int side, const char *node, struct tern_netdev **fault,
				    int *err)
{
	struct tern_netdev *dev = end;

	*fault = NULL;
	if (opts_impaired(o)) {
		struct tern_fault_params fp = fault_params(sim, o, link_index, side);
		dev = tern_fault_wrap(end, &fp);
		if (!dev) {
			*err = TERN_ENOMEM;
			return NULL;
		}
		*fault = dev;
	}
	if (node && sim->capture_dir) {
		char path[SIM_PATH_MAX];
		int n = snprintf(path, sizeof(path), "%s/%s-%s.pcap", sim->capture_dir, node,
				 end->name);
		struct tern_netdev *pc = NULL;
		if (n > 0 && (size_t)n < sizeof(path))
			pc = tern_pcap_wrap(dev, path, TERN_SIM_PCAP_EPOCH, err);
		else
			*err = TERN_ERANGE;
		if (!pc) {
			if (dev != end)
				tern_netdev_destroy(dev);
			return NULL;
		}
		dev = pc;
	}
	return dev;
}

/* Make a link whose end 0 is named/addressed by (name_a, mac_a) and
 * captured as node_a's, and end 1 by (name_b, mac_b, node_b); wrap both
 * ends and record the link so the simulator polls and frees it. Nothing
 * is attached yet. Returns the link's index or a negative tern_err. */
static int make_link(struct tern_sim *sim, const char *name_a, const struct tern_mac *mac_a,
		     const char *node_a, const char *name_b, const struct tern_mac *mac_b,
		     const char *node_b, const struct tern_sim_link_opts *o)
{
	struct tern_link_params lp = {.rate_bps = o->rate_bps, .delay = o->delay, .mtu = o->mtu,
				      .queue_bytes = o->queue_bytes, .qdisc = o->qdisc,
				      .red = o->red,
				      .seed = derive_seed(sim->seed, SEED_QUEUE, sim->nlinks),
				      .pool = sim->frames};
	struct tern_netdev *fault_a, *fault_b = NULL;
	int err = TERN_ENOMEM;

	if (GROW(sim, links, nlinks, cap_links) < 0)
		return TERN_ENOMEM;
	struct tern_link *l = tern_link_create(&lp, name_a, mac_a, name_b, mac_b);
	if (!l)
		return TERN_ENOMEM;

	size_t li = sim->nlinks;
	struct tern_netdev *outer_a = wrap_end(sim, tern_link_end(l, 0), o, li, 0, node_a,
					       &fault_a, &err);
	struct tern_netdev *outer_b = outer_a ? wrap_end(sim, tern_link_end(l, 1), o, li, 1,
							 node_b, &fault_b, &err) : NULL;
	struct sim_item *ia = outer_b ? item_new(sim, outer_a, NULL, sim->ndevs) : NULL;
	struct sim_item *ib = ia ? item_new(sim, outer_b, NULL, sim->ndevs + 1) : NULL;
	if (!ib) {
		free(ia);
		tern_netdev_destroy(outer_a);
		tern_netdev_destroy(outer_b);
		tern_link_destroy(l);
		return err;
	}
	sim->links[li] = (struct sim_link){
		.link = l, .outer = {outer_a, outer_b}, .item = {ia, ib}, .fault = {fault_a, fault_b}};
	sim->nlinks++;
	sim->ndevs += 2;
	return (int)li;
}

/* make_link with end 0 node na's next interface (eth0, eth1 ...). */
static int make_node_link(struct tern_sim *sim, struct sim_node *na, const char *name_b,
			  const struct tern_mac *mac_b, const char *node_b,
			  const struct tern_sim_link_opts *o)
{
	char name_a[TERN_NETDEV_NAMELEN];
	struct tern_mac mac_a = make_mac(0, na->index, na->nifs);

	snprintf(name_a, sizeof(name_a), "eth%u", na->nifs);
	int li = make_link(sim, name_a, &mac_a, tern_stack_name(na->stack), name_b, mac_b,
			   node_b, o);
	if (li >= 0)
		na->nifs++;
	return li;
}

/* Attach a device to a stack and configure it: MTU of the link, then the
 * address if any (its announcement goes out on the configured link). The
 * stack only learns the time from polls and input, so bring its clock to
 * `now` first: a stack idle since t=0 would otherwise stamp the
 * announcement, and arm its timers, in the past. */
static int attach_iface(struct tern_stack *s, struct tern_netdev *dev, uint32_t mtu,
			const char *addr, tern_time_t now, int *ifindex_out)
{
	tern_stack_poll(s, now);
	int ifindex = tern_stack_attach(s, dev);
	if (ifindex < 0)
		return ifindex;
	if (ifindex_out)
		*ifindex_out = ifindex;
	int err = tern_stack_iface_set_mtu(s, ifindex, mtu);
	if (err < 0 || !addr)
		return err;

	tern_ip4_t a;
	unsigned plen;
	err = tern_ip4_parse_prefix(addr, &a, &plen);
	if (err < 0)
		return err;
	return tern_stack_addr_add(s, ifindex, a, plen, 0);
}

static bool valid_prefix(const char *addr)
{
	tern_ip4_t a;
	unsigned plen;
	return !addr || tern_ip4_parse_prefix(addr, &a, &plen) == 0;
}

/* Once attached, a device cannot be taken back from a stack, so a failure
 * after the first attach leaves the link in place (the simulator still
 * owns and frees it) and reports the error. Addresses are checked up
 * front so the common mistake fails before anything is built. */
int tern_sim_connect(struct tern_sim *sim, struct tern_stack *a, const char *addr_a,
		     struct tern_stack *b, const char *addr_b,
		     const struct tern_sim_link_opts *opts, int *if_a, int *if_b)
{
	static const struct tern_sim_link_opts ideal;
	const struct tern_sim_link_opts *o = opts ? opts : &ideal;
	struct sim_node *na = find_node(sim, a), *nb = find_node(sim, b);

	if (!na || !nb || na == nb || !valid_prefix(addr_a) || !valid_prefix(addr_b))
		return TERN_EINVAL;
	uint32_t mtu = o->mtu ? o->mtu : 1500;
	char name_b[TERN_NETDEV_NAMELEN];
	struct tern_mac mac_b = make_mac(0, nb->index, nb->nifs);
	snprintf(name_b, sizeof(name_b), "eth%u", nb->nifs);

	int li = make_node_link(sim, na, name_b, &mac_b, tern_stack_name(b), o);
	if (li < 0)
		return li;
	nb->nifs++;
	struct sim_link *l = &sim->links[li];
	int err = attach_iface(a, l->outer[0], mtu, addr_a, sim->now, if_a);
	if (err < 0)
		return err;
	return attach_iface(b, l->outer[1], mtu, addr_b, sim->now, if_b);
}

int tern_sim_connect_switch(struct tern_sim *sim, struct tern_stack *a, const char *addr_a,
			    struct tern_switch *sw, const struct tern_sim_link_opts *opts,
			    int *if_a)
{
	static const struct tern_sim_link_opts ideal;
	const struct tern_sim_link_opts *o = opts ? opts : &ideal;
	struct sim_node *na = find_node(sim, a);
	struct sim_switch *ss = find_switch(sim, sw);

	if (!na || !ss || !valid_prefix(addr_a))
		return TERN_EINVAL;
	uint32_t mtu = o->mtu ? o->mtu : 1500;
	char name_b[TERN_NETDEV_NAMELEN];
	struct tern_mac mac_b = make_mac(1, ss->index, ss->nports);
	snprintf(name_b, sizeof(name_b), "sw%u-p%u", ss->index, ss->nports);

	int li = make_node_link(sim, na, name_b, &mac_b, NULL, o);
	if (li < 0)
		return li;
	ss->nports++;
	struct sim_link *l = &sim->links[li];
	int port = tern_switch_attach(sw, l->outer[1]);
	if (port < 0)
		return port;
	return attach_iface(a, l->outer[0], mtu, addr_a, sim->now, if_a);
}

/* The far end is not a node: the link's end 0 is handed to the caller,
 * who sets its receive callback and transmits into it (a TAP bridge,
 * src/sim/simrt.c; tomorrow perhaps another process's half of the lab).
 * Its MAC is kind 2 (outside), numbered by the switch's port. */
struct tern_netdev *tern_sim_switch_port(struct tern_sim *sim, struct tern_switch *sw,
					 const char *name, const char *capture_name,
					 const struct tern_sim_link_opts *opts, int *err)
{
	static const struct tern_sim_link_opts ideal;
	const struct tern_sim_link_opts *o = opts ? opts : &ideal;
	struct sim_switch *ss = find_switch(sim, sw);
	int e = TERN_EINVAL;

	if (ss && name && *name && strlen(name) < TERN_NETDEV_NAMELEN) {
		char name_b[TERN_NETDEV_NAMELEN];
		struct tern_mac mac_a = make_mac(2, ss->index, ss->nports);
		struct tern_mac mac_b = make_mac(1, ss->index, ss->nports);
		snprintf(name_b, sizeof(name_b), "sw%u-p%u", ss->index, ss->nports);
		e = make_link(sim, name, &mac_a, capture_name, name_b, &mac_b, NULL, o);
		if (e >= 0) {
			ss->nports++;
			struct sim_link *l = &sim->links[e];
			e = tern_switch_attach(sw, l->outer[1]);
			if (e >= 0)
				return l->outer[0];
		}
	}
	if (err)
		*err = e;
	return NULL;
}

int tern_sim_link_set_up(struct tern_sim *sim, size_t link, bool up)
{
	if (link >= sim->nlinks)
		return TERN_EINVAL;
	tern_link_set_up(sim->links[link].link, up);
	return 0;
}

int tern_sim_link_update(struct tern_sim *sim, size_t link, const struct tern_sim_link_opts *o)
{
	if (link >= sim->nlinks || !o)
		return TERN_EINVAL;
	struct sim_link *l = &sim->links[link];
	bool impaired = o->loss > 0 || o->duplicate > 0 || o->corrupt > 0 || o->reorder > 0 ||
			o->jitter > 0 || o->burst.p > 0;
	if (impaired && !l->fault[0])
		return TERN_EINVAL;
	struct tern_link_params lp = {.rate_bps = o->rate_bps, .delay = o->delay,
				      .queue_bytes = o->queue_bytes};
	tern_link_set_params(l->link, &lp);
	for (int side = 0; side < 2; side++)
		if (l->fault[side]) {
			struct tern_fault_params fp = fault_params(sim, o, link, side);
			tern_fault_set_params(l->fault[side], &fp);
		}
	return 0;
}

int tern_sim_link_stats(const struct tern_sim *sim, size_t link, int side,
			struct tern_link_stats *out)
{
	if (link >= sim->nlinks || side < 0 || side > 1)
		return TERN_EINVAL;
	tern_link_get_stats(sim->links[link].link, side, out);
	return 0;
}

int tern_sim_link_fault_stats(const struct tern_sim *sim, size_t link, int side,
			      struct tern_fault_stats *out)
{
	if (link >= sim->nlinks || side < 0 || side > 1)
		return TERN_EINVAL;
	/* NULL gives zeros; the fault injector at each end impairs its egress */
	tern_fault_get_stats(sim->links[link].fault[side], out);
	return 0;
}

/* ---- time --------------------------------------------------------------- */

tern_time_t tern_sim_now(const struct tern_sim *sim)
{
	return sim->now;
}

/* The next deadline, trusting the heap's top only once it is checked:
 * deadlines that moved later (a timer cancelled, a frame taken) were
 * never reported, so the top is moved to its real poll_at until it
 * agrees. Nothing observable changes, hence the const. */
static tern_time_t next_event(struct tern_sim *sim)
{
	struct sim_heap *h = &sim->timeq;
	while (h->n) {
		struct sim_item *top = h->v[0];
		tern_time_t t = item_poll_at(top);
		if (t == top->key)
			return t;
		timeq_set(sim, top, t);
	}
	return TERN_TIME_NEVER;
}

tern_time_t tern_sim_next(const struct tern_sim *sim)
{
	return next_event((struct tern_sim *)sim);
}

static void item_poll(struct tern_sim *sim, struct sim_item *it)
{
	if (it->is_dev) {
		tern_netdev_poll(it->obj, sim->now);
		sim->stats.dev_polls++;
	} else {
		tern_stack_poll(it->obj, sim->now);
		sim->stats.stack_polls++;
	}
	sim->stats.events++;
}

/* Run the current instant to quiescence: work done at an instant may make
 * more work due at the same instant (a zero-delay link, a timer armed for
 * now), so rounds repeat until nothing is due. Each round polls, in
 * creation order, the items found due (an item taken from the queue is
 * checked again first: its deadline may have moved since). A bounded
 * number of rounds keeps a livelock from hanging a test silently. */
static void run_instant(struct tern_sim *sim)
{
	tern_time_t now = sim->now;
	struct sim_heap *tq = &sim->timeq;

	sim->stats.instants++;
	sim->in_instant = true;
	sim->cur = NULL;
	while (tq->n && tq->v[0]->key <= now)
		due_add(sim, tq->v[0]);
	for (int round = 0; sim->due.n; round++, sim->due_round++) {
		if (round == SIM_MAX_ROUNDS_PER_INSTANT) {
			fprintf(stderr,
				"tern_sim: livelock: still work due at t=%lld ns after %d rounds "
				"(a device or stack keeps reporting poll_at <= now)\n",
				(long long)now, SIM_MAX_ROUNDS_PER_INSTANT);
			abort();
		}
		sim->stats.rounds++;
		while (sim->due.n && sim->due.v[0]->key == sim->due_round) {
			struct sim_item *it = heap_pop(&sim->due);
			it->in_due = false;
			sim->cur = it;
			sim->cur_order = it->order;
			if (item_poll_at(it) <= now)
				item_poll(sim, it);
			tern_time_t t = item_poll_at(it);
			if (t <= now) {
				it->in_due = true; /* polled again next round */
				it->key = sim->due_round + 1;
				heap_push(&sim->due, it);
			} else {
				timeq_set(sim, it, t);
			}
		}
		sim->cur = NULL;
	}
	sim->in_instant = false;
	tern_frame_pool_tick(sim->frames, now); /* records a burst needed go */
}

/* Advance to the next event if it is due at or before `limit` and run
 * that instant. Returns false (time unchanged) if there is none. A
 * deadline already in the past (an overdue timer) runs at the current
 * time: virtual time never goes backwards. */
static bool step_paced(struct tern_sim *sim, tern_time_t te, tern_time_t limit);

static bool step(struct tern_sim *sim, tern_time_t limit)
{
	tern_time_t te = next_event(sim);

	if (sim->pacer.wait)
		return step_paced(sim, te, limit);
	if (te == TERN_TIME_NEVER || te > limit)
		return false;
	if (te > sim->now)
		sim->now = te;
	run_instant(sim);
	return true;
}

/* ---- pacing (tern/simrt.h) ---------------------------------------------------- */

void tern_sim_set_pacer(struct tern_sim *sim, const struct tern_sim_pacer *p)
{
	static const struct tern_sim_pacer none;
	sim->pacer = p ? *p : none;
}

/* step() with a pacer: before the next instant (te, or the limit if that
 * comes first) runs, the pacer waits until its clock says that instant
 * has come, or until input from outside arrives first, at a virtual time
 * no later than that. Input is delivered at that time (never before now)
 * and the instant run, which also runs whatever else is due by then.
 * Returns false once the limit is reached with nothing due before it. */
static bool step_paced(struct tern_sim *sim, tern_time_t te, tern_time_t limit)
{
	tern_time_t target = te < limit ? te : limit;
	bool input = false;
	tern_time_t t = sim->pacer.wait(sim->pacer.ctx, sim->now, target, &input);

	if (input) {
		if (t > target)
			t = target;
		if (t > sim->now)
			sim->now = t;
		sim->pacer.input(sim->pacer.ctx, sim->now);
		run_instant(sim);
		return true;
	}
	if (te == TERN_TIME_NEVER || te > limit)
		return false;
	if (te > sim->now)
		sim->now = te;
	run_instant(sim);
	return true;
}

/* Bring every stack's clock to the simulation's: a program that calls the
 * socket API between runs then acts at the time it reads from
 * tern_sim_now, not at its host's last event. Nothing is due by now (every
 * event up to it has run), so this only moves clocks. */
static void sync_clocks(struct tern_sim *sim)
{
	for (size_t i = 0; i < sim->nnodes; i++)
		tern_stack_poll(sim->nodes[i].stack, sim->now);
}

void tern_sim_run_until(struct tern_sim *sim, tern_time_t t)
{
	while (step(sim, t))
		;
	if (t != TERN_TIME_NEVER && t > sim->now)
		sim->now = t;
	sync_clocks(sim);
	tern_frame_pool_tick(sim->frames, sim->now); /* a quiet stretch ends a window too */
}

void tern_sim_run_for(struct tern_sim *sim, tern_time_t dt)
{
	tern_time_t t = dt >= TERN_TIME_NEVER - sim->now ? TERN_TIME_NEVER : sim->now + dt;
	tern_sim_run_until(sim, t);
}

/* When the next event lies beyond the limit, time moves to the limit (as
 * run_until would); when nothing at all is scheduled it stays put, since
 * there is nothing left to simulate. */
bool tern_sim_run_while(struct tern_sim *sim, bool (*done)(void *ctx), void *ctx,
			tern_time_t limit)
{
	for (;;) {
		if (done(ctx))
			return true;
		if (!step(sim, limit))
			break;
	}
	if (limit != TERN_TIME_NEVER && limit > sim->now &&
	    tern_sim_next(sim) != TERN_TIME_NEVER)
		sim->now = limit;
	sync_clocks(sim);
	return done(ctx);
}

/* ---- what a benchmark or a report reads ----------------------------------- */

void tern_sim_get_stats(const struct tern_sim *sim, struct tern_sim_stats *out)
{
	*out = sim->stats;
	out->nodes = sim->nnodes;
	out->links = sim->nlinks;
	out->switches = sim->nswitches;
	out->scheduled = sim->timeq.n;
}

size_t tern_sim_link_count(const struct tern_sim *sim)
{
	return sim->nlinks;
}

struct tern_link *tern_sim_link_get(const struct tern_sim *sim, size_t i)
{
	return i < sim->nlinks ? sim->links[i].link : NULL;
}

size_t tern_sim_switch_count(const struct tern_sim *sim)
{
	return sim->nswitches;
}

struct tern_switch *tern_sim_switch_get(const struct tern_sim *sim, size_t i)
{
	return i < sim->nswitches ? sim->switches[i].sw : NULL;
}
