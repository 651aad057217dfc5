/*
 * core/pkt.c — the per-stack packet buffer pool (see pkt.h).
 *
 * The pkt header and its buffer come from one allocation, made the first
 * time the pool needs another buffer of that class and recycled on the
 * class's free list thereafter, until a trim gives it back.
 */
#include <stdlib.h>

#include "core/pkt.h"

void tern_pkt_pool_init(struct tern_pkt_pool *pool, size_t max_bytes)
{
	*pool = (struct tern_pkt_pool){.max_bytes = max_bytes};
}

/* Free the first buffer of a free list; false if it is empty. */
static bool release_one(struct tern_pkt_pool *pool, struct tern_pkt **list)
{
	struct tern_pkt *p = *list;
	if (!p)
		return false;
	*list = p->next;
	pool->made_bytes -= tern_pkt_truesize(p);
	free(p);
	return true;
}

/* Free one buffer of a class other than `except`, the biggest first. */
static bool release_other(struct tern_pkt_pool *pool, int except)
{
	static const int biggest_first[] = {TERN_PKT_LARGE, TERN_PKT_SMALL, TERN_PKT_TINY};
	for (unsigned k = 0; k < TERN_PKT_NCLASSES; k++)
		if (biggest_first[k] != except && release_one(pool, &pool->free[biggest_first[k]]))
			return true;
	return false;
}

void tern_pkt_pool_fini(struct tern_pkt_pool *pool)
{
	while (release_other(pool, -1))
		;
}

void tern_pkt_pool_trim(struct tern_pkt_pool *pool, size_t keep_bytes)
{
	if (keep_bytes < pool->recent_peak_bytes)
		keep_bytes = pool->recent_peak_bytes;
	pool->recent_peak_bytes = pool->in_use_bytes;
	while (pool->made_bytes > keep_bytes && release_other(pool, -1))
		;
}

unsigned tern_pkt_pool_in_use(const struct tern_pkt_pool *pool)
{
	return pool->in_use;
}

static const uint32_t class_cap[TERN_PKT_NCLASSES] = {
	[TERN_PKT_SMALL] = TERN_PKT_SMALL_CAP,
	[TERN_PKT_LARGE] = TERN_PKT_LARGE_CAP,
	[TERN_PKT_TINY] = TERN_PKT_TINY_CAP,
};

/* A buffer of class cls: a free one, else a new one if the pool may grow
 * by its true size (giving back free buffers of the other classes to
 * make room). */
static struct tern_pkt *take(struct tern_pkt_pool *pool, int cls)
{
	struct tern_pkt *p = pool->free[cls];
	if (p) {
		pool->free[cls] = p->next;
		return p;
	}
	size_t size = TERN_PKT_TRUESIZE(class_cap[cls]);
	while (pool->made_bytes + size > pool->max_bytes)
		if (!release_other(pool, cls))
			return NULL;
	p = malloc(size);
	if (!p)
		return NULL;
	p->buf = (uint8_t *)(p + 1);
	p->cap = class_cap[cls];
	p->cls = (uint8_t)cls;
	pool->made_bytes += size;
	return p;
}

/* A buffer of class cls, empty and counted in use (NULL: none). */
static struct tern_pkt *alloc_class(struct tern_pkt_pool *pool, int cls)
{
	struct tern_pkt *p = take(pool, cls);
	if (!p)
		return NULL;
	p->next = NULL;
	p->head = TERN_PKT_HEADROOM;
	p->len = 0;
	p->ifindex = -1;
	p->l2_type = TERN_PKT_L2_UNICAST;
	p->tx_tag = 0;
	p->csum_ok = 0;
	p->rx_time = 0;
	p->next_hop = 0;
	pool->in_use++;
	pool->in_use_bytes += tern_pkt_truesize(p);
	if (pool->in_use_bytes > pool->recent_peak_bytes) {
		pool->recent_peak_bytes = pool->in_use_bytes;
		if (pool->in_use_bytes > pool->peak_bytes)
			pool->peak_bytes = pool->in_use_bytes;
	}
	return p;
}

struct tern_pkt *tern_pkt_alloc(struct tern_pkt_pool *pool, size_t data_len)
{
	if (data_len <= TERN_PKT_SMALL_DATA)
		return alloc_class(pool, TERN_PKT_SMALL);
	if (data_len <= TERN_PKT_LARGE_DATA)
		return alloc_class(pool, TERN_PKT_LARGE);
	return NULL;
}

struct tern_pkt *tern_pkt_alloc_tiny(struct tern_pkt_pool *pool, size_t data_len)
{
	if (data_len <= TERN_PKT_TINY_DATA)
		return alloc_class(pool, TERN_PKT_TINY);
	return tern_pkt_alloc(pool, data_len);
}

void tern_pkt_free(struct tern_pkt_pool *pool, struct tern_pkt *p)
{
	if (!p)
		return;
	pool->in_use--;
	pool->in_use_bytes -= tern_pkt_truesize(p);
	if (p->cls == TERN_PKT_TINY) { /* its frame is consumed: nothing to keep */
		pool->made_bytes -= tern_pkt_truesize(p);
		free(p);
		return;
	}
	p->next = pool->free[p->cls];
	pool->free[p->cls] = p;
}

void tern_pkt_queue_purge(struct tern_pkt_pool *pool, struct tern_pkt_queue *q)
{
	struct tern_pkt *p;
	while ((p = tern_pkt_dequeue(q)))
		tern_pkt_free(pool, p);
}
