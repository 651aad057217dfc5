/*
 * dev/link.c — a simulated point-to-point link: two end devices joined by a
 * wire with a bit rate, a propagation delay, an MTU and a queue: drop-tail,
 * or RED with or without ECN marking (red.c) in front of the limit.
 *
 * It sits below whatever owns each end (a stack, a switch port, a wrapper).
 * Transmitting on end i queues a copy of the frame in end 1-i's inbound
 * queue, stamped with the time its last bit arrives:
 *
 *	departure = max(now, busy_until[i]) + len * 8 / rate_bps
 *	arrival   = departure + delay
 *
 * busy_until[i] is when the wire from end i finishes clocking out what it
 * already has, so back-to-back frames serialize one after the other. The
 * link is sans-I/O: it never reads a clock. poll_at(end) is the earliest
 * arrival queued for that end and poll(end, now) delivers everything due by
 * now to that end's owner, so a runner that polls every device when its
 * poll_at comes round sees every frame at its arrival time. An end whose
 * queue has been empty for TERN_FRAMEQ_REST (dev/frameq.h) is polled once
 * more, to give its cached frame records back: a link at rest holds no
 * heap beyond itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dev/frameq.h"
#include "dev/red.h"
#include "tern/err.h"
#include "tern/netdev.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"

#define LINK_DEFAULT_MTU 1500
#define LINK_DEFAULT_QUEUE (256u * 1024)

/* Frames sent from one end: struct tern_link_stats less what the queue
 * itself knows (queued_*, filled in by tern_link_get_stats) and the drops
 * and marks, which most links never count (struct link_drops). */
struct link_counts {
	uint64_t tx_frames, tx_bytes, rx_frames, rx_bytes;
	uint64_t backlog_peak_bytes;
};

enum link_drop {
	LD_TOO_BIG, LD_QUEUE_FULL, LD_NOMEM, LD_DOWN, LD_ECN_MARKED, LD_EARLY, LD_FORCED,
	LD__COUNT
};

/* Both ends' drop and mark counters, made with the link's first. */
struct link_drops {
	uint64_t end[2][LD__COUNT];
};

struct link_end {
	struct tern_netdev dev; /* first, so a device pointer is an end pointer */
	int side;               /* which of its link's end[] (link_of) */
	struct tern_frameq inbound;    /* frames on their way to this end */
	tern_time_t busy_until;        /* this end's transmitter is busy until */
	struct link_counts stats;      /* frames sent from this end */
};

/* RED's parameters and each direction's state: made only for a link
 * whose qdisc is RED (most links are drop-tail). */
struct link_red {
	struct tern_red_params params;
	struct tern_red dir[2];        /* by sending side */
};

struct tern_link {
	/* the wire: tern_link_params less RED's (in `red`) */
	uint64_t rate_bps;
	tern_time_t delay;
	uint32_t mtu, queue_bytes;
	enum tern_qdisc qdisc;
	bool down;                     /* cut: every frame is lost */
	bool own_pool;                 /* `pool` made for this link, freed with it */
	struct link_red *red;          /* NULL unless qdisc is RED */
	struct link_drops *drops;      /* NULL until something is dropped or marked */
	struct tern_frame_pool *pool;  /* the frames' records (dev/frameq.h) */
	struct link_end end[2];
};

static struct tern_link *link_of(const struct link_end *e)
{
	const struct link_end *first = e - e->side;
	return (struct tern_link *)(void *)((char *)(uintptr_t)first - offsetof(struct tern_link, end));
}

static struct link_end *to_end(struct tern_netdev *dev)
{
	return (struct link_end *)dev;
}

static const struct link_end *to_cend(const struct tern_netdev *dev)
{
	return (const struct link_end *)dev;
}

/* Count a drop (or mark) of a frame sent from e. */
static void count_drop(struct link_end *e, enum link_drop what)
{
	struct tern_link *l = link_of(e);
	if (!l->drops && !(l->drops = calloc(1, sizeof(*l->drops))))
		return; /* not counted: no memory to count it in */
	l->drops->end[e->side][what]++;
}

/* Is this Ethernet frame an ECN-capable IPv4 packet? */
static bool frame_is_ect(const uint8_t *frame, size_t len)
{
	if (len < TERN_ETH_HLEN + TERN_IPV4_HLEN || frame[12] != 0x08 || frame[13] != 0x00)
		return false;
	const uint8_t *ip = frame + TERN_ETH_HLEN;
	return (ip[0] >> 4) == 4 && (ip[1] & TERN_IP_ECN_MASK) != TERN_IP_ECN_NOT_ECT;
}

/* RED's verdict on a frame arriving at a queue of `backlog` bytes: false
 * if it is dropped (counted), else *mark says whether to set CE. */
static bool red_admit(struct link_end *e, const uint8_t *frame, size_t len, uint64_t backlog,
		      tern_time_t now, bool *mark)
{
	const struct tern_link *l = link_of(e);
	tern_time_t idle = backlog == 0 && e->busy_until < now ? now - e->busy_until : 0;
	switch (tern_red_arrive(&l->red->dir[e->side], &l->red->params, backlog, idle,
				tern_serialize_ns(l->mtu + TERN_ETH_HLEN, l->rate_bps),
				frame_is_ect(frame, len))) {
	case TERN_RED_MARK:
		*mark = true;
		return true;
	case TERN_RED_DROP_EARLY:
		count_drop(e, LD_EARLY);
		return false;
	case TERN_RED_DROP_FORCED:
		count_drop(e, LD_FORCED);
		return false;
	default:
		return true;
	}
}

/* Transmit: check size and queue room, then put the frame on the wire
 * toward the other end. Drops count against this end's stats. */
static int link_transmit(struct tern_netdev *dev, const uint8_t *frame, size_t len,
			 tern_time_t now)
{
	struct link_end *e = to_end(dev);
	struct tern_link *l = link_of(e);
	struct link_end *peer = &l->end[1 - e->side];

	if (l->down) {
		count_drop(e, LD_DOWN);
		return 0; /* as a wire would: the sender cannot tell */
	}
	if (len > (size_t)l->mtu + TERN_ETH_HLEN) {
		count_drop(e, LD_TOO_BIG);
		return TERN_EMSGSIZE;
	}
	/* Tail drop: the queue holds the bytes not yet clocked out, which is
	 * exactly the transmitter's remaining busy time times the rate. */
	uint64_t backlog = tern_backlog_bytes(e->busy_until, now, l->rate_bps);
	if (backlog + len > l->queue_bytes) {
		count_drop(e, LD_QUEUE_FULL);
		return TERN_ENOBUFS;
	}
	bool mark = false;
	if (l->qdisc == TERN_QDISC_RED && !red_admit(e, frame, len, backlog, now, &mark))
		return TERN_ENOBUFS;
	tern_time_t start = e->busy_until > now ? e->busy_until : now;
	tern_time_t departure = start + tern_serialize_ns(len, l->rate_bps);
	struct tern_frame *f = tern_frameq_alloc(l->pool, len);
	if (f) {
		memcpy(f->data, frame, len);
		f->len = len;
		/* RFC 3168 §5: the router's mark, in the copy on the wire. */
		if (mark && tern_ipv4_mark_ce(f->data + TERN_ETH_HLEN, len - TERN_ETH_HLEN))
			count_drop(e, LD_ECN_MARKED);
	}
	if (!f || tern_frameq_push(&peer->inbound, l->pool, f, departure + l->delay) < 0) {
		count_drop(e, LD_NOMEM);
		return TERN_ENOMEM;
	}
	tern_netdev_wake(&peer->dev);
	e->busy_until = departure;
	e->stats.tx_frames++;
	e->stats.tx_bytes += len;
	/* what now waits to be clocked out, this frame included */
	uint64_t waiting = tern_backlog_bytes(e->busy_until, now, l->rate_bps);
	if (waiting > e->stats.backlog_peak_bytes)
		e->stats.backlog_peak_bytes = waiting;
	return 0;
}

/* The next arrival. */
static tern_time_t link_poll_at(const struct tern_netdev *dev)
{
	return tern_frameq_next_at(&to_cend(dev)->inbound);
}

/* Deliver the frames due at this end. Frames that the owner's callback
 * sends back across this link land in the other end's queue; the mark only
 * matters for a callback that transmits on the far end itself. */
static void link_poll(struct tern_netdev *dev, tern_time_t now)
{
	struct link_end *e = to_end(dev);
	struct tern_link *l = link_of(e);
	struct link_end *peer = &l->end[1 - e->side];
	uint64_t mark = tern_frameq_mark(l->pool);
	struct tern_frame *f;

	while ((f = tern_frameq_pop_due(&e->inbound, l->pool, now, mark))) {
		if (l->down) {
			count_drop(peer, LD_DOWN);
			tern_frameq_release(l->pool, f);
			continue;
		}
		peer->stats.rx_frames++;
		peer->stats.rx_bytes += f->len;
		tern_netdev_deliver(dev, f->data, f->len, now);
		tern_frameq_release(l->pool, f);
	}
}

/* The ends belong to the link, so destroying one (say, from a wrapper that
 * owns it) does nothing; tern_link_destroy() frees both. */
static void link_end_destroy(struct tern_netdev *dev)
{
}

static const struct tern_netdev_ops link_ops = {
	.transmit = link_transmit,
	.poll_at = link_poll_at,
	.poll = link_poll,
	.destroy = link_end_destroy,
};

/* RED's parameters and both directions' random streams, from the seed. */
static struct link_red *red_make(const struct tern_link_params *p)
{
	struct link_red *r = malloc(sizeof(*r));
	if (!r)
		return NULL;
	r->params = p->red;
	for (int i = 0; i < 2; i++)
		tern_red_init(&r->dir[i], tern_mix64(p->seed * 2 + (uint64_t)i + 1));
	return r;
}

struct tern_link *tern_link_create(const struct tern_link_params *p,
				   const char *name_a, const struct tern_mac *mac_a,
				   const char *name_b, const struct tern_mac *mac_b)
{
	static const struct tern_link_params defaults;
	if (!p)
		p = &defaults;
	struct tern_link *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->rate_bps = p->rate_bps;
	l->delay = p->delay;
	l->mtu = p->mtu ? p->mtu : LINK_DEFAULT_MTU;
	l->queue_bytes = p->queue_bytes ? p->queue_bytes : LINK_DEFAULT_QUEUE;
	l->qdisc = p->qdisc;
	l->pool = p->pool;
	l->own_pool = !p->pool;
	if ((l->own_pool && !(l->pool = tern_frame_pool_create())) ||
	    (l->qdisc == TERN_QDISC_RED && !(l->red = red_make(p)))) {
		if (l->own_pool)
			tern_frame_pool_destroy(l->pool);
		free(l);
		return NULL;
	}

	const char *names[2] = {name_a, name_b};
	const struct tern_mac *macs[2] = {mac_a, mac_b};
	for (int i = 0; i < 2; i++) {
		struct link_end *e = &l->end[i];
		tern_netdev_init(&e->dev, &link_ops, names[i], macs[i], l->mtu);
		e->side = i;
		tern_frameq_init(&e->inbound);
	}
	return l;
}

struct tern_netdev *tern_link_end(struct tern_link *l, int side)
{
	if (side != 0 && side != 1)
		return NULL;
	return &l->end[side].dev;
}

void tern_link_get_stats(const struct tern_link *l, int side, struct tern_link_stats *out)
{
	const struct link_end *e = &l->end[side ? 1 : 0];
	const struct tern_frameq *q = &l->end[side ? 0 : 1].inbound;
	const struct link_counts *c = &e->stats;
	static const uint64_t none[LD__COUNT];
	const uint64_t *d = l->drops ? l->drops->end[e->side] : none;
	*out = (struct tern_link_stats){
		.tx_frames = c->tx_frames, .tx_bytes = c->tx_bytes,
		.rx_frames = c->rx_frames, .rx_bytes = c->rx_bytes,
		.drop_too_big = d[LD_TOO_BIG], .drop_queue_full = d[LD_QUEUE_FULL],
		.drop_nomem = d[LD_NOMEM], .drop_down = d[LD_DOWN],
		.ecn_marked = d[LD_ECN_MARKED], .drop_early = d[LD_EARLY],
		.drop_forced = d[LD_FORCED], .backlog_peak_bytes = c->backlog_peak_bytes,
	};
	out->queued_frames = q->n;
	out->queued_bytes = tern_frameq_bytes(q);
	out->queued_peak_frames = q->peak;
}

void tern_link_set_params(struct tern_link *l, const struct tern_link_params *p)
{
	l->rate_bps = p->rate_bps;
	l->delay = p->delay;
	l->queue_bytes = p->queue_bytes ? p->queue_bytes : LINK_DEFAULT_QUEUE;
}

void tern_link_set_up(struct tern_link *l, bool up)
{
	l->down = !up;
}

void tern_link_destroy(struct tern_link *l)
{
	if (!l)
		return;
	for (int i = 0; i < 2; i++)
		tern_frameq_fini(&l->end[i].inbound, l->pool);
	if (l->own_pool)
		tern_frame_pool_destroy(l->pool);
	free(l->red);
	free(l->drops);
	free(l);
}
