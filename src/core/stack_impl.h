/*
 * core/stack_impl.h — the ground floor of a struct tern_stack, shared by
 * every layer (link, net, transport) and by the host assembly above them.
 * Not a public header: applications use tern/stack.h.
 *
 * What is here is what every layer uses: the configuration, the clock,
 * the seeded random generator, the packet pool and its budgets, timers,
 * counters, trace subscribers, the log, and the interfaces with their
 * addresses. Each layer keeps its own state behind a pointer (link/link.h,
 * net/net.h, transport/sock.h define them), and hands packets upwards only
 * through hooks the host installs (host/host.c), so no include here or in
 * a layer names a layer above it. Nothing is global.
 */
#ifndef TERN_CORE_STACK_IMPL_H
#define TERN_CORE_STACK_IMPL_H

#include "core/budget.h"
#include "core/pkt.h"
#include "core/rng.h"
#include "core/timer.h"
#include "tern/stack.h"

struct tern_ifaddr {
	bool used;
	uint8_t plen;
	uint8_t state;            /* enum tern_addr_state */
	tern_ip4_t addr;
	tern_ip4_t bcast;         /* directed broadcast address of the subnet */
	/* RFC 5227 probing and defence */
	uint8_t probes_sent, announces_sent;
	tern_time_t last_defend;
	struct tern_timer timer;
	struct tern_iface *iface;
};

/* The counters live in pages of TERN_STAT_PAGE, each made the first time
 * one of its counters moves; before that, the first few counters a host
 * moves sit in a short list in the stack (struct tern_stat_few): an idle
 * host of a big lab moves five (a device's frames, ARP's) of the table's
 * 1.6 KiB and makes no page. The list's counters are found off the hot
 * path (their page is NULL); once a host moves more than TERN_STAT_FEW,
 * or moves them TERN_STAT_FEW_HITS times (a busy host that uses few
 * counters: loopback traffic), every one gets its page and the list is
 * closed for good. */
#define TERN_STAT_PAGE_SHIFT 5
#define TERN_STAT_PAGE (1u << TERN_STAT_PAGE_SHIFT)
#define TERN_STAT_FEW 6
#define TERN_STAT_FEW_HITS 4096
#define TERN_STAT_PAGES ((TERN_STAT__COUNT + TERN_STAT_PAGE - 1) / TERN_STAT_PAGE)

struct tern_iface {
	bool used;
	bool loopback;
	int index;
	char name[TERN_NETDEV_NAMELEN];
	struct tern_mac mac;
	uint32_t mtu;
	struct tern_netdev *dev;   /* NULL for loopback */
	struct tern_stack *stack;
	/* Address slots 1 .. TERN_MAX_ADDRS-1: the array made with the
	 * interface's second address, each record with the first address in
	 * its slot, both kept (timers and s->addrs point at them); NULL:
	 * never used. Slot 0 is addr0, in the interface: most have one.
	 * Both stay last: attaching a device clears what comes before. */
	struct tern_ifaddr **more;
	struct tern_ifaddr addr0;
};

/* Address slots to look at on the interface: 1 until it had a second. */
static inline int tern_iface_nslots(const struct tern_iface *ifc)
{
	return ifc->more ? TERN_MAX_ADDRS : 1;
}

/* Slot j's record (NULL: never made), used or not. */
static inline struct tern_ifaddr *tern_iface_slot(const struct tern_iface *ifc, int j)
{
	if (j == 0)
		return (struct tern_ifaddr *)&ifc->addr0; /* the interface's own */
	return ifc->more ? ifc->more[j - 1] : NULL;
}

/* Slot j of the interface's addresses if it is in use, else NULL. */
static inline struct tern_ifaddr *tern_iface_addr(const struct tern_iface *ifc, int j)
{
	struct tern_ifaddr *ia = tern_iface_slot(ifc, j);
	return ia && ia->used ? ia : NULL;
}

#define TERN_MAX_TRACE 8

struct tern_link;       /* link/link.h */
struct tern_net;        /* net/net.h */
struct tern_sock_table; /* transport/sock.h */

struct tern_stack {
	/* The tunables, read-only: shared by the stacks a simulator made
	 * from one configuration (tern_core_init's `like`), as the host's own
	 * once a sysctl changes one (tern_stack_cfg_own copies on write).
	 * The configuration's per-host fields are the stack's own, below:
	 * in the shared copy name, seed, log and log_ctx are all zero. */
	const struct tern_stack_config *cfg;
	uint64_t seed;
	void (*log)(void *ctx, struct tern_stack *s, const char *msg);
	void *log_ctx;
	char name[32];
	tern_time_t now;
	struct tern_rng rng;
	struct tern_pkt_pool pool;
	struct tern_timer pool_trim;   /* gives free buffers back (pkt_pool_keep_bytes) */
	/* What remote peers can fill, each within its share of the pool
	 * (core/budget.h; limits set at creation from the configuration). */
	struct {
		struct tern_budget reasm;    /* fragments held for reassembly */
		struct tern_budget neigh;    /* packets waiting for ARP */
		struct tern_budget sock_rx;  /* all sockets' receive queues */
		struct tern_budget tcp_ofo;  /* TCP out-of-order data, also charged to sock_rx */
	} budget;
	struct tern_timer_heap timers;
	/* Told when poll_at may have moved earlier (tern_stack_set_wake). */
	void (*wake)(void *ctx, struct tern_stack *s);
	void *wake_ctx;
	/* ---- lazily made, for small idle hosts (labmem) ---- */
	uint64_t *stat_pages[TERN_STAT_PAGES]; /* NULL: the page's counters are 0 or in few */
	struct tern_stat_few {
		uint16_t id[TERN_STAT_FEW]; /* enum tern_stat, of pages not made */
		uint8_t n;                  /* in use */
		bool closed;                /* more were moved: pages only from now on */
		uint16_t hits;              /* increments taken by the list */
		uint64_t v[TERN_STAT_FEW];
	} stat_few;
	uint64_t stat_lost;            /* a page could not be made: its counts go here */

	/* Made as devices are attached (and lo at creation), never moved:
	 * addresses, packets and devices point at them. NULL: unused. The
	 * array of pointers grows with the highest index (cap_ifaces slots,
	 * at most TERN_MAX_IFACES): a host with one device has two. */
	struct tern_iface **ifaces;
	int n_ifaces;                  /* highest used index + 1 */
	int cap_ifaces;
	/* Every address in use, for the per-packet "is it ours?" questions
	 * (tern_ifaddr_find, tern_ip4_is_our_broadcast): a short list instead
	 * of interfaces × slots. Kept by addr_add and addr_del. */
	struct tern_ifaddr **addrs;    /* cap_addrs slots, grown by addr_add */
	unsigned n_addrs, cap_addrs;
	/* Their directed broadcasts (prefixes shorter than /31), for
	 * tern_ip4_is_our_broadcast: a scan of values, asked four times per
	 * TCP segment. Rebuilt by tern_stack_addrs_changed. */
	tern_ip4_t *bcasts;            /* cap_addrs slots too, in addrs' block */
	unsigned n_bcasts;
	/* Counts tern_stack_addrs_changed's calls: an address came, went or
	 * changed state (route lookups remembered by net/ipv4_output.c are
	 * good while it stands still). */
	uint32_t addrs_gen;

	struct tern_trace_sub { tern_trace_fn fn; void *ctx; } *trace; /* TERN_MAX_TRACE, made by
									  * the first subscriber */
	unsigned n_trace;
	/* A packet carrying a tx_tag is accounted when it leaves (sent) or is
	 * dropped or freed on its way out: the layer that tagged it says how
	 * (net/icmp.c: ICMP out counters). Installed by the host. */
	void (*tx_tag_done)(struct tern_stack *s, struct tern_pkt *pkt, bool sent);

	/* The layers' own state, made and wired by the host (host/host.c). */
	struct tern_link *link;
	struct tern_net *net;
	struct tern_sock_table *socks;
};

/* The ground floor's life (core/stack.c), for the host: init fills a
 * zeroed stack from cfg (NULL: the defaults), sharing like's tunables if
 * they are the same (like may be NULL); TERN_ENOMEM. */
int tern_core_init(struct tern_stack *s, const struct tern_stack_config *cfg,
		   const struct tern_stack *like);
/* The host's own, writable tunables: s->cfg, copied first if another
 * stack shares it. NULL without memory. */
struct tern_stack_config *tern_stack_cfg_own(struct tern_stack *s);
void tern_core_fini(struct tern_stack *s);
/* Run every timer due at s->now, calling between(s) after each. */
void tern_core_run_timers(struct tern_stack *s, void (*between)(struct tern_stack *s));
/* The earliest armed timer's deadline, or TERN_TIME_NEVER. */
tern_time_t tern_core_next_timer(const struct tern_stack *s);

/* Time only moves forward: an entry point's `now` older than what the
 * stack has seen leaves its clock alone. */
static inline void tern_stack_advance(struct tern_stack *s, tern_time_t now)
{
	if (now > s->now)
		s->now = now;
}

static inline void tern_stack_wake(struct tern_stack *s)
{
	if (s->wake)
		s->wake(s->wake_ctx, s);
}

/* The slot of a counter whose page is not made: in the few list, or its
 * page made (stat_lost if that fails). */
uint64_t *tern_stat_slot_make(struct tern_stack *s, enum tern_stat st);

static inline void tern_stat_add(struct tern_stack *s, enum tern_stat st, uint64_t n)
{
	uint64_t *pg = s->stat_pages[(unsigned)st >> TERN_STAT_PAGE_SHIFT];
	if (__builtin_expect(pg != NULL, 1))
		pg[(unsigned)st & (TERN_STAT_PAGE - 1)] += n;
	else
		*tern_stat_slot_make(s, st) += n;
}

static inline void tern_stat_inc(struct tern_stack *s, enum tern_stat st)
{
	tern_stat_add(s, st, 1);
}

/* A counter's value when its page is not made (0 if not moved yet). */
uint64_t tern_stat_few_get(const struct tern_stack *s, enum tern_stat st);

static inline uint64_t tern_stat_get(const struct tern_stack *s, enum tern_stat st)
{
	const uint64_t *pg = s->stat_pages[(unsigned)st >> TERN_STAT_PAGE_SHIFT];
	return pg ? pg[(unsigned)st & (TERN_STAT_PAGE - 1)] : tern_stat_few_get(s, st);
}

static inline struct tern_iface *tern_iface_get(struct tern_stack *s, int ifindex)
{
	if (ifindex < 0 || ifindex >= s->cap_ifaces || !s->ifaces[ifindex] ||
	    !s->ifaces[ifindex]->used)
		return NULL;
	return s->ifaces[ifindex];
}

/* Tell trace subscribers about a frame or datagram. */
void tern_trace_emit(struct tern_stack *s, enum tern_trace_kind kind, enum tern_trace_layer layer,
		     int ifindex, const uint8_t *data, size_t len, enum tern_stat reason);

/* Count a drop under `reason`, tell trace subscribers, free pkt (may be
 * NULL). The layer says what pkt's data starts with. */
void tern_drop(struct tern_stack *s, struct tern_pkt *pkt, enum tern_stat reason,
	       enum tern_trace_layer layer);

/* A packet buffer from the stack's pool, counting PKT_NOBUFS on failure. */
struct tern_pkt *tern_stack_pkt_alloc(struct tern_stack *s, size_t data_len);
/* The same from the tiny class (core/pkt.h): a frame no queue holds. */
struct tern_pkt *tern_stack_pkt_alloc_tiny(struct tern_stack *s, size_t data_len);
/* A copy of pkt's data in a new buffer, with its ifindex and l2_type
 * (one datagram delivered twice: broadcast loop-back, one per socket). */
struct tern_pkt *tern_stack_pkt_clone(struct tern_stack *s, const struct tern_pkt *pkt);

/* Write a message to the configured log sink (and nowhere else). */
void tern_stack_logf(struct tern_stack *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Address helpers shared by IP, ARP and ICMP. */
/* (Inline, with tern_ip4_is_our_broadcast: each is asked several times
 * per packet.) */
static inline struct tern_ifaddr *tern_ifaddr_find(struct tern_stack *s, tern_ip4_t addr)
{
	for (unsigned k = 0; k < s->n_addrs; k++)
		if (s->addrs[k]->addr == addr)
			return s->addrs[k];
	return NULL;
}
/* True if dst is a broadcast address for us: limited, or the directed
 * broadcast of one of our subnets. */
static inline bool tern_ip4_is_our_broadcast(const struct tern_stack *s, tern_ip4_t dst)
{
	if (dst == TERN_IP4_BROADCAST)
		return true;
	for (unsigned k = 0; k < s->n_bcasts; k++)
		if (s->bcasts[k] == dst)
			return true;
	return false;
}
/* s->addrs changed (an address added or removed): rebuild s->bcasts. */
void tern_stack_addrs_changed(struct tern_stack *s);
/* A usable address on the interface, preferring one on dst's subnet. */
tern_ip4_t tern_iface_pick_src(const struct tern_iface *ifc, tern_ip4_t dst);

/* A tagged packet leaves the host (sent) or will not (see tx_tag_done). */
static inline void tern_pkt_tag_done(struct tern_stack *s, struct tern_pkt *p, bool sent)
{
	if (p->tx_tag)
		s->tx_tag_done(s, p, sent);
	p->tx_tag = 0;
}

/* Give a buffer back (a tagged packet freed on its way out was not sent). */
static inline void tern_stack_pkt_free(struct tern_stack *s, struct tern_pkt *p)
{
	if (p && p->tx_tag)
		tern_pkt_tag_done(s, p, false);
	tern_pkt_free(&s->pool, p);
}

#endif
