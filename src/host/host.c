/*
 * host/host.c — a host: the layers assembled on the ground floor. It makes
 * and frees the stack and each layer's state, wires the hooks through
 * which a layer hands packets up (Ethernet to IPv4, ARP failure to ICMP,
 * IP to the transports), attaches devices, and runs the poll contract.
 *
 * Entry points: a device calls iface_rx() with a received frame (installed
 * by tern_stack_attach); runners call tern_stack_poll() when
 * tern_stack_poll_at() comes due. Both record `now` first; nothing here
 * reads a clock.
 *
 * This is the only file that includes every layer: core/ sits under them
 * all, each layer includes only itself and what is below it.
 */
#include <stdlib.h>
#include <string.h>

#include "wire/bytes.h"
#include "core/stack_impl.h"
#include "host/host.h"
#include "link/ethernet.h"
#include "link/link.h"
#include "net/icmp.h"
#include "net/net.h"
#include "transport/sock.h"
#include "wire/ethernet.h"

/* Copied with memcpy from a static object, whose padding is zero: two
 * configurations made here and set alike compare equal byte for byte
 * (tern_stack_create_like shares the tunables of such). */
void tern_stack_config_init(struct tern_stack_config *c)
{
	static const struct tern_stack_config defaults = {
		.name = "host",
		.seed = 1,
		.default_ttl = 64,
		.arp_reachable_time = TERN_SEC(30),
		.arp_retrans_time = TERN_SEC(1),
		.arp_max_probes = 3,
		.arp_queue_len = 101, /* Linux unres_qlen */
		.arp_queue_total_bytes = 2u << 20,
		.arp_cache_size = 1024,
		.arp_locktime = TERN_SEC(1), /* Linux locktime */
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
		.ip_no_pmtu_disc = 0,
		.pmtu_min = 552,
		.pmtu_expires = TERN_SEC(600),
		.pmtu_cache_size = 1024,
		.icmp_frag_needed = true,
		.tcp_mtu_probing = 1,
		.tcp_base_mss = 1024,
		.tcp_mtu_probe_floor = 48,
		.tcp_probe_threshold = 8,
		.tcp_probe_interval = TERN_SEC(600),
		.tcp_rto_min = TERN_MSEC(200),
		.tcp_rto_max = TERN_SEC(120),
		.tcp_rto_initial = TERN_SEC(1),
		.tcp_delack = TERN_MSEC(40),
		.tcp_quickacks = 16,
		.tcp_time_wait = TERN_SEC(60),
		.tcp_fin_timeout = TERN_SEC(60),
		.tcp_syn_retries = 6,
		.tcp_synack_retries = 5,
		.tcp_retries2 = 15,
		.tcp_keepalive_time = TERN_SEC(7200),
		.tcp_keepalive_intvl = TERN_SEC(75),
		.tcp_keepalive_probes = 9,
		.tcp_timestamps = true,
		.tcp_window_scaling = true,
		.tcp_sack = true,
		.tcp_dsack = true,
		.tcp_header_prediction = true,
		.tcp_ecn = 2,
		.tcp_ecn_fallback = true,
		.tcp_recovery = 1,
		.tcp_early_retrans = 3,
		.tcp_frto = 2,
		.tcp_fastopen = 1,
		.tcp_max_syn_backlog = 256,
		.tcp_syncookies = 1,
		.tcp_challenge_ack_limit = 1000,
		.tcp_invalid_ratelimit = TERN_MSEC(500),
		.tcp_congestion_control = "cubic",
		.tcp_pacing_ss_ratio = 200,
		.tcp_pacing_ca_ratio = 120,
		.ip_local_port_range = {32768, 60999},
		.somaxconn = 4096,
		.rmem_default = 212992,
		.wmem_default = 212992,
		.rmem_max = 212992,
		.wmem_max = 212992,
		.tcp_rmem = {4096, 212992, 33554432},
		.tcp_wmem = {4096, 212992, 33554432},
		.tcp_moderate_rcvbuf = true,
		.send_redirects = true,
		.accept_redirects = true,
		.redirect_routes_max = 256,
		.pkt_pool_max_bytes = 32u << 20,
		.pkt_pool_keep_bytes = 0,
		.sock_rcv_total_bytes = 16u << 20,
		.tcp_ofo_total_bytes = 4u << 20,
	};
	memcpy(c, &defaults, sizeof(*c));
}

/* Room for interface index i in s->ifaces (new slots NULL). */
static int iface_slots(struct tern_stack *s, int i)
{
	if (i < s->cap_ifaces)
		return 0;
	struct tern_iface **a = realloc(s->ifaces, (size_t)(i + 1) * sizeof(*a));
	if (!a)
		return TERN_ENOMEM;
	memset(a + s->cap_ifaces, 0, (size_t)(i + 1 - s->cap_ifaces) * sizeof(*a));
	s->ifaces = a;
	s->cap_ifaces = i + 1;
	return 0;
}

/* A stack and what every host has, in one block: the network and link
 * layers' state and the loopback interface (an idle host of a big lab
 * pays one malloc header for them, not four). */
struct host_block {
	struct tern_stack s; /* first: the stack's pointer is the block's */
	struct tern_net net;
	struct tern_link link;
	struct tern_iface lo;
};

static struct host_block *block_of(struct tern_stack *s)
{
	return (struct host_block *)(void *)s;
}

static int add_loopback(struct tern_stack *s)
{
	if (iface_slots(s, TERN_IFINDEX_LOOPBACK) < 0)
		return TERN_ENOMEM;
	struct tern_iface *lo = &block_of(s)->lo;
	s->ifaces[TERN_IFINDEX_LOOPBACK] = lo;
	lo->used = true;
	lo->loopback = true;
	lo->index = TERN_IFINDEX_LOOPBACK;
	lo->stack = s;
	lo->mtu = 65536;
	strcpy(lo->name, "lo");
	s->n_ifaces = 1;
	tern_stack_addr_add(s, TERN_IFINDEX_LOOPBACK, TERN_IP4(127, 0, 0, 1), 8, 0);
	return 0;
}

/* ARP gave up on a datagram's next hop: RFC 1122 §2.3.2.2, RFC 1812
 * §4.3.3.1 — host unreachable to its sender. */
static void neighbour_unreachable(struct tern_stack *s, const struct tern_pkt *pkt, tern_time_t now)
{
	tern_icmp_send_error(s, pkt, TERN_ICMP_DEST_UNREACH, TERN_ICMP_HOST_UNREACH, 0, now);
}

/* The layers, bottom up (the network layer first: it draws from the
 * seeded generator, and a seed must give the sequence it always gave). */
static int layers_init(struct tern_stack *s)
{
	int err;
	struct host_block *b = block_of(s);
	if ((err = tern_net_init(s, &b->net)) < 0 || (err = tern_link_init(s, &b->link)) < 0 ||
	    (err = tern_sock_table_init(s)) < 0)
		return err;
	s->tx_tag_done = tern_icmp_sent;
	s->link->ipv4_input = tern_ipv4_input;
	s->link->unreachable = neighbour_unreachable;
	if ((err = tern_net_add_proto(s, &tern_udp_proto)) < 0)
		return err;
	return tern_net_add_proto(s, &tern_tcp_proto);
}

struct tern_stack *tern_stack_create_like(const struct tern_stack_config *cfg,
					  const struct tern_stack *like)
{
	struct host_block *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	struct tern_stack *s = &b->s;
	if (tern_core_init(s, cfg, like) < 0) {
		free(s);
		return NULL;
	}
	if (layers_init(s) < 0 || add_loopback(s) < 0) {
		tern_stack_destroy(s);
		return NULL;
	}
	return s;
}

struct tern_stack *tern_stack_create(const struct tern_stack_config *cfg)
{
	return tern_stack_create_like(cfg, NULL);
}

void tern_stack_destroy(struct tern_stack *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n_ifaces; i++) {
		struct tern_iface *ifc = s->ifaces[i];
		if (ifc && ifc->used && ifc->dev && ifc->dev->rx_ctx == ifc)
			tern_netdev_set_rx(ifc->dev, NULL, NULL);
	}
	tern_sock_table_fini(s); /* top down: sockets hold packets */
	tern_net_fini(s);
	tern_link_fini(s);
	tern_core_fini(s);
	for (int i = 0; i < s->cap_ifaces; i++) {
		for (int j = 1; s->ifaces[i] && s->ifaces[i]->more && j < TERN_MAX_ADDRS; j++)
			free(s->ifaces[i]->more[j - 1]);
		if (s->ifaces[i])
			free(s->ifaces[i]->more);
		if (s->ifaces[i] != &block_of(s)->lo)
			free(s->ifaces[i]);
	}
	free(s->ifaces);
	free(s);
}

void tern_stack_set_forwarding(struct tern_stack *s, bool on)
{
	struct tern_stack_config *own = s->cfg->forwarding == on ? NULL : tern_stack_cfg_own(s);
	if (own)
		own->forwarding = on;
	else if (s->cfg->forwarding != on)
		tern_stack_logf(s, "no memory: forwarding left %s", on ? "off" : "on");
}

/* ---- time ---- */

static void run_loopback(struct tern_stack *s)
{
	tern_ipv4_loopback_run(s, s->now);
}

void tern_stack_poll(struct tern_stack *s, tern_time_t now)
{
	tern_stack_advance(s, now);
	run_loopback(s);
	tern_core_run_timers(s, run_loopback);
}

tern_time_t tern_stack_poll_at(const struct tern_stack *s)
{
	if (s->net->loopback.len)
		return s->now;
	return tern_core_next_timer(s);
}

size_t tern_stack_tx_pending(const struct tern_stack *s)
{
	return s->net->loopback.len + tern_arp_queued(s);
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
		.tcp_ofo = mem_budget(&s->budget.tcp_ofo),
		.tcp_half_open = s->socks->tcp.half_open,
		.tcp_half_open_limit = s->cfg->tcp_max_syn_backlog,
		.reasm_datagrams = s->net->reasm ? s->net->reasm->count : 0,
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
	fprintf(f, "tcp_ofo: used %zu limit %zu peak %zu\n", m.tcp_ofo.used, m.tcp_ofo.limit,
		m.tcp_ofo.peak);
	fprintf(f, "tcp_syn: half_open %u limit %u\n", m.tcp_half_open, m.tcp_half_open_limit);
}

/* ---- devices ---- */

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
	/* ARP consumes its frames where they arrive (link/arp.c): a tiny
	 * buffer, the only kind a host that hears nothing else keeps. */
	bool arp = len > TERN_ETH_HLEN && rd16(frame + 12) == TERN_ETHERTYPE_ARP;
	struct tern_pkt *pkt = arp ? tern_stack_pkt_alloc_tiny(s, len) : tern_stack_pkt_alloc(s, len);
	if (!pkt) {
		tern_trace_emit(s, TERN_TRACE_DROP, TERN_LAYER_LINK, ifc->index, frame, len,
				TERN_STAT_PKT_NOBUFS);
		return;
	}
	tern_copy_payload(tern_pkt_put(pkt, len), frame, len);
	pkt->ifindex = (int16_t)ifc->index;
	pkt->rx_time = now; /* the frame's own arrival time, not the stack's latest */
	tern_trace_emit(s, TERN_TRACE_RX, TERN_LAYER_LINK, ifc->index, frame, len, TERN_STAT_NONE);
	tern_eth_input(s, ifc, pkt, s->now);
	tern_ipv4_loopback_run(s, s->now);
}

int tern_stack_attach(struct tern_stack *s, struct tern_netdev *dev)
{
	int i;
	for (i = 1; i < s->cap_ifaces && s->ifaces[i] && s->ifaces[i]->used; i++)
		;
	if (i == TERN_MAX_IFACES)
		return TERN_ENOSPC;
	if (iface_slots(s, i) < 0)
		return TERN_ENOMEM;
	if (!s->ifaces[i] && !(s->ifaces[i] = calloc(1, sizeof(*s->ifaces[i]))))
		return TERN_ENOMEM;
	struct tern_iface *ifc = s->ifaces[i];
	/* an unused slot's records stay its own (more and addr0 come last) */
	memset(ifc, 0, offsetof(struct tern_iface, more));
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
