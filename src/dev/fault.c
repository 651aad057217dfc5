/*
 * dev/fault.c — a seeded fault injector that wraps another device.
 *
 * It sits between a device's owner and the device: frames the owner
 * transmits (egress) and frames the inner device delivers (ingress) each
 * pass through their own set of impairments, in this order:
 *
 *	loss -> bursty loss -> duplicate -> per copy: corrupt, mark CE (on
 *	        ECT IPv4 only), serialize at rate_bps, add delay + jitter,
 *	        maybe hold back by reorder_delay
 *
 * A frame whose release time is `now` goes straight on, inside the call
 * that brought it; the rest wait in a per-direction timed queue that
 * poll(now) drains, ties in arrival order. Corruption flips one random bit
 * anywhere in the frame, headers included, to exercise every parser and
 * checksum on the path.
 *
 * Every random choice comes from tern_rng streams derived from the seed:
 * one stream per direction and per kind of impairment, so a seed replays
 * a run exactly, and turning one impairment on or off leaves the pattern
 * of the others unchanged (the same frames are lost with or without
 * jitter). No clock is read; time is the `now` each call carries.
 */
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "dev/frameq.h"
#include "dev/red.h"
#include "tern/err.h"
#include "tern/netdev.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"

/* A wire with a rate but no queue limit would hold whatever a sender
 * offers; past this many bytes per direction frames are dropped (and
 * counted as dropped) rather than growing memory without bound. */
#define FAULT_MAX_QUEUED (16u * 1024 * 1024)

enum { DIR_EGRESS, DIR_INGRESS, NDIRS };
enum { S_LOSS, S_DUP, S_CORRUPT, S_REORDER, S_JITTER, NSTREAMS };

struct fault_dir {
	bool active;
	struct tern_rng rng[NSTREAMS];
	struct tern_rng burst_rng;  /* the Gilbert-Elliott chain's own stream */
	struct tern_rng ce_rng;     /* CE marks' */
	struct tern_red red;        /* the queue's RED state (qdisc RED) */
	bool burst_bad;             /* its state */
	tern_time_t busy_until; /* serializer free from then on */
	tern_time_t last_release; /* of the frame before, for jitter_keeps_order */
	struct tern_frameq q;
};

struct fault {
	struct tern_netdev dev; /* first, so a device pointer is a fault pointer */
	struct tern_netdev *inner;
	struct tern_fault_params p;
	struct fault_dir dir[NDIRS];
	struct tern_fault_stats stats;
	struct tern_frame_pool pool; /* both directions' frame records */
};

/* Hand a frame on in direction d: down to the inner device, or up to our
 * owner. Returns the inner transmit's result (0 for delivery). */
static int forward(struct fault *f, int d, const uint8_t *frame, size_t len, tern_time_t now)
{
	f->stats.passed++;
	if (d == DIR_EGRESS)
		return tern_netdev_transmit(f->inner, frame, len, now);
	tern_netdev_deliver(&f->dev, frame, len, now);
	return 0;
}

/* When a copy sent at `now` should be released. */
static tern_time_t release_time(struct fault *f, struct fault_dir *dir, size_t len,
				tern_time_t now)
{
	tern_time_t at = now;

	if (f->p.rate_bps) {
		tern_time_t start = dir->busy_until > now ? dir->busy_until : now;
		dir->busy_until = start + tern_serialize_ns(len, f->p.rate_bps);
		at = dir->busy_until;
	}
	at += f->p.delay;
	if (f->p.jitter > 0)
		at += (tern_time_t)tern_rng_below(&dir->rng[S_JITTER], (uint64_t)f->p.jitter + 1);
	if (f->p.jitter_keeps_order) {
		if (at < dir->last_release)
			at = dir->last_release;
		dir->last_release = at;
	}
	if (tern_rng_chance(&dir->rng[S_REORDER], f->p.reorder)) {
		f->stats.reordered++;
		at += f->p.reorder_delay;
	}
	return at;
}

static void flip_random_bit(struct tern_rng *r, uint8_t *data, size_t len)
{
	size_t byte = (size_t)tern_rng_below(r, len);
	data[byte] ^= (uint8_t)(1u << tern_rng_below(r, 8));
}

/* An ECN-capable IPv4 packet in an Ethernet frame (RFC 3168 §5)? */
static bool frame_is_ect(const uint8_t *frame, size_t len)
{
	if (len < TERN_ETH_HLEN + TERN_IPV4_HLEN || frame[12] != 0x08 || frame[13] != 0x00)
		return false;
	const uint8_t *ip = frame + TERN_ETH_HLEN;
	return (ip[0] >> 4) == 4 && (ip[1] & TERN_IP_ECN_MASK) != TERN_IP_ECN_NOT_ECT;
}

/* The queue in front of the serializer: its limit, then RED (red.c).
 * False if the frame is dropped (counted); *ce set if RED marks it. */
static bool queue_admit(struct fault *f, struct fault_dir *dir, const uint8_t *frame, size_t len,
			tern_time_t now, bool *ce)
{
	uint64_t backlog = tern_backlog_bytes(dir->busy_until, now, f->p.rate_bps);
	if (f->p.queue_bytes && backlog + len > f->p.queue_bytes) {
		f->stats.dropped++;
		f->stats.queue_full++;
		return false;
	}
	if (f->p.qdisc != TERN_QDISC_RED)
		return true;
	tern_time_t idle = backlog == 0 && dir->busy_until < now ? now - dir->busy_until : 0;
	switch (tern_red_arrive(&dir->red, &f->p.red, backlog, idle,
				tern_serialize_ns(f->dev.mtu + TERN_ETH_HLEN, f->p.rate_bps),
				frame_is_ect(frame, len))) {
	case TERN_RED_MARK:
		*ce = true;
		return true;
	case TERN_RED_DROP_EARLY:
		f->stats.dropped++;
		f->stats.red_early++;
		return false;
	case TERN_RED_DROP_FORCED:
		f->stats.dropped++;
		f->stats.red_forced++;
		return false;
	default:
		return true;
	}
}

/* Send one copy of a frame through corruption and timing. A copy due now
 * goes on at once unless an earlier one is still queued for now, which
 * must leave first. */
static int emit_copy(struct fault *f, int d, const uint8_t *frame, size_t len, tern_time_t now)
{
	struct fault_dir *dir = &f->dir[d];
	bool corrupt = len > 0 && tern_rng_chance(&dir->rng[S_CORRUPT], f->p.corrupt);
	bool ce = f->p.ce > 0 && frame_is_ect(frame, len) && tern_rng_chance(&dir->ce_rng, f->p.ce);
	if (f->p.rate_bps && !queue_admit(f, dir, frame, len, now, &ce))
		return 0; /* dropped by the queue, counted */
	tern_time_t at = release_time(f, dir, len, now);
	bool now_ok = at <= now && tern_frameq_next_at(&dir->q) > now;

	if (now_ok && !corrupt && !ce)
		return forward(f, d, frame, len, now);
	if (!now_ok && tern_frameq_bytes(&dir->q) + len > FAULT_MAX_QUEUED) {
		f->stats.dropped++;
		return 0;
	}
	struct tern_frame *r = tern_frameq_alloc(&f->pool, len);
	if (!r) {
		f->stats.dropped++;
		return TERN_ENOMEM;
	}
	if (len)
		memcpy(r->data, frame, len);
	if (corrupt) {
		f->stats.corrupted++;
		flip_random_bit(&dir->rng[S_CORRUPT], r->data, len);
	}
	if (ce && tern_ipv4_mark_ce(r->data + TERN_ETH_HLEN, len - TERN_ETH_HLEN))
		f->stats.ce_marked++;
	if (now_ok) {
		int ret = forward(f, d, r->data, len, now);
		tern_frameq_release(&f->pool, r);
		return ret;
	}
	if (tern_frameq_push(&dir->q, &f->pool, r, at) < 0) {
		f->stats.dropped++;
		return TERN_ENOMEM;
	}
	tern_netdev_wake(&f->dev);
	return 0;
}

/* The Gilbert-Elliott chain for one frame: lost in the current state's
 * proportion, then a step of the chain. */
static bool burst_lost(struct fault *f, struct fault_dir *dir)
{
	const struct tern_burst_loss *b = &f->p.burst;
	if (!(b->p > 0))
		return false;
	bool lost = tern_rng_chance(&dir->burst_rng, dir->burst_bad ? b->loss_bad : b->loss_good);
	if (lost)
		f->stats.burst_dropped++;
	if (tern_rng_chance(&dir->burst_rng, dir->burst_bad ? b->r : b->p))
		dir->burst_bad = !dir->burst_bad;
	return lost;
}

/* Apply direction d's impairments to one frame. Returns what the inner
 * transmit returned for a frame passed straight through, else 0. */
static int impair(struct fault *f, int d, const uint8_t *frame, size_t len, tern_time_t now)
{
	struct fault_dir *dir = &f->dir[d];

	if (!dir->active)
		return forward(f, d, frame, len, now);
	if (tern_rng_chance(&dir->rng[S_LOSS], f->p.loss) || burst_lost(f, dir)) {
		f->stats.dropped++;
		return 0;
	}
	bool dup = tern_rng_chance(&dir->rng[S_DUP], f->p.duplicate);
	int ret = emit_copy(f, d, frame, len, now);
	if (dup) {
		f->stats.duplicated++;
		emit_copy(f, d, frame, len, now);
	}
	return ret;
}

static int fault_transmit(struct tern_netdev *dev, const uint8_t *frame, size_t len,
			  tern_time_t now)
{
	return impair((struct fault *)dev, DIR_EGRESS, frame, len, now);
}

/* Receive callback installed on the inner device. */
static void fault_rx(void *ctx, struct tern_netdev *inner, const uint8_t *frame, size_t len,
		     tern_time_t now)
{
	impair(ctx, DIR_INGRESS, frame, len, now);
}

/* Wake hook installed on the inner device: its work is ours. */
static void fault_inner_wake(void *ctx, struct tern_netdev *inner)
{
	(void)inner;
	tern_netdev_wake(&((struct fault *)ctx)->dev);
}

static tern_time_t fault_poll_at(const struct tern_netdev *dev)
{
	const struct fault *f = (const struct fault *)dev;
	tern_time_t t = tern_netdev_poll_at(f->inner);

	for (int d = 0; d < NDIRS; d++) {
		tern_time_t q = tern_frameq_next_at(&f->dir[d].q);
		if (q < t)
			t = q;
	}
	return t;
}

/* Poll the inner device first: what it delivers now may pass straight up
 * or join the ingress queue. Then release what is due; frames queued by
 * the callbacks of this very poll wait for the next one. */
static void fault_poll(struct tern_netdev *dev, tern_time_t now)
{
	struct fault *f = (struct fault *)dev;

	tern_netdev_poll(f->inner, now);
	for (int d = 0; d < NDIRS; d++) {
		struct tern_frameq *q = &f->dir[d].q;
		uint64_t mark = tern_frameq_mark(&f->pool);
		struct tern_frame *r;

		while ((r = tern_frameq_pop_due(q, &f->pool, now, mark))) {
			/* A received frame arrives at its own release time: the
			 * simulator polls at exactly it, a real-time runner a
			 * little late, and would give every frame due by then
			 * one arrival time. */
			forward(f, d, r->data, r->len, d == DIR_INGRESS ? r->at : now);
			tern_frameq_release(&f->pool, r);
		}
	}
}

static int fault_fd(const struct tern_netdev *dev)
{
	return tern_netdev_fd(((const struct fault *)dev)->inner);
}

static void fault_read_ready(struct tern_netdev *dev, tern_time_t now)
{
	tern_netdev_read_ready(((struct fault *)dev)->inner, now);
}

static void fault_destroy(struct tern_netdev *dev)
{
	struct fault *f = (struct fault *)dev;

	tern_netdev_destroy(f->inner);
	for (int d = 0; d < NDIRS; d++)
		tern_frameq_fini(&f->dir[d].q, &f->pool);
	tern_frame_pool_fini(&f->pool);
	free(f);
}

static const struct tern_netdev_ops fault_ops = {
	.transmit = fault_transmit,
	.poll_at = fault_poll_at,
	.poll = fault_poll,
	.fd = fault_fd,
	.read_ready = fault_read_ready,
	.destroy = fault_destroy,
};

/* One generator seeded from params.seed hands out the seeds of every
 * stream, always in the same order, so the streams are fixed by the seed
 * alone whatever the other parameters say. */
static void seed_streams(struct fault *f)
{
	struct tern_rng master;

	tern_rng_seed(&master, f->p.seed);
	for (int d = 0; d < NDIRS; d++)
		for (int s = 0; s < NSTREAMS; s++)
			tern_rng_seed(&f->dir[d].rng[s], tern_rng_next(&master));
	/* after the others, so adding it changed none of their seeds */
	for (int d = 0; d < NDIRS; d++)
		tern_rng_seed(&f->dir[d].burst_rng, tern_rng_next(&master));
	for (int d = 0; d < NDIRS; d++) /* last again: the others keep their seeds */
		tern_rng_seed(&f->dir[d].ce_rng, tern_rng_next(&master));
	for (int d = 0; d < NDIRS; d++)
		tern_red_init(&f->dir[d].red, tern_rng_next(&master));
}

static tern_time_t non_negative(tern_time_t t)
{
	return t > 0 ? t : 0;
}

struct tern_netdev *tern_fault_wrap(struct tern_netdev *inner, const struct tern_fault_params *p)
{
	if (!inner)
		return NULL;
	struct fault *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;

	tern_netdev_init(&f->dev, &fault_ops, inner->name, &inner->mac, inner->mtu);
	f->inner = inner;
	if (p)
		f->p = *p;
	f->p.delay = non_negative(f->p.delay);
	f->p.jitter = non_negative(f->p.jitter);
	f->p.reorder_delay = non_negative(f->p.reorder_delay);
	int dirs = f->p.directions & 3 ? f->p.directions & 3 : 3;
	f->dir[DIR_EGRESS].active = dirs & 1;
	f->dir[DIR_INGRESS].active = dirs & 2;
	for (int d = 0; d < NDIRS; d++)
		tern_frameq_init(&f->dir[d].q);
	tern_frame_pool_init(&f->pool);
	seed_streams(f);
	tern_netdev_set_rx(inner, fault_rx, f);
	tern_netdev_set_wake(inner, fault_inner_wake, f);
	return &f->dev;
}

void tern_fault_get_stats(const struct tern_netdev *dev, struct tern_fault_stats *out)
{
	if (!dev || dev->ops != &fault_ops) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = ((const struct fault *)dev)->stats;
}

int tern_fault_set_params(struct tern_netdev *dev, const struct tern_fault_params *p)
{
	if (!dev || dev->ops != &fault_ops || !p)
		return TERN_EINVAL;
	struct fault *f = (struct fault *)dev;
	uint64_t seed = f->p.seed;
	int dirs = f->p.directions;
	f->p = *p;
	f->p.seed = seed;
	f->p.directions = dirs;
	f->p.delay = non_negative(f->p.delay);
	f->p.jitter = non_negative(f->p.jitter);
	f->p.reorder_delay = non_negative(f->p.reorder_delay);
	return 0;
}
