/*
 * tern/netdev.h — network devices: a small vtable, and wrappers that stack.
 *
 * A device moves whole link-layer frames. Downward, its owner calls
 * tern_netdev_transmit(); the device copies what it needs (the frame buffer
 * stays the caller's). Upward, the device hands received frames to the
 * callback its owner installed with tern_netdev_set_rx() — a stack, a switch
 * or a wrapping device. So frames never change hands between hosts: each
 * stack copies a received frame into a buffer from its own pool.
 *
 * Devices that hold frames for later (a simulated link with delay, the fault
 * injector) are sans-I/O like the stack: poll_at() says when they next have
 * work, poll(now) does it. Devices backed by a file descriptor (TAP) expose
 * it with tern_netdev_fd() so a real-time runner can wait on it.
 *
 * Wrapping: tern_pcap_wrap(), tern_fault_wrap() take an inner device and
 * return an outer one that behaves as the inner one plus its effect, for
 * frames in both directions. The outer device owns the inner one.
 */
#ifndef TERN_NETDEV_H
#define TERN_NETDEV_H

#include <stdio.h>

#include "tern/types.h"

struct tern_netdev;

typedef void (*tern_netdev_rx_fn)(void *ctx, struct tern_netdev *dev,
				   const uint8_t *frame, size_t len, tern_time_t now);
/* Called by a device when its poll_at may have become earlier (a frame
 * queued for later), from inside the call that did it. A runner that keeps
 * a schedule of its own (the simulator) installs it on the devices it
 * polls; it may read poll_at but must not call into the device. */
typedef void (*tern_netdev_wake_fn)(void *ctx, struct tern_netdev *dev);

struct tern_netdev_ops {
	/* Send one frame (Ethernet header included, no FCS). Returns 0 or a
	 * negative tern_err; a device may drop silently as a wire would. */
	int (*transmit)(struct tern_netdev *dev, const uint8_t *frame, size_t len, tern_time_t now);
	/* Next time this device has work, or TERN_TIME_NEVER. May be NULL. */
	tern_time_t (*poll_at)(const struct tern_netdev *dev);
	/* Do due work: deliver frames whose time has come. May be NULL. */
	void (*poll)(struct tern_netdev *dev, tern_time_t now);
	/* A file descriptor to wait on for readability, or -1. May be NULL. */
	int (*fd)(const struct tern_netdev *dev);
	/* Read what the fd has ready and deliver it upward. May be NULL. */
	void (*read_ready)(struct tern_netdev *dev, tern_time_t now);
	/* Free the device (and any device it wraps). */
	void (*destroy)(struct tern_netdev *dev);
};

#define TERN_NETDEV_NAMELEN 16
#define TERN_ETH_MAX_MTU 9000

struct tern_netdev {
	const struct tern_netdev_ops *ops;
	char name[TERN_NETDEV_NAMELEN];
	struct tern_mac mac;
	uint32_t mtu;          /* largest IP packet the link carries */
	tern_netdev_rx_fn rx;  /* installed by the owner */
	void *rx_ctx;
	tern_netdev_wake_fn wake; /* installed by whoever polls the device; may be NULL */
	void *wake_ctx;
};

/* Called by device implementations to fill in the common fields. */
void tern_netdev_init(struct tern_netdev *dev, const struct tern_netdev_ops *ops,
		      const char *name, const struct tern_mac *mac, uint32_t mtu);

static inline void tern_netdev_set_rx(struct tern_netdev *dev, tern_netdev_rx_fn rx, void *ctx)
{
	dev->rx = rx;
	dev->rx_ctx = ctx;
}

static inline void tern_netdev_set_wake(struct tern_netdev *dev, tern_netdev_wake_fn fn, void *ctx)
{
	dev->wake = fn;
	dev->wake_ctx = ctx;
}

/* Called by device implementations when poll_at may have moved earlier. */
static inline void tern_netdev_wake(struct tern_netdev *dev)
{
	if (dev->wake)
		dev->wake(dev->wake_ctx, dev);
}

/* Hand a frame upward to whoever owns the device (no-op if nobody does). */
static inline void tern_netdev_deliver(struct tern_netdev *dev, const uint8_t *frame,
				       size_t len, tern_time_t now)
{
	if (dev->rx)
		dev->rx(dev->rx_ctx, dev, frame, len, now);
}

int tern_netdev_transmit(struct tern_netdev *dev, const uint8_t *frame, size_t len, tern_time_t now);
tern_time_t tern_netdev_poll_at(const struct tern_netdev *dev);
void tern_netdev_poll(struct tern_netdev *dev, tern_time_t now);
int tern_netdev_fd(const struct tern_netdev *dev);
void tern_netdev_read_ready(struct tern_netdev *dev, tern_time_t now);
void tern_netdev_destroy(struct tern_netdev *dev);

/* ---- drivers (src/dev/) ------------------------------------------------ */

/* A point-to-point link between two devices (src/dev/link.c). Frames sent
 * on one end arrive at the other after serialization at `rate_bps` (0 means
 * infinitely fast) plus `delay`; frames larger than mtu + 14 are dropped as
 * a real link would drop them. The link buffers at most `queue_bytes`
 * bytes per direction awaiting serialization (tail drop); 0 means 256 KiB. */
/* A queue discipline (src/dev/red.c). Drop-tail drops only at the limit
 * (queue_bytes). RED (Floyd & Jacobson, 1993) keeps an exponentially
 * weighted average of the queue; below min_bytes every packet passes,
 * between min and max a packet is marked with a probability rising
 * linearly to max_p (spaced by the count since the last mark), above max
 * every packet is. A mark is a drop, or with `ecn` a CE codepoint on an
 * ECN-capable IPv4 packet (RFC 3168 §5; RFC 7567 §4.2.1), as Linux's red
 * qdisc with `ecn` (without `harddrop`). Its random choices come from the
 * link's seed. */
enum tern_qdisc { TERN_QDISC_DROPTAIL, TERN_QDISC_RED };
struct tern_red_params {
	uint32_t min_bytes, max_bytes; /* thresholds on the average (min < max) */
	double max_p;                  /* the probability as the average reaches max, (0, 1] */
	double weight;                 /* the average's weight w_q; 0: 0.002 (Floyd & Jacobson) */
	bool ecn;                      /* mark CE on ECT packets instead of dropping them */
};
struct tern_link_params {
	uint64_t rate_bps;
	tern_time_t delay;
	uint32_t mtu;          /* 0 means 1500 */
	uint32_t queue_bytes;
	enum tern_qdisc qdisc; /* TERN_QDISC_DROPTAIL (0) */
	struct tern_red_params red;
	uint64_t seed;         /* RED's random stream (each direction its own) */
	/* Where the link's frame records come from: a pool shared by many
	 * links (a simulator's), which outlives them; NULL: the link's own. */
	struct tern_frame_pool *pool;
};
/* Frame records for links (src/dev/frameq.c): a pool keeps what the
 * busiest moment of the last second or two needed and frees the rest at
 * a tick, which its queues give it as they empty; an owner that may go
 * quiet ticks it too (the simulator does at every instant). */
struct tern_frame_pool;
struct tern_frame_pool *tern_frame_pool_create(void);
void tern_frame_pool_destroy(struct tern_frame_pool *p);
void tern_frame_pool_tick(struct tern_frame_pool *p, tern_time_t now);
struct tern_link;
struct tern_link *tern_link_create(const struct tern_link_params *p,
				   const char *name_a, const struct tern_mac *mac_a,
				   const char *name_b, const struct tern_mac *mac_b);
struct tern_netdev *tern_link_end(struct tern_link *l, int side); /* side 0 or 1 */
/* The link owns its two end devices: destroy the link, not the ends. */
void tern_link_destroy(struct tern_link *l);
/* Counters for one direction of a link: frames sent from end `side`. */
struct tern_link_stats {
	uint64_t tx_frames, tx_bytes;  /* accepted onto the wire */
	uint64_t rx_frames, rx_bytes;  /* delivered at the other end */
	uint64_t drop_too_big;         /* longer than mtu + 14 */
	uint64_t drop_queue_full;      /* tail drop */
	uint64_t drop_nomem;
	uint64_t drop_down;            /* lost while the link was cut */
	/* RED (tern_qdisc): packets marked CE, dropped early (between the
	 * thresholds, or not ECN-capable), dropped forced (the average above
	 * max, not ECN-capable or without ecn). */
	uint64_t ecn_marked, drop_early, drop_forced;
	/* On the wire now: frames sent from this end, queued to serialize or
	 * propagating, not yet delivered; and the most there ever were. */
	uint64_t queued_frames, queued_bytes, queued_peak_frames;
	/* The most bytes ever waiting to be clocked out from this end (what
	 * `queue_bytes` bounds), counting the frame just accepted. */
	uint64_t backlog_peak_bytes;
};
void tern_link_get_stats(const struct tern_link *l, int side, struct tern_link_stats *out);

/* Change rate, delay and queue from now on (the MTU stays; frames on the
 * wire keep their times). */
void tern_link_set_params(struct tern_link *l, const struct tern_link_params *p);
/* Cut (false) or restore (true): a cut link drops every frame, also those
 * already on the wire when they would arrive. */
void tern_link_set_up(struct tern_link *l, bool up);

/* An Ethernet learning switch (src/dev/switch.c). Attach any device as a
 * port (typically one end of a link whose other end is a host); frames are
 * forwarded by learned source address, flooded when unknown or broadcast.
 * The address table grows with the stations seen (up to 2^20 of them) and
 * an entry expires `aging` after its station was last heard. The switch
 * does not own attached devices. `max_ports` 0 means 32 and `aging` 0
 * means 300 s (Linux's bridge ageing_time). Attached ports keep calling
 * into the switch, so none may deliver a frame once the switch is
 * destroyed. */
struct tern_switch;
struct tern_switch *tern_switch_create(const char *name, unsigned max_ports, tern_time_t aging);
int tern_switch_attach(struct tern_switch *sw, struct tern_netdev *port); /* returns port number */
void tern_switch_destroy(struct tern_switch *sw);
struct tern_switch_stats {
	uint64_t forwarded;     /* sent to the one learned port */
	uint64_t flooded;       /* sent to every other port (broadcast, multicast, unknown) */
	uint64_t flooded_unknown; /* of which: unicast to an address not in the table */
	uint64_t filtered;      /* destination learned on the ingress port */
	uint64_t drop_short;    /* shorter than an Ethernet header */
	uint64_t learned;       /* stations added to the table */
	uint64_t moved;         /* stations heard on another port than before */
	uint64_t aged;          /* entries expired after `aging` of silence */
	uint64_t learn_refused; /* new stations not learned: table full or no memory */
	uint64_t table_size;    /* entries now (expired ones go as frames pass) */
	uint64_t table_peak;
	uint64_t table_buckets; /* the hash table's size */
	tern_time_t aging;
};
void tern_switch_get_stats(const struct tern_switch *sw, struct tern_switch_stats *out);
/* Change the ageing time (> 0; TERN_EINVAL otherwise), as `ip link set br0
 * type bridge ageing_time`. Applies to entries already learned. */
int tern_switch_set_aging(struct tern_switch *sw, tern_time_t aging);
/* Expire what is older than `aging` at `now` (frames do this as they pass). */
void tern_switch_expire(struct tern_switch *sw, tern_time_t now);
/* The port mac was learned on, or TERN_ENOENT if it is unknown or expired. */
int tern_switch_lookup(const struct tern_switch *sw, const struct tern_mac *mac, tern_time_t now);

/* A Linux TAP device (src/dev/tap.c). Opens /dev/net/tun, creates or
 * attaches to `ifname` (IFF_TAP | IFF_NO_PI) and brings it up. The tern
 * host's MAC is `mac` (the kernel side has its own). Each frame read is
 * delivered with CLOCK_MONOTONIC as it was read (tern_rt_now's clock; never
 * before the `now` read_ready was given), so frames read in one batch keep
 * their own arrival times. Returns NULL and sets *err to a negative
 * tern_err on failure. */
struct tern_netdev *tern_tap_open(const char *ifname, const struct tern_mac *mac,
				  uint32_t mtu, int *err);

/* Seeded fault injection (src/dev/fault.c), applied to frames in each
 * direction independently. Probabilities are in [0,1]; `delay` plus a
 * uniform `jitter` is added to every frame; `reorder` holds a frame back
 * by `reorder_delay` so later ones overtake it; `rate_bps` serializes. */
/* Bursty loss, the Gilbert–Elliott model: a two-state Markov chain per
 * direction, stepped once per frame. A frame is lost with probability
 * loss_good in the good state and loss_bad in the bad one, then the chain
 * moves good -> bad with probability p, bad -> good with r: bursts last
 * 1/r frames on average and the bad state holds p / (p + r) of the time.
 * p == 0 turns the model off. It applies after (and besides) `loss`. */
struct tern_burst_loss {
	double p, r, loss_good, loss_bad;
};
struct tern_fault_params {
	double loss, duplicate, corrupt, reorder;
	struct tern_burst_loss burst;
	tern_time_t delay, jitter, reorder_delay;
	uint64_t rate_bps;
	uint64_t seed;
	int directions; /* bit 0: transmit (egress), bit 1: receive; 0 means both */
	bool jitter_keeps_order; /* jitter never lets a frame overtake the one sent
				  * before it, as on one wire (reorder still does) */
	double ce;      /* probability of a CE mark on an ECN-capable IPv4 frame (RFC 3168
			 * §5: what a congested router does instead of a drop); Not-ECT
			 * frames pass unmarked */
	/* The queue in front of rate_bps's serializer (only with a rate):
	 * at most queue_bytes waiting (0: 16 MiB), drop-tail or RED as on a
	 * link (tern_qdisc), RED seeded from `seed`. */
	uint32_t queue_bytes;
	enum tern_qdisc qdisc;
	struct tern_red_params red;
};
struct tern_netdev *tern_fault_wrap(struct tern_netdev *inner, const struct tern_fault_params *p);
/* Counters kept by the fault injector, for tests and tools. */
struct tern_fault_stats {
	uint64_t passed, dropped, duplicated, corrupted, reordered;
	uint64_t burst_dropped;  /* of dropped: by the Gilbert-Elliott model */
	uint64_t ce_marked;      /* CE set on an ECT frame (ce, or RED with ecn) */
	uint64_t queue_full;     /* of dropped: the queue at queue_bytes */
	uint64_t red_early, red_forced; /* of dropped: by RED (as tern_link_stats) */
};
void tern_fault_get_stats(const struct tern_netdev *fault_dev, struct tern_fault_stats *out);
/* New parameters from now on; the random streams, seed and directions
 * stay. TERN_EINVAL if dev is not a fault injector. */
int tern_fault_set_params(struct tern_netdev *fault_dev, const struct tern_fault_params *p);

/* A pcap writer (src/dev/pcap.c): every frame transmitted or received
 * through the wrapper is written to `path` (DLT_EN10MB, nanosecond
 * timestamps taken from the `now` each frame carries, plus `time_offset`;
 * never earlier than the record before) and flushed at once, as `tcpdump
 * -U`, so the file can be read while it grows and stays valid if the
 * program is killed. Returns NULL and sets *err on failure. */
struct tern_netdev *tern_pcap_wrap(struct tern_netdev *inner, const char *path,
				   tern_time_t time_offset, int *err);
/* Stamp transmitted frames with clock(ctx) (in the `now` timebase, before
 * time_offset) when they are handed to the wrapper, instead of the `now`
 * they carry: what a real-time runner does, whose stack's `now` is that of
 * the frame or timer that caused the send. NULL restores `now`. A no-op on
 * a device that is not a pcap writer. */
typedef tern_time_t (*tern_pcap_clock_fn)(void *ctx);
void tern_pcap_set_clock(struct tern_netdev *pcap_dev, tern_pcap_clock_fn clock, void *ctx);

#endif
