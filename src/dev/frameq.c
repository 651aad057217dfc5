/*
 * dev/frameq.c — the timed frame queue behind the link and fault devices
 * (see frameq.h): a min-heap of frame records keyed by (due time, seq),
 * with records recycled through per-size-class free lists.
 */
#include <stdlib.h>
#include <string.h>

#include "wire/bytes.h"
#include "dev/frameq.h"
#include "tern/err.h"

#define FRAMEQ_MIN_SHIFT 7 /* smallest class: 128 bytes */

void tern_frameq_init(struct tern_frameq *q)
{
	*q = (struct tern_frameq){.last_empty = TERN_TIME_NEVER};
}

/* Free every cached record and the cache. */
static void cache_free(struct tern_frameq *q)
{
	struct tern_frameq_cache *c = q->cache;
	if (!c)
		return;
	for (int k = 0; k < TERN_FRAMEQ_NCLASSES; k++) {
		while (c->free[k]) {
			struct tern_frame *f = c->free[k];
			c->free[k] = f->next;
			free(f);
		}
	}
	free(c->heap);
	free(c);
	q->cache = NULL;
}

void tern_frameq_fini(struct tern_frameq *q)
{
	for (size_t i = 0; q->cache && i < q->cache->hn; i++)
		free(q->cache->heap[i]);
	while (q->cache && q->cache->fifo_head) {
		struct tern_frame *f = q->cache->fifo_head;
		q->cache->fifo_head = f->next;
		free(f);
	}
	cache_free(q);
	tern_frameq_init(q);
}

/* Smallest class whose records hold len bytes, or -1 if none does. */
static int size_class(size_t len)
{
	for (int c = 0; c < TERN_FRAMEQ_NCLASSES; c++)
		if (len <= ((size_t)1 << (FRAMEQ_MIN_SHIFT + c)))
			return c;
	return -1;
}

struct tern_frame *tern_frameq_alloc(struct tern_frameq *q, size_t len)
{
	int k = size_class(len);
	struct tern_frame *f;

	if (!q->cache && !(q->cache = calloc(1, sizeof(*q->cache))))
		return NULL;
	struct tern_frameq_cache *c = q->cache;
	if (k >= 0 && c->free[k]) {
		f = c->free[k];
		c->free[k] = f->next;
		c->cached--;
	} else {
		size_t room = k >= 0 ? (size_t)1 << (FRAMEQ_MIN_SHIFT + k) : len;
		f = malloc(sizeof(*f) + room);
		if (!f)
			return NULL;
		f->cls = k;
	}
	f->len = len;
	f->next = NULL;
	return f;
}

void tern_frameq_release(struct tern_frameq *q, struct tern_frame *f)
{
	struct tern_frameq_cache *c = q->cache;
	if (f->cls < 0 || !c) {
		free(f);
		return;
	}
	f->next = c->free[f->cls];
	c->free[f->cls] = f;
	c->cached++;
}

/* Shrink the heap's array to the smallest power of two (at least 4)
 * holding `keep`, if it is far larger. */
static void heap_shrink(struct tern_frameq *q, size_t keep)
{
	if (q->cache->cap <= 4 * keep || q->cache->cap <= 4)
		return;
	uint32_t cap = 4;
	while (cap < keep)
		cap *= 2;
	struct tern_frame **h = realloc(q->cache->heap, cap * sizeof(*h));
	if (h) {
		q->cache->heap = h;
		q->cache->cap = cap;
	}
}

/* The queue just emptied at `now`: keep what the busy period before this
 * one needed and, if the queue last emptied within TERN_FRAMEQ_BURST_GAP,
 * the most any busy period of this run of close-together ones needed (one
 * flow's bursts, big and small in turn, as a TCP sender's are: keeping
 * only the previous period's need freed and re-malloced records every few
 * periods, 0.45 mallocs per segment in bench_tcp's bulk run). A burst
 * that follows a quiet gap starts a new run: what it needed beyond the
 * period before goes. Free the rest, largest records first. */
static void trim(struct tern_frameq *q, tern_time_t now)
{
	struct tern_frameq_cache *c = q->cache;
	size_t keep = c->prev_busy_peak > TERN_FRAMEQ_KEEP ? c->prev_busy_peak : TERN_FRAMEQ_KEEP;
	bool emptied = q->last_empty != TERN_TIME_NEVER;
	if (emptied && now - q->last_empty <= TERN_FRAMEQ_BURST_GAP) {
		if (c->busy_peak > c->run_peak)
			c->run_peak = c->busy_peak;
		if (c->run_peak > keep)
			keep = c->run_peak;
	} else {
		c->run_peak = 0;
	}
	q->gap = emptied ? now - q->last_empty : 0;
	q->last_empty = now;
	for (int k = TERN_FRAMEQ_NCLASSES - 1; k >= 0 && c->cached > keep; k--) {
		while (c->free[k] && c->cached > keep) {
			struct tern_frame *f = c->free[k];
			c->free[k] = f->next;
			c->cached--;
			free(f);
		}
	}
	heap_shrink(q, keep); /* the heap array too, when it is far larger than that */
	c->prev_busy_peak = c->busy_peak;
	c->busy_peak = 0;
}

tern_time_t tern_frameq_rest_at(const struct tern_frameq *q)
{
	if (q->n || !q->cache || q->last_empty == TERN_TIME_NEVER)
		return TERN_TIME_NEVER;
	tern_time_t wait = 2 * q->gap > TERN_FRAMEQ_REST ? 2 * q->gap : TERN_FRAMEQ_REST;
	return q->last_empty + wait;
}

void tern_frameq_rest(struct tern_frameq *q, tern_time_t now)
{
	if (now < tern_frameq_rest_at(q))
		return;
	cache_free(q);
}

/* Heap order: earlier due time first; equal times in insertion order. */
static int before(const struct tern_frame *a, const struct tern_frame *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void sift_up(struct tern_frame **h, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!before(h[i], h[parent]))
			break;
		struct tern_frame *t = h[i];
		h[i] = h[parent];
		h[parent] = t;
		i = parent;
	}
}

static void sift_down(struct tern_frame **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && before(h[l], h[m]))
			m = l;
		if (r < n && before(h[r], h[m]))
			m = r;
		if (m == i)
			break;
		struct tern_frame *t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static int grow(struct tern_frameq *q)
{
	uint32_t cap = q->cache->cap ? q->cache->cap * 2 : 4;
	struct tern_frame **h = realloc(q->cache->heap, cap * sizeof(*h));
	if (!h)
		return TERN_ENOMEM;
	q->cache->heap = h;
	q->cache->cap = cap;
	return 0;
}

int tern_frameq_push(struct tern_frameq *q, struct tern_frame *f, tern_time_t at)
{
	if (!q->cache) { /* f did not come from tern_frameq_alloc(q) */
		free(f);
		return TERN_ENOMEM;
	}
	f->at = at;
	if (!q->cache->fifo_tail || at >= q->cache->fifo_tail->at) {
		/* In due order behind the FIFO's last: no heap work. */
		f->next = NULL;
		*(q->cache->fifo_tail ? &q->cache->fifo_tail->next : &q->cache->fifo_head) = f;
		q->cache->fifo_tail = f;
	} else {
		if (q->cache->hn == q->cache->cap && grow(q) < 0) {
			tern_frameq_release(q, f);
			return TERN_ENOMEM;
		}
		q->cache->heap[q->cache->hn] = f;
		sift_up(q->cache->heap, q->cache->hn);
		q->cache->hn++;
	}
	f->seq = q->cache->next_seq++;
	q->n++;
	q->cache->bytes += f->len;
	if (q->n > q->cache->busy_peak)
		q->cache->busy_peak = q->n;
	if (q->n > q->peak)
		q->peak = q->n;
	return 0;
}

int tern_frameq_push_copy(struct tern_frameq *q, const uint8_t *frame, size_t len,
			  tern_time_t at)
{
	struct tern_frame *f = tern_frameq_alloc(q, len);
	if (!f)
		return TERN_ENOMEM;
	if (len)
		tern_copy_payload(f->data, frame, len);
	return tern_frameq_push(q, f, at);
}

struct tern_frame *tern_frameq_pop_due(struct tern_frameq *q, tern_time_t now, uint64_t mark)
{
	if (q->n == 0)
		return NULL;
	struct tern_frame *f = q->cache->fifo_head;
	bool from_heap = !f || (q->cache->hn && before(q->cache->heap[0], f));
	if (from_heap)
		f = q->cache->heap[0];
	if (f->at > now || f->seq >= mark)
		return NULL;
	if (from_heap) {
		q->cache->heap[0] = q->cache->heap[--q->cache->hn];
		sift_down(q->cache->heap, q->cache->hn, 0);
	} else {
		q->cache->fifo_head = f->next;
		if (!q->cache->fifo_head)
			q->cache->fifo_tail = NULL;
		f->next = NULL;
	}
	q->n--;
	q->cache->bytes -= f->len;
	if (q->n == 0 && q->cache)
		trim(q, now); /* f is not cached yet: it is the caller's to release */
	return f;
}
