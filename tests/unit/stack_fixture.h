/*
 * tests/unit/stack_fixture.h — packet-level tests of a whole stack.
 *
 * A fixture is one seeded stack attached to up to FX_MAX_DEVS test devices.
 * A test device's transmit() copies every frame into the fixture's FIFO,
 * tagged with the device and the `now` it was sent at. The test drives the
 * stack the way a runner does, with explicit time:
 *
 *   fx_inject(fx, dev, now, frame, len)  run timers due up to `now` (one
 *                                        poll per deadline, as a runner
 *                                        following tern_stack_poll_at
 *                                        does), then hand the frame to the
 *                                        stack through the device's rx hook;
 *   fx_advance(fx, until)                only the timers;
 *   fx_pop(fx, &frame)                   the next transmitted frame;
 *   expect_tx(fx, bytes, len)            pop and compare byte for byte;
 *   expect_tx_parse(fx, &pkt)            pop and parse with the wire parsers
 *                                        (checksums verified);
 *   expect_no_tx(fx, until)              advance to `until`: nothing sent.
 *
 * The expect_* helpers are macros so a failure names the test's own line.
 *
 * Frame builders (fxb_*) write Ethernet + ARP / IPv4 (+ ICMP echo | UDP |
 * any payload | a fragment of a datagram) with the wire emit functions and
 * pad to the 60-byte Ethernet minimum, as the stack pads its own frames,
 * so an expected reply can be built with the same builder and compared.
 *
 * fx_finish() ends every test: it runs timers far ahead so everything held
 * for later (ARP queues, fragments) is released, asserts the packet pool
 * has no buffer in use (a leak otherwise), then destroys the stack.
 */
#ifndef TERN_TEST_STACK_FIXTURE_H
#define TERN_TEST_STACK_FIXTURE_H

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "wire/checksum.h"
#include "core/stack_impl.h"
#include "link/link.h"
#include "net/net.h"
#include "transport/sock.h"
#include "harness.h"
#include "tern/err.h"
#include "tern/netdev.h"
#include "tern/stack.h"
#include "wire/arp.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

#define FX_MAX_DEVS 4
#define FX_MAX_LOG 32
#define FX_MAX_ICMP 128
#define FX_FRAME_MAX (TERN_ETH_HLEN + 65535)

/* Addresses the tests share. Our host is .1 on 10.0.0.0/24. */
#define FX_IP_US   TERN_IP4(10, 0, 0, 1)
#define FX_IP_PEER TERN_IP4(10, 0, 0, 2)
#define FX_IP_GW   TERN_IP4(10, 0, 0, 254)

static inline struct tern_mac fx_mac(uint8_t last)
{
	return (struct tern_mac){{0x02, 0x00, 0x00, 0x00, 0x00, last}};
}
#define FX_MAC_US   fx_mac(0x01)
#define FX_MAC_PEER fx_mac(0x02)
#define FX_MAC_GW   fx_mac(0xfe)

struct fx_frame {
	struct fx_frame *next;
	int dev;             /* fixture device index */
	tern_time_t t;       /* `now` the stack sent it at */
	size_t len;
	uint8_t data[];
};

struct fixture;

struct fx_dev {
	struct tern_netdev dev;
	struct fixture *fx;
	int idx;
	int ifindex;
};

/* The fields a listener saw, copied (the message's pointers die with it). */
struct fx_icmp_rec {
	struct tern_icmp_msg m;
	uint8_t data[64];
	uint8_t q_l4[16];
};

struct fixture {
	struct tern_stack *s;
	struct tern_stack_config cfg;
	struct fx_dev devs[FX_MAX_DEVS];
	int ndevs;
	struct fx_frame *head, *tail;
	unsigned nframes;
	unsigned tx_refuse;   /* refuse this many frames next (TERN_ENOBUFS: a full queue) */
	char *log[FX_MAX_LOG];
	unsigned nlog;
	struct fx_icmp_rec icmp[FX_MAX_ICMP];
	unsigned nicmp;
	int icmp_handle;
};

/* ---- the test device ---- */

static int fx_dev_transmit(struct tern_netdev *dev, const uint8_t *frame, size_t len,
			   tern_time_t now)
{
	struct fx_dev *d = (struct fx_dev *)dev;
	struct fixture *fx = d->fx;
	if (fx->tx_refuse) {
		fx->tx_refuse--;
		return TERN_ENOBUFS;
	}
	struct fx_frame *f = malloc(sizeof(*f) + (len ? len : 1));
	if (!f)
		abort();
	f->next = NULL;
	f->dev = d->idx;
	f->t = now;
	f->len = len;
	memcpy(f->data, frame, len);
	if (fx->tail)
		fx->tail->next = f;
	else
		fx->head = f;
	fx->tail = f;
	fx->nframes++;
	return 0;
}

static void fx_dev_destroy(struct tern_netdev *dev)
{
	(void)dev; /* embedded in the fixture */
}

static const struct tern_netdev_ops fx_dev_ops = {
	.transmit = fx_dev_transmit,
	.destroy = fx_dev_destroy,
};

static void fx_log_cb(void *ctx, struct tern_stack *s, const char *msg)
{
	struct fixture *fx = ctx;
	(void)s;
	if (fx->nlog < FX_MAX_LOG) {
		fx->log[fx->nlog] = malloc(strlen(msg) + 1);
		if (!fx->log[fx->nlog])
			abort();
		strcpy(fx->log[fx->nlog++], msg);
	}
}

static void fx_icmp_cb(void *ctx, struct tern_stack *s, const struct tern_icmp_msg *m,
		       tern_time_t now)
{
	struct fixture *fx = ctx;
	(void)s;
	(void)now;
	if (fx->nicmp >= FX_MAX_ICMP)
		return;
	struct fx_icmp_rec *r = &fx->icmp[fx->nicmp++];
	r->m = *m;
	size_t n = m->data_len < sizeof(r->data) ? m->data_len : sizeof(r->data);
	memcpy(r->data, m->data, n);
	r->m.data = r->data;
	r->m.data_len = n;
	if (m->has_quote) {
		n = m->q_l4_len < sizeof(r->q_l4) ? m->q_l4_len : sizeof(r->q_l4);
		memcpy(r->q_l4, m->q_l4, n);
		r->m.q_l4 = r->q_l4;
		r->m.q_l4_len = n;
	}
}

/* ---- setup and teardown ---- */

/* Defaults for a test: the stack's own defaults, a fixed seed, logging
 * into the fixture. Tests change cfg before fx_start. */
static inline void fx_config(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	tern_stack_config_init(&fx->cfg);
	fx->cfg.name = "dut";
	fx->cfg.seed = 42;
	fx->icmp_handle = -1;
}

static inline void fx_start(struct fixture *fx)
{
	fx->cfg.log = fx_log_cb;
	fx->cfg.log_ctx = fx;
	fx->s = tern_stack_create(&fx->cfg);
	if (!fx->s)
		abort();
	fx->icmp_handle = tern_icmp_listen(fx->s, fx_icmp_cb, fx);
}

/* Attach another test device; returns its fixture index (its interface
 * index is fx->devs[i].ifindex). */
static inline int fx_add_dev(struct fixture *fx, struct tern_mac mac, uint32_t mtu)
{
	if (fx->ndevs >= FX_MAX_DEVS)
		abort();
	int i = fx->ndevs++;
	struct fx_dev *d = &fx->devs[i];
	char name[TERN_NETDEV_NAMELEN];
	snprintf(name, sizeof(name), "eth%d", i);
	tern_netdev_init(&d->dev, &fx_dev_ops, name, &mac, mtu);
	d->fx = fx;
	d->idx = i;
	d->ifindex = tern_stack_attach(fx->s, &d->dev);
	if (d->ifindex < 0)
		abort();
	return i;
}

static inline void fx_clear_tx(struct fixture *fx)
{
	struct fx_frame *f = fx->head;
	while (f) {
		struct fx_frame *n = f->next;
		free(f);
		f = n;
	}
	fx->head = fx->tail = NULL;
	fx->nframes = 0;
}

/* Run every timer due at or before `until`, one poll per deadline. */
static inline void fx_advance(struct fixture *fx, tern_time_t until)
{
	for (int guard = 0; guard < 1000000; guard++) {
		tern_time_t t = tern_stack_poll_at(fx->s);
		if (t > until)
			break;
		if (t < tern_stack_now(fx->s))
			t = tern_stack_now(fx->s);
		tern_stack_poll(fx->s, t);
	}
	if (until > tern_stack_now(fx->s) && until != TERN_TIME_NEVER)
		tern_stack_poll(fx->s, until);
}

static inline void fx_inject(struct fixture *fx, int dev, tern_time_t now, const uint8_t *frame,
			     size_t len)
{
	fx_advance(fx, now);
	tern_netdev_deliver(&fx->devs[dev].dev, frame, len, now);
}
/* The brief's name: inject on the first device. */
#define inject(fx, now, bytes, len) fx_inject((fx), 0, (now), (bytes), (len))

/* Pop the next transmitted frame (caller frees), or NULL. */
static inline struct fx_frame *fx_pop(struct fixture *fx)
{
	struct fx_frame *f = fx->head;
	if (f) {
		fx->head = f->next;
		if (!fx->head)
			fx->tail = NULL;
		fx->nframes--;
	}
	return f;
}

/* Advance time deadline by deadline until the stack sends something or
 * `limit` passes; returns the frame or NULL. */
static inline struct fx_frame *fx_next_tx(struct fixture *fx, tern_time_t limit)
{
	for (int guard = 0; !fx->head && guard < 100000; guard++) {
		tern_time_t t = tern_stack_poll_at(fx->s);
		if (t > limit)
			break;
		if (t < tern_stack_now(fx->s))
			t = tern_stack_now(fx->s);
		tern_stack_poll(fx->s, t);
	}
	return fx_pop(fx);
}

static inline void fx_finish(struct fixture *fx)
{
	/* Release everything held by timers (ARP queues, reassembly). */
	fx_advance(fx, tern_stack_now(fx->s) + TERN_SEC(600));
	fx_clear_tx(fx);
	CHECK_EQ(tern_pkt_pool_in_use(&fx->s->pool), 0);
	CHECK_EQ(fx->s->budget.reasm.used, 0);
	CHECK_EQ(fx->s->budget.neigh.used, 0);
	CHECK_EQ(fx->s->budget.sock_rx.used, 0);
	tern_stack_destroy(fx->s);
	fx->s = NULL;
	for (unsigned i = 0; i < fx->nlog; i++)
		free(fx->log[i]);
	fx->nlog = 0;
}

static inline uint64_t fx_stat(struct fixture *fx, const char *name)
{
	enum tern_stat st = tern_stat_lookup(name);
	if (st == TERN_STAT_NONE) {
		fprintf(stderr, "  unknown counter %s\n", name);
		abort();
	}
	return tern_stack_stat(fx->s, st);
}

/* True if some logged message contains every one of the strings. */
static inline int fx_log_has(struct fixture *fx, const char *a, const char *b)
{
	for (unsigned i = 0; i < fx->nlog; i++)
		if (strstr(fx->log[i], a) && (!b || strstr(fx->log[i], b)))
			return 1;
	return 0;
}

/* ---- parsing what the stack sent ---- */

struct fx_pkt {
	struct fx_frame *f;
	struct tern_eth_repr eth;
	bool is_arp, is_ip;
	struct tern_arp_repr arp;
	struct tern_ipv4_repr ip;
	const uint8_t *iph;     /* the IP header */
	const uint8_t *l4;      /* IP payload */
	size_t l4_len;
	bool is_icmp;           /* parsed (whole, unfragmented ICMP only) */
	struct tern_icmp_repr icmp;
};

/* Parse a frame with the wire parsers, checksums verified. Returns the
 * reason it is invalid, or TERN_STAT_NONE. */
static inline enum tern_stat fx_parse(struct fx_frame *f, struct fx_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	enum tern_stat bad = tern_eth_parse(f->data, f->len, &p->eth);
	if (bad)
		return bad;
	const uint8_t *pl = f->data + TERN_ETH_HLEN;
	size_t pl_len = f->len - TERN_ETH_HLEN;
	if (p->eth.ethertype == TERN_ETHERTYPE_ARP) {
		p->is_arp = true;
		return tern_arp_parse(pl, pl_len, &p->arp);
	}
	if (p->eth.ethertype != TERN_ETHERTYPE_IPV4)
		return TERN_STAT_ETH_UNKNOWN_TYPE;
	p->is_ip = true;
	if ((bad = tern_ipv4_parse(pl, pl_len, 0, &p->ip)))
		return bad;
	p->iph = pl;
	p->l4 = pl + p->ip.hlen;
	p->l4_len = p->ip.total_len - p->ip.hlen;
	if (p->ip.proto == TERN_IPPROTO_ICMP && !p->ip.mf && !p->ip.frag_off) {
		p->is_icmp = true;
		if ((bad = tern_icmp_parse(p->l4, p->l4_len, 0, &p->icmp)))
			return bad;
	}
	return TERN_STAT_NONE;
}

static inline void fx_pkt_free(struct fx_pkt *p)
{
	free(p->f);
	p->f = NULL;
}

/* Pop the next frame, check it parses; REQUIREs, so use in a test body. */
#define expect_tx_parse(fx, p)                                                    \
	do {                                                                      \
		struct fx_frame *f_ = fx_pop(fx);                                 \
		REQUIRE(f_ != NULL);                                              \
		enum tern_stat bad_ = fx_parse(f_, (p));                          \
		if (bad_)                                                         \
			TEST_FAIL_("transmitted frame does not parse: %s.%s",    \
				   tern_stat_group(bad_), tern_stat_name(bad_)); \
		REQUIRE(bad_ == TERN_STAT_NONE);                                  \
	} while (0)

/* Pop the next frame and compare it to the expected bytes. */
#define expect_tx(fx, bytes, n)                                                        \
	do {                                                                           \
		struct fx_frame *f_ = fx_pop(fx);                                      \
		REQUIRE(f_ != NULL);                                                   \
		CHECK_EQ(f_->len, (n));                                                \
		if (f_->len == (size_t)(n) && memcmp(f_->data, (bytes), (n)) != 0) {    \
			fx_hexdiff(f_->data, (bytes), (n));                            \
			TEST_FAIL_("transmitted frame differs from %s", #bytes);      \
		}                                                                      \
		free(f_);                                                              \
	} while (0)

/* Advance to `until`; nothing may have been sent (frames already queued
 * count too). */
#define expect_no_tx(fx, until)                                                          \
	do {                                                                             \
		fx_advance((fx), (until));                                               \
		if ((fx)->nframes) {                                                     \
			TEST_FAIL_("expected no frame, got %u (first %zu bytes at t=%lld)", \
				   (fx)->nframes, (fx)->head->len,                       \
				   (long long)(fx)->head->t);                            \
			fx_clear_tx(fx);                                                 \
		}                                                                        \
	} while (0)

static inline void fx_hexdiff(const uint8_t *got, const uint8_t *want, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i])
			fprintf(stderr, "    byte %zu: got %02x want %02x\n", i, got[i], want[i]);
}

/* ---- frame builders ---- */

/* Pad to the Ethernet minimum as the stack does; returns the frame length. */
static inline size_t fxb_pad(uint8_t *buf, size_t len)
{
	if (len < TERN_ETH_MIN_FRAME) {
		memset(buf + len, 0, TERN_ETH_MIN_FRAME - len);
		len = TERN_ETH_MIN_FRAME;
	}
	return len;
}

static inline size_t fxb_eth(uint8_t *buf, struct tern_mac dst, struct tern_mac src, uint16_t type)
{
	struct tern_eth_repr e = {.dst = dst, .src = src, .ethertype = type};
	tern_eth_emit(&e, buf);
	return TERN_ETH_HLEN;
}

/* Ethernet + ARP (60 bytes). */
static inline size_t fxb_arp(uint8_t *buf, struct tern_mac eth_dst, struct tern_mac eth_src,
			     uint16_t op, struct tern_mac sha, tern_ip4_t spa, struct tern_mac tha,
			     tern_ip4_t tpa)
{
	size_t n = fxb_eth(buf, eth_dst, eth_src, TERN_ETHERTYPE_ARP);
	struct tern_arp_repr a = {.op = op, .sha = sha, .spa = spa, .tha = tha, .tpa = tpa};
	tern_arp_emit(&a, buf + n);
	return fxb_pad(buf, n + TERN_ARP_LEN);
}

/* IPv4 header fields a builder sets; zero means the default shown. */
struct fxb_ip {
	tern_ip4_t src, dst;
	uint8_t proto;
	uint8_t ttl;       /* 0: 64 */
	uint8_t tos;
	uint16_t id;
	bool df, mf;
	uint16_t frag_off; /* bytes */
};

/* Ethernet + IPv4 header + payload. */
static inline size_t fxb_ip(uint8_t *buf, struct tern_mac eth_dst, struct tern_mac eth_src,
			    const struct fxb_ip *h, const uint8_t *payload, size_t len)
{
	size_t n = fxb_eth(buf, eth_dst, eth_src, TERN_ETHERTYPE_IPV4);
	struct tern_ipv4_repr ip = {
		.hlen = TERN_IPV4_HLEN,
		.tos = h->tos,
		.total_len = (uint16_t)(TERN_IPV4_HLEN + len),
		.id = h->id,
		.df = h->df,
		.mf = h->mf,
		.frag_off = h->frag_off,
		.ttl = h->ttl ? h->ttl : 64,
		.proto = h->proto,
		.src = h->src,
		.dst = h->dst,
	};
	tern_ipv4_emit(&ip, buf + n);
	if (len)
		memmove(buf + n + TERN_IPV4_HLEN, payload, len);
	return fxb_pad(buf, n + TERN_IPV4_HLEN + len);
}

/* An ICMP echo (type 8) or echo reply (type 0) message, no IP. */
static inline size_t fxb_icmp_echo_msg(uint8_t *buf, uint8_t type, uint16_t id, uint16_t seq,
				       const uint8_t *data, size_t len)
{
	struct tern_icmp_repr r = {.type = type, .data = data, .data_len = len};
	r.u.echo.id = id;
	r.u.echo.seq = seq;
	tern_icmp_emit(&r, buf);
	return TERN_ICMP_HLEN + len;
}

/* Ethernet + IPv4 + ICMP echo request/reply. */
static inline size_t fxb_echo(uint8_t *buf, struct tern_mac eth_dst, struct tern_mac eth_src,
			      const struct fxb_ip *h, uint8_t type, uint16_t id, uint16_t seq,
			      const uint8_t *data, size_t len)
{
	uint8_t *msg = malloc(TERN_ICMP_HLEN + len);
	if (!msg)
		abort();
	size_t n = fxb_icmp_echo_msg(msg, type, id, seq, data, len);
	struct fxb_ip ip = *h;
	ip.proto = TERN_IPPROTO_ICMP;
	size_t out = fxb_ip(buf, eth_dst, eth_src, &ip, msg, n);
	free(msg);
	return out;
}

/* Ethernet + IPv4 + UDP with a correct checksum. */
static inline size_t fxb_udp(uint8_t *buf, struct tern_mac eth_dst, struct tern_mac eth_src,
			     const struct fxb_ip *h, uint16_t sport, uint16_t dport,
			     const uint8_t *data, size_t len)
{
	uint8_t *dgram = malloc(TERN_UDP_HLEN + len);
	if (!dgram)
		abort();
	memcpy(dgram + TERN_UDP_HLEN, data, len);
	struct tern_udp_repr u = {.sport = sport, .dport = dport, .len = (uint16_t)(TERN_UDP_HLEN + len)};
	tern_udp_emit(&u, dgram, h->src, h->dst);
	struct fxb_ip ip = *h;
	ip.proto = TERN_IPPROTO_UDP;
	size_t out = fxb_ip(buf, eth_dst, eth_src, &ip, dgram, TERN_UDP_HLEN + len);
	free(dgram);
	return out;
}

/* One fragment of a datagram whose IP payload is `whole` (whole_len
 * bytes): bytes [off, off+len) with MF set unless it reaches the end. */
static inline size_t fxb_frag(uint8_t *buf, struct tern_mac eth_dst, struct tern_mac eth_src,
			      const struct fxb_ip *h, const uint8_t *whole, size_t whole_len,
			      size_t off, size_t len)
{
	struct fxb_ip ip = *h;
	ip.frag_off = (uint16_t)off;
	ip.mf = off + len < whole_len;
	return fxb_ip(buf, eth_dst, eth_src, &ip, whole + off, len);
}

/* Drop every frame sent after the first `keep`. */
static inline void fx_drop_tx_after(struct fixture *fx, unsigned keep)
{
	struct fx_frame **link = &fx->head, *last = NULL;
	for (unsigned i = 0; *link && i < keep; i++) {
		last = *link;
		link = &(*link)->next;
	}
	struct fx_frame *f = *link;
	*link = NULL;
	fx->tail = last;
	fx->nframes = keep < fx->nframes ? keep : fx->nframes;
	while (f) {
		struct fx_frame *n = f->next;
		free(f);
		f = n;
	}
}

/* Teach the stack a neighbour (REACHABLE): an ARP reply to us on `dev`.
 * A reply alone creates no entry (link/arp.c: only an outstanding
 * request or a request to us does), so for an address the stack does not
 * know yet the neighbour first asks for us, as a real peer would, and the
 * answer the stack sends is discarded. */
static inline void fx_learn(struct fixture *fx, int dev, tern_time_t now, tern_ip4_t ip,
			    struct tern_mac mac, tern_ip4_t our_ip)
{
	uint8_t f[64];
	size_t n;
	struct tern_mac known;
	const struct tern_mac us = fx->devs[dev].dev.mac;
	fx_advance(fx, now);
	if (tern_arp_lookup(fx->s, fx->devs[dev].ifindex, ip, &known) == TERN_ENOENT) {
		unsigned before = fx->nframes;
		n = fxb_arp(f, tern_mac_broadcast, mac, TERN_ARP_OP_REQUEST, mac, ip, tern_mac_zero,
			    our_ip);
		fx_inject(fx, dev, now, f, n);
		fx_drop_tx_after(fx, before);
	}
	n = fxb_arp(f, us, mac, TERN_ARP_OP_REPLY, mac, ip, us, our_ip);
	fx_inject(fx, dev, now, f, n);
}

/* The usual host: one device (MAC ...:01, MTU 1500), 10.0.0.1/24, default
 * gateway 10.0.0.254; the announcement it sends is discarded. */
static inline void fx_host(struct fixture *fx)
{
	fx_start(fx);
	fx_add_dev(fx, FX_MAC_US, 1500);
	if (tern_stack_addr_add(fx->s, fx->devs[0].ifindex, FX_IP_US, 24, 0) < 0)
		abort();
	if (tern_route_add(fx->s, 0, 0, FX_IP_GW, 0, 0) < 0)
		abort();
	fx_clear_tx(fx);
}

/* Fill a buffer with a recognisable pattern. */
static inline void fx_pattern(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

#endif
