/*
 * net/ipv4_output.c — IPv4 send: route, build the header, fragment to the
 * egress MTU (RFC 791 §3.2 "Fragmentation"), and hand each datagram to ARP
 * on Ethernet interfaces or to the loopback queue.
 *
 * Payload copies: a datagram that fits the MTU is never copied here; one
 * that must be fragmented is copied once into the fragments; a broadcast
 * is copied once more for this host's own sockets.
 */
#include <stdlib.h>

#include "wire/checksum.h"
#include "core/stack_impl.h"
#include "link/arp.h"
#include "net/net.h"
#include "net/pmtu.h"

static void loopback_enqueue(struct tern_stack *s, struct tern_pkt *pkt)
{
	pkt->ifindex = TERN_IFINDEX_LOOPBACK;
	pkt->l2_type = TERN_PKT_L2_UNICAST;
	tern_trace_emit(s, TERN_TRACE_TX, TERN_LAYER_IP, TERN_IFINDEX_LOOPBACK, tern_pkt_data(pkt),
			pkt->len, TERN_STAT_NONE);
	/* Built here with its checksums, never out of memory: the receiving
	 * side need not sum it again (as Linux's loopback_xmit marks it). */
	pkt->csum_ok = 1;
	tern_pkt_enqueue(&s->net->loopback, pkt);
	tern_pkt_tag_done(s, pkt, true);
	tern_stack_wake(s); /* poll_at is now */
}

/* Linux hands itself a copy of every broadcast it sends on a device
 * (ip_mc_output → dev_loopback_xmit): this host's own sockets on that port
 * hear it, as the other hosts on the link do. */
static void loop_broadcast(struct tern_stack *s, const struct tern_pkt *pkt)
{
	struct tern_pkt *copy = tern_stack_pkt_clone(s, pkt);
	if (!copy)
		return; /* the pool is out: this host misses its own broadcast */
	loopback_enqueue(s, copy);
	copy->l2_type = TERN_PKT_L2_BROADCAST;
}

void tern_ipv4_loopback_run(struct tern_stack *s, tern_time_t now)
{
	/* Only what is queued now: a datagram that makes another waits for the
	 * next round, so a stack talking to itself cannot spin here. */
	unsigned n = s->net->loopback.len;
	struct tern_iface *lo = s->ifaces[TERN_IFINDEX_LOOPBACK];
	while (n-- > 0) {
		struct tern_pkt *pkt = tern_pkt_dequeue(&s->net->loopback);
		pkt->rx_time = now;
		tern_trace_emit(s, TERN_TRACE_RX, TERN_LAYER_IP, TERN_IFINDEX_LOOPBACK,
				tern_pkt_data(pkt), pkt->len, TERN_STAT_NONE);
		tern_ipv4_input(s, lo, pkt, now);
	}
}

/* Options that go into every fragment are those with the copied flag
 * (RFC 791 §3.1, "Options"); the rest stay in the first fragment only. */
static size_t copied_options(const uint8_t *opt, size_t len, uint8_t *out)
{
	size_t i = 0, n = 0;
	while (i < len) {
		uint8_t type = opt[i];
		if (type == 0)
			break;
		if (type == 1) {
			i++;
			continue;
		}
		size_t olen = (i + 1 < len) ? opt[i + 1] : 0;
		if (olen < 2 || i + olen > len)
			break; /* validated on input; ours are well formed */
		if (type & 0x80) {
			memcpy(out + n, opt + i, olen);
			n += olen;
		}
		i += olen;
	}
	while (n % 4)
		out[n++] = 0; /* pad with End of Option List */
	return n;
}

static int fragment(struct tern_stack *s, struct tern_iface *ifc, struct tern_pkt *pkt,
		    tern_ip4_t next_hop, uint32_t mtu, tern_time_t now)
{
	const uint8_t *h = tern_pkt_data(pkt);
	size_t hlen = tern_ipv4_hdr_len(h);
	size_t payload = pkt->len - hlen;
	uint16_t field = rd16(h + 6);
	size_t base = (size_t)(field & TERN_IPV4_FRAG_MASK) * 8;
	bool more = field & TERN_IPV4_MF;
	uint8_t rest_hdr[TERN_IPV4_MAX_HLEN];
	memcpy(rest_hdr, h, TERN_IPV4_HLEN);
	size_t rest_hlen = TERN_IPV4_HLEN + copied_options(h + TERN_IPV4_HLEN, hlen - TERN_IPV4_HLEN,
							   rest_hdr + TERN_IPV4_HLEN);
	rest_hdr[0] = (uint8_t)(0x40 | (rest_hlen / 4));

	for (size_t off = 0; off < payload;) {
		const uint8_t *hdr = off == 0 ? h : rest_hdr;
		size_t this_hlen = off == 0 ? hlen : rest_hlen;
		size_t room = ((mtu - this_hlen) / 8) * 8; /* RFC 791: 8-byte units */
		size_t n = payload - off < room ? payload - off : room;
		bool last = off + n == payload;
		struct tern_pkt *f = tern_stack_pkt_alloc(s, this_hlen + n);
		if (!f) {
			tern_stack_pkt_free(s, pkt);
			return TERN_ENOBUFS;
		}
		uint8_t *fh = tern_pkt_put(f, this_hlen + n);
		memcpy(fh, hdr, this_hlen);
		memcpy(fh + this_hlen, h + hlen + off, n);
		wr16(fh + 2, (uint16_t)(this_hlen + n));
		wr16(fh + 6, (uint16_t)((field & TERN_IPV4_DF) | ((!last || more) ? TERN_IPV4_MF : 0) |
					((base + off) / 8)));
		wr16(fh + 10, 0);
		wr16(fh + 10, tern_csum(fh, this_hlen));
		tern_stat_inc(s, TERN_STAT_IP_FRAG_CREATES);
		if (off == 0) {
			f->tx_tag = pkt->tx_tag; /* one message, accounted once */
			pkt->tx_tag = 0;
		}
		tern_arp_output(s, ifc, f, next_hop, now);
		off += n;
	}
	tern_stat_inc(s, TERN_STAT_IP_FRAG_OKS);
	tern_stack_pkt_free(s, pkt);
	return 0;
}

static int transmit_mtu(struct tern_stack *s, struct tern_iface *ifc, struct tern_pkt *pkt,
			tern_ip4_t next_hop, uint32_t mtu, tern_time_t now)
{
	if (ifc->loopback) {
		loopback_enqueue(s, pkt);
		return 0;
	}
	if (pkt->len <= mtu)
		return tern_arp_output(s, ifc, pkt, next_hop, now); /* the device's refusal too */
	if (rd16(tern_pkt_data(pkt) + 6) & TERN_IPV4_DF) {
		tern_stack_pkt_free(s, pkt);
		return TERN_EMSGSIZE;
	}
	return fragment(s, ifc, pkt, next_hop, mtu, now);
}

int tern_ipv4_transmit(struct tern_stack *s, struct tern_iface *ifc, struct tern_pkt *pkt,
		       tern_ip4_t next_hop, tern_time_t now)
{
	return transmit_mtu(s, ifc, pkt, next_hop, ifc->mtu, now);
}

/* The limited broadcast 255.255.255.255 (RFC 1122 §3.3.6), as Linux
 * routes it: out of the interface of the route that covers it (a default
 * route, or one made for it), else of the interface that owns the bound
 * source address; otherwise the network is unreachable. Never to a
 * gateway: it stays on the link. */
static int broadcast_route(struct tern_stack *s, tern_ip4_t src, struct tern_route_result *rt)
{
	if (tern_route_lookup(s, TERN_IP4_BROADCAST, rt) == 0 && !rt->local) {
		rt->next_hop = TERN_IP4_BROADCAST;
		return 0;
	}
	struct tern_ifaddr *ia = src ? tern_ifaddr_find(s, src) : NULL;
	if (!ia || ia->iface->loopback)
		return TERN_ENETUNREACH;
	*rt = (struct tern_route_result){
		.ifindex = ia->iface->index, .next_hop = TERN_IP4_BROADCAST, .src = src,
	};
	return 0;
}

/* Keep a route found for dst (made on first use; without memory, every
 * lookup stays a real one). */
static void route_remember(struct tern_stack *s, tern_ip4_t dst, const struct tern_route_result *rt)
{
	struct tern_route_memo *m = s->net->route_memo;
	if (!m && !(m = s->net->route_memo = malloc(sizeof(*m))))
		return;
	*m = (struct tern_route_memo){.dst = dst, .table_gen = s->net->routes.gen,
				      .addrs_gen = s->addrs_gen, .rt = *rt};
}

int tern_ipv4_route(struct tern_stack *s, tern_ip4_t dst, tern_ip4_t src,
		    struct tern_route_result *rt)
{
	if (dst == TERN_IP4_BROADCAST)
		return broadcast_route(s, src, rt);
	/* tern_route_lookup's result depends on the route table and the
	 * addresses (which are ours, their states, the sources they offer)
	 * alone: while both stand still, the same destination has the same
	 * route. A failed lookup leaves the memo (another destination's, or
	 * out of date) as it is. */
	const struct tern_route_memo *m = s->net->route_memo;
	if (m && m->dst == dst && m->table_gen == s->net->routes.gen &&
	    m->addrs_gen == s->addrs_gen) {
		*rt = m->rt;
		return 0;
	}
	int err = tern_route_lookup(s, dst, rt);
	if (err == 0)
		route_remember(s, dst, rt);
	return err;
}

int tern_ipv4_output(struct tern_stack *s, struct tern_pkt *pkt, const struct tern_ip_send *p,
		     tern_time_t now)
{
	struct tern_route_result rt;
	int err = p->oif ? tern_route_lookup_dev(s, p->dst, p->oif - 1, &rt)
			 : tern_ipv4_route(s, p->dst, p->src, &rt);
	if (err < 0) {
		if (err == TERN_ENETUNREACH)
			tern_stat_inc(s, TERN_STAT_IP_NO_ROUTE);
		tern_stack_pkt_free(s, pkt);
		return err;
	}
	return tern_ipv4_output_routed(s, pkt, p, &rt, now);
}

int tern_ipv4_output_routed(struct tern_stack *s, struct tern_pkt *pkt,
			    const struct tern_ip_send *p, const struct tern_route_result *rt,
			    tern_time_t now)
{
	size_t total = pkt->len + TERN_IPV4_HLEN;
	struct tern_iface *ifc = tern_iface_get(s, rt->ifindex);
	int err = 0;
	/* Linux's ip_sk_use_pmtu: DONT, WANT and DO send within the cached
	 * path MTU (RFC 1191 §3), PROBE within the interface's alone. */
	uint8_t mode = p->pmtudisc ? p->pmtudisc : p->df ? TERN_IP_PMTU_PROBE : TERN_IP_PMTU_DONT;
	uint32_t mtu = ifc->mtu;
	if (mode != TERN_IP_PMTU_PROBE && !ifc->loopback) {
		uint32_t pm = tern_pmtu_get(s, p->dst, now);
		if (pm && pm < mtu)
			mtu = pm;
	}
	bool df = mode == TERN_IP_PMTU_DO || mode == TERN_IP_PMTU_PROBE ||
		  (mode == TERN_IP_PMTU_WANT && total <= mtu);
	if (total > TERN_IPV4_MAX_LEN || (df && total > mtu))
		err = TERN_EMSGSIZE; /* a local error, as Linux's "message too long" */
	/* RFC 1122 §3.2.1.3: 0.0.0.0 is no source for an ordinary datagram;
	 * with no usable address (all tentative or conflicting) there is
	 * nothing to send from. */
	else if (!p->src && !rt->src)
		err = TERN_EADDRNOTAVAIL;
	if (err < 0) {
		tern_stack_pkt_free(s, pkt);
		return err;
	}
	uint8_t *h = tern_pkt_push(pkt, TERN_IPV4_HLEN);
	if (!h) {
		tern_stack_pkt_free(s, pkt);
		return TERN_ENOBUFS;
	}
	struct tern_ipv4_repr ip = {
		.hlen = TERN_IPV4_HLEN,
		.tos = p->tos,
		.total_len = (uint16_t)total,
		.id = s->net->ip_id++,
		.df = df,
		.ttl = p->ttl ? p->ttl : s->cfg->default_ttl,
		.proto = p->proto,
		.src = p->src ? p->src : rt->src,
		.dst = p->dst,
	};
	tern_ipv4_emit(&ip, h);
	tern_stat_inc(s, TERN_STAT_IP_OUT_REQUESTS);
	if (!ifc->loopback && tern_ip4_is_our_broadcast(s, ip.dst))
		loop_broadcast(s, pkt);
	return transmit_mtu(s, ifc, pkt, rt->next_hop, mtu, now);
}

int tern_ip_send_raw(struct tern_stack *s, const struct tern_ip_send *p, const uint8_t *payload,
		     size_t len, tern_time_t now)
{
	tern_stack_advance(s, now);
	if (len > TERN_IPV4_MAX_LEN - TERN_IPV4_HLEN)
		return TERN_EMSGSIZE;
	struct tern_pkt *pkt = tern_stack_pkt_alloc(s, len + TERN_IPV4_HLEN);
	if (!pkt)
		return TERN_ENOBUFS;
	memcpy(tern_pkt_put(pkt, len), payload, len);
	return tern_ipv4_output(s, pkt, p, s->now);
}
