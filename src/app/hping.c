/*
 * app/hping.c — hping3's TCP SYN mode, the part a SYN flood needs: SYNs to
 * HOST:PORT at an interval, from our address, a forged one (-a) or a new
 * random one per packet (--rand-source), with hping3's first line,
 * reply lines and statistics. The source port starts from a base and
 * grows by one per packet, as hping3's does, so a reply's destination
 * port says which probe it answers (its seq= and rtt=).
 *
 * Packets leave through tern_ip_send_raw; replies are seen through the
 * stack's frame trace (the stack itself then resets the SYN-ACKs, as the
 * kernel does under hping3, since no socket owns the port).
 */
#include <stdlib.h>
#include <string.h>

#include "tern/apps.h"
#include "tern/err.h"
#include "tern/netdev.h"
#include "tern/socket.h"
#include "tern/stack.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#define HP_RING 4096                    /* send times kept, by probe number */
#define HP_COUNT_REACHED TERN_SEC(1)    /* hping3's COUNTREACHED_TIMEOUT */

struct tern_hping {
	struct tern_stack *s;
	struct tern_hping_opts o;
	FILE *out;
	struct tern_timer timer;
	int trace;
	uint64_t rng;
	uint64_t sent, received;
	tern_time_t rtt_min, rtt_max, rtt_sum;
	tern_time_t last_sent;
	tern_time_t sent_at[HP_RING];
	uint16_t sport;
	tern_ip4_t src;
	bool done;
};

void tern_hping_opts_init(struct tern_hping_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interval = TERN_SEC(1);
	o->window = 64;
}

static uint64_t next_rand(uint64_t *x)
{
	/* splitmix64 */
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A random unicast source outside 0/8, 127/8 and 224/3, as a forged
 * address would plausibly be. */
static tern_ip4_t rand_addr(struct tern_hping *h)
{
	for (;;) {
		uint32_t a = (uint32_t)next_rand(&h->rng);
		uint8_t top = (uint8_t)(a >> 24);
		if (top != 0 && top != 127 && top < 224)
			return (tern_ip4_t)a;
	}
}

static void send_one(struct tern_hping *h, tern_time_t now)
{
	struct tern_tcp_repr r = {
		.sport = (uint16_t)(h->sport + h->sent),
		.dport = h->o.dport,
		.seq = (uint32_t)next_rand(&h->rng),
		.flags = TERN_TCP_SYN,
		.window = h->o.window,
	};
	tern_ip4_t src = h->o.rand_source ? rand_addr(h) : h->src;
	uint8_t seg[TERN_TCP_HLEN];
	tern_tcp_emit(&r, seg, src, h->o.dst, 0, 0);
	struct tern_ip_send ip = {.src = src, .dst = h->o.dst, .proto = TERN_IPPROTO_TCP, .ttl = 64};
	tern_ip_send_raw(h->s, &ip, seg, sizeof(seg), now); /* a full queue loses it, as a NIC would */
	h->sent_at[h->sent % HP_RING] = now;
	h->sent++;
	h->last_sent = now;
}

static void timer_fn(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_hping *h = (struct tern_hping *)((char *)t - offsetof(struct tern_hping, timer));
	if (h->o.count && h->sent >= h->o.count) {
		h->done = true;
		return;
	}
	send_one(h, now);
	if (h->o.count && h->sent >= h->o.count)
		tern_timer_arm(s, &h->timer, now + HP_COUNT_REACHED);
	else
		tern_timer_arm(s, &h->timer, now + h->o.interval);
}

static void flags_str(uint8_t f, char *buf)
{
	static const char letters[] = "FSRPAUXY"; /* hping3's order and letters */
	int n = 0;
	for (int i = 0; i < 8; i++)
		if (f & (1u << i))
			buf[n++] = letters[i];
	buf[n] = '\0';
}

static void on_frame(void *ctx, struct tern_stack *s, const struct tern_trace_event *ev)
{
	struct tern_hping *h = ctx;
	if (ev->kind != TERN_TRACE_RX || h->o.rand_source)
		return;
	const uint8_t *p = ev->data;
	size_t len = ev->len, shown = ev->len;
	if (ev->layer == TERN_LAYER_LINK) {
		shown = len - 14; /* hping3's len=: what follows the link header */
		if (len < 14 || p[12] != 0x08 || p[13] != 0x00)
			return;
		p += 14;
		len -= 14;
	}
	struct tern_ipv4_repr ip;
	if (tern_ipv4_parse(p, len, 0, &ip) != 0 || ip.proto != TERN_IPPROTO_TCP ||
	    ip.src != h->o.dst || ip.dst != h->src || ip.frag_off || ip.mf)
		return;
	size_t ilen = ip.total_len < len ? ip.total_len : len;
	struct tern_tcp_repr t;
	if (tern_tcp_parse(p + ip.hlen, ilen - ip.hlen, ip.src, ip.dst, 0, &t) != 0 ||
	    t.sport != h->o.dport)
		return;
	uint16_t k = (uint16_t)(t.dport - h->sport);
	if (k >= h->sent || h->sent - k > HP_RING)
		return;
	h->received++;
	tern_time_t rtt = ev->now - h->sent_at[k % HP_RING];
	if (h->received == 1 || rtt < h->rtt_min)
		h->rtt_min = rtt;
	if (rtt > h->rtt_max)
		h->rtt_max = rtt;
	h->rtt_sum += rtt;
	if (h->o.quiet)
		return;
	char fl[9], a[TERN_IP4_STRLEN];
	flags_str(t.flags, fl);
	fprintf(h->out, "len=%u ip=%s ttl=%u %sid=%u sport=%u flags=%s seq=%u win=%u rtt=%.1f ms\n",
		(unsigned)shown, tern_ip4_str(ip.src, a), ip.ttl, ip.df ? "DF " : "", ip.id, t.sport,
		fl, k, t.window, (double)rtt / TERN_MSEC(1));
}

struct tern_hping *tern_hping_start(struct tern_stack *s, const struct tern_hping_opts *o,
				    FILE *out, tern_time_t now, int *err)
{
	struct tern_route_result rt;
	if (tern_route_lookup(s, o->dst, &rt) < 0) {
		*err = TERN_ENETUNREACH;
		return NULL;
	}
	struct tern_hping *h = calloc(1, sizeof(*h));
	if (!h) {
		*err = TERN_ENOMEM;
		return NULL;
	}
	h->s = s;
	h->o = *o;
	h->out = out;
	h->rng = o->seed ^ 0x68706e67ull; /* "hpng" */
	h->src = o->spoof ? o->spoof : rt.src;
	h->sport = o->sport ? o->sport : (uint16_t)(1024 + next_rand(&h->rng) % 30000);
	if (h->o.interval <= 0)
		h->o.interval = TERN_USEC(1);
	h->trace = tern_stack_trace_subscribe(s, on_frame, h);
	if (h->trace < 0) {
		*err = h->trace;
		free(h);
		return NULL;
	}
	struct tern_netdev *dev = tern_stack_iface_dev(s, rt.ifindex);
	char a[TERN_IP4_STRLEN];
	fprintf(out, "HPING %s (%s %s): S set, 40 headers + 0 data bytes\n",
		o->dst_name ? o->dst_name : tern_ip4_str(o->dst, a), dev ? dev->name : "?",
		tern_ip4_str(o->dst, a));
	tern_timer_init(&h->timer, timer_fn);
	tern_timer_arm(s, &h->timer, now);
	return h;
}

bool tern_hping_done(const struct tern_hping *h)
{
	return h->done;
}

int tern_hping_finish(struct tern_hping *h, tern_time_t now)
{
	(void)now;
	tern_timer_cancel(h->s, &h->timer);
	tern_stack_trace_unsubscribe(h->s, h->trace);
	char a[TERN_IP4_STRLEN];
	FILE *f = h->o.diag ? h->o.diag : h->out; /* hping3 prints these on stderr */
	unsigned loss = h->sent ? (unsigned)(100 - h->received * 100 / h->sent) : 0;
	fprintf(f, "\n--- %s hping statistic ---\n",
		h->o.dst_name ? h->o.dst_name : tern_ip4_str(h->o.dst, a));
	/* Debian's hping3 3.a2 spells it so (upstream printed "tramitted") */
	fprintf(f, "%llu packets transmitted, %llu packets received, %u%% packet loss\n",
		(unsigned long long)h->sent, (unsigned long long)h->received, loss);
	fprintf(f, "round-trip min/avg/max = %.1f/%.1f/%.1f ms\n",
		(double)h->rtt_min / TERN_MSEC(1),
		h->received ? (double)h->rtt_sum / (double)h->received / TERN_MSEC(1) : 0.0,
		(double)h->rtt_max / TERN_MSEC(1));
	int status = h->received ? 0 : 1;
	free(h);
	return status;
}
