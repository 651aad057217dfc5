/*
 * dev/frameq.c — the timed frame queue behind the link and fault devices
 * (see frameq.h): a list of frames in due order beside a min-heap keyed
 * by (due time, seq) for the rest, with records from a shared pool.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "dev/frameq.h"
#include "tern/err.h"
#include "tern/netdev.h"

#define FRAMEQ_MIN_SHIFT 6 /* smallest class: 64 bytes (an ARP frame) */
#define FRAMEQ_HEAP_MIN 4
#define FRAMEQ_HEAP_SPARE_MAX 64 /* larger heaps are freed, not kept spare */

void tern_frame_pool_init(struct tern_frame_pool *p)
{
	*p = (struct tern_frame_pool){0};
}

/* Free cached records, largest first, until the pool holds `keep` in all
 * (in use and cached), and every spare heap. */
static void pool_shrink(struct tern_frame_pool *p, size_t keep)
{
	for (int k = TERN_FRAMEQ_NCLASSES - 1; k >= 0; k--) {
		while (p->free[k] && p->cached + p->in_use > keep) {
			struct tern_frame *f = p->free[k];
			p->free[k] = f->next;
			p->cached--;
			free(f);
		}
	}
	while (p->spare_heaps) {
		struct tern_frameq_heap *h = p->spare_heaps;
		p->spare_heaps = h->next_spare;
		free(h);
	}
}

void tern_frame_pool_fini(struct tern_frame_pool *p)
{
	pool_shrink(p, 0);
}

void tern_frame_pool_tick(struct tern_frame_pool *p, tern_time_t now)
{
	if (now < p->next_roll)
		return;
	/* a window (or two) ended: what the one just ended needed, or
	 * nothing past what is in use if that too is over a window ago */
	p->prev_peak = now >= p->next_roll + TERN_FRAME_POOL_REST ? p->in_use : p->win_peak;
	p->win_peak = p->in_use;
	p->next_roll = now + TERN_FRAME_POOL_REST;
	size_t keep = p->prev_peak > TERN_FRAME_POOL_KEEP ? p->prev_peak : TERN_FRAME_POOL_KEEP;
	if (p->cached + p->in_use > keep || p->spare_heaps)
		pool_shrink(p, keep);
}

void tern_frameq_init(struct tern_frameq *q)
{
	*q = (struct tern_frameq){0};
}

/* Smallest class whose records hold len bytes, or -1 if none does. */
static int size_class(size_t len)
{
	for (int c = 0; c < TERN_FRAMEQ_NCLASSES; c++)
		if (len <= ((size_t)1 << (FRAMEQ_MIN_SHIFT + c)))
			return c;
	return -1;
}

struct tern_frame *tern_frameq_alloc(struct tern_frame_pool *p, size_t len)
{
	int k = size_class(len);
	struct tern_frame *f;

	if (len > UINT32_MAX)
		return NULL;
	if (k >= 0 && p->free[k]) {
		f = p->free[k];
		p->free[k] = f->next;
		p->cached--;
	} else {
		size_t room = k >= 0 ? (size_t)1 << (FRAMEQ_MIN_SHIFT + k) : len;
		f = malloc(sizeof(*f) + room);
		if (!f)
			return NULL;
		f->cls = k;
	}
	if (++p->in_use > p->win_peak)
		p->win_peak = p->in_use;
	f->len = (uint32_t)len;
	f->next = NULL;
	return f;
}

void tern_frameq_release(struct tern_frame_pool *p, struct tern_frame *f)
{
	p->in_use--;
	if (f->cls < 0) {
		free(f);
		return;
	}
	f->next = p->free[f->cls];
	p->free[f->cls] = f;
	p->cached++;
}

/* The queue's heap went empty: back to the pool's spares (or malloc). */
static void heap_give_back(struct tern_frameq *q, struct tern_frame_pool *p)
{
	struct tern_frameq_heap *h = q->heap;
	q->heap = NULL;
	if (h->cap > FRAMEQ_HEAP_SPARE_MAX) {
		free(h);
		return;
	}
	h->next_spare = p->spare_heaps;
	p->spare_heaps = h;
}

void tern_frameq_fini(struct tern_frameq *q, struct tern_frame_pool *p)
{
	for (size_t i = 0; q->heap && i < q->heap->n; i++)
		tern_frameq_release(p, q->heap->v[i]);
	while (q->head) {
		struct tern_frame *f = q->head;
		q->head = f->next;
		tern_frameq_release(p, f);
	}
	if (q->heap)
		heap_give_back(q, p);
	tern_frameq_init(q);
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

/* Room for one more frame in the heap: a spare from the pool, or a new
 * one, or a doubling. */
static int heap_room(struct tern_frameq *q, struct tern_frame_pool *p)
{
	struct tern_frameq_heap *h = q->heap;
	if (h && h->n < h->cap)
		return 0;
	if (!h && p->spare_heaps) {
		q->heap = p->spare_heaps;
		p->spare_heaps = q->heap->next_spare;
		q->heap->n = 0;
		return 0;
	}
	uint32_t cap = h ? h->cap * 2 : FRAMEQ_HEAP_MIN;
	struct tern_frameq_heap *nh = realloc(h, sizeof(*nh) + cap * sizeof(nh->v[0]));
	if (!nh)
		return TERN_ENOMEM;
	if (!h)
		nh->n = 0;
	nh->cap = cap;
	q->heap = nh;
	return 0;
}

int tern_frameq_push(struct tern_frameq *q, struct tern_frame_pool *p, struct tern_frame *f,
		     tern_time_t at)
{
	f->at = at;
	if (!q->tail || at >= q->tail->at) {
		/* In due order behind the FIFO's last: no heap work. */
		f->next = NULL;
		*(q->tail ? &q->tail->next : &q->head) = f;
		q->tail = f;
	} else {
		if (heap_room(q, p) < 0) {
			tern_frameq_release(p, f);
			return TERN_ENOMEM;
		}
		q->heap->v[q->heap->n] = f;
		f->seq = p->next_seq; /* before sift_up: it compares seq on ties */
		sift_up(q->heap->v, q->heap->n);
		q->heap->n++;
	}
	f->seq = p->next_seq++;
	q->n++;
	q->bytes += f->len;
	if (q->n > q->peak)
		q->peak = q->n;
	return 0;
}

struct tern_frame *tern_frameq_pop_due(struct tern_frameq *q, struct tern_frame_pool *p,
				       tern_time_t now, uint64_t mark)
{
	if (q->n == 0)
		return NULL;
	struct tern_frame *f = q->head;
	bool from_heap = !f || (q->heap && q->heap->n && before(q->heap->v[0], f));
	if (from_heap)
		f = q->heap->v[0];
	if (f->at > now || f->seq >= mark)
		return NULL;
	if (from_heap) {
		q->heap->v[0] = q->heap->v[--q->heap->n];
		sift_down(q->heap->v, q->heap->n, 0);
	} else {
		q->head = f->next;
		if (!q->head)
			q->tail = NULL;
		f->next = NULL;
	}
	q->n--;
	q->bytes -= f->len;
	if (q->heap && !q->heap->n)
		heap_give_back(q, p);
	if (q->n == 0)
		tern_frame_pool_tick(p, now);
	return f;
}

struct tern_frame_pool *tern_frame_pool_create(void)
{
	struct tern_frame_pool *p = malloc(sizeof(*p));
	if (p)
		tern_frame_pool_init(p);
	return p;
}

void tern_frame_pool_destroy(struct tern_frame_pool *p)
{
	if (!p)
		return;
	tern_frame_pool_fini(p);
	free(p);
}
