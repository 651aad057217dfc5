/*
 * net/icmp.c — ICMP for a stack (RFC 792; RFC 1122 §3.2.2; RFC 1812 §4.3;
 * RFC 1191 for the next-hop MTU).
 *
 * Input: echo requests are answered in place (the request's buffer becomes
 * the reply, no payload copy); errors are checked for a sane quoted header
 * and passed to the transport that sent the datagram; redirects update the
 * routing table on hosts; every valid message then goes to listeners.
 * Output: tern_icmp_send_error() enforces when an error must not be sent,
 * and token buckets, the host's and each destination's, limit how many
 * are (as Linux).
 */
#include <stdlib.h>

#include "wire/checksum.h"
#include "core/stack_impl.h"
#include "net/icmp.h"
#include "net/net.h"
#include "net/pmtu.h"

/* ---- error generation ---- */

/* RFC 1812 §4.3.2.8: the host's token bucket, in thousandths of a
 * message (Linux icmp_global_allow). */
static bool global_allow(struct tern_stack *s, tern_time_t now)
{
	uint64_t cap = (uint64_t)s->cfg->icmp_ratelimit_burst * 1000;
	tern_time_t elapsed = now - s->net->icmp_last_refill;
	if (elapsed > TERN_SEC(100))
		elapsed = TERN_SEC(100);
	if (elapsed > 0) {
		/* tokens/s × ns / 1e9 × 1000 = tokens/s × ns / 1e6 */
		uint64_t add = (uint64_t)s->cfg->icmp_ratelimit_per_sec * (uint64_t)elapsed / 1000000u;
		s->net->icmp_tokens_milli = s->net->icmp_tokens_milli + add > cap ? cap : s->net->icmp_tokens_milli + add;
		s->net->icmp_last_refill = now;
	}
	if (s->net->icmp_tokens_milli < 1000)
		return false;
	s->net->icmp_tokens_milli -= 1000;
	return true;
}

/* Linux keeps up to 6 intervals of credit per destination
 * (XRLIM_BURST_FACTOR); each error spends one interval. */
#define PEER_BURST 6
#define PEER_WAYS 4

/* The destination's entry: found, or a free or least recently used one of
 * its set taken over with a full burst (as a new Linux inet_peer). */
static struct tern_icmp_peer *peer_get(struct tern_stack *s, tern_ip4_t addr, tern_time_t now)
{
	if (!s->net->icmp_peers &&
	    !(s->net->icmp_peers = calloc(TERN_ICMP_PEERS, sizeof(*s->net->icmp_peers))))
		return NULL; /* no memory: the error is not sent */
	uint32_t h = addr * 0x9e3779b1u;
	struct tern_icmp_peer *set = &s->net->icmp_peers[((h ^ (h >> 16)) % (TERN_ICMP_PEERS / PEER_WAYS)) *
						     PEER_WAYS];
	struct tern_icmp_peer *victim = &set[0];
	for (int i = 0; i < PEER_WAYS; i++) {
		if (set[i].addr == addr)
			return &set[i];
		if (set[i].addr == 0 || (victim->addr && set[i].last < victim->last))
			victim = &set[i];
	}
	*victim = (struct tern_icmp_peer){
		.addr = addr, .tokens = PEER_BURST * s->cfg->icmp_ratelimit, .last = now,
	};
	return victim;
}

/* Linux icmpv4_xrlim_allow: per destination host, at most one error per
 * icmp_ratelimit after a burst of six; none of this towards ourselves. */
static bool peer_allow(struct tern_stack *s, tern_ip4_t dst, tern_time_t now)
{
	tern_time_t interval = s->cfg->icmp_ratelimit;
	if (interval <= 0 || tern_ip4_is_loopback(dst) || tern_stack_is_local_addr(s, dst))
		return true;
	struct tern_icmp_peer *p = peer_get(s, dst, now);
	if (!p)
		return false;
	tern_time_t cap = PEER_BURST * interval, elapsed = now - p->last;
	tern_time_t tokens = p->tokens + (elapsed < cap ? (elapsed > 0 ? elapsed : 0) : cap);
	p->tokens = tokens < cap ? tokens : cap;
	p->last = now;
	if (p->tokens < interval)
		return false;
	p->tokens -= interval;
	return true;
}

/* Linux icmpv4_mask_allow: only the types in icmp_ratemask are limited,
 * and never "fragmentation needed". */
static bool is_limited(const struct tern_stack *s, uint8_t type, uint8_t code)
{
	if (type > 31 || !(s->cfg->icmp_ratemask & (1u << type)))
		return false;
	return !(type == TERN_ICMP_DEST_UNREACH && code == TERN_ICMP_FRAG_NEEDED);
}

/* Both limits, in Linux's order: the host's bucket (not for datagrams
 * that came over loopback), then the destination's. */
static bool ratelimit_ok(struct tern_stack *s, const struct tern_pkt *orig, uint8_t type,
			 uint8_t code, tern_time_t now)
{
	if (!is_limited(s, type, code))
		return true;
	if (orig->ifindex != TERN_IFINDEX_LOOPBACK && !global_allow(s, now)) {
		tern_drop(s, NULL, TERN_STAT_ICMP_RATELIMITED, TERN_LAYER_IP);
		return false;
	}
	if (!peer_allow(s, rd32(tern_pkt_data(orig) + 12), now)) {
		tern_drop(s, NULL, TERN_STAT_ICMP_RATELIMITED_HOST, TERN_LAYER_IP);
		return false;
	}
	return true;
}

/* RFC 1122 §3.2.2 and RFC 1812 §4.3.2.7: never an error about an ICMP
 * error, a datagram to a broadcast or multicast address (IP or link
 * layer), a non-first fragment, or a datagram whose source does not name
 * a single host. */
static bool error_allowed(struct tern_stack *s, const struct tern_pkt *orig, uint8_t type)
{
	const uint8_t *h = tern_pkt_data(orig);
	if (orig->len < TERN_IPV4_HLEN)
		return false;
	size_t hlen = tern_ipv4_hdr_len(h);
	tern_ip4_t src = rd32(h + 12), dst = rd32(h + 16);
	if (rd16(h + 6) & TERN_IPV4_FRAG_MASK)
		return false;
	if (orig->l2_type != TERN_PKT_L2_UNICAST || tern_ip4_is_multicast(dst) ||
	    tern_ip4_is_our_broadcast(s, dst))
		return false;
	if (src == 0 || tern_ip4_is_multicast(src) || tern_ip4_is_class_e(src) ||
	    tern_ip4_is_our_broadcast(s, src))
		return false;
	if (h[9] == TERN_IPPROTO_ICMP && type != TERN_ICMP_REDIRECT) {
		if (orig->len <= hlen || tern_icmp_is_error(h[hlen]))
			return false;
		/* An unknown ICMP type may be an error type we don't know of. */
		if (h[hlen] > TERN_ICMP_TIMESTAMP_REPLY + 4)
			return false;
	}
	return true;
}

/* Counted when the message leaves, not when it is made: one that waited
 * for a neighbour that never answered was not sent. */
void tern_icmp_sent(struct tern_stack *s, struct tern_pkt *pkt, bool sent)
{
	uint8_t type = (uint8_t)(pkt->tx_tag - 1);
	if (!sent) {
		tern_stat_inc(s, TERN_STAT_ICMP_OUT_ERRORS);
		return;
	}
	tern_stat_inc(s, TERN_STAT_ICMP_OUT_MSGS);
	if (type == TERN_ICMP_DEST_UNREACH)
		tern_stat_inc(s, TERN_STAT_ICMP_OUT_DEST_UNREACH);
	else if (type == TERN_ICMP_TIME_EXCEEDED)
		tern_stat_inc(s, TERN_STAT_ICMP_OUT_TIME_EXCDS);
	else if (type == TERN_ICMP_REDIRECT)
		tern_stat_inc(s, TERN_STAT_ICMP_OUT_REDIRECTS);
	else if (type == TERN_ICMP_ECHO_REPLY)
		tern_stat_inc(s, TERN_STAT_ICMP_OUT_ECHO_REPS);
}

void tern_icmp_send_error(struct tern_stack *s, const struct tern_pkt *orig, uint8_t type,
			  uint8_t code, uint32_t aux, tern_time_t now)
{
	if (!error_allowed(s, orig, type)) {
		tern_stat_inc(s, TERN_STAT_ICMP_ERROR_SUPPRESSED);
		return;
	}
	if (!ratelimit_ok(s, orig, type, code, now))
		return;
	/* RFC 1812 §4.3.2.3: quote as much as fits in a 576-byte datagram. */
	size_t quote = orig->len;
	if (quote > 576 - TERN_IPV4_HLEN - TERN_ICMP_HLEN)
		quote = 576 - TERN_IPV4_HLEN - TERN_ICMP_HLEN;
	struct tern_pkt *pkt = tern_stack_pkt_alloc(s, TERN_ICMP_HLEN + quote);
	if (!pkt)
		return;
	struct tern_icmp_repr icmp = {
		.type = type, .code = code, .data = tern_pkt_data(orig), .data_len = quote,
	};
	if (type == TERN_ICMP_DEST_UNREACH && code == TERN_ICMP_FRAG_NEEDED)
		icmp.u.mtu = (uint16_t)aux;
	else if (type == TERN_ICMP_REDIRECT)
		icmp.u.gateway = aux;
	tern_icmp_emit(&icmp, tern_pkt_put(pkt, TERN_ICMP_HLEN + quote));
	/* Linux sends errors with precedence "internetwork control". An
	 * error about a datagram addressed to one of our addresses comes from
	 * that address (Linux icmp_send: saddr = iph->daddr when RTCF_LOCAL),
	 * so a probe to a router's far interface is answered by that
	 * interface's address; any other (forwarding) error takes the route's
	 * preferred source towards the sender (RFC 1812 §4.3.2.4 leaves it
	 * to the router; Linux with icmp_errors_use_inbound_ifaddr=0). */
	tern_ip4_t odst = rd32(tern_pkt_data(orig) + 16);
	struct tern_ip_send ip = {.src = tern_stack_is_local_addr(s, odst) ? odst : 0,
				  .dst = rd32(tern_pkt_data(orig) + 12), .proto = TERN_IPPROTO_ICMP,
				  .tos = 0xc0};
	pkt->tx_tag = (uint8_t)(type + 1);
	tern_ipv4_output(s, pkt, &ip, now);
}

/* ---- input ---- */

static void drop_ip(struct tern_stack *s, struct tern_pkt *pkt, const struct tern_ipv4_repr *ip,
		    enum tern_stat reason)
{
	tern_pkt_push(pkt, ip->hlen); /* trace shows the whole datagram */
	tern_drop(s, pkt, reason, TERN_LAYER_IP);
}

/* Answer an echo request with its own buffer (RFC 792 "Echo or Echo
 * Reply": same identifier, sequence and data; type 0). */
static void echo_reply(struct tern_stack *s, struct tern_pkt *pkt, const struct tern_ipv4_repr *ip,
		       tern_time_t now)
{
	uint8_t *h = tern_pkt_data(pkt);
	uint16_t old_word = rd16(h);
	h[0] = TERN_ICMP_ECHO_REPLY;
	wr16(h + 2, tern_csum_update16(rd16(h + 2), old_word, rd16(h)));
	struct tern_ip_send out = {
		/* a broadcast was asked: answer from our own address */
		.src = tern_stack_is_local_addr(s, ip->dst) ? ip->dst : 0,
		.dst = ip->src,
		.proto = TERN_IPPROTO_ICMP,
		.tos = ip->tos,
	};
	pkt->tx_tag = TERN_ICMP_ECHO_REPLY + 1;
	tern_ipv4_output(s, pkt, &out, now);
}

static unsigned redirect_routes(const struct tern_stack *s)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < s->net->routes.len; i++)
		n += (s->net->routes.routes[i].flags & TERN_ROUTE_REDIRECT) != 0;
	return n;
}

/* RFC 1122 §3.2.2.2: a host accepts a redirect only from the gateway it
 * currently uses for that destination, and only to a gateway on a network
 * it is directly connected to. */
static void handle_redirect(struct tern_stack *s, const struct tern_icmp_msg *m)
{
	struct tern_route_result cur;
	const struct tern_route *via = tern_route_match(&s->net->routes, m->gateway);
	if (s->cfg->forwarding || !s->cfg->accept_redirects ||
	    tern_route_lookup(s, m->q_dst, &cur) < 0 || cur.local || cur.next_hop != m->src ||
	    cur.next_hop == m->q_dst || !via || !(via->flags & TERN_ROUTE_CONNECTED) ||
	    via->ifindex != cur.ifindex || tern_stack_is_local_addr(s, m->gateway)) {
		tern_drop(s, NULL, TERN_STAT_ICMP_REDIRECT_IGNORED, TERN_LAYER_IP);
		return;
	}
	tern_route_remove(&s->net->routes, m->q_dst, 32, 0);
	/* Each redirect adds a host route: a table a peer can fill. */
	if (redirect_routes(s) >= s->cfg->redirect_routes_max) {
		tern_drop(s, NULL, TERN_STAT_ICMP_REDIRECT_TABLE_FULL, TERN_LAYER_IP);
		return;
	}
	struct tern_route r = {
		.dst = m->q_dst, .plen = 32, .flags = TERN_ROUTE_REDIRECT,
		.gateway = m->gateway, .ifindex = cur.ifindex,
	};
	tern_route_insert(&s->net->routes, &r);
	char a[TERN_IP4_STRLEN], g[TERN_IP4_STRLEN];
	tern_stack_logf(s, "redirect: %s now via %s", tern_ip4_str(m->q_dst, a),
			tern_ip4_str(m->gateway, g));
}

/* Fill the quoted-datagram fields of an error message (tern_icmp_parse
 * has checked that the quote is an IPv4 header plus 8 bytes). */
static void parse_quote(struct tern_icmp_msg *m)
{
	const uint8_t *q = m->data;
	size_t hlen = tern_ipv4_hdr_len(q);
	m->has_quote = true;
	m->q_ttl = q[8];
	m->q_proto = q[9];
	m->q_id = rd16(q + 4);
	m->q_src = rd32(q + 12);
	m->q_dst = rd32(q + 16);
	m->q_l4 = q + hlen;
	m->q_l4_len = m->data_len - hlen;
}

static void fill_msg(struct tern_icmp_msg *m, const struct tern_icmp_repr *icmp,
		     const struct tern_ipv4_repr *ip)
{
	*m = (struct tern_icmp_msg){
		.src = ip->src, .dst = ip->dst, .ttl = ip->ttl, .ip_total_len = ip->total_len,
		.type = icmp->type, .code = icmp->code,
		.data = icmp->data, .data_len = icmp->data_len,
	};
	if (icmp->type == TERN_ICMP_ECHO || icmp->type == TERN_ICMP_ECHO_REPLY) {
		m->id = icmp->u.echo.id;
		m->seq = icmp->u.echo.seq;
	} else if (icmp->type == TERN_ICMP_DEST_UNREACH && icmp->code == TERN_ICMP_FRAG_NEEDED) {
		m->mtu = icmp->u.mtu;
	} else if (icmp->type == TERN_ICMP_REDIRECT) {
		m->gateway = icmp->u.gateway;
	} else if (icmp->type == TERN_ICMP_PARAM_PROBLEM) {
		m->pointer = icmp->u.pointer;
	}
}

static unsigned listeners(const struct tern_stack *s)
{
	unsigned n = 0;
	for (int i = 0; s->net->icmp_listeners && i < TERN_MAX_ICMP_LISTENERS; i++)
		n += s->net->icmp_listeners[i].fn != NULL;
	return n;
}

/* RFC 1191 §4 into the path-MTU cache, for a protocol that does not
 * check the quote itself: believed if a socket claimed it (RFC 5927 §4.1:
 * a flow we have) or, for our echo requests, if a listener (ping) is
 * there to have sent them. With ip_no_pmtu_disc 3 only TCP's checked
 * messages count, as Linux's hardened mode. */
static void frag_needed_learn(struct tern_stack *s, const struct tern_icmp_msg *m, bool claimed,
			      tern_time_t now)
{
	if (s->cfg->ip_no_pmtu_disc == 3 ||
	    !(claimed || (m->q_proto == TERN_IPPROTO_ICMP && listeners(s)))) {
		tern_stat_inc(s, TERN_STAT_IP_PMTU_IGNORED);
		return;
	}
	tern_pmtu_learn(s, m->q_dst, m->mtu, rd16(m->data + 2), now);
}

/* An error about a datagram we sent goes to the socket that sent it, then
 * to listeners (ping, traceroute); one quoting a datagram that is not ours,
 * or that neither a socket nor a listener claims, is only counted. */
static void error_input(struct tern_stack *s, struct tern_pkt *pkt,
			const struct tern_ipv4_repr *ip, struct tern_icmp_msg *m, tern_time_t now)
{
	tern_stat_inc(s, TERN_STAT_ICMP_IN_ERRORS_MSGS);
	parse_quote(m);
	if (m->type == TERN_ICMP_SOURCE_QUENCH) {
		/* RFC 6633 §4: a host MUST silently discard it. */
		tern_icmp_notify(s, m, now);
		return drop_ip(s, pkt, ip, TERN_STAT_ICMP_TYPE_IGNORED);
	}
	if (!tern_stack_is_local_addr(s, m->q_src))
		return drop_ip(s, pkt, ip, TERN_STAT_ICMP_ERROR_NOT_OURS);
	bool claimed = false;
	if (m->type == TERN_ICMP_REDIRECT) {
		handle_redirect(s, m);
		claimed = true; /* taken, or counted as ignored */
	} else {
		const struct tern_ip_proto *p = tern_net_proto(s, m->q_proto);
		claimed = p && p->error(s, m, now);
		if (m->type == TERN_ICMP_DEST_UNREACH && m->code == TERN_ICMP_FRAG_NEEDED &&
		    !(p && p->pmtu_self))
			frag_needed_learn(s, m, claimed, now);
	}
	if (tern_icmp_notify(s, m, now))
		claimed = true;
	if (!claimed)
		return drop_ip(s, pkt, ip, TERN_STAT_ICMP_ERROR_NOT_OURS);
	tern_stack_pkt_free(s, pkt);
}

void tern_icmp_input(struct tern_stack *s, struct tern_pkt *pkt, const struct tern_ipv4_repr *ip,
		     tern_time_t now)
{
	struct tern_icmp_repr icmp;
	struct tern_icmp_msg m;
	tern_stat_inc(s, TERN_STAT_ICMP_IN_MSGS);
	enum tern_stat bad = tern_icmp_parse(tern_pkt_data(pkt), pkt->len, 0, &icmp);
	if (bad)
		return drop_ip(s, pkt, ip, bad);
	fill_msg(&m, &icmp, ip);
	m.rx_time = pkt->rx_time ? pkt->rx_time : now;

	if (icmp.type == TERN_ICMP_ECHO) {
		tern_stat_inc(s, TERN_STAT_ICMP_IN_ECHOS);
		/* RFC 1122 §3.2.2.6: a host may ignore echoes to a broadcast. */
		bool bcast = pkt->l2_type != TERN_PKT_L2_UNICAST || tern_ip4_is_our_broadcast(s, ip->dst) ||
			     tern_ip4_is_multicast(ip->dst);
		if (bcast && s->cfg->icmp_echo_ignore_broadcasts)
			return drop_ip(s, pkt, ip, TERN_STAT_ICMP_BCAST_ECHO);
		if (s->cfg->icmp_echo_ignore_all) /* Linux icmp_echo_ignore_all */
			return drop_ip(s, pkt, ip, TERN_STAT_ICMP_ECHO_IGNORED);
		tern_icmp_notify(s, &m, now);
		return echo_reply(s, pkt, ip, now);
	}
	if (tern_icmp_is_error(icmp.type))
		return error_input(s, pkt, ip, &m, now);
	tern_icmp_notify(s, &m, now);
	switch (icmp.type) {
	case TERN_ICMP_ECHO_REPLY:
		tern_stat_inc(s, TERN_STAT_ICMP_IN_ECHO_REPS);
		break;
	case TERN_ICMP_TIMESTAMP:
		/* RFC 1122 §3.2.2.8 makes the reply optional; tern gives
		 * away no clock (unlike Linux). */
		return drop_ip(s, pkt, ip, TERN_STAT_ICMP_TIMESTAMP_IGNORED);
	default:
		/* Source quench (RFC 6633: silently discarded), router
		 * discovery, information and address mask messages, replies
		 * to requests never sent, types unknown: none asks anything
		 * of a host. */
		return drop_ip(s, pkt, ip, TERN_STAT_ICMP_TYPE_IGNORED);
	}
	tern_stack_pkt_free(s, pkt);
}

/* ---- listeners ---- */

/* The listener slots are made by the first listener (a ping, a
 * traceroute): most hosts never have one. */
int tern_icmp_listen(struct tern_stack *s, tern_icmp_fn fn, void *ctx)
{
	struct tern_icmp_listener *l = s->net->icmp_listeners;
	if (!l && !(l = s->net->icmp_listeners = calloc(TERN_MAX_ICMP_LISTENERS, sizeof(*l))))
		return TERN_ENOMEM;
	for (int i = 0; i < TERN_MAX_ICMP_LISTENERS; i++) {
		if (!l[i].fn) {
			l[i].fn = fn;
			l[i].ctx = ctx;
			return i;
		}
	}
	return TERN_ENOSPC;
}

void tern_icmp_unlisten(struct tern_stack *s, int handle)
{
	if (s->net->icmp_listeners && handle >= 0 && handle < TERN_MAX_ICMP_LISTENERS)
		s->net->icmp_listeners[handle].fn = NULL;
}

unsigned tern_icmp_notify(struct tern_stack *s, const struct tern_icmp_msg *m, tern_time_t now)
{
	const struct tern_icmp_listener *l = s->net->icmp_listeners;
	unsigned n = 0;
	for (int i = 0; l && i < TERN_MAX_ICMP_LISTENERS; i++) {
		if (l[i].fn) {
			l[i].fn(l[i].ctx, s, m, now);
			n++;
		}
	}
	return n;
}
