/*
 * dev/frameq.h — a timed frame queue for devices that hold frames for later
 * (the simulated link, the fault injector). Internal to src/dev/.
 *
 * A queue holds copies of frames, each with the time it becomes due. They
 * leave in (due time, insertion order), so frames due at the same instant
 * leave in the order they were queued (FIFO ties): a list for frames
 * pushed in due order (the common case, no heap work) beside a binary
 * min-heap for the rest.
 * Frame records come from per-queue free lists sorted into power-of-two
 * size classes, so a queue in steady state does not call malloc per frame.
 * The cache shrinks back after a burst: whenever the queue empties, cached
 * records beyond what the previous busy period needed (at least
 * TERN_FRAMEQ_KEEP) are freed, or beyond the largest need of the busy
 * periods that followed each other within TERN_FRAMEQ_BURST_GAP. Regular
 * traffic keeps what it uses, also a flow whose bursts vary in size; a
 * one-off burst after a quiet gap (every host on a LAN announcing itself
 * at once) leaves nothing behind.
 * The cache (the heap, free lists and the bookkeeping of busy periods) is
 * made with the first record and goes, with every record it holds, once
 * the queue has been empty for TERN_FRAMEQ_REST, or twice the time between
 * its last two emptyings if that is longer (a flow of one frame a second
 * keeps its record, and costs no extra poll): an owner that polls the
 * queue at tern_frameq_rest_at and calls tern_frameq_rest leaves an idle
 * queue holding no heap at all (the link does; the fault injector keeps
 * its cache until it is destroyed).
 */
#ifndef TERN_DEV_FRAMEQ_H
#define TERN_DEV_FRAMEQ_H

#include <stddef.h>
#include <stdint.h>

#include "tern/types.h"

/* Size classes hold 128 << k bytes, k = 0 .. FRAMEQ_NCLASSES-1 (up to
 * 64 KiB); larger frames get an exact allocation that is never cached. */
#define TERN_FRAMEQ_NCLASSES 10
#define TERN_FRAMEQ_KEEP 2
#define TERN_FRAMEQ_BURST_GAP TERN_MSEC(100)
#define TERN_FRAMEQ_REST TERN_SEC(1)

struct tern_frame {
	tern_time_t at;          /* when the frame is due */
	uint64_t seq;            /* insertion order, breaks ties */
	size_t len;
	int cls;                 /* size class, or -1 for an uncached one */
	struct tern_frame *next; /* free-list link while cached */
	uint8_t data[];
};

/* What a queue needs only while in use: its frames' list and heap, the
 * bytes and the insertion count,
 * the records kept for reuse and what sizes them (frameq.c's trim). */
struct tern_frameq_cache {
	/* Frames pushed in due order (each due no earlier than the last
	 * FIFO frame: a link of constant delay, everything at rate 0) queue
	 * on a list through their `next`; the others (jitter, reordering)
	 * in the heap. A pop takes the earlier head of the two. */
	struct tern_frame *fifo_head, *fifo_tail;
	size_t bytes;     /* sum of len over queued frames */
	struct tern_frame **heap;
	uint32_t hn, cap; /* frames in the heap, its room */
	uint64_t next_seq;
	struct tern_frame *free[TERN_FRAMEQ_NCLASSES];
	size_t cached;            /* records on the free lists */
	size_t busy_peak;         /* most frames queued since the queue was last empty */
	size_t prev_busy_peak;    /* the same for the busy period before */
	size_t run_peak;          /* the most of this run of busy periods */
};

struct tern_frameq {
	struct tern_frameq_cache *cache; /* NULL: none made, or gone at rest (then
					  * nothing is queued) */
	uint32_t n;       /* frames queued in all */
	uint32_t peak;    /* most frames ever queued at once */
	/* When the queue last emptied (TERN_TIME_NEVER: never), and the time
	 * between that and the emptying before (0: not known): traffic that
	 * comes every `gap` is not at rest before 2 * gap has passed. Kept
	 * across rests. */
	tern_time_t last_empty, gap;
};

void tern_frameq_init(struct tern_frameq *q);
/* Frees queued and cached frames. */
void tern_frameq_fini(struct tern_frameq *q);

/* A record with room for len bytes (data not initialised), or NULL. */
struct tern_frame *tern_frameq_alloc(struct tern_frameq *q, size_t len);
/* Give a record that is not queued back to the cache. */
void tern_frameq_release(struct tern_frameq *q, struct tern_frame *f);
/* Queue a record obtained from tern_frameq_alloc(q) to fall due at `at`.
 * Returns 0 or TERN_ENOMEM, in which case f is released. */
int tern_frameq_push(struct tern_frameq *q, struct tern_frame *f, tern_time_t at);
/* Copy and queue a frame; 0 or TERN_ENOMEM. */
int tern_frameq_push_copy(struct tern_frameq *q, const uint8_t *frame, size_t len,
			  tern_time_t at);

/* When an empty queue's cache is due to go (see above), or
 * TERN_TIME_NEVER: frames queued, or no cache. */
tern_time_t tern_frameq_rest_at(const struct tern_frameq *q);
/* At or after rest_at: free the cached records, the heap's array and the
 * cache itself. Otherwise nothing. */
void tern_frameq_rest(struct tern_frameq *q, tern_time_t now);

/* Due time of the first frame, or TERN_TIME_NEVER when empty. */
static inline tern_time_t tern_frameq_next_at(const struct tern_frameq *q)
{
	const struct tern_frameq_cache *c = q->cache;
	if (!c)
		return TERN_TIME_NEVER;
	tern_time_t h = c->hn ? c->heap[0]->at : TERN_TIME_NEVER;
	return c->fifo_head && c->fifo_head->at < h ? c->fifo_head->at : h;
}

/* Bytes queued (the sum of their lengths). */
static inline size_t tern_frameq_bytes(const struct tern_frameq *q)
{
	return q->cache ? q->cache->bytes : 0;
}

/* Sequence number the next pushed frame will get. A poll loop records it
 * before delivering so frames queued by its own callbacks wait for the
 * next poll, which keeps one poll's work bounded. */
static inline uint64_t tern_frameq_mark(const struct tern_frameq *q)
{
	return q->cache ? q->cache->next_seq : 0; /* no cache: nothing queued */
}

/* Remove and return the first frame if it is due at or before `now` and
 * was queued before `mark`; otherwise NULL. The caller releases it. */
struct tern_frame *tern_frameq_pop_due(struct tern_frameq *q, tern_time_t now, uint64_t mark);

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
