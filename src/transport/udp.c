/*
 * transport/udp.c — UDP (RFC 768; RFC 1122 §4.1) and its socket type.
 *
 * Input:  tern_ipv4_deliver → udp_input (tern_udp_proto): validate (checksum verified
 *         unless zero), demultiplex — connected sockets by exact 4-tuple
 *         first, then bound sockets by local port, best match wins — and
 *         queue the received pkt itself (no copy) on the socket; a
 *         broadcast or multicast datagram goes to every matching socket; no
 *         socket means ICMP port unreachable (RFC 1122 §4.1.3.1).
 * Output: tern_sendto → udp_sendto: route once, choose the source, build
 *         one pkt with headroom, copy the user's data once, checksum, hand
 *         it with the route to tern_ipv4_output_routed (which fragments to
 *         the MTU).
 * Errors: tern_icmp_input → udp_icmp_error: the socket that sent the
 *         quoted datagram gets a pending error when Linux would give it one.
 *
 * Queued datagrams keep their IP header (pkt data starts at it), so recv
 * reads the sender's address and port from the packet itself.
 *
 * Binding rules, as Linux's udp_lib_lport_inuse() (socket(7), ip(7)).
 * Two sockets on one port conflict when their local addresses overlap
 * (equal, or either is 0.0.0.0) unless both set SO_REUSEADDR or both set
 * SO_REUSEPORT:
 *
 *   first bound        second bound       options on both   result
 *   10.0.0.1:P         10.0.0.2:P         none              ok (no overlap)
 *   10.0.0.1:P         10.0.0.1:P         none              EADDRINUSE
 *   0.0.0.0:P          10.0.0.1:P         none              EADDRINUSE
 *   10.0.0.1:P         0.0.0.0:P          none              EADDRINUSE
 *   0.0.0.0:P          0.0.0.0:P          none              EADDRINUSE
 *   any overlap                           SO_REUSEADDR      ok
 *   any overlap                           SO_REUSEPORT      ok
 *   any overlap        one has REUSEADDR, the other REUSEPORT  EADDRINUSE
 *   any overlap        only one of them sets the option     EADDRINUSE
 *   not one of ours (EADDRNOTAVAIL); already bound or connected (EINVAL);
 *   broadcast and multicast addresses may be bound (receive only);
 *   127.0.0.0/8 is always ours; ports below 1024 need no privilege here.
 *
 * Where tern differs from Linux, on purpose:
 *   - every existing socket on the port is checked (Linux stops at the
 *     first overlapping SO_REUSEPORT socket, so its answer can depend on
 *     hash-chain order);
 *   - port 0 takes an ephemeral port no socket uses at all (RFC 6056
 *     algorithm 1 over 49152-65535, the IANA dynamic range);
 *   - SO_REUSEPORT picks a socket by rendezvous hashing of the 4-tuple
 *     (Linux: 4-tuple hash modulo the group size), so adding or closing a
 *     socket moves only its share of flows.
 *
 * Receive buffer: each queued datagram is charged its packet buffer's true
 * size (struct + capacity, like Linux's skb truesize), not its payload. As
 * Linux's __udp_enqueue_schedule_skb, a datagram is accepted while the
 * charge so far is within SO_RCVBUF, so the queue overshoots by at most one
 * datagram and a big reassembled datagram always fits an empty queue.
 */
#include <stdlib.h>

#include "core/stack_impl.h"
#include "net/icmp.h"
#include "net/net.h"
#include "transport/sock.h"
#include "wire/udp.h"

#define EPHEMERAL_LOW 49152
#define EPHEMERAL_HIGH 65535

/* ---- tables --------------------------------------------------------------- */

static uint32_t port_hash(const struct tern_stack *s, uint16_t port)
{
	return tern_sock_hash4(s->socks, 0, port, 0, 0);
}

static uint32_t conn_hash(const struct tern_stack *s, tern_ip4_t laddr, uint16_t lport,
			  tern_ip4_t raddr, uint16_t rport)
{
	return tern_sock_hash4(s->socks, laddr, lport, raddr, rport);
}

static int hash_conn(struct tern_stack *s, struct tern_sock *so)
{
	return tern_sock_htab_insert(&s->socks->udp_conns, so,
				     conn_hash(s, so->rcv_addr, so->lport, so->peer_addr,
					       so->peer_port));
}

/* Does any socket at all use this port? */
static bool port_used(struct tern_stack *s, uint16_t port)
{
	const struct tern_sock_htab *h = &s->socks->udp_ports;
	for (struct tern_sock *o = tern_sock_htab_first(h, port_hash(s, port)); o;
	     o = tern_sock_htab_next(h, o))
		if (o->lport == port)
			return true;
	return false;
}

/* ---- binding ---------------------------------------------------------------- */

/* The table at the top of the file: may `so` bind addr:port next to o? */
static bool bind_conflict(const struct tern_sock *so, tern_ip4_t addr, const struct tern_sock *o)
{
	if (addr != 0 && o->rcv_addr != 0 && addr != o->rcv_addr)
		return false;
	if (so->reuseaddr && o->reuseaddr)
		return false;
	if (so->reuseport && o->reuseport)
		return false;
	return true;
}

static bool port_conflict(struct tern_stack *s, const struct tern_sock *so, tern_ip4_t addr,
			  uint16_t port)
{
	const struct tern_sock_htab *h = &s->socks->udp_ports;
	for (struct tern_sock *o = tern_sock_htab_first(h, port_hash(s, port)); o;
	     o = tern_sock_htab_next(h, o))
		if (o != so && o->lport == port && bind_conflict(so, addr, o))
			return true;
	return false;
}

/* RFC 6056 §3.3.1 (algorithm 1, "simple port randomization"): start at a
 * random point of the range and probe upwards, so successive choices are
 * unpredictable yet every free port is found. Returns the port or
 * TERN_EADDRINUSE when the range is full. */
static int pick_ephemeral(struct tern_stack *s)
{
	uint32_t n = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
	uint32_t next = (uint32_t)tern_rng_below(&s->rng, n);
	for (uint32_t count = 0; count < n; count++) {
		uint16_t port = (uint16_t)(EPHEMERAL_LOW + (next + count) % n);
		if (!port_used(s, port))
			return port;
	}
	return TERN_EADDRINUSE;
}

/* Addresses a socket may bind (Linux: a local, broadcast or multicast
 * address; anything else is EADDRNOTAVAIL). */
static bool bindable(const struct tern_stack *s, tern_ip4_t addr)
{
	return addr == 0 || tern_stack_is_local_addr(s, addr) || tern_ip4_is_our_broadcast(s, addr) ||
	       tern_ip4_is_multicast(addr);
}

/* Take addr:port (port 0: an ephemeral one) and file the socket. */
static int bind_port(struct tern_stack *s, struct tern_sock *so, tern_ip4_t addr, uint16_t port)
{
	if (port == 0) {
		int p = pick_ephemeral(s);
		if (p < 0)
			return p;
		port = (uint16_t)p;
	} else if (port_conflict(s, so, addr, port)) {
		return TERN_EADDRINUSE;
	}
	if (tern_sock_htab_insert(&s->socks->udp_ports, so, port_hash(s, port)) < 0)
		return TERN_ENOMEM;
	so->rcv_addr = addr;
	/* A broadcast or multicast address is for receiving: as Linux's
	 * inet_bind, the source is then left to the route. */
	so->src_addr = tern_ip4_is_our_broadcast(s, addr) || tern_ip4_is_multicast(addr) ? 0 : addr;
	so->lport = port;
	so->bind_seq = s->socks->next_bind_seq++;
	return 0;
}

static int udp_bind(struct tern_stack *s, struct tern_sock *so, const struct tern_sockaddr_in *a)
{
	if (so->lport || so->connected)
		return TERN_EINVAL; /* Linux inet_bind: already bound */
	if (!bindable(s, a->addr))
		return TERN_EADDRNOTAVAIL;
	int err = bind_port(s, so, a->addr, a->port);
	if (err < 0)
		return err;
	/* What the user chose survives a disconnect (Linux's BINDADDR/BINDPORT
	 * locks); what connect chose does not. */
	so->addr_locked = a->addr != 0;
	so->port_locked = a->port != 0;
	return 0;
}

/* Bind to 0.0.0.0 and an ephemeral port, for a send or connect on an
 * unbound socket (Linux inet_autobind: EAGAIN if no port is free). */
static int autobind(struct tern_stack *s, struct tern_sock *so)
{
	int err = bind_port(s, so, 0, 0);
	return err == TERN_EADDRINUSE ? TERN_EAGAIN : err;
}

/* ---- routes ------------------------------------------------------------------ */

/* Linux sends to 0.0.0.0 as to "this host": the bound source, else
 * 127.0.0.1 (ip_route_output_key's rule for an unspecified destination). */
static tern_ip4_t resolve_any(const struct tern_sock *so, tern_ip4_t dst)
{
	if (dst)
		return dst;
	return so->src_addr ? so->src_addr : TERN_IP4(127, 0, 0, 1);
}

/* Route to dst and enforce SO_BROADCAST (socket(7): sending to a
 * broadcast address needs it; Linux answers EACCES). A socket bound to a
 * loopback address cannot reach beyond the host (RFC 1122 §3.2.1.3:
 * 127/8 never appears outside one; Linux answers EINVAL). */
static int route_checked(struct tern_stack *s, const struct tern_sock *so, tern_ip4_t dst,
			 struct tern_route_result *rt)
{
	int err = tern_ipv4_route(s, dst, so->src_addr, rt);
	if (err < 0) {
		tern_stat_inc(s, TERN_STAT_IP_NO_ROUTE);
		return err;
	}
	if (tern_ip4_is_loopback(so->src_addr) && !rt->local)
		return TERN_EINVAL;
	if (tern_ip4_is_our_broadcast(s, dst) && !so->broadcast) {
		tern_stat_inc(s, TERN_STAT_UDP_NO_BROADCAST);
		return TERN_EACCES;
	}
	return 0;
}

/* ---- connect ------------------------------------------------------------------ */

/* Linux __udp_disconnect: forget the peer; an address or port that connect
 * (not bind) chose is given back. */
static int disconnect(struct tern_stack *s, struct tern_sock *so)
{
	tern_sock_htab_remove(&s->socks->udp_conns, so);
	so->connected = false;
	so->peer_addr = 0;
	so->peer_port = 0;
	if (!so->addr_locked)
		so->rcv_addr = so->src_addr = 0;
	if (!so->port_locked) {
		tern_sock_htab_remove(&s->socks->udp_ports, so);
		so->lport = 0;
	}
	return 0;
}

static int udp_connect(struct tern_stack *s, struct tern_sock *so, const struct tern_sockaddr_in *a)
{
	struct tern_route_result rt;
	if (!a)
		return disconnect(s, so);
	int err = so->lport ? 0 : autobind(s, so); /* first, as inet_dgram_connect */
	if (err < 0)
		return err;
	tern_ip4_t dst = resolve_any(so, a->addr);
	if ((err = route_checked(s, so, dst, &rt)) < 0)
		return err;
	/* As ip4_datagram_connect: a wildcard socket takes the route's source
	 * as its own, for sending and for the 4-tuple it receives on. */
	if (!so->src_addr)
		so->src_addr = rt.src;
	if (!so->rcv_addr)
		so->rcv_addr = rt.src;
	tern_sock_htab_remove(&s->socks->udp_conns, so);
	so->peer_addr = dst;
	so->peer_port = a->port;
	so->connected = true;
	if (hash_conn(s, so) < 0) {
		so->connected = false;
		return TERN_ENOMEM;
	}
	return 0;
}

/* ---- output --------------------------------------------------------------------- */

/* The pending error, cleared: reported once (socket(7) SO_ERROR). */
/* Build and send one datagram on the route already checked. The only
 * copy of the user's data is into the pkt; headers go in its headroom. */
static int udp_output(struct tern_stack *s, struct tern_sock *so, const void *buf, size_t len,
		      const struct tern_route_result *rt, tern_ip4_t dst, uint16_t dport)
{
	tern_ip4_t src = so->src_addr ? so->src_addr : rt->src;
	struct tern_pkt *pkt = tern_stack_pkt_alloc(s, TERN_IPV4_HLEN + TERN_UDP_HLEN + len);
	if (!pkt)
		return TERN_ENOBUFS;
	uint8_t *h = tern_pkt_put(pkt, TERN_UDP_HLEN + len);
	if (len)
		memcpy(h + TERN_UDP_HLEN, buf, len);
	struct tern_udp_repr udp = {.sport = so->lport, .dport = dport,
				    .len = (uint16_t)(TERN_UDP_HLEN + len)};
	tern_udp_emit(&udp, h, src, dst);
	/* Multicast leaves with TTL 1 unless told otherwise (RFC 1112 §6.1;
	 * IP_TTL does not apply to it on Linux). */
	struct tern_ip_send ip = {
		.src = src, .dst = dst, .proto = TERN_IPPROTO_UDP, .tos = so->tos,
		.pmtudisc = tern_sock_pmtudisc(s->cfg, so, false),
		.ttl = tern_ip4_is_multicast(dst) ? 1 : so->ttl < 0 ? 0 : (uint8_t)so->ttl,
	};
	int err = tern_ipv4_output_routed(s, pkt, &ip, rt, s->now);
	if (err == TERN_ENOBUFS && !so->recverr) {
		/* Linux's udp_send_skb: a full device queue is a loss the
		 * application hears of only with IP_RECVERR. */
		tern_stat_inc(s, TERN_STAT_UDP_SNDBUF_ERRORS);
		return (int)len;
	}
	if (err < 0)
		return err;
	so->out_datagrams++;
	tern_stat_inc(s, TERN_STAT_UDP_OUT_DATAGRAMS);
	return (int)len;
}

/* The checks follow udp_sendmsg's order: size, destination, route,
 * then the socket's own state (pending error, shutdown). */
static int udp_sendto(struct tern_stack *s, struct tern_sock *so, const void *buf, size_t len,
		      int flags, const struct tern_sockaddr_in *to)
{
	struct tern_route_result rt;
	tern_ip4_t dst;
	uint16_t dport;
	int err;
	if (len > TERN_UDP_MAX_PAYLOAD)
		return TERN_EMSGSIZE; /* 65535 minus the IP and UDP headers */
	if (to) {
		dst = to->addr;
		dport = to->port;
	} else if (so->connected) {
		dst = so->peer_addr;
		dport = so->peer_port;
	} else {
		return TERN_EDESTADDRREQ;
	}
	if (dport == 0)
		return TERN_EINVAL;
	if (!so->lport && (err = autobind(s, so)) < 0)
		return err;
	dst = resolve_any(so, dst);
	if ((err = route_checked(s, so, dst, &rt)) < 0)
		return err;
	if ((err = tern_sock_take_error(so)) < 0)
		return err;
	if (so->shut & TERN_SHUT_WR_BIT)
		return -EPIPE;
	return udp_output(s, so, buf, len, &rt, dst, dport);
}

/* ---- input ------------------------------------------------------------------------ */

/* A connected socket whose 4-tuple is exactly this datagram's. If several
 * (both with SO_REUSEADDR), the newest bound wins, as Linux. */
static struct tern_sock *lookup_connected(struct tern_stack *s, tern_ip4_t daddr, uint16_t dport,
					  tern_ip4_t saddr, uint16_t sport)
{
	const struct tern_sock_htab *h = &s->socks->udp_conns;
	struct tern_sock *best = NULL;
	if (h->count == 0)
		return NULL; /* no connected socket: spare the 4-tuple hash */
	for (struct tern_sock *o = tern_sock_htab_first(h, conn_hash(s, daddr, dport, saddr, sport));
	     o; o = tern_sock_htab_next(h, o))
		if (o->lport == dport && o->rcv_addr == daddr && o->peer_addr == saddr &&
		    o->peer_port == sport && (!best || o->bind_seq > best->bind_seq))
			best = o;
	return best;
}

/* How well a bound socket matches (Linux compute_score): -1 no match; a
 * specific local address beats the wildcard; a matching peer beats both. */
static int match_score(const struct tern_sock *o, tern_ip4_t daddr, uint16_t dport,
		       tern_ip4_t saddr, uint16_t sport)
{
	int score = 1;
	if (o->lport != dport)
		return -1;
	if (o->rcv_addr) {
		if (o->rcv_addr != daddr)
			return -1;
		score += 2;
	}
	if (o->connected) {
		if (o->peer_addr != saddr || o->peer_port != sport)
			return -1;
		score += 4;
	}
	return score;
}

/* SO_REUSEPORT: every unconnected SO_REUSEPORT socket bound to the same
 * address and port as `best` shares its datagrams. Rendezvous hashing:
 * each socket draws a keyed hash of the 4-tuple and its own serial; the
 * highest draw wins, so a flow stays on one socket. */
static bool udp_group_member(const struct tern_sock *o)
{
	return !o->connected;
}

static struct tern_sock *reuseport_pick(struct tern_stack *s, struct tern_sock *best,
					tern_ip4_t daddr, uint16_t dport, tern_ip4_t saddr,
					uint16_t sport)
{
	return tern_sock_reuseport_pick(s, &s->socks->udp_ports, best,
					conn_hash(s, daddr, dport, saddr, sport), udp_group_member);
}

static struct tern_sock *lookup(struct tern_stack *s, tern_ip4_t daddr, uint16_t dport,
				tern_ip4_t saddr, uint16_t sport)
{
	struct tern_sock *best = lookup_connected(s, daddr, dport, saddr, sport);
	if (best)
		return best;
	const struct tern_sock_htab *h = &s->socks->udp_ports;
	int best_score = -1;
	for (struct tern_sock *o = tern_sock_htab_first(h, port_hash(s, dport)); o;
	     o = tern_sock_htab_next(h, o)) {
		int sc = match_score(o, daddr, dport, saddr, sport);
		if (sc > best_score || (sc == best_score && sc >= 0 && o->bind_seq > best->bind_seq)) {
			best = o;
			best_score = sc;
		}
	}
	if (best && best->reuseport && !best->connected)
		best = reuseport_pick(s, best, daddr, dport, saddr, sport);
	return best;
}

/* Queue pkt (data at the IP header) on so, or drop it if the receive
 * buffer is over SO_RCVBUF (see the top of the file). Consumes pkt. */
static bool enqueue(struct tern_stack *s, struct tern_sock *so, struct tern_pkt *pkt)
{
	size_t size = tern_pkt_truesize(pkt);
	enum tern_stat refused = TERN_STAT_NONE;
	if (so->rx_charged > (size_t)so->rcvbuf)
		refused = TERN_STAT_UDP_RCVBUF_ERRORS;
	else if (!tern_budget_fits(&s->budget.sock_rx, size))
		refused = TERN_STAT_SOCK_RCV_MEMORY; /* all sockets together: as udp_mem */
	if (refused) {
		so->drops++;
		tern_drop(s, pkt, refused, TERN_LAYER_IP);
		return false;
	}
	tern_pkt_enqueue(&so->rxq, pkt);
	tern_budget_charge(&s->budget.sock_rx, size);
	so->rx_charged += size;
	so->in_datagrams++;
	tern_stat_inc(s, TERN_STAT_UDP_IN_DATAGRAMS);
	return true;
}

/* Does a socket take a broadcast/multicast datagram? As Linux's
 * __udp_is_mcast_sock: the port, a wildcard or equal local address, and the
 * peer if connected. SO_BROADCAST is not needed to receive (Linux). */
static bool takes_multi(const struct tern_sock *o, tern_ip4_t daddr, uint16_t dport,
			tern_ip4_t saddr, uint16_t sport)
{
	return match_score(o, daddr, dport, saddr, sport) >= 0;
}

struct multi_target {
	struct tern_sock *so;
	int sd;
	uint64_t serial;
	bool queued;
};

/* Collect the sockets a broadcast/multicast datagram goes to, into *out
 * (a caller's array of `room`, or a malloc'd one when more match).
 * Returns how many, or -1 without memory. */
static int multi_collect(struct tern_stack *s, tern_ip4_t daddr, uint16_t dport, tern_ip4_t saddr,
			 uint16_t sport, struct multi_target **out, int room)
{
	const struct tern_sock_htab *h = &s->socks->udp_ports;
	int n = 0;
	for (struct tern_sock *o = tern_sock_htab_first(h, port_hash(s, dport)); o;
	     o = tern_sock_htab_next(h, o))
		n += takes_multi(o, daddr, dport, saddr, sport);
	if (n > room && !(*out = malloc((size_t)n * sizeof(**out))))
		return -1;
	int i = 0;
	for (struct tern_sock *o = tern_sock_htab_first(h, port_hash(s, dport)); o;
	     o = tern_sock_htab_next(h, o))
		if (takes_multi(o, daddr, dport, saddr, sport))
			(*out)[i++] = (struct multi_target){o, o->sd, o->serial, false};
	return n;
}

/* Every matching socket gets a copy (the last gets pkt itself). All are
 * queued before any callback runs, and a callback that closes another
 * target is detected by the serial check. No socket: dropped without ICMP
 * (RFC 1122 §3.2.2: never an error about a broadcast or multicast). */
static void deliver_multi(struct tern_stack *s, struct tern_pkt *pkt,
			  const struct tern_ipv4_repr *ip, const struct tern_udp_repr *udp)
{
	struct multi_target local[16], *t = local;
	int n = multi_collect(s, ip->dst, udp->dport, ip->src, udp->sport, &t, 16);
	if (n <= 0)
		return tern_drop(s, pkt, n == 0 ? TERN_STAT_UDP_NO_PORT : TERN_STAT_PKT_NOBUFS,
				 TERN_LAYER_IP);
	for (int i = 0; i < n; i++) {
		struct tern_pkt *p = i == n - 1 ? pkt : tern_stack_pkt_clone(s, pkt);
		t[i].queued = p && enqueue(s, t[i].so, p);
	}
	for (int i = 0; i < n; i++) {
		struct tern_sock *so = tern_sock_get(s, t[i].sd);
		if (t[i].queued && so && so->serial == t[i].serial)
			tern_sock_wakeup(s, so);
	}
	if (t != local)
		free(t);
}

static void udp_input(struct tern_stack *s, struct tern_pkt *pkt, const struct tern_ipv4_repr *ip,
		    tern_time_t now)
{
	struct tern_udp_repr udp;
	enum tern_stat bad = tern_udp_parse(tern_pkt_data(pkt), pkt->len, ip->src, ip->dst, 0, &udp);
	tern_pkt_push(pkt, ip->hlen); /* keep the IP header: recv reads the sender from it */
	if (bad)
		return tern_drop(s, pkt, bad, TERN_LAYER_IP);
	tern_pkt_trim(pkt, (size_t)ip->hlen + udp.len); /* RFC 768: the length field rules */
	if (tern_ip4_is_our_broadcast(s, ip->dst) || tern_ip4_is_multicast(ip->dst))
		return deliver_multi(s, pkt, ip, &udp);
	struct tern_sock *so = lookup(s, ip->dst, udp.dport, ip->src, udp.sport);
	if (!so) {
		/* RFC 1122 §4.1.3.1: port unreachable (icmp.c applies the
		 * rules on when not to send one, and the rate limit). */
		tern_icmp_send_error(s, pkt, TERN_ICMP_DEST_UNREACH, TERN_ICMP_PORT_UNREACH, 0, now);
		return tern_drop(s, pkt, TERN_STAT_UDP_NO_PORT, TERN_LAYER_IP);
	}
	if (enqueue(s, so, pkt))
		tern_sock_wakeup(s, so); /* last use of so: the callback may close it */
}

/* ---- ICMP errors ---------------------------------------------------------------------- */

/* Linux's errno for each destination-unreachable code (icmp_err_convert)
 * and whether it is "hard". RFC 1122 §3.2.2.1: net, host and source-route
 * unreachable are transient (soft). Fragmentation needed is hard because
 * Linux UDP sockets default to IP_PMTUDISC_WANT. */
static const struct { int err; bool hard; } unreach_errs[] = {
	[TERN_ICMP_NET_UNREACH] = {-ENETUNREACH, false},
	[TERN_ICMP_HOST_UNREACH] = {-EHOSTUNREACH, false},
	[TERN_ICMP_PROTO_UNREACH] = {-ENOPROTOOPT, true},
	[TERN_ICMP_PORT_UNREACH] = {-ECONNREFUSED, true},
	[TERN_ICMP_FRAG_NEEDED] = {-EMSGSIZE, true},
	[TERN_ICMP_SR_FAILED] = {-EOPNOTSUPP, false},
	[TERN_ICMP_NET_UNKNOWN] = {-ENETUNREACH, true},
	[TERN_ICMP_HOST_UNKNOWN] = {-EHOSTDOWN, true},
	[8] = {-ENONET, true},                   /* host isolated */
	[TERN_ICMP_NET_PROHIB] = {-ENETUNREACH, true},
	[TERN_ICMP_HOST_PROHIB] = {-EHOSTUNREACH, true},
	[11] = {-ENETUNREACH, false},            /* net unreachable for TOS */
	[12] = {-EHOSTUNREACH, false},           /* host unreachable for TOS */
	[TERN_ICMP_ADMIN_PROHIB] = {-EHOSTUNREACH, true},
	[14] = {-EHOSTUNREACH, true},            /* precedence violation */
	[15] = {-EHOSTUNREACH, true},            /* precedence cutoff */
};

/* The error an ICMP message means for a UDP socket, as Linux's
 * __udp4_lib_err. False for messages that mean nothing to it. */
static bool icmp_errno(uint8_t type, uint8_t code, int *err, bool *hard)
{
	*err = -EHOSTUNREACH; /* time exceeded and anything unknown: soft */
	*hard = false;
	switch (type) {
	case TERN_ICMP_SOURCE_QUENCH:
	case TERN_ICMP_REDIRECT:
		return false;
	case TERN_ICMP_PARAM_PROBLEM:
		*err = -EPROTO;
		*hard = true;
		return true;
	case TERN_ICMP_DEST_UNREACH:
		if (code < sizeof(unreach_errs) / sizeof(unreach_errs[0])) {
			*err = unreach_errs[code].err;
			*hard = unreach_errs[code].hard;
		}
		return true;
	default:
		return true;
	}
}

/* RFC 1122 §4.1.3.3: UDP passes ICMP errors up. Which socket: the one the
 * quoted datagram came from, found as if that datagram were arriving with
 * its addresses swapped. As Linux without IP_RECVERR, only hard errors and
 * only on connected sockets become the pending error; with TERN_IP_RECVERR
 * every error does. */
static bool udp_icmp_error(struct tern_stack *s, const struct tern_icmp_msg *m, tern_time_t now)
{
	int err;
	bool hard;
	if (!m->has_quote || m->q_l4_len < 4)
		return false;
	uint16_t sport = rd16(m->q_l4), dport = rd16(m->q_l4 + 2);
	struct tern_sock *so = lookup(s, m->q_src, sport, m->q_dst, dport);
	if (!so)
		return false;
	if (!icmp_errno(m->type, m->code, &err, &hard) || (!so->recverr && !(hard && so->connected)))
		return true; /* ours, and nothing to report (as Linux) */
	so->so_error = err;
	tern_stat_inc(s, TERN_STAT_SOCK_ERRORS_QUEUED);
	tern_sock_wakeup(s, so);
	return true;
}

/* ---- receive, readiness, shutdown, close ------------------------------------------------ */

static int udp_recvfrom(struct tern_stack *s, struct tern_sock *so, void *buf, size_t len,
			int flags, struct tern_sockaddr_in *src)
{
	int err = tern_sock_take_error(so); /* reported before any data, as Linux */
	if (err < 0)
		return err;
	struct tern_pkt *p = so->rxq.head;
	if (!p)
		return (so->shut & TERN_SHUT_RD_BIT) ? 0 : TERN_EAGAIN;
	const uint8_t *h = tern_pkt_data(p);
	size_t hlen = tern_ipv4_hdr_len(h);
	size_t dlen = p->len - hlen - TERN_UDP_HLEN;
	size_t n = dlen < len ? dlen : len;
	if (n)
		memcpy(buf, h + hlen + TERN_UDP_HLEN, n);
	if (src)
		*src = (struct tern_sockaddr_in){.addr = rd32(h + 12), .port = rd16(h + hlen)};
	so->rx_stamp = p->rx_time;
	so->has_rx_stamp = true;
	if (!(flags & TERN_MSG_PEEK)) {
		tern_pkt_dequeue(&so->rxq);
		so->rx_charged -= tern_pkt_truesize(p);
		tern_budget_uncharge(&s->budget.sock_rx, tern_pkt_truesize(p));
		tern_stack_pkt_free(s, p); /* the rest of a truncated datagram goes too */
	}
	return (int)((flags & TERN_MSG_TRUNC) ? dlen : n);
}

/* As Linux's datagram_poll: always writable; readable with data queued or
 * after SHUT_RD; hung up once both directions are shut. */
static unsigned udp_poll(struct tern_stack *s, struct tern_sock *so)
{
	unsigned m = TERN_POLLOUT;
	if (so->rxq.len)
		m |= TERN_POLLIN;
	if (so->shut & TERN_SHUT_RD_BIT)
		m |= TERN_POLLIN | TERN_POLLRDHUP;
	if (so->so_error)
		m |= TERN_POLLERR;
	if (so->shut == (TERN_SHUT_RD_BIT | TERN_SHUT_WR_BIT))
		m |= TERN_POLLHUP;
	return m;
}

/* Linux inet_shutdown: the shutdown takes effect either way, but an
 * unconnected socket also gets ENOTCONN. */
static int udp_shutdown(struct tern_stack *s, struct tern_sock *so, int how)
{
	int ret = so->connected ? 0 : TERN_ENOTCONN;
	uint8_t before = so->shut;
	if (how == TERN_SHUT_RD || how == TERN_SHUT_RDWR)
		so->shut |= TERN_SHUT_RD_BIT;
	if (how == TERN_SHUT_WR || how == TERN_SHUT_RDWR)
		so->shut |= TERN_SHUT_WR_BIT;
	/* Only a change wakes the callback: one that shuts down from its own
	 * callback would otherwise be called again, and again. */
	if (so->shut != before)
		tern_sock_wakeup(s, so); /* last use of so */
	return ret;
}

static void udp_close(struct tern_stack *s, struct tern_sock *so)
{
	tern_sock_htab_remove(&s->socks->udp_conns, so);
	tern_sock_htab_remove(&s->socks->udp_ports, so);
	tern_pkt_queue_purge(&s->pool, &so->rxq);
	tern_budget_uncharge(&s->budget.sock_rx, so->rx_charged);
	so->rx_charged = 0;
}

static void udp_info(struct tern_stack *s, struct tern_sock *so, struct tern_sock_info *out)
{
	out->state = so->connected ? "ESTAB" : "UNCONN";
	out->rx_queue = so->rx_charged > UINT32_MAX ? UINT32_MAX : (uint32_t)so->rx_charged;
	out->rx_datagrams = so->rxq.len;
	out->tx_queue = 0; /* datagrams go straight to IP: nothing waits here */
}

/* Linux's udp_ioctl: SIOCINQ is the next datagram's payload size. */
static int udp_ioctl(struct tern_stack *s, struct tern_sock *so, unsigned long req, int *val)
{
	(void)s;
	if (req == TERN_SIOCOUTQ) {
		*val = 0;
		return 0;
	}
	if (req != TERN_SIOCINQ)
		return TERN_ENOTTY;
	const struct tern_pkt *p = so->rxq.head;
	*val = p ? (int)(p->len - tern_ipv4_hdr_len(tern_pkt_data(p)) - TERN_UDP_HLEN) : 0;
	return 0;
}

const struct tern_sock_ops tern_udp_sock_ops = {
	.type = TERN_SOCK_DGRAM,
	.protocol = TERN_IPPROTO_UDP,
	.bind = udp_bind,
	.connect = udp_connect,
	.sendto = udp_sendto,
	.recvfrom = udp_recvfrom,
	.shutdown = udp_shutdown,
	.close = udp_close,
	.poll = udp_poll,
	.info = udp_info,
	.ioctl = udp_ioctl,
};

const struct tern_ip_proto tern_udp_proto = {
	.proto = TERN_IPPROTO_UDP,
	.input = udp_input,
	.error = udp_icmp_error,
};
