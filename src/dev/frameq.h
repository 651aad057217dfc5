/*
 * dev/frameq.h — a timed frame queue for devices that hold frames for later
 * (the simulated link, the fault injector), and the pool its frame records
 * come from. Internal to src/dev/ (the pool's handle is public:
 * tern/netdev.h).
 *
 * A queue holds copies of frames, each with the time it becomes due. They
 * leave in (due time, insertion order), so frames due at the same instant
 * leave in the order they were queued (FIFO ties): a list for frames
 * pushed in due order (the common case, no heap work) beside a binary
 * min-heap for the rest, made with the first frame out of order and given
 * back when the queue empties.
 *
 * Frame records come from a pool (struct tern_frame_pool) in power-of-two
 * size classes, shared by every queue that names it: a simulator's links
 * share one, so a record a queue gives back is at once there for any
 * other, and an empty queue holds nothing but its own few fields. The
 * pool keeps what its busiest moment of the last one to two seconds
 * needed (at least TERN_FRAME_POOL_KEEP records), so steady traffic never
 * calls malloc per frame; once the need has passed, the pool's tick (at
 * each queue's emptying, and from the simulator at each instant) frees
 * the rest. A one-off burst (every host on a LAN announcing itself, each
 * announcement flooded to every port) leaves nothing behind.
 */
#ifndef TERN_DEV_FRAMEQ_H
#define TERN_DEV_FRAMEQ_H

#include <stddef.h>
#include <stdint.h>

#include "tern/types.h"

/* Size classes hold 64 << k bytes, k = 0 .. TERN_FRAMEQ_NCLASSES-1 (up to
 * 64 KiB); larger frames get an exact allocation that is never cached. */
#define TERN_FRAMEQ_NCLASSES 11
#define TERN_FRAME_POOL_KEEP 64
#define TERN_FRAME_POOL_REST TERN_SEC(1)

struct tern_frame {
	tern_time_t at;          /* when the frame is due */
	uint64_t seq;            /* insertion order (the pool's), breaks ties */
	uint32_t len;
	int32_t cls;             /* size class, or -1 for an uncached one */
	struct tern_frame *next; /* FIFO or free-list link */
	uint8_t data[];
};

/* The heap of frames pushed out of due order (jitter, reordering). */
struct tern_frameq_heap {
	struct tern_frameq_heap *next_spare; /* on the pool's spare list */
	uint32_t n, cap;
	struct tern_frame *v[];
};

struct tern_frame_pool {
	struct tern_frame *free[TERN_FRAMEQ_NCLASSES];
	struct tern_frameq_heap *spare_heaps;
	uint64_t next_seq;        /* insertion order of every queue using the pool */
	size_t cached;            /* records on the free lists */
	size_t in_use;            /* records handed out, not given back */
	size_t win_peak;          /* the most in use since the window began */
	size_t prev_peak;         /* the same for the window before */
	tern_time_t next_roll;    /* when this window ends */
};

struct tern_frameq {
	struct tern_frame *head, *tail; /* frames pushed in due order */
	struct tern_frameq_heap *heap;  /* the others; NULL if none */
	uint64_t bytes;                 /* sum of len over queued frames */
	uint32_t n;                     /* frames queued in all */
	uint32_t peak;                  /* most frames ever queued at once */
};

void tern_frame_pool_init(struct tern_frame_pool *p);
/* Frees the cached records; every record must have been given back. */
void tern_frame_pool_fini(struct tern_frame_pool *p);
/* At a window's end (TERN_FRAME_POOL_REST), free the cached records
 * beyond what this window and the one before needed. Cheap otherwise. */
void tern_frame_pool_tick(struct tern_frame_pool *p, tern_time_t now);

void tern_frameq_init(struct tern_frameq *q);
/* Gives queued frames back to the pool. */
void tern_frameq_fini(struct tern_frameq *q, struct tern_frame_pool *p);

/* A record with room for len bytes (data not initialised), or NULL. */
struct tern_frame *tern_frameq_alloc(struct tern_frame_pool *p, size_t len);
/* Give a record that is not queued back to the pool. */
void tern_frameq_release(struct tern_frame_pool *p, struct tern_frame *f);
/* Queue a record obtained from tern_frameq_alloc(p) to fall due at `at`.
 * Returns 0 or TERN_ENOMEM, in which case f is released. */
int tern_frameq_push(struct tern_frameq *q, struct tern_frame_pool *p, struct tern_frame *f,
		     tern_time_t at);

/* Due time of the first frame, or TERN_TIME_NEVER when empty. */
static inline tern_time_t tern_frameq_next_at(const struct tern_frameq *q)
{
	tern_time_t h = q->heap && q->heap->n ? q->heap->v[0]->at : TERN_TIME_NEVER;
	return q->head && q->head->at < h ? q->head->at : h;
}

/* Bytes queued (the sum of their lengths). */
static inline size_t tern_frameq_bytes(const struct tern_frameq *q)
{
	return (size_t)q->bytes;
}

/* Sequence number the next frame pushed on any of the pool's queues will
 * get. A poll loop records it before delivering so frames queued by its
 * own callbacks wait for the next poll, which keeps one poll's work
 * bounded. */
static inline uint64_t tern_frameq_mark(const struct tern_frame_pool *p)
{
	return p->next_seq;
}

/* Remove and return the first frame if it is due at or before `now` and
 * was queued before `mark`; otherwise NULL. The caller releases it. */
struct tern_frame *tern_frameq_pop_due(struct tern_frameq *q, struct tern_frame_pool *p,
				       tern_time_t now, uint64_t mark);

/* Nanoseconds to clock len bytes onto a wire of rate_bps (0: infinitely
 * fast), rounded up so a frame never takes zero time on a finite link.
 * len * 8e9 stays below 2^64 for any len under 2^30. */
static inline tern_time_t tern_serialize_ns(size_t len, uint64_t rate_bps)
{
	if (rate_bps == 0)
		return 0;
	return (tern_time_t)(((uint64_t)len * 8 * 1000000000ull + rate_bps - 1) / rate_bps);
}

/* Bytes a serializer busy until `busy_until` still has to clock out at
 * `now`: the backlog a tail-drop queue limit applies to. The product can
 * pass 2^64 (seconds of backlog at 100 Gbit/s), hence the wide multiply. */
static inline uint64_t tern_backlog_bytes(tern_time_t busy_until, tern_time_t now,
					  uint64_t rate_bps)
{
	if (busy_until <= now || rate_bps == 0)
		return 0;
	unsigned __int128 bits = (unsigned __int128)(uint64_t)(busy_until - now) * rate_bps;
	return (uint64_t)(bits / 8000000000ull);
}

#endif
